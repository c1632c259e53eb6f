/*
 * NAME
 *	intake - the one path every incoming message takes
 * DESCRIPTION
 *	See intake.h.  The order matters and is the design's:
 *	  1. fingerprint, and stop if the store has this message already
 *	     (a re-delivery is no new case and no new reply);
 *	  2. parse; an unreadable message is stored on a held case;
 *	  3. thread: a reply to one of our messages (a valid signed
 *	     Message-ID in In-Reply-To/References), or a subject tag from the
 *	     case's customer or from staff, joins its case and gets no ack;
 *	     automatic mail (out-of-office, bounces) joins but changes nothing.
 *	     Staff are known by more than From (intake_author); staff mail
 *	     that does not go to the customer is a note, not a response;
 *	  4. otherwise a new case: classify, repeat-complainant check, SLA
 *	     deadlines, the loop guard, and the jobs: ack (or a suppressed
 *	     record with the reason), follow-up, and escalation when the
 *	     rules say so.
 *	What a new case gets depends on its outcome (doc/design.md):
 *	  complaint  the apologising ack, both SLA clocks, the follow-up;
 *	  question   the plain ack, which promises an answer, and one clock,
 *	             the first response, of [sla] question (none when off);
 *	  praise     the plain ack (its template is ack-praise): a thank-you,
 *	             no clock, no follow-up.
 *	Nothing sent for a question or praise apologises, and neither gets
 *	the follow-up, which chases a complaint.
 *	Every write happens in the caller's transaction, so a crash leaves
 *	all of it or none.
 * DIAGNOSTICS
 *	Store errors only; a broken message is not an error but a held case.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/xmem.h"
#include "case/caselife.h"
#include "case/escalate.h"
#include "case/identity.h"
#include "case/intake.h"
#include "case/merge.h"
#include "case/outbox.h"
#include "case/scan.h"
#include "case/thread.h"
#include "config/config.h"
#include "mail/addr.h"
#include "mail/authres.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "policy/autoreply.h"
#include "policy/classify.h"
#include "policy/sla.h"
#include "policy/spamwords.h"
#include "policy/traffic.h"
#include "base/log.h"
#include "store/store.h"

struct intake {
	const struct config *cfg;
	const struct identity *id;
	struct store *st;
	struct classify_rules *rules;
	struct spamwords *words;           /* [spam] words, or NULL */
	struct autoreply_policy policy;
	/* intake_prescan's answer, for the message at pre_raw only */
	const char *pre_raw;
	size_t pre_len;
	enum scan_status pre_status;
	char *pre_said;
};

int
intake_new(const struct config *cfg, const struct identity *id, struct store *st,
	   bool one_message, struct intake **in_r, char **error_r)
{
	struct intake *in = xcalloc(1, sizeof(*in));
	struct classify_options copt = { 0 };

	copt.no_jit = one_message;
	copt.no_prefilter = one_message;
	/* A rule's UCP pattern waits for a field that needs one: most mail
	 * never does (doc/design.md, "Start-up cost of a delivery filter"). */
	copt.lazy_ucp = true;
	if (cfg->classify_weights != NULL && cfg->classify_weights[0] != '\0')
		copt.weights = cfg->classify_weights;
	*in_r = NULL;
	in->cfg = cfg;
	in->id = id;
	in->st = st;
	if (classify_load_opts(cfg->paths_rules, &copt, &in->rules, error_r) < 0 ||
	    (cfg->spam_words[0] != '\0' && spamwords_load(cfg->spam_words, &in->words,
							    error_r) < 0)) {
		intake_free(&in);
		return -1;
	}
	in->policy.own_addresses = (const char *const *)id->own;
	in->policy.n_own = id->n_own;
	in->policy.own_domain = id->domain;
	in->policy.x_loop = id->from_addr;
	in->policy.per_hour = cfg->autoreply_per_hour;
	in->policy.per_day = cfg->autoreply_per_day;
	in->policy.per_domain_hour = cfg->autoreply_per_domain_hour;
	in->policy.big_domains = cfg->autoreply_big_domains;
	*in_r = in;
	return 0;
}

void
intake_free(struct intake **inp)
{
	struct intake *in = *inp;

	if (in == NULL)
		return;
	classify_rules_free(&in->rules);
	spamwords_free(&in->words);
	free(in->pre_said);
	free(in);
	*inp = NULL;
}

