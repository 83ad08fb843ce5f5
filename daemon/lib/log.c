// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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

static void log_va(enum log_level level, const char *fmt, va_list ap)
{
	char msg[2048];

	if (level > max_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink) {
		log_sink(level, msg, log_sink_ctx);
		return;
	}
	fprintf(stderr, "lockdepd: %s\n", msg);
}

void log_full(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

int log_full_errno(enum log_level level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
	return err;
}
