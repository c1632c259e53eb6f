/*
 * json - writing JSON into a buf, and reading one flat object.
 *
 * Writing: only what redress prints: strings (escaped, and always valid
 * UTF-8 because every text we hold is), numbers, booleans, null, and bytes
 * as the object {"base64":"..."}.  The caller writes the punctuation;
 * json_str and friends write one value.
 *
 * Reading: one flat object, as the store's export writes a line of it
 * (store_dump.c): names to integers, strings, null, or bytes as
 * {"base64":"..."}; nothing else (no fractions, booleans, arrays or other
 * objects).  Strict: the whole of RFC 8259's string syntax (every escape,
 * \uXXXX surrogate pairs), well-formed UTF-8, no name twice, nothing after
 * the object but white space.
 */
#ifndef REDRESS_JSON_H
#define REDRESS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"

/* A JSON string; NULL writes null. */
void json_str(struct buf *b, const char *s);
void json_strn(struct buf *b, const char *s, size_t len);
void json_int(struct buf *b, int64_t v);
void json_bool(struct buf *b, bool v);
/* An ISO 8601 UTC time; 0 writes null. */
void json_time(struct buf *b, time_t t);
/* "key": with the separator comma when first is false; sets *first false. */
void json_key(struct buf *b, bool *first, const char *key);

/* Bytes as the object {"base64":"..."} (RFC 4648 base64, padded). */
void json_base64(struct buf *b, const void *data, size_t len);

enum json_kind { JSON_NULL, JSON_INT, JSON_STRING, JSON_BYTES };

struct json_field {
	char *name;                /* UTF-8, no NUL inside */
	enum json_kind kind;
	long long num;             /* JSON_INT */
	char *str;                 /* JSON_STRING (UTF-8) and JSON_BYTES: len
				    * bytes and a NUL after them; either may
				    * hold a NUL of its own (\u0000) */
	size_t len;
};

struct json_object {
	struct json_field *fields; /* in the order of the text */
	size_t n, cap;
};

/*
 * Parses the object in s[0..len) into o (zeroed by the caller, or
 * cleared): 0, or -1 and *error_r ("at byte N: ...", from 1).
 */
int json_object_parse(const char *s, size_t len, struct json_object *o,
		      char **error_r);
/* The field called name, or NULL. */
const struct json_field *json_object_get(const struct json_object *o, const char *name);
/* Frees what o holds and leaves it empty (zeroed), for the next parse. */
void json_object_clear(struct json_object *o);

#endif
