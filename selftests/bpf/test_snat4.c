// SPDX-License-Identifier: Apache-2.0
/*
 * Flows the node sends from its own address: a pod's traffic to outside
 * the cluster (masquerade, in tc_from_pod) and an outside client's NodePort
 * flow to a backend on another node (tc_from_net); their replies come back
 * through tc_from_net or tc_from_ovl and go to the flow's real source.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <criterion/criterion.h>

#include "lb_fixture.h"
#include "policy_maps.h"

/* This node's address (192.168.50.1), another node and its pod CIDR (holding FX_REMOTE_ADDR). */
#define NODE_ADDR 0xc0a83201
#define REMOTE_NODE 0xc0a83202
#define REMOTE_CIDR 0x0af40100
#define REMOTE_PREFIX 24
/* Outside the cluster (198.51.100.0/24, TEST-NET-2): a server, a client and a hop. */
#define WORLD_ADDR 0xc6336407
#define EXT_CLIENT 0xc633640a
#define WORLD_HOP 0xc6336401
/* The port a NodePort frontend listens on, on the node's address. */
#define NODE_PORT 30080
/* A device number for the tunnel: bpf_redirect() takes any. */
#define TUNNEL_IFINDEX 1
#define PORT_COUNT (SLUICE_SNAT_PORT_MAX - SLUICE_SNAT_PORT_MIN + 1)

static void set_cfg(__u32 flags)
{
	struct sluice_node_cfg cfg = { .routing = SLUICE_ROUTING_VXLAN,
				       .tunnel_ifindex = TUNNEL_IFINDEX,
				       .node_addr = htonl(NODE_ADDR), .flags = flags };
	__u32 slot = 0;

	cr_assert_eq(bpf_map__update_elem(fx_skel->maps.SLUICE_MAP_NODE_CFG, &slot, sizeof(slot),
					  &cfg, sizeof(cfg), BPF_ANY), 0, "setup: node config");
}

static void setup(void)
{
	struct sluice_node4_key k = { .prefixlen = REMOTE_PREFIX, .addr = htonl(REMOTE_CIDR) };
	struct sluice_node4_value v = { .node_addr = htonl(REMOTE_NODE) };

	lb_node_setup();
	cr_assert_eq(bpf_map__update_elem(fx_skel->maps.SLUICE_MAP_NODES4, &k, sizeof(k), &v,
					  sizeof(v), BPF_ANY), 0, "setup: node map");
	set_cfg(SLUICE_NODE_F_MASQUERADE);
}

TestSuite(snat4, .init = setup, .fini = lb_node_teardown);

static struct pkt_ipv4 to_world(__u8 proto, __u16 sport)
{
	struct pkt_ipv4 spec = fx_flow(proto);

	spec.daddr = htonl(WORLD_ADDR);
	spec.sport = sport;
	return spec;
}

/* Where an ICMP echo's identifier, its "port", sits in its header. */
#define ICMP_ECHO_ID_OFF 4

/* The source port the node gave the frame out, asserting it is the node's and in range. */
static __u16 snat_port(const struct fx_result *res, const char *desc)
{
	__u8 *frame = (__u8 *)res->out;
	struct iphdr *iph = pkt_iph(frame);
	__u16 port;

	cr_assert_eq(iph->saddr, htonl(NODE_ADDR), "%s: source " LB_IP_FMT ", want the node's",
		     desc, LB_IP_ARGS(ntohl(iph->saddr)));
	memcpy(&port, (__u8 *)pkt_l4(frame) + (iph->protocol == IPPROTO_ICMP ? ICMP_ECHO_ID_OFF : 0),
	       sizeof(port));
	port = ntohs(port);
	cr_assert(port >= SLUICE_SNAT_PORT_MIN,
		  "%s: source port %u outside the node's SNAT range", desc, port);
	return port;
}

