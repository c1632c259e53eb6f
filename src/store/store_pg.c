/*
 * NAME
 *	store_pg - the PostgreSQL backend of the store: one database that
 *	several redress nodes share
 * DESCRIPTION
 *	Chosen by [store] url = postgresql://... (any libpq URI).  See
 *	store.h for the interface and store_int.h for what a backend gives;
 *	the SQL itself is in store_sql.c, written with "?" parameters, which
 *	are numbered "$N" here once, when a statement is first prepared.
 *
 *	Statements are prepared on the server once per connection and kept;
 *	parameters go as text (integers) or binary (blobs), results come back
 *	binary: integers big-endian, a raw message as its bytes.
 *
 *	Writers: store_begin opens a transaction and takes one advisory lock
 *	for the whole database, so that writing transactions of every node run
 *	one at a time, as SQLite's do: what redress reads inside a transaction
 *	stays true until it commits, and no code above the store needs to
 *	know which database it has (doc/design.md, "Several nodes").  The
 *	claim of jobs also skips rows another transaction holds.
 *
 *	A lost connection is a temporary failure; the next statement outside
 *	a transaction, or the next store_begin, connects again (the daemon's
 *	next round, a filter's retry by the MTA).
 *
 *	The URL may hold a password: it is kept for reconnecting but never
 *	shown; messages name the database by user, host, port and name.
 * DIAGNOSTICS
 *	"store postgresql://USER@HOST:PORT/DB: what: reason" through error_r.
 */
#include "autoconfig.h"

#include <endian.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xmem.h"
#include "store/pq_dl.h"
#include "store/store.h"
#include "store/store_int.h"

#define PG_MAX_STMTS 64
#define PG_STR(x) #x
#define PG_XSTR(x) PG_STR(x)
#define PG_MAX_PARAMS 40
/* The advisory locks of redress: writers, and schema changes. */
#define PG_LOCK_WRITE "7265647265737301"
#define PG_LOCK_SCHEMA "7265647265737302"

struct pg_stmt {
	const char *sql;          /* static text: the cache key */
	char *text;               /* the SQL with $N parameters */
	char name[16];            /* its name on the server */
	unsigned prepared;        /* connection generation it was prepared on */
	int nparams;
	Oid types[PG_MAX_PARAMS]; /* 0: the server infers it; text for unused */
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS];
	int formats[PG_MAX_PARAMS];
	char ints[PG_MAX_PARAMS][24];
	char *owned[PG_MAX_PARAMS];  /* texts made valid UTF-8 (pg_bind_text) */
	PGresult *res;            /* NULL: not run yet */
	int row, nrows;
};

struct pg_store {
	struct store st;          /* first: a struct store * is one of these */
	PGconn *conn;
	char *url;                /* as configured, password and all: never shown */
	unsigned generation;      /* counts connections, from 1 */
	struct pg_stmt *stmts[PG_MAX_STMTS];
	size_t n_stmts;
	long changes;
	long busy_timeout_ms;     /* lock_timeout of every session */
	bool sync_off;            /* synchronous_commit = off (store_durable) */
};

#define PS(s) ((struct pg_stmt *)(void *)(s))

static const struct store_backend pg_backend;

static struct pg_store *
pg(struct store *st)
{
	return (struct pg_store *)st;
}

/*
 * Whether a failure may pass: the connection is gone (a restart, a
 * network, a fail-over), or the server said so by its SQLSTATE class.
 */
static bool
pg_temporary(PGconn *conn, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD || state == NULL)
		return true;
	return strncmp(state, "08", 2) == 0 ||     /* connection exception */
	       strncmp(state, "40", 2) == 0 ||     /* serialization, deadlock */
	       strncmp(state, "53", 2) == 0 ||     /* out of resources */
	       strncmp(state, "57P", 3) == 0 ||    /* shutdown, starting up */
	       strcmp(state, "55P03") == 0 ||      /* lock not available */
	       strcmp(state, "57014") == 0 ||      /* statement timeout */
	       strcmp(state, "25006") == 0;        /* a standby after fail-over */
}

/* The server's message, one line, without libpq's trailing newline. */
static char *
pg_message(PGconn *conn, const PGresult *res)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : "";
	size_t n;

	if (*m == '\0' && conn != NULL)
		m = PQerrorMessage(conn);
	if (*m == '\0')
		m = "no connection";
	n = strcspn(m, "\n");
	return xasprintf("%.*s", (int)n, m);
}

