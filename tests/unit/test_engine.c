// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The dependency engine, driven by events built here in C. Each test states
 * one rule of the model (daemon/engine/engine.c's header) and checks the findings,
 * their classes and edges, and the counters.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "constructors.h"

#include "engine/engine.h"
#include "event/event.h"
#include "lockdepd_chain.h"
#include "engine/finding.h"
#include "event/gfp.h"
#include "engine/rules.h"
#include "event/symtab.h"

/* --- a small event builder ---------------------------------------------- */

struct fixture {
	struct symtab *symtab;
	struct rules *rules;
	struct engine *engine;
	struct gfp_layout *gfp;
	unsigned int callbacks;
	const struct finding *last;
};

union event_buf {
	struct ld_event ev;
	__u64 raw[(sizeof(struct ld_event) + LD_MAX_STACK * sizeof(__u64) + LD_MAX_TEXT) / 8 + 1];
};

static void on_finding(const struct finding *finding, void *ctx)
{
	struct fixture *f = ctx;

	f->callbacks++;
	f->last = finding;
}

static struct fixture *fixture_new(const char *rules_yaml)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->symtab = new_symtab();
	assert_non_null(f->symtab);
	f->gfp = new_default_gfp_layout();
	assert_non_null(f->gfp);
	if (rules_yaml)
		assert_int_equal(
			rules__load_buffer("test.yaml", rules_yaml, strlen(rules_yaml), &f->rules),
			0);
	f->engine = new_engine(f->rules, f->symtab);
	assert_non_null(f->engine);
	engine__set_finding_fn(f->engine, on_finding, f);
	return f;
}

static void fixture_free(struct fixture *f)
{
	engine__free(f->engine);
	rules__free(f->rules);
	gfp_layout__free(f->gfp);
	symtab__free(f->symtab);
	free(f);
}

static __u64 sym(struct fixture *f, const char *name)
{
	return name ? symtab__intern(f->symtab, name) : 0;
}

static void feed(struct fixture *f, union event_buf *buf)
{
	buf->ev.size = ld_event_size_for(buf->ev.nr_stack, buf->ev.text_len);
	assert_int_equal(ld_event_validate(&buf->ev, sizeof(*buf)), 0);
	assert_int_equal(engine__feed(f->engine, &buf->ev), 0);
}

static void set_stack(struct fixture *f, union event_buf *buf, const char *const *frames)
{
	__u64 *stack = (__u64 *)(&buf->ev + 1);

	for (; frames && *frames; frames++)
		stack[buf->ev.nr_stack++] = sym(f, *frames);
}

static void set_text(union event_buf *buf, const char *text)
{
	buf->ev.text_len = strlen(text);
	memcpy((char *)(&buf->ev + 1) + buf->ev.nr_stack * sizeof(__u64), text, strlen(text));
}

static void init_lock(struct fixture *f, __u64 lock, const char *name, const char *site)
{
	union event_buf buf = { .ev.type = LD_EV_INIT };

	buf.ev.init.lock = lock;
	buf.ev.init.site = sym(f, site);
	set_text(&buf, name);
	feed(f, &buf);
}

struct acq {
	__u32 pid;
	__u64 lock;
	int type;
	int try;
	__u64 ctx;
	int ret;
	const char *ip;
	const char *stack[4];
	const char *comm;
	__u64 time;
};

static void acquire_ex(struct fixture *f, struct acq a)
{
	union event_buf buf = { .ev.type = LD_EV_ACQUIRE, .ev.pid = a.pid };

	buf.ev.acquire.lock = a.lock;
	buf.ev.acquire.lock_type = a.type;
	buf.ev.acquire.trylock = a.try;
	buf.ev.acquire.ctx = a.ctx;
	buf.ev.acquire.ret = a.ret;
	buf.ev.acquire.ip = sym(f, a.ip);
	if (a.comm)
		strncpy(buf.ev.comm, a.comm, LD_COMM_LEN - 1);
	if (a.time) {
		buf.ev.flags |= LD_EV_F_TIME;
		buf.ev.time_ns = a.time;
	}
	set_stack(f, &buf, a.stack);
	feed(f, &buf);
}

static void acquire(struct fixture *f, __u32 pid, __u64 lock)
{
	acquire_ex(f, (struct acq){ .pid = pid, .lock = lock });
}

static void release(struct fixture *f, __u32 pid, __u64 lock)
{
	union event_buf buf = { .ev.type = LD_EV_RELEASE, .ev.pid = pid };

	buf.ev.release.lock = lock;
	feed(f, &buf);
}

static void alloc_ex(struct fixture *f, __u32 pid, const char *gfp, const char *site,
		     const char *const *stack)
{
	union event_buf buf = { .ev.type = LD_EV_ALLOC, .ev.pid = pid };

	assert_int_equal(gfp_layout__parse(f->gfp, gfp, &buf.ev.alloc.gfp), 0);
	buf.ev.alloc.site = sym(f, site);
	set_stack(f, &buf, stack);
	feed(f, &buf);
}

static void alloc(struct fixture *f, __u32 pid, const char *gfp)
{
	alloc_ex(f, pid, gfp, "kmalloc_caller", NULL);
}

static void reclaim(struct fixture *f, __u32 pid, int state, int kind, const char *fn)
{
	union event_buf buf = { .ev.type = LD_EV_RECLAIM, .ev.pid = pid };

	buf.ev.reclaim.state = state;
	buf.ev.reclaim.kind = kind;
	buf.ev.reclaim.fn = sym(f, fn);
	feed(f, &buf);
}

static void task_flags(struct fixture *f, __u32 pid, __u32 value)
{
	union event_buf buf = { .ev.type = LD_EV_FLAGS, .ev.pid = pid };

	buf.ev.task_flags.value = value;
	feed(f, &buf);
}

static void task_exit(struct fixture *f, __u32 pid)
{
	union event_buf buf = { .ev.type = LD_EV_EXIT, .ev.pid = pid };

	feed(f, &buf);
}

static void mark(struct fixture *f, const char *text)
{
	union event_buf buf = { .ev.type = LD_EV_MARK };

	set_text(&buf, text);
	feed(f, &buf);
}

/* pid < 0: every task lost events. */
static void lost(struct fixture *f, __u64 count, int pid)
{
	union event_buf buf = { .ev.type = LD_EV_LOST };

	buf.ev.lost.count = count;
	if (pid >= 0) {
		buf.ev.pid = pid;
		buf.ev.flags |= LD_EV_F_LOST_PID;
	}
	feed(f, &buf);
}

static struct engine_stats stats(struct fixture *f)
{
	struct engine_stats s;

	engine__stats(f->engine, &s);
	return s;
}

static bool class_set_is(const struct finding *finding, const char *const *names)
{
	size_t n = 0;

	for (; names[n]; n++) {
		bool found = false;

		for (__u32 i = 0; i < finding->nr_classes; i++)
			found |= strcmp(finding->classes[i], names[n]) == 0;
		if (!found)
			return false;
	}
	return n == finding->nr_classes;
}

/* The finding of that kind over exactly those classes (NULL-terminated), or NULL. */
#define find(f, kind, ...) find_finding((f), (kind), (const char *const[]){ __VA_ARGS__, NULL })
static const struct finding *find_finding(struct fixture *f, int kind, const char *const *names)
{
	for (size_t i = 0; i < engine__nr_findings(f->engine); i++) {
		const struct finding *finding = engine__finding(f->engine, i);

		if ((int)finding->kind == kind && class_set_is(finding, names))
			return finding;
	}
	return NULL;
}

/* Every edge of a cycle continues where the previous one ended. */
static void assert_cycle_well_formed(const struct finding *finding)
{
	assert_int_equal(finding->nr_edges, finding->nr_classes);
	for (__u32 i = 0; i < finding->nr_edges; i++) {
		assert_string_equal(finding->edges[i]->from, finding->classes[i]);
		assert_string_equal(finding->edges[i]->to,
				    finding->classes[(i + 1) % finding->nr_classes]);
	}
}

#define LOCK_A 0xffff888000001000ULL
#define LOCK_B 0xffff888000002000ULL
#define LOCK_C 0xffff888000003000ULL
#define LOCK_D 0xffff888000004000ULL

static void init_abc(struct fixture *f)
{
	init_lock(f, LOCK_A, "&a->lock", "a_init");
	init_lock(f, LOCK_B, "&b->lock", "b_init");
	init_lock(f, LOCK_C, "&c->lock", "c_init");
	init_lock(f, LOCK_D, "&d->lock", "d_init");
}

static const char vm_rules[] = "classes:\n"
			       "  - {name: vm->mutex, match: [\"&vm->mutex\"]}\n"
			       "  - {name: dma_resv, match: [reservation_ww_class_mutex]}\n"
			       "taint_reclaim: [vm->mutex]\n";

#define VM_MUTEX 0xffff888000010000ULL
#define RESV_1	 0xffff888000020000ULL
#define RESV_2	 0xffff888000021000ULL
#define RESV_3	 0xffff888000022000ULL

/* --- circular ----------------------------------------------------------- */

static void test_abba_is_circular(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const struct finding *finding;

	init_abc(f);
	acquire_ex(f, (struct acq){ .pid = 1, .lock = LOCK_A, .ip = "one+0x10", .comm = "one" });
	acquire_ex(f, (struct acq){ .pid = 1,
				    .lock = LOCK_B,
				    .ip = "one+0x20",
				    .stack = { "one+0x20", "one_caller+0x8" } });
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	assert_int_equal(engine__nr_findings(f->engine), 0);

	acquire_ex(f, (struct acq){ .pid = 2, .lock = LOCK_B, .ip = "two+0x10", .comm = "two" });
	acquire_ex(f, (struct acq){ .pid = 2, .lock = LOCK_A, .ip = "two+0x20", .time = 77 });

	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_int_equal(f->callbacks, 1);
	finding = engine__finding(f->engine, 0);
	assert_ptr_equal(finding, f->last);
	assert_int_equal(finding->kind, FINDING_CIRCULAR);
	/* classes[0] is being taken, classes[n - 1] is held; the last edge is new. */
	assert_int_equal(finding->nr_classes, 2);
	assert_string_equal(finding->classes[0], "&a->lock");
	assert_string_equal(finding->classes[1], "&b->lock");
	assert_cycle_well_formed(finding);
	assert_int_equal(finding->edges[0]->pid, 1);
	assert_string_equal(finding->edges[0]->comm, "one");
	assert_int_equal(finding->edges[0]->acquired.nr_stack, 2);
	assert_int_equal(finding->edges[0]->acquired.stack[0], sym(f, "one+0x20"));
	assert_int_equal(finding->edges[0]->held.ip, sym(f, "one+0x10"));
	assert_int_equal(finding->edges[1]->pid, 2);
	assert_int_equal(finding->edges[1]->time_ns, 77);
	assert_int_equal(finding->pid, 2);
	assert_string_equal(finding->comm, "two");
	assert_int_equal(finding->time_ns, 77);
	assert_int_equal(finding->count, 1);
	assert_false(finding->suppressed);
	assert_null(finding->test);
	assert_int_equal(finding->nr_held, 1);
	assert_string_equal(finding->held[0].class_name, "&b->lock");
	assert_int_equal(finding->held[0].lock, LOCK_B);

	/* Seen again: counted, not reported again. */
	release(f, 2, LOCK_A);
	acquire(f, 2, LOCK_A);
	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_int_equal(f->callbacks, 1);
	assert_int_equal(finding->count, 2);
	assert_int_equal(finding->edges[1]->count, 2);
	assert_int_equal(stats(f).findings, 1);
	fixture_free(f);
}

