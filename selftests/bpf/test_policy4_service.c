// SPDX-License-Identifier: Apache-2.0
/*
 * Policy on flows to a service: judged after translation, by what the flow
 * really reaches. Egress is looked up by the backend's identity and port,
 * not the service address's; ingress of the backend pod by the identity of
 * the client as it sent, also when a pod reaches itself and its request
 * comes from 169.254.0.2 (hairpin). From outside the node (tc_from_net), a
 * new flow to an external frontend meets its local backend's ingress table,
 * and the backend's replies pass whatever its egress table says.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "policy_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* Identities of the service address and of backend 1. */
#define VIP_ID 1010
#define BE1_ID 1009
/* A load-balancer IP of the node (203.0.113.5, TEST-NET-3) with an external frontend. */
#define EXT_IP 0xcb007105

/* The upstream router's MAC and the node device's: locally administered. */
static const __u8 router_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x01 };
static const __u8 node_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x02 };

enum outcome {
	ALLOWED,
	DENIED_EGRESS,	/* by the client pod's egress table */
	DENIED_INGRESS,	/* by the backend pod's ingress table */
};

#define OPEN PF_OPEN
#define DENY_ALL PF_DENY_ALL
#define RULES(...) PF_RULES(__VA_ARGS__)
#define TCP IPPROTO_TCP
#define WORLD SLUICE_IDENTITY_WORLD

struct svc_case {
	const char *desc;
	bool hairpin;			/* the client pod is the service's backend */
	struct pf_table egress;		/* the client's */
	struct pf_table ingress;	/* the backend's */
	enum outcome outcome;
};

static const struct svc_case svc_cases[] = {
	{ "egress allows the service's identity, not the backend's", false,
	  RULES(PF_PORT(VIP_ID, TCP, LB_VIP_PORT), PF_PORT(VIP_ID, TCP, LB_BE_PORT)), OPEN,
	  DENIED_EGRESS },
	{ "egress allows the backend on its port", false, RULES(PF_PORT(BE1_ID, TCP, LB_BE_PORT)),
	  OPEN, ALLOWED },
	{ "egress allows the backend on the service port only", false,
	  RULES(PF_PORT(BE1_ID, TCP, LB_VIP_PORT)), OPEN, DENIED_EGRESS },
	{ "backend's ingress allows the client on its port", false, OPEN,
	  RULES(PF_PORT(PF_SRC_ID, TCP, LB_BE_PORT)), ALLOWED },
	{ "backend's ingress allows the client on the service port only", false, OPEN,
	  RULES(PF_PORT(PF_SRC_ID, TCP, LB_VIP_PORT)), DENIED_INGRESS },
	{ "backend's ingress allows the service's identity only", false, OPEN,
	  RULES(PF_PORT(VIP_ID, TCP, LB_BE_PORT)), DENIED_INGRESS },
	{ "hairpin: the pod's ingress allows itself", true, OPEN,
	  RULES(PF_PORT(PF_SRC_ID, TCP, LB_BE_PORT)), ALLOWED },
	{ "hairpin: the pod's ingress allows world only", true, OPEN,
	  RULES(PF_PORT(WORLD, TCP, LB_BE_PORT)), DENIED_INGRESS },
	{ "hairpin: the pod's egress allows itself on its port", true,
	  RULES(PF_PORT(PF_SRC_ID, TCP, LB_BE_PORT)), OPEN, ALLOWED },
	{ "hairpin: the pod's egress allows the service's identity only", true,
	  RULES(PF_PORT(VIP_ID, TCP, LB_VIP_PORT), PF_PORT(VIP_ID, TCP, LB_BE_PORT)), OPEN,
	  DENIED_EGRESS },
};

