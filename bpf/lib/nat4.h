/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rewriting IPv4 addresses and ports with checksums kept right, through
 * helpers that also handle checksum offload (CHECKSUM_PARTIAL) state.
 * Every packet pointer is invalid after any of these.
 */
#ifndef SLUICE_BPF_NAT4_H
#define SLUICE_BPF_NAT4_H

#include "l4.h"

/* Offsets in the frame of the IPv4 header's fields this file writes. */
#define IP_CSUM_OFF (sizeof(struct ethhdr) + offsetof(struct iphdr, check))
#define IP_SADDR_OFF (sizeof(struct ethhdr) + offsetof(struct iphdr, saddr))
#define IP_DADDR_OFF (sizeof(struct ethhdr) + offsetof(struct iphdr, daddr))

static __always_inline __u32 l4_csum_off(const struct flow4 *f)
{
	return f->l4_off + (f->proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
}

/* A UDP checksum of 0 means "none" and must stay 0 (RFC 768). */
static __always_inline __u64 l4_csum_flags(const struct flow4 *f)
{
	return f->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
}

/* Replaces one address (at addr_off) and, if the packet has ports, its port. */
static __always_inline int nat4_rewrite(struct __sk_buff *skb, const struct flow4 *f,
					__u32 addr_off, __be32 from, __be32 to,
					__u32 port_off, __be16 pfrom, __be16 pto)
{
	if (from != to) {
		if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, from, to, sizeof(to)) < 0)
			return -1;
		if (f->has_ports &&
		    bpf_l4_csum_replace(skb, l4_csum_off(f), from, to,
					BPF_F_PSEUDO_HDR | l4_csum_flags(f) | sizeof(to)) < 0)
			return -1;
		if (bpf_skb_store_bytes(skb, addr_off, &to, sizeof(to), 0) < 0)
			return -1;
	}
	if (f->has_ports && pfrom != pto) {
		if (bpf_l4_csum_replace(skb, l4_csum_off(f), pfrom, pto,
					l4_csum_flags(f) | sizeof(pto)) < 0)
			return -1;
		if (bpf_skb_store_bytes(skb, f->l4_off + port_off, &pto, sizeof(pto), 0) < 0)
			return -1;
	}
	/* An echo's identifier, in a checksum without a pseudo-header. */
	if (flow4_is_echo(f) && pfrom != pto) {
		if (bpf_l4_csum_replace(skb, f->l4_off + ICMP_CSUM_OFF, pfrom, pto, sizeof(pto)) < 0)
			return -1;
		if (bpf_skb_store_bytes(skb, f->l4_off + ICMP_ID_OFF, &pto, sizeof(pto), 0) < 0)
			return -1;
	}
	return 0;
}

/* Destination address and port (service to backend). */
static __always_inline int nat4_dnat(struct __sk_buff *skb, struct flow4 *f, __be32 addr,
				     __be16 port)
{
	if (nat4_rewrite(skb, f, IP_DADDR_OFF, f->daddr, addr,
			 offsetof(struct udphdr, dest), f->dport, port) < 0)
		return -1;
	f->daddr = addr;
	f->dport = f->has_ports || flow4_is_echo(f) ? port : 0;
	return 0;
}

/* Source address and port (backend back to service, hairpin source). */
static __always_inline int nat4_snat(struct __sk_buff *skb, struct flow4 *f, __be32 addr,
				     __be16 port)
{
	if (nat4_rewrite(skb, f, IP_SADDR_OFF, f->saddr, addr,
			 offsetof(struct udphdr, source), f->sport, port) < 0)
		return -1;
	f->saddr = addr;
	f->sport = f->has_ports || flow4_is_echo(f) ? port : 0;
	return 0;
}

#endif
