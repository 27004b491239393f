// SPDX-License-Identifier: Apache-2.0
/*
 * tc_from_pod and tc_to_pod on well-formed frames: the verdict each kind of
 * frame gets, what is counted, and what a delivered frame looks like. One
 * table, Katran style: a description, an input builder, the verdict to count
 * and whether the frame is delivered to the destination pod or passed on
 * untouched.
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "fixture.h"

/* Ethernet padding in the padded case: not zero, so that clearing it shows. */
#define PAD_BYTE 0xa5

struct fwd_case {
	const char *desc;
	/* Writes the input frame into buf (PKT_MAX bytes); returns its length. */
	__u32 (*build)(void *buf, const char *desc);
	enum sluice_verdict verdict;
	/* Delivered to the destination pod, or else TC_ACT_OK and untouched. */
	bool delivered;
};

static __u32 build_tcp(void *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_TCP);

	return fx_build(&spec, buf, desc);
}

static __u32 build_udp(void *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);

	return fx_build(&spec, buf, desc);
}

static __u32 build_icmp(void *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_ICMP);

	return fx_build(&spec, buf, desc);
}

static __u32 build_one_option(void *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_TCP);

	spec.ihl = PKT_IHL_ONE_OPTION;
	return fx_build(&spec, buf, desc);
}

static __u32 build_max_options(void *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);

	spec.ihl = PKT_IHL_MAX;
	return fx_build(&spec, buf, desc);
}

/*
 * Padded to Ethernet's minimum frame, as short frames arrive: tot_len is
 * below the frame's length and the padding must pass through as it is.
 */
static __u32 build_padded(void *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);
	__u32 len;

	spec.payload_len = 0;
	len = fx_build(&spec, buf, desc);
	cr_assert_lt(len, ETH_ZLEN, "%s: frame needs padding", desc);
	memset((__u8 *)buf + len, PAD_BYTE, ETH_ZLEN - len);
	return ETH_ZLEN;
}

static __u32 build_ttl(void *buf, __u8 ttl, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_UDP);

	spec.ttl = ttl;
	return fx_build(&spec, buf, desc);
}

static __u32 build_ttl_2(void *buf, const char *desc)
{
	return build_ttl(buf, 2, desc);
}

static __u32 build_ttl_1(void *buf, const char *desc)
{
	return build_ttl(buf, 1, desc);
}

static __u32 build_ttl_0(void *buf, const char *desc)
{
	return build_ttl(buf, 0, desc);
}

static __u32 build_remote_dst(void *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_TCP);

	spec.daddr = htonl(FX_REMOTE_ADDR);
	return fx_build(&spec, buf, desc);
}

static __u32 build_arp(void *buf, const char *desc)
{
	int len = pkt_build_arp(buf, PKT_MAX);

	cr_assert_gt(len, 0, "%s: build the input frame", desc);
	return len;
}

static __u32 build_ipv6(void *buf, const char *desc)
{
	int len = pkt_build_ipv6(buf, PKT_MAX);

	cr_assert_gt(len, 0, "%s: build the input frame", desc);
	return len;
}

static const struct fwd_case fwd_cases[] = {
	{ "TCP to a local pod", build_tcp, SLUICE_VERDICT_REDIRECT_LOCAL, true },
	{ "UDP to a local pod", build_udp, SLUICE_VERDICT_REDIRECT_LOCAL, true },
	{ "ICMP echo to a local pod", build_icmp, SLUICE_VERDICT_REDIRECT_LOCAL, true },
	{ "IP options (ihl 6) to a local pod", build_one_option,
	  SLUICE_VERDICT_REDIRECT_LOCAL, true },
	{ "IP options (ihl 15) to a local pod", build_max_options,
	  SLUICE_VERDICT_REDIRECT_LOCAL, true },
	{ "padded to 60 bytes, to a local pod", build_padded,
	  SLUICE_VERDICT_REDIRECT_LOCAL, true },
	{ "TTL 2 to a local pod", build_ttl_2, SLUICE_VERDICT_REDIRECT_LOCAL, true },
	{ "TTL 1 to a local pod", build_ttl_1, SLUICE_VERDICT_PASS_STACK, false },
	{ "TTL 0 to a local pod", build_ttl_0, SLUICE_VERDICT_PASS_STACK, false },
	{ "TCP to a pod on another node", build_remote_dst, SLUICE_VERDICT_PASS_STACK, false },
	{ "ARP request", build_arp, SLUICE_VERDICT_PASS_NON_IP, false },
	{ "IPv6", build_ipv6, SLUICE_VERDICT_PASS_NON_IP, false },
};

ParameterizedTestParameters(tc_from_pod, forwarding)
{
	static size_t idx[ARRAY_SIZE(fwd_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, tc_from_pod, forwarding, .init = fx_setup,
		  .fini = fx_teardown)
{
	const struct fwd_case *c = &fwd_cases[*i];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = c->build(in, c->desc);

	fx_run(fx_skel->progs.tc_from_pod, in, len, &res, c->desc);
	if (c->delivered)
		fx_expect_delivered(&res, in, len, &fx_dst_ep, c->desc);
	else
		fx_expect_untouched(&res, in, len, TC_ACT_OK, c->desc);
	fx_expect_counted(res.delta, c->verdict, len, c->desc);
}

ParameterizedTestParameters(tc_to_pod, passes_all)
{
	static size_t idx[ARRAY_SIZE(fwd_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

/*
 * Towards a pod that no ingress policy isolates (the fixture sets none),
 * every frame goes on untouched, counted; test_policy4_to_pod.c isolates it.
 */
ParameterizedTest(size_t *i, tc_to_pod, passes_all, .init = fx_setup,
		  .fini = fx_teardown)
{
	const struct fwd_case *c = &fwd_cases[*i];
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = c->build(in, c->desc);

	fx_run(fx_skel->progs.tc_to_pod, in, len, &res, c->desc);
	fx_expect_untouched(&res, in, len, TC_ACT_OK, c->desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_TO_POD_STACK, len, c->desc);
}
