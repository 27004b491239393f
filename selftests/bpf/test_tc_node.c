// SPDX-License-Identifier: Apache-2.0
/*
 * tc_from_net, on the node's devices: a client outside the node reaching a
 * load-balancer IP is balanced over the frontend's external-scope backends
 * and delivered straight into a local one; everything else goes to the
 * host stack untouched. Then the backend's reply, through tc_from_pod,
 * gets the service address back and is routed out. Both programs share
 * one set of maps, as the agent loads them.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* A client on the internet (198.51.100.10, TEST-NET-2), host order. */
#define EXT_CLIENT 0xc633640a
/* A load-balancer ingress IP the node answers for (203.0.113.5, TEST-NET-3). */
#define EXT_IP 0xcb007105
/* A port on it with no frontend. */
#define OTHER_PORT 22
/*
 * The frontend id of its internal-scope twin, for pods and the node: a
 * table of its own naming backend 2, so that using it from outside shows.
 */
#define INT_SVC_ID 5
/* L4 bytes kept of a truncated TCP header. */
#define TCP_CUT_HALF 10
/* l4_keep of a frame left whole. */
#define L4_WHOLE 0

/* The upstream router's MAC and the node device's: locally administered. */
static const __u8 router_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x01 };
static const __u8 node_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x02 };

/* What tc_from_net does with the frame. */
enum outcome {
	TO_POD,			/* translated, delivered into the backend pod */
	TO_STACK_XLATED,	/* translated, left to the stack: TC_ACT_OK */
	UNTOUCHED,		/* TC_ACT_OK, not a byte changed, no CT entry */
};

struct net_case {
	const char *desc;
	__u8 proto;
	__u16 dport;
	bool ext_frontend;	/* EXT_IP has an external-scope frontend (backend 1) */
	__u16 ext_count;	/* its backend count; 0 refuses */
	bool be_local;		/* backend 1 is a pod on this node */
	__u32 l4_keep;		/* L4 bytes left in the frame, or L4_WHOLE */
	enum outcome outcome;
	enum sluice_verdict verdict;
};

static const struct net_case net_cases[] = {
	{ "TCP SYN to an external frontend, local backend", IPPROTO_TCP, LB_VIP_PORT, true, 1,
	  true, L4_WHOLE, TO_POD, SLUICE_VERDICT_NET_TO_POD },
	{ "UDP to an external frontend, local backend", IPPROTO_UDP, LB_VIP_PORT, true, 1, true,
	  L4_WHOLE, TO_POD, SLUICE_VERDICT_NET_TO_POD },
	{ "TCP SYN to an external frontend, backend on another node", IPPROTO_TCP, LB_VIP_PORT,
	  true, 1, false, L4_WHOLE, TO_STACK_XLATED, SLUICE_VERDICT_NET_PASS },
	{ "TCP SYN to an internal-only frontend", IPPROTO_TCP, LB_VIP_PORT, false, 1, true,
	  L4_WHOLE, UNTOUCHED, SLUICE_VERDICT_NET_PASS },
	{ "TCP SYN to a port without frontend", IPPROTO_TCP, OTHER_PORT, true, 1, true, L4_WHOLE,
	  UNTOUCHED, SLUICE_VERDICT_NET_PASS },
	{ "ICMP echo to the load-balancer IP", IPPROTO_ICMP, 0, true, 1, true, L4_WHOLE,
	  UNTOUCHED, SLUICE_VERDICT_NET_PASS },
	/* No ICMP error out of a node device: the host stack answers for itself. */
	{ "TCP SYN to an external frontend without backends", IPPROTO_TCP, LB_VIP_PORT, true, 0,
	  true, L4_WHOLE, UNTOUCHED, SLUICE_VERDICT_NET_PASS },
	/* What sluice cannot parse from outside is the stack's to judge. */
	{ "TCP header cut to 10 bytes", IPPROTO_TCP, LB_VIP_PORT, true, 1, true, TCP_CUT_HALF,
	  UNTOUCHED, SLUICE_VERDICT_NET_PASS },
};

/*
 * EXT_IP:LB_VIP_PORT/proto: for pods, the internal twin to backend 2; if
 * ext, for outside clients, LB_SVC_ID with ext_count backends, backend 1 in
 * its table. Backend 2 is a local pod, backend 1 if be_local.
 */
