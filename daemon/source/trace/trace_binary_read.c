// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reader of binary traces (the layout is in trace_binary_layout.h).
 * One decoder, kept whole: the header, the dictionaries (addresses,
 * stacks, tasks, sites) and the records that refer to them are read in
 * the order the writer wrote them, each stage the next one's only caller.
 * The writer's mirror image is trace_binary_write.c.
 *
 * Speed: records are decoded in place from the decompressed stream
 * (trace_binary_stream.h) into one reused event, acquires, releases and
 * allocations on a path of their own. No allocation per record, only when
 * a dictionary grows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/gfp.h"
#include "event/symtab.h"
#include "lib/array.h"
#include "lib/log.h"
#include "source/trace/trace_binary.h"
#include "source/trace/trace_binary_layout.h"
#include "source/trace/trace_binary_stream.h"

#define STACK_COPY_FRAMES 16

#define TASK_FLAGS_ALL \
	(LD_TASK_MEMALLOC | LD_TASK_MEMALLOC_NOFS | LD_TASK_MEMALLOC_NOIO | LD_TASK_KSWAPD)

/* A call site, an ip with its stack, as the reader keeps it. */
struct site_ref {
	__u64 ip;
	struct stack_ref stack; /* first SITE_CALLER_ONLY: the ip alone */
};

/* No stack starts there: a site whose stack is its ip alone. */
#define SITE_CALLER_ONLY UINT32_MAX

union event_storage {
	struct ld_event ev;
	__u64 words[(LD_EVENT_FIXED_SIZE + LD_MAX_STACK * 8 + LD_MAX_TEXT + 7) / 8];
};

struct binary_reader {
	struct binary_stream s;
	const char *name;
	struct symtab *symtab;

	__u64 events;
	unsigned int minor;
	unsigned int event_abi;
	bool done;
	bool truncated;

	/* The dictionaries so far, id 0 included, and the time base. */
	__u64 *addrs;
	__u32 nr_addrs;
	__u32 cap_addrs;
	struct stack_ref *stacks;
	__u32 nr_stacks;
	__u32 cap_stacks;
	__u64 *frames;
	__u32 nr_frames;
	__u32 cap_frames;
	struct task_ref *tasks;
	__u32 nr_tasks;
	__u32 cap_tasks;
	struct site_ref *sites;
	__u32 nr_sites;
	__u32 cap_sites;
	__u64 time;
	union event_storage event;

	struct gfp_layout *gfp;
	char *kernel_release;
};

__attribute__((format(printf, 2, 3))) static int corrupt(const struct binary_reader *reader,
							 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return log_error_errno(-EINVAL, "%s: byte %llu (record %llu): %s", reader->name,
			       (unsigned long long)(reader->s.out_base + reader->s.out_pos),
			       (unsigned long long)reader->s.records, msg);
}

static int reader_oom(const struct binary_reader *reader)
{
	return log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
}

static int parse_header_strings(struct binary_reader *reader, const struct file_header *header)
{
	const char *p = (const char *)(header + 1);
	const char *end = (const char *)header + header->size;
	const char *release, *clock;
	size_t len;
	int err;

	release = p;
	len = strnlen(p, end - p);
	if (p + len == end || len > KERNEL_RELEASE_MAX)
		return corrupt(reader, "bad kernel release in the header");
	p += len + 1;
	clock = p;
	len = strnlen(p, end - p);
	if (p + len == end)
		return corrupt(reader, "bad clock name in the header");
	p += len + 1;
	if (strcmp(clock, TRACE_CLOCK) != 0)
		log_warning("%s: events use clock '%s', not '%s'", reader->name, clock,
			    TRACE_CLOCK);
	reader->kernel_release = strdup(release);
	if (!reader->kernel_release || gfp_layout__new(&reader->gfp))
		return reader_oom(reader);
	for (unsigned int i = 0; i < header->nr_gfp; i++) {
		__u64 mask;

		if (end - p < (long)sizeof(mask) + 1)
			return corrupt(reader, "gfp entry %u runs past the header", i);
		memcpy(&mask, p, sizeof(mask));
		p += sizeof(mask);
		len = strnlen(p, end - p);
		if (p + len == end)
			return corrupt(reader, "gfp entry %u runs past the header", i);
		err = gfp_layout__add(reader->gfp, p, mask);
		if (err == -ENOMEM)
			return reader_oom(reader);
		if (err)
			return corrupt(reader, "bad gfp entry %u ('%.40s') in the header", i, p);
		p += len + 1;
	}
	if (header->nr_gfp == 0) {
		/* A writer that knew no layout: fall back like a text trace does. */
		gfp_layout__free(reader->gfp);
		reader->gfp = NULL;
		if (gfp_layout__new_default(&reader->gfp))
			return reader_oom(reader);
	}
	return 0;
}

