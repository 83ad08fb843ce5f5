// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Function entry points that exist only on some systems: driver functions
 * that run as reclaim context (i915's and xe's shrinker callbacks) and the
 * functions of the rules' lock_args (a lock named from an argument). Kept
 * apart from the core object so that a missing module only disables
 * programs here; user space gives each slot its target before load
 * (bpf_program__set_attach_target) and turns unused slots off.
 *
 * The records go into the core object's ring buffer and task table (user
 * space reuses those maps), so the stream stays in one order.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lockdepd_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* enum ld_reclaim_kind of each reclaim slot, and its function's address for kretprobes. */
const volatile __u8 reclaim_kind[LD_RECLAIM_SLOTS] = {};
const volatile __u64 reclaim_fn[LD_RECLAIM_SLOTS] = {};

/*
 * Lock-arg slots: argument lockarg_arg (0-based) points to a struct; the
 * lock is found from it by following lockarg_nr_derefs pointers, each at
 * its lockarg_offsets entry, and adding the next offset (lock_path.h).
 * lockarg_subclass_arg (1-based, 0 for none) holds lockdep's subclass,
 * appended as "/N" when non-zero. A slot at an entry point names only
 * locks no init named (LD_EV_F_INIT_FALLBACK) and is sent at entry; the
 * others name the lock an init function has just initialised, at its exit.
 */
const volatile __u32 lockarg_arg[LD_LOCKARG_SLOTS] = {};
const volatile __u32 lockarg_nr_derefs[LD_LOCKARG_SLOTS] = {};
const volatile __u32 lockarg_offsets[LD_LOCKARG_SLOTS][LD_LOCKARG_MAX_DEREFS + 1] = {};
const volatile __u32 lockarg_subclass_arg[LD_LOCKARG_SLOTS] = {};
const volatile __u8 lockarg_at_entry[LD_LOCKARG_SLOTS] = {};
const volatile __u32 lockarg_class_len[LD_LOCKARG_SLOTS] = {};
const volatile char lockarg_class[LD_LOCKARG_SLOTS][LD_LOCKARG_CLASS_LEN] = {};
/* A run-time class key: the string at the end of a second path from the same argument. */
const volatile __u8 lockarg_keyed[LD_LOCKARG_SLOTS] = {};
const volatile __u32 lockarg_key_nr_derefs[LD_LOCKARG_SLOTS] = {};
const volatile __u32 lockarg_key_offsets[LD_LOCKARG_SLOTS][LD_LOCKARG_MAX_DEREFS + 1] = {};
/* A condition: the integer of lockarg_when_size bytes at a third path, masked, equals a value. */
const volatile __u8 lockarg_when_size[LD_LOCKARG_SLOTS] = {}; /* 0: no condition */
const volatile __u32 lockarg_when_nr_derefs[LD_LOCKARG_SLOTS] = {};
const volatile __u32 lockarg_when_offsets[LD_LOCKARG_SLOTS][LD_LOCKARG_MAX_DEREFS + 1] = {};
const volatile __u64 lockarg_when_mask[LD_LOCKARG_SLOTS] = {};
const volatile __u64 lockarg_when_equals[LD_LOCKARG_SLOTS] = {};

/* --- reclaim context ---------------------------------------------------- */

static __always_inline int slot_reclaim(__u32 slot, __u8 state, __u64 fn)
{
	if (is_self() || slot >= LD_RECLAIM_SLOTS)
		return 0;
	return emit_reclaim(reclaim_kind[slot], state, fn);
}

#define RECLAIM_SLOT(n)                                                         \
	SEC("fentry")                                                           \
	int fe_reclaim_##n(void *ctx)                                           \
	{                                                                       \
		return slot_reclaim(n, LD_RECLAIM_ENTER, bpf_get_func_ip(ctx)); \
	}                                                                       \
	SEC("fexit")                                                            \
	int fx_reclaim_##n(void *ctx)                                           \
	{                                                                       \
		return slot_reclaim(n, LD_RECLAIM_EXIT, bpf_get_func_ip(ctx));  \
	}                                                                       \
	SEC("kprobe")                                                           \
	int kp_reclaim_##n(struct pt_regs *ctx)                                 \
	{                                                                       \
		return slot_reclaim(n, LD_RECLAIM_ENTER, reclaim_fn[n]);        \
	}                                                                       \
	SEC("kretprobe")                                                        \
	int kr_reclaim_##n(struct pt_regs *ctx)                                 \
	{                                                                       \
		return slot_reclaim(n, LD_RECLAIM_EXIT, reclaim_fn[n]);         \
	}

RECLAIM_SLOT(0)
RECLAIM_SLOT(1)
RECLAIM_SLOT(2)
RECLAIM_SLOT(3)
RECLAIM_SLOT(4)
RECLAIM_SLOT(5)
RECLAIM_SLOT(6)
RECLAIM_SLOT(7)

