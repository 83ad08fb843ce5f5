// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `lockdepd dump TRACE`: a trace of either form printed in the canonical
 * text form; `lockdepd dump -o FILE TRACE` writes it as a binary trace
 * instead, which is how a hand-written scenario becomes what `record`
 * would have captured. A truncated binary trace is still dumped and exits
 * 0: the reader has already warned, and what it held is as usable as ever.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "lib/log.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

static int convert_to_binary(const char *in_path, const char *out_path)
{
	struct trace_writer_opts opts = {};
	struct trace_writer *writer = NULL;
	struct trace_reader *reader = NULL;
	const struct ld_event *event;
	struct symtab *symtab = NULL;
	int err;

	if (symtab__new(&symtab))
		return log_error_errno(-ENOMEM, "out of memory");
	err = trace_reader__open(in_path, symtab, &reader);
	if (err)
		goto cleanup;
	opts.kernel_release = trace_reader__kernel_release(reader);
	opts.gfp = trace_reader__gfp_layout(reader);
	err = trace_writer__open(out_path, &opts, symtab, &writer);
	if (err)
		goto cleanup;
	while ((err = trace_reader__next(reader, &event)) > 0) {
		err = trace_writer__write(writer, event);
		if (err)
			break;
	}
	if (err == 0) {
		err = trace_writer__close(writer);
		writer = NULL;
	}
cleanup:
	if (writer)
		trace_writer__close(writer);
	trace_reader__free(reader);
	symtab__free(symtab);
	return err;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli cli = {
		.name = "dump",
		.usage = "dump [-o BINARY] TRACE\n"
			 "Prints a trace (binary or text, \"-\" for stdin) in the text form,\n"
			 "or with -o writes it as a binary trace.",
	};
	const char *out_path = NULL, *path;
	int opt;

	while ((opt = cli_getopt(&cli, argc, argv, "+o:h", options)) >= 0)
		if (opt == 'o')
			out_path = optarg;
	if (opt == CLI_STOP)
		return cli.status;
	path = cli_one_operand(&cli, argc, argv, "TRACE", false);
	if (!path)
		return EXIT_BAD_INPUT;
	if (out_path)
		return convert_to_binary(path, out_path) < 0 ? EXIT_BAD_INPUT : 0;
	return trace_dump(path, stdout) < 0 ? EXIT_BAD_INPUT : 0;
}
