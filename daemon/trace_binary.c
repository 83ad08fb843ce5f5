// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The binary form of a trace: one zstd frame whose content is a sequence of
 * records, all little-endian (the host's layout; lockdepd runs on x86-64):
 *
 *   header   magic "LDTRACE\0", format version major.minor, header size,
 *            event ABI version, gfp entry count, creation time (realtime ns),
 *            then NUL-terminated strings: kernel release, clock name, and
 *            per gfp entry a __u64 mask followed by its NUL-terminated name;
 *            padded to a multiple of 8.
 *   records  each starts with __u16 type, __u16 size (whole record, multiple
 *            of 8). Types below LD_EV_TYPE_MAX are struct ld_event exactly as
 *            the BPF side writes it; 0x100 and up exist only in files:
 *            symbol {type, size, __u32 name_len, __u64 addr, name, NUL, pad}
 *            end    {type, size, __u32 0, __u64 events}
 *
 * A symbol record comes right before the first event that uses its address,
 * so a reader that stops anywhere has every name the events so far need.
 *
 * Versioning: a new major version is a layout this reader cannot read, and
 * is refused with a clear message; a new minor version only adds file
 * record types, which older readers skip.
 *
 * Crash safety: the writer ends a zstd block (ZSTD_e_flush) and flushes
 * stdio after the header and after every ~1 MiB of records, so a file cut
 * off anywhere decodes up to its last flush. The reader treats a missing
 * end record as truncation (warn, return what was there), and anything
 * inconsistent as corruption (one line with the byte offset, -EINVAL).
 *
 * Speed: records are decoded in place from a large decompression buffer;
 * only a record that straddles the end of the buffer is moved (to its
 * start) before more is decompressed behind it. No allocation per record.
 */
#include <errno.h>
#include <stdarg.h>
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
#define RECORD_MAX_SIZE	   65528 /* __u16 size, multiple of 8 */
#define SYMBOL_NAME_MAX	   4095
#define KERNEL_RELEASE_MAX 255

#define REC_FILE_FIRST 0x100
#define REC_SYMBOL     0x100
#define REC_END	       0x101

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

struct record_header {
	__u16 type;
	__u16 size;
};

struct symbol_record {
	__u16 type;
	__u16 size;
	__u32 name_len;
	__u64 addr;
	/* char name[name_len], NUL, padding */
};

struct end_record {
	__u16 type;
	__u16 size;
	__u32 reserved;
	__u64 events;
};

_Static_assert(sizeof(struct file_header) == HEADER_FIXED_SIZE, "header layout");
_Static_assert(sizeof(struct symbol_record) == 16, "symbol record layout");
_Static_assert(sizeof(struct end_record) == 16, "end record layout");

/* --- reader -------------------------------------------------------------- */

struct binary_reader {
	struct trace_input *in;
	const char *name;
	struct symtab *symtab;
	ZSTD_DStream *zds;

	unsigned char *in_buf;
	ZSTD_inBuffer zin;
	__u64 in_consumed; /* compressed bytes before in_buf */
	bool input_eof;

	unsigned char *out_buf;
	size_t out_cap;
	size_t out_pos; /* the next record */
	size_t out_end;
	__u64 out_base; /* stream offset of out_buf[0] */

	__u64 records; /* records after the header */
	__u64 events;
	unsigned int minor;
	bool done;
	bool truncated;

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

/*
 * Makes at least `need` bytes available at out_pos. 1 when they are, 0 when
 * the input ends first, or a negative errno.
 */
static int reader_fill(struct binary_reader *reader, size_t need)
{
	while (reader->out_end - reader->out_pos < need) {
		ZSTD_outBuffer out;
		size_t in_before, out_before, ret;

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
		if (reader->input_eof && out.pos == out_before && reader->zin.pos == in_before)
			return 0;
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
		return log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
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
			return log_error_errno(err, "%s: out of memory", reader->name);
		if (err)
			return corrupt(reader, "bad gfp entry %u ('%.40s') in the header", i, p);
		p += len + 1;
	}
	if (header->nr_gfp == 0) {
		/* A writer that knew no layout: fall back like a text trace does. */
		gfp_layout__free(reader->gfp);
		reader->gfp = gfp_layout__new_default();
		if (!reader->gfp)
			return log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
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
	reader->minor = header->version_minor;
	ret = parse_header_strings(reader, header);
	if (ret)
		return ret;
	reader->out_pos += header->size;
	reader->records = 1;
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
		err = log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
		goto cleanup;
	}
	ZSTD_initDStream(reader->zds);
	err = read_header(reader);
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

static int read_symbol(struct binary_reader *reader, const struct symbol_record *rec)
{
	const char *name = (const char *)(rec + 1);

	if (rec->size < sizeof(*rec) + 2 || rec->name_len == 0 ||
	    rec->name_len >= rec->size - sizeof(*rec) || name[rec->name_len] != '\0' ||
	    memchr(name, '\0', rec->name_len))
		return corrupt(reader, "bad symbol record (size %u, name length %u)", rec->size,
			       rec->name_len);
	if (symtab__add(reader->symtab, rec->addr, name))
		return log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
	return 0;
}

static int read_end(struct binary_reader *reader, const struct end_record *rec)
{
	int ret;

	if (rec->size != sizeof(*rec))
		return corrupt(reader, "bad end record size %u", rec->size);
	if (rec->events != reader->events)
		return corrupt(reader, "end record counts %llu events but the file holds %llu",
			       (unsigned long long)rec->events, (unsigned long long)reader->events);
	reader->out_pos += rec->size;
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

int binary_reader__next(struct binary_reader *reader, const struct ld_event **ret_event)
{
	for (;;) {
		const struct record_header *rec;
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
		case REC_SYMBOL:
			ret = read_symbol(reader, (const void *)rec);
			if (ret)
				return ret;
			break;
		case REC_END:
			return read_end(reader, (const void *)rec);
		default:
			/* Newer minor versions may add file records; skip them. */
			if (rec->type < REC_FILE_FIRST || reader->minor <= TRACE_FORMAT_MINOR)
				return corrupt(reader, "unknown record type 0x%x", rec->type);
			break;
		}
		reader->out_pos += size;
		reader->records++;
	}
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

/* The addresses the file has already dealt with (named or found nameless). */
struct addr_set {
	__u64 *slots; /* 0 marks a free slot; address 0 is never named */
	size_t capacity;
	size_t count;
};

struct trace_writer {
	char *path;
	FILE *file;
	bool close_file;
	ZSTD_CCtx *cctx;
	struct symtab *symtab;
	struct addr_set named;

	unsigned char *staging; /* records not yet compressed */
	size_t staged;
	unsigned char *out_buf;
	size_t out_cap;

	__u64 events;
	int err; /* sticky: the first failure, already logged */
};

static __u64 addr_hash(__u64 addr)
{
	addr ^= addr >> 31;
	addr *= 0x7fb5d329728ea185ULL;
	addr ^= addr >> 27;
	return addr;
}

/* 1 when addr was new (and is now in the set), 0 when known, -ENOMEM. */
static int addr_set_insert(struct addr_set *set, __u64 addr)
{
	size_t mask, i;

	if ((set->count + 1) * 2 > set->capacity) {
		size_t capacity = set->capacity ? set->capacity * 2 : 1024;
		__u64 *slots = calloc(capacity, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (size_t j = 0; j < set->capacity; j++) {
			if (!set->slots[j])
				continue;
			for (i = addr_hash(set->slots[j]) & (capacity - 1); slots[i];
			     i = (i + 1) & (capacity - 1))
				;
			slots[i] = set->slots[j];
		}
		free(set->slots);
		set->slots = slots;
		set->capacity = capacity;
	}
	mask = set->capacity - 1;
	for (i = addr_hash(addr) & mask; set->slots[i]; i = (i + 1) & mask)
		if (set->slots[i] == addr)
			return 0;
	set->slots[i] = addr;
	set->count++;
	return 1;
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
	free(writer->named.slots);
	free(writer->staging);
	free(writer->out_buf);
	free(writer->path);
	free(writer);
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
	if (!writer->path || !writer->cctx || !writer->out_buf || !writer->staging) {
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

static int write_symbol(struct trace_writer *writer, __u64 addr)
{
	unsigned char buf[sizeof(struct symbol_record) + SYMBOL_NAME_MAX + 8]
		__attribute__((aligned(8)));
	struct symbol_record *rec = (struct symbol_record *)buf;
	const char *name;
	size_t len;
	int ret;

	if (!addr || !writer->symtab)
		return 0;
	ret = addr_set_insert(&writer->named, addr);
	if (ret <= 0)
		return ret < 0 ? writer_fail(writer, ret, "out of memory") : 0;
	name = symtab__lookup(writer->symtab, addr);
	/* Nameless addresses get no record; overlong names are not worth one. */
	if (!name || !*name || (len = strlen(name)) > SYMBOL_NAME_MAX)
		return 0;
	rec->type = REC_SYMBOL;
	rec->size = (sizeof(*rec) + len + 1 + 7) & ~(size_t)7;
	rec->name_len = len;
	rec->addr = addr;
	memcpy(rec + 1, name, len);
	memset((char *)(rec + 1) + len, 0, rec->size - sizeof(*rec) - len);
	return writer_append(writer, buf, rec->size);
}

static int write_symbols(struct trace_writer *writer, const struct ld_event *ev)
{
	const __u64 *stack = ld_event_stack(ev);
	__u64 addrs[4] = { 0 };
	int err;

	switch (ev->type) {
	case LD_EV_INIT:
		addrs[0] = ev->init.lock;
		addrs[1] = ev->init.site;
		break;
	case LD_EV_ACQUIRE:
		addrs[0] = ev->acquire.lock;
		addrs[1] = ev->acquire.ip;
		addrs[2] = ev->acquire.ctx;
		break;
	case LD_EV_RELEASE:
		addrs[0] = ev->release.lock;
		addrs[1] = ev->release.ip;
		break;
	case LD_EV_ALLOC:
		addrs[0] = ev->alloc.site;
		break;
	case LD_EV_RECLAIM:
		addrs[0] = ev->reclaim.fn;
		break;
	default:
		break;
	}
	for (size_t i = 0; i < 4; i++) {
		err = write_symbol(writer, addrs[i]);
		if (err)
			return err;
	}
	for (unsigned int i = 0; i < ev->nr_stack; i++) {
		err = write_symbol(writer, stack[i]);
		if (err)
			return err;
	}
	return 0;
}

int trace_writer__write(struct trace_writer *writer, const struct ld_event *event)
{
	int err;

	if (writer->err)
		return writer->err;
	if (ld_event_validate(event, event->size))
		return log_error_errno(-EINVAL,
				       "%s: refusing to write an invalid event (type %u, size %u)",
				       writer->path, event->type, event->size);
	err = write_symbols(writer, event);
	if (err)
		return err;
	err = writer_append(writer, event, event->size);
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
	struct end_record end = { .type = REC_END, .size = sizeof(end) };
	int err;

	if (!writer)
		return 0;
	end.events = writer->events;
	err = writer_append(writer, &end, sizeof(end));
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
