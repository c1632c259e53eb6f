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

/* The index of the category or tag id (len bytes), or -1. */
ssize_t classify_find_target(const struct classify_rules *r, const char *id, size_t len);

#endif
