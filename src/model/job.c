/*
 * NAME
 *	job - the names of the kinds and states of jobs
 * DESCRIPTION
 *	See job.h.
 */
#include "autoconfig.h"

#include "model/job.h"
#include "model/names.h"

static const char *const job_kind_names[JOB_KIND_COUNT] = {
	"ack", "ack-plain", "followup", "escalation", "warning", "reply",
};

static const char *const job_state_names[JOB_STATE_COUNT] = {
	"queued", "sending", "sent", "failed", "suppressed",
};

const char *
job_kind_name(enum job_kind k)
{
	return names_at(job_kind_names, JOB_KIND_COUNT, (int)k);
}

int
job_kind_parse(const char *word, enum job_kind *k_r)
{
	int i = names_find(job_kind_names, JOB_KIND_COUNT, word);

	if (i < 0)
		return -1;
	*k_r = (enum job_kind)i;
	return 0;
}

const char *
job_state_name(enum job_state s)
{
	return names_at(job_state_names, JOB_STATE_COUNT, (int)s);
}

int
job_state_parse(const char *word, enum job_state *s_r)
{
	int i = names_find(job_state_names, JOB_STATE_COUNT, word);

	if (i < 0)
		return -1;
	*s_r = (enum job_state)i;
	return 0;
}

bool
job_kind_to_staff(enum job_kind k)
{
	return k == JOB_ESCALATION || k == JOB_WARNING;
}

bool
job_kind_is_ack(enum job_kind k)
{
	return k == JOB_ACK || k == JOB_ACK_PLAIN;
}
