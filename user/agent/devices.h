/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node's own devices (--devices): where traffic from outside the node
 * arrives, and whose IPv4 addresses NodePorts listen on; and the node's
 * addresses on every device, which NetworkPolicy knows as the node itself.
 */
#ifndef SLUICE_DEVICES_H
#define SLUICE_DEVICES_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/pins.h"

/* Most devices --devices names; nodes have one or two uplinks. */
#define DEVICES_MAX 8
/* Most IPv4 addresses kept across them. */
#define DEVICE_ADDRS_MAX 32

struct devices {
	char names[DEVICES_MAX][IF_NAMESIZE];
	size_t n;
	struct in_addr addrs[DEVICE_ADDRS_MAX];
	size_t n_addrs;
};

/* "eth0,eth1": false, with why, for an empty, repeated or invalid name or too many. */
bool devices_parse(struct devices *d, const char *list, char *why, size_t why_len);
/* Attaches tc_from_net to each device's ingress; a device that does not exist is an error. */
int devices_attach(const struct devices *d, const struct sluice_pins *pins);
/* The smallest MTU among the devices: what a packet leaving the node may be. */
int devices_min_mtu(const struct devices *d, unsigned int *mtu);
/* Reads the devices' IPv4 addresses (sorted); *changed says whether they differ from before. */
int devices_read_addrs(struct devices *d, bool *changed);

/* Most addresses of the node's own kept: loopback, uplinks, tunnels, secondaries. */
#define HOST_ADDRS_MAX 64

/* Every IPv4 address of the node, on any device: traffic from them is the node's. */
struct host_addrs {
	struct in_addr addrs[HOST_ADDRS_MAX];
	size_t n;
};

int host_addrs_read(struct host_addrs *h, bool *changed);

#endif
