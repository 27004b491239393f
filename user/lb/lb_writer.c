// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lb/lb_state.h"
#include "lb/maglev.h"
#include "lib/bpf_batch.h"
#include "lib/field.h"
#include "lib/log.h"
#include "lib/work_pool.h"

/* Backend ids start at 1 so that 0 never names one. */
#define BACKEND_ID_FIRST 1
/* "10.96.0.10:65535/udp (external)": a frontend key in logs. */
#define KEY_STR_LEN 64
/* "service NAMESPACE/NAME frontend KEY": a frontend in logs (32: room for the words). */
#define WHAT_LEN (OWNER_LEN + KEY_STR_LEN + 32)
/* Staged tables wait for their commit in one buffer of at most this many bytes (two commits). */
#define STAGE_BYTES_MAX (16 << 20)
/*
 * Tables per commit at most, whatever their size: enough to make each
 * batch write cheap per table, few enough that the threads computing the
 * next ones keep busy while the writer writes (a large first sync took
 * least time at 512 to 1024 of 997-slot tables) and that it shows
 * frontends as it goes.
 */
#define TABLES_PER_COMMIT_MAX 512
/* Threads computing tables at most, the writer's own included. */
#define TABLE_WORKERS_MAX 4

static void key_str(const struct sluice_svc4_key *k, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &k->addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u/%s%s", a, ntohs(k->port),
		 k->proto == IPPROTO_UDP ? "udp" : "tcp",
		 k->scope == SLUICE_SCOPE_EXTERNAL ? " (external)" : "");
}

/* "service NAMESPACE/NAME frontend KEY" for logs, formatted only when a line is logged. */
static const char *what_str(const char *owner, const struct sluice_svc4_key *key, char *buf)
{
	char k[KEY_STR_LEN];

	key_str(key, k, sizeof(k));
	snprintf(buf, WHAT_LEN, "service %s frontend %s", owner, k);
	return buf;
}

static const char *fe_what(const struct lb_fe *fe, char *buf)
{
	return what_str(fe->owner ? fe->owner->name : "(none)", &fe->key, buf);
}

struct lb_fe *lb_fe_find(struct lb_writer *w, const struct sluice_svc4_key *key)
{
	struct lb_fe *fe;

	HASH_FIND(hh, w->by_key, key, sizeof(*key), fe);
	return fe;
}

bool lb_fe_index(struct lb_writer *w, struct lb_fe *fe)
{
	HASH_ADD(hh, w->by_key, key, sizeof(fe->key), fe);
	return hash_added(fe);
}

struct lb_owner *lb_owner_get(struct lb_writer *w, const char *name, bool create)
{
	struct lb_owner *o;

	HASH_FIND_STR(w->by_owner, name, o);
	if (o || !create)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	copy_field(o->name, sizeof(o->name), name);
	HASH_ADD_STR(w->by_owner, name, o);
	if (!hash_added(o)) {
		free(o);
		return NULL;
	}
	return o;
}

int lb_owner_add(struct lb_owner *o, struct lb_fe *fe)
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
	HASH_DEL(w->by_owner, o);
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

/* ---- Writing many entries ---- */

int lb_map_update_all(const struct lb_map_io *io, int fd, const void *keys, const void *values,
		      size_t key_size, size_t value_size, __u32 n, int *errs,
		      unsigned long *calls)
{
	const char *k = keys, *v = values;
	unsigned long ignored;
	bool batch = true, whole;
	__u32 i = 0, left, count;
	int err, batch_err, first = 0;

	if (!calls)
		calls = &ignored;
	while (i < n) {
		batch_err = 0;
		whole = false;
		if (batch) {
			left = count = n - i;
			(*calls)++;
			if (!io->update_batch(fd, k + i * key_size, v + i * value_size, &count, NULL))
				break;
			batch_err = -errno;
			/* Stopped at entry i + count; or refused whole, count left as it was. */
			whole = !count || count >= left;
			if (!whole)
				i += count;
		}
		(*calls)++;
		err = io->update_elem(fd, k + i * key_size, v + i * value_size, BPF_ANY) ? -errno : 0;
		if (errs)
			errs[i] = err;
		if (err && !first)
			first = err;
		/* The entry alone went in where the batch did not: the batch call is what fails. */
		if (whole && !err && batch_unsupported(batch_err)) {
			pr_debug("map fd %d: no batch updates on this kernel (errno %d): "
				 "one update per entry", fd, -batch_err);
			batch = false;
		}
		i++;
	}
	return first;
}

