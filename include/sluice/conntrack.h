/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection tracking, in an LRU hash: under pressure the least recently
 * used entries go first, and the agent removes expired ones. A flow policy
 * allowed has a FORWARD entry (its tuple after any translation) and a REPLY
 * entry (the tuple of its replies); a flow to a service also has a SERVICE
 * entry (its tuple before translation) naming its backend. A flow whose
 * source the node rewrites to its own address (masquerade, NodePort to a
 * backend on another node) has an SNAT_OUT and an SNAT_IN entry too.
 */
#ifndef SLUICE_CONNTRACK_H
#define SLUICE_CONNTRACK_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> first"
#endif

/* Entries a node tracks by default: two for a flow, three for a service flow. */
#define SLUICE_CT_MAX 262144

/*
 * Idle timeouts in seconds, per protocol and state. TCP follows the
 * packets each direction sends: a SYN alone, data, then FIN or RST.
 * Values as Cilium's defaults, which clusters run with today.
 */
#define SLUICE_CT_TCP_SYN_S 60
#define SLUICE_CT_TCP_ESTABLISHED_S 21600
#define SLUICE_CT_TCP_CLOSING_S 10
#define SLUICE_CT_UDP_S 60

enum sluice_ct_dir {
	/* Client to service frontend, before translation: names the backend. */
	SLUICE_CT_SERVICE = 0,
	/* Replies of an allowed flow, as they arrive; with NAT, they name the frontend. */
	SLUICE_CT_REPLY = 1,
	/* An allowed flow, after translation: its later packets skip policy. */
	SLUICE_CT_FORWARD = 2,
	/* A flow the node sends from its own address: nat_addr/nat_port are that source. */
	SLUICE_CT_SNAT_OUT = 3,
	/* Its replies, to the node's address: nat_addr/nat_port are the flow's real source. */
	SLUICE_CT_SNAT_IN = 4,
};

struct sluice_ct4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 dir;		/* enum sluice_ct_dir */
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_ct4_key) == 16, "ct4 key layout");

enum sluice_ct_flags {
	/* The client reached itself: replies go back to client_addr. */
	SLUICE_CT_F_HAIRPIN = 1 << 0,
	/* A FIN or RST was seen in this direction. */
	SLUICE_CT_F_CLOSING = 1 << 1,
	/* A packet other than a lone SYN was seen in this direction. */
	SLUICE_CT_F_ESTABLISHED = 1 << 2,
	/* The client is outside the node (it came in on a node device): replies are routed. */
	SLUICE_CT_F_EXTERNAL = 1 << 3,
	/* REPLY of a translated flow: nat_addr/nat_port (and client_addr) apply. */
	SLUICE_CT_F_NAT = 1 << 4,
};

struct sluice_ct4_value {
	__u64 expires_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) deadline */
	__u32 svc_id;		/* the frontend this flow was translated for */
	__u32 backend_id;	/* SERVICE: the chosen backend */
	__be32 nat_addr;	/* REPLY: the frontend address replies come from; SNAT_*: see the dir */
	__be32 client_addr;	/* REPLY with HAIRPIN: the pod's own address */
	__be16 nat_port;	/* REPLY: the frontend port; SNAT_*: see the dir */
	__u8 flags;		/* enum sluice_ct_flags */
	__u8 pad[5];
};
_Static_assert(sizeof(struct sluice_ct4_value) == 32, "ct4 value layout");

#endif
