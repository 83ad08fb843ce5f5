// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ring buffer's records as the live source reads them: a valid record
 * reaches the caller unchanged, a short or corrupt one is counted and
 * skipped, never delivered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "event/event.h"
#include "lockdepd_bpf.h"
#include "source/live/capture.h"

struct capture {
	unsigned int calls;
	struct ld_event last;
};

static int capture_event(const struct ld_event *ev, void *ctx)
{
	struct capture *cap = ctx;

	cap->calls++;
	memcpy(&cap->last, ev, sizeof(cap->last));
	return 0;
}

static void setup_live(struct live *live, struct capture *cap)
{
	memset(live, 0, sizeof(*live));
	memset(cap, 0, sizeof(*cap));
	live->fn = capture_event;
	live->fn_ctx = cap;
}

static struct ld_event lost_event(__u64 count)
{
	struct ld_event ev = { 0 };

	ev.type = LD_EV_LOST;
	ev.size = LD_EVENT_FIXED_SIZE;
	ev.lost.count = count;
	return ev;
}

static void valid_record_is_delivered(void **state)
{
	struct live live;
	struct capture cap;
	struct ld_event ev = lost_event(7);

	setup_live(&live, &cap);
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	assert_int_equal(cap.calls, 1);
	assert_int_equal(cap.last.type, LD_EV_LOST);
	assert_int_equal(cap.last.lost.count, 7);
	assert_int_equal(live.events, 1);
	assert_int_equal(live.invalid, 0);
}

static void short_record_is_skipped(void **state)
{
	struct live live;
	struct capture cap;
	struct ld_event ev = lost_event(1);

	setup_live(&live, &cap);
	assert_int_equal(live_on_record(&live, &ev, LD_EVENT_FIXED_SIZE - 8), 0);
	assert_int_equal(live_on_record(&live, &ev, 1), 0);
	assert_int_equal(live_on_record(&live, &ev, 0), 0);
	assert_int_equal(cap.calls, 0);
	assert_int_equal(live.events, 0);
	assert_int_equal(live.invalid, 3);
}

static void size_field_beyond_record_is_skipped(void **state)
{
	struct live live;
	struct capture cap;
	struct ld_event ev = lost_event(1);

	setup_live(&live, &cap);
	ev.size = LD_EVENT_FIXED_SIZE + 8;
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	ev.size = LD_EVENT_FIXED_SIZE + 4; /* not a multiple of 8 */
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	assert_int_equal(cap.calls, 0);
	assert_int_equal(live.invalid, 2);
}

static void stack_beyond_record_is_skipped(void **state)
{
	struct live live;
	struct capture cap;
	struct ld_event ev = lost_event(1);

	setup_live(&live, &cap);
	ev.nr_stack = 1; /* one frame promised, none carried */
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	ev.nr_stack = LD_MAX_STACK + 1;
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	assert_int_equal(cap.calls, 0);
	assert_int_equal(live.invalid, 2);
}

static void unknown_type_is_skipped(void **state)
{
	struct live live;
	struct capture cap;
	struct ld_event ev = lost_event(1);

	setup_live(&live, &cap);
	ev.type = LD_BPF_PRIVATE_BASE - 1;
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	assert_int_equal(cap.calls, 0);
	assert_int_equal(live.invalid, 1);
}

static void private_record_is_not_delivered(void **state)
{
	struct live live;
	struct capture cap;
	struct ld_event ev = lost_event(1);

	setup_live(&live, &cap);
	ev.type = LD_BPF_PRIVATE_BASE + 200; /* no private record has this type */
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	assert_int_equal(cap.calls, 0);
	assert_int_equal(live.events, 0);
}

static void private_record_with_short_text_is_ignored(void **state)
{
	struct live live;
	struct capture cap;
	struct ld_event ev = lost_event(1);

	setup_live(&live, &cap);
	ev.type = LD_BPF_EV_MODULE_LOAD;
	ev.text_len = 16; /* a module name promised past the record's end */
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	ev.text_len = LD_MAX_TEXT + 1;
	assert_int_equal(live_on_record(&live, &ev, sizeof(ev)), 0);
	assert_int_equal(cap.calls, 0);
	assert_string_equal(live.module_name, "");
	assert_null(live.module_syms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_record_is_delivered),
		cmocka_unit_test(short_record_is_skipped),
		cmocka_unit_test(size_field_beyond_record_is_skipped),
		cmocka_unit_test(stack_beyond_record_is_skipped),
		cmocka_unit_test(unknown_type_is_skipped),
		cmocka_unit_test(private_record_is_not_delivered),
		cmocka_unit_test(private_record_with_short_text_is_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
