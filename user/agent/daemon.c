// SPDX-License-Identifier: Apache-2.0
/*
 * The agent loads and pins the datapath, keeps endpoints and services in
 * step, and leaves everything pinned and attached when it stops, so traffic
 * never depends on the agent process being alive.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "tc_pod.skel.h"
#include "sock_lb.skel.h"
#include "agent/ct_gc.h"
#include "agent/daemon.h"
#include "agent/endpoint_sync.h"
#include "agent/metrics.h"
#include "agent/policies.h"
#include "agent/services.h"
#include "agent/sock_lb.h"
#include "k8s/api_source.h"
#include "k8s/manifest.h"
#include "lib/agent_notify.h"
#include "lib/agent_state.h"
#include "lib/clock.h"
#include "lib/field.h"
#include "lib/log.h"
#include "lib/node_cfg.h"
#include "lib/version.h"

/*
 * How often endpoints are checked against the node's veths: short enough that
 * a veth deleted without CNI DEL leaves a stale entry for seconds only, long
 * enough to cost nothing.
 */
#define ENDPOINT_SYNC_MS 5000
/* How often expired conntrack entries are removed; the datapath ignores them meanwhile. */
#define CT_GC_MS 10000
/* Milliseconds per second. */
#define MS_PER_S 1000
_Static_assert(CT_GC_MS == METRICS_MAP_COUNT_S * MS_PER_S,
	       "maps are counted with the conntrack GC pass, as /metrics says");
/* CNI requests answered by one flush; more wait for the next loop. */
#define NOTIFY_BATCH_MAX 64

enum { POLL_SIGNAL, POLL_MANIFESTS, POLL_API, POLL_NOTIFY, POLL_COUNT };

struct daemon {
	const struct sluice_pins *pins;
	const struct daemon_opts *opts;
	struct datapath dp;
	int lock_fd, sfd, state_fd;
	struct sluice_agent_state st;
	struct services svc;
	bool svc_open;
	struct policies pol;
	bool pol_open;
	struct nodes nodes;
	bool nodes_open;
	int notify_fd;			/* the CNI plugin's requests; -1 until the first sync */
	struct host_addrs host;		/* the node's addresses, as policy last got them */
	struct manifest_source *manifests;
	bool manifests_synced;
	struct api_source *api;
	bool api_synced;
	bool first_sync_done;	/* every configured source has delivered everything */
	__u64 next_endpoint_sync, next_ct_gc;
	struct devices devices;		/* with the addresses last read */
	struct metrics_server *metrics;	/* NULL: --metrics-address off */
	struct metrics_snapshot snap;	/* what it last published, histograms included */
};

static int sync_endpoints(const struct sluice_pins *pins, struct policies *pol)
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
	if (r.removed && pol)
		policies_touch(pol);
	return 0;
}