static int read_header(struct binary_reader *reader)
{
	const struct file_header *header;
	int ret;

	ret = binary_stream__fill(&reader->s, TRACE_MAGIC_LEN + 4);
	if (ret == 0)
		return corrupt(reader, "file ends inside the header");
	if (ret < 0)
		return ret;
	header = (const void *)(reader->s.out_buf + reader->s.out_pos);
	if (memcmp(header->magic, TRACE_MAGIC, TRACE_MAGIC_LEN) != 0)
		return corrupt(reader, "not a lockdepd trace (bad magic)");
	if (header->version_major > TRACE_FORMAT_MAJOR)
		return log_error_errno(
			-EINVAL,
			"%s: trace format version %u.%u is newer than this lockdepd reads (%u.%u); use a newer lockdepd",
			reader->name, header->version_major, header->version_minor,
			TRACE_FORMAT_MAJOR, TRACE_FORMAT_MINOR);
	if (header->version_major == 0)
		return corrupt(reader, "unknown trace format version 0.%u", header->version_minor);
	/* Refused, not read: the build that wrote one can dump it as text, which all read. */
	if (header->version_major < TRACE_FORMAT_MAJOR)
		return log_error_errno(
			-EINVAL,
			"%s: trace format %u.x is no longer read; re-record it, or convert it to text with the lockdepd that wrote it (lockdepd dump)",
			reader->name, header->version_major);
	ret = binary_stream__fill(&reader->s, HEADER_FIXED_SIZE);
	if (ret == 0)
		return corrupt(reader, "file ends inside the header");
	if (ret < 0)
		return ret;
	header = (const void *)(reader->s.out_buf + reader->s.out_pos);
	if (header->size < HEADER_FIXED_SIZE || header->size > HEADER_MAX_SIZE || header->size % 8)
		return corrupt(reader, "bad header size %u", header->size);
	if (header->event_abi > LD_EVENT_ABI_VERSION || header->event_abi < TRACE_EVENT_ABI_OLDEST)
		return log_error_errno(
			-EINVAL, "%s: event ABI version %u is %s than this lockdepd's (%u)%s",
			reader->name, header->event_abi,
			header->event_abi > LD_EVENT_ABI_VERSION ? "newer" : "older",
			LD_EVENT_ABI_VERSION,
			header->event_abi > LD_EVENT_ABI_VERSION ? "; use a newer lockdepd" : "");
	ret = binary_stream__fill(&reader->s, header->size);
	if (ret == 0)
		return corrupt(reader, "file ends inside the header");
	if (ret < 0)
		return ret;
	header = (const void *)(reader->s.out_buf + reader->s.out_pos);
	reader->minor = header->version_minor;
	reader->event_abi = header->event_abi;
	ret = parse_header_strings(reader, header);
	if (ret)
		return ret;
	reader->s.out_pos += header->size;
	reader->s.records = 1;
	return 0;
}

/*
 * Room for `need` frames in frames[], aligned to a cache line, which
 * array_reserve()'s realloc() would not keep. 0 or -ENOMEM.
 */
static int frames_reserve(struct binary_reader *reader, size_t need)
{
	size_t capacity = reader->cap_frames;
	__u64 *frames;

	if (need <= capacity)
		return 0;
	if (need > UINT32_MAX / 2)
		return -ENOMEM;
	while (capacity < need)
		capacity = capacity ? capacity * 2 : 1024;
	frames = aligned_alloc(64, capacity * sizeof(*frames));
	if (!frames)
		return -ENOMEM;
	if (reader->frames)
		memcpy(frames, reader->frames, reader->cap_frames * sizeof(*frames));
	free(reader->frames);
	reader->frames = frames;
	reader->cap_frames = (__u32)capacity;
	return 0;
}