/* The frame out is spec sent from the node's address:port: checksums as a sender makes them. */
static void expect_sent_from_node(const struct fx_result *res, const struct pkt_ipv4 *spec,
				  __u16 port, __u8 ttl_drop, const char *desc)
{
	struct pkt_ipv4 want = lb_snat(spec, NODE_ADDR, port);
	__u8 frame[PKT_MAX];
	__u32 len;
	int diff;

	want.ttl = spec->ttl - ttl_drop;
	len = fx_build(&want, frame, desc);
	cr_assert_eq(res->out_len, len, "%s: %u bytes out, want %u", desc, res->out_len, len);
	diff = fx_first_diff(res->out, frame, len);
	cr_expect_eq(diff, -1, "%s: byte %d differs from the masqueraded frame", desc, diff);
}

Test(snat4, pod_to_world_leaves_from_the_node)
{
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	struct fx_result res;
	struct pkt_ipv4 spec;
	__u8 in[PKT_MAX];
	char desc[64];
	__u16 port;
	__u32 len;
	__u64 t0, t1;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		snprintf(desc, sizeof(desc), "protocol %u to the world", protos[i]);
		spec = to_world(protos[i], FX_SPORT);
		t0 = lb_now_ns();
		len = lb_send(&spec, in, &res, desc);
		t1 = lb_now_ns();
		/*
		 * Under BPF_PROG_TEST_RUN the FIB lookup fails (test_tc_node.c
		 * says why): the masqueraded frame goes to the stack, TTL kept.
		 */
		cr_expect_eq(res.retval, TC_ACT_OK, "%s: verdict %u", desc, res.retval);
		fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, desc);
		port = snat_port(&res, desc);
		expect_sent_from_node(&res, &spec, port, 0, desc);

		struct lb_tuple out = lb_tuple_of(&spec);
		/* An echo reply has no source "port": its identifier is the destination's. */
		struct lb_tuple back = { WORLD_ADDR, NODE_ADDR,
					 protos[i] == IPPROTO_ICMP ? 0 : FX_DPORT, port, protos[i] };
		struct sluice_ct4_value out_v = { .nat_addr = htonl(NODE_ADDR),
						  .nat_port = htons(port), .flags = SLUICE_CT_F_NAT };
		struct sluice_ct4_value in_v = { .nat_addr = htonl(FX_SRC_ADDR),
						 .nat_port = htons(FX_SPORT), .flags = SLUICE_CT_F_NAT };
		__u32 timeout = protos[i] == IPPROTO_TCP ? SLUICE_CT_TCP_SYN_S : SLUICE_CT_UDP_S;

		lb_expect_ct(&out, SLUICE_CT_SNAT_OUT, &out_v, timeout, t0, t1, desc);
		lb_expect_ct(&back, SLUICE_CT_SNAT_IN, &in_v, timeout, t0, t1, desc);
	}
}

/* The world's answer reaches the node's address and goes back into the pod. */
Test(snat4, reply_goes_back_to_the_pod)
{
	struct pkt_ipv4 spec = to_world(IPPROTO_TCP, FX_SPORT), reply, want;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u16 port;
	__u32 len;

	lb_send(&spec, in, &res, "SYN");
	port = snat_port(&res, "SYN");
	reply = spec;
	reply.saddr = htonl(WORLD_ADDR);
	reply.daddr = htonl(NODE_ADDR);
	reply.sport = FX_DPORT;
	reply.dport = port;
	reply.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK;
	len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_NET, &reply, in, &res, "SYN-ACK");
	want = lb_dnat(&reply, FX_SRC_ADDR, FX_SPORT);
	lb_expect_translated(&res, &want, &fx_src_ep, "SYN-ACK");
	fx_expect_counted(res.delta, SLUICE_VERDICT_NET_TO_POD, len, "SYN-ACK");

	spec.tcp_flags = PKT_TCP_ACK;
	lb_send(&spec, in, &res, "ACK");
	cr_expect_eq(snat_port(&res, "ACK"), port, "ACK: the flow changed its port");
}

