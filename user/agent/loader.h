/* SPDX-License-Identifier: Apache-2.0 */
/* Loading sluice's BPF objects and pinning them under a node's pin root. */
#ifndef SLUICE_LOADER_H
#define SLUICE_LOADER_H

#include <linux/types.h>

#include "lib/pins.h"

struct tc_pod;
struct tc_node;
struct sock_lb;

/* Every loaded BPF object; the pod object owns the maps the others share. */
struct datapath {
	struct tc_pod *pod;
	struct tc_node *node;
	struct sock_lb *sock;
};

/*
 * Creates the pin root if needed and takes the agent's lock on it, held
 * until the returned descriptor is closed (or the process dies): one agent
 * per pin root, even when two start at once. -EBUSY when another holds it.
 */
int loader_lock(const struct sluice_pins *pins);

/* A map whose capacity the operator set (--map-entries NAME=N). */
struct loader_map_size {
	const char *name;
	__u32 entries;
};

/* Most --map-entries settings: one per map. */
#define LOADER_MAX_SIZES 32

struct loader_opts {
	__u32 maglev_size;		/* slots per Maglev table (prime) */
	struct loader_map_size sizes[LOADER_MAX_SIZES];
	size_t n_sizes;
};

/*
 * Opens and loads every BPF object with the configured sizes, deals with each
 * pinned map as map_pins.h describes, then pins the programs, replacing
 * older ones atomically.
 */
int loader_load(const struct sluice_pins *pins, const struct loader_opts *opts,
		struct datapath *dp);
/* Closes the objects; pinned maps and programs stay. */
void loader_unload(struct datapath *dp);

#endif
