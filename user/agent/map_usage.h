/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How full a pinned map is, and the datapath's drops per reason: shared by
 * /metrics and `sluice status`.
 */
#ifndef SLUICE_AGENT_MAP_USAGE_H
#define SLUICE_AGENT_MAP_USAGE_H

#include <stdbool.h>
#include <linux/types.h>
#include <sluice/abi.h>

/* A pinned map's fill. */
struct map_usage {
	const char *name;	/* pin name (sluice_map_names), or NULL when unread */
	__u32 type;		/* enum bpf_map_type */
	__u64 entries;		/* arrays: every slot; the ring buffer: bytes unread */
	__u64 capacity;		/* max_entries; the ring buffer: its bytes */
};

/*
 * Reads a map's type and capacity, and with count also its entries: by
 * batch lookup, or a key walk where the map has no batch operations (LPM
 * tries), slot by slot for an array of maps; arrays are full by
 * construction. A full 256k-entry hash map takes about 0.1 s. 0, or a
 * negative errno.
 */
int map_usage_read(int fd, bool count, struct map_usage *u);
/* Whether a map of this type can run out of room (arrays and rings cannot). */
bool map_type_can_fill(__u32 type);
/* entries as a percentage of capacity (0 for a map of no capacity). */
double map_usage_pct(const struct map_usage *u);
/*
 * Drops per reason summed over endpoints and CPUs, from sluice_drops's fd.
 * 0, or a negative errno.
 */
int drops_by_reason(int fd, struct sluice_counter sums[SLUICE_VERDICT_MAX],
		    bool seen[SLUICE_VERDICT_MAX]);

#endif
