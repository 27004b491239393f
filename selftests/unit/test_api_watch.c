// SPDX-License-Identifier: Apache-2.0
/*
 * One kind's list-then-watch, driven by response bytes as libcurl would hand
 * them over: paging, events split across chunks, bookmarks, 410 Gone as an
 * ERROR event and as an HTTP status, other failures and their backoff.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/api_watch.h"
#include "test_api_fixtures.h"

#define SERVER "https://10.0.0.1:6443"
/* A moment on the monotonic clock, in milliseconds. */
#define NOW 1000000
/* What libcurl reports when on_data stopped a transfer. */
#define WRITE_ERROR "Failure writing output to destination"

static struct fx_rec rec;
static struct api_watch w;

static void record(void *ctx, enum k8s_event_type type, enum k8s_kind kind, cJSON *obj)
{
	(void)ctx;
	fx_record(&rec, type, kind, obj);
	cJSON_Delete(obj);
}

static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	api_watch_init(&w, K8S_KIND_SERVICE, record, NULL);
}

static void teardown(void)
{
	api_watch_free(&w);
}

TestSuite(api_watch, .init = setup, .fini = teardown);

/* Starts the next request and checks its URL. */
static void begin(const char *want_url)
{
	long timeout;
	char *url = api_watch_begin(&w, SERVER, 0, &timeout);

	cr_assert_not_null(url, "a URL");
	cr_assert_str_eq(url, want_url, "the request");
	free(url);
}

/* One whole response: status, body, a clean end. */
static void respond(long http, const char *body)
{
	cr_assert_eq(api_watch_data(&w, http, body, strlen(body)), 0, "body taken");
	api_watch_done(&w, http, NULL, NOW, 0);
}

static void expect(const char *want)
{
	cr_assert_str_eq(rec.text, want, "events:\n%s\nnot:\n%s", rec.text, want);
	rec.text[0] = '\0';
}

#define WATCH_URL(rv)									\
	SERVER "/api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=" rv	\
	"&timeoutSeconds=300"

/* A first list of web (rv 10) and db (rv 11), completed at resourceVersion 12. */
static void listed(void)
{
	begin(SERVER "/api/v1/services?limit=500");
	respond(200, FX_API_SERVICE_LIST("12", "", FX_API_SERVICE_ITEM("web", "10") ","
					 FX_API_SERVICE_ITEM("db", "11")));
	expect("ADDED Service shop/web 10\nADDED Service shop/db 11\n");
	cr_assert_eq(w.req, API_REQ_WATCH, "a watch next");
	cr_assert_eq(w.start_ms, NOW, "at once");
}

Test(api_watch, pages_then_watch)
{
	long timeout;
	char *url;

	begin(SERVER "/api/v1/services?limit=500");
	respond(200, FX_API_SERVICE_LIST("12", "a/b+c=", FX_API_SERVICE_ITEM("web", "10")));
	expect("ADDED Service shop/web 10\n");
	cr_assert_eq(w.req, API_REQ_LIST, "another page next");
	cr_assert_not(w.stats.synced, "not synced in the middle of a list");
	begin(SERVER "/api/v1/services?limit=500&continue=a%2Fb%2Bc%3D");
	respond(200, FX_API_SERVICE_LIST("12", "", FX_API_SERVICE_ITEM("db", "11")));
	expect("ADDED Service shop/db 11\n");
	cr_assert(w.stats.synced, "synced after the last page");
	cr_assert_eq(w.stats.lists, 1, "one list");
	cr_assert_eq(w.stats.relists, 0, "no relist");
	cr_assert_eq(w.stats.objects, 2, "two objects held");
	begin(WATCH_URL("12"));
	url = api_watch_begin(&w, SERVER, 12345, &timeout);
	cr_assert(timeout >= API_WATCH_MIN_S && timeout < 2 * API_WATCH_MIN_S,
		  "watch timeout %ld in range", timeout);
	free(url);
}

static const char events[] =
	FX_API_EVENT("MODIFIED", FX_API_SERVICE("web", "13", "81"))
	FX_API_EVENT("ADDED", FX_API_SERVICE("api", "14", "80"))
	FX_API_BOOKMARK("20")
	FX_API_EVENT("DELETED", FX_API_SERVICE("db", "21", "80"))
	FX_API_EVENT("MODIFIED", FX_API_SERVICE("db", "22", "80"))
	FX_API_BOOKMARK("30");

static const char events_seen[] =
	"MODIFIED Service shop/web 13\nADDED Service shop/api 14\nDELETED Service shop/db 21\n"
	"ADDED Service shop/db 22\n";

