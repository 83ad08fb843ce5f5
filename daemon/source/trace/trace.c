// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace reader front: opens the input (a path, "-" for stdin, or a
 * memory buffer), tells the forms apart by the first four bytes (the zstd
 * frame magic means binary, anything else is text) and hands the input to
 * that form's reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/gfp.h"
#include "event/symtab.h"
#include "lib/log.h"
#include "source/trace/trace.h"
#include "source/trace/trace_binary.h"
#include "source/trace/trace_reader.h"
#include "source/trace/trace_text.h"

static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

struct trace_reader {
	struct trace_input *in;
	enum trace_form form;
	struct text_reader *text;
	struct binary_reader *binary;
	__u64 events;
};

void trace_reader__free(struct trace_reader *reader)
{
	if (!reader)
		return;
	text_reader__free(reader->text);
	binary_reader__free(reader->binary);
	trace_input__free(reader->in);
	free(reader);
}

/* Takes over an input: detects the form and opens its reader. */
static int reader_start(struct trace_input *in, struct symtab *symtab,
			struct trace_reader **ret_reader)
{
	struct trace_reader *reader = calloc(1, sizeof(*reader));
	int err;

	if (!reader) {
		err = log_error_errno(-ENOMEM, "%s: out of memory", trace_input__name(in));
		trace_input__free(in);
		return err;
	}
	reader->in = in;
	err = trace_input__starts_with(in, zstd_magic, sizeof(zstd_magic));
	if (err < 0)
		goto cleanup;
	if (err) {
		reader->form = TRACE_FORM_BINARY;
		err = binary_reader__open(in, symtab, &reader->binary);
	} else {
		reader->form = TRACE_FORM_TEXT;
		err = text_reader__open(in, symtab, &reader->text);
	}
	if (err)
		goto cleanup;
	*ret_reader = reader;
	return 0;
cleanup:
	trace_reader__free(reader);
	return err;
}

int trace_reader__open(const char *path, struct symtab *symtab, struct trace_reader **ret_reader)
{
	struct trace_input *in;
	int err;

	err = trace_input__open(path, &in);
	if (err)
		return err;
	return reader_start(in, symtab, ret_reader);
}

int trace_reader__open_memory(const void *buf, size_t len, const char *name, struct symtab *symtab,
			      struct trace_reader **ret_reader)
{
	struct trace_input *in;
	int err;

	err = trace_input__open_memory(buf, len, name, &in);
	if (err)
		return err;
	return reader_start(in, symtab, ret_reader);
}

int trace_reader__next(struct trace_reader *reader, const struct ld_event **ret_event)
{
	int ret;

	if (reader->form == TRACE_FORM_BINARY)
		ret = binary_reader__next(reader->binary, ret_event);
	else
		ret = text_reader__next(reader->text, ret_event);
	if (ret > 0)
		reader->events++;
	return ret;
}

int trace_reader__replay(struct trace_reader *reader, trace_event_fn fn, void *ctx)
{
	const struct ld_event *event;
	int ret;

	if (reader->form == TRACE_FORM_BINARY)
		return binary_reader__replay(reader->binary, fn, ctx, &reader->events);
	while ((ret = text_reader__next(reader->text, &event)) > 0) {
		reader->events++;
		ret = fn(ctx, event);
		if (ret)
			return ret;
	}
	return ret;
}

enum trace_form trace_reader__form(const struct trace_reader *reader)
{
	return reader->form;
}

const struct gfp_layout *trace_reader__gfp_layout(const struct trace_reader *reader)
{
	if (reader->form == TRACE_FORM_BINARY)
		return binary_reader__gfp_layout(reader->binary);
	return text_reader__gfp_layout(reader->text);
}

const char *trace_reader__kernel_release(const struct trace_reader *reader)
{
	if (reader->form == TRACE_FORM_BINARY)
		return binary_reader__kernel_release(reader->binary);
	return text_reader__kernel_release(reader->text);
}

bool trace_reader__truncated(const struct trace_reader *reader)
{
	return reader->form == TRACE_FORM_BINARY && binary_reader__truncated(reader->binary);
}

__u64 trace_reader__events_read(const struct trace_reader *reader)
{
	return reader->events;
}

/* Formats into *buf, growing it when a line does not fit. */
static int format_line(const struct ld_event *event, struct symtab *symtab,
		       const struct gfp_layout *gfp, char **buf, size_t *len)
{
	for (;;) {
		int n = text_event__format(event, symtab, gfp, *buf, *len);
		char *bigger;

		if (n != -ENOSPC)
			return n;
		bigger = realloc(*buf, *len * 2);
		if (!bigger)
			return -ENOMEM;
		*buf = bigger;
		*len *= 2;
	}
}

int trace_dump(const char *path, FILE *out)
{
	struct symtab *symtab = NULL;
	struct trace_reader *reader = NULL;
	const struct ld_event *event;
	size_t len = 4096;
	char *line = malloc(len);
	int err;

	if (!line)
		return log_error_errno(-ENOMEM, "%s: out of memory", path);
	if (symtab__new(&symtab)) {
		err = log_error_errno(-ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	err = trace_reader__open(path, symtab, &reader);
	if (err)
		goto cleanup;
	while ((err = text_header__format(trace_reader__kernel_release(reader),
					  trace_reader__gfp_layout(reader), line, len)) ==
	       -ENOSPC) {
		char *bigger = realloc(line, len * 2);

		if (!bigger) {
			err = log_error_errno(-ENOMEM, "%s: out of memory", path);
			goto cleanup;
		}
		line = bigger;
		len *= 2;
	}
	if (err > 0)
		fprintf(out, "%s\n", line);
	while ((err = trace_reader__next(reader, &event)) > 0) {
		err = format_line(event, symtab, trace_reader__gfp_layout(reader), &line, &len);
		if (err < 0) {
			err = log_error_errno(
				err, "%s: cannot format event %llu", path,
				(unsigned long long)trace_reader__events_read(reader));
			goto cleanup;
		}
		fputs(line, out);
		fputc('\n', out);
	}
	if (err < 0)
		goto cleanup;
	if (fflush(out) || ferror(out))
		err = log_error_errno(-EIO, "writing the text form of %s failed", path);
cleanup:
	trace_reader__free(reader);
	symtab__free(symtab);
	free(line);
	return err;
}
