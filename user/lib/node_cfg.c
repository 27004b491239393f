// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/node_cfg.h"

int node_cfg_read(const struct sluice_pins *pins, struct sluice_node_cfg *out)
{
	int fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_NODE_CFG)), err = 0;
	__u32 slot = 0;

	if (fd < 0)
		return fd;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, &slot, out))
		err = -errno;
	close(fd);
	return err;
}

int node_cfg_write_fd(int fd, const struct sluice_node_cfg *cfg)
{
	__u32 slot = 0;

	return bpf_map_update_elem(fd, &slot, cfg, BPF_ANY) ? -errno : 0;
}

const char *node_routing_name(__u32 routing)
{
	return routing == SLUICE_ROUTING_VXLAN ? "vxlan" : "native";
}
