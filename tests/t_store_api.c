/*
 * t_store_api - the whole interface of store.h, the same for every
 * backend: each function is called with values written here and what
 * comes back is compared with them.
 *
 * It runs on the store REDRESS_TEST_STORE names (a postgresql:// URL, an
 * empty database: tests/t_store_pg.sh makes a fresh one each run), or,
 * when that is unset, on a new SQLite file in a temporary directory.
 * What only the SQLite file promises (migrations, WAL, file modes) is
 * tests/t_store.c's.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/xmem.h"
#include "store/store.h"
#include "tap.h"

static char dir[] = "/tmp/t_store_api.XXXXXX";
static char *where;
static bool is_pg;
static struct store *st;

/* The host part of every owner below: store_owner_gone() judges only the
 * processes of the same "@HOST" as the caller's. */
#define HOST "@t-store-api.invalid"

static struct store *
open_store(long busy_ms)
{
	struct store *s = NULL;
	char *err = NULL;

	if (store_open(where, &(struct store_options){ .busy_timeout_ms = busy_ms }, &s,
		       &err) < 0) {
		diag("store_open: %s", err);
		free(err);
		store_close(&s);
		return NULL;
	}
	return s;
}

/* Reports a failed call (and frees its error): whether it returned want. */
static bool
call_ok(int rc, int want, char *err, const char *what)
{
	bool good = rc == want;

	if (!good)
		diag("%s: returned %d, not %d: %s", what, rc, want, err != NULL ? err : "");
	free(err);
	return good;
}

/* Calls expr (which may set the caller's err), checks what it returned,
 * frees err. */
#define CALL(want, expr, what) do { \
	int rc_ = (expr); \
	ok(call_ok(rc_, (want), err, (what)), "%s", (what)); \
	err = NULL; \
} while (0)

/* ---------------------------------------------------------------------- */
/* Cases: a record with every field set, and its comparison. */

static char *
xdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
case_fill(struct store_case *c, int v, long long merged_into)
{
	store_case_init(c);
	c->state = v == 0 ? CASE_WAITING : CASE_CLOSED;
	c->customer = xasprintf("cust%d@example.net", v);
	c->customer_name = xdup(v == 0 ? "Zo\xc3\xab M\xc3\xbcller \xe2\x80\x93 \xe2\x82\xac" :
				"O'Brien, \"Pat\"");
	c->subject = xdup(v == 0 ? "It's ? $1 ?2 '' \"x\" -- ; \\ \\x41 %s \t" : "second subject");
	c->created = v == 0 ? 1700000000 : 1700000100;
	c->updated = v == 0 ? 1700000500 : 4102444800LL;   /* 2100: past 32 bits */
	c->complaint = v != 0;
	c->category = xdup(v == 0 ? "billing" : "delivery");
	c->label = xdup(v == 0 ? "" : "a label");          /* empty is not NULL */
	c->priority = v == 0 ? PRIORITY_LOW : PRIORITY_URGENT;
	c->tags = xdup(v == 0 ? "refund vip" : "late");
	c->rules = xdup(v == 0 ? "[\"refund\",\"vip\"]" : "[]");
	c->rules_version = xdup(v == 0 ? "sha256:abc" : "v2");
	c->first_response_due = 1700003600 + v;
	c->resolution_due = 1700086400 + v;
	c->first_response_at = 1700001000 + v;
	c->resolved_at = 1700050000 + v;
	c->first_response_breached = v == 0;
	c->resolution_breached = v != 0;
	c->paused_at = 1700002000 + v;
	c->paused_seconds = v == 0 ? 3600 : 5000000000L;
	c->resolution_cause = xdup(v == 0 ? "refunded" : "other");
	c->held_reason = xdup(v == 0 ? "unparseable" : "loop");
	c->reply_note = xdup(v == 0 ? "no ack: list" : "acked to x@y");
	c->last_active_state = v == 0 ? CASE_RESPONDED : CASE_ACKNOWLEDGED;
	c->customer_msgid = xdup(v == 0 ? "abc@mail.example.net" : "def@x");
	c->customer_refs = xdup(v == 0 ? "r1@x r2@y" : "r3@z");
	c->outcome = v == 0 ? OUTCOME_PRAISE : OUTCOME_SPAM;
	c->traffic = v == 0 ? VERDICT_LIST : VERDICT_FORGED;
	c->traffic_reasons = xdup(v == 0 ? "[\"List-Id\"]" : "[\"dkim\",\"spf\"]");
	c->owner = xdup(v == 0 ? "alice" : "bob");
	c->merged_into = merged_into;
}

/* The NONE values, zero times, NULL text: what a held case has. */
static void
case_fill_empty(struct store_case *c)
{
	store_case_init(c);
	c->state = CASE_HELD;
	c->created = 1700000200;
	c->updated = 1700000300;
}

static void
case_compare(const struct store_case *got, const struct store_case *want, const char *what)
{
	is_int(got->id, want->id, "%s: id", what);
	is_int(got->state, want->state, "%s: state", what);
	is_str(got->customer, want->customer, "%s: customer", what);
	is_str(got->customer_name, want->customer_name, "%s: customer_name", what);
	is_str(got->subject, want->subject, "%s: subject", what);
	is_int(got->created, want->created, "%s: created", what);
	is_int(got->updated, want->updated, "%s: updated", what);
	is_int(got->complaint, want->complaint, "%s: complaint", what);
	is_str(got->category, want->category, "%s: category", what);
	is_str(got->label, want->label, "%s: label", what);
	is_int(got->priority, want->priority, "%s: priority", what);
	is_str(got->tags, want->tags, "%s: tags", what);
	is_str(got->rules, want->rules, "%s: rules", what);
	is_str(got->rules_version, want->rules_version, "%s: rules_version", what);
	is_int(got->first_response_due, want->first_response_due, "%s: first_response_due", what);
	is_int(got->resolution_due, want->resolution_due, "%s: resolution_due", what);
	is_int(got->first_response_at, want->first_response_at, "%s: first_response_at", what);
	is_int(got->resolved_at, want->resolved_at, "%s: resolved_at", what);
	is_int(got->first_response_breached, want->first_response_breached,
	       "%s: first_response_breached", what);
	is_int(got->resolution_breached, want->resolution_breached, "%s: resolution_breached",
	       what);
	is_int(got->paused_at, want->paused_at, "%s: paused_at", what);
	is_int(got->paused_seconds, want->paused_seconds, "%s: paused_seconds", what);
	is_str(got->resolution_cause, want->resolution_cause, "%s: resolution_cause", what);
	is_str(got->held_reason, want->held_reason, "%s: held_reason", what);
	is_str(got->reply_note, want->reply_note, "%s: reply_note", what);
	is_int(got->last_active_state, want->last_active_state, "%s: last_active_state", what);
	is_str(got->customer_msgid, want->customer_msgid, "%s: customer_msgid", what);
	is_str(got->customer_refs, want->customer_refs, "%s: customer_refs", what);
	is_int(got->outcome, want->outcome, "%s: outcome", what);
	is_int(got->traffic, want->traffic, "%s: traffic", what);
	is_str(got->traffic_reasons, want->traffic_reasons, "%s: traffic_reasons", what);
	is_str(got->owner, want->owner, "%s: owner", what);
	is_int(got->merged_into, want->merged_into, "%s: merged_into", what);
}

/* Adds a case (state, created, and what the caller set): its id, 0 on failure. */
static long long
case_add(const struct store_case *c)
{
	long long id = 0;
	char *err = NULL;

	if (store_case_add(st, c, &id, &err) < 0) {
		diag("store_case_add: %s", err);
		free(err);
		return 0;
	}
	return id;
}

static long long
job_add(long long case_id, enum job_kind kind, enum job_state state, time_t due,
	time_t created, const char *rcpt)
{
	struct store_job j = { .case_id = case_id, .kind = kind, .state = state, .due = due,
			       .created = created, .rcpt = (char *)rcpt };
	long long id = 0;
	char *err = NULL;

	if (store_job_add(st, &j, &id, &err) < 0) {
		diag("store_job_add: %s", err);
		free(err);
		return 0;
	}
	return id;
}

static long long
msg_add(long long case_id, const char *direction, const char *source, const char *fp,
	const char *subject, const char *text)
{
	struct store_message m = {
		.case_id = case_id, .direction = direction, .fingerprint = fp,
		.source = source, .envelope_to = "care@example.com", .received = 1700000000,
		.from_addr = "someone@example.net", .subject = subject, .text = text,
		.raw = "x", .raw_len = 1,
	};
	long long id = 0;
	char *err = NULL;

	if (store_message_add(st, &m, &id, &err) < 0) {
		diag("store_message_add: %s", err);
		free(err);
		return 0;
	}
	return id;
}

/* ---------------------------------------------------------------------- */

/* Whether the store is empty (the rest assumes it). */
static bool
test_empty(void)
{
	struct store_case *cs = NULL;
	struct store_job *js = NULL;
	size_t n = 99, nj = 99;
	char *err = NULL;

	is_str(store_kind(st), is_pg ? "postgresql" : "sqlite", "store_kind");
	ok(store_name(st) != NULL && *store_name(st) != '\0', "store_name: %s", store_name(st));
	if (store_case_list(st, &(struct store_case_filter){ 0 }, &cs, &n, &err) < 0 ||
	    store_jobs_list(st, 0, &js, &nj, &err) < 0) {
		diag("%s", err);
		free(err);
	}
	store_cases_free(&cs, n);
	store_jobs_free(&js, nj);
	return ok(n == 0 && nj == 0, "the store starts empty (%zu cases, %zu jobs): "
		  "it needs a fresh database", n, nj);
}

static unsigned char secret1[32];

