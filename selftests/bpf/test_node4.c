// SPDX-License-Identifier: Apache-2.0
/*
 * Pods on other nodes: tc_from_pod sends a packet for another node's pod
 * into the VXLAN device or by a FIB lookup; tc_to_ovl gives the device's
 * packets their tunnel key; tc_from_ovl and tc_from_net deliver packets
 * from other nodes into local pods, after their ingress policy, and give
 * replies of service flows their service address back.
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "lb_fixture.h"
#include "policy_maps.h"

/* Another node (192.168.50.2) and its pod CIDR 10.244.1.0/24, which holds FX_REMOTE_ADDR. */
#define REMOTE_NODE 0xc0a83202
#define REMOTE_CIDR 0x0af40100
#define REMOTE_PREFIX 24
/* A device number for the tunnel: bpf_redirect() takes any, the kernel checks it later. */
#define TUNNEL_IFINDEX 1
/* An address on no node's pod CIDR (198.51.100.7, TEST-NET-2). */
#define WORLD_ADDR 0xc6336407
/* Identity of the remote pod, as every node's ipcache has it. */
#define REMOTE_IDENTITY 4242

static void set_routing(enum sluice_routing routing, __u32 tunnel_ifindex)
{
	struct sluice_node_cfg cfg = { .routing = routing, .tunnel_ifindex = tunnel_ifindex };
	__u32 slot = 0;

	cr_assert_eq(bpf_map__update_elem(fx_skel->maps.SLUICE_MAP_NODE_CFG, &slot, sizeof(slot),
					  &cfg, sizeof(cfg), BPF_ANY), 0, "setup: node config");
}

static void add_remote_node(void)
{
	struct sluice_node4_key k = { .prefixlen = REMOTE_PREFIX, .addr = htonl(REMOTE_CIDR) };
	struct sluice_node4_value v = { .node_addr = htonl(REMOTE_NODE) };

	cr_assert_eq(bpf_map__update_elem(fx_skel->maps.SLUICE_MAP_NODES4, &k, sizeof(k), &v,
					  sizeof(v), BPF_ANY), 0, "setup: node map");
}

static void setup(void)
{
	lb_node_setup();
	add_remote_node();
	set_routing(SLUICE_ROUTING_VXLAN, TUNNEL_IFINDEX);
}

TestSuite(node4, .init = setup, .fini = lb_node_teardown);

/* A frame from the source pod to the remote pod. */
static struct pkt_ipv4 to_remote(__u8 proto)
{
	struct pkt_ipv4 spec = fx_flow(proto);

	spec.daddr = htonl(FX_REMOTE_ADDR);
	return spec;
}

/*
 * The frame spec describes, one hop on: TTL one lower, nothing else changed;
 * checksums as the builder computes them whole.
 */
static void expect_one_hop_on(const struct fx_result *res, const struct pkt_ipv4 *spec,
			      __u32 retval, const char *desc)
{
	struct pkt_ipv4 want = *spec;
	__u8 frame[PKT_MAX];
	__u32 len;
	int diff;

	want.ttl = spec->ttl - 1;
	len = fx_build(&want, frame, desc);
	cr_expect_eq(res->retval, retval, "%s: verdict %u, want %u", desc, res->retval, retval);
	cr_assert_eq(res->out_len, len, "%s: %u bytes out, want %u", desc, res->out_len, len);
	diff = fx_first_diff(res->out, frame, len);
	cr_expect_eq(diff, -1, "%s: byte %d differs from the frame one hop on", desc, diff);
}

Test(node4, pod_to_remote_pod_goes_into_the_tunnel)
{
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	struct fx_result res;
	struct pkt_ipv4 spec;
	__u8 in[PKT_MAX];
	char desc[64];
	__u32 len;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		snprintf(desc, sizeof(desc), "protocol %u to a remote pod", protos[i]);
		spec = to_remote(protos[i]);
		len = lb_send(&spec, in, &res, desc);
		expect_one_hop_on(&res, &spec, TC_ACT_REDIRECT, desc);
		fx_expect_counted(res.delta, SLUICE_VERDICT_FORWARD_TUNNEL, len, desc);
	}
}

