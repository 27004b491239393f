// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/services.h"
#include "k8s/fields.h"
#include "k8s/service.h"
#include "lib/field.h"
#include "lib/hash_table.h"
#include "lib/log.h"

/* "namespace/name". */
#define KEY_LEN (SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN)

/* Every entry is found by its "ns/name" key. */
struct svc_entry {
	char key[KEY_LEN];
	struct k8s_service svc;
	UT_hash_handle hh;
};

struct slice_entry {
	char key[KEY_LEN];
	struct k8s_endpointslice es;
	UT_hash_handle hh;
};

/* The slices of one service ("ns/service"), so a reconcile never walks them all. */
struct slice_index {
	char key[KEY_LEN];
	struct slice_entry **v;
	size_t n, cap;
	UT_hash_handle hh;
};

/* Kept in the order services first became dirty: a flush reconciles them in that order. */
struct dirty_entry {
	char key[KEY_LEN];
	char ns[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
	UT_hash_handle hh;
};

/* An entry's key: dirty entries are looked up among the others by it, so one format for all. */
static void entry_key(char key[KEY_LEN], const char *ns, const char *name)
{
	snprintf(key, KEY_LEN, "%s/%s", ns, name);
}

static void mark_dirty(struct services *s, const char *ns, const char *name)
{
	char key[KEY_LEN];
	struct dirty_entry *d;

	entry_key(key, ns, name);
	HASH_FIND_STR(s->dirty, key, d);
	if (d)
		return;
	d = calloc(1, sizeof(*d));
	if (!d)
		return;
	memcpy(d->key, key, sizeof(key));
	copy_field(d->ns, sizeof(d->ns), ns);
	copy_field(d->name, sizeof(d->name), name);
	HASH_ADD_STR(s->dirty, key, d);
	if (!hash_added(d))
		free(d);
}

static void svc_entry_free(struct svc_entry *e)
{
	k8s_service_free(&e->svc);
	free(e);
}

static void slice_entry_free(struct slice_entry *e)
{
	k8s_endpointslice_free(&e->es);
	free(e);
}

static void index_free(struct slice_index *ix)
{
	free(ix->v);
	free(ix);
}

static void index_add(struct services *s, struct slice_entry *e)
{
	char key[KEY_LEN];
	struct slice_index *ix;

	entry_key(key, e->es.ns, e->es.service);
	HASH_FIND_STR(s->by_service, key, ix);
	if (!ix) {
		ix = calloc(1, sizeof(*ix));
		if (!ix)
			return;
		memcpy(ix->key, key, sizeof(key));
		HASH_ADD_STR(s->by_service, key, ix);
		if (!hash_added(ix)) {
			free(ix);
			return;
		}
	}
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
	char key[KEY_LEN];
	struct slice_index *ix;
	size_t i;

	entry_key(key, e->es.ns, e->es.service);
	HASH_FIND_STR(s->by_service, key, ix);
	if (!ix)
		return;
	for (i = 0; i < ix->n; i++) {
		if (ix->v[i] == e) {
			ix->v[i] = ix->v[--ix->n];
			break;
		}
	}
	if (!ix->n) {
		HASH_DEL(s->by_service, ix);
		index_free(ix);
	}
}

static const char *event_name(enum k8s_event_type type)
{
	return type == K8S_EVENT_DELETED ? "delete" : "update";
}

static void service_event(struct services *s, enum k8s_event_type type, const cJSON *obj)
{
	struct svc_entry *e = calloc(1, sizeof(*e)), *old;
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
	entry_key(e->key, e->svc.ns, e->svc.name);
	mark_dirty(s, e->svc.ns, e->svc.name);
	HASH_FIND_STR(s->svcs, e->key, old);
	if (old) {
		HASH_DEL(s->svcs, old);
		svc_entry_free(old);
	}
	if (type == K8S_EVENT_DELETED) {
		svc_entry_free(e);
		return;
	}
	HASH_ADD_STR(s->svcs, key, e);
	if (!hash_added(e))
		svc_entry_free(e);
}

static void slice_event(struct services *s, enum k8s_event_type type, const cJSON *obj)
{
	struct slice_entry *e = calloc(1, sizeof(*e)), *old;
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
	entry_key(e->key, e->es.ns, e->es.name);
	HASH_FIND_STR(s->slices, e->key, old);
	if (old) {
		/* The slice may have moved to another service: both change. */
		if (old->es.service[0])
			mark_dirty(s, old->es.ns, old->es.service);
		index_del(s, old);
		HASH_DEL(s->slices, old);
		slice_entry_free(old);
	}
	if (e->es.service[0])
		mark_dirty(s, e->es.ns, e->es.service);
	if (type == K8S_EVENT_DELETED) {
		slice_entry_free(e);
		return;
	}
	HASH_ADD_STR(s->slices, key, e);
	if (!hash_added(e)) {
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

void services_set_node_addrs(struct services *s, const struct in_addr *addrs, size_t n)
{
	struct svc_entry *e;
	struct in_addr *copy = calloc(n ? n : 1, sizeof(*copy));

	if (!copy)
		return;
	memcpy(copy, addrs, n * sizeof(*copy));
	free(s->node_addrs);
	s->node_addrs = copy;
	s->node.addrs = copy;
	s->node.n_addrs = n;
	for (e = s->svcs; e; e = e->hh.next)
		mark_dirty(s, e->svc.ns, e->svc.name);
}

static int reconcile(struct services *s, const struct dirty_entry *d)
{
	struct k8s_endpointslice *slices = NULL;
	struct lb_frontends fe;
	struct slice_index *ix;
	struct svc_entry *e;
	size_t i, n = 0;
	int err;

	HASH_FIND_STR(s->svcs, d->key, e);
	if (!e)
		return lb_writer_remove(&s->writer, d->ns, d->name);
	HASH_FIND_STR(s->by_service, d->key, ix);
	if (ix) {
		/* Shallow copies: the entries own the arrays and outlive the reconcile. */
		slices = calloc(ix->n, sizeof(*slices));
		if (!slices)
			return -ENOMEM;
		for (i = 0; i < ix->n; i++)
			slices[n++] = ix->v[i]->es;
	}
	err = lb_frontends_build(&e->svc, slices, n, &s->node, &fe);
	free(slices);
	if (err)
		return err;
	err = lb_writer_sync(&s->writer, d->ns, d->name, &fe);
	lb_frontends_free(&fe);
	return err;
}

int services_flush(struct services *s)
{
	struct dirty_entry *dirty = s->dirty, *d, *next;
	int err = 0, ret;

	if (!dirty)
		return 0;
	/* The flush owns the list now: it is taken apart as it goes. */
	s->dirty = NULL;
	HASH_ITER(hh, dirty, d, next) {
		ret = reconcile(s, d);
		if (ret) {
			pr_err("service %s: reconcile failed: %s", d->key, strerror(-ret));
			if (!err)
				err = ret;
		}
		HASH_DEL(dirty, d);
		free(d);
	}
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
	hash_free_all(s->svcs, svc_entry_free);
	hash_free_all(s->by_service, index_free);
	hash_free_all(s->slices, slice_entry_free);
	hash_free_all(s->dirty, free);
	free(s->node_addrs);
	s->node_addrs = NULL;
	lb_writer_close(&s->writer);
}

/* Read-only views for metrics. */

size_t services_count(const struct services *s, enum k8s_kind kind)
{
	if (kind == K8S_KIND_SERVICE)
		return HASH_COUNT(s->svcs);
	if (kind == K8S_KIND_ENDPOINTSLICE)
		return HASH_COUNT(s->slices);
	return 0;
}

bool services_pending(const struct services *s)
{
	return s->dirty != NULL;
}