static void test_three_class_cycle(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const struct finding *finding;

	init_abc(f);
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	acquire(f, 2, LOCK_B);
	acquire(f, 2, LOCK_C);
	release(f, 2, LOCK_C);
	release(f, 2, LOCK_B);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	acquire(f, 3, LOCK_C);
	acquire(f, 3, LOCK_A);

	assert_int_equal(engine__nr_findings(f->engine), 1);
	finding = find(f, FINDING_CIRCULAR, "&a->lock", "&b->lock", "&c->lock");
	assert_non_null(finding);
	assert_string_equal(finding->classes[0], "&a->lock");
	assert_string_equal(finding->classes[1], "&b->lock");
	assert_string_equal(finding->classes[2], "&c->lock");
	assert_cycle_well_formed(finding);
	fixture_free(f);
}

static void test_consistent_order_is_clean(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_abc(f);
	for (int pid = 1; pid <= 3; pid++) {
		acquire(f, pid, LOCK_A);
		acquire(f, pid, LOCK_B);
		acquire(f, pid, LOCK_C);
		release(f, pid, LOCK_C);
		release(f, pid, LOCK_B);
		release(f, pid, LOCK_A);
	}
	assert_int_equal(engine__nr_findings(f->engine), 0);
	/* A -> B, A -> C, B -> C: every held lock gets its edge. */
	assert_int_equal(stats(f).dependencies, 3);
	assert_int_equal(stats(f).unpaired_releases, 0);
	fixture_free(f);
}

/* Each cycle is reported once, by its class set; a new set is a new finding. */
static void test_each_cycle_reported_once(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const struct finding *finding;

	init_abc(f);
	/* A -> B, B -> C, then C -> A closes A -> B -> C -> A. */
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	acquire(f, 1, LOCK_C);
	release(f, 1, LOCK_C);
	release(f, 1, LOCK_B);
	acquire(f, 1, LOCK_C);
	acquire(f, 1, LOCK_A);
	release(f, 1, LOCK_A);
	release(f, 1, LOCK_C);
	finding = find(f, FINDING_CIRCULAR, "&a->lock", "&b->lock", "&c->lock");
	assert_non_null(finding);
	assert_int_equal(finding->count, 1);
	/* The closing C -> A again only counts. */
	acquire(f, 1, LOCK_C);
	acquire(f, 1, LOCK_A);
	release(f, 1, LOCK_A);
	release(f, 1, LOCK_C);
	assert_int_equal(finding->count, 2);
	assert_int_equal(engine__nr_findings(f->engine), 1);
	/* C -> B closes B -> C -> B: another set, the shortest cycle. */
	acquire(f, 2, LOCK_C);
	acquire(f, 2, LOCK_B);
	assert_non_null(find(f, FINDING_CIRCULAR, "&b->lock", "&c->lock"));
	assert_int_equal(engine__nr_findings(f->engine), 2);
	assert_int_equal(f->callbacks, 2);
	fixture_free(f);
}

/* --- fs_reclaim ---------------------------------------------------------- */

static void test_taint_reclaim_then_alloc(void **state)
{
	struct fixture *f = fixture_new(vm_rules);
	const struct finding *finding;

	init_lock(f, VM_MUTEX, "&vm->mutex", "i915_address_space_init");
	acquire_ex(f, (struct acq){ .pid = 7, .lock = VM_MUTEX, .ip = "i915_vma_pin+0x40" });
	alloc_ex(f, 7, "GFP_KERNEL", "i915_vma_alloc+0x12",
		 (const char *const[]){ "kmem_cache_alloc+0x1", "i915_vma_alloc+0x12", NULL });

	assert_int_equal(engine__nr_findings(f->engine), 1);
	finding = find(f, FINDING_RECLAIM, "vm->mutex", FS_RECLAIM_CLASS);
	assert_non_null(finding);
	assert_cycle_well_formed(finding);
	assert_string_equal(finding->classes[0], FS_RECLAIM_CLASS);
	assert_string_equal(finding->classes[1], "vm->mutex");
	/* The primed edge, then the allocation. */
	assert_true(finding->edges[0]->primed);
	assert_int_equal(finding->edges[0]->count, 0);
	assert_false(finding->edges[1]->primed);
	assert_int_equal(finding->edges[1]->acquired.ip, sym(f, "i915_vma_alloc+0x12"));
	assert_int_equal(finding->edges[1]->acquired.nr_stack, 2);
	assert_int_equal(finding->edges[1]->acquired.lock, 0);
	assert_null(finding->edges[1]->reclaim_kind);
	assert_int_equal(finding->edges[1]->held.ip, sym(f, "i915_vma_pin+0x40"));

	/* The shrinker really taking the lock replaces the primed edge's blank record. */
	reclaim(f, 9, LD_RECLAIM_ENTER, LD_RECLAIM_SHRINKER, "i915_gem_shrinker_scan");
	acquire(f, 9, VM_MUTEX);
	release(f, 9, VM_MUTEX);
	reclaim(f, 9, LD_RECLAIM_EXIT, LD_RECLAIM_SHRINKER, "i915_gem_shrinker_scan");
	assert_false(finding->edges[0]->primed);
	assert_int_equal(finding->edges[0]->count, 1);
	assert_int_equal(finding->edges[0]->pid, 9);
	assert_string_equal(finding->edges[0]->reclaim_kind, "shrinker");
	assert_int_equal(finding->edges[0]->held.ip, sym(f, "i915_gem_shrinker_scan"));
	assert_int_equal(engine__nr_findings(f->engine), 1);
	fixture_free(f);
}

static void test_shrinker_then_alloc(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const struct finding *finding;

	init_lock(f, VM_MUTEX, "&vm->mutex", "i915_address_space_init");
	reclaim(f, 9, LD_RECLAIM_ENTER, LD_RECLAIM_DIRECT, "try_to_free_pages");
	reclaim(f, 9, LD_RECLAIM_ENTER, LD_RECLAIM_SHRINKER, "i915_gem_shrinker_scan");
	acquire(f, 9, VM_MUTEX);
	release(f, 9, VM_MUTEX);
	reclaim(f, 9, LD_RECLAIM_EXIT, LD_RECLAIM_SHRINKER, "i915_gem_shrinker_scan");
	reclaim(f, 9, LD_RECLAIM_EXIT, LD_RECLAIM_DIRECT, "try_to_free_pages");
	assert_int_equal(engine__nr_findings(f->engine), 0);

	/* Out of reclaim, an allocation under the lock in the same task. */
	acquire(f, 9, VM_MUTEX);
	alloc(f, 9, "GFP_KERNEL");
	finding = find(f, FINDING_RECLAIM, "&vm->mutex", FS_RECLAIM_CLASS);
	assert_non_null(finding);
	assert_string_equal(finding->classes[0], FS_RECLAIM_CLASS);
	assert_string_equal(finding->edges[0]->reclaim_kind, "shrinker");
	assert_int_equal(finding->edges[0]->held.ip, sym(f, "i915_gem_shrinker_scan"));
	assert_int_equal(finding->nr_held, 1);
	fixture_free(f);
}

/* The other order: the allocation first, then reclaim taking the lock. */
static void test_alloc_then_reclaim(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const struct finding *finding;

	init_lock(f, VM_MUTEX, "&vm->mutex", "i915_address_space_init");
	acquire(f, 1, VM_MUTEX);
	alloc(f, 1, "GFP_KERNEL");
	release(f, 1, VM_MUTEX);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	reclaim(f, 2, LD_RECLAIM_ENTER, LD_RECLAIM_DIRECT, "try_to_free_pages");
	acquire(f, 2, VM_MUTEX);
	finding = find(f, FINDING_RECLAIM, "&vm->mutex", FS_RECLAIM_CLASS);
	assert_non_null(finding);
	/* Taking vm->mutex while "holding" fs_reclaim: fs_reclaim is the held class. */
	assert_string_equal(finding->classes[0], "&vm->mutex");
	assert_string_equal(finding->classes[1], FS_RECLAIM_CLASS);
	assert_string_equal(finding->edges[1]->reclaim_kind, "direct");
	assert_int_equal(finding->nr_held, 1);
	assert_string_equal(finding->held[0].class_name, FS_RECLAIM_CLASS);
	assert_int_equal(finding->held[0].ip, sym(f, "try_to_free_pages"));
	fixture_free(f);
}

static void test_allocations_that_cannot_reclaim(void **state)
{
	struct fixture *f = fixture_new(vm_rules);

	init_lock(f, VM_MUTEX, "&vm->mutex", "i915_address_space_init");
	acquire(f, 1, VM_MUTEX);
	alloc(f, 1, "GFP_NOWAIT");
	alloc(f, 1, "GFP_ATOMIC");
	alloc(f, 1, "GFP_NOFS");
	alloc(f, 1, "GFP_NOIO");
	assert_int_equal(engine__nr_findings(f->engine), 0);
	task_flags(f, 1, LD_TASK_MEMALLOC_NOFS);
	alloc(f, 1, "GFP_KERNEL");
	task_flags(f, 1, LD_TASK_MEMALLOC_NOIO);
	alloc(f, 1, "GFP_KERNEL");
	task_flags(f, 1, LD_TASK_MEMALLOC);
	alloc(f, 1, "GFP_KERNEL");
	assert_int_equal(engine__nr_findings(f->engine), 0);
	/* Only the primed edge exists. */
	assert_int_equal(stats(f).dependencies, 1);
	/* The scope ends: the same allocation is now a hazard. */
	task_flags(f, 1, 0);
	alloc(f, 1, "GFP_KERNEL");
	assert_non_null(find(f, FINDING_RECLAIM, "vm->mutex", FS_RECLAIM_CLASS));
	fixture_free(f);
}

