/*
 * xmem - allocation that cannot fail.
 *
 * redress treats running out of memory as fatal: every x* function here
 * either returns memory or ends the process with EX_OSERR after a one-line
 * message on stderr.  Callers own what they get and release it with free().
 */
#ifndef REDRESS_XMEM_H
#define REDRESS_XMEM_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Grows an array of n elements of size each to at least want, doubling. */
void *xgrow(void *p, size_t *cap, size_t want, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Like asprintf(3); the result is the caller's to free(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
