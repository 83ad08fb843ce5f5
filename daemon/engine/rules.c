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
	}
	free(rules->lock_args);
	for (size_t i = 0; i < rules->nr_alerts; i++) {
		string_list_free(rules->alerts[i].classes, rules->alerts[i].nr_classes);
		free(rules->alerts[i].exec);
		free(rules->alerts[i].file);
	}
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
	APPEND_FIELD(rules, more, alerts, nr_alerts);
	return 0;
}