static void test_alloc_with_nothing_held(void **state)
{
	struct fixture *f = fixture_new(vm_rules);

	alloc(f, 1, "GFP_KERNEL");
	init_lock(f, VM_MUTEX, "&vm->mutex", "i915_address_space_init");
	acquire(f, 1, VM_MUTEX);
	release(f, 1, VM_MUTEX);
	alloc(f, 1, "GFP_KERNEL");
	assert_int_equal(engine__nr_findings(f->engine), 0);
	assert_int_equal(stats(f).dependencies, 1);
	fixture_free(f);
}

static void test_trylock_in_shrinker(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_lock(f, VM_MUTEX, "&vm->mutex", "i915_address_space_init");
	init_lock(f, LOCK_A, "&a->lock", "a_init");
	reclaim(f, 9, LD_RECLAIM_ENTER, LD_RECLAIM_SHRINKER, "i915_gem_shrinker_scan");
	acquire_ex(f, (struct acq){ .pid = 9, .lock = VM_MUTEX, .try = 1 });
	/* Held all the same: what it takes next depends on it. */
	acquire(f, 9, LOCK_A);
	release(f, 9, LOCK_A);
	release(f, 9, VM_MUTEX);
	reclaim(f, 9, LD_RECLAIM_EXIT, LD_RECLAIM_SHRINKER, "i915_gem_shrinker_scan");
	acquire(f, 1, VM_MUTEX);
	alloc(f, 1, "GFP_KERNEL");
	release(f, 1, VM_MUTEX);
	assert_int_equal(stats(f).unpaired_releases, 0);
	/* fs_reclaim -> a, vm -> a, vm -> fs_reclaim: a DAG. */
	assert_int_equal(engine__nr_findings(f->engine), 0);
	assert_int_equal(stats(f).dependencies, 3);
	acquire(f, 2, LOCK_A);
	acquire(f, 2, VM_MUTEX);
	assert_non_null(find(f, FINDING_CIRCULAR, "&a->lock", "&vm->mutex"));
	fixture_free(f);
}

static void test_failed_trylock_is_nothing(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_abc(f);
	acquire(f, 1, LOCK_A);
	acquire_ex(f, (struct acq){ .pid = 1, .lock = LOCK_B, .try = 1, .ret = -EBUSY });
	acquire(f, 1, LOCK_C);
	release(f, 1, LOCK_C);
	release(f, 1, LOCK_A);
	assert_int_equal(stats(f).dependencies, 1); /* A -> C */
	/* B was never held: its release is unpaired. */
	release(f, 1, LOCK_B);
	assert_int_equal(stats(f).unpaired_releases, 1);
	fixture_free(f);
}

static void test_kswapd_holds_fs_reclaim(void **state)
{
	struct fixture *f = fixture_new(vm_rules);
	const struct finding *finding;

	init_lock(f, LOCK_A, "&a->lock", "a_init");
	task_flags(f, 50, LD_TASK_KSWAPD | LD_TASK_MEMALLOC);
	acquire(f, 50, LOCK_A);
	release(f, 50, LOCK_A);
	acquire(f, 1, LOCK_A);
	alloc(f, 1, "GFP_KERNEL");
	finding = find(f, FINDING_RECLAIM, "&a->lock", FS_RECLAIM_CLASS);
	assert_non_null(finding);
	assert_string_equal(finding->edges[0]->reclaim_kind, "kswapd");
	fixture_free(f);
}

static void test_alloc_in_reclaim_never_self_depends(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_lock(f, LOCK_A, "&a->lock", "a_init");
	reclaim(f, 9, LD_RECLAIM_ENTER, LD_RECLAIM_SHRINKER, "some_shrinker_scan");
	alloc(f, 9, "GFP_KERNEL");
	acquire(f, 9, LOCK_A);
	alloc(f, 9, "GFP_NOWAIT");
	release(f, 9, LOCK_A);
	reclaim(f, 9, LD_RECLAIM_EXIT, LD_RECLAIM_SHRINKER, "some_shrinker_scan");
	assert_int_equal(engine__nr_findings(f->engine), 0);
	/* fs_reclaim -> a only; no fs_reclaim -> fs_reclaim. */
	assert_int_equal(stats(f).dependencies, 1);
	/* Holding a lock the shrinker takes and allocating, inside reclaim, is reported. */
	reclaim(f, 9, LD_RECLAIM_ENTER, LD_RECLAIM_SHRINKER, "some_shrinker_scan");
	acquire(f, 9, LOCK_A);
	alloc(f, 9, "GFP_KERNEL");
	assert_non_null(find(f, FINDING_RECLAIM, "&a->lock", FS_RECLAIM_CLASS));
	assert_null(find(f, FINDING_RECURSIVE, FS_RECLAIM_CLASS));
	fixture_free(f);
}

/* --- attempts, trylocks, ww ---------------------------------------------- */

static void test_failed_attempt_records_but_is_not_held(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_abc(f);
	acquire(f, 1, LOCK_A);
	acquire_ex(f, (struct acq){ .pid = 1, .lock = LOCK_B, .ret = -EINTR });
	/* Not held: C does not depend on B. */
	acquire(f, 1, LOCK_C);
	release(f, 1, LOCK_C);
	release(f, 1, LOCK_A);
	assert_int_equal(stats(f).unpaired_releases, 0);
	acquire(f, 2, LOCK_C);
	acquire(f, 2, LOCK_B);
	release(f, 2, LOCK_B);
	release(f, 2, LOCK_C);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	/* But A -> B was recorded. */
	acquire(f, 3, LOCK_B);
	acquire(f, 3, LOCK_A);
	assert_non_null(find(f, FINDING_CIRCULAR, "&a->lock", "&b->lock"));
	assert_int_equal(engine__nr_findings(f->engine), 1);
	fixture_free(f);
}

static void ww_init(struct fixture *f)
{
	init_lock(f, RESV_1, "reservation_ww_class_mutex", "dma_resv_init");
	init_lock(f, RESV_2, "reservation_ww_class_mutex", "dma_resv_init");
	init_lock(f, RESV_3, "reservation_ww_class_mutex", "dma_resv_init");
	init_lock(f, VM_MUTEX, "&vm->mutex", "i915_address_space_init");
}

static void ww_lock(struct fixture *f, __u32 pid, __u64 lock, __u64 ctx, int ret)
{
	acquire_ex(f, (struct acq){ .pid = pid,
				    .lock = lock,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = ctx,
				    .ret = ret });
}

static void test_ww_context_backoff(void **state)
{
	struct fixture *f = fixture_new(vm_rules);

	ww_init(f);
	/* Task 1 locks 1, 2, 3 under its context. */
	ww_lock(f, 1, RESV_1, 0xc1, 0);
	ww_lock(f, 1, RESV_2, 0xc1, 0);
	ww_lock(f, 1, RESV_3, 0xc1, 0);
	acquire(f, 1, VM_MUTEX);
	release(f, 1, VM_MUTEX);
	/* Task 2 locks 3, then 1 fails with -EDEADLK: back off, slow path, retry. */
	ww_lock(f, 2, RESV_3, 0xc2, 0);
	ww_lock(f, 2, RESV_1, 0xc2, -EDEADLK);
	release(f, 2, RESV_3);
	ww_lock(f, 2, RESV_1, 0xc2, 0);
	ww_lock(f, 2, RESV_3, 0xc2, 0);
	ww_lock(f, 2, RESV_3, 0xc2, -EALREADY);
	release(f, 2, RESV_3);
	release(f, 2, RESV_1);
	release(f, 1, RESV_3);
	release(f, 1, RESV_1);
	release(f, 1, RESV_2);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	assert_int_equal(stats(f).unpaired_releases, 0);
	/* Primed fs_reclaim -> vm->mutex and dma_resv -> vm->mutex, counted once per attempt. */
	assert_int_equal(stats(f).dependencies, 2);
	fixture_free(f);
}

static void test_ww_without_common_context_is_recursive(void **state)
{
	struct fixture *f = fixture_new(vm_rules);
	const struct finding *finding;

	ww_init(f);
	ww_lock(f, 1, RESV_1, 0xc1, 0);
	ww_lock(f, 1, RESV_2, 0, 0);
	finding = find(f, FINDING_RECURSIVE, "dma_resv");
	assert_non_null(finding);
	assert_int_equal(finding->nr_edges, 1);
	assert_string_equal(finding->edges[0]->from, "dma_resv");
	assert_string_equal(finding->edges[0]->to, "dma_resv");
	assert_int_equal(finding->nr_held, 1);
	fixture_free(f);
}

static void test_recursive_and_allow_nesting(void **state)
{
	static const char nesting[] = "classes:\n"
				      "  - {name: nested, match: [\"&c->lock\"]}\n"
				      "allow_nesting: [nested]\n";
	struct fixture *f = fixture_new(nesting);
	const struct finding *finding;

	init_abc(f);
	init_lock(f, LOCK_D, "&a->lock", "a_init");
	/* Two instances of one class (A, D), nested. */
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_D);
	finding = find(f, FINDING_RECURSIVE, "&a->lock");
	assert_non_null(finding);
	assert_int_equal(finding->nr_classes, 1);
	assert_int_equal(finding->count, 1);
	release(f, 1, LOCK_D);
	acquire(f, 1, LOCK_D);
	assert_int_equal(finding->count, 2);
	release(f, 1, LOCK_D);
	release(f, 1, LOCK_A);

	/* C's class may nest. */
	init_lock(f, LOCK_B, "&c->lock", "c_init");
	acquire(f, 2, LOCK_C);
	acquire(f, 2, LOCK_B);
	assert_null(find(f, FINDING_RECURSIVE, "nested"));
	assert_int_equal(engine__nr_findings(f->engine), 1);
	/* A trylock of a held class is no recursion either. */
	acquire(f, 3, LOCK_A);
	acquire_ex(f, (struct acq){ .pid = 3, .lock = LOCK_D, .try = 1 });
	assert_int_equal(finding->count, 2);
	fixture_free(f);
}

static void test_rwsem_read_recursion_is_reported(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_lock(f, LOCK_A, "&mm->mmap_lock", "mm_init");
	acquire_ex(f, (struct acq){ .pid = 1, .lock = LOCK_A, .type = LD_LOCK_RWSEM_READ });
	acquire_ex(f, (struct acq){ .pid = 1, .lock = LOCK_A, .type = LD_LOCK_RWSEM_READ });
	assert_non_null(find(f, FINDING_RECURSIVE, "&mm->mmap_lock"));
	release(f, 1, LOCK_A);
	release(f, 1, LOCK_A);
	assert_int_equal(stats(f).unpaired_releases, 0);
	fixture_free(f);
}

