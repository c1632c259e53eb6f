/*
 * NAME
 *	compose - build the RFC 5322 messages redress sends
 * SYNOPSIS
 *	#include "mail/compose.h"
 *
 *	compose_message(), compose_parse_mailbox(), compose_address_ok(),
 *	compose_date(), compose_qp()
 * DESCRIPTION
 *	Everything a header gets passes through one small writer that knows
 *	the line length so far: it folds before a token that would take the
 *	line past 78 octets and sizes RFC 2047 encoded words to the room left
 *	on the line.  Text from outside is cleaned first (compose_clean), and
 *	addresses and Message-IDs are checked against a strict shape and then
 *	written from the checked parts, so nothing that could end a header
 *	line or start a new one reaches the output.
 *
 *	Quoted-printable follows RFC 2045 section 6.7: lines of at most 76
 *	octets, a soft break "=" at the end of a line that continues, "=XX"
 *	for "=", non-ASCII and control octets and for white space before a
 *	line end.  A UTF-8 character is never split across a soft break, and
 *	a line that would begin with "." or "From " has that first octet
 *	encoded.
 * DIAGNOSTICS
 *	compose_message() fails with a message naming the input that was
 *	refused: "From: ...", "To: ...", "Message-ID: ...", "X-Loop: ...",
 *	"Auto-Submitted: ...", or the body size.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/charset.h"
#include "mail/compose.h"

#define COMPOSE_FOLD 78         /* preferred line length */
#define COMPOSE_WORD_MAX 75     /* an encoded word, RFC 2047 section 2 */
#define COMPOSE_MAX_ID 250      /* a Message-ID without <> */
#define COMPOSE_MAX_OUT (8 * 1024 * 1024)

/* ---- text cleaning --------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s, or 0; *cp_r its code point. */
static size_t
compose_utf8(const unsigned char *s, size_t n, unsigned *cp_r)
{
	static const unsigned char lead_bits[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	size_t len = utf8_seq(s, n);
	unsigned cp;

	if (len == 0)
		return 0;
	cp = s[0] & lead_bits[len];
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	*cp_r = cp;
	return len;
}

/*
 * Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt):
 * characters that a renderer shows as nothing.  In a name or a subject
 * they only serve to deceive: the bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E/F, U+202A-E, U+2066-9) reorder
 * what the reader sees; the zero-width ones (U+200B-D, U+2060, U+FEFF,
 * U+180E, U+00AD), the fillers (Hangul, U+3164), variation selectors and
 * tag characters (U+E0000-E0FFF) hide text or make two different names
 * look the same.
 */
static bool
compose_ignorable(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{ 0x00ad, 0x00ad }, { 0x034f, 0x034f }, { 0x061c, 0x061c },
		{ 0x115f, 0x1160 }, { 0x17b4, 0x17b5 }, { 0x180b, 0x180f },
		{ 0x200b, 0x200f }, { 0x202a, 0x202e }, { 0x2060, 0x206f },
		{ 0x3164, 0x3164 }, { 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff },
		{ 0xffa0, 0xffa0 }, { 0xfff0, 0xfff8 }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
	};

	if (cp < 0xad)
		return false;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/*
 * Header-safe text: valid UTF-8, no control characters (they become
 * spaces: CR and LF must never reach a header), no line separators, no
 * invisible characters (compose_ignorable), white space collapsed and
 * trimmed, at most max_bytes bytes and max_chars characters, cut at a
 * character boundary.  When it had to be cut and ellipsis is true, the
 * last character is "\u2026" (within both caps).  Allocated.
 */
static char *
compose_clean_cut(const char *in, size_t max_bytes, size_t max_chars, bool ellipsis)
{
	static const char dots[] = "\xe2\x80\xa6";  /* U+2026 */
	const unsigned char *s = (const unsigned char *)(in != NULL ? in : "");
	size_t n = strlen((const char *)s), o = 0, chars = 0;
	size_t keep_o = 0;     /* where the text ends if the ellipsis must go */
	char *r = xmalloc(max_bytes + 4);
	bool space = false, cut = false;

	for (size_t i = 0; i < n;) {
		unsigned cp = 0xfffd;
		size_t len = compose_utf8(s + i, n - i, &cp);
		const char *bytes = (const char *)s + i;
		size_t blen = len;

		if (len == 0) {
			bytes = "\xef\xbf\xbd";
			blen = 3;
			len = 1;
		}
		i += len;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029 || cp == ' ' || cp == 0xa0 ||
		    cp == 0x85) {
			space = o > 0;
			continue;
		}
		if (compose_ignorable(cp))
			continue;
		if (o + (space ? 1 : 0) + blen > max_bytes ||
		    chars + (space ? 1 : 0) + 1 > max_chars) {
			cut = true;
			break;
		}
		/* Room for " ..." after what is kept so far, for a cut later. */
		if (o + (space ? 1 : 0) + blen + sizeof(dots) - 1 <= max_bytes &&
		    chars + (space ? 1 : 0) + 2 <= max_chars)
			keep_o = o + (space ? 1 : 0) + blen;
		if (space) {
			r[o++] = ' ';
			chars++;
		}
		space = false;
		memcpy(r + o, bytes, blen);
		o += blen;
		chars++;
	}
	if (cut && ellipsis) {
		o = keep_o;
		while (o > 0 && r[o - 1] == ' ')
			o--;
		memcpy(r + o, dots, sizeof(dots) - 1);
		o += sizeof(dots) - 1;
	}
	r[o] = '\0';
	return r;
}

