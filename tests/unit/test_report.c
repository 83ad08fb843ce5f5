// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reports: findings built by hand, printed, and compared with lockdep's
 * layout line by line (text) or checked for strict JSON and its fields.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "constructors.h"

#include "event/event.h"
#include "engine/finding.h"
#include "output/report.h"
#include "event/symtab.h"

/* --- building findings ----------------------------------------------------- */

#define VM_MUTEX 0xffff8880aa000010ULL
#define DMA_RESV 0xffff8880aa000020ULL
#define VMA_LOCK 0xffff8880aa000030ULL
#define UNNAMED	 0xffffffffc0de0000ULL

static const struct {
	__u64 addr;
	const char *name;
} symbols[] = {
	{ 0x1001, "mutex_lock+0x1c/0x40" },
	{ 0x1002, "i915_vma_pin_ww+0x40/0x300" },
	{ 0x1003, "eb_validate_vmas+0x80/0x400" },
	{ 0x1004, "ww_mutex_lock+0x30/0x90" },
	{ 0x1005, "i915_gem_evict_vm+0x60/0x200" },
	{ 0x1006, "i915_gem_evict_something+0x20/0x100" },
	{ 0x1007, "eb_lock_vmas+0x10/0x80" },
	{ 0x1008, "__kmalloc+0x50/0x300" },
	{ 0x1009, "i915_vma_instance+0x44/0x500" },
	{ 0x100a, "i915_gem_shrinker_scan" },
	{ 0x100b, "i915_vma_unbind+0x30/0x200" },
	{ 0x100c, "spin_lock+0x10/0x20" },
	{ 0x100d, "i915_gem_object_lookup_vma+0x20/0x90" },
};

static struct symtab *test_symtab(void)
{
	struct symtab *symtab = new_symtab();

	assert_non_null(symtab);
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		assert_int_equal(symtab__add(symtab, symbols[i].addr, symbols[i].name), 0);
	return symtab;
}

static const __u64 stack_pin[] = { 0x1001, 0x1002, 0x1003 };
static const __u64 stack_evict[] = { 0x1004, 0x1005, UNNAMED };
static const __u64 stack_alloc[] = { 0x1008, 0x1009, 0x1003 };
static const __u64 stack_shrink[] = { 0x1001, 0x100b, 0x100a };
static const __u64 stack_vma[] = { 0x100c, 0x100d };

static struct lock_site site(const char *class_name, __u64 lock, __u64 ip, const __u64 *stack,
			     __u32 nr_stack, __u8 lock_type)
{
	return (struct lock_site){
		.class_name = class_name,
		.lock = lock,
		.ip = ip,
		.stack = stack,
		.nr_stack = nr_stack,
		.lock_type = lock_type,
	};
}

static char *print_finding(const struct finding *finding, enum report_format format,
			   const char *release, struct symtab *symtab)
{
	struct report_opts opts = { .format = format, .kernel_release = release };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(report_finding(out, &opts, finding, symtab), 0);
	assert_int_equal(fclose(out), 0);
	/* igt_runner splits logs at this text: lockdepd must never print it. */
	assert_null(strstr(text, ": starting subtest "));
	return text;
}

/* vm->mutex held, dma_resv taken, while dma_resv -> vm->mutex was seen. */
struct two_lock_cycle {
	struct dependency existing, closing;
	const struct dependency *edges[2];
	const char *classes[2];
	struct lock_site held[1];
	struct finding finding;
};

