// SPDX-License-Identifier: Apache-2.0
/*
 * lb_map_update_all(): how the LB writer writes many entries in as few
 * calls as the kernel allows, against a scripted stand-in for libbpf's
 * batch and single updates: one batch when all goes well, a resumed batch
 * around an entry the kernel refuses, single updates on a kernel without
 * batch updates. And lb_tables_per_commit(): how many staged tables one
 * commit takes for a given table size.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "lb/lb_writer.h"
#include "lib/bpf_batch.h"

/* Entries of every write here: keys 0..ENTRIES-1, values VALUE_BASE + key. */
#define ENTRIES 10
#define VALUE_BASE 1000
/* The map fd the stand-ins expect: any number, nothing is opened. */
#define FAKE_FD 42
/* No key: the stand-ins refuse nothing. */
#define NO_KEY (~0u)

/* The stand-in map and what the stand-ins are told to do. */
static struct {
	__u32 values[ENTRIES];
	bool written[ENTRIES];
	unsigned int batch_calls, elem_calls;
	__u32 bad_key;		/* refused by batch and single update alike, with bad_err */
	int bad_err;
	int batch_refuses;	/* every batch call fails whole with this (count untouched) */
	int batch_refuses_once;	/* the first batch call fails whole with this */
} fake;

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.bad_key = NO_KEY;
}

TestSuite(lb_batch, .init = setup);

static int put(int fd, __u32 key, __u32 value)
{
	cr_assert_eq(fd, FAKE_FD, "the writer writes the map it was given");
	cr_assert_lt(key, ENTRIES, "key %u in range", key);
	if (key == fake.bad_key) {
		errno = -fake.bad_err;
		return fake.bad_err;
	}
	fake.values[key] = value;
	fake.written[key] = true;
	return 0;
}

/* As the kernel: entries in order until one fails, count set to those written. */
static int fake_batch(int fd, const void *keys, const void *values, __u32 *count,
		      const struct bpf_map_batch_opts *opts)
{
	const __u32 *k = keys, *v = values;
	__u32 i;
	int err = 0;

	(void)opts;
	fake.batch_calls++;
	if (fake.batch_refuses_once || fake.batch_refuses) {
		err = fake.batch_refuses_once ? fake.batch_refuses_once : fake.batch_refuses;
		fake.batch_refuses_once = 0;
		errno = -err;
		return err;
	}
	for (i = 0; i < *count && !err; i++)
		err = put(fd, k[i], v[i]);
	if (err)
		*count = i - 1;
	return err;
}

static int fake_elem(int fd, const void *key, const void *value, __u64 flags)
{
	cr_assert_eq(flags, BPF_ANY, "entries are written whether or not they exist");
	fake.elem_calls++;
	return put(fd, *(const __u32 *)key, *(const __u32 *)value);
}

static const struct lb_map_io fake_io = {
	.update_batch = fake_batch,
	.update_elem = fake_elem,
};

/* Writes the ENTRIES entries; errs[] gets each one's result, *calls the calls made. */
static int write_all(int *errs, unsigned long *calls)
{
	__u32 keys[ENTRIES], values[ENTRIES], i;

	for (i = 0; i < ENTRIES; i++) {
		keys[i] = i;
		values[i] = VALUE_BASE + i;
	}
	memset(errs, 0, ENTRIES * sizeof(*errs));
	*calls = 0;
	return lb_map_update_all(&fake_io, FAKE_FD, keys, values, sizeof(*keys), sizeof(*values),
				 ENTRIES, errs, calls);
}

/* Every entry but skip (NO_KEY: none) holds its value. */
static void expect_written(__u32 skip, const char *step)
{
	__u32 i;

	for (i = 0; i < ENTRIES; i++) {
		if (i == skip) {
			cr_expect_not(fake.written[i], "%s: entry %u not written", step, i);
			continue;
		}
		cr_expect(fake.written[i], "%s: entry %u written", step, i);
		cr_expect_eq(fake.values[i], VALUE_BASE + i, "%s: entry %u's value", step, i);
	}
}

Test(lb_batch, all_in_one_batch)
{
	int errs[ENTRIES], err;
	unsigned long calls;

	err = write_all(errs, &calls);
	cr_expect_eq(err, 0, "no entry fails");
	expect_written(NO_KEY, "one batch");
	cr_expect_eq(calls, 1, "one call, got %lu", calls);
	cr_expect_eq(fake.batch_calls, 1, "it is a batch");
	cr_expect_eq(fake.elem_calls, 0, "no single update");
}

