/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The other nodes of the cluster, and how this node reaches their pods. */
#ifndef SLUICE_NODE_H
#define SLUICE_NODE_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> first"
#endif

/*
 * Node map entries: two per node (its pod CIDR and its address), and
 * Kubernetes' documented limit is 5,000 nodes.
 */
#define SLUICE_NODE_MAX 16384

/* How a packet for a pod on another node leaves this node. */
enum sluice_routing {
	/* The underlay routes pod CIDRs: FIB lookup and the neighbour's MAC. */
	SLUICE_ROUTING_NATIVE = 0,
	/* Encapsulated in VXLAN to the node's address; the VNI carries the source's identity. */
	SLUICE_ROUTING_VXLAN = 1,
};

/* A pod CIDR of another node, or its address as a /32 (LPM trie key). */
struct sluice_node4_key {
	__u32 prefixlen;	/* bits of addr that count: 32 for an address */
	__be32 addr;		/* network byte order */
};
_Static_assert(sizeof(struct sluice_node4_key) == 8, "node key layout");

/* The node whose pod CIDR it is. */
struct sluice_node4_value {
	__be32 node_addr;	/* its InternalIP: the tunnel's far end, or the route's gateway */
	__u32 pad;
};
_Static_assert(sizeof(struct sluice_node4_value) == 8, "node value layout");

enum sluice_node_flags {
	/* Pods' traffic to outside the cluster leaves from the node's address. */
	SLUICE_NODE_F_MASQUERADE = 1 << 0,
};

/* This node's routing, written by the agent; one slot. */
struct sluice_node_cfg {
	__u32 routing;		/* enum sluice_routing */
	__u32 tunnel_ifindex;	/* the VXLAN device (VXLAN routing), else 0 */
	__u32 pod_mtu;		/* MTU for new pods' interfaces; 0: the plugin's own default */
	__be32 node_addr;	/* this node's InternalIP: the source of masqueraded traffic */
	__u32 flags;		/* enum sluice_node_flags */
	__u32 pad[3];
};
_Static_assert(sizeof(struct sluice_node_cfg) == 32, "node config layout");

/* A destination pods reach with their own address (LPM trie key, as the node map's). */
#define SLUICE_NOMASQ_MAX 256

/*
 * Source ports the node gives flows it sends from its own address: above
 * Linux's default ephemeral range (32768-60999), so the node's own sockets
 * never hold one. Each (destination, protocol) has this many at once.
 */
#define SLUICE_SNAT_PORT_MIN 61000
#define SLUICE_SNAT_PORT_MAX 65535

/* The VXLAN device sluice makes on every node in VXLAN routing. */
#define SLUICE_VXLAN_DEVICE "sluice_vxlan"
/* IANA's VXLAN port (RFC 7348). */
#define SLUICE_VXLAN_PORT 4789
/* Outer IPv4 (20), UDP (8), VXLAN (8) and inner Ethernet (14) headers. */
#define SLUICE_VXLAN_OVERHEAD 50
/* A VNI has 24 bits: identities sent in it must fit. */
#define SLUICE_VNI_BITS 24

#endif
