// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The class graph as DOT: graphs built through the engine's import API (or
 * a text trace), written to memory, and the DOT lines checked: quoting,
 * the red cycle edges and no others, the finding and class selections,
 * module clusters, and the pruning of large graphs.
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

#include "constructors.h"

#include "engine/engine.h"
#include "event/symtab.h"
#include "output/graph.h"
#include "source/trace/trace.h"

struct fixture {
	struct symtab *symtab;
	struct engine *engine;
	char *dot;
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->symtab = new_symtab();
	assert_non_null(f->symtab);
	f->engine = new_engine(NULL, f->symtab);
	assert_non_null(f->engine);
	return f;
}

static void fixture_free(struct fixture *f)
{
	engine__free(f->engine);
	symtab__free(f->symtab);
	free(f->dot);
	free(f);
}

/* from -> to first taken at function site (a symbol name, or NULL). */
static void dep(struct fixture *f, const char *from, const char *to, const char *site, __u64 count)
{
	struct dependency d = {
		.from = from,
		.to = to,
		.comm = "test",
		.count = count,
		.acquired = { .ip = site ? symtab__intern(f->symtab, site) : 0 },
	};

	assert_int_equal(engine__import_dependency(f->engine, &d), 0);
}

static void replay_text(struct fixture *f, const char *text)
{
	struct trace_reader *reader;

	assert_int_equal(
		trace_reader__open_memory(text, strlen(text), "test.trace", f->symtab, &reader), 0);
	assert_int_equal(trace_reader__replay(reader, engine__replay_event, f->engine), 0);
	trace_reader__free(reader);
}

static int write_graph(struct fixture *f, const struct graph_opts *opts)
{
	size_t len = 0;
	FILE *out;
	int err;

	free(f->dot);
	f->dot = NULL;
	out = open_memstream(&f->dot, &len);
	assert_non_null(out);
	err = graph_write(out, f->engine, f->symtab, opts);
	assert_int_equal(fclose(out), 0);
	return err;
}

/* Lines of f->dot holding every one of the (NULL-terminated) strings. */
static unsigned int count_lines(const struct fixture *f, ...)
{
	unsigned int n = 0;

	for (const char *line = f->dot; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, len);
		bool all = true;
		va_list ap;

		assert_non_null(copy);
		va_start(ap, f);
		for (const char *s; (s = va_arg(ap, const char *));)
			all = all && strstr(copy, s);
		va_end(ap);
		n += all;
		free(copy);
		line += len + (end != NULL);
	}
	return n;
}

#define LINES(f, ...) count_lines(f, __VA_ARGS__, (const char *)NULL)
#define EDGES(f)      LINES(f, "\" -> \"")
#define RED_EDGES(f)  LINES(f, "\" -> \"", "color=red")
#define NODES(f)      (LINES(f, "\" [label=") - EDGES(f))

static const char abba[] = "init    lock=0xffff8880cc000100 name=\"&a->lock\" site=a_init\n"
			   "init    lock=0xffff8880cc000200 name=\"&b->lock\" site=b_init\n"
			   "acquire pid=1 lock=0xffff8880cc000100 ip=one+0x10 comm=one\n"
			   "acquire pid=1 lock=0xffff8880cc000200 ip=one+0x20\n"
			   "release pid=1 lock=0xffff8880cc000200\n"
			   "release pid=1 lock=0xffff8880cc000100\n"
			   "acquire pid=2 lock=0xffff8880cc000200 ip=two+0x10 comm=two\n"
			   "acquire pid=2 lock=0xffff8880cc000100 ip=two+0x20\n"
			   "release pid=2 lock=0xffff8880cc000100\n"
			   "acquire pid=2 lock=0xffff8880cc000100 ip=two+0x20\n"
			   "release pid=2 lock=0xffff8880cc000100\n"
			   "release pid=2 lock=0xffff8880cc000200\n";

