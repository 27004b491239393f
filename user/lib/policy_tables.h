/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the pinned per-endpoint policy tables: which ones isolate their pod. */
#ifndef SLUICE_POLICY_TABLES_H
#define SLUICE_POLICY_TABLES_H

#include <linux/types.h>

#include "lib/pins.h"

/*
 * How many endpoint directions policy isolates (tables holding anything
 * but the open catch-all), counting up to `most` (0: all). A table that
 * cannot be read counts as isolating: callers use this to stay strict.
 */
__u64 policy_isolating_tables(const struct sluice_pins *pins, __u64 most);

#endif
