/*
 * NAME
 *	tick - the SLA clock's regular check
 * DESCRIPTION
 *	See tick.h.  One transaction per case changed, so a long run holds
 *	no lock for long and a crash loses at most the case in hand, which
 *	the next tick redoes.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "case/caselife.h"
#include "case/escalate.h"
#include "case/outbox.h"
#include "case/tick.h"
#include "config/config.h"
#include "model/priority.h"
#include "policy/sla.h"
#include "store/store.h"

#define TICK_PAGE 256   /* cases read at a time */

/* True when the case already has a job of kind with this detail. */
static bool
tick_has_job(const struct store_job *jobs, size_t n, enum job_kind kind,
	     const char *detail)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].kind == kind && jobs[i].detail != NULL &&
		    strcmp(jobs[i].detail, detail) == 0)
			return true;
	return false;
}

/*
 * Queues a job of kind (escalation or warning) about case c, unless one
 * for the same reason exists; through the caps of escalate.h, which may
 * record it as suppressed instead.  *jobs is reloaded after a change, so
 * that the rest of this tick sees it.
 */
static int
tick_escalate(struct store *st, const struct config *cfg, const char *escalate,
	      struct store_case *c, struct store_job **jobs, size_t *n_jobs,
	      enum job_kind kind, const char *detail, time_t due, time_t now,
	      bool *queued_r, char **error_r)
{
	char why[256];
	int may;

	*queued_r = false;
	if (tick_has_job(*jobs, *n_jobs, kind, detail))
		return 0;
	may = escalate_allowed(st, cfg, c->id, c->customer, *jobs, *n_jobs, kind, detail,
			       now, why, sizeof(why), error_r);
	if (may < 0)
		return -1;
	if (may == 0) {
		if (escalate_suppress(st, c->id, kind, escalate, detail, why, now, error_r) < 0)
			return -1;
	} else {
		if (outbox_enqueue(st, c->id, kind, escalate, due, detail, NULL, now, NULL,
				   error_r) < 0 ||
		    escalate_record(st, c->id, c->customer, now, error_r) < 0)
			return -1;
		*queued_r = true;
	}
	store_jobs_free(jobs, *n_jobs);
	*n_jobs = 0;
	return store_jobs_list(st, c->id, jobs, n_jobs, error_r);
}

static int
tick_case(struct store *st, const struct config *cfg, const struct sla_policy *sla,
	  const char *escalate, struct store_case *c, time_t now,
	  struct tick_stats *stats, char **error_r)
{
	enum priority prio = PRIORITY_NORMAL;
	struct store_job *jobs = NULL;
	size_t n_jobs = 0;
	bool changed = false, queued;
	time_t quiet_due = sla_quiet_next(sla->cal, &sla->quiet, now);
	struct sla_span fr_span;
	int ret = -1;

	if (c->priority != PRIORITY_NONE)
		prio = c->priority;
	/* A question's answer clock is [sla] question, not its priority's. */
	fr_span = caselife_outcome(c) == OUTCOME_QUESTION && sla->question_clock
		  ? sla->question : sla->target[prio].first_response;
	if (store_jobs_list(st, c->id, &jobs, &n_jobs, error_r) < 0)
		return -1;
	/* First response: the automatic ack does not count; a person's reply does. */
	if (c->first_response_at == 0 && c->first_response_due != 0) {
		if (!c->first_response_breached && now >= c->first_response_due) {
			c->first_response_breached = true;
			changed = true;
			stats->breaches++;
			if (store_event_add(st, c->id, now, "breach", "first response", error_r) < 0 ||
			    tick_escalate(st, cfg, escalate, c, &jobs, &n_jobs, JOB_ESCALATION,
					  "breach:first response", quiet_due, now, &queued,
					  error_r) < 0)
				goto out;
			if (queued)
				stats->escalations++;
		} else if (!c->first_response_breached && sla->warn_percent > 0 &&
			   now >= sla_fraction(sla->cal, c->created, fr_span,
					       sla->warn_percent) &&
			   !tick_has_job(jobs, n_jobs, JOB_WARNING, "first response")) {
			if (tick_escalate(st, cfg, escalate, c, &jobs, &n_jobs, JOB_WARNING,
					  "first response", now, now, &queued, error_r) < 0 ||
			    (queued && store_event_add(st, c->id, now, job_kind_name(JOB_WARNING),
						       "first response",
						       error_r) < 0))
				goto out;
			if (queued)
				stats->warnings++;
		}
	}
	/* Resolution: paused while the case waits on the customer. */
	if (c->resolved_at == 0 && c->resolution_due != 0 &&
	    c->state != CASE_WAITING) {
		if (!c->resolution_breached && now >= c->resolution_due) {
			c->resolution_breached = true;
			changed = true;
			stats->breaches++;
			if (store_event_add(st, c->id, now, "breach", "resolution", error_r) < 0 ||
			    tick_escalate(st, cfg, escalate, c, &jobs, &n_jobs, JOB_ESCALATION,
					  "breach:resolution", quiet_due, now, &queued, error_r) < 0)
				goto out;
			if (queued)
				stats->escalations++;
		} else if (!c->resolution_breached && sla->warn_percent > 0 &&
			   now >= sla_add_seconds(sla->cal,
						  sla_fraction(sla->cal, c->created,
							       sla->target[prio].resolution,
							       sla->warn_percent),
						  c->paused_seconds) &&
			   !tick_has_job(jobs, n_jobs, JOB_WARNING, "resolution")) {
			if (tick_escalate(st, cfg, escalate, c, &jobs, &n_jobs, JOB_WARNING,
					  "resolution", now, now, &queued, error_r) < 0 ||
			    (queued && store_event_add(st, c->id, now, job_kind_name(JOB_WARNING),
						       "resolution",
						       error_r) < 0))
				goto out;
			if (queued)
				stats->warnings++;
		}
	}
	if (changed) {
		c->updated = now;
		if (store_case_update(st, c, error_r) < 0)
			goto out;
	}
	ret = 0;
out:
	store_jobs_free(&jobs, n_jobs);
	return ret;
}

int
tick_run(struct store *st, const struct config *cfg, time_t now, struct tick_stats *stats,
	 char **error_r)
{
	const struct sla_policy *sla = cfg->sla;
	struct store_case_filter f = { 0 };
	struct store_case *cases = NULL;
	size_t n = 0;
	int ret = -1, r;

	/* A page of cases at a time: memory stays flat however many there are. */
	f.limit = TICK_PAGE;
	f.open_only = true;
	for (;;) {
		if (store_case_list(st, &f, &cases, &n, error_r) < 0)
			goto out;
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			f.after_id = cases[i].id;
			if (!case_state_is_open(cases[i].state))
				continue;
			stats->checked++;
			if (store_begin(st, error_r) < 0)
				goto out;
			/* The case as it is now, inside the transaction: another
			 * ticker (cron's beside the daemon's, another node's) may
			 * have marked the breach since the page was read, and it
			 * must escalate once. */
			store_case_clear(&cases[i]);
			r = store_case_get(st, f.after_id, &cases[i], error_r);
			/* An owned case's mail goes to its owner ([agents]). */
			if (r < 0 || (r > 0 && case_state_is_open(cases[i].state) &&
				      tick_case(st, cfg, sla,
						config_escalate_for(cfg, cases[i].owner)->addr,
						&cases[i], now, stats, error_r) < 0)) {
				store_rollback(st);
				goto out;
			}
			if (store_commit(st, error_r) < 0)
				goto out;
		}
		store_cases_free(&cases, n);
		n = 0;
	}
	ret = 0;
out:
	store_cases_free(&cases, n);
	return ret;
}
