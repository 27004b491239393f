// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agent/map_pins.h"
#include "lib/log.h"

/* A new pin's name until it is renamed over the old one; bpffs refuses '.' in names. */
#define PIN_TMP_SUFFIX "_new"
/* Per-CPU values are laid out in 8-byte slots, one per possible CPU. */
#define PERCPU_VALUE_ALIGN 8

/* Maps whose contents nothing can derive again: a layout change must stop the load. */
static const char *const keep_maps[] = {
	SLUICE_STR(SLUICE_MAP_ENDPOINT),
	SLUICE_STR(SLUICE_MAP_EP_META),
	SLUICE_STR(SLUICE_MAP_CT4),
};

static bool must_keep(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keep_maps) / sizeof(keep_maps[0]); i++)
		if (!strcmp(name, keep_maps[i]))
			return true;
	return false;
}

static bool is_sluice_map(const char *name)
{
	size_t i;

	for (i = 0; i < sluice_map_count; i++)
		if (!strcmp(name, sluice_map_names[i]))
			return true;
	return false;
}

static bool is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_map_in_map(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static int plan_one(struct map_pin *mp, const char *name)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct bpf_map *m = mp->map;
	int fd;

	fd = bpf_obj_get(mp->path);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		mp->plan = MAP_PIN_CREATE;
		return bpf_map__set_pin_path(m, mp->path);
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return -errno;
	}
	if (info.type == bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	    info.value_size == bpf_map__value_size(m) && info.map_flags == bpf_map__map_flags(m)) {
		if (info.max_entries == bpf_map__max_entries(m)) {
			close(fd);
			mp->plan = MAP_PIN_REUSE;
			return bpf_map__set_pin_path(m, mp->path);
		}
		/* A ring buffer holds no entries to carry over: only events in flight. */
		if (info.type == BPF_MAP_TYPE_RINGBUF) {
			close(fd);
			mp->plan = MAP_PIN_REBUILD;
			return 0;
		}
		pr_info("map %s: %u entries pinned, %u configured: migrating its entries",
			name, info.max_entries, bpf_map__max_entries(m));
		mp->plan = MAP_PIN_MIGRATE;
		mp->old_fd = fd;
		return 0;
	}
	close(fd);
	if (must_keep(name)) {
		pr_err("pinned map %s has type %u, key %u, value %u bytes, flags %#x; this build "
		       "needs %u, %u, %u, %#x and cannot convert its entries: run `sluice "
		       "uninstall` to start over", mp->path, info.type, info.key_size,
		       info.value_size, info.map_flags, bpf_map__type(m), bpf_map__key_size(m),
		       bpf_map__value_size(m), bpf_map__map_flags(m));
		return -EPROTO;
	}
	pr_warn("map %s: pinned layout differs from this build; it is rebuilt from the "
		"agent's state", name);
	mp->plan = MAP_PIN_REBUILD;
	return 0;
}

int map_pins_plan(const struct sluice_pins *pins, struct bpf_object *obj, struct map_pins *mp)
{
	struct bpf_map *map;
	int err;

	memset(mp, 0, sizeof(*mp));
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		struct map_pin *p;

		if (!is_sluice_map(name))
			continue;
		if (mp->n == MAP_PINS_MAX)
			return -E2BIG;
		p = &mp->pins[mp->n++];
		p->map = map;
		p->old_fd = -1;
		err = pins_map_path(pins, name, p->path, sizeof(p->path));
		if (!err)
			err = plan_one(p, name);
		if (err) {
			pr_err("map %s: cannot use pin %s: %s", name, p->path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The value of key in src, written to dst; inner maps travel as fds. */
static int copy_one(int src_fd, int dst_fd, __u32 type, const void *key, void *val)
{
	int inner = -1, err = 0;

	if (bpf_map_lookup_elem(src_fd, key, val))
		return errno == ENOENT ? 0 : -errno;
	if (is_map_in_map(type)) {
		inner = bpf_map_get_fd_by_id(*(__u32 *)val);
		if (inner < 0)
			return errno == ENOENT ? 0 : -errno;
		*(__u32 *)val = (__u32)inner;
	}
	if (bpf_map_update_elem(dst_fd, key, val, BPF_ANY))
		err = -errno;
	if (inner >= 0)
		close(inner);
	return err;
}

long map_copy_entries(int src_fd, int dst_fd, size_t *dropped)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	size_t val_size;
	void *key, *next, *val;
	long copied = 0;
	int err = 0, ncpus;

	*dropped = 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(src_fd, &info, &len))
		return -errno;
	val_size = info.value_size;
	if (is_percpu(info.type)) {
		ncpus = libbpf_num_possible_cpus();
		if (ncpus < 0)
			return ncpus;
		val_size = (val_size + PERCPU_VALUE_ALIGN - 1) / PERCPU_VALUE_ALIGN *
			   PERCPU_VALUE_ALIGN * (size_t)ncpus;
	}
	key = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	val = calloc(1, val_size);
	if (!key || !next || !val) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_get_next_key(src_fd, NULL, next))
		goto out;	/* empty */
	do {
		memcpy(key, next, info.key_size);
		err = copy_one(src_fd, dst_fd, info.type, key, val);
		if (err == -E2BIG) {
			(*dropped)++;
			err = 0;
		} else if (!err) {
			copied++;
		} else {
			break;
		}
	} while (!bpf_map_get_next_key(src_fd, key, next));
out:
	free(key);
	free(next);
	free(val);
	return err ? err : copied;
}

/* Under a temporary name first: a reader never finds the path without a pin. */
int pin_replace(int fd, const char *path)
{
	char tmp[PATH_MAX + sizeof(PIN_TMP_SUFFIX)];

	snprintf(tmp, sizeof(tmp), "%s" PIN_TMP_SUFFIX, path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

int map_pins_finish(struct map_pins *mp)
{
	size_t i, dropped;
	long copied;
	int err;

	for (i = 0; i < mp->n; i++) {
		struct map_pin *p = &mp->pins[i];
		const char *name = bpf_map__name(p->map);
		int fd = bpf_map__fd(p->map);

		if (p->plan == MAP_PIN_CREATE || p->plan == MAP_PIN_REUSE)
			continue;
		if (p->plan == MAP_PIN_MIGRATE) {
			copied = map_copy_entries(p->old_fd, fd, &dropped);
			if (copied < 0) {
				pr_err("map %s: migrating entries failed: %s", name,
				       strerror((int)-copied));
				return (int)copied;
			}
			if (dropped)
				pr_warn("map %s: %zu entries did not fit the new size and were dropped",
					name, dropped);
			pr_info("map %s: %ld entries migrated", name, copied);
		}
		err = pin_replace(fd, p->path);
		if (err) {
			pr_err("map %s: cannot pin the new map at %s: %s", name, p->path,
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

void map_pins_release(struct map_pins *mp)
{
	size_t i;

	for (i = 0; i < mp->n; i++) {
		if (mp->pins[i].old_fd >= 0)
			close(mp->pins[i].old_fd);
		mp->pins[i].old_fd = -1;
	}
}
