// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd rules check FILE...: loads each rules file, after those before
 * it as --rules does (a file may name their classes), and says what it
 * holds, or prints the one error line (file:line:column) the loader logged.
 * Every file is checked even after a bad one, so one run lists every broken
 * file.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "lib/log.h"
#include "engine/rules.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: lockdepd rules check FILE...\n");
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_summary(const char *path, const struct rules *rules)
{
	printf("%s: ok (%zu %s, %zu %s, %zu %s, %zu %s, %zu %s, %zu %s, %zu %s, %zu %s)\n", path,
	       rules->nr_classes, plural(rules->nr_classes, "class", "classes"), rules->nr_order,
	       plural(rules->nr_order, "order entry", "order entries"), rules->nr_taint_reclaim,
	       plural(rules->nr_taint_reclaim, "reclaim taint", "reclaim taints"),
	       rules->nr_allow_nesting,
	       plural(rules->nr_allow_nesting, "nesting allowance", "nesting allowances"),
	       rules->nr_suppress, plural(rules->nr_suppress, "suppression", "suppressions"),
	       rules->nr_lock_args,
	       plural(rules->nr_lock_args, "lock_args rule", "lock_args rules"),
	       rules->nr_novalidate,
	       plural(rules->nr_novalidate, "novalidate rule", "novalidate rules"),
	       rules->nr_nested, plural(rules->nr_nested, "nested rule", "nested rules"));
}

/* Checks one file after those before it (*all), whose classes it may name, then adds it to them. */
static int check_file(const char *path, struct rules **all)
{
	struct rules *rules;
	int err;

	err = rules__load_after(path, *all, &rules);
	if (err)
		return err;
	print_summary(path, rules);
	if (!*all) {
		*all = rules;
		return 0;
	}
	err = rules__merge(*all, rules);
	rules__free(rules);
	return err;
}

int cmd_rules(int argc, char **argv)
{
	struct rules *all = NULL;
	int status = 0;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		log_error("rules: expected the subcommand 'check'");
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (argc < 3) {
		log_error("rules check: expected at least one FILE");
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	for (int i = 2; i < argc; i++)
		if (check_file(argv[i], &all))
			status = EXIT_BAD_INPUT;
	rules__free(all);
	return status;
}
