/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helper threads that work through items 0, 1, 2, ... as the caller
 * publishes them, while the caller goes on producing more; when the caller
 * needs the first n items done, it works alongside the helpers until they
 * are, and the helpers go on with later items meanwhile. The LB writer
 * computes Maglev tables this way while it stages further frontends and
 * writes finished ones.
 */
#ifndef SLUICE_WORK_POOL_H
#define SLUICE_WORK_POOL_H

#include <stddef.h>

/* Does item i; called from any of the threads, once per item. */
typedef void (*work_pool_fn)(void *ctx, size_t i);

struct work_pool;

/*
 * A pool of `helpers` threads (0: the caller does all the work in
 * work_pool_wait()). Threads that cannot be started are left out.
 * NULL when out of memory.
 */
struct work_pool *work_pool_start(size_t helpers, work_pool_fn fn, void *ctx);
/* Items [0, n) may be done from now on; n never shrinks over the pool's life. */
void work_pool_publish(struct work_pool *p, size_t n);
/*
 * Publishes items [0, n) if they are not yet and does what is left of them
 * alongside the helpers; returns when all of them are done.
 */
void work_pool_wait(struct work_pool *p, size_t n);
/* Stops and joins the helpers: items not yet taken are left undone. NULL: nothing. */
void work_pool_stop(struct work_pool *p);
/* How many helper threads run. */
size_t work_pool_helpers(const struct work_pool *p);

#endif
