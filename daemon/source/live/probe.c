// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The probe tables and their outcomes. Each cost line says what a user
 * loses when that point is not attached, in terms of findings: that is
 * what `lockdepd probe` is for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "lockdepd_event.h"
#include "lockdepd.skel.h"
#include "lib/log.h"
#include "lib/macro.h"
#include "source/live/probe.h"
#include "lib/json.h"

/*
 * A core program's name, checked against the skeleton: a table naming a
 * program the BPF object lacks fails to compile instead of failing to load.
 */
#define CORE_PROG(name) (&(#name)[0 * sizeof(((struct lockdepd_bpf *)0)->progs.name)])

#define COST_RELEASE \
	"its releases are not seen: locks look held until the task exits, giving false dependencies"
#define COST_ACQUIRE "acquisitions through it are not seen: dependencies through them are missed"
#define COST_TRYLOCK \
	"locks taken by trylock are not seen: dependencies from them to locks taken inside are missed"

static const struct lock_probe_def lock_defs[] = {
	{ .function = "mutex_unlock",
	  .fentry_prog = CORE_PROG(fe_mutex_unlock),
	  .kprobe_prog = CORE_PROG(kp_release),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = COST_RELEASE },
	{ .function = "ww_mutex_unlock",
	  .fentry_prog = CORE_PROG(fe_ww_mutex_unlock),
	  .kprobe_prog = CORE_PROG(kp_ww_release),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = COST_RELEASE },
	{ .function = "up_read",
	  .fentry_prog = CORE_PROG(fe_up_read),
	  .kprobe_prog = CORE_PROG(kp_release),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = COST_RELEASE },
	{ .function = "up_write",
	  .fentry_prog = CORE_PROG(fe_up_write),
	  .kprobe_prog = CORE_PROG(kp_release),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = COST_RELEASE },
	{ .function = "__mutex_init",
	  .fentry_prog = CORE_PROG(fe___mutex_init),
	  .kprobe_prog = CORE_PROG(kp_init),
	  .group = PROBE_GROUP_INIT,
	  .essential = true,
	  .cost = "mutex classes lose their init names (\"&vm->mutex\"): heap mutexes are told apart by address only" },
	{ .function = "__init_rwsem",
	  .fentry_prog = CORE_PROG(fe___init_rwsem),
	  .kprobe_prog = CORE_PROG(kp_init),
	  .group = PROBE_GROUP_INIT,
	  .cost = "rwsem classes lose their init names: heap rwsems are told apart by address only" },
	{ .function = "mutex_lock",
	  .debug_function = "mutex_lock_nested",
	  .fentry_prog = CORE_PROG(fe_mutex_lock),
	  .kprobe_prog = CORE_PROG(kp_mutex_lock),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = COST_ACQUIRE },
	{ .function = "mutex_lock_interruptible",
	  .debug_function = "mutex_lock_interruptible_nested",
	  .fentry_prog = CORE_PROG(fx_mutex_lock_interruptible),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_mutex_errno),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_ACQUIRE },
	{ .function = "mutex_lock_killable",
	  .debug_function = "mutex_lock_killable_nested",
	  .fentry_prog = CORE_PROG(fx_mutex_lock_killable),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_mutex_errno),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_ACQUIRE },
	{ .function = "mutex_lock_io",
	  .debug_function = "mutex_lock_io_nested",
	  .fentry_prog = CORE_PROG(fe_mutex_lock_io),
	  .kprobe_prog = CORE_PROG(kp_mutex_lock_io),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_ACQUIRE },
	{ .function = "mutex_trylock",
	  .fentry_prog = CORE_PROG(fx_mutex_trylock),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_mutex_trylock),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_TRYLOCK },
	{ .function = "ww_mutex_lock",
	  .fentry_prog = CORE_PROG(fx_ww_mutex_lock),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_ww_errno),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = "dma_resv and other ww_mutex locks are not seen" },
	{ .function = "ww_mutex_lock_interruptible",
	  .fentry_prog = CORE_PROG(fx_ww_mutex_lock_interruptible),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_ww_errno),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_ACQUIRE },
	{ .function = "ww_mutex_trylock",
	  .fentry_prog = CORE_PROG(fx_ww_mutex_trylock),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_ww_trylock),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_TRYLOCK },
	{ .function = "down_read",
	  .debug_function = "down_read_nested",
	  .fentry_prog = CORE_PROG(fe_down_read),
	  .kprobe_prog = CORE_PROG(kp_down_read),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = COST_ACQUIRE },
	{ .function = "down_read_killable",
	  .debug_function = "down_read_killable_nested",
	  .fentry_prog = CORE_PROG(fx_down_read_killable),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_read_errno),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_ACQUIRE },
	{ .function = "down_read_interruptible",
	  .fentry_prog = CORE_PROG(fx_down_read_interruptible),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_read_errno),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_ACQUIRE },
	{ .function = "down_read_trylock",
	  .fentry_prog = CORE_PROG(fx_down_read_trylock),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_read_trylock),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_TRYLOCK },
	{ .function = "down_write",
	  .debug_function = "down_write_nested",
	  .fentry_prog = CORE_PROG(fe_down_write),
	  .kprobe_prog = CORE_PROG(kp_down_write),
	  .group = PROBE_GROUP_LOCK,
	  .essential = true,
	  .cost = COST_ACQUIRE },
	{ .function = "down_write_killable",
	  .debug_function = "down_write_killable_nested",
	  .fentry_prog = CORE_PROG(fx_down_write_killable),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_write_errno),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_ACQUIRE },
	{ .function = "down_write_trylock",
	  .fentry_prog = CORE_PROG(fx_down_write_trylock),
	  .kprobe_prog = CORE_PROG(kp_acquire),
	  .kretprobe_prog = CORE_PROG(kr_write_trylock),
	  .group = PROBE_GROUP_LOCK,
	  .cost = COST_TRYLOCK },
};

