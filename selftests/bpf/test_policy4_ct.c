// SPDX-License-Identifier: Apache-2.0
/*
 * Policy decides a flow on its first packet and conntrack carries the
 * decision, through tc_from_pod between the fixture's two pods:
 *
 * - the replies of an allowed flow pass whatever the replying pod's egress
 *   table or the first sender's ingress table say: they belong to a flow
 *   both sides' policies already allowed;
 * - a denied flow leaves nothing tracked, so what answers it is judged as
 *   a new flow of its own;
 * - a flow that was allowed keeps passing after its table changes to deny
 *   it, replaced whole or edited in place. This is the chosen semantics:
 *   established connections continue until they close or time out (their
 *   conntrack entries expire); only new flows meet the new table.
 */
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "policy_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* The client port of a second flow, new to conntrack. */
#define OTHER_SPORT (FX_SPORT + 1)

static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : "ICMP";
}

/* Runs tc_from_pod on spec and checks it was delivered into ep, with nothing dropped. */
static void expect_delivered(const struct pkt_ipv4 *spec, const struct sluice_endpoint_info *ep,
			     struct pf_when *when, const char *desc)
{
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = pf_run(fx_skel->progs.tc_from_pod, spec, in, &res, when, desc);

	fx_expect_delivered(&res, in, len, ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, desc);
	pf_expect_no_drop(desc);
}

/* A TCP flow from the destination pod to the source pod, new to conntrack. */
static struct pkt_ipv4 backwards_flow(void)
{
	struct pkt_ipv4 fwd = fx_flow(IPPROTO_TCP);
	struct pkt_ipv4 spec = pf_reverse(&fwd, PKT_TCP_SYN, &fx_dst_ep);

	spec.sport = OTHER_SPORT;
	spec.dport = FX_DPORT;
	return spec;
}

ParameterizedTestParameters(policy4, reply_passes)
{
	static size_t idx[ARRAY_SIZE(protos)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

/*
 * Both pods isolated both ways, and only source to destination allowed:
 * the destination's egress and the source's ingress allow nothing at all.
 */
ParameterizedTest(size_t *i, policy4, reply_passes, .init = pf_setup, .fini = pf_teardown)
{
	static const struct pm_rule to_dst[] = { PF_ALL_PROTOS(PF_DST_ID) };
	static const struct pm_rule from_src[] = { PF_ALL_PROTOS(PF_SRC_ID) };
	__u8 proto = protos[*i];
	bool tcp = proto == IPPROTO_TCP;
	struct pkt_ipv4 first = fx_flow(proto), next = first, ctl = backwards_flow();
	struct pkt_ipv4 reply = pf_reverse(&first, PKT_TCP_SYN | PKT_TCP_ACK, &fx_dst_ep);
	struct lb_tuple t = pf_tuple(&first), r = lb_tuple_reverse(&t);
	/* A SYN-ACK or an ACK is more than a lone SYN: each direction is established. */
	struct sluice_ct4_value est = { .flags = tcp ? SLUICE_CT_F_ESTABLISHED : 0 };
	__u32 est_s = tcp ? SLUICE_CT_TCP_ESTABLISHED_S : SLUICE_CT_UDP_S;
	struct sluice_event want;
	char desc[DESC_LEN];
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	pm_set_policy(SLUICE_DIR_EGRESS, FX_SRC_ADDR, to_dst, ARRAY_SIZE(to_dst));
	pm_set_policy(SLUICE_DIR_INGRESS, FX_DST_ADDR, from_src, ARRAY_SIZE(from_src));
	pm_set_policy(SLUICE_DIR_EGRESS, FX_DST_ADDR, NULL, 0);
	pm_set_policy(SLUICE_DIR_INGRESS, FX_SRC_ADDR, NULL, 0);

	snprintf(desc, sizeof(desc), "%s: first packet, source to destination", proto_name(proto));
	expect_delivered(&first, &fx_dst_ep, &when, desc);
	pf_expect_new_flow(&first, &when, desc);

	snprintf(desc, sizeof(desc), "%s: the destination's reply", proto_name(proto));
	expect_delivered(&reply, &fx_src_ep, &when, desc);
	lb_expect_ct(&r, SLUICE_CT_REPLY, &est, est_s, when.t0, when.t1, desc);

	snprintf(desc, sizeof(desc), "%s: next packet, source to destination",
		 proto_name(proto));
	next.tcp_flags = PKT_TCP_ACK;
	expect_delivered(&next, &fx_dst_ep, &when, desc);
	lb_expect_ct(&t, SLUICE_CT_FORWARD, &est, est_s, when.t0, when.t1, desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, desc);

	/* The tables are in force: what the destination starts itself is denied. */
	snprintf(desc, sizeof(desc), "%s: a new flow from the destination", proto_name(proto));
	len = pf_run(fx_skel->progs.tc_from_pod, &ctl, in, &res, &when, desc);
	want = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_POLICY_EGRESS, SLUICE_DIR_EGRESS,
			&ctl, PF_DST_ID, PF_SRC_ID, FX_DST_IFINDEX, SLUICE_POLICY_ID_NONE);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, desc);
	pf_expect_drop(&res, len, &want, FX_DST_ADDR, &when, desc);
	pf_expect_drop_keys(1, desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, desc);
}

