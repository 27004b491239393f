// SPDX-License-Identifier: Apache-2.0
/* `sluice node list`: this node's routing, and the other nodes its pods reach. */
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cli/cli.h"
#include "lib/node_cfg.h"

static const char usage[] =
	"Usage: sluice node { list } [--bpffs DIR] [-j]\n"
	"  list   the routing mode, then every other node's pod CIDR and address\n"
	"         (its own address too, as a /32), from the node map\n";

static void cidr_str(const struct sluice_node4_key *k, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &k->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, k->prefixlen);
}

static int node_list(struct cli *cli, int argc, char **argv)
{
	struct sluice_node4_key key, next, *prev = NULL;
	struct sluice_node4_value v;
	struct sluice_node_cfg cfg;
	char dst[INET_ADDRSTRLEN + 4], addr[INET_ADDRSTRLEN];
	cJSON *root = NULL, *arr = NULL;
	int fd, err;

	if (argc) {
		p_err(cli, "node list takes no operands, got '%s'", argv[0]);
		return EXIT_USAGE;
	}
	err = node_cfg_read(&cli->pins, &cfg);
	fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_NODES4));
	if (err || fd < 0) {
		p_err(cli, "no node map under %s; is the agent loaded?", cli->pins.root);
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	inet_ntop(AF_INET, &cfg.node_addr, addr, sizeof(addr));
	if (cli->json) {
		root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "routing", node_routing_name(cfg.routing));
		cJSON_AddStringToObject(root, "address", addr);
		cJSON_AddNumberToObject(root, "pod_mtu", cfg.pod_mtu);
		cJSON_AddBoolToObject(root, "masquerade", cfg.flags & SLUICE_NODE_F_MASQUERADE);
		arr = cJSON_AddArrayToObject(root, "nodes");
	} else {
		printf("Routing %s, this node %s, pod MTU %u%s, masquerade %s\n",
		       node_routing_name(cfg.routing), addr, cfg.pod_mtu,
		       cfg.pod_mtu ? "" : " (the CNI plugin's default)",
		       cfg.flags & SLUICE_NODE_F_MASQUERADE ? "on" : "off");
		printf("%-20s %s\n", "DESTINATION", "NODE");
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		cidr_str(&key, dst, sizeof(dst));
		inet_ntop(AF_INET, &v.node_addr, addr, sizeof(addr));
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "destination", dst);
			cJSON_AddStringToObject(o, "node", addr);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-20s %s\n", dst, addr);
		}
	}
	close(fd);
	if (root)
		p_json(cli, root);
	return EXIT_OK;
}

static const struct cli_cmd verbs[] = {
	{ "list", node_list, "the routing mode and the node map" },
};

int cmd_node(struct cli *cli, int argc, char **argv)
{
	return cli_run_verb(cli, argc, argv, verbs, sizeof(verbs) / sizeof(verbs[0]), usage);
}
