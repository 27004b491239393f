// SPDX-License-Identifier: Apache-2.0
#include "lib/hash.h"

/* FNV-1a's 64-bit prime. */
#define FNV64_PRIME 0x100000001b3ULL

uint64_t fnv1a64(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV64_PRIME;
	}
	return h;
}

uint64_t fnv1a64_u64(uint64_t h, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < sizeof(v); i++, v >>= 8) {
		h ^= v & 0xff;
		h *= FNV64_PRIME;
	}
	return h;
}
