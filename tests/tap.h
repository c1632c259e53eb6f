/*
 * tap - a small Test Anything Protocol emitter for the unit tests.
 *
 * Debian packages no C TAP library, so this is ours: plan or done_testing,
 * ok/is_int/is_str with a description, diag, skip.  tap_exit() returns the
 * exit status: 0 when every test passed and the plan was met.
 */
#ifndef REDRESS_TAP_H
#define REDRESS_TAP_H

#include <stdbool.h>
#include <stddef.h>

void plan(int n);
bool ok_at(bool cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool is_int_at(long long got, long long want, const char *file, int line,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool is_str_at(const char *got, const char *want, const char *file, int line,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void skip(int n, const char *why);
void skip_all(const char *why);
int tap_exit(void);
/* Reads a whole file; NULL if it cannot.  The caller frees. */
char *tap_slurp(const char *path, size_t *len_r);

#define ok(cond, ...) ok_at((cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) is_int_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) is_str_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#endif
