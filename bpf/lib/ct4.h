/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Connection tracking of translated IPv4 flows (see include/sluice/conntrack.h). */
#ifndef SLUICE_BPF_CT4_H
#define SLUICE_BPF_CT4_H

#include "l4.h"
#include "maps.h"

/* Nanoseconds in a second: CT deadlines are in bpf_ktime_get_ns() units. */
#define NSEC_PER_SEC 1000000000ULL

static __always_inline void ct4_key(struct sluice_ct4_key *k, const struct flow4 *f,
				    enum sluice_ct_dir dir)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->saddr = f->saddr;
	k->daddr = f->daddr;
	k->sport = f->sport;
	k->dport = f->dport;
	k->proto = f->proto;
	k->dir = dir;
}

/* A lone SYN: a new TCP connection, even on the ports of a tracked one. */
static __always_inline bool flow4_opens(const struct flow4 *f)
{
	return f->proto == IPPROTO_TCP &&
	       (f->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

/* The idle timeout a direction earns with a packet carrying tcp_flags. */
static __always_inline __u64 ct_timeout_ns(__u8 proto, __u8 tcp_flags, __u8 *ct_flags)
{
	if (proto != IPPROTO_TCP)
		return SLUICE_CT_UDP_S * NSEC_PER_SEC;
	/* A lone SYN starts a connection over: one that reuses a closed one's ports. */
	if ((tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		*ct_flags &= ~(SLUICE_CT_F_CLOSING | SLUICE_CT_F_ESTABLISHED);
	if (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST))
		*ct_flags |= SLUICE_CT_F_CLOSING;
	else if (!(tcp_flags & TCP_FLAG_SYN) || (tcp_flags & TCP_FLAG_ACK))
		*ct_flags |= SLUICE_CT_F_ESTABLISHED;
	if (*ct_flags & SLUICE_CT_F_CLOSING)
		return SLUICE_CT_TCP_CLOSING_S * NSEC_PER_SEC;
	if (*ct_flags & SLUICE_CT_F_ESTABLISHED)
		return SLUICE_CT_TCP_ESTABLISHED_S * NSEC_PER_SEC;
	return SLUICE_CT_TCP_SYN_S * NSEC_PER_SEC;
}

/* Extends an entry's life by what this packet earns it. */
static __always_inline void ct4_refresh(struct sluice_ct4_value *v, const struct flow4 *f)
{
	__u8 flags = v->flags;
	__u64 deadline = bpf_ktime_get_ns() + ct_timeout_ns(f->proto, f->tcp_flags, &flags);

	/* Skip the write when nothing changes: entries are shared between CPUs. */
	if (flags != v->flags)
		v->flags = flags;
	if (deadline != v->expires_ns)
		v->expires_ns = deadline;
}

/* Whether v still lives at now: an expired entry counts as absent until the GC takes it. */
static __always_inline bool ct4_live(const struct sluice_ct4_value *v, __u64 now)
{
	return v->expires_ns >= now;
}

/* The live entry of key k, or NULL. */
static __always_inline struct sluice_ct4_value *ct4_lookup_key(const struct sluice_ct4_key *k)
{
	struct sluice_ct4_value *v = bpf_map_lookup_elem(&SLUICE_MAP_CT4, k);

	if (v && !ct4_live(v, bpf_ktime_get_ns()))
		return NULL;
	return v;
}

/* A live entry for this direction of f, or NULL. */
static __always_inline struct sluice_ct4_value *ct4_lookup(const struct flow4 *f,
							   enum sluice_ct_dir dir)
{
	struct sluice_ct4_key k;

	ct4_key(&k, f, dir);
	return ct4_lookup_key(&k);
}

/*
 * ct4_refresh() of the entry of f, and when f ends the connection (FIN or
 * RST) the entry of the other direction ends too (peer_dir of the reverse
 * tuple): it would otherwise stay established for hours, and a new
 * connection on the same ports would meet it.
 */
static __always_inline void ct4_refresh_pair(struct sluice_ct4_value *v, const struct flow4 *f,
					     enum sluice_ct_dir peer_dir)
{
	struct flow4 rev;
	struct sluice_ct4_value *peer;

	ct4_refresh(v, f);
	if (f->proto != IPPROTO_TCP || !(f->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		return;
	rev = *f;
	rev.saddr = f->daddr;
	rev.daddr = f->saddr;
	rev.sport = f->dport;
	rev.dport = f->sport;
	peer = ct4_lookup(&rev, peer_dir);
	if (peer)
		ct4_refresh(peer, f);
}

static __always_inline int ct4_create(const struct flow4 *f, enum sluice_ct_dir dir,
				      struct sluice_ct4_value *v)
{
	struct sluice_ct4_key k;

	ct4_key(&k, f, dir);
	v->expires_ns = bpf_ktime_get_ns() + ct_timeout_ns(f->proto, f->tcp_flags, &v->flags);
	return bpf_map_update_elem(&SLUICE_MAP_CT4, &k, v, BPF_ANY);
}

/*
 * ct4_create() of an entry that must be this CPU's alone: it fails when a
 * live one is there, or when another CPU made or replaced it since the
 * look. An expired one, not yet collected, is taken over.
 */
static __always_inline int ct4_claim(const struct flow4 *f, enum sluice_ct_dir dir,
				     struct sluice_ct4_value *v)
{
	struct sluice_ct4_key k;
	struct sluice_ct4_value *cur;
	__u64 now = bpf_ktime_get_ns();

	ct4_key(&k, f, dir);
	cur = bpf_map_lookup_elem(&SLUICE_MAP_CT4, &k);
	if (cur && ct4_live(cur, now))
		return -1;
	v->expires_ns = now + ct_timeout_ns(f->proto, f->tcp_flags, &v->flags);
	return bpf_map_update_elem(&SLUICE_MAP_CT4, &k, v, cur ? BPF_EXIST : BPF_NOEXIST);
}

#endif
