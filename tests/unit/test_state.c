// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The saved graph (daemon/service/state_*.c) and what the engine offers it: a round
 * trip keeps every class, dependency (first-seen stacks as names, test,
 * counts) and finding count; corrupt and newer files are refused with the
 * line that is wrong; importing two graphs finds an inversion neither holds
 * alone; new rules apply to a graph already learned. Also how the lines are
 * read: json-c, strictly, with what state_read.c adds to it (names that are
 * no UTF-8 written as arrays of their bytes and read back byte for byte,
 * version 1 files read only where their \u00XX escapes cannot mislead, NUL
 * refused, integers exact to 64 bits).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "constructors.h"

#include "engine/engine.h"
#include "output/report.h"
#include "engine/rules.h"
#include "service/state.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

/* --- helpers ----------------------------------------------------------------- */

struct graph {
	struct symtab *symtab;
	struct rules *rules;
	struct engine *engine;
	unsigned int callbacks;
};

static void count_finding(const struct finding *finding, void *ctx)
{
	((struct graph *)ctx)->callbacks++;
}

static struct graph *graph_new(const char *rules_yaml)
{
	struct graph *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	g->symtab = new_symtab();
	assert_non_null(g->symtab);
	if (rules_yaml)
		assert_int_equal(
			rules__load_buffer("t.yaml", rules_yaml, strlen(rules_yaml), &g->rules), 0);
	g->engine = new_engine(g->rules, g->symtab);
	assert_non_null(g->engine);
	engine__set_finding_fn(g->engine, count_finding, g);
	return g;
}

static void graph_free(struct graph *g)
{
	engine__free(g->engine);
	rules__free(g->rules);
	symtab__free(g->symtab);
	free(g);
}

static void feed_text(struct graph *g, const char *trace)
{
	struct trace_reader *reader = NULL;
	const struct ld_event *event;
	int err;

	assert_int_equal(
		trace_reader__open_memory(trace, strlen(trace), "t.trace", g->symtab, &reader), 0);
	while ((err = trace_reader__next(reader, &event)) > 0)
		assert_int_equal(engine__feed(g->engine, event), 0);
	assert_int_equal(err, 0);
	trace_reader__free(reader);
}

static char dir[PATH_MAX];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/lockdepd-state-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *path_in_dir(const char *name)
{
	static char paths[4][PATH_MAX];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	assert_non_null(f);
	assert_int_equal(getdelim(&buf, &len, '\0', f) >= 0, 1);
	fclose(f);
	return buf;
}

/* The file without its first line (the header carries the time of saving). */
static char *read_body(const char *path)
{
	char *all = read_file(path);
	char *nl = strchr(all, '\n');
	char *body;

	assert_non_null(nl);
	body = strdup(nl + 1);
	free(all);
	return body;
}

static bool has_class(const struct engine *engine, const char *name)
{
	for (size_t i = 0; i < engine__nr_classes(engine); i++)
		if (strcmp(engine__class(engine, i, NULL), name) == 0)
			return true;
	return false;
}

static const struct finding *find(const struct engine *engine, int kind)
{
	for (size_t i = 0; i < engine__nr_findings(engine); i++)
		if ((int)engine__finding(engine, i)->kind == kind)
			return engine__finding(engine, i);
	return NULL;
}

/* A -> B in one test, B -> A (twice) in another, an allocation under C. */
static const char *const rich_trace =
	"init lock=0x10 name=\"&a->lock\" site=a_init\n"
	"init lock=0x20 name=\"&b->lock\" site=b_init\n"
	"init lock=0x30 name=\"&c->lock\" site=c_init\n"
	"mark text=\"[IGT] gem_one: executing\"\n"
	"mark text=\"[IGT] gem_one: starting subtest ab\"\n"
	"acquire pid=1 lock=0x10 ip=f+0x1 stack=f+0x1;ioctl+0x8 comm=one\n"
	"acquire pid=1 lock=0x20 type=ww_mutex try=1 ip=f+0x2 stack=f+0x2;ioctl+0x8 comm=one\n"
	"release pid=1 lock=0x20\n"
	"acquire pid=1 lock=0x20 ip=f+0x3 stack=f+0x3;ioctl+0x8 comm=one\n"
	"release pid=1 lock=0x20\n"
	"release pid=1 lock=0x10\n"
	"mark text=\"[IGT] gem_one: exiting, ret=0\"\n"
	"mark text=\"[IGT] gem_two: executing\"\n"
	"mark text=\"[IGT] gem_two: starting subtest ba\"\n"
	"acquire pid=2 lock=0x20 ip=g+0x1 stack=g+0x1 comm=two\n"
	"acquire pid=2 lock=0x10 ip=g+0x2 stack=\"g+0x2;weird\\x01name\" comm=two\n"
	"release pid=2 lock=0x10\n"
	"acquire pid=2 lock=0x10 ip=g+0x2 comm=two\n"
	"release pid=2 lock=0x10\n"
	"release pid=2 lock=0x20\n"
	"acquire pid=3 lock=0x30 ip=0x1234 comm=three\n"
	"alloc pid=3 gfp=GFP_KERNEL site=c_alloc+0x4 stack=kmalloc+0x1;c_alloc+0x4\n"
	"release pid=3 lock=0x30\n"
	"reclaim pid=4 state=enter kind=shrinker fn=c_shrink\n"
	"acquire pid=4 lock=0x30 ip=c_shrink+0x8 comm=kswapd0\n";

static const char *const rich_rules = "classes:\n"
				      "  - {name: A, match: [\"&a->lock\"]}\n"
				      "  - {name: B, match: [\"&b->lock\"]}\n"
				      "  - {name: C, match: [\"&c->lock\"]}\n"
				      "  - {name: D}\n"
				      "taint_reclaim: [D]\n";

/* --- round trip ---------------------------------------------------------------- */