/* --- rules: order, suppress ---------------------------------------------- */

static const char order_rules[] = "classes:\n"
				  "  - {name: dma_resv, match: [reservation_ww_class_mutex]}\n"
				  "  - {name: vm->mutex, match: [\"&vm->mutex\"]}\n"
				  "  - {name: obj->vma_lock, match: [\"&obj->vma.lock\"]}\n"
				  "order: [dma_resv, fs_reclaim, vm->mutex, obj->vma_lock]\n";

static void test_order_violation(void **state)
{
	struct fixture *f = fixture_new(order_rules);
	const struct finding *finding, *cycle;

	ww_init(f);
	init_lock(f, LOCK_A, "&obj->vma.lock", "i915_gem_object_init");
	/* vm->mutex -> dma_resv: against the order, though the reverse never ran. */
	acquire(f, 2, VM_MUTEX);
	ww_lock(f, 2, RESV_2, 0xc2, 0);
	assert_int_equal(engine__nr_findings(f->engine), 1);
	finding = find(f, FINDING_ORDER, "vm->mutex", "dma_resv");
	assert_non_null(finding);
	assert_string_equal(finding->classes[0], "vm->mutex");
	assert_string_equal(finding->classes[1], "dma_resv");
	assert_int_equal(finding->nr_edges, 1);
	assert_string_equal(finding->edges[0]->from, "vm->mutex");
	assert_string_equal(finding->edges[0]->to, "dma_resv");
	assert_non_null(finding->reason);
	assert_non_null(strstr(finding->reason, "dma_resv before vm->mutex"));
	release(f, 2, RESV_2);
	ww_lock(f, 2, RESV_2, 0xc2, 0);
	assert_int_equal(finding->count, 2);
	release(f, 2, RESV_2);
	release(f, 2, VM_MUTEX);

	/* The documented order: allowed, but it closes a cycle with the breach above. */
	ww_lock(f, 1, RESV_1, 0xc1, 0);
	acquire(f, 1, VM_MUTEX);
	acquire(f, 1, LOCK_A);
	assert_non_null(find(f, FINDING_CIRCULAR, "vm->mutex", "dma_resv"));
	assert_int_equal(engine__nr_findings(f->engine), 2);
	release(f, 1, LOCK_A);
	release(f, 1, VM_MUTEX);
	release(f, 1, RESV_1);

	/* A breach that closes a cycle is reported once, as the cycle. */
	acquire(f, 3, LOCK_A);
	acquire(f, 3, VM_MUTEX);
	cycle = find(f, FINDING_CIRCULAR, "vm->mutex", "obj->vma_lock");
	assert_non_null(cycle);
	assert_null(find(f, FINDING_ORDER, "obj->vma_lock", "vm->mutex"));
	assert_int_equal(engine__nr_findings(f->engine), 3);
	release(f, 3, VM_MUTEX);
	acquire(f, 3, VM_MUTEX);
	assert_int_equal(cycle->count, 2);
	release(f, 3, VM_MUTEX);
	release(f, 3, LOCK_A);

	/* fs_reclaim in the order: allocating under vm->mutex breaks it, under dma_resv not. */
	ww_lock(f, 4, RESV_1, 0xc4, 0);
	acquire(f, 4, VM_MUTEX);
	alloc(f, 4, "GFP_KERNEL");
	assert_non_null(find(f, FINDING_ORDER, "vm->mutex", FS_RECLAIM_CLASS));
	assert_null(find(f, FINDING_ORDER, "dma_resv", FS_RECLAIM_CLASS));
	assert_int_equal(engine__nr_findings(f->engine), 4);
	fixture_free(f);
}

/* A suppressed cycle does not hide the order breach of the same dependency. */
static void test_order_behind_suppressed_cycle(void **state)
{
	static const char rules[] = "classes:\n"
				    "  - {name: A, match: [\"&a->lock\"]}\n"
				    "  - {name: B, match: [\"&b->lock\"]}\n"
				    "order: [A, B]\n"
				    "suppress:\n"
				    "  - {kind: circular, classes: [A, B], reason: known}\n";
	struct fixture *f = fixture_new(rules);

	init_abc(f);
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	acquire(f, 2, LOCK_B);
	acquire(f, 2, LOCK_A);
	assert_true(find(f, FINDING_CIRCULAR, "A", "B")->suppressed);
	assert_false(find(f, FINDING_ORDER, "A", "B")->suppressed);
	assert_int_equal(stats(f).findings, 1);
	assert_int_equal(stats(f).suppressed, 1);
	fixture_free(f);
}

static void test_suppressed_findings(void **state)
{
	static const char suppress[] = "classes:\n"
				       "  - {name: A, match: [\"&a->lock\"]}\n"
				       "  - {name: B, match: [\"&b->lock\"]}\n"
				       "suppress:\n"
				       "  - {kind: circular, classes: [B, A], reason: \"known\"}\n";
	struct fixture *f = fixture_new(suppress);
	const struct finding *finding;
	struct engine_stats s;

	init_abc(f);
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	acquire(f, 2, LOCK_B);
	acquire(f, 2, LOCK_A);
	finding = find(f, FINDING_CIRCULAR, "A", "B");
	assert_non_null(finding);
	assert_true(finding->suppressed);
	assert_string_equal(finding->reason, "known");
	assert_int_equal(f->callbacks, 1);
	s = stats(f);
	assert_int_equal(s.findings, 0);
	assert_int_equal(s.suppressed, 1);
	/* Another kind over the same classes is not covered. */
	release(f, 2, LOCK_A);
	acquire(f, 2, LOCK_C);
	acquire(f, 2, LOCK_C);
	assert_int_equal(stats(f).findings, 1);
	fixture_free(f);
}

/* --- releases, losses, exits --------------------------------------------- */

static void test_out_of_order_release(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_abc(f);
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	release(f, 1, LOCK_A); /* hand-over-hand */
	acquire(f, 1, LOCK_C);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_C);
	assert_int_equal(stats(f).unpaired_releases, 0);
	/* A -> B, B -> C; not A -> C. */
	assert_int_equal(stats(f).dependencies, 2);
	acquire(f, 2, LOCK_C);
	acquire(f, 2, LOCK_A);
	/* C -> A closes A -> B -> C -> A only through B. */
	assert_non_null(find(f, FINDING_CIRCULAR, "&a->lock", "&b->lock", "&c->lock"));
	assert_null(find(f, FINDING_CIRCULAR, "&a->lock", "&c->lock"));
	fixture_free(f);
}

static void test_unpaired_release(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_abc(f);
	release(f, 1, LOCK_A);
	acquire(f, 1, LOCK_A);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	release(f, 1, LOCK_A);
	assert_int_equal(stats(f).unpaired_releases, 3);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	fixture_free(f);
}

static void test_lost_release_makes_no_dependency(void **state)
{
	struct fixture *f = fixture_new(NULL);
	struct engine_stats s;

	init_abc(f);
	acquire(f, 1, LOCK_B);
	acquire(f, 1, LOCK_A);
	release(f, 1, LOCK_A);
	release(f, 1, LOCK_B);
	/* Task 2 takes A, the release is lost, then it takes B: no A -> B. */
	acquire(f, 2, LOCK_A);
	lost(f, 3, 2);
	acquire(f, 2, LOCK_B);
	release(f, 2, LOCK_B);
	release(f, 2, LOCK_A); /* the held stack was dropped: unpaired */
	assert_int_equal(engine__nr_findings(f->engine), 0);
	s = stats(f);
	assert_int_equal(s.lost_events, 3);
	assert_int_equal(s.lost_resets, 1);
	assert_int_equal(s.unpaired_releases, 1);

	/* A loss naming no task drops every task's stack, and reclaim context. */
	acquire(f, 3, LOCK_A);
	acquire(f, 4, LOCK_A);
	reclaim(f, 5, LD_RECLAIM_ENTER, LD_RECLAIM_DIRECT, "try_to_free_pages");
	lost(f, 10, -1);
	acquire(f, 3, LOCK_B);
	acquire(f, 4, LOCK_B);
	acquire(f, 5, LOCK_A);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	s = stats(f);
	assert_int_equal(s.lost_events, 13);
	assert_int_equal(s.lost_resets, 4);
	/* B -> A and nothing else. */
	assert_int_equal(s.dependencies, 1);

	/* Without the loss the same sequence is a finding. */
	release(f, 3, LOCK_B);
	acquire(f, 3, LOCK_A);
	acquire(f, 3, LOCK_B);
	assert_non_null(find(f, FINDING_CIRCULAR, "&a->lock", "&b->lock"));
	fixture_free(f);
}

static void test_exit_forgets_the_task(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_abc(f);
	acquire(f, 1, LOCK_B);
	acquire(f, 1, LOCK_A);
	release(f, 1, LOCK_A);
	release(f, 1, LOCK_B);
	acquire(f, 2, LOCK_A);
	reclaim(f, 2, LD_RECLAIM_ENTER, LD_RECLAIM_DIRECT, "try_to_free_pages");
	task_flags(f, 2, LD_TASK_MEMALLOC_NOFS);
	task_exit(f, 2);
	/* The pid is reused by a new task holding nothing. */
	acquire(f, 2, LOCK_B);
	release(f, 2, LOCK_B);
	release(f, 2, LOCK_A);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	assert_int_equal(stats(f).dependencies, 1);
	assert_int_equal(stats(f).unpaired_releases, 1);
	fixture_free(f);
}

/* --- classes ------------------------------------------------------------- */

/* The name of an unclassified class: its lock and the call site that first took it. */
static const char *unclassified(char name[static 128], const char *site, __u64 lock)
{
	snprintf(name, 128, "unclassified@%s:0x%llx", site, (unsigned long long)lock);
	return name;
}

static const char *class_of(struct fixture *f, __u64 lock)
{
	const struct finding *finding;
	size_t before = engine__nr_findings(f->engine);

	/* A recursion report names the class of the lock taken twice. */
	acquire(f, 999, lock);
	acquire(f, 999, lock);
	release(f, 999, lock);
	release(f, 999, lock);
	finding = engine__finding(f->engine, engine__nr_findings(f->engine) - 1);
	if (engine__nr_findings(f->engine) == before)
		return "(already reported)";
	return finding->classes[0];
}

