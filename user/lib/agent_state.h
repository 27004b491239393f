/* SPDX-License-Identifier: Apache-2.0 */
/* The pinned record of which agent owns a pin root, and how it stands. */
#ifndef SLUICE_AGENT_STATE_USER_H
#define SLUICE_AGENT_STATE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <sluice/abi.h>

#include "lib/pins.h"

int agent_state_read(const struct sluice_pins *pins, struct sluice_agent_state *st);
int agent_state_write_fd(int map_fd, const struct sluice_agent_state *st);
/* The kernel's start time of pid in clock ticks (/proc/PID/stat field 22). */
int proc_start_ticks(pid_t pid, __u64 *ticks);
/* True when the process the record names is still the one that wrote it. */
bool agent_state_alive(const struct sluice_agent_state *st);

/*
 * Whether the datapath under pins is ready for pods: 0, or a negative errno
 * with the reason in why. With need_agent, also that a live agent has
 * finished its first sync.
 */
int agent_ready(const struct sluice_pins *pins, bool need_agent, char *why, size_t why_len);

#endif
