// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loading rules files: YAML (libyaml's document API) into struct rules,
 * validated as it goes. The questions the engine asks of loaded rules live
 * in rules.c.
 *
 * Strictness is the point: a typo in a key, a string where a list belongs or
 * a class name nobody defined must stop the load with the exact position,
 * never quietly turn a rule off. Every error is one line
 * "file:line:column: what was expected", 1-based, from libyaml's marks.
 *
 * Each top-level key is a section with its own loader in `sections[]`, run
 * in table order whatever the order in the file: `classes` comes first so
 * that every later section can check the class names it refers to. A new
 * section is a new entry and its function, as `alerts:` (the service's
 * alert actions) was.
 *
 * A class reference (taint_reclaim, order, allow_nesting, suppress, and the
 * class of a lock_args rule) must name a class defined under `classes:`, or
 * be fs_reclaim where the pseudo-lock makes sense. Raw lock names are not
 * accepted: a class whose only match is its own name does the same job and
 * keeps typos detectable.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "engine/finding.h"
#include "lockdepd_event.h"
#include "lib/log.h"
#include "lib/macro.h"
#include "engine/rules.h"

/* Rules files are written by hand: anything this large is a mistake. */
#define RULES_MAX_FILE_SIZE (16u << 20)

/* lock_args argument numbers: the x86-64 and arm64 register arguments. */
#define LOCK_ARG_MAX 6

struct loader {
	const char *name;
	const char *buf;
	size_t len;
	yaml_document_t *doc;
	struct rules *rules;
	const struct rules *earlier; /* the files before this one, for class references */
};

__attribute__((format(printf, 3, 4))) static int fail(const struct loader *ld, yaml_mark_t mark,
						      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return log_error_errno(-EINVAL, "%s:%zu:%zu: %s", ld->name, mark.line + 1, mark.column + 1,
			       msg);
}

static yaml_node_t *node_at(const struct loader *ld, int index)
{
	return yaml_document_get_node(ld->doc, index);
}

static const char *scalar_value(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A plain scalar YAML reads as null: `key:`, `key: ~`, `key: null`. */
static bool node_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp(scalar_value(node), nulls[i]) == 0)
			return true;
	return false;
}

static const char *node_kind_name(const yaml_node_t *node)
{
	if (node_is_null(node))
		return "nothing";
	switch (node->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "a string";
	}
}

