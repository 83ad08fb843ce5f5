// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static log_sink_fn log_sink;
static void *log_sink_ctx;

void log_set_max_level(enum log_level level)
{
	max_level = level;
}

enum log_level log_get_max_level(void)
{
	return max_level;
}

void log_set_sink(log_sink_fn sink, void *ctx)
{
	log_sink = sink;
	log_sink_ctx = ctx;
}

/* err: what %m names (an errno, either sign); 0 for the caller's errno. */
static void log_va(enum log_level level, int err, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	char msg[2048];

	if (level > max_level)
		return;
	if (err)
		errno = err < 0 ? -err : err;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink)
		log_sink(level, msg, log_sink_ctx);
	else
		fprintf(stderr, "lockdepd: %s\n", msg);
	errno = saved_errno;
}

void log_full(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, 0, fmt, ap);
	va_end(ap);
}

int log_full_errno(enum log_level level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, err, fmt, ap);
	va_end(ap);
	return err;
}
