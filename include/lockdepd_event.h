/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event ABI: the records the BPF programs write into the ring buffer
 * and the engine consumes (the binary trace file encodes them compactly,
 * see daemon/source/trace/trace_binary_layout.h). Both sides include this
 * header: BPF after vmlinux.h, user space after <linux/types.h>.
 *
 * A record is a fixed part (struct ld_event) followed by nr_stack return
 * addresses (__u64) and then text_len bytes of text (no NUL), the whole
 * padded to a multiple of 8 bytes and recorded in `size`. Only init (the
 * class name) and mark (the kernel log line) carry text; acquire and alloc
 * carry stacks. A held record's "stack" is its struct ld_held_entry list,
 * LD_HELD_ENTRY_WORDS words an entry.
 *
 * Addresses (lock, ip, site, fn, stack frames) are kernel addresses; their
 * names live in a symbol table beside the events (the trace file's symbol
 * records, or /proc/kallsyms when live). Values whose meaning depends on the
 * kernel are either normalised here (task flags) or described by the trace
 * header (gfp bits).
 *
 * Changing this layout is an ABI change: bump LD_EVENT_ABI_VERSION, which
 * the trace file header records.
 */
#ifndef LOCKDEPD_EVENT_H
#define LOCKDEPD_EVENT_H

#define LD_EVENT_ABI_VERSION 3

#define LD_COMM_LEN  16
#define LD_MAX_STACK 32
#define LD_MAX_TEXT  256

enum ld_event_type {
	LD_EV_INIT = 1, /* a lock is initialised: its class name and init site */
	LD_EV_ACQUIRE, /* an attempt to take a lock, with its result */
	LD_EV_RELEASE,
	LD_EV_ALLOC, /* an allocation with its gfp flags */
	LD_EV_RECLAIM, /* the task enters or leaves reclaim context */
	LD_EV_FLAGS, /* the task's memalloc scope changes */
	LD_EV_EXIT, /* the task exits: whatever it held is forgotten */
	LD_EV_MARK, /* a kernel log line, used to attribute findings to tests */
	LD_EV_LOST, /* events were dropped */
	LD_EV_HELD, /* what the task holds now (the chain cache left some out) */
	LD_EV_TYPE_MAX,
};

enum ld_lock_type {
	LD_LOCK_MUTEX = 0,
	LD_LOCK_WW_MUTEX,
	LD_LOCK_RWSEM_READ,
	LD_LOCK_RWSEM_WRITE,
	LD_LOCK_SPINLOCK,
	LD_LOCK_TYPE_MAX,
};

enum ld_reclaim_kind {
	LD_RECLAIM_DIRECT = 0,
	LD_RECLAIM_KSWAPD,
	LD_RECLAIM_SHRINKER,
	LD_RECLAIM_OOM,
	LD_RECLAIM_VMAP,
	LD_RECLAIM_KIND_MAX,
};

enum ld_reclaim_state {
	LD_RECLAIM_ENTER = 0,
	LD_RECLAIM_EXIT = 1,
};

/*
 * The task's memalloc scope, normalised: the kernel's PF_* values are
 * private macros that have moved between releases, so the BPF side
 * translates them into these bits.
 */
#define LD_TASK_MEMALLOC      (1u << 0)
#define LD_TASK_MEMALLOC_NOFS (1u << 1)
#define LD_TASK_MEMALLOC_NOIO (1u << 2)
#define LD_TASK_KSWAPD	      (1u << 3)

/* ld_event.flags */
#define LD_EV_F_TIME	 (1u << 0) /* time_ns is valid */
#define LD_EV_F_LOST_PID (1u << 1) /* lost: only task `pid` lost events */
/*
 * init: the text is a class of the rules (a lock_args rule), not an init
 * name, so it is used as it is rather than keyed by its site.
 */
#define LD_EV_F_INIT_RULE (1u << 2)
/*
 * init: seen at a function's entry, not at the lock's init, so it only
 * names a lock that no init named; the class an init gave is the truth.
 */
#define LD_EV_F_INIT_FALLBACK (1u << 3)

struct ld_event {
	__u16 type; /* enum ld_event_type */
	__u16 size; /* whole record in bytes, multiple of 8 */
	__u16 nr_stack; /* __u64 frames after the fixed part, innermost first */
	__u16 text_len; /* bytes of text after the stack */
	__u32 pid; /* kernel task id (a thread) */
	__u32 flags; /* LD_EV_F_* */
	__u64 time_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	union {
		struct {
			__u64 lock;
			__u64 site; /* caller of the init function */
		} init;
		struct {
			__u64 lock;
			__u64 ip; /* caller of the lock function */
			__u64 ctx; /* ww_acquire_ctx, 0 for none */
			__s32 ret; /* 0 taken; -EINTR, -EDEADLK, -EBUSY (failed trylock) */
			__u8 lock_type; /* enum ld_lock_type */
			__u8 trylock;
			__u8 pad[2];
		} acquire;
		struct {
			__u64 lock;
			__u64 ip;
		} release;
		struct {
			__u64 gfp; /* raw gfp_t of the traced kernel, see the trace header */
			__u64 site;
		} alloc;
		struct {
			__u64 fn; /* the shrinker scan function or the entry point */
			__u8 kind; /* enum ld_reclaim_kind */
			__u8 state; /* enum ld_reclaim_state */
			__u8 pad[6];
		} reclaim;
		struct {
			__u32 value; /* LD_TASK_* */
			__u32 pad;
		} task_flags;
		struct {
			__u64 count;
		} lost;
		struct {
			__u32 nr; /* struct ld_held_entry after the fixed part */
			__u32 pad;
		} held;
		__u64 raw[4];
	};
	char comm[LD_COMM_LEN]; /* acquire only; may be empty */
};

#define LD_EVENT_FIXED_SIZE ((unsigned int)sizeof(struct ld_event))

/*
 * The chain cache (include/lockdepd_chain.h) keeps the acquisitions the
 * engine has already seen in their context out of the ring buffer, and
 * their releases with them. The engine then no longer knows everything a
 * task holds: before the next record of the task that depends on it (an
 * acquire or an allocation), a held record lists every lock the task
 * holds, outermost first. The engine keeps what it knew of the locks it
 * already held and takes the others as held from here on, without a
 * dependency (their acquisitions made none that was not known).
 */
#define LD_HELD_MAX	  16
#define LD_HELD_F_TRYLOCK (1u << 8)

struct ld_held_entry {
	__u64 lock;
	__u64 ip; /* caller of the lock function */
	__u64 info; /* enum ld_lock_type | LD_HELD_F_TRYLOCK */
};

#define LD_HELD_ENTRY_WORDS (sizeof(struct ld_held_entry) / sizeof(__u64))

#endif /* LOCKDEPD_EVENT_H */
