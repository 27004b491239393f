// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agent/nomasq.h"

bool nomasq_parse(struct nomasq *o, const char *list, char *why, size_t len)
{
	char *copy = strdup(list), *save = NULL, *item;
	bool ok = copy != NULL, v6;

	o->n = 0;
	for (item = copy ? strtok_r(copy, ",", &save) : NULL; item && ok;
	     item = strtok_r(NULL, ",", &save)) {
		if (o->n == SLUICE_NOMASQ_MAX) {
			snprintf(why, len, "more than %d CIDRs", SLUICE_NOMASQ_MAX);
			ok = false;
		} else if (!np_cidr_parse(item, &o->cidrs[o->n], &v6)) {
			snprintf(why, len, "'%s' is not an IPv4 network such as 10.0.0.0/8", item);
			ok = false;
		} else {
			o->n++;
		}
	}
	if (ok && !o->n) {
		snprintf(why, len, "no CIDR given");
		ok = false;
	}
	free(copy);
	return ok;
}

static bool nomasq_has(const struct nomasq *o, const struct sluice_node4_key *k)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->cidrs[i].prefix == k->prefixlen && o->cidrs[i].addr.s_addr == k->addr)
			return true;
	return false;
}

int nomasq_write(const struct sluice_pins *pins, const struct nomasq *o)
{
	int fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_NOMASQ4)), err = 0;
	struct sluice_node4_key keys[SLUICE_NOMASQ_MAX], *prev = NULL, k;
	__u32 one = 1;
	size_t n = 0, i;

	if (fd < 0)
		return fd;
	while (n < SLUICE_NOMASQ_MAX && !bpf_map_get_next_key(fd, prev, &keys[n])) {
		prev = &keys[n];
		n++;
	}
	for (i = 0; i < n; i++)
		if (!nomasq_has(o, &keys[i]))
			bpf_map_delete_elem(fd, &keys[i]);
	for (i = 0; i < o->n && !err; i++) {
		k = (struct sluice_node4_key){ o->cidrs[i].prefix, o->cidrs[i].addr.s_addr };
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			err = -errno;
	}
	close(fd);
	return err;
}
