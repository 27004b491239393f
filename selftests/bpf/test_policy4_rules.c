// SPDX-License-Identifier: Apache-2.0
/*
 * Which flows a pod's policy tables let through, in tc_from_pod: the
 * sender's egress table is looked up by the destination's identity, the
 * receiver's ingress table by the source's, each first for the peer itself
 * and then for "any peer", by protocol and destination port. A table holds
 * single ports, port ranges as prefixes, a protocol's every port, or an
 * identity's every protocol. A pod without a table in a direction is open
 * there, as is one whose table holds the catch-all entry (prefix 0,
 * SLUICE_POLICY_ID_OPEN); a pod with an empty table allows nothing. One
 * table of cases: the two pods' tables, the frame, and who, if anyone,
 * drops it.
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "policy_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* Ports of the cases: a web port and its neighbour, DNS, mDNS, the last port. */
#define HTTP 80
#define HTTP_NEXT 81
#define DNS 53
#define MDNS 5353
#define PORT_LAST 0xffff
/* A range cut into several prefixes: neither end is aligned. */
#define RANGE_FIRST 8000
#define RANGE_LAST 8999
/* The NodePort range, another unaligned one. */
#define NODEPORT_FIRST 30000
#define NODEPORT_LAST 32767

/* Who the frame is for. */
enum peer {
	PEER_POD,	/* the fixture's destination pod */
	PEER_WORLD,	/* an address with no identity */
	PEER_CIDR,	/* an address in the CIDR with PF_CIDR_ID */
};

enum outcome {
	ALLOWED,
	DENIED_EGRESS,	/* by the source pod's egress table */
	DENIED_INGRESS,	/* by the destination pod's ingress table */
};

struct rule_case {
	const char *desc;
	struct pf_table egress;	/* the source pod's */
	struct pf_table ingress;	/* the destination pod's */
	__u8 proto;
	__u16 dport;
	enum peer peer;
	enum outcome outcome;
};

#define OPEN PF_OPEN
#define DENY_ALL PF_DENY_ALL
#define RULES(...) PF_RULES(__VA_ARGS__)
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define ICMP IPPROTO_ICMP
#define ANY SLUICE_IDENTITY_ANY
#define WORLD SLUICE_IDENTITY_WORLD
#define TO_RANGE PF_RANGE(PF_DST_ID, TCP, RANGE_FIRST, RANGE_LAST)
#define FROM_NODEPORTS PF_RANGE(PF_SRC_ID, TCP, NODEPORT_FIRST, NODEPORT_LAST)

