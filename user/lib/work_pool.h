/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helper threads that work through items 0, 1, 2, ... of a round as the
 * caller publishes them, while the caller goes on producing more; at the
 * end of the round the caller works alongside them until every item is
 * done. The LB writer computes Maglev tables this way while it stages
 * further frontends.
 */
#ifndef SLUICE_WORK_POOL_H
#define SLUICE_WORK_POOL_H

#include <stddef.h>

/* Does item i of the round; called from any of the threads, once per item. */
typedef void (*work_pool_fn)(void *ctx, size_t i);

struct work_pool;

/*
 * A pool of `helpers` threads (0: the caller does all the work in
 * work_pool_finish()). Threads that cannot be started are left out.
 * NULL when out of memory.
 */
struct work_pool *work_pool_start(size_t helpers, work_pool_fn fn, void *ctx);
/* Items [0, n) of this round may be done from now on; n never shrinks within a round. */
void work_pool_publish(struct work_pool *p, size_t n);
/* Does what is left of items [0, n) with the helpers; returns when all are done. Next round starts at 0. */
void work_pool_finish(struct work_pool *p, size_t n);
/* Stops and joins the helpers; between rounds (after work_pool_finish()). NULL: nothing. */
void work_pool_stop(struct work_pool *p);
/* How many helper threads run. */
size_t work_pool_helpers(const struct work_pool *p);

#endif
