/*
 * caselife - the states a case moves through, and what each move does.
 *
 *   new --ack sent--> acknowledged --respond--> responded --resolve--> resolved
 *   resolved --follow-up sent--> closed
 *   acknowledged/responded --wait--> waiting (resolution clock paused)
 *   any state --customer reply / reopen--> back to its last active state
 *                (the resolution cause is cleared; the event keeps it)
 *
 * caselife_apply checks that the move is allowed from the case's state,
 * changes the case (times, pause accounting, breaches), writes it and an
 * event to the store.  The caller holds the transaction.
 * Returns 1 done (also when the move changes nothing: a second ack, a
 * follow-up after a reopening), 0 refused (the move makes no sense from
 * this state; *error_r, allocated, says why), -1 store error.
 */
#ifndef REDRESS_CASELIFE_H
#define REDRESS_CASELIFE_H

#include <time.h>

#include "model/outcome.h"

struct sla_policy;
struct store;
struct store_case;

enum caselife_action {
	CASELIFE_ACK_SENT,
	CASELIFE_RESPOND,
	CASELIFE_WAIT,
	CASELIFE_RESOLVE,
	CASELIFE_REOPEN,        /* by hand, or a customer's reply */
	CASELIFE_CLOSE,         /* the follow-up went out after resolution */
};

/* "respond" -> CASELIFE_RESPOND ...; -1 for an unknown word. */
int caselife_action_parse(const char *word, enum caselife_action *a_r);
int caselife_apply(struct store *st, const struct sla_policy *sla, struct store_case *c,
		   enum caselife_action a, const char *detail, time_t now,
		   char **error_r);
/* The same, made by a person: the event records author (an agent's
 * name; NULL: redress itself, as caselife_apply). */
int caselife_apply_by(struct store *st, const struct sla_policy *sla, struct store_case *c,
		      enum caselife_action a, const char *detail, const char *author,
		      time_t now, char **error_r);
/*
 * What the case is: its stored outcome; for a case stored before outcomes
 * were kept (and a held one), complaint when it was a complaint, else
 * question (such a case had a plain ack and an SLA clock).
 */
enum outcome caselife_outcome(const struct store_case *c);

#endif
