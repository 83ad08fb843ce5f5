// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reader of text traces: lines into events, by the grammar in
 * trace_text_grammar.h, with one error line naming file and line for
 * anything it does not accept. One parser, read top to bottom from lines
 * to tokens, values, events and the header line, and kept whole: each
 * stage is the next one's only caller.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/gfp.h"
#include "event/symtab.h"
#include "lib/log.h"
#include "lib/macro.h"
#include "source/trace/trace_text.h"
#include "source/trace/trace_text_grammar.h"

#define TEXT_LINE_MAX	   (64 * 1024)
#define TEXT_READ_CHUNK	   (64 * 1024)
#define TEXT_MAX_KEYS	   16
#define KERNEL_RELEASE_MAX 255

/* The storage of one event: fixed part, a full stack and a full text. */
union event_storage {
	struct ld_event event;
	__u64 words[(LD_EVENT_FIXED_SIZE + LD_MAX_STACK * 8 + LD_MAX_TEXT + 7) / 8];
};

struct text_reader {
	struct trace_input *in;
	const char *name;
	struct symtab *symtab;
	struct gfp_layout *gfp;
	char *kernel_release;

	char *buf; /* lines; one spare byte past capacity for a final NUL */
	size_t capacity;
	size_t start; /* the next unread line */
	size_t end; /* bytes in buf */
	bool eof;
	unsigned int lineno;

	char *pending; /* the first event line, read while looking for a header */
	size_t pending_len;
	bool seen_first; /* a header is only allowed before this */

	union event_storage storage;
};

/* One key=value, the value unescaped in place; len counts NUL bytes from \x00. */
struct kv {
	enum key_id key;
	char *value;
	size_t len;
};

/* Everything one line said, before it is turned into an event. */
struct parsed {
	unsigned int present;
	__u64 num[K_MAX]; /* numbers, addresses, enum values */
	__u64 stack[LD_MAX_STACK];
	unsigned int nr_stack;
	struct ld_held_entry held[LD_HELD_MAX];
	unsigned int nr_held;
	const char *text; /* name or text */
	size_t text_len;
	const char *comm;
};

__attribute__((format(printf, 2, 3))) static int parse_error(const struct text_reader *reader,
							     const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return log_error_errno(-EINVAL, "%s:%u: %s", reader->name, reader->lineno, msg);
}

/* --- lines --------------------------------------------------------------- */

/* Reads more; next_line() refuses long lines first, which bounds the buffer. */
static int fill_buffer(struct text_reader *reader)
{
	long n;

	if (reader->start > 0) {
		memmove(reader->buf, reader->buf + reader->start, reader->end - reader->start);
		reader->end -= reader->start;
		reader->start = 0;
	}
	if (reader->capacity - reader->end < TEXT_READ_CHUNK) {
		size_t capacity = reader->capacity * 2;
		char *buf;

		buf = realloc(reader->buf, capacity + 1);
		if (!buf)
			return log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
		reader->buf = buf;
		reader->capacity = capacity;
	}
	n = trace_input__read(reader->in, reader->buf + reader->end,
			      reader->capacity - reader->end);
	if (n < 0)
		return (int)n;
	if (n == 0)
		reader->eof = true;
	reader->end += n;
	return 0;
}

/* The next line, NUL-terminated in place, without its newline; 0 at the end. */
static int next_line(struct text_reader *reader, char **ret_line, size_t *ret_len)
{
	size_t scanned = 0;
	char *line, *nl;
	size_t len;
	int err;

	for (;;) {
		line = reader->buf + reader->start;
		nl = memchr(line + scanned, '\n', reader->end - reader->start - scanned);
		if (nl)
			break;
		scanned = reader->end - reader->start;
		if (scanned > TEXT_LINE_MAX) {
			reader->lineno++;
			return parse_error(reader, "line longer than %d bytes", TEXT_LINE_MAX);
		}
		if (reader->eof) {
			if (scanned == 0)
				return 0;
			nl = line + scanned; /* the spare byte */
			break;
		}
		err = fill_buffer(reader);
		if (err)
			return err;
	}
	len = nl - line;
	reader->start += len + (reader->start + len < reader->end ? 1 : 0);
	reader->lineno++;
	if (len > TEXT_LINE_MAX)
		return parse_error(reader, "line longer than %d bytes", TEXT_LINE_MAX);
	*nl = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	*ret_line = line;
	*ret_len = len;
	return 1;
}

