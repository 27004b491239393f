/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Endpoints: the pods on this node, keyed by address. */
#ifndef SLUICE_ENDPOINT_H
#define SLUICE_ENDPOINT_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> first"
#endif

/* Most pods a node holds at once; kubelet's default is 110, leave headroom. */
#define SLUICE_ENDPOINT_MAX 1024

/* Address families in keys; their own values so they never depend on libc. */
enum sluice_family {
	SLUICE_FAMILY_IPV4 = 4,
	SLUICE_FAMILY_IPV6 = 6,
};

/*
 * Keys are hashed over every byte, padding included: always zero a key
 * before filling it. IPv4 uses addr[0] and leaves the rest zero; the room
 * for IPv6 is there so the key never has to change layout to add it.
 */
struct sluice_endpoint_key {
	__u8 family;		/* enum sluice_family */
	__u8 pad[3];
	__be32 addr[4];		/* network byte order */
};
_Static_assert(sizeof(struct sluice_endpoint_key) == 20, "endpoint key layout");

/* What the datapath needs to deliver a packet to a local pod. */
struct sluice_endpoint_info {
	__u32 ifindex;		/* host-side veth, in the node's network namespace */
	__u8 pod_mac[6];	/* the pod interface's MAC: destination on delivery */
	__u8 host_mac[6];	/* the host veth's MAC: the pod's gateway, our source */
};
_Static_assert(sizeof(struct sluice_endpoint_info) == 16, "endpoint info layout");

/* Longest CNI container ID kept; runtimes use 64 hex characters. */
#define SLUICE_CONTAINER_ID_LEN 128
/* Interface names, as the kernel's IFNAMSIZ (15 characters and a NUL). */
#define SLUICE_IFNAME_LEN 16
/* CNI network names; the spec allows any string, libcni ones are short. */
#define SLUICE_NETWORK_LEN 64
/* A Kubernetes namespace is a DNS label: at most 63 characters and a NUL. */
#define SLUICE_POD_NAMESPACE_LEN 64
/* A pod name is a DNS subdomain: at most 253 characters and a NUL. */
#define SLUICE_POD_NAME_LEN 256

/*
 * Who an endpoint is: written by the CNI plugin next to the endpoint entry,
 * read by the CLI, CNI GC and CHECK. Never on the packet path, so it may be
 * large. Strings are NUL-terminated.
 */
struct sluice_endpoint_meta {
	char container_id[SLUICE_CONTAINER_ID_LEN];
	char ifname[SLUICE_IFNAME_LEN];		/* inside the pod (CNI_IFNAME) */
	char host_ifname[SLUICE_IFNAME_LEN];	/* the host-side veth */
	char network[SLUICE_NETWORK_LEN];	/* CNI network name */
	char pod_namespace[SLUICE_POD_NAMESPACE_LEN];
	char pod_name[SLUICE_POD_NAME_LEN];
};
_Static_assert(sizeof(struct sluice_endpoint_meta) == 544, "endpoint meta layout");

#endif
