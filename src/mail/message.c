/*
 * message - reading one raw RFC 5322 message.  See message.h.
 *
 * The work is done in this order, so that nothing risky happens before
 * the input has been judged safe:
 *
 *  1. size: larger than lim->max_size → held, nothing else looked at;
 *  2. screen (one linear pass over all lines): every Content-Type line's
 *     boundary parameter (libetpan 1.9.4 overflows the heap on a boundary
 *     that starts with a quote, so quotes, backslashes, empty and overlong
 *     boundaries are refused), the nesting of parentheses in header lines
 *     (libetpan parses comments recursively: a million "(" overflow the
 *     stack), and the number of container Content-Types (bounds libetpan's
 *     recursion, whose time is quadratic in depth);
 *  3. structure: a line-based scan of the MIME tree that counts nesting
 *     depth and parts against lim->max_depth and lim->max_parts;
 *  4. the top-level header block is split by our own code (so that every
 *     header is kept, in order, even those libetpan would not parse), and
 *     the structured fields are parsed one by one with libetpan's mailimf
 *     parsers, with a hand-made fallback when they refuse;
 *  5. mailmime_parse builds the MIME tree; the tree is walked once to
 *     check limits again and pick the text: first non-attachment
 *     text/plain outside attached messages, else text/html made into
 *     text, else the same inside attached messages;
 *  6. every string is converted to UTF-8 (charset.c), checked, and freed
 *     of control characters.
 *
 * Held messages (problem != NULL) still carry their headers when the
 * headers could be read safely (all cases but "too large").
 *
 * message_fingerprint and message_fresh_text are independent of the rest:
 * plain byte and line scanners.
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

#define MESSAGE_DEFAULT_MAX_SIZE (25u * 1024 * 1024)
#define MESSAGE_DEFAULT_MAX_DEPTH 20u
#define MESSAGE_DEFAULT_MAX_PARTS 1000u
/* Deepest parenthesis nesting in a header line that libetpan may see. */
#define MESSAGE_MAX_COMMENT_DEPTH 1000
/* Container Content-Types in one message, whatever the configuration. */
#define MESSAGE_MAX_CONTAINERS 2000u
/* RFC 2046: a boundary is 1 to 70 characters. */
#define MESSAGE_MAX_BOUNDARY 70
/* Message ids kept from one In-Reply-To or References header. */
#define MESSAGE_MAX_IDS 1000
/* Recipients kept from To. */
#define MESSAGE_MAX_TO 1000
/* Authentication-Results fields kept (the topmost ones). */
#define MESSAGE_MAX_AUTH_RESULTS 64
/* Longest charset name in an encoded word. */
#define MESSAGE_MAX_CHARSET 78

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive: does s[0..n) start with lit? */
static bool
ci_prefix(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && strncasecmp(s, lit, l) == 0;
}

/* Index just after the line starting at i (after its LF), or len. */
static size_t
line_next(const char *s, size_t len, size_t i, size_t *content_end)
{
	const char *nl = memchr(s + i, '\n', len - i);
	size_t e = nl != NULL ? (size_t)(nl - s) : len;

	if (content_end != NULL)
		*content_end = e > i && s[e - 1] == '\r' ? e - 1 : e;
	return nl != NULL ? e + 1 : len;
}

/* Skips a leading mbox "From " line. */
static size_t
skip_mbox_from(const char *raw, size_t len)
{
	if (len >= 5 && memcmp(raw, "From ", 5) == 0)
		return line_next(raw, len, 0, NULL);
	return 0;
}

/*
 * Makes a header string presentable, in place: TAB, CR and LF become
 * spaces, other C0 controls, DEL and C1 controls go, runs of spaces
 * become one, and the ends are trimmed.  s must be valid UTF-8.
 */
static size_t
clean_header(char *s, size_t len)
{
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = o > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] < 0xa0) {
			i++;
			continue;
		}
		if (space) {
			s[o++] = ' ';
			space = false;
		}
		s[o++] = (char)c;
	}
	s[o] = '\0';
	return o;
}

/*
 * The same for body text: CR goes, LF and TAB stay, other controls go,
 * and trailing white space at the end of the text is trimmed.
 */
static size_t
clean_text(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\n' && c != '\t')
			continue;
		if (c == 0x7f)
			continue;
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] < 0xa0) {
			i++;
			continue;
		}
		s[o++] = (char)c;
	}
	while (o > 0 && (s[o - 1] == '\n' || s[o - 1] == ' ' || s[o - 1] == '\t'))
		o--;
	s[o] = '\0';
	return o;
}

/*
 * The charset of the top-level body, while its headers are read: raw
 * 8-bit header bytes that are not UTF-8 are most likely in it.
 */
static _Thread_local const char *message_header_charset;

/*
 * The work spent on one message's header text, counted while it is read
 * (message_parse resets it and copies it into struct message).  A
 * conversion through iconv costs 30 to 40 microseconds whatever its
 * length (glibc opens the converter's module each time), so a subject of
 * 110,000 encoded words alternating between charsets cost 7 s.  Only
 * MESSAGE_MAX_CONVERSIONS such conversions are made per message; after
 * that an encoded word in such a charset is left as written, and raw
 * 8-bit bytes are read as UTF-8 or windows-1252.  Everything else that
 * decoding does is linear in the length of the header.
 */
static _Thread_local struct {
	unsigned words;        /* encoded words decoded */
	unsigned conversions;  /* conversions through iconv */
	bool capped;           /* the budget ran out */
} message_work;

/* May one more conversion from charset be made?  Counts it when it may. */
static bool
convert_allowed(const char *charset)
{
	if (!charset_costly(charset))
		return true;
	if (message_work.conversions >= MESSAGE_MAX_CONVERSIONS) {
		message_work.capped = true;
		return false;
	}
	message_work.conversions++;
	return true;
}

/* Raw 8-bit header bytes: UTF-8 if valid, else the body's charset, else
 * windows-1252. */
static char *
raw_header_utf8(const char *s, size_t len, size_t *out_len)
{
	if (message_header_charset != NULL && !utf8_valid(s, len) &&
	    convert_allowed(message_header_charset))
		return charset_to_utf8(message_header_charset, s, len, out_len);
	return charset_to_utf8(NULL, s, len, out_len);
}

/* Raw header bytes (8-bit or not) as a cleaned UTF-8 string. */
static char *
raw_to_clean(const char *s, size_t len)
{
	size_t n;
	char *u = raw_header_utf8(s, len, &n);

	clean_header(u, n);
	return u;
}

/* ------------------------------------------------------------------ */
/* Header blocks                                                       */
/* ------------------------------------------------------------------ */

struct rawfield {
	const char *name;
	size_t name_len;
	const char *value;     /* after the colon, folds included */
	size_t value_len;
};

struct hdr_iter {
	const char *s;
	size_t len;
	size_t pos;
	bool done;
	size_t body;           /* where the body starts, once done */
};

static void
hdr_init(struct hdr_iter *it, const char *s, size_t len)
{
	it->s = s;
	it->len = len;
	it->pos = 0;
	it->done = false;
	it->body = len;
}

/*
 * The next header field, or false at the end of the header block.  Like
 * libetpan, the block ends at an empty line (which is skipped) or at the
 * first line that is neither a field nor a continuation (which belongs to
 * the body).
 */
static bool
hdr_next(struct hdr_iter *it, struct rawfield *f)
{
	const char *s = it->s;
	size_t i = it->pos, ce, next, n;

	if (it->done)
		return false;
	if (i >= it->len) {
		it->done = true;
		it->body = it->len;
		return false;
	}
	next = line_next(s, it->len, i, &ce);
	if (ce == i) {                  /* empty line: end of the header */
		it->done = true;
		it->body = next;
		return false;
	}
	n = i;
	while (n < ce && s[n] != ':' && (unsigned char)s[n] > 32 &&
	       (unsigned char)s[n] < 127)
		n++;
	f->name = s + i;
	f->name_len = n - i;
	while (n < ce && is_wsp(s[n]))
		n++;
	if (f->name_len == 0 || n >= ce || s[n] != ':') {
		it->done = true;        /* not a header line: body starts here */
		it->body = i;
		return false;
	}
	f->value = s + n + 1;
	/* Continuation lines start with a blank. */
	while (next < it->len && is_wsp(s[next])) {
		size_t ce2, n2 = line_next(s, it->len, next, &ce2);

		ce = ce2;
		next = n2;
	}
	f->value_len = ce - (n + 1);
	it->pos = next;
	return true;
}

