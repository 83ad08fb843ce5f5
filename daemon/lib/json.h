/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one JSON writer: reports, status, probe tables and state files.
 *
 * Strings are bytes here (task names, kernel strings, symbol names), and
 * every one must come back byte for byte from a standard JSON reader. So:
 *
 *  - A string that is well-formed UTF-8 (RFC 3629: no overlongs, no
 *    surrogates, nothing above U+10FFFF) is written as a JSON string.
 *    '"' and '\' are escaped, control characters and DEL are written as
 *    \u00XX, everything else as it is.
 *  - Any other string is written, as journald's JSON export does, as an
 *    array of its byte values, numbers 1-255: "\xff" + "A" is [255,65].
 *    Escaping its bytes as \u00XX instead would read back as the code
 *    points U+00XX, other characters than the bytes written.
 *
 * A reader gets the bytes back from the string as decoded, or from the
 * numbers of the array; NULL is written as null. Keys are always strings.
 */
#ifndef LOCKDEPD_JSON_H
#define LOCKDEPD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

/* Whether len bytes at s are well-formed UTF-8 (as above). */
bool utf8_is_valid(const char *s, size_t len);

/* s as above: a JSON string, an array of bytes, or null for NULL. */
void json_write_string(FILE *out, const char *s);
/* `"key":`, after a ',' unless first. */
void json_write_key(FILE *out, const char *key, bool first);
/* The *_member helpers write `,"key":value`. */
void json_write_u64_member(FILE *out, const char *key, __u64 value);
void json_write_string_member(FILE *out, const char *key, const char *value);
void json_write_bool_member(FILE *out, const char *key, bool value);

#endif