static void ct_gc(struct daemon *d)
{
	unsigned long left = 0;
	long n = ct_gc_pass(bpf_map__fd(d->dp.pod->maps.SLUICE_MAP_CT4), &left);

	if (n < 0)
		pr_warn("conntrack GC failed: %s", strerror((int)-n));
	else if (n)
		pr_debug("conntrack GC: %ld expired entries removed", n);
	if (n > 0)
		d->snap.ct_gc_removed += (__u64)n;
	/* Map counts for /metrics ride on this pass; sluice_ct4's is the one it just made. */
	if (d->metrics)
		metrics_count_maps(&d->snap, d->pins, n < 0 ? -1 : (long)left);
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

static void on_event(void *ctx, enum k8s_event_type type, enum k8s_kind kind, const cJSON *obj)
{
	struct daemon *d = ctx;

	services_event(&d->svc, type, kind, obj);
	policies_event(&d->pol, type, kind, obj);
	nodes_event(&d->nodes, type, kind, obj);
}

static void on_manifests_synced(void *ctx)
{
	struct daemon *d = ctx;

	d->manifests_synced = true;
}

static void on_api_synced(void *ctx)
{
	struct daemon *d = ctx;

	d->api_synced = true;
}

/* Every source the agent was given has delivered everything it had at start. */
static bool sources_synced(const struct daemon *d)
{
	return (!d->opts->manifests || d->manifests_synced) && (!d->opts->api || d->api_synced);
}

static int record_self(struct daemon *d)
{
	int err;

	memset(&d->st, 0, sizeof(d->st));
	d->st.abi_version = SLUICE_ABI_VERSION;
	d->st.pid = (__u32)getpid();
	copy_field(d->st.node_name, sizeof(d->st.node_name), d->opts->node_name);
	d->state_fd = bpf_map__fd(d->dp.pod->maps.SLUICE_MAP_AGENT);
	err = proc_start_ticks(getpid(), &d->st.start_ticks);
	if (!err)
		err = agent_state_write_fd(d->state_fd, &d->st);
	if (err)
		pr_err("cannot record the agent in %s: %s", d->pins->root, strerror(-err));
	return err;
}

/*
 * Routes and the node map follow Node objects, once every source has
 * synced: a partial cache would cut off nodes not listed yet. An agent
 * without a source leaves them as they are. Failures are retried with
 * the next flush.
 */
static void flush_nodes(struct daemon *d)
{
	if (d->nodes_open && d->first_sync_done && (d->opts->manifests || d->opts->api))
		nodes_flush(&d->nodes);
}

/* A services flush; one that had work is timed for /metrics. */
static int flush_services(struct daemon *d)
{
	bool work = services_pending(&d->svc);
	double t0 = monotonic_s();
	int err = services_flush(&d->svc);

	if (work)
		metrics_histogram_observe(&d->snap.reconcile[METRICS_SERVICE], monotonic_s() - t0);
	return err;
}

/* NodePorts follow the devices' addresses. */
static void refresh_node_addrs(struct daemon *d)
{
	bool changed;

	if (!d->devices.n || devices_read_addrs(&d->devices, &changed) || !changed)
		return;
	pr_info("node addresses changed: %zu on %zu devices", d->devices.n_addrs, d->devices.n);
	services_set_node_addrs(&d->svc, d->devices.addrs, d->devices.n_addrs);
	flush_services(d);
}

/* Traffic from any of the node's addresses is the node's to policy. */
static void refresh_host_addrs(struct daemon *d)
{
	bool changed;
	int err = host_addrs_read(&d->host, &changed);

	if (err)
		pr_warn("cannot read the node's addresses: %s", strerror(-err));
	else if (changed)
		policies_set_host_addrs(&d->pol, d->host.addrs, d->host.n);
}

/*
 * Policy is programmed only once every source has synced: from partial
 * caches it would open what the tables a previous agent left still close.
 * An agent without a source leaves them as they are. Failures are logged;
 * the tables that could not be written keep their last policy.
 */
static int flush_policy(struct daemon *d)
{
	unsigned long flushes = d->pol.stats.flushes;
	double t0 = monotonic_s();
	int err;

	if (!d->first_sync_done || (!d->opts->manifests && !d->opts->api))
		return 0;
	err = policies_flush(&d->pol);
	if (d->pol.stats.flushes != flushes)
		metrics_histogram_observe(&d->snap.reconcile[METRICS_POLICY], monotonic_s() - t0);
	return err;
}

/*
 * Answers the CNI plugin once the endpoints it added have their policy;
 * requests waiting together share one flush.
 */
static void serve_notify(struct daemon *d)
{
	int fds[NOTIFY_BATCH_MAX], n = 0, fd, err, i;

	while (n < NOTIFY_BATCH_MAX && (fd = agent_notify_accept(d->notify_fd)) >= 0)
		fds[n++] = fd;
	if (!n)
		return;
	policies_touch(&d->pol);
	err = flush_policy(d);
	for (i = 0; i < n; i++)
		agent_notify_reply(fds[i], err);
}

/* Attaches or detaches the socket hooks as --socket-lb says. */
static int socket_lb(struct daemon *d)
{
	char root[PATH_MAX];
	int err;

	if (!d->opts->socket_lb)
		return sock_lb_disable(d->pins);
	if (d->opts->cgroup_root)
		return sock_lb_enable(d->pins, d->dp.sock->obj, d->opts->cgroup_root);
	err = cgroup2_mount(root, sizeof(root));
	if (err) {
		pr_err("no cgroup2 mount for the socket load balancer; pass --cgroup-root or "
		       "--socket-lb off");
		return err;
	}
	return sock_lb_enable(d->pins, d->dp.sock->obj, root);
}

/*
 * The first sync is done once every source has delivered everything.
 * Services the maps still have and no source names any more were deleted
 * while no agent ran; they go only then, so an agent without a source never
 * removes anything.
 */
static int finish_first_sync(struct daemon *d)
{
	int err = flush_services(d);

	if (d->opts->manifests || d->opts->api)
		lb_writer_prune_unclaimed(&d->svc.writer);
	if (err)
		return err;
	d->first_sync_done = true;
	flush_nodes(d);
	flush_policy(d);
	d->notify_fd = agent_notify_listen(d->pins);
	if (d->notify_fd < 0) {
		err = d->notify_fd;
		pr_err("cannot listen for the CNI plugin: %s", strerror(-err));
		return err;
	}
	d->st.synced_ns = realtime_ns();
	err = agent_state_write_fd(d->state_fd, &d->st);
	if (!err)
		pr_info("node %s: first sync done, agent ready (%lu frontends, %lu backends)",
			d->opts->node_name, d->svc.writer.stats.frontends,
			d->svc.writer.stats.backends);
	return err;
}

static int open_nodes(struct daemon *d)
{
	struct nodes_opts o = d->opts->nodes;
	int err;

	o.self = d->opts->node_name;
	o.devices = &d->devices;
	err = nodes_open(&d->nodes, d->pins, &o);

	if (err) {
		pr_err("cannot set up %s routing: %s", node_routing_name(o.routing), strerror(-err));
		return err;
	}
	d->nodes_open = true;
	return 0;
}

/*
 * The first sync: endpoints against veths, then every object the sources
 * hold. The API source delivers from its own thread, so its objects may
 * arrive later, through serve().
 */
static int first_sync(struct daemon *d)
{
	struct k8s_sink sink = { .event = on_event, .ctx = d };
	int err;

	err = sync_endpoints(d->pins, NULL);
	if (err)
		return err;
	err = services_open(&d->svc, d->pins, d->opts->load.maglev_size, d->opts->node_name);
	if (err) {
		pr_err("cannot open the service maps: %s", strerror(-err));
		return err;
	}
	d->svc_open = true;
	err = policies_open(&d->pol, d->pins);
	if (err) {
		pr_err("cannot open the policy maps: %s", strerror(-err));
		return err;
	}
	d->pol_open = true;
	refresh_host_addrs(d);
	if (d->devices.n) {
		err = devices_attach(&d->devices, d->pins);
		if (err)
			return err;
		refresh_node_addrs(d);
	}
	err = open_nodes(d);
	if (err)
		return err;
	if (d->opts->manifests) {
		sink.synced = on_manifests_synced;
		d->manifests = manifest_source_open(d->opts->manifests, &sink);
		if (!d->manifests)
			return -errno;
	}
	if (d->opts->api) {
		sink.synced = on_api_synced;
		d->api = api_source_open(d->opts->api, &sink);
		if (!d->api)
			return -errno;
	}
	if (!sources_synced(d)) {
		/* The manifests' services work meanwhile; nothing is pruned yet. */
		pr_info("node %s: waiting for the Kubernetes API's first lists",
			d->opts->node_name);
		return flush_services(d);
	}
	return finish_first_sync(d);
}

/* Why /healthz is not ok yet. */
static const char *not_ready_why(const struct daemon *d)
{
	if (!d->svc_open || !d->pol_open)
		return "loading and pinning the datapath";
	if (d->opts->api && !d->api_synced)
		return "waiting for the Kubernetes API's first lists";
	if (d->opts->manifests && !d->manifests_synced)
		return "waiting for the manifest directory";
	return "finishing the first sync";
}

/* Hands /healthz and /metrics the loop's state; cheap enough for every pass. */
static void publish_metrics(struct daemon *d)
{
	if (!d->metrics)
		return;
	d->snap.ready = d->first_sync_done;
	snprintf(d->snap.why, sizeof(d->snap.why), "%s",
		 d->first_sync_done ? "" : not_ready_why(d));
	metrics_snapshot_caches(&d->snap, d->svc_open ? &d->svc : NULL,
				d->pol_open ? &d->pol : NULL);
	if (d->nodes_open) {
		d->snap.cached[K8S_KIND_NODE] = true;
		d->snap.cache[K8S_KIND_NODE] = nodes_count(&d->nodes);
	}
	metrics_snapshot_api(&d->snap, d->api);
	metrics_publish(d->metrics, &d->snap);
}

/* Periodic work that is due; returns the milliseconds until the next is. */
static int periodic(struct daemon *d)
{
	__u64 now = monotonic_ms(), next;

	if (now >= d->next_endpoint_sync) {
		sync_endpoints(d->pins, &d->pol);
		refresh_node_addrs(d);
		flush_nodes(d);
		refresh_host_addrs(d);
		flush_policy(d);
		d->next_endpoint_sync = now + ENDPOINT_SYNC_MS;
	}
	if (now >= d->next_ct_gc) {
		ct_gc(d);
		d->next_ct_gc = now + CT_GC_MS;
	}
	next = d->next_endpoint_sync < d->next_ct_gc ? d->next_endpoint_sync : d->next_ct_gc;
	return (int)(next - now);
}

static int serve(struct daemon *d)
{
	struct pollfd pfd[POLL_COUNT] = {
		[POLL_SIGNAL] = { .fd = d->sfd, .events = POLLIN },
		[POLL_MANIFESTS] = { .fd = d->manifests ? manifest_source_fd(d->manifests) : -1,
				     .events = POLLIN },
		[POLL_API] = { .fd = d->api ? api_source_fd(d->api) : -1, .events = POLLIN },
		[POLL_NOTIFY] = { .fd = d->notify_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	int n, err, timeout;

	d->next_endpoint_sync = monotonic_ms() + ENDPOINT_SYNC_MS;
	d->next_ct_gc = monotonic_ms() + CT_GC_MS;
	/* /metrics has map counts from the start; later ones come with the GC passes. */
	if (d->metrics)
		metrics_count_maps(&d->snap, d->pins, -1);
	for (;;) {
		timeout = periodic(d);
		publish_metrics(d);
		n = poll(pfd, POLL_COUNT, timeout);
		if (n < 0 && errno != EINTR) {
			pr_err("poll: %s", strerror(errno));
			return -errno;
		}
		if (n > 0 && (pfd[POLL_SIGNAL].revents & POLLIN)) {
			if (read(d->sfd, &si, sizeof(si)) == sizeof(si))
				pr_info("signal %u: stopping; pins stay, traffic keeps flowing",
					si.ssi_signo);
			return 0;
		}
		if (n > 0 && (pfd[POLL_MANIFESTS].revents & POLLIN)) {
			if (manifest_source_process(d->manifests))
				pfd[POLL_MANIFESTS].fd = -1;
			flush_nodes(d);
			flush_services(d);
			flush_policy(d);
		}
		if (n > 0 && (pfd[POLL_API].revents & POLLIN)) {
			if (api_source_process(d->api))
				pfd[POLL_API].fd = -1;
			flush_nodes(d);
			flush_services(d);
			flush_policy(d);
		}
		if (!d->first_sync_done && sources_synced(d)) {
			err = finish_first_sync(d);
			if (err)
				return err;
			pfd[POLL_NOTIFY].fd = d->notify_fd;
		}
		if (n > 0 && (pfd[POLL_NOTIFY].revents & POLLIN))
			serve_notify(d);
	}
}

int daemon_run(const struct sluice_pins *pins, const struct daemon_opts *opts)
{
	struct daemon d = { .pins = pins, .opts = opts, .sfd = -1, .notify_fd = -1,
			    .devices = opts->devices };
	int err;

	d.lock_fd = loader_lock(pins);
	if (d.lock_fd < 0) {
		if (d.lock_fd == -EBUSY && !agent_state_read(pins, &d.st) && d.st.pid)
			pr_err("agent pid %u already owns %s", d.st.pid, pins->root);
		else
			pr_err("cannot take %s: %s", pins->root, strerror(-d.lock_fd));
		return d.lock_fd;
	}
	d.sfd = signals_fd();
	if (d.sfd < 0) {
		err = d.sfd;
		pr_err("cannot set up signal handling: %s", strerror(-err));
		goto out;
	}
	/*
	 * After signals are blocked, so the server's thread never takes them;
	 * before anything is pinned, so a port already taken stops the agent first.
	 */
	d.snap.start_time = realtime_s();
	if (!opts->metrics.off) {
		err = metrics_server_start(&opts->metrics, pins, &d.metrics);
		if (err)
			goto out;
		publish_metrics(&d);
	}
	err = loader_load(pins, &opts->load, &d.dp);
	if (err)
		goto out;
	pr_info("sluice %s (ABI %d): programs loaded and pinned under %s", SLUICE_VERSION,
		SLUICE_ABI_VERSION, pins->root);
	err = socket_lb(&d);
	if (!err)
		err = record_self(&d);
	if (!err)
		err = first_sync(&d);
	if (err)
		goto out;
	err = serve(&d);
	d.st.pid = 0;
	agent_state_write_fd(d.state_fd, &d.st);
out:
	metrics_server_stop(d.metrics);
	if (d.manifests)
		manifest_source_close(d.manifests);
	api_source_close(d.api);
	if (d.notify_fd >= 0)
		close(d.notify_fd);
	if (d.pol_open)
		policies_close(&d.pol);
	if (d.nodes_open)
		nodes_close(&d.nodes);
	if (d.svc_open)
		services_close(&d.svc);
	loader_unload(&d.dp);
	if (d.sfd >= 0)
		close(d.sfd);
	close(d.lock_fd);
	return err;
}