/* A field value with its folds removed and its ends trimmed; malloced. */
static char *
unfold(const char *v, size_t len, size_t *out_len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0, start;

	for (size_t i = 0; i < len; i++)
		if (v[i] != '\r' && v[i] != '\n')
			out[o++] = v[i];
	start = 0;
	while (start < o && is_wsp(out[start]))
		start++;
	while (o > start && is_wsp(out[o - 1]))
		o--;
	memmove(out, out + start, o - start);
	o -= start;
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* ------------------------------------------------------------------ */
/* RFC 2047 encoded words                                              */
/* ------------------------------------------------------------------ */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(int c)
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
b64_decode(const char *s, size_t len, struct buf *b)
{
	unsigned long acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)s[i]);

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
q_decode(const char *s, size_t len, struct buf *b)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_') {
			buf_putc(b, ' ');
		} else if (s[i] == '=' && i + 2 < len + 0 && hexval((unsigned char)s[i + 1]) >= 0 &&
			   hexval((unsigned char)s[i + 2]) >= 0) {
			buf_putc(b, (char)(hexval((unsigned char)s[i + 1]) * 16 +
					   hexval((unsigned char)s[i + 2])));
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
ew_parse(const char *s, size_t len, size_t i, struct ew *w)
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
append_converted(struct buf *out, const char *charset, const char *s,
		 size_t len)
{
	size_t n;
	char *u;

	if (len == 0)
		return;
	u = charset != NULL ? charset_to_utf8(charset, s, len, &n) : raw_header_utf8(s, len, &n);
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
static char *
decode_words(const char *s, size_t len, size_t *out_len)
{
	struct buf out, pend;
	char pend_cs[MESSAGE_MAX_CHARSET + 1] = "", cs[MESSAGE_MAX_CHARSET + 1];
	size_t raw_start = 0;
	bool after_word = false;

	if (len < 2 || memmem(s, len, "=?", 2) == NULL)
		return raw_header_utf8(s, len, out_len);
	buf_init(&out, BUF_NO_LIMIT);
	buf_init(&pend, BUF_NO_LIMIT);
	for (size_t i = 0; i + 1 < len;) {
		struct ew w;
		bool blank, same;

		w.no_more = false;
		if (s[i] != '=' || s[i + 1] != '?' || !ew_parse(s, len, i, &w)) {
			if (w.no_more)
				break;  /* keeps "=?=?=?..." linear */
			i++;
			continue;
		}
		memcpy(cs, w.charset, w.charset_len);
		cs[w.charset_len] = '\0';
		blank = true;
		for (size_t k = raw_start; k < i; k++)
			if (!is_wsp(s[k]) && s[k] != '\r' && s[k] != '\n')
				blank = false;
		/* Does this word start a new conversion, and may it? */
		same = strcasecmp(pend_cs, cs) == 0;
		if (!(after_word && blank && same && pend.len > 0) && !convert_allowed(cs)) {
			/* Left as written, and what came before it flushed, so
			 * that the next word's scan for blanks starts after it. */
			append_converted(&out, pend_cs, pend.data, pend.len);
			buf_reset(&pend);
			append_converted(&out, NULL, s + raw_start, w.end - raw_start);
			i = raw_start = w.end;
			after_word = false;
			continue;
		}
		message_work.words++;
		if (!(after_word && blank)) {
			append_converted(&out, pend_cs, pend.data, pend.len);
			buf_reset(&pend);
			append_converted(&out, NULL, s + raw_start, i - raw_start);
		}
		if (!same) {
			append_converted(&out, pend_cs, pend.data, pend.len);
			buf_reset(&pend);
			memcpy(pend_cs, cs, w.charset_len + 1);
		}
		if (w.enc == 'B')
			b64_decode(w.text, w.text_len, &pend);
		else
			q_decode(w.text, w.text_len, &pend);
		i = w.end;
		raw_start = i;
		after_word = true;
	}
	append_converted(&out, pend_cs, pend.data, pend.len);
	append_converted(&out, NULL, s + raw_start, len - raw_start);
	buf_free(&pend);
	return buf_steal(&out, out_len);
}

/* decode_words + clean_header; NULL if the result is empty. */
static char *
decode_clean(const char *s, size_t len)
{
	size_t n;
	char *d = decode_words(s, len, &n);

	n = clean_header(d, n);
	if (n == 0) {
		free(d);
		return NULL;
	}
	return d;
}

/* ------------------------------------------------------------------ */
/* Content-Type parameters (our own reading, for screening)            */
/* ------------------------------------------------------------------ */

/*
 * Finds parameter `name` (not name*) in a Content-Type value.  Returns
 * 1 with the raw value in *v, *vlen and whether it was quoted; 0 if
 * absent; -1 if the quoting is broken (unterminated, or a backslash).
 */
static int
ct_param(const char *s, size_t len, const char *name, const char **v,
	 size_t *vlen, bool *quoted)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl < len; i++) {
		size_t j;

		if (strncasecmp(s + i, name, nl) != 0)
			continue;
		if (i > 0 && s[i - 1] != ';' && !is_wsp(s[i - 1]) &&
		    s[i - 1] != '\r' && s[i - 1] != '\n')
			continue;
		j = i + nl;
		while (j < len && (is_wsp(s[j]) || s[j] == '\r' || s[j] == '\n'))
			j++;
		if (j >= len || s[j] != '=')
			continue;
		j++;
		while (j < len && (is_wsp(s[j]) || s[j] == '\r' || s[j] == '\n'))
			j++;
		if (j < len && s[j] == '"') {
			size_t k = j + 1;

			while (k < len && s[k] != '"') {
				if (s[k] == '\\')
					return -1;
				k++;
			}
			if (k >= len)
				return -1;
			*v = s + j + 1;
			*vlen = k - j - 1;
			*quoted = true;
			return 1;
		}
		{
			size_t k = j;

			while (k < len && s[k] != ';' && !is_wsp(s[k]) &&
			       s[k] != '\r' && s[k] != '\n')
				k++;
			*v = s + j;
			*vlen = k - j;
			*quoted = false;
			return 1;
		}
	}
	return 0;
}

/* Why a boundary parameter is refused, or NULL if it is fine. */
static const char *
boundary_problem(const char *ct, size_t len)
{
	const char *v;
	size_t vlen;
	bool quoted;
	int r = ct_param(ct, len, "boundary", &v, &vlen, &quoted);

	if (r == 0)
		return NULL;
	if (r < 0)
		return "MIME boundary with a backslash or unbalanced quote";
	if (vlen == 0)
		return "empty MIME boundary";
	if (vlen > MESSAGE_MAX_BOUNDARY)
		return "MIME boundary longer than 70 characters";
	for (size_t i = 0; i < vlen; i++)
		if (v[i] == '"' || v[i] == '\\')
			return "MIME boundary with a quote or backslash";
	return NULL;
}

