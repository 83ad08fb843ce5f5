// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* gfp layouts: names, formatting, the print fmt parser and lockdep's fs_reclaim rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "constructors.h"

#include "event/event.h"
#include "event/gfp.h"

#define KMALLOC_FORMAT "/sys/kernel/tracing/events/kmem/kmalloc/format"

/*
 * The kmalloc print fmt table of a Linux 6.1 kernel without KASAN_HW_TAGS, as
 * its preprocessor expands gfpflag_string() entries from gfp_types.h.
 */
static const char print_fmt_6_1[] =
	"print fmt: \"call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d accounted=%s\", "
	"(void *)REC->call_site, REC->ptr, REC->bytes_req, REC->bytes_alloc, "
	"(REC->gfp_flags) ? __print_flags(REC->gfp_flags, \"|\", "
	"{(unsigned long)(((((((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u) | (( gfp_t)0x100000u)) | (( gfp_t)0x02u)) | (( gfp_t)0x08u) | (( gfp_t)0) | (( gfp_t)0)) | (( gfp_t)0x40000u) | (( gfp_t)0x80000u) | (( gfp_t)0x2000u)) & ~(( gfp_t)(0x400u|0x800u))) | (( gfp_t)0x400u)), \"GFP_TRANSHUGE\"}, "
	"{(unsigned long)((((((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u) | (( gfp_t)0x100000u)) | (( gfp_t)0x02u)) | (( gfp_t)0x08u) | (( gfp_t)0) | (( gfp_t)0)) | (( gfp_t)0x40000u) | (( gfp_t)0x80000u) | (( gfp_t)0x2000u)) & ~(( gfp_t)(0x400u|0x800u))), \"GFP_TRANSHUGE_LIGHT\"}, "
	"{(unsigned long)((((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u) | (( gfp_t)0x100000u)) | (( gfp_t)0x02u)) | (( gfp_t)0x08u) | (( gfp_t)0) | (( gfp_t)0)), \"GFP_HIGHUSER_MOVABLE\"}, "
	"{(unsigned long)(((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u) | (( gfp_t)0x100000u)) | (( gfp_t)0x02u)), \"GFP_HIGHUSER\"}, "
	"{(unsigned long)((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u) | (( gfp_t)0x100000u)), \"GFP_USER\"}, "
	"{(unsigned long)(((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u)) | (( gfp_t)0x400000u)), \"GFP_KERNEL_ACCOUNT\"}, "
	"{(unsigned long)((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u)), \"GFP_KERNEL\"}, "
	"{(unsigned long)((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u)), \"GFP_NOFS\"}, "
	"{(unsigned long)((( gfp_t)0x20u)|(( gfp_t)0x200u)|(( gfp_t)0x800u)), \"GFP_ATOMIC\"}, "
	"{(unsigned long)((( gfp_t)(0x400u|0x800u))), \"GFP_NOIO\"}, "
	"{(unsigned long)((( gfp_t)0x800u)), \"GFP_NOWAIT\"}, "
	"{(unsigned long)(( gfp_t)0x01u), \"GFP_DMA\"}, "
	"{(unsigned long)(( gfp_t)0x02u), \"__GFP_HIGHMEM\"}, "
	"{(unsigned long)(( gfp_t)0x04u), \"GFP_DMA32\"}, "
	"{(unsigned long)(( gfp_t)0x20u), \"__GFP_HIGH\"}, "
	"{(unsigned long)(( gfp_t)0x200u), \"__GFP_ATOMIC\"}, "
	"{(unsigned long)(( gfp_t)0x40u), \"__GFP_IO\"}, "
	"{(unsigned long)(( gfp_t)0x80u), \"__GFP_FS\"}, "
	"{(unsigned long)(( gfp_t)0x2000u), \"__GFP_NOWARN\"}, "
	"{(unsigned long)(( gfp_t)0x4000u), \"__GFP_RETRY_MAYFAIL\"}, "
	"{(unsigned long)(( gfp_t)0x8000u), \"__GFP_NOFAIL\"}, "
	"{(unsigned long)(( gfp_t)0x10000u), \"__GFP_NORETRY\"}, "
	"{(unsigned long)(( gfp_t)0x40000u), \"__GFP_COMP\"}, "
	"{(unsigned long)(( gfp_t)0x100u), \"__GFP_ZERO\"}, "
	"{(unsigned long)(( gfp_t)0x80000u), \"__GFP_NOMEMALLOC\"}, "
	"{(unsigned long)(( gfp_t)0x20000u), \"__GFP_MEMALLOC\"}, "
	"{(unsigned long)(( gfp_t)0x100000u), \"__GFP_HARDWALL\"}, "
	"{(unsigned long)(( gfp_t)0x200000u), \"__GFP_THISNODE\"}, "
	"{(unsigned long)(( gfp_t)0x10u), \"__GFP_RECLAIMABLE\"}, "
	"{(unsigned long)(( gfp_t)0x08u), \"__GFP_MOVABLE\"}, "
	"{(unsigned long)(( gfp_t)0x400000u), \"__GFP_ACCOUNT\"}, "
	"{(unsigned long)(( gfp_t)0x1000u), \"__GFP_WRITE\"}, "
	"{(unsigned long)(( gfp_t)(0x400u|0x800u)), \"__GFP_RECLAIM\"}, "
	"{(unsigned long)(( gfp_t)0x400u), \"__GFP_DIRECT_RECLAIM\"}, "
	"{(unsigned long)(( gfp_t)0x800u), \"__GFP_KSWAPD_RECLAIM\"}, "
	"{(unsigned long)(( gfp_t)0x800000u), \"__GFP_ZEROTAGS\"}, "
	"{ -1, NULL }) : \"none\", REC->node, (1 && (REC->gfp_flags & ( unsigned long)(( gfp_t)0x400000u))) ? \"true\" : \"false\"";

