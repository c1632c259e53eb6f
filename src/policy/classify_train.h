/*
 * classify_train - learning the weights of a rules file from labelled
 * messages ("redress rules train"; the specification is
 * bench/train_ref.md, the reference bench/train_ref.py).
 *
 * A trainer holds the labelled examples of one rules file: each message
 * is classified once with the hand weights as it is added, and kept as
 * its rule hits, its tokens and its hand decision.  Then:
 * classify_train_fit learns a model (a weight per trained class and rule,
 * a bias, and the token feature's naive Bayes and weight) and
 * classify_train_write writes it as a weights file, which classify_load
 * (struct classify_options.weights) reads back; classify_train_cv
 * cross-validates it and classify_train_eval scores a decision (the hand
 * weights, or the weights the rules were loaded with) on the examples.
 * Everything is deterministic: the same examples in the same order give
 * the same weights.
 *
 * Ownership: the trainer keeps a pointer to the rules, which must outlive
 * it.  Functions that fail return -1 and an allocated *error_r.
 */
#ifndef REDRESS_CLASSIFY_TRAIN_H
#define REDRESS_CLASSIFY_TRAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct classify_rules;
struct classify_input;
struct classify_model;

enum classify_class_weight { CLASSIFY_CW_NONE, CLASSIFY_CW_SQRT, CLASSIFY_CW_BALANCED };
enum classify_token_norm { CLASSIFY_NORM_MEAN, CLASSIFY_NORM_SQRT, CLASSIFY_NORM_SUM };

/* The hyper-parameters; classify_train_params_default gives the
 * specification's (chosen by 5-fold CV on the CFPB even rows:
 * bench/train-sweep.md).  A weights file without a class_weight or
 * token_norm param means none and mean, whatever the defaults. */
struct classify_train_params {
	bool perceptron;       /* averaged perceptron instead of logistic regression */
	bool use_rules, use_tokens;
	bool prior_hand;       /* regularise towards the hand weights (else 0) */
	double lambda;
	long iters;
	double lr;
	long epochs;
	double alpha;
	long vocab;
	long min_count;
	long folds;
	enum classify_class_weight class_weight;
	enum classify_token_norm token_norm;
};

void classify_train_params_default(struct classify_train_params *p);

/* What a decision scored on labelled examples (bench/train_ref.md section 8). */
struct classify_eval {
	size_t n;              /* examples */
	size_t n_cats;         /* the rules' categories, file order */
	size_t *confusion;     /* [gold * n_cats + decided] */
	double macro_f1, accuracy;
};

struct classify_trainer;

struct classify_trainer *classify_trainer_new(const struct classify_rules *r,
					      const struct classify_train_params *p);
void classify_trainer_free(struct classify_trainer **tr);
/*
 * Adds one labelled message: label is a category id of the rules or
 * "not-complaint" (the first category whose outcome is question).
 */
int classify_trainer_add(struct classify_trainer *tr, const struct classify_input *in,
			 const char *label, char **error_r);
size_t classify_trainer_count(const struct classify_trainer *tr);
/* Examples per category, file order (n_categories entries, owned by tr). */
const size_t *classify_trainer_label_counts(const struct classify_trainer *tr);

/* Learns a model from every example; *model_r is freed with
 * classify_train_model_free.  *objective_r (may be NULL): the final loss. */
int classify_train_fit(struct classify_trainer *tr, struct classify_model **model_r,
		       double *objective_r, char **error_r);
void classify_train_model_free(struct classify_model **m);
/* The trained classes of a model: their number and the ith id. */
size_t classify_train_model_classes(const struct classify_model *m);
const char *classify_train_model_class(const struct classify_rules *r,
				       const struct classify_model *m, size_t i);
/* K-fold cross-validation (fold = index mod K) of the training. */
int classify_train_cv(struct classify_trainer *tr, long k, struct classify_eval *ev,
		      char **error_r);
/* The decision the rules were loaded with (their weights file, if any,
 * else the hand weights) on every example; with hand, the hand weights. */
void classify_train_eval(struct classify_trainer *tr, bool hand, struct classify_eval *ev);
void classify_eval_clear(struct classify_eval *ev);
/* The evaluation as text: a headline, per category and the confusion matrix. */
void classify_eval_text(const struct classify_rules *r, const struct classify_eval *ev,
			const char *name, struct buf *out);
/* ... and as a JSON object. */
void classify_eval_json(const struct classify_rules *r, const struct classify_eval *ev,
			struct buf *out);

/* The weights file of a model (bench/train_ref.md section 7); note is the
 * command that made it, for the header. */
void classify_train_write(const struct classify_rules *r, const struct classify_model *m,
			  const char *note, struct buf *out);

/* v as Python's repr: the shortest decimal that reads back to v ("0" for zero). */
void classify_number_repr(double v, char *out, size_t size);

#endif
