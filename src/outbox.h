/*
 * outbox - the queue of mail redress owes people, and its delivery.
 *
 * Jobs live in the store (table jobs): intake queues the acknowledgement
 * and the follow-up in the same transaction as the case; tick queues
 * warnings and escalations; case moves reschedule the follow-up.  Sending
 * is a separate step ("redress send", or the daemon) that claims due jobs
 * one at a time, renders the template, composes the message, hands it to
 * the mailer (SMTP or the outbox directory) and records the outcome:
 *   sent       delivered; the case moves on (an ack makes it acknowledged)
 *   queued     temporary failure: due again after an exponential backoff,
 *              until [smtp] lifetime has passed since the job was made
 *   failed     permanent failure (5xx), with the server's reply on the job
 *              and as an event on the case
 *   suppressed not to be sent after all (the case is held, the follow-up
 *              lost its purpose), with the reason
 *
 * A crash between delivery and the store update can send a job twice at
 * most once more (at-least-once delivery); the job's Message-ID is fixed
 * at enqueue, so the duplicate carries the same Message-ID and receiving
 * systems that deduplicate on it show one message.
 */
#ifndef REDRESS_OUTBOX_H
#define REDRESS_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "caselife.h"

struct config;
struct store;
struct store_case;
struct outbox;

/*
 * Queues a job for a case.  msgid: the Message-ID it will carry, fixed now
 * in the caller's (durable) transaction so that a copy sent again after any
 * crash carries the same one; NULL: made when the job is claimed.
 */
int outbox_enqueue(struct store *st, long long case_id, const char *kind,
		   const char *rcpt, time_t due, const char *detail,
		   const char *msgid, time_t now, long long *job_id_r,
		   char **error_r);
/* After a case move: schedules or moves the follow-up as [followup] says. */
int outbox_after_change(struct store *st, const struct config *cfg,
			const struct store_case *c, enum caselife_action a,
			time_t now, char **error_r);
/* When the follow-up for a case made now is due (0: no follow-up now). */
time_t outbox_followup_due(const struct config *cfg, time_t now, bool at_resolution);

struct outbox_stats {
	unsigned long sent, deferred, failed, suppressed;
};

/* Loads templates, the SLA policy and the mailer for sending. */
int outbox_new(const struct config *cfg, struct store *st, bool dry_run,
	       struct outbox **ob_r, char **error_r);
/*
 * Sends every job due at now, at most max (0: no limit).  Returns 0, or -1
 * when the store failed (error set); delivery failures are recorded on the
 * jobs and counted in stats, not returned.
 */
int outbox_send_due(struct outbox *ob, time_t now, size_t max,
		    struct outbox_stats *stats, char **error_r);
/* Renders the message a job would send (for "template render --case" and
 * --dry-run): 0 and an allocated message, or -1. */
int outbox_render_job(struct outbox *ob, long long case_id, const char *kind,
		      time_t now, char **msg_r, size_t *len_r, char **error_r);
void outbox_free(struct outbox **ob);

#endif