/* A ping's reply comes back to the node's address and goes to the pod with its own identifier. */
Test(snat4, echo_reply_goes_back_to_the_pod)
{
	struct pkt_ipv4 spec = to_world(IPPROTO_ICMP, FX_SPORT), reply, want;
	struct fx_result res;
	__u8 in[PKT_MAX], frame[PKT_MAX];
	__u16 port;
	__u32 len;

	lb_send(&spec, in, &res, "echo request");
	port = snat_port(&res, "echo request");
	reply = spec;
	reply.saddr = htonl(WORLD_ADDR);
	reply.daddr = htonl(NODE_ADDR);
	reply.icmp_reply = true;
	reply.sport = 0;
	reply.dport = port;
	len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_NET, &reply, in, &res, "echo reply");
	/* The reply as the world would have sent it to the pod itself, then delivered. */
	want = lb_dnat(&reply, FX_SRC_ADDR, FX_SPORT);
	fx_build(&want, frame, "echo reply");
	fx_expect_delivered(&res, frame, len, &fx_src_ep, "echo reply");
	fx_expect_counted(res.delta, SLUICE_VERDICT_NET_TO_POD, len, "echo reply");
}

/*
 * An ICMP error from a hop out there about a masqueraded flow reaches the
 * node's address and goes to the pod about the packet the pod sent: the
 * pod's address and port in the quote, checksums as the pod made them.
 */
Test(snat4, icmp_error_goes_back_to_the_pod)
{
	static const struct {
		const char *desc;
		__u8 proto, type, code;
	} errs[] = {
		{ "UDP, port unreachable", IPPROTO_UDP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH },
		{ "TCP, fragmentation needed", IPPROTO_TCP, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED },
		{ "TCP, time exceeded", IPPROTO_TCP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL },
	};
	struct pkt_ipv4 spec, got, outer;
	__u8 in[PKT_MAX], want[PKT_MAX];
	struct fx_result res;
	__u32 len, entries;
	__u16 port;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		spec = to_world(errs[i].proto, FX_SPORT + i);
		lb_send(&spec, in, &res, errs[i].desc);
		port = snat_port(&res, errs[i].desc);
		entries = lb_ct_count();
		got = lb_snat(&spec, NODE_ADDR, port);
		got.ttl = FX_TTL - 1;
		outer = fx_flow(IPPROTO_ICMP);
		outer.saddr = htonl(WORLD_HOP);
		outer.daddr = htonl(NODE_ADDR);
		len = lb_icmp_error(&outer, errs[i].type, errs[i].code, &got, PKT_ICMP_QUOTE_L4, in,
				    errs[i].desc);
		fx_run(lb_node_skel->progs.SLUICE_PROG_FROM_NET, in, len, &res, errs[i].desc);
		cr_assert_eq(res.retval, TC_ACT_REDIRECT, "%s: verdict %u", errs[i].desc,
			     res.retval);
		fx_expect_counted(res.delta, SLUICE_VERDICT_NET_TO_POD, len, errs[i].desc);
		cr_assert_eq(pkt_iph(res.out)->saddr, htonl(WORLD_HOP), "%s: source kept",
			     errs[i].desc);
		cr_assert_eq(pkt_iph(res.out)->daddr, htonl(FX_SRC_ADDR), "%s: to the pod",
			     errs[i].desc);
		got = spec;
		got.ttl = FX_TTL - 1;
		outer.daddr = htonl(FX_SRC_ADDR);
		lb_icmp_error(&outer, errs[i].type, errs[i].code, &got, PKT_ICMP_QUOTE_L4, want,
			      errs[i].desc);
		lb_expect_icmp_message(&res, want, errs[i].desc);
		cr_assert_eq(lb_ct_count(), entries, "%s: no entries of its own", errs[i].desc);
	}
}

Test(snat4, flows_get_their_own_ports)
{
	struct pkt_ipv4 spec;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u16 first;

	spec = to_world(IPPROTO_UDP, FX_SPORT);
	lb_send(&spec, in, &res, "first");
	first = snat_port(&res, "first");
	/* Another pod's flow that would get the same port by its hash meets the taken one. */
	spec = to_world(IPPROTO_UDP, FX_SPORT);
	spec.saddr = htonl(FX_DST_ADDR);
	memcpy(spec.src_mac, fx_dst_ep.pod_mac, ETH_ALEN);
	memcpy(spec.dst_mac, fx_dst_ep.host_mac, ETH_ALEN);
	lb_send(&spec, in, &res, "second");
	cr_expect_neq(snat_port(&res, "second"), first, "two flows share a port");
}

