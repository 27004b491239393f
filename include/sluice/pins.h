/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Names under the pin root. Map and program identifiers are tokens, so the
 * BPF side declares them with these macros and user space builds pin paths
 * from the same token: the two can never drift apart.
 */
#ifndef SLUICE_PINS_H
#define SLUICE_PINS_H

/* A node's pin root unless --bpffs (agent, CLI) or "bpffs" (CNI) says otherwise. */
#define SLUICE_PIN_ROOT_DEFAULT "/sys/fs/bpf/sluice"
/* Subdirectories of the pin root, one per BPF object kind. */
#define SLUICE_PIN_DIR_MAPS "maps"
#define SLUICE_PIN_DIR_PROGS "progs"

/*
 * Kernel object names are cut at 15 characters (BPF_OBJ_NAME_LEN - 1), so
 * each name below fits whole and `bpftool map show` prints it uncut.
 */
/* Pod IP -> where that pod is on this node (hash). */
#define SLUICE_MAP_ENDPOINT sluice_endpoint
/* Pod IP -> who the pod is (container ID, pod name); control plane only. */
#define SLUICE_MAP_EP_META sluice_ep_meta
/* Per-CPU packet and byte counters indexed by enum sluice_verdict. */
#define SLUICE_MAP_VERDICTS sluice_verdicts
/* One slot: which agent owns this pin root and whether it has synced. */
#define SLUICE_MAP_AGENT sluice_agent
/* Service frontends: IPv4 address, port, protocol, scope -> frontend (hash). */
#define SLUICE_MAP_SVC4 sluice_svc4
/* Frontend id -> service namespace/name/port; control plane only (hash). */
#define SLUICE_MAP_SVC_META sluice_svc_meta
/* Backend id -> IPv4 address and port (hash). */
#define SLUICE_MAP_BACKEND4 sluice_backend4
/* Frontend id -> its Maglev table of backend ids (array of arrays). */
#define SLUICE_MAP_MAGLEV sluice_maglev
/* (client, frontend) -> backend, for sessionAffinity: ClientIP (LRU hash). */
#define SLUICE_MAP_AFFINITY4 sluice_affin4
/* Translated flows, both directions (LRU hash). */
#define SLUICE_MAP_CT4 sluice_ct4
/* (socket, backend) -> frontend, for sockets the socket LB translated (LRU hash). */
#define SLUICE_MAP_SOCK_REV4 sluice_sockrev4
/* IPv4 address or prefix -> security identity (LPM trie). */
#define SLUICE_MAP_IPCACHE4 sluice_ipcache4
/* Identity -> what it stands for (namespace, labels, CIDRs); control plane only. */
#define SLUICE_MAP_IDENTITY sluice_identity
/* Endpoint -> its ingress allow entries (hash of LPM tries); absent: not isolated. */
#define SLUICE_MAP_POLICY_IN sluice_pol_in
/* Endpoint -> its egress allow entries. */
#define SLUICE_MAP_POLICY_OUT sluice_pol_out
/* Policy id -> namespace/name, for events that name the allowing policy. */
#define SLUICE_MAP_POLICY_META sluice_pol_meta
/* Per-CPU drop counters per (endpoint, reason). */
#define SLUICE_MAP_DROPS sluice_drops
/* Ring buffer of verdict events for `sluice monitor`. */
#define SLUICE_MAP_EVENTS sluice_events
/* One slot of switches monitors set (ALLOW events on or off). */
#define SLUICE_MAP_MONITOR sluice_monitor
/* Another node's pod CIDR -> that node's address (LPM trie). */
#define SLUICE_MAP_NODES4 sluice_nodes4
/* One slot: this node's routing mode, tunnel device and address. */
#define SLUICE_MAP_NODE_CFG sluice_node_cfg
/* Destinations outside the cluster that pods reach unmasqueraded (LPM trie). */
#define SLUICE_MAP_NOMASQ4 sluice_nomasq4
/* Per-CPU room for what does not fit a program's 512-byte stack (a tunnel key). */
#define SLUICE_MAP_SCRATCH sluice_scratch

/* TC program on the host side of a pod veth, ingress: packets from the pod. */
#define SLUICE_PROG_FROM_POD tc_from_pod
/* TC program on the host side of a pod veth, egress: packets to the pod. */
#define SLUICE_PROG_TO_POD tc_to_pod
/* TC program on a node device (--devices), ingress: packets from outside the node. */
#define SLUICE_PROG_FROM_NET tc_from_net
/* TC programs on the VXLAN device: ingress, decapsulated packets from other nodes. */
#define SLUICE_PROG_FROM_OVERLAY tc_from_ovl
/* ... egress: the host stack's packets to other nodes' pods get their tunnel key. */
#define SLUICE_PROG_TO_OVERLAY tc_to_ovl
/* cgroup socket hooks of the socket-level load balancer (--socket-lb). */
#define SLUICE_PROG_SOCK_CONNECT4 sock_connect4
#define SLUICE_PROG_SOCK_SENDMSG4 sock_sendmsg4
#define SLUICE_PROG_SOCK_RECVMSG4 sock_recvmsg4
#define SLUICE_PROG_SOCK_GETPEERNAME4 sock_getpeername4
/* Subdirectory of the pin root holding the cgroup links, which keep the hooks attached. */
#define SLUICE_PIN_DIR_LINKS "links"

#define SLUICE_STR_(x) #x
/* Turns one of the tokens above into its pin file name. */
#define SLUICE_STR(x) SLUICE_STR_(x)

#endif
