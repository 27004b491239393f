// SPDX-License-Identifier: Apache-2.0
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/api_cache.h"
#include "lib/log.h"

struct api_entry {
	char *key;		/* first: the tree compares entries by it */
	cJSON *obj;
	const char *rv;		/* in obj */
	unsigned int gen;	/* of the last list that held it */
};

static const char *const event_names[] = {
	[K8S_EVENT_ADDED] = "ADDED",
	[K8S_EVENT_MODIFIED] = "MODIFIED",
	[K8S_EVENT_DELETED] = "DELETED",
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct api_entry *)a)->key, ((const struct api_entry *)b)->key);
}

static void entry_free(void *p)
{
	struct api_entry *e = p;

	free(e->key);
	cJSON_Delete(e->obj);
	free(e);
}

void api_cache_init(struct api_cache *c, enum k8s_kind kind, api_emit_fn emit, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->emit = emit;
	c->ctx = ctx;
}

void api_cache_free(struct api_cache *c)
{
	tdestroy(c->tree, entry_free);
	c->tree = NULL;
	c->n = 0;
}

static bool cluster_scoped(enum k8s_kind kind)
{
	return kind == K8S_KIND_NODE || kind == K8S_KIND_NAMESPACE;
}

static const char *meta_str(const cJSON *meta, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, field);

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

/* Sets a string field to the kind's own, or checks the one there. */
static bool own_field(cJSON *obj, const char *field, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	if (!v || cJSON_IsNull(v)) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, field);
		return cJSON_AddStringToObject(obj, field, want);
	}
	return cJSON_IsString(v) && !strcmp(v->valuestring, want);
}

/* Checks and normalises obj (see api_cache.h); its key into key (malloc'd). */
static int check(const struct api_cache *c, cJSON *obj, char **key, const char **rv,
		 char *why, size_t len)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *name = meta_str(meta, "name"), *ns = meta_str(meta, "namespace");
	const char *kind = k8s_kind_name(c->kind);

	*rv = meta_str(meta, "resourceVersion");
	if (!cJSON_IsObject(obj) || !cJSON_IsObject(meta)) {
		snprintf(why, len, "a %s without metadata", kind);
		return -1;
	}
	if (!name || !*rv || (!ns && !cluster_scoped(c->kind))) {
		snprintf(why, len, "%s %s%s%s without metadata.%s", kind, ns ? ns : "",
			 ns ? "/" : "", name ? name : "(no name)",
			 !name ? "name" : !*rv ? "resourceVersion" : "namespace");
		return -1;
	}
	if (!own_field(obj, "kind", kind) ||
	    !own_field(obj, "apiVersion", k8s_kind_api_version(c->kind))) {
		snprintf(why, len, "%s %s%s%s: kind or apiVersion is not %s %s", kind,
			 ns ? ns : "", ns ? "/" : "", name, k8s_kind_api_version(c->kind), kind);
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
	if (cluster_scoped(c->kind) || !ns)
		*key = strdup(name);
	else if (asprintf(key, "%s/%s", ns, name) < 0)
		*key = NULL;
	if (!*key) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	return 0;
}

/* Sends a copy of obj: the cache keeps its own. */
static bool emit_copy(const struct api_cache *c, enum k8s_event_type type, const char *key,
		      const char *rv, const cJSON *obj)
{
	cJSON *copy = cJSON_Duplicate(obj, true);

	if (!copy) {
		pr_err("%s %s: out of memory, %s not delivered", k8s_kind_name(c->kind), key,
		       event_names[type]);
		return false;
	}
	pr_debug("%s %s: %s at resourceVersion %s", k8s_kind_name(c->kind), key,
		 event_names[type], rv);
	c->emit(c->ctx, type, c->kind, copy);
	return true;
}

/*
 * Holds obj under key (both taken), telling the sink when it is new or
 * changed. The held version stays if the sink could not be told.
 */
