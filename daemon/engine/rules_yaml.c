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
 * Each top-level key is a section with its own loader in rules_sections[]
 * (rules_yaml_sections.c), run in table order whatever the order in the
 * file: `classes` comes first so that every later section can check the
 * class names it refers to. This file holds the document and the values
 * every section reads, with their checks (rules_yaml.h).
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
#include "engine/rules_yaml.h"

/* Rules files are written by hand: anything this large is a mistake. */
#define RULES_MAX_FILE_SIZE (16u << 20)

__attribute__((format(printf, 3, 4))) int loader_fail(const struct loader *ld, yaml_mark_t mark,
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

yaml_node_t *node_at(const struct loader *ld, int index)
{
	return yaml_document_get_node(ld->doc, index);
}

const char *scalar_value(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A plain scalar YAML reads as null: `key:`, `key: ~`, `key: null`. */
bool node_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp(scalar_value(node), nulls[i]) == 0)
			return true;
	return false;
}

const char *node_kind_name(const yaml_node_t *node)
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

size_t sequence_length(const yaml_node_t *node)
{
	return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

yaml_node_t *sequence_item(const struct loader *ld, const yaml_node_t *node, size_t i)
{
	return node_at(ld, node->data.sequence.items.start[i]);
}

/* The scalar text of a node that must be a non-empty string. */
int expect_string(const struct loader *ld, const yaml_node_t *node, const char *what,
		  const char **ret_value)
{
	if (node->type != YAML_SCALAR_NODE || node_is_null(node))
		return loader_fail(ld, node->start_mark, "expected %s, got %s", what,
				   node_kind_name(node));
	if (strlen(scalar_value(node)) != node->data.scalar.length)
		return loader_fail(ld, node->start_mark,
				   "expected %s, got a string with a NUL byte", what);
	if (node->data.scalar.length == 0)
		return loader_fail(ld, node->start_mark, "expected %s, got an empty string", what);
	*ret_value = scalar_value(node);
	return 0;
}

int expect_string_dup(const struct loader *ld, const yaml_node_t *node, const char *what,
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
int expect_sequence(const struct loader *ld, const yaml_node_t *node, const char *what,
		    size_t *ret_length)
{
	if (node_is_null(node)) {
		*ret_length = 0;
		return 0;
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return loader_fail(ld, node->start_mark, "expected a list of %s, got %s", what,
				   node_kind_name(node));
	*ret_length = sequence_length(node);
	return 0;
}

int expect_uint(const struct loader *ld, const yaml_node_t *node, const char *what,
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
	return loader_fail(ld, node->start_mark, "expected %s, a number from %u to %u", what, min,
			   max);
}

bool is_identifier(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* "mutex", "vma.lock" or "vm->mutex": C member names joined by "." or "->". */
bool is_member_path(const char *s)
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

int expect_identifier(const struct loader *ld, const yaml_node_t *node, const char *what,
		      char **ret_value)
{
	const char *value = NULL;
	int err;

	err = expect_string(ld, node, what, &value);
	if (err)
		return err;
	if (!is_identifier(value))
		return loader_fail(ld, node->start_mark, "expected %s (a C identifier), got '%s'",
				   what, value);
	return expect_string_dup(ld, node, what, ret_value);
}

/*
 * Checks that a mapping's keys are all known and none repeats. `what` names
 * the mapping in messages ("a class", "the top level").
 */
int check_mapping_keys(const struct loader *ld, const yaml_node_t *node, const char *what,
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
			return loader_fail(ld, key->start_mark, "expected a key of %s (%s), got %s",
					   what, expected, node_kind_name(key));
		for (size_t i = 0; i < nr_keys; i++)
			if (strcmp(scalar_value(key), keys[i]) == 0)
				known = true;
		if (!known)
			return loader_fail(ld, key->start_mark,
					   "unknown key '%s' in %s: expected one of %s",
					   scalar_value(key), what, expected);
		for (yaml_node_pair_t *prev = node->data.mapping.pairs.start; prev < pair; prev++) {
			yaml_node_t *prev_key = node_at(ld, prev->key);

			if (strcmp(scalar_value(prev_key), scalar_value(key)) == 0)
				return loader_fail(ld, key->start_mark,
						   "duplicate key '%s' in %s (first at %zu:%zu)",
						   scalar_value(key), what,
						   prev_key->start_mark.line + 1,
						   prev_key->start_mark.column + 1);
		}
	}
	return 0;
}

yaml_node_t *mapping_get(const struct loader *ld, const yaml_node_t *node, const char *key)
{
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_at(ld, pair->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(scalar_value(k), key) == 0)
			return node_at(ld, pair->value);
	}
	return NULL;
}

int expect_mapping(const struct loader *ld, const yaml_node_t *node, const char *what,
		   const char *const *keys, size_t nr_keys)
{
	if (node->type != YAML_MAPPING_NODE)
		return loader_fail(ld, node->start_mark, "expected %s (a mapping), got %s", what,
				   node_kind_name(node));
	return check_mapping_keys(ld, node, what, keys, nr_keys);
}

const struct rules_class *find_class(const struct rules *rules, const char *name)
{
	for (size_t i = 0; i < rules->nr_classes; i++)
		if (strcmp(rules->classes[i].name, name) == 0)
			return &rules->classes[i];
	return NULL;
}

/* A class reference: a class defined under classes:, or fs_reclaim if allowed. */
int expect_class_ref(const struct loader *ld, const yaml_node_t *node, bool allow_fs_reclaim,
		     char **ret_name)
{
	const char *name = NULL;
	int err;

	err = expect_string(ld, node, "a class name", &name);
	if (err)
		return err;
	if (strcmp(name, FS_RECLAIM_CLASS) == 0) {
		if (!allow_fs_reclaim)
			return loader_fail(
				ld, node->start_mark,
				"expected a class defined under classes:, not fs_reclaim");
	} else if (!find_class(ld->rules, name) &&
		   !(ld->earlier && find_class(ld->earlier, name))) {
		return loader_fail(ld, node->start_mark,
				   "unknown class '%s': expected a class defined under classes:%s",
				   name, allow_fs_reclaim ? " or fs_reclaim" : "");
	}
	return expect_string_dup(ld, node, "a class name", ret_name);
}

/* The index of an earlier item of `seq` with the same scalar text, or -1. */
ssize_t find_earlier_item(const struct loader *ld, const yaml_node_t *seq, size_t i)
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
int load_class_list(const struct loader *ld, const yaml_node_t *node, const char *what,
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

			err = loader_fail(ld, item->start_mark,
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

/* --- the document ---------------------------------------------------------- */

static int load_root(struct loader *ld, const yaml_node_t *root)
{
	const char *keys[rules_nr_sections];
	int err;

	/* An empty file, or one holding only comments, is an empty rule set. */
	if (!root || node_is_null(root))
		return 0;
	for (size_t i = 0; i < rules_nr_sections; i++)
		keys[i] = rules_sections[i].key;
	err = expect_mapping(ld, root, "the rules file", keys, rules_nr_sections);
	if (err)
		return err;
	for (size_t i = 0; i < rules_nr_sections; i++) {
		const yaml_node_t *value = mapping_get(ld, root, rules_sections[i].key);

		if (!value)
			continue;
		err = rules_sections[i].load(ld, value);
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
		return loader_fail(ld, mark, "%s (%s)", problem, parser->context);
	return loader_fail(ld, mark, "%s", problem);
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
				err = loader_fail(
					ld, extra_root->start_mark,
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

/* rules/kernel.yaml and rules/kernel-hand.yaml, as the build made them into C strings (Makefile).
 */
#include "kernel_rules.h"

static const struct default_rules {
	const char *name;
	const char *yaml;
	size_t len;
} default_rules[] = {
	{ RULES_DEFAULT_NAME, kernel_rules_yaml, sizeof(kernel_rules_yaml) - 1 },
	{ RULES_DEFAULT_HAND_NAME, kernel_hand_rules_yaml, sizeof(kernel_hand_rules_yaml) - 1 },
};

int rules_load_with_defaults(char **paths, size_t nr_paths, bool defaults, struct rules **ret_rules)
{
	struct rules *all = NULL;
	int err = 0;

	if (!defaults)
		return rules_load_all(paths, nr_paths, ret_rules);
	for (size_t i = 0; i < ARRAY_SIZE(default_rules) && !err; i++) {
		const struct default_rules *d = &default_rules[i];
		struct rules *rules;

		err = rules__load_buffer_after(d->name, d->yaml, d->len, all, &rules);
		if (err)
			break;
		if (!all) {
			all = rules;
			continue;
		}
		err = rules__merge(all, rules);
		rules__free(rules);
	}
	/* After the defaults, so that a file may refine their classes. */
	if (!err)
		err = rules_load_into(&all, paths, nr_paths);
	if (err) {
		rules__free(all);
		return err;
	}
	*ret_rules = all;
	return 0;
}
