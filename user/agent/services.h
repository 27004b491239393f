/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's service reconciler: a cache of Services and EndpointSlices
 * fed by the state sources, and the frontends they give, programmed through
 * the LB writer. Events only mark services dirty; a flush reconciles each
 * dirty service once, however many events touched it.
 */
#ifndef SLUICE_AGENT_SERVICES_H
#define SLUICE_AGENT_SERVICES_H

#include <stdbool.h>

#include "k8s/object.h"
#include "lb/frontends.h"
#include "lb/lb_writer.h"

struct services {
	struct lb_writer writer;
	struct lb_node node;
	/* Hash tables (services.c's entry types), by "ns/name" unless said: */
	struct svc_entry *svcs;		/* the last valid Service */
	struct slice_entry *slices;	/* the last valid EndpointSlice */
	struct slice_index *by_service;	/* by "ns/service": its slices */
	struct dirty_entry *dirty;	/* services to reconcile */
	struct in_addr *node_addrs;	/* owned copy behind node.addrs */
	unsigned long invalid;	/* objects refused, for metrics */
};

int services_open(struct services *s, const struct sluice_pins *pins, __u32 maglev_size,
		  const char *node_name);
void services_close(struct services *s);
/* Takes one Service or EndpointSlice event; other kinds are ignored. */
void services_event(struct services *s, enum k8s_event_type type, enum k8s_kind kind,
		    const cJSON *obj);
/* The node's addresses for NodePorts; every service is reconciled again when they change. */
void services_set_node_addrs(struct services *s, const struct in_addr *addrs, size_t n);
/*
 * Reconciles every dirty service, then commits the writer's batch, so the
 * new frontends of one flush enter the maps together.
 */
int services_flush(struct services *s);
/* Services (K8S_KIND_SERVICE) or EndpointSlices in the cache; 0 for other kinds. */
size_t services_count(const struct services *s, enum k8s_kind kind);
/* Whether a flush has work: some service is dirty. */
bool services_pending(const struct services *s);

#endif
