/* SPDX-License-Identifier: Apache-2.0 */
/* Keeping the endpoint maps and pod veth attachments in step with the node. */
#ifndef SLUICE_ENDPOINT_SYNC_H
#define SLUICE_ENDPOINT_SYNC_H

#include "lib/pins.h"

struct endpoint_sync_result {
	unsigned int kept;		/* endpoints whose veth carries the pinned programs */
	unsigned int reattached;	/* endpoints moved onto the pinned programs */
	unsigned int removed;		/* stale entries whose veth is gone */
	unsigned int failed;		/* endpoints that could not be brought in step */
};

/*
 * For every endpoint: if its host veth is gone (or its ifindex now names
 * another device), removes the entry so a reused ifindex never receives a
 * dead pod's traffic; otherwise makes the veth carry the programs pinned
 * now, replacing older ones in place after an upgrade.
 */
int endpoint_sync(const struct sluice_pins *pins, struct endpoint_sync_result *res);

#endif
