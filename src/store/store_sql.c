/*
 * NAME
 *	store_sql - the store's SQL, written once for every backend:
 *	messages, cases, events, jobs, rates, IMAP state, locks
 * DESCRIPTION
 *	See store.h for the interface and store_int.h for the statement
 *	interface the backends (store_sqlite.c, store_pg.c) give it.  The SQL
 *	here is what SQLite 3.40 and PostgreSQL 15 both speak; where they
 *	differ (the claim's row locks, full text search), the backend says
 *	its part.  Values are always bound, never pasted into SQL.
 *
 *	Concurrency: every writer works inside store_begin, which admits one
 *	writing transaction at a time in either backend (SQLite's write lock,
 *	an advisory lock in PostgreSQL), so what is read inside a transaction
 *	stays true until it commits.  The claim of jobs is the exception the
 *	backends may make cheaper (skip_locked).
 * DIAGNOSTICS
 *	"store NAME: what: reason" through error_r.
 */
#include "autoconfig.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "store/store.h"
#include "store/store_int.h"

static void
store_bind_time(struct store *st, struct store_stmt *s, int i, time_t t)
{
	if (t == 0)
		db_bind_null(st, s, i);
	else
		db_bind_int64(st, s, i, t);
}

static char *
store_col_text(struct store *st, struct store_stmt *s, int i)
{
	const char *v = db_col_text(st, s, i);

	return v != NULL ? xstrdup(v) : NULL;
}

static time_t
store_col_time(struct store *st, struct store_stmt *s, int i)
{
	return (time_t)db_col_int64(st, s, i);
}

/* "No limit" for a LIMIT parameter, in both dialects (SQLite reads a
 * negative one as none, PostgreSQL refuses it). */
#define STORE_NO_LIMIT 9223372036854775807LL

static long long
store_limit(long long n)
{
	return n > 0 ? n : STORE_NO_LIMIT;
}

/*
 * The words of model/ as the store keeps them: the name of the value, NULL
 * for the NONE values.  A word this redress does not know (a store written
 * by a newer one, or by hand) is an error, not a guess.
 */
static int
store_unknown(struct store *st, const char *table, long long id, const char *column,
	      const char *word, char **error_r)
{
	st->temporary = false;
	*error_r = xasprintf("store %s: %s %lld: unknown %s \"%s\" (written by a newer "
			     "redress?)", st->name, table, id, column, word);
	return -1;
}

static int
col_case_state(struct store *st, struct store_stmt *s, int i, long long id,
	       enum case_state *v_r, char **error_r)
{
	const char *w = db_col_text(st, s, i);

	*v_r = CASE_NONE;
	if (w == NULL || case_state_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "state", w, error_r);
}

static int
col_verdict(struct store *st, struct store_stmt *s, int i, long long id,
	    enum verdict *v_r, char **error_r)
{
	const char *w = db_col_text(st, s, i);

	*v_r = VERDICT_NONE;
	if (w == NULL || verdict_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "traffic", w, error_r);
}

static int
col_priority(struct store *st, struct store_stmt *s, int i, long long id,
	     enum priority *v_r, char **error_r)
{
	const char *w = db_col_text(st, s, i);

	*v_r = PRIORITY_NONE;
	if (w == NULL || priority_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "priority", w, error_r);
}

static int
col_outcome(struct store *st, struct store_stmt *s, int i, long long id,
	    enum outcome *v_r, char **error_r)
{
	const char *w = db_col_text(st, s, i);

	*v_r = OUTCOME_NONE;
	if (w == NULL || outcome_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "outcome", w, error_r);
}

static int
col_job_kind(struct store *st, struct store_stmt *s, int i, long long id,
	     enum job_kind *v_r, char **error_r)
{
	const char *w = db_col_text(st, s, i);

	if (w != NULL && job_kind_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "job", id, "kind", w != NULL ? w : "(null)", error_r);
}

static int
col_job_state(struct store *st, struct store_stmt *s, int i, long long id,
	      enum job_state *v_r, char **error_r)
{
	const char *w = db_col_text(st, s, i);

	if (w != NULL && job_state_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "job", id, "state", w != NULL ? w : "(null)", error_r);
}

/* Runs a statement that returns no rows. */
static int
store_step_done(struct store *st, struct store_stmt *s, char **error_r, const char *what)
{
	int rc = db_step(st, s, error_r, what);

	db_done(st, s);
	return rc < 0 ? -1 : 0;
}

/*
 * Steps a statement that returns at most one row: 1 with the row ready to
 * read (the caller reads it, then calls store_done), 0 when there is none,
 * -1 on error (both already done with the statement).
 */
static int
store_step_row(struct store *st, struct store_stmt *s, char **error_r, const char *what)
{
	int rc = db_step(st, s, error_r, what);

	if (rc > 0)
		return 1;
	db_done(st, s);
	return rc;
}

/* Steps a "SELECT count(*)" and stores the count: 0, or -1. */
static int
store_step_count(struct store *st, struct store_stmt *s, long *n_r, char **error_r,
		 const char *what)
{
	int r = store_step_row(st, s, error_r, what);

	if (r <= 0)
		return r < 0 ? -1 : store_error(st, error_r, "%s: no count", what);
	*n_r = (long)db_col_int64(st, s, 0);
	db_done(st, s);
	return 0;
}
/* Steps an INSERT ... RETURNING id and stores the id (id_r may be NULL): 0, or -1. */
static int
store_step_id(struct store *st, struct store_stmt *s, long long *id_r, char **error_r,
	      const char *what)
{
	int r = store_step_row(st, s, error_r, what);
	long long id;

	if (r <= 0)
		return r < 0 ? -1 : store_error(st, error_r, "%s: no id", what);
	id = db_col_int64(st, s, 0);
	/* RETURNING rows are only final once the statement completes. */
	r = store_step_done(st, s, error_r, what);
	if (r == 0 && id_r != NULL)
		*id_r = id;
	return r;
}

/* Reads secret `name` of len bytes into *value_r: 1 if found, 0 if the
 * store has none, -1 on error. */
static int
store_secret_read(struct store *st, const char *name, size_t len,
		  unsigned char **value_r, char **error_r)
{
	static const char sel[] = "SELECT value FROM meta WHERE name = ?";
	struct store_stmt *s = db_prepare(st, sel, error_r);
	int rc;

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, name);
	rc = store_step_row(st, s, error_r, "read secret");
	if (rc > 0) {
		size_t have = 0;
		const void *blob = db_col_blob(st, s, 0, &have);

		if (have != len) {
			db_done(st, s);
			st->temporary = false;
			*error_r = xasprintf("store %s: secret %s has %zu bytes, not %zu",
					     st->name, name, have, len);
			return -1;
		}
		*value_r = xmalloc(len);
		memcpy(*value_r, blob, len);
		db_done(st, s);
	}
	return rc;
}

