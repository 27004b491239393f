/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The LB writer's own record of what it programmed: frontends with their
 * backend ids, the services that own them, changes waiting for commit.
 * Shared by the writer's files only (lb_writer.c writes, lb_restore.c
 * reads an earlier agent's maps back at open); users see lb_writer.h.
 */
#ifndef SLUICE_LB_STATE_H
#define SLUICE_LB_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "lb/lb_writer.h"
#include "lib/hash_table.h"

/* "namespace/name" of a service: the owner of its frontends. */
#define OWNER_LEN (SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN)

/* A programmed backend: what it is and the id the maps know it by. */
struct lb_be {
	struct lb_backend b;
	__u32 id;
};

struct lb_owner;

/* What a sync asks of one frontend, with backend ids given. */
struct lb_change {
	struct lb_be *bes;
	bool *fresh;		/* bes[i] got its id for this change: undone if it fails */
	bool *put;		/* bes[i] must be written (new, or its flags changed) */
	size_t n;
	struct sluice_svc_value value;
	struct sluice_svc_meta meta;
};

/* A change that waits for its frontend's new table to enter sluice_maglev at commit. */
struct lb_staged {
	struct lb_change c;
	bool created;		/* the frontend is new: undone whole if its table fails */
};

/* A programmed frontend, as the maps hold it. */
struct lb_fe {
	struct sluice_svc4_key key;
	__u32 id;
	struct sluice_svc_value value;
	struct sluice_svc_meta meta;
	struct lb_be *bes;
	size_t n_bes;
	struct lb_staged *staged;	/* its next state, until commit */
	bool table_ok;		/* the map's Maglev table is the one bes give */
	bool in_map;		/* value and meta are in the maps (else they are still zero) */
	bool claimed;		/* a service has claimed it since the writer opened */
	bool seen;		/* wanted in the sync under way */
	struct lb_owner *owner;
	UT_hash_handle hh;	/* in the writer's by_key */
};

/* The frontends one service holds. */
struct lb_owner {
	char name[OWNER_LEN];
	struct lb_fe **fes;
	size_t n, cap;
	UT_hash_handle hh;	/* in the writer's by_owner */
};

/* The programmed frontend with this key, or NULL. */
struct lb_fe *lb_fe_find(struct lb_writer *w, const struct sluice_svc4_key *key);
/* Puts fe into the writer's frontends by key; false when out of memory. */
bool lb_fe_index(struct lb_writer *w, struct lb_fe *fe);
/* The owner of this name, created (empty) if asked for; NULL: none, or out of memory. */
struct lb_owner *lb_owner_get(struct lb_writer *w, const char *name, bool create);
/* Makes o fe's owner; -ENOMEM. */
int lb_owner_add(struct lb_owner *o, struct lb_fe *fe);
/* Orders struct lb_be by backend (address, port, protocol), for qsort. */
int lb_bes_cmp(const void *a, const void *b);
/* Room in c for n backends (one more, so no backends is not NULL); on failure c holds nothing. */
int lb_change_alloc(struct lb_change *c, size_t n);
void lb_change_free(struct lb_change *c);
/*
 * Stages c for fe: its table is computed and written at commit, and the
 * rest of c follows it. Takes c's arrays.
 */
void lb_fe_stage(struct lb_writer *w, struct lb_fe *fe, struct lb_staged *s,
		 struct lb_change *c, bool created);

/*
 * Reads back what an earlier agent left in the maps (lb_restore.c): its
 * frontends, owners and backend ids, dropping what is half-written, and
 * gives every frontend that has backends but no table its table again.
 * fe_max: the frontend ids the maps hold.
 */
int lb_restore(struct lb_writer *w, __u32 fe_max);

#endif
