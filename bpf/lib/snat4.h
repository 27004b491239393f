/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flows the node sends from its own address: pods' traffic to outside the
 * cluster (masquerade) and outside clients' NodePort flows to a backend on
 * another node, whose replies must come back through this node. Each gets
 * a source port of the node's own, tracked in conntrack both ways
 * (SNAT_OUT by the flow's tuple, SNAT_IN by its replies').
 */
#ifndef SLUICE_BPF_SNAT4_H
#define SLUICE_BPF_SNAT4_H

#include "ct4.h"
#include "hash.h"
#include "icmp4_quote.h"
#include "nat4.h"

#define SNAT_PORT_COUNT (SLUICE_SNAT_PORT_MAX - SLUICE_SNAT_PORT_MIN + 1)
/*
 * Ports tried for a new flow before it is dropped: enough that a range
 * half full still finds one (1 in 2^16 fails), few enough to stay cheap.
 */
#define SNAT_PORT_TRIES 16
/* A prime step between tries: consecutive flows' tries do not trail each other. */
#define SNAT_PORT_STEP 1021

/* The tuple replies to f come with, once f leaves from addr:port. */
static __always_inline void snat_reply_tuple(const struct flow4 *f, __be32 addr, __be16 port,
					     struct flow4 *in)
{
	__builtin_memset(in, 0, sizeof(*in));
	in->saddr = f->daddr;
	in->daddr = addr;
	in->sport = f->dport;
	in->dport = port;
	in->proto = f->proto;
	in->tcp_flags = TCP_FLAG_SYN;
}

/* A free port for f from addr, and both its entries made; -1 when every try is taken. */
static __always_inline int snat4_alloc(const struct flow4 *f, __be32 addr, __be16 *port)
{
	struct sluice_ct4_value out = { .nat_addr = addr, .flags = SLUICE_CT_F_NAT };
	struct sluice_ct4_value in = { .nat_addr = f->saddr, .nat_port = f->sport,
				       .flags = SLUICE_CT_F_NAT };
	__u32 h = jhash_3words(f->saddr, f->daddr, ((__u32)f->sport << 16 | f->dport) ^ f->proto, 0);
	struct flow4 reply;
	int i;

	for (i = 0; i < SNAT_PORT_TRIES; i++) {
		*port = bpf_htons(SLUICE_SNAT_PORT_MIN + (h + i * SNAT_PORT_STEP) % SNAT_PORT_COUNT);
		snat_reply_tuple(f, addr, *port, &reply);
		/* Taken, or just taken by another CPU's new flow: the next try. */
		if (ct4_claim(&reply, SLUICE_CT_SNAT_IN, &in))
			continue;
		out.nat_port = *port;
		if (ct4_create(f, SLUICE_CT_SNAT_OUT, &out))
			return -1;
		return 0;
	}
	return -1;
}

/*
 * Sends f from addr: its port from before, else a new one. 0, or a drop
 * verdict when no port is free or the packet cannot be rewritten.
 */
static __always_inline int snat4_out(struct __sk_buff *skb, struct flow4 *f, __be32 addr)
{
	struct sluice_ct4_value *v = ct4_lookup(f, SLUICE_CT_SNAT_OUT);
	__be16 port;

	/* A retransmitted SYN keeps its port: a new one would split the connection. */
	if (v) {
		port = v->nat_port;
	} else if (snat4_alloc(f, addr, &port)) {
		return SLUICE_VERDICT_DROP_NO_SNAT_PORT;
	} else {
		v = ct4_lookup(f, SLUICE_CT_SNAT_OUT);
	}
	if (nat4_snat(skb, f, addr, port) < 0)
		return SLUICE_VERDICT_DROP_MALFORMED;
	/* Translated, f's reverse is the SNAT_IN tuple: a FIN or RST ends both. */
	if (v)
		ct4_refresh_pair(v, f, SLUICE_CT_SNAT_IN);
	return 0;
}

/*
 * A reply to a flow sent from the node's address goes back to the flow's
 * real source. 1 when f was one (and is rewritten), 0 when not, -1 when
 * the packet cannot be rewritten.
 */
static __always_inline int snat4_in(struct __sk_buff *skb, struct flow4 *f)
{
	struct sluice_ct4_value *v = ct4_lookup(f, SLUICE_CT_SNAT_IN);

	if (!v)
		return 0;
	if (nat4_dnat(skb, f, v->nat_addr, v->nat_port) < 0)
		return -1;
	/* Translated back, f's reverse is the SNAT_OUT tuple. */
	ct4_refresh_pair(v, f, SLUICE_CT_SNAT_OUT);
	return 1;
}

/*
 * An ICMP error f about a flow sent from the node's address (rk and
 * udp_check from quote_read()): the packet it quotes, from the node's
 * address and port, and the error itself go to the flow's real source,
 * and rk becomes the rewritten quote's reverse. 1 when f was one (and is
 * rewritten), 0 when not, -1 when the packet cannot be rewritten.
 */
static __always_inline int snat4_icmp_error(struct __sk_buff *skb, struct flow4 *f,
					    struct sluice_ct4_key *rk, __sum16 *udp_check)
{
	struct sluice_ct4_value *v;

	rk->dir = SLUICE_CT_SNAT_IN;
	v = ct4_lookup_key(rk);
	if (!v)
		return 0;
	/* rk is the quote reversed: its daddr and dport are the node's address and port. */
	if (quote_addr_set(skb, f, QUOTE_SADDR, rk->daddr, v->nat_addr, *udp_check) < 0 ||
	    quote_port_set(skb, f, QUOTE_SPORT, rk->dport, v->nat_port, *udp_check) < 0 ||
	    quote_udp_csum_done(skb, f, udp_check) < 0 || nat4_dnat(skb, f, v->nat_addr, 0) < 0)
		return -1;
	rk->daddr = v->nat_addr;
	rk->dport = v->nat_port;
	return 1;
}

#endif
