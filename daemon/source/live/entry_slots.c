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
#include "lib/macro.h"
#include "source/live/lock_path.h"
#include "source/live/probe.h"
#include "engine/rules.h"
#include "event/symtab.h"

#define DEFAULT_RINGBUF_MB 16
#define MAX_MODULE_BTFS	   64
#include "source/live/capture.h"

/* --- the entry object ------------------------------------------------------- */

/* A slot's programs: entry and exit, as fentry/fexit and as kprobes. */
struct slot_programs {
	struct bpf_program *fentry;
	struct bpf_program *fexit;
	struct bpf_program *kprobe;
	struct bpf_program *kretprobe;
};

#define SLOT_PROGRAMS(skel, what, n)                                                  \
	{                                                                             \
		(skel)->progs.fe_##what##_##n, (skel)->progs.fx_##what##_##n,         \
			(skel)->progs.kp_##what##_##n, (skel)->progs.kr_##what##_##n, \
	}

/* The programs of a reclaim slot (lockarg false) or of a lock-arg slot. */
static struct slot_programs slot_programs(const struct lockdepd_entry_bpf *skel, bool lockarg,
					  int slot)
{
	const struct slot_programs reclaim[] = {
		SLOT_PROGRAMS(skel, reclaim, 0), SLOT_PROGRAMS(skel, reclaim, 1),
		SLOT_PROGRAMS(skel, reclaim, 2), SLOT_PROGRAMS(skel, reclaim, 3),
		SLOT_PROGRAMS(skel, reclaim, 4), SLOT_PROGRAMS(skel, reclaim, 5),
		SLOT_PROGRAMS(skel, reclaim, 6), SLOT_PROGRAMS(skel, reclaim, 7),
	};
	const struct slot_programs lockargs[] = {
		SLOT_PROGRAMS(skel, lockarg, 0),  SLOT_PROGRAMS(skel, lockarg, 1),
		SLOT_PROGRAMS(skel, lockarg, 2),  SLOT_PROGRAMS(skel, lockarg, 3),
		SLOT_PROGRAMS(skel, lockarg, 4),  SLOT_PROGRAMS(skel, lockarg, 5),
		SLOT_PROGRAMS(skel, lockarg, 6),  SLOT_PROGRAMS(skel, lockarg, 7),
		SLOT_PROGRAMS(skel, lockarg, 8),  SLOT_PROGRAMS(skel, lockarg, 9),
		SLOT_PROGRAMS(skel, lockarg, 10), SLOT_PROGRAMS(skel, lockarg, 11),
		SLOT_PROGRAMS(skel, lockarg, 12), SLOT_PROGRAMS(skel, lockarg, 13),
		SLOT_PROGRAMS(skel, lockarg, 14), SLOT_PROGRAMS(skel, lockarg, 15),
		SLOT_PROGRAMS(skel, lockarg, 16), SLOT_PROGRAMS(skel, lockarg, 17),
		SLOT_PROGRAMS(skel, lockarg, 18), SLOT_PROGRAMS(skel, lockarg, 19),
		SLOT_PROGRAMS(skel, lockarg, 20), SLOT_PROGRAMS(skel, lockarg, 21),
		SLOT_PROGRAMS(skel, lockarg, 22), SLOT_PROGRAMS(skel, lockarg, 23),
		SLOT_PROGRAMS(skel, lockarg, 24), SLOT_PROGRAMS(skel, lockarg, 25),
		SLOT_PROGRAMS(skel, lockarg, 26), SLOT_PROGRAMS(skel, lockarg, 27),
		SLOT_PROGRAMS(skel, lockarg, 28), SLOT_PROGRAMS(skel, lockarg, 29),
		SLOT_PROGRAMS(skel, lockarg, 30), SLOT_PROGRAMS(skel, lockarg, 31),
	};

	_Static_assert(ARRAY_SIZE(reclaim) == LD_RECLAIM_SLOTS, "one entry per reclaim slot");
	_Static_assert(ARRAY_SIZE(lockargs) == LD_LOCKARG_SLOTS, "one entry per lock-arg slot");
	return lockarg ? lockargs[slot] : reclaim[slot];
}

struct slot_plan {
	struct probe_point *point;
	char target[96];
	struct slot_programs progs;
	bool enter; /* watches the function's entry */
	bool exit; /* watches its return */
};

static struct slot_plan *plan_add(struct slot_plan *plans, size_t *nr_plans, struct probe_point *p,
				  const char *target, struct slot_programs progs, bool enter,
				  bool exit)
{
	struct slot_plan *plan = &plans[(*nr_plans)++];

	*plan = (struct slot_plan){ .point = p, .progs = progs, .enter = enter, .exit = exit };
	snprintf(plan->target, sizeof(plan->target), "%s", target);
	return plan;
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
		plan_add(plans, nr_plans, p, defs[i].function,
			 slot_programs(live->entry, false, slot++), true, true);
	}
	free(told);
	return 0;
}

/* "vma->vm->mutex at +8->+0" for the probe table: where the BPF side looks. */
static void describe_lock_path(const struct lock_path *lp, char *buf, size_t len)
{
	size_t off = 0;

	for (unsigned int i = 0; i <= lp->nr_derefs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s+%u", i ? "->" : "",
					lp->offsets[i]);
}

