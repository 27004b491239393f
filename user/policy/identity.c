// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/identity.h"

/* What a pod identity's canonical text starts with. */
#define POD_KEY_PREFIX "pod:"

struct id_entry {
	char *key;
	uint32_t id;
	bool used;
	bool shared;	/* its home is another known key's home too */
};

/* FNV-1a, 32 bits: part of the wire format, as nodes must agree on homes. */
#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_entry *)a)->key, ((const struct id_entry *)b)->key);
}

void id_allocator_init(struct id_allocator *a, uint32_t limit)
{
	a->by_key = NULL;
	a->next = IDENTITY_FIRST;
	a->limit = limit;
}

static void entry_free(void *p)
{
	struct id_entry *e = p;

	free(e->key);
	free(e);
}

void id_allocator_free(struct id_allocator *a)
{
	tdestroy(a->by_key, entry_free);
	a->by_key = NULL;
}

static void unmark(const void *node, VISIT which, void *arg)
{
	(void)arg;
	if (which == postorder || which == leaf)
		(*(struct id_entry *const *)node)->used = false;
}

void id_allocator_begin(struct id_allocator *a)
{
	twalk_r(a->by_key, unmark, NULL);
}

static struct id_entry *insert(struct id_allocator *a, const char *key, uint32_t id)
{
	struct id_entry *e = calloc(1, sizeof(*e)), **hit;

	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	e->id = id;
	hit = tsearch(e, &a->by_key, entry_cmp);
	if (!hit || *hit != e) {
		entry_free(e);
		return hit ? *hit : NULL;
	}
	return e;
}

uint32_t identity_home(const char *key)
{
	uint32_t h = FNV_OFFSET;

	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * FNV_PRIME;
	return SLUICE_IDENTITY_CLUSTER_FIRST +
	       h % (SLUICE_IDENTITY_CLUSTER_END - SLUICE_IDENTITY_CLUSTER_FIRST);
}

static bool is_home(const char *key, uint32_t id)
{
	return id >= SLUICE_IDENTITY_CLUSTER_FIRST && id == identity_home(key);
}

int id_allocator_restore(struct id_allocator *a, const char *key, uint32_t id)
{
	bool ok = is_home(key, id) || (id >= IDENTITY_FIRST && id < a->limit);

	if (!ok || !insert(a, key, id))
		return -EINVAL;
	if (id >= a->limit)
		return 0;
	if (id >= a->next)
		a->next = id + 1;
	return 0;
}

struct id_in_use {
	uint32_t id;
	bool found;
};

static void find_id(const void *node, VISIT which, void *arg)
{
	struct id_in_use *u = arg;

	if ((which == postorder || which == leaf) && (*(struct id_entry *const *)node)->id == u->id)
		u->found = true;
}

uint32_t id_allocator_get(struct id_allocator *a, const char *key)
{
	struct id_entry probe = { .key = (char *)key }, **hit, *e;
	uint32_t tries;

	hit = tfind(&probe, &a->by_key, entry_cmp);
	if (hit) {
		(*hit)->used = true;
		return (*hit)->id;
	}
	/* Fresh ids count up and wrap; an id still held is skipped. */
	for (tries = 0; tries < a->limit - IDENTITY_FIRST; tries++) {
		struct id_in_use u = { .id = a->next };

		if (a->next >= a->limit)
			a->next = u.id = IDENTITY_FIRST;
		a->next++;
		twalk_r(a->by_key, find_id, &u);
		if (u.found)
			continue;
		e = insert(a, key, u.id);
		if (!e)
			return 0;
		e->used = true;
		return e->id;
	}
	return 0;
}

static bool id_in_use(struct id_allocator *a, uint32_t id)
{
	struct id_in_use u = { .id = id };

	twalk_r(a->by_key, find_id, &u);
	return u.found;
}

uint32_t id_allocator_get_home(struct id_allocator *a, const char *key)
{
	struct id_entry probe = { .key = (char *)key }, **hit, *e;
	uint32_t home = identity_home(key);

	hit = tfind(&probe, &a->by_key, entry_cmp);
	if (hit || id_in_use(a, home))
		return id_allocator_get(a, key);
	e = insert(a, key, home);
	if (!e)
		return 0;
	e->used = true;
	return e->id;
}

struct homes {
	uint32_t *v;
	size_t n, cap;
};