static int
pg_fail(struct pg_store *q, const PGresult *res, char **error_r, const char *what)
{
	char *m = pg_message(q->conn, res);

	q->st.temporary = pg_temporary(q->conn, res);
	*error_r = xasprintf("store %s: %s: %s", q->st.name, what, m);
	free(m);
	return -1;
}

/* Runs sql (no parameters, no rows wanted): 0, or -1. */
static int
pg_exec(struct pg_store *q, const char *sql, char **error_r, const char *what)
{
	PGresult *res = PQexec(q->conn, sql);
	ExecStatusType status = PQresultStatus(res);
	int r = 0;

	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		r = pg_fail(q, res, error_r, what);
	PQclear(res);
	return r;
}

/*
 * The settings of a session, on every connection (they die with it): a
 * writer waits for another's lock at most as long as SQLite's would, then
 * the failure is temporary (55P03); the server's notices are not printed
 * (libpq would write them to stderr); and the durability store_durable
 * chose.
 */
static int
pg_session(struct pg_store *q, char **error_r)
{
	char timeout[64];

	snprintf(timeout, sizeof(timeout), "SET lock_timeout = %ld", q->busy_timeout_ms);
	if (pg_exec(q, timeout, error_r, "lock timeout") < 0 ||
	    pg_exec(q, "SET client_min_messages = warning", error_r, "settings") < 0)
		return -1;
	if (q->sync_off && pg_exec(q, "SET synchronous_commit = off", error_r,
				   "durability") < 0)
		return -1;
	return 0;
}

/*
 * A connection that broke is made again when nothing depends on it (not
 * inside a transaction: that one is lost, and its writer fails).  The
 * statements prepared on the old one are prepared again as they are used.
 */
static int
pg_connected(struct pg_store *q, char **error_r)
{
	if (PQstatus(q->conn) == CONNECTION_OK)
		return 0;
	if (q->st.in_txn)
		return pg_fail(q, NULL, error_r, "connection lost in a transaction");
	PQreset(q->conn);
	if (PQstatus(q->conn) != CONNECTION_OK)
		return pg_fail(q, NULL, error_r, "connect");
	q->generation++;
	return pg_session(q, error_r);
}

/*
 * The SQL with "?" and "?N" numbered "$N", outside quoted text; which
 * numbers occur goes to used[] and the highest to *n_r.  NULL when a
 * number is out of range (a mistake in store_sql.c).
 */
static char *
pg_number(const char *sql, bool used[PG_MAX_PARAMS + 1], int *n_r)
{
	size_t len = strlen(sql);
	char *out = xmalloc(len * 2 + 1), *o = out;
	int next = 0, max = 0;
	char quote = 0;

	for (const char *p = sql; *p != '\0'; p++) {
		int n;

		if (quote != 0) {
			if (*p == quote)
				quote = 0;
			*o++ = *p;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p;
			continue;
		}
		if (*p != '?') {
			*o++ = *p;
			continue;
		}
		if (p[1] >= '0' && p[1] <= '9') {
			n = 0;
			while (p[1] >= '0' && p[1] <= '9' && n <= PG_MAX_PARAMS)
				n = n * 10 + (*++p - '0');
		} else {
			n = ++next;
		}
		if (n < 1 || n > PG_MAX_PARAMS) {
			free(out);
			return NULL;
		}
		used[n] = true;
		if (n > max)
			max = n;
		o += sprintf(o, "$%d", n);
	}
	*o = '\0';
	*n_r = max;
	return out;
}

static void
pg_stmt_reset(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	for (int i = 0; i < s->nparams; i++) {
		s->values[i] = NULL;
		s->lengths[i] = 0;
		s->formats[i] = 0;
		free(s->owned[i]);
		s->owned[i] = NULL;
	}
}

/*
 * A copy of v with each byte that is not part of well-formed UTF-8 as
 * U+FFFD.  Every text redress keeps is UTF-8 (base/utf8.h), but a few come
 * from outside as bytes (an envelope sender, a file name, an agent's
 * argument); a UTF-8 database refuses those with an error that is not
 * temporary, and a delivery filter would have its message bounced in the
 * end.  SQLite keeps such bytes as they are; here they become U+FFFD
 * rather than lose the message.
 */