static const struct lb_map_io kernel_io = {
	.update_batch = bpf_map_update_batch,
	.update_elem = bpf_map_update_elem,
};

size_t lb_tables_per_commit(__u32 maglev_size)
{
	size_t n = STAGE_BYTES_MAX / (2 * (size_t)maglev_size * sizeof(__u32));

	if (!n)
		return 1;
	return n > TABLES_PER_COMMIT_MAX ? TABLES_PER_COMMIT_MAX : n;
}

/* ---- Maglev tables ---- */

/* A backend's identity in Maglev's permutation: address, port, protocol. */
static uint64_t maglev_key(const struct lb_backend *b)
{
	return (uint64_t)ntohl(b->addr) << 24 | (uint64_t)ntohs(b->port) << 8 | b->proto;
}

/* The Maglev table n backends give, as backend ids, into slots[size]. */
static int table_compute(__u32 size, const struct lb_be *bes, size_t n, __u32 *slots)
{
	uint64_t *keys = calloc(n, sizeof(*keys));
	__u32 *ids = calloc(n, sizeof(*ids));
	size_t b;
	int err = -ENOMEM;

	if (keys && ids) {
		for (b = 0; b < n; b++) {
			keys[b] = maglev_key(&bes[b].b);
			ids[b] = bes[b].id;
		}
		err = maglev_fill(keys, ids, n, size, slots);
	}
	free(keys);
	free(ids);
	return err;
}

/* ---- Backends ---- */

static struct sluice_backend4 backend_value(const struct lb_fe *fe, const struct lb_be *be)
{
	return (struct sluice_backend4){
		.addr = be->b.addr,
		.port = be->b.port,
		.proto = be->b.proto,
		.flags = be->b.flags,
		.svc_id = fe->id,
	};
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

int lb_bes_cmp(const void *a, const void *b)
{
	return be_cmp(&((const struct lb_be *)a)->b, &((const struct lb_be *)b)->b);
}

/* Undoes the backends c gave new ids (and may have written): no slot in the maps names them. */
static void change_undo(struct lb_writer *w, const struct lb_change *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->fresh[i])
			backend_remove(w, &c->bes[i]);
}

/*
 * Gives want's backends their ids in c: an existing backend keeps its own
 * (and conntrack entries naming it stay right), a new one gets a fresh id.
 * Both lists are sorted. Writes nothing: c->put says which to write. On
 * failure (no id left: the backend map is full) no new id stays taken.
 */
static int backends_assign(struct lb_writer *w, const struct lb_fe *fe,
			   const struct lb_frontend *want, struct lb_change *c)
{
	char what[WHAT_LEN];
	size_t i, j = 0, k;
	int64_t id;

	for (i = 0; i < c->n; i++) {
		const struct lb_backend *b = &want->backends[i];

		while (j < fe->n_bes && be_cmp(&fe->bes[j].b, b) < 0)
			j++;
		c->bes[i].b = *b;
		if (j < fe->n_bes && !be_cmp(&fe->bes[j].b, b)) {
			c->bes[i].id = fe->bes[j].id;
			c->put[i] = fe->bes[j].b.flags != b->flags;
			continue;
		}
		id = idalloc_get(&w->be_ids);
		if (id < 0)
			break;
		c->bes[i].id = (__u32)id;
		c->fresh[i] = c->put[i] = true;
		w->stats.backends++;
	}
	if (i == c->n)
		return 0;
	map_err(SLUICE_STR(SLUICE_MAP_BACKEND4), -E2BIG, fe_what(fe, what));
	for (k = 0; k < i; k++) {
		if (c->fresh[k]) {
			idalloc_put(&w->be_ids, c->bes[k].id);
			w->stats.backends--;
			c->fresh[k] = false;
		}
	}
	return -E2BIG;
}

