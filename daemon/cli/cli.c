// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command-line pieces every subcommand shares (cli.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "engine/rules.h"
#include "lib/array.h"
#include "lib/exit_status.h"
#include "lib/log.h"

int cli_rules__add(struct cli_rules *rules, char *path)
{
	if (array_reserve(&rules->paths, &rules->cap_paths, rules->nr_paths + 1))
		return log_error_errno(-ENOMEM, "--rules: %m");
	rules->paths[rules->nr_paths++] = path;
	return 0;
}

int cli_rules__load(const struct cli_rules *rules, bool with_defaults, struct rules **ret_rules)
{
	return rules_load_with_defaults(rules->paths, rules->nr_paths,
					with_defaults && !rules->no_defaults, ret_rules);
}

void cli_rules__fini(struct cli_rules *rules)
{
	free(rules->paths);
	*rules = (struct cli_rules){};
}

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
	       const struct option *options)
{
	int opt;

	if (!cli->parsing) {
		/* Each command parses its own argv from the start. */
		optind = 1;
		cli->parsing = true;
	}
	for (;;) {
		opt = getopt_long(argc, argv, shortopts, options, NULL);
		switch (opt) {
		case 'r':
			if (cli_rules__add(&cli->rules, optarg)) {
				cli->status = EXIT_BAD_INPUT;
				return CLI_STOP;
			}
			break;
		case 'D':
			cli->rules.no_defaults = true;
			break;
		case 'h':
		case '?':
		case ':':
			cli->status = cli_usage(cli, opt == 'h');
			return CLI_STOP;
		default:
			return opt;
		}
	}
}

int cli_usage(const struct cli *cli, bool help)
{
	fprintf(help ? stdout : stderr, "Usage: lockdepd %s\n", cli->usage);
	return help ? 0 : EXIT_BAD_INPUT;
}

const char *cli_one_operand(const struct cli *cli, int argc, char **argv, const char *what,
			    bool show_usage)
{
	if (optind == argc - 1)
		return argv[optind];
	log_error("%s: expected one %s argument", cli->name, what);
	if (show_usage)
		cli_usage(cli, false);
	return NULL;
}

int cli_no_operand(const struct cli *cli, int argc, char **argv)
{
	if (optind == argc)
		return 0;
	return log_error_errno(-EINVAL, "%s: unexpected argument '%s'", cli->name, argv[optind]);
}

int cli_parse_chain_keys(const char *arg, unsigned int *ret_keys)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (end == arg || *end || errno || n == 0 || n > (1ul << 24))
		return log_error_errno(-EINVAL, "--chain-keys: expected 1 to %lu, got '%s'",
				       1ul << 24, arg);
	*ret_keys = (unsigned int)n;
	return 0;
}
