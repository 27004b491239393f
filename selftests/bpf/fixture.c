// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "lib/verdict_names.h"
#include "fixture.h"
#include "netns.h"

struct tc_pod *fx_skel;

/* Locally administered MACs (0x02 first byte); the last byte is the pod's. */
const struct sluice_endpoint_info fx_src_ep = {
	.ifindex = FX_SRC_IFINDEX,
	.pod_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
	.host_mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x02 },
};
const struct sluice_endpoint_info fx_dst_ep = {
	.ifindex = FX_DST_IFINDEX,
	.pod_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x03 },
	.host_mac = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x03 },
};

struct criterion_test_params fx_case_params(size_t *idx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, n);
}

/*
 * Source verification wants a frame from a pod to arrive on that pod's own
 * veth: each endpoint gets a device with its ifindex in the test's private
 * namespace, which fx_run() hands to the program as the ingress device.
 */
static void endpoint_device(const struct sluice_endpoint_info *info)
{
	__u32 ifindex = info->ifindex;
	char host[IF_NAMESIZE], peer[IF_NAMESIZE];
	struct veth_end a = { .name = host, .ifindex = (int)ifindex, .mac = info->host_mac,
			      .ns_fd = -1 };
	struct veth_end b = { .name = peer, .mac = info->pod_mac, .ns_fd = -1 };
	int err;

	if (if_indextoname(ifindex, host))
		return;	/* a test added the same endpoint twice */
	snprintf(host, sizeof(host), "fxh%u", ifindex);
	snprintf(peer, sizeof(peer), "fxp%u", ifindex);
	err = veth_create(&a, &b);
	cr_assert_eq(err, 0, "setup: device for endpoint ifindex %u: %s", ifindex,
		     nl_geterror(err));
}

void fx_add_endpoint(__u32 addr, const struct sluice_endpoint_info *info)
{
	/* Zeroed whole: the map hashes the padding and the unused words too. */
	struct sluice_endpoint_key key;
	int err;

	endpoint_device(info);
	memset(&key, 0, sizeof(key));
	key.family = SLUICE_FAMILY_IPV4;
	key.addr[0] = htonl(addr);
	err = bpf_map_update_elem(bpf_map__fd(fx_skel->maps.sluice_endpoint), &key, info,
				  BPF_NOEXIST);
	cr_assert_eq(err, 0, "setup: add endpoint ifindex %u: %s", info->ifindex,
		     strerror(errno));
}

void fx_setup(void)
{
	int ns = netns_enter_new();

	cr_assert_geq(ns, 0, "setup: a private namespace: %s", strerror(-ns));
	fx_skel = tc_pod__open_and_load();
	cr_assert_not_null(fx_skel, "setup: open and load tc_pod: %s", strerror(errno));
	fx_add_endpoint(FX_SRC_ADDR, &fx_src_ep);
	fx_add_endpoint(FX_DST_ADDR, &fx_dst_ep);
}

void fx_teardown(void)
{
	tc_pod__destroy(fx_skel);
	fx_skel = NULL;
}

struct pkt_ipv4 fx_flow(__u8 protocol)
{
	struct pkt_ipv4 spec = {
		.saddr = htonl(FX_SRC_ADDR),
		.daddr = htonl(FX_DST_ADDR),
		.protocol = protocol,
		.ttl = FX_TTL,
		.ihl = PKT_IHL_MIN,
		.payload_len = FX_PAYLOAD_LEN,
		.sport = FX_SPORT,
		.dport = FX_DPORT,
		.tcp_flags = PKT_TCP_SYN,
	};

	/* The pod sends to its gateway, the host side of its own veth. */
	memcpy(spec.src_mac, fx_src_ep.pod_mac, ETH_ALEN);
	memcpy(spec.dst_mac, fx_src_ep.host_mac, ETH_ALEN);
	return spec;
}

__u32 fx_build(const struct pkt_ipv4 *spec, void *buf, const char *desc)
{
	int len = pkt_build_ipv4(spec, buf, PKT_MAX);

	cr_assert_gt(len, 0, "%s: build the input frame", desc);
	return len;
}

void fx_read_counters(struct sluice_counter c[SLUICE_VERDICT_MAX], const char *desc)
{
	int fd = bpf_map__fd(fx_skel->maps.sluice_verdicts), v, err;

	for (v = 0; v < SLUICE_VERDICT_MAX; v++) {
		err = verdict_read(fd, v, &c[v]);
		cr_assert_eq(err, 0, "%s: read counter %s: %s", desc, verdict_name(v),
			     strerror(-err));
	}
}

/* The veth a frame from a local pod arrives on; 0 (the default device) for others. */
static __u32 ingress_ifindex(const void *in, __u32 len)
{
	const struct ethhdr *eth = in;
	struct sluice_endpoint_key key;
	struct sluice_endpoint_info info;

	if (len < sizeof(*eth) + sizeof(struct iphdr) || eth->h_proto != htons(ETH_P_IP))
		return 0;
	memset(&key, 0, sizeof(key));
	key.family = SLUICE_FAMILY_IPV4;
	key.addr[0] = pkt_iph((void *)in)->saddr;
	if (bpf_map_lookup_elem(bpf_map__fd(fx_skel->maps.sluice_endpoint), &key, &info))
		return 0;
	return info.ifindex;
}

