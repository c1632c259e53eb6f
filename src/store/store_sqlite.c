/*
 * NAME
 *	store_sqlite - the SQLite backend of the store: messages, cases,
 *	events, jobs, rates, IMAP state, locks
 * DESCRIPTION
 *	See store.h for the interface; store.c holds what any backend shares.  The schema carries a version in
 *	PRAGMA user_version; store_open creates it or migrates older versions
 *	forward one step at a time, inside a transaction.
 *
 *	Durability: WAL with synchronous=FULL, so a committed intake survives
 *	power loss.  A busy timeout lets concurrent filters wait for each
 *	other; SQLITE_BUSY after it is reported as temporary.
 *
 *	Every statement is prepared once per connection and kept; values are
 *	always bound, never pasted into SQL.
 * DIAGNOSTICS
 *	"store: PATH: reason" style messages through error_r.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libgen.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xmem.h"
#include "store/store.h"
#include "store/store_int.h"

#define STORE_SCHEMA_VERSION 10
#define STORE_MAX_STMTS 64

struct store_stmt {
	const char *sql;          /* static text: the cache key */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	char *path;
	bool temporary;           /* last failure was temporary */
	bool in_txn;
	struct store_stmt stmts[STORE_MAX_STMTS];
	size_t n_stmts;
};

static const char *const store_migrations[STORE_SCHEMA_VERSION] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);"
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  customer TEXT, customer_name TEXT, subject TEXT,"
	"  created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	"  complaint INTEGER NOT NULL DEFAULT 1,"
	"  category TEXT, label TEXT, priority TEXT, tags TEXT, rules TEXT,"
	"  rules_version TEXT,"
	"  first_response_due INTEGER, resolution_due INTEGER,"
	"  first_response_at INTEGER, resolved_at INTEGER,"
	"  first_response_breached INTEGER NOT NULL DEFAULT 0,"
	"  resolution_breached INTEGER NOT NULL DEFAULT 0,"
	"  paused_at INTEGER, paused_seconds INTEGER NOT NULL DEFAULT 0,"
	"  resolution_cause TEXT, held_reason TEXT, reply_note TEXT,"
	"  last_active_state TEXT, customer_msgid TEXT, customer_refs TEXT);"
	"CREATE INDEX cases_customer ON cases(customer, created);"
	"CREATE INDEX cases_state ON cases(state);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES cases(id),"
	"  direction TEXT NOT NULL,"
	"  message_id TEXT,"
	"  fingerprint TEXT NOT NULL UNIQUE,"
	"  source TEXT, envelope_from TEXT, envelope_to TEXT,"
	"  received INTEGER NOT NULL,"
	"  from_addr TEXT, from_name TEXT, subject TEXT, text TEXT,"
	"  held_reason TEXT,"
	"  size INTEGER NOT NULL,"
	"  raw BLOB NOT NULL);"
	"CREATE INDEX messages_case ON messages(case_id);"
	"CREATE INDEX messages_msgid ON messages(message_id);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT);"
	"CREATE INDEX events_case ON events(case_id);"
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  kind TEXT NOT NULL, state TEXT NOT NULL,"
	"  due INTEGER NOT NULL, created INTEGER NOT NULL, sent_at INTEGER,"
	"  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
	"  rcpt TEXT, msgid TEXT, detail TEXT, owner TEXT);"
	"CREATE INDEX jobs_due ON jobs(state, due);"
	"CREATE INDEX jobs_case ON jobs(case_id);"
	"CREATE INDEX jobs_rcpt ON jobs(rcpt, kind, created);"
	"CREATE TABLE imap_state (mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL, last_uid INTEGER NOT NULL);"
	"CREATE TABLE locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL,"
	"  taken INTEGER NOT NULL);",
	/* 1 -> 2: the rate limit's count of acks to an address is answered
	 * from the index: suppressed acks (every one of them, for a sender
	 * that mails us all day) no longer cost a table lookup each. */
	"DROP INDEX jobs_rcpt;"
	"CREATE INDEX jobs_rcpt ON jobs(rcpt, kind, state, created);",
	/* 2 -> 3: what one sender (or one domain) has made us send, keyed
	 * on the normalised address (addr_rate_key: case, "+detail"
	 * and dots in the local part do not make another sender).  Rows for
	 * the acks and escalations already queued are carried over, their
	 * key normalised as well as SQL can (the domain is not). */
	"CREATE TABLE rates (kind TEXT NOT NULL, key TEXT NOT NULL,"
	"  domain TEXT NOT NULL, at INTEGER NOT NULL, case_id INTEGER);"
	"CREATE INDEX rates_key ON rates(kind, key, at);"
	"CREATE INDEX rates_domain ON rates(kind, domain, at);"
	"INSERT INTO rates (kind, key, domain, at, case_id)"
	"  SELECT kind, lower(replace(substr(local, 1, instr(local || '+', '+') - 1), '.', ''))"
	"         || '@' || lower(dom), lower(dom), at, case_id"
	"  FROM (SELECT kind, substr(addr, 1, instr(addr, '@') - 1) AS local,"
	"               substr(addr, instr(addr, '@') + 1) AS dom, at, case_id"
	"        FROM (SELECT 'ack' AS kind, rcpt AS addr, created AS at, case_id FROM jobs"
	"               WHERE kind IN ('ack', 'ack-plain')"
	"                 AND state IN ('queued', 'sending', 'sent')"
	"              UNION ALL SELECT 'escalation', c.customer, j.created, j.case_id"
	"               FROM jobs j JOIN cases c ON c.id = j.case_id"
	"               WHERE j.kind = 'escalation'"
	"                 AND j.state IN ('queued', 'sending', 'sent'))"
	"        WHERE instr(addr, '@') > 1);",
	/* 3 -> 4: a case's outcome (complaint, question, praise: issue 11).
	 * A case made before it was "not a complaint" had a plain ack and
	 * an SLA clock: it is a question now, and its queued follow-up,
	 * which apologised for a complaint there never was, is not sent. */
	"ALTER TABLE cases ADD COLUMN outcome TEXT;"
	"UPDATE cases SET outcome = CASE WHEN complaint THEN 'complaint' ELSE 'question' END"
	"  WHERE state != 'held';"
	"UPDATE jobs SET state = 'suppressed', last_error = 'not a complaint: no follow-up'"
	"  WHERE kind = 'followup' AND state = 'queued'"
	"  AND case_id IN (SELECT id FROM cases WHERE complaint = 0);",
	/* 4 -> 5: what delivery needs to keep its promises (doc/design.md,
	 * "Delivery"): when a job's lifetime started (its first attempt, not
	 * its queueing: a follow-up is queued a week ahead), how many of its
	 * attempts ended with no reply to the final dot (the server may have
	 * the message), and until when its sender's claim holds (real time):
	 * a live sender's claim is never taken back. */
	"ALTER TABLE jobs ADD COLUMN first_try INTEGER;"
	"ALTER TABLE jobs ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN lease INTEGER;",
	/* 5 -> 6: who made an event (issue 15): the agent's name for what a
	 * person did from the command line, NULL for what redress did
	 * itself.  Events from before it are redress's or unknown: NULL. */
	"ALTER TABLE events ADD COLUMN author TEXT;",
	/* 6 -> 7: the agent who owns a case (NULL: nobody); escalations and
	 * warnings about an owned case go to the owner's [agents] address. */
	"ALTER TABLE cases ADD COLUMN owner TEXT;"
	"CREATE INDEX cases_owner ON cases(owner);",
	/* 7 -> 8: full text search over the subjects and text of what
	 * people wrote ("case list --search"): the messages received, and the
	 * replies agents sent (source "agent:..."), not our automatic mail
	 * (an ack's template would match every case).  FTS5 with the messages
	 * as its external content; triggers keep it in step in the
	 * transaction that writes a message, so intake's one transaction
	 * covers it.  The messages stored so far are indexed now. */
	"CREATE VIRTUAL TABLE message_text USING fts5(subject, text,"
	"  content='messages', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER message_text_ai AFTER INSERT ON messages"
	"  WHEN new.direction = 'in' OR new.source LIKE 'agent:%' BEGIN"
	"  INSERT INTO message_text (rowid, subject, text)"
	"    VALUES (new.id, new.subject, new.text);"
	"END;"
	"CREATE TRIGGER message_text_ad AFTER DELETE ON messages"
	"  WHEN old.direction = 'in' OR old.source LIKE 'agent:%' BEGIN"
	"  INSERT INTO message_text (message_text, rowid, subject, text)"
	"    VALUES ('delete', old.id, old.subject, old.text);"
	"END;"
	"CREATE TRIGGER message_text_au AFTER UPDATE OF subject, text ON messages"
	"  WHEN old.direction = 'in' OR old.source LIKE 'agent:%' BEGIN"
	"  INSERT INTO message_text (message_text, rowid, subject, text)"
	"    VALUES ('delete', old.id, old.subject, old.text);"
	"  INSERT INTO message_text (rowid, subject, text)"
	"    VALUES (new.id, new.subject, new.text);"
	"END;"
	"INSERT INTO message_text (rowid, subject, text)"
	"  SELECT id, subject, text FROM messages"
	"  WHERE direction = 'in' OR source LIKE 'agent:%';",
	/* 8 -> 9: merged and linked cases ("case merge", "case link"): the
	 * case a merged one joined, and links between cases (a < b). */
	"ALTER TABLE cases ADD COLUMN merged_into INTEGER;"
	"CREATE TABLE case_links (a INTEGER NOT NULL REFERENCES cases(id),"
	"  b INTEGER NOT NULL REFERENCES cases(id), at INTEGER NOT NULL, author TEXT,"
	"  PRIMARY KEY (a, b)) WITHOUT ROWID;"
	"CREATE INDEX case_links_b ON case_links(b);",
	/* 9 -> 10: the traffic verdict of a case (issue 13: ok, bulk, list,
	 * spam, forged) and its reasons, a JSON array of strings.  Every
	 * case before it was treated as ok. */
	"ALTER TABLE cases ADD COLUMN traffic TEXT;"
	"ALTER TABLE cases ADD COLUMN traffic_reasons TEXT;"
	"UPDATE cases SET traffic = 'ok' WHERE state != 'held';",
};

