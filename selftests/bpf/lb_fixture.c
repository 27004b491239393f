// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/udp.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "lb_fixture.h"

/*
 * How far the program's clock and ours may disagree when a deadline is
 * checked: both read CLOCK_MONOTONIC, but not in the same instant.
 */
#define LB_CLOCK_SLACK_NS 1000000ULL
/* Offsets of the checksum in the TCP and UDP headers. */
#define LB_TCP_CSUM_OFF 16
#define LB_UDP_CSUM_OFF 6

/* Locally administered MACs, numbered after the pod as fixture.c's are. */
const struct sluice_endpoint_info lb_be1_ep = {
	.ifindex = LB_BE1_IFINDEX,
	.pod_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x09 },
	.host_mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x09 },
};
const struct sluice_endpoint_info lb_be2_ep = {
	.ifindex = LB_BE2_IFINDEX,
	.pod_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a },
	.host_mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0a },
};

struct tc_node *lb_node_skel;

void lb_node_setup(void)
{
	struct bpf_map *map, *shared;
	const char *name;
	int err;

	fx_setup();
	lb_node_skel = tc_node__open();
	cr_assert_not_null(lb_node_skel, "setup: open tc_node: %s", strerror(errno));
	/* The Maglev tables are made for tc_pod's size; tc_node must index them alike. */
	lb_node_skel->rodata->cfg_maglev_size = fx_skel->rodata->cfg_maglev_size;
	bpf_object__for_each_map(map, lb_node_skel->obj) {
		/* .rodata and the like are each program's own. */
		if (bpf_map__is_internal(map))
			continue;
		name = bpf_map__name(map);
		shared = bpf_object__find_map_by_name(fx_skel->obj, name);
		cr_assert_not_null(shared, "setup: tc_pod has no map %s to share", name);
		err = bpf_map__reuse_fd(map, bpf_map__fd(shared));
		cr_assert_eq(err, 0, "setup: give tc_node tc_pod's %s: %s", name, strerror(-err));
	}
	err = tc_node__load(lb_node_skel);
	cr_assert_eq(err, 0, "setup: load tc_node: %s", strerror(-err));
}

void lb_node_teardown(void)
{
	tc_node__destroy(lb_node_skel);
	lb_node_skel = NULL;
	fx_teardown();
}

void lb_add_service(__u8 proto, __u32 be_addr)
{
	struct sluice_svc_value v = { .id = LB_SVC_ID, .count = 1 };

	/* Backend, then table, then frontend: the agent's order. */
	lb_add_backend(LB_BE1_ID, be_addr, LB_BE_PORT, proto, LB_SVC_ID);
	lb_fill_table(LB_SVC_ID, LB_BE1_ID);
	lb_add_frontend(LB_VIP, LB_VIP_PORT, proto, SLUICE_SCOPE_INTERNAL, &v);
}

struct pkt_ipv4 lb_client_frame(__u8 proto, __u16 sport, __u8 tcp_flags)
{
	struct pkt_ipv4 spec = fx_flow(proto);

	spec.daddr = htonl(LB_VIP);
	spec.dport = LB_VIP_PORT;
	spec.sport = sport;
	spec.tcp_flags = tcp_flags;
	return spec;
}

struct pkt_ipv4 lb_reply_frame(__u8 proto, __u32 be_addr, __u32 dst, __u16 dport,
			       __u8 tcp_flags, const struct sluice_endpoint_info *be)
{
	struct pkt_ipv4 spec = fx_flow(proto);

	spec.saddr = htonl(be_addr);
	spec.daddr = htonl(dst);
	spec.sport = LB_BE_PORT;
	spec.dport = dport;
	spec.tcp_flags = tcp_flags;
	memcpy(spec.src_mac, be->pod_mac, ETH_ALEN);
	memcpy(spec.dst_mac, be->host_mac, ETH_ALEN);
	return spec;
}

struct pkt_ipv4 lb_dnat(const struct pkt_ipv4 *spec, __u32 addr, __u16 port)
{
	struct pkt_ipv4 out = *spec;

	out.daddr = htonl(addr);
	out.dport = port;
	return out;
}

struct pkt_ipv4 lb_snat(const struct pkt_ipv4 *spec, __u32 addr, __u16 port)
{
	struct pkt_ipv4 out = *spec;

	out.saddr = htonl(addr);
	out.sport = port;
	return out;
}

struct lb_tuple lb_tuple_of(const struct pkt_ipv4 *spec)
{
	struct lb_tuple t = {
		.saddr = ntohl(spec->saddr),
		.daddr = ntohl(spec->daddr),
		.sport = spec->sport,
		.dport = spec->dport,
		.proto = spec->protocol,
	};

	/* An echo's identifier stands for its ports: a request's source, a reply's destination. */
	if (spec->protocol == IPPROTO_ICMP) {
		t.sport = spec->icmp_reply ? 0 : spec->sport;
		t.dport = spec->icmp_reply ? spec->dport : 0;
	}
	return t;
}

