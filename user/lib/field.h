/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-size string fields of map values. */
#ifndef SLUICE_FIELD_H
#define SLUICE_FIELD_H

#include <stdbool.h>
#include <stddef.h>

/* Copies src into a char field of size bytes, always NUL-terminated; false if it was cut. */
bool copy_field(char *dst, size_t size, const char *src);

#endif