static char *
compose_clean(const char *in, size_t max)
{
	return compose_clean_cut(in, max, (size_t)-1, false);
}

char *
compose_echo(const char *text, size_t max_chars)
{
	if (text == NULL)
		return NULL;
	return compose_clean_cut(text, max_chars * 4, max_chars, true);
}

/* ---- addresses and ids ----------------------------------------------- */

static bool
compose_domain_ok(const char *d, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && d[len - 1] != '-';
}

int
compose_address_ok(const char *addr)
{
	const char *at;
	size_t len, local;

	if (addr == NULL)
		return 0;
	len = strlen(addr);
	at = strrchr(addr, '@');
	if (len > 254 || at == NULL)
		return 0;
	local = (size_t)(at - addr);
	if (local == 0 || local > 64 || addr[0] == '.' || addr[local - 1] == '.')
		return 0;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)addr[i];

		/* atext and dots: RFC 5322 dot-atom, nothing that needs quoting. */
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>@[\\]", c) != NULL)
			return 0;
		if (c == '.' && addr[i + 1] == '.')
			return 0;
	}
	return compose_domain_ok(at + 1, len - local - 1);
}

/* Printable ASCII without white space, quotes, angle brackets or backslash. */
static bool
compose_msgid_ok(const char *id)
{
	size_t len = id != NULL ? strlen(id) : 0;

	if (len == 0 || len > COMPOSE_MAX_ID)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' ||
		    c == '\\' || c == '(' || c == ')' || c == ',')
			return false;
	}
	return true;
}

/* A copy of id without one pair of surrounding <> and blanks. */
static char *
compose_strip_id(const char *id)
{
	size_t len;

	while (*id == ' ' || *id == '\t')
		id++;
	len = strlen(id);
	while (len > 0 && (id[len - 1] == ' ' || id[len - 1] == '\t'))
		len--;
	if (len >= 2 && id[0] == '<' && id[len - 1] == '>')
		return xstrndup(id + 1, len - 2);
	return xstrndup(id, len);
}

