// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's event loop (see service.h for what it waits on).
 *
 * One thread, one epoll set, nothing that blocks: the event source is
 * dispatched in bounded batches so that signals, status requests and the
 * watchdog are served between them; alert commands run as children reaped
 * on SIGCHLD. Each turn of the loop reads the kernel log before the event
 * source, so that a test marker is seen before the lock events the test
 * caused in the same turn.
 *
 * Start-up order matters for what the service manager is told: rules,
 * state, sources and the status socket are all ready before READY=1, and
 * nothing is fed before the kernel log has been read up to now (the test
 * running when the daemon starts is known before its first event).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/rules.h"
#include "event/symtab.h"
#include "lib/clock.h"
#include "lib/exit_status.h"
#include "lib/log.h"
#include "output/alert.h"
#include "service/notify.h"
#include "service/service.h"
#include "service/daemon.h"
#include "service/state.h"
#include "source/kmsg.h"
#include "source/live/probe.h"
#include "source/trace/trace.h"

/* Milliseconds from now to t, for epoll_wait(), at least 0. */
static int ms_until(double t, double now)
{
	if (t <= now)
		return 0;
	if (t - now > 3600)
		return 3600 * 1000;
	return (int)((t - now) * 1000) + 1;
}

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Under systemd, stderr is the journal: "<N>" gives each line its priority. */
static void journal_stream_sink(enum log_level level, const char *msg, void *ctx)
{
	fprintf(stderr, "<%d>%s\n", (int)level, msg);
}

/* --- findings -------------------------------------------------------------- */

static void on_finding(const struct finding *finding, void *ctx)
{
	struct service *svc = ctx;

	if (finding->suppressed)
		return;
	report_finding(stdout, &svc->stdout_opts, finding, svc->symtab);
	fflush(stdout);
	if (svc->json) {
		report_finding(svc->json, &svc->json_opts, finding, svc->symtab);
		fflush(svc->json);
	}
	alerter__finding(svc->alerter, finding, now_monotonic());
}

static int feed_event(const struct ld_event *event, void *ctx)
{
	struct service *svc = ctx;

	return engine__feed(svc->engine, event);
}

static int feed_kmsg_line(const char *text, size_t len, void *ctx)
{
	struct service *svc = ctx;
	struct kmsg_mark mark;

	svc->kmsg_lines++;
	return feed_event(kmsg_mark_build(&mark, text, len), svc);
}

/* Reads the kernel log up to now; on a fatal error stops the daemon. */
static void read_kmsg(struct service *svc, bool to_the_end)
{
	int n;

	if (!svc->kmsg)
		return;
	do {
		n = kmsg_follower__read(svc->kmsg, feed_kmsg_line, svc);
	} while (to_the_end && n > 0);
	if (n == -ENOMEM) {
		svc->fatal = svc->stopping = true;
	} else if (n < 0) {
		/* Attribution is lost, analysis is not: carry on without the log. */
		log_warning("no more test attribution: stopped following the kernel log");
		if (kmsg_follower__pollable(svc->kmsg))
			epoll_ctl(svc->epoll_fd, EPOLL_CTL_DEL, kmsg_follower__fd(svc->kmsg), NULL);
		kmsg_follower__free(svc->kmsg);
		svc->kmsg = NULL;
	}
}

static void dispatch_source(struct service *svc)
{
	bool done = false;
	int n;

	if (svc->source_done)
		return;
	n = svc->source->ops->dispatch(svc->source, DISPATCH_BUDGET, feed_event, svc, &done);
	if (n == -ENOMEM) {
		svc->fatal = svc->stopping = true;
		return;
	}
	if (n < 0 && !done) {
		log_error_errno(n, "%s: %m", svc->source->description);
		svc->fatal = svc->stopping = true;
		return;
	}
	if (n < 0)
		svc->source_failed = true;
	if (done) {
		struct engine_stats stats;

		svc->source_done = true;
		engine__stats(svc->engine, &stats);
		log_info("%s: %s after %llu events", svc->source->description,
			 svc->source_failed ? "stopped by bad input" : "finished",
			 (unsigned long long)stats.events);
		/* A natural point to keep what was learned. */
		svc->next_save = 0;
		if (svc->opts->exit_on_eof)
			svc->stopping = true;
	}
}

/* --- state ------------------------------------------------------------------------ */