/* Dictionaries start with id 0: address 0, no stack, pid 0 without a comm, no site. */
static int reader_init_dictionaries(struct binary_reader *reader)
{
	if (array_reserve(&reader->addrs, &reader->cap_addrs, 1) ||
	    array_reserve(&reader->stacks, &reader->cap_stacks, 1) ||
	    array_reserve(&reader->tasks, &reader->cap_tasks, 1) ||
	    array_reserve(&reader->sites, &reader->cap_sites, 1) ||
	    frames_reserve(reader, STACK_COPY_FRAMES))
		return reader_oom(reader);
	/* The empty stack: what copy_stack() reads of it is defined. */
	memset(reader->frames, 0, STACK_COPY_FRAMES * sizeof(*reader->frames));
	reader->addrs[0] = 0;
	reader->stacks[0] = (struct stack_ref){ 0, 0 };
	reader->tasks[0] = (struct task_ref){ 0 };
	reader->sites[0] = (struct site_ref){ 0 };
	reader->nr_addrs = reader->nr_stacks = reader->nr_tasks = reader->nr_sites = 1;
	return 0;
}

int binary_reader__open(struct trace_input *in, struct symtab *symtab,
			struct binary_reader **ret_reader)
{
	struct binary_reader *reader = calloc(1, sizeof(*reader));
	int err;

	if (!reader)
		return log_error_errno(-ENOMEM, "%s: out of memory", trace_input__name(in));
	reader->name = trace_input__name(in);
	reader->symtab = symtab;
	err = binary_stream__init(&reader->s, in);
	if (!err)
		err = read_header(reader);
	if (!err)
		err = reader_init_dictionaries(reader);
	if (err)
		goto cleanup;
	*ret_reader = reader;
	return 0;
cleanup:
	binary_reader__free(reader);
	return err;
}

void binary_reader__free(struct binary_reader *reader)
{
	if (!reader)
		return;
	binary_stream__fini(&reader->s);
	free(reader->addrs);
	free(reader->stacks);
	free(reader->frames);
	free(reader->tasks);
	free(reader->sites);
	gfp_layout__free(reader->gfp);
	free(reader->kernel_release);
	free(reader);
}

static int reader_truncated(struct binary_reader *reader)
{
	reader->done = true;
	reader->truncated = true;
	log_warning("%s: truncated after %llu events (no end record)", reader->name,
		    (unsigned long long)reader->events);
	return 0;
}

/* An end record counting `events` was read (size bytes): checks it and that nothing follows. */
static int read_end(struct binary_reader *reader, __u64 events, size_t size)
{
	int ret;

	if (events != reader->events)
		return corrupt(reader, "end record counts %llu events but the file holds %llu",
			       (unsigned long long)events, (unsigned long long)reader->events);
	reader->s.out_pos += size;
	reader->s.records++;
	/* Let zstd see the frame's end (and check its checksum); nothing may follow. */
	ret = binary_stream__fill(&reader->s, 1);
	if (ret < 0)
		return ret;
	if (ret > 0)
		return corrupt(reader, "data after the end record");
	reader->done = true;
	return 0;
}

/* A symbol name of len bytes at name, NUL-terminated within avail bytes. */
static bool symbol_name_ok(const char *name, size_t len, size_t avail)
{
	return len > 0 && len < avail && name[len] == '\0' && !memchr(name, '\0', len);
}

/* --- records --- */

static int read_addr_record(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	size_t name_len = get16(rec + 2);
	const char *name = (const char *)rec + 16;
	__u64 addr = get64(rec + 8);

	if (size != (name_len ? align4(16 + name_len + 1) : 16) ||
	    (name_len && !symbol_name_ok(name, name_len, size - 16)))
		return corrupt(reader, "bad address record (size %zu, name length %zu)", size,
			       name_len);
	if (!addr)
		return corrupt(reader, "address record for address 0");
	if (array_reserve(&reader->addrs, &reader->cap_addrs, (size_t)reader->nr_addrs + 1))
		return reader_oom(reader);
	reader->addrs[reader->nr_addrs++] = addr;
	if (name_len && symtab__add(reader->symtab, addr, name))
		return reader_oom(reader);
	return 0;
}

static int read_stack_record(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	size_t nr = get16(rec + 2);
	__u64 *frames;

	if (nr == 0 || nr > LD_MAX_STACK || size != FILE_HEADER_SIZE + 4 * nr)
		return corrupt(reader, "bad stack record (size %zu, %zu frames)", size, nr);
	/* Each stack starts a cache line: a short one is then one or two lines to load. */
	reader->nr_frames = (reader->nr_frames + 7) & ~7u;
	if (array_reserve(&reader->stacks, &reader->cap_stacks, (size_t)reader->nr_stacks + 1) ||
	    frames_reserve(reader, (size_t)reader->nr_frames + nr + STACK_COPY_FRAMES))
		return reader_oom(reader);
	frames = reader->frames + reader->nr_frames;
	/* What copy_stack() reads past the last stack is defined. */
	memset(frames + nr, 0, STACK_COPY_FRAMES * sizeof(*frames));
	for (size_t i = 0; i < nr; i++) {
		__u32 id = get32(rec + FILE_HEADER_SIZE + 4 * i);

		if (id >= reader->nr_addrs)
			return corrupt(reader, "stack frame %zu uses undefined address %u", i, id);
		frames[i] = reader->addrs[id];
	}
	reader->stacks[reader->nr_stacks++] = (struct stack_ref){ reader->nr_frames, (__u32)nr };
	reader->nr_frames += nr;
	return 0;
}

