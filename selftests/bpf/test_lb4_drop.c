// SPDX-License-Identifier: Apache-2.0
/*
 * Packets to a service that tc_from_pod cannot forward: the frontend's
 * table leads to no backend, or the frame ends inside its TCP or UDP
 * header. Each is dropped untouched, counted under its reason, and leaves
 * no conntrack entry behind.
 */
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* A backend id that is in no map. */
#define BE_GONE_ID 99
/* L4 bytes kept of a truncated TCP header: half of it, and one short. */
#define TCP_CUT_HALF 10
#define TCP_CUT_ONE_SHORT (sizeof(struct tcphdr) - 1)
/* The same for UDP. */
#define UDP_CUT_HALF 4
#define UDP_CUT_ONE_SHORT (sizeof(struct udphdr) - 1)
/* l4_keep of a frame left whole. */
#define L4_WHOLE 0

/* How the service to the frame's destination is set up. */
enum svc_setup {
	SVC_WORKING,		/* one local backend, named by the whole table */
	SVC_BACKEND_GONE,	/* the table names an id not in sluice_backend4 */
	SVC_NO_TABLE,		/* a count of 1, but no table in sluice_maglev */
};

struct drop_case {
	const char *desc;
	__u8 proto;
	__u8 ihl;
	enum svc_setup setup;
	__u32 l4_keep;		/* L4 bytes left in the frame, or L4_WHOLE */
	enum sluice_verdict verdict;
};

static const struct drop_case drop_cases[] = {
	{ "TCP, table names a missing backend", IPPROTO_TCP, PKT_IHL_MIN, SVC_BACKEND_GONE,
	  L4_WHOLE, SLUICE_VERDICT_DROP_NO_BACKEND },
	{ "UDP, table names a missing backend", IPPROTO_UDP, PKT_IHL_MIN, SVC_BACKEND_GONE,
	  L4_WHOLE, SLUICE_VERDICT_DROP_NO_BACKEND },
	{ "TCP, frontend without a table", IPPROTO_TCP, PKT_IHL_MIN, SVC_NO_TABLE, L4_WHOLE,
	  SLUICE_VERDICT_DROP_NO_BACKEND },
	{ "TCP header cut to 10 bytes", IPPROTO_TCP, PKT_IHL_MIN, SVC_WORKING, TCP_CUT_HALF,
	  SLUICE_VERDICT_DROP_MALFORMED },
	{ "TCP header one byte short", IPPROTO_TCP, PKT_IHL_MIN, SVC_WORKING, TCP_CUT_ONE_SHORT,
	  SLUICE_VERDICT_DROP_MALFORMED },
	{ "TCP header one byte short, after IP options", IPPROTO_TCP, PKT_IHL_ONE_OPTION,
	  SVC_WORKING, TCP_CUT_ONE_SHORT, SLUICE_VERDICT_DROP_MALFORMED },
	{ "UDP header cut to 4 bytes", IPPROTO_UDP, PKT_IHL_MIN, SVC_WORKING, UDP_CUT_HALF,
	  SLUICE_VERDICT_DROP_MALFORMED },
	{ "UDP header one byte short", IPPROTO_UDP, PKT_IHL_MIN, SVC_WORKING, UDP_CUT_ONE_SHORT,
	  SLUICE_VERDICT_DROP_MALFORMED },
};

static void setup_service(enum svc_setup setup, __u8 proto)
{
	struct sluice_svc_value v = { .id = LB_SVC_ID, .count = 1 };

	switch (setup) {
	case SVC_WORKING:
		lb_add_service(proto, LB_BE1_ADDR);
		fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
		return;
	case SVC_BACKEND_GONE:
		lb_fill_table(LB_SVC_ID, BE_GONE_ID);
		break;
	case SVC_NO_TABLE:
		break;
	}
	lb_add_frontend(LB_VIP, LB_VIP_PORT, proto, SLUICE_SCOPE_INTERNAL, &v);
}

ParameterizedTestParameters(lb4, drop)
{
	static size_t idx[ARRAY_SIZE(drop_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, drop, .init = fx_setup, .fini = fx_teardown)
{
	const struct drop_case *c = &drop_cases[*i];
	struct pkt_ipv4 spec = lb_client_frame(c->proto, FX_SPORT, PKT_TCP_SYN);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	spec.ihl = c->ihl;
	setup_service(c->setup, c->proto);
	len = fx_build(&spec, in, c->desc);
	if (c->l4_keep != L4_WHOLE)
		len = pkt_cut_l4(in, c->l4_keep);
	fx_run(fx_skel->progs.tc_from_pod, in, len, &res, c->desc);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, c->desc);
	fx_expect_counted(res.delta, c->verdict, len, c->desc);
	lb_expect_ct_count(0, c->desc);
}

/* Ethernet pads a short frame: the L4 header must fit the IP datagram, not the frame. */
Test(lb4, padded_short_tcp, .init = fx_setup, .fini = fx_teardown)
{
	static const char desc[] = "TCP header cut to 10 bytes, padded to 60";
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	lb_add_service(IPPROTO_TCP, LB_BE1_ADDR);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	fx_build(&spec, in, desc);
	len = pkt_cut_l4(in, 10);
	memset(in + len, 0xa5, ETH_ZLEN - len);
	fx_run(fx_skel->progs.tc_from_pod, in, ETH_ZLEN, &res, desc);
	fx_expect_untouched(&res, in, ETH_ZLEN, TC_ACT_SHOT, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_DROP_MALFORMED, ETH_ZLEN, desc);
	lb_expect_ct_count(0, desc);
}
