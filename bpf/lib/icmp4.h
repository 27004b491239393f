/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Refusing a connection to a service with no backend the way a host with
 * nothing listening refuses it: an ICMP port unreachable from the service
 * address, which the client's stack turns into ECONNREFUSED at once.
 */
#ifndef SLUICE_BPF_ICMP4_H
#define SLUICE_BPF_ICMP4_H

#include "l4.h"

/* ICMP destination unreachable's code for port unreachable (RFC 792). */
#define ICMP_PORT_UNREACH 3
/* The offending datagram's IP header and first 8 bytes of data go back with the error. */
#define ICMP_QUOTE_LEN (sizeof(struct iphdr) + 8)
/* IP header, ICMP header, quote. */
#define ICMP_ERR_IP_LEN (sizeof(struct iphdr) + sizeof(struct icmphdr) + ICMP_QUOTE_LEN)
/* TTL of the error, as Linux's default. */
#define ICMP_ERR_TTL 64
/* IP precedence "internetwork control" in the TOS byte, as Linux sends errors. */
#define IPTOS_PREC_INTERNETCONTROL 0xc0

/* Folds a 32-bit one's-complement sum to the 16-bit checksum field. */
static __always_inline __sum16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__sum16)~sum;
}

/*
 * Turns the packet into the ICMP error for itself and sends it back out of
 * the veth it came in on, into the client pod. Only a header without
 * options is quoted whole, so a packet with IP options is just dropped.
 * Returns the TC verdict.
 */
static __always_inline int icmp4_refuse(struct __sk_buff *skb)
{
	__u8 quote[ICMP_QUOTE_LEN], mac_src[ETH_ALEN], mac_dst[ETH_ALEN];
	struct ethhdr *eth;
	struct iphdr *iph;
	struct icmphdr *icmp;
	struct cursor c;
	__be32 client, service;
	__u32 sum;

	if (revalidate_pull(skb, &c, sizeof(*eth) + ICMP_QUOTE_LEN) < 0)
		return TC_ACT_SHOT;
	eth = c.pos;
	iph = (void *)(eth + 1);
	if ((void *)iph + ICMP_QUOTE_LEN > c.end || iph->ihl != IPV4_IHL_MIN)
		return TC_ACT_SHOT;
	__builtin_memcpy(quote, iph, ICMP_QUOTE_LEN);
	__builtin_memcpy(mac_src, eth->h_source, ETH_ALEN);
	__builtin_memcpy(mac_dst, eth->h_dest, ETH_ALEN);
	client = iph->saddr;
	service = iph->daddr;

	if (bpf_skb_change_tail(skb, sizeof(*eth) + ICMP_ERR_IP_LEN, 0) < 0)
		return TC_ACT_SHOT;
	if (revalidate_pull(skb, &c, sizeof(*eth) + ICMP_ERR_IP_LEN) < 0)
		return TC_ACT_SHOT;
	eth = c.pos;
	iph = (void *)(eth + 1);
	icmp = (void *)(iph + 1);
	if ((void *)(icmp + 1) + ICMP_QUOTE_LEN > c.end)
		return TC_ACT_SHOT;

	__builtin_memcpy(eth->h_dest, mac_src, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac_dst, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	__builtin_memset(iph, 0, sizeof(*iph));
	iph->version = IPV4_VERSION;
	iph->ihl = IPV4_IHL_MIN;
	iph->tos = IPTOS_PREC_INTERNETCONTROL;
	iph->tot_len = bpf_htons(ICMP_ERR_IP_LEN);
	iph->ttl = ICMP_ERR_TTL;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = service;
	iph->daddr = client;
	sum = bpf_csum_diff(NULL, 0, (void *)iph, sizeof(*iph), 0);
	iph->check = csum_fold32(sum);

	__builtin_memset(icmp, 0, sizeof(*icmp));
	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_PORT_UNREACH;
	__builtin_memcpy(icmp + 1, quote, ICMP_QUOTE_LEN);
	sum = bpf_csum_diff(NULL, 0, (void *)icmp, sizeof(*icmp) + ICMP_QUOTE_LEN, 0);
	icmp->checksum = csum_fold32(sum);

	/* The checksums are complete now: drop the original's offload state. */
	bpf_csum_level(skb, BPF_CSUM_LEVEL_RESET);
	return bpf_redirect_peer(skb->ifindex, 0);
}

#endif
