// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor under live capture's cost, for `make bench-live`: a program on
 * every point lockdepd's core object attaches, with lockdepd's program
 * name and program type (fentry on releases and inits, fexit on acquires,
 * classic tracepoints, the raw tracepoint on module loads), doing nothing.
 * What a lock loop loses with these attached is the price of the
 * trampolines and tracepoint calls themselves, which no filtering inside
 * lockdepd's programs can win back. floor.c attaches them from
 * lockdepd's own probe tables and checks the types against its object.
 *
 * The rb_ twins of the lock programs also write one ring-buffer record per
 * call, of the size lockdepd writes in a lock loop's steady state (an
 * acquire with its caller's frame, a bare release, an init with its text),
 * woken up the way lockdepd wakes its reader: the step from the floor to
 * them is what the ring buffer costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lockdepd_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The sizes of lockdepd_common.h's LD_SHORT_RECORD_SIZE and LD_TEXT_RECORD_SIZE. */
#define ACQUIRE_RECORD_SIZE (LD_EVENT_FIXED_SIZE + 8)
#define RELEASE_RECORD_SIZE LD_EVENT_FIXED_SIZE
#define INIT_RECORD_SIZE    (LD_EVENT_FIXED_SIZE + LD_MAX_TEXT)

/* Settings of the rb_ programs, written by floor.c before load. */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 256 * 1024;

/* Records the rb_ programs could not reserve. */
__u64 records_lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} records SEC(".maps");

/* --- the floor: lockdepd's points, nothing done ------------------------ */

