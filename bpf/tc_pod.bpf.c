// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC programs on the host side of every pod veth. Ingress there is traffic
 * leaving the pod; egress is traffic the host stack sends to the pod.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/parse.h"
#include "lib/verdict.h"
#include "lib/endpoint.h"

/* Ethernet plus the fixed IPv4 header: what forwarding reads and writes. */
#define FROM_POD_PULL_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr))

SEC("tc")
int SLUICE_PROG_FROM_POD(struct __sk_buff *skb)
{
	struct sluice_endpoint_info *ep;
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
	if (!iph)
		goto malformed;

	ep = endpoint_lookup4(iph->daddr);
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
