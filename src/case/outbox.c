/*
 * NAME
 *	outbox - the queue of mail redress owes people, and its delivery
 * DESCRIPTION
 *	See outbox.h.  Sending: claim a batch of jobs (state "sending", with
 *	this sender's name and a lease, in one short transaction, so that two
 *	senders never take the same job), build each message outside any
 *	transaction, deliver it, and record the results together with the
 *	cases' moves (an ack sent makes a new case acknowledged; a follow-up
 *	sent closes a resolved case) in one transaction per batch, which also
 *	puts back the jobs of the batch that were not tried.  Results wait in
 *	memory for that transaction at most [smtp] record_wait, and a job whose
 *	case has a result waiting has it recorded first.  The claim also fixes
 *	the jobs' Message-IDs, so that a message sent again after a crash
 *	keeps its own.
 *
 *	One sender at a time holds the "send" lock.  Both the lock and this
 *	sender's claims last [smtp] lease unless renewed, and they are renewed
 *	every third of it: between jobs, and during a delivery from the
 *	mailer's progress hook, so that a slow server cannot make a live
 *	sender look dead.  A round starts by putting back only the claims
 *	that nobody can be sending: expired, or of a process of this host
 *	that is gone.
 *
 *	A round ends early, leaving the other due jobs queued for the next
 *	one: on request (SIGTERM: after the job in hand, which is abandoned
 *	if nothing of it can have been delivered yet), when its time is up
 *	(the daemon bounds it so that fetching and ticking go on), when the
 *	server cannot be reached or stops answering (one timeout per round,
 *	not one per job), and after a configuration failure.
 *
 *	Backoff for temporary failures: 1, 2, 4, ... minutes, at most 1 hour
 *	apart, until [smtp] lifetime has passed since the job's first attempt
 *	(a follow-up is queued a week before it is due: its lifetime must not
 *	be spent before it is tried).  A delivery whose final dot got no reply
 *	may have reached the server: it is tried again at most once more, and
 *	no sooner than OUTBOX_UNCONFIRMED_WAIT (doc/design.md, "Delivery").
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "case/caselife.h"
#include "case/identity.h"
#include "case/hygiene.h"
#include "case/outbox.h"
#include "case/scan.h"
#include "case/thread.h"
#include "config/config.h"
#include "mail/addr.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "net/mailer.h"
#include "policy/traffic.h"
#include "policy/sla.h"
#include "policy/template.h"
#include "store/store.h"

#define OUTBOX_EXCERPT 600      /* bytes of the customer's text in escalations */
#define OUTBOX_MAX_BACKOFF 3600
#define OUTBOX_LOCK "send"
/* Attempts of one job that may end with no reply to the final dot: each
 * may have delivered a copy, so the server holds at most this many. */
#define OUTBOX_MAX_UNCONFIRMED 2
/* The least wait after such an attempt: a server that stalls after the
 * dot is often busy filtering, and answers the next one in time. */
#define OUTBOX_UNCONFIRMED_WAIT (15 * 60)
/* Jobs claimed, and results recorded, in one transaction: two
 * transactions per job held the whole send to a sixth of the mailer's
 * rate.  Also what a crash can leave delivered and unrecorded, to be sent
 * again: a round's batches grow from 1 (1, 2, 4 ... OUTBOX_BATCH), so that
 * a sender killed early still records its first jobs, and a round that
 * had to take back claims of a sender that is gone (a crash, perhaps one
 * that comes again at the same job) goes one job per batch. */
#define OUTBOX_BATCH 64

/* A job's outcome, waiting for its batch's transaction (outbox_flush). */
struct outbox_result {
	struct store_job job;       /* as it is to be written */
	bool move;                  /* the case moves (a sent ack or follow-up) */
	struct buf sent;            /* the message, kept on the case if sent */
	char *event, *detail;       /* the case's event, or NULL */
	time_t now;
};

struct outbox {
	const struct config *cfg;
	const struct sla_policy *sla;   /* cfg's */
	const struct identity *id;      /* our addresses and Message-ID key */
	struct store *st;
	struct template_set *templates;
	struct mailer *mailer;      /* NULL for a dry run */
	bool dry_run;
	bool halted;                /* a configuration problem stopped the batch */
	bool down;                  /* the server is unreachable: end the round */
	char owner[128];            /* PID@NODE for claims and the lock */
	char lock[160];             /* the send lock's name (outbox_new) */
	long lifetime;              /* [smtp] lifetime */
	long lease;                 /* [smtp] lease: seconds the lock and claims
				     * hold unrenewed */
	time_t renewed;             /* real time of the last renewal */
	bool locked;                /* we hold the send lock */
	bool lost_lock;             /* a renewal found it taken: end the round */
	bool (*stop)(void);         /* the round's stop request, or NULL */
	struct outbox_result *pending; /* outcomes not yet recorded */
	size_t n_pending, cap_pending;
	double pending_since;       /* monotonic time of the oldest of them */
	char *flush_error;          /* why the hook could not record them */
};

static void outbox_pending_clear(struct outbox *ob);
static int outbox_flush(struct outbox *ob, struct store_job *rest, size_t n_rest,
			char **error_r);
static double outbox_seconds(void);

int
outbox_lock(struct outbox *ob, char **error_r)
{
	time_t t = time(NULL);
	int r = store_lock(ob->st, ob->lock, ob->owner, t, ob->lease, error_r);

	if (r > 0) {
		ob->locked = true;
		ob->lost_lock = false;
		ob->renewed = t;
	}
	return r;
}

const char *
outbox_lock_name(const struct outbox *ob)
{
	return ob->lock;
}

void
outbox_unlock(struct outbox *ob)
{
	char *error = NULL;

	if (!ob->locked)
		return;
	ob->locked = false;
	if (store_unlock(ob->st, ob->lock, ob->owner, &error) < 0) {
		log_warn("send: %s", error);
		free(error);
	}
}

