/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the BPF objects and their user-space half (daemon/source/live/live.c) agree on
 * beyond the event ABI of include/lockdepd_event.h: private records that
 * never leave the live source, the slot counts of the entry object and the
 * settings' limits. Included by BPF after vmlinux.h and by user space after
 * <linux/types.h>.
 */
#ifndef LOCKDEPD_BPF_H
#define LOCKDEPD_BPF_H

/*
 * Records with a type at or above this value are messages from the probes
 * to the live source (a module's symbols), consumed there and never handed
 * to the engine or written to a trace.
 */
#define LD_BPF_PRIVATE_BASE 0x8000
/*
 * A module is loading: MODULE_LOAD (text: its name), then one MODULE_SYM
 * per code or data symbol (raw[0] address, raw[1] size, raw[2] the
 * kallsyms type letter; text: the name), then MODULE_DONE.
 */
#define LD_BPF_EV_MODULE_LOAD (LD_BPF_PRIVATE_BASE + 1)
#define LD_BPF_EV_MODULE_SYM  (LD_BPF_PRIVATE_BASE + 2)
#define LD_BPF_EV_MODULE_DONE (LD_BPF_PRIVATE_BASE + 3)

/*
 * lockdepd_entry.bpf.c: function entry points that depend on what is
 * loaded, configured per slot before load. A reclaim slot marks a driver
 * function as reclaim context (the i915/xe shrinker callbacks); a lock-arg
 * slot names the lock found at an argument's member (rules' lock_args).
 * libbpf cannot clone a program, so each slot is its own program and the
 * counts cap how many can be watched at once.
 */
#define LD_RECLAIM_SLOTS     8
#define LD_LOCKARG_SLOTS     32
#define LD_LOCKARG_CLASS_LEN 64
/*
 * Pointers a lock_args member path may follow from the argument to the
 * lock ("vma->vm->mutex" follows two); each slot's path is that many
 * offsets to a pointer and one last offset to the lock.
 */
#define LD_LOCKARG_MAX_DEREFS 3

/*
 * Frames searched for the traced function's own return address (its
 * fentry call site), after which the caller's frames begin; and how far
 * past the function's start that address may lie (call at +0, or +4 after
 * an endbr64).
 */
#define LD_TRIM_SCAN	   8
#define LD_FUNC_ENTRY_SPAN 16

/* The short stack fentry programs unwind to find their caller. */
#define LD_CALLER_FRAMES 6

#endif
