/*
 * NAME
 *	classify_load - reading and compiling a rules file (redress-rules(5))
 * SYNOPSIS
 *	classify_load, classify_load_opts, classify_load_string,
 *	classify_rules_version, classify_rules_count, classify_rules_jit,
 *	classify_rules_prefiltered, classify_rules_n_categories,
 *	classify_rules_category, classify_rules_category_outcome,
 *	classify_rules_free
 * DESCRIPTION
 *	Part of the classify module (classify.h; classify.c runs the rules).
 *	A rules file declares categories, tags, a threshold and rules; a rule
 *	is a PCRE2 pattern over one field of the message with a weight
 *	toward one category or tag, or a veto of it.  classify_load parses
 *	the file line by line and compiles every pattern at once (UTF, UCP,
 *	MATCH_INVALID_UTF, NEVER_BACKSLASH_C, caseless unless the rule says
 *	"case"), JIT-compiling where the system allows, and reads each
 *	caseless pattern for the literals of the prefilter
 *	(classify_prefilter.c).  Compiled rules are read-only after load.
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

/* ------------------------------------------------------------------ */
/* Loading */

struct classify_seg {
	size_t off;               /* where this piece starts in the pattern */
	unsigned line, col;       /* where it starts in the file */
};

struct classify_parse {
	const char *name;
	struct classify_rules *r;
	size_t cap_targets, cap_rules;
	unsigned line;
	char *error;
	const struct classify_options *opt;
	pcre2_compile_context *cctx;
	bool jit_warned;
	int n_fallback;
	/* the rule whose pattern is being read */
	bool pending;
	struct classify_rule pend;
	unsigned pend_col;        /* column of its ':' */
	struct buf pat;
	struct classify_seg *segs;
	size_t n_segs, cap_segs;
};

static int classify_perr(struct classify_parse *p, unsigned line, size_t col,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
classify_perr(struct classify_parse *p, unsigned line, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(p->error);
	p->error = xasprintf("%s:%u:%zu: %s", p->name, line, col, msg);
	free(msg);
	return -1;
}

/* A whitespace-separated token of line[*pos..len); false at end of line. */
static bool
classify_token(const char *line, size_t len, size_t *pos, size_t *start, size_t *tlen)
{
	size_t i = *pos;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*start = i;
	if (i >= len) {
		*pos = i;
		*tlen = 0;
		return false;
	}
	while (i < len && line[i] != ' ' && line[i] != '\t')
		i++;
	*tlen = i - *start;
	*pos = i;
	return true;
}

static bool
classify_tok_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

static bool
classify_valid_id(const char *s, size_t len)
{
	if (len == 0 || len > CLASSIFY_MAX_ID)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* "[+-]digits[.digits]" within +-CLASSIFY_MAX_WEIGHT. */
static bool
classify_number(const char *s, size_t len, double *v_r)
{
	size_t i = 0, digits = 0;
	char tmp[64];

	if (len == 0 || len >= sizeof(tmp))
		return false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		i++;
		digits++;
	}
	if (digits == 0)
		return false;
	if (i < len && s[i] == '.') {
		i++;
		digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			i++;
			digits++;
		}
		if (digits == 0)
			return false;
	}
	if (i != len)
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	*v_r = strtod(tmp, NULL);
	return *v_r >= -CLASSIFY_MAX_WEIGHT && *v_r <= CLASSIFY_MAX_WEIGHT;
}

static bool
classify_priority(const char *tok, size_t len, enum priority *p_r)
{
	char tmp[16];

	if (len >= sizeof(tmp))
		return false;
	memcpy(tmp, tok, len);
	tmp[len] = '\0';
	return priority_parse(tmp, p_r) == 0;
}

ssize_t
classify_find_target(const struct classify_rules *r, const char *id, size_t len)
{
	for (size_t i = 0; i < r->n_targets; i++)
		if (strlen(r->targets[i].id) == len && memcmp(r->targets[i].id, id, len) == 0)
			return (ssize_t)i;
	return -1;
}