static int read_task_record(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	struct task_ref *task;

	if (size != FILE_HEADER_SIZE + 4 + LD_COMM_LEN || get16(rec + 2))
		return corrupt(reader, "bad task record (size %zu)", size);
	if (array_reserve(&reader->tasks, &reader->cap_tasks, (size_t)reader->nr_tasks + 1))
		return reader_oom(reader);
	task = &reader->tasks[reader->nr_tasks++];
	task->pid = get32(rec + FILE_HEADER_SIZE);
	memcpy(task->comm, rec + FILE_HEADER_SIZE + 4, LD_COMM_LEN);
	return 0;
}

static int read_site_record(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	__u32 ip = get32(rec + 8), stack = get32(rec + 12);

	if (size != 16 || get16(rec + 2))
		return corrupt(reader, "bad site record (size %zu)", size);
	if (ip >= reader->nr_addrs)
		return corrupt(reader, "site uses undefined address %u", ip);
	if (stack >= reader->nr_stacks)
		return corrupt(reader, "site uses undefined stack %u", stack);
	if (array_reserve(&reader->sites, &reader->cap_sites, (size_t)reader->nr_sites + 1))
		return reader_oom(reader);
	reader->sites[reader->nr_sites++] = (struct site_ref){
		.ip = reader->addrs[ip],
		.stack = reader->stacks[stack],
	};
	/*
	 * A capture sends a known site's stack as its caller alone, the ip:
	 * marked so, the decoder takes the frame from the site and never
	 * loads the stack, a cache miss each time.
	 */
	if (reader->stacks[stack].nr == 1 &&
	    reader->frames[reader->stacks[stack].first] == reader->addrs[ip])
		reader->sites[reader->nr_sites - 1].stack.first = SITE_CALLER_ONLY;
	return 0;
}

/* A file record (type >= REC_FILE_FIRST) of size bytes, all available. */
static int read_file_record(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	unsigned int type = rec[0];

	if (rec[1])
		return corrupt(reader, "bad record 0x%x (reserved byte set)", type);
	switch (type) {
	case REC_ADDR:
		return read_addr_record(reader, rec, size);
	case REC_STACK:
		return read_stack_record(reader, rec, size);
	case REC_TASK:
		return read_task_record(reader, rec, size);
	case REC_SITE:
		return read_site_record(reader, rec, size);
	case REC_TIME:
		if (size != 16 || get16(rec + 2))
			return corrupt(reader, "bad time record (size %zu)", size);
		reader->time = get64(rec + 8);
		return 0;
	default:
		/* Newer minor versions may add file records; skip them. */
		if (type < REC_EXTENSION_FIRST || reader->minor <= TRACE_FORMAT_MINOR)
			return corrupt(reader, "unknown record type 0x%x", type);
		return 0;
	}
}

static int bad_id(const struct binary_reader *reader, const char *what, __u32 id)
{
	return corrupt(reader, "%s uses undefined %s %u",
		       ld_event_type_name(reader->s.out_buf[reader->s.out_pos]), what, id);
}

/* The address of the id at rec + offset; *bad gets the id if it is undefined. */
static inline __u64 addr_at(const struct binary_reader *reader, const unsigned char *rec,
			    size_t offset, __u32 *bad)
{
	__u32 id = get32(rec + offset);

	if (id < reader->nr_addrs)
		return reader->addrs[id];
	*bad = id;
	return 0;
}

/*
 * struct ld_event as the 64-bit words the decoder stores: each field lies
 * within one word, so any load of a field is served by a single store
 * (forwarded while still in flight), where field-by-field stores would make
 * a wider load, as compilers like to merge them, wait for all of them.
 */
#define EV_WORD_HEADER 0 /* type, size, nr_stack, text_len */
#define EV_WORD_PID    1 /* pid, flags */
#define EV_WORD_TIME   2
#define EV_WORD_UNION  3 /* raw[0..3] */
#define EV_WORD_COMM   7 /* comm[16] */
#define EV_WORDS       9

