// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd run: live analysis. The live source feeds the engine directly;
 * each finding is printed the moment the engine finds it (suppressed ones
 * are counted, not printed), and a summary closes the run on SIGINT,
 * SIGTERM or the end of --duration. Exit 0 nothing found, 1 findings, 2
 * when lock operations cannot be seen here (one line says why).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "engine.h"
#include "live.h"
#include "log.h"
#include "probe.h"
#include "report.h"
#include "rules.h"
#include "symtab.h"

#define POLL_MS 100

struct run_output {
	struct report_opts opts; /* stdout */
	struct report_opts json_opts; /* --json FILE */
	FILE *json;
	struct symtab *symtab;
	unsigned long printed;
};

static void print_finding(const struct finding *finding, void *ctx)
{
	struct run_output *out = ctx;

	if (finding->suppressed)
		return;
	report_finding(stdout, &out->opts, finding, out->symtab);
	fflush(stdout);
	if (out->json) {
		report_finding(out->json, &out->json_opts, finding, out->symtab);
		fflush(out->json);
	}
	out->printed++;
}

static int feed(const struct ld_event *event, void *ctx)
{
	return engine__feed(ctx, event);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_duration(const char *arg, double *ret_seconds)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || v <= 0)
		return log_error_errno(-EINVAL, "--duration: expected seconds > 0, got '%s'", arg);
	*ret_seconds = v;
	return 0;
}

/* Runs until a stop signal or the deadline; 0 or a negative errno (logged). */
static int capture(struct live *live, struct engine *engine, double duration)
{
	double deadline = duration > 0 ? now_seconds() + duration : 0;
	int err;

	for (;;) {
		int timeout = POLL_MS;

		if (live_stop_requested())
			break;
		if (deadline) {
			double left = deadline - now_seconds();

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)(left * 1000) + 1;
		}
		err = live__poll(live, timeout, feed, engine);
		if (err == -EINTR)
			continue;
		if (err < 0)
			return log_error_errno(err, "live capture: %s", strerror(-err));
	}
	err = live__drain(live, feed, engine);
	if (err < 0 && err != -EINTR)
		return log_error_errno(err, "live capture: %s", strerror(-err));
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: lockdepd run [--rules FILE]... [--format text|json] [--json FILE] "
		     "[--duration SEC] [--attach auto|fentry|kprobe] [--all-stacks]\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", required_argument, NULL, 'j' },
		{ "duration", required_argument, NULL, 'd' },
		{ "attach", required_argument, NULL, 'a' },
		{ "all-stacks", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct live_opts live_opts = { .attach = LIVE_ATTACH_AUTO };
	struct run_output out = { .json_opts.format = REPORT_JSON };
	struct engine_stats stats;
	struct engine *engine = NULL;
	struct rules *rules = NULL;
	struct symtab *symtab = NULL;
	struct live *live = NULL;
	struct live_stats live_stats;
	char **rule_paths;
	size_t nr_rule_paths = 0;
	const char *json_path = NULL;
	double duration = 0;
	int status = EXIT_BAD_INPUT;
	int opt;

	rule_paths = calloc(argc, sizeof(*rule_paths));
	if (!rule_paths)
		return EXIT_BAD_INPUT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:f:j:d:a:h", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rule_paths[nr_rule_paths++] = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0) {
				out.opts.format = REPORT_JSON;
			} else if (strcmp(optarg, "text") != 0) {
				log_error("--format: expected text or json, got '%s'", optarg);
				goto cleanup;
			}
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'd':
			if (parse_duration(optarg, &duration))
				goto cleanup;
			break;
		case 'a':
			if (live_parse_attach(optarg, &live_opts.attach))
				goto cleanup;
			break;
		case 'S':
			live_opts.all_stacks = true;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto cleanup;
		default:
			usage(stderr);
			goto cleanup;
		}
	}
	if (optind != argc) {
		log_error("run: unexpected argument '%s'", argv[optind]);
		goto cleanup;
	}
	if (rules_load_all(rule_paths, nr_rule_paths, &rules))
		goto cleanup;
	if (json_path) {
		out.json = fopen(json_path, "we");
		if (!out.json) {
			log_error("%s: %s", json_path, strerror(errno));
			goto cleanup;
		}
	}
	symtab = symtab__new();
	if (!symtab)
		goto cleanup;
	live_opts.rules = rules;
	if (live__open(&live_opts, symtab, &live))
		goto cleanup;
	if (!live__lock_probes_attached(live)) {
		log_error("%s", live__lock_refusal(live) ? live__lock_refusal(live)
							 : "lock probes do not attach");
		goto cleanup;
	}

	engine = engine__new(rules, symtab);
	if (!engine) {
		log_error("engine: %s", strerror(errno));
		goto cleanup;
	}
	if (engine__set_gfp_layout(engine, live__gfp_layout(live)))
		goto cleanup;
	out.symtab = symtab;
	out.opts.kernel_release = live__kernel_release(live);
	out.json_opts.kernel_release = out.opts.kernel_release;
	engine__set_finding_fn(engine, print_finding, &out);
	if (live_catch_signals(false) < 0)
		goto cleanup;
	log_info("watching %s (%s); findings appear as they are found%s",
		 live__kernel_release(live), live__report_info(live)->lock_attach,
		 duration > 0 ? "" : ", Ctrl-C ends with a summary");

	if (capture(live, engine, duration))
		goto cleanup;

	engine__stats(engine, &stats);
	live__stats(live, &live_stats);
	/* As in `report`: JSON stdout holds findings only, the summary goes to stderr. */
	report_summary(out.opts.format == REPORT_JSON ? stderr : stdout, &out.opts, &stats);
	if (out.json)
		report_summary(out.json, &out.json_opts, &stats);
	if (live_stats.lost)
		log_warning("%llu records were lost (ring buffer full): findings may be missing",
			    (unsigned long long)live_stats.lost);
	status = out.printed ? EXIT_FINDINGS : 0;
cleanup:
	engine__free(engine);
	live__free(live);
	symtab__free(symtab);
	rules__free(rules);
	if (out.json)
		fclose(out.json);
	free(rule_paths);
	return status;
}
