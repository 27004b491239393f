/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network namespaces and veth pairs for tests that need a packet really
 * delivered. The test process moves into a fresh "node" namespace and makes
 * "pod" namespaces beside it, all unnamed: they and their devices vanish
 * when the forked test process exits, even if it crashes, and nothing on
 * the machine sees them.
 */
#ifndef SLUICE_SELFTEST_NETNS_H
#define SLUICE_SELFTEST_NETNS_H

#include <linux/types.h>

/* Moves the calling process into a new network namespace; its fd or -errno. */
int netns_enter_new(void);

/* Moves the calling process into the namespace fd names; 0 or -errno. */
int netns_enter(int fd);

/*
 * Keeps devices made from now on in the current namespace off IPv6, so
 * that they send no neighbour discovery for a test to trip over. 0 or -errno.
 */
int netns_quiet_ipv6(void);

/* One end of a veth pair. */
struct veth_end {
	const char *name;
	int ifindex;		/* 0: whatever the kernel picks */
	const __u8 *mac;	/* ETH_ALEN bytes */
	int ns_fd;		/* -1: the current namespace */
};

/*
 * Makes a veth pair, both ends down: veth cannot bring up an end whose peer
 * does not exist yet. 0 or a negative libnl error, which nl_geterror() names.
 */
int veth_create(const struct veth_end *a, const struct veth_end *b);

/* Brings up the device called name in the current namespace; 0 or -errno. */
int netns_link_up(const char *name);

#endif
