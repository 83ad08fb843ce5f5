/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The gfp flag layout of one kernel. Bit numbers change between releases, so
 * a layout is read from the traced kernel (BTF enums where present, else the
 * `print fmt` of events/kmem/kmalloc/format) and carried in the trace
 * header. A layout is a list of (name, mask) pairs: the single __GFP_* bits
 * and the composite GFP_* names, as the kernel's own show_gfp_flags() lists
 * them. Text traces with no header use gfp_layout__new_default(), the
 * layout of Linux 6.1 to 6.18 (identical for the bits lockdep looks at).
 */
#ifndef LOCKDEPD_GFP_H
#define LOCKDEPD_GFP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct gfp_layout;

/* Constructors: 0 or -ENOMEM, *ret untouched on failure. */
int gfp_layout__new(struct gfp_layout **ret);
int gfp_layout__new_default(struct gfp_layout **ret);
int gfp_layout__copy(const struct gfp_layout *layout, struct gfp_layout **ret);
void gfp_layout__free(struct gfp_layout *layout);

/* Adds a name; composites (GFP_KERNEL) and single bits (__GFP_FS) alike. */
int gfp_layout__add(struct gfp_layout *layout, const char *name, __u64 mask);

/* Parses the __print_flags table of a tracepoint `print fmt`. -EINVAL if none found. */
int gfp_layout__parse_print_fmt(struct gfp_layout *layout, const char *print_fmt);

/* Mask of a name, 0 when the layout lacks it. */
__u64 gfp_layout__mask(const struct gfp_layout *layout, const char *name);

size_t gfp_layout__count(const struct gfp_layout *layout);
/* The i-th pair in insertion order; -ERANGE past the end. */
int gfp_layout__entry(const struct gfp_layout *layout, size_t i, const char **ret_name,
		      __u64 *ret_mask);
bool gfp_layout__equal(const struct gfp_layout *a, const struct gfp_layout *b);

/* "GFP_KERNEL|__GFP_NOWARN", "0x400cc0" or "0" to a value. -EINVAL naming nothing. */
int gfp_layout__parse(const struct gfp_layout *layout, const char *text, __u64 *ret_gfp);
/* The shortest name form ("GFP_KERNEL|__GFP_ZERO"), hex for bits without a name. */
int gfp_layout__format(const struct gfp_layout *layout, __u64 gfp, char *buf, size_t len);

/*
 * lockdep's __fs_reclaim_acquire() rule: __GFP_DIRECT_RECLAIM set, the task
 * not PF_MEMALLOC, and __GFP_FS still set once the task's NOIO/NOFS scope is
 * applied. task_flags are LD_TASK_* bits.
 */
bool gfp_may_enter_fs_reclaim(const struct gfp_layout *layout, __u64 gfp, __u32 task_flags);

#endif