static void add_lb_ip(__u8 proto, bool ext, __u16 ext_count, bool be_local)
{
	struct sluice_svc_value int_v = { .id = INT_SVC_ID, .count = 1 };
	struct sluice_svc_value ext_v = { .id = LB_SVC_ID, .count = ext_count };

	lb_add_backend(LB_BE2_ID, LB_BE2_ADDR, LB_BE_PORT, proto, INT_SVC_ID);
	lb_fill_table(INT_SVC_ID, LB_BE2_ID);
	lb_add_frontend(EXT_IP, LB_VIP_PORT, proto, SLUICE_SCOPE_INTERNAL, &int_v);
	fx_add_endpoint(LB_BE2_ADDR, &lb_be2_ep);
	if (ext) {
		lb_add_backend(LB_BE1_ID, LB_BE1_ADDR, LB_BE_PORT, proto, LB_SVC_ID);
		lb_fill_table(LB_SVC_ID, LB_BE1_ID);
		lb_add_frontend(EXT_IP, LB_VIP_PORT, proto, SLUICE_SCOPE_EXTERNAL, &ext_v);
	}
	if (be_local)
		fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
}

/* A frame from EXT_CLIENT:FX_SPORT to EXT_IP:dport, as the router sends it to the node. */
static struct pkt_ipv4 outside_frame(__u8 proto, __u16 dport)
{
	struct pkt_ipv4 spec = fx_flow(proto);

	spec.saddr = htonl(EXT_CLIENT);
	spec.daddr = htonl(EXT_IP);
	spec.dport = dport;
	memcpy(spec.src_mac, router_mac, ETH_ALEN);
	memcpy(spec.dst_mac, node_mac, ETH_ALEN);
	return spec;
}

/*
 * The CT entries of an outside client's new flow to backend 1, wherever
 * that backend is: no policy of this node stands in its way.
 */
static void expect_external_flow(const struct pkt_ipv4 *spec, __u64 t0, __u64 t1,
				 const char *desc)
{
	struct pkt_ipv4 reply = lb_reply_frame(spec->protocol, LB_BE1_ADDR, EXT_CLIENT,
					       spec->sport, 0, &lb_be1_ep);
	struct pkt_ipv4 xlated = lb_dnat(spec, LB_BE1_ADDR, LB_BE_PORT);
	struct lb_tuple fwd_tuple = lb_tuple_of(spec), reply_tuple = lb_tuple_of(&reply);
	struct lb_tuple xlated_tuple = lb_tuple_of(&xlated);
	__u32 timeout = spec->protocol == IPPROTO_TCP ? SLUICE_CT_TCP_SYN_S : SLUICE_CT_UDP_S;
	struct sluice_ct4_value fwd = { .svc_id = LB_SVC_ID, .backend_id = LB_BE1_ID };
	struct sluice_ct4_value plain = { 0 };
	/* Replies go back to a client outside the node: routed, not delivered. */
	struct sluice_ct4_value rev = {
		.svc_id = LB_SVC_ID,
		.backend_id = LB_BE1_ID,
		.nat_addr = htonl(EXT_IP),
		.nat_port = htons(LB_VIP_PORT),
		.client_addr = htonl(EXT_CLIENT),
		.flags = SLUICE_CT_F_NAT | SLUICE_CT_F_EXTERNAL,
	};

	lb_expect_ct(&fwd_tuple, SLUICE_CT_SERVICE, &fwd, timeout, t0, t1, desc);
	lb_expect_ct(&xlated_tuple, SLUICE_CT_FORWARD, &plain, timeout, t0, t1, desc);
	lb_expect_ct(&reply_tuple, SLUICE_CT_REPLY, &rev, timeout, t0, t1, desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);
}

