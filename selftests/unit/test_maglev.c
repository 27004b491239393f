// SPDX-License-Identifier: Apache-2.0
/* Maglev table properties: even spread, minimal disruption, determinism. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <sluice/service.h>

#include "lb/maglev.h"
#include "lib/hash.h"

/* The default table size, and a larger prime for the disruption bound. */
#define M_DEFAULT SLUICE_MAGLEV_SIZE
#define M_LARGE 65521
#define MAX_BACKENDS 100

static uint64_t names[MAX_BACKENDS + 1];

/* Backend keys as the LB writer packs them: 10.244.x.y, port 8080, TCP. */
static void make_names(size_t n, size_t first)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t addr = 0x0af40000 | ((first + i) / 250) << 8 | ((first + i) % 250 + 2);

		names[i] = addr << 24 | 8080 << 8 | 6;
	}
}

Test(maglev, every_backend_gets_an_equal_share)
{
	static uint32_t table[M_DEFAULT];
	size_t n, b;

	for (n = 1; n <= 10; n++) {
		unsigned int count[MAX_BACKENDS] = { 0 };
		uint32_t i;

		make_names(n, 0);
		cr_assert_eq(maglev_fill(names, NULL, n, M_DEFAULT, table), 0, "fill with %zu", n);
		for (i = 0; i < M_DEFAULT; i++) {
			cr_assert_lt(table[i], n, "slot %u names backend %u of %zu", i, table[i], n);
			count[table[i]]++;
		}
		for (b = 0; b < n; b++) {
			double share = (double)count[b] / M_DEFAULT, want = 1.0 / (double)n;

			cr_expect(share >= want - 0.01 && share <= want + 0.01,
				  "%zu backends: backend %zu has %.4f of the slots, want %.4f +- 0.01",
				  n, b, share, want);
			cr_expect(count[b] == M_DEFAULT / n || count[b] == M_DEFAULT / n + 1,
				  "%zu backends: backend %zu has %u slots", n, b, count[b]);
		}
	}
}

/* Slots whose backend changed between two tables, counting a backend by its key. */
static double moved_fraction(const uint32_t *a, const uint64_t *na, const uint32_t *b,
			     const uint64_t *nb, uint32_t size)
{
	uint32_t i, moved = 0;

	for (i = 0; i < size; i++)
		moved += na[a[i]] != nb[b[i]];
	return (double)moved / size;
}

Test(maglev, adding_one_backend_moves_about_one_nth)
{
	static uint32_t before[M_LARGE], after[M_LARGE];
	static uint64_t names_before[MAX_BACKENDS + 1];
	size_t n = 10;
	double moved;

	make_names(n + 1, 0);
	memcpy(names_before, names, sizeof(names));
	cr_assert_eq(maglev_fill(names_before, NULL, n, M_LARGE, before), 0, "fill %zu", n);
	cr_assert_eq(maglev_fill(names, NULL, n + 1, M_LARGE, after), 0, "fill %zu", n + 1);
	moved = moved_fraction(before, names_before, after, names, M_LARGE);
	/* Optimal is 1/(n+1) = 0.091; Maglev's paper measures a little more. */
	cr_expect(moved >= 1.0 / (n + 1) - 0.01 && moved <= 1.5 / (n + 1),
		  "adding an 11th backend moved %.3f of the slots", moved);
}

Test(maglev, removing_one_backend_moves_only_its_share_and_a_little)
{
	static uint32_t before[M_LARGE], after[M_LARGE];
	static uint64_t remaining[MAX_BACKENDS];
	size_t n = 10, i, slots_of_removed = 0;
	double moved;

	make_names(n, 0);
	cr_assert_eq(maglev_fill(names, NULL, n, M_LARGE, before), 0, "fill %zu", n);
	/* Remove backend 3. */
	for (i = 0; i < n - 1; i++)
		remaining[i] = names[i < 3 ? i : i + 1];
	cr_assert_eq(maglev_fill(remaining, NULL, n - 1, M_LARGE, after), 0, "fill %zu", n - 1);
	moved = moved_fraction(before, names, after, remaining, M_LARGE);
	for (i = 0; i < M_LARGE; i++)
		slots_of_removed += before[i] == 3;
	cr_expect(moved <= 1.5 / n, "removing one of %zu moved %.3f of the slots", n, moved);
	cr_expect(moved >= (double)slots_of_removed / M_LARGE,
		  "at least the removed backend's slots moved");
}

Test(maglev, same_keys_same_table_in_any_order_of_calls)
{
	static uint32_t a[M_DEFAULT], b[M_DEFAULT];

	make_names(5, 0);
	cr_assert_eq(maglev_fill(names, NULL, 5, M_DEFAULT, a), 0, "first");
	cr_assert_eq(maglev_fill(names, NULL, 5, M_DEFAULT, b), 0, "second");
	cr_expect_arr_eq(a, b, sizeof(a), "deterministic");
}

Test(maglev, values_name_the_backends_in_their_slots)
{
	static uint32_t by_index[M_DEFAULT], by_value[M_DEFAULT];
	/* Backend ids as the LB writer passes them: anything but the indexes. */
	const uint32_t ids[] = { 70001, 12, 4096 };
	uint32_t i;

	make_names(3, 0);
	cr_assert_eq(maglev_fill(names, NULL, 3, M_DEFAULT, by_index), 0, "indexes");
	cr_assert_eq(maglev_fill(names, ids, 3, M_DEFAULT, by_value), 0, "values");
	for (i = 0; i < M_DEFAULT; i++)
		cr_assert_eq(by_value[i], ids[by_index[i]], "slot %u: %u, want %u", i, by_value[i],
			     ids[by_index[i]]);
}

/*
 * Agents of every release must give the same keys the same table, or a
 * flow that ECMP moves to another node, or an agent upgrade, sends new
 * connections elsewhere. This hash of one table was taken from sluice
 * 0.1.0's fill; a faster fill must keep it.
 */
#define PINNED_TABLE_HASH 0x92e7cb2f7e4b76c5ULL

Test(maglev, the_table_for_given_keys_never_changes)
{
	static uint32_t table[M_DEFAULT];
	uint64_t h = FNV64_OFFSET;
	uint32_t i;

	make_names(3, 0);
	cr_assert_eq(maglev_fill(names, NULL, 3, M_DEFAULT, table), 0, "fill");
	for (i = 0; i < M_DEFAULT; i++)
		h = fnv1a64_u64(h, table[i]);
	cr_expect_eq(h, PINNED_TABLE_HASH, "table hash %#llx, pinned %#llx",
		     (unsigned long long)h, PINNED_TABLE_HASH);
}

Test(maglev, rejects_bad_arguments)
{
	uint32_t t[7];

	make_names(8, 0);
	cr_expect_eq(maglev_fill(names, NULL, 0, 7, t), -EINVAL, "no backends");
	cr_expect_eq(maglev_fill(names, NULL, 8, 7, t), -EINVAL, "more backends than slots");
	cr_expect_eq(maglev_fill(names, NULL, 1, 1, t), -EINVAL, "one-slot table");
	cr_expect_eq(maglev_fill(names, NULL, 7, 7, t), 0, "as many backends as slots");
}