/* Checks an id token; col is 1-based. */
static int
classify_check_new_id(struct classify_parse *p, const char *what, const char *tok,
		      size_t len, size_t col)
{
	if (!classify_valid_id(tok, len))
		return classify_perr(p, p->line, col,
				     "invalid %s id \"%.*s\": letters, digits, '-', '_' and '.', "
				     "starting with a letter, at most %d bytes",
				     what, (int)(len > 80 ? 80 : len), tok, CLASSIFY_MAX_ID);
	if (classify_find_target(p->r, tok, len) >= 0)
		return classify_perr(p, p->line, col, "duplicate id \"%.*s\"", (int)len, tok);
	if (p->r->n_targets >= CLASSIFY_MAX_TARGETS)
		return classify_perr(p, p->line, col, "more than %d categories and tags",
				     CLASSIFY_MAX_TARGETS);
	return 0;
}

static struct classify_target *
classify_new_target(struct classify_parse *p, const char *id, size_t len)
{
	struct classify_target *t;

	p->r->targets = xgrow(p->r->targets, &p->cap_targets, p->r->n_targets + 1,
			      sizeof(*p->r->targets));
	t = &p->r->targets[p->r->n_targets++];
	memset(t, 0, sizeof(*t));
	t->id = xstrndup(id, len);
	t->priority = PRIORITY_NORMAL;
	t->min = 1;
	return t;
}

/* A "quoted label" with \" and \\ escapes, starting at line[*pos] (after blanks). */
static int
classify_label(struct classify_parse *p, const char *line, size_t len, size_t *pos,
	       char **label_r)
{
	size_t i = *pos;
	struct buf b;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '"')
		return classify_perr(p, p->line, i + 1, "expected a \"quoted label\"");
	buf_init(&b, BUF_NO_LIMIT);
	for (size_t j = i + 1; j < len; j++) {
		if (line[j] == '\\' && j + 1 < len && (line[j + 1] == '"' || line[j + 1] == '\\')) {
			buf_putc(&b, line[++j]);
			continue;
		}
		if (line[j] == '"') {
			if (b.len == 0 || b.len > CLASSIFY_MAX_LABEL) {
				buf_free(&b);
				return classify_perr(p, p->line, i + 1,
						     "a label must have 1 to %d bytes",
						     CLASSIFY_MAX_LABEL);
			}
			*pos = j + 1;
			*label_r = buf_steal(&b, NULL);
			return 0;
		}
		if (line[j] == '\t')
			buf_putc(&b, ' ');
		else
			buf_putc(&b, line[j]);
	}
	buf_free(&b);
	return classify_perr(p, p->line, i + 1, "unterminated label: no closing '\"'");
}

/*
 * A category flag that sets the outcome: "question", "praise",
 * "outcome=NAME", or "not-complaint", the one outcome flag before there
 * were several, kept for existing rules files: it means question (a
 * plain ack and an answer clock), the cautious reading of "thanks, praise
 * or a question".  1 and *o_r, 0 not an outcome flag, -1 a bad NAME.
 */
static int
classify_outcome_flag(const char *tok, size_t n, enum outcome *o_r)
{
	if (classify_tok_is(tok, n, "not-complaint")) {
		*o_r = OUTCOME_QUESTION;
		return 1;
	}
	if (n > 8 && strncmp(tok, "outcome=", 8) == 0) {
		char word[32];

		if (n - 8 >= sizeof(word))
			return -1;
		memcpy(word, tok + 8, n - 8);
		word[n - 8] = '\0';
		return outcome_parse(word, o_r) == 0 ? 1 : -1;
	}
	for (int i = OUTCOME_QUESTION; i < OUTCOME_COUNT; i++) {
		if (classify_tok_is(tok, n, outcome_name((enum outcome)i))) {
			*o_r = (enum outcome)i;
			return 1;
		}
	}
	return 0;
}

