/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's /healthz and /metrics (--metrics-address), in the Prometheus
 * text exposition format 0.0.4, and the map and drop readings that
 * `sluice status` shares with them.
 *
 * Threads: the HTTP server runs in libmicrohttpd's own thread, never in the
 * daemon's poll loop. One reconcile (a relist of thousands of services, a
 * policy flush over every pod) can hold that loop for seconds, and a
 * liveness probe must still get its answer then. The server thread touches
 * nothing of the daemon's: it reads a snapshot the loop publishes under a
 * mutex (a copy of a few kilobytes, once per loop pass), and reads the
 * datapath's counters from the pinned maps itself (the kernel serialises
 * map access).
 *
 * The rendering is a pure function of numbers, so it is unit-tested on
 * text alone; the Prometheus writer is prom_text.h, the map readings
 * map_usage.h.
 */
#ifndef SLUICE_AGENT_METRICS_H
#define SLUICE_AGENT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <sluice/abi.h>

#include "agent/map_usage.h"
#include "agent/prom_text.h"
#include "k8s/object.h"
#include "lib/pins.h"

/*
 * The default port: in Prometheus's exporter range and clear of what runs
 * on every Kubernetes node (kubelet 10248/10250, kube-proxy 10249/10256,
 * which sluice may run beside while a cluster migrates, node-exporter
 * 9100). 9962-9965 are Cilium's, another node dataplane that owns the same
 * TC hooks and so never shares a node with sluice.
 */
#define METRICS_PORT_DEFAULT 9964
/* Only the node itself by default: counters name pods and policies. */
#define METRICS_ADDRESS_DEFAULT "127.0.0.1:9964"
/* "[IPv6]:PORT" at its longest, and a NUL. */
#define METRICS_ADDR_TEXT_LEN 64
/* Room for why the agent is not ready. */
#define METRICS_WHY_LEN 160
/* Maps a snapshot has room for (every pinned map; sluice has 19). */
#define METRICS_MAPS_MAX 32
/*
 * How often the agent counts every map's entries (with its conntrack GC
 * pass, daemon.c checks): /metrics's HELP text says so.
 */
#define METRICS_MAP_COUNT_S 10
/* A map at or above this fill (percent) gets `sluice status`'s warning. */
#define METRICS_FILL_WARN_PCT 90
/*
 * /healthz fails when the agent's loop has published nothing for this long.
 * It publishes before every wait, and waits 5 s at most (the endpoint
 * sync); a full resync of 10,000 services takes about a second, so a
 * minute without a pass means the loop hangs, and the liveness probe
 * should restart the agent.
 */
#define METRICS_LOOP_STALL_S 60

/* --metrics-address: where to listen, or off. */
struct metrics_addr {
	bool off;
	struct sockaddr_storage sa;
	socklen_t sa_len;
	char text[METRICS_ADDR_TEXT_LEN];	/* as logged: "127.0.0.1:9964", "[::1]:9964" */
};

/*
 * HOST:PORT with HOST a numeric IPv4 address or a bracketed IPv6 one
 * ("0.0.0.0:9964", "[::]:9964" for every address) and PORT 1-65535, or
 * "off". 0, or -EINVAL with the reason in why.
 */
int metrics_addr_parse(const char *arg, struct metrics_addr *a, char *why, size_t why_len);

/* The two reconcilers whose flushes are timed and whose refusals are counted. */
enum metrics_reconciler {
	METRICS_SERVICE,	/* Services and EndpointSlices */
	METRICS_POLICY,		/* Pods, Namespaces and NetworkPolicies */
	METRICS_RECONCILERS,
};

/* One API resource's counters (k8s/api_watch.h struct api_kind_stats). */
struct metrics_api {
	__u64 lists, relists, watch_restarts, errors;
	bool synced;
};

/* What the daemon's loop publishes: its own state, as numbers. */
struct metrics_snapshot {
	bool ready;			/* first sync done: /healthz may say ok */
	char why[METRICS_WHY_LEN];	/* not ready: why */
	double start_time;		/* seconds since the Unix epoch */
	bool cached[K8S_KIND_MAX];	/* kinds the agent caches */
	__u64 cache[K8S_KIND_MAX];	/* objects in its caches */
	__u64 refused[METRICS_RECONCILERS];
	struct metrics_histogram reconcile[METRICS_RECONCILERS];
	bool have_api;			/* --kubeconfig or --in-cluster */
	struct metrics_api api[K8S_KIND_MAX];
	__u64 identities, policies, isolated;
	__u64 ct_gc_removed;
	struct map_usage maps[METRICS_MAPS_MAX];
	size_t n_maps;			/* 0 until the first count */
	double maps_counted_at;		/* seconds since the Unix epoch */
};

/* What the datapath counted, read from the pins at scrape time. */
struct metrics_datapath {
	bool have_verdicts;
	struct sluice_counter verdicts[SLUICE_VERDICT_MAX];
	bool have_drops;
	bool drop_seen[SLUICE_VERDICT_MAX];	/* a counter exists for this reason */
	struct sluice_counter drops[SLUICE_VERDICT_MAX];	/* summed over endpoints and CPUs */
};

/* The whole /metrics page. 0, or -ENOMEM. */
int metrics_render(struct prom_buf *b, const struct metrics_snapshot *s,
		   const struct metrics_datapath *dp);
/*
 * The /healthz answer: 200 "ok" when the snapshot is ready, the loop
 * published it less than METRICS_LOOP_STALL_S ago (age_s) and the pins are
 * in place (pins_err 0), else 503 with why.
 */
int metrics_healthz(const struct metrics_snapshot *s, double age_s, int pins_err,
		    const char *pins_why, struct prom_buf *body);

/* Verdict counters and drops from the pins; what cannot be read is left out. */
void metrics_read_datapath(const struct sluice_pins *pins, struct metrics_datapath *dp);

struct services;
struct policies;
struct api_source;

/* The daemon's caches, refusals and policy numbers into the snapshot (either may be NULL). */
void metrics_snapshot_caches(struct metrics_snapshot *s, const struct services *svc,
			     const struct policies *pol);
/* The API source's counters (NULL: no API source). */
void metrics_snapshot_api(struct metrics_snapshot *s, struct api_source *api);
/*
 * Counts every pinned map into the snapshot. ct_entries >= 0 is
 * sluice_ct4's count from the conntrack GC pass, so that map is not walked
 * twice; a negative value has it counted here.
 */
void metrics_count_maps(struct metrics_snapshot *s, const struct sluice_pins *pins,
			long ct_entries);

struct metrics_server;

/*
 * Listens on a (logged as it fails) and serves from a thread of its own.
 * Call with SIGTERM and SIGINT blocked, so the thread never takes them.
 * 0, or a negative errno.
 */
int metrics_server_start(const struct metrics_addr *a, const struct sluice_pins *pins,
			 struct metrics_server **out);
/* Hands the server a copy of s, for every request from now on. */
void metrics_publish(struct metrics_server *m, const struct metrics_snapshot *s);
/* Stops serving (NULL is fine). */
void metrics_server_stop(struct metrics_server *m);

#endif
