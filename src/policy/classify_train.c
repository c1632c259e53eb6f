/*
 * NAME
 *	classify_train - learning rule weights and the token feature from
 *	labelled messages
 * SYNOPSIS
 *	classify_trainer_new, classify_trainer_add, classify_train_fit,
 *	classify_train_cv, classify_train_eval, classify_train_write,
 *	classify_eval_text, classify_eval_json, classify_number_repr
 * DESCRIPTION
 *	The C port of bench/train_ref.py; bench/train_ref.md is the
 *	specification and every step below follows its sections.  Each
 *	example is classified once with the hand weights as it is added
 *	(classify_run_model): its rule hits, its hand decision and its
 *	tokens (interned in one dictionary, so that the naive Bayes of a
 *	fold is arrays of counts) are all training needs.
 *
 *	Training (section 4, 5): the classes are the categories with at
 *	least min_count examples; the token feature of a training example
 *	comes from a naive Bayes that has not seen it (5 folds by index);
 *	the weights are learned by full-batch Adam on the class-weighted
 *	cross-entropy with an L2 pull towards the hand weights, a step that
 *	falls linearly to 0, from the hand weights.  No randomness: the
 *	same examples in the same order give the same weights, to the last
 *	bit of the reference on the same libm.
 *
 *	Cross-validation (section 8): fold = index mod K; macro-F1 over the
 *	categories with gold examples, accuracy, the confusion matrix.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/xmem.h"
#include "policy/classify.h"
#include "policy/classify_int.h"
#include "policy/classify_train.h"

void
classify_train_params_default(struct classify_train_params *p)
{
	memset(p, 0, sizeof(*p));
	p->use_rules = true;
	p->use_tokens = true;
	p->prior_hand = true;
	p->lambda = 0.003;
	p->iters = 1000;
	p->lr = 0.1;
	p->epochs = 10;
	p->alpha = 1.0;
	p->vocab = 5000;
	p->min_count = 5;
	p->folds = 5;
	p->class_weight = CLASSIFY_CW_NONE;
	p->token_norm = CLASSIFY_NORM_SQRT;
}

/* ------------------------------------------------------------------ */
/* Examples and the token dictionary */

struct classify_example {
	size_t label;              /* target index of its category */
	size_t hand;               /* target index of the hand decision */
	struct classify_feat *x;   /* owned */
	size_t nx;
	uint32_t *tok;             /* owned: word ids, in text order */
	size_t ntok;
};

struct classify_trainer {
	const struct classify_rules *r;
	struct classify_train_params p;
	struct classify_example *ex;
	size_t n, cap;
	char **words;              /* owned: the dictionary, by id */
	size_t n_words, cap_words;
	uint32_t *slots;           /* owned: hash of id + 1; 0 empty */
	size_t n_slots;
	size_t *label_counts;      /* owned: per category, file order */
	ssize_t *cat_of;           /* owned: target index -> category ordinal, -1 for tags */
	size_t n_cats;
};

static uint64_t
classify_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint32_t
classify_intern(struct classify_trainer *tr, const char *w)
{
	size_t i;

	if (tr->n_words * 2 >= tr->n_slots) {
		size_t ns = tr->n_slots > 0 ? tr->n_slots * 2 : 4096;
		uint32_t *sl = xcalloc(ns, sizeof(*sl));

		for (size_t j = 0; j < tr->n_words; j++) {
			for (i = classify_hash(tr->words[j]) & (ns - 1); sl[i] != 0; i = (i + 1) & (ns - 1))
				;
			sl[i] = (uint32_t)j + 1;
		}
		free(tr->slots);
		tr->slots = sl;
		tr->n_slots = ns;
	}
	for (i = classify_hash(w) & (tr->n_slots - 1); tr->slots[i] != 0;
	     i = (i + 1) & (tr->n_slots - 1))
		if (strcmp(tr->words[tr->slots[i] - 1], w) == 0)
			return tr->slots[i] - 1;
	tr->words = xgrow(tr->words, &tr->cap_words, tr->n_words + 1, sizeof(*tr->words));
	tr->words[tr->n_words] = xstrdup(w);
	tr->slots[i] = (uint32_t)++tr->n_words;
	return (uint32_t)(tr->n_words - 1);
}

struct classify_trainer *
classify_trainer_new(const struct classify_rules *r, const struct classify_train_params *p)
{
	struct classify_trainer *tr = xcalloc(1, sizeof(*tr));

	tr->r = r;
	tr->p = *p;
	tr->cat_of = xcalloc(r->n_targets + 1, sizeof(*tr->cat_of));
	for (size_t i = 0; i < r->n_targets; i++)
		tr->cat_of[i] = r->targets[i].is_tag ? -1 : (ssize_t)tr->n_cats++;
	tr->label_counts = xcalloc(tr->n_cats + 1, sizeof(*tr->label_counts));
	return tr;
}