static void save_state(struct service *svc)
{
	struct state_meta meta = { .host = svc->hostname,
				   .kernel_release = svc->stdout_opts.kernel_release };
	struct engine_stats stats;
	double start = now_monotonic();

	if (!svc->state_path[0])
		return;
	engine__stats(svc->engine, &stats);
	if (state_save(svc->state_path, svc->engine, svc->symtab, &meta) < 0) {
		svc->save_failures++;
		return;
	}
	svc->saves++;
	svc->events_at_save = stats.events;
	svc->findings_at_save = stats.findings + stats.suppressed;
	svc->last_save_wall = (double)time(NULL);
	log_debug("state saved to %s in %.3f s", svc->state_path, now_monotonic() - start);
}

static bool state_changed(const struct service *svc)
{
	struct engine_stats stats;

	engine__stats(svc->engine, &stats);
	return stats.events != svc->events_at_save ||
	       stats.findings + stats.suppressed != svc->findings_at_save;
}

/*
 * Loads the saved graph into the fresh engine. A file that cannot be used
 * is moved aside with one line saying why, and the daemon starts empty:
 * losing a graph is better than refusing to watch.
 */
static int load_state(struct service *svc)
{
	struct state_info info;
	char error[1024], moved[PATH_MAX + 64];
	int err;

	err = state_load(svc->state_path, svc->engine, svc->symtab, &info, error, sizeof(error));
	if (err == -ENOENT) {
		log_info("no saved graph in %s: starting empty", svc->state_path);
		return 0;
	}
	if (err == -EINVAL || err == -EPROTONOSUPPORT) {
		engine__free(svc->engine);
		svc->engine = NULL;
		err = engine__new(svc->rules, svc->symtab, &svc->engine);
		if (err)
			return log_error_errno(err, "engine: %m");
		if (state_quarantine(svc->state_path, moved, sizeof(moved)) < 0)
			snprintf(moved, sizeof(moved), "nowhere (%m)");
		log_warning("%s; moved it to %s and starting with an empty graph", error, moved);
		return 0;
	}
	if (err)
		return err;
	svc->restored_findings = info.findings_restored;
	log_info("loaded %s: %llu classes, %llu dependencies, %llu findings (saved %s on %s)",
		 svc->state_path, (unsigned long long)info.classes,
		 (unsigned long long)info.dependencies, (unsigned long long)info.findings,
		 info.created[0] ? info.created : "?", info.host[0] ? info.host : "?");
	return 0;
}

/* --- reload ---------------------------------------------------------------------- */

static void reload(struct service *svc)
{
	struct rules *rules = NULL;
	char status[256];
	int err;

	notify_reloading();
	err = rules_load_with_defaults(svc->opts->rule_paths, svc->opts->nr_rule_paths,
				       !svc->opts->no_default_rules, &rules);
	if (!err)
		err = alert_check_exec_safety(rules);
	if (err) {
		svc->reload_failures++;
		rules__free(rules);
		log_error("reload failed: keeping the rules loaded before");
	} else {
		/* Both take the new rules before the old ones go. */
		err = alerter__set_rules(svc->alerter, rules);
		if (!err)
			err = engine__set_rules(svc->engine, rules);
		if (err) {
			log_error_errno(err, "reload: %m");
			svc->fatal = svc->stopping = true;
		}
		if (svc->rules != svc->source_rules)
			rules__free(svc->rules);
		svc->rules = rules;
		svc->reloads++;
		log_info("rules reloaded (%zu files); the graph is kept", svc->opts->nr_rule_paths);
	}
	status_line(svc, status, sizeof(status));
	snprintf(svc->last_status, sizeof(svc->last_status), "%s", status);
	notify_ready(status);
}

/* --- signals ---------------------------------------------------------------------- */

/* The signals the loop takes through its signalfd, blocked while it runs. */
static void service_signals(sigset_t *ret_mask)
{
	sigemptyset(ret_mask);
	sigaddset(ret_mask, SIGHUP);
	sigaddset(ret_mask, SIGINT);
	sigaddset(ret_mask, SIGTERM);
	sigaddset(ret_mask, SIGCHLD);
}

static int setup_signals(struct service *svc)
{
	sigset_t mask;

	service_signals(&mask);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "signals: %m");
	/* A status client that goes away must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	svc->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (svc->signal_fd < 0)
		return log_error_errno(-errno, "signalfd: %m");
	return 0;
}

static void handle_signals(struct service *svc)
{
	struct signalfd_siginfo info;

	while (read(svc->signal_fd, &info, sizeof(info)) == sizeof(info)) {
		switch (info.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading the rules");
			reload(svc);
			break;
		case SIGINT:
		case SIGTERM:
			log_info("%s: stopping", info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			svc->stopping = true;
			break;
		case SIGCHLD:
			alerter__reap(svc->alerter);
			break;
		}
	}
}

/* --- the loop ----------------------------------------------------------------------- */

