/*
 * classify_int - what the two files of the classify module share: the
 * compiled rules (classify_load.c makes them, classify.c runs them).  Not
 * for other modules: they see struct classify_rules through classify.h.
 */
#ifndef REDRESS_POLICY_CLASSIFY_INT_H
#define REDRESS_POLICY_CLASSIFY_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pcre2.h>

#include "model/outcome.h"
#include "model/priority.h"
#include "policy/classify.h"
#include "policy/classify_prefilter.h"
#include "policy/classify_train.h"

/* Match limits: generous for honest patterns on CLASSIFY_MAX_FIELD bytes. */
#define CLASSIFY_MATCH_LIMIT 2000000
#define CLASSIFY_DEPTH_LIMIT 100000
#define CLASSIFY_HEAP_LIMIT_KIB 20480
#define CLASSIFY_PARENS_NEST 50
#define CLASSIFY_JIT_STACK_MIN (32 * 1024)
#define CLASSIFY_JIT_STACK_MAX (1024 * 1024)
#define CLASSIFY_MAX_WEIGHT 1000.0
#define CLASSIFY_MAX_COUNT 100
/* A character beyond ASCII that is not punctuation or a symbol: a
 * pattern with one cannot fold (classify_load.c's classify_foldable), and
 * CLASSIFY_OTHERS starts from the same set.  Pc, the connectors like
 * U+203F, is left out: newer PCRE2s count it as \w with UCP. */
#define CLASSIFY_LETTERS "[^\\x00-\\x7f\\p{Pd}\\p{Ps}\\p{Pe}\\p{Pi}\\p{Pf}\\p{Po}\\p{S}]"
/* A character beyond ASCII that is none of those, no letter, no number
 * but a digit (Nl, No: Roman numerals, U+00BD) and no space separator
 * (Zs), or one of the two letters that caseless matching takes for an
 * ASCII one (K, the Kelvin sign, is k; long s is s): such a field is not
 * folded.  A digit (Nd) is \d with UCP, and a mark is \w with UCP in
 * PCRE2 10.43 and not in 10.42: their fields are not folded either. */
#define CLASSIFY_OTHERS \
	"[^\\x00-\\x7f\\p{Pd}\\p{Ps}\\p{Pe}\\p{Pi}\\p{Pf}\\p{Po}\\p{S}\\p{L}\\p{Nl}\\p{No}" \
	"\\p{Zs}]|[\\x{212a}\\x{17f}]"
/* One pass over a field from its first byte above 127 (classify.c's
 * classify_text_kind): group 1 is a space separator beyond ASCII (U+00A0,
 * U+3000...), which the fold writes as a tab; group 2 a character that
 * keeps the field from the fold (CLASSIFY_OTHERS); anything else it
 * matches is a letter beyond ASCII or a number that is no digit (none is
 * ASCII), written "_".  What it does not match is ASCII, punctuation or a
 * symbol, left as it is. */
#define CLASSIFY_SCAN \
	"([^\\x00-\\x7f\\P{Zs}])|(" CLASSIFY_OTHERS ")|[^\\x00-\\x7f\\P{L}]|[\\p{Nl}\\p{No}]"
/* lazy_ucp leaves a rule's UCP pattern for later only if its twin
 * compiled to at most this many bytes.  UCP turns \w, \d, \s and their
 * negations from one code unit into three (a property), and nothing
 * into more; PCRE2 refuses a compiled pattern over 64 KiB (LINK_SIZE 2).
 * A twin this size or less cannot have a pattern over that. */
#define CLASSIFY_LAZY_MAX (64 * 1024 / 4)
/* At most this many characters folded per field; beyond, UCP matches it. */
#define CLASSIFY_FOLD_MAX 4096

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
	bool unrecognised;        /* category: holds what the rules did not read */
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
	/* owned: the pattern with UCP.  Loaded with lazy_ucp, NULL until a
	 * field first needs it (classify.c's classify_rule_ucp compiles it
	 * from pat and sets it once); no other member changes after load. */
	_Atomic(pcre2_code *) re;
	char *pat;                /* owned: the pattern while re is to come, or NULL */
	size_t pat_len;
	uint32_t flags;           /* re's compile options */
	/* owned, or NULL: the same pattern compiled without PCRE2_UCP, for a
	 * field with no byte above 127.  On such text \w, \b, \s, the POSIX
	 * classes and caseless letters mean the same with UCP and without,
	 * so the matches are the same, found about a third faster.  Also for
	 * a field whose other characters are all punctuation or symbols
	 * (curly quotes, dashes, currency signs; classify_text_kind): those
	 * are no word, digit or space character either way, and caseless
	 * matching beyond ASCII is Unicode's in UTF mode with UCP or not.
	 * Not there when the pattern has a POSIX class ([:punct:] takes in
	 * Unicode punctuation with UCP only): then posix is set.  Compiled
	 * without PCRE2_MATCH_INVALID_UTF, and matched with
	 * PCRE2_NO_UTF_CHECK, on text known to be valid: PCRE2 10.42's JIT
	 * with that option and without UCP has \W, \D and \S match no
	 * character above 127 (PCRE2 issue 224, fixed in 10.43).
	 *
	 * A field with letters or space separators beyond ASCII too (and
	 * nothing else beyond punctuation and symbols) is matched with the
	 * twin folded: each such letter (and each number that is not a
	 * digit, as U+00BD) written as "_", which is \w with UCP
	 * or without, as the letter is with UCP, and each such space (a
	 * no-break space) as a tab, which is \s and \h, no word character
	 * and no newline, as the space is with UCP; each is one character as
	 * what it stands for is.  The offsets found are mapped back.  Only for
	 * a foldable rule: one whose pattern has no "_", no tab or other
	 * control character, no POSIX class, no escape that names a
	 * character or a property (\x \o \N \p \P \X \t \c, digits), and
	 * nothing beyond ASCII but punctuation and symbols (which the fold
	 * leaves as they are), so that it cannot tell the letter from the "_"
	 * or the space from the tab. */
	pcre2_code *re_ascii;
	bool posix;
	bool foldable;
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
	atomic_int jit_warned;             /* a lazy pattern's JIT failure was logged */
	double threshold;
	size_t fallback;
	bool jit;
	/* owned, or NULL: CLASSIFY_LETTERS, for a rule's pattern at load
	 * (classify_foldable). */
	pcre2_code *letters;
	pcre2_code *scan;     /* owned, or NULL: CLASSIFY_SCAN */
	pcre2_compile_context *cctx;       /* owned: the rules' limits, for lazy re */
	struct classify_prefilter *pf;     /* owned: the literal table */
	struct classify_model *model;      /* owned: learned weights, or NULL */
};

