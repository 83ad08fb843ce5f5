// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor: the cost floor of live capture, for `make bench-live`. Attaches
 * bench/floor.bpf.c's programs, which do nothing, to the points `lockdepd
 * run` attaches on this kernel, and holds them until SIGINT or SIGTERM.
 *
 *   floor [--ring | --hold [--no-wakeup]] [--locks-only]
 *
 *   --ring        the lock functions get the rb_ programs (a ring-buffer
 *                 record per call, waking the reader as lockdepd does) and a
 *                 consumer that only counts records, reading as often as
 *                 lockdepd does
 *   --hold        the same records, counted only at the end: no reader runs
 *                 beside the traced code (the 16 MiB buffer must hold them;
 *                 lost records say it did not). The records ask for
 *                 wake-ups by lockdepd's rule: when the waiting data
 *                 crosses its threshold.
 *   --no-wakeup   with --hold: no record asks for a wake-up, which leaves
 *                 the bare reserve and submit
 *   --locks-only  lock and init functions only, no tracepoints
 *
 * The points come from lockdepd's own tables (daemon/source/live/probe.c) and are
 * resolved as daemon/source/live/live.c resolves them in fentry mode: a lock function
 * by its name in the kernel's BTF, else by its CONFIG_DEBUG_LOCK_ALLOC
 * name; a tracepoint when tracefs has it. Before loading, each program's
 * section, type and attach type are compared with lockdepd's program of
 * the same name (its skeleton, opened, never loaded). lockdepd's entry
 * object (drivers' shrinkers, rules' lock_args) is not mirrored: bench/
 * live.sh compares the points printed here with `lockdepd probe`.
 *
 * stdout: one line per attached point, "KIND NAME" ("fexit mutex_lock");
 * stderr: "floor: ready, N points attached" once attached, and with --ring
 * or --hold "floor: records N, lost M" at the end. Exit 0, or 1 on failure.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "source/live/kernel_info.h"
#include "lockdepd.skel.h"
#include "lib/log.h"
#include "source/live/probe.h"

#define MAX_POINTS 64
/* service.c's LIVE_DRAIN_MS: how often lockdepd reads the ring buffer unasked. */
#define DRAIN_MS 100
/* live.c's wakeup_threshold() for its default 16 MiB ring buffer. */
#define WAKEUP_BYTES (256 * 1024)

struct floor_point {
	struct bpf_program *prog;
	const char *name; /* lockdepd's name of the point: "mutex_lock", "kmem:kmalloc" */
	char tp_name[96];
};

struct floor_opts {
	bool ring; /* the rb_ programs */
	bool drain; /* ... read while attached */
	bool no_wakeup; /* ... never forcing a wake-up */
	bool locks_only;
};

struct floor {
	struct floor_opts opts;
	struct floor_bpf *skel;
	struct lockdepd_bpf *reference; /* lockdepd's core object, opened only */
	struct btf *vmlinux_btf;
	struct floor_point points[MAX_POINTS];
	size_t nr_points;
	struct bpf_link *links[MAX_POINTS];
	size_t nr_links;
	struct ring_buffer *rb;
	unsigned long long records;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

static void log_as_floor(enum log_level level, const char *msg, void *ctx)
{
	fprintf(stderr, "floor: %s\n", msg);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	/* libbpf's messages name libbpf themselves. */
	fputs("floor: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* live.c's lock_target(): the function, else its CONFIG_DEBUG_LOCK_ALLOC twin. */
static const char *lock_target(const struct btf *btf, const struct lock_probe_def *def)
{
	if (btf_has_function(btf, def->function))
		return def->function;
	if (def->debug_function && btf_has_function(btf, def->debug_function))
		return def->debug_function;
	return NULL;
}

/*
 * The floor program standing in for lockdepd's program `name`: the same
 * section (so the same attach point and attach type) and the same types.
 */
static struct bpf_program *matching_program(struct floor *floor, const char *name, bool ring)
{
	struct bpf_program *reference, *prog;
	char floor_name[96];

	snprintf(floor_name, sizeof(floor_name), "%s%s", ring ? "rb_" : "", name);
	prog = bpf_object__find_program_by_name(floor->skel->obj, floor_name);
	reference = bpf_object__find_program_by_name(floor->reference->obj, name);
	if (!prog || !reference) {
		log_error("no program %s in %s (bench/floor.bpf.c out of step with bpf/)",
			  prog ? name : floor_name,
			  prog ? "lockdepd's object" : "the floor object");
		errno = ENOENT;
		return NULL;
	}
	if (strcmp(bpf_program__section_name(prog), bpf_program__section_name(reference)) != 0 ||
	    bpf_program__type(prog) != bpf_program__type(reference) ||
	    bpf_program__expected_attach_type(prog) !=
		    bpf_program__expected_attach_type(reference)) {
		log_error("%s: the floor's program is SEC(\"%s\"), lockdepd's SEC(\"%s\")",
			  floor_name, bpf_program__section_name(prog),
			  bpf_program__section_name(reference));
		errno = EPROTO;
		return NULL;
	}
	return prog;
}

static int plan_point(struct floor *floor, const char *name, const char *prog_name, bool ring,
		      const char *target)
{
	struct floor_point *point;
	struct bpf_program *prog;
	int err;

	if (floor->nr_points == MAX_POINTS)
		return log_error_errno(-E2BIG, "more than %d probe points", MAX_POINTS);
	prog = matching_program(floor, prog_name, ring);
	if (!prog)
		return -errno;
	bpf_program__set_autoload(prog, true);
	if (target && strcmp(target, name) != 0) {
		err = bpf_program__set_attach_target(prog, 0, target);
		if (err)
			return log_error_errno(err, "retargeting %s to %s: %s", prog_name, target,
					       strerror(-err));
	}
	point = &floor->points[floor->nr_points++];
	point->prog = prog;
	point->name = name;
	return 0;
}

/* lockdepd's attach order: releases, class names, acquires, then tracepoints. */
static int plan_points(struct floor *floor, bool ring, bool locks_only)
{
	const struct lock_probe_def *locks;
	const struct tracepoint_def *tps;
	size_t nr_locks, nr_tps;
	int err;

	locks = probe_lock_defs(&nr_locks);
	for (size_t i = 0; i < nr_locks; i++) {
		const char *target = lock_target(floor->vmlinux_btf, &locks[i]);

		if (!target)
			continue;
		err = plan_point(floor, locks[i].function, locks[i].fentry_prog, ring, target);
		if (err)
			return err;
	}
	if (locks_only)
		return 0;
	tps = probe_tracepoint_defs(&nr_tps);
	for (size_t i = 0; i < nr_tps; i++) {
		struct floor_point *point;

		if (!tracepoint_exists(tps[i].category, tps[i].name))
			continue;
		err = plan_point(floor, tps[i].name, tps[i].prog, false, NULL);
		if (err)
			return err;
		point = &floor->points[floor->nr_points - 1];
		snprintf(point->tp_name, sizeof(point->tp_name), "%s:%s", tps[i].category,
			 tps[i].name);
		point->name = point->tp_name;
	}
	return 0;
}

/* probe.c's kind names, from what the program really is. */
static const char *point_kind(const struct bpf_program *prog)
{
	switch (bpf_program__expected_attach_type(prog)) {
	case BPF_TRACE_FENTRY:
		return "fentry";
	case BPF_TRACE_FEXIT:
		return "fexit";
	default:
		break;
	}
	return bpf_program__type(prog) == BPF_PROG_TYPE_RAW_TRACEPOINT ? "raw_tp" : "tracepoint";
}

static int attach_points(struct floor *floor)
{
	for (size_t i = 0; i < floor->nr_points; i++) {
		struct floor_point *point = &floor->points[i];
		struct bpf_link *link = bpf_program__attach(point->prog);

		if (!link)
			return log_error_errno(-errno, "attaching %s %s: %s",
					       point_kind(point->prog), point->name,
					       strerror(errno));
		floor->links[floor->nr_links++] = link;
		printf("%s %s\n", point_kind(point->prog), point->name);
	}
	fflush(stdout);
	return 0;
}

static int count_record(void *ctx, void *data, size_t size)
{
	struct floor *floor = ctx;

	floor->records++;
	return 0;
}

/*
 * Until SIGINT or SIGTERM: the signals stay blocked outside the wait, so
 * one arriving between the check and the wait still ends it.
 */
static int wait_for_stop(struct floor *floor)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct epoll_event ev;
	sigset_t stop, waiting;
	int err = 0;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop, &waiting) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return log_error_errno(-errno, "signals: %s", strerror(errno));
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGTERM);
	fprintf(stderr, "floor: ready, %zu points attached\n", floor->nr_links);
	while (!stop_requested) {
		if (!floor->opts.drain) {
			sigsuspend(&waiting);
			continue;
		}
		if (epoll_pwait(ring_buffer__epoll_fd(floor->rb), &ev, 1, DRAIN_MS, &waiting) < 0 &&
		    errno != EINTR)
			return log_error_errno(-errno, "epoll: %s", strerror(errno));
		err = ring_buffer__consume(floor->rb);
		if (err < 0)
			return log_error_errno(err, "ring buffer: %s", strerror(-err));
	}
	return 0;
}

static void floor_free(struct floor *floor)
{
	ring_buffer__free(floor->rb);
	/* Acquires were attached last: they go first, as in lockdepd. */
	while (floor->nr_links)
		bpf_link__destroy(floor->links[--floor->nr_links]);
	floor_bpf__destroy(floor->skel);
	lockdepd_bpf__destroy(floor->reference);
	btf__free(floor->vmlinux_btf);
}

static int floor_run(struct floor *floor)
{
	bool ring = floor->opts.ring;
	struct bpf_program *prog;
	int err;

	floor->vmlinux_btf = btf__load_vmlinux_btf();
	if (!floor->vmlinux_btf)
		return log_error_errno(-errno, "no kernel BTF: %s", strerror(errno));
	floor->reference = lockdepd_bpf__open();
	floor->skel = floor_bpf__open();
	if (!floor->reference || !floor->skel)
		return log_error_errno(-errno, "opening the BPF objects: %s", strerror(errno));
	bpf_object__for_each_program(prog, floor->skel->obj) bpf_program__set_autoload(prog, false);
	floor->skel->rodata->self_tgid = (__u32)getpid();
	floor->skel->rodata->wakeup_bytes = floor->opts.no_wakeup ? UINT64_MAX : WAKEUP_BYTES;
	/* Without --ring nothing writes to it: one page instead of 16 MiB. */
	if (!ring) {
		err = bpf_map__set_max_entries(floor->skel->maps.records, getpagesize());
		if (err)
			return log_error_errno(err, "ring buffer size: %s", strerror(-err));
	}
	err = plan_points(floor, ring, floor->opts.locks_only);
	if (err)
		return err;
	err = floor_bpf__load(floor->skel);
	if (err == -EPERM || err == -EACCES)
		return log_error_errno(
			err,
			"BPF trampolines refused (%s): lockdepd would fall back to kprobes, which the floor does not mirror",
			strerror(-err));
	if (err)
		return log_error_errno(err, "loading the floor's programs: %s", strerror(-err));
	if (ring) {
		floor->rb = ring_buffer__new(bpf_map__fd(floor->skel->maps.records), count_record,
					     floor, NULL);
		if (!floor->rb)
			return log_error_errno(-errno, "ring buffer: %s", strerror(errno));
	}
	err = attach_points(floor);
	if (err)
		return err;
	err = wait_for_stop(floor);
	if (err)
		return err;
	if (ring) {
		err = ring_buffer__consume(floor->rb);
		if (err < 0)
			return log_error_errno(err, "ring buffer: %s", strerror(-err));
		fprintf(stderr, "floor: records %llu, lost %llu\n", floor->records,
			(unsigned long long)floor->skel->bss->records_lost);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ring", no_argument, NULL, 'r' },
		{ "hold", no_argument, NULL, 'H' },
		{ "no-wakeup", no_argument, NULL, 'n' },
		{ "locks-only", no_argument, NULL, 'l' },
		{},
	};
	static const char usage[] = "Usage: floor [--ring | --hold [--no-wakeup]] [--locks-only]\n";
	struct floor floor = {};
	int opt, err;

	while ((opt = getopt_long(argc, argv, "rHnl", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			floor.opts.ring = true;
			floor.opts.drain = true;
			break;
		case 'H':
			floor.opts.ring = true;
			floor.opts.drain = false;
			break;
		case 'n':
			floor.opts.no_wakeup = true;
			break;
		case 'l':
			floor.opts.locks_only = true;
			break;
		default:
			fputs(usage, stderr);
			return 1;
		}
	}
	if (floor.opts.no_wakeup && (!floor.opts.ring || floor.opts.drain)) {
		fputs(usage, stderr);
		return 1;
	}
	log_set_sink(log_as_floor, NULL);
	libbpf_set_print(libbpf_print);
	err = floor_run(&floor);
	floor_free(&floor);
	return err ? 1 : 0;
}
