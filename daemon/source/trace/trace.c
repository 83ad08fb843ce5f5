// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace reader front: opens the input (a path, "-" for stdin, or a
 * memory buffer), peeks at the first four bytes to tell the forms apart
 * (the zstd frame magic means binary, anything else is text) and hands the
 * input, peeked bytes included, to the backend. Pipes cannot seek, so the
 * peeked bytes are put back in front of the stream rather than rewound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/gfp.h"
#include "lib/log.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

#define ZSTD_MAGIC_LEN 4

static const unsigned char zstd_magic[ZSTD_MAGIC_LEN] = { 0x28, 0xb5, 0x2f, 0xfd };

struct trace_input {
	char *name;
	FILE *file; /* NULL when reading memory */
	bool close_file;
	const unsigned char *mem;
	size_t mem_len;
	size_t mem_pos;
	unsigned char peek[ZSTD_MAGIC_LEN];
	size_t peek_len;
	size_t peek_pos;
};

struct trace_reader {
	struct trace_input in;
	enum trace_form form;
	struct text_reader *text;
	struct binary_reader *binary;
	__u64 events;
};

static long input_read_raw(struct trace_input *in, void *buf, size_t len)
{
	size_t n;

	if (!in->file) {
		n = in->mem_len - in->mem_pos;
		if (n > len)
			n = len;
		if (n)
			memcpy(buf, in->mem + in->mem_pos, n);
		in->mem_pos += n;
		return (long)n;
	}
	n = fread(buf, 1, len, in->file);
	if (n == 0 && ferror(in->file))
		return log_error_errno(-EIO, "%s: read error", in->name);
	return (long)n;
}

long trace_input__read(struct trace_input *in, void *buf, size_t len)
{
	size_t from_peek = in->peek_len - in->peek_pos;
	long n;

	if (from_peek == 0)
		return input_read_raw(in, buf, len);
	if (from_peek > len)
		from_peek = len;
	memcpy(buf, in->peek + in->peek_pos, from_peek);
	in->peek_pos += from_peek;
	if (from_peek == len)
		return (long)from_peek;
	n = input_read_raw(in, (char *)buf + from_peek, len - from_peek);
	return n < 0 ? n : (long)from_peek + n;
}

const char *trace_input__name(const struct trace_input *in)
{
	return in->name;
}

bool trace_input__memory(const struct trace_input *in, const void **ret_buf, size_t *ret_len)
{
	if (in->file)
		return false;
	*ret_buf = in->mem + in->mem_pos;
	*ret_len = in->mem_len - in->mem_pos;
	return true;
}

static int input_peek(struct trace_input *in)
{
	while (in->peek_len < ZSTD_MAGIC_LEN) {
		long n = input_read_raw(in, in->peek + in->peek_len, ZSTD_MAGIC_LEN - in->peek_len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		in->peek_len += n;
	}
	return 0;
}

void trace_reader__free(struct trace_reader *reader)
{
	if (!reader)
		return;
	text_reader__free(reader->text);
	binary_reader__free(reader->binary);
	if (reader->in.close_file)
		fclose(reader->in.file);
	free(reader->in.name);
	free(reader);
}

/* Takes over a prepared input: detects the form and opens its backend. */
static int reader_start(struct trace_reader *reader, struct symtab *symtab,
			struct trace_reader **ret_reader)
{
	bool binary;
	int err;

	err = input_peek(&reader->in);
	if (err)
		goto cleanup;
	binary = reader->in.peek_len == ZSTD_MAGIC_LEN &&
		 memcmp(reader->in.peek, zstd_magic, ZSTD_MAGIC_LEN) == 0;
	/* Memory needs no put-back: rewind, so readers can use it in place. */
	if (!reader->in.file) {
		reader->in.mem_pos = 0;
		reader->in.peek_len = 0;
	}
	if (binary) {
		reader->form = TRACE_FORM_BINARY;
		err = binary_reader__open(&reader->in, symtab, &reader->binary);
	} else {
		reader->form = TRACE_FORM_TEXT;
		err = text_reader__open(&reader->in, symtab, &reader->text);
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
	struct trace_reader *reader = calloc(1, sizeof(*reader));

	if (!reader)
		return log_error_errno(-ENOMEM, "%s: out of memory", path);
	reader->in.name = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (!reader->in.name) {
		free(reader);
		return log_error_errno(-ENOMEM, "%s: out of memory", path);
	}
	if (strcmp(path, "-") == 0) {
		reader->in.file = stdin;
	} else {
		reader->in.file = fopen(path, "re");
		if (!reader->in.file) {
			int err = -errno;

			trace_reader__free(reader);
			return log_error_errno(err, "%s: %s", path, strerror(-err));
		}
		reader->in.close_file = true;
	}
	return reader_start(reader, symtab, ret_reader);
}

int trace_reader__open_memory(const void *buf, size_t len, const char *name, struct symtab *symtab,
			      struct trace_reader **ret_reader)
{
	struct trace_reader *reader = calloc(1, sizeof(*reader));

	if (!reader)
		return log_error_errno(-ENOMEM, "%s: out of memory", name);
	reader->in.name = strdup(name);
	if (!reader->in.name) {
		free(reader);
		return log_error_errno(-ENOMEM, "%s: out of memory", name);
	}
	reader->in.mem = buf;
	reader->in.mem_len = len;
	return reader_start(reader, symtab, ret_reader);
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
	symtab = symtab__new();
	if (!symtab) {
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
