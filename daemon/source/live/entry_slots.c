// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The entry object: plans a slot per driver reclaim entry point and per
 * rules lock_arg, retargets its programs and attaches them.
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
#include "source/live/capture.h"

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
	return live_program(live->entry->obj, name);
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
		btf = live_module_btf(live, defs[i].module);
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
			live->entry->rodata->reclaim_fn[slot] =
				live_kallsyms_address(defs[i].function);
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

	btf = live_function_btf(live, rule->function, module, sizeof(module));
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
	return live_links_add(live, link);
}

static void mark_entry_points(struct slot_plan *plans, size_t nr, enum probe_status status, int err,
			      const char *detail)
{
	for (size_t i = 0; i < nr; i++)
		probe_point__set(plans[i].point, plans[i].point->kind, status, err, "%s", detail);
}

/* Drivers' reclaim entry points and lock_args, when there are any to watch. */
int live_open_entry(struct live *live)
{
	struct slot_plan plans[LD_RECLAIM_SLOTS + LD_LOCKARG_SLOTS + 16];
	size_t nr_drivers = 0, nr_plans;
	bool kprobes = live->mode == LOCK_MODE_KPROBE;
	int err;

	live->entry = lockdepd_entry_bpf__open();
	if (!live->entry)
		return log_error_errno(-errno, "opening the BPF entry object: %m");
	live_all_autoload_off(live->entry->obj);
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
	live_forget_libbpf_warning();
	err = lockdepd_entry_bpf__load(live->entry);
	if (err) {
		char what[192];

		live_describe_failure(live->mode, err, what, sizeof(what));
		mark_entry_points(plans, nr_plans,
				  live_is_refusal(live->mode, err) ? PROBE_REFUSED : PROBE_FAILED,
				  err, what);
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

			live_describe_failure(live->mode, err, what, sizeof(what));
			probe_point__set(plans[i].point, kind,
					 live_is_refusal(live->mode, err) ? PROBE_REFUSED
									  : PROBE_FAILED,
					 err, "%s", what);
		} else
			probe_point__set(plans[i].point, kind, PROBE_ATTACHED, 0, "%s", detail);
	}
	return 0;
}
