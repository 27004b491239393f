/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The contract between sluice's BPF programs and its user space: every map
 * key and value, every counter index and every pin name is defined once,
 * under include/sluice/, and included by both sides.
 *
 * Include vmlinux.h (BPF side) or <linux/types.h> (user side) first: these
 * headers use only the kernel's fixed-width types so that they compile
 * under either.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> before sluice/abi.h"
#endif

/*
 * Bumped whenever a pinned map's key or value layout changes, so that an
 * agent never reuses a pin whose bytes it would misread.
 */
#define SLUICE_ABI_VERSION 1

#include "pins.h"
#include "endpoint.h"
#include "verdict.h"
#include "agent_state.h"
#include "service.h"
#include "conntrack.h"
#include "policy.h"
#include "node.h"

#endif