static void test_abba_from_trace(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = {};

	replay_text(f, abba);
	assert_int_equal(write_graph(f, &opts), 0);
	assert_non_null(strstr(f->dot, "digraph lockdepd {\n"));
	assert_non_null(strstr(f->dot, "rankdir=TB"));
	assert_int_equal(EDGES(f), 2);
	assert_int_equal(RED_EDGES(f), 2);
	/* Hit count and the function of the first acquisition, offset dropped. */
	assert_int_equal(LINES(f, "\t\"&a->lock\" -> \"&b->lock\" [label=\"1× one\"", "color=red"),
			 1);
	assert_int_equal(LINES(f, "\t\"&b->lock\" -> \"&a->lock\" [label=\"2× two\"", "color=red",
			       "constraint=false"),
			 1);
	/* fs_reclaim with no dependency says nothing: not drawn. */
	assert_int_equal(LINES(f, "fs_reclaim\" ["), 0);
	fixture_free(f);
}

static void test_only_cycle_edges_red(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = {};

	dep(f, "top", "A", "take_a+0x1", 1);
	dep(f, "A", "B", "take_b+0x1", 3);
	dep(f, "B", "C", "take_c+0x1", 1);
	dep(f, "C", "bottom", NULL, 1);
	dep(f, "C", "A", "take_a_late+0x8", 1); /* closes A -> B -> C -> A */
	assert_int_equal(engine__nr_findings(f->engine), 1);
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(EDGES(f), 5);
	assert_int_equal(RED_EDGES(f), 3);
	assert_int_equal(LINES(f, "\"A\" -> \"B\" [label=\"3× take_b\"", "color=red"), 1);
	assert_int_equal(LINES(f, "\"B\" -> \"C\"", "color=red"), 1);
	assert_int_equal(LINES(f, "\"C\" -> \"A\"", "color=red", "constraint=false"), 1);
	assert_int_equal(LINES(f, "\"top\" -> \"A\"", "color=red"), 0);
	/* No function known: the count alone. */
	assert_int_equal(LINES(f, "\"C\" -> \"bottom\" [label=\"1×\"]"), 1);
	fixture_free(f);
}

static void test_finding_selection(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = { .finding = 2 };

	dep(f, "A", "B", NULL, 1);
	dep(f, "B", "A", NULL, 1); /* finding 1 */
	dep(f, "B", "X", NULL, 1); /* A's and B's neighbour, not a cycle's */
	dep(f, "X", "far", NULL, 1); /* two away from finding 2 */
	dep(f, "P", "Q", NULL, 1);
	dep(f, "Q", "R", NULL, 1);
	dep(f, "R", "P", NULL, 1); /* finding 2 */
	dep(f, "R", "S", NULL, 1);
	assert_int_equal(engine__nr_findings(f->engine), 2);

	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(RED_EDGES(f), 3);
	assert_int_equal(LINES(f, "\"P\" -> \"Q\"", "color=red"), 1);
	assert_int_equal(LINES(f, "\"Q\" -> \"R\"", "color=red"), 1);
	assert_int_equal(LINES(f, "\"R\" -> \"P\"", "color=red"), 1);
	assert_int_equal(LINES(f, "\"R\" -> \"S\""), 1);
	assert_int_equal(LINES(f, "\"A\""), 0);
	assert_int_equal(LINES(f, "finding 2 and its neighbours: 4 of 9 classes"), 1);

	opts.finding = 1;
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(RED_EDGES(f), 2);
	assert_int_equal(LINES(f, "\"B\" -> \"X\""), 1);
	assert_int_equal(LINES(f, "\"far\""), 0);
	assert_int_equal(LINES(f, "\"P\""), 0);
	/* X has a dependency that is not drawn. */
	assert_int_equal(LINES(f, "\"X\" [label=\"X\\n+1 not drawn\""), 1);

	opts.finding = 3;
	assert_int_equal(write_graph(f, &opts), -ENOENT);
	opts.finding = 1;
	opts.class_name = "A";
	assert_int_equal(write_graph(f, &opts), -EINVAL);
	fixture_free(f);
}