/* --- tokens -------------------------------------------------------------- */

static char *skip_blanks(char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescapes the quoted value starting after the opening quote, in place. */
static int unquote(const struct text_reader *reader, char **pp, size_t *ret_len)
{
	char *p = *pp, *w = *pp;

	for (;;) {
		char c = *p++;

		if (c == '\0')
			return parse_error(reader, "missing closing '\"'");
		if (c == '"')
			break;
		if (c != '\\') {
			*w++ = c;
			continue;
		}
		c = *p++;
		switch (c) {
		case '"':
		case '\\':
			*w++ = c;
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 'x':
			if (hex_digit(p[0]) < 0 || hex_digit(p[1]) < 0)
				return parse_error(reader, "expected two hex digits after '\\x'");
			*w++ = (char)(hex_digit(p[0]) * 16 + hex_digit(p[1]));
			p += 2;
			break;
		default:
			if (c == '\0')
				return parse_error(reader, "missing closing '\"'");
			return parse_error(
				reader,
				"unknown escape '\\%c' (expected \\\" \\\\ \\n \\t \\r or \\xHH)",
				c);
		}
	}
	if (*p != '\0' && !is_blank(*p))
		return parse_error(reader, "expected a blank after the closing '\"'");
	*ret_len = w - *pp;
	*w = '\0';
	*pp = p;
	return 0;
}

static int key_from_name(const char *name)
{
	for (int k = 0; k < K_MAX; k++)
		if (strcmp(key_names[k], name) == 0)
			return k;
	return -1;
}

static bool key_allowed(unsigned int type, enum key_id key)
{
	for (const enum key_id *k = event_keys[type].keys; *k != K_END; k++)
		if (*k == key)
			return true;
	return false;
}

static void expected_keys(unsigned int type, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const enum key_id *k = event_keys[type].keys; *k != K_END && off < len; k++)
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", key_names[*k]);
}

/*
 * Splits "key=value key="quoted value" # comment" into kvs. lookup maps a
 * key to its id, or logs why the line's event does not take it.
 */
static int split_keys(const struct text_reader *reader, char *p, const char *event_name,
		      int (*lookup)(const char *key, void *ctx), void *ctx, struct kv *kvs,
		      size_t *ret_count)
{
	size_t count = 0;

	for (;;) {
		char *key, *eq;
		int id;
		struct kv kv;

		p = skip_blanks(p);
		if (*p == '\0' || *p == '#')
			break;
		key = p;
		while (*p && !is_blank(*p) && *p != '=')
			p++;
		if (*p != '=') {
			char *end = p;

			while (*end && !is_blank(*end))
				end++;
			return parse_error(reader, "expected key=value, got '%.*s'",
					   (int)(end - key > 40 ? 40 : end - key), key);
		}
		eq = p;
		*eq = '\0';
		id = lookup(key, ctx);
		if (id < 0)
			return id; /* the lookup said what was wrong */
		for (size_t i = 0; i < count; i++)
			if (kvs[i].key == (enum key_id)id)
				return parse_error(reader, "duplicate key '%s' for %s", key,
						   event_name);
		if (count == TEXT_MAX_KEYS)
			return parse_error(reader, "too many keys");
		kv.key = id;
		p = eq + 1;
		if (*p == '"') {
			int err;

			kv.value = ++p;
			err = unquote(reader, &p, &kv.len);
			if (err)
				return err;
		} else {
			kv.value = p;
			while (*p && !is_blank(*p)) {
				if (*p == '"')
					return parse_error(
						reader,
						"unexpected '\"' inside the value of '%s' (quote the whole value)",
						key);
				p++;
			}
			kv.len = p - kv.value;
			if (*p)
				*p++ = '\0';
		}
		kvs[count++] = kv;
	}
	*ret_count = count;
	return 0;
}

/* --- values -------------------------------------------------------------- */

static int parse_decimal(const char *s, __u64 max, __u64 *ret_value)
{
	__u64 value = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (value > (max - (*s - '0')) / 10)
			return -ERANGE;
		value = value * 10 + (*s - '0');
	}
	*ret_value = value;
	return 0;
}

