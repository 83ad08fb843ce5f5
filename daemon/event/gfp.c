// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gfp layouts: the (name, mask) table of one kernel, in the order of the
 * kernel's own __def_gfpflag_names (composites first, most bits first), so
 * that formatting with it reads like the kernel's show_gfp_flags().
 *
 * A layout comes from the traced kernel's `print fmt` of kmem/kmalloc, whose
 * table entries are C constant expressions after preprocessing, e.g. on 6.1
 *   {(unsigned long)((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u)), "GFP_NOFS"}
 * and on 6.18 the same with ((1UL) << (10)) shifts and `& ~` for the
 * TRANSHUGE masks. A small expression evaluator reads them; casts are
 * skipped (every mask fits in the low 32 bits, so widths do not matter).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event.h"
#include "event/gfp.h"
#include "lib/macro.h"

struct gfp_entry {
	char *name;
	__u64 mask;
};

struct gfp_layout {
	struct gfp_entry *entries;
	size_t count;
	size_t capacity;
	/* The bits gfp_may_enter_fs_reclaim() needs, looked up once: it runs per allocation. */
	__u64 direct_reclaim;
	__u64 io;
	__u64 fs;
	__u64 nolockdep;
};

/* Linux 6.1's include/linux/gfp_types.h and __def_gfpflag_names order. */
#define G_DMA		   0x01ULL
#define G_HIGHMEM	   0x02ULL
#define G_DMA32		   0x04ULL
#define G_MOVABLE	   0x08ULL
#define G_RECLAIMABLE	   0x10ULL
#define G_HIGH		   0x20ULL
#define G_IO		   0x40ULL
#define G_FS		   0x80ULL
#define G_ZERO		   0x100ULL
#define G_ATOMIC	   0x200ULL
#define G_DIRECT_RECLAIM   0x400ULL
#define G_KSWAPD_RECLAIM   0x800ULL
#define G_WRITE		   0x1000ULL
#define G_NOWARN	   0x2000ULL
#define G_RETRY_MAYFAIL	   0x4000ULL
#define G_NOFAIL	   0x8000ULL
#define G_NORETRY	   0x10000ULL
#define G_MEMALLOC	   0x20000ULL
#define G_COMP		   0x40000ULL
#define G_NOMEMALLOC	   0x80000ULL
#define G_HARDWALL	   0x100000ULL
#define G_THISNODE	   0x200000ULL
#define G_ACCOUNT	   0x400000ULL
#define G_ZEROTAGS	   0x800000ULL
#define G_RECLAIM	   (G_DIRECT_RECLAIM | G_KSWAPD_RECLAIM)
#define G_KERNEL	   (G_RECLAIM | G_IO | G_FS)
#define G_USER		   (G_RECLAIM | G_IO | G_FS | G_HARDWALL)
#define G_HIGHUSER	   (G_USER | G_HIGHMEM)
#define G_HIGHUSER_MOVABLE (G_HIGHUSER | G_MOVABLE)
#define G_TRANSHUGE_LIGHT  ((G_HIGHUSER_MOVABLE | G_COMP | G_NOMEMALLOC | G_NOWARN) & ~G_RECLAIM)

