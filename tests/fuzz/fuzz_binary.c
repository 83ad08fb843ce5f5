// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the binary reader. An input that starts with the
 * zstd magic is read as it is; any other input is taken as the decompressed
 * content (header and records) and compressed first, so that mutations
 * reach the record parser instead of dying in zstd's checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib/log.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

static void discard_log(enum log_level level, const char *msg, void *ctx)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab *symtab = NULL;
	struct trace_reader *reader = NULL;
	const struct ld_event *ev;
	void *compressed = NULL;
	const void *input = data;
	size_t input_len = size;
	char line[1 << 16];

	log_set_sink(discard_log, NULL);
	if (symtab__new(&symtab))
		goto cleanup;
	if (size < 4 || memcmp(data, "\x28\xb5\x2f\xfd", 4) != 0) {
		size_t bound = ZSTD_compressBound(size);

		compressed = malloc(bound);
		if (!compressed)
			goto cleanup;
		input_len = ZSTD_compress(compressed, bound, data, size, 1);
		if (ZSTD_isError(input_len))
			abort();
		input = compressed;
	}
	if (trace_reader__open_memory(input, input_len, "fuzz", symtab, &reader))
		goto cleanup;
	while (trace_reader__next(reader, &ev) > 0) {
		if (ld_event_validate(ev, ev->size))
			abort(); /* the reader must never hand out an invalid event */
		text_event__format(ev, symtab, trace_reader__gfp_layout(reader), line,
				   sizeof(line));
	}
cleanup:
	trace_reader__free(reader);
	symtab__free(symtab);
	free(compressed);
	return 0;
}