/* The pod's frame spec goes to the host stack as it came, counted so. */
static void expect_left_to_stack(const struct pkt_ipv4 *spec, const char *desc)
{
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = lb_send(spec, in, &res, desc);

	fx_expect_untouched(&res, in, len, TC_ACT_OK, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, desc);
}

Test(node4, tunnel_without_device_drops_with_its_reason)
{
	struct pkt_ipv4 spec = to_remote(IPPROTO_TCP);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	set_routing(SLUICE_ROUTING_VXLAN, 0);
	len = lb_send(&spec, in, &res, "no tunnel device");
	cr_expect_eq(res.retval, TC_ACT_SHOT, "no tunnel device: verdict %u", res.retval);
	fx_expect_counted(res.delta, SLUICE_VERDICT_DROP_NO_ROUTE, len, "no tunnel device");
}

/*
 * Native routing asks the FIB. Under BPF_PROG_TEST_RUN the skb has no
 * ingress device, so bpf_fib_lookup() fails as it would without a route:
 * the packet goes to the stack as it came (test_tc_node.c says more).
 */
Test(node4, native_routing_without_route_leaves_it_to_the_stack)
{
	struct pkt_ipv4 spec = to_remote(IPPROTO_TCP);

	set_routing(SLUICE_ROUTING_NATIVE, 0);
	expect_left_to_stack(&spec, "native, no route");
}

/* TTL 1 would expire on the way: the stack sends the ICMP error. */
Test(node4, expiring_ttl_goes_to_the_stack)
{
	struct pkt_ipv4 spec = to_remote(IPPROTO_UDP);

	spec.ttl = 1;
	expect_left_to_stack(&spec, "TTL 1");
}

/* An address on no node stays the stack's, as before there were nodes. */
Test(node4, world_address_is_not_tunnelled)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_TCP);

	spec.daddr = htonl(WORLD_ADDR);
	expect_left_to_stack(&spec, "to the world");
}

/* tc_to_ovl on the frame spec describes. */
static __u32 send_into_tunnel(const struct pkt_ipv4 *spec, __u8 in[PKT_MAX],
			      struct fx_result *res, const char *desc)
{
	__u32 len = fx_build(spec, in, desc);

	fx_run_on(lb_node_skel->progs.SLUICE_PROG_TO_OVERLAY, 0, in, len, res, desc);
	return len;
}

Test(node4, tunnel_device_keys_packets_for_other_nodes)
{
	struct pkt_ipv4 spec = to_remote(IPPROTO_TCP);
	struct sluice_counter none[SLUICE_VERDICT_MAX] = { 0 };
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	len = send_into_tunnel(&spec, in, &res, "keyed");
	fx_expect_untouched(&res, in, len, TC_ACT_OK, "keyed");
	cr_expect_eq(memcmp(res.delta, none, sizeof(none)), 0, "keyed: a verdict was counted");
}

Test(node4, tunnel_device_drops_what_no_node_holds)
{
	struct pkt_ipv4 spec = to_remote(IPPROTO_UDP);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	spec.daddr = htonl(WORLD_ADDR);
	len = send_into_tunnel(&spec, in, &res, "to the world");
	cr_expect_eq(res.retval, TC_ACT_SHOT, "to the world: verdict %u", res.retval);
	fx_expect_counted(res.delta, SLUICE_VERDICT_DROP_NO_ROUTE, len, "to the world");
	len = (__u32)pkt_build_arp(in, PKT_MAX);
	fx_run_on(lb_node_skel->progs.SLUICE_PROG_TO_OVERLAY, 0, in, len, &res, "ARP");
	cr_expect_eq(res.retval, TC_ACT_SHOT, "ARP: verdict %u", res.retval);
	fx_expect_counted(res.delta, SLUICE_VERDICT_DROP_NO_ROUTE, len, "ARP");
}

/* A frame from the remote pod to the local destination pod, as the tunnel hands it over. */
static struct pkt_ipv4 from_remote(__u8 proto)
{
	struct pkt_ipv4 spec = fx_flow(proto);

	spec.saddr = htonl(FX_REMOTE_ADDR);
	return spec;
}

