/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the subcommands' command lines share: the --rules FILE list, --help
 * and the usage text after a usage error, and the operand checks after the
 * options. Each command keeps its own options and messages; these make the
 * common ones behave and read the same in every command.
 */
#ifndef LOCKDEPD_CLI_H
#define LOCKDEPD_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

struct rules;

/*
 * The --rules FILE arguments, in the order given: each file may name the
 * classes of those before it. The paths are argv's, not copies.
 */
struct cli_rules {
	char **paths;
	size_t nr_paths;
	size_t cap_paths;
	bool no_defaults; /* --no-default-rules */
};

/* Adds one --rules FILE; 0, or -ENOMEM logged. */
int cli_rules__add(struct cli_rules *rules, char *path);
/*
 * The files loaded in order (rules.h), after the built-in rules/kernel.yaml
 * when the command takes it (with_defaults) and --no-default-rules was not
 * given; 0, or a negative errno the loader has logged.
 */
int cli_rules__load(const struct cli_rules *rules, bool with_defaults, struct rules **ret_rules);
/* Frees the list (not the paths); the struct may be used again. */
void cli_rules__fini(struct cli_rules *rules);

/* One subcommand's command line, as its options are parsed. */
struct cli {
	const char *name; /* "graph": the first word of its messages */
	/* Its usage without "Usage: lockdepd " and the last newline, as cmd_run_usage. */
	const char *usage;
	struct cli_rules rules;
	int status; /* the exit status, once cli_getopt() returns CLI_STOP */
	bool parsing;
};

#define CLI_STOP (-2)

/*
 * getopt_long() over a subcommand's argv (argv[0] is its name), with the
 * options every command spells the same way answered here: --rules FILE
 * (val 'r') and --no-default-rules ('D') go into cli->rules; --help ('h')
 * prints the usage to stdout, a bad option prints it to stderr. Returns the
 * command's next own option, -1 after the last (optind is then at the
 * first operand), or CLI_STOP when the command ends now with cli->status.
 */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
	       const struct option *options);

/*
 * Prints "Usage: lockdepd <usage>" to stdout for --help, or to stderr after
 * a usage error, and returns the exit status that goes with it: 0 for
 * --help, EXIT_BAD_INPUT for an error.
 */
int cli_usage(const struct cli *cli, bool help);

/*
 * The one operand the options left (argv[optind]), or NULL after logging
 * "NAME: expected one WHAT argument" and, with show_usage, the usage.
 */
const char *cli_one_operand(const struct cli *cli, int argc, char **argv, const char *what,
			    bool show_usage);
/* 0 when the options left no operand, else -EINVAL logged naming the first. */
int cli_no_operand(const struct cli *cli, int argc, char **argv);

/* --chain-keys N: a size for the chain cache, 1 to 16M. 0 or -EINVAL (logged). */
int cli_parse_chain_keys(const char *arg, unsigned int *ret_keys);

#endif
