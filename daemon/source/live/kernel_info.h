/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the live source must learn from the running kernel before it can
 * trace it: its release, where tracefs is, its gfp bit layout and the
 * values of the task flags lockdep's allocation rule looks at.
 */
#ifndef LOCKDEPD_KERNEL_INFO_H
#define LOCKDEPD_KERNEL_INFO_H

#include <stddef.h>
#include <linux/types.h>

struct gfp_layout;
struct btf;

/* `uname -r` into buf. 0 or -errno. */
int kernel_read_release(char *buf, size_t len);

/*
 * The tracefs mount point ("/sys/kernel/tracing" or the debugfs one),
 * mounting tracefs at /sys/kernel/tracing when neither holds events.
 * Returns NULL with errno set when there is none.
 */
const char *tracefs_path(void);

/* True when tracefs has events/<category>/<name>. */
int tracepoint_exists(const char *category, const char *name);

/*
 * The gfp layout of the running kernel. The single __GFP_* bits come from
 * BTF (the ___GFP_*_BIT enum of Linux 6.x) when vmlinux_btf has it, else
 * from the `print fmt` of events/kmem/kmalloc; the composite GFP_* names
 * always come from that print fmt when tracefs is readable. *ret_source
 * says which ("BTF enum ___GFP_*_BIT + tracefs kmem/kmalloc print fmt").
 * vmlinux_btf may be NULL. 0 or -errno (logged).
 */
int kernel_read_gfp_layout(const struct btf *vmlinux_btf, struct gfp_layout **ret_layout,
			   const char **ret_source);

/*
 * The kernel's PF_* values for the flags the engine needs. They are
 * preprocessor macros, absent from BTF and from every tracepoint format,
 * so they come from a table of the values Linux has used (unchanged from
 * 4.12 to 6.18 for these four), and that table is checked against the
 * running kernel: kswapd threads must carry PF_MEMALLOC|PF_KSWAPD in
 * /proc/<pid>/stat and kthreadd neither; with CAP_SYS_RESOURCE,
 * prctl(PR_SET_IO_FLUSHER) must set PF_MEMALLOC_NOIO on this thread.
 * PF_MEMALLOC_NOFS has no user-space trigger and is taken on trust.
 * `source` says what was checked.
 */
struct task_flag_values {
	__u32 memalloc;
	__u32 memalloc_nofs;
	__u32 memalloc_noio;
	__u32 kswapd;
	char source[160];
};

/* 0, or -EPROTO (logged) when the running kernel contradicts the table. */
int kernel_read_task_flags(struct task_flag_values *ret_values);

#endif
