// SPDX-License-Identifier: Apache-2.0
#include <string.h>
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <linux/if_arp.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pkt.h"

/* TCP window: any value, the datapath never reads it. */
#define PKT_TCP_WINDOW 64240
/* ICMP echo sequence number: any value. */
#define PKT_ICMP_SEQ 1
/* Hop limit of the IPv6 frame, the usual default. */
#define PKT_HOP_LIMIT 64
/* The version field of an IPv6 header. */
#define PKT_IPV6_VERSION 6
/* Sequence number of every TCP segment: any value. */
#define PKT_TCP_ISN 1
/* Byte of the TCP header that holds the flags. */
#define PKT_TCP_FLAGS_OFF 13

/* The ARP and IPv6 frames come from a pod MAC, sent to the broadcast one. */
static const __u8 pod_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const __u8 bcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
/* ARP addresses: the pod 10.244.0.2 asks for its gateway 10.244.0.1. */
#define PKT_ARP_SPA 0x0af40002
#define PKT_ARP_TPA 0x0af40001

/* An ARP body for Ethernet and IPv4, as RFC 826 lays it out. */
struct arp_eth_ipv4 {
	struct arphdr hdr;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

/* Adds len bytes to a ones' complement sum, as big-endian 16-bit words. */
static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	/* An odd last byte is padded with a zero byte (RFC 1071). */
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

/* Adds the carries back in (end-around carry) until the sum fits 16 bits. */
static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The TCP/UDP pseudo-header: addresses, protocol and L4 length. */
static __u32 csum_pseudo(const struct iphdr *iph, __u16 l4_len)
{
	__u32 sum = csum_add(0, &iph->saddr, sizeof(iph->saddr));

	sum = csum_add(sum, &iph->daddr, sizeof(iph->daddr));
	return sum + iph->protocol + l4_len;
}

__sum16 pkt_ipv4_csum(const struct iphdr *iph)
{
	__u8 hdr[PKT_IHL_MAX * PKT_WORD_LEN];
	size_t len = iph->ihl * PKT_WORD_LEN;

	memcpy(hdr, iph, len);
	((struct iphdr *)hdr)->check = 0;
	return htons((__u16)~csum_fold(csum_add(0, hdr, len)));
}

size_t pkt_cut_l4(void *frame, size_t l4_keep)
{
	struct iphdr *iph = pkt_iph(frame);
	size_t ip_len = iph->ihl * PKT_WORD_LEN + l4_keep;

	iph->tot_len = htons(ip_len);
	iph->check = pkt_ipv4_csum(iph);
	return ETH_HLEN + ip_len;
}

bool pkt_ipv4_csum_ok(const struct iphdr *iph)
{
	return csum_fold(csum_add(0, iph, iph->ihl * PKT_WORD_LEN)) == 0xffff;
}

bool pkt_l4_csum_ok(const void *frame, size_t len)
{
	const struct iphdr *iph = pkt_iph((void *)frame);
	size_t hdr_len = iph->ihl * PKT_WORD_LEN;
	size_t l4_len = ntohs(iph->tot_len) - hdr_len;
	__u32 sum = 0;

	if (ETH_HLEN + hdr_len + l4_len > len)
		return false;
	if (iph->protocol != IPPROTO_ICMP)
		sum = csum_pseudo(iph, l4_len);
	sum = csum_add(sum, (const __u8 *)iph + hdr_len, l4_len);
	return csum_fold(sum) == 0xffff;
}

/* Bytes of the protocol's own header, or 0 for one we do not build. */
static size_t l4_hdr_len(__u8 protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
		return sizeof(struct udphdr);
	case IPPROTO_ICMP:
		return sizeof(struct icmphdr);
	default:
		return 0;
	}
}

/* Fills the L4 header before l4[0]; the payload after it is already set. */
static void fill_l4(const struct pkt_ipv4 *spec, const struct iphdr *iph, __u8 *l4,
		    __u16 l4_len)
{
	struct icmphdr *icmp = (struct icmphdr *)l4;
	struct tcphdr *tcp = (struct tcphdr *)l4;
	struct udphdr *udp = (struct udphdr *)l4;
	__u16 csum;

	switch (iph->protocol) {
	case IPPROTO_TCP:
		tcp->source = htons(spec->sport);
		tcp->dest = htons(spec->dport);
		tcp->seq = htonl(PKT_TCP_ISN);
		tcp->doff = sizeof(*tcp) / PKT_WORD_LEN;
		l4[PKT_TCP_FLAGS_OFF] = spec->tcp_flags;
		tcp->window = htons(PKT_TCP_WINDOW);
		csum = ~csum_fold(csum_pseudo(iph, l4_len) + csum_add(0, l4, l4_len));
		tcp->check = htons(csum);
		break;
	case IPPROTO_UDP:
		udp->source = htons(spec->sport);
		udp->dest = htons(spec->dport);
		udp->len = htons(l4_len);
		if (spec->udp_no_csum)
			break;
		csum = ~csum_fold(csum_pseudo(iph, l4_len) + csum_add(0, l4, l4_len));
		/* Zero means "no checksum" in UDP, so a zero sum is sent as all ones. */
		udp->check = htons(csum ? csum : 0xffff);
		break;
	case IPPROTO_ICMP:
		icmp->type = spec->icmp_reply ? ICMP_ECHOREPLY : ICMP_ECHO;
		icmp->un.echo.id = htons(spec->icmp_reply ? spec->dport : spec->sport);
		icmp->un.echo.sequence = htons(PKT_ICMP_SEQ);
		/* ICMP sums its own message only, with no pseudo-header. */
		icmp->checksum = htons((__u16)~csum_fold(csum_add(0, l4, l4_len)));
		break;
	}
}

