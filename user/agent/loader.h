/* SPDX-License-Identifier: Apache-2.0 */
/* Loading sluice's BPF objects and pinning them under a node's pin root. */
#ifndef SLUICE_LOADER_H
#define SLUICE_LOADER_H

#include "lib/pins.h"

struct tc_pod;

/*
 * Creates the pin root if needed and takes the agent's lock on it, held
 * until the returned descriptor is closed (or the process dies): one agent
 * per pin root, even when two start at once. -EBUSY when another holds it.
 */
int loader_lock(const struct sluice_pins *pins);

/*
 * Opens and loads the TC programs, reusing every map already pinned under
 * the root and pinning the rest, then pins the programs, replacing older
 * ones atomically. A pinned map whose layout differs from this build's
 * stops the load before anything is changed.
 */
int loader_load(const struct sluice_pins *pins, struct tc_pod **skel);

#endif
