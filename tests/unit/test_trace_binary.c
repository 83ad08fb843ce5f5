// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The binary form: exact round trips, symbol records, text -> binary -> text
 * identity, truncation at every cut point, corruption, versioning.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>
#include <cmocka.h>

#include "constructors.h"

#include "event/gfp.h"
#include "lib/log.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

static char last_log[2048];
static char warnings[8192];
static int error_count;

static void capture_log(enum log_level level, const char *msg, void *ctx)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
	if (level == LOG_LEVEL_WARNING)
		snprintf(warnings + strlen(warnings), sizeof(warnings) - strlen(warnings), "%s\n",
			 msg);
	if (level == LOG_LEVEL_ERROR)
		error_count++;
}

static char tmp_path[64];

static int setup(void **state)
{
	int fd;

	last_log[0] = warnings[0] = '\0';
	error_count = 0;
	log_set_sink(capture_log, NULL);
	strcpy(tmp_path, "/tmp/test_trace_binary.XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(tmp_path);
	log_set_sink(NULL, NULL);
	return 0;
}

/* --- helpers ------------------------------------------------------------- */

struct events {
	struct ld_event **ev;
	size_t n;
	size_t cap;
};

static void events_push(struct events *events, const struct ld_event *ev)
{
	if (events->n == events->cap) {
		events->cap = events->cap ? events->cap * 2 : 64;
		events->ev = realloc(events->ev, events->cap * sizeof(*events->ev));
		assert_non_null(events->ev);
	}
	events->ev[events->n] = malloc(ev->size);
	assert_non_null(events->ev[events->n]);
	memcpy(events->ev[events->n++], ev, ev->size);
}

static void events_free(struct events *events)
{
	for (size_t i = 0; i < events->n; i++)
		free(events->ev[i]);
	free(events->ev);
	memset(events, 0, sizeof(*events));
}

static void *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len + 1);
	assert_int_equal(fread(buf, 1, len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	*ret_len = len;
	return buf;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Reads a text trace into events (symbols interned in symtab). */
static void load_text(const char *text, struct symtab *symtab, struct events *events)
{
	struct trace_reader *reader;
	const struct ld_event *ev;
	int ret;

	assert_int_equal(trace_reader__open_memory(text, strlen(text), "in.trace", symtab, &reader),
			 0);
	while ((ret = trace_reader__next(reader, &ev)) > 0)
		events_push(events, ev);
	assert_int_equal(ret, 0);
	trace_reader__free(reader);
}

/* Converts any trace (text or binary) at in to a binary trace at out. */
static void convert_to_binary(const void *buf, size_t len, const char *out)
{
	struct symtab *symtab = new_symtab();
	struct trace_reader *reader;
	struct trace_writer *writer;
	struct trace_writer_opts opts = { 0 };
	const struct ld_event *ev;
	int ret;

	assert_int_equal(trace_reader__open_memory(buf, len, "in", symtab, &reader), 0);
	opts.kernel_release = trace_reader__kernel_release(reader);
	opts.gfp = trace_reader__gfp_layout(reader);
	assert_int_equal(trace_writer__open(out, &opts, symtab, &writer), 0);
	while ((ret = trace_reader__next(reader, &ev)) > 0)
		assert_int_equal(trace_writer__write(writer, ev), 0);
	assert_int_equal(ret, 0);
	assert_int_equal(trace_writer__close(writer), 0);
	trace_reader__free(reader);
	symtab__free(symtab);
}

/* trace_dump of a path into a string. */
static char *dump(const char *path, int *ret_err)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	*ret_err = trace_dump(path, f);
	fclose(f);
	return out;
}

static char *dump_ok(const char *path)
{
	int err;
	char *out = dump(path, &err);

	assert_int_equal(err, 0);
	return out;
}

/* Reads every event of a buffer; returns the final status. */
static int read_all(const void *buf, size_t len, struct symtab *symtab, struct events *events,
		    bool *ret_truncated)
{
	struct trace_reader *reader;
	const struct ld_event *ev;
	int ret;

	ret = trace_reader__open_memory(buf, len, "cut.ldt", symtab, &reader);
	if (ret)
		return ret;
	while ((ret = trace_reader__next(reader, &ev)) > 0)
		if (events)
			events_push(events, ev);
	if (ret_truncated)
		*ret_truncated = trace_reader__truncated(reader);
	/* Once at the end, the reader stays there. */
	if (ret == 0)
		assert_int_equal(trace_reader__next(reader, &ev), 0);
	trace_reader__free(reader);
	return ret;
}

static const char sample_text[] =
	"header kernel=\"6.1.0-56-amd64\"\n"
	"init t=1 lock=0xffff8880aa000010 name=\"&vm->mutex\" site=i915_address_space_init\n"
	"init t=2 lock=console_mutex name=\"console_mutex\"\n"
	"acquire t=3 pid=120 lock=0xffff8880aa000010 type=ww_mutex try=1 ctx=0xffff888012340000 ret=-EDEADLK ip=mutex_lock+0x1c stack=symA;symB;0xffffffff81000010 comm=gem_exec\n"
	"acquire t=4 pid=120 lock=0xffff8880aa000010 stack=symA;symC\n"
	"release t=5 pid=120 lock=0xffff8880aa000010 ip=mutex_unlock+0x4\n"
	"alloc t=6 pid=120 gfp=GFP_KERNEL|__GFP_ZERO site=kmalloc_site stack=a;b\n"
	"reclaim t=7 pid=130 state=enter kind=shrinker fn=i915_gem_shrinker_scan\n"
	"reclaim t=8 pid=130 state=exit kind=shrinker fn=i915_gem_shrinker_scan\n"
	"flags t=9 pid=120 value=PF_MEMALLOC_NOFS\n"
	"exit t=10 pid=120\n"
	"mark t=11 text=\"[IGT] gem_exec_whisper: starting subtest basic\"\n"
	"lost t=12 count=12 pid=120\n"
	"lost count=1\n";

/* --- round trips --------------------------------------------------------- */

static void test_round_trip_events(void **state)
{
	struct symtab *symtab = new_symtab();
	struct events in = { 0 }, out = { 0 };
	struct trace_writer_opts opts = { .kernel_release = "6.1.0-56-amd64" };
	struct gfp_layout *gfp = new_gfp_layout();
	struct trace_writer *writer;
	struct trace_reader *reader;
	const struct ld_event *ev;
	int ret;

	assert_int_equal(gfp_layout__add(gfp, "__GFP_FS", 0x80), 0);
	assert_int_equal(gfp_layout__add(gfp, "GFP_KERNEL", 0xcc0), 0);
	opts.gfp = gfp;
	load_text(sample_text, symtab, &in);
	assert_int_equal(in.n, 13);
	assert_int_equal(trace_writer__open(tmp_path, &opts, symtab, &writer), 0);
	for (size_t i = 0; i < in.n; i++)
		assert_int_equal(trace_writer__write(writer, in.ev[i]), 0);
	assert_int_equal(trace_writer__close(writer), 0);

	assert_int_equal(trace_reader__open(tmp_path, symtab, &reader), 0);
	assert_int_equal(trace_reader__form(reader), TRACE_FORM_BINARY);
	assert_string_equal(trace_reader__kernel_release(reader), "6.1.0-56-amd64");
	assert_true(gfp_layout__equal(trace_reader__gfp_layout(reader), gfp));
	while ((ret = trace_reader__next(reader, &ev)) > 0)
		events_push(&out, ev);
	assert_int_equal(ret, 0);
	assert_false(trace_reader__truncated(reader));
	assert_int_equal(trace_reader__events_read(reader), in.n);
	assert_int_equal(out.n, in.n);
	for (size_t i = 0; i < in.n; i++) {
		assert_int_equal(out.ev[i]->size, in.ev[i]->size);
		assert_memory_equal(out.ev[i], in.ev[i], in.ev[i]->size);
	}
	assert_string_equal(warnings, "");
	trace_reader__free(reader);
	events_free(&in);
	events_free(&out);
	gfp_layout__free(gfp);
	symtab__free(symtab);
}

/* A writer with no options records the default layout and no kernel. */
static void test_default_header(void **state)
{
	struct trace_writer *writer;
	struct trace_reader *reader;
	struct gfp_layout *def = new_default_gfp_layout();
	struct symtab *symtab = new_symtab();

	assert_int_equal(trace_writer__open(tmp_path, NULL, NULL, &writer), 0);
	assert_int_equal(trace_writer__close(writer), 0);
	assert_int_equal(trace_reader__open(tmp_path, symtab, &reader), 0);
	assert_string_equal(trace_reader__kernel_release(reader), "");
	assert_true(gfp_layout__equal(trace_reader__gfp_layout(reader), def));
	assert_int_equal(trace_reader__next(reader, &(const struct ld_event *){ NULL }), 0);
	assert_false(trace_reader__truncated(reader));
	trace_reader__free(reader);
	gfp_layout__free(def);
	symtab__free(symtab);
}

struct collect {
	size_t n;
};

static int count_symbol(__u64 addr, const char *name, void *ctx)
{
	((struct collect *)ctx)->n++;
	return 0;
}

static void test_symbols_named_in_fresh_symtab(void **state)
{
	struct symtab *writer_symtab = new_symtab(), *reader_symtab = new_symtab();
	char kallsyms[] = "/tmp/test_trace_binary_ksyms.XXXXXX";
	const char *ksyms = "ffffffff81001100 T mutex_lock\n"
			    "ffffffff81001180 T mutex_unlock\n"
			    "ffffffff81001200 T after_mutex_unlock\n"
			    "ffffffff82000000 D console_mutex\n"
			    "ffffffff82000040 D end_marker\n";
	struct trace_writer *writer;
	struct collect collect = { 0 };
	__u64 frames[3] = { 0xffffffff8100111cULL, 0xffffffffa0000000ULL, 0xffffffff81001184ULL };
	union {
		struct ld_event ev;
		__u64 words[32];
	} buf = { 0 };
	int fd = mkstemp(kallsyms);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, ksyms, strlen(ksyms)), (ssize_t)strlen(ksyms));
	close(fd);
	assert_int_equal(symtab__load_kallsyms(writer_symtab, kallsyms), 0);
	assert_int_equal(symtab__add(writer_symtab, 0xffffffffa0000000ULL, "explicit_name"), 0);

	buf.ev.type = LD_EV_ACQUIRE;
	buf.ev.nr_stack = 3;
	buf.ev.size = ld_event_size_for(3, 0);
	buf.ev.pid = 1;
	buf.ev.acquire.lock = 0xffffffff82000000ULL; /* a static lock */
	buf.ev.acquire.ip = 0xffffffff8100111cULL;
	buf.ev.acquire.ctx = 0xffff888000001000ULL; /* heap: no name */
	memcpy(&buf.ev + 1, frames, sizeof(frames));

	assert_int_equal(trace_writer__open(tmp_path, NULL, writer_symtab, &writer), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(trace_writer__write(writer, &buf.ev), 0);
	assert_int_equal(trace_writer__close(writer), 0);

	/* The reader learns exactly the names the events use, no more. */
	{
		size_t len;
		void *file = read_file(tmp_path, &len);

		assert_int_equal(read_all(file, len, reader_symtab, NULL, NULL), 0);
		free(file);
	}
	assert_string_equal(symtab__lookup(reader_symtab, 0xffffffff82000000ULL), "console_mutex");
	assert_string_equal(symtab__lookup(reader_symtab, 0xffffffff8100111cULL),
			    "mutex_lock+0x1c/0x80");
	assert_string_equal(symtab__lookup(reader_symtab, 0xffffffffa0000000ULL), "explicit_name");
	assert_string_equal(symtab__lookup(reader_symtab, 0xffffffff81001184ULL),
			    "mutex_unlock+0x4/0x80");
	assert_null(symtab__lookup(reader_symtab, 0xffff888000001000ULL));
	assert_int_equal(symtab__for_each(reader_symtab, count_symbol, &collect), 0);
	assert_int_equal(collect.n, 4);
	unlink(kallsyms);
	symtab__free(writer_symtab);
	symtab__free(reader_symtab);
}