static char *
pg_utf8(const char *v)
{
	size_t len = strlen(v), n = 0;
	char *out = xmalloc(len * 3 + 1);

	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq((const unsigned char *)v + i, len - i);

		if (k == 0) {
			n += utf8_put(out + n, 0xFFFD);
			i++;
		} else {
			memcpy(out + n, v + i, k);
			n += k;
			i += k;
		}
	}
	out[n] = '\0';
	return out;
}

static struct store_stmt *
pg_prepare(struct store *st, const char *sql, char **error_r)
{
	struct pg_store *q = pg(st);
	bool used[PG_MAX_PARAMS + 1] = { false };
	struct pg_stmt *s;

	for (size_t i = 0; i < q->n_stmts; i++) {
		if (q->stmts[i]->sql == sql) {
			pg_stmt_reset(q->stmts[i]);
			return (struct store_stmt *)(void *)q->stmts[i];
		}
	}
	if (q->n_stmts == PG_MAX_STMTS) {
		store_error(st, error_r, "more than %d statements", PG_MAX_STMTS);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->sql = sql;
	s->text = pg_number(sql, used, &s->nparams);
	if (s->text == NULL) {
		free(s);
		store_error(st, error_r, "a statement with a parameter out of range");
		return NULL;
	}
	for (int i = 0; i < s->nparams; i++)
		s->types[i] = used[i + 1] ? 0 : 25;   /* 25: text, for a number not used */
	snprintf(s->name, sizeof(s->name), "r%zu", q->n_stmts);
	pg_stmt_reset(s);
	q->stmts[q->n_stmts++] = s;
	return (struct store_stmt *)(void *)s;
}

static void
pg_done(struct store *st, struct store_stmt *s)
{
	(void)st;
	pg_stmt_reset(PS(s));
}

static void
pg_bind_null(struct store_stmt *s, int i)
{
	if (i >= 1 && i <= PS(s)->nparams)
		PS(s)->values[i - 1] = NULL;
}

static void
pg_bind_int64(struct store_stmt *s, int i, long long v)
{
	struct pg_stmt *p = PS(s);

	if (i < 1 || i > p->nparams)
		return;
	snprintf(p->ints[i - 1], sizeof(p->ints[i - 1]), "%lld", v);
	p->values[i - 1] = p->ints[i - 1];
	p->formats[i - 1] = 0;
}

static void
pg_bind_text(struct store_stmt *s, int i, const char *v)
{
	struct pg_stmt *p = PS(s);

	if (i < 1 || i > p->nparams)
		return;
	free(p->owned[i - 1]);
	p->owned[i - 1] = NULL;
	if (v != NULL && !utf8_valid(v, strlen(v)))
		v = p->owned[i - 1] = pg_utf8(v);
	p->values[i - 1] = v;
	p->formats[i - 1] = 0;
}

static void
pg_bind_blob(struct store_stmt *s, int i, const void *v, size_t len)
{
	struct pg_stmt *p = PS(s);

	if (i < 1 || i > p->nparams || len > INT32_MAX)
		return;
	p->values[i - 1] = v;
	p->lengths[i - 1] = (int)len;
	p->formats[i - 1] = 1;
}

/* Prepares s on the server, if this connection has not yet. */
static int
pg_server_prepare(struct pg_store *q, struct pg_stmt *s, char **error_r, const char *what)
{
	PGresult *res;
	int r = 0;

	if (s->prepared == q->generation)
		return 0;
	res = PQprepare(q->conn, s->name, s->text, s->nparams, s->types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = pg_fail(q, res, error_r, what);
	else
		s->prepared = q->generation;
	PQclear(res);
	return r;
}

static int
pg_step(struct store *st, struct store_stmt *ss, char **error_r, const char *what)
{
	struct pg_store *q = pg(st);
	struct pg_stmt *s = PS(ss);

	if (s->res == NULL) {
		ExecStatusType status;

		if (pg_connected(q, error_r) < 0 || pg_server_prepare(q, s, error_r, what) < 0)
			return -1;
		s->res = PQexecPrepared(q->conn, s->name, s->nparams, s->values, s->lengths,
					s->formats, 1);
		status = PQresultStatus(s->res);
		if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
			pg_fail(q, s->res, error_r, what);
			PQclear(s->res);
			s->res = NULL;
			return -1;
		}
		s->nrows = PQntuples(s->res);
		q->changes = strtol(PQcmdTuples(s->res), NULL, 10);
		s->row = -1;
	}
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows ? 1 : 0;
}

static long long
pg_col_int64(struct store_stmt *ss, int i)
{
	struct pg_stmt *s = PS(ss);
	const unsigned char *v;
	uint64_t u = 0;
	int len;

	if (s->res == NULL || s->row >= s->nrows || PQgetisnull(s->res, s->row, i))
		return 0;
	v = (const unsigned char *)PQgetvalue(s->res, s->row, i);
	len = PQgetlength(s->res, s->row, i);
	if (len != 2 && len != 4 && len != 8)
		return 0;
	for (int k = 0; k < len; k++)
		u = u << 8 | v[k];
	/* Sign-extend a 2- or 4-byte integer. */
	if (len < 8 && (v[0] & 0x80) != 0)
		u |= ~(uint64_t)0 << (len * 8);
	return (long long)u;
}

static const char *
pg_col_text(struct store_stmt *ss, int i)
{
	struct pg_stmt *s = PS(ss);

	if (s->res == NULL || s->row >= s->nrows || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);   /* binary text: its bytes, NUL-ended */
}

static const void *
pg_col_blob(struct store_stmt *ss, int i, size_t *len_r)
{
	struct pg_stmt *s = PS(ss);

	*len_r = 0;
	if (s->res == NULL || s->row >= s->nrows || PQgetisnull(s->res, s->row, i))
		return NULL;
	*len_r = (size_t)PQgetlength(s->res, s->row, i);
	return PQgetvalue(s->res, s->row, i);
}

static int
pg_col_count(struct store_stmt *ss)
{
	struct pg_stmt *s = PS(ss);

	return s->res != NULL ? PQnfields(s->res) : 0;
}

static const char *
pg_col_name(struct store_stmt *ss, int i)
{
	return PQfname(PS(ss)->res, i);
}

/* By type OID (pg_type.h, which libpq-dev does not ship). */
static enum store_value
pg_col_type(struct store_stmt *ss, int i)
{
	struct pg_stmt *s = PS(ss);

	if (s->res == NULL || s->row >= s->nrows || PQgetisnull(s->res, s->row, i))
		return STORE_NULL;
	switch (PQftype(s->res, i)) {
	case 20:   /* int8 */
	case 21:   /* int2 */
	case 23:   /* int4 */
		return STORE_INT;
	case 17:   /* bytea */
		return STORE_BLOB;
	default:
		return STORE_TEXT;
	}
}

/* The sequence of a table's id follows the highest id in it. */
static int
pg_ids_follow(struct store *st, const char *table, char **error_r)
{
	struct pg_store *q = pg(st);
	char *ident, *sql;
	int r;

	if (pg_connected(q, error_r) < 0)
		return -1;
	ident = PQescapeIdentifier(q->conn, table, strlen(table));
	if (ident == NULL)
		return pg_fail(q, NULL, error_r, "quote a table name");
	sql = xasprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'),"
			" coalesce((SELECT max(id) FROM %s), 0) + 1, false)", table, ident);
	PQfreemem(ident);
	r = pg_exec(q, sql, error_r, "set the next id");
	free(sql);
	return r;
}

