// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/log.h"

/* getopt values of the global options that have no short form. */
enum { OPT_BPFFS = 0x100 };

/* Room for a command's own options and the globals in one getopt table. */
#define CLI_MAX_OPTS 32

static const struct option global_opts[] = {
	{ "bpffs", required_argument, NULL, OPT_BPFFS },
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
};

const struct cli_cmd *cli_select(const struct cli *cli, const struct cli_cmd *cmds,
				 size_t n, const char *word, const char *what)
{
	const struct cli_cmd *hit = NULL;
	size_t i, len = strlen(word), hits = 0;

	for (i = 0; i < n; i++) {
		if (!strcmp(cmds[i].name, word))
			return &cmds[i];
		if (len && !strncmp(cmds[i].name, word, len)) {
			hit = &cmds[i];
			hits++;
		}
	}
	if (hits == 1)
		return hit;
	if (hits > 1)
		p_err(cli, "%s '%s' is ambiguous", what, word);
	else
		p_err(cli, "unknown %s '%s'", what, word);
	return NULL;
}

int cli_parse(struct cli *cli, int argc, char **argv, const struct option *own,
	      int (*set)(void *ctx, int opt, const char *arg), void *ctx,
	      const char *usage, int *optind_out)
{
	struct option opts[CLI_MAX_OPTS];
	char shorts[2 * CLI_MAX_OPTS + 2] = ":jpvh";
	size_t n = 0, i, s = strlen(shorts);
	int opt, ret;

	for (; own && own[n].name; n++) {
		opts[n] = own[n];
		if (own[n].val < 0x100 && own[n].val > ' ') {
			shorts[s++] = (char)own[n].val;
			if (own[n].has_arg == required_argument)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	for (i = 0; i < sizeof(global_opts) / sizeof(global_opts[0]); i++)
		opts[n++] = global_opts[i];
	memset(&opts[n], 0, sizeof(opts[n]));

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (opt) {
		case OPT_BPFFS:
			if (pins_init(&cli->pins, optarg)) {
				p_err(cli, "--bpffs needs an absolute path, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			cli->json = true;
			break;
		case 'p':
			cli->json = cli->pretty = true;
			break;
		case 'v':
			cli->verbose = true;
			log_init("sluice", LOG_LEVEL_DEBUG, false);
			break;
		case 'h':
			fputs(usage, stderr);
			return CLI_HELP;
		case ':':
			p_err(cli, "option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		case '?':
			p_err(cli, "unknown option '%s'", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			ret = set ? set(ctx, opt, optarg) : EXIT_USAGE;
			if (ret)
				return ret;
		}
	}
	*optind_out = optind;
	return 0;
}

int cli_run_verb(struct cli *cli, int argc, char **argv, const struct cli_cmd *verbs,
		 size_t n, const char *usage)
{
	const struct cli_cmd *verb = &verbs[0];
	int ret, first;

	ret = cli_parse(cli, argc, argv, NULL, NULL, NULL, usage, &first);
	if (ret)
		return CLI_EXIT(ret);
	if (first < argc) {
		verb = cli_select(cli, verbs, n, argv[first], "verb");
		if (!verb)
			return EXIT_USAGE;
		first++;
	}
	return verb->run(cli, argc - first, argv + first);
}

void p_err(const struct cli *cli, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cli && cli->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "error", msg);
		p_json(cli, o);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
}

void p_json(const struct cli *cli, cJSON *root)
{
	char *s = cli->pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);

	if (s) {
		puts(s);
		free(s);
	}
	cJSON_Delete(root);
}

bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}
