/*
 * NAME
 *	mbox - the messages of an mbox file
 * DESCRIPTION
 *	See mbox.h.
 */
#include "autoconfig.h"

#include <string.h>

#include "net/mbox.h"

bool
mbox_looks_like(const char *data, size_t len)
{
	const char *nl, *p;

	if (len <= 5 || memcmp(data, "From ", 5) != 0)
		return false;
	nl = memchr(data, '\n', len);
	if (nl == NULL)
		return false;
	p = nl + 1;
	/* A header name: printable characters up to a colon. */
	while (p < data + len && *p > ' ' && *p < 127 && *p != ':')
		p++;
	return p > nl + 1 && p < data + len && *p == ':';
}

/* Strips one ">" from mboxrd-quoted ">From " lines, in place. */
static size_t
mbox_unquote(char *p, size_t len)
{
	size_t r = 0, w = 0;
	bool bol = true;

	while (r < len) {
		if (bol && p[r] == '>') {
			size_t q = r;

			while (q < len && p[q] == '>')
				q++;
			if (q + 5 <= len && memcmp(p + q, "From ", 5) == 0)
				r++;
		}
		bol = p[r] == '\n';
		p[w++] = p[r++];
	}
	return w;
}

int
mbox_split(char *data, size_t len,
	   int (*each)(void *ctx, const char *msg, size_t len, size_t n), void *ctx)
{
	size_t start = 0, n = 0;

	while (start < len) {
		/* data[start] is at a "From " line: skip it. */
		const char *nl = memchr(data + start, '\n', len - start);
		size_t body = nl != NULL ? (size_t)(nl - data) + 1 : len;
		size_t end = body, mlen;
		int r;

		for (;;) {
			const char *f = memmem(data + end, len - end, "\nFrom ", 6);

			if (f == NULL) {
				end = len;
				break;
			}
			end = (size_t)(f - data) + 1;
			/* A separator follows an empty line (or starts the file). */
			if (end >= 2 && (data[end - 2] == '\n' ||
					 (end >= 3 && data[end - 2] == '\r' && data[end - 3] == '\n')))
				break;
		}
		n++;
		mlen = end - body;
		/* The blank line before the next separator belongs to mbox. */
		if (end < len && mlen > 0 && data[body + mlen - 1] == '\n')
			mlen--;
		if (mlen > 0 && data[body + mlen - 1] == '\r')
			mlen--;
		mlen = mbox_unquote(data + body, mlen);
		r = each(ctx, data + body, mlen, n);
		if (r != 0)
			return r;
		start = end;
	}
	return 0;
}
