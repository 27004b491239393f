/* SPDX-License-Identifier: Apache-2.0 */
/* Removing expired connection-tracking entries, which the datapath only ignores. */
#ifndef SLUICE_CT_GC_H
#define SLUICE_CT_GC_H

/*
 * How many entries one pass removed, or a negative errno. *left (when not
 * NULL) gets the entries the pass saw and kept: the map's fill, which
 * metrics report without walking the map again.
 */
long ct_gc_pass(int ct_fd, unsigned long *left);

#endif
