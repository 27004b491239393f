/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes API as a state source (--kubeconfig, --in-cluster): every
 * kind sluice reads (object.h) is listed, then watched, cluster-wide, by a
 * worker thread; the events wait in a queue until the agent's thread takes
 * them. The shape is manifest.h's: open, fd, process, close.
 *
 * - The protocol per kind (paging, watch, bookmarks, 410 Gone, backoff) is
 *   in api_watch.h; what reaches the sink is in api_cache.h: only
 *   differences, a relist's deletions included.
 * - synced is called once, when every kind's first list is complete. It
 *   is not called again after a relist: the relist delivers its
 *   differences itself, so there is nothing left to prune. A kind that
 *   cannot be listed (no permission, say) holds synced back; its failures
 *   are logged and retried.
 * - An unreachable server is no error for open(): requests are retried.
 * - Logs: a line per completed list, relist and failure (with the HTTP
 *   status and the server's message); per object at debug level. Never a
 *   credential: see api_config.h and api_http.h.
 */
#ifndef SLUICE_K8S_API_SOURCE_H
#define SLUICE_K8S_API_SOURCE_H

#include "k8s/api_config.h"
#include "k8s/api_watch.h"
#include "k8s/object.h"

/* Events handed to the sink per process() call: a huge list does not hold up signals. */
#define API_PROCESS_BATCH 4096
/* Events queued before the worker waits for the agent: bounds memory while it is busy. */
#define API_QUEUE_MAX 65536
/* Longest the worker sleeps without looking at its timers. */
#define API_POLL_MAX_MS 1000

struct api_source;

/*
 * Starts listing and watching. cfg must outlive the source. NULL (logged,
 * errno set) when libcurl or the thread cannot be set up. The sink must
 * not call back into the source.
 */
struct api_source *api_source_open(const struct api_config *cfg, const struct k8s_sink *sink);
/* Readable when events wait: call api_source_process(). */
int api_source_fd(const struct api_source *src);
/* Delivers waiting events (up to API_PROCESS_BATCH) to the sink. 0, or -errno. */
int api_source_process(struct api_source *src);
/* A kind's counters, as they are now. */
void api_source_stats(struct api_source *src, enum k8s_kind kind, struct api_kind_stats *out);
/* Stops the worker (within about a second, even mid-watch) and frees everything. */
void api_source_close(struct api_source *src);

#endif