int
outbox_renew(struct outbox *ob, bool force)
{
	time_t t = time(NULL);
	char *error = NULL;
	int r = 1;

	if (ob->lost_lock)
		return 0;
	if (!force && t - ob->renewed < ob->lease / 3)
		return 1;
	/* The claims first: they are what a takeover would send twice. */
	if (store_jobs_renew(ob->st, ob->owner, t + ob->lease, &error) < 0 ||
	    (ob->locked &&
	     (r = store_lock(ob->st, ob->lock, ob->owner, t, ob->lease, &error)) < 0)) {
		/* A busy store: the lease still has two thirds to run. */
		log_warn("send: cannot renew the lock and claims: %s", error);
		free(error);
		return 1;
	}
	ob->renewed = t;
	if (r == 0) {
		log_error("send: another sender took the \"%s\" lock (it was not "
			  "renewed for [smtp] lease); this one stops after the job "
			  "in hand", ob->lock);
		ob->lost_lock = true;
		return 0;
	}
	return 1;
}

/* The mailer's hook during a delivery: renew, record the results that
 * have waited long enough (a slow delivery must not keep them from their
 * commit), and stop while it is safe. */
static int
outbox_progress(void *ctx, int committed)
{
	struct outbox *ob = ctx;

	outbox_renew(ob, false);
	if (ob->n_pending > 0 && ob->flush_error == NULL &&
	    outbox_seconds() - ob->pending_since >= (double)ob->cfg->smtp_record_wait)
		outbox_flush(ob, NULL, 0, &ob->flush_error);
	return !committed && ob->stop != NULL && ob->stop();
}

/* Opens the mailer [smtp] and [outbox] name, with the password read now
 * (its file may have changed since the configuration loaded). */
static int
outbox_mailer_open(struct outbox *ob, char **error_r)
{
	const struct config *cfg = ob->cfg;
	struct mailer_options opt = {
		.outbox_path = cfg->outbox_path,
		.url = cfg->smtp_url,
		.user = cfg->smtp_user,
		.tls = config_text(cfg, "smtp", "tls"),
		.ca_file = cfg->smtp_ca_file,
		.timeout = cfg->smtp_timeout,
		.where = config_where(cfg, "smtp", "url"),
		/* The SMTP dialogue goes to the debug log only when asked for. */
		.trace = cfg->log_level == LOG_LEVEL_DEBUG,
	};
	char *password = NULL;
	int ret;

	if (cfg->smtp_url != NULL && cfg->smtp_url[0] != '\0' &&
	    cfg->smtp_user != NULL && cfg->smtp_user[0] != '\0' &&
	    config_secret(cfg->smtp_password, cfg->smtp_password_file, &password,
			  error_r) < 0)
		return -1;
	opt.password = password;
	ret = mailer_open(&opt, &ob->mailer, error_r);
	if (password != NULL) {
		/* libcurl keeps its own copy; ours goes now. */
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (ret == 0)
		mailer_set_progress(ob->mailer, outbox_progress, ob);
	return ret;
}

int
outbox_new(const struct config *cfg, const struct identity *id, struct store *st,
	   bool dry_run, struct outbox **ob_r, char **error_r)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	*ob_r = NULL;
	ob->cfg = cfg;
	ob->sla = cfg->sla;
	ob->id = id;
	ob->st = st;
	ob->dry_run = dry_run;
	ob->lifetime = cfg->smtp_lifetime;
	ob->lease = cfg->smtp_lease;
	config_owner(cfg, ob->owner, sizeof(ob->owner));
	/* One sender at a time per store, or per node of a store that
	 * several nodes share: their claims skip each other's jobs, so the
	 * nodes send side by side, and a node that dies leaves only its
	 * claims in hand, back in the queue when their lease runs out. */
	if (store_multi_node(st))
		snprintf(ob->lock, sizeof(ob->lock), "%s:%s", OUTBOX_LOCK,
			 strchr(ob->owner, '@') + 1);
	else
		snprintf(ob->lock, sizeof(ob->lock), "%s", OUTBOX_LOCK);
	if (template_set_load(cfg->paths_templates, &ob->templates, error_r) < 0 ||
	    (!dry_run && outbox_mailer_open(ob, error_r) < 0)) {
		outbox_free(&ob);
		return -1;
	}
	*ob_r = ob;
	return 0;
}

void
outbox_free(struct outbox **obp)
{
	struct outbox *ob = *obp;

	if (ob == NULL)
		return;
	outbox_unlock(ob);
	outbox_pending_clear(ob);
	free(ob->pending);
	free(ob->flush_error);
	template_set_free(&ob->templates);
	mailer_close(&ob->mailer);
	free(ob);
	*obp = NULL;
}

static const char *
outbox_template_kind(enum job_kind job_kind, const struct store_case *c)
{
	return template_kind_for(job_kind, caselife_outcome(c));
}

/* The first lines of the customer's first message, for escalations. */
static char *
outbox_excerpt(struct outbox *ob, long long case_id)
{
	struct store_message_info *msgs = NULL;
	size_t n = 0, len = 0;
	char *raw = NULL, *error = NULL, *text = NULL;

	if (store_case_messages(ob->st, case_id, &msgs, &n, &error) < 0 || n == 0 ||
	    store_message_raw(ob->st, msgs[0].id, &raw, &len, &error) <= 0) {
		free(error);
		store_message_infos_free(&msgs, n);
		return xstrdup("");
	}
	{
		struct message *m = message_parse(raw, len, &ob->cfg->intake_limits);
		char *fresh = message_fresh_text(m->text, m->text_len);
		size_t cut = strlen(fresh);

		if (cut > OUTBOX_EXCERPT) {
			/* Do not split a UTF-8 sequence. */
			cut = utf8_boundary(fresh, OUTBOX_EXCERPT);
		}
		text = xasprintf("%.*s%s", (int)cut, fresh,
				 cut < strlen(fresh) ? " [...]" : "");
		free(fresh);
		message_free(&m);
	}
	free(raw);
	store_message_infos_free(&msgs, n);
	return text;
}

/*
 * The time to promise the customer for a deadline due.  A promise is never
 * in the past: when the deadline has passed by the time the message is
 * built (a follow-up to a case whose resolution is late, an ack held back
 * by a greylisting server), the promise is made afresh from now, with the
 * case's first-response target (a question's, [sla] question) in business
 * time: the time the team allows itself to answer.  0: promise no time.
 */
