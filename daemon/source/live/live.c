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

#define DEFAULT_RINGBUF_MB 16
#define MAX_MODULE_BTFS	   64

enum lock_mode {
	LOCK_MODE_FENTRY,
	LOCK_MODE_KPROBE,
	LOCK_MODE_NONE,
};

struct module_btf {
	char name[64];
	struct btf *btf;
};

struct live {
	struct lockdepd_bpf *core;
	struct lockdepd_entry_bpf *entry;
	struct bpf_link **links;
	size_t nr_links, links_capacity;
	struct ring_buffer *rb;
	struct symtab *symtab;
	struct probe_table *table;
	struct probe_report_info info;
	struct gfp_layout *gfp;
	struct task_flag_values task_flags;
	struct btf *vmlinux_btf;
	struct module_btf modules[MAX_MODULE_BTFS];
	size_t nr_modules;
	bool modules_scanned;
	enum lock_mode mode;
	struct live_opts opts;
	char release[128];
	char lock_attach[64];
	char lock_refusal[512];
	char mode_notes[256]; /* why earlier modes failed, for the probe table */
	/* While polling. */
	live_event_fn fn;
	void *fn_ctx;
	__u64 events;
	__u64 invalid;
	__u64 untracked_seen;
	/* A module's symbols, between its MODULE_LOAD and MODULE_DONE records. */
	char module_name[64];
	FILE *module_syms;
	char *module_buf;
	size_t module_buf_len;
	unsigned int module_nr_syms;
};

/* --- libbpf messages ------------------------------------------------------- */

/* libbpf's last warning, quoted when a load fails. */
static char libbpf_last_warning[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static char msg[65536];
	char *line, *save = NULL;
	size_t n;

	if (level == LIBBPF_DEBUG && log_get_max_level() < LOG_LEVEL_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (level == LIBBPF_WARN)
		snprintf(libbpf_last_warning, sizeof(libbpf_last_warning), "%s", msg);
	/* A verifier log is many lines: one message each. */
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_debug("%s", line);
	return 0;
}

/* --- helpers ------------------------------------------------------------------- */

static int links_add(struct live *live, struct bpf_link *link)
{
	if (live->nr_links == live->links_capacity) {
		size_t grown = live->links_capacity ? live->links_capacity * 2 : 64;
		struct bpf_link **links = realloc(live->links, grown * sizeof(*links));

		if (!links)
			return -ENOMEM;
		live->links = links;
		live->links_capacity = grown;
	}
	live->links[live->nr_links++] = link;
	return 0;
}

static void links_destroy(struct live *live)
{
	/* Acquires were attached last: detach them first, releases last. */
	while (live->nr_links)
		bpf_link__destroy(live->links[--live->nr_links]);
}

static bool kernel_has_kprobes(void)
{
	const char *tracefs = tracefs_path();
	char path[256];

	if (access("/sys/bus/event_source/devices/kprobe", F_OK) == 0)
		return true;
	if (!tracefs)
		return false;
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	return access(path, F_OK) == 0;
}

static const char *mode_name(enum lock_mode mode)
{
	switch (mode) {
	case LOCK_MODE_FENTRY:
		return "fentry";
	case LOCK_MODE_KPROBE:
		return "kprobe";
	default:
		return "none";
	}
}

static bool is_refusal(enum lock_mode mode, int err)
{
	return err == -EPERM || err == -EACCES || err == -ENOTSUP ||
	       (mode == LOCK_MODE_KPROBE && !kernel_has_kprobes());
}

/* Why the kernel refused a program of that mode, in a few words. */
static const char *refusal_reason(enum lock_mode mode, int err)
{
	if (mode == LOCK_MODE_FENTRY && (err == -EPERM || err == -EACCES))
		return "BPF trampolines not permitted";
	if (mode == LOCK_MODE_FENTRY && err == -ENOTSUP)
		return "no BPF trampolines in this kernel";
	if (mode == LOCK_MODE_KPROBE && !kernel_has_kprobes())
		return "no kprobe support in this kernel";
	if (err == -EPERM || err == -EACCES)
		return "not permitted";
	return libbpf_last_warning[0] ? libbpf_last_warning : strerror(-err);
}

/* "fentry EPERM (BPF trampolines not permitted)" into buf. */
static void describe_failure(enum lock_mode mode, int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s (%s)", mode_name(mode), probe_errno_name(-err),
		 refusal_reason(mode, err));
}

