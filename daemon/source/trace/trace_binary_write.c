// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The writer of binary traces (the layout is in trace_binary_layout.h).
 * Each dictionary is an array indexed by id, for the values, and an hmap
 * from the value (or its hash) to the id, to find the values already in
 * the file; new values get the next id and their record goes out before
 * the event that uses them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "event/gfp.h"
#include "event/symtab.h"
#include "lib/array.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "source/trace/trace_binary.h"
#include "source/trace/trace_binary_layout.h"

/*
 * zstd's window: 256 KiB rather than level 3's 2 MiB. The reader's
 * decompressor then works within a few hundred KiB, which leaves the
 * engine's tables in the cache: report runs about 15% faster for a file
 * about 5% bigger (BENCHMARKS.md), and the writer needs less memory.
 */
#define WRITER_WINDOW_LOG 18

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

	/*
	 * The dictionaries written so far, [0] is id 0, each with its index:
	 * addresses and sites by value, stacks and tasks by a hash of theirs.
	 */
	struct hmap addr_index;
	__u64 *addrs;
	__u32 nr_addrs;
	__u32 cap_addrs;
	struct hmap stack_index;
	struct stack_ref *stacks;
	__u32 nr_stacks;
	__u32 cap_stacks;
	__u64 *frames;
	__u32 nr_frames;
	__u32 cap_frames;
	struct hmap task_index;
	struct task_ref *tasks;
	__u32 nr_tasks;
	__u32 cap_tasks;
	struct hmap site_index;
	__u64 *sites; /* address id << 32 | stack id */
	__u32 nr_sites;
	__u32 cap_sites;
	__u64 time;

	__u64 events;
	int err; /* sticky: the first failure, already logged */
};

/* The hash of n words (a stack, a comm), a word at a time. */
static __u64 hash_words(const __u64 *words, size_t n, __u64 seed)
{
	__u64 h = seed ^ n;

	for (size_t i = 0; i < n; i++)
		h = hash_mix64(h ^ words[i]);
	return h;
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
		if (gfp_layout__new_default(&fallback))
			return writer_fail(writer, -ENOMEM, "out of memory");
		gfp = fallback;
	}
	memset(buf, 0, sizeof(buf));
	memcpy(header->magic, TRACE_MAGIC, TRACE_MAGIC_LEN);
	header->version_major = TRACE_FORMAT_MAJOR;
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
	hmap_free(&writer->addr_index);
	free(writer->addrs);
	hmap_free(&writer->stack_index);
	free(writer->stacks);
	free(writer->frames);
	hmap_free(&writer->task_index);
	free(writer->tasks);
	hmap_free(&writer->site_index);
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
	if (array_reserve(&writer->addrs, &writer->cap_addrs, 1) ||
	    array_reserve(&writer->stacks, &writer->cap_stacks, 1) ||
	    array_reserve(&writer->tasks, &writer->cap_tasks, 1) ||
	    array_reserve(&writer->sites, &writer->cap_sites, 1))
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
			err = log_error_errno(-errno, "%s: %m", path);
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
	struct hmap_slot *slot;
	int err;

	if (!addr) {
		*ret_id = 0;
		return 0;
	}
	slot = hmap_find(&writer->addr_index, addr, NULL, NULL);
	if (slot) {
		*ret_id = (__u32)slot->value;
		return 0;
	}
	if (array_reserve(&writer->addrs, &writer->cap_addrs, (size_t)writer->nr_addrs + 1) ||
	    hmap_insert(&writer->addr_index, addr, writer->nr_addrs))
		return writer_fail(writer, -ENOMEM, "out of memory");
	err = write_addr_record(writer, addr);
	if (err)
		return err;
	writer->addrs[writer->nr_addrs] = addr;
	*ret_id = writer->nr_addrs++;
	return 0;
}

struct stack_wanted {
	const struct trace_writer *writer;
	const __u64 *frames;
	__u32 nr;
};

static bool stack_eq(__u64 id, const void *wanted)
{
	const struct stack_wanted *w = wanted;
	const struct stack_ref *ref = &w->writer->stacks[id];

	return ref->nr == w->nr &&
	       memcmp(w->writer->frames + ref->first, w->frames, w->nr * sizeof(__u64)) == 0;
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
	struct stack_wanted wanted = { writer, frames, nr };
	__u64 hash = hash_words(frames, nr, 0);
	struct hmap_slot *slot;
	int err;

	if (!nr) {
		*ret_id = 0;
		return 0;
	}
	slot = hmap_find(&writer->stack_index, hash, stack_eq, &wanted);
	if (slot) {
		*ret_id = (__u32)slot->value;
		return 0;
	}
	/* The record first: the frames' address records go out before it. */
	err = write_stack_record(writer, frames, nr);
	if (err)
		return err;
	if (array_reserve(&writer->stacks, &writer->cap_stacks, (size_t)writer->nr_stacks + 1) ||
	    array_reserve(&writer->frames, &writer->cap_frames, (size_t)writer->nr_frames + nr) ||
	    hmap_insert(&writer->stack_index, hash, writer->nr_stacks))
		return writer_fail(writer, -ENOMEM, "out of memory");
	memcpy(writer->frames + writer->nr_frames, frames, nr * sizeof(__u64));
	writer->stacks[writer->nr_stacks] = (struct stack_ref){ writer->nr_frames, nr };
	writer->nr_frames += nr;
	*ret_id = writer->nr_stacks++;
	return 0;
}

