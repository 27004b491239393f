// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>

#include "agent/metrics.h"
#include "agent/policies.h"
#include "agent/services.h"
#include "cli/cli.h"
#include "k8s/api_source.h"
#include "lib/agent_state.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/verdict_names.h"
#include "lib/version.h"

/* Connections served at once: a scraper and two probes, with room to spare. */
#define METRICS_CONNECTIONS_MAX 16
/* Seconds an idle connection is kept. */
#define METRICS_IDLE_S 10
/* Pending connections the kernel queues before the server accepts them. */
#define METRICS_BACKLOG 16

#define TEXT_PLAIN "text/plain; charset=utf-8"
/* The Prometheus text exposition format. */
#define TEXT_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

/* --metrics-address */

int metrics_addr_parse(const char *arg, struct metrics_addr *a, char *why, size_t why_len)
{
	char host[INET6_ADDRSTRLEN], norm[INET6_ADDRSTRLEN];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
	const char *port_s, *end;
	unsigned long port;
	bool v6 = arg[0] == '[';
	size_t hlen;

	memset(a, 0, sizeof(*a));
	if (!strcmp(arg, "off")) {
		a->off = true;
		snprintf(a->text, sizeof(a->text), "off");
		return 0;
	}
	if (v6) {
		end = strchr(arg, ']');
		if (!end || end[1] != ':') {
			snprintf(why, why_len, "wants [IPv6]:PORT, got '%s'", arg);
			return -EINVAL;
		}
		hlen = (size_t)(end - arg - 1);
		arg++;
		port_s = end + 2;
	} else {
		end = strrchr(arg, ':');
		if (!end) {
			snprintf(why, why_len, "wants HOST:PORT or off, got '%s'", arg);
			return -EINVAL;
		}
		hlen = (size_t)(end - arg);
		port_s = end + 1;
		if (memchr(arg, ':', hlen)) {
			snprintf(why, why_len, "an IPv6 address goes in brackets, as [::1]:%d",
				 METRICS_PORT_DEFAULT);
			return -EINVAL;
		}
		if (!hlen) {
			snprintf(why, why_len,
				 "HOST is missing (0.0.0.0 listens on every address)");
			return -EINVAL;
		}
	}
	if (hlen >= sizeof(host)) {
		snprintf(why, why_len, "'%.*s' is no IP address", (int)hlen, arg);
		return -EINVAL;
	}
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, v6 ? (void *)&s6->sin6_addr :
						   (void *)&s4->sin_addr) != 1) {
		snprintf(why, why_len, "'%s' is no %s address (HOST is numeric)", host,
			 v6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	if (!parse_uint(port_s, 1, 65535, &port)) {
		snprintf(why, why_len, "PORT is a number from 1 to 65535, got '%s'", port_s);
		return -EINVAL;
	}
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((__u16)port);
		a->sa_len = sizeof(*s6);
		inet_ntop(AF_INET6, &s6->sin6_addr, norm, sizeof(norm));
		snprintf(a->text, sizeof(a->text), "[%s]:%lu", norm, port);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((__u16)port);
		a->sa_len = sizeof(*s4);
		inet_ntop(AF_INET, &s4->sin_addr, norm, sizeof(norm));
		snprintf(a->text, sizeof(a->text), "%s:%lu", norm, port);
	}
	return 0;
}

/* The API resource of each kind, as its URL path names it. */
static const char *const resource_names[K8S_KIND_MAX] = {
	[K8S_KIND_NODE] = "nodes",
	[K8S_KIND_NAMESPACE] = "namespaces",
	[K8S_KIND_POD] = "pods",
	[K8S_KIND_SERVICE] = "services",
	[K8S_KIND_ENDPOINTSLICE] = "endpointslices",
	[K8S_KIND_NETWORKPOLICY] = "networkpolicies",
};
_Static_assert(K8S_KIND_MAX == 6, "name every kind's resource above");

static const char *const reconciler_names[METRICS_RECONCILERS] = {
	[METRICS_SERVICE] = "service",
	[METRICS_POLICY] = "policy",
};

