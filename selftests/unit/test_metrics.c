// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's /metrics and /healthz text, from numbers alone: the
 * Prometheus text format's escaping and number formats, the reconcile
 * histogram, whole metric families as rendered, the shape of a full page
 * (every family once, HELP then TYPE then its samples), the /healthz
 * answers and --metrics-address parsing.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "agent/metrics.h"
#include "lib/version.h"

/* Most distinct metric families a page may have in these tests. */
#define FAMILIES_MAX 64
/* Room for why an address was refused. */
#define WHY_LEN 128

static struct prom_buf b;

static void teardown(void)
{
	prom_buf_free(&b);
}

TestSuite(metrics, .fini = teardown);

static const char *text(void)
{
	cr_assert(!b.failed, "the buffer never failed");
	return b.s ? b.s : "";
}

Test(metrics, help_escapes_backslash_and_newline_not_quotes)
{
	prom_family(&b, "sluice_x_total", "counter", "a\\b\nc \"q\"");
	cr_expect_str_eq(text(), "# HELP sluice_x_total a\\\\b\\nc \"q\"\n"
				 "# TYPE sluice_x_total counter\n");
}

Test(metrics, label_values_escape_backslash_quote_and_newline)
{
	prom_u64(&b, "sluice_map_entries", 7, "map", "a\\b\"c\nd", "x", "", NULL);
	cr_expect_str_eq(text(), "sluice_map_entries{map=\"a\\\\b\\\"c\\nd\",x=\"\"} 7\n");
}

Test(metrics, sample_without_labels_has_no_braces)
{
	prom_u64(&b, "sluice_agent_ready", 0, NULL);
	prom_u64(&b, "sluice_big_total", UINT64_MAX, NULL);
	cr_expect_str_eq(text(), "sluice_agent_ready 0\nsluice_big_total 18446744073709551615\n");
}

Test(metrics, doubles_are_shortest_round_trip_text)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ 0.1, "0.1" },
		{ 0.0001, "0.0001" },
		{ 2.5, "2.5" },
		{ 1700000000.5, "1700000000.5" },
		{ 1.0 / 3, "0.33333333333333331" },
		{ 1e21, "1e+21" },
		{ -0.25, "-0.25" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		prom_format_double(cases[i].v, buf, sizeof(buf));
		cr_expect_str_eq(buf, cases[i].want, "case %zu", i);
		cr_expect_eq(strtod(buf, NULL), cases[i].v, "case %zu reads back", i);
	}
	prom_format_double(NAN, buf, sizeof(buf));
	cr_expect_str_eq(buf, "NaN");
	prom_format_double(INFINITY, buf, sizeof(buf));
	cr_expect_str_eq(buf, "+Inf");
	prom_format_double(-INFINITY, buf, sizeof(buf));
	cr_expect_str_eq(buf, "-Inf");
}

Test(metrics, histogram_buckets_are_cumulative_and_bounds_inclusive)
{
	struct metrics_histogram h = { 0 };

	metrics_histogram_observe(&h, 0.0001);	/* on a bound: that bucket */
	metrics_histogram_observe(&h, 0.0003);	/* into le=0.0005 */
	metrics_histogram_observe(&h, 0.75);	/* into le=1 */
	metrics_histogram_observe(&h, 20);	/* past every bound: +Inf only */
	cr_expect_eq(h.count, 4, "every observation counted");
	prom_histogram(&b, "sluice_reconcile_duration_seconds", &h, "kind", "service");
	cr_expect_str_eq(text(),
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.0001\"} 1\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.00025\"} 1\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.0005\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.001\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.0025\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.005\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.01\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.025\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.05\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.1\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.25\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"0.5\"} 2\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"1\"} 3\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"2.5\"} 3\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"5\"} 3\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"10\"} 3\n"
		"sluice_reconcile_duration_seconds_bucket{kind=\"service\",le=\"+Inf\"} 4\n"
		"sluice_reconcile_duration_seconds_sum{kind=\"service\"} 20.7504\n"
		"sluice_reconcile_duration_seconds_count{kind=\"service\"} 4\n");
}

