// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

/* The datapath's own hash, so the tests predict the slot it picks. */
#include "bpf/lib/hash.h"
#include "fixture.h"
#include "lb_maps.h"

void lb_add_frontend(__u32 addr, __u16 port, __u8 proto, enum sluice_svc_scope scope,
		     const struct sluice_svc_value *v)
{
	/* Zeroed whole: the map hashes the padding too. */
	struct sluice_svc4_key key;
	int err;

	memset(&key, 0, sizeof(key));
	key.addr = htonl(addr);
	key.port = htons(port);
	key.proto = proto;
	key.scope = scope;
	err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_svc4), &key, v, BPF_ANY);
	cr_assert_eq(err, 0, "setup: sluice_svc4: add frontend %u: %s", v->id, strerror(errno));
}

void lb_add_backend(__u32 id, __u32 addr, __u16 port, __u8 proto, __u32 svc_id)
{
	struct sluice_backend4 be;
	int err;

	memset(&be, 0, sizeof(be));
	be.addr = htonl(addr);
	be.port = htons(port);
	be.proto = proto;
	be.svc_id = svc_id;
	err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_backend4), &id, &be, BPF_ANY);
	cr_assert_eq(err, 0, "setup: sluice_backend4: add backend %u: %s", id, strerror(errno));
}

void lb_del_backend(__u32 id)
{
	int err = bpf_map_delete_elem(bpf_map__fd(fx_skel->maps.sluice_backend4), &id);

	cr_assert_eq(err, 0, "setup: sluice_backend4: delete backend %u: %s", id,
		     strerror(errno));
}

__u32 lb_table_size(void)
{
	return fx_skel->rodata->cfg_maglev_size;
}

void lb_set_table(__u32 svc_id, const __u32 *slots)
{
	int err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_maglev), &svc_id, slots,
				      BPF_ANY);

	cr_assert_eq(err, 0, "setup: sluice_maglev: set the table of frontend %u: %s", svc_id,
		     strerror(errno));
}

void lb_fill_table(__u32 svc_id, __u32 backend_id)
{
	__u32 size = lb_table_size(), i;
	__u32 *slots = calloc(size, sizeof(*slots));

	cr_assert_not_null(slots, "setup: Maglev table slots: out of memory");
	for (i = 0; i < size; i++)
		slots[i] = backend_id;
	lb_set_table(svc_id, slots);
	free(slots);
}

/* The program hashes the words as they sit in the packet: network order. */
__u32 lb_maglev_slot(const struct lb_tuple *t)
{
	__u32 ports = (__u32)htons(t->sport) << 16 | htons(t->dport);

	return jhash_3words(htonl(t->saddr), htonl(t->daddr), ports ^ t->proto, 0) %
	       lb_table_size();
}

void lb_ct_key(struct sluice_ct4_key *k, const struct lb_tuple *t, enum sluice_ct_dir dir)
{
	memset(k, 0, sizeof(*k));
	k->saddr = htonl(t->saddr);
	k->daddr = htonl(t->daddr);
	k->sport = htons(t->sport);
	k->dport = htons(t->dport);
	k->proto = t->proto;
	k->dir = dir;
}

bool lb_ct_get(const struct lb_tuple *t, enum sluice_ct_dir dir, struct sluice_ct4_value *v)
{
	struct sluice_ct4_key k;

	lb_ct_key(&k, t, dir);
	return !bpf_map_lookup_elem(bpf_map__fd(fx_skel->maps.sluice_ct4), &k, v);
}

void lb_ct_put(const struct lb_tuple *t, enum sluice_ct_dir dir,
	       const struct sluice_ct4_value *v)
{
	struct sluice_ct4_key k;
	int err;

	lb_ct_key(&k, t, dir);
	err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_ct4), &k, v, BPF_ANY);
	cr_assert_eq(err, 0, "setup: sluice_ct4: write an entry: %s", strerror(errno));
}

__u32 lb_ct_count(void)
{
	return fx_count_keys(fx_skel->maps.sluice_ct4);
}

static void affinity_key(struct sluice_affinity4_key *k, __u32 client, __u32 svc_id)
{
	memset(k, 0, sizeof(*k));
	k->client = htonl(client);
	k->svc_id = svc_id;
}

bool lb_affinity_get(__u32 client, __u32 svc_id, struct sluice_affinity_value *v)
{
	struct sluice_affinity4_key k;

	affinity_key(&k, client, svc_id);
	return !bpf_map_lookup_elem(bpf_map__fd(fx_skel->maps.sluice_affin4), &k, v);
}

void lb_affinity_put(__u32 client, __u32 svc_id, const struct sluice_affinity_value *v)
{
	struct sluice_affinity4_key k;
	int err;

	affinity_key(&k, client, svc_id);
	err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_affin4), &k, v, BPF_ANY);
	cr_assert_eq(err, 0, "setup: sluice_affin4: write an entry: %s", strerror(errno));
}

__u64 lb_now_ns(void)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0, "read CLOCK_MONOTONIC: %s",
		     strerror(errno));
	return ts.tv_sec * LB_NSEC_PER_SEC + ts.tv_nsec;
}
