// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lib/atomic_file: a file is replaced whole or not at all. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/atomic_file.h"
#include "lib/log.h"

static void quiet(enum log_level level, const char *msg, void *ctx)
{
}

static int write_text(FILE *out, void *ctx)
{
	return fputs(ctx, out) < 0 ? -EIO : 0;
}

/* Writes half, then fails as a writer that ran out of memory would. */
static int write_half_then_fail(FILE *out, void *ctx)
{
	fputs("half", out);
	return -ENOMEM;
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static size_t nr_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_replaces_whole_or_not_at_all(void **state)
{
	char dir[] = "/tmp/lockdepd-atomic-XXXXXX";
	char path[64], missing[80];
	struct stat st;
	mode_t mask = umask(022);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.dot", dir);
	snprintf(missing, sizeof(missing), "%s/no/such/dir/out.dot", dir);
	log_set_sink(quiet, NULL);

	assert_int_equal(atomic_file_write(path, write_text, "first\n", 0), 0);
	assert_string_equal(slurp(path), "first\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644); /* 0666 less the umask, not mkstemp's 0600 */

	assert_int_equal(atomic_file_write(path, write_text, "second\n",
					   ATOMIC_FILE_DURABLE | ATOMIC_FILE_PRIVATE),
			 0);
	assert_string_equal(slurp(path), "second\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A writer's error is returned, the old file kept, no temporary left. */
	assert_int_equal(atomic_file_write(path, write_half_then_fail, NULL, 0), -ENOMEM);
	assert_string_equal(slurp(path), "second\n");
	assert_int_equal(nr_entries(dir), 1);

	assert_int_equal(atomic_file_write(missing, write_text, "x", 0), -ENOENT);
	assert_int_equal(nr_entries(dir), 1);

	log_set_sink(NULL, NULL);
	umask(mask);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replaces_whole_or_not_at_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
