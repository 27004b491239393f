// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "agent/policies.h"
#include "agent/policy_cache.h"
#include "k8s/fields.h"
#include "lib/clock.h"
#include "lib/field.h"
#include "lib/log.h"
#include "policy/compute.h"
#include "policy/netpol.h"
#include "policy/objects.h"

/* Bits of an IPv4 address: a single address in the ipcache. */
#define IPV4_BITS 32
/* Milliseconds in a second: the apply time is reported in ms. */
#define MS_PER_S 1000.0

/* One flush's view: the endpoints, the model built from them and the caches. */
struct flush {
	struct endpoint *eps;
	size_t n_eps;
	size_t *ep_pod;			/* per endpoint: its pod in the model, or NO_POD */
	struct pol_model m;
	struct labels *ns_made;		/* labels of namespaces known only from their pods */
	size_t n_ns_made;
	__u32 *policy_ids;		/* per model policy */
	struct entries pods, nss, nps;
};

/* An endpoint that is no Kubernetes pod (its CNI call named none): never isolated. */
#define NO_POD SIZE_MAX

static bool is_ipv4(const struct endpoint *ep)
{
	return ep->key.family == SLUICE_FAMILY_IPV4;
}

static int be32_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Local endpoints are matched to their Pods by the name the CNI call gave;
 * their address is the endpoint's, whatever the Pod's status says yet. A
 * local endpoint whose Pod is unknown still belongs to its namespace.
 */
static int add_local_pods(struct flush *f)
{
	__u32 *local = calloc(f->n_eps + 1, sizeof(*local));
	size_t i, n_local = 0, n_cached = f->m.n_pods;
	bool *mine = calloc(n_cached + 1, sizeof(*mine));
	char key[KEY_LEN];

	f->ep_pod = calloc(f->n_eps + 1, sizeof(*f->ep_pod));
	if (!local || !mine || !f->ep_pod) {
		free(local);
		free(mine);
		return -ENOMEM;
	}
	for (i = 0; i < f->n_eps; i++) {
		const struct endpoint *ep = &f->eps[i];
		struct pol_pod *pod;
		void **hit;

		f->ep_pod[i] = NO_POD;
		if (!is_ipv4(ep) || !ep->meta.pod_namespace[0] || !ep->meta.pod_name[0])
			continue;
		local[n_local++] = ep->key.addr[0];
		snprintf(key, sizeof(key), "%s/%s", ep->meta.pod_namespace, ep->meta.pod_name);
		hit = bsearch(key, f->pods.v, f->pods.n, sizeof(*f->pods.v), policy_cache_key_cmp);
		if (hit) {
			f->ep_pod[i] = (size_t)(hit - f->pods.v);
		} else {
			f->ep_pod[i] = f->m.n_pods++;
			pod = &f->m.pods[f->ep_pod[i]];
			copy_field(pod->ns, sizeof(pod->ns), ep->meta.pod_namespace);
			copy_field(pod->name, sizeof(pod->name), ep->meta.pod_name);
		}
		f->m.pods[f->ep_pod[i]].ip.s_addr = ep->key.addr[0];
	}
	/* A cached pod elsewhere still naming a local address is stale: the endpoint wins. */
	qsort(local, n_local, sizeof(*local), be32_cmp);
	for (i = 0; i < f->n_eps; i++)
		if (f->ep_pod[i] != NO_POD && f->ep_pod[i] < n_cached)
			mine[f->ep_pod[i]] = true;
	for (i = 0; i < n_cached; i++) {
		struct pol_pod *pod = &f->m.pods[i];

		if (!mine[i] && pod->ip.s_addr &&
		    bsearch(&pod->ip.s_addr, local, n_local, sizeof(*local), be32_cmp))
			pod->ip.s_addr = 0;
	}
	free(mine);
	free(local);
	return 0;
}