/* A canonical text trace survives text -> binary -> text byte for byte. */
static const char canonical_trace[] =
	"header kernel=\"6.1.0-56-amd64\" gfp=\"GFP_KERNEL=0xcc0,GFP_NOFS=0xc40,__GFP_DIRECT_RECLAIM=0x400,__GFP_FS=0x80,__GFP_IO=0x40,__GFP_ZERO=0x100\"\n"
	"init lock=0xffff8880aa000010 name=\"&vm->mutex\" site=i915_address_space_init\n"
	"init lock=console_mutex name=\"console_mutex\"\n"
	"init lock=0xffff8880aa000010 name=\"vm->mutex/1\" site=i915_address_space_init named=rule\n"
	"init pid=120 lock=0xffff8880aa000020 name=\"dma_resv\" site=i915_gem_object_unbind named=entry\n"
	"mark text=\"[IGT] gem_exec_whisper: starting subtest basic\"\n"
	"acquire t=3 pid=120 lock=0xffff8880aa000010 type=ww_mutex try=1 ctx=0xffff888012340000 ret=-EDEADLK ip=mutex_lock+0x1c stack=symA;symB;0xffffffff81000010 comm=gem_exec\n"
	"acquire pid=120 lock=console_mutex stack=\"f+0x1/0x2 [i915];symA\" comm=\"two words\"\n"
	"alloc pid=120 gfp=GFP_KERNEL|__GFP_ZERO site=kmalloc_site stack=a;b\n"
	"alloc pid=120 gfp=GFP_NOFS|0x2000\n"
	"release pid=120 lock=console_mutex\n"
	"release pid=120 lock=0xffff8880aa000010 ip=mutex_unlock+0x4\n"
	"reclaim pid=130 state=enter kind=shrinker fn=i915_gem_shrinker_scan\n"
	"reclaim pid=130 state=exit kind=shrinker fn=i915_gem_shrinker_scan\n"
	"flags pid=120 value=PF_MEMALLOC_NOFS\n"
	"flags pid=120 value=0\n"
	"exit pid=120\n"
	"held pid=40 locks=0xffff888100a00010:rwsem_write@ext4_buffered_write_iter+0x30,0xffff888100b00010:mutex:try@foo+0x10\n"
	"held t=4 pid=120\n"
	"held pid=120 locks=console_mutex:rwsem_read,0xffff8880aa000010:ww_mutex:try@mutex_lock+0x1c,0xffff8880aa000020:spinlock\n"
	"held pid=120 locks=\"f+0x1/0x2 [i915]:mutex@symA\"\n"
	"lost count=12 pid=120\n"
	"lost count=3\n";

