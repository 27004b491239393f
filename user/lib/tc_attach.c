// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/tc_attach.h"

/*
 * Our filters' place in each clsact hook: priority 1 runs before anything an
 * operator adds after us, and a fixed handle lets an upgrade replace exactly
 * our filter rather than stack a second one.
 */
#define SLUICE_TC_PRIORITY 1
#define SLUICE_TC_HANDLE 1

static int tc_attach_one(int ifindex, enum bpf_tc_attach_point point, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SLUICE_TC_HANDLE,
			    .priority = SLUICE_TC_PRIORITY, .prog_fd = prog_fd,
			    .flags = BPF_TC_F_REPLACE);

	return bpf_tc_attach(&hook, &opts);
}

/* One clsact qdisc serves both the ingress and the egress hook. */
static int tc_hook_create(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	int err = bpf_tc_hook_create(&hook);

	return err == -EEXIST ? 0 : err;
}

static int tc_attach_both(int ifindex, int from_fd, int to_fd)
{
	int err = tc_attach_one(ifindex, BPF_TC_INGRESS, from_fd);

	return err ? err : tc_attach_one(ifindex, BPF_TC_EGRESS, to_fd);
}

int tc_attach_pod(const struct sluice_pins *pins, int ifindex, bool new_device)
{
	int from_fd, to_fd, err;

	from_fd = pins_open_prog(pins, SLUICE_STR(SLUICE_PROG_FROM_POD));
	if (from_fd < 0)
		return from_fd;
	to_fd = pins_open_prog(pins, SLUICE_STR(SLUICE_PROG_TO_POD));
	if (to_fd < 0) {
		close(from_fd);
		return to_fd;
	}
	/*
	 * The qdisc is created only where it cannot exist yet, and elsewhere only
	 * when attaching says it is gone: either way the kernel has no "exists"
	 * or "no qdisc" complaint to log.
	 */
	if (new_device) {
		err = tc_hook_create(ifindex);
		if (!err)
			err = tc_attach_both(ifindex, from_fd, to_fd);
	} else {
		err = tc_attach_both(ifindex, from_fd, to_fd);
		if (err == -EINVAL && !tc_hook_create(ifindex))
			err = tc_attach_both(ifindex, from_fd, to_fd);
	}
	close(from_fd);
	close(to_fd);
	return err;
}

int tc_attach_overlay(const struct sluice_pins *pins, int ifindex)
{
	int from_fd, to_fd, err;

	from_fd = pins_open_prog(pins, SLUICE_STR(SLUICE_PROG_FROM_OVERLAY));
	if (from_fd < 0)
		return from_fd;
	to_fd = pins_open_prog(pins, SLUICE_STR(SLUICE_PROG_TO_OVERLAY));
	if (to_fd < 0) {
		close(from_fd);
		return to_fd;
	}
	err = tc_hook_create(ifindex);
	if (!err)
		err = tc_attach_both(ifindex, from_fd, to_fd);
	close(from_fd);
	close(to_fd);
	return err;
}

static int tc_detach_one(int ifindex, enum bpf_tc_attach_point point)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SLUICE_TC_HANDLE,
			    .priority = SLUICE_TC_PRIORITY);
	int err = bpf_tc_detach(&hook, &opts);

	/* No qdisc, no filter, or no device: nothing of ours is there. */
	return err == -ENOENT || err == -EINVAL || err == -ENODEV ? 0 : err;
}

int tc_detach_pod(int ifindex)
{
	int err = tc_detach_one(ifindex, BPF_TC_INGRESS);

	return err ? err : tc_detach_one(ifindex, BPF_TC_EGRESS);
}

static int tc_query_one(int ifindex, enum bpf_tc_attach_point point, __u32 *id)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SLUICE_TC_HANDLE,
			    .priority = SLUICE_TC_PRIORITY);
	int err = bpf_tc_query(&hook, &opts);

	*id = 0;
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	*id = opts.prog_id;
	return 0;
}

int tc_query_pod(int ifindex, struct tc_pod_progs *out)
{
	int err = tc_query_one(ifindex, BPF_TC_INGRESS, &out->from_pod);

	return err ? err : tc_query_one(ifindex, BPF_TC_EGRESS, &out->to_pod);
}

static int pinned_prog_id(const struct sluice_pins *pins, const char *name, __u32 *id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd, err;

	fd = pins_open_prog(pins, name);
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		err = -errno;
	else
		*id = info.id;
	close(fd);
	return err;
}

int tc_pinned_pod(const struct sluice_pins *pins, struct tc_pod_progs *out)
{
	int err = pinned_prog_id(pins, SLUICE_STR(SLUICE_PROG_FROM_POD), &out->from_pod);

	return err ? err : pinned_prog_id(pins, SLUICE_STR(SLUICE_PROG_TO_POD), &out->to_pod);
}

int tc_attach_net(const struct sluice_pins *pins, int ifindex)
{
	int fd = pins_open_prog(pins, SLUICE_STR(SLUICE_PROG_FROM_NET)), err;

	if (fd < 0)
		return fd;
	/* A node device usually has no clsact yet; after a restart it does. */
	err = tc_attach_one(ifindex, BPF_TC_INGRESS, fd);
	if (err == -EINVAL && !tc_hook_create(ifindex))
		err = tc_attach_one(ifindex, BPF_TC_INGRESS, fd);
	close(fd);
	return err;
}

int tc_detach_net(int ifindex)
{
	struct bpf_prog_info info;
	__u32 id, len = sizeof(info);
	int fd, err;

	err = tc_query_one(ifindex, BPF_TC_INGRESS, &id);
	if (err || !id)
		return err;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	/* Only our own program: another tool may use the same place on a device. */
	if (err || strcmp(info.name, SLUICE_STR(SLUICE_PROG_FROM_NET)))
		return err;
	err = tc_detach_one(ifindex, BPF_TC_INGRESS);
	return err ? err : 1;
}
