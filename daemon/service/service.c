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

#include "output/alert.h"
#include "cli/cmd.h"
#include "engine/engine.h"
#include "source/kmsg.h"
#include "lib/log.h"
#include "service/notify.h"
#include "source/live/probe.h"
#include "engine/rules.h"
#include "service/service.h"
#include "service/state.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

/* Events per dispatch: large enough to be cheap, small enough to stay responsive. */
#define DISPATCH_BUDGET 8192
/* The live ring buffer is polled this often (it offers no descriptor to wait on). */
/* A regular file followed as the kernel log is re-read this often. */
#define KMSG_FILE_POLL_MS 100
/* STATUS= is refreshed at most this often. */
#define STATUS_INTERVAL 1.0
#define MAX_CONNECTIONS 16
/* A status client has this long to ask and read its answer. */
#define CONNECTION_TIMEOUT 10.0
#define REQUEST_MAX	   64

enum loop_tag {
	TAG_SIGNAL = 1,
	TAG_SOURCE,
	TAG_KMSG,
	TAG_LISTEN,
	TAG_CONNECTION, /* + index */
};

static double now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* --- event sources ---------------------------------------------------------- */

void event_source_free(struct event_source *source)
{
	if (!source)
		return;
	if (source->ops && source->ops->free)
		source->ops->free(source);
	free(source);
}

static int replay_dispatch(struct event_source *source, unsigned int budget, event_sink_fn sink,
			   void *sink_ctx, bool *ret_done)
{
	struct trace_reader *reader = source->ctx;
	const struct ld_event *event;
	unsigned int n = 0;
	int err;

	while (n < budget) {
		err = trace_reader__next(reader, &event);
		if (err < 0) {
			*ret_done = true;
			return err; /* logged by the reader, naming file and line */
		}
		if (err == 0) {
			*ret_done = true;
			if (trace_reader__truncated(reader))
				log_warning("%s: truncated; replayed what it holds",
					    source->description + strlen("replay "));
			break;
		}
		err = sink(event, sink_ctx);
		if (err)
			return err;
		n++;
	}
	return (int)n;
}

static void replay_free(struct event_source *source)
{
	trace_reader__free(source->ctx);
}

static const struct event_source_ops replay_ops = {
	.dispatch = replay_dispatch,
	.free = replay_free,
};

int event_source_replay_open(const char *path, struct symtab *symtab,
			     struct event_source **ret_source)
{
	struct event_source *source = calloc(1, sizeof(*source));
	struct trace_reader *reader = NULL;
	const char *release;
	int err;

	if (!source)
		return log_error_errno(-ENOMEM, "%s: out of memory", path);
	err = trace_reader__open(path, symtab, &reader);
	if (err) {
		free(source);
		return err;
	}
	source->ops = &replay_ops;
	source->ctx = reader;
	source->fd = -1;
	source->poll_ms = 0;
	source->gfp = trace_reader__gfp_layout(reader);
	release = trace_reader__kernel_release(reader);
	source->kernel_release = release && *release ? release : NULL;
	snprintf(source->description, sizeof(source->description), "replay %s", path);
	*ret_source = source;
	return 0;
}

#define LIVE_DRAIN_MS 100

static int live_dispatch(struct event_source *source, unsigned int budget, event_sink_fn sink,
			 void *sink_ctx, bool *ret_done)
{
	/*
	 * Consume, not poll: the BPF side only wakes us once a batch has
	 * piled up, so the periodic call must take whatever is there.
	 */
	int n = live__drain(source->ctx, sink, sink_ctx);

	/* A signal interrupting the poll is no error: the signalfd has it. */
	return n == -EINTR ? 0 : n;
}

static int live_drain(struct event_source *source, event_sink_fn sink, void *sink_ctx)
{
	int n = live__drain(source->ctx, sink, sink_ctx);

	return n == -EINTR ? 0 : n;
}

static __u64 live_lost(const struct event_source *source)
{
	struct live_stats stats;

	live__stats(source->ctx, &stats);
	return stats.lost;
}