/* Namespaces with no Namespace object yet still carry their name label. */
static int add_pod_namespaces(struct flush *f)
{
	size_t i, j;

	f->ns_made = calloc(f->m.n_pods + 1, sizeof(*f->ns_made));
	if (!f->ns_made)
		return -ENOMEM;
	for (i = 0; i < f->m.n_pods; i++) {
		const char *ns = f->m.pods[i].ns;
		struct pol_namespace *made;
		bool known = bsearch(ns, f->nss.v, f->nss.n, sizeof(*f->nss.v),
				     policy_cache_key_cmp);

		for (j = f->nss.n; j < f->m.n_nss && !known; j++)
			known = !strcmp(f->m.nss[j].name, ns);
		if (known)
			continue;
		made = &f->m.nss[f->m.n_nss++];
		copy_field(made->name, sizeof(made->name), ns);
		if (labels_set(&f->ns_made[f->n_ns_made], NS_NAME_LABEL, ns))
			return -ENOMEM;
		made->labels = f->ns_made[f->n_ns_made++];
	}
	return 0;
}

/* Shallow copies of the cached objects: the caches own them and outlive the flush. */
static int model_build(struct policies *p, struct flush *f)
{
	size_t i;
	int err;

	err = policy_cache_collect(p->pods, &f->pods);
	if (!err)
		err = policy_cache_collect(p->nss, &f->nss);
	if (!err)
		err = policy_cache_collect(p->nps, &f->nps);
	if (err)
		return err;
	f->m.pods = calloc(f->pods.n + f->n_eps + 1, sizeof(*f->m.pods));
	f->m.nss = calloc(f->nss.n + f->pods.n + f->n_eps + 1, sizeof(*f->m.nss));
	f->m.policies = calloc(f->nps.n + 1, sizeof(*f->m.policies));
	f->policy_ids = calloc(f->nps.n + 1, sizeof(*f->policy_ids));
	if (!f->m.pods || !f->m.nss || !f->m.policies || !f->policy_ids)
		return -ENOMEM;
	for (i = 0; i < f->pods.n; i++)
		f->m.pods[f->m.n_pods++] = ((struct pod_entry *)f->pods.v[i])->pod;
	for (i = 0; i < f->nss.n; i++)
		f->m.nss[f->m.n_nss++] = ((struct ns_entry *)f->nss.v[i])->ns;
	for (i = 0; i < f->nps.n; i++)
		f->m.policies[f->m.n_policies++] = ((struct np_entry *)f->nps.v[i])->np;
	err = add_local_pods(f);
	return err ? err : add_pod_namespaces(f);
}

static void flush_free(struct flush *f)
{
	size_t i;

	pol_identities_free(&f->m);
	for (i = 0; i < f->n_ns_made; i++)
		labels_free(&f->ns_made[i]);
	free(f->ns_made);
	free(f->m.pods);
	free(f->m.nss);
	free(f->m.policies);
	free(f->policy_ids);
	free(f->ep_pod);
	free(f->eps);
	free(f->pods.v);
	free(f->nss.v);
	free(f->nps.v);
}

static void write_identities(struct policies *p, struct flush *f)
{
	char desc[SLUICE_IDENTITY_DESC_LEN];
	size_t i;

	for (i = 0; i < f->m.n_ids; i++) {
		identity_key(&f->m.ids[i], f->m.cidrs, desc, sizeof(desc));
		if (pol_writer_identity(&p->writer, f->m.ids[i].id, desc,
					id_allocator_is_cluster(&p->ids, desc) ?
						SLUICE_IDENTITY_F_CLUSTER : 0))
			pr_err("identity %u: cannot write its description: %s", f->m.ids[i].id,
			       strerror(errno));
	}
}

static void write_policy_ids(struct policies *p, struct flush *f)
{
	char key[KEY_LEN];
	size_t i;

	id_allocator_begin(&p->policy_ids);
	for (i = 0; i < f->m.n_policies; i++) {
		const struct netpol *np = &f->m.policies[i];
		__u32 id;

		snprintf(key, sizeof(key), "%s/%s", np->ns, np->name);
		id = id_allocator_get(&p->policy_ids, key);
		f->policy_ids[i] = id ? id : SLUICE_POLICY_ID_NONE;
		if (id && pol_writer_policy_meta(&p->writer, id, np->ns, np->name))
			pr_err("policy %s: cannot write its name: %s", key, strerror(errno));
	}
}