/* True when s has a character other than white space. */
static bool
intake_has_words(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return true;
	return false;
}

void
intake_rules_input(struct intake_rules_input *ri, const struct message *m)
{
	memset(ri, 0, sizeof(*ri));
	ri->fresh = message_fresh_text(m->text != NULL ? m->text : "", m->text_len);
	if (m->from.name != NULL && m->from.addr != NULL)
		ri->from = xasprintf("%s <%s>", m->from.name, m->from.addr);
	else
		ri->from = xstrdup(m->from.addr != NULL ? m->from.addr
				   : m->from.name != NULL ? m->from.name : "");
	ri->in.subject = m->subject;
	ri->in.body = ri->fresh;
	ri->in.body_len = strlen(ri->fresh);
	ri->in.from = ri->from;
	ri->in.headers = m->headers;
	ri->in.n_headers = m->n_headers;
}

void
intake_rules_input_free(struct intake_rules_input *ri)
{
	free(ri->fresh);
	free(ri->from);
	ri->fresh = ri->from = NULL;
}

const char *
intake_unreadable(const struct message *m, const char *raw, size_t len,
		  const char *envelope_from)
{
	size_t hdr = len;
	bool sender;

	if (m->problem != NULL)
		return m->problem;
	/* The header block ends at the first empty line. */
	for (size_t i = 0; i < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (i + 1 < len && raw[i + 1] == '\n') {
			hdr = i + 1;
			break;
		}
		if (i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n') {
			hdr = i + 1;
			break;
		}
	}
	if (len > 0 && (raw[0] == '\n' || (raw[0] == '\r' && len > 1 && raw[1] == '\n')))
		hdr = 0;
	if (memchr(raw, '\0', hdr) != NULL)
		return "unreadable: a NUL byte in the header (mail is text)";
	if (m->n_headers == 0)
		return "unreadable: no header block (this is not a mail message)";
	sender = m->from.addr != NULL || m->reply_to.addr != NULL ||
		 message_header(m, "Sender") != NULL ||
		 (m->return_path != NULL && *m->return_path != '\0') ||
		 (envelope_from != NULL && *envelope_from != '\0');
	if (!sender && !intake_has_words(m->subject) && !intake_has_words(m->text) &&
	    m->n_filenames == 0)
		return "unreadable: no sender and nothing written";
	return NULL;
}

/* Addresses are compared case-insensitively everywhere: keep them lower case. */
static char *
intake_lower(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = xstrdup(s);
	for (char *q = p; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

static char *
intake_join_refs(const struct message *m)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < m->n_references; i++) {
		if (b.len > 0)
			buf_putc(&b, ' ');
		if (buf_puts(&b, m->references[i]) < 0)
			break;
	}
	return buf_steal(&b, NULL);
}

static char *
intake_tags(const struct classify_result *r)
{
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	for (size_t i = 0; i < r->n_tags; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, r->tags[i]);
	}
	return buf_steal(&b, NULL);
}

/* The rules that fired, as JSON, for "case show" to explain the case. */
static char *
intake_hits_json(const struct classify_result *r)
{
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	buf_putc(&b, '[');
	for (size_t i = 0; i < r->n_hits; i++) {
		const struct classify_hit *h = &r->hits[i];
		bool first = true;

		buf_puts(&b, i > 0 ? ",{" : "{");
		json_key(&b, &first, "rule");
		json_str(&b, h->rule);
		json_key(&b, &first, "field");
		json_str(&b, h->field);
		json_key(&b, &first, "match");
		json_str(&b, h->match);
		json_key(&b, &first, "target");
		json_str(&b, h->target);
		buf_putc(&b, '}');
	}
	buf_putc(&b, ']');
	return buf_steal(&b, NULL);
}

/*
 * Who wrote a message, as far as redress can tell.  From is only a claim:
 * anyone can write any From.  Staff are those whose From matches [staff]
 * addresses AND whom something a sender cannot forge backs up: our own
 * mail server's Authentication-Results pass for the From domain
 * ([spam] authserv_id, see authres.h), or delivery to an envelope
 * recipient that only staff can reach ([staff] mailbox).
 */
struct intake_author {
	char *addr;           /* From, lower case; NULL if none; owned */
	bool staff;           /* staff, backed up */
	bool claims_staff;    /* From matches [staff] addresses */
	bool forged;          /* our server says From's domain failed DMARC */
	const char *how;      /* what backed the staff claim up (static) */
};

