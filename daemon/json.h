/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small JSON reader for lockdepd's own files (the state file, one value
 * per line). Writing goes through report.h's json_write_string().
 *
 * Strings are decoded so that what json_write_string() wrote comes back
 * byte for byte: it escapes bytes that are not UTF-8 as \u00XX, so a
 * \u0000-\u00ff escape decodes to that single byte; higher escapes become
 * UTF-8. \u0000 itself is refused: names never hold NUL. Integers without
 * sign, fraction or exponent keep all 64 bits (counts, times).
 */
#ifndef LOCKDEPD_JSON_H
#define LOCKDEPD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	bool boolean;
	double number;
	__u64 uint; /* the number, when is_uint */
	bool is_uint; /* a non-negative integer that fits in 64 bits */
	char *string; /* NUL-terminated */
	struct json_value **items; /* array items, or object values */
	char **keys; /* object keys */
	size_t nr; /* items or members */
};

/*
 * Parses exactly one value (surrounding whitespace allowed). Returns 0, or
 * -EINVAL with a short reason in ret_error (its size len) and the byte
 * offset in *ret_offset, or -ENOMEM.
 */
int json_parse(const char *text, size_t len, struct json_value **ret_value, char *ret_error,
	       size_t error_len, size_t *ret_offset);
void json_free(struct json_value *value);

/* The member called key of an object, or NULL (also when value is no object). */
const struct json_value *json_get(const struct json_value *object, const char *key);

#endif