static void two_lock_cycle_init(struct two_lock_cycle *c)
{
	memset(c, 0, sizeof(*c));
	c->existing = (struct dependency){
		.from = "dma_resv",
		.to = "vm->mutex",
		.pid = 100,
		.comm = "gem_exec",
		.held = site("dma_resv", DMA_RESV, 0x1007, NULL, 0, LD_LOCK_WW_MUTEX),
		.acquired = site("vm->mutex", VM_MUTEX, 0x1002, stack_pin, 3, LD_LOCK_MUTEX),
		.count = 5,
		.test = "igt@gem_exec_basic@basic",
	};
	c->closing = (struct dependency){
		.from = "vm->mutex",
		.to = "dma_resv",
		.pid = 120,
		.comm = "gem_evict",
		.held = site("vm->mutex", VM_MUTEX, 0x1006, NULL, 0, LD_LOCK_MUTEX),
		.acquired = site("dma_resv", DMA_RESV, 0x1005, stack_evict, 3, LD_LOCK_WW_MUTEX),
		.count = 2,
		.test = "igt@gem_evict@basic",
	};
	c->edges[0] = &c->existing;
	c->edges[1] = &c->closing;
	c->classes[0] = "dma_resv";
	c->classes[1] = "vm->mutex";
	c->held[0] = c->closing.held;
	c->finding = (struct finding){
		.kind = FINDING_CIRCULAR,
		.classes = c->classes,
		.nr_classes = 2,
		.edges = c->edges,
		.nr_edges = 2,
		.count = 2,
		.test = "igt@gem_evict@basic",
		.pid = 120,
		.comm = "gem_evict",
		.held = c->held,
		.nr_held = 1,
	};
}

/* --- text ---------------------------------------------------------------- */

static void test_circular_exact(void **state)
{
	static const char expected[] =
		"\n"
		"======================================================\n"
		"WARNING: possible circular locking dependency detected\n"
		"6.1.0-56-amd64 (lockdepd)\n"
		"------------------------------------------------------\n"
		"lockdepd: seen 2 times, first while running igt@gem_evict@basic\n"
		"gem_evict/120 is trying to acquire lock:\n"
		"ffff8880aa000020 (dma_resv){+.+.}, at: i915_gem_evict_vm+0x60/0x200\n"
		"\n"
		"but task is already holding lock:\n"
		"ffff8880aa000010 (vm->mutex){+.+.}, at: i915_gem_evict_something+0x20/0x100\n"
		"\n"
		"which lock already depends on the new lock.\n"
		"\n"
		"\n"
		"the existing dependency chain (in reverse order) is:\n"
		"\n"
		"-> #1 (vm->mutex){+.+.}:\n"
		"       mutex_lock+0x1c/0x40\n"
		"       i915_vma_pin_ww+0x40/0x300\n"
		"       eb_validate_vmas+0x80/0x400\n"
		"\n"
		"-> #0 (dma_resv){+.+.}:\n"
		"       ww_mutex_lock+0x30/0x90\n"
		"       i915_gem_evict_vm+0x60/0x200\n"
		"       0xffffffffc0de0000\n"
		"\n"
		"other info that might help us debug this:\n"
		"\n"
		" Possible unsafe locking scenario:\n"
		"\n"
		"       CPU0                    CPU1\n"
		"       ----                    ----\n"
		"  lock(vm->mutex);\n"
		"                               lock(dma_resv);\n"
		"                               lock(vm->mutex);\n"
		"  lock(dma_resv);\n"
		"\n"
		" *** DEADLOCK ***\n"
		"\n"
		"1 lock held by gem_evict/120:\n"
		" #0: ffff8880aa000010 (vm->mutex){+.+.}, at: i915_gem_evict_something+0x20/0x100\n"
		"\n"
		"stack backtrace:\n"
		"PID: 120 Comm: gem_evict 6.1.0-56-amd64\n"
		"Call Trace:\n"
		" <TASK>\n"
		" ww_mutex_lock+0x30/0x90\n"
		" i915_gem_evict_vm+0x60/0x200\n"
		" 0xffffffffc0de0000\n"
		" </TASK>\n";
	struct symtab *symtab = test_symtab();
	struct two_lock_cycle c;
	char *text;

	two_lock_cycle_init(&c);
	text = print_finding(&c.finding, REPORT_TEXT, "6.1.0-56-amd64", symtab);
	assert_string_equal(text, expected);
	free(text);
	symtab__free(symtab);
}

/* The lines of text, for checking that some appear in a given order. */
static const char *find_line(const char *text, const char *line, const char *from)
{
	size_t len = strlen(line);
	const char *p = from ? from : text;

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
			return p;
	return NULL;
}

/* Each line must appear, in this order (other lines may come between). */
static void assert_lines_in_order(const char *text, const char *const *lines, size_t nr)
{
	const char *at = text;

	for (size_t i = 0; i < nr; i++) {
		const char *found = find_line(text, lines[i], at);

		if (!found)
			fail_msg("line %zu \"%s\" missing or out of order in:\n%s", i, lines[i],
				 text);
		at = found + strlen(lines[i]);
	}
}

