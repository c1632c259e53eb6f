/*
 * t_autoreply - the loop guard, rule by rule, with near misses.
 *
 * Messages are built by hand from a table (struct message only; message.c
 * is not linked in): each row names the envelope, the addresses, the
 * headers as "Name: value" lines, and the exact verdict expected from
 * autoreply_allowed, autoreply_is_automatic and autoreply_is_automatic_for.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "policy/autoreply.h"
#include "tap.h"
#include "base/xmem.h"
#include "mail/addr.h"

#define MAX_HDR 6

/* What is_automatic says: NO; YES for both; POLICY only with the policy. */
enum autom { NO, YES, POLICY };

struct row {
	const char *name;
	const char *env;          /* NULL unknown */
	const char *return_path;
	const char *from;
	const char *reply_to;
	const char *subject;
	const char *headers[MAX_HDR];
	const char *content_type;
	const char *report_type;
	const char *in_reply_to;
	const char *reason;       /* NULL: allowed */
	enum autom autom;
};

static const char *const own[] = {
	"Acme Support <support@example.com>", "bounces@example.com",
	"escalate@example.com", NULL,
};

static const struct autoreply_policy policy = {
	.own_addresses = own, .n_own = 4,
	.own_domain = "mail.example.com",
	.x_loop = "support@example.com",
	.per_hour = 1, .per_day = 5,
};

#define C "alice@customer.org"

