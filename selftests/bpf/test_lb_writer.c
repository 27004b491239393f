// SPDX-License-Identifier: Apache-2.0
/*
 * The LB writer against the real maps of a freshly loaded tc_pod skeleton
 * (never pinned): what one sync writes, that an unchanged sync writes
 * nothing, that backend ids survive changes and restarts, that tables are
 * swapped whole, and what happens when maps are full or two services want
 * one frontend. Desired state is built by hand, as lb_frontends_build()
 * would give it: backends sorted, one frontend per key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <sluice/abi.h>

#include "lb/lb_writer.h"
#include "tc_pod.skel.h"

/* Slots of every Maglev table: the maps' default, as the agent uses it. */
#define TABLE_SIZE SLUICE_MAGLEV_SIZE
/* Backend map size of the full-map tests: one service of 3 fits, plus one backend. */
#define SMALL_BACKEND_MAX 4
/* Frontends and backends one desired state here holds at most. */
#define FES_MAX 4
#define BES_MAX 16
/* Remnants the crash tests plant, at most, before the walk order suits them. */
#define REMNANTS_MAX 64
/* A frontend id no frontend uses: the maps hold SLUICE_FRONTEND_MAX. */
#define STRAY_FE_ID 4000
/* Backend ids of planted orphans: far above any the writer hands out here. */
#define STRAY_BE_ID 200000

/* The namespace of every service here. */
#define NS "shop"
/* Cluster IPs of three services, and an external IP (RFC 5737). */
#define WEB_IP "10.96.0.10"
#define API_IP "10.96.0.11"
#define DB_IP "10.96.0.12"
#define EXTERNAL_IP "192.0.2.10"
/* Service ports, and the port every backend listens on. */
#define HTTP_PORT 80
#define HTTPS_PORT 443
#define TARGET_PORT 8080
/* sessionAffinityConfig.clientIP.timeoutSeconds where affinity is on. */
#define AFFINITY_SECONDS 600
/* Backend b is BACKEND_NET + b + 1 (10.244.1.0/24, host order). */
#define BACKEND_NET 0x0af40100
/* The address of planted orphan backends (10.244.9.1, host order). */
#define ORPHAN_ADDR 0x0af40901
/* Backends of a frontend larger than its table: one more than it has slots. */
#define OVERSIZED_BACKENDS (TABLE_SIZE + 1)
/* Their addresses: OVERSIZED_NET + b (10.245.0.0/16, host order). */
#define OVERSIZED_NET 0x0af50000

static struct tc_pod *tw_skel;
static struct lb_maps tw_maps;
static struct lb_writer tw;
static bool tw_open;
/* Desired states made by fes_new(), freed by teardown even when a test stops early. */
static struct lb_frontends tw_states[FES_MAX];
static size_t tw_n_states;

/* ---- Setup ---- */

static void writer_open(const char *step)
{
	int err = lb_writer_open(&tw, &tw_maps, TABLE_SIZE);

	cr_assert_eq(err, 0, "%s: lb_writer_open: %s", step, strerror(-err));
	tw_open = true;
}

static void writer_close(void)
{
	if (tw_open)
		lb_writer_close(&tw);
	tw_open = false;
}

static void maps_from_skel(void)
{
	tw_maps = (struct lb_maps){
		.svc_fd = bpf_map__fd(tw_skel->maps.sluice_svc4),
		.meta_fd = bpf_map__fd(tw_skel->maps.sluice_svc_meta),
		.backend_fd = bpf_map__fd(tw_skel->maps.sluice_backend4),
		.maglev_fd = bpf_map__fd(tw_skel->maps.sluice_maglev),
	};
}

static void setup(void)
{
	tw_skel = tc_pod__open_and_load();
	cr_assert_not_null(tw_skel, "setup: tc_pod__open_and_load: %s", strerror(errno));
	maps_from_skel();
	writer_open("setup");
}

/* The same with a backend map of SMALL_BACKEND_MAX entries. */
static void setup_small(void)
{
	int err;

	tw_skel = tc_pod__open();
	cr_assert_not_null(tw_skel, "setup: tc_pod__open: %s", strerror(errno));
	err = bpf_map__set_max_entries(tw_skel->maps.sluice_backend4, SMALL_BACKEND_MAX);
	cr_assert_eq(err, 0, "setup: shrink sluice_backend4: %s", strerror(-err));
	err = tc_pod__load(tw_skel);
	cr_assert_eq(err, 0, "setup: tc_pod__load: %s", strerror(-err));
	maps_from_skel();
	writer_open("setup");
}

static void fes_free(struct lb_frontends *f);

static void teardown(void)
{
	size_t i;

	for (i = 0; i < tw_n_states; i++)
		fes_free(&tw_states[i]);
	tw_n_states = 0;
	writer_close();
	tc_pod__destroy(tw_skel);
	tw_skel = NULL;
}

TestSuite(lb_writer, .init = setup, .fini = teardown);