static void
test_secret(void)
{
	unsigned char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	char *err = NULL;

	CALL(0, store_secret(st, "msgid-key", 32, &a, &err), "store_secret makes a key");
	CALL(0, store_secret(st, "msgid-key", 32, &b, &err), "store_secret again");
	ok(a != NULL && b != NULL && memcmp(a, b, 32) == 0, "the same key the second time");
	CALL(0, store_secret(st, "other-key", 32, &c, &err), "store_secret of another name");
	ok(a != NULL && c != NULL && memcmp(a, c, 32) != 0, "another name, another key");
	{
		int rc = store_secret(st, "msgid-key", 16, &d, &err);

		ok(rc == -1 && err != NULL && strstr(err, "32 bytes") != NULL,
		   "a key of another length is an error: %s", err != NULL ? err : "(none)");
		free(err);
		err = NULL;
	}
	if (a != NULL)
		memcpy(secret1, a, 32);
	free(a);
	free(b);
	free(c);
	free(d);
}

static long long msg1, msg1_case;
static char raw1[256 * 2 + 64];
static size_t raw1_len;

static void
test_messages(void)
{
	struct store_message m = {
		.direction = "in", .message_id = "m1@example.net", .fingerprint = "fp-1",
		.source = "imap:INBOX:7:42", .envelope_from = "from@example.net",
		.envelope_to = "care@example.com", .received = 1700000042,
		.from_addr = "from@example.net", .from_name = "Fr\xc3\xb6m", .subject = "s",
		.text = "t", .held_reason = NULL,
	};
	struct store_message_info *mi = NULL;
	long long id = 0, mid = -1, cid = -1;
	char *raw = NULL, *err = NULL;
	size_t len = 0, n = 0;
	struct store_case c;
	int rc;

	/* Every byte, CRLF line ends, a NUL in the middle and at the end. */
	raw1_len = 0;
	memcpy(raw1, "Subject: s\r\n\r\n", 14);
	raw1_len = 14;
	for (int i = 0; i < 256; i++)
		raw1[raw1_len++] = (char)i;
	memcpy(raw1 + raw1_len, "\r\n.\r\n\r\n", 7);
	raw1_len += 7;
	for (int i = 255; i >= 0; i--)
		raw1[raw1_len++] = (char)i;
	raw1[raw1_len++] = '\0';
	m.raw = raw1;
	m.raw_len = raw1_len;

	CALL(0, store_message_add(st, &m, &id, &err), "store_message_add");
	ok(id > 0, "a message id");
	msg1 = id;
	CALL(1, store_message_find(st, "fp-1", &mid, &cid, &err), "store_message_find: found");
	is_int(mid, id, "find: the message's id");
	is_int(cid, 0, "find: no case yet");
	CALL(0, store_message_find(st, "fp-none", &mid, &cid, &err), "find: 0 for an unknown fingerprint");

	CALL(1, store_message_raw(st, id, &raw, &len, &err), "store_message_raw");
	is_int((long long)len, (long long)raw1_len, "raw: the length");
	ok(raw != NULL && len == raw1_len && memcmp(raw, raw1, raw1_len) == 0,
	   "raw: every byte as written (0x00-0xff, CRLF)");
	ok(raw != NULL && raw[len] == '\0', "raw: NUL-ended");
	free(raw);
	raw = NULL;
	CALL(0, store_message_raw(st, id + 1000, &raw, &len, &err), "raw: 0 for no such message");

	/* A duplicate fingerprint is refused, and not as a temporary failure. */
	m.raw = "dup";
	m.raw_len = 3;
	rc = store_message_add(st, &m, &mid, &err);
	ok(rc == -1 && !store_temporary(st), "a second message with the same fingerprint is refused (%s)",
	   err != NULL ? err : "no error");
	free(err);
	err = NULL;

	/* An empty raw message, NULL optional fields. */
	m = (struct store_message){ .direction = "out", .fingerprint = "fp-empty",
				    .source = "filter", .envelope_to = "x@example.com",
				    .received = 1700000050, .raw = NULL, .raw_len = 0,
				    .held_reason = "unparseable" };
	CALL(0, store_message_add(st, &m, &mid, &err), "a message with no bytes and NULL fields");
	raw = NULL;
	len = 99;
	CALL(1, store_message_raw(st, mid, &raw, &len, &err), "raw of an empty message");
	ok(raw != NULL && len == 0 && raw[0] == '\0', "is empty");
	free(raw);

	store_case_init(&c);
	c.state = CASE_NEW;
	c.created = 1700000000;
	msg1_case = case_add(&c);
	CALL(0, store_message_set_case(st, id, msg1_case, &err), "store_message_set_case");
	CALL(0, store_message_set_case(st, mid, msg1_case, &err), "set_case of the second");
	CALL(1, store_message_find(st, "fp-1", &mid, &cid, &err), "find after set_case");
	is_int(cid, msg1_case, "find: the case it was set to");

	CALL(0, store_case_messages(st, msg1_case, &mi, &n, &err), "store_case_messages");
	if (is_int((long long)n, 2, "case_messages: both") && mi != NULL) {
		is_int(mi[0].id, id, "case_messages: oldest first");
		is_str(mi[0].direction, "in", "case_messages: direction");
		is_str(mi[0].source, "imap:INBOX:7:42", "case_messages: source");
		is_str(mi[0].message_id, "m1@example.net", "case_messages: message_id");
		is_str(mi[0].held_reason, NULL, "case_messages: held_reason NULL");
		is_int(mi[0].received, 1700000042, "case_messages: received");
		is_int((long long)mi[0].size, (long long)raw1_len, "case_messages: size");
		is_str(mi[1].direction, "out", "case_messages: the second's direction");
		is_str(mi[1].message_id, NULL, "case_messages: its message_id NULL");
		is_str(mi[1].held_reason, "unparseable", "case_messages: its held_reason");
		is_int((long long)mi[1].size, 0, "case_messages: its size 0");
	}
	store_message_infos_free(&mi, n);
	ok(mi == NULL, "store_message_infos_free NULLs the array");
	CALL(0, store_case_messages(st, msg1_case + 1000, &mi, &n, &err),
	     "case_messages of a case with none");
	is_int((long long)n, 0, "none");
	store_message_infos_free(&mi, n);
}

static void
test_case_roundtrip(void)
{
	struct store_case want, got, target;
	long long tid, id;
	char *err = NULL;

	store_case_init(&target);
	target.state = CASE_NEW;
	target.created = 1700000000;
	tid = case_add(&target);

	/* Every field set. */
	case_fill(&want, 0, tid);
	want.id = id = case_add(&want);
	ok(id > 0, "store_case_add with every field set");
	CALL(1, store_case_get(st, id, &got, &err), "store_case_get");
	case_compare(&got, &want, "every field");
	store_case_clear(&got);
	store_case_clear(&want);

	/* Every field cleared: the NONE values, zero times, NULL text. */
	case_fill_empty(&want);
	want.id = id;
	CALL(0, store_case_update(st, &want, &err), "store_case_update to the NONE values");
	CALL(1, store_case_get(st, id, &got, &err), "get after the update");
	case_compare(&got, &want, "cleared");
	store_case_clear(&got);

	/* And every field set again, to other values. */
	case_fill(&want, 1, tid);
	want.id = id;
	CALL(0, store_case_update(st, &want, &err), "store_case_update to other values");
	CALL(1, store_case_get(st, id, &got, &err), "get after the second update");
	case_compare(&got, &want, "changed");
	store_case_clear(&got);

	/* The update first tries to leave the indexed customer, created and
	 * owner alone: other columns only, then each of those three alone
	 * (to text, to NULL and back), each written. */
	free(want.subject);
	want.subject = xdup("a third subject");
	want.first_response_at = 1700005000;
	CALL(0, store_case_update(st, &want, &err), "store_case_update of unindexed columns only");
	CALL(1, store_case_get(st, id, &got, &err), "get after it");
	case_compare(&got, &want, "unindexed changed");
	store_case_clear(&got);
	for (int step = 0; step < 6; step++) {
		static const char *const what[] = {
			"owner alone to another", "owner alone to NULL", "owner alone from NULL",
			"customer alone to NULL", "customer alone from NULL", "created alone",
		};
		char name[80];

		switch (step) {
		case 0:
			free(want.owner);
			want.owner = xdup("carol");
			break;
		case 1:
			free(want.owner);
			want.owner = NULL;
			break;
		case 2:
			want.owner = xdup("dave");
			break;
		case 3:
			free(want.customer);
			want.customer = NULL;
			break;
		case 4:
			want.customer = xdup("cust9@example.net");
			break;
		default:
			want.created += 7;
			break;
		}
		snprintf(name, sizeof(name), "store_case_update: %s", what[step]);
		CALL(0, store_case_update(st, &want, &err), name);
		CALL(1, store_case_get(st, id, &got, &err), "get after it");
		case_compare(&got, &want, what[step]);
		store_case_clear(&got);
	}
	store_case_clear(&want);

	/* updated 0: the store writes created. */
	case_fill_empty(&want);
	want.updated = 0;
	want.id = case_add(&want);
	CALL(1, store_case_get(st, want.id, &got, &err), "get a case added with updated 0");
	is_int(got.updated, want.created, "updated 0 reads back as created");
	store_case_clear(&got);

	/* Every value of every enum. */
	for (int i = 0; i < CASE_STATE_COUNT; i++) {
		store_case_init(&want);
		want.state = (enum case_state)i;
		want.last_active_state = (enum case_state)((i + 3) % CASE_STATE_COUNT);
		want.priority = (enum priority)(i % PRIORITY_COUNT);
		want.outcome = (enum outcome)(i % OUTCOME_COUNT);
		want.traffic = (enum verdict)(i % VERDICT_COUNT);
		want.created = want.updated = 1700000000 + i;
		want.id = case_add(&want);
		if (store_case_get(st, want.id, &got, &err) != 1) {
			ok(false, "get enum case %d: %s", i, err != NULL ? err : "none");
			free(err);
			err = NULL;
			continue;
		}
		ok(got.state == want.state && got.last_active_state == want.last_active_state &&
		   got.priority == want.priority && got.outcome == want.outcome &&
		   got.traffic == want.traffic,
		   "enums round trip: state %s, last %s, priority %s, outcome %s, traffic %s",
		   case_state_name(want.state), case_state_name(want.last_active_state),
		   priority_name(want.priority), outcome_name(want.outcome),
		   verdict_name(want.traffic));
		store_case_clear(&got);
	}

	store_case_init(&got);
	got.id = 5;
	got.state = CASE_NEW;
	got.priority = PRIORITY_HIGH;
	CALL(0, store_case_get(st, id + 100000, &got, &err), "store_case_get: 0 for no such case");
	ok(got.id == 0 && got.customer == NULL && got.state == CASE_NONE &&
	   got.priority == PRIORITY_NONE, "and the record is left as store_case_init makes it");
	store_case_clear(&got);
}

