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
 * Fills table[0..size) with indexes into names[0..n). size must be prime
 * and n at least 1 and at most size. A backend's permutation depends on its
 * name alone, so the same names give the same table in every agent.
 * Returns 0 or -EINVAL/-ENOMEM.
 */
int maglev_fill(const char *const *names, size_t n, uint32_t size, uint32_t *table);

#endif
