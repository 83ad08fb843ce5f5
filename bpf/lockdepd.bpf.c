// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The core probes: lock operations, lock class names, allocations with
 * their gfp flags, reclaim context and task exits, written as struct
 * ld_event records into one ring buffer.
 *
 * Lock operations have two implementations and user space loads one
 * (bpf_program__set_autoload): fentry/fexit programs, one per kernel
 * function because a BTF-typed program has a single attach target, and
 * kprobe twins for kernels that refuse BPF trampolines, generic because a
 * kprobe program attaches to any function by name. Both read arguments
 * without typing them (bpf_get_func_arg, PT_REGS_PARM*), so the same
 * program serves `mutex_lock` and, on CONFIG_DEBUG_LOCK_ALLOC kernels,
 * `mutex_lock_nested` (user space retargets it).
 *
 * An acquire is reported at function exit, with its result: a lock that is
 * never obtained (-EINTR, -EDEADLK, failed trylock) is reported as such and
 * creates no dependency in the engine. A release is reported at function
 * entry, before the lock is free. Allocations and reclaim come from
 * classic tracepoints (their record layout is read with CO-RE; the 6.1
 * verifier refuses tp_btf/kmalloc's pointer argument).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lockdepd_common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EINTR_	 4
#define EBUSY_	 16
#define EDEADLK_ 35

/* Drop allocations that cannot enter fs_reclaim (see alloc_matters). */
const volatile __u32 targ_alloc_filter = 1;
const volatile __u64 gfp_direct_reclaim = 0;
const volatile __u64 gfp_fs = 0;

enum acq_result {
	ACQ_VOID, /* always taken */
	ACQ_ERRNO, /* 0 taken, else -errno */
	ACQ_TRYLOCK, /* 1 taken, 0 busy */
};

/*
 * A wrapper that calls another traced function for the same lock
 * (mutex_lock_io -> mutex_lock, ww_mutex_unlock -> mutex_unlock, when the
 * compiler did not inline the inner one) would report the operation twice.
 * The outer one leaves a mark in the task's state (task_state's
 * acquire_mark and release_mark); the inner one finding its lock there is
 * dropped. Inlined inner calls leave a mark that the next release clears.
 */
static __always_inline struct task_state *mark_acquire(__u32 tid, __u64 lock)
{
	struct task_state *st = task_state_get(tid);

	if (st)
		st->acquire_mark = lock;
	return st;
}

static __always_inline bool mark_acquire_take(struct task_state *st, __u64 lock)
{
	if (!st || st->acquire_mark != lock)
		return false;
	st->acquire_mark = 0;
	return true;
}

static __always_inline struct task_state *mark_release(__u32 tid, __u64 lock)
{
	struct task_state *st = task_state_get(tid);

	if (st)
		st->release_mark = lock;
	return st;
}

static __always_inline bool mark_release_take(struct task_state *st, __u64 lock)
{
	if (!st || st->release_mark != lock)
		return false;
	st->release_mark = 0;
	return true;
}

static __always_inline __s32 acquire_result(enum acq_result rk, __s64 ret)
{
	switch (rk) {
	case ACQ_TRYLOCK:
		if (ret == 1)
			return 0;
		return ret == 0 ? -EBUSY_ : (__s32)ret;
	case ACQ_ERRNO:
		return (__s32)ret;
	default:
		return 0;
	}
}

/*
 * One acquire record. ip is the caller when known without unwinding (0
 * otherwise); func is the traced function's address when unwound frames
 * start inside a trampoline (fexit), 0 when they start at the caller
 * (kretprobe). The stack is unwound only for the first occurrence of the
 * operation in its context (lockdepd_common.h), or when ip is unknown.
 */
static __always_inline int emit_acquire(void *ctx, __u32 tid, struct task_state *st, __u64 lock,
					__u64 wwctx, __s32 ret, __u8 lock_type, bool trylock,
					__u64 ip, __u64 func)
{
	__u32 info = lock_type | (trylock ? LD_HELD_F_TRYLOCK : 0);
	__u32 class_id = 0;
	bool unwind;
	struct ld_event *e;
	__u64 *frames;
	__u32 nr;

	/*
	 * A ww_mutex under an acquire context depends on what else that
	 * context holds, and a failed attempt is rare: both always go to the
	 * engine (the lock's class is still learnt, for the chains under it).
	 */
	if (ret == 0) {
		if (chain_keep(st, lock, ip, info, &class_id) &&
		    !(lock_type == LD_LOCK_WW_MUTEX && wwctx)) {
			held_add(tid, &st, lock, ip, info, class_id, false);
			count_kept(st, &chain_skipped_acquires, KEPT_ACQUIRES);
			return 0;
		}
	}
	unwind = !ip || first_time(op_key(st, lock, ip, (__u64)lock_type << 8 | trylock));
	if (!task_sync(tid, &st, true) || !held_sync(tid, st)) {
		count_lost(tid, true);
		goto held;
	}
	e = reserve(unwind ? LD_STACK_RECORD_SIZE : LD_SHORT_RECORD_SIZE, tid, true);
	if (!e)
		goto held;
	fill_header(e, LD_EV_ACQUIRE, tid);
	e->acquire.lock = lock;
	e->acquire.ctx = wwctx;
	e->acquire.ret = ret;
	e->acquire.lock_type = lock_type;
	e->acquire.trylock = trylock;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	frames = (__u64 *)(e + 1);
	if (unwind) {
		nr = trim_to_caller(frames, record_stack(ctx, e), func);
		if (!ip && nr)
			ip = frames[0];
	} else {
		frames[0] = ip;
		nr = 1;
	}
	finish_stack(e, nr);
	e->acquire.ip = ip;
	submit(e);
held:
	/*
	 * What the engine will believe the task holds, record lost or not
	 * (a lost record resets the engine's view: it holds less, never more).
	 */
	if (ret == 0)
		held_add(tid, &st, lock, ip, info, class_id, true);
	return 0;
}

/*
 * A release; its caller is worked out (caller_of(ctx)) only when it is
 * sent. kprobe: the caller is already known and passed as ip, ctx NULL.
 */
static __always_inline int emit_release(void *ctx, __u32 tid, struct task_state *st, __u64 lock,
					__u64 ip)
{
	struct ld_event *e;

	/* A mutex_lock_io() whose inner mutex_lock() was inlined left its mark. */
	mark_acquire_take(st, lock);
	/* The engine never heard of the acquisition: nor of its release. */
	if (held_remove(st, lock) == 0) {
		count_kept(st, &chain_skipped_releases, KEPT_RELEASES);
		return 0;
	}
	if (!task_sync(tid, &st, false)) {
		count_lost(tid, true);
		return 0;
	}
	e = event_new(LD_EV_RELEASE, tid, true);
	if (!e)
		return 0;
	e->release.lock = lock;
	e->release.ip = ctx ? fentry_caller(ctx) : ip;
	submit(e);
	return 0;
}

/* --- fentry/fexit ------------------------------------------------------ */

static __always_inline int fexit_acquire(void *ctx, __u8 lock_type, enum acq_result rk,
					 bool has_ctx)
{
	__u64 lock = 0, wwctx = 0, ret = 0;
	__u32 tid = traced_tid();

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	if (has_ctx)
		bpf_get_func_arg(ctx, 1, &wwctx);
	if (rk != ACQ_VOID)
		bpf_get_func_ret(ctx, &ret);
	return emit_acquire(ctx, tid, task_state_find(tid), lock, wwctx,
			    acquire_result(rk, (__s64)ret), lock_type, rk == ACQ_TRYLOCK,
			    trampoline_caller(ctx, bpf_get_func_ip(ctx)), bpf_get_func_ip(ctx));
}

static __always_inline int fentry_release(void *ctx)
{
	__u32 tid = traced_tid();
	__u64 lock = 0;

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	return emit_release(ctx, tid, task_state_find(tid), lock, 0);
}

#define FEXIT_ACQUIRE(fn, type, rk, has_ctx)                  \
	SEC("fexit/" #fn)                                     \
	int fx_##fn(void *ctx)                                \
	{                                                     \
		return fexit_acquire(ctx, type, rk, has_ctx); \
	}

FEXIT_ACQUIRE(mutex_lock_interruptible, LD_LOCK_MUTEX, ACQ_ERRNO, false)
FEXIT_ACQUIRE(mutex_lock_killable, LD_LOCK_MUTEX, ACQ_ERRNO, false)
FEXIT_ACQUIRE(mutex_trylock, LD_LOCK_MUTEX, ACQ_TRYLOCK, false)
FEXIT_ACQUIRE(ww_mutex_lock, LD_LOCK_WW_MUTEX, ACQ_ERRNO, true)
FEXIT_ACQUIRE(ww_mutex_lock_interruptible, LD_LOCK_WW_MUTEX, ACQ_ERRNO, true)
FEXIT_ACQUIRE(ww_mutex_trylock, LD_LOCK_WW_MUTEX, ACQ_TRYLOCK, true)
FEXIT_ACQUIRE(down_read_killable, LD_LOCK_RWSEM_READ, ACQ_ERRNO, false)
FEXIT_ACQUIRE(down_read_interruptible, LD_LOCK_RWSEM_READ, ACQ_ERRNO, false)
FEXIT_ACQUIRE(down_read_trylock, LD_LOCK_RWSEM_READ, ACQ_TRYLOCK, false)
FEXIT_ACQUIRE(down_write_killable, LD_LOCK_RWSEM_WRITE, ACQ_ERRNO, false)
FEXIT_ACQUIRE(down_write_trylock, LD_LOCK_RWSEM_WRITE, ACQ_TRYLOCK, false)

/*
 * mutex_lock(), mutex_lock_io(), down_read() and down_write() cannot fail:
 * the attempt is the acquisition, recorded at entry, before the task can
 * block, as lockdep's lock_acquire() records it. A task that blocks for
 * ever in a real deadlock has sent its record, so the deadlock is still
 * reported. The functions whose result decides what is held (trylocks,
 * the killable and interruptible ones, ww_mutex_lock()) stay at exit.
 */
static __always_inline int fentry_acquire(void *ctx, __u32 tid, struct task_state *st, __u64 lock,
					  __u8 lock_type)
{
	__u64 func = bpf_get_func_ip(ctx);

	return emit_acquire(ctx, tid, st, lock, 0, 0, lock_type, false,
			    trampoline_caller(ctx, func), func);
}

SEC("fentry/mutex_lock")
int fe_mutex_lock(void *ctx)
{
	__u32 tid = traced_tid();
	struct task_state *st;
	__u64 lock = 0;

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	st = task_state_find(tid);
	/* Inside mutex_lock_io(), which already recorded the attempt. */
	if (mark_acquire_take(st, lock))
		return 0;
	return fentry_acquire(ctx, tid, st, lock, LD_LOCK_MUTEX);
}

SEC("fentry/mutex_lock_io")
int fe_mutex_lock_io(void *ctx)
{
	__u32 tid = traced_tid();
	__u64 lock = 0;

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	return fentry_acquire(ctx, tid, mark_acquire(tid, lock), lock, LD_LOCK_MUTEX);
}

SEC("fentry/down_read")
int fe_down_read(void *ctx)
{
	__u32 tid = traced_tid();
	__u64 lock = 0;

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	return fentry_acquire(ctx, tid, task_state_find(tid), lock, LD_LOCK_RWSEM_READ);
}

SEC("fentry/down_write")
int fe_down_write(void *ctx)
{
	__u32 tid = traced_tid();
	__u64 lock = 0;

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	return fentry_acquire(ctx, tid, task_state_find(tid), lock, LD_LOCK_RWSEM_WRITE);
}

SEC("fentry/mutex_unlock")
int fe_mutex_unlock(void *ctx)
{
	__u32 tid = traced_tid();
	struct task_state *st;
	__u64 lock = 0;

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	st = task_state_find(tid);
	if (mark_release_take(st, lock))
		return 0;
	return emit_release(ctx, tid, st, lock, 0);
}

SEC("fentry/ww_mutex_unlock")
int fe_ww_mutex_unlock(void *ctx)
{
	__u32 tid = traced_tid();
	__u64 lock = 0;

	if (!tid)
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	return emit_release(ctx, tid, mark_release(tid, lock), lock, 0);
}

SEC("fentry/up_read")
int fe_up_read(void *ctx)
{
	return fentry_release(ctx);
}

SEC("fentry/up_write")
int fe_up_write(void *ctx)
{
	return fentry_release(ctx);
}

/* __mutex_init(lock, name, key) and __init_rwsem(sem, name, key). */
static __always_inline int fentry_init(void *ctx)
{
	__u64 lock = 0, name = 0;

	if (is_self())
		return 0;
	bpf_get_func_arg(ctx, 0, &lock);
	bpf_get_func_arg(ctx, 1, &name);
	return emit_init(lock, fentry_caller(ctx), (const void *)name);
}

SEC("fentry/__mutex_init")
int fe___mutex_init(void *ctx)
{
	return fentry_init(ctx);
}

SEC("fentry/__init_rwsem")
int fe___init_rwsem(void *ctx)
{
	return fentry_init(ctx);
}

/* --- kprobe twins ------------------------------------------------------ */

/* What an acquire's entry saw, until its return. */
struct pending_acquire {
	__u64 lock;
	__u64 arg2; /* the ww_acquire_ctx for ww_mutex functions */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pending_acquire);
} pending_acquires SEC(".maps");

static __always_inline __u64 kprobe_caller(struct pt_regs *ctx)
{
	__u64 ret = 0;

	bpf_probe_read_kernel(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx));
	return ret;
}

