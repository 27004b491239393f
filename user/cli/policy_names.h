/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names for what the policy maps hold as numbers: identities, policies and
 * pod addresses, read from the pinned maps, for the policy commands.
 */
#ifndef SLUICE_CLI_POLICY_NAMES_H
#define SLUICE_CLI_POLICY_NAMES_H

#include <stddef.h>
#include <linux/types.h>
#include <sluice/abi.h>

#include "cli/cli.h"
#include "lib/endpoint_map.h"

struct policy_names {
	int identity_fd;	/* SLUICE_MAP_IDENTITY */
	int meta_fd;		/* SLUICE_MAP_POLICY_META */
	struct endpoint *eps;	/* this node's pods, for naming addresses */
	size_t n_eps;
};

/* Opens what naming needs; 0, or an exit code after an error. */
int policy_names_open(struct cli *cli, struct policy_names *pn);
void policy_names_close(struct policy_names *pn);
/* "host", "world", "any", or the identity's description ("?" when unknown). */
void identity_name(const struct policy_names *pn, __u32 id, char *buf, size_t len);
/* "namespace/name" of a policy id, "-" for none, "(built-in)" for the node's own entry. */
void policy_name(const struct policy_names *pn, __u32 id, char *buf, size_t len);
/* "namespace/pod" of a local pod's address, or "" when it is none. */
void address_pod(const struct policy_names *pn, __be32 addr, char *buf, size_t len);
/* "tcp", "udp", "sctp", "icmp", or the number. */
void proto_name(__u8 proto, char *buf, size_t len);

#endif