static time_t
outbox_promise(const struct outbox *ob, const struct store_case *c, time_t due,
	       time_t now)
{
	enum priority prio = PRIORITY_NORMAL;

	if (due == 0 || due > now)
		return due;
	switch (caselife_outcome(c)) {
	case OUTCOME_COMPLAINT:
		if (c->priority != PRIORITY_NONE)
			prio = c->priority;
		return sla_add(ob->sla->cal, now, ob->sla->target[prio].first_response);
	case OUTCOME_QUESTION:
		return ob->sla->question_clock ? sla_add(ob->sla->cal, now, ob->sla->question)
		       : 0;
	default:
		return 0;
	}
}

static void
outbox_vars(struct outbox *ob, const struct store_case *c, const struct store_job *j,
	    time_t now, struct template_vars *v)
{
	char buf[256], *tag, *echo;
	/* Escalations and warnings tell staff the deadlines as they are;
	 * everything else is read by the customer, as a promise. */
	bool to_customer = !job_kind_to_staff(j->kind);
	time_t fr_due = c->first_response_due, res_due = c->resolution_due;
	/* The promises and deadlines below in one switch of time zone, not
	 * two to four (nothing here uses local time otherwise). */
	struct sla_zone_hold *zone = sla_zone_hold(ob->sla->cal);

	if (to_customer) {
		fr_due = outbox_promise(ob, c, fr_due, now);
		res_due = outbox_promise(ob, c, res_due, now);
	}
	/* One way to write a case number, the subject tag's: 000123. */
	snprintf(buf, sizeof(buf), "%06lld", c->id);
	template_vars_set(v, "case_id", buf);
	tag = thread_tag_format(ob->cfg->case_tag, c->id);
	template_vars_set(v, "case_tag", tag);
	free(tag);
	/* The customer's own words are echoed cut short (compose_echo): a
	 * 64 KiB display name or a 1000-byte subject is not ours to repeat. */
	echo = compose_echo(c->customer_name, COMPOSE_ECHO_NAME);
	template_vars_set(v, "customer_name", echo);
	free(echo);
	template_vars_set(v, "customer_email", c->customer);
	template_vars_set(v, "category", c->category);
	template_vars_set(v, "category_label", c->label);
	template_vars_set(v, "priority", priority_name(c->priority));
	echo = compose_echo(c->subject, COMPOSE_ECHO_SUBJECT);
	template_vars_set(v, "original_subject", echo);
	free(echo);
	template_vars_set(v, "sender_name", ob->id->from_name != NULL ? ob->id->from_name
			  : "Customer Care");
	template_vars_set(v, "company", ob->id->from_name != NULL ? ob->id->from_name
			  : "Customer Care");
	template_vars_set(v, "state", case_state_name(c->state));
	template_vars_set(v, "tags", c->tags);
	template_vars_set(v, "resolution_cause", c->resolution_cause);
	template_vars_set(v, "resolved", c->resolved_at != 0 ? "yes" : "");
	template_vars_set(v, "breached", c->first_response_breached ||
			  c->resolution_breached ? "yes" : "");
	if (fr_due != 0) {
		sla_format_deadline(ob->sla->cal, fr_due, now, buf, sizeof(buf));
		template_vars_set(v, "deadline", buf);
	}
	if (res_due != 0) {
		sla_format_deadline(ob->sla->cal, res_due, now, buf, sizeof(buf));
		template_vars_set(v, "resolution_deadline", buf);
	}
	/* Escalations and warnings: which clock, and when it runs out (or
	 * ran out), in words; a rule-based escalation says why instead. */
	if (j->detail != NULL && job_kind_to_staff(j->kind)) {
		const char *clock = strncmp(j->detail, "breach:", 7) == 0 ? j->detail + 7
				    : j->detail;
		bool first = strcmp(clock, "first response") == 0;
		bool res = strcmp(clock, "resolution") == 0;

		if (first || res) {
			time_t due = first ? c->first_response_due : c->resolution_due;

			template_vars_set(v, "breach_kind", clock);
			if (due != 0) {
				sla_format_deadline(ob->sla->cal, due, now, buf, sizeof(buf));
				template_vars_set(v, "due", buf);
			}
		} else {
			template_vars_set(v, "reason", j->detail);
			/* An escalation at intake may go out after deadlines have
			 * passed (quiet hours): it then stands for their
			 * escalations too (escalate.h), so it names them. */
			if (c->first_response_breached || c->resolution_breached)
				template_vars_set(v, "breach_kind",
						  !c->resolution_breached ? "first response"
						  : !c->first_response_breached ? "resolution"
						  : "first response and resolution");
		}
	}
	{
		char iso[CLOCK_ISO_LEN];

		clock_format_iso8601(c->created, iso);
		template_vars_set(v, "received", iso);
	}
	sla_zone_release(&zone);
	if (job_kind_to_staff(j->kind)) {
		char *ex = outbox_excerpt(ob, c->id);

		template_vars_set(v, "customer_excerpt", ex);
		free(ex);
	}
}

/* The display name of a staff recipient: an agent's ([agents]), or
 * escalate_to's. */
static const char *
outbox_staff_name(const struct outbox *ob, const char *rcpt)
{
	const struct config_agent *a = config_agent_by_addr(ob->cfg, rcpt);

	if (a != NULL)
		return a->box.name;
	return ob->id->escalate_name;
}

/* Builds the whole message for a job; 0, or -1 with error (permanent). */
static int
outbox_build(struct outbox *ob, const struct store_case *c, struct store_job *j,
	     time_t now, struct buf *out, char **error_r)
{
	struct template_vars *v = template_vars_new();
	struct template_output t = { 0 };
	struct compose_input in = { 0 };
	const char *refs[64];
	size_t n_refs = 0;
	char *refs_copy = NULL;
	bool to_customer = !job_kind_to_staff(j->kind);
	int ret = -1;

	outbox_vars(ob, c, j, now, v);
	if (template_render(ob->templates, outbox_template_kind(j->kind, c),
			    c->category, v, &t, error_r) < 0)
		goto out;
	if (j->msgid == NULL)
		j->msgid = thread_msgid_new(ob->id->key, sizeof(ob->id->key), c->id,
					    ob->id->domain);
	in.from = ob->id->from;
	in.to_addr = j->rcpt;
	in.to_name = to_customer ? c->customer_name : outbox_staff_name(ob, j->rcpt);
	in.subject = t.subject;
	in.body = t.body;
	in.message_id = j->msgid;
	in.date = now;
	in.x_loop = ob->id->from_addr;
	if (to_customer) {
		in.auto_submitted = j->kind == JOB_FOLLOWUP ? "auto-generated"
				    : "auto-replied";
		in.in_reply_to = c->customer_msgid;
		if (c->customer_refs != NULL) {
			/* Space-separated ids: cut them apart in a copy. */
			refs_copy = xstrdup(c->customer_refs);
			for (char *p = refs_copy; *p != '\0' && n_refs < 64;) {
				size_t len = strcspn(p, " ");

				if (len > 0)
					refs[n_refs++] = p;
				p += len;
				if (*p != '\0')
					*p++ = '\0';
			}
		}
		in.references = refs;
		in.n_references = n_refs;
	} else {
		in.auto_submitted = "auto-generated";
	}
	ret = compose_message(&in, out, error_r);
out:
	free(refs_copy);
	template_output_clear(&t);
	template_vars_free(&v);
	return ret;
}

