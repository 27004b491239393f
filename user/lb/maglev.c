// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>

#include "lb/maglev.h"
#include "lib/hash.h"

/* Seeds of the two independent hashes the paper asks for: offset and skip. */
#define MAGLEV_SEED_OFFSET FNV64_OFFSET
#define MAGLEV_SEED_SKIP (FNV64_OFFSET ^ 0x5bd1e9955bd1e995ULL)

int maglev_fill(const uint64_t *keys, const uint32_t *values, size_t n, uint32_t size,
		uint32_t *table)
{
	uint32_t *pos, *skip, filled = 0, slot;
	uint8_t *taken;
	size_t b;

	if (!n || n > size || size < 2)
		return -EINVAL;
	pos = calloc(n, sizeof(*pos));
	skip = calloc(n, sizeof(*skip));
	/* A byte per slot: the walk's loads stay in a quarter of the table's cache lines. */
	taken = calloc(size, sizeof(*taken));
	if (!pos || !skip || !taken) {
		free(pos);
		free(skip);
		free(taken);
		return -ENOMEM;
	}
	/* pos[b] walks backend b's permutation: offset, offset + skip, ... mod size. */
	for (b = 0; b < n; b++) {
		pos[b] = (uint32_t)(fnv1a64_u64(MAGLEV_SEED_OFFSET, keys[b]) % size);
		skip[b] = (uint32_t)(fnv1a64_u64(MAGLEV_SEED_SKIP, keys[b]) % (size - 1) + 1);
	}
	/* Each backend in turn takes the next free slot of its permutation, until all are taken. */
	while (filled < size) {
		for (b = 0; b < n && filled < size; b++) {
			/* Kept in registers: the walk is most of a table's cost. */
			uint32_t p = pos[b], step = skip[b], back = size - step;
			uint32_t value = values ? values[b] : (uint32_t)b;

			do {
				slot = p;
				/* Both are below size: one subtraction, no division. */
				p = p >= back ? p - back : p + step;
			} while (taken[slot]);
			taken[slot] = 1;
			table[slot] = value;
			pos[b] = p;
			filled++;
		}
	}
	free(pos);
	free(skip);
	free(taken);
	return 0;
}
