/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the datapath did with each packet, counted per CPU. */
#ifndef SLUICE_VERDICT_H
#define SLUICE_VERDICT_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> first"
#endif

/* Indexes of the verdict counter array; append only, never renumber. */
enum sluice_verdict {
	/* From a pod to a pod on this node, redirected into its namespace. */
	SLUICE_VERDICT_REDIRECT_LOCAL = 0,
	/* From a pod to anything that is not a local pod: the host stack. */
	SLUICE_VERDICT_PASS_STACK = 1,
	/* From a pod, not IPv4 (ARP, IPv6): the host stack. */
	SLUICE_VERDICT_PASS_NON_IP = 2,
	/* From the host stack to a pod. */
	SLUICE_VERDICT_TO_POD_STACK = 3,
	/* Dropped: a header too short or self-contradictory to forward. */
	SLUICE_VERDICT_DROP_MALFORMED = 4,
	/*
	 * To a service with no usable backend: refused, with an ICMP port
	 * unreachable sent back (dropped instead when the header has IP options).
	 */
	SLUICE_VERDICT_SVC_REFUSED = 5,
	/* Dropped: a service's backend vanished between table and lookup. */
	SLUICE_VERDICT_DROP_NO_BACKEND = 6,
	/* A reply to a client outside the node, routed out by FIB lookup. */
	SLUICE_VERDICT_FORWARD_NET = 7,
	/* From a node device to a service, translated to a pod on this node. */
	SLUICE_VERDICT_NET_TO_POD = 8,
	/* From a node device, not for a service: the host stack. */
	SLUICE_VERDICT_NET_PASS = 9,
	/* Dropped: a pod sent with an address or MAC that is not its own. */
	SLUICE_VERDICT_DROP_SPOOFED = 10,
	/* Dropped: the sending pod's egress policy allows no such flow. */
	SLUICE_VERDICT_DROP_POLICY_EGRESS = 11,
	/* Dropped: the receiving pod's ingress policy allows no such flow. */
	SLUICE_VERDICT_DROP_POLICY_INGRESS = 12,
	/* To a pod on another node, routed out of a node device (native routing). */
	SLUICE_VERDICT_FORWARD_NODE = 13,
	/* To a pod on another node, sent into the VXLAN tunnel. */
	SLUICE_VERDICT_FORWARD_TUNNEL = 14,
	/* From the VXLAN tunnel to a pod on this node. */
	SLUICE_VERDICT_TUNNEL_TO_POD = 15,
	/* From the VXLAN tunnel, not for a local pod: the host stack. */
	SLUICE_VERDICT_TUNNEL_PASS = 16,
	/* Dropped: for another node's pod, but the way there is missing (no route, no tunnel). */
	SLUICE_VERDICT_DROP_NO_ROUTE = 17,
	/* From a pod to outside the cluster, sent from the node's address and routed out. */
	SLUICE_VERDICT_MASQUERADE = 18,
	/* Dropped: no free source port to send a flow from the node's address. */
	SLUICE_VERDICT_DROP_NO_SNAT_PORT = 19,
	SLUICE_VERDICT_MAX,
};

/* One counter slot; per CPU, so user space adds the CPUs up. */
struct sluice_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct sluice_counter) == 16, "counter layout");

#endif