/* Writes the backends c puts, now; a failure undoes c's new ones. */
static int backends_write(struct lb_writer *w, const struct lb_fe *fe, struct lb_change *c)
{
	struct sluice_backend4 v;
	char what[WHAT_LEN];
	size_t i;
	int err = 0;

	for (i = 0; i < c->n && !err; i++) {
		if (!c->put[i])
			continue;
		v = backend_value(fe, &c->bes[i]);
		w->stats.backend_writes++;
		if (bpf_map_update_elem(w->maps.backend_fd, &c->bes[i].id, &v, BPF_ANY))
			err = -errno;
	}
	if (!err)
		return 0;
	map_err(SLUICE_STR(SLUICE_MAP_BACKEND4), err, fe_what(fe, what));
	change_undo(w, c);
	return err;
}

void lb_change_free(struct lb_change *c)
{
	free(c->bes);
	free(c->fresh);
	free(c->put);
	c->bes = NULL;
	c->fresh = NULL;
	c->put = NULL;
}

int lb_change_alloc(struct lb_change *c, size_t n)
{
	c->bes = calloc(n + 1, sizeof(*c->bes));
	c->fresh = calloc(n + 1, sizeof(*c->fresh));
	c->put = calloc(n + 1, sizeof(*c->put));
	c->n = n;
	if (c->bes && c->fresh && c->put)
		return 0;
	lb_change_free(c);
	return -ENOMEM;
}

/* Does c give fe the backend ids it has? */
static bool change_same_ids(const struct lb_fe *fe, const struct lb_change *c)
{
	size_t i;

	if (c->n != fe->n_bes)
		return false;
	for (i = 0; i < c->n; i++)
		if (c->bes[i].id != fe->bes[i].id)
			return false;
	return true;
}

/* fe's backends become c's once no slot names the old ones: those go. */
static void fe_adopt(struct lb_writer *w, struct lb_fe *fe, struct lb_change *c)
{
	size_t i, j = 0;

	for (i = 0; i < fe->n_bes; i++) {
		while (j < c->n && be_cmp(&c->bes[j].b, &fe->bes[i].b) < 0)
			j++;
		if (j == c->n || be_cmp(&c->bes[j].b, &fe->bes[i].b))
			backend_remove(w, &fe->bes[i]);
	}
	free(fe->bes);
	fe->bes = c->bes;
	fe->n_bes = c->n;
	c->bes = NULL;
}

/* ---- Frontends ---- */

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

/* Must c's metadata be written? */
static bool meta_changes(const struct lb_fe *fe, const struct lb_change *c)
{
	return !fe->in_map || memcmp(&c->meta, &fe->meta, sizeof(c->meta));
}

/* Must c's frontend entry be written? */
static bool value_changes(const struct lb_fe *fe, const struct lb_change *c)
{
	return !fe->in_map || memcmp(&c->value, &fe->value, sizeof(c->value));
}

/* Writes c's metadata, then its frontend entry, which makes fe visible as c has it. */
static int fe_publish(struct lb_writer *w, struct lb_fe *fe, const struct lb_change *c)
{
	char what[WHAT_LEN];

	if (meta_changes(fe, c) && bpf_map_update_elem(w->maps.meta_fd, &fe->id, &c->meta, BPF_ANY))
		return map_err(SLUICE_STR(SLUICE_MAP_SVC_META), -errno, fe_what(fe, what));
	fe->meta = c->meta;
	if (value_changes(fe, c) &&
	    bpf_map_update_elem(w->maps.svc_fd, &fe->key, &c->value, BPF_ANY))
		return map_err(SLUICE_STR(SLUICE_MAP_SVC4), -errno, fe_what(fe, what));
	fe->value = c->value;
	fe->in_map = true;
	return 0;
}

static int commit_oldest(struct lb_writer *w);

/*
 * Stages c for fe: its table is computed and written at commit, and the
 * rest of c follows it. Takes c's arrays. When two commits' worth wait,
 * the older one is committed first (the caller's frontend holds its owner
 * meanwhile), while the pool goes on with the newer.
 */
void lb_fe_stage(struct lb_writer *w, struct lb_fe *fe, struct lb_staged *s,
		     struct lb_change *c, bool created)
{
	size_t slot;

