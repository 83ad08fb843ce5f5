// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The live source. Two BPF objects:
 *  - lockdepd.bpf.c, the core: lock functions (fentry/fexit, or kprobe
 *    twins), allocation and reclaim tracepoints, task exits, module loads;
 *  - lockdepd_entry.bpf.c: driver functions run as reclaim context and the
 *    rules' lock_args, whose targets exist only on some systems. It shares
 *    the core's ring buffer and task table.
 *
 * Lock probes are tried as fentry/fexit first and as kprobes second; a mode
 * counts as working when every essential lock probe attaches. Whatever
 * attaches or not, each probe point's outcome lands in the probe table.
 */

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "event/gfp.h"
#include "source/live/kernel_info.h"
#include "source/live/live.h"
#include "lockdepd.skel.h"
#include "lockdepd_bpf.h"
#include "lockdepd_entry.skel.h"
#include "lib/log.h"
#include "source/live/probe.h"
#include "engine/rules.h"
#include "event/symtab.h"

#include "source/live/capture.h"

/* --- the core object ---------------------------------------------------------- */

static void links_destroy(struct live *live)
{
	/* Acquires were attached last: detach them first, releases last. */
	while (live->nr_links)
		bpf_link__destroy(live->links[--live->nr_links]);
}

/* Adds a mode's failure to the notes every later probe point quotes. */
static void note_mode_failure(struct live *live, enum lock_mode mode, int err)
{
	size_t off = strlen(live->mode_notes);
	char what[192];

	live_describe_failure(mode, err, what, sizeof(what));
	snprintf(live->mode_notes + off, sizeof(live->mode_notes) - off, "%s%s", off ? ", " : "",
		 what);
}

static unsigned int ringbuf_bytes(const struct live *live)
{
	unsigned int mb = live->opts.ringbuf_mb ? live->opts.ringbuf_mb : DEFAULT_RINGBUF_MB;
	unsigned int pow = 1;

	/* A BPF ring buffer is a power-of-two number of pages. */
	while (pow < mb && pow < 1024)
		pow <<= 1;
	return pow << 20;
}

/* The symbol a lock probe attaches to on this kernel, or NULL. */
static const char *lock_target(const struct live *live, const struct lock_probe_def *def)
{
	if (btf_has_function(live->vmlinux_btf, def->function))
		return def->function;
	if (def->debug_function && btf_has_function(live->vmlinux_btf, def->debug_function))
		return def->debug_function;
	return NULL;
}

static int configure_core(struct live *live, enum lock_mode mode)
{
	struct lockdepd_bpf *core = live->core;
	const struct lock_probe_def *defs;
	const struct tracepoint_def *tps;
	size_t nr, nr_tps;
	int err;

	live_all_autoload_off(core->obj);
	SET_COMMON_RODATA(live, core->rodata);
	core->rodata->targ_alloc_filter = !live->opts.all_allocs;
	core->rodata->gfp_direct_reclaim = gfp_layout__mask(live->gfp, "__GFP_DIRECT_RECLAIM");
	core->rodata->gfp_fs = gfp_layout__mask(live->gfp, "__GFP_FS");
	err = bpf_map__set_max_entries(core->maps.events, ringbuf_bytes(live));
	if (err)
		return log_error_errno(err, "ring buffer size: %m");
	if (live->opts.chain_keys) {
		err = bpf_map__set_max_entries(core->maps.known_chains, live->opts.chain_keys);
		if (err)
			return log_error_errno(err, "chain cache size: %m");
	}

	defs = probe_lock_defs(&nr);
	for (size_t i = 0; i < nr && mode != LOCK_MODE_NONE; i++) {
		const char *target = lock_target(live, &defs[i]);
		struct bpf_program *prog;

		if (!target)
			continue;
		if (mode == LOCK_MODE_FENTRY) {
			prog = live_program(core->obj, defs[i].fentry_prog);
			if (!prog)
				return -ENOENT;
			bpf_program__set_autoload(prog, true);
			if (strcmp(target, defs[i].function) != 0) {
				err = bpf_program__set_attach_target(prog, 0, target);
				if (err)
					return log_error_errno(err, "retargeting %s to %s: %m",
							       defs[i].fentry_prog, target);
			}
			continue;
		}
		prog = live_program(core->obj, defs[i].kprobe_prog);
		if (!prog)
			return -ENOENT;
		bpf_program__set_autoload(prog, true);
		if (defs[i].kretprobe_prog) {
			prog = live_program(core->obj, defs[i].kretprobe_prog);
			if (!prog)
				return -ENOENT;
			bpf_program__set_autoload(prog, true);
		}
	}

	tps = probe_tracepoint_defs(&nr_tps);
	for (size_t i = 0; i < nr_tps; i++) {
		struct bpf_program *prog = live_program(core->obj, tps[i].prog);

		if (!prog)
			return -ENOENT;
		if (tracepoint_exists(tps[i].category, tps[i].name))
			bpf_program__set_autoload(prog, true);
	}
	return 0;
}

