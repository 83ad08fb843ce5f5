/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Following the kernel log for test attribution. IGT announces every test
 * and subtest on /dev/kmsg; the service turns each kernel log line into an
 * LD_EV_MARK event, and the engine's IGT tracker does the rest.
 *
 * /dev/kmsg hands out one record per read(2): "prio,seq,ts_usec,flags;text"
 * followed by optional " KEY=value" continuation lines. Only the text goes
 * into the mark. A FIFO or a regular file (tests, or a log shipped from
 * another machine) holds one line per record, with or without that prefix;
 * a regular file cannot be polled, so it is re-read on a timer like
 * `tail -f`.
 */
#ifndef LOCKDEPD_KMSG_H
#define LOCKDEPD_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "event/event.h"

struct kmsg_follower;

/* Called once per kernel log line with its text (no newline, not NUL-terminated). */
typedef int (*kmsg_line_fn)(const char *text, size_t len, void *ctx);

/*
 * Opens path for following: /dev/kmsg (or any character device giving
 * kmsg records) from its oldest record, so that a test that started before
 * the daemon is known; a FIFO (kept open for writing too, so that a writer
 * going away is no end); a regular file from its start. Logs and returns
 * -errno on failure.
 */
int kmsg_follower__open(const char *path, struct kmsg_follower **ret_follower);

/* The descriptor to wait on (epoll); meaningless when !kmsg_follower__pollable(). */
int kmsg_follower__fd(const struct kmsg_follower *follower);

/* False for a regular file: call kmsg_follower__read() periodically instead. */
bool kmsg_follower__pollable(const struct kmsg_follower *follower);

/*
 * Hands every complete line available now to fn, without blocking. Returns
 * the number of lines, the first non-zero value fn returned, or -errno
 * (logged). Records the kernel overwrote before they were read are
 * counted, not an error.
 */
int kmsg_follower__read(struct kmsg_follower *follower, kmsg_line_fn fn, void *ctx);

/* Records lost because the kernel's ring overwrote them first. */
__u64 kmsg_follower__overruns(const struct kmsg_follower *follower);

void kmsg_follower__free(struct kmsg_follower *follower);

/*
 * The text of one record or line: after the first ';' when the line starts
 * with a kmsg prefix ("6,1234,5678,-;" or "6,1234,5678,c,extra;"), else the
 * whole line; up to the first newline either way.
 */
void kmsg_record_text(const char *record, size_t len, const char **ret_text, size_t *ret_len);

/* An LD_EV_MARK event holding a log line, built in place. */
struct kmsg_mark {
	struct ld_event event;
	char text[LD_MAX_TEXT];
};

/* Fills mark with text (truncated to LD_MAX_TEXT bytes) and returns its event. */
const struct ld_event *kmsg_mark_build(struct kmsg_mark *mark, const char *text, size_t len);

#endif
