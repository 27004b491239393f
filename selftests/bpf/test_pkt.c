// SPDX-License-Identifier: Apache-2.0
/*
 * The packet builders and checksum helpers the program tests rely on:
 * if these were wrong, every verdict below them would mean nothing.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <criterion/criterion.h>

#include "pkt.h"

/* A published IPv4 header (Wikipedia, "IPv4 header checksum") and its sum. */
static const __u8 known_hdr[] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};
#define KNOWN_CSUM 0xb861
/* Offset of the header checksum's low byte, flipped to break the sum. */
#define CHECK_LOW_BYTE 11
/* Payload bytes of the frames built here: odd, to cover the padding rule. */
#define TEST_PAYLOAD_LEN 7
/* Any addresses and TTL: the builders copy them, nothing checks them. */
#define TEST_SADDR 0x0af40002
#define TEST_DADDR 0x0af40003
#define TEST_TTL 64
#define TEST_SPORT 40000
#define TEST_DPORT 8080

Test(pkt, ipv4_csum_known_answer)
{
	__u8 hdr[sizeof(known_hdr)];

	memcpy(hdr, known_hdr, sizeof(hdr));
	cr_assert_eq(ntohs(pkt_ipv4_csum((struct iphdr *)hdr)), KNOWN_CSUM,
		     "recompute: %#06x, want %#06x", ntohs(pkt_ipv4_csum((struct iphdr *)hdr)),
		     KNOWN_CSUM);
	cr_assert(pkt_ipv4_csum_ok((struct iphdr *)hdr), "verify: the published header");
	hdr[CHECK_LOW_BYTE] ^= 1;
	cr_assert_not(pkt_ipv4_csum_ok((struct iphdr *)hdr), "verify: a broken checksum");
}

static struct pkt_ipv4 spec_for(__u8 protocol)
{
	struct pkt_ipv4 spec = {
		.saddr = htonl(TEST_SADDR),
		.daddr = htonl(TEST_DADDR),
		.protocol = protocol,
		.ttl = TEST_TTL,
		.ihl = PKT_IHL_MIN,
		.payload_len = TEST_PAYLOAD_LEN,
		.sport = TEST_SPORT,
		.dport = TEST_DPORT,
		.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK,
	};

	return spec;
}

static void check_frame(__u8 protocol, size_t l4_hdr, __u8 ihl, const char *desc)
{
	struct pkt_ipv4 spec = spec_for(protocol);
	size_t want = ETH_HLEN + ihl * PKT_WORD_LEN + l4_hdr + TEST_PAYLOAD_LEN;
	__u8 buf[PKT_MAX];
	struct iphdr *iph = pkt_iph(buf);
	int len;

	spec.ihl = ihl;
	len = pkt_build_ipv4(&spec, buf, sizeof(buf));
	cr_assert_eq(len, (int)want, "%s: frame length %d, want %zu", desc, len, want);
	cr_assert_eq(ntohs(iph->tot_len), want - ETH_HLEN, "%s: tot_len %u", desc,
		     ntohs(iph->tot_len));
	cr_assert(pkt_ipv4_csum_ok(iph), "%s: IPv4 checksum", desc);
	cr_assert(pkt_l4_csum_ok(buf, len), "%s: L4 checksum", desc);
}

Test(pkt, builds_valid_frames)
{
	check_frame(IPPROTO_TCP, sizeof(struct tcphdr), PKT_IHL_MIN, "TCP");
	check_frame(IPPROTO_UDP, sizeof(struct udphdr), PKT_IHL_MIN, "UDP");
	check_frame(IPPROTO_ICMP, sizeof(struct icmphdr), PKT_IHL_MIN, "ICMP");
	check_frame(IPPROTO_UDP, sizeof(struct udphdr), PKT_IHL_ONE_OPTION, "UDP, ihl 6");
	check_frame(IPPROTO_TCP, sizeof(struct tcphdr), PKT_IHL_MAX, "TCP, ihl 15");
}

Test(pkt, ports_and_flags_land_in_place)
{
	struct pkt_ipv4 spec = spec_for(IPPROTO_TCP);
	__u8 buf[PKT_MAX];
	struct tcphdr *tcp;
	struct udphdr *udp;

	spec.ihl = PKT_IHL_ONE_OPTION;
	cr_assert_gt(pkt_build_ipv4(&spec, buf, sizeof(buf)), 0, "TCP: build");
	tcp = pkt_l4(buf);
	cr_assert_eq(ntohs(tcp->source), TEST_SPORT, "TCP: source port %u", ntohs(tcp->source));
	cr_assert_eq(ntohs(tcp->dest), TEST_DPORT, "TCP: destination port %u", ntohs(tcp->dest));
	cr_assert(tcp->syn && tcp->ack && !tcp->fin && !tcp->rst, "TCP: flags SYN and ACK only");

	spec = spec_for(IPPROTO_UDP);
	cr_assert_gt(pkt_build_ipv4(&spec, buf, sizeof(buf)), 0, "UDP: build");
	udp = pkt_l4(buf);
	cr_assert_eq(ntohs(udp->source), TEST_SPORT, "UDP: source port %u", ntohs(udp->source));
	cr_assert_eq(ntohs(udp->dest), TEST_DPORT, "UDP: destination port %u", ntohs(udp->dest));
	cr_assert_neq(udp->check, 0, "UDP: checksum filled in");

	spec.udp_no_csum = true;
	cr_assert_gt(pkt_build_ipv4(&spec, buf, sizeof(buf)), 0, "UDP without checksum: build");
	cr_assert_eq(udp->check, 0, "UDP without checksum: check %#06x, want 0", ntohs(udp->check));
}

Test(pkt, l4_csum_catches_a_flipped_bit)
{
	struct pkt_ipv4 spec = spec_for(IPPROTO_UDP);
	__u8 buf[PKT_MAX];
	int len = pkt_build_ipv4(&spec, buf, sizeof(buf));

	cr_assert_gt(len, 0, "build");
	buf[len - 1] ^= 1;
	cr_assert_not(pkt_l4_csum_ok(buf, len), "verify: last payload byte flipped");
}

Test(pkt, rejects_bad_specs)
{
	struct pkt_ipv4 spec = spec_for(IPPROTO_TCP);
	__u8 buf[PKT_MAX];

	spec.ihl = PKT_IHL_MIN - 1;
	cr_assert_lt(pkt_build_ipv4(&spec, buf, sizeof(buf)), 0, "ihl below the minimum");
	spec = spec_for(IPPROTO_IPV6);
	cr_assert_lt(pkt_build_ipv4(&spec, buf, sizeof(buf)), 0, "a protocol it cannot build");
	spec = spec_for(IPPROTO_TCP);
	cr_assert_lt(pkt_build_ipv4(&spec, buf, ETH_HLEN), 0, "a buffer too small");
	cr_assert_lt(pkt_build_arp(buf, ETH_HLEN), 0, "ARP into a buffer too small");
	cr_assert_lt(pkt_build_ipv6(buf, ETH_HLEN), 0, "IPv6 into a buffer too small");
}
