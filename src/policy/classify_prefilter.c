/*
 * NAME
 *	classify_prefilter - the literal prefilter of the classifier
 * SYNOPSIS
 *	classify_prefilter_literals, classify_prefilter_new,
 *	classify_prefilter_add, classify_prefilter_finish,
 *	classify_prefilter_count, classify_prefilter_scan,
 *	classify_prefilter_free
 * DESCRIPTION
 *	See classify_prefilter.h for what it is for.  The pattern reader
 *	computes, for each part of a pattern, an exact set (the part matches
 *	exactly one of these strings) or a requirement (every match of the
 *	part contains one of them).  Literal runs and small groups are exact
 *	and multiply through a concatenation ("charge(?:s|d)? me" gives
 *	"charge me", "charges me", "charged me"); anything else ends the
 *	product, and the longest requirement seen wins.  An alternation is
 *	the union of its branches.  Options, \Q, \x, back references,
 *	(*VERBS) and the like make the reader give up on the whole pattern.
 *
 *	The table keeps the distinct literals in buckets hashed on their
 *	first three bytes; a scan hashes every position of the folded text
 *	once and compares the few literals of that bucket.
 * DIAGNOSTICS
 *	None: a pattern it cannot read simply gets no set.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmem.h"
#include "policy/classify_prefilter.h"

#define CLASSIFY_PREFILTER_MAX_DEPTH 60

/*
 * A set of literals read from part of a pattern.  exact: the part matches
 * exactly one of the strings (which may be ""); else every match of the
 * part contains one of them (all non-empty); none: nothing is known.
 */
struct classify_litset {
	char **s;                 /* owned strings */
	size_t n;
	bool none;
	bool exact;
};

struct classify_litparse {
	const char *p, *end;
	bool fail;                /* a construct we do not read: give up */
	int depth;
};

static void
classify_litset_free(struct classify_litset *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->s[i]);
	free(ls->s);
	ls->s = NULL;
	ls->n = 0;
}

static void
classify_litset_none(struct classify_litset *ls)
{
	classify_litset_free(ls);
	ls->none = true;
	ls->exact = false;
}

static void
classify_litset_one(struct classify_litset *ls, const char *str, size_t len)
{
	ls->s = xcalloc(1, sizeof(char *));
	ls->s[0] = xstrndup(str, len);
	ls->n = 1;
	ls->none = false;
	ls->exact = true;
}

/* Shortest string, or 0 for an empty or unusable set. */
static size_t
classify_litset_minlen(const struct classify_litset *ls)
{
	size_t m = (size_t)-1;

	if (ls->none || ls->n == 0)
		return 0;
	for (size_t i = 0; i < ls->n; i++)
		if (strlen(ls->s[i]) < m)
			m = strlen(ls->s[i]);
	return m;
}

/* Whether cand is a better requirement than best: a longer shortest
 * string, or as long and fewer strings. */
static bool
classify_litset_better(const struct classify_litset *best, const struct classify_litset *cand)
{
	size_t mb = classify_litset_minlen(best), mc = classify_litset_minlen(cand);

	return mc > 0 && (mc > mb || (mc == mb && cand->n < best->n));
}

/* Offers cand as a requirement: keeps the better of *best and it. */
static void
classify_litset_pick(struct classify_litset *best, struct classify_litset *cand)
{
	if (classify_litset_better(best, cand)) {
		classify_litset_free(best);
		*best = *cand;
		best->none = false;
		best->exact = false;
		memset(cand, 0, sizeof(*cand));
	}
	classify_litset_none(cand);
}

/* Appends s[0..len) to every string of the set. */
static void
classify_litset_append(struct classify_litset *a, const char *s, size_t len)
{
	for (size_t i = 0; len > 0 && i < a->n; i++) {
		size_t la = strlen(a->s[i]);

		a->s[i] = xrealloc(a->s[i], la + len + 1);
		memcpy(a->s[i] + la, s, len);
		a->s[i][la + len] = '\0';
	}
}