static void assert_same_dependency(const struct dependency *a, const struct dependency *b,
				   struct symtab *sa, struct symtab *sb)
{
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->to, b->to);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->primed, b->primed);
	if (a->primed)
		return;
	assert_string_equal(a->comm, b->comm);
	assert_int_equal(a->time_ns, b->time_ns);
	if (a->test || b->test) {
		assert_non_null(a->test);
		assert_non_null(b->test);
		assert_string_equal(a->test, b->test);
	}
	if (a->reclaim_kind || b->reclaim_kind)
		assert_string_equal(a->reclaim_kind, b->reclaim_kind);
	assert_int_equal(a->held.lock, b->held.lock);
	assert_int_equal(a->acquired.lock, b->acquired.lock);
	assert_int_equal(a->acquired.lock_type, b->acquired.lock_type);
	assert_int_equal(a->acquired.trylock, b->acquired.trylock);
	assert_int_equal(a->held.nr_stack, b->held.nr_stack);
	assert_int_equal(a->acquired.nr_stack, b->acquired.nr_stack);
	for (__u32 i = 0; i < a->acquired.nr_stack; i++) {
		const char *na = symtab__lookup(sa, a->acquired.stack[i]);
		const char *nb = symtab__lookup(sb, b->acquired.stack[i]);

		if (na)
			assert_string_equal(na, nb);
		else
			assert_int_equal(a->acquired.stack[i], b->acquired.stack[i]);
	}
	if (symtab__lookup(sa, a->acquired.ip))
		assert_string_equal(symtab__lookup(sa, a->acquired.ip),
				    symtab__lookup(sb, b->acquired.ip));
	else
		assert_int_equal(a->acquired.ip, b->acquired.ip);
}

static void test_round_trip(void **state)
{
	struct graph *g = graph_new(rich_rules), *h = graph_new(rich_rules);
	struct state_meta meta = { .host = "ci-7", .kernel_release = "6.1.0-56-amd64" };
	const char *path = path_in_dir("state.jsonl");
	const char *again = path_in_dir("again.jsonl");
	struct state_info info;
	char error[256] = "";
	char *body1, *body2;
	struct stat st;

	feed_text(g, rich_trace);
	assert_non_null(find(g->engine, FINDING_CIRCULAR));
	assert_non_null(find(g->engine, FINDING_RECLAIM));
	assert_int_equal(find(g->engine, FINDING_CIRCULAR)->count, 2);
	assert_int_equal(state_save(path, g->engine, g->symtab, &meta), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(state_load(path, h->engine, h->symtab, &info, error, sizeof(error)), 0);
	assert_int_equal(info.version, STATE_VERSION);
	assert_string_equal(info.host, "ci-7");
	assert_string_equal(info.kernel_release, "6.1.0-56-amd64");
	assert_int_equal(info.classes, engine__nr_classes(g->engine));
	assert_int_equal(info.dependencies, engine__nr_dependencies(g->engine));
	assert_int_equal(info.findings, 2);
	assert_int_equal(info.findings_restored, 2);
	/* Re-derived findings go through the callback (the service sets it after loading). */
	assert_int_equal(h->callbacks, 2);

	assert_int_equal(engine__nr_classes(h->engine), engine__nr_classes(g->engine));
	for (size_t i = 0; i < engine__nr_classes(g->engine); i++) {
		bool ua = false, ub = false;

		assert_string_equal(engine__class(g->engine, i, &ua),
				    engine__class(h->engine, i, &ub));
		assert_int_equal(ua, ub);
	}
	assert_int_equal(engine__nr_dependencies(h->engine), engine__nr_dependencies(g->engine));
	for (size_t i = 0; i < engine__nr_dependencies(g->engine); i++) {
		struct dependency a, b;

		assert_int_equal(engine__dependency(g->engine, i, &a), 0);
		assert_int_equal(engine__dependency(h->engine, i, &b), 0);
		assert_same_dependency(&a, &b, g->symtab, h->symtab);
	}
	assert_int_equal(engine__nr_findings(h->engine), engine__nr_findings(g->engine));
	for (size_t i = 0; i < engine__nr_findings(g->engine); i++) {
		const struct finding *a = engine__finding(g->engine, i);
		const struct finding *b = engine__finding(h->engine, i);

		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->count, b->count);
		assert_int_equal(a->nr_classes, b->nr_classes);
		for (__u32 c = 0; c < a->nr_classes; c++)
			assert_string_equal(a->classes[c], b->classes[c]);
		if (a->test)
			assert_string_equal(a->test, b->test);
		assert_true(engine__finding_restored(h->engine, i));
		assert_false(engine__finding_restored(g->engine, i));
	}
	assert_string_equal(find(h->engine, FINDING_CIRCULAR)->test, "igt@gem_two@ba");

	/* Saving what was loaded writes the same graph, byte for byte. */
	assert_int_equal(state_save(again, h->engine, h->symtab, &meta), 0);
	body1 = read_body(path);
	body2 = read_body(again);
	assert_string_equal(body1, body2);
	/* Names, not addresses; a control character is escaped. */
	assert_non_null(strstr(body1, "\"frames\":[\"g+0x2\",\"weird\\u0001name\"]"));
	assert_non_null(strstr(body1, "\"ip\":\"0x1234\""));
	assert_non_null(strstr(body1, "{\"dep\":[\"fs_reclaim\",\"D\"],\"primed\":true}"));
	assert_non_null(strstr(body1, "\"reclaim_kind\":\"shrinker\""));
	free(body1);
	free(body2);

	/* No temporary file is left behind. */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		int files = 0;

		assert_non_null(d);
		while ((e = readdir(d)))
			/* Hidden files count: a temporary file is ".state.jsonl.XXXXXX". */
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				files++;
		closedir(d);
		assert_int_equal(files, 2);
	}
	graph_free(g);
	graph_free(h);
}

/* Counts grow after a load, and the next save keeps them. */
static void test_counts_continue(void **state)
{
	struct graph *g = graph_new(rich_rules), *h = graph_new(rich_rules);
	const char *path = path_in_dir("state.jsonl");
	char error[256];

	feed_text(g, rich_trace);
	assert_int_equal(state_save(path, g->engine, g->symtab, NULL), 0);
	assert_int_equal(state_load(path, h->engine, h->symtab, NULL, error, sizeof(error)), 0);
	feed_text(h, "init lock=0x50 name=\"&a->lock\" site=a_init\n"
		     "init lock=0x60 name=\"&b->lock\" site=b_init\n"
		     "acquire pid=9 lock=0x60 ip=x+0x1\n"
		     "acquire pid=9 lock=0x50 ip=x+0x2\n");
	assert_int_equal(find(h->engine, FINDING_CIRCULAR)->count, 3);
	assert_int_equal(h->callbacks, 2); /* nothing new was found */
	/* A plain restored edge (C -> fs_reclaim) keeps counting, and its count is saved. */
	feed_text(h, "init lock=0x70 name=\"&c->lock\" site=c_init\n"
		     "acquire pid=8 lock=0x70 ip=y+0x1\n"
		     "alloc pid=8 gfp=GFP_KERNEL site=y+0x2\n"
		     "alloc pid=8 gfp=GFP_KERNEL site=y+0x3\n");
	for (size_t i = 0; i < engine__nr_dependencies(h->engine); i++) {
		struct dependency dep;

		assert_int_equal(engine__dependency(h->engine, i, &dep), 0);
		if (strcmp(dep.from, "C") == 0 && strcmp(dep.to, FS_RECLAIM_CLASS) == 0)
			assert_int_equal(dep.count, 3);
	}
	assert_int_equal(state_save(path, h->engine, h->symtab, NULL), 0);
	{
		char *text = read_file(path);

		assert_non_null(strstr(text, "{\"dep\":[\"C\",\"fs_reclaim\"],\"count\":3,"));
		free(text);
	}
	graph_free(g);
	graph_free(h);
}

