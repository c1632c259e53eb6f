/*
 * utf8 - the one place that knows how UTF-8 is put together.
 *
 * Every text redress holds is valid UTF-8 (charset.h makes it so on the
 * way in); the modules that cut, clean or check text use these.  Pure
 * functions, no allocation.
 */
#ifndef REDRESS_BASE_UTF8_H
#define REDRESS_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the well-formed sequence at s (1..4; avail > 0 bytes there),
 * or 0 when the bytes there are not one. */
size_t utf8_seq(const unsigned char *s, size_t avail);
/* True if s[0..len) is well-formed UTF-8. */
bool utf8_valid(const char *s, size_t len);
/* Writes the encoding of code point cp (U+FFFD for a surrogate or
 * anything above U+10FFFF) to out, which has room for 4 bytes; returns
 * its length. */
size_t utf8_put(char *out, unsigned long cp);
/* The largest n' <= n at which s may be cut without splitting a sequence
 * (s[n'] is not a continuation byte); s must have a byte at s[n]. */
size_t utf8_boundary(const char *s, size_t n);

#endif
