/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The binary form of a trace on disk, shared by its reader
 * (trace_binary_read.c) and its writer (trace_binary_write.c): zstd frames
 * one after the other (what `zstd -d` reads as one stream) whose content is
 * a header and a sequence of records, all little-endian (the host's layout;
 * lockdepd runs on x86-64). Where the frames end says nothing about the
 * records.
 *
 *   header   magic "LDTRACE\0", format version major.minor, header size,
 *            event ABI version, gfp entry count, creation time (realtime ns),
 *            then NUL-terminated strings: kernel release, clock name, and
 *            per gfp entry a __u64 mask followed by its NUL-terminated name;
 *            padded to a multiple of 8.
 *
 * Records, each a multiple of 4 bytes. A record whose first byte is an
 * event type (1 .. LD_EV_TYPE_MAX - 1) is an event, with a fixed layout per
 * type:
 *
 *   every event  u8 type, u8 flags (LD_EV_F_*), u16 aux, u32 time delta,
 *                u32 task
 *   init         + u32 lock, u32 site (an address: the init call), text
 *                (aux bytes)
 *   acquire      + u32 lock, u32 site; aux = lock type | trylock << 8, and
 *                with 0x200 set (a ctx or a failure) + u32 ctx, s32 ret
 *   release      + u32 lock, u32 ip
 *   alloc        + u64 gfp, u32 site
 *   reclaim      + u32 fn; aux = kind | state << 8
 *   flags        + u32 value
 *   exit         (nothing)
 *   mark         + text (aux bytes)
 *   lost         + u64 count
 *   held         + aux entries (at most LD_HELD_MAX) of u32 lock, u32 ip,
 *                outermost first, then a byte each: lock type | trylock
 *                << 7 (event ABI 3 on)
 *
 * and text and the held bytes are padded with zeros to a multiple of 4.
 * Addresses (lock, ip, ctx, fn, stack frames, held locks and their ips),
 * stacks, tasks and sites are ids into
 * dictionaries that file records build as the writer meets new values,
 * always before the first event using them; id 0 is address 0, no stack,
 * pid 0 without a comm, no site. A task is a pid and the comm its acquires
 * carry (other events use the pid's task without one); a site is an ip and
 * the stack taken there, as an acquire or an allocation reports them. File
 * records are u8 type, u8 0, u16 arg, u32 size (the whole record), then:
 *
 *   0x80 address  the next address id: u64 addr, then its symbol name
 *                 (arg bytes, NUL-terminated, padded) when it has one
 *   0x81 stack    the next stack id: arg frames as u32 address ids,
 *                 innermost first
 *   0x83 time     u64: the time in ns the next time delta counts from
 *   0x84 end      u64: the number of events in the file; nothing follows
 *   0x85 task     the next task id: u32 pid, char comm[16]
 *   0x86 site     the next site id: u32 ip (an address id), u32 stack id
 *
 * (0x82 is not used.) The time of an event with LD_EV_F_TIME is the
 * previous timed event's time (or the last time record) plus its delta; a
 * gap that does not fit a u32, or time going backwards, gets a time record.
 * So an acquire and a release are 20 bytes each (21 bytes an event on the
 * benchmark's trace, against 122 as struct ld_event with its stack). Fixed
 * places rather than varints: decoding is loads and bounds checks, not a
 * byte-by-byte parse whose lengths no branch predictor follows. What zstd
 * does not have to inflate it does not spend time on, so the fields an
 * acquire seldom uses (ctx, ret) and those a site or a task decides (ip and
 * stack, comm) stay out of the records (BENCHMARKS.md weighs the
 * encodings). What the ABI leaves undefined is not stored and reads back as
 * zero: padding, unused union words, the time of an event without
 * LD_EV_F_TIME, comm outside acquire, stacks outside acquire and alloc,
 * text outside init and mark, flag bits above the eighth, and a record size
 * beyond the minimum.
 *
 * Versioning: a new major version is a layout readers cannot read, and is
 * refused with a clear message, as are the older majors this reader no
 * longer reads; a new minor version only adds file record types (0xc0 and
 * up), which readers of an older minor skip.
 *
 * Crash safety: the writer ends a zstd block (ZSTD_e_flush) and flushes
 * stdio after the header and when asked, and ends a frame after every
 * WRITER_FLUSH_BYTES of records, so a file cut off anywhere decodes up to
 * its last flush or frame; dictionary records always come before the
 * events using them, so what was flushed is readable alone. The reader
 * treats a missing end record as truncation (warn, return what was there),
 * and anything inconsistent as corruption (one line with the byte offset in
 * the decompressed stream and the record number, -EINVAL).
 */
#ifndef LOCKDEPD_TRACE_BINARY_LAYOUT_H
#define LOCKDEPD_TRACE_BINARY_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "event/event.h"

#define TRACE_MAGIC	   "LDTRACE"
#define TRACE_MAGIC_LEN	   8
#define TRACE_FORMAT_MAJOR 3
#define TRACE_FORMAT_MINOR 0
/*
 * Event ABI 2 only gave init events flags that ABI 1 never set, and ABI 3
 * only added held records: traces of all three read alike.
 */
#define TRACE_EVENT_ABI_OLDEST 1
#define TRACE_CLOCK	   "monotonic"
#define HEADER_FIXED_SIZE  32
#define HEADER_MAX_SIZE	   65536
#define SYMBOL_NAME_MAX	   4095
#define KERNEL_RELEASE_MAX 255

#define REC_FILE_FIRST	    0x80
#define REC_ADDR	    0x80
#define REC_STACK	    0x81
#define REC_TIME	    0x83
#define REC_END		    0x84
#define REC_TASK	    0x85
#define REC_SITE	    0x86
#define REC_EXTENSION_FIRST 0xc0 /* newer minor versions: skipped */

/* Acquire aux: ctx and ret follow the site. */
#define ACQUIRE_EXTENDED  0x200
/* A held entry's byte: the lock type, and this bit for a trylock. */
#define HELD_TRYLOCK 0x80
/* The first event ABI with held records. */
#define HELD_EVENT_ABI	  3
#define FILE_HEADER_SIZE  8
#define FILE_RECORD_MAX	  (FILE_HEADER_SIZE + 8 + 65536)
#define EVENT_HEADER_SIZE 12
#define EVENT_RECORD_MAX  (EVENT_HEADER_SIZE + 8 + LD_MAX_TEXT + 4)

/*
 * The writer ends a frame when this much is staged; the reader keeps room
 * for a whole such frame, so that zstd inflates it in one go.
 */
#define WRITER_FLUSH_BYTES (512 * 1024)

struct file_header {
	char magic[TRACE_MAGIC_LEN];
	__u16 version_major;
	__u16 version_minor;
	__u32 size;
	__u16 event_abi;
	__u16 nr_gfp;
	__u32 reserved;
	__u64 created_ns;
};

_Static_assert(sizeof(struct file_header) == HEADER_FIXED_SIZE, "header layout");

/* A stack in a dictionary: where its frames start in a frames[] array, and how many. */
struct stack_ref {
	__u32 first; /* index of its innermost frame */
	__u32 nr;
};

/* A task: a pid with the comm its acquires carry (none for other events). */
struct task_ref {
	__u64 pid;
	char comm[LD_COMM_LEN];
};

/* Bytes of each event record before its text, an acquire without ACQUIRE_EXTENDED. */
static const unsigned char event_record_base[LD_EV_TYPE_MAX] = {
	[LD_EV_INIT] = EVENT_HEADER_SIZE + 8,	 [LD_EV_ACQUIRE] = EVENT_HEADER_SIZE + 8,
	[LD_EV_RELEASE] = EVENT_HEADER_SIZE + 8, [LD_EV_ALLOC] = EVENT_HEADER_SIZE + 12,
	[LD_EV_RECLAIM] = EVENT_HEADER_SIZE + 4, [LD_EV_FLAGS] = EVENT_HEADER_SIZE + 4,
	[LD_EV_EXIT] = EVENT_HEADER_SIZE,	 [LD_EV_MARK] = EVENT_HEADER_SIZE,
	[LD_EV_LOST] = EVENT_HEADER_SIZE + 8,	 [LD_EV_HELD] = EVENT_HEADER_SIZE,
};

static inline bool event_has_text(unsigned int type)
{
	return type == LD_EV_INIT || type == LD_EV_MARK;
}

static inline size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* An event record's size: its type, and its aux for the text or the extension. */
static inline size_t event_record_size(unsigned int type, unsigned int aux)
{
	if (event_has_text(type))
		return event_record_base[type] + align4(aux);
	if (type == LD_EV_ACQUIRE && (aux & ACQUIRE_EXTENDED))
		return event_record_base[type] + 8;
	if (type == LD_EV_HELD)
		return event_record_base[type] + 8 * aux + align4(aux);
	return event_record_base[type];
}

_Static_assert(EVENT_HEADER_SIZE + 9 * LD_HELD_MAX + 3 <= EVENT_RECORD_MAX,
	       "a held record fits in an event record");
_Static_assert(LD_LOCK_TYPE_MAX <= HELD_TRYLOCK, "a held entry's lock type fits in its byte");

static inline __u16 get16(const unsigned char *p)
{
	__u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline __u32 get32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline __u64 get64(const unsigned char *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void put16(unsigned char *p, __u16 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void put32(unsigned char *p, __u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void put64(unsigned char *p, __u64 v)
{
	memcpy(p, &v, sizeof(v));
}

#endif