/* The secret is made by whichever process needs it first; processes that
 * race to make it (deliveries into a new store) all end up with the one
 * that was stored first. */
int
store_secret(struct store *st, const char *name, size_t len,
	     unsigned char **value_r, char **error_r)
{
	static const char ins[] = "INSERT INTO meta (name, value) VALUES (?, ?)"
		" ON CONFLICT DO NOTHING";
	unsigned char *v;
	struct store_stmt *s;
	int found = store_secret_read(st, name, len, value_r, error_r);

	if (found != 0)
		return found < 0 ? -1 : 0;
	v = xmalloc(len);
	if (gnutls_rnd(GNUTLS_RND_KEY, v, len) != 0) {
		free(v);
		st->temporary = false;
		*error_r = xstrdup("store: no random numbers for a new key");
		return -1;
	}
	s = db_prepare(st, ins, error_r);
	if (s == NULL) {
		free(v);
		return -1;
	}
	db_bind_text(st, s, 1, name);
	db_bind_blob(st, s, 2, v, len);
	found = store_step_done(st, s, error_r, "save secret");
	free(v);
	if (found < 0)
		return -1;
	found = store_secret_read(st, name, len, value_r, error_r);
	if (found == 0) {
		*error_r = xasprintf("store %s: secret %s vanished", st->name, name);
		return -1;
	}
	return found < 0 ? -1 : 0;
}

int
store_message_find(struct store *st, const char *fingerprint,
		   long long *msg_id_r, long long *case_id_r, char **error_r)
{
	static const char sql[] =
		"SELECT id, case_id FROM messages WHERE fingerprint = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, fingerprint);
	r = store_step_row(st, s, error_r, "find message");
	if (r > 0) {
		*msg_id_r = db_col_int64(st, s, 0);
		*case_id_r = db_col_int64(st, s, 1);
		db_done(st, s);
	}
	return r;
}

int
store_message_add(struct store *st, const struct store_message *m,
		  long long *id_r, char **error_r)
{
	static const char sql[] =
		"INSERT INTO messages (case_id, direction, message_id, fingerprint,"
		" source, envelope_from, envelope_to, received, from_addr, from_name,"
		" subject, text, held_reason, size, raw)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	if (m->case_id > 0)
		db_bind_int64(st, s, 1, m->case_id);
	db_bind_text(st, s, 2, m->direction != NULL ? m->direction : "in");
	db_bind_text(st, s, 3, m->message_id);
	db_bind_text(st, s, 4, m->fingerprint);
	db_bind_text(st, s, 5, m->source);
	db_bind_text(st, s, 6, m->envelope_from);
	db_bind_text(st, s, 7, m->envelope_to);
	db_bind_int64(st, s, 8, (long long)m->received);
	db_bind_text(st, s, 9, m->from_addr);
	db_bind_text(st, s, 10, m->from_name);
	db_bind_text(st, s, 11, m->subject);
	db_bind_text(st, s, 12, m->text);
	db_bind_text(st, s, 13, m->held_reason);
	db_bind_int64(st, s, 14, (long long)m->raw_len);
	db_bind_blob(st, s, 15, m->raw != NULL ? m->raw : "", m->raw_len);
	return store_step_id(st, s, id_r, error_r, "add message");
}

int
store_message_set_case(struct store *st, long long msg_id, long long case_id,
		       char **error_r)
{
	static const char sql[] = "UPDATE messages SET case_id = ? WHERE id = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, case_id);
	db_bind_int64(st, s, 2, msg_id);
	return store_step_done(st, s, error_r, "link message");
}

int
store_message_raw(struct store *st, long long msg_id, char **raw_r,
		  size_t *len_r, char **error_r)
{
	static const char sql[] = "SELECT raw FROM messages WHERE id = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, msg_id);
	r = store_step_row(st, s, error_r, "read message");
	if (r > 0) {
		size_t len = 0;
		const void *blob = db_col_blob(st, s, 0, &len);
		char *raw = xmalloc(len + 1);

		if (len > 0)
			memcpy(raw, blob, len);
		raw[len] = '\0';
		db_done(st, s);
		*raw_r = raw;
		*len_r = len;
	}
	return r;
}

int
store_case_messages(struct store *st, long long case_id,
		    struct store_message_info **msgs_r, size_t *n_r,
		    char **error_r)
{
	static const char sql[] =
		"SELECT id, direction, source, message_id, held_reason, received, size"
		" FROM messages WHERE case_id = ? ORDER BY id";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	struct store_message_info *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, case_id);
	while ((rc = db_step(st, s, error_r, "list messages")) > 0) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].id = db_col_int64(st, s, 0);
		v[n].direction = store_col_text(st, s, 1);
		v[n].source = store_col_text(st, s, 2);
		v[n].message_id = store_col_text(st, s, 3);
		v[n].held_reason = store_col_text(st, s, 4);
		v[n].received = store_col_time(st, s, 5);
		v[n].size = (size_t)db_col_int64(st, s, 6);
		n++;
	}
	db_done(st, s);
	if (rc < 0) {
		store_message_infos_free(&v, n);
		return -1;
	}
	*msgs_r = v;
	*n_r = n;
	return 0;
}

void
store_message_infos_free(struct store_message_info **msgs, size_t n)
{
	if (*msgs == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*msgs)[i].direction);
		free((*msgs)[i].source);
		free((*msgs)[i].message_id);
		free((*msgs)[i].held_reason);
	}
	free(*msgs);
	*msgs = NULL;
}

/* Column order shared by case reads and writes. */
#define STORE_CASE_COLS \
	"state, customer, customer_name, subject, created, updated, complaint," \
	" category, label, priority, tags, rules, rules_version," \
	" first_response_due, resolution_due, first_response_at, resolved_at," \
	" first_response_breached, resolution_breached, paused_at, paused_seconds," \
	" resolution_cause, held_reason, reply_note, last_active_state," \
	" customer_msgid, customer_refs, outcome, owner, merged_into, traffic, traffic_reasons"
#define STORE_CASE_NCOLS 32

