/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attaching sluice's pinned TC programs to a pod's host veth. Classic
 * clsact/cls_bpf filters: they need no pin of their own, go away with the
 * device, and are replaced in place when the agent upgrades the programs.
 */
#ifndef SLUICE_TC_ATTACH_H
#define SLUICE_TC_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "lib/pins.h"

/* The ids of the programs a pod veth carries; 0 where none is attached. */
struct tc_pod_progs {
	__u32 from_pod;		/* ingress of the host veth */
	__u32 to_pod;		/* egress of the host veth */
};

/*
 * Attaches (or atomically replaces) both pinned programs on ifindex.
 * new_device: the device was just made and has no clsact qdisc yet.
 */
int tc_attach_pod(const struct sluice_pins *pins, int ifindex, bool new_device);
/* Removes sluice's filters from ifindex; absent ones are not an error. */
int tc_detach_pod(int ifindex);
int tc_query_pod(int ifindex, struct tc_pod_progs *out);
/* The ids of the programs pinned now, which a pod veth should carry. */
int tc_pinned_pod(const struct sluice_pins *pins, struct tc_pod_progs *out);

/* The same for a node device (--devices): the pinned tc_from_net at ingress. */
int tc_attach_net(const struct sluice_pins *pins, int ifindex);
/*
 * Removes it if the program at sluice's place on ifindex's ingress is
 * tc_from_net: 1 when it did, 0 when nothing of sluice's was there.
 */
int tc_detach_net(int ifindex);

/*
 * The VXLAN device's pair: tc_from_ovl at ingress, tc_to_ovl at egress.
 * Deleting the device removes them.
 */
int tc_attach_overlay(const struct sluice_pins *pins, int ifindex);

#endif