/* ---- Desired state, by hand ---- */

static __be32 ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "setup: %s is an IPv4 address", s);
	return a.s_addr;
}

/* Backend b of every desired state: 10.244.1.(b + 1):TARGET_PORT, so sorted by b. */
static __be32 be_addr(unsigned int b)
{
	return htonl(BACKEND_NET + b + 1);
}

static struct sluice_svc4_key key_of(const char *addr, __u16 port, __u8 proto,
				     enum sluice_svc_scope scope)
{
	/* Zeroed whole: the map hashes the padding too. */
	struct sluice_svc4_key k;

	memset(&k, 0, sizeof(k));
	k.addr = ip(addr);
	k.port = htons(port);
	k.proto = proto;
	k.scope = scope;
	return k;
}

/* A desired state of n frontends, each to be set by fe_set(). */
static struct lb_frontends *fes_new(size_t n)
{
	struct lb_frontends *f;

	cr_assert_lt(tw_n_states, FES_MAX, "setup: room for another desired state");
	f = &tw_states[tw_n_states++];
	f->items = calloc(n, sizeof(*f->items));
	cr_assert_not_null(f->items, "setup: room for %zu frontends", n);
	f->n = n;
	return f;
}

static void fes_free(struct lb_frontends *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->items[i].backends);
	free(f->items);
	f->items = NULL;
	f->n = 0;
}

/*
 * Frontend i: addr:port/TCP in scope, with the backends whose numbers are
 * set in mask (bit b: be_addr(b)), on TARGET_PORT.
 */
static struct lb_frontend *fe_set(struct lb_frontends *f, size_t i, const char *addr,
				  __u16 port, enum sluice_svc_scope scope, __u32 mask)
{
	struct lb_frontend *fe = &f->items[i];
	unsigned int b;

	free(fe->backends);
	memset(fe, 0, sizeof(*fe));
	fe->key = key_of(addr, port, IPPROTO_TCP, scope);
	fe->kind = scope == SLUICE_SCOPE_EXTERNAL ? SLUICE_SVC_EXTERNAL_IP : SLUICE_SVC_CLUSTER_IP;
	snprintf(fe->port_name, sizeof(fe->port_name), "p%u", port);
	fe->backends = calloc(BES_MAX, sizeof(*fe->backends));
	cr_assert_not_null(fe->backends, "setup: room for backends");
	for (b = 0; b < BES_MAX; b++) {
		if (!(mask & (1u << b)))
			continue;
		fe->backends[fe->n_backends++] = (struct lb_backend){
			.addr = be_addr(b),
			.port = htons(TARGET_PORT),
			.proto = IPPROTO_TCP,
		};
	}
	return fe;
}

/* One frontend WEB_IP:80 with backends mask: the usual single-port service. */
static struct lb_frontends *web_state(__u32 mask)
{
	struct lb_frontends *f = fes_new(1);

	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, mask);
	return f;
}

static void sync_ok(const char *name, const struct lb_frontends *f, const char *step)
{
	int err = lb_writer_sync(&tw, NS, name, f);

	cr_assert_eq(err, 0, "%s: sync %s/%s: %s", step, NS, name, strerror(-err));
}

/* ---- Reading the maps ---- */

static unsigned int map_count(int fd, size_t key_size)
{
	unsigned char key[sizeof(struct sluice_svc4_key)], next[sizeof(key)];
	unsigned int n = 0;
	void *prev = NULL;

	cr_assert_leq(key_size, sizeof(key), "setup: key fits");
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static bool svc_get(const struct sluice_svc4_key *k, struct sluice_svc_value *v)
{
	return !bpf_map_lookup_elem(tw_maps.svc_fd, k, v);
}

static struct sluice_svc_value svc_must(const struct lb_frontend *fe, const char *step)
{
	struct sluice_svc_value v;

	cr_assert(svc_get(&fe->key, &v), "%s: sluice_svc4 holds the frontend", step);
	return v;
}

/* The inner table's map id for frontend id, or 0 when it has none. */
static __u32 table_id(__u32 svc_id)
{
	__u32 inner = 0;

	if (bpf_map_lookup_elem(tw_maps.maglev_fd, &svc_id, &inner))
		return 0;
	return inner;
}

/* Reads frontend svc_id's table into slots[TABLE_SIZE]; returns its inner map id. */
static __u32 table_read(__u32 svc_id, __u32 *slots, const char *step)
{
	struct bpf_map_info info;
	__u32 inner = table_id(svc_id), len = sizeof(info), i;
	int fd;

	cr_assert_neq(inner, 0, "%s: sluice_maglev holds a table for frontend %u", step, svc_id);
	fd = bpf_map_get_fd_by_id(inner);
	cr_assert_geq(fd, 0, "%s: open table map %u: %s", step, inner, strerror(errno));
	memset(&info, 0, sizeof(info));
	cr_assert_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0, "%s: table info", step);
	cr_expect_eq(info.max_entries, TABLE_SIZE, "%s: table of %u slots", step, TABLE_SIZE);
	for (i = 0; i < TABLE_SIZE; i++)
		cr_assert_eq(bpf_map_lookup_elem(fd, &i, &slots[i]), 0, "%s: read slot %u", step,
			     i);
	close(fd);
	return inner;
}

