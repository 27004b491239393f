// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agent/nodes.h"
#include "agent/nomasq.h"
#include "k8s/fields.h"
#include "lib/log.h"
#include "lib/node_cfg.h"
#include "lib/node_routes.h"
#include "lib/tc_attach.h"
#include "lib/tunnel_dev.h"

#define IP_FORWARD_SYSCTL "/proc/sys/net/ipv4/ip_forward"
/* A node's own address as a node map key: all 32 bits. */
#define NODE_ADDR_BITS 32
/* Node map entries per node: its pod CIDR and its address. */
#define ENTRIES_PER_NODE 2

/* The MTU of a pod's interface when no device names the underlay's: Ethernet's. */
#define UNDERLAY_MTU_DEFAULT 1500

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node_info *)a)->name, ((const struct node_info *)b)->name);
}

bool nodes_routing_parse(const char *s, enum sluice_routing *out)
{
	if (!strcmp(s, "native"))
		*out = SLUICE_ROUTING_NATIVE;
	else if (!strcmp(s, "vxlan"))
		*out = SLUICE_ROUTING_VXLAN;
	else
		return false;
	return true;
}

/* The tunnel's MTU: the underlay's less the encapsulation, so pods never need fragments. */
static unsigned int tunnel_mtu(const struct nodes_opts *o)
{
	unsigned int mtu = UNDERLAY_MTU_DEFAULT;

	if (o->devices && o->devices->n && devices_min_mtu(o->devices, &mtu))
		mtu = UNDERLAY_MTU_DEFAULT;
	return mtu - SLUICE_VXLAN_OVERHEAD;
}

/* Its Node object's InternalIP, else the first address of the devices. */
static __be32 self_addr(const struct nodes *n)
{
	if (n->self.addr.s_addr)
		return n->self.addr.s_addr;
	if (n->opts.devices && n->opts.devices->n_addrs)
		return n->opts.devices->addrs[0].s_addr;
	return 0;
}

/* BPF's FIB lookups honour the forwarding switch, as the stack does. */
static void warn_no_forwarding(void)
{
	FILE *f = fopen(IP_FORWARD_SYSCTL, "r");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	if (c == '0')
		pr_warn("native routing: net.ipv4.ip_forward is 0, so the kernel will not route "
			"pods' traffic to other nodes; set it to 1, as Kubernetes nodes need");
}

static int setup_routing(struct nodes *n, const struct sluice_pins *pins)
{
	int ifindex, err;

	if (n->opts.routing == SLUICE_ROUTING_NATIVE) {
		warn_no_forwarding();
		/* A switch from VXLAN: its routes go with the device. */
		err = tunnel_dev_remove();
		if (err > 0)
			pr_info("native routing: %s removed", SLUICE_VXLAN_DEVICE);
		return err < 0 ? err : 0;
	}
	n->cfg.pod_mtu = tunnel_mtu(&n->opts);
	ifindex = tunnel_dev_ensure(n->cfg.pod_mtu);
	if (ifindex < 0)
		return ifindex;
	err = tc_attach_overlay(pins, ifindex);
	if (err) {
		pr_err("cannot attach the overlay programs to %s: %s", SLUICE_VXLAN_DEVICE,
		       strerror(-err));
		return err;
	}
	n->cfg.tunnel_ifindex = (__u32)ifindex;
	return 0;
}

int nodes_open(struct nodes *n, const struct sluice_pins *pins, const struct nodes_opts *o)
{
	int err;

	memset(n, 0, sizeof(*n));
	n->opts = *o;
	n->map_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_NODES4));
	n->cfg_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_NODE_CFG));
	if (n->map_fd < 0 || n->cfg_fd < 0) {
		err = n->map_fd < 0 ? n->map_fd : n->cfg_fd;
		nodes_close(n);
		return err;
	}
	n->cfg.routing = o->routing;
	n->cfg.flags = o->masquerade ? SLUICE_NODE_F_MASQUERADE : 0;
	err = nomasq_write(pins, &o->nomasq);
	if (!err)
		err = setup_routing(n, pins);
	/* The mode is the datapath's at once; the node map waits for the first flush. */
	if (!err) {
		n->cfg.node_addr = self_addr(n);
		err = node_cfg_write_fd(n->cfg_fd, &n->cfg);
	}
	n->dirty = true;
	if (err)
		nodes_close(n);
	return err;
}