/* For error messages: s with anything unprintable as '?', at most 80. */
static char *
compose_printable(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	char *r;

	if (n > 80)
		n = 80;
	r = xstrndup(s != NULL ? s : "", n);
	for (char *c = r; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return r;
}

int
compose_parse_mailbox(const char *s, char **name_r, char **addr_r)
{
	const char *lt, *end;
	char *addr, *raw_name = NULL;
	size_t len;

	*name_r = *addr_r = NULL;
	if (s == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	end = s + len;
	if (len > 0 && end[-1] == '>' && (lt = memrchr(s, '<', len)) != NULL) {
		const char *n = s, *ne;
		size_t nlen = (size_t)(lt - s);

		/* "x <a@b> <c@d>": one mailbox only. */
		if (memchr(s, '<', (size_t)(lt - s)) != NULL ||
		    memchr(s, '>', (size_t)(lt - s)) != NULL)
			return -1;

		addr = xstrndup(lt + 1, (size_t)(end - 1 - (lt + 1)));
		while (nlen > 0 && (n[nlen - 1] == ' ' || n[nlen - 1] == '\t'))
			nlen--;
		ne = n + nlen;
		if (nlen >= 2 && n[0] == '"' && n[nlen - 1] == '"') {
			/* A quoted-string: undo the backslash escapes. */
			char *o;

			raw_name = xmalloc((size_t)(ne - n));
			o = raw_name;
			for (const char *c = n + 1; c < ne - 1; c++) {
				if (*c == '\\' && c + 1 < ne - 1)
					c++;
				*o++ = *c;
			}
			*o = '\0';
		} else {
			raw_name = xstrndup(n, (size_t)(ne - n));
		}
	} else {
		addr = xstrndup(s, len);
	}
	if (!compose_address_ok(addr)) {
		free(addr);
		free(raw_name);
		return -1;
	}
	if (raw_name != NULL) {
		*name_r = compose_clean(raw_name, COMPOSE_MAX_NAME);
		free(raw_name);
		if ((*name_r)[0] == '\0') {
			free(*name_r);
			*name_r = NULL;
		}
	}
	*addr_r = addr;
	return 0;
}

/* ---- the header writer ----------------------------------------------- */

struct compose_hdr {
	struct buf *out;
	size_t line;    /* octets on the current line so far */
	size_t first;   /* octets of "Name:"; nothing folds before a token */
	int failed;
};

static void
compose_hdr_raw(struct compose_hdr *h, const char *s, size_t len)
{
	if (buf_append(h->out, s, len) < 0)
		h->failed = 1;
	h->line += len;
}

static void
compose_hdr_start(struct compose_hdr *h, struct buf *out, const char *name)
{
	h->out = out;
	h->line = 0;
	compose_hdr_raw(h, name, strlen(name));
	compose_hdr_raw(h, ":", 1);
	h->first = h->line;
}

/* Starts a new line (CRLF SP) if a token of len would pass the fold. */
static void
compose_hdr_space(struct compose_hdr *h, size_t len)
{
	if (h->line > h->first && h->line + 1 + len > COMPOSE_FOLD) {
		compose_hdr_raw(h, "\r\n", 2);
		h->line = 0;
	}
	compose_hdr_raw(h, " ", 1);
}

static void
compose_hdr_token(struct compose_hdr *h, const char *s, size_t len)
{
	compose_hdr_space(h, len);
	compose_hdr_raw(h, s, len);
}

static void
compose_hdr_end(struct compose_hdr *h)
{
	compose_hdr_raw(h, "\r\n", 2);
}

/* Characters that stand for themselves in a Q-encoded word in a phrase. */
static bool
compose_q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	       c == '-' || c == '/';
}

static size_t
compose_q_len(const unsigned char *s, size_t n)
{
	size_t r = 0;

	for (size_t i = 0; i < n; i++)
		r += compose_q_plain(s[i]) || s[i] == ' ' ? 1 : 3;
	return r;
}

static const char compose_hex[] = "0123456789ABCDEF";
static const char compose_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
compose_b64_append(struct buf *b, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = compose_b64[(v >> 18) & 63];
		q[1] = compose_b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? compose_b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? compose_b64[v & 63] : '=';
		buf_append(b, q, 4);
	}
}

/*
 * Writes text (clean UTF-8) as encoded words, each sized to the room on
 * its line and at most 75 octets, split only between characters.  Spaces
 * inside text are encoded too, since a decoder drops the white space
 * between two adjacent encoded words.
 */