/* *a = *a x b (every string of a followed by every string of b), if small. */
static bool
classify_litset_product(struct classify_litset *a, const struct classify_litset *b)
{
	char **out;
	size_t k = 0;

	if (a->n * b->n > CLASSIFY_PREFILTER_MAX_PRODUCT || b->n == 0)
		return false;
	if (b->n == 1) {
		/* The common case, a run of literal characters: append in place. */
		classify_litset_append(a, b->s[0], strlen(b->s[0]));
		return true;
	}
	out = xcalloc(a->n * b->n, sizeof(char *));
	for (size_t i = 0; i < a->n; i++) {
		size_t la = strlen(a->s[i]);

		for (size_t j = 0; j < b->n; j++) {
			size_t lb = strlen(b->s[j]);

			out[k] = xmalloc(la + lb + 1);
			memcpy(out[k], a->s[i], la);
			memcpy(out[k] + la, b->s[j], lb + 1);
			k++;
		}
	}
	classify_litset_free(a);
	a->s = out;
	a->n = k;
	return true;
}

static void
classify_litset_copy(struct classify_litset *dst, const struct classify_litset *src)
{
	dst->s = xcalloc(src->n > 0 ? src->n : 1, sizeof(char *));
	for (size_t i = 0; i < src->n; i++)
		dst->s[i] = xstrdup(src->s[i]);
	dst->n = src->n;
	dst->none = src->none;
	dst->exact = src->exact;
}

static void classify_lit_alt(struct classify_litparse *lp, struct classify_litset *exact,
			     struct classify_litset *req);

/* Reads a quantifier after an atom into min and max (-1: unbounded). */
static bool
classify_lit_quant(struct classify_litparse *lp, unsigned long *min, long *max)
{
	*min = 1;
	*max = 1;
	if (lp->p >= lp->end)
		return false;
	switch (*lp->p) {
	case '*':
		*min = 0;
		*max = -1;
		lp->p++;
		break;
	case '+':
		*max = -1;
		lp->p++;
		break;
	case '?':
		*min = 0;
		lp->p++;
		break;
	case '{': {
		const char *q = lp->p + 1;
		unsigned long n = 0;
		bool digits = false;

		while (q < lp->end && *q >= '0' && *q <= '9') {
			n = n * 10 + (unsigned long)(*q - '0');
			if (n > 100000)
				n = 100000;
			q++;
			digits = true;
		}
		if (!digits) {
			lp->fail = true;   /* "{" as a literal, or {,m}: versions differ */
			return false;
		}
		*max = (long)n;
		if (q < lp->end && *q == ',') {
			q++;
			*max = -1;
			if (q < lp->end && *q >= '0' && *q <= '9') {
				unsigned long m = 0;

				while (q < lp->end && *q >= '0' && *q <= '9') {
					m = m * 10 + (unsigned long)(*q - '0');
					if (m > 100000)
						m = 100000;
					q++;
				}
				*max = (long)m;
			}
		}
		if (q >= lp->end || *q != '}') {
			lp->fail = true;
			return false;
		}
		lp->p = q + 1;
		*min = n;
		break;
	}
	default:
		return false;
	}
	if (lp->p < lp->end && (*lp->p == '?' || *lp->p == '+'))
		lp->p++;   /* lazy or possessive */
	return true;
}

/* Skips a character class; lp->p is just after "[". */
static void
classify_lit_skip_class(struct classify_litparse *lp)
{
	if (lp->p < lp->end && *lp->p == '^')
		lp->p++;
	if (lp->p < lp->end && *lp->p == ']')
		lp->p++;
	while (lp->p < lp->end && *lp->p != ']') {
		if (*lp->p == '\\') {
			lp->p += 2;
		} else if (*lp->p == '[' && lp->p + 1 < lp->end && lp->p[1] == ':') {
			const char *q = lp->p + 2;

			while (q + 1 < lp->end && !(q[0] == ':' && q[1] == ']'))
				q++;
			lp->p = q + 2;
		} else {
			lp->p++;
		}
	}
	if (lp->p >= lp->end)
		lp->fail = true;
	else
		lp->p++;
}

enum classify_atom {
	CLASSIFY_ATOM_ANY,        /* consumes text; nothing known */
	CLASSIFY_ATOM_SET,        /* a literal char or a group: a set */
	CLASSIFY_ATOM_ZERO,       /* consumes nothing: \b, ^, $, lookaround */
	CLASSIFY_ATOM_CHAR,       /* one literal character, folded, in *ch */
};

/*
 * One atom at lp->p.  A group is a SET atom: *set gets its exact set (or
 * none) and *req its requirement (or none).  A CHAR atom fills *ch.
 */