static const struct row rows[] = {
	/* the normal complaint, and variants that must stay allowed */
	{ "plain complaint", C, NULL, C, NULL, "My order is late", {0},
	  "text/plain", NULL, NULL, NULL, NO },
	{ "envelope unknown, no Return-Path", NULL, NULL, C, NULL, "late", {0},
	  NULL, NULL, NULL, NULL, NO },
	{ "envelope from Return-Path", NULL, C, C, NULL, "late", {0},
	  NULL, NULL, NULL, NULL, NO },
	{ "Auto-Submitted: no", C, NULL, C, NULL, "late",
	  { "Auto-Submitted: no" }, NULL, NULL, NULL, NULL, NO },
	{ "Auto-Submitted: No (comment)", C, NULL, C, NULL, "late",
	  { "Auto-Submitted:  No (typed by a person) " }, NULL, NULL, NULL,
	  NULL, NO },
	{ "Precedence: first-class", C, NULL, C, NULL, "late",
	  { "Precedence: first-class" }, NULL, NULL, NULL, NULL, NO },
	{ "Precedence: bulky is not bulk", C, NULL, C, NULL, "late",
	  { "Precedence: bulky" }, NULL, NULL, NULL, NULL, NO },
	{ "X-Auto-Response-Suppress: DR, RN", C, NULL, C, NULL, "late",
	  { "X-Auto-Response-Suppress: DR, RN, NRN" }, NULL, NULL, NULL,
	  NULL, NO },
	{ "X-Loop of someone else", C, NULL, C, NULL, "late",
	  { "X-Loop: helpdesk@customer.org" }, NULL, NULL, NULL, NULL, NO },
	{ "X-Loop with our address inside a longer one", C, NULL, C, NULL,
	  "late", { "X-Loop: xsupport@example.com, support@example.com.evil" },
	  NULL, NULL, NULL, NULL, NO },
	{ "noreplyjones is a person", "noreplyjones@x.com", NULL,
	  "noreplyjones@x.com", NULL, "late", {0}, NULL, NULL, NULL, NULL, NO },
	{ "request@ is not *-request", "request@x.com", NULL, "request@x.com",
	  NULL, "late", {0}, NULL, NULL, NULL, NULL, NO },
	{ "web form: From noreply, Reply-To the customer", "noreply@form.com",
	  NULL, "noreply@form.com", C, "complaint form", {0}, NULL, NULL, NULL,
	  NULL, NO },
	{ "multipart/mixed is not a report", C, NULL, C, NULL, "late", {0},
	  "multipart/mixed", NULL, NULL, NULL, NO },
	{ "reply to our ack, human subject", C, NULL, C, NULL,
	  "Re: [case 000001] still broken", {0}, NULL, NULL,
	  "redress.1.0123456789abcdef.0123456789abcdef@mail.example.com",
	  NULL, NO },
	{ "out-of-office subject without In-Reply-To", C, NULL, C, NULL,
	  "Out of office chair broke", {0}, NULL, NULL, NULL, NULL, NO },
	{ "auto subject, In-Reply-To someone else", C, NULL, C, NULL,
	  "Automatic reply: hello", {0}, NULL, NULL, "abc@other.org", NULL,
	  NO },
	{ "our address in another domain", "support@example.com.evil.org",
	  NULL, "support@example.com.evil.org", NULL, "hi", {0}, NULL, NULL,
	  NULL, NULL, NO },

	/* Auto-Submitted (RFC 3834 section 2) */
	{ "Auto-Submitted: auto-replied", C, NULL, C, NULL, "away",
	  { "Auto-Submitted: auto-replied" }, NULL, NULL, NULL,
	  "Auto-Submitted: auto-replied (RFC 3834)", YES },
	{ "Auto-Submitted: auto-generated; params", C, NULL, C, NULL, "x",
	  { "auto-submitted: Auto-Generated; owner-email=\"a@b\"" }, NULL, NULL,
	  NULL, "Auto-Submitted: auto-generated (RFC 3834)", YES },
	{ "Auto-Submitted: AUTO-NOTIFIED", C, NULL, C, NULL, "x",
	  { "Auto-Submitted: AUTO-NOTIFIED" }, NULL, NULL, NULL,
	  "Auto-Submitted: auto-notified (RFC 3834)", YES },
	{ "Auto-Submitted: yes", C, NULL, C, NULL, "x",
	  { "Auto-Submitted: yes" }, NULL, NULL, NULL,
	  "Auto-Submitted: not \"no\" (RFC 3834)", YES },
	{ "Auto-Submitted empty", C, NULL, C, NULL, "x",
	  { "Auto-Submitted:" }, NULL, NULL, NULL,
	  "Auto-Submitted: not \"no\" (RFC 3834)", YES },
	{ "second Auto-Submitted counts", C, NULL, C, NULL, "x",
	  { "Auto-Submitted: no", "Auto-Submitted: auto-replied" }, NULL,
	  NULL, NULL, "Auto-Submitted: auto-replied (RFC 3834)", YES },

	/* bounces */
	{ "null envelope \"\"", "", NULL, C, NULL, "x", {0}, NULL, NULL, NULL,
	  "null envelope sender (bounce)", YES },
	{ "null envelope <>", "<>", NULL, C, NULL, "x", {0}, NULL, NULL, NULL,
	  "null envelope sender (bounce)", YES },
	{ "Return-Path <>", NULL, "", C, NULL, "x", {0}, NULL, NULL, NULL,
	  "null envelope sender (bounce)", YES },
	{ "From MAILER-DAEMON", "x@mx.example.net", NULL,
	  "MAILER-DAEMON@mx.example.net", NULL, "Undelivered Mail", {0}, NULL,
	  NULL, NULL, "sender is mailer-daemon (bounce)", YES },
	{ "Postfix's MAILER-DAEMON envelope", "MAILER-DAEMON", NULL, C, NULL,
	  "x", {0}, NULL, NULL, NULL, "sender is mailer-daemon (bounce)", YES },
	{ "From postmaster", "postmaster@x.org", NULL, "Postmaster@X.org",
	  NULL, "x", {0}, NULL, NULL, NULL, "sender is postmaster (bounce)",
	  YES },
	{ "DSN", C, NULL, C, NULL, "x", {0}, "multipart/report",
	  "delivery-status", NULL, "delivery status report", YES },
	{ "MDN", C, NULL, C, NULL, "Read: x", {0}, "multipart/report",
	  "disposition-notification", NULL,
	  "read receipt (disposition-notification report)", YES },
	{ "ARF report", C, NULL, C, NULL, "x", {0}, "multipart/report",
	  "feedback-report", NULL, "machine report (multipart/report)", YES },
	{ "X-Failed-Recipients", C, NULL, C, NULL, "x",
	  { "X-Failed-Recipients: bob@gone.org" }, NULL, NULL, NULL,
	  "bounce (X-Failed-Recipients)", YES },

	/* lists and bulk */
	{ "Precedence: bulk", C, NULL, C, NULL, "x", { "Precedence: BULK" },
	  NULL, NULL, NULL, "Precedence: bulk", YES },
	{ "Precedence: list", C, NULL, C, NULL, "x", { "Precedence: list" },
	  NULL, NULL, NULL, "Precedence: list", YES },
	{ "Precedence: junk", C, NULL, C, NULL, "x", { "Precedence:  junk " },
	  NULL, NULL, NULL, "Precedence: junk", YES },
	{ "Precedence: auto_reply", C, NULL, C, NULL, "x",
	  { "Precedence: auto_reply" }, NULL, NULL, NULL,
	  "Precedence: auto_reply", YES },
	{ "List-Id", C, NULL, C, NULL, "x", { "List-Id: <a.lists.org>" }, NULL,
	  NULL, NULL, "mailing list (List-Id)", YES },
	{ "List-Unsubscribe", C, NULL, C, NULL, "x",
	  { "list-unsubscribe: <mailto:u@x>" }, NULL, NULL, NULL,
	  "mailing list (List-Unsubscribe)", YES },
	{ "List-Post", C, NULL, C, NULL, "x", { "List-Post: NO" }, NULL, NULL,
	  NULL, "mailing list (List-Post)", YES },

	/* vendor auto-reply headers */
	{ "X-Autoreply", C, NULL, C, NULL, "x", { "X-Autoreply: yes" }, NULL,
	  NULL, NULL, "X-Autoreply header", YES },
	{ "X-Autorespond (empty)", C, NULL, C, NULL, "x", { "X-Autorespond:" },
	  NULL, NULL, NULL, "X-Autorespond header", YES },
	{ "X-Auto-Response-Suppress: All", C, NULL, C, NULL, "x",
	  { "X-Auto-Response-Suppress: All" }, NULL, NULL, NULL,
	  "X-Auto-Response-Suppress: All", YES },
	{ "X-Auto-Response-Suppress: DR, OOF", C, NULL, C, NULL, "x",
	  { "X-Auto-Response-Suppress: DR, OOF" }, NULL, NULL, NULL,
	  "X-Auto-Response-Suppress: OOF", YES },
	{ "X-Auto-Response-Suppress: autoreply", C, NULL, C, NULL, "x",
	  { "X-Auto-Response-Suppress: RN;autoreply" }, NULL, NULL, NULL,
	  "X-Auto-Response-Suppress: AutoReply", YES },

	/* our own traffic coming back */
	{ "X-Loop names us", C, NULL, C, NULL, "x",
	  { "X-Loop: other@x.org", "X-Loop: <Support@Example.COM>" }, NULL,
	  NULL, NULL, "X-Loop names us", POLICY },
	{ "out-of-office answer to our ack", C, NULL, C, NULL,
	  "Automatic reply: [case 000001] We are sorry", {0}, NULL, NULL,
	  "redress.1.0123456789abcdef.0123456789abcdef@MAIL.example.com",
	  "automatic answer to our own mail (In-Reply-To and subject)",
	  POLICY },
	{ "German OOO answer to our ack", C, NULL, C, NULL,
	  "Abwesenheitsnotiz: Ihre Beschwerde", {0}, NULL, NULL,
	  "redress.7.0123456789abcdef.0123456789abcdef@mail.example.com",
	  "automatic answer to our own mail (In-Reply-To and subject)",
	  POLICY },
	{ "From our own address", "escalate@example.com", NULL,
	  "support@example.com", NULL, "x", {0}, NULL, NULL, NULL,
	  "our own address", NO },
	{ "From our own address, other case", "x@y.org", NULL,
	  "SUPPORT@EXAMPLE.COM", NULL, "x", {0}, NULL, NULL, NULL,
	  "our own address", NO },
	{ "Reply-To our escalation address", C, NULL, C,
	  "Boss <escalate@example.com>", "x", {0}, NULL, NULL, NULL,
	  "our own address", NO },

	/* unattended senders */
	{ "noreply", "noreply@shop.com", NULL, "noreply@shop.com", NULL, "x",
	  {0}, NULL, NULL, NULL, "sender looks unattended (noreply)", YES },
	{ "No-Reply", C, NULL, "No-Reply@Shop.com", NULL, "x", {0}, NULL, NULL,
	  NULL, "sender looks unattended (noreply)", YES },
	{ "donotreply", C, NULL, "donotreply@bank.com", NULL, "x", {0}, NULL,
	  NULL, NULL, "sender looks unattended (noreply)", YES },
	{ "do-not-reply", C, NULL, "do-not-reply@bank.com", NULL, "x", {0},
	  NULL, NULL, NULL, "sender looks unattended (noreply)", YES },
	{ "notifications-noreply", C, NULL, "notifications-noreply@x.com",
	  NULL, "x", {0}, NULL, NULL, NULL,
	  "sender looks unattended (noreply)", YES },
	{ "noreply+tag", C, NULL, "noreply+1234@x.com", NULL, "x", {0}, NULL,
	  NULL, NULL, "sender looks unattended (noreply)", YES },
	{ "Reply-To noreply", C, NULL, C, "no-reply@x.com", "x", {0}, NULL,
	  NULL, NULL, "sender looks unattended (noreply)", YES },
	{ "bounces+ VERP envelope", "bounces+123-alice=customer.org@esp.com",
	  NULL, C, NULL, "x", {0}, NULL, NULL, NULL,
	  "sender looks unattended (bounce*)", YES },
	{ "owner-list", C, NULL, "owner-widgets@lists.org", NULL, "x", {0},
	  NULL, NULL, NULL, "sender looks unattended (owner-*)", YES },
	{ "list-request", C, NULL, "widgets-request@lists.org", NULL, "x", {0},
	  NULL, NULL, NULL, "sender looks unattended (*-request)", YES },

	/* nobody to answer */
	{ "no sender at all", NULL, NULL, NULL, NULL, "x", {0}, NULL, NULL,
	  NULL, "no sender address", NO },
};

