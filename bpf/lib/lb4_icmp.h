/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP errors about tracked flows, on their way to the flow's client: part
 * of the flow, as conntrack's RELATED state makes them for kube-proxy. One
 * about a translated service flow shows the service again: the quoted
 * packet, which went from the client to the backend, gets the service
 * address and port back, and an error the backend itself sent comes from
 * the service address. So a UDP request to a port nothing listens on
 * fails at once, and path MTU discovery works through a service.
 */
#ifndef SLUICE_BPF_LB4_ICMP_H
#define SLUICE_BPF_LB4_ICMP_H

#include "icmp4_quote.h"
#include "nat4.h"

/*
 * Whether the ICMP error f (rk and udp_check from quote_read()) is about a
 * tracked flow, found by its reply tuple; if so, a translated flow's error
 * is translated back (for hairpin, to the pod's own address from its
 * stand-in) and *external says whether the client is outside the node.
 * Returns 1 when it is, 0 when not (left unchanged), -1 if a helper
 * failed.
 */
static __always_inline int lb4_icmp_error(struct __sk_buff *skb, struct flow4 *f,
					  struct sluice_ct4_key *rk, __sum16 *udp_check,
					  bool *external)
{
	struct sluice_ct4_value *ct;
	__be32 client;

	rk->dir = SLUICE_CT_REPLY;
	ct = ct4_lookup_key(rk);
	if (!ct)
		return 0;
	*external = ct->flags & SLUICE_CT_F_EXTERNAL;
	if (!(ct->flags & SLUICE_CT_F_NAT))
		return 1;
	/* rk is the quote reversed: its saddr the backend, its daddr the client or stand-in. */
	client = ct->flags & SLUICE_CT_F_HAIRPIN ? ct->client_addr : rk->daddr;
	if (quote_addr_set(skb, f, QUOTE_DADDR, rk->saddr, ct->nat_addr, *udp_check) < 0 ||
	    quote_addr_set(skb, f, QUOTE_SADDR, rk->daddr, client, *udp_check) < 0 ||
	    quote_port_set(skb, f, QUOTE_DPORT, rk->sport, ct->nat_port, *udp_check) < 0 ||
	    quote_udp_csum_done(skb, f, udp_check) < 0 ||
	    (f->saddr == rk->saddr && nat4_snat(skb, f, ct->nat_addr, 0) < 0) ||
	    (f->daddr != client && nat4_dnat(skb, f, client, 0) < 0))
		return -1;
	return 1;
}

#endif