/* category ID PRIORITY "LABEL" [fallback] [unrecognised] [question | praise | outcome=NAME] */
static int
classify_category(struct classify_parse *p, const char *line, size_t len, size_t pos)
{
	size_t s, n, id_s, id_n, out_s = 0, out_n = 0;
	enum priority prio;
	struct classify_target *t;
	char *label = NULL;

	if (!classify_token(line, len, &pos, &id_s, &id_n))
		return classify_perr(p, p->line, id_s + 1, "category: expected an id");
	if (classify_check_new_id(p, "category", line + id_s, id_n, id_s + 1) < 0)
		return -1;
	if (!classify_token(line, len, &pos, &s, &n))
		return classify_perr(p, p->line, s + 1,
				     "category: expected a priority (urgent, high, normal, low)");
	if (!classify_priority(line + s, n, &prio))
		return classify_perr(p, p->line, s + 1,
				     "unknown priority \"%.*s\" (urgent, high, normal, low)",
				     (int)(n > 80 ? 80 : n), line + s);
	if (classify_label(p, line, len, &pos, &label) < 0)
		return -1;
	t = classify_new_target(p, line + id_s, id_n);
	t->label = label;
	t->priority = prio;
	while (classify_token(line, len, &pos, &s, &n)) {
		enum outcome o;
		int f;

		if (classify_tok_is(line + s, n, "fallback")) {
			if (t->outcome != OUTCOME_COMPLAINT)
				return classify_perr(p, p->line, s + 1,
						     "the fallback category cannot be %.*s",
						     (int)out_n, line + out_s);
			if (p->n_fallback++ > 0)
				return classify_perr(p, p->line, s + 1,
						     "a second fallback category (\"%s\" is one already)",
						     p->r->targets[p->r->fallback].id);
			t->fallback = true;
			p->r->fallback = p->r->n_targets - 1;
		} else if (classify_tok_is(line + s, n, "unrecognised")) {
			t->unrecognised = true;
		} else if ((f = classify_outcome_flag(line + s, n, &o)) != 0) {
			if (f < 0)
				return classify_perr(p, p->line, s + 1,
						     "unknown outcome \"%.*s\" (complaint, question, "
						     "praise, spam)", (int)(n - 8 > 80 ? 80 : n - 8),
						     line + s + 8);
			if (out_n > 0)
				return classify_perr(p, p->line, s + 1,
						     "a second outcome for category \"%s\" "
						     "(\"%.*s\" is one already)", t->id,
						     (int)out_n, line + out_s);
			if (t->fallback && o != OUTCOME_COMPLAINT)
				return classify_perr(p, p->line, s + 1,
						     "the fallback category cannot be %.*s",
						     (int)(n > 80 ? 80 : n), line + s);
			t->outcome = o;
			out_s = s;
			out_n = n > 80 ? 80 : n;
		} else {
			return classify_perr(p, p->line, s + 1,
					     "unknown category flag \"%.*s\" (fallback, unrecognised, "
					     "question, praise, spam, outcome=NAME, not-complaint)",
					     (int)(n > 80 ? 80 : n), line + s);
		}
	}
	return 0;
}

/* tag ID [raise=PRIORITY] [escalate] [complaint] [min=NUMBER] */
static int
classify_tag(struct classify_parse *p, const char *line, size_t len, size_t pos)
{
	size_t s, n, id_s, id_n;
	struct classify_target *t;

	if (!classify_token(line, len, &pos, &id_s, &id_n))
		return classify_perr(p, p->line, id_s + 1, "tag: expected an id");
	if (classify_check_new_id(p, "tag", line + id_s, id_n, id_s + 1) < 0)
		return -1;
	t = classify_new_target(p, line + id_s, id_n);
	t->is_tag = true;
	while (classify_token(line, len, &pos, &s, &n)) {
		const char *tok = line + s;

		if (n > 6 && memcmp(tok, "raise=", 6) == 0) {
			if (!classify_priority(tok + 6, n - 6, &t->raise))
				return classify_perr(p, p->line, s + 7,
						     "unknown priority \"%.*s\" (urgent, high, normal, low)",
						     (int)(n - 6 > 80 ? 80 : n - 6), tok + 6);
			t->has_raise = true;
		} else if (n > 4 && memcmp(tok, "min=", 4) == 0) {
			if (!classify_number(tok + 4, n - 4, &t->min) || t->min <= 0)
				return classify_perr(p, p->line, s + 5,
						     "min= wants a positive number up to %g",
						     CLASSIFY_MAX_WEIGHT);
		} else if (classify_tok_is(tok, n, "escalate")) {
			t->escalate = true;
		} else if (classify_tok_is(tok, n, "complaint")) {
			t->complaint = true;
		} else {
			return classify_perr(p, p->line, s + 1,
					     "unknown tag option \"%.*s\" (raise=PRIORITY, escalate, "
					     "complaint, min=NUMBER)", (int)(n > 80 ? 80 : n), tok);
		}
	}
	return 0;
}

static int
classify_threshold(struct classify_parse *p, const char *line, size_t len, size_t pos)
{
	size_t s, n;

	if (!classify_token(line, len, &pos, &s, &n) ||
	    !classify_number(line + s, n, &p->r->threshold))
		return classify_perr(p, p->line, s + 1, "threshold: expected a number");
	if (classify_token(line, len, &pos, &s, &n))
		return classify_perr(p, p->line, s + 1, "threshold: unexpected \"%.*s\"",
				     (int)(n > 80 ? 80 : n), line + s);
	return 0;
}

