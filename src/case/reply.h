/*
 * reply - a person's answer to the customer ("redress case reply").
 *
 * The message is made when the reply is queued, not when it is sent: From
 * [smtp] from, To the customer (Cc whoever the agent names), the subject
 * with the case tag, In-Reply-To the customer's last message and
 * References its thread, and one of our signed Message-IDs, so that the
 * customer's answer threads back to the case (thread.h) whatever the
 * customer's mail program does to the subject.  It is stored on the case
 * as an outgoing message and queued as one "reply" job per recipient, all
 * sending those stored bytes through the outbox (its retries, lifetime and
 * dry run).  Queuing it is the case's first response (caselife.h): a
 * person answered.  All in the caller's transaction.
 */
#ifndef REDRESS_CASE_REPLY_H
#define REDRESS_CASE_REPLY_H

#include <stddef.h>
#include <time.h>

struct config;
struct identity;
struct message;
struct message_limits;
struct store;
struct store_case;

#define REPLY_MAX_CC 10

struct reply_input {
	const char *body;            /* the agent's text, UTF-8, LF line ends */
	const char *const *cc;       /* bare addresses; at most REPLY_MAX_CC */
	size_t n_cc;
	const char *author;          /* the agent (the events' author) */
};

/*
 * The customer's last message on the case, parsed (message_free), in
 * *m_r; NULL when the case has none.  0, or -1 with *error_r.
 */
int reply_last_inbound(struct store *st, long long case_id,
		       const struct message_limits *lim, struct message **m_r,
		       char **error_r);
/* m's text quoted for a draft: "On DATE, NAME wrote:" and "> " lines.
 * Allocated. */
char *reply_quote(const struct message *m);
/*
 * Queues the reply for case c (read in the caller's transaction).
 * Returns 1 and *msg_id_r (the stored message), 0 when the case cannot
 * take a reply (not open, no customer address: *error_r says why), or -1
 * with *error_r (a store error, or a message compose refuses: a bad Cc).
 */
int reply_queue(struct store *st, const struct config *cfg, const struct identity *id,
		struct store_case *c, const struct reply_input *in, time_t now,
		long long *msg_id_r, char **error_r);

#endif
