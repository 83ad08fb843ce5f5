// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Saving and loading the learned graph (format in state.h). The writer
 * streams the engine's graph straight into the file; the reader parses
 * one line at a time and imports as it goes, so neither holds a second
 * copy of a graph that may have millions of dependencies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "engine/engine.h"
#include "event/event.h"
#include "lib/log.h"
#include "output/report.h"
#include "service/state.h"
#include "event/symtab.h"

/* Stacks longer than this are cut on load: the BPF side records at most LD_MAX_STACK. */
#define STATE_MAX_FRAMES 128

/* --- writing ------------------------------------------------------------ */

/* Stack frames pointer (the engine interns stacks) -> the number written for it. */
struct stack_ids {
	const __u64 **keys;
	__u32 *ids;
	size_t mask;
	size_t count;
	__u32 next_id;
};

static size_t pointer_hash(const void *p)
{
	__u64 x = (__u64)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static int stack_ids_grow(struct stack_ids *map)
{
	size_t capacity = map->keys ? (map->mask + 1) * 2 : 256;
	const __u64 **keys = calloc(capacity, sizeof(*keys));
	__u32 *ids = calloc(capacity, sizeof(*ids));

	if (!keys || !ids) {
		free(keys);
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; map->keys && i <= map->mask; i++) {
		size_t j;

		if (!map->keys[i])
			continue;
		for (j = pointer_hash(map->keys[i]) & (capacity - 1); keys[j];
		     j = (j + 1) & (capacity - 1))
			;
		keys[j] = map->keys[i];
		ids[j] = map->ids[i];
	}
	free(map->keys);
	free(map->ids);
	map->keys = keys;
	map->ids = ids;
	map->mask = capacity - 1;
	return 0;
}

/* The id of a stack, *ret_new when it was not written yet. 0 on ENOMEM. */
static __u32 stack_id(struct stack_ids *map, const __u64 *frames, bool *ret_new)
{
	size_t i;

	if ((!map->keys || (map->count + 1) * 2 > map->mask + 1) && stack_ids_grow(map))
		return 0;
	for (i = pointer_hash(frames) & map->mask; map->keys[i]; i = (i + 1) & map->mask) {
		if (map->keys[i] == frames) {
			*ret_new = false;
			return map->ids[i];
		}
	}
	map->keys[i] = frames;
	map->ids[i] = ++map->next_id;
	map->count++;
	*ret_new = true;
	return map->ids[i];
}

static void stack_ids_free(struct stack_ids *map)
{
	free(map->keys);
	free(map->ids);
}

/* A code address by name ("func+0x1c/0x80"), or "0x..." when nothing names it. */
static void write_code_address(FILE *f, struct symtab *symtab, __u64 addr)
{
	const char *name = addr ? symtab__lookup(symtab, addr) : NULL;

	if (name && *name)
		json_write_string(f, name);
	else
		fprintf(f, "\"0x%llx\"", (unsigned long long)addr);
}

static int write_stack(FILE *f, struct stack_ids *ids, struct symtab *symtab,
		       const struct lock_site *site, __u32 *ret_id)
{
	bool is_new = false;
	__u32 id;

	*ret_id = 0;
	if (!site->nr_stack)
		return 0;
	id = stack_id(ids, site->stack, &is_new);
	if (!id)
		return -ENOMEM;
	if (is_new) {
		fprintf(f, "{\"stack\":%u,\"frames\":[", id);
		for (__u32 i = 0; i < site->nr_stack; i++) {
			if (i)
				fputc(',', f);
			write_code_address(f, symtab, site->stack[i]);
		}
		fputs("]}\n", f);
	}
	*ret_id = id;
	return 0;
}

static void write_site(FILE *f, const char *key, const struct lock_site *site, __u32 stack,
		       struct symtab *symtab)
{
	fprintf(f, ",\"%s\":{\"lock\":\"0x%llx\",\"ip\":", key, (unsigned long long)site->lock);
	write_code_address(f, symtab, site->ip);
	fprintf(f, ",\"type\":\"%s\",\"trylock\":%s", ld_lock_type_name(site->lock_type) ?: "mutex",
		site->trylock ? "true" : "false");
	if (stack)
		fprintf(f, ",\"stack\":%u", stack);
	fputc('}', f);
}

static int write_dependency(FILE *f, struct stack_ids *ids, struct symtab *symtab,
			    const struct dependency *dep)
{
	__u32 held_stack, acquired_stack;
	int err;

	if (dep->primed) {
		fputs("{\"dep\":[", f);
		json_write_string(f, dep->from);
		fputc(',', f);
		json_write_string(f, dep->to);
		fputs("],\"primed\":true}\n", f);
		return 0;
	}
	err = write_stack(f, ids, symtab, &dep->held, &held_stack);
	if (!err)
		err = write_stack(f, ids, symtab, &dep->acquired, &acquired_stack);
	if (err)
		return err;
	fputs("{\"dep\":[", f);
	json_write_string(f, dep->from);
	fputc(',', f);
	json_write_string(f, dep->to);
	fprintf(f, "],\"count\":%llu,\"pid\":%u,\"comm\":", (unsigned long long)dep->count,
		dep->pid);
	json_write_string(f, dep->comm ? dep->comm : "");
	fprintf(f, ",\"time_ns\":%llu,\"test\":", (unsigned long long)dep->time_ns);
	json_write_string(f, dep->test);
	fputs(",\"reclaim_kind\":", f);
	json_write_string(f, dep->reclaim_kind);
	write_site(f, "held", &dep->held, held_stack, symtab);
	write_site(f, "acquired", &dep->acquired, acquired_stack, symtab);
	fputs("}\n", f);
	return 0;
}

static void write_finding(FILE *f, const struct finding *finding)
{
	fputs("{\"finding\":", f);
	json_write_string(f, finding_kind_name(finding->kind));
	fputs(",\"classes\":[", f);
	for (__u32 i = 0; i < finding->nr_classes; i++) {
		if (i)
			fputc(',', f);
		json_write_string(f, finding->classes[i]);
	}
	fprintf(f, "],\"count\":%llu,\"test\":", (unsigned long long)finding->count);
	json_write_string(f, finding->test);
	fprintf(f, ",\"suppressed\":%s}\n", finding->suppressed ? "true" : "false");
}

static void write_header(FILE *f, const struct state_meta *meta)
{
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "{\"lockdepd_state\":%d,\"created\":\"%s\",\"host\":", STATE_VERSION, created);
	json_write_string(f, meta && meta->host ? meta->host : NULL);
	fputs(",\"kernel\":", f);
	json_write_string(f, meta && meta->kernel_release ? meta->kernel_release : NULL);
	fputs("}\n", f);
}