/* --- bad files -------------------------------------------------------------------- */

struct bad_case {
	const char *text;
	int err;
	const char *error; /* after "<path>:" */
};

static const struct bad_case bad_cases[] = {
	{ "", -EINVAL, " empty file, expected a lockdepd state file" },
	{ "{\"lockdepd_state\":3}\n{\"end\":{}}\n", -EPROTONOSUPPORT,
	  "1: state format version 3 is newer than this lockdepd's (2)" },
	{ "{\"lockdepd_state\":0}\n", -EINVAL,
	  "1: expected a version number in \"lockdepd_state\"" },
	{ "{\"class\":\"A\"}\n", -EINVAL,
	  "1: expected a lockdepd state file, starting with its header" },
	{ "[1]\n", -EINVAL, "1: expected a lockdepd state file header" },
	{ "garbage\n", -EINVAL, "1: column 1: unexpected character" },
	{ "{\"lockdepd_state\":1}\n{\"class\":\"A\"}\n", -EINVAL,
	  " truncated: no end record after line 2" },
	{ "{\"lockdepd_state\":1}\n{\"class\":\"A\"}\n{\"dep\":[\"A\",", -EINVAL,
	  "3: column 13: unexpected end of data" },
	{ "{\"lockdepd_state\":1}\n{\"class\":\"A\"}\n"
	  "{\"end\":{\"classes\":2,\"dependencies\":0,\"findings\":0}}\n",
	  -EINVAL,
	  "3: records missing: the end record counts 2 classes, 0 dependencies, 0 findings; the "
	  "file holds 1, 0, 0" },
	{ "{\"lockdepd_state\":1}\n{\"end\":{\"classes\":0,\"dependencies\":0,\"findings\":0}}\n"
	  "{\"class\":\"A\"}\n",
	  -EINVAL, "3: expected nothing after the end record" },
	{ "{\"lockdepd_state\":1}\n{\"dep\":[\"A\"]}\n", -EINVAL,
	  "2: expected \"dep\": [from, to], two class names" },
	{ "{\"lockdepd_state\":1}\n{\"dep\":[\"A\",\"B\"],\"count\":0}\n", -EINVAL,
	  "2: expected a \"count\" of at least 1" },
	{ "{\"lockdepd_state\":1}\n{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,"
	  "\"held\":{\"lock\":\"0x1\",\"ip\":null,\"type\":\"mutex\",\"stack\":1},"
	  "\"acquired\":{\"lock\":\"0x2\",\"ip\":null,\"type\":\"mutex\"}}\n",
	  -EINVAL, "2: expected \"stack\" to name a stack written before" },
	{ "{\"lockdepd_state\":1}\n{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,"
	  "\"held\":{\"lock\":\"0x1\",\"ip\":null,\"type\":\"futex\"},"
	  "\"acquired\":{\"lock\":\"0x2\",\"ip\":null,\"type\":\"mutex\"}}\n",
	  -EINVAL, "2: expected \"held\" to have a lock \"type\"" },
	{ "{\"lockdepd_state\":1}\n{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,"
	  "\"reclaim_kind\":\"sometimes\","
	  "\"held\":{\"lock\":\"0x1\",\"ip\":null,\"type\":\"mutex\"},"
	  "\"acquired\":{\"lock\":\"0x2\",\"ip\":null,\"type\":\"mutex\"}}\n",
	  -EINVAL, "2: expected a reclaim kind, got \"sometimes\"" },
	{ "{\"lockdepd_state\":1}\n{\"stack\":2,\"frames\":[\"f\"]}\n", -EINVAL,
	  "2: expected stack 1 (stack numbers count up from 1)" },
	{ "{\"lockdepd_state\":1}\n{\"stack\":1,\"frames\":[\"0xzz\"]}\n", -EINVAL,
	  "2: expected an address, got \"0xzz\"" },
	{ "{\"lockdepd_state\":1}\n{\"finding\":\"deadlock\",\"classes\":[\"A\"],\"count\":1}\n",
	  -EINVAL, "2: expected a finding kind" },
	{ "{\"lockdepd_state\":1}\n{\"lockdepd_state\":1}\n", -EINVAL,
	  "2: expected one header, at the top" },
	{ "{\"lockdepd_state\":1}\n{\"class\":\"A\\u0000\"}\n", -EINVAL,
	  "2: a NUL character inside a string" },
};

/* Each case refused as it says; all cases are tried, the failures listed. */
static void assert_bad_cases(const struct bad_case *cases, size_t nr_cases)
{
	const char *path = path_in_dir("bad.jsonl");
	size_t failed = 0;

	for (size_t i = 0; i < nr_cases; i++) {
		struct graph *g = graph_new(NULL);
		char error[512] = "", expected[PATH_MAX + 512];
		int err;

		write_file(path, cases[i].text);
		err = state_load(path, g->engine, g->symtab, NULL, error, sizeof(error));
		snprintf(expected, sizeof(expected), "%s:%s", path, cases[i].error);
		if (err != cases[i].err || strcmp(error, expected) != 0) {
			print_error("case %zu: got %d '%s'\n   expected %d '%s'\n", i, err, error,
				    cases[i].err, expected);
			failed++;
		}
		graph_free(g);
	}
	assert_int_equal(failed, 0);
}

static void test_bad_files(void **state)
{
	assert_bad_cases(bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]));
}