static size_t sequence_length(const yaml_node_t *node)
{
	return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

static yaml_node_t *sequence_item(const struct loader *ld, const yaml_node_t *node, size_t i)
{
	return node_at(ld, node->data.sequence.items.start[i]);
}

/* The scalar text of a node that must be a non-empty string. */
static int expect_string(const struct loader *ld, const yaml_node_t *node, const char *what,
			 const char **ret_value)
{
	if (node->type != YAML_SCALAR_NODE || node_is_null(node))
		return fail(ld, node->start_mark, "expected %s, got %s", what,
			    node_kind_name(node));
	if (strlen(scalar_value(node)) != node->data.scalar.length)
		return fail(ld, node->start_mark, "expected %s, got a string with a NUL byte",
			    what);
	if (node->data.scalar.length == 0)
		return fail(ld, node->start_mark, "expected %s, got an empty string", what);
	*ret_value = scalar_value(node);
	return 0;
}

static int expect_string_dup(const struct loader *ld, const yaml_node_t *node, const char *what,
			     char **ret_value)
{
	const char *value = NULL;
	char *copy;
	int err;

	err = expect_string(ld, node, what, &value);
	if (err)
		return err;
	copy = strdup(value);
	if (!copy)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	*ret_value = copy;
	return 0;
}

/* A list, or nothing (`key:` alone) meaning an empty one. */
static int expect_sequence(const struct loader *ld, const yaml_node_t *node, const char *what,
			   size_t *ret_length)
{
	if (node_is_null(node)) {
		*ret_length = 0;
		return 0;
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return fail(ld, node->start_mark, "expected a list of %s, got %s", what,
			    node_kind_name(node));
	*ret_length = sequence_length(node);
	return 0;
}

static int expect_uint(const struct loader *ld, const yaml_node_t *node, const char *what,
		       unsigned int min, unsigned int max, unsigned int *ret_value)
{
	const char *text = "";
	unsigned long value = 0;

	if (node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		text = scalar_value(node);
	if (!*text || strlen(text) > 9)
		goto bad;
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			goto bad;
		value = value * 10 + (unsigned long)(*p - '0');
	}
	if (value < min || value > max)
		goto bad;
	*ret_value = (unsigned int)value;
	return 0;
bad:
	return fail(ld, node->start_mark, "expected %s, a number from %u to %u", what, min, max);
}

static bool is_identifier(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* "mutex", "vma.lock" or "vm->mutex": C member names joined by "." or "->". */
static bool is_member_path(const char *s)
{
	char part[256];

	for (;;) {
		size_t len = strcspn(s, ".-");

		if (len == 0 || len >= sizeof(part))
			return false;
		memcpy(part, s, len);
		part[len] = '\0';
		if (!is_identifier(part))
			return false;
		s += len;
		if (!*s)
			return true;
		if (*s == '.')
			s++;
		else if (s[0] == '-' && s[1] == '>')
			s += 2;
		else
			return false;
	}
}

static int expect_identifier(const struct loader *ld, const yaml_node_t *node, const char *what,
			     char **ret_value)
{
	const char *value = NULL;
	int err;

	err = expect_string(ld, node, what, &value);
	if (err)
		return err;
	if (!is_identifier(value))
		return fail(ld, node->start_mark, "expected %s (a C identifier), got '%s'", what,
			    value);
	return expect_string_dup(ld, node, what, ret_value);
}

/*
 * Checks that a mapping's keys are all known and none repeats. `what` names
 * the mapping in messages ("a class", "the top level").
 */
static int check_mapping_keys(const struct loader *ld, const yaml_node_t *node, const char *what,
			      const char *const *keys, size_t nr_keys)
{
	char expected[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < nr_keys; i++)
		used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%s",
					 i ? ", " : "", keys[i]);

	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = node_at(ld, pair->key);
		bool known = false;

		if (key->type != YAML_SCALAR_NODE)
			return fail(ld, key->start_mark, "expected a key of %s (%s), got %s", what,
				    expected, node_kind_name(key));
		for (size_t i = 0; i < nr_keys; i++)
			if (strcmp(scalar_value(key), keys[i]) == 0)
				known = true;
		if (!known)
			return fail(ld, key->start_mark,
				    "unknown key '%s' in %s: expected one of %s", scalar_value(key),
				    what, expected);
		for (yaml_node_pair_t *prev = node->data.mapping.pairs.start; prev < pair; prev++) {
			yaml_node_t *prev_key = node_at(ld, prev->key);

			if (strcmp(scalar_value(prev_key), scalar_value(key)) == 0)
				return fail(ld, key->start_mark,
					    "duplicate key '%s' in %s (first at %zu:%zu)",
					    scalar_value(key), what, prev_key->start_mark.line + 1,
					    prev_key->start_mark.column + 1);
		}
	}
	return 0;
}

static yaml_node_t *mapping_get(const struct loader *ld, const yaml_node_t *node, const char *key)
{
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_at(ld, pair->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(scalar_value(k), key) == 0)
			return node_at(ld, pair->value);
	}
	return NULL;
}

static int expect_mapping(const struct loader *ld, const yaml_node_t *node, const char *what,
			  const char *const *keys, size_t nr_keys)
{
	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node->start_mark, "expected %s (a mapping), got %s", what,
			    node_kind_name(node));
	return check_mapping_keys(ld, node, what, keys, nr_keys);
}

static const struct rules_class *find_class(const struct rules *rules, const char *name)
{
	for (size_t i = 0; i < rules->nr_classes; i++)
		if (strcmp(rules->classes[i].name, name) == 0)
			return &rules->classes[i];
	return NULL;
}

/* A class reference: a class defined under classes:, or fs_reclaim if allowed. */
static int expect_class_ref(const struct loader *ld, const yaml_node_t *node, bool allow_fs_reclaim,
			    char **ret_name)
{
	const char *name = NULL;
	int err;

	err = expect_string(ld, node, "a class name", &name);
	if (err)
		return err;
	if (strcmp(name, FS_RECLAIM_CLASS) == 0) {
		if (!allow_fs_reclaim)
			return fail(ld, node->start_mark,
				    "expected a class defined under classes:, not fs_reclaim");
	} else if (!find_class(ld->rules, name) &&
		   !(ld->earlier && find_class(ld->earlier, name))) {
		return fail(ld, node->start_mark,
			    "unknown class '%s': expected a class defined under classes:%s", name,
			    allow_fs_reclaim ? " or fs_reclaim" : "");
	}
	return expect_string_dup(ld, node, "a class name", ret_name);
}

/* The index of an earlier item of `seq` with the same scalar text, or -1. */
static ssize_t find_earlier_item(const struct loader *ld, const yaml_node_t *seq, size_t i)
{
	const yaml_node_t *item = sequence_item(ld, seq, i);

	for (size_t j = 0; j < i; j++) {
		const yaml_node_t *prev = sequence_item(ld, seq, j);

		if (prev->type == YAML_SCALAR_NODE &&
		    strcmp(scalar_value(prev), scalar_value(item)) == 0)
			return (ssize_t)j;
	}
	return -1;
}

/*
 * A list of class references into a fresh array. With `unique`, a class
 * listed twice is an error naming `what`.
 */