	if (w->staged - w->committed == 2 * w->tables_per_commit)
		commit_oldest(w);
	slot = w->staged % w->stage_cap;
	s->c = *c;
	s->created = created;
	c->bes = NULL;
	c->fresh = NULL;
	c->put = NULL;
	fe->staged = s;
	w->stage_ids[slot] = fe->id;
	w->stage_fes[slot] = fe;
	/* The pool's threads compute its table while the writer stages and commits others. */
	work_pool_publish(w->pool, ++w->staged);
}

/* A frontend left without backends has no table: the datapath refuses it by its count. */
static void table_delete(struct lb_writer *w, struct lb_fe *fe)
{
	if (bpf_map_delete_elem(w->maps.maglev_fd, &fe->id) && errno != ENOENT)
		pr_warn("frontend %u: its Maglev table stays until the id is reused: %s", fe->id,
			strerror(errno));
	fe->table_ok = false;
}

/*
 * Brings fe (created: id just taken, no backends) to want: backends first;
 * then, when its table changes, the new table is staged and the rest waits
 * for commit; else metadata and the frontend entry now, which makes it
 * visible. Backends no slot names go last.
 */
static int fe_apply(struct lb_writer *w, struct lb_fe *fe, bool created, const char *ns,
		    const char *name, const struct lb_frontend *want)
{
	struct lb_change c = {
		.value = {
			.id = fe->id,
			.count = (__u16)want->n_backends,
			.flags = want->flags,
			.affinity_timeout = want->affinity_timeout,
		},
	};
	struct lb_staged *staged;
	char what[WHAT_LEN];
	int err = lb_change_alloc(&c, want->n_backends);

	if (err)
		goto out;
	/* Every backend needs a slot (and the count must fit its 16 bits). */
	if (c.n > w->maglev_size) {
		pr_err("%s: %zu backends, more than the %u slots of a Maglev table: not programmed "
		       "(raise --maglev-table-size)", fe_what(fe, what), c.n, w->maglev_size);
		err = -EMSGSIZE;
		goto out;
	}
	err = backends_assign(w, fe, want, &c);
	if (err)
		goto out;
	meta_fill(&c.meta, ns, name, want);
	if (c.n && !(fe->table_ok && change_same_ids(fe, &c))) {
		staged = calloc(1, sizeof(*staged));
		if (!staged) {
			err = -ENOMEM;
			goto undo;
		}
		lb_fe_stage(w, fe, staged, &c, created);
		goto out;
	}
	err = backends_write(w, fe, &c);
	if (err)
		goto out;
	err = fe_publish(w, fe, &c);
	if (err)
		goto undo;
	if (!c.n && fe->table_ok)
		table_delete(w, fe);
	fe_adopt(w, fe, &c);
	goto out;
undo:
	change_undo(w, &c);
out:
	lb_change_free(&c);
	return err;
}

/*
 * Takes a frontend out of service: its entry goes first, so no new packet
 * finds it, then its table, backends, metadata and id. Its owner stays, if
 * now empty, for the caller to release.
 */
static void fe_retire(struct lb_writer *w, struct lb_fe *fe)
{
	size_t i;

	bpf_map_delete_elem(w->maps.svc_fd, &fe->key);
	if (fe->table_ok)
		table_delete(w, fe);
	for (i = 0; i < fe->n_bes; i++)
		backend_remove(w, &fe->bes[i]);
	bpf_map_delete_elem(w->maps.meta_fd, &fe->id);
	if (fe->owner)
		owner_drop(fe->owner, fe);
	HASH_DEL(w->by_key, fe);
	idalloc_put(&w->fe_ids, fe->id);
	free(fe->bes);
	free(fe);
	w->stats.frontends--;
}

/*
 * Forgets a frontend this writer created and never made visible: only its
 * metadata may be in a map. Its owner stays, if now empty, for the caller
 * to release.
 */
static void fe_discard(struct lb_writer *w, struct lb_fe *fe)
{
	bpf_map_delete_elem(w->maps.meta_fd, &fe->id);
	idalloc_put(&w->fe_ids, fe->id);
	if (fe->owner)
		owner_drop(fe->owner, fe);
	HASH_DEL(w->by_key, fe);
	free(fe->bes);
	free(fe);
	w->stats.frontends--;
}

