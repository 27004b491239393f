// SPDX-License-Identifier: Apache-2.0
/*
 * tc_from_pod on real veths, for what BPF_PROG_TEST_RUN cannot show. The
 * program is attached to a host veth in a private node namespace, as the
 * agent attaches it, and frames are sent from inside the source pod.
 *
 * - Where a redirect goes (see struct fx_result): the frame must come out
 *   of the destination pod's interface, rewritten, and never show on the
 *   host side of that pod's veth, which bpf_redirect_peer() skips.
 * - Frames too short for an IPv4 header, which test_run refuses to run
 *   (see test_tc_pod_malformed.c): they must be dropped and counted.
 * - Source verification against the device the kernel says a frame came
 *   in on, not one a test hands to test_run: each pod's veth has its
 *   endpoint's ifindex and MAC, as sluice-cni makes it, so the pod's own
 *   frames pass and frames with another address or MAC are dropped.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <netlink/errno.h>

#include "fixture.h"
#include "netns.h"
#include "policy_maps.h"

/* Host sides of the two pods' veths, in the node namespace. */
#define SRC_HOST_IF "sl-src"
#define DST_HOST_IF "sl-dst"
/* The interface inside each pod, as kubelet names it. */
#define POD_IF "eth0"
/* Time a delivered frame gets to arrive: it crosses no real wire. */
#define DELIVERY_TIMEOUT_MS 1000
/* Time spent watching for a frame that must not arrive. */
#define QUIET_MS 100
/* IPv4 bytes left in a truncated frame: none, half a header, one byte short. */
#define IP_TRUNC_NONE 0
#define IP_TRUNC_HALF 10
#define IP_TRUNC_ONE_SHORT (sizeof(struct iphdr) - 1)

static int node_ns = -1, src_ns = -1, dst_ns = -1;
/* Packet sockets: send in the source pod, watch the destination pod and its host veth. */
static int tx_fd = -1, rx_fd = -1, host_rx_fd = -1;

/* A new namespace with IPv6 off, so that its devices stay silent. */
static int quiet_netns(const char *what)
{
	int fd = netns_enter_new(), err;

	cr_assert_geq(fd, 0, "setup: make the %s namespace: %s", what, strerror(-fd));
	err = netns_quiet_ipv6();
	cr_assert_eq(err, 0, "setup: turn IPv6 off in the %s namespace: %s", what,
		     strerror(-err));
	return fd;
}

static void enter(int ns, const char *what)
{
	int err = netns_enter(ns);

	cr_assert_eq(err, 0, "setup: enter the %s namespace: %s", what, strerror(-err));
}

static void link_up(const char *name, const char *ns_what)
{
	int err = netns_link_up(name);

	cr_assert_eq(err, 0, "setup: bring up %s in the %s: %s", name, ns_what, strerror(-err));
}

/* A pod as sluice-cni makes one: a veth whose numbers and MACs match ep. */
static void add_pod(int pod_ns, const char *pod_what, const char *host_if,
		    const struct sluice_endpoint_info *ep)
{
	struct veth_end host = { host_if, ep->ifindex, ep->host_mac, -1 };
	struct veth_end pod = { POD_IF, 0, ep->pod_mac, pod_ns };
	int err = veth_create(&host, &pod);

	cr_assert_eq(err, 0, "setup: make veth %s: %s", host_if, nl_geterror(err));
	link_up(host_if, "node");
	enter(pod_ns, pod_what);
	link_up(POD_IF, pod_what);
	enter(node_ns, "node");
}

/*
 * A packet socket on ifname in namespace ns, for frames of EtherType proto.
 * Only ETH_P_ALL also sees frames the device sends.
 */
static int packet_socket(int ns, const char *ns_what, const char *ifname, __u16 proto)
{
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
	};
	int fd;

	enter(ns, ns_what);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto));
	cr_assert_geq(fd, 0, "setup: packet socket in the %s: %s", ns_what, strerror(errno));
	addr.sll_ifindex = if_nametoindex(ifname);
	cr_assert_neq(addr.sll_ifindex, 0, "setup: find %s in the %s: %s", ifname, ns_what,
		      strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0,
		     "setup: bind to %s in the %s: %s", ifname, ns_what, strerror(errno));
	enter(node_ns, "node");
	return fd;
}

static void attach_from_pod(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(fx_skel->progs.tc_from_pod));
	int err;

	err = bpf_tc_hook_create(&hook);
	cr_assert_eq(err, 0, "setup: clsact on ifindex %d: %s", ifindex, strerror(-err));
	err = bpf_tc_attach(&hook, &opts);
	cr_assert_eq(err, 0, "setup: attach tc_from_pod to ifindex %d: %s", ifindex,
		     strerror(-err));
}

static void live_setup(void)
{
	fx_setup();
	/* Each is entered as it is made, so the node, made last, is where we stay. */
	src_ns = quiet_netns("source pod");
	dst_ns = quiet_netns("destination pod");
	node_ns = quiet_netns("node");
	add_pod(src_ns, "source pod", SRC_HOST_IF, &fx_src_ep);
	add_pod(dst_ns, "destination pod", DST_HOST_IF, &fx_dst_ep);
	attach_from_pod(fx_src_ep.ifindex);
	tx_fd = packet_socket(src_ns, "source pod", POD_IF, ETH_P_IP);
	rx_fd = packet_socket(dst_ns, "destination pod", POD_IF, ETH_P_IP);
	/* Both ways: a plain redirect would leave through this veth's egress. */
	host_rx_fd = packet_socket(node_ns, "node", DST_HOST_IF, ETH_P_ALL);
}