/* Skips white space and (nested) comments. */
static size_t
skip_cfws(const char *s, size_t len, size_t i)
{
	for (;;) {
		while (i < len && (is_wsp(s[i]) || s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i < len && s[i] == '(') {
			int depth = 0;

			for (; i < len; i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		return i;
	}
}

enum ct_kind { CT_OTHER, CT_MULTIPART, CT_MESSAGE };

struct ctinfo {
	enum ct_kind kind;
	int text;              /* 0 plain, 1 html, 2 enriched, -1 not text */
	bool digest;
	bool rfc822;
	char boundary[MESSAGE_MAX_BOUNDARY + 1];
	size_t blen;
};

/* Reads type/subtype and boundary from a Content-Type value. */
static bool
ct_read(const char *s, size_t len, struct ctinfo *ct)
{
	size_t i = skip_cfws(s, len, 0), t0 = i, t1, s0, s1;
	const char *v;
	size_t vlen;
	bool quoted;

	while (i < len && s[i] != '/' && s[i] != ';' && !is_wsp(s[i]) && s[i] != '(')
		i++;
	t1 = i;
	i = skip_cfws(s, len, i);
	if (t1 == t0 || i >= len || s[i] != '/')
		return false;
	i = skip_cfws(s, len, i + 1);
	s0 = i;
	while (i < len && s[i] != ';' && !is_wsp(s[i]) && s[i] != '(' &&
	       s[i] != '\r' && s[i] != '\n')
		i++;
	s1 = i;
	memset(ct, 0, sizeof(*ct));
	ct->text = -1;
	if (t1 - t0 == 4 && strncasecmp(s + t0, "text", 4) == 0) {
		if (s1 - s0 == 5 && strncasecmp(s + s0, "plain", 5) == 0)
			ct->text = 0;
		else if (s1 - s0 == 4 && strncasecmp(s + s0, "html", 4) == 0)
			ct->text = 1;
		else if (s1 - s0 == 8 && strncasecmp(s + s0, "enriched", 8) == 0)
			ct->text = 2;
	}
	if (t1 - t0 == 9 && strncasecmp(s + t0, "multipart", 9) == 0) {
		ct->kind = CT_MULTIPART;
		ct->digest = s1 - s0 == 6 && strncasecmp(s + s0, "digest", 6) == 0;
		if (ct_param(s + s1, len - s1, "boundary", &v, &vlen, &quoted) == 1 &&
		    vlen > 0 && vlen <= MESSAGE_MAX_BOUNDARY) {
			memcpy(ct->boundary, v, vlen);
			ct->boundary[vlen] = '\0';
			ct->blen = vlen;
		}
	} else if (t1 - t0 == 7 && strncasecmp(s + t0, "message", 7) == 0) {
		ct->kind = CT_MESSAGE;
		ct->rfc822 = s1 - s0 == 6 && strncasecmp(s + s0, "rfc822", 6) == 0;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Screening and the structure pre-scan                                */
/* ------------------------------------------------------------------ */

struct limits {
	size_t max_size;
	unsigned max_depth;
	unsigned max_parts;
};

/*
 * One pass over every line: boundaries, comment nesting, and the number
 * of container Content-Types.  Returns a problem or NULL.
 */
static char *
screen(const char *s, size_t len, const struct limits *lim, unsigned *containers_r)
{
	unsigned containers = 0;
	int depth = 0;

	for (size_t i = 0; i < len;) {
		size_t ce, next = line_next(s, len, i, &ce);

		if (!is_wsp(s[i]))
			depth = 0;
		/* Parentheses: only lines that open one can deepen nesting. */
		if (memchr(s + i, '(', ce - i) != NULL) {
			for (size_t k = i; k < ce; k++) {
				if (s[k] == '\\')
					k++;
				else if (s[k] == '(') {
					if (++depth > MESSAGE_MAX_COMMENT_DEPTH)
						return xasprintf("header comments nested more than %d deep",
								 MESSAGE_MAX_COMMENT_DEPTH);
				} else if (s[k] == ')' && depth > 0)
					depth--;
			}
		}
		if ((s[i] == 'C' || s[i] == 'c') && ci_prefix(s + i, ce - i, "content-type")) {
			size_t k = i + 12, end = ce;
			struct ctinfo ct;

			while (k < ce && is_wsp(s[k]))
				k++;
			if (k < ce && s[k] == ':') {
				size_t n2 = next;

				/* The logical line: continuation lines too. */
				while (n2 < len && is_wsp(s[n2])) {
					size_t ce2;

					n2 = line_next(s, len, n2, &ce2);
					end = ce2;
				}
				const char *why = boundary_problem(s + k + 1, end - k - 1);

				if (why != NULL)
					return xstrdup(why);
				if (ct_read(s + k + 1, end - k - 1, &ct) && ct.kind != CT_OTHER)
					containers++;
			}
		}
		i = next;
	}
	if (containers > MESSAGE_MAX_CONTAINERS || containers > lim->max_parts)
		return xasprintf("more than %u MIME parts",
				 containers > MESSAGE_MAX_CONTAINERS ? MESSAGE_MAX_CONTAINERS
								     : lim->max_parts);
	*containers_r = containers;
	return NULL;
}

struct scan_frame {
	char boundary[MESSAGE_MAX_BOUNDARY + 1];
	size_t blen;           /* 0: an attached message, no boundary */
	bool digest;
};

/* A leaf part found by the scan: used when libetpan gives up. */
struct scan_leaf {
	size_t start, end;     /* the body, before transfer decoding */
	int text;              /* as in struct ctinfo */
	bool attachment;
	bool inner;            /* inside an attached message */
	int encoding;          /* MAILMIME_MECHANISM_* */
	char charset[48];
};

struct scan {
	const char *s;
	size_t len;
	const struct limits *lim;
	struct scan_frame *frames;
	unsigned n;            /* frames in use = current depth */
	size_t parts;
	char *problem;
	bool record;           /* collect leaves */
	bool open;             /* the last leaf has no end yet */
	struct scan_leaf *leaves;
	size_t n_leaves, cap_leaves;
};

static int token_encoding(const char *tok);

static void
scan_leaf_add(struct scan *sc, size_t start, const struct ctinfo *ct,
	      const struct rawfield *cte, const struct rawfield *disp,
	      const struct rawfield *ctf)
{
	struct scan_leaf *l;

	if (!sc->record || sc->n_leaves >= 10000)
		return;
	sc->leaves = xgrow(sc->leaves, &sc->cap_leaves, sc->n_leaves + 1, sizeof(*sc->leaves));
	l = &sc->leaves[sc->n_leaves++];
	memset(l, 0, sizeof(*l));
	l->start = start;
	l->end = sc->len;
	l->text = ct != NULL ? ct->text : 0;
	l->inner = false;
	for (unsigned k = 0; k < sc->n; k++)
		if (sc->frames[k].blen == 0)
			l->inner = true;
	l->encoding = MAILMIME_MECHANISM_8BIT;
	if (cte != NULL) {
		char *t = xstrndup(cte->value, cte->value_len);

		l->encoding = token_encoding(t);
		free(t);
	}
	if (disp != NULL) {
		size_t k = skip_cfws(disp->value, disp->value_len, 0);

		l->attachment = ci_prefix(disp->value + k, disp->value_len - k, "attachment");
	}
	if (ctf != NULL) {
		const char *v;
		size_t vl;
		bool q;

		if (ct_param(ctf->value, ctf->value_len, "charset", &v, &vl, &q) == 1 &&
		    vl < sizeof(l->charset)) {
			memcpy(l->charset, v, vl);
			l->charset[vl] = '\0';
		}
	}
	sc->open = true;
}

static bool
scan_push(struct scan *sc, const struct ctinfo *ct)
{
	if (sc->n + 1 > sc->lim->max_depth) {
		sc->problem = xasprintf("MIME nesting deeper than %u levels",
					sc->lim->max_depth);
		return false;
	}
	memcpy(sc->frames[sc->n].boundary, ct->boundary, ct->blen + 1);
	sc->frames[sc->n].blen = ct->kind == CT_MULTIPART ? ct->blen : 0;
	sc->frames[sc->n].digest = ct->digest;
	sc->n++;
	return true;
}

/*
 * Reads the header block at pos (an entity's headers) and enters it:
 * a multipart pushes its boundary, an attached message pushes a level and
 * its own headers are read at once.  Returns where the body starts.
 */
static size_t
scan_entity(struct scan *sc, size_t pos, bool default_message)
{
	for (;;) {
		struct hdr_iter it;
		struct rawfield f, ctf, cte, disp;
		struct ctinfo ct;
		bool have_ct = false, encoded = false, have_cte = false, have_disp = false;

		hdr_init(&it, sc->s + pos, sc->len - pos);
		while (hdr_next(&it, &f)) {
			if (!have_ct && f.name_len == 12 &&
			    strncasecmp(f.name, "content-type", 12) == 0) {
				have_ct = ct_read(f.value, f.value_len, &ct);
				ctf = f;
			} else if (f.name_len == 25 &&
				   strncasecmp(f.name, "content-transfer-encoding", 25) == 0) {
				size_t k = skip_cfws(f.value, f.value_len, 0);

				encoded = ci_prefix(f.value + k, f.value_len - k, "base64") ||
					  ci_prefix(f.value + k, f.value_len - k, "quoted-printable");
				cte = f;
				have_cte = true;
			} else if (f.name_len == 19 &&
				   strncasecmp(f.name, "content-disposition", 19) == 0) {
				disp = f;
				have_disp = true;
			}
		}
		pos += it.body;
		if (!have_ct) {
			if (!default_message) {
				scan_leaf_add(sc, pos, NULL, have_cte ? &cte : NULL,
					      have_disp ? &disp : NULL, NULL);
				return pos;
			}
			memset(&ct, 0, sizeof(ct));
			ct.kind = CT_MESSAGE;
			ct.rfc822 = true;
		}
		if (ct.kind == CT_MULTIPART && ct.blen > 0) {
			scan_push(sc, &ct);
			return pos;
		}
		if (ct.kind == CT_MESSAGE && ct.rfc822 && !encoded) {
			if (!scan_push(sc, &ct))
				return pos;
			if (++sc->parts > sc->lim->max_parts) {
				sc->problem = xasprintf("more than %u MIME parts",
							sc->lim->max_parts);
				return pos;
			}
			default_message = false;
			continue;
		}
		scan_leaf_add(sc, pos, &ct, have_cte ? &cte : NULL, have_disp ? &disp : NULL, &ctf);
		return pos;
	}
}

/* Ends the open leaf just before the delimiter line at i. */
static void
scan_close_leaf(struct scan *sc, size_t i)
{
	size_t e = i;

	if (!sc->open)
		return;
	if (e > 0 && sc->s[e - 1] == '\n')
		e--;
	if (e > 0 && sc->s[e - 1] == '\r')
		e--;
	if (e < sc->leaves[sc->n_leaves - 1].start)
		e = sc->leaves[sc->n_leaves - 1].start;
	sc->leaves[sc->n_leaves - 1].end = e;
	sc->open = false;
}

/*
 * The structure pre-scan.  Boundary lines are recognised as libetpan does
 * ("--" boundary, then blanks and the line end, or "--" for the close);
 * a delimiter of an outer multipart ends every inner one.  Returns a
 * problem or NULL.
 */
static void
scan_run(struct scan *sc)
{
	const char *s = sc->s;
	size_t len = sc->len, i;
	const struct limits *lim = sc->lim;

	i = scan_entity(sc, 0, false);
	while (i < len && sc->problem == NULL) {
		size_t ce, next = line_next(s, len, i, &ce);

		if (ce - i >= 3 && s[i] == '-' && s[i + 1] == '-') {
			for (unsigned k = 0; k < sc->n; k++) {
				const struct scan_frame *fr = &sc->frames[k];
				size_t r;

				if (fr->blen == 0 || ce - i - 2 < fr->blen ||
				    memcmp(s + i + 2, fr->boundary, fr->blen) != 0)
					continue;
				r = i + 2 + fr->blen;
				if (r + 2 <= ce && s[r] == '-' && s[r + 1] == '-') {
					scan_close_leaf(sc, i);
					break;  /* close delimiter: the rest is epilogue */
				}
				while (r < ce && is_wsp(s[r]))
					r++;
				if (r != ce)
					continue;
				scan_close_leaf(sc, i);
				sc->n = k + 1;
				if (++sc->parts > lim->max_parts) {
					sc->problem = xasprintf("more than %u MIME parts",
								lim->max_parts);
					break;
				}
				next = scan_entity(sc, next, sc->frames[k].digest);
				break;
			}
		}
		i = next;
	}
}

static char *
scan_structure(const char *s, size_t len, const struct limits *lim)
{
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	sc.s = s;
	sc.len = len;
	sc.lim = lim;
	sc.frames = xcalloc((size_t)lim->max_depth + 1, sizeof(*sc.frames));
	scan_run(&sc);
	free(sc.frames);
	free(sc.leaves);
	return sc.problem;
}

/* ------------------------------------------------------------------ */
/* Structured header fields                                            */
/* ------------------------------------------------------------------ */

/* Strips one pair of surrounding double quotes, in place. */
static void
strip_quotes(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

static char *
clean_addr_n(const char *a, size_t n)
{
	char *c = raw_to_clean(a, n);
	size_t o = 0;

	/* An address has no blanks; "< a@b >" style leftovers go too. */
	for (size_t i = 0; c[i] != '\0'; i++)
		if (c[i] != ' ' && c[i] != '<' && c[i] != '>')
			c[o++] = c[i];
	c[o] = '\0';
	if (o == 0) {
		free(c);
		return NULL;
	}
	return c;
}

static char *
clean_addr(const char *a)
{
	return clean_addr_n(a, strlen(a));
}

static void
set_address(struct message_address *a, const char *name, size_t name_len,
	    const char *addr)
{
	a->name = NULL;
	if (name != NULL) {
		a->name = decode_clean(name, name_len);
		if (a->name != NULL) {
			strip_quotes(a->name);
			if (a->name[0] == '\0') {
				free(a->name);
				a->name = NULL;
			}
		}
	}
	/* An obsolete source route "@relay:local@domain" says nothing now. */
	if (addr != NULL && addr[0] == '@' && strchr(addr, ':') != NULL)
		addr = strchr(addr, ':') + 1;
	a->addr = addr != NULL ? clean_addr(addr) : NULL;
}

/*
 * When libetpan will not parse an address: the text between the last
 * '<' and '>' is the address and what precedes it the name; else the
 * first word with an '@'; else the whole value is a name.
 */
static void
address_fallback(const char *v, size_t len, struct message_address *a)
{
	const char *lt = NULL, *gt;

	for (size_t i = len; i > 0; i--)
		if (v[i - 1] == '<') {
			lt = v + i - 1;
			break;
		}
	gt = lt != NULL ? memchr(lt, '>', len - (size_t)(lt - v)) : NULL;
	if (lt != NULL && gt != NULL) {
		char *addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));

		set_address(a, v, (size_t)(lt - v), addr);
		free(addr);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		size_t j;

		if (v[i] != '@')
			continue;
		j = i;
		while (j > 0 && !is_wsp(v[j - 1]) && v[j - 1] != ',' && v[j - 1] != '"' &&
		       v[j - 1] != '(' && v[j - 1] != '<')
			j--;
		while (i < len && !is_wsp(v[i]) && v[i] != ',' && v[i] != '"' &&
		       v[i] != ')' && v[i] != '>')
			i++;
		{
			char *addr = xstrndup(v + j, i - j);
			/* The rest of the value (minus parentheses) as a name. */
			struct buf nb;

			buf_init(&nb, BUF_NO_LIMIT);
			buf_append(&nb, v, j);
			buf_putc(&nb, ' ');
			buf_append(&nb, v + i, len - i);
			for (size_t k = 0; k < nb.len; k++)
				if (nb.data[k] == '(' || nb.data[k] == ')' || nb.data[k] == ',')
					nb.data[k] = ' ';
			set_address(a, nb.data, nb.len, addr);
			buf_free(&nb);
			free(addr);
		}
		return;
	}
	set_address(a, v, len, NULL);
}

/*
 * "John Doe j@x.com": words and an address with neither quotes nor angle
 * brackets.  libetpan reads that as one obsolete local part
 * ("JohnDoej@x.com"), so such values go to the fallback instead.
 */
static bool
has_bare_blank(const char *v, size_t len)
{
	bool seen_word = false, blank = false;

	if (memchr(v, '<', len) != NULL || memchr(v, '"', len) != NULL ||
	    memchr(v, ',', len) != NULL || memchr(v, ':', len) != NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (is_wsp(v[i]))
			blank = seen_word;
		else if (blank)
			return true;
		else
			seen_word = true;
	}
	return false;
}

/* Copies v without its comments (outside quoted strings). */
static char *
strip_comments(const char *v, size_t len, size_t *out_len)
{
	char *o = xmalloc(len + 1);
	size_t n = 0;
	bool q = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = v[i];

		if (c == '\\' && i + 1 < len) {
			if (depth == 0) {
				o[n++] = c;
				o[n++] = v[i + 1];
			}
			i++;
			continue;
		}
		if (depth == 0 && c == '"')
			q = !q;
		if (!q && c == '(') {
			depth++;
			continue;
		}
		if (!q && depth > 0) {
			if (c == ')' && --depth == 0)
				o[n++] = ' ';
			continue;
		}
		o[n++] = c;
	}
	o[n] = '\0';
	*out_len = n;
	return o;
}

/* The text of the first comment in v, or NULL. */
static char *
first_comment(const char *v, size_t len)
{
	const char *o = memchr(v, '(', len), *c;

	if (o == NULL)
		return NULL;
	c = memchr(o, ')', len - (size_t)(o - v));
	if (c == NULL || c == o + 1)
		return NULL;
	return decode_clean(o + 1, (size_t)(c - o - 1));
}

/*
 * Is addr written in v (blanks aside) as an address: after a start,
 * '<', ',', ':' or ';', and not followed by '<' (that would make it a
 * display name)?
 */
static bool
addr_in_text(const char *v, size_t len, const char *addr)
{
	char *c;
	size_t n = 0, al;
	bool found = false;

	if (addr == NULL || (al = strlen(addr)) == 0)
		return false;
	c = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		if (!is_wsp(v[i]))
			c[n++] = v[i];
	c[n] = '\0';
	for (const char *p = c; (p = memmem(p, n - (size_t)(p - c), addr, al)) != NULL; p++) {
		char before = p > c ? p[-1] : ',';
		char after = p[al];

		if (strchr("<,:;", before) != NULL && after != '<') {
			found = true;
			break;
		}
	}
	free(c);
	return found;
}

/*
 * Parses an address list into *list (appending, at most max).  With
 * safe == false (header nesting was refused) libetpan is not asked.
 */
static void
parse_addresses(const char *v, size_t len, bool safe,
		struct message_address **list, size_t *n, size_t max)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0, start = *n, cap = *n, sl;
	char *stripped;

	if (len == 0)
		return;
	stripped = strip_comments(v, len, &sl);
	if (safe && sl > 0 && !has_bare_blank(stripped, sl) &&
	    mailimf_address_list_parse(stripped, sl, &idx, &al) == MAILIMF_NO_ERROR) {
		bool only_groups = true;

		for (clistiter *c = clist_begin(al->ad_list); c != NULL; c = clist_next(c)) {
			struct mailimf_address *ad = clist_content(c);
			clist *mbs = NULL;
			clistiter *m;

			if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
				only_groups = false;
				if (*n >= max)
					break;
				*list = xgrow(*list, &cap, *n + 1, sizeof(**list));
				set_address(&(*list)[*n], ad->ad_data.ad_mailbox->mb_display_name,
					    ad->ad_data.ad_mailbox->mb_display_name != NULL
						    ? strlen(ad->ad_data.ad_mailbox->mb_display_name)
						    : 0,
					    ad->ad_data.ad_mailbox->mb_addr_spec);
				(*n)++;
				continue;
			}
			if (ad->ad_data.ad_group->grp_mb_list != NULL)
				mbs = ad->ad_data.ad_group->grp_mb_list->mb_list;
			for (m = mbs != NULL ? clist_begin(mbs) : NULL; m != NULL; m = clist_next(m)) {
				struct mailimf_mailbox *mb = clist_content(m);

				if (*n >= max)
					break;
				*list = xgrow(*list, &cap, *n + 1, sizeof(**list));
				set_address(&(*list)[*n], mb->mb_display_name,
					    mb->mb_display_name != NULL ? strlen(mb->mb_display_name) : 0,
					    mb->mb_addr_spec);
				(*n)++;
			}
		}
		mailimf_address_list_free(al);
		/* "a@b (Name)": the old way of giving a name. */
		if (*n == start + 1 && (*list)[start].name == NULL)
			(*list)[start].name = first_comment(v, len);
		/*
		 * libetpan is generous: "<>" gives "<", "Joe <a@b" gives
		 * "Joe<a@b", "Mary Smith <@route:a@b>" gives "MarySmith@route".
		 * An address that is not in the text was made up.
		 */
		bool made_up = false;

		/* The first few suffice, and keep long lists linear. */
		for (size_t k = start; k < *n && k < start + 8; k++)
			if (!addr_in_text(stripped, sl, (*list)[k].addr))
				made_up = true;
		if ((*n > start && !made_up &&
		     (memchr(v, '<', len) == NULL || memchr(v, '>', len) != NULL)) ||
		    (*n == start && only_groups)) {
			free(stripped);
			return;
		}
		while (*n > start) {
			(*n)--;
			free((*list)[*n].name);
			free((*list)[*n].addr);
		}
	}
	if (*n >= max) {
		free(stripped);
		return;
	}
	*list = xgrow(*list, &cap, *n + 1, sizeof(**list));
	address_fallback(stripped, sl, &(*list)[*n]);
	free(stripped);
	if ((*list)[*n].name == NULL)
		(*list)[*n].name = first_comment(v, len);
	if ((*list)[*n].name == NULL && (*list)[*n].addr == NULL)
		return;
	(*n)++;
}

static void
parse_one_address(const char *v, size_t len, bool safe,
		  struct message_address *a)
{
	struct message_address *list = NULL;
	size_t n = 0;

	parse_addresses(v, len, safe, &list, &n, 1);
	if (n > 0)
		*a = list[0];
	free(list);
}

/* Message ids in <...>; if there are none, words with an '@'. */
static void
parse_ids(const char *v, size_t len, char ***ids, size_t *n)
{
	size_t cap = 0;

	for (size_t i = 0; i < len && *n < MESSAGE_MAX_IDS; i++) {
		const char *gt;
		char *id;

		if (v[i] != '<')
			continue;
		gt = memchr(v + i, '>', len - i);
		if (gt == NULL)
			break;
		id = clean_addr_n(v + i + 1, (size_t)(gt - v - i - 1));
		if (id != NULL) {
			*ids = xgrow(*ids, &cap, *n + 1, sizeof(**ids));
			(*ids)[(*n)++] = id;
		}
		i = (size_t)(gt - v);
	}
	if (*n > 0)
		return;
	for (size_t i = 0; i < len && *n < MESSAGE_MAX_IDS;) {
		size_t j = i;
		char *id;

		while (j < len && !is_wsp(v[j]) && v[j] != ',')
			j++;
		if (j > i && memchr(v + i, '@', j - i) != NULL &&
		    (id = clean_addr_n(v + i, j - i)) != NULL) {
			*ids = xgrow(*ids, &cap, *n + 1, sizeof(**ids));
			(*ids)[(*n)++] = id;
		}
		i = j + 1;
	}
}

static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static time_t
parse_date(const char *v, size_t len)
{
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	long y, days, secs, zone;
	time_t t;

	if (len == 0 || mailimf_date_time_parse(v, len, &idx, &dt) != MAILIMF_NO_ERROR)
		return 0;
	y = dt->dt_year;
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	if (dt->dt_month < 1 || dt->dt_month > 12 || dt->dt_day < 1 || dt->dt_day > 31 ||
	    dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 || dt->dt_min > 59 ||
	    dt->dt_sec < 0 || dt->dt_sec > 60 || y > 9999) {
		mailimf_date_time_free(dt);
		return 0;
	}
	days = days_from_civil(y, (unsigned)dt->dt_month, (unsigned)dt->dt_day);
	secs = dt->dt_hour * 3600L + dt->dt_min * 60L + dt->dt_sec;
	zone = dt->dt_zone;
	zone = (zone / 100) * 3600 + (zone % 100) * 60;
	mailimf_date_time_free(dt);
	t = (time_t)(days * 86400 + secs - zone);
	return t > 0 ? t : 0;
}

/* ------------------------------------------------------------------ */
/* Body text                                                           */
/* ------------------------------------------------------------------ */

struct walk {
	const struct limits *lim;
	size_t parts;
	unsigned depth;
	struct mailmime *plain[2], *html[2], *other[2];
	char *report_type;
	char **filenames;
	size_t n_filenames, cap_filenames;
};

/*
 * RFC 2231 value: charset'language'percent-encoded.  with_charset says
 * whether this segment carries the charset prefix.
 */
static void
rfc2231_append(struct buf *b, const char *v, bool with_charset, char *cs,
	       size_t cs_size)
{
	const char *p = v;

	if (with_charset) {
		const char *q1 = strchr(v, '\''), *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;

		if (q2 != NULL) {
			size_t n = (size_t)(q1 - v);

			if (n < cs_size) {
				memcpy(cs, v, n);
				cs[n] = '\0';
			}
			p = q2 + 1;
		}
	}
	for (; *p != '\0'; p++) {
		if (*p == '%' && hexval((unsigned char)p[1]) >= 0 && hexval((unsigned char)p[2]) >= 0) {
			buf_putc(b, (char)(hexval((unsigned char)p[1]) * 16 + hexval((unsigned char)p[2])));
			p += 2;
		} else {
			buf_putc(b, *p);
		}
	}
}

/*
 * A parameter by name from a parameter list, with RFC 2231 continuations
 * (name*0*, name*1, ...) and charsets (name*=utf-8''...) put together,
 * else the plain parameter with RFC 2047 words decoded.  NULL if absent.
 */
static char *
param_decoded(clist *params, const char *name, bool disposition)
{
	struct buf b;
	char cs[64] = "";
	size_t nl = strlen(name);
	const char *plain = NULL;
	bool found = false;
	size_t n;
	char *res;

	buf_init(&b, BUF_NO_LIMIT);
	/* Segments in order 0, 1, 2, ...; at most 100 of them. */
	for (int seg = -1; seg < 100; seg++) {
		bool got = false;

		for (clistiter *c = params != NULL ? clist_begin(params) : NULL; c != NULL;
		     c = clist_next(c)) {
			const char *pn, *pv;

			if (disposition) {
				struct mailmime_disposition_parm *dp = clist_content(c);

				if (dp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME) {
					if (seg == -1 && strcmp(name, "filename") == 0)
						plain = dp->pa_data.pa_filename;
					continue;
				}
				if (dp->pa_type != MAILMIME_DISPOSITION_PARM_PARAMETER)
					continue;
				pn = dp->pa_data.pa_parameter->pa_name;
				pv = dp->pa_data.pa_parameter->pa_value;
			} else {
				struct mailmime_parameter *pp = clist_content(c);

				pn = pp->pa_name;
				pv = pp->pa_value;
			}
			if (pn == NULL || pv == NULL || strncasecmp(pn, name, nl) != 0)
				continue;
			if (seg == -1) {
				if (pn[nl] == '\0' && plain == NULL)
					plain = pv;
				else if (pn[nl] == '*' && pn[nl + 1] == '\0') {
					rfc2231_append(&b, pv, true, cs, sizeof(cs));
					found = true;
				}
				continue;
			}
			if (pn[nl] == '*' && isdigit((unsigned char)pn[nl + 1])) {
				char *end;
				long k = strtol(pn + nl + 1, &end, 10);

				if (k != seg)
					continue;
				if (*end == '*')
					rfc2231_append(&b, pv, seg == 0, cs, sizeof(cs));
				else
					buf_puts(&b, pv);
				got = found = true;
			}
		}
		if (seg >= 0 && !got)
			break;
		if (seg == -1 && found)
			break;
	}
	if (found) {
		char *u = charset_to_utf8(cs[0] != '\0' ? cs : NULL, buf_str(&b), b.len, &n);

		buf_free(&b);
		n = clean_header(u, n);
		return u;
	}
	buf_free(&b);
	if (plain == NULL)
		return NULL;
	res = decode_clean(plain, strlen(plain));
	if (res != NULL)
		strip_quotes(res);
	return res;
}

static void
add_filename(struct walk *w, struct mailmime_fields *fields,
	     struct mailmime_content *ct)
{
	char *name = NULL;

	if (fields != NULL) {
		for (clistiter *c = clist_begin(fields->fld_list); c != NULL; c = clist_next(c)) {
			struct mailmime_field *f = clist_content(c);

			if (f->fld_type == MAILMIME_FIELD_DISPOSITION && f->fld_data.fld_disposition != NULL) {
				name = param_decoded(f->fld_data.fld_disposition->dsp_parms, "filename", true);
				break;
			}
		}
	}
	if (name == NULL && ct != NULL)
		name = param_decoded(ct->ct_parameters, "name", false);
	if (name == NULL)
		return;
	if (w->n_filenames >= 1000) {
		free(name);
		return;
	}
	w->filenames = xgrow(w->filenames, &w->cap_filenames, w->n_filenames + 1,
			     sizeof(*w->filenames));
	w->filenames[w->n_filenames++] = name;
}

static bool
is_attachment(struct mailmime_fields *fields)
{
	if (fields == NULL)
		return false;
	for (clistiter *c = clist_begin(fields->fld_list); c != NULL; c = clist_next(c)) {
		struct mailmime_field *f = clist_content(c);

		if (f->fld_type == MAILMIME_FIELD_DISPOSITION && f->fld_data.fld_disposition != NULL &&
		    f->fld_data.fld_disposition->dsp_type != NULL)
			return f->fld_data.fld_disposition->dsp_type->dsp_type ==
			       MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	}
	return false;
}

static void
walk_mime(struct walk *w, struct mailmime *mm, int inner, unsigned depth)
{
	struct mailmime_content *ct = mm->mm_content_type;

	if (depth > w->depth)
		w->depth = depth;
	switch (mm->mm_type) {
	case MAILMIME_SINGLE: {
		bool text = ct == NULL ||
			    (ct->ct_type != NULL && ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
			     ct->ct_type->tp_data.tp_discrete_type != NULL &&
			     ct->ct_type->tp_data.tp_discrete_type->dt_type == MAILMIME_DISCRETE_TYPE_TEXT);
		const char *sub = ct != NULL && ct->ct_subtype != NULL ? ct->ct_subtype : "plain";
		bool att = is_attachment(mm->mm_mime_fields);

		if (att || !text) {
			add_filename(w, mm->mm_mime_fields, ct);
			break;
		}
		if (strcasecmp(sub, "plain") == 0) {
			if (w->plain[inner] == NULL)
				w->plain[inner] = mm;
		} else if (strcasecmp(sub, "html") == 0) {
			if (w->html[inner] == NULL)
				w->html[inner] = mm;
		} else if (strcasecmp(sub, "enriched") == 0 || strcasecmp(sub, "richtext") == 0) {
			if (w->other[inner] == NULL)
				w->other[inner] = mm;
		}
		break;
	}
	case MAILMIME_MULTIPLE:
		if (!inner && w->report_type == NULL && ct != NULL && ct->ct_subtype != NULL &&
		    strcasecmp(ct->ct_subtype, "report") == 0) {
			const char *rt = mailmime_content_param_get(ct, "report-type");

			if (rt != NULL) {
				w->report_type = raw_to_clean(rt, strlen(rt));
				for (char *p = w->report_type; *p != '\0'; p++)
					*p = (char)tolower((unsigned char)*p);
			}
		}
		for (clistiter *c = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); c != NULL;
		     c = clist_next(c)) {
			if (++w->parts > w->lim->max_parts)
				return;
			walk_mime(w, clist_content(c), inner, depth + 1);
		}
		break;
	case MAILMIME_MESSAGE:
		if (mm->mm_data.mm_message.mm_msg_mime != NULL) {
			if (depth == 0) {
				walk_mime(w, mm->mm_data.mm_message.mm_msg_mime, 0, 0);
			} else {
				if (++w->parts > w->lim->max_parts)
					return;
				walk_mime(w, mm->mm_data.mm_message.mm_msg_mime, 1, depth + 1);
			}
		}
		break;
	default:
		break;
	}
}