/* ---------------------------------------------------------------------- */
/* case_list: six cases, each filter on its own. */

#define T0 1800000000
#define NFIX 6
static long long fix[NFIX];
static long long fix_base;

static char *
names(const struct store_case_filter *f0)
{
	static char buf[512];
	struct store_case_filter f = *f0;
	struct store_case *cs = NULL;
	size_t n = 0, o = 0;
	char *err = NULL;

	if (f.after_id == 0)
		f.after_id = fix_base;
	if (store_case_list(st, &f, &cs, &n, &err) < 0) {
		snprintf(buf, sizeof(buf), "error: %s", err);
		free(err);
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int k;

		for (k = 0; k < NFIX && fix[k] != cs[i].id; k++)
			;
		if (k < NFIX)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%sc%d", o ? " " : "", k + 1);
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s#%lld", o ? " " : "",
					      cs[i].id);
		if (o >= sizeof(buf))
			break;
	}
	store_cases_free(&cs, n);
	return buf;
}

static void
fixture(int k, enum case_state state, const char *customer, time_t created,
	enum priority prio, const char *category, const char *tags, const char *owner)
{
	struct store_case c;

	store_case_init(&c);
	c.state = state;
	c.customer = (char *)customer;
	c.created = c.updated = created;
	c.priority = prio;
	c.category = (char *)category;
	c.tags = (char *)tags;
	c.owner = (char *)owner;
	c.last_active_state = CASE_NONE;
	c.outcome = OUTCOME_COMPLAINT;
	c.traffic = VERDICT_OK;
	switch (k) {
	case 1:
		c.first_response_due = T0 + 5000;
		break;
	case 2:
		c.first_response_due = T0 + 10;
		c.first_response_at = T0 + 250;
		c.resolution_due = T0 + 3000;
		c.first_response_breached = true;
		break;
	case 3:
		c.first_response_at = T0 + 350;
		c.resolution_due = T0 + 1000;   /* waiting: paused, no deadline */
		c.paused_at = T0 + 400;
		break;
	case 4:
		c.first_response_due = T0 + 20;   /* resolved: no deadline */
		c.resolution_breached = true;
		c.resolved_at = T0 + 450;
		break;
	case 6:
		c.first_response_due = T0 + 2000;
		break;
	}
	fix[k - 1] = case_add(&c);
}

static void
test_case_list(void)
{
	struct store_case *cs = NULL;
	size_t n = 0;
	long cnt = -1;
	char *err = NULL;

	/* Everything so far is below fix_base; the fixtures' ids are above. */
	{
		struct store_case c;

		store_case_init(&c);
		c.state = CASE_CLOSED;
		c.created = T0;
		fix_base = case_add(&c);
	}
	fixture(1, CASE_NEW, "a@list.test", T0 + 100, PRIORITY_URGENT, "billing", "refund vip",
		"alice");
	fixture(2, CASE_ACKNOWLEDGED, "b@list.test", T0 + 200, PRIORITY_HIGH, "delivery", "late",
		NULL);
	fixture(3, CASE_WAITING, "a@list.test", T0 + 300, PRIORITY_NORMAL, "billing",
		"vip-not xvip", "bob");
	fixture(4, CASE_RESOLVED, "c@list.test", T0 + 400, PRIORITY_LOW, NULL, NULL, "alice");
	fixture(5, CASE_HELD, "a@list.test", T0 + 500, PRIORITY_NONE, NULL, NULL, NULL);
	fixture(6, CASE_NEW, "d@list.test", T0 + 50, PRIORITY_LOW, "other", "refund", NULL);

	for (int k = 0; k < NFIX; k++)
		ok(fix[k] > fix_base, "fixture c%d added", k + 1);

	/* Every case, with no filter at all (and with fix_base as after_id). */
	CALL(0, store_case_list(st, &(struct store_case_filter){ 0 }, &cs, &n, &err),
	     "store_case_list with no filter");
	ok(n > NFIX && cs != NULL && cs[n - 1].id == fix[NFIX - 1] && cs[0].id < cs[1].id,
	   "lists every case, oldest first (%zu)", n);
	if (n > 0 && cs != NULL) {
		struct store_case got;

		CALL(1, store_case_get(st, fix[0], &got, &err), "get c1");
		for (size_t i = 0; i < n; i++)
			if (cs[i].id == fix[0])
				case_compare(&cs[i], &got, "a listed case is the case got");
		store_case_clear(&got);
	}
	store_cases_free(&cs, n);
	ok(cs == NULL, "store_cases_free NULLs the array");

	is_str(names(&(struct store_case_filter){ 0 }), "c1 c2 c3 c4 c5 c6", "after_id: above it");
	is_str(names(&(struct store_case_filter){ .after_id = fix[3] }), "c5 c6", "after_id c4");
	is_str(names(&(struct store_case_filter){ .by_state = true, .state = CASE_NEW }), "c1 c6",
	       "state new");
	is_str(names(&(struct store_case_filter){ .by_state = true, .state = CASE_WAITING }), "c3",
	       "state waiting");
	is_str(names(&(struct store_case_filter){ .by_state = true, .state = CASE_MERGED }), "",
	       "state merged: none");
	is_str(names(&(struct store_case_filter){ .breached_only = true }), "c2 c4",
	       "breached_only");
	is_str(names(&(struct store_case_filter){ .customer = "a@list.test" }), "c1 c3 c5",
	       "customer");
	is_str(names(&(struct store_case_filter){ .since = T0 + 300 }), "c3 c4 c5",
	       "since: created at or after");
	is_str(names(&(struct store_case_filter){ .until = T0 + 300 }), "c1 c2 c6",
	       "until: created before");
	is_str(names(&(struct store_case_filter){ .since = T0 + 200, .until = T0 + 500 }),
	       "c2 c3 c4", "since and until");
	is_str(names(&(struct store_case_filter){ .limit = 2 }), "c1 c2", "limit");
	is_str(names(&(struct store_case_filter){ .limit = 2, .after_id = fix[1] }), "c3 c4",
	       "limit and after_id: the next page");
	is_str(names(&(struct store_case_filter){ .open_only = true }), "c1 c2 c3 c6", "open_only");
	is_str(names(&(struct store_case_filter){ .by_priority = true,
						  .priority = PRIORITY_LOW }), "c4 c6",
	       "priority low");
	is_str(names(&(struct store_case_filter){ .by_priority = true,
						  .priority = PRIORITY_URGENT }), "c1",
	       "priority urgent (the zero value)");
	is_str(names(&(struct store_case_filter){ .category = "billing" }), "c1 c3", "category");
	is_str(names(&(struct store_case_filter){ .tag = "vip" }), "c1",
	       "tag: a whole tag, not a part of one");
	is_str(names(&(struct store_case_filter){ .tag = "refund" }), "c1 c6", "tag refund");
	is_str(names(&(struct store_case_filter){ .tag = "xvip" }), "c3", "tag: the last one");
	is_str(names(&(struct store_case_filter){ .owner = "alice" }), "c1 c4", "owner");
	is_str(names(&(struct store_case_filter){ .unassigned = true }), "c2 c5 c6", "unassigned");
	is_str(names(&(struct store_case_filter){ .due_before = T0 + 2500 }), "c6",
	       "due_before: the running deadline");
	is_str(names(&(struct store_case_filter){ .due_before = T0 + 5000 }), "c1 c2 c6",
	       "due_before: at or before");
	is_str(names(&(struct store_case_filter){ .by_state = true, .state = CASE_NEW,
						  .owner = "alice" }), "c1",
	       "two filters: both must hold");
	is_str(names(&(struct store_case_filter){ .sort = STORE_SORT_ID }), "c1 c2 c3 c4 c5 c6",
	       "sort id");
	is_str(names(&(struct store_case_filter){ .sort = STORE_SORT_DUE }), "c6 c2 c1 c3 c4 c5",
	       "sort due: soonest first, none last by id");
	is_str(names(&(struct store_case_filter){ .sort = STORE_SORT_CREATED }),
	       "c6 c1 c2 c3 c4 c5", "sort created");
	is_str(names(&(struct store_case_filter){ .sort = STORE_SORT_PRIORITY }),
	       "c1 c2 c3 c4 c6 c5", "sort priority: urgent first, none last");
	is_str(names(&(struct store_case_filter){ .sort = STORE_SORT_DUE, .limit = 2 }), "c6 c2",
	       "sort due with a limit");
	is_str(names(&(struct store_case_filter){ .sort = STORE_SORT_PRIORITY,
						  .open_only = true }), "c1 c2 c3 c6",
	       "sort priority, open only");

	/* Search: what people wrote (received messages, and agents' replies),
	 * not our own mail. */
	msg_add(fix[0], "in", "filter", "fp-s1", "Charged twice for order 5521",
		"I was charged twice, please REFUND me.");
	msg_add(fix[1], "in", "filter", "fp-s2", "Where is my parcel?",
		"The parcel is late and I don't know why.");
	msg_add(fix[2], "out", "ack", "fp-s3", "We got your message",
		"We will look at your refund soon.");
	msg_add(fix[5], "out", "agent:alice", "fp-s4", "Re: hello",
		"We will refund you today.");
	msg_add(fix[4], "in", "filter", "fp-s5", "twice", "nothing here");
	msg_add(fix[3], "in", "filter", "fp-s6", "Order",
		"Write to maria.lopez@example.net, see shop.example.com/orders/5521.");
	is_str(names(&(struct store_case_filter){ .search = "refund" }), "c1 c6",
	       "search: received and agents' messages, not our acks");
	is_str(names(&(struct store_case_filter){ .search = "Refund" }), "c1 c6",
	       "search: any case");
	is_str(names(&(struct store_case_filter){ .search = "charged  refund" }), "c1",
	       "search: several words, all of them");
	is_str(names(&(struct store_case_filter){ .search = "charged late" }), "",
	       "search: words of two cases match neither");
	is_str(names(&(struct store_case_filter){ .search = "don't parcel" }), "c2",
	       "search: a word with a quote in it");
	is_str(names(&(struct store_case_filter){ .search = "\"charged twice\"" }), "c1",
	       "search: double quotes are no syntax");
	is_str(names(&(struct store_case_filter){ .search = "twice" }), "c1 c5",
	       "search: the subject too");
	is_str(names(&(struct store_case_filter){ .search = "lopez" }), "c4",
	       "search: a word of an address");
	is_str(names(&(struct store_case_filter){ .search = "orders 5521" }), "c4",
	       "search: words of a URL");
	is_str(names(&(struct store_case_filter){ .search = "maria.lopez@example.net" }), "c4",
	       "search: a whole address");
	is_str(names(&(struct store_case_filter){ .search = "   " }), "",
	       "search: no words, no cases");
	is_str(names(&(struct store_case_filter){ .search = "refund", .owner = "alice" }), "c1",
	       "search with another filter");
	is_str(names(&(struct store_case_filter){ .search = "refund", .sort = STORE_SORT_DUE }),
	       "c6 c1", "search, sorted by due");
	is_str(names(&(struct store_case_filter){ .search = "refund", .limit = 1 }), "c1",
	       "search with a limit");

	/* store_case_due, as the SQL above sorts by it. */
	{
		struct store_case c;
		const char *clock = "x";

		CALL(1, store_case_get(st, fix[0], &c, &err), "get c1 for its due");
		is_int(store_case_due(&c, &clock), T0 + 5000, "store_case_due: first response");
		is_str(clock, "first response", "and its clock");
		store_case_clear(&c);
		CALL(1, store_case_get(st, fix[1], &c, &err), "get c2 for its due");
		is_int(store_case_due(&c, &clock), T0 + 3000, "store_case_due: resolution");
		is_str(clock, "resolution", "and its clock");
		store_case_clear(&c);
		CALL(1, store_case_get(st, fix[2], &c, &err), "get c3 for its due");
		is_int(store_case_due(&c, NULL), 0, "store_case_due: waiting, none");
		store_case_clear(&c);
	}

	/* Earlier cases of a customer: held, merged, quarantined and
	 * informational ones do not count. */
	{
		enum case_state sts[] = { CASE_NEW, CASE_CLOSED, CASE_HELD, CASE_MERGED,
					  CASE_QUARANTINED, CASE_INFORMATIONAL, CASE_RESOLVED };
		long long ids[7];

		for (int i = 0; i < 7; i++) {
			struct store_case c;

			store_case_init(&c);
			c.state = sts[i];
			c.customer = (char *)"count@example.net";
			c.created = c.updated = T0 + 1000 * i;
			ids[i] = case_add(&c);
		}
		CALL(0, store_case_count_customer(st, "count@example.net", 0, 0, 0, &cnt, &err),
		     "store_case_count_customer");
		is_int(cnt, 3, "counts new, closed, resolved only");
		CALL(0, store_case_count_customer(st, "count@example.net", T0 + 1000, 0, 0, &cnt,
						  &err), "count since");
		is_int(cnt, 2, "created at or after since");
		CALL(0, store_case_count_customer(st, "count@example.net", 0, ids[0], 0, &cnt, &err),
		     "count except one");
		is_int(cnt, 2, "except_id is not counted");
		CALL(0, store_case_count_customer(st, "count@example.net", 0, 0, 2, &cnt, &err),
		     "count with a limit");
		is_int(cnt, 2, "stops at the limit");
		CALL(0, store_case_count_customer(st, "count@example.net", 0, 0, 1, &cnt, &err),
		     "count with limit 1");
		is_int(cnt, 1, "stops at limit 1");
		CALL(0, store_case_count_customer(st, "count@example.net", 0, 0, -1, &cnt, &err),
		     "count with a negative limit");
		is_int(cnt, 3, "a negative limit is none");
		CALL(0, store_case_count_customer(st, "nobody@example.net", 0, 0, 0, &cnt, &err),
		     "count for an unknown customer");
		is_int(cnt, 0, "none");
	}
}

