/*
 * NAME
 *	classify - the rules-driven complaint classifier
 * SYNOPSIS
 *	classify_run, classify_apply_repeat, classify_result_json,
 *	classify_result_text, classify_result_free
 *	(loading the rules: classify_load.c)
 * DESCRIPTION
 *	A rules file (redress-rules(5)) declares categories, tags, a
 *	threshold and rules; a rule is a PCRE2 pattern over one field of the
 *	message with a weight toward one category or tag, or a veto of it.
 *	classify_load parses the file line by line and compiles every
 *	pattern at once (UTF, UCP, MATCH_INVALID_UTF, NEVER_BACKSLASH_C,
 *	caseless unless the rule says "case"), JIT-compiling where the system
 *	allows.  classify_run runs each rule over its field(s), at most one
 *	hit per rule, adds the weights up, and picks the category: the best
 *	score that is not vetoed, or the fallback category when the best is
 *	below the threshold.  Tags whose score reaches their minimum fire;
 *	they may raise the priority, ask for escalation, or force the
 *	message to count as a complaint.  The winning category's outcome
 *	(complaint, question, praise) is the message's.
 *
 *	A literal prefilter (classify_prefilter.c) skips the rules that cannot
 *	match: at load each caseless pattern is read for ASCII literals one of
 *	which every match must contain, and one pass over the case-folded
 *	message finds which are present.  It never changes a result.
 *
 *	Every match runs under a match, depth and heap limit and reads at
 *	most CLASSIFY_MAX_FIELD bytes of a field: a limit hit is "no match",
 *	logged once per rule.  Compiled rules are read-only after load;
 *	classify_run makes its own match data, match context and JIT stack,
 *	so several threads may share one struct classify_rules.
 * DIAGNOSTICS
 *	Load errors are "FILE:LINE:COL: reason" with 1-based byte columns
 *	(PCRE2's own message and offset for a bad pattern), or "FILE:
 *	reason" for the file as a whole.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pcre2.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/message.h"
#include "policy/classify.h"
#include "policy/classify_int.h"
#include "policy/classify_prefilter.h"

/*
 * A copy of s[0..len) for showing: invalid bytes become U+FFFD, control
 * characters a space when flatten is set, and the copy stops at a
 * character boundary before max bytes.
 */
static char *
classify_clean(const char *s, size_t len, size_t max, bool flatten)
{
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq((const unsigned char *)s + i, len - i);

		if (n == 0) {
			if (b.len + 3 > max)
				break;
			buf_puts(&b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (b.len + n > max)
			break;
		if (n == 1 && flatten && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f))
			buf_putc(&b, ' ');
		else
			buf_append(&b, s + i, n);
		i += n;
	}
	return buf_steal(&b, NULL);
}

/* ------------------------------------------------------------------ */
/* Matching */

/* What a field holds beyond ASCII, for the twins (classify_int.h). */
enum classify_text {
	CLASSIFY_TEXT_UNICODE,   /* digits, marks, other spaces, or bad UTF-8 */
	CLASSIFY_TEXT_FOLDED,    /* letters, Zs spaces, Nl/No too: matched folded */
	CLASSIFY_TEXT_PUNCT,     /* punctuation and symbols only */
	CLASSIFY_TEXT_ASCII      /* no byte above 127 */
};

/* A field with each letter beyond ASCII written as "_" and each space
 * separator beyond it as a tab (classify_int.h): the kth character folded
 * was at byte at[k] of the field, and every byte after it sits shift[k]
 * bytes earlier in buf. */
struct classify_fold {
	char *buf;
	size_t len;
	uint32_t *at, *shift;
	size_t n, cap;
};

struct classify_seen {
	const char *s;
	size_t len;
	enum classify_text kind;
	struct classify_fold fold;   /* for CLASSIFY_TEXT_FOLDED */
};

struct classify_scratch {
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	pcre2_match_data *md;
	/* The last fields seen and their kind (classify_text_kind). */
	struct classify_seen seen[2];
	unsigned next_seen;
};

static void
classify_fold_free(struct classify_fold *f)
{
	free(f->buf);
	free(f->at);
	free(f->shift);
	memset(f, 0, sizeof(*f));
}

/* Notes a character folded at s[at..end) of a field (classify_int.h): the
 * bytes before it since the last one go to the fold, then c.  False past
 * CLASSIFY_FOLD_MAX of them, or without memory. */
static bool
classify_fold_put(struct classify_fold *f, const char *s, size_t len, size_t *copied,
		  size_t at, size_t end, char c)
{
	if (f->n == CLASSIFY_FOLD_MAX)
		return false;
	if (f->buf == NULL && (f->buf = malloc(len + 1)) == NULL)
		return false;
	if (f->n == f->cap) {
		size_t cap = f->cap == 0 ? 16 : 2 * f->cap;
		uint32_t *at_ = realloc(f->at, cap * sizeof(*at_)), *sh;

		if (at_ == NULL)
			return false;
		f->at = at_;
		if ((sh = realloc(f->shift, cap * sizeof(*sh))) == NULL)
			return false;
		f->shift = sh;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s + *copied, at - *copied);
	f->len += at - *copied;
	f->buf[f->len++] = c;
	*copied = end;
	f->at[f->n] = (uint32_t)at;
	f->shift[f->n] = (uint32_t)(end - f->len);
	f->n++;
	return true;
}