static const struct {
	const char *name;
	__u64 mask;
} default_layout[] = {
	{ "GFP_TRANSHUGE", G_TRANSHUGE_LIGHT | G_DIRECT_RECLAIM },
	{ "GFP_TRANSHUGE_LIGHT", G_TRANSHUGE_LIGHT },
	{ "GFP_HIGHUSER_MOVABLE", G_HIGHUSER_MOVABLE },
	{ "GFP_HIGHUSER", G_HIGHUSER },
	{ "GFP_USER", G_USER },
	{ "GFP_KERNEL_ACCOUNT", G_KERNEL | G_ACCOUNT },
	{ "GFP_KERNEL", G_KERNEL },
	{ "GFP_NOFS", G_RECLAIM | G_IO },
	{ "GFP_ATOMIC", G_HIGH | G_ATOMIC | G_KSWAPD_RECLAIM },
	{ "GFP_NOIO", G_RECLAIM },
	{ "GFP_NOWAIT", G_KSWAPD_RECLAIM },
	{ "GFP_DMA", G_DMA },
	{ "__GFP_HIGHMEM", G_HIGHMEM },
	{ "GFP_DMA32", G_DMA32 },
	{ "__GFP_HIGH", G_HIGH },
	{ "__GFP_ATOMIC", G_ATOMIC },
	{ "__GFP_IO", G_IO },
	{ "__GFP_FS", G_FS },
	{ "__GFP_NOWARN", G_NOWARN },
	{ "__GFP_RETRY_MAYFAIL", G_RETRY_MAYFAIL },
	{ "__GFP_NOFAIL", G_NOFAIL },
	{ "__GFP_NORETRY", G_NORETRY },
	{ "__GFP_COMP", G_COMP },
	{ "__GFP_ZERO", G_ZERO },
	{ "__GFP_NOMEMALLOC", G_NOMEMALLOC },
	{ "__GFP_MEMALLOC", G_MEMALLOC },
	{ "__GFP_HARDWALL", G_HARDWALL },
	{ "__GFP_THISNODE", G_THISNODE },
	{ "__GFP_RECLAIMABLE", G_RECLAIMABLE },
	{ "__GFP_MOVABLE", G_MOVABLE },
	{ "__GFP_ACCOUNT", G_ACCOUNT },
	{ "__GFP_WRITE", G_WRITE },
	{ "__GFP_RECLAIM", G_RECLAIM },
	{ "__GFP_DIRECT_RECLAIM", G_DIRECT_RECLAIM },
	{ "__GFP_KSWAPD_RECLAIM", G_KSWAPD_RECLAIM },
	{ "__GFP_ZEROTAGS", G_ZEROTAGS },
	/* Spellings people write that the kernel prints under other names. */
	{ "__GFP_DMA", G_DMA },
	{ "__GFP_DMA32", G_DMA32 },
};

int gfp_layout__new(struct gfp_layout **ret)
{
	struct gfp_layout *layout = calloc(1, sizeof(*layout));

	if (!layout)
		return -ENOMEM;
	*ret = layout;
	return 0;
}

void gfp_layout__free(struct gfp_layout *layout)
{
	if (!layout)
		return;
	for (size_t i = 0; i < layout->count; i++)
		free(layout->entries[i].name);
	free(layout->entries);
	free(layout);
}

int gfp_layout__new_default(struct gfp_layout **ret)
{
	struct gfp_layout *layout = NULL;
	int err = gfp_layout__new(&layout);

	for (size_t i = 0; !err && i < ARRAY_SIZE(default_layout); i++)
		err = gfp_layout__add(layout, default_layout[i].name, default_layout[i].mask);
	if (err) {
		gfp_layout__free(layout);
		return err;
	}
	*ret = layout;
	return 0;
}

int gfp_layout__copy(const struct gfp_layout *layout, struct gfp_layout **ret)
{
	struct gfp_layout *copy = NULL;
	int err = gfp_layout__new(&copy);

	for (size_t i = 0; !err && i < layout->count; i++)
		err = gfp_layout__add(copy, layout->entries[i].name, layout->entries[i].mask);
	if (err) {
		gfp_layout__free(copy);
		return err;
	}
	*ret = copy;
	return 0;
}

static const struct gfp_entry *find_entry(const struct gfp_layout *layout, const char *name,
					  size_t len)
{
	for (size_t i = 0; i < layout->count; i++)
		if (strlen(layout->entries[i].name) == len &&
		    memcmp(layout->entries[i].name, name, len) == 0)
			return &layout->entries[i];
	return NULL;
}

/* Names are C identifiers: that keeps the header's "NAME=MASK,..." form unambiguous. */
static bool is_identifier(const char *name)
{
	if (!*name || isdigit((unsigned char)*name))
		return false;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && *name != '_')
			return false;
	return true;
}

