// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Alert actions. Everything here runs inside the service's event loop, so
 * nothing may block on someone else: the kernel log and the json file are
 * local writes, the journal is a datagram, and exec commands are started
 * and left running, their end noticed on SIGCHLD and their time limit
 * enforced from the loop's timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef LOCKDEPD_NO_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "output/alert.h"
#include "lib/log.h"
#include "output/report.h"
#include "engine/rules.h"

#define DEFAULT_KMSG_PATH "/dev/kmsg"
/* The kernel takes records of up to 1 KiB from /dev/kmsg: stay well below. */
#define KMSG_LINE_MAX 900
/* Commands running at once; more would mean the notifier cannot keep up. */
#define EXEC_MAX_RUNNING 16

extern char **environ;

struct alert_child {
	pid_t pid; /* also its process group */
	double deadline;
	unsigned int timeout;
	bool killed;
	char *command;
	char *summary;
};

struct alert_rule_state {
	struct rate_limit limit;
};

struct alerter {
	char *kmsg_path;
	char *json_path;
	char *kernel_release;
	struct symtab *symtab;
	const struct rules *rules;
	struct alert_rule_state *states; /* one per rules->alerts[] */
	int kmsg_fd;
	FILE *json;
	bool warned_journal, warned_kmsg, warned_json;
	struct alert_child *children;
	size_t nr_children;
	struct alert_stats stats;
};

/* --- rate limit ---------------------------------------------------------- */

void rate_limit_init(struct rate_limit *limit, unsigned int count, unsigned int period)
{
	*limit = (struct rate_limit){
		.capacity = count,
		.per_second = period ? (double)count / period : 0,
		.tokens = count,
	};
}

bool rate_limit_allow(struct rate_limit *limit, double now)
{
	if (limit->capacity == 0)
		return true;
	if (limit->started && now > limit->last) {
		limit->tokens += (now - limit->last) * limit->per_second;
		if (limit->tokens > limit->capacity)
			limit->tokens = limit->capacity;
	}
	if (!limit->started || now > limit->last)
		limit->last = now;
	limit->started = true;
	/* A small epsilon: 60 s at 1/min must give the token back exactly. */
	if (limit->tokens < 1.0 - 1e-9)
		return false;
	limit->tokens -= 1.0;
	return true;
}

/* --- text ------------------------------------------------------------------ */

static const char *kind_title(enum finding_kind kind)
{
	switch (kind) {
	case FINDING_CIRCULAR:
		return "possible circular locking dependency";
	case FINDING_RECLAIM:
		return "allocation may recurse into fs_reclaim while holding a lock reclaim takes";
	case FINDING_ORDER:
		return "lock order violates the declared hierarchy";
	case FINDING_RECURSIVE:
		return "possible recursive locking";
	default:
		return "lockdepd finding";
	}
}

struct text_buf {
	char *p;
	size_t len;
	size_t used;
	bool full;
};

static void text_add(struct text_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->full)
		return;
	/* Keep room for "..." so that a cut is visible. */
	if (b->used + n + 4 > b->len) {
		size_t room = b->len > b->used + 4 ? b->len - b->used - 4 : 0;

		memcpy(b->p + b->used, s, room);
		b->used += room;
		if (b->used + 4 <= b->len) {
			memcpy(b->p + b->used, "...", 3);
			b->used += 3;
		}
		b->full = true;
	} else {
		memcpy(b->p + b->used, s, n);
		b->used += n;
	}
	b->p[b->used] = '\0';
}

/* "A -> B -> A": the cycle closed, or held -> taken, or class -> class. */
static void add_chain(struct text_buf *b, const struct finding *finding)
{
	for (__u32 i = 0; i < finding->nr_classes; i++) {
		if (i)
			text_add(b, " -> ");
		text_add(b, finding->classes[i] ? finding->classes[i] : "?");
	}
	if (finding->kind != FINDING_ORDER && finding->nr_classes) {
		text_add(b, " -> ");
		text_add(b, finding->classes[0] ? finding->classes[0] : "?");
	}
}