/* Each local pod's tables; endpoints that are no pod are open. */
static int write_tables(struct policies *p, struct flush *f)
{
	struct sluice_endpoint_key *keep = calloc(f->n_eps + 1, sizeof(*keep));
	size_t i;
	int err = 0;

	if (!keep)
		return -ENOMEM;
	p->stats.enforced = 0;
	for (i = 0; i < f->n_eps; i++) {
		const struct sluice_endpoint_key *key = &f->eps[i].key;
		struct pol_result r = { 0 };
		int ret = 0;

		keep[i] = *key;
		if (f->ep_pod[i] != NO_POD)
			ret = pol_compute(&f->m, f->ep_pod[i], &r);
		if (ret) {
			/* Its tables stay as they were: failing never opens a pod. */
			pr_err("pod %s/%s: cannot compute its policy: %s", f->eps[i].meta.pod_namespace,
			       f->eps[i].meta.pod_name, strerror(-ret));
			err = err ? err : ret;
			continue;
		}
		ret = pol_writer_endpoint(&p->writer, key, SLUICE_DIR_INGRESS, r.ingress, &r.in,
					  f->policy_ids);
		if (!ret)
			ret = pol_writer_endpoint(&p->writer, key, SLUICE_DIR_EGRESS, r.egress,
						  &r.out, f->policy_ids);
		p->stats.enforced += r.ingress + r.egress;
		pol_result_free(&r);
		err = err ? err : ret;
	}
	qsort(keep, f->n_eps, sizeof(*keep), pol_endpoint_key_cmp);
	pol_writer_endpoints_prune(&p->writer, keep, f->n_eps);
	free(keep);
	return err;
}

/* Which of two entries for one prefix wins: pods, then the node, then policy CIDRs. */
enum ip_rank { RANK_POD, RANK_HOST, RANK_CIDR };

struct ranked_ip {
	struct pol_ip ip;
	enum ip_rank rank;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked_ip *x = a, *y = b;

	if (x->ip.prefixlen != y->ip.prefixlen)
		return x->ip.prefixlen < y->ip.prefixlen ? -1 : 1;
	if (x->ip.addr != y->ip.addr)
		return memcmp(&x->ip.addr, &y->ip.addr, sizeof(x->ip.addr));
	return (int)x->rank - (int)y->rank;
}

static int write_ipcache(struct policies *p, struct flush *f)
{
	size_t cap = f->m.n_pods + f->m.n_ids + p->n_host + 1, n = 0, i, j;
	struct ranked_ip *r = calloc(cap, sizeof(*r));
	struct pol_ip *ips = calloc(cap, sizeof(*ips));
	int err = -ENOMEM;

	if (!r || !ips)
		goto out;
	for (i = 0; i < f->m.n_pods; i++)
		if (f->m.pods[i].ip.s_addr)
			r[n++] = (struct ranked_ip){ { IPV4_BITS, f->m.pods[i].ip.s_addr,
						       f->m.pods[i].identity }, RANK_POD };
	for (i = 0; i < p->n_host; i++)
		r[n++] = (struct ranked_ip){ { IPV4_BITS, p->host_addrs[i].s_addr, IDENTITY_HOST },
					     RANK_HOST };
	for (i = 0; i < f->m.n_ids; i++) {
		const struct pol_identity *id = &f->m.ids[i];

		if (id->kind == POL_ID_CIDR)
			r[n++] = (struct ranked_ip){ { id->prefix.prefix, id->prefix.addr.s_addr,
						       id->id }, RANK_CIDR };
	}
	qsort(r, n, sizeof(*r), ranked_cmp);
	for (i = 0, j = 0; i < n; i++)
		if (!j || ips[j - 1].prefixlen != r[i].ip.prefixlen || ips[j - 1].addr != r[i].ip.addr)
			ips[j++] = r[i].ip;
	err = pol_writer_ipcache(&p->writer, ips, j);
out:
	free(r);
	free(ips);
	return err;
}

static void identity_gone(uint32_t id, void *ctx)
{
	pol_writer_identity_gone(ctx, id);
}

static void policy_id_gone(uint32_t id, void *ctx)
{
	pol_writer_policy_meta_gone(ctx, id);
}

