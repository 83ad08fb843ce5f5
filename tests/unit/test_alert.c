// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Alert actions (daemon/output/alert.c): the rate limiter, the kmsg line igt_runner
 * reads, which findings go where, exec commands (stdin, environment, exit
 * status, time limit, never waited for), and the exec safety check.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "constructors.h"

#include "output/alert.h"
#include "engine/engine.h"
#include "lib/log.h"
#include "engine/rules.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

/* --- log capture ----------------------------------------------------------- */

static char logged[8192];

static void capture_log(enum log_level level, const char *msg, void *ctx)
{
	size_t used = strlen(logged);

	snprintf(logged + used, sizeof(logged) - used, "%s\n", msg);
}

static char dir[PATH_MAX];

static int setup(void **state)
{
	logged[0] = '\0';
	log_set_sink(capture_log, NULL);
	snprintf(dir, sizeof(dir), "/tmp/lockdepd-alert-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- rate limit ---------------------------------------------------------------- */

static void test_rate_limit(void **state)
{
	struct rate_limit limit;
	int allowed = 0;

	rate_limit_init(&limit, 10, 60);
	for (int i = 0; i < 20; i++)
		allowed += rate_limit_allow(&limit, 100.0);
	assert_int_equal(allowed, 10);
	/* One token every 6 s. */
	assert_false(rate_limit_allow(&limit, 105.9));
	assert_true(rate_limit_allow(&limit, 106.0));
	assert_false(rate_limit_allow(&limit, 106.0));
	/* A long quiet spell refills to the burst, no more. */
	allowed = 0;
	for (int i = 0; i < 20; i++)
		allowed += rate_limit_allow(&limit, 10000.0);
	assert_int_equal(allowed, 10);
	/* Time going backwards (it does not, but) gives nothing away. */
	assert_false(rate_limit_allow(&limit, 50.0));

	rate_limit_init(&limit, 1, 3600);
	assert_true(rate_limit_allow(&limit, 0));
	assert_false(rate_limit_allow(&limit, 3599));
	assert_true(rate_limit_allow(&limit, 3600));

	rate_limit_init(&limit, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(rate_limit_allow(&limit, 1.0));
}

/* --- findings to alert on ------------------------------------------------------ */

struct graph {
	struct symtab *symtab;
	struct engine *engine;
};

static const char *const two_cycles = "init lock=0x10 name=\"&a->lock\" site=a_init\n"
				      "init lock=0x20 name=\"&b->lock\" site=b_init\n"
				      "init lock=0x30 name=\"&c->lock\" site=c_init\n"
				      "mark text=\"[IGT] gem_x: executing\"\n"
				      "mark text=\"[IGT] gem_x: starting subtest y\"\n"
				      "acquire pid=1 lock=0x10 ip=f+0x1 comm=one\n"
				      "acquire pid=1 lock=0x20 ip=f+0x2 comm=one\n"
				      "release pid=1 lock=0x20\n"
				      "release pid=1 lock=0x10\n"
				      "acquire pid=2 lock=0x20 ip=g+0x1 comm=two\n"
				      "acquire pid=2 lock=0x10 ip=g+0x2 comm=two\n"
				      "release pid=2 lock=0x10\n"
				      "release pid=2 lock=0x20\n"
				      "acquire pid=3 lock=0x30 ip=h+0x1 comm=three\n"
				      "acquire pid=3 lock=0x30 ip=h+0x2 comm=three\n";

static struct graph graph_load(const char *trace)
{
	struct graph g = { .symtab = new_symtab() };
	struct trace_reader *reader = NULL;
	const struct ld_event *event;
	int err;

	assert_non_null(g.symtab);
	g.engine = new_engine(NULL, g.symtab);
	assert_non_null(g.engine);
	assert_int_equal(
		trace_reader__open_memory(trace, strlen(trace), "t.trace", g.symtab, &reader), 0);
	while ((err = trace_reader__next(reader, &event)) > 0)
		assert_int_equal(engine__feed(g.engine, event), 0);
	assert_int_equal(err, 0);
	trace_reader__free(reader);
	return g;
}

static void graph_free(struct graph *g)
{
	engine__free(g->engine);
	symtab__free(g->symtab);
}

static const struct finding *finding_of(const struct graph *g, int kind)
{
	for (size_t i = 0; i < engine__nr_findings(g->engine); i++)
		if ((int)engine__finding(g->engine, i)->kind == kind)
			return engine__finding(g->engine, i);
	fail_msg("no finding of kind %d", kind);
	return NULL;
}

/* --- text --------------------------------------------------------------------- */

static void test_summary_and_kmsg_line(void **state)
{
	struct graph g = graph_load(two_cycles);
	const struct finding *circular = finding_of(&g, FINDING_CIRCULAR);
	const struct finding *recursive = finding_of(&g, FINDING_RECURSIVE);
	char buf[1024];
	size_t len;

	finding_summary(circular, buf, sizeof(buf));
	assert_string_equal(buf, "circular: &a->lock -> &b->lock -> &a->lock");
	finding_summary(recursive, buf, sizeof(buf));
	assert_string_equal(buf, "recursive: &c->lock -> &c->lock");
	finding_summary(circular, buf, 20);
	assert_string_equal(buf, "circular: &a->lo...");

	len = alert_kmsg_line(circular, buf, sizeof(buf));
	assert_int_equal(len, strlen(buf));
	assert_string_equal(buf, "<4>lockdepd: WARNING: possible circular locking dependency: "
				 "&a->lock -> &b->lock -> &a->lock (circular, first in "
				 "igt@gem_x@y, by two/2)\n");
	len = alert_kmsg_line(recursive, buf, sizeof(buf));
	assert_string_equal(buf, "<4>lockdepd: WARNING: possible recursive locking: &c->lock -> "
				 "&c->lock (recursive, first in igt@gem_x@y, by three/3)\n");
	graph_free(&g);
}

static void test_kmsg_line_is_safe(void **state)
{
	const char *classes[] = { "x: starting subtest y", "line\nbreak\x01",
				  "a: starting subtest : starting subtest b" };
	struct finding f = {
		.kind = FINDING_CIRCULAR,
		.classes = classes,
		.nr_classes = 3,
		.comm = "ev: starting subtest il",
		.pid = 5,
		.test = "igt@t: starting subtest @s",
	};
	char big[4096], buf[2048];

	alert_kmsg_line(&f, buf, sizeof(buf));
	assert_null(strstr(buf, IGT_SUBTEST_SEPARATOR));
	assert_non_null(strstr(buf, "x: starting_subtest y"));
	assert_non_null(strstr(buf, "line?break?"));
	/* One line, ending in the newline the kernel log takes. */
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);

	/* Long names are cut, visibly, and the line stays within what /dev/kmsg takes. */
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	classes[0] = big;
	alert_kmsg_line(&f, buf, sizeof(buf));
	assert_true(strlen(buf) < 1000);
	assert_non_null(strstr(buf, "...\n"));
	assert_int_equal(strncmp(buf, "<4>lockdepd: ", 13), 0);
}

/* --- actions ------------------------------------------------------------------- */

static struct rules *rules_from(const char *yaml)
{
	struct rules *rules = NULL;

	assert_int_equal(rules__load_buffer("t.yaml", yaml, strlen(yaml), &rules), 0);
	return rules;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void test_kmsg_and_json_actions(void **state)
{
	struct graph g = graph_load(two_cycles);
	char kmsg[PATH_MAX], json[PATH_MAX];
	struct alert_opts opts = { .kmsg_path = kmsg, .json_path = json, .symtab = g.symtab };
	struct rules *rules = rules_from("alerts:\n"
					 "  - {kinds: [circular], actions: [kmsg]}\n"
					 "  - {kinds: [recursive], actions: [json, kmsg]}\n"
					 "  - {kinds: [order], actions: [json]}\n");
	struct alerter *alerter = NULL;
	struct alert_stats stats;
	char *text;

	snprintf(kmsg, sizeof(kmsg), "%s/kmsg", dir);
	snprintf(json, sizeof(json), "%s/alerts.jsonl", dir);
	assert_int_equal(alerter__new(&opts, &alerter), 0);
	assert_int_equal(alerter__set_rules(alerter, rules), 0);
	for (size_t i = 0; i < engine__nr_findings(g.engine); i++)
		alerter__finding(alerter, engine__finding(g.engine, i), now());
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.findings, 2);
	assert_int_equal(stats.kmsg, 2);
	assert_int_equal(stats.json, 1);
	assert_int_equal(stats.errors, 0);

	text = slurp(kmsg);
	assert_int_equal(count_lines(text), 2);
	assert_non_null(strstr(text, "possible circular locking dependency"));
	assert_non_null(strstr(text, "possible recursive locking"));
	free(text);
	text = slurp(json);
	assert_int_equal(count_lines(text), 1);
	assert_int_equal(strncmp(text, "{\"kind\":\"recursive\",\"classes\":[\"&c->lock\"]", 42),
			 0);
	free(text);

	/* No rules: nothing goes anywhere. */
	assert_int_equal(alerter__set_rules(alerter, NULL), 0);
	alerter__finding(alerter, engine__finding(g.engine, 0), now());
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.kmsg, 2);
	alerter__free(alerter);
	rules__free(rules);
	graph_free(&g);
}

static void test_matching(void **state)
{
	struct graph g = graph_load(two_cycles);
	struct finding suppressed = *finding_of(&g, FINDING_CIRCULAR);
	char kmsg[PATH_MAX];
	struct alert_opts opts = { .kmsg_path = kmsg, .symtab = g.symtab };
	struct rules *rules = rules_from("classes:\n  - {name: B}\n  - {name: C}\n"
					 "alerts:\n"
					 "  - {classes: [C], actions: [kmsg]}\n"
					 "  - {classes: [B], actions: [json]}\n");
	struct alerter *alerter = NULL;
	struct alert_stats stats;
	const char *c_classes[] = { "C" };
	struct finding c = { .kind = FINDING_RECURSIVE, .classes = c_classes, .nr_classes = 1 };

	snprintf(kmsg, sizeof(kmsg), "%s/kmsg", dir);
	assert_int_equal(alerter__new(&opts, &alerter), 0);
	assert_int_equal(alerter__set_rules(alerter, rules), 0);
	/* Classes "&a->lock", "&b->lock": neither rule names them. */
	alerter__finding(alerter, finding_of(&g, FINDING_CIRCULAR), now());
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.findings, 0);
	alerter__finding(alerter, &c, now());
	suppressed = c;
	suppressed.suppressed = true;
	alerter__finding(alerter, &suppressed, now());
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.findings, 1);
	assert_int_equal(stats.kmsg, 1);
	/* The json action has no file: said once, counted each time. */
	c_classes[0] = "B";
	alerter__finding(alerter, &c, now());
	alerter__finding(alerter, &c, now());
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.errors, 2);
	assert_non_null(strstr(logged, "alert json: No such file or directory (further failures "
				       "are only counted)"));
	assert_null(strstr(strstr(logged, "alert json") + 1, "alert json"));
	alerter__free(alerter);
	rules__free(rules);
	graph_free(&g);
}