/* Adds a mode's failure to the notes every later probe point quotes. */
static void note_mode_failure(struct live *live, enum lock_mode mode, int err)
{
	size_t off = strlen(live->mode_notes);
	char what[192];

	describe_failure(mode, err, what, sizeof(what));
	snprintf(live->mode_notes + off, sizeof(live->mode_notes) - off, "%s%s", off ? ", " : "",
		 what);
}

static struct bpf_program *program(struct bpf_object *obj, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);

	if (!prog)
		log_error("BPF object %s has no program %s (build mismatch)", bpf_object__name(obj),
			  name);
	return prog;
}

static void all_autoload_off(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, false);
}

/* The module BTF holding a function, loading module BTFs on first use. */
static struct btf *module_btf(struct live *live, const char *module)
{
	struct btf *btf;
	char path[128];

	for (size_t i = 0; i < live->nr_modules; i++)
		if (strcmp(live->modules[i].name, module) == 0)
			return live->modules[i].btf;
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
	if (access(path, F_OK) != 0 || live->nr_modules == MAX_MODULE_BTFS)
		return NULL;
	btf = btf__load_module_btf(module, live->vmlinux_btf);
	if (!btf) {
		log_debug("BTF of module %s: %m", module);
		return NULL;
	}
	snprintf(live->modules[live->nr_modules].name, sizeof(live->modules[0].name), "%s", module);
	live->modules[live->nr_modules++].btf = btf;
	return btf;
}

/*
 * Where a function's BTF lives: vmlinux, or a loaded module (its name into
 * module). NULL when no loaded BTF has it.
 */
static const struct btf *function_btf(struct live *live, const char *function, char *module,
				      size_t module_len)
{
	struct dirent *de;
	DIR *dir;

	module[0] = '\0';
	if (btf_has_function(live->vmlinux_btf, function))
		return live->vmlinux_btf;
	dir = opendir("/sys/kernel/btf");
	if (!dir)
		return NULL;
	while ((de = readdir(dir))) {
		struct btf *btf;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "vmlinux") == 0)
			continue;
		btf = module_btf(live, de->d_name);
		if (btf && btf_has_function(btf, function)) {
			snprintf(module, module_len, "%s", de->d_name);
			closedir(dir);
			return btf;
		}
	}
	closedir(dir);
	return NULL;
}

/* Addresses of some functions from /proc/kallsyms (kretprobes cannot ask the kernel). */
static __u64 kallsyms_address(const char *function)
{
	char line[512], name[256];
	unsigned long long addr;
	__u64 found = 0;
	char type;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    strcmp(name, function) == 0 && (type == 't' || type == 'T')) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

/* --- the core object ---------------------------------------------------------- */

static __u64 wakeup_threshold(const struct live *live)
{
	__u64 size = (__u64)(live->opts.ringbuf_mb ? live->opts.ringbuf_mb : DEFAULT_RINGBUF_MB)
		     << 20;

	return size / 4 < 256 * 1024 ? size / 4 : 256 * 1024;
}