/*
 * Entry of every acquire function. A wrapper's entry is overwritten by the
 * inner function's and the outer return finds nothing: one report.
 */
SEC("kprobe")
int kp_acquire(struct pt_regs *ctx)
{
	struct pending_acquire p = {
		.lock = PT_REGS_PARM1(ctx),
		.arg2 = PT_REGS_PARM2(ctx),
	};
	__u32 tid = current_tid();

	if (is_self())
		return 0;
	bpf_map_update_elem(&pending_acquires, &tid, &p, BPF_ANY);
	return 0;
}

static __always_inline int kret_acquire(struct pt_regs *ctx, __u8 lock_type, enum acq_result rk,
					bool has_ctx)
{
	__u32 tid = traced_tid();
	struct pending_acquire *p;
	__u64 lock, wwctx;

	if (!tid)
		return 0;
	p = bpf_map_lookup_elem(&pending_acquires, &tid);
	if (!p)
		return 0;
	lock = p->lock;
	wwctx = has_ctx ? p->arg2 : 0;
	bpf_map_delete_elem(&pending_acquires, &tid);
	/* At a kretprobe the instruction pointer is the return address: the caller. */
	return emit_acquire(ctx, tid, task_state_find(tid), lock, wwctx,
			    acquire_result(rk, (__s64)PT_REGS_RC(ctx)), lock_type,
			    rk == ACQ_TRYLOCK, PT_REGS_IP(ctx), 0);
}