static void
store_case_bind(struct store *st, struct store_stmt *s, const struct store_case *c)
{
	db_bind_text(st, s, 1, case_state_name(c->state));
	db_bind_text(st, s, 2, c->customer);
	db_bind_text(st, s, 3, c->customer_name);
	db_bind_text(st, s, 4, c->subject);
	db_bind_int64(st, s, 5, (long long)c->created);
	db_bind_int64(st, s, 6, (long long)(c->updated ? c->updated : c->created));
	db_bind_int64(st, s, 7, c->complaint);
	db_bind_text(st, s, 8, c->category);
	db_bind_text(st, s, 9, c->label);
	db_bind_text(st, s, 10, priority_name(c->priority));
	db_bind_text(st, s, 11, c->tags);
	db_bind_text(st, s, 12, c->rules);
	db_bind_text(st, s, 13, c->rules_version);
	store_bind_time(st, s, 14, c->first_response_due);
	store_bind_time(st, s, 15, c->resolution_due);
	store_bind_time(st, s, 16, c->first_response_at);
	store_bind_time(st, s, 17, c->resolved_at);
	db_bind_int64(st, s, 18, c->first_response_breached);
	db_bind_int64(st, s, 19, c->resolution_breached);
	store_bind_time(st, s, 20, c->paused_at);
	db_bind_int64(st, s, 21, c->paused_seconds);
	db_bind_text(st, s, 22, c->resolution_cause);
	db_bind_text(st, s, 23, c->held_reason);
	db_bind_text(st, s, 24, c->reply_note);
	db_bind_text(st, s, 25, case_state_name(c->last_active_state));
	db_bind_text(st, s, 26, c->customer_msgid);
	db_bind_text(st, s, 27, c->customer_refs);
	db_bind_text(st, s, 28, outcome_name(c->outcome));
	db_bind_text(st, s, 29, c->owner);
	if (c->merged_into > 0)
		db_bind_int64(st, s, 30, c->merged_into);
	else
		db_bind_null(st, s, 30);
	db_bind_text(st, s, 31, verdict_name(c->traffic));
	db_bind_text(st, s, 32, c->traffic_reasons);
}

/* Reads a case from columns starting at 0 (id) then STORE_CASE_COLS into
 * c: 0, or -1 with *error_r (a word this redress does not know; c is then
 * left as store_case_init makes it). */
static int
store_case_read(struct store *st, struct store_stmt *s, struct store_case *c, char **error_r)
{
	store_case_init(c);
	c->id = db_col_int64(st, s, 0);
	if (col_case_state(st, s, 1, c->id, &c->state, error_r) < 0 ||
	    col_priority(st, s, 10, c->id, &c->priority, error_r) < 0 ||
	    col_case_state(st, s, 25, c->id, &c->last_active_state, error_r) < 0 ||
	    col_outcome(st, s, 28, c->id, &c->outcome, error_r) < 0 ||
	    col_verdict(st, s, 31, c->id, &c->traffic, error_r) < 0) {
		store_case_init(c);
		return -1;
	}
	c->customer = store_col_text(st, s, 2);
	c->customer_name = store_col_text(st, s, 3);
	c->subject = store_col_text(st, s, 4);
	c->created = store_col_time(st, s, 5);
	c->updated = store_col_time(st, s, 6);
	c->complaint = (int)db_col_int64(st, s, 7) != 0;
	c->category = store_col_text(st, s, 8);
	c->label = store_col_text(st, s, 9);
	c->tags = store_col_text(st, s, 11);
	c->rules = store_col_text(st, s, 12);
	c->rules_version = store_col_text(st, s, 13);
	c->first_response_due = store_col_time(st, s, 14);
	c->resolution_due = store_col_time(st, s, 15);
	c->first_response_at = store_col_time(st, s, 16);
	c->resolved_at = store_col_time(st, s, 17);
	c->first_response_breached = (int)db_col_int64(st, s, 18) != 0;
	c->resolution_breached = (int)db_col_int64(st, s, 19) != 0;
	c->paused_at = store_col_time(st, s, 20);
	c->paused_seconds = (long)db_col_int64(st, s, 21);
	c->resolution_cause = store_col_text(st, s, 22);
	c->held_reason = store_col_text(st, s, 23);
	c->reply_note = store_col_text(st, s, 24);
	c->customer_msgid = store_col_text(st, s, 26);
	c->customer_refs = store_col_text(st, s, 27);
	c->owner = store_col_text(st, s, 29);
	c->merged_into = db_col_int64(st, s, 30);
	c->traffic_reasons = store_col_text(st, s, 32);
	return 0;
}

int
store_case_add(struct store *st, const struct store_case *c, long long *id_r,
	       char **error_r)
{
	static const char sql[] = "INSERT INTO cases (" STORE_CASE_COLS ") VALUES ("
		"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	store_case_bind(st, s, c);
	return store_step_id(st, s, id_r, error_r, "add case");
}

/*
 * An update rewrites the entry of every index whose columns it sets, even
 * to the same value: for the customer, created and owner columns that was
 * a page of the customer index per case moved (the customers are in no
 * order), a sixth of what a send's batch wrote.  So the update first sets
 * the other columns only, where those three are as they were (the usual
 * case: a case moves on), and sets them all when they were not.
 */
int
store_case_update(struct store *st, const struct store_case *c, char **error_r)
{
	static const char light[] = "UPDATE cases SET (state, customer_name, subject,"
		" updated, complaint, category, label, priority, tags, rules, rules_version,"
		" first_response_due, resolution_due, first_response_at, resolved_at,"
		" first_response_breached, resolution_breached, paused_at, paused_seconds,"
		" resolution_cause, held_reason, reply_note, last_active_state,"
		" customer_msgid, customer_refs, outcome, merged_into, traffic, traffic_reasons)"
		" = (?1,?3,?4,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
		"?23,?24,?25,?26,?27,?28,?30,?31,?32) WHERE id = ?33"
		" AND (customer = ?2 OR (customer IS NULL AND CAST(?2 AS TEXT) IS NULL))"
		" AND created = ?5"
		" AND (owner = ?29 OR (owner IS NULL AND CAST(?29 AS TEXT) IS NULL))";
	static const char sql[] = "UPDATE cases SET (" STORE_CASE_COLS ") = ("
		"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) WHERE id = ?";
	struct store_stmt *s = db_prepare(st, light, error_r);

	if (s == NULL)
		return -1;
	store_case_bind(st, s, c);
	db_bind_int64(st, s, STORE_CASE_NCOLS + 1, c->id);
	if (store_step_done(st, s, error_r, "update case") < 0)
		return -1;
	if (db_changes(st) > 0)
		return 0;
	if ((s = db_prepare(st, sql, error_r)) == NULL)
		return -1;
	store_case_bind(st, s, c);
	db_bind_int64(st, s, STORE_CASE_NCOLS + 1, c->id);
	return store_step_done(st, s, error_r, "update case");
}

