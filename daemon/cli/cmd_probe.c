// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd probe: attaches every probe point for real, prints how each one
 * attached or why it did not and what that costs, and detaches. Exit 0 when
 * the essential lock probes attach, 2 (with one line saying why) when
 * lockdepd cannot see lock operations on this kernel.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "source/live/live.h"
#include "lib/log.h"
#include "output/report.h"
#include "lib/macro.h"
#include "source/live/probe.h"
#include "engine/rules.h"
#include "event/symtab.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: lockdepd probe [--format text|json] [--rules FILE]... "
		     "[--no-default-rules] [--attach auto|fentry|kprobe]\n");
}

int cmd_probe(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'D' },
		{ "attach", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct live_opts opts = { .attach = LIVE_ATTACH_AUTO };
	char *rule_paths[64];
	size_t nr_rule_paths = 0;
	struct rules *rules = NULL;
	struct symtab *symtab = NULL;
	struct live *live = NULL;
	enum report_format format;
	bool json = false, default_rules = true;
	int status = EXIT_BAD_INPUT;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:r:a:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (report_format_parse(optarg, &format))
				return EXIT_BAD_INPUT;
			json = format == REPORT_JSON;
			break;
		case 'r':
			if (nr_rule_paths == ARRAY_SIZE(rule_paths)) {
				log_error("--rules: too many files");
				return EXIT_BAD_INPUT;
			}
			rule_paths[nr_rule_paths++] = optarg;
			break;
		case 'D':
			default_rules = false;
			break;
		case 'a':
			if (live_parse_attach(optarg, &opts.attach))
				return EXIT_BAD_INPUT;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_BAD_INPUT;
		}
	}
	if (optind != argc) {
		log_error("probe: unexpected argument '%s'", argv[optind]);
		return EXIT_BAD_INPUT;
	}
	/* The defaults' lock_args are probe points like any other. */
	if (rules_load_with_defaults(rule_paths, nr_rule_paths, default_rules, &rules))
		goto cleanup;
	opts.rules = rules;
	if (symtab__new(&symtab))
		goto cleanup;
	if (live__open(&opts, symtab, &live))
		goto cleanup;

	if (json)
		probe_table__print_json(live__probe_table(live), live__report_info(live), stdout);
	else
		probe_table__print_text(live__probe_table(live), live__report_info(live), stdout);
	fflush(stdout);
	if (!live__lock_probes_attached(live)) {
		log_error("%s", live__lock_refusal(live) ? live__lock_refusal(live)
							 : "lock probes do not attach");
		goto cleanup;
	}
	status = 0;
cleanup:
	live__free(live);
	symtab__free(symtab);
	rules__free(rules);
	return status;
}
