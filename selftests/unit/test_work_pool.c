// SPDX-License-Identifier: Apache-2.0
/* The work pool: every published item done exactly once, by the helpers or the caller. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "lib/work_pool.h"

/* Items of the rounds here, and how long each takes (long enough for helpers to share). */
#define ITEMS 200
#define ITEM_NS 100000L

static struct {
	unsigned int runs[ITEMS];
	pthread_t by[ITEMS];
	unsigned int strays;	/* calls for items never published (asserted on the main thread) */
} w;

static void work(void *ctx, size_t i)
{
	struct timespec t = { .tv_nsec = ITEM_NS };

	(void)ctx;
	if (i >= ITEMS) {
		__atomic_fetch_add(&w.strays, 1, __ATOMIC_RELAXED);
		return;
	}
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

Test(work_pool, without_helpers_the_caller_does_everything_at_finish)
{
	struct work_pool *p = work_pool_start(0, work, NULL);

	memset(&w, 0, sizeof(w));
	cr_assert_not_null(p, "pool");
	cr_expect_eq(work_pool_helpers(p), 0);
	work_pool_publish(p, 10);
	cr_expect_eq(w.runs[0], 0, "nothing runs before finish without helpers");
	work_pool_finish(p, 10);
	expect_each_ran(10, 1, "finish");
	work_pool_stop(p);
}

Test(work_pool, helpers_share_items_published_one_by_one)
{
	struct work_pool *p = work_pool_start(3, work, NULL);
	size_t i, by_helpers = 0;

	memset(&w, 0, sizeof(w));
	cr_assert_not_null(p, "pool");
	cr_expect_eq(work_pool_helpers(p), 3, "three helpers started");
	for (i = 1; i <= ITEMS; i++)
		work_pool_publish(p, i);
	work_pool_finish(p, ITEMS);
	expect_each_ran(ITEMS, 1, "first round");
	for (i = 0; i < ITEMS; i++)
		by_helpers += !pthread_equal(w.by[i], pthread_self());
	cr_expect_gt(by_helpers, 0, "the helpers did some of the %d items", ITEMS);
	/* A second round starts from item 0 again. */
	work_pool_finish(p, ITEMS / 2);
	for (i = 0; i < ITEMS; i++)
		cr_expect_eq(w.runs[i], i < ITEMS / 2 ? 2 : 1, "second round: item %zu", i);
	work_pool_stop(p);
}

Test(work_pool, an_empty_round_and_stop_return)
{
	struct work_pool *p = work_pool_start(2, work, NULL);

	memset(&w, 0, sizeof(w));
	cr_assert_not_null(p, "pool");
	work_pool_finish(p, 0);
	work_pool_stop(p);
	work_pool_stop(NULL);
	expect_each_ran(0, 1, "nothing");
}
