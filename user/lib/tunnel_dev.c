// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>

#include "lib/log.h"
#include "lib/tunnel_dev.h"
#include <sluice/node.h>

#define IPV6_OFF_SYSCTL "/proc/sys/net/ipv6/conf/" SLUICE_VXLAN_DEVICE "/disable_ipv6"

static struct nl_sock *route_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* Ours: a VXLAN device in collect-metadata mode on our port. */
static bool is_ours(struct rtnl_link *l)
{
	uint32_t port = 0;

	return rtnl_link_is_vxlan(l) && rtnl_link_vxlan_get_collect_metadata(l) == 1 &&
	       !rtnl_link_vxlan_get_port(l, &port) && port == SLUICE_VXLAN_PORT;
}

/* 0 or a negative libnl error. */
static int create(struct nl_sock *sk, unsigned int mtu)
{
	struct rtnl_link *l = rtnl_link_vxlan_alloc();
	int err;

	if (!l)
		return -NLE_NOMEM;
	rtnl_link_set_name(l, SLUICE_VXLAN_DEVICE);
	rtnl_link_set_mtu(l, mtu);
	/* Remote ends come from BPF, never from learning or ARP inside the tunnel. */
	rtnl_link_vxlan_set_collect_metadata(l, 1);
	rtnl_link_vxlan_set_learning(l, 0);
	rtnl_link_vxlan_set_port(l, SLUICE_VXLAN_PORT);
	rtnl_link_set_flags(l, IFF_NOARP);
	err = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	return err;
}

/*
 * No IPv6 on the device: it would send MLD reports and router solicitations
 * of its own, which no node could place. Absent IPv6, nothing to turn off.
 */
static void ipv6_off(void)
{
	FILE *f = fopen(IPV6_OFF_SYSCTL, "w");

	if (!f)
		return;
	if (fputs("1", f) == EOF)
		pr_warn("cannot turn IPv6 off on %s", SLUICE_VXLAN_DEVICE);
	fclose(f);
}

/* Up, NOARP and the MTU asked for, whatever a previous agent left. */
static int settle(struct nl_sock *sk, struct rtnl_link *cur, unsigned int mtu)
{
	struct rtnl_link *want = rtnl_link_alloc();
	int err;

	if (!want)
		return -ENOMEM;
	rtnl_link_set_mtu(want, mtu);
	rtnl_link_set_flags(want, IFF_UP | IFF_NOARP);
	err = rtnl_link_change(sk, cur, want, 0);
	rtnl_link_put(want);
	return err ? -EIO : 0;
}

int tunnel_dev_ensure(unsigned int mtu)
{
	struct nl_sock *sk = route_socket();
	struct rtnl_link *l = NULL;
	int err, ifindex = -EIO;

	if (!sk)
		return -ENOMEM;
	if (!rtnl_link_get_kernel(sk, 0, SLUICE_VXLAN_DEVICE, &l) && !is_ours(l)) {
		pr_warn("%s is not a collect-metadata VXLAN device on port %d: replacing it",
			SLUICE_VXLAN_DEVICE, SLUICE_VXLAN_PORT);
		rtnl_link_delete(sk, l);
		rtnl_link_put(l);
		l = NULL;
	}
	if (!l) {
		err = create(sk, mtu);
		if (err && err != -NLE_EXIST) {
			pr_err("cannot create %s: %s", SLUICE_VXLAN_DEVICE, nl_geterror(err));
			ifindex = -EIO;
			goto out;
		}
		if (rtnl_link_get_kernel(sk, 0, SLUICE_VXLAN_DEVICE, &l))
			goto out;
	}
	ipv6_off();
	err = settle(sk, l, mtu);
	if (err)
		pr_err("cannot bring %s up with MTU %u", SLUICE_VXLAN_DEVICE, mtu);
	else
		ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
out:
	nl_socket_free(sk);
	return ifindex;
}

int tunnel_dev_remove(void)
{
	struct nl_sock *sk = route_socket();
	struct rtnl_link *l = NULL;
	int err = 0;

	if (!sk)
		return -ENOMEM;
	if (!rtnl_link_get_kernel(sk, 0, SLUICE_VXLAN_DEVICE, &l)) {
		err = rtnl_link_delete(sk, l) ? -EIO : 1;
		rtnl_link_put(l);
	}
	nl_socket_free(sk);
	return err;
}