void store_rollback(struct store *st);

static bool
store_code_temporary(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
	case SQLITE_PROTOCOL:
	case SQLITE_READONLY:   /* a file system remounted read-only, for now */
		return true;
	default:
		return false;
	}
}

static int
store_fail(struct store *st, int rc, char **error_r, const char *what)
{
	st->temporary = store_code_temporary(rc);
	*error_r = xasprintf("store %s: %s: %s", st->path, what,
			     st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	return -1;
}

bool
store_temporary(const struct store *st)
{
	return st == NULL || st->temporary;
}

/* The prepared statement for sql, made on first use; NULL on error. */
static sqlite3_stmt *
store_stmt(struct store *st, const char *sql, char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	for (size_t i = 0; i < st->n_stmts; i++) {
		if (st->stmts[i].sql == sql) {
			sqlite3_reset(st->stmts[i].stmt);
			sqlite3_clear_bindings(st->stmts[i].stmt);
			return st->stmts[i].stmt;
		}
	}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, rc, error_r, "prepare");
		return NULL;
	}
	if (st->n_stmts < STORE_MAX_STMTS) {
		st->stmts[st->n_stmts].sql = sql;
		st->stmts[st->n_stmts].stmt = stmt;
		st->n_stmts++;
	}
	return stmt;
}

/* Ends use of a statement that did not get cached (only when the cache is full). */
static void
store_done(struct store *st, sqlite3_stmt *stmt)
{
	for (size_t i = 0; i < st->n_stmts; i++) {
		if (st->stmts[i].stmt == stmt) {
			sqlite3_reset(stmt);
			return;
		}
	}
	sqlite3_finalize(stmt);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void
bind_time(sqlite3_stmt *s, int i, time_t t)
{
	if (t == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, (sqlite3_int64)t);
}

static char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v != NULL ? xstrdup((const char *)v) : NULL;
}

static time_t
col_time(sqlite3_stmt *s, int i)
{
	return (time_t)sqlite3_column_int64(s, i);
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
			     "redress?)", st->path, table, id, column, word);
	return -1;
}

static int
col_case_state(struct store *st, sqlite3_stmt *s, int i, long long id,
	       enum case_state *v_r, char **error_r)
{
	const char *w = (const char *)sqlite3_column_text(s, i);

	*v_r = CASE_NONE;
	if (w == NULL || case_state_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "state", w, error_r);
}

static int
col_verdict(struct store *st, sqlite3_stmt *s, int i, long long id,
	    enum verdict *v_r, char **error_r)
{
	const char *w = (const char *)sqlite3_column_text(s, i);

	*v_r = VERDICT_NONE;
	if (w == NULL || verdict_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "traffic", w, error_r);
}

static int
col_priority(struct store *st, sqlite3_stmt *s, int i, long long id,
	     enum priority *v_r, char **error_r)
{
	const char *w = (const char *)sqlite3_column_text(s, i);

	*v_r = PRIORITY_NONE;
	if (w == NULL || priority_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "priority", w, error_r);
}

static int
col_outcome(struct store *st, sqlite3_stmt *s, int i, long long id,
	    enum outcome *v_r, char **error_r)
{
	const char *w = (const char *)sqlite3_column_text(s, i);

	*v_r = OUTCOME_NONE;
	if (w == NULL || outcome_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "case", id, "outcome", w, error_r);
}

