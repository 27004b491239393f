// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <netlink/errno.h>

#include "netns.h"
#include "pod_net.h"

/* Prefix of the route to the gateway: the gateway alone. */
#define GATEWAY_ROUTE_PREFIX 32

static struct in_addr pod_gateway(void)
{
	struct in_addr gw;

	inet_pton(AF_INET, POD_GATEWAY_IPV4, &gw);
	return gw;
}

static int nl_fail(struct cni_error *err, const char *what, const char *dev, int nlerr)
{
	return cni_fail(err, CNI_ERR_SYSTEM, "cannot set up the pod network", "%s on %s: %s",
			what, dev, nl_geterror(nlerr));
}

/* Inside the pod: address, routes through the gateway, the gateway's MAC. */
static int configure_pod_side(struct pod_net *pn, struct cni_error *err)
{
	struct in_addr gw = pod_gateway(), any = { 0 };
	struct nl_sock *sk = nlr_open();
	int ifindex, ret;

	if (!sk)
		return cni_fail(err, CNI_ERR_SYSTEM, "cannot open netlink", "in the pod namespace");
	ret = nlr_link_index(sk, pn->ifname, &ifindex);
	if (ret) {
		nl_fail(err, "finding the pod interface", pn->ifname, ret);
		goto out;
	}
	ret = nlr_link_info(sk, ifindex, pn->pod_mac, NULL, NULL);
	if (!ret)
		ret = nlr_link_up(sk, ifindex);
	if (!ret)
		ret = nlr_addr_add4(sk, ifindex, pn->addr, POD_ADDR_PREFIX);
	if (!ret)
		ret = nlr_route_add4(sk, ifindex, gw, GATEWAY_ROUTE_PREFIX, NULL);
	if (!ret)
		ret = nlr_route_add4(sk, ifindex, any, 0, &gw);
	if (!ret)
		ret = nlr_neigh_add4(sk, ifindex, gw, pn->host_mac);
	if (ret)
		nl_fail(err, "configuring address, routes and gateway", pn->ifname, ret);
out:
	nlr_close(sk);
	return ret ? err->code : 0;
}

static int in_pod(struct pod_net *pn, int netns_fd,
		  int (*fn)(struct pod_net *, struct cni_error *), struct cni_error *err)
{
	int saved, ret;

	ret = netns_enter(netns_fd, &saved);
	if (ret)
		return cni_fail(err, CNI_ERR_SYSTEM, "cannot enter the pod namespace", "setns: %s",
				strerror(-ret));
	ret = fn(pn, err);
	/* Staying in the pod's namespace would misdirect every later step: never go on. */
	if (netns_leave(saved))
		return cni_fail(err, CNI_ERR_SYSTEM, "cannot leave the pod namespace", "setns back failed");
	return ret;
}

int pod_net_create(struct pod_net *pn, int netns_fd, struct cni_error *err)
{
	struct nl_sock *sk = nlr_open();
	int ret;

	if (!sk)
		return cni_fail(err, CNI_ERR_SYSTEM, "cannot open netlink", "in the node namespace");
	ret = nlr_veth_create(sk, pn->host_ifname, pn->ifname, netns_fd, pn->mtu);
	if (ret == -NLE_EXIST) {
		ret = cni_fail(err, CNI_ERR_EXISTS, "interface exists",
			       "the pod namespace already has an interface named %s, or the "
			       "node one named %s", pn->ifname, pn->host_ifname);
		goto out;
	}
	if (ret) {
		ret = nl_fail(err, "creating the veth pair", pn->host_ifname, ret);
		goto out;
	}
	ret = nlr_link_index(sk, pn->host_ifname, &pn->host_ifindex);
	if (!ret)
		ret = nlr_link_info(sk, pn->host_ifindex, pn->host_mac, NULL, NULL);
	if (ret) {
		ret = nl_fail(err, "reading the new veth", pn->host_ifname, ret);
		goto undo;
	}
	ret = in_pod(pn, netns_fd, configure_pod_side, err);
	if (ret)
		goto undo;
	ret = nlr_link_up(sk, pn->host_ifindex);
	if (!ret)
		ret = nlr_route_add4(sk, pn->host_ifindex, pn->addr, POD_ADDR_PREFIX, NULL);
	if (!ret)
		ret = nlr_neigh_add4(sk, pn->host_ifindex, pn->addr, pn->pod_mac);
	if (ret) {
		ret = nl_fail(err, "configuring the host side (a route to this address may exist "
			      "already)", pn->host_ifname, ret);
		goto undo;
	}
	goto out;
undo:
	nlr_link_delete(sk, pn->host_ifname);
out:
	nlr_close(sk);
	return ret;
}

