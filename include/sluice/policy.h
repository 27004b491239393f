/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NetworkPolicy in the datapath: an LPM map from addresses to security
 * identities, per-endpoint policy maps of what each direction allows, drop
 * counters per endpoint and reason, and a ring buffer of verdict events.
 */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> first"
#endif

/* Reserved identities (the user-space model names the same numbers). */
#define SLUICE_IDENTITY_ANY 0		/* in policy keys: every peer */
#define SLUICE_IDENTITY_HOST 1		/* the node itself */
#define SLUICE_IDENTITY_WORLD 2		/* no pod, no policy CIDR */

/*
 * Pod identities are numbered from their namespace and labels, the same on
 * every node, from here up to (not including) the end; a VXLAN VNI (24
 * bits) carries them. Below: numbered by each node for itself (policy
 * CIDRs, and pods whose number was taken by another's).
 */
#define SLUICE_IDENTITY_CLUSTER_FIRST 65536
#define SLUICE_IDENTITY_CLUSTER_END (1U << 24)

/* Addresses and prefixes with an identity by default: every pod IP and policy CIDR. */
#define SLUICE_IPCACHE_MAX 65536
/* Allow entries one endpoint's direction may hold by default. */
#define SLUICE_POLICY_ENTRIES_MAX 16384
/* Counted (endpoint, reason) pairs by default. */
#define SLUICE_DROPS_MAX 8192
/* Bytes of the event ring buffer: a power of two pages; 1 MiB holds ~20k events. */
#define SLUICE_EVENTS_BYTES (1 << 20)
/* Policies with an id by default (for naming the policy that allowed a flow). */
#define SLUICE_POLICY_META_MAX 16384

/* Address -> identity, longest prefix first. */
struct sluice_ipcache4_key {
	__u32 prefixlen;	/* LPM: bits of addr that count */
	__be32 addr;
};
_Static_assert(sizeof(struct sluice_ipcache4_key) == 8, "ipcache4 key layout");

struct sluice_ipcache_value {
	__u32 identity;
};

/*
 * An allow entry of one endpoint's direction, matched longest prefix
 * first over identity, protocol and port: a port range is a few prefixes;
 * "every port of every protocol" is the identity alone (prefix 32); prefix
 * 0 is the catch-all of an open direction. The datapath looks up the
 * peer's identity, then SLUICE_IDENTITY_ANY.
 */
struct sluice_policy_key {
	__u32 prefixlen;	/* LPM: bits of the fields below that count */
	__u32 identity;		/* always matched whole, so its byte order does not matter */
	__u8 proto;
	__u8 pad;		/* always 0: counted in every prefix that reaches the port */
	__be16 port;		/* network order: prefixes cut from its high bits */
};
_Static_assert(sizeof(struct sluice_policy_key) == 12, "policy key layout");

/* Bits of the key a full match spans: identity, protocol, pad, port. */
#define SLUICE_POLICY_KEY_BITS 64
/* Bits of the identity alone: an entry allowing every protocol and port. */
#define SLUICE_POLICY_IDENTITY_BITS 32

/* No policy: an entry sluice adds itself (the node's access), or an event of a drop. */
#define SLUICE_POLICY_ID_NONE 0xffffffff
/*
 * The catch-all entry (prefix 0) of a direction no policy isolates: every
 * endpoint keeps its tables for its whole life, so isolating it or opening
 * it edits a table and never the outer map (whose updates wait for an RCU
 * grace period).
 */
#define SLUICE_POLICY_ID_OPEN 0xfffffffe

struct sluice_policy_value {
	__u32 policy_id;	/* which policy allowed it (sluice_pol_meta), or SLUICE_POLICY_ID_NONE */
};

/* What identity and policy maps the CLI names come from. */
#define SLUICE_IDENTITY_DESC_LEN 1024

enum sluice_identity_flags {
	/*
	 * The number is the labels' own on every node (no other labels known
	 * here share it): a VNI naming it can be taken at its word.
	 */
	SLUICE_IDENTITY_F_CLUSTER = 1 << 0,
};

struct sluice_identity_meta {
	__u32 flags;				/* enum sluice_identity_flags */
	char desc[SLUICE_IDENTITY_DESC_LEN];	/* "pod:NS:k=v,..." or "cidr:P[:in=...]" */
};

struct sluice_policy_meta {
	char namespace[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
};

enum sluice_direction {
	SLUICE_DIR_INGRESS = 0,
	SLUICE_DIR_EGRESS = 1,
};

/* Drops counted per endpoint and reason (enum sluice_verdict). */
struct sluice_drop_key {
	__be32 endpoint;	/* the pod's IPv4 address, or SLUICE_DROP_ENDPOINT_FORGED */
	__u32 reason;
};

/*
 * The endpoint drop-spoofed is counted under, whatever address the frame
 * claimed: that address is not the sender's, and a key per forged address
 * would let one pod fill sluice_drops for every other. sluice monitor's
 * event names the veth the frame came in on.
 */
#define SLUICE_DROP_ENDPOINT_FORGED 0
_Static_assert(sizeof(struct sluice_drop_key) == 8, "drop key layout");

enum sluice_event_type {
	SLUICE_EVENT_DROP = 1,
	SLUICE_EVENT_ALLOW = 2,	/* a new flow policy let pass, when a monitor asks */
};

/* Why an ALLOW event's flow passed (its reason field). */
enum sluice_allow_reason {
	SLUICE_ALLOW_OPEN = 0,		/* no policy isolates either end */
	SLUICE_ALLOW_POLICY = 1,	/* an entry allowed it: policy_id names its policy */
};

/* One verdict, as `sluice monitor` shows it. */
struct sluice_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u8 type;		/* enum sluice_event_type */
	__u8 reason;		/* DROP: enum sluice_verdict; ALLOW: enum sluice_allow_reason */
	__u8 dir;		/* enum sluice_direction of the policy that decided */
	__u8 proto;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 ifindex;		/* the host veth of the endpoint whose policy decided */
	__u32 policy_id;	/* ALLOW: the policy; else SLUICE_POLICY_ID_NONE */
	__u32 pad;
};
_Static_assert(sizeof(struct sluice_event) == 48, "event layout");

/* Runtime switches the CLI sets while it runs (one slot). */
struct sluice_monitor_cfg {
	__u32 allow_events;	/* monitors asking for ALLOW events */
	__u32 pad;
};

#endif