static void live_free(struct event_source *source)
{
	live__free(source->ctx);
}

static const struct event_source_ops live_ops = {
	.dispatch = live_dispatch,
	.drain = live_drain,
	.lost = live_lost,
	.free = live_free,
};

int event_source_live_open(const struct live_opts *opts, struct symtab *symtab,
			   struct event_source **ret_source)
{
	struct event_source *source = calloc(1, sizeof(*source));
	struct live *live = NULL;
	int err;

	if (!source)
		return log_error_errno(-ENOMEM, "live capture: out of memory");
	err = live__open(opts, symtab, &live);
	if (err)
		goto cleanup;
	if (!live__lock_probes_attached(live)) {
		err = log_error_errno(-EOPNOTSUPP, "%s",
				      live__lock_refusal(live) ? live__lock_refusal(live)
							       : "lock probes do not attach");
		goto cleanup;
	}
	source->ops = &live_ops;
	source->ctx = live;
	/*
	 * The ring buffer's epoll fd wakes the loop when a batch is ready; the
	 * BPF side skips wake-ups below that, so a trickle of events (one
	 * finding on a quiet machine) is taken every LIVE_DRAIN_MS instead.
	 */
	source->fd = live__fd(live);
	source->poll_ms = LIVE_DRAIN_MS;
	source->gfp = live__gfp_layout(live);
	source->kernel_release = live__kernel_release(live);
	snprintf(source->description, sizeof(source->description), "live %s (%s)",
		 live__kernel_release(live), live__report_info(live)->lock_attach);
	*ret_source = source;
	return 0;
cleanup:
	live__free(live);
	free(source);
	return err;
}

/* --- the service's state ---------------------------------------------------- */

struct status_connection {
	int fd; /* -1: a free slot */
	char request[REQUEST_MAX];
	size_t request_len;
	char *reply;
	size_t reply_len;
	size_t reply_sent;
	double deadline;
};

struct service {
	const struct service_opts *opts;
	struct rules *rules;
	/*
	 * The rules the live source was opened with: it keeps a pointer for
	 * its lock_args probes, so they live until the end (a reload changes
	 * what the engine and the alerts do, not which probes are attached).
	 */
	struct rules *source_rules;
	struct symtab *symtab;
	struct engine *engine;
	struct event_source *source;
	struct kmsg_follower *kmsg;
	struct alerter *alerter;
	struct report_opts stdout_opts;
	struct report_opts json_opts;
	FILE *json;
	char hostname[256];

	int epoll_fd;
	int signal_fd;
	int listen_fd;
	struct status_connection connections[MAX_CONNECTIONS];
	char socket_path[PATH_MAX];
	char state_path[PATH_MAX];

	bool source_done;
	bool source_failed;
	bool stopping;
	bool fatal;
	double started;
	double wall_started;
	double deadline; /* --duration; 0: none */
	double next_save;
	double next_watchdog;
	double next_status;
	double next_source_poll;
	double next_kmsg_poll;
	__u64 watchdog_usec;
	__u64 events_at_save;
	__u64 findings_at_save;
	char last_status[256];

	__u64 reloads;
	__u64 reload_failures;
	__u64 saves;
	__u64 save_failures;
	double last_save_wall;
	__u64 kmsg_lines;
	__u64 restored_findings;
};

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
		log_error("%s: %s", svc->source->description, strerror(-n));
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

/* --- status ------------------------------------------------------------------ */

static __u64 source_lost(const struct service *svc)
{
	if (svc->source && svc->source->ops->lost)
		return svc->source->ops->lost(svc->source);
	return 0;
}

static void status_line(struct service *svc, char *buf, size_t len)
{
	struct engine_stats stats;

	engine__stats(svc->engine, &stats);
	snprintf(buf, len,
		 "%llu classes, %llu dependencies, %llu findings (%llu suppressed), %llu lost "
		 "events%s",
		 (unsigned long long)stats.classes, (unsigned long long)stats.dependencies,
		 (unsigned long long)stats.findings, (unsigned long long)stats.suppressed,
		 (unsigned long long)(stats.lost_events + source_lost(svc)),
		 svc->source_done
			 ? (svc->opts->replay_path ? "; replay finished" : "; source ended")
			 : "");
}