/* ---------------------------------------------------------------------- */

static void
test_merge_link(void)
{
	struct store_case c;
	struct store_message_info *mi = NULL;
	struct store_event *ev = NULL;
	struct store_job j;
	long long into, from, other, ja, jf, js, *ids = NULL;
	size_t n = 0;
	long nm = -1, nj = -1;
	char *err = NULL;

	store_case_init(&c);
	c.state = CASE_NEW;
	c.created = c.updated = 1700000000;
	into = case_add(&c);
	from = case_add(&c);
	other = case_add(&c);
	msg_add(into, "in", "filter", "fp-m1", "a", "a");
	msg_add(from, "in", "filter", "fp-m2", "b", "b");
	msg_add(from, "out", "ack", "fp-m3", "c", "c");
	msg_add(other, "in", "filter", "fp-m4", "d", "d");
	CALL(0, store_event_add(st, from, 1700000001, "received", "one", &err), "event on from");
	CALL(0, store_event_add(st, from, 1700000002, "acked", "two", &err), "another");
	ja = job_add(from, JOB_ACK, JOB_QUEUED, 4000000000, 1700000000, "x@example.net");
	jf = job_add(from, JOB_FOLLOWUP, JOB_QUEUED, 4000000000, 1700000000, "x@example.net");
	js = job_add(from, JOB_ACK, JOB_SENT, 4000000000, 1700000000, "x@example.net");
	job_add(other, JOB_ACK, JOB_QUEUED, 4000000000, 1700000000, "x@example.net");

	CALL(0, store_case_merge(st, into, from, "merged into it", &nm, &nj, &err),
	     "store_case_merge");
	is_int(nm, 2, "merge: two messages moved");
	is_int(nj, 2, "merge: two queued jobs stopped");
	CALL(0, store_case_messages(st, into, &mi, &n, &err), "messages of into");
	is_int((long long)n, 3, "into has its own and from's messages");
	store_message_infos_free(&mi, n);
	CALL(0, store_case_messages(st, from, &mi, &n, &err), "messages of from");
	is_int((long long)n, 0, "from has none left");
	store_message_infos_free(&mi, n);
	CALL(0, store_case_messages(st, other, &mi, &n, &err), "messages of another case");
	is_int((long long)n, 1, "another case keeps its message");
	store_message_infos_free(&mi, n);
	CALL(0, store_case_events(st, into, &ev, &n, &err), "events of into");
	ok(n == 2 && ev != NULL && ev[0].case_id == into && strcmp(ev[1].detail, "two") == 0,
	   "from's events are into's");
	store_events_free(&ev, n);
	CALL(1, store_job_get(st, ja, &j, &err), "get from's queued ack");
	ok(j.state == JOB_SUPPRESSED && j.last_error != NULL &&
	   strcmp(j.last_error, "merged into it") == 0, "suppressed, with why");
	store_job_clear(&j);
	CALL(1, store_job_get(st, jf, &j, &err), "get from's follow-up");
	is_int(j.state, JOB_SUPPRESSED, "suppressed too");
	store_job_clear(&j);
	CALL(1, store_job_get(st, js, &j, &err), "get from's sent ack");
	ok(j.state == JOB_SENT && j.last_error == NULL, "a sent job stays sent");
	store_job_clear(&j);
	CALL(0, store_case_merge(st, into, from, "again", NULL, NULL, &err),
	     "merge with NULL counts");

	/* Links, either order. */
	CALL(1, store_case_link(st, other, into, 1700000100, "alice", &err),
	     "store_case_link: 1 linked now");
	CALL(0, store_case_link(st, into, other, 1700000200, "bob", &err),
	     "the other way round: 0, linked already");
	CALL(0, store_case_link(st, other, into, 1700000300, NULL, &err),
	     "the same way again: 0");
	CALL(1, store_case_link(st, from, into, 1700000400, NULL, &err), "a second link");
	CALL(0, store_case_links(st, into, &ids, &n, &err), "store_case_links");
	ok(n == 2 && ids != NULL && ids[0] == from && ids[1] == other,
	   "both linked cases, ascending");
	free(ids);
	ids = NULL;
	CALL(0, store_case_links(st, other, &ids, &n, &err), "links of the other side");
	ok(n == 1 && ids != NULL && ids[0] == into, "links are both ways");
	free(ids);
	ids = NULL;
	CALL(0, store_case_links(st, fix_base, &ids, &n, &err), "links of an unlinked case");
	is_int((long long)n, 0, "none");
	free(ids);
}

