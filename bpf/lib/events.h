/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Drop counters per endpoint and reason, and verdict events for `sluice monitor`. */
#ifndef SLUICE_BPF_EVENTS_H
#define SLUICE_BPF_EVENTS_H

#include "l4.h"
#include "maps.h"

/* Counts one dropped packet of len bytes against endpoint (a pod's address). */
static __always_inline void drop_count(__be32 endpoint, enum sluice_verdict reason, __u32 len)
{
	struct sluice_drop_key k = { .endpoint = endpoint, .reason = reason };
	struct sluice_counter *c = bpf_map_lookup_elem(&SLUICE_MAP_DROPS, &k), first = {};

	if (c) {
		c->packets++;
		c->bytes += len;
		return;
	}
	/* A per-CPU hash update from BPF sets this CPU's slot and zeroes the rest. */
	first.packets = 1;
	first.bytes = len;
	bpf_map_update_elem(&SLUICE_MAP_DROPS, &k, &first, BPF_NOEXIST);
}

/* Whether a monitor asked for ALLOW events. */
static __always_inline bool allow_events_wanted(void)
{
	__u32 slot = 0;
	struct sluice_monitor_cfg *cfg = bpf_map_lookup_elem(&SLUICE_MAP_MONITOR, &slot);

	return cfg && cfg->allow_events;
}

/*
 * Emits one event (reason: a verdict for a drop, an allow reason for an
 * allow); when the ring is full it is lost (a drop is still counted).
 */
static __always_inline void event_emit(enum sluice_event_type type, __u8 reason,
				       enum sluice_direction dir, const struct flow4 *f,
				       __be32 saddr, __u32 src_id, __u32 dst_id, __u32 ifindex,
				       __u32 policy_id)
{
	struct sluice_event *e = bpf_ringbuf_reserve(&SLUICE_MAP_EVENTS, sizeof(*e), 0);

	if (!e)
		return;
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	e->reason = reason;
	e->dir = dir;
	e->proto = f->proto;
	e->saddr = saddr;
	e->daddr = f->daddr;
	e->sport = f->sport;
	e->dport = f->dport;
	e->src_identity = src_id;
	e->dst_identity = dst_id;
	e->ifindex = ifindex;
	e->policy_id = policy_id;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

#endif
