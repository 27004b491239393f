/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Finding local pods and delivering packets straight into them. */
#ifndef SLUICE_BPF_ENDPOINT_H
#define SLUICE_BPF_ENDPOINT_H

#include "maps.h"
#include "consts.h"

static __always_inline struct sluice_endpoint_info *endpoint_lookup4(__be32 addr)
{
	struct sluice_endpoint_key key = {};

	key.family = SLUICE_FAMILY_IPV4;
	key.addr[0] = addr;
	return bpf_map_lookup_elem(&SLUICE_MAP_ENDPOINT, &key);
}

/*
 * Forwarding to a local pod is a routed hop, so the TTL drops by one as the
 * host stack would have done. The checksum is patched incrementally (RFC
 * 1624), as the kernel's ip_decrease_ttl() does: TTL is the high byte of its
 * 16-bit word, so the sum grows by 0x0100 in network order.
 */
static __always_inline void ipv4_decrease_ttl(struct iphdr *iph)
{
	__u32 check = iph->check;

	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

/*
 * Rewrites the frame as if the host had routed it out of the destination
 * pod's veth, then hands it to the veth's peer inside the pod's namespace
 * without a pass through the host stack.
 */
static __always_inline int endpoint_deliver4(struct ethhdr *eth, struct iphdr *iph,
					     const struct sluice_endpoint_info *ep)
{
	ipv4_decrease_ttl(iph);
	__builtin_memcpy(eth->h_dest, ep->pod_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, ep->host_mac, ETH_ALEN);
	return bpf_redirect_peer(ep->ifindex, 0);
}

#endif
