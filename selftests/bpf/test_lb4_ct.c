// SPDX-License-Identifier: Apache-2.0
/*
 * How long conntrack keeps a translated flow, through tc_from_pod. Each
 * direction's entry earns its idle timeout from the packets that direction
 * sends: 60 s for a lone SYN and for UDP, 6 h once anything more than a
 * SYN was seen, 10 s from a FIN or RST on, which later packets do not undo.
 * The client's packets keep its SERVICE entry and the FORWARD entry of the
 * translated flow alike; the backend's keep the REPLY entry. A FIN or RST
 * also closes the FORWARD/REPLY entry of the other direction, so a dead
 * connection leaves no entry established for hours. One table: a sequence
 * of packets from the client and the backend, and what each entry must
 * hold after the last of them.
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Most packets in one case's sequence. */
#define STEPS_MAX 5
/* Room for a case's description and the step it is at. */
#define DESC_LEN 160

/* Steps of a sequence: who sends, with which TCP flags. */
#define CLIENT(flags) { false, (flags) }
#define BACKEND(flags) { true, (flags) }

struct step {
	bool from_backend;
	__u8 tcp_flags;
};

/* What a CT entry must hold after the sequence. */
struct entry_want {
	__u8 flags;
	__u32 timeout_s;
};

struct life_case {
	const char *desc;
	__u8 proto;
	struct step steps[STEPS_MAX];
	size_t n_steps;
	/* SERVICE (the client's packets), FORWARD (the same flow translated), REPLY. */
	struct entry_want service, forward, reply;
};

/* Shorter names for the table. */
#define EST SLUICE_CT_F_ESTABLISHED
#define CLOSING SLUICE_CT_F_CLOSING
#define SYN_S SLUICE_CT_TCP_SYN_S
#define EST_S SLUICE_CT_TCP_ESTABLISHED_S
#define CLOSING_S SLUICE_CT_TCP_CLOSING_S

static const struct life_case life_cases[] = {
	{ "TCP: SYN sent twice", IPPROTO_TCP,
	  { CLIENT(PKT_TCP_SYN), CLIENT(PKT_TCP_SYN) }, 2,
	  { 0, SYN_S }, { 0, SYN_S }, { 0, SYN_S } },
	{ "TCP: handshake", IPPROTO_TCP,
	  { CLIENT(PKT_TCP_SYN), BACKEND(PKT_TCP_SYN | PKT_TCP_ACK), CLIENT(PKT_TCP_ACK) }, 3,
	  { EST, EST_S }, { EST, EST_S }, { EST, EST_S } },
	{ "TCP: client sends FIN", IPPROTO_TCP,
	  { CLIENT(PKT_TCP_SYN), BACKEND(PKT_TCP_SYN | PKT_TCP_ACK), CLIENT(PKT_TCP_ACK),
	    CLIENT(PKT_TCP_FIN | PKT_TCP_ACK) }, 4,
	  { EST | CLOSING, CLOSING_S }, { EST | CLOSING, CLOSING_S },
	  { EST | CLOSING, CLOSING_S } },
	{ "TCP: client sends RST", IPPROTO_TCP,
	  { CLIENT(PKT_TCP_SYN), BACKEND(PKT_TCP_SYN | PKT_TCP_ACK), CLIENT(PKT_TCP_ACK),
	    CLIENT(PKT_TCP_RST) }, 4,
	  { EST | CLOSING, CLOSING_S }, { EST | CLOSING, CLOSING_S },
	  { EST | CLOSING, CLOSING_S } },
	{ "TCP: backend refuses with RST", IPPROTO_TCP,
	  { CLIENT(PKT_TCP_SYN), BACKEND(PKT_TCP_RST | PKT_TCP_ACK) }, 2,
	  { 0, SYN_S }, { CLOSING, CLOSING_S }, { CLOSING, CLOSING_S } },
	{ "TCP: an ACK after the FIN keeps it closing", IPPROTO_TCP,
	  { CLIENT(PKT_TCP_SYN), BACKEND(PKT_TCP_SYN | PKT_TCP_ACK), CLIENT(PKT_TCP_ACK),
	    CLIENT(PKT_TCP_FIN | PKT_TCP_ACK), CLIENT(PKT_TCP_ACK) }, 5,
	  { EST | CLOSING, CLOSING_S }, { EST | CLOSING, CLOSING_S },
	  { EST | CLOSING, CLOSING_S } },
	{ "UDP: request, response, request", IPPROTO_UDP,
	  { CLIENT(0), BACKEND(0), CLIENT(0) }, 3,
	  { 0, SLUICE_CT_UDP_S }, { 0, SLUICE_CT_UDP_S }, { 0, SLUICE_CT_UDP_S } },
};