Test(node4, tunnel_delivers_into_local_pods)
{
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct fx_result res;
	struct pkt_ipv4 spec;
	__u8 in[PKT_MAX];
	char desc[64];
	__u32 len;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		snprintf(desc, sizeof(desc), "protocol %u from a remote pod", protos[i]);
		spec = from_remote(protos[i]);
		len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_OVERLAY, &spec, in, &res, desc);
		fx_expect_delivered(&res, in, len, &fx_dst_ep, desc);
		fx_expect_counted(res.delta, SLUICE_VERDICT_TUNNEL_TO_POD, len, desc);
	}
}

Test(node4, tunnel_passes_the_rest_to_the_stack)
{
	struct pkt_ipv4 spec = from_remote(IPPROTO_TCP);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	spec.daddr = htonl(WORLD_ADDR);
	len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_OVERLAY, &spec, in, &res, "not local");
	fx_expect_untouched(&res, in, len, TC_ACT_OK, "not local");
	fx_expect_counted(res.delta, SLUICE_VERDICT_TUNNEL_PASS, len, "not local");
}

/* The remote pod's identity decides, on the tunnel and on the node device alike. */
Test(node4, ingress_policy_judges_remote_peers)
{
	struct pm_rule allow = { .identity = REMOTE_IDENTITY, .proto = IPPROTO_TCP,
				 .port_first = FX_DPORT, .port_last = FX_DPORT };
	struct bpf_program *progs[] = { lb_node_skel->progs.SLUICE_PROG_FROM_OVERLAY,
					lb_node_skel->progs.SLUICE_PROG_FROM_NET };
	struct fx_result res;
	struct pkt_ipv4 spec;
	__u8 in[PKT_MAX];
	__u32 len;
	size_t i;

	pm_set_identity(FX_REMOTE_ADDR, 32, REMOTE_IDENTITY);
	pm_set_policy(SLUICE_DIR_INGRESS, FX_DST_ADDR, &allow, 1);
	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		spec = from_remote(IPPROTO_TCP);
		spec.sport = (__u16)(FX_SPORT + i);
		len = lb_run(progs[i], &spec, in, &res, "allowed port");
		cr_expect_eq(res.retval, TC_ACT_REDIRECT, "allowed port: verdict %u", res.retval);
		spec = from_remote(IPPROTO_UDP);
		len = lb_run(progs[i], &spec, in, &res, "denied protocol");
		cr_expect_eq(res.retval, TC_ACT_SHOT, "denied protocol: verdict %u", res.retval);
		fx_expect_counted(res.delta, SLUICE_VERDICT_DROP_POLICY_INGRESS, len,
				  "denied protocol");
	}
}

/*
 * A client pod here, its service's backend on another node: the request
 * goes into the tunnel translated, the reply comes out of it with the
 * service address back and is delivered to the client.
 */
Test(node4, service_backend_on_another_node)
{
	struct pkt_ipv4 req = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN), reply, want;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	lb_add_service(IPPROTO_TCP, FX_REMOTE_ADDR);
	len = lb_send(&req, in, &res, "request");
	want = lb_dnat(&req, FX_REMOTE_ADDR, LB_BE_PORT);
	expect_one_hop_on(&res, &want, TC_ACT_REDIRECT, "request");
	fx_expect_counted(res.delta, SLUICE_VERDICT_FORWARD_TUNNEL, len, "request");

	reply = lb_reply_frame(IPPROTO_TCP, FX_REMOTE_ADDR, FX_SRC_ADDR, FX_SPORT,
			       PKT_TCP_SYN | PKT_TCP_ACK, &lb_be1_ep);
	len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_OVERLAY, &reply, in, &res, "reply");
	want = lb_snat(&reply, LB_VIP, LB_VIP_PORT);
	lb_expect_translated(&res, &want, &fx_src_ep, "reply");
	fx_expect_counted(res.delta, SLUICE_VERDICT_TUNNEL_TO_POD, len, "reply");
}

/* Native routing's arrival: plain pod traffic on the node device goes straight in. */
Test(node4, node_device_delivers_pod_traffic)
{
	struct pkt_ipv4 spec = from_remote(IPPROTO_UDP);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_NET, &spec, in, &res, "from a node");
	fx_expect_delivered(&res, in, len, &fx_dst_ep, "from a node");
	fx_expect_counted(res.delta, SLUICE_VERDICT_NET_TO_POD, len, "from a node");
}