static void test_rate_limited_alerts(void **state)
{
	struct graph g = graph_load(two_cycles);
	char kmsg[PATH_MAX];
	struct alert_opts opts = { .kmsg_path = kmsg, .symtab = g.symtab };
	struct rules *rules = rules_from("alerts:\n  - {actions: [kmsg], rate_limit: 2/hour}\n"
					 "  - {actions: [kmsg], kinds: [order]}\n");
	struct alerter *alerter = NULL;
	struct alert_stats stats;
	double t = now();

	snprintf(kmsg, sizeof(kmsg), "%s/kmsg", dir);
	assert_int_equal(alerter__new(&opts, &alerter), 0);
	assert_int_equal(alerter__set_rules(alerter, rules), 0);
	for (int i = 0; i < 5; i++)
		alerter__finding(alerter, finding_of(&g, FINDING_CIRCULAR), t);
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.kmsg, 2);
	assert_int_equal(stats.rate_limited, 3);
	assert_int_equal(stats.findings, 5);
	/* A reload starts the limits afresh. */
	assert_int_equal(alerter__set_rules(alerter, rules), 0);
	alerter__finding(alerter, finding_of(&g, FINDING_CIRCULAR), t);
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.kmsg, 3);
	alerter__free(alerter);
	rules__free(rules);
	graph_free(&g);
}

