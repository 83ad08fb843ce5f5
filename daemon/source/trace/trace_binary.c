// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The binary form of a trace: zstd frames one after the other (what
 * `zstd -d` reads as one stream) whose content is a header and a sequence
 * of records, all little-endian (the host's layout; lockdepd runs on
 * x86-64). Where the frames end says nothing about the records.
 *
 *   header   magic "LDTRACE\0", format version major.minor, header size,
 *            event ABI version, gfp entry count, creation time (realtime ns),
 *            then NUL-terminated strings: kernel release, clock name, and
 *            per gfp entry a __u64 mask followed by its NUL-terminated name;
 *            padded to a multiple of 8. The same in every version.
 *
 * Version 3 (written): compact records, each a multiple of 4 bytes. A
 * record whose first byte is an event type (1 .. LD_EV_TYPE_MAX - 1) is an
 * event, with a fixed layout per type:
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
 *
 * and text is padded with zeros to a multiple of 4. Addresses (lock, ip,
 * ctx, fn, stack frames), stacks, tasks and sites are ids into
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
 * The time of an event with LD_EV_F_TIME is the previous timed event's time
 * (or the last time record) plus its delta; a gap that does not fit a u32,
 * or time going backwards, gets a time record. So an acquire and a release
 * are 20 bytes each (21 bytes an event on the benchmark's trace, against
 * 122 as struct ld_event with its stack). Fixed places rather than varints:
 * decoding is loads and bounds checks, not a byte-by-byte parse whose
 * lengths no branch predictor follows. What zstd does not have to inflate
 * it does not spend time on, so the fields an acquire seldom uses (ctx,
 * ret) and those a site or a task decides (ip and stack, comm) stay out of
 * the records (BENCHMARKS.md weighs the encodings).
 * What the ABI leaves undefined is not stored and reads back as zero:
 * padding, unused union words, the time of an event without LD_EV_F_TIME,
 * comm outside acquire, stacks outside acquire and alloc, text outside init
 * and mark, flag bits above the eighth, and a record size beyond the
 * minimum.
 *
 * Version 2 (still read): as version 3 but with the pid in the place of
 * the task, no tasks or sites, and
 *
 *   acquire      + u32 lock, u32 ip, u32 ctx, u32 stack, u32 comm, s32 ret
 *   alloc        + u64 gfp, u32 site, u32 stack
 *   0x82 comm     the next comm id: char[16] as in struct ld_event
 *
 * Version 1 (still read): records of __u16 type, __u16 size; events are
 * struct ld_event exactly, file records a symbol {type 0x100, size,
 * __u32 name_len, __u64 addr, name, NUL, pad} and an end {type 0x101,
 * size, __u32 0, __u64 events}.
 *
 * Versioning: a new major version is a layout this reader cannot read, and
 * is refused with a clear message; a new minor version only adds file
 * record types (versions 2 and 3: 0xc0 and up), which older readers skip.
 *
 * Crash safety: the writer ends a zstd block (ZSTD_e_flush) and flushes
 * stdio after the header and when asked, and ends a frame after every ~1
 * MiB of records, so a file cut off anywhere decodes up to its last flush
 * or frame; dictionary records always come before the events using them,
 * so what was flushed is readable alone. The
 * reader treats a missing end record as truncation (warn, return what was
 * there), and anything inconsistent as corruption (one line with the byte
 * offset in the decompressed stream and the record number, -EINVAL).
 *
 * Speed: records are decoded from a large decompression buffer into one
 * reused event, acquires, releases and allocations on a path of their own;
 * only a record that straddles the end of the buffer is moved (to its
 * start) before more is decompressed behind it. No allocation per record,
 * only when a dictionary grows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "event/gfp.h"
#include "lib/log.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

#define TRACE_MAGIC	   "LDTRACE"
#define TRACE_MAGIC_LEN	   8
#define TRACE_FORMAT_MINOR 0
#define TRACE_CLOCK	   "monotonic"
#define HEADER_FIXED_SIZE  32
#define HEADER_MAX_SIZE	   65536
#define SYMBOL_NAME_MAX	   4095
#define KERNEL_RELEASE_MAX 255

/* Version 1 file records. */
#define V1_REC_FILE_FIRST 0x100
#define V1_REC_SYMBOL	  0x100
#define V1_REC_END	  0x101

/* Version 2 and 3 file records. */
#define REC_FILE_FIRST	    0x80
#define REC_ADDR	    0x80
#define REC_STACK	    0x81
#define REC_COMM	    0x82 /* version 2 only */
#define REC_TIME	    0x83
#define REC_END		    0x84
#define REC_TASK	    0x85 /* version 3 on */
#define REC_SITE	    0x86 /* version 3 on */
#define REC_EXTENSION_FIRST 0xc0 /* newer minor versions: skipped */

/* Version 3 acquire aux: ctx and ret follow the site. */
#define ACQUIRE_EXTENDED  0x200
#define FILE_HEADER_SIZE  8
#define FILE_RECORD_MAX	  (FILE_HEADER_SIZE + 8 + 65536)
#define EVENT_HEADER_SIZE 12
#define EVENT_RECORD_MAX  (EVENT_HEADER_SIZE + 8 + LD_MAX_TEXT + 4)

#define STACK_COPY_FRAMES 16

#define TASK_FLAGS_ALL \
	(LD_TASK_MEMALLOC | LD_TASK_MEMALLOC_NOFS | LD_TASK_MEMALLOC_NOIO | LD_TASK_KSWAPD)

#define WRITER_FLUSH_BYTES (512 * 1024)
/*
 * zstd's window: 256 KiB rather than level 3's 2 MiB. The reader's
 * decompressor then works within a few hundred KiB, which leaves the
 * engine's tables in the cache: report runs about 15% faster for a file
 * about 5% bigger (BENCHMARKS.md), and the writer needs less memory.
 */
#define WRITER_WINDOW_LOG 18
#define READER_IN_SIZE	  (1024 * 1024)
#define ZSTD_BLOCK_MAX	  (128 * 1024) /* ZSTD_BLOCKSIZE_MAX, not in every zstd.h */
/* Room for a whole frame of the writer's behind the data, and as much again. */
#define READER_FRAME_ROOM (WRITER_FLUSH_BYTES + ZSTD_BLOCK_MAX)
#define READER_OUT_SIZE	  (2 * READER_FRAME_ROOM)

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

struct v1_record_header {
	__u16 type;
	__u16 size;
};

struct v1_symbol_record {
	__u16 type;
	__u16 size;
	__u32 name_len;
	__u64 addr;
	/* char name[name_len], NUL, padding */
};

struct v1_end_record {
	__u16 type;
	__u16 size;
	__u32 reserved;
	__u64 events;
};

_Static_assert(sizeof(struct file_header) == HEADER_FIXED_SIZE, "header layout");
_Static_assert(sizeof(struct v1_symbol_record) == 16, "symbol record layout");
_Static_assert(sizeof(struct v1_end_record) == 16, "end record layout");

/* Bytes of each version 2 event record before its text (0: not an event type). */
static const unsigned char event_record_size[LD_EV_TYPE_MAX] = {
	[LD_EV_INIT] = EVENT_HEADER_SIZE + 8,	 [LD_EV_ACQUIRE] = EVENT_HEADER_SIZE + 24,
	[LD_EV_RELEASE] = EVENT_HEADER_SIZE + 8, [LD_EV_ALLOC] = EVENT_HEADER_SIZE + 16,
	[LD_EV_RECLAIM] = EVENT_HEADER_SIZE + 4, [LD_EV_FLAGS] = EVENT_HEADER_SIZE + 4,
	[LD_EV_EXIT] = EVENT_HEADER_SIZE,	 [LD_EV_MARK] = EVENT_HEADER_SIZE,
	[LD_EV_LOST] = EVENT_HEADER_SIZE + 8,
};

/* The same for version 3, an acquire without ACQUIRE_EXTENDED. */
static const unsigned char event_record_size_v3[LD_EV_TYPE_MAX] = {
	[LD_EV_INIT] = EVENT_HEADER_SIZE + 8,	 [LD_EV_ACQUIRE] = EVENT_HEADER_SIZE + 8,
	[LD_EV_RELEASE] = EVENT_HEADER_SIZE + 8, [LD_EV_ALLOC] = EVENT_HEADER_SIZE + 12,
	[LD_EV_RECLAIM] = EVENT_HEADER_SIZE + 4, [LD_EV_FLAGS] = EVENT_HEADER_SIZE + 4,
	[LD_EV_EXIT] = EVENT_HEADER_SIZE,	 [LD_EV_MARK] = EVENT_HEADER_SIZE,
	[LD_EV_LOST] = EVENT_HEADER_SIZE + 8,
};

