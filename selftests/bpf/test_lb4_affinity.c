// SPDX-License-Identifier: Apache-2.0
/*
 * sessionAffinity: ClientIP, through tc_from_pod: a frontend with
 * SLUICE_SVC_F_AFFINITY records which backend each client got, and a new
 * flow of that client goes there again, whatever the Maglev table says,
 * while the record is younger than the frontend's timeout and its backend
 * still exists. Every table here names backend 2, so going to backend 1
 * can only come from an affinity record.
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Room for a case's description and the step it is at. */
#define DESC_LEN 160
/*
 * The frontend's affinity timeout. Short, unlike Kubernetes' 3 h default:
 * records aged past it are dated that far back on CLOCK_MONOTONIC, which
 * counts from boot, so the machine need only have been up this long.
 */
#define AFFINITY_TIMEOUT_S 10
/* Age of a record well within the timeout. */
#define AGE_FRESH_S 1
/* Age of a record just past it. */
#define AGE_STALE_S (AFFINITY_TIMEOUT_S + 1)
/* A backend id that is in no map. */
#define BE_GONE_ID 99

/*
 * The service with both backends, affinity as `flags` says, and a table
 * naming table_id everywhere; both backends are local pods.
 */
static void add_affinity_service(__u16 flags, __u32 table_id)
{
	struct sluice_svc_value v = {
		.id = LB_SVC_ID,
		.count = 1,
		.flags = flags,
		.affinity_timeout = AFFINITY_TIMEOUT_S,
	};

	lb_add_backend(LB_BE1_ID, LB_BE1_ADDR, LB_BE_PORT, IPPROTO_TCP, LB_SVC_ID);
	lb_add_backend(LB_BE2_ID, LB_BE2_ADDR, LB_BE_PORT, IPPROTO_TCP, LB_SVC_ID);
	lb_fill_table(LB_SVC_ID, table_id);
	lb_add_frontend(LB_VIP, LB_VIP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, &v);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	fx_add_endpoint(LB_BE2_ADDR, &lb_be2_ep);
}

/* A SYN from client (host order) on sport: a new flow to the service. */
static struct pkt_ipv4 new_flow(__u32 client, const struct sluice_endpoint_info *client_ep,
				__u16 sport)
{
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_TCP, sport, PKT_TCP_SYN);

	spec.saddr = htonl(client);
	memcpy(spec.src_mac, client_ep->pod_mac, ETH_ALEN);
	memcpy(spec.dst_mac, client_ep->host_mac, ETH_ALEN);
	return spec;
}

/* client's record names backend_id and was last used between lo and hi. */
static void expect_affinity(__u32 client, __u32 backend_id, __u64 lo, __u64 hi,
			    const char *desc)
{
	struct sluice_affinity_value v;

	cr_assert(lb_affinity_get(client, LB_SVC_ID, &v), "%s: affinity record of " LB_IP_FMT
		  " missing", desc, LB_IP_ARGS(client));
	cr_assert_eq(v.backend_id, backend_id, "%s: affinity backend_id %u, want %u", desc,
		     v.backend_id, backend_id);
	cr_assert(v.last_used_ns >= lo && v.last_used_ns <= hi,
		  "%s: affinity last_used_ns %llu, want within [%llu, %llu]", desc,
		  (unsigned long long)v.last_used_ns, (unsigned long long)lo,
		  (unsigned long long)hi);
}

Test(lb4, affinity_sticks, .init = fx_setup, .fini = fx_teardown)
{
	struct pkt_ipv4 first = new_flow(FX_SRC_ADDR, &fx_src_ep, FX_SPORT);
	struct pkt_ipv4 second = new_flow(FX_SRC_ADDR, &fx_src_ep, FX_SPORT + 1);
	struct pkt_ipv4 other = new_flow(FX_DST_ADDR, &fx_dst_ep, FX_SPORT);
	__u64 t0, t1;

	add_affinity_service(SLUICE_SVC_F_AFFINITY, LB_BE1_ID);
	t0 = lb_now_ns();
	lb_expect_to_backend(&first, LB_BE1_ADDR, &lb_be1_ep, "first flow");
	t1 = lb_now_ns();
	expect_affinity(FX_SRC_ADDR, LB_BE1_ID, t0, t1, "first flow");

	lb_fill_table(LB_SVC_ID, LB_BE2_ID);
	t0 = lb_now_ns();
	lb_expect_to_backend(&second, LB_BE1_ADDR, &lb_be1_ep, "second flow, table changed");
	t1 = lb_now_ns();
	expect_affinity(FX_SRC_ADDR, LB_BE1_ID, t0, t1, "second flow, table changed");

	/* Records are per client: another one gets the table's backend. */
	t0 = lb_now_ns();
	lb_expect_to_backend(&other, LB_BE2_ADDR, &lb_be2_ep, "another client");
	t1 = lb_now_ns();
	expect_affinity(FX_DST_ADDR, LB_BE2_ID, t0, t1, "another client");
}

struct record_case {
	const char *desc;
	__u16 svc_flags;
	/* The client's record before its new flow: backend and age. */
	__u32 old_id;
	__u32 old_age_s;
	/* Where the new flow goes, and what the record holds after it. */
	__u32 want_addr;
	const struct sluice_endpoint_info *want_ep;
	__u32 want_id;
	bool refreshed;	/* last used now, else untouched */
};

static const struct record_case record_cases[] = {
	{ "fresh record wins over the table", SLUICE_SVC_F_AFFINITY, LB_BE1_ID, AGE_FRESH_S,
	  LB_BE1_ADDR, &lb_be1_ep, LB_BE1_ID, true },
	{ "record older than the timeout is ignored", SLUICE_SVC_F_AFFINITY, LB_BE1_ID,
	  AGE_STALE_S, LB_BE2_ADDR, &lb_be2_ep, LB_BE2_ID, true },
	{ "record naming a removed backend is ignored", SLUICE_SVC_F_AFFINITY, BE_GONE_ID,
	  AGE_FRESH_S, LB_BE2_ADDR, &lb_be2_ep, LB_BE2_ID, true },
	{ "frontend without affinity ignores the record", 0, LB_BE1_ID, AGE_FRESH_S,
	  LB_BE2_ADDR, &lb_be2_ep, LB_BE1_ID, false },
};

ParameterizedTestParameters(lb4, affinity_record)
{
	static size_t idx[ARRAY_SIZE(record_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, affinity_record, .init = fx_setup, .fini = fx_teardown)
{
	const struct record_case *c = &record_cases[*i];
	struct pkt_ipv4 spec = new_flow(FX_SRC_ADDR, &fx_src_ep, FX_SPORT);
	__u64 age = c->old_age_s * LB_NSEC_PER_SEC, now = lb_now_ns(), t0, t1;
	struct sluice_affinity_value old = { .backend_id = c->old_id };

	cr_assert_gt(now, age, "setup: the clock has run for less than %u s since boot",
		     c->old_age_s);
	old.last_used_ns = now - age;
	add_affinity_service(c->svc_flags, LB_BE2_ID);
	lb_affinity_put(FX_SRC_ADDR, LB_SVC_ID, &old);

	t0 = lb_now_ns();
	lb_expect_to_backend(&spec, c->want_addr, c->want_ep, c->desc);
	t1 = lb_now_ns();
	if (c->refreshed)
		expect_affinity(FX_SRC_ADDR, c->want_id, t0, t1, c->desc);
	else
		expect_affinity(FX_SRC_ADDR, c->want_id, old.last_used_ns, old.last_used_ns,
				c->desc);
}