static void update_status(struct service *svc, bool force)
{
	char status[256];

	status_line(svc, status, sizeof(status));
	if (!force && strcmp(status, svc->last_status) == 0)
		return;
	snprintf(svc->last_status, sizeof(svc->last_status), "%s", status);
	notify_status(status);
}

static void print_rule_paths(FILE *out, const struct service *svc, bool json)
{
	for (size_t i = 0; i < svc->opts->nr_rule_paths; i++) {
		if (json) {
			if (i)
				fputc(',', out);
			json_write_string(out, svc->opts->rule_paths[i]);
		} else {
			fprintf(out, "%s%s", i ? ", " : "", svc->opts->rule_paths[i]);
		}
	}
}

static void status_text(struct service *svc, FILE *out)
{
	const struct report_opts opts = { .format = REPORT_TEXT,
					  .kernel_release = svc->stdout_opts.kernel_release };
	double now = now_monotonic();
	struct engine_stats stats;
	struct alert_stats alerts;
	const char *test = engine__current_test(svc->engine);

	engine__stats(svc->engine, &stats);
	alerter__stats(svc->alerter, &alerts);
	fprintf(out, "lockdepd: pid %d, up %.0f s, %s%s\n", (int)getpid(), now - svc->started,
		svc->source->description,
		svc->source_done ? (svc->source_failed ? " (stopped by bad input)" : " (finished)")
				 : "");
	fprintf(out, "rules: ");
	if (svc->opts->nr_rule_paths)
		print_rule_paths(out, svc, false);
	else
		fprintf(out, "none");
	fprintf(out, " (%llu reloads, %llu failed)\n", (unsigned long long)svc->reloads,
		(unsigned long long)svc->reload_failures);
	if (svc->state_path[0])
		fprintf(out, "state: %s (%llu saves, %llu failed, %llu findings restored)\n",
			svc->state_path, (unsigned long long)svc->saves,
			(unsigned long long)svc->save_failures,
			(unsigned long long)svc->restored_findings);
	fprintf(out, "test: %s\n", test ? test : "none known");
	fprintf(out,
		"graph: %llu classes, %llu dependencies, %llu findings (%llu suppressed), "
		"%llu events, %llu lost events, %llu unpaired releases\n",
		(unsigned long long)stats.classes, (unsigned long long)stats.dependencies,
		(unsigned long long)stats.findings, (unsigned long long)stats.suppressed,
		(unsigned long long)stats.events,
		(unsigned long long)(stats.lost_events + source_lost(svc)),
		(unsigned long long)stats.unpaired_releases);
	fprintf(out,
		"alerts: %llu journal, %llu kmsg, %llu json, %llu exec (%llu failed, %llu "
		"killed), %llu rate-limited, %llu errors\n",
		(unsigned long long)alerts.journal, (unsigned long long)alerts.kmsg,
		(unsigned long long)alerts.json, (unsigned long long)alerts.exec_started,
		(unsigned long long)alerts.exec_failed, (unsigned long long)alerts.exec_killed,
		(unsigned long long)alerts.rate_limited, (unsigned long long)alerts.errors);
	for (size_t i = 0; i < engine__nr_findings(svc->engine); i++) {
		const struct finding *finding = engine__finding(svc->engine, i);

		if (!finding->suppressed)
			report_finding(out, &opts, finding, svc->symtab);
	}
}