/* A snapshot and datapath with a little of everything. */
static void sample_state(struct metrics_snapshot *s, struct metrics_datapath *dp)
{
	memset(s, 0, sizeof(*s));
	memset(dp, 0, sizeof(*dp));
	s->ready = true;
	s->start_time = 1700000000.5;
	s->cached[K8S_KIND_SERVICE] = s->cached[K8S_KIND_ENDPOINTSLICE] = true;
	s->cache[K8S_KIND_SERVICE] = 3;
	s->cache[K8S_KIND_ENDPOINTSLICE] = 2;
	s->cached[K8S_KIND_POD] = true;
	s->cache[K8S_KIND_POD] = 9;
	s->refused[METRICS_SERVICE] = 1;
	s->identities = 4;
	s->policies = 2;
	s->isolated = 3;
	s->ct_gc_removed = 17;
	s->maps[0] = (struct map_usage){ "sluice_ct4", BPF_MAP_TYPE_LRU_HASH, 240000, 262144 };
	s->maps[1] = (struct map_usage){ "sluice_events", BPF_MAP_TYPE_RINGBUF, 48, 1048576 };
	s->n_maps = 2;
	s->maps_counted_at = 1700000010;
	dp->have_verdicts = true;
	dp->verdicts[SLUICE_VERDICT_REDIRECT_LOCAL] = (struct sluice_counter){ 5, 500 };
	dp->have_drops = true;
	dp->drop_seen[SLUICE_VERDICT_DROP_POLICY_INGRESS] = true;
	dp->drops[SLUICE_VERDICT_DROP_POLICY_INGRESS] = (struct sluice_counter){ 3, 180 };
	dp->drop_seen[SLUICE_VERDICT_DROP_SPOOFED] = true;
}

/* The lines of one family (HELP, TYPE and its samples) in the rendered page. */
static char *family_block(const char *page, const char *name)
{
	char head[128], *start, *end, *out;
	size_t len;

	snprintf(head, sizeof(head), "# HELP %s ", name);
	start = strstr(page, head);
	cr_assert(start, "family %s is on the page", name);
	end = strstr(start + strlen(head), "# HELP ");
	len = end ? (size_t)(end - start) : strlen(start);
	out = strndup(start, len);
	cr_assert(out);
	return out;
}

static void expect_block(const char *page, const char *name, const char *want)
{
	char *got = family_block(page, name);

	cr_expect_str_eq(got, want, "family %s", name);
	free(got);
}