static void
test_events(void)
{
	struct store_case c;
	struct store_event *ev = NULL;
	long long a, b, x, *ids = NULL;
	size_t n = 0;
	char *err = NULL;

	store_case_init(&c);
	c.state = CASE_NEW;
	c.created = c.updated = 1700000000;
	a = case_add(&c);
	b = case_add(&c);
	x = case_add(&c);
	CALL(0, store_event_add(st, a, 1700000010, "received", "from x@y", &err), "store_event_add");
	CALL(0, store_event_add_by(st, a, 1700000005, "note", "it's \"fine\"", "alice", &err),
	     "store_event_add_by");
	CALL(0, store_event_add_by(st, a, 1700000020, "state", NULL, NULL, &err),
	     "store_event_add_by with no author and no detail");
	CALL(0, store_case_events(st, a, &ev, &n, &err), "store_case_events");
	if (is_int((long long)n, 3, "three events") && ev != NULL) {
		ok(ev[0].id < ev[1].id && ev[1].id < ev[2].id, "in the order they were added");
		is_int(ev[0].case_id, a, "case_id");
		is_int(ev[0].at, 1700000010, "at");
		is_str(ev[0].kind, "received", "kind");
		is_str(ev[0].detail, "from x@y", "detail");
		is_str(ev[0].author, NULL, "store_event_add: no author");
		is_int(ev[1].at, 1700000005, "at of the second");
		is_str(ev[1].detail, "it's \"fine\"", "detail of the second");
		is_str(ev[1].author, "alice", "store_event_add_by: the author");
		is_str(ev[2].kind, "state", "kind of the third");
		is_str(ev[2].detail, NULL, "detail NULL");
		is_str(ev[2].author, NULL, "author NULL");
	}
	store_events_free(&ev, n);
	ok(ev == NULL, "store_events_free NULLs the array");
	CALL(0, store_case_events(st, x, &ev, &n, &err), "events of a case with none");
	is_int((long long)n, 0, "none");
	store_events_free(&ev, n);

	/* Corrected cases: b before a in time, a before b in id order. */
	CALL(0, store_cases_corrected(st, &ids, &n, &err), "store_cases_corrected, none yet");
	is_int((long long)n, 0, "no case corrected yet");
	free(ids);
	ids = NULL;
	store_event_add_by(st, b, 1700000030, "spam", NULL, "alice", &err);
	store_event_add_by(st, b, 1700000031, "release", NULL, "alice", &err);
	store_event_add_by(st, a, 1700000032, "recategorize", "billing", "bob", &err);
	store_event_add_by(st, x, 1700000033, "note", NULL, "bob", &err);
	store_event_add_by(st, x, 1700000034, "complaint", NULL, "bob", &err);
	CALL(0, store_cases_corrected(st, &ids, &n, &err), "store_cases_corrected");
	ok(n == 3 && ids != NULL && ids[0] == a && ids[1] == b && ids[2] == x,
	   "each corrected case once, in id order (%zu)", n);
	free(ids);
}

/* ---------------------------------------------------------------------- */

static void
job_compare(const struct store_job *got, const struct store_job *want, const char *what)
{
	is_int(got->id, want->id, "%s: id", what);
	is_int(got->case_id, want->case_id, "%s: case_id", what);
	is_int(got->kind, want->kind, "%s: kind", what);
	is_int(got->state, want->state, "%s: state", what);
	is_int(got->due, want->due, "%s: due", what);
	is_int(got->created, want->created, "%s: created", what);
	is_int(got->sent_at, want->sent_at, "%s: sent_at", what);
	is_int(got->attempts, want->attempts, "%s: attempts", what);
	is_str(got->last_error, want->last_error, "%s: last_error", what);
	is_str(got->rcpt, want->rcpt, "%s: rcpt", what);
	is_str(got->msgid, want->msgid, "%s: msgid", what);
	is_str(got->detail, want->detail, "%s: detail", what);
	is_int(got->first_try, want->first_try, "%s: first_try", what);
	is_int(got->unconfirmed, want->unconfirmed, "%s: unconfirmed", what);
}

/* A pid that ran and is gone. */
static pid_t
dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid(p, NULL, 0);
	return p;
}

