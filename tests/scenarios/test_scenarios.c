// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scenario tests: every tests/scenarios/<name>.trace (or every .trace file in
 * $LOCKDEPD_SCENARIOS) is replayed through the text reader, the rules loader and the engine, and
 * must produce exactly the findings it declares. One cmocka test per file.
 *
 * A scenario is a text trace (the grammar of README.md) whose comment lines
 * starting with "#!" are directives for this runner:
 *
 *   #! rules PATH                 rules file, relative to the repository root
 *                                 (where tests run); several are merged, after
 *                                 the default rules, as `lockdepd report` does
 *   #! no-default-rules           the rules files alone (--no-default-rules)
 *   #! expect KIND CLASS...       a finding of KIND (circular, reclaim, order,
 *      [count=N] [test=NAME]      recursive) over exactly this set of classes,
 *                                 not suppressed; count= checks its hit count,
 *                                 test= its IGT test (test=none: no test)
 *   #! expect-suppressed KIND CLASS...   the same, for a suppressed finding
 *   #! expect-none                no finding at all, suppressed ones included
 *   #! expect-stat NAME=VALUE...  engine counters: events, classes,
 *                                 dependencies, findings, suppressed,
 *                                 unpaired_releases, lost_events, lost_resets,
 *                                 locks_without_init
 *
 * Class names are separated by blanks; a name with blanks goes in double
 * quotes. Every finding must be expected and every expectation met, so a
 * scenario lists all it produces. A file without any expect directive is an
 * error: a scenario must say what it checks.
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../unit/constructors.h"

#include "engine/engine.h"
#include "engine/finding.h"
#include "engine/rules.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

#define MAX_TOKENS   32
#define MAX_EXPECT   32
#define MAX_RULES    4
#define MESSAGE_SIZE 8192

struct expectation {
	int line;
	int kind;
	bool suppressed;
	char *classes[MAX_TOKENS];
	size_t nr_classes;
	long long count; /* -1: not checked */
	bool check_test;
	char *test; /* NULL with check_test: no test */
	bool met;
};

struct stat_expectation {
	int line;
	char *name;
	unsigned long long value;
};

struct scenario {
	const char *path;
	char *rules[MAX_RULES];
	size_t nr_rules;
	bool no_default_rules;
	struct expectation expect[MAX_EXPECT];
	size_t nr_expect;
	struct stat_expectation stats[MAX_EXPECT];
	size_t nr_stats;
	bool expect_none;
	char message[MESSAGE_SIZE];
	size_t message_len;
};

__attribute__((format(printf, 2, 3))) static void complain(struct scenario *sc, const char *fmt,
							   ...)
{
	va_list ap;
	int n;

	if (sc->message_len >= sizeof(sc->message) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sc->message + sc->message_len, sizeof(sc->message) - sc->message_len, fmt,
		      ap);
	va_end(ap);
	if (n > 0)
		sc->message_len += (size_t)n;
	if (sc->message_len >= sizeof(sc->message))
		sc->message_len = sizeof(sc->message) - 1;
}