struct lb_tuple lb_tuple_reverse(const struct lb_tuple *t)
{
	struct lb_tuple r = {
		.saddr = t->daddr,
		.daddr = t->saddr,
		.sport = t->dport,
		.dport = t->sport,
		.proto = t->proto,
	};

	return r;
}

__u32 lb_run(struct bpf_program *prog, const struct pkt_ipv4 *spec, __u8 in[PKT_MAX],
	     struct fx_result *res, const char *desc)
{
	__u32 len = fx_build(spec, in, desc);

	fx_run(prog, in, len, res, desc);
	return len;
}

__u32 lb_send(const struct pkt_ipv4 *spec, __u8 in[PKT_MAX], struct fx_result *res,
	      const char *desc)
{
	return lb_run(fx_skel->progs.tc_from_pod, spec, in, res, desc);
}

static struct iphdr *out_iph(const struct fx_result *res)
{
	return pkt_iph((void *)res->out);
}

/* TCP and UDP keep their ports in the same place, first in the header. */
static struct udphdr *out_ports(const struct fx_result *res)
{
	return pkt_l4((void *)res->out);
}

/* Address and port fields of an output frame, host order. */
static __u32 out_saddr(const struct fx_result *res)
{
	return ntohl(out_iph(res)->saddr);
}

static __u32 out_daddr(const struct fx_result *res)
{
	return ntohl(out_iph(res)->daddr);
}

static __u16 out_sport(const struct fx_result *res)
{
	return ntohs(out_ports(res)->source);
}

static __u16 out_dport(const struct fx_result *res)
{
	return ntohs(out_ports(res)->dest);
}

static __u16 out_l4_csum(const struct fx_result *res)
{
	const __u8 *l4 = pkt_l4((void *)res->out);
	__u32 off = out_iph(res)->protocol == IPPROTO_TCP ? LB_TCP_CSUM_OFF : LB_UDP_CSUM_OFF;

	return l4[off] << 8 | l4[off + 1];
}

void lb_expect_translated(const struct fx_result *res, const struct pkt_ipv4 *want,
			  const struct sluice_endpoint_info *ep, const char *desc)
{
	__u32 want_ret = ep ? TC_ACT_REDIRECT : TC_ACT_OK, saddr = ntohl(want->saddr);
	__u32 daddr = ntohl(want->daddr);
	struct iphdr *iph = out_iph(res);
	__u8 frame[PKT_MAX];
	__u32 len = fx_build(want, frame, desc);

	cr_assert_eq(res->retval, want_ret, "%s: verdict %u, want %u", desc, res->retval,
		     want_ret);
	cr_assert_eq(res->out_len, len, "%s: output length %u, want %u", desc, res->out_len, len);
	cr_assert_eq(out_saddr(res), saddr, "%s: source address " LB_IP_FMT ", want " LB_IP_FMT,
		     desc, LB_IP_ARGS(out_saddr(res)), LB_IP_ARGS(saddr));
	cr_assert_eq(out_daddr(res), daddr,
		     "%s: destination address " LB_IP_FMT ", want " LB_IP_FMT, desc,
		     LB_IP_ARGS(out_daddr(res)), LB_IP_ARGS(daddr));
	cr_assert_eq(out_sport(res), want->sport, "%s: source port %u, want %u", desc,
		     out_sport(res), want->sport);
	cr_assert_eq(out_dport(res), want->dport, "%s: destination port %u, want %u", desc,
		     out_dport(res), want->dport);
	cr_assert(pkt_ipv4_csum_ok(iph), "%s: IPv4 checksum %#06x invalid", desc,
		  ntohs(iph->check));
	if (want->udp_no_csum)
		cr_assert_eq(out_l4_csum(res), 0, "%s: UDP checksum %#06x, want 0 (none)", desc,
			     out_l4_csum(res));
	else
		cr_assert(pkt_l4_csum_ok(res->out, res->out_len), "%s: L4 checksum %#06x invalid",
			  desc, out_l4_csum(res));

	if (ep) {
		/* MACs, TTL and the IP checksum as a routed hop leaves them; the rest as built. */
		fx_expect_rewritten(res->out, res->out_len, frame, len, ep, desc);
		return;
	}
	cr_assert_eq(iph->ttl, want->ttl, "%s: TTL %u, want %u (not routed here)", desc, iph->ttl,
		     want->ttl);
	cr_assert_eq(fx_first_diff(res->out, frame, len), -1,
		     "%s: output differs from the expected frame at byte %d", desc,
		     fx_first_diff(res->out, frame, len));
}

void lb_expect_to_backend(const struct pkt_ipv4 *spec, __u32 be_addr,
			  const struct sluice_endpoint_info *ep, const char *desc)
{
	struct pkt_ipv4 want = lb_dnat(spec, be_addr, LB_BE_PORT);
	struct fx_result res;
	__u8 in[PKT_MAX];
	__u32 len = lb_send(spec, in, &res, desc);

	lb_expect_translated(&res, &want, ep, desc);
	fx_expect_counted(res.delta, SLUICE_VERDICT_REDIRECT_LOCAL, len, desc);
}

