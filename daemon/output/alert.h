/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Alert actions: where the service sends a new finding, as the rules'
 * `alerts:` say (see rules.h). Suppressed findings never alert.
 *
 *  - journal: one structured entry (MESSAGE_ID ALERT_MESSAGE_ID, PRIORITY 4,
 *    LOCKDEPD_KIND, LOCKDEPD_CLASSES, LOCKDEPD_TEST, LOCKDEPD_REPORT...);
 *  - kmsg: one "<4>lockdepd: ..." line written to the kernel log, so that
 *    igt_runner turns the running test into dmesg-warn/dmesg-fail. The line
 *    never holds igt_runner's subtest separator ": starting subtest ";
 *  - json: the finding as one JSON line (report_finding()) appended to a file;
 *  - exec: `/bin/sh -c COMMAND` with the finding's JSON on stdin and
 *    LOCKDEPD_KIND, LOCKDEPD_CLASSES, LOCKDEPD_TEST in its environment,
 *    killed after exec_timeout seconds. Nothing waits for it: the service
 *    calls alerter__reap() on SIGCHLD and alerter__kill_overdue() when
 *    alerter__timeout_ms() has passed.
 *
 * Each alert rule has its own rate limit (a token bucket: rate_count alerts
 * at once, then one per rate_period / rate_count); what it holds back is
 * counted in alert_stats.rate_limited.
 */
#ifndef LOCKDEPD_ALERT_H
#define LOCKDEPD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "engine/finding.h"

struct rules;
struct symtab;
struct alerter;

/* journalctl MESSAGE_ID=391aeb8c3a224d59a30c46d42314d67e shows every lockdepd alert. */
#define ALERT_MESSAGE_ID "391aeb8c3a224d59a30c46d42314d67e"

/* The text igt_runner splits dmesg at: never written by an alert. */
#define IGT_SUBTEST_SEPARATOR ": starting subtest "

struct alert_opts {
	const char *kmsg_path; /* NULL: /dev/kmsg */
	const char *json_path; /* NULL: the json action has nowhere to go and says so once */
	struct symtab *symtab; /* names addresses in reports */
	const char *kernel_release; /* NULL when unknown */
};

struct alert_stats {
	__u64 findings; /* findings that matched at least one alert rule */
	__u64 journal;
	__u64 kmsg;
	__u64 json;
	__u64 exec_started;
	__u64 exec_failed; /* could not start, non-zero exit, or killed */
	__u64 exec_killed; /* over their time limit */
	__u64 rate_limited; /* alerts held back by a rate limit */
	__u64 errors; /* journal, kmsg or json writes that failed */
};

/* Returns 0 or -errno (logged); opts' strings are copied. */
int alerter__new(const struct alert_opts *opts, struct alerter **ret_alerter);

/*
 * The alert rules in force from now on (NULL: none); rate limits start
 * afresh and the json file is reopened (log rotation). rules must outlive
 * their use here, until the next call or alerter__free().
 */
int alerter__set_rules(struct alerter *alerter, const struct rules *rules);

/* Sends a new finding where the rules say; now is CLOCK_MONOTONIC in seconds. */
void alerter__finding(struct alerter *alerter, const struct finding *finding, double now);

/* Reaps exec commands that ended and logs the failures. Call on SIGCHLD. */
void alerter__reap(struct alerter *alerter);

/* Milliseconds until the next exec time limit expires, or -1 when none runs. */
int alerter__timeout_ms(const struct alerter *alerter, double now);

/* Sends SIGKILL to the commands over their time limit (reaped later). */
void alerter__kill_overdue(struct alerter *alerter, double now);

size_t alerter__nr_running(const struct alerter *alerter);
void alerter__stats(const struct alerter *alerter, struct alert_stats *ret_stats);

/* Kills and reaps the commands still running. Accepts NULL. */
void alerter__free(struct alerter *alerter);

/*
 * Refuses exec alerts from a rules file that someone other than root could
 * change: the file and every directory above it must be owned by root and
 * not writable by group or others (a root-owned sticky directory such as
 * /tmp is accepted, since nobody else may rename or remove what root owns
 * in it). Returns 0, or -EPERM with one line naming the unsafe path.
 */
int alert_check_exec_safety(const struct rules *rules);

/* One path as above: 0, -EPERM naming it in ret_unsafe (its size len), or -errno. */
int path_check_root_only(const char *path, char *ret_unsafe, size_t len);

/*
 * "circular: vm->mutex -> dma_resv -> vm->mutex": the kind and the classes
 * as a cycle (order: held -> taken; recursive: class -> class). Truncated
 * with "..." to fit.
 */
void finding_summary(const struct finding *finding, char *buf, size_t len);

/*
 * The kmsg line (with its "<4>" level prefix and a newline): one line, no
 * control characters, never containing IGT_SUBTEST_SEPARATOR. Returns its
 * length.
 */
size_t alert_kmsg_line(const struct finding *finding, char *buf, size_t len);

/* A token bucket: `count` at once, refilled at count per `period` seconds. */
struct rate_limit {
	double capacity;
	double per_second;
	double tokens;
	double last;
	bool started;
};

/* count 0: no limit. */
void rate_limit_init(struct rate_limit *limit, unsigned int count, unsigned int period);
/* Takes a token if one is there at time now (seconds, never decreasing). */
bool rate_limit_allow(struct rate_limit *limit, double now);

#endif
