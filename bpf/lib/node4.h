/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pods on other nodes: which node holds an address, and sending a packet
 * there by the node's routing mode (native routes or the VXLAN tunnel).
 */
#ifndef SLUICE_BPF_NODE4_H
#define SLUICE_BPF_NODE4_H

#include "maps.h"
#include "fib4.h"

/* Bits of an IPv4 address: a whole address as an LPM key. */
#define NODE4_ADDR_BITS 32
/* TTL of the outer header of encapsulated packets: the kernel's default (ip_default_ttl). */
#define TUNNEL_TTL 64
/* node4_forward(): the address is no other node's pod. */
#define NODE4_NOT_REMOTE (-1)

_Static_assert(SLUICE_IDENTITY_CLUSTER_END <= 1U << SLUICE_VNI_BITS,
	       "cluster-wide identities must fit a VNI");

static __always_inline struct sluice_node_cfg *node_cfg(void)
{
	__u32 slot = 0;

	return bpf_map_lookup_elem(&SLUICE_MAP_NODE_CFG, &slot);
}

static __always_inline struct sluice_node4_value *node4_lookup(__be32 addr)
{
	struct sluice_node4_key k = { .prefixlen = NODE4_ADDR_BITS, .addr = addr };

	return bpf_map_lookup_elem(&SLUICE_MAP_NODES4, &k);
}

/*
 * Sends the packet at iph to the node whose pod CIDR holds its destination:
 * NODE4_NOT_REMOTE when there is none, else the TC verdict with *why set.
 * A native route is the kernel's (the agent installs one per node), so BPF
 * and the host's own traffic take the same way; the tunnel's key is set on
 * the VXLAN device's egress, the one place every packet to it passes.
 */
static __always_inline int node4_forward(struct __sk_buff *skb, struct iphdr *iph,
					 enum sluice_verdict *why)
{
	struct sluice_node_cfg *cfg;
	int ret;

	if (!node4_lookup(iph->daddr))
		return NODE4_NOT_REMOTE;
	cfg = node_cfg();
	/* TTL 1 would expire here: the stack sends the ICMP error. */
	if (!cfg || iph->ttl <= 1) {
		*why = SLUICE_VERDICT_PASS_STACK;
		return TC_ACT_OK;
	}
	if (cfg->routing == SLUICE_ROUTING_VXLAN) {
		if (!cfg->tunnel_ifindex) {
			*why = SLUICE_VERDICT_DROP_NO_ROUTE;
			return TC_ACT_SHOT;
		}
		ipv4_decrease_ttl(iph);
		*why = SLUICE_VERDICT_FORWARD_TUNNEL;
		return bpf_redirect(cfg->tunnel_ifindex, 0);
	}
	ret = fib4_forward(skb, iph);
	*why = ret == TC_ACT_REDIRECT ? SLUICE_VERDICT_FORWARD_NODE : SLUICE_VERDICT_PASS_STACK;
	return ret;
}

/*
 * The tunnel key of a packet the VXLAN device is about to send: the far
 * end is the destination's node, the VNI the source's identity when that
 * number is the same on every node, else 0 (the receiver looks the source
 * address up). -1 when the destination is on no other node.
 */
static __always_inline int node4_tunnel_key(struct __sk_buff *skb, __be32 daddr,
					    __u32 src_identity)
{
	struct sluice_node4_value *node = node4_lookup(daddr);
	struct bpf_tunnel_key key = {};

	if (!node)
		return -1;
	key.remote_ipv4 = bpf_ntohl(node->node_addr);	/* the helper takes host order */
	key.tunnel_id = src_identity >= SLUICE_IDENTITY_CLUSTER_FIRST &&
				src_identity < SLUICE_IDENTITY_CLUSTER_END ? src_identity : 0;
	key.tunnel_ttl = TUNNEL_TTL;
	return bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX) ? -1 : 0;
}

#endif
