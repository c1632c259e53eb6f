/*
 * t_model - the name tables of model/: every value has a name, every name
 * reads back to its value, no two values share a name, unknown words and
 * the NONE values are refused; and the names themselves, which the store,
 * the rules, redress.conf and every output depend on.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "model/case_state.h"
#include "model/job.h"
#include "model/outcome.h"
#include "model/priority.h"
#include "model/verdict.h"
#include "tap.h"

#define ROUND_TRIP(what, count, name_fn, parse_fn, type, want)                         \
	do {                                                                           \
		char all[512] = "";                                                    \
		for (int i = 0; i < (count); i++) {                                    \
			type v;                                                        \
			const char *n = name_fn((type)i);                              \
			ok(n != NULL && parse_fn(n, &v) == 0 && (int)v == i,           \
			   what " %d (%s) reads back", i, n != NULL ? n : "NULL");     \
			if (n != NULL) {                                               \
				size_t l = strlen(all);                                \
				snprintf(all + l, sizeof(all) - l, "%s%s",             \
					 i > 0 ? " " : "", n);                         \
			}                                                              \
		}                                                                      \
		is_str(all, want, what " names");                                      \
		ok(name_fn((type)(count)) == NULL, what ": none past the last");       \
		{                                                                      \
			type v;                                                        \
			ok(parse_fn("nonsense", &v) < 0, what ": an unknown word");    \
			ok(parse_fn("", &v) < 0, what ": an empty word");              \
		}                                                                      \
	} while (0)

int
main(void)
{
	ROUND_TRIP("priority", PRIORITY_COUNT, priority_name, priority_parse, enum priority,
		   "urgent high normal low");
	ok(priority_name(PRIORITY_NONE) == NULL, "priority: none for PRIORITY_NONE");
	ROUND_TRIP("outcome", OUTCOME_COUNT, outcome_name, outcome_parse, enum outcome,
		   "complaint question praise spam");
	ok(outcome_name(OUTCOME_NONE) == NULL, "outcome: none for OUTCOME_NONE");
	ROUND_TRIP("case state", CASE_STATE_COUNT, case_state_name, case_state_parse,
		   enum case_state, "new acknowledged responded waiting resolved closed held merged"
		   " quarantined informational");
	ok(case_state_name(CASE_NONE) == NULL, "case state: none for CASE_NONE");
	is_str(case_state_list(), "new, acknowledged, responded, waiting, resolved, closed, held, "
	       "merged, quarantined, informational",
	       "the list of states for messages");
	ok(case_state_is_open(CASE_NEW) && case_state_is_open(CASE_ACKNOWLEDGED) &&
	   case_state_is_open(CASE_RESPONDED) && case_state_is_open(CASE_WAITING) &&
	   !case_state_is_open(CASE_RESOLVED) && !case_state_is_open(CASE_CLOSED) &&
	   !case_state_is_open(CASE_HELD) && !case_state_is_open(CASE_MERGED) &&
	   !case_state_is_open(CASE_NONE) &&
	   !case_state_is_open(CASE_QUARANTINED) && !case_state_is_open(CASE_INFORMATIONAL),
	   "open: new, acknowledged, responded, waiting");
	ROUND_TRIP("job kind", JOB_KIND_COUNT, job_kind_name, job_kind_parse, enum job_kind,
		   "ack ack-plain followup escalation warning reply");
	ok(job_kind_to_staff(JOB_ESCALATION) && job_kind_to_staff(JOB_WARNING) &&
	   !job_kind_to_staff(JOB_ACK) && !job_kind_to_staff(JOB_ACK_PLAIN) &&
	   !job_kind_to_staff(JOB_FOLLOWUP) && !job_kind_to_staff(JOB_REPLY),
	   "to staff: escalation and warning");
	ok(job_kind_is_ack(JOB_ACK) && job_kind_is_ack(JOB_ACK_PLAIN) &&
	   !job_kind_is_ack(JOB_FOLLOWUP), "acks: ack and ack-plain");
	ROUND_TRIP("job state", JOB_STATE_COUNT, job_state_name, job_state_parse,
		   enum job_state, "queued sending sent failed suppressed");
	ROUND_TRIP("verdict", VERDICT_COUNT, verdict_name, verdict_parse, enum verdict,
		   "ok bulk list spam forged");
	return tap_exit();
}
