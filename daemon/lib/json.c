// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Writing JSON (see json.h for how strings that are no UTF-8 are written). */
#include <string.h>

#include "lib/json.h"

static bool is_utf8_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left, n >= 1), or
 * 0 when it is none.
 */
static size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return n >= 2 && is_utf8_continuation(s[1]) ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if (s[0] == 0xe0)
			lo = 0xa0;
		if (s[0] == 0xed)
			hi = 0x9f;
		return n >= 3 && s[1] >= lo && s[1] <= hi && is_utf8_continuation(s[2]) ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if (s[0] == 0xf0)
			lo = 0x90;
		if (s[0] == 0xf4)
			hi = 0x8f;
		return n >= 4 && s[1] >= lo && s[1] <= hi && is_utf8_continuation(s[2]) &&
				       is_utf8_continuation(s[3])
			       ? 4
			       : 0;
	}
	return 0;
}

bool utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (len) {
		size_t n = utf8_sequence_length(p, len);

		if (!n)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static void write_bytes(FILE *out, const unsigned char *p, size_t len)
{
	fputc('[', out);
	for (size_t i = 0; i < len; i++)
		fprintf(out, i ? ",%u" : "%u", p[i]);
	fputc(']', out);
}

void json_write_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	if (!s) {
		fputs("null", out);
		return;
	}
	len = strlen(s);
	if (!utf8_is_valid(s, len)) {
		write_bytes(out, p, len);
		return;
	}
	fputc('"', out);
	for (; *p; p++) {
		if (*p == '"')
			fputs("\\\"", out);
		else if (*p == '\\')
			fputs("\\\\", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void json_write_key(FILE *out, const char *key, bool first)
{
	if (!first)
		fputc(',', out);
	json_write_string(out, key);
	fputc(':', out);
}

void json_write_u64_member(FILE *out, const char *key, __u64 value)
{
	json_write_key(out, key, false);
	fprintf(out, "%llu", (unsigned long long)value);
}

void json_write_string_member(FILE *out, const char *key, const char *value)
{
	json_write_key(out, key, false);
	json_write_string(out, value);
}

void json_write_bool_member(FILE *out, const char *key, bool value)
{
	json_write_key(out, key, false);
	fputs(value ? "true" : "false", out);
}
