/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Programs service frontends into the pinned maps, one service at a time,
 * writing only what changed. Order keeps every packet's view whole: new
 * backends are written before the Maglev table that names them, a table is
 * swapped in whole, a frontend appears only once its table is in place,
 * and backends go only after no table names them.
 *
 * After an agent restart the writer reads the maps back (frontend ids,
 * backend ids, owners), so unchanged services cause no writes at all and
 * established flows keep the backend ids their conntrack entries name.
 */
#ifndef SLUICE_LB_WRITER_H
#define SLUICE_LB_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "lb/frontends.h"
#include "lb/idalloc.h"
#include "lib/pins.h"

/* The maps the writer programs; the agent opens them from pins, tests from a skeleton. */
struct lb_maps {
	int svc_fd;		/* SLUICE_MAP_SVC4 */
	int meta_fd;		/* SLUICE_MAP_SVC_META */
	int backend_fd;		/* SLUICE_MAP_BACKEND4 */
	int maglev_fd;		/* SLUICE_MAP_MAGLEV */
};

struct lb_writer_stats {
	unsigned long frontends;	/* programmed now */
	unsigned long backends;
	unsigned long map_full;		/* frontends left out because a map was full */
	unsigned long conflicts;	/* frontends another service already holds */
	unsigned long table_swaps;	/* Maglev tables written */
};

struct lb_writer {
	struct lb_maps maps;
	__u32 maglev_size;
	__u32 *slot_keys;	/* 0..maglev_size-1, for batch writes */
	void *by_key;		/* tsearch tree of struct lb_fe, by frontend key */
	void *by_owner;		/* tsearch tree of struct lb_owner, by "namespace/name" */
	struct idalloc fe_ids;
	struct idalloc be_ids;
	struct lb_writer_stats stats;
	bool own_fds;		/* opened from pins: closed with the writer */
};

/* Opens the pinned maps and reads back what an earlier agent programmed. */
int lb_writer_open_pins(struct lb_writer *w, const struct sluice_pins *pins, __u32 maglev_size);
/* The same over maps the caller opened (fds stay the caller's). */
int lb_writer_open(struct lb_writer *w, const struct lb_maps *maps, __u32 maglev_size);
void lb_writer_close(struct lb_writer *w);

/*
 * Makes the frontends of service ns/name exactly fe: adds, changes and
 * removes only what differs. A frontend another service holds is left to
 * it (logged, counted); one that does not fit a full map is left out
 * (logged, counted) while everything else is applied. 0 or a negative errno
 * for a failure of the maps themselves.
 */
int lb_writer_sync(struct lb_writer *w, const char *ns, const char *name,
		   const struct lb_frontends *fe);
/* Removes every frontend of service ns/name. */
int lb_writer_remove(struct lb_writer *w, const char *ns, const char *name);
/*
 * Removes what was read back at open and no service has claimed since: the
 * services deleted while no agent ran. Call once the first sync is done.
 */
void lb_writer_prune_unclaimed(struct lb_writer *w);

#endif