static struct gfp_layout *default_layout(void)
{
	struct gfp_layout *layout = new_default_gfp_layout();

	assert_non_null(layout);
	return layout;
}

static void assert_format(const struct gfp_layout *layout, __u64 gfp, const char *expected)
{
	char buf[512];
	int n = gfp_layout__format(layout, gfp, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(expected));
	assert_string_equal(buf, expected);
}

static void test_default_masks(void **state)
{
	struct gfp_layout *layout = default_layout();

	assert_int_equal(gfp_layout__mask(layout, "__GFP_IO"), 0x40);
	assert_int_equal(gfp_layout__mask(layout, "__GFP_FS"), 0x80);
	assert_int_equal(gfp_layout__mask(layout, "__GFP_DIRECT_RECLAIM"), 0x400);
	assert_int_equal(gfp_layout__mask(layout, "__GFP_KSWAPD_RECLAIM"), 0x800);
	assert_int_equal(gfp_layout__mask(layout, "__GFP_RECLAIM"), 0xc00);
	assert_int_equal(gfp_layout__mask(layout, "GFP_KERNEL"), 0xcc0);
	assert_int_equal(gfp_layout__mask(layout, "GFP_KERNEL_ACCOUNT"), 0x400cc0);
	assert_int_equal(gfp_layout__mask(layout, "GFP_NOFS"), 0xc40);
	assert_int_equal(gfp_layout__mask(layout, "GFP_NOIO"), 0xc00);
	assert_int_equal(gfp_layout__mask(layout, "GFP_NOWAIT"), 0x800);
	assert_int_equal(gfp_layout__mask(layout, "GFP_ATOMIC"), 0xa20);
	assert_int_equal(gfp_layout__mask(layout, "GFP_USER"), 0x100cc0);
	assert_int_equal(gfp_layout__mask(layout, "GFP_HIGHUSER_MOVABLE"), 0x100cca);
	assert_int_equal(gfp_layout__mask(layout, "GFP_TRANSHUGE_LIGHT"), 0x1c20ca);
	assert_int_equal(gfp_layout__mask(layout, "GFP_TRANSHUGE"), 0x1c24ca);
	assert_int_equal(gfp_layout__mask(layout, "GFP_DMA32"), 0x4);
	assert_int_equal(gfp_layout__mask(layout, "GFP_NOT_A_FLAG"), 0);
	gfp_layout__free(layout);
}