#define FLOOR_FENTRY(fn)       \
	SEC("fentry/" #fn)     \
	int fe_##fn(void *ctx) \
	{                      \
		return 0;      \
	}
#define FLOOR_FEXIT(fn)        \
	SEC("fexit/" #fn)      \
	int fx_##fn(void *ctx) \
	{                      \
		return 0;      \
	}
#define FLOOR_TRACEPOINT(category, event, name) \
	SEC("tracepoint/" #category "/" #event) \
	int name(void *ctx)                     \
	{                                       \
		return 0;                       \
	}

FLOOR_FENTRY(mutex_unlock)
FLOOR_FENTRY(ww_mutex_unlock)
FLOOR_FENTRY(up_read)
FLOOR_FENTRY(up_write)
FLOOR_FENTRY(__mutex_init)
FLOOR_FENTRY(__init_rwsem)
FLOOR_FENTRY(mutex_lock)
FLOOR_FEXIT(mutex_lock_interruptible)
FLOOR_FEXIT(mutex_lock_killable)
FLOOR_FENTRY(mutex_lock_io)
FLOOR_FEXIT(mutex_trylock)
FLOOR_FEXIT(ww_mutex_lock)
FLOOR_FEXIT(ww_mutex_lock_interruptible)
FLOOR_FEXIT(ww_mutex_trylock)
FLOOR_FENTRY(down_read)
FLOOR_FEXIT(down_read_killable)
FLOOR_FEXIT(down_read_interruptible)
FLOOR_FEXIT(down_read_trylock)
FLOOR_FENTRY(down_write)
FLOOR_FEXIT(down_write_killable)
FLOOR_FEXIT(down_write_trylock)

FLOOR_TRACEPOINT(sched, sched_process_exit, tp_sched_process_exit)
FLOOR_TRACEPOINT(vmscan, mm_vmscan_direct_reclaim_begin, tp_direct_reclaim_begin)
FLOOR_TRACEPOINT(vmscan, mm_vmscan_direct_reclaim_end, tp_direct_reclaim_end)
FLOOR_TRACEPOINT(vmscan, mm_vmscan_memcg_reclaim_begin, tp_memcg_reclaim_begin)
FLOOR_TRACEPOINT(vmscan, mm_vmscan_memcg_reclaim_end, tp_memcg_reclaim_end)
FLOOR_TRACEPOINT(vmscan, mm_vmscan_node_reclaim_begin, tp_node_reclaim_begin)
FLOOR_TRACEPOINT(vmscan, mm_vmscan_node_reclaim_end, tp_node_reclaim_end)
FLOOR_TRACEPOINT(vmscan, mm_shrink_slab_start, tp_shrink_slab_start)
FLOOR_TRACEPOINT(vmscan, mm_shrink_slab_end, tp_shrink_slab_end)
FLOOR_TRACEPOINT(kmem, kmalloc, tp_kmalloc)
FLOOR_TRACEPOINT(kmem, kmem_cache_alloc, tp_kmem_cache_alloc)
FLOOR_TRACEPOINT(kmem, mm_page_alloc, tp_mm_page_alloc)

SEC("raw_tp/module_load")
int raw_module_load(void *ctx)
{
	return 0;
}

/* --- the floor plus a ring-buffer record per lock call ------------------ */

/*
 * lockdepd's programs skip its own process first (its reader's wake-ups
 * take mutexes); so do these, or the consumer would feed itself.
 */
static __always_inline int record(__u32 size, __u16 type)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ld_event *e;
	__u64 flags = BPF_RB_NO_WAKEUP, avail;

	if ((pid_tgid >> 32) == self_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&records, size, 0);
	if (!e) {
		__sync_fetch_and_add(&records_lost, 1);
		return 0;
	}
	e->type = type;
	e->size = size;
	e->pid = (__u32)pid_tgid;
	/* lockdepd's rule (bpf/lockdepd_common.h, submit()): wake on crossing the threshold. */
	avail = bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA);
	if (avail >= wakeup_bytes && avail - ((size + 8 + 7) & ~7ull) < wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	return 0;
}

#define RING_FENTRY(fn, size, type)        \
	SEC("fentry/" #fn)                 \
	int rb_fe_##fn(void *ctx)          \
	{                                  \
		return record(size, type); \
	}
#define RING_FEXIT(fn)                                             \
	SEC("fexit/" #fn)                                          \
	int rb_fx_##fn(void *ctx)                                  \
	{                                                          \
		return record(ACQUIRE_RECORD_SIZE, LD_EV_ACQUIRE); \
	}

RING_FENTRY(mutex_unlock, RELEASE_RECORD_SIZE, LD_EV_RELEASE)
RING_FENTRY(ww_mutex_unlock, RELEASE_RECORD_SIZE, LD_EV_RELEASE)
RING_FENTRY(up_read, RELEASE_RECORD_SIZE, LD_EV_RELEASE)
RING_FENTRY(up_write, RELEASE_RECORD_SIZE, LD_EV_RELEASE)
RING_FENTRY(__mutex_init, INIT_RECORD_SIZE, LD_EV_INIT)
RING_FENTRY(__init_rwsem, INIT_RECORD_SIZE, LD_EV_INIT)
RING_FENTRY(mutex_lock, ACQUIRE_RECORD_SIZE, LD_EV_ACQUIRE)
RING_FEXIT(mutex_lock_interruptible)
RING_FEXIT(mutex_lock_killable)
RING_FENTRY(mutex_lock_io, ACQUIRE_RECORD_SIZE, LD_EV_ACQUIRE)
RING_FEXIT(mutex_trylock)
RING_FEXIT(ww_mutex_lock)
RING_FEXIT(ww_mutex_lock_interruptible)
RING_FEXIT(ww_mutex_trylock)
RING_FENTRY(down_read, ACQUIRE_RECORD_SIZE, LD_EV_ACQUIRE)
RING_FEXIT(down_read_killable)
RING_FEXIT(down_read_interruptible)
RING_FEXIT(down_read_trylock)
RING_FENTRY(down_write, ACQUIRE_RECORD_SIZE, LD_EV_ACQUIRE)
RING_FEXIT(down_write_killable)
RING_FEXIT(down_write_trylock)