static void test_missing_and_quarantine(void **state)
{
	struct graph *g = graph_new(NULL);
	const char *path = path_in_dir("state.jsonl");
	char error[64] = "", moved[PATH_MAX + 64];
	char *text;

	assert_int_equal(state_load(path, g->engine, g->symtab, NULL, error, sizeof(error)),
			 -ENOENT);
	assert_string_equal(error, "");
	write_file(path, "not a state file\n");
	assert_int_equal(state_quarantine(path, moved, sizeof(moved)), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_non_null(strstr(moved, "/state.jsonl.corrupt-"));
	text = read_file(moved);
	assert_string_equal(text, "not a state file\n");
	free(text);
	assert_int_equal(state_quarantine(path, moved, sizeof(moved)), -ENOENT);
	graph_free(g);
}

/* A record type this version does not know is skipped, as state.h promises. */
static void test_unknown_records_skipped(void **state)
{
	struct graph *g = graph_new(NULL);
	const char *path = path_in_dir("state.jsonl");
	char error[256];

	write_file(path, "{\"lockdepd_state\":1,\"future_key\":[1,2]}\n"
			 "{\"class\":\"A\",\"colour\":\"blue\"}\n"
			 "{\"hint\":\"from a later minor change\"}\n"
			 "\n"
			 "{\"end\":{\"classes\":1,\"dependencies\":0,\"findings\":0,\"x\":1}}\n");
	assert_int_equal(state_load(path, g->engine, g->symtab, NULL, error, sizeof(error)), 0);
	assert_string_equal(engine__class(g->engine, 1, NULL), "A");
	graph_free(g);
}

/* --- merging: importing several graphs into one --------------------------------------- */

static const char *const half_ab = "init lock=0x10 name=\"&a->lock\" site=a_init\n"
				   "init lock=0x20 name=\"&b->lock\" site=b_init\n"
				   "mark text=\"[IGT] one: executing\"\n"
				   "acquire pid=1 lock=0x10 ip=f+0x1\n"
				   "acquire pid=1 lock=0x20 ip=f+0x2\n";
static const char *const half_ba = "init lock=0x10 name=\"&a->lock\" site=a_init\n"
				   "init lock=0x20 name=\"&b->lock\" site=b_init\n"
				   "mark text=\"[IGT] two: executing\"\n"
				   "acquire pid=2 lock=0x20 ip=g+0x1\n"
				   "acquire pid=2 lock=0x10 ip=g+0x2\n"
				   "release pid=2 lock=0x10\n"
				   "acquire pid=2 lock=0x10 ip=g+0x2\n";

static void test_merge_finds_split_inversion(void **state)
{
	struct graph *one = graph_new(NULL), *two = graph_new(NULL), *merged = graph_new(NULL);
	const char *p1 = path_in_dir("one.jsonl"), *p2 = path_in_dir("two.jsonl");
	const struct finding *f;
	char error[256];

	feed_text(one, half_ab);
	feed_text(two, half_ba);
	assert_int_equal(engine__nr_findings(one->engine), 0);
	assert_int_equal(engine__nr_findings(two->engine), 0);
	assert_int_equal(state_save(p1, one->engine, one->symtab, NULL), 0);
	assert_int_equal(state_save(p2, two->engine, two->symtab, NULL), 0);

	assert_int_equal(state_load(p1, merged->engine, merged->symtab, NULL, error, sizeof(error)),
			 0);
	assert_int_equal(state_load(p2, merged->engine, merged->symtab, NULL, error, sizeof(error)),
			 0);
	assert_int_equal(merged->callbacks, 1);
	f = find(merged->engine, FINDING_CIRCULAR);
	assert_non_null(f);
	assert_false(engine__finding_restored(merged->engine, 0));
	/* The closing edge (from the second file) says who, when, which test, how often. */
	assert_string_equal(f->test, "igt@two");
	assert_int_equal(f->pid, 2);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->nr_held, 1);
	assert_string_equal(f->held[0].class_name, "&b->lock");
	assert_string_equal(f->edges[0]->test, "igt@one");
	assert_string_equal(f->edges[1]->test, "igt@two");
	assert_string_equal(symtab__lookup(merged->symtab, f->edges[0]->acquired.ip), "f+0x2");
	graph_free(one);
	graph_free(two);
	graph_free(merged);
}

