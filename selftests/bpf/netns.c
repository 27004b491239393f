// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "netns.h"

/* This process's network namespace, as a file to open. */
#define NETNS_SELF "/proc/self/ns/net"
/* Per-namespace default for devices made later; /proc/sys follows our netns. */
#define IPV6_DISABLE_DEFAULT "/proc/sys/net/ipv6/conf/default/disable_ipv6"

int netns_enter_new(void)
{
	int fd;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

int netns_quiet_ipv6(void)
{
	FILE *f = fopen(IPV6_DISABLE_DEFAULT, "w");
	int err = 0;

	/* A kernel without IPv6 sends none either. */
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (fputs("1", f) == EOF)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int netns_link_up(const char *name)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;
	struct ifreq ifr;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(fd);
	return err;
}

/* Names, numbers and addresses one end, and says which namespace it goes to. */
static int veth_end_set(struct rtnl_link *link, const struct veth_end *end)
{
	struct nl_addr *mac = nl_addr_build(AF_LLC, end->mac, ETH_ALEN);

	if (!mac)
		return -NLE_NOMEM;
	rtnl_link_set_name(link, end->name);
	if (end->ifindex)
		rtnl_link_set_ifindex(link, end->ifindex);
	rtnl_link_set_addr(link, mac);
	nl_addr_put(mac);
	if (end->ns_fd >= 0)
		rtnl_link_set_ns_fd(link, end->ns_fd);
	return 0;
}

int veth_create(const struct veth_end *a, const struct veth_end *b)
{
	struct rtnl_link *link = NULL, *peer = NULL;
	struct nl_sock *sk = nl_socket_alloc();
	int err = -NLE_NOMEM;

	if (!sk)
		return err;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err)
		goto out;
	link = rtnl_link_veth_alloc();
	if (!link) {
		err = -NLE_NOMEM;
		goto out;
	}
	peer = rtnl_link_veth_get_peer(link);
	err = veth_end_set(link, a);
	if (!err)
		err = veth_end_set(peer, b);
	if (!err)
		err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
out:
	if (peer)
		rtnl_link_put(peer);
	if (link)
		rtnl_link_veth_release(link);
	nl_socket_free(sk);
	return err;
}
