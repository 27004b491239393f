// SPDX-License-Identifier: Apache-2.0
/*
 * `sluice agent`: loads and pins the datapath, keeps endpoints in step, and
 * leaves everything pinned and attached when it stops, so traffic never
 * depends on the agent process being alive.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tc_pod.skel.h"
#include "agent/endpoint_sync.h"
#include "agent/loader.h"
#include "cli/cli.h"
#include "lib/agent_state.h"
#include "lib/field.h"
#include "lib/log.h"

static const char usage[] =
	"Usage: sluice agent --node-name NAME [--manifests DIR] [--bpffs DIR] [-v]\n"
	"                    [--maglev-table-size PRIME] [--map-entries MAP=N]...\n"
	"  --node-name NAME         this node's Kubernetes name (default: $NODE_NAME)\n"
	"  --manifests DIR          directory of Kubernetes objects, for a cluster-less node\n"
	"  --bpffs DIR              pin root (default " SLUICE_PIN_ROOT_DEFAULT ")\n"
	"  --maglev-table-size N    slots per service's Maglev table, a prime (default 1021)\n"
	"  --map-entries MAP=N      capacity of one map, e.g. sluice_ct4=1000000; a pinned\n"
	"                           map of another size is migrated with its entries\n";

/* Bounds on the Maglev table size: enough slots to spread, small enough to fit. */
#define MAGLEV_SIZE_MIN 7
#define MAGLEV_SIZE_MAX 65521

/*
 * How often endpoints are checked against the node's veths: short enough that
 * a veth deleted without CNI DEL leaves a stale entry for seconds only, long
 * enough to cost nothing.
 */
#define AGENT_RESYNC_MS 5000

enum { OPT_NODE_NAME = 0x200, OPT_MANIFESTS, OPT_MAGLEV_SIZE, OPT_MAP_ENTRIES };

struct agent_opts {
	const char *node_name;
	const char *manifests;
	struct loader_opts load;
	struct cli *cli;
};

static const struct option agent_options[] = {
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "manifests", required_argument, NULL, OPT_MANIFESTS },
	{ "maglev-table-size", required_argument, NULL, OPT_MAGLEV_SIZE },
	{ "map-entries", required_argument, NULL, OPT_MAP_ENTRIES },
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
	if (o->load.n_sizes == LOADER_MAX_SIZES) {
		p_err(o->cli, "--map-entries given more than %d times", LOADER_MAX_SIZES);
		return EXIT_USAGE;
	}
	sz = &o->load.sizes[o->load.n_sizes++];
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
		o->node_name = arg;
		return 0;
	case OPT_MANIFESTS:
		o->manifests = arg;
		return 0;
	case OPT_MAGLEV_SIZE:
		if (!parse_uint(arg, MAGLEV_SIZE_MIN, MAGLEV_SIZE_MAX, &n) || !is_prime(n)) {
			p_err(o->cli, "--maglev-table-size must be a prime from %d to %d, got '%s'",
			      MAGLEV_SIZE_MIN, MAGLEV_SIZE_MAX, arg);
			return EXIT_USAGE;
		}
		o->load.maglev_size = (__u32)n;
		return 0;
	case OPT_MAP_ENTRIES:
		return parse_map_entries(o, arg);
	}
	return EXIT_USAGE;
}

