// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The byte source of the trace readers: a file, stdin or a buffer. Pipes
 * cannot seek, so the bytes the front peeks at to tell the forms apart are
 * kept and handed out again in front of the stream rather than rewound; a
 * buffer is simply not consumed by a peek.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "source/trace/trace_reader.h"

#define PEEK_MAX 8

struct trace_input {
	char *name;
	FILE *file; /* NULL when reading memory */
	bool close_file;
	const unsigned char *mem;
	size_t mem_len;
	size_t mem_pos;
	unsigned char peek[PEEK_MAX];
	size_t peek_len;
	size_t peek_pos;
};

static int input_new(const char *name, struct trace_input **ret_in)
{
	struct trace_input *in = calloc(1, sizeof(*in));

	if (!in)
		return log_error_errno(-ENOMEM, "%s: out of memory", name);
	in->name = strdup(name);
	if (!in->name) {
		free(in);
		return log_error_errno(-ENOMEM, "%s: out of memory", name);
	}
	*ret_in = in;
	return 0;
}

int trace_input__open(const char *path, struct trace_input **ret_in)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct trace_input *in;
	int err;

	err = input_new(is_stdin ? "<stdin>" : path, &in);
	if (err)
		return err;
	if (is_stdin) {
		in->file = stdin;
	} else {
		in->file = fopen(path, "re");
		if (!in->file) {
			err = log_error_errno(-errno, "%s: %m", path);
			trace_input__free(in);
			return err;
		}
		in->close_file = true;
	}
	*ret_in = in;
	return 0;
}

int trace_input__open_memory(const void *buf, size_t len, const char *name,
			     struct trace_input **ret_in)
{
	struct trace_input *in;
	int err;

	err = input_new(name, &in);
	if (err)
		return err;
	in->mem = buf;
	in->mem_len = len;
	*ret_in = in;
	return 0;
}

void trace_input__free(struct trace_input *in)
{
	if (!in)
		return;
	if (in->close_file)
		fclose(in->file);
	free(in->name);
	free(in);
}

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

int trace_input__starts_with(struct trace_input *in, const void *prefix, size_t len)
{
	if (len > PEEK_MAX || in->mem_pos || in->peek_pos)
		return -EINVAL;
	if (!in->file)
		return in->mem_len >= len && memcmp(in->mem, prefix, len) == 0;
	while (in->peek_len < len) {
		long n = input_read_raw(in, in->peek + in->peek_len, len - in->peek_len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		in->peek_len += n;
	}
	return in->peek_len >= len && memcmp(in->peek, prefix, len) == 0;
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