/* One JSON document: {"daemon":{...},"summary":{...},"alerts":{...},"findings":[...]}. */
static void status_json(struct service *svc, FILE *out)
{
	const struct report_opts opts = { .format = REPORT_JSON };
	struct engine_stats stats;
	struct alert_stats alerts;
	bool first = true;

	engine__stats(svc->engine, &stats);
	alerter__stats(svc->alerter, &alerts);
	fprintf(out, "{\"daemon\":{\"pid\":%d,\"uptime_s\":%.3f,\"source\":", (int)getpid(),
		now_monotonic() - svc->started);
	json_write_string(out, svc->source->description);
	fprintf(out, ",\"source_done\":%s,\"source_failed\":%s,\"rules\":[",
		svc->source_done ? "true" : "false", svc->source_failed ? "true" : "false");
	print_rule_paths(out, svc, true);
	fputs("],\"state\":", out);
	json_write_string(out, svc->state_path[0] ? svc->state_path : NULL);
	fputs(",\"current_test\":", out);
	json_write_string(out, engine__current_test(svc->engine));
	json_write_u64_member(out, "reloads", svc->reloads);
	json_write_u64_member(out, "reload_failures", svc->reload_failures);
	json_write_u64_member(out, "saves", svc->saves);
	json_write_u64_member(out, "save_failures", svc->save_failures);
	json_write_u64_member(out, "findings_restored", svc->restored_findings);
	json_write_u64_member(out, "kmsg_lines", svc->kmsg_lines);
	fputs("},\"summary\":", out);
	/* Records the ring buffer dropped count as lost too. */
	stats.lost_events += source_lost(svc);
	json_write_stats(out, &stats);
	fputs(",\"alerts\":{\"findings\":", out);
	fprintf(out, "%llu", (unsigned long long)alerts.findings);
	json_write_u64_member(out, "journal", alerts.journal);
	json_write_u64_member(out, "kmsg", alerts.kmsg);
	json_write_u64_member(out, "json", alerts.json);
	json_write_u64_member(out, "exec_started", alerts.exec_started);
	json_write_u64_member(out, "exec_failed", alerts.exec_failed);
	json_write_u64_member(out, "exec_killed", alerts.exec_killed);
	json_write_u64_member(out, "rate_limited", alerts.rate_limited);
	json_write_u64_member(out, "errors", alerts.errors);
	fputs("},\"findings\":[", out);
	for (size_t i = 0; i < engine__nr_findings(svc->engine); i++) {
		char *one = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&one, &len);

		if (!f)
			continue;
		report_finding(f, &opts, engine__finding(svc->engine, i), svc->symtab);
		fclose(f);
		/* report_finding() ends each object with a newline: the array wants commas. */
		if (len && one[len - 1] == '\n')
			len--;
		if (!first)
			fputc(',', out);
		fwrite(one, 1, len, out);
		first = false;
		free(one);
	}
	fputs("]}\n", out);
}

/* --- the status socket --------------------------------------------------------- */

static int listen_status(struct service *svc, const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(svc->socket_path, sizeof(svc->socket_path), "%s/%s", dir,
		     SERVICE_SOCKET_NAME) >= (int)sizeof(sa.sun_path))
		return log_error_errno(-ENAMETOOLONG, "%s/%s: path too long for a socket", dir,
				       SERVICE_SOCKET_NAME);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", svc->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "status socket: %s", strerror(errno));
	/* A socket left by a daemon that died without cleaning up. */
	unlink(svc->socket_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(svc->socket_path, 0600) < 0 ||
	    listen(fd, MAX_CONNECTIONS) < 0) {
		int err = -errno;

		close(fd);
		svc->socket_path[0] = '\0';
		return log_error_errno(err, "%s: %s", sa.sun_path, strerror(-err));
	}
	svc->listen_fd = fd;
	return 0;
}

