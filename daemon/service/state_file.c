// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The state file as a file: saved whole and durably (lib/atomic_file.h),
 * mode 0600 since it holds task names and stacks, and a bad one moved
 * aside. The records are state_write.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "lib/log.h"
#include "service/state.h"
#include "service/state_internal.h"

struct state_content {
	const char *path;
	const struct engine *engine;
	struct symtab *symtab;
	const struct state_meta *meta;
};

static int state_content_write(FILE *out, void *ctx)
{
	const struct state_content *c = ctx;
	int err = state_write(out, c->engine, c->symtab, c->meta);

	return err ? log_error_errno(err, "%s: %m", c->path) : 0;
}

int state_save(const char *path, const struct engine *engine, struct symtab *symtab,
	       const struct state_meta *meta)
{
	struct state_content content = { path, engine, symtab, meta };

	return atomic_file_write(path, state_content_write, &content,
				 ATOMIC_FILE_DURABLE | ATOMIC_FILE_PRIVATE);
}

int state_quarantine(const char *path, char *ret_moved, size_t len)
{
	char moved[PATH_MAX + 64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(moved, sizeof(moved), "%s.corrupt-%s", path, stamp);
	/* Two bad files within one second: keep both. */
	for (int n = 2; access(moved, F_OK) == 0 && n < 100; n++)
		snprintf(moved, sizeof(moved), "%s.corrupt-%s-%d", path, stamp, n);
	if (rename(path, moved) < 0)
		return -errno;
	snprintf(ret_moved, len, "%s", moved);
	return 0;
}