/* When a direction's last packet was sent: between t0 and t1. */
struct sent_at {
	__u64 t0, t1;
};

/* Sends one step and checks it was translated and delivered. */
static void send_step(const struct life_case *c, size_t n, struct sent_at *at)
{
	const struct step *s = &c->steps[n];
	struct pkt_ipv4 spec, want;
	const struct sluice_endpoint_info *ep;
	char desc[DESC_LEN];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	snprintf(desc, sizeof(desc), "%s: step %zu, %s flags %#x", c->desc, n + 1,
		 s->from_backend ? "backend" : "client", s->tcp_flags);
	if (s->from_backend) {
		spec = lb_reply_frame(c->proto, LB_BE1_ADDR, FX_SRC_ADDR, FX_SPORT, s->tcp_flags,
				      &lb_be1_ep);
		want = lb_snat(&spec, LB_VIP, LB_VIP_PORT);
		ep = &fx_src_ep;
	} else {
		spec = lb_client_frame(c->proto, FX_SPORT, s->tcp_flags);
		want = lb_dnat(&spec, LB_BE1_ADDR, LB_BE_PORT);
		ep = &lb_be1_ep;
	}
	at->t0 = lb_now_ns();
	len = lb_send(&spec, in, &res, desc);
	at->t1 = lb_now_ns();
	lb_expect_translated(&res, &want, ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, desc);
}