Test(metrics, render_maps_drops_and_caches_exactly)
{
	struct metrics_snapshot s;
	struct metrics_datapath dp;

	sample_state(&s, &dp);
	cr_assert_eq(metrics_render(&b, &s, &dp), 0, "render");
	expect_block(text(), "sluice_map_capacity",
		     "# HELP sluice_map_capacity Most entries each pinned map holds (max_entries; "
		     "--map-entries MAP=N sets it); for the ring buffer sluice_events, bytes.\n"
		     "# TYPE sluice_map_capacity gauge\n"
		     "sluice_map_capacity{map=\"sluice_ct4\"} 262144\n"
		     "sluice_map_capacity{map=\"sluice_events\"} 1048576\n");
	expect_block(text(), "sluice_map_count_timestamp_seconds",
		     "# HELP sluice_map_count_timestamp_seconds When sluice_map_entries was counted, "
		     "in seconds since the Unix epoch.\n"
		     "# TYPE sluice_map_count_timestamp_seconds gauge\n"
		     "sluice_map_count_timestamp_seconds 1700000010\n");
	expect_block(text(), "sluice_drops_total",
		     "# HELP sluice_drops_total Packets dropped, per reason, summed over this node's "
		     "pods (sluice_drops); a reason appears with its first drop.\n"
		     "# TYPE sluice_drops_total counter\n"
		     "sluice_drops_total{reason=\"drop-spoofed\"} 0\n"
		     "sluice_drops_total{reason=\"drop-policy-ingress\"} 3\n");
	expect_block(text(), "sluice_cache_objects",
		     "# HELP sluice_cache_objects Objects in the agent's caches (the last valid "
		     "version of each), per resource.\n"
		     "# TYPE sluice_cache_objects gauge\n"
		     "sluice_cache_objects{resource=\"pods\"} 9\n"
		     "sluice_cache_objects{resource=\"services\"} 3\n"
		     "sluice_cache_objects{resource=\"endpointslices\"} 2\n");
	expect_block(text(), "sluice_objects_refused_total",
		     "# HELP sluice_objects_refused_total Objects refused as invalid (the last valid "
		     "version stays in force): kind=\"service\" counts Services and EndpointSlices, "
		     "kind=\"policy\" Pods, Namespaces and NetworkPolicies.\n"
		     "# TYPE sluice_objects_refused_total counter\n"
		     "sluice_objects_refused_total{kind=\"service\"} 1\n"
		     "sluice_objects_refused_total{kind=\"policy\"} 0\n");
	expect_block(text(), "sluice_policy_isolated_directions",
		     "# HELP sluice_policy_isolated_directions Directions (ingress, egress) of this "
		     "node's pods that a policy isolates, after the last policy flush.\n"
		     "# TYPE sluice_policy_isolated_directions gauge\n"
		     "sluice_policy_isolated_directions 3\n");
	cr_expect(strstr(text(), "\nsluice_map_entries{map=\"sluice_ct4\"} 240000\n"),
		  "ct4 entries");
	cr_expect(strstr(text(), "\nsluice_datapath_packets_total{verdict=\"redirect-local\"} 5\n"),
		  "verdict packets");
	cr_expect(strstr(text(), "\nsluice_datapath_bytes_total{verdict=\"drop-spoofed\"} 0\n"),
		  "every verdict, zeros included");
	cr_expect(strstr(text(), "\nsluice_drop_bytes_total{reason=\"drop-policy-ingress\"} 180\n"),
		  "drop bytes");
	cr_expect(strstr(text(), "\nsluice_build_info{version=\"" SLUICE_VERSION "\",abi=\"1\"} 1\n"),
		  "build info");
	cr_expect(strstr(text(), "\nsluice_agent_start_time_seconds 1700000000.5\n"), "start time");
	cr_expect(strstr(text(), "\nsluice_conntrack_gc_removed_total 17\n"), "GC removals");
}

Test(metrics, api_families_only_with_an_api_source)
{
	struct metrics_snapshot s;
	struct metrics_datapath dp;

	sample_state(&s, &dp);
	metrics_render(&b, &s, &dp);
	cr_expect(!strstr(text(), "sluice_api_"), "no API source, no API families");
	prom_buf_free(&b);
	s.have_api = true;
	s.api[K8S_KIND_SERVICE] = (struct metrics_api){ .lists = 2, .relists = 1,
							.watch_restarts = 5, .errors = 3,
							.synced = true };
	metrics_render(&b, &s, &dp);
	expect_block(text(), "sluice_api_relists_total",
		     "# HELP sluice_api_relists_total Lists after the first one (410 Gone: the watch "
		     "fell too far behind).\n"
		     "# TYPE sluice_api_relists_total counter\n"
		     "sluice_api_relists_total{resource=\"nodes\"} 0\n"
		     "sluice_api_relists_total{resource=\"namespaces\"} 0\n"
		     "sluice_api_relists_total{resource=\"pods\"} 0\n"
		     "sluice_api_relists_total{resource=\"services\"} 1\n"
		     "sluice_api_relists_total{resource=\"endpointslices\"} 0\n"
		     "sluice_api_relists_total{resource=\"networkpolicies\"} 0\n");
	cr_expect(strstr(text(), "\nsluice_api_lists_total{resource=\"services\"} 2\n"), "lists");
	cr_expect(strstr(text(), "\nsluice_api_watch_restarts_total{resource=\"services\"} 5\n"),
		  "watch restarts");
	cr_expect(strstr(text(), "\nsluice_api_errors_total{resource=\"services\"} 3\n"), "errors");
	cr_expect(strstr(text(), "\nsluice_api_synced{resource=\"services\"} 1\n"), "synced");
	cr_expect(strstr(text(), "\nsluice_api_synced{resource=\"pods\"} 0\n"), "not synced");
}

