/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers shared by the BPF objects: the ring buffer and per-task state
 * (declared here, shared at load time by reusing the core object's maps),
 * self-filtering, task flag translation, lost-event accounting, the
 * fixed-size record variants, and the per-task view of held locks. BPF
 * only: include after vmlinux.h and the libbpf headers.
 *
 * Every record is reserved at one of three constant sizes (fixed part,
 * fixed part + LD_MAX_STACK frames, fixed part + LD_MAX_TEXT bytes) and its
 * `size` field says how much of it is used; the reader trusts `size`.
 *
 * Held locks. Each task's state mirrors what the engine will believe the
 * task holds: a lock is added when an acquire succeeds, removed when the
 * task releases it, and a release of a lock not in the list (taken before
 * tracing began) changes nothing, as in the engine. Two savings rest on
 * it, neither of which changes a finding:
 *  - an allocation made while the task holds no traced lock and is not in
 *    reclaim context cannot add a dependency, and is not sent;
 *  - a stack is unwound only the first time a task does an operation at a
 *    site with the same locks held (same lock instance, same caller, same
 *    held set, same reclaim context and scope); repeats carry just the
 *    caller's frame. The engine keeps a dependency's stack from its first
 *    occurrence, which is the first occurrence of such a key.
 *  - an acquisition the engine has already fed in the same chain of held
 *    classes (the chain cache below, include/lockdepd_chain.h) is not sent,
 *    nor its release; the entry stays unsent until a held record tells the
 *    engine, before the task's next record that depends on what it holds.
 * Where the view can be wrong it errs towards sending: a task holding more
 * than LD_HELD_TRACK locks, or one whose state could not be stored, is
 * never filtered.
 */
#ifndef LOCKDEPD_COMMON_H
#define LOCKDEPD_COMMON_H

#include "lockdepd_event.h"
#include "lockdepd_chain.h"
#include "lockdepd_bpf.h"

#define LD_STACK_RECORD_SIZE (LD_EVENT_FIXED_SIZE + LD_MAX_STACK * 8)
#define LD_SHORT_RECORD_SIZE (LD_EVENT_FIXED_SIZE + 8)
#define LD_TEXT_RECORD_SIZE  (LD_EVENT_FIXED_SIZE + LD_MAX_TEXT)

#define LD_HELD_TRACK LD_HELD_MAX

/* Settings, written by user space before load. */
const volatile __u32 targ_self_tgid = 0;
/* The kernel's PF_* values (kernel_info.c says where they come from). */
const volatile __u32 pf_memalloc = 0;
const volatile __u32 pf_memalloc_nofs = 0;
const volatile __u32 pf_memalloc_noio = 0;
const volatile __u32 pf_kswapd = 0;
/* Ask for a wake-up once this much is waiting; the reader also polls. */
const volatile __u64 wakeup_bytes = 256 * 1024;
/* Unwind a stack only for the first occurrence of an operation (see above). */
const volatile __u32 targ_stack_dedupe = 1;
/* Keep acquisitions the engine has seen in their chain out of the ring buffer (see below). */
const volatile __u32 targ_chain_cache = 0;

/* Counters user space reads. */
__u64 lost_total = 0; /* every record that could not be reserved */
__u64 lost_untracked = 0; /* ... of which no task could be charged */
/* Set once a task's state could not be stored: absent tasks are then not filtered. */
__u32 task_state_full = 0;
/*
 * Set by user space once the lock probes are attached: before that (or on a
 * kernel that refuses them) nothing is known about held locks, and no
 * allocation may be dropped for holding none.
 */
__u32 locks_traced = 0;
/* Set by user space when a chain cache map is full: from then on everything is sent. */
__u32 chain_cache_full = 0;
/* What the chain cache kept back: acquisitions, their releases, allocations; held records sent. */
__u64 chain_skipped_acquires = 0;
__u64 chain_skipped_releases = 0;
__u64 chain_skipped_allocs = 0;
__u64 chain_held_records = 0;

/*
 * What the task took last time at one depth, under one chain, when the
 * engine knew it: the next time the same lock is taken there at the same
 * caller, the cache knows without a map lookup. Valid while chain_gen is
 * what it was (an init, a forgotten ident or new rules move it on).
 */
struct chain_memo {
	__u64 chain;
	__u64 lock;
	__u64 ip;
	__u32 info; /* with LD_CHAIN_IN_RECLAIM */
	__u32 class_id;
	__u64 gen;
};

#define LD_MEMO_DEPTH 8

/* A lock the task holds, as lockdepd_chain.h keys it. */
struct held_entry {
	__u64 lock;
	__u64 ip;
	__u64 chain; /* the chain key with this lock held, LD_CHAIN_NONE when unknown */
	__u32 class_id; /* 0: unknown */
	__u16 info; /* enum ld_lock_type | LD_HELD_F_TRYLOCK */
	__u8 sent; /* the engine knows it is held (its acquire or a held record) */
	__u8 pad;
};

struct task_state {
	__u32 flags; /* LD_TASK_* last sent for this task */
	__u32 nr_held; /* entries of held[] in use */
	__u64 lost; /* records dropped since the last one that went through */
	__u64 held_hash; /* XOR of held_mix() over held[] */
	__u32 reclaim_depth; /* reclaim enters not yet exited */
	__u32 overflow; /* more than LD_HELD_TRACK held at once: never filtered */
	__u32 nr_unsent; /* held[] entries whose acquisition the chain cache kept back */
	__u32 pad;
	/*
	 * mutex_lock_io() and ww_mutex_unlock() call mutex_lock() and
	 * mutex_unlock() for the same lock unless the compiler inlined them:
	 * the outer one leaves the lock here and the inner one, finding it,
	 * is not reported twice.
	 */
	__u64 acquire_mark;
	__u64 release_mark;
	/* What the chain cache kept back for this task, added to the totals in steps
	 * (count_kept()). */
	__u32 kept[3];
	__u32 pad2;
	struct held_entry held[LD_HELD_TRACK]; /* outermost first, as the engine's */
	struct chain_memo memo[LD_MEMO_DEPTH];
};

/* A new task's state, copied from here: too big for the BPF stack. */
static const struct task_state task_state_empty = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/*
 * Tasks that took a traced lock, changed scope, entered reclaim or lost
 * records. An absent task holds nothing, last sent flags 0 (what the
 * engine assumes) and lost nothing. Entries go at task exit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct task_state);
} task_states SEC(".maps");

/*
 * The chain cache (lockdepd_chain.h). lock_idents: the ident of each lock
 * an init named since the probes started (an LRU: an evicted lock falls
 * back to its address's ident, which the engine forgets for any lock an
 * init named). ident_classes and known_chains are written by user space
 * from what the engine has fed: the class of an ident, and the keys of
 * acquisitions and allocations whose consequences are all in the graph.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, __u64);
} lock_idents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u32);
} ident_classes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} known_chains SEC(".maps");

/*
 * Moves on whenever a class the tasks' memos hold may have changed: an
 * init (the probes), a forgotten ident or new rules (user space). A map,
 * not a global: both objects and user space share it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} chain_gen SEC(".maps");

/* Keys of operations whose stack was already sent (see the top comment). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} stacks_sent SEC(".maps");

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The tool's own lock traffic (ring-buffer wake-ups, epoll) is not traced. */
static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_self_tgid;
}

