/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Bob Jenkins' lookup3 final mix, as the kernel's jhash_3words(). */
#ifndef SLUICE_BPF_HASH_H
#define SLUICE_BPF_HASH_H

/* lookup3's seed constant (the golden ratio), as in the kernel's jhash.h. */
#define JHASH_INITVAL 0xdeadbeef

static __always_inline __u32 rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

/* Shifts and rotations from lookup3.c's final(). */
static __always_inline __u32 jhash_3words(__u32 a, __u32 b, __u32 c, __u32 initval)
{
	a += JHASH_INITVAL + initval;
	b += JHASH_INITVAL + initval;
	c += JHASH_INITVAL + initval;
	c ^= b;
	c -= rol32(b, 14);
	a ^= c;
	a -= rol32(c, 11);
	b ^= a;
	b -= rol32(a, 25);
	c ^= b;
	c -= rol32(b, 16);
	a ^= c;
	a -= rol32(c, 4);
	b ^= a;
	b -= rol32(a, 14);
	c ^= b;
	c -= rol32(b, 24);
	return c;
}

#endif
