/* SPDX-License-Identifier: Apache-2.0 */
/* This node's routing as the agent recorded it in the pinned sluice_node_cfg. */
#ifndef SLUICE_NODE_CFG_H
#define SLUICE_NODE_CFG_H

#include "lib/pins.h"

int node_cfg_read(const struct sluice_pins *pins, struct sluice_node_cfg *out);
int node_cfg_write_fd(int fd, const struct sluice_node_cfg *cfg);
/* "native" or "vxlan". */
const char *node_routing_name(__u32 routing);

#endif