int
store_case_get(struct store *st, long long id, struct store_case *c_r, char **error_r)
{
	static const char sql[] = "SELECT id, " STORE_CASE_COLS " FROM cases WHERE id = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	int r;

	store_case_init(c_r);
	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, id);
	r = store_step_row(st, s, error_r, "read case");
	if (r > 0) {
		r = store_case_read(st, s, c_r, error_r) < 0 ? -1 : 1;
		db_done(st, s);
	}
	return r;
}

/* The deadline a case's clock runs towards: store_case_due() in SQL. */
#define STORE_DUE_SQL \
	"(CASE WHEN state NOT IN ('new', 'acknowledged', 'responded', 'waiting') THEN NULL" \
	" WHEN first_response_at IS NULL AND first_response_due IS NOT NULL" \
	"  THEN first_response_due" \
	" WHEN resolved_at IS NULL AND state != 'waiting' THEN resolution_due END)"
#define STORE_LIST_SQL(search, order) "SELECT id, " STORE_CASE_COLS " FROM cases" \
	" WHERE (CAST(?1 AS TEXT) IS NULL OR state = ?1)" \
	" AND (CAST(?2 AS INTEGER) = 0 OR first_response_breached != 0 OR resolution_breached != 0)" \
	" AND (CAST(?3 AS TEXT) IS NULL OR customer = ?3)" \
	" AND created >= ?4" \
	" AND id > ?6" \
	" AND (CAST(?7 AS INTEGER) = 0 OR state IN ('new', 'acknowledged', 'responded', 'waiting'))" \
	" AND (CAST(?8 AS TEXT) IS NULL OR priority = ?8)" \
	" AND (CAST(?9 AS TEXT) IS NULL OR category = ?9)" \
	" AND (CAST(?10 AS TEXT) IS NULL OR instr(' ' || coalesce(tags, '') || ' ', ' ' || CAST(?10 AS TEXT) || ' ') > 0)" \
	" AND (CAST(?11 AS TEXT) IS NULL OR owner = ?11)" \
	" AND (CAST(?12 AS INTEGER) = 0 OR owner IS NULL)" \
	" AND (CAST(?13 AS BIGINT) = 0 OR created < ?13)" \
	" AND (CAST(?14 AS BIGINT) = 0 OR " STORE_DUE_SQL " <= ?14)" \
	search order " LIMIT ?5"
/* Oldest first walks the rowid: the tick pages through every open case
 * with it, and must not sort the whole table for each page. */
#define STORE_ORDER_ID " ORDER BY id"
#define STORE_ORDER_BY \
	" ORDER BY CASE CAST(?16 AS INTEGER) WHEN 1 THEN " STORE_DUE_SQL " IS NULL END," \
	" CASE CAST(?16 AS INTEGER) WHEN 1 THEN " STORE_DUE_SQL " WHEN 2 THEN created" \
	"  WHEN 3 THEN CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1" \
	"   WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END END, id"

/*
 * The four statements of store_case_list for a backend: plain or with its
 * search condition, by id or by ?16.  Made once per backend, and kept for
 * the process (the statement caches key on the text's address).
 */
static const char *
store_list_sql(const struct store_backend *be, bool search, bool by_id)
{
	static const char plain_id[] = STORE_LIST_SQL("", STORE_ORDER_ID);
	static const char plain_by[] = STORE_LIST_SQL("", STORE_ORDER_BY);
	static const char fmt_id[] = STORE_LIST_SQL("%s", STORE_ORDER_ID);
	static const char fmt_by[] = STORE_LIST_SQL("%s", STORE_ORDER_BY);
	static struct {
		const struct store_backend *be;
		char *sql[2];
	} made[4];
	size_t i;

	if (!search)
		return by_id ? plain_id : plain_by;
	for (i = 0; i < sizeof(made) / sizeof(made[0]) && made[i].be != NULL; i++)
		if (made[i].be == be)
			return made[i].sql[by_id];
	if (i == sizeof(made) / sizeof(made[0]))
		abort();   /* more backends than there are */
	made[i].be = be;
	made[i].sql[0] = xasprintf(fmt_by, be->search_sql);
	made[i].sql[1] = xasprintf(fmt_id, be->search_sql);
	return made[i].sql[by_id];
}

int
store_case_list(struct store *st, const struct store_case_filter *f,
		struct store_case **cases_r, size_t *n_r, char **error_r)
{
	struct store_case *v = NULL;
	size_t n = 0, cap = 0;
	char *query = NULL;
	struct store_stmt *s;
	int rc;

	*cases_r = NULL;
	*n_r = 0;
	if (f->search != NULL) {
		query = st->be->search_query(f->search);
		if (query == NULL)
			return 0;   /* no words: nothing matches */
	}
	s = db_prepare(st, store_list_sql(st->be, query != NULL, f->sort == STORE_SORT_ID),
		       error_r);
	if (s == NULL) {
		free(query);
		return -1;
	}
	db_bind_text(st, s, 1, f->by_state ? case_state_name(f->state) : NULL);
	db_bind_int64(st, s, 2, f->breached_only);
	db_bind_text(st, s, 3, f->customer);
	db_bind_int64(st, s, 4, (long long)f->since);
	db_bind_int64(st, s, 5, store_limit((long long)f->limit));
	db_bind_int64(st, s, 6, f->after_id);
	db_bind_int64(st, s, 7, f->open_only);
	db_bind_text(st, s, 8, f->by_priority ? priority_name(f->priority) : NULL);
	db_bind_text(st, s, 9, f->category);
	db_bind_text(st, s, 10, f->tag);
	db_bind_text(st, s, 11, f->owner);
	db_bind_int64(st, s, 12, f->unassigned);
	db_bind_int64(st, s, 13, (long long)f->until);
	db_bind_int64(st, s, 14, (long long)f->due_before);
	if (query != NULL)
		db_bind_text(st, s, 15, query);
	if (f->sort != STORE_SORT_ID)
		db_bind_int64(st, s, 16, (int)f->sort);
	while ((rc = db_step(st, s, error_r, "list cases")) > 0) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		if (store_case_read(st, s, &v[n], error_r) < 0) {
			db_done(st, s);
			free(query);
			store_cases_free(&v, n);
			return -1;
		}
		n++;
	}
	db_done(st, s);
	free(query);
	if (rc < 0) {
		store_cases_free(&v, n);
		return -1;
	}
	*cases_r = v;
	*n_r = n;
	return 0;
}