Test(api_watch, events_split_at_every_position)
{
	size_t len = strlen(events), cut;

	for (cut = 0; cut <= len; cut++) {
		api_watch_free(&w);
		setup();
		listed();
		begin(WATCH_URL("12"));
		cr_assert_eq(api_watch_data(&w, 200, events, cut), 0, "cut %zu: first part", cut);
		cr_assert_eq(api_watch_data(&w, 200, events + cut, len - cut), 0,
			     "cut %zu: second part", cut);
		cr_assert_str_eq(rec.text, events_seen, "cut %zu: events", cut);
		cr_assert_str_eq(w.rv, "30", "cut %zu: resumes at the last bookmark", cut);
	}
}

Test(api_watch, bookmarks_move_only_the_resource_version)
{
	listed();
	begin(WATCH_URL("12"));
	respond(200, FX_API_BOOKMARK("40"));
	expect("");
	cr_assert_eq(w.req, API_REQ_WATCH, "still watching");
	cr_assert_eq(w.start_ms, NOW, "an ended watch that delivered resumes at once");
	cr_assert_eq(w.stats.watch_restarts, 1, "one restart");
	cr_assert_eq(w.stats.errors, 0, "no error");
	begin(WATCH_URL("40"));
}

/* After a 410 the list brings only what changed meanwhile. */
static void relist_after_gone(void)
{
	cr_assert_eq(w.req, API_REQ_LIST, "a list next");
	cr_assert(w.start_ms >= NOW + API_BACKOFF_MIN_MS, "after a backoff");
	cr_assert_eq(w.stats.errors, 1, "counted");
	begin(SERVER "/api/v1/services?limit=500");
	respond(200, FX_API_SERVICE_LIST("50", "", FX_API_SERVICE_ITEM("web", "10") ","
					 FX_API_SERVICE_ITEM("api", "45")));
	expect("ADDED Service shop/api 45\nDELETED Service shop/db 11\n");
	cr_assert_eq(w.stats.relists, 1, "one relist");
	cr_assert_eq(w.stats.lists, 2, "two lists");
	cr_assert_eq(w.stats.objects, 2, "web and api held");
	begin(WATCH_URL("50"));
}

Test(api_watch, error_410_event_relists)
{
	listed();
	begin(WATCH_URL("12"));
	cr_assert_eq(api_watch_data(&w, 200, FX_API_GONE, strlen(FX_API_GONE)), -1,
		     "the transfer stops");
	api_watch_done(&w, 200, WRITE_ERROR, NOW, 0);
	cr_assert(strstr(w.stats.last_error, "Service watch: resourceVersion 12 expired (410 Expired"),
		  "last error: %s", w.stats.last_error);
	relist_after_gone();
}

Test(api_watch, http_410_relists)
{
	listed();
	begin(WATCH_URL("12"));
	respond(410, FX_API_STATUS(410, "Expired", "too old resource version: 12 (48)"));
	cr_assert_str_eq(w.stats.last_error,
			 "Service watch: HTTP 410 Expired: too old resource version: 12 (48)",
			 "last error");
	relist_after_gone();
}

Test(api_watch, an_expired_continue_token_restarts_the_list)
{
	begin(SERVER "/api/v1/services?limit=500");
	respond(200, FX_API_SERVICE_LIST("12", "tok", FX_API_SERVICE_ITEM("web", "10")));
	begin(SERVER "/api/v1/services?limit=500&continue=tok");
	respond(410, FX_API_STATUS(410, "Expired", "The provided continue parameter is too old"));
	cr_assert_eq(w.req, API_REQ_LIST, "listing still");
	begin(SERVER "/api/v1/services?limit=500");
}

Test(api_watch, a_failed_page_is_asked_again)
{
	begin(SERVER "/api/v1/services?limit=500");
	respond(200, FX_API_SERVICE_LIST("12", "tok", FX_API_SERVICE_ITEM("web", "10")));
	begin(SERVER "/api/v1/services?limit=500&continue=tok");
	cr_assert_eq(api_watch_data(&w, 200, "{\"kind\":", 8), 0, "part of a page");
	api_watch_done(&w, 200, "Connection reset by peer", NOW, 0);
	cr_assert_str_eq(w.stats.last_error, "Service list: Connection reset by peer", "last error");
	cr_assert_eq(w.start_ms, NOW + API_BACKOFF_MIN_MS, "after the first backoff");
	begin(SERVER "/api/v1/services?limit=500&continue=tok");
	respond(200, "{\"kind\":\"ServiceList\",\"items\":[]}");
	cr_assert(strstr(w.stats.last_error, "without metadata.resourceVersion"),
		  "a malformed page is a failure: %s", w.stats.last_error);
	begin(SERVER "/api/v1/services?limit=500&continue=tok");
}

