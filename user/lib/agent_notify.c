// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/agent_notify.h"

/* Requests waiting for the agent's loop; CNI calls seldom come in bursts larger. */
#define NOTIFY_BACKLOG 64

/* "\0sluice-agent:<root>": the leading NUL makes it abstract. */
static socklen_t notify_addr(const struct sluice_pins *pins, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "sluice-agent:%s", pins->root);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path) - 1)
		n = (int)sizeof(sa->sun_path) - 2;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int agent_notify_listen(const struct sluice_pins *pins)
{
	struct sockaddr_un sa;
	socklen_t len = notify_addr(pins, &sa);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, len) || listen(fd, NOTIFY_BACKLOG)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A connection is the whole request: there is one thing to ask. */
int agent_notify_accept(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* A plugin that gave up waiting has reported that already: a failed send is fine. */
void agent_notify_reply(int fd, int result)
{
	ssize_t sent = send(fd, &result, sizeof(result), MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)sent;
	close(fd);
}

int agent_notify_request(const struct sluice_pins *pins, int timeout_ms, char *why, size_t len)
{
	struct sockaddr_un sa;
	socklen_t sa_len = notify_addr(pins, &sa);
	struct pollfd p;
	int fd, v, err;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "socket: %s", strerror(-err));
		return err;
	}
	if (connect(fd, (struct sockaddr *)&sa, sa_len)) {
		err = -errno;
		snprintf(why, len, "no agent answers on %s: %s", pins->root, strerror(-err));
		close(fd);
		return err;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	err = poll(&p, 1, timeout_ms);
	if (err <= 0) {
		err = err ? -errno : -ETIMEDOUT;
		snprintf(why, len, "the agent did not answer within %d ms", timeout_ms);
	} else if (recv(fd, &v, sizeof(v), 0) != sizeof(v)) {
		err = -EPIPE;
		snprintf(why, len, "the agent closed the request without an answer");
	} else if (v) {
		err = v < 0 ? v : -EIO;
		snprintf(why, len, "the agent could not apply policy: %s", strerror(-err));
	} else {
		err = 0;
	}
	close(fd);
	return err;
}