static int load_class_list(const struct loader *ld, const yaml_node_t *node, const char *what,
			   bool allow_fs_reclaim, bool unique, char ***ret_list, size_t *ret_nr)
{
	char **list = NULL;
	size_t nr = 0, length;
	int err;

	err = expect_sequence(ld, node, "class names", &length);
	if (err)
		return err;
	if (length) {
		list = calloc(length, sizeof(*list));
		if (!list)
			return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	}
	for (size_t i = 0; i < length; i++) {
		const yaml_node_t *item = sequence_item(ld, node, i);
		ssize_t earlier;

		err = expect_class_ref(ld, item, allow_fs_reclaim, &list[nr]);
		if (err)
			goto cleanup;
		nr++;
		earlier = unique ? find_earlier_item(ld, node, i) : -1;
		if (earlier >= 0) {
			yaml_mark_t first = sequence_item(ld, node, (size_t)earlier)->start_mark;

			err = fail(ld, item->start_mark,
				   "class '%s' appears twice in %s (first at %zu:%zu)",
				   list[nr - 1], what, first.line + 1, first.column + 1);
			goto cleanup;
		}
	}
	*ret_list = list;
	*ret_nr = nr;
	return 0;
cleanup:
	for (size_t i = 0; i < nr; i++)
		free(list[i]);
	free(list);
	return err;
}

/* --- classes ------------------------------------------------------------ */

static int load_match(const struct loader *ld, const yaml_node_t *node, struct rules_class *class)
{
	size_t length;
	int err;

	err = expect_sequence(ld, node, "lock names or globs", &length);
	if (err)
		return err;
	if (!length)
		return 0;
	class->match = calloc(length, sizeof(*class->match));
	if (!class->match)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		err = expect_string_dup(ld, sequence_item(ld, node, i), "a lock name or glob",
					&class->match[class->nr_match]);
		if (err)
			return err;
		class->nr_match++;
	}
	return 0;
}

/* Where a class was first named in the classes list, for duplicate errors. */
static yaml_mark_t first_class_mark(const struct loader *ld, const yaml_node_t *classes,
				    const char *name)
{
	for (size_t i = 0; i < sequence_length(classes); i++) {
		const yaml_node_t *item = sequence_item(ld, classes, i);
		const yaml_node_t *item_name;

		if (item->type != YAML_MAPPING_NODE)
			continue;
		item_name = mapping_get(ld, item, "name");
		if (item_name && item_name->type == YAML_SCALAR_NODE &&
		    strcmp(scalar_value(item_name), name) == 0)
			return item_name->start_mark;
	}
	return classes->start_mark;
}

static int load_class(const struct loader *ld, const yaml_node_t *classes, const yaml_node_t *node,
		      struct rules_class *class)
{
	static const char *const keys[] = { "name", "match" };
	const yaml_node_t *name, *match;
	const struct rules_class *other;
	const char *name_text = NULL;
	int err;

	err = expect_mapping(ld, node, "a class", keys, ARRAY_SIZE(keys));
	if (err)
		return err;
	name = mapping_get(ld, node, "name");
	if (!name)
		return fail(ld, node->start_mark, "expected a class with a 'name' key");
	err = expect_string(ld, name, "a class name", &name_text);
	if (err)
		return err;
	if (strcmp(name_text, FS_RECLAIM_CLASS) == 0)
		return fail(
			ld, name->start_mark,
			"expected a class name other than fs_reclaim, the built-in reclaim pseudo-lock");
	other = find_class(ld->rules, name_text);
	if (other) {
		yaml_mark_t other_mark = first_class_mark(ld, classes, other->name);

		return fail(ld, name->start_mark,
			    "duplicate class '%s' (first at %zu:%zu): expected each name once",
			    other->name, other_mark.line + 1, other_mark.column + 1);
	}
	match = mapping_get(ld, node, "match");
	if (match) {
		err = load_match(ld, match, class);
		if (err)
			return err;
	}
	/* Named last: find_class() must not see this class before it is complete. */
	return expect_string_dup(ld, name, "a class name", &class->name);
}

static int load_classes(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;
	size_t length;
	int err;

	err = expect_sequence(ld, node, "classes", &length);
	if (err || !length)
		return err;
	rules->classes = calloc(length, sizeof(*rules->classes));
	if (!rules->classes)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		struct rules_class *class = &rules->classes[rules->nr_classes];

		err = load_class(ld, node, sequence_item(ld, node, i), class);
		/* Counted even when half-built, so rules__free() frees it. */
		rules->nr_classes++;
		if (err)
			return err;
	}
	return 0;
}

/* --- class lists ---------------------------------------------------------- */

static int load_taint_reclaim(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;

	/* fs_reclaim -> fs_reclaim would be a recursion, not a taint. */
	return load_class_list(ld, node, "taint_reclaim", false, false, &rules->taint_reclaim,
			       &rules->nr_taint_reclaim);
}