static void
compose_hdr_encoded(struct compose_hdr *h, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	/* Q reads better for mostly-Latin text; B is shorter for the rest. */
	bool use_b = compose_q_len(s, n) * 3 > (n + 2) / 3 * 4 * 4;
	const size_t overhead = 12; /* "=?UTF-8?Q?" and "?=" */
	size_t i = 0;

	while (i < n) {
		size_t room, max, take = 0, enc = 0;
		struct buf w;
		unsigned cp;

		/* Fill this line if a useful word still fits, else the next. */
		room = h->line + 1 < COMPOSE_FOLD ? COMPOSE_FOLD - h->line - 1 : 0;
		if (h->line <= h->first || room >= overhead + 12)
			max = room < COMPOSE_WORD_MAX ? room : COMPOSE_WORD_MAX;
		else
			max = COMPOSE_WORD_MAX;
		if (max < overhead + 12)
			max = overhead + 12;
		while (i + take < n) {
			size_t cl = compose_utf8(s + i + take, n - i - take, &cp);
			if (cl == 0)
				cl = 1; /* cannot happen after compose_clean */
			if (use_b) {
				if (overhead + (take + cl + 2) / 3 * 4 > max)
					break;
			} else {
				size_t add = compose_q_len(s + i + take, cl);

				if (overhead + enc + add > max)
					break;
				enc += add;
			}
			take += cl;
		}
		if (take == 0) /* a 4-octet character always fits in 24 */
			take = 1;
		buf_init(&w, 128);
		buf_puts(&w, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (use_b) {
			compose_b64_append(&w, s + i, take);
		} else {
			for (size_t k = i; k < i + take; k++) {
				if (s[k] == ' ') {
					buf_putc(&w, '_');
				} else if (compose_q_plain(s[k])) {
					buf_putc(&w, (char)s[k]);
				} else {
					buf_putc(&w, '=');
					buf_putc(&w, compose_hex[s[k] >> 4]);
					buf_putc(&w, compose_hex[s[k] & 15]);
				}
			}
		}
		buf_puts(&w, "?=");
		compose_hdr_token(h, buf_str(&w), w.len);
		buf_free(&w);
		i += take;
	}
}

/* Whether a word must be encoded: non-ASCII, or could be read as one. */
static bool
compose_word_needs_encoding(const char *w, size_t len)
{
	if (len > 900)
		return true;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)w[i] >= 0x80)
			return true;
		if (w[i] == '=' && i + 1 < len && w[i + 1] == '?')
			return true;
	}
	return false;
}

/*
 * Unstructured text (the Subject): plain words as they are, each run of
 * words that needs encoding as encoded words.  text is clean.
 */
static void
compose_hdr_text(struct compose_hdr *h, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		const char *w = p, *run_end;
		size_t wl = strcspn(w, " ");

		if (!compose_word_needs_encoding(w, wl)) {
			compose_hdr_token(h, w, wl);
			p = w + wl;
			while (*p == ' ')
				p++;
			continue;
		}
		/* Extend the run over the following words that need encoding. */
		run_end = w + wl;
		while (*run_end == ' ') {
			const char *nw = run_end + 1;
			size_t nl = strcspn(nw, " ");

			if (!compose_word_needs_encoding(nw, nl))
				break;
			run_end = nw + nl;
		}
		compose_hdr_encoded(h, w, (size_t)(run_end - w));
		p = run_end;
		while (*p == ' ')
			p++;
	}
}

static bool
compose_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* A display name (clean) as atoms, a quoted-string, or encoded words. */
static void
compose_hdr_phrase(struct compose_hdr *h, const char *name)
{
	size_t len = strlen(name);
	bool ascii = !compose_word_needs_encoding(name, len), atoms = true;
	struct buf q;

	if (!ascii) {
		compose_hdr_encoded(h, name, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (name[i] != ' ' && !compose_atext((unsigned char)name[i]))
			atoms = false;
	if (atoms) {
		compose_hdr_text(h, name);
		return;
	}
	buf_init(&q, 2 * len + 3);
	buf_putc(&q, '"');
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '"' || name[i] == '\\')
			buf_putc(&q, '\\');
		buf_putc(&q, name[i]);
	}
	buf_putc(&q, '"');
	compose_hdr_token(h, buf_str(&q), q.len);
	buf_free(&q);
}

/* "Name: Display Name <addr>" or "Name: addr". */
static void
compose_hdr_mailbox(struct compose_hdr *h, struct buf *out, const char *hname,
		    const char *name, const char *addr)
{
	compose_hdr_start(h, out, hname);
	if (name != NULL && name[0] != '\0') {
		char *a = xasprintf("<%s>", addr);

		compose_hdr_phrase(h, name);
		compose_hdr_token(h, a, strlen(a));
		free(a);
	} else {
		compose_hdr_token(h, addr, strlen(addr));
	}
	compose_hdr_end(h);
}

/* ---- date ------------------------------------------------------------ */

int
compose_date(time_t t, struct buf *out)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d +0000",
			  days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
			  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- quoted-printable ------------------------------------------------ */

