// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The symbol table: exact names, interning, kallsyms naming, iteration. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "constructors.h"

#include "lib/log.h"
#include "event/symtab.h"

static char last_log[2048];

static void capture_log(enum log_level level, const char *msg, void *ctx)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

static int setup(void **state)
{
	last_log[0] = '\0';
	log_set_sink(capture_log, NULL);
	return 0;
}

static int teardown(void **state)
{
	log_set_sink(NULL, NULL);
	return 0;
}

/* Writes text to a temporary file; the caller unlinks and frees the path. */
static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/test_symtab.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_add_lookup(void **state)
{
	struct symtab *symtab = new_symtab();

	assert_null(symtab__lookup(symtab, 0x1000));
	assert_int_equal(symtab__add(symtab, 0x1000, "first"), 0);
	assert_string_equal(symtab__lookup(symtab, 0x1000), "first");
	assert_null(symtab__lookup(symtab, 0x1008));
	/* Replacing keeps the newest name. */
	assert_int_equal(symtab__add(symtab, 0x1000, "second"), 0);
	assert_string_equal(symtab__lookup(symtab, 0x1000), "second");
	/* Address 0 may be named too (it is never a real address, but must not break). */
	assert_null(symtab__lookup(symtab, 0));
	assert_int_equal(symtab__add(symtab, 0, "zero"), 0);
	assert_string_equal(symtab__lookup(symtab, 0), "zero");
	symtab__free(symtab);
	symtab__free(NULL);
}

static void test_grows(void **state)
{
	struct symtab *symtab = new_symtab();
	char name[32];

	for (__u64 i = 1; i <= 200000; i++) {
		snprintf(name, sizeof(name), "sym_%llu", (unsigned long long)i);
		assert_int_equal(symtab__add(symtab, 0xffffffff81000000ULL + i * 16, name), 0);
	}
	for (__u64 i = 1; i <= 200000; i += 997) {
		snprintf(name, sizeof(name), "sym_%llu", (unsigned long long)i);
		assert_string_equal(symtab__lookup(symtab, 0xffffffff81000000ULL + i * 16), name);
	}
	symtab__free(symtab);
}

static void test_intern(void **state)
{
	struct symtab *symtab = new_symtab();
	__u64 a = symtab__intern(symtab, "console_mutex");
	__u64 b = symtab__intern(symtab, "mutex_lock+0x1c");
	__u64 c;

	assert_true(a >= SYMTAB_SYNTHETIC_BASE);
	assert_true(b >= SYMTAB_SYNTHETIC_BASE);
	assert_int_not_equal(a, b);
	assert_int_equal(symtab__intern(symtab, "console_mutex"), a);
	assert_string_equal(symtab__lookup(symtab, a), "console_mutex");
	assert_string_equal(symtab__lookup(symtab, b), "mutex_lock+0x1c");

	/* A name a binary trace gave a real address is found again, not re-invented. */
	assert_int_equal(symtab__add(symtab, 0xffffffff81001100ULL, "mutex_unlock+0x4/0x40"), 0);
	assert_int_equal(symtab__intern(symtab, "mutex_unlock+0x4/0x40"), 0xffffffff81001100ULL);

	/* An interned address renamed since is not handed out for the old name. */
	assert_int_equal(symtab__add(symtab, a, "other"), 0);
	c = symtab__intern(symtab, "console_mutex");
	assert_int_not_equal(c, a);
	assert_string_equal(symtab__lookup(symtab, c), "console_mutex");
	assert_string_equal(symtab__lookup(symtab, a), "other");

	/* The same name gets the same address in another symtab too. */
	{
		struct symtab *other = new_symtab();

		assert_int_equal(symtab__intern(other, "mutex_lock+0x1c"), b);
		symtab__free(other);
	}
	symtab__free(symtab);
}

