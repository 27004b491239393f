/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What NetworkPolicy allows for one pod, per direction, as entries the
 * datapath can look up: (peer identity or any, protocol or any, port range).
 * Kubernetes semantics: a pod is isolated in a direction when a policy of
 * that type selects it; then what the union of those policies' rules allows
 * passes, and nothing else. A pod no policy selects is open.
 */
#ifndef SLUICE_POLICY_COMPUTE_H
#define SLUICE_POLICY_COMPUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/model.h"

/* The policy of an entry sluice adds itself (the node's access to its pods). */
#define POL_POLICY_BUILTIN UINT32_MAX
/* Protocol "any" in an entry (no ports in the rule). */
#define POL_PROTO_ANY 0

struct pol_entry {
	uint32_t identity;	/* IDENTITY_ANY for every peer */
	uint8_t proto;		/* IPPROTO_*, or POL_PROTO_ANY (then every port) */
	uint16_t lo, hi;	/* port range, host order */
	uint32_t policy;	/* the allowing policy (model index), or POL_POLICY_BUILTIN */
};

struct pol_entries {
	struct pol_entry *items;	/* sorted, without duplicates */
	size_t n, cap;
};

struct pol_result {
	bool ingress;		/* isolated for ingress */
	bool egress;		/* isolated for egress */
	struct pol_entries in;
	struct pol_entries out;
};

/* The policy of pod m->pods[pod]. Identities must be assigned. */
int pol_compute(const struct pol_model *m, size_t pod, struct pol_result *r);
void pol_result_free(struct pol_result *r);

#endif
