// SPDX-License-Identifier: Apache-2.0
/*
 * The policy reconciler's caches: the last valid Pod, Namespace and
 * NetworkPolicy of each name, kept from the sources' events for the next
 * flush (policies.c).
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/policy_cache.h"
#include "k8s/fields.h"
#include "lib/clock.h"
#include "lib/field.h"
#include "lib/log.h"

void policies_mark_dirty(struct policies *p)
{
	if (!p->dirty)
		p->dirty_since = monotonic_s();
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
	policies_mark_dirty(p);
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
	policies_mark_dirty(p);
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
	policies_mark_dirty(p);
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
	policies_mark_dirty(p);
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
	policies_mark_dirty(p);
}

void policies_touch(struct policies *p)
{
	policies_mark_dirty(p);
}

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

int policy_cache_collect(void *tree, struct entries *es)
{
	memset(es, 0, sizeof(*es));
	twalk_r(tree, count_visit, &es->cap);
	es->v = calloc(es->cap + 1, sizeof(*es->v));
	if (!es->v)
		return -ENOMEM;
	twalk_r(tree, collect_visit, es);
	return 0;
}

int policy_cache_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

void policy_caches_free(struct policies *p)
{
	tdestroy(p->pods, pod_entry_free);
	tdestroy(p->nss, ns_entry_free);
	tdestroy(p->nps, np_entry_free);
	p->pods = p->nss = p->nps = NULL;
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
