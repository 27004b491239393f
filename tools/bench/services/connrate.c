// SPDX-License-Identifier: Apache-2.0
/*
 * The services benchmark's client: opens short-lived TCP connections to one
 * address, one after the other, for a fixed time or a fixed count, whichever
 * comes first. Each connection: connect, write one byte, read one byte, close.
 * Prints "connections seconds conn_per_s p50_us p99_us errors", where the
 * latencies are of connect() alone (SYN out to SYN-ACK in: the path through
 * the service translation and back).
 * Usage: connrate ADDR PORT SECONDS MAX_CONNECTIONS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A lost SYN must not stall the run: give up on one connection after this. */
#define IO_TIMEOUT_S 1
/* More failures than this mean the path is broken, not slow: stop early. */
#define MAX_ERRORS 100
#define NS_PER_S 1000000000ULL
#define NS_PER_US 1000.0

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One connection; its connect() time in *lat_ns. 0 on success. */
static int one_connection(const struct sockaddr_in *sa, uint32_t *lat_ns)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	char byte = 'x';
	uint64_t t0, t1;
	int fd, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* On Linux the send timeout also bounds a blocking connect(). */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = now_ns();
	ok = !connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	t1 = now_ns();
	ok = ok && write(fd, &byte, 1) == 1 && read(fd, &byte, 1) == 1;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	close(fd);
	*lat_ns = (uint32_t)(t1 - t0 > UINT32_MAX ? UINT32_MAX : t1 - t0);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long max, n = 0, errors = 0;
	uint64_t start, deadline, end;
	uint32_t *lat;
	double secs;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: connrate ADDR PORT SECONDS MAX_CONNECTIONS\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	max = strtoul(argv[4], NULL, 10);
	lat = calloc(max ? max : 1, sizeof(*lat));
	if (!lat || !max)
		return 2;
	start = now_ns();
	deadline = start + (uint64_t)(atof(argv[3]) * NS_PER_S);
	while (n < max && errors <= MAX_ERRORS && now_ns() < deadline) {
		if (one_connection(&sa, &lat[n]))
			errors++;
		else
			n++;
	}
	end = now_ns();
	if (!n) {
		fprintf(stderr, "connrate: no connection to %s:%s succeeded (%lu errors)\n",
			argv[1], argv[2], errors);
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp_u32);
	secs = (double)(end - start) / NS_PER_S;
	printf("%lu %.3f %.0f %.1f %.1f %lu\n", n, secs, (double)n / secs,
	       lat[(n - 1) / 2] / NS_PER_US, lat[(n * 99 - 1) / 100] / NS_PER_US, errors);
	free(lat);
	return errors > MAX_ERRORS ? 1 : 0;
}
