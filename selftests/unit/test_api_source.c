// SPDX-License-Identifier: Apache-2.0
/*
 * The API source as a whole, against a small in-process HTTP server
 * (libmicrohttpd, plain HTTP: TLS is the end-to-end test's): events reach
 * the sink in the caller's thread, synced comes once, the token is sent,
 * failures are counted, and close() is prompt even mid-watch.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "k8s/api_source.h"
#include "test_api_fixtures.h"

#define TOKEN "unit-t0ken"
/* Longest a test waits for events that must come. */
#define WAIT_MS 5000
/* How long close() may take: the brief's "within about a second". */
#define CLOSE_MAX_MS 1000
/* How often a blocked watch looks whether the server is stopping. */
#define WATCH_NAP_US 10000
/* Bytes per watch chunk the server's reader hands over. */
#define READER_BLOCK 1024
/* Milliseconds per second and nanoseconds per millisecond. */
#define MS_PER_S 1000
#define NS_PER_MS 1000000

static const char api_added[] = FX_API_EVENT("ADDED", FX_API_SERVICE("api", "11", "80"));

static struct {
	struct MHD_Daemon *mhd;
	unsigned short port;
	int stop;		/* watches end; read and written atomically */
	int bad_auth;		/* requests without the token */
	int requests;
} server;

static struct fx_rec rec;
static pthread_t test_thread;
static bool other_thread;	/* an event arrived off the test's thread */
static size_t events_at_synced;
static struct api_config cfg;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MS_PER_S + (uint64_t)ts.tv_nsec / NS_PER_MS;
}

struct watch_state {
	size_t pos;
	bool services;
};

/* The services watch sends one event in two chunks; every watch then waits. */
static ssize_t watch_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct watch_state *ws = cls;
	size_t len = ws->services ? strlen(api_added) : 0, n;

	(void)pos;
	if (ws->pos < len) {
		n = ws->pos ? len - ws->pos : len / 2;
		n = n < max ? n : max;
		memcpy(buf, api_added + ws->pos, n);
		ws->pos += n;
		return (ssize_t)n;
	}
	while (!__atomic_load_n(&server.stop, __ATOMIC_ACQUIRE))
		usleep(WATCH_NAP_US);
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								  MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_queue_response(conn, code, r);

	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *watch = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "watch");
	bool services = !strcmp(url, "/api/v1/services");
	struct watch_state *ws;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)method, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	__atomic_add_fetch(&server.requests, 1, __ATOMIC_RELAXED);
	if (!auth || strcmp(auth, "Bearer " TOKEN)) {
		__atomic_add_fetch(&server.bad_auth, 1, __ATOMIC_RELAXED);
		return reply(conn, 401, FX_API_STATUS(401, "Unauthorized", "Unauthorized"));
	}
	if (!watch)
		return reply(conn, 200, services ?
			     FX_API_SERVICE_LIST("10", "", FX_API_SERVICE_ITEM("web", "10")) :
			     "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[]}");
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return MHD_NO;
	ws->services = services;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, READER_BLOCK, watch_reader, ws,
					      free);
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void server_start(void)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	const union MHD_DaemonInfo *info;

	server.mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				      MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handle, NULL,
				      MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	cr_assert_not_null(server.mhd, "start the HTTP server");
	info = MHD_get_daemon_info(server.mhd, MHD_DAEMON_INFO_BIND_PORT);
	cr_assert(info && info->port, "the server's port");
	server.port = info->port;
}

static void server_stop(void)
{
	__atomic_store_n(&server.stop, 1, __ATOMIC_RELEASE);
	if (server.mhd)
		MHD_stop_daemon(server.mhd);
	server.mhd = NULL;
}

static void config(unsigned short port, const char *token)
{
	memset(&cfg, 0, sizeof(cfg));
	cr_assert(asprintf(&cfg.server, "http://127.0.0.1:%u", port) > 0, "server URL");
	cfg.token = strdup(token);
	snprintf(cfg.origin, sizeof(cfg.origin), "the unit test");
}

static void on_event(void *ctx, enum k8s_event_type type, enum k8s_kind kind, const cJSON *obj)
{
	(void)ctx;
	if (!pthread_equal(pthread_self(), test_thread))
		other_thread = true;
	fx_record(&rec, type, kind, obj);
}

static void on_synced(void *ctx)
{
	(void)ctx;
	rec.synced++;
	events_at_synced = rec.n;
}