/* Adds a piece of pattern text that starts at (line, col). */
static int
classify_add_seg(struct classify_parse *p, const char *s, size_t len, unsigned line,
		 size_t col)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return 0;
	if (p->pat.len + len > CLASSIFY_MAX_PATTERN)
		return classify_perr(p, line, col + (CLASSIFY_MAX_PATTERN - p->pat.len),
				     "pattern of rule \"%s\" is longer than %d bytes",
				     p->pend.name, CLASSIFY_MAX_PATTERN);
	p->segs = xgrow(p->segs, &p->cap_segs, p->n_segs + 1, sizeof(*p->segs));
	p->segs[p->n_segs].off = p->pat.len;
	p->segs[p->n_segs].line = line;
	p->segs[p->n_segs].col = (unsigned)col;
	p->n_segs++;
	buf_append(&p->pat, s, len);
	return 0;
}

/* rule NAME FIELD TARGET WEIGHT|veto [case] [max=N] : PATTERN */
static int
classify_rule_line(struct classify_parse *p, const char *line, size_t len, size_t pos)
{
	struct classify_rule *ru = &p->pend;
	size_t s, n;
	ssize_t t;

	memset(ru, 0, sizeof(*ru));
	ru->line = p->line;
	ru->max = 1;
	if (!classify_token(line, len, &pos, &s, &n))
		return classify_perr(p, p->line, s + 1, "rule: expected a name");
	if (!classify_valid_id(line + s, n))
		return classify_perr(p, p->line, s + 1,
				     "invalid rule name \"%.*s\": letters, digits, '-', '_' and '.', "
				     "starting with a letter, at most %d bytes",
				     (int)(n > 80 ? 80 : n), line + s, CLASSIFY_MAX_ID);
	for (size_t i = 0; i < p->r->n_rules; i++)
		if (strlen(p->r->rules[i].name) == n &&
		    memcmp(p->r->rules[i].name, line + s, n) == 0)
			return classify_perr(p, p->line, s + 1,
					     "duplicate rule name \"%.*s\" (first on line %u)",
					     (int)n, line + s, p->r->rules[i].line);
	ru->name = xstrndup(line + s, n);

	if (!classify_token(line, len, &pos, &s, &n))
		return classify_perr(p, p->line, s + 1,
				     "rule: expected a field (subject, body, from, any, header:NAME)");
	if (classify_tok_is(line + s, n, "subject")) {
		ru->field = CLASSIFY_FIELD_SUBJECT;
	} else if (classify_tok_is(line + s, n, "body")) {
		ru->field = CLASSIFY_FIELD_BODY;
	} else if (classify_tok_is(line + s, n, "from")) {
		ru->field = CLASSIFY_FIELD_FROM;
	} else if (classify_tok_is(line + s, n, "any")) {
		ru->field = CLASSIFY_FIELD_ANY;
	} else if (n > 7 && memcmp(line + s, "header:", 7) == 0 && n - 7 <= CLASSIFY_MAX_ID) {
		for (size_t i = s + 7; i < s + n; i++)
			if ((unsigned char)line[i] <= 32 || (unsigned char)line[i] >= 127 ||
			    line[i] == ':')
				return classify_perr(p, p->line, i + 1,
						     "invalid character in header name");
		ru->field = CLASSIFY_FIELD_HEADER;
		ru->header = xstrndup(line + s + 7, n - 7);
	} else {
		return classify_perr(p, p->line, s + 1,
				     "unknown field \"%.*s\" (subject, body, from, any, header:NAME)",
				     (int)(n > 80 ? 80 : n), line + s);
	}
	ru->field_name = xstrndup(line + s, n);

	if (!classify_token(line, len, &pos, &s, &n))
		return classify_perr(p, p->line, s + 1, "rule: expected a category or tag");
	t = classify_find_target(p->r, line + s, n);
	if (t < 0)
		return classify_perr(p, p->line, s + 1,
				     "unknown category or tag \"%.*s\" (declare it above the rule)",
				     (int)(n > 80 ? 80 : n), line + s);
	ru->target = (size_t)t;

	if (!classify_token(line, len, &pos, &s, &n))
		return classify_perr(p, p->line, s + 1, "rule: expected a weight or veto");
	if (classify_tok_is(line + s, n, "veto"))
		ru->veto = true;
	else if (!classify_number(line + s, n, &ru->weight))
		return classify_perr(p, p->line, s + 1,
				     "expected a weight (a number from -%g to %g) or veto, "
				     "got \"%.*s\"", CLASSIFY_MAX_WEIGHT, CLASSIFY_MAX_WEIGHT,
				     (int)(n > 80 ? 80 : n), line + s);

	for (;;) {
		if (!classify_token(line, len, &pos, &s, &n))
			return classify_perr(p, p->line, s + 1,
					     "rule: expected \":\" and a pattern");
		if (line[s] == ':')
			break;
		if (classify_tok_is(line + s, n, "case")) {
			ru->caseful = true;
		} else if (n > 4 && memcmp(line + s, "max=", 4) == 0) {
			double v;

			if (!classify_number(line + s + 4, n - 4, &v) || v < 1 ||
			    v > CLASSIFY_MAX_COUNT || v != (double)(unsigned)v)
				return classify_perr(p, p->line, s + 5,
						     "max= wants a whole number from 1 to %d",
						     CLASSIFY_MAX_COUNT);
			ru->max = (unsigned)v;
		} else {
			return classify_perr(p, p->line, s + 1,
					     "unknown rule flag \"%.*s\" (case, max=N), or a missing "
					     "\":\" before the pattern", (int)(n > 80 ? 80 : n), line + s);
		}
	}
	/* The pattern is the rest of the line after ":" and its blanks. */
	p->pending = true;
	p->pend_col = (unsigned)s + 1;
	buf_reset(&p->pat);
	p->n_segs = 0;
	pos = s + 1;
	while (pos < len && (line[pos] == ' ' || line[pos] == '\t'))
		pos++;
	return classify_add_seg(p, line + pos, len - pos, p->line, pos + 1);
}