/* The same finding in two files: counts add up; dependency counts too. */
static void test_merge_adds_counts(void **state)
{
	struct graph *one = graph_new(NULL), *merged = graph_new(NULL);
	const char *p1 = path_in_dir("one.jsonl");
	struct dependency dep;
	char error[256];

	feed_text(one, half_ab);
	feed_text(one, half_ba);
	assert_int_equal(find(one->engine, FINDING_CIRCULAR)->count, 2);
	assert_int_equal(state_save(p1, one->engine, one->symtab, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			state_load(p1, merged->engine, merged->symtab, NULL, error, sizeof(error)),
			0);
	assert_int_equal(find(merged->engine, FINDING_CIRCULAR)->count, 4);
	assert_true(engine__finding_restored(merged->engine, 0));
	for (size_t i = 0; i < engine__nr_dependencies(merged->engine); i++) {
		assert_int_equal(engine__dependency(merged->engine, i, &dep), 0);
		if (strcmp(dep.from, "&b->lock") == 0)
			assert_int_equal(dep.count, 4);
	}
	assert_int_equal(engine__dependency(merged->engine, 99, &dep), -ENOENT);
	graph_free(one);
	graph_free(merged);
}

/* A taint is part of a graph: merged without rules, it still closes a reclaim cycle. */
static void test_merge_keeps_taints(void **state)
{
	struct graph *tainted = graph_new("classes:\n  - {name: V, match: [\"&vm->mutex\"]}\n"
					  "taint_reclaim: [V]\n");
	struct graph *alloc = graph_new("classes:\n  - {name: V, match: [\"&vm->mutex\"]}\n");
	struct graph *merged = graph_new(NULL);
	const char *p1 = path_in_dir("t.jsonl"), *p2 = path_in_dir("a.jsonl");
	char error[256];

	feed_text(alloc, "init lock=0x10 name=\"&vm->mutex\" site=vm_init\n"
			 "acquire pid=1 lock=0x10 ip=f+0x1\n"
			 "alloc pid=1 gfp=GFP_KERNEL site=f+0x2\n");
	assert_int_equal(engine__nr_findings(alloc->engine), 0);
	assert_int_equal(state_save(p1, tainted->engine, tainted->symtab, NULL), 0);
	assert_int_equal(state_save(p2, alloc->engine, alloc->symtab, NULL), 0);
	assert_int_equal(state_load(p1, merged->engine, merged->symtab, NULL, error, sizeof(error)),
			 0);
	assert_int_equal(state_load(p2, merged->engine, merged->symtab, NULL, error, sizeof(error)),
			 0);
	assert_non_null(find(merged->engine, FINDING_RECLAIM));
	graph_free(tainted);
	graph_free(alloc);
	graph_free(merged);
}

/* --- the engine's import API directly ------------------------------------------------- */

static void test_import_dependency(void **state)
{
	struct graph *g = graph_new(NULL);
	__u64 frames[2] = { symtab__intern(g->symtab, "x+0x1"), symtab__intern(g->symtab, "y") };
	struct dependency dep = {
		.from = "P",
		.to = "Q",
		.pid = 7,
		.comm = "seven",
		.count = 5,
		.test = "igt@t@s",
		.acquired = { .ip = frames[0], .stack = frames, .nr_stack = 2 },
	};
	struct dependency out;
	bool unclassified = true;

	assert_int_equal(engine__import_dependency(g->engine, &dep), 0);
	assert_int_equal(engine__import_dependency(g->engine, &dep), 0);
	assert_int_equal(engine__nr_dependencies(g->engine), 1);
	assert_int_equal(engine__dependency(g->engine, 0, &out), 0);
	assert_int_equal(out.count, 10);
	assert_string_equal(out.comm, "seven");
	assert_string_equal(out.test, "igt@t@s");
	assert_int_equal(out.acquired.nr_stack, 2);
	assert_ptr_not_equal(out.acquired.stack, frames); /* copied */
	assert_int_equal(out.acquired.stack[1], frames[1]);
	assert_string_equal(engine__class(g->engine, 1, &unclassified), "P");
	assert_false(unclassified);

	/* A lock known by its address alone means nothing in another boot: left out. */
	dep.from = "unclassified@foo+0x10:0xffff888000001000";
	assert_int_equal(engine__import_dependency(g->engine, &dep), 0);
	assert_null(engine__class(g->engine, 3, &unclassified));
	assert_int_equal(engine__nr_dependencies(g->engine), 1);
	assert_int_equal(engine__import_class(g->engine, dep.from, true), 0);
	assert_null(engine__class(g->engine, 3, &unclassified));
	dep.from = "";
	assert_int_equal(engine__import_dependency(g->engine, &dep), -EINVAL);
	/* Recursion imported is recursion found. */
	dep.from = dep.to = "R";
	assert_int_equal(engine__import_dependency(g->engine, &dep), 0);
	assert_non_null(find(g->engine, FINDING_RECURSIVE));
	assert_int_equal(engine__restore_finding(g->engine, FINDING_RECURSIVE,
						 (const char *[]){ "R" }, 1, 9),
			 1);
	assert_int_equal(find(g->engine, FINDING_RECURSIVE)->count, 9);
	assert_int_equal(
		engine__restore_finding(g->engine, FINDING_CIRCULAR, (const char *[]){ "R" }, 1, 9),
		0);
	assert_int_equal(engine__restore_finding(g->engine, FINDING_RECURSIVE,
						 (const char *[]){ "nope" }, 1, 9),
			 0);
	graph_free(g);
}

/* --- new rules on a learned graph (SIGHUP) ---------------------------------------------- */

static void test_set_rules(void **state)
{
	struct graph *g = graph_new("classes:\n  - {name: A, match: [\"&a->lock\"]}\n"
				    "  - {name: B, match: [\"&b->lock\"]}\n");
	struct rules *taint = NULL, *suppress = NULL, *order = NULL;
	struct engine_stats stats;
	static const char taint_yaml[] = "classes:\n  - {name: A, match: [\"&a->lock\"]}\n"
					 "  - {name: B, match: [\"&b->lock\"]}\n"
					 "taint_reclaim: [A]\n";
	static const char suppress_yaml[] =
		"classes:\n  - {name: A, match: [\"&a->lock\"]}\n"
		"  - {name: B, match: [\"&b->lock\"]}\n"
		"taint_reclaim: [A]\n"
		"suppress:\n  - {kind: reclaim, classes: [A, fs_reclaim], reason: known}\n";
	static const char order_yaml[] = "classes:\n  - {name: A, match: [\"&a->lock\"]}\n"
					 "  - {name: B, match: [\"&b->lock\"]}\n"
					 "order: [B, A]\n";

	feed_text(g, "init lock=0x10 name=\"&a->lock\" site=a_init\n"
		     "acquire pid=1 lock=0x10 ip=f+0x1\n"
		     "alloc pid=1 gfp=GFP_KERNEL site=f+0x2\n"
		     "release pid=1 lock=0x10\n");
	assert_int_equal(engine__nr_findings(g->engine), 0);

	assert_int_equal(rules__load_buffer("t.yaml", taint_yaml, strlen(taint_yaml), &taint), 0);
	assert_int_equal(engine__set_rules(g->engine, taint), 0);
	assert_int_equal(g->callbacks, 1);
	assert_non_null(find(g->engine, FINDING_RECLAIM));
	assert_true(find(g->engine, FINDING_RECLAIM)->edges[1]->primed);

	assert_int_equal(
		rules__load_buffer("t.yaml", suppress_yaml, strlen(suppress_yaml), &suppress), 0);
	assert_int_equal(engine__set_rules(g->engine, suppress), 0);
	rules__free(taint);
	engine__stats(g->engine, &stats);
	assert_int_equal(stats.findings, 0);
	assert_int_equal(stats.suppressed, 1);
	assert_string_equal(find(g->engine, FINDING_RECLAIM)->reason, "known");

	/* The declared order now puts B outside A: the next A -> B breaks it. */
	assert_int_equal(rules__load_buffer("t.yaml", order_yaml, strlen(order_yaml), &order), 0);
	assert_int_equal(engine__set_rules(g->engine, order), 0);
	rules__free(suppress);
	engine__stats(g->engine, &stats);
	assert_int_equal(stats.findings, 1);
	assert_int_equal(stats.suppressed, 0);
	assert_null(find(g->engine, FINDING_RECLAIM)->reason);
	/* Init names meet the new rules: "&b->lock" is class B from now on. */
	feed_text(g, "init lock=0x20 name=\"&b->lock\" site=b_init\n"
		     "acquire pid=2 lock=0x10 ip=f+0x1\n"
		     "acquire pid=2 lock=0x20 ip=f+0x3\n");
	assert_non_null(find(g->engine, FINDING_ORDER));
	assert_string_equal(find(g->engine, FINDING_ORDER)->classes[1], "B");
	assert_int_equal(engine__set_rules(g->engine, NULL), 0);
	rules__free(order);
	graph_free(g);
}

/* --- how the lines are read ------------------------------------------------------------- */

/*
 * Every string comes back byte for byte: UTF-8 is written as a JSON string
 * and stays UTF-8; a string that is no UTF-8 is written as the array of its
 * bytes and comes back as those bytes.
 */
static void test_strings_round_trip(void **state)
{
	static const struct {
		const char *s;
		const char *written; /* the header's "host" as written, or NULL */
	} strings[] = {
		{ "plain", "\"plain\"" },
		{ "quote \" backslash \\ slash /", "\"quote \\\" backslash \\\\ slash /\"" },
		{ "tab\tnl\ncr\r", "\"tab\\u0009nl\\u000acr\\u000d\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "\xff\xfe not utf-8 \xc3", NULL },
		{ "", "\"\"" },
		/* The byte 0xe9 around the character é (0xc3 0xa9), twice. */
		{ "\xe9\xc3\xa9\xc3\xa9\xe9", "[233,195,169,195,169,233]" },
		/* The bytes of é, and of U+0080, apart. */
		{ "\xc3 \xa9 \xc2\x80\x80", "[195,32,169,32,194,128,128]" },
		/* A backslash and "u00e9" written as they are: no escape to map. */
		{ "\\u00e9 \\\\u00ff", "\"\\\\u00e9 \\\\\\\\u00ff\"" },
		/* A lone continuation byte, 0xff, a truncated sequence. */
		{ "\x80", "[128]" },
		{ "\xff", "[255]" },
		{ "A\xe2\x82", "[65,226,130]" },
		/* Overlong forms of '/' and of the euro sign, a surrogate, beyond U+10FFFF. */
		{ "\xc0\xaf", "[192,175]" },
		{ "\xf0\x82\x82\xac", "[240,130,130,172]" },
		{ "\xed\xa0\x80", "[237,160,128]" },
		{ "\xf4\x90\x80\x80", "[244,144,128,128]" },
	};
	const char *path = path_in_dir("strings.jsonl");

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		const char *s = strings[i].s;
		struct graph *g = graph_new(NULL), *h = graph_new(NULL);
		struct state_meta meta = { .host = s, .kernel_release = s };
		struct state_info info;
		struct dependency dep;
		char error[512] = "";

		if (*s) {
			__u64 frame = symtab__intern(g->symtab, s);
			struct dependency written = {
				.from = s,
				.to = "B",
				.count = 1,
				.comm = s,
				.test = s,
				.acquired = { .ip = frame, .stack = &frame, .nr_stack = 1 },
			};

			assert_int_equal(engine__import_dependency(g->engine, &written), 0);
		}
		assert_int_equal(state_save(path, g->engine, g->symtab, &meta), 0);
		if (strings[i].written) {
			char *text = read_file(path);
			char host[256];

			snprintf(host, sizeof(host), "\"host\":%s,", strings[i].written);
			if (!strstr(text, host))
				fail_msg("string %zu: no %s in %s", i, host, text);
			free(text);
		}
		if (state_load(path, h->engine, h->symtab, &info, error, sizeof(error)))
			fail_msg("string %zu: %s", i, error);
		assert_string_equal(info.host, s);
		assert_string_equal(info.kernel_release, s);
		if (*s) {
			assert_int_equal(engine__dependency(h->engine, 0, &dep), 0);
			assert_string_equal(dep.from, s);
			assert_string_equal(dep.comm, s);
			assert_string_equal(dep.test, s);
			assert_string_equal(symtab__lookup(h->symtab, dep.acquired.ip), s);
			assert_int_equal(dep.acquired.nr_stack, 1);
			assert_string_equal(symtab__lookup(h->symtab, dep.acquired.stack[0]), s);
		}
		graph_free(g);
		graph_free(h);
	}
}

/*
 * Classes whose names are no UTF-8, in a cycle: saved as byte arrays, they
 * come back as the same classes, the same dependencies and the same finding,
 * and saving what was loaded writes the same file.
 */
static void test_class_bytes_round_trip(void **state)
{
	static const char trace[] = "init lock=0x10 name=\"\\xffa\\x80\" site=a_init\n"
				    "init lock=0x20 name=\"b\\xc3\" site=b_init\n"
				    "acquire pid=1 lock=0x10 ip=f+0x1\n"
				    "acquire pid=1 lock=0x20 ip=f+0x2\n"
				    "release pid=1 lock=0x20\n"
				    "release pid=1 lock=0x10\n"
				    "acquire pid=2 lock=0x20 ip=g+0x1\n"
				    "acquire pid=2 lock=0x10 ip=g+0x2\n";
	struct graph *g = graph_new(NULL), *h = graph_new(NULL);
	const char *path = path_in_dir("bytes.jsonl");
	const char *again = path_in_dir("again.jsonl");
	const struct finding *a, *b;
	struct state_info info;
	char error[512] = "";
	char *body1, *body2;
	bool found_a = false, found_b = false;

	feed_text(g, trace);
	a = find(g->engine, FINDING_CIRCULAR);
	assert_non_null(a);
	for (size_t i = 0; i < engine__nr_classes(g->engine); i++) {
		const char *name = engine__class(g->engine, i, NULL);

		found_a |= strstr(name, "\xff"
					"a\x80") != NULL;
		found_b |= strstr(name, "b\xc3") != NULL;
	}
	assert_true(found_a && found_b);
	assert_int_equal(state_save(path, g->engine, g->symtab, NULL), 0);
	body1 = read_body(path);
	/* No \u00XX escape of a byte: it would read back as another character. */
	assert_null(strstr(body1, "\\u00"));
	assert_non_null(strstr(body1, "[255,97,128"));

	if (state_load(path, h->engine, h->symtab, &info, error, sizeof(error)))
		fail_msg("%s", error);
	assert_int_equal(info.findings_restored, 1);
	assert_int_equal(engine__nr_classes(h->engine), engine__nr_classes(g->engine));
	for (size_t i = 0; i < engine__nr_classes(g->engine); i++)
		assert_string_equal(engine__class(g->engine, i, NULL),
				    engine__class(h->engine, i, NULL));
	b = find(h->engine, FINDING_CIRCULAR);
	assert_non_null(b);
	assert_int_equal(a->nr_classes, b->nr_classes);
	for (__u32 c = 0; c < a->nr_classes; c++)
		assert_string_equal(a->classes[c], b->classes[c]);
	assert_int_equal(state_save(again, h->engine, h->symtab, NULL), 0);
	body2 = read_body(again);
	assert_string_equal(body1, body2);
	free(body1);
	free(body2);
	graph_free(g);
	graph_free(h);
}

/*
 * A file written by hand: JSON whitespace, escapes (standard JSON: \u00e9
 * is é), names as byte arrays, integers to the last of 64 bits, null for
 * absent, digits inside strings and in numbers that are no integers left
 * alone.
 */
static void test_values_read_exactly(void **state)
{
	struct graph *g = graph_new(NULL);
	const char *path = path_in_dir("values.jsonl");
	struct state_info info;
	struct dependency dep;
	char error[512] = "";

	write_file(
		path,
		"{\"lockdepd_state\":2,\"host\":\"\\u00e9\\u20ac\\ud83d\\ude00\","
		"\"kernel\":\"\\u0041\\u00C3\\u00a9\",\"x\":1e25,\"y\":123456789012345678901.5}\n"
		" { \"class\" : \"A\" , \"unclassified\" : false }\t\r\n"
		"{\"class\":\"99999999999999999999999\",\"unclassified\":true}\n"
		"{\"class\": [ 255 , 66 ]}\n"
		"{\"dep\":[\"A\",\"99999999999999999999999\"],\"count\":18446744073709551615,"
		"\"pid\":4294967295,\"comm\":[99,111,109,109],\"time_ns\":18446744073709551614,"
		"\"test\":null,\"reclaim_kind\":null,"
		"\"held\":{\"lock\":\"0xffffffffffffffff\",\"ip\":null,\"type\":\"mutex\"},"
		"\"acquired\":{\"lock\":\"0x0\",\"ip\":\"f\\u002b0x1\",\"type\":\"ww_mutex\","
		"\"trylock\":true,\"stack\":null}}\n"
		"{\"end\":{\"classes\":3,\"dependencies\":1,\"findings\":0}}\n");
	if (state_load(path, g->engine, g->symtab, &info, error, sizeof(error)))
		fail_msg("%s", error);
	/* Escapes are the characters they name, as in any JSON reader. */
	assert_string_equal(info.host, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(info.kernel_release, "A\xc3\x83\xc2\xa9");
	assert_true(has_class(g->engine, "\xff"
					 "B"));
	assert_int_equal(engine__nr_dependencies(g->engine), 1);
	assert_int_equal(engine__dependency(g->engine, 0, &dep), 0);
	assert_string_equal(dep.to, "99999999999999999999999");
	assert_string_equal(dep.comm, "comm");
	assert_true(dep.count == UINT64_MAX);
	assert_true(dep.time_ns == UINT64_MAX - 1);
	assert_true(dep.pid == UINT32_MAX);
	assert_true(dep.held.lock == UINT64_MAX);
	assert_int_equal(dep.acquired.lock_type, LD_LOCK_WW_MUTEX);
	assert_true(dep.acquired.trylock);
	assert_false(dep.held.trylock);
	assert_string_equal(symtab__lookup(g->symtab, dep.acquired.ip), "f+0x1");
	assert_int_equal(dep.acquired.nr_stack, 0);
	graph_free(g);
}

/*
 * Version 1 files wrote a byte that is no UTF-8 as \u00XX, which reads as
 * the character U+00XX: such a file is read while no string holds one of
 * those characters (ASCII names, other UTF-8), and refused in one line
 * otherwise, whether the character was escaped or written as it is.
 */
static void test_version_1_files(void **state)
{
	static const char ok[] = "{\"lockdepd_state\":1,\"host\":\"h\\u0041\"}\n"
				 "{\"class\":\"vm->mutex \\u0001 \xe2\x82\xac\"}\n"
				 "{\"end\":{\"classes\":1,\"dependencies\":0,\"findings\":0}}\n";
	static const char *const refused[] = {
		"{\"lockdepd_state\":1}\n{\"class\":\"A\\u00e9\"}\n",
		"{\"lockdepd_state\":1}\n{\"class\":\"A\xc3\xa9\"}\n",
		"{\"lockdepd_state\":1,\"host\":\"\\u0080\"}\n",
		"{\"lockdepd_state\":1}\n{\"stack\":1,\"frames\":[\"f\\u00ff+0x1\"]}\n",
	};
	const char *path = path_in_dir("v1.jsonl");
	struct state_info info;
	char error[512] = "";

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct graph *g = graph_new(NULL);

		write_file(path, refused[i]);
		assert_int_equal(state_load(path, g->engine, g->symtab, NULL, error, sizeof(error)),
				 -EINVAL);
		assert_non_null(strstr(error, "a character in U+0080-U+00FF, which a version 1 "
					      "state file also wrote for a byte"));
		assert_null(strchr(error, '\n'));
		graph_free(g);
	}
	{
		struct graph *g = graph_new(NULL);

		write_file(path, ok);
		if (state_load(path, g->engine, g->symtab, &info, error, sizeof(error)))
			fail_msg("%s", error);
		assert_int_equal(info.version, 1);
		assert_string_equal(info.host, "hA");
		assert_string_equal(engine__class(g->engine, 1, NULL),
				    "vm->mutex \x01 \xe2\x82\xac");
		graph_free(g);
	}
}

#define HEADER "{\"lockdepd_state\":1}\n"
#define DEP_SITES                                                      \
	",\"held\":{\"lock\":\"0x1\",\"ip\":null,\"type\":\"mutex\"}," \
	"\"acquired\":{\"lock\":\"0x2\",\"ip\":null,\"type\":\"mutex\"}}\n"

/* Values of the wrong kind, or beyond what their field holds. */
static const struct bad_case value_cases[] = {
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":18446744073709551616,\"pid\":1" DEP_SITES,
	  -EINVAL, "2: column 26: an integer beyond 64 bits" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,\"time_ns\":"
		 "99999999999999999999999" DEP_SITES,
	  -EINVAL, "2: column 46: an integer beyond 64 bits" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":-1,\"pid\":1" DEP_SITES, -EINVAL,
	  "2: expected a \"count\" of at least 1" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":-2.5e1,\"pid\":1" DEP_SITES, -EINVAL,
	  "2: expected a \"count\" of at least 1" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1.0,\"pid\":1" DEP_SITES, -EINVAL,
	  "2: expected a \"count\" of at least 1" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":\"1\",\"pid\":1" DEP_SITES, -EINVAL,
	  "2: expected a \"count\" of at least 1" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":4294967296" DEP_SITES, -EINVAL,
	  "2: expected a \"pid\"" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":-1" DEP_SITES, -EINVAL,
	  "2: expected a \"pid\"" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,\"time_ns\":-1" DEP_SITES, -EINVAL,
	  "2: expected \"time_ns\" to be a number" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,\"time_ns\":true" DEP_SITES, -EINVAL,
	  "2: expected \"time_ns\" to be a number" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,\"comm\":7" DEP_SITES, -EINVAL,
	  "2: expected \"comm\" to be a string or null" },
	{ HEADER "{\"class\":\"A\",\"unclassified\":1}\n", -EINVAL,
	  "2: expected \"unclassified\" to be true or false" },
	{ HEADER "{\"class\":null}\n", -EINVAL, "2: expected a class name" },
	{ HEADER "{\"class\":[]}\n", -EINVAL, "2: expected a class name" },
	{ HEADER "{\"class\":[65,0]}\n", -EINVAL,
	  "2: expected the bytes of a string as numbers 1-255" },
	{ HEADER "{\"class\":[65,256]}\n", -EINVAL,
	  "2: expected the bytes of a string as numbers 1-255" },
	{ HEADER "{\"class\":[65,-1]}\n", -EINVAL,
	  "2: expected the bytes of a string as numbers 1-255" },
	{ HEADER "{\"class\":[65,66.0]}\n", -EINVAL,
	  "2: expected the bytes of a string as numbers 1-255" },
	{ HEADER "{\"class\":[\"A\"]}\n", -EINVAL,
	  "2: expected the bytes of a string as numbers 1-255" },
	{ HEADER "{\"dep\":[\"A\",[66]],\"count\":1,\"pid\":1,\"comm\":[true]" DEP_SITES, -EINVAL,
	  "2: expected the bytes of a string as numbers 1-255" },
	{ HEADER "{\"dep\":[\"A\",\"B\"],\"count\":1,\"pid\":1,\"comm\":\"a\\u0000b\"" DEP_SITES,
	  -EINVAL, "2: a NUL character inside a string" },
	{ "{\"lockdepd_state\":1.0}\n", -EINVAL,
	  "1: expected a version number in \"lockdepd_state\"" },
	{ "{\"lockdepd_state\":-1}\n", -EINVAL,
	  "1: expected a version number in \"lockdepd_state\"" },
	{ "{\"lockdepd_state\":18446744073709551616}\n", -EINVAL,
	  "1: column 19: an integer beyond 64 bits" },
	{ "{\"lockdepd_state\":18446744073709551615}\n", -EPROTONOSUPPORT,
	  "1: state format version 18446744073709551615 is newer than this lockdepd's (2)" },
};

