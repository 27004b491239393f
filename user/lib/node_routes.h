/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel routes to other nodes' pod CIDRs, so the node's own processes
 * reach remote pods and BPF's FIB lookups find the way. sluice's routes
 * carry their own protocol number, which is how they are found again.
 */
#ifndef SLUICE_NODE_ROUTES_H
#define SLUICE_NODE_ROUTES_H

#include <netinet/in.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * `ip route` shows it as "proto 197": above the kernel's own (0-4) and clear
 * of the numbers iproute2's rt_protos gives routing daemons.
 */
#define SLUICE_ROUTE_PROTO 197

struct node_route {
	struct in_addr dst;		/* a pod CIDR's network address */
	__u8 prefix;
	struct in_addr via;		/* native routing: the node; 0: out of oif (the tunnel) */
};

/*
 * Makes sluice's routes exactly want[]: routes without a gateway leave
 * through oif with src as the source of the node's own packets. Missing and
 * changed routes are written, others deleted; *failed counts the routes the
 * kernel refused (each one logged), which the rest do not wait for.
 */
int node_routes_sync(const struct node_route *want, size_t n, int oif, struct in_addr src,
		     unsigned int *failed);
/* Deletes every route of sluice's; returns how many, or a negative errno. */
int node_routes_remove_all(void);

#endif
