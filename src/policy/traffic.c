/*
 * NAME
 *	traffic - the traffic verdict of a message: ok, bulk, list, spam,
 *	forged
 * DESCRIPTION
 *	See traffic.h.  Each signal is a small function of the parsed
 *	header; traffic_judge asks them all, so that the reasons name every
 *	signal that fired, not only the one that decided.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/addr.h"
#include "mail/authres.h"
#include "mail/message.h"
#include "policy/classify.h"
#include "policy/spamwords.h"
#include "policy/traffic.h"

void
traffic_init(struct traffic *t)
{
	memset(t, 0, sizeof(*t));
	t->verdict = VERDICT_OK;
}

void
traffic_clear(struct traffic *t)
{
	for (size_t i = 0; i < t->n_reasons; i++)
		free(t->reasons[i]);
	traffic_init(t);
}

bool
traffic_quarantines(enum verdict v)
{
	return v == VERDICT_SPAM || v == VERDICT_FORGED;
}

void
traffic_add(struct traffic *t, enum verdict v, const char *what)
{
	char r[TRAFFIC_MAX_REASON];

	if (v != VERDICT_NONE && v > t->verdict)
		t->verdict = v;
	if (t->n_reasons >= TRAFFIC_MAX_REASONS)
		return;
	if (v != VERDICT_NONE)
		snprintf(r, sizeof(r), "%s: %s", verdict_name(v), what);
	else
		snprintf(r, sizeof(r), "%s", what);
	/* The values are valid UTF-8, but a cut (here or by a caller's
	 * "%.160s") may split a sequence: such bytes become '?', so that
	 * the reasons stay valid UTF-8 and valid JSON. */
	for (size_t i = 0, n = strlen(r); i < n;) {
		size_t k = utf8_seq((const unsigned char *)r + i, n - i);

		if (k == 0) {
			r[i++] = '?';
			continue;
		}
		i += k;
	}
	t->reasons[t->n_reasons++] = xstrdup(r);
}

static void
traffic_addf(struct traffic *t, enum verdict v, const char *what, const char *value)
{
	char r[TRAFFIC_MAX_REASON];

	if (value != NULL)
		snprintf(r, sizeof(r), "%s: %.160s", what, value);
	else
		snprintf(r, sizeof(r), "%s", what);
	traffic_add(t, v, r);
}

/* The first word of a value, lower case, into w (size n). */
static void
traffic_word(const char *v, char *w, size_t n)
{
	size_t i = 0;

	while (isspace((unsigned char)*v))
		v++;
	for (; *v != '\0' && i + 1 < n; v++) {
		if (isspace((unsigned char)*v) || *v == ',' || *v == ';' || *v == '(')
			break;
		w[i++] = (char)tolower((unsigned char)*v);
	}
	w[i] = '\0';
}

/* ------------------------------------------------------------- forged */

static void
traffic_forged(const struct message *m, const struct traffic_options *o, struct traffic *t)
{
	char id[128];
	const char *how;
	char *domain;

	if (o->authserv_id == NULL || *o->authserv_id == '\0' || m->from.addr == NULL)
		return;
	domain = addr_domain(m->from.addr);
	if (domain == NULL)
		return;
	if (authres_forged((const char *const *)m->auth_results, m->n_auth_results,
			   o->authserv_id, domain, &how, id, sizeof(id))) {
		char r[TRAFFIC_MAX_REASON];

		snprintf(r, sizeof(r), "%s=%s (Authentication-Results of %s)", how, domain, id);
		traffic_add(t, VERDICT_FORGED, r);
	}
	free(domain);
}

/* ------------------------------------------------ upstream spam filters */

/* An upstream verdict of spam in field name with value v: 1 spam, 0 not. */
static int
traffic_upstream_says(const char *name, const char *v)
{
	char w[32];

	traffic_word(v, w, sizeof(w));
	if (strcasecmp(name, "X-Spam-Flag") == 0 || strcasecmp(name, "X-Spam") == 0)
		return strcmp(w, "yes") == 0 || strcmp(w, "true") == 0;
	if (strcasecmp(name, "X-Spam-Status") == 0)
		return strcmp(w, "yes") == 0;
	if (strcasecmp(name, "X-Rspamd-Action") == 0) {
		while (isspace((unsigned char)*v))
			v++;
		return strcasecmp(v, "reject") == 0 || strcasecmp(v, "add header") == 0 ||
		       strcasecmp(v, "rewrite subject") == 0;
	}
	if (strcasecmp(name, "X-Spamd-Result") == 0) {
		/* "default: True [15.20 / 15.00]; SYMBOL(1.0)[...]..." */
		const char *p = strchr(v, ':');

		if (p == NULL)
			return 0;
		traffic_word(p + 1, w, sizeof(w));
		return strcmp(w, "true") == 0;
	}
	return 0;
}

