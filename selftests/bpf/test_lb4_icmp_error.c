// SPDX-License-Identifier: Apache-2.0
/*
 * ICMP errors about a service flow: the client sent to the service, the
 * backend got the translated packet, and an error about it comes back. The
 * client must get it as if the service had sent it: the quoted packet as
 * the client sent it (service address and port; its IP and UDP checksums as
 * the client computed them), from the service address when the backend
 * sent it, with a valid ICMP checksum, so that its stack finds the socket.
 * The error may come from the local backend pod (tc_from_pod), from another
 * node (tc_from_net) or from this node's stack (tc_to_pod). Errors about
 * other flows, and quotes sluice does not translate, pass untouched.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* A router between the nodes (10.0.0.254) and this node's own address (10.0.0.1). */
#define ROUTER_ADDR 0x0a0000fe
#define NODE_ADDR 0x0a000001
/* TTL of an error as Linux sends it. */
#define ERR_TTL 64
/* Quoted bytes of the L4 header too few for ports and the UDP checksum. */
#define QUOTE_L4_CUT 2

enum sender {
	FROM_BACKEND_POD,	/* a local backend, through tc_from_pod */
	FROM_OTHER_NODE,	/* a remote backend or a router, through tc_from_net */
	FROM_NODE_STACK,	/* this node's stack, through tc_to_pod */
};

struct icmp_case {
	const char *desc;
	__u8 proto;
	__u8 type;
	__u8 code;
	enum sender sender;
	__u32 err_src;		/* host order; the backend's: the backend sent it */
	bool udp_no_csum;
	bool hairpin;		/* the client pod is the service's backend */
	__u8 err_ihl;		/* the error's own IP header length */
};

static const struct icmp_case cases[] = {
	{ "UDP port unreachable from a local backend", IPPROTO_UDP, ICMP_DEST_UNREACH,
	  ICMP_PORT_UNREACH, FROM_BACKEND_POD, LB_BE1_ADDR, false, false, PKT_IHL_MIN },
	{ "UDP with checksum 0, port unreachable from a local backend", IPPROTO_UDP,
	  ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, FROM_BACKEND_POD, LB_BE1_ADDR, true, false,
	  PKT_IHL_MIN },
	{ "TCP, fragmentation needed, from a local backend", IPPROTO_TCP, ICMP_DEST_UNREACH,
	  ICMP_FRAG_NEEDED, FROM_BACKEND_POD, LB_BE1_ADDR, false, false, PKT_IHL_MIN },
	{ "UDP port unreachable, hairpin", IPPROTO_UDP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH,
	  FROM_BACKEND_POD, FX_SRC_ADDR, false, true, PKT_IHL_MIN },
	{ "UDP port unreachable from a remote backend", IPPROTO_UDP, ICMP_DEST_UNREACH,
	  ICMP_PORT_UNREACH, FROM_OTHER_NODE, LB_BE1_ADDR, false, false, PKT_IHL_MIN },
	{ "TCP, time exceeded at a router", IPPROTO_TCP, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL,
	  FROM_OTHER_NODE, ROUTER_ADDR, false, false, PKT_IHL_MIN },
	{ "UDP, parameter problem at a router", IPPROTO_UDP, ICMP_PARAMETERPROB, 0,
	  FROM_OTHER_NODE, ROUTER_ADDR, false, false, PKT_IHL_MIN },
	{ "TCP, fragmentation needed, from this node's stack", IPPROTO_TCP, ICMP_DEST_UNREACH,
	  ICMP_FRAG_NEEDED, FROM_NODE_STACK, NODE_ADDR, false, false, PKT_IHL_MIN },
	/* The quote sits further in: an error with options of its own, up to the most there are. */
	{ "UDP port unreachable with an IP option", IPPROTO_UDP, ICMP_DEST_UNREACH,
	  ICMP_PORT_UNREACH, FROM_BACKEND_POD, LB_BE1_ADDR, false, false, PKT_IHL_ONE_OPTION },
	{ "UDP port unreachable with 40 bytes of IP options", IPPROTO_UDP, ICMP_DEST_UNREACH,
	  ICMP_PORT_UNREACH, FROM_OTHER_NODE, LB_BE1_ADDR, false, false, PKT_IHL_MAX },
};