/* A struct message from a row; strings are copies freed by msg_free. */
static void
msg_build(const struct row *r, struct message *m)
{
	size_t i;

	memset(m, 0, sizeof *m);
	m->subject = xstrdup(r->subject != NULL ? r->subject : "");
	m->from.addr = r->from != NULL ? xstrdup(r->from) : NULL;
	m->reply_to.addr = r->reply_to != NULL ? xstrdup(r->reply_to) : NULL;
	m->return_path = r->return_path != NULL ? xstrdup(r->return_path)
						: NULL;
	m->content_type = r->content_type != NULL ? xstrdup(r->content_type)
						  : NULL;
	m->report_type = r->report_type != NULL ? xstrdup(r->report_type)
						: NULL;
	if (r->in_reply_to != NULL) {
		m->in_reply_to = xcalloc(1, sizeof *m->in_reply_to);
		m->in_reply_to[0] = xstrdup(r->in_reply_to);
		m->n_in_reply_to = 1;
	}
	m->headers = xcalloc(MAX_HDR, sizeof *m->headers);
	for (i = 0; i < MAX_HDR && r->headers[i] != NULL; i++) {
		const char *colon = strchr(r->headers[i], ':');
		const char *v = colon + 1;

		m->headers[i].name = xstrndup(r->headers[i],
					      (size_t)(colon - r->headers[i]));
		while (*v == ' ')
			v++;
		m->headers[i].value = xstrdup(v);
	}
	m->n_headers = i;
}

