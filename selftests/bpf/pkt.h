/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet builders for the BPF program tests: whole Ethernet frames, checksums
 * filled in, written into the caller's buffer. UAPI headers only; vmlinux.h
 * belongs to the BPF side.
 */
#ifndef SLUICE_SELFTEST_PKT_H
#define SLUICE_SELFTEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
/* Before the linux/ headers, so that libc-compat.h skips what libc defines. */
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

/* Room for any frame the tests build: headers, options and a short payload. */
#define PKT_MAX 256
/* Bytes in a 32-bit word, the unit of IPv4 ihl and TCP doff. */
#define PKT_WORD_LEN 4
/* Smallest IPv4 header, in 32-bit words (the ihl field's unit). */
#define PKT_IHL_MIN 5
/* An IPv4 header with one 32-bit word of options. */
#define PKT_IHL_ONE_OPTION (PKT_IHL_MIN + 1)
/* Largest IPv4 header the 4-bit ihl field can describe, in words. */
#define PKT_IHL_MAX 15
/* TCP flag bits, as byte 13 of the TCP header holds them. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_ACK 0x10

/* An IPv4 frame to build. Addresses in network order, the rest host order. */
struct pkt_ipv4 {
	__u8 src_mac[ETH_ALEN];
	__u8 dst_mac[ETH_ALEN];
	__be32 saddr;
	__be32 daddr;
	__u8 protocol;		/* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP */
	__u8 ttl;
	__u8 ihl;		/* PKT_IHL_MIN, or more to add NOP options */
	__u16 id;
	__u16 payload_len;	/* bytes after the L4 header */
	__u16 sport;		/* TCP and UDP; ICMP: a request's echo identifier */
	__u16 dport;		/* ...; ICMP: a reply's echo identifier */
	__u8 tcp_flags;		/* PKT_TCP_* */
	bool udp_no_csum;	/* send UDP checksum 0, "none" (RFC 768) */
	bool icmp_reply;	/* ICMP: an echo reply, not a request */
};


/*
 * Writes the frame `spec` describes into buf, IPv4 and L4 checksums
 * included. Returns its length, or -1 if the spec is invalid or the frame
 * does not fit in cap bytes.
 */
int pkt_build_ipv4(const struct pkt_ipv4 *spec, void *buf, size_t cap);

/* Bytes after the offending packet's IP header that an ICMP error quotes (RFC 792). */
#define PKT_ICMP_QUOTE_L4 8

/*
 * Writes an ICMP error of type and code from outer->saddr to outer->daddr
 * (outer's MACs, TTL, id and ihl, its options NOPs; its other fields are
 * not used), quoting the IPv4 frame `about`: its IP header, options
 * included, and the first l4_quoted bytes after it. ICMP and IP checksums
 * included. Returns the length, or -1 if the frame does not fit in cap
 * bytes or outer's ihl is invalid.
 */
int pkt_build_icmp_error(const struct pkt_ipv4 *outer, __u8 type, __u8 code, const void *about,
			 size_t l4_quoted, void *buf, size_t cap);

/* An ARP request frame, for the not-IP path. Length or -1 as above. */
int pkt_build_arp(void *buf, size_t cap);

/* An IPv6 frame with no payload (next header "none"). Length or -1. */
int pkt_build_ipv6(void *buf, size_t cap);

/* The IPv4 header of a frame. */
static inline struct iphdr *pkt_iph(void *frame)
{
	return (struct iphdr *)((__u8 *)frame + ETH_HLEN);
}

/* The L4 header of an IPv4 frame, wherever its ihl puts it. */
static inline void *pkt_l4(void *frame)
{
	struct iphdr *iph = pkt_iph(frame);

	return (__u8 *)iph + iph->ihl * PKT_WORD_LEN;
}

/*
 * Cuts an IPv4 frame to l4_keep bytes after its IP header, with tot_len and
 * the header checksum to match: only what follows is short. The new length.
 */
size_t pkt_cut_l4(void *frame, size_t l4_keep);

/* The header checksum a sender puts in iph: check itself counted as zero. */
__sum16 pkt_ipv4_csum(const struct iphdr *iph);

/*
 * Whether iph->check is valid as a receiver sees it (RFC 1071): the sum of
 * the whole header, check included, is all ones.
 */
bool pkt_ipv4_csum_ok(const struct iphdr *iph);

/*
 * Whether the TCP, UDP or ICMP checksum of an IPv4 frame of len bytes is
 * valid, pseudo-header included where the protocol has one.
 */
bool pkt_l4_csum_ok(const void *frame, size_t len);

#endif