static inline bool event_has_text(unsigned int type)
{
	return type == LD_EV_INIT || type == LD_EV_MARK;
}

static inline size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* A version 3 event record's size: its type, and its aux for the text or the extension. */
static inline size_t record_size_v3(unsigned int type, unsigned int aux)
{
	if (event_has_text(type))
		return event_record_size_v3[type] + align4(aux);
	if (type == LD_EV_ACQUIRE && (aux & ACQUIRE_EXTENDED))
		return event_record_size_v3[type] + 8;
	return event_record_size_v3[type];
}

/* Version 3: a task is a pid with the comm its acquires carry (none for other events). */
struct task_ref {
	__u64 pid;
	char comm[LD_COMM_LEN];
};

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

/* Makes room for `need` elements in a growable array. 0 or -ENOMEM. */
static int array_reserve(void **array, __u32 *capacity, size_t need, size_t elem_size)
{
	size_t capacity_now = *capacity;
	void *p;

	if (need <= capacity_now)
		return 0;
	if (need > UINT32_MAX / 2)
		return -ENOMEM;
	while (capacity_now < need)
		capacity_now = capacity_now ? capacity_now * 2 : 256;
	p = realloc(*array, capacity_now * elem_size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*capacity = (__u32)capacity_now;
	return 0;
}

/* --- reader -------------------------------------------------------------- */

struct stack_ref {
	__u32 first; /* index of its innermost frame in frames[] */
	__u32 nr;
};

/* Version 3: a call site, an ip with its stack, as the reader keeps it. */
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
	struct trace_input *in;
	const char *name;
	struct symtab *symtab;
	ZSTD_DStream *zds;

	unsigned char *in_buf;
	ZSTD_inBuffer zin;
	__u64 in_consumed; /* compressed bytes before in_buf */
	bool input_eof;
	bool drained; /* the input is over and zstd has given all it had */
	bool between_frames; /* zstd ended a frame and has not started the next */

	unsigned char *out_buf;
	size_t out_cap;
	size_t out_pos; /* the next record */
	size_t out_end;
	__u64 out_base; /* stream offset of out_buf[0] */

	__u64 records; /* records after the header */
	__u64 events;
	unsigned int major;
	unsigned int minor;
	bool done;
	bool truncated;

	/* Version 2: the dictionaries so far, id 0 included, and the time base. */
	__u64 *addrs;
	__u32 nr_addrs;
	__u32 cap_addrs;
	struct stack_ref *stacks;
	__u32 nr_stacks;
	__u32 cap_stacks;
	__u64 *frames;
	__u32 nr_frames;
	__u32 cap_frames;
	char (*comms)[LD_COMM_LEN];
	__u32 nr_comms;
	__u32 cap_comms;
	struct task_ref *tasks; /* version 3 */
	__u32 nr_tasks;
	__u32 cap_tasks;
	struct site_ref *sites; /* version 3 */
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
			       (unsigned long long)(reader->out_base + reader->out_pos),
			       (unsigned long long)reader->records, msg);
}

static int reader_oom(const struct binary_reader *reader)
{
	return log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
}

/*
 * Between frames, makes sure the next frame is all in the input buffer
 * when it fits, so that zstd can inflate it in one go: what is left is
 * moved to the front and more read behind it. 0 or a negative errno.
 */
static int reader_gather_frame(struct binary_reader *reader)
{
	size_t left = reader->zin.size - reader->zin.pos;
	size_t frame;
	long n;

	if (!reader->between_frames || !reader->in_buf || reader->input_eof || !left)
		return 0;
	frame = ZSTD_findFrameCompressedSize(reader->in_buf + reader->zin.pos, left);
	if (!ZSTD_isError(frame) || left == READER_IN_SIZE)
		return 0; /* whole, or too big for the buffer anyway */
	memmove(reader->in_buf, reader->in_buf + reader->zin.pos, left);
	n = trace_input__read(reader->in, reader->in_buf + left, READER_IN_SIZE - left);
	if (n < 0)
		return (int)n;
	reader->in_consumed += reader->zin.pos;
	reader->zin.size = left + (size_t)n;
	reader->zin.pos = 0;
	if (n == 0)
		reader->input_eof = true;
	return 0;
}

/*
 * Makes at least `need` bytes available at out_pos. 1 when they are, 0 when
 * the input ends first, or a negative errno.
 */
static int reader_fill(struct binary_reader *reader, size_t need)
{
	while (reader->out_end - reader->out_pos < need) {
		ZSTD_outBuffer out;
		size_t in_before, out_before, ret;
		int err;

		/* zstd takes calls that cannot progress for an error after a few. */
		if (reader->drained)
			return 0;

		/*
		 * Keep room for a whole frame behind the data: zstd then decodes
		 * a frame whose size it knows, in one go, straight into our
		 * buffer instead of block by block into its own and copying.
		 */
		if (reader->out_cap - reader->out_end < READER_FRAME_ROOM ||
		    reader->out_cap - reader->out_pos < need) {
			size_t avail = reader->out_end - reader->out_pos;

			memmove(reader->out_buf, reader->out_buf + reader->out_pos, avail);
			reader->out_base += reader->out_pos;
			reader->out_pos = 0;
			reader->out_end = avail;
		}
		if (reader->zin.pos == reader->zin.size && !reader->input_eof) {
			long n = trace_input__read(reader->in, reader->in_buf, READER_IN_SIZE);

			if (n < 0)
				return (int)n;
			reader->in_consumed += reader->zin.size;
			reader->zin.src = reader->in_buf;
			reader->zin.size = (size_t)n;
			reader->zin.pos = 0;
			if (n == 0)
				reader->input_eof = true;
		}
		err = reader_gather_frame(reader);
		if (err)
			return err;
		out = (ZSTD_outBuffer){ reader->out_buf, reader->out_cap, reader->out_end };
		in_before = reader->zin.pos;
		out_before = out.pos;
		ret = ZSTD_decompressStream(reader->zds, &out, &reader->zin);
		if (ZSTD_isError(ret))
			return log_error_errno(
				-EINVAL, "%s: compressed byte %llu (record %llu): zstd: %s",
				reader->name,
				(unsigned long long)(reader->in_consumed + reader->zin.pos),
				(unsigned long long)reader->records, ZSTD_getErrorName(ret));
		reader->out_end = out.pos;
		reader->between_frames = ret == 0;
		if (reader->input_eof && out.pos == out_before && reader->zin.pos == in_before) {
			reader->drained = true;
			return 0;
		}
	}
	return 1;
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
	reader->gfp = gfp_layout__new();
	if (!reader->kernel_release || !reader->gfp)
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
		reader->gfp = gfp_layout__new_default();
		if (!reader->gfp)
			return reader_oom(reader);
	}
	return 0;
}

