/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live source: loads the BPF probes into the running kernel, attaches
 * what it can (recording why not for the rest in a probe table) and turns
 * the ring buffer into struct ld_event records for a callback, in the
 * order the kernel produced them.
 *
 * Opening it loads /proc/kallsyms into the caller's symtab before any probe
 * is attached (the tool never traces itself anyway: its own process is
 * filtered in BPF), reads the kernel's gfp layout and task flag values,
 * and attaches releases before acquires so that no acquire is seen whose
 * release could be missed.
 *
 * Records the probes could not write (ring buffer full) are counted in
 * BPF and reach the callback as LD_EV_LOST events: per task when the task
 * is known (before that task's next event), otherwise without a task.
 */
#ifndef LOCKDEPD_LIVE_H
#define LOCKDEPD_LIVE_H

#include <stdbool.h>
#include <linux/types.h>

#include "engine/engine.h"
#include "event/event.h"

struct live;
struct rules;
struct symtab;
struct gfp_layout;
struct probe_table;
struct probe_report_info;

enum live_attach {
	LIVE_ATTACH_AUTO, /* fentry/fexit, else kprobes */
	LIVE_ATTACH_FENTRY,
	LIVE_ATTACH_KPROBE,
};

struct live_opts {
	enum live_attach attach;
	const struct rules *rules; /* its lock_args are attached; NULL for none */
	unsigned int ringbuf_mb; /* ring buffer size; 0: 16 MiB */
	/*
	 * Keep every allocation. Off, BPF drops those that cannot add a
	 * dependency (gfp cannot enter fs_reclaim, or nothing held outside
	 * reclaim): no finding changes.
	 */
	bool all_allocs;
	/* A stack on every acquire and allocation; off, only on the first in each context. */
	bool all_stacks;
	/*
	 * Keep in the kernel the acquisitions (and their releases, and the
	 * allocations) whose chain the engine has already fed, as it says
	 * through live__chain_fact(). No finding changes; held records tell
	 * the engine what the tasks hold.
	 */
	bool chain_cache;
	/* Chain keys the cache holds at most (each about 80 bytes of kernel memory); 0: 65536. */
	unsigned int chain_keys;
};

struct live_stats {
	__u64 events; /* records handed to the callback, lost events included */
	__u64 lost; /* records the probes could not write */
	__u64 invalid; /* records that failed validation (a bug if ever non-zero) */
	__u64 lost_symbols; /* module symbols the probes could not send (names missing) */
	/*
	 * The chain cache: what it kept in the kernel (lagging by less than 64
	 * a kind per living task), held records sent, keys known.
	 */
	__u64 chain_acquires;
	__u64 chain_releases;
	__u64 chain_allocs;
	__u64 chain_held_records;
	__u64 chain_keys;
	bool chain_full; /* a map filled up: everything is sent */
};

/* Returning non-zero from the callback stops live__poll(), which returns that value. */
typedef int (*live_event_fn)(const struct ld_event *event, void *ctx);

/*
 * Loads and attaches. Returns 0 even when some probes could not attach
 * (see live__probe_table() and live__lock_probes_attached()); a negative
 * errno, logged in one line, when the kernel cannot be traced at all (no
 * BTF, BPF refused entirely).
 */
int live__open(const struct live_opts *opts, struct symtab *symtab, struct live **ret_live);

/*
 * Waits up to timeout_ms for records and hands them to fn, then whatever
 * is buffered whether or not a wake-up came. Returns the number delivered, -EINTR when a signal
 * interrupted the wait (a clean stop for the caller), or the callback's non-zero value.
 */
int live__poll(struct live *live, int timeout_ms, live_event_fn fn, void *ctx);
/*
 * The ring buffer's epoll fd: readable once the BPF side has asked for a
 * wake-up; poll the buffer with live__drain() now and then as well.
 */
int live__fd(const struct live *live);

/* Delivers whatever is still buffered, without waiting. Same returns as live__poll(). */
int live__drain(struct live *live, live_event_fn fn, void *ctx);

void live__stats(const struct live *live, struct live_stats *ret_stats);
/* "chain cache: 123 acquisitions, ... kept in the kernel; ..." for the logs and status. */
void live_stats_chain_line(const struct live_stats *stats, char *buf, size_t len);

/*
 * An engine_chain_fn (engine/engine.h) for engine__set_chain_fn(), ctx the
 * live source: writes what the engine learned into the probes' maps.
 */
void live__chain_fact(enum engine_chain_fact fact, __u64 key, __u32 class_id, void *ctx);

/* True when every essential lock probe is attached. */
bool live__lock_probes_attached(const struct live *live);
/* One line saying why lock operations cannot be seen, or NULL. */
const char *live__lock_refusal(const struct live *live);

struct probe_table *live__probe_table(struct live *live);
const struct probe_report_info *live__report_info(const struct live *live);
const struct gfp_layout *live__gfp_layout(const struct live *live);
const char *live__kernel_release(const struct live *live);

/* Detaches everything. Accepts NULL. */
void live__free(struct live *live);

/* "auto", "fentry" or "kprobe" (the commands' --attach). 0 or -EINVAL (logged). */
int live_parse_attach(const char *arg, enum live_attach *ret_attach);

#endif
