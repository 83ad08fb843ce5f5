// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The formatter of text traces: an event as its canonical line (keys in
 * the grammar's order, defaults left out, values quoted only when they must
 * be), so that every event a reader hands out prints as a line that reads
 * back as the same event.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "event/gfp.h"
#include "event/symtab.h"
#include "lib/macro.h"
#include "source/trace/trace_text.h"
#include "source/trace/trace_text_grammar.h"

struct sbuf {
	char *buf;
	size_t len;
	size_t off;
};

static void sb_putc(struct sbuf *sb, char c)
{
	if (sb->off + 1 < sb->len)
		sb->buf[sb->off] = c;
	sb->off++;
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	size_t n = strlen(s);

	if (sb->off + n < sb->len)
		memcpy(sb->buf + sb->off, s, n);
	sb->off += n;
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->off < sb->len ? sb->len - sb->off : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->off : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->off += n;
}

static int sb_finish(struct sbuf *sb)
{
	if (sb->off >= sb->len)
		return -ENOSPC;
	sb->buf[sb->off] = '\0';
	return (int)sb->off;
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '"' || c == '\\';
}

/* Whether a value must be quoted to read back as itself. */
static bool needs_quotes(const char *s, size_t len)
{
	if (len == 0 || s[0] == '#')
		return true;
	for (size_t i = 0; i < len; i++)
		if (is_blank(s[i]) || needs_escape((unsigned char)s[i]))
			return true;
	return false;
}

static void sb_put_escaped(struct sbuf *sb, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!needs_escape(c)) {
			sb_putc(sb, (char)c);
			continue;
		}
		sb_putc(sb, '\\');
		switch (c) {
		case '"':
		case '\\':
			sb_putc(sb, (char)c);
			break;
		case '\n':
			sb_putc(sb, 'n');
			break;
		case '\t':
			sb_putc(sb, 't');
			break;
		case '\r':
			sb_putc(sb, 'r');
			break;
		default:
			sb_printf(sb, "x%02x", c);
			break;
		}
	}
}

static void sb_put_value(struct sbuf *sb, const char *key, const char *value, size_t len,
			 bool always_quote)
{
	sb_printf(sb, " %s=", key);
	if (!always_quote && !needs_quotes(value, len)) {
		if (sb->off + len < sb->len)
			memcpy(sb->buf + sb->off, value, len);
		sb->off += len;
		return;
	}
	sb_putc(sb, '"');
	sb_put_escaped(sb, value, len);
	sb_putc(sb, '"');
}

/*
 * The name to print for addr, or NULL for hex: it must parse back as that
 * symbol, so it holds none of the separators of the list it is in.
 */
static const char *printable_name(struct symtab *symtab, __u64 addr, const char *separators)
{
	const char *name = symtab ? symtab__lookup(symtab, addr) : NULL;

	if (!name || !*name || isdigit((unsigned char)name[0]))
		return NULL;
	if (name[strcspn(name, separators)])
		return NULL;
	return name;
}

static void sb_put_address(struct sbuf *sb, const char *key, __u64 addr, struct symtab *symtab)
{
	const char *name = printable_name(symtab, addr, "");
	char hex[24];

	if (!name) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)addr);
		name = hex;
	}
	sb_put_value(sb, key, name, strlen(name), false);
}

/* A name or an address inside a list value, escaped when the value is quoted. */
static void sb_put_list_address(struct sbuf *sb, const char *name, __u64 addr, bool quoted)
{
	if (!name)
		sb_printf(sb, "0x%llx", (unsigned long long)addr);
	else if (quoted)
		sb_put_escaped(sb, name, strlen(name));
	else
		sb_puts(sb, name);
}

static void sb_put_stack(struct sbuf *sb, const struct ld_event *ev, struct symtab *symtab)
{
	const __u64 *stack = ld_event_stack(ev);
	bool quoted = false;

	for (unsigned int i = 0; i < ev->nr_stack; i++) {
		const char *name = printable_name(symtab, stack[i], ";");

		if (name && needs_quotes(name, strlen(name)))
			quoted = true;
	}
	sb_puts(sb, " stack=");
	if (quoted)
		sb_putc(sb, '"');
	for (unsigned int i = 0; i < ev->nr_stack; i++) {
		if (i)
			sb_putc(sb, ';');
		sb_put_list_address(sb, printable_name(symtab, stack[i], ";"), stack[i], quoted);
	}
	if (quoted)
		sb_putc(sb, '"');
}