static void
traffic_upstream(const struct message *m, const struct traffic_options *o, struct traffic *t)
{
	static const char *const fields[] = {
		"X-Spam-Flag", "X-Spam-Status", "X-Spam", "X-Rspamd-Action", "X-Spamd-Result",
	};
	char r[TRAFFIC_MAX_REASON];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* The topmost one: our server's filter adds its field above
		 * whatever the sender wrote. */
		const char *v = message_header(m, fields[i]);

		if (v == NULL || !traffic_upstream_says(fields[i], v))
			continue;
		if (o->trust_headers) {
			snprintf(r, sizeof(r), "%s: %.120s (trusted: [spam] trust_headers)",
				 fields[i], v);
			traffic_add(t, VERDICT_SPAM, r);
		} else {
			snprintf(r, sizeof(r), "ignored: %s: %.120s ([spam] trust_headers is no: "
				 "a sender can write it)", fields[i], v);
			traffic_add(t, VERDICT_NONE, r);
		}
	}
}

/* ------------------------------------------------------ list and bulk */

/* The lower-cased local part of addr without "+detail", or false. */
static bool
traffic_local(const char *addr, char out[ADDR_MAX])
{
	char *at;

	if (addr == NULL || !addr_bare(addr, ADDR_LOOSE, out))
		return false;
	at = strrchr(out, '@');
	if (at == NULL)
		return false;
	*at = '\0';
	out[strcspn(out, "+")] = '\0';
	return out[0] != '\0';
}

static bool
traffic_delim(char c)
{
	return c == '\0' || c == '-' || c == '.' || c == '_';
}

/* word occurs in local as a whole word, delimited by '-', '.', '_' or
 * the ends ("noreply-alerts", "github.noreply"; not "newsome"). */
static bool
traffic_has_word(const char *local, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = local; (p = strstr(p, word)) != NULL; p++)
		if ((p == local || traffic_delim(p[-1])) && traffic_delim(p[wl]))
			return true;
	return false;
}

static const char *
traffic_list_local(const char *addr)
{
	char l[ADDR_MAX];
	size_t n;

	if (!traffic_local(addr, l))
		return NULL;
	n = strlen(l);
	if (strncmp(l, "owner-", 6) == 0)
		return "owner-*";
	if (n > 8 && strcmp(l + n - 8, "-request") == 0)
		return "*-request";
	return NULL;
}

static const char *
traffic_unattended(const char *addr)
{
	static const char *const words[] = {
		"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
		"do_not_reply", "newsletter", "newsletters", "rss", "feeds",
		"rssfeeds", "digest", "notification", "notifications", "alerts",
		"announce", "announcements", "mailer", "updates",
	};
	char l[ADDR_MAX];

	if (!traffic_local(addr, l))
		return NULL;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (traffic_has_word(l, words[i]))
			return words[i];
	return NULL;
}

/* A reply or forward prefix at s ("Re:", "Fwd:", "AW:", "Re[2]:", ...):
 * its length with the blanks after it, or 0. */
static size_t
traffic_reply_prefix(const char *s)
{
	static const char *const words[] = {
		"re", "fwd", "fw", "aw", "sv", "vs", "antw", "wg", "tr", "rif", "r",
	};
	size_t n = 0;

	while (isalpha((unsigned char)s[n]))
		n++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t k = n;

		if (strlen(words[i]) != n || strncasecmp(s, words[i], n) != 0)
			continue;
		if (s[k] == '[') {	/* "Re[2]:" */
			k++;
			while (isdigit((unsigned char)s[k]))
				k++;
			if (s[k] != ']')
				return 0;
			k++;
		}
		if (s[k] != ':')
			return 0;
		k++;
		return k + strspn(s + k, " \t");
	}
	return 0;
}

/* The name a mailing list puts in front of its posts' subjects, as
 * Mailman's subject_prefix does ("[Spambayes] ...", "Re: [SAtalk] ..."):
 * copied into tag, or false.  A name is 2 to 40 letters, digits, '-',
 * '_', '.' and '+', begins with a letter and has a small letter: the
 * shouted tags that mail gateways and people put there ("[EXTERNAL]",
 * "[URGENT]") are not list names, nor is a tag with a blank in it (our
 * own "[case 000123]", "[Order 1234]").  The words below are what people
 * and gateways write in the same place in any case. */