static enum classify_atom
classify_lit_atom(struct classify_litparse *lp, struct classify_litset *set,
		  struct classify_litset *req, char *ch)
{
	unsigned char c = (unsigned char)*lp->p;

	if (c == '(') {
		const char *q = lp->p + 1;
		bool look = false;

		if (q < lp->end && *q == '?') {
			if (q + 1 < lp->end && (q[1] == ':' || q[1] == '>')) {
				q += 2;
			} else if (q + 1 < lp->end && (q[1] == '=' || q[1] == '!')) {
				q += 2;
				look = true;
			} else if (q + 2 < lp->end && q[1] == '<' && (q[2] == '=' || q[2] == '!')) {
				q += 3;
				look = true;
			} else if (q + 2 < lp->end && (q[1] == '<' || q[1] == '\'') &&
				   ((q[2] >= 'A' && q[2] <= 'Z') || (q[2] >= 'a' && q[2] <= 'z') ||
				    q[2] == '_')) {
				char close = q[1] == '<' ? '>' : '\'';

				q += 2;
				while (q < lp->end && *q != close)
					q++;
				q++;
			} else {
				lp->fail = true;   /* options, comments, branch reset, ... */
				return CLASSIFY_ATOM_ANY;
			}
		} else if (q < lp->end && *q == '*') {
			lp->fail = true;           /* (*VERB) */
			return CLASSIFY_ATOM_ANY;
		}
		lp->p = q;
		if (++lp->depth > CLASSIFY_PREFILTER_MAX_DEPTH) {
			lp->fail = true;
			return CLASSIFY_ATOM_ANY;
		}
		classify_lit_alt(lp, set, req);
		lp->depth--;
		if (lp->fail || lp->p >= lp->end || *lp->p != ')') {
			lp->fail = true;
			classify_litset_none(set);
			classify_litset_none(req);
			return CLASSIFY_ATOM_ANY;
		}
		lp->p++;
		if (look) {
			classify_litset_none(set);
			classify_litset_none(req);
			return CLASSIFY_ATOM_ZERO;
		}
		return CLASSIFY_ATOM_SET;
	}
	if (c == '[') {
		lp->p++;
		classify_lit_skip_class(lp);
		return CLASSIFY_ATOM_ANY;
	}
	if (c == '.') {
		lp->p++;
		return CLASSIFY_ATOM_ANY;
	}
	if (c == '^' || c == '$') {
		lp->p++;
		return CLASSIFY_ATOM_ZERO;
	}
	if (c == '\\') {
		char e = lp->p + 1 < lp->end ? lp->p[1] : '\0';

		lp->p += 2;
		if (e != '\0' && strchr("bBAzZG", e) != NULL)
			return CLASSIFY_ATOM_ZERO;
		if (e != '\0' && strchr("wWsSdDhHvVNRX", e) != NULL)
			return CLASSIFY_ATOM_ANY;
		if (e == 'p' || e == 'P') {
			if (lp->p < lp->end && *lp->p == '{') {
				while (lp->p < lp->end && *lp->p != '}')
					lp->p++;
			}
			lp->p++;
			return CLASSIFY_ATOM_ANY;
		}
		if (e != '\0' && (unsigned char)e < 0x80 &&
		    !((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))) {
			*ch = e;
			return CLASSIFY_ATOM_CHAR;
		}
		lp->fail = true;                   /* \x, \Q, back references, ... */
		return CLASSIFY_ATOM_ANY;
	}
	if (c == '*' || c == '+' || c == '?' || c == '{') {
		lp->fail = true;                   /* a quantifier with no atom */
		return CLASSIFY_ATOM_ANY;
	}
	if (c >= 0x80) {
		lp->p++;
		while (lp->p < lp->end && ((unsigned char)*lp->p & 0xc0) == 0x80)
			lp->p++;
		return CLASSIFY_ATOM_ANY;
	}
	lp->p++;
	*ch = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : (char)c;
	return CLASSIFY_ATOM_CHAR;
}

/* Offers the running product as a requirement and restarts it at {""}. */
static void
classify_lit_flush(struct classify_litset *prod, struct classify_litset *best, bool *exact)
{
	bool has_empty = false;

	*exact = false;
	for (size_t i = 0; i < prod->n; i++)
		if (prod->s[i][0] == '\0')
			has_empty = true;
	if (!has_empty)
		classify_litset_pick(best, prod);
	classify_litset_free(prod);
	classify_litset_one(prod, "", 0);
}