static int parse_address(struct text_reader *reader, const char *key, const char *s,
			 __u64 *ret_addr)
{
	__u64 addr = 0;
	size_t digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (s += 2; *s; s++, digits++) {
			int d = hex_digit(*s);

			if (d < 0 || digits == 16)
				return parse_error(
					reader,
					"bad address for %s (expected 0x and up to 16 hex digits, or a symbol)",
					key);
			addr = addr << 4 | d;
		}
		if (!digits)
			return parse_error(reader, "bad address for %s: no digits after 0x", key);
		*ret_addr = addr;
		return 0;
	}
	if (!*s || isdigit((unsigned char)*s))
		return parse_error(reader,
				   "bad address '%.40s' for %s (expected 0x-hex or a symbol name)",
				   s, key);
	addr = symtab__intern(reader->symtab, s);
	if (!addr)
		return log_error_errno(-ENOMEM, "%s:%u: out of memory", reader->name,
				       reader->lineno);
	*ret_addr = addr;
	return 0;
}

/* The syntax of a list value: stack=a;b;c, locks=x,y. */
struct list_syntax {
	const char *key;
	char separator;
	unsigned int max;
	const char *item, *items; /* "frame", "frames" */
	int (*parse_item)(struct text_reader *reader, char *s, unsigned int i,
			  struct parsed *parsed);
};

/* Parses each item of a list, none empty, in place; *ret_n gets their number. */
static int parse_list(struct text_reader *reader, const struct list_syntax *list, char *s,
		      struct parsed *parsed, unsigned int *ret_n)
{
	unsigned int n = 0;

	for (;;) {
		char *sep = strchr(s, list->separator);
		int err;

		if (sep)
			*sep = '\0';
		if (n == list->max)
			return parse_error(reader, "%s has more than %u %s", list->key, list->max,
					   list->items);
		if (!*s)
			return parse_error(reader, "empty %s in %s (%s are separated by '%c')",
					   list->item, list->key, list->items, list->separator);
		err = list->parse_item(reader, s, n, parsed);
		if (err)
			return err;
		n++;
		if (!sep)
			break;
		s = sep + 1;
	}
	*ret_n = n;
	return 0;
}

static int parse_frame(struct text_reader *reader, char *s, unsigned int i, struct parsed *parsed)
{
	return parse_address(reader, "stack", s, &parsed->stack[i]);
}

static int parse_stack(struct text_reader *reader, char *s, struct parsed *parsed)
{
	static const struct list_syntax stack = {
		"stack", ';', LD_MAX_STACK, "frame", "frames", parse_frame,
	};

	return parse_list(reader, &stack, s, parsed, &parsed->nr_stack);
}

static int parse_ret(const struct text_reader *reader, const char *s, __u64 *ret_value)
{
	bool negative = s[0] == '-';
	__u64 magnitude;

	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++) {
		if (strcmp(s, errno_names[i].name) == 0) {
			*ret_value = (__u64)(__s64)errno_names[i].value;
			return 0;
		}
	}
	if (parse_decimal(s + negative, negative ? 2147483648ULL : 2147483647ULL, &magnitude))
		return parse_error(
			reader,
			"bad ret '%.40s' (expected a 32-bit integer or -EDEADLK, -EINTR, -EBUSY, -EAGAIN)",
			s);
	*ret_value = (__u64)(negative ? -(__s64)magnitude : (__s64)magnitude);
	return 0;
}

static int parse_enum(const struct text_reader *reader, const char *key, const char *s,
		      int (*from_name)(const char *), const char *(*name_of)(unsigned int),
		      __u64 *ret_value)
{
	char expected[128];
	size_t off = 0;
	int value = from_name(s);

	if (value >= 0) {
		*ret_value = (__u64)value;
		return 0;
	}
	expected[0] = '\0';
	for (unsigned int i = 0; name_of(i) && off < sizeof(expected); i++)
		off += snprintf(expected + off, sizeof(expected) - off, "%s%s", i ? ", " : "",
				name_of(i));
	return parse_error(reader, "bad %s '%.40s' (expected %s)", key, s, expected);
}

