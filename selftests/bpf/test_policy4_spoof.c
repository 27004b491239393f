// SPDX-License-Identifier: Apache-2.0
/*
 * Source verification in tc_from_pod: identity goes by address, so a pod
 * may only send from its own address, with its own MAC, on its own veth.
 * Anything else is dropped before any translation or policy, counted as
 * spoofed under one key whatever address it claimed, and reported. One
 * table: where the frame comes in, with which source address and MAC.
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "policy_fixture.h"

/* A pod address no endpoint on this node has (10.244.0.99). */
#define STRANGER_ADDR 0x0af40063

/* A MAC no pod here has; locally administered like the fixture's. */
static const __u8 stranger_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x66 };

struct spoof_case {
	const char *desc;
	__u8 proto;
	__u32 saddr;			/* host order */
	const __u8 *src_mac;
	__u32 daddr;			/* host order: the other pod, or the service */
	__u32 ifindex;			/* the veth it comes in on */
	bool spoofed;			/* else delivered to the destination pod */
};

static const struct spoof_case spoof_cases[] = {
	{ "own address, MAC and veth", IPPROTO_TCP, FX_SRC_ADDR, fx_src_ep.pod_mac, FX_DST_ADDR,
	  FX_SRC_IFINDEX, false },
	{ "an address no endpoint has", IPPROTO_TCP, STRANGER_ADDR, fx_src_ep.pod_mac,
	  FX_DST_ADDR, FX_SRC_IFINDEX, true },
	{ "ICMP from an address no endpoint has", IPPROTO_ICMP, STRANGER_ADDR,
	  fx_src_ep.pod_mac, FX_DST_ADDR, FX_SRC_IFINDEX, true },
	{ "an address no endpoint has, to a service", IPPROTO_TCP, STRANGER_ADDR,
	  fx_src_ep.pod_mac, LB_VIP, FX_SRC_IFINDEX, true },
	{ "the other pod's address, own MAC", IPPROTO_TCP, FX_DST_ADDR, fx_src_ep.pod_mac,
	  FX_DST_ADDR, FX_SRC_IFINDEX, true },
	{ "the other pod's address and MAC, own veth", IPPROTO_TCP, FX_DST_ADDR,
	  fx_dst_ep.pod_mac, FX_DST_ADDR, FX_SRC_IFINDEX, true },
	{ "own address, a MAC no pod has", IPPROTO_UDP, FX_SRC_ADDR, stranger_mac, FX_DST_ADDR,
	  FX_SRC_IFINDEX, true },
	{ "own address, the other pod's MAC", IPPROTO_TCP, FX_SRC_ADDR, fx_dst_ep.pod_mac,
	  FX_DST_ADDR, FX_SRC_IFINDEX, true },
	{ "own address and MAC on the other pod's veth", IPPROTO_TCP, FX_SRC_ADDR,
	  fx_src_ep.pod_mac, FX_DST_ADDR, FX_DST_IFINDEX, true },
};

ParameterizedTestParameters(policy4, spoofed_source)
{
	static size_t idx[ARRAY_SIZE(spoof_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, policy4, spoofed_source, .init = pf_setup, .fini = pf_teardown)
{
	const struct spoof_case *c = &spoof_cases[*i];
	struct pkt_ipv4 spec = pf_flow(c->proto, c->daddr, FX_DPORT);
	/* No identity: the source is not who it claims to be. */
	struct sluice_event want = pf_event(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_SPOOFED,
					    SLUICE_DIR_EGRESS, &spec, SLUICE_IDENTITY_ANY,
					    SLUICE_IDENTITY_ANY, c->ifindex, SLUICE_POLICY_ID_NONE);
	struct fx_result res;
	struct pf_when when;
	__u8 in[PKT_MAX];
	__u32 len;

	/* A service a spoofed frame could be translated for, were it let that far. */
	lb_add_service(IPPROTO_TCP, FX_DST_ADDR);
	spec.saddr = htonl(c->saddr);
	memcpy(spec.src_mac, c->src_mac, ETH_ALEN);
	want.saddr = spec.saddr;
	len = fx_build(&spec, in, c->desc);
	when.t0 = lb_now_ns();
	fx_run_on(fx_skel->progs.tc_from_pod, c->ifindex, in, len, &res, c->desc);
	when.t1 = lb_now_ns();

	if (!c->spoofed) {
		fx_expect_delivered(&res, in, len, &fx_dst_ep, c->desc);
		fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, c->desc);
		pf_expect_no_drop(c->desc);
		return;
	}
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, c->desc);
	pf_expect_drop(&res, len, &want, SLUICE_DROP_ENDPOINT_FORGED, &when, c->desc);
	pf_expect_drop_keys(1, c->desc);
	lb_expect_ct_count(0, c->desc);
}

/* Forged addresses a pod cycles through: each would have been a key of its own. */
#define FORGED_ADDRS 64

/*
 * A pod sending from ever new addresses must not fill sluice_drops: every
 * spoofed drop counts under one key, and each is still reported with the
 * address it claimed.
 */
Test(policy4, spoofed_sources_share_one_counter, .init = pf_setup, .fini = pf_teardown)
{
	struct pkt_ipv4 spec = pf_flow(IPPROTO_UDP, FX_DST_ADDR, FX_DPORT);
	struct sluice_counter c;
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 i, len = 0;

	for (i = 0; i < FORGED_ADDRS; i++) {
		spec.saddr = htonl(STRANGER_ADDR + i);
		len = fx_build(&spec, in, "forged");
		fx_run_on(fx_skel->progs.tc_from_pod, FX_SRC_IFINDEX, in, len, &res, "forged");
		cr_assert_eq(res.retval, TC_ACT_SHOT, "forged source %u: verdict %u", i,
			     res.retval);
	}
	pf_expect_drop_keys(1, "forged sources");
	c = pm_drops(SLUICE_DROP_ENDPOINT_FORGED, SLUICE_VERDICT_DROP_SPOOFED);
	cr_assert_eq(c.packets, FORGED_ADDRS, "%llu spoofed drops counted, want %u",
		     (unsigned long long)c.packets, FORGED_ADDRS);
	cr_assert_eq(c.bytes, (__u64)FORGED_ADDRS * len, "%llu spoofed bytes counted",
		     (unsigned long long)c.bytes);
}
