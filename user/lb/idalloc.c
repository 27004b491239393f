// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>

#include "lb/idalloc.h"

/* Bits in one bitmap word. */
#define WORD_BITS 64

int idalloc_init(struct idalloc *ia, uint32_t first, uint32_t limit)
{
	ia->bits = calloc((limit + WORD_BITS - 1) / WORD_BITS, sizeof(*ia->bits));
	ia->first = first;
	ia->limit = limit;
	ia->next = first;
	ia->used = 0;
	return ia->bits ? 0 : -ENOMEM;
}

void idalloc_free_all(struct idalloc *ia)
{
	free(ia->bits);
	ia->bits = NULL;
}

static bool is_set(const struct idalloc *ia, uint32_t id)
{
	return ia->bits[id / WORD_BITS] & (1ULL << (id % WORD_BITS));
}

bool idalloc_take(struct idalloc *ia, uint32_t id)
{
	if (id < ia->first || id >= ia->limit)
		return false;
	if (!is_set(ia, id)) {
		ia->bits[id / WORD_BITS] |= 1ULL << (id % WORD_BITS);
		ia->used++;
	}
	return true;
}

/*
 * Next fit: a freed id is handed out again only after every other one, so
 * a conntrack entry naming a just-removed backend does not find a new one.
 */
int64_t idalloc_get(struct idalloc *ia)
{
	uint32_t span = ia->limit - ia->first, i, id;

	if (ia->used >= span)
		return -ENOSPC;
	for (i = 0; i < span; i++) {
		id = ia->first + (ia->next - ia->first + i) % span;
		if (!is_set(ia, id)) {
			idalloc_take(ia, id);
			ia->next = id + 1 < ia->limit ? id + 1 : ia->first;
			return id;
		}
	}
	return -ENOSPC;
}

void idalloc_put(struct idalloc *ia, uint32_t id)
{
	if (id < ia->first || id >= ia->limit || !is_set(ia, id))
		return;
	ia->bits[id / WORD_BITS] &= ~(1ULL << (id % WORD_BITS));
	ia->used--;
}