/*
 * The backend ids of frontend svc_id, in the order of want's backends;
 * asserts sluice_backend4 holds exactly those, each once, with svc_id.
 */
static void backend_ids(__u32 svc_id, const struct lb_frontend *want, __u32 *ids,
			const char *step)
{
	struct sluice_backend4 v;
	__u32 id, next, *prev = NULL;
	size_t i, found = 0;

	memset(ids, 0, want->n_backends * sizeof(*ids));
	while (!bpf_map_get_next_key(tw_maps.backend_fd, prev, &next)) {
		id = next;
		prev = &id;
		cr_assert_eq(bpf_map_lookup_elem(tw_maps.backend_fd, &id, &v), 0,
			     "%s: read backend %u", step, id);
		if (v.svc_id != svc_id)
			continue;
		for (i = 0; i < want->n_backends; i++)
			if (v.addr == want->backends[i].addr && v.port == want->backends[i].port)
				break;
		cr_assert_lt(i, want->n_backends, "%s: backend %u of frontend %u is wanted", step,
			     id, svc_id);
		cr_expect_eq(ids[i], 0, "%s: backend %zu written once", step, i);
		cr_expect_neq(id, 0, "%s: backend ids start at 1", step);
		cr_expect_eq(v.proto, want->backends[i].proto, "%s: backend %u protocol", step, id);
		cr_expect_eq(v.flags, want->backends[i].flags, "%s: backend %u flags", step, id);
		ids[i] = id;
		found++;
	}
	cr_expect_eq(found, want->n_backends,
		     "%s: frontend %u has %zu backends in the map, want %zu", step, svc_id, found,
		     want->n_backends);
}

/* Every slot names one of ids[n], and each id holds its share (within one slot). */
static void expect_table(const __u32 *slots, const __u32 *ids, size_t n, const char *step)
{
	unsigned int count[BES_MAX] = { 0 };
	__u32 i;
	size_t b;

	for (i = 0; i < TABLE_SIZE; i++) {
		for (b = 0; b < n && ids[b] != slots[i]; b++)
			;
		cr_assert_lt(b, n, "%s: slot %u names backend %u, not one of the frontend's", step,
			     i, slots[i]);
		count[b]++;
	}
	for (b = 0; b < n; b++)
		cr_expect(count[b] == TABLE_SIZE / n || count[b] == TABLE_SIZE / n + 1,
			  "%s: backend %u holds %u slots, want %zu or %zu", step, ids[b], count[b],
			  TABLE_SIZE / n, TABLE_SIZE / n + 1);
}

/* What one frontend looks like in the maps after a sync. */
struct programmed {
	struct sluice_svc_value value;
	__u32 ids[BES_MAX];	/* in the order of the desired backends */
	__u32 table;		/* inner map id; 0 without backends */
};

/*
 * Checks every map for fe of service NS/name: value, metadata, backends,
 * table. Returns what it found for comparisons across steps.
 */
static struct programmed expect_programmed(const char *name, const struct lb_frontend *fe,
					   const char *step)
{
	static __u32 slots[TABLE_SIZE];
	struct programmed p;
	struct sluice_svc_meta meta;

	memset(&p, 0, sizeof(p));
	p.value = svc_must(fe, step);
	cr_expect_eq(p.value.count, fe->n_backends, "%s: value.count", step);
	cr_expect_eq(p.value.flags, fe->flags, "%s: value.flags", step);
	cr_expect_eq(p.value.affinity_timeout, fe->affinity_timeout, "%s: value.affinity_timeout",
		     step);
	cr_expect_eq(p.value.pad, 0, "%s: value.pad", step);
	cr_assert_eq(bpf_map_lookup_elem(tw_maps.meta_fd, &p.value.id, &meta), 0,
		     "%s: sluice_svc_meta holds frontend %u", step, p.value.id);
	cr_expect_str_eq(meta.namespace, NS, "%s: meta.namespace", step);
	cr_expect_str_eq(meta.name, name, "%s: meta.name", step);
	cr_expect_str_eq(meta.port_name, fe->port_name, "%s: meta.port_name", step);
	cr_expect_arr_eq(&meta.key, &fe->key, sizeof(meta.key), "%s: meta.key", step);
	cr_expect_eq(meta.kind, fe->kind, "%s: meta.kind", step);
	backend_ids(p.value.id, fe, p.ids, step);
	if (!fe->n_backends) {
		cr_expect_eq(table_id(p.value.id), 0, "%s: no table without backends", step);
		return p;
	}
	p.table = table_read(p.value.id, slots, step);
	expect_table(slots, p.ids, fe->n_backends, step);
	return p;
}