/* A reply's message as it was made and stored when it was queued
 * (reply.h): the job's detail is "message:ID". */
static int
outbox_stored(struct outbox *ob, const struct store_job *j, struct buf *out,
	      char **error_r)
{
	long long msg_id = 0;
	char *raw = NULL;
	size_t len = 0;
	int r;

	if (j->detail == NULL || sscanf(j->detail, "message:%lld", &msg_id) != 1 ||
	    msg_id <= 0) {
		*error_r = xasprintf("job %lld: no stored message (detail \"%s\")", j->id,
				     j->detail != NULL ? j->detail : "");
		return -1;
	}
	r = store_message_raw(ob->st, msg_id, &raw, &len, error_r);
	if (r <= 0) {
		if (r == 0)
			*error_r = xasprintf("job %lld: message %lld is gone", j->id, msg_id);
		return -1;
	}
	r = buf_append(out, raw, len);
	free(raw);
	if (r < 0) {
		*error_r = xasprintf("job %lld: message %lld is too large", j->id, msg_id);
		return -1;
	}
	return 0;
}

/* The message a job sends: stored (a reply) or built now. */
static int
outbox_message(struct outbox *ob, const struct store_case *c, struct store_job *j,
	       time_t now, struct buf *out, char **error_r)
{
	if (j->kind == JOB_REPLY)
		return outbox_stored(ob, j, out, error_r);
	return outbox_build(ob, c, j, now, out, error_r);
}

int
outbox_render_named(struct outbox *ob, const struct store_case *c, const char *name,
		    time_t now, char **body_r, char **error_r)
{
	struct template_vars *v = template_vars_new();
	struct template_output t = { 0 };
	struct store_job j = { 0 };
	int ret = -1;

	j.case_id = c->id;
	j.kind = JOB_REPLY;
	j.rcpt = c->customer;
	outbox_vars(ob, c, &j, now, v);
	if (template_render_name(ob->templates, name, v, &t, error_r) == 0) {
		*body_r = xstrdup(t.body != NULL ? t.body : "");
		ret = 0;
	}
	template_output_clear(&t);
	template_vars_free(&v);
	return ret;
}

/*
 * Keeps a message we sent on its case, like the ones we receive (a reply
 * was stored when it was queued: reply.h).  Once per message: a job that
 * was sent again after a crash finds its copy by fingerprint.
 */
static int
outbox_keep(struct outbox *ob, const struct store_job *j, const struct store_case *c,
	    const struct buf *sent, time_t now, char **error_r)
{
	struct store_message sm = { 0 };
	char fp[65], *src;
	long long id = 0, case_id = 0;
	int r;

	if (j->kind == JOB_REPLY || sent == NULL || sent->len == 0)
		return 0;
	message_fingerprint(sent->data, sent->len, fp);
	r = store_message_find(ob->st, fp, &id, &case_id, error_r);
	if (r != 0)
		return r < 0 ? -1 : 0;
	src = xasprintf("redress:%s", job_kind_name(j->kind));
	sm.case_id = j->case_id;
	sm.direction = "out";
	sm.message_id = j->msgid;
	sm.fingerprint = fp;
	sm.source = src;
	sm.envelope_from = ob->id->envelope_from;
	sm.envelope_to = j->rcpt;
	sm.received = now;
	sm.from_addr = ob->id->from_addr;
	sm.from_name = ob->id->from_name;
	sm.subject = c != NULL ? c->subject : NULL;
	sm.raw = sent->data;
	sm.raw_len = sent->len;
	r = store_message_add(ob->st, &sm, &id, error_r);
	free(src);
	return r;
}

/*
 * Takes a job's outcome (and *j: it is left empty) to be recorded with
 * the case's move (move: an ack or follow-up sent) by the batch's
 * transaction (outbox_flush); sent: the message, taken too (NULL: none).
 */
static void
outbox_record_sent(struct outbox *ob, struct store_job *j, bool move, struct buf *sent,
		   const char *event, const char *detail, time_t now)
{
	struct outbox_result *r;

	ob->pending = xgrow(ob->pending, &ob->cap_pending, ob->n_pending + 1,
			    sizeof(*ob->pending));
	r = &ob->pending[ob->n_pending];
	if (ob->n_pending++ == 0)
		ob->pending_since = outbox_seconds();
	memset(r, 0, sizeof(*r));
	r->job = *j;
	memset(j, 0, sizeof(*j));
	r->move = move;
	if (sent != NULL) {
		r->sent = *sent;
		buf_init(sent, MAILER_MAX_MESSAGE);
	}
	r->event = event != NULL ? xstrdup(event) : NULL;
	r->detail = detail != NULL ? xstrdup(detail) : NULL;
	r->now = now;
}

/* The same without a message or a case move. */
static void
outbox_record(struct outbox *ob, struct store_job *j, const char *event,
	      const char *detail, time_t now)
{
	outbox_record_sent(ob, j, false, NULL, event, detail, now);
}

static void
outbox_pending_clear(struct outbox *ob)
{
	for (size_t i = 0; i < ob->n_pending; i++) {
		struct outbox_result *r = &ob->pending[i];

		store_job_clear(&r->job);
		buf_free(&r->sent);
		free(r->event);
		free(r->detail);
	}
	ob->n_pending = 0;
}

/* Writes one outcome and the case's move; the caller holds the
 * transaction.  The case is read now, in it: a result recorded earlier in
 * the batch, or a person, may have moved it since the job was claimed. */
