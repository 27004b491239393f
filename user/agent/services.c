// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/services.h"
#include "k8s/fields.h"
#include "k8s/service.h"
#include "lib/field.h"
#include "lib/log.h"

/* "namespace/name". */
#define KEY_LEN (SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN)

struct svc_entry {
	char key[KEY_LEN];
	struct k8s_service svc;
};

struct slice_entry {
	char key[KEY_LEN];
	struct k8s_endpointslice es;
};

/* The slices of one service ("ns/service"), so a reconcile never walks them all. */
struct slice_index {
	char key[KEY_LEN];
	struct slice_entry **v;
	size_t n, cap;
};

struct dirty_entry {
	char key[KEY_LEN];
	char ns[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
};

/* Every entry type starts with its key. */
static int entry_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void mark_dirty(struct services *s, const char *ns, const char *name)
{
	struct dirty_entry *d = calloc(1, sizeof(*d)), **hit;

	if (!d)
		return;
	snprintf(d->key, sizeof(d->key), "%s/%s", ns, name);
	copy_field(d->ns, sizeof(d->ns), ns);
	copy_field(d->name, sizeof(d->name), name);
	hit = tsearch(d, &s->dirty, entry_cmp);
	if (!hit || *hit != d)
		free(d);
}

static void svc_entry_free(void *p)
{
	struct svc_entry *e = p;

	k8s_service_free(&e->svc);
	free(e);
}

static void slice_entry_free(void *p)
{
	struct slice_entry *e = p;

	k8s_endpointslice_free(&e->es);
	free(e);
}

static void index_free(void *p)
{
	struct slice_index *ix = p;

	free(ix->v);
	free(ix);
}

static void index_add(struct services *s, struct slice_entry *e)
{
	struct slice_index *ix = calloc(1, sizeof(*ix)), **hit;

	if (!ix)
		return;
	snprintf(ix->key, sizeof(ix->key), "%s/%s", e->es.ns, e->es.service);
	hit = tsearch(ix, &s->by_service, entry_cmp);
	if (!hit) {
		free(ix);
		return;
	}
	if (*hit != ix)
		free(ix);
	ix = *hit;
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 4;
		struct slice_entry **v = realloc(ix->v, cap * sizeof(*v));

		if (!v)
			return;
		ix->v = v;
		ix->cap = cap;
	}
	ix->v[ix->n++] = e;
}

static void index_del(struct services *s, struct slice_entry *e)
{
	struct slice_index probe, **hit;
	size_t i;

	snprintf(probe.key, sizeof(probe.key), "%s/%s", e->es.ns, e->es.service);
	hit = tfind(&probe, &s->by_service, entry_cmp);
	if (!hit)
		return;
	for (i = 0; i < (*hit)->n; i++) {
		if ((*hit)->v[i] == e) {
			(*hit)->v[i] = (*hit)->v[--(*hit)->n];
			break;
		}
	}
	if (!(*hit)->n) {
		struct slice_index *ix = *hit;

		tdelete(ix, &s->by_service, entry_cmp);
		index_free(ix);
	}
}

static const char *event_name(enum k8s_event_type type)
{
	return type == K8S_EVENT_DELETED ? "delete" : "update";
}

static void service_event(struct services *s, enum k8s_event_type type, const cJSON *obj)
{
	struct svc_entry *e = calloc(1, sizeof(*e)), **hit;
	char why[K8S_WHY_LEN];

	if (!e)
		return;
	if (k8s_service_parse(obj, &e->svc, why, sizeof(why))) {
		/* The last valid version stays programmed: a bad edit breaks nothing. */
		pr_warn("Service %s/%s skipped (%s): %s", e->svc.ns[0] ? e->svc.ns : "?",
			e->svc.name[0] ? e->svc.name : "?", event_name(type), why);
		s->invalid++;
		free(e);
		return;
	}
	snprintf(e->key, sizeof(e->key), "%s/%s", e->svc.ns, e->svc.name);
	mark_dirty(s, e->svc.ns, e->svc.name);
	hit = tfind(e, &s->svcs, entry_cmp);
	if (hit) {
		struct svc_entry *old = *hit;

		tdelete(old, &s->svcs, entry_cmp);
		svc_entry_free(old);
	}
	if (type == K8S_EVENT_DELETED || !tsearch(e, &s->svcs, entry_cmp))
		svc_entry_free(e);
}

static void slice_event(struct services *s, enum k8s_event_type type, const cJSON *obj)
{
	struct slice_entry *e = calloc(1, sizeof(*e)), **hit;
	char why[K8S_WHY_LEN];

	if (!e)
		return;
	if (k8s_endpointslice_parse(obj, &e->es, why, sizeof(why))) {
		pr_warn("EndpointSlice %s/%s skipped (%s): %s", e->es.ns[0] ? e->es.ns : "?",
			e->es.name[0] ? e->es.name : "?", event_name(type), why);
		s->invalid++;
		free(e);
		return;
	}
	snprintf(e->key, sizeof(e->key), "%s/%s", e->es.ns, e->es.name);
	hit = tfind(e, &s->slices, entry_cmp);
	if (hit) {
		struct slice_entry *old = *hit;

		/* The slice may have moved to another service: both change. */
		if (old->es.service[0])
			mark_dirty(s, old->es.ns, old->es.service);
		index_del(s, old);
		tdelete(old, &s->slices, entry_cmp);
		slice_entry_free(old);
	}
	if (e->es.service[0])
		mark_dirty(s, e->es.ns, e->es.service);
	if (type == K8S_EVENT_DELETED || !tsearch(e, &s->slices, entry_cmp)) {
		slice_entry_free(e);
		return;
	}
	index_add(s, e);
}

