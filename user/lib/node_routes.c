// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/errno.h>
#include <netlink/route/route.h>

#include "lib/log.h"
#include "lib/node_routes.h"

/* Bytes of an IPv4 address, for nl_addr. */
#define IPV4_LEN 4

struct sync_ctx {
	struct nl_sock *sk;
	const struct node_route *want;
	size_t n;
	bool *present;		/* want[i] is in the kernel as it should be */
	int oif;
	struct in_addr src;
	int removed;
	int err;
};

static struct nl_addr *ipv4_addr(struct in_addr a, __u8 prefix)
{
	struct nl_addr *n = nl_addr_build(AF_INET, &a, IPV4_LEN);

	if (n)
		nl_addr_set_prefixlen(n, prefix);
	return n;
}

static bool addr_is(struct nl_addr *n, struct in_addr a)
{
	return n && nl_addr_get_family(n) == AF_INET && nl_addr_get_len(n) == IPV4_LEN &&
	       !memcmp(nl_addr_get_binary_addr(n), &a, IPV4_LEN);
}

/* Whether route r is want as sync would write it. */
static bool route_matches(struct rtnl_route *r, const struct node_route *w, int oif,
			  struct in_addr src)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);
	struct rtnl_nexthop *nh;

	if (!addr_is(dst, w->dst) || nl_addr_get_prefixlen(dst) != w->prefix ||
	    rtnl_route_get_nnexthops(r) != 1)
		return false;
	nh = rtnl_route_nexthop_n(r, 0);
	if (w->via.s_addr)
		return addr_is(rtnl_route_nh_get_gateway(nh), w->via);
	return rtnl_route_nh_get_ifindex(nh) == oif && !rtnl_route_nh_get_gateway(nh) &&
	       addr_is(rtnl_route_get_pref_src(r), src);
}

static bool is_ours(struct rtnl_route *r)
{
	return rtnl_route_get_family(r) == AF_INET && rtnl_route_get_protocol(r) == SLUICE_ROUTE_PROTO &&
	       rtnl_route_get_table(r) == RT_TABLE_MAIN;
}

/* Keeps what matches a wanted route, deletes the rest of ours. */
static void visit(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct sync_ctx *c = arg;
	size_t i;
	int err;

	if (!is_ours(r))
		return;
	for (i = 0; i < c->n; i++)
		if (!c->present[i] && route_matches(r, &c->want[i], c->oif, c->src)) {
			c->present[i] = true;
			return;
		}
	err = rtnl_route_delete(c->sk, r, 0);
	if (err && err != -NLE_OBJ_NOTFOUND) {
		pr_warn("cannot delete a stale pod route: %s", nl_geterror(err));
		c->err = -EIO;
	} else {
		c->removed++;
	}
}

static int route_add(struct nl_sock *sk, const struct node_route *w, int oif, struct in_addr src)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = ipv4_addr(w->dst, w->prefix), *gw = NULL, *psrc = NULL;
	int err = -NLE_NOMEM;

	if (!r || !nh || !dst)
		goto out;
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, SLUICE_ROUTE_PROTO);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_set_dst(r, dst);
	if (w->via.s_addr) {
		gw = ipv4_addr(w->via, IPV4_LEN * 8);
		if (!gw)
			goto out;
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	} else {
		psrc = src.s_addr ? ipv4_addr(src, IPV4_LEN * 8) : NULL;
		if (psrc)
			rtnl_route_set_pref_src(r, psrc);
		rtnl_route_nh_set_ifindex(nh, oif);
		rtnl_route_set_scope(r, RT_SCOPE_LINK);
	}
	rtnl_route_add_nexthop(r, nh);
	nh = NULL;
	err = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_REPLACE);
out:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gw);
	nl_addr_put(psrc);
	if (r)
		rtnl_route_put(r);
	return err;
}

static int with_routes(void (*fn)(struct nl_object *, void *), struct sync_ctx *c)
{
	struct nl_cache *cache = NULL;
	int err;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	err = nl_connect(c->sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_route_alloc_cache(c->sk, AF_INET, 0, &cache);
	if (err) {
		nl_socket_free(c->sk);
		c->sk = NULL;
		return -EIO;
	}
	nl_cache_foreach(cache, fn, c);
	nl_cache_free(cache);
	return 0;
}

int node_routes_sync(const struct node_route *want, size_t n, int oif, struct in_addr src,
		     unsigned int *failed)
{
	struct sync_ctx c = { .want = want, .n = n, .oif = oif, .src = src };
	char dst[INET_ADDRSTRLEN];
	size_t i;
	int err;

	*failed = 0;
	c.present = calloc(n + 1, sizeof(*c.present));
	if (!c.present)
		return -ENOMEM;
	err = with_routes(visit, &c);
	for (i = 0; !err && i < n; i++) {
		if (c.present[i])
			continue;
		err = route_add(c.sk, &want[i], oif, src);
		if (err) {
			inet_ntop(AF_INET, &want[i].dst, dst, sizeof(dst));
			pr_err("cannot route pod CIDR %s/%u: %s", dst, want[i].prefix,
			       nl_geterror(err));
			(*failed)++;
			err = 0;
		}
	}
	if (c.sk)
		nl_socket_free(c.sk);
	free(c.present);
	return err ? err : c.err;
}

int node_routes_remove_all(void)
{
	struct sync_ctx c = { 0 };
	int err = with_routes(visit, &c);

	if (c.sk)
		nl_socket_free(c.sk);
	if (err)
		return err;
	return c.err ? c.err : c.removed;
}
