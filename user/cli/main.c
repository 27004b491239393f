// SPDX-License-Identifier: Apache-2.0
/* `sluice`: the node agent and the operator's CLI, as OBJECT VERB commands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/log.h"
#include "lib/version.h"

static const char usage[] =
	"Usage: sluice [OPTIONS] OBJECT [VERB] [ARGS]\n"
	"  OBJECT := { agent | status | endpoint | service | ct | stats | policy | identity |\n"
	"             node | monitor | uninstall | version | help }\n"
	"\n"
	"  sluice agent --node-name NAME [--kubeconfig FILE | --in-cluster] [--manifests DIR]\n"
	"                                                    run the node agent\n"
	"  sluice status                                     is the node's datapath ready?\n"
	"  sluice endpoint list                              pods on this node\n"
	"  sluice service list                               frontends and their backends\n"
	"  sluice ct { list | flush }                        connection tracking\n"
	"  sluice stats show                                 datapath verdict counters\n"
	"  sluice policy get NAMESPACE/POD                   a pod's NetworkPolicy rules, drops\n"
	"  sluice identity list                              security identities\n"
	"  sluice node list                                  routing mode and other nodes\n"
	"  sluice monitor [--allowed]                        stream drops (and allowed flows)\n"
	"  sluice uninstall                                  detach and remove every pin\n"
	"  sluice version                                    build and ABI version\n"
	"\n"
	"OPTIONS (anywhere on the line):\n"
	"  --bpffs DIR     pin root (default " SLUICE_PIN_ROOT_DEFAULT ")\n"
	"  -j, --json      JSON output; errors as {\"error\": ...}\n"
	"  -p, --pretty    indented JSON (implies -j)\n"
	"  -v, --verbose   debug logging, libbpf's included\n"
	"  -h, --help      this help, or a command's own\n";

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	int ret, first;

	ret = cli_parse(cli, argc, argv, NULL, NULL, NULL, "Usage: sluice version\n", &first);
	if (ret)
		return CLI_EXIT(ret);
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "version", SLUICE_VERSION);
		cJSON_AddNumberToObject(o, "abi", SLUICE_ABI_VERSION);
		p_json(cli, o);
	} else {
		printf("sluice %s (ABI %d)\n", SLUICE_VERSION, SLUICE_ABI_VERSION);
	}
	return EXIT_OK;
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	fputs(usage, stderr);
	return EXIT_OK;
}

static const struct cli_cmd commands[] = {
	{ "agent", cmd_agent, "run the node agent" },
	{ "status", cmd_status, "is the node's datapath ready?" },
	{ "endpoint", cmd_endpoint, "pods on this node" },
	{ "service", cmd_service, "frontends and their backends" },
	{ "ct", cmd_ct, "connection tracking" },
	{ "stats", cmd_stats, "datapath verdict counters" },
	{ "policy", cmd_policy, "a pod's NetworkPolicy rules and drops" },
	{ "identity", cmd_identity, "security identities" },
	{ "node", cmd_node, "routing mode and other nodes" },
	{ "monitor", cmd_monitor, "stream drops and allowed flows" },
	{ "uninstall", cmd_uninstall, "detach and remove every pin" },
	{ "version", cmd_version, "build and ABI version" },
	{ "help", cmd_help, "this help" },
};

/* Global options may come before the object too; cli_parse() sees them after it. */
static int first_operand(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			return i;
		if (!strcmp(argv[i], "--bpffs"))
			i++;
	}
	return argc;
}

int main(int argc, char **argv)
{
	struct cli cli = { .json = false };
	const struct cli_cmd *cmd;
	char *args[argc + 1];
	int obj, i, n = 0;

	log_init("sluice", LOG_LEVEL_WARN, false);
	pins_init(&cli.pins, SLUICE_PIN_ROOT_DEFAULT);
	obj = first_operand(argc, argv);
	for (i = 1; i < obj; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stderr);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json") ||
		    !strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			cli.json = true;
	}
	if (obj == argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cmd = cli_select(&cli, commands, sizeof(commands) / sizeof(commands[0]), argv[obj],
			 "object");
	if (!cmd)
		return EXIT_USAGE;
	/* The command sees: its name, the global options given before it, the rest. */
	args[n++] = argv[obj];
	for (i = 1; i < obj; i++)
		args[n++] = argv[i];
	for (i = obj + 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return cmd->run(&cli, n, args);
}