static void test_format(void **state)
{
	struct gfp_layout *layout = default_layout();
	char small[8];

	assert_format(layout, 0, "0");
	assert_format(layout, 0xcc0, "GFP_KERNEL");
	assert_format(layout, 0xcc0 | 0x100, "GFP_KERNEL|__GFP_ZERO");
	assert_format(layout, 0x400cc0, "GFP_KERNEL_ACCOUNT");
	assert_format(layout, 0xc40 | 0x2000, "GFP_NOFS|__GFP_NOWARN");
	assert_format(layout, 0xa20, "GFP_ATOMIC");
	assert_format(layout, 0x800, "GFP_NOWAIT");
	assert_format(layout, 0x400, "__GFP_DIRECT_RECLAIM");
	/* Bits the layout does not name come out as hex, last. */
	assert_format(layout, 0xcc0 | 0x10000000, "GFP_KERNEL|0x10000000");
	assert_format(layout, 0x40000000, "0x40000000");
	assert_int_equal(gfp_layout__format(layout, 0xcc0, small, sizeof(small)), -ENOSPC);
	assert_int_equal(gfp_layout__format(layout, 0xcc0, small, 0), -ENOSPC);
	gfp_layout__free(layout);
}

static void test_parse(void **state)
{
	struct gfp_layout *layout = default_layout();
	__u64 gfp = 0xdead;

	assert_int_equal(gfp_layout__parse(layout, "GFP_KERNEL|__GFP_NOWARN", &gfp), 0);
	assert_int_equal(gfp, 0x2cc0);
	assert_int_equal(gfp_layout__parse(layout, "0x400cc0", &gfp), 0);
	assert_int_equal(gfp, 0x400cc0);
	assert_int_equal(gfp_layout__parse(layout, "0", &gfp), 0);
	assert_int_equal(gfp, 0);
	assert_int_equal(gfp_layout__parse(layout, "GFP_KERNEL|0x10000000", &gfp), 0);
	assert_int_equal(gfp, 0x10000cc0);
	assert_int_equal(gfp_layout__parse(layout, "__GFP_DMA", &gfp), 0);
	assert_int_equal(gfp, 1);

	gfp = 0x1234;
	assert_int_equal(gfp_layout__parse(layout, "GFP_BOGUS", &gfp), -EINVAL);
	assert_int_equal(gfp_layout__parse(layout, "", &gfp), -EINVAL);
	assert_int_equal(gfp_layout__parse(layout, "GFP_KERNEL|", &gfp), -EINVAL);
	assert_int_equal(gfp_layout__parse(layout, "|GFP_KERNEL", &gfp), -EINVAL);
	assert_int_equal(gfp_layout__parse(layout, "GFP_KERNEL||__GFP_ZERO", &gfp), -EINVAL);
	assert_int_equal(gfp_layout__parse(layout, "0xzz", &gfp), -EINVAL);
	assert_int_equal(gfp_layout__parse(layout, "0x", &gfp), -EINVAL);
	assert_int_equal(gfp_layout__parse(layout, "12abc", &gfp), -EINVAL);
	assert_int_equal(gfp, 0x1234); /* untouched on failure */
	gfp_layout__free(layout);
}

static void test_format_parse_round_trip(void **state)
{
	struct gfp_layout *layout = default_layout();
	unsigned int seed = 1;

	for (int i = 0; i < 20000; i++) {
		__u64 gfp = (__u64)rand_r(&seed) & 0x3fffffff, back = ~0ULL;
		char buf[512];

		if (i % 3 == 0)
			gfp &= 0xfffff;
		assert_true(gfp_layout__format(layout, gfp, buf, sizeof(buf)) > 0);
		assert_int_equal(gfp_layout__parse(layout, buf, &back), 0);
		assert_int_equal(back, gfp);
	}
	gfp_layout__free(layout);
}

static void test_add_copy_equal(void **state)
{
	struct gfp_layout *a = new_gfp_layout(), *b, *def = default_layout();
	const char *name;
	__u64 mask;

	assert_non_null(a);
	assert_int_equal(gfp_layout__count(a), 0);
	assert_int_equal(gfp_layout__add(a, "__GFP_FS", 0x1), 0);
	assert_int_equal(gfp_layout__add(a, "__GFP_FS", 0x2), -EEXIST);
	assert_int_equal(gfp_layout__add(a, "bad name", 0x2), -EINVAL);
	assert_int_equal(gfp_layout__add(a, "", 0x2), -EINVAL);
	assert_int_equal(gfp_layout__add(a, "1GFP", 0x2), -EINVAL);
	assert_int_equal(gfp_layout__add(a, "__GFP_IO", 0x2), 0);
	assert_int_equal(gfp_layout__count(a), 2);
	assert_int_equal(gfp_layout__entry(a, 1, &name, &mask), 0);
	assert_string_equal(name, "__GFP_IO");
	assert_int_equal(mask, 2);
	assert_int_equal(gfp_layout__entry(a, 2, &name, &mask), -ERANGE);

	assert_int_equal(gfp_layout__copy(a, &b), 0);
	assert_non_null(b);
	assert_true(gfp_layout__equal(a, b));
	assert_false(gfp_layout__equal(a, def));
	assert_int_equal(gfp_layout__add(b, "__GFP_ZERO", 0x4), 0);
	assert_false(gfp_layout__equal(a, b));
	gfp_layout__free(a);
	gfp_layout__free(b);
	gfp_layout__free(def);
	gfp_layout__free(NULL);
}

