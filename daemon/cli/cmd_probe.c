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

#include "cli/cli.h"
#include "cli/cmd.h"
#include "source/live/live.h"
#include "lib/log.h"
#include "output/report.h"
#include "source/live/probe.h"
#include "engine/rules.h"
#include "event/symtab.h"

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
	struct cli cli = {
		.name = "probe",
		.usage = "probe [--format text|json] [--rules FILE]... [--no-default-rules] "
			 "[--attach auto|fentry|kprobe]",
	};
	struct live_opts opts = { .attach = LIVE_ATTACH_AUTO };
	struct rules *rules = NULL;
	struct symtab *symtab = NULL;
	struct live *live = NULL;
	enum report_format format;
	bool json = false;
	int status = EXIT_BAD_INPUT;
	int opt;

	while ((opt = cli_getopt(&cli, argc, argv, "f:r:a:h", options)) >= 0) {
		switch (opt) {
		case 'f':
			if (report_format_parse(optarg, &format))
				goto cleanup;
			json = format == REPORT_JSON;
			break;
		case 'a':
			if (live_parse_attach(optarg, &opts.attach))
				goto cleanup;
			break;
		}
	}
	if (opt == CLI_STOP) {
		status = cli.status;
		goto cleanup;
	}
	/* The defaults' lock_args are probe points like any other. */
	if (cli_no_operand(&cli, argc, argv) || cli_rules__load(&cli.rules, true, &rules))
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
	cli_rules__fini(&cli.rules);
	return status;
}