#define ASSERT_LINES(text, ...)                                                            \
	do {                                                                               \
		const char *const lines_[] = { __VA_ARGS__ };                              \
		assert_lines_in_order((text), lines_, sizeof(lines_) / sizeof(lines_[0])); \
	} while (0)

static void test_circular_three_classes(void **state)
{
	/* X held, Y taken; Y -> Z and Z -> X were seen before. */
	struct dependency yz = {
		.from = "Y",
		.to = "Z",
		.pid = 1,
		.comm = "a",
		.acquired = site("Z", 0x30, 0x1002, stack_pin, 1, LD_LOCK_RWSEM_READ),
		.count = 1,
	};
	struct dependency zx = {
		.from = "Z",
		.to = "X",
		.pid = 2,
		.comm = "b",
		.acquired = site("X", 0x10, 0x1003, stack_pin + 2, 1, LD_LOCK_MUTEX),
		.count = 1,
	};
	struct dependency xy = {
		.from = "X",
		.to = "Y",
		.pid = 3,
		.comm = "c",
		.held = site("X", 0x10, 0x1006, NULL, 0, LD_LOCK_MUTEX),
		.acquired = site("Y", 0x20, 0x1005, stack_evict, 2, LD_LOCK_SPINLOCK),
		.count = 1,
	};
	const struct dependency *edges[] = { &yz, &zx, &xy };
	const char *classes[] = { "Y", "Z", "X" };
	struct finding finding = {
		.kind = FINDING_CIRCULAR,
		.classes = classes,
		.nr_classes = 3,
		.edges = edges,
		.nr_edges = 3,
		.count = 1,
		.pid = 3,
		.comm = "c",
	};
	struct symtab *symtab = test_symtab();
	char *text = print_finding(&finding, REPORT_TEXT, NULL, symtab);

	ASSERT_LINES(
		text, "======================================================",
		"WARNING: possible circular locking dependency detected", "lockdepd",
		"------------------------------------------------------", "lockdepd: seen 1 time",
		"c/3 is trying to acquire lock:",
		"0000000000000020 (Y){....}, at: i915_gem_evict_vm+0x60/0x200",
		"but task is already holding lock:",
		"0000000000000010 (X){+.+.}, at: i915_gem_evict_something+0x20/0x100",
		"the existing dependency chain (in reverse order) is:", "-> #2 (X){+.+.}:",
		"       eb_validate_vmas+0x80/0x400",
		"-> #1 (Z){.+.+}:", "       mutex_lock+0x1c/0x40",
		"-> #0 (Y){....}:", "       ww_mutex_lock+0x30/0x90",
		"       i915_gem_evict_vm+0x60/0x200",
		"other info that might help us debug this:", "Chain exists of:", "  Y --> Z --> X",
		" Possible unsafe locking scenario:", "       CPU0                    CPU1",
		"       ----                    ----", "  lock(X);",
		"                               lock(Z);",
		"                               lock(X);", "  lock(Y);", " *** DEADLOCK ***",
		"no locks held by c/3.", "stack backtrace:", "PID: 3 Comm: c lockdepd");
	assert_null(strstr(text, "first while running"));
	free(text);
	symtab__free(symtab);
}

static void test_chain_exists_only_for_three_or_more(void **state)
{
	struct two_lock_cycle c;
	char *text;

	two_lock_cycle_init(&c);
	text = print_finding(&c.finding, REPORT_TEXT, NULL, NULL);
	assert_null(strstr(text, "Chain exists of:"));
	/* Without a symtab, addresses print bare like an unresolved %pS. */
	ASSERT_LINES(text, "ffff8880aa000020 (dma_resv){+.+.}, at: 0x1005", "       0x1001");
	free(text);
}

