/*
 * NAME
 *	caselife - the states a case moves through
 * DESCRIPTION
 *	See caselife.h.  Each move is checked against the case's state, done,
 *	and recorded as an event with its time and reason, so that the history
 *	of a case always explains its state.
 *
 *	Waiting pauses the resolution clock: when the case leaves "waiting",
 *	the business time spent waiting is added to paused_seconds and the
 *	resolution deadline moves out by the same business time.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "case/caselife.h"
#include "policy/sla.h"
#include "store/store.h"

static const struct {
	const char *word;
	enum caselife_action action;
} caselife_words[] = {
	{ "ack-sent", CASELIFE_ACK_SENT },
	{ "respond", CASELIFE_RESPOND },
	{ "wait", CASELIFE_WAIT },
	{ "resolve", CASELIFE_RESOLVE },
	{ "reopen", CASELIFE_REOPEN },
	{ "close", CASELIFE_CLOSE },
};

int
caselife_action_parse(const char *word, enum caselife_action *a_r)
{
	for (size_t i = 0; i < sizeof(caselife_words) / sizeof(caselife_words[0]); i++) {
		if (strcmp(word, caselife_words[i].word) == 0) {
			*a_r = caselife_words[i].action;
			return 0;
		}
	}
	return -1;
}

enum outcome
caselife_outcome(const struct store_case *c)
{
	if (c->outcome != OUTCOME_NONE)
		return c->outcome;
	return c->complaint ? OUTCOME_COMPLAINT : OUTCOME_QUESTION;
}

static void
caselife_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

/* Ends a wait: pause accounting, and the resolution deadline moves out. */
static void
caselife_unpause(const struct sla_policy *sla, struct store_case *c, time_t now)
{
	if (c->paused_at == 0)
		return;
	if (sla != NULL) {
		c->paused_seconds += sla_business_seconds(sla->cal, c->paused_at, now);
		if (c->resolution_due != 0)
			c->resolution_due = sla_extend(sla->cal, c->resolution_due,
						       c->paused_at, now);
	} else {
		c->paused_seconds += (long)(now - c->paused_at);
		if (c->resolution_due != 0)
			c->resolution_due += now - c->paused_at;
	}
	c->paused_at = 0;
}

int
caselife_apply(struct store *st, const struct sla_policy *sla, struct store_case *c,
	       enum caselife_action a, const char *detail, time_t now,
	       char **error_r)
{
	return caselife_apply_by(st, sla, c, a, detail, NULL, now, error_r);
}

int
caselife_apply_by(struct store *st, const struct sla_policy *sla, struct store_case *c,
		  enum caselife_action a, const char *detail, const char *author,
		  time_t now, char **error_r)
{
	enum case_state from = c->state, to = CASE_NONE;
	const char *event;
	bool active = case_state_is_open(from);

	switch (a) {
	case CASELIFE_ACK_SENT:
		/* Only the first ack moves a new case; later ones change nothing. */
		if (from != CASE_NEW)
			return 1;
		to = CASE_ACKNOWLEDGED;
		break;
	case CASELIFE_RESPOND:
		if (!active) {
			*error_r = xasprintf("case %lld is %s: reopen it first", c->id,
					     case_state_name(from));
			return 0;
		}
		if (c->first_response_at == 0)
			c->first_response_at = now;
		caselife_unpause(sla, c, now);
		to = CASE_RESPONDED;
		break;
	case CASELIFE_WAIT:
		if (!active || from == CASE_WAITING) {
			*error_r = xasprintf("case %lld is %s: only an open case can wait "
					     "on the customer", c->id, case_state_name(from));
			return 0;
		}
		c->paused_at = now;
		to = CASE_WAITING;
		break;
	case CASELIFE_RESOLVE:
		if (!active) {
			*error_r = xasprintf("case %lld is %s already", c->id,
					     case_state_name(from));
			return 0;
		}
		caselife_unpause(sla, c, now);
		c->resolved_at = now;
		if (detail != NULL)
			caselife_set(&c->resolution_cause, detail);
		to = CASE_RESOLVED;
		break;
	case CASELIFE_REOPEN:
		if (active && from != CASE_WAITING) {
			*error_r = xasprintf("case %lld is %s: it is open", c->id,
					     case_state_name(from));
			return 0;
		}
		if (from == CASE_HELD) {
			*error_r = xasprintf("case %lld is held: its message could not be "
					     "read", c->id);
			return 0;
		}
		if (from == CASE_QUARANTINED || from == CASE_INFORMATIONAL) {
			*error_r = xasprintf("case %lld is %s: \"case release\" makes it a "
					     "case to answer", c->id, case_state_name(from));
			return 0;
		}
		caselife_unpause(sla, c, now);
		c->resolved_at = 0;
		/* The cause explained a resolution that did not hold: it stays
		 * in the "resolved" event, and is no longer the case's. */
		caselife_set(&c->resolution_cause, NULL);
		to = c->last_active_state != CASE_NONE ? c->last_active_state
		     : c->first_response_at != 0 ? CASE_RESPONDED : CASE_ACKNOWLEDGED;
		if (from == CASE_WAITING)
			to = c->first_response_at != 0 ? CASE_RESPONDED : CASE_ACKNOWLEDGED;
		break;
	case CASELIFE_CLOSE:
		if (from != CASE_RESOLVED)
			return 1;
		to = CASE_CLOSED;
		break;
	}
	/* The event names the state the case moved to; a reopening says so. */
	event = a == CASELIFE_REOPEN ? "reopened" : case_state_name(to);
	if (active && from != CASE_WAITING)
		c->last_active_state = from;
	c->state = to;
	c->updated = now;
	if (store_case_update(st, c, error_r) < 0 ||
	    store_event_add_by(st, c->id, now, event, detail, author, error_r) < 0)
		return -1;
	return 1;
}