static int
outbox_apply(struct outbox *ob, struct outbox_result *r, char **error_r)
{
	struct store *st = ob->st;
	struct store_job *j = &r->job;
	struct store_case c;
	bool sent = j->state == JOB_SENT;
	int have = 0, ret = -1;

	store_case_init(&c);
	if (sent && (have = store_case_get(st, j->case_id, &c, error_r)) < 0)
		goto out;
	if (store_job_update(st, j, error_r) < 0 ||
	    (sent && outbox_keep(ob, j, have > 0 ? &c : NULL, &r->sent, r->now,
				 error_r) < 0) ||
	    (r->event != NULL && store_event_add(st, j->case_id, r->now, r->event,
						 r->detail, error_r) < 0))
		goto out;
	if (r->move && sent && have > 0 &&
	    (job_kind_is_ack(j->kind) || j->kind == JOB_FOLLOWUP)) {
		enum caselife_action a = j->kind == JOB_FOLLOWUP
					 ? CASELIFE_CLOSE : CASELIFE_ACK_SENT;
		char *why = NULL;
		int m = caselife_apply(st, ob->sla, &c, a, job_kind_name(j->kind), r->now,
				       &why);

		if (m < 0) {
			*error_r = why;
			goto out;
		}
		if (m == 0) {
			/* Moved on meanwhile (closed by hand): the mail went
			 * out all the same, and the case stays as it is. */
			log_info("case %lld: %s", j->case_id, why);
			free(why);
		}
	}
	ret = 0;
out:
	store_case_clear(&c);
	return ret;
}

/* Puts claimed jobs that were not tried back in the queue; the caller
 * holds the transaction. */
static int
outbox_release(struct outbox *ob, struct store_job *rest, size_t n_rest, char **error_r)
{
	for (size_t i = 0; i < n_rest; i++) {
		rest[i].state = JOB_QUEUED;
		if (store_job_update(ob->st, &rest[i], error_r) < 0)
			return -1;
	}
	return 0;
}

/*
 * Records the outcomes waiting, and puts rest (claimed, not tried) back in
 * the queue, in one transaction.  Should it fail, each is tried in its
 * own, so that one bad record costs no other.  0, or -1 when some could
 * not be written: their jobs stay "sending", and the next round takes them
 * back as this sender's leftovers (doc/design.md, "Delivery").
 */
static int
outbox_flush(struct outbox *ob, struct store_job *rest, size_t n_rest, char **error_r)
{
	struct store *st = ob->st;
	char *err = NULL;
	size_t i;
	int ret = 0;

	if (ob->n_pending == 0 && n_rest == 0)
		return 0;
	if (store_begin(st, &err) == 0) {
		for (i = 0; i < ob->n_pending; i++)
			if (outbox_apply(ob, &ob->pending[i], &err) < 0)
				break;
		if (i == ob->n_pending && outbox_release(ob, rest, n_rest, &err) == 0 &&
		    store_commit(st, &err) == 0)
			goto out;
		store_rollback(st);
	}
	log_warn("send: recording a batch of %zu job(s): %s; recording them one by one",
		 ob->n_pending + n_rest, err);
	free(err);
	err = NULL;
	for (i = 0; i < ob->n_pending + n_rest; i++) {
		char *e = NULL;

		if (store_begin(st, &e) == 0 &&
		    (i < ob->n_pending ? outbox_apply(ob, &ob->pending[i], &e)
		     : outbox_release(ob, &rest[i - ob->n_pending], 1, &e)) == 0 &&
		    store_commit(st, &e) == 0)
			continue;
		store_rollback(st);
		if (ret == 0) {
			err = e;
			ret = -1;
		} else {
			log_error("send: %s", e);
			free(e);
		}
	}
out:
	outbox_pending_clear(ob);
	if (ret < 0)
		*error_r = err;
	else
		free(err);
	return ret;
}

/*
 * Why a job should not go out any more, or NULL.  Asked when the job is
 * claimed, not only when it was queued: a case moves on while its mail
 * waits (quiet hours, backoff, a sender that was down).
 */
static const char *
outbox_pointless(const struct store_case *c, const struct store_job *j)
{
	bool to_staff = job_kind_to_staff(j->kind);

	if (c->state == CASE_HELD)
		return "the case is held";
	if (c->state == CASE_QUARANTINED)
		return "the case is quarantined";
	if (c->state == CASE_INFORMATIONAL && !to_staff)
		return "the case is informational";
	if (c->state == CASE_MERGED)
		return "the case was merged into another";
	if (j->rcpt == NULL || *j->rcpt == '\0')
		return "no recipient";
	if (j->kind == JOB_FOLLOWUP && c->state == CASE_CLOSED)
		return "the case is closed";
	if (to_staff) {
		/* A manager paged about a case that is already settled is
		 * paged for nothing: "State: resolved" in the escalation. */
		if (c->state == CASE_RESOLVED)
			return "the case is resolved";
		if (c->state == CASE_CLOSED)
			return "the case is closed";
		if (c->first_response_at != 0 && j->detail != NULL &&
		    (strcmp(j->detail, "first response") == 0 ||
		     strcmp(j->detail, "breach:first response") == 0))
			return "the first response was made";
	}
	return NULL;
}

/* The case a job belongs to; a job whose case is gone is an error. */
static int
outbox_job_case(struct outbox *ob, const struct store_job *j, struct store_case *c_r,
		char **error_r)
{
	int r = store_case_get(ob->st, j->case_id, c_r, error_r);

	if (r == 0)
		*error_r = xasprintf("job %lld: case %lld is gone", j->id, j->case_id);
	return r > 0 ? 0 : -1;
}

/* The next wait after attempt number attempts failed: 1, 2, 4 ... min. */
static long
outbox_backoff(int attempts)
{
	long backoff = 60L << (attempts > 0 && attempts < 7 ? attempts - 1 : 6);

	return backoff > OUTBOX_MAX_BACKOFF ? OUTBOX_MAX_BACKOFF : backoff;
}

static void
outbox_set(char **field, char *value)
{
	free(*field);
	*field = value;
}

/*
 * The ack of a message whose scanner was down at intake waited [spam] wait
 * (intake.c): scan it again now.  Spam: the case is marked so
 * (hygiene_spam), and outbox_pointless stops the ack.  Not spam, or
 * the scanner still down (the wait is the bound): the ack goes, and the reasons
 * say which.  0, or -1 on a store error.
 */
