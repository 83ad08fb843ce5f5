/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private to source/live/: the state live.c, entry_slots.c and records.c
 * share. Nothing outside this folder includes it but tests/unit/test_records.c.
 */
#ifndef LOCKDEPD_SOURCE_LIVE_CAPTURE_H
#define LOCKDEPD_SOURCE_LIVE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "source/live/kernel_info.h"
#include "lib/hashmap.h"
#include "source/live/live.h"
#include "source/live/probe.h"

#define MAX_MODULE_BTFS	   64
#define DEFAULT_RINGBUF_MB 16

enum lock_mode {
	LOCK_MODE_FENTRY,
	LOCK_MODE_KPROBE,
	LOCK_MODE_NONE,
};

struct module_btf {
	char name[64];
	struct btf *btf;
};

struct live {
	struct lockdepd_bpf *core;
	struct lockdepd_entry_bpf *entry;
	struct bpf_link **links;
	size_t nr_links, links_capacity;
	struct ring_buffer *rb;
	struct symtab *symtab;
	struct probe_table *table;
	struct probe_report_info info;
	struct gfp_layout *gfp;
	struct task_flag_values task_flags;
	struct btf *vmlinux_btf;
	struct module_btf modules[MAX_MODULE_BTFS];
	size_t nr_modules;
	bool modules_scanned;
	enum lock_mode mode;
	struct live_opts opts;
	char release[128];
	char lock_attach[64];
	char lock_refusal[512];
	char mode_notes[256]; /* why earlier modes failed, for the probe table */
	/* While polling. */
	live_event_fn fn;
	void *fn_ctx;
	__u64 events;
	__u64 invalid;
	__u64 untracked_seen;
	/* The chain cache's facts written into the probes' maps (chain_cache.c). */
	struct hmap chains_written;
	struct hmap idents_written;
	/* A module's symbols, between its MODULE_LOAD and MODULE_DONE records. */
	char module_name[64];
	FILE *module_syms;
	char *module_buf;
	size_t module_buf_len;
	unsigned int module_nr_syms;
};

/* bpf_glue.c */
/* libbpf's messages into the log; the last warning kept for live_describe_failure(). */
int live_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);
/* Before a load whose failure quotes libbpf's last warning. */
void live_forget_libbpf_warning(void);
__u64 live_wakeup_threshold(const struct live *live);

/* The settings both objects share (lockdepd_common.h); ro is either skeleton's rodata. */
#define SET_COMMON_RODATA(live, ro)                                        \
	do {                                                               \
		(ro)->targ_self_tgid = (__u32)getpid();                    \
		(ro)->pf_memalloc = (live)->task_flags.memalloc;           \
		(ro)->pf_memalloc_nofs = (live)->task_flags.memalloc_nofs; \
		(ro)->pf_memalloc_noio = (live)->task_flags.memalloc_noio; \
		(ro)->pf_kswapd = (live)->task_flags.kswapd;               \
		(ro)->wakeup_bytes = live_wakeup_threshold(live);          \
		(ro)->targ_stack_dedupe = !(live)->opts.all_stacks;        \
		(ro)->targ_chain_cache = (live)->opts.chain_cache;         \
	} while (0)

int live_links_add(struct live *live, struct bpf_link *link);
/* chain_cache.c */
void live_chain_free(struct live *live);
bool live_is_refusal(enum lock_mode mode, int err);
const char *live_mode_name(enum lock_mode mode);
/* Why mode's attach failed with err, in a few words. */
const char *live_refusal_reason(enum lock_mode mode, int err);
/* "fentry EPERM (BPF trampolines not permitted)" into buf. */
void live_describe_failure(enum lock_mode mode, int err, char *buf, size_t len);
struct bpf_program *live_program(struct bpf_object *obj, const char *name);
void live_all_autoload_off(struct bpf_object *obj);
/* The module BTF holding a function, loading module BTFs on first use. */
struct btf *live_module_btf(struct live *live, const char *module);
const struct btf *live_function_btf(struct live *live, const char *function, char *module,
				    size_t module_len);
/* Addresses of some functions from /proc/kallsyms (kretprobes cannot ask the kernel). */
__u64 live_kallsyms_address(const char *function);

/* entry_slots.c: drivers' reclaim entry points and lock_args, when there are any to watch. */
int live_open_entry(struct live *live);

/* records.c: the ring buffer's callback. */
int live_on_record(void *ctx, void *data, size_t size);

#endif
