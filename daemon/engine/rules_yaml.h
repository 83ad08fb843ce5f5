/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside the rules loader: what rules_yaml.c (the document, the values and
 * their checks) shares with rules_yaml_sections.c (one loader per
 * top-level key). Not for the rest of the daemon, which uses rules.h.
 *
 * Every expect_*() and loader_fail() reports one line
 * "file:line:column: what was expected" and returns -EINVAL; ret_
 * parameters are untouched on failure.
 */
#ifndef LOCKDEPD_RULES_YAML_H
#define LOCKDEPD_RULES_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <yaml.h>

#include "engine/rules.h"

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

/* A top-level key and its loader; rules_sections[] is run in its order. */
struct rules_section {
	const char *key;
	int (*load)(struct loader *ld, const yaml_node_t *value);
};

extern const struct rules_section rules_sections[];
extern const size_t rules_nr_sections;

__attribute__((format(printf, 3, 4))) int loader_fail(const struct loader *ld, yaml_mark_t mark,
						      const char *fmt, ...);
yaml_node_t *node_at(const struct loader *ld, int index);
const char *scalar_value(const yaml_node_t *node);
bool node_is_null(const yaml_node_t *node);
const char *node_kind_name(const yaml_node_t *node);
size_t sequence_length(const yaml_node_t *node);
yaml_node_t *sequence_item(const struct loader *ld, const yaml_node_t *node, size_t i);
int expect_string(const struct loader *ld, const yaml_node_t *node, const char *what,
		  const char **ret_value);
int expect_string_dup(const struct loader *ld, const yaml_node_t *node, const char *what,
		      char **ret_value);
int expect_sequence(const struct loader *ld, const yaml_node_t *node, const char *what,
		    size_t *ret_length);
int expect_uint(const struct loader *ld, const yaml_node_t *node, const char *what,
		unsigned int min, unsigned int max, unsigned int *ret_value);
bool is_identifier(const char *s);
bool is_member_path(const char *s);
int expect_identifier(const struct loader *ld, const yaml_node_t *node, const char *what,
		      char **ret_value);
int check_mapping_keys(const struct loader *ld, const yaml_node_t *node, const char *what,
		       const char *const *keys, size_t nr_keys);
yaml_node_t *mapping_get(const struct loader *ld, const yaml_node_t *node, const char *key);
int expect_mapping(const struct loader *ld, const yaml_node_t *node, const char *what,
		   const char *const *keys, size_t nr_keys);
const struct rules_class *find_class(const struct rules *rules, const char *name);
int expect_class_ref(const struct loader *ld, const yaml_node_t *node, bool allow_fs_reclaim,
		     char **ret_name);
ssize_t find_earlier_item(const struct loader *ld, const yaml_node_t *seq, size_t i);
int load_class_list(const struct loader *ld, const yaml_node_t *node, const char *what,
		    bool allow_fs_reclaim, bool unique, char ***ret_list, size_t *ret_nr);

#endif
