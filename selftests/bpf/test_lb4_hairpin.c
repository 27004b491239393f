// SPDX-License-Identifier: Apache-2.0
/*
 * A pod reaching itself through a service, through tc_from_pod: it would
 * drop a packet from its own address as a martian, so the request comes to
 * it from 169.254.0.2, and its reply to that address goes back to it from
 * the service. Both are delivered into the same pod. The FORWARD entry is
 * keyed by the flow as the pod receives it, from 169.254.0.2.
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160

struct hairpin_case {
	const char *desc;
	__u8 proto;
	bool udp_no_csum;
};

static const struct hairpin_case hairpin_cases[] = {
	{ "TCP", IPPROTO_TCP, false },
	{ "UDP", IPPROTO_UDP, false },
	{ "UDP with checksum 0", IPPROTO_UDP, true },
};

ParameterizedTestParameters(lb4, hairpin)
{
	static size_t idx[ARRAY_SIZE(hairpin_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, hairpin, .init = fx_setup, .fini = fx_teardown)
{
	const struct hairpin_case *c = &hairpin_cases[*i];
	struct pkt_ipv4 spec = lb_client_frame(c->proto, FX_SPORT, PKT_TCP_SYN), want;
	/* The pod answers the address the request came from. */
	struct pkt_ipv4 reply = lb_reply_frame(c->proto, FX_SRC_ADDR, LB_HAIRPIN_ADDR, FX_SPORT,
					       PKT_TCP_SYN | PKT_TCP_ACK, &fx_src_ep);
	__u32 timeout = c->proto == IPPROTO_TCP ? SLUICE_CT_TCP_SYN_S : SLUICE_CT_UDP_S;
	struct lb_tuple fwd_tuple = lb_tuple_of(&spec), reply_tuple = lb_tuple_of(&reply);
	struct lb_tuple xlated_tuple;
	struct sluice_ct4_value fwd = { .svc_id = LB_SVC_ID, .backend_id = LB_BE1_ID };
	struct sluice_ct4_value plain = { 0 };
	struct sluice_ct4_value rev = {
		.svc_id = LB_SVC_ID,
		.backend_id = LB_BE1_ID,
		.nat_addr = htonl(LB_VIP),
		.nat_port = htons(LB_VIP_PORT),
		.client_addr = htonl(FX_SRC_ADDR),
		.flags = SLUICE_CT_F_NAT | SLUICE_CT_F_HAIRPIN,
	};
	char desc[DESC_LEN];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u64 t0, t1;
	__u32 len;

	spec.udp_no_csum = c->udp_no_csum;
	reply.udp_no_csum = c->udp_no_csum;
	/* The client pod is the service's only backend. */
	lb_add_service(c->proto, FX_SRC_ADDR);

	snprintf(desc, sizeof(desc), "%s: pod to its own service", c->desc);
	t0 = lb_now_ns();
	len = lb_send(&spec, in, &res, desc);
	t1 = lb_now_ns();
	want = lb_dnat(&spec, FX_SRC_ADDR, LB_BE_PORT);
	want = lb_snat(&want, LB_HAIRPIN_ADDR, FX_SPORT);
	lb_expect_translated(&res, &want, &fx_src_ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, desc);
	xlated_tuple = lb_tuple_of(&want);
	lb_expect_ct(&fwd_tuple, SLUICE_CT_SERVICE, &fwd, timeout, t0, t1, desc);
	lb_expect_ct(&xlated_tuple, SLUICE_CT_FORWARD, &plain, timeout, t0, t1, desc);
	lb_expect_ct(&reply_tuple, SLUICE_CT_REPLY, &rev, timeout, t0, t1, desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);

	snprintf(desc, sizeof(desc), "%s: pod's reply to %s", c->desc, SLUICE_HAIRPIN_IPV4);
	len = lb_send(&reply, in, &res, desc);
	want = lb_snat(&reply, LB_VIP, LB_VIP_PORT);
	want = lb_dnat(&want, FX_SRC_ADDR, FX_SPORT);
	lb_expect_translated(&res, &want, &fx_src_ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);
}
