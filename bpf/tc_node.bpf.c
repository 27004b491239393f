// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC program on the node's devices (--devices), ingress: traffic from
 * outside the node to a NodePort, external IP or load-balancer IP is
 * balanced to a backend and delivered straight into a pod on this node.
 * Everything else goes to the host stack untouched.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/config.h"
#include "lib/parse.h"
#include "lib/verdict.h"
#include "lib/endpoint.h"
#include "lib/lb4.h"
#include "lib/policy4.h"

/* Ethernet plus the fixed IPv4 header: what forwarding reads and writes. */
#define FROM_NET_PULL_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr))

SEC("tc")
int SLUICE_PROG_FROM_NET(struct __sk_buff *skb)
{
	struct sluice_endpoint_info *ep;
	struct pol_end src = {}, dst = {};
	struct lb_out lb = {};
	__be32 saddr;
	int why;
	struct flow4 f;
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;

	/* The node's own traffic: whatever sluice cannot parse is the stack's to judge. */
	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    revalidate_pull(skb, &c, FROM_NET_PULL_LEN) < 0)
		goto pass;
	eth = parse_ethhdr(&c);
	if (!eth)
		goto pass;
	iph = parse_iphdr(&c, skb->len - sizeof(*eth));
	if (!iph || flow4_parse(skb, iph, &f) < 0)
		goto pass;
	saddr = f.saddr;

	switch (lb4_forward(skb, &f, SLUICE_SCOPE_EXTERNAL, &lb)) {
	case LB_PASS:
		goto pass;
	case LB_DONE:
		break;
	case LB_REFUSE:
		/* No ICMP back out of a node device yet: the stack sends its own refusal. */
		goto pass;
	case LB_DROP:
		count_verdict(skb, lb.verdict);
		return TC_ACT_SHOT;
	}
	if (revalidate_pull(skb, &c, FROM_NET_PULL_LEN) < 0)
		return TC_ACT_SHOT;
	eth = parse_ethhdr(&c);
	iph = c.pos;
	if (!eth || (void *)(iph + 1) > c.end)
		return TC_ACT_SHOT;
	ep = endpoint_lookup4(f.daddr);
	/*
	 * A new flow from outside meets a local backend's ingress policy here;
	 * every new flow, wherever its backend, is tracked here too.
	 */
	if (!lb.reply) {
		if (ep)
			pol_end_set(&dst, f.daddr, ep->ifindex);
		why = policy4_flow(skb, &f, saddr, &src, &dst, &lb.pending);
		if (why) {
			count_verdict(skb, why);
			return TC_ACT_SHOT;
		}
	}
	/* Backends on other nodes come with cross-node routing; until then the stack decides. */
	if (!ep || iph->ttl <= 1)
		goto pass;
	count_verdict(skb, SLUICE_VERDICT_NET_TO_POD);
	return endpoint_deliver4(eth, iph, ep);
pass:
	count_verdict(skb, SLUICE_VERDICT_NET_PASS);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
