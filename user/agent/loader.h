/* SPDX-License-Identifier: Apache-2.0 */
/* Loading sluice's BPF objects and pinning them under a node's pin root. */
#ifndef SLUICE_LOADER_H
#define SLUICE_LOADER_H

#include "lib/pins.h"

struct tc_pod;

/*
 * Opens and loads the TC programs, reusing every map already pinned under
 * the root and pinning the rest, then pins the programs, replacing older
 * ones atomically. A pinned map whose layout differs from this build's
 * stops the load before anything is changed.
 */
int loader_load(const struct sluice_pins *pins, struct tc_pod **skel);

#endif