static int
col_job_kind(struct store *st, sqlite3_stmt *s, int i, long long id,
	     enum job_kind *v_r, char **error_r)
{
	const char *w = (const char *)sqlite3_column_text(s, i);

	if (w != NULL && job_kind_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "job", id, "kind", w != NULL ? w : "(null)", error_r);
}

static int
col_job_state(struct store *st, sqlite3_stmt *s, int i, long long id,
	      enum job_state *v_r, char **error_r)
{
	const char *w = (const char *)sqlite3_column_text(s, i);

	if (w != NULL && job_state_parse(w, v_r) == 0)
		return 0;
	return store_unknown(st, "job", id, "state", w != NULL ? w : "(null)", error_r);
}

/* Runs a statement that returns no rows. */
static int
store_step_done(struct store *st, sqlite3_stmt *s, char **error_r, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, rc, error_r, what);
		store_done(st, s);
		return -1;
	}
	store_done(st, s);
	return 0;
}

/*
 * Steps a statement that returns at most one row: 1 with the row ready to
 * read (the caller reads it, then calls store_done), 0 when there is none,
 * -1 on error (both already done with the statement).
 */
static int
store_step_row(struct store *st, sqlite3_stmt *s, char **error_r, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	store_done(st, s);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, error_r, what);
	return 0;
}

/* Steps a "SELECT count(*)" and stores the count: 0, or -1. */
static int
store_step_count(struct store *st, sqlite3_stmt *s, long *n_r, char **error_r,
		 const char *what)
{
	int r = store_step_row(st, s, error_r, what);

	if (r <= 0)
		return r < 0 ? -1 : store_fail(st, SQLITE_CORRUPT, error_r, what);
	*n_r = (long)sqlite3_column_int64(s, 0);
	store_done(st, s);
	return 0;
}

static int
store_exec(struct store *st, const char *sql, char **error_r)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		st->temporary = store_code_temporary(rc);
		*error_r = xasprintf("store %s: %s", st->path, msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
store_migrate(struct store *st, char **error_r)
{
	sqlite3_stmt *s;
	int version, rc;

	if (store_exec(st, "BEGIN IMMEDIATE", error_r) < 0)
		return -1;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		if (rc == SQLITE_OK)
			sqlite3_finalize(s);
		store_fail(st, rc, error_r, "schema version");
		store_rollback(st);
		return -1;
	}
	version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > STORE_SCHEMA_VERSION) {
		store_rollback(st);
		st->temporary = false;
		*error_r = xasprintf("store %s: schema version %d is newer than this "
				     "redress knows (%d); upgrade redress", st->path,
				     version, STORE_SCHEMA_VERSION);
		return -1;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		char *err = NULL;
		char pragma[64];

		if (store_exec(st, store_migrations[version], &err) < 0) {
			*error_r = xasprintf("%s (migrating to schema %d)", err, version + 1);
			free(err);
			store_rollback(st);
			return -1;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
		if (store_exec(st, pragma, error_r) < 0) {
			store_rollback(st);
			return -1;
		}
	}
	return store_exec(st, "COMMIT", error_r);
}

/* PRAGMA journal_mode=WAL on a new store asks for an exclusive lock
 * without calling the busy handler, so processes that open a new store at
 * the same moment (an MTA's parallel deliveries) get "database is locked"
 * at once.  Retry for as long as the busy timeout would have waited. */
static int
store_wal_mode(struct store *st, long busy_timeout_ms, char **error_r)
{
	long waited = 0;

	while (store_exec(st, "PRAGMA journal_mode=WAL", error_r) < 0) {
		if ((sqlite3_errcode(st->db) & 0xff) != SQLITE_BUSY ||
		    waited >= busy_timeout_ms)
			return -1;
		free(*error_r);
		*error_r = NULL;
		sqlite3_sleep(10);
		waited += 10;
	}
	return 0;
}

/* Opens a connection to path with the settings every connection has. */
static int
store_connect(struct store *st, const char *path, int flags, long busy_timeout_ms,
	      char **error_r)
{
	int rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK)
		return store_fail(st, rc, error_r, "open");
	sqlite3_busy_timeout(st->db, (int)busy_timeout_ms);
	sqlite3_extended_result_codes(st->db, 1);
	return 0;
}

/* fsync of the directory that holds path, so that a new name in it lasts. */
static int
store_sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY), ret = -1;

	free(copy);
	if (fd >= 0) {
		ret = fsync(fd);
		close(fd);
	}
	return ret;
}

/*
 * A new store is made whole under a temporary name -- schema, WAL mode,
 * synced -- and then linked to its path.  So the path never names a
 * half-made store, and a file there that is empty is not one of ours (a
 * truncated store, or a file made by something else): store_open refuses
 * it instead of silently starting afresh.  Processes that create the store
 * at the same moment (an MTA's parallel first deliveries) each make their
 * own; the first link wins and the others open the winner's.
 */
static int
store_create(struct store *st, const char *path, long busy_timeout_ms,
	     char **error_r)
{
	char *tmp = xasprintf("%s.new-%ld", path, (long)getpid());
	struct store *t = xcalloc(1, sizeof(*t));
	int fd, ret = -1;

	t->path = xstrdup(tmp);
	unlink(tmp);  /* a leftover of a process that died, with our pid */
	/* Made here rather than by SQLite, so that a missing directory is
	 * told apart from the rest; SQLite opens it as a new database. */
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = xasprintf("store %s: cannot create it: %s", path, strerror(errno));
		st->temporary = store_errno_temporary(errno);
		goto out;
	}
	close(fd);
	if (store_connect(t, tmp, SQLITE_OPEN_READWRITE, busy_timeout_ms, error_r) < 0 ||
	    store_exec(t, "PRAGMA journal_mode=WAL", error_r) < 0 ||
	    store_exec(t, "PRAGMA synchronous=FULL", error_r) < 0 ||
	    store_migrate(t, error_r) < 0) {
		st->temporary = t->temporary;
		goto out;
	}
	/* Closing the last connection checkpoints the WAL into the file
	 * (synced: synchronous=FULL) and removes the WAL. */
	sqlite3_close(t->db);
	t->db = NULL;
	/* 0600 whatever the umask.  (SQLite itself gives an empty database
	 * file its default mode, 0644, with fchmod, which the umask does not
	 * touch.)  The -wal and -shm files take the database file's mode. */
	if (chmod(tmp, 0600) < 0) {
		*error_r = xasprintf("store %s: cannot chmod it: %s", tmp, strerror(errno));
		st->temporary = store_errno_temporary(errno);
		goto out;
	}
	if (link(tmp, path) < 0 && errno != EEXIST) {
		*error_r = xasprintf("store %s: cannot create it: %s", path, strerror(errno));
		st->temporary = store_errno_temporary(errno);
		goto out;
	}
	if (store_sync_dir(path) < 0) {
		*error_r = xasprintf("store %s: cannot sync its directory: %s", path,
				     strerror(errno));
		st->temporary = true;
		goto out;
	}
	ret = 0;
