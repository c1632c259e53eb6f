/*
 * NAME
 *	classify_model - learned weights for a rules file: the weights file,
 *	the token feature and the trained decision
 * SYNOPSIS
 *	classify_model_load, classify_model_choose, classify_model_scores,
 *	classify_model_feature, classify_token_next, classify_model_new,
 *	classify_model_free
 * DESCRIPTION
 *	Part of the classify module (classify_int.h).  bench/train_ref.md is
 *	the specification: a model holds a weight per (trained class, rule),
 *	a bias and a token weight per class, and a naive Bayes over words
 *	(the "token feature": per class, the mean over the message's known
 *	words of how much likelier the word is in that class than on
 *	average).  A message's trained score for class c is
 *	b_c + sum of W[c][r] * hits_r + a_c * t_c.  The trained decision
 *	starts from the hand decision: when that chose a trained class (or
 *	the fallback, if trained), the highest trained score among the
 *	classes no veto matched chooses instead; otherwise (a question,
 *	praise, a category too rare to train) the hand decision stands.
 *
 *	The weights file is plain text tied to the rules' version: loading
 *	refuses one made for other rules, or any line it cannot read, with
 *	"FILE:LINE: reason".  The log-probabilities are computed at load
 *	from the token counts, so the file stays small and exact.
 *	Everything is computed in doubles, in the orders the specification
 *	gives, so that the reference and this code agree to the last bit on
 *	the same libm.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/file.h"
#include "base/xmem.h"
#include "policy/classify.h"
#include "policy/classify_int.h"
#include "policy/classify_train.h"

/* The largest weights file read. */
#define CLASSIFY_MODEL_MAX_FILE (64 * 1024 * 1024)

/* Function words carry no category; no, not and never do, and stay.
 * Sorted (strcmp) for bsearch. */
static const char *const classify_stop_words[] = {
	"a", "about", "above", "after", "again", "against", "all", "am", "an", "and",
	"any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
	"between", "both", "but", "by", "can", "could", "did", "do", "does", "doing",
	"down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
	"having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
	"if", "in", "into", "is", "it", "its", "itself", "just", "me", "more",
	"most", "my", "myself", "nor", "of", "off", "on", "once", "only", "or",
	"other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should",
	"so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves",
	"then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
	"until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
	"while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
	"yourself", "yourselves",
};

