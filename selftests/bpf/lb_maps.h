/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service maps of the test skeleton (fx_skel), written by hand the way
 * the agent's writer fills them, and the conntrack and affinity entries the
 * program leaves behind, read back. Addresses and ports are in host order
 * here and converted at the map; every failure asserts, naming the map.
 */
#ifndef SLUICE_SELFTEST_LB_MAPS_H
#define SLUICE_SELFTEST_LB_MAPS_H

#include <stdbool.h>
#include <linux/types.h>
#include <sluice/abi.h>

/* Nanoseconds in a second: the unit of CT deadlines and affinity times. */
#define LB_NSEC_PER_SEC 1000000000ULL

/* A flow as the program sees it: addresses and ports in host order. */
struct lb_tuple {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

/* Adds (or replaces) the frontend addr:port/proto of scope with value v. */
void lb_add_frontend(__u32 addr, __u16 port, __u8 proto, enum sluice_svc_scope scope,
		     const struct sluice_svc_value *v);

/* Adds (or replaces) backend id: addr:port/proto, serving frontend svc_id. */
void lb_add_backend(__u32 id, __u32 addr, __u16 port, __u8 proto, __u32 svc_id);

/* Removes backend id, as the agent does last when a backend goes. */
void lb_del_backend(__u32 id);

/* Slots in every Maglev table: the loaded program's cfg_maglev_size. */
__u32 lb_table_size(void);

/* Gives frontend svc_id the Maglev table slots[lb_table_size()], in one update as the agent does. */
void lb_set_table(__u32 svc_id, const __u32 *slots);

/* A new table for svc_id whose every slot names backend_id. */
void lb_fill_table(__u32 svc_id, __u32 backend_id);

/* The table slot the program picks for a new flow t (bpf/lib/lb4.h). */
__u32 lb_maglev_slot(const struct lb_tuple *t);

/* The conntrack key of t in direction dir. */
void lb_ct_key(struct sluice_ct4_key *k, const struct lb_tuple *t, enum sluice_ct_dir dir);

/* The conntrack entry of t in direction dir, whether expired or not; false if none. */
bool lb_ct_get(const struct lb_tuple *t, enum sluice_ct_dir dir, struct sluice_ct4_value *v);

/* Writes a conntrack entry of t in direction dir. */
void lb_ct_put(const struct lb_tuple *t, enum sluice_ct_dir dir,
	       const struct sluice_ct4_value *v);

/* Entries in the conntrack map. */
__u32 lb_ct_count(void);

/* The affinity entry of client (host order) for frontend svc_id; false if none. */
bool lb_affinity_get(__u32 client, __u32 svc_id, struct sluice_affinity_value *v);

/* Writes the affinity entry of client for frontend svc_id. */
void lb_affinity_put(__u32 client, __u32 svc_id, const struct sluice_affinity_value *v);

/* Now on the clock bpf_ktime_get_ns() reads (CLOCK_MONOTONIC). */
__u64 lb_now_ns(void);

#endif