/* Appends the characters run[0..*len) to every string of the product,
 * and empties the run. */
static void
classify_lit_run(struct classify_litset *prod, const char *run, size_t *len)
{
	classify_litset_append(prod, run, *len);
	*len = 0;
}

/* True when some string of the set is "". */
static bool
classify_litset_has_empty(const struct classify_litset *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->s[i][0] == '\0')
			return true;
	return false;
}

/*
 * A concatenation, up to "|" or ")" or the end.  *exact gets the exact set
 * of the whole (or none); *req the best requirement found (or none).
 * Exact atoms multiply into a running product (a literal run is the
 * simplest case); anything else ends it.
 */
static void
classify_lit_seq(struct classify_litparse *lp, struct classify_litset *exact,
		 struct classify_litset *req)
{
	struct classify_litset prod = { NULL, 0, false, true };
	struct classify_litset best = { NULL, 0, true, false };
	bool is_exact = true;
	char run[64];
	size_t run_len = 0;

	classify_litset_one(&prod, "", 0);
	while (lp->p < lp->end && !lp->fail && *lp->p != '|' && *lp->p != ')') {
		struct classify_litset set = { NULL, 0, true, false };
		struct classify_litset sreq = { NULL, 0, true, false };
		char ch = 0;
		enum classify_atom kind = classify_lit_atom(lp, &set, &sreq, &ch);
		unsigned long min = 1;
		long max = 1;
		bool quantified = false;

		if (!lp->fail)
			quantified = classify_lit_quant(lp, &min, &max);
		if (lp->fail) {
			classify_litset_free(&set);
			classify_litset_free(&sreq);
			break;
		}
		if (kind == CLASSIFY_ATOM_CHAR && !quantified) {
			/* The common case: the next character of a literal run,
			 * gathered and added to the product at once. */
			if (run_len == sizeof(run))
				classify_lit_run(&prod, run, &run_len);
			run[run_len++] = ch;
			continue;
		}
		classify_lit_run(&prod, run, &run_len);
		if (kind == CLASSIFY_ATOM_CHAR) {
			classify_litset_one(&set, &ch, 1);
			classify_litset_copy(&sreq, &set);
			kind = CLASSIFY_ATOM_SET;
		}
		if (kind == CLASSIFY_ATOM_ZERO) {
			classify_litset_free(&set);
			classify_litset_free(&sreq);
			continue;   /* consumes nothing: the product stays exact */
		}
		if (kind == CLASSIFY_ATOM_SET && !set.none &&
		    (!quantified || (min == 0 && max == 1))) {
			bool fits;

			if (quantified && !classify_litset_has_empty(&set)) {
				/* x? : x or nothing */
				set.s = xrealloc(set.s, (set.n + 1) * sizeof(char *));
				set.s[set.n++] = xstrdup("");
			}
			fits = classify_litset_product(&prod, &set);
			if (!fits) {
				classify_lit_flush(&prod, &best, &is_exact);
				classify_litset_free(&prod);
				classify_litset_copy(&prod, &set);
			}
			/* The atom's own requirement may be better than the product. */
			if (!quantified)
				classify_litset_pick(&best, &sreq);
			classify_litset_free(&set);
			classify_litset_free(&sreq);
			continue;
		}
		/* Anything else ends the product. */
		classify_lit_flush(&prod, &best, &is_exact);
		if (kind == CLASSIFY_ATOM_SET && min >= 1)
			classify_litset_pick(&best, &sreq);
		classify_litset_none(&set);
		classify_litset_none(&sreq);
	}
	classify_lit_run(&prod, run, &run_len);
	if (lp->fail) {
		classify_litset_free(&prod);
		classify_litset_none(&best);
		*exact = prod;
		classify_litset_none(exact);
		*req = best;
		return;
	}
	if (is_exact) {
		if (!classify_litset_has_empty(&prod) && classify_litset_better(&best, &prod)) {
			struct classify_litset cand;

			classify_litset_copy(&cand, &prod);
			classify_litset_pick(&best, &cand);
		}
		*exact = prod;
		exact->none = false;
		exact->exact = true;
	} else {
		classify_lit_flush(&prod, &best, &is_exact);
		classify_litset_free(&prod);
		memset(exact, 0, sizeof(*exact));
		exact->none = true;
	}
	*req = best;
}

