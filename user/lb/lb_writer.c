// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lb/lb_writer.h"
#include "lb/maglev.h"
#include "lib/field.h"
#include "lib/log.h"

/* "namespace/name" of a service: the owner of its frontends. */
#define OWNER_LEN (SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN)
/* "255.255.255.255:65535/17": a backend's name in Maglev's permutation. */
#define BACKEND_NAME_LEN 32
/* Backend ids start at 1 so that 0 never names one. */
#define BACKEND_ID_FIRST 1

/* A programmed backend: what it is and the id the maps know it by. */
struct lb_be {
	struct lb_backend b;
	__u32 id;
};

struct lb_owner;

/* A programmed frontend, as the maps hold it. */
struct lb_fe {
	struct sluice_svc4_key key;
	__u32 id;
	struct sluice_svc_value value;
	struct sluice_svc_meta meta;
	struct lb_be *bes;
	size_t n_bes;
	bool table_ok;		/* the map's Maglev table is the one bes give */
	bool in_map;		/* value and meta are in the maps (else they are still zero) */
	bool claimed;		/* a service has claimed it since the writer opened */
	bool seen;		/* wanted in the sync under way */
	struct lb_owner *owner;
};

/* The frontends one service holds. */
struct lb_owner {
	char name[OWNER_LEN];
	struct lb_fe **fes;
	size_t n, cap;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct lb_fe *)a)->key, &((const struct lb_fe *)b)->key,
		      sizeof(struct sluice_svc4_key));
}

static int owner_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lb_owner *)a)->name, ((const struct lb_owner *)b)->name);
}

static void key_str(const struct sluice_svc4_key *k, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &k->addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u/%s%s", a, ntohs(k->port),
		 k->proto == IPPROTO_UDP ? "udp" : "tcp",
		 k->scope == SLUICE_SCOPE_EXTERNAL ? " (external)" : "");
}

static struct lb_fe *fe_find(struct lb_writer *w, const struct sluice_svc4_key *key)
{
	struct lb_fe probe = { .key = *key };
	void **hit = tfind(&probe, &w->by_key, key_cmp);

	return hit ? *hit : NULL;
}

static struct lb_owner *owner_get(struct lb_writer *w, const char *name, bool create)
{
	struct lb_owner probe, *o, **hit;

	copy_field(probe.name, sizeof(probe.name), name);
	hit = tfind(&probe, &w->by_owner, owner_cmp);
	if (hit || !create)
		return hit ? *hit : NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	copy_field(o->name, sizeof(o->name), name);
	if (!tsearch(o, &w->by_owner, owner_cmp)) {
		free(o);
		return NULL;
	}
	return o;
}

static int owner_add(struct lb_owner *o, struct lb_fe *fe)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4;
		struct lb_fe **fes = realloc(o->fes, cap * sizeof(*fes));

		if (!fes)
			return -ENOMEM;
		o->fes = fes;
		o->cap = cap;
	}
	o->fes[o->n++] = fe;
	fe->owner = o;
	return 0;
}

/* Takes fe from its owner; an owner left empty lives on until owner_release(). */
static void owner_drop(struct lb_owner *o, struct lb_fe *fe)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		if (o->fes[i] == fe) {
			o->fes[i] = o->fes[--o->n];
			break;
		}
	}
	fe->owner = NULL;
}

/* Frees an owner that holds no frontend any more. */
static void owner_release(struct lb_writer *w, struct lb_owner *o)
{
	if (!o || o->n)
		return;
	tdelete(o, &w->by_owner, owner_cmp);
	free(o->fes);
	free(o);
}

static int map_err(const char *map, int err, const char *what)
{
	if (err == -E2BIG || err == -ENOSPC)
		pr_err("map %s is full: %s not programmed (raise it with --map-entries %s=N)", map,
		       what, map);
	return err;
}

