// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The state file as a file: saved atomically (a temporary file in the same
 * directory, fsync, rename, fsync of the directory), and a bad one moved
 * aside. The records are state_write.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "service/state.h"
#include "service/state_internal.h"

/* "dir" and "base" of path, the directory "." when there is no slash. */
static void split_path(const char *path, char *dir, size_t dir_len, const char **ret_base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dir_len, ".");
		*ret_base = path;
	} else if (slash == path) {
		snprintf(dir, dir_len, "/");
		*ret_base = slash + 1;
	} else {
		snprintf(dir, dir_len, "%.*s", (int)(slash - path), path);
		*ret_base = slash + 1;
	}
}

static int fsync_directory(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

int state_save(const char *path, const struct engine *engine, struct symtab *symtab,
	       const struct state_meta *meta)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	const char *base;
	FILE *f = NULL;
	int fd, err;

	split_path(path, dir, sizeof(dir), &base);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "%s: cannot create a temporary file in %s: %m", path,
				       dir);
	f = fdopen(fd, "w");
	if (!f) {
		err = log_error_errno(-errno, "%s: %m", tmp);
		close(fd);
		goto cleanup;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	err = state_write(f, engine, symtab, meta);
	if (err) {
		log_error_errno(err, "%s: %m", path);
		goto cleanup;
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
		err = log_error_errno(-errno ?: -EIO, "%s: %m", tmp);
		goto cleanup;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err = log_error_errno(-errno, "%s: %m", tmp);
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		err = log_error_errno(-errno, "%s: rename from %s: %m", path, tmp);
		goto cleanup;
	}
	/* The rename itself must reach the disk, or a crash could bring the old file back. */
	err = fsync_directory(dir);
	if (err)
		return log_error_errno(err, "%s: fsync: %m", dir);
	return 0;
cleanup:
	if (f)
		fclose(f);
	unlink(tmp);
	return err;
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