/* Every entry of the 6.1 table is in the default layout, with the same mask, in the same order. */
static void test_print_fmt_6_1(void **state)
{
	struct gfp_layout *parsed = new_gfp_layout(), *def = default_layout();
	size_t n;

	assert_int_equal(gfp_layout__parse_print_fmt(parsed, print_fmt_6_1), 0);
	n = gfp_layout__count(parsed);
	assert_int_equal(n, 36);
	for (size_t i = 0; i < n; i++) {
		const char *name, *def_name;
		__u64 mask, def_mask;

		assert_int_equal(gfp_layout__entry(parsed, i, &name, &mask), 0);
		assert_int_equal(gfp_layout__entry(def, i, &def_name, &def_mask), 0);
		assert_string_equal(name, def_name);
		assert_int_equal(mask, def_mask);
	}
	assert_format(parsed, 0xcc0 | 0x100, "GFP_KERNEL|__GFP_ZERO");
	assert_true(gfp_may_enter_fs_reclaim(parsed, 0xcc0, 0));
	gfp_layout__free(parsed);
	gfp_layout__free(def);
}

static void test_print_fmt_errors(void **state)
{
	struct gfp_layout *layout = new_gfp_layout();

	assert_int_equal(gfp_layout__parse_print_fmt(layout, "print fmt: \"%d\", REC->x"), -EINVAL);
	assert_int_equal(gfp_layout__parse_print_fmt(layout, "__print_flags(x, \"|\", )"), -EINVAL);
	assert_int_equal(
		gfp_layout__parse_print_fmt(
			layout, "__print_flags(x, \"|\", {(unsigned long)(0x40u |), \"A\"})"),
		-EINVAL);
	assert_int_equal(gfp_layout__parse_print_fmt(
				 layout, "__print_flags(x, \"|\", {(unsigned long)(foo), \"A\"})"),
			 -EINVAL);
	assert_int_equal(
		gfp_layout__parse_print_fmt(layout, "__print_flags(x, \"|\", {1 << 64, \"A\"})"),
		-EINVAL);
	assert_int_equal(gfp_layout__parse_print_fmt(layout, "__print_flags(x, \"|\", {0x40u"),
			 -EINVAL);
	/* Shifts, masks and complements as 6.18 writes them. */
	assert_int_equal(
		gfp_layout__parse_print_fmt(
			layout,
			"__print_flags(REC->gfp_flags, \"|\", {( unsigned long)(((( gfp_t)((((1UL))) << (10)))) | ((( gfp_t)0xffUL) & ~(( gfp_t)0x0fUL))), \"X\"}, { 0, ((void *)0) } )"),
		0);
	assert_int_equal(gfp_layout__mask(layout, "X"), 0x4f0);
	gfp_layout__free(layout);
}

