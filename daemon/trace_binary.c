// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The binary form of a trace: one zstd frame whose content is a header and
 * a sequence of records.
 *
 *   header   magic "LDTRACE\0", format version major.minor, header size,
 *            event ABI version, gfp entry count, creation time (realtime ns),
 *            then NUL-terminated strings: kernel release, clock name, and
 *            per gfp entry a __u64 mask followed by its NUL-terminated name;
 *            padded to a multiple of 8; little-endian (the host's layout,
 *            lockdepd runs on x86-64). The same in every version.
 *
 * Version 2 (written): compact records, byte after byte, numbers as
 * varints (LEB128: 7 bits a byte, low bits first, the high bit set on all
 * but the last byte; signed ones zigzag-encoded first). A record's first
 * byte says what it is:
 *
 *   0x01-0x0f  an event of that type. Bit 4: LD_EV_F_TIME, bit 5:
 *              LD_EV_F_LOST_PID, bit 6: more flags follow. Then the time
 *              delta (signed; with LD_EV_F_TIME), the flags above bit 1
 *              shifted down (with bit 6), the pid, and by type:
 *     init     lock, site, text length, text
 *     acquire  lock type | trylock << 4, lock, ip, ctx, stack, comm,
 *              ret (signed)
 *     release  lock, ip
 *     alloc    gfp, site, stack
 *     reclaim  kind | state << 4, fn
 *     flags    value
 *     exit     nothing more
 *     mark     text length, text
 *     lost     count
 *   0x80-0xff  a file record: the length of its body, then the body:
 *     0x80 address  the next address id: the address (8 bytes), then its
 *                   symbol name when it has one (no NUL)
 *     0x81 stack    the next stack id: the number of frames, then the
 *                   address id of each, innermost first
 *     0x82 comm     the next comm id: char[16] as in struct ld_event
 *     0x83 end      the number of events in the file (8 bytes); nothing
 *                   may follow
 *     0xc0-0xff     added by later minor versions, skipped by this one
 *
 * Addresses (lock, ip, ctx, site, fn and stack frames), stacks and comms
 * are ids into dictionaries that file records build as the writer meets
 * new values, always before the first event using them; id 0 is address 0,
 * no stack, the empty comm. An event's time is the previous timed event's
 * plus its delta (0 before the first). The 8-byte fields are little-endian.
 *
 * A typical acquire takes ~12 bytes and a release ~7, against 72 bytes and
 * a 100-byte stack as struct ld_event: zstd has a tenth as much to inflate,
 * and what is left is mostly what zstd could not predict anyway (which
 * lock, which task, when). What the ABI leaves undefined is not stored and
 * reads back as zero: padding, unused union words, the time of an event
 * without LD_EV_F_TIME, comm outside acquire, stacks outside acquire and
 * alloc, text outside init and mark, and room in `size` beyond what the
 * record needs.
 *
 * Version 1 (still read): records of __u16 type, __u16 size, padded to 8;
 * events are struct ld_event exactly, file records a symbol {type 0x100,
 * size, __u32 name_len, __u64 addr, name, NUL, pad} and an end {type
 * 0x101, size, __u32 0, __u64 events}.
 *
 * Versioning: a new major version is a layout this reader cannot read, and
 * is refused with a clear message; a new minor version only adds file
 * record types, which older readers skip.
 *
 * Crash safety: the writer ends a zstd block (ZSTD_e_flush) and flushes
 * stdio after the header and after every ~1 MiB of records, so a file cut
 * off anywhere decodes up to its last flush; dictionary records come before
 * the events using them, so what was flushed is readable alone. The reader
 * treats a missing end record as truncation (warn, return what was there),
 * and anything inconsistent as corruption (one line with the byte offset in
 * the decompressed stream and the record number, -EINVAL).
 *
 * Speed: records are decoded from a large decompression buffer into one
 * reused event, built whole and stored at once so that the consumer's
 * loads forward from the stores; only a record that straddles the end of
 * the buffer is moved (to its start) before more is decompressed behind
 * it. No allocation per record, only when a dictionary grows.
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