static int
classify_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
classify_is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t
classify_token_next(const char *s, size_t len, size_t *pos, char *out)
{
	size_t i = *pos;

	while (i < len) {
		size_t start, n;
		bool only_x = true;
		const char *key = out;

		while (i < len && !classify_is_letter((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && classify_is_letter((unsigned char)s[i]))
			i++;
		n = i - start;
		if (n < 2 || n > CLASSIFY_TOKEN_MAX)
			continue;
		for (size_t j = 0; j < n; j++) {
			char c = s[start + j];

			out[j] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
			only_x = only_x && out[j] == 'x';
		}
		out[n] = '\0';
		if (only_x)
			continue;
		if (bsearch(&key, classify_stop_words,
			    sizeof(classify_stop_words) / sizeof(classify_stop_words[0]),
			    sizeof(classify_stop_words[0]), classify_strp_cmp) != NULL)
			continue;
		*pos = i;
		return n;
	}
	*pos = i;
	return 0;
}

ssize_t
classify_model_vocab_find(const struct classify_model *m, const char *tok)
{
	size_t lo = 0, hi = m->n_vocab;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->vocab[mid], tok);

		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
classify_model_finish(struct classify_model *m)
{
	size_t K = m->n_classes, V = m->n_vocab;
	double *logp = xcalloc(K * V + 1, sizeof(*logp));

	free(m->centred);
	m->centred = xcalloc(K * V + 1, sizeof(*m->centred));
	for (size_t k = 0; k < K; k++) {
		unsigned long long total = 0;
		double den;

		for (size_t j = 0; j < V; j++)
			total += m->counts[k * V + j];
		den = (double)total + m->p.alpha * (double)V;
		for (size_t j = 0; j < V; j++)
			logp[k * V + j] = log(((double)m->counts[k * V + j] + m->p.alpha) / den);
	}
	for (size_t j = 0; j < V; j++) {
		double s = 0.0;

		for (size_t k = 0; k < K; k++)
			s += logp[k * V + j];
		for (size_t k = 0; k < K; k++)
			m->centred[k * V + j] = logp[k * V + j] - s / (double)K;
	}
	free(logp);
}

void
classify_model_feature(const struct classify_model *m, const ssize_t *vidx, size_t n,
		       double *t)
{
	size_t used = 0;
	double norm;

	for (size_t i = 0; i < n; i++)
		used += vidx[i] >= 0;
	for (size_t k = 0; k < m->n_classes; k++)
		t[k] = 0.0;
	if (used == 0)
		return;
	norm = m->p.token_norm == CLASSIFY_NORM_MEAN ? (double)used
	       : m->p.token_norm == CLASSIFY_NORM_SQRT ? sqrt((double)used) : 1.0;
	for (size_t k = 0; k < m->n_classes; k++) {
		const double *row = m->centred + k * m->n_vocab;
		double s = 0.0;

		for (size_t i = 0; i < n; i++)
			if (vidx[i] >= 0)
				s += row[vidx[i]];
		t[k] = s / norm;
	}
}

void
classify_model_scores(const struct classify_model *m, const struct classify_feat *x,
		      size_t nx, const double *t, double *z)
{
	for (size_t k = 0; k < m->n_classes; k++) {
		const double *row = m->W + k * m->n_rules;

		z[k] = m->b[k];
		if (m->p.use_rules) {
			double s = 0.0;

			for (size_t i = 0; i < nx; i++)
				s += row[x[i].rule] * x[i].x;
			z[k] += s;
		}
		if (m->p.use_tokens && t != NULL)
			z[k] += m->a[k] * t[k];
	}
}

size_t
classify_model_choose(const struct classify_rules *r, const struct classify_model *m,
		      size_t hand, const struct classify_feat *x, size_t nx,
		      const double *t, double *z, bool *decided_r)
{
	bool trained = false;
	ssize_t best = -1;

	*decided_r = false;
	for (size_t k = 0; k < m->n_classes; k++)
		trained = trained || m->cls[k] == hand;
	if (!trained)
		return hand;   /* a question, praise, or too rare to train */
	classify_model_scores(m, x, nx, t, z);
	*decided_r = true;
	for (size_t k = 0; k < m->n_classes; k++) {
		bool vetoed = false;

		for (size_t i = 0; i < nx && !vetoed; i++)
			vetoed = r->rules[x[i].rule].veto && r->rules[x[i].rule].target == m->cls[k];
		if (vetoed)
			continue;
		if (best < 0 || z[k] > z[best])
			best = (ssize_t)k;
	}
	return best < 0 ? hand : m->cls[best];
}

struct classify_model *
classify_model_new(const struct classify_rules *r, const struct classify_train_params *p,
		   const size_t *cls, size_t n_classes)
{
	struct classify_model *m = xcalloc(1, sizeof(*m));
	size_t K = n_classes, R = r->n_rules;

	m->p = *p;
	m->n_classes = K;
	m->cls = xcalloc(K + 1, sizeof(*m->cls));
	memcpy(m->cls, cls, K * sizeof(*cls));
	m->n_rules = R;
	m->W = xcalloc(K * R + 1, sizeof(*m->W));
	m->W0 = xcalloc(K * R + 1, sizeof(*m->W0));
	m->b = xcalloc(K + 1, sizeof(*m->b));
	m->a = xcalloc(K + 1, sizeof(*m->a));
	for (size_t k = 0; k < K; k++) {
		if (p->prior_hand) {
			for (size_t i = 0; i < R; i++)
				if (r->rules[i].target == cls[k] && !r->rules[i].veto)
					m->W0[k * R + i] = r->rules[i].weight;
			if (cls[k] == r->fallback)
				m->b[k] = r->threshold;
		}
	}
	memcpy(m->W, m->W0, K * R * sizeof(*m->W));
	return m;
}

void
classify_model_free(struct classify_model **mp)
{
	struct classify_model *m = *mp;

	if (m == NULL)
		return;
	free(m->file);
	free(m->cls);
	free(m->W);
	free(m->W0);
	free(m->b);
	free(m->a);
	for (size_t j = 0; j < m->n_vocab; j++)
		free(m->vocab[j]);
	free(m->vocab);
	free(m->counts);
	free(m->centred);
	free(m);
	*mp = NULL;
}

/* ------------------------------------------------------------------ */
/* Reading a weights file */

struct classify_wload {
	const struct classify_rules *r;
	const char *path;
	unsigned line;
	char *error;
	/* the fields of the line */
	char **f;
	size_t nf, cap_f;
};

static int classify_wl_err(struct classify_wload *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
classify_wl_err(struct classify_wload *w, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (w->error == NULL)
		w->error = xasprintf("%s:%u: %s", w->path, w->line, msg);
	free(msg);
	return -1;
}

static int
classify_wl_double(struct classify_wload *w, const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(*v))
		return classify_wl_err(w, "\"%s\" is not a number", s);
	return 0;
}

static int
classify_wl_long(struct classify_wload *w, const char *s, long lo, long hi, long *v)
{
	char *end;

	*v = 0;
	errno = 0;
	if (*s < '0' || *s > '9')
		return classify_wl_err(w, "\"%s\" is not a non-negative integer", s);
	*v = strtol(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || *v < lo || *v > hi)
		return classify_wl_err(w, "\"%s\" is not an integer from %ld to %ld", s, lo, hi);
	return 0;
}

static ssize_t
classify_wl_category(const struct classify_rules *r, const char *id)
{
	ssize_t t = classify_find_target(r, id, strlen(id));

	return t >= 0 && !r->targets[t].is_tag ? t : -1;
}

static ssize_t
classify_wl_rule(const struct classify_rules *r, const char *name)
{
	for (size_t i = 0; i < r->n_rules; i++)
		if (strcmp(r->rules[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* The params of a weights file, as far as the decision needs them. */
static int
classify_wl_param(struct classify_wload *w, struct classify_train_params *p)
{
	const char *k = w->f[1], *v = w->f[2];
	long n;

	if (strcmp(k, "features") == 0) {
		p->use_rules = strstr(v, "rules") != NULL;
		p->use_tokens = strstr(v, "tokens") != NULL;
		if (!p->use_rules && !p->use_tokens)
			return classify_wl_err(w, "param features: \"%s\" has neither rules nor tokens", v);
	} else if (strcmp(k, "alpha") == 0) {
		if (classify_wl_double(w, v, &p->alpha) < 0)
			return -1;
		if (p->alpha <= 0)
			return classify_wl_err(w, "param alpha must be above 0");
	} else if (strcmp(k, "token_norm") == 0) {
		if (strcmp(v, "mean") == 0)
			p->token_norm = CLASSIFY_NORM_MEAN;
		else if (strcmp(v, "sqrt") == 0)
			p->token_norm = CLASSIFY_NORM_SQRT;
		else if (strcmp(v, "sum") == 0)
			p->token_norm = CLASSIFY_NORM_SUM;
		else
			return classify_wl_err(w, "param token_norm: mean, sqrt or sum, not \"%s\"", v);
	} else if (strcmp(k, "model") == 0) {
		p->perceptron = strcmp(v, "perceptron") == 0;
	} else if (strcmp(k, "prior") == 0) {
		p->prior_hand = strcmp(v, "hand") == 0;
	} else if (strcmp(k, "class_weight") == 0) {
		p->class_weight = strcmp(v, "none") == 0 ? CLASSIFY_CW_NONE
				  : strcmp(v, "balanced") == 0 ? CLASSIFY_CW_BALANCED : CLASSIFY_CW_SQRT;
	} else if (strcmp(k, "lambda") == 0 || strcmp(k, "lr") == 0) {
		double d;

		if (classify_wl_double(w, v, &d) < 0)
			return -1;
		*(strcmp(k, "lambda") == 0 ? &p->lambda : &p->lr) = d;
	} else if (strcmp(k, "iters") == 0 || strcmp(k, "epochs") == 0 ||
		   strcmp(k, "vocab") == 0 || strcmp(k, "min_count") == 0 ||
		   strcmp(k, "folds") == 0) {
		if (classify_wl_long(w, v, 0, 100000000, &n) < 0)
			return -1;
		*(k[0] == 'i' ? &p->iters : k[0] == 'e' ? &p->epochs : k[0] == 'v' ? &p->vocab
		  : k[0] == 'm' ? &p->min_count : &p->folds) = n;
	}
	/* Other params are notes for people: ignored. */
	return 0;
}

/* Splits line (NUL-terminated, modified) at single spaces. */
static void
classify_wl_split(struct classify_wload *w, char *line)
{
	w->nf = 0;
	for (char *s = line;;) {
		char *sp = strchr(s, ' ');

		w->f = xgrow(w->f, &w->cap_f, w->nf + 1, sizeof(*w->f));
		w->f[w->nf++] = s;
		if (sp == NULL)
			break;
		*sp = '\0';
		s = sp + 1;
	}
}

static int
classify_wl_lines(struct classify_wload *w, char *text, size_t len,
		  struct classify_model **m_r)
{
	const struct classify_rules *r = w->r;
	struct classify_train_params p;
	struct classify_model *m = NULL;
	size_t *cls = NULL, K = 0, cap_vocab = 0, n_tok = 0;
	bool *have_b = NULL, *have_a = NULL, seen_version = false, seen_rules = false;
	long want_vocab = -1;
	size_t at = 0;
	int ret = -1;

	classify_train_params_default(&p);
	p.class_weight = CLASSIFY_CW_NONE;
	p.token_norm = CLASSIFY_NORM_MEAN;
	for (w->line = 1; at < len; w->line++) {
		char *line = text + at, *nl = memchr(line, '\n', len - at);
		const char *key;

		if (nl == NULL) {
			at = len;
		} else {
			*nl = '\0';
			at = (size_t)(nl - text) + 1;
		}
		if (strlen(line) != (size_t)((nl != NULL ? nl : text + len) - line)) {
			classify_wl_err(w, "a NUL byte");
			goto out;
		}
		if (w->line == 1) {
			if (strcmp(line, "redress-weights 1") != 0) {
				classify_wl_err(w, "not a weights file (the first line is not "
						"\"redress-weights 1\")");
				goto out;
			}
			continue;
		}
		if (line[0] == '\0' || line[0] == '#')
			continue;
		classify_wl_split(w, line);
		key = w->f[0];
		if (strcmp(key, "rules-version") == 0) {
			if (w->nf != 2) {
				classify_wl_err(w, "rules-version takes one field");
				goto out;
			}
			if (strcmp(w->f[1], r->version) != 0) {
				classify_wl_err(w, "made for rules version %s, these rules are %s: "
						"train again", w->f[1], r->version);
				goto out;
			}
			seen_version = true;
		} else if (strcmp(key, "rules") == 0) {
			long n;

			if (w->nf != 2 || classify_wl_long(w, w->f[1], 0, CLASSIFY_MAX_RULES, &n) < 0) {
				classify_wl_err(w, "rules takes the number of rules");
				goto out;
			}
			if ((size_t)n != r->n_rules) {
				classify_wl_err(w, "made for %ld rules, these rules have %zu", n,
						r->n_rules);
				goto out;
			}
			seen_rules = true;
		} else if (strcmp(key, "classes") == 0) {
			if (cls != NULL || w->nf < 3) {
				classify_wl_err(w, cls != NULL ? "classes twice"
						: "classes needs at least two categories");
				goto out;
			}
			K = w->nf - 1;
			cls = xcalloc(K, sizeof(*cls));
			for (size_t k = 0; k < K; k++) {
				ssize_t t = classify_wl_category(r, w->f[k + 1]);

				if (t < 0) {
					classify_wl_err(w, "\"%s\" is not a category of these rules",
							w->f[k + 1]);
					goto out;
				}
				for (size_t j = 0; j < k; j++)
					if (cls[j] == (size_t)t) {
						classify_wl_err(w, "\"%s\" twice", w->f[k + 1]);
						goto out;
					}
				cls[k] = (size_t)t;
			}
		} else if (strcmp(key, "fallback") == 0) {
			continue;
		} else if (strcmp(key, "param") == 0) {
			if (m != NULL) {
				classify_wl_err(w, "param after the weights");
				goto out;
			}
			if (w->nf != 3) {
				classify_wl_err(w, "param takes a name and a value");
				goto out;
			}
			if (classify_wl_param(w, &p) < 0)
				goto out;
		} else if (strcmp(key, "bias") == 0 || strcmp(key, "token-weight") == 0 ||
			   strcmp(key, "weight") == 0 || strcmp(key, "vocab") == 0 ||
			   strcmp(key, "token") == 0) {
			size_t want;

			if (m == NULL) {
				if (cls == NULL) {
					classify_wl_err(w, "%s before classes", key);
					goto out;
				}
				m = classify_model_new(r, &p, cls, K);
				memset(m->b, 0, K * sizeof(*m->b));
				memset(m->W, 0, K * r->n_rules * sizeof(*m->W));
				have_b = xcalloc(K, sizeof(*have_b));
				have_a = xcalloc(K, sizeof(*have_a));
			}
			want = strcmp(key, "bias") == 0 || strcmp(key, "token-weight") == 0 ? 3
			       : strcmp(key, "vocab") == 0 ? 2 : 2 + K;
			if (w->nf != want) {
				classify_wl_err(w, "%s: %zu fields, not %zu", key, w->nf, want);
				goto out;
			}
			if (strcmp(key, "bias") == 0 || strcmp(key, "token-weight") == 0) {
				ssize_t t = classify_wl_category(r, w->f[1]);
				size_t k;
				double v;

				for (k = 0; k < K && (t < 0 || cls[k] != (size_t)t); k++)
					;
				if (k == K) {
					classify_wl_err(w, "%s for \"%s\", which is not a trained class",
							key, w->f[1]);
					goto out;
				}
				if (classify_wl_double(w, w->f[2], &v) < 0)
					goto out;
				if (key[0] == 'b') {
					m->b[k] = v;
					have_b[k] = true;
				} else {
					m->a[k] = v;
					have_a[k] = true;
				}
			} else if (strcmp(key, "weight") == 0) {
				ssize_t i = classify_wl_rule(r, w->f[1]);

				if (i < 0) {
					classify_wl_err(w, "no rule \"%s\" in these rules", w->f[1]);
					goto out;
				}
				for (size_t k = 0; k < K; k++)
					if (classify_wl_double(w, w->f[2 + k],
							       &m->W[k * r->n_rules + (size_t)i]) < 0)
						goto out;
			} else if (strcmp(key, "vocab") == 0) {
				if (classify_wl_long(w, w->f[1], 0, 10000000, &want_vocab) < 0)
					goto out;
			} else {
				if (n_tok > 0 && strcmp(m->vocab[n_tok - 1], w->f[1]) >= 0) {
					classify_wl_err(w, "token \"%s\" out of byte order", w->f[1]);
					goto out;
				}
				m->vocab = xgrow(m->vocab, &cap_vocab, n_tok + 1, sizeof(*m->vocab));
				m->counts = xrealloc(m->counts, (n_tok + 1) * K * sizeof(*m->counts));
				m->vocab[n_tok] = xstrdup(w->f[1]);
				m->n_vocab = ++n_tok;
				for (size_t k = 0; k < K; k++) {
					long c;

					if (classify_wl_long(w, w->f[2 + k], 0, LONG_MAX, &c) < 0) {
						free(w->error);
						w->error = NULL;
						classify_wl_err(w, "token counts must be non-negative "
								"integers");
						goto out;
					}
					m->counts[(n_tok - 1) * K + k] = (unsigned long)c;
				}
			}
		} else {
			classify_wl_err(w, "unknown line \"%s\"", key);
			goto out;
		}
	}
	w->line--;
	if (!seen_version || !seen_rules || m == NULL) {
		classify_wl_err(w, "no %s", !seen_version ? "rules-version" : !seen_rules ? "rules"
				: "weights");
		goto out;
	}
	for (size_t k = 0; k < K; k++)
		if (!have_b[k] || !have_a[k]) {
			classify_wl_err(w, "no %s for \"%s\"", !have_b[k] ? "bias" : "token-weight",
					r->targets[cls[k]].id);
			goto out;
		}
	if (want_vocab >= 0 && (size_t)want_vocab != n_tok) {
		classify_wl_err(w, "vocab says %ld tokens, the file has %zu", want_vocab, n_tok);
		goto out;
	}
	/* counts were read token-major; the model keeps them class-major */
	{
		unsigned long *c = xcalloc(K * n_tok + 1, sizeof(*c));

		for (size_t j = 0; j < n_tok; j++)
			for (size_t k = 0; k < K; k++)
				c[k * n_tok + j] = m->counts[j * K + k];
		free(m->counts);
		m->counts = c;
	}
	classify_model_finish(m);
	*m_r = m;
	m = NULL;
	ret = 0;
out:
	classify_model_free(&m);
	free(cls);
	free(have_b);
	free(have_a);
	return ret;
}

int
classify_model_load(const struct classify_rules *r, const char *path,
		    struct classify_model **m_r, char **error_r)
{
	struct classify_wload w;
	char *text = NULL;
	size_t len = 0;
	bool truncated = false;
	int ret;

	*m_r = NULL;
	*error_r = NULL;
	if (file_read(path, CLASSIFY_MODEL_MAX_FILE, &text, &len, &truncated) < 0) {
		*error_r = xasprintf("%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if (truncated) {
		free(text);
		*error_r = xasprintf("%s: larger than %d bytes", path, CLASSIFY_MODEL_MAX_FILE);
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.path = path;
	ret = classify_wl_lines(&w, text, len, m_r);
	if (ret == 0)
		(*m_r)->file = xstrdup(path);
	else
		*error_r = w.error != NULL ? w.error : xasprintf("%s: cannot be read", path);
	free(w.f);
	free(text);
	return ret;
}