static void expect_maps_empty(const char *step)
{
	cr_expect_eq(map_count(tw_maps.svc_fd, sizeof(struct sluice_svc4_key)), 0,
		     "%s: sluice_svc4 empty", step);
	cr_expect_eq(map_count(tw_maps.meta_fd, sizeof(__u32)), 0, "%s: sluice_svc_meta empty",
		     step);
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 0, "%s: sluice_backend4 empty",
		     step);
}

/* ---- One service, changing ---- */

Test(lb_writer, sync_programs_maps_exactly)
{
	struct lb_frontends *f;
	struct lb_frontend *fe;
	struct programmed p;

	f = web_state(0x7);
	fe = &f->items[0];
	fe->flags = SLUICE_SVC_F_AFFINITY;
	fe->affinity_timeout = AFFINITY_SECONDS;
	fe->backends[1].flags = SLUICE_BACKEND_F_LOCAL;
	sync_ok("web", f, "first sync");
	p = expect_programmed("web", fe, "first sync");
	cr_expect_eq(map_count(tw_maps.svc_fd, sizeof(struct sluice_svc4_key)), 1,
		     "first sync: one frontend entry");
	cr_expect_eq(map_count(tw_maps.meta_fd, sizeof(__u32)), 1, "first sync: one meta entry");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3, "first sync: three backends");
	cr_expect(p.ids[0] != p.ids[1] && p.ids[1] != p.ids[2] && p.ids[0] != p.ids[2],
		  "first sync: backend ids differ");
	cr_expect_eq(tw.stats.frontends, 1, "first sync: stats.frontends");
	cr_expect_eq(tw.stats.backends, 3, "first sync: stats.backends");
	cr_expect_eq(tw.stats.table_swaps, 1, "first sync: one table written");
	cr_expect_eq(tw.stats.map_full + tw.stats.conflicts, 0, "first sync: nothing refused");
}

Test(lb_writer, same_state_again_writes_nothing)
{
	struct programmed before, after;
	struct lb_frontends *f;

	f = web_state(0x7);
	sync_ok("web", f, "first sync");
	before = expect_programmed("web", &f->items[0], "first sync");
	sync_ok("web", f, "same state");
	after = expect_programmed("web", &f->items[0], "same state");
	cr_expect_eq(tw.stats.table_swaps, 1, "same state: no table written");
	cr_expect_eq(after.table, before.table, "same state: the same inner map");
	cr_expect_arr_eq(after.ids, before.ids, sizeof(before.ids), "same state: same backend ids");
	cr_expect_eq(after.value.id, before.value.id, "same state: same frontend id");
}

Test(lb_writer, added_backend_keeps_ids_and_swaps_table)
{
	struct programmed before, after;
	struct lb_frontends *f;
	size_t i;

	f = web_state(0x7);
	sync_ok("web", f, "three backends");
	before = expect_programmed("web", &f->items[0], "three backends");
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0xf);
	sync_ok("web", f, "four backends");
	after = expect_programmed("web", &f->items[0], "four backends");
	for (i = 0; i < 3; i++)
		cr_expect_eq(after.ids[i], before.ids[i], "four backends: backend %zu keeps id %u",
			     i, before.ids[i]);
	for (i = 0; i < 3; i++)
		cr_expect_neq(after.ids[3], before.ids[i], "four backends: the new id is new");
	cr_expect_eq(tw.stats.table_swaps, 2, "four backends: one more table written");
	cr_expect_neq(after.table, before.table, "four backends: a new inner map swapped in");
	cr_expect_eq(after.value.id, before.value.id, "four backends: same frontend id");
	cr_expect_eq(tw.stats.backends, 4, "four backends: stats.backends");
}

Test(lb_writer, removed_backend_leaves_map_and_table)
{
	struct programmed before, after;
	struct sluice_backend4 v;
	struct lb_frontends *f;

	f = web_state(0x7);
	sync_ok("web", f, "three backends");
	before = expect_programmed("web", &f->items[0], "three backends");
	/* Drop the middle one (bit 1). */
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x5);
	sync_ok("web", f, "two backends");
	after = expect_programmed("web", &f->items[0], "two backends");
	cr_expect_eq(after.ids[0], before.ids[0], "two backends: first keeps its id");
	cr_expect_eq(after.ids[1], before.ids[2], "two backends: third keeps its id");
	cr_expect_neq(bpf_map_lookup_elem(tw_maps.backend_fd, &before.ids[1], &v), 0,
		      "two backends: removed backend %u gone from sluice_backend4", before.ids[1]);
	cr_expect_neq(after.table, before.table, "two backends: a new table swapped in");
	cr_expect_eq(tw.stats.backends, 2, "two backends: stats.backends");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 2,
		     "two backends: two entries in sluice_backend4");
}

