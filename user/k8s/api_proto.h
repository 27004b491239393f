/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shapes of the Kubernetes list/watch protocol in JSON:
 * - a List page: {"apiVersion": "v1", "kind": "ServiceList", "metadata":
 *   {"resourceVersion": "..", "continue": ".."}, "items": [...]}; the items
 *   carry no kind or apiVersion of their own;
 * - a watch: a chunked response of WatchEvents {"type": .., "object": {..}},
 *   one per line; chunk boundaries fall anywhere, inside an event too. type
 *   is ADDED, MODIFIED, DELETED, BOOKMARK (the object holds little but
 *   metadata.resourceVersion) or ERROR (the object is a Status);
 * - a Status {"kind": "Status", "code": 410, "reason": "Expired",
 *   "message": ".."}: the body of an error response, or an ERROR's object.
 */
#ifndef SLUICE_K8S_API_PROTO_H
#define SLUICE_K8S_API_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "k8s/object.h"

/*
 * Longest watch event line kept: etcd stores objects of up to 1.5 MiB, and
 * JSON escaping can grow one several times over.
 */
#define API_LINE_MAX (16 << 20)
/* HTTP status of an expired resourceVersion or continue token. */
#define API_HTTP_GONE 410
/* Room for a Status's reason and message. */
#define API_REASON_LEN 64
#define API_MESSAGE_LEN 256

/* Splits a byte stream into lines, holding a partial line between chunks. */
struct api_lines {
	char *buf;
	size_t len, cap;
};

/* Called per complete line, without its "\n" or "\r\n"; nonzero stops the feed. */
typedef int (*api_line_fn)(void *ctx, const char *line, size_t len);

/*
 * Feeds a chunk; calls fn for each line it completes (empty lines are
 * skipped). Returns 0, fn's nonzero return, -EMSGSIZE for a line longer
 * than API_LINE_MAX, or -ENOMEM.
 */
int api_lines_feed(struct api_lines *l, const char *data, size_t len, api_line_fn fn, void *ctx);
/* Forgets a partial line: the stream it came from has ended. */
void api_lines_reset(struct api_lines *l);
void api_lines_free(struct api_lines *l);

enum api_event_type {
	API_EVENT_ADDED,
	API_EVENT_MODIFIED,
	API_EVENT_DELETED,
	API_EVENT_BOOKMARK,
	API_EVENT_ERROR,
};

struct api_event {
	enum api_event_type type;
	cJSON *root;		/* the whole event: free with api_event_free */
	cJSON *object;		/* in root; detach it to keep it */
};

/* One watch line. 0, or -1 with why when it is not a WatchEvent. */
int api_event_parse(const char *line, size_t len, struct api_event *ev, char *why, size_t why_len);
void api_event_free(struct api_event *ev);

struct api_status {
	long code;		/* HTTP-style: 410 for an expired resourceVersion */
	char reason[API_REASON_LEN];	/* "Expired", "Forbidden", ... */
	char message[API_MESSAGE_LEN];
};

/* The fields of a Status object; absent ones are 0 or "". */
void api_status_read(const cJSON *obj, struct api_status *st);
/* A Status from an error response's body; false when the body is no JSON object. */
bool api_status_parse(const char *body, size_t len, struct api_status *st);
/* The resourceVersion (or continue token) is too old: the client must list again. */
bool api_status_gone(const struct api_status *st);

struct api_list {
	cJSON *root;
	cJSON *items;			/* an array in root, maybe empty */
	const char *resource_version;	/* in root, never empty */
	const char *cont;		/* in root; NULL on the last page */
};

/*
 * A List page of kind's objects (kind "ServiceList" for Services). 0, or -1
 * with why when the body is not one.
 */
int api_list_parse(const char *body, size_t len, enum k8s_kind kind, struct api_list *l,
		   char *why, size_t why_len);
void api_list_free(struct api_list *l);

#endif