static void
classify_rule_clear(struct classify_rule *ru)
{
	free(ru->name);
	free(ru->field_name);
	free(ru->header);
	pcre2_code_free(atomic_load(&ru->re));
	pcre2_code_free(ru->re_ascii);
	free(ru->pat);
	free(ru->lit_ids);
	memset(ru, 0, sizeof(*ru));
}

/* Whether a pattern has a POSIX class such as [:alpha:] or [:^punct:]
 * (classify_int.h: such a rule's twin is for ASCII text only).  A
 * literal that looks like one counts too; that only costs speed. */
static bool
classify_has_posix_class(const char *pat, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		size_t k = i + 2;

		if (pat[i] != '[' || pat[i + 1] != ':')
			continue;
		if (k < len && pat[k] == '^')
			k++;
		while (k < len && pat[k] >= 'a' && pat[k] <= 'z')
			k++;
		if (k + 1 < len && pat[k] == ':' && pat[k + 1] == ']')
			return true;
	}
	return false;
}

/* The patterns that tell what text holds beyond ASCII: CLASSIFY_LETTERS,
 * for a pattern's own text (classify_foldable), and CLASSIFY_SCAN, which
 * sorts a field and finds what to fold (classify.c's classify_text_kind).
 * PCRE2's own property tables decide, so the tests agree with what UCP
 * does.  Without them (no memory), every field that is not ASCII is
 * matched with UCP, and no rule folds. */
static pcre2_code *
classify_compile_kind(const struct classify_rules *r, const char *pat)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
				       &errcode, &erroff, NULL);

	if (re != NULL && r->jit)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static void
classify_compile_letters(struct classify_rules *r)
{
	r->letters = classify_compile_kind(r, CLASSIFY_LETTERS);
	r->scan = classify_compile_kind(r, CLASSIFY_SCAN);
}

/* Whether no character beyond ASCII in a pattern (valid UTF-8: it
 * compiled) is one of CLASSIFY_LETTERS.  Each is tested alone: a search
 * of the whole pattern in the interpreter, as one-message intake loads
 * the rules, tries every position and cost more than compiling. */
static bool
classify_foldable_beyond(const struct classify_rules *r, const char *pat, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	bool ok = md != NULL && r->letters != NULL;

	for (size_t i = 0; ok && i < len; i++) {
		unsigned char c = (unsigned char)pat[i];
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (c < 0xc0)   /* ASCII, or a continuation byte */
			continue;
		n = n > len - i ? len - i : n;
		ok = pcre2_match(r->letters, (PCRE2_SPTR)pat + i, n, 0,
				 PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK, md, NULL) ==
		     PCRE2_ERROR_NOMATCH;
	}
	pcre2_match_data_free(md);
	return ok;
}

