/* SPDX-License-Identifier: Apache-2.0 */
/* Clock readings shared by the agent, its HTTP server and the CLI. */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in seconds: for durations and ages. */
double monotonic_s(void);
/* CLOCK_MONOTONIC in milliseconds: for timers and deadlines. */
uint64_t monotonic_ms(void);
/*
 * CLOCK_MONOTONIC in nanoseconds: bpf_ktime_get_ns()'s clock, which stamps
 * conntrack and affinity entries and events.
 */
uint64_t monotonic_ns(void);
/* CLOCK_REALTIME in seconds: wall-clock times shown to people. */
double realtime_s(void);
/* CLOCK_REALTIME in nanoseconds. */
uint64_t realtime_ns(void);

#endif
