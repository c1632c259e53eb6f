/*
 * charset - turning bytes in a declared (or missing, or wrong) charset into
 * valid UTF-8.
 *
 * Mail declares charsets wrongly all the time, so every function here
 * returns valid UTF-8 whatever it is given: bytes that do not convert
 * become U+FFFD.  A missing or meaningless charset ("us-ascii" on 8-bit
 * text, "unknown-8bit") means: UTF-8 if the bytes are valid UTF-8, else
 * windows-1252.  ISO-8859-1 is read as windows-1252 (its superset, as
 * browsers do).  Other charsets go through libetpan's charconv_buffer
 * (iconv); an unknown one falls back to windows-1252.
 *
 * Results are allocated with xmalloc, NUL-terminated, and the caller
 * frees them with free().  Nothing here fails except by running out of
 * memory, which ends the process (xmem.h).  UTF-8 itself (sequences,
 * validity) is base/utf8.h's.
 */
#ifndef REDRESS_CHARSET_H
#define REDRESS_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

/* Copies s, each invalid byte replaced by U+FFFD. */
char *charset_utf8_repair(const char *s, size_t len, size_t *out_len);
/* Converts windows-1252 bytes to UTF-8. */
char *charset_cp1252(const char *s, size_t len, size_t *out_len);
/*
 * Converts len bytes in charset (NULL or "" when none was declared) to
 * valid UTF-8.  *out_len gets the length of the result.
 */
char *charset_to_utf8(const char *charset, const char *s, size_t len,
		      size_t *out_len);
/*
 * True when text in charset is converted through iconv (libetpan's
 * charconv_buffer): a few tens of microseconds per call, whatever the
 * length, where UTF-8, windows-1252 and the unknown charsets are read by
 * hand at memory speed.  Callers that convert many small pieces of
 * hostile text count these.
 */
bool charset_costly(const char *charset);

#endif