/* --- lock_args ------------------------------------------------------------ */

/* Appends "/N" for N > 0 (lockdep's subclass suffix); returns the new length. */
static __always_inline __u32 append_subclass(char *text, __u32 len, __u64 subclass)
{
	char digits[10];
	__u32 nr = 0;

	subclass &= 0xffffffff;
	if (!subclass || len > LD_MAX_TEXT - 12)
		return len;
	for (int i = 0; i < 10; i++) {
		if (!subclass)
			break;
		digits[i] = '0' + subclass % 10;
		subclass /= 10;
		nr++;
	}
	text[len & (LD_MAX_TEXT - 1)] = '/';
	len++;
	for (__u32 i = 0; i < 10; i++) {
		__u32 d = nr - 1 - i;

		if (i >= nr || d >= 10)
			break;
		text[len & (LD_MAX_TEXT - 1)] = digits[d];
		len++;
	}
	return len;
}

/* Where a path of nr pointers at offsets leads from base, 0 when a pointer on the way is NULL or
 * unreadable. */
static __always_inline __u64 follow_path(__u64 base, __u32 nr, const volatile __u32 *offsets)
{
	__u64 addr = base;

	if (nr > LD_LOCKARG_MAX_DEREFS)
		return 0;
	for (__u32 i = 0; i < LD_LOCKARG_MAX_DEREFS; i++) {
		if (i >= nr)
			break;
		if (!addr ||
		    bpf_probe_read_kernel(&addr, sizeof(addr), (void *)(addr + offsets[i])))
			return 0;
	}
	return addr ? addr + offsets[nr] : 0;
}

/*
 * Appends "#key", the string the slot's key path leads to; false when it
 * cannot be read, since a class without its key would merge locks that
 * lockdep keeps apart.
 */
static __always_inline bool append_key(char *text, __u32 *len, __u32 slot, __u64 base)
{
	__u64 key = follow_path(base, lockarg_key_nr_derefs[slot], lockarg_key_offsets[slot]);
	__u32 at = *len;
	long n;

	if (!key || at > LD_LOCKARG_CLASS_LEN)
		return false;
	text[at] = '#';
	n = bpf_probe_read_kernel_str(text + at + 1, LD_LOCKARG_CLASS_LEN, (void *)key);
	if (n <= 1)
		return false;
	*len = at + (__u32)n; /* n counts the NUL, which takes the place of the '#' */
	return true;
}

/* Whether the slot's condition holds for the object at base (no condition: it does). */
static __always_inline bool lockarg_when_holds(__u32 slot, __u64 base)
{
	__u8 size = lockarg_when_size[slot];
	__u64 addr, value = 0;
	long err;

	if (!size)
		return true;
	addr = follow_path(base, lockarg_when_nr_derefs[slot], lockarg_when_offsets[slot]);
	if (!addr)
		return false;
	/* Little-endian: the low bytes of value are the integer, whatever its size. */
	if (size == 1)
		err = bpf_probe_read_kernel(&value, 1, (void *)addr);
	else if (size == 2)
		err = bpf_probe_read_kernel(&value, 2, (void *)addr);
	else if (size == 4)
		err = bpf_probe_read_kernel(&value, 4, (void *)addr);
	else
		err = bpf_probe_read_kernel(&value, 8, (void *)addr);
	return !err && (value & lockarg_when_mask[slot]) == lockarg_when_equals[slot];
}

