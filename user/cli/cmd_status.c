// SPDX-License-Identifier: Apache-2.0
/* `sluice status`: exits 0 only when the datapath is pinned and a live agent has synced. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/agent_state.h"
#include "lib/endpoint_map.h"

static const char usage[] =
	"Usage: sluice status [--bpffs DIR] [-j]\n"
	"  Exits 0 when the datapath is pinned and a live agent has finished its\n"
	"  first sync; otherwise prints why and exits 1.\n";

static int count_endpoints(const struct sluice_pins *pins)
{
	struct endpoint_maps m;
	struct endpoint *eps;
	size_t n = 0;

	if (endpoint_maps_open(pins, &m))
		return -1;
	if (endpoint_list(&m, &eps, &n) == 0)
		free(eps);
	endpoint_maps_close(&m);
	return (int)n;
}

static void format_time(__u64 ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	struct sluice_agent_state st = { 0 };
	char why[512] = "", synced[32] = "";
	bool have_state, alive;
	int ret, first, err, endpoints;

	ret = cli_parse(cli, argc, argv, NULL, NULL, NULL, usage, &first);
	if (ret)
		return CLI_EXIT(ret);
	if (first < argc) {
		p_err(cli, "status takes no operands, got '%s'", argv[first]);
		return EXIT_USAGE;
	}
	err = agent_ready(&cli->pins, true, why, sizeof(why));
	have_state = agent_state_read(&cli->pins, &st) == 0;
	alive = have_state && agent_state_alive(&st);
	endpoints = count_endpoints(&cli->pins);
	if (have_state && st.synced_ns)
		format_time(st.synced_ns, synced, sizeof(synced));

	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *a;

		cJSON_AddBoolToObject(o, "ready", !err);
		if (err)
			cJSON_AddStringToObject(o, "reason", why);
		cJSON_AddStringToObject(o, "pin_root", cli->pins.root);
		a = cJSON_AddObjectToObject(o, "agent");
		cJSON_AddBoolToObject(a, "running", alive);
		if (alive) {
			cJSON_AddNumberToObject(a, "pid", st.pid);
			cJSON_AddStringToObject(a, "node", st.node_name);
		}
		if (synced[0] && alive)
			cJSON_AddStringToObject(a, "synced_at", synced);
		if (endpoints >= 0)
			cJSON_AddNumberToObject(o, "endpoints", endpoints);
		p_json(cli, o);
	} else {
		printf("Pin root:   %s\n", cli->pins.root);
		if (alive)
			printf("Agent:      running, pid %u, node %s%s%s\n", st.pid, st.node_name,
			       synced[0] ? ", synced at " : ", not synced yet", synced);
		else
			printf("Agent:      not running\n");
		if (endpoints >= 0)
			printf("Endpoints:  %d\n", endpoints);
		printf("Status:     %s%s\n", err ? "not ready: " : "ready", err ? why : "");
	}
	return err ? EXIT_FAIL : EXIT_OK;
}
