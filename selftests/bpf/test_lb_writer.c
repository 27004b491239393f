// SPDX-License-Identifier: Apache-2.0
/*
 * The LB writer against the real maps of a freshly loaded tc_pod skeleton
 * (never pinned): what one sync writes, that an unchanged sync writes
 * nothing, that backend ids survive changes and restarts, that a table is
 * replaced whole only when its backends change, that many frontends added
 * in one flush share one write to sluice_maglev, that missing tables come
 * back when the writer opens, and what happens when maps are full, a table
 * is refused or two services want one frontend. Desired state is built by hand, as
 * lb_frontends_build() would give it: backends sorted, one frontend per key.
 */
#include <errno.h>
#include <sched.h>
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
/* sluice_maglev's size in the full-table test: two tables fit, the third does not. */
#define SMALL_TABLE_MAX 2
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
/* Services of the many-services tests (one frontend each), and those of a smaller batch. */
#define MANY_SERVICES 200
/* Services of the threaded-commit test: tables enough to keep every helper busy. */
#define PARALLEL_SERVICES 1100
#define SMALL_BATCH 64
/* Service i's cluster IP is MANY_NET + i (10.96.16.0/20, host order). */
#define MANY_NET 0x0a601000
/* Its three backends: bits 0-2, as a single-port service usually has. */
#define THREE_BACKENDS 0x7
/* A --maglev-table-size other than the default, as after a restart that changed it. */
#define OTHER_TABLE_SIZE 251

static struct tc_pod *tw_skel;
static struct lb_maps tw_maps;
static struct lb_writer tw;
static bool tw_open;
/* Desired states made by fes_new(), freed by teardown even when a test stops early. */
static struct lb_frontends tw_states[FES_MAX];
static size_t tw_n_states;
/* The many-services tests' desired states, one service each, freed by teardown too. */
static struct lb_frontends tw_many[PARALLEL_SERVICES];

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

static void teardown(void);

/*
 * The suite's maps with one map resized. Criterion runs the suite's setup
 * first: what it made is released, not leaked.
 */
static void setup_resized(const char *map, __u32 entries)
{
	int err;

	teardown();
	tw_skel = tc_pod__open();
	cr_assert_not_null(tw_skel, "setup: tc_pod__open: %s", strerror(errno));
	err = bpf_map__set_max_entries(bpf_object__find_map_by_name(tw_skel->obj, map), entries);
	cr_assert_eq(err, 0, "setup: resize %s: %s", map, strerror(-err));
	err = tc_pod__load(tw_skel);
	cr_assert_eq(err, 0, "setup: tc_pod__load: %s", strerror(-err));
	maps_from_skel();
	writer_open("setup");
}

/* A backend map of SMALL_BACKEND_MAX entries. */
static void setup_small(void)
{
	setup_resized(SLUICE_STR(SLUICE_MAP_BACKEND4), SMALL_BACKEND_MAX);
}

/* Room for SMALL_TABLE_MAX Maglev tables. */
static void setup_few_tables(void)
{
	setup_resized(SLUICE_STR(SLUICE_MAP_MAGLEV), SMALL_TABLE_MAX);
}

static void fes_free(struct lb_frontends *f);

static void teardown(void)
{
	size_t i;

	for (i = 0; i < tw_n_states; i++)
		fes_free(&tw_states[i]);
	tw_n_states = 0;
	for (i = 0; i < PARALLEL_SERVICES; i++)
		fes_free(&tw_many[i]);
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

/* One service synced and committed: a flush of one. */
static void sync_ok(const char *name, const struct lb_frontends *f, const char *step)
{
	int err = lb_writer_sync(&tw, NS, name, f);

	cr_assert_eq(err, 0, "%s: sync %s/%s: %s", step, NS, name, strerror(-err));
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "%s: commit %s/%s: %s", step, NS, name, strerror(-err));
}

/* One service removed and committed. */
static void remove_ok(const char *name, const char *step)
{
	int err = lb_writer_remove(&tw, NS, name);

	cr_assert_eq(err, 0, "%s: remove %s/%s: %s", step, NS, name, strerror(-err));
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "%s: commit %s/%s: %s", step, NS, name, strerror(-err));
}

/* ---- Many services ---- */

static void many_name(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "svc-%zu", i);
}

/* Service svc-i: one frontend MANY_NET + i:80 with backends mask. */
static struct lb_frontends *many_state(size_t i, __u32 mask)
{
	struct lb_frontends *f = &tw_many[i];
	char addr[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(MANY_NET + (__u32)i) };

