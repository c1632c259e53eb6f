/*
 * NAME
 *	escalate - caps on the mail that goes to [smtp] escalate_to
 * SYNOPSIS
 *	#include "case/escalate.h"
 *
 *	escalate_allowed(), escalate_record(), escalate_suppress()
 * DESCRIPTION
 *	See escalate.h.  The per-sender count lives in the store's rates
 *	table (kind "escalation"), keyed like the ack rate limit, so that
 *	victim+1@ and vic.tim@ are one sender here too.  A case without a
 *	customer address counts under the empty key: mail with no usable
 *	sender is one sender for this purpose.
 * DIAGNOSTICS
 *	Store errors through error_r.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "case/escalate.h"
#include "case/outbox.h"
#include "config/config.h"
#include "mail/addr.h"
#include "store/store.h"

static void
escalate_key(const char *customer, char key[ADDR_MAX],
	     char domain[ADDR_MAX])
{
	if (customer == NULL || !addr_rate_key(customer, key, domain))
		key[0] = domain[0] = '\0';
}

int
escalate_allowed(struct store *st, const struct config *cfg, long long case_id,
		 const char *customer, const struct store_job *jobs, size_t n_jobs,
		 enum job_kind kind, const char *detail, time_t now, char *why,
		 size_t why_size, char **error_r)
{
	char key[ADDR_MAX], domain[ADDR_MAX];
	long n = 0;

	(void)case_id;
	for (size_t i = 0; i < n_jobs; i++) {
		const struct store_job *j = &jobs[i];

		if (!job_kind_to_staff(j->kind))
			continue;
		if (j->kind == kind && j->detail != NULL && detail != NULL &&
		    strcmp(j->detail, detail) == 0) {
			snprintf(why, why_size, "a %s for this reason exists (job %lld, %s)",
				 job_kind_name(kind), j->id, job_state_name(j->state));
			return 0;
		}
		/* An open warning does not hold back an escalation: the
		 * deadline it warned of has now passed, which is news. */
		if ((j->state == JOB_QUEUED || j->state == JOB_SENDING) &&
		    (j->kind == JOB_ESCALATION || kind == JOB_WARNING)) {
			snprintf(why, why_size, "the case has one open already (job %lld, %s)",
				 j->id, j->detail != NULL ? j->detail : job_kind_name(j->kind));
			return 0;
		}
	}
	if (cfg->sla_escalate_per_sender <= 0)
		return 1;
	escalate_key(customer, key, domain);
	if (store_rate_count(st, JOB_ESCALATION, key, NULL, now - cfg->sla_escalate_window,
			     cfg->sla_escalate_per_sender, &n, error_r) < 0)
		return -1;
	if (n >= cfg->sla_escalate_per_sender) {
		snprintf(why, why_size, "%ld about %s's cases in %s already ([sla] "
			 "escalate_per_sender)", n, *key != '\0' ? key : "an unknown sender",
			 config_text(cfg, "sla", "escalate_window"));
		return 0;
	}
	return 1;
}

int
escalate_record(struct store *st, long long case_id, const char *customer,
		time_t now, char **error_r)
{
	char key[ADDR_MAX], domain[ADDR_MAX];

	escalate_key(customer, key, domain);
	return store_rate_add(st, JOB_ESCALATION, key, domain, now, case_id, error_r);
}

int
escalate_suppress(struct store *st, long long case_id, enum job_kind kind,
		  const char *rcpt, const char *detail, const char *why, time_t now,
		  char **error_r)
{
	char *event;
	int ret;

	event = xasprintf("%s %s not sent: %s", job_kind_name(kind),
			  detail != NULL ? detail : "", why);
	ret = outbox_suppress(st, case_id, kind, rcpt, detail, why, now, error_r) < 0 ||
	      store_event_add(st, case_id, now, "escalation-skipped", event, error_r) < 0
	      ? -1 : 0;
	free(event);
	return ret;
}
