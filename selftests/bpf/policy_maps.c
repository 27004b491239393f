// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "lb_fixture.h"
#include "policy_maps.h"

/* Bits of the catch-all entry's key: none, so it matches every lookup. */
#define PM_CATCH_ALL_BITS 0

void pm_set_identity(__u32 addr, __u32 prefixlen, __u32 identity)
{
	struct sluice_ipcache4_key key;
	struct sluice_ipcache_value v = { .identity = identity };
	int err;

	memset(&key, 0, sizeof(key));
	key.prefixlen = prefixlen;
	key.addr = htonl(addr);
	err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_ipcache4), &key, &v, BPF_ANY);
	cr_assert_eq(err, 0, "setup: sluice_ipcache4: identity %u for " LB_IP_FMT "/%u: %s",
		     identity, LB_IP_ARGS(addr), prefixlen, strerror(errno));
}

int pm_table_new(void)
{
	/* As the agent makes them: an LPM trie must be allocated per entry. */
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, NULL, sizeof(struct sluice_policy_key),
				sizeof(struct sluice_policy_value), PM_TABLE_MAX, &opts);

	cr_assert_geq(fd, 0, "setup: create a policy table: %s", strerror(errno));
	return fd;
}

static void table_put(int fd, const struct pm_rule *rule, __u32 prefixlen, __u16 port)
{
	/* Zeroed whole: pad is part of every prefix that reaches the port. */
	struct sluice_policy_key key;
	struct sluice_policy_value v = { .policy_id = rule->policy_id };
	int err;

	memset(&key, 0, sizeof(key));
	key.prefixlen = prefixlen;
	key.identity = rule->identity;
	key.proto = rule->proto;
	key.port = htons(port);
	err = bpf_map_update_elem(fd, &key, &v, BPF_ANY);
	cr_assert_eq(err, 0, "setup: policy table: identity %u proto %u port %u/%u: %s",
		     rule->identity, rule->proto, port, prefixlen, strerror(errno));
}

/* The catch-all's key: no bit counts, and the rest is zero as every key's padding. */
static void catch_all_key(struct sluice_policy_key *key)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = PM_CATCH_ALL_BITS;
}

__u32 pm_table_add(int fd, const struct pm_rule *rule)
{
	/* Wider than a port, so that the walk can step past the last one. */
	__u32 port = rule->port_first, n = 0, bits;
	struct sluice_policy_value v = { .policy_id = rule->policy_id };
	struct sluice_policy_key key;
	int err;

	if (rule->proto == PM_PROTO_CATCH_ALL) {
		catch_all_key(&key);
		err = bpf_map_update_elem(fd, &key, &v, BPF_ANY);
		cr_assert_eq(err, 0, "setup: policy table: the catch-all entry: %s",
			     strerror(errno));
		return 1;
	}
	if (rule->proto == PM_PROTO_ANY) {
		table_put(fd, rule, SLUICE_POLICY_IDENTITY_BITS, 0);
		return 1;
	}
	/* Each step takes the largest aligned block that starts at port and fits the range. */
	while (port <= rule->port_last) {
		for (bits = 0; bits < PM_PORT_BITS; bits++) {
			__u32 block = 1u << (bits + 1);

			if (port % block || port + block - 1 > rule->port_last)
				break;
		}
		table_put(fd, rule, SLUICE_POLICY_KEY_BITS - bits, port);
		port += 1u << bits;
		n++;
	}
	return n;
}

void pm_table_del_catch_all(int fd)
{
	struct sluice_policy_key key;
	int err;

	catch_all_key(&key);
	err = bpf_map_delete_elem(fd, &key);
	cr_assert_eq(err, 0, "setup: policy table: remove the catch-all entry: %s",
		     strerror(errno));
}

/* The key of endpoint addr in the outer maps, zeroed whole: the map hashes every byte. */
static void endpoint_key(struct sluice_endpoint_key *key, __u32 addr)
{
	memset(key, 0, sizeof(*key));
	key->family = SLUICE_FAMILY_IPV4;
	key->addr[0] = htonl(addr);
}

static int outer_fd(enum sluice_direction dir)
{
	return bpf_map__fd(dir == SLUICE_DIR_INGRESS ? fx_skel->maps.sluice_pol_in :
						       fx_skel->maps.sluice_pol_out);
}

static const char *outer_name(enum sluice_direction dir)
{
	return dir == SLUICE_DIR_INGRESS ? "sluice_pol_in" : "sluice_pol_out";
}