/* When every port is held for this destination, the flow is dropped with its reason. */
Test(snat4, exhausted_ports_drop_with_their_reason)
{
	struct pkt_ipv4 spec = to_world(IPPROTO_UDP, FX_SPORT);
	struct sluice_ct4_value held = { .expires_ns = lb_now_ns() + 60ULL * 1000000000ULL,
					 .nat_addr = htonl(FX_DST_ADDR), .flags = SLUICE_CT_F_NAT };
	struct lb_tuple t = { WORLD_ADDR, NODE_ADDR, FX_DPORT, 0, IPPROTO_UDP };
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 port, len;

	_Static_assert(SLUICE_SNAT_PORT_MAX == 0xffff, "the range ends with the port space");
	for (port = SLUICE_SNAT_PORT_MIN; port <= SLUICE_SNAT_PORT_MAX; port++) {
		t.dport = (__u16)port;
		lb_ct_put(&t, SLUICE_CT_SNAT_IN, &held);
	}
	len = lb_send(&spec, in, &res, "no port");
	cr_expect_eq(res.retval, TC_ACT_SHOT, "no port: verdict %u", res.retval);
	fx_expect_counted(res.delta, SLUICE_VERDICT_DROP_NO_SNAT_PORT, len, "no port");
	cr_expect_eq(lb_ct_count(), PORT_COUNT + LB_FLOW_ENTRIES,
		     "no port: only the policy's entries were added");
}

/*
 * A port whose entry expired and was not collected yet is free: the flow
 * takes the entry over in place (the claim that keeps two CPUs from taking
 * one free port checks whether an entry is there, so it must also let an
 * expired one be replaced).
 */
Test(snat4, expired_ports_are_taken_over)
{
	struct pkt_ipv4 spec = to_world(IPPROTO_UDP, FX_SPORT);
	struct sluice_ct4_value stale = { .expires_ns = lb_now_ns() - 1,
					  .nat_addr = htonl(FX_DST_ADDR), .flags = SLUICE_CT_F_NAT };
	struct sluice_ct4_value want = { .nat_addr = htonl(FX_SRC_ADDR),
					 .nat_port = htons(FX_SPORT), .flags = SLUICE_CT_F_NAT };
	struct lb_tuple t = { WORLD_ADDR, NODE_ADDR, FX_DPORT, 0, IPPROTO_UDP };
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u64 t0, t1;
	__u32 port;

	for (port = SLUICE_SNAT_PORT_MIN; port <= SLUICE_SNAT_PORT_MAX; port++) {
		t.dport = (__u16)port;
		lb_ct_put(&t, SLUICE_CT_SNAT_IN, &stale);
	}
	t0 = lb_now_ns();
	lb_send(&spec, in, &res, "every port expired");
	t1 = lb_now_ns();
	/* To the stack: the FIB lookup fails under BPF_PROG_TEST_RUN (see above). */
	cr_assert_eq(res.retval, TC_ACT_OK, "every port expired: verdict %u", res.retval);
	t.dport = snat_port(&res, "every port expired");
	lb_expect_ct(&t, SLUICE_CT_SNAT_IN, &want, SLUICE_CT_UDP_S, t0, t1,
		     "the port's entry is the flow's");
	/* Replaced in place: only the flow's other entries are new. */
	lb_expect_ct_count(PORT_COUNT + LB_FLOW_ENTRIES + 1, "every port expired");
}

