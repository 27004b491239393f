// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "lib/field.h"

bool copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	bool whole = n < size;

	if (!whole)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return whole;
}