/* Whether a pattern cannot tell a letter beyond ASCII from "_", or a
 * space separator beyond it from a tab (the fold of classify_int.h): no
 * "_", no control character, no escape that names a character or a
 * property, and beyond ASCII only punctuation and symbols (a curly
 * apostrophe), which the fold leaves as they are. */
static bool
classify_foldable(const struct classify_rules *r, const char *pat, size_t len)
{
	bool ascii = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pat[i];

		ascii &= c < 0x80;
		if (c == '_' || c < 0x20 || c == 0x7f)
			return false;
		if (c == '\\' && i + 1 < len) {
			c = (unsigned char)pat[++i];
			if (strchr("xoNpPXtc", c) != NULL || (c >= '0' && c <= '9'))
				return false;
		}
	}
	return ascii || classify_foldable_beyond(r, pat, len);
}

/* Compiles the pending rule and adds it. */
static int
classify_finish_rule(struct classify_parse *p)
{
	struct classify_rule *ru = &p->pend;
	uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF |
			 PCRE2_NEVER_BACKSLASH_C;
	bool lazy = p->opt != NULL && p->opt->lazy_ucp;
	pcre2_code *re = NULL;
	int errcode;
	PCRE2_SIZE erroff;
	size_t twin_size = 0;

	if (!p->pending)
		return 0;
	p->pending = false;
	if (p->pat.len == 0)
		return classify_perr(p, ru->line, p->pend_col,
				     "rule \"%s\" has an empty pattern", ru->name);
	if (!ru->caseful)
		flags |= PCRE2_CASELESS;
	/* The twin for ASCII text (classify_int.h); if it does not compile,
	 * that text is matched with the pattern itself.  With lazy_ucp, a
	 * twin that compiles stands for the pattern at load: UCP changes
	 * what \w, \d, \s, the POSIX classes and caseless letters match,
	 * not the syntax; but it makes the compiled pattern up to three
	 * times as big, so a large twin has its pattern compiled now, where
	 * PCRE2's size limit is an error of the file (CLASSIFY_LAZY_MAX). */
	ru->re_ascii = pcre2_compile((PCRE2_SPTR)p->pat.data, p->pat.len,
				     flags & ~(PCRE2_UCP | PCRE2_MATCH_INVALID_UTF),
				     &errcode, &erroff, p->cctx);
	if (lazy && ru->re_ascii != NULL)
		(void)pcre2_pattern_info(ru->re_ascii, PCRE2_INFO_SIZE, &twin_size);
	if (lazy && ru->re_ascii != NULL && twin_size <= CLASSIFY_LAZY_MAX) {
		ru->pat = xmalloc(p->pat.len);
		memcpy(ru->pat, p->pat.data, p->pat.len);
		ru->pat_len = p->pat.len;
		ru->flags = flags;
	} else {
		re = pcre2_compile((PCRE2_SPTR)p->pat.data, p->pat.len, flags, &errcode,
				   &erroff, p->cctx);
		if (re == NULL) {
			PCRE2_UCHAR msg[256];
			size_t k = 0;

			pcre2_get_error_message(errcode, msg, sizeof(msg));
			while (k + 1 < p->n_segs && p->segs[k + 1].off <= erroff)
				k++;
			return classify_perr(p, p->segs[k].line,
					     p->segs[k].col + (erroff - p->segs[k].off),
					     "rule \"%s\": %s", ru->name, (const char *)msg);
		}
		atomic_store(&ru->re, re);
	}
	ru->posix = classify_has_posix_class(p->pat.data, p->pat.len);
	ru->foldable = !ru->posix && classify_foldable(p->r, p->pat.data, p->pat.len);
	if (!(p->opt != NULL && p->opt->no_jit)) {
		int rc = re == NULL ? 0 : pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);

		if (rc == 0 && ru->re_ascii != NULL)
			rc = pcre2_jit_compile(ru->re_ascii, PCRE2_JIT_COMPLETE);

		if (rc != 0) {
			if (!p->jit_warned)
				classify_jit_warn(p->name, rc, "");
			p->jit_warned = true;
			p->r->jit = false;
		}
	}
	if (p->r->n_rules >= CLASSIFY_MAX_RULES)
		return classify_perr(p, ru->line, 1, "more than %d rules", CLASSIFY_MAX_RULES);
	if (!ru->caseful && ru->field != CLASSIFY_FIELD_HEADER &&
	    !(p->opt != NULL && p->opt->no_prefilter)) {
		char **lits;
		size_t n;

		if (classify_prefilter_literals(p->pat.data, p->pat.len, &lits, &n)) {
			if (p->r->pf == NULL)
				p->r->pf = classify_prefilter_new();
			ru->lit_ids = xcalloc(n, sizeof(*ru->lit_ids));
			for (size_t i = 0; i < n; i++)
				ru->lit_ids[i] = classify_prefilter_add(p->r->pf, lits[i]);
			ru->n_lits = n;
			free(lits);
		}
	}
	p->r->rules = xgrow(p->r->rules, &p->cap_rules, p->r->n_rules + 1,
			    sizeof(*p->r->rules));
	p->r->rules[p->r->n_rules++] = *ru;
	memset(ru, 0, sizeof(*ru));
	return 0;
}