static void test_bad_values(void **state)
{
	assert_bad_cases(value_cases, sizeof(value_cases) / sizeof(value_cases[0]));
}

/* Lines that are no JSON: json-c's reason, at the column where it stopped. */
static const struct bad_case syntax_cases[] = {
	{ "\n", -EINVAL, "1: column 1: unexpected end of data" },
	{ HEADER "{\"a\" 1}\n", -EINVAL,
	  "2: column 6: object property name separator ':' expected" },
	{ HEADER "[1 2]\n", -EINVAL, "2: column 4: array value separator ',' expected" },
	{ HEADER "{\"a\":1,}\n", -EINVAL, "2: column 8: unexpected character" },
	{ HEADER "{\"a\":[1,]}\n", -EINVAL, "2: column 9: unexpected character" },
	{ HEADER "\"abc\n", -EINVAL, "2: column 5: unexpected end of data" },
	{ HEADER "\"a\\qb\"\n", -EINVAL, "2: column 4: invalid string sequence" },
	{ HEADER "\"\\u12\"\n", -EINVAL, "2: column 6: invalid string sequence" },
	{ HEADER "tru\n", -EINVAL, "2: column 4: unexpected end of data" },
	{ HEADER "{\"a\":True}\n", -EINVAL, "2: column 6: boolean expected" },
	{ HEADER "{\"a\":'x'}\n", -EINVAL, "2: column 6: unexpected character" },
	{ HEADER "{\"a\":1 /* c */}\n", -EINVAL,
	  "2: column 8: object value separator ',' expected" },
	{ HEADER "{} x\n", -EINVAL, "2: column 4: unexpected character" },
	{ HEADER "{}{}\n", -EINVAL, "2: column 3: unexpected character" },
	/* The column counts in the line as written, escapes or not. */
	{ HEADER "{\"a\":\"\\u00e9\",}\n", -EINVAL, "2: column 15: unexpected character" },
	{ HEADER "{\"class\":\"A\\u0000\"}\n", -EINVAL, "2: a NUL character inside a string" },
	{ HEADER "{\"class\":\"A\\\\u0000\"}\n{\"end\":{\"classes\":1,\"dependencies\":0,"
		 "\"findings\":0}}\n{",
	  -EINVAL, "4: column 2: unexpected end of data" },
};

