/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table
 * of a prime number of slots, filled by each backend in turn along its own
 * permutation. Every backend gets an equal share (within one slot), and
 * adding or removing one backend moves little more than its share.
 */
#ifndef SLUICE_MAGLEV_H
#define SLUICE_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fills table[0..size) with the backends of keys[0..n), each a backend's
 * identity packed into 64 bits: values[i] for backend i (its id), or i
 * itself if values is NULL. size must be prime and n at least 1 and at
 * most size. A backend's permutation depends on its key alone, so the same
 * keys give the same table in every agent. Returns 0 or -EINVAL/-ENOMEM.
 */
int maglev_fill(const uint64_t *keys, const uint32_t *values, size_t n, uint32_t size,
		uint32_t *table);

#endif
