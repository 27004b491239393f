// SPDX-License-Identifier: Apache-2.0
/*
 * Verdict events in sluice_events, for `sluice monitor`: every policy drop
 * sends a DROP event; a new flow let through sends an ALLOW event only
 * while a monitor asks for them (sluice_monitor slot 0, allow_events not
 * 0): with reason SLUICE_ALLOW_POLICY and the policy of the entry that
 * matched, or SLUICE_ALLOW_OPEN when no policy isolates either end. A
 * flow's later packets and replies send none. One table: the monitor
 * switch, the tables, and the one event (or none) that the source pod's
 * first packet to the destination pod sends.
 */
#include <stdio.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "policy_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* Monitors asking for ALLOW events: none, one, two. */
#define NO_MONITOR 0
#define ONE_MONITOR 1
#define TWO_MONITORS 2
/* Policy ids of the cases' entries, each its own so that the event shows which matched. */
#define EGRESS_POLICY 21
#define INGRESS_POLICY 22
#define PORT_POLICY 23
#define WIDE_POLICY 24

#define OPEN PF_OPEN
#define DENY_ALL PF_DENY_ALL
#define RULES(...) PF_RULES(__VA_ARGS__)
#define TCP IPPROTO_TCP
/* A rule for the test flow's port with its own policy id. */
#define PORT_RULE(id, port, policy) { (id), TCP, (port), (port), (policy) }

enum want_event {
	NONE,
	DROP_EGRESS,
	DROP_INGRESS,
	ALLOW_EGRESS,	/* by the source's egress table */
	ALLOW_INGRESS,	/* by the destination's ingress table */
	ALLOW_OPEN,	/* by no table */
};

struct event_case {
	const char *desc;
	__u32 monitors;
	struct pf_table egress;		/* the source pod's */
	struct pf_table ingress;	/* the destination pod's */
	enum want_event want;
	__u32 policy_id;		/* of an ALLOW event */
};

static const struct event_case event_cases[] = {
	{ "denied by egress, no monitor", NO_MONITOR, DENY_ALL, OPEN, DROP_EGRESS, 0 },
	{ "denied by egress, a monitor", ONE_MONITOR, DENY_ALL, OPEN, DROP_EGRESS, 0 },
	{ "egress allows, denied by ingress, a monitor", ONE_MONITOR,
	  RULES(PORT_RULE(PF_DST_ID, FX_DPORT, EGRESS_POLICY)), DENY_ALL, DROP_INGRESS, 0 },
	{ "allowed by egress, no monitor", NO_MONITOR,
	  RULES(PORT_RULE(PF_DST_ID, FX_DPORT, EGRESS_POLICY)), OPEN, NONE, 0 },
	{ "allowed by egress, a monitor", ONE_MONITOR,
	  RULES(PORT_RULE(PF_DST_ID, FX_DPORT, EGRESS_POLICY)), OPEN, ALLOW_EGRESS,
	  EGRESS_POLICY },
	{ "allowed by egress, two monitors", TWO_MONITORS,
	  RULES(PORT_RULE(PF_DST_ID, FX_DPORT, EGRESS_POLICY)), OPEN, ALLOW_EGRESS,
	  EGRESS_POLICY },
	{ "allowed by ingress, no monitor", NO_MONITOR, OPEN,
	  RULES(PORT_RULE(PF_SRC_ID, FX_DPORT, INGRESS_POLICY)), NONE, 0 },
	{ "allowed by ingress, a monitor", ONE_MONITOR, OPEN,
	  RULES(PORT_RULE(PF_SRC_ID, FX_DPORT, INGRESS_POLICY)), ALLOW_INGRESS, INGRESS_POLICY },
	{ "allowed by the any-identity entry, a monitor", ONE_MONITOR,
	  RULES(PORT_RULE(PF_DST_ID, FX_DPORT + 1, PORT_POLICY),
		PORT_RULE(SLUICE_IDENTITY_ANY, FX_DPORT, WIDE_POLICY)),
	  OPEN, ALLOW_EGRESS, WIDE_POLICY },
	{ "the port entry over the every-protocol entry, a monitor", ONE_MONITOR,
	  RULES({ PF_DST_ID, PM_PROTO_ANY, 0, 0, WIDE_POLICY },
		PORT_RULE(PF_DST_ID, FX_DPORT, PORT_POLICY)),
	  OPEN, ALLOW_EGRESS, PORT_POLICY },
	{ "an entry sluice adds itself, a monitor", ONE_MONITOR,
	  RULES(PORT_RULE(PF_DST_ID, FX_DPORT, SLUICE_POLICY_ID_NONE)), OPEN, ALLOW_EGRESS,
	  SLUICE_POLICY_ID_NONE },
	{ "a port entry beside the catch-all, a monitor", ONE_MONITOR,
	  RULES(PF_CATCH_ALL, PORT_RULE(PF_DST_ID, FX_DPORT, PORT_POLICY)), OPEN, ALLOW_EGRESS,
	  PORT_POLICY },
	{ "the catch-all both ways, a monitor", ONE_MONITOR, RULES(PF_CATCH_ALL),
	  RULES(PF_CATCH_ALL), ALLOW_OPEN, SLUICE_POLICY_ID_NONE },
	{ "no policy either way, no monitor", NO_MONITOR, OPEN, OPEN, NONE, 0 },
	{ "no policy either way, a monitor", ONE_MONITOR, OPEN, OPEN, ALLOW_OPEN,
	  SLUICE_POLICY_ID_NONE },
};