static void collect_home(const void *node, VISIT which, void *arg)
{
	const struct id_entry *e = *(const struct id_entry *const *)node;
	struct homes *h = arg;

	if ((which == postorder || which == leaf) && e->key[0] && h->n < h->cap &&
	    !strncmp(e->key, POD_KEY_PREFIX, strlen(POD_KEY_PREFIX)))
		h->v[h->n++] = identity_home(e->key);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void count_entry(const void *node, VISIT which, void *arg)
{
	(void)node;
	if (which == postorder || which == leaf)
		(*(size_t *)arg)++;
}

static void mark_entry(const void *node, VISIT which, void *arg)
{
	struct id_entry *e = *(struct id_entry *const *)node;
	const struct homes *h = arg;
	uint32_t home;
	const uint32_t *first;

	if (which != postorder && which != leaf)
		return;
	home = identity_home(e->key);
	first = bsearch(&home, h->v, h->n, sizeof(*h->v), u32_cmp);
	/* bsearch finds one of the equal homes; shared when a neighbour matches too. */
	e->shared = first && ((first > h->v && first[-1] == home) ||
			      (first + 1 < h->v + h->n && first[1] == home));
}

int id_allocator_mark_shared(struct id_allocator *a)
{
	struct homes h = { 0 };

	twalk_r(a->by_key, count_entry, &h.cap);
	h.v = calloc(h.cap + 1, sizeof(*h.v));
	if (!h.v)
		return -ENOMEM;
	twalk_r(a->by_key, collect_home, &h);
	qsort(h.v, h.n, sizeof(*h.v), u32_cmp);
	twalk_r(a->by_key, mark_entry, &h);
	free(h.v);
	return 0;
}

bool id_allocator_is_cluster(struct id_allocator *a, const char *key)
{
	struct id_entry probe = { .key = (char *)key }, **hit;

	hit = tfind(&probe, &a->by_key, entry_cmp);
	return hit && is_home(key, (*hit)->id) && !(*hit)->shared;
}

struct sweep_ctx {
	struct id_entry **dead;
	size_t n, cap;
};

static void collect_unused(const void *node, VISIT which, void *arg)
{
	struct id_entry *e = *(struct id_entry *const *)node;
	struct sweep_ctx *c = arg;

	if ((which != postorder && which != leaf) || e->used)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct id_entry **d = realloc(c->dead, cap * sizeof(*d));

		if (!d)
			return;
		c->dead = d;
		c->cap = cap;
	}
	c->dead[c->n++] = e;
}

void id_allocator_sweep(struct id_allocator *a, void (*fn)(uint32_t id, void *ctx), void *ctx)
{
	struct sweep_ctx c = { 0 };
	size_t i;

	twalk_r(a->by_key, collect_unused, &c);
	for (i = 0; i < c.n; i++) {
		fn(c.dead[i]->id, ctx);
		tdelete(c.dead[i], &a->by_key, entry_cmp);
		entry_free(c.dead[i]);
	}
	free(c.dead);
}

static size_t cidr_text(const struct np_cidr *c, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &c->addr, a, sizeof(a));
	n = snprintf(buf, len, "%s/%u", a, c->prefix);
	return n < 0 ? 0 : (size_t)n;
}

void identity_key(const struct pol_identity *id, const struct np_cidr *cidrs, char *buf,
		  size_t len)
{
	char labels[IDENTITY_KEY_LEN], prefix[INET_ADDRSTRLEN + 4];
	size_t off, i;
	int n;

	if (id->kind == POL_ID_POD) {
		labels_str(&id->labels, labels, sizeof(labels));
		n = snprintf(buf, len, POD_KEY_PREFIX "%s:%s", id->ns, labels);
	} else {
		cidr_text(&id->prefix, prefix, sizeof(prefix));
		n = snprintf(buf, len, "cidr:%s", prefix);
	}
	off = n < 0 ? 0 : (size_t)n;
	for (i = 0; i < id->cidrs.n && off < len; i++) {
		off += (size_t)snprintf(buf + off, len - off, "%s", i ? "," : ":in=");
		if (off < len)
			off += cidr_text(&cidrs[id->cidrs.idx[i]], buf + off, len - off);
	}
}

/* The policy CIDRs that hold prefix p (for a pod: its /32). */
static int cidr_set_of(const struct pol_model *m, const struct np_cidr *p,
		       struct pol_cidr_set *set)
{
	size_t i;

	set->idx = calloc(m->n_cidrs + 1, sizeof(*set->idx));
	set->n = 0;
	if (!set->idx)
		return -ENOMEM;
	for (i = 0; i < m->n_cidrs; i++)
		if (np_cidr_contains(&m->cidrs[i], p))
			set->idx[set->n++] = (uint32_t)i;
	return 0;
}

static int cidr_cmp(const void *a, const void *b)
{
	const struct np_cidr *x = a, *y = b;

	if (x->addr.s_addr != y->addr.s_addr)
		return ntohl(x->addr.s_addr) < ntohl(y->addr.s_addr) ? -1 : 1;
	return (int)x->prefix - (int)y->prefix;
}