/* Splits line into blank-separated tokens, "double quoted" ones included. In place. */
static size_t tokenize(char *line, char **tokens, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			tokens[n++] = ++p;
			while (*p && *p != '"')
				p++;
		} else {
			tokens[n++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				p++;
		}
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static int parse_expect(struct scenario *sc, int line, char **tok, size_t n, bool suppressed)
{
	struct expectation *e;

	if (sc->nr_expect == MAX_EXPECT) {
		complain(sc, "%s:%d: too many expectations\n", sc->path, line);
		return -EINVAL;
	}
	e = &sc->expect[sc->nr_expect++];
	*e = (struct expectation){ .line = line, .suppressed = suppressed, .count = -1 };
	if (n < 3 || (e->kind = finding_kind_from_name(tok[1])) < 0) {
		complain(sc, "%s:%d: expected '%s KIND CLASS...'\n", sc->path, line, tok[0]);
		return -EINVAL;
	}
	for (size_t i = 2; i < n; i++) {
		if (strncmp(tok[i], "count=", 6) == 0) {
			e->count = strtoll(tok[i] + 6, NULL, 10);
		} else if (strncmp(tok[i], "test=", 5) == 0) {
			e->check_test = true;
			e->test = strcmp(tok[i] + 5, "none") == 0 ? NULL : strdup(tok[i] + 5);
		} else {
			e->classes[e->nr_classes++] = strdup(tok[i]);
		}
	}
	if (!e->nr_classes) {
		complain(sc, "%s:%d: an expectation needs its classes\n", sc->path, line);
		return -EINVAL;
	}
	return 0;
}

static int parse_directive(struct scenario *sc, int line, char *text)
{
	char *tok[MAX_TOKENS];
	size_t n = tokenize(text, tok, MAX_TOKENS);

	if (n == 0) {
		complain(sc, "%s:%d: empty directive\n", sc->path, line);
		return -EINVAL;
	}
	if (strcmp(tok[0], "rules") == 0 && n == 2 && sc->nr_rules < MAX_RULES) {
		sc->rules[sc->nr_rules++] = strdup(tok[1]);
		return 0;
	}
	if (strcmp(tok[0], "no-default-rules") == 0 && n == 1) {
		sc->no_default_rules = true;
		return 0;
	}
	if (strcmp(tok[0], "expect") == 0)
		return parse_expect(sc, line, tok, n, false);
	if (strcmp(tok[0], "expect-suppressed") == 0)
		return parse_expect(sc, line, tok, n, true);
	if (strcmp(tok[0], "expect-none") == 0 && n == 1) {
		sc->expect_none = true;
		return 0;
	}
	if (strcmp(tok[0], "expect-stat") == 0 && n >= 2) {
		for (size_t i = 1; i < n && sc->nr_stats < MAX_EXPECT; i++) {
			char *eq = strchr(tok[i], '=');

			if (!eq) {
				complain(sc, "%s:%d: expected NAME=VALUE, got '%s'\n", sc->path,
					 line, tok[i]);
				return -EINVAL;
			}
			*eq = '\0';
			sc->stats[sc->nr_stats++] = (struct stat_expectation){
				.line = line,
				.name = strdup(tok[i]),
				.value = strtoull(eq + 1, NULL, 0),
			};
		}
		return 0;
	}
	complain(sc, "%s:%d: unknown directive '%s'\n", sc->path, line, tok[0]);
	return -EINVAL;
}

static int parse_directives(struct scenario *sc)
{
	FILE *fp = fopen(sc->path, "r");
	char *buf = NULL;
	size_t cap = 0;
	int line = 0, err = 0;

	if (!fp) {
		complain(sc, "%s: %s\n", sc->path, strerror(errno));
		return -errno;
	}
	while (getline(&buf, &cap, fp) > 0) {
		line++;
		if (strncmp(buf, "#!", 2) == 0 && (err = parse_directive(sc, line, buf + 2)))
			break;
	}
	free(buf);
	fclose(fp);
	if (!err && !sc->nr_expect && !sc->expect_none) {
		complain(sc,
			 "%s: no '#! expect' or '#! expect-none': the scenario checks nothing\n",
			 sc->path);
		err = -EINVAL;
	}
	if (!err && sc->nr_expect && sc->expect_none) {
		complain(sc, "%s: both expect and expect-none\n", sc->path);
		err = -EINVAL;
	}
	return err;
}

static void scenario_free(struct scenario *sc)
{
	for (size_t i = 0; i < sc->nr_rules; i++)
		free(sc->rules[i]);
	for (size_t i = 0; i < sc->nr_expect; i++) {
		for (size_t j = 0; j < sc->expect[i].nr_classes; j++)
			free(sc->expect[i].classes[j]);
		free(sc->expect[i].test);
	}
	for (size_t i = 0; i < sc->nr_stats; i++)
		free(sc->stats[i].name);
}

static bool same_class_set(const struct expectation *e, const struct finding *f)
{
	if (e->nr_classes != f->nr_classes)
		return false;
	for (size_t i = 0; i < e->nr_classes; i++) {
		bool found = false;

		for (size_t j = 0; j < f->nr_classes; j++)
			found |= strcmp(e->classes[i], f->classes[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static void describe_finding(struct scenario *sc, const struct finding *f)
{
	complain(sc, "%s%s [", f->suppressed ? "suppressed " : "", finding_kind_name(f->kind));
	for (size_t i = 0; i < f->nr_classes; i++)
		complain(sc, "%s%s", i ? ", " : "", f->classes[i]);
	complain(sc, "] count=%llu test=%s", (unsigned long long)f->count,
		 f->test ? f->test : "none");
}

static void check_finding(struct scenario *sc, const struct finding *f)
{
	for (size_t i = 0; i < sc->nr_expect; i++) {
		struct expectation *e = &sc->expect[i];

		if (e->met || e->kind != (int)f->kind || e->suppressed != f->suppressed ||
		    !same_class_set(e, f))
			continue;
		e->met = true;
		if (e->count >= 0 && (unsigned long long)e->count != f->count) {
			complain(sc, "%s:%d: count %lld expected, got ", sc->path, e->line,
				 e->count);
			describe_finding(sc, f);
			complain(sc, "\n");
		}
		if (e->check_test && (e->test ? !f->test || strcmp(e->test, f->test) : !!f->test)) {
			complain(sc, "%s:%d: test %s expected, got ", sc->path, e->line,
				 e->test ? e->test : "none");
			describe_finding(sc, f);
			complain(sc, "\n");
		}
		return;
	}
	complain(sc, "%s: unexpected finding: ", sc->path);
	describe_finding(sc, f);
	complain(sc, "\n");
}

static bool stat_value(const struct engine_stats *s, const char *name, unsigned long long *ret)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
		{ "events", offsetof(struct engine_stats, events) },
		{ "classes", offsetof(struct engine_stats, classes) },
		{ "dependencies", offsetof(struct engine_stats, dependencies) },
		{ "findings", offsetof(struct engine_stats, findings) },
		{ "suppressed", offsetof(struct engine_stats, suppressed) },
		{ "unpaired_releases", offsetof(struct engine_stats, unpaired_releases) },
		{ "lost_events", offsetof(struct engine_stats, lost_events) },
		{ "lost_resets", offsetof(struct engine_stats, lost_resets) },
		{ "locks_without_init", offsetof(struct engine_stats, locks_without_init) },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i].name, name) == 0) {
			*ret = *(const __u64 *)((const char *)s + fields[i].offset);
			return true;
		}
	}
	return false;
}

