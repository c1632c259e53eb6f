/*
 * message - reading one raw RFC 5322 message.  See message.h.
 *
 * This file is the driver (message_parse and its steps 1, 4 and 6 below)
 * and the helpers every part of the module uses; the module's other
 * files: message_screen.c (steps 2 and 3), message_field.c (structured
 * header fields), message_body.c (step 5), rfc2047.c (encoded words),
 * message_fingerprint.c and message_fresh.c; message_int.h is what they
 * share.
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
#include "mail/message_int.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

bool
message_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive: does s[0..n) start with lit? */
bool
message_ci_prefix(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && strncasecmp(s, lit, l) == 0;
}

/* Index just after the line starting at i (after its LF), or len. */
size_t
message_line_next(const char *s, size_t len, size_t i, size_t *content_end)
{
	const char *nl = memchr(s + i, '\n', len - i);
	size_t e = nl != NULL ? (size_t)(nl - s) : len;

	if (content_end != NULL)
		*content_end = e > i && s[e - 1] == '\r' ? e - 1 : e;
	return nl != NULL ? e + 1 : len;
}

/* Skips a leading mbox "From " line. */
size_t
message_skip_mbox_from(const char *raw, size_t len)
{
	if (len >= 5 && memcmp(raw, "From ", 5) == 0)
		return message_line_next(raw, len, 0, NULL);
	return 0;
}

/*
 * Makes a header string presentable, in place: TAB, CR and LF become
 * spaces, other C0 controls, DEL and C1 controls go, runs of spaces
 * become one, and the ends are trimmed.  s must be valid UTF-8.
 */
size_t
message_clean_header(char *s, size_t len)
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
size_t
message_clean_text(char *s, size_t len)
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
_Thread_local struct message_work message_work;

/* May one more conversion from charset be made?  Counts it when it may. */
bool
message_convert_allowed(const char *charset)
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
char *
message_raw_header_utf8(const char *s, size_t len, size_t *out_len)
{
	if (message_header_charset != NULL && !utf8_valid(s, len) &&
	    message_convert_allowed(message_header_charset))
		return charset_to_utf8(message_header_charset, s, len, out_len);
	return charset_to_utf8(NULL, s, len, out_len);
}

/* Raw header bytes (8-bit or not) as a cleaned UTF-8 string. */
char *
message_raw_to_clean(const char *s, size_t len)
{
	size_t n;
	char *u = message_raw_header_utf8(s, len, &n);

	message_clean_header(u, n);
	return u;
}

int
message_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Header blocks                                                       */
/* ------------------------------------------------------------------ */

void
message_hdr_init(struct hdr_iter *it, const char *s, size_t len)
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
bool
message_hdr_next(struct hdr_iter *it, struct rawfield *f)
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
	next = message_line_next(s, it->len, i, &ce);
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
	while (n < ce && message_is_wsp(s[n]))
		n++;
	if (f->name_len == 0 || n >= ce || s[n] != ':') {
		it->done = true;        /* not a header line: body starts here */
		it->body = i;
		return false;
	}
	f->value = s + n + 1;
	/* Continuation lines start with a blank. */
	while (next < it->len && message_is_wsp(s[next])) {
		size_t ce2, n2 = message_line_next(s, it->len, next, &ce2);

		ce = ce2;
		next = n2;
	}
	f->value_len = ce - (n + 1);
	it->pos = next;
	return true;
}

/* A field value with its folds removed and its ends trimmed; malloced. */
static char *
message_unfold(const char *v, size_t len, size_t *out_len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0, start;

	for (size_t i = 0; i < len; i++)
		if (v[i] != '\r' && v[i] != '\n')
			out[o++] = v[i];
	start = 0;
	while (start < o && message_is_wsp(out[start]))
		start++;
	while (o > start && message_is_wsp(out[o - 1]))
		o--;
	memmove(out, out + start, o - start);
	o -= start;
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* ------------------------------------------------------------------ */
/* message_parse                                                       */
/* ------------------------------------------------------------------ */

static void
message_limits_from(const struct message_limits *in, struct limits *lim)
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
message_raw_find(const struct rawhdrs *h, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < h->n; i++)
		if (h->f[i].name_len == nl && strncasecmp(h->f[i].name, name, nl) == 0)
			return &h->f[i];
	return NULL;
}

/* Reads the top-level header block into m; returns where the body starts. */
static size_t
message_read_headers(struct message *m, const char *s, size_t len, bool safe,
	     struct rawhdrs *h)
{
	struct hdr_iter it;
	struct rawfield f;
	size_t cap = 0;
	const struct rawfield *r;
	char *v;
	size_t vl;

	char hint[48] = "";

