/* SPDX-License-Identifier: Apache-2.0 */
/* Removing expired connection-tracking entries, which the datapath only ignores. */
#ifndef SLUICE_CT_GC_H
#define SLUICE_CT_GC_H

#include <linux/types.h>
#include <sluice/abi.h>

/*
 * How many entries one pass removed, or a negative errno. *left (when not
 * NULL) gets the entries the pass saw and kept: the map's fill, which
 * metrics report without walking the map again.
 */
long ct_gc_pass(int ct_fd, unsigned long *left);

/*
 * Removes the entry of k if it is still expired at now (bpf_ktime_get_ns()
 * time) when removed: 1 if it was, 0 if not (gone already, or made anew by
 * the datapath since it was read: such an entry is put back), or a
 * negative errno.
 */
int ct_gc_remove_expired(int ct_fd, const struct sluice_ct4_key *k, __u64 now);

#endif
