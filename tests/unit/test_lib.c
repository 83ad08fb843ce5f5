// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The small library every part uses (daemon/lib/): the hash map, the
 * array helper, the arena and the log's %m.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "lib/array.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/macro.h"

static void test_hmap_insert_find_remove(void **state)
{
	struct hmap map = { 0 };
	const size_t n = 5000;

	assert_null(hmap_find(&map, 1, NULL, NULL));
	/* Strided keys, as lock addresses are, and key 0. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hmap_insert(&map, i * 64, i + 1), 0);
	assert_int_equal(map.count, n);
	for (size_t i = 0; i < n; i++) {
		struct hmap_slot *slot = hmap_find(&map, i * 64, NULL, NULL);

		assert_non_null(slot);
		assert_int_equal(slot->value, i + 1);
	}
	assert_null(hmap_find(&map, 64 * n + 1, NULL, NULL));
	/* Remove every other key: the rest must still be found (backward shift). */
	for (size_t i = 0; i < n; i += 2)
		hmap_remove(&map, hmap_find(&map, i * 64, NULL, NULL));
	assert_int_equal(map.count, n / 2);
	for (size_t i = 0; i < n; i++) {
		struct hmap_slot *slot = hmap_find(&map, i * 64, NULL, NULL);

		if (i % 2 == 0) {
			assert_null(slot);
		} else {
			assert_non_null(slot);
			assert_int_equal(slot->value, i + 1);
		}
	}
	hmap_free(&map);
	assert_int_equal(map.count, 0);
	assert_null(hmap_find(&map, 64, NULL, NULL));
}

static bool string_eq(__u64 value, const void *wanted)
{
	return strcmp((const char *)(uintptr_t)value, wanted) == 0;
}

static void test_hmap_colliding_hashes(void **state)
{
	static const char *const names[] = { "vm->mutex", "dma_resv", "fs_reclaim" };
	struct hmap map = { 0 };

	/* Every name under one hash: eq() tells them apart. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_int_equal(hmap_insert(&map, 42, (uintptr_t)names[i]), 0);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct hmap_slot *slot = hmap_find(&map, 42, string_eq, names[i]);

		assert_non_null(slot);
		assert_ptr_equal((const char *)(uintptr_t)slot->value, names[i]);
	}
	assert_null(hmap_find(&map, 42, string_eq, "mmap_lock"));
	hmap_remove(&map, hmap_find(&map, 42, string_eq, "vm->mutex"));
	assert_null(hmap_find(&map, 42, string_eq, "vm->mutex"));
	assert_non_null(hmap_find(&map, 42, string_eq, "fs_reclaim"));
	hmap_free(&map);
}

static void test_hash_functions(void **state)
{
	/* FNV-1a's published value for "a": symtab's synthetic addresses depend on it. */
	assert_int_equal(hash_string("a"), 0xaf63dc4c8601ec8cULL);
	assert_int_equal(hash_bytes("a", 1, 0), hash_string("a"));
	assert_int_not_equal(hash_bytes("a", 1, 1), hash_string("a"));
	assert_int_not_equal(hash_mix64(1), hash_mix64(2));
}

static void test_array_reserve(void **state)
{
	unsigned char small_capacity = 0;
	__u32 capacity = 0;
	int *array = NULL;
	char *bytes = NULL;

	assert_int_equal(array_reserve(&array, &capacity, 1), 0);
	assert_true(capacity >= 1);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(array_reserve(&array, &capacity, (size_t)i + 1), 0);
		array[i] = i;
	}
	assert_true(capacity >= 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(array[i], i);
	free(array);

	/* A capacity that cannot count the elements fails, and keeps what it had. */
	assert_int_equal(array_reserve(&bytes, &small_capacity, 200), 0);
	assert_true(small_capacity >= 200);
	assert_int_equal(array_reserve(&bytes, &small_capacity, 255), 0);
	assert_int_equal(small_capacity, 255);
	assert_int_equal(array_reserve(&bytes, &small_capacity, 256), -ENOMEM);
	assert_int_equal(small_capacity, 255);
	assert_non_null(bytes);
	free(bytes);
}

static void test_arena(void **state)
{
	struct arena arena = { 0 };
	char *big, *s;

	s = arena_strdup(&arena, "vm->mutex");
	assert_string_equal(s, "vm->mutex");
	assert_string_equal(arena_strndup(&arena, "dma_resv!", 8), "dma_resv");
	/* A big one-off does not move what came before. */
	big = arena_alloc(&arena, 1 << 20);
	assert_non_null(big);
	memset(big, 0xaa, 1 << 20);
	assert_string_equal(s, "vm->mutex");
	for (int i = 0; i < 10000; i++)
		assert_int_equal((uintptr_t)arena_alloc(&arena, 13) % 8, 0);
	arena_free(&arena);
	assert_null(arena.head);
}

static char last_message[256];

static void capture(enum log_level level, const char *msg, void *ctx)
{
	snprintf(last_message, sizeof(last_message), "%s", msg);
}

static void test_log_percent_m(void **state)
{
	log_set_sink(capture, NULL);
	assert_int_equal(log_error_errno(-ENOENT, "x: %m"), -ENOENT);
	assert_string_equal(last_message, "x: No such file or directory");
	/* The plain forms name errno, and no log call changes it. */
	errno = EACCES;
	log_error("y: %m");
	assert_string_equal(last_message, "y: Permission denied");
	assert_int_equal(errno, EACCES);
	log_warning_errno(-EINVAL, "z: %m");
	assert_string_equal(last_message, "z: Invalid argument");
	assert_int_equal(errno, EACCES);
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmap_insert_find_remove),
		cmocka_unit_test(test_hmap_colliding_hashes),
		cmocka_unit_test(test_hash_functions),
		cmocka_unit_test(test_array_reserve),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_log_percent_m),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