static void test_class_names(void **state)
{
	static const char rules[] = "classes:\n"
				    "  - {name: vm->mutex, match: [\"&vm->mutex\"]}\n"
				    "  - {name: static_one, match: [my_static_lock]}\n";
	struct fixture *f = fixture_new(rules);
	__u64 static_lock = sym(f, "console_lock");
	__u64 ruled_static = sym(f, "my_static_lock");
	size_t nr_before_unclassified;
	__u64 in_struct = sym(f, "some_object+0x40");
	char name[128];
	const struct finding *again;

	/* Rules first, with the subclass of the base name. */
	init_lock(f, 0x100, "&vm->mutex", "i915_address_space_init");
	init_lock(f, 0x200, "&vm->mutex/1", "i915_address_space_init");
	assert_string_equal(class_of(f, 0x100), "vm->mutex");
	assert_string_equal(class_of(f, 0x200), "vm->mutex/1");
	/* The same name from two sites: two classes. */
	init_lock(f, 0x300, "&obj->lock", "site_one");
	init_lock(f, 0x400, "&obj->lock", "site_two");
	init_lock(f, 0x500, "&obj->lock", "site_three");
	init_lock(f, 0x600, "&obj->lock/2", "site_two");
	assert_string_equal(class_of(f, 0x300), "&obj->lock");
	assert_string_equal(class_of(f, 0x400), "&obj->lock#2");
	assert_string_equal(class_of(f, 0x500), "&obj->lock#3");
	assert_string_equal(class_of(f, 0x600), "&obj->lock#2/2");
	/* The same site again: the same class. */
	init_lock(f, 0x700, "&obj->lock", "site_two");
	again = find(f, FINDING_RECURSIVE, "&obj->lock#2");
	assert_non_null(again);
	assert_int_equal(again->count, 1);
	acquire(f, 5, 0x400);
	acquire(f, 5, 0x700);
	assert_int_equal(again->count, 2);
	release(f, 5, 0x700);
	release(f, 5, 0x400);
	/* "/0" and names with slashes that are no subclass. */
	init_lock(f, 0x800, "&x->lock/0", "x_init");
	assert_string_equal(class_of(f, 0x800), "&x->lock/0");
	/* Static locks by symbol, through the rules too. */
	assert_string_equal(class_of(f, static_lock), "console_lock");
	assert_string_equal(class_of(f, ruled_static), "static_one");
	/* Neither: a class of its own, named after the lock and its first taker. */
	nr_before_unclassified = engine__nr_findings(f->engine);
	acquire_ex(f, (struct acq){ .pid = 6, .lock = in_struct, .ip = "taker_fn+0x1c/0x80" });
	acquire_ex(f, (struct acq){ .pid = 6, .lock = 0x900, .ip = "taker_fn+0x30/0x80" });
	/* Two locks, two classes: one function taking two locks is no recursion. */
	assert_int_equal(engine__nr_findings(f->engine), nr_before_unclassified);
	release(f, 6, 0x900);
	release(f, 6, in_struct);
	assert_string_equal(class_of(f, in_struct), unclassified(name, "taker_fn+0x1c", in_struct));
	assert_string_equal(class_of(f, 0x900), unclassified(name, "taker_fn+0x30", 0x900));
	/* Two locks first taken at one call site are two classes, never merged. */
	nr_before_unclassified = engine__nr_findings(f->engine);
	acquire_ex(f, (struct acq){ .pid = 6, .lock = 0x980, .ip = "loop_fn+0x10" });
	acquire_ex(f, (struct acq){ .pid = 6, .lock = 0x990, .ip = "loop_fn+0x10" });
	assert_int_equal(engine__nr_findings(f->engine), nr_before_unclassified);
	release(f, 6, 0x990);
	release(f, 6, 0x980);
	assert_string_equal(class_of(f, 0x980), unclassified(name, "loop_fn+0x10", 0x980));
	assert_string_equal(class_of(f, 0x990), unclassified(name, "loop_fn+0x10", 0x990));
	/* The very same lock again is recursion whatever its class. */
	acquire_ex(f, (struct acq){ .pid = 6, .lock = 0x9a0, .ip = "again_fn+0x30/0x80" });
	acquire_ex(f, (struct acq){ .pid = 6, .lock = 0x9a0, .ip = "again_fn+0x30/0x80" });
	assert_non_null(find(f, FINDING_RECURSIVE, unclassified(name, "again_fn+0x30", 0x9a0)));
	release(f, 6, 0x9a0);
	release(f, 6, 0x9a0);
	acquire_ex(f, (struct acq){ .pid = 7, .lock = 0xa00, .ip = "other_fn" });
	release(f, 7, 0xa00);
	/* The class sticks to the address even when another function takes it. */
	acquire_ex(f, (struct acq){ .pid = 7, .lock = 0xa00, .ip = "third_fn" });
	acquire_ex(f, (struct acq){ .pid = 7, .lock = 0xa00, .ip = "third_fn" });
	assert_non_null(find(f, FINDING_RECURSIVE, unclassified(name, "other_fn", 0xa00)));
	fixture_free(f);
}

/*
 * Locks initialised before the events began, as a driver loaded before
 * lockdepd leaves them: taken in opposite orders at the same two call
 * sites, but each order by other objects. Merging them by call site made
 * a cycle of two guessed classes; lockdep, which knows their classes, may
 * well be silent. Only the very same two locks in both orders are a cycle.
 */
static void test_unclassified_locks_are_never_merged(void **state)
{
	struct fixture *f = fixture_new(NULL);
	struct engine_stats stats;
	char name[2][128];

	/* Objects 1: X1 then Y1. Objects 2: Y2 then X2, at the same sites. */
	acquire_ex(f, (struct acq){ .pid = 1, .lock = 0x1100, .ip = "foo_work+0x18" });
	acquire_ex(f, (struct acq){ .pid = 1, .lock = 0x1200, .ip = "bar_work+0x2c" });
	release(f, 1, 0x1200);
	release(f, 1, 0x1100);
	acquire_ex(f, (struct acq){ .pid = 2, .lock = 0x2200, .ip = "bar_work+0x2c" });
	acquire_ex(f, (struct acq){ .pid = 2, .lock = 0x2100, .ip = "foo_work+0x18" });
	release(f, 2, 0x2100);
	release(f, 2, 0x2200);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	engine__stats(f->engine, &stats);
	assert_int_equal(stats.locks_without_init, 4);
	/* The very same X1 and Y1 the other way round: a real inversion. */
	acquire_ex(f, (struct acq){ .pid = 3, .lock = 0x1200, .ip = "baz_work+0x10" });
	acquire_ex(f, (struct acq){ .pid = 3, .lock = 0x1100, .ip = "baz_work+0x30" });
	assert_non_null(find(f, FINDING_CIRCULAR, unclassified(name[0], "foo_work+0x18", 0x1100),
			     unclassified(name[1], "bar_work+0x2c", 0x1200)));
	assert_int_equal(engine__nr_findings(f->engine), 1);
	release(f, 3, 0x1100);
	release(f, 3, 0x1200);
	fixture_free(f);
}

/*
 * ww_mutexes initialised before the events began, taken under acquire
 * contexts with an -EDEADLK back-off: A then B, and after the back-off B
 * then A. A context serves one ww class, so they are one class, ordered by
 * wound/wait: no cycle. A lock taken under a context beside one of known
 * class takes that class.
 */
static void test_ww_context_is_one_class(void **state)
{
	struct fixture *f = fixture_new(NULL);
	struct engine_stats stats;
	char name[128];

	acquire_ex(f, (struct acq){ .pid = 1,
				    .lock = 0x3100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc1,
				    .ip = "eb_lock_vmas+0x40" });
	acquire_ex(f, (struct acq){ .pid = 1,
				    .lock = 0x3200,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc1,
				    .ip = "eb_lock_vmas+0x40" });
	release(f, 1, 0x3200);
	release(f, 1, 0x3100);
	/* Another context: B first, A wanted, -EDEADLK, back off, then both. */
	acquire_ex(f, (struct acq){ .pid = 2,
				    .lock = 0x3200,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc2,
				    .ip = "eb_lock_vmas+0x40" });
	acquire_ex(f, (struct acq){ .pid = 2,
				    .lock = 0x3100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc2,
				    .ret = -EDEADLK,
				    .ip = "eb_lock_vmas+0x40" });
	release(f, 2, 0x3200);
	acquire_ex(f, (struct acq){ .pid = 2,
				    .lock = 0x3100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc2,
				    .ip = "eb_lock_vmas+0x70" });
	acquire_ex(f, (struct acq){ .pid = 2,
				    .lock = 0x3200,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc2,
				    .ip = "eb_lock_vmas+0x40" });
	release(f, 2, 0x3200);
	release(f, 2, 0x3100);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	/* B was first met beside A under one context: A's class. */
	assert_string_equal(class_of(f, 0x3200), unclassified(name, "eb_lock_vmas+0x40", 0x3100));

	/* Beside a dma_resv whose init was seen: a dma_resv too. */
	init_lock(f, 0x4100, "reservation_ww_class_mutex", "dma_resv_init");
	acquire_ex(f, (struct acq){ .pid = 3,
				    .lock = 0x4100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc3,
				    .ip = "eb_lock_vmas+0x40" });
	acquire_ex(f, (struct acq){ .pid = 3,
				    .lock = 0x4200,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc3,
				    .ip = "eb_lock_vmas+0x40" });
	release(f, 3, 0x4200);
	release(f, 3, 0x4100);
	assert_string_equal(class_of(f, 0x4200), "reservation_ww_class_mutex");
	/* Without a context a ww_mutex is a lock like any other: its own class. */
	acquire_ex(f, (struct acq){ .pid = 4,
				    .lock = 0x4300,
				    .type = LD_LOCK_WW_MUTEX,
				    .ip = "ttm_bo_reserve+0x10" });
	release(f, 4, 0x4300);
	assert_string_equal(class_of(f, 0x4300), unclassified(name, "ttm_bo_reserve+0x10", 0x4300));
	/* An unknown class and another under one context: one ww class, no order. */
	acquire_ex(f, (struct acq){ .pid = 5,
				    .lock = 0x4300,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc5,
				    .ip = "eb_lock_vmas+0x40" });
	acquire_ex(f, (struct acq){ .pid = 5,
				    .lock = 0x3100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc5,
				    .ip = "eb_lock_vmas+0x40" });
	release(f, 5, 0x3100);
	release(f, 5, 0x4300);
	acquire_ex(f, (struct acq){ .pid = 5,
				    .lock = 0x3100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc6,
				    .ip = "eb_lock_vmas+0x40" });
	acquire_ex(f, (struct acq){ .pid = 5,
				    .lock = 0x4300,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc6,
				    .ip = "eb_lock_vmas+0x40" });
	release(f, 5, 0x4300);
	release(f, 5, 0x3100);
	engine__stats(f->engine, &stats);
	assert_int_equal(stats.locks_without_init, 4);
	/* class_of()'s own recursions, and nothing else. */
	assert_int_equal(engine__nr_findings(f->engine), 3);

	/* Two known classes under one context stay two, with an order, as in lockdep. */
	init_lock(f, 0x5100, "crtc_ww_class_mutex", "drm_modeset_lock_init");
	init_lock(f, 0x5200, "reservation_ww_class_mutex#2", "other_resv_init");
	acquire_ex(f, (struct acq){ .pid = 6,
				    .lock = 0x5100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc7,
				    .ip = "a+0x1" });
	acquire_ex(f, (struct acq){ .pid = 6,
				    .lock = 0x5200,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc7,
				    .ip = "a+0x2" });
	release(f, 6, 0x5200);
	release(f, 6, 0x5100);
	acquire_ex(f, (struct acq){ .pid = 6,
				    .lock = 0x5200,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc8,
				    .ip = "b+0x1" });
	acquire_ex(f, (struct acq){ .pid = 6,
				    .lock = 0x5100,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0xc8,
				    .ip = "b+0x2" });
	release(f, 6, 0x5100);
	release(f, 6, 0x5200);
	assert_non_null(
		find(f, FINDING_CIRCULAR, "crtc_ww_class_mutex", "reservation_ww_class_mutex#2"));
	fixture_free(f);
}