bool pod_net_exists(const char *host_ifname)
{
	struct nl_sock *sk = nlr_open();
	int ifindex;
	bool found = sk && !nlr_link_index(sk, host_ifname, &ifindex);

	nlr_close(sk);
	return found;
}

int pod_net_delete(const char *host_ifname, struct cni_error *err)
{
	struct nl_sock *sk = nlr_open();
	int ret;

	if (!sk)
		return cni_fail(err, CNI_ERR_SYSTEM, "cannot open netlink", "in the node namespace");
	ret = nlr_link_delete(sk, host_ifname);
	nlr_close(sk);
	if (ret)
		return nl_fail(err, "deleting the veth", host_ifname, ret);
	return 0;
}

static int check_fail(struct cni_error *err, const char *what, const char *dev)
{
	return cni_fail(err, CNI_ERR_CHECK_FAILED, "pod network is not as ADD left it",
			"%s: %s", dev, what);
}

static int check_pod_side(struct pod_net *pn, struct cni_error *err)
{
	struct in_addr gw = pod_gateway(), any = { 0 };
	struct nl_sock *sk = nlr_open();
	int ifindex, ret = 0;
	bool up;

	if (!sk)
		return cni_fail(err, CNI_ERR_SYSTEM, "cannot open netlink", "in the pod namespace");
	if (nlr_link_index(sk, pn->ifname, &ifindex) ||
	    nlr_link_info(sk, ifindex, pn->pod_mac, &up, NULL))
		ret = check_fail(err, "missing in the pod namespace", pn->ifname);
	else if (!up)
		ret = check_fail(err, "is down", pn->ifname);
	else if (!nlr_addr_has4(sk, ifindex, pn->addr, POD_ADDR_PREFIX))
		ret = check_fail(err, "lacks the pod address /32", pn->ifname);
	else if (!nlr_route_has4(sk, ifindex, any, 0, &gw))
		ret = check_fail(err, "lacks the default route via " POD_GATEWAY_IPV4, pn->ifname);
	nlr_close(sk);
	return ret;
}

int pod_net_check(struct pod_net *pn, int netns_fd, struct cni_error *err)
{
	struct nl_sock *sk = nlr_open();
	bool up, is_veth;
	int ret = 0;

	if (!sk)
		return cni_fail(err, CNI_ERR_SYSTEM, "cannot open netlink", "in the node namespace");
	if (nlr_link_index(sk, pn->host_ifname, &pn->host_ifindex) ||
	    nlr_link_info(sk, pn->host_ifindex, pn->host_mac, &up, &is_veth))
		ret = check_fail(err, "host veth is missing", pn->host_ifname);
	else if (!is_veth)
		ret = check_fail(err, "is not a veth", pn->host_ifname);
	else if (!up)
		ret = check_fail(err, "host veth is down", pn->host_ifname);
	else if (!nlr_route_has4(sk, pn->host_ifindex, pn->addr, POD_ADDR_PREFIX, NULL))
		ret = check_fail(err, "lacks the host route to the pod", pn->host_ifname);
	nlr_close(sk);
	return ret ? ret : in_pod(pn, netns_fd, check_pod_side, err);
}
