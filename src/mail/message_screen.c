/*
 * message_screen - what must be judged safe before libetpan sees a
 * message: steps 2 and 3 of message_parse (message.c), part of the
 * message module.
 *
 *  2. screen (one linear pass over all lines): every Content-Type line's
 *     boundary parameter (libetpan 1.9.4 overflows the heap on a boundary
 *     that starts with a quote, so quotes, backslashes, empty and overlong
 *     boundaries are refused), the nesting of parentheses in header lines
 *     (libetpan parses comments recursively: a million "(" overflow the
 *     stack), and the number of container Content-Types (bounds libetpan's
 *     recursion, whose time is quadratic in depth);
 *  3. structure: a line-based scan of the MIME tree that counts nesting
 *     depth and parts against the limits, also used to find the text when
 *     libetpan cannot be trusted with the message.
 * Our own reading of Content-Type and its parameters serves both.
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
/* Content-Type parameters (our own reading, for screening)            */
/* ------------------------------------------------------------------ */

/*
 * Finds parameter `name` (not name*) in a Content-Type value.  Returns
 * 1 with the raw value in *v, *vlen and whether it was quoted; 0 if
 * absent; -1 if the quoting is broken (unterminated, or a backslash).
 */
int
message_screen_ct_param(const char *s, size_t len, const char *name, const char **v,
	 size_t *vlen, bool *quoted)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl < len; i++) {
		size_t j;

		if (strncasecmp(s + i, name, nl) != 0)
			continue;
		if (i > 0 && s[i - 1] != ';' && !message_is_wsp(s[i - 1]) &&
		    s[i - 1] != '\r' && s[i - 1] != '\n')
			continue;
		j = i + nl;
		while (j < len && (message_is_wsp(s[j]) || s[j] == '\r' || s[j] == '\n'))
			j++;
		if (j >= len || s[j] != '=')
			continue;
		j++;
		while (j < len && (message_is_wsp(s[j]) || s[j] == '\r' || s[j] == '\n'))
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

			while (k < len && s[k] != ';' && !message_is_wsp(s[k]) &&
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
message_screen_boundary_problem(const char *ct, size_t len)
{
	const char *v;
	size_t vlen;
	bool quoted;
	int r = message_screen_ct_param(ct, len, "boundary", &v, &vlen, &quoted);

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
size_t
message_screen_skip_cfws(const char *s, size_t len, size_t i)
{
	for (;;) {
		while (i < len && (message_is_wsp(s[i]) || s[i] == '\r' || s[i] == '\n'))
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

/* Reads type/subtype and boundary from a Content-Type value. */
bool
message_screen_ct_read(const char *s, size_t len, struct ctinfo *ct)
{
	size_t i = message_screen_skip_cfws(s, len, 0), t0 = i, t1, s0, s1;
	const char *v;
	size_t vlen;
	bool quoted;

	while (i < len && s[i] != '/' && s[i] != ';' && !message_is_wsp(s[i]) && s[i] != '(')
		i++;
	t1 = i;
	i = message_screen_skip_cfws(s, len, i);
	if (t1 == t0 || i >= len || s[i] != '/')
		return false;
	i = message_screen_skip_cfws(s, len, i + 1);
	s0 = i;
	while (i < len && s[i] != ';' && !message_is_wsp(s[i]) && s[i] != '(' &&
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
		if (message_screen_ct_param(s + s1, len - s1, "boundary", &v, &vlen, &quoted) == 1 &&
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

/*
 * One pass over every line: boundaries, comment nesting, and the number
 * of container Content-Types.  Returns a problem or NULL.
 */
char *
message_screen(const char *s, size_t len, const struct limits *lim, unsigned *containers_r)
{
	unsigned containers = 0;
	int depth = 0;

	for (size_t i = 0; i < len;) {
		size_t ce, next = message_line_next(s, len, i, &ce);

		if (!message_is_wsp(s[i]))
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
		if ((s[i] == 'C' || s[i] == 'c') && message_ci_prefix(s + i, ce - i, "content-type")) {
			size_t k = i + 12, end = ce;
			struct ctinfo ct;

			while (k < ce && message_is_wsp(s[k]))
				k++;
			if (k < ce && s[k] == ':') {
				size_t n2 = next;

				/* The logical line: continuation lines too. */
				while (n2 < len && message_is_wsp(s[n2])) {
					size_t ce2;

					n2 = message_line_next(s, len, n2, &ce2);
					end = ce2;
				}
				const char *why = message_screen_boundary_problem(s + k + 1, end - k - 1);

				if (why != NULL)
					return xstrdup(why);
				if (message_screen_ct_read(s + k + 1, end - k - 1, &ct) && ct.kind != CT_OTHER)
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

static void
message_screen_scan_leaf_add(struct scan *sc, size_t start, const struct ctinfo *ct,
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

		l->encoding = message_body_token_encoding(t);
		free(t);
	}
	if (disp != NULL) {
		size_t k = message_screen_skip_cfws(disp->value, disp->value_len, 0);

		l->attachment = message_ci_prefix(disp->value + k, disp->value_len - k, "attachment");
	}
	if (ctf != NULL) {
		const char *v;
		size_t vl;
		bool q;

		if (message_screen_ct_param(ctf->value, ctf->value_len, "charset", &v, &vl, &q) == 1 &&
		    vl < sizeof(l->charset)) {
			memcpy(l->charset, v, vl);
			l->charset[vl] = '\0';
		}
	}
	sc->open = true;
}

static bool
message_screen_scan_push(struct scan *sc, const struct ctinfo *ct)
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
message_screen_scan_entity(struct scan *sc, size_t pos, bool default_message)
{
	for (;;) {
		struct hdr_iter it;
		struct rawfield f, ctf, cte, disp;
		struct ctinfo ct;
		bool have_ct = false, encoded = false, have_cte = false, have_disp = false;

		message_hdr_init(&it, sc->s + pos, sc->len - pos);
		while (message_hdr_next(&it, &f)) {
			if (!have_ct && f.name_len == 12 &&
			    strncasecmp(f.name, "content-type", 12) == 0) {
				have_ct = message_screen_ct_read(f.value, f.value_len, &ct);
				ctf = f;
			} else if (f.name_len == 25 &&
				   strncasecmp(f.name, "content-transfer-encoding", 25) == 0) {
				size_t k = message_screen_skip_cfws(f.value, f.value_len, 0);

				encoded = message_ci_prefix(f.value + k, f.value_len - k, "base64") ||
					  message_ci_prefix(f.value + k, f.value_len - k, "quoted-printable");
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
				message_screen_scan_leaf_add(sc, pos, NULL, have_cte ? &cte : NULL,
					      have_disp ? &disp : NULL, NULL);
				return pos;
			}
			memset(&ct, 0, sizeof(ct));
			ct.kind = CT_MESSAGE;
			ct.rfc822 = true;
		}
		if (ct.kind == CT_MULTIPART && ct.blen > 0) {
			message_screen_scan_push(sc, &ct);
			return pos;
		}
		if (ct.kind == CT_MESSAGE && ct.rfc822 && !encoded) {
			if (!message_screen_scan_push(sc, &ct))
				return pos;
			if (++sc->parts > sc->lim->max_parts) {
				sc->problem = xasprintf("more than %u MIME parts",
							sc->lim->max_parts);
				return pos;
			}
			default_message = false;
			continue;
		}
		message_screen_scan_leaf_add(sc, pos, &ct, have_cte ? &cte : NULL,
					     have_disp ? &disp : NULL, &ctf);
		return pos;
	}
}

/* Ends the open leaf just before the delimiter line at i. */
static void
message_screen_scan_close_leaf(struct scan *sc, size_t i)
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
void
message_screen_scan_run(struct scan *sc)
{
	const char *s = sc->s;
	size_t len = sc->len, i;
	const struct limits *lim = sc->lim;

	i = message_screen_scan_entity(sc, 0, false);
	while (i < len && sc->problem == NULL) {
		size_t ce, next = message_line_next(s, len, i, &ce);

		if (ce - i >= 3 && s[i] == '-' && s[i + 1] == '-') {
			for (unsigned k = 0; k < sc->n; k++) {
				const struct scan_frame *fr = &sc->frames[k];
				size_t r;

				if (fr->blen == 0 || ce - i - 2 < fr->blen ||
				    memcmp(s + i + 2, fr->boundary, fr->blen) != 0)
					continue;
				r = i + 2 + fr->blen;
				if (r + 2 <= ce && s[r] == '-' && s[r + 1] == '-') {
					message_screen_scan_close_leaf(sc, i);
					break;  /* close delimiter: the rest is epilogue */
				}
				while (r < ce && message_is_wsp(s[r]))
					r++;
				if (r != ce)
					continue;
				message_screen_scan_close_leaf(sc, i);
				sc->n = k + 1;
				if (++sc->parts > lim->max_parts) {
					sc->problem = xasprintf("more than %u MIME parts",
								lim->max_parts);
					break;
				}
				next = message_screen_scan_entity(sc, next, sc->frames[k].digest);
				break;
			}
		}
		i = next;
	}
}

char *
message_screen_structure(const char *s, size_t len, const struct limits *lim)
{
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	sc.s = s;
	sc.len = len;
	sc.lim = lim;
	sc.frames = xcalloc((size_t)lim->max_depth + 1, sizeof(*sc.frames));
	message_screen_scan_run(&sc);
	free(sc.frames);
	free(sc.leaves);
	return sc.problem;
}