/* Offsets between the field and its fold; original ones are at character
 * boundaries. */
static size_t
classify_fold_in(const struct classify_fold *f, size_t off)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {   /* the characters folded before off */
		size_t mid = lo + (hi - lo) / 2;

		if (f->at[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? off : off - f->shift[lo - 1];
}

static size_t
classify_fold_out(const struct classify_fold *f, size_t off)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {   /* the characters whose fold is before off */
		size_t mid = lo + (hi - lo) / 2;

		if (f->at[mid] - (mid == 0 ? 0 : f->shift[mid - 1]) < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? off : off + f->shift[lo - 1];
}

/* The kind of s[0..len), remembered (with its fold) for the last two
 * fields: every rule asks again of the same subject and body.  One pass of
 * CLASSIFY_SCAN from the first byte above 127 sorts the field and folds
 * it.  Invalid UTF-8 makes the first pcre2_match fail with an error
 * (r->scan is compiled without PCRE2_MATCH_INVALID_UTF), and such a field
 * is matched with UCP; the later calls skip the check. */
static const struct classify_seen *
classify_text_kind(const struct classify_rules *r, struct classify_scratch *sc,
		   const char *s, size_t len)
{
	struct classify_seen *e;
	struct classify_fold *f;
	size_t i = 0, copied = 0;
	uint32_t opts = 0;
	int rc;

	for (unsigned k = 0; k < 2; k++)
		if (sc->seen[k].s == s && sc->seen[k].len == len)
			return &sc->seen[k];
	e = &sc->seen[sc->next_seen];
	sc->next_seen = (sc->next_seen + 1) % 2;
	f = &e->fold;
	classify_fold_free(f);
	e->s = s;
	e->len = len;
	e->kind = CLASSIFY_TEXT_ASCII;
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	if (i == len)
		return e;
	e->kind = CLASSIFY_TEXT_UNICODE;
	if (r->scan == NULL)
		return e;
	while ((rc = pcre2_match(r->scan, (PCRE2_SPTR)s, len, i, opts, sc->md, sc->mctx)) >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);

		opts = PCRE2_NO_UTF_CHECK;
		if (rc == 3 || !classify_fold_put(f, s, len, &copied, ov[0], ov[1],
						  rc == 2 ? '\t' : '_'))
			break;   /* group 2, or too many: rc is not NOMATCH */
		i = ov[1];
	}
	if (rc != PCRE2_ERROR_NOMATCH) {   /* that, or bad UTF-8: UCP */
		classify_fold_free(f);
		return e;
	}
	if (f->n == 0) {
		e->kind = CLASSIFY_TEXT_PUNCT;
		return e;
	}
	memcpy(f->buf + f->len, s + copied, len - copied);
	f->len += len - copied;
	f->buf[f->len] = '\0';
	e->kind = CLASSIFY_TEXT_FOLDED;
	return e;
}

static void
classify_scratch_free(struct classify_scratch *sc)
{
	classify_fold_free(&sc->seen[0].fold);
	classify_fold_free(&sc->seen[1].fold);
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jstack);
}

static int
classify_scratch_init(const struct classify_rules *r, struct classify_scratch *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->mctx = pcre2_match_context_create(NULL);
	sc->md = pcre2_match_data_create(3, NULL);   /* CLASSIFY_SCAN's groups */
	if (sc->mctx == NULL || sc->md == NULL)
		goto fail;
	pcre2_set_match_limit(sc->mctx, CLASSIFY_MATCH_LIMIT);
	pcre2_set_depth_limit(sc->mctx, CLASSIFY_DEPTH_LIMIT);
	pcre2_set_heap_limit(sc->mctx, CLASSIFY_HEAP_LIMIT_KIB);
	if (r->jit) {
		sc->jstack = pcre2_jit_stack_create(CLASSIFY_JIT_STACK_MIN,
						    CLASSIFY_JIT_STACK_MAX, NULL);
		if (sc->jstack == NULL)
			goto fail;
		pcre2_jit_stack_assign(sc->mctx, NULL, sc->jstack);
	}
	return 0;
fail:
	classify_scratch_free(sc);
	return -1;
}

/* Logs that JIT compilation of WHO's pattern failed with PCRE2 error rc;
 * the load and a lazy compile say it alike.  TAIL ends the message. */
void
classify_jit_warn(const char *who, int rc, const char *tail)
{
	PCRE2_UCHAR msg[256];

	pcre2_get_error_message(rc, msg, sizeof(msg));
	log_warn("%s: JIT compilation failed (%s); using the slower interpreter%s", who,
		 (const char *)msg, tail);
}

/* Logs, once per rule, that it failed with PCRE2 error rc. */
static void
classify_warn_once(const struct classify_rules *r, size_t idx, const char *what, int rc)
{
	PCRE2_UCHAR msg[256];

	if (atomic_exchange(&r->warned[idx], 1) != 0)
		return;
	pcre2_get_error_message(rc, msg, sizeof(msg));
	log_warn("rule \"%s\" (line %u) %s: %s; counted as no match (said once per rule)",
		 r->rules[idx].name, r->rules[idx].line, what, (const char *)msg);
}

/* The rule's pattern with UCP, compiled now if the rules were loaded
 * with lazy_ucp and no field needed it before; NULL and *errcode_r if it
 * does not compile.  Set once (compare and swap): the rules are shared
 * as read-only, and two callers may race here. */
static const pcre2_code *
classify_rule_ucp(const struct classify_rules *r, size_t idx, int *errcode_r)
{
	struct classify_rule *ru = (struct classify_rule *)&r->rules[idx];
	pcre2_code *re = atomic_load(&ru->re), *none = NULL;
	PCRE2_SIZE erroff;

	*errcode_r = PCRE2_ERROR_NULL;
	if (re != NULL || ru->pat == NULL)
		return re;
	re = pcre2_compile((PCRE2_SPTR)ru->pat, ru->pat_len, ru->flags, errcode_r, &erroff,
			   r->cctx);
	if (re == NULL)
		return NULL;
	if (r->jit && (*errcode_r = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE)) != 0 &&
	    atomic_exchange((atomic_int *)&r->jit_warned, 1) == 0) {
		char *who = xasprintf("rule \"%s\" (line %u)", ru->name, ru->line);

		classify_jit_warn(who, *errcode_r, " (said once)");
		free(who);
	}
	if (!atomic_compare_exchange_strong(&ru->re, &none, re)) {
		pcre2_code_free(re);
		re = none;
	}
	return re;
}