	if (!f->items) {
		f->items = calloc(1, sizeof(*f->items));
		cr_assert_not_null(f->items, "setup: room for svc-%zu", i);
		f->n = 1;
	}
	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	fe_set(f, 0, addr, HTTP_PORT, SLUICE_SCOPE_INTERNAL, mask);
	return f;
}

/* Syncs services svc-0 .. svc-(n-1) with want(i) as one flush would, without its commit. */
static void many_sync(size_t n, const struct lb_frontends *(*want)(size_t), const char *step)
{
	char name[32];
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		many_name(i, name, sizeof(name));
		err = lb_writer_sync(&tw, NS, name, want(i));
		cr_assert_eq(err, 0, "%s: sync %s: %s", step, name, strerror(-err));
	}
}

static const struct lb_frontends *many_three(size_t i)
{
	return many_state(i, THREE_BACKENDS);
}

static const struct lb_frontends *many_none(size_t i)
{
	static const struct lb_frontends none;

	(void)i;
	return &none;
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

/* Reads frontend svc_id's table of size slots into slots[size]. */
static void table_slots(__u32 svc_id, __u32 *slots, __u32 size, const char *step)
{
	cr_assert_eq(bpf_map_lookup_elem(tw_maps.maglev_fd, &svc_id, slots), 0,
		     "%s: sluice_maglev holds a table of %u slots for frontend %u: %s", step, size,
		     svc_id, strerror(errno));
}

/* A fingerprint of a table's slots (FNV-1a): equal tables, equal fingerprints. */
static __u64 table_print(const __u32 *slots, __u32 size)
{
	const unsigned char *p = (const unsigned char *)slots;
	__u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < size * sizeof(*slots); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Reads frontend svc_id's table into slots[TABLE_SIZE]; returns its fingerprint. */
static __u64 table_read(__u32 svc_id, __u32 *slots, const char *step)
{
	table_slots(svc_id, slots, TABLE_SIZE, step);
	return table_print(slots, TABLE_SIZE);
}

/* Frontend svc_id (gone, or without backends) has no table. */
static void expect_no_table(__u32 svc_id, const char *step)
{
	static __u32 slots[TABLE_SIZE];

	cr_expect_neq(bpf_map_lookup_elem(tw_maps.maglev_fd, &svc_id, slots), 0,
		      "%s: frontend %u has no table", step, svc_id);
}

/* Every slot names a backend that sluice_backend4 holds. */
static void expect_slots_live(const __u32 *slots, __u32 size, const char *step)
{
	struct sluice_backend4 v;
	__u32 i;

	for (i = 0; i < size; i++)
		cr_expect_eq(bpf_map_lookup_elem(tw_maps.backend_fd, &slots[i], &v), 0,
			     "%s: slot %u names backend %u, which sluice_backend4 lacks", step, i,
			     slots[i]);
}

/* How many tables sluice_maglev holds. */
static unsigned int tables_held(void)
{
	return map_count(tw_maps.maglev_fd, sizeof(__u32));
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
static void expect_table(const __u32 *slots, __u32 size, const __u32 *ids, size_t n,
			 const char *step)
{
	unsigned int count[BES_MAX] = { 0 };
	__u32 i;
	size_t b;

	for (i = 0; i < size; i++) {
		for (b = 0; b < n && ids[b] != slots[i]; b++)
			;
		cr_assert_lt(b, n, "%s: slot %u names backend %u, not one of the frontend's", step,
			     i, slots[i]);
		count[b]++;
	}
	for (b = 0; b < n; b++)
		cr_expect(count[b] == size / n || count[b] == size / n + 1,
			  "%s: backend %u holds %u slots, want %zu or %zu", step, ids[b], count[b],
			  size / n, size / n + 1);
}

/* What one frontend looks like in the maps after a sync. */
struct programmed {
	struct sluice_svc_value value;
	__u32 ids[BES_MAX];	/* in the order of the desired backends */
	__u64 table;		/* its table's fingerprint; 0 without backends */
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
		expect_no_table(p.value.id, step);
		return p;
	}
	p.table = table_read(p.value.id, slots, step);
	expect_table(slots, TABLE_SIZE, p.ids, fe->n_backends, step);
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
	cr_expect_eq(tw.stats.maglev_writes, 1, "same state: no write to sluice_maglev");
	cr_expect_eq(after.table, before.table, "same state: the same table");
	cr_expect_arr_eq(after.ids, before.ids, sizeof(before.ids), "same state: same backend ids");
	cr_expect_eq(after.value.id, before.value.id, "same state: same frontend id");
}

Test(lb_writer, added_backend_keeps_ids_and_replaces_the_table)
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
	cr_expect_eq(tw.stats.table_swaps, 2, "four backends: the table replaced");
	cr_expect_eq(tw.stats.maglev_writes, 2, "four backends: one more write to sluice_maglev");
	cr_expect_neq(after.table, before.table, "four backends: other slots");
	cr_expect_eq(after.value.id, before.value.id, "four backends: same frontend id");
	cr_expect_eq(tw.stats.backends, 4, "four backends: stats.backends");
}

/*
 * Two backends replaced by two others: one write replaces the table, whose
 * every slot names a backend that exists, with Maglev's small disruption:
 * most slots keep their backend. The replaced backends are gone after.
 */
Test(lb_writer, replaced_backends_swap_the_table_whole)
{
	static __u32 old_slots[TABLE_SIZE], new_slots[TABLE_SIZE];
	struct programmed before, after;
	struct sluice_backend4 v;
	struct lb_frontends *f;
	unsigned long writes0;
	unsigned int changed = 0, i;

	f = web_state(0xff);
	sync_ok("web", f, "eight backends");
	before = expect_programmed("web", &f->items[0], "eight backends");
	table_read(before.value.id, old_slots, "eight backends");
	writes0 = tw.stats.maglev_writes;
	/* Backends 0 and 1 go, 8 and 9 come. */
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x3fc);
	sync_ok("web", f, "two replaced");
	after = expect_programmed("web", &f->items[0], "two replaced");
	table_read(after.value.id, new_slots, "two replaced");
	for (i = 0; i < TABLE_SIZE; i++)
		changed += old_slots[i] != new_slots[i];
	/* Two of eight backends' slots (a quarter) must move; Maglev moves a little more. */
	cr_expect(changed >= TABLE_SIZE / 4 && changed < TABLE_SIZE / 2,
		  "two replaced: %u of %u slots move", changed, TABLE_SIZE);
	expect_slots_live(new_slots, TABLE_SIZE, "two replaced");
	cr_expect_eq(tw.stats.maglev_writes - writes0, 1, "two replaced: one write");
	for (i = 0; i < 2; i++)
		cr_expect_neq(bpf_map_lookup_elem(tw_maps.backend_fd, &before.ids[i], &v), 0,
			      "two replaced: removed backend %u gone", before.ids[i]);
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 8,
		     "two replaced: eight backends in sluice_backend4");
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
	cr_expect_eq(tw.stats.table_swaps, 2, "two backends: the table replaced");
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

	f = fes_new(2);
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x7);
	fe_set(f, 1, EXTERNAL_IP, HTTP_PORT, SLUICE_SCOPE_EXTERNAL, 0x3);
	sync_ok("web", f, "two frontends");
	p = expect_programmed("web", &f->items[0], "two frontends");
	remove_ok("web", "remove");
	expect_maps_empty("remove");
	expect_no_table(p.value.id, "remove");
	cr_expect_eq(tables_held(), 0, "remove: no table left");
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
	/* And leaving again takes the table with them. */
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0);
	sync_ok("web", f, "backends gone");
	p = expect_programmed("web", &f->items[0], "backends gone");
	cr_expect_eq(p.value.count, 0, "backends gone: count 0");
	cr_expect_eq(tables_held(), 0, "backends gone: no table left");
}

