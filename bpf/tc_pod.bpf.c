// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC programs on the host side of every pod veth. Ingress there is traffic
 * leaving the pod; egress is traffic the host stack sends to the pod.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/config.h"
#include "lib/parse.h"
#include "lib/verdict.h"
#include "lib/endpoint.h"
#include "lib/lb4.h"
#include "lib/icmp4.h"
#include "lib/fib4.h"
#include "lib/node4.h"
#include "lib/policy4.h"
#include "lib/masq4.h"

/* Ethernet plus the fixed IPv4 header: what forwarding reads and writes. */
#define POD_PULL_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr))

/* Re-reads the Ethernet and IPv4 headers after a helper changed the packet. */
static __always_inline int reparse(struct __sk_buff *skb, struct ethhdr **eth,
				   struct iphdr **iph)
{
	struct cursor c;

	if (revalidate_pull(skb, &c, POD_PULL_LEN) < 0)
		return -1;
	*eth = parse_ethhdr(&c);
	if (!*eth)
		return -1;
	*iph = c.pos;
	if ((void *)(*iph + 1) > c.end)
		return -1;
	return 0;
}

/* Parses an IPv4 frame into its headers and 5-tuple; -1 when malformed. */
static __always_inline int parse4(struct __sk_buff *skb, struct ethhdr **eth, struct iphdr **iph,
				  struct flow4 *f)
{
	struct cursor c;

	if (revalidate_pull(skb, &c, POD_PULL_LEN) < 0)
		return -1;
	*eth = parse_ethhdr(&c);
	if (!*eth)
		return -1;
	*iph = parse_iphdr(&c, skb->len - sizeof(**eth));
	if (!*iph || flow4_parse(skb, *iph, f) < 0)
		return -1;
	/* flow4_parse may have pulled: the pointers are re-derived. */
	return reparse(skb, eth, iph);
}

static __always_inline int drop(struct __sk_buff *skb, enum sluice_verdict why)
{
	count_verdict(skb, why);
	return TC_ACT_SHOT;
}

SEC("tc")
int SLUICE_PROG_FROM_POD(struct __sk_buff *skb)
{
	struct pol_end src = {}, dst = {};
	struct sluice_endpoint_info *ep;
	struct lb_out lb = {};
	struct ethhdr *eth;
	struct iphdr *iph;
	struct flow4 f;
	__be32 saddr, node_addr;
	int why;

	if (skb->protocol != bpf_htons(ETH_P_IP)) {
		count_verdict(skb, SLUICE_VERDICT_PASS_NON_IP);
		return TC_ACT_OK;
	}
	if (parse4(skb, &eth, &iph, &f) < 0)
		return drop(skb, SLUICE_VERDICT_DROP_MALFORMED);
	why = spoof_check(skb, eth, &f, &src);
	if (why)
		return drop(skb, why);
	saddr = f.saddr;

	switch (lb4_forward_any(skb, &f, SLUICE_SCOPE_INTERNAL, &lb)) {
	case LB_PASS:
	case LB_DONE:
		break;
	case LB_REFUSE:
		count_verdict(skb, SLUICE_VERDICT_SVC_REFUSED);
		return icmp4_refuse(skb);
	case LB_DROP:
		return drop(skb, lb.verdict);
	}
	if (reparse(skb, &eth, &iph) < 0)
		return drop(skb, SLUICE_VERDICT_DROP_MALFORMED);

	ep = endpoint_lookup4(f.daddr);
	if (ep)
		pol_end_set(&dst, f.daddr, ep->ifindex);
	if (!lb.reply) {
		why = policy4_flow(skb, &f, saddr, &src, &dst, &lb.pending);
		if (why)
			return drop(skb, why);
	}
	if (!ep) {
		enum sluice_verdict v;
		int ret = node4_forward(skb, iph, &v);

		if (ret != NODE4_NOT_REMOTE) {
			count_verdict(skb, v);
			return ret;
		}
		/*
		 * A reply to a client outside the node or to another node's host
		 * goes back by the routing table, as the stack would forward it.
		 */
		if (lb.reply || lb.external) {
			ret = fib4_forward(skb, iph);
			count_verdict(skb, ret == TC_ACT_REDIRECT ? SLUICE_VERDICT_FORWARD_NET :
								    SLUICE_VERDICT_PASS_STACK);
			return ret;
		}
		if (masq4_wanted(&f, &node_addr)) {
			why = snat4_out(skb, &f, node_addr);
			if (why)
				return drop(skb, why);
			if (reparse(skb, &eth, &iph) < 0)
				return drop(skb, SLUICE_VERDICT_DROP_MALFORMED);
			ret = fib4_forward(skb, iph);
			count_verdict(skb, ret == TC_ACT_REDIRECT ? SLUICE_VERDICT_MASQUERADE :
								    SLUICE_VERDICT_PASS_STACK);
			return ret;
		}
	}
	/* TTL 1 would expire here: the stack sends the ICMP error. */
	if (!ep || iph->ttl <= 1) {
		count_verdict(skb, SLUICE_VERDICT_PASS_STACK);
		return TC_ACT_OK;
	}
	count_verdict(skb, SLUICE_VERDICT_REDIRECT_LOCAL);
	return endpoint_deliver4(eth, iph, ep);
}

/*
 * From the host stack to the pod: replies of the pod's own flows, and new
 * flows from the node or routed through it, which meet the pod's ingress
 * policy here. What sluice cannot parse is the stack's to judge.
 */
SEC("tc")
int SLUICE_PROG_TO_POD(struct __sk_buff *skb)
{
	struct pol_end src = {}, dst = {};
	struct sluice_endpoint_info *ep;
	struct sluice_ct4_value *ct;
	struct lb_pending none = {};
	bool external;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct flow4 f;
	int why;

	if (skb->protocol != bpf_htons(ETH_P_IP) || parse4(skb, &eth, &iph, &f) < 0)
		goto pass;
	ep = endpoint_lookup4(f.daddr);
	if (!ep)
		goto pass;
	ct = ct4_lookup(&f, SLUICE_CT_REPLY);
	if (ct) {
		ct4_refresh_pair(ct, &f, SLUICE_CT_FORWARD);
		goto pass;
	}
	/*
	 * An error the node's stack sends about a flow it forwarded, such as
	 * "fragmentation needed" for a backend behind a smaller MTU: part of
	 * the flow, and translated back if the flow was.
	 */
	switch (lb4_icmp_related(skb, &f, false, &external)) {
	case 0:
		break;
	case 1:
		goto pass;
	default:
		return drop(skb, SLUICE_VERDICT_DROP_MALFORMED);
	}
	pol_end_set(&dst, f.daddr, ep->ifindex);
	why = policy4_flow(skb, &f, f.saddr, &src, &dst, &none);
	if (why)
		return drop(skb, why);
pass:
	count_verdict(skb, SLUICE_VERDICT_TO_POD_STACK);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