Test(metrics, no_map_samples_before_the_first_count_nor_datapath_unread)
{
	struct metrics_snapshot s;
	struct metrics_datapath dp;

	sample_state(&s, &dp);
	s.n_maps = 0;
	dp.have_verdicts = dp.have_drops = false;
	metrics_render(&b, &s, &dp);
	cr_expect(!strstr(text(), "sluice_map_entries"), "no entries before the first count");
	cr_expect(!strstr(text(), "sluice_datapath_"), "no verdicts when unread");
	cr_expect(!strstr(text(), "sluice_drop"), "no drops when unread");
	cr_expect(strstr(text(), "\nsluice_conntrack_gc_removed_total 17\n"), "GC counter stays");
}

/* A metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':'). */
static const char *name_end(const char *p)
{
	if (!isalpha((unsigned char)*p) && *p != '_' && *p != ':')
		return NULL;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
		p++;
	return p;
}

/* Checks one sample line; returns its metric name (malloc'd). */
static char *check_sample(const char *line)
{
	const char *p = name_end(line), *q;
	char *name, *end;

	cr_assert(p, "sample name: %s", line);
	name = strndup(line, (size_t)(p - line));
	if (*p == '{') {
		p++;
		while (*p != '}') {
			q = name_end(p);
			cr_assert(q && q[0] == '=' && q[1] == '"', "label: %s", line);
			p = q + 2;
			while (*p != '"') {
				cr_assert(*p && *p != '\n', "closed label value: %s", line);
				if (*p == '\\') {
					cr_assert(p[1] == '\\' || p[1] == '"' || p[1] == 'n',
						  "escape: %s", line);
					p++;
				}
				p++;
			}
			p++;
			if (*p == ',')
				p++;
			else
				cr_assert(*p == '}', "labels end: %s", line);
		}
		p++;
	}
	cr_assert(*p == ' ', "space before the value: %s", line);
	p++;
	if (strcmp(p, "+Inf") && strcmp(p, "-Inf") && strcmp(p, "NaN")) {
		strtod(p, &end);
		cr_assert(end != p && !*end, "value: %s", line);
	}
	return name;
}

/* A sample belongs to a family: its name, or a histogram's _bucket, _sum or _count. */
static bool of_family(const char *sample, const char *family, const char *type)
{
	size_t n = strlen(family);

	if (!strcmp(sample, family))
		return strcmp(type, "histogram");
	if (strncmp(sample, family, n) || strcmp(type, "histogram"))
		return false;
	return !strcmp(sample + n, "_bucket") || !strcmp(sample + n, "_sum") ||
	       !strcmp(sample + n, "_count");
}