/* ---- Many frontends in one flush ---- */

/*
 * A flush that adds many services writes all their backends with one
 * system call and then all their tables with one more, and nothing is
 * written before the commit: no frontend appears before its table is in.
 */
Test(lb_writer, many_new_frontends_share_one_maglev_write)
{
	char name[32];
	size_t i;
	int err;

	many_sync(MANY_SERVICES, many_three, "flush");
	cr_expect_eq(map_count(tw_maps.svc_fd, sizeof(struct sluice_svc4_key)), 0,
		     "before commit: no frontend entry yet");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 0,
		     "before commit: no backend written yet");
	cr_expect_eq(tw.stats.maglev_writes + tw.stats.backend_writes, 0,
		     "before commit: nothing written");
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "commit: %s", strerror(-err));
	cr_expect_eq(tw.stats.backend_writes, 1, "commit: one write to sluice_backend4, got %lu",
		     tw.stats.backend_writes);
	cr_expect_eq(tw.stats.maglev_writes, 1, "commit: one write to sluice_maglev, got %lu",
		     tw.stats.maglev_writes);
	cr_expect_eq(tw.stats.table_swaps, MANY_SERVICES, "commit: a table per frontend");
	cr_expect_eq(tw.stats.frontends, MANY_SERVICES, "commit: stats.frontends");
	for (i = 0; i < MANY_SERVICES; i++) {
		many_name(i, name, sizeof(name));
		expect_programmed(name, &tw_many[i].items[0], "commit");
	}
}