static void
intake_author(struct intake *in, const struct message *m,
	      const struct intake_source *src, struct intake_author *a)
{
	const struct config *cfg = in->cfg;
	const char *how = NULL;
	enum authres_verdict v;
	char *domain;

	memset(a, 0, sizeof(*a));
	a->addr = intake_lower(m->from.addr);
	if (a->addr == NULL)
		return;
	domain = addr_domain(a->addr);
	v = authres_judge((const char *const *)m->auth_results, m->n_auth_results,
			  cfg->spam_authserv_id, domain, &how);
	free(domain);
	a->forged = v == AUTHRES_FAIL;
	a->claims_staff = *cfg->staff_addresses != '\0' &&
			  addr_matches(cfg->staff_addresses, a->addr);
	if (!a->claims_staff)
		return;
	if (src->envelope_to != NULL && *cfg->staff_mailbox != '\0' &&
	    addr_matches(cfg->staff_mailbox, src->envelope_to)) {
		a->staff = true;
		a->how = "delivered to a staff-only address";
	} else if (v == AUTHRES_PASS) {
		a->staff = true;
		a->how = how;
	}
}

/* Did m go to the case's customer (To or Cc)? */
static bool
intake_reaches(const struct message *m, const char *customer)
{
	if (customer == NULL || *customer == '\0')
		return false;
	for (size_t i = 0; i < m->n_to; i++)
		if (m->to[i].addr != NULL && strcasecmp(m->to[i].addr, customer) == 0)
			return true;
	for (size_t i = 0; i < m->n_cc; i++)
		if (m->cc[i].addr != NULL && strcasecmp(m->cc[i].addr, customer) == 0)
			return true;
	return false;
}

/* A case merged into another stands for that one (merge.h): 1 and the
 * case it joined in c (loaded), or as intake_thread returns. */
static int
intake_follow_merge(struct intake *in, struct store_case *c, char **error_r)
{
	for (int hops = 0; c->state == CASE_MERGED && c->merged_into > 0 &&
	     hops < MERGE_MAX_HOPS; hops++) {
		long long id = c->merged_into;
		int r;

		store_case_clear(c);
		r = store_case_get(in->st, id, c, error_r);
		if (r <= 0)
			return r;
	}
	return 1;
}

/*
 * Finds the case a reply belongs to: 1 and the case (loaded), 0 none.
 * A subject tag is trusted only from staff or from the case's customer
 * (whose domain our server did not see fail DMARC): anyone can quote or
 * forge "[case 000123]", and case numbers are sequential.
 */
static int
intake_thread(struct intake *in, const struct message *m, const struct intake_author *a,
	      struct store_case *c_r, const char **how_r, char **error_r)
{
	long long id;
	int r;

	if (thread_find_case(in->id->key, sizeof(in->id->key), in->id->domain, m, &id) == 1) {
		r = store_case_get(in->st, id, c_r, error_r);
		if (r != 0) {
			*how_r = "reply to our message";
			return r < 0 ? r : intake_follow_merge(in, c_r, error_r);
		}
	}
	if (thread_tag_find(m->subject, in->cfg->case_tag, &id) == 1) {
		r = store_case_get(in->st, id, c_r, error_r);
		if (r <= 0)
			return r;
		if (a->staff || (a->addr != NULL && !a->forged && c_r->customer != NULL &&
				 strcmp(a->addr, c_r->customer) == 0)) {
			*how_r = "case tag in the subject";
			return intake_follow_merge(in, c_r, error_r);
		}
		store_case_clear(c_r);
	}
	return 0;
}