/* 1 and the match's span, or 0 for no match (a limit hit included). */
static int
classify_match(const struct classify_rules *r, size_t idx, struct classify_scratch *sc,
	       const char *s, size_t len, size_t start, size_t *off_r, size_t *end_r)
{
	const struct classify_rule *ru = &r->rules[idx];
	const struct classify_fold *fold = NULL;
	const pcre2_code *re;
	PCRE2_SIZE *ov;
	uint32_t opts = 0;
	int rc;

	if (len > CLASSIFY_MAX_FIELD) {
		len = CLASSIFY_MAX_FIELD;
		opts = PCRE2_NOTEOL;   /* the cut is not the end of the text */
	}
	if (start > len)
		return 0;
	re = NULL;
	if (ru->re_ascii != NULL) {
		const struct classify_seen *e = classify_text_kind(r, sc, s, len);

		if (e->kind == CLASSIFY_TEXT_ASCII ||
		    (e->kind == CLASSIFY_TEXT_PUNCT && !ru->posix)) {
			re = ru->re_ascii;
			opts |= PCRE2_NO_UTF_CHECK;   /* checked by classify_text_kind */
		} else if (e->kind == CLASSIFY_TEXT_FOLDED && ru->foldable) {
			fold = &e->fold;
			re = ru->re_ascii;
			opts |= PCRE2_NO_UTF_CHECK;
			s = fold->buf;
			len = fold->len;
			start = classify_fold_in(fold, start);
		}
	}
	if (re == NULL && (re = classify_rule_ucp(r, idx, &rc)) == NULL) {
		classify_warn_once(r, idx, "cannot be compiled for text beyond ASCII", rc);
		return 0;
	}
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, start, opts, sc->md, sc->mctx);
	if (rc >= 0) {
		ov = pcre2_get_ovector_pointer(sc->md);
		*off_r = ov[0];
		*end_r = ov[1] < ov[0] ? ov[0] : ov[1];   /* \K can do that */
		if (fold != NULL) {
			*off_r = classify_fold_out(fold, *off_r);
			*end_r = classify_fold_out(fold, *end_r);
		}
		return 1;
	}
	if (rc != PCRE2_ERROR_NOMATCH)
		classify_warn_once(r, idx, "stopped", rc);
	return 0;
}

static void
classify_add_hit(const struct classify_rules *r, size_t idx, struct classify_result *res,
		 size_t *cap_hits, const char *field, const char *text, size_t off, size_t end)
{
	const struct classify_rule *ru = &r->rules[idx];
	struct classify_hit *hit;

	res->hits = xgrow(res->hits, cap_hits, res->n_hits + 1, sizeof(*res->hits));
	hit = &res->hits[res->n_hits++];
	hit->rule = xstrdup(ru->name);
	hit->field = xstrdup(field);
	hit->match = classify_clean(text + off, end - off, CLASSIFY_MAX_MATCH, false);
	hit->offset = off;
	hit->target = xstrdup(r->targets[ru->target].id);
	hit->weight = ru->veto ? 0 : ru->weight;
	hit->veto = ru->veto;
	hit->learned = NULL;
}

