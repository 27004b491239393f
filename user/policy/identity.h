/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security identities: each distinct (kind, namespace, labels, CIDR set)
 * gets a number that stays the same for as long as anything has it, and
 * across agent restarts (the agent reads the pinned identity map back into
 * the allocator). The canonical text of the key is what is stored.
 */
#ifndef SLUICE_POLICY_IDENTITY_H
#define SLUICE_POLICY_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/model.h"

/* Longest canonical identity text kept; longer label sets are refused. */
#define IDENTITY_KEY_LEN 1024

struct id_allocator {
	void *by_key;		/* tree of struct id_entry by canonical text */
	uint32_t next;		/* next fresh id */
	uint32_t limit;		/* one past the highest id */
};

void id_allocator_init(struct id_allocator *a, uint32_t limit);
void id_allocator_free(struct id_allocator *a);
/* Marks all known identities unused; pol_assign_identities() marks what is still in use. */
void id_allocator_begin(struct id_allocator *a);
/* Records an identity read back from the maps (a restart). */
int id_allocator_restore(struct id_allocator *a, const char *key, uint32_t id);
/* The id of key, a fresh one for a new key; 0 when ids ran out. */
uint32_t id_allocator_get(struct id_allocator *a, const char *key);
/*
 * The same for a pod's key, whose fresh id is its home (identity_home())
 * when free, so every node gives the same labels the same number; else
 * a fresh one of this node's own.
 */
uint32_t id_allocator_get_home(struct id_allocator *a, const char *key);
/* Where a pod identity's number is on every node: a hash of its canonical text. */
uint32_t identity_home(const char *key);
/*
 * Whether key's id is its home and no other known key has that home:
 * the id means the same labels on every node. Valid after
 * id_allocator_mark_shared().
 */
bool id_allocator_is_cluster(struct id_allocator *a, const char *key);
/* Finds the homes more than one known key has; call after a pass of gets. */
int id_allocator_mark_shared(struct id_allocator *a);
/*
 * Calls fn for every identity not used since id_allocator_begin() and
 * forgets it: the caller removes it from the maps.
 */
void id_allocator_sweep(struct id_allocator *a, void (*fn)(uint32_t id, void *ctx), void *ctx);

/* The canonical text of an identity. */
void identity_key(const struct pol_identity *id, const struct np_cidr *cidrs, char *buf,
		  size_t len);

/*
 * Computes every identity of the model (one per pod kind and per policy
 * CIDR prefix), fills pods' identity and model->ids. 0 or -errno.
 */
int pol_assign_identities(struct pol_model *m, struct id_allocator *a);
void pol_identities_free(struct pol_model *m);

#endif