/* The settings both objects share (lockdepd_common.h); ro is either skeleton's rodata. */
#define SET_COMMON_RODATA(live, ro)                                        \
	do {                                                               \
		(ro)->targ_self_tgid = (__u32)getpid();                    \
		(ro)->pf_memalloc = (live)->task_flags.memalloc;           \
		(ro)->pf_memalloc_nofs = (live)->task_flags.memalloc_nofs; \
		(ro)->pf_memalloc_noio = (live)->task_flags.memalloc_noio; \
		(ro)->pf_kswapd = (live)->task_flags.kswapd;               \
		(ro)->wakeup_bytes = wakeup_threshold(live);               \
		(ro)->targ_stack_dedupe = !(live)->opts.all_stacks;        \
	} while (0)

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

	all_autoload_off(core->obj);
	SET_COMMON_RODATA(live, core->rodata);
	core->rodata->targ_alloc_filter = !live->opts.all_allocs;
	core->rodata->gfp_direct_reclaim = gfp_layout__mask(live->gfp, "__GFP_DIRECT_RECLAIM");
	core->rodata->gfp_fs = gfp_layout__mask(live->gfp, "__GFP_FS");
	err = bpf_map__set_max_entries(core->maps.events, ringbuf_bytes(live));
	if (err)
		return log_error_errno(err, "ring buffer size: %m");

	defs = probe_lock_defs(&nr);
	for (size_t i = 0; i < nr && mode != LOCK_MODE_NONE; i++) {
		const char *target = lock_target(live, &defs[i]);
		struct bpf_program *prog;

		if (!target)
			continue;
		if (mode == LOCK_MODE_FENTRY) {
			prog = program(core->obj, defs[i].fentry_prog);
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
		prog = program(core->obj, defs[i].kprobe_prog);
		if (!prog)
			return -ENOENT;
		bpf_program__set_autoload(prog, true);
		if (defs[i].kretprobe_prog) {
			prog = program(core->obj, defs[i].kretprobe_prog);
			if (!prog)
				return -ENOENT;
			bpf_program__set_autoload(prog, true);
		}
	}

	tps = probe_tracepoint_defs(&nr_tps);
	for (size_t i = 0; i < nr_tps; i++) {
		struct bpf_program *prog = program(core->obj, tps[i].prog);

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
		libbpf_last_warning[0] = '\0';
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

	describe_failure(mode, err, what, sizeof(what));
	probe_point__set(p, kind, is_refusal(mode, err) ? PROBE_REFUSED : PROBE_FAILED, err,
			 "%s%s%s", live->mode_notes, live->mode_notes[0] ? ", " : "", what);
}

static int attach_kprobe(struct live *live, const char *prog_name, const char *target,
			 bool retprobe)
{
	struct bpf_program *prog = program(live->core->obj, prog_name);
	struct bpf_link *link;

	if (!prog)
		return -ENOENT;
	link = bpf_program__attach_kprobe(prog, retprobe, target);
	if (!link)
		return -errno;
	return links_add(live, link);
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
			struct bpf_program *prog = program(live->core->obj, defs[i].fentry_prog);
			struct bpf_link *link = prog ? bpf_program__attach_trace(prog) : NULL;

			err = link ? links_add(live, link) : -errno;
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
		prog = program(live->core->obj, defs[i].prog);
		kind = prog && bpf_program__type(prog) == BPF_PROG_TYPE_RAW_TRACEPOINT
			       ? PROBE_KIND_RAW_TRACEPOINT
			       : PROBE_KIND_TRACEPOINT;
		if (!prog || !bpf_program__autoload(prog)) {
			probe_point__set(p, kind, PROBE_MISSING, 0,
					 "no such tracepoint in tracefs");
			continue;
		}
		link = bpf_program__attach(prog);
		if (!link || links_add(live, link)) {
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
			log_debug_errno(err, "%s lock probes do not load: %m", mode_name(modes[i]));
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
				       refusal_reason(LOCK_MODE_NONE, err));
	live->mode = LOCK_MODE_NONE;
	record_lock_points_refused(live);
attached:
	record_unprobed(live);
	attach_tracepoints(live);
	return 0;
}

/* --- the entry object ------------------------------------------------------- */

struct slot_plan {
	struct probe_point *point;
	char target[96];
	char module[64];
	int slot;
};

static int set_target(struct bpf_program *prog, const char *target)
{
	int err;

	bpf_program__set_autoload(prog, true);
	err = bpf_program__set_attach_target(prog, 0, target);
	if (err)
		return log_error_errno(err, "attach target %s: %m", target);
	return 0;
}

static struct bpf_program *slot_program(struct live *live, const char *prefix, int slot)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%d", prefix, slot);
	return program(live->entry->obj, name);
}