out:
	if (t->db != NULL)
		sqlite3_close(t->db);
	unlink(tmp);
	free(t->path);
	free(t);
	free(tmp);
	return ret;
}

/* Refuses a store that is an empty file, or that other users may read
 * (unless opt allows it): it holds every complaint, and the key that
 * signs our Message-IDs. */
static int
store_check_file(struct store *st, const char *path, const struct store_options *opt,
		 char **error_r)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		*error_r = xasprintf("store %s: %s", path, strerror(errno));
		st->temporary = store_errno_temporary(errno);
		return -1;
	}
	st->temporary = false;
	if (!S_ISREG(sb.st_mode)) {
		*error_r = xasprintf("store %s: not a regular file", path);
		return -1;
	}
	if (sb.st_size == 0) {
		*error_r = xasprintf("store %s: an empty file, not a redress store (a "
				     "store is never empty: was it truncated?); restore it "
				     "from a backup, or remove it to start a new store", path);
		return -1;
	}
	if ((sb.st_mode & (S_IROTH | S_IWOTH)) != 0 && !opt->others_may_read) {
		*error_r = xasprintf("store %s: other users can read it (mode %04o), and "
				     "it holds every complaint and the key that signs our "
				     "Message-IDs: chmod o-rw %s %s-wal %s-shm, or set "
				     "[store] others_may_read = yes", path,
				     (unsigned)(sb.st_mode & 07777), path, path, path);
		return -1;
	}
	return 0;
}

int
store_open(const char *path, const struct store_options *opt, struct store **st_r,
	   char **error_r)
{
	struct store *st = xcalloc(1, sizeof(*st));
	struct stat sb;

	*st_r = st;  /* also on failure, so the caller can ask store_temporary */
	st->path = xstrdup(path);
	if (stat(path, &sb) < 0 && errno == ENOENT &&
	    store_create(st, path, opt->busy_timeout_ms, error_r) < 0)
		return -1;
	if (store_check_file(st, path, opt, error_r) < 0 ||
	    store_connect(st, path, SQLITE_OPEN_READWRITE, opt->busy_timeout_ms,
			  error_r) < 0)
		return -1;
	/* A delivery filter opens the store for one message.  Checkpointing
	 * the WAL on every close would cost three more fsyncs and a new WAL
	 * file (and a directory fsync) per message; store_close trims it only
	 * once it is large (see store_trim_wal). */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (store_wal_mode(st, opt->busy_timeout_ms, error_r) < 0 ||
	    store_exec(st, "PRAGMA synchronous=FULL", error_r) < 0 ||
	    store_exec(st, "PRAGMA foreign_keys=ON", error_r) < 0 ||
	    store_migrate(st, error_r) < 0)
		return -1;
	return 0;
}

/* The WAL a process leaves behind is read whole by the next process that
 * opens the store when none has it open: the index in the -shm file does
 * not survive the last connection, and rebuilding it means reading and
 * checksumming every frame.  The index is also what records that the
 * frames were checkpointed, so without it the WAL is never restarted:
 * with one process per message (the delivery filter, cron runs of send
 * and tick) and no daemon holding the store open, it grew by every commit
 * and each run read all of it, O(messages) per message.  So a closing
 * connection that finds more than this in the WAL checkpoints it and
 * truncates it to nothing, if it can do so without waiting.  While another
 * process is reading or writing, the checkpoint gives up (busy); with a
 * daemon holding the store open it is not needed anyway: the daemon's
 * connection keeps the index and restarts the WAL itself. */
#define STORE_WAL_KEEP (1024 * 1024)

static void
store_trim_wal(struct store *st)
{
	sqlite3_file *wal = NULL;
	sqlite3_int64 size = 0;

	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
				 &wal) != SQLITE_OK ||
	    wal == NULL || wal->pMethods == NULL ||
	    wal->pMethods->xFileSize(wal, &size) != SQLITE_OK ||
	    size <= STORE_WAL_KEEP)
		return;
	sqlite3_busy_timeout(st->db, 0);
	(void)sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n_stmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	if (st->db != NULL) {
		store_trim_wal(st);
		sqlite3_close(st->db);
	}
	free(st->path);
	free(st);
	*stp = NULL;
}

/* Transaction control through cached statements: sqlite3_exec would
 * parse the SQL again every time, a fifth of a send run's instructions. */
static int
store_txn(struct store *st, const char *sql, char **error_r)
{
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	return store_step_done(st, s, error_r, sql);
}

int
store_begin(struct store *st, char **error_r)
{
	static const char sql[] = "BEGIN IMMEDIATE";

	if (store_txn(st, sql, error_r) < 0)
		return -1;
	st->in_txn = true;
	return 0;
}

int
store_commit(struct store *st, char **error_r)
{
	static const char sql[] = "COMMIT";

	if (store_txn(st, sql, error_r) < 0) {
		store_rollback(st);
		return -1;
	}
	st->in_txn = false;
	return 0;
}

void
store_rollback(struct store *st)
{
	static const char sql[] = "ROLLBACK";
	char *err = NULL;

	if (sqlite3_get_autocommit(st->db) == 0)
		store_txn(st, sql, &err);
	free(err);
	st->in_txn = false;
}

int
store_durable(struct store *st, bool full, char **error_r)
{
	return store_exec(st, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			  error_r);
}

int
store_sync(struct store *st, char **error_r)
{
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
					   NULL, NULL);

	/* BUSY: a reader holds old pages; the WAL itself was still synced. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return store_fail(st, rc, error_r, "sync");
	return 0;
}

/* Reads secret `name` of len bytes into *value_r: 1 if found, 0 if the
 * store has none, -1 on error. */
static int
store_secret_read(struct store *st, const char *name, size_t len,
		  unsigned char **value_r, char **error_r)
{
	static const char sel[] = "SELECT value FROM meta WHERE name = ?";
	sqlite3_stmt *s = store_stmt(st, sel, error_r);
	int rc;

	if (s == NULL)
		return -1;
	bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		size_t have = (size_t)sqlite3_column_bytes(s, 0);

		if (have != len) {
			store_done(st, s);
			st->temporary = false;
			*error_r = xasprintf("store %s: secret %s has %zu bytes, not %zu",
					     st->path, name, have, len);
			return -1;
		}
		*value_r = xmalloc(len);
		memcpy(*value_r, sqlite3_column_blob(s, 0), len);
		store_done(st, s);
		return 1;
	}
	store_done(st, s);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, error_r, "read secret");
	return 0;
}

