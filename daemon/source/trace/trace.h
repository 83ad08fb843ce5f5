/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Trace files: the two forms of a stream of events.
 *
 * Binary: a zstd stream holding a versioned header (format version, event
 * ABI version, kernel release, clock, the kernel's gfp layout), then records:
 * events in a compact fixed layout per type whose addresses, stacks and
 * comms are ids into dictionaries (address records carry the symbol names,
 * so every address an event uses is named before that event), and an end
 * record; trace_binary.c documents the layout. Readers rebuild each event as
 * struct ld_event. Version 1 files (events stored as struct ld_event) are
 * still read. Written with the streaming encoder and flushed regularly, so
 * a file cut off by a crash reads up to its last flush and is reported as
 * truncated.
 *
 * Text: one event per line ("acquire pid=120 lock=0x... type=ww_mutex"),
 * the public grammar documented in README.md. `lockdepd dump` prints a
 * binary trace in this form; readers detect the form from the content.
 */
#ifndef LOCKDEPD_TRACE_H
#define LOCKDEPD_TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "event/event.h"

struct symtab;
struct gfp_layout;
struct trace_reader;
struct trace_writer;

#define TRACE_FORMAT_VERSION 3

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

/* Called by trace_reader__replay() for each event; non-zero stops it and is returned. */
typedef int (*trace_event_fn)(void *ctx, const struct ld_event *event);

/*
 * Every remaining event to fn, in order: the loop over trace_reader__next()
 * that report and replays want, without a call into the reader per event.
 * Returns 0 at the end (truncation included, as trace_reader__next()), a
 * negative errno for bad input, logged, or fn's non-zero value.
 */
int trace_reader__replay(struct trace_reader *reader, trace_event_fn fn, void *ctx);

enum trace_form trace_reader__form(const struct trace_reader *reader);
const struct gfp_layout *trace_reader__gfp_layout(const struct trace_reader *reader);
const char *trace_reader__kernel_release(const struct trace_reader *reader); /* "" if unknown */
bool trace_reader__truncated(const struct trace_reader *reader);
__u64 trace_reader__events_read(const struct trace_reader *reader);
void trace_reader__free(struct trace_reader *reader);

struct trace_writer_opts {
	const char *kernel_release; /* NULL or "" when unknown */
	const struct gfp_layout *gfp; /* NULL: the default layout */
	int compression_level; /* 0: zstd's default */
};

/* Creates a binary trace (atomically replacing path only on close is not required). */
int trace_writer__open(const char *path, const struct trace_writer_opts *opts,
		       struct symtab *symtab, struct trace_writer **ret_writer);
/* Appends an event, preceded by symbol records for addresses not yet named in the file. */
int trace_writer__write(struct trace_writer *writer, const struct ld_event *event);
/* Makes everything written so far readable even if the process dies now. */
int trace_writer__flush(struct trace_writer *writer);
/* Writes the end record and closes; the writer is freed in any case. */
int trace_writer__close(struct trace_writer *writer);

/*
 * The canonical text line of an event (no newline): keys in grammar order,
 * defaults omitted, addresses named through symtab where a name exists.
 */
int text_event__format(const struct ld_event *event, struct symtab *symtab,
		       const struct gfp_layout *gfp, char *buf, size_t len);

/*
 * The `header` line (no newline) for a trace of that kernel and layout:
 * `header kernel="6.1.0-56-amd64" gfp="GFP_KERNEL=0xcc0,..."`, each key only
 * when it says something (a kernel release; a layout other than the default).
 * Returns the length, 0 when there is nothing to say, or -ENOSPC.
 */
int text_header__format(const char *kernel_release, const struct gfp_layout *gfp, char *buf,
			size_t len);

/*
 * Prints a whole trace in text form: a `header` line first when the trace
 * knows its kernel or has a non-default gfp layout, then one line per event.
 */
int trace_dump(const char *path, FILE *out);

/*
 * Internal to trace.c, trace_text.c and trace_binary.c: the byte source the
 * readers pull from (a file, stdin or memory, with the bytes trace.c peeked
 * at to detect the form put back), and the two backends trace_reader
 * dispatches to. Not for other callers.
 */
struct trace_input;
/* Up to len bytes; 0 at the end; a negative errno (logged) on a read error. */
long trace_input__read(struct trace_input *in, void *buf, size_t len);
const char *trace_input__name(const struct trace_input *in);
/* For an input in memory, the unread rest, so it can be used without a copy. */
bool trace_input__memory(const struct trace_input *in, const void **ret_buf, size_t *ret_len);

struct text_reader;
int text_reader__open(struct trace_input *in, struct symtab *symtab,
		      struct text_reader **ret_reader);
int text_reader__next(struct text_reader *reader, const struct ld_event **ret_event);
const struct gfp_layout *text_reader__gfp_layout(const struct text_reader *reader);
const char *text_reader__kernel_release(const struct text_reader *reader);
void text_reader__free(struct text_reader *reader);

struct binary_reader;
int binary_reader__open(struct trace_input *in, struct symtab *symtab,
			struct binary_reader **ret_reader);
int binary_reader__next(struct binary_reader *reader, const struct ld_event **ret_event);
/* trace_reader__replay() of a binary trace; *events counts what fn was given. */
int binary_reader__replay(struct binary_reader *reader, trace_event_fn fn, void *ctx,
			  __u64 *events);
const struct gfp_layout *binary_reader__gfp_layout(const struct binary_reader *reader);
const char *binary_reader__kernel_release(const struct binary_reader *reader);
bool binary_reader__truncated(const struct binary_reader *reader);
void binary_reader__free(struct binary_reader *reader);

#endif
