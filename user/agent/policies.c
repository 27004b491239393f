// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agent/policies.h"
#include "k8s/fields.h"
#include "lib/field.h"
#include "lib/log.h"
#include "policy/compute.h"
#include "policy/netpol.h"
#include "policy/objects.h"

/* "namespace/name". */
#define KEY_LEN (SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN)
/* The label the API server gives every namespace; policies select namespaces by it. */
#define NS_NAME_LABEL "kubernetes.io/metadata.name"
/* Bits of an IPv4 address: a single address in the ipcache. */
#define IPV4_BITS 32
#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000.0

/* Every cached entry starts with its key. */
struct pod_entry {
	char key[KEY_LEN];
	struct pol_pod pod;
};

struct ns_entry {
	char key[KEY_LEN];
	struct pol_namespace ns;
};

struct np_entry {
	char key[KEY_LEN];
	struct netpol np;
};

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NS_PER_S + (__u64)ts.tv_nsec;
}

/* The first change since the last flush starts the clock of how long applying took. */
static void mark_dirty(struct policies *p)
{
	if (!p->dirty)
		p->dirty_since_ns = monotonic_ns();
	p->dirty = true;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void pod_entry_free(void *e)
{
	pol_pod_free(&((struct pod_entry *)e)->pod);
	free(e);
}

static void ns_entry_free(void *e)
{
	pol_namespace_free(&((struct ns_entry *)e)->ns);
	free(e);
}

static void np_entry_free(void *e)
{
	netpol_free(&((struct np_entry *)e)->np);
	free(e);
}

/* Replaces the entry with e's key by e. */
static void cache_put(void **tree, void *e, void (*entry_free)(void *))
{
	void **hit = tfind(e, tree, entry_cmp);

	if (hit) {
		void *old = *hit;

		tdelete(old, tree, entry_cmp);
		entry_free(old);
	}
	if (!tsearch(e, tree, entry_cmp))
		entry_free(e);
}

/*
 * A refused object leaves the last valid version in force: a bad edit to a
 * policy neither opens what it closed nor closes what it opened.
 */
static void refused(struct policies *p, enum k8s_kind kind, const char *ns, const char *name,
		    const char *why)
{
	pr_warn("%s %s%s%s skipped: %s", k8s_kind_name(kind), ns, *ns ? "/" : "",
		*name ? name : "?", why);
	p->stats.invalid++;
}

static void pod_update(struct policies *p, const cJSON *obj)
{
	struct pod_entry *e = calloc(1, sizeof(*e));
	char why[K8S_WHY_LEN];

	if (!e)
		return;
	if (pol_pod_parse(obj, &e->pod, why, sizeof(why))) {
		refused(p, K8S_KIND_POD, e->pod.ns, e->pod.name, why);
		free(e);
		return;
	}
	snprintf(e->key, sizeof(e->key), "%s/%s", e->pod.ns, e->pod.name);
	cache_put(&p->pods, e, pod_entry_free);
	mark_dirty(p);
}

static void ns_update(struct policies *p, const cJSON *obj)
{
	struct ns_entry *e = calloc(1, sizeof(*e));
	char why[K8S_WHY_LEN] = "";

	if (!e)
		return;
	if (pol_namespace_parse(obj, &e->ns, why, sizeof(why)) ||
	    labels_set(&e->ns.labels, NS_NAME_LABEL, e->ns.name)) {
		refused(p, K8S_KIND_NAMESPACE, "", e->ns.name, why[0] ? why : "out of memory");
		ns_entry_free(e);
		return;
	}
	copy_field(e->key, sizeof(e->key), e->ns.name);
	cache_put(&p->nss, e, ns_entry_free);
	mark_dirty(p);
}

static void np_update(struct policies *p, const cJSON *obj)
{
	struct np_entry *e = calloc(1, sizeof(*e));
	char why[K8S_WHY_LEN];

	if (!e)
		return;
	if (netpol_parse(obj, &e->np, why, sizeof(why))) {
		refused(p, K8S_KIND_NETWORKPOLICY, e->np.ns, e->np.name, why);
		np_entry_free(e);
		return;
	}
	snprintf(e->key, sizeof(e->key), "%s/%s", e->np.ns, e->np.name);
	cache_put(&p->nps, e, np_entry_free);
	mark_dirty(p);
}

/* A delete needs only the name: an object is removed even if its last version was refused. */
static void cache_delete(struct policies *p, enum k8s_kind kind, const cJSON *obj)
{
	char ns[SLUICE_K8S_NAMESPACE_LEN], name[SLUICE_K8S_NAME_LEN], why[K8S_WHY_LEN] = "";
	char key[KEY_LEN];
	void **tree = kind == K8S_KIND_POD ? &p->pods : kind == K8S_KIND_NAMESPACE ? &p->nss :
										   &p->nps;
	void (*entry_free)(void *) = kind == K8S_KIND_POD ? pod_entry_free :
				     kind == K8S_KIND_NAMESPACE ? ns_entry_free : np_entry_free;
	void **hit, *old;

	if (!k8s_meta(obj, ns, sizeof(ns), name, sizeof(name), why, sizeof(why))) {
		refused(p, kind, "", "", why);
		return;
	}
	if (kind == K8S_KIND_NAMESPACE)
		copy_field(key, sizeof(key), name);
	else
		snprintf(key, sizeof(key), "%s/%s", ns, name);
	hit = tfind(key, tree, entry_cmp);
	if (!hit)
		return;
	old = *hit;
	tdelete(old, tree, entry_cmp);
	entry_free(old);
	mark_dirty(p);
}

void policies_event(struct policies *p, enum k8s_event_type type, enum k8s_kind kind,
		    const cJSON *obj)
{
	if (kind != K8S_KIND_POD && kind != K8S_KIND_NAMESPACE && kind != K8S_KIND_NETWORKPOLICY)
		return;
	if (type == K8S_EVENT_DELETED)
		cache_delete(p, kind, obj);
	else if (kind == K8S_KIND_POD)
		pod_update(p, obj);
	else if (kind == K8S_KIND_NAMESPACE)
		ns_update(p, obj);
	else
		np_update(p, obj);
}

void policies_set_host_addrs(struct policies *p, const struct in_addr *addrs, size_t n)
{
	struct in_addr *copy = calloc(n + 1, sizeof(*copy));

	if (!copy)
		return;
	memcpy(copy, addrs, n * sizeof(*copy));
	free(p->host_addrs);
	p->host_addrs = copy;
	p->n_host = n;
	mark_dirty(p);
}

void policies_touch(struct policies *p)
{
	mark_dirty(p);
}

/* A tree's entries, in key order. */
struct entries {
	void **v;
	size_t n, cap;
};

static void collect_visit(const void *node, VISIT which, void *arg)
{
	struct entries *es = arg;

	if ((which == postorder || which == leaf) && es->n < es->cap)
		es->v[es->n++] = *(void *const *)node;
}

static void count_visit(const void *node, VISIT which, void *arg)
{
	(void)node;
	if (which == postorder || which == leaf)
		(*(size_t *)arg)++;
}

static int collect(void *tree, struct entries *es)
{
	memset(es, 0, sizeof(*es));
	twalk_r(tree, count_visit, &es->cap);
	es->v = calloc(es->cap + 1, sizeof(*es->v));
	if (!es->v)
		return -ENOMEM;
	twalk_r(tree, collect_visit, es);
	return 0;
}

static int key_ptr_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

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
		hit = bsearch(key, f->pods.v, f->pods.n, sizeof(*f->pods.v), key_ptr_cmp);
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
		bool known = bsearch(ns, f->nss.v, f->nss.n, sizeof(*f->nss.v), key_ptr_cmp);

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

	err = collect(p->pods, &f->pods);
	if (!err)
		err = collect(p->nss, &f->nss);
	if (!err)
		err = collect(p->nps, &f->nps);
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
		mark_dirty(p);
	id_allocator_sweep(&p->ids, identity_gone, &p->writer);
	id_allocator_sweep(&p->policy_ids, policy_id_gone, &p->writer);
	p->stats.identities = f.m.n_ids;
	p->stats.policies = f.m.n_policies;
	p->stats.apply_ms = (double)(monotonic_ns() - p->dirty_since_ns) / NS_PER_MS;
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
	mark_dirty(p);
	return 0;
}

void policies_close(struct policies *p)
{
	tdestroy(p->pods, pod_entry_free);
	tdestroy(p->nss, ns_entry_free);
	tdestroy(p->nps, np_entry_free);
	p->pods = p->nss = p->nps = NULL;
	id_allocator_free(&p->ids);
	id_allocator_free(&p->policy_ids);
	free(p->host_addrs);
	p->host_addrs = NULL;
	endpoint_maps_close(&p->eps);
	pol_writer_close(&p->writer);
}

/* A read-only view for metrics. */

size_t policies_count(const struct policies *p, enum k8s_kind kind)
{
	size_t n = 0;

	if (kind == K8S_KIND_POD)
		twalk_r(p->pods, count_visit, &n);
	else if (kind == K8S_KIND_NAMESPACE)
		twalk_r(p->nss, count_visit, &n);
	else if (kind == K8S_KIND_NETWORKPOLICY)
		twalk_r(p->nps, count_visit, &n);
	return n;
}