#define KRET_ACQUIRE(name, type, rk, has_ctx)                \
	SEC("kretprobe")                                     \
	int kr_##name(struct pt_regs *ctx)                   \
	{                                                    \
		return kret_acquire(ctx, type, rk, has_ctx); \
	}

KRET_ACQUIRE(mutex_errno, LD_LOCK_MUTEX, ACQ_ERRNO, false)
KRET_ACQUIRE(mutex_trylock, LD_LOCK_MUTEX, ACQ_TRYLOCK, false)
KRET_ACQUIRE(ww_errno, LD_LOCK_WW_MUTEX, ACQ_ERRNO, true)
KRET_ACQUIRE(ww_trylock, LD_LOCK_WW_MUTEX, ACQ_TRYLOCK, true)
KRET_ACQUIRE(read_errno, LD_LOCK_RWSEM_READ, ACQ_ERRNO, false)
KRET_ACQUIRE(read_trylock, LD_LOCK_RWSEM_READ, ACQ_TRYLOCK, false)
KRET_ACQUIRE(write_errno, LD_LOCK_RWSEM_WRITE, ACQ_ERRNO, false)
KRET_ACQUIRE(write_trylock, LD_LOCK_RWSEM_WRITE, ACQ_TRYLOCK, false)

/* The functions that cannot fail, at entry as with fentry (see fentry_acquire()). */
static __always_inline int kprobe_void_acquire(struct pt_regs *ctx, __u32 tid,
					       struct task_state *st, __u8 lock_type)
{
	/* A kprobe's stack starts in the probed function, its ip. */
	return emit_acquire(ctx, tid, st, PT_REGS_PARM1(ctx), 0, 0, lock_type, false,
			    kprobe_caller(ctx), PT_REGS_IP(ctx));
}

