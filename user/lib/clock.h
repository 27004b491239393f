/* SPDX-License-Identifier: Apache-2.0 */
/* Clock readings shared by the agent's loop and its HTTP server. */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

/* CLOCK_MONOTONIC in seconds: for durations and ages. */
double monotonic_s(void);

#endif
