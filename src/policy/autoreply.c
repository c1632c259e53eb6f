/*
 * autoreply - the loop guard.  See autoreply.h for the rules and why.
 *
 * Everything here works on fixed-size stack copies of header values and
 * addresses (caps below): a hostile header cannot make us allocate, and a
 * value longer than the cap is judged on its first part, which is where
 * every keyword we look for sits.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/addr.h"
#include "policy/autoreply.h"

#define VALUE_MAX 256    /* how much of a header value we look at */

/* Iterates over the top-level headers called name (case-insensitive):
 * start with *i = 0; returns the next value or NULL. */
static const char *
header_next(const struct message *m, const char *name, size_t *i)
{
	for (; *i < m->n_headers; (*i)++) {
		const struct message_header *h = &m->headers[*i];

		if (h->name != NULL && strcasecmp(h->name, name) == 0) {
			(*i)++;
			return h->value != NULL ? h->value : "";
		}
	}
	return NULL;
}

static bool
header_present(const struct message *m, const char *name)
{
	size_t i = 0;

	return header_next(m, name, &i) != NULL;
}

/* Copies at most VALUE_MAX-1 bytes of s into out, lower-cased, with
 * RFC 5322 comments "(...)" removed. */
static void
value_fold(const char *s, char out[VALUE_MAX])
{
	size_t n = 0;
	int depth = 0;

	for (; *s != '\0' && n < VALUE_MAX - 1; s++) {
		if (*s == '(') {
			depth++;
			continue;
		}
		if (*s == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (depth == 0)
			out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
}

/* Cuts s at the first of stop and trims white space at both ends. */
static char *
value_token(char *s, const char *stop)
{
	char *e;

	s[strcspn(s, stop)] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static bool
addr_eq(const char *a, const char *b)
{
	char x[ADDR_MAX], y[ADDR_MAX];

	return addr_bare(a, ADDR_LOOSE, x) && addr_bare(b, ADDR_LOOSE, y) && strcmp(x, y) == 0;
}

/* The lower-cased local part of addr without "+detail"; the whole thing
 * when there is no '@' (Postfix writes the null sender as MAILER-DAEMON). */
static bool
addr_local(const char *addr, char out[ADDR_MAX])
{
	char *at;

	if (!addr_bare(addr, ADDR_LOOSE, out))
		return false;
	at = strrchr(out, '@');
	if (at != NULL)
		*at = '\0';
	out[strcspn(out, "+")] = '\0';
	return out[0] != '\0';
}

static bool
is_null_sender(const char *env)
{
	return env != NULL && (env[0] == '\0' || strcmp(env, "<>") == 0);
}

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The envelope sender as given, else Return-Path. */
static const char *
envelope(const struct message *m, const char *envelope_sender)
{
	return envelope_sender != NULL ? envelope_sender : m->return_path;
}

static bool
delim(char c)
{
	return c == '\0' || c == '-' || c == '.' || c == '_';
}

/* True when word occurs in local as a whole word (see autoreply.h). */
static bool
has_word(const char *local, const char *word)
{
	size_t wl = strlen(word);
	const char *p = local;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == local || delim(p[-1])) && delim(p[wl]))
			return true;
		p++;
	}
	return false;
}

static const char *
bounce_local(const char *addr)
{
	char l[ADDR_MAX];

	if (!addr_local(addr, l))
		return NULL;
	if (strcmp(l, "mailer-daemon") == 0)
		return "sender is mailer-daemon (bounce)";
	if (strcmp(l, "postmaster") == 0)
		return "sender is postmaster (bounce)";
	return NULL;
}

static const char *
list_local(const char *addr)
{
	char l[ADDR_MAX];
	size_t n;

	if (!addr_local(addr, l))
		return NULL;
	n = strlen(l);
	if (strncmp(l, "bounce", 6) == 0)
		return "sender looks unattended (bounce*)";
	if (strncmp(l, "owner-", 6) == 0)
		return "sender looks unattended (owner-*)";
	if (n > 8 && strcmp(l + n - 8, "-request") == 0)
		return "sender looks unattended (*-request)";
	return NULL;
}