	message_hdr_init(&it, s, len);
	while (message_hdr_next(&it, &f)) {
		h->f = xgrow(h->f, &cap, h->n + 1, sizeof(*h->f));
		h->f[h->n++] = f;
	}
	if ((r = message_raw_find(h, "Content-Type")) != NULL) {
		const char *cv;
		size_t cl;
		bool q;

		if (message_screen_ct_param(r->value, r->value_len, "charset", &cv, &cl, &q) == 1 &&
		    cl < sizeof(hint)) {
			memcpy(hint, cv, cl);
			hint[cl] = '\0';
			message_header_charset = hint;
		}
	}
	/* Subject, From and Reply-To first: if a hostile header uses up the
	 * decoding budget, these are still read. */
	if ((r = message_raw_find(h, "Subject")) != NULL) {
		v = message_unfold(r->value, r->value_len, &vl);
		free(m->subject);
		m->subject = rfc2047_decode_clean(v, vl);
		if (m->subject == NULL)
			m->subject = xstrdup("");
		free(v);
	}
	if ((r = message_raw_find(h, "From")) != NULL) {
		v = message_unfold(r->value, r->value_len, &vl);
		message_field_one_address(v, vl, safe, &m->from);
		free(v);
	}
	if ((r = message_raw_find(h, "Reply-To")) != NULL) {
		v = message_unfold(r->value, r->value_len, &vl);
		message_field_one_address(v, vl, safe, &m->reply_to);
		free(v);
	}
	m->headers = xcalloc(h->n > 0 ? h->n : 1, sizeof(*m->headers));
	for (size_t i = 0; i < h->n; i++) {
		struct message_header *mh = &m->headers[m->n_headers++];
		char *dv;
		size_t dn;

		mh->name = message_raw_to_clean(h->f[i].name, h->f[i].name_len);
		v = message_unfold(h->f[i].value, h->f[i].value_len, &vl);
		dv = rfc2047_decode(v, vl, &dn);
		message_clean_header(dv, dn);
		mh->value = dv;
		free(v);
	}
	for (size_t i = 0; i < h->n; i++) {
		bool to = h->f[i].name_len == 2 && strncasecmp(h->f[i].name, "To", 2) == 0;
		bool cc = h->f[i].name_len == 2 && strncasecmp(h->f[i].name, "Cc", 2) == 0;

		if (!to && !cc)
			continue;
		v = message_unfold(h->f[i].value, h->f[i].value_len, &vl);
		if (to)
			message_field_addresses(v, vl, safe, &m->to, &m->n_to, MESSAGE_MAX_TO);
		else
			message_field_addresses(v, vl, safe, &m->cc, &m->n_cc, MESSAGE_MAX_TO);
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
		v = message_unfold(h->f[i].value, h->f[i].value_len, &vl);
		m->auth_results[m->n_auth_results++] = message_raw_to_clean(v, vl);
		free(v);
	}
	if ((r = message_raw_find(h, "Date")) != NULL && safe) {
		v = message_unfold(r->value, r->value_len, &vl);
		m->date = message_field_date(v, vl);
		free(v);
	}
	if ((r = message_raw_find(h, "Message-ID")) != NULL) {
		char **ids = NULL;
		size_t n = 0;

		v = message_unfold(r->value, r->value_len, &vl);
		message_field_ids(v, vl, &ids, &n);
		if (n > 0)
			m->message_id = ids[0];
		for (size_t i = 1; i < n; i++)
			free(ids[i]);
		free(ids);
		free(v);
	}
	if ((r = message_raw_find(h, "In-Reply-To")) != NULL) {
		v = message_unfold(r->value, r->value_len, &vl);
		message_field_ids(v, vl, &m->in_reply_to, &m->n_in_reply_to);
		free(v);
	}
	if ((r = message_raw_find(h, "References")) != NULL) {
		v = message_unfold(r->value, r->value_len, &vl);
		message_field_ids(v, vl, &m->references, &m->n_references);
		free(v);
	}
	if ((r = message_raw_find(h, "Return-Path")) != NULL) {
		const char *lt, *gt;

		v = message_unfold(r->value, r->value_len, &vl);
		lt = memchr(v, '<', vl);
		gt = lt != NULL ? memchr(lt, '>', vl - (size_t)(lt - v)) : NULL;
		if (lt != NULL && gt != NULL)
			m->return_path = message_field_clean_addr_n(lt + 1, (size_t)(gt - lt - 1));
		else
			m->return_path = message_field_clean_addr(v);
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
message_fallback_body(struct message *m, const char *body, size_t len,
	      const struct rawhdrs *h)
{
	const struct rawfield *r = message_raw_find(h, "Content-Type");
	const struct rawfield *e = message_raw_find(h, "Content-Transfer-Encoding");
	char charset[64] = "";
	bool html = false;
	int enc = MAILMIME_MECHANISM_8BIT;

	if (r != NULL) {
		const char *v;
		size_t vl;
		bool q;
		size_t k = message_screen_skip_cfws(r->value, r->value_len, 0);

		if (message_ci_prefix(r->value + k, r->value_len - k, "multipart") ||
		    (!message_ci_prefix(r->value + k, r->value_len - k, "text") &&
		     k < r->value_len))
			return;
		html = message_ci_prefix(r->value + k, r->value_len - k, "text/html");
		if (message_screen_ct_param(r->value, r->value_len, "charset", &v, &vl, &q) == 1 &&
		    vl < sizeof(charset)) {
			memcpy(charset, v, vl);
			charset[vl] = '\0';
		}
	}
	if (e != NULL) {
		char *t = xstrndup(e->value, e->value_len);

		enc = message_body_token_encoding(t);
		free(t);
	}
	free(m->text);
	m->text = message_body_decode(body, len, enc, charset[0] != '\0' ? charset : NULL, html,
			    &m->text_len);
	m->text_from_html = html;
}

/* The MIME header fields of h, then an empty line and body, into b. */
static void
message_mime_header_copy(struct buf *b, const struct rawhdrs *h, const char *body,
		 size_t len)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct rawfield *f = &h->f[i];

		if (!message_ci_prefix(f->name, f->name_len, "content-") &&
		    !message_ci_prefix(f->name, f->name_len, "mime-version"))
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
	message_limits_from(in_lim, &lim);
	m->subject = xstrdup("");
	m->text = xstrdup("");
	m->content_type = xstrdup("text/plain");
	if (raw == NULL)
		len = 0;
	if (len > lim.max_size) {
		m->problem = xasprintf("message larger than %zu bytes", lim.max_size);
		return m;
	}
	start = message_skip_mbox_from(raw, len);
	raw += start;
	len -= start;

	m->problem = message_screen(raw, len, &lim, &containers);
	if (m->problem != NULL && strncmp(m->problem, "header comments", 15) == 0)
		safe = false;
	/* The precise scan is needed only if nesting could exceed the limit. */
	if (m->problem == NULL &&
	    ((size_t)containers * 2 + 1 > lim.max_depth || containers > lim.max_parts / 2))
		m->problem = message_screen_structure(raw, len, &lim);
	body = message_read_headers(m, raw, len, safe, &h);
	{
		const struct rawfield *r = message_raw_find(&h, "Content-Type");
		struct ctinfo ct;

		if (r != NULL && message_screen_ct_read(r->value, r->value_len, &ct)) {
			size_t k = message_screen_skip_cfws(r->value, r->value_len, 0), e = k;

			while (e < r->value_len && r->value[e] != ';' && !message_is_wsp(r->value[e]) &&
			       r->value[e] != '(' && r->value[e] != '\r' && r->value[e] != '\n')
				e++;
			free(m->content_type);
			m->content_type = message_raw_to_clean(r->value + k, e - k);
			for (char *p = m->content_type; *p != '\0'; p++)
				*p = (char)tolower((unsigned char)*p);
			/* Even when the rest of the header is broken. */
			if (strcmp(m->content_type, "multipart/report") == 0) {
				const char *v;
				size_t vl;
				bool q;

				if (message_screen_ct_param(r->value, r->value_len, "report-type", &v, &vl, &q) == 1) {
					m->report_type = message_raw_to_clean(v, vl);
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

			message_mime_header_copy(&synthetic, &h, raw + body, len - body);
			idx = 0;
			if (mailmime_parse(synthetic.data, synthetic.len, &idx, &again) ==
			    MAILIMF_NO_ERROR && again != NULL) {
				mailmime_free(mime);
				mime = again;
			}
		}

		memset(&w, 0, sizeof(w));
		w.lim = &lim;
		message_body_walk_mime(&w, mime, 0, 0);
		if (w.parts > lim.max_parts)
			m->problem = xasprintf("more than %u MIME parts", lim.max_parts);
		else if (w.depth > lim.max_depth)
			m->problem = xasprintf("MIME nesting deeper than %u levels", lim.max_depth);
		else if (!message_body_pick_text(m, &w))
			message_body_scan_text(m, raw, len, &lim);
		if (w.report_type != NULL) {
			free(m->report_type);
			m->report_type = w.report_type;
		}
		m->filenames = w.filenames;
		m->n_filenames = w.n_filenames;
		mailmime_free(mime);
		buf_free(&synthetic);
	} else {
		message_fallback_body(m, raw + body, len - body, &h);
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
