/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The packet an ICMP error quotes (RFC 792: destination unreachable, time
 * exceeded, parameter problem carry the offending packet's IP header and
 * first 8 bytes): read as the flow it belongs to, and rewritten back to
 * what its sender sent when a translation changed it on the way, as
 * conntrack's NAT does. Without that the sender's stack finds no socket
 * for the quote and ignores the error.
 */
#ifndef SLUICE_BPF_ICMP4_QUOTE_H
#define SLUICE_BPF_ICMP4_QUOTE_H

#include "ct4.h"

/* Type, code, checksum and 4 unused or type-specific bytes precede the quote. */
#define ICMP_ERR_HDR_LEN 8
/* Only a quoted IPv4 header without options (ihl 5) is translated, as nearly all are. */
#define QUOTE_IHL 5

/* The start of the quoted packet: its IPv4 header and the first 8 bytes after it. */
struct icmp_quote4 {
	struct iphdr ip;
	__be16 sport;
	__be16 dport;
	__be16 udp_len;		/* TCP: the first half of the sequence number */
	__sum16 udp_check;	/* TCP: the second half; its checksum is not quoted */
};

/* Offsets of what is rewritten, from the start of the quote. */
#define QUOTE_IP_CSUM offsetof(struct icmp_quote4, ip.check)
#define QUOTE_SADDR offsetof(struct icmp_quote4, ip.saddr)
#define QUOTE_DADDR offsetof(struct icmp_quote4, ip.daddr)
#define QUOTE_SPORT offsetof(struct icmp_quote4, sport)
#define QUOTE_DPORT offsetof(struct icmp_quote4, dport)
#define QUOTE_UDP_CSUM offsetof(struct icmp_quote4, udp_check)

/* The bytes pulled to read an error: IPv4 header with the most options (60), ICMP header, quote. */
#define ICMP_ERR_PULL_MAX (sizeof(struct ethhdr) + 60 + ICMP_ERR_HDR_LEN + \
			   sizeof(struct icmp_quote4))

/* Where an error's quote, and so every QUOTE_ field, starts in the frame. */
static __always_inline __u32 quote_off(const struct flow4 *f)
{
	return f->l4_off + ICMP_ERR_HDR_LEN;
}

/*
 * Whether f, an ICMP message other than an echo, is an error quoting a TCP
 * or UDP packet that can be translated; if so, rk gets the quoted packet's
 * tuple reversed (the tuple of the packets going back to the quote's
 * sender: what conntrack keys that direction by, dir aside) and udp_check
 * the quoted UDP checksum (0: none, or TCP). Every packet pointer is
 * invalid after it.
 */
static __always_inline bool quote_read(struct __sk_buff *skb, const struct flow4 *f,
				       struct sluice_ct4_key *rk, __sum16 *udp_check)
{
	struct icmp_quote4 *q;
	struct cursor c;
	__u8 *icmp;

	/* A quote cut short is left as it is. */
	if (f->later_frag || quote_off(f) + sizeof(*q) > ICMP_ERR_PULL_MAX ||
	    revalidate_pull(skb, &c, quote_off(f) + sizeof(*q)) < 0)
		return false;
	icmp = c.pos + f->l4_off;
	if ((void *)(icmp + ICMP_ERR_HDR_LEN + sizeof(*q)) > c.end)
		return false;
	if (icmp[0] != ICMP_DEST_UNREACH && icmp[0] != ICMP_TIME_EXCEEDED &&
	    icmp[0] != ICMP_PARAMETERPROB)
		return false;
	q = (void *)(icmp + ICMP_ERR_HDR_LEN);
	if (q->ip.version != 4 || q->ip.ihl != QUOTE_IHL ||
	    (q->ip.protocol != IPPROTO_TCP && q->ip.protocol != IPPROTO_UDP))
		return false;
	rk->saddr = q->ip.daddr;
	rk->daddr = q->ip.saddr;
	rk->sport = q->dport;
	rk->dport = q->sport;
	rk->proto = q->ip.protocol;
	*udp_check = q->ip.protocol == IPPROTO_UDP ? q->udp_check : 0;
	return true;
}

/*
 * Replaces a quoted address (QUOTE_SADDR or QUOTE_DADDR): the quoted IPv4
 * header's checksum keeps that header's sum, and with it the ICMP
 * checksum, unchanged; a quoted UDP checksum (udp_check not 0) covers the
 * address through its pseudo-header.
 */
static __always_inline int quote_addr_set(struct __sk_buff *skb, const struct flow4 *f,
					  __u32 field, __be32 from, __be32 to, __sum16 udp_check)
{
	if (from == to)
		return 0;
	if (bpf_l3_csum_replace(skb, quote_off(f) + QUOTE_IP_CSUM, from, to, sizeof(to)) < 0)
		return -1;
	if (udp_check && bpf_l4_csum_replace(skb, quote_off(f) + QUOTE_UDP_CSUM, from, to,
					     BPF_F_MARK_MANGLED_0 | sizeof(to)) < 0)
		return -1;
	return bpf_skb_store_bytes(skb, quote_off(f) + field, &to, sizeof(to), 0);
}

/* Replaces a quoted port (QUOTE_SPORT or QUOTE_DPORT), which the ICMP checksum covers. */
static __always_inline int quote_port_set(struct __sk_buff *skb, const struct flow4 *f,
					  __u32 field, __be16 from, __be16 to, __sum16 udp_check)
{
	if (from == to)
		return 0;
	if (udp_check && bpf_l4_csum_replace(skb, quote_off(f) + QUOTE_UDP_CSUM, from, to,
					     BPF_F_MARK_MANGLED_0 | sizeof(to)) < 0)
		return -1;
	if (bpf_l4_csum_replace(skb, f->l4_off + ICMP_CSUM_OFF, from, to, sizeof(to)) < 0)
		return -1;
	return bpf_skb_store_bytes(skb, quote_off(f) + field, &to, sizeof(to), 0);
}

/*
 * After quote_addr_set() and quote_port_set(): the quoted UDP checksum,
 * which was *udp_check, changed as a whole, and the ICMP checksum covers
 * it; *udp_check becomes the new one.
 */
static __always_inline int quote_udp_csum_done(struct __sk_buff *skb, const struct flow4 *f,
					       __sum16 *udp_check)
{
	__sum16 now;

	if (!*udp_check)
		return 0;
	if (bpf_skb_load_bytes(skb, quote_off(f) + QUOTE_UDP_CSUM, &now, sizeof(now)) < 0 ||
	    bpf_l4_csum_replace(skb, f->l4_off + ICMP_CSUM_OFF, *udp_check, now, sizeof(now)) < 0)
		return -1;
	*udp_check = now;
	return 0;
}

#endif