static const struct rule_case rule_cases[] = {
	{ "no tables: open both ways", OPEN, OPEN, TCP, HTTP, PEER_POD, ALLOWED },
	/* Egress, by the destination's identity. */
	{ "egress: the destination's identity, TCP 80",
	  RULES(PF_PORT(PF_DST_ID, TCP, HTTP)), OPEN, TCP, HTTP, PEER_POD, ALLOWED },
	{ "egress: another identity only", RULES(PF_PORT(PF_OTHER_ID, TCP, HTTP)), OPEN, TCP,
	  HTTP, PEER_POD, DENIED_EGRESS },
	{ "egress: an empty table", DENY_ALL, OPEN, TCP, HTTP, PEER_POD, DENIED_EGRESS },
	{ "egress: any identity, TCP 80", RULES(PF_PORT(ANY, TCP, HTTP)), OPEN, TCP, HTTP,
	  PEER_POD, ALLOWED },
	{ "egress: any identity, TCP 81 only", RULES(PF_PORT(ANY, TCP, HTTP_NEXT)), OPEN, TCP,
	  HTTP, PEER_POD, DENIED_EGRESS },
	{ "egress: the identity on TCP 81, any identity on TCP 80",
	  RULES(PF_PORT(PF_DST_ID, TCP, HTTP_NEXT), PF_PORT(ANY, TCP, HTTP)), OPEN, TCP, HTTP,
	  PEER_POD, ALLOWED },
	{ "egress: TCP 80 allowed, UDP 80 sent", RULES(PF_PORT(PF_DST_ID, TCP, HTTP)), OPEN, UDP,
	  HTTP, PEER_POD, DENIED_EGRESS },
	{ "egress: UDP 53 allowed, UDP 53 sent", RULES(PF_PORT(PF_DST_ID, UDP, DNS)), OPEN, UDP,
	  DNS, PEER_POD, ALLOWED },
	{ "egress: UDP 53 allowed, TCP 53 sent", RULES(PF_PORT(PF_DST_ID, UDP, DNS)), OPEN, TCP,
	  DNS, PEER_POD, DENIED_EGRESS },
	{ "egress: every protocol of the identity, ICMP", RULES(PF_ALL_PROTOS(PF_DST_ID)), OPEN,
	  ICMP, 0, PEER_POD, ALLOWED },
	{ "egress: every protocol of the identity, UDP 5353", RULES(PF_ALL_PROTOS(PF_DST_ID)),
	  OPEN, UDP, MDNS, PEER_POD, ALLOWED },
	{ "egress: every protocol of the identity, TCP 65535", RULES(PF_ALL_PROTOS(PF_DST_ID)),
	  OPEN, TCP, PORT_LAST, PEER_POD, ALLOWED },
	{ "egress: every protocol of another identity, ICMP",
	  RULES(PF_ALL_PROTOS(PF_OTHER_ID)), OPEN, ICMP, 0, PEER_POD, DENIED_EGRESS },
	{ "egress: every protocol of any identity, ICMP", RULES(PF_ALL_PROTOS(ANY)), OPEN, ICMP,
	  0, PEER_POD, ALLOWED },
	{ "egress: TCP 80 only, ICMP sent", RULES(PF_PORT(PF_DST_ID, TCP, HTTP)), OPEN, ICMP, 0,
	  PEER_POD, DENIED_EGRESS },
	{ "egress: every TCP port, TCP 1", RULES(PF_ALL_PORTS(PF_DST_ID, TCP)), OPEN, TCP, 1,
	  PEER_POD, ALLOWED },
	{ "egress: every TCP port, TCP 65535", RULES(PF_ALL_PORTS(PF_DST_ID, TCP)), OPEN, TCP,
	  PORT_LAST, PEER_POD, ALLOWED },
	{ "egress: every TCP port, UDP 80 sent", RULES(PF_ALL_PORTS(PF_DST_ID, TCP)), OPEN, UDP,
	  HTTP, PEER_POD, DENIED_EGRESS },
	{ "egress: TCP 8000-8999, the first", RULES(TO_RANGE), OPEN, TCP, RANGE_FIRST, PEER_POD,
	  ALLOWED },
	{ "egress: TCP 8000-8999, the last", RULES(TO_RANGE), OPEN, TCP, RANGE_LAST, PEER_POD,
	  ALLOWED },
	{ "egress: TCP 8000-8999, one below", RULES(TO_RANGE), OPEN, TCP, RANGE_FIRST - 1,
	  PEER_POD, DENIED_EGRESS },
	{ "egress: TCP 8000-8999, one above", RULES(TO_RANGE), OPEN, TCP, RANGE_LAST + 1,
	  PEER_POD, DENIED_EGRESS },
	/* Egress out of the cluster: identities from the ipcache, world if none. */
	{ "egress: world allowed, to a world address", RULES(PF_PORT(WORLD, TCP, HTTP)), OPEN,
	  TCP, HTTP, PEER_WORLD, ALLOWED },
	{ "egress: a pod identity allowed, to a world address",
	  RULES(PF_PORT(PF_DST_ID, TCP, HTTP)), OPEN, TCP, HTTP, PEER_WORLD, DENIED_EGRESS },
	{ "egress: a CIDR's identity, to an address in it", RULES(PF_PORT(PF_CIDR_ID, TCP, HTTP)),
	  OPEN, TCP, HTTP, PEER_CIDR, ALLOWED },
	{ "egress: a CIDR's identity, to an address outside it",
	  RULES(PF_PORT(PF_CIDR_ID, TCP, HTTP)), OPEN, TCP, HTTP, PEER_WORLD, DENIED_EGRESS },
	{ "egress: world allowed, to an address in a CIDR", RULES(PF_PORT(WORLD, TCP, HTTP)),
	  OPEN, TCP, HTTP, PEER_CIDR, DENIED_EGRESS },
	/* Ingress, by the source's identity. */
	{ "ingress: the source's identity, TCP 80", OPEN, RULES(PF_PORT(PF_SRC_ID, TCP, HTTP)),
	  TCP, HTTP, PEER_POD, ALLOWED },
	{ "ingress: another identity only", OPEN, RULES(PF_PORT(PF_OTHER_ID, TCP, HTTP)), TCP,
	  HTTP, PEER_POD, DENIED_INGRESS },
	{ "ingress: an empty table", OPEN, DENY_ALL, TCP, HTTP, PEER_POD, DENIED_INGRESS },
	{ "ingress: any identity, TCP 80", OPEN, RULES(PF_PORT(ANY, TCP, HTTP)), TCP, HTTP,
	  PEER_POD, ALLOWED },
	{ "ingress: any identity on TCP 81, the source on TCP 80", OPEN,
	  RULES(PF_PORT(ANY, TCP, HTTP_NEXT), PF_PORT(PF_SRC_ID, TCP, HTTP)), TCP, HTTP,
	  PEER_POD, ALLOWED },
	{ "ingress: world only, from a pod", OPEN, RULES(PF_PORT(WORLD, TCP, HTTP)), TCP, HTTP,
	  PEER_POD, DENIED_INGRESS },
	{ "ingress: UDP 80 allowed, TCP 80 sent", OPEN, RULES(PF_PORT(PF_SRC_ID, UDP, HTTP)),
	  TCP, HTTP, PEER_POD, DENIED_INGRESS },
	{ "ingress: every protocol of the source, ICMP", OPEN, RULES(PF_ALL_PROTOS(PF_SRC_ID)),
	  ICMP, 0, PEER_POD, ALLOWED },
	{ "ingress: every UDP port of the source, UDP 5353", OPEN,
	  RULES(PF_ALL_PORTS(PF_SRC_ID, UDP)), UDP, MDNS, PEER_POD, ALLOWED },
	{ "ingress: NodePort range, the first", OPEN, RULES(FROM_NODEPORTS), TCP,
	  NODEPORT_FIRST, PEER_POD, ALLOWED },
	{ "ingress: NodePort range, the last", OPEN, RULES(FROM_NODEPORTS), TCP, NODEPORT_LAST,
	  PEER_POD, ALLOWED },
	{ "ingress: NodePort range, one below", OPEN, RULES(FROM_NODEPORTS), TCP,
	  NODEPORT_FIRST - 1, PEER_POD, DENIED_INGRESS },
	{ "ingress: NodePort range, one above", OPEN, RULES(FROM_NODEPORTS), TCP,
	  NODEPORT_LAST + 1, PEER_POD, DENIED_INGRESS },
	/* Both: each side's table must allow. */
	{ "both allow", RULES(PF_PORT(PF_DST_ID, TCP, HTTP)),
	  RULES(PF_PORT(PF_SRC_ID, TCP, HTTP)), TCP, HTTP, PEER_POD, ALLOWED },
	{ "egress allows, ingress allows nothing", RULES(PF_PORT(PF_DST_ID, TCP, HTTP)),
	  DENY_ALL, TCP, HTTP, PEER_POD, DENIED_INGRESS },
	{ "egress allows nothing, ingress allows", DENY_ALL,
	  RULES(PF_PORT(PF_SRC_ID, TCP, HTTP)), TCP, HTTP, PEER_POD, DENIED_EGRESS },
	/* The catch-all entry: open, whatever else the table holds. */
	{ "egress: the catch-all only", RULES(PF_CATCH_ALL), OPEN, TCP, HTTP, PEER_POD,
	  ALLOWED },
	{ "egress: the catch-all beside an entry for another port",
	  RULES(PF_CATCH_ALL, PF_PORT(PF_DST_ID, TCP, HTTP_NEXT)), OPEN, TCP, HTTP, PEER_POD,
	  ALLOWED },
	{ "ingress: the catch-all only, ICMP", OPEN, RULES(PF_CATCH_ALL), ICMP, 0, PEER_POD,
	  ALLOWED },
	{ "egress open by its catch-all, ingress allows nothing", RULES(PF_CATCH_ALL), DENY_ALL,
	  TCP, HTTP, PEER_POD, DENIED_INGRESS },
	/* The destination is not a local pod: its ingress table is never looked at. */
	{ "ingress of the destination pod denies, frame to a world address", OPEN, DENY_ALL,
	  TCP, HTTP, PEER_WORLD, ALLOWED },
};