/* Every ipBlock cidr and except of every policy, sorted and unique. */
static int collect_cidrs(struct pol_model *m)
{
	size_t cap = 0, i, j, k, e, n = 0;
	struct np_cidr *all;

	for (i = 0; i < m->n_policies; i++) {
		const struct netpol *np = &m->policies[i];

		for (j = 0; j < np->n_in + np->n_eg; j++) {
			const struct np_rule *r = j < np->n_in ? &np->in_rules[j] :
								 &np->eg_rules[j - np->n_in];

			for (k = 0; k < r->n_peers; k++)
				cap += 1 + r->peers[k].n_except;
		}
	}
	all = calloc(cap + 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (i = 0; i < m->n_policies; i++) {
		const struct netpol *np = &m->policies[i];

		for (j = 0; j < np->n_in + np->n_eg; j++) {
			const struct np_rule *r = j < np->n_in ? &np->in_rules[j] :
								 &np->eg_rules[j - np->n_in];

			for (k = 0; k < r->n_peers; k++) {
				if (r->peers[k].kind != NP_PEER_IPBLOCK)
					continue;
				all[n++] = r->peers[k].cidr;
				for (e = 0; e < r->peers[k].n_except; e++)
					all[n++] = r->peers[k].except[e];
			}
		}
	}
	qsort(all, n, sizeof(*all), cidr_cmp);
	for (i = 0, j = 0; i < n; i++)
		if (!j || cidr_cmp(&all[j - 1], &all[i]))
			all[j++] = all[i];
	m->cidrs = all;
	m->n_cidrs = j;
	return 0;
}

/* Identities of this pass by canonical text, so alike pods share one in O(log n). */
struct seen {
	char key[IDENTITY_KEY_LEN];
	uint32_t id;
};

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->key, ((const struct seen *)b)->key);
}

/* Adds id (whose key is in s) to the model unless an alike one is there; sets *out. */
static int add_identity(struct pol_model *m, struct id_allocator *a, struct pol_identity *id,
			void **seen_tree, uint32_t *out)
{
	struct seen *s = calloc(1, sizeof(*s)), **hit;

	if (!s)
		return -ENOMEM;
	identity_key(id, m->cidrs, s->key, sizeof(s->key));
	hit = tsearch(s, seen_tree, seen_cmp);
	if (!hit) {
		free(s);
		return -ENOMEM;
	}
	if (*hit != s) {
		free(s);
		*out = (*hit)->id;
		labels_free(&id->labels);
		free(id->cidrs.idx);
		return 0;
	}
	id->id = s->id = id->kind == POL_ID_POD ? id_allocator_get_home(a, s->key) :
						  id_allocator_get(a, s->key);
	if (!id->id)
		return -ENOSPC;
	m->ids[m->n_ids++] = *id;
	*out = id->id;
	return 0;
}

int pol_assign_identities(struct pol_model *m, struct id_allocator *a)
{
	void *seen_tree = NULL;
	struct pol_identity id;
	uint32_t got;
	size_t i;
	int err;

	pol_identities_free(m);
	err = collect_cidrs(m);
	if (err)
		return err;
	m->ids = calloc(m->n_pods + m->n_cidrs + 1, sizeof(*m->ids));
	if (!m->ids)
		return -ENOMEM;
	for (i = 0; i < m->n_pods && !err; i++) {
		struct pol_pod *p = &m->pods[i];
		struct np_cidr host = { .addr = p->ip, .prefix = 32 };

		memset(&id, 0, sizeof(id));
		id.kind = POL_ID_POD;
		memcpy(id.ns, p->ns, sizeof(id.ns));
		err = p->ip.s_addr ? cidr_set_of(m, &host, &id.cidrs) : 0;
		if (!err)
			err = labels_copy(&p->labels, &id.labels);
		if (!err)
			err = add_identity(m, a, &id, &seen_tree, &got);
		if (err) {
			labels_free(&id.labels);
			free(id.cidrs.idx);
		} else {
			p->identity = got;
		}
	}
	for (i = 0; i < m->n_cidrs && !err; i++) {
		memset(&id, 0, sizeof(id));
		id.kind = POL_ID_CIDR;
		id.prefix = m->cidrs[i];
		err = cidr_set_of(m, &id.prefix, &id.cidrs);
		if (!err)
			err = add_identity(m, a, &id, &seen_tree, &got);
		if (err)
			free(id.cidrs.idx);
	}
	tdestroy(seen_tree, free);
	return err;
}

void pol_identities_free(struct pol_model *m)
{
	size_t i;

	for (i = 0; i < m->n_ids; i++) {
		labels_free(&m->ids[i].labels);
		free(m->ids[i].cidrs.idx);
	}
	free(m->ids);
	free(m->cidrs);
	m->ids = NULL;
	m->cidrs = NULL;
	m->n_ids = m->n_cidrs = 0;
}