ParameterizedTestParameters(policy4, service)
{
	static size_t idx[ARRAY_SIZE(svc_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, policy4, service, .init = pf_setup, .fini = pf_teardown)
{
	const struct svc_case *c = &svc_cases[*i];
	const struct sluice_endpoint_info *be_ep = c->hairpin ? &fx_src_ep : &lb_be1_ep;
	__u32 be_addr = c->hairpin ? FX_SRC_ADDR : LB_BE1_ADDR;
	__u32 be_id = c->hairpin ? PF_SRC_ID : BE1_ID;
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);
	/* The flow as policy sees it: from the client as it sent, to what it reaches. */
	struct pkt_ipv4 judged = lb_dnat(&spec, be_addr, LB_BE_PORT);
	/* As the backend gets it: from 169.254.0.2 if it is the client itself. */
	struct pkt_ipv4 want = c->hairpin ? lb_snat(&judged, LB_HAIRPIN_ADDR, FX_SPORT) : judged;
	bool ingress = c->outcome == DENIED_INGRESS;
	enum sluice_verdict why = ingress ? SLUICE_VERDICT_DROP_POLICY_INGRESS :
					    SLUICE_VERDICT_DROP_POLICY_EGRESS;
	struct sluice_event ev = pf_event(SLUICE_EVENT_DROP, why,
					  ingress ? SLUICE_DIR_INGRESS : SLUICE_DIR_EGRESS, &judged,
					  PF_SRC_ID, be_id,
					  ingress ? be_ep->ifindex : FX_SRC_IFINDEX,
					  SLUICE_POLICY_ID_NONE);
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	pm_set_identity(LB_VIP, PF_HOST_BITS, VIP_ID);
	pm_set_identity(LB_BE1_ADDR, PF_HOST_BITS, BE1_ID);
	lb_add_service(IPPROTO_TCP, be_addr);
	if (!c->hairpin)
		fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	pf_set_table(SLUICE_DIR_EGRESS, FX_SRC_ADDR, &c->egress);
	pf_set_table(SLUICE_DIR_INGRESS, be_addr, &c->ingress);
	len = pf_run(fx_skel->progs.tc_from_pod, &spec, in, &res, &when, c->desc);

	if (c->outcome != ALLOWED) {
		/* Judged after translation: the frame is already rewritten, and dropped. */
		pf_expect_drop(&res, len, &ev, ingress ? be_addr : FX_SRC_ADDR, &when, c->desc);
		pf_expect_drop_keys(1, c->desc);
		lb_expect_ct_count(0, c->desc);
		return;
	}
	lb_expect_translated(&res, &want, be_ep, c->desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, c->desc);
	pf_expect_no_drop(c->desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, c->desc);
}

struct net_case {
	const char *desc;
	__u32 client;			/* host order */
	__u32 client_id;		/* its identity by the ipcache */
	struct pf_table ingress;	/* backend 1's */
	bool allowed;
};

static const struct net_case net_cases[] = {
	{ "backend's ingress allows nothing", PF_WORLD_ADDR, WORLD, DENY_ALL, false },
	{ "backend's ingress allows world on its port", PF_WORLD_ADDR, WORLD,
	  RULES(PF_PORT(WORLD, TCP, LB_BE_PORT)), true },
	{ "backend's ingress allows world on the service port only", PF_WORLD_ADDR, WORLD,
	  RULES(PF_PORT(WORLD, TCP, LB_VIP_PORT)), false },
	{ "backend's ingress allows the client's CIDR", PF_CIDR_ADDR, PF_CIDR_ID,
	  RULES(PF_PORT(PF_CIDR_ID, TCP, LB_BE_PORT)), true },
	{ "backend's ingress allows world, the client is in a CIDR", PF_CIDR_ADDR, PF_CIDR_ID,
	  RULES(PF_PORT(WORLD, TCP, LB_BE_PORT)), false },
	{ "backend without ingress table", PF_WORLD_ADDR, WORLD, OPEN, true },
};

/* EXT_IP:LB_VIP_PORT for clients outside the node, to backend 1, a local pod. */
static void add_external_frontend(void)
{
	struct sluice_svc_value v = { .id = LB_SVC_ID, .count = 1 };

	lb_add_backend(LB_BE1_ID, LB_BE1_ADDR, LB_BE_PORT, IPPROTO_TCP, LB_SVC_ID);
	lb_fill_table(LB_SVC_ID, LB_BE1_ID);
	lb_add_frontend(EXT_IP, LB_VIP_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL, &v);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
}

ParameterizedTestParameters(policy4, from_net)
{
	static size_t idx[ARRAY_SIZE(net_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

/*
 * Backend 1 also isolated for egress, allowing nothing: its reply to an
 * allowed client passes all the same, from the load-balancer IP again.
 */
ParameterizedTest(size_t *i, policy4, from_net, .init = pf_setup, .fini = pf_teardown)
{
	const struct net_case *c = &net_cases[*i];
	struct pkt_ipv4 spec = pf_flow(IPPROTO_TCP, EXT_IP, LB_VIP_PORT), want, reply;
	struct sluice_event ev;
	char desc[DESC_LEN];
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	spec.saddr = htonl(c->client);
	memcpy(spec.src_mac, router_mac, ETH_ALEN);
	memcpy(spec.dst_mac, node_mac, ETH_ALEN);
	want = lb_dnat(&spec, LB_BE1_ADDR, LB_BE_PORT);
	ev = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_POLICY_INGRESS, SLUICE_DIR_INGRESS,
		      &want, c->client_id, BE1_ID, LB_BE1_IFINDEX, SLUICE_POLICY_ID_NONE);
	pm_set_identity(LB_BE1_ADDR, PF_HOST_BITS, BE1_ID);
	add_external_frontend();
	pf_set_table(SLUICE_DIR_INGRESS, LB_BE1_ADDR, &c->ingress);
	pm_set_policy(SLUICE_DIR_EGRESS, LB_BE1_ADDR, NULL, 0);

	snprintf(desc, sizeof(desc), "%s: client to the load-balancer IP", c->desc);
	len = pf_run(lb_node_skel->progs.tc_from_net, &spec, in, &res, &when, desc);
	if (!c->allowed) {
		pf_expect_drop(&res, len, &ev, LB_BE1_ADDR, &when, desc);
		pf_expect_drop_keys(1, desc);
		lb_expect_ct_count(0, desc);
		return;
	}
	lb_expect_translated(&res, &want, &lb_be1_ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_NET_TO_POD, len, desc);
	pf_expect_no_drop(desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, desc);

	/* No route in the test's namespace: the stack gets it, as test_tc_node.c explains. */
	snprintf(desc, sizeof(desc), "%s: backend's reply", c->desc);
	reply = lb_reply_frame(IPPROTO_TCP, LB_BE1_ADDR, c->client, FX_SPORT,
			       PKT_TCP_SYN | PKT_TCP_ACK, &lb_be1_ep);
	len = lb_send(&reply, in, &res, desc);
	want = lb_snat(&reply, EXT_IP, LB_VIP_PORT);
	lb_expect_translated(&res, &want, NULL, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_PASS_STACK, len, desc);
	pf_expect_no_drop(desc);
}
