// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "plugin.h"

int cni_lock(const struct sluice_pins *pins)
{
	int fd = open(pins->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* bpffs has no locking of its own; flock() on the directory works on any filesystem. */
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	return fd;
}