static int epoll_add(struct service *svc, int fd, __u64 tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (epoll_ctl(svc->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return log_error_errno(-errno, "epoll: %m");
	return 0;
}

/* Runs the timers due and returns how long epoll may sleep. */
static int run_timers(struct service *svc, double now)
{
	int timeout = -1;

	if (svc->deadline && now >= svc->deadline) {
		log_info("--duration reached: stopping");
		svc->stopping = true;
		return 0;
	}
	if (svc->deadline)
		timeout = ms_until(svc->deadline, now);
	if (svc->watchdog_usec) {
		if (now >= svc->next_watchdog) {
			notify_watchdog();
			svc->next_watchdog = now + (double)svc->watchdog_usec / 2e6;
		}
		timeout = min_timeout(timeout, ms_until(svc->next_watchdog, now));
	}
	if (svc->state_path[0] && svc->next_save >= 0) {
		if (now >= svc->next_save) {
			if (state_changed(svc))
				save_state(svc);
			svc->next_save =
				svc->opts->save_interval ? now + svc->opts->save_interval : -1;
		}
		if (svc->next_save >= 0)
			timeout = min_timeout(timeout, ms_until(svc->next_save, now));
	}
	if (now >= svc->next_status) {
		status_update(svc, false);
		svc->next_status = now + STATUS_INTERVAL;
	}
	timeout = min_timeout(timeout, ms_until(svc->next_status, now));
	if (svc->kmsg && !kmsg_follower__pollable(svc->kmsg)) {
		if (now >= svc->next_kmsg_poll) {
			read_kmsg(svc, false);
			svc->next_kmsg_poll = now + KMSG_FILE_POLL_MS / 1000.0;
		}
		timeout = min_timeout(timeout, ms_until(svc->next_kmsg_poll, now));
	}
	alerter__kill_overdue(svc->alerter, now);
	timeout = min_timeout(timeout, alerter__timeout_ms(svc->alerter, now));
	if (svc->status_socket) {
		double deadline = status_socket__expire(svc->status_socket, now);

		if (deadline)
			timeout = min_timeout(timeout, ms_until(deadline, now));
	}
	if (!svc->source_done && (svc->source->fd < 0 || svc->source->poll_ms > 0)) {
		if (svc->source->poll_ms == 0)
			return 0;
		timeout = min_timeout(timeout, ms_until(svc->next_source_poll, now));
	}
	return timeout;
}

static void handle_event(struct service *svc, const struct epoll_event *ev)
{
	__u64 tag = ev->data.u64;

	switch (tag) {
	case TAG_SIGNAL:
		handle_signals(svc);
		break;
	case TAG_KMSG:
		read_kmsg(svc, false);
		break;
	case TAG_SOURCE:
		dispatch_source(svc);
		break;
	case TAG_LISTEN:
		status_socket__accept(svc->status_socket);
		break;
	default:
		if (tag >= TAG_CONNECTION)
			status_socket__handle(svc->status_socket, tag - TAG_CONNECTION);
		break;
	}
}

static void run_loop(struct service *svc)
{
	struct epoll_event events[16];

	while (!svc->stopping) {
		double now = now_monotonic();
		int timeout = run_timers(svc, now);
		int n;

		if (svc->stopping)
			break;
		n = epoll_wait(svc->epoll_fd, events, 16, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("epoll: %m");
			svc->fatal = svc->stopping = true;
			break;
		}
		/* The kernel log first: markers before the events they explain. */
		for (int i = 0; i < n; i++)
			if (events[i].data.u64 == TAG_KMSG)
				handle_event(svc, &events[i]);
		for (int i = 0; i < n; i++)
			if (events[i].data.u64 != TAG_KMSG)
				handle_event(svc, &events[i]);
		if (!svc->stopping && !svc->source_done &&
		    (svc->source->fd < 0 || svc->source->poll_ms > 0)) {
			now = now_monotonic();
			if (svc->source->poll_ms == 0 || now >= svc->next_source_poll) {
				dispatch_source(svc);
				svc->next_source_poll = now + svc->source->poll_ms / 1000.0;
			}
		}
	}
}

/* Alert commands still running get their time limit before the daemon goes. */
static void wait_for_children(struct service *svc)
{
	while (alerter__nr_running(svc->alerter)) {
		double now = now_monotonic();
		struct epoll_event ev;
		int timeout;

		alerter__kill_overdue(svc->alerter, now);
		timeout = alerter__timeout_ms(svc->alerter, now);
		/* Killed ones only need reaping: SIGCHLD is on its way. */
		if (timeout < 0)
			timeout = 1000;
		if (epoll_wait(svc->epoll_fd, &ev, 1, timeout) < 0 && errno != EINTR)
			break;
		handle_signals(svc);
		alerter__reap(svc->alerter);
	}
}

/* --- set up and tear down ------------------------------------------------------------- */

/* Creates dir and its missing parents (mkdir -p); the last level is private. */
static int ensure_directory(const char *dir, const char *what)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return log_error_errno(-ENAMETOOLONG, "%s directory %s: name too long", what, dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return log_error_errno(-errno, "%s directory %s: %s: %m", what, dir, path);
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "%s directory %s: %m", what, dir);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return log_error_errno(-ENOTDIR, "%s directory %s: not a directory", what, dir);
	return 0;
}

static int open_source(struct service *svc)
{
	const struct service_opts *opts = svc->opts;
	struct live_opts live_opts = {
		.attach = opts->attach,
		.rules = svc->rules,
		.all_allocs = opts->all_allocs || opts->all_events,
		.all_stacks = opts->all_stacks,
		.chain_cache = !opts->all_events,
		.chain_keys = opts->chain_keys,
	};
	int err;

	if (opts->replay_path) {
		err = event_source_replay_open(opts->replay_path, svc->symtab, &svc->source);
	} else {
		err = event_source_live_open(&live_opts, svc->symtab, &svc->source);
		svc->source_rules = svc->rules;
	}
	if (err)
		return err;
	svc->stdout_opts.kernel_release = svc->source->kernel_release;
	svc->json_opts.kernel_release = svc->source->kernel_release;
	if (svc->source->fd >= 0)
		return epoll_add(svc, svc->source->fd, TAG_SOURCE);
	return 0;
}

static int listen_status(struct service *svc, const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, SERVICE_SOCKET_NAME) >= (int)sizeof(path))
		return log_error_errno(-ENAMETOOLONG, "%s/%s: path too long", dir,
				       SERVICE_SOCKET_NAME);
	return status_socket__listen(path, svc->epoll_fd, TAG_LISTEN, TAG_CONNECTION, status_reply,
				     svc, &svc->status_socket);
}

