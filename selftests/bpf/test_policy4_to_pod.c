// SPDX-License-Identifier: Apache-2.0
/*
 * tc_to_pod, on the host side of a pod's veth, egress: what the host stack
 * sends into the pod. A reply of a flow the pod started passes; a new flow
 * (from the node itself, or routed through it) meets the pod's ingress
 * table, by the source's identity from the ipcache: host (1) for the
 * node's own addresses, world (2) for addresses without an entry. What
 * sluice cannot parse, or what is for no endpoint, is the stack's to judge
 * and passes.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "policy_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* The port the cases' tables open, and one they do not. */
#define PORT_OPEN FX_DPORT
#define PORT_SHUT (FX_DPORT + 1)
/* L4 bytes kept of a truncated TCP header. */
#define TCP_CUT_HALF 10
/* A client port of a peer outside the pod, for flows it starts. */
#define PEER_SPORT 50000

enum frame_kind {
	FRAME_IPV4,
	FRAME_IPV4_CUT,	/* TCP header cut short */
	FRAME_ARP,
	FRAME_IPV6,
};

enum outcome {
	PASSED_TRACKED,		/* a new flow, allowed: TC_ACT_OK and its entries made */
	PASSED_UNJUDGED,	/* nothing sluice judges: TC_ACT_OK, nothing tracked */
	DENIED,			/* by the pod's ingress table */
};

#define OPEN PF_OPEN
#define DENY_ALL PF_DENY_ALL
#define RULES(...) PF_RULES(__VA_ARGS__)
#define TCP IPPROTO_TCP
#define ICMP IPPROTO_ICMP
#define HOST SLUICE_IDENTITY_HOST
#define WORLD SLUICE_IDENTITY_WORLD

struct to_pod_case {
	const char *desc;
	enum frame_kind kind;
	__u32 saddr;			/* host order */
	__u32 src_id;			/* its identity, for the drop event */
	__u32 daddr;
	__u8 proto;
	__u16 dport;
	struct pf_table ingress;	/* the destination pod's */
	enum outcome outcome;
};

static const struct to_pod_case to_pod_cases[] = {
	{ "the node, allowed by a host entry", FRAME_IPV4, PF_NODE_ADDR, HOST, FX_DST_ADDR, TCP,
	  PORT_OPEN, RULES(PF_PORT(HOST, TCP, PORT_OPEN)), PASSED_TRACKED },
	{ "the node's ICMP, every protocol of host allowed", FRAME_IPV4, PF_NODE_ADDR, HOST,
	  FX_DST_ADDR, ICMP, 0, RULES(PF_ALL_PROTOS(HOST)), PASSED_TRACKED },
	{ "the node, on a port its entry does not open", FRAME_IPV4, PF_NODE_ADDR, HOST,
	  FX_DST_ADDR, TCP, PORT_SHUT, RULES(PF_PORT(HOST, TCP, PORT_OPEN)), DENIED },
	{ "a world source, host allowed", FRAME_IPV4, PF_WORLD_ADDR, WORLD, FX_DST_ADDR, TCP,
	  PORT_OPEN, RULES(PF_PORT(HOST, TCP, PORT_OPEN)), DENIED },
	{ "a world source, world allowed", FRAME_IPV4, PF_WORLD_ADDR, WORLD, FX_DST_ADDR, TCP,
	  PORT_OPEN, RULES(PF_PORT(WORLD, TCP, PORT_OPEN)), PASSED_TRACKED },
	{ "a source in a CIDR, the CIDR allowed", FRAME_IPV4, PF_CIDR_ADDR, PF_CIDR_ID,
	  FX_DST_ADDR, TCP, PORT_OPEN, RULES(PF_PORT(PF_CIDR_ID, TCP, PORT_OPEN)),
	  PASSED_TRACKED },
	{ "a pod routed through the node, allowed by its identity", FRAME_IPV4, FX_SRC_ADDR,
	  PF_SRC_ID, FX_DST_ADDR, TCP, PORT_OPEN, RULES(PF_PORT(PF_SRC_ID, TCP, PORT_OPEN)),
	  PASSED_TRACKED },
	{ "a world source, the pod without ingress table", FRAME_IPV4, PF_WORLD_ADDR, WORLD,
	  FX_DST_ADDR, TCP, PORT_OPEN, OPEN, PASSED_TRACKED },
	{ "a world source, the pod allowing nothing", FRAME_IPV4, PF_WORLD_ADDR, WORLD,
	  FX_DST_ADDR, TCP, PORT_OPEN, DENY_ALL, DENIED },
	{ "for no endpoint", FRAME_IPV4, PF_WORLD_ADDR, WORLD, FX_REMOTE_ADDR, TCP, PORT_OPEN,
	  DENY_ALL, PASSED_UNJUDGED },
	{ "TCP header cut to 10 bytes", FRAME_IPV4_CUT, PF_WORLD_ADDR, WORLD, FX_DST_ADDR, TCP,
	  PORT_OPEN, DENY_ALL, PASSED_UNJUDGED },
	{ "ARP request", FRAME_ARP, 0, 0, 0, 0, 0, DENY_ALL, PASSED_UNJUDGED },
	{ "IPv6", FRAME_IPV6, 0, 0, 0, 0, 0, DENY_ALL, PASSED_UNJUDGED },
};

