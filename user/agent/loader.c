// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "tc_pod.skel.h"
#include "agent/loader.h"
#include "lib/log.h"

/* Pin directories hold kernel objects only root should touch. */
#define PIN_DIR_MODE 0700
/* A new pin's name until it is renamed over the old one; bpffs refuses '.' in names. */
#define PIN_TMP_SUFFIX "_new"

static int mkdir_one(const char *path)
{
	if (mkdir(path, PIN_DIR_MODE) && errno != EEXIST) {
		int err = -errno;

		pr_err("cannot create pin directory %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

/* Creates the root and its subdirectories, refusing a root outside bpffs. */
static int pin_dirs_create(const struct sluice_pins *pins)
{
	char path[PATH_MAX];
	struct statfs fs;
	int err;

	err = mkdir_one(pins->root);
	if (err)
		return err;
	if (statfs(pins->root, &fs)) {
		err = -errno;
		pr_err("cannot stat pin root %s: %s", pins->root, strerror(-err));
		return err;
	}
	if (fs.f_type != BPF_FS_MAGIC) {
		pr_err("pin root %s is not on a bpffs mount (mount -t bpf bpf /sys/fs/bpf)",
		       pins->root);
		return -ENOTSUP;
	}
	err = pins_subdir(pins, SLUICE_PIN_DIR_MAPS, path, sizeof(path));
	if (!err)
		err = mkdir_one(path);
	if (!err)
		err = pins_subdir(pins, SLUICE_PIN_DIR_PROGS, path, sizeof(path));
	return err ? err : mkdir_one(path);
}

int loader_lock(const struct sluice_pins *pins)
{
	char path[PATH_MAX];
	int err, fd;

	err = pin_dirs_create(pins);
	if (err)
		return err;
	err = pins_subdir(pins, SLUICE_PIN_DIR_MAPS, path, sizeof(path));
	if (err)
		return err;
	/* The maps directory, not the root: sluice-cni locks the root for its own steps. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return err;
	}
	return fd;
}

static bool is_sluice_map(const char *name)
{
	size_t i;

	for (i = 0; i < sluice_map_count; i++)
		if (!strcmp(name, sluice_map_names[i]))
			return true;
	return false;
}

/*
 * libbpf would refuse an incompatible pin too, but without saying which
 * property differs; an operator needs that to choose between migrating and
 * `sluice uninstall`.
 */
static int check_pinned_map(const char *path, const struct bpf_map *map)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
#define MISMATCH(what, pinned, ours)                                              \
	if ((pinned) != (ours)) {                                                 \
		pr_err("pinned map %s has %s %u, this build needs %u; run "       \
		       "`sluice uninstall` to start over", path, what,            \
		       (unsigned)(pinned), (unsigned)(ours));                     \
		err = -EPROTO;                                                    \
		goto out;                                                         \
	}
	MISMATCH("type", info.type, bpf_map__type(map));
	MISMATCH("key size", info.key_size, bpf_map__key_size(map));
	MISMATCH("value size", info.value_size, bpf_map__value_size(map));
	MISMATCH("max_entries", info.max_entries, bpf_map__max_entries(map));
	MISMATCH("flags", info.map_flags, bpf_map__map_flags(map));
#undef MISMATCH
out:
	close(fd);
	return err;
}

static int maps_set_pins(const struct sluice_pins *pins, struct bpf_object *obj)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		if (!is_sluice_map(name))
			continue;
		err = pins_map_path(pins, name, path, sizeof(path));
		if (!err)
			err = check_pinned_map(path, map);
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err) {
			pr_err("map %s: cannot use pin %s: %s", name, path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * A rename over the old pin is atomic: a CNI plugin opening the pin at any
 * moment gets either the old program or the new one, never nothing.
 */
static int prog_pin_replace(const struct sluice_pins *pins, struct bpf_object *obj,
			    const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX + sizeof(PIN_TMP_SUFFIX)];
	struct bpf_program *prog;
	int err;

	prog = bpf_object__find_program_by_name(obj, name);
	if (!prog) {
		pr_err("program %s is missing from the BPF object", name);
		return -ENOENT;
	}
	err = pins_prog_path(pins, name, path, sizeof(path));
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s" PIN_TMP_SUFFIX, path);
	unlink(tmp);
	err = bpf_program__pin(prog, tmp);
	if (err) {
		pr_err("cannot pin program %s at %s: %s", name, tmp, strerror(-err));
		return err;
	}
	if (rename(tmp, path)) {
		err = -errno;
		pr_err("cannot move program pin %s to %s: %s", tmp, path, strerror(-err));
		unlink(tmp);
		return err;
	}
	return 0;
}

int loader_load(const struct sluice_pins *pins, struct tc_pod **out)
{
	struct tc_pod *skel;
	size_t i;
	int err;

	err = pin_dirs_create(pins);
	if (err)
		return err;
	skel = tc_pod__open();
	if (!skel) {
		err = -errno;
		pr_err("cannot open the tc_pod BPF object: %s", strerror(-err));
		return err;
	}
	err = maps_set_pins(pins, skel->obj);
	if (err)
		goto fail;
	err = tc_pod__load(skel);
	if (err) {
		pr_err("cannot load the tc_pod BPF programs (see the verifier log above): %s",
		       strerror(-err));
		goto fail;
	}
	for (i = 0; i < sluice_prog_count; i++) {
		err = prog_pin_replace(pins, skel->obj, sluice_prog_names[i]);
		if (err)
			goto fail;
	}
	*out = skel;
	return 0;
fail:
	tc_pod__destroy(skel);
	return err;
}
