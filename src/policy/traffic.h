/*
 * traffic - what kind of traffic a message is (model/verdict.h), and why:
 * the hygiene every message goes through in intake before the rules
 * classify it (doc/design.md, "Inbox hygiene").
 *
 * Only ok mail is answered, clocked, counted as a repeat, followed up or
 * escalated.  The signals, each of which adds a reason "VERDICT: what":
 *
 *   forged  our own server's Authentication-Results ([spam] authserv_id,
 *           authres.h): dmarc=fail for the From domain, or spf=fail for
 *           it with no aligned dkim=pass;
 *   spam    an upstream filter's verdict in the header, only with
 *           [spam] trust_headers = yes (a sender can write these fields
 *           too): SpamAssassin's X-Spam-Flag: YES or X-Spam-Status: Yes,
 *           rspamd's X-Spam: yes, X-Rspamd-Action (reject, add header,
 *           rewrite subject) or X-Spamd-Result "default: True"; without
 *           the setting such a field adds "ignored: ..." and counts for
 *           nothing;
 *           (the rules' spam outcome, the learned words of [spam] words
 *           (spamwords.h, traffic_add_words) and the spamd scanner add
 *           theirs through traffic_add: intake does all three);
 *   list    List-Id, List-Post, List-Help, List-Subscribe, List-Owner,
 *           List-Archive (RFC 2369, 2919), X-BeenThere and X-Mailman-
 *           Version (Mailman), Mailing-List (ezmlm), X-Mailing-List,
 *           Precedence: list, a sender or envelope sender owner-* or
 *           *-request; with none of these, a list's name in front of
 *           the subject ("[Spambayes] ...", Mailman's subject_prefix);
 *   bulk    Precedence: bulk or junk, List-Unsubscribe (or -Post) without
 *           any list field (a newsletter), Feedback-ID (the feedback
 *           loops of the big mailbox providers), the campaign headers of
 *           the marketing services (X-CSA-Complaints, X-MC-User,
 *           X-Mailchimp-*, X-SFMC-Stack, X-Campaign, X-Campaign-Id,
 *           X-CampaignID, X-Mailin-Campaign, X-Mailer of a known
 *           marketing service), and an unattended conversation address
 *           (Reply-To, else From) whose local part has one of the words
 *           noreply, no-reply, donotreply, do-not-reply, newsletter(s),
 *           rss, feeds, rssfeeds, digest, notification(s), alerts,
 *           announce(ments), mailer, updates (not news@ or marketing@:
 *           people read those, and write from them too).  The relays of
 *           transactional mail (Amazon SES, SendGrid, Mailgun headers)
 *           are no sign: web forms send customers' complaints through
 *           them.
 *
 * The verdict is the weightiest one any signal gave (verdict.h orders
 * them).  Not a signal: a message with no To and no Cc (a Bcc, or a list
 * archive's copy): people and tests write such mail to us too.  Pure
 * functions of the message and the options.
 */
#ifndef REDRESS_POLICY_TRAFFIC_H
#define REDRESS_POLICY_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "model/verdict.h"

struct classify_input;
struct classify_result;
struct message;
struct spamwords;

#define TRAFFIC_MAX_REASONS 24
#define TRAFFIC_MAX_REASON 240     /* bytes of one reason, cut there */

struct traffic_options {
	const char *authserv_id;   /* [spam] authserv_id: NULL or "": none */
	bool trust_headers;        /* [spam] trust_headers */
};

struct traffic {
	enum verdict verdict;      /* VERDICT_OK unless a signal said more */
	char *reasons[TRAFFIC_MAX_REASONS];   /* owned; further ones dropped */
	size_t n_reasons;
	bool scan_pending;         /* a scanner was down: the ack waits for
				    * a second try ([spam] wait) */
};

/* The reason intake gives a message whose scanner was down; the outbox
 * looks for it before the ack goes out, and scans again. */
#define TRAFFIC_UNSCANNED "unscanned: scanner unavailable"

void traffic_init(struct traffic *t);
void traffic_clear(struct traffic *t);
/* Judges m (envelope_from: the SMTP MAIL FROM, or NULL) into t (which
 * traffic_init made; reasons are added to what is there). */
void traffic_judge(const struct message *m, const char *envelope_from,
		   const struct traffic_options *o, struct traffic *t);
/* Adds a reason: "VERDICT: what" raising the verdict to v, or, with
 * VERDICT_NONE, "what" alone (a note that decides nothing). */
void traffic_add(struct traffic *t, enum verdict v, const char *what);
/* When the rules' result is of outcome spam, adds "spam: rules, category
 * C (score S): rule, rule...". */
void traffic_add_rules(struct traffic *t, const struct classify_result *cr);
/*
 * The words score, in percent, from which the words signal says spam for
 * a message the rules read as cr, given [spam] words_score min_percent:
 * min_percent for a complaint; at least TRAFFIC_WORDS_THANKS when they
 * read thanks or a question (outcome praise or question: the shipped
 * words learnt no such mail from people, and thank-you notes share many
 * words with spam: the written ones of bench/data/outcomes score up to
 * 0.96, spam read as thanks 0.99 and more); min_percent again when the
 * category is flagged unrecognised (the rules read nothing in it, so it
 * is judged as a complaint is); 0, not judged, for automatic mail (no one
 * answers it anyway).
 */
#define TRAFFIC_WORDS_THANKS 99
long traffic_words_judge(const struct classify_result *cr, bool automatic, long min_percent);
/*
 * The words signal (spamwords.h): scores the subject and body of in with
 * sw and, when min_percent > 0 (traffic_words_judge) and the score is at
 * least min_percent / 100, adds "spam: words, score S (spam from M): w1,
 * w2..." naming the words that leaned most towards spam; with always,
 * adds a note with the score when it is not spam.  Returns the score.
 */
#define TRAFFIC_WORD_CLUES 6
double traffic_add_words(struct traffic *t, const struct spamwords *sw,
			 const struct classify_input *in, long min_percent, bool always);
/* True for the verdicts that quarantine: spam, forged. */
bool traffic_quarantines(enum verdict v);
/* The reasons as a JSON array of strings, appended to b. */
void traffic_reasons_json(const struct traffic *t, struct buf *b);
/* The same, allocated. */
char *traffic_reasons_json_new(const struct traffic *t);

#endif
