// SPDX-License-Identifier: Apache-2.0
/*
 * tc_from_pod on frames whose IPv4 header contradicts itself: each must be
 * dropped and counted, without the program touching it. Every case starts
 * from a good frame to the destination pod, so that the one broken field is
 * the only reason not to deliver it.
 *
 * Frames too short to hold an IPv4 header at all are not here: since 6.18.y
 * (stable backport of "bpf: test_run: reject short IP/IPv6 headers", April
 * 2026) BPF_PROG_TEST_RUN refuses them with EINVAL before the program runs.
 * test_tc_pod_live.c sends them through a real veth instead.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "fixture.h"

/* ihl values below the 5-word minimum. */
#define IHL_ZERO 0
#define IHL_SHORT 4
/* Version numbers other than 4 behind the IPv4 EtherType. */
#define VERSION_ZERO 0
#define VERSION_IPV6 6

struct malformed_case {
	const char *desc;
	/* Breaks the good frame in place; its tot_len is its true IP length. */
	void (*mutate)(__u8 *frame);
};

/*
 * Recomputes the header checksum after a field changed, so that a stale sum
 * is never a second reason to drop. Only where ihl still matches the bytes
 * present: a broken ihl leaves no sum to get right.
 */
static void restamp(struct iphdr *iph)
{
	iph->check = pkt_ipv4_csum(iph);
}

static void ihl_zero(__u8 *frame)
{
	pkt_iph(frame)->ihl = IHL_ZERO;
}

static void ihl_short(__u8 *frame)
{
	pkt_iph(frame)->ihl = IHL_SHORT;
}

static void version(__u8 *frame, __u8 v)
{
	pkt_iph(frame)->version = v;
	restamp(pkt_iph(frame));
}

static void version_zero(__u8 *frame)
{
	version(frame, VERSION_ZERO);
}

static void version_ipv6(__u8 *frame)
{
	version(frame, VERSION_IPV6);
}

static void tot_len(__u8 *frame, __u16 v)
{
	pkt_iph(frame)->tot_len = htons(v);
	restamp(pkt_iph(frame));
}

static void tot_len_zero(__u8 *frame)
{
	tot_len(frame, 0);
}

static void tot_len_below_ihl(__u8 *frame)
{
	tot_len(frame, pkt_iph(frame)->ihl * PKT_WORD_LEN - 1);
}

static void tot_len_past_end(__u8 *frame)
{
	tot_len(frame, ntohs(pkt_iph(frame)->tot_len) + 1);
}

/*
 * ihl 15 claims 60 header bytes, more than the packet's whole IP part;
 * tot_len keeps its true, smaller value.
 */
static void ihl_past_end(__u8 *frame)
{
	cr_assert_lt(ntohs(pkt_iph(frame)->tot_len), PKT_IHL_MAX * PKT_WORD_LEN,
		     "base frame must be shorter than ihl 15 claims");
	pkt_iph(frame)->ihl = PKT_IHL_MAX;
}

/* As above, with tot_len agreeing with ihl: then both run past the end. */
static void ihl_and_tot_len_past_end(__u8 *frame)
{
	ihl_past_end(frame);
	pkt_iph(frame)->tot_len = htons(PKT_IHL_MAX * PKT_WORD_LEN);
}

static const struct malformed_case malformed_cases[] = {
	{ "ihl 0", ihl_zero },
	{ "ihl 4", ihl_short },
	{ "version 0", version_zero },
	{ "version 6 behind the IPv4 EtherType", version_ipv6 },
	{ "tot_len 0", tot_len_zero },
	{ "tot_len one less than ihl*4", tot_len_below_ihl },
	{ "tot_len one more than the packet", tot_len_past_end },
	{ "ihl*4 beyond the packet, tot_len below ihl*4", ihl_past_end },
	{ "ihl*4 and tot_len beyond the packet", ihl_and_tot_len_past_end },
};

ParameterizedTestParameters(tc_from_pod, malformed)
{
	static size_t idx[ARRAY_SIZE(malformed_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, tc_from_pod, malformed, .init = fx_setup,
		  .fini = fx_teardown)
{
	const struct malformed_case *c = &malformed_cases[*i];
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = fx_build(&spec, in, c->desc);

	c->mutate(in);
	fx_run(fx_skel->progs.tc_from_pod, in, len, &res, c->desc);
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, c->desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_DROP_MALFORMED, len, c->desc);
}
