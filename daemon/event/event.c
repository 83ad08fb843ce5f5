// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event.h"
#include "lib/macro.h"

static const char *const event_type_names[LD_EV_TYPE_MAX] = {
	[LD_EV_INIT] = "init",	 [LD_EV_ACQUIRE] = "acquire", [LD_EV_RELEASE] = "release",
	[LD_EV_ALLOC] = "alloc", [LD_EV_RECLAIM] = "reclaim", [LD_EV_FLAGS] = "flags",
	[LD_EV_EXIT] = "exit",	 [LD_EV_MARK] = "mark",	      [LD_EV_LOST] = "lost",
	[LD_EV_HELD] = "held",
};

static const char *const lock_type_names[LD_LOCK_TYPE_MAX] = {
	[LD_LOCK_MUTEX] = "mutex",	     [LD_LOCK_WW_MUTEX] = "ww_mutex",
	[LD_LOCK_RWSEM_READ] = "rwsem_read", [LD_LOCK_RWSEM_WRITE] = "rwsem_write",
	[LD_LOCK_SPINLOCK] = "spinlock",
};

static const char *const reclaim_kind_names[LD_RECLAIM_KIND_MAX] = {
	[LD_RECLAIM_DIRECT] = "direct",	    [LD_RECLAIM_KSWAPD] = "kswapd",
	[LD_RECLAIM_SHRINKER] = "shrinker", [LD_RECLAIM_OOM] = "oom",
	[LD_RECLAIM_VMAP] = "vmap",
};

static const char *const reclaim_state_names[] = {
	[LD_RECLAIM_ENTER] = "enter",
	[LD_RECLAIM_EXIT] = "exit",
};

/* Where an init event's class name came from: its init flags, as the text form names them. */
static const char *const init_origin_names[] = {
	[LD_INIT_ORIGIN_INIT] = "init",
	[LD_INIT_ORIGIN_RULE] = "rule",
	[LD_INIT_ORIGIN_ENTRY] = "entry",
};

static const struct {
	const char *name;
	__u32 bit;
} task_flag_names[] = {
	{ "PF_MEMALLOC", LD_TASK_MEMALLOC },
	{ "PF_MEMALLOC_NOFS", LD_TASK_MEMALLOC_NOFS },
	{ "PF_MEMALLOC_NOIO", LD_TASK_MEMALLOC_NOIO },
	{ "PF_KSWAPD", LD_TASK_KSWAPD },
};

#define LD_TASK_ALL \
	(LD_TASK_MEMALLOC | LD_TASK_MEMALLOC_NOFS | LD_TASK_MEMALLOC_NOIO | LD_TASK_KSWAPD)

static const char *name_at(const char *const *names, size_t nr, unsigned int i)
{
	return i < nr ? names[i] : NULL;
}

