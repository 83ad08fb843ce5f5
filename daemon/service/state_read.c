// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loading a saved graph (format in state.h): one line at a time, each
 * imported into the engine as it is read, so no second copy of the graph
 * is held.
 *
 * Each line is parsed by json-c, strictly (RFC 8259: no comments, no
 * trailing commas, nothing after the value). What json-c's values do not
 * tell by themselves:
 *
 * - Names that are no UTF-8. json_write_string() (lib/json.h) writes them
 *   as arrays of their bytes; text_value() takes a name in either form and
 *   gives back the bytes written.
 * - Version 1 files. Their writer wrote such bytes as \u0080-\u00ff
 *   escapes inside strings, which json-c (as any JSON reader) decodes as
 *   the characters U+0080-U+00FF: once decoded, the byte 0xe9 written as
 *   "\u00e9" and "é" written as it is are the same two bytes of UTF-8. A
 *   version 1 file is read as long as no string read holds such a
 *   character, which covers ASCII names, and refused with a line saying so
 *   otherwise, never read as other names. The service then moves it aside
 *   and learns afresh.
 * - NUL. json-c decodes \u0000 into its string, where it would cut the
 *   name short without a word: refused, and so is a NUL byte in the line.
 * - Integers beyond 64 bits. json-c keeps integers up to UINT64_MAX exact
 *   (json_object_get_uint64()) but turns larger ones into UINT64_MAX; the
 *   writer never wrote such a count or time, so the line is refused rather
 *   than read as another number (an unknown key's integer too: a later
 *   version needing more than 64 bits changes the format anyway).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "engine/engine.h"
#include "engine/finding.h"
#include "event/event.h"
#include "event/symtab.h"
#include "lib/arena.h"
#include "lib/array.h"
#include "lib/log.h"
#include "service/state.h"

/* Stacks longer than this are cut on load: the BPF side records at most LD_MAX_STACK. */
#define STATE_MAX_FRAMES 128
/* Deeper nesting is no lockdepd record: refused before json-c recurses. */
#define STATE_MAX_DEPTH 64
/* The first version whose names are never \u00XX escapes of bytes. */
#define STATE_VERSION_BYTE_ARRAYS 2

struct loaded_stack {
	__u64 *frames;
	__u32 nr_frames;
};

struct loader {
	const char *path;
	struct engine *engine;
	struct symtab *symtab;
	struct state_info info;
	size_t line;
	char *error;
	size_t error_len;
	struct json_tokener *tokener;
	/* Names read from byte arrays, until their line is imported. */
	struct arena names;
	/* Stack ids count up from 1: stacks[id - 1]. */
	struct loaded_stack *stacks;
	size_t nr_stacks, cap_stacks;
	bool seen_end;
	__u64 nr_classes, nr_deps, nr_findings; /* records read */
};

__attribute__((format(printf, 2, 3))) static int bad(struct loader *ld, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->line)
		snprintf(ld->error, ld->error_len, "%s:%zu: %s", ld->path, ld->line, msg);
	else
		snprintf(ld->error, ld->error_len, "%s: %s", ld->path, msg);
	return -EINVAL;
}

/* The member called key, NULL when absent or null. */
static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, key, &v);
	return v;
}

static bool has_member(struct json_object *obj, const char *key)
{
	return json_object_object_get_ex(obj, key, NULL);
}

static bool is_string(struct json_object *v)
{
	return v && json_object_is_type(v, json_type_string);
}

static bool is_bool(struct json_object *v)
{
	return v && json_object_is_type(v, json_type_boolean);
}

/* A non-negative integer, all 64 bits of it. */
static bool uint_value(struct json_object *v, __u64 *ret)
{
	if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return false;
	*ret = json_object_get_uint64(v);
	return true;
}

static bool get_uint(struct json_object *obj, const char *key, __u64 *ret)
{
	return uint_value(member(obj, key), ret);
}

