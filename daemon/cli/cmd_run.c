// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd run: the daemon's command line (service.h runs it). The one
 * usage text of `run` is here; `lockdepd --help` prints it too.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "lib/log.h"
#include "output/report.h"
#include "service/service.h"

/* Every option cmd_run() takes, and nothing else. */
const char cmd_run_usage[] =
	"run [--rules FILE]... [--no-default-rules] [--format text|json] [--json FILE]\n"
	"               [--duration SEC] [--attach auto|fentry|kprobe] [--all-allocs]\n"
	"               [--all-stacks] [--all-events] [--chain-keys N] [--replay TRACE [--exit-on-eof]]\n"
	"               [--state-dir DIR|none] [--runtime-dir DIR|none] [--save-interval SEC]\n"
	"               [--kmsg PATH|none] [--alert-kmsg PATH] [--alert-json FILE]";

static int parse_seconds(const char *option, const char *arg, bool allow_zero, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || v < 0 || (!allow_zero && v == 0) || v > 1e9)
		return log_error_errno(-EINVAL, "%s: expected seconds%s, got '%s'", option,
				       allow_zero ? "" : " > 0", arg);
	*ret = v;
	return 0;
}

/* "none" turns a path option off. */
static const char *path_or_none(const char *arg)
{
	return strcmp(arg, "none") == 0 ? NULL : arg;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	/* systemd may list several directories separated by ':': the first is ours. */
	if (value && *value && !strchr(value, ':'))
		return value;
	return fallback;
}

int cmd_run(int argc, char **argv)
{
	enum {
		OPT_REPLAY = 256,
		OPT_EXIT_ON_EOF,
		OPT_STATE_DIR,
		OPT_RUNTIME_DIR,
		OPT_KMSG,
		OPT_ALERT_KMSG,
		OPT_ALERT_JSON,
		OPT_SAVE_INTERVAL,
		OPT_ALL_ALLOCS,
		OPT_ALL_STACKS,
		OPT_ALL_EVENTS,
		OPT_CHAIN_KEYS,
	};
	static const struct option options[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", required_argument, NULL, 'j' },
		{ "duration", required_argument, NULL, 'd' },
		{ "attach", required_argument, NULL, 'a' },
		{ "all-allocs", no_argument, NULL, OPT_ALL_ALLOCS },
		{ "all-stacks", no_argument, NULL, OPT_ALL_STACKS },
		{ "all-events", no_argument, NULL, OPT_ALL_EVENTS },
		{ "chain-keys", required_argument, NULL, OPT_CHAIN_KEYS },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "exit-on-eof", no_argument, NULL, OPT_EXIT_ON_EOF },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR },
		{ "kmsg", required_argument, NULL, OPT_KMSG },
		{ "alert-kmsg", required_argument, NULL, OPT_ALERT_KMSG },
		{ "alert-json", required_argument, NULL, OPT_ALERT_JSON },
		{ "save-interval", required_argument, NULL, OPT_SAVE_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct service_opts opts = {
		/*
		 * Only a service remembers: systemd's StateDirectory= sets
		 * $STATE_DIRECTORY. A one-off run starts fresh unless asked.
		 */
		.state_dir = env_or("STATE_DIRECTORY", NULL),
		.runtime_dir = env_or("RUNTIME_DIRECTORY", SERVICE_RUNTIME_DIR_DEFAULT),
		.save_interval = 300,
	};
	struct cli cli = { .name = "run", .usage = cmd_run_usage };
	const char *kmsg = NULL, *alert_json = NULL;
	bool kmsg_given = false, alert_json_given = false;
	char alert_json_default[PATH_MAX];
	double seconds;
	int status = EXIT_BAD_INPUT;
	int opt;

	while ((opt = cli_getopt(&cli, argc, argv, "r:f:j:d:a:h", options)) >= 0) {
		switch (opt) {
		case 'f':
			if (report_format_parse(optarg, &opts.format))
				goto cleanup;
			break;
		case 'j':
			opts.json_path = optarg;
			break;
		case 'd':
			if (parse_seconds("--duration", optarg, false, &opts.duration))
				goto cleanup;
			break;
		case 'a':
			if (live_parse_attach(optarg, &opts.attach))
				goto cleanup;
			break;
		case OPT_ALL_ALLOCS:
			opts.all_allocs = true;
			break;
		case OPT_ALL_STACKS:
			opts.all_stacks = true;
			break;
		case OPT_ALL_EVENTS:
			opts.all_events = true;
			break;
		case OPT_CHAIN_KEYS:
			if (cli_parse_chain_keys(optarg, &opts.chain_keys))
				goto cleanup;
			break;
		case OPT_REPLAY:
			opts.replay_path = optarg;
			break;
		case OPT_EXIT_ON_EOF:
			opts.exit_on_eof = true;
			break;
		case OPT_STATE_DIR:
			opts.state_dir = path_or_none(optarg);
			break;
		case OPT_RUNTIME_DIR:
			opts.runtime_dir = path_or_none(optarg);
			break;
		case OPT_KMSG:
			kmsg = path_or_none(optarg);
			kmsg_given = true;
			break;
		case OPT_ALERT_KMSG:
			opts.alert_kmsg_path = optarg;
			break;
		case OPT_ALERT_JSON:
			alert_json = path_or_none(optarg);
			alert_json_given = true;
			break;
		case OPT_SAVE_INTERVAL:
			if (parse_seconds("--save-interval", optarg, true, &seconds))
				goto cleanup;
			opts.save_interval = seconds > 0 && seconds < 1 ? 1 : (unsigned int)seconds;
			break;
		}
	}
	if (opt == CLI_STOP) {
		status = cli.status;
		goto cleanup;
	}
	if (cli_no_operand(&cli, argc, argv))
		goto cleanup;
	opts.rule_paths = cli.rules.paths;
	opts.nr_rule_paths = cli.rules.nr_paths;
	opts.no_default_rules = cli.rules.no_defaults;
	if (opts.exit_on_eof && !opts.replay_path) {
		log_error("run: --exit-on-eof needs --replay");
		goto cleanup;
	}
	/* A replayed trace carries its own markers: the host's log is not its test's. */
	opts.kmsg_path = kmsg_given ? kmsg : (opts.replay_path ? NULL : "/dev/kmsg");
	/* Only the default may be missing: a path asked for must work. */
	opts.kmsg_optional = !kmsg_given;
	if (alert_json_given) {
		opts.alert_json_path = alert_json;
	} else if (opts.state_dir) {
		snprintf(alert_json_default, sizeof(alert_json_default), "%s/alerts.jsonl",
			 opts.state_dir);
		opts.alert_json_path = alert_json_default;
	}
	status = service_run(&opts);
cleanup:
	cli_rules__fini(&cli.rules);
	return status;
}