static void free_node(void *p)
{
	free(p);
}

void nodes_close(struct nodes *n)
{
	if (n->map_fd >= 0)
		close(n->map_fd);
	if (n->cfg_fd >= 0)
		close(n->cfg_fd);
	tdestroy(n->tree, free_node);
	n->tree = NULL;
	n->map_fd = n->cfg_fd = -1;
}

void nodes_event(struct nodes *n, enum k8s_event_type type, enum k8s_kind kind, const cJSON *obj)
{
	struct node_info *e, **hit;
	char why[K8S_WHY_LEN];

	if (kind != K8S_KIND_NODE)
		return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	if (node_info_parse(obj, e, why, sizeof(why))) {
		/* The last valid version stays: a bad edit cuts no node off. */
		pr_warn("Node %s skipped: %s", e->name[0] ? e->name : "?", why);
		n->invalid++;
		free(e);
		return;
	}
	n->dirty = true;
	hit = tfind(e, &n->tree, node_cmp);
	if (hit) {
		struct node_info *old = *hit;

		tdelete(old, &n->tree, node_cmp);
		free(old);
	}
	if (type == K8S_EVENT_DELETED || !tsearch(e, &n->tree, node_cmp))
		free(e);
}

/* Another node's pod CIDR and where it is. */
struct remote {
	struct np_cidr cidr;
	struct in_addr addr;
};

struct collect {
	struct nodes *n;
	struct remote *r;
	size_t count, cap;
	size_t left_out;	/* nodes beyond what the node map holds */
};

static bool overlaps(const struct np_cidr *a, const struct np_cidr *b)
{
	return np_cidr_contains(a, b) || np_cidr_contains(b, a);
}

/* This node's own pod CIDR: --pod-cidr, else its Node object's. */
static const struct np_cidr *own_cidr(const struct nodes *n)
{
	return n->opts.pod_cidr.prefix ? &n->opts.pod_cidr : &n->self.cidr;
}

static void collect_visit(const void *node, VISIT which, void *arg)
{
	const struct node_info *e = *(const struct node_info *const *)node;
	struct collect *c = arg;
	const struct np_cidr *own = own_cidr(c->n);
	char net[INET_ADDRSTRLEN];

	if (which != postorder && which != leaf)
		return;
	if (!strcmp(e->name, c->n->opts.self)) {
		c->n->self = *e;
		return;
	}
	/* A node gets its CIDR and address after it registers: until then it has no pods. */
	if (!e->cidr.prefix || !e->addr.s_addr)
		return;
	if (c->count == c->cap) {
		c->left_out++;
		return;
	}
	if (own->prefix && overlaps(own, &e->cidr)) {
		inet_ntop(AF_INET, &e->cidr.addr, net, sizeof(net));
		pr_err("Node %s: pod CIDR %s/%u overlaps this node's own; not routed", e->name,
		       net, e->cidr.prefix);
		return;
	}
	c->r[c->count++] = (struct remote){ e->cidr, e->addr };
}

/*
 * The map's entries: each node's pod CIDR and its own address, so replies
 * from pods to another node's host take the same way as its pods' traffic.
 */
struct node_entry {
	struct sluice_node4_key key;
	struct sluice_node4_value val;
};

static size_t map_entries(const struct remote *r, size_t count, struct node_entry *out)
{
	size_t i, n = 0;

	for (i = 0; i < count; i++) {
		out[n++] = (struct node_entry){ { r[i].cidr.prefix, r[i].cidr.addr.s_addr },
						{ .node_addr = r[i].addr.s_addr } };
		out[n++] = (struct node_entry){ { NODE_ADDR_BITS, r[i].addr.s_addr },
						{ .node_addr = r[i].addr.s_addr } };
	}
	return n;
}

