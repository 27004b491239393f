/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One kind's list-then-watch, as a state machine that the transport drives
 * (api_source.c runs the requests; tests feed bytes straight in):
 *
 * - LIST in pages of API_LIST_LIMIT (?limit=&continue=), applied to the
 *   kind's cache (api_cache.h) page by page; the last page completes the
 *   list: objects it did not name are deleted, and the watch starts at the
 *   list's resourceVersion. A failed page is asked again with the same
 *   continue token; an expired one (410) starts the list over.
 * - WATCH (?watch=1&resourceVersion=&allowWatchBookmarks=true&
 *   timeoutSeconds=) applies each event as its line completes. A BOOKMARK
 *   only moves the resourceVersion; an ERROR with 410 Gone (or an HTTP 410)
 *   means the resourceVersion is too old: list again, and only differences
 *   reach the sink. A watch the server ends after timeoutSeconds resumes at
 *   once from the last resourceVersion.
 * - Any other failure (connection lost or refused, TLS, HTTP error, other
 *   ERROR events, a malformed event line) retries the same request after a
 *   backoff (api_backoff.h), which resets once a list completes or a watch
 *   delivers an event.
 */
#ifndef SLUICE_K8S_API_WATCH_H
#define SLUICE_K8S_API_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "k8s/api_backoff.h"
#include "k8s/api_cache.h"
#include "k8s/api_proto.h"

/* Objects per list page: client-go's pager asks for 500 too. */
#define API_LIST_LIMIT 500
/* Longest a list page may take. */
#define API_LIST_TIMEOUT_S 60
/*
 * Watches last a random time from this to twice this (client-go's range),
 * so that many agents do not all reconnect at once.
 */
#define API_WATCH_MIN_S 300
/* Largest list page body kept: far beyond 500 objects of a few KiB each. */
#define API_PAGE_MAX (256 << 20)
/* Most of an error response's body kept for its message. */
#define API_ERROR_BODY_MAX (64 << 10)
/* Room for the latest failure's description. */
#define API_ERROR_LEN 256

/* What the agent exports per kind as metrics. */
struct api_kind_stats {
	unsigned long lists;		/* lists completed, the first included */
	unsigned long relists;		/* lists after the first completed one (410 Gone) */
	unsigned long watch_restarts;	/* watches started again after one ended or failed */
	unsigned long errors;		/* requests that failed */
	unsigned long objects;		/* in the cache */
	bool synced;			/* the first list is complete */
	char last_error[API_ERROR_LEN];	/* "" until a request fails */
};

enum api_request {
	API_REQ_LIST,
	API_REQ_WATCH,
};

struct api_watch {
	enum k8s_kind kind;
	const char *path;		/* "/api/v1/services" */
	struct api_cache cache;
	struct api_backoff backoff;
	enum api_request req;		/* the next request */
	enum api_request running;	/* the one running, or that ran last */
	uint64_t start_ms;		/* the next request waits until then (CLOCK_MONOTONIC) */
	char *rv;			/* where a watch starts: the list's, then each event's */
	char *cont;			/* the next page's continue token; NULL: page one */
	unsigned long pages;		/* of the list being read */
	bool progress;			/* the running watch has delivered an event */
	long http;			/* the running response's status; 0 before it is known */
	struct api_lines lines;		/* the running watch's partial line */
	char *body;			/* a list page, or an error response */
	size_t body_len, body_cap;
	char abort_why[API_ERROR_LEN];	/* why data() stopped the transfer */
	struct api_kind_stats stats;
};

void api_watch_init(struct api_watch *w, enum k8s_kind kind, api_emit_fn emit, void *ctx);
void api_watch_free(struct api_watch *w);
/*
 * The URL of the next request on server (malloc'd; NULL without memory),
 * with its timeout. rnd is any random number (the watch's duration).
 */
char *api_watch_begin(struct api_watch *w, const char *server, unsigned int rnd,
		      long *timeout_s);
/* Response bytes with the response's HTTP status. 0, or -1 to stop the transfer. */
int api_watch_data(struct api_watch *w, long http, const char *data, size_t len);
/*
 * The transfer ended with the response's HTTP status (0: none came);
 * failure is NULL when it completed, else why not. Sets the next request
 * and when it starts.
 */
void api_watch_done(struct api_watch *w, long http, const char *failure, uint64_t now_ms,
		    unsigned int rnd);

#endif