static long
pg_changes(struct store *st)
{
	return pg(st)->changes;
}

/* One round trip: the transaction, and the writers' lock in it. */
static int
pg_begin(struct store *st, char **error_r)
{
	struct pg_store *q = pg(st);

	if (pg_connected(q, error_r) < 0 ||
	    pg_exec(q, "BEGIN; SELECT pg_advisory_xact_lock(x'" PG_LOCK_WRITE "'::bigint)",
		    error_r, "begin") < 0) {
		if (PQtransactionStatus(q->conn) == PQTRANS_INERROR ||
		    PQtransactionStatus(q->conn) == PQTRANS_INTRANS)
			(void)PQclear(PQexec(q->conn, "ROLLBACK"));
		return -1;
	}
	st->in_txn = true;
	return 0;
}

static void
pg_rollback(struct store *st)
{
	struct pg_store *q = pg(st);
	PGTransactionStatusType ts = PQtransactionStatus(q->conn);

	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(q->conn, "ROLLBACK"));
	st->in_txn = false;
}

static int
pg_commit(struct store *st, char **error_r)
{
	struct pg_store *q = pg(st);

	if (pg_exec(q, "COMMIT", error_r, "commit") < 0) {
		pg_rollback(st);
		return -1;
	}
	st->in_txn = false;
	return 0;
}