/* The Maglev table fe's backends give, as backend ids, into slots[maglev_size]. */
static int table_compute(const struct lb_writer *w, const struct lb_fe *fe, __u32 *slots)
{
	char (*names_buf)[BACKEND_NAME_LEN] = calloc(fe->n_bes, BACKEND_NAME_LEN);
	const char **names = calloc(fe->n_bes, sizeof(*names));
	size_t b;
	__u32 i;
	int err = -ENOMEM;

	if (!names_buf || !names)
		goto out;
	for (b = 0; b < fe->n_bes; b++) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &fe->bes[b].b.addr, a, sizeof(a));
		snprintf(names_buf[b], BACKEND_NAME_LEN, "%s:%u/%u", a, ntohs(fe->bes[b].b.port),
			 fe->bes[b].b.proto);
		names[b] = names_buf[b];
	}
	err = maglev_fill(names, fe->n_bes, w->maglev_size, slots);
	if (!err)
		for (i = 0; i < w->maglev_size; i++)
			slots[i] = fe->bes[slots[i]].id;
out:
	free(names_buf);
	free(names);
	return err;
}

/* Builds fe's table in a new inner map and swaps it in whole. */
static int table_write(struct lb_writer *w, struct lb_fe *fe)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP);
	__u32 *slots = malloc(w->maglev_size * sizeof(*slots)), count = w->maglev_size;
	int fd = -1, err;

	if (!slots)
		return -ENOMEM;
	err = table_compute(w, fe, slots);
	if (err)
		goto out;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sluice_mgl_tbl", sizeof(__u32), sizeof(__u32),
			    w->maglev_size, &copts);
	if (fd < 0 || bpf_map_update_batch(fd, w->slot_keys, slots, &count, NULL) ||
	    bpf_map_update_elem(w->maps.maglev_fd, &fe->id, &fd, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	fe->table_ok = true;
	w->stats.table_swaps++;
out:
	if (fd >= 0)
		close(fd);
	free(slots);
	return err;
}

/* Does the map's table for fe hold what its backends give (after a restart)? */
static bool table_matches(struct lb_writer *w, const struct lb_fe *fe)
{
	__u32 inner_id, count = w->maglev_size, batch = 0, *have, *want;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	bool same = false;
	int fd;

	if (bpf_map_lookup_elem(w->maps.maglev_fd, &fe->id, &inner_id))
		return false;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return false;
	have = calloc(w->maglev_size, sizeof(*have));
	want = calloc(w->maglev_size, sizeof(*want));
	memset(&info, 0, sizeof(info));
	if (have && want && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.max_entries == w->maglev_size &&
	    (!bpf_map_lookup_batch(fd, NULL, &batch, w->slot_keys, have, &count, NULL) ||
	     errno == ENOENT) &&
	    count == w->maglev_size && !table_compute(w, fe, want))
		same = !memcmp(have, want, w->maglev_size * sizeof(*have));
	free(have);
	free(want);
	close(fd);
	return same;
}

static int backend_write(struct lb_writer *w, const struct lb_fe *fe, const struct lb_be *be)
{
	struct sluice_backend4 v = {
		.addr = be->b.addr,
		.port = be->b.port,
		.proto = be->b.proto,
		.flags = be->b.flags,
		.svc_id = fe->id,
	};

	return bpf_map_update_elem(w->maps.backend_fd, &be->id, &v, BPF_ANY) ? -errno : 0;
}

static void backend_remove(struct lb_writer *w, const struct lb_be *be)
{
	bpf_map_delete_elem(w->maps.backend_fd, &be->id);
	idalloc_put(&w->be_ids, be->id);
	w->stats.backends--;
}

static int be_cmp(const struct lb_backend *a, const struct lb_backend *b)
{
	return memcmp(a, b, offsetof(struct lb_backend, flags));
}

/*
 * Gives want's backends their ids: an existing backend keeps its own (and
 * conntrack entries naming it stay right), a new one gets a fresh id and is
 * written. Both lists are sorted. On failure nothing new is left behind.
 */
static int backends_assign(struct lb_writer *w, const struct lb_fe *fe,
			   const struct lb_frontend *want, struct lb_be *out, bool *fresh,
			   const char *what)
{
	size_t i, j = 0, k;
	int64_t id;
	int err = 0;

	for (i = 0; i < want->n_backends; i++) {
		const struct lb_backend *b = &want->backends[i];

		while (j < fe->n_bes && be_cmp(&fe->bes[j].b, b) < 0)
			j++;
		out[i].b = *b;
		fresh[i] = false;
		if (j < fe->n_bes && !be_cmp(&fe->bes[j].b, b)) {
			out[i].id = fe->bes[j].id;
			if (fe->bes[j].b.flags == b->flags)
				continue;
		} else {
			id = idalloc_get(&w->be_ids);
			if (id < 0) {
				err = -E2BIG;
				break;
			}
			out[i].id = (__u32)id;
			fresh[i] = true;
			w->stats.backends++;
		}
		err = backend_write(w, fe, &out[i]);
		if (err)
			break;
	}
	if (!err)
		return 0;
	map_err(SLUICE_STR(SLUICE_MAP_BACKEND4), err, what);
	for (k = 0; k <= i && k < want->n_backends; k++)
		if (fresh[k])
			backend_remove(w, &out[k]);
	return err;
}

static void meta_fill(struct sluice_svc_meta *m, const char *ns, const char *name,
		      const struct lb_frontend *want)
{
	memset(m, 0, sizeof(*m));
	copy_field(m->namespace, sizeof(m->namespace), ns);
	copy_field(m->name, sizeof(m->name), name);
	copy_field(m->port_name, sizeof(m->port_name), want->port_name);
	m->key = want->key;
	m->kind = want->kind;
}

/*
 * Brings fe (new: id just taken, no backends) to want: backends, table,
 * metadata, then the frontend entry itself, which makes it visible.
 */
static int fe_apply(struct lb_writer *w, struct lb_fe *fe, const char *ns, const char *name,
		    const struct lb_frontend *want, const char *what)
{
	struct lb_be *bes = calloc(want->n_backends + 1, sizeof(*bes));
	bool *fresh = calloc(want->n_backends + 1, sizeof(*fresh));
	struct sluice_svc_value value = {
		.id = fe->id,
		.count = (__u16)want->n_backends,
		.flags = want->flags,
		.affinity_timeout = want->affinity_timeout,
	};
	struct sluice_svc_meta meta;
	bool same_set;
	size_t i, j;
	int err;

	if (!bes || !fresh) {
		err = -ENOMEM;
		goto out;
	}
	/* Every backend needs a slot (and the count must fit its 16 bits). */
	if (want->n_backends > w->maglev_size) {
		pr_err("%s: %zu backends, more than the %u slots of a Maglev table: not programmed "
		       "(raise --maglev-table-size)", what, want->n_backends, w->maglev_size);
		err = -EMSGSIZE;
		goto out;
	}
	err = backends_assign(w, fe, want, bes, fresh, what);
	if (err)
		goto out;
	same_set = want->n_backends == fe->n_bes;
	for (i = 0; same_set && i < fe->n_bes; i++)
		same_set = bes[i].id == fe->bes[i].id;
	if (want->n_backends && (!same_set || !fe->table_ok) &&
	    !(same_set && table_matches(w, fe))) {
		struct lb_be *old = fe->bes;
		size_t old_n = fe->n_bes;

		fe->bes = bes;
		fe->n_bes = want->n_backends;
		err = table_write(w, fe);
		fe->bes = old;
		fe->n_bes = old_n;
		if (err) {
			map_err(SLUICE_STR(SLUICE_MAP_MAGLEV), err, what);
			for (i = 0; i < want->n_backends; i++)
				if (fresh[i])
					backend_remove(w, &bes[i]);
			goto out;
		}
	}
	fe->table_ok = true;
	meta_fill(&meta, ns, name, want);
	if ((!fe->in_map || memcmp(&meta, &fe->meta, sizeof(meta))) &&
	    bpf_map_update_elem(w->maps.meta_fd, &fe->id, &meta, BPF_ANY)) {
		err = map_err(SLUICE_STR(SLUICE_MAP_SVC_META), -errno, what);
		goto out_fresh;
	}
	fe->meta = meta;
	if ((!fe->in_map || memcmp(&value, &fe->value, sizeof(value))) &&
	    bpf_map_update_elem(w->maps.svc_fd, &fe->key, &value, BPF_ANY)) {
		err = map_err(SLUICE_STR(SLUICE_MAP_SVC4), -errno, what);
		goto out_fresh;
	}
	fe->value = value;
	fe->in_map = true;
	/* Only now may the backends no table names go. */
	for (i = 0, j = 0; i < fe->n_bes; i++) {
		while (j < want->n_backends && be_cmp(&bes[j].b, &fe->bes[i].b) < 0)
			j++;
		if (j == want->n_backends || be_cmp(&bes[j].b, &fe->bes[i].b))
			backend_remove(w, &fe->bes[i]);
	}
	free(fe->bes);
	fe->bes = bes;
	fe->n_bes = want->n_backends;
	bes = NULL;
	goto out;
out_fresh:
	for (i = 0; i < want->n_backends; i++)
		if (fresh[i])
			backend_remove(w, &bes[i]);
out:
	free(bes);
	free(fresh);
	return err;
}

/*
 * Frontend entry first: no new packet finds the frontend once its parts
 * start to go. Its owner stays, if now empty, for the caller to release.
 */
static void fe_remove(struct lb_writer *w, struct lb_fe *fe)
{
	size_t i;

	bpf_map_delete_elem(w->maps.svc_fd, &fe->key);
	bpf_map_delete_elem(w->maps.maglev_fd, &fe->id);
	for (i = 0; i < fe->n_bes; i++)
		backend_remove(w, &fe->bes[i]);
	bpf_map_delete_elem(w->maps.meta_fd, &fe->id);
	idalloc_put(&w->fe_ids, fe->id);
	if (fe->owner)
		owner_drop(fe->owner, fe);
	tdelete(fe, &w->by_key, key_cmp);
	free(fe->bes);
	free(fe);
	w->stats.frontends--;
}

static struct lb_fe *fe_new(struct lb_writer *w, const struct sluice_svc4_key *key,
			    const char *what)
{
	struct lb_fe *fe = calloc(1, sizeof(*fe));
	int64_t id = fe ? idalloc_get(&w->fe_ids) : -ENOMEM;

	if (id < 0) {
		free(fe);
		map_err(SLUICE_STR(SLUICE_MAP_SVC4), (int)id == -ENOSPC ? -E2BIG : (int)id, what);
		return NULL;
	}
	fe->key = *key;
	fe->id = (__u32)id;
	if (!tsearch(fe, &w->by_key, key_cmp)) {
		idalloc_put(&w->fe_ids, fe->id);
		free(fe);
		return NULL;
	}
	w->stats.frontends++;
	return fe;
}

int lb_writer_sync(struct lb_writer *w, const char *ns, const char *name,
		   const struct lb_frontends *want)
{
	char owner_name[OWNER_LEN], what[OWNER_LEN + 96], k[64];
	struct lb_owner *owner, *prev;
	size_t i;
	int err;

	snprintf(owner_name, sizeof(owner_name), "%s/%s", ns, name);
	owner = owner_get(w, owner_name, want->n > 0);
	if (want->n && !owner)
		return -ENOMEM;
	for (i = 0; owner && i < owner->n; i++)
		owner->fes[i]->seen = false;
	for (i = 0; i < want->n; i++) {
		const struct lb_frontend *d = &want->items[i];
		struct lb_fe *fe = fe_find(w, &d->key);
		bool created = false;

		key_str(&d->key, k, sizeof(k));
		snprintf(what, sizeof(what), "service %s frontend %s", owner_name, k);
		if (fe && fe->owner && fe->owner != owner) {
			/* An owner read back at start that nobody claimed yet may be taken over. */
			if (fe->claimed) {
				pr_warn("%s: already held by service %s, left to it", what,
					fe->owner->name);
				w->stats.conflicts++;
				continue;
			}
			prev = fe->owner;
			owner_drop(prev, fe);
			owner_release(w, prev);
		}
		if (!fe) {
			fe = fe_new(w, &d->key, what);
			if (!fe) {
				w->stats.map_full++;
				continue;
			}
			created = true;
		}
		if (!fe->owner && owner_add(owner, fe)) {
			if (created)
				fe_remove(w, fe);
			owner_release(w, owner);
			return -ENOMEM;
		}
		fe->claimed = fe->seen = true;
		err = fe_apply(w, fe, ns, name, d, what);
		if (!err)
			continue;
		if (created)
			fe_remove(w, fe);
		/* Too big for a map, or for the table: this frontend only is left out. */
		if (err == -E2BIG || err == -ENOSPC || err == -EMSGSIZE) {
			w->stats.map_full++;
			continue;
		}
		owner_release(w, owner);
		return err;
	}
	/* What the service no longer has; fe_remove() swaps the last one into place i. */
	for (i = 0; owner && i < owner->n;) {
		if (owner->fes[i]->seen)
			i++;
		else
			fe_remove(w, owner->fes[i]);
	}
	/* Gone whole, or every frontend it asked for was held by others or did not fit. */
	owner_release(w, owner);
	return 0;
}

int lb_writer_remove(struct lb_writer *w, const char *ns, const char *name)
{
	struct lb_frontends none = { 0 };

	return lb_writer_sync(w, ns, name, &none);
}

struct prune_ctx {
	struct lb_fe **fes;
	size_t n, cap;
};

static void prune_visit(const void *node, VISIT which, void *arg)
{
	struct lb_fe *fe = *(struct lb_fe *const *)node;
	struct prune_ctx *c = arg;

	if ((which != postorder && which != leaf) || fe->claimed)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct lb_fe **fes = realloc(c->fes, cap * sizeof(*fes));

		if (!fes)
			return;
		c->fes = fes;
		c->cap = cap;
	}
	c->fes[c->n++] = fe;
}

