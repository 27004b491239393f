// SPDX-License-Identifier: Apache-2.0
/* `sluice monitor`: the datapath's verdict events as they happen, as lines or JSON lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli/cli.h"
#include "cli/policy_names.h"
#include "lib/clock.h"
#include "lib/endpoint_map.h"
#include "lib/verdict_names.h"

static const char usage[] =
	"Usage: sluice monitor [--allowed] [--count N] [--timeout SECONDS] [--bpffs DIR] [-j]\n"
	"  Streams policy drops (and spoofed sources) with their 5-tuple, pods,\n"
	"  identities and direction, one per line; -j: one JSON object per line.\n"
	"  The node's events go to one reader: run one monitor per node at a time.\n"
	"  --allowed          also new flows a policy allowed, and which policy did\n"
	"  --count N          exit after N events\n"
	"  --timeout SECONDS  exit after this long (default: until interrupted)\n";

/* How often the loop wakes to check the clock, signals and new pods. */
#define POLL_MS 100
#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000ULL
/* Longest --timeout: a day; a monitor is watched, not left behind. */
#define TIMEOUT_MAX_S 86400

enum { OPT_ALLOWED = CLI_OPT_OWN, OPT_COUNT, OPT_TIMEOUT };

struct monitor {
	struct cli *cli;
	struct policy_names pn;
	bool allowed;
	unsigned long count;	/* 0: no limit */
	unsigned long timeout_s;	/* 0: none */
	unsigned long seen;
	__u64 start_ns;		/* CLOCK_MONOTONIC at start: older events in the ring are skipped */
	__s64 mono_to_real_ns;	/* CLOCK_REALTIME minus CLOCK_MONOTONIC */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int set_opt(void *ctx, int opt, const char *arg)
{
	struct monitor *m = ctx;

	switch (opt) {
	case OPT_ALLOWED:
		m->allowed = true;
		return 0;
	case OPT_COUNT:
		if (parse_uint(arg, 1, ULONG_MAX, &m->count))
			return 0;
		p_err(m->cli, "--count wants a positive number, got '%s'", arg);
		return EXIT_USAGE;
	case OPT_TIMEOUT:
		if (parse_uint(arg, 1, TIMEOUT_MAX_S, &m->timeout_s))
			return 0;
		p_err(m->cli, "--timeout wants 1 to %d seconds, got '%s'", TIMEOUT_MAX_S, arg);
		return EXIT_USAGE;
	}
	return EXIT_USAGE;
}

static void time_text(const struct monitor *m, __u64 ts_ns, char *buf, size_t len)
{
	__u64 real = ts_ns + (__u64)m->mono_to_real_ns;
	time_t s = (time_t)(real / NS_PER_S);
	struct tm tm;
	size_t n;

	gmtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03lluZ", (unsigned long long)(real % NS_PER_S / NS_PER_MS));
}

static const char *dir_name(__u8 dir)
{
	return dir == SLUICE_DIR_INGRESS ? "ingress" : "egress";
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct monitor *m = ctx;
	const struct sluice_event *e = data;
	char when[40], src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], proto[16];
	char src_pod[SLUICE_POD_NAMESPACE_LEN + SLUICE_POD_NAME_LEN];
	char dst_pod[sizeof(src_pod)];
	char src_id[SLUICE_IDENTITY_DESC_LEN], dst_id[SLUICE_IDENTITY_DESC_LEN];
	char pol[SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN];
	bool drop;

	if (size < sizeof(*e) || e->ts_ns < m->start_ns)
		return 0;
	drop = e->type == SLUICE_EVENT_DROP;
	time_text(m, e->ts_ns, when, sizeof(when));
	inet_ntop(AF_INET, &e->saddr, src, sizeof(src));
	inet_ntop(AF_INET, &e->daddr, dst, sizeof(dst));
	proto_name(e->proto, proto, sizeof(proto));
	address_pod(&m->pn, e->saddr, src_pod, sizeof(src_pod));
	address_pod(&m->pn, e->daddr, dst_pod, sizeof(dst_pod));
	identity_name(&m->pn, e->src_identity, src_id, sizeof(src_id));
	identity_name(&m->pn, e->dst_identity, dst_id, sizeof(dst_id));
	policy_name(&m->pn, e->policy_id, pol, sizeof(pol));
	if (m->cli->json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "time", when);
		cJSON_AddStringToObject(o, "type", drop ? "drop" : "allow");
		if (drop)
			cJSON_AddStringToObject(o, "reason", verdict_name(e->reason));
		cJSON_AddStringToObject(o, "direction", dir_name(e->dir));
		cJSON_AddStringToObject(o, "protocol", proto);
		cJSON_AddStringToObject(o, "source", src);
		cJSON_AddNumberToObject(o, "source_port", ntohs(e->sport));
		cJSON_AddStringToObject(o, "source_pod", src_pod);
		cJSON_AddNumberToObject(o, "source_identity", e->src_identity);
		cJSON_AddStringToObject(o, "source_labels", src_id);
		cJSON_AddStringToObject(o, "destination", dst);
		cJSON_AddNumberToObject(o, "destination_port", ntohs(e->dport));
		cJSON_AddStringToObject(o, "destination_pod", dst_pod);
		cJSON_AddNumberToObject(o, "destination_identity", e->dst_identity);
		cJSON_AddStringToObject(o, "destination_labels", dst_id);
		cJSON_AddNumberToObject(o, "ifindex", e->ifindex);
		if (!drop && e->reason == SLUICE_ALLOW_POLICY)
			cJSON_AddStringToObject(o, "policy", pol);
		if (!drop && e->reason == SLUICE_ALLOW_OPEN)
			cJSON_AddBoolToObject(o, "isolated", false);
		text = cJSON_PrintUnformatted(o);
		if (text)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(o);
	} else {
		printf("%s %s %s %s %s:%u%s%s%s -> %s:%u%s%s%s identity %u -> %u", when,
		       drop ? "DROP" : "ALLOW", drop ? verdict_name(e->reason) : dir_name(e->dir),
		       proto, src, ntohs(e->sport), *src_pod ? " (" : "", src_pod,
		       *src_pod ? ")" : "", dst, ntohs(e->dport), *dst_pod ? " (" : "", dst_pod,
		       *dst_pod ? ")" : "", e->src_identity, e->dst_identity);
		if (drop)
			printf("\n");
		else if (e->reason == SLUICE_ALLOW_POLICY)
			printf(" by %s\n", pol);
		else
			printf(" (no policy isolates either end)\n");
	}
	fflush(stdout);
	m->seen++;
	/* A negative return ends ring_buffer__poll(): the count is reached. */
	return m->count && m->seen >= m->count ? -1 : 0;
}