static void connection_close(struct service *svc, struct status_connection *conn)
{
	if (conn->fd < 0)
		return;
	epoll_ctl(svc->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	free(conn->reply);
	*conn = (struct status_connection){ .fd = -1 };
}

static void accept_connections(struct service *svc)
{
	for (;;) {
		int fd = accept4(svc->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct status_connection *conn = NULL;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return;
		for (size_t i = 0; i < MAX_CONNECTIONS && !conn; i++)
			if (svc->connections[i].fd < 0)
				conn = &svc->connections[i];
		if (!conn) {
			/* Busy: the client sees the connection closed and may retry. */
			close(fd);
			continue;
		}
		*conn = (struct status_connection){ .fd = fd,
						    .deadline =
							    now_monotonic() + CONNECTION_TIMEOUT };
		ev.data.u64 = TAG_CONNECTION + (size_t)(conn - svc->connections);
		if (epoll_ctl(svc->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
			connection_close(svc, conn);
	}
}

static void build_reply(struct service *svc, struct status_connection *conn)
{
	FILE *out = open_memstream(&conn->reply, &conn->reply_len);

	if (!out)
		return;
	conn->request[conn->request_len] = '\0';
	conn->request[strcspn(conn->request, "\r\n")] = '\0';
	if (strcmp(conn->request, "json") == 0)
		status_json(svc, out);
	else if (strcmp(conn->request, "text") == 0)
		status_text(svc, out);
	else
		fprintf(out, "error: unknown request '%s' (expected text or json)\n",
			conn->request);
	fclose(out);
}

/* Writes what the socket takes; true when the whole reply is out. */
static bool send_reply(struct status_connection *conn)
{
	while (conn->reply_sent < conn->reply_len) {
		ssize_t n = send(conn->fd, conn->reply + conn->reply_sent,
				 conn->reply_len - conn->reply_sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n < 0)
			return true; /* the client went away: nothing more to do */
		conn->reply_sent += (size_t)n;
	}
	return true;
}

static void handle_connection(struct service *svc, struct status_connection *conn)
{
	struct epoll_event ev = { .events = EPOLLOUT };

	if (conn->reply) {
		if (send_reply(conn))
			connection_close(svc, conn);
		return;
	}
	for (;;) {
		ssize_t n = recv(conn->fd, conn->request + conn->request_len,
				 sizeof(conn->request) - 1 - conn->request_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			connection_close(svc, conn);
			return;
		}
		conn->request_len += (size_t)n;
		if (n == 0 || memchr(conn->request, '\n', conn->request_len) ||
		    conn->request_len == sizeof(conn->request) - 1)
			break;
	}
	build_reply(svc, conn);
	if (!conn->reply || send_reply(conn)) {
		connection_close(svc, conn);
		return;
	}
	ev.data.u64 = TAG_CONNECTION + (size_t)(conn - svc->connections);
	epoll_ctl(svc->epoll_fd, EPOLL_CTL_MOD, conn->fd, &ev);
}

static void expire_connections(struct service *svc, double now)
{
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (svc->connections[i].fd >= 0 && svc->connections[i].deadline <= now)
			connection_close(svc, &svc->connections[i]);
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
		svc->engine = engine__new(svc->rules, svc->symtab);
		if (!svc->engine)
			return log_error_errno(-errno, "engine: %s", strerror(errno));
		if (state_quarantine(svc->state_path, moved, sizeof(moved)) < 0)
			snprintf(moved, sizeof(moved), "nowhere (%s)", strerror(errno));
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
			log_error_errno(err, "reload: %s", strerror(-err));
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

static int setup_signals(struct service *svc)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "signals: %s", strerror(errno));
	/* A status client that goes away must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	svc->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (svc->signal_fd < 0)
		return log_error_errno(-errno, "signalfd: %s", strerror(errno));
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
		return log_error_errno(-errno, "epoll: %s", strerror(errno));
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
		update_status(svc, false);
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
	expire_connections(svc, now);
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (svc->connections[i].fd >= 0)
			timeout = min_timeout(timeout, ms_until(svc->connections[i].deadline, now));
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
		accept_connections(svc);
		break;
	default:
		if (tag >= TAG_CONNECTION && tag < TAG_CONNECTION + MAX_CONNECTIONS)
			handle_connection(svc, &svc->connections[tag - TAG_CONNECTION]);
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
			log_error("epoll: %s", strerror(errno));
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
			return log_error_errno(-errno, "%s directory %s: %s: %s", what, dir, path,
					       strerror(errno));
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "%s directory %s: %s", what, dir, strerror(errno));
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
		.all_allocs = opts->all_allocs,
		.all_stacks = opts->all_stacks,
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
		return log_error_errno(-errno, "epoll: %s", strerror(errno));
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
	svc->symtab = symtab__new();
	if (!svc->symtab)
		return log_error_errno(-ENOMEM, "out of memory");
	if (opts->json_path) {
		svc->json = fopen(opts->json_path, "ae");
		if (!svc->json)
			return log_error_errno(-errno, "%s: %s", opts->json_path, strerror(errno));
	}
	/* The source first: live capture loads kallsyms, which the state's names then meet. */
	err = open_source(svc);
	if (err)
		return err;
	svc->engine = engine__new(svc->rules, svc->symtab);
	if (!svc->engine)
		return log_error_errno(-errno, "engine: %s", strerror(errno));
	err = engine__set_gfp_layout(svc->engine, svc->source->gfp);
	if (err)
		return log_error_errno(err, "engine: %s", strerror(-err));
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
		if (!err)
			err = epoll_add(svc, svc->listen_fd, TAG_LISTEN);
		if (err)
			return err;
	}
	return 0;
}

static void teardown(struct service *svc)
{
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		connection_close(svc, &svc->connections[i]);
	if (svc->listen_fd >= 0) {
		close(svc->listen_fd);
		unlink(svc->socket_path);
	}
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

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

int service_run(const struct service_opts *opts)
{
	struct service svc = {
		.opts = opts,
		.epoll_fd = -1,
		.signal_fd = -1,
		.listen_fd = -1,
		.stdout_opts.format = opts->format,
		.json_opts.format = REPORT_JSON,
	};
	struct engine_stats stats;
	char status[256];
	int exit_status = EXIT_BAD_INPUT;

	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		svc.connections[i].fd = -1;
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
		 svc.socket_path[0] ? svc.socket_path : "no socket");

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
	if (source_lost(&svc))
		log_warning("%llu records were lost (ring buffer full): findings may be missing",
			    (unsigned long long)source_lost(&svc));
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

/* --- the command line -------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out, "Usage: lockdepd run [--rules FILE]... [--no-default-rules]\n"
		     "                    [--replay TRACE [--exit-on-eof]]\n"
		     "                    [--format text|json] [--json FILE] [--duration SEC]\n"
		     "                    [--state-dir DIR|none] [--runtime-dir DIR|none]\n"
		     "                    [--save-interval SEC] [--kmsg PATH|none]\n"
		     "                    [--alert-kmsg PATH] [--alert-json FILE]\n"
		     "                    [--attach auto|fentry|kprobe]\n");
}

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

int cmd_service(int argc, char **argv)
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
		OPT_NO_DEFAULT_RULES,
	};
	static const struct option options[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES },
		{ "format", required_argument, NULL, 'f' },
		{ "json", required_argument, NULL, 'j' },
		{ "duration", required_argument, NULL, 'd' },
		{ "attach", required_argument, NULL, 'a' },
		{ "all-allocs", no_argument, NULL, OPT_ALL_ALLOCS },
		{ "all-stacks", no_argument, NULL, OPT_ALL_STACKS },
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
	const char *kmsg = NULL, *alert_json = NULL;
	bool kmsg_given = false, alert_json_given = false;
	char alert_json_default[PATH_MAX];
	double seconds;
	int status = EXIT_BAD_INPUT;
	int opt;

	opts.rule_paths = calloc((size_t)argc + 1, sizeof(*opts.rule_paths));
	if (!opts.rule_paths)
		return EXIT_BAD_INPUT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:f:j:d:a:h", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			opts.rule_paths[opts.nr_rule_paths++] = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0) {
				opts.format = REPORT_JSON;
			} else if (strcmp(optarg, "text") != 0) {
				log_error("--format: expected text or json, got '%s'", optarg);
				goto cleanup;
			}
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
		case OPT_NO_DEFAULT_RULES:
			opts.no_default_rules = true;
			break;
		case OPT_ALL_STACKS:
			opts.all_stacks = true;
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
	free(opts.rule_paths);
	return status;
}