static int setup(struct service *svc)
{
	const struct service_opts *opts = svc->opts;
	struct alert_opts alert_opts = {
		.kmsg_path = opts->alert_kmsg_path,
		.json_path = opts->alert_json_path,
	};
	int err;

	svc->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (svc->epoll_fd < 0)
		return log_error_errno(-errno, "epoll: %m");
	err = setup_signals(svc);
	if (!err)
		err = epoll_add(svc, svc->signal_fd, TAG_SIGNAL);
	if (err)
		return err;
	err = rules_load_with_defaults(opts->rule_paths, opts->nr_rule_paths,
				       !opts->no_default_rules, &svc->rules);
	if (!err)
		err = alert_check_exec_safety(svc->rules);
	if (err)
		return err;
	err = symtab__new(&svc->symtab);
	if (err)
		return log_error_errno(err, "out of memory");
	if (opts->json_path) {
		svc->json = fopen(opts->json_path, "ae");
		if (!svc->json)
			return log_error_errno(-errno, "%s: %m", opts->json_path);
	}
	/* The source first: live capture loads kallsyms, which the state's names then meet. */
	err = open_source(svc);
	if (err)
		return err;
	err = engine__new(svc->rules, svc->symtab, &svc->engine);
	if (err)
		return log_error_errno(err, "engine: %m");
	err = engine__set_gfp_layout(svc->engine, svc->source->gfp);
	if (err)
		return log_error_errno(err, "engine: %m");
	engine__set_chain_fn(svc->engine, svc->source->chain_fn, svc->source->chain_ctx);
	if (opts->state_dir) {
		err = ensure_directory(opts->state_dir, "state");
		if (err)
			return err;
		snprintf(svc->state_path, sizeof(svc->state_path), "%s/%s", opts->state_dir,
			 STATE_FILE_NAME);
		err = load_state(svc);
		if (err)
			return err;
	}
	/* Findings restored from the state were reported before: only new ones go out. */
	engine__set_finding_fn(svc->engine, on_finding, svc);
	alert_opts.symtab = svc->symtab;
	alert_opts.kernel_release = svc->source->kernel_release;
	err = alerter__new(&alert_opts, &svc->alerter);
	if (!err)
		err = alerter__set_rules(svc->alerter, svc->rules);
	if (err)
		return err;
	if (opts->kmsg_path) {
		err = kmsg_follower__open(opts->kmsg_path, &svc->kmsg);
		if (err && opts->kmsg_optional)
			log_warning("findings will not name IGT tests: the kernel log cannot be "
				    "followed");
		else if (err)
			return err;
	}
	if (svc->kmsg) {
		if (kmsg_follower__pollable(svc->kmsg)) {
			err = epoll_add(svc, kmsg_follower__fd(svc->kmsg), TAG_KMSG);
			if (err)
				return err;
		}
		/* The test running now is known before the first event. */
		read_kmsg(svc, true);
		if (svc->fatal)
			return -ENOMEM;
	}
	if (opts->runtime_dir) {
		err = ensure_directory(opts->runtime_dir, "runtime");
		if (!err)
			err = listen_status(svc, opts->runtime_dir);
		if (err)
			return err;
	}
	return 0;
}