static void
msg_free(struct message *m)
{
	size_t i;

	for (i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	for (i = 0; i < m->n_in_reply_to; i++)
		free(m->in_reply_to[i]);
	free(m->in_reply_to);
	free(m->subject);
	free(m->from.addr);
	free(m->reply_to.addr);
	free(m->return_path);
	free(m->content_type);
	free(m->report_type);
}

static void
test_rules(void)
{
	struct autoreply_history none = { 0, 0, 0 };
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		struct message m;
		const char *why = "unset";
		bool yes;

		msg_build(r, &m);
		yes = autoreply_allowed(&m, r->env, &policy, &none, &why);
		ok(yes == (r->reason == NULL), "%s: %s", r->name,
		   r->reason == NULL ? "allowed" : "refused");
		is_str(why, r->reason, "%s: reason", r->name);
		yes = autoreply_is_automatic(&m, r->env, &why);
		ok(yes == (r->autom == YES), "%s: is_automatic %s", r->name,
		   r->autom == YES ? "yes" : "no");
		if (r->autom == YES)
			is_str(why, r->reason, "%s: is_automatic reason",
			       r->name);
		else
			ok(why == NULL, "%s: no is_automatic reason", r->name);
		yes = autoreply_is_automatic_for(&m, r->env, &policy, &why);
		ok(yes == (r->autom != NO), "%s: is_automatic_for", r->name);
		msg_free(&m);
	}
}