/* A frame of c from the host side of the destination pod's veth, into the pod. */
static struct pkt_ipv4 case_frame(const struct to_pod_case *c)
{
	struct pkt_ipv4 spec = pf_flow(c->proto, c->daddr, c->dport);

	spec.saddr = htonl(c->saddr);
	memcpy(spec.src_mac, fx_dst_ep.host_mac, ETH_ALEN);
	memcpy(spec.dst_mac, fx_dst_ep.pod_mac, ETH_ALEN);
	return spec;
}

static __u32 build(const struct to_pod_case *c, const struct pkt_ipv4 *spec, __u8 *buf)
{
	int len;

	switch (c->kind) {
	case FRAME_IPV4:
		return fx_build(spec, buf, c->desc);
	case FRAME_IPV4_CUT:
		fx_build(spec, buf, c->desc);
		return pkt_cut_l4(buf, TCP_CUT_HALF);
	case FRAME_ARP:
		len = pkt_build_arp(buf, PKT_MAX);
		break;
	case FRAME_IPV6:
		len = pkt_build_ipv6(buf, PKT_MAX);
		break;
	default:
		len = -1;
	}
	cr_assert_gt(len, 0, "%s: build the input frame", c->desc);
	return len;
}

ParameterizedTestParameters(policy4, to_pod)
{
	static size_t idx[ARRAY_SIZE(to_pod_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, policy4, to_pod, .init = pf_setup, .fini = pf_teardown)
{
	const struct to_pod_case *c = &to_pod_cases[*i];
	struct pkt_ipv4 spec = case_frame(c);
	struct sluice_event want = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_POLICY_INGRESS,
					    SLUICE_DIR_INGRESS, &spec, c->src_id, PF_DST_ID,
					    FX_DST_IFINDEX, SLUICE_POLICY_ID_NONE);
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	pf_set_table(SLUICE_DIR_INGRESS, FX_DST_ADDR, &c->ingress);
	len = build(c, &spec, in);
	when.t0 = lb_now_ns();
	fx_run(fx_skel->progs.tc_to_pod, in, len, &res, c->desc);
	when.t1 = lb_now_ns();

	switch (c->outcome) {
	case DENIED:
		fx_expect_untouched(&res, in, len, TC_ACT_SHOT, c->desc);
		pf_expect_drop(&res, len, &want, FX_DST_ADDR, &when, c->desc);
		pf_expect_drop_keys(1, c->desc);
		lb_expect_ct_count(0, c->desc);
		return;
	case PASSED_TRACKED:
		pf_expect_new_flow(&spec, &when, c->desc);
		lb_expect_ct_count(LB_FLOW_ENTRIES, c->desc);
		break;
	case PASSED_UNJUDGED:
		lb_expect_ct_count(0, c->desc);
		break;
	}
	fx_expect_untouched(&res, in, len, TC_ACT_OK, c->desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_TO_POD_STACK, len, c->desc);
	pf_expect_no_drop(c->desc);
}

/* Runs tc_to_pod on spec and checks it passed untouched, with nothing dropped. */
static void expect_to_pod_passed(const struct pkt_ipv4 *spec, struct pf_when *when,
				 const char *desc)
{
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = pf_run(fx_skel->progs.tc_to_pod, spec, in, &res, when, desc);

	fx_expect_untouched(&res, in, len, TC_ACT_OK, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_TO_POD_STACK, len, desc);
	pf_expect_no_drop(desc);
}

static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : "ICMP";
}