static void check_results(struct scenario *sc, const struct engine *engine)
{
	struct engine_stats s;

	for (size_t i = 0; i < engine__nr_findings(engine); i++)
		check_finding(sc, engine__finding(engine, i));
	for (size_t i = 0; i < sc->nr_expect; i++) {
		const struct expectation *e = &sc->expect[i];

		if (e->met)
			continue;
		complain(sc, "%s:%d: missing %s%s [", sc->path, e->line,
			 e->suppressed ? "suppressed " : "", finding_kind_name(e->kind));
		for (size_t j = 0; j < e->nr_classes; j++)
			complain(sc, "%s%s", j ? ", " : "", e->classes[j]);
		complain(sc, "]\n");
	}
	engine__stats(engine, &s);
	for (size_t i = 0; i < sc->nr_stats; i++) {
		unsigned long long value;

		if (!stat_value(&s, sc->stats[i].name, &value))
			complain(sc, "%s:%d: unknown counter '%s'\n", sc->path, sc->stats[i].line,
				 sc->stats[i].name);
		else if (value != sc->stats[i].value)
			complain(sc, "%s:%d: %s=%llu expected, got %llu\n", sc->path,
				 sc->stats[i].line, sc->stats[i].name, sc->stats[i].value, value);
	}
}

static int replay(struct scenario *sc, struct engine *engine, struct trace_reader *reader)
{
	const struct ld_event *event;
	int ret;

	while ((ret = trace_reader__next(reader, &event)) > 0) {
		ret = engine__feed(engine, event);
		if (ret) {
			complain(sc, "%s: engine: %s\n", sc->path, strerror(-ret));
			return ret;
		}
	}
	if (ret < 0)
		complain(sc, "%s: the trace does not parse (see the line logged above)\n",
			 sc->path);
	return ret;
}

static void run_scenario(void **state)
{
	struct scenario *sc = calloc(1, sizeof(*sc));
	struct trace_reader *reader = NULL;
	struct engine *engine = NULL;
	struct rules *rules = NULL;
	struct symtab *symtab = NULL;

	assert_non_null(sc);
	sc->path = *state;
	if (parse_directives(sc))
		goto cleanup;
	if (rules_load_with_defaults(sc->rules, sc->nr_rules, !sc->no_default_rules, &rules)) {
		complain(sc, "%s: rules do not load (see the line logged above)\n", sc->path);
		goto cleanup;
	}
	symtab = new_symtab();
	assert_non_null(symtab);
	if (trace_reader__open(sc->path, symtab, &reader)) {
		complain(sc, "%s: cannot open\n", sc->path);
		goto cleanup;
	}
	engine = new_engine(rules, symtab);
	assert_non_null(engine);
	assert_int_equal(engine__set_gfp_layout(engine, trace_reader__gfp_layout(reader)), 0);
	if (replay(sc, engine, reader))
		goto cleanup;
	check_results(sc, engine);
cleanup:
	engine__free(engine);
	trace_reader__free(reader);
	symtab__free(symtab);
	rules__free(rules);
	scenario_free(sc);
	if (sc->message_len) {
		print_error("%s", sc->message);
		free(sc);
		fail_msg("scenario %s failed", (const char *)*state);
	}
	free(sc);
}

static void no_scenarios(void **state)
{
	fail_msg("no scenario found in %s", (const char *)*state);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int main(void)
{
	const char *dir = getenv("LOCKDEPD_SCENARIOS");
	struct CMUnitTest *tests;
	char pattern[4096];
	glob_t files = {};
	size_t nr;
	int ret;

	if (!dir || !*dir)
		dir = "tests/scenarios";
	snprintf(pattern, sizeof(pattern), "%s/*.trace", dir);
	if (glob(pattern, 0, NULL, &files) != 0 || files.gl_pathc == 0) {
		const struct CMUnitTest none[] = {
			cmocka_unit_test_prestate(no_scenarios, (void *)dir),
		};

		globfree(&files);
		return cmocka_run_group_tests_name("scenarios", none, NULL, NULL);
	}
	nr = files.gl_pathc;
	tests = calloc(nr, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < nr; i++) {
		tests[i] = (struct CMUnitTest){
			.name = basename_of(files.gl_pathv[i]),
			.test_func = run_scenario,
			.initial_state = files.gl_pathv[i],
		};
	}
	ret = _cmocka_run_group_tests("scenarios", tests, nr, NULL, NULL);
	free(tests);
	globfree(&files);
	return ret;
}