/*
 * Runs rule idx over one field, adding up to *left hits; returns how many
 * it added.  After an empty match the search moves on by one character.
 */
static size_t
classify_field_run(const struct classify_rules *r, size_t idx, struct classify_scratch *sc,
		   const char *field, const char *text, size_t len, unsigned *left,
		   struct classify_result *res, size_t *cap_hits)
{
	size_t start = 0, off, end, n = 0;
	size_t cut = len > CLASSIFY_MAX_FIELD ? CLASSIFY_MAX_FIELD : len;

	/* classify_match cuts the field itself, so that it knows to say NOTEOL. */
	while (*left > 0 && classify_match(r, idx, sc, text, len, start, &off, &end)) {
		classify_add_hit(r, idx, res, cap_hits, field, text, off, end);
		n++;
		(*left)--;
		start = end > off ? end : off + 1;
		/* cppcheck-suppress knownConditionTrueFalse ; it follows one caller's "" */
		while (start < cut && ((unsigned char)text[start] & 0xc0) == 0x80)
			start++;
		if (start > cut)
			break;
	}
	return n;
}

/* Runs one rule over its field(s); returns the number of hits added. */
static size_t
classify_rule_run(const struct classify_rules *r, size_t idx, struct classify_scratch *sc,
		  const struct classify_input *in, struct classify_result *res,
		  size_t *cap_hits)
{
	const struct classify_rule *ru = &r->rules[idx];
	const char *subject = in->subject != NULL ? in->subject : "";
	const char *body = in->body != NULL ? in->body : "";
	size_t body_len = in->body != NULL ? in->body_len : 0;
	const char *from = in->from != NULL ? in->from : "";
	unsigned left = ru->max;
	size_t n = 0;

	switch (ru->field) {
	case CLASSIFY_FIELD_SUBJECT:
		n = classify_field_run(r, idx, sc, "subject", subject, strlen(subject), &left,
				       res, cap_hits);
		break;
	case CLASSIFY_FIELD_ANY:
		n = classify_field_run(r, idx, sc, "subject", subject, strlen(subject), &left,
				       res, cap_hits);
		n += classify_field_run(r, idx, sc, "body", body, body_len, &left, res, cap_hits);
		break;
	case CLASSIFY_FIELD_BODY:
		n = classify_field_run(r, idx, sc, "body", body, body_len, &left, res, cap_hits);
		break;
	case CLASSIFY_FIELD_FROM:
		n = classify_field_run(r, idx, sc, "from", from, strlen(from), &left, res,
				       cap_hits);
		break;
	case CLASSIFY_FIELD_HEADER:
		for (size_t i = 0; i < in->n_headers && left > 0; i++) {
			const struct message_header *h = &in->headers[i];

			if (h->name == NULL || h->value == NULL ||
			    strcasecmp(h->name, ru->header) != 0)
				continue;
			n += classify_field_run(r, idx, sc, ru->field_name, h->value,
						strlen(h->value), &left, res, cap_hits);
		}
		break;
	}
	return n;
}

static enum priority
classify_more_urgent(enum priority a, enum priority b)
{
	return a < b ? a : b;
}

/* The message's tokens in the model's vocabulary (subject, newline, body). */
static ssize_t *
classify_message_vidx(const struct classify_model *m, const struct classify_input *in,
		      size_t *n_r)
{
	const char *parts[2] = { in->subject != NULL ? in->subject : "",
				 in->body != NULL ? in->body : "" };
	size_t lens[2] = { strlen(parts[0]), in->body != NULL ? in->body_len : 0 };
	ssize_t *v = NULL;
	size_t n = 0, cap = 0;
	char tok[CLASSIFY_TOKEN_MAX + 1];

	for (size_t p = 0; p < 2; p++) {
		size_t pos = 0;

		while (classify_token_next(parts[p], lens[p], &pos, tok) > 0) {
			ssize_t j = classify_model_vocab_find(m, tok);

			if (j < 0)
				continue;
			v = xgrow(v, &cap, n + 1, sizeof(*v));
			v[n++] = j;
		}
	}
	*n_r = n;
	return v;
}

static int
classify_vidx_cmp(const void *a, const void *b)
{
	ssize_t x = *(const ssize_t *)a, y = *(const ssize_t *)b;

	return x < y ? -1 : x > y;
}

/* For --explain: the trained scores, the learned weight of every hit, and
 * the message's strongest words for the chosen class. */
static void
classify_explain_model(const struct classify_rules *r, const struct classify_model *m,
		       size_t hand, size_t chosen, const struct classify_feat *x, size_t nx,
		       const double *t, const double *z, const ssize_t *vidx, size_t nv,
		       struct classify_result *res)
{
	size_t K = m->n_classes, kc = 0;