static void upsert(struct api_cache *c, char *key, cJSON *obj, const char *rv)
{
	struct api_entry probe = { .key = key }, **hit, *e;

	hit = tfind(&probe, &c->tree, entry_cmp);
	if (hit && !strcmp((*hit)->rv, rv)) {
		(*hit)->gen = c->gen;
		goto drop;
	}
	if (hit) {
		if (!emit_copy(c, K8S_EVENT_MODIFIED, key, rv, obj))
			goto drop;
		cJSON_Delete((*hit)->obj);
		(*hit)->obj = obj;
		(*hit)->rv = rv;
		(*hit)->gen = c->gen;
		free(key);
		return;
	}
	e = malloc(sizeof(*e));
	if (e)
		*e = (struct api_entry){ .key = key, .obj = obj, .rv = rv, .gen = c->gen };
	if (!e || !tsearch(e, &c->tree, entry_cmp)) {
		pr_err("%s %s: out of memory, not held", k8s_kind_name(c->kind), key);
		free(e);
		goto drop;
	}
	c->n++;
	if (!emit_copy(c, K8S_EVENT_ADDED, key, rv, obj)) {
		tdelete(e, &c->tree, entry_cmp);
		entry_free(e);
		c->n--;
	}
	return;
drop:
	free(key);
	cJSON_Delete(obj);
}

/* Forgets key and tells the sink, with obj (taken) as the object's last state. */
static void forget(struct api_cache *c, struct api_entry *e, cJSON *obj)
{
	pr_debug("%s %s: DELETED", k8s_kind_name(c->kind), e->key);
	tdelete(e, &c->tree, entry_cmp);
	c->n--;
	if (obj == e->obj)
		e->obj = NULL;
	entry_free(e);
	c->emit(c->ctx, K8S_EVENT_DELETED, c->kind, obj);
}

void api_cache_list_begin(struct api_cache *c)
{
	c->gen++;
}

int api_cache_list_item(struct api_cache *c, cJSON *obj, char *why, size_t len)
{
	const char *rv;
	char *key;

	if (check(c, obj, &key, &rv, why, len)) {
		cJSON_Delete(obj);
		return -1;
	}
	upsert(c, key, obj, rv);
	return 0;
}

struct stale {
	unsigned int gen;
	struct api_entry **v;
	size_t n, cap;
};

static void stale_visit(const void *node, VISIT which, void *arg)
{
	struct api_entry *e = *(struct api_entry *const *)node;
	struct stale *s = arg;

	if ((which == postorder || which == leaf) && e->gen != s->gen && s->n < s->cap)
		s->v[s->n++] = e;
}

void api_cache_list_end(struct api_cache *c)
{
	struct stale s = { .gen = c->gen, .cap = c->n };
	size_t i;

	/* Deleting while walking would rebalance the tree under the walk: collect first. */
	s.v = calloc(s.cap ? s.cap : 1, sizeof(*s.v));
	if (!s.v) {
		pr_err("%s: out of memory; deletions wait for the next list",
		       k8s_kind_name(c->kind));
		return;
	}
	twalk_r(c->tree, stale_visit, &s);
	for (i = 0; i < s.n; i++)
		forget(c, s.v[i], s.v[i]->obj);
	free(s.v);
}

int api_cache_watch(struct api_cache *c, enum k8s_event_type type, cJSON *obj, char *why,
		    size_t len)
{
	struct api_entry probe, **hit;
	const char *rv;
	char *key;

	if (check(c, obj, &key, &rv, why, len)) {
		cJSON_Delete(obj);
		return -1;
	}
	if (type != K8S_EVENT_DELETED) {
		/* A watch event is as current as any list: the mark keeps it from a sweep. */
		upsert(c, key, obj, rv);
		return 0;
	}
	probe.key = key;
	hit = tfind(&probe, &c->tree, entry_cmp);
	free(key);
	if (hit)
		forget(c, *hit, obj);
	else
		cJSON_Delete(obj);
	return 0;
}