/* Appends b's strings to a (a takes them); false if over the cap. */
static bool
classify_litset_union(struct classify_litset *a, struct classify_litset *b)
{
	if (a->none || b->none || a->n + b->n > CLASSIFY_PREFILTER_MAX_SET) {
		classify_litset_none(a);
		classify_litset_none(b);
		return false;
	}
	a->s = xrealloc(a->s, (a->n + b->n + 1) * sizeof(char *));
	memcpy(a->s + a->n, b->s, b->n * sizeof(char *));
	a->n += b->n;
	free(b->s);
	b->s = NULL;
	b->n = 0;
	return true;
}

/*
 * An alternation.  Exact if every branch is (the union of their sets);
 * the requirement is the union of the branches' requirements, or the
 * exact union when that is better.
 */
static void
classify_lit_alt(struct classify_litparse *lp, struct classify_litset *exact,
		 struct classify_litset *req)
{
	memset(exact, 0, sizeof(*exact));
	memset(req, 0, sizeof(*req));
	exact->exact = true;
	for (;;) {
		struct classify_litset be, br;

		classify_lit_seq(lp, &be, &br);
		classify_litset_union(exact, &be);
		classify_litset_union(req, &br);
		if (lp->fail || lp->p >= lp->end || *lp->p != '|')
			break;
		lp->p++;
	}
	if (lp->fail) {
		classify_litset_none(exact);
		classify_litset_none(req);
		return;
	}
	if (!exact->none) {
		exact->exact = true;
		if (!classify_litset_has_empty(exact) && classify_litset_better(req, exact)) {
			struct classify_litset cand;

			classify_litset_copy(&cand, exact);
			classify_litset_pick(req, &cand);
		}
	}
	req->exact = false;
}

/* The literal set of a caseless pattern, or none. */
static void
classify_lits(const char *pat, size_t len, struct classify_litset *out)
{
	struct classify_litparse lp = { pat, pat + len, false, 0 };
	struct classify_litset exact;

	classify_lit_alt(&lp, &exact, out);
	classify_litset_free(&exact);
	if (lp.fail || lp.p != lp.end || out->none ||
	    classify_litset_minlen(out) < CLASSIFY_PREFILTER_MIN)
		classify_litset_none(out);
}

/* Appends s[0..len) folded: ASCII lower case, U+017F -> s, U+212A -> k. */
static void
classify_fold(struct buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z') {
			buf_putc(b, (char)(c - 'A' + 'a'));
		} else if (c == 0xc5 && i + 1 < len && (unsigned char)s[i + 1] == 0xbf) {
			buf_putc(b, 's');
			i++;
		} else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x84 &&
			   (unsigned char)s[i + 2] == 0xaa) {
			buf_putc(b, 'k');
			i += 2;
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '\n');   /* a separator no literal spans */
}

int
classify_prefilter_literals(const char *pat, size_t len, char ***lits_r, size_t *n_r)
{
	struct classify_litset ls;

	*lits_r = NULL;
	*n_r = 0;
	classify_lits(pat, len, &ls);
	if (ls.none)
		return 0;
	*lits_r = ls.s;
	*n_r = ls.n;
	return 1;
}

struct classify_prefilter {
	char **lits;              /* owned */
	size_t *lit_len;          /* owned */
	size_t n, cap;
	size_t *hash;             /* owned: open addressing, id + 1; while adding */
	size_t hcap;
	uint32_t *bucket_start;   /* owned: BUCKETS + 1 (CSR) */
	uint32_t *bucket_ids;     /* owned */
};

static uint32_t
classify_prefilter_bucket(const unsigned char *s)
{
	return ((uint32_t)s[0] * 31u * 31u + (uint32_t)s[1] * 31u + (uint32_t)s[2]) &
	       (CLASSIFY_PREFILTER_BUCKETS - 1);
}

static size_t
classify_prefilter_slot(const struct classify_prefilter *pf, const char *lit)
{
	size_t h = 5381;

	for (const char *q = lit; *q != '\0'; q++)
		h = h * 33 + (unsigned char)*q;
	h %= pf->hcap;
	while (pf->hash[h] != 0 && strcmp(pf->lits[pf->hash[h] - 1], lit) != 0)
		h = (h + 1) % pf->hcap;
	return h;
}