SEC("kprobe")
int kp_mutex_lock(struct pt_regs *ctx)
{
	__u32 tid = traced_tid();
	struct task_state *st;

	if (!tid)
		return 0;
	st = task_state_find(tid);
	if (mark_acquire_take(st, PT_REGS_PARM1(ctx)))
		return 0;
	return kprobe_void_acquire(ctx, tid, st, LD_LOCK_MUTEX);
}

SEC("kprobe")
int kp_mutex_lock_io(struct pt_regs *ctx)
{
	__u32 tid = traced_tid();

	if (!tid)
		return 0;
	return kprobe_void_acquire(ctx, tid, mark_acquire(tid, PT_REGS_PARM1(ctx)), LD_LOCK_MUTEX);
}

SEC("kprobe")
int kp_down_read(struct pt_regs *ctx)
{
	__u32 tid = traced_tid();

	if (!tid)
		return 0;
	return kprobe_void_acquire(ctx, tid, task_state_find(tid), LD_LOCK_RWSEM_READ);
}

SEC("kprobe")
int kp_down_write(struct pt_regs *ctx)
{
	__u32 tid = traced_tid();

	if (!tid)
		return 0;
	return kprobe_void_acquire(ctx, tid, task_state_find(tid), LD_LOCK_RWSEM_WRITE);
}