Test(metrics, page_is_well_formed_exposition_text)
{
	char *families[FAMILIES_MAX], *page, *line, *save = NULL, family[128] = "", type[32] = "";
	struct metrics_snapshot s;
	struct metrics_datapath dp;
	size_t n_families = 0, i, samples = 0;
	bool want_type = false;

	sample_state(&s, &dp);
	s.have_api = true;
	metrics_histogram_observe(&s.reconcile[METRICS_POLICY], 0.002);
	cr_assert_eq(metrics_render(&b, &s, &dp), 0, "render");
	cr_assert(b.len && b.s[b.len - 1] == '\n', "the page ends with a newline");
	page = strdup(text());
	for (line = strtok_r(page, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			cr_assert(!want_type, "HELP after HELP: %s", line);
			cr_assert(sscanf(line, "# HELP %127s ", family) == 1, "HELP: %s", line);
			cr_assert(!strncmp(family, "sluice_", 7), "sluice_ prefix: %s", family);
			for (i = 0; i < n_families; i++)
				cr_assert_str_neq(families[i], family, "family %s once", family);
			cr_assert_lt(n_families, FAMILIES_MAX);
			families[n_families++] = strdup(family);
			want_type = true;
		} else if (!strncmp(line, "# TYPE ", 7)) {
			char tname[128];

			cr_assert(want_type, "TYPE right after HELP: %s", line);
			cr_assert(sscanf(line, "# TYPE %127s %31s", tname, type) == 2, "TYPE: %s",
				  line);
			cr_assert_str_eq(tname, family, "TYPE names the HELP's family");
			cr_assert(!strcmp(type, "gauge") || !strcmp(type, "counter") ||
				  !strcmp(type, "histogram"), "type: %s", type);
			cr_assert(strcmp(type, "counter") || strstr(family, "_total"),
				  "counter %s ends in _total", family);
			want_type = false;
		} else {
			char *name = check_sample(line);

			cr_assert(!want_type && family[0], "sample after its TYPE: %s", line);
			cr_assert(of_family(name, family, type), "%s belongs to %s", name, family);
			free(name);
			samples++;
		}
	}
	cr_expect_gt(samples, 100, "a full page has many samples (%zu)", samples);
	for (i = 0; i < n_families; i++)
		free(families[i]);
	free(page);
}

Test(metrics, healthz_answers)
{
	struct metrics_snapshot s = { .ready = false, .why = "waiting for the manifest directory" };

	cr_expect_eq(metrics_healthz(&s, 0, 0, "", &b), 503, "not ready before the first sync");
	cr_expect_str_eq(text(), "not ready: waiting for the manifest directory\n");
	prom_buf_free(&b);
	s.ready = true;
	cr_expect_eq(metrics_healthz(&s, 0, -ENOENT, "/sys/fs/bpf/x/maps/sluice_ct4: gone", &b), 503,
		     "a missing pin");
	cr_expect_str_eq(text(), "not ready: /sys/fs/bpf/x/maps/sluice_ct4: gone\n");
	prom_buf_free(&b);
	cr_expect_eq(metrics_healthz(&s, METRICS_LOOP_STALL_S + 1, 0, "", &b), 503,
		     "the loop published nothing for over a minute");
	cr_expect_str_eq(text(), "not live: the agent's loop has not run for 61 s\n");
	prom_buf_free(&b);
	cr_expect_eq(metrics_healthz(&s, METRICS_LOOP_STALL_S - 1, 0, "", &b), 200,
		     "a long pass, not yet a hang");
	prom_buf_free(&b);
	cr_expect_eq(metrics_healthz(&s, 0, 0, "", &b), 200, "ready");
	cr_expect_str_eq(text(), "ok\n");
}

