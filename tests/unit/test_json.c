// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON writer (daemon/lib/json.c): what it writes for each kind of
 * string, and that a standard JSON reader (json-c) gets the same bytes
 * back, from the string or from the array of bytes written for a string
 * that is no UTF-8. test_state.c reads the same strings back through the
 * state reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "lib/json.h"
#include "lib/macro.h"

static char *json_string_of(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	json_write_string(out, s);
	assert_int_equal(fclose(out), 0);
	return text;
}

/* The bytes a standard reader makes of text, as a string (malloc'd). */
static char *read_back(const char *text)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *v;
	char *bytes = NULL;

	assert_non_null(tokener);
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
	v = json_tokener_parse_ex(tokener, text, (int)strlen(text) + 1);
	assert_int_equal(json_tokener_get_error(tokener), json_tokener_success);
	if (json_object_is_type(v, json_type_string)) {
		/* No NUL hides inside the string. */
		assert_int_equal(json_object_get_string_len(v), strlen(json_object_get_string(v)));
		bytes = strdup(json_object_get_string(v));
	} else {
		size_t n = json_object_array_length(v);

		assert_true(json_object_is_type(v, json_type_array));
		bytes = calloc(n + 1, 1);
		assert_non_null(bytes);
		for (size_t i = 0; i < n; i++) {
			struct json_object *byte = json_object_array_get_idx(v, i);

			assert_true(json_object_is_type(byte, json_type_int));
			assert_in_range(json_object_get_int64(byte), 1, 255);
			bytes[i] = (char)json_object_get_int64(byte);
		}
	}
	json_object_put(v);
	json_tokener_free(tokener);
	return bytes;
}

static void test_strings(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "", "\"\"" },
		{ "a\"b\\c/d", "\"a\\\"b\\\\c/d\"" },
		/* Control characters and DEL are escaped, the string is still UTF-8. */
		{ "\n\r\t\x01\x1f\x7f", "\"\\u000a\\u000d\\u0009\\u0001\\u001f\\u007f\"" },
		/* Well-formed UTF-8 passes through. */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"" },
		{ "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80"
		  "\xf4\x8f\xbf\xbf",
		  "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80"
		  "\xf4\x8f\xbf\xbf\"" },
		/* Anything else: the array of its bytes, as journald exports such fields. */
		{ "\xff", "[255]" },
		{ "\x80", "[128]" }, /* lone continuation */
		{ "a\xe9z", "[97,233,122]" },
		{ "\xc0\x80", "[192,128]" }, /* overlong NUL */
		{ "\xc1\xbf", "[193,191]" }, /* overlong DEL */
		{ "\xe0\x80\xaf", "[224,128,175]" }, /* overlong '/' */
		{ "\xf0\x82\x82\xac", "[240,130,130,172]" }, /* overlong euro sign */
		{ "\xed\xa0\x80", "[237,160,128]" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "[244,144,128,128]" }, /* > U+10FFFF */
		{ "\xf5\x80\x80\x80", "[245,128,128,128]" },
		{ "\xe2\x82", "[226,130]" }, /* truncated at the end */
		{ "\xe2\x82z", "[226,130,122]" }, /* truncated in the middle */
		{ "\xf0\x9f\x94", "[240,159,148]" },
		/* One bad byte makes the whole string bytes, quotes and all. */
		{ "\"\xff\\\n", "[34,255,92,10]" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = json_string_of(cases[i].in);
		char *bytes;

		assert_string_equal(text, cases[i].out);
		bytes = read_back(text);
		assert_string_equal(bytes, cases[i].in);
		free(bytes);
		free(text);
	}
	{
		char *text = json_string_of(NULL);

		assert_string_equal(text, "null");
		free(text);
	}
}

static void test_utf8_is_valid(void **state)
{
	assert_true(utf8_is_valid("", 0));
	assert_true(utf8_is_valid("a\xc3\xa9", 3));
	/* Only len bytes count: a sequence cut by len is no UTF-8. */
	assert_false(utf8_is_valid("a\xc3\xa9", 2));
	assert_false(utf8_is_valid("\xc3", 1));
	assert_false(utf8_is_valid("\xf8\x88\x80\x80\x80", 5));
}

static void test_members(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	fputc('{', out);
	json_write_key(out, "a", true);
	fputs("1", out);
	json_write_u64_member(out, "n", UINT64_MAX);
	json_write_string_member(out, "s", "x\xff");
	json_write_string_member(out, "none", NULL);
	json_write_bool_member(out, "b", false);
	fputc('}', out);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(text, "{\"a\":1,\"n\":18446744073709551615,\"s\":[120,255],"
				  "\"none\":null,\"b\":false}");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_utf8_is_valid),
		cmocka_unit_test(test_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
