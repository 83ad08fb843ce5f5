// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel log follower. Two reading modes: record mode for /dev/kmsg,
 * where each read(2) returns exactly one record (and -EPIPE says records
 * were overwritten before we got to them), and line mode for FIFOs and
 * files, where bytes are split into lines and a partial last line waits
 * for the rest.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/kmsg.h"
#include "lib/log.h"

/* The kernel refuses a read smaller than a record: its own limit is about 8 KiB. */
#define KMSG_RECORD_MAX 8192
/* Lines longer than this are cut: markers and warnings are far shorter. */
#define KMSG_LINE_MAX 8192
/* At most this many lines per call, so that a flood cannot starve the loop. */
#define KMSG_READ_BUDGET 4096

enum kmsg_mode {
	KMSG_RECORDS, /* a kmsg character device */
	KMSG_LINES, /* a FIFO or a regular file */
};

struct kmsg_follower {
	char *path;
	int fd;
	enum kmsg_mode mode;
	bool pollable;
	__u64 overruns;
	char *buf; /* KMSG_RECORD_MAX, or the line buffer */
	size_t used; /* line mode: bytes of an incomplete line kept */
	bool skipping; /* line mode: dropping the rest of an overlong line */
};

void kmsg_record_text(const char *record, size_t len, const char **ret_text, size_t *ret_len)
{
	const char *end = memchr(record, '\n', len);
	const char *p = record, *semicolon;
	unsigned int commas = 0;

	if (end)
		len = (size_t)(end - record);
	semicolon = memchr(record, ';', len);
	/* A prefix is digits and commas, then flags: "6,1234,5678,-;" */
	if (semicolon && isdigit((unsigned char)*p)) {
		while (p < semicolon && (isdigit((unsigned char)*p) || *p == ','))
			commas += *p++ == ',';
		if (commas >= 3 || (commas == 2 && p == semicolon)) {
			*ret_text = semicolon + 1;
			*ret_len = len - (size_t)(semicolon + 1 - record);
			return;
		}
	}
	*ret_text = record;
	*ret_len = len;
}

const struct ld_event *kmsg_mark_build(struct kmsg_mark *mark, const char *text, size_t len)
{
	if (len > LD_MAX_TEXT)
		len = LD_MAX_TEXT;
	memset(&mark->event, 0, sizeof(mark->event));
	mark->event.type = LD_EV_MARK;
	mark->event.text_len = (__u16)len;
	mark->event.size = (__u16)ld_event_size_for(0, len);
	memcpy(mark->text, text, len);
	return &mark->event;
}

