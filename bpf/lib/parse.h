/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing for TC programs. Every parse_* checks bounds and meaning
 * (minimum lengths, version), advances the cursor and returns a pointer into
 * the packet or NULL. Byte order is in the types: fields stay __be16/__be32.
 */
#ifndef SLUICE_BPF_PARSE_H
#define SLUICE_BPF_PARSE_H

#include "consts.h"

/* Where parsing stands in the packet. */
struct cursor {
	void *pos;
	void *end;
};

/*
 * Verifier workaround: the verifier only accepts context loads at a constant
 * offset in the instruction itself. With several inlined callers clang may
 * hoist offsetof(data) into a register and emit "r1 = ctx; r1 += r9; load",
 * which is refused ("dereference of modified ctx ptr"). The asm pins the
 * offset into the load.
 */
#define SKB_LOAD_PTR(skb, field)                                                  \
	({                                                                        \
		void *__p;                                                        \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                              \
			     : "=r"(__p)                                          \
			     : "r"(skb), "i"(offsetof(struct __sk_buff, field)));  \
		__p;                                                              \
	})

/*
 * Makes the first `len` bytes of the packet readable directly and resets
 * the cursor to its start. Headers may sit in paged data (GRO, some
 * drivers); pulling them in is cheaper than refusing the packet. Every
 * pointer taken before this call is invalid after it.
 */
static __always_inline int revalidate_pull(struct __sk_buff *skb,
					   struct cursor *c, __u32 len)
{
	void *data = SKB_LOAD_PTR(skb, data);
	void *data_end = SKB_LOAD_PTR(skb, data_end);

	if (data + len > data_end) {
		if (skb->len < len || bpf_skb_pull_data(skb, len) < 0)
			return -1;
		data = SKB_LOAD_PTR(skb, data);
		data_end = SKB_LOAD_PTR(skb, data_end);
	}
	c->pos = data;
	c->end = data_end;
	return 0;
}

static __always_inline struct ethhdr *parse_ethhdr(struct cursor *c)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return NULL;
	c->pos = eth + 1;
	return eth;
}

/*
 * An IPv4 header is taken only if it says it is version 4, its length is at
 * least the 20-byte minimum and the packet holds all that it claims.
 * pkt_len is the length of the packet from this header on.
 */
static __always_inline struct iphdr *parse_iphdr(struct cursor *c, __u32 pkt_len)
{
	struct iphdr *iph = c->pos;
	__u32 hdr_len;

	if ((void *)(iph + 1) > c->end)
		return NULL;
	if (iph->version != IPV4_VERSION || iph->ihl < IPV4_IHL_MIN)
		return NULL;
	hdr_len = iph->ihl * 4;
	if (bpf_ntohs(iph->tot_len) < hdr_len || bpf_ntohs(iph->tot_len) > pkt_len)
		return NULL;
	c->pos = (void *)iph + hdr_len;
	return iph;
}

#endif
