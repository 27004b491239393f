// SPDX-License-Identifier: Apache-2.0
/* STATUS: ready for ADD only when the agent's pins are there and have room. */
#include <string.h>

#include "ipam.h"
#include "plugin.h"
#include "version.h"
#include "lib/agent_state.h"
#include "lib/endpoint_map.h"

static int check_room(struct cni_ctx *ctx)
{
	struct endpoint_maps m;
	__u32 capacity = 0;
	size_t used = 0;
	int ret;

	ret = endpoint_maps_open(&ctx->pins, &m);
	if (ret)
		return cni_fail(&ctx->err, CNI_ERR_NOT_AVAILABLE, "sluice datapath is not loaded",
				"cannot open the endpoint map under %s: %s", ctx->pins.root,
				strerror(-ret));
	ret = endpoint_usage(&m, &used, &capacity);
	endpoint_maps_close(&m);
	if (ret)
		return cni_fail(&ctx->err, CNI_ERR_NOT_AVAILABLE, "cannot read the endpoint map",
				"%s: %s", ctx->pins.root, strerror(-ret));
	if (used >= capacity)
		return cni_fail(&ctx->err, CNI_ERR_NOT_AVAILABLE, "endpoint map is full",
				"%zu of %u endpoints in use under %s", used, capacity,
				ctx->pins.root);
	return 0;
}

int cni_cmd_status(struct cni_ctx *ctx)
{
	struct ipam ipam;
	char why[512];

	if (agent_ready(&ctx->pins, false, why, sizeof(why)))
		return cni_fail(&ctx->err, CNI_ERR_NOT_AVAILABLE, "sluice datapath is not loaded",
				"%s; start the sluice agent with --bpffs %s", why, ctx->pins.root);
	if (check_room(ctx))
		return ctx->err.code;
	if (!ctx->conf.ipam_type[0] || ipam_open(&ipam, &ctx->conf, &ctx->env, &ctx->err))
		return ctx->err.code;
	/* STATUS came with spec 1.1.0; an older IPAM plugin has none to ask. */
	if (cni_version_cmp(ipam.version, "1.1.0") < 0)
		return 0;
	return ipam_run(&ipam, &ctx->conf, "STATUS", &ctx->err);
}