/* The secret is made by whichever process needs it first; processes that
 * race to make it (deliveries into a new store) all end up with the one
 * that was stored first. */
int
store_secret(struct store *st, const char *name, size_t len,
	     unsigned char **value_r, char **error_r)
{
	static const char ins[] = "INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)";
	unsigned char *v;
	sqlite3_stmt *s;
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
	s = store_stmt(st, ins, error_r);
	if (s == NULL) {
		free(v);
		return -1;
	}
	bind_text(s, 1, name);
	sqlite3_bind_blob(s, 2, v, (int)len, SQLITE_TRANSIENT);
	found = store_step_done(st, s, error_r, "save secret");
	free(v);
	if (found < 0)
		return -1;
	found = store_secret_read(st, name, len, value_r, error_r);
	if (found == 0) {
		*error_r = xasprintf("store %s: secret %s vanished", st->path, name);
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	bind_text(s, 1, fingerprint);
	r = store_step_row(st, s, error_r, "find message");
	if (r > 0) {
		*msg_id_r = sqlite3_column_int64(s, 0);
		*case_id_r = sqlite3_column_int64(s, 1);
		store_done(st, s);
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
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	if (m->case_id > 0)
		sqlite3_bind_int64(s, 1, m->case_id);
	bind_text(s, 2, m->direction != NULL ? m->direction : "in");
	bind_text(s, 3, m->message_id);
	bind_text(s, 4, m->fingerprint);
	bind_text(s, 5, m->source);
	bind_text(s, 6, m->envelope_from);
	bind_text(s, 7, m->envelope_to);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)m->received);
	bind_text(s, 9, m->from_addr);
	bind_text(s, 10, m->from_name);
	bind_text(s, 11, m->subject);
	bind_text(s, 12, m->text);
	bind_text(s, 13, m->held_reason);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)m->raw_len);
	sqlite3_bind_blob64(s, 15, m->raw != NULL ? m->raw : "", m->raw_len, SQLITE_STATIC);
	if (store_step_done(st, s, error_r, "add message") < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_message_set_case(struct store *st, long long msg_id, long long case_id,
		       char **error_r)
{
	static const char sql[] = "UPDATE messages SET case_id = ? WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_int64(s, 2, msg_id);
	return store_step_done(st, s, error_r, "link message");
}

int
store_message_raw(struct store *st, long long msg_id, char **raw_r,
		  size_t *len_r, char **error_r)
{
	static const char sql[] = "SELECT raw FROM messages WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, msg_id);
	r = store_step_row(st, s, error_r, "read message");
	if (r > 0) {
		size_t len = (size_t)sqlite3_column_bytes(s, 0);
		char *raw = xmalloc(len + 1);

		if (len > 0)
			memcpy(raw, sqlite3_column_blob(s, 0), len);
		raw[len] = '\0';
		store_done(st, s);
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	struct store_message_info *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].direction = col_text(s, 1);
		v[n].source = col_text(s, 2);
		v[n].message_id = col_text(s, 3);
		v[n].held_reason = col_text(s, 4);
		v[n].received = col_time(s, 5);
		v[n].size = (size_t)sqlite3_column_int64(s, 6);
		n++;
	}
	store_done(st, s);
	if (rc != SQLITE_DONE) {
		store_message_infos_free(&v, n);
		return store_fail(st, rc, error_r, "list messages");
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
store_case_bind(sqlite3_stmt *s, const struct store_case *c)
{
	bind_text(s, 1, case_state_name(c->state));
	bind_text(s, 2, c->customer);
	bind_text(s, 3, c->customer_name);
	bind_text(s, 4, c->subject);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)c->created);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)(c->updated ? c->updated : c->created));
	sqlite3_bind_int(s, 7, c->complaint);
	bind_text(s, 8, c->category);
	bind_text(s, 9, c->label);
	bind_text(s, 10, priority_name(c->priority));
	bind_text(s, 11, c->tags);
	bind_text(s, 12, c->rules);
	bind_text(s, 13, c->rules_version);
	bind_time(s, 14, c->first_response_due);
	bind_time(s, 15, c->resolution_due);
	bind_time(s, 16, c->first_response_at);
	bind_time(s, 17, c->resolved_at);
	sqlite3_bind_int(s, 18, c->first_response_breached);
	sqlite3_bind_int(s, 19, c->resolution_breached);
	bind_time(s, 20, c->paused_at);
	sqlite3_bind_int64(s, 21, c->paused_seconds);
	bind_text(s, 22, c->resolution_cause);
	bind_text(s, 23, c->held_reason);
	bind_text(s, 24, c->reply_note);
	bind_text(s, 25, case_state_name(c->last_active_state));
	bind_text(s, 26, c->customer_msgid);
	bind_text(s, 27, c->customer_refs);
	bind_text(s, 28, outcome_name(c->outcome));
	bind_text(s, 29, c->owner);
	if (c->merged_into > 0)
		sqlite3_bind_int64(s, 30, c->merged_into);
	else
		sqlite3_bind_null(s, 30);
	bind_text(s, 31, verdict_name(c->traffic));
	bind_text(s, 32, c->traffic_reasons);
}

/* Reads a case from columns starting at 0 (id) then STORE_CASE_COLS into
 * c: 0, or -1 with *error_r (a word this redress does not know; c is then
 * left as store_case_init makes it). */
static int
store_case_read(struct store *st, sqlite3_stmt *s, struct store_case *c, char **error_r)
{
	store_case_init(c);
	c->id = sqlite3_column_int64(s, 0);
	if (col_case_state(st, s, 1, c->id, &c->state, error_r) < 0 ||
	    col_priority(st, s, 10, c->id, &c->priority, error_r) < 0 ||
	    col_case_state(st, s, 25, c->id, &c->last_active_state, error_r) < 0 ||
	    col_outcome(st, s, 28, c->id, &c->outcome, error_r) < 0 ||
	    col_verdict(st, s, 31, c->id, &c->traffic, error_r) < 0) {
		store_case_init(c);
		return -1;
	}
	c->customer = col_text(s, 2);
	c->customer_name = col_text(s, 3);
	c->subject = col_text(s, 4);
	c->created = col_time(s, 5);
	c->updated = col_time(s, 6);
	c->complaint = sqlite3_column_int(s, 7) != 0;
	c->category = col_text(s, 8);
	c->label = col_text(s, 9);
	c->tags = col_text(s, 11);
	c->rules = col_text(s, 12);
	c->rules_version = col_text(s, 13);
	c->first_response_due = col_time(s, 14);
	c->resolution_due = col_time(s, 15);
	c->first_response_at = col_time(s, 16);
	c->resolved_at = col_time(s, 17);
	c->first_response_breached = sqlite3_column_int(s, 18) != 0;
	c->resolution_breached = sqlite3_column_int(s, 19) != 0;
	c->paused_at = col_time(s, 20);
	c->paused_seconds = (long)sqlite3_column_int64(s, 21);
	c->resolution_cause = col_text(s, 22);
	c->held_reason = col_text(s, 23);
	c->reply_note = col_text(s, 24);
	c->customer_msgid = col_text(s, 26);
	c->customer_refs = col_text(s, 27);
	c->owner = col_text(s, 29);
	c->merged_into = sqlite3_column_int64(s, 30);
	c->traffic_reasons = col_text(s, 32);
	return 0;
}

