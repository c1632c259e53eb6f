/*
 * NAME
 *	store_sqlite - the SQLite backend of the store: one file, the default
 * DESCRIPTION
 *	See store.h for the interface and store_int.h for what a backend
 *	gives; the SQL itself is in store_sql.c.  The schema carries a version in
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

#define STORE_MAX_STMTS 64

struct sq_cached {
	const char *sql;          /* static text: the cache key */
	sqlite3_stmt *stmt;
};

/* A struct store_stmt * is the sqlite3_stmt * itself. */
#define SQ(s) ((sqlite3_stmt *)(void *)(s))

struct sq_store {
	struct store st;          /* first: a struct store * is one of these */
	sqlite3 *db;
	struct sq_cached stmts[STORE_MAX_STMTS];
	size_t n_stmts;
};

static const struct store_backend sq_backend;
static void sq_rollback(struct store *st);

static struct sq_store *
sq(struct store *st)
{
	return (struct sq_store *)st;
}

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
store_fail(struct sq_store *q, int rc, char **error_r, const char *what)
{
	q->st.temporary = store_code_temporary(rc);
	*error_r = xasprintf("store %s: %s: %s", q->st.name, what,
			     q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
	return -1;
}

/* The prepared statement for sql, made on first use; NULL on error. */
static struct store_stmt *
sq_prepare(struct store *st, const char *sql, char **error_r)
{
	struct sq_store *q = sq(st);
	sqlite3_stmt *stmt;
	int rc;

	for (size_t i = 0; i < q->n_stmts; i++) {
		if (q->stmts[i].sql == sql) {
			sqlite3_reset(q->stmts[i].stmt);
			sqlite3_clear_bindings(q->stmts[i].stmt);
			return (struct store_stmt *)(void *)q->stmts[i].stmt;
		}
	}
	rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK) {
		store_fail(q, rc, error_r, "prepare");
		return NULL;
	}
	if (q->n_stmts < STORE_MAX_STMTS) {
		q->stmts[q->n_stmts].sql = sql;
		q->stmts[q->n_stmts].stmt = stmt;
		q->n_stmts++;
	}
	return (struct store_stmt *)(void *)stmt;
}

/* Ends use of a statement: reset for the next use, or finalized if it did
 * not get cached (only when the cache is full). */
static void
sq_done(struct store *st, struct store_stmt *s)
{
	struct sq_store *q = sq(st);
	sqlite3_stmt *stmt = SQ(s);

	for (size_t i = 0; i < q->n_stmts; i++) {
		if (q->stmts[i].stmt == stmt) {
			sqlite3_reset(stmt);
			return;
		}
	}
	sqlite3_finalize(stmt);
}

static void
sq_bind_null(struct store_stmt *s, int i)
{
	sqlite3_bind_null(SQ(s), i);
}

static void
sq_bind_int64(struct store_stmt *s, int i, long long v)
{
	sqlite3_bind_int64(SQ(s), i, (sqlite3_int64)v);
}

static void
sq_bind_text(struct store_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(SQ(s), i);
	else
		sqlite3_bind_text(SQ(s), i, v, -1, SQLITE_STATIC);
}

static void
sq_bind_blob(struct store_stmt *s, int i, const void *v, size_t len)
{
	sqlite3_bind_blob64(SQ(s), i, v, len, SQLITE_STATIC);
}

static int
sq_step(struct store *st, struct store_stmt *s, char **error_r, const char *what)
{
	int rc = sqlite3_step(SQ(s));

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(sq(st), rc, error_r, what);
}

static long long
sq_col_int64(struct store_stmt *s, int i)
{
	return sqlite3_column_int64(SQ(s), i);
}

static const char *
sq_col_text(struct store_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(SQ(s), i);
}

static const void *
sq_col_blob(struct store_stmt *s, int i, size_t *len_r)
{
	const void *v = sqlite3_column_blob(SQ(s), i);

	*len_r = (size_t)sqlite3_column_bytes(SQ(s), i);
	return v;
}

static int
sq_col_count(struct store_stmt *s)
{
	return sqlite3_column_count(SQ(s));
}

static const char *
sq_col_name(struct store_stmt *s, int i)
{
	return sqlite3_column_name(SQ(s), i);
}

static enum store_value
sq_col_type(struct store_stmt *s, int i)
{
	switch (sqlite3_column_type(SQ(s), i)) {
	case SQLITE_INTEGER:
		return STORE_INT;
	case SQLITE_TEXT:
		return STORE_TEXT;
	case SQLITE_BLOB:
		return STORE_BLOB;
	default:
		/* NULL, and the REAL no column of ours holds */
		return STORE_NULL;
	}
}

static long
sq_changes(struct store *st)
{
	return sqlite3_changes(sq(st)->db);
}