/* Plans a reclaim slot per driver entry point whose module is loaded. */
static int plan_drivers(struct live *live, struct slot_plan *plans, size_t *nr_plans)
{
	const struct driver_entry_def *defs;
	bool *told;
	size_t nr;
	int slot = 0;

	defs = probe_driver_entry_defs(&nr);
	told = calloc(nr, sizeof(*told));
	if (!told)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		struct probe_point *p = probe_table__add(live->table, defs[i].function,
							 PROBE_GROUP_DRIVER, false, defs[i].cost);
		const struct btf *btf;

		if (!p) {
			free(told);
			return -ENOMEM;
		}
		snprintf(p->module, sizeof(p->module), "%s", defs[i].module);
		btf = module_btf(live, defs[i].module);
		if (!btf) {
			bool said = false;

			for (size_t j = 0; j < i; j++)
				said |= told[j] && strcmp(defs[j].module, defs[i].module) == 0;
			if (!said)
				log_info(
					"module %s is not loaded: its reclaim entry points are not watched",
					defs[i].module);
			told[i] = true;
			probe_point__set(p, PROBE_KIND_FENTRY, PROBE_MODULE_ABSENT, 0, "%s",
					 defs[i].module);
			continue;
		}
		if (!btf_has_function(btf, defs[i].function)) {
			probe_point__set(p, PROBE_KIND_FENTRY, PROBE_MISSING, 0,
					 "no such function in %s's BTF", defs[i].module);
			continue;
		}
		if (slot == LD_RECLAIM_SLOTS) {
			probe_point__set(p, PROBE_KIND_FENTRY, PROBE_FAILED, 0,
					 "all %d reclaim slots in use", LD_RECLAIM_SLOTS);
			continue;
		}
		live->entry->rodata->reclaim_kind[slot] = (__u8)defs[i].kind;
		if (live->mode == LOCK_MODE_KPROBE)
			live->entry->rodata->reclaim_fn[slot] = kallsyms_address(defs[i].function);
		plans[*nr_plans] = (struct slot_plan){ .point = p, .slot = slot++ };
		snprintf(plans[*nr_plans].target, sizeof(plans[0].target), "%s", defs[i].function);
		snprintf(plans[*nr_plans].module, sizeof(plans[0].module), "%s", defs[i].module);
		(*nr_plans)++;
	}
	free(told);
	return 0;
}

/* Resolves one lock_args rule into slot `slot`; false (recorded) when it cannot. */
static bool plan_lock_arg(struct live *live, const struct rules_lock_arg *rule, int slot,
			  struct probe_point *p, struct slot_plan *plan)
{
	struct lockdepd_entry_bpf *entry = live->entry;
	const struct btf *btf;
	char module[64];
	unsigned int offset;
	size_t len = strlen(rule->class_name);
	int err;

	btf = function_btf(live, rule->function, module, sizeof(module));
	if (!btf) {
		probe_point__set(p, PROBE_KIND_FEXIT, PROBE_MISSING, 0,
				 "no such function in the BTF of the kernel or of a loaded module");
		return false;
	}
	snprintf(p->module, sizeof(p->module), "%s", module);
	err = btf_member_offset(btf, rule->type, rule->member, &offset);
	if (err) {
		probe_point__set(p, PROBE_KIND_FEXIT, PROBE_FAILED, err,
				 "struct %s has no member %s", rule->type, rule->member);
		return false;
	}
	if (slot >= LD_LOCKARG_SLOTS) {
		probe_point__set(p, PROBE_KIND_FEXIT, PROBE_FAILED, 0,
				 "only %d lock_args can be watched at once", LD_LOCKARG_SLOTS);
		return false;
	}
	if (len >= LD_LOCKARG_CLASS_LEN || rule->arg < 1 || rule->arg > 6 ||
	    rule->subclass_arg > 6) {
		probe_point__set(p, PROBE_KIND_FEXIT, PROBE_FAILED, 0,
				 "class name longer than %d bytes or argument past the sixth",
				 LD_LOCKARG_CLASS_LEN - 1);
		return false;
	}
	entry->rodata->lockarg_arg[slot] = rule->arg - 1;
	entry->rodata->lockarg_offset[slot] = offset;
	entry->rodata->lockarg_subclass_arg[slot] = rule->subclass_arg;
	entry->rodata->lockarg_class_len[slot] = (__u32)len;
	memcpy((char *)entry->rodata->lockarg_class[slot], rule->class_name, len);
	snprintf(p->detail, sizeof(p->detail), "%s.%s at +%u is class %s%s", rule->type,
		 rule->member, offset, rule->class_name, rule->subclass_arg ? "/subclass" : "");
	*plan = (struct slot_plan){ .point = p, .slot = slot };
	snprintf(plan->target, sizeof(plan->target), "%s", rule->function);
	snprintf(plan->module, sizeof(plan->module), "%s", module);
	return true;
}

