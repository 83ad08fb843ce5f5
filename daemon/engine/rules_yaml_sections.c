// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sections of a rules file, one loader each, on the primitives of
 * rules_yaml.c: what each key holds and how it is checked. rules_sections[]
 * is the table rules_yaml.c runs, in its order: `classes` comes first so
 * that every later section can check the class names it refers to. A new
 * section is a new entry and its function.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "engine/finding.h"
#include "lockdepd_event.h"
#include "lib/log.h"
#include "lib/macro.h"
#include "engine/rules.h"
#include "engine/rules_yaml.h"

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
		return loader_fail(ld, node->start_mark, "expected a class with a 'name' key");
	err = expect_string(ld, name, "a class name", &name_text);
	if (err)
		return err;
	if (strcmp(name_text, FS_RECLAIM_CLASS) == 0)
		return loader_fail(
			ld, name->start_mark,
			"expected a class name other than fs_reclaim, the built-in reclaim pseudo-lock");
	other = find_class(ld->rules, name_text);
	if (other) {
		yaml_mark_t other_mark = first_class_mark(ld, classes, other->name);

		return loader_fail(
			ld, name->start_mark,
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

/*
 * A list of `what` into a fresh array of `size`-byte items, each loaded by
 * load_item. *nr counts every item begun, so that rules__free() also frees
 * the one that failed half-way.
 */
static int
load_items(const struct loader *ld, const yaml_node_t *node, const char *what, size_t size,
	   int (*load_item)(const struct loader *ld, const yaml_node_t *node, void *item),
	   void **array, size_t *nr)
{
	size_t length;
	int err;

	err = expect_sequence(ld, node, what, &length);
	if (err || !length)
		return err;
	*array = calloc(length, size);
	if (!*array)
		return log_error_errno(-ENOMEM, "%s: out of memory", ld->name);
	for (size_t i = 0; i < length; i++) {
		err = load_item(ld, sequence_item(ld, node, i), (char *)*array + (*nr)++ * size);
		if (err)
			return err;
	}
	return 0;
}

/* --- suppress -------------------------------------------------------------- */

static int load_suppression(const struct loader *ld, const yaml_node_t *node, void *item)
{
	struct rules_suppress *s = item;
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
			return loader_fail(
				ld, kind->start_mark,
				"expected kind circular, reclaim, order or recursive (or no kind for any)");
	}
	classes = mapping_get(ld, node, "classes");
	if (!classes)
		return loader_fail(ld, node->start_mark,
				   "expected a suppression with 'classes' (the finding's classes)");
	err = load_class_list(ld, classes, "the suppression's classes", true, true, &s->classes,
			      &s->nr_classes);
	if (err)
		return err;
	if (!s->nr_classes)
		return loader_fail(ld, classes->start_mark,
				   "expected at least one class: an empty set matches no finding");
	reason = mapping_get(ld, node, "reason");
	if (reason)
		return expect_string_dup(ld, reason, "a reason", &s->reason);
	return 0;
}

static int load_suppress(struct loader *ld, const yaml_node_t *node)
{
	return load_items(ld, node, "suppressions", sizeof(*ld->rules->suppress), load_suppression,
			  (void **)&ld->rules->suppress, &ld->rules->nr_suppress);
}

/* --- lock_args ----------------------------------------------------------- */

static int lock_arg_field(const struct loader *ld, const yaml_node_t *node, const char *key,
			  const yaml_node_t **ret_value)
{
	const yaml_node_t *value = mapping_get(ld, node, key);

	if (!value)
		return loader_fail(ld, node->start_mark, "expected a lock_args rule with '%s'",
				   key);
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
		return loader_fail(ld, at->start_mark, "expected 'entry' or 'exit', got '%s'",
				   text);
	la->at_entry = strcmp(text, "entry") == 0;
	return 0;
}

/* A path of "." and "->" steps, copied; `what` says what it must lead to. */
static int expect_member_path(const struct loader *ld, const yaml_node_t *node, const char *what,
			      char **ret_path)
{
	const char *path;
	int err;

	err = expect_string(ld, node, "a member path", &path);
	if (err)
		return err;
	if (!is_member_path(path))
		return loader_fail(ld, node->start_mark, "expected %s, got '%s'", what, path);
	return expect_string_dup(ld, node, "a member path", ret_path);
}

/* `key`: a member path to the string that keys the class at run time. */
static int load_lock_arg_key(const struct loader *ld, const yaml_node_t *node,
			     struct rules_lock_arg *la)
{
	const yaml_node_t *key = mapping_get(ld, node, "key");

	if (!key)
		return 0;
	return expect_member_path(ld, key, "a key path to a string like 'i_sb->s_type->name'",
				  &la->key);
}

/* A mask or a value: decimal, or hex with 0x, as C writes S_IFMT. */
static int expect_u64(const struct loader *ld, const yaml_node_t *node, const char *what,
		      unsigned long long *ret_value)
{
	const char *text = "";
	unsigned long long value;
	char *end;

	if (node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		text = scalar_value(node);
	errno = 0;
	value = isdigit((unsigned char)*text) ? strtoull(text, &end, 0) : 0;
	if (!isdigit((unsigned char)*text) || *end || errno)
		return loader_fail(ld, node->start_mark,
				   "expected %s, a number (decimal or 0x hex), got '%s'", what,
				   text);
	*ret_value = value;
	return 0;
}

/* `when: {member, mask, equals}`: the rule fires only for objects whose member matches. */
static int load_lock_arg_when(const struct loader *ld, const yaml_node_t *node,
			      struct rules_lock_arg *la)
{
	static const char *const keys[] = { "member", "mask", "equals" };
	const yaml_node_t *when = mapping_get(ld, node, "when");
	const yaml_node_t *member, *mask, *equals;
	int err;

	if (!when)
		return 0;
	err = expect_mapping(ld, when, "a condition", keys, ARRAY_SIZE(keys));
	if (err)
		return err;
	member = mapping_get(ld, when, "member");
	mask = mapping_get(ld, when, "mask");
	equals = mapping_get(ld, when, "equals");
	if (!member || !mask || !equals)
		return loader_fail(ld, when->start_mark,
				   "expected a condition with 'member', 'mask' and 'equals'");
	err = expect_u64(ld, mask, "a mask", &la->when_mask)
		      ?: expect_u64(ld, equals, "a value", &la->when_equals);
	if (err)
		return err;
	if (la->when_equals & ~la->when_mask)
		return loader_fail(
			ld, equals->start_mark,
			"expected a value inside the mask 0x%llx, got 0x%llx: it could never match",
			la->when_mask, la->when_equals);
	return expect_member_path(ld, member, "a member path to an integer like 'i_mode'",
				  &la->when_member);
}

static int load_lock_arg(const struct loader *ld, const yaml_node_t *node, void *item)
{
	struct rules_lock_arg *la = item;
	static const char *const keys[] = { "function",	    "arg", "type", "member", "class",
					    "subclass_arg", "at",  "key",  "when" };
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
		return loader_fail(
			ld, member->start_mark,
			"expected a member path like 'mutex', 'vma.lock' or 'vm->mutex', got '%s'",
			path);
	err = expect_string_dup(ld, member, "a member path", &la->member) ?:
	      expect_class_ref(ld, class, false, &la->class_name) ?:
	      load_lock_arg_at(ld, node, la) ?: load_lock_arg_key(ld, node, la) ?:
	      load_lock_arg_when(ld, node, la);
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
		return loader_fail(
			ld, subclass_arg->start_mark,
			"expected a subclass_arg other than arg %u (the lock's own argument)",
			la->arg);
	return 0;
}

static int load_lock_args(struct loader *ld, const yaml_node_t *node)
{
	return load_items(ld, node, "lock_args rules", sizeof(*ld->rules->lock_args), load_lock_arg,
			  (void **)&ld->rules->lock_args, &ld->rules->nr_lock_args);
}

/* --- kernel annotations ------------------------------------------------------- */

static int required_field(const struct loader *ld, const yaml_node_t *node, const char *what,
			  const char *key, const yaml_node_t **ret_value)
{
	const yaml_node_t *value = mapping_get(ld, node, key);

	if (!value)
		return loader_fail(ld, node->start_mark, "expected %s with '%s'", what, key);
	*ret_value = value;
	return 0;
}

static int load_novalidate_rule(const struct loader *ld, const yaml_node_t *node, void *item)
{
	struct rules_novalidate *rule = item;
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
	return load_items(ld, node, "novalidate rules", sizeof(*ld->rules->novalidate),
			  load_novalidate_rule, (void **)&ld->rules->novalidate,
			  &ld->rules->nr_novalidate);
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
		return loader_fail(
			ld, node->start_mark,
			"expected a lock type (mutex, rwsem_read, rwsem_write or rwsem), got '%s'",
			type);
	return 0;
}

static int load_nested_rule(const struct loader *ld, const yaml_node_t *node, void *item)
{
	struct rules_nested *rule = item;
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
		return loader_fail(ld, lock->start_mark,
				   "expected a lock member name (a C identifier) or '*', got '%s'",
				   text);
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
	return load_items(ld, node, "nested rules", sizeof(*ld->rules->nested), load_nested_rule,
			  (void **)&ld->rules->nested, &ld->rules->nr_nested);
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
		return loader_fail(ld, node->start_mark,
				   "expected at least one kind (leave 'kinds' out for every kind)");
	alert->kinds = 0;
	for (size_t i = 0; i < length; i++) {
		const yaml_node_t *item = sequence_item(ld, node, i);
		int kind = -1;

		if (item->type == YAML_SCALAR_NODE)
			kind = finding_kind_from_name(scalar_value(item));
		if (kind < 0)
			return loader_fail(ld, item->start_mark,
					   "expected kind circular, reclaim, order or recursive");
		if (alert->kinds & (1u << kind))
			return loader_fail(ld, item->start_mark,
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
			return loader_fail(
				ld, item->start_mark,
				"expected action journal, kmsg or json (a command goes under exec:)");
		if (alert->actions & bit)
			return loader_fail(ld, item->start_mark,
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
		return loader_fail(
			ld, node->start_mark,
			"expected a rate like 10/min (N/s, N/min or N/hour, N from 1 to %u), "
			"got '%s'",
			ALERT_RATE_MAX, text);
	return 0;
}

static int load_alert(const struct loader *ld, const yaml_node_t *node, void *item)
{
	struct rules_alert *alert = item;
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
			return loader_fail(
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
			return loader_fail(ld, value->start_mark,
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
		return loader_fail(
			ld, node->start_mark,
			"expected an alert with 'actions' or 'exec': it would send nothing");
	return 0;
}

static int load_alerts(struct loader *ld, const yaml_node_t *node)
{
	return load_items(ld, node, "alerts", sizeof(*ld->rules->alerts), load_alert,
			  (void **)&ld->rules->alerts, &ld->rules->nr_alerts);
}

/* --- the sections, in the order they load ----------------------------------- */

const struct rules_section rules_sections[] = {
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

const size_t rules_nr_sections = ARRAY_SIZE(rules_sections);