/* A flush removing many services takes their entries, tables and backends at once. */
Test(lb_writer, many_removed_frontends_leave_no_table)
{
	__u32 ids[MANY_SERVICES];
	size_t i;
	int err;

	many_sync(MANY_SERVICES, many_three, "add");
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "add: commit: %s", strerror(-err));
	for (i = 0; i < MANY_SERVICES; i++)
		ids[i] = svc_must(&tw_many[i].items[0], "add").id;
	cr_expect_eq(tables_held(), MANY_SERVICES, "add: a table per frontend");
	many_sync(MANY_SERVICES, many_none, "remove");
	expect_maps_empty("remove, before commit");
	cr_expect_eq(tables_held(), 0, "remove, before commit: no table left");
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "remove: commit: %s", strerror(-err));
	cr_expect_eq(tw.stats.maglev_writes, 1, "remove: no table written, got %lu writes",
		     tw.stats.maglev_writes);
	for (i = 0; i < MANY_SERVICES; i++)
		expect_no_table(ids[i], "remove");
	cr_expect_eq(tw.stats.frontends, 0, "remove: stats.frontends");
	cr_expect_eq(tw.stats.backends, 0, "remove: stats.backends");
}

/*
 * Many tables are computed by the writer's helper threads (one per CPU
 * beyond the first, up to 3) while it stages more; each table is still its
 * own frontend's: its slots name that frontend's backends only, in equal
 * shares. (Checked from the table outwards: a full walk of the backend map
 * per frontend would take minutes here.)
 */
Test(lb_writer, large_commit_computes_tables_on_threads)
{
	static __u32 slots[TABLE_SIZE];
	struct sluice_backend4 be;
	struct sluice_svc_value v;
	__u32 ids[BES_MAX];
	cpu_set_t cpus;
	size_t i, n, b;
	__u32 k;
	int err;

	if (!sched_getaffinity(0, sizeof(cpus), &cpus) && CPU_COUNT(&cpus) > 1)
		cr_expect_gt(work_pool_helpers(tw.pool), 0, "a helper thread per further CPU");
	many_sync(PARALLEL_SERVICES, many_three, "flush");
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "commit: %s", strerror(-err));
	cr_expect_eq(tw.stats.table_swaps, PARALLEL_SERVICES, "commit: a table per frontend");
	cr_expect_eq(tw.stats.maglev_writes,
		     (PARALLEL_SERVICES + tw.tables_per_commit - 1) / tw.tables_per_commit,
		     "commit: one write per %zu tables, got %lu", tw.tables_per_commit,
		     tw.stats.maglev_writes);
	for (i = 0; i < PARALLEL_SERVICES; i++) {
		v = svc_must(&tw_many[i].items[0], "commit");
		table_read(v.id, slots, "commit");
		for (n = 0, k = 0; k < TABLE_SIZE; k++) {
			for (b = 0; b < n && ids[b] != slots[k]; b++)
				;
			if (b < n)
				continue;
			cr_assert_lt(n, 3, "commit: frontend %u's table names a 4th backend", v.id);
			cr_assert_eq(bpf_map_lookup_elem(tw_maps.backend_fd, &slots[k], &be), 0,
				     "commit: slot %u names backend %u, which is missing", k, slots[k]);
			cr_assert_eq(be.svc_id, v.id, "commit: frontend %u's table names backend %u of "
				     "frontend %u", v.id, slots[k], be.svc_id);
			ids[n++] = slots[k];
		}
		cr_expect_eq(n, 3, "commit: frontend %u's table names %zu backends", v.id, n);
		expect_table(slots, TABLE_SIZE, ids, n, "commit");
	}
}

/*
 * A commit takes tables_per_commit tables at most: when twice that wait,
 * the older half is committed while the newer one's tables are computed.
 */
