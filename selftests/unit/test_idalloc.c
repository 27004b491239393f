// SPDX-License-Identifier: Apache-2.0
/*
 * The id allocator behind frontend and backend ids: next fit (a freed id
 * comes back only after every other one, so a conntrack entry naming a
 * removed backend never finds a new one at once), take/put for state read
 * back after a restart, exhaustion and the [first, limit) bounds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "lb/idalloc.h"

/* A small range starting above 0, as backend ids do (0 never names one). */
#define SMALL_FIRST 1
#define SMALL_LIMIT 6
/* A range crossing two bitmap word boundaries (64 and 128), not word aligned. */
#define WIDE_FIRST 3
#define WIDE_LIMIT 131
/* Most ids any test here hands out. */
#define IDS_MAX 256

static struct idalloc ia;

static void teardown(void)
{
	idalloc_free_all(&ia);
}

TestSuite(idalloc, .fini = teardown);

static void init(uint32_t first, uint32_t limit)
{
	cr_assert_eq(idalloc_init(&ia, first, limit), 0, "init [%u, %u)", first, limit);
}

static uint32_t get_ok(const char *step)
{
	int64_t id = idalloc_get(&ia);

	cr_assert_geq(id, 0, "%s: an id is free (got %lld)", step, (long long)id);
	cr_assert(id >= ia.first && id < ia.limit, "%s: id %lld within [%u, %u)", step,
		  (long long)id, ia.first, ia.limit);
	return (uint32_t)id;
}

Test(idalloc, hands_out_ids_in_order_from_first)
{
	uint32_t want;

	init(SMALL_FIRST, SMALL_LIMIT);
	for (want = SMALL_FIRST; want < SMALL_LIMIT; want++)
		cr_expect_eq(get_ok("fill"), want, "fill: ids come in order");
	cr_expect_eq(ia.used, SMALL_LIMIT - SMALL_FIRST, "fill: every id counted used");
}

Test(idalloc, exhausted_range_gives_enospc)
{
	uint32_t i;

	init(SMALL_FIRST, SMALL_LIMIT);
	for (i = SMALL_FIRST; i < SMALL_LIMIT; i++)
		get_ok("fill");
	cr_expect_eq(idalloc_get(&ia), -ENOSPC, "full: no id left");
	cr_expect_eq(idalloc_get(&ia), -ENOSPC, "full: still none on a second ask");
	cr_expect_eq(ia.used, SMALL_LIMIT - SMALL_FIRST, "full: failed asks count nothing");
}

Test(idalloc, freed_id_is_not_reused_at_once)
{
	init(SMALL_FIRST, SMALL_LIMIT);
	cr_assert_eq(get_ok("get 1"), 1, "get 1");
	cr_assert_eq(get_ok("get 2"), 2, "get 2");
	cr_assert_eq(get_ok("get 3"), 3, "get 3");
	idalloc_put(&ia, 2);
	cr_expect_eq(get_ok("after put 2"), 4, "after put 2: the next unused id, not 2");
	cr_expect_eq(get_ok("next"), 5, "next: the last id of the range");
	/* Only now, every other id taken, does the search wrap around to 2. */
	cr_expect_eq(get_ok("wrap"), 2, "wrap: the freed id, once nothing else is free");
	cr_expect_eq(idalloc_get(&ia), -ENOSPC, "wrap: then the range is full");
}

Test(idalloc, search_wraps_past_the_limit)
{
	init(SMALL_FIRST, SMALL_LIMIT);
	while (ia.used < SMALL_LIMIT - SMALL_FIRST)
		get_ok("fill");
	idalloc_put(&ia, 1);
	idalloc_put(&ia, 3);
	cr_expect_eq(get_ok("after the last id"), 1, "after the last id: wrap to first");
	cr_expect_eq(get_ok("then"), 3, "then: on from there");
}

Test(idalloc, only_free_id_of_a_full_range_comes_back)
{
	uint32_t i, n = WIDE_LIMIT - WIDE_FIRST, mid = (WIDE_FIRST + WIDE_LIMIT) / 2;

	init(WIDE_FIRST, WIDE_LIMIT);
	for (i = 0; i < n; i++)
		get_ok("fill");
	cr_assert_eq(idalloc_get(&ia), -ENOSPC, "fill: range full");
	idalloc_put(&ia, mid);
	cr_expect_eq(ia.used, n - 1, "put %u: one fewer used", mid);
	cr_expect_eq(get_ok("refill"), mid, "refill: the one free id");
	cr_expect_eq(idalloc_get(&ia), -ENOSPC, "refill: full again");
}

