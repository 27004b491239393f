/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Programs service frontends into the pinned maps, writing only what
 * changed. Order keeps every packet's view sound: new backends are written
 * before any Maglev slot names them, a frontend appears only once its table
 * is in sluice_maglev, and backends go only after no slot names them.
 *
 * Every write to sluice_maglev (an array of maps) waits for an RCU grace
 * period, so the writer avoids them on the change path and shares them
 * where it cannot: an existing frontend's table is rewritten in place, slot
 * by slot where they differ; new frontends' tables are staged by
 * lb_writer_sync() and enter sluice_maglev together at lb_writer_commit(),
 * in one batch, with the slots of removed frontends pointed at a shared
 * empty table in the same batch.
 *
 * After an agent restart the writer reads the maps back (frontend ids,
 * backend ids, owners), so unchanged services cause no writes at all and
 * established flows keep the backend ids their conntrack entries name.
 */
#ifndef SLUICE_LB_WRITER_H
#define SLUICE_LB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <bpf/bpf.h>

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

/* How the writer writes many entries at once: libbpf's calls, or a test's stand-ins. */
struct lb_map_io {
	int (*update_batch)(int fd, const void *keys, const void *values, __u32 *count,
			    const struct bpf_map_batch_opts *opts);
	int (*update_elem)(int fd, const void *key, const void *value, __u64 flags);
};

struct lb_writer_stats {
	unsigned long frontends;	/* programmed now */
	unsigned long backends;
	unsigned long map_full;		/* frontends left out because a map was full */
	unsigned long conflicts;	/* frontends another service already holds */
	unsigned long table_swaps;	/* whole Maglev tables put into sluice_maglev */
	unsigned long slots_written;	/* Maglev slots rewritten in place */
	unsigned long maglev_writes;	/* system calls writing sluice_maglev: a grace period each */
};

struct lb_fe;

struct lb_writer {
	struct lb_maps maps;
	const struct lb_map_io *io;
	__u32 maglev_size;
	__u32 *slot_keys;	/* 0..maglev_size-1, for batch writes */
	int empty_fd;		/* the table removed frontends' slots point at */
	void *by_key;		/* tsearch tree of struct lb_fe, by frontend key */
	void *by_owner;		/* tsearch tree of struct lb_owner, by "namespace/name" */
	struct lb_fe *staged;	/* frontends whose new tables wait for lb_writer_commit() */
	struct lb_fe *retiring;	/* removed frontends whose slots, backends, ids wait for it */
	size_t n_staged, n_retiring;
	size_t tables_per_commit;	/* staged tables (open fds) that make a sync commit first */
	struct idalloc fe_ids;
	struct idalloc be_ids;
	struct lb_writer_stats stats;
	bool own_fds;		/* opened from pins: closed with the writer */
};

/* Opens the pinned maps and reads back what an earlier agent programmed. */
int lb_writer_open_pins(struct lb_writer *w, const struct sluice_pins *pins, __u32 maglev_size);
/* The same over maps the caller opened (fds stay the caller's). */
int lb_writer_open(struct lb_writer *w, const struct lb_maps *maps, __u32 maglev_size);
/* Commits what is staged, then frees the writer. */
void lb_writer_close(struct lb_writer *w);

/*
 * Makes the frontends of service ns/name exactly fe: adds, changes and
 * removes only what differs. Existing frontends change at once; new ones
 * (and tables that must be replaced whole) wait for lb_writer_commit(), and
 * so do the tables and backends of removed ones (their frontend entries go
 * at once). A sync commits first when the staged tables would exceed
 * tables_per_commit, or when the service has staged frontends already.
 * A frontend another service holds is left to it (logged, counted); one
 * that does not fit a full map is left out (logged, counted) while
 * everything else is applied. 0 or a negative errno for a failure of the
 * maps themselves.
 */
int lb_writer_sync(struct lb_writer *w, const char *ns, const char *name,
		   const struct lb_frontends *fe);
/* Removes every frontend of service ns/name (finished at commit). */
int lb_writer_remove(struct lb_writer *w, const char *ns, const char *name);
/*
 * Puts every staged table into sluice_maglev and points every removed
 * frontend's slot at the empty table, in one batch, then makes the new
 * frontends visible and deletes what the removed ones left. A frontend
 * whose table cannot go in is undone whole and logged; the others are
 * applied. 0 or the first such failure.
 */
int lb_writer_commit(struct lb_writer *w);
/*
 * Removes what was read back at open and no service has claimed since: the
 * services deleted while no agent ran. Call once the first sync is done.
 */
void lb_writer_prune_unclaimed(struct lb_writer *w);

/*
 * Writes keys[i] -> values[i] for i < n in as few calls as the map allows:
 * one batch, resumed after any entry it stops at, which is retried alone
 * for its own result; a kernel without batch updates (EINVAL, ENOTSUPP)
 * gets one update per entry. errs[i] (if errs) is entry i's result, *calls
 * (if calls) counts the calls made. Returns the first entry's error, or 0.
 */
int lb_map_update_all(const struct lb_map_io *io, int fd, const void *keys, const void *values,
		      size_t key_size, size_t value_size, __u32 n, int *errs,
		      unsigned long *calls);
/* How many staged tables a commit takes at most for a process allowed fd_limit fds. */
size_t lb_tables_per_commit(rlim_t fd_limit);

#endif