static int read_header(struct binary_reader *reader)
{
	const struct file_header *header;
	int ret;

	ret = reader_fill(reader, TRACE_MAGIC_LEN + 4);
	if (ret == 0)
		return corrupt(reader, "file ends inside the header");
	if (ret < 0)
		return ret;
	header = (const void *)(reader->out_buf + reader->out_pos);
	if (memcmp(header->magic, TRACE_MAGIC, TRACE_MAGIC_LEN) != 0)
		return corrupt(reader, "not a lockdepd trace (bad magic)");
	if (header->version_major > TRACE_FORMAT_VERSION)
		return log_error_errno(
			-EINVAL,
			"%s: trace format version %u.%u is newer than this lockdepd reads (%u.%u); use a newer lockdepd",
			reader->name, header->version_major, header->version_minor,
			TRACE_FORMAT_VERSION, TRACE_FORMAT_MINOR);
	if (header->version_major == 0)
		return corrupt(reader, "unknown trace format version 0.%u", header->version_minor);
	ret = reader_fill(reader, HEADER_FIXED_SIZE);
	if (ret == 0)
		return corrupt(reader, "file ends inside the header");
	if (ret < 0)
		return ret;
	header = (const void *)(reader->out_buf + reader->out_pos);
	if (header->size < HEADER_FIXED_SIZE || header->size > HEADER_MAX_SIZE || header->size % 8)
		return corrupt(reader, "bad header size %u", header->size);
	if (header->event_abi != LD_EVENT_ABI_VERSION)
		return log_error_errno(
			-EINVAL, "%s: event ABI version %u is %s than this lockdepd's (%u)%s",
			reader->name, header->event_abi,
			header->event_abi > LD_EVENT_ABI_VERSION ? "newer" : "older",
			LD_EVENT_ABI_VERSION,
			header->event_abi > LD_EVENT_ABI_VERSION ? "; use a newer lockdepd" : "");
	ret = reader_fill(reader, header->size);
	if (ret == 0)
		return corrupt(reader, "file ends inside the header");
	if (ret < 0)
		return ret;
	header = (const void *)(reader->out_buf + reader->out_pos);
	reader->major = header->version_major;
	reader->minor = header->version_minor;
	ret = parse_header_strings(reader, header);
	if (ret)
		return ret;
	reader->out_pos += header->size;
	reader->records = 1;
	return 0;
}

/* Room for `need` frames in frames[], aligned to a cache line. 0 or -ENOMEM. */
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

/* Version 2 dictionaries start with id 0: address 0, no stack, no comm. */
static int reader_init_dictionaries(struct binary_reader *reader)
{
	if (array_reserve((void **)&reader->addrs, &reader->cap_addrs, 1, sizeof(*reader->addrs)) ||
	    array_reserve((void **)&reader->stacks, &reader->cap_stacks, 1,
			  sizeof(*reader->stacks)) ||
	    array_reserve((void **)&reader->comms, &reader->cap_comms, 1, sizeof(*reader->comms)) ||
	    array_reserve((void **)&reader->tasks, &reader->cap_tasks, 1, sizeof(*reader->tasks)) ||
	    array_reserve((void **)&reader->sites, &reader->cap_sites, 1, sizeof(*reader->sites)) ||
	    frames_reserve(reader, STACK_COPY_FRAMES))
		return reader_oom(reader);
	/* The empty stack: what v2_copy_stack() reads of it is defined. */
	memset(reader->frames, 0, STACK_COPY_FRAMES * sizeof(*reader->frames));
	reader->addrs[0] = 0;
	reader->stacks[0] = (struct stack_ref){ 0, 0 };
	memset(reader->comms[0], 0, LD_COMM_LEN);
	reader->tasks[0] = (struct task_ref){ 0 };
	reader->sites[0] = (struct site_ref){ 0 };
	reader->nr_addrs = reader->nr_stacks = reader->nr_comms = 1;
	reader->nr_tasks = reader->nr_sites = 1;
	return 0;
}

int binary_reader__open(struct trace_input *in, struct symtab *symtab,
			struct binary_reader **ret_reader)
{
	struct binary_reader *reader = calloc(1, sizeof(*reader));
	int err;

	if (!reader)
		return log_error_errno(-ENOMEM, "%s: out of memory", trace_input__name(in));
	reader->in = in;
	reader->name = trace_input__name(in);
	reader->symtab = symtab;
	reader->out_cap = READER_OUT_SIZE;
	reader->zds = ZSTD_createDStream();
	reader->out_buf = malloc(reader->out_cap);
	if (trace_input__memory(in, &reader->zin.src, &reader->zin.size))
		reader->input_eof = true; /* all of it is already there */
	else
		reader->in_buf = malloc(READER_IN_SIZE);
	if (!reader->zds || (!reader->input_eof && !reader->in_buf) || !reader->out_buf) {
		err = reader_oom(reader);
		goto cleanup;
	}
	ZSTD_initDStream(reader->zds);
	err = read_header(reader);
	if (!err && reader->major >= 2)
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
	ZSTD_freeDStream(reader->zds);
	free(reader->in_buf);
	free(reader->out_buf);
	free(reader->addrs);
	free(reader->stacks);
	free(reader->frames);
	free(reader->comms);
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
	reader->out_pos += size;
	reader->records++;
	/* Let zstd see the frame's end (and check its checksum); nothing may follow. */
	ret = reader_fill(reader, 1);
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

/* --- reader, version 1 --- */

static int v1_read_symbol(struct binary_reader *reader, const struct v1_symbol_record *rec)
{
	const char *name = (const char *)(rec + 1);

	if (rec->size < sizeof(*rec) + 2 ||
	    !symbol_name_ok(name, rec->name_len, rec->size - sizeof(*rec)))
		return corrupt(reader, "bad symbol record (size %u, name length %u)", rec->size,
			       rec->name_len);
	if (symtab__add(reader->symtab, rec->addr, name))
		return reader_oom(reader);
	return 0;
}

static int v1_next(struct binary_reader *reader, const struct ld_event **ret_event)
{
	for (;;) {
		const struct v1_record_header *rec;
		size_t size;
		int ret;

		if (reader->done)
			return 0;
		if (reader->out_end - reader->out_pos < sizeof(*rec)) {
			ret = reader_fill(reader, sizeof(*rec));
			if (ret <= 0)
				return ret < 0 ? ret : reader_truncated(reader);
		}
		rec = (const void *)(reader->out_buf + reader->out_pos);
		size = rec->size;
		if (size < 8 || size % 8)
			return corrupt(reader, "record size %zu is not a positive multiple of 8",
				       size);
		if (reader->out_end - reader->out_pos < size) {
			ret = reader_fill(reader, size);
			if (ret <= 0)
				return ret < 0 ? ret : reader_truncated(reader);
			rec = (const void *)(reader->out_buf + reader->out_pos);
		}
		if (rec->type > 0 && rec->type < LD_EV_TYPE_MAX) {
			const struct ld_event *event = (const void *)rec;

			if (ld_event_validate(event, size))
				return corrupt(
					reader,
					"invalid %s event (size %zu, %u frames, %u text bytes)",
					ld_event_type_name(rec->type), size, event->nr_stack,
					event->text_len);
			reader->out_pos += size;
			reader->records++;
			reader->events++;
			*ret_event = event;
			return 1;
		}
		switch (rec->type) {
		case V1_REC_SYMBOL:
			ret = v1_read_symbol(reader, (const void *)rec);
			if (ret)
				return ret;
			break;
		case V1_REC_END:
			if (size != sizeof(struct v1_end_record))
				return corrupt(reader, "bad end record size %zu", size);
			return read_end(reader, ((const struct v1_end_record *)rec)->events, size);
		default:
			/* Newer minor versions may add file records; skip them. */
			if (rec->type < V1_REC_FILE_FIRST || reader->minor <= TRACE_FORMAT_MINOR)
				return corrupt(reader, "unknown record type 0x%x", rec->type);
			break;
		}
		reader->out_pos += size;
		reader->records++;
	}
}

/* --- reader, version 2 --- */

static int v2_read_addr(struct binary_reader *reader, const unsigned char *rec, size_t size)
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
	if (array_reserve((void **)&reader->addrs, &reader->cap_addrs, (size_t)reader->nr_addrs + 1,
			  sizeof(*reader->addrs)))
		return reader_oom(reader);
	reader->addrs[reader->nr_addrs++] = addr;
	if (name_len && symtab__add(reader->symtab, addr, name))
		return reader_oom(reader);
	return 0;
}