/* Removing while walking would rebalance the tree under the walk: collect first. */
void lb_writer_prune_unclaimed(struct lb_writer *w)
{
	struct prune_ctx c = { 0 };
	struct lb_owner *owner;
	size_t i;

	twalk_r(w->by_key, prune_visit, &c);
	for (i = 0; i < c.n; i++) {
		char k[64];

		key_str(&c.fes[i]->key, k, sizeof(k));
		pr_info("service %s/%s frontend %s: gone while no agent ran, removed",
			c.fes[i]->meta.namespace, c.fes[i]->meta.name, k);
		owner = c.fes[i]->owner;
		fe_remove(w, c.fes[i]);
		owner_release(w, owner);
	}
	free(c.fes);
}

static int map_capacity(int fd, __u32 *max)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max = info.max_entries;
	return 0;
}

/*
 * Every key of a map, read before any is deleted: deleting the key a walk
 * stands on restarts get_next_key from the first key, which would visit
 * entries twice.
 */
static int map_keys(int fd, size_t key_size, void **out, size_t *n)
{
	size_t cap = 0;
	char *keys = NULL, *prev = NULL;

	*n = 0;
	for (;;) {
		if (*n == cap) {
			char *k = realloc(keys, (cap = cap ? cap * 2 : 64) * key_size);

			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
			if (prev)
				prev = keys + (*n - 1) * key_size;
		}
		if (bpf_map_get_next_key(fd, prev, keys + *n * key_size))
			break;
		prev = keys + *n * key_size;
		(*n)++;
	}
	*out = keys;
	return errno == ENOENT ? 0 : -errno;
}