/* A message joins case c: record it, and move the case as its author means. */
static int
intake_join(struct intake *in, struct store_case *c, const struct message *m,
	    long long msg_id, const struct intake_author *a, const char *automatic,
	    const char *how, time_t now, struct intake_result *res, char **error_r)
{
	const char *who = a->addr != NULL ? a->addr : "?";
	char *detail;
	int r = 0;

	if (store_message_set_case(in->st, msg_id, c->id, error_r) < 0)
		return -1;
	res->outcome = INTAKE_JOINED;
	res->case_id = c->id;
	if (automatic != NULL) {
		/* Out-of-office and bounces never reopen or change a case. */
		detail = xasprintf("automatic reply ignored (%s)", automatic);
		snprintf(res->note, sizeof(res->note), "joined case %lld: %s", c->id, detail);
		r = store_event_add(in->st, c->id, now, "auto-reply", detail, error_r);
		free(detail);
		return r;
	}
	if (a->staff) {
		/* Only what reaches the customer answers the customer: a
		 * manager's answer to an escalation is a note on the case. */
		bool reaches = intake_reaches(m, c->customer);

		if (reaches && case_state_is_open(c->state)) {
			detail = xasprintf("reply from staff %s to the customer (%s; %s)",
					   who, how, a->how);
			r = caselife_apply(in->st, in->cfg->sla, c, CASELIFE_RESPOND,
					   detail, now, error_r);
		} else {
			detail = xasprintf(reaches ? "reply from staff %s (%s; %s)"
					   : "note from staff %s, not sent to the customer (%s; %s)",
					   who, how, a->how);
			r = store_event_add(in->st, c->id, now, "staff-note", detail, error_r);
		}
	} else {
		if (a->addr != NULL && c->customer != NULL && strcmp(a->addr, c->customer) == 0)
			detail = xasprintf("customer replied (%s)", how);
		else
			detail = xasprintf("reply from %s, not the customer (%s%s)", who, how,
					   a->claims_staff ? "; a staff address, but not"
					   " authenticated: not a response" : "");
		if (!case_state_is_open(c->state) || c->state == CASE_WAITING) {
			r = caselife_apply(in->st, in->cfg->sla, c, CASELIFE_REOPEN,
					   detail, now, error_r);
			if (r > 0)
				r = outbox_after_change(in->st, in->cfg, c, CASELIFE_REOPEN,
							now, error_r);
			else if (r == 0) {
				/* A held case is not reopened by a reply: the
				 * message stays on it for the person who looks. */
				free(*error_r);
				*error_r = NULL;
			}
		} else {
			c->updated = now;
			r = store_case_update(in->st, c, error_r);
			if (r == 0)
				r = store_event_add(in->st, c->id, now, "customer-reply",
						    detail, error_r);
		}
	}
	snprintf(res->note, sizeof(res->note), "joined case %lld: %s", c->id, detail);
	free(detail);
	return r < 0 ? -1 : 0;
}

/* Queues a job with its Message-ID fixed now, in intake's durable
 * transaction: whatever crashes later, every copy carries the same id. */
static int
intake_enqueue(struct intake *in, long long case_id, enum job_kind kind,
	       const char *rcpt, time_t due, const char *detail, time_t now,
	       char **error_r)
{
	char *msgid = thread_msgid_new(in->id->key, sizeof(in->id->key), case_id,
				       in->id->domain);
	int ret = outbox_enqueue(in->st, case_id, kind, rcpt, due, detail, msgid,
				 now, NULL, error_r);

	free(msgid);
	return ret;
}

static int
intake_new_case(struct intake *in, const struct message *m, long long msg_id,
		const struct intake_source *src, const struct intake_author *a,
		const char *automatic, struct traffic *traffic, time_t now,
		struct intake_result *res, char **error_r)
{
	struct store *st = in->st;
	struct store_case sc;
	struct classify_result *cr = NULL;
	struct intake_rules_input ri;
	const char *rcpt, *used = NULL, *why = NULL;
	char *customer = NULL, *refs = NULL, *tags = NULL, *hits = NULL;
	char *note = NULL, *detail = NULL, *why_traffic = NULL, *reasons = NULL;
	char rate_key[ADDR_MAX], rate_domain[ADDR_MAX];
	bool ok;
	long long case_id = 0;
	long earlier = 0;
	long judge;
	enum priority prio;
	int ret = -1;