Test(metrics, address_accepts_numeric_hosts_and_off)
{
	static const struct {
		const char *arg, *text;
		int family;
		unsigned int port;
	} cases[] = {
		{ "127.0.0.1:9964", "127.0.0.1:9964", AF_INET, 9964 },
		{ "0.0.0.0:1", "0.0.0.0:1", AF_INET, 1 },
		{ "10.0.0.1:65535", "10.0.0.1:65535", AF_INET, 65535 },
		{ "[::1]:80", "[::1]:80", AF_INET6, 80 },
		{ "[0:0::1]:80", "[::1]:80", AF_INET6, 80 },
		{ "[::]:9964", "[::]:9964", AF_INET6, 9964 },
	};
	struct metrics_addr a;
	char why[WHY_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(metrics_addr_parse(cases[i].arg, &a, why, sizeof(why)), 0, "%s: %s",
			     cases[i].arg, why);
		cr_expect(!a.off, "%s is not off", cases[i].arg);
		cr_expect_str_eq(a.text, cases[i].text, "%s as logged", cases[i].arg);
		cr_expect_eq(a.sa.ss_family, cases[i].family, "%s family", cases[i].arg);
		cr_expect_eq(ntohs(cases[i].family == AF_INET ?
				   ((struct sockaddr_in *)&a.sa)->sin_port :
				   ((struct sockaddr_in6 *)&a.sa)->sin6_port), cases[i].port,
			     "%s port", cases[i].arg);
		cr_expect_eq(a.sa_len, cases[i].family == AF_INET ? sizeof(struct sockaddr_in) :
								      sizeof(struct sockaddr_in6),
			     "%s length", cases[i].arg);
	}
	cr_assert_eq(metrics_addr_parse("off", &a, why, sizeof(why)), 0, "off");
	cr_expect(a.off, "off is off");
	cr_assert_eq(metrics_addr_parse(METRICS_ADDRESS_DEFAULT, &a, why, sizeof(why)), 0,
		     "the default parses");
	cr_expect_eq(ntohs(((struct sockaddr_in *)&a.sa)->sin_port), METRICS_PORT_DEFAULT,
		     "the default port");
}

Test(metrics, address_refuses_what_cannot_be_listened_on)
{
	static const struct {
		const char *arg, *why;
	} cases[] = {
		{ "", "wants HOST:PORT" },
		{ "9964", "wants HOST:PORT" },
		{ "Off", "wants HOST:PORT" },
		{ ":9964", "HOST is missing" },
		{ "localhost:9964", "'localhost' is no IPv4 address" },
		{ "127.0.0.1:", "PORT is a number from 1 to 65535, got ''" },
		{ "127.0.0.1:0", "got '0'" },
		{ "127.0.0.1:65536", "got '65536'" },
		{ "127.0.0.1:99x", "got '99x'" },
		{ "127.0.0.1:+80", "got '+80'" },
		{ "127.0.0.1: 80", "got ' 80'" },
		{ "256.0.0.1:80", "is no IPv4 address" },
		{ "::1:80", "goes in brackets" },
		{ "[::1]80", "wants [IPv6]:PORT" },
		{ "[::1", "wants [IPv6]:PORT" },
		{ "[127.0.0.1]:80", "'127.0.0.1' is no IPv6 address" },
	};
	struct metrics_addr a;
	char why[WHY_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		cr_expect_eq(metrics_addr_parse(cases[i].arg, &a, why, sizeof(why)), -EINVAL,
			     "'%s' refused", cases[i].arg);
		cr_expect(strstr(why, cases[i].why), "'%s': why '%s' says '%s'", cases[i].arg, why,
			  cases[i].why);
	}
}

Test(metrics, fill_is_a_percentage_and_only_some_maps_fill)
{
	struct map_usage u = { "sluice_ct4", BPF_MAP_TYPE_LRU_HASH, 235930, 262144 };

	cr_expect(map_usage_pct(&u) >= METRICS_FILL_WARN_PCT, "90%% full");
	u.capacity = 0;
	cr_expect_eq(map_usage_pct(&u), 0, "no capacity, no fill");
	cr_expect(map_type_can_fill(BPF_MAP_TYPE_HASH), "hash");
	cr_expect(map_type_can_fill(BPF_MAP_TYPE_LPM_TRIE), "LPM trie");
	cr_expect(map_type_can_fill(BPF_MAP_TYPE_ARRAY_OF_MAPS), "array of maps");
	cr_expect(!map_type_can_fill(BPF_MAP_TYPE_PERCPU_ARRAY), "per-CPU array");
	cr_expect(!map_type_can_fill(BPF_MAP_TYPE_RINGBUF), "ring buffer");
}