/* Frontends from the metadata map, each checked against its frontend entry. */
static int load_frontends(struct lb_writer *w, struct lb_fe **by_id, __u32 fe_max)
{
	struct sluice_svc_meta meta;
	struct sluice_svc_value value;
	char owner_name[OWNER_LEN];
	__u32 *ids;
	size_t n, i;
	int err = map_keys(w->maps.meta_fd, sizeof(*ids), (void **)&ids, &n);

	for (i = 0; i < n && !err; i++) {
		__u32 id = ids[i];
		struct lb_fe *fe;
		struct lb_owner *o;

		if (bpf_map_lookup_elem(w->maps.meta_fd, &id, &meta))
			continue;
		if (id >= fe_max || bpf_map_lookup_elem(w->maps.svc_fd, &meta.key, &value) ||
		    value.id != id || fe_find(w, &meta.key)) {
			/* Half a frontend (a crash mid-write): its metadata and table go. */
			bpf_map_delete_elem(w->maps.maglev_fd, &id);
			bpf_map_delete_elem(w->maps.meta_fd, &id);
			continue;
		}
		fe = calloc(1, sizeof(*fe));
		if (!fe) {
			err = -ENOMEM;
			break;
		}
		fe->key = meta.key;
		fe->id = id;
		fe->value = value;
		fe->meta = meta;
		fe->in_map = true;
		if (!tsearch(fe, &w->by_key, key_cmp)) {
			free(fe);
			err = -ENOMEM;
			break;
		}
		idalloc_take(&w->fe_ids, id);
		by_id[id] = fe;
		w->stats.frontends++;
		snprintf(owner_name, sizeof(owner_name), "%s/%s", meta.namespace, meta.name);
		o = owner_get(w, owner_name, true);
		if (!o || owner_add(o, fe))
			err = -ENOMEM;
	}
	free(ids);
	return err;
}

