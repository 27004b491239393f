// SPDX-License-Identifier: Apache-2.0
/*
 * The TTL decrement patches the header checksum incrementally (RFC 1624)
 * rather than summing the header again. Adding 0x0100 to the checksum is
 * easy to get wrong where ones' complement arithmetic wraps: at the two
 * forms of zero and where the high byte carries around. Each case finds a
 * header whose checksum is one of those values and checks that the
 * delivered frame's checksum is what a full recomputation gives.
 */
#include <stdbool.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "fixture.h"

/* Every value the 16-bit IP ID field can take. */
#define IP_ID_COUNT 0x10000
/* The second form of zero in ones' complement: all bits set. */
#define CSUM_NEGATIVE_ZERO 0xffff

struct csum_case {
	const char *desc;
	__u16 check;		/* the input header's checksum, host order */
	bool negative_zero;	/* then send check 0x0000 as 0xffff, its other form */
};

static const struct csum_case csum_cases[] = {
	{ "check 0x0000 (header sums to all ones)", 0x0000, false },
	{ "check 0xffff (0x0000 in its other form)", 0x0000, true },
	{ "check 0xfeff (+0x0100 reaches all ones)", 0xfeff, false },
	{ "check 0xff00 (high byte carries around)", 0xff00, false },
	{ "check 0xfffe (carry lands in the low byte)", 0xfffe, false },
};

/*
 * Builds a frame of the test flow whose header checksum is `check`. Only
 * the IP ID varies, so L4 and its checksum stay the same; as the ID runs
 * through all its values the checksum reaches every value but 0xffff.
 */
static __u32 build_with_check(__u8 *buf, __u16 check, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);
	__u32 id, len = 0;

	for (id = 0; id < IP_ID_COUNT; id++) {
		spec.id = id;
		len = fx_build(&spec, buf, desc);
		if (ntohs(pkt_iph(buf)->check) == check)
			return len;
	}
	cr_assert_fail("%s: no IP ID gives checksum %#06x", desc, check);
	return len;
}

ParameterizedTestParameters(tc_from_pod, ttl_csum)
{
	static size_t idx[ARRAY_SIZE(csum_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, tc_from_pod, ttl_csum, .init = fx_setup,
		  .fini = fx_teardown)
{
	const struct csum_case *c = &csum_cases[*i];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = build_with_check(in, c->check, c->desc);

	if (c->negative_zero)
		pkt_iph(in)->check = htons(CSUM_NEGATIVE_ZERO);
	cr_assert(pkt_ipv4_csum_ok(pkt_iph(in)), "%s: input checksum valid", c->desc);

	fx_run(fx_skel->progs.tc_from_pod, in, len, &res, c->desc);
	fx_expect_delivered(&res, in, len, &fx_dst_ep, c->desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, c->desc);
}
