/*
 * message_fresh - the customer's new words (message_fresh_text): the text
 * without quoted replies ("> " lines, "On ... wrote:" blocks, Outlook's
 * "-----Original Message-----") and without a signature after "-- ".
 * Part of the message module; a plain line scanner, independent of the
 * parser.
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

/* Trims blanks at both ends of [*b, *e). */
static void
message_fresh_trim_span(const char *s, size_t *b, size_t *e)
{
	while (*b < *e && isspace((unsigned char)s[*b]))
		(*b)++;
	while (*e > *b && isspace((unsigned char)s[*e - 1]))
		(*e)--;
}

/*
 * "On <date>, <name> wrote:" and its cousins in a few languages: a line
 * ending in ':' with the verb somewhere in it ("Am ... schrieb Bob <b@x>:").
 */
static bool
message_fresh_is_attribution_end(const char *s, size_t n)
{
	static const char *const verbs[] = {
		"wrote", "writes", "schrieb", "a \xc3\xa9" "crit", "escribi\xc3\xb3",
		"scritto", "schreef", "napisa\xc5\x82", "skrev", "kirjoitti", NULL,
	};

	if (n == 0 || s[n - 1] != ':')
		return false;
	for (size_t i = 0; verbs[i] != NULL; i++) {
		size_t l = strlen(verbs[i]);

		for (size_t k = 0; k + l <= n; k++)
			if (strncasecmp(s + k, verbs[i], l) == 0 &&
			    (k == 0 || s[k - 1] == ' '))
				return true;
	}
	return false;
}

static bool
message_fresh_is_attribution_start(const char *s, size_t n)
{
	static const char *const starts[] = {
		"On ", "Am ", "Le ", "El ", "Il ", "Op ", "W dniu ",
	};

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (message_ci_prefix(s, n, starts[i]))
			return true;
	return false;
}

/* "-----Original Message-----", "----- Original Message -----" ... */
static bool
message_fresh_is_original_marker(const char *s, size_t n)
{
	size_t b = 0, e = n;

	while (b < e && (s[b] == '-' || s[b] == ' ' || s[b] == '_'))
		b++;
	while (e > b && (s[e - 1] == '-' || s[e - 1] == ' ' || s[e - 1] == '_'))
		e--;
	return b >= 3 && e - b == 16 && strncasecmp(s + b, "Original Message", 16) == 0;
}

char *
message_fresh_text(const char *text, size_t len)
{
	struct buf out;
	size_t i = 0;
	size_t keep_end = 0;   /* out.len after the last non-blank line */

	buf_init(&out, BUF_NO_LIMIT);
	if (text == NULL)
		len = 0;
	while (i < len) {
		size_t ce, next = message_line_next(text, len, i, &ce), b = i, e = ce;

		message_fresh_trim_span(text, &b, &e);
		/* Signature. */
		if (ce - i >= 2 && text[i] == '-' && text[i + 1] == '-' && e - b == 2)
			break;
		if (message_fresh_is_original_marker(text + b, e - b))
			break;
		/* Outlook: "From: ..." then "Sent:" or "Date:" within a few lines. */
		if (message_ci_prefix(text + b, e - b, "From:")) {
			size_t j = next;
			bool outlook = false;

			for (int k = 0; k < 4 && j < len; k++) {
				size_t ce2, n2 = message_line_next(text, len, j, &ce2), b2 = j, e2 = ce2;

				message_fresh_trim_span(text, &b2, &e2);
				if (message_ci_prefix(text + b2, e2 - b2, "Sent:") ||
				    message_ci_prefix(text + b2, e2 - b2, "Date:")) {
					outlook = true;
					break;
				}
				j = n2;
			}
			if (outlook)
				break;
		}
		/* "On ... wrote:", possibly wrapped onto a second line. */
		if (message_fresh_is_attribution_start(text + b, e - b)) {
			size_t after = 0;

			if (message_fresh_is_attribution_end(text + b, e - b)) {
				after = next;
			} else if (next < len) {
				size_t ce2, n2 = message_line_next(text, len, next, &ce2), b2 = next, e2 = ce2;

				message_fresh_trim_span(text, &b2, &e2);
				if (e2 > b2 && text[b2] != '>' && message_fresh_is_attribution_end(text + b2, e2 - b2))
					after = n2;
			}
			if (after > 0) {
				/* Drop the attribution and the quoted block under it. */
				i = after;
				while (i < len) {
					size_t ce3, n3 = message_line_next(text, len, i, &ce3), b3 = i, e3 = ce3;

					message_fresh_trim_span(text, &b3, &e3);
					if (e3 > b3 && text[b3] != '>')
						break;
					i = n3;
				}
				continue;
			}
		}
		if (e > b && text[b] == '>') {
			i = next;
			continue;
		}
		buf_append(&out, text + i, ce - i);
		buf_putc(&out, '\n');
		if (e > b)
			keep_end = out.len;
		i = next;
	}
	out.len = keep_end > 0 ? keep_end - 1 : 0; /* no final LF, no trailing blanks */
	if (out.data != NULL)
		out.data[out.len] = '\0';
	{
		size_t n;
		char *r = buf_steal(&out, &n);
		size_t k = 0;

		/* No leading blank lines. */
		while (k < n && (r[k] == '\n' || r[k] == ' ' || r[k] == '\t'))
			k++;
		if (k > 0) {
			memmove(r, r + k, n - k + 1);
		}
		return r;
	}
}