static void test_init_starts_a_new_instance(void **state)
{
	struct fixture *f = fixture_new(NULL);
	char name[128];

	init_lock(f, LOCK_A, "&a->lock", "a_init");
	init_lock(f, LOCK_B, "&b->lock", "b_init");
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	/* A's memory is freed and reused for a lock of another class. */
	init_lock(f, LOCK_A, "&c->lock", "c_init");
	acquire(f, 2, LOCK_B);
	acquire(f, 2, LOCK_A);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	/* Reused for an unnamed lock: classified afresh when taken. */
	init_lock(f, LOCK_B, "", "nowhere");
	release(f, 2, LOCK_A);
	release(f, 2, LOCK_B);
	acquire_ex(f, (struct acq){ .pid = 3, .lock = LOCK_B, .ip = "fresh_fn+0x4" });
	acquire_ex(f, (struct acq){ .pid = 3, .lock = LOCK_B, .ip = "fresh_fn+0x8" });
	assert_non_null(find(f, FINDING_RECURSIVE, unclassified(name, "fresh_fn+0x4", LOCK_B)));
	fixture_free(f);
}

/* --- IGT attribution ------------------------------------------------------ */

static void test_findings_name_the_igt_test(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const struct finding *finding;

	init_abc(f);
	mark(f, "6,1234,5678,-;[IGT] gem_exec_whisper: executing");
	mark(f, "6,1235,5679,-;[IGT] gem_exec_whisper: starting subtest basic");
	acquire(f, 1, LOCK_A);
	acquire(f, 1, LOCK_B);
	release(f, 1, LOCK_B);
	release(f, 1, LOCK_A);
	mark(f, "[IGT] gem_exec_whisper: finished subtest basic, SUCCESS");
	mark(f, "[IGT] gem_exec_whisper: exiting, ret=0");
	mark(f, "[  12.345] [IGT] kms_flip: executing");
	mark(f, "[  12.346] [IGT] kms_flip: starting subtest flip-vs-suspend");
	mark(f, "[  12.347] [IGT] kms_flip: starting dynamic subtest pipe-A");
	acquire(f, 2, LOCK_B);
	acquire(f, 2, LOCK_A);
	finding = find(f, FINDING_CIRCULAR, "&a->lock", "&b->lock");
	assert_non_null(finding);
	assert_string_equal(finding->test, "igt@kms_flip@flip-vs-suspend@pipe-A");
	assert_string_equal(finding->edges[0]->test, "igt@gem_exec_whisper@basic");
	assert_string_equal(finding->edges[1]->test, "igt@kms_flip@flip-vs-suspend@pipe-A");
	mark(f, "[IGT] kms_flip: exiting, ret=0");
	acquire(f, 3, LOCK_C);
	acquire(f, 3, LOCK_C);
	assert_null(find(f, FINDING_RECURSIVE, "&c->lock")->test);
	fixture_free(f);
}

/* --- scale and speed ------------------------------------------------------ */

static long rss_kib(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;

	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld %ld", &pages, &resident), 2);
	fclose(fp);
	return resident * 4;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SCALE_CLASSES 100000u
#define SCALE_FANOUT  10u

/* 100k classes, 1M dependencies: no table fills up, memory stays proportional. */
static void test_scale_100k_classes_1m_dependencies(void **state)
{
	struct fixture *f = fixture_new(NULL);
	long rss_before = rss_kib();
	double start = now_seconds();
	struct engine_stats s;
	char name[32];

	for (__u32 i = 0; i < SCALE_CLASSES; i++) {
		union event_buf buf = { .ev.type = LD_EV_INIT };

		buf.ev.init.lock = 0x10000 + (__u64)i * 64;
		buf.ev.init.site = 0xffffffff81000000ULL;
		snprintf(name, sizeof(name), "&lock_%u", i);
		set_text(&buf, name);
		feed(f, &buf);
	}
	/* Class i is taken under each of its ten predecessors: a deep DAG, no cycle. */
	for (__u32 i = 0; i < SCALE_CLASSES; i++) {
		acquire(f, 1, 0x10000 + (__u64)i * 64);
		for (__u32 j = 1; j <= SCALE_FANOUT; j++) {
			__u64 next = 0x10000 + (__u64)((i + j) % SCALE_CLASSES) * 64;

			if (i + j >= SCALE_CLASSES)
				next = 0x10000 + (__u64)(SCALE_CLASSES + i + j) * 64;
			acquire(f, 1, next);
			release(f, 1, next);
		}
		release(f, 1, 0x10000 + (__u64)i * 64);
	}
	s = stats(f);
	print_message("# scale: %llu classes, %llu dependencies, %.2f s, %ld MiB RSS growth\n",
		      (unsigned long long)s.classes, (unsigned long long)s.dependencies,
		      now_seconds() - start, (rss_kib() - rss_before) / 1024);
	assert_true(s.classes >= SCALE_CLASSES);
	assert_int_equal(s.dependencies, (__u64)SCALE_CLASSES * SCALE_FANOUT);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	/* About 160 bytes per dependency here; 512 leaves room for sanitizers. */
	assert_true((rss_kib() - rss_before) * 1024 < (long)s.dependencies * 512);

	/* And the search still finds a cycle across the whole graph. */
	acquire(f, 2, 0x10000 + (__u64)(SCALE_CLASSES - 1) * 64);
	acquire(f, 2, 0x10000);
	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_true(engine__finding(f->engine, 0)->nr_classes > 2);
	assert_cycle_well_formed(engine__finding(f->engine, 0));
	fixture_free(f);
}

/* The hot path on a realistic mix; prints events/s (not asserted: machines differ). */
static void test_throughput(void **state)
{
	enum { NR_TASKS = 8, NR_LOCKS = 64, DEPTH = 3, ROUNDS = 200000 };
	static union event_buf events[NR_TASKS * DEPTH * 2 + 1];
	struct fixture *f = fixture_new(NULL);
	size_t nr = 0, fed = 0;
	double start, elapsed;

	for (int l = 0; l < NR_LOCKS; l++) {
		char name[32];

		snprintf(name, sizeof(name), "&class_%d", l);
		init_lock(f, 0x1000 + l * 64, name, "init_site");
	}
	/* Each task nests DEPTH locks in increasing class order: no findings, known edges. */
	for (int t = 0; t < NR_TASKS; t++) {
		for (int d = 0; d < DEPTH; d++) {
			union event_buf *b = &events[nr++];

			b->ev = (struct ld_event){ .type = LD_EV_ACQUIRE, .pid = 100 + t };
			b->ev.acquire.lock = 0x1000 + (d * 16 + t % 4) * 64;
			b->ev.acquire.ip = 0xffffffff81001000ULL + d;
			b->ev.nr_stack = 8;
			for (int k = 0; k < 8; k++)
				((__u64 *)(&b->ev + 1))[k] = 0xffffffff81002000ULL + k;
			b->ev.size = ld_event_size_for(8, 0);
		}
		for (int d = DEPTH - 1; d >= 0; d--) {
			union event_buf *b = &events[nr++];

			b->ev = (struct ld_event){ .type = LD_EV_RELEASE, .pid = 100 + t };
			b->ev.release.lock = 0x1000 + (d * 16 + t % 4) * 64;
			b->ev.size = ld_event_size_for(0, 0);
		}
	}
	start = now_seconds();
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t i = 0; i < nr; i++)
			assert_int_equal(engine__feed(f->engine, &events[i].ev), 0);
		fed += nr;
	}
	elapsed = now_seconds() - start;
	print_message("# engine: %zu events in %.3f s: %.1f M events/s\n", fed, elapsed,
		      fed / elapsed / 1e6);
	assert_int_equal(stats(f).unpaired_releases, 0);
	assert_int_equal(engine__nr_findings(f->engine), 0);
	fixture_free(f);
}

/* --- API edges ------------------------------------------------------------- */

/* The count of a dependency as the API reports it; 0 when there is none. */
static __u64 dependency_count(struct fixture *f, const char *from, const char *to)
{
	for (size_t i = 0; i < engine__nr_dependencies(f->engine); i++) {
		struct dependency dep;

		assert_int_equal(engine__dependency(f->engine, i, &dep), 0);
		if (strcmp(dep.from, from) == 0 && strcmp(dep.to, to) == 0)
			return dep.count;
	}
	return 0;
}

/* Hits on a known dependency take a fast path: its count must stay exact past any small counter. */
static void test_hit_counts_stay_exact(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_lock(f, LOCK_A, "&a->lock", "a_init");
	init_lock(f, LOCK_B, "&b->lock", "b_init");
	for (int i = 0; i < 100000; i++) {
		acquire(f, 1 + i % 3, LOCK_A);
		acquire(f, 1 + i % 3, LOCK_B);
		release(f, 1 + i % 3, LOCK_B);
		release(f, 1 + i % 3, LOCK_A);
		if (i == 255 || i == 256 || i == 65535)
			assert_int_equal(dependency_count(f, "&a->lock", "&b->lock"), i + 1);
	}
	assert_int_equal(dependency_count(f, "&a->lock", "&b->lock"), 100000);
	/* The reverse edge still closes the cycle, whose count then grows exactly too. */
	acquire(f, 9, LOCK_B);
	acquire(f, 9, LOCK_A);
	release(f, 9, LOCK_A);
	release(f, 9, LOCK_B);
	assert_int_equal(engine__nr_findings(f->engine), 1);
	for (int i = 0; i < 300; i++) {
		acquire(f, 9, LOCK_B);
		acquire(f, 9, LOCK_A);
		release(f, 9, LOCK_A);
		release(f, 9, LOCK_B);
	}
	assert_int_equal(engine__finding(f->engine, 0)->count, 301);
	assert_int_equal(dependency_count(f, "&b->lock", "&a->lock"), 301);
	fixture_free(f);
}