SEC("kprobe")
int kp_release(struct pt_regs *ctx)
{
	__u64 lock = PT_REGS_PARM1(ctx);
	__u32 tid = traced_tid();
	struct task_state *st;

	if (!tid)
		return 0;
	st = task_state_find(tid);
	if (mark_release_take(st, lock))
		return 0;
	return emit_release(NULL, tid, st, lock, kprobe_caller(ctx));
}

SEC("kprobe")
int kp_ww_release(struct pt_regs *ctx)
{
	__u64 lock = PT_REGS_PARM1(ctx);
	__u32 tid = traced_tid();

	if (!tid)
		return 0;
	return emit_release(NULL, tid, mark_release(tid, lock), lock, kprobe_caller(ctx));
}

SEC("kprobe")
int kp_init(struct pt_regs *ctx)
{
	if (is_self())
		return 0;
	return emit_init(PT_REGS_PARM1(ctx), kprobe_caller(ctx), (const void *)PT_REGS_PARM2(ctx));
}

/* --- allocations --------------------------------------------------------- */

/*
 * lockdep's __fs_reclaim_acquire() rule: only such an allocation can add a
 * dependency on fs_reclaim, so dropping the others here changes no
 * finding (the engine applies the same rule to what it gets).
 */
static __always_inline bool alloc_matters(__u64 gfp, __u32 task_flags)
{
	if (!targ_alloc_filter || !gfp_direct_reclaim || !gfp_fs)
		return true;
	if (!(gfp & gfp_direct_reclaim) || !(gfp & gfp_fs))
		return false;
	return !(task_flags & (LD_TASK_MEMALLOC | LD_TASK_MEMALLOC_NOFS | LD_TASK_MEMALLOC_NOIO));
}

