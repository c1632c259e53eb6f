/*
 * merge - one case made of two ("redress case merge INTO FROM"): the
 * customer wrote again instead of replying, and the second mail became a
 * case of its own.
 *
 * FROM's messages and events join INTO; FROM is closed as "merged" with
 * INTO as the case it joined, and its queued jobs (an ack not yet sent, a
 * follow-up, an escalation) are suppressed; mail that threads to FROM (its
 * tag, our Message-IDs) joins INTO from then on (intake follows
 * merged_into).  INTO keeps its own clocks, state and owner.  In the
 * caller's transaction.
 */
#ifndef REDRESS_CASE_MERGE_H
#define REDRESS_CASE_MERGE_H

#include <time.h>

struct store;

/* How many merges intake follows from a case to the one it joined. */
#define MERGE_MAX_HOPS 8

/* 1 merged, 0 refused (*error_r says why: the same case, no such case, a
 * case merged already), -1 store error. */
int merge_cases(struct store *st, long long into, long long from, const char *author,
		time_t now, char **error_r);

#endif