Test(lb_writer, staged_tables_commit_in_chunks)
{
	unsigned int before;
	char name[32];
	size_t i;
	int err;

	tw.tables_per_commit = SMALL_BATCH;
	many_sync(MANY_SERVICES, many_three, "flush");
	before = map_count(tw_maps.svc_fd, sizeof(struct sluice_svc4_key));
	cr_expect_geq(before, SMALL_BATCH, "sync: older chunks committed as it went, %u", before);
	cr_expect_eq(before % SMALL_BATCH, 0, "sync: whole chunks committed, %u frontends", before);
	cr_expect_leq(MANY_SERVICES - before, 2 * SMALL_BATCH,
		      "sync: at most two chunks wait, %u do", MANY_SERVICES - before);
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "commit: %s", strerror(-err));
	cr_expect_eq(tw.stats.maglev_writes, (MANY_SERVICES + SMALL_BATCH - 1) / SMALL_BATCH,
		     "commit: one write per %d tables, got %lu", SMALL_BATCH,
		     tw.stats.maglev_writes);
	for (i = 0; i < MANY_SERVICES; i++) {
		many_name(i, name, sizeof(name));
		expect_programmed(name, &tw_many[i].items[0], "commit");
	}
}

/* A service synced again before the commit: its staged frontend is committed first. */
Test(lb_writer, second_sync_before_commit_commits_the_first)
{
	struct lb_frontends *f = web_state(0x7);
	int err;

	err = lb_writer_sync(&tw, NS, "web", f);
	cr_assert_eq(err, 0, "first sync: %s", strerror(-err));
	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0xe);
	sync_ok("web", f, "second sync");
	expect_programmed("web", &f->items[0], "second sync");
	cr_expect_eq(tw.stats.table_swaps, 2, "second sync: the first table, then the second");
	cr_expect_eq(tw.stats.maglev_writes, 2, "second sync: a write for each");
	cr_expect_eq(tw.stats.backends, 3, "second sync: stats.backends");
}

/* A key one service drops and another takes in the same flush gets a new id and table. */
Test(lb_writer, key_moves_between_services_in_one_flush)
{
	struct lb_frontends *web = web_state(0x7), *shop = fes_new(1);
	struct programmed before, after;
	int err;

	fe_set(shop, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x30);
	sync_ok("web", web, "web");
	before = expect_programmed("web", &web->items[0], "web");
	err = lb_writer_remove(&tw, NS, "web");
	cr_assert_eq(err, 0, "remove web: %s", strerror(-err));
	sync_ok("shop", shop, "shop takes the key");
	after = expect_programmed("shop", &shop->items[0], "shop takes the key");
	cr_expect_neq(after.value.id, before.value.id, "shop takes the key: a new frontend id");
	expect_no_table(before.value.id, "shop takes the key: web's id");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 2,
		     "shop takes the key: only shop's backends");
	cr_expect_eq(tw.stats.maglev_writes, 2, "shop takes the key: one write per table");
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
	cr_expect_eq(tw.stats.maglev_writes, 0, "after restart: no write to sluice_maglev");
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

/* Many services, restarted and synced unchanged: nothing at all is written. */
Test(lb_writer, restart_with_many_unchanged_services_writes_nothing)
{
	char name[32];
	size_t i;
	int err;

	many_sync(MANY_SERVICES, many_three, "before restart");
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "before restart: commit: %s", strerror(-err));
	writer_close();
	writer_open("restart");
	many_sync(MANY_SERVICES, many_three, "after restart");
	err = lb_writer_commit(&tw);
	cr_assert_eq(err, 0, "after restart: commit: %s", strerror(-err));
	cr_expect_eq(tw.stats.table_swaps, 0, "after restart: no table written");
	cr_expect_eq(tw.stats.maglev_writes, 0, "after restart: no write to sluice_maglev");
	for (i = 0; i < MANY_SERVICES; i++) {
		many_name(i, name, sizeof(name));
		expect_programmed(name, &tw_many[i].items[0], "after restart");
	}
}

/* Service web on two ports programmed, what the maps hold in before[2], the writer closed. */
static struct lb_frontends *web_two_ports_stopped(struct programmed before[2])
{
	struct lb_frontends *f = fes_new(2);
	size_t i;

	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x7);
	fe_set(f, 1, WEB_IP, HTTPS_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	sync_ok("web", f, "before restart");
	for (i = 0; i < 2; i++)
		before[i] = expect_programmed("web", &f->items[i], "before restart");
	writer_close();
	return f;
}

