// SPDX-License-Identifier: Apache-2.0
#include <time.h>

#include "lib/clock.h"

#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000ULL
/* The same, as a double for the division. */
#define NS_PER_S_F 1e9

static struct timespec now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts;
}

static uint64_t ns_of(struct timespec ts)
{
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static double s_of(struct timespec ts)
{
	return (double)ts.tv_sec + (double)ts.tv_nsec / NS_PER_S_F;
}

double monotonic_s(void)
{
	return s_of(now(CLOCK_MONOTONIC));
}

uint64_t monotonic_ms(void)
{
	return ns_of(now(CLOCK_MONOTONIC)) / NS_PER_MS;
}

uint64_t monotonic_ns(void)
{
	return ns_of(now(CLOCK_MONOTONIC));
}

double realtime_s(void)
{
	return s_of(now(CLOCK_REALTIME));
}

uint64_t realtime_ns(void)
{
	return ns_of(now(CLOCK_REALTIME));
}
