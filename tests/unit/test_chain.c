// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The chain cache's keys (include/lockdepd_chain.h), which the probes and
 * the engine must compute alike: what tells two chains apart, what makes
 * one unknown, and that an init's ident reads nothing past its text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include <cmocka.h>

#include "lockdepd_event.h"
#include "lockdepd_chain.h"

#define IP_A 0xffffffff81000010ull
#define IP_B 0xffffffff81000020ull

static void test_chain_is_ordered(void **state)
{
	__u64 ab = ld_chain_step(ld_chain_step(LD_CHAIN_START, 1, IP_A, 0), 2, IP_B, 0);
	__u64 ba = ld_chain_step(ld_chain_step(LD_CHAIN_START, 2, IP_B, 0), 1, IP_A, 0);

	(void)state;
	assert_int_not_equal(ab, ba);
	assert_int_not_equal(ab, LD_CHAIN_NONE);
	/* The same steps, the same chain: the probes and the engine agree. */
	assert_int_equal(ab, ld_chain_step(ld_chain_step(LD_CHAIN_START, 1, IP_A, 0), 2, IP_B, 0));
}

/* One lock of unknown class and the chain is unknown, whatever is taken after it. */
static void test_unknown_class_poisons(void **state)
{
	__u64 chain = ld_chain_step(LD_CHAIN_START, 0, IP_A, 0);

	(void)state;
	assert_int_equal(chain, LD_CHAIN_NONE);
	assert_int_equal(ld_chain_step(chain, 2, IP_B, 0), LD_CHAIN_NONE);
	assert_int_equal(ld_chain_triple(chain, 2, IP_B, 0, 0), LD_CHAIN_NONE);
}

/* The class alone is not the key: its caller (nested subclasses), type, trylock, reclaim. */
static void test_what_tells_keys_apart(void **state)
{
	__u64 base = ld_chain_triple(LD_CHAIN_START, 5, IP_A, LD_LOCK_MUTEX, 0);

	(void)state;
	assert_int_not_equal(base, ld_chain_triple(LD_CHAIN_START, 6, IP_A, LD_LOCK_MUTEX, 0));
	assert_int_not_equal(base, ld_chain_triple(LD_CHAIN_START, 5, IP_B, LD_LOCK_MUTEX, 0));
	assert_int_not_equal(base, ld_chain_triple(LD_CHAIN_START, 5, IP_A, LD_LOCK_RWSEM_READ, 0));
	assert_int_not_equal(base, ld_chain_triple(LD_CHAIN_START, 5, IP_A,
						   LD_LOCK_MUTEX | LD_HELD_F_TRYLOCK, 0));
	assert_int_not_equal(base, ld_chain_triple(LD_CHAIN_START, 5, IP_A, LD_LOCK_MUTEX, 1));
	assert_int_not_equal(ld_chain_triple(LD_CHAIN_START, LD_CHAIN_CLASS_ALLOC, 0, 0, 0),
			     ld_chain_triple(LD_CHAIN_START, 5, 0, 0, 0));
}

static __u64 ident_of(const char *text, char filler, __u64 site, __u32 flags)
{
	__u64 words[LD_CHAIN_TEXT_WORDS];

	memset(words, filler, sizeof(words));
	memcpy(words, text, strlen(text));
	return ld_chain_init_ident(words, strlen(text), site, flags);
}

/* A record's text is padded with whatever the ring buffer held: the ident ignores it. */
static void test_init_ident(void **state)
{
	__u64 ident = ident_of("&vm->mutex", 0, IP_A, 0);

	(void)state;
	assert_int_equal(ident, ident_of("&vm->mutex", 0x5a, IP_A, 0));
	assert_int_not_equal(ident, ident_of("&vm->mutex", 0, IP_B, 0));
	assert_int_not_equal(ident, ident_of("&vm->mutex", 0, IP_A, LD_EV_F_INIT_RULE));
	assert_int_not_equal(ident, ident_of("&vm->mutey", 0, IP_A, 0));
	/* A text that is a prefix of another, or the same in a longer word. */
	assert_int_not_equal(ident_of("&vm->mute", 0, IP_A, 0), ident);
	assert_int_not_equal(ident_of("", 0, IP_A, 0), LD_CHAIN_NONE);
	assert_int_not_equal(ld_chain_lock_ident(0xffff888100a00010ull), LD_CHAIN_NONE);
	assert_int_not_equal(ld_chain_lock_ident(0xffff888100a00010ull),
			     ld_chain_lock_ident(0xffff888100a00018ull));
}

/* The longest text the probes send is hashed whole. */
static void test_init_ident_of_longest_text(void **state)
{
	char text[LD_MAX_TEXT + 1];
	__u64 all_x;

	(void)state;
	memset(text, 'x', LD_MAX_TEXT);
	text[LD_MAX_TEXT] = '\0';
	all_x = ident_of(text, 0, IP_A, 0);
	text[LD_MAX_TEXT - 1] = 'y';
	assert_int_not_equal(all_x, ident_of(text, 0, IP_A, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_is_ordered),
		cmocka_unit_test(test_unknown_class_poisons),
		cmocka_unit_test(test_what_tells_keys_apart),
		cmocka_unit_test(test_init_ident),
		cmocka_unit_test(test_init_ident_of_longest_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