/* Resolves one lock_args rule into slot `slot`; false (recorded) when it cannot. */
static bool plan_lock_arg(struct live *live, const struct rules_lock_arg *rule, int slot,
			  struct probe_point *p, struct slot_plan *plans, size_t *nr_plans)
{
	struct lockdepd_entry_bpf *entry = live->entry;
	enum probe_kind kind = rule->at_entry ? PROBE_KIND_FENTRY : PROBE_KIND_FEXIT;
	struct lock_path lp, key = { 0 }, when = { 0 };
	const struct btf *btf;
	char module[64];
	char why[160];
	char where[64], key_where[64] = "", when_where[64] = "", condition[112] = "";
	size_t len = strlen(rule->class_name);
	int err;

	btf = live_function_btf(live, rule->function, module, sizeof(module));
	if (!btf) {
		probe_point__set(p, kind, PROBE_MISSING, 0,
				 "no such function in the BTF of the kernel or of a loaded module");
		return false;
	}
	snprintf(p->module, sizeof(p->module), "%s", module);
	err = lock_path__resolve(btf, rule->function, rule->arg, rule->type, rule->member, &lp, why,
				 sizeof(why));
	if (!err && rule->key)
		err = lock_path__resolve_key(btf, rule->function, rule->arg, rule->key, &key, why,
					     sizeof(why));
	if (!err && rule->when_member)
		err = lock_path__resolve_value(btf, rule->function, rule->arg, rule->when_member,
					       &when, why, sizeof(why));
	if (err) {
		probe_point__set(p, kind, PROBE_FAILED, err, "%s", why);
		return false;
	}
	if (slot >= LD_LOCKARG_SLOTS) {
		probe_point__set(p, kind, PROBE_FAILED, 0,
				 "only %d lock_args can be watched at once", LD_LOCKARG_SLOTS);
		return false;
	}
	if (len >= LD_LOCKARG_CLASS_LEN || rule->subclass_arg > 6) {
		probe_point__set(p, kind, PROBE_FAILED, 0,
				 "class name longer than %d bytes or argument past the sixth",
				 LD_LOCKARG_CLASS_LEN - 1);
		return false;
	}
	entry->rodata->lockarg_arg[slot] = rule->arg - 1;
	entry->rodata->lockarg_nr_derefs[slot] = lp.nr_derefs;
	memcpy((void *)entry->rodata->lockarg_offsets[slot], lp.offsets, sizeof(lp.offsets));
	entry->rodata->lockarg_subclass_arg[slot] = rule->subclass_arg;
	entry->rodata->lockarg_at_entry[slot] = rule->at_entry;
	entry->rodata->lockarg_class_len[slot] = (__u32)len;
	memcpy((char *)entry->rodata->lockarg_class[slot], rule->class_name, len);
	entry->rodata->lockarg_keyed[slot] = rule->key != NULL;
	entry->rodata->lockarg_key_nr_derefs[slot] = key.nr_derefs;
	memcpy((void *)entry->rodata->lockarg_key_offsets[slot], key.offsets, sizeof(key.offsets));
	entry->rodata->lockarg_when_size[slot] = (__u8)when.value_size;
	entry->rodata->lockarg_when_nr_derefs[slot] = when.nr_derefs;
	memcpy((void *)entry->rodata->lockarg_when_offsets[slot], when.offsets,
	       sizeof(when.offsets));
	entry->rodata->lockarg_when_mask[slot] = rule->when_mask;
	entry->rodata->lockarg_when_equals[slot] = rule->when_equals;
	describe_lock_path(&lp, where, sizeof(where));
	if (rule->key)
		describe_lock_path(&key, key_where, sizeof(key_where));
	if (rule->when_member) {
		describe_lock_path(&when, when_where, sizeof(when_where));
		snprintf(condition, sizeof(condition), " when %s (%s at %s) & 0x%llx == 0x%llx",
			 rule->when_member, when.lock_type, when_where, rule->when_mask,
			 rule->when_equals);
	}
	snprintf(p->detail, sizeof(p->detail), "%s.%s at %s is class %s%s%s%s%s%s%s%s", lp.arg_type,
		 rule->member, where, rule->class_name, rule->key ? "#<" : "",
		 rule->key ? rule->key : "", rule->key ? "> at " : "", key_where,
		 rule->subclass_arg ? "/subclass" : "", condition,
		 rule->at_entry ? " unless an init named it" : "");
	plan_add(plans, nr_plans, p, rule->function, slot_programs(entry, true, slot),
		 rule->at_entry, !rule->at_entry);
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
			 "the lock at %s of argument %u keeps %s instead of class %s", rule->member,
			 rule->arg, rule->at_entry ? "no class" : "its init name",
			 rule->class_name);
		p = probe_table__add(live->table, name, PROBE_GROUP_LOCK_ARG, false, cost);
		if (!p)
			return -ENOMEM;
		snprintf(p->target, sizeof(p->target), "%s", rule->function);
		if (plan_lock_arg(live, rule, slot, p, plans, nr_plans))
			slot++;
	}
	return 0;
}

