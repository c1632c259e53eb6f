/*
 * job - the mail redress owes someone: its kinds and the states of its
 * delivery (outbox.h says how a job moves).
 *
 * Kinds:
 *   ack          a complaint's acknowledgement (it apologises)
 *   ack-plain    a question's or praise's (it thanks; praise gets the
 *                ack-praise template: template.h maps kinds to templates)
 *   followup     "is it sorted?", a week after a complaint
 *   escalation   to [smtp] escalate_to: a deadline missed, or the rules
 *                said so at intake
 *   warning      to [smtp] escalate_to: a deadline is near (its template
 *                is breach-warning)
 *   reply        a person's answer ("case reply"): the message is made
 *                and stored on the case when it is queued, and sent as
 *                stored (detail "message:ID")
 * States:
 *   queued       waiting until it is due
 *   sending      claimed by a sender, on its way
 *   sent         delivered
 *   failed       refused for good, or out of time
 *   suppressed   decided not to be sent, with the reason
 *
 * The names are the ones the store, "queue list" and every output use;
 * they appear in job.c and nowhere else in the code (SQL aside).
 */
#ifndef REDRESS_MODEL_JOB_H
#define REDRESS_MODEL_JOB_H

#include <stdbool.h>

enum job_kind {
	JOB_ACK,
	JOB_ACK_PLAIN,
	JOB_FOLLOWUP,
	JOB_ESCALATION,
	JOB_WARNING,
	JOB_REPLY,
};
#define JOB_KIND_COUNT 6

enum job_state {
	JOB_QUEUED,
	JOB_SENDING,
	JOB_SENT,
	JOB_FAILED,
	JOB_SUPPRESSED,
};
#define JOB_STATE_COUNT 5

/* "ack", "ack-plain", "followup", "escalation", "warning", "reply"; NULL
 * if none. */
const char *job_kind_name(enum job_kind k);
/* The reverse: 0 and *k_r, or -1. */
int job_kind_parse(const char *word, enum job_kind *k_r);
/* "queued", "sending", "sent", "failed", "suppressed"; NULL if none. */
const char *job_state_name(enum job_state s);
/* The reverse: 0 and *s_r, or -1. */
int job_state_parse(const char *word, enum job_state *s_r);
/* True for the kinds that go to staff ([smtp] escalate_to), not to the
 * customer: escalation and warning. */
bool job_kind_to_staff(enum job_kind k);
/* True for the customer's acknowledgements: ack and ack-plain. */
bool job_kind_is_ack(enum job_kind k);

#endif
