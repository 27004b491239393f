// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC programs where traffic from outside the node arrives: the node's
 * devices (--devices) and, in VXLAN routing, the tunnel device. Traffic to
 * a NodePort, external IP or load-balancer IP is balanced to a backend;
 * traffic for a pod on this node is delivered straight into it, after its
 * ingress policy. Everything else goes to the host stack untouched.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/config.h"
#include "lib/parse.h"
#include "lib/verdict.h"
#include "lib/endpoint.h"
#include "lib/lb4.h"
#include "lib/policy4.h"
#include "lib/node4.h"
#include "lib/snat4.h"

/* Ethernet plus the fixed IPv4 header: what forwarding reads and writes. */
#define FROM_NET_PULL_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr))

/* Where a packet came from: its verdicts differ, the handling does not. */
struct arrival {
	enum sluice_verdict to_pod;
	enum sluice_verdict pass;
};

/*
 * A packet from outside for no local pod: a service's reply goes back to
 * its client by the routing table; a new service flow to a backend on
 * another node leaves from this node's address, so the reply comes back
 * here to be translated (externalTrafficPolicy: Cluster; Local has only
 * local backends). The rest is the stack's.
 */
static __always_inline int elsewhere(struct __sk_buff *skb, struct flow4 *f, enum lb_result r,
				     const struct lb_out *lb, const struct arrival *from)
{
	struct sluice_node_cfg *cfg = node_cfg();
	enum sluice_verdict v = from->pass;
	struct cursor c;
	struct iphdr *iph;
	int ret = TC_ACT_OK, why;

	if (r != LB_DONE)
		goto out;
	if (!lb->reply) {
		if (!cfg || !cfg->node_addr || !node4_lookup(f->daddr))
			goto out;
		why = snat4_out(skb, f, cfg->node_addr);
		if (why) {
			count_verdict(skb, why);
			return TC_ACT_SHOT;
		}
	}
	if (revalidate_pull(skb, &c, FROM_NET_PULL_LEN) < 0 || !parse_ethhdr(&c)) {
		count_verdict(skb, SLUICE_VERDICT_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	iph = c.pos;
	if ((void *)(iph + 1) > c.end) {
		count_verdict(skb, SLUICE_VERDICT_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	if (lb->reply) {
		ret = fib4_forward(skb, iph);
		if (ret == TC_ACT_REDIRECT)
			v = SLUICE_VERDICT_FORWARD_NET;
		goto out;
	}
	ret = node4_forward(skb, iph, &v);
out:
	count_verdict(skb, v);
	return ret;
}

/* src_identity: the source's, as the sending node vouched for it; 0: by address. */
static __always_inline int from_outside(struct __sk_buff *skb, const struct arrival *from,
					__u32 src_identity)
{
	struct sluice_endpoint_info *ep;
	struct pol_end src = {}, dst = {};
	struct lb_out lb = {};
	enum lb_result r;
	__be32 saddr;
	int why;
	struct flow4 f;
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;

	/* The node's own traffic: whatever sluice cannot parse is the stack's to judge. */
	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    revalidate_pull(skb, &c, FROM_NET_PULL_LEN) < 0)
		goto pass;
	eth = parse_ethhdr(&c);
	if (!eth)
		goto pass;
	iph = parse_iphdr(&c, skb->len - sizeof(*eth));
	if (!iph || flow4_parse(skb, iph, &f) < 0)
		goto pass;
	/* A reply to a flow this node sent from its own address: back to the real source. */
	if (snat4_in(skb, &f) < 0) {
		count_verdict(skb, SLUICE_VERDICT_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	saddr = f.saddr;
	src.identity = src_identity;

	r = lb4_forward_any(skb, &f, SLUICE_SCOPE_EXTERNAL, &lb);
	switch (r) {
	case LB_PASS:
	case LB_DONE:
		break;
	case LB_REFUSE:
		/* No ICMP back out of a node device yet: the stack sends its own refusal. */
		goto pass;
	case LB_DROP:
		count_verdict(skb, lb.verdict);
		return TC_ACT_SHOT;
	}
	if (revalidate_pull(skb, &c, FROM_NET_PULL_LEN) < 0)
		return TC_ACT_SHOT;
	eth = parse_ethhdr(&c);
	iph = c.pos;
	if (!eth || (void *)(iph + 1) > c.end)
		return TC_ACT_SHOT;
	ep = endpoint_lookup4(f.daddr);
	/* Neither service traffic nor for a pod here: the node's own, untracked. */
	if (r == LB_PASS && !ep)
		goto pass;
	/*
	 * A new flow from outside meets a local backend's ingress policy here;
	 * every new flow, wherever its backend, is tracked here too.
	 */
	if (!lb.reply) {
		if (ep)
			pol_end_set(&dst, f.daddr, ep->ifindex);
		why = policy4_flow(skb, &f, saddr, &src, &dst, &lb.pending);
		if (why) {
			count_verdict(skb, why);
			return TC_ACT_SHOT;
		}
	}
	if (!ep)
		return elsewhere(skb, &f, r, &lb, from);
	if (iph->ttl <= 1)
		goto pass;
	count_verdict(skb, from->to_pod);
	return endpoint_deliver4(eth, iph, ep);
pass:
	count_verdict(skb, from->pass);
	return TC_ACT_OK;
}

SEC("tc")
int SLUICE_PROG_FROM_NET(struct __sk_buff *skb)
{
	const struct arrival from = { SLUICE_VERDICT_NET_TO_POD, SLUICE_VERDICT_NET_PASS };

	return from_outside(skb, &from, 0);
}

/*
 * Decapsulated by the VXLAN device. The inner frame is addressed to the
 * sending node's tunnel device, so one for this node's own stack is made
 * its host's first; delivery into a pod rewrites the addresses anyway.
 */
/*
 * The source identity the sending node put in the VNI, if this node trusts
 * the number. The key lives in a per-CPU map: from_outside() leaves no room
 * for it on the stack.
 */
static __always_inline __u32 tunnel_identity(struct __sk_buff *skb)
{
	union sluice_scratch *s;
	__u32 slot = 0;

	s = bpf_map_lookup_elem(&SLUICE_MAP_SCRATCH, &slot);
	if (!s || bpf_skb_get_tunnel_key(skb, &s->tunnel_key, sizeof(s->tunnel_key), 0))
		return 0;
	return vni_identity(s->tunnel_key.tunnel_id);
}

SEC("tc")
int SLUICE_PROG_FROM_OVERLAY(struct __sk_buff *skb)
{
	const struct arrival from = { SLUICE_VERDICT_TUNNEL_TO_POD, SLUICE_VERDICT_TUNNEL_PASS };
	__u32 src_identity = tunnel_identity(skb);

	bpf_skb_change_type(skb, PACKET_HOST);
	return from_outside(skb, &from, src_identity);
}

/*
 * Everything the VXLAN device sends, from pods (redirected by tc_from_pod)
 * or the node's own stack (by the routes the agent installs), gets its
 * tunnel key here: the destination's node, and the source's identity.
 */
SEC("tc")
int SLUICE_PROG_TO_OVERLAY(struct __sk_buff *skb)
{
	struct cursor c;
	struct iphdr *iph;

	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    revalidate_pull(skb, &c, FROM_NET_PULL_LEN) < 0 || !parse_ethhdr(&c))
		goto drop;
	iph = c.pos;
	if ((void *)(iph + 1) > c.end ||
	    node4_tunnel_key(skb, iph->daddr, ipcache4_identity(iph->saddr)) < 0)
		goto drop;
	return TC_ACT_OK;
drop:
	/* A collect-metadata device sends nothing without a key: say why here. */
	count_verdict(skb, SLUICE_VERDICT_DROP_NO_ROUTE);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
