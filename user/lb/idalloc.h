/* SPDX-License-Identifier: Apache-2.0 */
/* Small integer ids handed out and taken back, as a bitmap. */
#ifndef SLUICE_IDALLOC_H
#define SLUICE_IDALLOC_H

#include <stdbool.h>
#include <stdint.h>

struct idalloc {
	uint64_t *bits;
	uint32_t first;		/* lowest id handed out */
	uint32_t limit;		/* one past the highest */
	uint32_t next;		/* where the next search starts: ids are not reused at once */
	uint32_t used;
};

/* Ids in [first, limit). */
int idalloc_init(struct idalloc *ia, uint32_t first, uint32_t limit);
void idalloc_free_all(struct idalloc *ia);
/* A free id, or -ENOSPC. */
int64_t idalloc_get(struct idalloc *ia);
/* Marks a given id used (state read back after a restart); false if out of range. */
bool idalloc_take(struct idalloc *ia, uint32_t id);
void idalloc_put(struct idalloc *ia, uint32_t id);

#endif