static const struct unprobed_def unprobed_defs[] = {
	{ .function = "downgrade_write",
	  .reason =
		  "not probed: the rwsem stays held (write becomes read) and lockdep's lock_downgrade() records no dependency; a release+acquire pair would invent one" },
};

static const struct tracepoint_def tracepoint_defs[] = {
	{ .category = "sched",
	  .name = "sched_process_exit",
	  .prog = CORE_PROG(tp_sched_process_exit),
	  .group = PROBE_GROUP_TASK,
	  .cost = "exited tasks keep what they held until their thread id is reused" },
	{ .category = "vmscan",
	  .name = "mm_vmscan_direct_reclaim_end",
	  .prog = CORE_PROG(tp_direct_reclaim_end),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "direct reclaim never ends: later locks of the task look taken in reclaim" },
	{ .category = "vmscan",
	  .name = "mm_vmscan_memcg_reclaim_end",
	  .prog = CORE_PROG(tp_memcg_reclaim_end),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "memcg reclaim never ends: later locks of the task look taken in reclaim" },
	{ .category = "vmscan",
	  .name = "mm_vmscan_node_reclaim_end",
	  .prog = CORE_PROG(tp_node_reclaim_end),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "node reclaim never ends: later locks of the task look taken in reclaim" },
	{ .category = "vmscan",
	  .name = "mm_shrink_slab_end",
	  .prog = CORE_PROG(tp_shrink_slab_end),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "shrinker calls never end: later locks of the task look taken in reclaim" },
	{ .category = "vmscan",
	  .name = "mm_vmscan_direct_reclaim_begin",
	  .prog = CORE_PROG(tp_direct_reclaim_begin),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "locks taken in direct reclaim are not seen as fs_reclaim -> lock dependencies" },
	{ .category = "vmscan",
	  .name = "mm_vmscan_memcg_reclaim_begin",
	  .prog = CORE_PROG(tp_memcg_reclaim_begin),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "locks taken in memcg reclaim are not seen as fs_reclaim -> lock dependencies" },
	{ .category = "vmscan",
	  .name = "mm_vmscan_node_reclaim_begin",
	  .prog = CORE_PROG(tp_node_reclaim_begin),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "locks taken in node reclaim are not seen as fs_reclaim -> lock dependencies" },
	{ .category = "vmscan",
	  .name = "mm_shrink_slab_start",
	  .prog = CORE_PROG(tp_shrink_slab_start),
	  .group = PROBE_GROUP_RECLAIM,
	  .cost = "locks taken by shrinkers are not seen as fs_reclaim -> lock dependencies: reclaim hazards missed" },
	{ .category = "kmem",
	  .name = "kmalloc",
	  .prog = CORE_PROG(tp_kmalloc),
	  .group = PROBE_GROUP_ALLOC,
	  .cost = "kmalloc() under a lock is not seen: lock -> fs_reclaim dependencies missed" },
	{ .category = "kmem",
	  .name = "kmem_cache_alloc",
	  .prog = CORE_PROG(tp_kmem_cache_alloc),
	  .group = PROBE_GROUP_ALLOC,
	  .cost = "slab allocations under a lock are not seen: lock -> fs_reclaim dependencies missed" },
	{ .category = "kmem",
	  .name = "mm_page_alloc",
	  .prog = CORE_PROG(tp_mm_page_alloc),
	  .group = PROBE_GROUP_ALLOC,
	  .cost = "page allocations under a lock are not seen: lock -> fs_reclaim dependencies missed" },
	{ .category = "module",
	  .name = "module_load",
	  .prog = CORE_PROG(raw_module_load),
	  .group = PROBE_GROUP_TASK,
	  .cost = "modules loaded while tracing stay unnamed in stacks (addresses only)" },
};

