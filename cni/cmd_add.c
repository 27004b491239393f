// SPDX-License-Identifier: Apache-2.0
/*
 * ADD: address from IPAM, veth pair into the pod, datapath programs on the
 * host veth, endpoint in the map, result to the runtime. Every step is
 * undone when a later one fails, so a failed ADD leaves nothing behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipam.h"
#include "naming.h"
#include "netns.h"
#include "plugin.h"
#include "pod_net.h"
#include "policy_sync.h"
#include "result.h"
#include "lib/agent_state.h"
#include "lib/endpoint_map.h"
#include "lib/field.h"
#include "lib/node_cfg.h"
#include "lib/tc_attach.h"

/* Where the pod's interface sits in the result's interfaces list. */
enum { RESULT_IFACE_HOST = 0, RESULT_IFACE_POD = 1 };

static int pick_ipv4(const struct cni_result *ipam, struct in_addr *addr, struct cni_error *err)
{
	char text[INET6_ADDRSTRLEN];
	unsigned int i, n4 = 0;

	for (i = 0; i < ipam->n_ips; i++) {
		if (ipam->ips[i].addr.family != AF_INET) {
			cni_addr_str(&ipam->ips[i].addr, text, sizeof(text));
			return cni_fail(err, CNI_ERR_UNSUPPORTED_FIELD, "IPv6 is not supported yet",
					"IPAM returned %s; sluice pods are IPv4 only for now: drop "
					"IPv6 ranges from \"ipam\"", text);
		}
		if (!n4++)
			memcpy(addr, ipam->ips[i].addr.addr, sizeof(*addr));
	}
	if (n4 != 1)
		return cni_fail(err, CNI_ERR_IPAM, "IPAM gave no single IPv4 address",
				"IPAM returned %u IPv4 addresses; a sluice pod takes exactly one", n4);
	return 0;
}