/* Frontend entries without metadata belong to nobody: remove them. */
static int drop_orphan_frontends(struct lb_writer *w, struct lb_fe **by_id, __u32 fe_max)
{
	struct sluice_svc4_key *keys;
	struct sluice_svc_value value;
	size_t n, i;
	int err = map_keys(w->maps.svc_fd, sizeof(*keys), (void **)&keys, &n);

	for (i = 0; i < n && !err; i++) {
		if (fe_find(w, &keys[i]))
			continue;
		if (!bpf_map_lookup_elem(w->maps.svc_fd, &keys[i], &value) && value.id < fe_max &&
		    !by_id[value.id])
			bpf_map_delete_elem(w->maps.maglev_fd, &value.id);
		bpf_map_delete_elem(w->maps.svc_fd, &keys[i]);
	}
	free(keys);
	return err;
}

static int load_backends(struct lb_writer *w, struct lb_fe **by_id, __u32 fe_max)
{
	struct sluice_backend4 be;
	__u32 *ids;
	size_t n, i;
	int err = map_keys(w->maps.backend_fd, sizeof(*ids), (void **)&ids, &n);

	for (i = 0; i < n && !err; i++) {
		__u32 id = ids[i];
		struct lb_fe *fe;
		struct lb_be *bes;

		if (bpf_map_lookup_elem(w->maps.backend_fd, &id, &be))
			continue;
		fe = be.svc_id < fe_max ? by_id[be.svc_id] : NULL;
		if (!fe || !idalloc_take(&w->be_ids, id)) {
			bpf_map_delete_elem(w->maps.backend_fd, &id);
			continue;
		}
		bes = realloc(fe->bes, (fe->n_bes + 1) * sizeof(*bes));
		if (!bes) {
			err = -ENOMEM;
			break;
		}
		fe->bes = bes;
		fe->bes[fe->n_bes].id = id;
		fe->bes[fe->n_bes].b = (struct lb_backend){
			.addr = be.addr, .port = be.port, .proto = be.proto, .flags = be.flags,
		};
		fe->n_bes++;
		w->stats.backends++;
	}
	free(ids);
	return err;
}