static void test_bad_syntax(void **state)
{
	const char *path = path_in_dir("nul.jsonl");
	static const char nul_line[] = HEADER "{\"class\":\"A\0B\"}\n";
	char deep[sizeof(HEADER) + 200];
	struct graph *g = graph_new(NULL);
	char error[512] = "";
	FILE *f;

	assert_bad_cases(syntax_cases, sizeof(syntax_cases) / sizeof(syntax_cases[0]));

	/* A NUL byte ends no line: refused where it is. */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(nul_line, 1, sizeof(nul_line) - 1, f), sizeof(nul_line) - 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(state_load(path, g->engine, g->symtab, NULL, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "nul.jsonl:2: column 12: a NUL byte"));

	/* Nesting deeper than any record is refused before it costs stack. */
	memset(deep, '[', sizeof(deep));
	memcpy(deep, HEADER, strlen(HEADER));
	deep[sizeof(deep) - 2] = '\n';
	deep[sizeof(deep) - 1] = '\0';
	write_file(path, deep);
	assert_int_equal(state_load(path, g->engine, g->symtab, NULL, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "nul.jsonl:2: column 65: nesting too deep"));
	graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_records_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_finds_split_inversion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_adds_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_keeps_taints, setup, teardown),
		cmocka_unit_test(test_import_dependency),
		cmocka_unit_test(test_set_rules),
		cmocka_unit_test_setup_teardown(test_strings_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class_bytes_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_read_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_1_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_syntax, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