Test(idalloc, every_id_once_across_word_boundaries)
{
	bool seen[IDS_MAX] = { false };
	uint32_t i, id;

	init(WIDE_FIRST, WIDE_LIMIT);
	for (i = WIDE_FIRST; i < WIDE_LIMIT; i++) {
		id = get_ok("fill");
		cr_expect_not(seen[id], "fill: id %u handed out twice", id);
		seen[id] = true;
	}
	for (i = 0; i < IDS_MAX; i++)
		cr_expect_eq(seen[i], i >= WIDE_FIRST && i < WIDE_LIMIT,
			     "fill: id %u handed out iff within [%u, %u)", i, WIDE_FIRST,
			     WIDE_LIMIT);
}

Test(idalloc, take_marks_used_and_get_skips_it)
{
	init(SMALL_FIRST, SMALL_LIMIT);
	cr_assert(idalloc_take(&ia, 1), "take 1: within range");
	cr_assert(idalloc_take(&ia, 3), "take 3: within range");
	cr_expect_eq(ia.used, 2, "take 1 and 3: two used");
	cr_expect(idalloc_take(&ia, 3), "take 3 again: still true");
	cr_expect_eq(ia.used, 2, "take 3 again: counted once");
	cr_expect_eq(get_ok("get"), 2, "get: skips the taken 1");
	cr_expect_eq(get_ok("get"), 4, "get: skips the taken 3");
	cr_expect_eq(get_ok("get"), 5, "get: the last free id");
	cr_expect_eq(idalloc_get(&ia), -ENOSPC, "get: taken ids count toward a full range");
}

Test(idalloc, take_out_of_range_is_refused)
{
	init(SMALL_FIRST, SMALL_LIMIT);
	cr_expect_not(idalloc_take(&ia, SMALL_FIRST - 1), "take below first: refused");
	cr_expect_not(idalloc_take(&ia, SMALL_LIMIT), "take the limit itself: refused");
	cr_expect_not(idalloc_take(&ia, UINT32_MAX), "take UINT32_MAX: refused");
	cr_expect_eq(ia.used, 0, "refused takes count nothing");
	cr_expect_eq(get_ok("get"), SMALL_FIRST, "get: the range is untouched");
}

Test(idalloc, put_of_free_or_foreign_id_changes_nothing)
{
	init(SMALL_FIRST, SMALL_LIMIT);
	cr_assert_eq(get_ok("get"), 1, "get 1");
	idalloc_put(&ia, 2);
	cr_expect_eq(ia.used, 1, "put of the free id 2: nothing to give back");
	idalloc_put(&ia, 1);
	idalloc_put(&ia, 1);
	cr_expect_eq(ia.used, 0, "put 1 twice: counted back once");
	idalloc_put(&ia, SMALL_FIRST - 1);
	idalloc_put(&ia, SMALL_LIMIT);
	idalloc_put(&ia, UINT32_MAX);
	cr_expect_eq(ia.used, 0, "puts out of range: ignored");
	cr_expect_eq(get_ok("get"), 2, "get: next fit goes on after 1");
}

Test(idalloc, empty_range_has_no_id)
{
	init(SMALL_LIMIT, SMALL_LIMIT);
	cr_expect_eq(idalloc_get(&ia), -ENOSPC, "[%u, %u): nothing to hand out", SMALL_LIMIT,
		     SMALL_LIMIT);
	cr_expect_not(idalloc_take(&ia, SMALL_LIMIT), "[%u, %u): nothing to take", SMALL_LIMIT,
		      SMALL_LIMIT);
}

Test(idalloc, range_from_zero_hands_out_zero)
{
	init(0, SMALL_LIMIT);
	cr_expect_eq(get_ok("get"), 0, "frontend ids start at 0");
	cr_expect(idalloc_take(&ia, 0) && ia.used == 1, "take 0 again: already counted");
}