int
store_case_merge(struct store *st, long long into, long long from, const char *why,
		 long *n_msgs_r, long *n_jobs_r, char **error_r)
{
	static const char msgs[] = "UPDATE messages SET case_id = ?1 WHERE case_id = ?2";
	static const char evs[] = "UPDATE events SET case_id = ?1 WHERE case_id = ?2";
	static const char jobs[] = "UPDATE jobs SET state = 'suppressed', last_error = ?3"
		" WHERE case_id = ?2 AND state = 'queued'";
	const char *const sqls[] = { msgs, evs, jobs };
	long n[3] = { 0, 0, 0 };

	for (size_t i = 0; i < 3; i++) {
		struct store_stmt *s = db_prepare(st, sqls[i], error_r);

		if (s == NULL)
			return -1;
		db_bind_int64(st, s, 1, into);
		db_bind_int64(st, s, 2, from);
		if (i == 2)
			db_bind_text(st, s, 3, why);
		if (store_step_done(st, s, error_r, "merge cases") < 0)
			return -1;
		n[i] = db_changes(st);
	}
	if (n_msgs_r != NULL)
		*n_msgs_r = n[0];
	if (n_jobs_r != NULL)
		*n_jobs_r = n[2];
	return 0;
}

int
store_case_link(struct store *st, long long a, long long b, time_t at, const char *author,
		char **error_r)
{
	/* The ids typed: PostgreSQL cannot infer a type for parameters
	 * compared only with each other, and takes them as text. */
	static const char sql[] = "INSERT INTO case_links (a, b, at, author)"
		" VALUES (CASE WHEN CAST(?1 AS BIGINT) < CAST(?2 AS BIGINT)"
		" THEN CAST(?1 AS BIGINT) ELSE CAST(?2 AS BIGINT) END,"
		" CASE WHEN CAST(?1 AS BIGINT) < CAST(?2 AS BIGINT)"
		" THEN CAST(?2 AS BIGINT) ELSE CAST(?1 AS BIGINT) END, ?3, ?4)"
		" ON CONFLICT DO NOTHING";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, a);
	db_bind_int64(st, s, 2, b);
	db_bind_int64(st, s, 3, (long long)at);
	db_bind_text(st, s, 4, author);
	if (store_step_done(st, s, error_r, "link cases") < 0)
		return -1;
	return db_changes(st) > 0 ? 1 : 0;
}

int
store_case_links(struct store *st, long long id, long long **ids_r, size_t *n_r,
		 char **error_r)
{
	static const char sql[] = "SELECT b FROM case_links WHERE a = ?1"
		" UNION SELECT a FROM case_links WHERE b = ?1 ORDER BY 1";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	long long *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*ids_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, id);
	while ((rc = db_step(st, s, error_r, "list links")) > 0) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = db_col_int64(st, s, 0);
	}
	db_done(st, s);
	if (rc < 0) {
		free(v);
		return -1;
	}
	*ids_r = v;
	*n_r = n;
	return 0;
}

/* The counts below stop at `limit` (none if it is 0 or less): their
 * callers compare them with a small threshold, and one sender can have
 * thousands of rows (a web form that sends every complaint from one
 * address), which intake must not read for every message. */
int
store_case_count_customer(struct store *st, const char *customer, time_t since,
			  long long except_id, long limit, long *n_r, char **error_r)
{
	static const char sql[] = "SELECT count(*) FROM (SELECT 1 FROM cases"
		" WHERE customer = ? AND created >= ? AND id != ?"
		" AND state NOT IN ('held', 'merged', 'quarantined', 'informational')"
		" LIMIT ?) AS n";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, customer);
	db_bind_int64(st, s, 2, (long long)since);
	db_bind_int64(st, s, 3, except_id);
	db_bind_int64(st, s, 4, store_limit(limit));
	return store_step_count(st, s, n_r, error_r, "count cases");
}

void
store_case_init(struct store_case *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CASE_NONE;
	c->last_active_state = CASE_NONE;
	c->priority = PRIORITY_NONE;
	c->outcome = OUTCOME_NONE;
	c->traffic = VERDICT_NONE;
}

void
store_case_clear(struct store_case *c)
{
	free(c->customer);
	free(c->customer_name);
	free(c->subject);
	free(c->category);
	free(c->label);
	free(c->tags);
	free(c->rules);
	free(c->rules_version);
	free(c->resolution_cause);
	free(c->held_reason);
	free(c->reply_note);
	free(c->customer_msgid);
	free(c->customer_refs);
	free(c->traffic_reasons);
	free(c->owner);
	store_case_init(c);
}

void
store_cases_free(struct store_case **cases, size_t n)
{
	if (*cases == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_case_clear(&(*cases)[i]);
	free(*cases);
	*cases = NULL;
}

int
store_event_add(struct store *st, long long case_id, time_t at,
		const char *kind, const char *detail, char **error_r)
{
	return store_event_add_by(st, case_id, at, kind, detail, NULL, error_r);
}

int
store_event_add_by(struct store *st, long long case_id, time_t at, const char *kind,
		   const char *detail, const char *author, char **error_r)
{
	static const char sql[] =
		"INSERT INTO events (case_id, at, kind, detail, author) VALUES (?,?,?,?,?)";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, case_id);
	db_bind_int64(st, s, 2, (long long)at);
	db_bind_text(st, s, 3, kind);
	db_bind_text(st, s, 4, detail);
	db_bind_text(st, s, 5, author);
	return store_step_done(st, s, error_r, "add event");
}

int
store_case_events(struct store *st, long long case_id, struct store_event **ev_r,
		  size_t *n_r, char **error_r)
{
	static const char sql[] = "SELECT id, case_id, at, kind, detail, author FROM events"
		" WHERE case_id = ? ORDER BY id";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	struct store_event *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, case_id);
	while ((rc = db_step(st, s, error_r, "list events")) > 0) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].id = db_col_int64(st, s, 0);
		v[n].case_id = db_col_int64(st, s, 1);
		v[n].at = store_col_time(st, s, 2);
		v[n].kind = store_col_text(st, s, 3);
		v[n].detail = store_col_text(st, s, 4);
		v[n].author = store_col_text(st, s, 5);
		n++;
	}
	db_done(st, s);
	if (rc < 0) {
		store_events_free(&v, n);
		return -1;
	}
	*ev_r = v;
	*n_r = n;
	return 0;
}