_Static_assert(offsetof(struct ld_event, nr_stack) == 4, "event layout");
_Static_assert(offsetof(struct ld_event, pid) == 8 * EV_WORD_PID, "event layout");
_Static_assert(offsetof(struct ld_event, time_ns) == 8 * EV_WORD_TIME, "event layout");
_Static_assert(offsetof(struct ld_event, raw) == 8 * EV_WORD_UNION, "event layout");
_Static_assert(offsetof(struct ld_event, acquire.ret) == 8 * EV_WORD_UNION + 24, "event layout");
_Static_assert(offsetof(struct ld_event, reclaim.kind) == 8 * EV_WORD_UNION + 8, "event layout");
_Static_assert(offsetof(struct ld_event, comm) == 8 * EV_WORD_COMM, "event layout");
_Static_assert(sizeof(struct ld_event) == 8 * EV_WORDS, "event layout");

/*
 * Most stacks are short: those are copied as a whole block of
 * STACK_COPY_FRAMES, a few vector moves where a copy of the exact length
 * would be a call and a loop (frames[] keeps that much room after each).
 */
static inline void copy_stack(__u64 *dst, const __u64 *frames, size_t nr)
{
	/* A live capture sends the caller alone for sites it has seen. */
	if (nr <= 2)
		memcpy(dst, frames, 2 * sizeof(*frames));
	else if (nr <= STACK_COPY_FRAMES)
		memcpy(dst, frames, STACK_COPY_FRAMES * sizeof(*frames));
	else
		memcpy(dst, frames, nr * sizeof(*frames));
}

/* A stack as a site or a record names it; a caller-only site's is its ip. */
static inline void copy_site_stack(const struct binary_reader *reader, __u64 *dst,
				   struct stack_ref stack, __u64 ip)
{
	if (stack.first == SITE_CALLER_ONLY)
		dst[0] = ip;
	else
		copy_stack(dst, reader->frames + stack.first, stack.nr);
}

/*
 * The entries of a held record of size bytes (record_size() bounded its
 * count) into entries; *bad gets an undefined address id.
 */
static int decode_held(const struct binary_reader *reader, const unsigned char *rec, size_t size,
		       unsigned int nr, struct ld_held_entry *entries, __u32 *bad)
{
	const unsigned char *info = rec + EVENT_HEADER_SIZE + 8 * nr;

	if (reader->event_abi < HELD_EVENT_ABI)
		return corrupt(reader, "held record in a trace of event ABI %u (held came with %u)",
			       reader->event_abi, HELD_EVENT_ABI);
	for (unsigned int i = 0; i < nr; i++) {
		unsigned int type = info[i] & ~HELD_TRYLOCK;

		if (type >= LD_LOCK_TYPE_MAX)
			return corrupt(reader, "bad held entry %u (lock type %u)", i, type);
		entries[i].lock = addr_at(reader, rec, EVENT_HEADER_SIZE + 8 * i, bad);
		entries[i].ip = addr_at(reader, rec, EVENT_HEADER_SIZE + 8 * i + 4, bad);
		entries[i].info = type | (info[i] & HELD_TRYLOCK ? LD_HELD_F_TRYLOCK : 0);
	}
	for (size_t i = info - rec + nr; i < size; i++)
		if (rec[i])
			return corrupt(reader, "nonzero padding after the held entries");
	return 0;
}