/* --- exec ----------------------------------------------------------------------- */

/* Reaps until nothing runs, as the service does on SIGCHLD; false after `seconds`. */
static bool wait_children(struct alerter *alerter, double seconds)
{
	double deadline = now() + seconds;

	while (alerter__nr_running(alerter)) {
		if (now() > deadline)
			return false;
		alerter__kill_overdue(alerter, now());
		usleep(10000);
		alerter__reap(alerter);
	}
	return true;
}

static void test_exec(void **state)
{
	struct graph g = graph_load(two_cycles);
	struct alert_opts opts = { .symtab = g.symtab };
	char yaml[2 * PATH_MAX], path[PATH_MAX + 16];
	struct rules *rules;
	struct alerter *alerter = NULL;
	struct alert_stats stats;
	double t0;
	char *text;

	snprintf(yaml, sizeof(yaml),
		 "alerts:\n"
		 "  - {kinds: [circular], exec: \"cat >%s/stdin; env >%s/env\"}\n"
		 "  - {kinds: [circular], exec: \"exit 7\"}\n"
		 "  - {kinds: [circular], exec: \"sleep 30\", exec_timeout: 1}\n",
		 dir, dir);
	rules = rules_from(yaml);
	setenv("LOCKDEPD_KIND", "stale, from the daemon's own environment", 1);
	assert_int_equal(alerter__new(&opts, &alerter), 0);
	assert_int_equal(alerter__set_rules(alerter, rules), 0);
	t0 = now();
	alerter__finding(alerter, finding_of(&g, FINDING_CIRCULAR), t0);
	/* Started, not waited for. */
	assert_true(now() - t0 < 0.5);
	assert_int_equal(alerter__nr_running(alerter), 3);
	assert_in_range(alerter__timeout_ms(alerter, t0), 999, 1001);
	assert_true(wait_children(alerter, 10));
	/* The hanging one lived about its time limit. */
	assert_true(now() - t0 >= 1.0);
	assert_true(now() - t0 < 5.0);
	assert_int_equal(alerter__timeout_ms(alerter, now()), -1);
	alerter__stats(alerter, &stats);
	assert_int_equal(stats.exec_started, 3);
	assert_int_equal(stats.exec_failed, 2);
	assert_int_equal(stats.exec_killed, 1);
	assert_non_null(strstr(logged, "alert exec 'exit 7' for circular: &a->lock -> &b->lock -> "
				       "&a->lock: exited with status 7"));
	assert_non_null(strstr(logged, "alert exec 'sleep 30' for circular: &a->lock -> &b->lock "
				       "-> &a->lock: killed after its time limit of 1 s"));

	snprintf(path, sizeof(path), "%s/stdin", dir);
	text = slurp(path);
	assert_int_equal(
		strncmp(text, "{\"kind\":\"circular\",\"classes\":[\"&a->lock\",\"&b->lock\"]", 52),
		0);
	assert_int_equal(count_lines(text), 1);
	free(text);
	snprintf(path, sizeof(path), "%s/env", dir);
	text = slurp(path);
	assert_non_null(strstr(text, "\nLOCKDEPD_KIND=circular\n"));
	assert_non_null(strstr(text, "\nLOCKDEPD_CLASSES=&a->lock,&b->lock\n"));
	assert_non_null(strstr(text, "\nLOCKDEPD_TEST=igt@gem_x@y\n"));
	assert_null(strstr(text, "stale"));
	free(text);
	unsetenv("LOCKDEPD_KIND");
	alerter__free(alerter);
	rules__free(rules);
	graph_free(&g);
}