static const struct driver_entry_def driver_entry_defs[] = {
	{ .function = "i915_gem_shrinker_scan",
	  .module = "i915",
	  .kind = LD_RECLAIM_SHRINKER,
	  .cost = "i915's shrinker is reclaim context only inside vmscan:mm_shrink_slab" },
	{ .function = "i915_gem_shrinker_count",
	  .module = "i915",
	  .kind = LD_RECLAIM_SHRINKER,
	  .cost = "locks taken by i915's shrinker count callback are not seen as taken in reclaim" },
	{ .function = "i915_gem_shrinker_oom",
	  .module = "i915",
	  .kind = LD_RECLAIM_OOM,
	  .cost = "i915's OOM notifier is not reclaim context: its lock dependencies under fs_reclaim are missed" },
	{ .function = "i915_gem_shrinker_vmap",
	  .module = "i915",
	  .kind = LD_RECLAIM_VMAP,
	  .cost = "i915's vmap purge notifier is not reclaim context: vm->mutex under it is missed" },
	{ .function = "i915_gem_shrink",
	  .module = "i915",
	  .kind = LD_RECLAIM_SHRINKER,
	  .cost = "i915_gem_shrink() outside the shrinker callbacks is not reclaim context" },
	{ .function = "xe_shrinker_scan",
	  .module = "xe",
	  .kind = LD_RECLAIM_SHRINKER,
	  .cost = "xe's shrinker is reclaim context only inside vmscan:mm_shrink_slab" },
	{ .function = "xe_shrinker_count",
	  .module = "xe",
	  .kind = LD_RECLAIM_SHRINKER,
	  .cost = "locks taken by xe's shrinker count callback are not seen as taken in reclaim" },
};

const struct lock_probe_def *probe_lock_defs(size_t *ret_nr)
{
	*ret_nr = ARRAY_SIZE(lock_defs);
	return lock_defs;
}

const struct unprobed_def *probe_unprobed_defs(size_t *ret_nr)
{
	*ret_nr = ARRAY_SIZE(unprobed_defs);
	return unprobed_defs;
}

const struct tracepoint_def *probe_tracepoint_defs(size_t *ret_nr)
{
	*ret_nr = ARRAY_SIZE(tracepoint_defs);
	return tracepoint_defs;
}

const struct driver_entry_def *probe_driver_entry_defs(size_t *ret_nr)
{
	*ret_nr = ARRAY_SIZE(driver_entry_defs);
	return driver_entry_defs;
}

/* --- the table ------------------------------------------------------------ */

struct probe_table {
	struct probe_point *points;
	size_t nr;
	size_t capacity;
};

int probe_table__new(struct probe_table **ret)
{
	struct probe_table *table = calloc(1, sizeof(*table));

	if (!table)
		return -ENOMEM;
	*ret = table;
	return 0;
}

void probe_table__free(struct probe_table *table)
{
	if (!table)
		return;
	free(table->points);
	free(table);
}

struct probe_point *probe_table__add(struct probe_table *table, const char *name,
				     enum probe_group group, bool essential, const char *cost)
{
	struct probe_point *point;

	if (table->nr == table->capacity) {
		size_t grown = table->capacity ? table->capacity * 2 : 64;
		struct probe_point *points = realloc(table->points, grown * sizeof(*points));

		if (!points)
			return NULL;
		table->points = points;
		table->capacity = grown;
	}
	point = &table->points[table->nr++];
	memset(point, 0, sizeof(*point));
	snprintf(point->name, sizeof(point->name), "%s", name);
	snprintf(point->target, sizeof(point->target), "%s", name);
	snprintf(point->cost, sizeof(point->cost), "%s", cost ? cost : "");
	point->group = group;
	point->essential = essential;
	return point;
}