static void
test_jobs(void)
{
	struct store_case c;
	struct store_job want, got, *js = NULL;
	long long cid, cid2, id, j1, j2, j3, j4, j5;
	char self[64], dead[64], live[64];
	size_t n = 0, total = 0;
	long cnt = -1;
	char *err = NULL;

	store_case_init(&c);
	c.state = CASE_NEW;
	c.created = c.updated = 1700000000;
	cid = case_add(&c);
	cid2 = case_add(&c);

	/* Every field. */
	want = (struct store_job){ .case_id = cid, .kind = JOB_REPLY, .state = JOB_FAILED,
				   .due = 4000000001LL, .created = 1700000001,
				   .sent_at = 1700000002, .attempts = 7,
				   .last_error = (char *)"550 5.1.1 \"no\" it's gone",
				   .rcpt = (char *)"r@example.net", .msgid = (char *)"id1@redress",
				   .detail = (char *)"resolution", .first_try = 1700000003,
				   .unconfirmed = 2 };
	CALL(0, store_job_add(st, &want, &id, &err), "store_job_add with every field");
	want.id = id;
	CALL(1, store_job_get(st, id, &got, &err), "store_job_get");
	job_compare(&got, &want, "job");
	store_job_clear(&got);
	want = (struct store_job){ .id = id, .case_id = cid, .kind = JOB_REPLY,
				   .state = JOB_QUEUED, .due = 4000000002LL,
				   .created = 1700000001 };
	CALL(0, store_job_update(st, &want, &err), "store_job_update to zeroes and NULLs");
	CALL(1, store_job_get(st, id, &got, &err), "get after the update");
	job_compare(&got, &want, "job cleared");
	store_job_clear(&got);
	want = (struct store_job){ .id = id, .case_id = cid, .kind = JOB_REPLY,
				   .state = JOB_SENT, .due = 4000000003LL, .created = 1700000001,
				   .sent_at = 1700000010, .attempts = 3, .last_error = (char *)"e",
				   .rcpt = (char *)"s@example.net", .msgid = (char *)"id2@redress",
				   .detail = (char *)"d", .first_try = 1700000009,
				   .unconfirmed = 1 };
	CALL(0, store_job_update(st, &want, &err), "store_job_update to other values");
	CALL(1, store_job_get(st, id, &got, &err), "get after the second update");
	job_compare(&got, &want, "job changed");
	store_job_clear(&got);
	CALL(0, store_job_get(st, id + 100000, &got, &err), "store_job_get: 0 for no such job");

	/* Every kind and state. */
	for (int k = 0; k < JOB_KIND_COUNT; k++) {
		enum job_state s = (enum job_state)(k % JOB_STATE_COUNT);
		long long jid = job_add(cid2, (enum job_kind)k, s, 4000000000LL, 1600000000, NULL);

		if (store_job_get(st, jid, &got, &err) == 1) {
			ok(got.kind == (enum job_kind)k && got.state == s && got.rcpt == NULL,
			   "job kind %s, state %s", job_kind_name(got.kind),
			   job_state_name(got.state));
			/* No claim of nobody's for release_stale below. */
			if (got.state == JOB_SENDING) {
				got.state = JOB_FAILED;
				CALL(0, store_job_update(st, &got, &err), "out of sending");
			}
			store_job_clear(&got);
		} else {
			ok(false, "get job of kind %d: %s", k, err != NULL ? err : "");
			free(err);
			err = NULL;
		}
	}

	CALL(0, store_jobs_list(st, cid, &js, &n, &err), "store_jobs_list of a case");
	ok(n == 1 && js != NULL && js[0].id == id, "the case's one job");
	store_jobs_free(&js, n);
	CALL(0, store_jobs_list(st, cid2, &js, &n, &err), "store_jobs_list of another");
	ok(n == JOB_KIND_COUNT && js != NULL && js[0].id < js[1].id && js[0].kind == JOB_ACK &&
	   js[n - 1].kind == JOB_REPLY, "its jobs, oldest first");
	store_jobs_free(&js, n);
	ok(js == NULL, "store_jobs_free NULLs the array");
	CALL(0, store_jobs_list(st, 0, &js, &total, &err), "store_jobs_list of every case");
	ok(total >= JOB_KIND_COUNT + 1 && js != NULL && js[0].id < js[total - 1].id,
	   "every job, oldest first (%zu)", total);
	store_jobs_free(&js, total);

	/* Due and claim: by due, then id.  Every other queued job is due in
	 * 2096 or later. */
	j1 = job_add(cid, JOB_ACK, JOB_QUEUED, 300, 100, "a@example.net");
	j2 = job_add(cid, JOB_FOLLOWUP, JOB_QUEUED, 100, 100, "a@example.net");
	j3 = job_add(cid, JOB_ESCALATION, JOB_QUEUED, 100, 100, "a@example.net");
	j4 = job_add(cid, JOB_ACK, JOB_QUEUED, 500, 100, "a@example.net");
	j5 = job_add(cid, JOB_ACK, JOB_SENT, 50, 100, "a@example.net");
	CALL(0, store_jobs_due(st, 400, 0, &js, &n, &err), "store_jobs_due");
	ok(n == 3 && js != NULL && js[0].id == j2 && js[1].id == j3 && js[2].id == j1,
	   "the queued jobs due, by due then id (%zu)", n);
	store_jobs_free(&js, n);
	CALL(0, store_jobs_due(st, 400, 2, &js, &n, &err), "store_jobs_due with a limit");
	ok(n == 2 && js != NULL && js[0].id == j2 && js[1].id == j3, "the first two");
	store_jobs_free(&js, n);
	CALL(0, store_jobs_due(st, 500, 0, &js, &n, &err), "store_jobs_due, later");
	ok(n == 4 && js != NULL && js[3].id == j4 && js[3].due == 500,
	   "due at or before now (%zu)", n);
	store_jobs_free(&js, n);
	CALL(0, store_jobs_due(st, 99, 0, &js, &n, &err), "store_jobs_due before any");
	is_int((long long)n, 0, "none due yet");
	store_jobs_free(&js, n);

	snprintf(self, sizeof(self), "%ld" HOST, (long)getpid());
	snprintf(dead, sizeof(dead), "%ld" HOST, (long)dead_pid());
	snprintf(live, sizeof(live), "%ld" HOST, (long)getppid());
	CALL(1, store_job_claim(st, 400, "1@other-host", 1000, &got, &err), "store_job_claim");
	ok(got.id == j2 && got.state == JOB_SENDING, "claims the first due, as sending");
	store_job_clear(&got);
	CALL(1, store_job_claim(st, 400, "2@other-host", 1000, &got, &err), "claim again");
	is_int(got.id, j3, "the next: same due, higher id");
	store_job_clear(&got);
	CALL(1, store_job_claim(st, 400, dead, 5000, &got, &err), "claim a third");
	is_int(got.id, j1, "then the later due");
	store_job_clear(&got);
	CALL(0, store_job_claim(st, 400, self, 1000, &got, &err),
	     "claim: 0 when none is due");
	CALL(1, store_job_get(st, j2, &got, &err), "get a claimed job");
	is_int(got.state, JOB_SENDING, "it is sending");
	store_job_clear(&got);
	CALL(0, store_jobs_due(st, 400, 0, &js, &n, &err), "due after the claims");
	is_int((long long)n, 0, "a claimed job is not due");
	store_jobs_free(&js, n);
	(void)j5;

	/* Renew: only the owner's leases. */
	CALL(0, store_jobs_renew(st, "1@other-host", 3000, &err), "store_jobs_renew");
	/* At 2000: 2@other-host's lease (1000) has run out, 1@other-host's
	 * (renewed to 3000) has not, the dead local pid's claim goes. */
	CALL(0, store_jobs_release_stale(st, self, 2000, &cnt, &err), "store_jobs_release_stale");
	is_int(cnt, 2, "releases the expired lease and the dead process's claim");
	CALL(1, store_job_get(st, j3, &got, &err), "get the expired claim");
	is_int(got.state, JOB_QUEUED, "expired lease: queued again");
	store_job_clear(&got);
	CALL(1, store_job_get(st, j1, &got, &err), "get the dead process's claim");
	is_int(got.state, JOB_QUEUED, "dead local process: queued again");
	store_job_clear(&got);
	CALL(1, store_job_get(st, j2, &got, &err), "get the renewed claim");
	is_int(got.state, JOB_SENDING, "another host's live claim stays (renewed)");
	store_job_clear(&got);

	/* Our own claim goes even when its lease is live; a live local
	 * process's stays. */
	CALL(1, store_job_claim(st, 400, self, 9000, &got, &err), "claim as self");
	is_int(got.id, j3, "j3 again");
	store_job_clear(&got);
	CALL(1, store_job_claim(st, 400, live, 9000, &got, &err), "claim as a live local process");
	is_int(got.id, j1, "j1 again");
	store_job_clear(&got);
	CALL(0, store_jobs_release_stale(st, self, 2000, NULL, &err),
	     "release_stale with a NULL count");
	CALL(1, store_job_get(st, j3, &got, &err), "get our own claim");
	is_int(got.state, JOB_QUEUED, "our own claim is released");
	store_job_clear(&got);
	CALL(1, store_job_get(st, j1, &got, &err), "get the live local claim");
	is_int(got.state, JOB_SENDING, "a live local process's claim stays");
	store_job_clear(&got);
	CALL(1, store_job_get(st, j2, &got, &err), "get the other host's claim");
	is_int(got.state, JOB_SENDING, "another host's claim still stays");
	store_job_clear(&got);
	CALL(0, store_jobs_release_stale(st, self, 3001, &cnt, &err), "release_stale after 3000");
	is_int(cnt, 1, "another host's claim goes once its lease has run out");
	CALL(0, store_jobs_release_stale(st, self, 9001, &cnt, &err), "release_stale after 9000");
	is_int(cnt, 1, "and the live process's too");

	/* An update out of "sending" ends the claim: owner and lease go. */
	CALL(1, store_job_claim(st, 400, self, 9000, &got, &err), "claim once more");
	is_int(got.id, j2, "j2");
	got.state = JOB_SENT;
	got.sent_at = 450;
	CALL(0, store_job_update(st, &got, &err), "update it to sent");
	store_job_clear(&got);
	CALL(0, store_jobs_release_stale(st, self, 9500, &cnt, &err), "release_stale after it");
	is_int(cnt, 0, "a sent job is no claim");
	/* An update that stays "sending" keeps the claim. */
	CALL(1, store_job_claim(st, 400, "9@other-host", 600, &got, &err), "claim j3");
	got.attempts = 1;
	CALL(0, store_job_update(st, &got, &err), "update it, still sending");
	store_job_clear(&got);
	CALL(0, store_jobs_release_stale(st, self, 500, &cnt, &err), "release_stale before the lease");
	is_int(cnt, 0, "the claim and its lease stay");
	CALL(0, store_jobs_release_stale(st, self, 700, &cnt, &err), "release_stale after the lease");
	is_int(cnt, 1, "then it goes");

	/* Reschedule and reroute. */
	{
		long long cid3 = case_add(&c), a1, a2, f1, e1, w1, e2, a3;

		a1 = job_add(cid3, JOB_ACK, JOB_QUEUED, 4100000000LL, 100, "cust@example.net");
		a2 = job_add(cid3, JOB_ACK, JOB_QUEUED, 4100000001LL, 100, "cust@example.net");
		f1 = job_add(cid3, JOB_FOLLOWUP, JOB_QUEUED, 4100000002LL, 100, "cust@example.net");
		e1 = job_add(cid3, JOB_ESCALATION, JOB_QUEUED, 4100000003LL, 100, "duty@example.com");
		w1 = job_add(cid3, JOB_WARNING, JOB_QUEUED, 4100000004LL, 100, "duty@example.com");
		e2 = job_add(cid3, JOB_ESCALATION, JOB_SENT, 4100000005LL, 100, "duty@example.com");
		a3 = job_add(cid, JOB_ACK, JOB_QUEUED, 4100000006LL, 100, "cust@example.net");
		CALL(0, store_jobs_reschedule(st, cid3, JOB_ACK, 4200000000LL, &cnt, &err),
		     "store_jobs_reschedule");
		is_int(cnt, 2, "two queued acks of the case moved");
		store_job_get(st, a1, &got, &err);
		is_int(got.due, 4200000000LL, "the first moved");
		store_job_clear(&got);
		store_job_get(st, a2, &got, &err);
		is_int(got.due, 4200000000LL, "the second moved");
		store_job_clear(&got);
		store_job_get(st, f1, &got, &err);
		is_int(got.due, 4100000002LL, "a follow-up did not");
		store_job_clear(&got);
		store_job_get(st, a3, &got, &err);
		is_int(got.due, 4100000006LL, "another case's ack did not");
		store_job_clear(&got);
		CALL(0, store_jobs_reschedule(st, cid3, JOB_REPLY, 1, NULL, &err),
		     "reschedule with a NULL count");

		CALL(0, store_jobs_reroute_staff(st, cid3, "owner@example.com", &cnt, &err),
		     "store_jobs_reroute_staff");
		is_int(cnt, 2, "the queued escalation and warning");
		store_job_get(st, e1, &got, &err);
		is_str(got.rcpt, "owner@example.com", "the escalation goes to the owner");
		store_job_clear(&got);
		store_job_get(st, w1, &got, &err);
		is_str(got.rcpt, "owner@example.com", "the warning too");
		store_job_clear(&got);
		store_job_get(st, e2, &got, &err);
		is_str(got.rcpt, "duty@example.com", "a sent escalation stays");
		store_job_clear(&got);
		store_job_get(st, a1, &got, &err);
		is_str(got.rcpt, "cust@example.net", "an ack stays");
		store_job_clear(&got);
		CALL(0, store_jobs_reroute_staff(st, cid, "x@example.com", NULL, &err),
		     "reroute with a NULL count");
	}

	/* Acks to an address. */
	{
		const char *r = "acks@example.net";

		job_add(cid, JOB_ACK, JOB_QUEUED, 4000000000LL, 100, r);
		job_add(cid, JOB_ACK_PLAIN, JOB_SENT, 4000000000LL, 200, r);
		job_add(cid, JOB_ACK, JOB_SENDING, 4000000000LL, 300, r);
		job_add(cid, JOB_ACK, JOB_FAILED, 4000000000LL, 300, r);
		job_add(cid, JOB_ACK, JOB_SUPPRESSED, 4000000000LL, 300, r);
		job_add(cid, JOB_FOLLOWUP, JOB_QUEUED, 4000000000LL, 300, r);
		job_add(cid, JOB_ACK, JOB_QUEUED, 4000000000LL, 50, r);
		job_add(cid, JOB_ACK, JOB_QUEUED, 4000000000LL, 300, "other@example.net");
		CALL(0, store_acks_to(st, r, 100, 0, &cnt, &err), "store_acks_to");
		is_int(cnt, 3, "acks and plain acks queued, sending or sent since");
		CALL(0, store_acks_to(st, r, 150, 0, &cnt, &err), "acks_to later");
		is_int(cnt, 2, "since counts");
		CALL(0, store_acks_to(st, r, 0, 2, &cnt, &err), "acks_to with a limit");
		is_int(cnt, 2, "stops at the limit");
		CALL(0, store_acks_to(st, "none@example.net", 0, 0, &cnt, &err),
		     "acks_to an unknown address");
		is_int(cnt, 0, "none");
	}
}