/* Rebuilds the event of a record of size bytes, all available, into reader->event. */
static int decode_event(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	static const char no_comm[LD_COMM_LEN];
	unsigned int type = rec[0], flags = rec[1], aux = get16(rec + 2);
	__u32 delta = get32(rec + 4), task = get32(rec + 8), text_len = 0, bad = UINT32_MAX;
	__u32 site = 0;
	const unsigned char *text = NULL;
	__u64 *out = reader->event.words;
	__u64 u[4] = { 0 }; /* the union's words */
	struct stack_ref stack_ref = reader->stacks[0];
	struct ld_held_entry held[LD_HELD_MAX];
	size_t nr_stack, ev_size;
	int err;

	if (!(flags & LD_EV_F_TIME) && delta)
		return corrupt(reader, "time delta %u on an event without a time", delta);
	if (aux && !event_has_text(type) && type != LD_EV_ACQUIRE && type != LD_EV_RECLAIM &&
	    type != LD_EV_HELD)
		return corrupt(reader, "bad %s (aux 0x%x)", ld_event_type_name(type), aux);
	switch (type) {
	case LD_EV_INIT:
		u[0] = addr_at(reader, rec, 12, &bad);
		u[1] = addr_at(reader, rec, 16, &bad);
		text = rec + EVENT_HEADER_SIZE + 8;
		text_len = aux;
		break;
	case LD_EV_ACQUIRE:
		if ((aux & 0xff) >= LD_LOCK_TYPE_MAX || aux >> 8 > (ACQUIRE_EXTENDED >> 8 | 1))
			return corrupt(reader, "bad acquire (lock type %u, trylock %u)", aux & 0xff,
				       aux >> 8);
		u[0] = addr_at(reader, rec, 12, &bad);
		site = get32(rec + 16);
		if (aux & ACQUIRE_EXTENDED) {
			u[2] = addr_at(reader, rec, 20, &bad);
			u[3] = get32(rec + 24);
		}
		/* ret, then lock_type and trylock */
		u[3] |= (__u64)(aux & 0xff) << 32 | (__u64)(aux >> 8 & 1) << 40;
		break;
	case LD_EV_RELEASE:
		u[0] = addr_at(reader, rec, 12, &bad);
		u[1] = addr_at(reader, rec, 16, &bad);
		break;
	case LD_EV_ALLOC:
		u[0] = get64(rec + 12);
		site = get32(rec + 20);
		break;
	case LD_EV_RECLAIM:
		if ((aux & 0xff) >= LD_RECLAIM_KIND_MAX || aux >> 8 > LD_RECLAIM_EXIT)
			return corrupt(reader, "bad reclaim (kind %u, state %u)", aux & 0xff,
				       aux >> 8);
		u[0] = addr_at(reader, rec, 12, &bad);
		u[1] = aux; /* kind, state */
		break;
	case LD_EV_FLAGS:
		u[0] = get32(rec + 12);
		if (u[0] & ~(__u64)TASK_FLAGS_ALL)
			return corrupt(reader, "bad flags value 0x%llx", (unsigned long long)u[0]);
		break;
	case LD_EV_MARK:
		text = rec + EVENT_HEADER_SIZE;
		text_len = aux;
		break;
	case LD_EV_LOST:
		u[0] = get64(rec + 12);
		break;
	case LD_EV_HELD:
		err = decode_held(reader, rec, size, aux, held, &bad);
		if (err)
			return err;
		u[0] = aux; /* nr */
		break;
	default: /* LD_EV_EXIT */
		break;
	}
	if (bad != UINT32_MAX)
		return bad_id(reader, "address", bad);
	if (site >= reader->nr_sites)
		return bad_id(reader, "site", site);
	if (task >= reader->nr_tasks)
		return bad_id(reader, "task", task);
	for (size_t i = text - rec + text_len; text && i < size; i++)
		if (rec[i])
			return corrupt(reader, "nonzero padding after the text");
	if (flags & LD_EV_F_TIME)
		reader->time += delta;
	if (type == LD_EV_ACQUIRE || type == LD_EV_ALLOC) {
		u[1] = reader->sites[site].ip;
		stack_ref = reader->sites[site].stack;
	}
	nr_stack = type == LD_EV_HELD ? aux * LD_HELD_ENTRY_WORDS : stack_ref.nr;
	ev_size = ld_event_size_for(nr_stack, text_len);
	out[EV_WORD_HEADER] = type | ev_size << 16 | nr_stack << 32 | (__u64)text_len << 48;
	out[EV_WORD_PID] = reader->tasks[task].pid | (__u64)flags << 32;
	out[EV_WORD_TIME] = flags & LD_EV_F_TIME ? reader->time : 0;
	memcpy(&out[EV_WORD_UNION], u, sizeof(u));
	memcpy(&out[EV_WORD_COMM], type == LD_EV_ACQUIRE ? reader->tasks[task].comm : no_comm,
	       LD_COMM_LEN);
	copy_site_stack(reader, &out[EV_WORDS], stack_ref, u[1]);
	if (type == LD_EV_HELD)
		memcpy(&out[EV_WORDS], held, aux * sizeof(*held));
	if (text) {
		char *dst = (char *)&out[EV_WORDS];

		memcpy(dst, text, text_len);
		memset(dst + text_len, 0, ev_size - LD_EVENT_FIXED_SIZE - text_len);
	}
	return 0;
}

