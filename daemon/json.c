// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A recursive-descent JSON reader (RFC 8259), bounded in depth. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Deeper nesting is no lockdepd file: refuse it before the stack suffers. */
#define JSON_MAX_DEPTH 64

struct parser {
	const char *p;
	const char *end;
	const char *start;
	const char *error;
	const char *error_at;
	bool oom;
};

static int fail(struct parser *ps, const char *what)
{
	if (!ps->error) {
		ps->error = what;
		ps->error_at = ps->p;
	}
	return -EINVAL;
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct json_value *value_new(struct parser *ps, enum json_type type)
{
	struct json_value *v = calloc(1, sizeof(*v));

	if (!v)
		ps->oom = true;
	else
		v->type = type;
	return v;
}

void json_free(struct json_value *value)
{
	if (!value)
		return;
	for (size_t i = 0; i < value->nr; i++) {
		json_free(value->items[i]);
		if (value->keys)
			free(value->keys[i]);
	}
	free(value->items);
	free(value->keys);
	free(value->string);
	free(value);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex4(struct parser *ps, unsigned int *ret)
{
	unsigned int v = 0;

	if (ps->end - ps->p < 4)
		return fail(ps, "a \\u escape needs four hex digits");
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(ps->p[i]);

		if (d < 0)
			return fail(ps, "a \\u escape needs four hex digits");
		v = v << 4 | (unsigned int)d;
	}
	ps->p += 4;
	*ret = v;
	return 0;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The code point of a \u escape (the backslash and 'u' already read), pairs joined. */
static int read_escape_u(struct parser *ps, unsigned int *ret_cp)
{
	unsigned int cp, low;
	int err = read_hex4(ps, &cp);

	if (err)
		return err;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(ps, "a lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
			return fail(ps, "a high surrogate without its low half");
		ps->p += 2;
		err = read_hex4(ps, &low);
		if (err)
			return err;
		if (low < 0xdc00 || low > 0xdfff)
			return fail(ps, "a high surrogate without its low half");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	*ret_cp = cp;
	return 0;
}

/* A string literal at ps->p (on its opening quote) into a new NUL-terminated buffer. */
static int parse_string_raw(struct parser *ps, char **ret)
{
	/* Decoding never makes a string longer than its literal. */
	const char *q = ps->p + 1;
	size_t cap = 0;
	char *out, *w;

	while (q < ps->end && *q != '"') {
		if (*q == '\\' && q + 1 < ps->end)
			q++;
		q++;
	}
	if (q >= ps->end)
		return fail(ps, "a string without its closing quote");
	cap = (size_t)(q - ps->p) + 1;
	out = malloc(cap);
	if (!out) {
		ps->oom = true;
		return -ENOMEM;
	}
	w = out;
	ps->p++;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;

		if (c < 0x20) {
			free(out);
			return fail(ps, "a control character inside a string");
		}
		if (c != '\\') {
			*w++ = (char)c;
			ps->p++;
			continue;
		}
		ps->p++;
		switch (*ps->p++) {
		case '"':
			*w++ = '"';
			break;
		case '\\':
			*w++ = '\\';
			break;
		case '/':
			*w++ = '/';
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'u': {
			const char *escape = ps->p - 2;
			unsigned int cp;

			if (read_escape_u(ps, &cp)) {
				free(out);
				return -EINVAL;
			}
			if (cp == 0) {
				free(out);
				ps->p = escape;
				return fail(ps, "a NUL character inside a string");
			}
			/* json_write_string()'s bytes come back as bytes (see json.h). */
			if (cp <= 0xff)
				*w++ = (char)cp;
			else
				w += put_utf8(w, cp);
			break;
		}
		default:
			ps->p--;
			free(out);
			return fail(ps, "an unknown escape in a string");
		}
	}
	ps->p++;
	*w = '\0';
	*ret = out;
	return 0;
}

static int parse_value(struct parser *ps, struct json_value **ret, unsigned int depth);

static int parse_number(struct parser *ps, struct json_value **ret)
{
	const char *s = ps->p;
	bool integer = true, negative = false;
	struct json_value *v;
	char buf[64];
	size_t len;

	if (ps->p < ps->end && *ps->p == '-') {
		negative = true;
		ps->p++;
	}
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return fail(ps, "a number needs a digit");
	if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
		return fail(ps, "a number with a leading zero");
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		integer = false;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "a fraction needs a digit");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integer = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "an exponent needs a digit");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	len = (size_t)(ps->p - s);
	if (len >= sizeof(buf))
		return fail(ps, "a number too long");
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = value_new(ps, JSON_NUMBER);
	if (!v)
		return -ENOMEM;
	v->number = strtod(buf, NULL);
	if (integer && !negative) {
		errno = 0;
		v->uint = strtoull(buf, NULL, 10);
		v->is_uint = errno == 0;
	}
	*ret = v;
	return 0;
}