/* A string without NUL (see above), or NULL. For values that are ASCII when valid. */
static const char *get_string(struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key);
	const char *s;

	if (!is_string(v))
		return NULL;
	s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/*
 * Text as json_write_string() writes it: a JSON string, or the array of
 * its bytes (numbers 1-255) when it is no UTF-8. 1 with the bytes in *ret
 * (valid until the line is done), 0 when v is neither (the caller says
 * what it expected), or -EINVAL said, -ENOMEM.
 */
static int text_value(struct loader *ld, struct json_object *v, const char **ret)
{
	const char *s;
	size_t len;
	char *bytes;

	if (is_string(v)) {
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (strlen(s) != len)
			return bad(ld, "a NUL character inside a string");
		/* U+0080-U+00FF, and only they, start with the byte 0xc2 or 0xc3. */
		if (ld->info.version < STATE_VERSION_BYTE_ARRAYS &&
		    (memchr(s, 0xc2, len) || memchr(s, 0xc3, len)))
			return bad(ld,
				   "a character in U+0080-U+00FF, which a version %u state file "
				   "also wrote for a byte: its names cannot be read exactly",
				   ld->info.version);
		*ret = s;
		return 1;
	}
	if (!v || !json_object_is_type(v, json_type_array))
		return 0;
	len = json_object_array_length(v);
	bytes = arena_alloc(&ld->names, len + 1);
	if (!bytes)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		__u64 byte;

		if (!uint_value(json_object_array_get_idx(v, i), &byte) || byte == 0 || byte > 255)
			return bad(ld, "expected the bytes of a string as numbers 1-255");
		bytes[i] = (char)byte;
	}
	bytes[len] = '\0';
	*ret = bytes;
	return 1;
}

/* A name that is neither absent nor empty: 0, or -EINVAL with "expected <what>". */
static int name_value(struct loader *ld, struct json_object *v, const char *what, const char **ret)
{
	int r = text_value(ld, v, ret);

	if (r < 0)
		return r;
	if (r == 0 || !**ret)
		return bad(ld, "expected %s", what);
	return 0;
}

/* A key that may be absent or null, else must be text. */
static int get_optional_text(struct loader *ld, struct json_object *obj, const char *key,
			     const char **ret)
{
	struct json_object *v = member(obj, key);
	int r;

	*ret = NULL;
	if (!v)
		return 0;
	r = text_value(ld, v, ret);
	if (r == 0)
		return bad(ld, "expected \"%s\" to be a string or null", key);
	return r < 0 ? r : 0;
}

/* "0x..." is an address as it was; anything else a symbol name, interned. */
static int parse_address(struct loader *ld, const char *text, __u64 *ret_addr)
{
	char *end;

	if (text[0] == '0' && text[1] == 'x' && text[2]) {
		errno = 0;
		*ret_addr = strtoull(text + 2, &end, 16);
		if (*end || errno)
			return bad(ld, "expected an address, got \"%s\"", text);
		return 0;
	}
	*ret_addr = symtab__intern(ld->symtab, text);
	return *ret_addr ? 0 : -ENOMEM;
}

/* Header text, only said, never relied on: a value of another kind is left out. */
static int header_text(struct loader *ld, struct json_object *v, const char *key, char *buf,
		       size_t size)
{
	const char *s;
	int r = text_value(ld, member(v, key), &s);

	if (r > 0)
		snprintf(buf, size, "%s", s);
	return r < 0 ? r : 0;
}

