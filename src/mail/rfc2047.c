/*
 * rfc2047 - encoded words in header text ("=?utf-8?Q?caf=C3=A9?="), part of
 * the message module (message.h).
 *
 * Each word is decoded (B or Q) and converted from its charset to UTF-8
 * (charset.c); adjacent encoded words separated only by white space are
 * joined, as RFC 2047 says.  The work is bounded: at most
 * MESSAGE_MAX_CONVERSIONS conversions through iconv per message (counted
 * in message_work); past that a word in such a charset stays as written.
 * A word that does not parse stays as written.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/charset.h"
#include "mail/html.h"
#include "mail/message.h"
#include "mail/message_int.h"

static int
rfc2047_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Appends the base64 decoding of s to b, skipping anything not base64. */
static void
rfc2047_b64_decode(const char *s, size_t len, struct buf *b)
{
	unsigned long acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v = rfc2047_b64val((unsigned char)s[i]);

		if (s[i] == '=')
			break;
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(b, (char)((acc >> bits) & 0xff));
		}
	}
}

static void
rfc2047_q_decode(const char *s, size_t len, struct buf *b)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_') {
			buf_putc(b, ' ');
		} else if (s[i] == '=' && i + 2 < len + 0 && message_hexval((unsigned char)s[i + 1]) >= 0 &&
			   message_hexval((unsigned char)s[i + 2]) >= 0) {
			buf_putc(b, (char)(message_hexval((unsigned char)s[i + 1]) * 16 +
					   message_hexval((unsigned char)s[i + 2])));
			i += 2;
		} else {
			buf_putc(b, s[i]);
		}
	}
}

struct ew {
	const char *charset;
	size_t charset_len;
	char enc;
	const char *text;
	size_t text_len;
	size_t end;            /* index after "?=" */
	bool no_more;          /* no "?=" anywhere after: stop looking */
};

/* Is there an encoded word "=?cs?E?text?=" at s[i]? */
static bool
rfc2047_ew_parse(const char *s, size_t len, size_t i, struct ew *w)
{
	size_t j = i + 2, t;
	const char *end;

	if (i + 2 >= len || s[i] != '=' || s[i + 1] != '?')
		return false;
	while (j < len && s[j] != '?' && (unsigned char)s[j] > 32 &&
	       (unsigned char)s[j] < 127 && j - (i + 2) < MESSAGE_MAX_CHARSET)
		j++;
	if (j >= len || s[j] != '?' || j == i + 2)
		return false;
	if (j + 2 >= len || s[j + 2] != '?')
		return false;
	w->enc = (char)toupper((unsigned char)s[j + 1]);
	if (w->enc != 'Q' && w->enc != 'B')
		return false;
	t = j + 3;
	end = t < len ? memmem(s + t, len - t, "?=", 2) : NULL;
	if (end == NULL) {
		w->no_more = true;
		return false;
	}
	w->charset = s + i + 2;
	w->charset_len = j - (i + 2);
	w->text = s + t;
	w->text_len = (size_t)(end - (s + t));
	w->end = (size_t)(end - s) + 2;
	return true;
}

/* Appends s converted from charset (NULL: raw header bytes).  The words
 * of an encoded charset were admitted by decode_words: their conversion
 * was counted then. */
static void
rfc2047_append_converted(struct buf *out, const char *charset, const char *s,
		 size_t len)
{
	size_t n;
	char *u;

	if (len == 0)
		return;
	u = charset != NULL ? charset_to_utf8(charset, s, len, &n) : message_raw_header_utf8(s, len, &n);
	buf_append(out, u, n);
	free(u);
}

/*
 * Decodes RFC 2047 encoded words anywhere in s (also inside quotes, as
 * broken mailers write them).  White space between two encoded words is
 * dropped; the bytes of adjacent words in the same charset are joined
 * before conversion, because encoders split multi-byte characters across
 * words.  Raw 8-bit bytes count as UTF-8 if valid, else windows-1252.
 * Returns valid UTF-8, malloced.
 */
char *
rfc2047_decode(const char *s, size_t len, size_t *out_len)
{
	struct buf out, pend;
	char pend_cs[MESSAGE_MAX_CHARSET + 1] = "", cs[MESSAGE_MAX_CHARSET + 1];
	size_t raw_start = 0;
	bool after_word = false;

	if (len < 2 || memmem(s, len, "=?", 2) == NULL)
		return message_raw_header_utf8(s, len, out_len);
	buf_init(&out, BUF_NO_LIMIT);
	buf_init(&pend, BUF_NO_LIMIT);
	for (size_t i = 0; i + 1 < len;) {
		struct ew w;
		bool blank, same;

		w.no_more = false;
		if (s[i] != '=' || s[i + 1] != '?' || !rfc2047_ew_parse(s, len, i, &w)) {
			if (w.no_more)
				break;  /* keeps "=?=?=?..." linear */
			i++;
			continue;
		}
		memcpy(cs, w.charset, w.charset_len);
		cs[w.charset_len] = '\0';
		blank = true;
		for (size_t k = raw_start; k < i; k++)
			if (!message_is_wsp(s[k]) && s[k] != '\r' && s[k] != '\n')
				blank = false;
		/* Does this word start a new conversion, and may it? */
		same = strcasecmp(pend_cs, cs) == 0;
		if (!(after_word && blank && same && pend.len > 0) && !message_convert_allowed(cs)) {
			/* Left as written, and what came before it flushed, so
			 * that the next word's scan for blanks starts after it. */
			rfc2047_append_converted(&out, pend_cs, pend.data, pend.len);
			buf_reset(&pend);
			rfc2047_append_converted(&out, NULL, s + raw_start, w.end - raw_start);
			i = raw_start = w.end;
			after_word = false;
			continue;
		}
		message_work.words++;
		if (!(after_word && blank)) {
			rfc2047_append_converted(&out, pend_cs, pend.data, pend.len);
			buf_reset(&pend);
			rfc2047_append_converted(&out, NULL, s + raw_start, i - raw_start);
		}
		if (!same) {
			rfc2047_append_converted(&out, pend_cs, pend.data, pend.len);
			buf_reset(&pend);
			memcpy(pend_cs, cs, w.charset_len + 1);
		}
		if (w.enc == 'B')
			rfc2047_b64_decode(w.text, w.text_len, &pend);
		else
			rfc2047_q_decode(w.text, w.text_len, &pend);
		i = w.end;
		raw_start = i;
		after_word = true;
	}
	rfc2047_append_converted(&out, pend_cs, pend.data, pend.len);
	rfc2047_append_converted(&out, NULL, s + raw_start, len - raw_start);
	buf_free(&pend);
	return buf_steal(&out, out_len);
}

/* decode_words + clean_header; NULL if the result is empty. */
char *
rfc2047_decode_clean(const char *s, size_t len)
{
	size_t n;
	char *d = rfc2047_decode(s, len, &n);

	n = message_clean_header(d, n);
	if (n == 0) {
		free(d);
		return NULL;
	}
	return d;
}