	res->hand_category = xstrdup(r->targets[hand].id);
	res->trained = xcalloc(K, sizeof(*res->trained));
	res->n_trained = K;
	for (size_t k = 0; k < K; k++) {
		struct classify_trained *c = &res->trained[k];
		double s = 0.0;

		if (m->cls[k] == chosen)
			kc = k;
		c->category = xstrdup(r->targets[m->cls[k]].id);
		c->bias = m->b[k];
		if (m->p.use_rules)
			for (size_t i = 0; i < nx; i++)
				s += m->W[k * m->n_rules + x[i].rule] * x[i].x;
		c->rules = s;
		c->tokens = m->p.use_tokens ? m->a[k] * t[k] : 0.0;
		c->score = z[k];
	}
	/* the hits are in rule order, x[] too, one hit per count */
	for (size_t j = 0, h = 0; j < nx; j++) {
		for (size_t c = 0; c < (size_t)x[j].x && h < res->n_hits; c++, h++) {
			struct classify_hit *hit = &res->hits[h];

			hit->learned = xcalloc(K, sizeof(*hit->learned));
			for (size_t k = 0; k < K; k++)
				hit->learned[k] = m->W[k * m->n_rules + x[j].rule];
		}
	}
	if (!m->p.use_tokens || nv == 0)
		return;
	/* distinct words, strongest first, at most 10: sort the indexes, count
	 * the runs, keep the best (no string work but for the ten) */
	{
		ssize_t *v = xmalloc(nv * sizeof(*v));
		struct classify_token best[10];
		size_t nb = 0;

		memset(best, 0, sizeof(best));
		const double *row = m->centred + kc * m->n_vocab;

		memcpy(v, vidx, nv * sizeof(*v));
		qsort(v, nv, sizeof(*v), classify_vidx_cmp);
		for (size_t i = 0; i < nv;) {
			size_t j = i;
			double wgt = row[v[i]];
			size_t at;

			while (j < nv && v[j] == v[i])
				j++;
			/* insertion into best[], strongest first, ties in byte order
			 * (the vocabulary is in byte order, and so is v) */
			for (at = nb; at > 0 && best[at - 1].weight < wgt; at--)
				;
			if (at < 10) {
				if (nb < 10)
					nb++;
				memmove(&best[at + 1], &best[at], (nb - 1 - at) * sizeof(best[0]));
				best[at].token = (char *)m->vocab[v[i]];
				best[at].count = (unsigned)(j - i);
				best[at].weight = wgt;
			}
			i = j;
		}
		free(v);
		res->tokens = xcalloc(nb + 1, sizeof(*res->tokens));
		for (size_t i = 0; i < nb; i++) {
			res->tokens[i] = best[i];
			res->tokens[i].token = xstrdup(best[i].token);
		}
		res->n_tokens = nb;
	}
}

int
classify_run_model(const struct classify_rules *r, const struct classify_model *m,
		   const struct classify_input *in, struct classify_result **res_r,
		   struct classify_feat **x_r, size_t *nx_r, size_t *hand_r)
{
	struct classify_scratch sc;
	struct classify_result *res;
	struct classify_feat *x = NULL;
	double *score;
	bool *vetoed, *present = NULL;
	ssize_t best = -1, best_complaint = -1;
	size_t cap_hits = 0, n_cats = 0, nx = 0, cap_x = 0, hand;
	bool force_complaint = false;

	*res_r = NULL;
	if (classify_scratch_init(r, &sc) < 0)
		return -1;
	score = xcalloc(r->n_targets + 1, sizeof(*score));
	vetoed = xcalloc(r->n_targets + 1, sizeof(*vetoed));
	res = xcalloc(1, sizeof(*res));
	if (r->pf != NULL) {
		const char *texts[3] = { in->subject, in->body, in->from };
		size_t lens[3] = {
			in->subject != NULL ? strlen(in->subject) : 0,
			in->body != NULL ? in->body_len : 0,
			in->from != NULL ? strlen(in->from) : 0,
		};

		present = xcalloc(classify_prefilter_count(r->pf) + 1, sizeof(*present));
		classify_prefilter_scan(r->pf, texts, lens, 3, CLASSIFY_MAX_FIELD, present);
	}
	for (size_t i = 0; i < r->n_rules; i++) {
		const struct classify_rule *ru = &r->rules[i];
		size_t n;

		if (ru->lit_ids != NULL && present != NULL) {   /* pf set */
			bool any = false;

			for (size_t j = 0; j < ru->n_lits && !any; j++)
				any = present[ru->lit_ids[j]];
			if (!any)
				continue;   /* cannot match: no literal it needs is there */
		}
		n = classify_rule_run(r, i, &sc, in, res, &cap_hits);

		if (n == 0)
			continue;
		x = xgrow(x, &cap_x, nx + 1, sizeof(*x));
		x[nx].rule = i;
		x[nx].x = (double)n;
		nx++;
		if (r->rules[i].veto)
			vetoed[r->rules[i].target] = true;
		else
			score[r->rules[i].target] += r->rules[i].weight * (double)n;
	}
	classify_scratch_free(&sc);