#include "gfp.h"
#include "log.h"
#include "symtab.h"
#include "trace.h"

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

/* Version 2: the first byte of a record. */
#define EV_TYPE_MASK	    0x0f
#define EV_TIME		    0x10
#define EV_LOST_PID	    0x20
#define EV_MORE_FLAGS	    0x40
#define REC_FILE_FIRST	    0x80
#define REC_ADDR	    0x80
#define REC_STACK	    0x81
#define REC_COMM	    0x82
#define REC_END		    0x83
#define REC_EXTENSION_FIRST 0xc0
#define FILE_BODY_MAX	    (8 + 65536)
/* No event record is longer: the longest is an init with 256 bytes of text. */
#define EVENT_MAX_BYTES 320

#define TASK_FLAGS_ALL \
	(LD_TASK_MEMALLOC | LD_TASK_MEMALLOC_NOFS | LD_TASK_MEMALLOC_NOIO | LD_TASK_KSWAPD)

#define WRITER_FLUSH_BYTES (1024 * 1024)
#define READER_IN_SIZE	   (1024 * 1024)
#define READER_OUT_SIZE	   (1024 * 1024)
#define ZSTD_BLOCK_MAX	   (128 * 1024) /* ZSTD_BLOCKSIZE_MAX, not in every zstd.h */

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

