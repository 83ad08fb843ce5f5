/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The running daemon's state, which its two halves share: service.c, the
 * loop, owns it; status.c reads it to say what the daemon knows. Nothing
 * outside service/ includes it.
 */
#ifndef LOCKDEPD_DAEMON_H
#define LOCKDEPD_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "output/report.h"
#include "service/service.h"
#include "service/status_socket.h"

/* Events per dispatch: large enough to be cheap, small enough to stay responsive. */
#define DISPATCH_BUDGET 8192
/* A regular file followed as the kernel log is re-read this often. */
#define KMSG_FILE_POLL_MS 100
/* STATUS= is refreshed at most this often. */
#define STATUS_INTERVAL 1.0

enum loop_tag {
	TAG_SIGNAL = 1,
	TAG_SOURCE,
	TAG_KMSG,
	TAG_LISTEN,
	TAG_CONNECTION, /* + index */
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
	struct status_socket *status_socket; /* NULL: none */
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

/* status.c */
void status_line(struct service *svc, char *buf, size_t len);
__u64 status_source_lost(const struct service *svc);
bool status_chain_line(const struct service *svc, char *buf, size_t len);
void status_update(struct service *svc, bool force);
/* The status socket's answers (status_socket.h): ctx is the service. */
void status_reply(const char *request, FILE *out, void *ctx);

#endif
