// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The records the BPF programs send through the ring buffer: events go to
 * the caller, private records (module symbols, page allocator names) are
 * consumed here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "event/gfp.h"
#include "source/live/kernel_info.h"
#include "source/live/live.h"
#include "lockdepd.skel.h"
#include "lockdepd_bpf.h"
#include "lockdepd_entry.skel.h"
#include "lib/log.h"
#include "source/live/probe.h"
#include "engine/rules.h"
#include "event/symtab.h"

#define DEFAULT_RINGBUF_MB 16
#define MAX_MODULE_BTFS	   64
#include "source/live/capture.h"

/* --- records ------------------------------------------------------------------ */

/* Loads kallsyms-format lines into the symtab through a memfd. */
static int load_symbol_lines(struct live *live, const char *lines, size_t len)
{
	char path[64];
	int fd, err;

	fd = memfd_create("lockdepd-kallsyms", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, lines, len) != (ssize_t)len) {
		err = -EIO;
		goto cleanup;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = symtab__load_kallsyms(live->symtab, path);
cleanup:
	close(fd);
	return err;
}

/* The lines of one module from /proc/kallsyms, when the probes sent none. */
static int read_module_kallsyms(const char *module, FILE *out)
{
	char line[512], suffix[80];
	unsigned int lines = 0;
	size_t suffix_len;
	FILE *in;

	snprintf(suffix, sizeof(suffix), "[%s]", module);
	suffix_len = strlen(suffix);
	in = fopen("/proc/kallsyms", "re");
	if (!in)
		return -errno;
	while (fgets(line, sizeof(line), in)) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (n > suffix_len && strcmp(line + n - suffix_len, suffix) == 0) {
			fprintf(out, "%s\n", line);
			lines++;
		}
	}
	fclose(in);
	return (int)lines;
}

static void module_symbols_begin(struct live *live, const struct ld_event *ev)
{
	size_t len = ev->text_len < sizeof(live->module_name) - 1 ? ev->text_len
								  : sizeof(live->module_name) - 1;

	if (live->module_syms)
		fclose(live->module_syms);
	free(live->module_buf);
	live->module_buf = NULL;
	live->module_buf_len = 0;
	live->module_nr_syms = 0;
	memcpy(live->module_name, ld_event_text(ev), len);
	live->module_name[len] = '\0';
	live->module_syms = open_memstream(&live->module_buf, &live->module_buf_len);
}

static void module_symbol(struct live *live, const struct ld_event *ev)
{
	if (!live->module_syms)
		return;
	fprintf(live->module_syms, "%016llx %c %.*s\t[%s]\n", (unsigned long long)ev->raw[0],
		(char)ev->raw[2], (int)ev->text_len, ld_event_text(ev), live->module_name);
	live->module_nr_syms++;
}

static void module_symbols_end(struct live *live)
{
	int err;

	if (!live->module_syms)
		return;
	/* No symbol table in the probes' view: ask /proc/kallsyms while the module is there. */
	if (live->module_nr_syms == 0)
		read_module_kallsyms(live->module_name, live->module_syms);
	fclose(live->module_syms);
	live->module_syms = NULL;
	err = live->module_buf_len ? load_symbol_lines(live, live->module_buf, live->module_buf_len)
				   : 0;
	log_debug("module %s loaded: %u symbols%s", live->module_name, live->module_nr_syms,
		  err ? " (not loaded)" : "");
	free(live->module_buf);
	live->module_buf = NULL;
	live->module_buf_len = 0;
}

static void handle_private(struct live *live, const struct ld_event *ev, size_t size)
{
	if (size < LD_EVENT_FIXED_SIZE || ev->text_len > LD_MAX_TEXT ||
	    size < LD_EVENT_FIXED_SIZE + ev->text_len)
		return;
	switch (ev->type) {
	case LD_BPF_EV_MODULE_LOAD:
		module_symbols_begin(live, ev);
		break;
	case LD_BPF_EV_MODULE_SYM:
		module_symbol(live, ev);
		break;
	case LD_BPF_EV_MODULE_DONE:
		module_symbols_end(live);
		break;
	default:
		break;
	}
}

