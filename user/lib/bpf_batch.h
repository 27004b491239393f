/* SPDX-License-Identifier: Apache-2.0 */
/* What a refused batch map operation means, for callers that fall back to one entry at a time. */
#ifndef SLUICE_BPF_BATCH_H
#define SLUICE_BPF_BATCH_H

#include <errno.h>
#include <stdbool.h>

/* The kernel's ENOTSUPP, which libc does not name: a map type without batch operations. */
#define KERNEL_ENOTSUPP 524

/*
 * Does err (a negative errno) from a batch operation mean that this kernel
 * or map type has no batch operations (EINVAL before 5.6, EOPNOTSUPP or
 * ENOTSUPP for a map type without them), rather than a bad entry?
 */
static inline bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -KERNEL_ENOTSUPP;
}

#endif