static __always_inline int emit_alloc(void *ctx, __u64 gfp, __u64 site)
{
	__u32 tid = current_tid();
	struct task_state *st;
	struct ld_event *e;
	bool unwind;
	__u32 nr;

	if (is_self() || !alloc_matters(gfp, current_task_flags()))
		return 0;
	st = task_state_find(tid);
	/* Nothing held, not in reclaim: no dependency can come of it. */
	if (targ_alloc_filter && holds_nothing(st))
		return 0;
	/* Its dependencies on fs_reclaim are known (lockdepd_chain.h). */
	if (targ_alloc_filter && chain_alloc_known(st)) {
		count_kept(st, &chain_skipped_allocs, KEPT_ALLOCS);
		return 0;
	}
	/* Page allocations have no call site: the live source names it from the stack. */
	unwind = !site || first_time(op_key(st, 0, site, gfp));
	if (!task_sync(tid, &st, true) || !held_sync(tid, st)) {
		count_lost(tid, true);
		return 0;
	}
	e = reserve(unwind ? LD_STACK_RECORD_SIZE : LD_SHORT_RECORD_SIZE, tid, true);
	if (!e)
		return 0;
	fill_header(e, LD_EV_ALLOC, tid);
	e->alloc.gfp = gfp;
	e->alloc.site = site;
	if (unwind) {
		nr = trim_to_frame((__u64 *)(e + 1), record_stack(ctx, e), site);
	} else {
		((__u64 *)(e + 1))[0] = site;
		nr = 1;
	}
	finish_stack(e, nr);
	submit(e);
	return 0;
}

SEC("tracepoint/kmem/kmalloc")
int tp_kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	return emit_alloc(ctx, ctx->gfp_flags, ctx->call_site);
}

SEC("tracepoint/kmem/kmem_cache_alloc")
int tp_kmem_cache_alloc(struct trace_event_raw_kmem_cache_alloc *ctx)
{
	return emit_alloc(ctx, ctx->gfp_flags, ctx->call_site);
}

/* No call site here: the live source names it from the stack. */
SEC("tracepoint/kmem/mm_page_alloc")
int tp_mm_page_alloc(struct trace_event_raw_mm_page_alloc *ctx)
{
	return emit_alloc(ctx, ctx->gfp_flags, 0);
}

/* --- reclaim context ---------------------------------------------------- */

