// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/pins.h"

const char *const sluice_map_names[] = {
	SLUICE_STR(SLUICE_MAP_ENDPOINT),
	SLUICE_STR(SLUICE_MAP_EP_META),
	SLUICE_STR(SLUICE_MAP_VERDICTS),
	SLUICE_STR(SLUICE_MAP_AGENT),
	SLUICE_STR(SLUICE_MAP_SVC4),
	SLUICE_STR(SLUICE_MAP_SVC_META),
	SLUICE_STR(SLUICE_MAP_BACKEND4),
	SLUICE_STR(SLUICE_MAP_MAGLEV),
	SLUICE_STR(SLUICE_MAP_AFFINITY4),
	SLUICE_STR(SLUICE_MAP_CT4),
	SLUICE_STR(SLUICE_MAP_SOCK_REV4),
	SLUICE_STR(SLUICE_MAP_IPCACHE4),
	SLUICE_STR(SLUICE_MAP_IDENTITY),
	SLUICE_STR(SLUICE_MAP_POLICY_IN),
	SLUICE_STR(SLUICE_MAP_POLICY_OUT),
	SLUICE_STR(SLUICE_MAP_POLICY_META),
	SLUICE_STR(SLUICE_MAP_DROPS),
	SLUICE_STR(SLUICE_MAP_EVENTS),
	SLUICE_STR(SLUICE_MAP_MONITOR),
	SLUICE_STR(SLUICE_MAP_NODES4),
	SLUICE_STR(SLUICE_MAP_NODE_CFG),
	SLUICE_STR(SLUICE_MAP_NOMASQ4),
	SLUICE_STR(SLUICE_MAP_SCRATCH),
};
const size_t sluice_map_count = sizeof(sluice_map_names) / sizeof(sluice_map_names[0]);

const char *const sluice_prog_names[] = {
	SLUICE_STR(SLUICE_PROG_FROM_POD),
	SLUICE_STR(SLUICE_PROG_TO_POD),
	SLUICE_STR(SLUICE_PROG_FROM_NET),
	SLUICE_STR(SLUICE_PROG_FROM_OVERLAY),
	SLUICE_STR(SLUICE_PROG_TO_OVERLAY),
	SLUICE_STR(SLUICE_PROG_SOCK_CONNECT4),
	SLUICE_STR(SLUICE_PROG_SOCK_SENDMSG4),
	SLUICE_STR(SLUICE_PROG_SOCK_RECVMSG4),
	SLUICE_STR(SLUICE_PROG_SOCK_GETPEERNAME4),
};
const size_t sluice_prog_count = sizeof(sluice_prog_names) / sizeof(sluice_prog_names[0]);

int pins_init(struct sluice_pins *p, const char *root)
{
	size_t n = strlen(root);

	if (root[0] != '/' || n >= sizeof(p->root))
		return -EINVAL;
	memcpy(p->root, root, n + 1);
	while (n > 1 && p->root[n - 1] == '/')
		p->root[--n] = '\0';
	return 0;
}

static int pins_path(const struct sluice_pins *p, const char *dir, const char *name,
		     char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s/%s", p->root, dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pins_subdir(const struct sluice_pins *p, const char *sub, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", p->root, sub);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pins_map_path(const struct sluice_pins *p, const char *name, char *buf, size_t len)
{
	return pins_path(p, SLUICE_PIN_DIR_MAPS, name, buf, len);
}

int pins_prog_path(const struct sluice_pins *p, const char *name, char *buf, size_t len)
{
	return pins_path(p, SLUICE_PIN_DIR_PROGS, name, buf, len);
}

static int pins_open(const struct sluice_pins *p, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err, fd;

	err = pins_path(p, dir, name, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int pins_open_map(const struct sluice_pins *p, const char *name)
{
	return pins_open(p, SLUICE_PIN_DIR_MAPS, name);
}

int pins_open_prog(const struct sluice_pins *p, const char *name)
{
	return pins_open(p, SLUICE_PIN_DIR_PROGS, name);
}

static int pins_check_one(const struct sluice_pins *p, const char *dir, const char *name,
			  char *why, size_t why_len)
{
	char path[PATH_MAX];
	int err = pins_path(p, dir, name, path, sizeof(path));

	if (!err && access(path, F_OK))
		err = -errno;
	if (err)
		snprintf(why, why_len, "%s: %s", path, strerror(-err));
	return err;
}

int pins_check(const struct sluice_pins *p, char *why, size_t why_len)
{
	size_t i;
	int err;

	for (i = 0; i < sluice_map_count; i++) {
		err = pins_check_one(p, SLUICE_PIN_DIR_MAPS, sluice_map_names[i], why, why_len);
		if (err)
			return err;
	}
	for (i = 0; i < sluice_prog_count; i++) {
		err = pins_check_one(p, SLUICE_PIN_DIR_PROGS, sluice_prog_names[i], why, why_len);
		if (err)
			return err;
	}
	return 0;
}