/* One held entry, LOCK:TYPE[:try][@IP]. */
static int parse_held_entry(struct text_reader *reader, char *s, struct ld_held_entry *entry)
{
	char *at = strchr(s, '@'), *type, *try;
	__u64 lock_type;
	int err;

	if (at) {
		*at = '\0';
		err = parse_address(reader, "locks", at + 1, &entry->ip);
		if (err)
			return err;
	}
	type = strchr(s, ':');
	if (!type || type == s)
		return parse_error(reader,
				   "bad locks entry '%.40s' (expected LOCK:TYPE[:try][@IP])", s);
	*type++ = '\0';
	try = strchr(type, ':');
	if (try) {
		*try++ = '\0';
		if (strcmp(try, "try") != 0)
			return parse_error(reader,
					   "bad locks entry flag '%.40s' after %s (expected try)",
					   try, type);
		entry->info = LD_HELD_F_TRYLOCK;
	}
	err = parse_address(reader, "locks", s, &entry->lock);
	if (!err)
		err = parse_enum(reader, "lock type in locks", type, ld_lock_type_from_name,
				 ld_lock_type_name, &lock_type);
	if (err)
		return err;
	entry->info |= lock_type;
	return 0;
}

static int parse_held_item(struct text_reader *reader, char *s, unsigned int i,
			   struct parsed *parsed)
{
	return parse_held_entry(reader, s, &parsed->held[i]);
}

/* locks=ENTRY,ENTRY,...: empty holds nothing. */
static int parse_held(struct text_reader *reader, char *s, struct parsed *parsed)
{
	static const struct list_syntax locks = {
		"locks", ',', LD_HELD_MAX, "entry", "entries", parse_held_item,
	};

	parsed->nr_held = 0;
	return *s ? parse_list(reader, &locks, s, parsed, &parsed->nr_held) : 0;
}

static int parse_value(struct text_reader *reader, const struct kv *kv, struct parsed *parsed)
{
	const char *key = key_names[kv->key];
	__u64 *num = &parsed->num[kv->key];
	__u32 flags;
	int err;

	switch (kv->key) {
	case K_T:
	case K_COUNT:
		if (parse_decimal(kv->value, UINT64_MAX, num))
			return parse_error(reader, "bad %s '%.40s' (expected a decimal number)",
					   key, kv->value);
		return 0;
	case K_PID:
		if (parse_decimal(kv->value, UINT32_MAX, num))
			return parse_error(reader,
					   "bad pid '%.40s' (expected a decimal number below 2^32)",
					   kv->value);
		return 0;
	case K_TRY:
		if (strcmp(kv->value, "0") && strcmp(kv->value, "1"))
			return parse_error(reader, "bad try '%.40s' (expected 0 or 1)", kv->value);
		*num = kv->value[0] == '1';
		return 0;
	case K_LOCK:
	case K_SITE:
	case K_CTX:
	case K_IP:
	case K_FN:
		return parse_address(reader, key, kv->value, num);
	case K_STACK:
		return parse_stack(reader, kv->value, parsed);
	case K_LOCKS:
		return parse_held(reader, kv->value, parsed);
	case K_RET:
		return parse_ret(reader, kv->value, num);
	case K_TYPE:
		return parse_enum(reader, key, kv->value, ld_lock_type_from_name, ld_lock_type_name,
				  num);
	case K_STATE:
		return parse_enum(reader, key, kv->value, ld_reclaim_state_from_name,
				  ld_reclaim_state_name, num);
	case K_KIND:
		return parse_enum(reader, key, kv->value, ld_reclaim_kind_from_name,
				  ld_reclaim_kind_name, num);
	case K_NAMED:
		return parse_enum(reader, key, kv->value, ld_init_origin_from_name,
				  ld_init_origin_name, num);
	case K_GFP:
		if (gfp_layout__parse(reader->gfp, kv->value, num))
			return parse_error(
				reader,
				"bad gfp '%.60s' (expected GFP_*/__GFP_* names of the layout joined by '|', or hex)",
				kv->value);
		return 0;
	case K_VALUE:
		err = ld_task_flags_parse(kv->value, &flags);
		if (err)
			return parse_error(
				reader,
				"bad value '%.40s' (expected PF_MEMALLOC, PF_MEMALLOC_NOFS, PF_MEMALLOC_NOIO, PF_KSWAPD joined by '|', or 0)",
				kv->value);
		*num = flags;
		return 0;
	case K_NAME:
	case K_TEXT:
		if (kv->len > LD_MAX_TEXT)
			return parse_error(reader, "%s longer than %d bytes", key, LD_MAX_TEXT);
		parsed->text = kv->value;
		parsed->text_len = kv->len;
		return 0;
	case K_COMM:
		parsed->comm = kv->value;
		return 0;
	default:
		return parse_error(reader, "unknown key '%s'", key);
	}
}