static int bes_cmp(const void *a, const void *b)
{
	return be_cmp(&((const struct lb_be *)a)->b, &((const struct lb_be *)b)->b);
}

static void sort_visit(const void *node, VISIT which, void *arg)
{
	struct lb_fe *fe = *(struct lb_fe *const *)node;

	(void)arg;
	if (which == postorder || which == leaf)
		qsort(fe->bes, fe->n_bes, sizeof(*fe->bes), bes_cmp);
}

int lb_writer_open(struct lb_writer *w, const struct lb_maps *maps, __u32 maglev_size)
{
	__u32 fe_max = 0, be_max = 0, i;
	struct lb_fe **by_id = NULL;
	int err;

	memset(w, 0, sizeof(*w));
	w->maps = *maps;
	w->maglev_size = maglev_size;
	err = map_capacity(maps->svc_fd, &fe_max);
	if (!err)
		err = map_capacity(maps->backend_fd, &be_max);
	if (err)
		return err;
	w->slot_keys = calloc(maglev_size, sizeof(*w->slot_keys));
	by_id = calloc(fe_max, sizeof(*by_id));
	if (!w->slot_keys || !by_id || idalloc_init(&w->fe_ids, 0, fe_max) ||
	    idalloc_init(&w->be_ids, BACKEND_ID_FIRST, be_max + BACKEND_ID_FIRST)) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < maglev_size; i++)
		w->slot_keys[i] = i;
	err = load_frontends(w, by_id, fe_max);
	if (!err)
		err = drop_orphan_frontends(w, by_id, fe_max);
	if (!err)
		err = load_backends(w, by_id, fe_max);
	if (!err)
		twalk_r(w->by_key, sort_visit, NULL);
