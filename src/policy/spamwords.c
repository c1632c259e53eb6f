/*
 * NAME
 *	spamwords - the learned words signal: load, score, train
 * DESCRIPTION
 *	See spamwords.h.  The method and its constants are SpamBayes'
 *	(Robinson's f(w) with s = 0.45 and x = 0.5, minimum strength 0.1,
 *	150 clues, Fisher's chi-squared combining).  The loaded words are
 *	the file's lines, cut in place, found by binary search over their
 *	offsets; the trainer counts them in an open-addressing hash table.
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/xmem.h"
#include "policy/spamwords.h"

#define SW_S 0.45          /* strength of the 1/2 prior */
#define SW_X 0.5
#define SW_MIN_STRENGTH 0.1
#define SW_MAX_SUBJECT 1024
#define SW_WORD_BUF (SPAMWORDS_MAX_WORD + 3)

/*
 * A word line is cut in place into three strings, WORD, SPAM and HAM, and
 * is known by the offset of WORD alone (4 bytes a word); the counts are
 * read again when a message has the word.  Every delivery loads the file,
 * and the memory it touches is most of that cost: each new page is a
 * fault.
 */
struct spamwords {
	char *file;
	char *text;                /* the file, its lines cut in place */
	uint32_t *word;            /* offsets into text, in strcmp order */
	size_t n;
	uint32_t n_spam, n_ham;
};

/* ------------------------------------------------------------------ */
/* Words */

static bool
sw_ascii_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
sw_word_char(unsigned char c)
{
	return sw_ascii_letter(c) || (c >= '0' && c <= '9') || c == '\'' || c == '-' ||
	       c == '$' || c == '%' || c == '_';
}

static bool
sw_trim_char(unsigned char c)
{
	return c == '\'' || c == '-' || c == '_';
}

/* Emits one word of s[0..len) with prefix, lowercased, if it is one. */
static void
sw_emit_ascii(const char *prefix, const char *s, size_t len,
	      void (*fn)(const char *, size_t, void *), void *ctx)
{
	char w[SW_WORD_BUF];
	size_t pl = strlen(prefix), n = 0;
	bool letter = false;

	while (len > 0 && sw_trim_char((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && sw_trim_char((unsigned char)s[len - 1]))
		len--;
	if (len < 2 || len > SPAMWORDS_MAX_WORD)
		return;
	for (size_t i = 0; i < len; i++)
		if (sw_ascii_letter((unsigned char)s[i]))
			letter = true;
	if (!letter && s[0] != '$' && s[len - 1] != '%')
		return;
	memcpy(w, prefix, pl);
	n = pl;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		w[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	w[n] = '\0';
	fn(w, n, ctx);
}

/* The words of text[0..len), each with prefix. */
static void
sw_each(const char *prefix, const char *text, size_t len,
	void (*fn)(const char *, size_t, void *), void *ctx)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];

		if (sw_word_char(c)) {
			size_t start = i;

			while (i < len && sw_word_char((unsigned char)text[i]))
				i++;
			sw_emit_ascii(prefix, text + start, i - start, fn, ctx);
		} else {
			i++;
		}
	}
}

void
spamwords_each(const char *subject, const char *body, size_t body_len,
	       void (*fn)(const char *word, size_t len, void *ctx), void *ctx)
{
	if (subject != NULL) {
		size_t sl = strlen(subject);

		sw_each("s:", subject, sl < SW_MAX_SUBJECT ? sl : SW_MAX_SUBJECT, fn, ctx);
	}
	if (body != NULL)
		sw_each("", body, body_len < SPAMWORDS_MAX_BODY ? body_len : SPAMWORDS_MAX_BODY,
			fn, ctx);
}

/* A message's distinct words, sorted. */
struct sw_bag {
	char (*w)[SW_WORD_BUF];
	size_t n, cap;
};

static void
sw_bag_add(const char *word, size_t len, void *ctx)
{
	struct sw_bag *b = ctx;

	if (len >= SW_WORD_BUF)
		return;
	b->w = xgrow(b->w, &b->cap, b->n + 1, sizeof(*b->w));
	memcpy(b->w[b->n], word, len + 1);
	b->n++;
}