/* Not full: commits return before the server has flushed them (what
 * SQLite's synchronous=NORMAL is to a power loss, here a crash of the
 * database server). */
static int
pg_durable(struct store *st, bool full, char **error_r)
{
	struct pg_store *q = pg(st);

	if (q->sync_off == !full)
		return 0;
	if (pg_connected(q, error_r) < 0 ||
	    pg_exec(q, full ? "SET synchronous_commit = on" : "SET synchronous_commit = off",
		    error_r, "durability") < 0)
		return -1;
	q->sync_off = !full;
	return 0;
}

/* A commit that waits for its flush waits for every commit before it. */
static int
pg_sync(struct store *st, char **error_r)
{
	struct pg_store *q = pg(st);

	if (!q->sync_off)
		return 0;
	if (pg_connected(q, error_r) < 0)
		return -1;
	if (pg_exec(q, "BEGIN; SET LOCAL synchronous_commit = on;"
		    " SELECT pg_current_xact_id(); COMMIT", error_r, "sync") < 0) {
		pg_rollback(st);
		return -1;
	}
	return 0;
}

static void
pg_close(struct store *st)
{
	struct pg_store *q = pg(st);

	for (size_t i = 0; i < q->n_stmts; i++) {
		pg_stmt_reset(q->stmts[i]);
		free(q->stmts[i]->text);
		free(q->stmts[i]);
	}
	if (q->conn != NULL)
		PQfinish(q->conn);
	if (q->url != NULL)
		explicit_bzero(q->url, strlen(q->url));
	free(q->url);
	free(q->st.name);
	free(q);
}

/*
 * The words of a text, for "case list --search": split at spaces and
 * punctuation, as SQLite's unicode61 tokenizer splits (PostgreSQL's own
 * parser keeps an address or a URL as one token, so "lopez" would not find
 * maria.lopez@example.net).  The index and the query say it alike.
 */
#define PG_SPLIT(text) "regexp_replace(" text ", '[[:space:][:punct:]]+', ' ', 'g')"
#define PG_MESSAGE_WORDS "to_tsvector('simple', " \
	PG_SPLIT("coalesce(subject, '') || ' ' || coalesce(text, '')") ")"

/* Words for plainto_tsquery: all of them must occur; NULL when none. */
static char *
pg_search_query(const char *text)
{
	if (text[strspn(text, " \t\r\n")] == '\0')
		return NULL;
	return xstrdup(text);
}

/*
 * The schema, STORE_SCHEMA_VERSION (the SQLite backend's, made at once: PostgreSQL
 * stores start at it).  Integers are bigint, booleans integers, as the
 * shared SQL reads them; instr() is what SQLite calls strpos().
 */