/*
 * An acquisition counts the plain dependencies on the outer locks held
 * itself and hands the rest over at the first lock held that needs more
 * (a new dependency, a recursion): every count stays exact, every finding
 * is made, whichever lock held that is.
 */
static void test_fast_path_hands_over_midway(void **state)
{
	struct fixture *f = fixture_new(NULL);

	init_abc(f);
	/* A -> D and A -> B known and plain; B -> D not yet seen. */
	for (int i = 0; i < 2; i++) {
		acquire(f, 1, LOCK_A);
		acquire(f, 1, LOCK_D);
		release(f, 1, LOCK_D);
		acquire(f, 1, LOCK_B);
		release(f, 1, LOCK_B);
		release(f, 1, LOCK_A);
	}
	acquire(f, 2, LOCK_A);
	acquire(f, 2, LOCK_B);
	acquire(f, 2, LOCK_D);
	assert_int_equal(dependency_count(f, "&a->lock", "&b->lock"), 3);
	assert_int_equal(dependency_count(f, "&a->lock", "&d->lock"), 3);
	assert_int_equal(dependency_count(f, "&b->lock", "&d->lock"), 1);
	release(f, 2, LOCK_D);

	/* A second instance of D's class under A and B: counted, then a recursion. */
	init_lock(f, LOCK_C, "&d->lock", "d_init");
	acquire(f, 2, LOCK_D);
	acquire(f, 2, LOCK_C);
	assert_int_equal(dependency_count(f, "&a->lock", "&d->lock"), 5);
	assert_int_equal(dependency_count(f, "&b->lock", "&d->lock"), 3);
	assert_non_null(find(f, FINDING_RECURSIVE, "&d->lock"));
	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_int_equal(stats(f).unpaired_releases, 0);
	fixture_free(f);
}

/* Many classes: a cycle between the first and the last is still found, once. */
static void test_many_classes_cycle(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const unsigned int nr = 3000;
	char name[32];

	for (unsigned int i = 0; i < nr; i++) {
		snprintf(name, sizeof(name), "&c%u->lock", i);
		init_lock(f, 0x100000 + i * 0x40, name, name + 1);
	}
	/* A chain c0 -> c1 -> ... -> c2999, each link seen 3 times. */
	for (int round = 0; round < 3; round++)
		for (unsigned int i = 0; i + 1 < nr; i++) {
			acquire(f, 1, 0x100000 + i * 0x40);
			acquire(f, 1, 0x100000 + (i + 1) * 0x40);
			release(f, 1, 0x100000 + (i + 1) * 0x40);
			release(f, 1, 0x100000 + i * 0x40);
		}
	assert_int_equal(engine__nr_findings(f->engine), 0);
	assert_int_equal(dependency_count(f, "&c1500->lock", "&c1501->lock"), 3);
	acquire(f, 2, 0x100000 + (nr - 1) * 0x40);
	acquire(f, 2, 0x100000);
	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_int_equal(engine__finding(f->engine, 0)->kind, FINDING_CIRCULAR);
	assert_int_equal(engine__finding(f->engine, 0)->nr_classes, nr);
	fixture_free(f);
}

static void test_api_edges(void **state)
{
	struct fixture *f = fixture_new(vm_rules);
	struct engine_stats s;

	engine__free(NULL);
	assert_null(engine__finding(f->engine, 0));
	assert_int_equal(engine__set_gfp_layout(f->engine, NULL), 0);
	assert_int_equal(engine__set_gfp_layout(f->engine, f->gfp), 0);
	s = stats(f);
	/* fs_reclaim and the tainted class exist from the start, with the primed edge. */
	assert_int_equal(s.classes, 2);
	assert_int_equal(s.dependencies, 1);
	assert_int_equal(s.events, 0);
	mark(f, "no marker here");
	assert_int_equal(stats(f).events, 1);
	fixture_free(f);
}

/*
 * The kernel's annotations (rules/kernel.yaml): a novalidate lock is held
 * but never validated, on the hot path too (its instance is known from its
 * init); a nested rule makes its caller's acquisitions a subclass, and a
 * reload that brings nested rules applies them to instances known already.
 */
static void test_kernel_annotations(void **state)
{
	static const char rules_yaml[] = "novalidate:\n"
					 "  - {name: \"&dev->mutex\", site: device_initialize}\n";
	static const char nested_yaml[] =
		"nested:\n"
		"  - {caller: filename_create, lock: i_rwsem, type: rwsem_write, subclass: 1}\n";
	struct fixture *f = fixture_new(rules_yaml);
	struct rules *nested = NULL;

	init_lock(f, 0x100, "&dev->mutex", "device_initialize+0x60");
	init_lock(f, 0x200, "&dev->mutex", "device_initialize+0x60");
	init_lock(f, 0x300, "&drm->lock", "drm_dev_init+0x10");
	for (int round = 0; round < 2; round++) {
		acquire(f, 1, 0x100);
		acquire(f, 1, 0x200);
		acquire(f, 1, 0x300);
		release(f, 1, 0x300);
		release(f, 1, 0x200);
		release(f, 1, 0x100);
		acquire(f, 2, 0x300);
		acquire(f, 2, 0x100);
		release(f, 2, 0x100);
		release(f, 2, 0x300);
	}
	assert_int_equal(engine__nr_findings(f->engine), 0);
	assert_int_equal(engine__nr_dependencies(f->engine), 0);

	init_lock(f, 0x400, "&inode->i_rwsem", "inode_init_always+0x80");
	init_lock(f, 0x500, "&inode->i_rwsem", "inode_init_always+0x80");
	acquire_ex(f, (struct acq){ .pid = 3,
				    .lock = 0x400,
				    .type = LD_LOCK_RWSEM_WRITE,
				    .ip = "filename_create+0x5c" });
	acquire_ex(f, (struct acq){ .pid = 3,
				    .lock = 0x500,
				    .type = LD_LOCK_RWSEM_WRITE,
				    .ip = "devtmpfs_work_loop+0x1a0" });
	release(f, 3, 0x500);
	release(f, 3, 0x400);
	/* Without the nested rule: recursion. */
	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_int_equal(engine__finding(f->engine, 0)->kind, FINDING_RECURSIVE);

	assert_int_equal(
		rules__load_buffer("nested.yaml", nested_yaml, strlen(nested_yaml), &nested), 0);
	assert_int_equal(engine__set_rules(f->engine, nested), 0);
	acquire_ex(f, (struct acq){ .pid = 4,
				    .lock = 0x500,
				    .type = LD_LOCK_RWSEM_WRITE,
				    .ip = "filename_create+0x5c" });
	acquire_ex(f, (struct acq){ .pid = 4,
				    .lock = 0x400,
				    .type = LD_LOCK_RWSEM_WRITE,
				    .ip = "devtmpfs_work_loop+0x1a0" });
	release(f, 4, 0x400);
	release(f, 4, 0x500);
	/* With it: "&inode->i_rwsem/1" -> "&inode->i_rwsem", a dependency, no new finding. */
	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_int_equal(engine__nr_dependencies(f->engine), 2);
	engine__set_rules(f->engine, f->rules);
	rules__free(nested);
	fixture_free(f);
}

/* --- the chain cache's facts and held records ---------------------------- */

struct chain_log {
	unsigned int nr;
	struct {
		enum engine_chain_fact fact;
		__u64 key;
		__u32 class_id;
	} facts[64];
};

static void on_chain_fact(enum engine_chain_fact fact, __u64 key, __u32 class_id, void *ctx)
{
	struct chain_log *log = ctx;

	assert_true(log->nr < 64);
	log->facts[log->nr].fact = fact;
	log->facts[log->nr].key = key;
	log->facts[log->nr].class_id = class_id;
	log->nr++;
}

/* The class the log says key stands for (0: never said). */
static __u32 chain_ident_class(const struct chain_log *log, __u64 key)
{
	__u32 class_id = 0;

	for (unsigned int i = 0; i < log->nr; i++) {
		if (log->facts[i].key != key)
			continue;
		if (log->facts[i].fact == ENGINE_CHAIN_IDENT)
			class_id = log->facts[i].class_id;
		else if (log->facts[i].fact == ENGINE_CHAIN_FORGET)
			class_id = 0;
	}
	return class_id;
}

static bool chain_known(const struct chain_log *log, __u64 key)
{
	for (unsigned int i = 0; i < log->nr; i++)
		if (log->facts[i].fact == ENGINE_CHAIN_KNOWN && log->facts[i].key == key)
			return true;
	return false;
}

static __u64 init_ident_of(const char *name, __u64 site, __u32 flags)
{
	__u64 words[LD_CHAIN_TEXT_WORDS] = { 0 };

	memcpy(words, name, strlen(name));
	return ld_chain_init_ident(words, strlen(name), site, flags);
}

/*
 * What the engine tells the probes: an init's ident is its class, a lock
 * taken without init is known by its address until an init names it, and
 * each acquisition's key (held classes in order, the class, caller, type,
 * reclaim context) once fed. Never for a ww_mutex or a lock held already.
 */