/* --- events -------------------------------------------------------------- */

static void build_event(struct text_reader *reader, unsigned int type, const struct parsed *p,
			const struct ld_event **ret_event)
{
	struct ld_event *ev = &reader->storage.event;
	bool has_stack = type == LD_EV_ACQUIRE || type == LD_EV_ALLOC;
	bool has_text = type == LD_EV_INIT || type == LD_EV_MARK;
	unsigned int nr_stack = has_stack ? p->nr_stack : 0;
	size_t text_len = has_text ? p->text_len : 0;
	const void *stack = p->stack;

	/* A held record's entries are where a stack would be. */
	if (type == LD_EV_HELD) {
		nr_stack = p->nr_held * LD_HELD_ENTRY_WORDS;
		stack = p->held;
	}

	memset(&reader->storage, 0, sizeof(reader->storage));
	ev->type = type;
	ev->nr_stack = nr_stack;
	ev->text_len = text_len;
	ev->size = ld_event_size_for(nr_stack, text_len);
	ev->pid = (__u32)p->num[K_PID];
	if (p->present & BIT(K_T)) {
		ev->flags |= LD_EV_F_TIME;
		ev->time_ns = p->num[K_T];
	}
	switch (type) {
	case LD_EV_INIT:
		ev->init.lock = p->num[K_LOCK];
		ev->init.site = p->num[K_SITE];
		ev->flags |= ld_init_origin_flags((unsigned int)p->num[K_NAMED]);
		break;
	case LD_EV_ACQUIRE:
		ev->acquire.lock = p->num[K_LOCK];
		ev->acquire.ip = p->num[K_IP];
		ev->acquire.ctx = p->num[K_CTX];
		ev->acquire.ret = (__s32)p->num[K_RET];
		ev->acquire.lock_type = p->num[K_TYPE];
		ev->acquire.trylock = p->num[K_TRY];
		/* strncpy's padding is what we want: comm is fixed-width, NUL padded. */
		if (p->comm)
			strncpy(ev->comm, p->comm, LD_COMM_LEN - 1);
		break;
	case LD_EV_RELEASE:
		ev->release.lock = p->num[K_LOCK];
		ev->release.ip = p->num[K_IP];
		break;
	case LD_EV_ALLOC:
		ev->alloc.gfp = p->num[K_GFP];
		ev->alloc.site = p->num[K_SITE];
		break;
	case LD_EV_RECLAIM:
		ev->reclaim.fn = p->num[K_FN];
		ev->reclaim.kind = p->num[K_KIND];
		ev->reclaim.state = p->num[K_STATE];
		break;
	case LD_EV_FLAGS:
		ev->task_flags.value = (__u32)p->num[K_VALUE];
		break;
	case LD_EV_LOST:
		ev->lost.count = p->num[K_COUNT];
		if (p->present & BIT(K_PID))
			ev->flags |= LD_EV_F_LOST_PID;
		break;
	case LD_EV_HELD:
		ev->held.nr = p->nr_held;
		break;
	default:
		break;
	}
	if (nr_stack)
		memcpy(ev + 1, stack, nr_stack * sizeof(__u64));
	if (text_len)
		memcpy((char *)(ev + 1) + nr_stack * sizeof(__u64), p->text, text_len);
	*ret_event = ev;
}

struct event_lookup {
	const struct text_reader *reader;
	unsigned int type;
	const char *event_name;
};