static int load_order(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;

	/* A class twice would declare both A before B and B before A. */
	return load_class_list(ld, node, "order", true, true, &rules->order, &rules->nr_order);
}

static int load_allow_nesting(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;

	return load_class_list(ld, node, "allow_nesting", false, false, &rules->allow_nesting,
			       &rules->nr_allow_nesting);
}

/* --- suppress -------------------------------------------------------------- */

static int load_suppression(const struct loader *ld, const yaml_node_t *node,
			    struct rules_suppress *s)
{
	static const char *const keys[] = { "kind", "classes", "reason" };
	const yaml_node_t *kind, *classes, *reason;
	int err;

	s->kind = -1;
	err = expect_mapping(ld, node, "a suppression", keys, ARRAY_SIZE(keys));
	if (err)
		return err;
	kind = mapping_get(ld, node, "kind");
	if (kind) {
		const char *name = "";

		if (kind->type == YAML_SCALAR_NODE)
			name = scalar_value(kind);
		s->kind = finding_kind_from_name(name);
		if (s->kind < 0)
			return fail(
				ld, kind->start_mark,
				"expected kind circular, reclaim, order or recursive (or no kind for any)");
	}
	classes = mapping_get(ld, node, "classes");
	if (!classes)
		return fail(ld, node->start_mark,
			    "expected a suppression with 'classes' (the finding's classes)");
	err = load_class_list(ld, classes, "the suppression's classes", true, true, &s->classes,
			      &s->nr_classes);
	if (err)
		return err;
	if (!s->nr_classes)
		return fail(ld, classes->start_mark,
			    "expected at least one class: an empty set matches no finding");
	reason = mapping_get(ld, node, "reason");
	if (reason)
		return expect_string_dup(ld, reason, "a reason", &s->reason);
	return 0;
}

static int load_suppress(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;
	size_t length;
	int err;

	err = expect_sequence(ld, node, "suppressions", &length);
	if (err || !length)
		return err;
	rules->suppress = calloc(length, sizeof(*rules->suppress));
	if (!rules->suppress)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		err = load_suppression(ld, sequence_item(ld, node, i),
				       &rules->suppress[rules->nr_suppress++]);
		if (err)
			return err;
	}
	return 0;
}

/* --- lock_args ----------------------------------------------------------- */

static int lock_arg_field(const struct loader *ld, const yaml_node_t *node, const char *key,
			  const yaml_node_t **ret_value)
{
	const yaml_node_t *value = mapping_get(ld, node, key);

	if (!value)
		return fail(ld, node->start_mark, "expected a lock_args rule with '%s'", key);
	*ret_value = value;
	return 0;
}

/* `at`: exit (the default) for an init function, entry for any other. */
static int load_lock_arg_at(const struct loader *ld, const yaml_node_t *node,
			    struct rules_lock_arg *la)
{
	const yaml_node_t *at = mapping_get(ld, node, "at");
	const char *text;
	int err;

	if (!at)
		return 0;
	err = expect_string(ld, at, "'entry' or 'exit'", &text);
	if (err)
		return err;
	if (strcmp(text, "entry") && strcmp(text, "exit"))
		return fail(ld, at->start_mark, "expected 'entry' or 'exit', got '%s'", text);
	la->at_entry = strcmp(text, "entry") == 0;
	return 0;
}

static int load_lock_arg(const struct loader *ld, const yaml_node_t *node,
			 struct rules_lock_arg *la)
{
	static const char *const keys[] = { "function", "arg",		"type", "member",
					    "class",	"subclass_arg", "at" };
	const yaml_node_t *function, *arg, *type, *member, *class, *subclass_arg;
	const char *path = NULL;
	int err;

	err = expect_mapping(ld, node, "a lock_args rule", keys, ARRAY_SIZE(keys));
	if (err)
		return err;
	err = lock_arg_field(ld, node, "function", &function) ?:
	      lock_arg_field(ld, node, "arg", &arg) ?:
	      lock_arg_field(ld, node, "member", &member) ?:
	      lock_arg_field(ld, node, "class", &class);
	if (err)
		return err;
	err = expect_identifier(ld, function, "a kernel function name", &la->function)
		      ?: expect_uint(ld, arg, "an argument number", 1, LOCK_ARG_MAX, &la->arg);
	if (err)
		return err;
	type = mapping_get(ld, node, "type");
	if (type) {
		err = expect_identifier(ld, type, "a struct name without 'struct'", &la->type);
		if (err)
			return err;
	}
	err = expect_string(ld, member, "a member path", &path);
	if (err)
		return err;
	if (!is_member_path(path))
		return fail(
			ld, member->start_mark,
			"expected a member path like 'mutex', 'vma.lock' or 'vm->mutex', got '%s'",
			path);
	err = expect_string_dup(ld, member, "a member path", &la->member) ?:
	      expect_class_ref(ld, class, false, &la->class_name) ?:
	      load_lock_arg_at(ld, node, la);
	if (err)
		return err;
	subclass_arg = mapping_get(ld, node, "subclass_arg");
	if (!subclass_arg)
		return 0;
	err = expect_uint(ld, subclass_arg, "an argument number", 1, LOCK_ARG_MAX,
			  &la->subclass_arg);
	if (err)
		return err;
	if (la->subclass_arg == la->arg)
		return fail(ld, subclass_arg->start_mark,
			    "expected a subclass_arg other than arg %u (the lock's own argument)",
			    la->arg);
	return 0;
}