static void test_text_binary_text_identity(void **state)
{
	char text_path[] = "/tmp/test_trace_binary_text.XXXXXX";
	char *from_text, *from_binary;
	int fd = mkstemp(text_path);

	assert_true(fd >= 0);
	close(fd);
	write_file(text_path, canonical_trace, strlen(canonical_trace));
	from_text = dump_ok(text_path);
	assert_string_equal(from_text, canonical_trace);
	convert_to_binary(canonical_trace, strlen(canonical_trace), tmp_path);
	from_binary = dump_ok(tmp_path);
	assert_string_equal(from_binary, canonical_trace);
	free(from_text);
	free(from_binary);
	unlink(text_path);
}

/* A text trace's dump, turned binary, dumps the same: dump(t) == dump(binary(dump(t))). */
static void check_dump_identity(const char *path)
{
	char *first, *second;
	char *bin = strdup("/tmp/test_trace_binary_scn.XXXXXX");
	int fd = mkstemp(bin);

	assert_true(fd >= 0);
	close(fd);
	first = dump_ok(path);
	convert_to_binary(first, strlen(first), bin);
	second = dump_ok(bin);
	if (strcmp(first, second) != 0)
		fail_msg("%s: dump differs after text -> binary -> text", path);
	free(first);
	free(second);
	unlink(bin);
	free(bin);
}

static void test_scenarios_identity(void **state)
{
	DIR *dir = opendir("tests/scenarios");
	struct dirent *de;
	size_t checked = 0;

	assert_non_null(dir); /* the tests run from the repository root */
	while ((de = readdir(dir))) {
		char path[512];
		size_t len = strlen(de->d_name);

		if (len < 7 || strcmp(de->d_name + len - 6, ".trace") != 0)
			continue;
		snprintf(path, sizeof(path), "tests/scenarios/%s", de->d_name);
		check_dump_identity(path);
		checked++;
	}
	closedir(dir);
	/* Also this test's own canonical traces, so it checks something with no scenarios yet. */
	{
		char path[] = "/tmp/test_trace_binary_own.XXXXXX";
		int fd = mkstemp(path);

		close(fd);
		write_file(path, canonical_trace, strlen(canonical_trace));
		check_dump_identity(path);
		write_file(path, sample_text, strlen(sample_text));
		check_dump_identity(path);
		unlink(path);
	}
	print_message("checked %zu scenario traces\n", checked);
}

/* Random events of every type, many of them, identical after the trip. */
static void test_random_identity(void **state)
{
	unsigned int seed = 7;
	size_t cap = 4 << 20, off = 0;
	char *text = malloc(cap);
	char path[] = "/tmp/test_trace_binary_rand.XXXXXX";
	char *out;
	int fd = mkstemp(path);

	close(fd);
	for (int i = 0; i < 20000; i++) {
		unsigned int r = rand_r(&seed);
		unsigned int pid = rand_r(&seed) % 100;
		unsigned long long lock = 0xffff888000000000ULL + (rand_r(&seed) % 50) * 64;

		switch (r % 7) {
		case 0:
			off += sprintf(text + off,
				       "acquire t=%d pid=%u lock=0x%llx stack=f%u;g%u;h\n", i, pid,
				       lock, r % 13, r % 17);
			break;
		case 1:
			off += sprintf(text + off, "release pid=%u lock=0x%llx\n", pid, lock);
			break;
		case 2:
			off += sprintf(text + off,
				       "acquire pid=%u lock=l%u type=spinlock try=1 ret=-EBUSY\n",
				       pid, r % 31);
			break;
		case 3:
			off += sprintf(text + off, "alloc pid=%u gfp=0x%x site=s%u\n", pid,
				       rand_r(&seed) & 0xffffff, r % 9);
			break;
		case 4:
			off += sprintf(text + off, "mark text=\"line %d \\\"x\\\"\"\n", i);
			break;
		case 5:
			off += sprintf(text + off, "init lock=0x%llx name=\"class%u\"\n", lock,
				       r % 40);
			break;
		default:
			off += sprintf(text + off, "reclaim pid=%u state=%s kind=direct\n", pid,
				       r & 8 ? "enter" : "exit");
			break;
		}
		assert_true(off < cap - 512);
	}
	write_file(path, text, off);
	out = dump_ok(path);
	check_dump_identity(path);
	free(out);
	free(text);
	unlink(path);
}

/* Held records of 0, 1, several and LD_HELD_MAX entries, identical after the trip. */
static void test_round_trip_held(void **state)
{
	static const char held_text[] =
		"acquire t=1 pid=40 lock=0xffff888100a00010 type=rwsem_write ip=ext4_buffered_write_iter+0x30\n"
		"held t=2 pid=40\n"
		"held pid=40 locks=0xffff888100a00010:rwsem_write@ext4_buffered_write_iter+0x30\n"
		"held t=3 pid=40 locks=0xffff888100a00010:rwsem_write@ext4_buffered_write_iter+0x30,0xffff888100b00010:mutex:try@foo+0x10\n"
		"held pid=41 locks=console_mutex:rwsem_read:try,0x10:spinlock,0x20:ww_mutex@0xffffffff81000010\n"
		"release pid=40 lock=0xffff888100a00010\n";
	struct symtab *symtab = new_symtab();
	struct events in = { 0 }, out = { 0 };
	char *text = malloc(8192), *file, *first, *second;
	struct trace_writer *writer;
	size_t off, len;
	char path[] = "/tmp/test_trace_binary_held.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	off = sprintf(text, "%s", held_text);
	off += sprintf(text + off, "held pid=42 locks=");
	for (int i = 0; i < LD_HELD_MAX; i++)
		off += sprintf(text + off, "%s0x%x:%s%s@f%d", i ? "," : "", 0x1000 + 0x40 * i,
			       ld_lock_type_name(i % LD_LOCK_TYPE_MAX), i % 3 ? "" : ":try", i);
	sprintf(text + off, "\n");
	load_text(text, symtab, &in);
	assert_int_equal(in.n, 7);
	assert_int_equal(in.ev[6]->held.nr, LD_HELD_MAX);
	assert_int_equal(trace_writer__open(tmp_path, NULL, symtab, &writer), 0);
	for (size_t i = 0; i < in.n; i++)
		assert_int_equal(trace_writer__write(writer, in.ev[i]), 0);
	assert_int_equal(trace_writer__close(writer), 0);
	file = read_file(tmp_path, &len);
	assert_int_equal(read_all(file, len, symtab, &out, NULL), 0);
	free(file);
	assert_int_equal(out.n, in.n);
	for (size_t i = 0; i < in.n; i++) {
		assert_int_equal(out.ev[i]->size, in.ev[i]->size);
		assert_memory_equal(out.ev[i], in.ev[i], in.ev[i]->size);
	}
	assert_string_equal(warnings, "");

	/* And as text: dump(text) == dump(binary(text)). */
	write_file(path, text, strlen(text));
	first = dump_ok(path);
	convert_to_binary(text, strlen(text), tmp_path);
	second = dump_ok(tmp_path);
	assert_string_equal(first, second);
	assert_non_null(strstr(second, "\nheld t=2 pid=40\n"));
	check_dump_identity(path);
	free(first);
	free(second);
	free(text);
	unlink(path);
	events_free(&in);
	events_free(&out);
	symtab__free(symtab);
}