static int
sw_word_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void
sw_bag_fill(struct sw_bag *b, const char *subject, const char *body, size_t body_len)
{
	size_t k = 0;

	memset(b, 0, sizeof(*b));
	spamwords_each(subject, body, body_len, sw_bag_add, b);
	if (b->n == 0)
		return;
	qsort(b->w, b->n, sizeof(*b->w), sw_word_cmp);
	for (size_t i = 1; i < b->n; i++)
		if (strcmp(b->w[i], b->w[k]) != 0)
			memcpy(b->w[++k], b->w[i], sizeof(*b->w));
	b->n = k + 1;
}

/* ------------------------------------------------------------------ */
/* The file */

/* "FILE:LINE: what", or "FILE:LINE: \"WORD\" what" when word is set. */
static int
sw_fail(char **error_r, const char *path, size_t line, const char *word, const char *what)
{
	if (word != NULL)
		*error_r = xasprintf("%s:%zu: \"%s\" %s", path, line, word, what);
	else
		*error_r = xasprintf("%s:%zu: %s", path, line, what);
	return -1;
}

/* A count: digits only, at most UINT32_MAX. */
static bool
sw_count(const char *s, uint32_t *v)
{
	unsigned long long x = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (unsigned)(*s - '0');
		if (x > UINT32_MAX)
			return false;
	}
	*v = (uint32_t)x;
	return true;
}

static int
sw_parse(struct spamwords *sw, const char *path, char **error_r)
{
	char *p = sw->text, *nl, *prev = NULL;
	size_t line = 0, lines = 0;
	int state = 0;              /* 0: magic, 1: messages, 2: words */

	/* One allocation, as large as the lines: no word array is grown. */
	for (const char *q = p; (q = strchr(q, '\n')) != NULL; q++)
		lines++;
	sw->word = xcalloc(lines + 1, sizeof(*sw->word));
	for (; *p != '\0'; p = nl + 1) {
		char *f[3];
		size_t nf = 0;
		uint32_t spam, ham;

		line++;
		nl = strchr(p, '\n');
		if (nl == NULL)
			return sw_fail(error_r, path, line, NULL, "the last line has no newline");
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (p[0] == '#' || (p[0] == '\0' && state < 2))
			continue;
		if (state == 0) {
			if (strcmp(p, "redress-spam-words 1") != 0)
				return sw_fail(error_r, path, line, NULL,
					       "not a words file (\"redress-spam-words 1\" expected)");
			state = 1;
			continue;
		}
		f[nf++] = p;
		for (char *t = p; *t != '\0' && nf < 3; t++)
			if (*t == (state == 1 ? ' ' : '\t')) {
				*t = '\0';
				f[nf++] = t + 1;
			}
		if (state == 1) {
			if (nf != 3 || strcmp(f[0], "messages") != 0 || !sw_count(f[1], &sw->n_spam) ||
			    !sw_count(f[2], &sw->n_ham))
				return sw_fail(error_r, path, line, NULL,
					       "\"messages SPAM HAM\" expected");
			if (sw->n_spam == 0 || sw->n_ham == 0)
				return sw_fail(error_r, path, line, NULL,
					       "trained on no spam or no good message");
			state = 2;
			continue;
		}
		if (nf != 3 || f[0][0] == '\0' || strlen(f[0]) >= SW_WORD_BUF)
			return sw_fail(error_r, path, line, NULL,
				       "\"WORD<TAB>SPAM<TAB>HAM\" expected");
		if (!sw_count(f[1], &spam) || !sw_count(f[2], &ham))
			return sw_fail(error_r, path, line, f[0], "has a bad count");
		if (spam > sw->n_spam || ham > sw->n_ham)
			return sw_fail(error_r, path, line, f[0],
				       "is in more messages than were counted");
		if (prev != NULL && strcmp(prev, f[0]) >= 0)
			return sw_fail(error_r, path, line, f[0],
				       "is out of order (words are sorted, once each)");
		prev = f[0];
		sw->word[sw->n++] = (uint32_t)(f[0] - sw->text);
	}
	if (state < 2)
		return sw_fail(error_r, path, line, NULL, "ends before its \"messages\" line");
	return 0;
}

