// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's status: the STATUS= line for the service manager, and the
 * status socket that `lockdepd status` asks (text, JSON or the class graph
 * as DOT, one request a connection, served without blocking the loop).
 *
 * The protocol is one line from the client, "text", "json" or "graph", and
 * the answer until the daemon closes. An answer that starts with "error: "
 * is one line saying why there is no answer; none of the three starts so.
 * The graph goes out as DOT only: SVG is laid out by the client, so that
 * a large picture never holds up the loop that drains the ring buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/log.h"
#include "output/alert.h"
#include "output/graph.h"
#include "output/report.h"
#include "service/notify.h"
#include "service/service_internal.h"
#include "service/state.h"

/* --- status ------------------------------------------------------------------ */

__u64 status_source_lost(const struct service *svc)
{
	if (svc->source && svc->source->ops->lost)
		return svc->source->ops->lost(svc->source);
	return 0;
}

void status_line(struct service *svc, char *buf, size_t len)
{
	struct engine_stats stats;

	engine__stats(svc->engine, &stats);
	snprintf(buf, len,
		 "%llu classes, %llu dependencies, %llu findings (%llu suppressed), %llu lost "
		 "events%s",
		 (unsigned long long)stats.classes, (unsigned long long)stats.dependencies,
		 (unsigned long long)stats.findings, (unsigned long long)stats.suppressed,
		 (unsigned long long)(stats.lost_events + status_source_lost(svc)),
		 svc->source_done
			 ? (svc->opts->replay_path ? "; replay finished" : "; source ended")
			 : "");
}

void status_update(struct service *svc, bool force)
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
		"%llu events, %llu lost events, %llu unpaired releases, "
		"%llu locks whose init was not seen\n",
		(unsigned long long)stats.classes, (unsigned long long)stats.dependencies,
		(unsigned long long)stats.findings, (unsigned long long)stats.suppressed,
		(unsigned long long)stats.events,
		(unsigned long long)(stats.lost_events + status_source_lost(svc)),
		(unsigned long long)stats.unpaired_releases,
		(unsigned long long)stats.locks_without_init);
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
	stats.lost_events += status_source_lost(svc);
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

int status_listen(struct service *svc, const char *dir)
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
		return log_error_errno(-errno, "status socket: %m");
	/* A socket left by a daemon that died without cleaning up. */
	unlink(svc->socket_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(svc->socket_path, 0600) < 0 ||
	    listen(fd, MAX_CONNECTIONS) < 0) {
		int err = -errno;

		close(fd);
		svc->socket_path[0] = '\0';
		return log_error_errno(err, "%s: %m", sa.sun_path);
	}
	svc->listen_fd = fd;
	return 0;
}

void status_close(struct service *svc, struct status_connection *conn)
{
	if (conn->fd < 0)
		return;
	epoll_ctl(svc->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	free(conn->reply);
	*conn = (struct status_connection){ .fd = -1 };
}

void status_accept(struct service *svc)
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
			status_close(svc, conn);
	}
}

/* The same picture `lockdepd graph` draws of a state file of this daemon. */
static void status_graph(struct service *svc, FILE *out)
{
	const struct graph_opts opts = { .format = GRAPH_DOT };
	char *dot = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&dot, &len);
	int err;

	if (!mem) {
		fprintf(out, "error: graph: out of memory\n");
		return;
	}
	err = graph_write(mem, svc->engine, svc->symtab, &opts);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err) {
		errno = -err;
		fprintf(out, "error: graph: %m\n");
	} else {
		fwrite(dot, 1, len, out);
	}
	free(dot);
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
	else if (strcmp(conn->request, "graph") == 0)
		status_graph(svc, out);
	else
		fprintf(out, "error: unknown request '%s' (expected text, json or graph)\n",
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

void status_handle(struct service *svc, struct status_connection *conn)
{
	struct epoll_event ev = { .events = EPOLLOUT };

	if (conn->reply) {
		if (send_reply(conn))
			status_close(svc, conn);
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
			status_close(svc, conn);
			return;
		}
		conn->request_len += (size_t)n;
		if (n == 0 || memchr(conn->request, '\n', conn->request_len) ||
		    conn->request_len == sizeof(conn->request) - 1)
			break;
	}
	build_reply(svc, conn);
	if (!conn->reply || send_reply(conn)) {
		status_close(svc, conn);
		return;
	}
	ev.data.u64 = TAG_CONNECTION + (size_t)(conn - svc->connections);
	epoll_ctl(svc->epoll_fd, EPOLL_CTL_MOD, conn->fd, &ev);
}

void status_expire(struct service *svc, double now)
{
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (svc->connections[i].fd >= 0 && svc->connections[i].deadline <= now)
			status_close(svc, &svc->connections[i]);
}
