/*
 * outbox - the queue of mail redress owes people, and its delivery.
 *
 * Jobs live in the store (table jobs): intake queues the acknowledgement
 * and the follow-up in the same transaction as the case; tick queues
 * warnings and escalations; case moves reschedule the follow-up.  Sending
 * is a separate step ("redress send", or the daemon) that claims due jobs
 * in batches, and for each renders the template, composes the message and
 * hands it to the mailer (SMTP or the outbox directory); the outcomes of a
 * batch are recorded together (doc/design.md, "Delivery"):
 *   sent       delivered; the case moves on (an ack makes it acknowledged)
 *   queued     temporary failure: due again after an exponential backoff,
 *              until [smtp] lifetime has passed since its first attempt
 *   failed     permanent failure (5xx), with the server's reply on the job
 *              and as an event on the case; or the lifetime ran out; or
 *              twice no reply to the final dot ("unconfirmed": the server
 *              may have it)
 *   suppressed not to be sent after all (the case is held, the follow-up
 *              lost its purpose, the escalation's case is settled), with
 *              the reason
 *
 * How many copies of one job can reach a server, and why, is in
 * doc/design.md ("Delivery"): the Message-ID is fixed before any copy
 * leaves, so every copy carries the same one.
 */
#ifndef REDRESS_OUTBOX_H
#define REDRESS_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "case/caselife.h"
#include "model/job.h"

struct config;
struct identity;
struct store;
struct store_case;
struct outbox;

/*
 * Queues a job for a case.  msgid: the Message-ID it will carry, fixed now
 * in the caller's (durable) transaction so that a copy sent again after any
 * crash carries the same one; NULL: made when the job is claimed.
 */
int outbox_enqueue(struct store *st, long long case_id, enum job_kind kind,
		   const char *rcpt, time_t due, const char *detail,
		   const char *msgid, time_t now, long long *job_id_r,
		   char **error_r);
/* Records a job that is not to be sent (an ack to a machine, an
 * escalation over its cap): a suppressed job, with why as its reason, so
 * that "queue list" shows it and it is not tried again. */
int outbox_suppress(struct store *st, long long case_id, enum job_kind kind, const char *rcpt,
		    const char *detail, const char *why, time_t now, char **error_r);
/* After a case move: schedules or moves the follow-up as [followup] says. */
int outbox_after_change(struct store *st, const struct config *cfg,
			const struct store_case *c, enum caselife_action a,
			time_t now, char **error_r);
/* When the follow-up for a case made now is due (0: no follow-up now). */
time_t outbox_followup_due(const struct config *cfg, time_t now, bool at_resolution);

struct outbox_stats {
	unsigned long sent, deferred, failed, suppressed;
	unsigned long unconfirmed; /* attempts with no reply to the final dot */
	unsigned long down;        /* rounds cut short: server unreachable */
	unsigned long halts;       /* rounds stopped by a configuration failure */
};

/* Loads the templates and opens the mailer (not for a dry run); borrows
 * cfg (the SLA policy, the settings), id (our addresses and key) and st,
 * which must outlive it. */
int outbox_new(const struct config *cfg, const struct identity *id, struct store *st,
	       bool dry_run, struct outbox **ob_r, char **error_r);

/*
 * The "send" lock: one sender at a time.  Returns 1 (taken), 0 (another
 * live sender holds it) or -1 with *error_r.  It lasts [smtp] lease unless
 * renewed; outbox_send_due renews it (and this sender's claims) every
 * third of that, also while a delivery is under way; between rounds the
 * holder calls outbox_renew.  outbox_free releases it.
 */
int outbox_lock(struct outbox *ob, char **error_r);
void outbox_unlock(struct outbox *ob);
/* The send lock's name: "send", or "send:NODE" in a store several nodes
 * share (each node has one sender at a time; the nodes send side by side). */
const char *outbox_lock_name(const struct outbox *ob);
/* Renews the lock and this sender's claims if a third of the lease has
 * passed (or force): 1 fine (or nothing held), 0 another sender has taken
 * the lock (logged).  A store error is logged, not returned: the lease
 * still has two thirds to run. */
int outbox_renew(struct outbox *ob, bool force);

/* Limits on one round of sending. */
struct outbox_round {
	size_t max;         /* jobs at most; 0: no limit */
	long seconds;       /* claim no job after this long; 0: no limit */
	bool (*stop)(void); /* true: stop after the job in hand, abandoning it
			     * while nothing of it can have been delivered
			     * (SIGTERM); NULL: never */
	/* A dry run hands what it would do with each due job here: a line
	 * "--- job ID: KIND for case N to RCPT" and the message, or why it
	 * would be suppressed or fail.  NULL: shown nowhere. */
	void (*show)(void *ctx, const char *text, size_t len);
	void *show_ctx;
};

/*
 * Sends the jobs due at now (round NULL: no limits).  Returns 0 when no
 * due job is left, 1 when the round ended early with jobs maybe left (a
 * limit, a stop, a server that cannot be reached or stopped answering:
 * stats->down, a configuration failure: stats->halts, the lock taken
 * over), or -1 when the store failed (error set).  Delivery failures are
 * recorded on the jobs and counted in stats, not returned.  Claims that
 * nobody can be sending any more are put back first.
 */
int outbox_send_due(struct outbox *ob, time_t now, const struct outbox_round *round,
		    struct outbox_stats *stats, char **error_r);
/*
 * The send lock's protocol, for every sender: one round under the "send"
 * lock.  Takes the lock unless this outbox holds it already, sends what is
 * due (outbox_send_due), and then keeps the lock, renewed (keep_lock:
 * "redress send" holds it for its whole run, renewing it while it waits
 * with outbox_renew), or releases it ("redress run" takes it for each
 * round, so that a "redress send" can run between them).  A dry run takes
 * no lock.  Returns as outbox_send_due, or OUTBOX_BUSY when another live
 * sender holds the lock (nothing was sent) or took it over.
 */
#define OUTBOX_BUSY 2
int outbox_send_round(struct outbox *ob, time_t now, const struct outbox_round *round,
		      bool keep_lock, struct outbox_stats *stats, char **error_r);
/* Renders the message a job would send (for "template render --case" and
 * --dry-run): 0 and an allocated message, or -1. */
int outbox_render_job(struct outbox *ob, long long case_id, enum job_kind kind,
		      time_t now, char **msg_r, size_t *len_r, char **error_r);
/* Renders the template file called name ("reply-apology") for case c, as
 * a person's reply starts from it ("case reply --template"): 0 and the
 * body (allocated), or -1. */
int outbox_render_named(struct outbox *ob, const struct store_case *c, const char *name,
			time_t now, char **body_r, char **error_r);
void outbox_free(struct outbox **ob);

#endif