	store_case_init(&sc);
	intake_rules_input(&ri, m);
	if (classify_run(in->rules, &ri.in, &cr) < 0) {
		*error_r = xstrdup("classifier failed");
		goto out;
	}
	/* The words signal, where it judges (intake keeps no note when it
	 * does not say spam, so a message it does not judge is not scored). */
	if (in->words != NULL &&
	    (judge = traffic_words_judge(cr, automatic != NULL, in->cfg->spam_words_score)) > 0)
		traffic_add_words(traffic, in->words, &ri.in, judge, false);
	/* The rules' spam outcome is a traffic verdict; the case keeps what
	 * the message would be without it, for a person who releases it. */
	if (cr->outcome == OUTCOME_SPAM) {
		traffic_add_rules(traffic, cr);
		classify_result_free(&cr);
		ri.in.no_spam = true;
		if (classify_run(in->rules, &ri.in, &cr) < 0) {
			*error_r = xstrdup("classifier failed");
			goto out;
		}
	}
	ok = traffic->verdict == VERDICT_OK;
	rcpt = autoreply_recipient(m, src->envelope_from,
				   in->cfg->intake_reply_to == CONFIG_REPLY_TO_ENVELOPE, &used);
	/* A list is never a customer: list and bulk mail is kept under its
	 * author (From), not the list's Reply-To. */
	if (!ok && m->from.addr != NULL)
		customer = intake_lower(m->from.addr);
	else
		customer = intake_lower(rcpt != NULL ? rcpt : m->from.addr);
	if (customer != NULL && automatic == NULL && ok) {
		long days = in->cfg->classify_repeat_days;

		/* Only "at least repeat_count" matters (and "any", for the
		 * event's wording). */
		long enough = in->cfg->classify_repeat_count > 1 ?
			      in->cfg->classify_repeat_count : 1;

		if (store_case_count_customer(st, customer, now - days * 86400, 0, enough,
					      &earlier, error_r) < 0)
			goto out;
		if (earlier >= in->cfg->classify_repeat_count)
			classify_apply_repeat(in->rules, cr);
	}
	prio = cr->priority;
	tags = intake_tags(cr);
	hits = intake_hits_json(cr);
	refs = intake_join_refs(m);

	sc.state = ok ? CASE_NEW : traffic_quarantines(traffic->verdict) ? CASE_QUARANTINED
		   : CASE_INFORMATIONAL;
	sc.traffic = traffic->verdict;
	reasons = traffic_reasons_json_new(traffic);
	sc.traffic_reasons = reasons;
	sc.created = now;
	sc.updated = now;
	sc.customer = customer;
	sc.customer_name = m->from.name;
	sc.subject = m->subject;
	sc.customer_msgid = m->message_id;
	sc.customer_refs = refs;
	/* Spam, forged, list and bulk mail is no complaint, whatever its
	 * words; the outcome keeps what the rules read, for "case release". */
	sc.complaint = ok && cr->complaint;
	sc.outcome = cr->outcome;
	sc.category = cr->category;
	sc.label = cr->label;
	sc.priority = prio;
	sc.tags = tags;
	sc.rules = hits;
	sc.rules_version = (char *)classify_rules_version(in->rules);
	/* Machines get a case (nothing is dropped) but no SLA clock: an
	 * out-of-office or a bounce must not page the duty manager.  A
	 * question has an answer clock only; praise has none. */
	if (!ok) {
		/* Spam, forged, list and bulk mail: no clock at all. */
	} else if (automatic == NULL && cr->outcome == OUTCOME_COMPLAINT) {
		sc.first_response_due = sla_add(in->cfg->sla->cal, now,
						 in->cfg->sla->target[prio].first_response);
		sc.resolution_due = sla_add(in->cfg->sla->cal, now, in->cfg->sla->target[prio].resolution);
	} else if (automatic == NULL && cr->outcome == OUTCOME_QUESTION &&
		   in->cfg->sla->question_clock) {
		sc.first_response_due = sla_add(in->cfg->sla->cal, now, in->cfg->sla->question);
	}