static bool has_prefix(const char *name, const char *const *prefixes)
{
	for (size_t i = 0; prefixes[i]; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/*
 * A page allocation's stack begins inside the tracepoint and the page
 * allocator, and the tracepoint carries no call site: drop the tracing
 * frames and name the site after the first frame outside the allocator.
 */
static void name_page_alloc(struct live *live, struct ld_event *ev)
{
	static const char *const tracing[] = {
		"__traceiter_", "perf_trace_",	   "trace_event_raw_event_",
		"bpf_prog_",	"bpf_trampoline_", "bpf_trace_run",
		"__bpf_trace_", "trace_call_bpf",  NULL,
	};
	static const char *const allocator[] = {
		"__alloc_pages",
		"alloc_pages",
		"__folio_alloc",
		"folio_alloc",
		"__alloc_frozen",
		"alloc_frozen",
		"get_page_from_freelist",
		"__get_free_pages",
		"get_zeroed_page",
		"prep_new_page",
		"post_alloc_hook",
		"allocate_slab",
		"new_slab",
		"alloc_slab_page",
		"___slab_alloc",
		"__slab_alloc",
		"slab_alloc",
		"kmem_cache_alloc",
		"__kmem_cache_alloc",
		"__kmalloc",
		"kmalloc",
		"___kmalloc",
		NULL,
	};
	__u64 *frames = (__u64 *)(ev + 1);
	unsigned int skip = 0;

	while (skip < ev->nr_stack) {
		const char *name = symtab__lookup(live->symtab, frames[skip]);

		if (!name || !has_prefix(name, tracing))
			break;
		skip++;
	}
	if (skip && skip < ev->nr_stack) {
		memmove(frames, frames + skip, (ev->nr_stack - skip) * sizeof(*frames));
		ev->nr_stack -= skip;
		ev->size = (__u16)ld_event_size_for(ev->nr_stack, ev->text_len);
	}
	for (unsigned int i = 0; i < ev->nr_stack; i++) {
		const char *name = symtab__lookup(live->symtab, frames[i]);

		if (!name || !has_prefix(name, allocator)) {
			ev->alloc.site = frames[i];
			return;
		}
	}
}

static int deliver(struct live *live, const struct ld_event *ev)
{
	live->events++;
	return live->fn(ev, live->fn_ctx);
}

int live_on_record(void *ctx, void *data, size_t size)
{
	struct live *live = ctx;
	const struct ld_event *ev = data;
	union {
		struct ld_event ev;
		char bytes[LD_EVENT_FIXED_SIZE + LD_MAX_STACK * 8 + LD_MAX_TEXT];
	} copy;

	if (size >= LD_EVENT_FIXED_SIZE && ev->type >= LD_BPF_PRIVATE_BASE) {
		handle_private(live, ev, size);
		return 0;
	}
	if (ld_event_validate(ev, size) < 0) {
		if (!live->invalid++)
			log_warning(
				"the probes wrote an invalid record (type %u, size %zu): skipped",
				size >= 2 ? ev->type : 0, size);
		return 0;
	}
	if (ev->type == LD_EV_ALLOC && ev->alloc.site == 0 && ev->nr_stack &&
	    ev->size <= sizeof(copy)) {
		memcpy(&copy, ev, ev->size);
		name_page_alloc(live, &copy.ev);
		ev = &copy.ev;
	}
	return deliver(live, ev);
}

static __u64 untracked_lost(const struct live *live)
{
	__u64 n = live->core ? live->core->bss->lost_untracked : 0;

	if (live->entry)
		n += live->entry->bss->lost_untracked;
	return n;
}

/* Losses no task could be charged with become one lost event for all tasks. */
static int deliver_untracked_lost(struct live *live)
{
	__u64 now = untracked_lost(live);
	struct ld_event ev = { 0 };

	if (now == live->untracked_seen)
		return 0;
	ev.type = LD_EV_LOST;
	ev.size = LD_EVENT_FIXED_SIZE;
	ev.lost.count = now - live->untracked_seen;
	live->untracked_seen = now;
	return deliver(live, &ev);
}

int live__fd(const struct live *live)
{
	return ring_buffer__epoll_fd(live->rb);
}

/* What the ring buffer holds now, then the losses no task took: the records delivered since before.
 */
static int consume(struct live *live, __u64 before)
{
	int err = ring_buffer__consume(live->rb);

	if (err < 0)
		return err;
	err = deliver_untracked_lost(live);
	if (err)
		return err;
	return (int)(live->events - before);
}

int live__poll(struct live *live, int timeout_ms, live_event_fn fn, void *ctx)
{
	__u64 before = live->events;
	int err;

	live->fn = fn;
	live->fn_ctx = ctx;
	err = ring_buffer__poll(live->rb, timeout_ms);
	if (err < 0)
		return err == -EINTR ? -EINTR : err;
	/*
	 * The BPF side wakes us only as the waiting data crosses its
	 * threshold, and a crossing can be missed; a poll that timed out
	 * takes what is there all the same, so nothing waits longer than the
	 * timeout.
	 */
	return consume(live, before);
}

int live__drain(struct live *live, live_event_fn fn, void *ctx)
{
	live->fn = fn;
	live->fn_ctx = ctx;
	return consume(live, live->events);
}