static int
classify_parse_line(struct classify_parse *p, const char *line, size_t len)
{
	size_t i = 0, s, n;
	const unsigned char *u = (const unsigned char *)line;

	if (len > CLASSIFY_MAX_LINE)
		return classify_perr(p, p->line, CLASSIFY_MAX_LINE + 1,
				     "line longer than %d bytes", CLASSIFY_MAX_LINE);
	while (i < len) {
		size_t k = utf8_seq(u + i, len - i);

		if (k == 0)
			return classify_perr(p, p->line, i + 1, "invalid UTF-8");
		if (u[i] == 0)
			return classify_perr(p, p->line, i + 1, "NUL byte");
		if (u[i] < 0x20 && u[i] != '\t')
			return classify_perr(p, p->line, i + 1, "control character 0x%02x", u[i]);
		i += k;
	}
	i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	if (i > 0) {
		if (!p->pending)
			return classify_perr(p, p->line, i + 1,
					     "indented line outside a rule's pattern (directives "
					     "start in column 1)");
		return classify_add_seg(p, line + i, len - i, p->line, i + 1);
	}
	if (classify_finish_rule(p) < 0)
		return -1;
	classify_token(line, len, &i, &s, &n);
	if (classify_tok_is(line + s, n, "rule"))
		return classify_rule_line(p, line, len, i);
	if (classify_tok_is(line + s, n, "category"))
		return classify_category(p, line, len, i);
	if (classify_tok_is(line + s, n, "tag"))
		return classify_tag(p, line, len, i);
	if (classify_tok_is(line + s, n, "threshold"))
		return classify_threshold(p, line, len, i);
	return classify_perr(p, p->line, 1,
			     "unknown directive \"%.*s\" (category, tag, threshold, rule)",
			     (int)(n > 80 ? 80 : n), line + s);
}

static void
classify_version(struct classify_rules *r, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, text, len, md) < 0) {
		memcpy(r->version, "0000000000000000", 17);
		return;
	}
	for (size_t i = 0; i < 8; i++) {
		r->version[2 * i] = hex[md[i] >> 4];
		r->version[2 * i + 1] = hex[md[i] & 15];
	}
	r->version[16] = '\0';
}

int
classify_load_string(const char *name, const char *text, size_t len,
		     const struct classify_options *opt, struct classify_rules **rules_r,
		     char **error_r)
{
	struct classify_parse p;
	size_t at = 0;
	int ret = -1;

	*rules_r = NULL;
	*error_r = NULL;
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.opt = opt;
	p.r = xcalloc(1, sizeof(*p.r));
	p.r->threshold = 1;
	p.r->jit = !(opt != NULL && opt->no_jit);
	atomic_init(&p.r->jit_warned, 0);
	classify_compile_letters(p.r);
	buf_init(&p.pat, BUF_NO_LIMIT);
	if (len > CLASSIFY_MAX_FILE) {
		p.error = xasprintf("%s: larger than %d bytes", name, CLASSIFY_MAX_FILE);
		goto out;
	}
	p.cctx = pcre2_compile_context_create(NULL);
	if (p.cctx == NULL) {
		p.error = xasprintf("%s: out of memory for PCRE2", name);
		goto out;
	}
	pcre2_set_max_pattern_length(p.cctx, CLASSIFY_MAX_PATTERN);
	pcre2_set_parens_nest_limit(p.cctx, CLASSIFY_PARENS_NEST);
	p.r->cctx = p.cctx;
	classify_version(p.r, text, len);
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t l = end - at;

		p.line++;
		if (l > 0 && text[at + l - 1] == '\r')
			l--;
		if (classify_parse_line(&p, text + at, l) < 0)
			goto out;
		at = end + 1;
	}
	if (classify_finish_rule(&p) < 0)
		goto out;
	if (p.n_fallback == 0) {
		p.error = xasprintf("%s: no category is marked fallback (one must be: "
				    "it takes what scores below the threshold)", name);
		goto out;
	}
	*rules_r = p.r;
	p.r->warned = xcalloc(p.r->n_rules > 0 ? p.r->n_rules : 1, sizeof(*p.r->warned));
	if (p.r->pf != NULL)
		classify_prefilter_finish(p.r->pf);
	for (size_t i = 0; i < p.r->n_rules; i++)
		atomic_init(&p.r->warned[i], 0);
	if (opt != NULL && opt->weights != NULL &&
	    classify_model_load(p.r, opt->weights, &p.r->model, &p.error) < 0) {
		*rules_r = NULL;
		goto out;
	}
	p.r = NULL;
	ret = 0;
