/*
 * intake - the one path every message takes, whatever brought it.
 *
 * fetch (IMAP), filter (stdin from a mail server) and ingest (files) all
 * hand raw bytes to intake_message, which, inside the caller's store
 * transaction: recognises a re-delivery (same content, trace headers
 * aside), parses, threads a reply into its case, classifies, starts the
 * SLA clock, decides whether an automatic reply may go (RFC 3834), and
 * queues the acknowledgement and the follow-up.  A message that cannot be
 * parsed is stored all the same, on a held case, with the reason.
 *
 * Callers: intake_new once, then for each message store_begin,
 * intake_message, store_commit (several messages may share one
 * transaction), then intake_free.  Errors from intake_message are store
 * errors: the transaction must be rolled back; store_temporary() says
 * whether retrying later may help.
 */
#ifndef REDRESS_INTAKE_H
#define REDRESS_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "policy/classify.h"

struct config;
struct identity;
struct store;
struct intake;

struct intake_source {
	const char *source;         /* "file:PATH", "filter", "imap:..." */
	const char *envelope_from;  /* SMTP MAIL FROM: "" null sender, NULL unknown */
	const char *envelope_to;
};

enum intake_outcome {
	INTAKE_NEW,        /* a new case */
	INTAKE_JOINED,     /* added to an existing case */
	INTAKE_DUPLICATE,  /* seen before: nothing stored */
	INTAKE_HELD,       /* stored on a held case: could not be read */
};

struct intake_result {
	enum intake_outcome outcome;
	long long case_id;
	long long msg_id;
	char note[256];    /* what happened, for logs: "ack queued", "no ack: ..." */
};

/*
 * Loads what intake needs (the rules) from cfg; borrows cfg (the SLA
 * policy, the settings), id (our addresses and key) and st, which must
 * outlive it.  one_message:
 * the caller will take in a single message (a delivery filter), so the
 * rules are neither JIT-compiled nor prefiltered: for one message, both
 * cost more to set up than they save (measured with callgrind).
 */
int intake_new(const struct config *cfg, const struct identity *id, struct store *st,
	       bool one_message, struct intake **in_r, char **error_r);
int intake_message(struct intake *in, const char *raw, size_t len,
		   const struct intake_source *src, time_t now,
		   struct intake_result *res, char **error_r);
/*
 * A message a transport knows of but could not get (an IMAP server's NO to
 * its fetch, or BODY[] NIL): stored, without content, on a held case with
 * reason, so that an operator sees it and nothing starts a clock or
 * sends an ack.  src->source must name it uniquely ("imap:BOX:UV:UID"):
 * the same source again is a duplicate.  Errors as intake_message.
 */
int intake_held(struct intake *in, const char *reason,
		const struct intake_source *src, time_t now,
		struct intake_result *res, char **error_r);
void intake_free(struct intake **in);
/*
 * Asks the [spam] scanners about raw now, before the caller opens its
 * transaction, so that no store lock is held while spamd or rspamd
 * think: the next intake_message of the same bytes (raw, len) uses the
 * answer.  A message stored already (a duplicate) is not sent.  Optional
 * (intake_message asks itself otherwise); the delivery filter, ingest and
 * fetch call it.  Never fails.
 */
void intake_prescan(struct intake *in, const char *raw, size_t len);

struct message;
/*
 * Why a parsed message is held, or NULL: message_parse's own problem, or
 * input that is no mail a person could act on -- a NUL byte in the header
 * block, no header field at all, or neither a sender (From, Reply-To,
 * Sender, Return-Path, the envelope) nor any words (subject, text,
 * attachment).  raw and len are the bytes m was parsed from; a pure
 * function, so that real but odd mail can be checked against it.
 */
const char *intake_unreadable(const struct message *m, const char *raw, size_t len,
			      const char *envelope_from);

/*
 * What the rules see of a parsed message, the same for intake, "classify"
 * and "rules train" (so that what is learned and tried is what runs): the
 * subject, the fresh text (message_fresh_text), the sender as
 * "Name <addr>" (or the address, or the name; redress-rules(5)) and the
 * headers.  in borrows from m and from the strings the struct owns;
 * intake_rules_input_free releases those.
 */
struct intake_rules_input {
	struct classify_input in;
	char *fresh, *from;
};
void intake_rules_input(struct intake_rules_input *ri, const struct message *m);
void intake_rules_input_free(struct intake_rules_input *ri);

#endif