	/* Tags first: one of them may force a complaint. */
	for (size_t i = 0; i < r->n_targets; i++) {
		const struct classify_target *t = &r->targets[i];

		if (!t->is_tag) {
			n_cats++;
			continue;
		}
		if (vetoed[i] || score[i] < t->min)
			continue;
		res->tags = xrealloc(res->tags, (res->n_tags + 1) * sizeof(*res->tags));
		res->tags[res->n_tags++] = xstrdup(t->id);
		if (t->complaint)
			force_complaint = true;
	}
	/* The best category; on a tie the earlier one, complaints first. */
	res->scores = xcalloc(n_cats, sizeof(*res->scores));
	for (size_t i = 0; i < r->n_targets; i++) {
		const struct classify_target *t = &r->targets[i];

		if (t->is_tag)
			continue;
		res->scores[res->n_scores].category = xstrdup(t->id);
		res->scores[res->n_scores].score = score[i];
		res->n_scores++;
		if (vetoed[i] || score[i] < r->threshold ||
		    (in->no_spam && t->outcome == OUTCOME_SPAM))
			continue;
		if (best < 0 || score[i] > score[best] ||
		    (score[i] == score[best] && r->targets[best].outcome != OUTCOME_COMPLAINT &&
		     t->outcome == OUTCOME_COMPLAINT))
			best = (ssize_t)i;
		if (t->outcome == OUTCOME_COMPLAINT &&
		    (best_complaint < 0 || score[i] > score[best_complaint]))
			best_complaint = (ssize_t)i;
	}
	/* A complaint tag (legal, safety) turns thanks or a question into a
	 * complaint, not spam: spam is not what a customer wrote at all, and
	 * bulk mail is full of legal small print. */
	if (best >= 0 && r->targets[best].outcome != OUTCOME_COMPLAINT &&
	    r->targets[best].outcome != OUTCOME_SPAM && force_complaint)
		best = best_complaint;
	/* A category flagged unrecognised holds what the rules read as
	 * nothing; a tag that fired (blame, a harm, a threat) is something
	 * read: the best complaint category takes it, or the fallback. */
	if (best >= 0 && r->targets[best].unrecognised && res->n_tags > 0)
		best = best_complaint;
	if (best < 0)
		best = (ssize_t)r->fallback;
	hand = (size_t)best;
	if (m != NULL) {
		/* Learned weights: they choose among the trained classes when
		 * the hand weights chose one of them (bench/train_ref.md 6). */
		size_t K = m->n_classes, nv = 0;
		double *t = xcalloc(K + 1, sizeof(*t)), *z = xcalloc(K + 1, sizeof(*z));
		ssize_t *vidx = NULL;
		bool decided;

		res->weights = xstrdup(m->file != NULL ? m->file : "");
		if (m->p.use_tokens) {
			vidx = classify_message_vidx(m, in, &nv);
			classify_model_feature(m, vidx, nv, t);
		}
		best = (ssize_t)classify_model_choose(r, m, hand, x, nx, t, z, &decided);
		if (decided)
			classify_explain_model(r, m, hand, (size_t)best, x, nx, t, z, vidx, nv, res);
		free(vidx);
		free(t);
		free(z);
	}
	res->outcome = r->targets[best].outcome;
	res->complaint = res->outcome == OUTCOME_COMPLAINT;
	res->unrecognised = r->targets[best].unrecognised;
	res->category = xstrdup(r->targets[best].id);
	res->label = xstrdup(r->targets[best].label);
	res->priority = r->targets[best].priority;
	if (res->complaint) {
		for (size_t i = 0; i < r->n_targets; i++) {
			const struct classify_target *t = &r->targets[i];

			if (!t->is_tag || vetoed[i] || score[i] < t->min)
				continue;
			if (t->has_raise)
				res->priority = classify_more_urgent(res->priority, t->raise);
			if (t->escalate)
				res->escalate = true;
		}
	}
	free(score);
	free(vetoed);
	free(present);
	if (x_r != NULL) {
		*x_r = x;
		*nx_r = nx;
	} else {
		free(x);
	}
	if (hand_r != NULL)
		*hand_r = hand;
	*res_r = res;
	return 0;
}

int
classify_run(const struct classify_rules *r, const struct classify_input *in,
	     struct classify_result **res_r)
{
	return classify_run_model(r, r->model, in, res_r, NULL, NULL, NULL);
}

