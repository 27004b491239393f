// SPDX-License-Identifier: Apache-2.0
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "policy_fixture.h"

void pf_setup(void)
{
	lb_node_setup();
	pm_set_identity(FX_SRC_ADDR, PF_HOST_BITS, PF_SRC_ID);
	pm_set_identity(FX_DST_ADDR, PF_HOST_BITS, PF_DST_ID);
	pm_set_identity(PF_NODE_ADDR, PF_HOST_BITS, SLUICE_IDENTITY_HOST);
	pm_set_identity(PF_CIDR_NET, PF_CIDR_BITS, PF_CIDR_ID);
}

void pf_teardown(void)
{
	lb_node_teardown();
}

void pf_set_table(enum sluice_direction dir, __u32 addr, const struct pf_table *t)
{
	if (t->isolated)
		pm_set_policy(dir, addr, t->rules, t->n);
}

__u32 pf_run(struct bpf_program *prog, const struct pkt_ipv4 *spec, __u8 in[PKT_MAX],
	     struct fx_result *res, struct pf_when *when, const char *desc)
{
	__u32 len;

	when->t0 = lb_now_ns();
	len = lb_run(prog, spec, in, res, desc);
	when->t1 = lb_now_ns();
	return len;
}

struct pkt_ipv4 pf_flow(__u8 proto, __u32 daddr, __u16 dport)
{
	struct pkt_ipv4 spec = fx_flow(proto);

	spec.daddr = htonl(daddr);
	spec.dport = dport;
	return spec;
}

struct pkt_ipv4 pf_reverse(const struct pkt_ipv4 *spec, __u8 tcp_flags,
			   const struct sluice_endpoint_info *sender)
{
	struct pkt_ipv4 r = *spec;

	r.saddr = spec->daddr;
	r.daddr = spec->saddr;
	r.sport = spec->dport;
	r.dport = spec->sport;
	r.tcp_flags = tcp_flags;
	r.icmp_reply = spec->protocol == IPPROTO_ICMP && !spec->icmp_reply;
	if (sender) {
		/* A pod sends to its gateway, the host side of its own veth. */
		memcpy(r.src_mac, sender->pod_mac, ETH_ALEN);
		memcpy(r.dst_mac, sender->host_mac, ETH_ALEN);
	} else {
		memcpy(r.src_mac, spec->dst_mac, ETH_ALEN);
		memcpy(r.dst_mac, spec->src_mac, ETH_ALEN);
	}
	return r;
}

struct sluice_event pf_event(enum sluice_event_type type, __u8 reason,
			     enum sluice_direction dir, const struct pkt_ipv4 *spec,
			     __u32 src_id, __u32 dst_id, __u32 ifindex, __u32 policy_id)
{
	struct lb_tuple t = pf_tuple(spec);
	struct sluice_event e = {
		.type = type,
		.reason = reason,
		.dir = dir,
		.proto = spec->protocol,
		.saddr = spec->saddr,
		.daddr = spec->daddr,
		.sport = htons(t.sport),
		.dport = htons(t.dport),
		.src_identity = src_id,
		.dst_identity = dst_id,
		.ifindex = ifindex,
		.policy_id = policy_id,
	};

	return e;
}

static void expect_event_fields(const struct sluice_event *e, const struct sluice_event *want,
				const struct pf_when *when, const char *desc)
{
	const char *what = want->type == SLUICE_EVENT_DROP ? "DROP event" : "ALLOW event";
	/* No policy decided an open flow: which side it names is not defined. */
	bool decided = want->type == SLUICE_EVENT_DROP || want->reason != SLUICE_ALLOW_OPEN;

	cr_assert_eq(e->type, want->type, "%s: event type %u, want %u", desc, e->type,
		     want->type);
	cr_assert(e->ts_ns >= when->t0 && e->ts_ns <= when->t1,
		  "%s: %s stamped %llu, not within the run [%llu, %llu]", desc, what,
		  (unsigned long long)e->ts_ns, (unsigned long long)when->t0,
		  (unsigned long long)when->t1);
	cr_assert_eq(e->reason, want->reason, "%s: %s reason %u, want %u", desc, what, e->reason,
		     want->reason);
	if (decided)
		cr_assert_eq(e->dir, want->dir, "%s: %s dir %u, want %u", desc, what, e->dir,
			     want->dir);
	cr_assert_eq(e->proto, want->proto, "%s: %s proto %u, want %u", desc, what, e->proto,
		     want->proto);
	cr_assert_eq(e->saddr, want->saddr, "%s: %s source " LB_IP_FMT ", want " LB_IP_FMT, desc,
		     what, LB_IP_ARGS(ntohl(e->saddr)), LB_IP_ARGS(ntohl(want->saddr)));
	cr_assert_eq(e->daddr, want->daddr, "%s: %s destination " LB_IP_FMT ", want " LB_IP_FMT,
		     desc, what, LB_IP_ARGS(ntohl(e->daddr)), LB_IP_ARGS(ntohl(want->daddr)));
	cr_assert_eq(e->sport, want->sport, "%s: %s source port %u, want %u", desc, what,
		     ntohs(e->sport), ntohs(want->sport));
	cr_assert_eq(e->dport, want->dport, "%s: %s destination port %u, want %u", desc, what,
		     ntohs(e->dport), ntohs(want->dport));
	cr_assert_eq(e->src_identity, want->src_identity, "%s: %s source identity %u, want %u",
		     desc, what, e->src_identity, want->src_identity);
	cr_assert_eq(e->dst_identity, want->dst_identity,
		     "%s: %s destination identity %u, want %u", desc, what, e->dst_identity,
		     want->dst_identity);
	if (decided)
		cr_assert_eq(e->ifindex, want->ifindex, "%s: %s ifindex %u, want %u", desc, what,
			     e->ifindex, want->ifindex);
	cr_assert_eq(e->policy_id, want->policy_id, "%s: %s policy_id %#x, want %#x", desc, what,
		     e->policy_id, want->policy_id);
	/* Ring buffer records are not zeroed: a field left unset would show stale bytes. */
	cr_assert_eq(e->pad, 0, "%s: %s pad %#x, want 0", desc, what, e->pad);
}