static const struct k8s_sink sink = { .event = on_event, .synced = on_synced };

static void setup(void)
{
	test_thread = pthread_self();
	memset(&rec, 0, sizeof(rec));
}

static void teardown(void)
{
	server_stop();
	api_config_free(&cfg);
}

TestSuite(api_source, .init = setup, .fini = teardown);

/* Runs the agent's side until done() holds or WAIT_MS pass. */
static bool pump(struct api_source *src, bool (*done)(struct api_source *src))
{
	struct pollfd pfd = { .fd = api_source_fd(src), .events = POLLIN };
	uint64_t end = now_ms() + WAIT_MS;

	while (!done(src) && now_ms() < end)
		if (poll(&pfd, 1, 100) > 0)
			cr_assert_eq(api_source_process(src), 0, "process");
	return done(src);
}

static bool both_services(struct api_source *src)
{
	(void)src;
	return rec.synced && strstr(rec.text, "shop/api");
}

static bool all_watching(struct api_source *src)
{
	(void)src;
	return __atomic_load_n(&server.requests, __ATOMIC_RELAXED) >= 2 * K8S_KIND_MAX;
}

static void close_promptly(struct api_source *src)
{
	uint64_t start = now_ms();

	api_source_close(src);
	cr_assert_lt(now_ms() - start, CLOSE_MAX_MS, "close took %lu ms",
		     (unsigned long)(now_ms() - start));
}

Test(api_source, lists_watches_and_syncs_once)
{
	struct api_kind_stats st;
	struct api_source *src;

	server_start();
	config(server.port, TOKEN);
	src = api_source_open(&cfg, &sink);
	cr_assert_not_null(src, "open");
	cr_assert(pump(src, both_services), "events: %s synced %d", rec.text, rec.synced);
	cr_assert_str_eq(rec.text, "ADDED Service shop/web 10\nADDED Service shop/api 11\n",
			 "the list, then the watch");
	cr_assert_eq(rec.synced, 1, "synced once");
	/* The services watch may deliver before the last kind's list completes. */
	cr_assert_geq(events_at_synced, 1, "synced after the list's events");
	cr_assert_not(other_thread, "events arrive in the caller's thread");
	api_source_stats(src, K8S_KIND_SERVICE, &st);
	cr_assert(st.synced, "Services synced");
	cr_assert_eq(st.lists, 1, "one list");
	cr_assert_eq(st.objects, 2, "two Services held");
	cr_assert_eq(st.errors, 0, "no error: %s", st.last_error);
	api_source_stats(src, K8S_KIND_NODE, &st);
	cr_assert(st.synced && !st.objects, "no Nodes, but listed");
	cr_assert(pump(src, all_watching), "a list and a watch per kind: %d requests",
		  server.requests);
	/* Every kind's watch is open and idle now. */
	close_promptly(src);
	cr_assert_eq(server.bad_auth, 0, "the token went with every request");
}

static bool failed(struct api_source *src)
{
	struct api_kind_stats st;

	api_source_stats(src, K8S_KIND_POD, &st);
	return st.errors >= 1;
}

Test(api_source, a_refused_token_holds_sync_back)
{
	struct api_kind_stats st;
	struct api_source *src;

	server_start();
	config(server.port, "not-the-token");
	src = api_source_open(&cfg, &sink);
	cr_assert_not_null(src, "open");
	cr_assert(pump(src, failed), "a failure is counted");
	api_source_stats(src, K8S_KIND_POD, &st);
	cr_assert_str_eq(st.last_error, "Pod list: HTTP 401 Unauthorized: Unauthorized",
			 "the server's words");
	cr_assert_not(st.synced, "not synced");
	cr_assert_eq(rec.synced, 0, "no synced call");
	close_promptly(src);
}

Test(api_source, an_unreachable_server_is_retried_and_close_is_prompt)
{
	struct api_kind_stats st;
	struct api_source *src;

	server_start();
	config(server.port, TOKEN);
	/* A port nothing listens on any more. */
	server_stop();
	src = api_source_open(&cfg, &sink);
	cr_assert_not_null(src, "open does not need the server");
	cr_assert(pump(src, failed), "a failure is counted");
	api_source_stats(src, K8S_KIND_POD, &st);
	cr_assert(strstr(st.last_error, "Pod list: "), "last error: %s", st.last_error);
	cr_assert_null(strstr(st.last_error, TOKEN), "no credential in %s", st.last_error);
	close_promptly(src);
}