static int name_index(const char *const *names, size_t nr, const char *name)
{
	for (size_t i = 0; i < nr; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *ld_event_type_name(unsigned int type)
{
	return name_at(event_type_names, ARRAY_SIZE(event_type_names), type);
}

const char *ld_lock_type_name(unsigned int type)
{
	return name_at(lock_type_names, ARRAY_SIZE(lock_type_names), type);
}

const char *ld_reclaim_kind_name(unsigned int kind)
{
	return name_at(reclaim_kind_names, ARRAY_SIZE(reclaim_kind_names), kind);
}

const char *ld_reclaim_state_name(unsigned int state)
{
	return name_at(reclaim_state_names, ARRAY_SIZE(reclaim_state_names), state);
}

const char *ld_init_origin_name(unsigned int origin)
{
	return name_at(init_origin_names, ARRAY_SIZE(init_origin_names), origin);
}

int ld_init_origin_from_name(const char *name)
{
	return name_index(init_origin_names, ARRAY_SIZE(init_origin_names), name);
}

unsigned int ld_init_origin(__u32 flags)
{
	if (flags & LD_EV_F_INIT_FALLBACK)
		return LD_INIT_ORIGIN_ENTRY;
	return flags & LD_EV_F_INIT_RULE ? LD_INIT_ORIGIN_RULE : LD_INIT_ORIGIN_INIT;
}

__u32 ld_init_origin_flags(unsigned int origin)
{
	switch (origin) {
	case LD_INIT_ORIGIN_RULE:
		return LD_EV_F_INIT_RULE;
	case LD_INIT_ORIGIN_ENTRY:
		return LD_EV_F_INIT_RULE | LD_EV_F_INIT_FALLBACK;
	default:
		return 0;
	}
}

int ld_event_type_from_name(const char *name)
{
	return name_index(event_type_names, ARRAY_SIZE(event_type_names), name);
}

int ld_lock_type_from_name(const char *name)
{
	return name_index(lock_type_names, ARRAY_SIZE(lock_type_names), name);
}

int ld_reclaim_kind_from_name(const char *name)
{
	return name_index(reclaim_kind_names, ARRAY_SIZE(reclaim_kind_names), name);
}

int ld_reclaim_state_from_name(const char *name)
{
	return name_index(reclaim_state_names, ARRAY_SIZE(reclaim_state_names), name);
}

/*
 * A held record: its entries fill its stack and the record exactly (they
 * are all it carries), each a known lock type with no other bits.
 */
static int held_validate(const struct ld_event *ev)
{
	const struct ld_held_entry *entries = ld_event_held(ev);

	if (ev->held.nr > LD_HELD_MAX || ev->nr_stack != ev->held.nr * LD_HELD_ENTRY_WORDS ||
	    ev->text_len || ev->size != ld_event_size_for(ev->nr_stack, 0))
		return -EINVAL;
	for (unsigned int i = 0; i < ev->held.nr; i++)
		if ((entries[i].info & ~(__u64)(LD_HELD_F_TRYLOCK | LD_HELD_INFO_TYPE)) ||
		    ld_held_entry_type(&entries[i]) >= LD_LOCK_TYPE_MAX)
			return -EINVAL;
	return 0;
}

int ld_event_validate(const struct ld_event *ev, size_t avail)
{
	/* A held record's entries take its stack's place, and more room. */
	size_t max_stack = LD_MAX_STACK;

	if (avail < LD_EVENT_FIXED_SIZE || ev->size < LD_EVENT_FIXED_SIZE || ev->size > avail ||
	    ev->size % 8)
		return -EINVAL;
	if (ev->type == LD_EV_HELD)
		max_stack = LD_HELD_MAX * LD_HELD_ENTRY_WORDS;
	if (ev->nr_stack > max_stack || ev->text_len > LD_MAX_TEXT)
		return -EINVAL;
	if (ld_event_size_for(ev->nr_stack, ev->text_len) > ev->size)
		return -EINVAL;
	if (!ld_event_type_name(ev->type))
		return -EINVAL;
	switch (ev->type) {
	case LD_EV_ACQUIRE:
		if (ev->acquire.lock_type >= LD_LOCK_TYPE_MAX || ev->acquire.trylock > 1)
			return -EINVAL;
		break;
	case LD_EV_RECLAIM:
		if (ev->reclaim.kind >= LD_RECLAIM_KIND_MAX || ev->reclaim.state > LD_RECLAIM_EXIT)
			return -EINVAL;
		break;
	case LD_EV_FLAGS:
		if (ev->task_flags.value & ~LD_TASK_ALL)
			return -EINVAL;
		break;
	case LD_EV_HELD:
		return held_validate(ev);
	default:
		break;
	}
	return 0;
}

int ld_task_flags_parse(const char *text, __u32 *ret_value)
{
	__u32 value = 0;
	const char *p = text;

	if (!*text)
		return -EINVAL;
	if (strncmp(text, "0x", 2) == 0 || strcmp(text, "0") == 0) {
		char *end;
		unsigned long v = strtoul(text, &end, 16);

		if (*end || v & ~(unsigned long)LD_TASK_ALL)
			return -EINVAL;
		*ret_value = (__u32)v;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, "|");
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(task_flag_names); i++) {
			if (strlen(task_flag_names[i].name) == len &&
			    strncmp(task_flag_names[i].name, p, len) == 0) {
				value |= task_flag_names[i].bit;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		p += len;
		if (*p == '|' && *++p == '\0')
			return -EINVAL;
	}
	*ret_value = value;
	return 0;
}

int ld_task_flags_format(__u32 value, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (value == 0)
		return snprintf(buf, len, "0") < (int)len ? 0 : -ENOSPC;
	for (size_t i = 0; i < ARRAY_SIZE(task_flag_names); i++) {
		int n;

		if (!(value & task_flag_names[i].bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "|" : "", task_flag_names[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += n;
	}
	return 0;
}
