/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The 5-tuple of an IPv4 packet, and where its ports and checksum sit. */
#ifndef SLUICE_BPF_L4_H
#define SLUICE_BPF_L4_H

#include "parse.h"

/* The fragment offset bits of iphdr.frag_off (host order after bpf_ntohs). */
#define IPV4_FRAG_OFFSET_MASK 0x1fff
/* Smallest TCP header, in bytes (data offset 5). */
#define TCP_HDR_MIN 20
/* TCP flag bits in byte 13 of the header. */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10
/* Offsets of the checksum field inside TCP and UDP headers. */
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
/*
 * ICMP echo (RFC 792): type, code, checksum, identifier, sequence. The
 * identifier stands for ports: a request's as its source port, a reply's
 * as its destination port, so a reply's tuple is its request's reversed.
 */
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_HDR_LEN 8
#define ICMP_CSUM_OFF 2
#define ICMP_ID_OFF 4
/* ICMP errors, which quote the packet they are about (RFC 792). */
#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

struct flow4 {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;		/* 0 unless has_ports */
	__be16 dport;
	__u8 proto;
	__u8 has_ports;		/* TCP, UDP or SCTP, first (or only) fragment */
	__u8 tcp_flags;
	__u8 later_frag;	/* a fragment after the first: no L4 header */
	__u32 l4_off;		/* from the start of the frame */
};

/* An ICMP echo's identifier into f's ports; other ICMP (and a cut one) has none. */
static __always_inline int icmp_echo_parse(struct __sk_buff *skb, struct flow4 *f, __u32 ip_len)
{
	__u32 need = f->l4_off + ICMP_ECHO_HDR_LEN;
	struct cursor c;
	__u8 *ih;

	if (need > sizeof(struct ethhdr) + ip_len ||
	    need > sizeof(struct ethhdr) + 60 + ICMP_ECHO_HDR_LEN ||
	    revalidate_pull(skb, &c, need) < 0)
		return 0;
	ih = c.pos + f->l4_off;
	if ((void *)(ih + ICMP_ECHO_HDR_LEN) > c.end || ih[1])
		return 0;
	if (ih[0] == ICMP_ECHO_REQUEST)
		f->sport = *(__be16 *)(ih + ICMP_ID_OFF);
	else if (ih[0] == ICMP_ECHO_REPLY)
		f->dport = *(__be16 *)(ih + ICMP_ID_OFF);
	return 0;
}

/* An ICMP echo, whose identifier is in f's ports. */
static __always_inline bool flow4_is_echo(const struct flow4 *f)
{
	return f->proto == IPPROTO_ICMP && (f->sport || f->dport);
}

/*
 * Fills f from the IPv4 header and, for TCP, UDP and SCTP, the ports (for
 * ICMP echo, its identifier); pulls
 * the L4 header into the linear area. Every packet pointer is invalid after
 * it. Returns -1 for a TCP, UDP or SCTP header cut short.
 */
static __always_inline int flow4_parse(struct __sk_buff *skb, struct iphdr *iph,
				       struct flow4 *f)
{
	struct cursor c;
	__u32 ihl_len = iph->ihl * 4, ip_len = bpf_ntohs(iph->tot_len), need;

	f->saddr = iph->saddr;
	f->daddr = iph->daddr;
	f->proto = iph->protocol;
	f->l4_off = sizeof(struct ethhdr) + ihl_len;
	f->has_ports = 0;
	f->sport = f->dport = 0;
	f->tcp_flags = 0;
	f->later_frag = !!(bpf_ntohs(iph->frag_off) & IPV4_FRAG_OFFSET_MASK);
	/* Later fragments carry no ports; only the first can be matched. */
	if (f->later_frag)
		return 0;
	if (f->proto == IPPROTO_ICMP)
		return icmp_echo_parse(skb, f, ip_len);
	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP && f->proto != IPPROTO_SCTP)
		return 0;
	/* SCTP's ports sit where UDP's do; its checksum is never rewritten (no SCTP frontends). */
	need = f->l4_off + (f->proto == IPPROTO_TCP ? TCP_HDR_MIN : sizeof(struct udphdr));
	/* The header must fit the datagram, not only the frame: Ethernet pads short frames. */
	if (need > sizeof(struct ethhdr) + ip_len)
		return -1;
	/* Verifier workaround: a bound it can see on the pull length (ihl <= 15). */
	if (need > sizeof(struct ethhdr) + 60 + TCP_HDR_MIN)
		return -1;
	if (revalidate_pull(skb, &c, need) < 0)
		return -1;
	c.pos += f->l4_off;
	if (f->proto == IPPROTO_TCP) {
		struct tcphdr *th = c.pos;

		if ((void *)(th + 1) > c.end)
			return -1;
		f->sport = th->source;
		f->dport = th->dest;
		f->tcp_flags = ((__u8 *)th)[13];
	} else {
		struct udphdr *uh = c.pos;

		if ((void *)(uh + 1) > c.end)
			return -1;
		f->sport = uh->source;
		f->dport = uh->dest;
	}
	f->has_ports = 1;
	return 0;
}

#endif