static void test_chain_facts(void **state)
{
	struct fixture *f = fixture_new(NULL);
	struct chain_log log = { 0 };
	__u64 ip_a = sym(f, "take_a+0x10"), ip_b = sym(f, "take_b+0x20");
	__u64 a = 0xa000, b = 0xb000, s = sym(f, "static_lock");
	__u32 class_a, class_b, class_s;
	__u64 chain_a;

	(void)state;
	engine__set_chain_fn(f->engine, on_chain_fact, &log);
	init_lock(f, a, "&a->lock", "a_init+0x4");
	init_lock(f, b, "&b->lock", "b_init+0x4");
	class_a = chain_ident_class(&log, init_ident_of("&a->lock", sym(f, "a_init+0x4"), 0));
	class_b = chain_ident_class(&log, init_ident_of("&b->lock", sym(f, "b_init+0x4"), 0));
	assert_int_not_equal(class_a, 0);
	assert_int_not_equal(class_b, 0);
	assert_int_not_equal(class_a, class_b);

	acquire_ex(f, (struct acq){ .pid = 1, .lock = a, .ip = "take_a+0x10" });
	assert_true(chain_known(&log, ld_chain_triple(LD_CHAIN_START, class_a, ip_a, 0, 0)));
	acquire_ex(f, (struct acq){ .pid = 1, .lock = b, .ip = "take_b+0x20" });
	chain_a = ld_chain_step(LD_CHAIN_START, class_a, ip_a, LD_LOCK_MUTEX);
	assert_true(chain_known(&log, ld_chain_triple(chain_a, class_b, ip_b, 0, 0)));
	/* The chain is ordered: b then a is another chain. */
	assert_false(
		chain_known(&log, ld_chain_triple(ld_chain_step(LD_CHAIN_START, class_b, ip_b, 0),
						  class_a, ip_a, 0, 0)));
	/* An allocation that may enter reclaim under a and b. */
	alloc(f, 1, "GFP_KERNEL");
	assert_true(chain_known(&log, ld_chain_triple(ld_chain_step(chain_a, class_b, ip_b, 0),
						      LD_CHAIN_CLASS_ALLOC, 0, 0, 0)));
	release(f, 1, b);
	release(f, 1, a);

	/* A lock no init named: its address is its ident, forgotten once an init names it. */
	acquire_ex(f, (struct acq){ .pid = 2, .lock = s, .ip = "take_a+0x10" });
	class_s = chain_ident_class(&log, ld_chain_lock_ident(s));
	assert_int_not_equal(class_s, 0);
	assert_true(chain_known(&log, ld_chain_triple(LD_CHAIN_START, class_s, ip_a, 0, 0)));
	release(f, 2, s);
	init_lock(f, s, "&a->lock", "a_init+0x4");
	assert_int_equal(chain_ident_class(&log, ld_chain_lock_ident(s)), 0);

	/* Never kept back: a ww_mutex, a lock taken again, an unknown caller. */
	log.nr = 0;
	acquire_ex(f, (struct acq){ .pid = 3,
				    .lock = a,
				    .type = LD_LOCK_WW_MUTEX,
				    .ctx = 0x77,
				    .ip = "take_a+0x10" });
	assert_int_equal(log.nr, 0);
	release(f, 3, a);
	acquire_ex(f,
		   (struct acq){
			   .pid = 3, .lock = b, .type = LD_LOCK_RWSEM_READ, .ip = "take_b+0x20" });
	log.nr = 0;
	acquire_ex(f,
		   (struct acq){
			   .pid = 3, .lock = b, .type = LD_LOCK_RWSEM_READ, .ip = "take_b+0x20" });
	assert_int_equal(log.nr, 0);
	acquire(f, 4, a);
	assert_int_equal(log.nr, 0);

	/* New rules: nothing told so far holds. */
	assert_int_equal(engine__set_rules(f->engine, NULL), 0);
	assert_int_equal(log.facts[log.nr - 1].fact, ENGINE_CHAIN_RESET);
	fixture_free(f);
}

/* In reclaim context an acquisition also depends on fs_reclaim: its key says so. */
static void test_chain_key_of_reclaim(void **state)
{
	struct fixture *f = fixture_new(NULL);
	struct chain_log log = { 0 };
	__u64 ip = sym(f, "take_a+0x10");
	__u32 class_a;

	(void)state;
	engine__set_chain_fn(f->engine, on_chain_fact, &log);
	init_lock(f, 0xa000, "&a->lock", "a_init+0x4");
	class_a = chain_ident_class(&log, init_ident_of("&a->lock", sym(f, "a_init+0x4"), 0));
	reclaim(f, 1, LD_RECLAIM_ENTER, LD_RECLAIM_SHRINKER, "scan");
	acquire_ex(f, (struct acq){ .pid = 1, .lock = 0xa000, .ip = "take_a+0x10" });
	assert_true(chain_known(&log, ld_chain_triple(LD_CHAIN_START, class_a, ip, 0, 1)));
	assert_false(chain_known(&log, ld_chain_triple(LD_CHAIN_START, class_a, ip, 0, 0)));
	fixture_free(f);
}

/* A fallback rule's class depends on what came before: its ident is never a class. */
static void test_chain_fallback_is_no_ident(void **state)
{
	struct fixture *f = fixture_new(NULL);
	struct chain_log log = { 0 };
	union event_buf buf = { .ev.type = LD_EV_INIT };

	(void)state;
	engine__set_chain_fn(f->engine, on_chain_fact, &log);
	buf.ev.flags = LD_EV_F_INIT_RULE | LD_EV_F_INIT_FALLBACK;
	buf.ev.init.lock = 0xa000;
	buf.ev.init.site = sym(f, "entry+0x0");
	set_text(&buf, "vm->mutex");
	feed(f, &buf);
	for (unsigned int i = 0; i < log.nr; i++)
		assert_int_not_equal(log.facts[i].fact, ENGINE_CHAIN_IDENT);
	fixture_free(f);
}

static void held(struct fixture *f, __u32 pid, const __u64 *locks, const char *const *ips,
		 unsigned int nr)
{
	union event_buf buf = { .ev.type = LD_EV_HELD, .ev.pid = pid };
	struct ld_held_entry *entries = (struct ld_held_entry *)(&buf.ev + 1);

	for (unsigned int i = 0; i < nr; i++)
		entries[i] = (struct ld_held_entry){ .lock = locks[i], .ip = sym(f, ips[i]) };
	buf.ev.held.nr = nr;
	buf.ev.nr_stack = nr * LD_HELD_ENTRY_WORDS;
	feed(f, &buf);
}

/*
 * A held record: the locks it lists are held from then on (their
 * dependencies follow), those the engine held keep what was seen of them,
 * and one it no longer lists is no longer held.
 */
static void test_held_record(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const __u64 ab[] = { 0xa000, 0xb000 }, b_only[] = { 0xb000 };
	const char *const ips[] = { "take_a+0x10", "take_b+0x20" };
	struct engine_stats stats;

	(void)state;
	init_lock(f, 0xa000, "a", "a_init+0x4");
	init_lock(f, 0xb000, "b", "b_init+0x4");
	init_lock(f, 0xc000, "c", "c_init+0x4");
	init_lock(f, 0xd000, "d", "d_init+0x4");
	acquire_ex(f, (struct acq){ .pid = 1,
				    .lock = 0xa000,
				    .ip = "take_a+0x10",
				    .stack = { "take_a+0x10", "outer+0x8" } });
	/* b was taken while the cache kept it back: the engine learns it here. */
	held(f, 1, ab, ips, 2);
	acquire(f, 1, 0xc000);
	assert_int_equal(dependency_count(f, "a", "c"), 1);
	assert_int_equal(dependency_count(f, "b", "c"), 1);
	for (size_t i = 0; i < engine__nr_dependencies(f->engine); i++) {
		struct dependency dep;

		assert_int_equal(engine__dependency(f->engine, i, &dep), 0);
		if (strcmp(dep.from, "a") == 0) {
			/* a's own acquisition, its whole stack. */
			assert_int_equal(dep.held.nr_stack, 2);
		} else if (strcmp(dep.from, "b") == 0) {
			assert_int_equal(dep.held.ip, sym(f, "take_b+0x20"));
			assert_int_equal(dep.held.nr_stack, 1);
		}
	}
	release(f, 1, 0xc000);
	/* a was released unseen... as far as the engine can tell now, only b is held. */
	held(f, 1, b_only, ips + 1, 1);
	acquire(f, 1, 0xd000);
	assert_int_equal(dependency_count(f, "b", "d"), 1);
	assert_int_equal(dependency_count(f, "a", "d"), 0);
	release(f, 1, 0xa000);
	engine__stats(f->engine, &stats);
	assert_int_equal(stats.unpaired_releases, 1);
	/* An empty record: nothing held. */
	held(f, 1, NULL, NULL, 0);
	acquire(f, 1, 0xa000);
	assert_int_equal(dependency_count(f, "b", "a"), 0);
	assert_int_equal(dependency_count(f, "d", "a"), 0);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abba_is_circular),
		cmocka_unit_test(test_three_class_cycle),
		cmocka_unit_test(test_consistent_order_is_clean),
		cmocka_unit_test(test_each_cycle_reported_once),
		cmocka_unit_test(test_taint_reclaim_then_alloc),
		cmocka_unit_test(test_shrinker_then_alloc),
		cmocka_unit_test(test_alloc_then_reclaim),
		cmocka_unit_test(test_allocations_that_cannot_reclaim),
		cmocka_unit_test(test_alloc_with_nothing_held),
		cmocka_unit_test(test_trylock_in_shrinker),
		cmocka_unit_test(test_failed_trylock_is_nothing),
		cmocka_unit_test(test_kswapd_holds_fs_reclaim),
		cmocka_unit_test(test_alloc_in_reclaim_never_self_depends),
		cmocka_unit_test(test_failed_attempt_records_but_is_not_held),
		cmocka_unit_test(test_ww_context_backoff),
		cmocka_unit_test(test_ww_without_common_context_is_recursive),
		cmocka_unit_test(test_recursive_and_allow_nesting),
		cmocka_unit_test(test_rwsem_read_recursion_is_reported),
		cmocka_unit_test(test_order_violation),
		cmocka_unit_test(test_order_behind_suppressed_cycle),
		cmocka_unit_test(test_suppressed_findings),
		cmocka_unit_test(test_out_of_order_release),
		cmocka_unit_test(test_unpaired_release),
		cmocka_unit_test(test_lost_release_makes_no_dependency),
		cmocka_unit_test(test_exit_forgets_the_task),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_init_starts_a_new_instance),
		cmocka_unit_test(test_unclassified_locks_are_never_merged),
		cmocka_unit_test(test_ww_context_is_one_class),
		cmocka_unit_test(test_findings_name_the_igt_test),
		cmocka_unit_test(test_scale_100k_classes_1m_dependencies),
		cmocka_unit_test(test_throughput),
		cmocka_unit_test(test_api_edges),
		cmocka_unit_test(test_hit_counts_stay_exact),
		cmocka_unit_test(test_fast_path_hands_over_midway),
		cmocka_unit_test(test_many_classes_cycle),
		cmocka_unit_test(test_kernel_annotations),
		cmocka_unit_test(test_chain_facts),
		cmocka_unit_test(test_chain_key_of_reclaim),
		cmocka_unit_test(test_chain_fallback_is_no_ident),
		cmocka_unit_test(test_held_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