/*
 * sluice_maglev rebuilt empty (the agent's loader does that when its layout
 * or table size changes): the writer puts every table back as it opens,
 * before any sync, with the same backends, and a sync then writes nothing.
 */
Test(lb_writer, missing_tables_come_back_at_open)
{
	struct programmed before[2], after;
	struct lb_frontends *f = web_two_ports_stopped(before);
	__u32 k;
	size_t i;

	while (!bpf_map_get_next_key(tw_maps.maglev_fd, NULL, &k))
		cr_assert_eq(bpf_map_delete_elem(tw_maps.maglev_fd, &k), 0,
			     "setup: empty sluice_maglev");
	writer_open("restart");
	cr_expect_eq(tw.stats.table_swaps, 2, "restart: both tables written at open");
	cr_expect_eq(tw.stats.maglev_writes, 1, "restart: in one write");
	for (i = 0; i < 2; i++) {
		after = expect_programmed("web", &f->items[i], "restart, before any sync");
		cr_expect_eq(after.table, before[i].table, "restart: frontend %zu's table as it was",
			     i);
		cr_expect_arr_eq(after.ids, before[i].ids, sizeof(after.ids),
				 "restart: frontend %zu keeps its backend ids", i);
	}
	sync_ok("web", f, "after restart");
	cr_expect_eq(tw.stats.table_swaps, 2, "after restart: nothing more written");
}

/*
 * A second skeleton as the loader makes it after sluice_maglev changed: the
 * suite's service maps, and a new, empty sluice_maglev of tables of size
 * slots, room for max of them.
 */
static struct tc_pod *skel_with_new_tables(__u32 size, __u32 max)
{
	struct tc_pod *other = tc_pod__open();
	int err;

	cr_assert_not_null(other, "setup: tc_pod__open: %s", strerror(errno));
	other->rodata->cfg_maglev_size = size;
	err = bpf_map__set_value_size(other->maps.sluice_maglev, size * sizeof(__u32));
	if (!err)
		err = bpf_map__set_max_entries(other->maps.sluice_maglev, max);
	if (!err)
		err = bpf_map__reuse_fd(other->maps.sluice_svc4, tw_maps.svc_fd);
	if (!err)
		err = bpf_map__reuse_fd(other->maps.sluice_svc_meta, tw_maps.meta_fd);
	if (!err)
		err = bpf_map__reuse_fd(other->maps.sluice_backend4, tw_maps.backend_fd);
	if (!err)
		err = tc_pod__load(other);
	if (err)
		tc_pod__destroy(other);
	cr_assert_eq(err, 0, "setup: load with a new sluice_maglev: %s", strerror(-err));
	return other;
}

/*
 * Another --maglev-table-size: the loader gives sluice_maglev values of the
 * new size (a new map) beside the service maps it keeps. A writer of the
 * new size refuses the old map and fills the new one at open.
 */
Test(lb_writer, other_table_size_fills_the_new_map_at_open)
{
	static __u32 slots[OTHER_TABLE_SIZE];
	struct programmed before[2];
	struct lb_frontends *f = web_two_ports_stopped(before);
	struct tc_pod *other;
	__u32 ids[BES_MAX];
	size_t i;
	int err;


	other = skel_with_new_tables(OTHER_TABLE_SIZE, SLUICE_FRONTEND_MAX);
	err = lb_writer_open(&tw, &tw_maps, OTHER_TABLE_SIZE);
	cr_expect_eq(err, -EINVAL, "old map, new size: refused, got %s", strerror(-err));
	tw_maps.maglev_fd = bpf_map__fd(other->maps.sluice_maglev);
	err = lb_writer_open(&tw, &tw_maps, OTHER_TABLE_SIZE);
	if (!err) {
		tw_open = true;
		cr_expect_eq(tw.stats.table_swaps, 2, "open: both tables written");
		for (i = 0; i < 2; i++) {
			__u32 id = before[i].value.id;

			backend_ids(id, &f->items[i], ids, "open");
			cr_expect_arr_eq(ids, before[i].ids, f->items[i].n_backends * sizeof(*ids),
					 "open: frontend %zu keeps its backend ids", i);
			table_slots(id, slots, OTHER_TABLE_SIZE, "open");
			expect_table(slots, OTHER_TABLE_SIZE, ids, f->items[i].n_backends, "open");
		}
		writer_close();
	}
	tc_pod__destroy(other);
	maps_from_skel();
	cr_assert_eq(err, 0, "open with the new map: %s", strerror(-err));
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

/* ---- Conflicts, failures and full maps ---- */

/*
 * What failing_io refuses: the table of frontend tw_refused_id in
 * sluice_maglev, backend tw_refused_be in sluice_backend4 (0: none), or
 * the metadata of frontend tw_refused_meta in sluice_svc_meta.
 */
static __u32 tw_refused_id, tw_refused_be, tw_refused_meta = ~0u;

static bool refused(int fd, __u32 key)
{
	return (fd == tw_maps.maglev_fd && key == tw_refused_id) ||
	       (fd == tw_maps.backend_fd && tw_refused_be && key == tw_refused_be) ||
	       (fd == tw_maps.meta_fd && key == tw_refused_meta);
}

static int failing_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	if (refused(fd, *(const __u32 *)key)) {
		errno = EBADF;
		return -EBADF;
	}
	return bpf_map_update_elem(fd, key, value, flags);
}