struct probe_point *probe_table__find(struct probe_table *table, const char *name)
{
	for (size_t i = 0; i < table->nr; i++)
		if (strcmp(table->points[i].name, name) == 0)
			return &table->points[i];
	return NULL;
}

size_t probe_table__count(const struct probe_table *table)
{
	return table->nr;
}

struct probe_point *probe_table__at(struct probe_table *table, size_t i)
{
	return i < table->nr ? &table->points[i] : NULL;
}

void probe_point__set(struct probe_point *point, enum probe_kind kind, enum probe_status status,
		      int error, const char *detail_fmt, ...)
{
	va_list ap;

	point->kind = kind;
	point->status = status;
	point->error = error < 0 ? -error : error;
	point->detail[0] = '\0';
	if (detail_fmt) {
		va_start(ap, detail_fmt);
		vsnprintf(point->detail, sizeof(point->detail), detail_fmt, ap);
		va_end(ap);
	}
}

bool probe_table__essential_attached(const struct probe_table *table)
{
	bool any = false;

	for (size_t i = 0; i < table->nr; i++) {
		const struct probe_point *p = &table->points[i];

		if (!p->essential)
			continue;
		if (p->status != PROBE_ATTACHED && p->status != PROBE_NOT_NEEDED)
			return false;
		any = true;
	}
	return any;
}

size_t probe_table__attached(const struct probe_table *table, enum probe_group group)
{
	size_t n = 0;

	for (size_t i = 0; i < table->nr; i++)
		if (table->points[i].group == group && table->points[i].status == PROBE_ATTACHED)
			n++;
	return n;
}

static const char *const kind_names[PROBE_KIND_MAX] = {
	[PROBE_KIND_NONE] = "-",
	[PROBE_KIND_FENTRY] = "fentry",
	[PROBE_KIND_FEXIT] = "fexit",
	[PROBE_KIND_KPROBE] = "kprobe",
	[PROBE_KIND_KRETPROBE] = "kretprobe",
	[PROBE_KIND_TRACEPOINT] = "tracepoint",
	[PROBE_KIND_RAW_TRACEPOINT] = "raw_tp",
};

static const char *const status_names[PROBE_STATUS_MAX] = {
	[PROBE_PENDING] = "not tried",
	[PROBE_ATTACHED] = "attached",
	[PROBE_REFUSED] = "refused",
	[PROBE_MISSING] = "missing",
	[PROBE_MODULE_ABSENT] = "module not loaded",
	[PROBE_FAILED] = "failed",
	[PROBE_NOT_NEEDED] = "not needed",
};

static const char *const group_names[PROBE_GROUP_MAX] = {
	[PROBE_GROUP_LOCK] = "lock",	     [PROBE_GROUP_INIT] = "init",
	[PROBE_GROUP_ALLOC] = "alloc",	     [PROBE_GROUP_RECLAIM] = "reclaim",
	[PROBE_GROUP_TASK] = "task",	     [PROBE_GROUP_DRIVER] = "driver",
	[PROBE_GROUP_LOCK_ARG] = "lock_arg",
};

const char *probe_kind_name(enum probe_kind kind)
{
	return kind < PROBE_KIND_MAX ? kind_names[kind] : "?";
}

const char *probe_status_name(enum probe_status status)
{
	return status < PROBE_STATUS_MAX ? status_names[status] : "?";
}

const char *probe_group_name(enum probe_group group)
{
	return group < PROBE_GROUP_MAX ? group_names[group] : "?";
}

/* --- printing --------------------------------------------------------------- */

const char *probe_errno_name(int err)
{
	switch (err) {
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EINVAL:
		return "EINVAL";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EACCES:
		return "EACCES";
	case ESRCH:
		return "ESRCH";
	case EBUSY:
		return "EBUSY";
	case E2BIG:
		return "E2BIG";
	case ENOMEM:
		return "ENOMEM";
	case EPROTO:
		return "EPROTO";
	default:
		/* A description for the caller's buffer, not a log line: no %m here. */
		return strerrordesc_np(err) ?: "unknown error";
	}
}

/*
 * "attached via fexit", "refused: EPERM", or the detail when there is one
 * (it names the error itself where one matters).
 */