static bool
traffic_subject_tag(const char *subject, char tag[48])
{
	static const char *const not_lists[] = {
		"action", "alert", "attention", "bug", "caution", "closed", "complaint",
		"complaints", "confidential", "draft", "encrypt", "encrypted",
		"escalated", "escalation", "ext", "extern", "external", "externe",
		"feedback", "fw", "fwd", "fyi", "help", "important", "info",
		"issue", "marketing", "notice", "personal", "phishing", "private",
		"question", "reminder", "reopened", "request", "resolved",
		"secure", "sensitive", "solved", "spam", "suspicious", "test",
		"ticket", "update", "urgent", "warning",
	};
	const char *s = subject;
	size_t n, k;
	bool small = false;

	if (s == NULL)
		return false;
	s += strspn(s, " \t");
	while ((k = traffic_reply_prefix(s)) > 0)
		s += k;
	if (*s++ != '[' || !isalpha((unsigned char)*s))
		return false;
	for (n = 0; s[n] != ']'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= 40 || !(isalnum(c) || c == '-' || c == '_' || c == '.' || c == '+'))
			return false;
		small |= islower(c) != 0;
	}
	if (n < 2 || !small)
		return false;
	memcpy(tag, s, n);
	tag[n] = '\0';
	for (size_t i = 0; i < sizeof(not_lists) / sizeof(not_lists[0]); i++)
		if (strcasecmp(tag, not_lists[i]) == 0)
			return false;
	return true;
}

static void
traffic_list(const struct message *m, const char *envelope_from, struct traffic *t)
{
	static const char *const list_fields[] = {
		"List-Id", "List-Post", "List-Help", "List-Subscribe", "List-Owner",
		"List-Archive", "X-BeenThere", "X-Mailman-Version", "Mailing-List",
		"X-Mailing-List",
	};
	static const char *const bulk_fields[] = {
		"Feedback-ID", "X-CSA-Complaints", "X-MC-User", "X-SFMC-Stack", "X-Campaign",
		"X-Campaign-Id", "X-CampaignID", "X-Mailin-Campaign",
	};
	static const char *const bulk_mailers[] = {
		"mailchimp", "sendinblue", "brevo", "constant contact", "campaign monitor",
		"klaviyo", "hubspot", "exacttarget", "mailjet", "getresponse", "aweber",
		"phplist", "acumbamail", "mailerlite", "emarsys", "cheetahmail",
	};
	const char *senders[3] = { envelope_from, m->return_path, message_header(m, "Sender") };
	const char *v, *w;
	bool list = false;
	char r[TRAFFIC_MAX_REASON], p[32], tag[48];

	for (size_t i = 0; i < sizeof(list_fields) / sizeof(list_fields[0]); i++) {
		if ((v = message_header(m, list_fields[i])) != NULL) {
			traffic_addf(t, VERDICT_LIST, list_fields[i], v);
			list = true;
			break;   /* one is enough to say so; Mailman adds six */
		}
	}
	for (size_t i = 0; i < m->n_headers; i++) {
		if (strcasecmp(m->headers[i].name, "Precedence") != 0)
			continue;
		traffic_word(m->headers[i].value, p, sizeof(p));
		if (strcmp(p, "list") == 0)
			traffic_addf(t, VERDICT_LIST, "Precedence", p);
		else if (strcmp(p, "bulk") == 0 || strcmp(p, "junk") == 0)
			traffic_addf(t, VERDICT_BULK, "Precedence", p);
		break;
	}
	for (size_t i = 0; i < 3; i++) {
		if (senders[i] != NULL && (w = traffic_list_local(senders[i])) != NULL) {
			snprintf(r, sizeof(r), "%s %.160s is a list's address (%s)",
				 i == 2 ? "Sender" : "envelope sender", senders[i], w);
			traffic_add(t, VERDICT_LIST, r);
			break;
		}
	}
	if (!list && traffic_subject_tag(m->subject, tag)) {
		snprintf(r, sizeof(r), "subject tag [%s] of a list", tag);
		traffic_add(t, VERDICT_LIST, r);
		list = true;
	}
	if (!list) {
		if ((v = message_header(m, "List-Unsubscribe")) != NULL ||
		    (v = message_header(m, "List-Unsubscribe-Post")) != NULL)
			traffic_addf(t, VERDICT_BULK, "List-Unsubscribe without a list (a newsletter)",
				     NULL);
	}
	for (size_t i = 0; i < sizeof(bulk_fields) / sizeof(bulk_fields[0]); i++)
		if ((v = message_header(m, bulk_fields[i])) != NULL)
			traffic_addf(t, VERDICT_BULK, bulk_fields[i], v);
	for (size_t i = 0; i < m->n_headers; i++)
		if (strncasecmp(m->headers[i].name, "X-Mailchimp-", 12) == 0) {
			traffic_addf(t, VERDICT_BULK, m->headers[i].name, "(Mailchimp)");
			break;
		}
	if ((v = message_header(m, "X-Mailer")) != NULL) {
		char low[128];
		size_t n = 0;

		for (; v[n] != '\0' && n + 1 < sizeof(low); n++)
			low[n] = (char)tolower((unsigned char)v[n]);
		low[n] = '\0';
		for (size_t i = 0; i < sizeof(bulk_mailers) / sizeof(bulk_mailers[0]); i++)
			if (strstr(low, bulk_mailers[i]) != NULL) {
				traffic_addf(t, VERDICT_BULK, "X-Mailer of a marketing service",
					     v);
				break;
			}
	}
	/* The conversation address, as autoreply reads it: a web form that
	 * sends as noreply@ with the customer in Reply-To is a customer. */
	v = m->reply_to.addr != NULL && *m->reply_to.addr != '\0' ? m->reply_to.addr
	    : m->from.addr;
	if ((w = traffic_unattended(v)) != NULL) {
		snprintf(r, sizeof(r), "unattended sender %.160s (\"%s\")", v, w);
		traffic_add(t, VERDICT_BULK, r);
	}
}

