// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's order of the dependencies decides which new dependency
 * searches for a cycle, and where. It must never change a finding: random
 * graphs (cycles, recursion, the same dependency again, fs_reclaim, the
 * rules' order and taints, imports) are fed to two engines, one of them
 * told to search the whole graph for every new dependency, and their
 * findings must be the same, in the same order, down to the edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "constructors.h"

#include "engine/engine.h"
#include "event/event.h"
#include "engine/finding.h"
#include "event/gfp.h"
#include "engine/rules.h"
#include "event/symtab.h"

#define MAX_CLASSES 400

union event_buf {
	struct ld_event ev;
	__u64 raw[(sizeof(struct ld_event) + LD_MAX_STACK * sizeof(__u64) + LD_MAX_TEXT) / 8 + 1];
};

struct pair {
	struct engine *engine[2]; /* [0] keeps the order, [1] searches the whole graph */
	struct symtab *symtab;
	struct gfp_layout *gfp;
	struct rules *rules;
	unsigned int seed;
	unsigned int n;
	__u64 rng;
};

/* xorshift64*: the same graphs on every machine. */
static unsigned int rnd(struct pair *p, unsigned int below)
{
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return (unsigned int)((p->rng * 2685821657736338717ull) >> 33) % below;
}

static void feed(struct pair *p, union event_buf *buf)
{
	buf->ev.size = ld_event_size_for(buf->ev.nr_stack, buf->ev.text_len);
	assert_int_equal(ld_event_validate(&buf->ev, sizeof(*buf)), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(engine__feed(p->engine[i], &buf->ev), 0);
}

static __u64 lock_of(unsigned int i)
{
	return 0xffff888000000000ull + ((__u64)i + 1) * 0x1000;
}

static void init_lock(struct pair *p, unsigned int i)
{
	union event_buf buf = { .ev.type = LD_EV_INIT };
	char name[16];

	snprintf(name, sizeof(name), "c%u", i);
	buf.ev.init.lock = lock_of(i);
	buf.ev.init.site = symtab__intern(p->symtab, "init_site");
	buf.ev.text_len = strlen(name);
	memcpy(&buf.ev + 1, name, strlen(name));
	feed(p, &buf);
}

static void acquire(struct pair *p, __u32 pid, unsigned int i)
{
	union event_buf buf = { .ev.type = LD_EV_ACQUIRE, .ev.pid = pid };

	buf.ev.acquire.lock = lock_of(i);
	buf.ev.acquire.ip = symtab__intern(p->symtab, "taker+0x10");
	feed(p, &buf);
}

static void release(struct pair *p, __u32 pid, unsigned int i)
{
	union event_buf buf = { .ev.type = LD_EV_RELEASE, .ev.pid = pid };

	buf.ev.release.lock = lock_of(i);
	feed(p, &buf);
}

static void alloc(struct pair *p, __u32 pid)
{
	union event_buf buf = { .ev.type = LD_EV_ALLOC, .ev.pid = pid };

	assert_int_equal(gfp_layout__parse(p->gfp, "GFP_KERNEL", &buf.ev.alloc.gfp), 0);
	buf.ev.alloc.site = symtab__intern(p->symtab, "kmalloc_caller");
	feed(p, &buf);
}

static void reclaim(struct pair *p, __u32 pid, int state)
{
	union event_buf buf = { .ev.type = LD_EV_RECLAIM, .ev.pid = pid };

	buf.ev.reclaim.state = state;
	buf.ev.reclaim.kind = LD_RECLAIM_SHRINKER;
	buf.ev.reclaim.fn = symtab__intern(p->symtab, "shrinker_scan");
	feed(p, &buf);
}

/* A class of the graph, or now and then fs_reclaim. */
static const char *class_name(struct pair *p, char buf[static 16])
{
	if (!rnd(p, 8))
		return FS_RECLAIM_CLASS;
	snprintf(buf, 16, "c%u", rnd(p, p->n));
	return buf;
}

static void import(struct pair *p)
{
	char from[16], to[16];
	struct dependency dep = {
		.from = class_name(p, from),
		.to = class_name(p, to),
		.comm = "elsewhere",
		.count = 1 + rnd(p, 3),
	};

	/* A primed import is a taint: fs_reclaim -> class. */
	if (!rnd(p, 6)) {
		dep.from = FS_RECLAIM_CLASS;
		dep.primed = true;
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(engine__import_dependency(p->engine[i], &dep), 0);
}

static const char *const rule_sets[] = {
	NULL,
	"classes:\n"
	"  - {name: c0, match: [c0]}\n"
	"  - {name: c1, match: [c1]}\n"
	"  - {name: c2, match: [c2]}\n"
	"  - {name: c3, match: [c3]}\n"
	"  - {name: c4, match: [c4]}\n"
	"  - {name: c5, match: [c5]}\n"
	"  - {name: c6, match: [c6]}\n"
	"  - {name: c7, match: [c7]}\n"
	"order: [c0, c1, c2, fs_reclaim, c3, c4, c5]\n"
	"taint_reclaim: [c4, c7]\n",
	"classes:\n"
	"  - {name: c0, match: [c0]}\n"
	"  - {name: c1, match: [c1]}\n"
	"  - {name: c2, match: [c2]}\n"
	"  - {name: c3, match: [c3]}\n"
	"  - {name: c4, match: [c4]}\n"
	"  - {name: c5, match: [c5]}\n"
	"  - {name: c6, match: [c6]}\n"
	"  - {name: c7, match: [c7]}\n"
	"order: [c5, c3, c1]\n"
	"taint_reclaim: [c0]\n"
	"suppress:\n"
	"  - {kind: circular, classes: [c1, c2], reason: \"known\"}\n",
};

static void pair_new(struct pair *p, unsigned int seed)
{
	const char *yaml;

	*p = (struct pair){ .seed = seed, .rng = 0x9e3779b97f4a7c15ull * (seed + 1) };
	p->symtab = new_symtab();
	p->gfp = new_default_gfp_layout();
	assert_non_null(p->symtab);
	assert_non_null(p->gfp);
	yaml = rule_sets[rnd(p, 3)];
	if (yaml)
		assert_int_equal(rules__load_buffer("order.yaml", yaml, strlen(yaml), &p->rules),
				 0);
	for (int i = 0; i < 2; i++) {
		p->engine[i] = new_engine(p->rules, p->symtab);
		assert_non_null(p->engine[i]);
	}
	engine__set_plain_search(p->engine[1]);
	/* Mostly small graphs, where every shape comes up; some larger ones, long reorders. */
	p->n = rnd(p, 4) ? 1 + rnd(p, 10) : rnd(p, 8) ? 1 + rnd(p, 48) : 1 + rnd(p, MAX_CLASSES);
}

static void pair_free(struct pair *p)
{
	for (int i = 0; i < 2; i++)
		engine__free(p->engine[i]);
	rules__free(p->rules);
	gfp_layout__free(p->gfp);
	symtab__free(p->symtab);
}

/* One random thing that makes dependencies; the rest of the model is not the point here. */
static void step(struct pair *p)
{
	__u32 pid = 1 + rnd(p, 3);
	unsigned int a = rnd(p, p->n), b = rnd(p, p->n), c = rnd(p, p->n);

	switch (rnd(p, 16)) {
	case 0 ... 8: /* a -> b; a == b is recursion */
		acquire(p, pid, a);
		acquire(p, pid, b);
		release(p, pid, b);
		release(p, pid, a);
		break;
	case 9:
		acquire(p, pid, a);
		acquire(p, pid, b);
		acquire(p, pid, c);
		release(p, pid, c);
		release(p, pid, b);
		release(p, pid, a);
		break;
	case 10: /* a -> fs_reclaim */
		acquire(p, pid, a);
		alloc(p, pid);
		release(p, pid, a);
		break;
	case 11: /* fs_reclaim -> b */
		reclaim(p, pid, LD_RECLAIM_ENTER);
		acquire(p, pid, b);
		release(p, pid, b);
		reclaim(p, pid, LD_RECLAIM_EXIT);
		break;
	case 12 ... 14:
		import(p);
		break;
	case 15: /* a long path in one go */
		for (unsigned int i = 0; i < 4; i++)
			acquire(p, pid, (a + i * (b + 1)) % p->n);
		for (unsigned int i = 4; i-- > 0;)
			release(p, pid, (a + i * (b + 1)) % p->n);
		break;
	}
}

#define same(p, cond, what, ...)                                                                   \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("seed %u (%u classes): " what, (p)->seed, (p)->n, ##__VA_ARGS__); \
	} while (0)

static void assert_same_dependency(struct pair *p, const struct dependency *x,
				   const struct dependency *y, size_t i)
{
	same(p, !strcmp(x->from, y->from) && !strcmp(x->to, y->to),
	     "dependency %zu: %s -> %s against %s -> %s", i, x->from, x->to, y->from, y->to);
	same(p, x->count == y->count && x->primed == y->primed, "dependency %zu %s -> %s: count", i,
	     x->from, x->to);
}

static void assert_same_findings(struct pair *p)
{
	size_t nr = engine__nr_findings(p->engine[0]);
	struct engine_stats s[2];

	same(p, nr == engine__nr_findings(p->engine[1]), "%zu findings against %zu", nr,
	     engine__nr_findings(p->engine[1]));
	for (size_t i = 0; i < nr; i++) {
		const struct finding *x = engine__finding(p->engine[0], i);
		const struct finding *y = engine__finding(p->engine[1], i);

		same(p, x->kind == y->kind, "finding %zu: kind %d against %d", i, x->kind, y->kind);
		same(p, x->nr_classes == y->nr_classes && x->nr_edges == y->nr_edges,
		     "finding %zu: %u classes against %u", i, x->nr_classes, y->nr_classes);
		for (__u32 j = 0; j < x->nr_classes; j++)
			same(p, !strcmp(x->classes[j], y->classes[j]),
			     "finding %zu: class %u is %s against %s", i, j, x->classes[j],
			     y->classes[j]);
		for (__u32 j = 0; j < x->nr_edges; j++)
			assert_same_dependency(p, x->edges[j], y->edges[j], j);
		same(p, x->count == y->count && x->suppressed == y->suppressed,
		     "finding %zu: count or suppression", i);
	}
	same(p, engine__nr_dependencies(p->engine[0]) == engine__nr_dependencies(p->engine[1]),
	     "dependencies");
	for (size_t i = 0; i < engine__nr_dependencies(p->engine[0]); i++) {
		struct dependency x, y;

		assert_int_equal(engine__dependency(p->engine[0], i, &x), 0);
		assert_int_equal(engine__dependency(p->engine[1], i, &y), 0);
		assert_same_dependency(p, &x, &y, i);
	}
	engine__stats(p->engine[0], &s[0]);
	engine__stats(p->engine[1], &s[1]);
	same(p, !memcmp(&s[0], &s[1], sizeof(s[0])), "stats");
}

static void test_random_graphs(void **state)
{
	unsigned int cycles = 0, findings = 0;

	(void)state;
	for (unsigned int seed = 1; seed <= 1500; seed++) {
		struct pair p;
		unsigned int steps;

		pair_new(&p, seed);
		for (unsigned int i = 0; i < p.n; i++)
			init_lock(&p, i);
		steps = rnd(&p, 3) ? rnd(&p, 60) : p.n > 48 ? rnd(&p, 4000) : rnd(&p, 600);
		for (unsigned int i = 0; i < steps; i++) {
			step(&p);
			/* Now and then midway too: a finding made late could hide an early mistake.
			 */
			if (!rnd(&p, 50))
				assert_same_findings(&p);
		}
		assert_same_findings(&p);
		for (size_t i = 0; i < engine__nr_findings(p.engine[0]); i++)
			cycles += engine__finding(p.engine[0], i)->kind == FINDING_CIRCULAR;
		findings += engine__nr_findings(p.engine[0]);
		pair_free(&p);
	}
	/* The graphs must have made what they are here to compare. */
	assert_true(cycles > 1000);
	assert_true(findings > cycles);
}

/*
 * A graph imported into an engine that already holds one: the service's
 * state, then merge of a second machine's, some of it against the order
 * the first one set.
 */
static void test_imported_graphs(void **state)
{
	(void)state;
	for (unsigned int seed = 1; seed <= 300; seed++) {
		struct pair p;

		pair_new(&p, seed + 100000);
		for (unsigned int i = 0; i < p.n; i++)
			init_lock(&p, i);
		for (unsigned int i = 0; i < 40; i++)
			step(&p);
		for (unsigned int i = 0; i < 60; i++)
			import(&p);
		assert_same_findings(&p);
		pair_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_graphs),
		cmocka_unit_test(test_imported_graphs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