struct task_wanted {
	const struct trace_writer *writer;
	const struct task_ref *task;
};

static bool task_eq(__u64 id, const void *wanted)
{
	const struct task_wanted *w = wanted;
	const struct task_ref *task = &w->writer->tasks[id];

	return task->pid == w->task->pid && memcmp(task->comm, w->task->comm, LD_COMM_LEN) == 0;
}

/*
 * The id of a task (pid and comm), written to the file when new. Only
 * acquires carry a comm: other events name their pid with the empty comm.
 */
static int writer_task_id(struct trace_writer *writer, __u32 pid, const char *comm, __u32 *ret_id)
{
	unsigned char buf[FILE_HEADER_SIZE + 4 + LD_COMM_LEN];
	struct task_ref task = { .pid = pid };
	struct task_wanted wanted = { writer, &task };
	__u64 words[LD_COMM_LEN / 8];
	struct hmap_slot *slot;
	__u64 hash;
	int err;

	if (comm)
		memcpy(task.comm, comm, LD_COMM_LEN);
	memcpy(words, task.comm, LD_COMM_LEN);
	hash = hash_words(words, LD_COMM_LEN / 8, (__u64)pid << 32);
	slot = hmap_find(&writer->task_index, hash, task_eq, &wanted);
	if (slot) {
		*ret_id = (__u32)slot->value;
		return 0;
	}
	if (array_reserve(&writer->tasks, &writer->cap_tasks, (size_t)writer->nr_tasks + 1) ||
	    hmap_insert(&writer->task_index, hash, writer->nr_tasks))
		return writer_fail(writer, -ENOMEM, "out of memory");
	file_record_header(buf, REC_TASK, 0, sizeof(buf));
	put32(buf + FILE_HEADER_SIZE, pid);
	memcpy(buf + FILE_HEADER_SIZE + 4, task.comm, LD_COMM_LEN);
	err = writer_append(writer, buf, sizeof(buf));
	if (err)
		return err;
	writer->tasks[writer->nr_tasks] = task;
	*ret_id = writer->nr_tasks++;
	return 0;
}

/* The id of a call site (an ip and its stack), written (its parts first) when new. */
static int writer_site_id(struct trace_writer *writer, __u64 ip, const __u64 *frames, __u32 nr,
			  __u32 *ret_id)
{
	unsigned char buf[16];
	__u32 ip_id, stack_id;
	struct hmap_slot *slot;
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
	slot = hmap_find(&writer->site_index, key, NULL, NULL);
	if (slot) {
		*ret_id = (__u32)slot->value;
		return 0;
	}
	if (array_reserve(&writer->sites, &writer->cap_sites, (size_t)writer->nr_sites + 1) ||
	    hmap_insert(&writer->site_index, key, writer->nr_sites))
		return writer_fail(writer, -ENOMEM, "out of memory");
	file_record_header(buf, REC_SITE, 0, sizeof(buf));
	put32(buf + 8, ip_id);
	put32(buf + 12, stack_id);
	err = writer_append(writer, buf, sizeof(buf));
	if (err)
		return err;
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

/* A held record's entries at body: lock and ip ids, then a byte each for type and trylock. */
static int encode_held(struct trace_writer *writer, const struct ld_event *ev, unsigned char *body)
{
	const struct ld_held_entry *entries = ld_event_held(ev);
	unsigned char *info = body + 8 * ev->held.nr;

	for (unsigned int i = 0; i < ev->held.nr; i++) {
		__u32 ids[2];
		int err = writer_addr_ids(writer, (const __u64[]){ entries[i].lock, entries[i].ip },
					  2, ids);

		if (err)
			return err;
		put32(body + 8 * i, ids[0]);
		put32(body + 8 * i + 4, ids[1]);
		info[i] = ld_held_entry_type(&entries[i]) |
			  (ld_held_entry_trylock(&entries[i]) ? HELD_TRYLOCK : 0);
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
	case LD_EV_HELD:
		err = encode_held(writer, ev, rec + 12);
		*ret_aux = ev->held.nr;
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
	size = event_record_size(event->type, aux);
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
