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

#endif