static bool wanted(const struct node_entry *e, size_t n, const struct sluice_node4_key *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].key.addr == k->addr && e[i].key.prefixlen == k->prefixlen)
			return true;
	return false;
}

/* Stale entries go first, then missing and changed ones are written; live ones never flap. */
static int write_map(struct nodes *n, const struct remote *r, size_t count)
{
	struct sluice_node4_key *keys = calloc(SLUICE_NODE_MAX, sizeof(*keys)), *prev = NULL;
	struct node_entry *want = calloc(count * ENTRIES_PER_NODE + 1, sizeof(*want));
	struct sluice_node4_value cur;
	size_t nkeys = 0, nwant, i;
	int err = 0;

	if (!keys || !want) {
		err = -ENOMEM;
		goto out;
	}
	nwant = map_entries(r, count, want);
	while (nkeys < SLUICE_NODE_MAX && !bpf_map_get_next_key(n->map_fd, prev, &keys[nkeys])) {
		prev = &keys[nkeys];
		nkeys++;
	}
	for (i = 0; i < nkeys; i++)
		if (!wanted(want, nwant, &keys[i]) && bpf_map_delete_elem(n->map_fd, &keys[i]) &&
		    errno != ENOENT)
			err = -errno;
	for (i = 0; i < nwant; i++) {
		if (!bpf_map_lookup_elem(n->map_fd, &want[i].key, &cur) &&
		    cur.node_addr == want[i].val.node_addr)
			continue;
		if (bpf_map_update_elem(n->map_fd, &want[i].key, &want[i].val, BPF_ANY)) {
			err = -errno;
			pr_err("node map full or refused (%s): %zu of %zu entries written",
			       strerror(errno), i, nwant);
			break;
		}
	}
	n->entries = err ? n->entries : nwant;
out:
	free(keys);
	free(want);
	return err;
}

static int write_routes(struct nodes *n, const struct remote *r, size_t count)
{
	struct node_route *routes = calloc(count + 1, sizeof(*routes));
	size_t i;
	int err;

	if (!routes)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		routes[i].dst = r[i].cidr.addr;
		routes[i].prefix = r[i].cidr.prefix;
		if (n->opts.routing == SLUICE_ROUTING_NATIVE)
			routes[i].via = r[i].addr;
	}
	err = node_routes_sync(routes, count, (int)n->cfg.tunnel_ifindex,
			       (struct in_addr){ n->cfg.node_addr }, &n->route_failures);
	free(routes);
	if (err)
		pr_err("cannot sync the routes to other nodes' pods: %s", strerror(-err));
	return err;
}

int nodes_flush(struct nodes *n)
{
	struct collect c = { .n = n, .cap = SLUICE_NODE_MAX / ENTRIES_PER_NODE };
	struct sluice_node_cfg cur;
	__u32 slot = 0;
	int err, err2;

	if (!n->dirty)
		return 0;
	c.r = calloc(c.cap, sizeof(*c.r));
	if (!c.r)
		return -ENOMEM;
	memset(&n->self, 0, sizeof(n->self));
	twalk_r(n->tree, collect_visit, &c);
	if (c.left_out)
		pr_err("%zu nodes beyond the node map's %zu: their pods are not routed",
		       c.left_out, c.cap);
	n->cfg.node_addr = self_addr(n);
	if (bpf_map_lookup_elem(n->cfg_fd, &slot, &cur) || memcmp(&cur, &n->cfg, sizeof(cur)))
		err = node_cfg_write_fd(n->cfg_fd, &n->cfg);
	else
		err = 0;
	err2 = write_map(n, c.r, c.count);
	err = err ? err : err2;
	err2 = write_routes(n, c.r, c.count);
	err = err ? err : err2;
	free(c.r);
	/* A failure is tried again with the next flush. */
	n->dirty = err != 0 || n->route_failures;
	return err;
}

static void count_visit(const void *node, VISIT which, void *arg)
{
	(void)node;
	if (which == postorder || which == leaf)
		(*(size_t *)arg)++;
}

size_t nodes_count(const struct nodes *n)
{
	size_t count = 0;

	twalk_r(n->tree, count_visit, &count);
	return count;
}
