// SPDX-License-Identifier: Apache-2.0
/* `sluice identity list`: security identities and the addresses that have them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cli/cli.h"
#include "cli/policy_names.h"

static const char usage[] =
	"Usage: sluice identity { list } [--bpffs DIR] [-j]\n"
	"  list   every identity: number, what it stands for (pod:NAMESPACE:LABELS or\n"
	"         cidr:PREFIX, with the policy CIDRs holding it), addresses that have it\n";

/* The reserved identities, listed first: they have no entry in the identity map. */
static const __u32 reserved[] = { SLUICE_IDENTITY_HOST, SLUICE_IDENTITY_WORLD };

struct id_row {
	__u32 id;
	unsigned long addresses;
};

static int row_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct id_row *)a)->id, y = ((const struct id_row *)b)->id;

	return x < y ? -1 : x > y;
}

/* Counts, per identity, the addresses and prefixes of the ipcache. */
static void count_addresses(int ipcache_fd, struct id_row *rows, size_t n)
{
	struct sluice_ipcache4_key key, next;
	struct sluice_ipcache_value v;
	void *prev = NULL;

	while (!bpf_map_get_next_key(ipcache_fd, prev, &next)) {
		struct id_row probe, *hit;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(ipcache_fd, &key, &v))
			continue;
		probe.id = v.identity;
		hit = bsearch(&probe, rows, n, sizeof(*rows), row_cmp);
		if (hit)
			hit->addresses++;
	}
}

static int identity_list(struct cli *cli, int argc, char **argv)
{
	struct policy_names pn;
	struct id_row *rows = NULL, *more;
	size_t n = 0, cap = 0, i;
	__u32 key, next, *prev = NULL;
	char desc[SLUICE_IDENTITY_DESC_LEN];
	cJSON *arr = NULL;
	int ipcache_fd, ret;

	if (argc) {
		p_err(cli, "identity list takes no operands, got '%s'", argv[0]);
		return EXIT_USAGE;
	}
	ret = policy_names_open(cli, &pn);
	if (ret)
		return ret;
	cap = 64;
	rows = calloc(cap, sizeof(*rows));
	for (i = 0; rows && i < sizeof(reserved) / sizeof(reserved[0]); i++)
		rows[n++].id = reserved[i];
	while (rows && !bpf_map_get_next_key(pn.identity_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (n == cap) {
			more = realloc(rows, (cap *= 2) * sizeof(*rows));
			if (!more)
				break;
			rows = more;
		}
		rows[n++] = (struct id_row){ .id = key };
	}
	if (!rows) {
		p_err(cli, "out of memory");
		policy_names_close(&pn);
		return EXIT_FAIL;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	ipcache_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_IPCACHE4));
	if (ipcache_fd >= 0) {
		count_addresses(ipcache_fd, rows, n);
		close(ipcache_fd);
	}
	if (cli->json)
		arr = cJSON_CreateArray();
	else
		printf("%-8s %-10s %s\n", "ID", "ADDRESSES", "IDENTITY");
	for (i = 0; i < n; i++) {
		identity_name(&pn, rows[i].id, desc, sizeof(desc));
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", rows[i].id);
			cJSON_AddStringToObject(o, "identity", desc);
			cJSON_AddNumberToObject(o, "addresses", (double)rows[i].addresses);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-8u %-10lu %s\n", rows[i].id, rows[i].addresses, desc);
		}
	}
	if (arr)
		p_json(cli, arr);
	free(rows);
	policy_names_close(&pn);
	return EXIT_OK;
}

static const struct cli_cmd verbs[] = {
	{ "list", identity_list, "identities and what they stand for" },
};

int cmd_identity(struct cli *cli, int argc, char **argv)
{
	return cli_run_verb(cli, argc, argv, verbs, sizeof(verbs) / sizeof(verbs[0]), usage);
}