void
classify_apply_repeat(const struct classify_rules *r, struct classify_result *res)
{
	ssize_t t;

	if (!res->complaint)
		return;
	for (size_t i = 0; i < res->n_tags; i++)
		if (strcmp(res->tags[i], "repeat") == 0)
			return;
	res->tags = xrealloc(res->tags, (res->n_tags + 1) * sizeof(*res->tags));
	res->tags[res->n_tags++] = xstrdup("repeat");
	if (res->priority > PRIORITY_URGENT)
		res->priority = (enum priority)(res->priority - 1);
	t = classify_find_target(r, "repeat", 6);
	if (t >= 0 && r->targets[t].is_tag) {
		if (r->targets[t].has_raise)
			res->priority = classify_more_urgent(res->priority, r->targets[t].raise);
		if (r->targets[t].escalate)
			res->escalate = true;
	}
	if (res->priority <= PRIORITY_HIGH)
		res->escalate = true;
}

/* ------------------------------------------------------------------ */
/* Output */

static void
classify_number_out(struct buf *out, double v)
{
	buf_printf(out, "%.10g", v == 0 ? 0.0 : v);   /* no "-0" */
}

static void classify_learned_text(const struct classify_result *res, struct buf *out);

static void
classify_learned_json(const struct classify_result *res, struct buf *out)
{
	bool first = true;

	buf_puts(out, ",\"learned\":{");
	json_key(out, &first, "weights");
	json_str(out, res->weights);
	json_key(out, &first, "hand_category");
	if (res->hand_category != NULL)
		json_str(out, res->hand_category);
	else
		buf_puts(out, "null");
	json_key(out, &first, "classes");
	buf_putc(out, '[');
	for (size_t k = 0; k < res->n_trained; k++) {
		const struct classify_trained *c = &res->trained[k];
		bool f = true;

		buf_puts(out, k > 0 ? ",{" : "{");
		json_key(out, &f, "category");
		json_str(out, c->category);
		json_key(out, &f, "bias");
		classify_number_out(out, c->bias);
		json_key(out, &f, "rules");
		classify_number_out(out, c->rules);
		json_key(out, &f, "tokens");
		classify_number_out(out, c->tokens);
		json_key(out, &f, "score");
		classify_number_out(out, c->score);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	json_key(out, &first, "tokens");
	buf_putc(out, '[');
	for (size_t i = 0; i < res->n_tokens; i++) {
		bool f = true;

		buf_puts(out, i > 0 ? ",{" : "{");
		json_key(out, &f, "token");
		json_str(out, res->tokens[i].token);
		json_key(out, &f, "count");
		json_int(out, res->tokens[i].count);
		json_key(out, &f, "weight");
		classify_number_out(out, res->tokens[i].weight);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
}

void
classify_result_json(const struct classify_result *res, bool explain, struct buf *out)
{
	bool first = true;

	buf_putc(out, '{');
	json_key(out, &first, "complaint");
	json_bool(out, res->complaint);
	json_key(out, &first, "outcome");
	json_str(out, outcome_name(res->outcome));
	json_key(out, &first, "category");
	json_str(out, res->category);
	json_key(out, &first, "label");
	json_str(out, res->label);
	json_key(out, &first, "priority");
	json_str(out, priority_name(res->priority));
	json_key(out, &first, "tags");
	buf_putc(out, '[');
	for (size_t i = 0; i < res->n_tags; i++) {
		if (i > 0)
			buf_putc(out, ',');
		json_str(out, res->tags[i]);
	}
	buf_putc(out, ']');
	json_key(out, &first, "escalate");
	json_bool(out, res->escalate);
	json_key(out, &first, "scores");
	buf_putc(out, '{');
	for (size_t i = 0; i < res->n_scores; i++) {
		if (i > 0)
			buf_putc(out, ',');
		json_str(out, res->scores[i].category);
		buf_putc(out, ':');
		classify_number_out(out, res->scores[i].score);
	}
	buf_putc(out, '}');
	json_key(out, &first, "rules");
	buf_putc(out, '[');
	for (size_t i = 0; i < res->n_hits; i++) {
		const struct classify_hit *h = &res->hits[i];
		bool f = true;

		if (i > 0)
			buf_putc(out, ',');
		buf_putc(out, '{');
		json_key(out, &f, "rule");
		json_str(out, h->rule);
		json_key(out, &f, "field");
		json_str(out, h->field);
		json_key(out, &f, "match");
		json_str(out, h->match);
		if (explain) {
			json_key(out, &f, "offset");
			json_int(out, (int64_t)h->offset);
			json_key(out, &f, "target");
			json_str(out, h->target);
			json_key(out, &f, "weight");
			classify_number_out(out, h->weight);
			json_key(out, &f, "veto");
			json_bool(out, h->veto);
			if (h->learned != NULL) {
				json_key(out, &f, "learned");
				buf_putc(out, '{');
				for (size_t k = 0; k < res->n_trained; k++) {
					if (k > 0)
						buf_putc(out, ',');
					json_str(out, res->trained[k].category);
					buf_putc(out, ':');
					classify_number_out(out, h->learned[k]);
				}
				buf_putc(out, '}');
			}
		}
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	if (explain && res->weights != NULL)
		classify_learned_json(res, out);
	buf_putc(out, '}');
}

void
classify_result_text(const struct classify_result *res, bool explain, struct buf *out)
{
	buf_printf(out, "complaint: %s\n", res->complaint ? "yes" : "no");
	buf_printf(out, "outcome: %s\n", outcome_name(res->outcome));
	buf_printf(out, "category: %s (%s)\n", res->category, res->label);
	buf_printf(out, "priority: %s\n", priority_name(res->priority));
	buf_puts(out, "tags:");
	if (res->n_tags == 0)
		buf_puts(out, " none");
	for (size_t i = 0; i < res->n_tags; i++)
		buf_printf(out, "%s %s", i > 0 ? "," : "", res->tags[i]);
	buf_printf(out, "\nescalate: %s\nscores:", res->escalate ? "yes" : "no");
	for (size_t i = 0; i < res->n_scores; i++) {
		buf_printf(out, "%s %s ", i > 0 ? "," : "", res->scores[i].category);
		classify_number_out(out, res->scores[i].score);
	}
	buf_putc(out, '\n');
	if (!explain)
		return;
	if (res->weights != NULL)
		classify_learned_text(res, out);
	if (res->n_hits == 0) {
		buf_puts(out, "rules that fired: none\n");
		return;
	}
	buf_puts(out, "rules that fired:\n");
	for (size_t i = 0; i < res->n_hits; i++) {
		const struct classify_hit *h = &res->hits[i];
		char *m = classify_clean(h->match, strlen(h->match), CLASSIFY_MAX_MATCH, true);

		buf_printf(out, "  %s: %s at byte %zu -> %s ", h->rule, h->field, h->offset,
			   h->target);
		if (h->veto)
			buf_puts(out, "veto");
		else if (h->weight >= 0)
			buf_putc(out, '+');
		if (!h->veto)
			classify_number_out(out, h->weight);
		buf_printf(out, ": \"%s\"", m);
		if (h->learned != NULL) {
			buf_puts(out, "; learned");
			for (size_t k = 0; k < res->n_trained; k++) {
				buf_printf(out, "%s %s ", k > 0 ? "," : "", res->trained[k].category);
				classify_number_out(out, h->learned[k]);
			}
		}
		buf_putc(out, '\n');
		free(m);
	}
}

/* The learned weights' part of the human-readable --explain. */
static void
classify_learned_text(const struct classify_result *res, struct buf *out)
{
	buf_printf(out, "learned weights: %s\n", res->weights);
	if (res->hand_category == NULL) {
		buf_printf(out, "  the hand weights chose %s, which the learned weights do not "
			   "decide\n", res->category);
		return;
	}
	buf_printf(out, "  hand weights chose %s; learned scores (bias + rules + tokens):\n",
		   res->hand_category);
	for (size_t k = 0; k < res->n_trained; k++) {
		const struct classify_trained *c = &res->trained[k];

		buf_printf(out, "  %s%s ", strcmp(c->category, res->category) == 0 ? "* " : "  ",
			   c->category);
		classify_number_out(out, c->score);
		buf_puts(out, " = ");
		classify_number_out(out, c->bias);
		buf_puts(out, " + ");
		classify_number_out(out, c->rules);
		buf_puts(out, " + ");
		classify_number_out(out, c->tokens);
		buf_putc(out, '\n');
	}
	if (res->n_tokens == 0)
		return;
	buf_printf(out, "  strongest words for %s:", res->category);
	for (size_t i = 0; i < res->n_tokens; i++) {
		buf_printf(out, "%s %s", i > 0 ? "," : "", res->tokens[i].token);
		if (res->tokens[i].count > 1)
			buf_printf(out, " x%u", res->tokens[i].count);
		buf_putc(out, ' ');
		if (res->tokens[i].weight >= 0)
			buf_putc(out, '+');
		classify_number_out(out, res->tokens[i].weight);
	}
	buf_putc(out, '\n');
}

void
classify_result_free(struct classify_result **resp)
{
	struct classify_result *res = *resp;

	if (res == NULL)
		return;
	free(res->category);
	free(res->label);
	for (size_t i = 0; i < res->n_tags; i++)
		free(res->tags[i]);
	free(res->tags);
	for (size_t i = 0; i < res->n_scores; i++)
		free(res->scores[i].category);
	free(res->scores);
	for (size_t i = 0; i < res->n_hits; i++) {
		free(res->hits[i].rule);
		free(res->hits[i].field);
		free(res->hits[i].match);
		free(res->hits[i].target);
		free(res->hits[i].learned);
	}
	free(res->hits);
	free(res->weights);
	free(res->hand_category);
	for (size_t i = 0; i < res->n_trained; i++)
		free(res->trained[i].category);
	free(res->trained);
	for (size_t i = 0; i < res->n_tokens; i++)
		free(res->tokens[i].token);
	free(res->tokens);
	free(res);
	*resp = NULL;
}