void pm_set_policy(enum sluice_direction dir, __u32 addr, const struct pm_rule *rules,
		   size_t n)
{
	struct sluice_endpoint_key key;
	int fd = pm_table_new(), err;
	size_t i;

	for (i = 0; i < n; i++)
		pm_table_add(fd, &rules[i]);
	endpoint_key(&key, addr);
	err = bpf_map_update_elem(outer_fd(dir), &key, &fd, BPF_ANY);
	cr_assert_eq(err, 0, "setup: %s: set a table of %zu rules for " LB_IP_FMT ": %s",
		     outer_name(dir), n, LB_IP_ARGS(addr), strerror(errno));
	/* The outer map holds the table now. */
	close(fd);
}

int pm_table_of(enum sluice_direction dir, __u32 addr)
{
	struct sluice_endpoint_key key;
	__u32 id;
	int fd;

	endpoint_key(&key, addr);
	/* From user space, a map of maps holds the ids of its tables. */
	cr_assert_eq(bpf_map_lookup_elem(outer_fd(dir), &key, &id), 0,
		     "setup: %s: find the table of " LB_IP_FMT ": %s", outer_name(dir),
		     LB_IP_ARGS(addr), strerror(errno));
	fd = bpf_map_get_fd_by_id(id);
	cr_assert_geq(fd, 0, "setup: open policy table %u: %s", id, strerror(errno));
	return fd;
}

void pm_set_allow_events(__u32 monitors)
{
	struct sluice_monitor_cfg cfg = { .allow_events = monitors };
	__u32 slot = 0;
	int err;

	err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_monitor), &slot, &cfg,
				  BPF_ANY);
	cr_assert_eq(err, 0, "setup: sluice_monitor: allow_events %u: %s", monitors,
		     strerror(errno));
}

struct sluice_counter pm_drops(__u32 addr, enum sluice_verdict reason)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct sluice_counter sum = { 0 }, *vals;
	struct sluice_drop_key key;

	cr_assert_gt(ncpu, 0, "sluice_drops: count the CPUs: %s", strerror(-ncpu));
	vals = calloc(ncpu, sizeof(*vals));
	cr_assert_not_null(vals, "sluice_drops: out of memory");
	memset(&key, 0, sizeof(key));
	key.endpoint = htonl(addr);
	key.reason = reason;
	if (bpf_map_lookup_elem(bpf_map__fd(fx_skel->maps.sluice_drops), &key, vals)) {
		cr_assert_eq(errno, ENOENT, "sluice_drops: look up reason %d: %s", reason,
			     strerror(errno));
	} else {
		for (i = 0; i < ncpu; i++) {
			sum.packets += vals[i].packets;
			sum.bytes += vals[i].bytes;
		}
	}
	free(vals);
	return sum;
}

__u32 pm_drop_keys(void)
{
	return fx_count_keys(fx_skel->maps.sluice_drops);
}

/* Where the ring buffer callback puts what it reads. */
struct event_sink {
	struct sluice_event *ev;
	size_t n;		/* records seen, kept or not */
	size_t bad_size;	/* records of a size no event has */
};

static int take_event(void *ctx, void *data, size_t size)
{
	struct event_sink *sink = ctx;

	if (size != sizeof(struct sluice_event))
		sink->bad_size++;
	else if (sink->n < PM_EVENTS_MAX)
		memcpy(&sink->ev[sink->n], data, size);
	sink->n++;
	return 0;
}

size_t pm_read_events(struct sluice_event ev[PM_EVENTS_MAX])
{
	struct event_sink sink = { .ev = ev };
	struct ring_buffer *rb;
	int err;

	/* The consumer position lives in the map, so each reader starts where the last stopped. */
	rb = ring_buffer__new(bpf_map__fd(fx_skel->maps.sluice_events), take_event, &sink, NULL);
	cr_assert_not_null(rb, "sluice_events: open the ring buffer: %s", strerror(errno));
	err = ring_buffer__poll(rb, 0);
	/*
	 * poll() sees only records a wakeup announced, and the program's
	 * wakeup is deferred (irq_work): consume() takes whatever is there.
	 */
	if (err >= 0)
		err = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	cr_assert_geq(err, 0, "sluice_events: read: %s", strerror(-err));
	cr_assert_eq(sink.bad_size, 0, "sluice_events: %zu records of a size no event has",
		     sink.bad_size);
	return sink.n;
}
