/*
 * json - writing JSON into a buf.
 *
 * Only what redress prints: strings (escaped, and always valid UTF-8 because
 * every text we hold is), numbers, booleans, null.  The caller writes the
 * punctuation; json_str and friends write one value.
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

#endif
