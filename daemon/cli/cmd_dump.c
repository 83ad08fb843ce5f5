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

static void usage(FILE *out)
{
	fprintf(out, "Usage: lockdepd dump [-o BINARY] TRACE\n"
		     "Prints a trace (binary or text, \"-\" for stdin) in the text form,\n"
		     "or with -o writes it as a binary trace.\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *out_path = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+o:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_BAD_INPUT;
		}
	}
	if (optind != argc - 1) {
		log_error("dump: expected one TRACE argument");
		return EXIT_BAD_INPUT;
	}
	if (out_path)
		return convert_to_binary(argv[optind], out_path) < 0 ? EXIT_BAD_INPUT : 0;
	return trace_dump(argv[optind], stdout) < 0 ? EXIT_BAD_INPUT : 0;
}
