// SPDX-License-Identifier: Apache-2.0
/*
 * The services benchmark's backend: accepts TCP connections on a port and,
 * for each, reads one byte, writes one byte back and closes. One process,
 * no fork per connection (socat's fork is slower than the paths measured),
 * and closing first keeps TIME_WAIT on this side, not on the client's ports.
 * Usage: acceptd PORT LIFETIME_SECONDS   (exits after LIFETIME_SECONDS)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Enough queued connections that a burst never waits on the backlog. */
#define BACKLOG 4096
/* A client that sends nothing does not hold the single loop for long. */
#define IO_TIMEOUT_S 1

static int listen_on(unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    /* Accepted sockets inherit the timeouts: no extra call per connection. */
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, BACKLOG)) {
		fprintf(stderr, "acceptd: port %u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	char byte;
	ssize_t r;
	int lfd, c;

	if (argc != 3) {
		fprintf(stderr, "usage: acceptd PORT LIFETIME_SECONDS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Bounded in time even if nobody stops it. */
	alarm((unsigned int)atoi(argv[2]));
	lfd = listen_on((unsigned short)atoi(argv[1]));
	for (;;) {
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		/* A client that went away is no error: its next connection is new. */
		r = read(c, &byte, 1);
		if (r == 1)
			r = write(c, &byte, 1);
		(void)r;
		close(c);
	}
}