static const char *
noreply_local(const char *addr)
{
	static const char *const words[] = {
		"noreply", "no-reply", "no_reply",
		"donotreply", "do-not-reply", "do_not_reply",
	};
	char l[ADDR_MAX];
	size_t i;

	if (!addr_local(addr, l))
		return NULL;
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (has_word(l, words[i]))
			return "sender looks unattended (noreply)";
	return NULL;
}

static const char *
auto_submitted(const struct message *m)
{
	char buf[VALUE_MAX];
	const char *v;
	size_t i = 0;

	while ((v = header_next(m, "Auto-Submitted", &i)) != NULL) {
		char *t;

		value_fold(v, buf);
		t = value_token(buf, ";");
		if (strcmp(t, "no") == 0)
			continue;
		if (strcmp(t, "auto-replied") == 0)
			return "Auto-Submitted: auto-replied (RFC 3834)";
		if (strcmp(t, "auto-generated") == 0)
			return "Auto-Submitted: auto-generated (RFC 3834)";
		if (strcmp(t, "auto-notified") == 0)
			return "Auto-Submitted: auto-notified (RFC 3834)";
		return "Auto-Submitted: not \"no\" (RFC 3834)";
	}
	return NULL;
}

static const char *
report(const struct message *m)
{
	const char *rt = m->report_type != NULL ? m->report_type : "";

	if (m->content_type == NULL
	    || strcasecmp(m->content_type, "multipart/report") != 0)
		return NULL;
	if (strcasecmp(rt, "delivery-status") == 0)
		return "delivery status report";
	if (strcasecmp(rt, "disposition-notification") == 0)
		return "read receipt (disposition-notification report)";
	return "machine report (multipart/report)";
}

static const char *
precedence(const struct message *m)
{
	char buf[VALUE_MAX];
	const char *v;
	size_t i = 0;

	while ((v = header_next(m, "Precedence", &i)) != NULL) {
		char *t;

		value_fold(v, buf);
		t = value_token(buf, "; \t,");
		if (strcmp(t, "bulk") == 0)
			return "Precedence: bulk";
		if (strcmp(t, "list") == 0)
			return "Precedence: list";
		if (strcmp(t, "junk") == 0)
			return "Precedence: junk";
		if (strcmp(t, "auto_reply") == 0)
			return "Precedence: auto_reply";
	}
	return NULL;
}

static const char *
suppress(const struct message *m)
{
	static const char *const seps = ", \t;";
	char buf[VALUE_MAX];
	const char *v;
	size_t i = 0;

	while ((v = header_next(m, "X-Auto-Response-Suppress", &i)) != NULL) {
		const char *t = buf;

		value_fold(v, buf);
		while (*t != '\0') {
			size_t n = strcspn(t, seps);

			if (n == 3 && strncmp(t, "all", n) == 0)
				return "X-Auto-Response-Suppress: All";
			if (n == 9 && strncmp(t, "autoreply", n) == 0)
				return "X-Auto-Response-Suppress: AutoReply";
			if (n == 3 && strncmp(t, "oof", n) == 0)
				return "X-Auto-Response-Suppress: OOF";
			t += n;
			t += strspn(t, seps);
		}
	}
	return NULL;
}

static bool
addr_char(char c)
{
	return isalnum((unsigned char)c) || strchr("._%+-@", c) != NULL;
}

/* True when an X-Loop header names our value as a whole address. */
static bool
x_loop_ours(const struct message *m, const char *x_loop)
{
	char ours[ADDR_MAX], buf[VALUE_MAX];
	const char *v;
	size_t i = 0, n;

	if (!addr_bare(x_loop, ADDR_LOOSE, ours))
		return false;
	n = strlen(ours);
	while ((v = header_next(m, "X-Loop", &i)) != NULL) {
		const char *p;

		value_fold(v, buf);
		for (p = buf; (p = strstr(p, ours)) != NULL; p++)
			if ((p == buf || !addr_char(p[-1])) && !addr_char(p[n]))
				return true;
	}
	return false;
}