/* The namespaces, and the veths in them, go with the last fd. */
static void live_teardown(void)
{
	int *fds[] = { &tx_fd, &rx_fd, &host_rx_fd, &node_ns, &src_ns, &dst_ns };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	fx_teardown();
}

/* Whether a frame is waiting on fd within timeout_ms. */
static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

Test(tc_from_pod, redirect_target_live, .init = live_setup, .fini = live_teardown)
{
	static const char desc[] = "UDP from pod to pod through real veths";
	struct sluice_counter totals[SLUICE_VERDICT_MAX];
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 len = fx_build(&spec, in, desc);
	ssize_t n;

	n = send(tx_fd, in, len, 0);
	cr_assert_eq(n, (ssize_t)len, "%s: send from the source pod: %s", desc, strerror(errno));
	cr_assert(readable(rx_fd, DELIVERY_TIMEOUT_MS),
		  "%s: nothing arrived in the destination pod within %d ms", desc,
		  DELIVERY_TIMEOUT_MS);
	n = recv(rx_fd, out, sizeof(out), 0);
	cr_assert_gt(n, 0, "%s: receive in the destination pod: %s", desc, strerror(errno));
	fx_expect_rewritten(out, n, in, len, &fx_dst_ep, desc);
	cr_assert_not(readable(host_rx_fd, QUIET_MS),
		      "%s: the frame passed the destination's host veth, not straight to its peer",
		      desc);

	/* The skeleton is this test's own, so its totals are what this frame added. */
	fx_read_counters(totals, desc);
	fx_expect_counted(totals, SLUICE_VERDICT_REDIRECT_LOCAL, len, desc);
}

struct short_case {
	const char *desc;
	__u32 ip_len;	/* bytes kept after the Ethernet header */
};

static const struct short_case short_cases[] = {
	{ "IPv4 EtherType, Ethernet header only", IP_TRUNC_NONE },
	{ "IPv4 header cut to 10 bytes", IP_TRUNC_HALF },
	{ "IPv4 header cut to 19 bytes", IP_TRUNC_ONE_SHORT },
};

ParameterizedTestParameters(tc_from_pod, truncated_live)
{
	static size_t idx[ARRAY_SIZE(short_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, tc_from_pod, truncated_live, .init = live_setup,
		  .fini = live_teardown)
{
	const struct short_case *c = &short_cases[*i];
	struct sluice_counter totals[SLUICE_VERDICT_MAX];
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);
	__u32 len = ETH_HLEN + c->ip_len;
	__u8 in[PKT_MAX];
	ssize_t n;

	/* A whole frame to the destination pod, then cut short. */
	fx_build(&spec, in, c->desc);
	n = send(tx_fd, in, len, 0);
	cr_assert_eq(n, (ssize_t)len, "%s: send from the source pod: %s", c->desc,
		     strerror(errno));
	cr_assert_not(readable(rx_fd, QUIET_MS), "%s: reached the destination pod", c->desc);

	fx_read_counters(totals, c->desc);
	fx_expect_counted(totals, SLUICE_VERDICT_DROP_MALFORMED, len, c->desc);
}

/* A MAC no pod has; locally administered like the fixture's. */
static const __u8 stranger_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x66 };

struct spoof_case {
	const char *desc;
	__u32 saddr;		/* host order */
	const __u8 *src_mac;
};

static const struct spoof_case spoof_cases[] = {
	{ "the destination pod's address", FX_DST_ADDR, fx_src_ep.pod_mac },
	{ "own address, a MAC no pod has", FX_SRC_ADDR, stranger_mac },
};

ParameterizedTestParameters(tc_from_pod, spoofed_live)
{
	static size_t idx[ARRAY_SIZE(spoof_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, tc_from_pod, spoofed_live, .init = live_setup,
		  .fini = live_teardown)
{
	const struct spoof_case *c = &spoof_cases[*i];
	struct sluice_counter totals[SLUICE_VERDICT_MAX], drops;
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);
	__u8 in[PKT_MAX];
	__u32 len;
	ssize_t n;

	spec.saddr = htonl(c->saddr);
	memcpy(spec.src_mac, c->src_mac, ETH_ALEN);
	len = fx_build(&spec, in, c->desc);
	n = send(tx_fd, in, len, 0);
	cr_assert_eq(n, (ssize_t)len, "%s: send from the source pod: %s", c->desc,
		     strerror(errno));
	cr_assert_not(readable(rx_fd, QUIET_MS), "%s: reached the destination pod", c->desc);

	fx_read_counters(totals, c->desc);
	fx_expect_counted(totals, SLUICE_VERDICT_DROP_SPOOFED, len, c->desc);
	/* Under the one key for forged sources, not the address the frame claimed. */
	drops = pm_drops(SLUICE_DROP_ENDPOINT_FORGED, SLUICE_VERDICT_DROP_SPOOFED);
	cr_assert_eq(drops.packets, 1, "%s: %llu spoofed drops counted, want 1", c->desc,
		     (unsigned long long)drops.packets);
	drops = pm_drops(c->saddr, SLUICE_VERDICT_DROP_SPOOFED);
	cr_assert_eq(drops.packets, 0, "%s: %llu spoofed drops counted for the claimed address",
		     c->desc, (unsigned long long)drops.packets);
}
