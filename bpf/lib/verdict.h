/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef SLUICE_BPF_VERDICT_H
#define SLUICE_BPF_VERDICT_H

#include "maps.h"

/* Counts one packet of skb's length under verdict v. */
static __always_inline void count_verdict(struct __sk_buff *skb, enum sluice_verdict v)
{
	__u32 key = v;
	struct sluice_counter *cnt = bpf_map_lookup_elem(&SLUICE_MAP_VERDICTS, &key);

	if (!cnt)
		return;
	/* Per-CPU slot: no other CPU writes it, so no atomics are needed. */
	cnt->packets++;
	cnt->bytes += skb->len;
}

#endif
