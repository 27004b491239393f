// SPDX-License-Identifier: Apache-2.0
/*
 * `sluice status`: exits 0 only when the datapath is pinned and a live agent
 * has synced; shows, from the pins alone, how full every map is, the drops
 * and the policy tables.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/metrics.h"
#include "cli/cli.h"
#include "lib/agent_state.h"
#include "lib/endpoint_map.h"
#include "lib/policy_tables.h"
#include "lib/verdict_names.h"

static const char usage[] =
	"Usage: sluice status [--bpffs DIR] [-j]\n"
	"  Exits 0 when the datapath is pinned and a live agent has finished its\n"
	"  first sync; otherwise prints why and exits 1. Also shows how full each\n"
	"  pinned map is (! at " SLUICE_STR(METRICS_FILL_WARN_PCT) "% or more), drops per\n"
	"  reason and the policy tables, read from the pins (no agent needed).\n";

/* What the policy maps hold. */
struct policy_counts {
	bool have;
	__u64 identities;	/* entries of sluice_identity */
	__u64 policies;		/* NetworkPolicies with an id (sluice_pol_meta) */
	__u64 tables;		/* endpoint directions with a table */
	__u64 isolating;	/* of those, tables that are not the open catch-all */
};

/* Every pinned map that can be read, in pin order; returns how many. */
static size_t read_maps(const struct sluice_pins *pins, struct map_usage *maps)
{
	size_t i, n = 0;

	for (i = 0; i < sluice_map_count && n < METRICS_MAPS_MAX; i++) {
		struct map_usage u = { .name = sluice_map_names[i] };
		int fd = pins_open_map(pins, u.name);

		if (fd < 0)
			continue;
		if (!map_usage_read(fd, true, &u))
			maps[n++] = u;
		close(fd);
	}
	return n;
}

static const struct map_usage *find_map(const struct map_usage *maps, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(maps[i].name, name))
			return &maps[i];
	return NULL;
}

static bool map_warns(const struct map_usage *u)
{
	return map_type_can_fill(u->type) && map_usage_pct(u) >= METRICS_FILL_WARN_PCT;
}

static void read_policy(const struct sluice_pins *pins, const struct map_usage *maps, size_t n,
			struct policy_counts *pc)
{
	const struct map_usage *id = find_map(maps, n, SLUICE_STR(SLUICE_MAP_IDENTITY));
	const struct map_usage *meta = find_map(maps, n, SLUICE_STR(SLUICE_MAP_POLICY_META));
	const struct map_usage *in = find_map(maps, n, SLUICE_STR(SLUICE_MAP_POLICY_IN));
	const struct map_usage *out = find_map(maps, n, SLUICE_STR(SLUICE_MAP_POLICY_OUT));

	memset(pc, 0, sizeof(*pc));
	if (!id || !meta || !in || !out)
		return;
	pc->have = true;
	pc->identities = id->entries;
	pc->policies = meta->entries;
	pc->tables = in->entries + out->entries;
	pc->isolating = policy_isolating_tables(pins, 0);
}