static void format_status(const struct probe_point *p, char *buf, size_t len)
{
	const char *status = probe_status_name(p->status);

	if (p->status == PROBE_ATTACHED)
		snprintf(buf, len, "attached via %s", probe_kind_name(p->kind));
	else if (p->detail[0])
		snprintf(buf, len, "%s: %s", status, p->detail);
	else if (p->error)
		snprintf(buf, len, "%s: %s", status, probe_errno_name(p->error));
	else
		snprintf(buf, len, "%s", status);
}

int probe_table__print_text(const struct probe_table *table, const struct probe_report_info *info,
			    FILE *out)
{
	size_t width = 5;

	if (info->kernel_release)
		fprintf(out, "kernel:      %s\n", info->kernel_release);
	if (info->lock_attach)
		fprintf(out, "lock probes: %s\n", info->lock_attach);
	if (info->gfp_source)
		fprintf(out, "gfp bits:    %s\n", info->gfp_source);
	if (info->task_flags_source)
		fprintf(out, "task flags:  %s\n", info->task_flags_source);
	fputc('\n', out);
	for (size_t i = 0; i < table->nr; i++) {
		size_t n = strlen(table->points[i].name);

		if (n > width)
			width = n;
	}
	fprintf(out, "%-*s  %-8s  %s\n", (int)width, "PROBE", "GROUP", "STATUS");
	for (size_t i = 0; i < table->nr; i++) {
		const struct probe_point *p = &table->points[i];
		char status[320];

		format_status(p, status, sizeof(status));
		fprintf(out, "%-*s  %-8s  %s", (int)width, p->name, probe_group_name(p->group),
			status);
		if (p->status == PROBE_ATTACHED && strcmp(p->target, p->name) != 0)
			fprintf(out, " (as %s)", p->target);
		if (p->status == PROBE_ATTACHED && p->module[0])
			fprintf(out, " [%s%s]", p->module,
				p->kind == PROBE_KIND_FENTRY || p->kind == PROBE_KIND_FEXIT ? " BTF"
											    : "");
		if (p->status == PROBE_ATTACHED && p->detail[0])
			fprintf(out, ": %s", p->detail);
		fputc('\n', out);
		if (p->status != PROBE_ATTACHED && p->status != PROBE_NOT_NEEDED && p->cost[0])
			fprintf(out, "%-*s  %-8s    cost: %s\n", (int)width, "", "", p->cost);
	}
	return 0;
}

int probe_table__print_json(const struct probe_table *table, const struct probe_report_info *info,
			    FILE *out)
{
	size_t attached = 0;

	for (size_t i = 0; i < table->nr; i++) {
		const struct probe_point *p = &table->points[i];
		if (p->status == PROBE_ATTACHED)
			attached++;
		fputc('{', out);
		json_write_key(out, "probe", true);
		json_write_string(out, p->name);
		json_write_string_member(out, "group", probe_group_name(p->group));
		json_write_string_member(out, "kind", probe_kind_name(p->kind));
		json_write_string_member(out, "target", p->target);
		json_write_string_member(out, "module", p->module[0] ? p->module : NULL);
		json_write_string_member(out, "status", probe_status_name(p->status));
		fprintf(out, ",\"errno\":%d", p->error);
		json_write_string_member(out, "error",
					 p->error ? probe_errno_name(p->error) : NULL);
		json_write_string_member(out, "detail", p->detail[0] ? p->detail : NULL);
		fprintf(out, ",\"essential\":%s", p->essential ? "true" : "false");
		json_write_string_member(out, "cost", p->cost[0] ? p->cost : NULL);
		fputs("}\n", out);
	}
	fputs("{\"summary\":{", out);
	json_write_key(out, "kernel", true);
	json_write_string(out, info->kernel_release);
	json_write_string_member(out, "lock_attach", info->lock_attach);
	fprintf(out, ",\"lock_probes\":%s",
		probe_table__essential_attached(table) ? "true" : "false");
	fprintf(out, ",\"attached\":%zu,\"probes\":%zu", attached, table->nr);
	json_write_string_member(out, "lock_refusal", info->lock_refusal);
	json_write_string_member(out, "gfp_source", info->gfp_source);
	json_write_string_member(out, "task_flags_source", info->task_flags_source);
	fputs("}}\n", out);
	return 0;
}

/* --- BTF ---------------------------------------------------------------------- */

bool btf_has_function(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}
