// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the text parser. Besides not crashing or leaking, it
 * checks the formatter against the parser: every event read prints as a
 * line that reads back as the identical event (with the trace's header, so
 * the same gfp layout applies).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

static void discard_log(enum log_level level, const char *msg, void *ctx)
{
}

/* header + "\n" + line, parsed with the same symtab, must give back ev. */
static void check_round_trip(const struct ld_event *ev, const char *header, const char *line,
			     struct symtab *symtab)
{
	size_t len = strlen(header) + strlen(line) + 2;
	char *text = malloc(len);
	struct trace_reader *reader = NULL;
	const struct ld_event *back = NULL;

	if (!text)
		abort();
	snprintf(text, len, "%s\n%s", header, line);
	if (trace_reader__open_memory(text, strlen(text), "round-trip", symtab, &reader) ||
	    trace_reader__next(reader, &back) != 1 || back->size != ev->size ||
	    memcmp(back, ev, ev->size) != 0) {
		fprintf(stderr, "round trip failed for line: %s\n", line);
		abort();
	}
	trace_reader__free(reader);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab *symtab = NULL;
	struct trace_reader *reader = NULL;
	const struct ld_event *ev;
	static char line[1 << 18];
	char header[1 << 14];
	struct ld_event *copy;

	log_set_sink(discard_log, NULL);
	/* Binary inputs belong to fuzz_binary; here every input is text. */
	if (size >= 4 && memcmp(data, "\x28\xb5\x2f\xfd", 4) == 0)
		goto cleanup;
	if (symtab__new(&symtab) || trace_reader__open_memory(data, size, "fuzz", symtab, &reader))
		goto cleanup;
	if (text_header__format(trace_reader__kernel_release(reader),
				trace_reader__gfp_layout(reader), header, sizeof(header)) < 0)
		goto cleanup;
	while (trace_reader__next(reader, &ev) > 0) {
		if (text_event__format(ev, symtab, trace_reader__gfp_layout(reader), line,
				       sizeof(line)) < 0)
			abort();
		/* The reader's event buffer is reused by the next read: keep a copy. */
		copy = malloc(ev->size);
		if (!copy)
			abort();
		memcpy(copy, ev, ev->size);
		check_round_trip(copy, header, line, symtab);
		free(copy);
	}
cleanup:
	trace_reader__free(reader);
	symtab__free(symtab);
	return 0;
}
