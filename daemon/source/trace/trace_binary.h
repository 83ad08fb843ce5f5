/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The binary form of a trace (layout in trace_binary_layout.h): the writer,
 * for every caller (through trace.h), and the reader the trace front
 * (trace.c) dispatches to, which nothing else calls.
 *
 * Binary traces are written with the streaming encoder and flushed
 * regularly, so a file cut off by a crash reads up to its last flush and is
 * reported as truncated.
 */
#ifndef LOCKDEPD_TRACE_BINARY_H
#define LOCKDEPD_TRACE_BINARY_H

#include <stdbool.h>
#include <linux/types.h>

#include "event/event.h"
#include "source/trace/trace_reader.h"

struct symtab;
struct gfp_layout;
struct trace_writer;

struct trace_writer_opts {
	const char *kernel_release; /* NULL or "" when unknown */
	const struct gfp_layout *gfp; /* NULL: the default layout */
	int compression_level; /* 0: zstd's default */
};

/*
 * Creates a binary trace at path ("-" is stdout). Addresses are named in the
 * file through symtab (NULL: no names), which must outlive the writer.
 */
int trace_writer__open(const char *path, const struct trace_writer_opts *opts,
		       struct symtab *symtab, struct trace_writer **ret_writer);
/* Appends an event, preceded by symbol records for addresses not yet named in the file. */
int trace_writer__write(struct trace_writer *writer, const struct ld_event *event);
/* Makes everything written so far readable even if the process dies now. */
int trace_writer__flush(struct trace_writer *writer);
/* Writes the end record and closes; the writer is freed in any case. */
int trace_writer__close(struct trace_writer *writer);

/* The reader: as trace_reader__*() in trace.h, for a binary input. */
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