/*
 * Writes the Ethernet header and the IPv4 header of a frame carrying l4_len
 * bytes of protocol: spec's MACs, addresses, TTL, id and ihl (options NOPs,
 * valid and meaning nothing), the checksum left 0 and the rest zeroed.
 * Returns the IPv4 header, or NULL if the frame would not fit in cap bytes.
 */
static struct iphdr *fill_l2_l3(const struct pkt_ipv4 *spec, __u8 protocol, size_t l4_len,
				void *buf, size_t cap)
{
	size_t hdr_len = spec->ihl * PKT_WORD_LEN;
	struct ethhdr *eth = buf;
	struct iphdr *iph;

	if (spec->ihl < PKT_IHL_MIN || spec->ihl > PKT_IHL_MAX || ETH_HLEN + hdr_len + l4_len > cap)
		return NULL;
	memset(buf, 0, ETH_HLEN + hdr_len + l4_len);
	memcpy(eth->h_dest, spec->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, spec->src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);

	iph = pkt_iph(buf);
	iph->version = IPVERSION;
	iph->ihl = spec->ihl;
	iph->tot_len = htons(hdr_len + l4_len);
	iph->id = htons(spec->id);
	iph->ttl = spec->ttl;
	iph->protocol = protocol;
	iph->saddr = spec->saddr;
	iph->daddr = spec->daddr;
	memset(iph + 1, IPOPT_NOOP, hdr_len - sizeof(*iph));
	return iph;
}

int pkt_build_ipv4(const struct pkt_ipv4 *spec, void *buf, size_t cap)
{
	size_t l4_hdr = l4_hdr_len(spec->protocol), l4_len = l4_hdr + spec->payload_len, i;
	struct iphdr *iph;
	__u8 *l4;

	if (!l4_hdr)
		return -1;
	iph = fill_l2_l3(spec, spec->protocol, l4_len, buf, cap);
	if (!iph)
		return -1;
	l4 = (__u8 *)iph + iph->ihl * PKT_WORD_LEN;
	/* A counting pattern, so that any byte moved or lost shows. */
	for (i = 0; i < spec->payload_len; i++)
		l4[l4_hdr + i] = i;
	fill_l4(spec, iph, l4, l4_len);
	iph->check = pkt_ipv4_csum(iph);
	return ETH_HLEN + iph->ihl * PKT_WORD_LEN + l4_len;
}

int pkt_build_icmp_error(const struct pkt_ipv4 *outer, __u8 type, __u8 code, const void *about,
			 size_t l4_quoted, void *buf, size_t cap)
{
	const struct iphdr *quoted = pkt_iph((void *)about);
	size_t quote_len = quoted->ihl * PKT_WORD_LEN + l4_quoted;
	size_t icmp_len = sizeof(struct icmphdr) + quote_len;
	struct iphdr *iph = fill_l2_l3(outer, IPPROTO_ICMP, icmp_len, buf, cap);
	struct icmphdr *icmp;

	if (!iph)
		return -1;
	icmp = (struct icmphdr *)((__u8 *)iph + iph->ihl * PKT_WORD_LEN);
	icmp->type = type;
	icmp->code = code;
	memcpy(icmp + 1, quoted, quote_len);
	icmp->checksum = htons((__u16)~csum_fold(csum_add(0, icmp, icmp_len)));
	iph->check = pkt_ipv4_csum(iph);
	return ETH_HLEN + iph->ihl * PKT_WORD_LEN + icmp_len;
}

int pkt_build_arp(void *buf, size_t cap)
{
	struct arp_eth_ipv4 *arp = (struct arp_eth_ipv4 *)((__u8 *)buf + ETH_HLEN);
	struct ethhdr *eth = buf;

	if (ETH_HLEN + sizeof(*arp) > cap)
		return -1;
	memset(buf, 0, ETH_HLEN + sizeof(*arp));
	memcpy(eth->h_dest, bcast_mac, ETH_ALEN);
	memcpy(eth->h_source, pod_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_ARP);

	arp->hdr.ar_hrd = htons(ARPHRD_ETHER);
	arp->hdr.ar_pro = htons(ETH_P_IP);
	arp->hdr.ar_hln = ETH_ALEN;
	arp->hdr.ar_pln = sizeof(arp->spa);
	arp->hdr.ar_op = htons(ARPOP_REQUEST);
	memcpy(arp->sha, pod_mac, ETH_ALEN);
	arp->spa = htonl(PKT_ARP_SPA);
	arp->tpa = htonl(PKT_ARP_TPA);
	return ETH_HLEN + sizeof(*arp);
}

int pkt_build_ipv6(void *buf, size_t cap)
{
	struct ipv6hdr *ip6 = (struct ipv6hdr *)((__u8 *)buf + ETH_HLEN);
	struct ethhdr *eth = buf;

	if (ETH_HLEN + sizeof(*ip6) > cap)
		return -1;
	memset(buf, 0, ETH_HLEN + sizeof(*ip6));
	memcpy(eth->h_dest, bcast_mac, ETH_ALEN);
	memcpy(eth->h_source, pod_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IPV6);

	ip6->version = PKT_IPV6_VERSION;
	/* No payload, so there is no upper-layer checksum to get right. */
	ip6->nexthdr = IPPROTO_NONE;
	ip6->hop_limit = PKT_HOP_LIMIT;
	/* fd00::2 to fd00::3: unique local addresses, two pods. */
	ip6->saddr.s6_addr[0] = 0xfd;
	ip6->saddr.s6_addr[15] = 2;
	ip6->daddr.s6_addr[0] = 0xfd;
	ip6->daddr.s6_addr[15] = 3;
	return ETH_HLEN + sizeof(*ip6);
}