static int plan_lock_args(struct live *live, struct slot_plan *plans, size_t *nr_plans)
{
	const struct rules *rules = live->opts.rules;
	int slot = 0;

	if (!rules)
		return 0;
	for (size_t i = 0; i < rules->nr_lock_args; i++) {
		const struct rules_lock_arg *rule = &rules->lock_args[i];
		char name[96];
		char cost[224];
		struct probe_point *p;

		snprintf(name, sizeof(name), "lock_args:%s", rule->function);
		snprintf(cost, sizeof(cost),
			 "the lock at %s.%s keeps its init name instead of class %s", rule->type,
			 rule->member, rule->class_name);
		p = probe_table__add(live->table, name, PROBE_GROUP_LOCK_ARG, false, cost);
		if (!p)
			return -ENOMEM;
		snprintf(p->target, sizeof(p->target), "%s", rule->function);
		if (plan_lock_arg(live, rule, slot, p, &plans[*nr_plans])) {
			slot++;
			(*nr_plans)++;
		}
	}
	return 0;
}

static int entry_attach_one(struct live *live, const char *prefix, const struct slot_plan *plan,
			    bool retprobe)
{
	struct bpf_program *prog = slot_program(live, prefix, plan->slot);
	struct bpf_link *link;

	if (!prog)
		return -ENOENT;
	if (live->mode == LOCK_MODE_KPROBE)
		link = bpf_program__attach_kprobe(prog, retprobe, plan->target);
	else
		link = bpf_program__attach_trace(prog);
	if (!link)
		return -errno;
	return links_add(live, link);
}

static void mark_entry_points(struct slot_plan *plans, size_t nr, enum probe_status status, int err,
			      const char *detail)
{
	for (size_t i = 0; i < nr; i++)
		probe_point__set(plans[i].point, plans[i].point->kind, status, err, "%s", detail);
}

