/* SPDX-License-Identifier: Apache-2.0 */
/* A small stable hash for names that must hash the same in every process and release. */
#ifndef SLUICE_HASH_H
#define SLUICE_HASH_H

#include <stdint.h>

/* FNV-1a's 64-bit offset basis: where a fresh hash starts. */
#define FNV64_OFFSET 0xcbf29ce484222325ULL

/* Folds the bytes of s (up to its NUL) into h with FNV-1a 64. */
uint64_t fnv1a64(uint64_t h, const char *s);
/* Folds the 8 bytes of v, least significant first (the same on every host), into h. */
uint64_t fnv1a64_u64(uint64_t h, uint64_t v);

#endif
