/*
 * buf - a growable byte buffer with a hard size cap (after curl's dynbuf).
 *
 * The buffer always keeps a NUL after its data, so buf.data can be used as
 * a C string when the content has no NUL of its own.  Appending past the cap
 * fails with -1 and leaves the buffer as it was; callers decide what a
 * too-large input means.  The buffer owns data; buf_free releases it and
 * buf_steal hands it to the caller.
 */
#ifndef REDRESS_BUF_H
#define REDRESS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;     /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;     /* hard cap on len */
};

#define BUF_NO_LIMIT ((size_t)-1 / 2)

void buf_init(struct buf *b, size_t max);
/* Room for add more bytes and the NUL, appending nothing: 0, or -1 (and
 * the buffer as it was) when they would pass the cap. */
int buf_reserve(struct buf *b, size_t add);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);
/* Returns the data (never NULL, NUL-terminated) and empties the buffer. */
char *buf_steal(struct buf *b, size_t *len_r);
/* The data as a C string (never NULL). */
const char *buf_str(struct buf *b);
void buf_free(struct buf *b);

#endif
