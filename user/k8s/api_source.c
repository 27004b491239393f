// SPDX-License-Identifier: Apache-2.0
/*
 * The API source's threads: one worker drives every kind's requests through
 * a libcurl multi handle and queues the cache's events; the agent's thread
 * takes them through an eventfd and calls the sink. close() wakes the
 * worker out of curl_multi_poll(), so it stops mid-watch at once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "k8s/api_http.h"
#include "k8s/api_source.h"
#include "lib/clock.h"
#include "lib/log.h"

/* An event for the sink, or the marker that every kind has been listed. */
struct qev {
	struct qev *next;
	bool synced;
	enum k8s_event_type type;
	enum k8s_kind kind;
	cJSON *obj;
};

struct queue {
	struct qev *head, **tail;
	size_t n;
};

struct kind_ctx {
	struct api_source *src;
	struct api_watch w;
	struct api_http http;
	bool running;		/* its request is in the multi handle */
};

struct api_source {
	const struct api_config *cfg;
	struct k8s_sink sink;
	struct kind_ctx kinds[K8S_KIND_MAX];
	CURLM *multi;
	pthread_t thread;
	bool started;		/* the thread runs and must be joined */
	int efd;
	unsigned int seed;	/* the worker's jitter */
	struct queue staged;	/* the worker's events, not yet handed over */
	bool synced_staged;
	pthread_mutex_t lock;	/* guards the rest */
	pthread_cond_t room;	/* the queue has room again, or stop */
	struct queue queue;
	struct api_kind_stats stats[K8S_KIND_MAX];
	bool stop;		/* also read without the lock, atomically */
};

static bool stopping(struct api_source *src)
{
	return __atomic_load_n(&src->stop, __ATOMIC_ACQUIRE);
}

static void queue_init(struct queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->n = 0;
}

static void queue_push(struct queue *q, struct qev *e)
{
	e->next = NULL;
	*q->tail = e;
	q->tail = &e->next;
	q->n++;
}

/* Moves every entry of from to the end of to. */
static void queue_splice(struct queue *to, struct queue *from)
{
	if (!from->head)
		return;
	*to->tail = from->head;
	to->tail = from->tail;
	to->n += from->n;
	queue_init(from);
}

/* Takes up to max entries off the head. */
static struct qev *queue_take(struct queue *q, size_t max)
{
	struct qev *head = q->head, **p = &q->head;
	size_t n = 0;

	while (*p && n < max) {
		p = &(*p)->next;
		n++;
	}
	q->head = *p;
	*p = NULL;
	if (!q->head)
		q->tail = &q->head;
	q->n -= n;
	return head;
}

static void qev_free_all(struct qev *e)
{
	struct qev *next;

	for (; e; e = next) {
		next = e->next;
		cJSON_Delete(e->obj);
		free(e);
	}
}

/* The cache's events wait in the worker's own queue until the next handover. */
static void emit(void *ctx, enum k8s_event_type type, enum k8s_kind kind, cJSON *obj)
{
	struct api_source *src = ctx;
	struct qev *e = calloc(1, sizeof(*e));

	if (!e) {
		pr_err("%s: out of memory, an event is lost", k8s_kind_name(kind));
		cJSON_Delete(obj);
		return;
	}
	e->type = type;
	e->kind = kind;
	e->obj = obj;
	queue_push(&src->staged, e);
}

/*
 * Hands the staged events and k's counters to the agent's side, first
 * waiting while the queue is full.
 */
