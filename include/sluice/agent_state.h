/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's record of itself, in a one-slot pinned array, so that
 * `sluice status` and the CNI plugin can tell from the pins alone whether an
 * agent owns them and has synced, with no socket or file beside the pins.
 */
#ifndef SLUICE_AGENT_STATE_H
#define SLUICE_AGENT_STATE_H

#if !defined(__VMLINUX_H__) && !defined(_LINUX_TYPES_H)
#error "include vmlinux.h or <linux/types.h> first"
#endif

/* Kubernetes node names are DNS subdomains: at most 253 characters and a NUL. */
#define SLUICE_NODE_NAME_LEN 256

struct sluice_agent_state {
	__u32 abi_version;	/* SLUICE_ABI_VERSION of the agent that pinned */
	__u32 pid;		/* running agent, 0 once it has stopped */
	__u64 start_ticks;	/* its /proc/PID/stat start time, so a reused PID never passes */
	__u64 synced_ns;	/* CLOCK_REALTIME of its first finished sync, 0 before */
	char node_name[SLUICE_NODE_NAME_LEN];
};
_Static_assert(sizeof(struct sluice_agent_state) == 280, "agent state layout");

#endif