static void test_intern_many_distinct(void **state)
{
	struct symtab *symtab = new_symtab();
	enum { N = 100000 };
	__u64 *addrs = calloc(N, sizeof(*addrs));
	char name[32];

	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "lock_%d", i);
		addrs[i] = symtab__intern(symtab, name);
		assert_true(addrs[i] >= SYMTAB_SYNTHETIC_BASE);
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "lock_%d", i);
		assert_int_equal(symtab__intern(symtab, name), addrs[i]);
		assert_string_equal(symtab__lookup(symtab, addrs[i]), name);
	}
	free(addrs);
	symtab__free(symtab);
}

struct visit {
	__u64 last;
	size_t count;
	size_t stop_after;
};

static int visit(__u64 addr, const char *name, void *ctx)
{
	struct visit *v = ctx;

	assert_non_null(name);
	if (v->count)
		assert_true(addr > v->last);
	v->last = addr;
	v->count++;
	return v->count == v->stop_after ? -42 : 0;
}

static void test_for_each(void **state)
{
	struct symtab *symtab = new_symtab();
	struct visit v = { 0 };

	assert_int_equal(symtab__for_each(symtab, visit, &v), 0);
	assert_int_equal(v.count, 0);
	for (__u64 i = 0; i < 1000; i++)
		assert_int_equal(symtab__add(symtab, (i * 7919) % 1000 * 8 + 8, "x"), 0);
	assert_int_equal(symtab__for_each(symtab, visit, &v), 0);
	assert_int_equal(v.count, 1000);
	v = (struct visit){ .stop_after = 10 };
	assert_int_equal(symtab__for_each(symtab, visit, &v), -42);
	assert_int_equal(v.count, 10);
	symtab__free(symtab);
}

