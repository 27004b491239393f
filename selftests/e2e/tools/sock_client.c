// SPDX-License-Identifier: Apache-2.0
/*
 * A client that says what its socket sees, for socket load balancer tests:
 *   sock_client tcp ADDR PORT   connect, print getpeername() and the first reply line
 *   sock_client udp ADDR PORT   sendto() unconnected, print recvfrom()'s source and reply
 * Output: "peer=A.B.C.D:PORT reply=TEXT". Exits non-zero on any failure, with errno text.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Longest reply read; servers in tests answer with a short line. */
#define REPLY_MAX 256
/* Seconds to wait for a reply before failing. */
#define TIMEOUT_S 3

static int die(const char *what)
{
	fprintf(stderr, "sock_client: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	struct sockaddr_in dst = { .sin_family = AF_INET }, peer;
	socklen_t plen = sizeof(peer);
	char reply[REPLY_MAX], addr[INET_ADDRSTRLEN];
	bool tcp;
	ssize_t n;
	int fd;

	if (argc != 4 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "udp")) ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: sock_client tcp|udp ADDR PORT\n");
		return 2;
	}
	tcp = !strcmp(argv[1], "tcp");
	dst.sin_port = htons((unsigned short)atoi(argv[3]));
	fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return die("socket");
	if (tcp) {
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)))
			return die("connect");
		if (getpeername(fd, (struct sockaddr *)&peer, &plen))
			return die("getpeername");
		n = recv(fd, reply, sizeof(reply) - 1, 0);
	} else {
		if (sendto(fd, "q\n", 2, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
			return die("sendto");
		n = recvfrom(fd, reply, sizeof(reply) - 1, 0, (struct sockaddr *)&peer, &plen);
	}
	if (n < 0)
		return die("receive");
	reply[n] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof(addr));
	printf("peer=%s:%u reply=%s\n", addr, ntohs(peer.sin_port), reply);
	close(fd);
	return 0;
}
