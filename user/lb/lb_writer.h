/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Programs service frontends into the pinned maps, writing only what
 * changed. Order keeps every packet's view sound: new backends are written
 * before any Maglev slot names them, a frontend appears only once its table
 * is in sluice_maglev, and backends go only after no slot names them.
 *
 * A table is one value of sluice_maglev (a hash map), so writing it
 * replaces it whole and atomically. Frontends whose table changes are
 * staged by lb_writer_sync(), and helper threads compute their tables
 * while the writer goes on; a commit finishes the tables with them and
 * writes them in one batch, and the frontend entries that wait for them
 * follow. The writer commits the older half of what it staged when two
 * commits' worth wait, so the threads compute while it writes, and
 * lb_writer_commit() commits everything.
 *
 * After an agent restart the writer reads the maps back (frontend ids,
 * backend ids, owners, which tables exist), so unchanged services cause no
 * writes at all and established flows keep the backend ids their conntrack
 * entries name; a frontend whose table is missing gets it again at once.
 */
#ifndef SLUICE_LB_WRITER_H
#define SLUICE_LB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/bpf.h>

#include "lb/frontends.h"
#include "lb/idalloc.h"
#include "lib/pins.h"
#include "lib/work_pool.h"

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
	unsigned long maglev_writes;	/* system calls writing tables into sluice_maglev */
	unsigned long backend_writes;	/* system calls writing sluice_backend4 */
};

struct lb_fe;
struct lb_owner;

struct lb_writer {
	struct lb_maps maps;
	const struct lb_map_io *io;
	__u32 maglev_size;
	struct lb_fe *by_key;		/* hash table of frontends, by key (lb_state.h) */
	struct lb_owner *by_owner;	/* hash table of owners, by "namespace/name" */
	/*
	 * Staged frontends wait in a ring of stage_cap slots, two commits' worth:
	 * the i-th one ever staged in slot i % stage_cap. While the writer
	 * commits the older half, the pool computes the newer one's tables.
	 */
	size_t staged;		/* frontends staged so far */
	size_t committed;	/* of those, the ones committed */
	size_t tables_per_commit;	/* staged changes one commit finishes at most */
	size_t stage_cap;	/* slots in the ring: 2 * tables_per_commit */
	struct lb_fe **stage_fes;	/* [stage_cap]: the staged frontends */
	__u32 *stage_ids;	/* [stage_cap]: their ids */
	__u32 *stage_slots;	/* [stage_cap][maglev_size]: their tables */
	int *stage_errs;	/* [stage_cap]: computing each table's result */
	int *commit_errs;	/* [tables_per_commit]: each committed change's first failure */
	int *publish_errs;	/* [tables_per_commit]: the same, with its metadata and entry */
	struct work_pool *pool;	/* threads computing staged tables as they are staged */
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
 * removes only what differs. Frontends whose table stays change at once,
 * removed ones go at once; new tables are staged and their frontends wait
 * for lb_writer_commit() (a full stage buffer, or a service with staged
 * frontends already, commits first). A frontend another service holds is
 * left to it (logged, counted); one that does not fit a full map is left
 * out (logged, counted) while everything else is applied. 0 or a negative
 * errno for a failure of the maps themselves.
 */
int lb_writer_sync(struct lb_writer *w, const char *ns, const char *name,
		   const struct lb_frontends *fe);
/* Removes every frontend of service ns/name. */
int lb_writer_remove(struct lb_writer *w, const char *ns, const char *name);
/*
 * Writes every staged table into sluice_maglev in one batch, then makes
 * their frontends visible as staged and deletes the backends no table
 * names any more. A frontend whose table cannot go in is undone whole and
 * logged; the others are applied. 0 or the first such failure.
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
/* How many staged tables of maglev_size slots a commit takes at most. */
size_t lb_tables_per_commit(__u32 maglev_size);

#endif