/* True when id ends in "@domain" (case-insensitive). */
static bool
id_in_domain(const char *id, const char *domain)
{
	const char *at;

	if (id == NULL)
		return false;
	at = strrchr(id, '@');
	return at != NULL && strcasecmp(at + 1, domain) == 0;
}

static bool
replies_to_us(const struct message *m, const char *domain)
{
	size_t i;

	if (nonempty(domain) == NULL)
		return false;
	for (i = 0; i < m->n_in_reply_to; i++)
		if (id_in_domain(m->in_reply_to[i], domain))
			return true;
	for (i = 0; i < m->n_references; i++)
		if (id_in_domain(m->references[i], domain))
			return true;
	return false;
}

/* Subjects of out-of-office replies and bounces in the common languages;
 * a weak sign, used only together with replies_to_us. */
static bool
subject_automatic(const char *subject)
{
	static const char *const signs[] = {
		"automatic reply", "auto-reply", "autoreply", "auto reply",
		"auto:", "out of office", "out of the office",
		"automatische antwort", "abwesenheitsnotiz", "abwesend",
		"r\xc3\xa9ponse automatique", "reponse automatique",
		"respuesta autom\xc3\xa1tica", "respuesta automatica",
		"risposta automatica", "automatisch antwoord", "afwezig",
		"autosvar", "undeliverable", "undelivered mail",
		"delivery status notification", "mail delivery fail",
		"delivery failure", "returned mail", "failure notice",
	};
	size_t i;

	if (subject == NULL)
		return false;
	for (i = 0; i < sizeof signs / sizeof signs[0]; i++)
		if (strcasestr(subject, signs[i]) != NULL)
			return true;
	return false;
}

/* The conversation address: Reply-To if present, else From. */
static const char *
conversation(const struct message *m, const char **used_r)
{
	if (nonempty(m->reply_to.addr) != NULL) {
		*used_r = "reply-to";
		return m->reply_to.addr;
	}
	if (nonempty(m->from.addr) != NULL) {
		*used_r = "from";
		return m->from.addr;
	}
	*used_r = NULL;
	return NULL;
}

static const char *
automatic(const struct message *m, const char *envelope_sender,
	  const struct autoreply_policy *p)
{
	static const char *const list_headers[][2] = {
		{ "List-Id", "mailing list (List-Id)" },
		{ "List-Unsubscribe", "mailing list (List-Unsubscribe)" },
		{ "List-Post", "mailing list (List-Post)" },
		{ "X-Autoreply", "X-Autoreply header" },
		{ "X-Autorespond", "X-Autorespond header" },
		{ "X-Autogenerated", "X-Autogenerated header" },
		{ "X-Mail-Autoreply", "X-Mail-Autoreply header" },
		{ "X-Failed-Recipients", "bounce (X-Failed-Recipients)" },
	};
	const char *env = envelope(m, envelope_sender);
	const char *senders[3];
	const char *r, *used;
	size_t i;

	if (is_null_sender(env))
		return "null envelope sender (bounce)";
	if ((r = auto_submitted(m)) != NULL)
		return r;
	if ((r = report(m)) != NULL)
		return r;
	senders[0] = nonempty(env);
	senders[1] = nonempty(m->from.addr);
	senders[2] = nonempty(m->reply_to.addr);
	for (i = 0; i < 3; i++)
		if ((r = bounce_local(senders[i])) != NULL)
			return r;
	if ((r = precedence(m)) != NULL)
		return r;
	for (i = 0; i < sizeof list_headers / sizeof list_headers[0]; i++)
		if (header_present(m, list_headers[i][0]))
			return list_headers[i][1];
	if ((r = suppress(m)) != NULL)
		return r;
	if (p != NULL && nonempty(p->x_loop) != NULL
	    && x_loop_ours(m, p->x_loop))
		return "X-Loop names us";
	if (p != NULL && replies_to_us(m, p->own_domain)
	    && subject_automatic(m->subject))
		return "automatic answer to our own mail (In-Reply-To and subject)";
	for (i = 0; i < 3; i++)
		if ((r = list_local(senders[i])) != NULL)
			return r;
	if ((r = noreply_local(conversation(m, &used))) != NULL)
		return r;
	return NULL;
}