/* The event c's first packet spec must send. */
static struct sluice_event case_event(const struct event_case *c, const struct pkt_ipv4 *spec)
{
	bool drop = c->want == DROP_EGRESS || c->want == DROP_INGRESS;
	bool ingress = c->want == DROP_INGRESS || c->want == ALLOW_INGRESS;
	__u8 reason = c->want == ALLOW_OPEN ? SLUICE_ALLOW_OPEN : SLUICE_ALLOW_POLICY;

	if (drop)
		reason = ingress ? SLUICE_VERDICT_DROP_POLICY_INGRESS :
				   SLUICE_VERDICT_DROP_POLICY_EGRESS;
	return pf_event(drop ? SLUICE_EVENT_DROP : SLUICE_EVENT_ALLOW, reason,
			ingress ? SLUICE_DIR_INGRESS : SLUICE_DIR_EGRESS, spec, PF_SRC_ID,
			PF_DST_ID, ingress ? FX_DST_IFINDEX : FX_SRC_IFINDEX,
			drop ? SLUICE_POLICY_ID_NONE : c->policy_id);
}

ParameterizedTestParameters(policy4, events)
{
	static size_t idx[ARRAY_SIZE(event_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, policy4, events, .init = pf_setup, .fini = pf_teardown)
{
	const struct event_case *c = &event_cases[*i];
	struct pkt_ipv4 spec = fx_flow(IPPROTO_TCP);
	struct sluice_event want = case_event(c, &spec);
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];

	pm_set_allow_events(c->monitors);
	pf_set_table(SLUICE_DIR_EGRESS, FX_SRC_ADDR, &c->egress);
	pf_set_table(SLUICE_DIR_INGRESS, FX_DST_ADDR, &c->ingress);
	pf_run(fx_skel->progs.tc_from_pod, &spec, in, &res, &when, c->desc);

	if (c->want == NONE)
		pf_expect_no_event(c->desc);
	else
		pf_expect_event(&want, &when, c->desc);
	cr_assert_eq(res.retval,
		     c->want == DROP_EGRESS || c->want == DROP_INGRESS ? TC_ACT_SHOT :
									 TC_ACT_REDIRECT,
		     "%s: verdict %u", c->desc, res.retval);
}

/* Runs tc_from_pod on spec, wanting it delivered into ep. */
static void send_delivered(const struct pkt_ipv4 *spec, const struct sluice_endpoint_info *ep,
			   struct pf_when *when, const char *desc)
{
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = pf_run(fx_skel->progs.tc_from_pod, spec, in, &res, when, desc);

	fx_expect_delivered(&res, in, len, ep, desc);
}

/* Only a new flow's first packet is judged, so only it sends an ALLOW event. */
Test(policy4, allow_event_once, .init = pf_setup, .fini = pf_teardown)
{
	static const struct pm_rule to_dst[] = { PORT_RULE(PF_DST_ID, FX_DPORT, EGRESS_POLICY) };
	struct pkt_ipv4 syn = fx_flow(IPPROTO_TCP), ack = syn;
	struct pkt_ipv4 reply = pf_reverse(&syn, PKT_TCP_SYN | PKT_TCP_ACK, &fx_dst_ep);
	struct sluice_event want = pf_event(SLUICE_EVENT_ALLOW, SLUICE_ALLOW_POLICY,
					    SLUICE_DIR_EGRESS, &syn, PF_SRC_ID, PF_DST_ID,
					    FX_SRC_IFINDEX, EGRESS_POLICY);
	struct pf_when when;

	pm_set_allow_events(ONE_MONITOR);
	pm_set_policy(SLUICE_DIR_EGRESS, FX_SRC_ADDR, to_dst, ARRAY_SIZE(to_dst));
	send_delivered(&syn, &fx_dst_ep, &when, "SYN");
	pf_expect_event(&want, &when, "SYN");
	send_delivered(&reply, &fx_src_ep, &when, "SYN-ACK");
	pf_expect_no_event("SYN-ACK");
	ack.tcp_flags = PKT_TCP_ACK;
	send_delivered(&ack, &fx_dst_ep, &when, "ACK");
	pf_expect_no_event("ACK");
}