static struct lb_fe *fe_new(struct lb_writer *w, const struct sluice_svc4_key *key,
			    const char *owner)
{
	char what[WHAT_LEN];

	struct lb_fe *fe = calloc(1, sizeof(*fe));
	int64_t id = fe ? idalloc_get(&w->fe_ids) : -ENOMEM;

	if (id < 0) {
		free(fe);
		map_err(SLUICE_STR(SLUICE_MAP_SVC4), (int)id == -ENOSPC ? -E2BIG : (int)id,
			what_str(owner, key, what));
		return NULL;
	}
	fe->key = *key;
	fe->id = (__u32)id;
	if (!lb_fe_index(w, fe)) {
		idalloc_put(&w->fe_ids, fe->id);
		free(fe);
		return NULL;
	}
	w->stats.frontends++;
	return fe;
}

/* ---- Commit ---- */

/*
 * Finishes a staged change: table_err, sluice_maglev did not take its
 * table; else publish_err, its metadata or frontend entry failed.
 */
static int staged_finish(struct lb_writer *w, struct lb_fe *fe, int table_err, int publish_err)
{
	struct lb_staged *s = fe->staged;
	struct lb_owner *owner;
	char what[WHAT_LEN];
	int err = table_err;

	fe->staged = NULL;
	if (!table_err) {
		w->stats.table_swaps++;
		err = publish_err;
		/* The table is in: whatever else failed, it names these backends now. */
		if (!err || !s->created) {
			fe_adopt(w, fe, &s->c);
			fe->table_ok = true;
			goto out;
		}
		/* A new frontend that cannot be published takes its table back out. */
		bpf_map_delete_elem(w->maps.maglev_fd, &fe->id);
	}
	/* A full map has said so already. */
	if (err != -E2BIG && err != -ENOSPC)
		pr_err("%s: not programmed: %s", fe_what(fe, what), strerror(-err));
	change_undo(w, &s->c);
	if (s->created) {
		owner = fe->owner;
		fe_discard(w, fe);
		owner_release(w, owner);
	}
out:
	lb_change_free(&s->c);
	free(s);
	return err;
}

/* Computes the table of the i-th frontend ever staged into its stage slot (a work pool item). */
static void table_compute_staged(void *ctx, size_t i)
{
	struct lb_writer *w = ctx;
	size_t slot = i % w->stage_cap;
	const struct lb_change *c = &w->stage_fes[slot]->staged->c;

	w->stage_errs[slot] = table_compute(w->maglev_size, c->bes, c->n,
					    w->stage_slots + slot * (size_t)w->maglev_size);
}

/*
 * The backends the staged changes of fes[0, n) put, in one batch before any
 * table names them; errs[i] gets fes[i]'s first failure.
 */
static void stage_write_backends(struct lb_writer *w, struct lb_fe **fes, size_t n_fes,
				 int *errs)
{
	size_t n = 0, i, b, k = 0, *from;
	struct sluice_backend4 *vals;
	char what[WHAT_LEN];
	int *be_errs;
	__u32 *ids;

	for (i = 0; i < n_fes; i++)
		for (b = 0; b < fes[i]->staged->c.n; b++)
			n += fes[i]->staged->c.put[b];
	if (!n)
		return;
	ids = calloc(n, sizeof(*ids));
	vals = calloc(n, sizeof(*vals));
	from = calloc(n, sizeof(*from));
	be_errs = calloc(n, sizeof(*be_errs));
	if (!ids || !vals || !from || !be_errs) {
		for (i = 0; i < n_fes; i++)
			errs[i] = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_fes; i++) {
		const struct lb_fe *fe = fes[i];
		const struct lb_change *c = &fe->staged->c;

		for (b = 0; b < c->n; b++) {
			if (!c->put[b])
				continue;
			ids[k] = c->bes[b].id;
			vals[k] = backend_value(fe, &c->bes[b]);
			from[k++] = i;
		}
	}
	lb_map_update_all(w->io, w->maps.backend_fd, ids, vals, sizeof(*ids), sizeof(*vals),
			  (__u32)n, be_errs, &w->stats.backend_writes);
	for (k = 0; k < n; k++) {
		if (!be_errs[k] || errs[from[k]])
			continue;
		errs[from[k]] = be_errs[k];
		if (be_errs[k] == -E2BIG || be_errs[k] == -ENOSPC) {
			map_err(SLUICE_STR(SLUICE_MAP_BACKEND4), be_errs[k],
				fe_what(fes[from[k]], what));
			w->stats.map_full++;
		}
	}
out:
	free(ids);
	free(vals);
	free(from);
	free(be_errs);
}

