/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Service load balancing of IPv4 flows, from pods and from outside the node:
 * replies of translated flows get their service address back, new flows to a
 * frontend get a backend (client-IP affinity, else Maglev) and are
 * translated to it.
 */
#ifndef SLUICE_BPF_LB4_H
#define SLUICE_BPF_LB4_H

#include "ct4.h"
#include "hash.h"
#include "lb4_icmp.h"
#include "nat4.h"
#include "snat4.h"

enum lb_result {
	LB_PASS,	/* not service traffic: deliver as it is */
	LB_DONE,	/* translated (or reverse-translated): deliver to f->daddr */
	LB_REFUSE,	/* a frontend with no backend: refuse the connection */
	LB_DROP,	/* cannot be forwarded; the verdict says why */
};

/* A new service flow whose conntrack waits until policy allows the flow. */
struct lb_pending {
	bool set;
	bool hairpin;
	bool external;
	struct flow4 orig;		/* before translation */
	__u32 svc_id;
	__u32 backend_id;
	__be32 be_addr;
	__be16 be_port;
};

struct lb_out {
	enum sluice_verdict verdict;	/* with LB_DROP */
	bool reply;			/* LB_DONE of a tracked flow's reply: no policy check */
	bool external;			/* ... of a reply to a client outside the node */
	struct lb_pending pending;	/* LB_DONE of a service flow to track: lb4_commit() it */
};

static __always_inline __be32 hairpin_addr(void)
{
	return bpf_htonl(SLUICE_HAIRPIN_IPV4_HOST);
}

/* The backend id in the slot of the frontend's Maglev table that hash picks. */
static __always_inline int maglev_pick(const struct sluice_svc_value *svc, __u32 hash,
				       __u32 *backend_id)
{
	__u32 slot, *slots;

	slots = bpf_map_lookup_elem(&SLUICE_MAP_MAGLEV, &svc->id);
	if (!slots)
		return -1;
	slot = hash % cfg_maglev_size;
	/*
	 * cfg_maglev_size is read-only data, a constant to the verifier, and
	 * the table holds that many slots: this bounds the index for it.
	 */
	if (slot >= cfg_maglev_size)
		return -1;
	*backend_id = slots[slot];
	return 0;
}

/*
 * The backend for a new connection of client (an address, or for sockets a
 * network namespace cookie): the client's affinity backend while it is
 * fresh and still there, else the Maglev pick for hash, which becomes the
 * client's affinity backend.
 */
static __always_inline struct sluice_backend4 *
lb_pick(const struct sluice_svc_value *svc, __u32 client, __u32 hash, __u32 *backend_id)
{
	struct sluice_affinity4_key ak = { .client = client, .svc_id = svc->id };
	struct sluice_affinity_value av = {}, *cur = NULL;
	struct sluice_backend4 *be;
	__u64 now = bpf_ktime_get_ns();

	if (svc->flags & SLUICE_SVC_F_AFFINITY) {
		cur = bpf_map_lookup_elem(&SLUICE_MAP_AFFINITY4, &ak);
		if (cur && now - cur->last_used_ns <= svc->affinity_timeout * NSEC_PER_SEC) {
			be = bpf_map_lookup_elem(&SLUICE_MAP_BACKEND4, &cur->backend_id);
			if (be) {
				*backend_id = cur->backend_id;
				cur->last_used_ns = now;
				return be;
			}
		}
	}
	if (maglev_pick(svc, hash, backend_id) < 0)
		return NULL;
	be = bpf_map_lookup_elem(&SLUICE_MAP_BACKEND4, backend_id);
	if (be && (svc->flags & SLUICE_SVC_F_AFFINITY)) {
		av.backend_id = *backend_id;
		av.last_used_ns = now;
		bpf_map_update_elem(&SLUICE_MAP_AFFINITY4, &ak, &av, BPF_ANY);
	}
	return be;
}

/* A flow's hash: every packet of it lands on the same Maglev slot. */
static __always_inline __u32 flow4_hash(const struct flow4 *f)
{
	return jhash_3words(f->saddr, f->daddr, ((__u32)f->sport << 16 | f->dport) ^ f->proto, 0);
}

