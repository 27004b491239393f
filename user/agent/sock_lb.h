/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attaching the socket-level load balancer to a cgroup through bpf_links
 * pinned under <root>/links/, which keep the hooks attached while no agent
 * runs and let a new agent swap programs in place.
 */
#ifndef SLUICE_SOCK_LB_H
#define SLUICE_SOCK_LB_H

#include <bpf/libbpf.h>

#include "lib/pins.h"

/*
 * Attaches every program of obj (the sock_lb object) to cgroup_path, or
 * moves the pinned links onto these programs. A pinned link on another
 * cgroup is replaced.
 */
int sock_lb_enable(const struct sluice_pins *pins, struct bpf_object *obj, const char *cgroup_path);
/* Unpins every link, which detaches the hooks; nothing pinned is not an error. */
int sock_lb_disable(const struct sluice_pins *pins);
/* The cgroup2 mount point of this machine, into buf; -ENOENT when there is none. */
int cgroup2_mount(char *buf, size_t len);

#endif
