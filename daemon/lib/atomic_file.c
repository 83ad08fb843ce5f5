// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "lib/log.h"
#include "lib/macro.h"

/* The rename is only durable once the directory holding it is on disk. */
static int fsync_directory_of(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return log_error_errno(-ENOMEM, "%s: %m", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "%s: cannot open its directory: %m", path);
	if (fsync(fd) < 0)
		err = log_error_errno(-errno, "%s: fsync of its directory: %m", path);
	close(fd);
	return err;
}

static int file_finish(FILE *file, const char *path, enum atomic_file_flags flags)
{
	mode_t mask = umask(0);
	int err = 0;

	umask(mask);
	errno = 0;
	if (fflush(file) || ferror(file))
		err = log_error_errno(errno ? -errno : -EIO, "%s: %m", path);
	else if (fchmod(fileno(file), flags & ATOMIC_FILE_PRIVATE ? 0600 : 0666 & ~mask) < 0)
		err = log_error_errno(-errno, "%s: %m", path);
	else if ((flags & ATOMIC_FILE_DURABLE) && fsync(fileno(file)) < 0)
		err = log_error_errno(-errno, "%s: fsync: %m", path);
	if (fclose(file) && !err)
		err = log_error_errno(-errno, "%s: %m", path);
	return err;
}

int atomic_file_write(const char *path, atomic_file_write_fn write, void *ctx,
		      enum atomic_file_flags flags)
{
	_cleanup_free_ char *tmp = NULL;
	const char *base = strrchr(path, '/');
	FILE *file;
	int fd, err;

	base = base ? base + 1 : path;
	if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base) < 0)
		return log_error_errno(-ENOMEM, "%s: %m", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "%s: cannot create a temporary file beside it: %m",
				       path);
	file = fdopen(fd, "w");
	if (!file) {
		err = log_error_errno(-errno, "%s: %m", path);
		close(fd);
		goto cleanup;
	}
	/* Few large writes: a state file is megabytes. */
	setvbuf(file, NULL, _IOFBF, 1 << 20);
	err = write(file, ctx);
	if (err) {
		fclose(file);
		goto cleanup;
	}
	err = file_finish(file, path, flags);
	if (err)
		goto cleanup;
	if (rename(tmp, path) < 0) {
		err = log_error_errno(-errno, "%s: rename from %s: %m", path, tmp);
		goto cleanup;
	}
	return flags & ATOMIC_FILE_DURABLE ? fsync_directory_of(path) : 0;
cleanup:
	unlink(tmp);
	return err;
}
