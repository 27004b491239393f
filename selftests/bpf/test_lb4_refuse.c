// SPDX-License-Identifier: Apache-2.0
/*
 * A frontend without backends refuses connections the way a host with
 * nothing listening does, through tc_from_pod: the client's packet is
 * turned in place into an ICMP port unreachable from the service address
 * and sent back into the client pod. A header with options cannot be
 * quoted whole in the fixed-size error, so such a packet is dropped.
 */
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* What an ICMP error quotes: the IP header and 8 bytes of its data (RFC 792). */
#define QUOTE_L4_LEN 8
#define QUOTE_LEN (sizeof(struct iphdr) + QUOTE_L4_LEN)
/* The error's IP length: header, ICMP header, quote. */
#define ERR_IP_LEN (sizeof(struct iphdr) + sizeof(struct icmphdr) + QUOTE_LEN)
/* TTL of the error, as Linux sends its own. */
#define ERR_TTL 64
/* A payload that makes the client's frame longer than the error. */
#define LONG_PAYLOAD_LEN 100

struct refuse_case {
	const char *desc;
	__u8 proto;
	__u8 ihl;
	__u16 payload_len;
	bool refused;	/* else dropped */
};

static const struct refuse_case refuse_cases[] = {
	{ "TCP SYN, shorter than the error", IPPROTO_TCP, PKT_IHL_MIN, FX_PAYLOAD_LEN, true },
	{ "TCP SYN, longer than the error", IPPROTO_TCP, PKT_IHL_MIN, LONG_PAYLOAD_LEN, true },
	{ "UDP", IPPROTO_UDP, PKT_IHL_MIN, FX_PAYLOAD_LEN, true },
	{ "UDP without payload", IPPROTO_UDP, PKT_IHL_MIN, 0, true },
	{ "TCP SYN with IP options (ihl 6)", IPPROTO_TCP, PKT_IHL_ONE_OPTION, FX_PAYLOAD_LEN,
	  false },
	{ "UDP with IP options (ihl 6)", IPPROTO_UDP, PKT_IHL_ONE_OPTION, FX_PAYLOAD_LEN, false },
};

/* The ICMP error for the frame in[], as the program must have built it in out. */
static void expect_refusal(const struct fx_result *res, const __u8 *in, const char *desc)
{
	const struct ethhdr *in_eth = (const struct ethhdr *)in;
	const struct ethhdr *eth = (const struct ethhdr *)res->out;
	struct iphdr *iph = pkt_iph((void *)res->out);
	struct icmphdr *icmp = pkt_l4((void *)res->out);
	__u32 want_len = ETH_HLEN + ERR_IP_LEN;

	cr_assert_eq(res->retval, TC_ACT_REDIRECT, "%s: verdict %u, want TC_ACT_REDIRECT", desc,
		     res->retval);
	cr_assert_eq(res->out_len, want_len, "%s: output length %u, want %u", desc, res->out_len,
		     want_len);
	/* Back to the client, from the gateway MAC it sent to. */
	cr_assert_arr_eq(eth->h_dest, in_eth->h_source, ETH_ALEN,
			 "%s: Ethernet destination is not the client's MAC", desc);
	cr_assert_arr_eq(eth->h_source, in_eth->h_dest, ETH_ALEN,
			 "%s: Ethernet source is not the MAC the client sent to", desc);
	cr_assert_eq(ntohs(eth->h_proto), ETH_P_IP, "%s: EtherType %#06x, want IPv4", desc,
		     ntohs(eth->h_proto));

	cr_assert_eq(iph->version, IPVERSION, "%s: IP version %u", desc, iph->version);
	cr_assert_eq(iph->ihl, PKT_IHL_MIN, "%s: IP ihl %u, want %u", desc, iph->ihl,
		     PKT_IHL_MIN);
	cr_assert_eq(ntohs(iph->tot_len), ERR_IP_LEN, "%s: IP tot_len %u, want %zu", desc,
		     ntohs(iph->tot_len), ERR_IP_LEN);
	cr_assert_eq(iph->frag_off, 0, "%s: IP frag_off %#06x, want 0", desc,
		     ntohs(iph->frag_off));
	cr_assert_eq(iph->ttl, ERR_TTL, "%s: IP TTL %u, want %u", desc, iph->ttl, ERR_TTL);
	cr_assert_eq(iph->protocol, IPPROTO_ICMP, "%s: IP protocol %u, want ICMP", desc,
		     iph->protocol);
	cr_assert_eq(ntohl(iph->saddr), LB_VIP, "%s: IP source " LB_IP_FMT ", want the service",
		     desc, LB_IP_ARGS(ntohl(iph->saddr)));
	cr_assert_eq(ntohl(iph->daddr), FX_SRC_ADDR,
		     "%s: IP destination " LB_IP_FMT ", want the client", desc,
		     LB_IP_ARGS(ntohl(iph->daddr)));
	cr_assert(pkt_ipv4_csum_ok(iph), "%s: IP checksum %#06x invalid", desc,
		  ntohs(iph->check));

	cr_assert_eq(icmp->type, ICMP_DEST_UNREACH, "%s: ICMP type %u, want %u", desc,
		     icmp->type, ICMP_DEST_UNREACH);
	cr_assert_eq(icmp->code, ICMP_PORT_UNREACH, "%s: ICMP code %u, want %u", desc,
		     icmp->code, ICMP_PORT_UNREACH);
	cr_assert_eq(icmp->un.gateway, 0, "%s: ICMP unused word %#x, want 0", desc,
		     ntohl(icmp->un.gateway));
	cr_assert(pkt_l4_csum_ok(res->out, res->out_len),
		  "%s: ICMP checksum %#06x invalid over header and quote", desc,
		  ntohs(icmp->checksum));
	cr_assert_eq(fx_first_diff(icmp + 1, in + ETH_HLEN, QUOTE_LEN), -1,
		     "%s: quote differs from the client's IP header and %d L4 bytes at byte %d",
		     desc, QUOTE_L4_LEN, fx_first_diff(icmp + 1, in + ETH_HLEN, QUOTE_LEN));
}

ParameterizedTestParameters(lb4, refuse)
{
	static size_t idx[ARRAY_SIZE(refuse_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, refuse, .init = fx_setup, .fini = fx_teardown)
{
	const struct refuse_case *c = &refuse_cases[*i];
	/* Every backend gone: the agent leaves the frontend with a count of 0. */
	struct sluice_svc_value v = { .id = LB_SVC_ID, .count = 0 };
	struct pkt_ipv4 spec = lb_client_frame(c->proto, FX_SPORT, PKT_TCP_SYN);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len;

	spec.ihl = c->ihl;
	spec.payload_len = c->payload_len;
	lb_add_frontend(LB_VIP, LB_VIP_PORT, c->proto, SLUICE_SCOPE_INTERNAL, &v);
	len = lb_send(&spec, in, &res, c->desc);
	if (c->refused)
		expect_refusal(&res, in, c->desc);
	else
		fx_expect_untouched(&res, in, len, TC_ACT_SHOT, c->desc);
	/* Counted as refused either way: the decision was made before the error was built. */
	fx_expect_counted(res.delta, SLUICE_VERDICT_SVC_REFUSED, len, c->desc);
	lb_expect_ct_count(0, c->desc);
}
