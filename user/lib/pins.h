/* SPDX-License-Identifier: Apache-2.0 */
/* Paths under a node's pin root, and opening what is pinned there. */
#ifndef SLUICE_PINS_H_USER
#define SLUICE_PINS_H_USER

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>
#include <sluice/abi.h>

struct sluice_pins {
	char root[PATH_MAX];
};

/* Every map and program the agent pins, by pin file name. */
extern const char *const sluice_map_names[];
extern const size_t sluice_map_count;
extern const char *const sluice_prog_names[];
extern const size_t sluice_prog_count;

/* Takes an absolute root path; returns -EINVAL for a relative or too-long one. */
int pins_init(struct sluice_pins *p, const char *root);
/* <root>/<sub>, for the maps and progs directories. */
int pins_subdir(const struct sluice_pins *p, const char *sub, char *buf, size_t len);
int pins_map_path(const struct sluice_pins *p, const char *name, char *buf, size_t len);
int pins_prog_path(const struct sluice_pins *p, const char *name, char *buf, size_t len);
/* Both return a file descriptor or a negative errno. */
int pins_open_map(const struct sluice_pins *p, const char *name);
int pins_open_prog(const struct sluice_pins *p, const char *name);
/*
 * 0 when every pin exists; otherwise a negative errno and, in why, the
 * first missing pin.
 */
int pins_check(const struct sluice_pins *p, char *why, size_t why_len);

#endif
