/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NetworkPolicy on the first packet of a flow: the sending pod's egress
 * and the receiving pod's ingress entries are looked up by the peer's
 * identity; an allowed flow is tracked, so its later packets and all its
 * replies pass without a lookup.
 */
#ifndef SLUICE_BPF_POLICY4_H
#define SLUICE_BPF_POLICY4_H

#include "ct4.h"
#include "events.h"
#include "endpoint.h"
#include "lb4.h"

/* Bits of an IPv4 address: an exact ipcache lookup. */
#define IPV4_BITS 32

/* A pod on this node at one end of a flow. */
struct pol_end {
	struct sluice_endpoint_key key;
	__u32 ifindex;
	bool local;
	__u32 identity;		/* the source's, as its node vouched for it; 0: by address */
};

static __always_inline __u32 ipcache4_identity(__be32 addr)
{
	struct sluice_ipcache4_key k = { .prefixlen = IPV4_BITS, .addr = addr };
	struct sluice_ipcache_value *v = bpf_map_lookup_elem(&SLUICE_MAP_IPCACHE4, &k);

	return v ? v->identity : SLUICE_IDENTITY_WORLD;
}

/*
 * The identity a VNI names, when this node knows it as the same labels'
 * number on every node; 0 (look the address up) otherwise.
 */
static __always_inline __u32 vni_identity(__u32 vni)
{
	struct sluice_identity_meta *m;

	if (vni < SLUICE_IDENTITY_CLUSTER_FIRST)
		return 0;
	m = bpf_map_lookup_elem(&SLUICE_MAP_IDENTITY, &vni);
	return m && (m->flags & SLUICE_IDENTITY_F_CLUSTER) ? vni : 0;
}

static __always_inline void pol_end_set(struct pol_end *e, __be32 addr, __u32 ifindex)
{
	__builtin_memset(&e->key, 0, sizeof(e->key));
	e->key.family = SLUICE_FAMILY_IPV4;
	e->key.addr[0] = addr;
	e->ifindex = ifindex;
	e->local = true;
}

enum pol_result {
	POL_OPEN,	/* the endpoint is not isolated in this direction */
	POL_ALLOW,
	POL_DENY,
};

/*
 * Looks peer up in one endpoint direction's table: its own entries, then
 * "any peer". No table yet, or the catch-all entry, is an open direction.
 */
static __always_inline enum pol_result pol_lookup(void *outer, const struct sluice_endpoint_key *ep,
						  __u32 peer, const struct flow4 *f, __u32 *policy_id)
{
	struct sluice_policy_key k = {
		.prefixlen = SLUICE_POLICY_KEY_BITS,
		.identity = peer,
		.proto = f->proto,
		.port = f->dport,
	};
	struct sluice_policy_value *v;
	void *table = bpf_map_lookup_elem(outer, ep);

	if (!table)
		return POL_OPEN;
	v = bpf_map_lookup_elem(table, &k);
	if (!v) {
		k.identity = SLUICE_IDENTITY_ANY;
		v = bpf_map_lookup_elem(table, &k);
	}
	if (!v)
		return POL_DENY;
	if (v->policy_id == SLUICE_POLICY_ID_OPEN)
		return POL_OPEN;
	*policy_id = v->policy_id;
	return POL_ALLOW;
}

/*
 * Tracks an allowed flow: its FORWARD entry, and a REPLY entry unless NAT
 * made one. Their value is built in the scratch map: the callers' stacks
 * are full.
 */
static __always_inline void pol_track(const struct flow4 *f, const struct lb_pending *pending)
{
	union sluice_scratch *s;
	__u32 slot = 0;
	struct flow4 reply = {
		.saddr = f->daddr,
		.daddr = f->saddr,
		.sport = f->dport,
		.dport = f->sport,
		.proto = f->proto,
		.tcp_flags = TCP_FLAG_SYN,
	};

	s = bpf_map_lookup_elem(&SLUICE_MAP_SCRATCH, &slot);
	if (!s)
		return;
	__builtin_memset(&s->ct, 0, sizeof(s->ct));
	ct4_create(f, SLUICE_CT_FORWARD, &s->ct);
	if (pending->set) {
		lb4_commit(pending);
		return;
	}
	__builtin_memset(&s->ct, 0, sizeof(s->ct));
	ct4_create(&reply, SLUICE_CT_REPLY, &s->ct);
}