out:
	if (ret < 0)
		*error_r = p.error;
	else
		free(p.error);
	classify_rule_clear(&p.pend);
	buf_free(&p.pat);
	free(p.segs);
	classify_rules_free(&p.r);
	return ret;
}

int
classify_load_opts(const char *path, const struct classify_options *opt,
		   struct classify_rules **rules_r, char **error_r)
{
	char *text = NULL;
	size_t len = 0;
	bool truncated = false;
	int fd, ret;

	*rules_r = NULL;
	*error_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	ret = file_read_fd(fd, CLASSIFY_MAX_FILE, false, &text, &len, &truncated);
	if (ret < 0)
		*error_r = xasprintf("%s: cannot read: %s", path, strerror(errno));
	close(fd);
	if (ret == 0 && truncated) {
		*error_r = xasprintf("%s: larger than %d bytes", path, CLASSIFY_MAX_FILE);
		ret = -1;
	}
	if (ret == 0)
		ret = classify_load_string(path, text, len, opt, rules_r, error_r);
	free(text);
	return ret;
}

int
classify_load(const char *path, struct classify_rules **rules_r, char **error_r)
{
	return classify_load_opts(path, NULL, rules_r, error_r);
}

const char *
classify_rules_version(const struct classify_rules *r)
{
	return r->version;
}

size_t
classify_rules_n_categories(const struct classify_rules *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_targets; i++)
		n += !r->targets[i].is_tag;
	return n;
}

const char *
classify_rules_category(const struct classify_rules *r, size_t i)
{
	for (size_t t = 0; t < r->n_targets; t++)
		if (!r->targets[t].is_tag && i-- == 0)
			return r->targets[t].id;
	return NULL;
}

const char *
classify_rules_category_label(const struct classify_rules *r, size_t i)
{
	for (size_t t = 0; t < r->n_targets; t++)
		if (!r->targets[t].is_tag && i-- == 0)
			return r->targets[t].label;
	return NULL;
}

enum outcome
classify_rules_category_outcome(const struct classify_rules *r, size_t i)
{
	for (size_t t = 0; t < r->n_targets; t++)
		if (!r->targets[t].is_tag && i-- == 0)
			return r->targets[t].outcome;
	return OUTCOME_COMPLAINT;
}

const char *
classify_rules_fallback(const struct classify_rules *r)
{
	return r->targets[r->fallback].id;
}

const char *
classify_rules_weights(const struct classify_rules *r)
{
	return r->model != NULL ? r->model->file : NULL;
}

size_t
classify_rules_count(const struct classify_rules *r)
{
	return r->n_rules;
}

bool
classify_rules_jit(const struct classify_rules *r)
{
	return r->jit;
}

size_t
classify_rules_prefiltered(const struct classify_rules *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_rules; i++)
		n += r->rules[i].lit_ids != NULL;
	return n;
}

void
classify_rules_free(struct classify_rules **rp)
{
	struct classify_rules *r = *rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_targets; i++) {
		free(r->targets[i].id);
		free(r->targets[i].label);
	}
	free(r->targets);
	for (size_t i = 0; i < r->n_rules; i++)
		classify_rule_clear(&r->rules[i]);
	free(r->rules);
	free(r->warned);
	classify_prefilter_free(&r->pf);
	classify_model_free(&r->model);
	pcre2_code_free(r->letters);
	pcre2_code_free(r->scan);
	pcre2_compile_context_free(r->cctx);
	free(r);
	*rp = NULL;
}