/* Which transfer encoding a TOKEN value (unknown to libetpan) means. */
static int
token_encoding(const char *tok)
{
	if (tok == NULL)
		return MAILMIME_MECHANISM_8BIT;
	if (strcasestr(tok, "base64") != NULL || strcasestr(tok, "base-64") != NULL)
		return MAILMIME_MECHANISM_BASE64;
	if (strcasestr(tok, "quoted") != NULL)
		return MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	return MAILMIME_MECHANISM_8BIT;
}

/* NUL bytes after a part handed to libetpan's transfer decoders. */
#define BODY_TEXT_PAD 8

/*
 * Decodes the transfer encoding of `data` and converts its charset;
 * returns cleaned UTF-8 text (HTML made into text if html).
 */
static char *
body_text(const char *data, size_t len, int encoding, const char *charset,
	  bool html, size_t *out_len)
{
	char *dec = NULL, *u, *h;
	size_t declen = 0, idx = 0, n, hn;
	const char *src = data;
	size_t srclen = len;

	if (encoding == MAILMIME_MECHANISM_BASE64 ||
	    encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		/*
		 * libetpan 1.9.4's quoted-printable decoder reads two bytes
		 * past the end of a part that ends in "=" and one more
		 * character (found by fuzzing): decode a copy with NULs
		 * after it, never the raw buffer in place.
		 */
		char *padded = xmalloc(len + BODY_TEXT_PAD);

		if (len > 0)
			memcpy(padded, data, len);
		memset(padded + len, 0, BODY_TEXT_PAD);
		if (mailmime_part_parse(padded, len, &idx, encoding, &dec, &declen) ==
		    MAILIMF_NO_ERROR && dec != NULL) {
			src = dec;
			srclen = declen;
		} else {
			dec = NULL;
		}
		free(padded);
	}
	u = charset_to_utf8(charset, src, srclen, &n);
	if (dec != NULL)
		mailmime_decoded_part_free(dec);
	if (html) {
		h = html_to_text(u, n, &hn);
		free(u);
		if (utf8_valid(h, hn)) {
			u = h;
			n = hn;
		} else {
			u = charset_utf8_repair(h, hn, &n);
			free(h);
		}
	}
	/* Leading blank lines say nothing. */
	{
		size_t k = 0, start = 0;

		while (k < n && (u[k] == ' ' || u[k] == '\t' || u[k] == '\r' || u[k] == '\n')) {
			if (u[k] == '\n')
				start = k + 1;
			k++;
		}
		if (start > 0) {
			memmove(u, u + start, n - start);
			n -= start;
		}
	}
	*out_len = clean_text(u, n);
	return u;
}

