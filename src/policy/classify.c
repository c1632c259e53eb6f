/*
 * NAME
 *	classify - the rules-driven complaint classifier
 * SYNOPSIS
 *	classify_load, classify_load_opts, classify_load_string,
 *	classify_rules_version, classify_rules_count, classify_rules_jit,
 *	classify_rules_prefiltered, classify_rules_n_categories,
 *	classify_rules_category, classify_rules_category_outcome,
 *	classify_run, classify_apply_repeat, classify_result_json,
 *	classify_result_text, classify_result_free, classify_rules_free
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
#include "policy/classify_prefilter.h"

/* Match limits: generous for honest patterns on CLASSIFY_MAX_FIELD bytes. */
#define CLASSIFY_MATCH_LIMIT 2000000
#define CLASSIFY_DEPTH_LIMIT 100000
#define CLASSIFY_HEAP_LIMIT_KIB 20480
#define CLASSIFY_PARENS_NEST 50
#define CLASSIFY_JIT_STACK_MIN (32 * 1024)
#define CLASSIFY_JIT_STACK_MAX (1024 * 1024)
#define CLASSIFY_MAX_WEIGHT 1000.0
#define CLASSIFY_MAX_COUNT 100

enum classify_field {
	CLASSIFY_FIELD_SUBJECT,
	CLASSIFY_FIELD_BODY,
	CLASSIFY_FIELD_FROM,
	CLASSIFY_FIELD_ANY,
	CLASSIFY_FIELD_HEADER,
};

/* A category or a tag; they share one name space. */
struct classify_target {
	char *id;                 /* owned */
	char *label;              /* owned; categories only */
	enum priority priority;   /* categories */
	bool is_tag;
	enum outcome outcome;  /* category: what its messages are */
	bool fallback;            /* category: below the threshold */
	bool has_raise;           /* tag: raise priority to at least raise */
	enum priority raise;
	bool escalate;            /* tag */
	bool complaint;           /* tag: the message is a complaint */
	double min;               /* tag: fires at this score */
};

struct classify_rule {
	char *name;               /* owned */
	char *field_name;         /* owned: "body", "header:X-Foo", ... */
	char *header;             /* owned: NAME of header:NAME, else NULL */
	enum classify_field field;
	size_t target;            /* index into targets */
	double weight;
	bool veto;
	bool caseful;
	unsigned max;             /* counts up to this many matches */
	unsigned line;
	pcre2_code *re;           /* owned */
	/* Prefilter: the rule can match only if one of these literals occurs
	 * in the message; lit_ids NULL means it always runs. */
	uint32_t *lit_ids;        /* owned: ids in the prefilter table */
	size_t n_lits;
};

struct classify_rules {
	char version[17];
	struct classify_target *targets;   /* owned */
	size_t n_targets;
	struct classify_rule *rules;       /* owned */
	size_t n_rules;
	atomic_int *warned;                /* owned, one per rule: logged once */
	double threshold;
	size_t fallback;
	bool jit;
	struct classify_prefilter *pf;     /* owned: the literal table */
};

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

