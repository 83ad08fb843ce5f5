// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd record: one-shot capture into a binary trace, for `lockdepd
 * report` later or elsewhere. Records until --duration ends, the COMMAND
 * exits or SIGINT/SIGTERM arrives, whichever comes first; the whole system
 * is recorded (the command is what happens meanwhile, not a filter). On a
 * terminal one status line shows events/s and losses. Exit: the command's
 * status when there is one, else 0; 2 when nothing could be recorded.
 *
 * The chain cache works as under `run`: an engine fed the same records
 * says which chains it has seen, and the probes keep their repeats in the
 * kernel. The trace then holds held records where acquisitions were left
 * out, and `report` gets the findings `run` would. --all-events records
 * everything the probes see instead.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "engine/engine.h"
#include "engine/rules.h"
#include "event/symtab.h"
#include "lib/log.h"
#include "source/live/live.h"
#include "source/live/probe.h"
#include "source/trace/trace.h"

#define POLL_MS	 100
#define FLUSH_MS 1000

struct recorder {
	struct trace_writer *writer;
	struct engine *engine; /* learns the chains the probes may keep back; NULL: none */
	int err;
};

/*
 * SIGINT and SIGTERM (and SIGCHLD with a COMMAND) interrupt live__poll()
 * with -EINTR instead of killing the process, so that what was recorded
 * is flushed and the trace closed.
 */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_child_signal(int sig)
{
	(void)sig;
}

static int catch_signals(bool watch_children)
{
	/* No SA_RESTART: the signal must end the ring buffer's epoll_wait. */
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	if (watch_children) {
		sa.sa_handler = on_child_signal;
		sa.sa_flags = SA_NOCLDSTOP;
		if (sigaction(SIGCHLD, &sa, NULL) < 0)
			return -errno;
	}
	return 0;
}

static bool stop_requested_by_signal(void)
{
	return stop_requested;
}

static int write_event(const struct ld_event *event, void *ctx)
{
	struct recorder *rec = ctx;
	int err = trace_writer__write(rec->writer, event);

	if (err)
		rec->err = err;
	/* Written first: a fact the engine then hands out concerns records already in the file. */
	if (!err && rec->engine)
		err = engine__feed(rec->engine, event);
	return err;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_status(bool tty, double elapsed, __u64 events, __u64 rate, __u64 lost, bool final)
{
	if (!tty)
		return;
	fprintf(stderr, "\rlockdepd: %.0fs, %llu events (%llu/s), %llu lost\033[K%s", elapsed,
		(unsigned long long)events, (unsigned long long)rate, (unsigned long long)lost,
		final ? "\n" : "");
	fflush(stderr);
}

/* Starts COMMAND once the probes are attached. */
static int spawn(char **argv, pid_t *ret_pid)
{
	pid_t pid = fork();

	if (pid < 0)
		return log_error_errno(-errno, "fork: %m");
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "lockdepd: %s: %m\n", argv[0]);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

/* The shell's convention: the exit code, or 128 + the signal. */
static int exit_status_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return EXIT_BAD_INPUT;
}

struct capture_state {
	pid_t child;
	int child_status;
	bool child_done;
};

static void reap(struct capture_state *st, bool block)
{
	int wstatus;

	if (st->child <= 0 || st->child_done)
		return;
	if (waitpid(st->child, &wstatus, block ? 0 : WNOHANG) == st->child) {
		st->child_done = true;
		st->child_status = exit_status_of(wstatus);
	}
}

static int capture(struct live *live, struct recorder *rec, struct capture_state *st,
		   double duration)
{
	bool tty = isatty(STDERR_FILENO);
	double start = now_seconds(), last_flush = start, last_show = start, elapsed;
	__u64 last_events = 0;
	struct live_stats stats;
	int err;

	for (;;) {
		double now = now_seconds();
		int timeout = POLL_MS;

		reap(st, false);
		if (stop_requested_by_signal() || st->child_done)
			break;
		if (duration > 0) {
			double left = start + duration - now;

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)(left * 1000) + 1;
		}
		err = live__poll(live, timeout, write_event, rec);
		if (err < 0 && err != -EINTR)
			return log_error_errno(err, "recording: %m");
		now = now_seconds();
		if (now - last_flush >= FLUSH_MS / 1000.0) {
			trace_writer__flush(rec->writer);
			last_flush = now;
		}
		if (now - last_show >= 1.0) {
			live__stats(live, &stats);
			show_status(tty, now - start, stats.events,
				    (__u64)((stats.events - last_events) / (now - last_show)),
				    stats.lost, false);
			last_events = stats.events;
			last_show = now;
		}
	}
	/* What the command did just before exiting is still in the ring buffer. */
	err = live__drain(live, write_event, rec);
	if (err < 0 && err != -EINTR)
		return log_error_errno(err, "recording: %m");
	live__stats(live, &stats);
	elapsed = now_seconds() - start;
	/* The last line gives the average rate over the whole recording. */
	show_status(tty, elapsed, stats.events, elapsed > 0 ? (__u64)(stats.events / elapsed) : 0,
		    stats.lost, true);
	return 0;
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

int cmd_record(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'D' },
		{ "attach", required_argument, NULL, 'a' },
		{ "all-allocs", no_argument, NULL, 'A' },
		{ "all-stacks", no_argument, NULL, 'S' },
		{ "all-events", no_argument, NULL, 'E' },
		{ "chain-keys", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli cli = {
		.name = "record",
		.usage = "record -o FILE [--duration SEC] [--rules FILE]... [--no-default-rules]\n"
			 "       [--attach auto|fentry|kprobe] [--all-allocs] [--all-stacks]\n"
			 "       [--all-events] [--chain-keys N]\n"
			 "       [-- COMMAND ...]",
	};
	struct live_opts live_opts = { .attach = LIVE_ATTACH_AUTO, .chain_cache = true };
	struct capture_state st = { .child = -1 };
	struct trace_writer_opts wopts = { 0 };
	struct recorder rec = { 0 };
	struct rules *rules = NULL;
	struct symtab *symtab = NULL;
	struct live *live = NULL;
	struct live_stats stats;
	char **command = NULL;
	const char *output = NULL;
	double duration = 0;
	int status = EXIT_BAD_INPUT;
	int opt, err;

	/* '+': stop at the first non-option, so that COMMAND keeps its own options. */
	while ((opt = cli_getopt(&cli, argc, argv, "+o:d:r:a:h", options)) >= 0) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'd':
			if (parse_duration(optarg, &duration))
				goto cleanup;
			break;
		case 'a':
			if (live_parse_attach(optarg, &live_opts.attach))
				goto cleanup;
			break;
		case 'A':
			live_opts.all_allocs = true;
			break;
		case 'S':
			live_opts.all_stacks = true;
			break;
		case 'E':
			live_opts.all_allocs = true;
			live_opts.chain_cache = false;
			break;
		case 'K':
			if (cli_parse_chain_keys(optarg, &live_opts.chain_keys))
				goto cleanup;
			break;
		}
	}
	if (opt == CLI_STOP) {
		status = cli.status;
		goto cleanup;
	}
	if (!output) {
		log_error("record: -o FILE is required");
		cli_usage(&cli, false);
		goto cleanup;
	}
	if (optind < argc)
		command = argv + optind;
	/* The defaults too: their lock_args (run-time class keys) must be in the trace. */
	if (cli_rules__load(&cli.rules, true, &rules))
		goto cleanup;
	if (symtab__new(&symtab))
		goto cleanup;
	live_opts.rules = rules;
	if (live__open(&live_opts, symtab, &live))
		goto cleanup;
	if (probe_table__attached(live__probe_table(live), PROBE_GROUP_LOCK) == 0 &&
	    probe_table__attached(live__probe_table(live), PROBE_GROUP_ALLOC) == 0) {
		log_error("nothing to record: %s", live__lock_refusal(live)
							   ? live__lock_refusal(live)
							   : "no probe attaches");
		goto cleanup;
	}
	if (!live__lock_probes_attached(live))
		log_warning("%s; recording the rest (allocations, reclaim)",
			    live__lock_refusal(live) ? live__lock_refusal(live)
						     : "lock probes do not attach");

	if (live_opts.chain_cache) {
		if (engine__new(rules, symtab, &rec.engine) ||
		    engine__set_gfp_layout(rec.engine, live__gfp_layout(live))) {
			log_error("record: engine: out of memory");
			goto cleanup;
		}
		engine__set_chain_fn(rec.engine, live__chain_fact, live);
	}
	wopts.kernel_release = live__kernel_release(live);
	wopts.gfp = live__gfp_layout(live);
	if (trace_writer__open(output, &wopts, symtab, &rec.writer))
		goto cleanup;
	if (catch_signals(command != NULL) < 0)
		goto cleanup;
	if (command && spawn(command, &st.child))
		goto cleanup;

	err = capture(live, &rec, &st, duration);
	if (st.child > 0 && !st.child_done) {
		/* Stopped by the duration or a signal: the command does not outlive the recording.
		 */
		kill(st.child, SIGTERM);
		reap(&st, true);
	}
	live__stats(live, &stats);
	if (trace_writer__close(rec.writer) && !err)
		err = -EIO;
	rec.writer = NULL;
	if (err)
		goto cleanup;
	log_info("recorded %llu events (%llu lost) into %s", (unsigned long long)stats.events,
		 (unsigned long long)stats.lost, output);
	if (live_opts.chain_cache) {
		char line[256];

		live_stats_chain_line(&stats, line, sizeof(line));
		log_info("%s", line);
	}
	status = command ? st.child_status : 0;
cleanup:
	if (rec.writer)
		trace_writer__close(rec.writer);
	if (st.child > 0 && !st.child_done) {
		kill(st.child, SIGTERM);
		reap(&st, true);
	}
	engine__free(rec.engine);
	live__free(live);
	symtab__free(symtab);
	rules__free(rules);
	cli_rules__fini(&cli.rules);
	return status;
}