static int event_key_lookup(const char *key, void *ctx)
{
	const struct event_lookup *l = ctx;
	int id = key_from_name(key);
	char expected[160];

	if (id >= 0 && key_allowed(l->type, id))
		return id;
	expected_keys(l->type, expected, sizeof(expected));
	return parse_error(l->reader, "unknown key '%.40s' for %s (expected %s)", key,
			   l->event_name, expected);
}

static int parse_event_line(struct text_reader *reader, char *word, char *rest,
			    const struct ld_event **ret_event)
{
	int type = ld_event_type_from_name(word);
	struct event_lookup lookup = { reader, 0, word };
	struct kv kvs[TEXT_MAX_KEYS];
	struct parsed parsed = { 0 };
	size_t count;
	unsigned int missing;
	int err;

	if (type <= 0) {
		char expected[128];
		size_t off = 0;

		for (unsigned int t = 1; t < LD_EV_TYPE_MAX; t++)
			off += snprintf(expected + off, sizeof(expected) - off, "%s%s",
					off ? ", " : "", ld_event_type_name(t));
		return parse_error(reader, "unknown event '%.40s' (expected %s)", word, expected);
	}
	lookup.type = type;
	err = split_keys(reader, rest, word, event_key_lookup, &lookup, kvs, &count);
	if (err)
		return err;
	for (size_t i = 0; i < count; i++) {
		parsed.present |= BIT(kvs[i].key);
		err = parse_value(reader, &kvs[i], &parsed);
		if (err)
			return err;
	}
	missing = event_keys[type].required & ~parsed.present;
	if (missing) {
		for (int k = 0; k < K_MAX; k++)
			if (missing & BIT(k))
				return parse_error(reader, "missing key '%s' for %s", key_names[k],
						   word);
	}
	build_event(reader, type, &parsed, ret_event);
	return 1;
}

enum header_key { H_KERNEL, H_GFP };

static int header_key_lookup(const char *key, void *ctx)
{
	const struct text_reader *reader = ctx;

	if (strcmp(key, "kernel") == 0)
		return H_KERNEL;
	if (strcmp(key, "gfp") == 0)
		return H_GFP;
	return parse_error(reader, "unknown key '%.40s' for header (expected kernel, gfp)", key);
}

/* "NAME=MASK,NAME=MASK": the whole layout, replacing the default. */
static int parse_header_gfp(struct text_reader *reader, char *s)
{
	struct gfp_layout *layout;
	int err = gfp_layout__new(&layout);

	if (err)
		return log_error_errno(err, "%s: out of memory", reader->name);
	for (char *entry = strtok(s, ","); entry; entry = strtok(NULL, ",")) {
		char *eq = strchr(entry, '=');
		__u64 mask;

		if (!eq || eq == entry) {
			err = parse_error(
				reader, "bad gfp layout entry '%.40s' (expected NAME=MASK)", entry);
			goto cleanup;
		}
		*eq = '\0';
		if (eq[1] == '0' && (eq[2] == 'x' || eq[2] == 'X')) {
			char *end;

			errno = 0;
			mask = strtoull(eq + 3, &end, 16);
			if (errno || *end || end == eq + 3) {
				err = parse_error(reader, "bad mask for gfp flag %s", entry);
				goto cleanup;
			}
		} else if (parse_decimal(eq + 1, UINT64_MAX, &mask)) {
			err = parse_error(reader, "bad mask for gfp flag %s", entry);
			goto cleanup;
		}
		err = gfp_layout__add(layout, entry, mask);
		if (err == -EEXIST || err == -EINVAL) {
			err = parse_error(reader,
					  err == -EEXIST ? "gfp flag %s given twice"
							 : "bad gfp flag name '%.40s'",
					  entry);
			goto cleanup;
		}
		if (err) {
			err = log_error_errno(err, "%s: out of memory", reader->name);
			goto cleanup;
		}
	}
	if (gfp_layout__count(layout) == 0) {
		err = parse_error(reader, "empty gfp layout");
		goto cleanup;
	}
	gfp_layout__free(reader->gfp);
	reader->gfp = layout;
	layout = NULL;
cleanup:
	gfp_layout__free(layout);
	return err;
}