/* One hard line of text (no line end) as QP lines, each ending in CRLF. */
static int
compose_qp_line(const unsigned char *s, size_t n, struct buf *out)
{
	/* Encode into units (one character each), then lay them out; the
	 * units gather in acc and go to out a line at a time (one
	 * buf_append a character was a tenth of a send's rendering). */
	char unit[16], acc[256];
	size_t line = 0, i = 0, an = 0;
	int r = 0;

	while (i < n) {
		size_t ul = 0, cl, rest;
		unsigned cp;
		bool at_start = line == 0;
		unsigned char c0 = s[i];

		/* The usual character, plain ASCII inside a line with room for
		 * it, goes straight; the rest below, a unit at a time. */
		if (line > 0 && line < (i + 1 == n ? 76 : 75) &&
		    ((c0 >= 33 && c0 <= 126 && c0 != '=') ||
		     ((c0 == ' ' || c0 == '\t') && i + 1 != n))) {
			if (an + 1 > sizeof(acc)) {
				r |= buf_append(out, acc, an);
				an = 0;
			}
			acc[an++] = (char)c0;
			line++;
			i++;
			continue;
		}
		cl = c0 < 0x80 ? 1 : compose_utf8(s + i, n - i, &cp);
		if (cl <= 1 || cl > 4)
			cl = 1;
		for (size_t k = i; k < i + cl; k++) {
			unsigned char c = s[k];
			bool last = k + 1 == n;
			bool plain = (c >= 33 && c <= 126 && c != '=') ||
				     ((c == ' ' || c == '\t') && !last);

			/* A "." or "From " at the start of a line gets encoded. */
			if (at_start && k == i && (c == '.' ||
			    (c == 'F' && n - k >= 5 && memcmp(s + k, "From ", 5) == 0)))
				plain = false;
			if (plain) {
				unit[ul++] = (char)c;
			} else {
				unit[ul++] = '=';
				unit[ul++] = compose_hex[c >> 4];
				unit[ul++] = compose_hex[c & 15];
			}
		}
		if (an + ul + 3 > sizeof(acc)) {
			r |= buf_append(out, acc, an);
			an = 0;
		}
		/*
		 * The unit fits if the line stays within 75 octets plus the
		 * soft break's "=", or if it is the last and the line ends at
		 * 76 without one.
		 */
		rest = i + cl == n ? 76 : 75;
		if (line > 0 && line + ul > rest) {
			memcpy(acc + an, "=\r\n", 3);
			an += 3;
			line = 0;
			continue; /* re-encode: the unit may now start a line */
		}
		memcpy(acc + an, unit, ul);
		an += ul;
		line += ul;
		i += cl;
	}
	if (an > 0)
		r |= buf_append(out, acc, an);
	r |= buf_append(out, "\r\n", 2);
	return r < 0 ? -1 : 0;
}

int
compose_qp(const char *text, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		const unsigned char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - s) : len;
		size_t l = end - i;

		if (l > 0 && s[i + l - 1] == '\r')
			l--;
		if (compose_qp_line(s + i, l, out) < 0)
			return -1;
		i = nl != NULL ? end + 1 : len;
	}
	return 0;
}

/* ---- the message ----------------------------------------------------- */

static void
compose_error(char **error_r, const char *what, const char *value)
{
	char *p = compose_printable(value);

	*error_r = xasprintf("%s: \"%s\" is not acceptable", what, p);
	free(p);
}