static void
test_rate(void)
{
	static const struct {
		long per_hour, per_day, hour, day;
		const char *reason;
	} t[] = {
		{ 1, 5, 0, 0, NULL },
		{ 1, 5, 0, 4, NULL },
		{ 1, 5, 1, 1, "rate limit: 1 per hour per sender" },
		{ 1, 5, 0, 5, "rate limit: 5 per day per sender" },
		{ 1, 5, 3, 9, "rate limit: 1 per hour per sender" },
		{ 3, 5, 2, 2, NULL },
		{ 3, 5, 3, 3, "rate limit: 3 per hour per sender" },
		{ 0, 0, 100, 1000, NULL },
		{ 0, 40, 100, 39, NULL },
		{ 0, 40, 100, 40, "rate limit: 40 per day per sender" },
	};
	struct row base = rows[0];
	struct message m;
	size_t i;

	msg_build(&base, &m);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct autoreply_policy p = policy;
		struct autoreply_history h = { t[i].hour, t[i].day, 0 };
		const char *why = "unset";
		bool yes;

		p.per_hour = t[i].per_hour;
		p.per_day = t[i].per_day;
		yes = autoreply_allowed(&m, C, &p, &h, &why);
		ok(yes == (t[i].reason == NULL),
		   "rate %ld/h %ld/d after %ld/%ld", t[i].per_hour,
		   t[i].per_day, t[i].hour, t[i].day);
		is_str(why, t[i].reason, "rate %zu reason", i);
	}
	/* no policy, no history: only the message decides */
	ok(autoreply_allowed(&m, C, NULL, NULL, NULL), "NULL policy allowed");
	msg_free(&m);
}