int
store_case_add(struct store *st, const struct store_case *c, long long *id_r,
	       char **error_r)
{
	static const char sql[] = "INSERT INTO cases (" STORE_CASE_COLS ") VALUES ("
		"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	store_case_bind(s, c);
	if (store_step_done(st, s, error_r, "add case") < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_case_update(struct store *st, const struct store_case *c, char **error_r)
{
	static const char sql[] = "UPDATE cases SET (" STORE_CASE_COLS ") = ("
		"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	store_case_bind(s, c);
	sqlite3_bind_int64(s, STORE_CASE_NCOLS + 1, c->id);
	return store_step_done(st, s, error_r, "update case");
}

int
store_case_get(struct store *st, long long id, struct store_case *c_r, char **error_r)
{
	static const char sql[] = "SELECT id, " STORE_CASE_COLS " FROM cases WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	int r;

	store_case_init(c_r);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	r = store_step_row(st, s, error_r, "read case");
	if (r > 0) {
		r = store_case_read(st, s, c_r, error_r) < 0 ? -1 : 1;
		store_done(st, s);
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
	" WHERE (?1 IS NULL OR state = ?1)" \
	" AND (?2 = 0 OR first_response_breached OR resolution_breached)" \
	" AND (?3 IS NULL OR customer = ?3)" \
	" AND created >= ?4" \
	" AND id > ?6" \
	" AND (?7 = 0 OR state IN ('new', 'acknowledged', 'responded', 'waiting'))" \
	" AND (?8 IS NULL OR priority = ?8)" \
	" AND (?9 IS NULL OR category = ?9)" \
	" AND (?10 IS NULL OR instr(' ' || coalesce(tags, '') || ' ', ' ' || ?10 || ' ') > 0)" \
	" AND (?11 IS NULL OR owner = ?11)" \
	" AND (?12 = 0 OR owner IS NULL)" \
	" AND (?13 = 0 OR created < ?13)" \
	" AND (?14 = 0 OR " STORE_DUE_SQL " <= ?14)" \
	search order " LIMIT ?5"
/* Oldest first walks the rowid: the tick pages through every open case
 * with it, and must not sort the whole table for each page. */
#define STORE_ORDER_ID " ORDER BY id"
#define STORE_ORDER_BY \
	" ORDER BY CASE ?16 WHEN 1 THEN " STORE_DUE_SQL " IS NULL END," \
	" CASE ?16 WHEN 1 THEN " STORE_DUE_SQL " WHEN 2 THEN created" \
	"  WHEN 3 THEN CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1" \
	"   WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END END, id"
#define STORE_SEARCH_SQL \
	" AND id IN (SELECT m.case_id FROM message_text t" \
	"  JOIN messages m ON m.id = t.rowid WHERE message_text MATCH ?15)"

/*
 * Words for FTS5's MATCH: each word of text as a quoted string, so that
 * whatever a person types ("don't", "NEAR", a lone quote) is words to
 * find, never query syntax; all of them must occur.  NULL when text has
 * no word.
 */
static char *
store_fts_query(const char *text)
{
	size_t cap = strlen(text) * 2 + 16, n = 0;
	char *q = xmalloc(cap);
	bool any = false;

	for (const char *p = text; *p != '\0';) {
		size_t len = strcspn(p, " \t\r\n");

		if (len > 0) {
			if (any)
				q[n++] = ' ';
			q[n++] = '"';
			for (size_t i = 0; i < len; i++) {
				if (p[i] == '"')
					q[n++] = '"';
				q[n++] = p[i];
			}
			q[n++] = '"';
			any = true;
		}
		p += len;
		p += strspn(p, " \t\r\n");
	}
	q[n] = '\0';
	if (!any) {
		free(q);
		return NULL;
	}
	return q;
}

int
store_case_list(struct store *st, const struct store_case_filter *f,
		struct store_case **cases_r, size_t *n_r, char **error_r)
{
	static const char plain_id[] = STORE_LIST_SQL("", STORE_ORDER_ID);
	static const char plain_by[] = STORE_LIST_SQL("", STORE_ORDER_BY);
	static const char search_id[] = STORE_LIST_SQL(STORE_SEARCH_SQL, STORE_ORDER_ID);
	static const char search_by[] = STORE_LIST_SQL(STORE_SEARCH_SQL, STORE_ORDER_BY);
	const char *sql;
	struct store_case *v = NULL;
	size_t n = 0, cap = 0;
	char *query = NULL;
	sqlite3_stmt *s;
	int rc;

	*cases_r = NULL;
	*n_r = 0;
	if (f->search != NULL) {
		query = store_fts_query(f->search);
		if (query == NULL)
			return 0;   /* no words: nothing matches */
	}
	if (f->sort == STORE_SORT_ID)
		sql = query != NULL ? search_id : plain_id;
	else
		sql = query != NULL ? search_by : plain_by;
	s = store_stmt(st, sql, error_r);
	if (s == NULL) {
		free(query);
		return -1;
	}
	bind_text(s, 1, f->by_state ? case_state_name(f->state) : NULL);
	sqlite3_bind_int(s, 2, f->breached_only);
	bind_text(s, 3, f->customer);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)f->since);
	sqlite3_bind_int64(s, 5, f->limit > 0 ? (sqlite3_int64)f->limit : -1);
	sqlite3_bind_int64(s, 6, f->after_id);
	sqlite3_bind_int(s, 7, f->open_only);
	bind_text(s, 8, f->by_priority ? priority_name(f->priority) : NULL);
	bind_text(s, 9, f->category);
	bind_text(s, 10, f->tag);
	bind_text(s, 11, f->owner);
	sqlite3_bind_int(s, 12, f->unassigned);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)f->until);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)f->due_before);
	if (query != NULL)
		sqlite3_bind_text(s, 15, query, -1, SQLITE_TRANSIENT);
	if (f->sort != STORE_SORT_ID)
		sqlite3_bind_int(s, 16, (int)f->sort);
	free(query);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		if (store_case_read(st, s, &v[n], error_r) < 0) {
			store_done(st, s);
			store_cases_free(&v, n);
			return -1;
		}
		n++;
	}
	store_done(st, s);
	if (rc != SQLITE_DONE) {
		store_cases_free(&v, n);
		return store_fail(st, rc, error_r, "list cases");
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
		sqlite3_stmt *s = store_stmt(st, sqls[i], error_r);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, into);
		sqlite3_bind_int64(s, 2, from);
		if (i == 2)
			bind_text(s, 3, why);
		if (store_step_done(st, s, error_r, "merge cases") < 0)
			return -1;
		n[i] = sqlite3_changes(st->db);
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
	static const char sql[] = "INSERT OR IGNORE INTO case_links (a, b, at, author)"
		" VALUES (min(?1, ?2), max(?1, ?2), ?3, ?4)";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)at);
	bind_text(s, 4, author);
	if (store_step_done(st, s, error_r, "link cases") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_case_links(struct store *st, long long id, long long **ids_r, size_t *n_r,
		 char **error_r)
{
	static const char sql[] = "SELECT b FROM case_links WHERE a = ?1"
		" UNION SELECT a FROM case_links WHERE b = ?1 ORDER BY 1";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	long long *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*ids_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = sqlite3_column_int64(s, 0);
	}
	store_done(st, s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_fail(st, rc, error_r, "list links");
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
		" LIMIT ?)";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, customer);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	sqlite3_bind_int64(s, 3, except_id);
	sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1);
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)at);
	bind_text(s, 3, kind);
	bind_text(s, 4, detail);
	bind_text(s, 5, author);
	return store_step_done(st, s, error_r, "add event");
}