ParameterizedTestParameters(policy4, denied_leaves_nothing)
{
	static size_t idx[ARRAY_SIZE(protos)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

/*
 * The destination's ingress allows nothing, nor does the source's: the
 * destination's answer to a denied flow is no reply, and meets the
 * source's ingress table as a flow of its own.
 */
ParameterizedTest(size_t *i, policy4, denied_leaves_nothing, .init = pf_setup,
		  .fini = pf_teardown)
{
	__u8 proto = protos[*i];
	struct pkt_ipv4 first = fx_flow(proto);
	struct pkt_ipv4 reply = pf_reverse(&first, PKT_TCP_SYN | PKT_TCP_ACK, &fx_dst_ep);
	struct sluice_event want;
	char desc[DESC_LEN];
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	pm_set_policy(SLUICE_DIR_INGRESS, FX_DST_ADDR, NULL, 0);
	pm_set_policy(SLUICE_DIR_INGRESS, FX_SRC_ADDR, NULL, 0);

	snprintf(desc, sizeof(desc), "%s: source to destination", proto_name(proto));
	len = pf_run(fx_skel->progs.tc_from_pod, &first, in, &res, &when, desc);
	want = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_POLICY_INGRESS,
			SLUICE_DIR_INGRESS, &first, PF_SRC_ID, PF_DST_ID, FX_DST_IFINDEX,
			SLUICE_POLICY_ID_NONE);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, desc);
	pf_expect_drop(&res, len, &want, FX_DST_ADDR, &when, desc);
	lb_expect_ct_count(0, desc);

	snprintf(desc, sizeof(desc), "%s: the destination answers anyway", proto_name(proto));
	len = pf_run(fx_skel->progs.tc_from_pod, &reply, in, &res, &when, desc);
	want = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_POLICY_INGRESS,
			SLUICE_DIR_INGRESS, &reply, PF_DST_ID, PF_SRC_ID, FX_SRC_IFINDEX,
			SLUICE_POLICY_ID_NONE);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, desc);
	pf_expect_drop(&res, len, &want, FX_SRC_ADDR, &when, desc);
	pf_expect_drop_keys(2, desc);
	lb_expect_ct_count(0, desc);
}

/* Which table a policy update turns into one allowing nothing, and how. */
struct swap_case {
	const char *desc;
	enum sluice_direction dir;
	__u32 addr;			/* the sender (egress) or the receiver (ingress) */
	__u32 ifindex;
	enum sluice_verdict verdict;	/* what a new flow gets after it */
	/*
	 * The table starts open by its catch-all entry, removed in place;
	 * else it starts with an entry allowing the flow and is replaced.
	 */
	bool in_place;
};

static const struct swap_case swap_cases[] = {
	{ "source's egress table replaced", SLUICE_DIR_EGRESS, FX_SRC_ADDR, FX_SRC_IFINDEX,
	  SLUICE_VERDICT_DROP_POLICY_EGRESS, false },
	{ "destination's ingress table replaced", SLUICE_DIR_INGRESS, FX_DST_ADDR,
	  FX_DST_IFINDEX, SLUICE_VERDICT_DROP_POLICY_INGRESS, false },
	{ "source's egress catch-all removed", SLUICE_DIR_EGRESS, FX_SRC_ADDR, FX_SRC_IFINDEX,
	  SLUICE_VERDICT_DROP_POLICY_EGRESS, true },
	{ "destination's ingress catch-all removed", SLUICE_DIR_INGRESS, FX_DST_ADDR,
	  FX_DST_IFINDEX, SLUICE_VERDICT_DROP_POLICY_INGRESS, true },
};

