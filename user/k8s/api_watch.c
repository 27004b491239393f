// SPDX-License-Identifier: Apache-2.0
/* One kind's list-then-watch state machine (see api_watch.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "k8s/api_watch.h"
#include "lib/log.h"

/* HTTP status of a response with the content asked for. */
#define HTTP_OK 200

/* Cluster-wide collections: every namespace at once. */
static const char *const paths[K8S_KIND_MAX] = {
	[K8S_KIND_NODE] = "/api/v1/nodes",
	[K8S_KIND_NAMESPACE] = "/api/v1/namespaces",
	[K8S_KIND_POD] = "/api/v1/pods",
	[K8S_KIND_SERVICE] = "/api/v1/services",
	[K8S_KIND_ENDPOINTSLICE] = "/apis/discovery.k8s.io/v1/endpointslices",
	[K8S_KIND_NETWORKPOLICY] = "/apis/networking.k8s.io/v1/networkpolicies",
};

void api_watch_init(struct api_watch *w, enum k8s_kind kind, api_emit_fn emit, void *ctx)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->path = paths[kind];
	w->req = API_REQ_LIST;
	api_cache_init(&w->cache, kind, emit, ctx);
}

void api_watch_free(struct api_watch *w)
{
	api_cache_free(&w->cache);
	api_lines_free(&w->lines);
	free(w->rv);
	free(w->cont);
	free(w->body);
	w->rv = w->cont = w->body = NULL;
}

static const char *kind_name(const struct api_watch *w)
{
	return k8s_kind_name(w->kind);
}

static bool set_str(char **dst, const char *s)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy)
		return false;
	free(*dst);
	*dst = copy;
	return true;
}

char *api_watch_begin(struct api_watch *w, const char *server, unsigned int rnd,
		      long *timeout_s)
{
	char *url = NULL, *esc = NULL;
	const char *arg;
	int ret;

	/* A watch resumes where a list left off; without one, it lists. */
	if (!w->rv)
		w->req = API_REQ_LIST;
	w->running = w->req;
	w->http = 0;
	w->body_len = 0;
	w->progress = false;
	w->abort_why[0] = '\0';
	api_lines_reset(&w->lines);
	arg = w->req == API_REQ_LIST ? w->cont : w->rv;
	/* Continue tokens and resourceVersions are opaque: escape them. */
	if (arg) {
		esc = curl_easy_escape(NULL, arg, 0);
		if (!esc)
			return NULL;
	}
	if (w->req == API_REQ_LIST) {
		*timeout_s = API_LIST_TIMEOUT_S;
		ret = asprintf(&url, "%s%s?limit=%d%s%s", server, w->path, API_LIST_LIMIT,
			       esc ? "&continue=" : "", esc ? esc : "");
	} else {
		*timeout_s = API_WATCH_MIN_S + rnd % API_WATCH_MIN_S;
		ret = asprintf(&url, "%s%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s"
			       "&timeoutSeconds=%ld", server, w->path, esc, *timeout_s);
	}
	curl_free(esc);
	return ret < 0 ? NULL : url;
}