/* Commands still running when the daemon goes are killed, not left behind. */
static void test_free_kills_children(void **state)
{
	struct graph g = graph_load(two_cycles);
	struct alert_opts opts = { .symtab = g.symtab };
	char yaml[PATH_MAX + 128], path[PATH_MAX + 16];
	struct rules *rules;
	struct alerter *alerter = NULL;
	char *text;
	pid_t pid;

	snprintf(yaml, sizeof(yaml),
		 "alerts:\n  - {kinds: [circular], exec: \"echo $$ >%s/pid; exec sleep 30\"}\n",
		 dir);
	rules = rules_from(yaml);
	assert_int_equal(alerter__new(&opts, &alerter), 0);
	assert_int_equal(alerter__set_rules(alerter, rules), 0);
	alerter__finding(alerter, finding_of(&g, FINDING_CIRCULAR), now());
	snprintf(path, sizeof(path), "%s/pid", dir);
	for (int i = 0; i < 500 && access(path, F_OK) != 0; i++)
		usleep(10000);
	usleep(50000);
	text = slurp(path);
	pid = (pid_t)atoi(text);
	free(text);
	assert_true(pid > 0);
	alerter__free(alerter);
	/* Reaped: the pid no longer names our child. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	rules__free(rules);
	graph_free(&g);
}

/* --- exec safety --------------------------------------------------------------------- */

static void test_exec_safety(void **state)
{
	char sub[PATH_MAX], file[PATH_MAX + 16], unsafe[PATH_MAX + 64], expected[PATH_MAX + 64];
	struct rules *rules = NULL;
	char yaml[] = "alerts:\n  - {exec: \"true\"}\n";
	FILE *f;

	snprintf(sub, sizeof(sub), "%s/etc", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(file, sizeof(file), "%s/rules.yaml", sub);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	assert_int_equal(chmod(file, 0644), 0);

	/* dir is under /tmp: world-writable, but sticky and root's. */
	if (getuid() != 0)
		skip();
	assert_int_equal(path_check_root_only(file, unsafe, sizeof(unsafe)), 0);

	assert_int_equal(chmod(sub, 0775), 0);
	assert_int_equal(path_check_root_only(file, unsafe, sizeof(unsafe)), -EPERM);
	snprintf(expected, sizeof(expected), "%s (owner uid 0, mode 0775)", sub);
	assert_string_equal(unsafe, expected);
	/* Sticky helps a directory above, never the file's own permissions. */
	assert_int_equal(chmod(sub, 01777), 0);
	assert_int_equal(path_check_root_only(file, unsafe, sizeof(unsafe)), 0);
	assert_int_equal(chmod(file, 01666), 0);
	assert_int_equal(path_check_root_only(file, unsafe, sizeof(unsafe)), -EPERM);
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(chown(file, 65534, 0), 0);
	assert_int_equal(path_check_root_only(file, unsafe, sizeof(unsafe)), -EPERM);
	snprintf(expected, sizeof(expected), "%s (owner uid 65534, mode 0644)", file);
	assert_string_equal(unsafe, expected);

	/* The rules-level check names the file the exec rule came from. */
	assert_int_equal(rules__load(file, &rules), 0);
	assert_int_equal(alert_check_exec_safety(rules), -EPERM);
	assert_non_null(strstr(logged, "rules.yaml: refusing exec alerts: "));
	assert_int_equal(chown(file, 0, 0), 0);
	assert_int_equal(alert_check_exec_safety(rules), 0);
	rules__free(rules);

	/* Without exec, nothing is asked of the file. */
	{
		static const char kmsg_only[] = "alerts:\n  - {actions: [kmsg]}\n";

		assert_int_equal(rules__load_buffer("/nonexistent/x.yaml", kmsg_only,
						    strlen(kmsg_only), &rules),
				 0);
	}
	assert_int_equal(alert_check_exec_safety(rules), 0);
	rules__free(rules);
	assert_int_equal(alert_check_exec_safety(NULL), 0);
	assert_int_equal(path_check_root_only("/nonexistent/x", unsafe, sizeof(unsafe)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test_setup_teardown(test_summary_and_kmsg_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmsg_line_is_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kmsg_and_json_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_matching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limited_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_kills_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_safety, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
