/*
 * outcome - what a message is, beyond its category: a complaint, a
 * question, or praise.
 *
 * Each category of the rules has one outcome (redress-rules(5)), and a
 * case keeps it; intake treats each its own way (doc/design.md): a
 * complaint gets an apology, SLA clocks and a follow-up; a question a
 * plain acknowledgement and an answer clock ([sla] question); praise a
 * thank-you and nothing else.  New outcomes are added at the end, with
 * their name in outcome.c.
 */
#ifndef REDRESS_MODEL_OUTCOME_H
#define REDRESS_MODEL_OUTCOME_H

enum outcome {
	OUTCOME_NONE = -1,      /* not recorded: a held case, or one stored
				 * before outcomes were (caselife_outcome) */
	OUTCOME_COMPLAINT,
	OUTCOME_QUESTION,
	OUTCOME_PRAISE,
	OUTCOME_SPAM,           /* the rules say spam: the traffic verdict
				 * spam (verdict.h), quarantined, never
				 * answered */
};
#define OUTCOME_COUNT 4

/* "complaint", "question", "praise", "spam"; NULL for OUTCOME_NONE. */
const char *outcome_name(enum outcome o);
/* The reverse: 0 and *o_r, or -1 for a word that is no outcome. */
int outcome_parse(const char *word, enum outcome *o_r);

#endif
