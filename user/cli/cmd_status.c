// SPDX-License-Identifier: Apache-2.0
/* `sluice status`: exits 0 only when the datapath is pinned and a live agent has synced. */
#include <stdio.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/agent_state.h"
#include "lib/endpoint_map.h"

static const char usage[] =
	"Usage: sluice status [--bpffs DIR] [-j]\n"
	"  Exits 0 when the datapath is pinned and a live agent has finished its\n"
	"  first sync; otherwise prints why and exits 1.\n";

/* Endpoints in use and the map's capacity; false when the map cannot be read. */
static bool endpoint_pressure(const struct sluice_pins *pins, size_t *used, __u32 *capacity)
{
	struct endpoint_maps m;
	int err;

	if (endpoint_maps_open(pins, &m))
		return false;
	err = endpoint_usage(&m, used, capacity);
	endpoint_maps_close(&m);
	return !err;
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
	bool have_state, alive, have_eps;
	__u32 capacity = 0;
	size_t endpoints = 0;
	int ret, first, err;

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
	have_eps = endpoint_pressure(&cli->pins, &endpoints, &capacity);
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
		if (have_eps) {
			cJSON_AddNumberToObject(o, "endpoints", (double)endpoints);
			cJSON_AddNumberToObject(o, "endpoint_capacity", capacity);
		}
		p_json(cli, o);
	} else {
		printf("Pin root:   %s\n", cli->pins.root);
		if (alive)
			printf("Agent:      running, pid %u, node %s%s%s\n", st.pid, st.node_name,
			       synced[0] ? ", synced at " : ", not synced yet", synced);
		else
			printf("Agent:      not running\n");
		if (have_eps)
			printf("Endpoints:  %zu of %u\n", endpoints, capacity);
		printf("Status:     %s%s\n", err ? "not ready: " : "ready", err ? why : "");
	}
	return err ? EXIT_FAIL : EXIT_OK;
}