/* The size of the record at rec (at least FILE_HEADER_SIZE bytes there), or 0 if bad. */
static size_t record_size(const unsigned char *rec)
{
	unsigned int type = rec[0];

	if (type && type < LD_EV_TYPE_MAX) {
		size_t text = event_has_text(type) ? get16(rec + 2) : 0;

		if (text > LD_MAX_TEXT || (type == LD_EV_HELD && get16(rec + 2) > LD_HELD_MAX))
			return 0;
		return event_record_size(type, get16(rec + 2));
	}
	if (type >= REC_FILE_FIRST) {
		size_t size = get32(rec + 4);

		return size < FILE_HEADER_SIZE || size % 4 || size > FILE_RECORD_MAX ? 0 : size;
	}
	return 0;
}

static int bad_record(const struct binary_reader *reader, const unsigned char *rec)
{
	unsigned int type = rec[0];

	if (type == LD_EV_HELD)
		return corrupt(reader, "bad held (%u entries, at most %u)", get16(rec + 2),
			       LD_HELD_MAX);
	if (type && type < LD_EV_TYPE_MAX)
		return corrupt(reader, "bad %s (text length %u)", ld_event_type_name(type),
			       get16(rec + 2));
	if (type >= REC_FILE_FIRST)
		return corrupt(reader, "record 0x%x has a bad size %u", type, get32(rec + 4));
	return corrupt(reader, "unknown record type 0x%x", type);
}

/*
 * Plain acquires (not extended) and releases, nine events in ten, without
 * the generic decoder's dispatch and its checks one by one: false when
 * anything is unusual, and decode_event() judges the record.
 */
static inline __attribute__((always_inline)) bool decode_lock_event(struct binary_reader *reader,
								    const unsigned char *rec)
{
	unsigned int type = rec[0], flags = rec[1], aux = get16(rec + 2);
	__u32 delta = get32(rec + 4), task = get32(rec + 8), lock = get32(rec + 12);
	__u32 ref = get32(rec + 16); /* acquire: site; release: ip */
	__u64 *out = reader->event.words;
	const struct site_ref *site;
	__u64 unions3 = 0;

	if (type == LD_EV_ACQUIRE) {
		if ((aux & 0xff) >= LD_LOCK_TYPE_MAX || aux >> 8 > 1 || ref >= reader->nr_sites)
			return false;
		unions3 = (__u64)(aux & 0xff) << 32 | (__u64)(aux >> 8) << 40;
	} else if (aux || ref >= reader->nr_addrs) {
		return false;
	}
	if ((!(flags & LD_EV_F_TIME) && delta) || lock >= reader->nr_addrs ||
	    task >= reader->nr_tasks)
		return false;
	if (flags & LD_EV_F_TIME)
		reader->time += delta;
	out[EV_WORD_PID] = reader->tasks[task].pid | (__u64)flags << 32;
	out[EV_WORD_TIME] = flags & LD_EV_F_TIME ? reader->time : 0;
	out[EV_WORD_UNION] = reader->addrs[lock];
	out[EV_WORD_UNION + 2] = 0;
	out[EV_WORD_UNION + 3] = unions3;
	if (type == LD_EV_ACQUIRE) {
		site = &reader->sites[ref];
		out[EV_WORD_HEADER] = type | ld_event_size_for(site->stack.nr, 0) << 16 |
				      (__u64)site->stack.nr << 32;
		out[EV_WORD_UNION + 1] = site->ip;
		memcpy(&out[EV_WORD_COMM], reader->tasks[task].comm, LD_COMM_LEN);
		copy_site_stack(reader, &out[EV_WORDS], site->stack, site->ip);
	} else {
		/* No stack, and the comm reads as zero outside acquires. */
		out[EV_WORD_HEADER] = type | ld_event_size_for(0, 0) << 16;
		out[EV_WORD_UNION + 1] = reader->addrs[ref];
		out[EV_WORD_COMM] = 0;
		out[EV_WORD_COMM + 1] = 0;
	}
	return true;
}

/* The same for an allocation, one event in twenty, most with a whole stack. */
static inline __attribute__((always_inline)) bool decode_alloc_event(struct binary_reader *reader,
								     const unsigned char *rec)
{
	unsigned int flags = rec[1];
	__u32 delta = get32(rec + 4), task = get32(rec + 8), site_id = get32(rec + 20);
	__u64 *out = reader->event.words;
	const struct site_ref *site;

	if (get16(rec + 2) || (!(flags & LD_EV_F_TIME) && delta) || task >= reader->nr_tasks ||
	    site_id >= reader->nr_sites)
		return false;
	if (flags & LD_EV_F_TIME)
		reader->time += delta;
	site = &reader->sites[site_id];
	out[EV_WORD_HEADER] = LD_EV_ALLOC | ld_event_size_for(site->stack.nr, 0) << 16 |
			      (__u64)site->stack.nr << 32;
	out[EV_WORD_PID] = reader->tasks[task].pid | (__u64)flags << 32;
	out[EV_WORD_TIME] = flags & LD_EV_F_TIME ? reader->time : 0;
	out[EV_WORD_UNION] = get64(rec + 12);
	out[EV_WORD_UNION + 1] = site->ip;
	out[EV_WORD_UNION + 2] = 0;
	out[EV_WORD_UNION + 3] = 0;
	out[EV_WORD_COMM] = 0;
	out[EV_WORD_COMM + 1] = 0;
	copy_site_stack(reader, &out[EV_WORDS], site->stack, site->ip);
	return true;
}

