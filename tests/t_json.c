/* json: the writer's base64 object, and the reader of one flat object
 * (store_dump.c's lines): every escape, surrogate pairs, integers to the
 * edges of their range, and the refusals. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "tap.h"

static struct json_object obj;

/* Parses s: 1 parsed, 0 refused (error freed). */
static int
parse(const char *s)
{
	char *error = NULL;

	if (json_object_parse(s, strlen(s), &obj, &error) == 0)
		return 1;
	diag("\"%s\": %s", s, error);
	free(error);
	return 0;
}

static void
refused(const char *s, const char *why)
{
	char *error = NULL;
	int r = json_object_parse(s, strlen(s), &obj, &error);

	ok(r == -1 && error != NULL && strstr(error, why) != NULL && obj.n == 0,
	   "refused: %s (\"%s\": %s)", s, why, error != NULL ? error : "parsed");
	free(error);
}

static void
string_is(const char *json, const char *want, size_t want_len)
{
	const struct json_field *f;

	ok(parse(json) && (f = json_object_get(&obj, "s")) != NULL &&
	   f->kind == JSON_STRING && f->len == want_len &&
	   memcmp(f->str, want, want_len) == 0 && f->str[want_len] == '\0',
	   "string %s", json);
}

/* Bytes survive the base64 object both ways, at every length mod 3. */
static void
roundtrip(const unsigned char *bytes, size_t len)
{
	struct buf b;
	const struct json_field *f;

	buf_init(&b, BUF_NO_LIMIT);
	buf_puts(&b, "{\"b\":");
	json_base64(&b, bytes, len);
	buf_puts(&b, "}");
	ok(parse(buf_str(&b)) && (f = json_object_get(&obj, "b")) != NULL &&
	   f->kind == JSON_BYTES && f->len == len && memcmp(f->str, bytes, len) == 0,
	   "base64 of %zu bytes: %s", len, buf_str(&b));
	buf_free(&b);
}

int
main(void)
{
	static const unsigned char bin[] = { 0, 0xff, 0x80, '\n', 'x', 0xfe, 0x01 };
	const struct json_field *f;
	struct buf b;

	ok(parse("{\"t\":\"cases\",\"id\":12,\"n\":null, \"neg\" : -7 }") && obj.n == 4,
	   "a flat object");
	ok((f = json_object_get(&obj, "t")) != NULL && f->kind == JSON_STRING &&
	   strcmp(f->str, "cases") == 0, "a string field");
	ok((f = json_object_get(&obj, "id")) != NULL && f->kind == JSON_INT && f->num == 12,
	   "an integer field");
	ok((f = json_object_get(&obj, "n")) != NULL && f->kind == JSON_NULL, "null");
	ok((f = json_object_get(&obj, "neg")) != NULL && f->num == -7, "a negative integer");
	ok(json_object_get(&obj, "nope") == NULL, "no such field");
	ok(strcmp(obj.fields[0].name, "t") == 0 && strcmp(obj.fields[3].name, "neg") == 0,
	   "fields in the order of the text");
	ok(parse("{}") && obj.n == 0, "the empty object");
	ok(parse("{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":0}") &&
	   obj.fields[0].num == 9223372036854775807LL &&
	   obj.fields[1].num == -9223372036854775807LL - 1 && obj.fields[2].num == 0,
	   "integers at the edges of their range");

	string_is("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "\"\\/\b\f\n\r\t", 8);
	string_is("{\"s\":\"\\u0041\\u00e9\\u20AC\"}", "A\xc3\xa9\xe2\x82\xac", 6);
	string_is("{\"s\":\"\\ud83d\\ude00!\"}", "\xf0\x9f\x98\x80!", 5);
	string_is("{\"s\":\"a\\u0000b\"}", "a\0b", 3);
	string_is("{\"s\":\"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\"}", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", 10);
	string_is("{\"s\":\"\"}", "", 0);

	/* What the writer writes, the reader reads. */
	buf_init(&b, BUF_NO_LIMIT);
	buf_puts(&b, "{\"s\":");
	json_strn(&b, "q\"\\\x01\x7f\t\r\n\xc3\xa9", 10);
	buf_puts(&b, "}");
	string_is(buf_str(&b), "q\"\\\x01\x7f\t\r\n\xc3\xa9", 10);
	buf_free(&b);

	for (size_t n = 0; n <= sizeof(bin); n++)
		roundtrip(bin, n);
	ok(parse("{\"b\":{ \"base64\" : \"\" }}") && obj.fields[0].kind == JSON_BYTES &&
	   obj.fields[0].len == 0, "an empty base64 object");

	refused("", "an object was due");
	refused("[1]", "an object was due");
	refused("{\"a\":1", "the line ends");
	refused("{\"a\":1,}", "a string was due");
	refused("{\"a\" 1}", "a colon was due");
	refused("{\"a\":1} x", "more after the end");
	refused("{\"a\":1}{}", "more after the end");
	refused("{\"a\":1,\"a\":2}", "a second time");
	refused("{\"a\":1.5}", "only integers");
	refused("{\"a\":1e3}", "only integers");
	refused("{\"a\":01}", "leading zero");
	refused("{\"a\":-}", "a digit was due");
	refused("{\"a\":9223372036854775808}", "out of range");
	refused("{\"a\":-9223372036854775809}", "out of range");
	refused("{\"a\":true}", "only an integer, a string, null");
	refused("{\"a\":nul}", "a value was due");
	refused("{\"a\":[1]}", "only an integer, a string, null");
	refused("{\"a\":{\"b\":1}}", "the only object");
	refused("{\"a\":{\"base64\":\"QQ=\"}}", "not base64");
	refused("{\"a\":{\"base64\":\"Q=QQ\"}}", "not base64");
	refused("{\"a\":{\"base64\":\"QQ==QQ==\"}}", "not base64");
	refused("{\"a\":{\"base64\":\"QQ!=\"}}", "not base64");
	refused("{\"a\":{\"base64\":\"QQ==\",\"x\":1}}", "the end of the base64 object");
	refused("{\"a\":\"x\ty\"}", "control character");
	refused("{\"a\":\"x\\qy\"}", "unknown escape");
	refused("{\"a\":\"\\u12\"}", "four hex digits");
	refused("{\"a\":\"\\u12g4\"}", "four hex digits");
	refused("{\"a\":\"\\ud83d\"}", "no low one");
	refused("{\"a\":\"\\ud83dx\"}", "no low one");
	refused("{\"a\":\"\\ud83d\\u0041\"}", "no low one");
	refused("{\"a\":\"\\ude00\"}", "low surrogate");
	refused("{\"a\":\"\xff\"}", "not UTF-8");
	refused("{\"a\":\"\xc3\"}", "not UTF-8");
	refused("{\"a\":\"\xed\xa0\x80\"}", "not UTF-8");
	refused("{\"a\":\"abc", "ends inside a string");
	refused("{\"a\\u0000b\":1}", "a name with a NUL");
	refused("{\"a\":1,\"b\":\"x\",\"c\":{\"base64\":\"QQ==\"},\"d\":tru}",
		"only an integer, a string, null");
	/* The byte a refusal names. */
	{
		char *error = NULL;

		json_object_parse("{\"ab\":x}", 8, &obj, &error);
		is_str(error, "at byte 7: only an integer, a string, null or {\"base64\":...} "
		       "may be a value here", "the error names the byte, from 1");
		free(error);
	}
	json_object_clear(&obj);
	return tap_exit();
}
