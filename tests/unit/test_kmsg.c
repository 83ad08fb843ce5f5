// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Following the kernel log (daemon/source/kmsg.c): the record prefix comes off,
 * lines come whole whatever the reads look like, FIFOs and files are
 * followed as they grow, and each line becomes a valid LD_EV_MARK event.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "event/event.h"
#include "source/kmsg.h"
#include "lib/log.h"

static char dir[PATH_MAX];
static char last_error[1024];

static void capture_log(enum log_level level, const char *msg, void *ctx)
{
	snprintf(last_error, sizeof(last_error), "%s", msg);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/lockdepd-kmsg-XXXXXX");
	assert_non_null(mkdtemp(dir));
	log_set_sink(capture_log, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void assert_text(const char *record, const char *expected)
{
	const char *text;
	size_t len;

	kmsg_record_text(record, strlen(record), &text, &len);
	if (len != strlen(expected) || memcmp(text, expected, len) != 0)
		fail_msg("'%s': got '%.*s', expected '%s'", record, (int)len, text, expected);
}

static void test_record_text(void **state)
{
	assert_text("6,1234,5678,-;[IGT] gem_exec: executing", "[IGT] gem_exec: executing");
	assert_text("6,1234,5678,c;text\n SUBSYSTEM=drm\n DEVICE=+drm:card0\n", "text");
	assert_text("4,99,100,-,caller=T12;with a caller id", "with a caller id");
	assert_text("6,1,2;no flags", "no flags");
	assert_text("14,3,4,-;", "");
	/* Not a prefix: kept whole. */
	assert_text("[   12.345] [IGT] kms: executing", "[   12.345] [IGT] kms: executing");
	assert_text("plain line; with a semicolon", "plain line; with a semicolon");
	assert_text("6,1;short", "6,1;short");
	assert_text("12 monkeys;x", "12 monkeys;x");
	assert_text("", "");
}

static void test_mark_event(void **state)
{
	struct kmsg_mark mark;
	char long_line[LD_MAX_TEXT + 50];
	const struct ld_event *ev = kmsg_mark_build(&mark, "[IGT] a: executing", 18);

	assert_int_equal(ev->type, LD_EV_MARK);
	assert_int_equal(ev->text_len, 18);
	assert_int_equal(ev->nr_stack, 0);
	assert_int_equal(ev->size % 8, 0);
	assert_int_equal(ld_event_validate(ev, sizeof(mark)), 0);
	assert_memory_equal(ld_event_text(ev), "[IGT] a: executing", 18);

	memset(long_line, 'x', sizeof(long_line));
	ev = kmsg_mark_build(&mark, long_line, sizeof(long_line));
	assert_int_equal(ev->text_len, LD_MAX_TEXT);
	assert_int_equal(ld_event_validate(ev, sizeof(mark)), 0);
}

struct lines {
	char text[16][300];
	int n;
	int stop_after; /* return 42 from the callback after this many; 0: never */
};

static int collect(const char *text, size_t len, void *ctx)
{
	struct lines *lines = ctx;

	assert_true(lines->n < 16);
	snprintf(lines->text[lines->n++], sizeof(lines->text[0]), "%.*s", (int)len, text);
	return lines->stop_after && lines->n == lines->stop_after ? 42 : 0;
}

static void append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_follow_file(void **state)
{
	char path[PATH_MAX + 16];
	struct kmsg_follower *follower = NULL;
	struct lines lines = {};

	snprintf(path, sizeof(path), "%s/kmsg.log", dir);
	append(path, "6,1,10,-;[IGT] gem: executing\nplain line\n6,2,20,-;partial");
	assert_int_equal(kmsg_follower__open(path, &follower), 0);
	assert_false(kmsg_follower__pollable(follower));
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 2);
	assert_string_equal(lines.text[0], "[IGT] gem: executing");
	assert_string_equal(lines.text[1], "plain line");
	/* Nothing new: 0, and the partial line waits for its end. */
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 0);
	append(path, " line\n");
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 1);
	assert_string_equal(lines.text[2], "partial line");

	/* The callback's non-zero value stops the read and comes back. */
	append(path, "a\nb\nc\n");
	lines.stop_after = 4;
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 42);
	assert_string_equal(lines.text[3], "a");
	assert_int_equal(kmsg_follower__overruns(follower), 0);
	kmsg_follower__free(follower);
	kmsg_follower__free(NULL);
}