static __always_inline int reclaim(__u8 kind, __u8 state, __u64 fn)
{
	if (is_self())
		return 0;
	return emit_reclaim(kind, state, fn);
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_begin")
int tp_direct_reclaim_begin(void *ctx)
{
	return reclaim(LD_RECLAIM_DIRECT, LD_RECLAIM_ENTER, 0);
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_end")
int tp_direct_reclaim_end(void *ctx)
{
	return reclaim(LD_RECLAIM_DIRECT, LD_RECLAIM_EXIT, 0);
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_begin")
int tp_memcg_reclaim_begin(void *ctx)
{
	return reclaim(LD_RECLAIM_DIRECT, LD_RECLAIM_ENTER, 0);
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_end")
int tp_memcg_reclaim_end(void *ctx)
{
	return reclaim(LD_RECLAIM_DIRECT, LD_RECLAIM_EXIT, 0);
}

SEC("tracepoint/vmscan/mm_vmscan_node_reclaim_begin")
int tp_node_reclaim_begin(void *ctx)
{
	return reclaim(LD_RECLAIM_DIRECT, LD_RECLAIM_ENTER, 0);
}

SEC("tracepoint/vmscan/mm_vmscan_node_reclaim_end")
int tp_node_reclaim_end(void *ctx)
{
	return reclaim(LD_RECLAIM_DIRECT, LD_RECLAIM_EXIT, 0);
}

SEC("tracepoint/vmscan/mm_shrink_slab_start")
int tp_shrink_slab_start(struct trace_event_raw_mm_shrink_slab_start *ctx)
{
	return reclaim(LD_RECLAIM_SHRINKER, LD_RECLAIM_ENTER, (__u64)ctx->shrink);
}

SEC("tracepoint/vmscan/mm_shrink_slab_end")
int tp_shrink_slab_end(struct trace_event_raw_mm_shrink_slab_end *ctx)
{
	return reclaim(LD_RECLAIM_SHRINKER, LD_RECLAIM_EXIT, (__u64)ctx->shrink);
}

/* --- tasks and modules ------------------------------------------------- */

SEC("tracepoint/sched/sched_process_exit")
int tp_sched_process_exit(void *ctx)
{
	__u32 tid = current_tid();
	struct ld_event *e;

	if (is_self())
		return 0;
	kept_flush(task_state_find(tid));
	bpf_map_delete_elem(&task_states, &tid);
	e = event_new(LD_EV_EXIT, tid, false);
	if (e)
		submit(e);
	return 0;
}

/*
 * A module's symbols, sent while it loads. Reading /proc/kallsyms when the
 * live source gets round to it loses the race against a quick rmmod (an
 * insmod, a test and an rmmod can all finish first), so the module's own
 * symbol table is walked here, in the loading task, before its init runs:
 * a MODULE_LOAD record (the name), one MODULE_SYM record per symbol, a
 * MODULE_DONE record. The host that builds the skeleton may have no
 * modules, so the types are declared here (CO-RE finds them on the target).
 */
struct mod_kallsyms___ld {
	void *symtab;
	unsigned int num_symtab;
	char *strtab;
	char *typetab;
} __attribute__((preserve_access_index));

struct module___ld {
	char name[56];
	struct mod_kallsyms___ld *kallsyms;
} __attribute__((preserve_access_index));

/* Elf64_Sym: the ELF ABI's layout, not a kernel type. */
struct elf64_sym___ld {
	__u32 st_name;
	__u8 st_info;
	__u8 st_other;
	__u16 st_shndx;
	__u64 st_value;
	__u64 st_size;
};

#define STT_OBJECT_ 1
#define STT_FUNC_   2

/* Symbol records that could not be written: their addresses stay unnamed. */
__u64 lost_symbols = 0;

struct sym_walk {
	struct elf64_sym___ld *symtab;
	const char *strtab;
	const char *typetab;
	__u32 tid;
};

static __always_inline struct ld_event *private_text_record(__u16 type, __u32 tid)
{
	struct ld_event *e = bpf_ringbuf_reserve(&events, LD_TEXT_RECORD_SIZE, 0);

	if (!e) {
		__sync_fetch_and_add(&lost_symbols, 1);
		return NULL;
	}
	fill_header(e, type, tid);
	return e;
}

static long send_module_symbol(__u32 i, void *data)
{
	struct sym_walk *walk = data;
	struct elf64_sym___ld sym;
	struct ld_event *e;
	char type = 0;

	if (bpf_probe_read_kernel(&sym, sizeof(sym), &walk->symtab[i]) || !sym.st_value ||
	    !sym.st_name)
		return 0;
	if (walk->typetab)
		bpf_probe_read_kernel(&type, 1, walk->typetab + i);
	else if ((sym.st_info & 0xf) == STT_FUNC_)
		type = 't';
	else if ((sym.st_info & 0xf) == STT_OBJECT_)
		type = 'd';
	/* Code and data only: what stacks and static locks need. */
	if (type != 't' && type != 'T' && type != 'd' && type != 'D' && type != 'b' &&
	    type != 'B' && type != 'r' && type != 'R')
		return 0;
	e = private_text_record(LD_BPF_EV_MODULE_SYM, walk->tid);
	if (!e)
		return 0;
	e->raw[0] = sym.st_value;
	e->raw[1] = sym.st_size;
	e->raw[2] = (__u8)type;
	finish_text(e, record_kernel_text(e, walk->strtab + sym.st_name));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("raw_tp/module_load")
int raw_module_load(struct bpf_raw_tracepoint_args *ctx)
{
	struct module___ld *mod = (struct module___ld *)ctx->args[0];
	struct mod_kallsyms___ld *ks = BPF_CORE_READ(mod, kallsyms);
	struct sym_walk walk = { .tid = current_tid() };
	struct ld_event *e;
	__u32 nr;

	e = private_text_record(LD_BPF_EV_MODULE_LOAD, walk.tid);
	if (!e)
		return 0;
	finish_text(e, record_kernel_text(e, mod->name));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);

	walk.symtab = BPF_CORE_READ(ks, symtab);
	walk.strtab = BPF_CORE_READ(ks, strtab);
	if (bpf_core_field_exists(ks->typetab))
		walk.typetab = BPF_CORE_READ(ks, typetab);
	nr = BPF_CORE_READ(ks, num_symtab);
	if (walk.symtab && walk.strtab)
		bpf_loop(nr < (1u << 20) ? nr : (1u << 20), send_module_symbol, &walk, 0);

	e = private_text_record(LD_BPF_EV_MODULE_DONE, walk.tid);
	if (e)
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}
