/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pod's NetworkPolicy state around ADD and DEL: ADD starts from none (an
 * old pod's tables and drop counts, left by a lost DEL, never apply to a
 * new one with its address) and returns only once the agent has programmed
 * the pod's own tables; DEL removes them with the endpoint.
 */
#ifndef SLUICE_CNI_POLICY_SYNC_H
#define SLUICE_CNI_POLICY_SYNC_H

#include <linux/types.h>
#include <sluice/abi.h>

#include "plugin.h"

/* Removes an endpoint's tables and drop counters; missing ones are fine. */
void policy_state_remove(const struct sluice_pins *pins, const struct sluice_endpoint_key *key);
/*
 * Waits until the agent has brought policy in step with the endpoints.
 * Without an agent, a node that enforces no policy yet lets the pod start
 * open (it is); one that does refuses, so no pod runs outside its policy.
 */
int policy_sync(struct cni_ctx *ctx);

#endif
