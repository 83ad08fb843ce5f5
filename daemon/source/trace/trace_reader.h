/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the trace front (trace.c) and the format readers (trace_text_read.c,
 * trace_binary_read.c) share: the byte source a reader pulls from, and the
 * callback a replay hands events to. The input is a file, stdin or memory;
 * the front peeks at its first bytes to tell the forms apart and puts them
 * back, so a reader sees the input from its first byte. Implemented in
 * trace_input.c. Not for callers outside source/trace/.
 */
#ifndef LOCKDEPD_TRACE_READER_H
#define LOCKDEPD_TRACE_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "event/event.h"

/* Called by a replay for each event; non-zero stops it and is returned. */
typedef int (*trace_event_fn)(void *ctx, const struct ld_event *event);

struct trace_input;

/* path "-" is stdin; messages name it "<stdin>". Errors are logged. */
int trace_input__open(const char *path, struct trace_input **ret_in);
/* A buffer the caller keeps alive until trace_input__free(); name is used in messages. */
int trace_input__open_memory(const void *buf, size_t len, const char *name,
			     struct trace_input **ret_in);
void trace_input__free(struct trace_input *in);

/*
 * Before anything is read: whether the input starts with the len (at most
 * 8) bytes of prefix, which are kept to be read again. 1 or 0, or a
 * negative errno (logged) on a read error.
 */
int trace_input__starts_with(struct trace_input *in, const void *prefix, size_t len);

/* Up to len bytes; 0 at the end; a negative errno (logged) on a read error. */
long trace_input__read(struct trace_input *in, void *buf, size_t len);
const char *trace_input__name(const struct trace_input *in);
/* For an input in memory, the unread rest, so it can be used without a copy. */
bool trace_input__memory(const struct trace_input *in, const void **ret_buf, size_t *ret_len);

#endif