ParameterizedTestParameters(tc_from_net, service)
{
	static size_t idx[ARRAY_SIZE(net_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, tc_from_net, service, .init = lb_node_setup,
		  .fini = lb_node_teardown)
{
	const struct net_case *c = &net_cases[*i];
	struct pkt_ipv4 spec = outside_frame(c->proto, c->dport), want;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u64 t0, t1;
	__u32 len;

	add_lb_ip(c->proto, c->ext_frontend, c->ext_count, c->be_local);
	len = fx_build(&spec, in, c->desc);
	if (c->l4_keep != L4_WHOLE)
		len = pkt_cut_l4(in, c->l4_keep);
	t0 = lb_now_ns();
	fx_run(lb_node_skel->progs.tc_from_net, in, len, &res, c->desc);
	t1 = lb_now_ns();
	fx_expect_counted(res.delta, c->verdict, len, c->desc);
	if (c->outcome == UNTOUCHED) {
		fx_expect_untouched(&res, in, len, TC_ACT_OK, c->desc);
		lb_expect_ct_count(0, c->desc);
		return;
	}
	want = lb_dnat(&spec, LB_BE1_ADDR, LB_BE_PORT);
	lb_expect_translated(&res, &want, c->outcome == TO_POD ? &lb_be1_ep : NULL, c->desc);
	expect_external_flow(&spec, t0, t1, c->desc);
}

static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };

ParameterizedTestParameters(tc_from_net, reply_routed)
{
	static size_t idx[ARRAY_SIZE(protos)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

/*
 * The backend's reply to an outside client, through tc_from_pod: from the
 * load-balancer IP again, and, the client being no local pod, routed by a
 * FIB lookup. Under BPF_PROG_TEST_RUN the skb has no ingress device
 * (ingress_ifindex 0; fx_run() sets only the device it came in on), so
 * bpf_fib_lookup() fails whatever the routes, as it would with no route to
 * the client: fib4_forward() leaves the packet to the stack (TC_ACT_OK, TTL
 * and MACs as they came). The test's private namespace, without routes,
 * keeps it so should test_run ever fill in a device. With a route, the
 * TTL would drop by one and bpf_redirect_neigh() send the frame out of the
 * route's device (TC_ACT_REDIRECT), MACs filled in by the neighbour table.
 */
ParameterizedTest(size_t *i, tc_from_net, reply_routed, .init = lb_node_setup,
		  .fini = lb_node_teardown)
{
	__u8 proto = protos[*i];
	const char *name = proto == IPPROTO_TCP ? "TCP" : "UDP";
	struct pkt_ipv4 spec = outside_frame(proto, LB_VIP_PORT), want;
	struct pkt_ipv4 reply = lb_reply_frame(proto, LB_BE1_ADDR, EXT_CLIENT, FX_SPORT,
					       PKT_TCP_SYN | PKT_TCP_ACK, &lb_be1_ep);
	struct lb_tuple reply_tuple = lb_tuple_of(&reply);
	struct sluice_ct4_value rev = {
		.svc_id = LB_SVC_ID,
		.backend_id = LB_BE1_ID,
		.nat_addr = htonl(EXT_IP),
		.nat_port = htons(LB_VIP_PORT),
		.client_addr = htonl(EXT_CLIENT),
		.flags = SLUICE_CT_F_NAT | SLUICE_CT_F_EXTERNAL,
	};
	__u32 timeout = SLUICE_CT_UDP_S, len;
	char desc[DESC_LEN];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u64 t0, t1;

	add_lb_ip(proto, true, 1, true);
	snprintf(desc, sizeof(desc), "%s: outside client to the load-balancer IP", name);
	len = lb_run(lb_node_skel->progs.tc_from_net, &spec, in, &res, desc);
	want = lb_dnat(&spec, LB_BE1_ADDR, LB_BE_PORT);
	lb_expect_translated(&res, &want, &lb_be1_ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_NET_TO_POD, len, desc);

	/* fx_setup() put the test in a private namespace: no routes there. */
	snprintf(desc, sizeof(desc), "%s: backend's reply", name);
	t0 = lb_now_ns();
	len = lb_send(&reply, in, &res, desc);
	t1 = lb_now_ns();
	want = lb_snat(&reply, EXT_IP, LB_VIP_PORT);
	lb_expect_translated(&res, &want, NULL, desc);
	/* The lookup found no route, so the stack has it: counted as passed, not routed. */
	fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, desc);
	/* A SYN-ACK is more than a lone SYN: the reply direction is established. */
	if (proto == IPPROTO_TCP) {
		rev.flags |= SLUICE_CT_F_ESTABLISHED;
		timeout = SLUICE_CT_TCP_ESTABLISHED_S;
	}
	lb_expect_ct(&reply_tuple, SLUICE_CT_REPLY, &rev, timeout, t0, t1, desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);
}