static int write_graph(FILE *f, const struct engine *engine, struct symtab *symtab,
		       const struct state_meta *meta)
{
	size_t nr_classes = engine__nr_classes(engine);
	size_t nr_deps = engine__nr_dependencies(engine);
	size_t nr_findings = engine__nr_findings(engine);
	struct stack_ids ids = {};
	int err = 0;

	write_header(f, meta);
	for (size_t i = 0; i < nr_classes; i++) {
		bool unclassified = false;
		const char *name = engine__class(engine, i, &unclassified);

		fputs("{\"class\":", f);
		json_write_string(f, name);
		fputs(unclassified ? ",\"unclassified\":true}\n" : "}\n", f);
	}
	for (size_t i = 0; i < nr_deps && !err; i++) {
		struct dependency dep;

		err = engine__dependency(engine, i, &dep);
		if (!err)
			err = write_dependency(f, &ids, symtab, &dep);
	}
	for (size_t i = 0; i < nr_findings && !err; i++)
		write_finding(f, engine__finding(engine, i));
	fprintf(f, "{\"end\":{\"classes\":%zu,\"dependencies\":%zu,\"findings\":%zu}}\n",
		nr_classes, nr_deps, nr_findings);
	stack_ids_free(&ids);
	return err;
}

/* "dir" and "base" of path, the directory "." when there is no slash. */
static void split_path(const char *path, char *dir, size_t dir_len, const char **ret_base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dir_len, ".");
		*ret_base = path;
	} else if (slash == path) {
		snprintf(dir, dir_len, "/");
		*ret_base = slash + 1;
	} else {
		snprintf(dir, dir_len, "%.*s", (int)(slash - path), path);
		*ret_base = slash + 1;
	}
}

