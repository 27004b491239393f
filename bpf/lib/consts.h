/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Constants from UAPI headers that vmlinux.h cannot carry (BTF holds types,
 * not #defines). Values are fixed by the kernel ABI.
 */
#ifndef SLUICE_BPF_CONSTS_H
#define SLUICE_BPF_CONSTS_H

/* TC verdicts, from <linux/pkt_cls.h>. */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7

/* EtherTypes, from <linux/if_ether.h>. */
#define ETH_P_IP 0x0800
/* Bytes in a MAC address. */
#define ETH_ALEN 6
/* IP version number in the IPv4 header's version field. */
#define IPV4_VERSION 4
/* Packet type of a frame for this host, from <linux/if_packet.h>. */
#define PACKET_HOST 0
/* Smallest IPv4 header, in 32-bit words (the ihl field's unit). */
#define IPV4_IHL_MIN 5

#endif
