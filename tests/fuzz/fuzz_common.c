/*
 * fuzz_common - what the fuzz targets share: failure reporting, an
 * independent UTF-8 check (not charset.c's: that is under test) and the
 * NUL-separated field splitter.  See fuzz.h.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

unsigned long fuzz_failures;

void
fuzz_fail(const char *target, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# fuzz_%s: broken promise: ", target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fuzz_failures++;
#ifdef REDRESS_LIBFUZZER
	abort();
#endif
}

/* Strict RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
bool
fuzz_utf8_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n;
	}
	return true;
}

bool
fuzz_header_string_ok(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str);

	if (!fuzz_utf8_ok(str, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F. */
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] < 0xa0)
			return false;
	}
	return true;
}

size_t
fuzz_split(const uint8_t *data, size_t size, const char **fields, size_t max,
	   char **copy_r)
{
	char *copy = malloc(size + 1);
	size_t n = 0, start = 0;

	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	copy[size] = '\0';
	*copy_r = copy;
	if (max == 0)
		return 0;
	for (size_t i = 0; i <= size && n < max; i++) {
		if (i == size || copy[i] == '\0') {
			fields[n++] = copy + start;
			start = i + 1;
		}
	}
	return n;
}