int
store_case_events(struct store *st, long long case_id, struct store_event **ev_r,
		  size_t *n_r, char **error_r)
{
	static const char sql[] = "SELECT id, case_id, at, kind, detail, author FROM events"
		" WHERE case_id = ? ORDER BY id";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	struct store_event *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].case_id = sqlite3_column_int64(s, 1);
		v[n].at = col_time(s, 2);
		v[n].kind = col_text(s, 3);
		v[n].detail = col_text(s, 4);
		v[n].author = col_text(s, 5);
		n++;
	}
	store_done(st, s);
	if (rc != SQLITE_DONE) {
		store_events_free(&v, n);
		return store_fail(st, rc, error_r, "list events");
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	long long *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*ids_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = sqlite3_column_int64(s, 0);
	}
	store_done(st, s);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_fail(st, rc, error_r, "list corrected cases");
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
store_job_read(struct store *st, sqlite3_stmt *s, struct store_job *j, char **error_r)
{
	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(s, 0);
	j->case_id = sqlite3_column_int64(s, 1);
	if (col_job_kind(st, s, 2, j->id, &j->kind, error_r) < 0 ||
	    col_job_state(st, s, 3, j->id, &j->state, error_r) < 0)
		return -1;
	j->due = col_time(s, 4);
	j->created = col_time(s, 5);
	j->sent_at = col_time(s, 6);
	j->attempts = sqlite3_column_int(s, 7);
	j->last_error = col_text(s, 8);
	j->rcpt = col_text(s, 9);
	j->msgid = col_text(s, 10);
	j->detail = col_text(s, 11);
	j->first_try = col_time(s, 12);
	j->unconfirmed = sqlite3_column_int(s, 13);
	return 0;
}

int
store_job_add(struct store *st, const struct store_job *j, long long *id_r,
	      char **error_r)
{
	static const char sql[] = "INSERT INTO jobs (case_id, kind, state, due,"
		" created, sent_at, attempts, last_error, rcpt, msgid, detail,"
		" first_try, unconfirmed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, j->case_id);
	bind_text(s, 2, job_kind_name(j->kind));
	bind_text(s, 3, job_state_name(j->state));
	sqlite3_bind_int64(s, 4, (sqlite3_int64)j->due);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)j->created);
	bind_time(s, 6, j->sent_at);
	sqlite3_bind_int(s, 7, j->attempts);
	bind_text(s, 8, j->last_error);
	bind_text(s, 9, j->rcpt);
	bind_text(s, 10, j->msgid);
	bind_text(s, 11, j->detail);
	bind_time(s, 12, j->first_try);
	sqlite3_bind_int(s, 13, j->unconfirmed);
	if (store_step_done(st, s, error_r, "add job") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, job_state_name(j->state));
	sqlite3_bind_int64(s, 2, (sqlite3_int64)j->due);
	bind_time(s, 3, j->sent_at);
	sqlite3_bind_int(s, 4, j->attempts);
	bind_text(s, 5, j->last_error);
	bind_text(s, 6, j->rcpt);
	bind_text(s, 7, j->msgid);
	bind_text(s, 8, j->detail);
	bind_time(s, 9, j->first_try);
	sqlite3_bind_int(s, 10, j->unconfirmed);
	sqlite3_bind_int64(s, 11, j->id);
	return store_step_done(st, s, error_r, "update job");
}

/* Reads every row of s (bound, not yet stepped) into a job array. */
static int
store_jobs_collect(struct store *st, sqlite3_stmt *s, struct store_job **jobs_r,
		   size_t *n_r, char **error_r)
{
	struct store_job *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		if (store_job_read(st, s, &v[n], error_r) < 0) {
			store_done(st, s);
			store_jobs_free(&v, n);
			return -1;
		}
		n++;
	}
	store_done(st, s);
	if (rc != SQLITE_DONE) {
		store_jobs_free(&v, n);
		return store_fail(st, rc, error_r, "list jobs");
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
	sqlite3_stmt *s = store_stmt(st, case_id != 0 ? one : all, error_r);

	if (s == NULL)
		return -1;
	if (case_id != 0)
		sqlite3_bind_int64(s, 1, case_id);
	return store_jobs_collect(st, s, jobs_r, n_r, error_r);
}

int
store_jobs_due(struct store *st, time_t now, size_t limit, struct store_job **jobs_r,
	       size_t *n_r, char **error_r)
{
	/* The order of store_job_claim. */
	static const char sql[] = "SELECT " STORE_JOB_COLS " FROM jobs"
		" WHERE state = 'queued' AND due <= ? ORDER BY due, id LIMIT ?";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, limit > 0 ? (sqlite3_int64)limit : -1);
	return store_jobs_collect(st, s, jobs_r, n_r, error_r);
}

int
store_job_get(struct store *st, long long id, struct store_job *j_r,
	      char **error_r)
{
	static const char sql[] = "SELECT " STORE_JOB_COLS " FROM jobs WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	r = store_step_row(st, s, error_r, "read job");
	if (r > 0) {
		r = store_job_read(st, s, j_r, error_r) < 0 ? -1 : 1;
		store_done(st, s);
	}
	return r;
}

int
store_job_claim(struct store *st, time_t now, const char *owner, time_t lease,
		struct store_job *j_r, char **error_r)
{
	static const char sql[] = "UPDATE jobs SET state = 'sending', owner = ?1,"
		" lease = ?3 WHERE id = (SELECT id FROM jobs WHERE state = 'queued'"
		" AND due <= ?2 ORDER BY due, id LIMIT 1) RETURNING " STORE_JOB_COLS;
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	int rc;