static void render_agent(struct prom_buf *b, const struct metrics_snapshot *s)
{
	char abi[16];
	int k, r;

	snprintf(abi, sizeof(abi), "%d", SLUICE_ABI_VERSION);
	prom_family(b, "sluice_build_info", "gauge",
		    "Always 1; version is the agent's release, abi the layout version of the "
		    "pinned maps it speaks.");
	prom_u64(b, "sluice_build_info", 1, "version", SLUICE_VERSION, "abi", abi, NULL);
	prom_family(b, "sluice_agent_start_time_seconds", "gauge",
		    "When the agent started, in seconds since the Unix epoch.");
	prom_double(b, "sluice_agent_start_time_seconds", s->start_time, NULL);
	prom_family(b, "sluice_agent_ready", "gauge",
		    "1 once the agent's first sync is done (every state source delivered "
		    "everything and it was programmed), else 0.");
	prom_u64(b, "sluice_agent_ready", s->ready, NULL);

	prom_family(b, "sluice_cache_objects", "gauge",
		    "Objects in the agent's caches (the last valid version of each), "
		    "per resource.");
	for (k = 0; k < K8S_KIND_MAX; k++)
		if (s->cached[k])
			prom_u64(b, "sluice_cache_objects", s->cache[k], "resource",
				 resource_names[k], NULL);
	prom_family(b, "sluice_objects_refused_total", "counter",
		    "Objects refused as invalid (the last valid version stays in force): "
		    "kind=\"service\" counts Services and EndpointSlices, kind=\"policy\" Pods, "
		    "Namespaces and NetworkPolicies.");
	for (r = 0; r < METRICS_RECONCILERS; r++)
		prom_u64(b, "sluice_objects_refused_total", s->refused[r], "kind",
			 reconciler_names[r], NULL);
	prom_family(b, "sluice_reconcile_duration_seconds", "histogram",
		    "How long each reconcile that had work took, from its start to its last "
		    "map write: kind=\"service\" per services flush, kind=\"policy\" per "
		    "policy flush.");
	for (r = 0; r < METRICS_RECONCILERS; r++)
		prom_histogram(b, "sluice_reconcile_duration_seconds", &s->reconcile[r], "kind",
			       reconciler_names[r]);
}

static void render_api(struct prom_buf *b, const struct metrics_snapshot *s)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} fams[] = {
		{ "sluice_api_lists_total", "counter",
		  "Lists of a resource the Kubernetes API completed, the first one included.",
		  offsetof(struct metrics_api, lists) },
		{ "sluice_api_relists_total", "counter",
		  "Lists after the first one (410 Gone: the watch fell too far behind).",
		  offsetof(struct metrics_api, relists) },
		{ "sluice_api_watch_restarts_total", "counter",
		  "Watches started again after one ended or failed.",
		  offsetof(struct metrics_api, watch_restarts) },
		{ "sluice_api_errors_total", "counter",
		  "Requests to the Kubernetes API that failed (connection, TLS or HTTP error).",
		  offsetof(struct metrics_api, errors) },
	};
	size_t f;
	int k;

	if (!s->have_api)
		return;
	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		prom_family(b, fams[f].name, fams[f].type, fams[f].help);
		for (k = 0; k < K8S_KIND_MAX; k++)
			prom_u64(b, fams[f].name,
				 *(const __u64 *)((const char *)&s->api[k] + fams[f].off),
				 "resource", resource_names[k], NULL);
	}
	prom_family(b, "sluice_api_synced", "gauge",
		    "1 once the resource's first list from the Kubernetes API is complete, "
		    "else 0.");
	for (k = 0; k < K8S_KIND_MAX; k++)
		prom_u64(b, "sluice_api_synced", s->api[k].synced, "resource", resource_names[k],
			 NULL);
}

