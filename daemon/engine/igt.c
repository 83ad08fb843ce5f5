// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * IGT test attribution. The tracker keeps the binary, subtest and dynamic
 * subtest the markers announced, and interns every test name it builds, so
 * a dependency recorded during a test can keep a plain pointer to its name
 * for the whole run.
 */
#include <errno.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/igt.h"

#define IGT_MARKER "[IGT] "

struct igt_tracker {
	char *binary; /* NULL: no test running */
	char *subtest;
	char *dynamic;
	const char *current; /* interned, or NULL */
	void *names; /* tsearch tree of interned names */
};

int igt_tracker__new(struct igt_tracker **ret)
{
	struct igt_tracker *tracker = calloc(1, sizeof(*tracker));

	if (!tracker)
		return -ENOMEM;
	*ret = tracker;
	return 0;
}

void igt_tracker__free(struct igt_tracker *tracker)
{
	if (!tracker)
		return;
	tdestroy(tracker->names, free);
	free(tracker->binary);
	free(tracker->subtest);
	free(tracker->dynamic);
	free(tracker);
}

const char *igt_tracker__current(const struct igt_tracker *tracker)
{
	return tracker->current;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The interned copy of name (which the caller keeps ownership of), or NULL. */
static const char *intern_name(struct igt_tracker *tracker, const char *name)
{
	char **found = tfind(name, &tracker->names, compare_names);
	char *copy;

	if (found)
		return *found;
	copy = strdup(name);
	if (!copy)
		return NULL;
	found = tsearch(copy, &tracker->names, compare_names);
	if (!found) {
		free(copy);
		return NULL;
	}
	return *found;
}

static int update_current(struct igt_tracker *tracker)
{
	char *name = NULL;
	int len;

	if (!tracker->binary) {
		tracker->current = NULL;
		return 0;
	}
	if (tracker->subtest && tracker->dynamic)
		len = asprintf(&name, "igt@%s@%s@%s", tracker->binary, tracker->subtest,
			       tracker->dynamic);
	else if (tracker->subtest)
		len = asprintf(&name, "igt@%s@%s", tracker->binary, tracker->subtest);
	else
		len = asprintf(&name, "igt@%s", tracker->binary);
	if (len < 0)
		return -ENOMEM;
	tracker->current = intern_name(tracker, name);
	free(name);
	return tracker->current ? 0 : -ENOMEM;
}

/* Replaces *field with a copy of [s, s + len), or NULL for len 0. */
static int set_field(char **field, const char *s, size_t len)
{
	char *copy = NULL;

	if (len) {
		copy = strndup(s, len);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

static bool has_prefix(const char *s, size_t len, const char *prefix, size_t *ret_skip)
{
	size_t n = strlen(prefix);

	if (len < n || memcmp(s, prefix, n) != 0)
		return false;
	*ret_skip = n;
	return true;
}

static bool field_is(const char *field, const char *s, size_t len)
{
	return field && strlen(field) == len && memcmp(field, s, len) == 0;
}

static void clear_test(struct igt_tracker *tracker)
{
	set_field(&tracker->binary, NULL, 0);
	set_field(&tracker->subtest, NULL, 0);
	set_field(&tracker->dynamic, NULL, 0);
}

/* "finished subtest <name>, <RESULT>": leaves the dynamic subtest or the subtest. */
static void finish_subtest(struct igt_tracker *tracker, const char *name, size_t len)
{
	const char *comma = NULL;

	for (const char *p = name; p + 1 < name + len; p++)
		if (p[0] == ',' && p[1] == ' ')
			comma = p;
	if (comma)
		len = comma - name;
	if (field_is(tracker->dynamic, name, len)) {
		set_field(&tracker->dynamic, NULL, 0);
	} else if (field_is(tracker->subtest, name, len)) {
		set_field(&tracker->subtest, NULL, 0);
		set_field(&tracker->dynamic, NULL, 0);
	}
}

/* Applies "<binary>: <message>" to the state. */
static int apply_marker(struct igt_tracker *tracker, const char *line, size_t len)
{
	const char *sep = memmem(line, len, ": ", 2);
	const char *msg;
	size_t binary_len, msg_len, skip;
	bool same_binary;
	int err = 0;

	if (!sep || sep == line)
		return 0;
	binary_len = sep - line;
	msg = sep + 2;
	msg_len = len - binary_len - 2;
	same_binary = field_is(tracker->binary, line, binary_len);

	if (has_prefix(msg, msg_len, "executing", &skip)) {
		clear_test(tracker);
		err = set_field(&tracker->binary, line, binary_len);
	} else if (has_prefix(msg, msg_len, "starting dynamic subtest ", &skip)) {
		if (!same_binary || msg_len == skip)
			return 0;
		err = set_field(&tracker->dynamic, msg + skip, msg_len - skip);
	} else if (has_prefix(msg, msg_len, "starting subtest ", &skip)) {
		if (msg_len == skip)
			return 0;
		if (!same_binary) {
			clear_test(tracker);
			err = set_field(&tracker->binary, line, binary_len);
		}
		if (!err)
			err = set_field(&tracker->subtest, msg + skip, msg_len - skip);
		set_field(&tracker->dynamic, NULL, 0);
	} else if (has_prefix(msg, msg_len, "finished subtest ", &skip)) {
		if (!same_binary)
			return 0;
		finish_subtest(tracker, msg + skip, msg_len - skip);
	} else if (has_prefix(msg, msg_len, "exiting", &skip)) {
		if (!same_binary)
			return 0;
		clear_test(tracker);
	} else {
		return 0;
	}
	if (err)
		return err;
	return update_current(tracker);
}

int igt_tracker__feed(struct igt_tracker *tracker, const char *text, size_t len)
{
	const char *marker = memmem(text, len, IGT_MARKER, strlen(IGT_MARKER));
	const char *line;
	size_t line_len;

	if (!marker)
		return 0;
	line = marker + strlen(IGT_MARKER);
	/* The text may hold a NUL before len (a fixed-size buffer): stop there. */
	line_len = strnlen(line, len - (line - text));
	/* kmsg lines end with a newline; names never end with white space. */
	while (line_len && (line[line_len - 1] == '\n' || line[line_len - 1] == '\r' ||
			    line[line_len - 1] == ' ' || line[line_len - 1] == '\t'))
		line_len--;
	return apply_marker(tracker, line, line_len);
}