bool
autoreply_is_automatic_for(const struct message *m,
			   const char *envelope_sender,
			   const struct autoreply_policy *p,
			   const char **reason_r)
{
	const char *r = automatic(m, envelope_sender, p);

	if (reason_r != NULL)
		*reason_r = r;
	return r != NULL;
}

bool
autoreply_is_automatic(const struct message *m, const char *envelope_sender,
		       const char **reason_r)
{
	return autoreply_is_automatic_for(m, envelope_sender, NULL, reason_r);
}

static bool
own_address(const struct message *m, const char *env,
	    const struct autoreply_policy *p)
{
	const char *senders[3] = { nonempty(env), nonempty(m->from.addr),
				   nonempty(m->reply_to.addr) };
	size_t i, k;

	if (p == NULL || p->own_addresses == NULL)
		return false;
	for (k = 0; k < p->n_own; k++)
		for (i = 0; i < 3; i++)
			if (senders[i] != NULL && p->own_addresses[k] != NULL
			    && addr_eq(senders[i], p->own_addresses[k]))
				return true;
	return false;
}

static _Thread_local char rate_reason[80];

bool
autoreply_allowed(const struct message *m, const char *envelope_sender,
		  const struct autoreply_policy *p,
		  const struct autoreply_history *h, const char **reason_r)
{
	const char *r = automatic(m, envelope_sender, p);

	if (r == NULL && own_address(m, envelope(m, envelope_sender), p))
		r = "our own address";
	if (r == NULL && autoreply_recipient(m, envelope_sender, NULL, NULL)
			     == NULL)
		r = "no sender address";
	if (r == NULL && p != NULL && h != NULL) {
		if (p->per_hour > 0 && h->sent_last_hour >= p->per_hour) {
			snprintf(rate_reason, sizeof rate_reason,
				 "rate limit: %ld per hour per sender",
				 p->per_hour);
			r = rate_reason;
		} else if (p->per_day > 0 && h->sent_last_day >= p->per_day) {
			snprintf(rate_reason, sizeof rate_reason,
				 "rate limit: %ld per day per sender",
				 p->per_day);
			r = rate_reason;
		} else if (p->per_domain_hour > 0 &&
			   h->domain_last_hour >= p->per_domain_hour) {
			snprintf(rate_reason, sizeof rate_reason,
				 "rate limit: %ld per hour to one domain",
				 p->per_domain_hour);
			r = rate_reason;
		}
	}
	if (reason_r != NULL)
		*reason_r = r;
	return r == NULL;
}

bool
autoreply_domain_capped(const struct autoreply_policy *p, const char *domain)
{
	static const char seps[] = ", \t;\r\n";
	size_t dl;

	if (p == NULL || p->per_domain_hour <= 0 || domain == NULL)
		return false;
	if (p->big_domains == NULL)
		return true;
	dl = strlen(domain);
	for (const char *b = p->big_domains + strspn(p->big_domains, seps); *b != '\0';
	     b += strspn(b, seps)) {
		size_t n = strcspn(b, seps);

		if (n == dl && strncasecmp(b, domain, n) == 0)
			return false;
		b += n;
	}
	return true;
}

const char *
autoreply_recipient(const struct message *m, const char *envelope_sender,
		    bool prefer_envelope, const char **used_r)
{
	const char *env = envelope(m, envelope_sender);
	const char *conv, *used, *r;

	conv = conversation(m, &used);
	if (is_null_sender(env)) {
		r = NULL;
		used = NULL;
	} else if (nonempty(env) == NULL) {
		r = conv;
	} else if (conv == NULL || addr_eq(env, conv)
		   || prefer_envelope) {
		r = env;
		used = "envelope";
	} else {
		r = conv;
	}
	if (used_r != NULL)
		*used_r = used;
	return r;
}