/* vm->mutex tainted by the rules; an allocation under it closes the cycle. */
static void test_reclaim_primed(void **state)
{
	struct dependency taint = {
		.from = FS_RECLAIM_CLASS,
		.to = "vm->mutex",
		.comm = "",
		.acquired = site("vm->mutex", 0, 0, NULL, 0, LD_LOCK_MUTEX),
		.primed = true,
	};
	struct dependency alloc = {
		.from = "vm->mutex",
		.to = FS_RECLAIM_CLASS,
		.pid = 120,
		.comm = "gem_exec",
		.held = site("vm->mutex", VM_MUTEX, 0x1002, NULL, 0, LD_LOCK_MUTEX),
		.acquired = site(FS_RECLAIM_CLASS, 0, 0x1009, stack_alloc, 3, LD_LOCK_MUTEX),
		.count = 3,
		.test = "igt@gem_exec_whisper@basic",
	};
	const struct dependency *edges[] = { &taint, &alloc };
	const char *classes[] = { FS_RECLAIM_CLASS, "vm->mutex" };
	struct lock_site held[] = { alloc.held };
	struct finding finding = {
		.kind = FINDING_RECLAIM,
		.classes = classes,
		.nr_classes = 2,
		.edges = edges,
		.nr_edges = 2,
		.count = 3,
		.test = "igt@gem_exec_whisper@basic",
		.pid = 120,
		.comm = "gem_exec",
		.held = held,
		.nr_held = 1,
	};
	const char *title =
		"WARNING: allocation may recurse into fs_reclaim while holding a lock reclaim takes";
	struct symtab *symtab = test_symtab();
	char *text = print_finding(&finding, REPORT_TEXT, "6.18.0", symtab);
	char rule[128];

	memset(rule, '=', strlen(title));
	rule[strlen(title)] = '\0';
	ASSERT_LINES(
		text, rule, title, "6.18.0 (lockdepd)",
		"lockdepd: seen 3 times, first while running igt@gem_exec_whisper@basic",
		"gem_exec/120 is trying to acquire lock:",
		"0000000000000000 (fs_reclaim){+.+.}, at: i915_vma_instance+0x44/0x500",
		"but task is already holding lock:",
		"ffff8880aa000010 (vm->mutex){+.+.}, at: i915_vma_pin_ww+0x40/0x300",
		"which lock already depends on the new lock.",
		"the existing dependency chain (in reverse order) is:", "-> #1 (vm->mutex){+.+.}:",
		"       (declared by the rules file: taint_reclaim, never seen)",
		"-> #0 (fs_reclaim){+.+.}:", "       __kmalloc+0x50/0x300",
		"       i915_vma_instance+0x44/0x500", "other info that might help us debug this:",
		" allocation that may enter fs_reclaim: i915_vma_instance+0x44/0x500, holding "
		"vm->mutex",
		" reclaim path that takes vm->mutex: declared by the rules file (taint_reclaim)",
		" Possible unsafe locking scenario:", "       CPU0", "       ----",
		"  lock(vm->mutex);", "  <reclaim>", "    lock(vm->mutex);", " *** DEADLOCK ***",
		"1 lock held by gem_exec/120:", "stack backtrace:", " __kmalloc+0x50/0x300");
	assert_null(strstr(text, "CPU1"));
	free(text);
	symtab__free(symtab);
}

