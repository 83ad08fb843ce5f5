/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A file written whole or not at all: the content goes to a hidden
 * temporary file beside it (".name.XXXXXX", so that no glob of the
 * directory's files picks it up), which replaces the file by rename() only
 * once everything is written. A reader never sees half a file, and an
 * error keeps the old one.
 */
#ifndef LOCKDEPD_ATOMIC_FILE_H
#define LOCKDEPD_ATOMIC_FILE_H

#include <stdio.h>

/* Writes the content to out: 0 or a negative errno, logged by the writer. */
typedef int (*atomic_file_write_fn)(FILE *out, void *ctx);

enum atomic_file_flags {
	/*
	 * fsync the file before the rename and its directory after, so that a
	 * crash brings back the old file or the new one, never an empty one:
	 * for files the program reads back (the state).
	 */
	ATOMIC_FILE_DURABLE = 1 << 0,
	/* Mode 0600 whatever the umask: for files others must not read. */
	ATOMIC_FILE_PRIVATE = 1 << 1,
};

/*
 * Creates or replaces path with what write() writes, mode 0666 less the
 * umask (ATOMIC_FILE_PRIVATE: 0600). 0; the writer's error; or a negative errno of the file's own
 * creation, writing or renaming, logged naming path. The temporary file is
 * gone either way.
 */
int atomic_file_write(const char *path, atomic_file_write_fn write, void *ctx,
		      enum atomic_file_flags flags);

#endif
