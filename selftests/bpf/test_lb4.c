// SPDX-License-Identifier: Apache-2.0
/*
 * A new flow to a service and its first reply, through tc_from_pod: the
 * client's packet goes to the backend with both checksums right, the flow
 * is tracked by three entries (SERVICE naming the backend, FORWARD of the
 * translated flow, REPLY undoing the translation), and the backend's reply
 * comes back from the service address. One table: each protocol and
 * checksum form, each with the backend a local pod (redirected into it) or
 * elsewhere (to the stack). A local backend replies from its pod, through
 * tc_from_pod; a remote one from another node, so its reply comes in on a
 * node device, through tc_from_net: a pod veth would drop a frame from an
 * address not its pod's as spoofed.
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <linux/udp.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* The UDP checksum field as a sender writes a computed 0: all ones (RFC 768). */
#define UDP_CSUM_ZERO_SENT 0xffff
/* Source ports searched for the one whose translated UDP checksum is 0. */
#define SPORT_FIRST 1
#define SPORT_LAST 0xffff

struct xlate_case {
	const char *desc;
	__u8 proto;
	__u8 ihl;
	bool udp_no_csum;	/* the client sends UDP checksum 0 */
	bool csum_zero_after;	/* the client port makes the translated UDP checksum 0 */
	bool local;		/* the backend is a pod on this node */
};

static const struct xlate_case xlate_cases[] = {
	{ "TCP, local backend", IPPROTO_TCP, PKT_IHL_MIN, false, false, true },
	{ "TCP, remote backend", IPPROTO_TCP, PKT_IHL_MIN, false, false, false },
	{ "TCP with IP options, local backend", IPPROTO_TCP, PKT_IHL_ONE_OPTION, false, false,
	  true },
	{ "UDP, local backend", IPPROTO_UDP, PKT_IHL_MIN, false, false, true },
	{ "UDP, remote backend", IPPROTO_UDP, PKT_IHL_MIN, false, false, false },
	{ "UDP with checksum 0, local backend", IPPROTO_UDP, PKT_IHL_MIN, true, false, true },
	{ "UDP with checksum 0, remote backend", IPPROTO_UDP, PKT_IHL_MIN, true, false, false },
	{ "UDP translated to a checksum of 0, local backend", IPPROTO_UDP, PKT_IHL_MIN, false,
	  true, true },
};

/*
 * A client port whose translated datagram sums to 0, sent as 0xffff: the
 * program must not leave 0 there, which would mean "no checksum".
 */
static __u16 sport_for_zero_csum(const struct pkt_ipv4 *spec, const char *desc)
{
	struct pkt_ipv4 want = lb_dnat(spec, LB_BE1_ADDR, LB_BE_PORT);
	__u8 frame[PKT_MAX];
	__u32 sport;

	for (sport = SPORT_FIRST; sport <= SPORT_LAST; sport++) {
		want.sport = sport;
		fx_build(&want, frame, desc);
		if (ntohs(((struct udphdr *)pkt_l4(frame))->check) == UDP_CSUM_ZERO_SENT)
			return sport;
	}
	cr_assert_fail("%s: no client port gives a translated checksum of 0", desc);
	return 0;
}

ParameterizedTestParameters(lb4, translate)
{
	static size_t idx[ARRAY_SIZE(xlate_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, translate, .init = lb_node_setup,
		  .fini = lb_node_teardown)
{
	const struct xlate_case *c = &xlate_cases[*i];
	const struct sluice_endpoint_info *be_ep = c->local ? &lb_be1_ep : NULL;
	struct bpf_program *reply_prog = c->local ? fx_skel->progs.tc_from_pod :
						    lb_node_skel->progs.tc_from_net;
	/* A SYN first; the reply answers it. */
	struct pkt_ipv4 spec = lb_client_frame(c->proto, FX_SPORT, PKT_TCP_SYN), want, reply;
	__u32 timeout = c->proto == IPPROTO_TCP ? SLUICE_CT_TCP_SYN_S : SLUICE_CT_UDP_S;
	struct sluice_ct4_value fwd = { .svc_id = LB_SVC_ID, .backend_id = LB_BE1_ID };
	struct sluice_ct4_value rev = {
		.svc_id = LB_SVC_ID,
		.backend_id = LB_BE1_ID,
		.nat_addr = htonl(LB_VIP),
		.nat_port = htons(LB_VIP_PORT),
		.client_addr = htonl(FX_SRC_ADDR),
		.flags = SLUICE_CT_F_NAT,
	};
	/* The translated flow's own entry: no service, no NAT, only its state. */
	struct sluice_ct4_value plain = { 0 };
	struct lb_tuple fwd_tuple, xlated_tuple, reply_tuple;
	char desc[DESC_LEN];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u64 t0, t1;
	__u32 len;

	spec.ihl = c->ihl;
	spec.udp_no_csum = c->udp_no_csum;
	if (c->csum_zero_after)
		spec.sport = sport_for_zero_csum(&spec, c->desc);
	reply = lb_reply_frame(c->proto, LB_BE1_ADDR, FX_SRC_ADDR, spec.sport,
			       PKT_TCP_SYN | PKT_TCP_ACK, &lb_be1_ep);
	reply.ihl = c->ihl;
	reply.udp_no_csum = c->udp_no_csum;
	fwd_tuple = lb_tuple_of(&spec);
	reply_tuple = lb_tuple_of(&reply);
	lb_add_service(c->proto, LB_BE1_ADDR);
	if (c->local)
		fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);

	snprintf(desc, sizeof(desc), "%s: client to service", c->desc);
	t0 = lb_now_ns();
	len = lb_send(&spec, in, &res, desc);
	t1 = lb_now_ns();
	want = lb_dnat(&spec, LB_BE1_ADDR, LB_BE_PORT);
	lb_expect_translated(&res, &want, be_ep, desc);
	fx_expect_counted(res.delta,
			  c->local ? SLUICE_VERDICT_REDIRECT_LOCAL : SLUICE_VERDICT_PASS_STACK, len,
			  desc);
	xlated_tuple = lb_tuple_of(&want);
	lb_expect_ct(&fwd_tuple, SLUICE_CT_SERVICE, &fwd, timeout, t0, t1, desc);
	lb_expect_ct(&xlated_tuple, SLUICE_CT_FORWARD, &plain, timeout, t0, t1, desc);
	lb_expect_ct(&reply_tuple, SLUICE_CT_REPLY, &rev, timeout, t0, t1, desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);

	snprintf(desc, sizeof(desc), "%s: backend's reply", c->desc);
	t0 = lb_now_ns();
	len = lb_run(reply_prog, &reply, in, &res, desc);
	t1 = lb_now_ns();
	want = lb_snat(&reply, LB_VIP, LB_VIP_PORT);
	lb_expect_translated(&res, &want, &fx_src_ep, desc);
	fx_expect_counted(res.delta,
			  c->local ? SLUICE_VERDICT_REDIRECT_LOCAL : SLUICE_VERDICT_NET_TO_POD, len,
			  desc);
	/* A SYN-ACK is more than a lone SYN: the reply direction is established. */
	if (c->proto == IPPROTO_TCP) {
		rev.flags |= SLUICE_CT_F_ESTABLISHED;
		timeout = SLUICE_CT_TCP_ESTABLISHED_S;
	}
	lb_expect_ct(&reply_tuple, SLUICE_CT_REPLY, &rev, timeout, t0, t1, desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);
}
