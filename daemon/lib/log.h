/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One logging path for the whole program. Messages go to stderr as
 * "lockdepd: message"; the service redirects them to the journal. Log at
 * the place that knows what went wrong, then return the error:
 * log_error_errno() returns its errno argument so that
 *
 *	return log_error_errno(-errno, "%s: cannot open: %m", path);
 *
 * is one step. As in systemd, %m names the errno argument of the *_errno
 * forms (either sign), and errno itself in the others; no log call changes
 * errno.
 */
#ifndef LOCKDEPD_LOG_H
#define LOCKDEPD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

void log_set_max_level(enum log_level level);
enum log_level log_get_max_level(void);

/* Where messages go: default stderr. A sink replaces it (journal, tests). */
typedef void (*log_sink_fn)(enum log_level level, const char *msg, void *ctx);
void log_set_sink(log_sink_fn sink, void *ctx);

__attribute__((format(printf, 2, 3))) void log_full(enum log_level level, const char *fmt, ...);

/* Returns err (a negative errno) so callers can log and return at once. */
__attribute__((format(printf, 3, 4))) int log_full_errno(enum log_level level, int err,
							 const char *fmt, ...);

#define log_error(...)		    log_full(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...)	    log_full(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)		    log_full(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)		    log_full(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_error_errno(err, ...)   log_full_errno(LOG_LEVEL_ERROR, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) log_full_errno(LOG_LEVEL_WARNING, (err), __VA_ARGS__)
#define log_info_errno(err, ...)    log_full_errno(LOG_LEVEL_INFO, (err), __VA_ARGS__)
#define log_debug_errno(err, ...)   log_full_errno(LOG_LEVEL_DEBUG, (err), __VA_ARGS__)

#endif