/* The shrinker takes vm->mutex after an allocation under vm->mutex was seen. */
static void test_reclaim_in_shrinker(void **state)
{
	struct dependency alloc = {
		.from = "vm->mutex",
		.to = FS_RECLAIM_CLASS,
		.pid = 120,
		.comm = "gem_exec",
		.held = site("vm->mutex", VM_MUTEX, 0x1002, NULL, 0, LD_LOCK_MUTEX),
		.acquired = site(FS_RECLAIM_CLASS, 0, 0x1009, stack_alloc, 3, LD_LOCK_MUTEX),
		.count = 1,
	};
	struct dependency shrink = {
		.from = FS_RECLAIM_CLASS,
		.to = "vm->mutex",
		.pid = 42,
		.comm = "kswapd0",
		.held = site(FS_RECLAIM_CLASS, 0, 0x100a, NULL, 0, LD_LOCK_MUTEX),
		.acquired = site("vm->mutex", VM_MUTEX, 0x100b, stack_shrink, 3, LD_LOCK_MUTEX),
		.count = 1,
		.reclaim_kind = "shrinker",
	};
	const struct dependency *edges[] = { &alloc, &shrink };
	const char *classes[] = { "vm->mutex", FS_RECLAIM_CLASS };
	struct finding finding = {
		.kind = FINDING_RECLAIM,
		.classes = classes,
		.nr_classes = 2,
		.edges = edges,
		.nr_edges = 2,
		.count = 1,
		.pid = 42,
		.comm = "kswapd0",
	};
	struct symtab *symtab = test_symtab();
	char *text = print_finding(&finding, REPORT_TEXT, NULL, symtab);

	ASSERT_LINES(
		text, "kswapd0/42 is trying to acquire lock:",
		"ffff8880aa000010 (vm->mutex){+.+.}, at: i915_vma_unbind+0x30/0x200",
		"but task is already holding lock:",
		"0000000000000000 (fs_reclaim){+.+.}, at: i915_gem_shrinker_scan",
		"-> #1 (fs_reclaim){+.+.}:", "       __kmalloc+0x50/0x300",
		"-> #0 (vm->mutex){+.+.}:", "       i915_vma_unbind+0x30/0x200",
		"       i915_gem_shrinker_scan",
		" allocation that may enter fs_reclaim: i915_vma_instance+0x44/0x500, holding "
		"vm->mutex",
		" reclaim path that takes vm->mutex: shrinker i915_gem_shrinker_scan, lock taken "
		"at i915_vma_unbind+0x30/0x200",
		"  lock(vm->mutex);", "  <reclaim>", "    lock(vm->mutex);", " *** DEADLOCK ***",
		"no locks held by kswapd0/42.");
	free(text);
	symtab__free(symtab);
}

static void test_order(void **state)
{
	struct dependency edge = {
		.from = "vm->mutex",
		.to = "dma_resv",
		.pid = 7,
		.comm = "gem_bind",
		.held = site("vm->mutex", VM_MUTEX, 0x1006, NULL, 0, LD_LOCK_MUTEX),
		.acquired = site("dma_resv", DMA_RESV, 0x1005, stack_evict, 2, LD_LOCK_WW_MUTEX),
		.count = 4,
	};
	const struct dependency *edges[] = { &edge };
	const char *classes[] = { "vm->mutex", "dma_resv" };
	struct finding finding = {
		.kind = FINDING_ORDER,
		.classes = classes,
		.nr_classes = 2,
		.edges = edges,
		.nr_edges = 1,
		.count = 4,
		.pid = 7,
		.comm = "gem_bind",
		.reason = "order: dma_resv before vm->mutex",
	};
	struct symtab *symtab = test_symtab();
	char *text = print_finding(&finding, REPORT_TEXT, NULL, symtab);

	ASSERT_LINES(text, "===================================================",
		     "WARNING: lock order violates the declared hierarchy", "lockdepd",
		     "---------------------------------------------------",
		     "lockdepd: seen 4 times", "gem_bind/7 is trying to acquire lock:",
		     "ffff8880aa000020 (dma_resv){+.+.}, at: i915_gem_evict_vm+0x60/0x200",
		     "but task is already holding lock:",
		     "ffff8880aa000010 (vm->mutex){+.+.}, at: i915_gem_evict_something+0x20/0x100",
		     "but the rules file declares the new lock outside the held one:",
		     "  order: dma_resv before vm->mutex",
		     "-> #0 (dma_resv){+.+.}:", "       ww_mutex_lock+0x30/0x90",
		     " Possible unsafe locking scenario:", "  lock(vm->mutex);",
		     "                               lock(dma_resv);",
		     "                               lock(vm->mutex);", "  lock(dma_resv);",
		     " *** DEADLOCK ***", "stack backtrace:");
	free(text);

	finding.reason = NULL;
	text = print_finding(&finding, REPORT_TEXT, NULL, symtab);
	ASSERT_LINES(text, "but the rules file declares the new lock outside the held one:",
		     "  dma_resv --> vm->mutex (outermost first)");
	free(text);
	symtab__free(symtab);
}