ParameterizedTestParameters(lb4, ct_lifetime)
{
	static size_t idx[ARRAY_SIZE(life_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, ct_lifetime, .init = fx_setup, .fini = fx_teardown)
{
	const struct life_case *c = &life_cases[*i];
	struct pkt_ipv4 client = lb_client_frame(c->proto, FX_SPORT, 0);
	struct pkt_ipv4 reply = lb_reply_frame(c->proto, LB_BE1_ADDR, FX_SRC_ADDR, FX_SPORT, 0,
					       &lb_be1_ep);
	struct pkt_ipv4 xlated = lb_dnat(&client, LB_BE1_ADDR, LB_BE_PORT);
	struct lb_tuple fwd_tuple = lb_tuple_of(&client), reply_tuple = lb_tuple_of(&reply);
	struct lb_tuple xlated_tuple = lb_tuple_of(&xlated);
	struct sluice_ct4_value fwd = {
		.svc_id = LB_SVC_ID,
		.backend_id = LB_BE1_ID,
		.flags = c->service.flags,
	};
	/* The translated flow's own entry: no service named. */
	struct sluice_ct4_value plain = { .flags = c->forward.flags };
	struct sluice_ct4_value rev = {
		.svc_id = LB_SVC_ID,
		.backend_id = LB_BE1_ID,
		.nat_addr = htonl(LB_VIP),
		.nat_port = htons(LB_VIP_PORT),
		.client_addr = htonl(FX_SRC_ADDR),
		.flags = SLUICE_CT_F_NAT | c->reply.flags,
	};
	/*
	 * The client's first packet makes both entries: it dates the reply's
	 * until the backend sends.
	 */
	struct sent_at at, service_at = { 0 }, forward_at = { 0 }, reply_at = { 0 };
	size_t n;

	lb_add_service(c->proto, LB_BE1_ADDR);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	for (n = 0; n < c->n_steps; n++) {
		bool closes = c->proto == IPPROTO_TCP &&
			      (c->steps[n].tcp_flags & (PKT_TCP_FIN | PKT_TCP_RST));

		send_step(c, n, &at);
		if (c->steps[n].from_backend || n == 0 || closes)
			reply_at = at;
		if (!c->steps[n].from_backend)
			service_at = at;
		if (!c->steps[n].from_backend || closes)
			forward_at = at;
	}
	lb_expect_ct(&fwd_tuple, SLUICE_CT_SERVICE, &fwd, c->service.timeout_s, service_at.t0,
		     service_at.t1, c->desc);
	lb_expect_ct(&xlated_tuple, SLUICE_CT_FORWARD, &plain, c->forward.timeout_s,
		     forward_at.t0, forward_at.t1, c->desc);
	lb_expect_ct(&reply_tuple, SLUICE_CT_REPLY, &rev, c->reply.timeout_s, reply_at.t0,
		     reply_at.t1, c->desc);
	lb_expect_ct_count(LB_SVC_FLOW_ENTRIES, c->desc);
}

/*
 * A client port reused while the old flow's SERVICE entry still lives but
 * its REPLY entry expired: the flow keeps its backend and gets its REPLY
 * entry back, so the backend's answer is still translated to the service.
 */
Test(lb4, expired_reply_entry_is_made_again, .init = fx_setup, .fini = fx_teardown)
{
	struct pkt_ipv4 syn = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);
	struct pkt_ipv4 synack = lb_reply_frame(IPPROTO_TCP, LB_BE1_ADDR, FX_SRC_ADDR, FX_SPORT,
						PKT_TCP_SYN | PKT_TCP_ACK, &lb_be1_ep);
	struct pkt_ipv4 want = lb_snat(&synack, LB_VIP, LB_VIP_PORT);
	struct lb_tuple reply = lb_tuple_of(&synack);
	struct sluice_ct4_value v;
	struct fx_result res;
	__u8 in[PKT_MAX];

	lb_add_service(IPPROTO_TCP, LB_BE1_ADDR);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	lb_expect_to_backend(&syn, LB_BE1_ADDR, &lb_be1_ep, "first SYN");
	cr_assert(lb_ct_get(&reply, SLUICE_CT_REPLY, &v), "first SYN: no REPLY entry");
	v.expires_ns = 1;
	lb_ct_put(&reply, SLUICE_CT_REPLY, &v);

	lb_expect_to_backend(&syn, LB_BE1_ADDR, &lb_be1_ep, "SYN on the reused port");
	cr_assert(lb_ct_get(&reply, SLUICE_CT_REPLY, &v), "reused port: no REPLY entry");
	cr_expect_gt(v.expires_ns, lb_now_ns(), "reused port: the REPLY entry is still expired");
	cr_expect(v.flags & SLUICE_CT_F_NAT, "reused port: the REPLY entry does not translate");
	lb_send(&synack, in, &res, "SYN-ACK on the reused port");
	lb_expect_translated(&res, &want, &fx_src_ep, "SYN-ACK on the reused port");
}

/*
 * A direct connection to the backend on the client port a service flow
 * used: its SYN is a new connection, so the REPLY entry becomes its own and
 * the backend's answer is not made to come from the service.
 */
Test(lb4, direct_connection_on_a_service_flows_ports, .init = fx_setup, .fini = fx_teardown)
{
	struct pkt_ipv4 syn = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);
	struct pkt_ipv4 direct = lb_dnat(&syn, LB_BE1_ADDR, LB_BE_PORT);
	struct pkt_ipv4 synack = lb_reply_frame(IPPROTO_TCP, LB_BE1_ADDR, FX_SRC_ADDR, FX_SPORT,
						PKT_TCP_SYN | PKT_TCP_ACK, &lb_be1_ep);
	struct lb_tuple reply = lb_tuple_of(&synack);
	struct sluice_ct4_value v;
	struct fx_result res;
	__u8 in[PKT_MAX];

	lb_add_service(IPPROTO_TCP, LB_BE1_ADDR);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	lb_expect_to_backend(&syn, LB_BE1_ADDR, &lb_be1_ep, "SYN to the service");

	lb_send(&direct, in, &res, "SYN straight to the backend, same client port");
	lb_expect_translated(&res, &direct, &lb_be1_ep, "SYN straight to the backend");
	cr_assert(lb_ct_get(&reply, SLUICE_CT_REPLY, &v), "no REPLY entry");
	cr_expect_eq(v.flags & SLUICE_CT_F_NAT, 0, "the REPLY entry still translates");
	lb_send(&synack, in, &res, "SYN-ACK to the direct connection");
	lb_expect_translated(&res, &synack, &fx_src_ep, "SYN-ACK to the direct connection");
}
