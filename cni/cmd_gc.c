// SPDX-License-Identifier: Apache-2.0
/*
 * GC: removes every attachment of this network that the runtime no longer
 * lists as valid: endpoint entries, host veths (with their programs) and
 * IPAM leases. Goes on past errors and reports the first.
 */
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "naming.h"
#include "plugin.h"
#include "pod_net.h"
#include "version.h"
#include "lib/endpoint_map.h"
#include "lib/log.h"

struct gc {
	struct cni_ctx *ctx;
	struct ipam ipam;
	bool have_ipam;
	bool ipam_gc;			/* the IPAM plugin speaks GC itself */
	struct endpoint *eps;		/* endpoints left after the sweep */
	size_t n_eps;
	struct nl_sock *sk;
};

static bool is_valid(const struct cni_conf *conf, const char *container_id, const char *ifname)
{
	size_t i;

	for (i = 0; i < conf->n_valid; i++)
		if (!strcmp(conf->valid[i].container_id, container_id) &&
		    !strcmp(conf->valid[i].ifname, ifname))
			return true;
	return false;
}

static void collect_endpoint(struct gc *g, const struct endpoint_maps *m, struct endpoint *ep)
{
	struct cni_ctx *ctx = g->ctx;

	pr_info("GC: removing attachment %s/%s (pod %s/%s)", ep->meta.container_id,
		ep->meta.ifname, ep->meta.pod_namespace, ep->meta.pod_name);
	endpoint_delete(m, &ep->key);
	pod_net_delete(ep->meta.host_ifname, &ctx->err);
	/* An IPAM plugin that knows GC is sent the valid list instead. */
	if (g->have_ipam && !g->ipam_gc)
		ipam_del_attachment(&g->ipam, &ctx->conf, ep->meta.container_id, ep->meta.ifname,
				    &ctx->err);
	ep->meta.host_ifname[0] = '\0';
}

static void collect_endpoints(struct gc *g)
{
	struct endpoint_maps m;
	size_t i;

	if (endpoint_maps_open(&g->ctx->pins, &m))
		return;	/* no datapath pinned: no endpoints to collect */
	if (endpoint_list(&m, &g->eps, &g->n_eps)) {
		endpoint_maps_close(&m);
		return;
	}
	for (i = 0; i < g->n_eps; i++) {
		struct endpoint *ep = &g->eps[i];

		if (strcmp(ep->meta.network, g->ctx->conf.name) ||
		    is_valid(&g->ctx->conf, ep->meta.container_id, ep->meta.ifname))
			continue;
		collect_endpoint(g, &m, ep);
	}
	endpoint_maps_close(&m);
}

/*
 * A sluice veth that no endpoint names and no valid attachment would own is
 * what an ADD that died half-way left behind.
 */
static int sweep_veth(const char *name, void *arg)
{
	struct gc *g = arg;
	char want[IF_NAMESIZE];
	size_t i;

	if (!is_host_veth_name(name))
		return 0;
	for (i = 0; i < g->n_eps; i++)
		if (!strcmp(g->eps[i].meta.host_ifname, name))
			return 0;
	for (i = 0; i < g->ctx->conf.n_valid; i++) {
		host_veth_name(g->ctx->conf.valid[i].container_id, g->ctx->conf.valid[i].ifname,
			       want);
		if (!strcmp(want, name))
			return 0;
	}
	pr_info("GC: removing orphaned veth %s", name);
	pod_net_delete(name, &g->ctx->err);
	return 0;
}

int cni_cmd_gc(struct cni_ctx *ctx)
{
	struct gc g = { .ctx = ctx };

	if (!ctx->conf.has_valid)
		return cni_fail(&ctx->err, CNI_ERR_INVALID_CONFIG, "missing field",
				"GC needs \"cni.dev/valid-attachments\"");
	if (ctx->conf.ipam_type[0] && !ipam_open(&g.ipam, &ctx->conf, &ctx->env, &ctx->err)) {
		g.have_ipam = true;
		g.ipam_gc = cni_version_cmp(g.ipam.version, "1.1.0") >= 0;
	}
	collect_endpoints(&g);
	g.sk = nlr_open();
	if (g.sk) {
		nlr_link_foreach(g.sk, sweep_veth, &g);
		nlr_close(g.sk);
	}
	if (g.ipam_gc)
		ipam_run(&g.ipam, &ctx->conf, "GC", &ctx->err);
	free(g.eps);
	return ctx->err.code;
}
