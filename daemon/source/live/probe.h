/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The probe points lockdepd watches, what each one costs when it is
 * missing, and what happened when the live source tried to attach it.
 *
 * The definitions (which kernel function or tracepoint, which BPF program
 * serves it as fentry/fexit or as a kprobe twin) are static tables here;
 * daemon/source/live/live.c configures and attaches the programs and records the
 * outcome of each point in a probe_table, which `lockdepd probe` prints.
 */
#ifndef LOCKDEPD_PROBE_H
#define LOCKDEPD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct btf;

enum probe_group {
	PROBE_GROUP_LOCK, /* lock and unlock functions */
	PROBE_GROUP_INIT, /* class-naming init functions */
	PROBE_GROUP_ALLOC, /* allocation tracepoints */
	PROBE_GROUP_RECLAIM, /* reclaim-context tracepoints */
	PROBE_GROUP_TASK, /* task exit, module load */
	PROBE_GROUP_DRIVER, /* driver functions run as reclaim context */
	PROBE_GROUP_LOCK_ARG, /* rules' lock_args */
	PROBE_GROUP_MAX,
};

enum probe_kind {
	PROBE_KIND_NONE,
	PROBE_KIND_FENTRY,
	PROBE_KIND_FEXIT,
	PROBE_KIND_KPROBE,
	PROBE_KIND_KRETPROBE,
	PROBE_KIND_TRACEPOINT,
	PROBE_KIND_RAW_TRACEPOINT,
	PROBE_KIND_MAX,
};

enum probe_status {
	PROBE_PENDING, /* not tried (yet) */
	PROBE_ATTACHED,
	PROBE_REFUSED, /* the kernel said no: fentry/kprobes not permitted or absent */
	PROBE_MISSING, /* no such function (BTF) or tracepoint (tracefs) */
	PROBE_MODULE_ABSENT, /* the function's module is not loaded */
	PROBE_FAILED, /* any other error (verifier, resolution) */
	PROBE_NOT_NEEDED, /* covered by another probe on this kernel */
	PROBE_STATUS_MAX,
};

/*
 * A lock-function probe: the fentry/fexit program serving it, or its
 * kprobe twin (an entry program, and a return program for acquires).
 */
struct lock_probe_def {
	const char *function;
	const char *debug_function; /* its name on CONFIG_DEBUG_LOCK_ALLOC kernels, or NULL */
	const char *fentry_prog; /* "fx_..." (fexit) or "fe_..." (fentry) */
	const char *kprobe_prog;
	const char *kretprobe_prog; /* NULL for releases and inits */
	enum probe_group group;
	bool essential;
	const char *cost;
};

/*
 * The lock probes in attach order: releases first, then class names, then
 * acquires, so that no acquire is seen whose release could be missed.
 */
const struct lock_probe_def *probe_lock_defs(size_t *ret_nr);

/* Lock functions deliberately not probed, with the reason (downgrade_write). */
struct unprobed_def {
	const char *function;
	const char *reason;
};
const struct unprobed_def *probe_unprobed_defs(size_t *ret_nr);

struct tracepoint_def {
	const char *category;
	const char *name;
	const char *prog;
	enum probe_group group;
	bool essential;
	const char *cost;
};

/* In attach order: ends of reclaim context before its beginnings. */
const struct tracepoint_def *probe_tracepoint_defs(size_t *ret_nr);

/* A driver function that runs as reclaim context (kind: enum ld_reclaim_kind). */
struct driver_entry_def {
	const char *function;
	const char *module;
	unsigned int kind;
	const char *cost;
};
const struct driver_entry_def *probe_driver_entry_defs(size_t *ret_nr);

/* --- outcomes ---------------------------------------------------------- */

struct probe_point {
	char name[96]; /* "mutex_lock", "kmem:kmalloc", "lock_args:i915_address_space_init" */
	char target[96]; /* what was attached: "mutex_lock_nested", a tracepoint */
	char module[64]; /* "" for the kernel itself */
	enum probe_group group;
	enum probe_kind kind; /* how it is attached, or what was tried last */
	enum probe_status status;
	int error; /* positive errno when status says the kernel refused or failed */
	char detail[192];
	char cost[224]; /* what is lost while it is not attached */
	bool essential;
};

struct probe_table;

/* 0 or -ENOMEM, *ret untouched on failure. */
int probe_table__new(struct probe_table **ret);
void probe_table__free(struct probe_table *table);

/* A new point (status pending); NULL on ENOMEM. */
struct probe_point *probe_table__add(struct probe_table *table, const char *name,
				     enum probe_group group, bool essential, const char *cost);
struct probe_point *probe_table__find(struct probe_table *table, const char *name);
size_t probe_table__count(const struct probe_table *table);
struct probe_point *probe_table__at(struct probe_table *table, size_t i);

__attribute__((format(printf, 5, 6))) void probe_point__set(struct probe_point *point,
							    enum probe_kind kind,
							    enum probe_status status, int error,
							    const char *detail_fmt, ...);

/* Every essential point attached: lockdepd can see lock operations. */
bool probe_table__essential_attached(const struct probe_table *table);
size_t probe_table__attached(const struct probe_table *table, enum probe_group group);

const char *probe_kind_name(enum probe_kind kind);
/* "EPERM", "ENOENT", ... or the description of the rarer ones; err is positive. */
const char *probe_errno_name(int err);
const char *probe_status_name(enum probe_status status);
const char *probe_group_name(enum probe_group group);

/*
 * Header facts printed above the table (kernel release, how lock probes
 * attach, where gfp and task flag values came from). Any field may be NULL.
 */
struct probe_report_info {
	const char *kernel_release;
	const char *lock_attach; /* "fentry/fexit", "kprobe", "none" */
	const char *lock_refusal; /* why lock probes are not attached, or NULL */
	const char *gfp_source;
	const char *task_flags_source;
};

/*
 * The table: aligned text, or JSON lines (one object per probe point, then
 * one {"summary": ...} object). The format is documented in README.md.
 */
int probe_table__print_text(const struct probe_table *table, const struct probe_report_info *info,
			    FILE *out);
int probe_table__print_json(const struct probe_table *table, const struct probe_report_info *info,
			    FILE *out);

/* --- capability checks --------------------------------------------------- */

/* True when btf holds a function (BTF_KIND_FUNC) of that name. */
bool btf_has_function(const struct btf *btf, const char *name);

#endif
