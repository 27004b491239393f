// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/agent_state.h"

/* The one slot of the agent map. */
static const __u32 agent_slot;

/* /proc/PID/stat field of the start time, counted from 1 (proc(5)). */
#define STAT_FIELD_STARTTIME 22

int agent_state_read(const struct sluice_pins *pins, struct sluice_agent_state *st)
{
	int fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_AGENT));
	int err = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &agent_slot, st))
		err = -errno;
	close(fd);
	return err;
}

int agent_state_write_fd(int map_fd, const struct sluice_agent_state *st)
{
	return bpf_map_update_elem(map_fd, &agent_slot, st, BPF_ANY) ? -errno : 0;
}

/*
 * Reads a process's state letter (field 3) and start time (field 22) from
 * /proc/PID/stat. The command name (field 2) may hold spaces and parens, so
 * fields are counted from its last closing paren.
 */
static int proc_stat(pid_t pid, char *state, __u64 *ticks)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	*state = p[2];
	for (field = 2; field < STAT_FIELD_STARTTIME && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return -EINVAL;
	*ticks = v;
	return 0;
}

int proc_start_ticks(pid_t pid, __u64 *ticks)
{
	char state;

	return proc_stat(pid, &state, ticks);
}

bool agent_state_alive(const struct sluice_agent_state *st)
{
	__u64 ticks;
	char state;

	if (!st->pid || proc_stat((pid_t)st->pid, &state, &ticks))
		return false;
	/* A zombie or dying process holds its PID but runs nothing. */
	return state != 'Z' && state != 'X' && ticks == st->start_ticks;
}

int agent_ready(const struct sluice_pins *pins, bool need_agent, char *why, size_t why_len)
{
	struct sluice_agent_state st;
	int err;

	err = pins_check(pins, why, why_len);
	if (err)
		return err;
	err = agent_state_read(pins, &st);
	if (err) {
		snprintf(why, why_len, "cannot read the agent record: %s", strerror(-err));
		return err;
	}
	if (st.abi_version != SLUICE_ABI_VERSION) {
		snprintf(why, why_len, "pins have ABI %u, this build speaks %u",
			 st.abi_version, SLUICE_ABI_VERSION);
		return -EPROTO;
	}
	if (!need_agent)
		return 0;
	if (!agent_state_alive(&st)) {
		snprintf(why, why_len, "no agent is running (datapath pins remain in %s)",
			 pins->root);
		return -ESRCH;
	}
	if (!st.synced_ns) {
		snprintf(why, why_len, "agent (pid %u) has not finished its first sync", st.pid);
		return -EAGAIN;
	}
	return 0;
}
