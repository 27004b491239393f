// SPDX-License-Identifier: Apache-2.0
/*
 * Traffic that only looks like service traffic, through tc_from_pod, with a
 * working service in place: it must be forwarded as if no service existed,
 * with no address or port changed, and tracked as any flow policy allowed
 * is: a FORWARD entry of its own tuple and a REPLY entry of the reverse,
 * neither naming a service nor translating, and no SERVICE entry. That
 * covers near misses of a frontend's key, what carries no ports, and a
 * backend's packets to a client when no live flow explains them.
 */
#include <arpa/inet.h>
#include <linux/udp.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "lb_fixture.h"

/* Another port on the service address, with no frontend. */
#define OTHER_PORT 81
/* A port on the service address whose frontend is for clients outside the node only. */
#define EXT_ONLY_PORT 443
/* That frontend's id: its own table, naming backend 2. */
#define EXT_ONLY_SVC_ID 4
/* A later fragment's offset, in 8-byte units: the second of 1480-byte fragments. */
#define FRAG_OFFSET_UNITS 185

struct pass_case {
	const char *desc;
	/* Writes the input frame into buf (PKT_MAX bytes); returns its length. */
	__u32 (*build)(__u8 *buf, const char *desc);
	/* Delivered unchanged but for the routed hop, or NULL: TC_ACT_OK and untouched. */
	const struct sluice_endpoint_info *ep;
	enum sluice_verdict verdict;
	/* An expired REPLY entry matches the frame. */
	bool expired_entry;
	/* Tracked with ports 0: ICMP, which has none. */
	bool portless;
	/* A later fragment: no ports to track it by; its first fragment met policy. */
	bool untracked;
};

static __u32 build_pod_to_pod(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = fx_flow(IPPROTO_TCP);

	return fx_build(&spec, buf, desc);
}

static __u32 build_other_port(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);

	spec.dport = OTHER_PORT;
	return fx_build(&spec, buf, desc);
}

static __u32 build_other_proto(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_UDP, FX_SPORT, 0);

	return fx_build(&spec, buf, desc);
}

static __u32 build_icmp(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_ICMP, 0, 0);

	return fx_build(&spec, buf, desc);
}

/* A later fragment holds no ports: its bytes where they would be are payload. */
static __u32 build_later_fragment(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);
	__u32 len = fx_build(&spec, buf, desc);
	struct iphdr *iph = pkt_iph(buf);

	iph->frag_off = htons(FRAG_OFFSET_UNITS);
	iph->check = pkt_ipv4_csum(iph);
	return len;
}

static __u32 build_ext_only(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = lb_client_frame(IPPROTO_TCP, FX_SPORT, PKT_TCP_SYN);

	spec.dport = EXT_ONLY_PORT;
	return fx_build(&spec, buf, desc);
}

/* Backend 1's answer to the client, as if the client had reached it through the service. */
static struct pkt_ipv4 reply_spec(void)
{
	return lb_reply_frame(IPPROTO_TCP, LB_BE1_ADDR, FX_SRC_ADDR, FX_SPORT,
			      PKT_TCP_SYN | PKT_TCP_ACK, &lb_be1_ep);
}

static __u32 build_reply(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = reply_spec();

	return fx_build(&spec, buf, desc);
}

static __u32 build_reply_remote(__u8 *buf, const char *desc)
{
	struct pkt_ipv4 spec = reply_spec();

	spec.daddr = htonl(FX_REMOTE_ADDR);
	return fx_build(&spec, buf, desc);
}

static const struct pass_case pass_cases[] = {
	{ "TCP from pod to pod", build_pod_to_pod, &fx_dst_ep, SLUICE_VERDICT_REDIRECT_LOCAL,
	  false, false, false },
	{ "TCP to the service address, a port without frontend", build_other_port, NULL,
	  SLUICE_VERDICT_PASS_STACK, false, false, false },
	{ "UDP to a TCP frontend's address and port", build_other_proto, NULL,
	  SLUICE_VERDICT_PASS_STACK, false, false, false },
	{ "ICMP echo to the service address", build_icmp, NULL, SLUICE_VERDICT_PASS_STACK,
	  false, true, false },
	{ "TCP to the frontend, a later fragment", build_later_fragment, NULL,
	  SLUICE_VERDICT_PASS_STACK, false, false, true },
	{ "TCP to a frontend for clients outside the node", build_ext_only, NULL,
	  SLUICE_VERDICT_PASS_STACK, false, false, false },
	{ "backend to a local client, no CT entry", build_reply, &fx_src_ep,
	  SLUICE_VERDICT_REDIRECT_LOCAL, false, false, false },
	{ "backend to a local client, CT entry expired", build_reply, &fx_src_ep,
	  SLUICE_VERDICT_REDIRECT_LOCAL, true, false, false },
	{ "backend to a remote client, no CT entry", build_reply_remote, NULL,
	  SLUICE_VERDICT_PASS_STACK, false, false, false },
};

/* The external-scope frontend: usable, so only its scope keeps pods off it. */
static void add_ext_only_frontend(void)
{
	struct sluice_svc_value v = { .id = EXT_ONLY_SVC_ID, .count = 1 };

	lb_add_backend(LB_BE2_ID, LB_BE2_ADDR, LB_BE_PORT, IPPROTO_TCP, EXT_ONLY_SVC_ID);
	lb_fill_table(EXT_ONLY_SVC_ID, LB_BE2_ID);
	lb_add_frontend(LB_VIP, EXT_ONLY_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL, &v);
	fx_add_endpoint(LB_BE2_ADDR, &lb_be2_ep);
}