Test(lb_writer, backend_flag_change_keeps_id_and_table)
{
	struct programmed before, after;
	struct lb_frontends *f;

	f = web_state(0x7);
	sync_ok("web", f, "ready");
	before = expect_programmed("web", &f->items[0], "ready");
	f->items[0].backends[0].flags = SLUICE_BACKEND_F_TERMINATING;
	sync_ok("web", f, "one terminating");
	after = expect_programmed("web", &f->items[0], "one terminating");
	cr_expect_arr_eq(after.ids, before.ids, sizeof(before.ids),
			 "one terminating: same backend ids");
	cr_expect_eq(after.table, before.table, "one terminating: same table");
	cr_expect_eq(tw.stats.table_swaps, 1, "one terminating: no table written");
}

Test(lb_writer, affinity_change_rewrites_value_only)
{
	struct programmed before, after;
	struct lb_frontends *f;

	f = web_state(0x7);
	sync_ok("web", f, "no affinity");
	before = expect_programmed("web", &f->items[0], "no affinity");
	f->items[0].flags = SLUICE_SVC_F_AFFINITY;
	f->items[0].affinity_timeout = AFFINITY_SECONDS;
	sync_ok("web", f, "ClientIP");
	after = expect_programmed("web", &f->items[0], "ClientIP");
	cr_expect_eq(after.table, before.table, "ClientIP: same table");
	cr_expect_eq(tw.stats.table_swaps, 1, "ClientIP: no table written");
}

Test(lb_writer, removed_service_leaves_nothing)
{
	struct programmed p;
	struct lb_frontends *f;
	int err;

	f = fes_new(2);
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x7);
	fe_set(f, 1, EXTERNAL_IP, HTTP_PORT, SLUICE_SCOPE_EXTERNAL, 0x3);
	sync_ok("web", f, "two frontends");
	p = expect_programmed("web", &f->items[0], "two frontends");
	err = lb_writer_remove(&tw, NS, "web");
	cr_assert_eq(err, 0, "remove: %s", strerror(-err));
	expect_maps_empty("remove");
	cr_expect_eq(table_id(p.value.id), 0, "remove: its table gone from sluice_maglev");
	cr_expect_eq(tw.stats.frontends, 0, "remove: stats.frontends");
	cr_expect_eq(tw.stats.backends, 0, "remove: stats.backends");
}

Test(lb_writer, frontend_dropped_from_service)
{
	struct programmed p;
	struct lb_frontends *f;

	f = fes_new(2);
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x7);
	fe_set(f, 1, WEB_IP, HTTPS_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	sync_ok("web", f, "two ports");
	p = expect_programmed("web", &f->items[1], "two ports");
	f->n = 1;
	sync_ok("web", f, "one port");
	f->n = 2;
	expect_programmed("web", &f->items[0], "one port");
	cr_expect_not(svc_get(&f->items[1].key, &p.value), "one port: the other frontend gone");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3,
		     "one port: only the remaining frontend's backends");
	cr_expect_eq(tw.stats.frontends, 1, "one port: stats.frontends");
}

Test(lb_writer, zero_backends_count_0_and_no_table)
{
	struct lb_frontends *f;
	struct programmed p;

	f = web_state(0);
	sync_ok("web", f, "no backends");
	p = expect_programmed("web", &f->items[0], "no backends");
	cr_expect_eq(p.value.count, 0, "no backends: count 0 refuses connections");
	cr_expect_eq(tw.stats.table_swaps, 0, "no backends: no table written");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 0,
		     "no backends: none in the map");
	/* Backends arriving later get a table. */
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	sync_ok("web", f, "backends arrive");
	expect_programmed("web", &f->items[0], "backends arrive");
	cr_expect_eq(tw.stats.table_swaps, 1, "backends arrive: one table written");
}

/* ---- Restarts ---- */

