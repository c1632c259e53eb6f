/*
 * case_state - the states a case moves through (caselife.h says how).
 *
 *   new           stored, its acknowledgement not sent yet
 *   acknowledged  the acknowledgement went out
 *   responded     a person answered the customer
 *   waiting       waiting on the customer: the resolution clock stops
 *   resolved      done, the follow-up may still go out
 *   closed        resolved and followed up
 *   held          its message could not be read: a person looks at it
 *   merged        joined to another case ("case merge"): its messages and
 *                 events are there, and mail for it threads there
 *   quarantined   spam or forged mail (the traffic verdict, verdict.h):
 *                 kept, never answered, no clock; "case release" makes
 *                 it a new case, "case spam" puts any case here
 *   informational bulk and list mail: kept to be read, never answered,
 *                 no clock
 *
 * The first four are open: a case in them is still work to do.  The names
 * are the ones the store, "case list --state" and every output use; they
 * appear in case_state.c and nowhere else in the code (SQL aside).
 */
#ifndef REDRESS_MODEL_CASE_STATE_H
#define REDRESS_MODEL_CASE_STATE_H

#include <stdbool.h>

enum case_state {
	CASE_NONE = -1,         /* no state: a case's last active state
				 * before it ever left one */
	CASE_NEW,
	CASE_ACKNOWLEDGED,
	CASE_RESPONDED,
	CASE_WAITING,
	CASE_RESOLVED,
	CASE_CLOSED,
	CASE_HELD,
	CASE_MERGED,
	CASE_QUARANTINED,
	CASE_INFORMATIONAL,
};
#define CASE_STATE_COUNT 10

/* "new", "acknowledged", ...; NULL for CASE_NONE. */
const char *case_state_name(enum case_state s);
/* The reverse: 0 and *s_r, or -1 for a word that is no state. */
int case_state_parse(const char *word, enum case_state *s_r);
/* "new, acknowledged, ..., held, merged, quarantined, informational": for
 * messages that list them.  Static. */
const char *case_state_list(void);
/* True for the open states: new, acknowledged, responded, waiting. */
bool case_state_is_open(enum case_state s);

#endif