/* --- truncation ---------------------------------------------------------- */

struct flush_point {
	size_t file_size;
	size_t events;
};

static void test_truncated_every_cut(void **state)
{
	struct symtab *symtab = new_symtab();
	struct events in = { 0 };
	struct trace_writer *writer;
	struct flush_point flushes[64];
	size_t nflushes = 0, len, header_end;
	struct stat st;
	char *file;

	load_text(sample_text, symtab, &in);
	assert_int_equal(trace_writer__open(tmp_path, NULL, symtab, &writer), 0);
	assert_int_equal(stat(tmp_path, &st), 0);
	header_end = st.st_size; /* the header is flushed at once */
	assert_true(header_end > 0);
	for (size_t round = 0; round < 4; round++) {
		for (size_t i = 0; i < in.n; i++)
			assert_int_equal(trace_writer__write(writer, in.ev[i]), 0);
		assert_int_equal(trace_writer__flush(writer), 0);
		assert_int_equal(stat(tmp_path, &st), 0);
		flushes[nflushes++] = (struct flush_point){ st.st_size, (round + 1) * in.n };
	}
	assert_int_equal(trace_writer__close(writer), 0);
	file = read_file(tmp_path, &len);

	for (size_t cut = 0; cut <= len; cut++) {
		struct symtab *fresh = new_symtab();
		struct events out = { 0 };
		bool truncated = false;
		int ret;

		warnings[0] = '\0';
		ret = read_all(file, cut, fresh, &out, &truncated);
		if (cut < 4) {
			/* Too short to carry the zstd magic: read as (invalid) text. */
			assert_true(ret == 0 || ret == -EINVAL);
		} else if (ret != 0) {
			/* Only a cut inside the header may fail, and then cleanly. */
			assert_int_equal(ret, -EINVAL);
			assert_true(cut < header_end);
		} else {
			assert_true(cut >= header_end);
			/*
			 * Not truncated means complete: a cut after the end record
			 * (inside zstd's frame epilogue) loses nothing.
			 */
			if (!truncated)
				assert_int_equal(out.n, 4 * in.n);
			if (cut == len)
				assert_false(truncated);
			if (truncated) {
				char expected[128];

				snprintf(expected, sizeof(expected),
					 "cut.ldt: truncated after %zu events (no end record)\n",
					 out.n);
				assert_string_equal(warnings, expected);
			}
			/* Never an invented event: a prefix of what was written. */
			assert_true(out.n <= 4 * in.n);
			for (size_t i = 0; i < out.n; i++)
				assert_memory_equal(out.ev[i], in.ev[i % in.n],
						    in.ev[i % in.n]->size);
			/* Everything before the last flush the cut kept is there. */
			for (size_t f = 0; f < nflushes; f++)
				if (cut >= flushes[f].file_size)
					assert_true(out.n >= flushes[f].events);
		}
		events_free(&out);
		symtab__free(fresh);
	}
	free(file);
	events_free(&in);
	symtab__free(symtab);
}