/*
 * Metadata (what_meta) or frontend entries of the staged fes[0, n) whose
 * tables went in and whose earlier writes did not fail (errs[i] 0), in one
 * batch; a failure lands in errs. Metadata goes first, so a frontend is
 * never visible without it.
 */
static void stage_publish(struct lb_writer *w, struct lb_fe **fes, size_t n_fes, int *errs,
			  bool what_meta)
{
	size_t key_size = what_meta ? sizeof(__u32) : sizeof(struct sluice_svc4_key);
	size_t value_size = what_meta ? sizeof(struct sluice_svc_meta) :
					sizeof(struct sluice_svc_value);
	size_t n = 0, i, k, *from = calloc(n_fes, sizeof(*from));
	char *keys = calloc(n_fes, key_size), *vals = calloc(n_fes, value_size);
	int *pub_errs = calloc(n_fes, sizeof(*pub_errs));
	char what[WHAT_LEN];
	struct lb_fe *fe;

	if (!from || !keys || !vals || !pub_errs) {
		for (i = 0; i < n_fes; i++)
			if (!errs[i])
				errs[i] = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_fes; i++) {
		const struct lb_change *c = &fes[i]->staged->c;

		fe = fes[i];
		if (errs[i] || !(what_meta ? meta_changes(fe, c) : value_changes(fe, c)))
			continue;
		if (what_meta) {
			memcpy(keys + n * key_size, &fe->id, key_size);
			memcpy(vals + n * value_size, &c->meta, value_size);
		} else {
			memcpy(keys + n * key_size, &fe->key, key_size);
			memcpy(vals + n * value_size, &c->value, value_size);
		}
		from[n++] = i;
	}
	if (n)
		lb_map_update_all(w->io, what_meta ? w->maps.meta_fd : w->maps.svc_fd, keys, vals,
				  key_size, value_size, (__u32)n, pub_errs, NULL);
	for (k = 0; k < n; k++) {
		if (!pub_errs[k])
			continue;
		errs[from[k]] = map_err(what_meta ? SLUICE_STR(SLUICE_MAP_SVC_META) :
				    SLUICE_STR(SLUICE_MAP_SVC4), pub_errs[k],
				    fe_what(fes[from[k]], what));
	}
	for (i = 0; i < n_fes; i++) {
		fe = fes[i];
		if (errs[i])
			continue;
		if (what_meta) {
			fe->meta = fe->staged->c.meta;
		} else {
			fe->value = fe->staged->c.value;
			fe->in_map = true;
		}
	}
out:
	free(from);
	free(keys);
	free(vals);
	free(pub_errs);
}

/*
 * The oldest staged changes, up to a commit's worth and the end of the
 * stage buffer: their backends in one batch, then, once the pool has
 * computed their tables, the tables in one batch (a run per stretch of
 * changes without a failure): a table replaces the old one whole, and a
 * packet sees a frontend's old table or its new one, never a mix. Then
 * their metadata and frontend entries, a batch each.
 */
static int commit_oldest(struct lb_writer *w)
{
	size_t base = w->committed % w->stage_cap, size = w->maglev_size, i, j, n;
	struct lb_fe **fes = w->stage_fes + base;
	int *errs = w->commit_errs, *pub_errs = w->publish_errs, err = 0, ret;
	char what[WHAT_LEN];

	n = w->staged - w->committed;
	if (n > w->tables_per_commit)
		n = w->tables_per_commit;
	if (n > w->stage_cap - base)
		n = w->stage_cap - base;
	memset(errs, 0, n * sizeof(*errs));
	stage_write_backends(w, fes, n, errs);
	work_pool_wait(w->pool, w->committed + n);
	for (i = 0; i < n; i++)
		if (!errs[i])
			errs[i] = w->stage_errs[base + i];
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && !errs[j]; j++)
			;
		if (j > i)
			lb_map_update_all(w->io, w->maps.maglev_fd, w->stage_ids + base + i,
					  w->stage_slots + (base + i) * size,
					  sizeof(*w->stage_ids), size * sizeof(__u32),
					  (__u32)(j - i), errs + i, &w->stats.maglev_writes);
		if (j == i)
			j++;
	}
	for (i = 0; i < n; i++) {
		if (errs[i] == -E2BIG || errs[i] == -ENOSPC) {
			map_err(SLUICE_STR(SLUICE_MAP_MAGLEV), errs[i], fe_what(fes[i], what));
			w->stats.map_full++;
		}
	}
	memcpy(pub_errs, errs, n * sizeof(*errs));
	stage_publish(w, fes, n, pub_errs, true);
	stage_publish(w, fes, n, pub_errs, false);
	w->committed += n;
	for (i = 0; i < n; i++) {
		ret = staged_finish(w, fes[i], errs[i], pub_errs[i]);
		if (ret && !err)
			err = ret;
	}
	return err;
}

