// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>
#include <bpf/bpf.h>
#include <sluice/abi.h>

#include "lib/policy_tables.h"

static bool table_isolates(__u32 inner_id)
{
	struct sluice_policy_key catch_all = { .prefixlen = 0 };
	struct sluice_policy_value v;
	int fd = bpf_map_get_fd_by_id(inner_id);
	bool isolates;

	if (fd < 0)
		return true;
	isolates = bpf_map_lookup_elem(fd, &catch_all, &v) || v.policy_id != SLUICE_POLICY_ID_OPEN;
	close(fd);
	return isolates;
}

__u64 policy_isolating_tables(const struct sluice_pins *pins, __u64 most)
{
	static const char *const outer[] = {
		SLUICE_STR(SLUICE_MAP_POLICY_IN),
		SLUICE_STR(SLUICE_MAP_POLICY_OUT),
	};
	struct sluice_endpoint_key key, next;
	__u64 n = 0;
	__u32 inner_id;
	size_t i;

	for (i = 0; i < sizeof(outer) / sizeof(outer[0]) && (!most || n < most); i++) {
		int fd = pins_open_map(pins, outer[i]);
		void *prev = NULL;

		if (fd < 0)
			continue;
		while ((!most || n < most) && !bpf_map_get_next_key(fd, prev, &next)) {
			key = next;
			prev = &key;
			n += !bpf_map_lookup_elem(fd, &key, &inner_id) && table_isolates(inner_id);
		}
		close(fd);
	}
	return n;
}
