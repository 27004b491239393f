// SPDX-License-Identifier: Apache-2.0
/*
 * Policy on what TCP and UDP frames do not show: SCTP, whose ports rules
 * name like TCP's, and later IP fragments, which hold no ports at all and
 * pass on their first fragment's verdict (untracked: without that first
 * fragment the receiver never reassembles them).
 */
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "policy_fixture.h"

/* A port a rule allows, and one it does not. */
#define ALLOWED_PORT 9899
#define OTHER_PORT 9900
/* A later fragment's offset, in 8-byte units. */
#define FRAG_OFFSET_UNITS 185
/* iphdr.frag_off's "more fragments" bit (host order). */
#define FRAG_MORE 0x2000

/* Puts the IPv4 header checksum right after a test changed the header. */
static void ip_csum_fix(struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;
	size_t i;

	iph->check = 0;
	for (i = 0; i < iph->ihl * 2u; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	iph->check = (__u16)~sum;
}

/* A frame from the source pod to the destination pod, sent through tc_from_pod. */
static __u32 run(__u8 in[PKT_MAX], __u32 len, struct fx_result *res, const char *desc)
{
	fx_run(fx_skel->progs.tc_from_pod, in, len, res, desc);
	return len;
}

/* The UDP frame of pf_flow() made an SCTP one: SCTP's ports sit where UDP's do. */
static __u32 build_sctp(__u16 dport, __u8 in[PKT_MAX], const char *desc)
{
	struct pkt_ipv4 spec = pf_flow(IPPROTO_UDP, FX_DST_ADDR, dport);
	__u32 len = fx_build(&spec, in, desc);

	pkt_iph(in)->protocol = IPPROTO_SCTP;
	ip_csum_fix(pkt_iph(in));
	return len;
}

Test(policy4, sctp_ports_match_rules, .init = pf_setup, .fini = pf_teardown)
{
	struct pf_table ingress = PF_RULES(PF_PORT(PF_SRC_ID, IPPROTO_SCTP, ALLOWED_PORT));
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	pf_set_table(SLUICE_DIR_INGRESS, FX_DST_ADDR, &ingress);
	len = run(in, build_sctp(ALLOWED_PORT, in, "SCTP to the allowed port"), &res,
		  "SCTP to the allowed port");
	fx_expect_delivered(&res, in, len, &fx_dst_ep, "SCTP to the allowed port");
	pf_expect_no_drop("SCTP to the allowed port");
	lb_expect_ct_count(LB_FLOW_ENTRIES, "SCTP to the allowed port: tracked");

	len = run(in, build_sctp(OTHER_PORT, in, "SCTP to another port"), &res,
		  "SCTP to another port");
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, "SCTP to another port");
	pf_expect_drop_keys(1, "SCTP to another port");
}

Test(policy4, later_fragment_passes_untracked, .init = pf_setup, .fini = pf_teardown)
{
	/* Only UDP 9899 may reach the pod; a later fragment cannot show its port. */
	struct pf_table ingress = PF_RULES(PF_PORT(PF_SRC_ID, IPPROTO_UDP, ALLOWED_PORT));
	struct pkt_ipv4 spec = pf_flow(IPPROTO_UDP, FX_DST_ADDR, ALLOWED_PORT);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	pf_set_table(SLUICE_DIR_INGRESS, FX_DST_ADDR, &ingress);
	len = fx_build(&spec, in, "later fragment");
	pkt_iph(in)->frag_off = htons(FRAG_OFFSET_UNITS);
	ip_csum_fix(pkt_iph(in));
	run(in, len, &res, "later fragment");
	fx_expect_delivered(&res, in, len, &fx_dst_ep, "later fragment");
	pf_expect_no_drop("later fragment");
	lb_expect_ct_count(0, "later fragment: nothing tracked");

	/* A first fragment (offset 0, more fragments) is judged by its ports. */
	spec = pf_flow(IPPROTO_UDP, FX_DST_ADDR, OTHER_PORT);
	len = fx_build(&spec, in, "first fragment");
	pkt_iph(in)->frag_off = htons(FRAG_MORE);
	ip_csum_fix(pkt_iph(in));
	run(in, len, &res, "first fragment to a denied port");
	fx_expect_untouched(&res, in, len, TC_ACT_SHOT, "first fragment to a denied port");
	pf_expect_drop_keys(1, "first fragment to a denied port");
}