static void test_class_selection(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = { .class_name = "hub" };
	char name[32];

	/* A class's own neighbourhood is drawn whole, up to max_classes. */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		dep(f, name, "hub", NULL, 1);
	}
	dep(f, "c0", "elsewhere", NULL, 1);
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(EDGES(f), 20);
	assert_int_equal(LINES(f, "\"elsewhere\""), 0);
	assert_int_equal(LINES(f, "hub and its neighbours: 21 of 23 classes"), 1);

	opts.max_classes = 5;
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(EDGES(f), 4);
	assert_int_equal(LINES(f, "\"hub\" [label=\"hub\\n+16 not drawn\""), 1);

	opts.class_name = "nothing";
	assert_int_equal(write_graph(f, &opts), -ENOENT);
	fixture_free(f);
}

static void test_quoting(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = {};

	dep(f, "say \"hi\"", "back\\slash", "func+0x1", 1);
	dep(f, "&amp;", "bad\x01\xff utf8 \xc3\xa9", NULL, 1);
	assert_int_equal(write_graph(f, &opts), 0);
	/* IDs: '"' and '\' escaped; labels: the same, and an entity made literal. */
	assert_int_equal(LINES(f, "\t\"say \\\"hi\\\"\" -> \"back\\\\slash\""), 1);
	assert_int_equal(LINES(f, "\t\"&amp;\" [label=\"&amp;amp;\""), 1);
	/* Control bytes and invalid UTF-8 become '?', valid UTF-8 stays. */
	assert_int_equal(LINES(f, "\t\"bad?? utf8 \xc3\xa9\" [label="), 1);
	fixture_free(f);
}

static void test_fs_reclaim_and_primed(void **state)
{
	static const char rules_free_seed[] =
		"init    lock=0xffff8880aa000010 name=\"&vm->mutex\" site=init\n"
		"acquire pid=120 lock=0xffff8880aa000010 ip=i915_vma_pin_ww+0x1c comm=gem\n"
		"alloc   pid=120 gfp=GFP_KERNEL site=i915_vma_instance+0x3c\n"
		"release pid=120 lock=0xffff8880aa000010\n"
		"reclaim pid=130 state=enter kind=shrinker fn=i915_gem_shrinker_scan\n"
		"acquire pid=130 lock=0xffff8880aa000010 ip=i915_vma_unbind+0x10\n"
		"release pid=130 lock=0xffff8880aa000010\n"
		"reclaim pid=130 state=exit kind=shrinker\n";
	struct fixture *f = fixture_new();
	struct graph_opts opts = {};
	struct dependency primed = { .from = "fs_reclaim", .to = "tainted", .primed = true };

	replay_text(f, rules_free_seed);
	assert_int_equal(engine__import_dependency(f->engine, &primed), 0);
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(LINES(f, "\"fs_reclaim\" [label=\"fs_reclaim\\n(pseudo-lock)\"",
			       "shape=diamond", "dashed"),
			 1);
	assert_int_equal(LINES(f,
			       "\"&vm->mutex\" -> \"fs_reclaim\" [label=\"1× i915_vma_instance\"",
			       "color=red"),
			 1);
	assert_int_equal(LINES(f, "\"fs_reclaim\" -> \"&vm->mutex\"", "(shrinker)", "color=red"),
			 1);
	assert_int_equal(LINES(f,
			       "\"fs_reclaim\" -> \"tainted\" [label=\"taint_reclaim\\n(rules)\"",
			       "style=dashed"),
			 1);
	assert_int_equal(RED_EDGES(f), 2);
	fixture_free(f);
}

