// SPDX-License-Identifier: Apache-2.0
/*
 * Which backend a flow gets from its frontend's Maglev table, through
 * tc_from_pod: a new flow the backend in the slot its 5-tuple hashes to;
 * a tracked flow the backend it started with, whatever the table says now,
 * until that backend is removed or its entry expires, when it is balanced
 * again by the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/* Client ports tried for a second flow hashing to another slot than the first. */
#define SPORT_TRIES 64

static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };

ParameterizedTestParameters(lb4, maglev_slot)
{
	static size_t idx[ARRAY_SIZE(protos)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

/*
 * A table naming backend 1 everywhere but in the one slot this flow hashes
 * to, which names backend 2: only the program's own slot choice lands there.
 */
ParameterizedTest(size_t *i, lb4, maglev_slot, .init = fx_setup, .fini = fx_teardown)
{
	__u8 proto = protos[*i];
	const char *name = proto == IPPROTO_TCP ? "TCP" : "UDP";
	struct pkt_ipv4 spec = lb_client_frame(proto, FX_SPORT, PKT_TCP_SYN);
	struct lb_tuple t = lb_tuple_of(&spec);
	__u32 size = lb_table_size(), slot = lb_maglev_slot(&t), n;
	__u32 *slots = calloc(size, sizeof(*slots));
	char desc[DESC_LEN];

	cr_assert_not_null(slots, "setup: Maglev table slots: out of memory");
	lb_add_service(proto, LB_BE1_ADDR);
	lb_add_backend(LB_BE2_ID, LB_BE2_ADDR, LB_BE_PORT, proto, LB_SVC_ID);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	fx_add_endpoint(LB_BE2_ADDR, &lb_be2_ep);
	for (n = 0; n < size; n++)
		slots[n] = LB_BE1_ID;
	slots[slot] = LB_BE2_ID;
	lb_set_table(LB_SVC_ID, slots);
	free(slots);

	snprintf(desc, sizeof(desc), "%s: flow hashing to slot %u", name, slot);
	lb_expect_to_backend(&spec, LB_BE2_ADDR, &lb_be2_ep, desc);

	/* Any other slot names backend 1: the pick above was no accident. */
	for (n = 1; n <= SPORT_TRIES; n++) {
		t.sport = FX_SPORT + n;
		if (lb_maglev_slot(&t) != slot)
			break;
	}
	cr_assert_leq(n, SPORT_TRIES, "%s: no client port hashes to another slot", desc);
	spec.sport = t.sport;
	snprintf(desc, sizeof(desc), "%s: flow hashing to slot %u", name, lb_maglev_slot(&t));
	lb_expect_to_backend(&spec, LB_BE1_ADDR, &lb_be1_ep, desc);
}

/* What happens to the flow's backend once the table names backend 2. */
enum change {
	KEEP_BACKEND,	/* backend 1 stays in sluice_backend4 */
	REMOVE_BACKEND,	/* backend 1 is deleted from sluice_backend4 */
	EXPIRE_ENTRY,	/* the flow's SERVICE entry is past its deadline */
};

struct change_case {
	const char *desc;
	enum change change;
	/* The backend the flow's next packet goes to. */
	__u32 want_id;
	__u32 want_addr;
	const struct sluice_endpoint_info *want_ep;
};

static const struct change_case change_cases[] = {
	{ "table changed, backend still there: conntrack wins", KEEP_BACKEND, LB_BE1_ID,
	  LB_BE1_ADDR, &lb_be1_ep },
	{ "table changed, backend removed: balanced again", REMOVE_BACKEND, LB_BE2_ID,
	  LB_BE2_ADDR, &lb_be2_ep },
	{ "table changed, CT entry expired: balanced again", EXPIRE_ENTRY, LB_BE2_ID,
	  LB_BE2_ADDR, &lb_be2_ep },
};

static void apply_change(enum change change, const struct lb_tuple *t, const char *desc)
{
	struct sluice_ct4_value v;

	switch (change) {
	case KEEP_BACKEND:
		break;
	case REMOVE_BACKEND:
		lb_del_backend(LB_BE1_ID);
		break;
	case EXPIRE_ENTRY:
		cr_assert(lb_ct_get(t, SLUICE_CT_SERVICE, &v), "%s: CT SERVICE entry missing",
			  desc);
		v.expires_ns = lb_now_ns();
		lb_ct_put(t, SLUICE_CT_SERVICE, &v);
		break;
	}
}

ParameterizedTestParameters(lb4, table_change)
{
	static size_t idx[ARRAY_SIZE(change_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, table_change, .init = fx_setup, .fini = fx_teardown)
{
	const struct change_case *c = &change_cases[*i];
	struct pkt_ipv4 syn = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);
	struct pkt_ipv4 ack = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_ACK);
	struct pkt_ipv4 other = lb_client_frame(IPPROTO_TCP, FX_SPORT + 1, PKT_TCP_SYN);
	struct pkt_ipv4 reply = lb_reply_frame(IPPROTO_TCP, c->want_addr, FX_SRC_ADDR, FX_SPORT,
					       PKT_TCP_ACK, c->want_ep);
	struct lb_tuple t = lb_tuple_of(&syn);
	/* Whichever backend it ends on, the next packet makes the flow established. */
	struct sluice_ct4_value fwd = {
		.svc_id = LB_SVC_ID,
		.backend_id = c->want_id,
		.flags = SLUICE_CT_F_ESTABLISHED,
	};
	struct pkt_ipv4 want;
	char desc[DESC_LEN];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u64 t0, t1;
	__u32 len;

	lb_add_service(IPPROTO_TCP, LB_BE1_ADDR);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	fx_add_endpoint(LB_BE2_ADDR, &lb_be2_ep);
	snprintf(desc, sizeof(desc), "%s: SYN", c->desc);
	lb_expect_to_backend(&syn, LB_BE1_ADDR, &lb_be1_ep, desc);

	/* Backend 2 first, then the table naming it, as the agent updates. */
	lb_add_backend(LB_BE2_ID, LB_BE2_ADDR, LB_BE_PORT, IPPROTO_TCP, LB_SVC_ID);
	lb_fill_table(LB_SVC_ID, LB_BE2_ID);
	apply_change(c->change, &t, desc);

	snprintf(desc, sizeof(desc), "%s: ACK", c->desc);
	t0 = lb_now_ns();
	lb_expect_to_backend(&ack, c->want_addr, c->want_ep, desc);
	t1 = lb_now_ns();
	lb_expect_ct(&t, SLUICE_CT_SERVICE, &fwd, SLUICE_CT_TCP_ESTABLISHED_S, t0, t1, desc);

	/* The backend it went to has a REPLY entry: its answer comes from the service. */
	snprintf(desc, sizeof(desc), "%s: backend's reply", c->desc);
	len = lb_send(&reply, in, &res, desc);
	want = lb_snat(&reply, LB_VIP, LB_VIP_PORT);
	lb_expect_translated(&res, &want, &fx_src_ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, desc);

	/* The new table is in force for new flows all along. */
	snprintf(desc, sizeof(desc), "%s: a new flow", c->desc);
	lb_expect_to_backend(&other, LB_BE2_ADDR, &lb_be2_ep, desc);
}
