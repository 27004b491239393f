// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>

#include "agent/ct_gc.h"
#include "lib/bpf_batch.h"
#include "lib/clock.h"

/* Entries read per batch syscall: big enough to be cheap, small enough for the stack of a pass. */
#define CT_GC_BATCH 4096

int ct_gc_remove_expired(int ct_fd, const struct sluice_ct4_key *k, __u64 now)
{
	struct sluice_ct4_value v;

	/*
	 * Taken out with its value as it is at that moment: a new flow on the
	 * same ports, or a reply entry made again, since the read is live.
	 */
	if (bpf_map_lookup_and_delete_elem(ct_fd, k, &v)) {
		if (errno == ENOENT)
			return 0;
		if (errno != EINVAL && errno != EOPNOTSUPP && errno != KERNEL_ENOTSUPP)
			return -errno;
		/* Before Linux 5.14 hash maps cannot: a plain delete, racing as it always did. */
		return bpf_map_delete_elem(ct_fd, k) ? (errno == ENOENT ? 0 : -errno) : 1;
	}
	if (v.expires_ns < now)
		return 1;
	/* Unless the datapath made it once more meanwhile; then its entry stands. */
	if (bpf_map_update_elem(ct_fd, k, &v, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Reads the map in batches and removes afterwards: deleting while walking
 * a hash map with get_next_key would restart the walk at every delete.
 */
long ct_gc_pass(int ct_fd, unsigned long *left)
{
	struct sluice_ct4_key *keys = calloc(CT_GC_BATCH, sizeof(*keys));
	struct sluice_ct4_value *vals = calloc(CT_GC_BATCH, sizeof(*vals));
	struct sluice_ct4_key *expired = NULL;
	size_t n_expired = 0, cap = 0;
	__u64 now = monotonic_ns(), batch = 0;
	bool first = true, done = false;
	unsigned long seen = 0;
	long removed = 0;
	int err = 0;
	__u32 i;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!done) {
		__u32 count = CT_GC_BATCH;

		if (bpf_map_lookup_batch(ct_fd, first ? NULL : &batch, &batch, keys, vals, &count,
					 NULL)) {
			if (errno != ENOENT) {
				err = -errno;
				goto out;
			}
			done = true;
		}
		first = false;
		seen += count;
		for (i = 0; i < count; i++) {
			if (vals[i].expires_ns >= now)
				continue;
			if (n_expired == cap) {
				size_t ncap = cap ? cap * 2 : CT_GC_BATCH;
				struct sluice_ct4_key *e = realloc(expired, ncap * sizeof(*e));

				if (!e) {
					err = -ENOMEM;
					goto out;
				}
				expired = e;
				cap = ncap;
			}
			expired[n_expired++] = keys[i];
		}
	}
	for (i = 0; i < n_expired; i++)
		removed += ct_gc_remove_expired(ct_fd, &expired[i], now) > 0;
	if (left)
		*left = seen - (unsigned long)removed;
out:
	free(keys);
	free(vals);
	free(expired);
	return err ? err : removed;
}
