// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/field.h"
#include "lib/log.h"
#include "policy/pol_writer.h"

/* Bits of a port: a prefix of all of them is one port. */
#define PORT_BITS 16
/* Bits before the port in a policy key: identity, protocol, pad. */
#define KEY_BITS_BEFORE_PORT (SLUICE_POLICY_KEY_BITS - PORT_BITS)

void pol_port_prefixes(__u16 lo, __u16 hi, void (*fn)(__u16 start, __u8 bits, void *ctx),
		       void *ctx)
{
	__u32 cur = lo, end = hi;

	while (cur <= end) {
		__u32 size = 1;
		__u8 bits = PORT_BITS;

		/* The largest aligned block that starts at cur and stays within end. */
		while (bits && !(cur & size) && cur + size * 2 - 1 <= end) {
			size *= 2;
			bits--;
		}
		fn((__u16)cur, bits, ctx);
		cur += size;
	}
}

int pol_writer_open(struct pol_writer *w, const struct pol_maps *maps)
{
	memset(w, 0, sizeof(*w));
	w->maps = *maps;
	return 0;
}

int pol_writer_open_pins(struct pol_writer *w, const struct sluice_pins *pins)
{
	struct pol_maps m = {
		.ipcache_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_IPCACHE4)),
		.identity_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_IDENTITY)),
		.in_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_POLICY_IN)),
		.out_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_POLICY_OUT)),
		.meta_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_POLICY_META)),
	};
	int fds[] = { m.ipcache_fd, m.identity_fd, m.in_fd, m.out_fd, m.meta_fd };
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] < 0 && !err)
			err = fds[i];
	if (!err) {
		pol_writer_open(w, &m);
		w->own_fds = true;
		return 0;
	}
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

void pol_writer_close(struct pol_writer *w)
{
	if (w->own_fds) {
		close(w->maps.ipcache_fd);
		close(w->maps.identity_fd);
		close(w->maps.in_fd);
		close(w->maps.out_fd);
		close(w->maps.meta_fd);
	}
	w->own_fds = false;
}

static int ip_cmp(const void *a, const void *b)
{
	const struct pol_ip *x = a, *y = b;

	if (x->prefixlen != y->prefixlen)
		return x->prefixlen < y->prefixlen ? -1 : 1;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

/* Every entry of the ipcache map now, sorted as pol_writer_ipcache() wants its input. */
static int ipcache_read(int fd, struct pol_ip **out, size_t *n)
{
	struct sluice_ipcache4_key key, next;
	struct sluice_ipcache_value v;
	struct pol_ip *ips = NULL;
	size_t cap = 0;
	void *prev = NULL;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (*n == cap) {
			struct pol_ip *p = realloc(ips, (cap = cap ? cap * 2 : 64) * sizeof(*p));

			if (!p) {
				free(ips);
				return -ENOMEM;
			}
			ips = p;
		}
		ips[(*n)++] = (struct pol_ip){ key.prefixlen, key.addr, v.identity };
	}
	if (*n)
		qsort(ips, *n, sizeof(*ips), ip_cmp);
	*out = ips;
	return 0;
}