int
spamwords_load(const char *path, struct spamwords **sw_r, char **error_r)
{
	struct spamwords *sw = xcalloc(1, sizeof(*sw));
	size_t len = 0;
	bool too_big = false;

	*sw_r = NULL;
	sw->file = xstrdup(path);
	if (file_read(path, SPAMWORDS_MAX_FILE, &sw->text, &len, &too_big) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		spamwords_free(&sw);
		return -1;
	}
	if (too_big || memchr(sw->text, '\0', len) != NULL) {
		*error_r = xasprintf("%s: %s", path, too_big ? "larger than 64 MB"
							     : "not a text file (a NUL byte)");
		spamwords_free(&sw);
		return -1;
	}
	if (sw_parse(sw, path, error_r) < 0) {
		spamwords_free(&sw);
		return -1;
	}
	*sw_r = sw;
	return 0;
}

void
spamwords_free(struct spamwords **swp)
{
	struct spamwords *sw = *swp;

	if (sw == NULL)
		return;
	free(sw->file);
	free(sw->text);
	free(sw->word);
	free(sw);
	*swp = NULL;
}

const char *
spamwords_file(const struct spamwords *sw)
{
	return sw->file;
}

/* ------------------------------------------------------------------ */
/* The score */

/* The counts of word: true, or false when the file does not have it. */
static bool
sw_find(const struct spamwords *sw, const char *word, uint32_t *spam, uint32_t *ham)
{
	size_t lo = 0, hi = sw->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *w = sw->text + sw->word[mid];
		int c = strcmp(word, w);

		if (c == 0) {
			const char *s = w + strlen(w) + 1;

			/* Checked by sw_parse. */
			(void)sw_count(s, spam);
			(void)sw_count(s + strlen(s) + 1, ham);
			return true;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Robinson's f(w): the probability of spam of a word seen in s spam and h
 * good messages. */
static double
sw_prob(const struct spamwords *sw, uint32_t s, uint32_t h)
{
	double sr = (double)s / sw->n_spam, hr = (double)h / sw->n_ham, n = (double)s + h;

	return (SW_S * SW_X + n * (sr / (sr + hr))) / (SW_S + n);
}

/* The probability that a chi-squared variable with v (even) degrees of
 * freedom is at least x2. */
static double
sw_chi2q(double x2, size_t v)
{
	double m = x2 / 2.0, sum, term;

	sum = term = exp(-m);
	for (size_t i = 1; i < v / 2; i++) {
		term *= m / (double)i;
		sum += term;
	}
	return sum < 1.0 ? sum : 1.0;
}

struct sw_clue {
	const char *word;
	double p;
};

static int
sw_clue_strength_cmp(const void *a, const void *b)
{
	const struct sw_clue *x = a, *y = b;
	double dx = fabs(x->p - 0.5), dy = fabs(y->p - 0.5);

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->word, y->word);
}

static int
sw_clue_spam_cmp(const void *a, const void *b)
{
	const struct sw_clue *x = a, *y = b;

	if (x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return strcmp(x->word, y->word);
}

double
spamwords_score(const struct spamwords *sw, const char *subject, const char *body,
		size_t body_len, struct spamwords_clue *clues, size_t n_clues, size_t *n_clues_r)
{
	struct sw_bag bag;
	struct sw_clue *c;
	size_t n = 0;
	double lp = 0, lq = 0, score = 0.5;

	if (n_clues_r != NULL)
		*n_clues_r = 0;
	sw_bag_fill(&bag, subject, body, body_len);
	c = xcalloc(bag.n + 1, sizeof(*c));
	for (size_t i = 0; i < bag.n; i++) {
		uint32_t spam = 0, ham = 0;
		double p;

		if (!sw_find(sw, bag.w[i], &spam, &ham) || (spam == 0 && ham == 0))
			continue;
		p = sw_prob(sw, spam, ham);
		if (fabs(p - 0.5) < SW_MIN_STRENGTH)
			continue;
		c[n].word = bag.w[i];
		c[n].p = p;
		n++;
	}
	if (n > 0) {
		qsort(c, n, sizeof(*c), sw_clue_strength_cmp);
		if (n > SPAMWORDS_MAX_CLUES)
			n = SPAMWORDS_MAX_CLUES;
		for (size_t i = 0; i < n; i++) {
			lp += log(c[i].p);
			lq += log(1.0 - c[i].p);
		}
		/* Fisher: how unlikely the spam and the ham probabilities
		 * are if the words were random. */
		score = ((1.0 - sw_chi2q(-2.0 * lq, 2 * n)) - (1.0 - sw_chi2q(-2.0 * lp, 2 * n)) +
			 1.0) / 2.0;
	}
	if (clues != NULL && n_clues > 0 && n > 0) {
		size_t k = 0;

		qsort(c, n, sizeof(*c), sw_clue_spam_cmp);
		for (size_t i = 0; i < n && k < n_clues && c[i].p > 0.5; i++, k++) {
			snprintf(clues[k].word, sizeof(clues[k].word), "%s", c[i].word);
			clues[k].p = c[i].p;
		}
		if (n_clues_r != NULL)
			*n_clues_r = k;
	}
	free(c);
	free(bag.w);
	return score;
}

/* ------------------------------------------------------------------ */
/* Training */

struct sw_count {
	char *word;
	uint32_t spam, ham;
};

struct spamwords_trainer {
	struct sw_count *t;         /* open addressing; word NULL = free */
	size_t cap, n;
	size_t n_spam, n_ham;
};

static uint64_t
sw_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct sw_count *
sw_slot(struct sw_count *t, size_t cap, const char *word)
{
	size_t i = (size_t)(sw_hash(word) & (cap - 1));

	while (t[i].word != NULL && strcmp(t[i].word, word) != 0)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static void
sw_grow(struct spamwords_trainer *tr)
{
	size_t cap = tr->cap == 0 ? 4096 : tr->cap * 2;
	struct sw_count *t = xcalloc(cap, sizeof(*t));

	for (size_t i = 0; i < tr->cap; i++)
		if (tr->t[i].word != NULL)
			*sw_slot(t, cap, tr->t[i].word) = tr->t[i];
	free(tr->t);
	tr->t = t;
	tr->cap = cap;
}

struct spamwords_trainer *
spamwords_trainer_new(void)
{
	struct spamwords_trainer *tr = xcalloc(1, sizeof(*tr));

	sw_grow(tr);
	return tr;
}

void
spamwords_trainer_add(struct spamwords_trainer *tr, bool spam, const char *subject,
		      const char *body, size_t body_len)
{
	struct sw_bag bag;

	sw_bag_fill(&bag, subject, body, body_len);
	for (size_t i = 0; i < bag.n; i++) {
		struct sw_count *c;

		if (2 * (tr->n + 1) > tr->cap)
			sw_grow(tr);
		c = sw_slot(tr->t, tr->cap, bag.w[i]);
		if (c->word == NULL) {
			c->word = xstrdup(bag.w[i]);
			tr->n++;
		}
		if (spam)
			c->spam++;
		else
			c->ham++;
	}
	if (spam)
		tr->n_spam++;
	else
		tr->n_ham++;
	free(bag.w);
}

void
spamwords_trainer_counts(const struct spamwords_trainer *tr, size_t *spam_r, size_t *ham_r,
			 size_t *words_r)
{
	*spam_r = tr->n_spam;
	*ham_r = tr->n_ham;
	*words_r = tr->n;
}

static int
sw_count_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct sw_count *const *)a)->word,
		      (*(const struct sw_count *const *)b)->word);
}

