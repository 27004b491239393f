/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Programs NetworkPolicy into the pinned maps: addresses to identities
 * (sluice_ipcache4), identity descriptions, and each local endpoint's allow
 * entries per direction. Only what differs is written, additions before
 * removals, so a packet sees the old rules, the new ones or both, never
 * fewer; state is read back after an agent restart.
 */
#ifndef SLUICE_POL_WRITER_H
#define SLUICE_POL_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <sluice/abi.h>

#include "lib/pins.h"
#include "policy/compute.h"

struct pol_maps {
	int ipcache_fd;		/* SLUICE_MAP_IPCACHE4 */
	int identity_fd;	/* SLUICE_MAP_IDENTITY */
	int in_fd;		/* SLUICE_MAP_POLICY_IN */
	int out_fd;		/* SLUICE_MAP_POLICY_OUT */
	int meta_fd;		/* SLUICE_MAP_POLICY_META */
};

/* One address or prefix and the identity it has. */
struct pol_ip {
	__u32 prefixlen;
	__be32 addr;
	__u32 identity;
};

struct pol_writer_stats {
	unsigned long ipcache_writes;
	unsigned long policy_swaps;	/* endpoint directions whose tables were made or changed */
	unsigned long failures;		/* map writes that failed (logged) */
};

struct pol_writer {
	struct pol_maps maps;
	bool own_fds;
	struct pol_writer_stats stats;
};

int pol_writer_open_pins(struct pol_writer *w, const struct sluice_pins *pins);
int pol_writer_open(struct pol_writer *w, const struct pol_maps *maps);
void pol_writer_close(struct pol_writer *w);

/* Makes sluice_ipcache4 hold exactly ips (sorted by prefixlen, addr). */
int pol_writer_ipcache(struct pol_writer *w, const struct pol_ip *ips, size_t n);
/* Writes the description of an identity (restart reads them back). */
int pol_writer_identity(struct pol_writer *w, __u32 id, const char *desc, __u32 flags);
void pol_writer_identity_gone(struct pol_writer *w, __u32 id);
/* Names policy id for events; an id is an index the caller keeps stable. */
int pol_writer_policy_meta(struct pol_writer *w, __u32 id, const char *ns, const char *name);
void pol_writer_policy_meta_gone(struct pol_writer *w, __u32 id);
/*
 * Makes endpoint key's direction hold exactly es (isolated), or the
 * catch-all entry that marks it open (enforced false). A new endpoint's
 * table is made full and then entered; an existing one is edited in place,
 * additions before removals.
 */
int pol_writer_endpoint(struct pol_writer *w, const struct sluice_endpoint_key *key,
			enum sluice_direction dir, bool enforced, const struct pol_entries *es,
			const __u32 *policy_ids);
/* Removes both directions of an endpoint that is gone. */
void pol_writer_endpoint_gone(struct pol_writer *w, const struct sluice_endpoint_key *key);
/* Removes the tables of every endpoint not in keep (sorted by memcmp). */
void pol_writer_endpoints_prune(struct pol_writer *w, const struct sluice_endpoint_key *keep,
				size_t n);
/* Orders endpoint keys for pol_writer_endpoints_prune(). */
int pol_endpoint_key_cmp(const void *a, const void *b);

/*
 * The LPM prefixes that cover ports lo..hi exactly: calls fn with each
 * block's first port and its number of significant bits (16 for one port).
 */
void pol_port_prefixes(__u16 lo, __u16 hi, void (*fn)(__u16 start, __u8 bits, void *ctx),
		       void *ctx);

#endif
