/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a Service and its EndpointSlices ask of this node's load balancer:
 * every frontend (address, port, protocol, scope) with its backends, as
 * kube-proxy would program them. Pure computation: no maps touched, so
 * unit tests check it directly.
 */
#ifndef SLUICE_LB_FRONTENDS_H
#define SLUICE_LB_FRONTENDS_H

#include <stddef.h>
#include <linux/types.h>
#include <sluice/abi.h>

#include "k8s/service.h"

struct lb_backend {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 flags;		/* enum sluice_backend_flags */
};

struct lb_frontend {
	struct sluice_svc4_key key;
	__u8 kind;		/* enum sluice_svc_kind */
	__u16 flags;		/* enum sluice_svc_flags */
	__u32 affinity_timeout;
	char port_name[SLUICE_K8S_PORT_NAME_LEN];
	struct lb_backend *backends;	/* sorted, without duplicates */
	size_t n_backends;
};

struct lb_frontends {
	struct lb_frontend *items;
	size_t n;
};

/* The node's own addresses, where NodePorts listen. */
struct lb_node {
	const char *name;
	const struct in_addr *addrs;
	size_t n_addrs;
};

/*
 * Computes the frontends of svc from its slices (those naming it; others
 * are ignored). Headless and ExternalName services have none.
 */
int lb_frontends_build(const struct k8s_service *svc, const struct k8s_endpointslice *slices,
		       size_t n_slices, const struct lb_node *node, struct lb_frontends *out);
void lb_frontends_free(struct lb_frontends *fe);

#endif