static int
outbox_rescan(struct outbox *ob, struct store_case *c, time_t now, char **error_r)
{
	struct store_message_info *msgs = NULL;
	enum scan_status st = SCAN_FAILED;
	char *raw = NULL, *said = NULL, *detail, *mark, *fixed;
	size_t n = 0, len = 0;
	int r = 0;

	if (c->traffic_reasons == NULL || !scan_configured(ob->cfg) ||
	    (mark = strstr(c->traffic_reasons, TRAFFIC_UNSCANNED)) == NULL)
		return 0;
	if (store_case_messages(ob->st, c->id, &msgs, &n, error_r) < 0)
		return -1;
	if (n > 0 && store_message_raw(ob->st, msgs[0].id, &raw, &len, error_r) < 0) {
		store_message_infos_free(&msgs, n);
		return -1;
	}
	store_message_infos_free(&msgs, n);
	if (raw != NULL)
		st = scan_message(ob->cfg, raw, len, &said);
	free(raw);
	if (st == SCAN_SPAM || st == SCAN_CLEAN)
		detail = xasprintf("%s", said);
	else
		detail = xasprintf("scanner still unavailable after [spam] wait (%s): the ack "
				   "goes unscanned", said != NULL ? said : "no message");
	/* The mark goes, so that the case is scanned once more at most. */
	fixed = xasprintf("%.*srescanned: scanner was unavailable%s",
			  (int)(mark - c->traffic_reasons), c->traffic_reasons,
			  mark + strlen(TRAFFIC_UNSCANNED));
	free(c->traffic_reasons);
	c->traffic_reasons = fixed;
	if (store_begin(ob->st, error_r) < 0) {
		free(detail);
		free(said);
		return -1;
	}
	if (st == SCAN_SPAM) {
		/* What hygiene_spam writes, with the scanner's word for it. */
		r = hygiene_spam(ob->st, c, now, NULL, error_r);
		if (r > 0)
			r = store_event_add(ob->st, c->id, now, "scanned", detail, error_r);
	} else {
		c->updated = now;
		r = store_case_update(ob->st, c, error_r);
		if (r == 0)
			r = store_event_add(ob->st, c->id, now, "scanned", detail, error_r);
	}
	if (r < 0) {
		store_rollback(ob->st);
	} else if (store_commit(ob->st, error_r) < 0) {
		r = -1;
	} else {
		r = 0;
		log_info("case %lld: %s", c->id, detail);
	}
	free(detail);
	free(said);
	return r;
}

static int
outbox_send_one(struct outbox *ob, struct store_job *j, time_t now,
		struct outbox_stats *stats, char **error_r)
{
	struct store_case c;
	struct buf msg;
	char *err = NULL, *detail = NULL;
	const char *why, *event = NULL;
	enum mailer_status status;
	bool expired;
	int ret = 0;

	if (outbox_job_case(ob, j, &c, error_r) < 0)
		return -1;
	if (job_kind_is_ack(j->kind) && outbox_rescan(ob, &c, now, error_r) < 0) {
		store_case_clear(&c);
		return -1;
	}
	buf_init(&msg, MAILER_MAX_MESSAGE);
	why = outbox_pointless(&c, j);
	if (why != NULL) {
		j->state = JOB_SUPPRESSED;
		outbox_set(&j->last_error, xstrdup(why));
		detail = xasprintf("%s not sent: %s", job_kind_name(j->kind), why);
		stats->suppressed++;
		outbox_record(ob, j, job_state_name(JOB_SUPPRESSED), detail, now);
		goto out;
	}
	if (outbox_message(ob, &c, j, now, &msg, &err) < 0) {
		/* A template or address that cannot make a message will not
		 * get better by waiting. */
		j->state = JOB_FAILED;
		outbox_set(&j->last_error, err);
		err = NULL;
		detail = xasprintf("%s failed: %s", job_kind_name(j->kind), j->last_error);
		log_error("job %lld (case %lld): %s", j->id, j->case_id, j->last_error);
		stats->failed++;
		outbox_record(ob, j, "send-failed", detail, now);
		goto out;
	}
	status = mailer_send(ob->mailer, ob->id->envelope_from, j->rcpt, msg.data, msg.len,
			     &err);
	if (status == MAILER_STOPPED) {
		/* Abandoned before anything could be delivered: as it was. */
		log_info("job %lld (case %lld): left for the next sender: %s", j->id,
			 j->case_id, err);
		j->state = JOB_QUEUED;
		outbox_record(ob, j, NULL, NULL, now);
		goto out;
	}
	j->attempts++;
	/* The lifetime runs from the first attempt since the job was queued
	 * (or retried), not from its queueing. */
	if (j->first_try == 0)
		j->first_try = now;
	expired = now - j->first_try >= ob->lifetime;
	switch (status) {
	case MAILER_OK:
		j->state = JOB_SENT;
		j->sent_at = now;
		outbox_set(&j->last_error, NULL);
		detail = xasprintf("%s sent to %s (%s)", job_kind_name(j->kind), j->rcpt,
				   mailer_kind(ob->mailer));
		stats->sent++;
		log_debug("case %lld: %s", j->case_id, detail);
		outbox_record_sent(ob, j, true, &msg, job_state_name(JOB_SENT), detail, now);
		break;
	case MAILER_UNCERTAIN:
		/* The server may have the message: every retry may be a copy.
		 * The server stalls, too: the rest of the round waits. */
		j->unconfirmed++;
		stats->unconfirmed++;
		ob->down = true;
		if (j->unconfirmed >= OUTBOX_MAX_UNCONFIRMED || expired) {
			j->state = JOB_FAILED;
			outbox_set(&j->last_error,
				   xasprintf("unconfirmed: %s (%d attempt(s) without a "
					     "reply to the final dot, each of which may "
					     "have delivered a copy: not tried again)",
					     err, j->unconfirmed));
			detail = xasprintf("%s to %s unconfirmed: %s", job_kind_name(j->kind), j->rcpt,
					   j->last_error);
			log_error("case %lld: %s", j->case_id, detail);
			stats->failed++;
			outbox_record(ob, j, "send-unconfirmed", detail, now);
		} else {
			long wait = outbox_backoff(j->attempts);

			j->state = JOB_QUEUED;
			outbox_set(&j->last_error, err);
			err = NULL;
			j->due = now + (wait > OUTBOX_UNCONFIRMED_WAIT ? wait
					: OUTBOX_UNCONFIRMED_WAIT);
			stats->deferred++;
			log_warn("job %lld (case %lld): deferred: %s", j->id, j->case_id,
				 j->last_error);
			outbox_record(ob, j, NULL, NULL, now);
		}
		break;
	case MAILER_CONFIG:
		/* A wrong password or an untrusted certificate fails every job
		 * alike, and retrying each one can get the account locked:
		 * stop this batch, keep the job, and say so loudly. */
		log_error("send: stopping this batch: %s (check [smtp] in %s)", err,
			  ob->cfg->file != NULL ? ob->cfg->file : "the configuration");
		ob->halted = true;
		stats->halts++;
		/* fall through */
	case MAILER_DOWN:
	case MAILER_TEMPFAIL:
		outbox_set(&j->last_error, err);
		err = NULL;
		if (status == MAILER_DOWN) {
			/* One timeout per round, not one per job: a dead server
			 * must not hold fetching and ticking for hours. */
			log_warn("send: %s; the due jobs wait for the next round",
				 j->last_error);
			ob->down = true;
		}
		if (expired) {
			j->state = JOB_FAILED;
			detail = xasprintf("%s failed after %d attempts: %s", job_kind_name(j->kind),
					   j->attempts, j->last_error);
			stats->failed++;
			event = "send-failed";
		} else {
			j->state = JOB_QUEUED;
			j->due = now + outbox_backoff(j->attempts);
			stats->deferred++;
			log_warn("job %lld (case %lld): deferred: %s", j->id, j->case_id,
				 j->last_error);
		}
		outbox_record(ob, j, event, detail, now);
		break;
	case MAILER_STOPPED:
		break; /* handled above */
	case MAILER_PERMFAIL:
		j->state = JOB_FAILED;
		outbox_set(&j->last_error, err);
		err = NULL;
		detail = xasprintf("%s to %s refused: %s", job_kind_name(j->kind), j->rcpt,
				   j->last_error);
		log_error("case %lld: %s", j->case_id, detail);
		stats->failed++;
		outbox_record(ob, j, "send-failed", detail, now);
		break;
	}
out:
	free(err);
	free(detail);
	buf_free(&msg);
	store_case_clear(&c);
	return ret;
}