static void render_policy(struct prom_buf *b, const struct metrics_snapshot *s)
{
	prom_family(b, "sluice_policy_identities", "gauge",
		    "Security identities (pod label sets, policy CIDRs) after the last "
		    "policy flush.");
	prom_u64(b, "sluice_policy_identities", s->identities, NULL);
	prom_family(b, "sluice_policy_networkpolicies", "gauge",
		    "NetworkPolicies in force after the last policy flush.");
	prom_u64(b, "sluice_policy_networkpolicies", s->policies, NULL);
	prom_family(b, "sluice_policy_isolated_directions", "gauge",
		    "Directions (ingress, egress) of this node's pods that a policy isolates, "
		    "after the last policy flush.");
	prom_u64(b, "sluice_policy_isolated_directions", s->isolated, NULL);
}

static void render_maps(struct prom_buf *b, const struct metrics_snapshot *s)
{
	size_t i;

	if (s->n_maps) {
		prom_family(b, "sluice_map_entries", "gauge",
			    "Entries in each pinned map, counted by the agent every "
			    SLUICE_STR(METRICS_MAP_COUNT_S) " s (sluice_ct4 by its conntrack GC "
			    "pass, after expired entries are removed); "
			    "sluice_map_count_timestamp_seconds says when. Arrays count every "
			    "slot; the ring buffer sluice_events counts bytes not yet read.");
		for (i = 0; i < s->n_maps; i++)
			prom_u64(b, "sluice_map_entries", s->maps[i].entries, "map",
				 s->maps[i].name, NULL);
		prom_family(b, "sluice_map_capacity", "gauge",
			    "Most entries each pinned map holds (max_entries; --map-entries "
			    "MAP=N sets it); for the ring buffer sluice_events, bytes.");
		for (i = 0; i < s->n_maps; i++)
			prom_u64(b, "sluice_map_capacity", s->maps[i].capacity, "map",
				 s->maps[i].name, NULL);
		prom_family(b, "sluice_map_count_timestamp_seconds", "gauge",
			    "When sluice_map_entries was counted, in seconds since the Unix "
			    "epoch.");
		prom_double(b, "sluice_map_count_timestamp_seconds", s->maps_counted_at, NULL);
	}
	prom_family(b, "sluice_conntrack_gc_removed_total", "counter",
		    "Expired sluice_ct4 entries the agent's conntrack GC removed.");
	prom_u64(b, "sluice_conntrack_gc_removed_total", s->ct_gc_removed, NULL);
}

static void render_datapath(struct prom_buf *b, const struct metrics_datapath *dp)
{
	int v;

	if (dp->have_verdicts) {
		prom_family(b, "sluice_datapath_packets_total", "counter",
			    "Packets the datapath handled, per verdict (as `sluice stats show` "
			    "names them), summed over CPUs.");
		for (v = 0; v < SLUICE_VERDICT_MAX; v++)
			prom_u64(b, "sluice_datapath_packets_total", dp->verdicts[v].packets,
				 "verdict", verdict_name(v), NULL);
		prom_family(b, "sluice_datapath_bytes_total", "counter",
			    "Bytes of the packets in sluice_datapath_packets_total.");
		for (v = 0; v < SLUICE_VERDICT_MAX; v++)
			prom_u64(b, "sluice_datapath_bytes_total", dp->verdicts[v].bytes,
				 "verdict", verdict_name(v), NULL);
	}
	if (dp->have_drops) {
		prom_family(b, "sluice_drops_total", "counter",
			    "Packets dropped, per reason, summed over this node's pods "
			    "(sluice_drops); a reason appears with its first drop.");
		for (v = 0; v < SLUICE_VERDICT_MAX; v++)
			if (dp->drop_seen[v])
				prom_u64(b, "sluice_drops_total", dp->drops[v].packets, "reason",
					 verdict_name(v), NULL);
		prom_family(b, "sluice_drop_bytes_total", "counter",
			    "Bytes of the packets in sluice_drops_total.");
		for (v = 0; v < SLUICE_VERDICT_MAX; v++)
			if (dp->drop_seen[v])
				prom_u64(b, "sluice_drop_bytes_total", dp->drops[v].bytes, "reason",
					 verdict_name(v), NULL);
	}
}