/* Messages built from messages may be cut: they are for people, and bounded. */
static void message(char *dst, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void message(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

#define set_abort(w, ...) message((w)->abort_why, sizeof((w)->abort_why), __VA_ARGS__)

/* Keeps body bytes up to max; beyond, a page is refused and an error body cut. */
static int body_append(struct api_watch *w, const char *data, size_t len, size_t max)
{
	size_t cap = w->body_cap ? w->body_cap : API_ERROR_BODY_MAX;
	char *buf;

	if (w->body_len + len > max) {
		if (w->http == HTTP_OK) {
			set_abort(w, "a list page larger than %zu bytes", max);
			return -1;
		}
		len = max - w->body_len;
	}
	while (cap < w->body_len + len)
		cap *= 2;
	if (cap != w->body_cap) {
		buf = realloc(w->body, cap);
		if (!buf) {
			set_abort(w, "out of memory for a %zu-byte response", w->body_len + len);
			return -1;
		}
		w->body = buf;
		w->body_cap = cap;
	}
	memcpy(w->body + w->body_len, data, len);
	w->body_len += len;
	return 0;
}

static const char *meta_rv(const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");

	return cJSON_IsString(rv) && *rv->valuestring ? rv->valuestring : NULL;
}

static const enum k8s_event_type k8s_types[] = {
	[API_EVENT_ADDED] = K8S_EVENT_ADDED,
	[API_EVENT_MODIFIED] = K8S_EVENT_MODIFIED,
	[API_EVENT_DELETED] = K8S_EVENT_DELETED,
};

/* An ADDED, MODIFIED or DELETED: into the cache, and the watch resumes after it. */
static int object_event(struct api_watch *w, struct api_event *ev)
{
	char why[API_ERROR_LEN], *rv = NULL;
	cJSON *obj = cJSON_DetachItemViaPointer(ev->root, ev->object);

	if (meta_rv(obj)) {
		rv = strdup(meta_rv(obj));
		if (!rv) {
			cJSON_Delete(obj);
			set_abort(w, "out of memory");
			return -1;
		}
	}
	if (api_cache_watch(&w->cache, k8s_types[ev->type], obj, why, sizeof(why)))
		pr_warn("%s watch: skipping a malformed object: %s", kind_name(w), why);
	if (rv) {
		free(w->rv);
		w->rv = rv;
	}
	w->stats.objects = w->cache.n;
	return 0;
}

static int on_line(void *ctx, const char *line, size_t len)
{
	struct api_watch *w = ctx;
	struct api_status st;
	struct api_event ev;
	char why[API_ERROR_LEN];
	int ret = 0;

	if (api_event_parse(line, len, &ev, why, sizeof(why))) {
		set_abort(w, "a malformed watch event: %s", why);
		return -1;
	}
	switch (ev.type) {
	case API_EVENT_ERROR:
		api_status_read(ev.object, &st);
		if (api_status_gone(&st)) {
			w->req = API_REQ_LIST;
			set_abort(w, "resourceVersion %s expired (%ld %s: %s)", w->rv, st.code,
				  st.reason, st.message);
		} else {
			set_abort(w, "watch ERROR %ld %s: %s", st.code, st.reason, st.message);
		}
		ret = -1;
		break;
	case API_EVENT_BOOKMARK:
		if (meta_rv(ev.object) && !set_str(&w->rv, meta_rv(ev.object))) {
			set_abort(w, "out of memory");
			ret = -1;
		}
		pr_debug("%s watch: bookmark at resourceVersion %s", kind_name(w), w->rv);
		break;
	default:
		ret = object_event(w, &ev);
		break;
	}
	api_event_free(&ev);
	if (!ret && !w->progress) {
		w->progress = true;
		api_backoff_reset(&w->backoff);
	}
	return ret;
}

int api_watch_data(struct api_watch *w, long http, const char *data, size_t len)
{
	int ret;

	w->http = http;
	if (http != HTTP_OK)
		return body_append(w, data, len, API_ERROR_BODY_MAX);
	if (w->running == API_REQ_LIST)
		return body_append(w, data, len, API_PAGE_MAX);
	ret = api_lines_feed(&w->lines, data, len, on_line, w);
	if (ret == -EMSGSIZE)
		set_abort(w, "a watch event longer than %d bytes", API_LINE_MAX);
	else if (ret < 0 && ret != -1)
		set_abort(w, "reading the watch: %s", strerror(-ret));
	return ret ? -1 : 0;
}

/* Applies a page; on the last one, completes the list. 0, or -1 with why. */
static int apply_page(struct api_watch *w, uint64_t now_ms, char *why, size_t len)
{
	struct api_list l;
	char item_why[API_ERROR_LEN];

	if (api_list_parse(w->body, w->body_len, w->kind, &l, why, len))
		return -1;
	if (!w->cont) {
		if (w->stats.synced)
			w->stats.relists++;
		w->pages = 0;
		api_cache_list_begin(&w->cache);
	}
	while (l.items->child)
		if (api_cache_list_item(&w->cache, cJSON_DetachItemViaPointer(l.items,
					l.items->child), item_why, sizeof(item_why)))
			pr_warn("%s list: skipping a malformed object: %s", kind_name(w), item_why);
	w->pages++;
	w->start_ms = now_ms;
	if (!set_str(&w->cont, l.cont) || (!l.cont && !set_str(&w->rv, l.resource_version))) {
		snprintf(why, len, "out of memory");
		api_list_free(&l);
		return -1;
	}
	if (!l.cont) {
		api_cache_list_end(&w->cache);
		w->req = API_REQ_WATCH;
		w->stats.lists++;
		w->stats.synced = true;
		api_backoff_reset(&w->backoff);
		pr_info("%s: listed %zu objects at resourceVersion %s (%lu page%s)", kind_name(w),
			w->cache.n, w->rv, w->pages, w->pages == 1 ? "" : "s");
	}
	w->stats.objects = w->cache.n;
	api_list_free(&l);
	return 0;
}

/* An error response: the Status's words, and whether it says 410 Gone. */
static bool http_failure(struct api_watch *w, char *why, size_t len)
{
	struct api_status st;

	if (!api_status_parse(w->body, w->body_len, &st))
		st.code = w->http;
	message(why, len, "HTTP %ld%s%s%s%s", w->http, *st.reason ? " " : "", st.reason,
		 *st.message ? ": " : "", st.message);
	return w->http == API_HTTP_GONE || api_status_gone(&st);
}

void api_watch_done(struct api_watch *w, long http, const char *failure, uint64_t now_ms,
		    unsigned int rnd)
{
	const char *what = w->running == API_REQ_LIST ? "list" : "watch";
	char why[API_ERROR_LEN];
	unsigned int delay;

	w->http = http;
	if (w->running == API_REQ_WATCH)
		w->stats.watch_restarts++;
	if (w->abort_why[0])
		failure = w->abort_why;
	if (!failure && w->http != HTTP_OK) {
		/* 410 Gone: list again, from the first page. */
		if (http_failure(w, why, sizeof(why))) {
			w->req = API_REQ_LIST;
			set_str(&w->cont, NULL);
		}
		failure = why;
	} else if (!failure && w->running == API_REQ_LIST) {
		if (!apply_page(w, now_ms, why, sizeof(why)))
			return;
		failure = why;
	} else if (!failure) {
		/* The server's timeoutSeconds: resume, but never straight after an empty watch. */
		delay = w->progress ? 0 : api_backoff_next(&w->backoff, rnd);
		pr_debug("%s watch ended; resuming at resourceVersion %s in %u ms", kind_name(w),
			 w->rv, delay);
		w->start_ms = now_ms + delay;
		return;
	}
	delay = api_backoff_next(&w->backoff, rnd);
	w->start_ms = now_ms + delay;
	w->stats.errors++;
	message(w->stats.last_error, sizeof(w->stats.last_error), "%s %s: %s", kind_name(w), what,
		failure);
	if (w->running == API_REQ_WATCH && w->req == API_REQ_LIST)
		pr_info("%s watch: %s; listing again in %u ms", kind_name(w), failure, delay);
	else
		pr_warn("%s %s: %s; retrying in %u ms", kind_name(w), what, failure, delay);
}
