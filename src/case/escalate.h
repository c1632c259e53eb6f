/*
 * escalate - how much mail to [smtp] escalate_to one sender can cause.
 *
 * Escalations (legal threats and repeat complainants at intake, missed
 * deadlines at tick) and breach warnings go to a person.  A sender who
 * writes thirty threatening mails must not send that person ninety, so
 * before one is queued:
 *
 *   - one open per case: while an escalation of the case is still
 *     queued (or being sent), no other escalation or warning is added,
 *     and while a warning is, no other warning; the one that goes out is
 *     rendered at send time and shows the case as it is then;
 *   - one per reason: an escalation for the same case and reason (the
 *     job's detail, e.g. "breach:first response") is never queued twice;
 *   - per sender: at most [sla] escalate_per_sender escalations and
 *     warnings about the cases of one sender (its addr_rate_key)
 *     within [sla] escalate_window (0: no cap).
 *
 * escalate_allowed decides; escalate_record counts one that was queued,
 * escalate_suppress records one that was not.
 * Both work in the caller's transaction.  Errors are store errors.
 */
#ifndef REDRESS_ESCALATE_H
#define REDRESS_ESCALATE_H

#include <stddef.h>
#include <time.h>

#include "model/job.h"

struct config;
struct store;
struct store_job;

/*
 * May a job of kind (JOB_ESCALATION or JOB_WARNING) with detail be queued for
 * case case_id, whose customer is customer (NULL: none), whose jobs so far
 * are jobs[0..n_jobs)?  1 yes; 0 no, with the reason in why (a sentence,
 * cut to why_size); -1 on a store error.
 */
int escalate_allowed(struct store *st, const struct config *cfg, long long case_id,
		     const char *customer, const struct store_job *jobs, size_t n_jobs,
		     enum job_kind kind, const char *detail, time_t now, char *why,
		     size_t why_size, char **error_r);

/* Counts one queued for customer's cases (for the per-sender cap). */
int escalate_record(struct store *st, long long case_id, const char *customer,
		    time_t now, char **error_r);

/*
 * Records one that was not queued: a "suppressed" job of kind with detail
 * and the reason (so that the same reason is not tried again, and "queue
 * list" shows it) and an "escalation-skipped" event on the case.
 */
int escalate_suppress(struct store *st, long long case_id, enum job_kind kind,
		      const char *rcpt, const char *detail, const char *why,
		      time_t now, char **error_r);

#endif
