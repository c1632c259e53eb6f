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
#include "config/config.h"
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

int
caselife_is_active(const char *state)
{
	return strcmp(state, "new") == 0 || strcmp(state, "acknowledged") == 0 ||
	       strcmp(state, "responded") == 0 || strcmp(state, "waiting") == 0;
}

enum classify_outcome
caselife_outcome(const struct store_case *c)
{
	enum classify_outcome o;

	if (c->outcome != NULL && classify_outcome_parse(c->outcome, &o) == 0)
		return o;
	return c->complaint ? CLASSIFY_COMPLAINT : CLASSIFY_QUESTION;
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
caselife_apply(struct store *st, const struct config *cfg,
	       const struct sla_policy *sla, struct store_case *c,
	       enum caselife_action a, const char *detail, time_t now,
	       char **error_r)
{
	const char *from = c->state, *to = NULL, *kind = NULL;
	char *to_copy;
	bool active = caselife_is_active(from);

	(void)cfg;
	switch (a) {
	case CASELIFE_ACK_SENT:
		/* Only the first ack moves a new case; later ones change nothing. */
		if (strcmp(from, "new") != 0)
			return 0;
		to = "acknowledged";
		kind = "acknowledged";
		break;
	case CASELIFE_RESPOND:
		if (!active) {
			*error_r = xasprintf("case %lld is %s: reopen it first", c->id, from);
			return 1;
		}
		if (c->first_response_at == 0)
			c->first_response_at = now;
		caselife_unpause(sla, c, now);
		to = "responded";
		kind = "responded";
		break;
	case CASELIFE_WAIT:
		if (!active || strcmp(from, "waiting") == 0) {
			*error_r = xasprintf("case %lld is %s: only an open case can wait "
					     "on the customer", c->id, from);
			return 1;
		}
		c->paused_at = now;
		to = "waiting";
		kind = "waiting";
		break;
	case CASELIFE_RESOLVE:
		if (!active) {
			*error_r = xasprintf("case %lld is %s already", c->id, from);
			return 1;
		}
		caselife_unpause(sla, c, now);
		c->resolved_at = now;
		if (detail != NULL)
			caselife_set(&c->resolution_cause, detail);
		to = "resolved";
		kind = "resolved";
		break;
	case CASELIFE_REOPEN:
		if (active && strcmp(from, "waiting") != 0) {
			*error_r = xasprintf("case %lld is %s: it is open", c->id, from);
			return 1;
		}
		if (strcmp(from, "held") == 0) {
			*error_r = xasprintf("case %lld is held: its message could not be "
					     "read", c->id);
			return 1;
		}
		caselife_unpause(sla, c, now);
		c->resolved_at = 0;
		/* The cause explained a resolution that did not hold: it stays
		 * in the "resolved" event, and is no longer the case's. */
		caselife_set(&c->resolution_cause, NULL);
		to = c->last_active_state != NULL ? c->last_active_state
		     : c->first_response_at != 0 ? "responded" : "acknowledged";
		if (strcmp(from, "waiting") == 0)
			to = c->first_response_at != 0 ? "responded" : "acknowledged";
		kind = "reopened";
		break;
	case CASELIFE_CLOSE:
		if (strcmp(from, "resolved") != 0)
			return 0;
		to = "closed";
		kind = "closed";
		break;
	}
	/* to may point into c: copy it before c changes. */
	to_copy = xstrdup(to);
	if (active && strcmp(from, "waiting") != 0)
		caselife_set(&c->last_active_state, from);
	free(c->state);
	c->state = to_copy;
	c->updated = now;
	if (store_case_update(st, c, error_r) < 0 ||
	    store_event_add(st, c->id, now, kind, detail, error_r) < 0)
		return -1;
	return 0;
}
