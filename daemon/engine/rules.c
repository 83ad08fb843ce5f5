// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Questions the engine asks of loaded rules. Loading and validation live in
 * rules_yaml.c; this file never sees YAML.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "lib/log.h"
#include "engine/rules.h"

static bool string_in(char *const *list, size_t nr, const char *s)
{
	for (size_t i = 0; i < nr; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

const char *rules__class_for(const struct rules *rules, const char *lock_name)
{
	if (!rules || !lock_name)
		return NULL;
	for (size_t i = 0; i < rules->nr_classes; i++) {
		const struct rules_class *class = &rules->classes[i];

		for (size_t j = 0; j < class->nr_match; j++)
			if (fnmatch(class->match[j], lock_name, 0) == 0)
				return class->name;
	}
	return NULL;
}

bool rules__class_is_keyed(const struct rules *rules, const char *class_name)
{
	if (!rules || !class_name)
		return false;
	for (size_t i = 0; i < rules->nr_lock_args; i++)
		if (rules->lock_args[i].key &&
		    strcmp(rules->lock_args[i].class_name, class_name) == 0)
			return true;
	return false;
}

int rules__order_index(const struct rules *rules, const char *class_name)
{
	if (!rules)
		return -1;
	for (size_t i = 0; i < rules->nr_order; i++)
		if (strcmp(rules->order[i], class_name) == 0)
			return (int)i;
	return -1;
}

bool rules__allows_nesting(const struct rules *rules, const char *class_name)
{
	return rules && string_in(rules->allow_nesting, rules->nr_allow_nesting, class_name);
}

bool rules__is_reclaim_tainted(const struct rules *rules, const char *class_name)
{
	return rules && string_in(rules->taint_reclaim, rules->nr_taint_reclaim, class_name);
}

bool rules__is_novalidate(const struct rules *rules, const char *init_name, const char *site)
{
	if (!rules || !init_name || !site)
		return false;
	for (size_t i = 0; i < rules->nr_novalidate; i++)
		if (strcmp(rules->novalidate[i].site, site) == 0 &&
		    fnmatch(rules->novalidate[i].name, init_name, 0) == 0)
			return true;
	return false;
}

/*
 * The member a class name ends in: "&inode->i_rwsem#2/1" ends in i_rwsem,
 * "vm->mutex" in mutex, a static lock "console_mutex" in itself.
 */
static size_t class_member(const char *name, const char **ret_member)
{
	size_t len = strcspn(name, "#/");
	size_t start = len;

	while (start > 0 && name[start - 1] != '>' && name[start - 1] != '.' &&
	       name[start - 1] != '&')
		start--;
	*ret_member = name + start;
	return len - start;
}

static bool nested_lock_matches(const struct rules_nested *rule, const char *member, size_t len)
{
	return strcmp(rule->lock, "*") == 0 ||
	       (strlen(rule->lock) == len && strncmp(rule->lock, member, len) == 0);
}

bool rules__has_nested(const struct rules *rules, const char *class_name)
{
	const char *member;
	size_t len;

	if (!rules || !rules->nr_nested)
		return false;
	len = class_member(class_name, &member);
	for (size_t i = 0; i < rules->nr_nested; i++)
		if (nested_lock_matches(&rules->nested[i], member, len))
			return true;
	return false;
}

int rules__nested_subclass(const struct rules *rules, const char *class_name,
			   unsigned int lock_type, const char *caller)
{
	const char *member;
	size_t len;

	if (!rules || !caller)
		return 0;
	len = class_member(class_name, &member);
	for (size_t i = 0; i < rules->nr_nested; i++) {
		const struct rules_nested *rule = &rules->nested[i];

		if (lock_type < 32 && (rule->lock_types & (1u << lock_type)) &&
		    strcmp(rule->caller, caller) == 0 && nested_lock_matches(rule, member, len))
			return rule->subclass;
	}
	return 0;
}

static bool class_sets_equal(char *const *set, size_t nr_set, const char *const *classes,
			     size_t nr_classes)
{
	if (nr_set != nr_classes)
		return false;
	for (size_t i = 0; i < nr_classes; i++)
		if (!string_in(set, nr_set, classes[i]))
			return false;
	return true;
}

const struct rules_suppress *rules__suppression_for(const struct rules *rules, int kind,
						    const char *const *classes, size_t nr_classes)
{
	if (!rules)
		return NULL;
	for (size_t i = 0; i < rules->nr_suppress; i++) {
		const struct rules_suppress *s = &rules->suppress[i];

		if (s->kind >= 0 && s->kind != kind)
			continue;
		if (class_sets_equal(s->classes, s->nr_classes, classes, nr_classes))
			return s;
	}
	return NULL;
}

static void string_list_free(char **list, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(list[i]);
	free(list);
}

void rules__free(struct rules *rules)
{
	if (!rules)
		return;
	for (size_t i = 0; i < rules->nr_classes; i++) {
		free(rules->classes[i].name);
		string_list_free(rules->classes[i].match, rules->classes[i].nr_match);
	}
	free(rules->classes);
	string_list_free(rules->taint_reclaim, rules->nr_taint_reclaim);
	string_list_free(rules->order, rules->nr_order);
	string_list_free(rules->allow_nesting, rules->nr_allow_nesting);
	for (size_t i = 0; i < rules->nr_suppress; i++) {
		string_list_free(rules->suppress[i].classes, rules->suppress[i].nr_classes);
		free(rules->suppress[i].reason);
	}
	free(rules->suppress);
	for (size_t i = 0; i < rules->nr_lock_args; i++) {
		struct rules_lock_arg *la = &rules->lock_args[i];

		free(la->function);
		free(la->type);
		free(la->member);
		free(la->class_name);
		free(la->key);
		free(la->when_member);
	}
	free(rules->lock_args);
	for (size_t i = 0; i < rules->nr_alerts; i++) {
		string_list_free(rules->alerts[i].classes, rules->alerts[i].nr_classes);
		free(rules->alerts[i].exec);
		free(rules->alerts[i].file);
	}
	for (size_t i = 0; i < rules->nr_novalidate; i++) {
		free(rules->novalidate[i].name);
		free(rules->novalidate[i].site);
	}
	free(rules->novalidate);
	for (size_t i = 0; i < rules->nr_nested; i++) {
		free(rules->nested[i].caller);
		free(rules->nested[i].lock);
	}
	free(rules->nested);
	free(rules->alerts);
	free(rules->path);
	free(rules);
}

/* Appends src[0..nr) to *dst (of *nr_dst), taking ownership of the elements. */
static int array_append(void **dst, size_t *nr_dst, void *src, size_t nr_src, size_t elem)
{
	size_t capacity = *nr_dst; /* the arrays hold no spare room */

	if (nr_src == 0)
		return 0;
	if (array_grow(dst, &capacity, *nr_dst + nr_src, elem, SIZE_MAX))
		return -ENOMEM;
	memcpy((char *)*dst + *nr_dst * elem, src, nr_src * elem);
	*nr_dst += nr_src;
	return 0;
}

#define APPEND_FIELD(dst, src, field, nr_field)                                            \
	do {                                                                               \
		err = array_append((void **)&(dst)->field, &(dst)->nr_field, (src)->field, \
				   (src)->nr_field, sizeof(*(src)->field));                \
		if (err)                                                                   \
			return err;                                                        \
		(src)->nr_field = 0;                                                       \
	} while (0)

int rules__merge(struct rules *rules, struct rules *more)
{
	int err;

	for (size_t i = 0; i < more->nr_classes; i++)
		for (size_t j = 0; j < rules->nr_classes; j++)
			if (strcmp(more->classes[i].name, rules->classes[j].name) == 0)
				return log_error_errno(
					-EINVAL, "%s: class '%s' is already defined in %s",
					more->path, more->classes[i].name, rules->path);
	if (more->nr_order && rules->nr_order)
		return log_error_errno(-EINVAL, "%s: an order is already declared in %s",
				       more->path, rules->path);
	APPEND_FIELD(rules, more, classes, nr_classes);
	APPEND_FIELD(rules, more, taint_reclaim, nr_taint_reclaim);
	APPEND_FIELD(rules, more, order, nr_order);
	APPEND_FIELD(rules, more, allow_nesting, nr_allow_nesting);
	APPEND_FIELD(rules, more, suppress, nr_suppress);
	APPEND_FIELD(rules, more, lock_args, nr_lock_args);
	APPEND_FIELD(rules, more, novalidate, nr_novalidate);
	APPEND_FIELD(rules, more, nested, nr_nested);
	APPEND_FIELD(rules, more, alerts, nr_alerts);
	return 0;
}
