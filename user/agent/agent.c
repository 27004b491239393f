// SPDX-License-Identifier: Apache-2.0
/* `sluice agent`: its options; daemon.c is the agent itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/daemon.h"
#include "cli/cli.h"
#include "lib/log.h"

static const char usage[] =
	"Usage: sluice agent --node-name NAME [--kubeconfig FILE | --in-cluster]\n"
	"                    [--manifests DIR] [--bpffs DIR] [-v]\n"
	"                    [--devices DEV[,DEV]] [--socket-lb on|off] [--cgroup-root DIR]\n"
	"                    [--maglev-table-size PRIME] [--map-entries MAP=N]...\n"
	"                    [--metrics-address HOST:PORT|off]\n"
	"                    [--routing vxlan|native] [--pod-cidr CIDR]\n"
	"                    [--masquerade on|off] [--non-masquerade-cidrs CIDR[,CIDR]]\n"
	"  --node-name NAME         this node's Kubernetes name (default: $NODE_NAME)\n"
	"  --kubeconfig FILE        list and watch the Kubernetes API of FILE's current context\n"
	"  --in-cluster             the same with the pod's service account (in a DaemonSet)\n"
	"  --manifests DIR          directory of Kubernetes objects, for a cluster-less node;\n"
	"                           with the API too, both feed the agent\n"
	"  --bpffs DIR              pin root (default " SLUICE_PIN_ROOT_DEFAULT ")\n"
	"  --devices DEV[,DEV]      node devices: traffic from outside the node to\n"
	"                           NodePorts and external IPs arrives there\n"
	"  --socket-lb on|off       translate service addresses at connect() time for\n"
	"                           processes in --cgroup-root (default on)\n"
	"  --cgroup-root DIR        cgroup of the socket hooks (default: the cgroup2 mount)\n"
	"  --maglev-table-size N    slots per service's Maglev table, a prime (default 997)\n"
	"  --map-entries MAP=N      capacity of one map, e.g. sluice_ct4=1000000; a pinned\n"
	"                           map of another size is migrated with its entries\n"
	"  --metrics-address A      serve /healthz and /metrics on A: IPv4:PORT, [IPv6]:PORT\n"
	"                           or off (default " METRICS_ADDRESS_DEFAULT ")\n"
	"  --routing vxlan|native   how pods reach other nodes' pods: a VXLAN tunnel to\n"
	"                           the node (default vxlan), or kernel routes via the\n"
	"                           node's address on a shared network (native)\n"
	"  --pod-cidr CIDR          this node's pod CIDR (default: its Node object's)\n"
	"  --masquerade on|off      pods' TCP, UDP, SCTP and ping to outside the cluster\n"
	"                           leave from the node's address (default on)\n"
	"  --non-masquerade-cidrs L destinations pods reach with their own address\n";

/* Bounds on the Maglev table size: enough slots to spread, small enough to fit. */
#define MAGLEV_SIZE_MIN 7
#define MAGLEV_SIZE_MAX 65521

enum {
	OPT_NODE_NAME = CLI_OPT_OWN,
	OPT_MANIFESTS,
	OPT_MAGLEV_SIZE,
	OPT_MAP_ENTRIES,
	OPT_DEVICES,
	OPT_SOCKET_LB,
	OPT_CGROUP_ROOT,
	OPT_KUBECONFIG,
	OPT_IN_CLUSTER,
	OPT_METRICS_ADDRESS,
	OPT_ROUTING,
	OPT_POD_CIDR,
	OPT_MASQUERADE,
	OPT_NOMASQ,
};

struct agent_opts {
	struct daemon_opts d;
	struct cli *cli;
	const char *kubeconfig;
	bool in_cluster;
	struct api_config api;
};

