/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's life: load, sync, serve events and periodic work, stop leaving pins. */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include "agent/devices.h"
#include "agent/loader.h"
#include "agent/metrics.h"
#include "agent/nodes.h"
#include "k8s/api_config.h"
#include "lib/pins.h"

struct daemon_opts {
	const char *node_name;
	const char *manifests;		/* NULL: no manifest directory */
	const struct api_config *api;	/* NULL: no Kubernetes API */
	struct devices devices;		/* --devices; none: no traffic from outside is handled */
	bool socket_lb;			/* --socket-lb on */
	const char *cgroup_root;	/* --cgroup-root; NULL: the cgroup2 mount */
	struct loader_opts load;
	struct metrics_addr metrics;	/* --metrics-address; off: no HTTP server */
	struct nodes_opts nodes;	/* --routing, --pod-cidr, --masquerade, --non-masquerade-cidrs */
};

/* Runs until SIGTERM or SIGINT; 0 on a clean stop. */
int daemon_run(const struct sluice_pins *pins, const struct daemon_opts *opts);

#endif