static int load_lock_args(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;
	size_t length;
	int err;

	err = expect_sequence(ld, node, "lock_args rules", &length);
	if (err || !length)
		return err;
	rules->lock_args = calloc(length, sizeof(*rules->lock_args));
	if (!rules->lock_args)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		err = load_lock_arg(ld, sequence_item(ld, node, i),
				    &rules->lock_args[rules->nr_lock_args++]);
		if (err)
			return err;
	}
	return 0;
}

/* --- kernel annotations ------------------------------------------------------- */

static int required_field(const struct loader *ld, const yaml_node_t *node, const char *what,
			  const char *key, const yaml_node_t **ret_value)
{
	const yaml_node_t *value = mapping_get(ld, node, key);

	if (!value)
		return fail(ld, node->start_mark, "expected %s with '%s'", what, key);
	*ret_value = value;
	return 0;
}

static int load_novalidate_rule(const struct loader *ld, const yaml_node_t *node,
				struct rules_novalidate *rule)
{
	static const char *const keys[] = { "name", "site" };
	const yaml_node_t *name, *site;
	int err;

	err = expect_mapping(ld, node, "a novalidate rule", keys, ARRAY_SIZE(keys)) ?:
	      required_field(ld, node, "a novalidate rule", "name", &name) ?:
	      required_field(ld, node, "a novalidate rule", "site", &site);
	if (err)
		return err;
	return expect_string_dup(ld, name, "an init name (glob)", &rule->name)
		       ?: expect_identifier(ld, site, "the kernel function that inits the lock",
					    &rule->site);
}

static int load_novalidate(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;
	size_t length;
	int err;

	err = expect_sequence(ld, node, "novalidate rules", &length);
	if (err || !length)
		return err;
	rules->novalidate = calloc(length, sizeof(*rules->novalidate));
	if (!rules->novalidate)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		err = load_novalidate_rule(ld, sequence_item(ld, node, i),
					   &rules->novalidate[rules->nr_novalidate++]);
		if (err)
			return err;
	}
	return 0;
}

/* lockdep's MAX_LOCKDEP_SUBCLASSES is 8: subclasses 1 to 7 besides 0. */
#define NESTED_SUBCLASS_MAX 7

static int load_nested_type(const struct loader *ld, const yaml_node_t *node,
			    unsigned int *ret_types)
{
	const char *type = NULL;
	int err = expect_string(ld, node, "a lock type", &type);

	if (err)
		return err;
	if (strcmp(type, "mutex") == 0)
		*ret_types = 1u << LD_LOCK_MUTEX;
	else if (strcmp(type, "rwsem_read") == 0)
		*ret_types = 1u << LD_LOCK_RWSEM_READ;
	else if (strcmp(type, "rwsem_write") == 0)
		*ret_types = 1u << LD_LOCK_RWSEM_WRITE;
	else if (strcmp(type, "rwsem") == 0)
		*ret_types = 1u << LD_LOCK_RWSEM_READ | 1u << LD_LOCK_RWSEM_WRITE;
	else
		return fail(
			ld, node->start_mark,
			"expected a lock type (mutex, rwsem_read, rwsem_write or rwsem), got '%s'",
			type);
	return 0;
}

static int load_nested_rule(const struct loader *ld, const yaml_node_t *node,
			    struct rules_nested *rule)
{
	static const char *const keys[] = { "caller", "lock", "type", "subclass" };
	const yaml_node_t *caller, *lock, *type, *subclass;
	const char *text = NULL;
	unsigned int value;
	int err;

	err = expect_mapping(ld, node, "a nested rule", keys, ARRAY_SIZE(keys)) ?:
	      required_field(ld, node, "a nested rule", "caller", &caller) ?:
	      required_field(ld, node, "a nested rule", "lock", &lock) ?:
	      required_field(ld, node, "a nested rule", "type", &type) ?:
	      required_field(ld, node, "a nested rule", "subclass", &subclass);
	if (err)
		return err;
	err = expect_identifier(ld, caller, "the calling kernel function", &rule->caller)
		      ?: expect_string(ld, lock, "a lock member name or '*'", &text);
	if (err)
		return err;
	if (strcmp(text, "*") != 0 && !is_identifier(text))
		return fail(ld, lock->start_mark,
			    "expected a lock member name (a C identifier) or '*', got '%s'", text);
	err = expect_string_dup(ld, lock, "a lock member name", &rule->lock)
		      ?: load_nested_type(ld, type, &rule->lock_types);
	if (err)
		return err;
	if (subclass->type == YAML_SCALAR_NODE && strcmp(scalar_value(subclass), "any") == 0) {
		rule->subclass = RULES_SUBCLASS_ANY;
		return 0;
	}
	err = expect_uint(ld, subclass, "a subclass (or 'any')", 1, NESTED_SUBCLASS_MAX, &value);
	if (err)
		return err;
	rule->subclass = (int)value;
	return 0;
}