Test(lb_writer, restart_reads_state_back_and_writes_nothing)
{
	struct programmed web_before, https_before, api_before, after;
	struct lb_frontends *web, *api;

	web = fes_new(2);
	fe_set(web, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x7);
	fe_set(web, 1, WEB_IP, HTTPS_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	web->items[1].flags = SLUICE_SVC_F_AFFINITY;
	web->items[1].affinity_timeout = AFFINITY_SECONDS;
	api = fes_new(1);
	fe_set(api, 0, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x1f);
	sync_ok("web", web, "before restart");
	sync_ok("api", api, "before restart");
	web_before = expect_programmed("web", &web->items[0], "before restart");
	https_before = expect_programmed("web", &web->items[1], "before restart");
	api_before = expect_programmed("api", &api->items[0], "before restart");

	writer_close();
	writer_open("restart");
	cr_expect_eq(tw.stats.frontends, 3, "restart: three frontends read back");
	cr_expect_eq(tw.stats.backends, 3 + 2 + 5, "restart: ten backends read back");

	sync_ok("web", web, "after restart");
	sync_ok("api", api, "after restart");
	cr_expect_eq(tw.stats.table_swaps, 0, "after restart: no table written");
	after = expect_programmed("web", &web->items[0], "after restart");
	cr_expect_eq(after.table, web_before.table, "after restart: web:80 same table");
	cr_expect_eq(after.value.id, web_before.value.id, "after restart: web:80 same id");
	cr_expect_arr_eq(after.ids, web_before.ids, sizeof(after.ids),
			 "after restart: web:80 same backend ids");
	after = expect_programmed("web", &web->items[1], "after restart");
	cr_expect_eq(after.table, https_before.table, "after restart: web:443 same table");
	cr_expect_arr_eq(after.ids, https_before.ids, sizeof(after.ids),
			 "after restart: web:443 same backend ids");
	after = expect_programmed("api", &api->items[0], "after restart");
	cr_expect_eq(after.table, api_before.table, "after restart: api same table");
	cr_expect_arr_eq(after.ids, api_before.ids, sizeof(after.ids),
			 "after restart: api same backend ids");
	cr_expect_eq(tw.stats.frontends, 3, "after restart: still three frontends");
	cr_expect_eq(tw.stats.backends, 10, "after restart: still ten backends");
}

Test(lb_writer, restart_then_change_keeps_unchanged_ids)
{
	struct programmed before, after;
	struct lb_frontends *f;

	f = web_state(0x7);
	sync_ok("web", f, "before restart");
	before = expect_programmed("web", &f->items[0], "before restart");
	writer_close();
	writer_open("restart");
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x6);
	sync_ok("web", f, "first backend gone");
	after = expect_programmed("web", &f->items[0], "first backend gone");
	cr_expect_eq(after.ids[0], before.ids[1], "first backend gone: second keeps its id");
	cr_expect_eq(after.ids[1], before.ids[2], "first backend gone: third keeps its id");
	cr_expect_eq(tw.stats.backends, 2, "first backend gone: stats.backends");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 2,
		     "first backend gone: two in sluice_backend4");
}

Test(lb_writer, restart_prunes_services_not_synced)
{
	struct lb_frontends *web, *api, *db;
	struct sluice_svc_value v;

	web = web_state(0x7);
	api = fes_new(1);
	fe_set(api, 0, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	db = fes_new(1);
	fe_set(db, 0, DB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x1);
	sync_ok("web", web, "before restart");
	sync_ok("api", api, "before restart");
	sync_ok("db", db, "before restart");
	writer_close();
	writer_open("restart");
	sync_ok("web", web, "after restart");
	lb_writer_prune_unclaimed(&tw);
	expect_programmed("web", &web->items[0], "after prune");
	cr_expect_not(svc_get(&api->items[0].key, &v), "after prune: api gone");
	cr_expect_not(svc_get(&db->items[0].key, &v), "after prune: db gone");
	cr_expect_eq(map_count(tw_maps.svc_fd, sizeof(struct sluice_svc4_key)), 1,
		     "after prune: one frontend entry");
	cr_expect_eq(map_count(tw_maps.meta_fd, sizeof(__u32)), 1, "after prune: one meta entry");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3,
		     "after prune: web's three backends only");
	cr_expect_eq(tw.stats.frontends, 1, "after prune: stats.frontends");
	cr_expect_eq(tw.stats.backends, 3, "after prune: stats.backends");
}

/* Position of key in fd's walk order, or -1. */
static int walk_pos(int fd, __u32 key)
{
	__u32 k, next, *prev = NULL;
	int pos = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (next == key)
			return pos;
		k = next;
		prev = &k;
		pos++;
	}
	return -1;
}

Test(lb_writer, restart_drops_frontend_entry_without_metadata)
{
	struct sluice_svc4_key stray = key_of(DB_IP, HTTP_PORT, IPPROTO_TCP,
					      SLUICE_SCOPE_INTERNAL);
	struct sluice_svc_value v = { .id = STRAY_FE_ID, .count = 1 };
	struct lb_frontends *f;

	f = web_state(0x7);
	sync_ok("web", f, "before crash");
	cr_assert_eq(bpf_map_update_elem(tw_maps.svc_fd, &stray, &v, BPF_ANY), 0,
		     "setup: a frontend entry without metadata");
	writer_close();
	writer_open("restart");
	cr_expect_not(svc_get(&stray, &v), "restart: the entry nobody owns is removed");
	cr_expect_eq(tw.stats.frontends, 1, "restart: one frontend read back");
	sync_ok("web", f, "after restart");
	expect_programmed("web", &f->items[0], "after restart");
	cr_expect_eq(tw.stats.table_swaps, 0, "after restart: no table written");
}

/*
 * A crash between writing a frontend's metadata and its frontend entry
 * leaves metadata alone. The restart must drop it and keep every whole
 * frontend as it was. Remnants are planted until one comes after a whole
 * frontend in the map's walk order (hash order, random per map), which is
 * where the walk meets it mid-way.
 */