/* Drivers' reclaim entry points and lock_args, when there are any to watch. */
static int open_entry(struct live *live)
{
	struct slot_plan plans[LD_RECLAIM_SLOTS + LD_LOCKARG_SLOTS + 16];
	size_t nr_drivers = 0, nr_plans;
	bool kprobes = live->mode == LOCK_MODE_KPROBE;
	int err;

	live->entry = lockdepd_entry_bpf__open();
	if (!live->entry)
		return log_error_errno(-errno, "opening the BPF entry object: %m");
	all_autoload_off(live->entry->obj);
	SET_COMMON_RODATA(live, live->entry->rodata);

	err = plan_drivers(live, plans, &nr_drivers);
	if (err)
		return err;
	nr_plans = nr_drivers;
	err = plan_lock_args(live, plans, &nr_plans);
	if (err)
		return err;
	if (nr_plans && live->mode == LOCK_MODE_NONE)
		mark_entry_points(plans, nr_plans, PROBE_REFUSED, 0, live->mode_notes);
	if (nr_plans == 0 || live->mode == LOCK_MODE_NONE) {
		lockdepd_entry_bpf__destroy(live->entry);
		live->entry = NULL;
		return 0;
	}

	for (size_t i = 0; i < nr_plans; i++) {
		bool reclaim = i < nr_drivers;
		const char *enter = reclaim ? (kprobes ? "kp_reclaim" : "fe_reclaim")
					    : (kprobes ? "kp_lockarg" : NULL);
		const char *exit = reclaim ? (kprobes ? "kr_reclaim" : "fx_reclaim")
					   : (kprobes ? "kr_lockarg" : "fx_lockarg");
		struct bpf_program *prog;

		prog = slot_program(live, exit, plans[i].slot);
		if (!prog)
			return -ENOENT;
		if (kprobes)
			bpf_program__set_autoload(prog, true);
		else if ((err = set_target(prog, plans[i].target)))
			return err;
		if (enter) {
			prog = slot_program(live, enter, plans[i].slot);
			if (!prog)
				return -ENOENT;
			if (kprobes)
				bpf_program__set_autoload(prog, true);
			else if ((err = set_target(prog, plans[i].target)))
				return err;
		}
	}
	err = bpf_map__reuse_fd(live->entry->maps.events, bpf_map__fd(live->core->maps.events));
	if (!err)
		err = bpf_map__reuse_fd(live->entry->maps.task_states,
					bpf_map__fd(live->core->maps.task_states));
	if (err)
		return log_error_errno(err, "sharing the ring buffer: %m");
	libbpf_last_warning[0] = '\0';
	err = lockdepd_entry_bpf__load(live->entry);
	if (err) {
		char what[192];

		describe_failure(live->mode, err, what, sizeof(what));
		mark_entry_points(plans, nr_plans,
				  is_refusal(live->mode, err) ? PROBE_REFUSED : PROBE_FAILED, err,
				  what);
		lockdepd_entry_bpf__destroy(live->entry);
		live->entry = NULL;
		return 0;
	}

	for (size_t i = 0; i < nr_plans; i++) {
		bool reclaim = i < nr_drivers;
		enum probe_kind kind = kprobes	 ? PROBE_KIND_KPROBE
				       : reclaim ? PROBE_KIND_FENTRY
						 : PROBE_KIND_FEXIT;
		char detail[sizeof(plans[0].point->detail)];

		snprintf(detail, sizeof(detail), "%s", plans[i].point->detail);
		/* Exits before entries, as for locks. */
		if (reclaim)
			err = entry_attach_one(live, kprobes ? "kr_reclaim" : "fx_reclaim",
					       &plans[i], true);
		else
			err = entry_attach_one(live, kprobes ? "kr_lockarg" : "fx_lockarg",
					       &plans[i], true);
		if (!err && (reclaim || kprobes))
			err = entry_attach_one(live,
					       reclaim ? (kprobes ? "kp_reclaim" : "fe_reclaim")
						       : "kp_lockarg",
					       &plans[i], false);
		snprintf(plans[i].point->target, sizeof(plans[i].point->target), "%s",
			 plans[i].target);
		if (err) {
			char what[192];

			describe_failure(live->mode, err, what, sizeof(what));
			probe_point__set(plans[i].point, kind,
					 is_refusal(live->mode, err) ? PROBE_REFUSED : PROBE_FAILED,
					 err, "%s", what);
		} else
			probe_point__set(plans[i].point, kind, PROBE_ATTACHED, 0, "%s", detail);
	}
	return 0;
}

/* --- records ------------------------------------------------------------------ */

/* Loads kallsyms-format lines into the symtab through a memfd. */
static int load_symbol_lines(struct live *live, const char *lines, size_t len)
{
	char path[64];
	int fd, err;

	fd = memfd_create("lockdepd-kallsyms", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, lines, len) != (ssize_t)len) {
		err = -EIO;
		goto cleanup;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = symtab__load_kallsyms(live->symtab, path);
cleanup:
	close(fd);
	return err;
}

/* The lines of one module from /proc/kallsyms, when the probes sent none. */
static int read_module_kallsyms(const char *module, FILE *out)
{
	char line[512], suffix[80];
	unsigned int lines = 0;
	size_t suffix_len;
	FILE *in;

	snprintf(suffix, sizeof(suffix), "[%s]", module);
	suffix_len = strlen(suffix);
	in = fopen("/proc/kallsyms", "re");
	if (!in)
		return -errno;
	while (fgets(line, sizeof(line), in)) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (n > suffix_len && strcmp(line + n - suffix_len, suffix) == 0) {
			fprintf(out, "%s\n", line);
			lines++;
		}
	}
	fclose(in);
	return (int)lines;
}