/* The next event, after the file records before it: the general path. */
static __attribute__((noinline)) int read_records(struct binary_reader *reader,
						  const struct ld_event **ret_event)
{
	for (;;) {
		const unsigned char *rec;
		size_t size;
		int ret;

		if (reader->done)
			return 0;
		if (reader->s.out_end - reader->s.out_pos < FILE_HEADER_SIZE) {
			ret = binary_stream__fill(&reader->s, FILE_HEADER_SIZE);
			if (ret <= 0)
				return ret < 0 ? ret : reader_truncated(reader);
		}
		rec = reader->s.out_buf + reader->s.out_pos;
		size = record_size(rec);
		if (!size)
			return bad_record(reader, rec);
		if (reader->s.out_end - reader->s.out_pos < size) {
			ret = binary_stream__fill(&reader->s, size);
			if (ret <= 0)
				return ret < 0 ? ret : reader_truncated(reader);
			rec = reader->s.out_buf + reader->s.out_pos;
		}
		if (rec[0] < LD_EV_TYPE_MAX) {
			ret = decode_event(reader, rec, size);
			if (ret)
				return ret;
			reader->s.out_pos += size;
			reader->s.records++;
			reader->events++;
			*ret_event = &reader->event.ev;
			return 1;
		}
		if (rec[0] == REC_END) {
			if (size != 16 || rec[1] || get16(rec + 2))
				return corrupt(reader, "bad end record (size %zu)", size);
			return read_end(reader, get64(rec + 8), size);
		}
		ret = read_file_record(reader, rec, size);
		if (ret)
			return ret;
		reader->s.out_pos += size;
		reader->s.records++;
	}
}

/*
 * Nineteen events in twenty: a whole acquire, release or allocation in the
 * buffer, decoded with nothing else on the way (read_records() holds the
 * rest, out of line, so this path saves few registers). False when it is
 * not one.
 */
static inline __attribute__((always_inline)) bool read_common_event(struct binary_reader *reader)
{
	const unsigned char *rec = reader->s.out_buf + reader->s.out_pos;
	size_t avail = reader->s.out_end - reader->s.out_pos, size;

	if (avail >= EVENT_HEADER_SIZE + 8 &&
	    (rec[0] == LD_EV_ACQUIRE || rec[0] == LD_EV_RELEASE)) {
		if (!decode_lock_event(reader, rec))
			return false;
		size = EVENT_HEADER_SIZE + 8;
	} else if (avail >= EVENT_HEADER_SIZE + 12 && rec[0] == LD_EV_ALLOC) {
		if (!decode_alloc_event(reader, rec))
			return false;
		size = EVENT_HEADER_SIZE + 12;
	} else {
		return false;
	}
	reader->s.out_pos += size;
	reader->s.records++;
	reader->events++;
	return true;
}

int binary_reader__replay(struct binary_reader *reader, trace_event_fn fn, void *ctx, __u64 *events)
{
	const struct ld_event *event;
	int ret;

	for (;;) {
		if (read_common_event(reader)) {
			event = &reader->event.ev;
		} else {
			ret = binary_reader__next(reader, &event);
			if (ret <= 0)
				return ret;
		}
		(*events)++;
		ret = fn(ctx, event);
		if (ret)
			return ret;
	}
}

int binary_reader__next(struct binary_reader *reader, const struct ld_event **ret_event)
{
	if (read_common_event(reader)) {
		*ret_event = &reader->event.ev;
		return 1;
	}
	return read_records(reader, ret_event);
}

const struct gfp_layout *binary_reader__gfp_layout(const struct binary_reader *reader)
{
	return reader->gfp;
}

const char *binary_reader__kernel_release(const struct binary_reader *reader)
{
	return reader->kernel_release;
}

bool binary_reader__truncated(const struct binary_reader *reader)
{
	return reader->truncated;
}