static void test_recursive(void **state)
{
	struct dependency edge = {
		.from = "obj->vma_lock",
		.to = "obj->vma_lock",
		.pid = 9,
		.comm = "gem_mmap",
		.held = site("obj->vma_lock", VMA_LOCK, 0x100d, NULL, 0, LD_LOCK_SPINLOCK),
		.acquired = site("obj->vma_lock", VMA_LOCK + 0x100, 0x100d, stack_vma, 2,
				 LD_LOCK_SPINLOCK),
		.count = 1,
	};
	const struct dependency *edges[] = { &edge };
	const char *classes[] = { "obj->vma_lock" };
	struct lock_site held[] = {
		site("dma_resv", DMA_RESV, 0x1007, NULL, 0, LD_LOCK_WW_MUTEX),
		edge.held,
	};
	struct finding finding = {
		.kind = FINDING_RECURSIVE,
		.classes = classes,
		.nr_classes = 1,
		.edges = edges,
		.nr_edges = 1,
		.count = 1,
		.pid = 9,
		.comm = "gem_mmap",
		.held = held,
		.nr_held = 2,
	};
	struct symtab *symtab = test_symtab();
	char *text = print_finding(&finding, REPORT_TEXT, "6.1.0", symtab);

	/* lockdep sizes its rules to the title: 44 here, not 54. */
	ASSERT_LINES(
		text, "============================================",
		"WARNING: possible recursive locking detected", "6.1.0 (lockdepd)",
		"--------------------------------------------",
		"gem_mmap/9 is trying to acquire lock:",
		"ffff8880aa000130 (obj->vma_lock){....}, at: i915_gem_object_lookup_vma+0x20/0x90",
		"but task is already holding lock:",
		"ffff8880aa000030 (obj->vma_lock){....}, at: i915_gem_object_lookup_vma+0x20/0x90",
		"other info that might help us debug this:", " Possible unsafe locking scenario:",
		"       CPU0", "       ----", "  lock(obj->vma_lock);", "  lock(obj->vma_lock);",
		" *** DEADLOCK ***", " May be due to missing lock nesting notation",
		"2 locks held by gem_mmap/9:",
		" #0: ffff8880aa000020 (dma_resv){+.+.}, at: eb_lock_vmas+0x10/0x80",
		" #1: ffff8880aa000030 (obj->vma_lock){....}, at: "
		"i915_gem_object_lookup_vma+0x20/0x90",
		"stack backtrace:", " spin_lock+0x10/0x20");
	assert_null(strstr(text, "which lock already depends"));
	assert_null(strstr(text, "CPU1"));
	free(text);
	symtab__free(symtab);
}

static void test_no_stack_falls_back_to_ip(void **state)
{
	struct two_lock_cycle c;
	char *text;

	two_lock_cycle_init(&c);
	c.existing.acquired.nr_stack = 0;
	c.closing.acquired.nr_stack = 0;
	c.closing.acquired.ip = 0;
	text = print_finding(&c.finding, REPORT_TEXT, NULL, NULL);
	ASSERT_LINES(text, "-> #1 (vm->mutex){+.+.}:", "       0x1002",
		     "-> #0 (dma_resv){+.+.}:", "       (no stack recorded)",
		     "stack backtrace:", " (no stack recorded)");
	free(text);
}

static void test_finding_without_edges_is_refused(void **state)
{
	struct finding finding = { .kind = FINDING_CIRCULAR };
	struct report_opts opts = {};
	FILE *out = fopen("/dev/null", "w");

	assert_non_null(out);
	assert_int_equal(report_finding(out, &opts, &finding, NULL), -EINVAL);
	fclose(out);
}

/* --- a strict JSON checker (RFC 8259) ------------------------------------- */

struct json_parser {
	const char *p;
	int depth;
};

static bool json_value(struct json_parser *j);

static void json_ws(struct json_parser *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned int cp = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);

		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || cp < 0x800 ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned int cp;

		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) |
		     (s[3] & 0x3fu);
		return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
	}
	return 0;
}

static bool json_string(struct json_parser *j)
{
	if (*j->p != '"')
		return false;
	j->p++;
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20)
			return false;
		if (c == '\\') {
			j->p++;
			if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
				j->p++;
			} else if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
						return false;
				j->p += 5;
			} else {
				return false;
			}
			continue;
		}
		size_t len = utf8_len((const unsigned char *)j->p);

		if (!len)
			return false;
		j->p += len;
	}
	j->p++;
	return true;
}