/* A batch stops at a refused key, as the kernel stops at a bad entry. */
static int failing_update_batch(int fd, const void *keys, const void *values, __u32 *count,
				const struct bpf_map_batch_opts *opts)
{
	const __u32 *k = keys;
	__u32 i;
	int err = 0;

	for (i = 0; i < *count && !refused(fd, k[i]); i++)
		;
	if (i == *count)
		return bpf_map_update_batch(fd, keys, values, count, opts);
	*count = i;
	if (i)
		err = bpf_map_update_batch(fd, keys, values, count, opts);
	if (err)
		return err;
	errno = EBADF;
	return -EBADF;
}

static const struct lb_map_io failing_io = {
	.update_batch = failing_update_batch,
	.update_elem = failing_update_elem,
};

/*
 * A flush of three services, web, api and db, through failing_io refusing
 * table refused_id, backend refused_be or metadata refused_meta (what
 * names the refusal): api,
 * whose write it is, is undone whole (no entry, metadata, table or
 * backend left), web and db are programmed, and a later flush programs api.
 * Frontend ids are handed out from 0 on empty maps (web 0, api 1, db 2),
 * backend ids from 1 (web 1-3, api 4-5, db 6).
 */
static void refused_flush(__u32 refused_id, __u32 refused_be, __u32 refused_meta,
			  const char *what)
{
	struct lb_frontends *web = web_state(0x7), *api = fes_new(1), *db = fes_new(1);
	const struct lb_map_io *kernel_io = tw.io;
	struct sluice_svc_meta meta;
	struct sluice_svc_value v;
	__u32 api_id = 1;
	int err;

	fe_set(api, 0, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x30);
	fe_set(db, 0, DB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x1);
	tw_refused_id = refused_id;
	tw_refused_be = refused_be;
	tw_refused_meta = refused_meta;
	tw.io = &failing_io;
	cr_assert_eq(lb_writer_sync(&tw, NS, "web", web), 0, "flush: sync web");
	cr_assert_eq(lb_writer_sync(&tw, NS, "api", api), 0, "flush: sync api");
	cr_assert_eq(lb_writer_sync(&tw, NS, "db", db), 0, "flush: sync db");
	err = lb_writer_commit(&tw);
	cr_expect_eq(err, -EBADF, "flush: commit reports the refused %s, got %s", what,
		     strerror(-err));
	expect_programmed("web", &web->items[0], "flush");
	expect_programmed("db", &db->items[0], "flush");
	cr_expect_not(svc_get(&api->items[0].key, &v), "flush: api has no frontend entry");
	cr_expect_neq(bpf_map_lookup_elem(tw_maps.meta_fd, &api_id, &meta), 0,
		      "flush: api has no metadata");
	cr_expect_eq(tables_held(), 2, "flush: no table for api");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3 + 1,
		     "flush: api's backends undone");
	cr_expect_eq(tw.stats.frontends, 2, "flush: stats.frontends");
	cr_expect_eq(tw.stats.backends, 3 + 1, "flush: stats.backends");
	tw.io = kernel_io;
	tw_refused_be = 0;
	tw_refused_meta = ~0u;
	sync_ok("api", api, "next flush");
	expect_programmed("api", &api->items[0], "next flush");
}

Test(lb_writer, refused_table_undoes_only_its_frontend)
{
	refused_flush(1, 0, ~0u, "table");
}

Test(lb_writer, refused_backend_undoes_only_its_frontend)
{
	refused_flush(~0u, 5, ~0u, "backend");
}