out:
	free(by_id);
	if (err)
		lb_writer_close(w);
	return err;
}

int lb_writer_open_pins(struct lb_writer *w, const struct sluice_pins *pins, __u32 maglev_size)
{
	struct lb_maps m = {
		.svc_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_SVC4)),
		.meta_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_SVC_META)),
		.backend_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_BACKEND4)),
		.maglev_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_MAGLEV)),
	};
	int err = 0;

	if (m.svc_fd < 0 || m.meta_fd < 0 || m.backend_fd < 0 || m.maglev_fd < 0)
		err = m.svc_fd < 0 ? m.svc_fd : m.meta_fd < 0 ? m.meta_fd :
		      m.backend_fd < 0 ? m.backend_fd : m.maglev_fd;
	if (!err)
		err = lb_writer_open(w, &m, maglev_size);
	if (!err) {
		w->own_fds = true;
		return 0;
	}
	if (m.svc_fd >= 0)
		close(m.svc_fd);
	if (m.meta_fd >= 0)
		close(m.meta_fd);
	if (m.backend_fd >= 0)
		close(m.backend_fd);
	if (m.maglev_fd >= 0)
		close(m.maglev_fd);
	return err;
}

static void fe_free(void *p)
{
	struct lb_fe *fe = p;

	free(fe->bes);
	free(fe);
}

static void owner_free(void *p)
{
	struct lb_owner *o = p;

	free(o->fes);
	free(o);
}

void lb_writer_close(struct lb_writer *w)
{
	tdestroy(w->by_owner, owner_free);
	tdestroy(w->by_key, fe_free);
	w->by_owner = w->by_key = NULL;
	idalloc_free_all(&w->fe_ids);
	idalloc_free_all(&w->be_ids);
	free(w->slot_keys);
	w->slot_keys = NULL;
	if (w->own_fds) {
		close(w->maps.svc_fd);
		close(w->maps.meta_fd);
		close(w->maps.backend_fd);
		close(w->maps.maglev_fd);
		w->own_fds = false;
	}
}
