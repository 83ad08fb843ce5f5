// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `lockdepd dump TRACE`: a trace of either form printed in the canonical
 * text form. A truncated binary trace is still dumped and exits 0: the
 * reader has already warned, and what it held is as usable as ever.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "trace.h"

int cmd_dump(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("Usage: lockdepd dump TRACE\n"
		       "Prints a trace (binary or text, \"-\" for stdin) in the text form.\n");
		return 0;
	}
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
		log_error("usage: lockdepd dump TRACE");
		return EXIT_BAD_INPUT;
	}
	return trace_dump(argv[1], stdout) < 0 ? EXIT_BAD_INPUT : 0;
}