static void test_function_name(void **state)
{
	char buf[64];

	assert_int_equal(symbol_function_name("mutex_lock+0x1c/0x80", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "mutex_lock");
	assert_int_equal(
		symbol_function_name("i915_gem_shrinker_scan+0x1c/0x80 [i915]", buf, sizeof(buf)),
		22);
	assert_string_equal(buf, "i915_gem_shrinker_scan");
	assert_int_equal(symbol_function_name("console_lock", buf, sizeof(buf)), 12);
	assert_string_equal(buf, "console_lock");
	assert_int_equal(symbol_function_name("mutex_lock+0x1c", buf, sizeof(buf)), 10);
	assert_int_equal(symbol_function_name("mutex_lock", buf, 10), -ENOSPC);
	assert_int_equal(symbol_function_name("mutex_lock", buf, 11), 10);
}

static const char sample_kallsyms[] = "0000000000000000 A fixed_percpu_data\n"
				      "000000000001f000 D per_cpu_var\n"
				      "ffffffff81000000 T _stext\n"
				      "ffffffff81000000 T startup_64\n"
				      "ffffffff81001000 t helper\n"
				      "ffffffff81001100 T mutex_lock\n"
				      "ffffffff81001180 T mutex_unlock\n"
				      "ffffffff82000000 D console_mutex\n"
				      "ffffffff82000040 d static_lock\n"
				      "ffffffff82000080 b bss_thing\n"
				      "ffffffff82000100 T code_alias_of_data\n"
				      "ffffffff82000100 B data_at_same_address\n"
				      "ffffffffc0a01000 t i915_gem_shrinker_scan\t[i915]\n"
				      "ffffffffc0a01200 t i915_gem_shrinker_count\t[i915]\n"
				      "ffffffffc0a02000 d i915_static_mutex\t[i915]\n"
				      "ffffffffc0a03000 t last_fn\t[i915]\n";

static void test_kallsyms_sample(void **state)
{
	struct symtab *symtab = new_symtab();
	char *path = write_temp(sample_kallsyms);
	const char *name;

	assert_int_equal(symtab__load_kallsyms(symtab, path), 0);
	/* Code: func+off/len, len up to the next symbol. */
	assert_string_equal(symtab__lookup(symtab, 0xffffffff8100111cULL), "mutex_lock+0x1c/0x80");
	assert_string_equal(symtab__lookup(symtab, 0xffffffff81001100ULL), "mutex_lock+0x0/0x80");
	assert_string_equal(symtab__lookup(symtab, 0xffffffff81001010ULL), "helper+0x10/0x100");
	/* Aliases at one address: the first in the file. */
	assert_string_equal(symtab__lookup(symtab, 0xffffffff81000004ULL), "_stext+0x4/0x1000");
	/* Data: only the exact address, bare. */
	assert_string_equal(symtab__lookup(symtab, 0xffffffff82000000ULL), "console_mutex");
	assert_string_equal(symtab__lookup(symtab, 0xffffffff82000040ULL), "static_lock");
	assert_string_equal(symtab__lookup(symtab, 0xffffffff82000080ULL), "bss_thing");
	assert_null(symtab__lookup(symtab, 0xffffffff82000010ULL));
	/* A data symbol wins over code at the same address. */
	assert_string_equal(symtab__lookup(symtab, 0xffffffff82000100ULL), "data_at_same_address");
	/* Heap addresses sit between percpu and text: never named. */
	assert_null(symtab__lookup(symtab, 0xffff8880aa000010ULL));
	assert_null(symtab__lookup(symtab, 0x10));
	/* Modules. */
	assert_string_equal(symtab__lookup(symtab, 0xffffffffc0a01010ULL),
			    "i915_gem_shrinker_scan+0x10/0x200 [i915]");
	assert_string_equal(symtab__lookup(symtab, 0xffffffffc0a02000ULL), "i915_static_mutex");
	/* Past the last symbol its length is unknown: no name. */
	assert_null(symtab__lookup(symtab, 0xffffffffc0a03004ULL));
	/* Cached, and explicit names win over kallsyms. */
	name = symtab__lookup(symtab, 0xffffffff8100111cULL);
	assert_ptr_equal(symtab__lookup(symtab, 0xffffffff8100111cULL), name);
	assert_int_equal(symtab__add(symtab, 0xffffffff81001120ULL, "explicit"), 0);
	assert_string_equal(symtab__lookup(symtab, 0xffffffff81001120ULL), "explicit");
	unlink(path);
	free(path);
	symtab__free(symtab);
}

static void test_kallsyms_errors(void **state)
{
	struct symtab *symtab = new_symtab();
	char *path = write_temp("ffffffff81000000 T ok\nnot-an-address T bad\n");
	char *zeros = write_temp("0000000000000000 T a\n0000000000000000 t b\n");
	char expected[256];

	assert_int_equal(symtab__load_kallsyms(symtab, path), -EINVAL);
	snprintf(expected, sizeof(expected), "%s:2:", path);
	assert_non_null(strstr(last_log, expected));

	assert_int_equal(symtab__load_kallsyms(symtab, "/nonexistent/kallsyms"), -ENOENT);
	assert_non_null(strstr(last_log, "/nonexistent/kallsyms"));

	assert_int_equal(symtab__load_kallsyms(symtab, zeros), -EPERM);
	assert_non_null(strstr(last_log, "kptr_restrict"));
	unlink(path);
	unlink(zeros);
	free(path);
	free(zeros);
	symtab__free(symtab);
}

/* The real thing: this host runs as root, so /proc/kallsyms has addresses. */
static void test_kallsyms_host(void **state)
{
	struct symtab *symtab = new_symtab();
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long addr, found = 0;
	char type, name[512], expected[600];
	const char *got;

	assert_non_null(f);
	while (fscanf(f, "%llx %c %511s%*[^\n]", &addr, &type, name) == 3) {
		if (strcmp(name, "mutex_lock") == 0 && (type == 'T' || type == 't')) {
			found = addr;
			break;
		}
	}
	fclose(f);
	assert_true(found != 0);
	assert_int_equal(symtab__load_kallsyms(symtab, "/proc/kallsyms"), 0);
	got = symtab__lookup(symtab, found + 4);
	assert_non_null(got);
	snprintf(expected, sizeof(expected), "mutex_lock+0x4/0x");
	assert_memory_equal(got, expected, strlen(expected));
	assert_null(symtab__lookup(symtab, 0xffff8880aa000010ULL));
	symtab__free(symtab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intern_many_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_for_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kallsyms_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kallsyms_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kallsyms_host, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