size_t
spamwords_trainer_write(const struct spamwords_trainer *tr, long min_count, const char *note,
			struct buf *out)
{
	const struct sw_count **v = xcalloc(tr->n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < tr->cap; i++)
		if (tr->t[i].word != NULL &&
		    (long long)tr->t[i].spam + tr->t[i].ham >= (long long)min_count)
			v[n++] = &tr->t[i];
	if (n > 0)
		qsort(v, n, sizeof(*v), sw_count_cmp);
	if (note != NULL) {
		for (const char *p = note; *p != '\0';) {
			size_t l = strcspn(p, "\n");

			buf_printf(out, "# %.*s\n", (int)l, p);
			p += l + (p[l] == '\n');
		}
	}
	buf_printf(out, "redress-spam-words 1\nmessages %zu %zu\n", tr->n_spam, tr->n_ham);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s\t%u\t%u\n", v[i]->word, (unsigned)v[i]->spam,
			   (unsigned)v[i]->ham);
	free(v);
	return n;
}

void
spamwords_trainer_free(struct spamwords_trainer **trp)
{
	struct spamwords_trainer *tr = *trp;

	if (tr == NULL)
		return;
	for (size_t i = 0; i < tr->cap; i++)
		free(tr->t[i].word);
	free(tr->t);
	free(tr);
	*trp = NULL;
}