int pol_writer_ipcache(struct pol_writer *w, const struct pol_ip *want, size_t n)
{
	struct pol_ip *have;
	size_t n_have, i = 0, j = 0;
	int err = ipcache_read(w->maps.ipcache_fd, &have, &n_have);

	if (err)
		return err;
	/* A merge of two sorted lists: write what is new or changed, delete what went. */
	while (i < n || j < n_have) {
		int c = i == n ? 1 : j == n_have ? -1 : ip_cmp(&want[i], &have[j]);
		struct sluice_ipcache4_key key;
		struct sluice_ipcache_value v;

		if (c <= 0 && (c < 0 || want[i].identity != have[j].identity)) {
			key = (struct sluice_ipcache4_key){ want[i].prefixlen, want[i].addr };
			v.identity = want[i].identity;
			if (bpf_map_update_elem(w->maps.ipcache_fd, &key, &v, BPF_ANY)) {
				pr_err("map %s: cannot write an address's identity: %s",
				       SLUICE_STR(SLUICE_MAP_IPCACHE4), strerror(errno));
				w->stats.failures++;
			} else {
				w->stats.ipcache_writes++;
			}
		} else if (c > 0) {
			key = (struct sluice_ipcache4_key){ have[j].prefixlen, have[j].addr };
			bpf_map_delete_elem(w->maps.ipcache_fd, &key);
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	free(have);
	return 0;
}

int pol_writer_identity(struct pol_writer *w, __u32 id, const char *desc, __u32 flags)
{
	struct sluice_identity_meta want, have;

	memset(&want, 0, sizeof(want));
	want.flags = flags;
	copy_field(want.desc, sizeof(want.desc), desc);
	if (!bpf_map_lookup_elem(w->maps.identity_fd, &id, &have) && have.flags == flags &&
	    !strcmp(have.desc, want.desc))
		return 0;
	if (bpf_map_update_elem(w->maps.identity_fd, &id, &want, BPF_ANY)) {
		w->stats.failures++;
		return -errno;
	}
	return 0;
}

void pol_writer_identity_gone(struct pol_writer *w, __u32 id)
{
	bpf_map_delete_elem(w->maps.identity_fd, &id);
}

int pol_writer_policy_meta(struct pol_writer *w, __u32 id, const char *ns, const char *name)
{
	struct sluice_policy_meta want, have;

	memset(&want, 0, sizeof(want));
	copy_field(want.namespace, sizeof(want.namespace), ns);
	copy_field(want.name, sizeof(want.name), name);
	if (!bpf_map_lookup_elem(w->maps.meta_fd, &id, &have) && !memcmp(&have, &want, sizeof(want)))
		return 0;
	return bpf_map_update_elem(w->maps.meta_fd, &id, &want, BPF_ANY) ? -errno : 0;
}

void pol_writer_policy_meta_gone(struct pol_writer *w, __u32 id)
{
	bpf_map_delete_elem(w->maps.meta_fd, &id);
}

/* One table entry. */
struct kv {
	struct sluice_policy_key k;
	struct sluice_policy_value v;
};

/* The entries of a table, sorted by key. */
struct key_set {
	struct kv *items;
	size_t n, cap;
	int err;
	/* The entry being expanded into port prefixes. */
	__u32 identity;
	__u8 proto;
	__u32 policy_id;
};

static void key_add(struct key_set *ks, const struct sluice_policy_key *k, __u32 policy_id)
{
	if (ks->err)
		return;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 64;
		struct kv *items = realloc(ks->items, cap * sizeof(*items));

		if (!items) {
			ks->err = -ENOMEM;
			return;
		}
		ks->items = items;
		ks->cap = cap;
	}
	ks->items[ks->n].k = *k;
	ks->items[ks->n].v.policy_id = policy_id;
	ks->n++;
}

static int kv_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct kv *)a)->k, &((const struct kv *)b)->k,
		      sizeof(struct sluice_policy_key));
}

static void add_port_prefix(__u16 start, __u8 bits, void *ctx)
{
	struct key_set *ks = ctx;
	struct sluice_policy_key k = {
		.prefixlen = KEY_BITS_BEFORE_PORT + bits,
		.identity = ks->identity,
		.proto = ks->proto,
		.port = htons(start),
	};

	key_add(ks, &k, ks->policy_id);
}

/* What a direction should hold: its allow entries, or the catch-all when open. */
static int keys_build(bool enforced, const struct pol_entries *es, const __u32 *policy_ids,
		      struct key_set *ks)
{
	static const struct sluice_policy_key catch_all = { .prefixlen = 0 };
	size_t i;

	memset(ks, 0, sizeof(*ks));
	if (!enforced) {
		key_add(ks, &catch_all, SLUICE_POLICY_ID_OPEN);
		return ks->err;
	}
	for (i = 0; i < es->n && !ks->err; i++) {
		const struct pol_entry *e = &es->items[i];
		__u32 pid = e->policy == POL_POLICY_BUILTIN ? SLUICE_POLICY_ID_NONE :
							 policy_ids[e->policy];

		if (e->proto == POL_PROTO_ANY) {
			struct sluice_policy_key k = {
				.prefixlen = SLUICE_POLICY_IDENTITY_BITS,
				.identity = e->identity,
			};

			key_add(ks, &k, pid);
			continue;
		}
		ks->identity = e->identity;
		ks->proto = e->proto;
		ks->policy_id = pid;
		pol_port_prefixes(e->lo, e->hi, add_port_prefix, ks);
	}
	if (!ks->err && ks->n)
		qsort(ks->items, ks->n, sizeof(*ks->items), kv_cmp);
	return ks->err;
}

/* What a table holds now, sorted by key. */
static int table_read(int fd, struct key_set *have)
{
	struct sluice_policy_key k, next;
	struct sluice_policy_value v;
	void *prev = NULL;

	memset(have, 0, sizeof(*have));
	while (!have->err && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &v))
			key_add(have, &k, v.policy_id);
	}
	if (!have->err && have->n)
		qsort(have->items, have->n, sizeof(*have->items), kv_cmp);
	return have->err;
}

static void keys_free(struct key_set *ks)
{
	free(ks->items);
}

/*
 * Brings a table from have to want in place: new and changed entries
 * first, stale ones last, so a flow sees the old rules, the new ones, or
 * both, never fewer than either. Returns the entries changed, or -errno.
 */
