/*
 * NAME
 *	hygiene - "case spam" and "case release": a person's word on a
 *	case's traffic verdict
 * DESCRIPTION
 *	See hygiene.h.  The reasons of the verdict keep their history: a
 *	person's word is added to them, nothing is taken away.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/xmem.h"
#include "case/caselife.h"
#include "case/hygiene.h"
#include "case/identity.h"
#include "case/outbox.h"
#include "case/thread.h"
#include "config/config.h"
#include "mail/addr.h"
#include "mail/compose.h"
#include "policy/sla.h"
#include "store/store.h"

/* Adds reason to the case's JSON array of reasons. */
static void
hygiene_reason(struct store_case *c, const char *reason)
{
	const char *old = c->traffic_reasons;
	size_t n = old != NULL ? strlen(old) : 0;
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	if (n >= 2 && old[0] == '[' && old[n - 1] == ']') {
		buf_append(&b, old, n - 1);
		if (n > 2)
			buf_putc(&b, ',');
	} else {
		buf_putc(&b, '[');
	}
	json_str(&b, reason);
	buf_putc(&b, ']');
	free(c->traffic_reasons);
	c->traffic_reasons = buf_steal(&b, NULL);
}

int
hygiene_spam(struct store *st, struct store_case *c, time_t now, const char *author,
	     char **error_r)
{
	struct store_job *jobs = NULL;
	size_t n = 0;
	long cancelled = 0;
	char *detail;
	int r;

	if (c->state == CASE_QUARANTINED && c->traffic == VERDICT_SPAM) {
		*error_r = xasprintf("case %lld is quarantined as spam already", c->id);
		return 0;
	}
	if (store_jobs_list(st, c->id, &jobs, &n, error_r) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].state != JOB_QUEUED)
			continue;
		jobs[i].state = JOB_SUPPRESSED;
		free(jobs[i].last_error);
		jobs[i].last_error = xstrdup("the case was marked spam");
		if (store_job_update(st, &jobs[i], error_r) < 0) {
			store_jobs_free(&jobs, n);
			return -1;
		}
		cancelled++;
	}
	store_jobs_free(&jobs, n);
	if (case_state_is_open(c->state))
		c->last_active_state = c->state;
	c->state = CASE_QUARANTINED;
	c->traffic = VERDICT_SPAM;
	c->complaint = false;
	hygiene_reason(c, "spam: marked spam by a person (case spam)");
	/* No clock runs for spam: nothing is due, nothing can breach. */
	c->first_response_due = 0;
	c->resolution_due = 0;
	c->paused_at = 0;
	c->updated = now;
	detail = xasprintf("marked spam; %ld queued job%s suppressed", cancelled,
			   cancelled == 1 ? "" : "s");
	r = store_case_update(st, c, error_r) < 0 ||
	    store_event_add_by(st, c->id, now, "spam", detail, author, error_r) < 0 ? -1 : 1;
	free(detail);
	return r;
}

/* Queues a job with its Message-ID fixed now (as intake does). */
static int
hygiene_enqueue(struct store *st, const struct identity *id, long long case_id,
		enum job_kind kind, const char *rcpt, time_t due, const char *detail,
		time_t now, char **error_r)
{
	char *msgid = thread_msgid_new(id->key, sizeof(id->key), case_id, id->domain);
	int r = outbox_enqueue(st, case_id, kind, rcpt, due, detail, msgid, now, NULL, error_r);

	free(msgid);
	return r;
}

int
hygiene_release(struct store *st, const struct config *cfg, const struct identity *id,
		struct store_case *c, time_t now, const char *author, char **error_r)
{
	enum outcome o = caselife_outcome(c);
	enum job_kind ack = o == OUTCOME_COMPLAINT || o == OUTCOME_SPAM ? JOB_ACK : JOB_ACK_PLAIN;
	char rate_key[ADDR_MAX], rate_domain[ADDR_MAX];
	const char *was = verdict_name(c->traffic);
	char *detail;
	bool can_send, acked = false;
	int r;

	if (c->state != CASE_QUARANTINED && c->state != CASE_INFORMATIONAL) {
		*error_r = xasprintf("case %lld is %s, not quarantined or informational: "
				     "nothing to release", c->id, case_state_name(c->state));
		return 0;
	}
	if (o == OUTCOME_SPAM) {
		/* Only a case stored by hand can say spam here; what a person
		 * released is a complaint until someone says otherwise. */
		o = OUTCOME_COMPLAINT;
		c->outcome = o;
	}
	c->complaint = o == OUTCOME_COMPLAINT;
	detail = xasprintf("released by a person (was %s): answered and clocked from now",
			   was != NULL ? was : "unjudged");
	c->state = CASE_NEW;
	c->traffic = VERDICT_OK;
	hygiene_reason(c, "ok: released by a person (case release)");
	c->first_response_due = 0;
	c->resolution_due = 0;
	c->first_response_breached = false;
	c->resolution_breached = false;
	if (o == OUTCOME_COMPLAINT && c->priority != PRIORITY_NONE) {
		c->first_response_due = sla_add(cfg->sla->cal, now,
						cfg->sla->target[c->priority].first_response);
		c->resolution_due = sla_add(cfg->sla->cal, now,
					    cfg->sla->target[c->priority].resolution);
	} else if (o == OUTCOME_QUESTION && cfg->sla->question_clock) {
		c->first_response_due = sla_add(cfg->sla->cal, now, cfg->sla->question);
	}
	/* A case marked spam after its ack went out is not acked twice. */
	{
		struct store_job *jobs = NULL;
		size_t n = 0;

		if (store_jobs_list(st, c->id, &jobs, &n, error_r) < 0) {
			free(detail);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if (job_kind_is_ack(jobs[i].kind) && jobs[i].state == JOB_SENT)
				acked = true;
		store_jobs_free(&jobs, n);
	}
	if (acked)
		c->state = CASE_ACKNOWLEDGED;
	can_send = c->customer != NULL && compose_address_ok(c->customer) &&
		   addr_rate_key(c->customer, rate_key, rate_domain);
	free(c->reply_note);
	c->reply_note = acked ? xstrdup("ack sent before it was marked spam; released")
			: can_send ? xasprintf("ack to %s (released)", c->customer)
			: xstrdup("no ack: the reply address cannot be used in a mail header");
	c->updated = now;
	r = store_case_update(st, c, error_r) < 0 ||
	    store_event_add_by(st, c->id, now, "release", detail, author, error_r) < 0 ? -1 : 1;
	free(detail);
	if (r < 0)
		return -1;
	if (!can_send)
		return outbox_suppress(st, c->id, ack, c->customer, NULL,
				       "the reply address cannot be used in a mail header",
				       now, error_r) < 0 ? -1 : 1;
	if (!acked &&
	    (hygiene_enqueue(st, id, c->id, ack, c->customer, now, "released", now,
			     error_r) < 0 ||
	     store_rate_add(st, JOB_ACK, rate_key, rate_domain, now, c->id, error_r) < 0))
		return -1;
	if (o == OUTCOME_COMPLAINT) {
		time_t fu = outbox_followup_due(cfg, now, false);

		if (fu != 0 && hygiene_enqueue(st, id, c->id, JOB_FOLLOWUP, c->customer, fu,
					       "after release", now, error_r) < 0)
			return -1;
	}
	return 1;
}
