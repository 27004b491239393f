// SPDX-License-Identifier: Apache-2.0
/*
 * Reading back, when the writer opens, what an earlier agent programmed,
 * so that unchanged services cause no writes and established flows keep
 * the backend ids their conntrack entries name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "lb/lb_state.h"
#include "lib/log.h"

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
		    value.id != id || lb_fe_find(w, &meta.key)) {
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
		if (!lb_fe_index(w, fe)) {
			free(fe);
			err = -ENOMEM;
			break;
		}
		idalloc_take(&w->fe_ids, id);
		by_id[id] = fe;
		w->stats.frontends++;
		snprintf(owner_name, sizeof(owner_name), "%s/%s", meta.namespace, meta.name);
		o = lb_owner_get(w, owner_name, true);
		if (!o || lb_owner_add(o, fe))
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
		if (lb_fe_find(w, &keys[i]))
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

/* Tables of frontends that have backends are theirs; any other goes. */
static int load_tables(struct lb_writer *w, struct lb_fe **by_id, __u32 fe_max)
{
	__u32 *ids;
	size_t n, i;
	int err = map_keys(w->maps.maglev_fd, sizeof(*ids), (void **)&ids, &n);

	for (i = 0; i < n && !err; i++) {
		struct lb_fe *fe = ids[i] < fe_max ? by_id[ids[i]] : NULL;

		if (fe && fe->n_bes)
			fe->table_ok = true;
		else
			bpf_map_delete_elem(w->maps.maglev_fd, &ids[i]);
	}
	free(ids);
	return err;
}

/* Stages fe's table again from the backends it has: its ids and everything else stay. */
static int table_restage(struct lb_writer *w, struct lb_fe *fe)
{
	struct lb_change c = { .value = fe->value, .meta = fe->meta };
	struct lb_staged *staged = calloc(1, sizeof(*staged));

	if (lb_change_alloc(&c, fe->n_bes) || !staged) {
		free(staged);
		lb_change_free(&c);
		return -ENOMEM;
	}
	memcpy(c.bes, fe->bes, fe->n_bes * sizeof(*c.bes));
	lb_fe_stage(w, fe, staged, &c, false);
	return 0;
}

/*
 * Frontends with backends but no table (sluice_maglev was rebuilt for a new
 * layout or table size, or a crash came between a frontend and its table)
 * get theirs at once, before any source has synced: their services keep
 * working through the restart. One that cannot get it (a full map) is
 * logged and stays as it is; the first sync tries it again.
 */
static void restore_tables(struct lb_writer *w)
{
	int err = 0, staged_err = 0;
	struct lb_fe *fe;
	size_t n = 0;

	/* Staging never takes a frontend out (none is new): the walk stays whole. */
	for (fe = w->by_key; fe && !staged_err; fe = fe->hh.next) {
		if (!fe->n_bes || fe->table_ok)
			continue;
		staged_err = table_restage(w, fe);
		n++;
	}
	err = lb_writer_commit(w);
	if (!err)
		err = staged_err;
	if (n && !err)
		pr_info("service maps: %zu frontends without a Maglev table got theirs again", n);
	else if (n)
		pr_err("service maps: %zu frontends had no Maglev table; giving them theirs "
		       "again failed for some: %s", n, strerror(-err));
}

int lb_restore(struct lb_writer *w, __u32 fe_max)
{
	struct lb_fe **by_id = calloc(fe_max, sizeof(*by_id)), *fe;
	int err;

	if (!by_id)
		return -ENOMEM;
	err = load_frontends(w, by_id, fe_max);
	if (!err)
		err = drop_orphan_frontends(w, by_id, fe_max);
	if (!err)
		err = load_backends(w, by_id, fe_max);
	if (!err)
		err = load_tables(w, by_id, fe_max);
	if (!err) {
		for (fe = w->by_key; fe; fe = fe->hh.next)
			qsort(fe->bes, fe->n_bes, sizeof(*fe->bes), lb_bes_cmp);
		restore_tables(w);
	}
	free(by_id);
	return err;
}
