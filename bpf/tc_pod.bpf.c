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

/* Ethernet plus the fixed IPv4 header: what forwarding reads and writes. */
#define FROM_POD_PULL_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr))

/* Re-reads the Ethernet and IPv4 headers after a helper changed the packet. */
static __always_inline int reparse(struct __sk_buff *skb, struct ethhdr **eth,
				   struct iphdr **iph)
{
	struct cursor c;

	if (revalidate_pull(skb, &c, FROM_POD_PULL_LEN) < 0)
		return -1;
	*eth = parse_ethhdr(&c);
	if (!*eth)
		return -1;
	*iph = c.pos;
	if ((void *)(*iph + 1) > c.end)
		return -1;
	return 0;
}

SEC("tc")
int SLUICE_PROG_FROM_POD(struct __sk_buff *skb)
{
	struct sluice_endpoint_info *ep;
	struct lb_out lb = {};
	struct flow4 f;
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;

	if (skb->protocol != bpf_htons(ETH_P_IP)) {
		count_verdict(skb, SLUICE_VERDICT_PASS_NON_IP);
		return TC_ACT_OK;
	}
	if (revalidate_pull(skb, &c, FROM_POD_PULL_LEN) < 0)
		goto malformed;
	eth = parse_ethhdr(&c);
	if (!eth)
		goto malformed;
	iph = parse_iphdr(&c, skb->len - sizeof(*eth));
	if (!iph || flow4_parse(skb, iph, &f) < 0)
		goto malformed;

	switch (lb4_forward(skb, &f, SLUICE_SCOPE_INTERNAL, &lb)) {
	case LB_PASS:
	case LB_DONE:
		break;
	case LB_REFUSE:
		count_verdict(skb, SLUICE_VERDICT_SVC_REFUSED);
		return icmp4_refuse(skb);
	case LB_DROP:
		count_verdict(skb, lb.verdict);
		return TC_ACT_SHOT;
	}
	if (reparse(skb, &eth, &iph) < 0)
		goto malformed;

	ep = endpoint_lookup4(f.daddr);
	/* A reply to a client outside the node comes from a node address: route it out. */
	if (!ep && lb.external) {
		int ret = fib4_forward(skb, iph);

		count_verdict(skb, ret == TC_ACT_REDIRECT ? SLUICE_VERDICT_FORWARD_NET :
							    SLUICE_VERDICT_PASS_STACK);
		return ret;
	}
	/* TTL 1 would expire here: the stack sends the ICMP error. */
	if (!ep || iph->ttl <= 1) {
		count_verdict(skb, SLUICE_VERDICT_PASS_STACK);
		return TC_ACT_OK;
	}
	count_verdict(skb, SLUICE_VERDICT_REDIRECT_LOCAL);
	return endpoint_deliver4(eth, iph, ep);

malformed:
	count_verdict(skb, SLUICE_VERDICT_DROP_MALFORMED);
	return TC_ACT_SHOT;
}

SEC("tc")
int SLUICE_PROG_TO_POD(struct __sk_buff *skb)
{
	count_verdict(skb, SLUICE_VERDICT_TO_POD_STACK);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