/*
 * The thread id of the task being traced, or 0 for the tool's own: one
 * helper call where is_self() and current_tid() make two. The idle task
 * (0) takes no sleeping lock.
 */
static __always_inline __u32 traced_tid(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	return (id >> 32) == targ_self_tgid ? 0 : (__u32)id;
}

static __always_inline __u32 current_task_flags(void)
{
	/* A BTF pointer: one load, no probe_read call. */
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 pf = task->flags;
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

/* --- task state ------------------------------------------------------------ */

static __always_inline struct task_state *task_state_find(__u32 tid)
{
	return bpf_map_lookup_elem(&task_states, &tid);
}

static __always_inline struct task_state *task_state_get(__u32 tid)
{
	struct task_state *st = bpf_map_lookup_elem(&task_states, &tid);

	if (st)
		return st;
	if (bpf_map_update_elem(&task_states, &tid, &task_state_empty, BPF_NOEXIST) != 0) {
		task_state_full = 1;
		return NULL;
	}
	return bpf_map_lookup_elem(&task_states, &tid);
}

static __always_inline __u64 mix(__u64 x, __u64 seed)
{
	x ^= seed;
	x *= 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

static __always_inline __u64 held_mix(__u64 lock)
{
	return mix(lock, 0x5bd1e9955bd1e995ull);
}

/* The chain key of what the task holds (lockdepd_chain.h). */
static __always_inline __u64 held_chain(const struct task_state *st)
{
	__u32 n;

	if (!st)
		return LD_CHAIN_START;
	n = st->nr_held;
	if (n == 0)
		return LD_CHAIN_START;
	if (n > LD_HELD_TRACK)
		return LD_CHAIN_NONE;
	return st->held[(n - 1) & (LD_HELD_TRACK - 1)].chain;
}

/*
 * The functions below take the task's state as found once per event
 * (*stp may be NULL, and is filled in when they create it): one map lookup
 * per event instead of one per step.
 */
static __always_inline void held_add(__u32 tid, struct task_state **stp, __u64 lock, __u64 ip,
				     __u32 info, __u32 class_id, bool sent)
{
	struct task_state *st = *stp ? *stp : (*stp = task_state_get(tid));
	struct held_entry *h;
	__u32 n;

	if (!st)
		return;
	n = st->nr_held;
	if (n >= LD_HELD_TRACK) {
		st->overflow = 1;
		return;
	}
	h = &st->held[n & (LD_HELD_TRACK - 1)];
	h->lock = lock;
	h->ip = ip;
	h->chain = ld_chain_step(held_chain(st), class_id, ip, info);
	h->class_id = class_id;
	h->info = (__u16)info;
	h->sent = sent;
	st->nr_held = n + 1;
	st->held_hash ^= held_mix(lock);
	if (!sent)
		st->nr_unsent++;
}

#define HELD_ABSENT -1 /* held_remove(): a lock never added */

/*
 * The most recent entry for lock goes, the ones above it move down (the
 * engine keeps its held locks in order, and so does the chain key).
 * Returns whether the engine knew it was held (its acquisition was sent),
 * or HELD_ABSENT for a lock never added (taken before tracing began).
 */
static __always_inline int held_remove(struct task_state *st, __u64 lock)
{
	__u64 chain = LD_CHAIN_START;
	__u32 n, found = LD_HELD_TRACK;
	int sent;

	if (!st)
		return HELD_ABSENT;
	n = st->nr_held;
	if (n == 0 || n > LD_HELD_TRACK)
		return HELD_ABSENT;
	for (__u32 i = 0; i < LD_HELD_TRACK; i++) {
		__u32 at = (n - 1 - i) & (LD_HELD_TRACK - 1);

		if (i >= n)
			break;
		if (st->held[at].lock == lock) {
			found = at;
			break;
		}
	}
	if (found >= LD_HELD_TRACK)
		return HELD_ABSENT;
	sent = st->held[found].sent;
	if (!sent && st->nr_unsent)
		st->nr_unsent--;
	if (found)
		chain = st->held[(found - 1) & (LD_HELD_TRACK - 1)].chain;
	for (__u32 i = 0; i < LD_HELD_TRACK; i++) {
		struct held_entry *h;

		if (i < found)
			continue;
		if (i + 1 >= n)
			break;
		h = &st->held[i & (LD_HELD_TRACK - 1)];
		*h = st->held[(i + 1) & (LD_HELD_TRACK - 1)];
		chain = ld_chain_step(chain, h->class_id, h->ip, h->info);
		h->chain = chain;
	}
	st->nr_held = n - 1;
	st->held_hash ^= held_mix(lock);
	return sent;
}

/* True when the engine can derive nothing from this task's allocation now. */
static __always_inline bool holds_nothing(const struct task_state *st)
{
	if (!locks_traced)
		return false;
	if (!st)
		return !task_state_full;
	return !st->overflow && st->nr_held == 0 && st->reclaim_depth == 0;
}

/*
 * The dedupe key of an operation at `site` on `lock` in the task's current
 * context; 0 when the context is not known well enough to dedupe.
 */
static __always_inline __u64 op_key(const struct task_state *st, __u64 lock, __u64 site,
				    __u64 extra)
{
	__u64 held = 0, ctx = 0;

	if (!targ_stack_dedupe || !site)
		return 0;
	if (st) {
		if (st->overflow)
			return 0;
		held = st->held_hash;
		ctx = (__u64)st->reclaim_depth << 32 | st->flags;
	} else if (task_state_full) {
		return 0;
	}
	return held ^ mix(lock, 0x2545f4914f6cdd1dull) ^ mix(site, 0x9e6c63d0676a9a99ull) ^
		       mix(extra, 0xd6e8feb86659fd93ull) ^ mix(ctx, 0x8ebc6af09c88c6e3ull) |
	       1;
}

/* True the first time key is seen (and remembers it); always true for key 0. */
static __always_inline bool first_time(__u64 key)
{
	__u8 one = 1;

	if (!key)
		return true;
	if (bpf_map_lookup_elem(&stacks_sent, &key))
		return false;
	bpf_map_update_elem(&stacks_sent, &key, &one, BPF_ANY);
	return true;
}

/* --- records ---------------------------------------------------------------- */

static __always_inline void count_lost(__u32 tid, bool chargeable)
{
	struct task_state *st;

	__sync_fetch_and_add(&lost_total, 1);
	if (chargeable) {
		st = task_state_get(tid);
		if (st) {
			__sync_fetch_and_add(&st->lost, 1);
			return;
		}
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

/*
 * Wakes the reader only when this record takes the data waiting across
 * wakeup_bytes, not on every record past it: a wake-up is an interrupt,
 * dearer than the record, and a reader that is behind is awake anyway. A
 * crossing missed (several CPUs' records crossing together) only delays
 * the reader to its next periodic drain.
 */
static __always_inline void submit(void *rec)
{
	__u64 len = (((const struct ld_event *)rec)->size + 8 + 7) & ~7ull; /* with its header */
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (avail >= wakeup_bytes && avail - len < wakeup_bytes)
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
static __always_inline bool task_sync(__u32 tid, struct task_state **stp, bool with_flags)
{
	struct task_state *st = *stp;
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
	/* Without a place to keep it, the next event sends the flags again: redundant, not wrong.
	 */
	if (!st)
		st = *stp = task_state_get(tid);
	if (st)
		st->flags = now;
	return true;
}

/* --- the chain cache --------------------------------------------------------- */

static __always_inline bool chain_cache_on(void)
{
	return targ_chain_cache && !chain_cache_full;
}

/* The class the engine gave lock's ident, 0 when it gave none (yet). */
static __always_inline __u32 lock_class(__u64 lock)
{
	__u64 *found, ident;
	__u32 *class_id;

	if (!chain_cache_on())
		return 0;
	found = bpf_map_lookup_elem(&lock_idents, &lock);
	ident = found ? *found : ld_chain_lock_ident(lock);
	if (ident == LD_CHAIN_NONE)
		return 0;
	class_id = bpf_map_lookup_elem(&ident_classes, &ident);
	return class_id ? *class_id : 0;
}

static __always_inline __u64 *chain_gen_now(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&chain_gen, &zero);
}

static __always_inline bool held_has_lock(const struct task_state *st, __u64 lock)
{
	for (__u32 i = 0; i < LD_HELD_TRACK; i++) {
		if (i >= st->nr_held)
			break;
		if (st->held[i].lock == lock)
			return true;
	}
	return false;
}

/*
 * Whether the engine has fed an acquisition of lock at ip as info under
 * what the task holds now, in the same reclaim context: then this one
 * adds nothing. Never for a lock the task already holds (recursion of an
 * instance is reported, and is the engine's to judge), nor when what the
 * task holds is not exactly known. *ret_class is the lock's class (0 when
 * unknown), for the held entry, either way.
 */
static __always_inline bool chain_keep(struct task_state *st, __u64 lock, __u64 ip, __u32 info,
				       __u32 *ret_class)
{
	__u32 depth = st ? st->nr_held : 0, class_id;
	__u64 chain, key, *gen = chain_gen_now();
	struct chain_memo *memo = NULL;
	bool in_reclaim;

	*ret_class = 0;
	if (!chain_cache_on() || !gen)
		return false;
	if (st && (st->overflow || depth >= LD_HELD_TRACK))
		return false;
	if (!st && task_state_full)
		return false;
	in_reclaim = (current_task_flags() & LD_TASK_KSWAPD) || (st && st->reclaim_depth);
	if (in_reclaim)
		info |= LD_CHAIN_IN_RECLAIM;
	chain = held_chain(st);
	if (st && depth < LD_MEMO_DEPTH) {
		memo = &st->memo[depth & (LD_MEMO_DEPTH - 1)];
		if (memo->gen == *gen && memo->chain == chain && memo->lock == lock &&
		    memo->ip == ip && memo->info == info) {
			*ret_class = memo->class_id;
			return !held_has_lock(st, lock);
		}
	}
	class_id = lock_class(lock);
	*ret_class = class_id;
	if (!class_id || !ip || chain == LD_CHAIN_NONE || (st && held_has_lock(st, lock)))
		return false;
	key = ld_chain_step(chain, class_id, ip, info);
	if (!bpf_map_lookup_elem(&known_chains, &key))
		return false;
	if (memo) {
		memo->gen = *gen;
		memo->chain = chain;
		memo->lock = lock;
		memo->ip = ip;
		memo->info = info;
		memo->class_id = class_id;
	}
	return true;
}

/* Whether an allocation that may enter reclaim, under what the task holds, adds nothing. */
static __always_inline bool chain_alloc_known(const struct task_state *st)
{
	__u64 chain, key;

	if (!chain_cache_on() || !st || st->overflow || st->nr_held == 0)
		return false;
	chain = held_chain(st);
	if (chain == LD_CHAIN_NONE)
		return false;
	key = ld_chain_triple(chain, LD_CHAIN_CLASS_ALLOC, 0, 0, 0);
	return bpf_map_lookup_elem(&known_chains, &key) != NULL;
}

enum kept_kind {
	KEPT_ACQUIRES,
	KEPT_RELEASES,
	KEPT_ALLOCS,
};

#define KEPT_STEP 64

/*
 * One more record kept back. Counted in the task and added to the total
 * KEPT_STEP at a time, and the rest at exit: an atomic on a shared line
 * would cost more than the record. The totals lag by less than KEPT_STEP
 * per living task.
 */
static __always_inline void count_kept(struct task_state *st, __u64 *total, enum kept_kind kind)
{
	if (!st) {
		__sync_fetch_and_add(total, 1);
		return;
	}
	if ((++st->kept[kind] % KEPT_STEP) == 0)
		__sync_fetch_and_add(total, KEPT_STEP);
}

/* A task's share of the totals count_kept() has not added yet. */
static __always_inline void kept_flush(const struct task_state *st)
{
	if (!st)
		return;
	__sync_fetch_and_add(&chain_skipped_acquires, st->kept[KEPT_ACQUIRES] % KEPT_STEP);
	__sync_fetch_and_add(&chain_skipped_releases, st->kept[KEPT_RELEASES] % KEPT_STEP);
	__sync_fetch_and_add(&chain_skipped_allocs, st->kept[KEPT_ALLOCS] % KEPT_STEP);
}

#define LD_HELD_RECORD_SIZE (LD_EVENT_FIXED_SIZE + LD_HELD_MAX * sizeof(struct ld_held_entry))

/*
 * Before a record whose meaning depends on what the task holds: tells the
 * engine everything it holds when the cache kept some acquisitions back.
 * A held record that cannot be written is counted lost, and the engine
 * then forgets what the task holds: it may miss a dependency, never
 * invent one.
 */
static __always_inline bool held_sync(__u32 tid, struct task_state *st)
{
	struct ld_held_entry *out;
	struct ld_event *e;
	__u32 n;

	if (!st || !st->nr_unsent)
		return true;
	n = st->nr_held;
	if (n > LD_HELD_TRACK)
		n = LD_HELD_TRACK;
	for (__u32 i = 0; i < LD_HELD_TRACK; i++)
		st->held[i].sent = 1;
	st->nr_unsent = 0;
	e = reserve(LD_HELD_RECORD_SIZE, tid, true);
	if (!e)
		return false;
	fill_header(e, LD_EV_HELD, tid);
	out = (struct ld_held_entry *)(e + 1);
	for (__u32 i = 0; i < LD_HELD_TRACK; i++) {
		if (i >= n)
			break;
		out[i].lock = st->held[i].lock;
		out[i].ip = st->held[i].ip;
		out[i].info = st->held[i].info;
	}
	e->held.nr = n;
	e->nr_stack = n * LD_HELD_ENTRY_WORDS;
	e->size = LD_EVENT_FIXED_SIZE + n * sizeof(struct ld_held_entry);
	submit(e);
	__sync_fetch_and_add(&chain_held_records, 1);
	return true;
}

/* The memos' classes may be out of date. */
static __always_inline void chain_gen_bump(void)
{
	__u64 *gen = chain_gen_now();

	if (gen)
		__sync_fetch_and_add(gen, 1);
}

/* What the engine will make of an init's lock: the ident of the record's class name. */
static __always_inline void lock_ident_note(__u64 lock, const struct ld_event *e)
{
	__u64 ident = LD_CHAIN_NONE;

	if (!targ_chain_cache)
		return;
	/*
	 * A fallback names only a lock no init named, so it changes nothing
	 * for a lock with an ident; a lock without one may be re-named, and
	 * is not cached from here on.
	 */
	if (e && (e->flags & LD_EV_F_INIT_FALLBACK)) {
		if (!bpf_map_update_elem(&lock_idents, &lock, &ident, BPF_NOEXIST))
			chain_gen_bump();
		return;
	}
	if (e)
		ident = ld_chain_init_ident((const __u64 *)(e + 1), e->text_len, e->init.site,
					    e->flags & LD_EV_F_INIT_RULE);
	bpf_map_update_elem(&lock_idents, &lock, &ident, BPF_ANY);
	chain_gen_bump();
}

/* --- stacks and callers ------------------------------------------------------ */

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

/*
 * The caller of a function traced by fentry/fexit, read from the BPF
 * trampoline's frame without unwinding. The x86 trampoline saves the
 * arguments (and, when it calls the function, a return value slot) right
 * below its frame pointer; above it sit the return address into the traced
 * function (its fentry call) and, one slot higher, the return address into
 * the caller. The layout is checked, not assumed: the slot must hold an
 * address just past the function's start, or 0 is returned and the caller
 * unwinds instead.
 */
static __always_inline __u64 trampoline_caller(void *ctx, __u64 func)
{
	__u64 nargs = bpf_get_func_arg_cnt(ctx);
	__u64 slots[2] = {};
	__u64 off;

	if (nargs > 6)
		return 0;
	off = nargs * 8;
	for (int ret_slot = 0; ret_slot < 2; ret_slot++) {
		/* Frame pointer = ctx + arguments (+ the return value slot). */
		__u64 fp = (__u64)ctx + off + ret_slot * 8;

		if (bpf_probe_read_kernel(slots, sizeof(slots), (void *)(fp + 8)))
			continue;
		if (slots[0] - func < LD_FUNC_ENTRY_SPAN)
			return slots[1];
	}
	return 0;
}

/* The caller of a function traced by fentry/fexit (see trim_to_caller). */
static __always_inline __u64 fentry_caller(void *ctx)
{
	__u64 frames[LD_CALLER_FRAMES] = {};
	__u64 func = bpf_get_func_ip(ctx);
	__u64 caller = trampoline_caller(ctx, func);
	long bytes;
	__u32 nr;

	if (caller)
		return caller;
	bytes = bpf_get_stack(ctx, frames, sizeof(frames), 0);
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
	struct task_state *st = task_state_find(tid);
	struct ld_event *e;

	if (!task_sync(tid, &st, false)) {
		count_lost(tid, true);
		lock_ident_note(lock, NULL);
		return 0;
	}
	e = reserve(LD_TEXT_RECORD_SIZE, tid, true);
	if (!e) {
		lock_ident_note(lock, NULL);
		return 0;
	}
	fill_header(e, LD_EV_INIT, tid);
	e->init.lock = lock;
	e->init.site = site;
	finish_text(e, record_kernel_text(e, name));
	lock_ident_note(lock, e);
	submit(e);
	return 0;
}

static __always_inline int emit_reclaim(__u8 kind, __u8 state, __u64 fn)
{
	__u32 tid = current_tid();
	struct task_state *st = task_state_find(tid);
	struct ld_event *e;

	/* Before the record: an allocation right after an enter must not be dropped. */
	if (state == LD_RECLAIM_ENTER) {
		if (!st)
			st = task_state_get(tid);
		if (st)
			st->reclaim_depth++;
	}
	if (!task_sync(tid, &st, state == LD_RECLAIM_ENTER)) {
		count_lost(tid, true);
	} else {
		e = event_new(LD_EV_RECLAIM, tid, true);
		if (e) {
			e->reclaim.fn = fn;
			e->reclaim.kind = kind;
			e->reclaim.state = state;
			submit(e);
		}
	}
	if (state == LD_RECLAIM_EXIT && st && st->reclaim_depth)
		st->reclaim_depth--;
	return 0;
}

#endif
