/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Egress masquerade: pods' traffic to outside the cluster leaves from the
 * node's address, so the network beyond needs no route back to pod CIDRs.
 */
#ifndef SLUICE_BPF_MASQ4_H
#define SLUICE_BPF_MASQ4_H

#include "node4.h"
#include "policy4.h"
#include "snat4.h"

/*
 * Whether f, from a pod and for no pod, service or node of the cluster
 * (the callers have ruled those out), leaves from the node's address: on
 * when the agent says so, for TCP, UDP, SCTP and ICMP echo, except to the node itself
 * and to the non-masquerade CIDRs. *addr is then the node's address.
 */
static __always_inline bool masq4_wanted(const struct flow4 *f, __be32 *addr)
{
	struct sluice_node4_key k = { .prefixlen = NODE4_ADDR_BITS, .addr = f->daddr };
	struct sluice_node_cfg *cfg = node_cfg();

	if (!cfg || !(cfg->flags & SLUICE_NODE_F_MASQUERADE) || !cfg->node_addr ||
	    !(f->has_ports || flow4_is_echo(f)))
		return false;
	if (bpf_map_lookup_elem(&SLUICE_MAP_NOMASQ4, &k) ||
	    ipcache4_identity(f->daddr) == SLUICE_IDENTITY_HOST)
		return false;
	*addr = cfg->node_addr;
	return true;
}

#endif