/* locks=LOCK:TYPE[:try][@IP],...: quoted as a whole when a name needs it. */
static void sb_put_held(struct sbuf *sb, const struct ld_event *ev, struct symtab *symtab)
{
	static const char separators[] = ",:@";
	const struct ld_held_entry *entries = ld_event_held(ev);
	bool quoted = false;

	for (unsigned int i = 0; i < ev->held.nr; i++) {
		const char *lock = printable_name(symtab, entries[i].lock, separators);
		const char *ip = printable_name(symtab, entries[i].ip, separators);

		if ((lock && needs_quotes(lock, strlen(lock))) ||
		    (entries[i].ip && ip && needs_quotes(ip, strlen(ip))))
			quoted = true;
	}
	sb_puts(sb, " locks=");
	if (quoted)
		sb_putc(sb, '"');
	for (unsigned int i = 0; i < ev->held.nr; i++) {
		const struct ld_held_entry *entry = &entries[i];
		unsigned int type = ld_held_entry_type(entry);
		const char *type_name = ld_lock_type_name(type);

		if (i)
			sb_putc(sb, ',');
		sb_put_list_address(sb, printable_name(symtab, entry->lock, separators),
				    entry->lock, quoted);
		if (type_name)
			sb_printf(sb, ":%s", type_name);
		else
			sb_printf(sb, ":%u", type);
		if (ld_held_entry_trylock(entry))
			sb_puts(sb, ":try");
		if (!entry->ip)
			continue;
		sb_putc(sb, '@');
		sb_put_list_address(sb, printable_name(symtab, entry->ip, separators), entry->ip,
				    quoted);
	}
	if (quoted)
		sb_putc(sb, '"');
}

static void sb_put_ret(struct sbuf *sb, __s32 ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++) {
		if (errno_names[i].value == ret) {
			sb_printf(sb, " ret=%s", errno_names[i].name);
			return;
		}
	}
	sb_printf(sb, " ret=%d", ret);
}

static void sb_put_gfp(struct sbuf *sb, __u64 gfp, const struct gfp_layout *layout)
{
	char buf[1024];

	if (!layout || gfp_layout__format(layout, gfp, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)gfp);
	sb_printf(sb, " gfp=%s", buf);
}

static void sb_put_enum(struct sbuf *sb, const char *key, const char *name, unsigned int value)
{
	if (name)
		sb_printf(sb, " %s=%s", key, name);
	else
		sb_printf(sb, " %s=%u", key, value);
}

/* One key of an event, when it differs from its default. */
static void format_key(struct sbuf *sb, const struct ld_event *ev, enum key_id key,
		       struct symtab *symtab, const struct gfp_layout *gfp)
{
	char flags[128];
	size_t comm_len;