static bool json_number(struct json_parser *j)
{
	const char *start = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return false;
	return j->p > start;
}

static bool json_literal(struct json_parser *j, const char *word)
{
	if (strncmp(j->p, word, strlen(word)) != 0)
		return false;
	j->p += strlen(word);
	return true;
}

static bool json_container(struct json_parser *j, char open, char close, bool object)
{
	j->p++;
	if (++j->depth > 32)
		return false;
	json_ws(j);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		json_ws(j);
		if (object) {
			if (!json_string(j))
				return false;
			json_ws(j);
			if (*j->p++ != ':')
				return false;
		}
		if (!json_value(j))
			return false;
		json_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p != close)
			return false;
		j->p++;
		j->depth--;
		return true;
	}
	(void)open;
}

static bool json_value(struct json_parser *j)
{
	json_ws(j);
	switch (*j->p) {
	case '{':
		return json_container(j, '{', '}', true);
	case '[':
		return json_container(j, '[', ']', false);
	case '"':
		return json_string(j);
	case 't':
		return json_literal(j, "true");
	case 'f':
		return json_literal(j, "false");
	case 'n':
		return json_literal(j, "null");
	default:
		return json_number(j);
	}
}

/* One JSON object followed by exactly one newline, nothing else. */
static void assert_json_line(const char *text)
{
	struct json_parser j = { .p = text };

	if (*text != '{' || !json_value(&j) || strcmp(j.p, "\n") != 0)
		fail_msg("not one JSON object per line (stopped at offset %td):\n%s", j.p - text,
			 text);
}

static void test_json_checker_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"a\":1,}\n",	      "{\"a\" 1}\n",  "{\"a\":\"\x01\"}\n", "{\"a\":\"\\x\"}\n",
		"{\"a\":\"\xff\"}\n", "{\"a\":01}\n", "{\"a\":[1 2]}\n",    "{\"a\":1}\n\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_parser j = { .p = bad[i] };

		if (json_value(&j) && strcmp(j.p, "\n") == 0)
			fail_msg("checker accepted %s", bad[i]);
	}
}

/* --- JSON ------------------------------------------------------------------ */

static void test_json_circular(void **state)
{
	struct symtab *symtab = test_symtab();
	struct two_lock_cycle c;
	char *text;

	two_lock_cycle_init(&c);
	text = print_finding(&c.finding, REPORT_JSON, "6.1.0", symtab);
	assert_json_line(text);
	assert_non_null(strstr(text,
			       "{\"kind\":\"circular\",\"classes\":[\"dma_resv\",\"vm->mutex\"],"
			       "\"count\":2,\"test\":\"igt@gem_evict@basic\",\"pid\":120,"
			       "\"comm\":\"gem_evict\""));
	assert_non_null(strstr(text, "\"suppressed\":false,\"reason\":null"));
	assert_non_null(strstr(text, "{\"from\":\"dma_resv\",\"to\":\"vm->mutex\",\"pid\":100,"
				     "\"comm\":\"gem_exec\""));
	assert_non_null(strstr(text, "\"stack\":[\"mutex_lock+0x1c/0x40\","
				     "\"i915_vma_pin_ww+0x40/0x300\","
				     "\"eb_validate_vmas+0x80/0x400\"]"));
	assert_non_null(strstr(text, "\"stack\":[\"ww_mutex_lock+0x30/0x90\","
				     "\"i915_gem_evict_vm+0x60/0x200\",\"0xffffffffc0de0000\"]"));
	assert_non_null(strstr(text, "\"site\":\"i915_gem_evict_vm+0x60/0x200\","
				     "\"held_at\":\"i915_gem_evict_something+0x20/0x100\""));
	assert_non_null(strstr(text, "\"lock_type\":\"ww_mutex\""));
	assert_non_null(strstr(text, "\"held\":[{\"class\":\"vm->mutex\","
				     "\"lock\":\"0xffff8880aa000010\","
				     "\"at\":\"i915_gem_evict_something+0x20/0x100\"}]"));
	/* The edges in cycle order, the closing one last. */
	assert_true(strstr(text, "\"from\":\"dma_resv\"") < strstr(text, "\"from\":\"vm->mutex\""));
	free(text);

	c.finding.test = NULL;
	c.finding.suppressed = true;
	c.finding.reason = "tracked \"upstream\"";
	text = print_finding(&c.finding, REPORT_JSON, NULL, NULL);
	assert_json_line(text);
	assert_non_null(strstr(text, "\"test\":null"));
	assert_non_null(
		strstr(text, "\"suppressed\":true,\"reason\":\"tracked \\\"upstream\\\"\""));
	free(text);
	symtab__free(symtab);
}