int policies_flush(struct policies *p)
{
	struct flush f = { 0 };
	unsigned long swaps = p->writer.stats.policy_swaps;
	int err, ret;

	if (!p->dirty)
		return 0;
	p->dirty = false;
	p->stats.flushes++;
	err = endpoint_list(&p->eps, &f.eps, &f.n_eps);
	if (!err)
		err = model_build(p, &f);
	if (err)
		goto out;
	id_allocator_begin(&p->ids);
	err = pol_assign_identities(&f.m, &p->ids);
	if (err) {
		/* Nothing is written: the maps keep the last policy that could be computed. */
		pr_err("policy: cannot assign identities: %s", strerror(-err));
		goto out;
	}
	/* Which numbers a VNI may carry: on failure none is trusted this pass. */
	if (id_allocator_mark_shared(&p->ids))
		pr_warn("policy: cannot check identity homes; no VNI identity is trusted");
	write_identities(p, &f);
	write_policy_ids(p, &f);
	/* Tables before addresses: a peer's new identity is allowed before it has it. */
	err = write_tables(p, &f);
	ret = write_ipcache(p, &f);
	err = err ? err : ret;
	/* What could not be written is tried again at the next flush. */
	if (err)
		policies_mark_dirty(p);
	id_allocator_sweep(&p->ids, identity_gone, &p->writer);
	id_allocator_sweep(&p->policy_ids, policy_id_gone, &p->writer);
	p->stats.identities = f.m.n_ids;
	p->stats.policies = f.m.n_policies;
	p->stats.apply_ms = (monotonic_s() - p->dirty_since) * MS_PER_S;
	if (p->writer.stats.policy_swaps != swaps)
		pr_info("policy: %zu policies, %zu identities, %zu endpoint directions isolated; "
			"in force %.1f ms after the change arrived", f.m.n_policies, f.m.n_ids,
			p->stats.enforced, p->stats.apply_ms);
out:
	if (err)
		pr_err("policy: reconcile failed: %s", strerror(-err));
	flush_free(&f);
	return err;
}

/* Reads back the identities and policy ids a previous agent left, so they stay. */
static void restore(struct policies *p)
{
	struct sluice_identity_meta desc;
	struct sluice_policy_meta meta;
	char key[KEY_LEN];
	__u32 id, next, *prev = NULL;

	while (!bpf_map_get_next_key(p->writer.maps.identity_fd, prev, &next)) {
		id = next;
		prev = &id;
		if (!bpf_map_lookup_elem(p->writer.maps.identity_fd, &id, &desc) &&
		    id_allocator_restore(&p->ids, desc.desc, id))
			pr_warn("identity %u: cannot take it back; it will be replaced", id);
	}
	prev = NULL;
	while (!bpf_map_get_next_key(p->writer.maps.meta_fd, prev, &next)) {
		id = next;
		prev = &id;
		if (bpf_map_lookup_elem(p->writer.maps.meta_fd, &id, &meta))
			continue;
		snprintf(key, sizeof(key), "%s/%s", meta.namespace, meta.name);
		id_allocator_restore(&p->policy_ids, key, id);
	}
}

int policies_open(struct policies *p, const struct sluice_pins *pins)
{
	int err;

	memset(p, 0, sizeof(*p));
	err = pol_writer_open_pins(&p->writer, pins);
	if (err)
		return err;
	err = endpoint_maps_open(pins, &p->eps);
	if (err) {
		pol_writer_close(&p->writer);
		return err;
	}
	id_allocator_init(&p->ids, SLUICE_IPCACHE_MAX);
	id_allocator_init(&p->policy_ids, IDENTITY_FIRST + SLUICE_POLICY_META_MAX);
	restore(p);
	policies_mark_dirty(p);
	return 0;
}

void policies_close(struct policies *p)
{
	policy_caches_free(p);
	id_allocator_free(&p->ids);
	id_allocator_free(&p->policy_ids);
	free(p->host_addrs);
	p->host_addrs = NULL;
	endpoint_maps_close(&p->eps);
	pol_writer_close(&p->writer);
}