static int
store_exec(struct sq_store *q, const char *sql, char **error_r)
{
	char *msg = NULL;
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		q->st.temporary = store_code_temporary(rc);
		*error_r = xasprintf("store %s: %s", q->st.name, msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
store_migrate(struct sq_store *q, char **error_r)
{
	sqlite3_stmt *s;
	int version, rc;

	if (store_exec(q, "BEGIN IMMEDIATE", error_r) < 0)
		return -1;
	rc = sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		if (rc == SQLITE_OK)
			sqlite3_finalize(s);
		store_fail(q, rc, error_r, "schema version");
		sq_rollback(&q->st);
		return -1;
	}
	version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > STORE_SCHEMA_VERSION) {
		sq_rollback(&q->st);
		q->st.temporary = false;
		*error_r = xasprintf("store %s: schema version %d is newer than this "
				     "redress knows (%d); upgrade redress", q->st.name,
				     version, STORE_SCHEMA_VERSION);
		return -1;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		char *err = NULL;
		char pragma[64];

		if (store_exec(q, store_migrations[version], &err) < 0) {
			*error_r = xasprintf("%s (migrating to schema %d)", err, version + 1);
			free(err);
			sq_rollback(&q->st);
			return -1;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
		if (store_exec(q, pragma, error_r) < 0) {
			sq_rollback(&q->st);
			return -1;
		}
	}
	return store_exec(q, "COMMIT", error_r);
}

/* PRAGMA journal_mode=WAL on a new store asks for an exclusive lock
 * without calling the busy handler, so processes that open a new store at
 * the same moment (an MTA's parallel deliveries) get "database is locked"
 * at once.  Retry for as long as the busy timeout would have waited. */
static int
store_wal_mode(struct sq_store *q, long busy_timeout_ms, char **error_r)
{
	long waited = 0;

	while (store_exec(q, "PRAGMA journal_mode=WAL", error_r) < 0) {
		if ((sqlite3_errcode(q->db) & 0xff) != SQLITE_BUSY ||
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
store_connect(struct sq_store *q, const char *path, int flags, long busy_timeout_ms,
	      char **error_r)
{
	int rc = sqlite3_open_v2(path, &q->db, flags | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK)
		return store_fail(q, rc, error_r, "open");
	sqlite3_busy_timeout(q->db, (int)busy_timeout_ms);
	sqlite3_extended_result_codes(q->db, 1);
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
store_create(struct sq_store *q, const char *path, long busy_timeout_ms,
	     char **error_r)
{
	char *tmp = xasprintf("%s.new-%ld", path, (long)getpid());
	struct sq_store *t = xcalloc(1, sizeof(*t));
	int fd, ret = -1;

	t->st.be = &sq_backend;
	t->st.name = xstrdup(tmp);
	unlink(tmp);  /* a leftover of a process that died, with our pid */
	/* Made here rather than by SQLite, so that a missing directory is
	 * told apart from the rest; SQLite opens it as a new database. */
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = xasprintf("store %s: cannot create it: %s", path, strerror(errno));
		q->st.temporary = store_errno_temporary(errno);
		goto out;
	}
	close(fd);
	if (store_connect(t, tmp, SQLITE_OPEN_READWRITE, busy_timeout_ms, error_r) < 0 ||
	    store_exec(t, "PRAGMA journal_mode=WAL", error_r) < 0 ||
	    store_exec(t, "PRAGMA synchronous=FULL", error_r) < 0 ||
	    store_migrate(t, error_r) < 0) {
		q->st.temporary = t->st.temporary;
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
		q->st.temporary = store_errno_temporary(errno);
		goto out;
	}
	if (link(tmp, path) < 0 && errno != EEXIST) {
		*error_r = xasprintf("store %s: cannot create it: %s", path, strerror(errno));
		q->st.temporary = store_errno_temporary(errno);
		goto out;
	}
	if (store_sync_dir(path) < 0) {
		*error_r = xasprintf("store %s: cannot sync its directory: %s", path,
				     strerror(errno));
		q->st.temporary = true;
		goto out;
	}
	ret = 0;
out:
	if (t->db != NULL)
		sqlite3_close(t->db);
	unlink(tmp);
	free(t->st.name);
	free(t);
	free(tmp);
	return ret;
}

/* Refuses a store that is an empty file, or that other users may read
 * (unless opt allows it): it holds every complaint, and the key that
 * signs our Message-IDs. */
static int
store_check_file(struct sq_store *q, const char *path, const struct store_options *opt,
		 char **error_r)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		*error_r = xasprintf("store %s: %s", path, strerror(errno));
		q->st.temporary = store_errno_temporary(errno);
		return -1;
	}
	q->st.temporary = false;
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
store_sqlite_open(const char *path, const struct store_options *opt, struct store **st_r,
		  char **error_r)
{
	struct sq_store *q = xcalloc(1, sizeof(*q));
	struct stat sb;

	q->st.be = &sq_backend;
	*st_r = &q->st;  /* also on failure, so the caller can ask store_temporary */
	q->st.name = xstrdup(path);
	if (stat(path, &sb) < 0 && errno == ENOENT &&
	    store_create(q, path, opt->busy_timeout_ms, error_r) < 0)
		return -1;
	if (store_check_file(q, path, opt, error_r) < 0 ||
	    store_connect(q, path, SQLITE_OPEN_READWRITE, opt->busy_timeout_ms,
			  error_r) < 0)
		return -1;
	/* A delivery filter opens the store for one message.  Checkpointing
	 * the WAL on every close would cost three more fsyncs and a new WAL
	 * file (and a directory fsync) per message; store_close trims it only
	 * once it is large (see store_trim_wal). */
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (store_wal_mode(q, opt->busy_timeout_ms, error_r) < 0 ||
	    store_exec(q, "PRAGMA synchronous=FULL", error_r) < 0 ||
	    store_exec(q, "PRAGMA foreign_keys=ON", error_r) < 0 ||
	    store_migrate(q, error_r) < 0)
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
store_trim_wal(struct sq_store *q)
{
	sqlite3_file *wal = NULL;
	sqlite3_int64 size = 0;

	if (sqlite3_file_control(q->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
				 &wal) != SQLITE_OK ||
	    wal == NULL || wal->pMethods == NULL ||
	    wal->pMethods->xFileSize(wal, &size) != SQLITE_OK ||
	    size <= STORE_WAL_KEEP)
		return;
	sqlite3_busy_timeout(q->db, 0);
	(void)sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

static void
sq_close(struct store *st)
{
	struct sq_store *q = sq(st);

	for (size_t i = 0; i < q->n_stmts; i++)
		sqlite3_finalize(q->stmts[i].stmt);
	if (q->db != NULL) {
		store_trim_wal(q);
		sqlite3_close(q->db);
	}
	free(q->st.name);
	free(q);
}

/* Transaction control through cached statements: sqlite3_exec would
 * parse the SQL again every time, a fifth of a send run's instructions. */
static int
store_txn(struct sq_store *q, const char *sql, char **error_r)
{
	struct store_stmt *s = sq_prepare(&q->st, sql, error_r);
	int rc;

	if (s == NULL)
		return -1;
	rc = sq_step(&q->st, s, error_r, sql);
	sq_done(&q->st, s);
	return rc < 0 ? -1 : 0;
}

static int
sq_begin(struct store *st, char **error_r)
{
	static const char sql[] = "BEGIN IMMEDIATE";

	if (store_txn(sq(st), sql, error_r) < 0)
		return -1;
	st->in_txn = true;
	return 0;
}

static int
sq_commit(struct store *st, char **error_r)
{
	static const char sql[] = "COMMIT";

	if (store_txn(sq(st), sql, error_r) < 0) {
		sq_rollback(st);
		return -1;
	}
	st->in_txn = false;
	return 0;
}

static void
sq_rollback(struct store *st)
{
	static const char sql[] = "ROLLBACK";
	char *err = NULL;

	if (sqlite3_get_autocommit(sq(st)->db) == 0)
		store_txn(sq(st), sql, &err);
	free(err);
	st->in_txn = false;
}

static int
sq_durable(struct store *st, bool full, char **error_r)
{
	return store_exec(sq(st), full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			  error_r);
}

static int
sq_sync(struct store *st, char **error_r)
{
	struct sq_store *q = sq(st);
	int rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
					   NULL, NULL);

	/* BUSY: a reader holds old pages; the WAL itself was still synced. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return store_fail(q, rc, error_r, "sync");
	return 0;
}

/*
 * Words for FTS5's MATCH: each word of text as a quoted string, so that
 * whatever a person types ("don't", "NEAR", a lone quote) is words to
 * find, never query syntax; all of them must occur.  NULL when text has
 * no word.
 */
static char *
sq_search_query(const char *text)
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

static const struct store_backend sq_backend = {
	.name = "sqlite",
	.prepare = sq_prepare,
	.done = sq_done,
	.bind_null = sq_bind_null,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.step = sq_step,
	.col_int64 = sq_col_int64,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.col_count = sq_col_count,
	.col_name = sq_col_name,
	.col_type = sq_col_type,
	.changes = sq_changes,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.durable = sq_durable,
	.sync = sq_sync,
	.close = sq_close,
	.skip_locked = false,
	/* The FTS5 index of schema 8 (the messages people wrote). */
	.search_sql = " AND id IN (SELECT m.case_id FROM message_text t"
		"  JOIN messages m ON m.id = t.rowid WHERE message_text MATCH ?15)",
	.search_query = sq_search_query,
};
