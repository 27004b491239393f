/* SPDX-License-Identifier: Apache-2.0 */
/* Removing expired connection-tracking entries, which the datapath only ignores. */
#ifndef SLUICE_CT_GC_H
#define SLUICE_CT_GC_H

/* How many entries one pass removed, or a negative errno. */
long ct_gc_pass(int ct_fd);

#endif