static int load_core(struct live *live, enum lock_mode mode)
{
	int err;

	live->core = lockdepd_bpf__open();
	if (!live->core)
		return log_error_errno(-errno, "opening the BPF object: %m");
	err = configure_core(live, mode);
	if (!err) {
		live_forget_libbpf_warning();
		err = lockdepd_bpf__load(live->core);
	}
	if (err) {
		lockdepd_bpf__destroy(live->core);
		live->core = NULL;
	}
	return err;
}

static void record_lock_point(struct live *live, const struct lock_probe_def *def,
			      enum lock_mode mode, const char *target, int err)
{
	struct probe_point *p = probe_table__find(live->table, def->function);
	enum probe_kind kind;

	if (!p) {
		p = probe_table__add(live->table, def->function, def->group, def->essential,
				     def->cost);
		if (!p)
			return;
	}
	if (mode == LOCK_MODE_FENTRY)
		kind = def->kretprobe_prog ? PROBE_KIND_FEXIT : PROBE_KIND_FENTRY;
	else
		kind = PROBE_KIND_KPROBE;
	if (!target) {
		probe_point__set(p, kind, PROBE_MISSING, 0,
				 def->debug_function ? "neither %s nor %s is in the kernel's BTF"
						     : "no such function in the kernel's BTF",
				 def->function, def->debug_function);
		return;
	}
	snprintf(p->target, sizeof(p->target), "%s", target);
	if (!err) {
		probe_point__set(p, kind, PROBE_ATTACHED, 0, NULL);
		return;
	}
	char what[192];

	live_describe_failure(mode, err, what, sizeof(what));
	probe_point__set(p, kind, live_is_refusal(mode, err) ? PROBE_REFUSED : PROBE_FAILED, err,
			 "%s%s%s", live->mode_notes, live->mode_notes[0] ? ", " : "", what);
}

static int attach_kprobe(struct live *live, const char *prog_name, const char *target,
			 bool retprobe)
{
	struct bpf_program *prog = live_program(live->core->obj, prog_name);
	struct bpf_link *link;

	if (!prog)
		return -ENOENT;
	link = bpf_program__attach_kprobe(prog, retprobe, target);
	if (!link)
		return -errno;
	return live_links_add(live, link);
}

/*
 * Attaches the lock probes of the loaded mode; returns how many essential
 * ones failed, and the first error among them.
 */
static int attach_lock_probes(struct live *live, enum lock_mode mode, int *ret_first_err)
{
	const struct lock_probe_def *defs;
	size_t nr;
	int failed = 0;

	*ret_first_err = 0;
	defs = probe_lock_defs(&nr);
	for (size_t i = 0; i < nr; i++) {
		const char *target = lock_target(live, &defs[i]);
		int err = 0;

		if (target && mode == LOCK_MODE_FENTRY) {
			struct bpf_program *prog =
				live_program(live->core->obj, defs[i].fentry_prog);
			struct bpf_link *link = prog ? bpf_program__attach_trace(prog) : NULL;

			err = link ? live_links_add(live, link) : -errno;
		} else if (target && mode == LOCK_MODE_KPROBE) {
			err = attach_kprobe(live, defs[i].kprobe_prog, target, false);
			if (!err && defs[i].kretprobe_prog)
				err = attach_kprobe(live, defs[i].kretprobe_prog, target, true);
		}
		record_lock_point(live, &defs[i], mode, target, err);
		if (defs[i].essential && (!target || err)) {
			if (!*ret_first_err)
				*ret_first_err = err ? err : -ENOENT;
			failed++;
		}
	}
	return failed;
}

