/*
 * classify - what kind of complaint a message is, how urgent, and whether
 * it is a complaint at all, decided by a rules file (redress-rules(5)).
 *
 * The rules file is read and every pattern compiled (PCRE2, JIT where the
 * system allows it) once, by classify_load; any error refuses the whole
 * file with "FILE:LINE:COL: reason".  The compiled rules are read-only
 * afterwards and may be shared by threads: classify_run keeps its scratch
 * space (match data, JIT stack, match context) to itself.
 *
 * classify_run is a pure function of the rules and the input.  Every
 * pattern match runs under match, depth and heap limits: a pattern that
 * hits a limit counts as "no match" and is logged once (log_warn), so no
 * rule on any input can crash or hang the caller.  Fields longer than
 * CLASSIFY_MAX_FIELD bytes are read only up to that length (and "$" does
 * not match at the cut).
 *
 * Ownership: classify_load hands out rules freed by classify_rules_free;
 * classify_run hands out a result freed by classify_result_free.  Every
 * string in a result is owned by it and is valid UTF-8.
 */
#ifndef REDRESS_CLASSIFY_H
#define REDRESS_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "model/outcome.h"
#include "model/priority.h"

struct message_header;

/* Caps on the rules file and on what one message can make us read. */
#define CLASSIFY_MAX_FILE (1024 * 1024)   /* bytes of rules file */
#define CLASSIFY_MAX_LINE 8192            /* bytes of one line */
#define CLASSIFY_MAX_PATTERN 4096         /* bytes of one pattern, joined */
#define CLASSIFY_MAX_RULES 5000
#define CLASSIFY_MAX_TARGETS 200          /* categories and tags */
#define CLASSIFY_MAX_ID 64                /* bytes of an id or rule name */
#define CLASSIFY_MAX_LABEL 200            /* bytes of a label */
#define CLASSIFY_MAX_FIELD (256 * 1024)   /* bytes of one field matched */
#define CLASSIFY_MAX_MATCH 120            /* bytes of matched text kept */

struct classify_rules;     /* compiled rules; read-only after load */

struct classify_input {
	const char *subject;   /* decoded UTF-8; NULL = "" */
	const char *body;      /* the customer's fresh text (quoted history already removed) */
	size_t body_len;
	const char *from;      /* "Name <addr>" or addr; NULL = "" */
	const struct message_header *headers;  /* from message.h */
	size_t n_headers;
	bool no_spam;          /* a category of outcome spam cannot win: what
				* the message is, should a person say it is
				* not spam ("case release") */
};

struct classify_hit {
	char *rule;            /* the rule's name */
	char *field;           /* "subject", "body", "from" or "header:NAME" */
	char *match;           /* matched text, at most CLASSIFY_MAX_MATCH bytes */
	size_t offset;         /* byte offset of the match in that field */
	char *target;          /* category or tag id */
	double weight;         /* 0 for a veto */
	bool veto;             /* a veto rule: the target cannot win / fire */
	double *learned;       /* learned weight per trained class (n_trained of
				* the result), or NULL when no weights decided */
};

/* Learned weights: one trained class's score of the message. */
struct classify_trained {
	char *category;
	double bias;           /* b */
	double rules;          /* sum of learned weight x hits */
	double tokens;         /* the token feature's part: a * t */
	double score;          /* bias + rules + tokens */
};

/* Learned weights: a word of the message and what it says for the category. */
struct classify_token {
	char *token;
	unsigned count;        /* times in the message */
	double weight;         /* its centred log-probability for the category */
};

struct classify_score {
	char *category;
	double score;          /* sum of the weights of its rules that fired */
};

struct classify_result {
	bool complaint;        /* outcome == OUTCOME_COMPLAINT */
	enum outcome outcome;  /* each category has one (outcome.h) */
	char *category;        /* category id */
	char *label;           /* human label */
	enum priority priority;
	char **tags; size_t n_tags;
	struct classify_score *scores; size_t n_scores;  /* every category, file order */
	struct classify_hit *hits; size_t n_hits;        /* rule order */
	bool escalate;         /* a tag that triggers escalation fired */
	bool unrecognised;     /* the category is flagged unrecognised: nothing
				* in the message was read as what it is */
	/* Learned weights (classify_options.weights): the file, and when
	 * they decided (the hand decision chose a trained class) what the
	 * hand weights chose, every trained class's score, and the
	 * message's strongest words for the category chosen. */
	char *weights;                                   /* NULL: none loaded */
	char *hand_category;                             /* NULL: they did not decide */
	struct classify_trained *trained; size_t n_trained;
	struct classify_token *tokens; size_t n_tokens;
};