static void
test_rates(void)
{
	long cnt = -1;
	char *err = NULL;

	CALL(0, store_rate_add(st, JOB_ACK, "k1@d1", "d1", 100, fix_base, &err), "store_rate_add");
	CALL(0, store_rate_add(st, JOB_ACK, "k1@d1", "d1", 200, 0, &err), "rate without a case");
	CALL(0, store_rate_add(st, JOB_ACK, "k2@d1", "d1", 300, 0, &err), "rate of another key");
	CALL(0, store_rate_add(st, JOB_ESCALATION, "k1@d1", "d1", 300, 0, &err),
	     "rate of another kind");
	CALL(0, store_rate_add(st, JOB_ACK, "k3@d2", "d2", 400, 0, &err), "rate of another domain");
	CALL(0, store_rate_count(st, JOB_ACK, "k1@d1", NULL, 0, 0, &cnt, &err),
	     "store_rate_count by key");
	is_int(cnt, 2, "by key: its rows of the kind");
	CALL(0, store_rate_count(st, JOB_ACK, "k1@d1", NULL, 150, 0, &cnt, &err), "by key, since");
	is_int(cnt, 1, "since counts");
	CALL(0, store_rate_count(st, JOB_ACK, "k1@d1", NULL, 0, 1, &cnt, &err), "by key, limit");
	is_int(cnt, 1, "stops at the limit");
	CALL(0, store_rate_count(st, JOB_ACK, NULL, "d1", 0, 0, &cnt, &err), "by domain");
	is_int(cnt, 3, "by domain: every key's");
	CALL(0, store_rate_count(st, JOB_ACK, NULL, "d1", 250, 0, &cnt, &err), "by domain, since");
	is_int(cnt, 1, "by domain since");
	CALL(0, store_rate_count(st, JOB_ACK, NULL, "d1", 0, 2, &cnt, &err), "by domain, limit");
	is_int(cnt, 2, "by domain stops at the limit");
	CALL(0, store_rate_count(st, JOB_ESCALATION, "k1@d1", NULL, 0, 0, &cnt, &err),
	     "another kind");
	is_int(cnt, 1, "kinds are counted apart");
	CALL(0, store_rate_count(st, JOB_ACK, NULL, "d2", 0, -1, &cnt, &err), "domain d2");
	is_int(cnt, 1, "d2");
}

static void
test_imap(void)
{
	uint32_t v = 9, u = 9;
	char *err = NULL;

	CALL(0, store_imap_get(st, "imaps://h/INBOX", &v, &u, &err), "store_imap_get: 0 for none");
	CALL(0, store_imap_set(st, "imaps://h/INBOX", 7, 42, &err), "store_imap_set");
	CALL(1, store_imap_get(st, "imaps://h/INBOX", &v, &u, &err), "store_imap_get");
	ok(v == 7 && u == 42, "uidvalidity and last uid (%u %u)", v, u);
	CALL(0, store_imap_set(st, "imaps://h/INBOX", 3000000000U, 4294967295U, &err),
	     "store_imap_set again, past 31 bits");
	CALL(0, store_imap_set(st, "imaps://h/Other", 5, 6, &err), "another mailbox");
	CALL(1, store_imap_get(st, "imaps://h/INBOX", &v, &u, &err), "store_imap_get again");
	ok(v == 3000000000U && u == 4294967295U, "replaced, every bit (%u %u)", v, u);
	CALL(1, store_imap_get(st, "imaps://h/Other", &v, &u, &err), "get the other mailbox");
	ok(v == 5 && u == 6, "each mailbox its own");
}

static void
test_locks(void)
{
	char self[64], dead[64], live[64];
	char *err = NULL;

	snprintf(self, sizeof(self), "%ld" HOST, (long)getpid());
	snprintf(dead, sizeof(dead), "%ld" HOST, (long)dead_pid());
	snprintf(live, sizeof(live), "%ld" HOST, (long)getppid());

	CALL(1, store_lock(st, "fetch", "A@elsewhere", 1000, 60, &err), "store_lock: taken");
	CALL(1, store_lock(st, "fetch", "A@elsewhere", 1010, 60, &err), "renewed by its owner");
	CALL(0, store_lock(st, "fetch", "B@elsewhere", 1050, 60, &err),
	     "another owner is refused while it is fresh");
	CALL(0, store_lock(st, "fetch", "B@elsewhere", 1070, 60, &err),
	     "still at exactly ttl after the renewal");
	CALL(1, store_lock(st, "fetch", "B@elsewhere", 1071, 60, &err), "taken over after ttl");
	CALL(0, store_lock(st, "fetch", "A@elsewhere", 1072, 60, &err), "the old owner lost it");
	CALL(1, store_lock(st, "other", "A@elsewhere", 1072, 60, &err),
	     "another name is another lock");
	CALL(0, store_lock(st, "other", "C@elsewhere", 1073, 60, &err), "and held the same way");
	CALL(0, store_unlock(st, "fetch", "A@elsewhere", &err), "store_unlock by another owner");
	CALL(0, store_lock(st, "fetch", "A@elsewhere", 1074, 60, &err), "does not release it");
	CALL(0, store_unlock(st, "fetch", "B@elsewhere", &err), "store_unlock by the owner");
	CALL(1, store_lock(st, "fetch", "A@elsewhere", 1075, 60, &err), "releases it");

	CALL(1, store_lock(st, "send", dead, 2000, 600, &err), "a lock of a local process");
	CALL(1, store_lock(st, "send", self, 2001, 600, &err),
	     "taken over at once when that process is gone");
	CALL(0, store_lock(st, "send", live, 2002, 600, &err),
	     "a live local process cannot take ours");
	CALL(0, store_unlock(st, "send", self, &err), "unlock send");
	CALL(1, store_lock(st, "send", live, 2003, 600, &err), "a live local process's lock");
	CALL(0, store_lock(st, "send", self, 2004, 600, &err), "is not taken over");
	snprintf(dead, sizeof(dead), "%ld@another-host", (long)dead_pid());
	CALL(0, store_unlock(st, "send", live, &err), "unlock send again");
	CALL(1, store_lock(st, "send", dead, 2005, 600, &err), "another host's lock");
	CALL(0, store_lock(st, "send", self, 2006, 600, &err),
	     "is never judged by its pid");
}

/* ---------------------------------------------------------------------- */

static long long committed;

static void
test_transactions(void)
{
	struct store_case c, got;
	struct store_message m = { .direction = "in", .fingerprint = "fp-1", .source = "filter",
				   .envelope_to = "x@y", .received = 1, .raw = "x", .raw_len = 1 };
	long long id, mid;
	char *err = NULL;
	int rc;

	store_case_init(&c);
	c.state = CASE_NEW;
	c.customer = (char *)"txn@example.net";
	c.created = c.updated = 1700000000;

	CALL(0, store_begin(st, &err), "store_begin");
	id = case_add(&c);
	store_event_add(st, id, 1, "x", NULL, &err);
	store_rollback(st);
	CALL(0, store_case_get(st, id, &got, &err), "store_rollback: the case is gone");
	store_case_clear(&got);

	/* A failed statement inside a transaction, then a rollback: the
	 * connection is usable again. */
	CALL(0, store_begin(st, &err), "store_begin again");
	id = case_add(&c);
	rc = store_message_add(st, &m, &mid, &err);
	ok(rc == -1, "a statement fails in the transaction (%s)", err != NULL ? err : "");
	free(err);
	err = NULL;
	store_rollback(st);
	CALL(0, store_case_get(st, id, &got, &err), "rolled back after the failure");
	store_case_clear(&got);

	CALL(0, store_begin(st, &err), "store_begin to commit");
	committed = case_add(&c);
	CALL(0, store_commit(st, &err), "store_commit");
	CALL(1, store_case_get(st, committed, &got, &err), "the committed case is there");
	store_case_clear(&got);

	CALL(0, store_durable(st, false, &err), "store_durable off");
	CALL(0, store_begin(st, &err), "begin, not durable");
	store_event_add(st, committed, 2, "lazy", NULL, &err);
	CALL(0, store_commit(st, &err), "commit, not durable");
	CALL(0, store_sync(st, &err), "store_sync");
	CALL(0, store_durable(st, true, &err), "store_durable on again");
	CALL(0, store_sync(st, &err), "store_sync while durable");

	/* One writer at a time: a second connection's begin waits, then
	 * fails as a temporary failure. */
	{
		struct store *st2 = open_store(200);
		int r;

		ok(st2 != NULL, "a second connection");
		CALL(0, store_begin(st, &err), "the first begins");
		if (st2 != NULL) {
			r = store_begin(st2, &err);
			ok(r == -1 && store_temporary(st2),
			   "the second's begin fails, temporary (%s)", err != NULL ? err : "none");
			free(err);
			err = NULL;
			if (r == 0)
				store_rollback(st2);
		}
		store_rollback(st);
		if (st2 != NULL) {
			CALL(0, store_begin(st2, &err), "after the first is done the second begins");
			store_rollback(st2);
		}
		store_close(&st2);
	}
}

