/*
 * verdict - what kind of traffic a message is, before anyone reads it.
 *
 *   ok      mail from a person, to be read
 *   bulk    marketing and other mass mail
 *   list    mail from a mailing list
 *   spam    what a spam filter (spamd, rspamd) or our rules call spam
 *   forged  a sender our own server saw fail authentication (DMARC, or
 *           SPF with no aligned DKIM pass)
 *
 * policy/traffic.c decides it for every message in intake, before the
 * rules classify it; the store keeps it per case (traffic, with the
 * reasons); doc/design.md, "Inbox hygiene", says what each one gets.
 */
#ifndef REDRESS_MODEL_VERDICT_H
#define REDRESS_MODEL_VERDICT_H

enum verdict {
	VERDICT_NONE = -1,      /* not judged: a held case, or one stored
				 * before verdicts were */
	VERDICT_OK,
	VERDICT_BULK,
	VERDICT_LIST,
	VERDICT_SPAM,
	VERDICT_FORGED,
};
#define VERDICT_COUNT 5

/* The values are in order of weight: when signals disagree, the highest
 * wins (a spam sent through a list is spam; a forged one is forged). */

/* "ok", "bulk", "list", "spam", "forged"; NULL if none. */
const char *verdict_name(enum verdict v);
/* The reverse: 0 and *v_r, or -1. */
int verdict_parse(const char *word, enum verdict *v_r);

#endif