int
store_cases_corrected(struct store *st, long long **ids_r, size_t *n_r, char **error_r)
{
	static const char sql[] = "SELECT DISTINCT case_id FROM events WHERE kind IN"
		" ('recategorize', 'complaint', 'spam', 'release') ORDER BY case_id";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	long long *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*ids_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return -1;
	while ((rc = db_step(st, s, error_r, "list corrected cases")) > 0) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = db_col_int64(st, s, 0);
	}
	db_done(st, s);
	if (rc < 0) {
		free(v);
		return -1;
	}
	*ids_r = v;
	*n_r = n;
	return 0;
}

void
store_events_free(struct store_event **ev, size_t n)
{
	if (*ev == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*ev)[i].kind);
		free((*ev)[i].detail);
		free((*ev)[i].author);
	}
	free(*ev);
	*ev = NULL;
}

#define STORE_JOB_COLS "id, case_id, kind, state, due, created, sent_at," \
	" attempts, last_error, rcpt, msgid, detail, first_try, unconfirmed"

/* Reads a job's columns (STORE_JOB_COLS) into j: 0, or -1 with *error_r
 * (a word this redress does not know; nothing is allocated then). */
static int
store_job_read(struct store *st, struct store_stmt *s, struct store_job *j, char **error_r)
{
	memset(j, 0, sizeof(*j));
	j->id = db_col_int64(st, s, 0);
	j->case_id = db_col_int64(st, s, 1);
	if (col_job_kind(st, s, 2, j->id, &j->kind, error_r) < 0 ||
	    col_job_state(st, s, 3, j->id, &j->state, error_r) < 0)
		return -1;
	j->due = store_col_time(st, s, 4);
	j->created = store_col_time(st, s, 5);
	j->sent_at = store_col_time(st, s, 6);
	j->attempts = (int)db_col_int64(st, s, 7);
	j->last_error = store_col_text(st, s, 8);
	j->rcpt = store_col_text(st, s, 9);
	j->msgid = store_col_text(st, s, 10);
	j->detail = store_col_text(st, s, 11);
	j->first_try = store_col_time(st, s, 12);
	j->unconfirmed = (int)db_col_int64(st, s, 13);
	return 0;
}

int
store_job_add(struct store *st, const struct store_job *j, long long *id_r,
	      char **error_r)
{
	static const char sql[] = "INSERT INTO jobs (case_id, kind, state, due,"
		" created, sent_at, attempts, last_error, rcpt, msgid, detail,"
		" first_try, unconfirmed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, j->case_id);
	db_bind_text(st, s, 2, job_kind_name(j->kind));
	db_bind_text(st, s, 3, job_state_name(j->state));
	db_bind_int64(st, s, 4, (long long)j->due);
	db_bind_int64(st, s, 5, (long long)j->created);
	store_bind_time(st, s, 6, j->sent_at);
	db_bind_int64(st, s, 7, j->attempts);
	db_bind_text(st, s, 8, j->last_error);
	db_bind_text(st, s, 9, j->rcpt);
	db_bind_text(st, s, 10, j->msgid);
	db_bind_text(st, s, 11, j->detail);
	store_bind_time(st, s, 12, j->first_try);
	db_bind_int64(st, s, 13, j->unconfirmed);
	return store_step_id(st, s, id_r, error_r, "add job");
}

int
store_job_update(struct store *st, const struct store_job *j, char **error_r)
{
	/* Leaving "sending" ends the claim: owner and lease go. */
	static const char sql[] = "UPDATE jobs SET state = ?1, due = ?2, sent_at = ?3,"
		" attempts = ?4, last_error = ?5, rcpt = ?6, msgid = ?7, detail = ?8,"
		" first_try = ?9, unconfirmed = ?10,"
		" owner = CASE WHEN ?1 = 'sending' THEN owner ELSE NULL END,"
		" lease = CASE WHEN ?1 = 'sending' THEN lease ELSE NULL END"
		" WHERE id = ?11";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, job_state_name(j->state));
	db_bind_int64(st, s, 2, (long long)j->due);
	store_bind_time(st, s, 3, j->sent_at);
	db_bind_int64(st, s, 4, j->attempts);
	db_bind_text(st, s, 5, j->last_error);
	db_bind_text(st, s, 6, j->rcpt);
	db_bind_text(st, s, 7, j->msgid);
	db_bind_text(st, s, 8, j->detail);
	store_bind_time(st, s, 9, j->first_try);
	db_bind_int64(st, s, 10, j->unconfirmed);
	db_bind_int64(st, s, 11, j->id);
	return store_step_done(st, s, error_r, "update job");
}

/* Reads every row of s (bound, not yet stepped) into a job array. */
static int
store_jobs_collect(struct store *st, struct store_stmt *s, struct store_job **jobs_r,
		   size_t *n_r, char **error_r)
{
	struct store_job *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = db_step(st, s, error_r, "list jobs")) > 0) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		if (store_job_read(st, s, &v[n], error_r) < 0) {
			db_done(st, s);
			store_jobs_free(&v, n);
			return -1;
		}
		n++;
	}
	db_done(st, s);
	if (rc < 0) {
		store_jobs_free(&v, n);
		return -1;
	}
	*jobs_r = v;
	*n_r = n;
	return 0;
}

int
store_jobs_list(struct store *st, long long case_id, struct store_job **jobs_r,
		size_t *n_r, char **error_r)
{
	/* Two statements: "?1 = 0 OR case_id = ?1" cannot use jobs_case and
	 * scans every job, which made each SLA tick O(cases x jobs). */
	static const char all[] = "SELECT " STORE_JOB_COLS " FROM jobs ORDER BY id";
	static const char one[] = "SELECT " STORE_JOB_COLS " FROM jobs"
		" WHERE case_id = ?1 ORDER BY id";
	struct store_stmt *s = db_prepare(st, case_id != 0 ? one : all, error_r);

	if (s == NULL)
		return -1;
	if (case_id != 0)
		db_bind_int64(st, s, 1, case_id);
	return store_jobs_collect(st, s, jobs_r, n_r, error_r);
}