static int load_nested(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;
	size_t length;
	int err;

	err = expect_sequence(ld, node, "nested rules", &length);
	if (err || !length)
		return err;
	rules->nested = calloc(length, sizeof(*rules->nested));
	if (!rules->nested)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		err = load_nested_rule(ld, sequence_item(ld, node, i),
				       &rules->nested[rules->nr_nested++]);
		if (err)
			return err;
	}
	return 0;
}

/* --- alerts ------------------------------------------------------------------ */

/* Indexed by bit number of RULES_ALERT_*. */
static const char *const alert_actions[] = { "journal", "kmsg", "json" };

#define ALERT_RATE_MAX	  1000000u
#define ALERT_TIMEOUT_MAX 3600u
#define ALL_FINDING_KINDS ((1u << FINDING_KIND_MAX) - 1)

static int load_alert_kinds(const struct loader *ld, const yaml_node_t *node,
			    struct rules_alert *alert)
{
	size_t length;
	int err;

	err = expect_sequence(ld, node, "finding kinds", &length);
	if (err)
		return err;
	if (!length)
		return fail(ld, node->start_mark,
			    "expected at least one kind (leave 'kinds' out for every kind)");
	alert->kinds = 0;
	for (size_t i = 0; i < length; i++) {
		const yaml_node_t *item = sequence_item(ld, node, i);
		int kind = -1;

		if (item->type == YAML_SCALAR_NODE)
			kind = finding_kind_from_name(scalar_value(item));
		if (kind < 0)
			return fail(ld, item->start_mark,
				    "expected kind circular, reclaim, order or recursive");
		if (alert->kinds & (1u << kind))
			return fail(ld, item->start_mark,
				    "kind '%s' appears twice in the alert's kinds",
				    scalar_value(item));
		alert->kinds |= 1u << kind;
	}
	return 0;
}

static int load_alert_actions(const struct loader *ld, const yaml_node_t *node,
			      struct rules_alert *alert)
{
	size_t length;
	int err;

	err = expect_sequence(ld, node, "actions", &length);
	if (err)
		return err;
	for (size_t i = 0; i < length; i++) {
		const yaml_node_t *item = sequence_item(ld, node, i);
		unsigned int bit = 0;

		for (size_t a = 0; a < ARRAY_SIZE(alert_actions); a++)
			if (item->type == YAML_SCALAR_NODE &&
			    strcmp(scalar_value(item), alert_actions[a]) == 0)
				bit = 1u << a;
		if (!bit)
			return fail(
				ld, item->start_mark,
				"expected action journal, kmsg or json (a command goes under exec:)");
		if (alert->actions & bit)
			return fail(ld, item->start_mark,
				    "action '%s' appears twice in the alert's actions",
				    scalar_value(item));
		alert->actions |= bit;
	}
	return 0;
}

/* "10/min": count and period in seconds. */
static bool parse_rate(const char *text, unsigned int *ret_count, unsigned int *ret_period)
{
	static const struct {
		const char *unit;
		unsigned int seconds;
	} units[] = { { "s", 1 }, { "min", 60 }, { "hour", 3600 } };
	unsigned long count = 0;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		count = count * 10 + (unsigned long)(*p - '0');
		if (count > ALERT_RATE_MAX)
			return false;
	}
	if (*p++ != '/' || count == 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(p, units[i].unit) == 0) {
			*ret_count = (unsigned int)count;
			*ret_period = units[i].seconds;
			return true;
		}
	}
	return false;
}

static int load_alert_rate(const struct loader *ld, const yaml_node_t *node,
			   struct rules_alert *alert)
{
	const char *text = NULL;
	int err;

	err = expect_string(ld, node, "a rate like 10/min", &text);
	if (err)
		return err;
	if (!parse_rate(text, &alert->rate_count, &alert->rate_period))
		return fail(ld, node->start_mark,
			    "expected a rate like 10/min (N/s, N/min or N/hour, N from 1 to %u), "
			    "got '%s'",
			    ALERT_RATE_MAX, text);
	return 0;
}

