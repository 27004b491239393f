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

int maglev_fill(const char *const *names, size_t n, uint32_t size, uint32_t *table)
{
	uint64_t *offset, *skip, *next;
	uint32_t filled = 0, i;
	size_t b;

	if (!n || n > size || size < 2)
		return -EINVAL;
	offset = calloc(n, sizeof(*offset));
	skip = calloc(n, sizeof(*skip));
	next = calloc(n, sizeof(*next));
	if (!offset || !skip || !next) {
		free(offset);
		free(skip);
		free(next);
		return -ENOMEM;
	}
	for (b = 0; b < n; b++) {
		offset[b] = fnv1a64(MAGLEV_SEED_OFFSET, names[b]) % size;
		skip[b] = fnv1a64(MAGLEV_SEED_SKIP, names[b]) % (size - 1) + 1;
	}
	for (i = 0; i < size; i++)
		table[i] = SLOT_FREE;
	/* Each backend in turn takes the next free slot of its permutation. */
	while (filled < size) {
		for (b = 0; b < n && filled < size; b++) {
			uint32_t slot;

			do {
				slot = (uint32_t)((offset[b] + next[b] * skip[b]) % size);
				next[b]++;
			} while (table[slot] != SLOT_FREE);
			table[slot] = (uint32_t)b;
			filled++;
		}
	}
	free(offset);
	free(skip);
	free(next);
	return 0;
}
