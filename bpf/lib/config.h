/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Load-time settings: read-only globals the agent sets through the
 * skeleton's rodata before loading, so the verifier sees them as constants.
 * Include once per program file.
 */
#ifndef SLUICE_BPF_CONFIG_H
#define SLUICE_BPF_CONFIG_H

#include <sluice/abi.h>

/* Slots in every Maglev table (prime); sluice_maglev's values hold this many. */
const volatile __u32 cfg_maglev_size = SLUICE_MAGLEV_SIZE;

#endif