static int check_opts(struct cli *cli, const struct agent_opts *o)
{
	struct stat sb;

	if (!o->node_name || !o->node_name[0]) {
		p_err(cli, "--node-name (or $NODE_NAME) is required");
		return EXIT_USAGE;
	}
	if (strlen(o->node_name) >= SLUICE_NODE_NAME_LEN) {
		p_err(cli, "--node-name is longer than %d characters", SLUICE_NODE_NAME_LEN - 1);
		return EXIT_USAGE;
	}
	if (o->manifests && (stat(o->manifests, &sb) || !S_ISDIR(sb.st_mode))) {
		p_err(cli, "--manifests %s is not a readable directory", o->manifests);
		return EXIT_USAGE;
	}
	return 0;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int sync_endpoints(const struct sluice_pins *pins)
{
	struct endpoint_sync_result r;
	int err = endpoint_sync(pins, &r);

	if (err) {
		pr_warn("endpoint sync failed: %s", strerror(-err));
		return err;
	}
	if (r.reattached || r.removed || r.failed)
		pr_info("endpoint sync: %u in step, %u re-attached, %u stale removed, %u failed",
			r.kept, r.reattached, r.removed, r.failed);
	return 0;
}

/* SIGTERM and SIGINT arrive through a file descriptor so the loop can poll. */
static int signals_fd(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int run(const struct sluice_pins *pins, const struct agent_opts *o)
{
	struct sluice_agent_state st = { .abi_version = SLUICE_ABI_VERSION };
	struct tc_pod *skel = NULL;
	struct pollfd pfd;
	int lock_fd, sfd, state_fd, err;

	lock_fd = loader_lock(pins);
	if (lock_fd < 0) {
		if (lock_fd == -EBUSY && !agent_state_read(pins, &st) && st.pid)
			pr_err("agent pid %u already owns %s", st.pid, pins->root);
		else
			pr_err("cannot take %s: %s", pins->root, strerror(-lock_fd));
		return lock_fd;
	}
	sfd = signals_fd();
	if (sfd < 0) {
		pr_err("cannot set up signal handling: %s", strerror(-sfd));
		close(lock_fd);
		return sfd;
	}
	err = loader_load(pins, &o->load, &skel);
	if (err)
		goto out;
	pr_info("programs loaded and pinned under %s", pins->root);

	memset(&st, 0, sizeof(st));
	st.abi_version = SLUICE_ABI_VERSION;
	st.pid = (__u32)getpid();
	copy_field(st.node_name, sizeof(st.node_name), o->node_name);
	state_fd = bpf_map__fd(skel->maps.SLUICE_MAP_AGENT);
	err = proc_start_ticks(getpid(), &st.start_ticks);
	if (!err)
		err = agent_state_write_fd(state_fd, &st);
	if (err) {
		pr_err("cannot record the agent in %s: %s", pins->root, strerror(-err));
		goto out;
	}

	err = sync_endpoints(pins);
	if (err)
		goto out;
	st.synced_ns = now_ns();
	err = agent_state_write_fd(state_fd, &st);
	if (err)
		goto out;
	pr_info("node %s: first sync done, agent ready", o->node_name);

	pfd.fd = sfd;
	pfd.events = POLLIN;
	for (;;) {
		int n = poll(&pfd, 1, AGENT_RESYNC_MS);

		if (n < 0 && errno != EINTR) {
			err = -errno;
			pr_err("poll: %s", strerror(-err));
			break;
		}
		if (n > 0) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				pr_info("signal %u: stopping; pins stay, traffic keeps flowing",
					si.ssi_signo);
			break;
		}
		sync_endpoints(pins);
	}
	st.pid = 0;
	agent_state_write_fd(state_fd, &st);
out:
	tc_pod__destroy(skel);
	close(sfd);
	close(lock_fd);
	return err;
}

int cmd_agent(struct cli *cli, int argc, char **argv)
{
	struct agent_opts o = {
		.node_name = getenv("NODE_NAME"),
		.load = { .maglev_size = SLUICE_MAGLEV_SIZE },
		.cli = cli,
	};
	int ret, first;

	ret = cli_parse(cli, argc, argv, agent_options, agent_set, &o, usage, &first);
	if (ret)
		return CLI_EXIT(ret);
	if (first < argc) {
		p_err(cli, "agent takes no operands, got '%s'", argv[first]);
		return EXIT_USAGE;
	}
	ret = check_opts(cli, &o);
	if (ret)
		return ret;
	log_init("sluice-agent", cli->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, true);
	return run(&cli->pins, &o) ? EXIT_FAIL : EXIT_OK;
}
