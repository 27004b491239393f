// SPDX-License-Identifier: Apache-2.0
/*
 * DEL: best effort and idempotent, as the spec asks. The endpoint goes
 * first (nothing is forwarded to a dying pod), then the veth, then the IPAM
 * lease (so the address is not handed out while still configured).
 */
#include "ipam.h"
#include "naming.h"
#include "plugin.h"
#include "pod_net.h"
#include "policy_sync.h"
#include "lib/endpoint_map.h"

/*
 * Drops this attachment's endpoint, found through its metadata, which ADD
 * writes before the datapath entry: a datapath entry never exists without it.
 * prevResult is not needed for that, so DEL works with or without one.
 */
static void forget_endpoint(struct cni_ctx *ctx)
{
	struct endpoint_maps m;
	struct endpoint ep;

	if (endpoint_maps_open(&ctx->pins, &m))
		return;	/* no datapath pinned: no entry to remove */
	if (!endpoint_find_attachment(&m, ctx->env.container_id, ctx->env.ifname, &ep)) {
		endpoint_delete(&m, &ep.key);
		policy_state_remove(&ctx->pins, &ep.key);
	}
	endpoint_maps_close(&m);
}

int cni_cmd_del(struct cni_ctx *ctx)
{
	char host[IF_NAMESIZE];
	struct ipam ipam;

	forget_endpoint(ctx);
	host_veth_name(ctx->env.container_id, ctx->env.ifname, host);
	if (pod_net_delete(host, &ctx->err))
		return ctx->err.code;
	if (!ctx->conf.ipam_type[0])
		return 0;
	if (ipam_open(&ipam, &ctx->conf, &ctx->env, &ctx->err))
		return ctx->err.code;
	return ipam_run(&ipam, &ctx->conf, "DEL", &ctx->err);
}