/* Tells the datapath that one more (or one fewer) monitor wants allowed flows. */
static int want_allowed(struct cli *cli, int delta)
{
	int fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_MONITOR));
	struct sluice_monitor_cfg cfg = { 0 };
	__u32 slot = 0;
	int err = 0;

	if (fd < 0)
		return fd;
	if (!bpf_map_lookup_elem(fd, &slot, &cfg)) {
		if (delta > 0)
			cfg.allow_events++;
		else if (cfg.allow_events)
			cfg.allow_events--;
		if (bpf_map_update_elem(fd, &slot, &cfg, BPF_ANY))
			err = -errno;
	} else {
		err = -errno;
	}
	close(fd);
	return err;
}

/* Reloads the node's pods now and then, so new ones get their names. */
static void refresh_pods(struct monitor *m)
{
	struct endpoint_maps em;
	struct endpoint *eps;
	size_t n;

	if (endpoint_maps_open(&m->cli->pins, &em))
		return;
	if (!endpoint_list(&em, &eps, &n)) {
		free(m->pn.eps);
		m->pn.eps = eps;
		m->pn.n_eps = n;
	}
	endpoint_maps_close(&em);
}

static int run(struct monitor *m)
{
	struct ring_buffer *rb;
	__u64 deadline = 0, next_refresh = 0, now;
	int fd, ret = 0;

	fd = pins_open_map(&m->cli->pins, SLUICE_STR(SLUICE_MAP_EVENTS));
	if (fd < 0) {
		p_err(m->cli, "cannot open the event ring under %s: %s", m->cli->pins.root,
		      strerror(-fd));
		return EXIT_FAIL;
	}
	rb = ring_buffer__new(fd, on_event, m, NULL);
	close(fd);
	if (!rb) {
		p_err(m->cli, "cannot read the event ring: %s", strerror(errno));
		return EXIT_FAIL;
	}
	m->start_ns = monotonic_ns();
	if (m->timeout_s)
		deadline = m->start_ns + m->timeout_s * NS_PER_S;
	while (!stop && ret >= 0) {
		now = monotonic_ns();
		if (deadline && now >= deadline)
			break;
		if (now >= next_refresh) {
			refresh_pods(m);
			m->mono_to_real_ns = (__s64)(realtime_ns() - monotonic_ns());
			next_refresh = now + NS_PER_S;
		}
		ret = ring_buffer__poll(rb, POLL_MS);
		if (ret == -EINTR)
			ret = 0;
	}
	ring_buffer__free(rb);
	/* -1 is on_event() saying the count is reached. */
	if (ret < 0 && ret != -1) {
		p_err(m->cli, "reading events failed: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_monitor(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allowed", no_argument, NULL, OPT_ALLOWED },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct monitor m = { .cli = cli };
	int ret, first, err;

	ret = cli_parse(cli, argc, argv, opts, set_opt, &m, usage, &first);
	if (ret)
		return CLI_EXIT(ret);
	if (first < argc) {
		p_err(cli, "monitor takes no operands, got '%s'", argv[first]);
		return EXIT_USAGE;
	}
	ret = policy_names_open(cli, &m.pn);
	if (ret)
		return ret;
	/* No SA_RESTART: a signal ends the poll at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (m.allowed) {
		err = want_allowed(cli, 1);
		if (err) {
			p_err(cli, "cannot ask the datapath for allowed flows: %s", strerror(-err));
			policy_names_close(&m.pn);
			return EXIT_FAIL;
		}
	}
	ret = run(&m);
	if (m.allowed)
		want_allowed(cli, -1);
	policy_names_close(&m.pn);
	return ret;
}
