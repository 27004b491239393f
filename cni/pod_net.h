/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pod's wiring: a veth pair whose host side stays in the node's namespace
 * and whose peer is the pod's interface. The pod gets its address as /32 and
 * a default route through a link-local gateway that the host veth answers
 * for through static neighbour entries, so no ARP ever crosses the pair.
 */
#ifndef SLUICE_CNI_POD_NET_H
#define SLUICE_CNI_POD_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <netinet/in.h>

#include "errors.h"
#include "netlink.h"

/*
 * The pod's gateway: link-local, so it is never routed off the node and
 * clashes with no pod CIDR; the same in every pod.
 */
#define POD_GATEWAY_IPV4 "169.254.1.1"
/* Prefix length of the pod's own address: one host, nothing on-link. */
#define POD_ADDR_PREFIX 32

struct pod_net {
	char host_ifname[IF_NAMESIZE];
	int host_ifindex;
	unsigned char host_mac[MAC_LEN];
	char ifname[IF_NAMESIZE];	/* inside the pod */
	unsigned char pod_mac[MAC_LEN];
	struct in_addr addr;
	unsigned int mtu;
};

/*
 * Creates and configures both ends. On failure removes what it made (the
 * host veth, and with it the peer) and returns the CNI error code.
 */
int pod_net_create(struct pod_net *pn, int netns_fd, struct cni_error *err);
/* Whether the node has a link of this name. */
bool pod_net_exists(const char *host_ifname);
/* Removes the pair by its host name; a missing one is not an error. */
int pod_net_delete(const char *host_ifname, struct cni_error *err);
/*
 * Verifies both ends as pod_net_create left them: links up, address, routes,
 * neighbour entries. Fills the MACs and host ifindex it finds.
 */
int pod_net_check(struct pod_net *pn, int netns_fd, struct cni_error *err);

#endif
