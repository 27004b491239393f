/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Service load balancing: frontends (what clients address), backends (the
 * pods behind them) and a Maglev table per frontend. IPv4 maps carry a "4"
 * in their names; IPv6 twins will sit beside them with keys of their own.
 */
#ifndef SLUICE_SERVICE_H
#define SLUICE_SERVICE_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> first"
#endif

/* Frontends a node holds by default: 10,000 services with several ports each. */
#define SLUICE_FRONTEND_MAX 65536
/* Backends by default: every frontend's own, a few each on average. */
#define SLUICE_BACKEND_MAX 262144
/*
 * Maglev table slots per frontend by default. Must be prime (the
 * permutation needs it). 997 gives each backend its share within one slot
 * (0.1% of the flows), and is the largest prime whose table, with the hash
 * map's element and allocator headers (56 + 8 bytes on Linux 6.x), fits a
 * 4 KiB kernel allocation: 1,009 slots would take 8 KiB per frontend.
 */
#define SLUICE_MAGLEV_SIZE 997
/* Client-IP affinity entries by default (LRU: the oldest go first). */
#define SLUICE_AFFINITY_MAX 65536

/*
 * Who is asking decides which backend set a frontend uses: clients inside
 * the cluster (pods, the node itself) see internalTrafficPolicy, clients
 * from outside see externalTrafficPolicy. A frontend reachable from both
 * (NodePort, external and load-balancer IPs) has an entry for each.
 */
enum sluice_svc_scope {
	SLUICE_SCOPE_INTERNAL = 0,
	SLUICE_SCOPE_EXTERNAL = 1,
};

/* What a client addresses: a service IP, port and protocol. */
struct sluice_svc4_key {
	__be32 addr;		/* network byte order */
	__be16 port;		/* network byte order */
	__u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	__u8 scope;		/* enum sluice_svc_scope */
};
_Static_assert(sizeof(struct sluice_svc4_key) == 8, "svc4 key layout");

enum sluice_svc_flags {
	/* sessionAffinity: ClientIP: a client keeps its backend for affinity_timeout. */
	SLUICE_SVC_F_AFFINITY = 1 << 0,
};

struct sluice_svc_value {
	__u32 id;		/* index into the Maglev tables; names the frontend's backends */
	__u16 count;		/* backends in its table; 0 refuses connections at once */
	__u16 flags;		/* enum sluice_svc_flags */
	__u32 affinity_timeout;	/* seconds, with SLUICE_SVC_F_AFFINITY */
	__u32 pad;
};
_Static_assert(sizeof(struct sluice_svc_value) == 16, "svc value layout");

enum sluice_backend_flags {
	/* Terminating but serving: used only while no ready backend exists. */
	SLUICE_BACKEND_F_TERMINATING = 1 << 0,
	/* On this node. */
	SLUICE_BACKEND_F_LOCAL = 1 << 1,
};

/* One backend of one frontend; ids are never shared between frontends. */
struct sluice_backend4 {
	__be32 addr;		/* network byte order */
	__be16 port;		/* network byte order: the resolved targetPort */
	__u8 proto;
	__u8 flags;		/* enum sluice_backend_flags; for operators, not the datapath */
	__u32 svc_id;		/* the frontend it serves */
};
_Static_assert(sizeof(struct sluice_backend4) == 12, "backend4 layout");

/* A Kubernetes namespace: a DNS label, 63 characters and a NUL. */
#define SLUICE_K8S_NAMESPACE_LEN 64
/* A Kubernetes object name: a DNS subdomain, 253 characters and a NUL. */
#define SLUICE_K8S_NAME_LEN 256
/* A service port name: a DNS label, 63 characters and a NUL. */
#define SLUICE_K8S_PORT_NAME_LEN 64

enum sluice_svc_kind {
	SLUICE_SVC_CLUSTER_IP = 0,
	SLUICE_SVC_NODE_PORT = 1,
	SLUICE_SVC_EXTERNAL_IP = 2,
	SLUICE_SVC_LOAD_BALANCER = 3,
};

/*
 * Which service and port a frontend belongs to: for operators and for an
 * agent rebuilding its state after a restart. Never read by the datapath.
 */
struct sluice_svc_meta {
	char namespace[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
	char port_name[SLUICE_K8S_PORT_NAME_LEN];
	struct sluice_svc4_key key;	/* the frontend this id serves */
	__u8 kind;			/* enum sluice_svc_kind */
	__u8 pad[7];
};
_Static_assert(sizeof(struct sluice_svc_meta) == 400, "svc meta layout");

/* Client-IP affinity: which backend a client was given for a frontend. */
struct sluice_affinity4_key {
	__be32 client;
	__u32 svc_id;
};
_Static_assert(sizeof(struct sluice_affinity4_key) == 8, "affinity4 key layout");

struct sluice_affinity_value {
	__u64 last_used_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last new flow */
	__u32 backend_id;
	__u32 pad;
};
_Static_assert(sizeof(struct sluice_affinity_value) == 16, "affinity value layout");

/* Sockets a node's socket-level load balancer remembers by default (LRU). */
#define SLUICE_SOCK_REV_MAX 262144

/*
 * What a socket translated at connect or sendmsg time was really talking
 * to, for getpeername() and recvmsg(): keyed by the socket and the backend
 * it was sent to.
 */
struct sluice_sock_rev4_key {
	__u64 cookie;		/* bpf_get_socket_cookie() */
	__be32 addr;		/* the backend */
	__be16 port;
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_sock_rev4_key) == 16, "sock rev4 key layout");

struct sluice_sock_rev4_value {
	__be32 addr;		/* the frontend */
	__be16 port;
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_sock_rev4_value) == 8, "sock rev4 value layout");

/*
 * The address a pod's connection to itself through a service comes from:
 * the pod would drop a packet from its own address as a martian, so the
 * datapath gives it this link-local one and restores the pod's on replies.
 */
#define SLUICE_HAIRPIN_IPV4 "169.254.0.2"
/* The same, in host byte order for the BPF side. */
#define SLUICE_HAIRPIN_IPV4_HOST 0xa9fe0002

#endif
