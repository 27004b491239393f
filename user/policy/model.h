/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What NetworkPolicy computation works from: the cluster's pods and
 * namespaces with their labels, the parsed policies, and the security
 * identities all of that yields. Pure data: no maps, so unit tests build
 * it by hand.
 *
 * An identity is what policy can tell apart about a peer: a pod's namespace
 * and labels, and the set of ipBlock CIDRs (from every policy) its address
 * lies in. Pods alike in all three share one identity. Addresses outside
 * the pods get the identity of the longest policy CIDR holding them (its
 * set: every policy CIDR holding that prefix), or WORLD when none does.
 */
#ifndef SLUICE_POLICY_MODEL_H
#define SLUICE_POLICY_MODEL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/labels.h"
#include "policy/netpol.h"

/* Reserved identities; allocated ones start above them. */
#define IDENTITY_ANY 0		/* in policy entries: every peer */
#define IDENTITY_HOST 1		/* the node itself */
#define IDENTITY_WORLD 2	/* outside every pod and policy CIDR */
#define IDENTITY_FIRST 256	/* first allocated identity; room for more reserved ones */

struct pol_container_port {
	char name[NP_PORT_NAME_LEN];
	uint8_t proto;
	uint16_t port;
};

struct pol_pod {
	char ns[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
	struct labels labels;
	struct in_addr ip;		/* its first IPv4 pod IP; 0 when it has none yet */
	struct pol_container_port *ports;
	size_t n_ports;
	uint32_t identity;		/* filled by pol_assign_identities() */
};

struct pol_namespace {
	char name[SLUICE_K8S_NAMESPACE_LEN];
	struct labels labels;
};

enum pol_identity_kind {
	POL_ID_POD,
	POL_ID_CIDR,
};

/* A set of policy CIDRs, as sorted indexes into pol_model.cidrs. */
struct pol_cidr_set {
	uint32_t *idx;
	size_t n;
};

struct pol_identity {
	uint32_t id;
	enum pol_identity_kind kind;
	char ns[SLUICE_K8S_NAMESPACE_LEN];	/* POD */
	struct labels labels;			/* POD */
	struct np_cidr prefix;			/* CIDR: the LPM prefix it stands for */
	struct pol_cidr_set cidrs;
};

struct pol_model {
	struct pol_pod *pods;
	size_t n_pods;
	struct pol_namespace *nss;
	size_t n_nss;
	struct netpol *policies;
	size_t n_policies;
	struct np_cidr *cidrs;		/* every ipBlock cidr and except of every policy, unique */
	size_t n_cidrs;
	struct pol_identity *ids;
	size_t n_ids;
};

#endif