int gfp_layout__add(struct gfp_layout *layout, const char *name, __u64 mask)
{
	struct gfp_entry entry;

	if (!is_identifier(name))
		return -EINVAL;
	if (find_entry(layout, name, strlen(name)))
		return -EEXIST;
	if (layout->count == layout->capacity) {
		size_t capacity = layout->capacity ? layout->capacity * 2 : 32;
		struct gfp_entry *entries = realloc(layout->entries, capacity * sizeof(*entries));

		if (!entries)
			return -ENOMEM;
		layout->entries = entries;
		layout->capacity = capacity;
	}
	entry.name = strdup(name);
	if (!entry.name)
		return -ENOMEM;
	entry.mask = mask;
	layout->entries[layout->count++] = entry;
	if (strcmp(name, "__GFP_DIRECT_RECLAIM") == 0)
		layout->direct_reclaim = mask;
	else if (strcmp(name, "__GFP_IO") == 0)
		layout->io = mask;
	else if (strcmp(name, "__GFP_FS") == 0)
		layout->fs = mask;
	else if (strcmp(name, "__GFP_NOLOCKDEP") == 0)
		layout->nolockdep = mask;
	return 0;
}

__u64 gfp_layout__mask(const struct gfp_layout *layout, const char *name)
{
	const struct gfp_entry *entry = find_entry(layout, name, strlen(name));

	return entry ? entry->mask : 0;
}

size_t gfp_layout__count(const struct gfp_layout *layout)
{
	return layout->count;
}

int gfp_layout__entry(const struct gfp_layout *layout, size_t i, const char **ret_name,
		      __u64 *ret_mask)
{
	if (i >= layout->count)
		return -ERANGE;
	if (ret_name)
		*ret_name = layout->entries[i].name;
	if (ret_mask)
		*ret_mask = layout->entries[i].mask;
	return 0;
}

bool gfp_layout__equal(const struct gfp_layout *a, const struct gfp_layout *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (a->entries[i].mask != b->entries[i].mask ||
		    strcmp(a->entries[i].name, b->entries[i].name) != 0)
			return false;
	return true;
}