static void handover(struct api_source *src, const struct kind_ctx *k)
{
	bool wake = src->staged.n;
	uint64_t one = 1;

	pthread_mutex_lock(&src->lock);
	while (wake && src->queue.n >= API_QUEUE_MAX && !src->stop)
		pthread_cond_wait(&src->room, &src->lock);
	queue_splice(&src->queue, &src->staged);
	src->stats[k->w.kind] = k->w.stats;
	pthread_mutex_unlock(&src->lock);
	if (wake && write(src->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_err("kubernetes API: cannot wake the agent: %s", strerror(errno));
}

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
	struct kind_ctx *k = ctx;
	long http = 0;
	int ret;

	curl_easy_getinfo(k->http.easy, CURLINFO_RESPONSE_CODE, &http);
	ret = api_watch_data(&k->w, http, data, size * n);
	handover(k->src, k);
	/* Anything but the size taken stops the transfer. */
	return ret || stopping(k->src) ? 0 : size * n;
}

static void start(struct api_source *src, struct kind_ctx *k, uint64_t now)
{
	char why[API_WHY_LEN] = "out of memory";
	long timeout_s;
	char *url = api_watch_begin(&k->w, src->cfg->server, (unsigned int)rand_r(&src->seed),
				    &timeout_s);
	CURLMcode mc;

	if (url && !api_http_request(&k->http, src->cfg, url, timeout_s, why, sizeof(why))) {
		mc = curl_multi_add_handle(src->multi, k->http.easy);
		if (mc == CURLM_OK) {
			pr_debug("%s: GET %s", k8s_kind_name(k->w.kind), url);
			k->running = true;
			free(url);
			return;
		}
		snprintf(why, sizeof(why), "libcurl: %s", curl_multi_strerror(mc));
	}
	free(url);
	api_http_end(&k->http);
	api_watch_done(&k->w, 0, why, now, (unsigned int)rand_r(&src->seed));
	handover(src, k);
}

static bool all_synced(const struct api_source *src)
{
	int i;

	for (i = 0; i < K8S_KIND_MAX; i++)
		if (!src->kinds[i].w.stats.synced)
			return false;
	return true;
}

static void finish(struct api_source *src, CURL *easy, CURLcode result)
{
	const char *failure = NULL;
	struct kind_ctx *k;
	char *priv = NULL;
	long http = 0;
	struct qev *e;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	k = (struct kind_ctx *)priv;
	curl_multi_remove_handle(src->multi, easy);
	k->running = false;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http);
	api_http_end(&k->http);
	if (result != CURLE_OK)
		failure = k->http.error[0] ? k->http.error : curl_easy_strerror(result);
	api_watch_done(&k->w, http, failure, monotonic_ms(), (unsigned int)rand_r(&src->seed));
	if (!src->synced_staged && all_synced(src)) {
		e = calloc(1, sizeof(*e));
		if (e) {
			e->synced = true;
			queue_push(&src->staged, e);
			src->synced_staged = true;
			pr_info("kubernetes API: every kind listed, in sync");
		}
	}
	handover(src, k);
}

/* Starts what is due; returns how long until the next start is. */
static long start_due(struct api_source *src)
{
	uint64_t now = monotonic_ms();
	long timeout = API_POLL_MAX_MS;
	int i;

	for (i = 0; i < K8S_KIND_MAX; i++) {
		struct kind_ctx *k = &src->kinds[i];

		if (!k->running && k->w.start_ms <= now)
			start(src, k, now);
		if (k->running)
			continue;
		if (k->w.start_ms <= now)
			timeout = 0;
		else if (k->w.start_ms - now < (uint64_t)timeout)
			timeout = (long)(k->w.start_ms - now);
	}
	return timeout;
}

static void *worker(void *arg)
{
	struct api_source *src = arg;
	int running, left, ended;
	CURLMsg *msg;
	long timeout;

	while (!stopping(src)) {
		timeout = start_due(src);
		curl_multi_perform(src->multi, &running);
		ended = 0;
		while ((msg = curl_multi_info_read(src->multi, &left))) {
			/* Transfers cut short by close() are not failures to report. */
			if (msg->msg == CURLMSG_DONE && !stopping(src)) {
				finish(src, msg->easy_handle, msg->data.result);
				ended++;
			}
		}
		/* A request that just ended may be due again at once: the next page, the watch. */
		if (!ended && !stopping(src))
			curl_multi_poll(src->multi, NULL, 0, (int)timeout, NULL);
	}
	return NULL;
}

int api_source_fd(const struct api_source *src)
{
	return src->efd;
}