/* Metadata goes in one batch at commit: the refused one takes its new frontend's table back out. */
Test(lb_writer, refused_metadata_undoes_only_its_frontend)
{
	refused_flush(~0u, 0, 1, "metadata");
}

Test(lb_writer, two_services_one_frontend_first_keeps_it)
{
	struct lb_frontends *web, *api;
	struct programmed p;
	struct sluice_svc_meta meta;

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
	remove_ok("api", "remove api");
	expect_programmed("web", &web->items[0], "remove api: web's frontend untouched");
	cr_expect_eq(bpf_map_lookup_elem(tw_maps.meta_fd, &p.value.id, &meta), 0,
		     "remove api: web's metadata stays");
	remove_ok("web", "remove web");
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
	remove_ok("api", "remove api");
	cr_expect_not(svc_get(&api->items[1].key, &v), "remove api: its frontend gone");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3,
		     "remove api: web's three backends remain");
	expect_programmed("web", &web->items[0], "remove api: web untouched");
}

/*
 * A rebuilt sluice_maglev too small for every table: the writer still opens
 * (services without a table are logged and counted, the rest work) and
 * keeps every frontend, so a larger map at the next start restores them.
 */
Test(lb_writer, tables_that_do_not_fit_at_open_do_not_stop_it)
{
	struct lb_frontends *f = fes_new(3);
	struct sluice_svc_value v;
	struct tc_pod *other;
	size_t i;
	int err;

	fe_set(f, 0, WEB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x7);
	fe_set(f, 1, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x3);
	fe_set(f, 2, DB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x1);
	sync_ok("shop", f, "before restart");
	writer_close();
	other = skel_with_new_tables(TABLE_SIZE, SMALL_TABLE_MAX);
	tw_maps.maglev_fd = bpf_map__fd(other->maps.sluice_maglev);
	err = lb_writer_open(&tw, &tw_maps, TABLE_SIZE);
	if (!err) {
		tw_open = true;
		cr_expect_eq(tw.stats.table_swaps, SMALL_TABLE_MAX, "open: the tables that fit");
		cr_expect_eq(tw.stats.map_full, 3 - SMALL_TABLE_MAX, "open: the rest counted");
		cr_expect_eq(tw.stats.frontends, 3, "open: every frontend kept");
		cr_expect_eq(tables_held(), SMALL_TABLE_MAX, "open: the map is full");
		for (i = 0; i < 3; i++)
			cr_expect(svc_get(&f->items[i].key, &v), "open: frontend %zu kept", i);
		writer_close();
	}
	tc_pod__destroy(other);
	maps_from_skel();
	cr_assert_eq(err, 0, "open with a full sluice_maglev: %s", strerror(-err));
}

/*
 * sluice_maglev full: the frontend whose table does not fit is left out
 * whole (logged, counted), the others keep working, and it goes in once a
 * table is free.
 */
Test(lb_writer, full_table_map_leaves_out_what_does_not_fit, .init = setup_few_tables)
{
	struct lb_frontends *web = web_state(0x7), *api = fes_new(1), *db = fes_new(1);
	struct sluice_svc_value v;
	int err;

	fe_set(api, 0, API_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x30);
	fe_set(db, 0, DB_IP, HTTP_PORT, SLUICE_SCOPE_INTERNAL, 0x1);
	sync_ok("web", web, "web");
	sync_ok("api", api, "api");
	cr_assert_eq(lb_writer_sync(&tw, NS, "db", db), 0, "db: sync");
	err = lb_writer_commit(&tw);
	cr_expect_eq(err, -E2BIG, "db: commit reports the full map, got %s", strerror(-err));
	cr_expect_eq(tw.stats.map_full, 1, "db: counted as left out");
	cr_expect_not(svc_get(&db->items[0].key, &v), "db: no frontend entry");
	cr_expect_eq(map_count(tw_maps.backend_fd, sizeof(__u32)), 3 + 2, "db: no backend left");
	expect_programmed("web", &web->items[0], "db: web untouched");
	expect_programmed("api", &api->items[0], "db: api untouched");
	remove_ok("api", "api removed");
	sync_ok("db", db, "db again");
	expect_programmed("db", &db->items[0], "db again: programmed");
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
	err = lb_writer_commit(&tw);
	cr_expect_eq(err, 0, "commit: %s", strerror(-err));
	expect_programmed("web", &f->items[1], "sync: the other port is programmed");
}
