// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "agent/endpoint_sync.h"
#include "lib/endpoint_map.h"
#include "lib/log.h"
#include "lib/tc_attach.h"

static bool veth_present(const struct endpoint *ep)
{
	char name[IF_NAMESIZE];

	return if_indextoname(ep->info.ifindex, name) && !strcmp(name, ep->meta.host_ifname);
}

static void sync_one(const struct sluice_pins *pins, const struct endpoint_maps *m,
		     const struct endpoint *ep, const struct tc_pod_progs *want,
		     struct endpoint_sync_result *res)
{
	struct tc_pod_progs have;
	char addr[INET6_ADDRSTRLEN];
	int err;

	endpoint_key_str(&ep->key, addr, sizeof(addr));
	/* Metadata alone is a CNI ADD in flight; CNI DEL and GC own that case. */
	if (!ep->info.ifindex)
		return;
	if (!veth_present(ep)) {
		err = endpoint_delete(m, &ep->key);
		if (err) {
			pr_warn("endpoint %s: cannot remove stale entry: %s", addr, strerror(-err));
			res->failed++;
			return;
		}
		pr_info("endpoint %s (pod %s/%s): host veth %s is gone, entry removed",
			addr, ep->meta.pod_namespace, ep->meta.pod_name, ep->meta.host_ifname);
		res->removed++;
		return;
	}
	err = tc_query_pod(ep->info.ifindex, &have);
	if (!err && have.from_pod == want->from_pod && have.to_pod == want->to_pod) {
		res->kept++;
		return;
	}
	if (!err)
		err = tc_attach_pod(pins, ep->info.ifindex, false);
	if (err) {
		pr_warn("endpoint %s: cannot attach programs to %s: %s", addr,
			ep->meta.host_ifname, strerror(-err));
		res->failed++;
		return;
	}
	pr_info("endpoint %s: %s now runs programs %u/%u", addr, ep->meta.host_ifname,
		want->from_pod, want->to_pod);
	res->reattached++;
}

int endpoint_sync(const struct sluice_pins *pins, struct endpoint_sync_result *res)
{
	struct endpoint_maps m;
	struct tc_pod_progs want;
	struct endpoint *eps;
	size_t n, i;
	int err;

	memset(res, 0, sizeof(*res));
	err = tc_pinned_pod(pins, &want);
	if (err)
		return err;
	err = endpoint_maps_open(pins, &m);
	if (err)
		return err;
	err = endpoint_list(&m, &eps, &n);
	if (!err) {
		for (i = 0; i < n; i++)
			sync_one(pins, &m, &eps[i], &want, res);
		free(eps);
	}
	endpoint_maps_close(&m);
	return err;
}