static long table_sync(int fd, const struct key_set *have, const struct key_set *want)
{
	size_t i = 0, j = 0;
	long changed = 0;

	for (i = 0; i < want->n; i++) {
		const struct kv *old = have->n ? bsearch(&want->items[i], have->items, have->n,
							 sizeof(*have->items), kv_cmp) : NULL;

		if (old && old->v.policy_id == want->items[i].v.policy_id)
			continue;
		if (bpf_map_update_elem(fd, &want->items[i].k, &want->items[i].v, BPF_ANY))
			return -errno;
		changed++;
	}
	for (j = 0; j < have->n; j++) {
		if (want->n && bsearch(&have->items[j], want->items, want->n, sizeof(*want->items),
				       kv_cmp))
			continue;
		if (bpf_map_delete_elem(fd, &have->items[j].k) && errno != ENOENT)
			return -errno;
		changed++;
	}
	return changed;
}

/*
 * A new table, full before the outer map names it. Entering it costs the
 * kernel an RCU grace period (tens of ms): done once per endpoint, when it
 * first gets its tables; later changes edit the table in place.
 */
static int table_create(int outer, const struct sluice_endpoint_key *key,
			const struct key_set *want)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	size_t i;
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "sluice_pol_tbl", sizeof(struct sluice_policy_key),
			    sizeof(struct sluice_policy_value), SLUICE_POLICY_ENTRIES_MAX, &opts);
	if (fd < 0)
		return -errno;
	for (i = 0; i < want->n && !err; i++)
		if (bpf_map_update_elem(fd, &want->items[i].k, &want->items[i].v, BPF_ANY))
			err = -errno;
	if (!err && bpf_map_update_elem(outer, key, &fd, BPF_NOEXIST))
		err = -errno;
	close(fd);
	return err;
}

int pol_writer_endpoint(struct pol_writer *w, const struct sluice_endpoint_key *key,
			enum sluice_direction dir, bool enforced, const struct pol_entries *es,
			const __u32 *policy_ids)
{
	int outer = dir == SLUICE_DIR_INGRESS ? w->maps.in_fd : w->maps.out_fd, fd = -1, err;
	struct key_set want, have = { 0 };
	__u32 inner_id;
	long changed;

	err = keys_build(enforced, es, policy_ids, &want);
	if (!err && want.n > SLUICE_POLICY_ENTRIES_MAX)
		err = -E2BIG;
	if (err)
		goto out;
	if (bpf_map_lookup_elem(outer, key, &inner_id)) {
		err = table_create(outer, key, &want);
		if (!err)
			w->stats.policy_swaps++;
		goto out;
	}
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = table_read(fd, &have);
	if (err)
		goto out;
	changed = table_sync(fd, &have, &want);
	if (changed < 0)
		err = (int)changed;
	else if (changed)
		w->stats.policy_swaps++;
out:
	if (err) {
		w->stats.failures++;
		/* A table too small is left as it was; a failed edit as far as it got. */
		pr_err("cannot write a %s policy table (%zu entries): %s",
		       dir == SLUICE_DIR_INGRESS ? "ingress" : "egress", want.n,
		       err == -E2BIG ? "more than a table holds" : strerror(-err));
	}
	if (fd >= 0)
		close(fd);
	keys_free(&want);
	keys_free(&have);
	return err;
}

void pol_writer_endpoint_gone(struct pol_writer *w, const struct sluice_endpoint_key *key)
{
	bpf_map_delete_elem(w->maps.in_fd, key);
	bpf_map_delete_elem(w->maps.out_fd, key);
}

int pol_endpoint_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sluice_endpoint_key));
}

/* Deletes after the walk: a hash walk from a deleted key starts over. */
static void prune_outer(int outer_fd, const struct sluice_endpoint_key *keep, size_t n)
{
	struct sluice_endpoint_key key, next, *gone = NULL, *more;
	size_t n_gone = 0, cap = 0, i;
	void *prev = NULL;

	while (!bpf_map_get_next_key(outer_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (n && bsearch(&key, keep, n, sizeof(*keep), pol_endpoint_key_cmp))
			continue;
		if (n_gone == cap) {
			more = realloc(gone, (cap = cap ? cap * 2 : 16) * sizeof(*gone));
			if (!more)
				break;
			gone = more;
		}
		gone[n_gone++] = key;
	}
	for (i = 0; i < n_gone; i++)
		bpf_map_delete_elem(outer_fd, &gone[i]);
	free(gone);
}

void pol_writer_endpoints_prune(struct pol_writer *w, const struct sluice_endpoint_key *keep,
				size_t n)
{
	prune_outer(w->maps.in_fd, keep, n);
	prune_outer(w->maps.out_fd, keep, n);
}