int lb_writer_commit(struct lb_writer *w)
{
	int err = 0, ret;

	while (w->committed < w->staged) {
		ret = commit_oldest(w);
		if (ret && !err)
			err = ret;
	}
	return err;
}

/* A sync commits first when its service already has staged frontends: a frontend is staged once. */
static void commit_before_sync(struct lb_writer *w, const struct lb_owner *owner)
{
	size_t i;
	bool staged = false;

	for (i = 0; owner && i < owner->n && !staged; i++)
		staged = owner->fes[i]->staged;
	if (staged)
		lb_writer_commit(w);
}

int lb_writer_sync(struct lb_writer *w, const char *ns, const char *name,
		   const struct lb_frontends *want)
{
	char owner_name[OWNER_LEN], what[WHAT_LEN];
	struct lb_owner *owner, *prev;
	size_t i;
	int err;

	snprintf(owner_name, sizeof(owner_name), "%s/%s", ns, name);
	owner = lb_owner_get(w, owner_name, want->n > 0);
	if (want->n && !owner)
		return -ENOMEM;
	commit_before_sync(w, owner);
	for (i = 0; owner && i < owner->n; i++)
		owner->fes[i]->seen = false;
	for (i = 0; i < want->n; i++) {
		const struct lb_frontend *d = &want->items[i];
		struct lb_fe *fe = lb_fe_find(w, &d->key);
		bool created = false;

		/* The same key twice in one service: the first one stands. */
		if (fe && fe->staged && fe->owner == owner)
			continue;
		if (fe && fe->owner && fe->owner != owner) {
			/* An owner read back at start that nobody claimed yet may be taken over. */
			if (fe->claimed) {
				pr_warn("%s: already held by service %s, left to it",
					what_str(owner_name, &d->key, what), fe->owner->name);
				w->stats.conflicts++;
				continue;
			}
			prev = fe->owner;
			owner_drop(prev, fe);
			owner_release(w, prev);
		}
		if (!fe) {
			fe = fe_new(w, &d->key, owner_name);
			if (!fe) {
				w->stats.map_full++;
				continue;
			}
			created = true;
		}
		if (!fe->owner && lb_owner_add(owner, fe)) {
			if (created)
				fe_discard(w, fe);
			owner_release(w, owner);
			return -ENOMEM;
		}
		fe->claimed = fe->seen = true;
		err = fe_apply(w, fe, created, ns, name, d);
		if (!err)
			continue;
		if (created)
			fe_discard(w, fe);
		/* Too big for a map, or for the table: this frontend only is left out. */
		if (err == -E2BIG || err == -ENOSPC || err == -EMSGSIZE) {
			w->stats.map_full++;
			continue;
		}
		owner_release(w, owner);
		return err;
	}
	/* What the service no longer has; fe_retire() swaps the last one into place i. */
	for (i = 0; owner && i < owner->n;) {
		if (owner->fes[i]->seen)
			i++;
		else
			fe_retire(w, owner->fes[i]);
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

void lb_writer_prune_unclaimed(struct lb_writer *w)
{
	struct lb_fe *fe, *next;
	struct lb_owner *owner;
	char k[KEY_STR_LEN];

	/* fe_retire() takes out fe only, which the walk allows. */
	HASH_ITER(hh, w->by_key, fe, next) {
		if (fe->claimed)
			continue;
		key_str(&fe->key, k, sizeof(k));
		pr_info("service %s/%s frontend %s: gone while no agent ran, removed",
			fe->meta.namespace, fe->meta.name, k);
		owner = fe->owner;
		fe_retire(w, fe);
		owner_release(w, owner);
	}
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

/* Threads computing tables, the writer's own included: the CPUs this process may use, up to the cap. */
static size_t table_workers(void)
{
	cpu_set_t cpus;
	int n = sched_getaffinity(0, sizeof(cpus), &cpus) ? 1 : CPU_COUNT(&cpus);

	return n < 1 ? 1 : n > TABLE_WORKERS_MAX ? TABLE_WORKERS_MAX : (size_t)n;
}

/* Is the pinned sluice_maglev one of maglev_size slots a table? */
static int check_table_size(int fd, __u32 maglev_size)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.value_size == maglev_size * sizeof(__u32))
		return 0;
	pr_err("map %s holds tables of %zu slots, not %u", SLUICE_STR(SLUICE_MAP_MAGLEV),
	       info.value_size / sizeof(__u32), maglev_size);
	return -EINVAL;
}

int lb_writer_open(struct lb_writer *w, const struct lb_maps *maps, __u32 maglev_size)
{
	__u32 fe_max = 0, be_max = 0;
	int err;

	memset(w, 0, sizeof(*w));
	w->maps = *maps;
	w->io = &kernel_io;
	w->maglev_size = maglev_size;
	if (!maglev_size)
		return -EINVAL;
	err = check_table_size(maps->maglev_fd, maglev_size);
	if (!err)
		err = map_capacity(maps->svc_fd, &fe_max);
	if (!err)
		err = map_capacity(maps->backend_fd, &be_max);
	if (err)
		return err;
	w->tables_per_commit = lb_tables_per_commit(maglev_size);
	w->stage_cap = 2 * w->tables_per_commit;
	w->stage_ids = calloc(w->stage_cap, sizeof(*w->stage_ids));
	w->stage_fes = calloc(w->stage_cap, sizeof(*w->stage_fes));
	w->stage_errs = calloc(w->stage_cap, sizeof(*w->stage_errs));
	w->stage_slots = calloc(w->stage_cap * (size_t)maglev_size, sizeof(__u32));
	w->commit_errs = calloc(w->tables_per_commit, sizeof(*w->commit_errs));
	w->publish_errs = calloc(w->tables_per_commit, sizeof(*w->publish_errs));
	w->pool = work_pool_start(table_workers() - 1, table_compute_staged, w);
	if (!w->stage_ids || !w->stage_fes || !w->stage_errs || !w->stage_slots ||
	    !w->commit_errs || !w->publish_errs || !w->pool ||
	    idalloc_init(&w->fe_ids, 0, fe_max) ||
	    idalloc_init(&w->be_ids, BACKEND_ID_FIRST, be_max + BACKEND_ID_FIRST)) {
		err = -ENOMEM;
		goto out;
	}
	err = lb_restore(w, fe_max);
out:
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

static void fe_free(struct lb_fe *fe)
{
	if (fe->staged) {
		lb_change_free(&fe->staged->c);
		free(fe->staged);
	}
	free(fe->bes);
	free(fe);
}

static void owner_free(struct lb_owner *o)
{
	free(o->fes);
	free(o);
}

void lb_writer_close(struct lb_writer *w)
{
	lb_writer_commit(w);
	hash_free_all(w->by_owner, owner_free);
	hash_free_all(w->by_key, fe_free);
	idalloc_free_all(&w->fe_ids);
	idalloc_free_all(&w->be_ids);
	work_pool_stop(w->pool);
	w->pool = NULL;
	free(w->stage_ids);
	free(w->stage_fes);
	free(w->stage_errs);
	w->stage_fes = NULL;
	w->stage_errs = NULL;
	free(w->stage_slots);
	free(w->commit_errs);
	free(w->publish_errs);
	w->stage_ids = NULL;
	w->stage_slots = NULL;
	w->commit_errs = NULL;
	w->publish_errs = NULL;
	if (w->own_fds) {
		close(w->maps.svc_fd);
		close(w->maps.meta_fd);
		close(w->maps.backend_fd);
		close(w->maps.maglev_fd);
		w->own_fds = false;
	}
}