void finding_summary(const struct finding *finding, char *buf, size_t len)
{
	struct text_buf b = { buf, len, 0, false };

	if (!len)
		return;
	buf[0] = '\0';
	if (len < 8)
		return;
	text_add(&b, finding_kind_name(finding->kind) ?: "unknown");
	text_add(&b, ": ");
	add_chain(&b, finding);
}

/* Classes joined by commas, for the environment and journal fields. */
static void classes_list(const struct finding *finding, char *buf, size_t len)
{
	struct text_buf b = { buf, len, 0, false };

	buf[0] = '\0';
	for (__u32 i = 0; i < finding->nr_classes; i++) {
		if (i)
			text_add(&b, ",");
		text_add(&b, finding->classes[i] ? finding->classes[i] : "?");
	}
}

/* One printable line that igt_runner cannot mistake for a subtest boundary. */
static void make_safe_line(char *s)
{
	char *hit;

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	/* ": starting subtest " becomes ": starting_subtest ": still readable. */
	while ((hit = strstr(s, IGT_SUBTEST_SEPARATOR)))
		hit[strlen(": starting")] = '_';
}

size_t alert_kmsg_line(const struct finding *finding, char *buf, size_t len)
{
	char body[KMSG_LINE_MAX];
	char pid[32];
	struct text_buf b = { body, sizeof(body), 0, false };
	int n;

	body[0] = '\0';
	text_add(&b, "WARNING: ");
	text_add(&b, kind_title(finding->kind));
	text_add(&b, ": ");
	add_chain(&b, finding);
	text_add(&b, " (");
	text_add(&b, finding_kind_name(finding->kind) ?: "unknown");
	if (finding->test) {
		text_add(&b, ", first in ");
		text_add(&b, finding->test);
	}
	snprintf(pid, sizeof(pid), "/%u)", finding->pid);
	text_add(&b, ", by ");
	text_add(&b, finding->comm && *finding->comm ? finding->comm : "?");
	text_add(&b, pid);
	make_safe_line(body);
	n = snprintf(buf, len, "<4>lockdepd: %s\n", body);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

/* --- life cycle -------------------------------------------------------------- */

int alerter__new(const struct alert_opts *opts, struct alerter **ret_alerter)
{
	struct alerter *alerter = calloc(1, sizeof(*alerter));

	if (!alerter)
		return log_error_errno(-ENOMEM, "alerts: out of memory");
	alerter->kmsg_fd = -1;
	alerter->symtab = opts->symtab;
	alerter->kmsg_path = strdup(opts->kmsg_path ? opts->kmsg_path : DEFAULT_KMSG_PATH);
	alerter->json_path = opts->json_path ? strdup(opts->json_path) : NULL;
	alerter->kernel_release = opts->kernel_release ? strdup(opts->kernel_release) : NULL;
	if (!alerter->kmsg_path || (opts->json_path && !alerter->json_path) ||
	    (opts->kernel_release && !alerter->kernel_release)) {
		alerter__free(alerter);
		return log_error_errno(-ENOMEM, "alerts: out of memory");
	}
	*ret_alerter = alerter;
	return 0;
}

static void close_outputs(struct alerter *alerter)
{
	if (alerter->kmsg_fd >= 0)
		close(alerter->kmsg_fd);
	alerter->kmsg_fd = -1;
	if (alerter->json)
		fclose(alerter->json);
	alerter->json = NULL;
}

int alerter__set_rules(struct alerter *alerter, const struct rules *rules)
{
	size_t n = rules ? rules->nr_alerts : 0;
	struct alert_rule_state *states = NULL;

	if (n) {
		states = calloc(n, sizeof(*states));
		if (!states)
			return log_error_errno(-ENOMEM, "alerts: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		rate_limit_init(&states[i].limit, rules->alerts[i].rate_count,
				rules->alerts[i].rate_period);
	free(alerter->states);
	alerter->states = states;
	alerter->rules = rules;
	/* Opened again on the next alert: a reload is also how logs get rotated. */
	close_outputs(alerter);
	alerter->warned_journal = alerter->warned_kmsg = alerter->warned_json = false;
	return 0;
}

static void child_free(struct alert_child *child)
{
	free(child->command);
	free(child->summary);
}

void alerter__free(struct alerter *alerter)
{
	if (!alerter)
		return;
	for (size_t i = 0; i < alerter->nr_children; i++) {
		struct alert_child *child = &alerter->children[i];

		kill(-child->pid, SIGKILL);
		while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR)
			;
		child_free(child);
	}
	free(alerter->children);
	close_outputs(alerter);
	free(alerter->states);
	free(alerter->kmsg_path);
	free(alerter->json_path);
	free(alerter->kernel_release);
	free(alerter);
}

void alerter__stats(const struct alerter *alerter, struct alert_stats *ret_stats)
{
	*ret_stats = alerter->stats;
}

size_t alerter__nr_running(const struct alerter *alerter)
{
	return alerter->nr_children;
}

/* --- actions ------------------------------------------------------------------ */

/* A failed output is logged the first time only: the loop must not flood the log. */
static void output_failed(struct alerter *alerter, bool *warned, const char *what, int err)
{
	alerter->stats.errors++;
	if (*warned)
		return;
	*warned = true;
	log_warning_errno(err, "alert %s: %m (further failures are only counted)", what);
}

static void send_kmsg(struct alerter *alerter, const struct finding *finding)
{
	char line[KMSG_LINE_MAX + 64];
	size_t len = alert_kmsg_line(finding, line, sizeof(line));
	ssize_t n;

	if (alerter->kmsg_fd < 0) {
		/* Tests write to a file; a missing /dev/kmsg is never created. */
		int create = strncmp(alerter->kmsg_path, "/dev/", 5) ? O_CREAT : 0;

		alerter->kmsg_fd = open(alerter->kmsg_path,
					O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | create, 0644);
		if (alerter->kmsg_fd < 0) {
			char what[PATH_MAX];

			snprintf(what, sizeof(what), "kmsg %s", alerter->kmsg_path);
			output_failed(alerter, &alerter->warned_kmsg, what, -errno);
			return;
		}
	}
	/* /dev/kmsg takes one record per write. */
	n = write(alerter->kmsg_fd, line, len);
	if (n != (ssize_t)len) {
		output_failed(alerter, &alerter->warned_kmsg, "kmsg", n < 0 ? -errno : -EIO);
		return;
	}
	alerter->stats.kmsg++;
}

static void send_json(struct alerter *alerter, const struct finding *finding)
{
	static const struct report_opts json_opts = { .format = REPORT_JSON };

	if (!alerter->json_path) {
		output_failed(alerter, &alerter->warned_json, "json", -ENOENT);
		return;
	}
	if (!alerter->json) {
		alerter->json = fopen(alerter->json_path, "ae");
		if (!alerter->json) {
			output_failed(alerter, &alerter->warned_json, alerter->json_path, -errno);
			return;
		}
	}
	if (report_finding(alerter->json, &json_opts, finding, alerter->symtab) < 0 ||
	    fflush(alerter->json) != 0) {
		output_failed(alerter, &alerter->warned_json, alerter->json_path, -EIO);
		clearerr(alerter->json);
		return;
	}
	alerter->stats.json++;
}

#ifndef LOCKDEPD_NO_SYSTEMD
/* The lockdep-style report as one string, for the journal; NULL on ENOMEM. */
static char *report_text(struct alerter *alerter, const struct finding *finding)
{
	struct report_opts opts = { .format = REPORT_TEXT,
				    .kernel_release = alerter->kernel_release };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	report_finding(f, &opts, finding, alerter->symtab);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void send_journal(struct alerter *alerter, const struct finding *finding)
{
	char summary[512], classes[512], message[1024];
	char kind[64], classes_field[600], test[300], count[64], pid[64], comm[64];
	char *report = report_text(alerter, finding);
	char *report_field = NULL;
	struct iovec iov[12];
	size_t n = 0;
	int err;

	finding_summary(finding, summary, sizeof(summary));
	classes_list(finding, classes, sizeof(classes));
	snprintf(message, sizeof(message), "MESSAGE=lockdepd: %s%s%s", summary,
		 finding->test ? " in " : "", finding->test ? finding->test : "");
	snprintf(kind, sizeof(kind), "LOCKDEPD_KIND=%s", finding_kind_name(finding->kind));
	snprintf(classes_field, sizeof(classes_field), "LOCKDEPD_CLASSES=%s", classes);
	snprintf(count, sizeof(count), "LOCKDEPD_COUNT=%llu", (unsigned long long)finding->count);
	snprintf(pid, sizeof(pid), "LOCKDEPD_PID=%u", finding->pid);
	snprintf(comm, sizeof(comm), "LOCKDEPD_COMM=%s", finding->comm ? finding->comm : "");
#define IOV_STR(s) (iov[n++] = (struct iovec){ .iov_base = (void *)(s), .iov_len = strlen(s) })
	IOV_STR(message);
	IOV_STR("MESSAGE_ID=" ALERT_MESSAGE_ID);
	IOV_STR("PRIORITY=4");
	IOV_STR("SYSLOG_IDENTIFIER=lockdepd");
	IOV_STR(kind);
	IOV_STR(classes_field);
	if (finding->test) {
		snprintf(test, sizeof(test), "LOCKDEPD_TEST=%s", finding->test);
		IOV_STR(test);
	}
	IOV_STR(count);
	IOV_STR(pid);
	IOV_STR(comm);
	if (report && asprintf(&report_field, "LOCKDEPD_REPORT=%s", report) >= 0)
		IOV_STR(report_field);
#undef IOV_STR
	err = sd_journal_sendv(iov, (int)n);
	free(report_field);
	free(report);
	if (err < 0) {
		output_failed(alerter, &alerter->warned_journal, "journal", err);
		return;
	}
	alerter->stats.journal++;
}
#else
/* The static guest build has no libsystemd: the entry becomes a log line. */
static void send_journal(struct alerter *alerter, const struct finding *finding)
{
	char summary[512];

	finding_summary(finding, summary, sizeof(summary));
	log_warning("alert: %s%s%s", summary, finding->test ? " in " : "",
		    finding->test ? finding->test : "");
	alerter->stats.journal++;
}
#endif

/* The finding's JSON in an anonymous file, read by the command as its stdin. */
static int finding_json_fd(struct alerter *alerter, const struct finding *finding)
{
	static const struct report_opts json_opts = { .format = REPORT_JSON };
	int fd = memfd_create("lockdepd-finding", MFD_CLOEXEC);
	int copy;
	FILE *f;

	if (fd < 0)
		return -errno;
	copy = dup(fd);
	f = copy >= 0 ? fdopen(copy, "w") : NULL;
	if (!f) {
		if (copy >= 0)
			close(copy);
		close(fd);
		return -ENOMEM;
	}
	report_finding(f, &json_opts, finding, alerter->symtab);
	if (fclose(f) != 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* environ without our variables, then ours; NULL on ENOMEM. */
static char **child_environment(char *const *ours, size_t nr_ours)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + nr_ours + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LOCKDEPD_", 9) != 0)
			env[k++] = environ[i];
	for (size_t i = 0; i < nr_ours; i++)
		env[k++] = ours[i];
	return env;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static __attribute__((noreturn)) void exec_child(int stdin_fd, const char *command, char **env)
{
	sigset_t none;

	/* The service blocks the signals it reads through signalfd; the mask survives exec. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Its own process group, so that the time limit kills what the shell started too. */
	setpgid(0, 0);
	if (dup2(stdin_fd, STDIN_FILENO) < 0)
		_exit(127);
	execve("/bin/sh", (char *[]){ "sh", "-c", (char *)command, NULL }, env);
	_exit(127);
}

static void start_exec(struct alerter *alerter, const struct rules_alert *rule,
		       const struct finding *finding, double now)
{
	char summary[512], classes[512];
	char *ours[3] = {};
	struct alert_child *children, *child;
	char **env = NULL;
	int fd = -1, err = -ENOMEM;
	pid_t pid;

	finding_summary(finding, summary, sizeof(summary));
	if (alerter->nr_children >= EXEC_MAX_RUNNING) {
		alerter->stats.exec_failed++;
		log_warning("alert exec '%s' for %s: not started, %d commands still running",
			    rule->exec, summary, EXEC_MAX_RUNNING);
		return;
	}
	classes_list(finding, classes, sizeof(classes));
	if (asprintf(&ours[0], "LOCKDEPD_KIND=%s", finding_kind_name(finding->kind)) < 0)
		ours[0] = NULL;
	if (asprintf(&ours[1], "LOCKDEPD_CLASSES=%s", classes) < 0)
		ours[1] = NULL;
	if (asprintf(&ours[2], "LOCKDEPD_TEST=%s", finding->test ? finding->test : "") < 0)
		ours[2] = NULL;
	children = realloc(alerter->children, (alerter->nr_children + 1) * sizeof(*children));
	if (!ours[0] || !ours[1] || !ours[2] || !children)
		goto cleanup;
	alerter->children = children;
	env = child_environment(ours, 3);
	if (!env)
		goto cleanup;
	fd = finding_json_fd(alerter, finding);
	if (fd < 0) {
		err = fd;
		goto cleanup;
	}
	child = &alerter->children[alerter->nr_children];
	*child = (struct alert_child){
		.deadline = now + rule->exec_timeout,
		.timeout = rule->exec_timeout,
		.command = strdup(rule->exec),
		.summary = strdup(summary),
	};
	if (!child->command || !child->summary) {
		child_free(child);
		goto cleanup;
	}
	pid = fork();
	if (pid == 0)
		exec_child(fd, rule->exec, env);
	if (pid < 0) {
		err = -errno;
		child_free(child);
		goto cleanup;
	}
	/* Also set here: a kill before the child ran setpgid() must still find the group. */
	setpgid(pid, pid);
	child->pid = pid;
	alerter->nr_children++;
	alerter->stats.exec_started++;
	err = 0;
cleanup:
	if (err) {
		alerter->stats.exec_failed++;
		log_warning_errno(err, "alert exec '%s' for %s: %m", rule->exec, summary);
	}
	if (fd >= 0)
		close(fd);
	free(env);
	for (size_t i = 0; i < 3; i++)
		free(ours[i]);
}

static bool finding_touches(const struct finding *finding, const struct rules_alert *rule)
{
	if (!rule->nr_classes)
		return true;
	for (__u32 i = 0; i < finding->nr_classes; i++)
		for (size_t j = 0; j < rule->nr_classes; j++)
			if (finding->classes[i] &&
			    strcmp(finding->classes[i], rule->classes[j]) == 0)
				return true;
	return false;
}

void alerter__finding(struct alerter *alerter, const struct finding *finding, double now)
{
	const struct rules *rules = alerter->rules;
	bool matched = false;

	if (!rules || finding->suppressed)
		return;
	for (size_t i = 0; i < rules->nr_alerts; i++) {
		const struct rules_alert *rule = &rules->alerts[i];

		if (!(rule->kinds & (1u << finding->kind)) || !finding_touches(finding, rule))
			continue;
		matched = true;
		if (!rate_limit_allow(&alerter->states[i].limit, now)) {
			alerter->stats.rate_limited++;
			continue;
		}
		if (rule->actions & RULES_ALERT_JOURNAL)
			send_journal(alerter, finding);
		if (rule->actions & RULES_ALERT_KMSG)
			send_kmsg(alerter, finding);
		if (rule->actions & RULES_ALERT_JSON)
			send_json(alerter, finding);
		if (rule->exec)
			start_exec(alerter, rule, finding, now);
	}
	if (matched)
		alerter->stats.findings++;
}

/* --- exec bookkeeping ---------------------------------------------------------- */

static void child_ended(struct alerter *alerter, struct alert_child *child, int status)
{
	if (child->killed) {
		alerter->stats.exec_failed++;
		log_warning("alert exec '%s' for %s: killed after its time limit of %u s",
			    child->command, child->summary, child->timeout);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		alerter->stats.exec_failed++;
		log_warning("alert exec '%s' for %s: exited with status %d", child->command,
			    child->summary, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		alerter->stats.exec_failed++;
		log_warning("alert exec '%s' for %s: killed by signal %d", child->command,
			    child->summary, WTERMSIG(status));
	} else {
		log_debug("alert exec '%s' for %s: done", child->command, child->summary);
	}
}

void alerter__reap(struct alerter *alerter)
{
	for (size_t i = 0; i < alerter->nr_children;) {
		struct alert_child *child = &alerter->children[i];
		int status;
		pid_t pid = waitpid(child->pid, &status, WNOHANG);

		if (pid == 0 || (pid < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		/* Gone either way (ECHILD: someone else reaped it). */
		if (pid > 0)
			child_ended(alerter, child, status);
		child_free(child);
		alerter->children[i] = alerter->children[--alerter->nr_children];
	}
}

int alerter__timeout_ms(const struct alerter *alerter, double now)
{
	double first = -1;

	for (size_t i = 0; i < alerter->nr_children; i++) {
		const struct alert_child *child = &alerter->children[i];

		if (!child->killed && (first < 0 || child->deadline < first))
			first = child->deadline;
	}
	if (first < 0)
		return -1;
	if (first <= now)
		return 0;
	return (int)((first - now) * 1000) + 1;
}

void alerter__kill_overdue(struct alerter *alerter, double now)
{
	for (size_t i = 0; i < alerter->nr_children; i++) {
		struct alert_child *child = &alerter->children[i];

		if (child->killed || child->deadline > now)
			continue;
		kill(-child->pid, SIGKILL);
		child->killed = true;
		alerter->stats.exec_killed++;
	}
}

/* --- exec safety ------------------------------------------------------------------ */

int path_check_root_only(const char *path, char *ret_unsafe, size_t len)
{
	/* Cut back one component per step: the file, its directory, ..., "/". */
	char *p = realpath(path, NULL);
	int err = 0;

	if (!p)
		return -errno;
	for (bool first = true;; first = false) {
		struct stat st;
		bool others_write, sticky_dir;
		char *slash;

		if (stat(p, &st) < 0) {
			err = -errno;
			break;
		}
		others_write = st.st_mode & (S_IWGRP | S_IWOTH);
		/* Only what root owns inside it is relied on, and nobody else may move that. */
		sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && !first;
		if (st.st_uid != 0 || (others_write && !sticky_dir)) {
			snprintf(ret_unsafe, len, "%s (owner uid %u, mode %04o)", p,
				 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
			err = -EPERM;
			break;
		}
		if (strcmp(p, "/") == 0)
			break;
		slash = strrchr(p, '/');
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(p);
	return err;
}

int alert_check_exec_safety(const struct rules *rules)
{
	if (!rules)
		return 0;
	for (size_t i = 0; i < rules->nr_alerts; i++) {
		const struct rules_alert *alert = &rules->alerts[i];
		char unsafe[PATH_MAX + 64];
		int err;

		if (!alert->exec)
			continue;
		err = path_check_root_only(alert->file, unsafe, sizeof(unsafe));
		if (err == -EPERM)
			return log_error_errno(err,
					       "%s: refusing exec alerts: %s can be written by "
					       "someone other than root",
					       alert->file, unsafe);
		if (err)
			return log_error_errno(err, "%s: %m", alert->file);
	}
	return 0;
}