void fx_run_on(struct bpf_program *prog, __u32 ifindex, const void *in, __u32 len,
	       struct fx_result *res, const char *desc)
{
	struct sluice_counter before[SLUICE_VERDICT_MAX], after[SLUICE_VERDICT_MAX];
	struct __sk_buff ctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = len,
		.data_out = res->out,
		.data_size_out = sizeof(res->out),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);
	int err, v;

	fx_read_counters(before, desc);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	cr_assert_eq(err, 0, "%s: test run of %s: %s", desc, bpf_program__name(prog),
		     strerror(-err));
	res->retval = opts.retval;
	res->out_len = opts.data_size_out;
	fx_read_counters(after, desc);
	for (v = 0; v < SLUICE_VERDICT_MAX; v++) {
		res->delta[v].packets = after[v].packets - before[v].packets;
		res->delta[v].bytes = after[v].bytes - before[v].bytes;
	}
}

void fx_run(struct bpf_program *prog, const void *in, __u32 len, struct fx_result *res,
	    const char *desc)
{
	fx_run_on(prog, ingress_ifindex(in, len), in, len, res, desc);
}

void fx_expect_counted(const struct sluice_counter delta[SLUICE_VERDICT_MAX],
		       enum sluice_verdict v, __u32 len, const char *desc)
{
	int i;

	for (i = 0; i < SLUICE_VERDICT_MAX; i++) {
		__u64 packets = i == (int)v ? 1 : 0, bytes = i == (int)v ? len : 0;

		cr_assert_eq(delta[i].packets, packets, "%s: counter %s packets +%llu, want +%llu",
			     desc, verdict_name(i), (unsigned long long)delta[i].packets,
			     (unsigned long long)packets);
		cr_assert_eq(delta[i].bytes, bytes, "%s: counter %s bytes +%llu, want +%llu",
			     desc, verdict_name(i), (unsigned long long)delta[i].bytes,
			     (unsigned long long)bytes);
	}
}

int fx_first_diff(const void *a, const void *b, __u32 len)
{
	const __u8 *pa = a, *pb = b;
	__u32 i;

	for (i = 0; i < len; i++)
		if (pa[i] != pb[i])
			return i;
	return -1;
}

void fx_expect_untouched(const struct fx_result *res, const void *in, __u32 len,
			 __u32 retval, const char *desc)
{
	cr_assert_eq(res->retval, retval, "%s: verdict %u, want %u", desc, res->retval, retval);
	cr_assert_eq(res->out_len, len, "%s: output length %u, want %u", desc, res->out_len, len);
	cr_assert_eq(fx_first_diff(res->out, in, len), -1,
		     "%s: output differs from input at byte %d", desc,
		     fx_first_diff(res->out, in, len));
}

void fx_expect_rewritten(const void *out, __u32 out_len, const void *in, __u32 len,
			 const struct sluice_endpoint_info *ep, const char *desc)
{
	const struct ethhdr *eth = out;
	const struct iphdr *iph = pkt_iph((void *)out);
	__u8 ttl_in = pkt_iph((void *)in)->ttl;
	__u8 want[PKT_MAX];
	struct ethhdr *want_eth = (struct ethhdr *)want;
	struct iphdr *want_iph = pkt_iph(want);

	cr_assert_eq(out_len, len, "%s: output length %u, want %u", desc, out_len, len);
	cr_assert_arr_eq(eth->h_dest, ep->pod_mac, ETH_ALEN,
			 "%s: destination MAC is not the endpoint's pod MAC", desc);
	cr_assert_arr_eq(eth->h_source, ep->host_mac, ETH_ALEN,
			 "%s: source MAC is not the endpoint's host MAC", desc);
	cr_assert_eq(iph->ttl, ttl_in - 1, "%s: TTL %u, want %u", desc, iph->ttl, ttl_in - 1);
	/*
	 * Equal to a full recomputation, not merely valid: RFC 1624 replaced
	 * RFC 1141 because that update can give 0xffff where recomputing gives
	 * 0x0000, and receivers that verify by recomputing then drop the packet.
	 */
	cr_assert_eq(iph->check, pkt_ipv4_csum(iph), "%s: IPv4 checksum %#06x, recomputed %#06x",
		     desc, ntohs(iph->check), ntohs(pkt_ipv4_csum(iph)));

	/* Everything else, options and L4 included, must be the input's bytes. */
	memcpy(want, in, len);
	memcpy(want_eth->h_dest, ep->pod_mac, ETH_ALEN);
	memcpy(want_eth->h_source, ep->host_mac, ETH_ALEN);
	want_iph->ttl = iph->ttl;
	want_iph->check = iph->check;
	cr_assert_eq(fx_first_diff(out, want, len), -1,
		     "%s: output differs from the expected frame at byte %d", desc,
		     fx_first_diff(out, want, len));
}

void fx_expect_delivered(const struct fx_result *res, const void *in, __u32 len,
			 const struct sluice_endpoint_info *ep, const char *desc)
{
	cr_assert_eq(res->retval, TC_ACT_REDIRECT, "%s: verdict %u, want TC_ACT_REDIRECT", desc,
		     res->retval);
	fx_expect_rewritten(res->out, res->out_len, in, len, ep, desc);
}

/* Room for the largest key a counted map has: a walk copies keys here. */
#define FX_KEY_MAX 64

__u32 fx_count_keys(const struct bpf_map *m)
{
	int fd = bpf_map__fd(m);
	__u8 key[FX_KEY_MAX], next[FX_KEY_MAX];
	void *prev = NULL;
	__u32 n = 0;

	cr_assert_leq(bpf_map__key_size(m), FX_KEY_MAX, "%s: key too large to walk",
		      bpf_map__name(m));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, bpf_map__key_size(m));
		prev = key;
		n++;
	}
	cr_assert_eq(errno, ENOENT, "%s: walk the keys: %s", bpf_map__name(m), strerror(errno));
	return n;
}
