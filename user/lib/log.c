// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "lib/log.h"

static const char *log_prog = "sluice";
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_timestamps;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char *line;
	size_t n;

	if (level > log_max)
		return;
	/* Verifier logs arrive as one message of many kilobytes: keep all of it. */
	if (vasprintf(&line, fmt, ap) < 0)
		return;
	/* libbpf ends its lines with a newline; ours never do. */
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (log_timestamps) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, ts.tv_nsec / 1000000,
			level_names[level], log_prog, line);
	} else {
		fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], line);
	}
	free(line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* libbpf's own levels are one step noisier than ours: demote each by one. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level ours = level == LIBBPF_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;

	log_vmsg(ours, fmt, ap);
	return 0;
}

void log_init(const char *prog, enum log_level level, bool timestamps)
{
	log_prog = prog;
	log_max = level;
	log_timestamps = timestamps;
	libbpf_set_print(libbpf_print);
}