static void teardown(struct service *svc)
{
	status_socket__free(svc->status_socket);
	alerter__free(svc->alerter);
	kmsg_follower__free(svc->kmsg);
	engine__free(svc->engine);
	event_source_free(svc->source);
	symtab__free(svc->symtab);
	if (svc->source_rules != svc->rules)
		rules__free(svc->source_rules);
	rules__free(svc->rules);
	if (svc->json)
		fclose(svc->json);
	if (svc->signal_fd >= 0)
		close(svc->signal_fd);
	if (svc->epoll_fd >= 0)
		close(svc->epoll_fd);
}

static void unblock_signals(void)
{
	sigset_t mask;

	service_signals(&mask);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

int service_run(const struct service_opts *opts)
{
	struct service svc = {
		.opts = opts,
		.epoll_fd = -1,
		.signal_fd = -1,
		.stdout_opts.format = opts->format,
		.json_opts.format = REPORT_JSON,
	};
	struct engine_stats stats;
	char chain_line[256];
	char status[256];
	int exit_status = EXIT_BAD_INPUT;

	if (getenv("JOURNAL_STREAM"))
		log_set_sink(journal_stream_sink, NULL);
	if (gethostname(svc.hostname, sizeof(svc.hostname) - 1) < 0)
		svc.hostname[0] = '\0';
	svc.started = now_monotonic();
	if (setup(&svc) < 0)
		goto cleanup;

	svc.deadline = opts->duration > 0 ? svc.started + opts->duration : 0;
	svc.next_save = opts->save_interval ? svc.started + opts->save_interval : -1;
	svc.watchdog_usec = notify_watchdog_usec();
	status_line(&svc, status, sizeof(status));
	snprintf(svc.last_status, sizeof(svc.last_status), "%s", status);
	notify_ready(status);
	log_info("watching %s%s%s; status on %s", svc.source->description,
		 svc.kmsg ? ", following " : "", svc.kmsg ? opts->kmsg_path : "",
		 svc.status_socket ? status_socket__path(svc.status_socket) : "no socket");

	run_loop(&svc);

	notify_stopping();
	if (!svc.fatal && !svc.source_done && svc.source->ops->drain) {
		int n = svc.source->ops->drain(svc.source, feed_event, &svc);

		if (n == -ENOMEM)
			svc.fatal = true;
	}
	if (svc.state_path[0])
		save_state(&svc);
	wait_for_children(&svc);
	engine__stats(svc.engine, &stats);
	/* As in `report`: JSON stdout holds findings only, the summary goes to stderr. */
	report_summary(opts->format == REPORT_JSON ? stderr : stdout, &svc.stdout_opts, &stats);
	if (svc.json)
		report_summary(svc.json, &svc.json_opts, &stats);
	if (status_source_lost(&svc))
		log_warning("%llu records were lost (ring buffer full): findings may be missing",
			    (unsigned long long)status_source_lost(&svc));
	if (status_chain_line(&svc, chain_line, sizeof(chain_line)))
		log_info("%s", chain_line);
	if (svc.fatal || svc.source_failed)
		exit_status = EXIT_BAD_INPUT;
	else
		exit_status = stats.findings ? EXIT_FINDINGS : 0;
cleanup:
	teardown(&svc);
	unblock_signals();
	log_set_sink(NULL, NULL);
	return exit_status;
}