static void test_overlong_line(void **state)
{
	char path[PATH_MAX + 16];
	struct kmsg_follower *follower = NULL;
	struct lines lines = {};
	char *big = malloc(20000);

	assert_non_null(big);
	memset(big, 'y', 19999);
	big[19999] = '\0';
	snprintf(path, sizeof(path), "%s/kmsg.log", dir);
	append(path, big);
	append(path, "\nnext\n");
	assert_int_equal(kmsg_follower__open(path, &follower), 0);
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 2);
	/* The start of the long line is kept, its rest dropped, and the next line is intact. */
	assert_int_equal(strspn(lines.text[0], "y"), strlen(lines.text[0]));
	assert_string_equal(lines.text[1], "next");
	kmsg_follower__free(follower);
	free(big);
}

static void test_follow_fifo(void **state)
{
	char path[PATH_MAX + 16];
	struct kmsg_follower *follower = NULL;
	struct lines lines = {};
	int writer;

	snprintf(path, sizeof(path), "%s/kmsg.fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(kmsg_follower__open(path, &follower), 0);
	assert_true(kmsg_follower__pollable(follower));
	assert_true(kmsg_follower__fd(follower) >= 0);
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 0);
	/* A writer comes, writes, goes: no end of file, a second writer is read too. */
	writer = open(path, O_WRONLY);
	assert_true(writer >= 0);
	assert_int_equal(write(writer, "6,1,1,-;one\ntw", 14), 14);
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 1);
	assert_int_equal(write(writer, "o\n", 2), 2);
	close(writer);
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 1);
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 0);
	writer = open(path, O_WRONLY);
	assert_int_equal(write(writer, "three\n", 6), 6);
	close(writer);
	assert_int_equal(kmsg_follower__read(follower, collect, &lines), 1);
	assert_string_equal(lines.text[0], "one");
	assert_string_equal(lines.text[1], "two");
	assert_string_equal(lines.text[2], "three");
	kmsg_follower__free(follower);
}

/* The real /dev/kmsg: one record per read, every prefix removed. */
static void test_dev_kmsg(void **state)
{
	struct kmsg_follower *follower = NULL;
	struct lines lines = { .stop_after = 16 };
	int n;

	if (access("/dev/kmsg", R_OK) != 0)
		fail_msg("/dev/kmsg is not readable here: the tests need root");
	assert_int_equal(kmsg_follower__open("/dev/kmsg", &follower), 0);
	assert_true(kmsg_follower__pollable(follower));
	n = kmsg_follower__read(follower, collect, &lines);
	assert_true(n >= 0);
	for (int i = 0; i < lines.n; i++) {
		unsigned int a, b, c;
		char sep;

		if (sscanf(lines.text[i], "%u,%u,%u%c", &a, &b, &c, &sep) == 4 && sep == ',')
			fail_msg("a kmsg prefix was left in '%s'", lines.text[i]);
		assert_null(strchr(lines.text[i], '\n'));
	}
	kmsg_follower__free(follower);
}

static void test_open_errors(void **state)
{
	struct kmsg_follower *follower = (struct kmsg_follower *)0x1;

	assert_int_equal(kmsg_follower__open("/nonexistent/kmsg", &follower), -ENOENT);
	assert_string_equal(last_error, "/nonexistent/kmsg: No such file or directory");
	assert_int_equal(kmsg_follower__open(dir, &follower), -EINVAL);
	assert_non_null(strstr(last_error, ": expected /dev/kmsg, a FIFO or a file"));
	assert_ptr_equal(follower, (struct kmsg_follower *)0x1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_text),
		cmocka_unit_test(test_mark_event),
		cmocka_unit_test_setup_teardown(test_follow_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_fifo, setup, teardown),
		cmocka_unit_test(test_dev_kmsg),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
