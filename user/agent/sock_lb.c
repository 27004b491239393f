// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agent/sock_lb.h"
#include "lib/log.h"

/* Link pins hold kernel objects only root should touch. */
#define LINK_DIR_MODE 0700

static int link_path(const struct sluice_pins *pins, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s/%s", pins->root, SLUICE_PIN_DIR_LINKS, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The cgroup id of a pinned link, or 0 when none is pinned there. */
static __u64 pinned_cgroup(const char *path)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	__u64 id = 0;

	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_CGROUP)
		id = info.cgroup.cgroup_id;
	close(fd);
	return id;
}

static int attach_one(const char *path, struct bpf_program *prog, int cg_fd, __u64 cg_id)
{
	struct bpf_link *link;
	int err;

	/* Same cgroup: move the pinned link onto the new program, atomically. */
	if (pinned_cgroup(path) == cg_id) {
		link = bpf_link__open(path);
		if (!link)
			return -errno;
		err = bpf_link__update_program(link, prog);
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		return err;
	}
	/* Another cgroup, or none yet: the new link first, then the old one goes. */
	link = bpf_program__attach_cgroup(prog, cg_fd);
	if (!link)
		return -errno;
	unlink(path);
	err = bpf_link__pin(link, path);
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return err;
}

int sock_lb_enable(const struct sluice_pins *pins, struct bpf_object *obj, const char *cgroup_path)
{
	struct bpf_program *prog;
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat sb;
	int cg_fd, err = 0;

	cg_fd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0 || fstat(cg_fd, &sb)) {
		err = -errno;
		pr_err("--cgroup-root %s: %s", cgroup_path, strerror(-err));
		if (cg_fd >= 0)
			close(cg_fd);
		return err;
	}
	if (pins_subdir(pins, SLUICE_PIN_DIR_LINKS, dir, sizeof(dir)) ||
	    (mkdir(dir, LINK_DIR_MODE) && errno != EEXIST)) {
		err = -errno;
		goto out;
	}
	bpf_object__for_each_program(prog, obj) {
		err = link_path(pins, bpf_program__name(prog), path, sizeof(path));
		/* A cgroup's id is its directory's inode number on cgroup2. */
		if (!err)
			err = attach_one(path, prog, cg_fd, (__u64)sb.st_ino);
		if (err) {
			pr_err("cannot attach %s to cgroup %s: %s", bpf_program__name(prog),
			       cgroup_path, strerror(-err));
			goto out;
		}
	}
	pr_info("socket load balancing on for cgroup %s", cgroup_path);
out:
	close(cg_fd);
	return err;
}

int sock_lb_disable(const struct sluice_pins *pins)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int err = 0, n = 0;

	if (pins_subdir(pins, SLUICE_PIN_DIR_LINKS, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path))
			err = -errno;
		else
			n++;
	}
	closedir(d);
	if (n)
		pr_info("socket load balancing off: %d hooks detached", n);
	return err;
}

int cgroup2_mount(char *buf, size_t len)
{
	char line[4096], mnt[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = -ENOENT;

	if (!f)
		return -errno;
	/* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ... */
	while (found && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s", type) != 1 || strcmp(type, "cgroup2"))
			continue;
		if ((size_t)snprintf(buf, len, "%s", mnt) < len)
			found = 0;
	}
	fclose(f);
	return found;
}