/* Big enough for the writer's own 1 MiB flushes; a crash mid-way keeps all of them. */
static void test_crash_keeps_flushed_events(void **state)
{
	struct symtab *symtab = new_symtab();
	struct events in = { 0 }, out = { 0 };
	struct trace_writer *writer;
	size_t total = 0, len, flushed = 0, written = 0;
	bool truncated = false;
	int report[2];
	char *file;
	pid_t child;
	int status;

	load_text(sample_text, symtab, &in);
	assert_int_equal(pipe(report), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		size_t counts[2] = { 0, 0 }, i, growths = 0;
		off_t last_size = 0;
		struct stat st;

		if (trace_writer__open(tmp_path, NULL, symtab, &writer) || stat(tmp_path, &st))
			_exit(1);
		last_size = st.st_size;
		/*
		 * Until the file has grown twice on its own (the writer's
		 * periodic flushes); every event before the one being written
		 * then is in the file.
		 */
		for (i = 0; growths < 2; i++) {
			if (i > 10000000 || trace_writer__write(writer, in.ev[i % in.n]) ||
			    stat(tmp_path, &st))
				_exit(1);
			if (st.st_size != last_size) {
				growths++;
				counts[0] = i;
				last_size = st.st_size;
			}
		}
		/* Then a few more, fewer than a flush holds. */
		for (size_t more = 0; more < 1000; more++, i++)
			if (trace_writer__write(writer, in.ev[i % in.n]))
				_exit(1);
		counts[1] = i;
		if (write(report[1], counts, sizeof(counts)) != sizeof(counts))
			_exit(1);
		/* Dies without closing: no end record, the last staged bytes lost. */
		_exit(0);
	}
	close(report[1]);
	{
		size_t counts[2];

		assert_int_equal(read(report[0], counts, sizeof(counts)), sizeof(counts));
		flushed = counts[0];
		written = counts[1];
	}
	close(report[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	file = read_file(tmp_path, &len);
	assert_int_equal(read_all(file, len, symtab, &out, &truncated), 0);
	assert_true(truncated);
	total = out.n;
	print_message("%zu of %zu events written survive, %zu were flushed for sure\n", total,
		      written, flushed);
	/* Two 1 MiB flushes made it, the last staged events did not. */
	assert_true(flushed > 0);
	assert_true(total >= flushed);
	assert_true(total < written);
	for (size_t i = 0; i < total; i++)
		assert_memory_equal(out.ev[i], in.ev[i % in.n], in.ev[i % in.n]->size);
	free(file);
	events_free(&in);
	events_free(&out);
	symtab__free(symtab);
}

/* Flipped bytes anywhere: an error or a clean end, never a crash (ASan checks). */
static void test_corrupted_bytes(void **state)
{
	struct symtab *symtab = new_symtab();
	size_t len, detected = 0, tries = 0;
	char *file, *copy;

	convert_to_binary(sample_text, strlen(sample_text), tmp_path);
	file = read_file(tmp_path, &len);
	copy = malloc(len);
	for (size_t pos = 4; pos < len; pos++) {
		for (int bit = 0; bit < 8; bit += 3) {
			struct symtab *fresh = new_symtab();
			int ret;

			memcpy(copy, file, len);
			copy[pos] ^= (char)(1 << bit);
			error_count = 0;
			ret = read_all(copy, len, fresh, NULL, NULL);
			assert_true(ret == 0 || ret == -EINVAL);
			if (ret == -EINVAL) {
				detected++;
				assert_int_equal(error_count, 1);
				assert_non_null(strstr(last_log, "cut.ldt: "));
			}
			tries++;
			symtab__free(fresh);
		}
	}
	/* The frame checksum catches what record checks miss. */
	print_message("%zu of %zu corruptions detected\n", detected, tries);
	assert_true(detected * 10 >= tries * 9);
	free(copy);
	free(file);
	symtab__free(symtab);
}

/* --- crafted files ------------------------------------------------------- */

struct craft {
	unsigned char buf[4096] __attribute__((aligned(8)));
	size_t len;
};

static void craft_put(struct craft *c, const void *data, size_t len)
{
	assert_true(c->len + len <= sizeof(c->buf));
	memcpy(c->buf + c->len, data, len);
	c->len += len;
}

static void craft_pad(struct craft *c)
{
	while (c->len % 8)
		c->buf[c->len++] = 0;
}

/* The documented header layout, written independently of the writer. */
static void craft_header(struct craft *c, __u16 major, __u16 minor, __u16 abi, __u32 size_override)
{
	size_t start = c->len;
	__u16 nr_gfp = 1;
	__u32 size, zero = 0;
	__u64 created = 1, mask = 0x80;

	craft_put(c, "LDTRACE", 8);
	craft_put(c, &major, 2);
	craft_put(c, &minor, 2);
	craft_put(c, &zero, 4); /* size, patched below */
	craft_put(c, &abi, 2);
	craft_put(c, &nr_gfp, 2);
	craft_put(c, &zero, 4);
	craft_put(c, &created, 8);
	craft_put(c, "6.1.0", 6);
	craft_put(c, "monotonic", 10);
	craft_put(c, &mask, 8);
	craft_put(c, "__GFP_FS", 9);
	craft_pad(c);
	size = size_override ? size_override : (__u32)(c->len - start);
	memcpy(c->buf + start + 12, &size, 4);
}

static void craft_u32(struct craft *c, __u32 value)
{
	craft_put(c, &value, 4);
}

/* An event's common part; its fields follow. */
static void craft_event(struct craft *c, __u8 type, __u8 flags, __u16 aux, __u32 delta, __u32 task)
{
	craft_put(c, &type, 1);
	craft_put(c, &flags, 1);
	craft_put(c, &aux, 2);
	craft_u32(c, delta);
	craft_u32(c, task);
}

/* A file record {type, 0, arg, size} around len bytes of body (zeros if NULL). */
static void craft_file(struct craft *c, __u8 type, __u16 arg, const void *body, size_t len)
{
	__u8 zero = 0;
	__u32 size = 8 + (len + 3) / 4 * 4;

	craft_put(c, &type, 1);
	craft_put(c, &zero, 1);
	craft_put(c, &arg, 2);
	craft_u32(c, size);
	for (size_t i = 0; i < size - 8; i++) {
		__u8 byte = body && i < len ? ((const __u8 *)body)[i] : 0;

		craft_put(c, &byte, 1);
	}
}

/* The next address id: addr and its name, NUL-terminated, when it has one. */
static void craft_addr(struct craft *c, __u64 addr, const char *name)
{
	unsigned char body[128] = { 0 };
	size_t len = name ? strlen(name) : 0;

	memcpy(body, &addr, 8);
	if (name)
		memcpy(body + 8, name, len + 1);
	craft_file(c, 0x80, (__u16)len, body, len ? 8 + len + 1 : 8);
}

static void craft_end(struct craft *c, __u64 events)
{
	craft_file(c, 0x84, 0, &events, 8);
}

/* The next task id: pid and comm (none if NULL). */
static void craft_task(struct craft *c, __u32 pid, const char *comm)
{
	unsigned char body[4 + 16] = { 0 };

	memcpy(body, &pid, 4);
	if (comm)
		memcpy(body + 4, comm, strlen(comm));
	craft_file(c, 0x85, 0, body, sizeof(body));
}

/* Compresses the crafted content and reads its events into out; returns the status. */
static int craft_read_events(const struct craft *c, struct symtab *symtab, struct events *out)
{
	size_t bound = ZSTD_compressBound(c->len), clen;
	void *z = malloc(bound);
	int ret;

	clen = ZSTD_compress(z, bound, c->buf, c->len, 3);
	assert_false(ZSTD_isError(clen));
	last_log[0] = '\0';
	ret = read_all(z, clen, symtab, out, NULL);
	free(z);
	return ret;
}

/* The same for the status and the event count alone. */
static int craft_read(const struct craft *c, size_t *ret_events)
{
	struct symtab *symtab = new_symtab();
	struct events out = { 0 };
	int ret = craft_read_events(c, symtab, &out);

	if (ret_events)
		*ret_events = out.n;
	events_free(&out);
	symtab__free(symtab);
	return ret;
}

static void expect_error(const struct craft *c, const char *what)
{
	int ret = craft_read(c, NULL);

	if (ret != -EINVAL || !strstr(last_log, what))
		fail_msg("expected -EINVAL and '%s', got %d and '%s'", what, ret, last_log);
}

static void test_crafted_valid(void **state)
{
	struct craft c = { .len = 0 };
	size_t n;

	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_task(&c, 1, NULL);
	craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1);
	craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1);
	craft_end(&c, 2);
	assert_int_equal(craft_read(&c, &n), 0);
	assert_int_equal(n, 2);
}

static void test_crafted_versions(void **state)
{
	struct craft c = { .len = 0 };
	char abi_message[128];
	size_t n;

	craft_header(&c, 4, 0, LD_EVENT_ABI_VERSION, 0);
	craft_end(&c, 0);
	expect_error(
		&c,
		"cut.ldt: trace format version 4.0 is newer than this lockdepd reads (3.0); use a newer lockdepd");

	c.len = 0;
	craft_header(&c, 0, 3, LD_EVENT_ABI_VERSION, 0);
	expect_error(&c, "unknown trace format version 0.3");

	/* Older majors are refused whatever follows their header. */
	for (__u16 major = 1; major < 3; major++) {
		char expected[128];

		c.len = 0;
		craft_header(&c, major, 1, LD_EVENT_ABI_VERSION, 0);
		craft_end(&c, 0);
		snprintf(expected, sizeof(expected),
			 "cut.ldt: trace format %u.x is no longer read; re-record it", major);
		expect_error(&c, expected);
	}

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION + 1, 0);
	snprintf(abi_message, sizeof(abi_message),
		 "event ABI version %u is newer than this lockdepd's (%u); use a newer lockdepd",
		 LD_EVENT_ABI_VERSION + 1, LD_EVENT_ABI_VERSION);
	expect_error(&c, abi_message);
	c.len = 0;
	craft_header(&c, 3, 0, 0, 0);
	snprintf(abi_message, sizeof(abi_message),
		 "event ABI version 0 is older than this lockdepd's (%u)", LD_EVENT_ABI_VERSION);
	expect_error(&c, abi_message);

	/*
	 * ABI 1 events are ABI 2 events without rule-named inits, and ABI 2
	 * events ABI 3 events without held records: both still read.
	 */
	for (__u16 abi = 1; abi < 3; abi++) {
		c.len = 0;
		craft_header(&c, 3, 0, abi, 0);
		craft_task(&c, 1, NULL);
		craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1);
		craft_end(&c, 1);
		assert_int_equal(craft_read(&c, &n), 0);
		assert_int_equal(n, 1);
	}

	/* A newer minor version's unknown file records (0xc0 on) are skipped... */
	c.len = 0;
	craft_header(&c, 3, 1, LD_EVENT_ABI_VERSION, 0);
	craft_task(&c, 1, NULL);
	craft_file(&c, 0xc0, 7, "12345678", 8);
	craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1);
	craft_file(&c, 0xff, 0, NULL, 64);
	craft_end(&c, 1);
	assert_int_equal(craft_read(&c, &n), 0);
	assert_int_equal(n, 1);

	/* ...but with this minor version they are corruption. */
	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_file(&c, 0xc0, 7, "12345678", 8);
	expect_error(&c, "unknown record type 0xc0");

	/* Below 0xc0, a type this version does not know is corruption whatever the minor. */
	c.len = 0;
	craft_header(&c, 3, 1, LD_EVENT_ABI_VERSION, 0);
	craft_file(&c, 0x82, 0, "1234567812345678", 16);
	expect_error(&c, "unknown record type 0x82");
}