void
classify_trainer_free(struct classify_trainer **trp)
{
	struct classify_trainer *tr = *trp;

	if (tr == NULL)
		return;
	for (size_t i = 0; i < tr->n; i++) {
		free(tr->ex[i].x);
		free(tr->ex[i].tok);
	}
	free(tr->ex);
	for (size_t i = 0; i < tr->n_words; i++)
		free(tr->words[i]);
	free(tr->words);
	free(tr->slots);
	free(tr->label_counts);
	free(tr->cat_of);
	free(tr);
	*trp = NULL;
}

size_t
classify_trainer_count(const struct classify_trainer *tr)
{
	return tr->n;
}

const size_t *
classify_trainer_label_counts(const struct classify_trainer *tr)
{
	return tr->label_counts;
}

int
classify_trainer_add(struct classify_trainer *tr, const struct classify_input *in,
		     const char *label, char **error_r)
{
	const struct classify_rules *r = tr->r;
	struct classify_result *res = NULL;
	struct classify_example e;
	ssize_t t = -1;
	size_t cap_tok = 0;
	char tok[CLASSIFY_TOKEN_MAX + 1];
	const char *parts[2] = { in->subject != NULL ? in->subject : "",
				 in->body != NULL ? in->body : "" };
	size_t lens[2] = { strlen(parts[0]), in->body != NULL ? in->body_len : 0 };

	if (strcmp(label, "not-complaint") == 0) {
		for (size_t i = 0; i < r->n_targets && t < 0; i++)
			if (!r->targets[i].is_tag && r->targets[i].outcome == OUTCOME_QUESTION)
				t = (ssize_t)i;
		if (t < 0) {
			*error_r = xstrdup("the label not-complaint needs a category whose "
					   "outcome is question in the rules");
			return -1;
		}
	} else {
		t = classify_find_target(r, label, strlen(label));
		if (t >= 0 && r->targets[t].is_tag)
			t = -1;
		if (t < 0) {
			*error_r = xasprintf("the label \"%s\" is not a category of the rules "
					     "(nor not-complaint)", label);
			return -1;
		}
	}
	memset(&e, 0, sizeof(e));
	e.label = (size_t)t;
	if (classify_run_model(r, NULL, in, &res, &e.x, &e.nx, &e.hand) < 0) {
		*error_r = xstrdup("the classifier failed");
		return -1;
	}
	classify_result_free(&res);
	for (size_t p = 0; p < 2; p++) {
		size_t pos = 0;

		while (classify_token_next(parts[p], lens[p], &pos, tok) > 0) {
			e.tok = xgrow(e.tok, &cap_tok, e.ntok + 1, sizeof(*e.tok));
			e.tok[e.ntok++] = classify_intern(tr, tok);
		}
	}
	tr->ex = xgrow(tr->ex, &tr->cap, tr->n + 1, sizeof(*tr->ex));
	tr->ex[tr->n++] = e;
	tr->label_counts[tr->cat_of[t]]++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Naive Bayes (section 3) */

struct classify_cand {
	uint32_t id;
	size_t df;
	const char *word;
};

static int
classify_cand_df_cmp(const void *a, const void *b)
{
	const struct classify_cand *x = a, *y = b;

	if (x->df != y->df)
		return x->df > y->df ? -1 : 1;
	return strcmp(x->word, y->word);
}

static int
classify_cand_word_cmp(const void *a, const void *b)
{
	return strcmp(((const struct classify_cand *)a)->word,
		      ((const struct classify_cand *)b)->word);
}

/*
 * The vocabulary and counts of m from the examples docs[0..n) (whose
 * class index is cls_of[label]); returns the map word id -> vocabulary
 * index (-1 outside), which the caller frees.
 */
static ssize_t *
classify_nb_fit(const struct classify_trainer *tr, struct classify_model *m,
		const size_t *docs, size_t n, const ssize_t *cls_of)
{
	size_t W = tr->n_words, nc = 0, V, K = m->n_classes;
	size_t *df = xcalloc(W + 1, sizeof(*df)), *stamp = xcalloc(W + 1, sizeof(*stamp));
	ssize_t *vmap = xmalloc((W + 1) * sizeof(*vmap));
	struct classify_cand *c;

	for (size_t d = 0; d < n; d++) {
		const struct classify_example *e = &tr->ex[docs[d]];

		for (size_t i = 0; i < e->ntok; i++)
			if (stamp[e->tok[i]] != d + 1) {
				stamp[e->tok[i]] = d + 1;
				df[e->tok[i]]++;
			}
	}
	c = xcalloc(W + 1, sizeof(*c));
	for (size_t w = 0; w < W; w++) {
		vmap[w] = -1;
		if (df[w] >= 2) {
			c[nc].id = (uint32_t)w;
			c[nc].df = df[w];
			c[nc].word = tr->words[w];
			nc++;
		}
	}
	qsort(c, nc, sizeof(*c), classify_cand_df_cmp);
	V = nc < (size_t)m->p.vocab ? nc : (size_t)m->p.vocab;
	qsort(c, V, sizeof(*c), classify_cand_word_cmp);
	for (size_t j = 0; j < m->n_vocab; j++)
		free(m->vocab[j]);
	free(m->vocab);
	free(m->counts);
	m->n_vocab = V;
	m->vocab = xcalloc(V + 1, sizeof(*m->vocab));
	m->counts = xcalloc(K * V + 1, sizeof(*m->counts));
	for (size_t j = 0; j < V; j++) {
		m->vocab[j] = xstrdup(c[j].word);
		vmap[c[j].id] = (ssize_t)j;
	}
	for (size_t d = 0; d < n; d++) {
		const struct classify_example *e = &tr->ex[docs[d]];
		size_t k = (size_t)cls_of[e->label];

		for (size_t i = 0; i < e->ntok; i++)
			if (vmap[e->tok[i]] >= 0)
				m->counts[k * V + (size_t)vmap[e->tok[i]]]++;
	}
	classify_model_finish(m);
	free(c);
	free(df);
	free(stamp);
	return vmap;
}

/* The token feature of example e under m (vmap from classify_nb_fit). */
static void
classify_nb_feature(const struct classify_trainer *tr, const struct classify_model *m,
		    const ssize_t *vmap, const struct classify_example *e, double *t)
{
	ssize_t *v = xcalloc(e->ntok + 1, sizeof(*v));

	for (size_t i = 0; i < e->ntok; i++)
		v[i] = vmap[e->tok[i]];
	classify_model_feature(m, v, e->ntok, t);
	free(v);
	(void)tr;
}

/* ------------------------------------------------------------------ */
/* Fitting (sections 4, 5) */

static void
classify_class_weights(const size_t *y, size_t N, size_t K, enum classify_class_weight how,
		       double *cw)
{
	size_t *n = xcalloc(K + 1, sizeof(*n));

	for (size_t i = 0; i < N; i++)
		n[y[i]]++;
	for (size_t k = 0; k < K; k++) {
		if (how == CLASSIFY_CW_NONE)
			cw[k] = 1.0;
		else if (n[k] == 0)
			cw[k] = 0.0;
		else
			cw[k] = pow((double)N / (double)(K * n[k]),
				    how == CLASSIFY_CW_SQRT ? 0.5 : 1.0);
	}
	free(n);
}

static void
classify_fit_logreg(const struct classify_trainer *tr, struct classify_model *m,
		    const size_t *docs, size_t N, const size_t *y, const double *T,
		    double *objective_r)
{
	const struct classify_train_params *p = &m->p;
	size_t K = m->n_classes, R = m->n_rules, P = K * R + 2 * K;
	const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
	double *gW = xcalloc(K * R + 1, sizeof(*gW)), *gb = xcalloc(K + 1, sizeof(*gb));
	double *ga = xcalloc(K + 1, sizeof(*ga)), *z = xcalloc(K + 1, sizeof(*z));
	double *e = xcalloc(K + 1, sizeof(*e)), *cw = xcalloc(K + 1, sizeof(*cw));
	double *mom = xcalloc(P, sizeof(*mom)), *vel = xcalloc(P, sizeof(*vel));
	bool *active = xcalloc(R + 1, sizeof(*active));

	classify_class_weights(y, N, K, p->class_weight, cw);
	if (p->use_rules)
		for (size_t n = 0; n < N; n++)
			for (size_t i = 0; i < tr->ex[docs[n]].nx; i++)
				active[tr->ex[docs[n]].x[i].rule] = true;
	for (long step = 1; step <= p->iters; step++) {
		double c1, c2, lr;
		size_t at;

		memset(gW, 0, K * R * sizeof(*gW));
		memset(gb, 0, K * sizeof(*gb));
		memset(ga, 0, K * sizeof(*ga));
		for (size_t n = 0; n < N; n++) {
			const struct classify_example *ex = &tr->ex[docs[n]];
			const double *t = p->use_tokens ? T + n * K : NULL;
			double zmax, se = 0.0, wy = cw[y[n]];

			classify_model_scores(m, ex->x, ex->nx, t, z);
			zmax = z[0];
			for (size_t k = 1; k < K; k++)
				if (z[k] > zmax)
					zmax = z[k];
			for (size_t k = 0; k < K; k++) {
				e[k] = exp(z[k] - zmax);
				se += e[k];
			}
			for (size_t k = 0; k < K; k++) {
				double g = wy * (e[k] / se - (k == y[n] ? 1.0 : 0.0));

				if (g == 0.0)
					continue;
				if (p->use_rules)
					for (size_t i = 0; i < ex->nx; i++)
						gW[k * R + ex->x[i].rule] += g * ex->x[i].x;
				gb[k] += g;
				if (t != NULL)
					ga[k] += g * t[k];
			}
		}
		c1 = 1.0 - pow(b1, (double)step);
		c2 = 1.0 - pow(b2, (double)step);
		lr = p->lr * (1.0 - (double)(step - 1) / (double)p->iters);
		at = 0;
		for (size_t k = 0; k < K; k++)
			for (size_t i = 0; i < R; i++, at++) {
				double G, *w = &m->W[k * R + i];

				if (!active[i])
					continue;
				G = gW[k * R + i] / (double)N + p->lambda * (*w - m->W0[k * R + i]);
				mom[at] = b1 * mom[at] + (1 - b1) * G;
				vel[at] = b2 * vel[at] + (1 - b2) * G * G;
				*w -= lr * (mom[at] / c1) / (sqrt(vel[at] / c2) + eps);
			}
		for (size_t v = 0; v < 2; v++)
			for (size_t k = 0; k < K; k++, at++) {
				double G = v == 0 ? gb[k] / (double)N
					   : p->use_tokens ? ga[k] / (double)N : 0.0;
				double *w = v == 0 ? &m->b[k] : &m->a[k];

				mom[at] = b1 * mom[at] + (1 - b1) * G;
				vel[at] = b2 * vel[at] + (1 - b2) * G * G;
				*w -= lr * (mom[at] / c1) / (sqrt(vel[at] / c2) + eps);
			}
	}
	if (objective_r != NULL) {
		double loss = 0.0, reg = 0.0;

		for (size_t n = 0; n < N; n++) {
			const struct classify_example *ex = &tr->ex[docs[n]];
			double zmax, se;

			classify_model_scores(m, ex->x, ex->nx, p->use_tokens ? T + n * K : NULL, z);
			zmax = z[0];
			for (size_t k = 1; k < K; k++)
				if (z[k] > zmax)
					zmax = z[k];
			se = exp(z[0] - zmax);   /* K >= 2; the same sum as 0.0 + e0 + ... */
			for (size_t k = 1; k < K; k++)
				se += exp(z[k] - zmax);
			loss += cw[y[n]] * (zmax + log(se) - z[y[n]]);
		}
		for (size_t k = 0; k < K * R; k++)
			reg += (m->W[k] - m->W0[k]) * (m->W[k] - m->W0[k]);
		*objective_r = loss / (double)N + p->lambda / 2 * reg;
	}
	free(gW);
	free(gb);
	free(ga);
	free(z);
	free(e);
	free(cw);
	free(mom);
	free(vel);
	free(active);
}

static void
classify_fit_perceptron(const struct classify_trainer *tr, struct classify_model *m,
			const size_t *docs, size_t N, const size_t *y, const double *T)
{
	const struct classify_train_params *p = &m->p;
	size_t K = m->n_classes, R = m->n_rules;
	double *sW = xcalloc(K * R + 1, sizeof(*sW)), *sb = xcalloc(K + 1, sizeof(*sb));
	double *sa = xcalloc(K + 1, sizeof(*sa)), *z = xcalloc(K + 1, sizeof(*z));
	double count = 0;

	for (long ep = 0; ep < p->epochs; ep++)
		for (size_t n = 0; n < N; n++) {
			const struct classify_example *ex = &tr->ex[docs[n]];
			const double *t = p->use_tokens ? T + n * K : NULL;
			size_t best = 0;

			classify_model_scores(m, ex->x, ex->nx, t, z);
			for (size_t k = 1; k < K; k++)
				if (z[k] > z[best])
					best = k;
			if (best != y[n]) {
				for (int s = 0; s < 2; s++) {
					size_t k = s == 0 ? y[n] : best;
					double sg = s == 0 ? 1.0 : -1.0;

					if (p->use_rules)
						for (size_t i = 0; i < ex->nx; i++)
							m->W[k * R + ex->x[i].rule] += sg * ex->x[i].x;
					m->b[k] += sg;
					if (t != NULL)
						m->a[k] += sg * t[k];
				}
			}
			count += 1;
			for (size_t k = 0; k < K; k++) {
				if (p->use_rules)
					for (size_t i = 0; i < R; i++)
						sW[k * R + i] += m->W[k * R + i];
				sb[k] += m->b[k];
				sa[k] += m->a[k];
			}
		}
	if (count > 0) {
		for (size_t i = 0; i < K * R; i++)
			m->W[i] = p->use_rules ? sW[i] / count : 0.0;
		for (size_t k = 0; k < K; k++) {
			m->b[k] = sb[k] / count;
			m->a[k] = sa[k] / count;
		}
	}
	free(sW);
	free(sb);
	free(sa);
	free(z);
}

/* A trained model and its map from word ids to its vocabulary. */
struct classify_tm {
	struct classify_model *m;
	ssize_t *vmap;
};

static void
classify_tm_clear(struct classify_tm *tm)
{
	classify_model_free(&tm->m);
	free(tm->vmap);
	tm->vmap = NULL;
}

/* Trains on the examples sub[0..ns). */
static int
classify_train_subset(struct classify_trainer *tr, const size_t *sub, size_t ns,
		      struct classify_tm *tm, double *objective_r, char **error_r)
{
	const struct classify_rules *r = tr->r;
	size_t *cnt = xcalloc(r->n_targets + 1, sizeof(*cnt)), *cls, K = 0, N = 0;
	ssize_t *cls_of = xmalloc((r->n_targets + 1) * sizeof(*cls_of));
	size_t *docs = xcalloc(ns + 1, sizeof(*docs)), *y = xcalloc(ns + 1, sizeof(*y));
	size_t F = (size_t)(tr->p.folds > 0 ? tr->p.folds : 1);
	double *T = NULL;
	int ret = -1;

	memset(tm, 0, sizeof(*tm));
	cls = xcalloc(r->n_targets + 1, sizeof(*cls));
	for (size_t i = 0; i < ns; i++)
		cnt[tr->ex[sub[i]].label]++;
	for (size_t i = 0; i < r->n_targets; i++) {
		cls_of[i] = -1;
		if (!r->targets[i].is_tag && cnt[i] >= (size_t)tr->p.min_count) {
			cls_of[i] = (ssize_t)K;
			cls[K++] = i;
		}
	}
	if (K < 2) {
		*error_r = xasprintf("fewer than two categories have %ld examples (--min-count): "
				     "nothing to learn", tr->p.min_count);
		goto out;
	}
	for (size_t i = 0; i < ns; i++)
		if (cls_of[tr->ex[sub[i]].label] >= 0) {
			docs[N] = sub[i];
			y[N] = (size_t)cls_of[tr->ex[sub[i]].label];
			N++;
		}
	tm->m = classify_model_new(r, &tr->p, cls, K);
	T = xcalloc(N * K + 1, sizeof(*T));
	if (tr->p.use_tokens) {
		/* cross-fitted token features: each from a naive Bayes that has
		 * not seen the example */
		size_t *fd = xcalloc(N + 1, sizeof(*fd));
		struct classify_model *nb = classify_model_new(r, &tr->p, cls, K);

		for (size_t f = 0; f < F; f++) {
			size_t nf = 0;
			ssize_t *vmap;

			for (size_t i = 0; i < N; i++)
				if (i % F != f)
					fd[nf++] = docs[i];
			vmap = classify_nb_fit(tr, nb, fd, nf, cls_of);
			for (size_t i = f; i < N; i += F)
				classify_nb_feature(tr, nb, vmap, &tr->ex[docs[i]], T + i * K);
			free(vmap);
		}
		classify_model_free(&nb);
		free(fd);
		tm->vmap = classify_nb_fit(tr, tm->m, docs, N, cls_of);
	}
	if (tr->p.perceptron)
		classify_fit_perceptron(tr, tm->m, docs, N, y, T);
	else
		classify_fit_logreg(tr, tm->m, docs, N, y, T, objective_r);
	ret = 0;
out:
	if (ret < 0)
		classify_tm_clear(tm);
	free(cnt);
	free(cls);
	free(cls_of);
	free(docs);
	free(y);
	free(T);
	return ret;
}

/* The trained decision of example e. */
static size_t
classify_tm_decide(const struct classify_trainer *tr, const struct classify_tm *tm,
		   const struct classify_example *e)
{
	size_t K = tm->m->n_classes, d;
	double *t = xcalloc(K + 1, sizeof(*t)), *z = xcalloc(K + 1, sizeof(*z));
	bool decided;

	if (tm->m->p.use_tokens && tm->vmap != NULL)
		classify_nb_feature(tr, tm->m, tm->vmap, e, t);
	d = classify_model_choose(tr->r, tm->m, e->hand, e->x, e->nx, t, z, &decided);
	free(t);
	free(z);
	return d;
}

int
classify_train_fit(struct classify_trainer *tr, struct classify_model **model_r,
		   double *objective_r, char **error_r)
{
	size_t *all = xcalloc(tr->n + 1, sizeof(*all));
	struct classify_tm tm;
	int ret;

	*model_r = NULL;
	for (size_t i = 0; i < tr->n; i++)
		all[i] = i;
	ret = classify_train_subset(tr, all, tr->n, &tm, objective_r, error_r);
	free(all);
	if (ret < 0)
		return -1;
	free(tm.vmap);
	*model_r = tm.m;
	return 0;
}

void
classify_train_model_free(struct classify_model **m)
{
	classify_model_free(m);
}

size_t
classify_train_model_classes(const struct classify_model *m)
{
	return m->n_classes;
}

const char *
classify_train_model_class(const struct classify_rules *r, const struct classify_model *m,
			   size_t i)
{
	return r->targets[m->cls[i]].id;
}

/* ------------------------------------------------------------------ */
/* Scoring (section 8) */

static void
classify_eval_init(const struct classify_trainer *tr, struct classify_eval *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->n_cats = tr->n_cats;
	ev->confusion = xcalloc(tr->n_cats * tr->n_cats + 1, sizeof(*ev->confusion));
}

static void
classify_eval_add(const struct classify_trainer *tr, struct classify_eval *ev, size_t gold,
		  size_t decided)
{
	ev->confusion[(size_t)tr->cat_of[gold] * ev->n_cats + (size_t)tr->cat_of[decided]]++;
	ev->n++;
}

/* Per category precision, recall and F1; macro-F1 and accuracy. */
static void
classify_eval_prf(const struct classify_eval *ev, size_t c, size_t *gold_r, size_t *pred_r,
		  double *p_r, double *r_r, double *f_r)
{
	size_t C = ev->n_cats, tp = ev->confusion[c * C + c], gold = 0, pred = 0;

	for (size_t j = 0; j < C; j++) {
		gold += ev->confusion[c * C + j];
		pred += ev->confusion[j * C + c];
	}
	*gold_r = gold;
	*pred_r = pred;
	*p_r = pred > 0 ? (double)tp / (double)pred : 0.0;
	*r_r = gold > 0 ? (double)tp / (double)gold : 0.0;
	*f_r = *p_r + *r_r > 0 ? 2 * *p_r * *r_r / (*p_r + *r_r) : 0.0;
}

static void
classify_eval_finish(struct classify_eval *ev)
{
	size_t C = ev->n_cats, ngold = 0, right = 0;
	double sum = 0.0;

	for (size_t c = 0; c < C; c++) {
		size_t g, p;
		double pr, rc, f1;

		classify_eval_prf(ev, c, &g, &p, &pr, &rc, &f1);
		right += ev->confusion[c * C + c];
		if (g == 0)
			continue;
		ngold++;
		sum += f1;
	}
	ev->macro_f1 = ngold > 0 ? sum / (double)ngold : 0.0;
	ev->accuracy = ev->n > 0 ? (double)right / (double)ev->n : 0.0;
}

void
classify_eval_clear(struct classify_eval *ev)
{
	free(ev->confusion);
	memset(ev, 0, sizeof(*ev));
}

int
classify_train_cv(struct classify_trainer *tr, long k, struct classify_eval *ev,
		  char **error_r)
{
	size_t K = (size_t)k, *sub = xcalloc(tr->n + 1, sizeof(*sub));

	classify_eval_init(tr, ev);
	for (size_t f = 0; f < K; f++) {
		struct classify_tm tm;
		size_t ns = 0;
		char *err = NULL;

		for (size_t i = 0; i < tr->n; i++)
			if (i % K != f)
				sub[ns++] = i;
		if (classify_train_subset(tr, sub, ns, &tm, NULL, &err) < 0) {
			*error_r = xasprintf("cross-validation, fold %zu of %zu: %s", f + 1, K, err);
			free(err);
			free(sub);
			classify_eval_clear(ev);
			return -1;
		}
		for (size_t i = f; i < tr->n; i += K)
			classify_eval_add(tr, ev, tr->ex[i].label, classify_tm_decide(tr, &tm, &tr->ex[i]));
		classify_tm_clear(&tm);
	}
	free(sub);
	classify_eval_finish(ev);
	return 0;
}

void
classify_train_eval(struct classify_trainer *tr, bool hand, struct classify_eval *ev)
{
	const struct classify_model *m = hand ? NULL : tr->r->model;
	struct classify_tm tm = { NULL, NULL };

	if (m != NULL) {
		/* the loaded model's vocabulary indexes of our word ids */
		tm.m = (struct classify_model *)m;
		tm.vmap = xmalloc((tr->n_words + 1) * sizeof(*tm.vmap));
		for (size_t w = 0; w < tr->n_words; w++)
			tm.vmap[w] = classify_model_vocab_find(m, tr->words[w]);
	}
	classify_eval_init(tr, ev);
	for (size_t i = 0; i < tr->n; i++)
		classify_eval_add(tr, ev, tr->ex[i].label,
				  m != NULL ? classify_tm_decide(tr, &tm, &tr->ex[i]) : tr->ex[i].hand);
	free(tm.vmap);
	classify_eval_finish(ev);
}

static const char *
classify_cat_id(const struct classify_rules *r, size_t c)
{
	for (size_t i = 0; i < r->n_targets; i++)
		if (!r->targets[i].is_tag && c-- == 0)
			return r->targets[i].id;
	return "?";
}

void
classify_eval_text(const struct classify_rules *r, const struct classify_eval *ev,
		   const char *name, struct buf *out)
{
	size_t C = ev->n_cats;
	bool first = true;
	bool *col = xcalloc(C + 1, sizeof(*col)), *row = xcalloc(C + 1, sizeof(*row));

	size_t apol = 0;

	for (size_t g = 0; g < C; g++)
		for (size_t c = 0; c < C; c++)
			if (classify_rules_category_outcome(r, c) == OUTCOME_COMPLAINT)
				apol += ev->confusion[g * C + c];
	buf_printf(out, "%s: macro-F1 %.3f, accuracy %.3f (%zu messages); outcome complaint "
		   "(an apology) %.1f%%\n", name, ev->macro_f1, ev->accuracy, ev->n,
		   ev->n > 0 ? 100.0 * (double)apol / (double)ev->n : 0.0);
	buf_puts(out, "  per category:");
	for (size_t c = 0; c < C; c++) {
		size_t g, p;
		double pr, rc, f1;

		classify_eval_prf(ev, c, &g, &p, &pr, &rc, &f1);
		row[c] = g > 0;
		col[c] = g > 0 || p > 0;
		if (g == 0)
			continue;
		buf_printf(out, "%s %s F1 %.2f (P %.2f R %.2f, %zu gold)", first ? "" : ",",
			   classify_cat_id(r, c), f1, pr, rc, g);
		first = false;
	}
	buf_puts(out, "\n  | gold \\ decided |");
	for (size_t c = 0; c < C; c++)
		if (col[c])
			buf_printf(out, " %s |", classify_cat_id(r, c));
	buf_puts(out, "\n  | --- |");
	for (size_t c = 0; c < C; c++)
		if (col[c])
			buf_puts(out, " ---: |");
	buf_putc(out, '\n');
	for (size_t g = 0; g < C; g++) {
		if (!row[g])
			continue;
		buf_printf(out, "  | %s |", classify_cat_id(r, g));
		for (size_t c = 0; c < C; c++)
			if (col[c])
				buf_printf(out, " %zu |", ev->confusion[g * C + c]);
		buf_putc(out, '\n');
	}
	free(col);
	free(row);
}

void
classify_eval_json(const struct classify_rules *r, const struct classify_eval *ev,
		   struct buf *out)
{
	size_t C = ev->n_cats;
	bool first = true, f2 = true;

	size_t apol = 0;

	for (size_t g = 0; g < C; g++)
		for (size_t c = 0; c < C; c++)
			if (classify_rules_category_outcome(r, c) == OUTCOME_COMPLAINT)
				apol += ev->confusion[g * C + c];
	buf_printf(out, "{\"messages\":%zu,\"macro_f1\":%.6f,\"accuracy\":%.6f,"
		   "\"complaint\":%zu", ev->n, ev->macro_f1, ev->accuracy, apol);
	(void)first;
	buf_puts(out, ",\"per_category\":[");
	for (size_t c = 0; c < C; c++) {
		size_t g, p;
		double pr, rc, f1;

		classify_eval_prf(ev, c, &g, &p, &pr, &rc, &f1);
		if (g == 0)
			continue;
		buf_puts(out, f2 ? "{" : ",{");
		f2 = false;
		buf_puts(out, "\"category\":");
		json_str(out, classify_cat_id(r, c));
		buf_printf(out, ",\"gold\":%zu,\"decided\":%zu,\"precision\":%.6f,"
			   "\"recall\":%.6f,\"f1\":%.6f}", g, p, pr, rc, f1);
	}
	buf_puts(out, "],\"confusion\":[");
	f2 = true;
	for (size_t g = 0; g < C; g++)
		for (size_t c = 0; c < C; c++) {
			size_t n = ev->confusion[g * C + c];

			if (n == 0)
				continue;
			buf_puts(out, f2 ? "[" : ",[");
			f2 = false;
			json_str(out, classify_cat_id(r, g));
			buf_putc(out, ',');
			json_str(out, classify_cat_id(r, c));
			buf_printf(out, ",%zu]", n);
		}
	buf_puts(out, "]}");
}

/* ------------------------------------------------------------------ */
/* The weights file (section 7) */

void
classify_number_repr(double v, char *out, size_t size)
{
	char e[40], dig[24];
	size_t nd = 0;
	int ex, prec;
	const char *s;
	struct buf b;

	if (v == 0) {
		snprintf(out, size, "0");
		return;
	}
	if (isnan(v) || isinf(v)) {
		snprintf(out, size, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	s = e + (e[0] == '-');
	for (; *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && nd < sizeof(dig) - 1)
			dig[nd++] = *s;
	ex = atoi(s + 1);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	dig[nd] = '\0';
	buf_init(&b, BUF_NO_LIMIT);
	if (v < 0)
		buf_putc(&b, '-');
	if (ex >= -4 && ex < 16) {
		if (ex >= 0) {
			for (int i = 0; i <= ex; i++)
				buf_putc(&b, (size_t)i < nd ? dig[i] : '0');
			buf_putc(&b, '.');
			if ((size_t)ex + 1 < nd)
				buf_puts(&b, dig + ex + 1);
			else
				buf_putc(&b, '0');
		} else {
			buf_puts(&b, "0.");
			for (int i = 0; i < -ex - 1; i++)
				buf_putc(&b, '0');
			buf_puts(&b, dig);
		}
	} else {
		buf_putc(&b, dig[0]);
		if (nd > 1)
			buf_printf(&b, ".%s", dig + 1);
		buf_printf(&b, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
	}
	snprintf(out, size, "%s", buf_str(&b));
	buf_free(&b);
}

static void
classify_put_number(struct buf *out, double v)
{
	char s[48];

	classify_number_repr(v, s, sizeof(s));
	buf_puts(out, s);
}

void
classify_train_write(const struct classify_rules *r, const struct classify_model *m,
		     const char *note, struct buf *out)
{
	const struct classify_train_params *p = &m->p;
	static const char *const cw[] = { "none", "sqrt", "balanced" };
	static const char *const tn[] = { "mean", "sqrt", "sum" };
	size_t K = m->n_classes, R = m->n_rules;

	buf_puts(out, "redress-weights 1\n");
	buf_puts(out, "# Made by ");
	for (const char *s = note; *s != '\0'; s++)
		buf_putc(out, *s == '\n' ? ' ' : *s);
	buf_puts(out, "\n# One line per fact; numbers as Python repr (shortest round-trip "
		 "decimal).\n");
	buf_printf(out, "rules-version %s\nrules %zu\nclasses", r->version, r->n_rules);
	for (size_t k = 0; k < K; k++)
		buf_printf(out, " %s", r->targets[m->cls[k]].id);
	buf_printf(out, "\nfallback %s\n", r->targets[r->fallback].id);
	buf_printf(out, "param model %s\n", p->perceptron ? "perceptron" : "logreg");
	buf_printf(out, "param features %s%s%s\n", p->use_rules ? "rules" : "",
		   p->use_rules && p->use_tokens ? "," : "", p->use_tokens ? "tokens" : "");
	buf_printf(out, "param prior %s\nparam lambda ", p->prior_hand ? "hand" : "zero");
	classify_put_number(out, p->lambda);
	buf_printf(out, "\nparam iters %ld\nparam lr ", p->iters);
	classify_put_number(out, p->lr);
	buf_printf(out, "\nparam epochs %ld\nparam alpha ", p->epochs);
	classify_put_number(out, p->alpha);
	buf_printf(out, "\nparam vocab %ld\nparam min_count %ld\nparam folds %ld\n"
		   "param class_weight %s\nparam token_norm %s\n", p->vocab, p->min_count,
		   p->folds, cw[p->class_weight], tn[p->token_norm]);
	for (size_t k = 0; k < K; k++) {
		buf_printf(out, "bias %s ", r->targets[m->cls[k]].id);
		classify_put_number(out, m->b[k]);
		buf_putc(out, '\n');
	}
	for (size_t k = 0; k < K; k++) {
		buf_printf(out, "token-weight %s ", r->targets[m->cls[k]].id);
		classify_put_number(out, m->a[k]);
		buf_putc(out, '\n');
	}
	for (size_t i = 0; i < R; i++) {
		bool any = false;

		for (size_t k = 0; k < K; k++)
			any = any || m->W[k * R + i] != 0 || m->W0[k * R + i] != 0;
		if (!any)
			continue;
		buf_printf(out, "weight %s", r->rules[i].name);
		for (size_t k = 0; k < K; k++) {
			buf_putc(out, ' ');
			classify_put_number(out, m->W[k * R + i]);
		}
		buf_putc(out, '\n');
	}
	if (!p->use_tokens)
		return;
	buf_printf(out, "vocab %zu\n", m->n_vocab);
	for (size_t j = 0; j < m->n_vocab; j++) {
		buf_printf(out, "token %s", m->vocab[j]);
		for (size_t k = 0; k < K; k++)
			buf_printf(out, " %lu", m->counts[k * m->n_vocab + j]);
		buf_putc(out, '\n');
	}
}
