/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Accessors and names for the event ABI of include/lockdepd_event.h. */
#ifndef LOCKDEPD_EVENT_UTIL_H
#define LOCKDEPD_EVENT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "lockdepd_event.h"

static inline const __u64 *ld_event_stack(const struct ld_event *ev)
{
	return (const __u64 *)(ev + 1);
}

static inline const char *ld_event_text(const struct ld_event *ev)
{
	return (const char *)(ld_event_stack(ev) + ev->nr_stack);
}

/* A held record's entries, outermost first; ev->held.nr of them. */
static inline const struct ld_held_entry *ld_event_held(const struct ld_event *ev)
{
	return (const struct ld_held_entry *)(ev + 1);
}

/* An entry's info: the lock type in the low byte, LD_HELD_F_TRYLOCK above. */
#define LD_HELD_INFO_TYPE 0xffu

static inline unsigned int ld_held_entry_type(const struct ld_held_entry *entry)
{
	return entry->info & LD_HELD_INFO_TYPE;
}

static inline bool ld_held_entry_trylock(const struct ld_held_entry *entry)
{
	return entry->info & LD_HELD_F_TRYLOCK;
}

/*
 * Buffers for any record are sized for a full stack and a full text; the
 * longest held record fits in them.
 */
_Static_assert((LD_HELD_MAX * LD_HELD_ENTRY_WORDS) <= LD_MAX_STACK + LD_MAX_TEXT / 8,
	       "a held record fits where a stack and a text would");

static inline size_t ld_event_size_for(size_t nr_stack, size_t text_len)
{
	return (LD_EVENT_FIXED_SIZE + nr_stack * sizeof(__u64) + text_len + 7) & ~(size_t)7;
}

/*
 * Checks that a record of `avail` bytes is self-consistent (size, stack and
 * text inside the record, known type and enum values; a held record's
 * entries where its stack would be). Readers of untrusted
 * input (trace files, the ring buffer) call it before anything else looks
 * at the record. Returns 0 or -EINVAL.
 */
int ld_event_validate(const struct ld_event *ev, size_t avail);

/* Text form names ("acquire", "ww_mutex", "shrinker", ...); NULL if out of range. */
const char *ld_event_type_name(unsigned int type);
const char *ld_lock_type_name(unsigned int type);
const char *ld_reclaim_kind_name(unsigned int kind);
const char *ld_reclaim_state_name(unsigned int state);

/* Reverse lookups: -1 when unknown. */
int ld_event_type_from_name(const char *name);
int ld_lock_type_from_name(const char *name);
int ld_reclaim_kind_from_name(const char *name);
int ld_reclaim_state_from_name(const char *name);

/*
 * Where an init event's class name came from, as the text form's `named=`
 * says it: an init call (the default), a lock_args rule at the init
 * function's return (LD_EV_F_INIT_RULE), or one at an entry point, which
 * only names locks no init named (also LD_EV_F_INIT_FALLBACK).
 */
enum ld_init_origin {
	LD_INIT_ORIGIN_INIT = 0,
	LD_INIT_ORIGIN_RULE,
	LD_INIT_ORIGIN_ENTRY,
};

const char *ld_init_origin_name(unsigned int origin);
int ld_init_origin_from_name(const char *name);
unsigned int ld_init_origin(__u32 flags);
__u32 ld_init_origin_flags(unsigned int origin);

/* LD_TASK_* from "PF_MEMALLOC_NOFS|PF_MEMALLOC" or "0" or hex; -EINVAL if unknown. */
int ld_task_flags_parse(const char *text, __u32 *ret_value);
/* Writes "PF_MEMALLOC|PF_MEMALLOC_NOFS" or "0". */
int ld_task_flags_format(__u32 value, char *buf, size_t len);

#endif