static const struct option agent_options[] = {
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "manifests", required_argument, NULL, OPT_MANIFESTS },
	{ "maglev-table-size", required_argument, NULL, OPT_MAGLEV_SIZE },
	{ "map-entries", required_argument, NULL, OPT_MAP_ENTRIES },
	{ "devices", required_argument, NULL, OPT_DEVICES },
	{ "socket-lb", required_argument, NULL, OPT_SOCKET_LB },
	{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "in-cluster", no_argument, NULL, OPT_IN_CLUSTER },
	{ "metrics-address", required_argument, NULL, OPT_METRICS_ADDRESS },
	{ "routing", required_argument, NULL, OPT_ROUTING },
	{ "pod-cidr", required_argument, NULL, OPT_POD_CIDR },
	{ "masquerade", required_argument, NULL, OPT_MASQUERADE },
	{ "non-masquerade-cidrs", required_argument, NULL, OPT_NOMASQ },
	{ 0 },
};

static bool is_prime(unsigned long n)
{
	unsigned long d;

	if (n < 2)
		return false;
	for (d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

/* MAP=N: a sluice map and a capacity of at least one entry. */
static int parse_map_entries(struct agent_opts *o, const char *arg)
{
	struct loader_map_size *sz;
	const char *eq = strchr(arg, '=');
	unsigned long n;
	size_t i;

	if (!eq || !parse_uint(eq + 1, 1, UINT32_MAX, &n)) {
		p_err(o->cli, "--map-entries wants MAP=N with N a positive number, got '%s'", arg);
		return EXIT_USAGE;
	}
	for (i = 0; i < sluice_map_count; i++)
		if (strlen(sluice_map_names[i]) == (size_t)(eq - arg) &&
		    !strncmp(sluice_map_names[i], arg, (size_t)(eq - arg)))
			break;
	if (i == sluice_map_count) {
		p_err(o->cli, "--map-entries: no map named '%.*s'", (int)(eq - arg), arg);
		return EXIT_USAGE;
	}
	if (o->d.load.n_sizes == LOADER_MAX_SIZES) {
		p_err(o->cli, "--map-entries given more than %d times", LOADER_MAX_SIZES);
		return EXIT_USAGE;
	}
	sz = &o->d.load.sizes[o->d.load.n_sizes++];
	sz->name = sluice_map_names[i];
	sz->entries = (__u32)n;
	return 0;
}

static int agent_set(void *ctx, int opt, const char *arg)
{
	struct agent_opts *o = ctx;
	unsigned long n;

	switch (opt) {
	case OPT_NODE_NAME:
		o->d.node_name = arg;
		return 0;
	case OPT_MANIFESTS:
		o->d.manifests = arg;
		return 0;
	case OPT_MAGLEV_SIZE:
		if (!parse_uint(arg, MAGLEV_SIZE_MIN, MAGLEV_SIZE_MAX, &n) || !is_prime(n)) {
			p_err(o->cli, "--maglev-table-size must be a prime from %d to %d, got '%s'",
			      MAGLEV_SIZE_MIN, MAGLEV_SIZE_MAX, arg);
			return EXIT_USAGE;
		}
		o->d.load.maglev_size = (__u32)n;
		return 0;
	case OPT_MAP_ENTRIES:
		return parse_map_entries(o, arg);
	case OPT_SOCKET_LB:
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			p_err(o->cli, "--socket-lb is on or off, got '%s'", arg);
			return EXIT_USAGE;
		}
		o->d.socket_lb = !strcmp(arg, "on");
		return 0;
	case OPT_CGROUP_ROOT:
		o->d.cgroup_root = arg;
		return 0;
	case OPT_KUBECONFIG:
		o->kubeconfig = arg;
		return 0;
	case OPT_IN_CLUSTER:
		o->in_cluster = true;
		return 0;
	case OPT_METRICS_ADDRESS: {
		char why[128];

		if (!metrics_addr_parse(arg, &o->d.metrics, why, sizeof(why)))
			return 0;
		p_err(o->cli, "--metrics-address: %s", why);
		return EXIT_USAGE;
	}
	case OPT_ROUTING:
		if (nodes_routing_parse(arg, &o->d.nodes.routing))
			return 0;
		p_err(o->cli, "--routing is vxlan or native, got '%s'", arg);
		return EXIT_USAGE;
	case OPT_POD_CIDR: {
		bool v6;

		if (np_cidr_parse(arg, &o->d.nodes.pod_cidr, &v6) && o->d.nodes.pod_cidr.prefix)
			return 0;
		p_err(o->cli, "--pod-cidr wants an IPv4 network such as 10.244.1.0/24, got '%s'", arg);
		return EXIT_USAGE;
	}
	case OPT_MASQUERADE:
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			p_err(o->cli, "--masquerade is on or off, got '%s'", arg);
			return EXIT_USAGE;
		}
		o->d.nodes.masquerade = !strcmp(arg, "on");
		return 0;
	case OPT_NOMASQ: {
		char why[128];

		if (nomasq_parse(&o->d.nodes.nomasq, arg, why, sizeof(why)))
			return 0;
		p_err(o->cli, "--non-masquerade-cidrs: %s", why);
		return EXIT_USAGE;
	}
	case OPT_DEVICES: {
		char why[128];

		if (devices_parse(&o->d.devices, arg, why, sizeof(why)))
			return 0;
		p_err(o->cli, "--devices: %s", why);
		return EXIT_USAGE;
	}
	}
	return EXIT_USAGE;
}