void services_event(struct services *s, enum k8s_event_type type, enum k8s_kind kind,
		    const cJSON *obj)
{
	if (kind == K8S_KIND_SERVICE)
		service_event(s, type, obj);
	else if (kind == K8S_KIND_ENDPOINTSLICE)
		slice_event(s, type, obj);
}

/* How many entries a tree holds. */
static void count_visit(const void *node, VISIT which, void *arg)
{
	(void)node;
	if (which == postorder || which == leaf)
		(*(size_t *)arg)++;
}

static void dirty_visit(const void *node, VISIT which, void *arg)
{
	const struct svc_entry *e = *(const struct svc_entry *const *)node;

	if (which == postorder || which == leaf)
		mark_dirty(arg, e->svc.ns, e->svc.name);
}

void services_set_node_addrs(struct services *s, const struct in_addr *addrs, size_t n)
{
	struct in_addr *copy = calloc(n ? n : 1, sizeof(*copy));

	if (!copy)
		return;
	memcpy(copy, addrs, n * sizeof(*copy));
	free(s->node_addrs);
	s->node_addrs = copy;
	s->node.addrs = copy;
	s->node.n_addrs = n;
	twalk_r(s->svcs, dirty_visit, s);
}

static int reconcile(struct services *s, const struct dirty_entry *d)
{
	struct svc_entry probe, **hit;
	struct slice_index **ix;
	struct k8s_endpointslice *slices = NULL;
	struct lb_frontends fe;
	size_t i, n = 0;
	int err;

	copy_field(probe.key, sizeof(probe.key), d->key);
	hit = tfind(&probe, &s->svcs, entry_cmp);
	if (!hit)
		return lb_writer_remove(&s->writer, d->ns, d->name);
	ix = tfind(&probe, &s->by_service, entry_cmp);
	if (ix) {
		/* Shallow copies: the entries own the arrays and outlive the reconcile. */
		slices = calloc((*ix)->n, sizeof(*slices));
		if (!slices)
			return -ENOMEM;
		for (i = 0; i < (*ix)->n; i++)
			slices[n++] = (*ix)->v[i]->es;
	}
	err = lb_frontends_build(&(*hit)->svc, slices, n, &s->node, &fe);
	free(slices);
	if (err)
		return err;
	err = lb_writer_sync(&s->writer, d->ns, d->name, &fe);
	lb_frontends_free(&fe);
	return err;
}

struct flush_ctx {
	struct dirty_entry **items;
	size_t n, cap;
};

static void flush_visit(const void *node, VISIT which, void *arg)
{
	struct flush_ctx *f = arg;

	if ((which != postorder && which != leaf) || f->n == f->cap)
		return;
	f->items[f->n++] = *(struct dirty_entry *const *)node;
}

static void keep_entry(void *p)
{
	(void)p;
}

int services_flush(struct services *s)
{
	struct flush_ctx f = { 0 };
	size_t i;
	int err = 0, ret;

	twalk_r(s->dirty, count_visit, &f.cap);
	if (!f.cap)
		return 0;
	f.items = calloc(f.cap, sizeof(*f.items));
	if (!f.items)
		return -ENOMEM;
	twalk_r(s->dirty, flush_visit, &f);
	/* The entries now belong to f.items: take the tree apart without freeing them. */
	tdestroy(s->dirty, keep_entry);
	s->dirty = NULL;
	for (i = 0; i < f.n; i++) {
		ret = reconcile(s, f.items[i]);
		if (ret) {
			pr_err("service %s: reconcile failed: %s", f.items[i]->key, strerror(-ret));
			if (!err)
				err = ret;
		}
		free(f.items[i]);
	}
	free(f.items);
	/* New frontends' tables enter sluice_maglev together: one grace period per flush. */
	ret = lb_writer_commit(&s->writer);
	return err ? err : ret;
}

int services_open(struct services *s, const struct sluice_pins *pins, __u32 maglev_size,
		  const char *node_name)
{
	memset(s, 0, sizeof(*s));
	s->node.name = node_name;
	return lb_writer_open_pins(&s->writer, pins, maglev_size);
}

void services_close(struct services *s)
{
	tdestroy(s->svcs, svc_entry_free);
	tdestroy(s->by_service, index_free);
	tdestroy(s->slices, slice_entry_free);
	tdestroy(s->dirty, free);
	s->svcs = s->slices = s->dirty = s->by_service = NULL;
	free(s->node_addrs);
	s->node_addrs = NULL;
	lb_writer_close(&s->writer);
}

/* Read-only views for metrics. */

size_t services_count(const struct services *s, enum k8s_kind kind)
{
	size_t n = 0;

	if (kind == K8S_KIND_SERVICE)
		twalk_r(s->svcs, count_visit, &n);
	else if (kind == K8S_KIND_ENDPOINTSLICE)
		twalk_r(s->slices, count_visit, &n);
	return n;
}

bool services_pending(const struct services *s)
{
	return s->dirty != NULL;
}