	/* May we answer?  Only ok mail; machines, lists and loops get
	 * nothing (RFC 3834). */
	if (!ok) {
		const char *vn = verdict_name(traffic->verdict), *first = "?";
		size_t vl = strlen(vn);

		/* The first reason that gave the verdict, without its "VERDICT: ". */
		for (size_t i = traffic->n_reasons; i-- > 0;)
			if (strncmp(traffic->reasons[i], vn, vl) == 0 &&
			    traffic->reasons[i][vl] == ':')
				first = traffic->reasons[i] + vl + 2;
		why_traffic = xasprintf("%s mail (%s)", vn, first);
		why = why_traffic;
	} else if (automatic != NULL) {
		why = automatic;
	} else if (a->claims_staff && !a->staff) {
		/* Either someone writes as one of us, and the ack would go to
		 * our own people, or staff write from an unauthenticated
		 * place and need no ack. */
		why = "From is a staff address, but not authenticated";
	} else if (rcpt == NULL) {
		why = "no address to reply to";
	} else if (!compose_address_ok(customer) ||
		   !addr_rate_key(customer, rate_key, rate_domain)) {
		/* It could never be sent; queueing the ack and the follow-up
		 * would only fail twice, later. */
		why = "the reply address cannot be used in a mail header";
	} else {
		struct autoreply_history h = { 0, 0, 0 };

		/* Counted only up to the caps: a cap of 0 or less is no cap,
		 * and then the count is not needed at all.  The sender is
		 * its normalised address: victim+1@ and vic.tim@ are victim@. */
		if ((in->policy.per_hour > 0 &&
		     store_rate_count(st, JOB_ACK, rate_key, NULL, now - 3600, in->policy.per_hour,
				      &h.sent_last_hour, error_r) < 0) ||
		    (in->policy.per_day > 0 &&
		     store_rate_count(st, JOB_ACK, rate_key, NULL, now - 86400, in->policy.per_day,
				      &h.sent_last_day, error_r) < 0) ||
		    (autoreply_domain_capped(&in->policy, rate_domain) &&
		     store_rate_count(st, JOB_ACK, NULL, rate_domain, now - 3600,
				      in->policy.per_domain_hour, &h.domain_last_hour,
				      error_r) < 0))
			goto out;
		if (autoreply_allowed(m, src->envelope_from, &in->policy, &h, &why))
			why = NULL;
	}
	note = why != NULL ? xasprintf("no ack: %s", why)
	       : xasprintf("ack to %s (%s)", customer, used != NULL ? used : "from");
	sc.reply_note = note;
	if (store_case_add(st, &sc, &case_id, error_r) < 0 ||
	    store_message_set_case(st, msg_id, case_id, error_r) < 0 ||
	    store_event_add(st, case_id, now, "created", src->source, error_r) < 0 ||
	    (!ok && store_event_add(st, case_id, now, case_state_name(sc.state), reasons,
				    error_r) < 0))
		goto out;
	detail = xasprintf("%s, %s%s%s%s", cr->category, priority_name(prio),
			   *tags ? ", tags: " : "", tags,
			   earlier > 0 ? " (repeat customer)" : "");
	if (store_event_add(st, case_id, now, "classified", detail, error_r) < 0)
		goto out;
	if (why == NULL) {
		/* The follow-up asks whether a complaint is settled: nothing
		 * else is chased. */
		time_t fu = cr->complaint ? outbox_followup_due(in->cfg, now, false) : 0;

		/* A scanner that was down gets a second chance before the ack
		 * goes (outbox.c scans again when it is due). */
		time_t ack_due = traffic->scan_pending ? now + in->cfg->spam_wait : now;

		if (intake_enqueue(in, case_id, cr->complaint ? JOB_ACK : JOB_ACK_PLAIN,
				   customer, ack_due, used, now, error_r) < 0 ||
		    store_rate_add(st, JOB_ACK, rate_key, rate_domain, now, case_id, error_r) < 0)
			goto out;
		if (fu != 0 && intake_enqueue(in, case_id, JOB_FOLLOWUP, customer, fu,
					      "after intake", now, error_r) < 0)
			goto out;
	} else {
		if (outbox_suppress(st, case_id, cr->complaint ? JOB_ACK : JOB_ACK_PLAIN,
				    customer, NULL, why, now, error_r) < 0 ||
		    store_event_add(st, case_id, now, "ack-suppressed", why, error_r) < 0)
			goto out;
	}
	/* Legal threats and high-priority repeat customers go to a person now,
	 * unless this sender's cases already went to one often enough. */
	if (cr->escalate && automatic == NULL && ok) {
		char *why_esc = xasprintf("intake: %s", *tags ? tags : "rules");
		time_t due = sla_quiet_next(in->cfg->sla->cal, &in->cfg->sla->quiet, now);
		char skip[256];
		int may = escalate_allowed(st, in->cfg, case_id, customer, NULL, 0, JOB_ESCALATION,
					   why_esc, now, skip, sizeof(skip), error_r);

		if (may < 0 ||
		    (may > 0 && (intake_enqueue(in, case_id, JOB_ESCALATION, in->id->escalate_addr, due,
						why_esc, now, error_r) < 0 ||
				 escalate_record(st, case_id, customer, now, error_r) < 0 ||
				 store_event_add(st, case_id, now, "escalated", why_esc,
						 error_r) < 0)) ||
		    (may == 0 && escalate_suppress(st, case_id, JOB_ESCALATION, in->id->escalate_addr,
						   why_esc, skip, now, error_r) < 0)) {
			free(why_esc);
			goto out;
		}
		free(why_esc);
	}
	res->outcome = INTAKE_NEW;
	res->case_id = case_id;
	if (ok)
		snprintf(res->note, sizeof(res->note), "new case: %s, %s; %s", cr->category,
			 priority_name(prio), note);
	else
		snprintf(res->note, sizeof(res->note), "new case, %s: %s", case_state_name(sc.state),
			 why);
	ret = 0;
out:
	intake_rules_input_free(&ri);
	free(customer);
	free(refs);
	free(tags);
	free(hits);
	free(note);
	free(detail);
	free(why_traffic);
	free(reasons);
	classify_result_free(&cr);
	return ret;
}