/* One sender, however its address is written; one domain's burst. */
static void
test_domain_cap(void)
{
	struct autoreply_policy p = policy;
	struct row base = rows[0];
	struct message m;

	p.per_domain_hour = 20;
	p.big_domains = "gmail.com, Outlook.com hotmail.com";
	ok(autoreply_domain_capped(&p, "example.com"), "a domain is capped");
	ok(!autoreply_domain_capped(&p, "gmail.com"), "a big domain is not");
	ok(!autoreply_domain_capped(&p, "outlook.com"), "big domains without regard to case");
	ok(autoreply_domain_capped(&p, "mail.com"), "a suffix of a big domain is not one");
	ok(autoreply_domain_capped(&p, "gmail.co"), "a prefix of a big domain is not one");
	p.big_domains = NULL;
	ok(autoreply_domain_capped(&p, "gmail.com"), "no big domains: all capped");
	p.per_domain_hour = 0;
	ok(!autoreply_domain_capped(&p, "example.com"), "no cap: nothing capped");

	msg_build(&base, &m);
	p.per_domain_hour = 20;
	{
		struct autoreply_history h = { 0, 0, 19 };
		const char *why = "unset";

		ok(autoreply_allowed(&m, C, &p, &h, &why), "19 acks to the domain this hour: allowed");
		h.domain_last_hour = 20;
		ok(!autoreply_allowed(&m, C, &p, &h, &why), "20: refused");
		is_str(why, "rate limit: 20 per hour to one domain", "the domain reason");
	}
	msg_free(&m);
}

static void
test_recipient(void)
{
	static const struct {
		const char *env, *rp, *from, *reply_to, *mode;
		const char *want, *used;
	} t[] = {
		/* the normal case: envelope equals From */
		{ C, NULL, C, NULL, "header", C, "envelope" },
		{ "Alice@Customer.ORG", NULL, C, NULL, "header",
		  "Alice@Customer.ORG", "envelope" },
		/* envelope equals Reply-To */
		{ "bob@x.org", NULL, C, "bob@x.org", "header", "bob@x.org",
		  "envelope" },
		/* differ: header mode (and the default) takes Reply-To/From */
		{ "bounce-77@esp.com", NULL, C, NULL, "header", C, "from" },
		{ "bounce-77@esp.com", NULL, C, NULL, NULL, C, "from" },
		{ "bounce-77@esp.com", NULL, C, NULL, "bogus", C, "from" },
		{ "www@form.com", NULL, "noreply@form.com", "bob@x.org",
		  "header", "bob@x.org", "reply-to" },
		/* differ: envelope mode takes the envelope */
		{ "bounce-77@esp.com", NULL, C, NULL, "envelope",
		  "bounce-77@esp.com", "envelope" },
		{ "www@form.com", NULL, "noreply@form.com", "bob@x.org",
		  "envelope", "www@form.com", "envelope" },
		/* envelope unknown: Return-Path, else the headers */
		{ NULL, "rp@x.org", C, NULL, "envelope", "rp@x.org",
		  "envelope" },
		{ NULL, "rp@x.org", C, NULL, "header", C, "from" },
		{ NULL, NULL, C, "bob@x.org", "envelope", "bob@x.org",
		  "reply-to" },
		/* null sender: never */
		{ "", NULL, C, NULL, "header", NULL, NULL },
		{ "<>", NULL, C, NULL, "envelope", NULL, NULL },
		{ NULL, "", C, NULL, "header", NULL, NULL },
		/* no headers: the envelope */
		{ "e@x.org", NULL, NULL, NULL, "header", "e@x.org",
		  "envelope" },
		{ NULL, NULL, NULL, NULL, "header", NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct row r = rows[0];
		struct message m;
		const char *used = "unset", *got;

		r.env = t[i].env;
		r.return_path = t[i].rp;
		r.from = t[i].from;
		r.reply_to = t[i].reply_to;
		msg_build(&r, &m);
		got = autoreply_recipient(&m, t[i].env,
					  t[i].mode != NULL && strcmp(t[i].mode, "envelope") == 0,
					  &used);
		is_str(got, t[i].want, "recipient %zu (%s)", i,
		       t[i].mode != NULL ? t[i].mode : "default");
		is_str(used, t[i].used, "recipient %zu used", i);
		msg_free(&m);
	}
}

int
main(void)
{
	test_rules();
	test_rate();
	test_domain_cap();
	test_recipient();
	return tap_exit();
}