static int outbox_send_loop(struct outbox *ob, time_t now,
			    const struct outbox_round *round,
			    struct outbox_stats *stats, char **error_r);

/* What the sender would do with one job, shown through round->show;
 * nothing is written. */
static int
outbox_dry_one(struct outbox *ob, struct store_job *j, time_t now,
	       const struct outbox_round *round, struct outbox_stats *stats,
	       char **error_r)
{
	struct store_case c;
	struct buf msg, text;
	char *err = NULL;
	const char *why;

	if (outbox_job_case(ob, j, &c, error_r) < 0)
		return -1;
	buf_init(&text, BUF_NO_LIMIT);
	buf_printf(&text, "--- job %lld: %s for case %lld to %s", j->id, job_kind_name(j->kind),
		   j->case_id,
		   j->rcpt != NULL ? j->rcpt : "(nobody)");
	buf_init(&msg, MAILER_MAX_MESSAGE);
	if ((why = outbox_pointless(&c, j)) != NULL) {
		buf_printf(&text, ": would be suppressed: %s\n", why);
		stats->suppressed++;
	} else if (outbox_message(ob, &c, j, now, &msg, &err) < 0) {
		buf_printf(&text, ": would fail: %s\n", err);
		free(err);
		stats->failed++;
	} else {
		buf_putc(&text, '\n');
		buf_append(&text, msg.data, msg.len);
		stats->sent++;
	}
	if (round->show != NULL)
		round->show(round->show_ctx, buf_str(&text), text.len);
	buf_free(&text);
	buf_free(&msg);
	store_case_clear(&c);
	return 0;
}

/*
 * A dry run reads the due jobs and claims none.  (It used to claim each
 * job and undo the claim, and the undone job was at once the next to
 * claim: it printed its first job for ever.)  Jobs without a Message-ID
 * show one made for the occasion; the real send makes its own.
 */
static int
outbox_dry_run(struct outbox *ob, time_t now, const struct outbox_round *round,
	       struct outbox_stats *stats, char **error_r)
{
	struct store_job *jobs = NULL;
	size_t n = 0;
	int ret = 0;

	if (store_jobs_due(ob->st, now, round->max, &jobs, &n, error_r) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = outbox_dry_one(ob, &jobs[i], now, round, stats, error_r);
	store_jobs_free(&jobs, n);
	return ret;
}

int
outbox_send_due(struct outbox *ob, time_t now, const struct outbox_round *round,
		struct outbox_stats *stats, char **error_r)
{
	static const struct outbox_round unbounded = { 0, 0, NULL, NULL, NULL };
	char *err2 = NULL;
	int ret;

	if (round == NULL)
		round = &unbounded;
	if (ob->dry_run)
		return outbox_dry_run(ob, now, round, stats, error_r);
	ob->stop = round->stop;
	ret = outbox_send_loop(ob, now, round, stats, error_r);
	ob->stop = NULL;

