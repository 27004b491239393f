// SPDX-License-Identifier: Apache-2.0
/* The work pool: every published item done exactly once, by the helpers or the caller. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "lib/work_pool.h"

/* Items of the tests here, and how long each takes (long enough for helpers to share). */
#define ITEMS 200
#define ITEM_NS 100000L

static struct {
	unsigned int runs[ITEMS];
	pthread_t by[ITEMS];
	unsigned int strays;	/* calls for items never published (asserted on the main thread) */
	pthread_t caller;
	size_t waited;		/* items the caller waits for: it must not run later ones */
	unsigned int caller_beyond;	/* times it did */
} w;

static void work(void *ctx, size_t i)
{
	struct timespec t = { .tv_nsec = ITEM_NS };

	(void)ctx;
	if (i >= ITEMS) {
		__atomic_fetch_add(&w.strays, 1, __ATOMIC_RELAXED);
		return;
	}
	if (pthread_equal(pthread_self(), w.caller) && i >= w.waited)
		__atomic_fetch_add(&w.caller_beyond, 1, __ATOMIC_RELAXED);
	w.runs[i]++;
	w.by[i] = pthread_self();
	nanosleep(&t, NULL);
}

static void expect_each_ran(size_t n, unsigned int times, const char *step)
{
	size_t i;

	for (i = 0; i < n; i++)
		cr_expect_eq(w.runs[i], times, "%s: item %zu ran %u times", step, i, w.runs[i]);
	for (; i < ITEMS; i++)
		cr_expect_eq(w.runs[i], times - 1, "%s: item %zu, not published, ran", step, i);
	cr_expect_eq(w.strays, 0, "%s: items beyond the published ones ran", step);
}

static void reset(void)
{
	memset(&w, 0, sizeof(w));
	w.caller = pthread_self();
	w.waited = ITEMS;
}

Test(work_pool, without_helpers_the_caller_does_everything_when_it_waits)
{
	struct work_pool *p = work_pool_start(0, work, NULL);

	reset();
	cr_assert_not_null(p, "pool");
	cr_expect_eq(work_pool_helpers(p), 0);
	work_pool_publish(p, 10);
	cr_expect_eq(w.runs[0], 0, "nothing runs before the wait without helpers");
	work_pool_wait(p, 10);
	expect_each_ran(10, 1, "wait");
	work_pool_stop(p);
}

Test(work_pool, helpers_share_items_published_one_by_one)
{
	struct work_pool *p = work_pool_start(3, work, NULL);
	size_t i, by_helpers = 0;

	reset();
	cr_assert_not_null(p, "pool");
	cr_expect_eq(work_pool_helpers(p), 3, "three helpers started");
	for (i = 1; i <= ITEMS; i++)
		work_pool_publish(p, i);
	work_pool_wait(p, ITEMS);
	expect_each_ran(ITEMS, 1, "wait");
	for (i = 0; i < ITEMS; i++)
		by_helpers += !pthread_equal(w.by[i], pthread_self());
	cr_expect_gt(by_helpers, 0, "the helpers did some of the %d items", ITEMS);
	work_pool_stop(p);
}

/* The writer waits for the older half of its tables while the helpers go on with the newer. */
Test(work_pool, waiting_for_the_first_items_leaves_later_ones_to_the_helpers)
{
	struct work_pool *p = work_pool_start(1, work, NULL);
	size_t i;

	reset();
	cr_assert_not_null(p, "pool");
	w.waited = ITEMS / 2;
	work_pool_publish(p, ITEMS);
	work_pool_wait(p, ITEMS / 2);
	for (i = 0; i < ITEMS / 2; i++)
		cr_expect_eq(w.runs[i], 1, "first wait: item %zu ran %u times", i, w.runs[i]);
	cr_expect_eq(__atomic_load_n(&w.caller_beyond, __ATOMIC_RELAXED), 0,
		     "first wait: the caller ran items it did not wait for");
	w.waited = ITEMS;
	work_pool_wait(p, ITEMS);
	expect_each_ran(ITEMS, 1, "second wait");
	work_pool_stop(p);
}

Test(work_pool, wait_publishes_what_it_waits_for)
{
	struct work_pool *p = work_pool_start(2, work, NULL);

	reset();
	cr_assert_not_null(p, "pool");
	work_pool_wait(p, 10);
	expect_each_ran(10, 1, "wait");
	work_pool_stop(p);
}

Test(work_pool, an_empty_wait_and_stop_return)
{
	struct work_pool *p = work_pool_start(2, work, NULL);

	reset();
	cr_assert_not_null(p, "pool");
	work_pool_wait(p, 0);
	work_pool_stop(p);
	work_pool_stop(NULL);
	expect_each_ran(0, 1, "nothing");
}
