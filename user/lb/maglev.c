// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb/maglev.h"
#include "lib/hash.h"

/* Seeds of the two independent hashes the paper asks for: offset and skip. */
#define MAGLEV_SEED_OFFSET FNV64_OFFSET
#define MAGLEV_SEED_SKIP (FNV64_OFFSET ^ 0x5bd1e9955bd1e995ULL)
/* Marks a slot no backend has taken yet. */
#define SLOT_FREE UINT32_MAX

int maglev_fill(const uint64_t *keys, size_t n, uint32_t size, uint32_t *table)
{
	uint32_t *pos, *skip, filled = 0, i, slot;
	size_t b;

	if (!n || n > size || size < 2)
		return -EINVAL;
	pos = calloc(n, sizeof(*pos));
	skip = calloc(n, sizeof(*skip));
	if (!pos || !skip) {
		free(pos);
		free(skip);
		return -ENOMEM;
	}
	/* pos[b] walks backend b's permutation: offset, offset + skip, ... mod size. */
	for (b = 0; b < n; b++) {
		pos[b] = (uint32_t)(fnv1a64_u64(MAGLEV_SEED_OFFSET, keys[b]) % size);
		skip[b] = (uint32_t)(fnv1a64_u64(MAGLEV_SEED_SKIP, keys[b]) % (size - 1) + 1);
	}
	for (i = 0; i < size; i++)
		table[i] = SLOT_FREE;
	/* Each backend in turn takes the next free slot of its permutation. */
	while (filled < size) {
		for (b = 0; b < n && filled < size; b++) {
			do {
				slot = pos[b];
				/* Both are below size: one subtraction keeps the sum below it, no division. */
				pos[b] = slot >= size - skip[b] ? slot - (size - skip[b]) : slot + skip[b];
			} while (table[slot] != SLOT_FREE);
			table[slot] = (uint32_t)b;
			filled++;
		}
	}
	free(pos);
	free(skip);
	return 0;
}