Test(api_watch, other_failures_resume_from_the_same_resource_version)
{
	static const char error_event[] = FX_API_EVENT("ERROR", FX_API_STATUS(500, "InternalError",
		"etcdserver: request timed out"));

	listed();
	begin(WATCH_URL("12"));
	cr_assert_eq(api_watch_data(&w, 200, error_event, strlen(error_event)), -1, "stops");
	api_watch_done(&w, 200, WRITE_ERROR, NOW, 0);
	cr_assert_str_eq(w.stats.last_error,
			 "Service watch: watch ERROR 500 InternalError: etcdserver: request timed out",
			 "last error");
	begin(WATCH_URL("12"));
	respond(401, FX_API_STATUS(401, "Unauthorized", "Unauthorized"));
	cr_assert_str_eq(w.stats.last_error, "Service watch: HTTP 401 Unauthorized: Unauthorized",
			 "last error");
	begin(WATCH_URL("12"));
	respond(503, "<html>Service Unavailable</html>");
	cr_assert_str_eq(w.stats.last_error, "Service watch: HTTP 503", "a body that is no Status");
	begin(WATCH_URL("12"));
	api_watch_done(&w, 0, "Failed to connect to 10.0.0.1 port 6443", NOW, 0);
	cr_assert_eq(w.req, API_REQ_WATCH, "still a watch");
	cr_assert_eq(w.stats.errors, 4, "four failures");
	cr_assert_eq(w.stats.watch_restarts, 4, "four restarts");
	cr_assert_eq(w.stats.relists, 0, "no relist");
	cr_assert_eq(w.start_ms, NOW + 8 * API_BACKOFF_MIN_MS / 2, "the fourth backoff, rnd 0");
	begin(WATCH_URL("12"));
}

Test(api_watch, a_malformed_line_cuts_the_watch)
{
	static const char stream[] =
		FX_API_EVENT("MODIFIED", FX_API_SERVICE("web", "13", "81"))
		"{\"type\":\"MODIFIED\",\"object\":\n";

	listed();
	begin(WATCH_URL("12"));
	cr_assert_eq(api_watch_data(&w, 200, stream, strlen(stream)), -1, "stops");
	expect("MODIFIED Service shop/web 13\n");
	api_watch_done(&w, 200, WRITE_ERROR, NOW, 0);
	cr_assert(strstr(w.stats.last_error, "a malformed watch event"), "last error: %s",
		  w.stats.last_error);
	cr_assert_eq(w.start_ms, NOW + API_BACKOFF_MIN_MS, "the event before reset the backoff");
	begin(WATCH_URL("13"));
}

Test(api_watch, a_malformed_object_is_skipped)
{
	static const char stream[] =
		FX_API_EVENT("ADDED", "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"
			     "{\"namespace\":\"shop\",\"resourceVersion\":\"13\"}}")
		FX_API_EVENT("ADDED", FX_API_SERVICE("api", "14", "80"));

	listed();
	begin(WATCH_URL("12"));
	cr_assert_eq(api_watch_data(&w, 200, stream, strlen(stream)), 0, "goes on");
	expect("ADDED Service shop/api 14\n");
	cr_assert_str_eq(w.rv, "14", "resumes after both");
}

Test(api_watch, an_empty_watch_does_not_come_straight_back)
{
	listed();
	begin(WATCH_URL("12"));
	api_watch_done(&w, 200, NULL, NOW, 0);
	cr_assert_eq(w.start_ms, NOW + API_BACKOFF_MIN_MS, "after a backoff");
	cr_assert_eq(w.stats.errors, 0, "no error");
}

Test(api_backoff, bounds)
{
	static const unsigned int rnds[] = { 0, 1, 12345, UINT_MAX };
	struct api_backoff b;
	unsigned int step, d, i, k;

	for (k = 0; k < sizeof(rnds) / sizeof(rnds[0]); k++) {
		api_backoff_reset(&b);
		step = API_BACKOFF_MIN_MS;
		for (i = 0; i < 40; i++) {
			d = api_backoff_next(&b, rnds[k] + i);
			cr_assert(d >= API_BACKOFF_MIN_MS && d <= API_BACKOFF_MAX_MS,
				  "rnd %u, attempt %u: %u ms within bounds", rnds[k], i, d);
			cr_assert(d >= step / 2 && d <= step, "attempt %u: %u ms within [%u, %u]",
				  i, d, step / 2, step);
			step = step * 2 > API_BACKOFF_MAX_MS ? API_BACKOFF_MAX_MS : step * 2;
		}
		api_backoff_reset(&b);
		cr_assert_eq(api_backoff_next(&b, rnds[k]), API_BACKOFF_MIN_MS,
			     "back to the start after a reset");
	}
}