struct classify_prefilter *
classify_prefilter_new(void)
{
	struct classify_prefilter *pf = xcalloc(1, sizeof(*pf));

	pf->hcap = 64;
	pf->hash = xcalloc(pf->hcap, sizeof(*pf->hash));
	return pf;
}

uint32_t
classify_prefilter_add(struct classify_prefilter *pf, char *lit)
{
	size_t h;

	if ((pf->n + 1) * 2 > pf->hcap) {
		/* Keep the table at most half full: rehash into twice the room. */
		size_t *old = pf->hash;

		pf->hcap *= 2;
		pf->hash = xcalloc(pf->hcap, sizeof(*pf->hash));
		for (size_t i = 0; i < pf->n; i++)
			pf->hash[classify_prefilter_slot(pf, pf->lits[i])] = i + 1;
		free(old);
	}
	h = classify_prefilter_slot(pf, lit);
	if (pf->hash[h] != 0) {
		free(lit);
		return (uint32_t)(pf->hash[h] - 1);
	}
	pf->lits = xgrow(pf->lits, &pf->cap, pf->n + 1, sizeof(*pf->lits));
	pf->lits[pf->n++] = lit;
	pf->hash[h] = pf->n;
	return (uint32_t)(pf->n - 1);
}

void
classify_prefilter_finish(struct classify_prefilter *pf)
{
	uint32_t *count = xcalloc(CLASSIFY_PREFILTER_BUCKETS + 1, sizeof(*count));

	free(pf->hash);
	pf->hash = NULL;
	pf->lit_len = xcalloc(pf->n + 1, sizeof(*pf->lit_len));
	for (size_t i = 0; i < pf->n; i++) {
		pf->lit_len[i] = strlen(pf->lits[i]);
		count[classify_prefilter_bucket((const unsigned char *)pf->lits[i]) + 1]++;
	}
	pf->bucket_start = xcalloc(CLASSIFY_PREFILTER_BUCKETS + 1, sizeof(*pf->bucket_start));
	for (size_t b = 1; b <= CLASSIFY_PREFILTER_BUCKETS; b++)
		pf->bucket_start[b] = pf->bucket_start[b - 1] + count[b];
	pf->bucket_ids = xcalloc(pf->n + 1, sizeof(*pf->bucket_ids));
	memset(count, 0, (CLASSIFY_PREFILTER_BUCKETS + 1) * sizeof(*count));
	for (size_t i = 0; i < pf->n; i++) {
		uint32_t b = classify_prefilter_bucket((const unsigned char *)pf->lits[i]);

		pf->bucket_ids[pf->bucket_start[b] + count[b]++] = (uint32_t)i;
	}
	free(count);
}

size_t
classify_prefilter_count(const struct classify_prefilter *pf)
{
	return pf->n;
}

void
classify_prefilter_scan(const struct classify_prefilter *pf, const char *const *texts,
			const size_t *lens, size_t n, size_t max, bool *present)
{
	struct buf folded;
	const char *t;
	size_t len;

	buf_init(&folded, BUF_NO_LIMIT);
	for (size_t i = 0; i < n; i++)
		classify_fold(&folded, texts[i] != NULL ? texts[i] : "",
			      texts[i] == NULL ? 0 : lens[i] > max ? max : lens[i]);
	t = folded.data != NULL ? folded.data : "";
	len = folded.len;
	for (size_t i = 0; i + CLASSIFY_PREFILTER_MIN <= len; i++) {
		uint32_t b = classify_prefilter_bucket((const unsigned char *)t + i);

		for (uint32_t k = pf->bucket_start[b]; k < pf->bucket_start[b + 1]; k++) {
			uint32_t id = pf->bucket_ids[k];

			if (!present[id] && pf->lit_len[id] <= len - i &&
			    memcmp(t + i, pf->lits[id], pf->lit_len[id]) == 0)
				present[id] = true;
		}
	}
	buf_free(&folded);
}

void
classify_prefilter_free(struct classify_prefilter **pfp)
{
	struct classify_prefilter *pf = *pfp;

	if (pf == NULL)
		return;
	for (size_t i = 0; i < pf->n; i++)
		free(pf->lits[i]);
	free(pf->lits);
	free(pf->lit_len);
	free(pf->hash);
	free(pf->bucket_start);
	free(pf->bucket_ids);
	free(pf);
	*pfp = NULL;
}