static void test_module_clusters(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = {};

	struct dependency primed = { .from = "fs_reclaim", .to = "gpu", .primed = true };

	/* A primed taint has no site: gpu's module comes from the next dependency. */
	assert_int_equal(engine__import_dependency(f->engine, &primed), 0);
	dep(f, "core", "gpu", "i915_vma_pin+0x1c/0x80 [i915]", 1);
	dep(f, "gpu", "gpu2", "xe_bo_lock+0x10/0x40 [xe]", 1);
	dep(f, "gpu2", "other", "i915_other+0x4/0x10 [i915]", 1);
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(LINES(f, "subgraph \"cluster_"), 2);
	assert_int_equal(LINES(f, "label=\"[i915]\""), 1);
	assert_int_equal(LINES(f, "label=\"[xe]\""), 1);
	/* gpu was first taken in i915, gpu2 in xe; core has no site of its own. */
	assert_non_null(strstr(f->dot, "label=\"[i915]\";\n\t\tstyle=dashed;\n\t\tcolor=grey;\n"
				       "\t\t\"gpu\" [label=\"gpu\""));
	assert_non_null(strstr(f->dot, "label=\"[xe]\";\n\t\tstyle=dashed;\n\t\tcolor=grey;\n"
				       "\t\t\"gpu2\" [label=\"gpu2\""));
	assert_non_null(strstr(f->dot, "\n\t\"core\" [label=\"core\""));
	fixture_free(f);
}

static void test_large_graph_pruned(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = {};
	char from[32], to[32];
	const int n = 2000;

	/* A chain, a hub taken under every tenth class, and one short cycle. */
	for (int i = 1; i < n; i++) {
		snprintf(from, sizeof(from), "l%d", i - 1);
		snprintf(to, sizeof(to), "l%d", i);
		dep(f, from, to, NULL, 1);
		if (i % 10 == 0)
			dep(f, to, "hub", NULL, 1);
	}
	dep(f, "l1003", "l1000", NULL, 1);
	assert_int_equal(engine__nr_findings(f->engine), 1);

	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(RED_EDGES(f), 4);
	assert_true(NODES(f) <= 4 + 2 * GRAPH_PRUNE_DISTANCE * (GRAPH_FANOUT + 1));
	assert_int_equal(LINES(f, "pruned to the ", "of 2002 classes nearest the findings"), 1);
	assert_int_equal(LINES(f, "\"hub\" [label=\"hub\\n+"), 1);
	assert_int_equal(LINES(f, "\"l998\" ["), 1);
	assert_int_equal(LINES(f, "\"l997\" ["), 0);

	opts.max_classes = 3;
	assert_int_equal(write_graph(f, &opts), 0);
	/* The first finding is drawn whole, whatever the limit. */
	assert_int_equal(NODES(f), 4);
	assert_int_equal(RED_EDGES(f), 4);

	opts.max_classes = GRAPH_UNLIMITED;
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(NODES(f), 2001); /* fs_reclaim, alone, is left out */
	assert_int_equal(LINES(f, "pruned"), 0);
	fixture_free(f);
}

static void test_no_findings_pruned(void **state)
{
	struct fixture *f = fixture_new();
	struct graph_opts opts = { .max_classes = 10 };
	char from[32], to[32];

	for (int i = 1; i < 50; i++) {
		snprintf(from, sizeof(from), "l%d", i - 1);
		snprintf(to, sizeof(to), "l%d", i);
		dep(f, from, to, NULL, 1);
	}
	assert_int_equal(write_graph(f, &opts), 0);
	assert_int_equal(NODES(f), 10);
	assert_int_equal(RED_EDGES(f), 0);
	assert_int_equal(LINES(f, "pruned to the first 10 of 51 classes learned"), 1);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abba_from_trace),
		cmocka_unit_test(test_only_cycle_edges_red),
		cmocka_unit_test(test_finding_selection),
		cmocka_unit_test(test_class_selection),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_fs_reclaim_and_primed),
		cmocka_unit_test(test_module_clusters),
		cmocka_unit_test(test_large_graph_pruned),
		cmocka_unit_test(test_no_findings_pruned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