static const char pg_schema[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"CREATE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE"
	"  AS 'SELECT strpos($1, $2)';"
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value BYTEA NOT NULL);"
	"CREATE TABLE cases ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  customer TEXT, customer_name TEXT, subject TEXT,"
	"  created BIGINT NOT NULL, updated BIGINT NOT NULL,"
	"  complaint BIGINT NOT NULL DEFAULT 1,"
	"  category TEXT, label TEXT, priority TEXT, tags TEXT, rules TEXT,"
	"  rules_version TEXT,"
	"  first_response_due BIGINT, resolution_due BIGINT,"
	"  first_response_at BIGINT, resolved_at BIGINT,"
	"  first_response_breached BIGINT NOT NULL DEFAULT 0,"
	"  resolution_breached BIGINT NOT NULL DEFAULT 0,"
	"  paused_at BIGINT, paused_seconds BIGINT NOT NULL DEFAULT 0,"
	"  resolution_cause TEXT, held_reason TEXT, reply_note TEXT,"
	"  last_active_state TEXT, customer_msgid TEXT, customer_refs TEXT,"
	"  outcome TEXT, owner TEXT, merged_into BIGINT,"
	"  traffic TEXT, traffic_reasons TEXT);"
	"CREATE INDEX cases_customer ON cases(customer, created);"
	"CREATE INDEX cases_state ON cases(state);"
	"CREATE INDEX cases_owner ON cases(owner);"
	"CREATE TABLE messages ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  case_id BIGINT REFERENCES cases(id),"
	"  direction TEXT NOT NULL,"
	"  message_id TEXT,"
	"  fingerprint TEXT NOT NULL UNIQUE,"
	"  source TEXT, envelope_from TEXT, envelope_to TEXT,"
	"  received BIGINT NOT NULL,"
	"  from_addr TEXT, from_name TEXT, subject TEXT, text TEXT,"
	"  held_reason TEXT,"
	"  size BIGINT NOT NULL,"
	"  raw BYTEA NOT NULL);"
	"CREATE INDEX messages_case ON messages(case_id);"
	"CREATE INDEX messages_msgid ON messages(message_id);"
	/* "case list --search": what people wrote, as the SQLite FTS5
	 * index holds it (store_sqlite.c, schema 8). */
	"CREATE INDEX messages_words ON messages USING gin (" PG_MESSAGE_WORDS ")"
	"  WHERE direction = 'in' OR source LIKE 'agent:%';"
	"CREATE TABLE events ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  case_id BIGINT NOT NULL REFERENCES cases(id),"
	"  at BIGINT NOT NULL, kind TEXT NOT NULL, detail TEXT, author TEXT);"
	"CREATE INDEX events_case ON events(case_id);"
	"CREATE TABLE jobs ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  case_id BIGINT NOT NULL REFERENCES cases(id),"
	"  kind TEXT NOT NULL, state TEXT NOT NULL,"
	"  due BIGINT NOT NULL, created BIGINT NOT NULL, sent_at BIGINT,"
	"  attempts BIGINT NOT NULL DEFAULT 0, last_error TEXT,"
	"  rcpt TEXT, msgid TEXT, detail TEXT, owner TEXT,"
	"  first_try BIGINT, unconfirmed BIGINT NOT NULL DEFAULT 0, lease BIGINT);"
	"CREATE INDEX jobs_due ON jobs(state, due);"
	"CREATE INDEX jobs_case ON jobs(case_id);"
	"CREATE INDEX jobs_rcpt ON jobs(rcpt, kind, state, created);"
	"CREATE TABLE imap_state (mailbox TEXT PRIMARY KEY,"
	"  uidvalidity BIGINT NOT NULL, last_uid BIGINT NOT NULL);"
	"CREATE TABLE locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL,"
	"  taken BIGINT NOT NULL);"
	"CREATE TABLE rates (kind TEXT NOT NULL, key TEXT NOT NULL,"
	"  domain TEXT NOT NULL, at BIGINT NOT NULL, case_id BIGINT);"
	"CREATE INDEX rates_key ON rates(kind, key, at);"
	"CREATE INDEX rates_domain ON rates(kind, domain, at);"
	"CREATE TABLE case_links (a BIGINT NOT NULL REFERENCES cases(id),"
	"  b BIGINT NOT NULL REFERENCES cases(id), at BIGINT NOT NULL, author TEXT,"
	"  PRIMARY KEY (a, b));"
	"CREATE INDEX case_links_b ON case_links(b);"
	"INSERT INTO schema_version VALUES (" PG_XSTR(STORE_SCHEMA_VERSION) ");";

/* The schema version of the database: 0 for none (an empty database). */
static int
pg_version(struct pg_store *q, int *version_r, char **error_r)
{
	PGresult *res = PQexec(q->conn, "SELECT to_regclass('schema_version') IS NOT NULL");
	int r = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		r = pg_fail(q, res, error_r, "schema version");
	} else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		*version_r = 0;
	} else {
		PQclear(res);
		res = PQexec(q->conn, "SELECT max(version) FROM schema_version");
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
			r = pg_fail(q, res, error_r, "schema version");
		else
			*version_r = atoi(PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return r;
}

/*
 * Makes the schema in an empty database, once whichever node comes first
 * (the others wait on the lock, then find it made), and refuses a newer
 * one.
 */
static int
pg_migrate(struct pg_store *q, char **error_r)
{
	int version = 0, r = -1;

	/* The common case, a store made long ago, takes no lock. */
	if (pg_version(q, &version, error_r) < 0)
		return -1;
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	if (pg_exec(q, "SELECT pg_advisory_lock(x'" PG_LOCK_SCHEMA "'::bigint)", error_r,
		    "lock the schema") < 0)
		return -1;
	if (pg_version(q, &version, error_r) < 0)
		goto out;
	if (version > STORE_SCHEMA_VERSION) {
		store_error(&q->st, error_r, "schema version %d is newer than this redress "
			    "knows (%d); upgrade redress", version, STORE_SCHEMA_VERSION);
		goto out;
	}
	if (version == 0) {
		if (pg_exec(q, "BEGIN", error_r, "begin") < 0)
			goto out;
		if (pg_exec(q, pg_schema, error_r, "make the schema") < 0 ||
		    pg_exec(q, "COMMIT", error_r, "commit") < 0) {
			PQclear(PQexec(q->conn, "ROLLBACK"));
			goto out;
		}
	}
	r = 0;
out:
	PQclear(PQexec(q->conn, "SELECT pg_advisory_unlock(x'" PG_LOCK_SCHEMA "'::bigint)"));
	return r;
}

/* The database as messages name it: the URL without its password. */
static char *
pg_name(const char *url)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	const char *user = NULL, *host = NULL, *port = NULL, *db = NULL;
	char *name;

	if (opts == NULL)
		return xstrdup("postgresql://(a URL libpq cannot parse)");
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "user") == 0)
			user = o->val;
		else if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	name = xasprintf("postgresql://%s%s%s%s%s/%s", user != NULL ? user : "",
			 user != NULL ? "@" : "", host != NULL ? host : "",
			 port != NULL ? ":" : "", port != NULL ? port : "",
			 db != NULL ? db : "");
	PQconninfoFree(opts);
	return name;
}