static void
test_reopen(void)
{
	unsigned char *k = NULL;
	struct store_case got;
	struct store_event *ev = NULL;
	char *raw = NULL, *err = NULL;
	size_t len = 0, n = 0;

	store_close(&st);
	ok(st == NULL, "store_close NULLs the store");
	st = open_store(2000);
	if (!ok(st != NULL, "the store opens again"))
		exit(tap_exit());
	CALL(1, store_case_get(st, committed, &got, &err), "commit persists across a reopen");
	is_str(got.customer, "txn@example.net", "and its data");
	store_case_clear(&got);
	CALL(0, store_case_events(st, committed, &ev, &n, &err), "events after a reopen");
	ok(n == 1 && ev != NULL && strcmp(ev[0].kind, "lazy") == 0,
	   "a commit made while not durable persists");
	store_events_free(&ev, n);
	CALL(0, store_secret(st, "msgid-key", 32, &k, &err), "store_secret after a reopen");
	ok(k != NULL && memcmp(k, secret1, 32) == 0, "the same key on another connection");
	free(k);
	CALL(1, store_message_raw(st, msg1, &raw, &len, &err), "raw after a reopen");
	ok(raw != NULL && len == raw1_len && memcmp(raw, raw1, raw1_len) == 0,
	   "every byte still as written");
	free(raw);
}

/*
 * Two processes (two nodes) send from one store at once: each claims,
 * marks sent and commits in a loop until nothing is due.  Every job is
 * claimed exactly once.
 */
#define RACE_JOBS 40
static void
claimer(int fd, int k)
{
	struct store *s = open_store(20000);
	char owner[32], line[32], *err = NULL;
	struct store_job j;
	int r = 1;

	snprintf(owner, sizeof(owner), "%d@racer%d", (int)getpid(), k);
	while (s != NULL && r == 1) {
		if (store_begin(s, &err) < 0)
			break;
		r = store_job_claim(s, 10, owner, 1000, &j, &err);
		if (r == 1) {
			j.state = JOB_SENT;
			j.sent_at = 11;
			if (store_job_update(s, &j, &err) < 0)
				r = -1;
			snprintf(line, sizeof(line), "%lld\n", j.id);
			store_job_clear(&j);
		}
		if (r < 0 || store_commit(s, &err) < 0) {
			store_rollback(s);
			r = -1;
			break;
		}
		if (r == 1 && write(fd, line, strlen(line)) < 0)
			break;
		usleep(1000);
	}
	if (r < 0 && err != NULL) {
		snprintf(line, sizeof(line), "E\n");
		(void)!write(fd, line, 2);
	}
	free(err);
	store_close(&s);
	_exit(r == 0 ? 0 : 1);
}

static void
test_race(void)
{
	struct store_case c;
	long long cid, ids[RACE_JOBS];
	int seen[RACE_JOBS] = { 0 }, status[2] = { -1, -1 }, fds[2], twice = 0, unknown = 0;
	pid_t pids[2];
	char buf[8192];
	size_t got = 0;
	ssize_t n;

	store_case_init(&c);
	c.state = CASE_NEW;
	c.created = c.updated = 1700000000;
	cid = case_add(&c);
	for (int i = 0; i < RACE_JOBS; i++)
		ids[i] = job_add(cid, JOB_FOLLOWUP, JOB_QUEUED, 5 + i % 5, 1, "race@example.net");
	if (pipe(fds) < 0) {
		ok(false, "pipe");
		return;
	}
	fflush(stdout);
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(fds[0]);
			claimer(fds[1], k);
		}
	}
	close(fds[1]);
	while (got < sizeof(buf) - 1 && (n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fds[0]);
	for (int k = 0; k < 2; k++)
		if (pids[k] > 0)
			waitpid(pids[k], &status[k], 0);
	ok(status[0] == 0 && status[1] == 0, "two claimers at once end cleanly (%d %d)%s",
	   status[0], status[1], strstr(buf, "E") != NULL ? ": one failed" : "");
	for (char *p = buf, *end; *p != '\0'; p = end) {
		long long id = strtoll(p, &end, 10);
		int i;

		if (end == p) {
			end = p + 1;
			continue;
		}
		for (i = 0; i < RACE_JOBS && ids[i] != id; i++)
			;
		if (i == RACE_JOBS)
			unknown++;
		else if (seen[i]++ > 0)
			twice++;
	}
	{
		int all = 1;

		for (int i = 0; i < RACE_JOBS; i++)
			all &= seen[i] == 1;
		ok(all && twice == 0 && unknown == 0,
		   "every job claimed exactly once (twice %d, not ours %d)", twice, unknown);
	}
}

/*
 * A lost connection (PostgreSQL only: REDRESS_TEST_DROP is a command that
 * ends every session of the server, as a restart or a network would):
 * the next statement may fail, as a temporary failure; the one after it
 * connects again and the prepared statements work there.  A transaction
 * open across the loss fails, temporary, and the next one works.
 */
#define RECONNECT_TESTS 11
static void
test_reconnect(void)
{
	const char *drop = getenv("REDRESS_TEST_DROP");
	struct store_case c, got;
	char *err = NULL;
	int rc, tries;

	if (!is_pg || drop == NULL || *drop == '\0') {
		skip(RECONNECT_TESTS, "no connection to lose (REDRESS_TEST_DROP)");
		return;
	}
	ok(system(drop) == 0, "the server ends every session");
	for (tries = 0; tries < 2; tries++) {
		rc = store_case_get(st, committed, &got, &err);
		store_case_clear(&got);
		if (rc == 1)
			break;
		ok(rc == -1 && store_temporary(st), "the first statement after it fails, temporary: %s",
		   err != NULL ? err : "(no error)");
		free(err);
		err = NULL;
	}
	ok(rc == 1, "a statement after a lost connection connects again (%d tries)", tries + 1);

	store_case_init(&c);
	c.state = CASE_NEW;
	c.customer = (char *)"lost@example.net";
	c.created = c.updated = 1700000000;
	CALL(0, store_begin(st, &err), "begin, then the connection is lost");
	ok(system(drop) == 0, "the server ends every session again");
	rc = store_case_add(st, &c, NULL, &err);
	ok(rc == -1 && store_temporary(st), "a statement of the lost transaction fails, temporary: %s",
	   err != NULL ? err : "(no error)");
	free(err);
	err = NULL;
	store_rollback(st);
	CALL(0, store_begin(st, &err), "the next transaction begins");
	CALL(0, store_case_add(st, &c, NULL, &err), "and writes");
	store_rollback(st);

	/* The connection made again is set up as the first was: a writer
	 * still waits for another at most busy_timeout_ms (2000 here; the
	 * other holds its transaction 6 s), and the server's notices are
	 * still not printed (a delivery filter prints nothing). */
	{
		int fds[2], status = -1;
		char ready = 0;
		pid_t p;
		time_t t0;

		if (pipe(fds) < 0) {
			ok(false, "pipe");
			return;
		}
		fflush(stdout);
		p = fork();
		if (p == 0) {
			struct store *s2 = open_store(2000);

			close(fds[0]);
			if (s2 != NULL && store_begin(s2, &err) == 0)
				(void)!write(fds[1], "r", 1);
			sleep(6);
			_exit(0);   /* the session ends: its transaction is rolled back */
		}
		close(fds[1]);
		ok(read(fds[0], &ready, 1) == 1 && ready == 'r', "another connection begins");
		close(fds[0]);
		t0 = time(NULL);
		rc = store_begin(st, &err);
		ok(rc == -1 && store_temporary(st) && time(NULL) - t0 < 5,
		   "after a reconnect, begin still gives up after the busy timeout, temporary "
		   "(%d after %lld s: %s)", rc, (long long)(time(NULL) - t0),
		   err != NULL ? err : "no error");
		free(err);
		err = NULL;
		if (rc == 0)
			store_rollback(st);
		if (p > 0)
			waitpid(p, &status, 0);
	}
	{
		char path[] = "/tmp/t_store_api.err.XXXXXX";
		int fd = mkstemp(path), saved = dup(2);
		struct store_case *cs = NULL;
		size_t n = 0, len = 0;
		char *text;

		fflush(stderr);
		if (fd >= 0 && saved >= 0)
			dup2(fd, 2);
		rc = store_case_list(st, &(struct store_case_filter){ .search = "\" -" }, &cs,
				     &n, &err);
		fflush(stderr);
		if (saved >= 0) {
			dup2(saved, 2);
			close(saved);
		}
		ok(rc == 0 && n == 0, "a search with no word in it finds nothing (%s)",
		   err != NULL ? err : "");
		free(err);
		err = NULL;
		store_cases_free(&cs, n);
		text = fd >= 0 ? tap_slurp(path, &len) : NULL;
		ok(text != NULL && len == 0, "and prints nothing after a reconnect: %s",
		   text != NULL ? text : "(cannot read)");
		free(text);
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
	}
}

int
main(void)
{
	const char *env = getenv("REDRESS_TEST_STORE");

	if (env != NULL && *env != '\0') {
		where = xstrdup(env);
		is_pg = true;
	} else {
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			return 1;
		}
		where = xasprintf("%s/redress.db", dir);
	}
	st = open_store(2000);
	if (st == NULL) {
		ok(false, "store_open");
		return tap_exit();
	}
	if (!test_empty()) {
		store_close(&st);
		return tap_exit();
	}
	test_secret();
	test_messages();
	test_case_roundtrip();
	test_case_list();
	test_merge_link();
	test_events();
	test_jobs();
	test_rates();
	test_imap();
	test_locks();
	test_transactions();
	test_reopen();
	test_race();
	test_reconnect();
	store_close(&st);
	if (!is_pg) {
		char *p;

		unlink(where);
		p = xasprintf("%s-wal", where);
		unlink(p);
		free(p);
		p = xasprintf("%s-shm", where);
		unlink(p);
		free(p);
		rmdir(dir);
	}
	free(where);
	return tap_exit();
}