int metrics_render(struct prom_buf *b, const struct metrics_snapshot *s,
		   const struct metrics_datapath *dp)
{
	render_agent(b, s);
	render_api(b, s);
	render_policy(b, s);
	render_maps(b, s);
	render_datapath(b, dp);
	return b->failed ? -ENOMEM : 0;
}

int metrics_healthz(const struct metrics_snapshot *s, double age_s, int pins_err,
		    const char *pins_why, struct prom_buf *body)
{
	if (!s->ready) {
		prom_printf(body, "not ready: %s\n", s->why[0] ? s->why : "starting");
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	if (age_s > METRICS_LOOP_STALL_S) {
		prom_printf(body, "not live: the agent's loop has not run for %.0f s\n", age_s);
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	if (pins_err) {
		prom_printf(body, "not ready: %s\n", pins_why);
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	prom_printf(body, "ok\n");
	return MHD_HTTP_OK;
}

void metrics_read_datapath(const struct sluice_pins *pins, struct metrics_datapath *dp)
{
	int fd, v;

	memset(dp, 0, sizeof(*dp));
	fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_VERDICTS));
	if (fd >= 0) {
		dp->have_verdicts = true;
		for (v = 0; v < SLUICE_VERDICT_MAX; v++)
			if (verdict_read(fd, v, &dp->verdicts[v]))
				dp->have_verdicts = false;
		close(fd);
	}
	fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_DROPS));
	if (fd >= 0) {
		dp->have_drops = !drops_by_reason(fd, dp->drops, dp->drop_seen);
		close(fd);
	}
}

/* The daemon's side */

void metrics_snapshot_caches(struct metrics_snapshot *s, const struct services *svc,
			     const struct policies *pol)
{
	static const enum k8s_kind svc_kinds[] = { K8S_KIND_SERVICE, K8S_KIND_ENDPOINTSLICE };
	static const enum k8s_kind pol_kinds[] = { K8S_KIND_POD, K8S_KIND_NAMESPACE,
						   K8S_KIND_NETWORKPOLICY };
	size_t i;

	if (svc) {
		for (i = 0; i < sizeof(svc_kinds) / sizeof(svc_kinds[0]); i++) {
			s->cached[svc_kinds[i]] = true;
			s->cache[svc_kinds[i]] = services_count(svc, svc_kinds[i]);
		}
		s->refused[METRICS_SERVICE] = svc->invalid;
	}
	if (pol) {
		for (i = 0; i < sizeof(pol_kinds) / sizeof(pol_kinds[0]); i++) {
			s->cached[pol_kinds[i]] = true;
			s->cache[pol_kinds[i]] = policies_count(pol, pol_kinds[i]);
		}
		s->refused[METRICS_POLICY] = pol->stats.invalid;
		s->identities = pol->stats.identities;
		s->policies = pol->stats.policies;
		s->isolated = pol->stats.enforced;
	}
}

void metrics_snapshot_api(struct metrics_snapshot *s, struct api_source *api)
{
	struct api_kind_stats st;
	int k;

	s->have_api = api != NULL;
	for (k = 0; api && k < K8S_KIND_MAX; k++) {
		api_source_stats(api, k, &st);
		s->api[k] = (struct metrics_api){
			.lists = st.lists,
			.relists = st.relists,
			.watch_restarts = st.watch_restarts,
			.errors = st.errors,
			.synced = st.synced,
		};
	}
}

void metrics_count_maps(struct metrics_snapshot *s, const struct sluice_pins *pins,
			long ct_entries)
{
	size_t i, n = 0;
	int fd, err;

	for (i = 0; i < sluice_map_count && n < METRICS_MAPS_MAX; i++) {
		struct map_usage u = { .name = sluice_map_names[i] };
		bool ct = ct_entries >= 0 && !strcmp(u.name, SLUICE_STR(SLUICE_MAP_CT4));

		fd = pins_open_map(pins, u.name);
		if (fd < 0)
			continue;
		err = map_usage_read(fd, !ct, &u);
		close(fd);
		if (err) {
			pr_debug("metrics: cannot count %s: %s", u.name, strerror(-err));
			continue;
		}
		if (ct)
			u.entries = (__u64)ct_entries;
		s->maps[n++] = u;
	}
	s->n_maps = n;
	s->maps_counted_at = realtime_s();
}