/*
 * Why libpq cannot parse a URL, without what it quotes of it: its reasons
 * end in ': "TEXT"', and TEXT is the whole URL, password and all ("end
 * of string reached when looking for matching "]" in IPv6 host address in
 * URI: "postgresql://u:PASSWORD@[::1/db"), or a query parameter or
 * percent-encoded token that may be the password.  The reason is cut
 * there (at the first ': "', which libpq's fixed text never has before
 * it), and at its first line.  err is changed in place.
 */
static const char *
pg_parse_reason(char *err)
{
	char *cut;

	if (err == NULL)
		return "out of memory";
	err[strcspn(err, "\n")] = '\0';
	cut = strstr(err, ": \"");
	if (cut != NULL)
		*cut = '\0';
	return *err != '\0' ? err : "cannot parse it";
}

int
store_pg_open(const char *url, const struct store_options *opt, struct store **st_r,
	      char **error_r)
{
	/* Defaults the URL may override (it comes last): a connect that
	 * cannot hang for the kernel's TCP timeout, and a name in
	 * pg_stat_activity. */
	const char *const keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *values[] = { "10", "redress", url, NULL };
	struct pg_store *q = xcalloc(1, sizeof(*q));
	PQconninfoOption *parsed;
	char *err = NULL;

	q->st.be = &pg_backend;
	*st_r = &q->st;  /* also on failure, for store_temporary */
	q->st.name = pg_name(url);
	q->url = xstrdup(url);
	parsed = PQconninfoParse(url, &err);
	if (parsed == NULL) {
		if (err != NULL)
			store_error(&q->st, error_r, "not a PostgreSQL URL: %s", pg_parse_reason(err));
		else
			store_error(&q->st, error_r, "cannot load libpq (Debian package libpq5): %s",
				    pq_dl_error());
		PQfreemem(err);
		return -1;
	}
	PQconninfoFree(parsed);
	q->conn = PQconnectdbParams(keys, values, 1);
	q->generation = 1;
	q->busy_timeout_ms = opt->busy_timeout_ms;
	if (q->conn == NULL) {
		store_error(&q->st, error_r, "cannot load libpq (Debian package libpq5): %s",
			    pq_dl_error());
		return -1;
	}
	if (PQstatus(q->conn) != CONNECTION_OK)
		return pg_fail(q, NULL, error_r, "connect");
	if (pg_session(q, error_r) < 0 || pg_migrate(q, error_r) < 0)
		return -1;
	return 0;
}

static const struct store_backend pg_backend = {
	.name = "postgresql",
	.prepare = pg_prepare,
	.done = pg_done,
	.bind_null = pg_bind_null,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.step = pg_step,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_count = pg_col_count,
	.col_name = pg_col_name,
	.col_type = pg_col_type,
	.ids_follow = pg_ids_follow,
	.changes = pg_changes,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.durable = pg_durable,
	.sync = pg_sync,
	.close = pg_close,
	.skip_locked = true,
	.search_sql = " AND id IN (SELECT case_id FROM messages"
		" WHERE (direction = 'in' OR source LIKE 'agent:%')"
		" AND " PG_MESSAGE_WORDS
		" @@ plainto_tsquery('simple', " PG_SPLIT("CAST(?15 AS TEXT)") "))",
	.search_query = pg_search_query,
};
