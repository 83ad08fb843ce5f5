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

#include "event/event.h"
#include "source/live/live.h"
#include "output/report.h"

struct symtab;
struct gfp_layout;

/* --- event sources --------------------------------------------------------- */

/* Where a source hands its events; non-zero stops the dispatch and is returned. */
typedef int (*event_sink_fn)(const struct ld_event *event, void *ctx);

struct event_source;

struct event_source_ops {
	/*
	 * Hands at most about `budget` events to sink without blocking (a
	 * source that cannot count may hand more). Returns how many (0: none
	 * ready now), the sink's non-zero value, or another negative errno
	 * (logged). Sets *ret_done once nothing more will ever come.
	 */
	int (*dispatch)(struct event_source *source, unsigned int budget, event_sink_fn sink,
			void *sink_ctx, bool *ret_done);
	/* Delivers what is buffered at shutdown; may be NULL. Same returns. */
	int (*drain)(struct event_source *source, event_sink_fn sink, void *sink_ctx);
	/* Records lost before they reached the engine (a full ring buffer); may be NULL. */
	__u64 (*lost)(const struct event_source *source);
	void (*free)(struct event_source *source);
};

/*
 * A source of events. The loop waits on fd when it is >= 0 and calls
 * dispatch when it is readable; it also calls dispatch every poll_ms
 * milliseconds when poll_ms > 0 (a source whose fd does not fire for
 * every event). With fd < 0 and poll_ms 0 it calls dispatch on every turn
 * of the loop until the source is done: a file being replayed.
 */
struct event_source {
	const struct event_source_ops *ops;
	char description[256]; /* "replay /path/x.trace", "live 6.1.0-56-amd64 (fentry)" */
	int fd;
	int poll_ms;
	const struct gfp_layout *gfp; /* NULL: the default layout */
	const char *kernel_release; /* NULL when unknown */
	void *ctx;
};

/* A trace file of either form, replayed as fast as the loop takes it. 0 or -errno (logged). */
int event_source_replay_open(const char *path, struct symtab *symtab,
			     struct event_source **ret_source);

/*
 * The live BPF capture. Fails with one logged line when lock operations
 * cannot be seen here. 0 or -errno.
 */
int event_source_live_open(const struct live_opts *opts, struct symtab *symtab,
			   struct event_source **ret_source);

void event_source_free(struct event_source *source);

/* --- the service ------------------------------------------------------------- */

struct service_opts {
	char **rule_paths;
	size_t nr_rule_paths;
	bool no_default_rules; /* the files alone, without rules/kernel.yaml */
	const char *replay_path; /* NULL: live capture */
	enum live_attach attach; /* live */
	bool all_allocs; /* live: send allocations BPF could tell are harmless */
	bool all_stacks; /* live: unwind every stack, even of sites already seen */
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