void
traffic_judge(const struct message *m, const char *envelope_from,
	      const struct traffic_options *o, struct traffic *t)
{
	traffic_forged(m, o, t);
	traffic_upstream(m, o, t);
	traffic_list(m, envelope_from, t);
}

void
traffic_add_rules(struct traffic *t, const struct classify_result *cr)
{
	struct buf b;
	double score = 0;
	size_t n = 0;

	if (cr->outcome != OUTCOME_SPAM)
		return;
	for (size_t i = 0; i < cr->n_scores; i++)
		if (strcmp(cr->scores[i].category, cr->category) == 0)
			score = cr->scores[i].score;
	buf_init(&b, TRAFFIC_MAX_REASON);
	buf_printf(&b, "rules, category %s (score %g):", cr->category, score);
	for (size_t i = 0; i < cr->n_hits; i++)
		if (strcmp(cr->hits[i].target, cr->category) == 0)
			buf_printf(&b, "%s %s", n++ > 0 ? "," : "", cr->hits[i].rule);
	traffic_add(t, VERDICT_SPAM, buf_str(&b));
	buf_free(&b);
}

long
traffic_words_judge(const struct classify_result *cr, bool automatic, long min_percent)
{
	if (automatic)
		return 0;
	if ((cr->outcome == OUTCOME_PRAISE || cr->outcome == OUTCOME_QUESTION) && !cr->unrecognised)
		return min_percent > TRAFFIC_WORDS_THANKS ? min_percent : TRAFFIC_WORDS_THANKS;
	return min_percent;
}

double
traffic_add_words(struct traffic *t, const struct spamwords *sw, const struct classify_input *in,
		  long min_percent, bool always)
{
	struct spamwords_clue clues[TRAFFIC_WORD_CLUES];
	size_t n = 0;
	double score = spamwords_score(sw, in->subject, in->body, in->body_len, clues,
				       TRAFFIC_WORD_CLUES, &n);
	bool judge = min_percent > 0;
	bool spam = judge && score * 100.0 >= (double)min_percent;
	struct buf b;

	if (!spam && !always)
		return score;
	buf_init(&b, TRAFFIC_MAX_REASON);
	if (judge)
		buf_printf(&b, "words, score %.3f (spam from %.2f)", score,
			   (double)min_percent / 100.0);
	else
		buf_printf(&b, "words, score %.3f (not judged: automatic mail)", score);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s %s", i == 0 ? ":" : ",", clues[i].word);
	traffic_add(t, spam ? VERDICT_SPAM : VERDICT_NONE, buf_str(&b));
	buf_free(&b);
	return score;
}

void
traffic_reasons_json(const struct traffic *t, struct buf *b)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < t->n_reasons; i++) {
		if (i > 0)
			buf_putc(b, ',');
		json_str(b, t->reasons[i]);
	}
	buf_putc(b, ']');
}

char *
traffic_reasons_json_new(const struct traffic *t)
{
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	traffic_reasons_json(t, &b);
	return buf_steal(&b, NULL);
}