Test(lb_writer, restart_after_crash_keeps_whole_frontends)
{
	struct programmed before[FES_MAX], after;
	struct sluice_svc_meta half;
	struct lb_frontends *f;
	__u32 id, first_whole = 0;
	unsigned int n;
	size_t i;
	int min_whole = -1;

	f = fes_new(FES_MAX);
	for (i = 0; i < FES_MAX; i++)
		fe_set(f, i, WEB_IP, HTTP_PORT + i, SLUICE_SCOPE_INTERNAL, 0x3);
	sync_ok("web", f, "before crash");
	for (i = 0; i < FES_MAX; i++) {
		int pos;

		before[i] = expect_programmed("web", &f->items[i], "before crash");
		pos = walk_pos(tw_maps.meta_fd, before[i].value.id);
		if (min_whole < 0 || pos < min_whole) {
			min_whole = pos;
			first_whole = before[i].value.id;
		}
	}
	memset(&half, 0, sizeof(half));
	snprintf(half.namespace, sizeof(half.namespace), "%s", NS);
	snprintf(half.name, sizeof(half.name), "%s", "api");
	half.key = key_of(API_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL);
	for (id = STRAY_FE_ID; id < STRAY_FE_ID + REMNANTS_MAX; id++) {
		cr_assert_eq(bpf_map_update_elem(tw_maps.meta_fd, &id, &half, BPF_ANY), 0,
			     "setup: metadata without a frontend entry");
		if (walk_pos(tw_maps.meta_fd, id) > walk_pos(tw_maps.meta_fd, first_whole))
			break;
	}
	cr_assert_lt(id, STRAY_FE_ID + REMNANTS_MAX, "setup: a remnant after a whole frontend");

	writer_close();
	writer_open("restart");
	cr_expect_eq(tw.stats.frontends, FES_MAX,
		     "restart: the %d whole frontends read back, got %lu", FES_MAX,
		     tw.stats.frontends);
	n = map_count(tw_maps.meta_fd, sizeof(__u32));
	cr_expect_eq(n, FES_MAX, "restart: metadata of the %d whole frontends only, %u left",
		     FES_MAX, n);
	for (i = 0; i < FES_MAX; i++) {
		after = expect_programmed("web", &f->items[i], "restart, before any sync");
		cr_expect_eq(after.table, before[i].table, "restart: frontend %zu keeps its table",
			     i);
	}
	sync_ok("web", f, "after restart");
	cr_expect_eq(tw.stats.table_swaps, 0, "after restart: no table written, %lu were",
		     tw.stats.table_swaps);
}

/*
 * A crash between writing new backends and the table naming them leaves
 * backends of no frontend. The restart must drop them and read every other
 * backend back once.
 */
Test(lb_writer, restart_after_crash_drops_orphan_backends)
{
	struct programmed before, after;
	struct sluice_backend4 orphan = {
		.addr = htonl(ORPHAN_ADDR), .port = htons(TARGET_PORT), .proto = IPPROTO_TCP,
		.svc_id = STRAY_FE_ID,
	};
	struct lb_frontends *f;
	__u32 id, first_whole;
	size_t i;
	int min_whole = -1;

	f = web_state(0xff);
	sync_ok("web", f, "before crash");
	before = expect_programmed("web", &f->items[0], "before crash");
	first_whole = before.ids[0];
	for (i = 0; i < f->items[0].n_backends; i++) {
		int pos = walk_pos(tw_maps.backend_fd, before.ids[i]);

		if (min_whole < 0 || pos < min_whole) {
			min_whole = pos;
			first_whole = before.ids[i];
		}
	}
	for (id = STRAY_BE_ID; id < STRAY_BE_ID + REMNANTS_MAX; id++) {
		cr_assert_eq(bpf_map_update_elem(tw_maps.backend_fd, &id, &orphan, BPF_ANY), 0,
			     "setup: a backend of no frontend");
		if (walk_pos(tw_maps.backend_fd, id) > walk_pos(tw_maps.backend_fd, first_whole))
			break;
	}
	cr_assert_lt(id, STRAY_BE_ID + REMNANTS_MAX, "setup: an orphan after a whole backend");

	writer_close();
	writer_open("restart");
	cr_expect_eq(tw.stats.backends, f->items[0].n_backends,
		     "restart: %zu backends read back, got %lu", f->items[0].n_backends,
		     tw.stats.backends);
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), f->items[0].n_backends,
		     "restart: orphans removed from sluice_backend4");
	sync_ok("web", f, "after restart");
	after = expect_programmed("web", &f->items[0], "after restart");
	cr_expect_eq(tw.stats.table_swaps, 0, "after restart: no table written, %lu were",
		     tw.stats.table_swaps);
	cr_expect_eq(after.table, before.table, "after restart: same table");
	cr_expect_eq(tw.stats.backends, f->items[0].n_backends,
		     "after restart: stats.backends %lu, want %zu", tw.stats.backends,
		     f->items[0].n_backends);
}

/* ---- Conflicts and full maps ---- */