static char *
mime_text(struct mailmime *mm, bool html, size_t *out_len)
{
	struct mailmime_data *d = mm->mm_data.mm_single;
	struct mailmime_single_fields sf;
	int enc;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT) {
		*out_len = 0;
		return xstrdup("");
	}
	memset(&sf, 0, sizeof(sf));
	if (mm->mm_mime_fields != NULL)
		mailmime_single_fields_init(&sf, mm->mm_mime_fields, mm->mm_content_type);
	else if (mm->mm_content_type != NULL)
		sf.fld_content_charset = mailmime_content_param_get(mm->mm_content_type, "charset");
	enc = d->dt_encoding;
	if (enc == MAILMIME_MECHANISM_TOKEN)
		enc = token_encoding(sf.fld_encoding != NULL ? sf.fld_encoding->enc_token : NULL);
	if (!d->dt_encoded)
		enc = MAILMIME_MECHANISM_8BIT;
	return body_text(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, enc,
			 sf.fld_content_charset, html, out_len);
}

static bool
blank_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * Picks and decodes the text: plain, else HTML, else enriched, first
 * outside attached messages, then inside them.  A candidate that decodes
 * to nothing but blanks gives way to the next one.  Returns false if
 * nothing but blanks was found (m->text is then left alone).
 */
