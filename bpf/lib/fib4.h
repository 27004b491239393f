/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Forwarding by the kernel's routing table from BPF: the route gives the
 * egress device and next hop, and the neighbour subsystem the MAC, so a
 * packet leaves the node without a pass through the host's IP stack, which
 * would drop a reply whose source is one of its own addresses as a martian.
 */
#ifndef SLUICE_BPF_FIB4_H
#define SLUICE_BPF_FIB4_H

#include "endpoint.h"

/* Address family number in bpf_fib_lookup and bpf_redir_neigh (AF_INET). */
#define FIB_AF_INET 2

/*
 * Routes the IPv4 packet at iph out of the node. Returns the TC verdict:
 * a redirect, or TC_ACT_OK to leave the packet to the stack when the route
 * is not one BPF can take (local delivery, blackhole, no route).
 */
static __always_inline int fib4_forward(struct __sk_buff *skb, struct iphdr *iph)
{
	struct bpf_fib_lookup fib = {};
	struct bpf_redir_neigh nh = {};
	long rc;

	if (iph->ttl <= 1)
		return TC_ACT_OK;
	fib.family = FIB_AF_INET;
	fib.tos = iph->tos;
	fib.l4_protocol = iph->protocol;
	/*
	 * The MTU check is for one packet: a GSO packet's length is its whole
	 * train, which the device cuts into segments that fit. 0 skips it.
	 */
	fib.tot_len = skb->gso_segs > 1 ? 0 : bpf_ntohs(iph->tot_len);
	fib.ipv4_src = iph->saddr;
	fib.ipv4_dst = iph->daddr;
	fib.ifindex = skb->ingress_ifindex;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return TC_ACT_OK;
	ipv4_decrease_ttl(iph);
	nh.nh_family = FIB_AF_INET;
	nh.ipv4_nh = fib.ipv4_dst;	/* the gateway, or the destination when on-link */
	return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
}

#endif
