// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd: the command table. Each subcommand lives in cmd_<name>.c; this
 * file only dispatches, like bpftool's struct cmd tables.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "lib/log.h"
#include "lib/macro.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct cmd cmds[] = {
	{ "report", cmd_report,
	  "report [--rules FILE]... [--no-default-rules] [--format text|json] TRACE" },
	{ "dump", cmd_dump, "dump [-o BINARY] TRACE" },
	{ "rules", cmd_rules, "rules check FILE..." },
	{ "probe", cmd_probe, "probe [--format text|json]" },
	{ "record", cmd_record, "record -o FILE [--duration SEC] [--rules FILE] [-- COMMAND ...]" },
	{ "run", cmd_run, cmd_run_usage },
	{ "status", cmd_status, "status [--format text|json] [--runtime-dir DIR]" },
	{ "merge", cmd_merge, "merge [--rules FILE]... [--format text|json] [-o STATE] STATE..." },
	{ "graph", cmd_graph,
	  "graph [--rules FILE]... [--no-default-rules] [--finding N | --class NAME]\n"
	  "               [--format dot|svg] [--max-classes N] [-o FILE] TRACE|STATE" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: lockdepd COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(out, "  lockdepd %s\n", cmds[i].usage);
	fprintf(out, "\nExit status: 0 nothing found, 1 findings, 2 bad input or usage.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--verbose") == 0) {
		log_set_max_level(LOG_LEVEL_DEBUG);
		argv++;
		argc--;
		if (argc < 2) {
			usage(stderr);
			return EXIT_BAD_INPUT;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	log_error("unknown command '%s' (try 'lockdepd --help')", argv[1]);
	return EXIT_BAD_INPUT;
}
