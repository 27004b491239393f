/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SLUICE_VERDICT_NAMES_H
#define SLUICE_VERDICT_NAMES_H

#include <linux/types.h>
#include <sluice/abi.h>

/* A stable kebab-case name for each verdict, as the CLI and metrics print it. */
const char *verdict_name(enum sluice_verdict v);

/* Adds up one verdict's per-CPU counters; 0 or a negative errno. */
int verdict_read(int map_fd, enum sluice_verdict v, struct sluice_counter *sum);

#endif