void pf_expect_event(const struct sluice_event *want, const struct pf_when *when,
		     const char *desc)
{
	struct sluice_event ev[PM_EVENTS_MAX];
	size_t n = pm_read_events(ev);

	cr_assert_eq(n, 1, "%s: %zu events, want 1", desc, n);
	expect_event_fields(&ev[0], want, when, desc);
}

void pf_expect_no_event(const char *desc)
{
	struct sluice_event ev[PM_EVENTS_MAX];
	size_t n = pm_read_events(ev);

	cr_assert_eq(n, 0, "%s: %zu events (the first of type %u, reason %u), want none", desc, n,
		     n ? ev[0].type : 0, n ? ev[0].reason : 0);
}

void pf_expect_drop(const struct fx_result *res, __u32 len, const struct sluice_event *want,
		    __u32 endpoint, const struct pf_when *when, const char *desc)
{
	struct sluice_counter c = pm_drops(endpoint, want->reason);

	cr_assert_eq(res->retval, TC_ACT_SHOT, "%s: verdict %u, want TC_ACT_SHOT", desc,
		     res->retval);
	fx_expect_counted(res->delta, want->reason, len, desc);
	cr_assert_eq(c.packets, 1, "%s: %llu drops counted for " LB_IP_FMT ", want 1", desc,
		     (unsigned long long)c.packets, LB_IP_ARGS(endpoint));
	cr_assert_eq(c.bytes, len, "%s: %llu dropped bytes counted for " LB_IP_FMT ", want %u",
		     desc, (unsigned long long)c.bytes, LB_IP_ARGS(endpoint), len);
	pf_expect_event(want, when, desc);
}

void pf_expect_drop_keys(__u32 n, const char *desc)
{
	__u32 keys = pm_drop_keys();

	cr_assert_eq(keys, n, "%s: drops counted under %u (endpoint, reason) keys, want %u", desc,
		     keys, n);
}

void pf_expect_no_drop(const char *desc)
{
	pf_expect_drop_keys(0, desc);
	pf_expect_no_event(desc);
}

struct lb_tuple pf_tuple(const struct pkt_ipv4 *spec)
{
	struct lb_tuple t = lb_tuple_of(spec);

	if (spec->protocol != IPPROTO_TCP && spec->protocol != IPPROTO_UDP &&
	    spec->protocol != IPPROTO_ICMP)
		t.sport = t.dport = 0;
	return t;
}

void pf_expect_new_flow(const struct pkt_ipv4 *spec, const struct pf_when *when,
			const char *desc)
{
	struct lb_tuple t = pf_tuple(spec), r = lb_tuple_reverse(&t);
	/* A lone SYN, or a protocol without handshake: neither direction has state yet. */
	__u32 timeout = spec->protocol == IPPROTO_TCP ? SLUICE_CT_TCP_SYN_S : SLUICE_CT_UDP_S;
	struct sluice_ct4_value plain = { 0 };

	cr_assert(spec->protocol != IPPROTO_TCP || spec->tcp_flags == PKT_TCP_SYN,
		  "%s: a new flow's first TCP packet must be a lone SYN here", desc);
	lb_expect_ct(&t, SLUICE_CT_FORWARD, &plain, timeout, when->t0, when->t1, desc);
	lb_expect_ct(&r, SLUICE_CT_REPLY, &plain, timeout, when->t0, when->t1, desc);
}