static bool
pick_text(struct message *m, struct walk *w)
{
	for (int inner = 0; inner < 2; inner++) {
		struct mailmime *cand[3] = { w->plain[inner], w->html[inner], w->other[inner] };

		for (int k = 0; k < 3; k++) {
			size_t n;
			char *t;

			if (cand[k] == NULL)
				continue;
			t = mime_text(cand[k], k == 1, &n);
			if (blank_text(t, n)) {
				free(t);
				continue;
			}
			free(m->text);
			m->text = t;
			m->text_len = n;
			m->text_from_html = k == 1;
			return true;
		}
	}
	return false;
}

/*
 * When libetpan found no text (it drops a whole multipart when one part
 * is empty, for one): the parts our own scan finds, in the same order of
 * preference.
 */
static void
scan_text(struct message *m, const char *raw, size_t len, const struct limits *lim)
{
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	sc.s = raw;
	sc.len = len;
	sc.lim = lim;
	sc.record = true;
	sc.frames = xcalloc((size_t)lim->max_depth + 1, sizeof(*sc.frames));
	scan_run(&sc);
	for (int inner = 0; inner < 2; inner++) {
		for (int kind = 0; kind < 3; kind++) {
			for (size_t i = 0; i < sc.n_leaves; i++) {
				const struct scan_leaf *l = &sc.leaves[i];
				size_t n;
				char *t;

				if (l->inner != (inner == 1) || l->text != kind || l->attachment)
					continue;
				t = body_text(raw + l->start, l->end - l->start, l->encoding,
					      l->charset[0] != '\0' ? l->charset : NULL, kind == 1, &n);
				if (blank_text(t, n)) {
					free(t);
					continue;
				}
				free(m->text);
				m->text = t;
				m->text_len = n;
				m->text_from_html = kind == 1;
				goto done;
			}
		}
	}
done:
	free(sc.problem);
	free(sc.frames);
	free(sc.leaves);
}

/* ------------------------------------------------------------------ */
/* message_parse                                                       */
/* ------------------------------------------------------------------ */

static void
limits_from(const struct message_limits *in, struct limits *lim)
{
	lim->max_size = in != NULL && in->max_size > 0 ? in->max_size : MESSAGE_DEFAULT_MAX_SIZE;
	lim->max_depth = in != NULL && in->max_depth > 0 ? in->max_depth : MESSAGE_DEFAULT_MAX_DEPTH;
	lim->max_parts = in != NULL && in->max_parts > 0 ? in->max_parts : MESSAGE_DEFAULT_MAX_PARTS;
}

/* The raw, unfolded value of the first header called name, or NULL. */
struct rawhdrs {
	struct rawfield *f;
	size_t n;
};

static const struct rawfield *
raw_find(const struct rawhdrs *h, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < h->n; i++)
		if (h->f[i].name_len == nl && strncasecmp(h->f[i].name, name, nl) == 0)
			return &h->f[i];
	return NULL;
}

/* Reads the top-level header block into m; returns where the body starts. */
static size_t
read_headers(struct message *m, const char *s, size_t len, bool safe,
	     struct rawhdrs *h)
{
	struct hdr_iter it;
	struct rawfield f;
	size_t cap = 0;
	const struct rawfield *r;
	char *v;
	size_t vl;

	char hint[48] = "";