int
compose_message(const struct compose_input *in, struct buf *out, char **error_r)
{
	struct compose_hdr h = { 0 };
	struct buf m = { 0 };
	char *from_name = NULL, *from_addr = NULL, *to_name = NULL, *subject = NULL;
	char *mid = NULL, *irt = NULL;
	const char **refs = NULL;
	char **ref_copies = NULL;
	size_t n_refs = 0, body_len;
	int ret = -1;

	*error_r = NULL;
	if (compose_parse_mailbox(in->from, &from_name, &from_addr) < 0) {
		compose_error(error_r, "From", in->from);
		goto out;
	}
	if (!compose_address_ok(in->to_addr)) {
		compose_error(error_r, "To", in->to_addr);
		goto out;
	}
	for (size_t i = 0; i < in->n_cc; i++) {
		if (!compose_address_ok(in->cc[i])) {
			compose_error(error_r, "Cc", in->cc[i]);
			goto out;
		}
	}
	if (in->x_loop != NULL && !compose_address_ok(in->x_loop)) {
		compose_error(error_r, "X-Loop", in->x_loop);
		goto out;
	}
	if (in->auto_submitted != NULL &&
	    (in->auto_submitted[0] == '\0' ||
	     strspn(in->auto_submitted, "abcdefghijklmnopqrstuvwxyz-") !=
	     strlen(in->auto_submitted))) {
		compose_error(error_r, "Auto-Submitted", in->auto_submitted);
		goto out;
	}
	mid = compose_strip_id(in->message_id != NULL ? in->message_id : "");
	if (!compose_msgid_ok(mid) || strchr(mid, '@') == NULL) {
		compose_error(error_r, "Message-ID", in->message_id);
		goto out;
	}
	body_len = in->body != NULL ? strlen(in->body) : 0;
	if (body_len > COMPOSE_MAX_BODY) {
		*error_r = xasprintf("the body is larger than %d bytes", COMPOSE_MAX_BODY);
		goto out;
	}

	/* The customer's ids: kept when plain, else left out. */
	if (in->in_reply_to != NULL) {
		irt = compose_strip_id(in->in_reply_to);
		if (!compose_msgid_ok(irt)) {
			free(irt);
			irt = NULL;
		}
	}
	ref_copies = xcalloc(in->n_references + 1, sizeof(*ref_copies));
	refs = xcalloc(in->n_references + 1, sizeof(*refs));
	for (size_t i = 0; i < in->n_references; i++) {
		char *r;

		if (in->references[i] == NULL)
			continue;
		r = compose_strip_id(in->references[i]);
		if (!compose_msgid_ok(r)) {
			free(r);
			continue;
		}
		ref_copies[i] = r;
		refs[n_refs++] = r;
	}
	if (irt != NULL && (n_refs == 0 || strcmp(refs[n_refs - 1], irt) != 0))
		refs[n_refs++] = irt;
	if (n_refs > COMPOSE_MAX_REFERENCES) {
		/* Keep the thread's root and the most recent ones. */
		size_t drop = n_refs - COMPOSE_MAX_REFERENCES;

		memmove(refs + 1, refs + 1 + drop, (n_refs - 1 - drop) * sizeof(*refs));
		n_refs = COMPOSE_MAX_REFERENCES;
	}

	buf_init(&m, COMPOSE_MAX_OUT);
	buf_printf(&m, "Date: ");
	compose_date(in->date, &m);
	buf_puts(&m, "\r\n");
	compose_hdr_mailbox(&h, &m, "From", from_name, from_addr);
	if (in->to_name != NULL)
		to_name = compose_echo(in->to_name, COMPOSE_ECHO_NAME);
	compose_hdr_mailbox(&h, &m, "To", to_name, in->to_addr);
	if (in->n_cc > 0) {
		compose_hdr_start(&h, &m, "Cc");
		for (size_t i = 0; i < in->n_cc; i++) {
			char *t = xasprintf("%s%s", in->cc[i], i + 1 < in->n_cc ? "," : "");

			compose_hdr_token(&h, t, strlen(t));
			free(t);
		}
		compose_hdr_end(&h);
	}
	subject = compose_clean(in->subject, COMPOSE_MAX_SUBJECT);
	compose_hdr_start(&h, &m, "Subject");
	compose_hdr_text(&h, subject);
	compose_hdr_end(&h);
	buf_printf(&m, "Message-ID: <%s>\r\n", mid);
	if (irt != NULL)
		buf_printf(&m, "In-Reply-To: <%s>\r\n", irt);
	if (n_refs > 0) {
		compose_hdr_start(&h, &m, "References");
		for (size_t i = 0; i < n_refs; i++) {
			char *t = xasprintf("<%s>", refs[i]);

			compose_hdr_token(&h, t, strlen(t));
			free(t);
		}
		compose_hdr_end(&h);
	}
	if (in->auto_submitted != NULL)
		buf_printf(&m, "Auto-Submitted: %s\r\n", in->auto_submitted);
	buf_puts(&m, "X-Auto-Response-Suppress: All\r\n");
	if (in->x_loop != NULL)
		buf_printf(&m, "X-Loop: %s\r\n", in->x_loop);
	buf_puts(&m, "MIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n"
		 "\r\n");
	compose_qp(in->body != NULL ? in->body : "", body_len, &m);
	/* An empty body is still one (empty) line. */
	if (body_len == 0)
		buf_puts(&m, "\r\n");
	/* m cannot fill up: every input is capped well below its size. */
	if (h.failed || buf_append(out, buf_str(&m), m.len) < 0) {
		*error_r = xasprintf("the message (%zu bytes) does not fit the output buffer",
				     m.len);
		goto out;
	}
	ret = 0;
out:
	free(from_name);
	free(from_addr);
	free(to_name);
	free(subject);
	free(mid);
	free(irt);
	if (ref_copies != NULL)
		for (size_t i = 0; i < in->n_references; i++)
			free(ref_copies[i]);
	free(ref_copies);
	free(refs);
	buf_free(&m);
	return ret;
}