__u32 lb_icmp_error(const struct pkt_ipv4 *outer, __u8 type, __u8 code,
		    const struct pkt_ipv4 *about_spec, size_t l4_quoted, __u8 buf[PKT_MAX],
		    const char *desc)
{
	__u8 about[PKT_MAX];
	int len;

	fx_build(about_spec, about, desc);
	len = pkt_build_icmp_error(outer, type, code, about, l4_quoted, buf, PKT_MAX);
	cr_assert_gt(len, 0, "%s: the error frame fits", desc);
	return (__u32)len;
}

/* The ICMP message of a frame (header and quote) and its length. */
static const __u8 *icmp_message(const __u8 *frame, __u32 *len)
{
	const struct iphdr *iph = pkt_iph((void *)frame);

	*len = ntohs(iph->tot_len) - iph->ihl * PKT_WORD_LEN;
	return pkt_l4((void *)frame);
}

void lb_expect_icmp_message(const struct fx_result *res, const __u8 *want, const char *desc)
{
	__u32 len, want_len;
	const __u8 *got = icmp_message(res->out, &len), *exp = icmp_message(want, &want_len);
	int diff;

	cr_assert(pkt_ipv4_csum_ok(pkt_iph((void *)res->out)), "%s: IP checksum", desc);
	cr_assert(pkt_l4_csum_ok(res->out, res->out_len), "%s: ICMP checksum", desc);
	cr_assert_eq(len, want_len, "%s: ICMP message of %u bytes, want %u", desc, len, want_len);
	diff = fx_first_diff(got, exp, len);
	cr_assert_eq(diff, -1, "%s: the ICMP message differs at byte %d", desc, diff);
}

void lb_expect_ct_count(__u32 want, const char *desc)
{
	__u32 n = lb_ct_count();

	cr_assert_eq(n, want, "%s: %u CT entries, want %u", desc, n, want);
}

static const char *dir_name(enum sluice_ct_dir dir)
{
	switch (dir) {
	case SLUICE_CT_SERVICE:
		return "CT SERVICE entry";
	case SLUICE_CT_REPLY:
		return "CT REPLY entry";
	case SLUICE_CT_FORWARD:
		return "CT FORWARD entry";
	case SLUICE_CT_SNAT_OUT:
		return "CT SNAT_OUT entry";
	case SLUICE_CT_SNAT_IN:
		return "CT SNAT_IN entry";
	}
	return "CT entry of an unknown direction";
}

void lb_expect_ct(const struct lb_tuple *t, enum sluice_ct_dir dir,
		  const struct sluice_ct4_value *want, __u32 timeout_s, __u64 t0, __u64 t1,
		  const char *desc)
{
	__u64 lo = t0 + timeout_s * LB_NSEC_PER_SEC - LB_CLOCK_SLACK_NS;
	__u64 hi = t1 + timeout_s * LB_NSEC_PER_SEC + LB_CLOCK_SLACK_NS;
	const char *what = dir_name(dir);
	struct sluice_ct4_value v;

	cr_assert(lb_ct_get(t, dir, &v), "%s: %s " LB_IP_FMT ":%u -> " LB_IP_FMT ":%u missing",
		  desc, what, LB_IP_ARGS(t->saddr), t->sport, LB_IP_ARGS(t->daddr), t->dport);
	cr_assert_eq(v.svc_id, want->svc_id, "%s: %s svc_id %u, want %u", desc, what, v.svc_id,
		     want->svc_id);
	cr_assert_eq(v.backend_id, want->backend_id, "%s: %s backend_id %u, want %u", desc, what,
		     v.backend_id, want->backend_id);
	cr_assert_eq(v.nat_addr, want->nat_addr,
		     "%s: %s nat_addr " LB_IP_FMT ", want " LB_IP_FMT, desc, what,
		     LB_IP_ARGS(ntohl(v.nat_addr)), LB_IP_ARGS(ntohl(want->nat_addr)));
	cr_assert_eq(v.nat_port, want->nat_port, "%s: %s nat_port %u, want %u", desc, what,
		     ntohs(v.nat_port), ntohs(want->nat_port));
	cr_assert_eq(v.client_addr, want->client_addr,
		     "%s: %s client_addr " LB_IP_FMT ", want " LB_IP_FMT, desc, what,
		     LB_IP_ARGS(ntohl(v.client_addr)), LB_IP_ARGS(ntohl(want->client_addr)));
	cr_assert_eq(v.flags, want->flags, "%s: %s flags %#x, want %#x", desc, what, v.flags,
		     want->flags);
	cr_assert(v.expires_ns >= lo && v.expires_ns <= hi,
		  "%s: %s expires %.3f s after the packet, want %u s", desc, what,
		  ((double)v.expires_ns - (double)t1) / LB_NSEC_PER_SEC, timeout_s);
}