static inline __u64 get64(const unsigned char *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
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
 * Makes at least `need` bytes available at out_pos. 1 when they are, 0 when
 * the input ends first, or a negative errno.
 */
static int reader_fill(struct binary_reader *reader, size_t need)
{
	while (reader->out_end - reader->out_pos < need) {
		ZSTD_outBuffer out;
		size_t in_before, out_before, ret;

		/* zstd takes calls that cannot progress for an error after a few. */
		if (reader->drained)
			return 0;

		/*
		 * Keep a whole block of room behind the data: zstd then decodes
		 * straight into our buffer instead of into its own and copying.
		 */
		if (reader->out_cap - reader->out_end < ZSTD_BLOCK_MAX ||
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

/* Version 2 dictionaries start with id 0: address 0, no stack, no comm. */
static int reader_init_dictionaries(struct binary_reader *reader)
{
	if (array_reserve((void **)&reader->addrs, &reader->cap_addrs, 1, sizeof(*reader->addrs)) ||
	    array_reserve((void **)&reader->stacks, &reader->cap_stacks, 1,
			  sizeof(*reader->stacks)) ||
	    array_reserve((void **)&reader->comms, &reader->cap_comms, 1, sizeof(*reader->comms)))
		return reader_oom(reader);
	reader->addrs[0] = 0;
	reader->stacks[0] = (struct stack_ref){ 0, 0 };
	memset(reader->comms[0], 0, LD_COMM_LEN);
	reader->nr_addrs = reader->nr_stacks = reader->nr_comms = 1;
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

/* Bytes being decoded; `overrun` once a read wanted more than there is. */
struct cursor {
	const unsigned char *p;
	const unsigned char *end;
	bool overrun;
	bool malformed; /* a number too long for its field */
};

/*
 * Everything that reads from a cursor is inlined, so that the cursor stays
 * in registers: through memory, every field would wait for the store of
 * the previous one's end.
 */
static inline __attribute__((always_inline)) __u64 read_varint(struct cursor *c,
							       unsigned int max_bytes)
{
	__u64 value = 0;

	for (unsigned int i = 0; i < max_bytes; i++) {
		unsigned int byte;

		if (c->p == c->end) {
			c->overrun = true;
			return 0;
		}
		byte = *c->p++;
		value |= (__u64)(byte & 0x7f) << (7 * i);
		if (!(byte & 0x80)) {
			/* The tenth byte of a u64 holds bit 63 only. */
			if (i == 9 && byte > 1)
				c->malformed = true;
			return value;
		}
	}
	c->malformed = true;
	return 0;
}

static inline __attribute__((always_inline)) __u32 read_u32(struct cursor *c)
{
	__u64 value = read_varint(c, 5);

	if (value > UINT32_MAX)
		c->malformed = true;
	return (__u32)value;
}

static inline __attribute__((always_inline)) __u64 read_u64(struct cursor *c)
{
	return read_varint(c, 10);
}

static inline __s64 unzigzag(__u64 value)
{
	return (__s64)(value >> 1) ^ -(__s64)(value & 1);
}

static int v2_read_addr(struct binary_reader *reader, const unsigned char *body, size_t len)
{
	char name[FILE_BODY_MAX - 8 + 1];
	__u64 addr;

	if (len < 8 || memchr(body + 8, '\0', len - 8))
		return corrupt(reader, "bad address record (%zu bytes)", len);
	addr = get64(body);
	if (!addr)
		return corrupt(reader, "address record for address 0");
	if (array_reserve((void **)&reader->addrs, &reader->cap_addrs, (size_t)reader->nr_addrs + 1,
			  sizeof(*reader->addrs)))
		return reader_oom(reader);
	reader->addrs[reader->nr_addrs++] = addr;
	if (len == 8)
		return 0;
	memcpy(name, body + 8, len - 8);
	name[len - 8] = '\0';
	if (symtab__add(reader->symtab, addr, name))
		return reader_oom(reader);
	return 0;
}

static int v2_read_stack(struct binary_reader *reader, const unsigned char *body, size_t len)
{
	struct cursor c = { body, body + len };
	__u32 nr = read_u32(&c);
	__u64 *frames;

	if (c.overrun || c.malformed || nr == 0 || nr > LD_MAX_STACK)
		return corrupt(reader, "bad stack record (%zu bytes)", len);
	if (array_reserve((void **)&reader->stacks, &reader->cap_stacks,
			  (size_t)reader->nr_stacks + 1, sizeof(*reader->stacks)) ||
	    array_reserve((void **)&reader->frames, &reader->cap_frames,
			  (size_t)reader->nr_frames + nr, sizeof(*reader->frames)))
		return reader_oom(reader);
	frames = reader->frames + reader->nr_frames;
	for (__u32 i = 0; i < nr; i++) {
		__u32 id = read_u32(&c);

		if (c.overrun || c.malformed)
			return corrupt(reader, "bad stack record (%zu bytes)", len);
		if (id >= reader->nr_addrs)
			return corrupt(reader, "stack frame %u uses undefined address %u", i, id);
		frames[i] = reader->addrs[id];
	}
	if (c.p != c.end)
		return corrupt(reader, "bad stack record (%zu bytes)", len);
	reader->stacks[reader->nr_stacks++] = (struct stack_ref){ reader->nr_frames, nr };
	reader->nr_frames += nr;
	return 0;
}

static int v2_read_comm(struct binary_reader *reader, const unsigned char *body, size_t len)
{
	if (len != LD_COMM_LEN)
		return corrupt(reader, "bad comm record (%zu bytes)", len);
	if (array_reserve((void **)&reader->comms, &reader->cap_comms, (size_t)reader->nr_comms + 1,
			  sizeof(*reader->comms)))
		return reader_oom(reader);
	memcpy(reader->comms[reader->nr_comms++], body, LD_COMM_LEN);
	return 0;
}

/*
 * The file record at rec, whose header is there (avail bytes from rec, all
 * of what is left when fewer than EVENT_MAX_BYTES). 1 when read, 0 when the
 * input ends inside it, or a negative errno. *ret_size: its length.
 */
static int v2_read_file_record(struct binary_reader *reader, size_t avail, size_t *ret_size)
{
	const unsigned char *rec = reader->out_buf + reader->out_pos;
	struct cursor c = { rec + 1, rec + avail };
	unsigned int type = rec[0];
	size_t len = read_u32(&c), header;
	int ret;

	if (c.overrun)
		return 0;
	if (c.malformed || len > FILE_BODY_MAX)
		return corrupt(reader, "record 0x%x has a bad length", type);
	header = c.p - rec;
	if (avail < header + len) {
		ret = reader_fill(reader, header + len);
		if (ret <= 0)
			return ret;
		rec = reader->out_buf + reader->out_pos;
	}
	*ret_size = header + len;
	switch (type) {
	case REC_ADDR:
		ret = v2_read_addr(reader, rec + header, len);
		break;
	case REC_STACK:
		ret = v2_read_stack(reader, rec + header, len);
		break;
	case REC_COMM:
		ret = v2_read_comm(reader, rec + header, len);
		break;
	case REC_END:
		if (len != 8)
			return corrupt(reader, "bad end record (%zu bytes)", len);
		ret = read_end(reader, get64(rec + header), header + len);
		return ret ? ret : 1;
	default:
		/* Newer minor versions may add file records; skip them. */
		if (type < REC_EXTENSION_FIRST || reader->minor <= TRACE_FORMAT_MINOR)
			return corrupt(reader, "unknown record type 0x%x", type);
		ret = 0;
		break;
	}
	return ret ? ret : 1;
}

static int bad_id(const struct binary_reader *reader, unsigned int type, const char *what, __u32 id)
{
	return corrupt(reader, "%s uses undefined %s %u", ld_event_type_name(type), what, id);
}

/* The address of an id read from c; *ok turns false if it is undefined. */
static inline __attribute__((always_inline)) __u64
read_addr(const struct binary_reader *reader, struct cursor *c, bool *ok, __u32 *ret_bad)
{
	__u32 id = read_u32(c);

	if (id < reader->nr_addrs)
		return reader->addrs[id];
	*ok = false;
	*ret_bad = id;
	return 0;
}

/* A text of at most LD_MAX_TEXT bytes; false if longer. */
static inline __attribute__((always_inline)) bool read_text(struct cursor *c, char *text,
							    __u32 *ret_len)
{
	__u32 len = read_u32(c);

	if (len > LD_MAX_TEXT)
		return false;
	if ((size_t)(c->end - c->p) < len) {
		c->overrun = true;
		return true;
	}
	memcpy(text, c->p, len);
	c->p += len;
	*ret_len = len;
	return true;
}

/*
 * struct ld_event as the 64-bit words the decoder stores: each field lies
 * within one word, so any load of a field is served by one store.
 */
#define EV_WORD_HEADER 0 /* type, size, nr_stack, text_len */
#define EV_WORD_PID    1 /* pid, flags */
#define EV_WORD_TIME   2
#define EV_WORD_UNION  3 /* raw[0..3] */
#define EV_WORD_COMM   7 /* comm[16] */
#define EV_WORDS       9

_Static_assert(offsetof(struct ld_event, pid) == 8 * EV_WORD_PID, "event layout");
_Static_assert(offsetof(struct ld_event, time_ns) == 8 * EV_WORD_TIME, "event layout");
_Static_assert(offsetof(struct ld_event, raw) == 8 * EV_WORD_UNION, "event layout");
_Static_assert(offsetof(struct ld_event, comm) == 8 * EV_WORD_COMM, "event layout");
_Static_assert(sizeof(struct ld_event) == 8 * EV_WORDS, "event layout");

/*
 * The event record at rec (avail bytes there, all of what is left when
 * fewer than EVENT_MAX_BYTES). 1 with the event in reader->event, 0 when
 * the input ends inside it, or -EINVAL. *ret_size: the record's length.
 */
static int v2_decode_event(struct binary_reader *reader, const unsigned char *rec, size_t avail,
			   size_t *ret_size)
{
	struct cursor c = { rec + 1, rec + avail };
	unsigned int type = rec[0] & EV_TYPE_MASK;
	__u64 u[4] = { 0 }; /* the union's words */
	__u32 flags, pid, info = 0, stack = 0, comm = 0, text_len = 0, bad = 0;
	char text[LD_MAX_TEXT];
	__u64 *out = reader->event.words;
	bool ids_ok = true, text_ok = true;
	__s64 delta = 0;
	size_t nr_stack, size;

	if (!type || type >= LD_EV_TYPE_MAX)
		return corrupt(reader, "unknown record type 0x%x", rec[0]);
	flags = (rec[0] & EV_TIME ? LD_EV_F_TIME : 0) |
		(rec[0] & EV_LOST_PID ? LD_EV_F_LOST_PID : 0);
	if (rec[0] & EV_TIME)
		delta = unzigzag(read_u64(&c));
	if (rec[0] & EV_MORE_FLAGS) {
		__u32 more = read_u32(&c);

		if (!more || more > UINT32_MAX >> 2)
			c.malformed = true;
		flags |= more << 2;
	}
	pid = read_u32(&c);
	switch (type) {
	case LD_EV_INIT:
		u[0] = read_addr(reader, &c, &ids_ok, &bad);
		u[1] = read_addr(reader, &c, &ids_ok, &bad);
		text_ok = read_text(&c, text, &text_len);
		break;
	case LD_EV_ACQUIRE:
		info = read_u32(&c);
		u[0] = read_addr(reader, &c, &ids_ok, &bad);
		u[1] = read_addr(reader, &c, &ids_ok, &bad);
		u[2] = read_addr(reader, &c, &ids_ok, &bad);
		stack = read_u32(&c);
		comm = read_u32(&c);
		/* ret, lock_type, trylock */
		u[3] = (__u32)unzigzag(read_u32(&c)) | (__u64)(info & 0x0f) << 32 |
		       (__u64)(info >> 4 & 0xff) << 40;
		break;
	case LD_EV_RELEASE:
		u[0] = read_addr(reader, &c, &ids_ok, &bad);
		u[1] = read_addr(reader, &c, &ids_ok, &bad);
		break;
	case LD_EV_ALLOC:
		u[0] = read_u64(&c);
		u[1] = read_addr(reader, &c, &ids_ok, &bad);
		stack = read_u32(&c);
		break;
	case LD_EV_RECLAIM:
		info = read_u32(&c);
		u[0] = read_addr(reader, &c, &ids_ok, &bad);
		u[1] = (info & 0x0f) | (info >> 4 & 0xff) << 8; /* kind, state */
		break;
	case LD_EV_FLAGS:
		u[0] = read_u32(&c);
		break;
	case LD_EV_MARK:
		text_ok = read_text(&c, text, &text_len);
		break;
	case LD_EV_LOST:
		u[0] = read_u64(&c);
		break;
	default: /* LD_EV_EXIT */
		break;
	}
	if (!text_ok)
		return corrupt(reader, "%s text longer than %d bytes", ld_event_type_name(type),
			       LD_MAX_TEXT);
	if (c.overrun)
		return 0;
	if (c.malformed)
		return corrupt(reader, "malformed number in a %s record", ld_event_type_name(type));
	if (!ids_ok)
		return bad_id(reader, type, "address", bad);
	if (stack >= reader->nr_stacks)
		return bad_id(reader, type, "stack", stack);
	if (comm >= reader->nr_comms)
		return bad_id(reader, type, "comm", comm);
	if ((type == LD_EV_ACQUIRE && ((info & 0x0f) >= LD_LOCK_TYPE_MAX || info >> 4 > 1)) ||
	    (type == LD_EV_RECLAIM &&
	     ((info & 0x0f) >= LD_RECLAIM_KIND_MAX || info >> 4 > LD_RECLAIM_EXIT)) ||
	    (type == LD_EV_FLAGS && (u[0] & ~(__u64)TASK_FLAGS_ALL)))
		return corrupt(reader, "bad %s record (0x%llx)", ld_event_type_name(type),
			       type == LD_EV_FLAGS ? (unsigned long long)u[0] : info);
	if (rec[0] & EV_TIME)
		reader->time += (__u64)delta;
	nr_stack = reader->stacks[stack].nr;
	size = ld_event_size_for(nr_stack, text_len);
	out[EV_WORD_HEADER] = type | size << 16 | (__u64)nr_stack << 32 | (__u64)text_len << 48;
	out[EV_WORD_PID] = pid | (__u64)flags << 32;
	out[EV_WORD_TIME] = rec[0] & EV_TIME ? reader->time : 0;
	memcpy(&out[EV_WORD_UNION], u, sizeof(u));
	memcpy(&out[EV_WORD_COMM], reader->comms[comm], LD_COMM_LEN);
	memcpy(&out[EV_WORDS], reader->frames + reader->stacks[stack].first,
	       nr_stack * sizeof(__u64));
	if (text_len) {
		char *dst = (char *)&out[EV_WORDS];

		memcpy(dst, text, text_len);
		memset(dst + text_len, 0, size - LD_EVENT_FIXED_SIZE - text_len);
	}
	*ret_size = c.p - rec;
	return 1;
}

static int v2_next(struct binary_reader *reader, const struct ld_event **ret_event)
{
	for (;;) {
		size_t avail, size = 0;
		int ret;

		if (reader->done)
			return 0;
		avail = reader->out_end - reader->out_pos;
		if (avail < EVENT_MAX_BYTES) {
			ret = reader_fill(reader, EVENT_MAX_BYTES);
			if (ret < 0)
				return ret;
			avail = reader->out_end - reader->out_pos;
			if (!avail)
				return reader_truncated(reader);
		}
		if (reader->out_buf[reader->out_pos] < REC_FILE_FIRST) {
			ret = v2_decode_event(reader, reader->out_buf + reader->out_pos, avail,
					      &size);
			if (ret <= 0)
				return ret < 0 ? ret : reader_truncated(reader);
			reader->out_pos += size;
			reader->records++;
			reader->events++;
			*ret_event = &reader->event.ev;
			return 1;
		}
		ret = v2_read_file_record(reader, avail, &size);
		if (ret <= 0)
			return ret < 0 ? ret : reader_truncated(reader);
		if (reader->done)
			return 0;
		reader->out_pos += size;
		reader->records++;
	}
}

int binary_reader__next(struct binary_reader *reader, const struct ld_event **ret_event)
{
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
	struct id_map comm_index;
	char (*comms)[LD_COMM_LEN];
	__u32 nr_comms;
	__u32 cap_comms;
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

	if (writer->staged + len > WRITER_FLUSH_BYTES) {
		err = writer_compress(writer, ZSTD_e_flush);
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
	free(writer->comm_index.slots);
	free(writer->comms);
	free(writer->staging);
	free(writer->out_buf);
	free(writer->path);
	free(writer);
}

/* Id 0 of every dictionary: address 0, no stack, the empty comm. */
static int writer_init_dictionaries(struct trace_writer *writer)
{
	if (array_reserve((void **)&writer->addrs, &writer->cap_addrs, 1, sizeof(*writer->addrs)) ||
	    array_reserve((void **)&writer->stacks, &writer->cap_stacks, 1,
			  sizeof(*writer->stacks)) ||
	    array_reserve((void **)&writer->comms, &writer->cap_comms, 1, sizeof(*writer->comms)) ||
	    id_map_reserve(&writer->addr_index) || id_map_reserve(&writer->stack_index) ||
	    id_map_reserve(&writer->comm_index))
		return -ENOMEM;
	writer->addrs[0] = 0;
	writer->stacks[0] = (struct stack_ref){ 0, 0 };
	memset(writer->comms[0], 0, LD_COMM_LEN);
	writer->nr_addrs = writer->nr_stacks = writer->nr_comms = 1;
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
	    ZSTD_isError(ZSTD_CCtx_setParameter(writer->cctx, ZSTD_c_checksumFlag, 1))) {
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

static unsigned char *put_varint(unsigned char *p, __u64 value)
{
	while (value >= 0x80) {
		*p++ = (unsigned char)(value | 0x80);
		value >>= 7;
	}
	*p++ = (unsigned char)value;
	return p;
}

static inline __u64 zigzag(__s64 value)
{
	return (__u64)value << 1 ^ (__u64)(value >> 63);
}

/* A file record of type whose body is len bytes at body. */
static int write_file_record(struct trace_writer *writer, unsigned int type, const void *body,
			     size_t len)
{
	unsigned char buf[1 + 5 + FILE_BODY_MAX];
	unsigned char *p = buf;

	*p++ = type;
	p = put_varint(p, len);
	memcpy(p, body, len);
	return writer_append(writer, buf, p + len - buf);
}

static bool addr_eq(const struct trace_writer *writer, __u32 id, const void *wanted)
{
	return writer->addrs[id] == *(const __u64 *)wanted;
}

/* The address record of a new address, with its symbol name when it has one. */
static int write_addr_record(struct trace_writer *writer, __u64 addr)
{
	unsigned char body[8 + SYMBOL_NAME_MAX];
	const char *name = writer->symtab ? symtab__lookup(writer->symtab, addr) : NULL;
	size_t len = name ? strlen(name) : 0;

	/* Overlong names are not worth a record of their own. */
	if (len > SYMBOL_NAME_MAX)
		len = 0;
	put64(body, addr);
	memcpy(body + 8, name, len);
	return write_file_record(writer, REC_ADDR, body, 8 + len);
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
	slot = id_map_slot(writer, &writer->addr_index, hash, addr_eq, &addr);
	slot->id = writer->nr_addrs;
	slot->hash = hash;
	writer->addr_index.count++;
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

/* A stack record; the address records of its frames go out first. */
static int write_stack_record(struct trace_writer *writer, const __u64 *frames, __u32 nr)
{
	unsigned char body[5 + 5 * LD_MAX_STACK];
	unsigned char *p = put_varint(body, nr);

	for (__u32 i = 0; i < nr; i++) {
		__u32 id;
		int err = writer_addr_id(writer, frames[i], &id);

		if (err)
			return err;
		p = put_varint(p, id);
	}
	return write_file_record(writer, REC_STACK, body, p - body);
}

/* The id of a stack, written to the file when new. */
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
	slot = id_map_slot(writer, &writer->stack_index, hash, stack_eq, &wanted);
	slot->id = writer->nr_stacks;
	slot->hash = hash;
	writer->stack_index.count++;
	memcpy(writer->frames + writer->nr_frames, frames, nr * sizeof(__u64));
	writer->stacks[writer->nr_stacks] = (struct stack_ref){ writer->nr_frames, nr };
	writer->nr_frames += nr;
	*ret_id = writer->nr_stacks++;
	return 0;
}

static bool comm_eq(const struct trace_writer *writer, __u32 id, const void *wanted)
{
	return memcmp(writer->comms[id], wanted, LD_COMM_LEN) == 0;
}

/* The id of a comm, written to the file when new. */
static int writer_comm_id(struct trace_writer *writer, const char comm[LD_COMM_LEN], __u32 *ret_id)
{
	static const char empty[LD_COMM_LEN];
	__u64 words[LD_COMM_LEN / 8];
	struct id_slot *slot;
	__u32 hash;
	int err;

	if (memcmp(comm, empty, LD_COMM_LEN) == 0) {
		*ret_id = 0;
		return 0;
	}
	memcpy(words, comm, LD_COMM_LEN);
	hash = hash_words(words, LD_COMM_LEN / 8);
	slot = id_map_slot(writer, &writer->comm_index, hash, comm_eq, comm);
	if (slot->id) {
		*ret_id = slot->id;
		return 0;
	}
	if (id_map_reserve(&writer->comm_index) ||
	    array_reserve((void **)&writer->comms, &writer->cap_comms, (size_t)writer->nr_comms + 1,
			  sizeof(*writer->comms)))
		return writer_fail(writer, -ENOMEM, "out of memory");
	err = write_file_record(writer, REC_COMM, comm, LD_COMM_LEN);
	if (err)
		return err;
	slot = id_map_slot(writer, &writer->comm_index, hash, comm_eq, comm);
	slot->id = writer->nr_comms;
	slot->hash = hash;
	writer->comm_index.count++;
	memcpy(writer->comms[writer->nr_comms], comm, LD_COMM_LEN);
	*ret_id = writer->nr_comms++;
	return 0;
}

/* Appends the address ids of n addresses at p; their records go out first when new. */
static int put_addr_ids(struct trace_writer *writer, const __u64 *addrs, size_t n,
			unsigned char **p)
{
	for (size_t i = 0; i < n; i++) {
		__u32 id;
		int err = writer_addr_id(writer, addrs[i], &id);

		if (err)
			return err;
		*p = put_varint(*p, id);
	}
	return 0;
}

static unsigned char *put_text(unsigned char *p, const struct ld_event *ev)
{
	p = put_varint(p, ev->text_len);
	memcpy(p, ld_event_text(ev), ev->text_len);
	return p + ev->text_len;
}

/* The fields after the pid; dictionary records the event needs go out first. */
static int encode_body(struct trace_writer *writer, const struct ld_event *ev, unsigned char **p)
{
	const __u64 *stack = ld_event_stack(ev);
	__u32 stack_id, comm_id;
	int err = 0;

	switch (ev->type) {
	case LD_EV_INIT:
		err = put_addr_ids(writer, (const __u64[]){ ev->init.lock, ev->init.site }, 2, p);
		if (!err)
			*p = put_text(*p, ev);
		break;
	case LD_EV_ACQUIRE:
		*(*p)++ = ev->acquire.lock_type | ev->acquire.trylock << 4;
		err = put_addr_ids(
			writer,
			(const __u64[]){ ev->acquire.lock, ev->acquire.ip, ev->acquire.ctx }, 3, p);
		if (!err)
			err = writer_stack_id(writer, stack, ev->nr_stack, &stack_id);
		if (!err)
			err = writer_comm_id(writer, ev->comm, &comm_id);
		if (err)
			break;
		*p = put_varint(*p, stack_id);
		*p = put_varint(*p, comm_id);
		*p = put_varint(*p, (__u32)zigzag(ev->acquire.ret));
		break;
	case LD_EV_RELEASE:
		err = put_addr_ids(writer, (const __u64[]){ ev->release.lock, ev->release.ip }, 2,
				   p);
		break;
	case LD_EV_ALLOC:
		*p = put_varint(*p, ev->alloc.gfp);
		err = put_addr_ids(writer, &ev->alloc.site, 1, p);
		if (!err)
			err = writer_stack_id(writer, stack, ev->nr_stack, &stack_id);
		if (!err)
			*p = put_varint(*p, stack_id);
		break;
	case LD_EV_RECLAIM:
		*(*p)++ = ev->reclaim.kind | ev->reclaim.state << 4;
		err = put_addr_ids(writer, &ev->reclaim.fn, 1, p);
		break;
	case LD_EV_FLAGS:
		*p = put_varint(*p, ev->task_flags.value);
		break;
	case LD_EV_MARK:
		*p = put_text(*p, ev);
		break;
	case LD_EV_LOST:
		*p = put_varint(*p, ev->lost.count);
		break;
	default: /* LD_EV_EXIT */
		break;
	}
	return err;
}

int trace_writer__write(struct trace_writer *writer, const struct ld_event *event)
{
	unsigned char rec[EVENT_MAX_BYTES];
	unsigned char body[EVENT_MAX_BYTES];
	unsigned char *p = rec + 1, *q = body;
	__u32 more_flags;
	int err;

	if (writer->err)
		return writer->err;
	if (ld_event_validate(event, event->size))
		return log_error_errno(-EINVAL,
				       "%s: refusing to write an invalid event (type %u, size %u)",
				       writer->path, event->type, event->size);
	/* The body first: the dictionary records it needs must precede the event. */
	err = encode_body(writer, event, &q);
	if (err)
		return err;
	more_flags = event->flags >> 2;
	rec[0] = event->type | (event->flags & LD_EV_F_TIME ? EV_TIME : 0) |
		 (event->flags & LD_EV_F_LOST_PID ? EV_LOST_PID : 0) |
		 (more_flags ? EV_MORE_FLAGS : 0);
	if (event->flags & LD_EV_F_TIME) {
		p = put_varint(p, zigzag((__s64)(event->time_ns - writer->time)));
		writer->time = event->time_ns;
	}
	if (more_flags)
		p = put_varint(p, more_flags);
	p = put_varint(p, event->pid);
	memcpy(p, body, q - body);
	err = writer_append(writer, rec, p + (q - body) - rec);
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
	unsigned char end[8];
	int err;

	if (!writer)
		return 0;
	put64(end, writer->events);
	err = write_file_record(writer, REC_END, end, sizeof(end));
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