static int v2_read_stack(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	size_t nr = get16(rec + 2);
	__u64 *frames;

	if (nr == 0 || nr > LD_MAX_STACK || size != FILE_HEADER_SIZE + 4 * nr)
		return corrupt(reader, "bad stack record (size %zu, %zu frames)", size, nr);
	/* Each stack starts a cache line: a short one is then one or two lines to load. */
	reader->nr_frames = (reader->nr_frames + 7) & ~7u;
	if (array_reserve((void **)&reader->stacks, &reader->cap_stacks,
			  (size_t)reader->nr_stacks + 1, sizeof(*reader->stacks)) ||
	    frames_reserve(reader, (size_t)reader->nr_frames + nr + STACK_COPY_FRAMES))
		return reader_oom(reader);
	frames = reader->frames + reader->nr_frames;
	/* What v2_copy_stack() reads past the last stack is defined. */
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

static int v2_read_comm(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	if (size != FILE_HEADER_SIZE + LD_COMM_LEN || get16(rec + 2))
		return corrupt(reader, "bad comm record (size %zu)", size);
	if (array_reserve((void **)&reader->comms, &reader->cap_comms, (size_t)reader->nr_comms + 1,
			  sizeof(*reader->comms)))
		return reader_oom(reader);
	memcpy(reader->comms[reader->nr_comms++], rec + FILE_HEADER_SIZE, LD_COMM_LEN);
	return 0;
}

static int v3_read_task(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	struct task_ref *task;

	if (size != FILE_HEADER_SIZE + 4 + LD_COMM_LEN || get16(rec + 2))
		return corrupt(reader, "bad task record (size %zu)", size);
	if (array_reserve((void **)&reader->tasks, &reader->cap_tasks, (size_t)reader->nr_tasks + 1,
			  sizeof(*reader->tasks)))
		return reader_oom(reader);
	task = &reader->tasks[reader->nr_tasks++];
	task->pid = get32(rec + FILE_HEADER_SIZE);
	memcpy(task->comm, rec + FILE_HEADER_SIZE + 4, LD_COMM_LEN);
	return 0;
}

static int v3_read_site(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	__u32 ip = get32(rec + 8), stack = get32(rec + 12);

	if (size != 16 || get16(rec + 2))
		return corrupt(reader, "bad site record (size %zu)", size);
	if (ip >= reader->nr_addrs)
		return corrupt(reader, "site uses undefined address %u", ip);
	if (stack >= reader->nr_stacks)
		return corrupt(reader, "site uses undefined stack %u", stack);
	if (array_reserve((void **)&reader->sites, &reader->cap_sites, (size_t)reader->nr_sites + 1,
			  sizeof(*reader->sites)))
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
static int v2_read_file_record(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	unsigned int type = rec[0];

	if (rec[1])
		return corrupt(reader, "bad record 0x%x (reserved byte set)", type);
	switch (type) {
	case REC_ADDR:
		return v2_read_addr(reader, rec, size);
	case REC_STACK:
		return v2_read_stack(reader, rec, size);
	case REC_COMM:
		if (reader->major >= 3)
			return corrupt(reader, "unknown record type 0x%x", type);
		return v2_read_comm(reader, rec, size);
	case REC_TASK:
		if (reader->major < 3)
			return corrupt(reader, "unknown record type 0x%x", type);
		return v3_read_task(reader, rec, size);
	case REC_SITE:
		if (reader->major < 3)
			return corrupt(reader, "unknown record type 0x%x", type);
		return v3_read_site(reader, rec, size);
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
		       ld_event_type_name(reader->out_buf[reader->out_pos]), what, id);
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
static inline void v2_copy_stack(__u64 *dst, const __u64 *frames, size_t nr)
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
		v2_copy_stack(dst, reader->frames + stack.first, stack.nr);
}

/* Rebuilds the event of a record of size bytes, all available, into reader->event. */
static int v2_decode_event(struct binary_reader *reader, const unsigned char *rec, size_t size)
{
	unsigned int type = rec[0], flags = rec[1], aux = get16(rec + 2);
	__u32 delta = get32(rec + 4), stack = 0, comm = 0, text_len = 0, bad = UINT32_MAX;
	__u32 site = 0, task = get32(rec + 8);
	bool v3 = reader->major >= 3;
	const unsigned char *text = NULL;
	__u64 *out = reader->event.words;
	__u64 u[4] = { 0 }; /* the union's words */
	struct stack_ref stack_ref;
	const char *comm_text;
	size_t nr_stack, ev_size;
	__u64 pid = task;

	if (!(flags & LD_EV_F_TIME) && delta)
		return corrupt(reader, "time delta %u on an event without a time", delta);
	if (aux && !event_has_text(type) && type != LD_EV_ACQUIRE && type != LD_EV_RECLAIM)
		return corrupt(reader, "bad %s (aux 0x%x)", ld_event_type_name(type), aux);
	switch (type) {
	case LD_EV_INIT:
		u[0] = addr_at(reader, rec, 12, &bad);
		u[1] = addr_at(reader, rec, 16, &bad);
		text = rec + EVENT_HEADER_SIZE + 8;
		text_len = aux;
		break;
	case LD_EV_ACQUIRE:
		if ((aux & 0xff) >= LD_LOCK_TYPE_MAX ||
		    aux >> 8 > (v3 ? (ACQUIRE_EXTENDED >> 8 | 1) : 1))
			return corrupt(reader, "bad acquire (lock type %u, trylock %u)", aux & 0xff,
				       aux >> 8);
		if (v3) {
			u[0] = addr_at(reader, rec, 12, &bad);
			site = get32(rec + 16);
			if (aux & ACQUIRE_EXTENDED) {
				u[2] = addr_at(reader, rec, 20, &bad);
				u[3] = get32(rec + 24);
			}
			u[3] |= (__u64)(aux & 0xff) << 32 | (__u64)(aux >> 8 & 1) << 40;
			break;
		}
		u[0] = addr_at(reader, rec, 12, &bad);
		u[1] = addr_at(reader, rec, 16, &bad);
		u[2] = addr_at(reader, rec, 20, &bad);
		stack = get32(rec + 24);
		comm = get32(rec + 28);
		/* ret, then lock_type and trylock */
		u[3] = get32(rec + 32) | (__u64)(aux & 0xff) << 32 | (__u64)(aux >> 8) << 40;
		break;
	case LD_EV_RELEASE:
		u[0] = addr_at(reader, rec, 12, &bad);
		u[1] = addr_at(reader, rec, 16, &bad);
		break;
	case LD_EV_ALLOC:
		u[0] = get64(rec + 12);
		if (v3) {
			site = get32(rec + 20);
			break;
		}
		u[1] = addr_at(reader, rec, 20, &bad);
		stack = get32(rec + 24);
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
	default: /* LD_EV_EXIT */
		break;
	}
	if (bad != UINT32_MAX)
		return bad_id(reader, "address", bad);
	if (stack >= reader->nr_stacks)
		return bad_id(reader, "stack", stack);
	if (comm >= reader->nr_comms)
		return bad_id(reader, "comm", comm);
	if (site >= reader->nr_sites)
		return bad_id(reader, "site", site);
	if (v3 && task >= reader->nr_tasks)
		return bad_id(reader, "task", task);
	for (size_t i = text - rec + text_len; text && i < size; i++)
		if (rec[i])
			return corrupt(reader, "nonzero padding after the text");
	if (flags & LD_EV_F_TIME)
		reader->time += delta;
	stack_ref = reader->stacks[stack];
	comm_text = reader->comms[comm];
	if (v3) {
		pid = reader->tasks[task].pid;
		comm_text = type == LD_EV_ACQUIRE ? reader->tasks[task].comm : reader->comms[0];
		if (type == LD_EV_ACQUIRE || type == LD_EV_ALLOC) {
			u[1] = reader->sites[site].ip;
			stack_ref = reader->sites[site].stack;
		}
	}
	nr_stack = stack_ref.nr;
	ev_size = ld_event_size_for(nr_stack, text_len);
	out[EV_WORD_HEADER] = type | ev_size << 16 | nr_stack << 32 | (__u64)text_len << 48;
	out[EV_WORD_PID] = pid | (__u64)flags << 32;
	out[EV_WORD_TIME] = flags & LD_EV_F_TIME ? reader->time : 0;
	memcpy(&out[EV_WORD_UNION], u, sizeof(u));
	memcpy(&out[EV_WORD_COMM], comm_text, LD_COMM_LEN);
	copy_site_stack(reader, &out[EV_WORDS], stack_ref, u[1]);
	if (text) {
		char *dst = (char *)&out[EV_WORDS];

		memcpy(dst, text, text_len);
		memset(dst + text_len, 0, ev_size - LD_EVENT_FIXED_SIZE - text_len);
	}
	return 0;
}

/* The size of the record at rec (at least FILE_HEADER_SIZE bytes there), or 0 if bad. */
static size_t v2_record_size(const struct binary_reader *reader, const unsigned char *rec)
{
	unsigned int type = rec[0];

	if (type && type < LD_EV_TYPE_MAX) {
		size_t text = event_has_text(type) ? get16(rec + 2) : 0;

		if (text > LD_MAX_TEXT)
			return 0;
		if (reader->major >= 3)
			return record_size_v3(type, get16(rec + 2));
		return event_record_size[type] + align4(text);
	}
	if (type >= REC_FILE_FIRST) {
		size_t size = get32(rec + 4);

		return size < FILE_HEADER_SIZE || size % 4 || size > FILE_RECORD_MAX ? 0 : size;
	}
	return 0;
}

static int v2_bad_record(const struct binary_reader *reader, const unsigned char *rec)
{
	unsigned int type = rec[0];

	if (type && type < LD_EV_TYPE_MAX)
		return corrupt(reader, "bad %s (text length %u)", ld_event_type_name(type),
			       get16(rec + 2));
	if (type >= REC_FILE_FIRST)
		return corrupt(reader, "record 0x%x has a bad size %u", type, get32(rec + 4));
	return corrupt(reader, "unknown record type 0x%x", type);
}

/*
 * Acquire and release, nine events in ten, without the generic decoder's
 * dispatch and its checks one by one: false when anything is unusual, and
 * v2_decode_event() judges the record.
 */
static inline bool v2_decode_lock_event(struct binary_reader *reader, const unsigned char *rec)
{
	unsigned int type = rec[0], flags = rec[1], aux = get16(rec + 2);
	__u32 delta = get32(rec + 4), lock = get32(rec + 12), ip = get32(rec + 16);
	__u32 ctx = 0, stack = 0, comm = 0;
	__u64 *out = reader->event.words;
	__u64 unions3 = 0;
	size_t nr_stack;

	if (type == LD_EV_ACQUIRE) {
		ctx = get32(rec + 20);
		stack = get32(rec + 24);
		comm = get32(rec + 28);
		if ((aux & 0xff) >= LD_LOCK_TYPE_MAX || aux >> 8 > 1)
			return false;
		unions3 = get32(rec + 32) | (__u64)(aux & 0xff) << 32 | (__u64)(aux >> 8) << 40;
	} else if (aux) {
		return false;
	}
	if ((!(flags & LD_EV_F_TIME) && delta) || lock >= reader->nr_addrs ||
	    ip >= reader->nr_addrs || ctx >= reader->nr_addrs || stack >= reader->nr_stacks ||
	    comm >= reader->nr_comms)
		return false;
	if (flags & LD_EV_F_TIME)
		reader->time += delta;
	nr_stack = reader->stacks[stack].nr;
	out[EV_WORD_HEADER] = type | ld_event_size_for(nr_stack, 0) << 16 | nr_stack << 32;
	out[EV_WORD_PID] = get32(rec + 8) | (__u64)flags << 32;
	out[EV_WORD_TIME] = flags & LD_EV_F_TIME ? reader->time : 0;
	out[EV_WORD_UNION] = reader->addrs[lock];
	out[EV_WORD_UNION + 1] = reader->addrs[ip];
	out[EV_WORD_UNION + 2] = reader->addrs[ctx];
	out[EV_WORD_UNION + 3] = unions3;
	memcpy(&out[EV_WORD_COMM], reader->comms[comm], LD_COMM_LEN);
	v2_copy_stack(&out[EV_WORDS], reader->frames + reader->stacks[stack].first, nr_stack);
	return true;
}

/* The same for version 3: plain acquires (not extended) and releases. */
static inline __attribute__((always_inline)) bool v3_decode_lock_event(struct binary_reader *reader,
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

/* The same for a version 3 allocation, one event in twenty, most with a whole stack. */
static inline __attribute__((always_inline)) bool
v3_decode_alloc_event(struct binary_reader *reader, const unsigned char *rec)
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

static __attribute__((noinline)) int v2_next(struct binary_reader *reader,
					     const struct ld_event **ret_event)
{
	for (;;) {
		const unsigned char *rec;
		size_t size;
		int ret;

		if (reader->done)
			return 0;
		rec = reader->out_buf + reader->out_pos;
		if (reader->major == 2 &&
		    reader->out_end - reader->out_pos >= EVENT_HEADER_SIZE + 24 &&
		    (rec[0] == LD_EV_ACQUIRE || rec[0] == LD_EV_RELEASE) &&
		    v2_decode_lock_event(reader, rec)) {
			reader->out_pos += event_record_size[rec[0]];
			reader->records++;
			reader->events++;
			*ret_event = &reader->event.ev;
			return 1;
		}
		if (reader->out_end - reader->out_pos < FILE_HEADER_SIZE) {
			ret = reader_fill(reader, FILE_HEADER_SIZE);
			if (ret <= 0)
				return ret < 0 ? ret : reader_truncated(reader);
		}
		rec = reader->out_buf + reader->out_pos;
		size = v2_record_size(reader, rec);
		if (!size)
			return v2_bad_record(reader, rec);
		if (reader->out_end - reader->out_pos < size) {
			ret = reader_fill(reader, size);
			if (ret <= 0)
				return ret < 0 ? ret : reader_truncated(reader);
			rec = reader->out_buf + reader->out_pos;
		}
		if (rec[0] < LD_EV_TYPE_MAX) {
			ret = v2_decode_event(reader, rec, size);
			if (ret)
				return ret;
			reader->out_pos += size;
			reader->records++;
			reader->events++;
			*ret_event = &reader->event.ev;
			return 1;
		}
		if (rec[0] == REC_END) {
			if (size != 16 || rec[1] || get16(rec + 2))
				return corrupt(reader, "bad end record (size %zu)", size);
			return read_end(reader, get64(rec + 8), size);
		}
		ret = v2_read_file_record(reader, rec, size);
		if (ret)
			return ret;
		reader->out_pos += size;
		reader->records++;
	}
}

/*
 * Nineteen events in twenty: a whole version 3 acquire, release or
 * allocation in the buffer, decoded with nothing else on the way (v2_next()
 * holds the rest, out of line, so this path saves few registers). False
 * when it is not one. Version 3 readers only.
 */
static inline __attribute__((always_inline)) bool v3_next_fast_event(struct binary_reader *reader)
{
	const unsigned char *rec = reader->out_buf + reader->out_pos;
	size_t avail = reader->out_end - reader->out_pos, size;

	if (avail >= EVENT_HEADER_SIZE + 8 &&
	    (rec[0] == LD_EV_ACQUIRE || rec[0] == LD_EV_RELEASE)) {
		if (!v3_decode_lock_event(reader, rec))
			return false;
		size = EVENT_HEADER_SIZE + 8;
	} else if (avail >= EVENT_HEADER_SIZE + 12 && rec[0] == LD_EV_ALLOC) {
		if (!v3_decode_alloc_event(reader, rec))
			return false;
		size = EVENT_HEADER_SIZE + 12;
	} else {
		return false;
	}
	reader->out_pos += size;
	reader->records++;
	reader->events++;
	return true;
}

int binary_reader__replay(struct binary_reader *reader, trace_event_fn fn, void *ctx, __u64 *events)
{
	const struct ld_event *event;
	int ret;

	while (reader->major < 3) {
		ret = binary_reader__next(reader, &event);
		if (ret <= 0)
			return ret;
		(*events)++;
		ret = fn(ctx, event);
		if (ret)
			return ret;
	}
	for (;;) {
		if (v3_next_fast_event(reader)) {
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
	if (reader->major >= 3 && v3_next_fast_event(reader)) {
		*ret_event = &reader->event.ev;
		return 1;
	}
	if (reader->major >= 2)
		return v2_next(reader, ret_event);
	return v1_next(reader, ret_event);
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

/* --- writer -------------------------------------------------------------- */

/*
 * A dictionary's index: open addressing over ids (0 marks a free slot),
 * each slot keeping 32 bits of its value's hash to skip most comparisons.
 */
struct id_slot {
	__u32 id;
	__u32 hash;
};

struct id_map {
	struct id_slot *slots;
	__u32 mask; /* capacity - 1 */
	__u32 count;
};

struct trace_writer;
typedef bool (*id_eq_fn)(const struct trace_writer *writer, __u32 id, const void *wanted);

struct trace_writer {
	char *path;
	FILE *file;
	bool close_file;
	ZSTD_CCtx *cctx;
	struct symtab *symtab;

	unsigned char *staging; /* records not yet compressed */
	size_t staged;
	unsigned char *out_buf;
	size_t out_cap;

	/* The dictionaries written so far; [0] is id 0. */
	struct id_map addr_index;
	__u64 *addrs;
	__u32 nr_addrs;
	__u32 cap_addrs;
	struct id_map stack_index;
	struct stack_ref *stacks;
	__u32 nr_stacks;
	__u32 cap_stacks;
	__u64 *frames;
	__u32 nr_frames;
	__u32 cap_frames;
	struct id_map task_index;
	struct task_ref *tasks;
	__u32 nr_tasks;
	__u32 cap_tasks;
	struct id_map site_index;
	__u64 *sites; /* address id << 32 | stack id */
	__u32 nr_sites;
	__u32 cap_sites;
	__u64 time;

	__u64 events;
	int err; /* sticky: the first failure, already logged */
};

static __u32 hash_u64(__u64 x, __u64 h)
{
	h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
	return (__u32)(h ^ h >> 29 ^ h >> 47);
}

static __u32 hash_words(const __u64 *words, size_t n)
{
	__u64 h = n;

	for (size_t i = 0; i < n; i++)
		h = (h ^ words[i] ^ h >> 31) * 0x9e3779b97f4a7c15ULL;
	return hash_u64(h, 0);
}

/* The slot of the value eq() accepts, or the free slot where it belongs. */
static struct id_slot *id_map_slot(const struct trace_writer *writer, const struct id_map *map,
				   __u32 hash, id_eq_fn eq, const void *wanted)
{
	for (__u32 i = hash & map->mask;; i = (i + 1) & map->mask) {
		struct id_slot *slot = &map->slots[i];

		if (!slot->id || (slot->hash == hash && eq(writer, slot->id, wanted)))
			return slot;
	}
}

/*
 * Enters a new value's id, once its record is out: found again, since
 * writing it may have grown the map (id_map_reserve() made the room).
 */
static void id_map_add(const struct trace_writer *writer, struct id_map *map, __u32 hash,
		       id_eq_fn eq, const void *wanted, __u32 id)
{
	struct id_slot *slot = id_map_slot(writer, map, hash, eq, wanted);

	slot->id = id;
	slot->hash = hash;
	map->count++;
}

/* Room for one more entry: grows at half full. 0 or -ENOMEM. */
static int id_map_reserve(struct id_map *map)
{
	size_t capacity = map->slots ? (size_t)map->mask + 1 : 0;
	struct id_slot *slots;

	if (((size_t)map->count + 1) * 2 <= capacity)
		return 0;
	capacity = capacity ? capacity * 2 : 1024;
	if (capacity > (size_t)UINT32_MAX + 1)
		return -ENOMEM;
	slots = calloc(capacity, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t j = 0; map->slots && j <= map->mask; j++) {
		size_t i;

		if (!map->slots[j].id)
			continue;
		for (i = map->slots[j].hash & (capacity - 1); slots[i].id;
		     i = (i + 1) & (capacity - 1))
			;
		slots[i] = map->slots[j];
	}
	free(map->slots);
	map->slots = slots;
	map->mask = (__u32)(capacity - 1);
	return 0;
}

static int writer_fail(struct trace_writer *writer, int err, const char *what)
{
	if (!writer->err)
		writer->err = log_error_errno(err, "%s: %s", writer->path, what);
	return writer->err;
}

/* Compresses everything staged; flush and end also push it to the file. */
static int writer_compress(struct trace_writer *writer, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { writer->staging, writer->staged, 0 };
	size_t remaining;

	if (writer->err)
		return writer->err;
	do {
		ZSTD_outBuffer out = { writer->out_buf, writer->out_cap, 0 };

		remaining = ZSTD_compressStream2(writer->cctx, &out, &in, mode);
		if (ZSTD_isError(remaining))
			return writer_fail(writer, -EIO, ZSTD_getErrorName(remaining));
		if (out.pos && fwrite(writer->out_buf, 1, out.pos, writer->file) != out.pos)
			return writer_fail(writer, -errno ? -errno : -EIO, "write failed");
	} while (mode == ZSTD_e_continue ? in.pos < in.size : remaining != 0);
	writer->staged = 0;
	if (mode != ZSTD_e_continue && fflush(writer->file))
		return writer_fail(writer, -errno, "write failed");
	return 0;
}

static int writer_append(struct trace_writer *writer, const void *data, size_t len)
{
	int err;

	/*
	 * A full staging buffer ends a frame, compressed in one call so that
	 * its header says its size: the reader can then inflate it whole.
	 */
	if (writer->staged + len > WRITER_FLUSH_BYTES) {
		err = writer_compress(writer, ZSTD_e_end);
		if (err)
			return err;
	}
	memcpy(writer->staging + writer->staged, data, len);
	writer->staged += len;
	return 0;
}

static int write_header(struct trace_writer *writer, const struct trace_writer_opts *opts)
{
	unsigned char buf[HEADER_MAX_SIZE] __attribute__((aligned(8)));
	struct file_header *header = (struct file_header *)buf;
	const char *release = opts && opts->kernel_release ? opts->kernel_release : "";
	const struct gfp_layout *gfp = opts ? opts->gfp : NULL;
	struct gfp_layout *fallback = NULL;
	struct timespec now;
	size_t off = sizeof(*header);
	int err = 0;

	if (strlen(release) > KERNEL_RELEASE_MAX)
		return writer_fail(writer, -EINVAL, "kernel release too long");
	if (!gfp) {
		fallback = gfp_layout__new_default();
		if (!fallback)
			return writer_fail(writer, -ENOMEM, "out of memory");
		gfp = fallback;
	}
	memset(buf, 0, sizeof(buf));
	memcpy(header->magic, TRACE_MAGIC, TRACE_MAGIC_LEN);
	header->version_major = TRACE_FORMAT_VERSION;
	header->version_minor = TRACE_FORMAT_MINOR;
	header->event_abi = LD_EVENT_ABI_VERSION;
	header->nr_gfp = gfp_layout__count(gfp);
	clock_gettime(CLOCK_REALTIME, &now);
	header->created_ns = (__u64)now.tv_sec * 1000000000ULL + now.tv_nsec;
	memcpy(buf + off, release, strlen(release) + 1);
	off += strlen(release) + 1;
	memcpy(buf + off, TRACE_CLOCK, sizeof(TRACE_CLOCK));
	off += sizeof(TRACE_CLOCK);
	for (size_t i = 0; i < gfp_layout__count(gfp); i++) {
		const char *name;
		__u64 mask;

		gfp_layout__entry(gfp, i, &name, &mask);
		if (off + sizeof(mask) + strlen(name) + 1 + 8 > sizeof(buf)) {
			err = writer_fail(writer, -EINVAL, "gfp layout too large for the header");
			goto cleanup;
		}
		memcpy(buf + off, &mask, sizeof(mask));
		off += sizeof(mask);
		memcpy(buf + off, name, strlen(name) + 1);
		off += strlen(name) + 1;
	}
	header->size = (off + 7) & ~(size_t)7;
	err = writer_append(writer, buf, header->size);
	if (!err)
		err = writer_compress(writer, ZSTD_e_flush);
cleanup:
	gfp_layout__free(fallback);
	return err;
}

static void writer_free(struct trace_writer *writer)
{
	if (!writer)
		return;
	if (writer->close_file && writer->file)
		fclose(writer->file);
	ZSTD_freeCCtx(writer->cctx);
	free(writer->addr_index.slots);
	free(writer->addrs);
	free(writer->stack_index.slots);
	free(writer->stacks);
	free(writer->frames);
	free(writer->task_index.slots);
	free(writer->tasks);
	free(writer->site_index.slots);
	free(writer->sites);
	free(writer->staging);
	free(writer->out_buf);
	free(writer->path);
	free(writer);
}

/*
 * Id 0 of every dictionary: address 0, no stack, no site. Tasks have no id
 * 0 (every event names its own), so the entry is only a placeholder.
 */
static int writer_init_dictionaries(struct trace_writer *writer)
{
	if (array_reserve((void **)&writer->addrs, &writer->cap_addrs, 1, sizeof(*writer->addrs)) ||
	    array_reserve((void **)&writer->stacks, &writer->cap_stacks, 1,
			  sizeof(*writer->stacks)) ||
	    array_reserve((void **)&writer->tasks, &writer->cap_tasks, 1, sizeof(*writer->tasks)) ||
	    array_reserve((void **)&writer->sites, &writer->cap_sites, 1, sizeof(*writer->sites)) ||
	    id_map_reserve(&writer->addr_index) || id_map_reserve(&writer->stack_index) ||
	    id_map_reserve(&writer->task_index) || id_map_reserve(&writer->site_index))
		return -ENOMEM;
	writer->addrs[0] = 0;
	writer->stacks[0] = (struct stack_ref){ 0, 0 };
	writer->tasks[0] = (struct task_ref){ 0 };
	writer->sites[0] = 0;
	writer->nr_addrs = writer->nr_stacks = writer->nr_tasks = writer->nr_sites = 1;
	return 0;
}

int trace_writer__open(const char *path, const struct trace_writer_opts *opts,
		       struct symtab *symtab, struct trace_writer **ret_writer)
{
	struct trace_writer *writer = calloc(1, sizeof(*writer));
	int level = opts && opts->compression_level ? opts->compression_level : ZSTD_CLEVEL_DEFAULT;
	int err;

	if (!writer)
		return log_error_errno(-ENOMEM, "%s: out of memory", path);
	writer->symtab = symtab;
	writer->path = strdup(path);
	writer->cctx = ZSTD_createCCtx();
	writer->out_cap = ZSTD_CStreamOutSize();
	writer->out_buf = malloc(writer->out_cap);
	writer->staging = malloc(WRITER_FLUSH_BYTES);
	if (!writer->path || !writer->cctx || !writer->out_buf || !writer->staging ||
	    writer_init_dictionaries(writer)) {
		err = log_error_errno(-ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(writer->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(writer->cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(
		    ZSTD_CCtx_setParameter(writer->cctx, ZSTD_c_windowLog, WRITER_WINDOW_LOG))) {
		err = log_error_errno(-EINVAL, "%s: bad compression level %d", path, level);
		goto cleanup;
	}
	if (strcmp(path, "-") == 0) {
		writer->file = stdout;
	} else {
		writer->file = fopen(path, "we");
		if (!writer->file) {
			err = log_error_errno(-errno, "%s: %s", path, strerror(errno));
			goto cleanup;
		}
		writer->close_file = true;
	}
	err = write_header(writer, opts);
	if (err)
		goto cleanup;
	*ret_writer = writer;
	return 0;
cleanup:
	writer_free(writer);
	return err;
}

static void file_record_header(unsigned char *rec, unsigned int type, __u16 arg, size_t size)
{
	rec[0] = type;
	rec[1] = 0;
	put16(rec + 2, arg);
	put32(rec + 4, (__u32)size);
}

static bool addr_eq(const struct trace_writer *writer, __u32 id, const void *wanted)
{
	return writer->addrs[id] == *(const __u64 *)wanted;
}

/* The address record of a new address, with its symbol name when it has one. */
static int write_addr_record(struct trace_writer *writer, __u64 addr)
{
	unsigned char buf[16 + SYMBOL_NAME_MAX + 4] __attribute__((aligned(8)));
	const char *name = writer->symtab ? symtab__lookup(writer->symtab, addr) : NULL;
	size_t len = name ? strlen(name) : 0;
	size_t size;

	/* Overlong names are not worth a record of their own. */
	if (len > SYMBOL_NAME_MAX)
		len = 0;
	size = len ? align4(16 + len + 1) : 16;
	memset(buf, 0, size);
	file_record_header(buf, REC_ADDR, (__u16)len, size);
	put64(buf + 8, addr);
	if (len)
		memcpy(buf + 16, name, len);
	return writer_append(writer, buf, size);
}

/* The id of addr, written to the file first when new. 0 or a negative errno. */
static int writer_addr_id(struct trace_writer *writer, __u64 addr, __u32 *ret_id)
{
	__u32 hash = hash_u64(addr, 0);
	struct id_slot *slot;
	int err;

	if (!addr) {
		*ret_id = 0;
		return 0;
	}
	slot = id_map_slot(writer, &writer->addr_index, hash, addr_eq, &addr);
	if (slot->id) {
		*ret_id = slot->id;
		return 0;
	}
	if (id_map_reserve(&writer->addr_index) ||
	    array_reserve((void **)&writer->addrs, &writer->cap_addrs, (size_t)writer->nr_addrs + 1,
			  sizeof(*writer->addrs)))
		return writer_fail(writer, -ENOMEM, "out of memory");
	err = write_addr_record(writer, addr);
	if (err)
		return err;
	id_map_add(writer, &writer->addr_index, hash, addr_eq, &addr, writer->nr_addrs);
	writer->addrs[writer->nr_addrs] = addr;
	*ret_id = writer->nr_addrs++;
	return 0;
}

struct stack_wanted {
	const __u64 *frames;
	__u32 nr;
};

static bool stack_eq(const struct trace_writer *writer, __u32 id, const void *wanted)
{
	const struct stack_wanted *w = wanted;
	const struct stack_ref *ref = &writer->stacks[id];

	return ref->nr == w->nr &&
	       memcmp(writer->frames + ref->first, w->frames, w->nr * sizeof(__u64)) == 0;
}

static int write_stack_record(struct trace_writer *writer, const __u64 *frames, __u32 nr)
{
	unsigned char buf[FILE_HEADER_SIZE + 4 * LD_MAX_STACK] __attribute__((aligned(8)));
	size_t size = FILE_HEADER_SIZE + 4 * nr;

	file_record_header(buf, REC_STACK, (__u16)nr, size);
	for (__u32 i = 0; i < nr; i++) {
		__u32 id;
		int err = writer_addr_id(writer, frames[i], &id);

		if (err)
			return err;
		put32(buf + FILE_HEADER_SIZE + 4 * i, id);
	}
	return writer_append(writer, buf, size);
}

/* The id of a stack, written to the file (frames first) when new. */
static int writer_stack_id(struct trace_writer *writer, const __u64 *frames, __u32 nr,
			   __u32 *ret_id)
{
	struct stack_wanted wanted = { frames, nr };
	__u32 hash = hash_words(frames, nr);
	struct id_slot *slot;
	int err;

	if (!nr) {
		*ret_id = 0;
		return 0;
	}
	slot = id_map_slot(writer, &writer->stack_index, hash, stack_eq, &wanted);
	if (slot->id) {
		*ret_id = slot->id;
		return 0;
	}
	if (id_map_reserve(&writer->stack_index) ||
	    array_reserve((void **)&writer->stacks, &writer->cap_stacks,
			  (size_t)writer->nr_stacks + 1, sizeof(*writer->stacks)) ||
	    array_reserve((void **)&writer->frames, &writer->cap_frames,
			  (size_t)writer->nr_frames + nr, sizeof(*writer->frames)))
		return writer_fail(writer, -ENOMEM, "out of memory");
	err = write_stack_record(writer, frames, nr);
	if (err)
		return err;
	id_map_add(writer, &writer->stack_index, hash, stack_eq, &wanted, writer->nr_stacks);
	memcpy(writer->frames + writer->nr_frames, frames, nr * sizeof(__u64));
	writer->stacks[writer->nr_stacks] = (struct stack_ref){ writer->nr_frames, nr };
	writer->nr_frames += nr;
	*ret_id = writer->nr_stacks++;
	return 0;
}

static bool task_eq(const struct trace_writer *writer, __u32 id, const void *wanted)
{
	const struct task_ref *task = wanted;

	return writer->tasks[id].pid == task->pid &&
	       memcmp(writer->tasks[id].comm, task->comm, LD_COMM_LEN) == 0;
}

/*
 * The id of a task (pid and comm), written to the file when new. Only
 * acquires carry a comm: other events name their pid with the empty comm.
 */
static int writer_task_id(struct trace_writer *writer, __u32 pid, const char *comm, __u32 *ret_id)
{
	unsigned char buf[FILE_HEADER_SIZE + 4 + LD_COMM_LEN];
	struct task_ref task = { .pid = pid };
	__u64 words[LD_COMM_LEN / 8];
	struct id_slot *slot;
	__u32 hash;
	int err;

	if (comm)
		memcpy(task.comm, comm, LD_COMM_LEN);
	memcpy(words, task.comm, LD_COMM_LEN);
	hash = hash_u64(pid, hash_words(words, LD_COMM_LEN / 8));
	slot = id_map_slot(writer, &writer->task_index, hash, task_eq, &task);
	if (slot->id) {
		*ret_id = slot->id;
		return 0;
	}
	if (id_map_reserve(&writer->task_index) ||
	    array_reserve((void **)&writer->tasks, &writer->cap_tasks, (size_t)writer->nr_tasks + 1,
			  sizeof(*writer->tasks)))
		return writer_fail(writer, -ENOMEM, "out of memory");
	file_record_header(buf, REC_TASK, 0, sizeof(buf));
	put32(buf + FILE_HEADER_SIZE, pid);
	memcpy(buf + FILE_HEADER_SIZE + 4, task.comm, LD_COMM_LEN);
	err = writer_append(writer, buf, sizeof(buf));
	if (err)
		return err;
	id_map_add(writer, &writer->task_index, hash, task_eq, &task, writer->nr_tasks);
	writer->tasks[writer->nr_tasks] = task;
	*ret_id = writer->nr_tasks++;
	return 0;
}

static bool site_eq(const struct trace_writer *writer, __u32 id, const void *wanted)
{
	return writer->sites[id] == *(const __u64 *)wanted;
}

/* The id of a call site (an ip and its stack), written (its parts first) when new. */
static int writer_site_id(struct trace_writer *writer, __u64 ip, const __u64 *frames, __u32 nr,
			  __u32 *ret_id)
{
	unsigned char buf[16];
	__u32 ip_id, stack_id, hash;
	struct id_slot *slot;
	__u64 key;
	int err;

	err = writer_addr_id(writer, ip, &ip_id);
	if (!err)
		err = writer_stack_id(writer, frames, nr, &stack_id);
	if (err)
		return err;
	key = (__u64)ip_id << 32 | stack_id;
	if (!key) {
		*ret_id = 0;
		return 0;
	}
	hash = hash_u64(key, 0);
	slot = id_map_slot(writer, &writer->site_index, hash, site_eq, &key);
	if (slot->id) {
		*ret_id = slot->id;
		return 0;
	}
	if (id_map_reserve(&writer->site_index) ||
	    array_reserve((void **)&writer->sites, &writer->cap_sites, (size_t)writer->nr_sites + 1,
			  sizeof(*writer->sites)))
		return writer_fail(writer, -ENOMEM, "out of memory");
	file_record_header(buf, REC_SITE, 0, sizeof(buf));
	put32(buf + 8, ip_id);
	put32(buf + 12, stack_id);
	err = writer_append(writer, buf, sizeof(buf));
	if (err)
		return err;
	id_map_add(writer, &writer->site_index, hash, site_eq, &key, writer->nr_sites);
	writer->sites[writer->nr_sites] = key;
	*ret_id = writer->nr_sites++;
	return 0;
}

/* The time delta of a timed event, preceded by a time record when it does not fit. */
static int writer_time_delta(struct trace_writer *writer, __u64 time_ns, __u32 *ret_delta)
{
	unsigned char buf[16];
	int err;

	if (time_ns >= writer->time && time_ns - writer->time <= UINT32_MAX) {
		*ret_delta = (__u32)(time_ns - writer->time);
		writer->time = time_ns;
		return 0;
	}
	file_record_header(buf, REC_TIME, 0, sizeof(buf));
	put64(buf + 8, time_ns);
	err = writer_append(writer, buf, sizeof(buf));
	if (err)
		return err;
	writer->time = time_ns;
	*ret_delta = 0;
	return 0;
}

/* The ids of up to three addresses, in order. */
static int writer_addr_ids(struct trace_writer *writer, const __u64 *addrs, size_t n,
			   __u32 *ret_ids)
{
	for (size_t i = 0; i < n; i++) {
		int err = writer_addr_id(writer, addrs[i], &ret_ids[i]);

		if (err)
			return err;
	}
	return 0;
}

/* The body of an event record after its header; its dictionary records go out first. */
static int encode_body(struct trace_writer *writer, const struct ld_event *ev, unsigned char *rec,
		       __u16 *ret_aux)
{
	const __u64 *stack = ld_event_stack(ev);
	__u32 ids[2], site_id;
	int err = 0;

	*ret_aux = 0;
	switch (ev->type) {
	case LD_EV_INIT:
		err = writer_addr_ids(writer, (const __u64[]){ ev->init.lock, ev->init.site }, 2,
				      ids);
		put32(rec + 12, ids[0]);
		put32(rec + 16, ids[1]);
		memcpy(rec + 20, ld_event_text(ev), ev->text_len);
		*ret_aux = ev->text_len;
		break;
	case LD_EV_ACQUIRE:
		err = writer_addr_ids(writer, (const __u64[]){ ev->acquire.lock, ev->acquire.ctx },
				      2, ids);
		if (!err)
			err = writer_site_id(writer, ev->acquire.ip, stack, ev->nr_stack, &site_id);
		if (err)
			break;
		put32(rec + 12, ids[0]);
		put32(rec + 16, site_id);
		*ret_aux = ev->acquire.lock_type | ev->acquire.trylock << 8;
		if (ids[1] || ev->acquire.ret) {
			put32(rec + 20, ids[1]);
			put32(rec + 24, (__u32)ev->acquire.ret);
			*ret_aux |= ACQUIRE_EXTENDED;
		}
		break;
	case LD_EV_RELEASE:
		err = writer_addr_ids(writer, (const __u64[]){ ev->release.lock, ev->release.ip },
				      2, ids);
		put32(rec + 12, ids[0]);
		put32(rec + 16, ids[1]);
		break;
	case LD_EV_ALLOC:
		err = writer_site_id(writer, ev->alloc.site, stack, ev->nr_stack, &site_id);
		put64(rec + 12, ev->alloc.gfp);
		put32(rec + 20, site_id);
		break;
	case LD_EV_RECLAIM:
		err = writer_addr_ids(writer, &ev->reclaim.fn, 1, ids);
		put32(rec + 12, ids[0]);
		*ret_aux = ev->reclaim.kind | ev->reclaim.state << 8;
		break;
	case LD_EV_FLAGS:
		put32(rec + 12, ev->task_flags.value);
		break;
	case LD_EV_MARK:
		memcpy(rec + 12, ld_event_text(ev), ev->text_len);
		*ret_aux = ev->text_len;
		break;
	case LD_EV_LOST:
		put64(rec + 12, ev->lost.count);
		break;
	default: /* LD_EV_EXIT */
		break;
	}
	return err;
}

int trace_writer__write(struct trace_writer *writer, const struct ld_event *event)
{
	unsigned char rec[EVENT_RECORD_MAX] __attribute__((aligned(8)));
	size_t size;
	__u32 delta = 0, task_id;
	__u16 aux;
	int err;

	if (writer->err)
		return writer->err;
	if (ld_event_validate(event, event->size))
		return log_error_errno(-EINVAL,
				       "%s: refusing to write an invalid event (type %u, size %u)",
				       writer->path, event->type, event->size);
	memset(rec, 0, EVENT_RECORD_MAX);
	err = encode_body(writer, event, rec, &aux);
	if (!err)
		err = writer_task_id(writer, event->pid,
				     event->type == LD_EV_ACQUIRE ? event->comm : NULL, &task_id);
	if (!err && (event->flags & LD_EV_F_TIME))
		err = writer_time_delta(writer, event->time_ns, &delta);
	if (err)
		return err;
	size = record_size_v3(event->type, aux);
	rec[0] = event->type;
	rec[1] = (unsigned char)event->flags;
	put16(rec + 2, aux);
	put32(rec + 4, delta);
	put32(rec + 8, task_id);
	err = writer_append(writer, rec, size);
	if (err)
		return err;
	writer->events++;
	return 0;
}

int trace_writer__flush(struct trace_writer *writer)
{
	return writer_compress(writer, ZSTD_e_flush);
}

int trace_writer__close(struct trace_writer *writer)
{
	unsigned char end[16];
	int err;

	if (!writer)
		return 0;
	file_record_header(end, REC_END, 0, sizeof(end));
	put64(end + 8, writer->events);
	err = writer_append(writer, end, sizeof(end));
	if (!err)
		err = writer_compress(writer, ZSTD_e_end);
	if (writer->close_file) {
		writer->close_file = false;
		if (fclose(writer->file) && !err)
			err = writer_fail(writer, -errno, "close failed");
	}
	writer_free(writer);
	return err;
}
