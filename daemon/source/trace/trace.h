/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Trace files: the two forms of a stream of events, and the one reader of
 * both that callers use.
 *
 * Binary (trace_binary.h): a zstd stream holding a versioned header (format
 * version, event ABI version, kernel release, clock, the kernel's gfp
 * layout), then records: events in a compact fixed layout per type whose
 * addresses, stacks, tasks and call sites are ids into dictionaries, and an
 * end record; trace_binary_layout.h documents the layout. Readers rebuild
 * each event as struct ld_event.
 *
 * Text (trace_text.h): one event per line, the public grammar documented
 * in README.md. `lockdepd dump` prints a binary trace in this form; the
 * reader detects the form from the content.
 *
 * This header is the front: the formats' own headers come with it, for the
 * writer and the text formatting.
 */
#ifndef LOCKDEPD_TRACE_H
#define LOCKDEPD_TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "event/event.h"
#include "source/trace/trace_binary.h"
#include "source/trace/trace_reader.h"
#include "source/trace/trace_text.h"

struct symtab;
struct gfp_layout;
struct trace_reader;

enum trace_form {
	TRACE_FORM_TEXT,
	TRACE_FORM_BINARY,
};

/*
 * Opens a trace of either form ("-" is stdin). Symbol names found in the
 * trace are added to symtab, which the caller owns and which must outlive
 * the reader. Errors are logged naming the file; returns 0 or -errno.
 */
int trace_reader__open(const char *path, struct symtab *symtab, struct trace_reader **ret_reader);

/*
 * The same on a buffer the caller keeps alive until trace_reader__free()
 * (fuzzers, tests, a trace received whole); name is used in messages.
 */
int trace_reader__open_memory(const void *buf, size_t len, const char *name, struct symtab *symtab,
			      struct trace_reader **ret_reader);

/*
 * The next event: 1 with *ret_event valid until the next call, 0 at the
 * end, or a negative errno for bad input, logged as one line naming the
 * file and the line (text) or byte offset (binary). A binary file that ends
 * without its end record is truncated: 0 is returned and
 * trace_reader__truncated() says so; the caller reports what it got.
 */
int trace_reader__next(struct trace_reader *reader, const struct ld_event **ret_event);

/*
 * Every remaining event to fn (trace_reader.h), in order: the loop over
 * trace_reader__next() that report and replays want, without a call into
 * the reader per event. Returns 0 at the end (truncation included, as
 * trace_reader__next()), a negative errno for bad input, logged, or fn's
 * non-zero value.
 */
int trace_reader__replay(struct trace_reader *reader, trace_event_fn fn, void *ctx);

enum trace_form trace_reader__form(const struct trace_reader *reader);
const struct gfp_layout *trace_reader__gfp_layout(const struct trace_reader *reader);
const char *trace_reader__kernel_release(const struct trace_reader *reader); /* "" if unknown */
bool trace_reader__truncated(const struct trace_reader *reader);
__u64 trace_reader__events_read(const struct trace_reader *reader);
void trace_reader__free(struct trace_reader *reader);

/*
 * Prints a whole trace in text form: a `header` line first when the trace
 * knows its kernel or has a non-default gfp layout, then one line per event.
 */
int trace_dump(const char *path, FILE *out);

#endif
