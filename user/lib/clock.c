// SPDX-License-Identifier: Apache-2.0
#include <time.h>

#include "lib/clock.h"

/* Nanoseconds in a second, as a double for the division. */
#define NS_PER_S_F 1e9

double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / NS_PER_S_F;
}
