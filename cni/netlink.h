/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rtnetlink operations sluice-cni needs, over libnl-route-3. Each works
 * in the network namespace the socket was opened in and returns 0 or a
 * negative libnl error code (see nl_geterror()).
 */
#ifndef SLUICE_CNI_NETLINK_H
#define SLUICE_CNI_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <netlink/netlink.h>

/* Bytes in a MAC address. */
#define MAC_LEN 6

struct nl_sock *nlr_open(void);
void nlr_close(struct nl_sock *sk);

/* -NLE_OBJ_NOTFOUND when there is no such link. */
int nlr_link_index(struct nl_sock *sk, const char *name, int *ifindex);
int nlr_link_info(struct nl_sock *sk, int ifindex, unsigned char mac[MAC_LEN], bool *up,
		  bool *is_veth);
/* Creates a veth pair; the peer is made directly in peer_netns_fd under peer_name. */
int nlr_veth_create(struct nl_sock *sk, const char *name, const char *peer_name,
		    int peer_netns_fd, unsigned int mtu);
int nlr_link_up(struct nl_sock *sk, int ifindex);
/* A missing link is not an error. */
int nlr_link_delete(struct nl_sock *sk, const char *name);
/* Calls fn for every link in the namespace; stops early when fn returns non-zero. */
int nlr_link_foreach(struct nl_sock *sk, int (*fn)(const char *name, void *ctx), void *ctx);

int nlr_addr_add4(struct nl_sock *sk, int ifindex, struct in_addr a, unsigned int prefix);
bool nlr_addr_has4(struct nl_sock *sk, int ifindex, struct in_addr a, unsigned int prefix);
/* A route to dst/prefix out of ifindex; through gw unless gw is NULL (then scope link). */
int nlr_route_add4(struct nl_sock *sk, int ifindex, struct in_addr dst, unsigned int prefix,
		   const struct in_addr *gw);
bool nlr_route_has4(struct nl_sock *sk, int ifindex, struct in_addr dst, unsigned int prefix,
		    const struct in_addr *gw);
/* A permanent neighbour entry: no ARP is ever needed for ip on ifindex. */
int nlr_neigh_add4(struct nl_sock *sk, int ifindex, struct in_addr ip,
		   const unsigned char mac[MAC_LEN]);

#endif
