// SPDX-License-Identifier: Apache-2.0
/*
 * CHECK: the attachment is still as ADD left it: veth pair, address and
 * routes, endpoint entry, programs attached, and the IPAM lease.
 */
#include <string.h>
#include <unistd.h>

#include "ipam.h"
#include "naming.h"
#include "netns.h"
#include "plugin.h"
#include "pod_net.h"
#include "result.h"
#include "version.h"
#include "lib/agent_state.h"
#include "lib/endpoint_map.h"
#include "lib/field.h"
#include "lib/tc_attach.h"

/* The IPv4 address prevResult gives the pod's interface. */
static int prev_ipv4(const struct cni_ctx *ctx, const struct cni_result *prev,
		     struct in_addr *addr, struct cni_error *err)
{
	unsigned int i;

	for (i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];

		if (ip->addr.family != AF_INET)
			continue;
		if (ip->iface >= 0 && ((unsigned int)ip->iface >= prev->n_ifaces ||
				       strcmp(prev->ifaces[ip->iface].name, ctx->env.ifname)))
			continue;
		memcpy(addr, ip->addr.addr, sizeof(*addr));
		return 0;
	}
	return cni_fail(err, CNI_ERR_INVALID_CONFIG, "prevResult has no address",
			"prevResult lists no IPv4 address for %s", ctx->env.ifname);
}

static int check_endpoint(struct cni_ctx *ctx, const struct pod_net *pn)
{
	struct tc_pod_progs have, want;
	struct endpoint_maps m;
	struct endpoint ep;
	int ret;

	ret = endpoint_maps_open(&ctx->pins, &m);
	if (ret)
		return cni_fail(&ctx->err, CNI_ERR_CHECK_FAILED, "sluice datapath is not loaded",
				"cannot open the endpoint map under %s", ctx->pins.root);
	ret = endpoint_find_attachment(&m, ctx->env.container_id, ctx->env.ifname, &ep);
	endpoint_maps_close(&m);
	if (ret)
		return cni_fail(&ctx->err, CNI_ERR_CHECK_FAILED, "endpoint missing",
				"no endpoint of container %s, interface %s in %s",
				ctx->env.container_id, ctx->env.ifname, ctx->pins.root);
	if (ep.key.addr[0] != pn->addr.s_addr || ep.info.ifindex != (__u32)pn->host_ifindex ||
	    memcmp(ep.info.pod_mac, pn->pod_mac, MAC_LEN) ||
	    memcmp(ep.info.host_mac, pn->host_mac, MAC_LEN))
		return cni_fail(&ctx->err, CNI_ERR_CHECK_FAILED, "endpoint stale",
				"the endpoint entry does not match %s and %s (address, ifindex "
				"or MACs differ)", pn->host_ifname, pn->ifname);
	if (tc_query_pod(pn->host_ifindex, &have) || tc_pinned_pod(&ctx->pins, &want) ||
	    have.from_pod != want.from_pod || have.to_pod != want.to_pod)
		return cni_fail(&ctx->err, CNI_ERR_CHECK_FAILED, "datapath programs not attached",
				"%s carries programs %u/%u, the pinned ones are %u/%u",
				pn->host_ifname, have.from_pod, have.to_pod, want.from_pod,
				want.to_pod);
	return 0;
}

int cni_cmd_check(struct cni_ctx *ctx)
{
	struct cni_result prev;
	struct pod_net pn = { 0 };
	struct ipam ipam;
	int netns_fd;

	if (!ctx->conf.prev_result)
		return cni_fail(&ctx->err, CNI_ERR_INVALID_CONFIG, "missing prevResult",
				"CHECK needs the result of the ADD in \"prevResult\"");
	if (cni_result_parse(ctx->conf.prev_result, "prevResult", &prev, &ctx->err))
		return ctx->err.code;
	prev_ipv4(ctx, &prev, &pn.addr, &ctx->err);
	cni_result_free(&prev);
	if (ctx->err.code)
		return ctx->err.code;

	netns_fd = netns_open(ctx->env.netns);
	if (netns_fd < 0)
		return cni_fail(&ctx->err, CNI_ERR_CHECK_FAILED, "pod namespace is gone",
				"%s: %s", ctx->env.netns, strerror(-netns_fd));
	host_veth_name(ctx->env.container_id, ctx->env.ifname, pn.host_ifname);
	copy_field(pn.ifname, sizeof(pn.ifname), ctx->env.ifname);
	pod_net_check(&pn, netns_fd, &ctx->err);
	close(netns_fd);
	if (ctx->err.code || check_endpoint(ctx, &pn))
		return ctx->err.code;

	if (!ctx->conf.ipam_type[0] || ipam_open(&ipam, &ctx->conf, &ctx->env, &ctx->err))
		return ctx->err.code;
	/* CHECK came with spec 0.4.0; an older IPAM plugin has none to run. */
	if (cni_version_cmp(ipam.version, "0.4.0") < 0)
		return 0;
	return ipam_run(&ipam, &ctx->conf, "CHECK", &ctx->err);
}
