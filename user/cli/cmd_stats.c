// SPDX-License-Identifier: Apache-2.0
/* `sluice stats show`: what the datapath did with packets, summed over CPUs. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lib/verdict_names.h"

static const char usage[] =
	"Usage: sluice stats { show } [--bpffs DIR] [-j]\n"
	"  show   packets and bytes per datapath verdict\n";

static int stats_show(struct cli *cli, int argc, char **argv)
{
	struct sluice_counter sum[SLUICE_VERDICT_MAX];
	int fd, err = 0, v;

	if (argc) {
		p_err(cli, "stats show takes no operands, got '%s'", argv[0]);
		return EXIT_USAGE;
	}
	fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_VERDICTS));
	if (fd < 0) {
		p_err(cli, "cannot open the verdict counters under %s: %s", cli->pins.root,
		      strerror(-fd));
		return EXIT_FAIL;
	}
	for (v = 0; v < SLUICE_VERDICT_MAX && !err; v++)
		err = verdict_read(fd, v, &sum[v]);
	close(fd);
	if (err) {
		p_err(cli, "cannot read the verdict counters: %s", strerror(-err));
		return EXIT_FAIL;
	}
	if (cli->json) {
		cJSON *arr = cJSON_CreateArray();

		for (v = 0; v < SLUICE_VERDICT_MAX; v++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "verdict", verdict_name(v));
			cJSON_AddNumberToObject(o, "packets", (double)sum[v].packets);
			cJSON_AddNumberToObject(o, "bytes", (double)sum[v].bytes);
			cJSON_AddItemToArray(arr, o);
		}
		p_json(cli, arr);
	} else {
		printf("%-20s %14s %16s\n", "VERDICT", "PACKETS", "BYTES");
		for (v = 0; v < SLUICE_VERDICT_MAX; v++)
			printf("%-20s %14llu %16llu\n", verdict_name(v),
			       (unsigned long long)sum[v].packets, (unsigned long long)sum[v].bytes);
	}
	return EXIT_OK;
}

static const struct cli_cmd verbs[] = {
	{ "show", stats_show, "packets and bytes per verdict" },
};

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	return cli_run_verb(cli, argc, argv, verbs, sizeof(verbs) / sizeof(verbs[0]), usage);
}
