/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon: `lockdepd run` as a systemd service. One event loop (epoll)
 * over
 *  - the event source: the live ring buffer, or a trace replayed through
 *    the very same path (`run --replay TRACE`, how everything here is
 *    tested without BPF);
 *  - the kernel log (/dev/kmsg), whose lines become LD_EV_MARK events so
 *    that findings and dependencies name the IGT test that made them;
 *  - a signalfd: SIGHUP reloads the rules, SIGINT/SIGTERM stop, SIGCHLD
 *    reaps alert commands;
 *  - the status socket, status.sock in the runtime directory, which
 *    `lockdepd status` asks;
 *  - timers: watchdog pings, periodic state saves, STATUS= updates, the
 *    --duration deadline, alert command time limits.
 * The learned graph is loaded from the state directory at start and saved
 * there periodically and on the way out (state.h).
 */
#ifndef LOCKDEPD_SERVICE_H
#define LOCKDEPD_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "output/report.h"
#include "source/source.h"

/* --- the service ------------------------------------------------------------- */

struct service_opts {
	char **rule_paths;
	size_t nr_rule_paths;
	bool no_default_rules; /* the files alone, without rules/kernel.yaml */
	const char *replay_path; /* NULL: live capture */
	enum live_attach attach; /* live */
	bool all_allocs; /* live: send allocations BPF could tell are harmless */
	bool all_stacks; /* live: unwind every stack, even of sites already seen */
	bool all_events; /* live: no chain cache, every allocation (all_allocs) */
	unsigned int chain_keys; /* live: the chain cache's size, 0 for the default */
	enum report_format format; /* findings on stdout */
	const char *json_path; /* every finding as JSON lines too; NULL: none */
	const char *state_dir; /* NULL: no persistence */
	const char *runtime_dir; /* NULL: no status socket */
	const char *kmsg_path; /* followed for IGT markers; NULL: none */
	bool kmsg_optional; /* kmsg_path cannot be opened: carry on without attribution */
	const char *alert_kmsg_path; /* the kmsg alert action writes here; NULL: /dev/kmsg */
	const char *alert_json_path; /* the json alert action appends here; NULL: none */
	double duration; /* seconds; 0: until SIGINT/SIGTERM */
	bool exit_on_eof; /* stop when the replayed trace ends */
	unsigned int save_interval; /* seconds between state saves; 0: only on the way out */
};

/*
 * Runs the daemon until it is told to stop. Returns the exit status: 0
 * nothing found, 1 the graph holds findings, 2 bad input or setup failure
 * (one line says which).
 */
int service_run(const struct service_opts *opts);

/* The default directories: $STATE_DIRECTORY / $RUNTIME_DIRECTORY as systemd sets them. */
#define SERVICE_RUNTIME_DIR_DEFAULT "/run/lockdepd"
#define SERVICE_SOCKET_NAME	    "status.sock"

#endif