/* A file written by hand from the documented layout reads back exactly. */
static void test_crafted_layout(void **state)
{
	struct craft c = { .len = 0 };
	struct symtab *symtab = new_symtab();
	struct events out = { 0 };
	const struct ld_event *ev;
	const __u64 *stack;
	unsigned char body[64];
	__u64 t = 1000;

	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	/* Address ids 1 (a lock, named), 2 (a code address, named), 3 (a ctx). */
	craft_addr(&c, 0xffffffff82000000ULL, "console_mutex");
	craft_addr(&c, 0xffffffff8100111cULL, "mutex_lock+0x1c/0x80");
	craft_addr(&c, 0xffff888012340000ULL, NULL);
	/* Stack 1: frames 2, 1. */
	memset(body, 0, sizeof(body));
	body[0] = 2;
	body[4] = 1;
	craft_file(&c, 0x81, 2, body, 8);
	/* Task 1: pid 120 with its comm; task 2: pid 120 without (its other events). */
	memset(body, 0, sizeof(body));
	body[0] = 120;
	memcpy(body + 4, "gem_exec", 8);
	craft_file(&c, 0x85, 0, body, 20);
	memset(body + 4, 0, 16);
	craft_file(&c, 0x85, 0, body, 20);
	/* Site 1: ip address 2 with stack 1; site 2: address 2 alone. */
	memset(body, 0, sizeof(body));
	body[0] = 2;
	body[4] = 1;
	craft_file(&c, 0x86, 0, body, 8);
	body[4] = 0;
	craft_file(&c, 0x86, 0, body, 8);
	craft_file(&c, 0x83, 0, &t, 8);
	/* Extended: ctx 3 and ret follow the lock and the site. */
	craft_event(&c, LD_EV_ACQUIRE, LD_EV_F_TIME, LD_LOCK_WW_MUTEX | 3 << 8, 5, 1);
	craft_u32(&c, 1); /* lock */
	craft_u32(&c, 1); /* site */
	craft_u32(&c, 3); /* ctx */
	craft_u32(&c, (__u32)-EDEADLK);
	craft_event(&c, LD_EV_ACQUIRE, LD_EV_F_TIME, LD_LOCK_MUTEX, 1, 1);
	craft_u32(&c, 1);
	craft_u32(&c, 2);
	craft_event(&c, LD_EV_RELEASE, LD_EV_F_TIME, 0, 6, 2);
	craft_u32(&c, 1);
	craft_u32(&c, 2); /* ip */
	craft_event(&c, LD_EV_ALLOC, LD_EV_F_TIME, 0, 1, 2);
	{
		__u64 gfp = 0xcc0;

		craft_put(&c, &gfp, 8);
	}
	craft_u32(&c, 1); /* site */
	craft_end(&c, 4);

	assert_int_equal(craft_read_events(&c, symtab, &out), 0);
	assert_int_equal(out.n, 4);

	ev = out.ev[0];
	assert_int_equal(ev->type, LD_EV_ACQUIRE);
	assert_int_equal(ev->size, ld_event_size_for(2, 0));
	assert_int_equal(ev->pid, 120);
	assert_int_equal(ev->time_ns, 1005);
	assert_int_equal(ev->acquire.lock, 0xffffffff82000000ULL);
	assert_int_equal(ev->acquire.ip, 0xffffffff8100111cULL);
	assert_int_equal(ev->acquire.ctx, 0xffff888012340000ULL);
	assert_int_equal(ev->acquire.ret, -EDEADLK);
	assert_int_equal(ev->acquire.lock_type, LD_LOCK_WW_MUTEX);
	assert_int_equal(ev->acquire.trylock, 1);
	assert_string_equal(ev->comm, "gem_exec");
	stack = ld_event_stack(ev);
	assert_int_equal(ev->nr_stack, 2);
	assert_int_equal(stack[0], 0xffffffff8100111cULL);
	assert_int_equal(stack[1], 0xffffffff82000000ULL);

	ev = out.ev[1];
	assert_int_equal(ev->type, LD_EV_ACQUIRE);
	assert_int_equal(ev->time_ns, 1006);
	assert_int_equal(ev->nr_stack, 0);
	assert_int_equal(ev->acquire.ip, 0xffffffff8100111cULL);
	assert_int_equal(ev->acquire.ctx, 0);
	assert_int_equal(ev->acquire.ret, 0);
	assert_int_equal(ev->acquire.trylock, 0);

	ev = out.ev[2];
	assert_int_equal(ev->type, LD_EV_RELEASE);
	assert_int_equal(ev->pid, 120);
	assert_int_equal(ev->time_ns, 1012);
	assert_int_equal(ev->release.ip, 0xffffffff8100111cULL);
	assert_int_equal(ev->comm[0], 0);

	ev = out.ev[3];
	assert_int_equal(ev->type, LD_EV_ALLOC);
	assert_int_equal(ev->pid, 120);
	assert_int_equal(ev->alloc.gfp, 0xcc0);
	assert_int_equal(ev->alloc.site, 0xffffffff8100111cULL);
	assert_int_equal(ev->nr_stack, 2);
	assert_int_equal(ev->comm[0], 0);
	events_free(&out);
	symtab__free(symtab);
}

/* An allocation (no time), followed by an end record so that it is whole. */
static void craft_alloc(struct craft *c, unsigned int aux, __u32 delta, __u32 task, __u32 site)
{
	__u64 gfp = 0xcc0;

	craft_event(c, LD_EV_ALLOC, 0, aux, delta, task);
	craft_put(c, &gfp, 8);
	craft_u32(c, site);
	craft_end(c, 1);
}

static void test_crafted_dictionaries(void **state)
{
	struct craft c = { .len = 0 };
	__u32 site[2];

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_addr(&c, 0xffffffff82000000ULL, "console_mutex");
	craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1); /* no task record yet */
	expect_error(&c, "exit uses undefined task 1");

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_addr(&c, 0xffffffff82000000ULL, "console_mutex");
	craft_event(&c, LD_EV_ACQUIRE, 0, 0, 0, 0);
	craft_u32(&c, 1);
	craft_u32(&c, 4); /* no site 4 */
	expect_error(&c, "acquire uses undefined site 4");

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	site[0] = 1;
	site[1] = 7;
	craft_addr(&c, 0xffffffff82000000ULL, "console_mutex");
	craft_file(&c, 0x86, 0, site, sizeof(site));
	expect_error(&c, "site uses undefined stack 7");

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_file(&c, 0x85, 0, "1234", 4);
	expect_error(&c, "bad task record (size 12)");

	/* Only the trylock and extension bits may be set above the lock type. */
	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_event(&c, LD_EV_ACQUIRE, 0, 4 << 8, 0, 0);
	craft_u32(&c, 0);
	craft_u32(&c, 0);
	expect_error(&c, "bad acquire (lock type 0, trylock 4)");

	/* Allocations, which have a path of their own in the reader, judged the same. */
	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_alloc(&c, 0, 0, 0, 5);
	expect_error(&c, "alloc uses undefined site 5");

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_alloc(&c, 1, 0, 0, 0);
	expect_error(&c, "bad alloc (aux 0x1)");

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_alloc(&c, 0, 7, 0, 0);
	expect_error(&c, "time delta 7 on an event without a time");

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_alloc(&c, 0, 0, 3, 0);
	expect_error(&c, "alloc uses undefined task 3");
}

