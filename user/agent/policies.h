/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's NetworkPolicy reconciler: caches of Pods, Namespaces and
 * NetworkPolicies fed by the state sources; a flush turns them, with the
 * node's endpoints, into identities, the address-to-identity map and each
 * local endpoint's allow tables. Events only mark the state dirty, so a
 * burst of them costs one flush.
 */
#ifndef SLUICE_AGENT_POLICIES_H
#define SLUICE_AGENT_POLICIES_H

#include <netinet/in.h>
#include <stdbool.h>

#include "k8s/object.h"
#include "lib/endpoint_map.h"
#include "policy/identity.h"
#include "policy/pol_writer.h"

struct policies_stats {
	unsigned long flushes;
	unsigned long invalid;		/* objects refused */
	size_t identities;
	size_t policies;
	size_t enforced;		/* local endpoint directions that are isolated */
	double apply_ms;		/* last flush: from the first change it took in to done */
};

struct policies {
	struct pol_writer writer;
	struct endpoint_maps eps;
	struct id_allocator ids;	/* security identities */
	struct id_allocator policy_ids;	/* "ns/name" of a policy -> its id in events */
	void *pods;			/* tree: "ns/name" -> last valid Pod */
	void *nss;			/* tree: name -> last valid Namespace */
	void *nps;			/* tree: "ns/name" -> last valid NetworkPolicy */
	struct in_addr *host_addrs;	/* the node's own addresses: identity HOST */
	size_t n_host;
	bool dirty;
	double dirty_since;		/* monotonic_s() of the first change not yet applied */
	struct policies_stats stats;
};

/* Opens the maps and reads back the identities and policy ids a previous agent left. */
int policies_open(struct policies *p, const struct sluice_pins *pins);
void policies_close(struct policies *p);
/* Takes one Pod, Namespace or NetworkPolicy event; other kinds are ignored. */
void policies_event(struct policies *p, enum k8s_event_type type, enum k8s_kind kind,
		    const cJSON *obj);
/* The node's addresses (traffic from them is the node's: identity HOST). */
void policies_set_host_addrs(struct policies *p, const struct in_addr *addrs, size_t n);
/* Marks the state dirty, as when the node's endpoints changed. */
void policies_touch(struct policies *p);
/*
 * Programs the maps from the caches and the endpoints, when anything is
 * dirty. Call only once every source has synced: before that the caches
 * are partial, and the tables a previous agent left stay as they are.
 */
int policies_flush(struct policies *p);
/* Pods, Namespaces or NetworkPolicies in the cache; 0 for other kinds. */
size_t policies_count(const struct policies *p, enum k8s_kind kind);

#endif