static int load_alert(const struct loader *ld, const yaml_node_t *node, struct rules_alert *alert)
{
	static const char *const keys[] = { "kinds", "classes",	     "actions",
					    "exec",  "exec_timeout", "rate_limit" };
	const yaml_node_t *value;
	int err;

	alert->kinds = ALL_FINDING_KINDS;
	alert->exec_timeout = RULES_ALERT_EXEC_TIMEOUT_DEFAULT;
	alert->file = strdup(ld->name);
	if (!alert->file)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	err = expect_mapping(ld, node, "an alert", keys, ARRAY_SIZE(keys));
	if (err)
		return err;
	value = mapping_get(ld, node, "kinds");
	if (value && (err = load_alert_kinds(ld, value, alert)))
		return err;
	value = mapping_get(ld, node, "classes");
	if (value) {
		err = load_class_list(ld, value, "the alert's classes", true, true, &alert->classes,
				      &alert->nr_classes);
		if (err)
			return err;
		if (!alert->nr_classes)
			return fail(
				ld, value->start_mark,
				"expected at least one class (leave 'classes' out for any class)");
	}
	value = mapping_get(ld, node, "actions");
	if (value && (err = load_alert_actions(ld, value, alert)))
		return err;
	value = mapping_get(ld, node, "exec");
	if (value && (err = expect_string_dup(ld, value, "a command line", &alert->exec)))
		return err;
	value = mapping_get(ld, node, "exec_timeout");
	if (value) {
		if (!alert->exec)
			return fail(ld, value->start_mark,
				    "expected exec_timeout only in an alert with exec");
		err = expect_uint(ld, value, "a time limit in seconds", 1, ALERT_TIMEOUT_MAX,
				  &alert->exec_timeout);
		if (err)
			return err;
	}
	value = mapping_get(ld, node, "rate_limit");
	if (value && (err = load_alert_rate(ld, value, alert)))
		return err;
	if (!alert->actions && !alert->exec)
		return fail(ld, node->start_mark,
			    "expected an alert with 'actions' or 'exec': it would send nothing");
	return 0;
}

static int load_alerts(struct loader *ld, const yaml_node_t *node)
{
	struct rules *rules = ld->rules;
	size_t length;
	int err;

	err = expect_sequence(ld, node, "alerts", &length);
	if (err || !length)
		return err;
	rules->alerts = calloc(length, sizeof(*rules->alerts));
	if (!rules->alerts)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		err = load_alert(ld, sequence_item(ld, node, i),
				 &rules->alerts[rules->nr_alerts++]);
		if (err)
			return err;
	}
	return 0;
}

/* --- the document ---------------------------------------------------------- */

static const struct section {
	const char *key;
	int (*load)(struct loader *ld, const yaml_node_t *value);
} sections[] = {
	{ "classes", load_classes }, /* first: the others refer to classes */
	{ "taint_reclaim", load_taint_reclaim },
	{ "order", load_order },
	{ "allow_nesting", load_allow_nesting },
	{ "suppress", load_suppress },
	{ "lock_args", load_lock_args },
	{ "novalidate", load_novalidate },
	{ "nested", load_nested },
	{ "alerts", load_alerts },
};

#define NR_SECTIONS ARRAY_SIZE(sections)

static int load_root(struct loader *ld, const yaml_node_t *root)
{
	const char *keys[NR_SECTIONS];
	int err;

	/* An empty file, or one holding only comments, is an empty rule set. */
	if (!root || node_is_null(root))
		return 0;
	for (size_t i = 0; i < NR_SECTIONS; i++)
		keys[i] = sections[i].key;
	err = expect_mapping(ld, root, "the rules file", keys, NR_SECTIONS);
	if (err)
		return err;
	for (size_t i = 0; i < NR_SECTIONS; i++) {
		const yaml_node_t *value = mapping_get(ld, root, sections[i].key);

		if (!value)
			continue;
		err = sections[i].load(ld, value);
		if (err)
			return err;
	}
	return 0;
}

/* libyaml gives reader errors (bad encoding) as a byte offset only. */
static yaml_mark_t mark_of_offset(const struct loader *ld, size_t offset)
{
	yaml_mark_t mark = { .index = offset };

	for (size_t i = 0; i < offset && i < ld->len; i++) {
		if (ld->buf[i] == '\n') {
			mark.line++;
			mark.column = 0;
		} else {
			mark.column++;
		}
	}
	return mark;
}

static int parser_fail(const struct loader *ld, const yaml_parser_t *parser)
{
	yaml_mark_t mark = parser->problem_mark;
	const char *problem = parser->problem ?: "invalid YAML";

	if (parser->error == YAML_MEMORY_ERROR)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	if (parser->error == YAML_READER_ERROR)
		mark = mark_of_offset(ld, parser->problem_offset);
	if (parser->context)
		return fail(ld, mark, "%s (%s)", problem, parser->context);
	return fail(ld, mark, "%s", problem);
}