static int check_opts(struct cli *cli, const struct agent_opts *o)
{
	struct stat sb;

	if (!o->d.node_name || !o->d.node_name[0]) {
		p_err(cli, "--node-name (or $NODE_NAME) is required");
		return EXIT_USAGE;
	}
	if (strlen(o->d.node_name) >= SLUICE_NODE_NAME_LEN) {
		p_err(cli, "--node-name is longer than %d characters", SLUICE_NODE_NAME_LEN - 1);
		return EXIT_USAGE;
	}
	if (o->d.manifests && (stat(o->d.manifests, &sb) || !S_ISDIR(sb.st_mode))) {
		p_err(cli, "--manifests %s is not a readable directory", o->d.manifests);
		return EXIT_USAGE;
	}
	if (o->kubeconfig && o->in_cluster) {
		p_err(cli, "--kubeconfig and --in-cluster exclude each other");
		return EXIT_USAGE;
	}
	return 0;
}

/* Reads the API configuration now, so that a bad one stops the agent before it loads. */
static int load_api_config(struct cli *cli, struct agent_opts *o)
{
	char why[API_WHY_LEN];
	int err = 0;

	if (o->kubeconfig)
		err = api_config_kubeconfig(&o->api, o->kubeconfig, why, sizeof(why));
	else if (o->in_cluster)
		err = api_config_in_cluster(&o->api, API_SA_DIR, why, sizeof(why));
	else
		return 0;
	if (err) {
		p_err(cli, "%s", why);
		return EXIT_USAGE;
	}
	o->d.api = &o->api;
	return 0;
}

int cmd_agent(struct cli *cli, int argc, char **argv)
{
	struct agent_opts o = {
		.d = {
			.node_name = getenv("NODE_NAME"),
			.load = { .maglev_size = SLUICE_MAGLEV_SIZE },
			.socket_lb = true,
			.nodes = { .routing = SLUICE_ROUTING_VXLAN, .masquerade = true },
		},
		.cli = cli,
	};
	char why[128];
	int ret, first;

	/* The default is a constant: it always parses. */
	if (metrics_addr_parse(METRICS_ADDRESS_DEFAULT, &o.d.metrics, why, sizeof(why)))
		return EXIT_FAIL;
	ret = cli_parse(cli, argc, argv, agent_options, agent_set, &o, usage, &first);
	if (ret)
		return CLI_EXIT(ret);
	if (first < argc) {
		p_err(cli, "agent takes no operands, got '%s'", argv[first]);
		return EXIT_USAGE;
	}
	ret = check_opts(cli, &o);
	if (!ret)
		ret = load_api_config(cli, &o);
	if (ret)
		return ret;
	log_init("sluice-agent", cli->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, true);
	ret = daemon_run(&cli->pins, &o.d) ? EXIT_FAIL : EXIT_OK;
	api_config_free(&o.api);
	return ret;
}