/*
 * Replies of a tracked flow: allowed as part of it, and for a translated
 * one made to seem to come from the service (and, hairpin, to go back to
 * the pod's own address).
 */
static __always_inline enum lb_result lb4_reply(struct __sk_buff *skb, struct flow4 *f,
						struct sluice_ct4_value *ct, struct lb_out *out)
{
	__be32 client = ct->client_addr, nat_addr = ct->nat_addr;
	__be16 nat_port = ct->nat_port;
	__u8 flags = ct->flags;

	out->reply = true;
	out->external = flags & SLUICE_CT_F_EXTERNAL;
	ct4_refresh_pair(ct, f, SLUICE_CT_FORWARD);
	if (!(flags & SLUICE_CT_F_NAT))
		return LB_DONE;
	if (nat4_snat(skb, f, nat_addr, nat_port) < 0 ||
	    ((flags & SLUICE_CT_F_HAIRPIN) && nat4_dnat(skb, f, client, f->dport) < 0)) {
		out->verdict = SLUICE_VERDICT_DROP_MALFORMED;
		return LB_DROP;
	}
	return LB_DONE;
}

/* The tuple of a service flow's replies: from the backend to the client (or, hairpin, its stand-in). */
static __always_inline void lb_reply_tuple(const struct lb_pending *p, struct flow4 *reply)
{
	__builtin_memset(reply, 0, sizeof(*reply));
	reply->saddr = p->be_addr;
	reply->daddr = p->hairpin ? hairpin_addr() : p->orig.saddr;
	reply->sport = p->be_port;
	reply->dport = p->orig.sport;
	reply->proto = p->orig.proto;
	/* The reply's own flags are not known yet: start it as a SYN would. */
	reply->tcp_flags = TCP_FLAG_SYN;
}

/* Records a service flow once it is allowed: its SERVICE and REPLY entries. */
static __always_inline void lb4_commit(const struct lb_pending *p)
{
	struct sluice_ct4_value fwd = { .svc_id = p->svc_id, .backend_id = p->backend_id };
	struct sluice_ct4_value rev = {
		.svc_id = p->svc_id,
		.backend_id = p->backend_id,
		.nat_addr = p->orig.daddr,
		.nat_port = p->orig.dport,
		.client_addr = p->orig.saddr,
		.flags = SLUICE_CT_F_NAT | (p->hairpin ? SLUICE_CT_F_HAIRPIN : 0) |
			 (p->external ? SLUICE_CT_F_EXTERNAL : 0),
	};
	struct flow4 reply;

	if (!p->set)
		return;
	lb_reply_tuple(p, &reply);
	ct4_create(&p->orig, SLUICE_CT_SERVICE, &fwd);
	ct4_create(&reply, SLUICE_CT_REPLY, &rev);
}

/*
 * Translates f if it is service traffic, or if it is the reply of any
 * tracked flow (out->reply). scope says where the packet came from: a pod
 * or the node (INTERNAL) or a node device (EXTERNAL), which decides the
 * frontend's backend set and how replies find the client.
 */
static __always_inline enum lb_result lb4_forward(struct __sk_buff *skb, struct flow4 *f,
						  enum sluice_svc_scope scope, struct lb_out *out)
{
	struct sluice_svc4_key sk = {};
	struct sluice_svc_value *svc;
	struct sluice_ct4_value *ct;
	struct sluice_backend4 *be = NULL;
	__u32 backend_id;
	bool hairpin;

	ct = ct4_lookup(f, SLUICE_CT_REPLY);
	if (ct)
		return lb4_reply(skb, f, ct, out);
	if (!f->has_ports)
		return LB_PASS;

	sk.addr = f->daddr;
	sk.port = f->dport;
	sk.proto = f->proto;
	sk.scope = scope;
	svc = bpf_map_lookup_elem(&SLUICE_MAP_SVC4, &sk);
	if (!svc)
		return LB_PASS;
	if (!svc->count)
		return LB_REFUSE;