static int parse_header_line(struct text_reader *reader, char *rest)
{
	struct kv kvs[TEXT_MAX_KEYS];
	size_t count;
	int err;

	err = split_keys(reader, rest, "header", header_key_lookup, reader, kvs, &count);
	if (err)
		return err;
	for (size_t i = 0; i < count; i++) {
		if (kvs[i].key == (enum key_id)H_GFP) {
			err = parse_header_gfp(reader, kvs[i].value);
			if (err)
				return err;
			continue;
		}
		if (kvs[i].len > KERNEL_RELEASE_MAX || strlen(kvs[i].value) != kvs[i].len)
			return parse_error(reader, "bad kernel release (at most %d bytes, no NUL)",
					   KERNEL_RELEASE_MAX);
		free(reader->kernel_release);
		reader->kernel_release = strdup(kvs[i].value);
		if (!reader->kernel_release)
			return log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
	}
	return 0;
}

/*
 * One line: 1 with an event, 0 for a blank, comment or header line, or a
 * negative errno.
 */
static int parse_line(struct text_reader *reader, char *line, size_t len,
		      const struct ld_event **ret_event)
{
	char *word, *p;
	bool first = !reader->seen_first;

	if (memchr(line, '\0', len))
		return parse_error(reader, "NUL byte in line");
	word = skip_blanks(line);
	if (*word == '\0' || *word == '#')
		return 0;
	reader->seen_first = true;
	for (p = word; *p && !is_blank(*p); p++)
		;
	if (*p)
		*p++ = '\0';
	if (strcmp(word, "header") == 0) {
		if (!first)
			return parse_error(reader, "header is only allowed as the first line");
		return parse_header_line(reader, p);
	}
	return parse_event_line(reader, word, p, ret_event);
}

int text_reader__next(struct text_reader *reader, const struct ld_event **ret_event)
{
	char *line;
	size_t len;
	int ret;

	if (reader->pending) {
		line = reader->pending;
		len = reader->pending_len;
		reader->pending = NULL;
		return parse_line(reader, line, len, ret_event);
	}
	do {
		ret = next_line(reader, &line, &len);
		if (ret <= 0)
			return ret;
		ret = parse_line(reader, line, len, ret_event);
	} while (ret == 0);
	return ret;
}

void text_reader__free(struct text_reader *reader)
{
	if (!reader)
		return;
	gfp_layout__free(reader->gfp);
	free(reader->kernel_release);
	free(reader->buf);
	free(reader);
}

/*
 * Reads up to the first line that is not a comment, so the header (if any)
 * is known before the first event is asked for; that line, when it is an
 * event, is kept for the first text_reader__next().
 */
static int read_header(struct text_reader *reader)
{
	char *line, *word;
	size_t len;
	int ret;

	for (;;) {
		ret = next_line(reader, &line, &len);
		if (ret <= 0)
			return ret;
		word = skip_blanks(line);
		if (*word == '\0' || *word == '#')
			continue;
		if (strncmp(word, "header", 6) == 0 && (is_blank(word[6]) || word[6] == '\0'))
			return parse_line(reader, line, len, NULL);
		/* Not parsed yet: the line stays in the buffer until the next read. */
		reader->pending = line;
		reader->pending_len = len;
		return 0;
	}
}

int text_reader__open(struct trace_input *in, struct symtab *symtab,
		      struct text_reader **ret_reader)
{
	struct text_reader *reader = calloc(1, sizeof(*reader));
	int err;

	if (!reader)
		return log_error_errno(-ENOMEM, "%s: out of memory", trace_input__name(in));
	reader->in = in;
	reader->name = trace_input__name(in);
	reader->symtab = symtab;
	reader->capacity = 2 * TEXT_READ_CHUNK;
	reader->buf = malloc(reader->capacity + 1);
	if (!reader->buf || gfp_layout__new_default(&reader->gfp)) {
		err = log_error_errno(-ENOMEM, "%s: out of memory", reader->name);
		goto cleanup;
	}
	err = read_header(reader);
	if (err < 0)
		goto cleanup;
	*ret_reader = reader;
	return 0;
cleanup:
	text_reader__free(reader);
	return err;
}

const struct gfp_layout *text_reader__gfp_layout(const struct text_reader *reader)
{
	return reader->gfp;
}

const char *text_reader__kernel_release(const struct text_reader *reader)
{
	return reader->kernel_release ? reader->kernel_release : "";
}