/* Gives c's table the entry that allows the test flow: the catch-all, or its port. */
static void allow_flow(const struct swap_case *c)
{
	static const struct pm_rule open[] = { PF_CATCH_ALL };
	static const struct pm_rule to_dst[] = { PF_PORT(PF_DST_ID, IPPROTO_TCP, FX_DPORT) };
	static const struct pm_rule from_src[] = { PF_PORT(PF_SRC_ID, IPPROTO_TCP, FX_DPORT) };

	if (c->in_place)
		pm_set_policy(c->dir, c->addr, open, ARRAY_SIZE(open));
	else if (c->dir == SLUICE_DIR_EGRESS)
		pm_set_policy(c->dir, c->addr, to_dst, ARRAY_SIZE(to_dst));
	else
		pm_set_policy(c->dir, c->addr, from_src, ARRAY_SIZE(from_src));
}

/* Turns c's table into one allowing nothing, the way c says. */
static void deny_flow(const struct swap_case *c)
{
	int fd;

	if (!c->in_place) {
		pm_set_policy(c->dir, c->addr, NULL, 0);
		return;
	}
	fd = pm_table_of(c->dir, c->addr);
	pm_table_del_catch_all(fd);
	close(fd);
}

ParameterizedTestParameters(policy4, established_survives_update)
{
	static size_t idx[ARRAY_SIZE(swap_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, policy4, established_survives_update, .init = pf_setup,
		  .fini = pf_teardown)
{
	const struct swap_case *c = &swap_cases[*i];
	struct pkt_ipv4 syn = fx_flow(IPPROTO_TCP), ack = syn, fin = syn, other = syn;
	struct pkt_ipv4 reply = pf_reverse(&syn, PKT_TCP_ACK, &fx_dst_ep);
	struct lb_tuple t = pf_tuple(&syn);
	struct sluice_ct4_value est = { .flags = SLUICE_CT_F_ESTABLISHED };
	struct sluice_event want;
	char desc[DESC_LEN];
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	allow_flow(c);
	snprintf(desc, sizeof(desc), "%s: SYN while allowed", c->desc);
	expect_delivered(&syn, &fx_dst_ep, &when, desc);

	deny_flow(c);
	snprintf(desc, sizeof(desc), "%s: ACK of the established flow", c->desc);
	ack.tcp_flags = PKT_TCP_ACK;
	expect_delivered(&ack, &fx_dst_ep, &when, desc);
	/* Passed as established, and its entry refreshed by it. */
	lb_expect_ct(&t, SLUICE_CT_FORWARD, &est, SLUICE_CT_TCP_ESTABLISHED_S, when.t0, when.t1,
		     desc);
	snprintf(desc, sizeof(desc), "%s: the destination's reply", c->desc);
	expect_delivered(&reply, &fx_src_ep, &when, desc);
	snprintf(desc, sizeof(desc), "%s: FIN of the established flow", c->desc);
	fin.tcp_flags = PKT_TCP_FIN | PKT_TCP_ACK;
	expect_delivered(&fin, &fx_dst_ep, &when, desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, desc);

	snprintf(desc, sizeof(desc), "%s: a new flow", c->desc);
	other.sport = OTHER_SPORT;
	len = pf_run(fx_skel->progs.tc_from_pod, &other, in, &res, &when, desc);
	want = pf_event(SLUICE_EVENT_DROP, c->verdict, c->dir, &other, PF_SRC_ID, PF_DST_ID,
			c->ifindex, SLUICE_POLICY_ID_NONE);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, desc);
	pf_expect_drop(&res, len, &want, c->addr, &when, desc);
	pf_expect_drop_keys(1, desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, desc);

	/* A new connection on the tracked flow's own ports meets the policy too. */
	snprintf(desc, sizeof(desc), "%s: a new SYN on the tracked ports", c->desc);
	len = pf_run(fx_skel->progs.tc_from_pod, &syn, in, &res, &when, desc);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, desc);
	pf_expect_drop_keys(1, desc);
}