static void record_unprobed(struct live *live)
{
	const struct unprobed_def *defs;
	size_t nr;

	defs = probe_unprobed_defs(&nr);
	for (size_t i = 0; i < nr; i++) {
		struct probe_point *p = probe_table__add(live->table, defs[i].function,
							 PROBE_GROUP_LOCK, false, NULL);

		if (p)
			probe_point__set(p, PROBE_KIND_NONE, PROBE_NOT_NEEDED, 0, "%s",
					 defs[i].reason);
	}
}

static void attach_tracepoints(struct live *live)
{
	const struct tracepoint_def *defs;
	size_t nr;

	defs = probe_tracepoint_defs(&nr);
	for (size_t i = 0; i < nr; i++) {
		char name[96];
		struct probe_point *p;
		struct bpf_program *prog;
		struct bpf_link *link;
		enum probe_kind kind;

		snprintf(name, sizeof(name), "%s:%s", defs[i].category, defs[i].name);
		p = probe_table__add(live->table, name, defs[i].group, defs[i].essential,
				     defs[i].cost);
		if (!p)
			return;
		prog = live_program(live->core->obj, defs[i].prog);
		kind = prog && bpf_program__type(prog) == BPF_PROG_TYPE_RAW_TRACEPOINT
			       ? PROBE_KIND_RAW_TRACEPOINT
			       : PROBE_KIND_TRACEPOINT;
		if (!prog || !bpf_program__autoload(prog)) {
			probe_point__set(p, kind, PROBE_MISSING, 0,
					 "no such tracepoint in tracefs");
			continue;
		}
		link = bpf_program__attach(prog);
		if (!link || live_links_add(live, link)) {
			int err = -errno;

			bpf_link__destroy(link);
			probe_point__set(p, kind, err == -EPERM ? PROBE_REFUSED : PROBE_FAILED, err,
					 NULL);
			continue;
		}
		probe_point__set(p, kind, PROBE_ATTACHED, 0, NULL);
	}
}

/* Every lock point says why when no lock mode could even load. */
static void record_lock_points_refused(struct live *live)
{
	const struct lock_probe_def *defs;
	size_t nr;

	defs = probe_lock_defs(&nr);
	for (size_t i = 0; i < nr; i++) {
		struct probe_point *p = probe_table__find(live->table, defs[i].function);

		if (!p)
			p = probe_table__add(live->table, defs[i].function, defs[i].group,
					     defs[i].essential, defs[i].cost);
		if (p)
			probe_point__set(p, PROBE_KIND_NONE, PROBE_REFUSED, 0, "%s",
					 live->mode_notes);
	}
}

/*
 * Tries the modes in order until every essential lock probe attaches. The
 * last mode that loaded is kept even if it attached nothing: its
 * tracepoints still work.
 */
static int open_core(struct live *live)
{
	enum lock_mode modes[2];
	size_t nr_modes = 0;
	int err;

	if (live->opts.attach != LIVE_ATTACH_KPROBE)
		modes[nr_modes++] = LOCK_MODE_FENTRY;
	if (live->opts.attach != LIVE_ATTACH_FENTRY)
		modes[nr_modes++] = LOCK_MODE_KPROBE;

	for (size_t i = 0; i < nr_modes; i++) {
		bool last = i + 1 == nr_modes;
		int failed, first_err;

		err = load_core(live, modes[i]);
		if (err) {
			log_debug_errno(err, "%s lock probes do not load: %m",
					live_mode_name(modes[i]));
			note_mode_failure(live, modes[i], err);
			continue;
		}
		failed = attach_lock_probes(live, modes[i], &first_err);
		if (!failed || last) {
			if (failed)
				note_mode_failure(live, modes[i], first_err);
			/* The last mode stays loaded: its tracepoints still work. */
			live->mode = modes[i];
			goto attached;
		}
		note_mode_failure(live, modes[i], first_err);
		links_destroy(live);
		lockdepd_bpf__destroy(live->core);
		live->core = NULL;
	}

	/* No lock mode loads: tracepoints only. */
	err = load_core(live, LOCK_MODE_NONE);
	if (err)
		return log_error_errno(err, "loading the BPF probes: %s",
				       live_refusal_reason(LOCK_MODE_NONE, err));
	live->mode = LOCK_MODE_NONE;
	record_lock_points_refused(live);
attached:
	record_unprobed(live);
	attach_tracepoints(live);
	return 0;
}

