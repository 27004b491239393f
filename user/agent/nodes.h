/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's node reconciler: Node objects become the node map (another
 * node's pod CIDR -> its address) and the kernel routes to those CIDRs; the
 * routing mode decides the routes' shape and whether the VXLAN device exists.
 */
#ifndef SLUICE_AGENT_NODES_H
#define SLUICE_AGENT_NODES_H

#include <stdbool.h>
#include <linux/types.h>

#include "agent/devices.h"
#include "agent/nomasq.h"
#include "k8s/node_info.h"
#include "k8s/object.h"
#include "lib/pins.h"

struct nodes_opts {
	const char *self;		/* --node-name: this node's Node object */
	enum sluice_routing routing;	/* --routing */
	struct np_cidr pod_cidr;	/* --pod-cidr; prefix 0: from this node's Node object */
	const struct devices *devices;	/* where the underlay is: MTU and fallback address */
	bool masquerade;		/* --masquerade on */
	struct nomasq nomasq;		/* --non-masquerade-cidrs */
};

struct nodes {
	struct nodes_opts opts;
	int map_fd, cfg_fd;
	struct sluice_node_cfg cfg;	/* as last written */
	void *tree;			/* name -> struct node_info */
	bool dirty;
	struct node_info self;		/* this node's Node object, once seen */
	unsigned long invalid;		/* objects refused, for metrics */
	unsigned long entries;		/* node map entries after the last flush */
	unsigned int route_failures;	/* routes the kernel refused in the last flush */
};

/* Opens the maps and sets the routing mode up: the VXLAN device made or removed. */
int nodes_open(struct nodes *n, const struct sluice_pins *pins, const struct nodes_opts *o);
void nodes_close(struct nodes *n);
/* Takes one Node event; other kinds are ignored. */
void nodes_event(struct nodes *n, enum k8s_event_type type, enum k8s_kind kind, const cJSON *obj);
/* Writes the node map, routes and node config as the cache says, when anything changed. */
int nodes_flush(struct nodes *n);
size_t nodes_count(const struct nodes *n);
/* "native" or "vxlan" into a mode; false for anything else. */
bool nodes_routing_parse(const char *s, enum sluice_routing *out);

#endif