static struct bpf_program *prog_of(enum sender s)
{
	switch (s) {
	case FROM_BACKEND_POD:
		return fx_skel->progs.tc_from_pod;
	case FROM_OTHER_NODE:
		return lb_node_skel->progs.tc_from_net;
	case FROM_NODE_STACK:
		break;
	}
	return fx_skel->progs.tc_to_pod;
}

/* The error's outer header: from src (host order) to the client's address dst. */
static struct pkt_ipv4 error_outer(__u32 src, __u32 dst, bool from_pod, __u8 ihl)
{
	struct pkt_ipv4 o = fx_flow(IPPROTO_ICMP);

	o.ihl = ihl;
	o.saddr = htonl(src);
	o.daddr = htonl(dst);
	o.ttl = ERR_TTL;
	/* A local backend sends with its own MACs, or tc_from_pod drops it as spoofed. */
	if (from_pod) {
		const struct sluice_endpoint_info *ep = src == FX_SRC_ADDR ? &fx_src_ep :
									     &lb_be1_ep;

		memcpy(o.src_mac, ep->pod_mac, ETH_ALEN);
		memcpy(o.dst_mac, ep->host_mac, ETH_ALEN);
	}
	return o;
}

ParameterizedTestParameters(lb4, icmp_error)
{
	static size_t idx[ARRAY_SIZE(cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, icmp_error, .init = lb_node_setup, .fini = lb_node_teardown)
{
	const struct icmp_case *c = &cases[*i];
	__u32 be_addr = c->hairpin ? FX_SRC_ADDR : LB_BE1_ADDR;
	/* Where the backend saw the client's packet come from. */
	__u32 seen_from = c->hairpin ? LB_HAIRPIN_ADDR : FX_SRC_ADDR;
	struct pkt_ipv4 spec = lb_client_frame(c->proto, FX_SPORT, PKT_TCP_SYN), got, sent, outer;
	__u8 in[PKT_MAX], want[PKT_MAX];
	char desc[DESC_LEN];
	struct fx_result res;
	__u32 len, out_src;

	spec.udp_no_csum = c->udp_no_csum;
	lb_add_service(c->proto, be_addr);
	if (c->sender == FROM_BACKEND_POD && !c->hairpin)
		fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	snprintf(desc, sizeof(desc), "%s: the client's packet", c->desc);
	lb_send(&spec, in, &res, desc);

	/* The packet the backend got, one hop on; the client's own, one hop on. */
	got = lb_dnat(&spec, be_addr, LB_BE_PORT);
	got = lb_snat(&got, seen_from, FX_SPORT);
	got.ttl = FX_TTL - 1;
	sent = spec;
	sent.ttl = FX_TTL - 1;

	snprintf(desc, sizeof(desc), "%s: the error", c->desc);
	outer = error_outer(c->err_src, seen_from, c->sender == FROM_BACKEND_POD, c->err_ihl);
	len = lb_icmp_error(&outer, c->type, c->code, &got, PKT_ICMP_QUOTE_L4, in, desc);
	fx_run(prog_of(c->sender), in, len, &res, desc);

	/* What the client must get: the service in the quote and, from the backend, as sender. */
	out_src = c->err_src == be_addr ? LB_VIP : c->err_src;
	outer = error_outer(out_src, FX_SRC_ADDR, false, c->err_ihl);
	lb_icmp_error(&outer, c->type, c->code, &sent, PKT_ICMP_QUOTE_L4, want, desc);
	if (c->sender == FROM_NODE_STACK) {
		cr_assert_eq(res.retval, TC_ACT_OK, "%s: passed to the pod, got %u", desc,
			     res.retval);
		fx_expect_counted(res.delta, SLUICE_VERDICT_TO_POD_STACK, len, desc);
	} else {
		cr_assert_eq(res.retval, TC_ACT_REDIRECT, "%s: delivered, got %u", desc,
			     res.retval);
		enum sluice_verdict v = c->sender == FROM_BACKEND_POD ?
					SLUICE_VERDICT_REDIRECT_LOCAL : SLUICE_VERDICT_NET_TO_POD;

		fx_expect_counted(res.delta, v, len, desc);
	}
	cr_assert_eq(res.out_len, len, "%s: length %u, want %u", desc, res.out_len, len);
	cr_assert_eq(ntohl(pkt_iph(res.out)->saddr), out_src, "%s: from " LB_IP_FMT, desc,
		     LB_IP_ARGS(ntohl(pkt_iph(res.out)->saddr)));
	cr_assert_eq(ntohl(pkt_iph(res.out)->daddr), FX_SRC_ADDR, "%s: to " LB_IP_FMT, desc,
		     LB_IP_ARGS(ntohl(pkt_iph(res.out)->daddr)));
	/* Header and quote byte for byte: the quote's checksums are the client's own. */
	lb_expect_icmp_message(&res, want, desc);
	/* Part of the flow: no entries of its own. */
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);
}

/*
 * An error about a flow between two pods, untranslated: part of that flow,
 * it passes as it is, without a policy decision or conntrack entries of
 * its own.
 */
Test(lb4, icmp_error_about_a_direct_flow, .init = fx_setup, .fini = fx_teardown)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP), got, outer;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	lb_send(&spec, in, &res, "the client's packet");
	lb_expect_ct_count(LB_FLOW_ENTRIES, "the client's packet");
	got = spec;
	got.ttl = FX_TTL - 1;
	outer = error_outer(FX_DST_ADDR, FX_SRC_ADDR, false, PKT_IHL_MIN);
	memcpy(outer.src_mac, fx_dst_ep.pod_mac, ETH_ALEN);
	memcpy(outer.dst_mac, fx_dst_ep.host_mac, ETH_ALEN);
	len = lb_icmp_error(&outer, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, &got, PKT_ICMP_QUOTE_L4,
			    in, "the error");
	fx_run(fx_skel->progs.tc_from_pod, in, len, &res, "the error");
	fx_expect_delivered(&res, in, len, &fx_src_ep, "the error");
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, "the error");
	lb_expect_ct_count(LB_FLOW_ENTRIES, "the error");
}

