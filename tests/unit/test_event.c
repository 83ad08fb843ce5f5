// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The event ABI's accessors: names, and what ld_event_validate() takes (held records). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event/event.h"

/* Room for the longest record of any type. */
union event_buf {
	struct ld_event ev;
	__u64 words[(LD_EVENT_FIXED_SIZE + LD_MAX_STACK * 8 + LD_MAX_TEXT) / 8 + 1];
};

/* A self-consistent held record of nr entries, each a different lock type. */
static void make_held(union event_buf *buf, unsigned int nr)
{
	struct ld_held_entry *entries = (struct ld_held_entry *)(&buf->ev + 1);

	memset(buf, 0, sizeof(*buf));
	buf->ev.type = LD_EV_HELD;
	buf->ev.pid = 40;
	buf->ev.held.nr = nr;
	buf->ev.nr_stack = nr * LD_HELD_ENTRY_WORDS;
	buf->ev.size = ld_event_size_for(buf->ev.nr_stack, 0);
	for (unsigned int i = 0; i < nr; i++) {
		entries[i].lock = 0xffff888100a00010ULL + 0x100 * i;
		entries[i].ip = i % 2 ? 0 : 0xffffffff81000000ULL + i;
		entries[i].info = i % LD_LOCK_TYPE_MAX | (i % 3 ? 0 : LD_HELD_F_TRYLOCK);
	}
}

static struct ld_held_entry *entry(union event_buf *buf, unsigned int i)
{
	return (struct ld_held_entry *)(&buf->ev + 1) + i;
}

static void test_held_names(void **state)
{
	assert_string_equal(ld_event_type_name(LD_EV_HELD), "held");
	assert_int_equal(ld_event_type_from_name("held"), LD_EV_HELD);
	assert_null(ld_event_type_name(LD_EV_TYPE_MAX));
}

static void test_held_valid(void **state)
{
	union event_buf buf;

	/* Holding nothing is a held record too. */
	for (unsigned int nr = 0; nr <= LD_HELD_MAX; nr++) {
		make_held(&buf, nr);
		assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), 0);
		assert_int_equal(ld_event_validate(&buf.ev, buf.ev.size), 0);
		assert_ptr_equal(ld_event_held(&buf.ev), entry(&buf, 0));
	}
	make_held(&buf, 1);
	assert_int_equal(buf.ev.size, LD_EVENT_FIXED_SIZE + sizeof(struct ld_held_entry));
	for (unsigned int type = 0; type < LD_LOCK_TYPE_MAX; type++) {
		entry(&buf, 0)->info = type | LD_HELD_F_TRYLOCK;
		assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), 0);
		assert_int_equal(ld_held_entry_type(entry(&buf, 0)), type);
		assert_true(ld_held_entry_trylock(entry(&buf, 0)));
		entry(&buf, 0)->info = type;
		assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), 0);
		assert_false(ld_held_entry_trylock(entry(&buf, 0)));
	}
}

/* Every way a held record can disagree with itself is refused. */
static void test_held_inconsistent(void **state)
{
	union event_buf buf;

	make_held(&buf, 2);
	buf.ev.nr_stack--;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	make_held(&buf, 2);
	buf.ev.nr_stack++;
	buf.ev.size = ld_event_size_for(buf.ev.nr_stack, 0);
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	make_held(&buf, 2);
	buf.ev.held.nr = 3;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	make_held(&buf, 0);
	buf.ev.nr_stack = 1;
	buf.ev.size = ld_event_size_for(1, 0);
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);

	/* More than LD_HELD_MAX, even when the stack and size agree with nr. */
	make_held(&buf, LD_HELD_MAX);
	buf.ev.held.nr = LD_HELD_MAX + 1;
	buf.ev.nr_stack = (LD_HELD_MAX + 1) * LD_HELD_ENTRY_WORDS;
	buf.ev.size = ld_event_size_for(buf.ev.nr_stack, 0);
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);

	/* A held record carries no text. */
	make_held(&buf, 1);
	buf.ev.text_len = 8;
	buf.ev.size = ld_event_size_for(buf.ev.nr_stack, 8);
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);

	/* Its size is its entries' exactly: neither short nor padded. */
	make_held(&buf, 2);
	buf.ev.size -= 8;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	make_held(&buf, 2);
	buf.ev.size += 8;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	make_held(&buf, 2);
	assert_int_equal(ld_event_validate(&buf.ev, buf.ev.size - 8), -EINVAL);

	/* Lock types beyond the enum and info bits beyond the trylock flag. */
	make_held(&buf, 3);
	entry(&buf, 2)->info = LD_LOCK_TYPE_MAX;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	entry(&buf, 2)->info = LD_HELD_INFO_TYPE;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	entry(&buf, 2)->info = LD_LOCK_MUTEX | LD_HELD_F_TRYLOCK << 1;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	entry(&buf, 2)->info = LD_LOCK_MUTEX | 1ULL << 63;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
	entry(&buf, 2)->info = LD_LOCK_SPINLOCK;
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), 0);
}

/* The room a held record gets for its entries is its own: other stacks keep their limit. */
static void test_other_stacks_unchanged(void **state)
{
	union event_buf buf;

	memset(&buf, 0, sizeof(buf));
	buf.ev.type = LD_EV_ACQUIRE;
	buf.ev.nr_stack = LD_MAX_STACK;
	buf.ev.size = ld_event_size_for(LD_MAX_STACK, 0);
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), 0);
	buf.ev.nr_stack = LD_MAX_STACK + 1;
	buf.ev.size = ld_event_size_for(LD_MAX_STACK + 1, 0);
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_names),
		cmocka_unit_test(test_held_valid),
		cmocka_unit_test(test_held_inconsistent),
		cmocka_unit_test(test_other_stacks_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