static __always_inline int emit_lockarg(__u32 slot, __u64 base, __u64 subclass, __u64 site)
{
	__u32 tid = current_tid();
	struct task_state *st = task_state_find(tid);
	struct ld_event *e;
	char *text;
	__u32 len;

	__u64 lock;

	if (!base || slot >= LD_LOCKARG_SLOTS)
		return 0;
	lock = follow_path(base, lockarg_nr_derefs[slot], lockarg_offsets[slot]);
	if (!lock || !lockarg_when_holds(slot, base))
		return 0;
	if (!task_sync(tid, &st, false)) {
		count_lost(tid, true);
		return 0;
	}
	e = reserve(LD_TEXT_RECORD_SIZE, tid, true);
	if (!e)
		return 0;
	fill_header(e, LD_EV_INIT, tid);
	e->flags |= LD_EV_F_INIT_RULE | (lockarg_at_entry[slot] ? LD_EV_F_INIT_FALLBACK : 0);
	e->init.lock = lock;
	e->init.site = site;
	text = (char *)(e + 1);
	for (int i = 0; i < LD_LOCKARG_CLASS_LEN; i++)
		text[i] = lockarg_class[slot][i];
	len = lockarg_class_len[slot];
	if (len > LD_LOCKARG_CLASS_LEN)
		len = LD_LOCKARG_CLASS_LEN;
	if (lockarg_keyed[slot] && !append_key(text, &len, slot, base)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	len = append_subclass(text, len, subclass);
	finish_text(e, len);
	lock_ident_note(lock, e);
	submit(e);
	return 0;
}

/* fentry and fexit alike: the arguments are still there at exit. */
static __always_inline int trace_lockarg(void *ctx, __u32 slot)
{
	__u64 base = 0, subclass = 0;

	if (is_self() || slot >= LD_LOCKARG_SLOTS)
		return 0;
	bpf_get_func_arg(ctx, lockarg_arg[slot], &base);
	if (lockarg_subclass_arg[slot])
		bpf_get_func_arg(ctx, lockarg_subclass_arg[slot] - 1, &subclass);
	return emit_lockarg(slot, base, subclass, bpf_get_func_ip(ctx));
}

/* The kprobe twin keeps the arguments from entry to return. */
struct pending_lockarg {
	__u64 base;
	__u64 subclass;
	__u64 fn;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* tid << 8 | slot */
	__type(value, struct pending_lockarg);
} pending_lockargs SEC(".maps");

/*
 * Argument n (0-based) of a kprobe. Each register is read with a constant
 * offset first: the verifier refuses a load through a computed ctx pointer.
 */
static __always_inline __u64 regs_arg(struct pt_regs *ctx, __u32 n)
{
	__u64 args[6] = {
		PT_REGS_PARM1(ctx),
		PT_REGS_PARM2(ctx),
		PT_REGS_PARM3(ctx),
		PT_REGS_PARM4(ctx),
		PT_REGS_PARM5(ctx),
#if defined(__TARGET_ARCH_x86)
		ctx->r9,
#endif
	};

	return n < 6 ? args[n] : 0;
}

static __always_inline int kprobe_lockarg(struct pt_regs *ctx, __u32 slot)
{
	__u64 key = (__u64)current_tid() << 8 | slot;
	struct pending_lockarg p = {};

	if (is_self() || slot >= LD_LOCKARG_SLOTS)
		return 0;
	p.base = regs_arg(ctx, lockarg_arg[slot]);
	if (lockarg_subclass_arg[slot])
		p.subclass = regs_arg(ctx, lockarg_subclass_arg[slot] - 1);
	p.fn = bpf_get_func_ip(ctx);
	if (lockarg_at_entry[slot])
		return emit_lockarg(slot, p.base, p.subclass, p.fn);
	bpf_map_update_elem(&pending_lockargs, &key, &p, BPF_ANY);
	return 0;
}

static __always_inline int kretprobe_lockarg(__u32 slot)
{
	__u64 key = (__u64)current_tid() << 8 | slot;
	struct pending_lockarg *p;
	__u64 base, subclass, fn;

	if (is_self())
		return 0;
	p = bpf_map_lookup_elem(&pending_lockargs, &key);
	if (!p)
		return 0;
	base = p->base;
	subclass = p->subclass;
	fn = p->fn;
	bpf_map_delete_elem(&pending_lockargs, &key);
	return emit_lockarg(slot, base, subclass, fn);
}

#define LOCKARG_SLOT(n)                         \
	SEC("fentry")                           \
	int fe_lockarg_##n(void *ctx)           \
	{                                       \
		return trace_lockarg(ctx, n);   \
	}                                       \
	SEC("fexit")                            \
	int fx_lockarg_##n(void *ctx)           \
	{                                       \
		return trace_lockarg(ctx, n);   \
	}                                       \
	SEC("kprobe")                           \
	int kp_lockarg_##n(struct pt_regs *ctx) \
	{                                       \
		return kprobe_lockarg(ctx, n);  \
	}                                       \
	SEC("kretprobe")                        \
	int kr_lockarg_##n(struct pt_regs *ctx) \
	{                                       \
		return kretprobe_lockarg(n);    \
	}

LOCKARG_SLOT(0)
LOCKARG_SLOT(1)
LOCKARG_SLOT(2)
LOCKARG_SLOT(3)
LOCKARG_SLOT(4)
LOCKARG_SLOT(5)
LOCKARG_SLOT(6)
LOCKARG_SLOT(7)
LOCKARG_SLOT(8)
LOCKARG_SLOT(9)
LOCKARG_SLOT(10)
LOCKARG_SLOT(11)
LOCKARG_SLOT(12)
LOCKARG_SLOT(13)
LOCKARG_SLOT(14)
LOCKARG_SLOT(15)
LOCKARG_SLOT(16)
LOCKARG_SLOT(17)
LOCKARG_SLOT(18)
LOCKARG_SLOT(19)
LOCKARG_SLOT(20)
LOCKARG_SLOT(21)
LOCKARG_SLOT(22)
LOCKARG_SLOT(23)
LOCKARG_SLOT(24)
LOCKARG_SLOT(25)
LOCKARG_SLOT(26)
LOCKARG_SLOT(27)
LOCKARG_SLOT(28)
LOCKARG_SLOT(29)
LOCKARG_SLOT(30)
LOCKARG_SLOT(31)