/* Off, excepted, to the node itself, or without ports: the pod's own address stays. */
Test(snat4, what_is_not_masqueraded)
{
	struct sluice_node4_key nomasq = { .prefixlen = 24, .addr = htonl(WORLD_ADDR & ~0xffU) };
	struct pkt_ipv4 spec;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 one = 1, len;

	/* ICMP other than echo has no identifier to give a flow its own. */
	spec = to_world(IPPROTO_ICMP, 0);
	len = lb_send(&spec, in, &res, "ICMP without identifier");
	fx_expect_untouched(&res, in, len, TC_ACT_OK, "ICMP without identifier");

	pm_set_identity(WORLD_ADDR, 32, SLUICE_IDENTITY_HOST);
	spec = to_world(IPPROTO_TCP, FX_SPORT);
	len = lb_send(&spec, in, &res, "to the node");
	fx_expect_untouched(&res, in, len, TC_ACT_OK, "to the node");
	pm_set_identity(WORLD_ADDR, 32, SLUICE_IDENTITY_WORLD);

	cr_assert_eq(bpf_map__update_elem(fx_skel->maps.SLUICE_MAP_NOMASQ4, &nomasq,
					  sizeof(nomasq), &one, sizeof(one), BPF_ANY), 0,
		     "non-masquerade CIDR");
	spec = to_world(IPPROTO_TCP, FX_SPORT + 1);
	len = lb_send(&spec, in, &res, "non-masquerade CIDR");
	fx_expect_untouched(&res, in, len, TC_ACT_OK, "non-masquerade CIDR");

	set_cfg(0);
	spec = to_world(IPPROTO_UDP, FX_SPORT + 2);
	len = lb_send(&spec, in, &res, "masquerade off");
	fx_expect_untouched(&res, in, len, TC_ACT_OK, "masquerade off");
	fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, "masquerade off");
}

/*
 * An outside client's NodePort flow to a backend on another node leaves
 * from the node's address into the tunnel; the backend's reply comes back
 * through it, gets the client's address, then the NodePort's, and is
 * routed to the client (here: the stack, the FIB lookup failing).
 */
Test(snat4, nodeport_to_a_backend_on_another_node)
{
	struct sluice_svc_value v = { .id = LB_SVC_ID, .count = 1 };
	struct pkt_ipv4 req = fx_flow(IPPROTO_TCP), reply, want;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u16 port;
	__u32 len;

	lb_add_backend(LB_BE1_ID, FX_REMOTE_ADDR, LB_BE_PORT, IPPROTO_TCP, LB_SVC_ID);
	lb_fill_table(LB_SVC_ID, LB_BE1_ID);
	lb_add_frontend(NODE_ADDR, NODE_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL, &v);
	req.saddr = htonl(EXT_CLIENT);
	req.daddr = htonl(NODE_ADDR);
	req.dport = NODE_PORT;
	len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_NET, &req, in, &res, "request");
	cr_expect_eq(res.retval, TC_ACT_REDIRECT, "request: verdict %u", res.retval);
	fx_expect_counted(res.delta, SLUICE_VERDICT_FORWARD_TUNNEL, len, "request");
	port = snat_port(&res, "request");
	want = lb_dnat(&req, FX_REMOTE_ADDR, LB_BE_PORT);
	expect_sent_from_node(&res, &want, port, 1, "request");

	reply = want;
	reply.saddr = htonl(FX_REMOTE_ADDR);
	reply.sport = LB_BE_PORT;
	reply.daddr = htonl(NODE_ADDR);
	reply.dport = port;
	reply.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK;
	len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_OVERLAY, &reply, in, &res, "reply");
	want = lb_snat(&reply, NODE_ADDR, NODE_PORT);
	want = lb_dnat(&want, EXT_CLIENT, FX_SPORT);
	lb_expect_translated(&res, &want, NULL, "reply");
	fx_expect_counted(res.delta, SLUICE_VERDICT_TUNNEL_PASS, len, "reply");
}

/*
 * An ICMP error about that flow, from the backend or from the backend's
 * node, reaches this node's address about the packet it sent: both
 * translations are undone in turn, the node's address and port (SNAT),
 * then the backend's (the service), so the client gets it about the packet
 * it sent to the NodePort, from the NodePort when the backend sent it.
 */