static cJSON *maps_json(const struct map_usage *maps, size_t n)
{
	cJSON *arr = cJSON_CreateArray(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", maps[i].name);
		cJSON_AddStringToObject(o, "type", libbpf_bpf_map_type_str(maps[i].type) ?: "?");
		cJSON_AddNumberToObject(o, "entries", (double)maps[i].entries);
		cJSON_AddNumberToObject(o, "capacity", (double)maps[i].capacity);
		if (map_type_can_fill(maps[i].type))
			cJSON_AddNumberToObject(o, "fill_pct", map_usage_pct(&maps[i]));
		else
			cJSON_AddNullToObject(o, "fill_pct");
		cJSON_AddBoolToObject(o, "warning", map_warns(&maps[i]));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *drops_json(const struct sluice_counter *sums, const bool *seen)
{
	cJSON *arr = cJSON_CreateArray(), *o;
	int r;

	for (r = 0; r < SLUICE_VERDICT_MAX; r++) {
		if (!seen[r])
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "reason", verdict_name(r));
		cJSON_AddNumberToObject(o, "packets", (double)sums[r].packets);
		cJSON_AddNumberToObject(o, "bytes", (double)sums[r].bytes);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static void maps_print(const struct map_usage *maps, size_t n)
{
	bool warned = false;
	char fill[16];
	size_t i;

	if (!n)
		return;
	printf("Maps:\n  %-16s %-14s %10s %10s %7s\n", "MAP", "TYPE", "ENTRIES", "CAPACITY",
	       "FILL");
	for (i = 0; i < n; i++) {
		const struct map_usage *u = &maps[i];

		if (map_type_can_fill(u->type))
			snprintf(fill, sizeof(fill), "%.1f%%", map_usage_pct(u));
		else
			snprintf(fill, sizeof(fill), "-");
		printf("  %-16s %-14s %10llu %10llu %7s%s\n", u->name,
		       libbpf_bpf_map_type_str(u->type) ?: "?", (unsigned long long)u->entries,
		       (unsigned long long)u->capacity, fill, map_warns(u) ? " !" : "");
		warned |= map_warns(u);
	}
	if (warned)
		printf("  ! %d%% full or more: give it room with "
		       "`sluice agent --map-entries MAP=N`\n", METRICS_FILL_WARN_PCT);
}

static void drops_print(const struct sluice_counter *sums, const bool *seen)
{
	bool any = false;
	int r;

	printf("Drops:      ");
	for (r = 0; r < SLUICE_VERDICT_MAX; r++) {
		if (!seen[r])
			continue;
		printf("%s%s %llu packets (%llu bytes)", any ? ", " : "", verdict_name(r),
		       (unsigned long long)sums[r].packets, (unsigned long long)sums[r].bytes);
		any = true;
	}
	printf("%s\n", any ? "" : "none");
}

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
	struct sluice_counter drops[SLUICE_VERDICT_MAX];
	struct map_usage maps[METRICS_MAPS_MAX];
	bool have_state, alive, have_eps, have_drops = false, drop_seen[SLUICE_VERDICT_MAX];
	struct policy_counts pc;
	__u32 capacity = 0;
	size_t endpoints = 0, n_maps;
	int ret, first, err, fd;

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
	n_maps = read_maps(&cli->pins, maps);
	read_policy(&cli->pins, maps, n_maps, &pc);
	fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_DROPS));
	if (fd >= 0) {
		have_drops = !drops_by_reason(fd, drops, drop_seen);
		close(fd);
	}

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
		if (pc.have) {
			a = cJSON_AddObjectToObject(o, "policy");
			cJSON_AddNumberToObject(a, "identities", (double)pc.identities);
			cJSON_AddNumberToObject(a, "policies", (double)pc.policies);
			cJSON_AddNumberToObject(a, "tables", (double)pc.tables);
			cJSON_AddNumberToObject(a, "isolating", (double)pc.isolating);
		}
		if (have_drops)
			cJSON_AddItemToObject(o, "drops", drops_json(drops, drop_seen));
		if (n_maps)
			cJSON_AddItemToObject(o, "maps", maps_json(maps, n_maps));
		p_json(cli, o);
	} else {
		printf("Pin root:   %s\n", cli->pins.root);
		if (alive)
			printf("Agent:      running, pid %u, node %s%s%s\n", st.pid, st.node_name,
			       synced[0] ? ", synced at " : ", not synced yet", synced);
		else
			printf("Agent:      not running\n");
		if (pc.have)
			printf("Policy:     %llu identities, %llu NetworkPolicies, %llu endpoint "
			       "tables (%llu isolating)\n", (unsigned long long)pc.identities,
			       (unsigned long long)pc.policies, (unsigned long long)pc.tables,
			       (unsigned long long)pc.isolating);
		if (have_drops)
			drops_print(drops, drop_seen);
		maps_print(maps, n_maps);
		if (have_eps)
			printf("Endpoints:  %zu of %u\n", endpoints, capacity);
		printf("Status:     %s%s\n", err ? "not ready: " : "ready", err ? why : "");
	}
	return err ? EXIT_FAIL : EXIT_OK;
}
