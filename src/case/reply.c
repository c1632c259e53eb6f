/*
 * NAME
 *	reply - a person's answer to the customer
 * DESCRIPTION
 *	See reply.h.  The subject is the case's, with "Re: " and the case tag
 *	added unless it has them; the references are the customer's last
 *	message's own, then its Message-ID (compose.c keeps the thread's
 *	root and the newest ones).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmem.h"
#include "case/caselife.h"
#include "case/identity.h"
#include "case/outbox.h"
#include "case/reply.h"
#include "case/thread.h"
#include "config/config.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "store/store.h"

int
reply_last_inbound(struct store *st, long long case_id, const struct message_limits *lim,
		   struct message **m_r, char **error_r)
{
	struct store_message_info *msgs = NULL;
	size_t n = 0, len = 0;
	char *raw = NULL;
	int r = 0;

	*m_r = NULL;
	if (store_case_messages(st, case_id, &msgs, &n, error_r) < 0)
		return -1;
	for (size_t i = n; i > 0; i--) {
		if (strcmp(msgs[i - 1].direction, "in") != 0 || msgs[i - 1].held_reason != NULL)
			continue;
		r = store_message_raw(st, msgs[i - 1].id, &raw, &len, error_r);
		if (r > 0)
			*m_r = message_parse(raw, len, lim);
		break;
	}
	free(raw);
	store_message_infos_free(&msgs, n);
	return r < 0 ? -1 : 0;
}

char *
reply_quote(const struct message *m)
{
	struct buf b;
	const char *who = m->from.name != NULL ? m->from.name
			  : m->from.addr != NULL ? m->from.addr : "the customer";
	char *fresh = message_fresh_text(m->text, m->text_len);

	buf_init(&b, BUF_NO_LIMIT);
	if (m->date != 0) {
		char when[CLOCK_ISO_LEN];

		clock_format_iso8601(m->date, when);
		buf_printf(&b, "On %s, %s wrote:\n", when, who);
	} else {
		buf_printf(&b, "%s wrote:\n", who);
	}
	for (const char *p = fresh; *p != '\0';) {
		size_t len = strcspn(p, "\n");

		buf_puts(&b, len > 0 ? "> " : ">");
		buf_append(&b, p, len);
		buf_putc(&b, '\n');
		p += len;
		if (*p == '\n')
			p++;
	}
	free(fresh);
	return buf_steal(&b, NULL);
}

/* "Re: [case 000123] subject", keeping a "Re:" or a tag already there. */
static char *
reply_subject(const struct config *cfg, const struct store_case *c)
{
	const char *subj = c->subject != NULL ? c->subject : "";
	char *tag = thread_tag_format(cfg->case_tag, c->id), *s;
	long long found;

	/* One "Re:", however many the customer's subject had. */
	while (strncasecmp(subj, "re:", 3) == 0) {
		subj = strchr(subj, ':') + 1;
		subj += strspn(subj, " \t");
	}
	if (thread_tag_find(subj, cfg->case_tag, &found) && found == c->id)
		s = xasprintf("Re: %s", subj);
	else
		s = xasprintf("Re: %s%s%s", tag, *subj != '\0' ? " " : "", subj);
	free(tag);
	return s;
}

int
reply_queue(struct store *st, const struct config *cfg, const struct identity *id,
	    struct store_case *c, const struct reply_input *in, time_t now,
	    long long *msg_id_r, char **error_r)
{
	struct compose_input ci = { 0 };
	struct store_message sm = { 0 };
	struct message *last = NULL;
	struct buf out;
	char *subject = NULL, *msgid = NULL, *detail = NULL, fp[65], *src = NULL;
	long long msg_id = 0;
	int ret = -1;

	if (c->customer == NULL || *c->customer == '\0') {
		*error_r = xasprintf("case %lld has no customer address to reply to", c->id);
		return 0;
	}
	if (!case_state_is_open(c->state)) {
		*error_r = xasprintf("case %lld is %s: reopen it first", c->id,
				     case_state_name(c->state));
		return 0;
	}
	if (in->n_cc > REPLY_MAX_CC) {
		*error_r = xasprintf("at most %d Cc addresses", REPLY_MAX_CC);
		return 0;
	}
	if (reply_last_inbound(st, c->id, &cfg->intake_limits, &last, error_r) < 0)
		return -1;
	msgid = thread_msgid_new(id->key, sizeof(id->key), c->id, id->domain);
	if (msgid == NULL) {
		*error_r = xstrdup("cannot make a Message-ID (no random numbers?)");
		goto out;
	}
	subject = reply_subject(cfg, c);
	ci.from = id->from;
	ci.to_addr = c->customer;
	ci.to_name = c->customer_name;
	ci.cc = in->cc;
	ci.n_cc = in->n_cc;
	ci.subject = subject;
	ci.body = in->body;
	ci.message_id = msgid;
	ci.date = now;
	ci.x_loop = id->from_addr;
	/* A person's answer: no Auto-Submitted, so that the customer's
	 * mail program answers it like any mail (RFC 3834). */
	if (last != NULL) {
		ci.in_reply_to = last->message_id;
		ci.references = (const char *const *)last->references;
		ci.n_references = last->n_references;
	} else {
		ci.in_reply_to = c->customer_msgid;
	}
	buf_init(&out, COMPOSE_MAX_BODY * 4);
	if (compose_message(&ci, &out, error_r) < 0) {
		buf_free(&out);
		goto out;
	}
	message_fingerprint(out.data, out.len, fp);
	src = xasprintf("agent:%s", in->author != NULL ? in->author : "-");
	sm.case_id = c->id;
	sm.direction = "out";
	sm.message_id = msgid;
	sm.fingerprint = fp;
	sm.source = src;
	sm.envelope_from = id->envelope_from;
	sm.envelope_to = c->customer;
	sm.received = now;
	sm.from_addr = id->from_addr;
	sm.from_name = id->from_name;
	sm.subject = subject;
	sm.text = in->body;
	sm.raw = out.data;
	sm.raw_len = out.len;
	if (store_message_add(st, &sm, &msg_id, error_r) < 0) {
		buf_free(&out);
		goto out;
	}
	buf_free(&out);
	detail = xasprintf("message:%lld", msg_id);
	if (outbox_enqueue(st, c->id, JOB_REPLY, c->customer, now, detail, msgid, now, NULL,
			   error_r) < 0)
		goto out;
	for (size_t i = 0; i < in->n_cc; i++)
		if (outbox_enqueue(st, c->id, JOB_REPLY, in->cc[i], now, detail, msgid, now,
				   NULL, error_r) < 0)
			goto out;
	/* A person answered: the first response, and the case is responded. */
	free(detail);
	detail = xasprintf("reply to %s (message %lld)", c->customer, msg_id);
	if (caselife_apply_by(st, cfg->sla, c, CASELIFE_RESPOND, detail, in->author, now,
			      error_r) <= 0)
		goto out;
	*msg_id_r = msg_id;
	ret = 1;
out:
	message_free(&last);
	free(subject);
	free(msgid);
	free(detail);
	free(src);
	return ret;
}
