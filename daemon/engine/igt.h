/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which IGT test is running, from the marker lines IGT writes to /dev/kmsg:
 *
 *   [IGT] <binary>: executing
 *   [IGT] <binary>: starting subtest <name>
 *   [IGT] <binary>: starting dynamic subtest <name>
 *   [IGT] <binary>: finished subtest <name>, <RESULT>
 *   [IGT] <binary>: exiting, ret=N
 *
 * The test is named as igt_runner names it: "igt@<binary>@<subtest>" or
 * "igt@<binary>@<subtest>@<dynamic subtest>", and "igt@<binary>" between
 * `executing` and the first subtest. The marker may sit anywhere in the line
 * (a kmsg record prefix "6,1234,5678,-;" or a dmesg timestamp before it).
 */
#ifndef LOCKDEPD_IGT_H
#define LOCKDEPD_IGT_H

#include <stddef.h>

struct igt_tracker;

/* Returns NULL with errno set on failure. */
/* 0 or -ENOMEM, *ret untouched on failure. */
int igt_tracker__new(struct igt_tracker **ret);
void igt_tracker__free(struct igt_tracker *tracker);

/*
 * Feeds one kernel log line (len bytes, no NUL needed). Lines without an
 * IGT marker, and finished/exiting markers of a binary other than the
 * running one, leave the state alone. Returns 0 or -ENOMEM.
 */
int igt_tracker__feed(struct igt_tracker *tracker, const char *text, size_t len);

/*
 * The test running now, or NULL when none is known. Every string returned
 * stays valid (and unchanged) until the tracker is freed, so callers keep
 * the pointer instead of a copy.
 */
const char *igt_tracker__current(const struct igt_tracker *tracker);

#endif