ParameterizedTestParameters(policy4, to_pod_reply)
{
	static size_t idx[ARRAY_SIZE(protos)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

/*
 * The source pod's flow out of the cluster, allowed by its egress table;
 * its ingress table allows nothing, yet the reply, which comes back
 * through the host stack, passes.
 */
ParameterizedTest(size_t *i, policy4, to_pod_reply, .init = pf_setup, .fini = pf_teardown)
{
	static const struct pm_rule to_world[] = { PF_ALL_PROTOS(WORLD) };
	__u8 proto = protos[*i];
	struct pkt_ipv4 out = pf_flow(proto, PF_WORLD_ADDR, FX_DPORT), ctl;
	struct pkt_ipv4 reply = pf_reverse(&out, PKT_TCP_SYN | PKT_TCP_ACK, NULL);
	struct lb_tuple r = pf_tuple(&reply);
	struct sluice_ct4_value est = { .flags = proto == IPPROTO_TCP ?
						 SLUICE_CT_F_ESTABLISHED : 0 };
	__u32 est_s = proto == IPPROTO_TCP ? SLUICE_CT_TCP_ESTABLISHED_S : SLUICE_CT_UDP_S;
	struct sluice_event want;
	char desc[DESC_LEN];
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	pm_set_policy(SLUICE_DIR_EGRESS, FX_SRC_ADDR, to_world, ARRAY_SIZE(to_world));
	pm_set_policy(SLUICE_DIR_INGRESS, FX_SRC_ADDR, NULL, 0);

	snprintf(desc, sizeof(desc), "%s: the pod to a world address", proto_name(proto));
	len = pf_run(fx_skel->progs.tc_from_pod, &out, in, &res, &when, desc);
	fx_expect_untouched(&res, in, len, TC_ACT_OK, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, desc);
	pf_expect_new_flow(&out, &when, desc);

	snprintf(desc, sizeof(desc), "%s: the reply, through the host stack", proto_name(proto));
	expect_to_pod_passed(&reply, &when, desc);
	lb_expect_ct(&r, SLUICE_CT_REPLY, &est, est_s, when.t0, when.t1, desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, desc);

	/* The ingress table is in force: a flow the world starts is denied. */
	snprintf(desc, sizeof(desc), "%s: a new flow from the world", proto_name(proto));
	ctl = pf_reverse(&out, PKT_TCP_SYN, NULL);
	ctl.protocol = IPPROTO_TCP;
	ctl.sport = PEER_SPORT;
	ctl.dport = FX_DPORT;
	len = pf_run(fx_skel->progs.tc_to_pod, &ctl, in, &res, &when, desc);
	want = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_POLICY_INGRESS, SLUICE_DIR_INGRESS,
			&ctl, WORLD, PF_SRC_ID, FX_SRC_IFINDEX, SLUICE_POLICY_ID_NONE);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, desc);
	pf_expect_drop(&res, len, &want, FX_SRC_ADDR, &when, desc);
	pf_expect_drop_keys(1, desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, desc);
}

/*
 * The node's flow into the destination pod, allowed by its ingress table;
 * the pod's egress table allows nothing, yet its reply to the node passes.
 */
Test(policy4, from_stack_reply, .init = pf_setup, .fini = pf_teardown)
{
	static const struct pm_rule from_host[] = { PF_PORT(HOST, TCP, FX_DPORT) };
	static const char first_desc[] = "the node to the pod";
	static const char reply_desc[] = "the pod's reply";
	static const char ctl_desc[] = "a new flow from the pod to the node";
	struct pkt_ipv4 first = pf_flow(IPPROTO_TCP, FX_DST_ADDR, FX_DPORT), reply, ctl;
	struct sluice_event want;
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	first.saddr = htonl(PF_NODE_ADDR);
	first.sport = PEER_SPORT;
	memcpy(first.src_mac, fx_dst_ep.host_mac, ETH_ALEN);
	memcpy(first.dst_mac, fx_dst_ep.pod_mac, ETH_ALEN);
	reply = pf_reverse(&first, PKT_TCP_SYN | PKT_TCP_ACK, &fx_dst_ep);
	pm_set_policy(SLUICE_DIR_INGRESS, FX_DST_ADDR, from_host, ARRAY_SIZE(from_host));
	pm_set_policy(SLUICE_DIR_EGRESS, FX_DST_ADDR, NULL, 0);

	expect_to_pod_passed(&first, &when, first_desc);
	pf_expect_new_flow(&first, &when, first_desc);

	/* To the node's address, no endpoint: the stack delivers it. */
	len = pf_run(fx_skel->progs.tc_from_pod, &reply, in, &res, &when, reply_desc);
	fx_expect_untouched(&res, in, len, TC_ACT_OK, reply_desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, reply_desc);
	pf_expect_no_drop(reply_desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, reply_desc);

	/* The egress table is in force: a flow the pod starts to the node is denied. */
	ctl = reply;
	ctl.sport = FX_SPORT;
	ctl.tcp_flags = PKT_TCP_SYN;
	len = pf_run(fx_skel->progs.tc_from_pod, &ctl, in, &res, &when, ctl_desc);
	want = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_POLICY_EGRESS, SLUICE_DIR_EGRESS,
			&ctl, PF_DST_ID, HOST, FX_DST_IFINDEX, SLUICE_POLICY_ID_NONE);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, ctl_desc);
	pf_expect_drop(&res, len, &want, FX_DST_ADDR, &when, ctl_desc);
	pf_expect_drop_keys(1, ctl_desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, ctl_desc);
}