/* The server */

struct metrics_server {
	struct MHD_Daemon *mhd;
	const struct sluice_pins *pins;
	pthread_mutex_t lock;
	struct metrics_snapshot snap;	/* under lock */
	double published_at;		/* CLOCK_MONOTONIC seconds of snap; under lock */
};

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	pr_warn("metrics server: %s", line);
}

/* Queues body (handed to the server) with status; MHD_NO drops the connection. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status,
			       struct prom_buf *body, const char *type, bool allow_header)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (body->failed || !body->s) {
		prom_buf_free(body);
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(body->len, body->s, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		prom_buf_free(body);
		return MHD_NO;
	}
	body->s = NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow_header)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct metrics_server *m = cls;
	bool healthz = !strcmp(url, "/healthz"), metrics = !strcmp(url, "/metrics");
	struct metrics_snapshot snap;
	struct metrics_datapath dp;
	struct prom_buf body = { 0 };
	char why[512] = "";
	int pins_err = 0, status;
	double age;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (!healthz && !metrics) {
		prom_printf(&body, "not found: this server has /healthz and /metrics\n");
		return respond(c, MHD_HTTP_NOT_FOUND, &body, TEXT_PLAIN, false);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		prom_printf(&body, "method not allowed: GET or HEAD\n");
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, &body, TEXT_PLAIN, true);
	}
	pthread_mutex_lock(&m->lock);
	snap = m->snap;
	age = monotonic_s() - m->published_at;
	pthread_mutex_unlock(&m->lock);
	if (healthz) {
		if (snap.ready)
			pins_err = agent_ready(m->pins, false, why, sizeof(why));
		status = metrics_healthz(&snap, age, pins_err, why, &body);
		return respond(c, (unsigned int)status, &body, TEXT_PLAIN, false);
	}
	metrics_read_datapath(m->pins, &dp);
	metrics_render(&body, &snap, &dp);
	return respond(c, MHD_HTTP_OK, &body, TEXT_PROMETHEUS, false);
}

int metrics_server_start(const struct metrics_addr *a, const struct sluice_pins *pins,
			 struct metrics_server **out)
{
	struct metrics_server *m;
	int fd, err, one = 1;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	/* Our own socket, so a taken port fails here with its errno, before anything is pinned. */
	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/* A restarted agent must not wait out its predecessor's TIME_WAIT connections. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->sa_len) || listen(fd, METRICS_BACKLOG)) {
		err = -errno;
		close(fd);
		goto fail;
	}
	m->pins = pins;
	snprintf(m->snap.why, sizeof(m->snap.why), "starting");
	pthread_mutex_init(&m->lock, NULL);
	/*
	 * epoll where there is one: the agent holds more fds than select() takes.
	 * The logger comes first, so every message goes through it.
	 */
	m->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  answer, m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)METRICS_CONNECTIONS_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_IDLE_S,
				  MHD_OPTION_END);
	if (!m->mhd) {
		/* Its log line said why; the socket may be MHD's to close by now, so it stays. */
		err = -EIO;
		pthread_mutex_destroy(&m->lock);
		goto fail;
	}
	pr_info("serving /healthz and /metrics on http://%s", a->text);
	*out = m;
	return 0;
fail:
	pr_err("cannot serve /healthz and /metrics on %s: %s", a->text, strerror(-err));
	free(m);
	return err;
}

void metrics_publish(struct metrics_server *m, const struct metrics_snapshot *s)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->snap = *s;
	m->published_at = monotonic_s();
	pthread_mutex_unlock(&m->lock);
}

void metrics_server_stop(struct metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