static void mac_text(const unsigned char *mac, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

static void build_result(const struct cni_ctx *ctx, const struct pod_net *pn,
			 const struct cni_result *ipam, struct cni_result *res)
{
	struct cni_iface *host = &res->ifaces[RESULT_IFACE_HOST];
	struct cni_iface *pod = &res->ifaces[RESULT_IFACE_POD];
	struct cni_ip *ip = &res->ips[0];

	memset(res, 0, sizeof(*res));
	res->n_ifaces = 2;
	copy_field(host->name, sizeof(host->name), pn->host_ifname);
	mac_text(pn->host_mac, host->mac, sizeof(host->mac));
	host->mtu = pn->mtu;
	copy_field(pod->name, sizeof(pod->name), pn->ifname);
	mac_text(pn->pod_mac, pod->mac, sizeof(pod->mac));
	pod->mtu = pn->mtu;
	copy_field(pod->sandbox, sizeof(pod->sandbox), ctx->env.netns);

	res->n_ips = 1;
	ip->addr.family = AF_INET;
	memcpy(ip->addr.addr, &pn->addr, sizeof(pn->addr));
	ip->prefix = POD_ADDR_PREFIX;
	ip->has_gateway = true;
	cni_addr_parse(POD_GATEWAY_IPV4, &ip->gateway);
	/* IPAM results leave the interface out: the address is the pod's. */
	ip->iface = RESULT_IFACE_POD;

	res->n_routes = 1;
	res->routes[0].dst.family = AF_INET;
	res->routes[0].has_gw = true;
	cni_addr_parse(POD_GATEWAY_IPV4, &res->routes[0].gw);
	res->dns = ipam->dns ? cJSON_Duplicate(ipam->dns, 1) : NULL;
}

static int record_endpoint(struct cni_ctx *ctx, const struct pod_net *pn)
{
	struct endpoint_maps m;
	struct endpoint ep;
	char addr[INET_ADDRSTRLEN];
	int ret;

	memset(&ep, 0, sizeof(ep));
	endpoint_key_ipv4(&ep.key, pn->addr);
	ep.info.ifindex = (__u32)pn->host_ifindex;
	memcpy(ep.info.pod_mac, pn->pod_mac, MAC_LEN);
	memcpy(ep.info.host_mac, pn->host_mac, MAC_LEN);
	copy_field(ep.meta.container_id, sizeof(ep.meta.container_id), ctx->env.container_id);
	copy_field(ep.meta.ifname, sizeof(ep.meta.ifname), ctx->env.ifname);
	copy_field(ep.meta.host_ifname, sizeof(ep.meta.host_ifname), pn->host_ifname);
	copy_field(ep.meta.network, sizeof(ep.meta.network), ctx->conf.name);
	copy_field(ep.meta.pod_namespace, sizeof(ep.meta.pod_namespace), ctx->env.pod_namespace);
	copy_field(ep.meta.pod_name, sizeof(ep.meta.pod_name), ctx->env.pod_name);

	ret = endpoint_maps_open(&ctx->pins, &m);
	if (ret)
		return cni_fail(&ctx->err, CNI_ERR_TRY_AGAIN, "cannot open the endpoint map",
				"%s: %s", ctx->pins.root, strerror(-ret));
	ret = endpoint_get(&m, &ep.key, &(struct endpoint){ 0 });
	/* The address is free: whatever policy an earlier owner left is not this pod's. */
	if (ret == -ENOENT)
		policy_state_remove(&ctx->pins, &ep.key);
	ret = endpoint_put(&m, &ep);
	endpoint_maps_close(&m);
	inet_ntop(AF_INET, &pn->addr, addr, sizeof(addr));
	if (ret == -EEXIST)
		return cni_fail(&ctx->err, CNI_ERR_EXISTS, "address already in use",
				"%s is an endpoint of another container on this node", addr);
	if (ret == -E2BIG)
		return cni_fail(&ctx->err, CNI_ERR_TRY_AGAIN, "endpoint map is full",
				"no room for %s: the node has %d endpoints already", addr,
				SLUICE_ENDPOINT_MAX);
	if (ret)
		return cni_fail(&ctx->err, CNI_ERR_SYSTEM, "cannot record the endpoint", "%s: %s",
				addr, strerror(-ret));
	return 0;
}

static void undo_endpoint(struct cni_ctx *ctx, const struct pod_net *pn)
{
	struct sluice_endpoint_key key;
	struct endpoint_maps m;

	endpoint_key_ipv4(&key, pn->addr);
	if (!endpoint_maps_open(&ctx->pins, &m)) {
		endpoint_delete(&m, &key);
		endpoint_maps_close(&m);
	}
	/* The agent may have programmed the pod's policy before the ADD failed. */
	policy_state_remove(&ctx->pins, &key);
}

static int check_ready(struct cni_ctx *ctx)
{
	char why[512];

	if (agent_ready(&ctx->pins, false, why, sizeof(why)))
		return cni_fail(&ctx->err, CNI_ERR_TRY_AGAIN, "sluice datapath is not loaded",
				"%s; start the sluice agent with --bpffs %s", why, ctx->pins.root);
	return 0;
}

/*
 * The config's "mtu", else what the agent says pods need (the tunnel's MTU
 * in VXLAN routing), else the default.
 */
static unsigned int pod_mtu(const struct cni_ctx *ctx)
{
	struct sluice_node_cfg cfg;

	if (ctx->conf.mtu_set || node_cfg_read(&ctx->pins, &cfg) || !cfg.pod_mtu)
		return ctx->conf.mtu;
	return cfg.pod_mtu;
}

int cni_cmd_add(struct cni_ctx *ctx)
{
	struct cni_result ipam_res = { 0 }, res = { 0 };
	struct cni_error undo_err = { 0 };
	struct pod_net pn = { 0 };
	cJSON *ipam_out = NULL;
	struct ipam ipam;
	bool ipam_done = false, net_done = false, ep_done = false;
	int netns_fd = -1, ret;

	if (ctx->conf.prev_result)
		return cni_fail(&ctx->err, CNI_ERR_UNSUPPORTED_FIELD, "prevResult on ADD",
				"sluice-cni creates the pod interface: put it first in the "
				"plugin list, before any chained plugin");
	if (check_ready(ctx))
		return ctx->err.code;
	netns_fd = netns_open(ctx->env.netns);
	if (netns_fd < 0)
		return cni_fail(&ctx->err, CNI_ERR_INVALID_ENV, "invalid CNI_NETNS",
				"%s is not a network namespace: %s", ctx->env.netns,
				strerror(-netns_fd));
	host_veth_name(ctx->env.container_id, ctx->env.ifname, pn.host_ifname);
	copy_field(pn.ifname, sizeof(pn.ifname), ctx->env.ifname);
	pn.mtu = pod_mtu(ctx);

	/* Refuse a repeated ADD before IPAM: undoing IPAM would free the live pod's lease. */
	if (pod_net_exists(pn.host_ifname)) {
		cni_fail(&ctx->err, CNI_ERR_EXISTS, "attachment exists",
			 "host veth %s of container %s, interface %s is already there; DEL it first",
			 pn.host_ifname, ctx->env.container_id, ctx->env.ifname);
		goto out;
	}

	if (ipam_open(&ipam, &ctx->conf, &ctx->env, &ctx->err))
		goto out;
	/* Even a failed IPAM ADD gets its DEL (spec, section 4): it may have half-allocated. */
	ipam_done = true;
	if (ipam_add(&ipam, &ctx->conf, &ipam_out, &ctx->err))
		goto fail;
	if (cni_result_parse(ipam_out, "IPAM result", &ipam_res, &ctx->err) ||
	    pick_ipv4(&ipam_res, &pn.addr, &ctx->err))
		goto fail;

	if (pod_net_create(&pn, netns_fd, &ctx->err))
		goto fail;
	net_done = true;
	ret = tc_attach_pod(&ctx->pins, pn.host_ifindex, true);
	if (ret) {
		cni_fail(&ctx->err, CNI_ERR_SYSTEM, "cannot attach the datapath",
			 "attaching the pinned programs to %s: %s", pn.host_ifname, strerror(-ret));
		goto fail;
	}
	if (record_endpoint(ctx, &pn))
		goto fail;
	ep_done = true;
	if (policy_sync(ctx))
		goto fail;

	build_result(ctx, &pn, &ipam_res, &res);
	ctx->output = cni_result_json(&res, ctx->conf.version);
	if (!ctx->output) {
		cni_fail(&ctx->err, CNI_ERR_IO, "cannot write the result", "out of memory");
		goto fail;
	}
	goto out;
fail:
	/* Undo in reverse; the veth takes its programs and routes with it. */
	if (ep_done)
		undo_endpoint(ctx, &pn);
	if (net_done)
		pod_net_delete(pn.host_ifname, &undo_err);
	if (ipam_done)
		ipam_run(&ipam, &ctx->conf, "DEL", &undo_err);
out:
	cni_result_free(&ipam_res);
	cni_result_free(&res);
	cJSON_Delete(ipam_out);
	if (netns_fd >= 0)
		close(netns_fd);
	return ctx->err.code;
}