/* Errors sluice leaves alone: the ICMP message must reach the client as it was sent. */
struct pass_case {
	const char *desc;
	__u8 proto;		/* the quoted packet's */
	bool tracked;		/* the quoted flow went through the service */
	__u8 quote_ihl;		/* the quoted packet's header length */
	size_t l4_quoted;	/* and how much of its L4 header is quoted */
};

static const struct pass_case pass_cases[] = {
	{ "about a flow that is not a service's", IPPROTO_UDP, false, PKT_IHL_MIN,
	  PKT_ICMP_QUOTE_L4 },
	{ "quoting a header with IP options", IPPROTO_UDP, true, PKT_IHL_ONE_OPTION,
	  PKT_ICMP_QUOTE_L4 },
	{ "quoting too little of the UDP header", IPPROTO_UDP, true, PKT_IHL_MIN, QUOTE_L4_CUT },
	{ "quoting a ping, which has no ports", IPPROTO_ICMP, false, PKT_IHL_MIN,
	  PKT_ICMP_QUOTE_L4 },
};

ParameterizedTestParameters(lb4, icmp_error_left_alone)
{
	static size_t idx[ARRAY_SIZE(pass_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, icmp_error_left_alone, .init = fx_setup, .fini = fx_teardown)
{
	const struct pass_case *c = &pass_cases[*i];
	struct pkt_ipv4 spec = lb_client_frame(c->proto, FX_SPORT, 0), got, outer;
	__u8 in[PKT_MAX];
	char desc[DESC_LEN];
	struct fx_result res;
	__u32 len;

	spec.ihl = c->quote_ihl;
	lb_add_service(IPPROTO_UDP, LB_BE1_ADDR);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	snprintf(desc, sizeof(desc), "error %s: the client's packet", c->desc);
	if (c->tracked)
		lb_send(&spec, in, &res, desc);
	got = lb_dnat(&spec, LB_BE1_ADDR, LB_BE_PORT);

	snprintf(desc, sizeof(desc), "error %s", c->desc);
	outer = error_outer(LB_BE1_ADDR, FX_SRC_ADDR, true, PKT_IHL_MIN);
	len = lb_icmp_error(&outer, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, &got, c->l4_quoted, in,
			    desc);
	fx_run(fx_skel->progs.tc_from_pod, in, len, &res, desc);
	fx_expect_delivered(&res, in, len, &fx_src_ep, desc);
}