/*
 * Decides a packet of a flow that is not a tracked reply: f is its tuple
 * after translation, saddr its source before it (the real client, also for
 * hairpin). src and dst are the local pods at either end, if any. Returns 0
 * when it may go on (its flow tracked), or the drop verdict (the drop
 * counted per endpoint and an event sent).
 */
static __always_inline int policy4_flow(struct __sk_buff *skb, const struct flow4 *f, __be32 saddr,
					const struct pol_end *src, const struct pol_end *dst,
					const struct lb_pending *pending)
{
	__u32 src_id = ipcache4_identity(saddr), dst_id = ipcache4_identity(f->daddr);
	__u32 policy_id = SLUICE_POLICY_ID_NONE, ifindex = 0;
	enum sluice_direction dir = SLUICE_DIR_EGRESS;
	enum pol_result r = POL_OPEN, in;
	struct sluice_ct4_value *ct;

	if (src->identity)
		src_id = src->identity;
	/*
	 * A later fragment has no ports to match; its first fragment met the
	 * policy, and without that one the receiver never reassembles it.
	 */
	if (f->later_frag)
		return 0;
	/*
	 * A new TCP connection meets policy even on a tracked flow's ports: a
	 * reused port neither keeps an allow the policy has since withdrawn
	 * nor the REPLY entry of the flow that had the ports before.
	 */
	ct = flow4_opens(f) ? NULL : ct4_lookup(f, SLUICE_CT_FORWARD);
	if (ct) {
		ct4_refresh_pair(ct, f, SLUICE_CT_REPLY);
		/* A service flow whose REPLY entry expired first gets it back. */
		lb4_commit(pending);
		return 0;
	}
	if (src->local) {
		r = pol_lookup(&SLUICE_MAP_POLICY_OUT, &src->key, dst_id, f, &policy_id);
		ifindex = src->ifindex;
	}
	if (r != POL_DENY && dst->local) {
		in = pol_lookup(&SLUICE_MAP_POLICY_IN, &dst->key, src_id, f, &policy_id);
		if (in != POL_OPEN) {
			r = in;
			dir = SLUICE_DIR_INGRESS;
			ifindex = dst->ifindex;
		}
	}
	if (r == POL_DENY) {
		enum sluice_verdict why = dir == SLUICE_DIR_INGRESS ?
			SLUICE_VERDICT_DROP_POLICY_INGRESS : SLUICE_VERDICT_DROP_POLICY_EGRESS;

		drop_count(dir == SLUICE_DIR_INGRESS ? dst->key.addr[0] : src->key.addr[0], why,
			   skb->len);
		event_emit(SLUICE_EVENT_DROP, why, dir, f, saddr, src_id, dst_id, ifindex,
			   SLUICE_POLICY_ID_NONE);
		return why;
	}
	pol_track(f, pending);
	if (allow_events_wanted())
		event_emit(SLUICE_EVENT_ALLOW, r == POL_ALLOW ? SLUICE_ALLOW_POLICY : SLUICE_ALLOW_OPEN,
			   dir, f, saddr, src_id, dst_id, ifindex, policy_id);
	return 0;
}

/* The MAC a frame came from is the pod's own. */
static __always_inline bool mac_equal(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

/*
 * Source verification on a pod's veth: the address must be an endpoint
 * whose veth this is, and the MAC its own, or identity by address could be
 * forged. Returns 0, or the drop verdict (counted and reported).
 */
static __always_inline int spoof_check(struct __sk_buff *skb, const struct ethhdr *eth,
				       const struct flow4 *f, struct pol_end *src)
{
	struct sluice_endpoint_info *ep = endpoint_lookup4(f->saddr);

	if (ep && ep->ifindex == skb->ifindex && mac_equal(eth->h_source, ep->pod_mac)) {
		pol_end_set(src, f->saddr, ep->ifindex);
		return 0;
	}
	drop_count(SLUICE_DROP_ENDPOINT_FORGED, SLUICE_VERDICT_DROP_SPOOFED, skb->len);
	event_emit(SLUICE_EVENT_DROP, SLUICE_VERDICT_DROP_SPOOFED, SLUICE_DIR_EGRESS, f, f->saddr,
		   SLUICE_IDENTITY_ANY, SLUICE_IDENTITY_ANY, skb->ifindex, SLUICE_POLICY_ID_NONE);
	return SLUICE_VERDICT_DROP_SPOOFED;
}

#endif