int kmsg_follower__open(const char *path, struct kmsg_follower **ret_follower)
{
	struct kmsg_follower *follower;
	struct stat st;
	int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
	int err;

	if (stat(path, &st) < 0)
		return log_error_errno(-errno, "%s: %m", path);
	follower = calloc(1, sizeof(*follower));
	if (!follower)
		return log_error_errno(-ENOMEM, "%s: out of memory", path);
	follower->fd = -1;
	if (S_ISCHR(st.st_mode)) {
		follower->mode = KMSG_RECORDS;
		follower->pollable = true;
	} else if (S_ISFIFO(st.st_mode)) {
		/* Holding the write side too: a writer closing is then no EOF or HUP. */
		flags = O_RDWR | O_NONBLOCK | O_CLOEXEC;
		follower->mode = KMSG_LINES;
		follower->pollable = true;
	} else if (S_ISREG(st.st_mode)) {
		follower->mode = KMSG_LINES;
	} else {
		err = log_error_errno(-EINVAL, "%s: expected /dev/kmsg, a FIFO or a file", path);
		goto cleanup;
	}
	follower->path = strdup(path);
	follower->buf = malloc(follower->mode == KMSG_RECORDS ? KMSG_RECORD_MAX : KMSG_LINE_MAX);
	if (!follower->path || !follower->buf) {
		err = log_error_errno(-ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	follower->fd = open(path, flags);
	if (follower->fd < 0) {
		err = log_error_errno(-errno, "%s: %m", path);
		goto cleanup;
	}
	*ret_follower = follower;
	return 0;
cleanup:
	kmsg_follower__free(follower);
	return err;
}

int kmsg_follower__fd(const struct kmsg_follower *follower)
{
	return follower->fd;
}

bool kmsg_follower__pollable(const struct kmsg_follower *follower)
{
	return follower->pollable;
}

__u64 kmsg_follower__overruns(const struct kmsg_follower *follower)
{
	return follower->overruns;
}

void kmsg_follower__free(struct kmsg_follower *follower)
{
	if (!follower)
		return;
	if (follower->fd >= 0)
		close(follower->fd);
	free(follower->buf);
	free(follower->path);
	free(follower);
}

/*
 * One read(2) into buf, again after a signal: the bytes read, 0 when there
 * is nothing more for now (EAGAIN, or a file's current end), -EPIPE when
 * /dev/kmsg overwrote records not yet read, or another -errno logged.
 */
static ssize_t follower_read(const struct kmsg_follower *follower, char *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(follower->fd, buf, len);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		if (errno == EPIPE)
			return -EPIPE;
		return log_error_errno(-errno, "%s: %m", follower->path);
	}
}

static int read_records(struct kmsg_follower *follower, kmsg_line_fn fn, void *ctx)
{
	int lines = 0;

	while (lines < KMSG_READ_BUDGET) {
		ssize_t n = follower_read(follower, follower->buf, KMSG_RECORD_MAX - 1);
		const char *text;
		size_t len;
		int ret;

		if (n == -EPIPE) {
			/* The next read resumes at the oldest record still there. */
			follower->overruns++;
			continue;
		}
		if (n <= 0)
			return n < 0 ? (int)n : lines;
		kmsg_record_text(follower->buf, (size_t)n, &text, &len);
		ret = fn(text, len, ctx);
		if (ret)
			return ret;
		lines++;
	}
	return lines;
}

/* Hands the complete lines of buf[0..used) to fn and keeps the incomplete rest. */
static int split_lines(struct kmsg_follower *follower, kmsg_line_fn fn, void *ctx, int *lines)
{
	char *start = follower->buf, *end = follower->buf + follower->used, *nl;

	while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
		const char *text;
		size_t len;
		int ret;

		if (follower->skipping) {
			follower->skipping = false;
		} else {
			kmsg_record_text(start, (size_t)(nl - start), &text, &len);
			ret = fn(text, len, ctx);
			if (ret)
				return ret;
			(*lines)++;
		}
		start = nl + 1;
	}
	follower->used = (size_t)(end - start);
	memmove(follower->buf, start, follower->used);
	if (follower->used == KMSG_LINE_MAX) {
		/* An overlong line: its start goes out as a line, the rest is dropped. */
		const char *text;
		size_t len;
		int ret;

		follower->used = 0;
		if (follower->skipping)
			return 0;
		follower->skipping = true;
		kmsg_record_text(follower->buf, KMSG_LINE_MAX, &text, &len);
		ret = fn(text, len, ctx);
		if (ret)
			return ret;
		(*lines)++;
	}
	return 0;
}

static int read_lines(struct kmsg_follower *follower, kmsg_line_fn fn, void *ctx)
{
	int lines = 0, ret;

	while (lines < KMSG_READ_BUDGET) {
		ssize_t n = follower_read(follower, follower->buf + follower->used,
					  KMSG_LINE_MAX - follower->used);

		/* A file's current end: more may be appended later. */
		if (n <= 0)
			return n < 0 ? (int)n : lines;
		follower->used += (size_t)n;
		ret = split_lines(follower, fn, ctx, &lines);
		if (ret)
			return ret;
	}
	return lines;
}

int kmsg_follower__read(struct kmsg_follower *follower, kmsg_line_fn fn, void *ctx)
{
	if (follower->mode == KMSG_RECORDS)
		return read_records(follower, fn, ctx);
	return read_lines(follower, fn, ctx);
}
