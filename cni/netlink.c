// SPDX-License-Identifier: Apache-2.0
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "netlink.h"

/* Bytes of an IPv4 address. */
#define IPV4_LEN 4
/* Bits of an IPv4 address: a host route's prefix. */
#define IPV4_BITS 32

struct nl_sock *nlr_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

void nlr_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int nlr_link_index(struct nl_sock *sk, const char *name, int *ifindex)
{
	struct rtnl_link *link;
	int err = rtnl_link_get_kernel(sk, 0, name, &link);

	if (err)
		return err;
	*ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return 0;
}

int nlr_link_info(struct nl_sock *sk, int ifindex, unsigned char mac[MAC_LEN], bool *up,
		  bool *is_veth)
{
	struct rtnl_link *link;
	struct nl_addr *ll;
	const char *type;
	int err = rtnl_link_get_kernel(sk, ifindex, NULL, &link);

	if (err)
		return err;
	ll = rtnl_link_get_addr(link);
	if (!ll || nl_addr_get_len(ll) != MAC_LEN) {
		rtnl_link_put(link);
		return -NLE_INVAL;
	}
	memcpy(mac, nl_addr_get_binary_addr(ll), MAC_LEN);
	if (up)
		*up = rtnl_link_get_flags(link) & IFF_UP;
	if (is_veth) {
		type = rtnl_link_get_type(link);
		*is_veth = type && !strcmp(type, "veth");
	}
	rtnl_link_put(link);
	return 0;
}

int nlr_veth_create(struct nl_sock *sk, const char *name, const char *peer_name,
		    int peer_netns_fd, unsigned int mtu)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *peer;
	int err;

	if (!link)
		return -NLE_NOMEM;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, name);
	rtnl_link_set_mtu(link, mtu);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_mtu(peer, mtu);
	rtnl_link_set_ns_fd(peer, peer_netns_fd);
	err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	return err;
}

int nlr_link_up(struct nl_sock *sk, int ifindex)
{
	struct rtnl_link *orig, *change;
	int err = rtnl_link_get_kernel(sk, ifindex, NULL, &orig);

	if (err)
		return err;
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(orig);
		return -NLE_NOMEM;
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sk, orig, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(orig);
	return err;
}

int nlr_link_delete(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link)
		return -NLE_NOMEM;
	rtnl_link_set_name(link, name);
	err = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? 0 : err;
}

int nlr_link_foreach(struct nl_sock *sk, int (*fn)(const char *name, void *ctx), void *ctx)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	int err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);

	if (err)
		return err;
	for (obj = nl_cache_get_first(cache); obj && !err; obj = nl_cache_get_next(obj))
		err = fn(rtnl_link_get_name((struct rtnl_link *)obj), ctx);
	nl_cache_free(cache);
	return err;
}

static struct nl_addr *addr4(struct in_addr a, unsigned int prefix)
{
	struct nl_addr *na = nl_addr_build(AF_INET, &a, IPV4_LEN);

	if (na)
		nl_addr_set_prefixlen(na, (int)prefix);
	return na;
}

int nlr_addr_add4(struct nl_sock *sk, int ifindex, struct in_addr a, unsigned int prefix)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = addr4(a, prefix);
	int err = -NLE_NOMEM;

	if (addr && local) {
		rtnl_addr_set_ifindex(addr, ifindex);
		rtnl_addr_set_family(addr, AF_INET);
		err = rtnl_addr_set_local(addr, local);
		if (!err)
			err = rtnl_addr_add(sk, addr, 0);
	}
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return err;
}

bool nlr_addr_has4(struct nl_sock *sk, int ifindex, struct in_addr a, unsigned int prefix)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	bool found = false;

	if (rtnl_addr_alloc_cache(sk, &cache))
		return false;
	for (obj = nl_cache_get_first(cache); obj && !found; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *addr = (struct rtnl_addr *)obj;
		struct nl_addr *local = rtnl_addr_get_local(addr);

		found = rtnl_addr_get_ifindex(addr) == ifindex &&
			rtnl_addr_get_family(addr) == AF_INET && local &&
			nl_addr_get_len(local) == IPV4_LEN &&
			!memcmp(nl_addr_get_binary_addr(local), &a, IPV4_LEN) &&
			(unsigned int)rtnl_addr_get_prefixlen(addr) == prefix;
	}
	nl_cache_free(cache);
	return found;
}

