/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers shared by the BPF objects: the ring buffer and per-task state
 * (declared here, shared at load time by reusing the core object's maps),
 * self-filtering, task flag translation, lost-event accounting and the
 * fixed-size record variants. BPF only: include after vmlinux.h and the
 * libbpf headers.
 *
 * Every record is reserved at one of three constant sizes (fixed part,
 * fixed part + LD_MAX_STACK frames, fixed part + LD_MAX_TEXT bytes) and its
 * `size` field says how much of it is used; the reader trusts `size`.
 */
#ifndef LOCKDEPD_COMMON_H
#define LOCKDEPD_COMMON_H

#include "lockdepd_event.h"
#include "lockdepd_bpf.h"

#define LD_STACK_RECORD_SIZE (LD_EVENT_FIXED_SIZE + LD_MAX_STACK * 8)
#define LD_TEXT_RECORD_SIZE  (LD_EVENT_FIXED_SIZE + LD_MAX_TEXT)

/* Settings, written by user space before load. */
const volatile __u32 targ_self_tgid = 0;
/* The kernel's PF_* values (kernel_info.c says where they come from). */
const volatile __u32 pf_memalloc = 0;
const volatile __u32 pf_memalloc_nofs = 0;
const volatile __u32 pf_memalloc_noio = 0;
const volatile __u32 pf_kswapd = 0;
/* Ask for a wake-up once this much is waiting; the reader also polls. */
const volatile __u64 wakeup_bytes = 256 * 1024;

/* Counters user space reads. */
__u64 lost_total = 0; /* every record that could not be reserved */
__u64 lost_untracked = 0; /* ... of which no task could be charged */

struct task_state {
	__u32 flags; /* LD_TASK_* last sent for this task */
	__u32 pad;
	__u64 lost; /* records dropped since the last one that went through */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/*
 * Only tasks that have something to remember are in here: an absent task
 * last sent flags 0 (what the engine assumes) and lost nothing.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct task_state);
} task_states SEC(".maps");

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The tool's own lock traffic (ring-buffer wake-ups, epoll) is not traced. */
static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_self_tgid;
}

static __always_inline __u32 current_task_flags(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 pf = BPF_CORE_READ(task, flags);
	__u32 value = 0;

	if (pf & pf_memalloc)
		value |= LD_TASK_MEMALLOC;
	if (pf & pf_memalloc_nofs)
		value |= LD_TASK_MEMALLOC_NOFS;
	if (pf & pf_memalloc_noio)
		value |= LD_TASK_MEMALLOC_NOIO;
	if (pf & pf_kswapd)
		value |= LD_TASK_KSWAPD;
	return value;
}

static __always_inline void count_lost(__u32 tid, bool chargeable)
{
	struct task_state *st;

	__sync_fetch_and_add(&lost_total, 1);
	if (chargeable) {
		st = bpf_map_lookup_elem(&task_states, &tid);
		if (st) {
			__sync_fetch_and_add(&st->lost, 1);
			return;
		}
		struct task_state fresh = { .lost = 1 };

		if (bpf_map_update_elem(&task_states, &tid, &fresh, BPF_NOEXIST) == 0)
			return;
	}
	__sync_fetch_and_add(&lost_untracked, 1);
}

static __always_inline void *reserve(__u32 size, __u32 tid, bool chargeable)
{
	void *rec = bpf_ringbuf_reserve(&events, size, 0);

	if (!rec)
		count_lost(tid, chargeable);
	return rec;
}

static __always_inline void submit(void *rec)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

static __always_inline void fill_header(struct ld_event *e, __u16 type, __u32 tid)
{
	e->type = type;
	e->size = LD_EVENT_FIXED_SIZE;
	e->nr_stack = 0;
	e->text_len = 0;
	e->pid = tid;
	e->flags = LD_EV_F_TIME;
	e->time_ns = bpf_ktime_get_ns();
	e->raw[0] = 0;
	e->raw[1] = 0;
	e->raw[2] = 0;
	e->raw[3] = 0;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
}

/* A fixed-size record for task tid, or NULL (counted as lost). */
static __always_inline struct ld_event *event_new(__u16 type, __u32 tid, bool chargeable)
{
	struct ld_event *e = reserve(LD_EVENT_FIXED_SIZE, tid, chargeable);

	if (e)
		fill_header(e, type, tid);
	return e;
}

/*
 * Brings the engine's view of the task up to date before one of its
 * events: first the records it lost (so the engine distrusts what it holds
 * for that task), then, when with_flags, its memalloc scope if it changed.
 * Returns false when the ring buffer is full: the caller's event would be
 * dropped anyway and is counted as lost instead.
 */
static __always_inline bool task_sync(__u32 tid, bool with_flags)
{
	struct task_state *st = bpf_map_lookup_elem(&task_states, &tid);
	struct ld_event *e;
	__u32 now, last = 0;

	if (st) {
		__u64 lost = st->lost;

		last = st->flags;
		if (lost) {
			e = event_new(LD_EV_LOST, tid, true);
			if (!e)
				return false;
			e->flags |= LD_EV_F_LOST_PID;
			e->lost.count = lost;
			submit(e);
			__sync_fetch_and_sub(&st->lost, lost);
		}
	}
	if (!with_flags)
		return true;
	now = current_task_flags();
	if (now == last)
		return true;
	e = event_new(LD_EV_FLAGS, tid, true);
	if (!e)
		return false;
	e->task_flags.value = now;
	submit(e);
	if (st) {
		st->flags = now;
	} else {
		struct task_state fresh = { .flags = now };

		/* On failure the next event sends the flags again: redundant, not wrong. */
		bpf_map_update_elem(&task_states, &tid, &fresh, BPF_NOEXIST);
	}
	return true;
}

/*
 * Drops the frames up to and including the traced function's own return
 * address (the trampoline's caller inside the function), so that frame 0 is
 * the function's caller. When no such frame is found (kretprobes already
 * start at the caller) the stack is left as it is.
 */
static __always_inline __u32 trim_to_caller(__u64 *frames, __u32 nr, __u64 func)
{
	__u32 skip = 0;

	if (!func)
		return nr;
	for (__u32 i = 0; i < LD_TRIM_SCAN && i < nr; i++) {
		if (frames[i] - func < LD_FUNC_ENTRY_SPAN) {
			skip = i + 1;
			break;
		}
	}
	if (!skip)
		return nr;
	for (__u32 i = 0; i < LD_MAX_STACK; i++) {
		__u32 from = i + skip;

		if (from >= nr || from >= LD_MAX_STACK)
			break;
		frames[i] = frames[from];
	}
	return nr - skip;
}

/* Drops the frames inside the allocator's tracing, up to the allocation site. */
static __always_inline __u32 trim_to_frame(__u64 *frames, __u32 nr, __u64 site)
{
	__u32 skip = 0;
	bool found = false;

	if (!site)
		return nr;
	for (__u32 i = 0; i < LD_TRIM_SCAN && i < nr; i++) {
		if (frames[i] == site) {
			skip = i;
			found = true;
			break;
		}
	}
	if (!found || !skip)
		return nr;
	for (__u32 i = 0; i < LD_MAX_STACK; i++) {
		__u32 from = i + skip;

		if (from >= nr || from >= LD_MAX_STACK)
			break;
		frames[i] = frames[from];
	}
	return nr - skip;
}

/* Stores the stack into a record reserved at LD_STACK_RECORD_SIZE. */
static __always_inline __u32 record_stack(void *ctx, struct ld_event *e)
{
	long bytes = bpf_get_stack(ctx, (void *)(e + 1), LD_MAX_STACK * 8, 0);

	if (bytes <= 0)
		return 0;
	return (__u32)bytes / 8;
}

static __always_inline void finish_stack(struct ld_event *e, __u32 nr)
{
	if (nr > LD_MAX_STACK)
		nr = LD_MAX_STACK;
	e->nr_stack = nr;
	e->size = LD_EVENT_FIXED_SIZE + nr * 8;
}

/* The caller of a function traced by fentry/fexit (see trim_to_caller). */
static __always_inline __u64 fentry_caller(void *ctx)
{
	__u64 frames[LD_CALLER_FRAMES] = {};
	__u64 func = bpf_get_func_ip(ctx);
	long bytes = bpf_get_stack(ctx, frames, sizeof(frames), 0);
	__u32 nr;

	if (bytes <= 0)
		return 0;
	nr = (__u32)bytes / 8;
	for (__u32 i = 0; i + 1 < LD_CALLER_FRAMES && i + 1 < nr; i++)
		if (frames[i] - func < LD_FUNC_ENTRY_SPAN)
			return frames[i + 1];
	return 0;
}

/* Copies a kernel string into a text record; returns the bytes kept (no NUL). */
static __always_inline __u32 record_kernel_text(struct ld_event *e, const void *src)
{
	char *text = (char *)(e + 1);
	long n = bpf_probe_read_kernel_str(text, LD_MAX_TEXT, src);

	if (n <= 1)
		return 0;
	return (__u32)(n - 1);
}

static __always_inline void finish_text(struct ld_event *e, __u32 len)
{
	if (len > LD_MAX_TEXT)
		len = LD_MAX_TEXT;
	e->text_len = len;
	e->size = (LD_EVENT_FIXED_SIZE + len + 7) & ~7u;
}

/* An init record naming lock `lock` from the kernel string at name. */
static __always_inline int emit_init(__u64 lock, __u64 site, const void *name)
{
	__u32 tid = current_tid();
	struct ld_event *e;

	if (!task_sync(tid, false)) {
		count_lost(tid, true);
		return 0;
	}
	e = reserve(LD_TEXT_RECORD_SIZE, tid, true);
	if (!e)
		return 0;
	fill_header(e, LD_EV_INIT, tid);
	e->init.lock = lock;
	e->init.site = site;
	finish_text(e, record_kernel_text(e, name));
	submit(e);
	return 0;
}

static __always_inline int emit_reclaim(__u8 kind, __u8 state, __u64 fn)
{
	__u32 tid = current_tid();
	struct ld_event *e;

	if (!task_sync(tid, state == LD_RECLAIM_ENTER)) {
		count_lost(tid, true);
		return 0;
	}
	e = event_new(LD_EV_RECLAIM, tid, true);
	if (!e)
		return 0;
	e->reclaim.fn = fn;
	e->reclaim.kind = kind;
	e->reclaim.state = state;
	submit(e);
	return 0;
}

#endif
