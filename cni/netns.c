// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "netns.h"

int netns_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), type;

	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int netns_enter(int ns_fd, int *saved_fd)
{
	*saved_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved_fd < 0)
		return -errno;
	if (setns(ns_fd, CLONE_NEWNET)) {
		int err = -errno;

		close(*saved_fd);
		*saved_fd = -1;
		return err;
	}
	return 0;
}

int netns_leave(int saved_fd)
{
	int err = setns(saved_fd, CLONE_NEWNET) ? -errno : 0;

	close(saved_fd);
	return err;
}