Test(lb_writer, two_services_one_frontend_first_keeps_it)
{
	struct lb_frontends *web, *api;
	struct programmed p;
	struct sluice_svc_meta meta;
	int err;

	web = web_state(0x7);
	api = fes_new(2);
	/* api claims web's frontend (with other backends) and one of its own. */
	fe_set(api, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x30);
	fe_set(api, 1, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x30);
	sync_ok("web", web, "web");
	p = expect_programmed("web", &web->items[0], "web");
	sync_ok("api", api, "api");
	cr_expect_eq(tw.stats.conflicts, 1, "api: one conflict counted");
	expect_programmed("web", &web->items[0], "api: web keeps its frontend");
	expect_programmed("api", &api->items[1], "api: its own frontend programmed");
	err = lb_writer_remove(&tw, NS, "api");
	cr_assert_eq(err, 0, "remove api: %s", strerror(-err));
	expect_programmed("web", &web->items[0], "remove api: web's frontend untouched");
	cr_expect_eq(bpf_map_lookup_elem(tw_maps.meta_fd, &p.value.id, &meta), 0,
		     "remove api: web's metadata stays");
	err = lb_writer_remove(&tw, NS, "web");
	cr_assert_eq(err, 0, "remove web: %s", strerror(-err));
	expect_maps_empty("remove web");
}

Test(lb_writer, full_backend_map_leaves_out_what_does_not_fit, .init = setup_small)
{
	struct lb_frontends *web, *api, *db;
	struct sluice_svc_value v;

	web = web_state(0x7);
	api = fes_new(1);
	fe_set(api, 0, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	db = fes_new(1);
	fe_set(db, 0, DB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x1);
	sync_ok("web", web, "web (3 of 4)");
	sync_ok("api", api, "api (2 more)");
	cr_expect_eq(tw.stats.map_full, 1, "api: counted as left out");
	cr_expect_not(svc_get(&api->items[0].key, &v), "api: its frontend left out");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3,
		     "api: none of its backends left behind");
	cr_expect_eq(map_count(tw_maps.meta_fd, sizeof(__u32)), 1, "api: no metadata left behind");
	expect_programmed("web", &web->items[0], "api: web untouched");
	sync_ok("db", db, "db (1 more)");
	expect_programmed("db", &db->items[0], "db: fits and is programmed");
	cr_expect_eq(tw.stats.map_full, 1, "db: nothing more left out");
	cr_expect_eq(tw.stats.backends, SMALL_BACKEND_MAX, "db: the map is full");
}

Test(lb_writer, partly_fitting_service_is_removed_whole, .init = setup_small)
{
	struct lb_frontends *web, *api;
	struct sluice_svc_value v;
	int err;

	web = web_state(0x7);
	api = fes_new(2);
	/* Its first frontend needs two backends, one more than is left; the second fits. */
	fe_set(api, 0, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x30);
	fe_set(api, 1, API_IP, HTTPS_PORT, SLUICE_SCOPE_INTERNAL, 0x40);
	sync_ok("web", web, "web (3 of 4)");
	sync_ok("api", api, "api");
	cr_expect_eq(tw.stats.map_full, 1, "api: one frontend left out");
	cr_expect_not(svc_get(&api->items[0].key, &v), "api: the one that does not fit");
	expect_programmed("api", &api->items[1], "api: the one that fits");
	err = lb_writer_remove(&tw, NS, "api");
	cr_assert_eq(err, 0, "remove api: %s", strerror(-err));
	cr_expect_not(svc_get(&api->items[1].key, &v), "remove api: its frontend gone");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3,
		     "remove api: web's three backends remain");
	expect_programmed("web", &web->items[0], "remove api: web untouched");
}

/*
 * A frontend with more endpoints than its table has slots cannot be
 * balanced as asked; whatever the writer does with it, the service's other
 * frontends must still be applied and the sync must not fail as if the
 * maps had (README: "everything else is applied").
 */
Test(lb_writer, oversized_frontend_does_not_stop_the_rest)
{
	struct lb_frontends *f = fes_new(2);
	struct lb_frontend *big = &f->items[0];
	size_t b;
	int err;

	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0);
	fe_set(f, 1, WEB_IP, HTTPS_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	free(big->backends);
	big->backends = calloc(OVERSIZED_BACKENDS, sizeof(*big->backends));
	cr_assert_not_null(big->backends, "setup: room for %d backends", OVERSIZED_BACKENDS);
	for (b = 0; b < OVERSIZED_BACKENDS; b++)
		big->backends[b] = (struct lb_backend){
			.addr = htonl(OVERSIZED_NET + b),
			.port = htons(TARGET_PORT),
			.proto = IPPROTO_TCP,
		};
	big->n_backends = OVERSIZED_BACKENDS;
	err = lb_writer_sync(&tw, NS, "web", f);
	cr_expect_eq(err, 0, "sync: %d endpoints on one port are no map failure, got %s",
		     OVERSIZED_BACKENDS, strerror(-err));
	expect_programmed("web", &f->items[1], "sync: the other port is programmed");
}
