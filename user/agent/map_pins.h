/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What becomes of each pinned map when an agent loads: reused as it is,
 * created, migrated into a resized copy with every entry kept, or rebuilt
 * empty when it only holds state the agent derives again. A map that holds
 * state nothing can rebuild and whose layout changed stops the load.
 */
#ifndef SLUICE_MAP_PINS_H
#define SLUICE_MAP_PINS_H

#include <limits.h>
#include <stddef.h>
#include <bpf/libbpf.h>

#include "lib/pins.h"

enum map_pin_plan {
	MAP_PIN_CREATE,		/* nothing pinned yet */
	MAP_PIN_REUSE,		/* pinned, same type, layout, size and flags */
	MAP_PIN_MIGRATE,	/* pinned with another size: copy entries into the new one */
	MAP_PIN_REBUILD,	/* pinned with another layout, derived state: start empty */
};

struct map_pin {
	struct bpf_map *map;
	enum map_pin_plan plan;
	int old_fd;		/* the pinned map, with MIGRATE */
	char path[PATH_MAX];
};

/* Every map sluice pins, at most. */
#define MAP_PINS_MAX 32

struct map_pins {
	struct map_pin pins[MAP_PINS_MAX];
	size_t n;
};

/* Before load: decides each map's plan and sets the pin paths libbpf reuses or pins. */
int map_pins_plan(const struct sluice_pins *pins, struct bpf_object *obj, struct map_pins *mp);
/* After load: copies migrated entries and pins the new maps over the old, atomically. */
int map_pins_finish(struct map_pins *mp);
/* Closes what the plan holds; safe after finish and after a failed load. */
void map_pins_release(struct map_pins *mp);

/* Pins fd at path, replacing what is there atomically (a rename). */
int pin_replace(int fd, const char *path);

/*
 * Copies every entry of src into dst (same key and value layout), per-CPU
 * values and inner maps included. Entries dst has no room for are counted
 * in *dropped; returns the number copied or a negative errno.
 */
long map_copy_entries(int src_fd, int dst_fd, size_t *dropped);

#endif
