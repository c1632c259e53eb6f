/*
 * NAME
 *	outbox_queue - the jobs a case's life puts in the outbox
 * DESCRIPTION
 *	Queueing (outbox_enqueue), recording a job decided not to go
 *	(outbox_suppress), the follow-up's due time, and what a move of a
 *	case by hand does to its queued follow-up (outbox_after_change).
 *	None of it sends or needs a sender: intake, tick, the case commands
 *	and the sender all call these.  See outbox.h.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <time.h>

#include "case/caselife.h"
#include "case/outbox.h"
#include "config/config.h"
#include "store/store.h"

/* A new job record, what enqueueing and suppressing share; the store copies it. */
static struct store_job
outbox_job(long long case_id, enum job_kind kind, enum job_state state, const char *rcpt,
	   const char *detail, time_t due, time_t now)
{
	struct store_job j = { 0 };

	j.case_id = case_id;
	j.kind = kind;
	j.state = state;
	j.due = due;
	j.created = now;
	j.rcpt = (char *)rcpt;
	j.detail = (char *)detail;
	return j;
}

int
outbox_enqueue(struct store *st, long long case_id, enum job_kind kind,
	       const char *rcpt, time_t due, const char *detail,
	       const char *msgid, time_t now, long long *job_id_r,
	       char **error_r)
{
	struct store_job j = outbox_job(case_id, kind, JOB_QUEUED, rcpt, detail, due, now);

	j.msgid = (char *)msgid;
	return store_job_add(st, &j, job_id_r, error_r);
}

int
outbox_suppress(struct store *st, long long case_id, enum job_kind kind, const char *rcpt,
		const char *detail, const char *why, time_t now, char **error_r)
{
	struct store_job j = outbox_job(case_id, kind, JOB_SUPPRESSED, rcpt, detail, now, now);

	j.last_error = (char *)why;
	return store_job_add(st, &j, NULL, error_r);
}

time_t
outbox_followup_due(const struct config *cfg, time_t now, bool at_resolution)
{
	bool from_resolution = cfg->followup_from == CONFIG_FOLLOWUP_RESOLUTION;

	if (from_resolution != at_resolution)
		return 0;
	return now + cfg->followup_after;
}

int
outbox_after_change(struct store *st, const struct config *cfg,
		    const struct store_case *c, enum caselife_action a,
		    time_t now, char **error_r)
{
	time_t due;
	long moved = 0;

	switch (a) {
	case CASELIFE_RESOLVE:
		due = outbox_followup_due(cfg, now, true);
		if (due == 0 || c->customer == NULL)
			return 0;
		/* One follow-up per case: move a queued one rather than add. */
		if (store_jobs_reschedule(st, c->id, JOB_FOLLOWUP, due, &moved, error_r) < 0)
			return -1;
		if (moved > 0)
			return 0;
		return outbox_enqueue(st, c->id, JOB_FOLLOWUP, c->customer, due,
				      "after resolution", NULL, now, NULL, error_r);
	case CASELIFE_REOPEN:
		/* The customer is not done: the follow-up waits for the new end. */
		due = outbox_followup_due(cfg, now, false);
		if (due == 0)
			due = outbox_followup_due(cfg, now, true);
		return store_jobs_reschedule(st, c->id, JOB_FOLLOWUP, due, &moved, error_r);
	default:
		return 0;
	}
}