int
store_jobs_due(struct store *st, time_t now, size_t limit, struct store_job **jobs_r,
	       size_t *n_r, char **error_r)
{
	/* The order of store_job_claim. */
	static const char sql[] = "SELECT " STORE_JOB_COLS " FROM jobs"
		" WHERE state = 'queued' AND due <= ? ORDER BY due, id LIMIT ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, (long long)now);
	db_bind_int64(st, s, 2, store_limit((long long)limit));
	return store_jobs_collect(st, s, jobs_r, n_r, error_r);
}

int
store_job_get(struct store *st, long long id, struct store_job *j_r,
	      char **error_r)
{
	static const char sql[] = "SELECT " STORE_JOB_COLS " FROM jobs WHERE id = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, id);
	r = store_step_row(st, s, error_r, "read job");
	if (r > 0) {
		r = store_job_read(st, s, j_r, error_r) < 0 ? -1 : 1;
		db_done(st, s);
	}
	return r;
}

int
store_job_claim(struct store *st, time_t now, const char *owner, time_t lease,
		struct store_job *j_r, char **error_r)
{
#define STORE_CLAIM_SQL(lock) "UPDATE jobs SET state = 'sending', owner = ?1," \
	" lease = ?3 WHERE id = (SELECT id FROM jobs WHERE state = 'queued'" \
	" AND due <= ?2 ORDER BY due, id LIMIT 1" lock ") RETURNING " STORE_JOB_COLS
	static const char plain[] = STORE_CLAIM_SQL("");
	static const char skip[] = STORE_CLAIM_SQL(" FOR UPDATE SKIP LOCKED");
	struct store_stmt *s = db_prepare(st, st->be->skip_locked ? skip : plain, error_r);
	int rc;

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, owner);
	db_bind_int64(st, s, 2, (long long)now);
	db_bind_int64(st, s, 3, (long long)lease);
	rc = db_step(st, s, error_r, "claim job");
	if (rc > 0) {
		if (store_job_read(st, s, j_r, error_r) < 0) {
			db_done(st, s);
			return -1;
		}
		/* RETURNING rows are only final once the statement completes. */
		while ((rc = db_step(st, s, error_r, "claim job")) > 0)
			;
		db_done(st, s);
		if (rc < 0) {
			store_job_clear(j_r);
			return -1;
		}
		return 1;
	}
	db_done(st, s);
	return rc;
}

/* The claim order (store_job_claim's ORDER BY due, id), for qsort. */
static int
store_job_claim_cmp(const void *a, const void *b)
{
	const struct store_job *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

int
store_jobs_claim(struct store *st, time_t now, const char *owner, time_t lease,
		 size_t max, struct store_job **jobs_r, size_t *n_r, char **error_r)
{
#define STORE_CLAIMS_SQL(lock) "UPDATE jobs SET state = 'sending', owner = ?1," \
	" lease = ?3 WHERE id IN (SELECT id FROM jobs WHERE state = 'queued'" \
	" AND due <= ?2 ORDER BY due, id LIMIT ?4" lock ") RETURNING " STORE_JOB_COLS
	static const char plain[] = STORE_CLAIMS_SQL("");
	static const char skip[] = STORE_CLAIMS_SQL(" FOR UPDATE SKIP LOCKED");
	struct store_stmt *s = db_prepare(st, st->be->skip_locked ? skip : plain, error_r);

	*jobs_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, owner);
	db_bind_int64(st, s, 2, now);
	db_bind_int64(st, s, 3, lease);
	db_bind_int64(st, s, 4, max > 0 ? (long long)max : 1);
	/* Every row is read to the end: RETURNING rows are final only once
	 * the statement completes. */
	if (store_jobs_collect(st, s, jobs_r, n_r, error_r) < 0)
		return -1;
	/* RETURNING gives the rows in no promised order. */
	if (*n_r > 1)
		qsort(*jobs_r, *n_r, sizeof(**jobs_r), store_job_claim_cmp);
	return 0;
}

int
store_jobs_renew(struct store *st, const char *owner, time_t lease, char **error_r)
{
	static const char sql[] = "UPDATE jobs SET lease = ? WHERE state = 'sending'"
		" AND owner = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, (long long)lease);
	db_bind_text(st, s, 2, owner);
	return store_step_done(st, s, error_r, "renew claims");
}


/*
 * Two passes: the owners of live-looking claims are read first and judged
 * here (a process of this host that is gone), because SQL cannot ask the
 * kernel; then every claim that is expired, ownerless, or of an owner so
 * judged is put back.  Another host's unexpired claim is never touched.
 */
int
store_jobs_release_stale(struct store *st, const char *self, time_t now,
			 long *n_r, char **error_r)
{
	static const char owners[] = "SELECT DISTINCT owner FROM jobs"
		" WHERE state = 'sending' AND lease >= ? AND owner IS NOT NULL";
	static const char sql[] = "UPDATE jobs SET state = 'queued', owner = NULL,"
		" lease = NULL WHERE state = 'sending' AND ((CAST(?2 AS TEXT) IS NULL AND"
		" (lease IS NULL OR lease < ?1 OR owner IS NULL)) OR owner = ?2)";
	struct store_stmt *s = db_prepare(st, owners, error_r);
	char **gone = NULL;
	size_t n_gone = 0, cap = 0;
	long n = 0;
	int rc, ret = -1;

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, (long long)now);
	while ((rc = db_step(st, s, error_r, "read claims")) > 0) {
		const char *o = db_col_text(st, s, 0);

		if (o != NULL && (strcmp(o, self) == 0 || store_owner_gone(o, self))) {
			gone = xgrow(gone, &cap, n_gone + 1, sizeof(*gone));
			gone[n_gone++] = xstrdup(o);
		}
	}
	db_done(st, s);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i <= n_gone; i++) {
		s = db_prepare(st, sql, error_r);
		if (s == NULL)
			goto out;
		db_bind_int64(st, s, 1, (long long)now);
		db_bind_text(st, s, 2, i < n_gone ? gone[i] : NULL);
		if (store_step_done(st, s, error_r, "release claims") < 0)
			goto out;
		n += db_changes(st);
	}
	if (n_r != NULL)
		*n_r = n;
	ret = 0;
out:
	for (size_t i = 0; i < n_gone; i++)
		free(gone[i]);
	free(gone);
	return ret;
}

int
store_acks_to(struct store *st, const char *rcpt, time_t since, long limit, long *n_r,
	      char **error_r)
{
	static const char sql[] = "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE rcpt = ?"
		" AND kind IN ('ack', 'ack-plain') AND state IN ('queued', 'sending', 'sent')"
		" AND created >= ? LIMIT ?) AS n";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, rcpt);
	db_bind_int64(st, s, 2, (long long)since);
	db_bind_int64(st, s, 3, store_limit(limit));
	return store_step_count(st, s, n_r, error_r, "count acks");
}