/* The REPLY entry the frame would match, past its deadline; returns that deadline. */
static __u64 put_expired_entry(void)
{
	struct pkt_ipv4 spec = reply_spec();
	struct lb_tuple t = lb_tuple_of(&spec);
	struct sluice_ct4_value v = {
		.expires_ns = lb_now_ns(),
		.svc_id = LB_SVC_ID,
		.backend_id = LB_BE1_ID,
		.nat_addr = htonl(LB_VIP),
		.nat_port = htons(LB_VIP_PORT),
		.client_addr = htonl(FX_SRC_ADDR),
	};

	lb_ct_put(&t, SLUICE_CT_REPLY, &v);
	return v.expires_ns;
}

/* The expired entry is still there, as it was: an ignored entry is not refreshed. */
static void expect_entry_unchanged(__u64 expires_ns, const char *desc)
{
	struct pkt_ipv4 spec = reply_spec();
	struct lb_tuple t = lb_tuple_of(&spec);
	struct sluice_ct4_value v;

	cr_assert(lb_ct_get(&t, SLUICE_CT_REPLY, &v), "%s: expired CT REPLY entry gone", desc);
	cr_assert_eq(v.expires_ns, expires_ns, "%s: expired CT REPLY entry's deadline moved",
		     desc);
}

/* Where an ICMP echo's identifier sits in its header. */
#define ICMP_ECHO_ID_OFF 4

/* The flow the frame in[] starts, as conntrack keys it. */
static struct lb_tuple frame_tuple(__u8 *in, bool portless)
{
	struct iphdr *iph = pkt_iph(in);
	/* TCP and UDP keep their ports in the same place, first in the header. */
	struct udphdr *ports = pkt_l4(in);
	struct lb_tuple t = {
		.saddr = ntohl(iph->saddr),
		.daddr = ntohl(iph->daddr),
		.proto = iph->protocol,
	};

	if (iph->protocol == IPPROTO_ICMP) {
		/* The builder's ICMP is an echo request: its identifier is the source port. */
		t.sport = ntohs(*(__u16 *)((__u8 *)ports + ICMP_ECHO_ID_OFF));
	} else if (!portless) {
		t.sport = ntohs(ports->source);
		t.dport = ntohs(ports->dest);
	}
	return t;
}

/* The entry of t in direction dir is there, and neither names a service nor translates. */
static void expect_untranslated(const struct lb_tuple *t, enum sluice_ct_dir dir,
				const char *what, const char *desc)
{
	struct sluice_ct4_value v;

	cr_assert(lb_ct_get(t, dir, &v),
		  "%s: CT %s entry " LB_IP_FMT ":%u -> " LB_IP_FMT ":%u/%u missing", desc, what,
		  LB_IP_ARGS(t->saddr), t->sport, LB_IP_ARGS(t->daddr), t->dport, t->proto);
	cr_assert_eq(v.svc_id, 0, "%s: CT %s entry names frontend %u", desc, what, v.svc_id);
	cr_assert_eq(v.backend_id, 0, "%s: CT %s entry names backend %u", desc, what,
		     v.backend_id);
	cr_assert_eq(v.flags & SLUICE_CT_F_NAT, 0, "%s: CT %s entry flags %#x translate", desc,
		     what, v.flags);
	cr_assert_eq(v.nat_addr, 0, "%s: CT %s entry nat_addr " LB_IP_FMT, desc, what,
		     LB_IP_ARGS(ntohl(v.nat_addr)));
	cr_assert_eq(v.nat_port, 0, "%s: CT %s entry nat_port %u", desc, what,
		     ntohs(v.nat_port));
}

/* Tracked as a plain flow: FORWARD and REPLY entries, no SERVICE entry. */
static void expect_plain_flow(__u8 *in, bool portless, const char *desc)
{
	struct lb_tuple t = frame_tuple(in, portless), r = lb_tuple_reverse(&t);
	struct sluice_ct4_value v;

	expect_untranslated(&t, SLUICE_CT_FORWARD, "FORWARD", desc);
	expect_untranslated(&r, SLUICE_CT_REPLY, "REPLY", desc);
	cr_assert_not(lb_ct_get(&t, SLUICE_CT_SERVICE, &v), "%s: a CT SERVICE entry was made",
		      desc);
}

ParameterizedTestParameters(lb4, pass)
{
	static size_t idx[ARRAY_SIZE(pass_cases)];

	return fx_case_params(idx, ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, lb4, pass, .init = fx_setup, .fini = fx_teardown)
{
	const struct pass_case *c = &pass_cases[*i];
	__u32 len, entries = LB_FLOW_ENTRIES + (c->expired_entry ? 1 : 0);
	__u64 expires_ns = 0;
	struct fx_result res;
	__u8 in[PKT_MAX];

	lb_add_service(IPPROTO_TCP, LB_BE1_ADDR);
	fx_add_endpoint(LB_BE1_ADDR, &lb_be1_ep);
	add_ext_only_frontend();
	if (c->expired_entry)
		expires_ns = put_expired_entry();
	len = c->build(in, c->desc);

	fx_run(fx_skel->progs.tc_from_pod, in, len, &res, c->desc);
	if (c->ep)
		fx_expect_delivered(&res, in, len, c->ep, c->desc);
	else
		fx_expect_untouched(&res, in, len, TC_ACT_OK, c->desc);
	fx_expect_counted(res.delta, c->verdict, len, c->desc);
	if (c->untracked) {
		lb_expect_ct_count(0, c->desc);
		return;
	}
	expect_plain_flow(in, c->portless, c->desc);
	lb_expect_ct_count(entries, c->desc);
	if (c->expired_entry)
		expect_entry_unchanged(expires_ns, c->desc);
}