/* The peer's address, its identity, and the pod the frame is delivered to if any. */
static __u32 peer_addr(enum peer peer, __u32 *identity, const struct sluice_endpoint_info **ep)
{
	*ep = NULL;
	switch (peer) {
	case PEER_POD:
		*identity = PF_DST_ID;
		*ep = &fx_dst_ep;
		return FX_DST_ADDR;
	case PEER_WORLD:
		*identity = SLUICE_IDENTITY_WORLD;
		return PF_WORLD_ADDR;
	case PEER_CIDR:
		*identity = PF_CIDR_ID;
		return PF_CIDR_ADDR;
	}
	cr_assert_fail("bad peer %d in the case table", peer);
	return 0;
}

ParameterizedTestParameters(policy4, rules)
{
	static size_t idx[ARRAY_SIZE(rule_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, policy4, rules, .init = pf_setup, .fini = pf_teardown)
{
	const struct rule_case *c = &rule_cases[*i];
	const struct sluice_endpoint_info *ep;
	__u32 dst_id, daddr = peer_addr(c->peer, &dst_id, &ep);
	struct pkt_ipv4 spec = pf_flow(c->proto, daddr, c->dport);
	bool ingress = c->outcome == DENIED_INGRESS;
	enum sluice_verdict why = ingress ? SLUICE_VERDICT_DROP_POLICY_INGRESS :
					    SLUICE_VERDICT_DROP_POLICY_EGRESS;
	struct sluice_event want = pf_event(SLUICE_EVENT_DROP, why,
					    ingress ? SLUICE_DIR_INGRESS : SLUICE_DIR_EGRESS,
					    &spec, PF_SRC_ID, dst_id,
					    ingress ? FX_DST_IFINDEX : FX_SRC_IFINDEX,
					    SLUICE_POLICY_ID_NONE);
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	pf_set_table(SLUICE_DIR_EGRESS, FX_SRC_ADDR, &c->egress);
	pf_set_table(SLUICE_DIR_INGRESS, FX_DST_ADDR, &c->ingress);
	len = pf_run(fx_skel->progs.tc_from_pod, &spec, in, &res, &when, c->desc);

	if (c->outcome != ALLOWED) {
		fx_expect_untouched(&res, in, len, TC_ACT_SHOT, c->desc);
		pf_expect_drop(&res, len, &want, ingress ? FX_DST_ADDR : FX_SRC_ADDR, &when,
			       c->desc);
		pf_expect_drop_keys(1, c->desc);
		lb_expect_ct_count(0, c->desc);
		return;
	}
	if (ep) {
		fx_expect_delivered(&res, in, len, ep, c->desc);
		fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, c->desc);
	} else {
		fx_expect_untouched(&res, in, len, TC_ACT_OK, c->desc);
		fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, c->desc);
	}
	pf_expect_no_drop(c->desc);
	pf_expect_new_flow(&spec, &when, c->desc);
	lb_expect_ct_count(LB_FLOW_ENTRIES, c->desc);
}
