/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The grammar of the text form, which its reader (trace_text_read.c) and
 * its formatter (trace_text_write.c) share: one event per line, for people
 * and tests.
 *
 *   [t=NS] is allowed on every event; keys may come in any order, the
 *   canonical order below is what text_event__format() prints:
 *   init    [pid=] lock= name= [site=] [named=rule|entry]
 *   acquire pid= lock= [type=] [try=1] [ctx=] [ret=] [ip=] [stack=a;b;c] [comm=]
 *   release pid= lock= [ip=]
 *   alloc   pid= gfp= [site=] [stack=]
 *   reclaim pid= state= kind= [fn=]
 *   flags   pid= value=
 *   exit    pid=
 *   mark    [pid=] text=
 *   lost    count= [pid=]
 *   held    pid= [locks=LOCK:TYPE[:try][@IP],...]  (outermost first)
 *   header  [kernel=] [gfp=NAME=MASK,...]     (first non-comment line only)
 *
 * Beyond the bare grammar, so that every binary event
 * prints as text and reads back identically:
 *  - release takes an optional ip, init and mark an optional pid;
 *  - quoted values know \" \\ \n \t \r and \xHH, so any byte of a class
 *    name or a kernel log line survives the round trip;
 *  - comm longer than 15 bytes is cut to 15, as the kernel's TASK_COMM_LEN
 *    does, rather than refused;
 *  - an address value is 0x-hex, or else a symbol name interned in the
 *    symtab; a value starting with another digit is refused (a decimal
 *    address is almost certainly a mistake);
 *  - a `#` starts a comment only at the start of a token, so class names
 *    like "&obj->lock#2" need no quotes;
 *  - a held entry's TYPE is always named; `@IP` is left out when the ip is
 *    0, and an empty or absent `locks=` holds nothing. Names holding one of
 *    the entry separators `,:@` are printed as addresses, like stack frames
 *    whose name holds a `;`.
 */
#ifndef LOCKDEPD_TRACE_TEXT_GRAMMAR_H
#define LOCKDEPD_TRACE_TEXT_GRAMMAR_H

#include <errno.h>
#include <stdbool.h>

#include "event/event.h"

enum key_id {
	K_T,
	K_PID,
	K_LOCK,
	K_NAME,
	K_SITE,
	K_TYPE,
	K_TRY,
	K_CTX,
	K_RET,
	K_IP,
	K_STACK,
	K_COMM,
	K_GFP,
	K_STATE,
	K_KIND,
	K_FN,
	K_VALUE,
	K_TEXT,
	K_COUNT,
	K_NAMED,
	K_LOCKS,
	K_MAX,
	K_END = K_MAX, /* terminates the per-event key lists */
};

static const char *const key_names[K_MAX] = {
	[K_T] = "t",	     [K_PID] = "pid",	  [K_LOCK] = "lock",   [K_NAME] = "name",
	[K_SITE] = "site",   [K_TYPE] = "type",	  [K_TRY] = "try",     [K_CTX] = "ctx",
	[K_RET] = "ret",     [K_IP] = "ip",	  [K_STACK] = "stack", [K_COMM] = "comm",
	[K_GFP] = "gfp",     [K_STATE] = "state", [K_KIND] = "kind",   [K_FN] = "fn",
	[K_VALUE] = "value", [K_TEXT] = "text",	  [K_COUNT] = "count", [K_NAMED] = "named",
	[K_LOCKS] = "locks",
};

#define BIT(k) (1u << (k))

/* Each event's keys in canonical order, and which of them are required. */
static const struct {
	enum key_id keys[12];
	unsigned int required;
} event_keys[LD_EV_TYPE_MAX] = {
	[LD_EV_INIT] = { { K_T, K_PID, K_LOCK, K_NAME, K_SITE, K_NAMED, K_END }, BIT(K_LOCK) | BIT(K_NAME) },
	[LD_EV_ACQUIRE] = { { K_T, K_PID, K_LOCK, K_TYPE, K_TRY, K_CTX, K_RET, K_IP, K_STACK,
			      K_COMM, K_END },
			    BIT(K_PID) | BIT(K_LOCK) },
	[LD_EV_RELEASE] = { { K_T, K_PID, K_LOCK, K_IP, K_END }, BIT(K_PID) | BIT(K_LOCK) },
	[LD_EV_ALLOC] = { { K_T, K_PID, K_GFP, K_SITE, K_STACK, K_END }, BIT(K_PID) | BIT(K_GFP) },
	[LD_EV_RECLAIM] = { { K_T, K_PID, K_STATE, K_KIND, K_FN, K_END },
			    BIT(K_PID) | BIT(K_STATE) | BIT(K_KIND) },
	[LD_EV_FLAGS] = { { K_T, K_PID, K_VALUE, K_END }, BIT(K_PID) | BIT(K_VALUE) },
	[LD_EV_EXIT] = { { K_T, K_PID, K_END }, BIT(K_PID) },
	[LD_EV_MARK] = { { K_T, K_PID, K_TEXT, K_END }, BIT(K_TEXT) },
	[LD_EV_LOST] = { { K_T, K_COUNT, K_PID, K_END }, BIT(K_COUNT) },
	[LD_EV_HELD] = { { K_T, K_PID, K_LOCKS, K_END }, BIT(K_PID) },
};

static const struct {
	const char *name;
	int value;
} errno_names[] = {
	{ "-EDEADLK", -EDEADLK },
	{ "-EINTR", -EINTR },
	{ "-EBUSY", -EBUSY },
	{ "-EAGAIN", -EAGAIN },
};

/* Blanks separate tokens; a value holding one must be quoted. */
static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

#endif