	/* Whatever happened, the connection's next user (intake, in the
	 * daemon) gets fully durable commits again. */
	if (store_durable(ob->st, true, &err2) < 0) {
		if (ret >= 0) {
			*error_r = err2;
			return -1;
		}
		free(err2);
	}
	return ret;
}

int
outbox_send_round(struct outbox *ob, time_t now, const struct outbox_round *round,
		  bool keep_lock, struct outbox_stats *stats, char **error_r)
{
	int r;

	if (!ob->dry_run && !ob->locked) {
		r = outbox_lock(ob, error_r);
		if (r <= 0)
			return r < 0 ? -1 : OUTBOX_BUSY;
	}
	r = outbox_send_due(ob, now, round, stats, error_r);
	if (ob->dry_run)
		return r;
	if (!keep_lock)
		outbox_unlock(ob);
	/* Kept: fresh for the wait until the next round, so that nobody
	 * takes it from a sender that is only waiting. */
	else if (r >= 0 && outbox_renew(ob, true) == 0)
		r = OUTBOX_BUSY;
	return r;
}

static double
outbox_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether the round claims and tries no more: see outbox_send_loop. */
static bool
outbox_round_over(const struct outbox *ob, const struct outbox_round *round,
		  size_t done, double start)
{
	return ob->down || ob->halted || ob->lost_lock ||
	       (round->max > 0 && done >= round->max) ||
	       (round->stop != NULL && round->stop()) ||
	       (round->seconds > 0 && outbox_seconds() - start >= round->seconds);
}

/* Whether the results waiting must be recorded before job j is tried: one
 * is of j's case (j's message and checks must see the case's move), or
 * the oldest has waited [smtp] record_wait. */
static bool
outbox_flush_first(const struct outbox *ob, const struct store_job *j)
{
	if (ob->n_pending == 0)
		return false;
	/* [smtp] record_wait; 0: every result before the next job, so that a
	 * death leaves one delivered job unrecorded at most. */
	if (outbox_seconds() - ob->pending_since >= (double)ob->cfg->smtp_record_wait)
		return true;
	for (size_t i = 0; i < ob->n_pending; i++)
		if (ob->pending[i].job.case_id == j->case_id)
			return true;
	return false;
}

static int
outbox_send_loop(struct outbox *ob, time_t now, const struct outbox_round *round,
		 struct outbox_stats *stats, char **error_r)
{
	double start = outbox_seconds();
	size_t done = 0;
	long released = 0;

	ob->halted = false;
	ob->down = false;
	/* Claims that nobody can be sending any more go back to the queue:
	 * expired ones, and those of a process of this host that is gone.
	 * A live sender's claim stays, even if its lock was taken over. */
	if (store_jobs_release_stale(ob->st, ob->owner, time(NULL), &released,
				     error_r) < 0 ||
	    store_durable(ob->st, false, error_r) < 0)
		return -1;
	if (released > 0)
		log_info("send: %ld job(s) left in hand by a sender that is gone or silent "
			 "are queued again", released);
	for (size_t batch = 1, most = released > 0 ? 1 : OUTBOX_BATCH;;
	     batch = batch * 2 < most ? batch * 2 : most) {
		struct store_job *jobs = NULL;
		size_t n = 0, i, want = batch;
		bool fresh_id = false;
		char *err2 = NULL;
		int r = 0;

		if (outbox_round_over(ob, round, done, start)) {
			if (ob->down)
				stats->down++;
			return 1;
		}
		if (round->max > 0 && round->max - done < want)
			want = round->max - done;
		outbox_renew(ob, false);
		if (store_begin(ob->st, error_r) < 0)
			return -1;
		if (store_jobs_claim(ob->st, now, ob->owner, time(NULL) + ob->lease, want,
				     &jobs, &n, error_r) < 0) {
			store_rollback(ob->st);
			return -1;
		}
		if (n == 0) {
			store_rollback(ob->st);
			return 0;
		}
		/* The Message-IDs are fixed with the claim, before a message
		 * can reach a server: a job sent again after a crash between
		 * the server's acceptance and the "sent" commit carries the
		 * same one (doc/design.md, "Delivery"). */
		for (i = 0; i < n; i++) {
			if (jobs[i].msgid != NULL)
				continue;
			jobs[i].msgid = thread_msgid_new(ob->id->key, sizeof(ob->id->key),
							 jobs[i].case_id, ob->id->domain);
			fresh_id = true;
			if (store_job_update(ob->st, &jobs[i], error_r) < 0) {
				store_rollback(ob->st);
				store_jobs_free(&jobs, n);
				return -1;
			}
		}
		/* Claims commit without fsync; a Message-ID made just now must
		 * survive a power loss before its message leaves, or a copy
		 * sent again would carry another one.  Jobs queued by intake
		 * bring theirs, so this sync is for the rare rest. */
		if (store_commit(ob->st, error_r) < 0 ||
		    (fresh_id && store_sync(ob->st, error_r) < 0)) {
			store_jobs_free(&jobs, n);
			return -1;
		}
		/* One by one over the one connection; the results wait for
		 * the batch's transaction, which also puts back the jobs a
		 * stop, a dead server, a lost lock or the time limit left
		 * untried (at once, not after their lease). */
		for (i = 0; i < n; i++) {
			if (outbox_round_over(ob, round, done, start))
				break;
			if (outbox_flush_first(ob, &jobs[i]) &&
			    outbox_flush(ob, NULL, 0, error_r) < 0) {
				r = -1;
				break;
			}
			outbox_renew(ob, false);
			/* It fails only before the job could leave: the job
			 * goes back with the untried rest. */
			if (outbox_send_one(ob, &jobs[i], now, stats, error_r) < 0) {
				r = -1;
				break;
			}
			done++;
			if (ob->flush_error != NULL) {
				/* Results the hook could not record (their jobs
				 * stay "sending"); this one's is still to write. */
				*error_r = ob->flush_error;
				ob->flush_error = NULL;
				r = -1;
				i++;
				break;
			}
		}
		if (outbox_flush(ob, jobs + i, n - i, r < 0 ? &err2 : error_r) < 0) {
			if (r < 0)
				free(err2);
			r = -1;
		}
		store_jobs_free(&jobs, n);
		if (r < 0)
			return -1;
	}
}

int
outbox_render_job(struct outbox *ob, long long case_id, enum job_kind kind,
		  time_t now, char **msg_r, size_t *len_r, char **error_r)
{
	struct store_case c;
	struct store_job j = { 0 };
	struct buf msg;
	int r;

	r = store_case_get(ob->st, case_id, &c, error_r);
	if (r <= 0) {
		if (r == 0)
			*error_r = xasprintf("no case %lld", case_id);
		store_case_clear(&c);
		return -1;
	}
	j.case_id = case_id;
	j.kind = kind;
	j.state = JOB_QUEUED;
	j.due = now;
	j.created = now;
	j.rcpt = xstrdup(job_kind_to_staff(kind)
			 ? ob->id->escalate_addr : c.customer != NULL ? c.customer : "");
	buf_init(&msg, MAILER_MAX_MESSAGE);
	r = outbox_build(ob, &c, &j, now, &msg, error_r);
	store_job_clear(&j);
	store_case_clear(&c);
	if (r < 0) {
		buf_free(&msg);
		return -1;
	}
	*msg_r = buf_steal(&msg, len_r);
	return 0;
}