/* A header, one named address and one task, the start of every corrupt file below. */
static void craft_start(struct craft *c)
{
	c->len = 0;
	craft_header(c, 3, 0, LD_EVENT_ABI_VERSION, 0);
	craft_addr(c, 0xffffffff82000000ULL, "console_mutex");
	craft_task(c, 1, NULL);
}

static void test_crafted_records(void **state)
{
	struct craft c = { .len = 0 };
	char expected[160];
	size_t header;

	/* The offset and the record number point at the bad record. */
	craft_start(&c);
	header = c.len;
	craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1);
	craft_event(&c, LD_EV_RELEASE, 0, 0, 0, 1);
	craft_u32(&c, 2); /* only address 1 exists */
	craft_u32(&c, 0);
	snprintf(expected, sizeof(expected),
		 "cut.ldt: byte %zu (record 4): release uses undefined address 2", header + 12);
	expect_error(&c, expected);

	craft_start(&c);
	craft_event(&c, LD_EV_ACQUIRE, 0, LD_LOCK_TYPE_MAX, 0, 1);
	for (int i = 0; i < 2; i++)
		craft_u32(&c, 0);
	expect_error(&c, "bad acquire (lock type 5, trylock 0)");

	craft_start(&c);
	craft_event(&c, LD_EV_RECLAIM, 0, 0x0200, 0, 1);
	craft_u32(&c, 1);
	expect_error(&c, "bad reclaim (kind 0, state 2)");

	craft_start(&c);
	craft_event(&c, LD_EV_FLAGS, 0, 0, 0, 1);
	craft_u32(&c, 0x100);
	expect_error(&c, "bad flags value 0x100");

	/* A delta on an event that has no time. */
	craft_start(&c);
	craft_event(&c, LD_EV_EXIT, 0, 0, 9, 1);
	expect_error(&c, "time delta 9 on an event without a time");

	/* aux is only for text lengths and acquire and reclaim details. */
	craft_start(&c);
	craft_event(&c, LD_EV_EXIT, 0, 3, 0, 1);
	expect_error(&c, "bad exit (aux 0x3)");

	craft_start(&c);
	craft_event(&c, LD_EV_MARK, 0, LD_MAX_TEXT + 1, 0, 1);
	expect_error(&c, "bad mark");

	craft_start(&c);
	craft_event(&c, LD_EV_MARK, 0, 2, 0, 1);
	craft_put(&c, "ab\0x", 4);
	expect_error(&c, "nonzero padding after the text");

	craft_start(&c);
	craft_event(&c, 0, 0, 0, 0, 1);
	expect_error(&c, "unknown record type 0x0");

	craft_start(&c);
	craft_event(&c, 0x7f, 0, 0, 0, 1);
	expect_error(&c, "unknown record type 0x7f");

	/* File records: sizes, stacks, names. */
	craft_start(&c);
	craft_task(&c, 2, NULL);
	c.buf[c.len - 24] = 23; /* size 23: not a multiple of 4 */
	expect_error(&c, "record 0x85 has a bad size 23");

	craft_start(&c);
	{
		__u32 frames[2] = { 1, 9 };

		craft_file(&c, 0x81, 2, frames, sizeof(frames));
	}
	expect_error(&c, "stack frame 1 uses undefined address 9");

	craft_start(&c);
	craft_file(&c, 0x81, LD_MAX_STACK + 1, NULL, 4 * (LD_MAX_STACK + 1));
	expect_error(&c, "bad stack record");

	/* An address record whose name has no NUL where the size says. */
	craft_start(&c);
	craft_file(&c, 0x80, 8,
		   "\x01\x02\x03\x04\x05\x06\x07\x08"
		   "abcdefgh",
		   16);
	expect_error(&c, "bad address record");

	craft_start(&c);
	craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1);
	craft_end(&c, 5);
	expect_error(&c, "end record counts 5 events but the file holds 1");

	craft_start(&c);
	craft_end(&c, 0);
	craft_event(&c, LD_EV_EXIT, 0, 0, 0, 1);
	expect_error(&c, "data after the end record");
}

/* A held record of nr entries: lock and ip ids, then the type bytes, padded. */
static void craft_held(struct craft *c, __u16 nr, const __u32 *ids, const __u8 *info)
{
	__u8 zero = 0;

	craft_event(c, LD_EV_HELD, 0, nr, 0, 1);
	for (unsigned int i = 0; i < 2u * nr; i++)
		craft_u32(c, ids[i]);
	craft_put(c, info, nr);
	for (unsigned int i = nr; i % 4; i++)
		craft_put(c, &zero, 1);
}

/* Held records as the layout describes them, and every way one can be corrupt. */
static void test_crafted_held(void **state)
{
	static const __u32 ids[2 * (LD_HELD_MAX + 1)] = { 1, 2, 1, 0 };
	__u8 info[LD_HELD_MAX + 1] = { LD_LOCK_RWSEM_READ, LD_LOCK_MUTEX | 0x80 };
	struct craft c = { .len = 0 };
	struct symtab *symtab = new_symtab();
	struct events out = { 0 };
	const struct ld_held_entry *held;

	craft_start(&c); /* address 1 is console_mutex */
	craft_addr(&c, 0xffffffff8100111cULL, "foo+0x10/0x80");
	craft_held(&c, 2, ids, info);
	craft_held(&c, 0, ids, info);
	craft_end(&c, 2);
	assert_int_equal(craft_read_events(&c, symtab, &out), 0);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.ev[0]->type, LD_EV_HELD);
	assert_int_equal(out.ev[0]->pid, 1);
	assert_int_equal(out.ev[0]->held.nr, 2);
	assert_int_equal(out.ev[0]->nr_stack, 2 * LD_HELD_ENTRY_WORDS);
	assert_int_equal(out.ev[0]->size, LD_EVENT_FIXED_SIZE + 2 * sizeof(*held));
	held = ld_event_held(out.ev[0]);
	assert_int_equal(held[0].lock, 0xffffffff82000000ULL);
	assert_int_equal(held[0].ip, 0xffffffff8100111cULL);
	assert_int_equal(held[0].info, LD_LOCK_RWSEM_READ);
	assert_int_equal(held[1].lock, 0xffffffff82000000ULL);
	assert_int_equal(held[1].ip, 0);
	assert_int_equal(held[1].info, LD_LOCK_MUTEX | LD_HELD_F_TRYLOCK);
	assert_int_equal(out.ev[1]->held.nr, 0);
	assert_int_equal(out.ev[1]->size, LD_EVENT_FIXED_SIZE);
	events_free(&out);
	symtab__free(symtab);

	craft_start(&c);
	craft_held(&c, LD_HELD_MAX + 1, ids, info);
	expect_error(&c, "cut.ldt: byte");
	expect_error(&c, "bad held (17 entries, at most 16)");

	craft_start(&c);
	info[1] = LD_LOCK_TYPE_MAX;
	craft_held(&c, 2, ids, info);
	expect_error(&c, "bad held entry 1 (lock type 5)");
	craft_start(&c);
	info[1] = 0x7f | 0x80;
	craft_held(&c, 2, ids, info);
	expect_error(&c, "bad held entry 1 (lock type 127)");
	info[1] = LD_LOCK_MUTEX;

	craft_start(&c);
	craft_held(&c, 1, (const __u32[]){ 1, 9 }, info);
	expect_error(&c, "held uses undefined address 9");
	craft_start(&c);
	craft_held(&c, 1, (const __u32[]){ 7, 0 }, info);
	expect_error(&c, "held uses undefined address 7");

	craft_start(&c);
	craft_held(&c, 2, ids, info);
	c.buf[c.len - 1] = 1;
	expect_error(&c, "nonzero padding after the held entries");

	/* Traces of the event ABIs before held records have none. */
	for (__u16 abi = 1; abi < 3; abi++) {
		char expected[96];

		c.len = 0;
		craft_header(&c, 3, 0, abi, 0);
		craft_addr(&c, 0xffffffff82000000ULL, "console_mutex");
		craft_task(&c, 1, NULL);
		craft_held(&c, 0, ids, info);
		craft_end(&c, 1);
		snprintf(expected, sizeof(expected),
			 "held record in a trace of event ABI %u (held came with 3)", abi);
		expect_error(&c, expected);
	}
}