/* A whole number: 0x hex or decimal, nothing after it. */
static int parse_number(const char *text, size_t len, __u64 *ret_value)
{
	char buf[32];
	char *end;
	unsigned long long value;

	if (len == 0 || len >= sizeof(buf) || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	errno = 0;
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
		value = strtoull(buf + 2, &end, 16);
	else
		value = strtoull(buf, &end, 10);
	if (errno || *end || (len > 2 && buf[1] == 'x' && end == buf + 2))
		return -EINVAL;
	*ret_value = value;
	return 0;
}

int gfp_layout__parse(const struct gfp_layout *layout, const char *text, __u64 *ret_gfp)
{
	__u64 gfp = 0;
	const char *p = text;

	for (;;) {
		size_t len = strcspn(p, "|");
		const struct gfp_entry *entry = find_entry(layout, p, len);
		__u64 value;

		if (entry)
			gfp |= entry->mask;
		else if (parse_number(p, len, &value) == 0)
			gfp |= value;
		else
			return -EINVAL;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*ret_gfp = gfp;
	return 0;
}

int gfp_layout__format(const struct gfp_layout *layout, __u64 gfp, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (len == 0)
		return -ENOSPC;
	if (gfp == 0) {
		n = snprintf(buf, len, "0");
		return (size_t)n < len ? n : -ENOSPC;
	}
	/* Like the kernel's __print_flags: first matching entry wins its bits. */
	for (size_t i = 0; i < layout->count && gfp; i++) {
		__u64 mask = layout->entries[i].mask;

		if (mask == 0 || (gfp & mask) != mask)
			continue;
		gfp &= ~mask;
		n = snprintf(buf + off, len - off, "%s%s", off ? "|" : "", layout->entries[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += n;
	}
	if (gfp) {
		n = snprintf(buf + off, len - off, "%s0x%llx", off ? "|" : "",
			     (unsigned long long)gfp);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += n;
	}
	return (int)off;
}

bool gfp_may_enter_fs_reclaim(const struct gfp_layout *layout, __u64 gfp, __u32 task_flags)
{
	/* A layout that lacks a bit (none read from a kernel does) falls back to 6.1's. */
	__u64 direct = layout->direct_reclaim ? layout->direct_reclaim : G_DIRECT_RECLAIM;
	__u64 io = layout->io ? layout->io : G_IO;
	__u64 fs = layout->fs ? layout->fs : G_FS;

	/* current_gfp_context(): the task's scope narrows the request first. */
	if (task_flags & LD_TASK_MEMALLOC_NOIO)
		gfp &= ~(io | fs);
	else if (task_flags & LD_TASK_MEMALLOC_NOFS)
		gfp &= ~fs;
	/* Only lockdep kernels have __GFP_NOLOCKDEP; elsewhere the mask is 0. */
	if (!(gfp & direct) || (task_flags & LD_TASK_MEMALLOC) || (gfp & layout->nolockdep))
		return false;
	return gfp & fs;
}

/* --- print fmt ----------------------------------------------------------- */

/*
 * A recursive-descent evaluator for the constant expressions of a
 * __print_flags table: integers (with u/l suffixes), ( ), casts, ~ ! - +,
 * * / %, + -, << >>, &, ^, |. Identifiers only appear inside casts.
 */
struct expr {
	const char *p;
	const char *end;
	int err;
};

static void expr_skip_space(struct expr *e)
{
	while (e->p < e->end && isspace((unsigned char)*e->p))
		e->p++;
}

static bool expr_eat(struct expr *e, const char *op)
{
	size_t len = strlen(op);

	expr_skip_space(e);
	if ((size_t)(e->end - e->p) < len || memcmp(e->p, op, len) != 0)
		return false;
	/* "<" must not eat the first half of "<<", nor "|" of "||". */
	if (len == 1 && e->p + 1 < e->end && e->p[1] == op[0] &&
	    (op[0] == '<' || op[0] == '>' || op[0] == '|' || op[0] == '&'))
		return false;
	e->p += len;
	return true;
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* At "(": a cast is a parenthesised list of identifiers and '*'. */
static bool expr_is_cast(const struct expr *e)
{
	const char *p = e->p + 1;
	bool words = false;

	while (p < e->end) {
		if (isspace((unsigned char)*p) || *p == '*') {
			p++;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			while (p < e->end && is_ident_char(*p))
				p++;
			words = true;
		} else {
			return words && *p == ')';
		}
	}
	return false;
}

static __u64 expr_or(struct expr *e);

static __u64 expr_number(struct expr *e)
{
	char *end;
	__u64 value;

	if (e->p >= e->end || !isdigit((unsigned char)*e->p)) {
		e->err = -EINVAL;
		return 0;
	}
	errno = 0;
	value = strtoull(e->p, &end, 0);
	if (errno || end > e->end) {
		e->err = -EINVAL;
		return 0;
	}
	e->p = end;
	while (e->p < e->end && (*e->p == 'u' || *e->p == 'U' || *e->p == 'l' || *e->p == 'L'))
		e->p++;
	return value;
}

static __u64 expr_unary(struct expr *e)
{
	__u64 value;

	if (e->err)
		return 0;
	expr_skip_space(e);
	if (expr_eat(e, "~"))
		return ~expr_unary(e);
	if (expr_eat(e, "!"))
		return !expr_unary(e);
	if (expr_eat(e, "-"))
		return -expr_unary(e);
	if (expr_eat(e, "+"))
		return expr_unary(e);
	if (e->p < e->end && *e->p == '(') {
		if (expr_is_cast(e)) {
			e->p = (const char *)memchr(e->p, ')', e->end - e->p) + 1;
			return expr_unary(e);
		}
		e->p++;
		value = expr_or(e);
		if (!expr_eat(e, ")"))
			e->err = -EINVAL;
		return value;
	}
	return expr_number(e);
}

static __u64 expr_mul(struct expr *e)
{
	__u64 value = expr_unary(e);

	while (!e->err) {
		if (expr_eat(e, "*")) {
			value *= expr_unary(e);
		} else if (expr_eat(e, "/") || expr_eat(e, "%")) {
			char op = e->p[-1];
			__u64 rhs = expr_unary(e);

			if (rhs == 0) {
				e->err = -EINVAL;
				return 0;
			}
			value = op == '/' ? value / rhs : value % rhs;
		} else {
			break;
		}
	}
	return value;
}

static __u64 expr_add(struct expr *e)
{
	__u64 value = expr_mul(e);

	while (!e->err) {
		if (expr_eat(e, "+"))
			value += expr_mul(e);
		else if (expr_eat(e, "-"))
			value -= expr_mul(e);
		else
			break;
	}
	return value;
}

static __u64 expr_shift(struct expr *e)
{
	__u64 value = expr_add(e);

	while (!e->err) {
		bool left = expr_eat(e, "<<");

		if (!left && !expr_eat(e, ">>"))
			break;
		__u64 bits = expr_add(e);

		if (bits >= 64) {
			e->err = -EINVAL;
			return 0;
		}
		value = left ? value << bits : value >> bits;
	}
	return value;
}

static __u64 expr_and(struct expr *e)
{
	__u64 value = expr_shift(e);

	while (!e->err && expr_eat(e, "&"))
		value &= expr_shift(e);
	return value;
}

static __u64 expr_xor(struct expr *e)
{
	__u64 value = expr_and(e);

	while (!e->err && expr_eat(e, "^"))
		value ^= expr_and(e);
	return value;
}

static __u64 expr_or(struct expr *e)
{
	__u64 value = expr_xor(e);

	while (!e->err && expr_eat(e, "|"))
		value |= expr_xor(e);
	return value;
}

/* Evaluates [p, end) entirely; -EINVAL unless it is one constant expression. */
static int eval_constant(const char *p, const char *end, __u64 *ret_value)
{
	struct expr e = { .p = p, .end = end };
	__u64 value = expr_or(&e);

	expr_skip_space(&e);
	if (e.err || e.p != end)
		return -EINVAL;
	*ret_value = value;
	return 0;
}

/* The end of a C string literal starting at p (on the opening quote), or NULL. */
static const char *skip_string(const char *p)
{
	for (p++; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The first top-level char of `stops` from p, skipping ( ) { } nesting and strings. */
static const char *find_top_level(const char *p, const char *stops)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '"') {
			p = skip_string(p);
			if (!p)
				return NULL;
			p--;
			continue;
		}
		if (depth == 0 && strchr(stops, *p))
			return p;
		if (*p == '(' || *p == '{')
			depth++;
		else if (*p == ')' || *p == '}')
			depth--;
		if (depth < 0)
			return NULL;
	}
	return NULL;
}

/* One "{ expr, "NAME" }" entry; 1 added or skipped, 0 at the table's end marker. */
static int parse_print_fmt_entry(struct gfp_layout *layout, const char **pp)
{
	const char *p = *pp, *comma, *close, *name, *name_end;
	char buf[128];
	__u64 mask;
	int err;

	comma = find_top_level(p, ",}");
	if (!comma || *comma != ',')
		return -EINVAL;
	name = comma + 1;
	while (isspace((unsigned char)*name))
		name++;
	close = find_top_level(name, "}");
	if (!close)
		return -EINVAL;
	*pp = close + 1;
	/* The terminator is { -1, NULL } or { 0, ((void *)0) }: no string. */
	if (*name != '"')
		return 0;
	name_end = skip_string(name);
	if (!name_end || name_end - name - 2 >= (long)sizeof(buf))
		return -EINVAL;
	memcpy(buf, name + 1, name_end - name - 2);
	buf[name_end - name - 2] = '\0';
	err = eval_constant(p, comma, &mask);
	if (err)
		return err;
	/* A flag compiled out of this kernel (mask 0) names nothing. */
	if (mask == 0)
		return 1;
	err = gfp_layout__add(layout, buf, mask);
	if (err == -EEXIST)
		return 1;
	return err ? err : 1;
}

int gfp_layout__parse_print_fmt(struct gfp_layout *layout, const char *print_fmt)
{
	const char *p = strstr(print_fmt, "__print_flags(");
	size_t added = 0;
	int ret;

	if (!p)
		return -EINVAL;
	p += strlen("__print_flags(");
	/* Skip the value and the delimiter arguments. */
	for (int arg = 0; arg < 2; arg++) {
		p = find_top_level(p, ",");
		if (!p)
			return -EINVAL;
		p++;
	}
	for (;;) {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (*p != '{')
			break;
		p++;
		ret = parse_print_fmt_entry(layout, &p);
		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
		added++;
	}
	return added ? 0 : -EINVAL;
}