/*
 * The traffic verdict from the header (policy/traffic.h), then from the
 * scanners of [spam] (case/scan.h: spamd, rspamd); the rules' spam outcome is added when the
 * message is classified.  A scanner that is down does not stop intake: the
 * message is ok as far as the rest can tell, and its ack waits ([spam]
 * wait) for the outbox to scan it again (TRAFFIC_UNSCANNED).  Never
 * fails.
 */
static void
intake_traffic(struct intake *in, const struct message *m, const char *raw, size_t len,
	       const struct intake_source *src, struct traffic *t)
{
	const struct config *cfg = in->cfg;
	struct traffic_options o = { 0 };
	enum scan_status st;
	char *said = NULL;

	o.authserv_id = cfg->spam_authserv_id;
	o.trust_headers = cfg->spam_trust_headers;
	traffic_judge(m, src->envelope_from, &o, t);
	if (in->pre_raw != NULL && in->pre_raw == raw && in->pre_len == len) {
		st = in->pre_status;
		said = in->pre_said;
		in->pre_said = NULL;
	} else {
		st = SCAN_OFF;
	}
	in->pre_raw = NULL;
	if (traffic_quarantines(t->verdict)) {
		free(said);
		return;
	}
	if (st == SCAN_OFF)
		st = scan_message(cfg, raw, len, &said);
	scan_add_traffic(st, said, src->source, t);
	free(said);
}

void
intake_prescan(struct intake *in, const char *raw, size_t len)
{
	char fp[65];
	long long msg_id, case_id;
	char *error = NULL;

	free(in->pre_said);
	in->pre_said = NULL;
	in->pre_raw = NULL;
	if (!scan_configured(in->cfg))
		return;
	/* One stored already is a duplicate: intake_message asks no scanner
	 * about it, so neither does this (ingest run twice, fetch reading a
	 * mailbox again).  A lookup error only costs a scan. */
	message_fingerprint(raw, len, fp);
	if (store_message_find(in->st, fp, &msg_id, &case_id, &error) > 0)
		return;
	free(error);
	in->pre_status = scan_message(in->cfg, raw, len, &in->pre_said);
	in->pre_raw = in->pre_status != SCAN_OFF ? raw : NULL;
	in->pre_len = len;
}

/* Whether a message with fingerprint fp is stored already: 1 (res says
 * it is a duplicate of which), 0, or -1 on a store error. */
static int
intake_seen(struct store *st, const char *fp, struct intake_result *res, char **error_r)
{
	long long msg_id = 0, case_id = 0;
	int found = store_message_find(st, fp, &msg_id, &case_id, error_r);

	if (found > 0) {
		res->outcome = INTAKE_DUPLICATE;
		res->case_id = case_id;
		res->msg_id = msg_id;
		snprintf(res->note, sizeof(res->note),
			 "duplicate of message %lld (case %lld)", msg_id, case_id);
	}
	return found;
}

int
intake_message(struct intake *in, const char *raw, size_t len,
	       const struct intake_source *src, time_t now,
	       struct intake_result *res, char **error_r)
{
	struct store *st = in->st;
	struct store_message sm = { 0 };
	struct store_case joined;
	struct message *m = NULL;
	const char *automatic = NULL, *how = NULL, *problem;
	char fp[65];
	long long msg_id = 0, case_id = 0;
	struct intake_author author = { 0 };
	struct traffic traffic;
	int found, ret = -1;

	memset(res, 0, sizeof(*res));
	traffic_init(&traffic);
	store_case_init(&joined);
	message_fingerprint(raw, len, fp);
	found = intake_seen(st, fp, res, error_r);
	if (found != 0)
		return found < 0 ? -1 : 0;