static int load_header(struct loader *ld, struct json_object *v)
{
	struct json_object *version_value = member(v, "lockdepd_state");
	struct state_info *info = &ld->info;
	__u64 version;
	int err;

	if (!has_member(v, "lockdepd_state"))
		return bad(ld, "expected a lockdepd state file, starting with its header");
	if (!uint_value(version_value, &version) || version == 0)
		return bad(ld, "expected a version number in \"lockdepd_state\"");
	if (version > STATE_VERSION) {
		bad(ld, "state format version %llu is newer than this lockdepd's (%d)",
		    (unsigned long long)version, STATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	info->version = (unsigned int)version;
	err = header_text(ld, v, "host", info->host, sizeof(info->host));
	if (!err)
		err = header_text(ld, v, "kernel", info->kernel_release,
				  sizeof(info->kernel_release));
	if (!err)
		err = header_text(ld, v, "created", info->created, sizeof(info->created));
	return err;
}

static int load_class(struct loader *ld, struct json_object *v)
{
	struct json_object *unclassified = member(v, "unclassified");
	const char *name;
	int err;

	err = name_value(ld, member(v, "class"), "a class name", &name);
	if (err)
		return err;
	if (has_member(v, "unclassified") && !is_bool(unclassified))
		return bad(ld, "expected \"unclassified\" to be true or false");
	ld->nr_classes++;
	return engine__import_class(ld->engine, name,
				    unclassified && json_object_get_boolean(unclassified));
}

static int load_stack(struct loader *ld, struct json_object *v)
{
	struct json_object *frames = member(v, "frames");
	size_t nr_frames = frames && json_object_is_type(frames, json_type_array)
				   ? json_object_array_length(frames)
				   : 0;
	struct loaded_stack *stack;
	__u64 id = 0;
	__u32 n;
	int err;

	if (!get_uint(v, "stack", &id) || id != ld->nr_stacks + 1)
		return bad(ld, "expected stack %zu (stack numbers count up from 1)",
			   ld->nr_stacks + 1);
	if (!nr_frames)
		return bad(ld, "expected \"frames\", a list of symbols");
	n = nr_frames < STATE_MAX_FRAMES ? (__u32)nr_frames : STATE_MAX_FRAMES;
	if (array_reserve(&ld->stacks, &ld->cap_stacks, ld->nr_stacks + 1))
		return -ENOMEM;
	stack = &ld->stacks[ld->nr_stacks];
	stack->frames = calloc(n, sizeof(*stack->frames));
	if (!stack->frames)
		return -ENOMEM;
	stack->nr_frames = n;
	ld->nr_stacks++;
	for (__u32 i = 0; i < n; i++) {
		const char *frame;

		err = name_value(ld, json_object_array_get_idx(frames, i),
				 "\"frames\", a list of symbols", &frame);
		if (!err)
			err = parse_address(ld, frame, &stack->frames[i]);
		if (err)
			return err;
	}
	return 0;
}

static int load_site(struct loader *ld, struct json_object *dep, const char *key,
		     struct lock_site *site)
{
	struct json_object *v = member(dep, key);
	struct json_object *trylock;
	const char *lock, *ip, *type;
	__u64 id;
	int lock_type, err;

	if (!v || !json_object_is_type(v, json_type_object))
		return bad(ld, "expected \"%s\", an object", key);
	lock = get_string(v, "lock");
	if (!lock || !(lock[0] == '0' && lock[1] == 'x'))
		return bad(ld, "expected \"%s\" to have a \"lock\" address", key);
	err = parse_address(ld, lock, &site->lock);
	if (err)
		return err;
	err = get_optional_text(ld, v, "ip", &ip);
	if (err)
		return err;
	site->ip = 0;
	if (ip && (err = parse_address(ld, ip, &site->ip)))
		return err;
	type = get_string(v, "type");
	lock_type = type ? ld_lock_type_from_name(type) : -1;
	if (lock_type < 0)
		return bad(ld, "expected \"%s\" to have a lock \"type\"", key);
	site->lock_type = (__u8)lock_type;
	trylock = member(v, "trylock");
	if (has_member(v, "trylock") && !is_bool(trylock))
		return bad(ld, "expected \"trylock\" to be true or false");
	site->trylock = trylock && json_object_get_boolean(trylock);
	site->stack = NULL;
	site->nr_stack = 0;
	if (member(v, "stack")) {
		if (!get_uint(v, "stack", &id) || id == 0 || id > ld->nr_stacks)
			return bad(ld, "expected \"stack\" to name a stack written before");
		site->stack = ld->stacks[id - 1].frames;
		site->nr_stack = ld->stacks[id - 1].nr_frames;
	}
	return 0;
}

/* The two class names of a "dep" record. */
static int dependency_names(struct loader *ld, struct json_object *names, const char **ret_from,
			    const char **ret_to)
{
	static const char what[] = "\"dep\": [from, to], two class names";
	int err;

	if (!names || !json_object_is_type(names, json_type_array) ||
	    json_object_array_length(names) != 2)
		return bad(ld, "expected %s", what);
	err = name_value(ld, json_object_array_get_idx(names, 0), what, ret_from);
	if (!err)
		err = name_value(ld, json_object_array_get_idx(names, 1), what, ret_to);
	return err;
}

static int load_dependency(struct loader *ld, struct json_object *v)
{
	struct json_object *primed = member(v, "primed");
	struct dependency dep = {};
	__u64 value;
	int err;

	err = dependency_names(ld, member(v, "dep"), &dep.from, &dep.to);
	if (err)
		return err;
	if (has_member(v, "primed") && !is_bool(primed))
		return bad(ld, "expected \"primed\" to be true or false");
	ld->nr_deps++;
	if (primed && json_object_get_boolean(primed)) {
		dep.primed = true;
		return engine__import_dependency(ld->engine, &dep);
	}
	if (!get_uint(v, "count", &dep.count) || dep.count == 0)
		return bad(ld, "expected a \"count\" of at least 1");
	if (!get_uint(v, "pid", &value) || value > UINT32_MAX)
		return bad(ld, "expected a \"pid\"");
	dep.pid = (__u32)value;
	if (has_member(v, "time_ns") && !get_uint(v, "time_ns", &dep.time_ns))
		return bad(ld, "expected \"time_ns\" to be a number");
	err = get_optional_text(ld, v, "comm", &dep.comm);
	if (!err)
		err = get_optional_text(ld, v, "test", &dep.test);
	if (!err)
		err = get_optional_text(ld, v, "reclaim_kind", &dep.reclaim_kind);
	if (err)
		return err;
	if (dep.reclaim_kind && ld_reclaim_kind_from_name(dep.reclaim_kind) < 0)
		return bad(ld, "expected a reclaim kind, got \"%s\"", dep.reclaim_kind);
	err = load_site(ld, v, "held", &dep.held);
	if (!err)
		err = load_site(ld, v, "acquired", &dep.acquired);
	if (err)
		return err;
	dep.held.class_name = dep.from;
	dep.acquired.class_name = dep.to;
	return engine__import_dependency(ld->engine, &dep);
}

static int load_finding(struct loader *ld, struct json_object *v)
{
	const char *kind_name = get_string(v, "finding");
	struct json_object *classes = member(v, "classes");
	size_t nr_classes = classes && json_object_is_type(classes, json_type_array)
				    ? json_object_array_length(classes)
				    : 0;
	const char **names;
	__u64 count;
	int kind, ret;

	kind = kind_name ? finding_kind_from_name(kind_name) : -1;
	if (kind < 0)
		return bad(ld, "expected a finding kind");
	if (!nr_classes)
		return bad(ld, "expected the finding's \"classes\"");
	if (!get_uint(v, "count", &count) || count == 0)
		return bad(ld, "expected a \"count\" of at least 1");
	names = calloc(nr_classes, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < nr_classes; i++) {
		int r = text_value(ld, json_object_array_get_idx(classes, i), &names[i]);

		if (r <= 0) {
			free(names);
			return r ?: bad(ld, "expected the finding's \"classes\"");
		}
	}
	ld->nr_findings++;
	/* A finding the graph no longer makes (the rules changed) is dropped. */
	ret = engine__restore_finding(ld->engine, kind, names, nr_classes, count);
	free(names);
	if (ret < 0)
		return ret;
	ld->info.findings_restored += (__u64)ret;
	return 0;
}

static int load_end(struct loader *ld, struct json_object *v)
{
	struct json_object *end = member(v, "end");
	__u64 classes, deps, findings;

	if (!get_uint(end, "classes", &classes) || !get_uint(end, "dependencies", &deps) ||
	    !get_uint(end, "findings", &findings))
		return bad(ld, "expected the end record's counts");
	if (classes != ld->nr_classes || deps != ld->nr_deps || findings != ld->nr_findings)
		return bad(ld,
			   "records missing: the end record counts %llu classes, %llu "
			   "dependencies, %llu findings; the file holds %llu, %llu, %llu",
			   (unsigned long long)classes, (unsigned long long)deps,
			   (unsigned long long)findings, (unsigned long long)ld->nr_classes,
			   (unsigned long long)ld->nr_deps, (unsigned long long)ld->nr_findings);
	ld->seen_end = true;
	return 0;
}

static int load_record(struct loader *ld, struct json_object *v)
{
	if (!json_object_is_type(v, json_type_object))
		return bad(ld, "expected a record (a JSON object)");
	if (ld->seen_end)
		return bad(ld, "expected nothing after the end record");
	if (has_member(v, "class"))
		return load_class(ld, v);
	if (has_member(v, "stack"))
		return load_stack(ld, v);
	if (has_member(v, "dep"))
		return load_dependency(ld, v);
	if (has_member(v, "finding"))
		return load_finding(ld, v);
	if (has_member(v, "end"))
		return load_end(ld, v);
	if (has_member(v, "lockdepd_state"))
		return bad(ld, "expected one header, at the top");
	/* A record type from a later minor change: skipped, as state.h promises. */
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool beyond_64_bits(const char *digits, size_t n)
{
	static const char max[] = "18446744073709551615";

	while (n > 1 && *digits == '0') {
		digits++;
		n--;
	}
	return n > sizeof(max) - 1 || (n == sizeof(max) - 1 && memcmp(digits, max, n) > 0);
}

/*
 * Where the first integer beyond 64 bits starts in a line json-c accepted
 * (len bytes, no NUL among them), or SIZE_MAX. Outside its strings there
 * are only numbers, literals and punctuation, so a digit that follows none
 * of "0-9.eE+-" starts an integer unless '.', 'e' or 'E' ends its digits.
 */
static size_t find_big_integer(const char *line, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		size_t end = i;

		if (in_string) {
			if (line[i] == '\\')
				i++; /* the escaped character cannot end the string */
			else if (line[i] == '"')
				in_string = false;
			continue;
		}
		if (line[i] == '"') {
			in_string = true;
			continue;
		}
		if (!is_digit(line[i]) ||
		    (i > 0 && (is_digit(line[i - 1]) || strchr(".eE+-", line[i - 1]))))
			continue;
		while (end < len && is_digit(line[end]))
			end++;
		if ((end == len || !strchr(".eE", line[end])) && beyond_64_bits(line + i, end - i))
			return i;
		i = end - 1;
	}
	return SIZE_MAX;
}

/*
 * Parses text (len bytes and a NUL) into *ret_value (NULL for "null"), or
 * fails at *ret_offset.
 */
static enum json_tokener_error parse_json(struct json_tokener *tokener, const char *text,
					  size_t len, struct json_object **ret_value,
					  size_t *ret_offset)
{
	struct json_object *value;
	enum json_tokener_error err;

	json_tokener_reset(tokener);
	/* The NUL included tells json-c the text ends there, as RFC 8259 texts do. */
	value = json_tokener_parse_ex(tokener, text, (int)len + 1);
	err = json_tokener_get_error(tokener);
	if (err == json_tokener_continue)
		err = json_tokener_error_parse_eof;
	if (err != json_tokener_success) {
		json_object_put(value);
		*ret_offset = json_tokener_get_parse_end(tokener);
		if (*ret_offset > len)
			*ret_offset = len;
		return err;
	}
	*ret_value = value;
	return json_tokener_success;
}

/* The line's value, or -EINVAL said in ld->error with its column. */
static int parse_line(struct loader *ld, const char *line, size_t len,
		      struct json_object **ret_value)
{
	struct json_object *value = NULL;
	enum json_tokener_error err;
	const char *nul = memchr(line, '\0', len);
	size_t offset;

	if (len > INT_MAX - 1)
		return bad(ld, "a line longer than %d bytes", INT_MAX - 1);
	if (nul)
		return bad(ld, "column %zu: a NUL byte", (size_t)(nul - line) + 1);
	err = parse_json(ld->tokener, line, len, &value, &offset);
#if JSON_C_VERSION_NUM >= (17 << 8)
	/* Older json-c says nothing apart: there, no memory reads as a bad line. */
	if (err == json_tokener_error_memory)
		return -ENOMEM;
#endif
	if (err != json_tokener_success)
		return bad(ld, "column %zu: %s", offset + 1, json_tokener_error_desc(err));
	offset = find_big_integer(line, len);
	if (offset != SIZE_MAX) {
		json_object_put(value);
		return bad(ld, "column %zu: an integer beyond 64 bits", offset + 1);
	}
	*ret_value = value;
	return 0;
}

static int load_line(struct loader *ld, const char *line, size_t len)
{
	struct json_object *v = NULL;
	int err;

	err = parse_line(ld, line, len, &v);
	if (err)
		return err;
	if (ld->line == 1)
		err = json_object_is_type(v, json_type_object)
			      ? load_header(ld, v)
			      : bad(ld, "expected a lockdepd state file header");
	else
		err = load_record(ld, v);
	json_object_put(v);
	/* The engine copied what it kept of the line's names. */
	arena_free(&ld->names);
	return err;
}

int state_load(const char *path, struct engine *engine, struct symtab *symtab,
	       struct state_info *ret_info, char *ret_error, size_t error_len)
{
	struct loader ld = {
		.path = path,
		.engine = engine,
		.symtab = symtab,
		.error = ret_error,
		.error_len = error_len,
	};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return -ENOENT;
		return log_error_errno(-errno, "%s: %m", path);
	}
	ld.tokener = json_tokener_new_ex(STATE_MAX_DEPTH);
	if (!ld.tokener) {
		err = -ENOMEM;
		goto cleanup;
	}
	json_tokener_set_flags(ld.tokener, JSON_TOKENER_STRICT);
	while ((n = getline(&line, &cap, f)) >= 0) {
		ld.line++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 && ld.line > 1)
			continue;
		err = load_line(&ld, line, (size_t)n);
		if (err)
			break;
	}
	if (!err && ferror(f))
		err = log_error_errno(-EIO, "%s: read error", path);
	if (!err && ld.line == 0) {
		err = bad(&ld, "empty file, expected a lockdepd state file");
	} else if (!err && !ld.seen_end) {
		size_t lines = ld.line;

		ld.line = 0;
		err = bad(&ld, "truncated: no end record after line %zu", lines);
	}
cleanup:
	if (err == -ENOMEM)
		log_error_errno(err, "%s: out of memory", path);
	if (!err) {
		ld.info.classes = ld.nr_classes;
		ld.info.dependencies = ld.nr_deps;
		ld.info.findings = ld.nr_findings;
		if (ret_info)
			*ret_info = ld.info;
	}
	for (size_t i = 0; i < ld.nr_stacks; i++)
		free(ld.stacks[i].frames);
	free(ld.stacks);
	arena_free(&ld.names);
	json_tokener_free(ld.tokener);
	free(line);
	fclose(f);
	return err;
}
