/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event sources: what produces events for the engine, live from the BPF
 * ring buffer or replayed from a trace file, behind one interface so that
 * the daemon's loop (and every test of it) runs the same path for both.
 */
#ifndef LOCKDEPD_SOURCE_H
#define LOCKDEPD_SOURCE_H

#include <stdbool.h>
#include <linux/types.h>

#include "event/event.h"
#include "source/live/live.h"

struct symtab;
struct gfp_layout;

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
	/* The live capture's counters; NULL for a replay. */
	void (*live_stats)(const struct event_source *source, struct live_stats *ret_stats);
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
	/* What the engine learns goes back here (engine__set_chain_fn()); NULL: nowhere. */
	engine_chain_fn chain_fn;
	void *chain_ctx;
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

#endif
