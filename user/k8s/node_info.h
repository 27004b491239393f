/* SPDX-License-Identifier: Apache-2.0 */
/* What a v1 Node object tells the datapath: its pod CIDRs and its address. */
#ifndef SLUICE_K8S_NODE_INFO_H
#define SLUICE_K8S_NODE_INFO_H

#include <netinet/in.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "policy/netpol.h"

/* Longest Node name: a DNS subdomain (RFC 1123) is at most 253 characters. */
#define NODE_NAME_LEN 254

struct node_info {
	char name[NODE_NAME_LEN];
	struct np_cidr cidr;			/* the IPv4 pod CIDR; prefix 0: none yet */
	struct in_addr addr;			/* InternalIP; 0 when it has none yet */
};

/*
 * Reads metadata.name, the IPv4 network of spec.podCIDRs (or spec.podCIDR) and the first IPv4
 * InternalIP of status.addresses. A node without them yet is valid: nodes
 * get their CIDR and address after they register. -EINVAL with why for a
 * field that is there but wrong.
 */
int node_info_parse(const cJSON *obj, struct node_info *n, char *why, size_t len);

#endif