int api_source_process(struct api_source *src)
{
	struct qev *batch, *e;
	uint64_t count;
	bool more;

	if (read(src->efd, &count, sizeof(count)) < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	pthread_mutex_lock(&src->lock);
	batch = queue_take(&src->queue, API_PROCESS_BATCH);
	more = src->queue.n;
	pthread_cond_broadcast(&src->room);
	pthread_mutex_unlock(&src->lock);
	for (e = batch; e; e = e->next) {
		if (e->synced)
			src->sink.synced(src->sink.ctx);
		else
			src->sink.event(src->sink.ctx, e->type, e->kind, e->obj);
	}
	qev_free_all(batch);
	count = 1;
	/* What is left keeps the fd readable. */
	if (more && write(src->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

void api_source_stats(struct api_source *src, enum k8s_kind kind, struct api_kind_stats *out)
{
	pthread_mutex_lock(&src->lock);
	*out = src->stats[kind];
	pthread_mutex_unlock(&src->lock);
}

void api_source_close(struct api_source *src)
{
	int i;

	if (!src)
		return;
	if (src->started) {
		pthread_mutex_lock(&src->lock);
		__atomic_store_n(&src->stop, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&src->room);
		pthread_mutex_unlock(&src->lock);
		curl_multi_wakeup(src->multi);
		pthread_join(src->thread, NULL);
	}
	for (i = 0; i < K8S_KIND_MAX; i++) {
		if (src->kinds[i].running)
			curl_multi_remove_handle(src->multi, src->kinds[i].http.easy);
		api_http_free(&src->kinds[i].http);
		api_watch_free(&src->kinds[i].w);
	}
	if (src->multi)
		curl_multi_cleanup(src->multi);
	qev_free_all(src->staged.head);
	qev_free_all(src->queue.head);
	pthread_cond_destroy(&src->room);
	pthread_mutex_destroy(&src->lock);
	if (src->efd >= 0)
		close(src->efd);
	free(src);
	curl_global_cleanup();
}

/* The worker takes no signals: the agent's thread handles them, and SIGPIPE must not kill. */
static int start_worker(struct api_source *src)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&src->thread, NULL, worker, src);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	src->started = !err;
	return err;
}

struct api_source *api_source_open(const struct api_config *cfg, const struct k8s_sink *sink)
{
	struct api_source *src;
	char why[API_WHY_LEN] = "out of memory";
	int i, err = ENOMEM;

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		pr_err("kubernetes API: cannot initialise libcurl");
		errno = ENOMEM;
		return NULL;
	}
	src = calloc(1, sizeof(*src));
	if (!src) {
		pr_err("kubernetes API: %s", why);
		curl_global_cleanup();
		errno = err;
		return NULL;
	}
	src->cfg = cfg;
	src->sink = *sink;
	src->seed = (unsigned int)(getpid() ^ monotonic_ms());
	queue_init(&src->staged);
	queue_init(&src->queue);
	pthread_mutex_init(&src->lock, NULL);
	pthread_cond_init(&src->room, NULL);
	src->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	src->multi = curl_multi_init();
	if (src->efd < 0 || !src->multi) {
		err = src->efd < 0 ? errno : ENOMEM;
		snprintf(why, sizeof(why), "%s", src->efd < 0 ? strerror(err) : "libcurl multi");
		goto fail;
	}
	for (i = 0; i < K8S_KIND_MAX; i++) {
		src->kinds[i].src = src;
		api_watch_init(&src->kinds[i].w, (enum k8s_kind)i, emit, src);
		if (api_http_init(&src->kinds[i].http, cfg, on_data, &src->kinds[i], why,
				  sizeof(why)))
			goto fail;
	}
	err = start_worker(src);
	if (err) {
		snprintf(why, sizeof(why), "cannot start the worker thread: %s", strerror(err));
		goto fail;
	}
	pr_info("kubernetes API %s from %s: listing and watching %d kinds", cfg->server,
		cfg->origin, K8S_KIND_MAX);
	return src;
fail:
	pr_err("kubernetes API: %s", why);
	api_source_close(src);
	errno = err;
	return NULL;
}
