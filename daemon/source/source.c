// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The two event sources (source.h): a trace replayed as fast as the loop
 * takes it, and the live capture.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/symtab.h"
#include "lib/log.h"
#include "source/live/live.h"
#include "source/live/probe.h"
#include "source/source.h"
#include "source/trace/trace.h"

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

static void live_source_stats(const struct event_source *source, struct live_stats *ret_stats)
{
	live__stats(source->ctx, ret_stats);
}

static void live_free(struct event_source *source)
{
	live__free(source->ctx);
}

static const struct event_source_ops live_ops = {
	.dispatch = live_dispatch,
	.drain = live_drain,
	.lost = live_lost,
	.live_stats = live_source_stats,
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
	if (opts->chain_cache) {
		source->chain_fn = live__chain_fact;
		source->chain_ctx = live;
	}
	snprintf(source->description, sizeof(source->description), "live %s (%s)",
		 live__kernel_release(live), live__report_info(live)->lock_attach);
	*ret_source = source;
	return 0;
cleanup:
	live__free(live);
	free(source);
	return err;
}