static void test_json_primed_edge(void **state)
{
	struct dependency taint = {
		.from = FS_RECLAIM_CLASS,
		.to = "vm->mutex",
		.comm = "",
		.primed = true,
	};
	struct dependency alloc = {
		.from = "vm->mutex",
		.to = FS_RECLAIM_CLASS,
		.pid = 120,
		.comm = "gem\t\"exec\"",
		.acquired = site(FS_RECLAIM_CLASS, 0, 0x1009, stack_alloc, 3, LD_LOCK_MUTEX),
		.count = 1,
		.reclaim_kind = NULL,
	};
	const struct dependency *edges[] = { &taint, &alloc };
	const char *classes[] = { FS_RECLAIM_CLASS, "vm->mutex" };
	struct finding finding = {
		.kind = FINDING_RECLAIM,
		.classes = classes,
		.nr_classes = 2,
		.edges = edges,
		.nr_edges = 2,
		.count = 1,
		.pid = 120,
		.comm = "gem\t\"exec\"",
	};
	struct symtab *symtab = test_symtab();
	char *text = print_finding(&finding, REPORT_JSON, NULL, symtab);

	assert_json_line(text);
	assert_non_null(strstr(text, "\"kind\":\"reclaim\""));
	assert_non_null(strstr(text, "\"primed\":true,\"reclaim_kind\":null,\"site\":null,"
				     "\"held_at\":null"));
	assert_non_null(strstr(text, "\"stack\":[]"));
	assert_non_null(strstr(text, "\"site\":\"i915_vma_instance+0x44/0x500\""));
	assert_non_null(strstr(text, "\"comm\":\"gem\\u0009\\\"exec\\\"\""));
	assert_non_null(strstr(text, "\"held\":[]"));
	free(text);
	symtab__free(symtab);
}

/* --- summary --------------------------------------------------------------- */

static char *print_summary(enum report_format format)
{
	struct engine_stats stats = {
		.events = 1000,
		.classes = 12,
		.dependencies = 34,
		.findings = 2,
		.suppressed = 1,
		.unpaired_releases = 5,
		.lost_events = 6,
		.lost_resets = 2,
		.locks_without_init = 7,
	};
	struct report_opts opts = { .format = format };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(report_summary(out, &opts, &stats), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_summary(void **state)
{
	char *text = print_summary(REPORT_TEXT);

	assert_string_equal(text,
			    "lockdepd: 2 findings (1 suppressed), 12 classes, 34 dependencies, "
			    "6 lost events, 5 unpaired releases, 1000 events, "
			    "7 locks whose init was not seen\n");
	free(text);

	text = print_summary(REPORT_JSON);
	assert_json_line(text);
	assert_string_equal(text, "{\"summary\":{\"findings\":2,\"suppressed\":1,\"classes\":12,"
				  "\"dependencies\":34,\"lost_events\":6,\"lost_resets\":2,"
				  "\"unpaired_releases\":5,\"events\":1000,\"locks_without_init\":7}}\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_circular_exact),
		cmocka_unit_test(test_circular_three_classes),
		cmocka_unit_test(test_chain_exists_only_for_three_or_more),
		cmocka_unit_test(test_reclaim_primed),
		cmocka_unit_test(test_reclaim_in_shrinker),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_recursive),
		cmocka_unit_test(test_no_stack_falls_back_to_ip),
		cmocka_unit_test(test_finding_without_edges_is_refused),
		cmocka_unit_test(test_json_checker_rejects),
		cmocka_unit_test(test_json_circular),
		cmocka_unit_test(test_json_primed_edge),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
