// SPDX-License-Identifier: Apache-2.0
/*
 * Waits until a pinned sluice map shows that the agent has finished
 * programming, and prints how long that took since a given start time:
 *   mapwait count MAP N START_US TIMEOUT_MS
 *       MAP (sluice_svc4) holds exactly N entries: every frontend is in
 *       place (the agent adds a frontend only after its backends and Maglev
 *       table), or with N 0, every one is gone;
 *   mapwait swap MAP NEW_IP OLD_IP START_US TIMEOUT_MS
 *       MAP (sluice_backend4) holds a backend at NEW_IP and none at OLD_IP:
 *       an endpoint change is applied (removed backends go last);
 *   mapwait entries MAP
 *       prints how many entries MAP holds now (bpftool cannot say).
 * START_US is wall-clock microseconds (bash's $EPOCHREALTIME without the dot).
 * The map is read in batches, so one check of 10,000 entries costs a few
 * system calls; still, a check of a full map takes about a millisecond, and
 * while `count` waits the agent is busy on every CPU, so there checks are
 * spaced to take at most a tenth of one CPU from what is being measured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

/* Short against the figures measured (tens of ms and up), cheap in CPU. */
#define POLL_US 2000
/*
 * `count` sleeps at least this many times its last check's duration: a
 * tenth of a CPU at most. `swap` keeps POLL_US: one service's update leaves
 * a CPU idle, and a coarser poll would blur its figure of about 100 ms.
 */
#define COUNT_SLEEP_PER_CHECK 9
/* Entries fetched per batch call, at most; and the most bytes of values one call fetches. */
#define BATCH 4096
#define BATCH_VALUE_BYTES (16 << 20)
#define US_PER_S 1000000ULL
#define NS_PER_US 1000ULL

struct scan {
	size_t entries;
	bool has_new, has_old;
};

/* Room for one batch of a map's keys and values. */
struct batch_buf {
	char *keys, *vals;
	__u32 n;		/* entries per batch call */
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * US_PER_S + (uint64_t)ts.tv_nsec / NS_PER_US;
}

/* Reads every entry; values whose first 4 bytes are new_ip or old_ip are noted. */
static int scan_map(int fd, const struct bpf_map_info *info, const struct batch_buf *b,
		    uint32_t new_ip, uint32_t old_ip, struct scan *s)
{
	uint64_t in = 0, out = 0;
	void *in_p = NULL;
	__u32 n, i;
	int err;

	memset(s, 0, sizeof(*s));
	do {
		n = b->n;
		err = bpf_map_lookup_batch(fd, in_p, &out, b->keys, b->vals, &n, NULL);
		if (err && errno != ENOENT)
			return -errno;
		for (i = 0; i < n; i++) {
			uint32_t a;

			memcpy(&a, b->vals + (size_t)i * info->value_size, sizeof(a));
			s->has_new |= a == new_ip;
			s->has_old |= a == old_ip;
		}
		s->entries += n;
		in = out;
		in_p = &in;
	} while (!err);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_map_info info = { 0 };
	struct batch_buf b;
	__u32 len = sizeof(info);
	uint32_t new_ip = 0, old_ip = 0;
	uint64_t start, deadline;
	unsigned long want = 0;
	bool swap, entries;
	struct scan s;
	int fd;

	swap = argc == 7 && !strcmp(argv[1], "swap");
	entries = argc == 3 && !strcmp(argv[1], "entries");
	if (!swap && !entries && !(argc == 6 && !strcmp(argv[1], "count"))) {
		fprintf(stderr, "usage: mapwait count MAP N START_US TIMEOUT_MS\n"
				"       mapwait swap MAP NEW_IP OLD_IP START_US TIMEOUT_MS\n"
				"       mapwait entries MAP\n");
		return 2;
	}
	if (swap && (inet_pton(AF_INET, argv[3], &new_ip) != 1 ||
		     inet_pton(AF_INET, argv[4], &old_ip) != 1)) {
		fprintf(stderr, "mapwait: bad address\n");
		return 2;
	}
	fd = bpf_obj_get(argv[2]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.value_size < sizeof(uint32_t) || info.value_size > BATCH_VALUE_BYTES) {
		fprintf(stderr, "mapwait: %s: cannot open or unsupported layout\n", argv[2]);
		return 1;
	}
	b.n = BATCH_VALUE_BYTES / info.value_size < BATCH ? BATCH_VALUE_BYTES / info.value_size :
							      BATCH;
	b.keys = malloc((size_t)b.n * info.key_size);
	b.vals = malloc((size_t)b.n * info.value_size);
	if (!b.keys || !b.vals) {
		fprintf(stderr, "mapwait: out of memory\n");
		return 1;
	}
	if (entries) {
		if (scan_map(fd, &info, &b, 0, 0, &s)) {
			fprintf(stderr, "mapwait: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		printf("%zu\n", s.entries);
		return 0;
	}
	if (!swap)
		want = strtoul(argv[3], NULL, 10);
	start = strtoull(argv[argc - 2], NULL, 10);
	deadline = now_us() + strtoull(argv[argc - 1], NULL, 10) * 1000;
	for (;;) {
		uint64_t check_start = now_us(), pause;

		if (scan_map(fd, &info, &b, new_ip, old_ip, &s)) {
			fprintf(stderr, "mapwait: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		if (swap ? s.has_new && !s.has_old : s.entries == want)
			break;
		if (now_us() > deadline) {
			fprintf(stderr, "mapwait: %s: timed out with %zu entries\n", argv[2],
				s.entries);
			return 1;
		}
		pause = swap ? 0 : (now_us() - check_start) * COUNT_SLEEP_PER_CHECK;
		usleep(pause > POLL_US ? (useconds_t)pause : POLL_US);
	}
	printf("%.1f\n", (double)(now_us() - start) / 1000.0);
	return 0;
}
