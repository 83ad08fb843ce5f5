// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* IGT test attribution from kmsg marker lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "constructors.h"

#include "engine/igt.h"

static void feed(struct igt_tracker *tracker, const char *line)
{
	assert_int_equal(igt_tracker__feed(tracker, line, strlen(line)), 0);
}

static void assert_current(struct igt_tracker *tracker, const char *expected)
{
	const char *current = igt_tracker__current(tracker);

	if (!expected) {
		assert_null(current);
		return;
	}
	assert_non_null(current);
	assert_string_equal(current, expected);
}

static void test_test_lifecycle(void **state)
{
	struct igt_tracker *tracker = new_igt_tracker();

	assert_non_null(tracker);
	assert_current(tracker, NULL);
	feed(tracker, "[IGT] gem_exec_whisper: executing");
	assert_current(tracker, "igt@gem_exec_whisper");
	feed(tracker, "[IGT] gem_exec_whisper: starting subtest basic");
	assert_current(tracker, "igt@gem_exec_whisper@basic");
	feed(tracker, "[IGT] gem_exec_whisper: finished subtest basic, SUCCESS");
	assert_current(tracker, "igt@gem_exec_whisper");
	feed(tracker, "[IGT] gem_exec_whisper: starting subtest normal");
	assert_current(tracker, "igt@gem_exec_whisper@normal");
	feed(tracker, "[IGT] gem_exec_whisper: finished subtest normal, FAIL");
	feed(tracker, "[IGT] gem_exec_whisper: exiting, ret=0");
	assert_current(tracker, NULL);
	igt_tracker__free(tracker);
}

static void test_dynamic_subtests(void **state)
{
	struct igt_tracker *tracker = new_igt_tracker();

	feed(tracker, "[IGT] kms_flip: executing");
	feed(tracker, "[IGT] kms_flip: starting subtest flip-vs-suspend");
	feed(tracker, "[IGT] kms_flip: starting dynamic subtest pipe-A-HDMI-A-1");
	assert_current(tracker, "igt@kms_flip@flip-vs-suspend@pipe-A-HDMI-A-1");
	feed(tracker, "[IGT] kms_flip: finished subtest pipe-A-HDMI-A-1, SUCCESS");
	assert_current(tracker, "igt@kms_flip@flip-vs-suspend");
	feed(tracker, "[IGT] kms_flip: starting dynamic subtest pipe-B-HDMI-A-1");
	assert_current(tracker, "igt@kms_flip@flip-vs-suspend@pipe-B-HDMI-A-1");
	/* The subtest ending ends its dynamic subtest too (a crash skips the inner end). */
	feed(tracker, "[IGT] kms_flip: finished subtest flip-vs-suspend, CRASH");
	assert_current(tracker, "igt@kms_flip");
	/* A dynamic subtest outside a subtest is not something IGT does: kept as is. */
	feed(tracker, "[IGT] kms_flip: starting subtest basic");
	feed(tracker, "[IGT] kms_flip: finished subtest other, SUCCESS");
	assert_current(tracker, "igt@kms_flip@basic");
	igt_tracker__free(tracker);
}

static void test_prefixes_and_line_ends(void **state)
{
	struct igt_tracker *tracker = new_igt_tracker();
	const char kmsg[] = "6,1234,5678901,-;[IGT] core_auth: starting subtest basic-auth\n";
	char with_nul[64] = "[IGT] core_auth: starting subtest getclient";

	feed(tracker, "6,1233,5678900,-;[IGT] core_auth: executing\n");
	assert_current(tracker, "igt@core_auth");
	assert_int_equal(igt_tracker__feed(tracker, kmsg, sizeof(kmsg) - 1), 0);
	assert_current(tracker, "igt@core_auth@basic-auth");
	feed(tracker, "[  123.456789] [IGT] core_auth: finished subtest basic-auth, SUCCESS\r\n");
	assert_current(tracker, "igt@core_auth");
	/* A fixed-size buffer: the text ends at its NUL, whatever the length says. */
	assert_int_equal(igt_tracker__feed(tracker, with_nul, sizeof(with_nul)), 0);
	assert_current(tracker, "igt@core_auth@getclient");
	/* Only the bytes given count. */
	assert_int_equal(igt_tracker__feed(tracker, "[IGT] core_auth: exiting, ret=0",
					   strlen("[IGT] core_auth: exi")),
			 0);
	assert_current(tracker, "igt@core_auth@getclient");
	igt_tracker__free(tracker);
}

static void test_lines_that_change_nothing(void **state)
{
	struct igt_tracker *tracker = new_igt_tracker();

	feed(tracker, "[IGT] gem_ctx_exec: executing");
	feed(tracker, "[IGT] gem_ctx_exec: starting subtest basic");
	feed(tracker, "i915 0000:00:02.0: [drm] GT0: GuC firmware i915/tgl_guc_70.bin");
	feed(tracker, "[IGT] gem_ctx_exec: something new in a later IGT");
	feed(tracker, "[IGT] no separator here");
	feed(tracker, "[IGT] : executing");
	feed(tracker, "[IGT] gem_ctx_exec: starting subtest ");
	feed(tracker, "[IGT]gem_ctx_exec: exiting, ret=0");
	assert_current(tracker, "igt@gem_ctx_exec@basic");
	/* Another binary's end markers do not end this test... */
	feed(tracker, "[IGT] other_test: finished subtest basic, SUCCESS");
	feed(tracker, "[IGT] other_test: exiting, ret=0");
	assert_current(tracker, "igt@gem_ctx_exec@basic");
	/* ...but a new binary starting means the old one is gone. */
	feed(tracker, "[IGT] other_test: starting subtest first");
	assert_current(tracker, "igt@other_test@first");
	feed(tracker, "[IGT] gem_ctx_exec: executing");
	assert_current(tracker, "igt@gem_ctx_exec");
	assert_int_equal(igt_tracker__feed(tracker, "", 0), 0);
	igt_tracker__free(tracker);
}

/* Names handed out stay valid and identical for the tracker's lifetime. */
static void test_names_are_interned(void **state)
{
	struct igt_tracker *tracker = new_igt_tracker();
	const char *first, *again;

	feed(tracker, "[IGT] gem_exec_whisper: executing");
	feed(tracker, "[IGT] gem_exec_whisper: starting subtest basic");
	first = igt_tracker__current(tracker);
	for (int i = 0; i < 100; i++) {
		feed(tracker, "[IGT] gem_exec_whisper: finished subtest basic, SUCCESS");
		feed(tracker, "[IGT] gem_exec_whisper: starting subtest other");
		feed(tracker, "[IGT] gem_exec_whisper: finished subtest other, SUCCESS");
		feed(tracker, "[IGT] gem_exec_whisper: starting subtest basic");
	}
	again = igt_tracker__current(tracker);
	assert_ptr_equal(first, again);
	assert_string_equal(first, "igt@gem_exec_whisper@basic");
	igt_tracker__free(tracker);
	igt_tracker__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_test_lifecycle),
		cmocka_unit_test(test_dynamic_subtests),
		cmocka_unit_test(test_prefixes_and_line_ends),
		cmocka_unit_test(test_lines_that_change_nothing),
		cmocka_unit_test(test_names_are_interned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
