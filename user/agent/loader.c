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
#include "tc_node.skel.h"
#include "sock_lb.skel.h"
#include "agent/loader.h"
#include "agent/map_pins.h"
#include "lib/log.h"

/* Pin directories hold kernel objects only root should touch. */
#define PIN_DIR_MODE 0700

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

/* Pins every program of obj under its own name. */
static int progs_pin(const struct sluice_pins *pins, struct bpf_object *obj)
{
	struct bpf_program *prog;
	char path[PATH_MAX];
	int err;

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);

		err = pins_prog_path(pins, name, path, sizeof(path));
		if (!err)
			err = pin_replace(bpf_program__fd(prog), path);
		if (err) {
			pr_err("cannot pin program %s at %s: %s", name, path, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int apply_sizes(struct tc_pod *skel, const struct loader_opts *opts)
{
	struct bpf_map *map;
	size_t i;
	int err;

	for (i = 0; i < opts->n_sizes; i++) {
		map = bpf_object__find_map_by_name(skel->obj, opts->sizes[i].name);
		if (!map) {
			pr_err("--map-entries: no map named %s", opts->sizes[i].name);
			return -ENOENT;
		}
		err = bpf_map__set_max_entries(map, opts->sizes[i].entries);
		if (err)
			return err;
	}
	/* A table size other than the pinned map's makes map_pins rebuild it. */
	skel->rodata->cfg_maglev_size = opts->maglev_size;
	return bpf_map__set_value_size(skel->maps.sluice_maglev,
				       opts->maglev_size * sizeof(__u32));
}

/*
 * The pod object owns the pinned maps; every other object shares them, so
 * all programs see one set of maps whatever object they come from.
 */
static int share_maps(struct bpf_object *owner, struct bpf_object *obj)
{
	struct bpf_map *map, *mine;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		mine = bpf_object__find_map_by_name(owner, bpf_map__name(map));
		if (!mine) {
			pr_err("map %s has no twin in the pod object", bpf_map__name(map));
			return -ENOENT;
		}
		err = bpf_map__reuse_fd(map, bpf_map__fd(mine));
		if (err)
			return err;
	}
	return 0;
}

static int load_pod(const struct sluice_pins *pins, const struct loader_opts *opts,
		    struct tc_pod **out)
{
	struct map_pins mp;
	struct tc_pod *skel;
	int err;

	skel = tc_pod__open();
	if (!skel) {
		err = -errno;
		pr_err("cannot open the tc_pod BPF object: %s", strerror(-err));
		return err;
	}
	err = apply_sizes(skel, opts);
	if (err) {
		pr_err("cannot size the maps: %s", strerror(-err));
		goto fail;
	}
	err = map_pins_plan(pins, skel->obj, &mp);
	if (err)
		goto fail;
	err = tc_pod__load(skel);
	if (err) {
		pr_err("cannot load the tc_pod BPF programs (see the verifier log above): %s",
		       strerror(-err));
		goto fail_pins;
	}
	err = map_pins_finish(&mp);
	map_pins_release(&mp);
	if (err)
		goto fail;
	*out = skel;
	return 0;
fail_pins:
	map_pins_release(&mp);
fail:
	tc_pod__destroy(skel);
	return err;
}

static int load_node(const struct tc_pod *pod, const struct loader_opts *opts,
		     struct tc_node **out)
{
	struct tc_node *skel = tc_node__open();
	int err;

	if (!skel) {
		err = -errno;
		pr_err("cannot open the tc_node BPF object: %s", strerror(-err));
		return err;
	}
	skel->rodata->cfg_maglev_size = opts->maglev_size;
	err = share_maps(pod->obj, skel->obj);
	if (!err) {
		err = tc_node__load(skel);
		if (err)
			pr_err("cannot load the tc_node BPF programs (see the verifier log above): %s",
			       strerror(-err));
	}
	if (err) {
		tc_node__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int load_sock(const struct tc_pod *pod, const struct loader_opts *opts,
		     struct sock_lb **out)
{
	struct sock_lb *skel = sock_lb__open();
	int err;

	if (!skel) {
		err = -errno;
		pr_err("cannot open the sock_lb BPF object: %s", strerror(-err));
		return err;
	}
	skel->rodata->cfg_maglev_size = opts->maglev_size;
	err = share_maps(pod->obj, skel->obj);
	if (!err) {
		err = sock_lb__load(skel);
		if (err)
			pr_err("cannot load the sock_lb BPF programs (see the verifier log above): %s",
			       strerror(-err));
	}
	if (err) {
		sock_lb__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

int loader_load(const struct sluice_pins *pins, const struct loader_opts *opts,
		struct datapath *dp)
{
	int err;

	memset(dp, 0, sizeof(*dp));
	err = pin_dirs_create(pins);
	if (!err)
		err = load_pod(pins, opts, &dp->pod);
	if (!err)
		err = load_node(dp->pod, opts, &dp->node);
	if (!err)
		err = load_sock(dp->pod, opts, &dp->sock);
	/* Programs are pinned last: a CNI plugin never attaches a program whose maps are not pinned. */
	if (!err)
		err = progs_pin(pins, dp->pod->obj);
	if (!err)
		err = progs_pin(pins, dp->node->obj);
	if (!err)
		err = progs_pin(pins, dp->sock->obj);
	if (err)
		loader_unload(dp);
	return err;
}

void loader_unload(struct datapath *dp)
{
	sock_lb__destroy(dp->sock);
	dp->sock = NULL;
	tc_node__destroy(dp->node);
	tc_pod__destroy(dp->pod);
	dp->node = NULL;
	dp->pod = NULL;
}
