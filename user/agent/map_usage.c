// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/map_usage.h"
#include "lib/bpf_batch.h"

/* Bytes of keys and values one batch lookup reads at most. */
#define WALK_BATCH_BYTES (1 << 20)
/* Entries per batch lookup: at least this many, at most the next. */
#define WALK_BATCH_MIN 16
#define WALK_BATCH_MAX 4096
/* Bytes of a ring buffer position (an unsigned long in the kernel's pages). */
#define RING_POS_T unsigned long

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Bytes one entry's value takes in a user-space buffer (per-CPU: every CPU's, 8-aligned). */
static size_t value_bytes(const struct bpf_map_info *info)
{
	int ncpu;

	if (!is_percpu(info->type))
		return info->value_size;
	ncpu = libbpf_num_possible_cpus();
	return (size_t)((info->value_size + 7) & ~7U) * (size_t)(ncpu > 0 ? ncpu : 1);
}

/* Called for every entry a walk finds. */
typedef void (*walk_fn)(const void *key, const void *value, void *ctx);

/*
 * Every entry by batch lookup. -EOPNOTSUPP when the map has no batch
 * operations (or refuses the first batch), so the caller walks keys instead.
 */
static int walk_batch(int fd, const struct bpf_map_info *info, walk_fn fn, void *ctx, __u64 *n)
{
	size_t vsize = value_bytes(info), per = info->key_size + vsize, i;
	__u32 chunk = (__u32)(WALK_BATCH_BYTES / (per ? per : 1));
	void *keys, *vals, *token;
	bool first = true;
	int err = 0;

	chunk = chunk < WALK_BATCH_MIN ? WALK_BATCH_MIN : chunk > WALK_BATCH_MAX ? WALK_BATCH_MAX :
										  chunk;
	keys = calloc(chunk, info->key_size);
	vals = calloc(chunk, vsize);
	/* The batch token: a bucket number for hash maps, a key for the generic batch. */
	token = calloc(1, info->key_size > 8 ? info->key_size : 8);
	*n = 0;
	if (!keys || !vals || !token) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = chunk;

		err = bpf_map_lookup_batch(fd, first ? NULL : token, token, keys, vals, &count,
					   NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			if (first && (batch_unsupported(err) || err == -EINTR))
				err = -EOPNOTSUPP;
			goto out;
		}
		for (i = 0; fn && i < count; i++)
			fn((char *)keys + i * info->key_size, (char *)vals + i * vsize, ctx);
		*n += count;
		first = false;
		if (err) {
			/* ENOENT: that was the last batch. */
			err = 0;
			break;
		}
	}
out:
	free(keys);
	free(vals);
	free(token);
	return err;
}

/*
 * Every entry by get_next_key. A hash walk restarts when its current key is
 * deleted under it, so it stops at the map's capacity rather than loop.
 */
static int walk_keys(int fd, const struct bpf_map_info *info, walk_fn fn, void *ctx, __u64 *n)
{
	void *prev = calloc(1, info->key_size), *next = calloc(1, info->key_size), *tmp;
	void *val = fn ? calloc(1, value_bytes(info)) : NULL;
	bool first = true;
	int err = 0;

	*n = 0;
	if (!prev || !next || (fn && !val)) {
		err = -ENOMEM;
		goto out;
	}
	while (*n < info->max_entries && !bpf_map_get_next_key(fd, first ? NULL : prev, next)) {
		first = false;
		if (!fn) {
			(*n)++;
		} else if (!bpf_map_lookup_elem(fd, next, val)) {
			/* A key deleted since get_next_key found it is skipped. */
			fn(next, val, ctx);
			(*n)++;
		}
		tmp = prev;
		prev = next;
		next = tmp;
	}
out:
	free(prev);
	free(next);
	free(val);
	return err;
}

static int map_walk(int fd, const struct bpf_map_info *info, walk_fn fn, void *ctx, __u64 *n)
{
	int err = walk_batch(fd, info, fn, ctx, n);

	return err == -EOPNOTSUPP ? walk_keys(fd, info, fn, ctx, n) : err;
}

/* Bytes of a ring buffer the producer wrote and no consumer has read yet. */
static int ring_unread(int fd, __u64 *unread)
{
	long page = sysconf(_SC_PAGESIZE);
	void *cons, *prod;
	int err;

	/* Read-only mappings of the consumer page and the producer page after it. */
	cons = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	prod = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, page);
	if (prod == MAP_FAILED) {
		err = -errno;
		munmap(cons, (size_t)page);
		return err;
	}
	*unread = __atomic_load_n((RING_POS_T *)prod, __ATOMIC_ACQUIRE) -
		  __atomic_load_n((RING_POS_T *)cons, __ATOMIC_ACQUIRE);
	munmap(prod, (size_t)page);
	munmap(cons, (size_t)page);
	return 0;
}

/* Slots of an array of maps that hold a map; an empty slot fails its lookup. */
static __u64 count_inner_maps(int fd, __u32 slots)
{
	__u32 i, id;
	__u64 n = 0;

	for (i = 0; i < slots; i++)
		n += !bpf_map_lookup_elem(fd, &i, &id);
	return n;
}

bool map_type_can_fill(__u32 type)
{
	return type != BPF_MAP_TYPE_ARRAY && type != BPF_MAP_TYPE_PERCPU_ARRAY &&
	       type != BPF_MAP_TYPE_RINGBUF;
}

double map_usage_pct(const struct map_usage *u)
{
	return u->capacity ? 100.0 * (double)u->entries / (double)u->capacity : 0;
}

int map_usage_read(int fd, bool count, struct map_usage *u)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	u->type = info.type;
	u->capacity = info.max_entries;
	u->entries = 0;
	if (!count)
		return 0;
	switch (info.type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		u->entries = info.max_entries;
		return 0;
	case BPF_MAP_TYPE_RINGBUF:
		return ring_unread(fd, &u->entries);
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		u->entries = count_inner_maps(fd, info.max_entries);
		return 0;
	default:
		return map_walk(fd, &info, NULL, NULL, &u->entries);
	}
}

struct drop_sums {
	struct sluice_counter *sums;
	bool *seen;
	int ncpu;
};

static void drop_visit(const void *key, const void *value, void *ctx)
{
	const struct sluice_drop_key *k = key;
	const struct sluice_counter *per_cpu = value;
	struct drop_sums *d = ctx;
	int i;

	if (k->reason >= SLUICE_VERDICT_MAX)
		return;
	d->seen[k->reason] = true;
	for (i = 0; i < d->ncpu; i++) {
		d->sums[k->reason].packets += per_cpu[i].packets;
		d->sums[k->reason].bytes += per_cpu[i].bytes;
	}
}

int drops_by_reason(int fd, struct sluice_counter sums[SLUICE_VERDICT_MAX],
		    bool seen[SLUICE_VERDICT_MAX])
{
	struct drop_sums d = { .sums = sums, .seen = seen, .ncpu = libbpf_num_possible_cpus() };
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	__u64 n;

	memset(sums, 0, SLUICE_VERDICT_MAX * sizeof(*sums));
	memset(seen, 0, SLUICE_VERDICT_MAX * sizeof(*seen));
	memset(&info, 0, sizeof(info));
	if (d.ncpu <= 0)
		return d.ncpu ? d.ncpu : -EINVAL;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size != sizeof(struct sluice_drop_key) ||
	    info.value_size != sizeof(struct sluice_counter) || !is_percpu(info.type))
		return -EPROTO;
	return map_walk(fd, &info, drop_visit, &d, &n);
}