Test(snat4, icmp_error_about_a_nodeport_flow_reaches_the_client)
{
	static const struct {
		const char *desc;
		__u8 proto, type, code;
		__u32 from;		/* the error's sender */
		__u32 svc_id, be_id;	/* a frontend per protocol */
	} errs[] = {
		{ "UDP, port unreachable from the backend", IPPROTO_UDP, ICMP_DEST_UNREACH,
		  ICMP_PORT_UNREACH, FX_REMOTE_ADDR, LB_SVC_ID, LB_BE1_ID },
		{ "TCP, fragmentation needed at the backend's node", IPPROTO_TCP, ICMP_DEST_UNREACH,
		  ICMP_FRAG_NEEDED, REMOTE_NODE, LB_SVC_ID + 1, LB_BE2_ID },
	};
	struct pkt_ipv4 req, got, outer;
	__u8 in[PKT_MAX], want[PKT_MAX];
	struct fx_result res;
	__u32 len, entries, out_src;
	__u16 port;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		struct sluice_svc_value v = { .id = errs[i].svc_id, .count = 1 };

		lb_add_backend(errs[i].be_id, FX_REMOTE_ADDR, LB_BE_PORT, errs[i].proto,
			       errs[i].svc_id);
		lb_fill_table(errs[i].svc_id, errs[i].be_id);
		lb_add_frontend(NODE_ADDR, NODE_PORT, errs[i].proto, SLUICE_SCOPE_EXTERNAL, &v);
		req = fx_flow(errs[i].proto);
		req.saddr = htonl(EXT_CLIENT);
		req.daddr = htonl(NODE_ADDR);
		req.sport = FX_SPORT + i;
		req.dport = NODE_PORT;
		len = lb_run(lb_node_skel->progs.SLUICE_PROG_FROM_NET, &req, in, &res, errs[i].desc);
		cr_assert_eq(res.retval, TC_ACT_REDIRECT, "%s: request verdict %u", errs[i].desc,
			     res.retval);
		port = snat_port(&res, errs[i].desc);
		entries = lb_ct_count();

		/* The request as the backend got it, one hop on. */
		got = lb_dnat(&req, FX_REMOTE_ADDR, LB_BE_PORT);
		got = lb_snat(&got, NODE_ADDR, port);
		got.ttl = FX_TTL - 1;
		outer = fx_flow(IPPROTO_ICMP);
		outer.saddr = htonl(errs[i].from);
		outer.daddr = htonl(NODE_ADDR);
		len = lb_icmp_error(&outer, errs[i].type, errs[i].code, &got, PKT_ICMP_QUOTE_L4, in,
				    errs[i].desc);
		fx_run(lb_node_skel->progs.SLUICE_PROG_FROM_OVERLAY, in, len, &res, errs[i].desc);
		cr_assert_eq(res.retval, TC_ACT_OK, "%s: to the stack, to be routed; verdict %u",
			     errs[i].desc, res.retval);
		fx_expect_counted(res.delta, SLUICE_VERDICT_TUNNEL_PASS, len, errs[i].desc);

		/* What the client must get: about its own request, one hop on. */
		out_src = errs[i].from == FX_REMOTE_ADDR ? NODE_ADDR : errs[i].from;
		cr_assert_eq(pkt_iph(res.out)->saddr, htonl(out_src), "%s: from " LB_IP_FMT,
			     errs[i].desc, LB_IP_ARGS(ntohl(pkt_iph(res.out)->saddr)));
		cr_assert_eq(pkt_iph(res.out)->daddr, htonl(EXT_CLIENT), "%s: to " LB_IP_FMT,
			     errs[i].desc, LB_IP_ARGS(ntohl(pkt_iph(res.out)->daddr)));
		got = req;
		got.ttl = FX_TTL - 1;
		outer.saddr = htonl(out_src);
		outer.daddr = htonl(EXT_CLIENT);
		lb_icmp_error(&outer, errs[i].type, errs[i].code, &got, PKT_ICMP_QUOTE_L4, want,
			      errs[i].desc);
		lb_expect_icmp_message(&res, want, errs[i].desc);
		cr_assert_eq(lb_ct_count(), entries, "%s: no entries of its own", errs[i].desc);
	}
}