	hdr_init(&it, s, len);
	while (hdr_next(&it, &f)) {
		h->f = xgrow(h->f, &cap, h->n + 1, sizeof(*h->f));
		h->f[h->n++] = f;
	}
	if ((r = raw_find(h, "Content-Type")) != NULL) {
		const char *cv;
		size_t cl;
		bool q;

		if (ct_param(r->value, r->value_len, "charset", &cv, &cl, &q) == 1 &&
		    cl < sizeof(hint)) {
			memcpy(hint, cv, cl);
			hint[cl] = '\0';
			message_header_charset = hint;
		}
	}
	/* Subject, From and Reply-To first: if a hostile header uses up the
	 * decoding budget, these are still read. */
	if ((r = raw_find(h, "Subject")) != NULL) {
		v = unfold(r->value, r->value_len, &vl);
		free(m->subject);
		m->subject = decode_clean(v, vl);
		if (m->subject == NULL)
			m->subject = xstrdup("");
		free(v);
	}
	if ((r = raw_find(h, "From")) != NULL) {
		v = unfold(r->value, r->value_len, &vl);
		parse_one_address(v, vl, safe, &m->from);
		free(v);
	}
	if ((r = raw_find(h, "Reply-To")) != NULL) {
		v = unfold(r->value, r->value_len, &vl);
		parse_one_address(v, vl, safe, &m->reply_to);
		free(v);
	}
	m->headers = xcalloc(h->n > 0 ? h->n : 1, sizeof(*m->headers));
	for (size_t i = 0; i < h->n; i++) {
		struct message_header *mh = &m->headers[m->n_headers++];
		char *dv;
		size_t dn;

		mh->name = raw_to_clean(h->f[i].name, h->f[i].name_len);
		v = unfold(h->f[i].value, h->f[i].value_len, &vl);
		dv = decode_words(v, vl, &dn);
		clean_header(dv, dn);
		mh->value = dv;
		free(v);
	}
	for (size_t i = 0; i < h->n; i++) {
		bool to = h->f[i].name_len == 2 && strncasecmp(h->f[i].name, "To", 2) == 0;
		bool cc = h->f[i].name_len == 2 && strncasecmp(h->f[i].name, "Cc", 2) == 0;

		if (!to && !cc)
			continue;
		v = unfold(h->f[i].value, h->f[i].value_len, &vl);
		if (to)
			parse_addresses(v, vl, safe, &m->to, &m->n_to, MESSAGE_MAX_TO);
		else
			parse_addresses(v, vl, safe, &m->cc, &m->n_cc, MESSAGE_MAX_TO);
		free(v);
	}
	/* Authentication-Results as written, top to bottom: they are read
	 * without RFC 2047 decoding (authres.h says why). */
	for (size_t i = 0; i < h->n && m->n_auth_results < MESSAGE_MAX_AUTH_RESULTS; i++) {
		static const char ar[] = "Authentication-Results";

		if (h->f[i].name_len != sizeof(ar) - 1 ||
		    strncasecmp(h->f[i].name, ar, sizeof(ar) - 1) != 0)
			continue;
		if (m->auth_results == NULL)
			m->auth_results = xcalloc(MESSAGE_MAX_AUTH_RESULTS, sizeof(*m->auth_results));
		v = unfold(h->f[i].value, h->f[i].value_len, &vl);
		m->auth_results[m->n_auth_results++] = raw_to_clean(v, vl);
		free(v);
	}
	if ((r = raw_find(h, "Date")) != NULL && safe) {
		v = unfold(r->value, r->value_len, &vl);
		m->date = parse_date(v, vl);
		free(v);
	}
	if ((r = raw_find(h, "Message-ID")) != NULL) {
		char **ids = NULL;
		size_t n = 0;

		v = unfold(r->value, r->value_len, &vl);
		parse_ids(v, vl, &ids, &n);
		if (n > 0)
			m->message_id = ids[0];
		for (size_t i = 1; i < n; i++)
			free(ids[i]);
		free(ids);
		free(v);
	}
	if ((r = raw_find(h, "In-Reply-To")) != NULL) {
		v = unfold(r->value, r->value_len, &vl);
		parse_ids(v, vl, &m->in_reply_to, &m->n_in_reply_to);
		free(v);
	}
	if ((r = raw_find(h, "References")) != NULL) {
		v = unfold(r->value, r->value_len, &vl);
		parse_ids(v, vl, &m->references, &m->n_references);
		free(v);
	}
	if ((r = raw_find(h, "Return-Path")) != NULL) {
		const char *lt, *gt;

		v = unfold(r->value, r->value_len, &vl);
		lt = memchr(v, '<', vl);
		gt = lt != NULL ? memchr(lt, '>', vl - (size_t)(lt - v)) : NULL;
		if (lt != NULL && gt != NULL)
			m->return_path = clean_addr_n(lt + 1, (size_t)(gt - lt - 1));
		else
			m->return_path = clean_addr(v);
		if (m->return_path == NULL)
			m->return_path = xstrdup("");
		free(v);
	}
	message_header_charset = NULL;
	return it.body;
}

/*
 * When mailmime_parse gives up: the body after the header block, read as
 * one part with the top-level Content-Type and transfer encoding.
 */
static void
fallback_body(struct message *m, const char *body, size_t len,
	      const struct rawhdrs *h)
{
	const struct rawfield *r = raw_find(h, "Content-Type");
	const struct rawfield *e = raw_find(h, "Content-Transfer-Encoding");
	char charset[64] = "";
	bool html = false;
	int enc = MAILMIME_MECHANISM_8BIT;

	if (r != NULL) {
		const char *v;
		size_t vl;
		bool q;
		size_t k = skip_cfws(r->value, r->value_len, 0);

		if (ci_prefix(r->value + k, r->value_len - k, "multipart") ||
		    (!ci_prefix(r->value + k, r->value_len - k, "text") &&
		     k < r->value_len))
			return;
		html = ci_prefix(r->value + k, r->value_len - k, "text/html");
		if (ct_param(r->value, r->value_len, "charset", &v, &vl, &q) == 1 &&
		    vl < sizeof(charset)) {
			memcpy(charset, v, vl);
			charset[vl] = '\0';
		}
	}
	if (e != NULL) {
		char *t = xstrndup(e->value, e->value_len);

		enc = token_encoding(t);
		free(t);
	}
	free(m->text);
	m->text = body_text(body, len, enc, charset[0] != '\0' ? charset : NULL, html,
			    &m->text_len);
	m->text_from_html = html;
}

/* The MIME header fields of h, then an empty line and body, into b. */
static void
mime_header_copy(struct buf *b, const struct rawhdrs *h, const char *body,
		 size_t len)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct rawfield *f = &h->f[i];

		if (!ci_prefix(f->name, f->name_len, "content-") &&
		    !ci_prefix(f->name, f->name_len, "mime-version"))
			continue;
		buf_append(b, f->name, f->name_len);
		buf_putc(b, ':');
		buf_append(b, f->value, f->value_len);
		buf_puts(b, "\r\n");
	}
	buf_puts(b, "\r\n");
	buf_append(b, body, len);
}

static struct message *
message_parse_work(const char *raw, size_t len, const struct message_limits *in_lim)
{
	struct message *m = xcalloc(1, sizeof(*m));
	struct limits lim;
	struct rawhdrs h = { NULL, 0 };
	unsigned containers = 0;
	size_t start, body;
	bool safe = true;
	struct mailmime *mime = NULL;
	size_t idx = 0;
	struct buf synthetic;

	buf_init(&synthetic, BUF_NO_LIMIT);
	limits_from(in_lim, &lim);
	m->subject = xstrdup("");
	m->text = xstrdup("");
	m->content_type = xstrdup("text/plain");
	if (raw == NULL)
		len = 0;
	if (len > lim.max_size) {
		m->problem = xasprintf("message larger than %zu bytes", lim.max_size);
		return m;
	}
	start = skip_mbox_from(raw, len);
	raw += start;
	len -= start;

	m->problem = screen(raw, len, &lim, &containers);
	if (m->problem != NULL && strncmp(m->problem, "header comments", 15) == 0)
		safe = false;
	/* The precise scan is needed only if nesting could exceed the limit. */
	if (m->problem == NULL &&
	    ((size_t)containers * 2 + 1 > lim.max_depth || containers > lim.max_parts / 2))
		m->problem = scan_structure(raw, len, &lim);
	body = read_headers(m, raw, len, safe, &h);
	{
		const struct rawfield *r = raw_find(&h, "Content-Type");
		struct ctinfo ct;

		if (r != NULL && ct_read(r->value, r->value_len, &ct)) {
			size_t k = skip_cfws(r->value, r->value_len, 0), e = k;

			while (e < r->value_len && r->value[e] != ';' && !is_wsp(r->value[e]) &&
			       r->value[e] != '(' && r->value[e] != '\r' && r->value[e] != '\n')
				e++;
			free(m->content_type);
			m->content_type = raw_to_clean(r->value + k, e - k);
			for (char *p = m->content_type; *p != '\0'; p++)
				*p = (char)tolower((unsigned char)*p);
			/* Even when the rest of the header is broken. */
			if (strcmp(m->content_type, "multipart/report") == 0) {
				const char *v;
				size_t vl;
				bool q;

				if (ct_param(r->value, r->value_len, "report-type", &v, &vl, &q) == 1) {
					m->report_type = raw_to_clean(v, vl);
					for (char *p = m->report_type; *p != '\0'; p++)
						*p = (char)tolower((unsigned char)*p);
				}
			}
		}
	}
	if (m->problem != NULL) {
		free(h.f);
		return m;
	}
	if (mailmime_parse(raw, len, &idx, &mime) == MAILIMF_NO_ERROR && mime != NULL) {
		struct walk w;
		struct mailmime *bm = mime->mm_type == MAILMIME_MESSAGE
					      ? mime->mm_data.mm_message.mm_msg_mime : NULL;

		/*
		 * libetpan stops reading the header at a field it cannot
		 * parse and takes the rest as the body.  Then parse again
		 * with only the MIME headers in front of the real body.
		 */
		if (bm != NULL && bm->mm_body != NULL && bm->mm_body->dt_type == MAILMIME_DATA_TEXT &&
		    bm->mm_body->dt_data.dt_text.dt_data < raw + body) {
			struct mailmime *again = NULL;

			mime_header_copy(&synthetic, &h, raw + body, len - body);
			idx = 0;
			if (mailmime_parse(synthetic.data, synthetic.len, &idx, &again) ==
			    MAILIMF_NO_ERROR && again != NULL) {
				mailmime_free(mime);
				mime = again;
			}
		}

		memset(&w, 0, sizeof(w));
		w.lim = &lim;
		walk_mime(&w, mime, 0, 0);
		if (w.parts > lim.max_parts)
			m->problem = xasprintf("more than %u MIME parts", lim.max_parts);
		else if (w.depth > lim.max_depth)
			m->problem = xasprintf("MIME nesting deeper than %u levels", lim.max_depth);
		else if (!pick_text(m, &w))
			scan_text(m, raw, len, &lim);
		if (w.report_type != NULL) {
			free(m->report_type);
			m->report_type = w.report_type;
		}
		m->filenames = w.filenames;
		m->n_filenames = w.n_filenames;
		mailmime_free(mime);
		buf_free(&synthetic);
	} else {
		fallback_body(m, raw + body, len - body, &h);
	}
	free(h.f);
	return m;
}