/* Options for classify_load_opts; all false is the default. */
struct classify_options {
	bool no_jit;           /* use the interpreter even where JIT works */
	bool no_prefilter;     /* run every rule, even those whose literals are absent */
	bool lazy_ucp;         /* compile a rule's pattern for text beyond ASCII
				* when a message first needs it, not at load
				* (the rules are checked with the ASCII twin) */
	const char *weights;   /* a weights file ("rules train") to load with the
				* rules, or NULL for the hand weights */
};

/*
 * Reads and compiles the rules file at path, and the weights file of
 * opt->weights when set (an error there is "WEIGHTS:LINE: reason"; weights
 * made for other rules are refused).  Returns 0 and *rules_r, or -1
 * and *error_r, an allocated "FILE:LINE:COL: reason" (or "FILE: reason" for
 * a problem with the file as a whole) that the caller frees.
 */
int classify_load(const char *path, struct classify_rules **rules_r, char **error_r);
int classify_load_opts(const char *path, const struct classify_options *opt,
		       struct classify_rules **rules_r, char **error_r);
/* The same from memory; name stands for the file in errors. */
int classify_load_string(const char *name, const char *text, size_t len,
			 const struct classify_options *opt,
			 struct classify_rules **rules_r, char **error_r);
/* 16 hex digits: the start of the SHA-256 of the file's bytes. */
const char *classify_rules_version(const struct classify_rules *r);
/* The categories, in file order: their number, and the id of the ith
 * (owned by the rules). */
size_t classify_rules_n_categories(const struct classify_rules *r);
const char *classify_rules_category(const struct classify_rules *r, size_t i);
/* The label of the ith category (owned by the rules). */
const char *classify_rules_category_label(const struct classify_rules *r, size_t i);
/* The outcome of the ith category. */
enum outcome classify_rules_category_outcome(const struct classify_rules *r, size_t i);
/* The id of the fallback category (owned by the rules). */
const char *classify_rules_fallback(const struct classify_rules *r);
/* The weights file loaded with the rules, or NULL. */
const char *classify_rules_weights(const struct classify_rules *r);
/* Number of rule lines. */
size_t classify_rules_count(const struct classify_rules *r);
/* True when the patterns were JIT-compiled. */
bool classify_rules_jit(const struct classify_rules *r);
/* Number of rules the literal prefilter can skip (see classify.c). */
size_t classify_rules_prefiltered(const struct classify_rules *r);

/*
 * Classifies one message, with the learned weights when the rules were
 * loaded with some (bench/train_ref.md section 6).  Returns 0 and *res_r (caller frees with
 * classify_result_free), or -1 only on internal failure.
 */
int classify_run(const struct classify_rules *r, const struct classify_input *in,
		 struct classify_result **res_r);
/*
 * Repeat complainant: adds the "repeat" tag and bumps priority one step (not
 * above urgent), and sets escalate if the rules say the repeat tag escalates
 * or priority ends up high or urgent.  A repeat tag declared in the rules
 * with raise= also raises to that level.  Does nothing to a result that is
 * not a complaint, or to one that already carries the tag.
 */
void classify_apply_repeat(const struct classify_rules *r, struct classify_result *res);
/*
 * Appends the classify JSON object of doc/contract.md (no newline):
 * {"complaint", "outcome", "category", "label", "priority", "tags",
 *  "scores", "escalate", "rules": [{"rule", "field", "match"}]}; with
 * explain every
 * rule also carries "offset", "target", "weight" and "veto", and, when
 * learned weights decided, "learned" ({class: weight}); the object then
 * also has "learned": {"weights", "hand_category", "classes": [{"category",
 * "bias", "rules", "tokens", "score"}], "tokens": [{"token", "count",
 * "weight"}]}.
 */
void classify_result_json(const struct classify_result *res, bool explain, struct buf *out);
/* Appends the human-readable form, lines ending in LF. */
void classify_result_text(const struct classify_result *res, bool explain, struct buf *out);
void classify_result_free(struct classify_result **res);
void classify_rules_free(struct classify_rules **r);

#endif
