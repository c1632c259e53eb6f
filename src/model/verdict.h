/*
 * verdict - what kind of traffic a message is, before anyone reads it.
 *
 *   ok      mail from a person, to be read
 *   bulk    marketing and other mass mail
 *   list    mail from a mailing list
 *   spam    what a spam filter (spamd, rspamd) or our rules call spam
 *   forged  a sender our own server saw fail authentication (DMARC)
 *
 * Defined here, with its names, before the module that decides it (issue
 * 13: the traffic verdict, with spamd and rspamd clients) and before the
 * store keeps it, so that every layer spells it one way.  Nothing uses it
 * yet.
 */
#ifndef REDRESS_MODEL_VERDICT_H
#define REDRESS_MODEL_VERDICT_H

enum verdict {
	VERDICT_OK,
	VERDICT_BULK,
	VERDICT_LIST,
	VERDICT_SPAM,
	VERDICT_FORGED,
};
#define VERDICT_COUNT 5

/* "ok", "bulk", "list", "spam", "forged"; NULL if none. */
const char *verdict_name(enum verdict v);
/* The reverse: 0 and *v_r, or -1. */
int verdict_parse(const char *word, enum verdict *v_r);

#endif