	switch (key) {
	case K_T:
		if (ev->flags & LD_EV_F_TIME)
			sb_printf(sb, " t=%llu", (unsigned long long)ev->time_ns);
		break;
	case K_PID:
		if ((ev->type == LD_EV_INIT || ev->type == LD_EV_MARK) && ev->pid == 0)
			break;
		if (ev->type == LD_EV_LOST && !(ev->flags & LD_EV_F_LOST_PID))
			break;
		sb_printf(sb, " pid=%u", ev->pid);
		break;
	case K_LOCK:
		/* lock is the first member of init, acquire and release alike. */
		sb_put_address(sb, "lock", ev->init.lock, symtab);
		break;
	case K_NAME:
	case K_TEXT:
		sb_put_value(sb, key_names[key], ld_event_text(ev), ev->text_len, true);
		break;
	case K_SITE:
		if (ev->type == LD_EV_INIT && ev->init.site)
			sb_put_address(sb, "site", ev->init.site, symtab);
		else if (ev->type == LD_EV_ALLOC && ev->alloc.site)
			sb_put_address(sb, "site", ev->alloc.site, symtab);
		break;
	case K_TYPE:
		if (ev->acquire.lock_type != LD_LOCK_MUTEX)
			sb_put_enum(sb, "type", ld_lock_type_name(ev->acquire.lock_type),
				    ev->acquire.lock_type);
		break;
	case K_TRY:
		if (ev->acquire.trylock)
			sb_printf(sb, " try=%u", ev->acquire.trylock);
		break;
	case K_CTX:
		if (ev->acquire.ctx)
			sb_put_address(sb, "ctx", ev->acquire.ctx, symtab);
		break;
	case K_RET:
		if (ev->acquire.ret)
			sb_put_ret(sb, ev->acquire.ret);
		break;
	case K_IP:
		if (ev->type == LD_EV_ACQUIRE && ev->acquire.ip)
			sb_put_address(sb, "ip", ev->acquire.ip, symtab);
		else if (ev->type == LD_EV_RELEASE && ev->release.ip)
			sb_put_address(sb, "ip", ev->release.ip, symtab);
		break;
	case K_STACK:
		if (ev->nr_stack)
			sb_put_stack(sb, ev, symtab);
		break;
	case K_COMM:
		comm_len = strnlen(ev->comm, LD_COMM_LEN - 1);
		if (comm_len)
			sb_put_value(sb, "comm", ev->comm, comm_len, false);
		break;
	case K_GFP:
		sb_put_gfp(sb, ev->alloc.gfp, gfp);
		break;
	case K_STATE:
		sb_put_enum(sb, "state", ld_reclaim_state_name(ev->reclaim.state),
			    ev->reclaim.state);
		break;
	case K_KIND:
		sb_put_enum(sb, "kind", ld_reclaim_kind_name(ev->reclaim.kind), ev->reclaim.kind);
		break;
	case K_NAMED:
		if (ld_init_origin(ev->flags) != LD_INIT_ORIGIN_INIT)
			sb_put_enum(sb, "named", ld_init_origin_name(ld_init_origin(ev->flags)), 0);
		break;
	case K_FN:
		if (ev->reclaim.fn)
			sb_put_address(sb, "fn", ev->reclaim.fn, symtab);
		break;
	case K_VALUE:
		if (ld_task_flags_format(ev->task_flags.value, flags, sizeof(flags)) < 0)
			snprintf(flags, sizeof(flags), "0x%x", ev->task_flags.value);
		sb_printf(sb, " value=%s", flags);
		break;
	case K_COUNT:
		sb_printf(sb, " count=%llu", (unsigned long long)ev->lost.count);
		break;
	case K_LOCKS:
		if (ev->held.nr)
			sb_put_held(sb, ev, symtab);
		break;
	default:
		break;
	}
}

int text_event__format(const struct ld_event *event, struct symtab *symtab,
		       const struct gfp_layout *gfp, char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0 };
	const char *name = ld_event_type_name(event->type);

	if (!name || event->type == 0)
		return -EINVAL;
	sb_puts(&sb, name);
	for (const enum key_id *k = event_keys[event->type].keys; *k != K_END; k++)
		format_key(&sb, event, *k, symtab, gfp);
	return sb_finish(&sb);
}

int text_header__format(const char *kernel_release, const struct gfp_layout *gfp, char *buf,
			size_t len)
{
	struct sbuf sb = { buf, len, 0 };
	struct gfp_layout *standard = NULL;
	bool custom = false;

	if (gfp) {
		if (gfp_layout__new_default(&standard))
			return -ENOMEM;
		custom = !gfp_layout__equal(gfp, standard);
		gfp_layout__free(standard);
	}
	if ((!kernel_release || !*kernel_release) && !custom) {
		if (len == 0)
			return -ENOSPC;
		buf[0] = '\0';
		return 0;
	}
	sb_puts(&sb, "header");
	if (kernel_release && *kernel_release)
		sb_put_value(&sb, "kernel", kernel_release, strlen(kernel_release), true);
	if (custom) {
		sb_puts(&sb, " gfp=\"");
		for (size_t i = 0; i < gfp_layout__count(gfp); i++) {
			const char *name;
			__u64 mask;

			gfp_layout__entry(gfp, i, &name, &mask);
			sb_printf(&sb, "%s%s=0x%llx", i ? "," : "", name, (unsigned long long)mask);
		}
		sb_putc(&sb, '"');
	}
	return sb_finish(&sb);
}