static void module_symbols_begin(struct live *live, const struct ld_event *ev)
{
	size_t len = ev->text_len < sizeof(live->module_name) - 1 ? ev->text_len
								  : sizeof(live->module_name) - 1;

	if (live->module_syms)
		fclose(live->module_syms);
	free(live->module_buf);
	live->module_buf = NULL;
	live->module_buf_len = 0;
	live->module_nr_syms = 0;
	memcpy(live->module_name, ld_event_text(ev), len);
	live->module_name[len] = '\0';
	live->module_syms = open_memstream(&live->module_buf, &live->module_buf_len);
}

static void module_symbol(struct live *live, const struct ld_event *ev)
{
	if (!live->module_syms)
		return;
	fprintf(live->module_syms, "%016llx %c %.*s\t[%s]\n", (unsigned long long)ev->raw[0],
		(char)ev->raw[2], (int)ev->text_len, ld_event_text(ev), live->module_name);
	live->module_nr_syms++;
}

static void module_symbols_end(struct live *live)
{
	int err;

	if (!live->module_syms)
		return;
	/* No symbol table in the probes' view: ask /proc/kallsyms while the module is there. */
	if (live->module_nr_syms == 0)
		read_module_kallsyms(live->module_name, live->module_syms);
	fclose(live->module_syms);
	live->module_syms = NULL;
	err = live->module_buf_len ? load_symbol_lines(live, live->module_buf, live->module_buf_len)
				   : 0;
	log_debug("module %s loaded: %u symbols%s", live->module_name, live->module_nr_syms,
		  err ? " (not loaded)" : "");
	free(live->module_buf);
	live->module_buf = NULL;
	live->module_buf_len = 0;
}

static void handle_private(struct live *live, const struct ld_event *ev, size_t size)
{
	if (size < LD_EVENT_FIXED_SIZE || ev->text_len > LD_MAX_TEXT ||
	    size < LD_EVENT_FIXED_SIZE + ev->text_len)
		return;
	switch (ev->type) {
	case LD_BPF_EV_MODULE_LOAD:
		module_symbols_begin(live, ev);
		break;
	case LD_BPF_EV_MODULE_SYM:
		module_symbol(live, ev);
		break;
	case LD_BPF_EV_MODULE_DONE:
		module_symbols_end(live);
		break;
	default:
		break;
	}
}