	/* An existing flow keeps its backend while that backend is still there. */
	ct = ct4_lookup(f, SLUICE_CT_SERVICE);
	if (ct && ct->svc_id == svc->id) {
		backend_id = ct->backend_id;
		be = bpf_map_lookup_elem(&SLUICE_MAP_BACKEND4, &backend_id);
		if (be)
			ct4_refresh(ct, f);
	}
	if (!be) {
		/* New, or its backend is gone: a new backend answers a stray segment with RST. */
		be = lb_pick(svc, f->saddr, flow4_hash(f), &backend_id);
		if (!be) {
			out->verdict = SLUICE_VERDICT_DROP_NO_BACKEND;
			return LB_DROP;
		}
		ct = NULL;
	}
	out->pending = (struct lb_pending){
		.set = true,
		.hairpin = be->addr == f->saddr,
		.external = scope == SLUICE_SCOPE_EXTERNAL,
		.orig = *f,
		.svc_id = svc->id,
		.backend_id = backend_id,
		.be_addr = be->addr,
		.be_port = be->port,
	};
	/*
	 * A tracked flow keeps its backend, and needs its entries made again
	 * only for a new connection on its ports (whose REPLY entry may be
	 * another flow's by now) or when its REPLY entry expired first:
	 * without the right one the backend's answer goes back untranslated.
	 */
	if (ct && !flow4_opens(f)) {
		struct flow4 reply;

		lb_reply_tuple(&out->pending, &reply);
		out->pending.set = !ct4_lookup(&reply, SLUICE_CT_REPLY);
	}
	hairpin = be->addr == f->saddr;
	if (nat4_dnat(skb, f, be->addr, be->port) < 0 ||
	    (hairpin && nat4_snat(skb, f, hairpin_addr(), f->sport) < 0)) {
		out->verdict = SLUICE_VERDICT_DROP_MALFORMED;
		return LB_DROP;
	}
	return LB_DONE;
}

/*
 * Whether f is an ICMP error about a tracked flow, translated back if the
 * flow was: one from outside the node (outside) may be about a flow the
 * node sent from its own address (snat4_icmp_error()), and then about the
 * service flow behind it (lb4_icmp_error()). 1 when it is, 0 when not, -1
 * if the packet cannot be rewritten. Every packet pointer is invalid after it.
 */
static __always_inline int lb4_icmp_related(struct __sk_buff *skb, struct flow4 *f, bool outside,
					    bool *external)
{
	union sluice_scratch *s;
	__u32 slot = 0;
	int snat = 0, ret;

	if (f->proto != IPPROTO_ICMP || flow4_is_echo(f))
		return 0;
	/* The quote's key lives in the scratch map: the callers' stacks are full. */
	s = bpf_map_lookup_elem(&SLUICE_MAP_SCRATCH, &slot);
	if (!s)
		return 0;
	__builtin_memset(&s->quote.rk, 0, sizeof(s->quote.rk));
	if (!quote_read(skb, f, &s->quote.rk, &s->quote.udp_check))
		return 0;
	if (outside) {
		snat = snat4_icmp_error(skb, f, &s->quote.rk, &s->quote.udp_check);
		if (snat < 0)
			return -1;
	}
	ret = lb4_icmp_error(skb, f, &s->quote.rk, &s->quote.udp_check, external);
	return ret < 0 ? -1 : ret || snat;
}

/* lb4_forward(), after lb4_icmp_related(): such an error passes like the flow's replies. */
static __always_inline enum lb_result lb4_forward_any(struct __sk_buff *skb, struct flow4 *f,
						      enum sluice_svc_scope scope,
						      struct lb_out *out)
{
	int ret = lb4_icmp_related(skb, f, scope == SLUICE_SCOPE_EXTERNAL, &out->external);

	if (ret < 0) {
		out->verdict = SLUICE_VERDICT_DROP_MALFORMED;
		return LB_DROP;
	}
	if (ret) {
		out->reply = true;
		return LB_DONE;
	}
	return lb4_forward(skb, f, scope, out);
}

#endif