int nlr_route_add4(struct nl_sock *sk, int ifindex, struct in_addr dst, unsigned int prefix,
		   const struct in_addr *gw)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = addr4(dst, prefix), *g = gw ? addr4(*gw, IPV4_BITS) : NULL;
	int err = -NLE_NOMEM;

	if (route && nh && d && (!gw || g)) {
		rtnl_route_set_family(route, AF_INET);
		rtnl_route_set_table(route, RT_TABLE_MAIN);
		rtnl_route_set_protocol(route, RTPROT_STATIC);
		rtnl_route_set_scope(route, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
		err = rtnl_route_set_dst(route, d);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (g)
			rtnl_route_nh_set_gateway(nh, g);
		rtnl_route_add_nexthop(route, nh);
		nh = NULL;	/* the route owns it now */
		if (!err)
			err = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(d);
	nl_addr_put(g);
	rtnl_route_put(route);
	return err;
}

static bool nh_matches(struct rtnl_route *route, int ifindex, const struct in_addr *gw)
{
	struct rtnl_nexthop *nh;
	struct nl_addr *g;

	if (rtnl_route_get_nnexthops(route) != 1)
		return false;
	nh = rtnl_route_nexthop_n(route, 0);
	if (rtnl_route_nh_get_ifindex(nh) != ifindex)
		return false;
	g = rtnl_route_nh_get_gateway(nh);
	if (!gw)
		return !g;
	return g && nl_addr_get_len(g) == IPV4_LEN &&
	       !memcmp(nl_addr_get_binary_addr(g), gw, IPV4_LEN);
}

bool nlr_route_has4(struct nl_sock *sk, int ifindex, struct in_addr dst, unsigned int prefix,
		    const struct in_addr *gw)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	bool found = false;

	if (rtnl_route_alloc_cache(sk, AF_INET, 0, &cache))
		return false;
	for (obj = nl_cache_get_first(cache); obj && !found; obj = nl_cache_get_next(obj)) {
		struct rtnl_route *route = (struct rtnl_route *)obj;
		struct nl_addr *d = rtnl_route_get_dst(route);

		if (rtnl_route_get_table(route) != RT_TABLE_MAIN || !d ||
		    (unsigned int)nl_addr_get_prefixlen(d) != prefix)
			continue;
		/* The default route's dst may come back with no address bytes at all. */
		if (prefix && (nl_addr_get_len(d) != IPV4_LEN ||
			       memcmp(nl_addr_get_binary_addr(d), &dst, IPV4_LEN)))
			continue;
		found = nh_matches(route, ifindex, gw);
	}
	nl_cache_free(cache);
	return found;
}

int nlr_neigh_add4(struct nl_sock *sk, int ifindex, struct in_addr ip,
		   const unsigned char mac[MAC_LEN])
{
	struct rtnl_neigh *neigh = rtnl_neigh_alloc();
	struct nl_addr *dst = addr4(ip, IPV4_BITS), *ll = nl_addr_build(AF_LLC, mac, MAC_LEN);
	int err = -NLE_NOMEM;

	if (neigh && dst && ll) {
		rtnl_neigh_set_ifindex(neigh, ifindex);
		rtnl_neigh_set_family(neigh, AF_INET);
		rtnl_neigh_set_state(neigh, NUD_PERMANENT);
		err = rtnl_neigh_set_dst(neigh, dst);
		if (!err) {
			rtnl_neigh_set_lladdr(neigh, ll);
			err = rtnl_neigh_add(sk, neigh, NLM_F_CREATE | NLM_F_REPLACE);
		}
	}
	nl_addr_put(dst);
	nl_addr_put(ll);
	rtnl_neigh_put(neigh);
	return err;
}
