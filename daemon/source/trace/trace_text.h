/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The text form of a trace: one event per line ("acquire pid=120
 * lock=0x... type=ww_mutex"), the public grammar documented in README.md
 * and in trace_text_grammar.h. The formatting is for every caller
 * (through trace.h); the reader is what the trace front (trace.c)
 * dispatches to, which nothing else calls.
 */
#ifndef LOCKDEPD_TRACE_TEXT_H
#define LOCKDEPD_TRACE_TEXT_H

#include <stddef.h>

#include "event/event.h"
#include "source/trace/trace_reader.h"

struct symtab;
struct gfp_layout;

/*
 * The canonical text line of an event (no newline): keys in grammar order,
 * defaults omitted, addresses named through symtab where a name exists.
 * Returns the length, -ENOSPC when it does not fit, or -EINVAL.
 */
int text_event__format(const struct ld_event *event, struct symtab *symtab,
		       const struct gfp_layout *gfp, char *buf, size_t len);

/*
 * The `header` line (no newline) for a trace of that kernel and layout:
 * `header kernel="6.1.0-56-amd64" gfp="GFP_KERNEL=0xcc0,..."`, each key only
 * when it says something (a kernel release; a layout other than the default).
 * Returns the length, 0 when there is nothing to say, -ENOSPC or -ENOMEM.
 */
int text_header__format(const char *kernel_release, const struct gfp_layout *gfp, char *buf,
			size_t len);

/* The reader: as trace_reader__*() in trace.h, for a text input. */
struct text_reader;
int text_reader__open(struct trace_input *in, struct symtab *symtab,
		      struct text_reader **ret_reader);
int text_reader__next(struct text_reader *reader, const struct ld_event **ret_event);
const struct gfp_layout *text_reader__gfp_layout(const struct text_reader *reader);
const char *text_reader__kernel_release(const struct text_reader *reader);
void text_reader__free(struct text_reader *reader);

#endif
