/*
 * message_body - the text of a message: step 5 of message_parse
 * (message.c), part of the message module.
 *
 * libetpan's MIME tree is walked once to check the limits again, collect
 * attachment file names (RFC 2231 and 2047) and pick the text: the first
 * non-attachment text/plain outside attached messages, else text/html
 * made into text (html.c), else the same inside attached messages.  When
 * libetpan cannot be given the message, the structure pre-scan
 * (message_screen.c) finds the text instead.  Every text is decoded
 * (base64, quoted-printable), converted to UTF-8 and cleaned.
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

/*
 * RFC 2231 value: charset'language'percent-encoded.  with_charset says
 * whether this segment carries the charset prefix.
 */
static void
message_body_rfc2231_append(struct buf *b, const char *v, bool with_charset, char *cs,
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
		int hi = *p == '%' ? message_hexval((unsigned char)p[1]) : -1;
		int lo = hi >= 0 ? message_hexval((unsigned char)p[2]) : -1;

		if (lo >= 0) {
			buf_putc(b, (char)(hi * 16 + lo));
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
message_body_param_decoded(clist *params, const char *name, bool disposition)
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
					message_body_rfc2231_append(&b, pv, true, cs, sizeof(cs));
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
					message_body_rfc2231_append(&b, pv, seg == 0, cs, sizeof(cs));
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
		n = message_clean_header(u, n);
		return u;
	}
	buf_free(&b);
	if (plain == NULL)
		return NULL;
	res = rfc2047_decode_clean(plain, strlen(plain));
	if (res != NULL)
		message_field_strip_quotes(res);
	return res;
}

static void
message_body_add_filename(struct walk *w, struct mailmime_fields *fields,
	     struct mailmime_content *ct)
{
	char *name = NULL;

	if (fields != NULL) {
		for (clistiter *c = clist_begin(fields->fld_list); c != NULL; c = clist_next(c)) {
			struct mailmime_field *f = clist_content(c);

			if (f->fld_type == MAILMIME_FIELD_DISPOSITION && f->fld_data.fld_disposition != NULL) {
				name = message_body_param_decoded(f->fld_data.fld_disposition->dsp_parms, "filename", true);
				break;
			}
		}
	}
	if (name == NULL && ct != NULL)
		name = message_body_param_decoded(ct->ct_parameters, "name", false);
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
message_body_is_attachment(struct mailmime_fields *fields)
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

void
message_body_walk_mime(struct walk *w, struct mailmime *mm, int inner, unsigned depth)
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
		bool att = message_body_is_attachment(mm->mm_mime_fields);

		if (att || !text) {
			message_body_add_filename(w, mm->mm_mime_fields, ct);
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
				w->report_type = message_raw_to_clean(rt, strlen(rt));
				for (char *p = w->report_type; *p != '\0'; p++)
					*p = (char)tolower((unsigned char)*p);
			}
		}
		for (clistiter *c = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); c != NULL;
		     c = clist_next(c)) {
			if (++w->parts > w->lim->max_parts)
				return;
			message_body_walk_mime(w, clist_content(c), inner, depth + 1);
		}
		break;
	case MAILMIME_MESSAGE:
		if (mm->mm_data.mm_message.mm_msg_mime != NULL) {
			if (depth == 0) {
				message_body_walk_mime(w, mm->mm_data.mm_message.mm_msg_mime, 0, 0);
			} else {
				if (++w->parts > w->lim->max_parts)
					return;
				message_body_walk_mime(w, mm->mm_data.mm_message.mm_msg_mime, 1, depth + 1);
			}
		}
		break;
	default:
		break;
	}
}

/* Which transfer encoding a TOKEN value (unknown to libetpan) means. */
int
message_body_token_encoding(const char *tok)
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
char *
message_body_decode(const char *data, size_t len, int encoding, const char *charset,
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
	*out_len = message_clean_text(u, n);
	return u;
}

static char *
message_body_mime_text(struct mailmime *mm, bool html, size_t *out_len)
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
		enc = message_body_token_encoding(sf.fld_encoding != NULL ? sf.fld_encoding->enc_token : NULL);
	if (!d->dt_encoded)
		enc = MAILMIME_MECHANISM_8BIT;
	return message_body_decode(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, enc,
			 sf.fld_content_charset, html, out_len);
}

static bool
message_body_blank_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Takes t (n bytes, decoded; from HTML when html) as m's text unless it is
 * blank: true when taken (m owns t), false when freed. */
static bool
message_body_take_text(struct message *m, char *t, size_t n, bool html)
{
	if (message_body_blank_text(t, n)) {
		free(t);
		return false;
	}
	free(m->text);
	m->text = t;
	m->text_len = n;
	m->text_from_html = html;
	return true;
}

/*
 * Picks and decodes the text: plain, else HTML, else enriched, first
 * outside attached messages, then inside them.  A candidate that decodes
 * to nothing but blanks gives way to the next one.  Returns false if
 * nothing but blanks was found (m->text is then left alone).
 */
bool
message_body_pick_text(struct message *m, struct walk *w)
{
	for (int inner = 0; inner < 2; inner++) {
		struct mailmime *cand[3] = { w->plain[inner], w->html[inner], w->other[inner] };

		for (int k = 0; k < 3; k++) {
			size_t n;
			char *t;

			if (cand[k] == NULL)
				continue;
			t = message_body_mime_text(cand[k], k == 1, &n);
			if (message_body_take_text(m, t, n, k == 1))
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
void
message_body_scan_text(struct message *m, const char *raw, size_t len, const struct limits *lim)
{
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	sc.s = raw;
	sc.len = len;
	sc.lim = lim;
	sc.record = true;
	sc.frames = xcalloc((size_t)lim->max_depth + 1, sizeof(*sc.frames));
	message_screen_scan_run(&sc);
	for (int inner = 0; inner < 2; inner++) {
		for (int kind = 0; kind < 3; kind++) {
			for (size_t i = 0; i < sc.n_leaves; i++) {
				const struct scan_leaf *l = &sc.leaves[i];
				size_t n;
				char *t;

				if (l->inner != (inner == 1) || l->text != kind || l->attachment)
					continue;
				t = message_body_decode(raw + l->start, l->end - l->start, l->encoding,
					      l->charset[0] != '\0' ? l->charset : NULL, kind == 1, &n);
				if (message_body_take_text(m, t, n, kind == 1))
					goto done;
			}
		}
	}
done:
	free(sc.problem);
	free(sc.frames);
	free(sc.leaves);
}
