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

#include "cli/cli.h"
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

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli cli = {
		.name = "report",
		.usage = "report [--rules FILE]... [--no-default-rules] [--format text|json] TRACE",
	};
	struct report_printer printer = {};
	struct trace_reader *reader = NULL;
	struct engine *engine = NULL;
	struct rules *rules = NULL;
	struct symtab *symtab = NULL;
	struct engine_stats stats;
	const char *path;
	int status = EXIT_BAD_INPUT;
	int opt, err;

	while ((opt = cli_getopt(&cli, argc, argv, "r:f:h", options)) >= 0) {
		if (opt == 'f' && report_format_parse(optarg, &printer.opts.format))
			goto cleanup;
	}
	if (opt == CLI_STOP) {
		status = cli.status;
		goto cleanup;
	}
	path = cli_one_operand(&cli, argc, argv, "TRACE", true);
	if (!path || cli_rules__load(&cli.rules, true, &rules))
		goto cleanup;
	if (symtab__new(&symtab))
		goto cleanup;
	if (trace_reader__open(path, symtab, &reader))
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
	cli_rules__fini(&cli.rules);
	return status;
}