int
store_rate_add(struct store *st, enum job_kind kind, const char *key, const char *domain,
	       time_t at, long long case_id, char **error_r)
{
	static const char sql[] = "INSERT INTO rates (kind, key, domain, at, case_id)"
		" VALUES (?, ?, ?, ?, ?)";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, job_kind_name(kind));
	db_bind_text(st, s, 2, key);
	db_bind_text(st, s, 3, domain);
	db_bind_int64(st, s, 4, (long long)at);
	if (case_id > 0)
		db_bind_int64(st, s, 5, case_id);
	else
		db_bind_null(st, s, 5);
	return store_step_done(st, s, error_r, "record a rate");
}

int
store_rate_count(struct store *st, enum job_kind kind, const char *key, const char *domain,
		 time_t since, long limit, long *n_r, char **error_r)
{
	static const char by_key[] = "SELECT count(*) FROM (SELECT 1 FROM rates"
		" WHERE kind = ? AND key = ? AND at >= ? LIMIT ?) AS n";
	static const char by_domain[] = "SELECT count(*) FROM (SELECT 1 FROM rates"
		" WHERE kind = ? AND domain = ? AND at >= ? LIMIT ?) AS n";
	struct store_stmt *s = db_prepare(st, key != NULL ? by_key : by_domain, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, job_kind_name(kind));
	db_bind_text(st, s, 2, key != NULL ? key : domain);
	db_bind_int64(st, s, 3, (long long)since);
	db_bind_int64(st, s, 4, store_limit(limit));
	return store_step_count(st, s, n_r, error_r, "count rates");
}

int
store_jobs_reschedule(struct store *st, long long case_id, enum job_kind kind,
		      time_t due, long *n_r, char **error_r)
{
	static const char sql[] = "UPDATE jobs SET due = ? WHERE case_id = ?"
		" AND kind = ? AND state = 'queued'";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_int64(st, s, 1, (long long)due);
	db_bind_int64(st, s, 2, case_id);
	db_bind_text(st, s, 3, job_kind_name(kind));
	if (store_step_done(st, s, error_r, "reschedule jobs") < 0)
		return -1;
	if (n_r != NULL)
		*n_r = db_changes(st);
	return 0;
}

int
store_jobs_reroute_staff(struct store *st, long long case_id, const char *rcpt,
			 long *n_r, char **error_r)
{
	static const char sql[] = "UPDATE jobs SET rcpt = ? WHERE case_id = ?"
		" AND state = 'queued' AND kind IN ('escalation', 'warning')";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, rcpt);
	db_bind_int64(st, s, 2, case_id);
	if (store_step_done(st, s, error_r, "reroute jobs") < 0)
		return -1;
	if (n_r != NULL)
		*n_r = db_changes(st);
	return 0;
}

void
store_job_clear(struct store_job *j)
{
	free(j->last_error);
	free(j->rcpt);
	free(j->msgid);
	free(j->detail);
	memset(j, 0, sizeof(*j));
}

void
store_jobs_free(struct store_job **jobs, size_t n)
{
	if (*jobs == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_job_clear(&(*jobs)[i]);
	free(*jobs);
	*jobs = NULL;
}

int
store_imap_get(struct store *st, const char *mailbox, uint32_t *uidvalidity_r,
	       uint32_t *last_uid_r, char **error_r)
{
	static const char sql[] =
		"SELECT uidvalidity, last_uid FROM imap_state WHERE mailbox = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, mailbox);
	r = store_step_row(st, s, error_r, "read IMAP state");
	if (r > 0) {
		*uidvalidity_r = (uint32_t)db_col_int64(st, s, 0);
		*last_uid_r = (uint32_t)db_col_int64(st, s, 1);
		db_done(st, s);
	}
	return r;
}

int
store_imap_set(struct store *st, const char *mailbox, uint32_t uidvalidity,
	       uint32_t last_uid, char **error_r)
{
	static const char sql[] = "INSERT INTO imap_state (mailbox, uidvalidity,"
		" last_uid) VALUES (?,?,?) ON CONFLICT(mailbox) DO UPDATE SET"
		" uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, mailbox);
	db_bind_int64(st, s, 2, uidvalidity);
	db_bind_int64(st, s, 3, last_uid);
	return store_step_done(st, s, error_r, "save IMAP state");
}

int
store_lock(struct store *st, const char *name, const char *owner, time_t now,
	   long ttl, char **error_r)
{
	static const char sel[] = "SELECT owner FROM locks WHERE name = ?";
	/* ?5: a dead holder's name; the row is taken over only if it still
	 * names that holder, so two newcomers cannot both win. */
	static const char sql[] = "INSERT INTO locks (name, owner, taken)"
		" VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET owner = ?2,"
		" taken = ?3 WHERE locks.owner = ?2 OR locks.taken < CAST(?3 AS BIGINT) - CAST(?4 AS BIGINT)"
		" OR locks.owner = ?5";
	struct store_stmt *s = db_prepare(st, sel, error_r);
	char *dead = NULL;
	int rc;

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, name);
	rc = db_step(st, s, error_r, "read lock");
	if (rc > 0) {
		const char *holder = db_col_text(st, s, 0);

		if (holder != NULL && strcmp(holder, owner) != 0 &&
		    store_owner_gone(holder, owner))
			dead = xstrdup(holder);
	}
	db_done(st, s);
	if (rc < 0)
		return -1;
	s = db_prepare(st, sql, error_r);
	if (s == NULL) {
		free(dead);
		return -1;
	}
	db_bind_text(st, s, 1, name);
	db_bind_text(st, s, 2, owner);
	db_bind_int64(st, s, 3, (long long)now);
	db_bind_int64(st, s, 4, ttl);
	db_bind_text(st, s, 5, dead);
	rc = store_step_done(st, s, error_r, "take lock");
	free(dead);
	if (rc < 0)
		return -1;
	return db_changes(st) > 0 ? 1 : 0;
}

int
store_unlock(struct store *st, const char *name, const char *owner,
	     char **error_r)
{
	static const char sql[] = "DELETE FROM locks WHERE name = ? AND owner = ?";
	struct store_stmt *s = db_prepare(st, sql, error_r);

	if (s == NULL)
		return -1;
	db_bind_text(st, s, 1, name);
	db_bind_text(st, s, 2, owner);
	return store_step_done(st, s, error_r, "release lock");
}