static bool has_prefix(const char *name, const char *const *prefixes)
{
	for (size_t i = 0; prefixes[i]; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/*
 * A page allocation's stack begins inside the tracepoint and the page
 * allocator, and the tracepoint carries no call site: drop the tracing
 * frames and name the site after the first frame outside the allocator.
 */
static void name_page_alloc(struct live *live, struct ld_event *ev)
{
	static const char *const tracing[] = {
		"__traceiter_", "perf_trace_",	   "trace_event_raw_event_",
		"bpf_prog_",	"bpf_trampoline_", "bpf_trace_run",
		"__bpf_trace_", "trace_call_bpf",  NULL,
	};
	static const char *const allocator[] = {
		"__alloc_pages",
		"alloc_pages",
		"__folio_alloc",
		"folio_alloc",
		"__alloc_frozen",
		"alloc_frozen",
		"get_page_from_freelist",
		"__get_free_pages",
		"get_zeroed_page",
		"prep_new_page",
		"post_alloc_hook",
		"allocate_slab",
		"new_slab",
		"alloc_slab_page",
		"___slab_alloc",
		"__slab_alloc",
		"slab_alloc",
		"kmem_cache_alloc",
		"__kmem_cache_alloc",
		"__kmalloc",
		"kmalloc",
		"___kmalloc",
		NULL,
	};
	__u64 *frames = (__u64 *)(ev + 1);
	unsigned int skip = 0;

	while (skip < ev->nr_stack) {
		const char *name = symtab__lookup(live->symtab, frames[skip]);

		if (!name || !has_prefix(name, tracing))
			break;
		skip++;
	}
	if (skip && skip < ev->nr_stack) {
		memmove(frames, frames + skip, (ev->nr_stack - skip) * sizeof(*frames));
		ev->nr_stack -= skip;
		ev->size = (__u16)ld_event_size_for(ev->nr_stack, ev->text_len);
	}
	for (unsigned int i = 0; i < ev->nr_stack; i++) {
		const char *name = symtab__lookup(live->symtab, frames[i]);

		if (!name || !has_prefix(name, allocator)) {
			ev->alloc.site = frames[i];
			return;
		}
	}
}

static int deliver(struct live *live, const struct ld_event *ev)
{
	live->events++;
	return live->fn(ev, live->fn_ctx);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct live *live = ctx;
	const struct ld_event *ev = data;
	union {
		struct ld_event ev;
		char bytes[LD_EVENT_FIXED_SIZE + LD_MAX_STACK * 8 + LD_MAX_TEXT];
	} copy;

	if (size >= LD_EVENT_FIXED_SIZE && ev->type >= LD_BPF_PRIVATE_BASE) {
		handle_private(live, ev, size);
		return 0;
	}
	if (ld_event_validate(ev, size) < 0) {
		if (!live->invalid++)
			log_warning(
				"the probes wrote an invalid record (type %u, size %zu): skipped",
				size >= 2 ? ev->type : 0, size);
		return 0;
	}
	if (ev->type == LD_EV_ALLOC && ev->alloc.site == 0 && ev->nr_stack &&
	    ev->size <= sizeof(copy)) {
		memcpy(&copy, ev, ev->size);
		name_page_alloc(live, &copy.ev);
		ev = &copy.ev;
	}
	return deliver(live, ev);
}

static __u64 untracked_lost(const struct live *live)
{
	__u64 n = live->core ? live->core->bss->lost_untracked : 0;

	if (live->entry)
		n += live->entry->bss->lost_untracked;
	return n;
}

/* Losses no task could be charged with become one lost event for all tasks. */
static int deliver_untracked_lost(struct live *live)
{
	__u64 now = untracked_lost(live);
	struct ld_event ev = { 0 };

	if (now == live->untracked_seen)
		return 0;
	ev.type = LD_EV_LOST;
	ev.size = LD_EVENT_FIXED_SIZE;
	ev.lost.count = now - live->untracked_seen;
	live->untracked_seen = now;
	return deliver(live, &ev);
}

int live__fd(const struct live *live)
{
	return ring_buffer__epoll_fd(live->rb);
}

int live__poll(struct live *live, int timeout_ms, live_event_fn fn, void *ctx)
{
	__u64 before = live->events;
	int err;

	live->fn = fn;
	live->fn_ctx = ctx;
	err = ring_buffer__poll(live->rb, timeout_ms);
	if (err < 0)
		return err == -EINTR ? -EINTR : err;
	/*
	 * The BPF side wakes us only as the waiting data crosses its
	 * threshold, and a crossing can be missed; a poll that timed out
	 * takes what is there all the same, so nothing waits longer than the
	 * timeout.
	 */
	err = ring_buffer__consume(live->rb);
	if (err < 0)
		return err;
	err = deliver_untracked_lost(live);
	if (err)
		return err;
	return (int)(live->events - before);
}

int live__drain(struct live *live, live_event_fn fn, void *ctx)
{
	__u64 before = live->events;
	int err;

	live->fn = fn;
	live->fn_ctx = ctx;
	err = ring_buffer__consume(live->rb);
	if (err < 0)
		return err;
	err = deliver_untracked_lost(live);
	if (err)
		return err;
	return (int)(live->events - before);
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
		 probe_table__essential_attached(live->table) ? mode_name(live->mode) : "none");
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
	libbpf_set_print(libbpf_print);
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
	err = open_entry(live);
	if (err)
		goto fail;
	describe_lock_mode(live);
	/* Held-lock tracking is complete from here on: allocations holding nothing may go. */
	if (live__lock_probes_attached(live) && !opts->all_allocs)
		live->core->bss->locks_traced = 1;

	live->rb = ring_buffer__new(bpf_map__fd(live->core->maps.events), on_record, live, NULL);
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
	*ret_stats = s;
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