static int fsync_directory(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

int state_save(const char *path, const struct engine *engine, struct symtab *symtab,
	       const struct state_meta *meta)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	const char *base;
	FILE *f = NULL;
	int fd, err;

	split_path(path, dir, sizeof(dir), &base);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "%s: cannot create a temporary file in %s: %s", path,
				       dir, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		err = log_error_errno(-errno, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto cleanup;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	err = write_graph(f, engine, symtab, meta);
	if (err) {
		log_error_errno(err, "%s: %s", path, strerror(-err));
		goto cleanup;
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
		err = log_error_errno(-errno ?: -EIO, "%s: %s", tmp, strerror(errno ?: EIO));
		goto cleanup;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err = log_error_errno(-errno, "%s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		err = log_error_errno(-errno, "%s: rename from %s: %s", path, tmp, strerror(errno));
		goto cleanup;
	}
	/* The rename itself must reach the disk, or a crash could bring the old file back. */
	err = fsync_directory(dir);
	if (err)
		return log_error_errno(err, "%s: fsync: %s", dir, strerror(-err));
	return 0;
cleanup:
	if (f)
		fclose(f);
	unlink(tmp);
	return err;
}

int state_quarantine(const char *path, char *ret_moved, size_t len)
{
	char moved[PATH_MAX + 64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(moved, sizeof(moved), "%s.corrupt-%s", path, stamp);
	/* Two bad files within one second: keep both. */
	for (int n = 2; access(moved, F_OK) == 0 && n < 100; n++)
		snprintf(moved, sizeof(moved), "%s.corrupt-%s-%d", path, stamp, n);
	if (rename(path, moved) < 0)
		return -errno;
	snprintf(ret_moved, len, "%s", moved);
	return 0;
}

/* --- reading ------------------------------------------------------------ */

/*
 * Each line is parsed by json-c, strictly (RFC 8259: no comments, no
 * trailing commas, nothing after the value). Three things json-c's values
 * no longer tell are read off the line itself, in one pass that knows only
 * where strings begin and end (prepare_line()):
 *
 * - Bytes. json_write_string() (report.c) writes well-formed UTF-8 as it is
 *   and a byte that is not part of well-formed UTF-8 (task names and kernel
 *   strings are bytes, not text) as \u00XX. json-c decodes \u00XX as the
 *   code point U+00XX, for 0x80-0xff two bytes of UTF-8; once decoded, the
 *   byte 0xe9 written as "\u00e9" and "é" written as it is are the same two
 *   bytes, so the mapping back cannot be done on json-c's string. It is
 *   done before json-c sees the line: a \u0080-\u00ff escape inside a
 *   string becomes that byte, which json-c passes through as it is (it is
 *   not asked to validate UTF-8). The writer never escapes a character of
 *   well-formed UTF-8 above U+007F, so such an escape is always a byte it
 *   wrote and this inverts it exactly; UTF-8 written as it is, and escapes
 *   above U+00FF (from another tool), stay UTF-8. \u0001-\u007f are the
 *   same byte either way.
 * - NUL. \u0000 is refused, and so is a NUL byte: no name holds NUL, and
 *   json-c's string would be cut short at it without a word.
 * - Integers beyond 64 bits. json-c keeps integers up to UINT64_MAX exact
 *   (json_object_get_uint64()) but turns larger ones into UINT64_MAX; the
 *   writer never wrote such a count or time, so the line is refused rather
 *   than read as another number (an unknown key's integer too: a later
 *   version needing more than 64 bits changes the format anyway).
 */

/* Deeper nesting is no lockdepd record: refused before json-c recurses. */
#define STATE_MAX_DEPTH 64

struct loader {
	const char *path;
	struct engine *engine;
	struct symtab *symtab;
	struct state_info info;
	size_t line;
	char *error;
	size_t error_len;
	struct json_tokener *tokener;
	char *text; /* the line as json-c sees it (see above) */
	size_t text_cap;
	/* Stack ids count up from 1; frames[id - 1]. */
	__u64 **stacks;
	__u32 *stack_sizes;
	size_t nr_stacks;
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

static const char *get_string(struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key);

	return is_string(v) ? json_object_get_string(v) : NULL;
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

/* A key that may be absent or null, else must be a string. */
static int get_optional_string(struct loader *ld, struct json_object *obj, const char *key,
			       const char **ret)
{
	struct json_object *v = member(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!is_string(v))
		return bad(ld, "expected \"%s\" to be a string or null", key);
	*ret = json_object_get_string(v);
	return 0;
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

static int load_header(struct loader *ld, struct json_object *v)
{
	struct json_object *version_value = member(v, "lockdepd_state");
	const char *s;
	__u64 version;

	if (!has_member(v, "lockdepd_state"))
		return bad(ld, "expected a lockdepd state file, starting with its header");
	if (!uint_value(version_value, &version) || version == 0)
		return bad(ld, "expected a version number in \"lockdepd_state\"");
	if (version > STATE_VERSION) {
		bad(ld, "state format version %llu is newer than this lockdepd's (%d)",
		    (unsigned long long)version, STATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	ld->info.version = (unsigned int)version;
	if ((s = get_string(v, "host")))
		snprintf(ld->info.host, sizeof(ld->info.host), "%s", s);
	if ((s = get_string(v, "kernel")))
		snprintf(ld->info.kernel_release, sizeof(ld->info.kernel_release), "%s", s);
	if ((s = get_string(v, "created")))
		snprintf(ld->info.created, sizeof(ld->info.created), "%s", s);
	return 0;
}

static int load_class(struct loader *ld, struct json_object *v)
{
	struct json_object *name = member(v, "class");
	struct json_object *unclassified = member(v, "unclassified");

	if (!is_string(name) || !*json_object_get_string(name))
		return bad(ld, "expected a class name");
	if (has_member(v, "unclassified") && !is_bool(unclassified))
		return bad(ld, "expected \"unclassified\" to be true or false");
	ld->nr_classes++;
	return engine__import_class(ld->engine, json_object_get_string(name),
				    unclassified && json_object_get_boolean(unclassified));
}

static int load_stack(struct loader *ld, struct json_object *v)
{
	struct json_object *frames = member(v, "frames");
	size_t nr_frames = frames && json_object_is_type(frames, json_type_array)
				   ? json_object_array_length(frames)
				   : 0;
	__u64 id = 0, **stacks;
	__u32 *sizes, n;
	int err;

	if (!get_uint(v, "stack", &id) || id != ld->nr_stacks + 1)
		return bad(ld, "expected stack %zu (stack numbers count up from 1)",
			   ld->nr_stacks + 1);
	if (!nr_frames)
		return bad(ld, "expected \"frames\", a list of symbols");
	n = nr_frames < STATE_MAX_FRAMES ? (__u32)nr_frames : STATE_MAX_FRAMES;
	stacks = realloc(ld->stacks, (ld->nr_stacks + 1) * sizeof(*stacks));
	if (!stacks)
		return -ENOMEM;
	ld->stacks = stacks;
	sizes = realloc(ld->stack_sizes, (ld->nr_stacks + 1) * sizeof(*sizes));
	if (!sizes)
		return -ENOMEM;
	ld->stack_sizes = sizes;
	ld->stacks[ld->nr_stacks] = calloc(n, sizeof(__u64));
	if (!ld->stacks[ld->nr_stacks])
		return -ENOMEM;
	ld->stack_sizes[ld->nr_stacks] = n;
	ld->nr_stacks++;
	for (__u32 i = 0; i < n; i++) {
		struct json_object *frame = json_object_array_get_idx(frames, i);

		if (!is_string(frame) || !*json_object_get_string(frame))
			return bad(ld, "expected \"frames\", a list of symbols");
		err = parse_address(ld, json_object_get_string(frame),
				    &ld->stacks[ld->nr_stacks - 1][i]);
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
	err = get_optional_string(ld, v, "ip", &ip);
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
		site->stack = ld->stacks[id - 1];
		site->nr_stack = ld->stack_sizes[id - 1];
	}
	return 0;
}

/* The two class names of a "dep" record, or false. */
static bool dependency_names(struct json_object *names, const char **ret_from, const char **ret_to)
{
	struct json_object *from, *to;

	if (!names || !json_object_is_type(names, json_type_array) ||
	    json_object_array_length(names) != 2)
		return false;
	from = json_object_array_get_idx(names, 0);
	to = json_object_array_get_idx(names, 1);
	if (!is_string(from) || !is_string(to) || !*json_object_get_string(from) ||
	    !*json_object_get_string(to))
		return false;
	*ret_from = json_object_get_string(from);
	*ret_to = json_object_get_string(to);
	return true;
}

static int load_dependency(struct loader *ld, struct json_object *v)
{
	struct json_object *primed = member(v, "primed");
	struct dependency dep = {};
	__u64 value;
	int err;

	if (!dependency_names(member(v, "dep"), &dep.from, &dep.to))
		return bad(ld, "expected \"dep\": [from, to], two class names");
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
	err = get_optional_string(ld, v, "comm", &dep.comm);
	if (!err)
		err = get_optional_string(ld, v, "test", &dep.test);
	if (!err)
		err = get_optional_string(ld, v, "reclaim_kind", &dep.reclaim_kind);
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
		struct json_object *name = json_object_array_get_idx(classes, i);

		if (!is_string(name)) {
			free(names);
			return bad(ld, "expected the finding's \"classes\"");
		}
		names[i] = json_object_get_string(name);
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

/* What prepare_line() found that json-c will not say; offsets in the line as read. */
struct line_problems {
	size_t nul_escape; /* a \u0000, or SIZE_MAX */
	size_t big_integer; /* an integer beyond 64 bits, or SIZE_MAX */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The code point of the four hex digits at s (which has at least four bytes), or -1. */
static int hex4_value(const char *s)
{
	int value = 0;

	for (int i = 0; i < 4; i++) {
		int digit = hex_value(s[i]);

		if (digit < 0)
			return -1;
		value = value << 4 | digit;
	}
	return value;
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
 * Copies the line (len bytes, no NUL among them) into ld->text for json-c,
 * \u0080-\u00ff escapes inside strings turned into their bytes, and notes
 * the problems json-c's values cannot show (see "reading" above). Outside
 * strings of a line json-c accepts there are only numbers, literals and
 * punctuation, so a digit that follows none of "0-9.eE+-" starts an
 * integer unless '.', 'e' or 'E' ends its digits. The copy's length goes to
 * *ret_len.
 */
static int prepare_line(struct loader *ld, const char *line, size_t len,
			struct line_problems *ret_problems, size_t *ret_len)
{
	struct line_problems problems = { .nul_escape = SIZE_MAX, .big_integer = SIZE_MAX };
	bool in_string = false;
	size_t i = 0, n = 0;
	char *out;

	if (len + 1 > ld->text_cap) {
		out = realloc(ld->text, len + 1);
		if (!out)
			return -ENOMEM;
		ld->text = out;
		ld->text_cap = len + 1;
	}
	out = ld->text;
	while (i < len) {
		char c = line[i];

		if (in_string && c == '\\' && i + 5 < len && line[i + 1] == 'u') {
			int cp = hex4_value(line + i + 2);

			if (cp == 0 && problems.nul_escape == SIZE_MAX)
				problems.nul_escape = i;
			if (cp >= 0x80 && cp <= 0xff) {
				out[n++] = (char)cp;
				i += 6;
				continue;
			}
		}
		if (in_string && c == '\\' && i + 1 < len) {
			/* The escaped character cannot end the string. */
			out[n++] = line[i++];
		} else if (c == '"') {
			in_string = !in_string;
		} else if (!in_string && is_digit(c) &&
			   (i == 0 || !(is_digit(line[i - 1]) || strchr(".eE+-", line[i - 1])))) {
			size_t end = i;

			while (end < len && is_digit(line[end]))
				end++;
			if ((end == len || !strchr(".eE", line[end])) &&
			    beyond_64_bits(line + i, end - i) && problems.big_integer == SIZE_MAX)
				problems.big_integer = i;
		}
		out[n++] = line[i++];
	}
	out[n] = '\0';
	*ret_problems = problems;
	*ret_len = n;
	return 0;
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
	struct line_problems problems;
	struct json_object *value = NULL;
	enum json_tokener_error err;
	const char *nul = memchr(line, '\0', len);
	size_t text_len, offset;
	int ret;

	if (len > INT_MAX - 1)
		return bad(ld, "a line longer than %d bytes", INT_MAX - 1);
	if (nul)
		return bad(ld, "column %zu: a NUL byte", (size_t)(nul - line) + 1);
	ret = prepare_line(ld, line, len, &problems, &text_len);
	if (ret)
		return ret;
	err = parse_json(ld->tokener, ld->text, text_len, &value, &offset);
	if (err != json_tokener_success && text_len != len) {
		struct json_object *unmapped = NULL;

		/* Bytes put for escapes shift columns: the column in the line as read. */
		if (parse_json(ld->tokener, line, len, &unmapped, &offset) == json_tokener_success)
			json_object_put(unmapped);
	}
#if JSON_C_VERSION_NUM >= (17 << 8)
	/* Older json-c says nothing apart: there, no memory reads as a bad line. */
	if (err == json_tokener_error_memory)
		return -ENOMEM;
#endif
	if (err != json_tokener_success)
		return bad(ld, "column %zu: %s", offset + 1, json_tokener_error_desc(err));
	ret = 0;
	if (problems.nul_escape != SIZE_MAX)
		ret = bad(ld, "column %zu: a NUL character inside a string",
			  problems.nul_escape + 1);
	else if (problems.big_integer != SIZE_MAX)
		ret = bad(ld, "column %zu: an integer beyond 64 bits", problems.big_integer + 1);
	if (ret) {
		json_object_put(value);
		return ret;
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
		return log_error_errno(-errno, "%s: %s", path, strerror(errno));
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
		free(ld.stacks[i]);
	free(ld.stacks);
	free(ld.stack_sizes);
	json_tokener_free(ld.tokener);
	free(ld.text);
	free(line);
	fclose(f);
	return err;
}
