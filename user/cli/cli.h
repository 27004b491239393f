/* SPDX-License-Identifier: Apache-2.0 */
/* What every `sluice` command shares: global options, dispatch and output. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "lib/pins.h"

/* Exit codes of every command. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
/* cli_parse(): usage was asked for and printed; the command is done. */
#define CLI_HELP (-1)
/* The first value a command's own long-only options may take (globals use those below). */
#define CLI_OPT_OWN 0x200
/* What a command returns for a cli_parse() result that ends it. */
#define CLI_EXIT(ret) ((ret) == CLI_HELP ? EXIT_OK : (ret))

struct cli {
	struct sluice_pins pins;
	bool json;	/* -j: JSON on stdout, errors as {"error": ...} */
	bool pretty;	/* -p: indented JSON (implies -j) */
	bool verbose;
};

/* A command's handler gets argv from its own name on. */
struct cli_cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
};

/*
 * The entry whose name equals word, or else the one entry it is a prefix
 * of; NULL (after an error naming the candidates) when there is none or
 * more than one. First-match abbreviation would change meaning as commands
 * are added.
 */
const struct cli_cmd *cli_select(const struct cli *cli, const struct cli_cmd *cmds,
				 size_t n, const char *word, const char *what);

/*
 * getopt_long over a command's own options merged with the global ones
 * (--bpffs, -j, -p, -v, -h). own ends with a zero entry; set() gets each of
 * them and returns 0 or an exit code. Returns 0 with *optind_out at the
 * first operand, an exit code, or CLI_HELP once -h has printed usage.
 */
int cli_parse(struct cli *cli, int argc, char **argv, const struct option *own,
	      int (*set)(void *ctx, int opt, const char *arg), void *ctx,
	      const char *usage, int *optind_out);

/*
 * For objects with verbs: parses the options, picks the verb named by the
 * first operand (verbs[0] when there is none) and runs it with the operands
 * after the verb.
 */
int cli_run_verb(struct cli *cli, int argc, char **argv, const struct cli_cmd *verbs,
		 size_t n, const char *usage);

void p_err(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints root on stdout as the global flags ask, then frees it. */
void p_json(const struct cli *cli, cJSON *root);

/* Parses a whole decimal number in [min, max]; false on anything else. */
bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

int cmd_agent(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_endpoint(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_uninstall(struct cli *cli, int argc, char **argv);
int cmd_service(struct cli *cli, int argc, char **argv);
int cmd_ct(struct cli *cli, int argc, char **argv);
int cmd_policy(struct cli *cli, int argc, char **argv);
int cmd_identity(struct cli *cli, int argc, char **argv);
int cmd_node(struct cli *cli, int argc, char **argv);
int cmd_monitor(struct cli *cli, int argc, char **argv);

#endif