static ssize_t
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
	char word[32];

	if (classify_tok_is(tok, n, "not-complaint")) {
		*o_r = OUTCOME_QUESTION;
		return 1;
	}
	if (n > 8 && strncmp(tok, "outcome=", 8) == 0) {
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

/* category ID PRIORITY "LABEL" [fallback] [question | praise | outcome=NAME] */
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
		} else if ((f = classify_outcome_flag(line + s, n, &o)) != 0) {
			if (f < 0)
				return classify_perr(p, p->line, s + 1,
						     "unknown outcome \"%.*s\" (complaint, question, "
						     "praise)", (int)(n - 8 > 80 ? 80 : n - 8),
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
					     "unknown category flag \"%.*s\" (fallback, question, "
					     "praise, outcome=NAME, not-complaint)",
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
	pcre2_code_free(ru->re);
	free(ru->lit_ids);
	memset(ru, 0, sizeof(*ru));
}

/* Compiles the pending rule and adds it. */
static int
classify_finish_rule(struct classify_parse *p)
{
	struct classify_rule *ru = &p->pend;
	uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF |
			 PCRE2_NEVER_BACKSLASH_C;
	int errcode;
	PCRE2_SIZE erroff;

	if (!p->pending)
		return 0;
	p->pending = false;
	if (p->pat.len == 0)
		return classify_perr(p, ru->line, p->pend_col,
				     "rule \"%s\" has an empty pattern", ru->name);
	if (!ru->caseful)
		flags |= PCRE2_CASELESS;
	ru->re = pcre2_compile((PCRE2_SPTR)p->pat.data, p->pat.len, flags, &errcode,
			       &erroff, p->cctx);
	if (ru->re == NULL) {
		PCRE2_UCHAR msg[256];
		size_t k = 0;

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		while (k + 1 < p->n_segs && p->segs[k + 1].off <= erroff)
			k++;
		return classify_perr(p, p->segs[k].line, p->segs[k].col + (erroff - p->segs[k].off),
				     "rule \"%s\": %s", ru->name, (const char *)msg);
	}
	if (!(p->opt != NULL && p->opt->no_jit)) {
		int rc = pcre2_jit_compile(ru->re, PCRE2_JIT_COMPLETE);

		if (rc != 0) {
			if (!p->jit_warned) {
				PCRE2_UCHAR msg[256];

				pcre2_get_error_message(rc, msg, sizeof(msg));
				log_warn("%s: JIT compilation failed (%s); using the slower "
					 "interpreter", p->name, (const char *)msg);
				p->jit_warned = true;
			}
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
	pcre2_compile_context_free(p.cctx);
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

enum outcome
classify_rules_category_outcome(const struct classify_rules *r, size_t i)
{
	for (size_t t = 0; t < r->n_targets; t++)
		if (!r->targets[t].is_tag && i-- == 0)
			return r->targets[t].outcome;
	return OUTCOME_COMPLAINT;
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
	free(r);
	*rp = NULL;
}

/* ------------------------------------------------------------------ */
/* Matching */

struct classify_scratch {
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	pcre2_match_data *md;
};

static void
classify_scratch_free(struct classify_scratch *sc)
{
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jstack);
}

static int
classify_scratch_init(const struct classify_rules *r, struct classify_scratch *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->mctx = pcre2_match_context_create(NULL);
	sc->md = pcre2_match_data_create(1, NULL);
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

/* 1 and the match's span, or 0 for no match (a limit hit included). */
static int
classify_match(const struct classify_rules *r, size_t idx, struct classify_scratch *sc,
	       const char *s, size_t len, size_t start, size_t *off_r, size_t *end_r)
{
	const struct classify_rule *ru = &r->rules[idx];
	PCRE2_SIZE *ov;
	uint32_t opts = 0;
	int rc;

	if (len > CLASSIFY_MAX_FIELD) {
		len = CLASSIFY_MAX_FIELD;
		opts = PCRE2_NOTEOL;   /* the cut is not the end of the text */
	}
	if (start > len)
		return 0;
	rc = pcre2_match(ru->re, (PCRE2_SPTR)s, len, start, opts, sc->md, sc->mctx);
	if (rc >= 0) {
		ov = pcre2_get_ovector_pointer(sc->md);
		*off_r = ov[0];
		*end_r = ov[1] < ov[0] ? ov[0] : ov[1];   /* \K can do that */
		return 1;
	}
	if (rc != PCRE2_ERROR_NOMATCH && atomic_exchange(&r->warned[idx], 1) == 0) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		log_warn("rule \"%s\" (line %u) stopped: %s; counted as no match "
			 "(said once per rule)", ru->name, ru->line, (const char *)msg);
	}
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

int
classify_run(const struct classify_rules *r, const struct classify_input *in,
	     struct classify_result **res_r)
{
	struct classify_scratch sc;
	struct classify_result *res;
	double *score;
	bool *vetoed, *present = NULL;
	ssize_t best = -1, best_complaint = -1;
	size_t cap_hits = 0, n_cats = 0;
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

		if (ru->lit_ids != NULL) {
			bool any = false;

			for (size_t j = 0; j < ru->n_lits && !any; j++)
				any = present[ru->lit_ids[j]];
			if (!any)
				continue;   /* cannot match: no literal it needs is there */
		}
		n = classify_rule_run(r, i, &sc, in, res, &cap_hits);

		if (n == 0)
			continue;
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
		if (vetoed[i] || score[i] < r->threshold)
			continue;
		if (best < 0 || score[i] > score[best] ||
		    (score[i] == score[best] && r->targets[best].outcome != OUTCOME_COMPLAINT &&
		     t->outcome == OUTCOME_COMPLAINT))
			best = (ssize_t)i;
		if (t->outcome == OUTCOME_COMPLAINT &&
		    (best_complaint < 0 || score[i] > score[best_complaint]))
			best_complaint = (ssize_t)i;
	}
	if (best >= 0 && r->targets[best].outcome != OUTCOME_COMPLAINT && force_complaint)
		best = best_complaint;
	if (best < 0)
		best = (ssize_t)r->fallback;
	res->outcome = r->targets[best].outcome;
	res->complaint = res->outcome == OUTCOME_COMPLAINT;
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
	*res_r = res;
	return 0;
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
		}
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
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
		buf_printf(out, ": \"%s\"\n", m);
		free(m);
	}
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
	}
	free(res->hits);
	free(res);
	*resp = NULL;
}
