// SPDX-License-Identifier: Apache-2.0
/* `sluice endpoint list`: the pods this node's datapath knows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/endpoint_map.h"

static const char usage[] =
	"Usage: sluice endpoint { list } [--bpffs DIR] [-j]\n"
	"  list   every endpoint: address, host veth, MACs, pod and container\n";

/* Container IDs are 64 hex characters; the table shows a prefix, as docker ps does. */
#define CONTAINER_ID_SHORT 12

static void mac_str(const __u8 *mac, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

static int endpoint_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct endpoint *)a)->key, &((const struct endpoint *)b)->key,
		      sizeof(struct sluice_endpoint_key));
}

static cJSON *endpoint_json(const struct endpoint *ep)
{
	char addr[64], mac[32];
	cJSON *o = cJSON_CreateObject();

	endpoint_key_str(&ep->key, addr, sizeof(addr));
	cJSON_AddStringToObject(o, "address", addr);
	cJSON_AddNumberToObject(o, "ifindex", ep->info.ifindex);
	cJSON_AddStringToObject(o, "host_ifname", ep->meta.host_ifname);
	mac_str(ep->info.host_mac, mac, sizeof(mac));
	cJSON_AddStringToObject(o, "host_mac", mac);
	mac_str(ep->info.pod_mac, mac, sizeof(mac));
	cJSON_AddStringToObject(o, "pod_mac", mac);
	cJSON_AddStringToObject(o, "pod_namespace", ep->meta.pod_namespace);
	cJSON_AddStringToObject(o, "pod_name", ep->meta.pod_name);
	cJSON_AddStringToObject(o, "container_id", ep->meta.container_id);
	cJSON_AddStringToObject(o, "ifname", ep->meta.ifname);
	cJSON_AddStringToObject(o, "network", ep->meta.network);
	return o;
}

static int endpoint_list_cmd(struct cli *cli, int argc, char **argv)
{
	struct endpoint_maps m;
	struct endpoint *eps;
	size_t n, i;
	int err;

	if (argc) {
		p_err(cli, "endpoint list takes no operands, got '%s'", argv[0]);
		return EXIT_USAGE;
	}
	err = endpoint_maps_open(&cli->pins, &m);
	if (err) {
		p_err(cli, "cannot open the endpoint maps under %s: %s (is the agent installed?)",
		      cli->pins.root, strerror(-err));
		return EXIT_FAIL;
	}
	err = endpoint_list(&m, &eps, &n);
	endpoint_maps_close(&m);
	if (err) {
		p_err(cli, "cannot read the endpoint maps: %s", strerror(-err));
		return EXIT_FAIL;
	}
	qsort(eps, n, sizeof(*eps), endpoint_cmp);
	if (cli->json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, endpoint_json(&eps[i]));
		p_json(cli, arr);
	} else {
		printf("%-16s %-8s %-16s %-18s %-18s %-12s %s\n", "ADDRESS", "IFINDEX", "HOST-IF",
		       "POD-MAC", "HOST-MAC", "CONTAINER", "POD");
		for (i = 0; i < n; i++) {
			char addr[64], pmac[32], hmac[32], pod[SLUICE_POD_NAMESPACE_LEN + SLUICE_POD_NAME_LEN];

			endpoint_key_str(&eps[i].key, addr, sizeof(addr));
			mac_str(eps[i].info.pod_mac, pmac, sizeof(pmac));
			mac_str(eps[i].info.host_mac, hmac, sizeof(hmac));
			/* Runtimes outside Kubernetes (podman) name the pod but no namespace. */
			snprintf(pod, sizeof(pod), "%s%s%s", eps[i].meta.pod_namespace,
				 eps[i].meta.pod_namespace[0] ? "/" : "", eps[i].meta.pod_name);
			printf("%-16s %-8u %-16s %-18s %-18s %-12.*s %s\n", addr, eps[i].info.ifindex,
			       eps[i].meta.host_ifname, pmac, hmac, CONTAINER_ID_SHORT,
			       eps[i].meta.container_id, pod[0] ? pod : "-");
		}
	}
	free(eps);
	return EXIT_OK;
}

static const struct cli_cmd verbs[] = {
	{ "list", endpoint_list_cmd, "every endpoint" },
};

int cmd_endpoint(struct cli *cli, int argc, char **argv)
{
	return cli_run_verb(cli, argc, argv, verbs, sizeof(verbs) / sizeof(verbs[0]), usage);
}