static char *read_print_fmt_line(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *found = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "print fmt:", 10) == 0) {
			found = strdup(line);
			break;
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* The running kernel's own table (these machines have tracefs; mount it if needed). */
static void test_print_fmt_host(void **state)
{
	struct gfp_layout *layout = new_gfp_layout();
	struct stat st;
	char *fmt;

	if (stat(KMALLOC_FORMAT, &st) != 0)
		mount("none", "/sys/kernel/tracing", "tracefs", 0, NULL);
	fmt = read_print_fmt_line(KMALLOC_FORMAT);
	if (!fmt)
		fail_msg("cannot read %s: %s (tracefs is expected on these machines)",
			 KMALLOC_FORMAT, strerror(errno));
	assert_int_equal(gfp_layout__parse_print_fmt(layout, fmt), 0);
	assert_true(gfp_layout__count(layout) >= 25);
	/* Stable on every kernel from 4.x to 6.18. */
	assert_int_equal(gfp_layout__mask(layout, "__GFP_IO"), 0x40);
	assert_int_equal(gfp_layout__mask(layout, "__GFP_FS"), 0x80);
	assert_int_equal(gfp_layout__mask(layout, "__GFP_DIRECT_RECLAIM"), 0x400);
	assert_int_equal(gfp_layout__mask(layout, "__GFP_KSWAPD_RECLAIM"), 0x800);
	assert_int_equal(gfp_layout__mask(layout, "GFP_KERNEL"), 0xcc0);
	assert_int_equal(gfp_layout__mask(layout, "GFP_NOFS"), 0xc40);
	assert_format(layout, 0xcc0, "GFP_KERNEL");
	assert_true(gfp_may_enter_fs_reclaim(layout, 0xcc0, 0));
	assert_false(gfp_may_enter_fs_reclaim(layout, gfp_layout__mask(layout, "GFP_ATOMIC"), 0));
	free(fmt);
	gfp_layout__free(layout);
}

static void test_fs_reclaim_rule(void **state)
{
	struct gfp_layout *l = default_layout();
	__u64 kernel = gfp_layout__mask(l, "GFP_KERNEL");

	assert_true(gfp_may_enter_fs_reclaim(l, kernel, 0));
	assert_true(gfp_may_enter_fs_reclaim(l, kernel | 0x2000 | 0x100, 0));
	assert_true(gfp_may_enter_fs_reclaim(l, gfp_layout__mask(l, "GFP_KERNEL_ACCOUNT"), 0));
	assert_true(gfp_may_enter_fs_reclaim(l, gfp_layout__mask(l, "GFP_USER"), 0));
	/* Only __GFP_FS matters after the scope, not __GFP_IO. */
	assert_true(gfp_may_enter_fs_reclaim(l, 0x400 | 0x80, 0));
	assert_false(gfp_may_enter_fs_reclaim(l, gfp_layout__mask(l, "GFP_NOFS"), 0));
	assert_false(gfp_may_enter_fs_reclaim(l, gfp_layout__mask(l, "GFP_NOIO"), 0));
	assert_false(gfp_may_enter_fs_reclaim(l, gfp_layout__mask(l, "GFP_ATOMIC"), 0));
	assert_false(gfp_may_enter_fs_reclaim(l, gfp_layout__mask(l, "GFP_NOWAIT"), 0));
	assert_false(gfp_may_enter_fs_reclaim(l, kernel & ~0x400ULL, 0));
	assert_false(gfp_may_enter_fs_reclaim(l, 0, 0));
	/* The task's scope. */
	assert_false(gfp_may_enter_fs_reclaim(l, kernel, LD_TASK_MEMALLOC_NOFS));
	assert_false(gfp_may_enter_fs_reclaim(l, kernel, LD_TASK_MEMALLOC_NOIO));
	assert_false(gfp_may_enter_fs_reclaim(l, kernel, LD_TASK_MEMALLOC));
	assert_false(
		gfp_may_enter_fs_reclaim(l, kernel, LD_TASK_MEMALLOC_NOFS | LD_TASK_MEMALLOC_NOIO));
	gfp_layout__free(l);
}

/* The rule follows the layout's bit numbers, not the default's. */
static void test_fs_reclaim_rule_other_layout(void **state)
{
	struct gfp_layout *l = new_gfp_layout();

	assert_int_equal(gfp_layout__add(l, "__GFP_DIRECT_RECLAIM", 0x1), 0);
	assert_int_equal(gfp_layout__add(l, "__GFP_IO", 0x2), 0);
	assert_int_equal(gfp_layout__add(l, "__GFP_FS", 0x4), 0);
	assert_true(gfp_may_enter_fs_reclaim(l, 0x7, 0));
	assert_false(gfp_may_enter_fs_reclaim(l, 0xcc0, 0));
	assert_false(gfp_may_enter_fs_reclaim(l, 0x3, 0));
	assert_false(gfp_may_enter_fs_reclaim(l, 0x7, LD_TASK_MEMALLOC_NOFS));
	/* A lockdep kernel's __GFP_NOLOCKDEP opts the allocation out. */
	assert_int_equal(gfp_layout__add(l, "__GFP_NOLOCKDEP", 0x8), 0);
	assert_false(gfp_may_enter_fs_reclaim(l, 0xf, 0));
	gfp_layout__free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_masks),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_add_copy_equal),
		cmocka_unit_test(test_print_fmt_6_1),
		cmocka_unit_test(test_print_fmt_errors),
		cmocka_unit_test(test_print_fmt_host),
		cmocka_unit_test(test_fs_reclaim_rule),
		cmocka_unit_test(test_fs_reclaim_rule_other_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
