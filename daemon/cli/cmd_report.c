// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd report: replays a trace (text or binary) through the engine and
 * prints what it finds. Bad input still prints what was found before it:
 * a corrupt tail must not hide a finding from the part that was good.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "engine/engine.h"
#include "lib/log.h"
#include "output/report.h"
#include "engine/rules.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

struct report_printer {
	struct report_opts opts;
	struct symtab *symtab;
	unsigned long printed;
};

static void print_finding(const struct finding *finding, void *ctx)
{
	struct report_printer *printer = ctx;

	if (finding->suppressed)
		return;
	report_finding(stdout, &printer->opts, finding, printer->symtab);
	printer->printed++;
}

static int replay(struct trace_reader *reader, struct engine *engine)
{
	return trace_reader__replay(reader, engine__replay_event, engine);
}

static void usage(void)
{
	fprintf(stderr, "Usage: lockdepd report [--rules FILE]... [--no-default-rules] "
			"[--format text|json] TRACE\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct report_printer printer = {};
	struct trace_reader *reader = NULL;
	struct engine *engine = NULL;
	struct rules *rules = NULL;
	struct symtab *symtab = NULL;
	struct engine_stats stats;
	char **rule_paths = NULL;
	size_t nr_rule_paths = 0;
	bool default_rules = true;
	int status = EXIT_BAD_INPUT;
	int opt, err;

	rule_paths = calloc(argc, sizeof(*rule_paths));
	if (!rule_paths)
		return EXIT_BAD_INPUT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:f:h", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rule_paths[nr_rule_paths++] = optarg;
			break;
		case 'D':
			default_rules = false;
			break;
		case 'f':
			if (report_format_parse(optarg, &printer.opts.format))
				goto cleanup;
			break;
		case 'h':
			usage();
			status = 0;
			goto cleanup;
		default:
			usage();
			goto cleanup;
		}
	}
	if (optind != argc - 1) {
		log_error("report: expected one TRACE argument");
		usage();
		goto cleanup;
	}

	if (rules_load_with_defaults(rule_paths, nr_rule_paths, default_rules, &rules))
		goto cleanup;
	if (symtab__new(&symtab))
		goto cleanup;
	if (trace_reader__open(argv[optind], symtab, &reader))
		goto cleanup;
	if (engine__new(rules, symtab, &engine)) {
		log_error_errno(-ENOMEM, "engine: %m");
		goto cleanup;
	}
	if (engine__set_gfp_layout(engine, trace_reader__gfp_layout(reader)))
		goto cleanup;

	printer.symtab = symtab;
	printer.opts.kernel_release = trace_reader__kernel_release(reader);
	if (printer.opts.kernel_release && !*printer.opts.kernel_release)
		printer.opts.kernel_release = NULL;
	engine__set_finding_fn(engine, print_finding, &printer);

	err = replay(reader, engine);

	engine__stats(engine, &stats);
	/* JSON stdout holds findings only, one per line: the summary goes to stderr. */
	report_summary(printer.opts.format == REPORT_JSON ? stderr : stdout, &printer.opts, &stats);
	if (err < 0)
		goto cleanup;
	status = printer.printed ? EXIT_FINDINGS : 0;
cleanup:
	engine__free(engine);
	trace_reader__free(reader);
	symtab__free(symtab);
	rules__free(rules);
	free(rule_paths);
	return status;
}