static int parse_literal(struct parser *ps, const char *word, struct json_value **ret)
{
	size_t len = strlen(word);
	struct json_value *v;

	if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len) != 0)
		return fail(ps, "expected a value");
	ps->p += len;
	v = value_new(ps, word[0] == 'n' ? JSON_NULL : JSON_BOOL);
	if (!v)
		return -ENOMEM;
	v->boolean = word[0] == 't';
	*ret = v;
	return 0;
}

/* Appends item (and key, for objects) to v, taking ownership. */
static int append(struct parser *ps, struct json_value *v, char *key, struct json_value *item)
{
	struct json_value **items = realloc(v->items, (v->nr + 1) * sizeof(*items));
	char **keys;

	if (!items)
		goto oom;
	v->items = items;
	if (v->type == JSON_OBJECT) {
		keys = realloc(v->keys, (v->nr + 1) * sizeof(*keys));
		if (!keys)
			goto oom;
		v->keys = keys;
		v->keys[v->nr] = key;
	}
	v->items[v->nr++] = item;
	return 0;
oom:
	ps->oom = true;
	free(key);
	json_free(item);
	return -ENOMEM;
}

static int parse_array(struct parser *ps, struct json_value **ret, unsigned int depth)
{
	struct json_value *v = value_new(ps, JSON_ARRAY);
	int err;

	if (!v)
		return -ENOMEM;
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		*ret = v;
		return 0;
	}
	for (;;) {
		struct json_value *item = NULL;

		err = parse_value(ps, &item, depth + 1);
		if (!err)
			err = append(ps, v, NULL, item);
		if (err)
			goto cleanup;
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			break;
		}
		err = fail(ps, "expected ',' or ']' in an array");
		goto cleanup;
	}
	*ret = v;
	return 0;
cleanup:
	json_free(v);
	return err;
}

static int parse_object(struct parser *ps, struct json_value **ret, unsigned int depth)
{
	struct json_value *v = value_new(ps, JSON_OBJECT);
	int err;

	if (!v)
		return -ENOMEM;
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		*ret = v;
		return 0;
	}
	for (;;) {
		struct json_value *item = NULL;
		char *key = NULL;

		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			err = fail(ps, "expected a string key in an object");
			goto cleanup;
		}
		err = parse_string_raw(ps, &key);
		if (err)
			goto cleanup;
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			free(key);
			err = fail(ps, "expected ':' after a key");
			goto cleanup;
		}
		ps->p++;
		err = parse_value(ps, &item, depth + 1);
		if (err) {
			free(key);
			goto cleanup;
		}
		err = append(ps, v, key, item);
		if (err)
			goto cleanup;
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			break;
		}
		err = fail(ps, "expected ',' or '}' in an object");
		goto cleanup;
	}
	*ret = v;
	return 0;
cleanup:
	json_free(v);
	return err;
}

static int parse_value(struct parser *ps, struct json_value **ret, unsigned int depth)
{
	struct json_value *v;
	int err;

	if (depth > JSON_MAX_DEPTH)
		return fail(ps, "nested too deeply");
	skip_space(ps);
	if (ps->p >= ps->end)
		return fail(ps, "expected a value");
	switch (*ps->p) {
	case '{':
		return parse_object(ps, ret, depth);
	case '[':
		return parse_array(ps, ret, depth);
	case '"':
		v = value_new(ps, JSON_STRING);
		if (!v)
			return -ENOMEM;
		err = parse_string_raw(ps, &v->string);
		if (err) {
			json_free(v);
			return err;
		}
		*ret = v;
		return 0;
	case 't':
		return parse_literal(ps, "true", ret);
	case 'f':
		return parse_literal(ps, "false", ret);
	case 'n':
		return parse_literal(ps, "null", ret);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps, ret);
		return fail(ps, "expected a value");
	}
}

int json_parse(const char *text, size_t len, struct json_value **ret_value, char *ret_error,
	       size_t error_len, size_t *ret_offset)
{
	struct parser ps = { .p = text, .end = text + len, .start = text };
	struct json_value *v = NULL;
	int err;

	err = parse_value(&ps, &v, 0);
	if (!err) {
		skip_space(&ps);
		if (ps.p != ps.end) {
			json_free(v);
			err = fail(&ps, "unexpected text after the value");
		}
	}
	if (ps.oom)
		return -ENOMEM;
	if (err) {
		if (ret_error && error_len)
			snprintf(ret_error, error_len, "%s", ps.error ? ps.error : "invalid JSON");
		if (ret_offset)
			*ret_offset = (size_t)((ps.error_at ? ps.error_at : ps.p) - text);
		return -EINVAL;
	}
	*ret_value = v;
	return 0;
}

const struct json_value *json_get(const struct json_value *object, const char *key)
{
	if (!object || object->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < object->nr; i++)
		if (strcmp(object->keys[i], key) == 0)
			return object->items[i];
	return NULL;
}