Test(lb_batch, refused_entry_fails_alone_and_the_batch_resumes)
{
	int errs[ENTRIES], err;
	unsigned long calls;
	__u32 i;

	fake.bad_key = 4;
	fake.bad_err = -EBADF;
	err = write_all(errs, &calls);
	cr_expect_eq(err, -EBADF, "the refused entry's error is returned");
	expect_written(4, "around entry 4");
	for (i = 0; i < ENTRIES; i++)
		cr_expect_eq(errs[i], i == 4 ? -EBADF : 0, "entry %u's own result", i);
	/* Batch to entry 4, entry 4 alone, batch from entry 5. */
	cr_expect_eq(fake.batch_calls, 2, "two batch calls, got %u", fake.batch_calls);
	cr_expect_eq(fake.elem_calls, 1, "one single update, got %u", fake.elem_calls);
	cr_expect_eq(calls, 3, "three calls counted, got %lu", calls);
}

/* A refused first entry is its own failure, not the batch call's: batching goes on. */
Test(lb_batch, refused_first_entry_keeps_batching)
{
	int errs[ENTRIES], err;
	unsigned long calls;

	fake.bad_key = 0;
	fake.bad_err = -EINVAL;
	err = write_all(errs, &calls);
	cr_expect_eq(err, -EINVAL, "entry 0's error is returned");
	cr_expect_eq(errs[0], -EINVAL, "entry 0 failed");
	expect_written(0, "after entry 0");
	cr_expect_eq(fake.batch_calls, 2, "the rest in one more batch, got %u", fake.batch_calls);
	cr_expect_eq(fake.elem_calls, 1, "entry 0 alone, got %u", fake.elem_calls);
}

static void expect_singles_after_refusal(int refusal, const char *step)
{
	int errs[ENTRIES], err;
	unsigned long calls;

	fake.batch_refuses = refusal;
	err = write_all(errs, &calls);
	cr_expect_eq(err, 0, "%s: every entry written", step);
	expect_written(NO_KEY, step);
	cr_expect_eq(fake.batch_calls, 1, "%s: batch tried once, got %u", step, fake.batch_calls);
	cr_expect_eq(fake.elem_calls, ENTRIES, "%s: then one update per entry, got %u", step,
		     fake.elem_calls);
	cr_expect_eq(calls, ENTRIES + 1, "%s: calls counted, got %lu", step, calls);
}

Test(lb_batch, kernel_without_batch_update_gets_singles)
{
	expect_singles_after_refusal(-KERNEL_ENOTSUPP, "ENOTSUPP");
}

Test(lb_batch, kernel_without_batch_command_gets_singles)
{
	expect_singles_after_refusal(-EINVAL, "EINVAL");
}

/* Another error refusing a batch whole (ENOMEM) costs one entry alone, not batching. */
Test(lb_batch, passing_batch_failure_keeps_batching)
{
	int errs[ENTRIES], err;
	unsigned long calls;

	fake.batch_refuses_once = -ENOMEM;
	err = write_all(errs, &calls);
	cr_expect_eq(err, 0, "every entry written");
	expect_written(NO_KEY, "after ENOMEM");
	cr_expect_eq(fake.batch_calls, 2, "batch again after entry 0, got %u", fake.batch_calls);
	cr_expect_eq(fake.elem_calls, 1, "entry 0 alone, got %u", fake.elem_calls);
}

Test(lb_batch, nothing_to_write_makes_no_call)
{
	unsigned long calls = 0;
	int err;

	err = lb_map_update_all(&fake_io, FAKE_FD, NULL, NULL, sizeof(__u32), sizeof(__u32), 0,
				NULL, &calls);
	cr_expect_eq(err, 0, "nothing fails");
	cr_expect_eq(calls, 0, "no call");
}

Test(lb_batch, tables_per_commit_follow_the_table_size)
{
	/* Two commits' worth fit 16 MiB of staged slots, within [1, 512] each. */
	cr_expect_eq(lb_tables_per_commit(SLUICE_MAGLEV_SIZE), 512,
		     "the default size: the cap (8 MiB would hold %d)",
		     (8 << 20) / (SLUICE_MAGLEV_SIZE * 4));
	cr_expect_eq(lb_tables_per_commit(65521), 32, "the largest size: 8 MiB / 262084 B");
	cr_expect_eq(lb_tables_per_commit(7), 512, "the smallest size: the cap");
	cr_expect_eq(lb_tables_per_commit(UINT32_MAX / 4), 1, "a table over 8 MiB: one at a time");
}