static void test_crafted_corruption(void **state)
{
	struct craft c = { .len = 0 };

	memcpy(c.buf, "NOTATRACEFILE___", 16);
	c.len = 40;
	expect_error(&c, "cut.ldt: byte 0 (record 0): not a lockdepd trace (bad magic)");

	c.len = 0;
	craft_header(&c, 3, 0, LD_EVENT_ABI_VERSION, 12);
	expect_error(&c, "bad header size 12");
}

static void test_bad_zstd(void **state)
{
	unsigned char junk[256];
	struct symtab *symtab = new_symtab();

	memset(junk, 0x5a, sizeof(junk));
	memcpy(junk, "\x28\xb5\x2f\xfd", 4);
	assert_int_equal(read_all(junk, sizeof(junk), symtab, NULL, NULL), -EINVAL);
	assert_non_null(strstr(last_log, "cut.ldt: compressed byte"));
	assert_non_null(strstr(last_log, "zstd: "));
	symtab__free(symtab);
}

/* --- writer, dump, stdin ------------------------------------------------- */

static void test_writer_errors(void **state)
{
	struct trace_writer *writer;
	struct ld_event ev = { .type = LD_EV_EXIT, .size = 76 };

	assert_int_equal(trace_writer__open("/nonexistent/dir/x.ldt", NULL, NULL, &writer),
			 -ENOENT);
	assert_non_null(strstr(last_log, "/nonexistent/dir/x.ldt"));
	assert_int_equal(trace_writer__open(tmp_path, NULL, NULL, &writer), 0);
	assert_int_equal(trace_writer__write(writer, &ev), -EINVAL);
	ev.size = sizeof(ev);
	ev.type = 77;
	assert_int_equal(trace_writer__write(writer, &ev), -EINVAL);
	/* A held record whose entries do not fill it. */
	ev.type = LD_EV_HELD;
	ev.held.nr = 1;
	assert_int_equal(trace_writer__write(writer, &ev), -EINVAL);
	assert_non_null(strstr(last_log, "refusing to write an invalid event (type 10"));
	ev.held.nr = 0;
	assert_int_equal(trace_writer__write(writer, &ev), 0);
	ev.type = LD_EV_EXIT;
	assert_int_equal(trace_writer__write(writer, &ev), 0);
	assert_int_equal(trace_writer__close(writer), 0);
	assert_int_equal(trace_writer__close(NULL), 0);
}

static void test_dump_truncated(void **state)
{
	struct symtab *symtab = new_symtab();
	struct events in = { 0 };
	struct trace_writer *writer;
	char *out;
	int err;

	load_text("exit pid=1\nexit pid=2\n", symtab, &in);
	assert_int_equal(trace_writer__open(tmp_path, NULL, symtab, &writer), 0);
	assert_int_equal(trace_writer__write(writer, in.ev[0]), 0);
	assert_int_equal(trace_writer__write(writer, in.ev[1]), 0);
	assert_int_equal(trace_writer__flush(writer), 0);
	/* Stand-in for a crash: the file as it is now, without the end record. */
	{
		size_t len;
		char *file = read_file(tmp_path, &len);
		char copy[] = "/tmp/test_trace_binary_cut.XXXXXX";
		int fd = mkstemp(copy);

		close(fd);
		write_file(copy, file, len);
		out = dump(copy, &err);
		assert_int_equal(err, 0);
		assert_string_equal(out, "exit pid=1\nexit pid=2\n");
		snprintf(last_log, sizeof(last_log),
			 "%s: truncated after 2 events (no end record)\n", copy);
		assert_string_equal(warnings, last_log);
		free(out);
		free(file);
		unlink(copy);
	}
	assert_int_equal(trace_writer__close(writer), 0);
	events_free(&in);
	symtab__free(symtab);

	/* A bad file: the error, no output beyond what was good. */
	write_file(tmp_path, "exit pid=1\nexit pid=x\n", 22);
	out = dump(tmp_path, &err);
	assert_int_equal(err, -EINVAL);
	assert_string_equal(out, "exit pid=1\n");
	free(out);
}

static void test_binary_from_stdin(void **state)
{
	struct symtab *symtab = new_symtab();
	struct trace_reader *reader;
	const struct ld_event *ev;
	int pipefd[2], saved;
	size_t len;
	char *file;

	convert_to_binary(sample_text, strlen(sample_text), tmp_path);
	file = read_file(tmp_path, &len);
	assert_true(len < 4096); /* fits in the pipe without a second writer */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], file, len), (ssize_t)len);
	close(pipefd[1]);
	saved = dup(0);
	dup2(pipefd[0], 0);
	close(pipefd[0]);
	clearerr(stdin);
	assert_int_equal(trace_reader__open("-", symtab, &reader), 0);
	assert_int_equal(trace_reader__form(reader), TRACE_FORM_BINARY);
	while (trace_reader__next(reader, &ev) > 0)
		;
	assert_int_equal(trace_reader__events_read(reader), 13);
	assert_false(trace_reader__truncated(reader));
	trace_reader__free(reader);
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
	free(file);
	symtab__free(symtab);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_round_trip_events),
		T(test_round_trip_held),
		T(test_default_header),
		T(test_symbols_named_in_fresh_symtab),
		T(test_text_binary_text_identity),
		T(test_scenarios_identity),
		T(test_random_identity),
		T(test_truncated_every_cut),
		T(test_crash_keeps_flushed_events),
		T(test_corrupted_bytes),
		T(test_crafted_valid),
		T(test_crafted_versions),
		T(test_crafted_layout),
		T(test_crafted_dictionaries),
		T(test_crafted_records),
		T(test_crafted_held),
		T(test_crafted_corruption),
		T(test_bad_zstd),
		T(test_writer_errors),
		T(test_dump_truncated),
		T(test_binary_from_stdin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