static int parse_document(struct loader *ld)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int err;

	if (!yaml_parser_initialize(&parser))
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)ld->buf, ld->len);
	if (!yaml_parser_load(&parser, &doc)) {
		err = parser_fail(ld, &parser);
		yaml_parser_delete(&parser);
		return err;
	}
	ld->doc = &doc;
	err = load_root(ld, yaml_document_get_root_node(&doc));
	if (!err) {
		/* A second document would be silently ignored: refuse it. */
		if (!yaml_parser_load(&parser, &extra)) {
			err = parser_fail(ld, &parser);
		} else {
			yaml_node_t *extra_root = yaml_document_get_root_node(&extra);

			if (extra_root)
				err = fail(ld, extra_root->start_mark,
					   "expected the end of the file: one YAML document only");
			yaml_document_delete(&extra);
		}
	}
	ld->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return err;
}

int rules__load_buffer_after(const char *name, const char *buf, size_t len,
			     const struct rules *earlier, struct rules **ret_rules)
{
	struct loader ld = { .name = name, .buf = buf, .len = len, .earlier = earlier };
	int err;

	ld.rules = calloc(1, sizeof(*ld.rules));
	if (!ld.rules)
		return log_error_errno(-ENOMEM, "%s: out of memory", name);
	ld.rules->path = strdup(name);
	if (!ld.rules->path) {
		err = log_error_errno(-ENOMEM, "%s: out of memory", name);
		goto cleanup;
	}
	err = parse_document(&ld);
	if (err)
		goto cleanup;
	*ret_rules = ld.rules;
	return 0;
cleanup:
	rules__free(ld.rules);
	return err;
}

int rules__load_buffer(const char *name, const char *buf, size_t len, struct rules **ret_rules)
{
	return rules__load_buffer_after(name, buf, len, NULL, ret_rules);
}

static int read_file(const char *path, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, size = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "%s: %m", path);
	/* Read to the end rather than trusting st_size: pipes and /dev/stdin have none. */
	for (;;) {
		ssize_t n;

		if (len == size) {
			char *grown;

			if (size > RULES_MAX_FILE_SIZE) {
				err = log_error_errno(
					-EFBIG, "%s: larger than %u MiB, expected a rules file",
					path, RULES_MAX_FILE_SIZE >> 20);
				goto cleanup;
			}
			size = size ? size * 2 : 16384;
			grown = realloc(buf, size);
			if (!grown) {
				err = log_error_errno(-ENOMEM, "%s: out of memory", path);
				goto cleanup;
			}
			buf = grown;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = log_error_errno(-errno, "%s: %m", path);
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return err;
}

int rules__load_after(const char *path, const struct rules *earlier, struct rules **ret_rules)
{
	char *buf;
	size_t len;
	int err;

	err = read_file(path, &buf, &len);
	if (err)
		return err;
	err = rules__load_buffer_after(path, buf, len, earlier, ret_rules);
	free(buf);
	return err;
}

int rules__load(const char *path, struct rules **ret_rules)
{
	return rules__load_after(path, NULL, ret_rules);
}

/*
 * Loads the files in order into *all (NULL: the first file becomes it),
 * each after what is already there. On error *all is left as it was
 * before the failing file, for the caller to free.
 */
static int rules_load_into(struct rules **all, char **paths, size_t nr_paths)
{
	for (size_t i = 0; i < nr_paths; i++) {
		struct rules *rules;
		int err;

		err = rules__load_after(paths[i], *all, &rules);
		if (err)
			return err;
		if (!*all) {
			*all = rules;
			continue;
		}
		err = rules__merge(*all, rules);
		rules__free(rules);
		if (err)
			return err;
	}
	return 0;
}

int rules_load_all(char **paths, size_t nr_paths, struct rules **ret_rules)
{
	struct rules *all = NULL;
	int err;

	err = rules_load_into(&all, paths, nr_paths);
	if (err) {
		rules__free(all);
		return err;
	}
	*ret_rules = all;
	return 0;
}

/* rules/kernel.yaml, as the build made it into a C string (Makefile). */
#include "kernel_rules.h"

int rules_load_with_defaults(char **paths, size_t nr_paths, bool defaults, struct rules **ret_rules)
{
	struct rules *all = NULL, *files = NULL;
	int err;

	if (!defaults)
		return rules_load_all(paths, nr_paths, ret_rules);
	err = rules__load_buffer(RULES_DEFAULT_NAME, kernel_rules_yaml,
				 sizeof(kernel_rules_yaml) - 1, &all);
	if (err)
		return err;
	/* The defaults define no classes, so the files need not be loaded after them. */
	err = rules_load_all(paths, nr_paths, &files);
	if (!err && files)
		err = rules__merge(all, files);
	rules__free(files);
	if (err) {
		rules__free(all);
		return err;
	}
	*ret_rules = all;
	return 0;
}