	m = message_parse(raw, len, &in->cfg->intake_limits);
	problem = intake_unreadable(m, raw, len, src->envelope_from);
	sm.direction = "in";
	sm.message_id = m->message_id;
	sm.fingerprint = fp;
	sm.source = src->source;
	sm.envelope_from = src->envelope_from;
	sm.envelope_to = src->envelope_to;
	sm.received = now;
	sm.from_addr = m->from.addr;
	sm.from_name = m->from.name;
	sm.subject = m->subject;
	sm.text = m->text;
	sm.raw = raw;
	sm.raw_len = len;
	sm.held_reason = problem;
	if (store_message_add(st, &sm, &msg_id, error_r) < 0)
		goto out;
	res->msg_id = msg_id;

	/* Held: a person looks at it; no clock runs and nothing is sent. */
	if (problem != NULL) {
		struct store_case sc;

		store_case_init(&sc);
		sc.state = CASE_HELD;
		sc.created = now;
		sc.updated = now;
		sc.subject = m->subject;
		sc.customer = m->from.addr;
		sc.customer_name = m->from.name;
		sc.held_reason = (char *)problem;
		sc.complaint = true;
		if (store_case_add(st, &sc, &case_id, error_r) < 0 ||
		    store_message_set_case(st, msg_id, case_id, error_r) < 0 ||
		    store_event_add(st, case_id, now, case_state_name(CASE_HELD), problem,
				    error_r) < 0)
			goto out;
		res->outcome = INTAKE_HELD;
		res->case_id = case_id;
		snprintf(res->note, sizeof(res->note), "held: %s", problem);
		ret = 0;
		goto out;
	}

	intake_author(in, m, src, &author);
	if (!autoreply_is_automatic_for(m, src->envelope_from, &in->policy, &automatic))
		automatic = NULL;
	intake_traffic(in, m, raw, len, src, &traffic);
	/* Spam and forged mail never joins a case: it could only move one. */
	found = traffic_quarantines(traffic.verdict) ? 0
		: intake_thread(in, m, &author, &joined, &how, error_r);
	if (found < 0)
		goto out;
	if (found > 0)
		ret = intake_join(in, &joined, m, msg_id, &author, automatic, how, now, res,
				  error_r);
	else
		ret = intake_new_case(in, m, msg_id, src, &author, automatic, &traffic, now,
				      res, error_r);
out:
	traffic_clear(&traffic);
	store_case_clear(&joined);
	free(author.addr);
	message_free(&m);
	return ret;
}

int
intake_held(struct intake *in, const char *reason,
	    const struct intake_source *src, time_t now,
	    struct intake_result *res, char **error_r)
{
	struct store *st = in->st;
	struct store_message sm = { 0 };
	struct store_case sc;
	long long msg_id = 0, case_id = 0;
	char fp[65], *mark;
	int found;

	memset(res, 0, sizeof(res[0]));
	store_case_init(&sc);
	/* No content to fingerprint: the source stands for it. */
	mark = xasprintf("X-Redress-Undelivered: %s\r\n\r\n", src->source);
	message_fingerprint(mark, strlen(mark), fp);
	free(mark);
	found = intake_seen(st, fp, res, error_r);
	if (found != 0)
		return found < 0 ? -1 : 0;
	sm.direction = "in";
	sm.fingerprint = fp;
	sm.source = src->source;
	sm.envelope_from = src->envelope_from;
	sm.envelope_to = src->envelope_to;
	sm.received = now;
	sm.raw = "";
	sm.raw_len = 0;
	sm.held_reason = reason;
	if (store_message_add(st, &sm, &msg_id, error_r) < 0)
		return -1;
	sc.state = CASE_HELD;
	sc.created = now;
	sc.updated = now;
	sc.held_reason = (char *)reason;
	sc.complaint = true;
	if (store_case_add(st, &sc, &case_id, error_r) < 0 ||
	    store_message_set_case(st, msg_id, case_id, error_r) < 0 ||
	    store_event_add(st, case_id, now, case_state_name(CASE_HELD), reason, error_r) < 0)
		return -1;
	res->outcome = INTAKE_HELD;
	res->case_id = case_id;
	res->msg_id = msg_id;
	snprintf(res->note, sizeof(res->note), "held: %s", reason);
	return 0;
}