/* The kind a plan's point reports: kprobe, or the trace program of its entry or exit. */
static enum probe_kind plan_kind(const struct live *live, const struct slot_plan *plan)
{
	if (live->mode == LOCK_MODE_KPROBE)
		return PROBE_KIND_KPROBE;
	return plan->enter ? PROBE_KIND_FENTRY : PROBE_KIND_FEXIT;
}

/* Turns on the programs a plan uses, aimed at its target; a kretprobe needs its kprobe. */
static int plan_enable(const struct live *live, const struct slot_plan *plan)
{
	bool kprobes = live->mode == LOCK_MODE_KPROBE;
	struct bpf_program *progs[2] = {
		plan->enter || kprobes ? (kprobes ? plan->progs.kprobe : plan->progs.fentry) : NULL,
		plan->exit ? (kprobes ? plan->progs.kretprobe : plan->progs.fexit) : NULL,
	};

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		int err;

		if (!progs[i])
			continue;
		bpf_program__set_autoload(progs[i], true);
		if (kprobes)
			continue;
		err = bpf_program__set_attach_target(progs[i], 0, plan->target);
		if (err)
			return log_error_errno(err, "attach target %s: %m", plan->target);
	}
	return 0;
}

static int attach_one(struct live *live, struct bpf_program *prog, const char *target,
		      bool retprobe)
{
	struct bpf_link *link;

	if (live->mode == LOCK_MODE_KPROBE)
		link = bpf_program__attach_kprobe(prog, retprobe, target);
	else
		link = bpf_program__attach_trace(prog);
	if (!link)
		return -errno;
	return live_links_add(live, link);
}

/* Exits before entries, as for locks, so that no entry is seen without its exit. */
static int plan_attach(struct live *live, const struct slot_plan *plan)
{
	bool kprobes = live->mode == LOCK_MODE_KPROBE;
	int err = 0;

	if (plan->exit)
		err = attach_one(live, kprobes ? plan->progs.kretprobe : plan->progs.fexit,
				 plan->target, true);
	if (!err && (plan->enter || kprobes))
		err = attach_one(live, kprobes ? plan->progs.kprobe : plan->progs.fentry,
				 plan->target, false);
	return err;
}

static void mark_entry_points(struct slot_plan *plans, size_t nr, enum probe_status status, int err,
			      const char *detail)
{
	for (size_t i = 0; i < nr; i++)
		probe_point__set(plans[i].point, plans[i].point->kind, status, err, "%s", detail);
}

/* Drivers' reclaim entry points and lock_args, when there are any to watch. */
/*
 * The entry object writes into the core's ring buffer and task table, and
 * its inits reach the chain cache's maps: one view of both (lockdepd_common.h).
 */
static int share_core_maps(struct live *live)
{
	const struct {
		struct bpf_map *entry, *core;
	} maps[] = {
		{ live->entry->maps.events, live->core->maps.events },
		{ live->entry->maps.task_states, live->core->maps.task_states },
		{ live->entry->maps.stacks_sent, live->core->maps.stacks_sent },
		{ live->entry->maps.lock_idents, live->core->maps.lock_idents },
		{ live->entry->maps.ident_classes, live->core->maps.ident_classes },
		{ live->entry->maps.known_chains, live->core->maps.known_chains },
		{ live->entry->maps.chain_gen, live->core->maps.chain_gen },
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int err = bpf_map__reuse_fd(maps[i].entry, bpf_map__fd(maps[i].core));

		if (err)
			return err;
	}
	return 0;
}

int live_open_entry(struct live *live)
{
	struct slot_plan plans[LD_RECLAIM_SLOTS + LD_LOCKARG_SLOTS];
	size_t nr_plans = 0;
	int err;

	live->entry = lockdepd_entry_bpf__open();
	if (!live->entry)
		return log_error_errno(-errno, "opening the BPF entry object: %m");
	live_all_autoload_off(live->entry->obj);
	SET_COMMON_RODATA(live, live->entry->rodata);

	err = plan_drivers(live, plans, &nr_plans) ?: plan_lock_args(live, plans, &nr_plans);
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
		err = plan_enable(live, &plans[i]);
		if (err)
			return err;
	}
	err = share_core_maps(live);
	if (err)
		return log_error_errno(err, "sharing the core object's maps: %m");
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
		struct probe_point *p = plans[i].point;
		enum probe_kind kind = plan_kind(live, &plans[i]);
		char detail[sizeof(p->detail)];

		snprintf(detail, sizeof(detail), "%s", p->detail);
		err = plan_attach(live, &plans[i]);
		snprintf(p->target, sizeof(p->target), "%s", plans[i].target);
		if (err) {
			char what[192];

			live_describe_failure(live->mode, err, what, sizeof(what));
			probe_point__set(p, kind,
					 live_is_refusal(live->mode, err) ? PROBE_REFUSED
									  : PROBE_FAILED,
					 err, "%s", what);
		} else {
			probe_point__set(p, kind, PROBE_ATTACHED, 0, "%s", detail);
		}
	}
	return 0;
}