/* --- life cycle ----------------------------------------------------------------- */

static int read_kernel_facts(struct live *live)
{
	const char *gfp_source = NULL;
	int err;

	err = kernel_read_release(live->release, sizeof(live->release));
	if (err)
		return err;
	live->vmlinux_btf = btf__load_vmlinux_btf();
	if (!live->vmlinux_btf)
		return log_error_errno(
			-ENOENT,
			"this kernel exposes no BTF (/sys/kernel/btf/vmlinux): lockdepd's probes need CONFIG_DEBUG_INFO_BTF");
	/* Mounts tracefs when needed: the tracepoints' ids live there. */
	tracefs_path();
	err = kernel_read_gfp_layout(live->vmlinux_btf, &live->gfp, &gfp_source);
	if (err)
		return err;
	err = kernel_read_task_flags(&live->task_flags);
	if (err)
		return err;
	live->info.kernel_release = live->release;
	live->info.gfp_source = gfp_source;
	live->info.task_flags_source = live->task_flags.source;
	return 0;
}

/* Says in one line when this user may not use BPF at all, before anything else fails. */
static int check_bpf_permitted(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lockdepd_probe", 4, 4, 1, NULL);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EPERM || errno == EACCES)
		return log_error_errno(
			-EPERM,
			"BPF is not permitted for this user: lockdepd needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
	return log_error_errno(-errno, "BPF is not available: %m");
}

static void describe_lock_mode(struct live *live)
{
	const char *missing = NULL;
	size_t n = probe_table__count(live->table);

	snprintf(live->lock_attach, sizeof(live->lock_attach), "%s",
		 probe_table__essential_attached(live->table) ? live_mode_name(live->mode)
							      : "none");
	live->info.lock_attach = live->lock_attach;
	if (probe_table__essential_attached(live->table))
		return;
	for (size_t i = 0; i < n && !missing; i++) {
		struct probe_point *p = probe_table__at(live->table, i);

		if (p->essential && p->status != PROBE_ATTACHED && p->status != PROBE_NOT_NEEDED)
			missing = p->name;
	}
	if (probe_table__attached(live->table, PROBE_GROUP_LOCK) == 0)
		snprintf(
			live->lock_refusal, sizeof(live->lock_refusal),
			"lock probes refused: %s: lockdepd cannot see lock operations on this kernel",
			live->mode_notes[0] ? live->mode_notes : "no lock function attaches");
	else
		snprintf(
			live->lock_refusal, sizeof(live->lock_refusal),
			"essential lock probe %s is not attached: findings would be incomplete or wrong",
			missing ? missing : "?");
	live->info.lock_refusal = live->lock_refusal;
}

int live__open(const struct live_opts *opts, struct symtab *symtab, struct live **ret_live)
{
	struct live *live;
	int err;

	live = calloc(1, sizeof(*live));
	if (!live)
		return -ENOMEM;
	live->opts = *opts;
	live->symtab = symtab;
	err = probe_table__new(&live->table);
	if (err)
		goto fail;
	libbpf_set_print(live_libbpf_print);
	err = check_bpf_permitted();
	if (err)
		goto fail;

	/* Before any probe exists, so the reads cannot be traced at all. */
	err = symtab__load_kallsyms(symtab, "/proc/kallsyms");
	if (err)
		log_warning("stacks will show addresses only: /proc/kallsyms unreadable");

	err = read_kernel_facts(live);
	if (err)
		goto fail;
	err = open_core(live);
	if (err)
		goto fail;
	err = live_open_entry(live);
	if (err)
		goto fail;
	describe_lock_mode(live);
	/* Held-lock tracking is complete from here on: allocations holding nothing may go. */
	if (live__lock_probes_attached(live) && !opts->all_allocs)
		live->core->bss->locks_traced = 1;

	live->rb =
		ring_buffer__new(bpf_map__fd(live->core->maps.events), live_on_record, live, NULL);
	if (!live->rb) {
		err = log_error_errno(-errno, "ring buffer: %m");
		goto fail;
	}
	*ret_live = live;
	return 0;
fail:
	live__free(live);
	return err;
}

void live__stats(const struct live *live, struct live_stats *ret_stats)
{
	struct live_stats s = { .events = live->events, .invalid = live->invalid };

	if (live->core) {
		s.lost += live->core->bss->lost_total;
		s.lost_symbols = live->core->bss->lost_symbols;
	}
	if (live->entry)
		s.lost += live->entry->bss->lost_total;
	if (live->core) {
		s.chain_acquires = live->core->bss->chain_skipped_acquires;
		s.chain_releases = live->core->bss->chain_skipped_releases;
		s.chain_allocs = live->core->bss->chain_skipped_allocs;
		s.chain_held_records = live->core->bss->chain_held_records;
		s.chain_full = live->core->bss->chain_cache_full;
	}
	if (live->entry)
		s.chain_held_records += live->entry->bss->chain_held_records;
	s.chain_keys = live->chains_written.count;
	*ret_stats = s;
}

void live_stats_chain_line(const struct live_stats *stats, char *buf, size_t len)
{
	snprintf(buf, len,
		 "chain cache: %llu acquisitions, %llu releases and %llu allocations kept in the "
		 "kernel; %llu held records, %llu chains known%s",
		 (unsigned long long)stats->chain_acquires,
		 (unsigned long long)stats->chain_releases, (unsigned long long)stats->chain_allocs,
		 (unsigned long long)stats->chain_held_records,
		 (unsigned long long)stats->chain_keys,
		 stats->chain_full ? " (a map filled up: everything is sent since)" : "");
}

bool live__lock_probes_attached(const struct live *live)
{
	return probe_table__essential_attached(live->table);
}

const char *live__lock_refusal(const struct live *live)
{
	return live->lock_refusal[0] ? live->lock_refusal : NULL;
}

struct probe_table *live__probe_table(struct live *live)
{
	return live->table;
}

const struct probe_report_info *live__report_info(const struct live *live)
{
	return &live->info;
}

const struct gfp_layout *live__gfp_layout(const struct live *live)
{
	return live->gfp;
}

const char *live__kernel_release(const struct live *live)
{
	return live->release;
}

void live__free(struct live *live)
{
	if (!live)
		return;
	if (live->module_syms)
		fclose(live->module_syms);
	free(live->module_buf);
	live_chain_free(live);
	ring_buffer__free(live->rb);
	links_destroy(live);
	lockdepd_entry_bpf__destroy(live->entry);
	lockdepd_bpf__destroy(live->core);
	for (size_t i = 0; i < live->nr_modules; i++)
		btf__free(live->modules[i].btf);
	btf__free(live->vmlinux_btf);
	gfp_layout__free(live->gfp);
	probe_table__free(live->table);
	free(live->links);
	free(live);
}

/* --- for the commands ---------------------------------------------------------- */

int live_parse_attach(const char *arg, enum live_attach *ret_attach)
{
	if (strcmp(arg, "auto") == 0)
		*ret_attach = LIVE_ATTACH_AUTO;
	else if (strcmp(arg, "fentry") == 0)
		*ret_attach = LIVE_ATTACH_FENTRY;
	else if (strcmp(arg, "kprobe") == 0)
		*ret_attach = LIVE_ATTACH_KPROBE;
	else
		return log_error_errno(-EINVAL,
				       "--attach: expected auto, fentry or kprobe, got '%s'", arg);
	return 0;
}
