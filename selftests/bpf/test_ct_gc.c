// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's conntrack garbage collection on a real sluice_ct4: expired
 * entries go, live ones stay, across more than one batch of the walk; and
 * an entry the datapath made anew after the walk read its expired
 * predecessor survives the removal.
 */
#include <criterion/criterion.h>
#include <bpf/libbpf.h>

#include "agent/ct_gc.h"
#include "lb_fixture.h"

/* More than one of the pass's batches (4096 entries): its walk must go on. */
#define EXPIRED_N 5000
#define LIVE_N 7
/* How far from now the test's deadlines are. */
#define AGO_NS (5 * LB_NSEC_PER_SEC)
#define AHEAD_NS (60 * LB_NSEC_PER_SEC)

static int ct_fd(void)
{
	return bpf_map__fd(fx_skel->maps.SLUICE_MAP_CT4);
}

/* Flow i of the test: a client port each, to one server. */
static struct lb_tuple flow(__u32 i)
{
	struct lb_tuple t = { FX_SRC_ADDR + i / 0xffff, FX_DST_ADDR, (__u16)(1 + i % 0xffff),
			      FX_DPORT, IPPROTO_TCP };

	return t;
}

Test(ct_gc, removes_expired_and_keeps_live, .init = fx_setup, .fini = fx_teardown)
{
	struct sluice_ct4_value old = { .expires_ns = lb_now_ns() - AGO_NS };
	struct sluice_ct4_value live = { .expires_ns = lb_now_ns() + AHEAD_NS, .svc_id = 9 };
	struct sluice_ct4_value got;
	struct lb_tuple t;
	unsigned long left = 0;
	__u32 i;

	for (i = 0; i < EXPIRED_N; i++) {
		t = flow(i);
		lb_ct_put(&t, SLUICE_CT_FORWARD, &old);
	}
	for (i = 0; i < LIVE_N; i++) {
		t = flow(EXPIRED_N + i);
		lb_ct_put(&t, SLUICE_CT_REPLY, &live);
	}
	cr_assert_eq(ct_gc_pass(ct_fd(), &left), EXPIRED_N, "removed");
	cr_assert_eq(left, LIVE_N, "kept %lu", left);
	cr_assert_eq(lb_ct_count(), LIVE_N, "entries left");
	for (i = 0; i < LIVE_N; i++) {
		t = flow(EXPIRED_N + i);
		cr_assert(lb_ct_get(&t, SLUICE_CT_REPLY, &got), "live entry %u gone", i);
		cr_assert_eq(got.svc_id, live.svc_id, "live entry %u changed", i);
	}
	cr_assert_eq(ct_gc_pass(ct_fd(), &left), 0, "second pass: nothing to remove");
}

/* What a pass does with each key it read as expired, whatever happened since. */
Test(ct_gc, an_entry_made_anew_since_the_read_stays, .init = fx_setup, .fini = fx_teardown)
{
	__u64 now = lb_now_ns();
	struct sluice_ct4_value old = { .expires_ns = now - AGO_NS };
	struct sluice_ct4_value anew = { .expires_ns = now + AHEAD_NS, .backend_id = 4 };
	struct lb_tuple t = flow(0), gone = flow(1);
	struct sluice_ct4_key k, kg;
	struct sluice_ct4_value got;

	lb_ct_key(&k, &t, SLUICE_CT_SERVICE);
	lb_ct_key(&kg, &gone, SLUICE_CT_SERVICE);
	/* The datapath made the key anew after the pass read it expired. */
	lb_ct_put(&t, SLUICE_CT_SERVICE, &anew);
	cr_assert_eq(ct_gc_remove_expired(ct_fd(), &k, now), 0, "a live entry was removed");
	cr_assert(lb_ct_get(&t, SLUICE_CT_SERVICE, &got), "the live entry is gone");
	cr_assert_eq(got.backend_id, anew.backend_id, "the live entry changed");
	cr_assert_eq(got.expires_ns, anew.expires_ns, "the live entry's deadline changed");

	lb_ct_put(&t, SLUICE_CT_SERVICE, &old);
	cr_assert_eq(ct_gc_remove_expired(ct_fd(), &k, now), 1, "the expired entry stayed");
	cr_assert_not(lb_ct_get(&t, SLUICE_CT_SERVICE, &got), "the expired entry is still there");
	cr_assert_eq(ct_gc_remove_expired(ct_fd(), &kg, now), 0, "a missing key counted");
}
