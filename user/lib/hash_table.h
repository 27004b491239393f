/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uthash, for the caches looked up once or more per object on every sync
 * (tens of thousands at scale), where a tree's walk of pointer-chasing
 * string compares costs more than the hash. Set so that a failed
 * allocation leaves the element out instead of exiting the agent:
 * hash_added() after HASH_ADD* says whether it went in.
 */
#ifndef SLUICE_HASH_TABLE_H
#define SLUICE_HASH_TABLE_H

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

/* uthash clears an element's table pointer when adding it failed. */
#define hash_added(elt) ((elt)->hh.tbl != NULL)

/* Takes every element out of the table at head and hands it to free_fn. */
#define hash_free_all(head, free_fn)                    \
	do {                                            \
		__typeof__(head) elt_, next_;           \
		HASH_ITER(hh, head, elt_, next_) {      \
			HASH_DEL(head, elt_);           \
			free_fn(elt_);                  \
		}                                       \
	} while (0)

#endif