struct message *
message_parse(const char *raw, size_t len, const struct message_limits *in_lim)
{
	struct message *m;

	memset(&message_work, 0, sizeof(message_work));
	m = message_parse_work(raw, len, in_lim);
	m->encoded_words = message_work.words;
	m->conversions = message_work.conversions;
	m->decode_capped = message_work.capped;
	return m;
}

const char *
message_header(const struct message *m, const char *name)
{
	if (m == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < m->n_headers; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

void
message_free(struct message **mp)
{
	struct message *m;

	if (mp == NULL || *mp == NULL)
		return;
	m = *mp;
	free(m->message_id);
	free(m->subject);
	free(m->from.name);
	free(m->from.addr);
	free(m->reply_to.name);
	free(m->reply_to.addr);
	for (size_t i = 0; i < m->n_to; i++) {
		free(m->to[i].name);
		free(m->to[i].addr);
	}
	free(m->to);
	for (size_t i = 0; i < m->n_cc; i++) {
		free(m->cc[i].name);
		free(m->cc[i].addr);
	}
	free(m->cc);
	for (size_t i = 0; i < m->n_auth_results; i++)
		free(m->auth_results[i]);
	free(m->auth_results);
	free(m->return_path);
	for (size_t i = 0; i < m->n_in_reply_to; i++)
		free(m->in_reply_to[i]);
	free(m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	for (size_t i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	for (size_t i = 0; i < m->n_filenames; i++)
		free(m->filenames[i]);
	free(m->filenames);
	free(m->content_type);
	free(m->report_type);
	free(m->text);
	free(m->problem);
	free(m);
	*mp = NULL;
}

/* ------------------------------------------------------------------ */
/* message_fingerprint                                                 */
/* ------------------------------------------------------------------ */

static bool
is_trace_header(const char *name, size_t n)
{
	static const char *const trace[] = {
		"Received", "Return-Path", "Delivered-To", "X-Original-To",
		"Envelope-To", NULL,
	};

	for (size_t i = 0; trace[i] != NULL; i++)
		if (n == strlen(trace[i]) && strncasecmp(name, trace[i], n) == 0)
			return true;
	return ci_prefix(name, n, "X-Envelope-") || ci_prefix(name, n, "X-Redress-");
}

struct hasher {
	gnutls_hash_hd_t h;
	char buf[65536];
	size_t n;
};

static void
hasher_add(struct hasher *hs, const char *s, size_t n)
{
	/* CRLF becomes LF; a CR elsewhere stays. */
	for (size_t i = 0; i < n;) {
		const char *cr = memchr(s + i, '\r', n - i);
		size_t run = cr != NULL ? (size_t)(cr - s) - i : n - i;

		while (run > 0) {
			size_t take = sizeof(hs->buf) - hs->n < run ? sizeof(hs->buf) - hs->n : run;

			memcpy(hs->buf + hs->n, s + i, take);
			hs->n += take;
			i += take;
			run -= take;
			if (hs->n == sizeof(hs->buf)) {
				gnutls_hash(hs->h, hs->buf, hs->n);
				hs->n = 0;
			}
		}
		if (cr == NULL)
			break;
		if (!(i + 1 < n && s[i + 1] == '\n')) {
			if (hs->n == sizeof(hs->buf)) {
				gnutls_hash(hs->h, hs->buf, hs->n);
				hs->n = 0;
			}
			hs->buf[hs->n++] = '\r';
		}
		i++;
	}
}

void
message_fingerprint(const char *raw, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct hasher *hs = xmalloc(sizeof(*hs));
	unsigned char digest[32];
	struct hdr_iter it;
	struct rawfield f;
	size_t start, prev;

	if (raw == NULL)
		len = 0;
	start = skip_mbox_from(raw, len);
	raw += start;
	len -= start;
	/* Trailing line ends differ between mbox and single-file copies. */
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	hs->n = 0;
	if (gnutls_hash_init(&hs->h, GNUTLS_DIG_SHA256) < 0) {
		/* Cannot happen with a working GnuTLS; fall back to one call. */
		gnutls_hash_fast(GNUTLS_DIG_SHA256, raw, len, digest);
		goto hex_out;
	}
	hdr_init(&it, raw, len);
	prev = 0;
	while (hdr_next(&it, &f)) {
		size_t fstart = (size_t)(f.name - raw);

		if (is_trace_header(f.name, f.name_len)) {
			hasher_add(hs, raw + prev, fstart - prev);
			prev = it.pos;
		}
	}
	hasher_add(hs, raw + prev, len - prev);
	if (hs->n > 0)
		gnutls_hash(hs->h, hs->buf, hs->n);
	gnutls_hash_deinit(hs->h, digest);
hex_out:
	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
	free(hs);
}

/* ------------------------------------------------------------------ */
/* message_fresh_text                                                  */
/* ------------------------------------------------------------------ */

/* Trims blanks at both ends of [*b, *e). */
static void
trim_span(const char *s, size_t *b, size_t *e)
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
is_attribution_end(const char *s, size_t n)
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
is_attribution_start(const char *s, size_t n)
{
	return ci_prefix(s, n, "On ") || ci_prefix(s, n, "Am ") || ci_prefix(s, n, "Le ") ||
	       ci_prefix(s, n, "El ") || ci_prefix(s, n, "Il ") || ci_prefix(s, n, "Op ") ||
	       ci_prefix(s, n, "W dniu ");
}

/* "-----Original Message-----", "----- Original Message -----" ... */
static bool
is_original_marker(const char *s, size_t n)
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
		size_t ce, next = line_next(text, len, i, &ce), b = i, e = ce;

		trim_span(text, &b, &e);
		/* Signature. */
		if (ce - i >= 2 && text[i] == '-' && text[i + 1] == '-' && e - b == 2)
			break;
		if (is_original_marker(text + b, e - b))
			break;
		/* Outlook: "From: ..." then "Sent:" or "Date:" within a few lines. */
		if (ci_prefix(text + b, e - b, "From:")) {
			size_t j = next;
			bool outlook = false;

			for (int k = 0; k < 4 && j < len; k++) {
				size_t ce2, n2 = line_next(text, len, j, &ce2), b2 = j, e2 = ce2;

				trim_span(text, &b2, &e2);
				if (ci_prefix(text + b2, e2 - b2, "Sent:") ||
				    ci_prefix(text + b2, e2 - b2, "Date:")) {
					outlook = true;
					break;
				}
				j = n2;
			}
			if (outlook)
				break;
		}
		/* "On ... wrote:", possibly wrapped onto a second line. */
		if (is_attribution_start(text + b, e - b)) {
			size_t after = 0;

			if (is_attribution_end(text + b, e - b)) {
				after = next;
			} else if (next < len) {
				size_t ce2, n2 = line_next(text, len, next, &ce2), b2 = next, e2 = ce2;

				trim_span(text, &b2, &e2);
				if (e2 > b2 && text[b2] != '>' && is_attribution_end(text + b2, e2 - b2))
					after = n2;
			}
			if (after > 0) {
				/* Drop the attribution and the quoted block under it. */
				i = after;
				while (i < len) {
					size_t ce3, n3 = line_next(text, len, i, &ce3), b3 = i, e3 = ce3;

					trim_span(text, &b3, &e3);
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
