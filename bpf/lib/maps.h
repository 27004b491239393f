/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps every sluice program shares. Types and names come from
 * include/sluice/; the agent pins them under <root>/maps/ and reuses the
 * pins on restart, so their contents outlive any one agent.
 */
#ifndef SLUICE_BPF_MAPS_H
#define SLUICE_BPF_MAPS_H

#include <sluice/abi.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_ENDPOINT_MAX);
	__type(key, struct sluice_endpoint_key);
	__type(value, struct sluice_endpoint_info);
} SLUICE_MAP_ENDPOINT SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_ENDPOINT_MAX);
	__type(key, struct sluice_endpoint_key);
	__type(value, struct sluice_endpoint_meta);
} SLUICE_MAP_EP_META SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_VERDICT_MAX);
	__type(key, __u32);
	__type(value, struct sluice_counter);
} SLUICE_MAP_VERDICTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_agent_state);
} SLUICE_MAP_AGENT SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_FRONTEND_MAX);
	__type(key, struct sluice_svc4_key);
	__type(value, struct sluice_svc_value);
} SLUICE_MAP_SVC4 SEC(".maps");

/* Allocated per entry: most frontend ids are unused on most nodes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_FRONTEND_MAX);
	__type(key, __u32);
	__type(value, struct sluice_svc_meta);
} SLUICE_MAP_SVC_META SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_BACKEND_MAX);
	__type(key, __u32);
	__type(value, struct sluice_backend4);
} SLUICE_MAP_BACKEND4 SEC(".maps");

/*
 * Frontend id -> its Maglev table, all cfg_maglev_size slots (backend ids)
 * in one value; the agent sets the value size at load. One update replaces
 * a table whole and atomically, and without the RCU grace period every
 * write to a map-in-map waits for; entries are allocated only for
 * frontends that have backends.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_FRONTEND_MAX);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SLUICE_MAGLEV_SIZE * sizeof(__u32));
} SLUICE_MAP_MAGLEV SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLUICE_AFFINITY_MAX);
	__type(key, struct sluice_affinity4_key);
	__type(value, struct sluice_affinity_value);
} SLUICE_MAP_AFFINITY4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLUICE_CT_MAX);
	__type(key, struct sluice_ct4_key);
	__type(value, struct sluice_ct4_value);
} SLUICE_MAP_CT4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLUICE_SOCK_REV_MAX);
	__type(key, struct sluice_sock_rev4_key);
	__type(value, struct sluice_sock_rev4_value);
} SLUICE_MAP_SOCK_REV4 SEC(".maps");

/* Allocated per entry, as every LPM trie must be. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_IPCACHE_MAX);
	__type(key, struct sluice_ipcache4_key);
	__type(value, struct sluice_ipcache_value);
} SLUICE_MAP_IPCACHE4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_IPCACHE_MAX);
	__type(key, __u32);
	__type(value, struct sluice_identity_meta);
} SLUICE_MAP_IDENTITY SEC(".maps");

/*
 * One endpoint direction's allow entries, made by the agent when it first
 * sees the endpoint and edited in place after; an endpoint without one, or
 * with the catch-all entry, is not isolated in that direction.
 */
/*
 * Sizes rather than types: clang keeps only a forward declaration of a
 * struct no global names, and libbpf cannot size that. The tables are made
 * by the agent, without BTF, in any case.
 */
struct policy_table {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_POLICY_ENTRIES_MAX);
	__uint(key_size, sizeof(struct sluice_policy_key));
	__uint(value_size, sizeof(struct sluice_policy_value));
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, SLUICE_ENDPOINT_MAX);
	__type(key, struct sluice_endpoint_key);
	__array(values, struct policy_table);
} SLUICE_MAP_POLICY_IN SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, SLUICE_ENDPOINT_MAX);
	__type(key, struct sluice_endpoint_key);
	__array(values, struct policy_table);
} SLUICE_MAP_POLICY_OUT SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_POLICY_META_MAX);
	__type(key, __u32);
	__type(value, struct sluice_policy_meta);
} SLUICE_MAP_POLICY_META SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SLUICE_DROPS_MAX);
	__type(key, struct sluice_drop_key);
	__type(value, struct sluice_counter);
} SLUICE_MAP_DROPS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SLUICE_EVENTS_BYTES);
} SLUICE_MAP_EVENTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_monitor_cfg);
} SLUICE_MAP_MONITOR SEC(".maps");

/* Allocated per entry, as every LPM trie must be. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_NODE_MAX);
	__type(key, struct sluice_node4_key);
	__type(value, struct sluice_node4_value);
} SLUICE_MAP_NODES4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_node_cfg);
} SLUICE_MAP_NODE_CFG SEC(".maps");

/* The value is unused: a hit means "not masqueraded". */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_NOMASQ_MAX);
	__type(key, struct sluice_node4_key);
	__type(value, __u32);
} SLUICE_MAP_NOMASQ4 SEC(".maps");

/*
 * Per-CPU room for what the programs' 512 stack bytes cannot hold. One
 * use at a time: each is done with it before the next begins.
 */
union sluice_scratch {
	struct bpf_tunnel_key tunnel_key;	/* tc_from_ovl: the sending node's key */
	struct {
		struct sluice_ct4_key rk;	/* an ICMP error's quote, reversed */
		__sum16 udp_check;		/* the quoted UDP checksum, 0: none */
	} quote;
	struct sluice_ct4_value ct;		/* a new flow's entry, for its update */
};
/* The programs' own; nothing outside them reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union sluice_scratch);
} SLUICE_MAP_SCRATCH SEC(".maps");

#endif