	if (s == NULL)
		return -1;
	bind_text(s, 1, owner);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)lease);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (store_job_read(st, s, j_r, error_r) < 0) {
			store_done(st, s);
			return -1;
		}
		/* RETURNING rows are only final once the statement completes. */
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			;
		store_done(st, s);
		if (rc != SQLITE_DONE) {
			store_job_clear(j_r);
			return store_fail(st, rc, error_r, "claim job");
		}
		return 1;
	}
	store_done(st, s);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, error_r, "claim job");
	return 0;
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
	static const char sql[] = "UPDATE jobs SET state = 'sending', owner = ?1,"
		" lease = ?3 WHERE id IN (SELECT id FROM jobs WHERE state = 'queued'"
		" AND due <= ?2 ORDER BY due, id LIMIT ?4) RETURNING " STORE_JOB_COLS;
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	*jobs_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return -1;
	bind_text(s, 1, owner);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)lease);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)(max > 0 ? max : 1));
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)lease);
	bind_text(s, 2, owner);
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
		" lease = NULL WHERE state = 'sending' AND ((?2 IS NULL AND"
		" (lease IS NULL OR lease < ?1 OR owner IS NULL)) OR owner = ?2)";
	sqlite3_stmt *s = store_stmt(st, owners, error_r);
	char **gone = NULL;
	size_t n_gone = 0, cap = 0;
	long n = 0;
	int rc, ret = -1;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(s, 0);

		if (o != NULL && (strcmp(o, self) == 0 || store_owner_gone(o, self))) {
			gone = xgrow(gone, &cap, n_gone + 1, sizeof(*gone));
			gone[n_gone++] = xstrdup(o);
		}
	}
	store_done(st, s);
	if (rc != SQLITE_DONE) {
		store_fail(st, rc, error_r, "read claims");
		goto out;
	}
	for (size_t i = 0; i <= n_gone; i++) {
		s = store_stmt(st, sql, error_r);
		if (s == NULL)
			goto out;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
		bind_text(s, 2, i < n_gone ? gone[i] : NULL);
		if (store_step_done(st, s, error_r, "release claims") < 0)
			goto out;
		n += sqlite3_changes(st->db);
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
		" AND created >= ? LIMIT ?)";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, rcpt);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	sqlite3_bind_int64(s, 3, limit > 0 ? limit : -1);
	return store_step_count(st, s, n_r, error_r, "count acks");
}

int
store_rate_add(struct store *st, enum job_kind kind, const char *key, const char *domain,
	       time_t at, long long case_id, char **error_r)
{
	static const char sql[] = "INSERT INTO rates (kind, key, domain, at, case_id)"
		" VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, job_kind_name(kind));
	bind_text(s, 2, key);
	bind_text(s, 3, domain);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)at);
	if (case_id > 0)
		sqlite3_bind_int64(s, 5, case_id);
	else
		sqlite3_bind_null(s, 5);
	return store_step_done(st, s, error_r, "record a rate");
}

int
store_rate_count(struct store *st, enum job_kind kind, const char *key, const char *domain,
		 time_t since, long limit, long *n_r, char **error_r)
{
	static const char by_key[] = "SELECT count(*) FROM (SELECT 1 FROM rates"
		" WHERE kind = ? AND key = ? AND at >= ? LIMIT ?)";
	static const char by_domain[] = "SELECT count(*) FROM (SELECT 1 FROM rates"
		" WHERE kind = ? AND domain = ? AND at >= ? LIMIT ?)";
	sqlite3_stmt *s = store_stmt(st, key != NULL ? by_key : by_domain, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, job_kind_name(kind));
	bind_text(s, 2, key != NULL ? key : domain);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)since);
	sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1);
	return store_step_count(st, s, n_r, error_r, "count rates");
}

int
store_jobs_reschedule(struct store *st, long long case_id, enum job_kind kind,
		      time_t due, long *n_r, char **error_r)
{
	static const char sql[] = "UPDATE jobs SET due = ? WHERE case_id = ?"
		" AND kind = ? AND state = 'queued'";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)due);
	sqlite3_bind_int64(s, 2, case_id);
	bind_text(s, 3, job_kind_name(kind));
	if (store_step_done(st, s, error_r, "reschedule jobs") < 0)
		return -1;
	if (n_r != NULL)
		*n_r = sqlite3_changes(st->db);
	return 0;
}

int
store_jobs_reroute_staff(struct store *st, long long case_id, const char *rcpt,
			 long *n_r, char **error_r)
{
	static const char sql[] = "UPDATE jobs SET rcpt = ? WHERE case_id = ?"
		" AND state = 'queued' AND kind IN ('escalation', 'warning')";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, rcpt);
	sqlite3_bind_int64(s, 2, case_id);
	if (store_step_done(st, s, error_r, "reroute jobs") < 0)
		return -1;
	if (n_r != NULL)
		*n_r = sqlite3_changes(st->db);
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);
	int r;

	if (s == NULL)
		return -1;
	bind_text(s, 1, mailbox);
	r = store_step_row(st, s, error_r, "read IMAP state");
	if (r > 0) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(s, 1);
		store_done(st, s);
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
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, mailbox);
	sqlite3_bind_int64(s, 2, uidvalidity);
	sqlite3_bind_int64(s, 3, last_uid);
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
		" taken = ?3 WHERE locks.owner = ?2 OR locks.taken < ?3 - ?4"
		" OR locks.owner = ?5";
	sqlite3_stmt *s = store_stmt(st, sel, error_r);
	char *dead = NULL;
	int rc;

	if (s == NULL)
		return -1;
	bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *holder = (const char *)sqlite3_column_text(s, 0);

		if (holder != NULL && strcmp(holder, owner) != 0 &&
		    store_owner_gone(holder, owner))
			dead = xstrdup(holder);
	}
	store_done(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, rc, error_r, "read lock");
	s = store_stmt(st, sql, error_r);
	if (s == NULL) {
		free(dead);
		return -1;
	}
	bind_text(s, 1, name);
	bind_text(s, 2, owner);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 4, ttl);
	if (dead != NULL)
		sqlite3_bind_text(s, 5, dead, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 5);
	free(dead);
	if (store_step_done(st, s, error_r, "take lock") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_unlock(struct store *st, const char *name, const char *owner,
	     char **error_r)
{
	static const char sql[] = "DELETE FROM locks WHERE name = ? AND owner = ?";
	sqlite3_stmt *s = store_stmt(st, sql, error_r);

	if (s == NULL)
		return -1;
	bind_text(s, 1, name);
	bind_text(s, 2, owner);
	return store_step_done(st, s, error_r, "release lock");
}