/* ------------------------------------------------------------------ */
/* Learned weights (classify_model.c; bench/train_ref.md) */

/* One rule that fired: its index and its number of hits. */
struct classify_feat {
	size_t rule;
	double x;
};

/* The largest token kept, in bytes. */
#define CLASSIFY_TOKEN_MAX 24

/*
 * A trained model for one rules file: a weight per (trained class, rule),
 * a bias and a token weight per class, and the naive Bayes of the token
 * feature (its vocabulary in byte order, the counts, and the centred
 * log-probabilities computed from them).
 */
struct classify_model {
	char *file;                 /* owned; where it came from, or NULL */
	struct classify_train_params p;
	size_t n_classes;
	size_t *cls;                /* owned: target index of each class */
	size_t n_rules;
	double *W;                  /* owned: [k * n_rules + r] */
	double *W0;                 /* owned: the prior, same shape */
	double *b, *a;              /* owned: per class */
	size_t n_vocab;
	char **vocab;               /* owned: strcmp order */
	unsigned long *counts;      /* owned: [k * n_vocab + j] */
	double *centred;            /* owned: [k * n_vocab + j] */
};

/* classify_run's work, with the sparse rule features and the hand
 * decision's target handed back when x_r / hand_r are not NULL (the
 * caller frees *x_r).  m NULL: the hand decision only. */
int classify_run_model(const struct classify_rules *r, const struct classify_model *m,
		       const struct classify_input *in, struct classify_result **res_r,
		       struct classify_feat **x_r, size_t *nx_r, size_t *hand_r);

/* The next token of s[0..len) from *pos (bench/train_ref.md section 3):
 * its length, written lower-cased to out[CLASSIFY_TOKEN_MAX + 1], or 0 at
 * the end. */
size_t classify_token_next(const char *s, size_t len, size_t *pos, char *out);
/* The index of a token in the model's vocabulary, or -1. */
ssize_t classify_model_vocab_find(const struct classify_model *m, const char *tok);
/* The naive Bayes log-probabilities from the counts. */
void classify_model_finish(struct classify_model *m);
/* The token feature t[k] from the vocabulary indexes of a message's
 * tokens (-1 entries skipped). */
void classify_model_feature(const struct classify_model *m, const ssize_t *vidx, size_t n,
			    double *t);
/* The trained scores z[k]. */
void classify_model_scores(const struct classify_model *m, const struct classify_feat *x,
			   size_t nx, const double *t, double *z);
/* The trained decision (section 6): the target index chosen, given the
 * hand decision's; z[] filled when the model decided (*decided_r). */
size_t classify_model_choose(const struct classify_rules *r, const struct classify_model *m,
			     size_t hand, const struct classify_feat *x, size_t nx,
			     const double *t, double *z, bool *decided_r);
/* An empty model for r's rules and the classes cls (target indexes),
 * with the prior of p. */
struct classify_model *classify_model_new(const struct classify_rules *r,
					  const struct classify_train_params *p,
					  const size_t *cls, size_t n_classes);
void classify_model_free(struct classify_model **m);
/* Reads a weights file for r; -1 and "FILE:LINE: reason". */
int classify_model_load(const struct classify_rules *r, const char *path,
			struct classify_model **m_r, char **error_r);

/* Logs a failed JIT compilation of WHO's pattern (classify.c). */
void classify_jit_warn(const char *who, int rc, const char *tail);

/* The index of the category or tag id (len bytes), or -1. */
ssize_t classify_find_target(const struct classify_rules *r, const char *id, size_t len);

#endif
