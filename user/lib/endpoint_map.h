/* SPDX-License-Identifier: Apache-2.0 */
/* Reading and writing the pinned endpoint maps (datapath entry plus metadata). */
#ifndef SLUICE_ENDPOINT_MAP_H
#define SLUICE_ENDPOINT_MAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <linux/types.h>
#include <sluice/abi.h>

#include "lib/pins.h"

struct endpoint_maps {
	int info_fd;	/* SLUICE_MAP_ENDPOINT */
	int meta_fd;	/* SLUICE_MAP_EP_META */
};

/* One endpoint as user space sees it. */
struct endpoint {
	struct sluice_endpoint_key key;
	struct sluice_endpoint_info info;
	struct sluice_endpoint_meta meta;
};

int endpoint_maps_open(const struct sluice_pins *pins, struct endpoint_maps *m);
void endpoint_maps_close(struct endpoint_maps *m);

void endpoint_key_ipv4(struct sluice_endpoint_key *key, struct in_addr addr);
/* Writes "10.0.0.1" (or an IPv6 text form) for a key. */
void endpoint_key_str(const struct sluice_endpoint_key *key, char *buf, size_t len);

/*
 * Writes metadata first and the datapath entry last, so the datapath never
 * forwards to an endpoint that tools cannot name. Fails with -EEXIST when
 * the address belongs to another container.
 */
int endpoint_put(const struct endpoint_maps *m, const struct endpoint *ep);
/* Removes both entries; a missing one is not an error. */
int endpoint_delete(const struct endpoint_maps *m, const struct sluice_endpoint_key *key);
/* 0 and fills ep, or -ENOENT. Metadata is zero when only the datapath entry exists. */
int endpoint_get(const struct endpoint_maps *m, const struct sluice_endpoint_key *key,
		 struct endpoint *ep);
/* Finds the endpoint a CNI attachment (container ID, interface) made. */
int endpoint_find_attachment(const struct endpoint_maps *m, const char *container_id,
			     const char *ifname, struct endpoint *ep);

/*
 * Reads every endpoint into a new array (caller frees). Entries that vanish
 * during the walk are skipped, so the snapshot is consistent per entry.
 */
int endpoint_list(const struct endpoint_maps *m, struct endpoint **out, size_t *count);

/* How many endpoints there are and how many the map can hold. */
int endpoint_usage(const struct endpoint_maps *m, size_t *used, __u32 *capacity);

#endif
