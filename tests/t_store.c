/*
 * t_store - the store's own promises, checked on a real SQLite file:
 * schema migration and refusal of a newer schema, the Message-ID key
 * shared by every connection, the sender counts that stop at their
 * limit, the WAL trimmed on close, and a locked store reported as a
 * temporary failure.  (Intake, the outbox and the commands are tested
 * through the store by the script tests.)
 */
#include "autoconfig.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tap.h"
#include "base/xmem.h"

static char dir[] = "/tmp/t_store.XXXXXX";

static char *
path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static struct store *
open_ok(const char *path)
{
	struct store *st = NULL;
	char *err = NULL;

	if (store_open(path, &(struct store_options){ .busy_timeout_ms = 2000 }, &st, &err) < 0) {
		diag("store_open %s: %s", path, err);
		free(err);
		store_close(&st);
		return NULL;
	}
	return st;
}

/* Runs sql on the file directly, as an older redress or another process. */
static void
raw_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		diag("sqlite3 %s: %s", sql, msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
}

static char *
raw_text(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *v = NULL;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
			v = xstrdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v != NULL ? v : xstrdup("(none)");
}

/* Undoes what schemas 6 to 9 added (issue 15: event authors, owners,
 * the full text index, merges and links), for the tests that take a store
 * back to an older schema. */
#define UNDO_AGENTS \
	"ALTER TABLE events DROP COLUMN author;" \
	"DROP INDEX cases_owner; ALTER TABLE cases DROP COLUMN owner;" \
	"DROP TRIGGER message_text_ai; DROP TRIGGER message_text_ad;" \
	"DROP TRIGGER message_text_au; DROP TABLE message_text;" \
	"DROP TABLE case_links; ALTER TABLE cases DROP COLUMN merged_into;"

static void
test_schema(void)
{
	char *path = path_in("schema.db"), *v, *latest, *err = NULL;
	struct store *st = open_ok(path);

	ok(st != NULL, "a new store opens");
	store_close(&st);
	/* The latest number is not written here: branches add migrations. */
	latest = raw_text(path, "PRAGMA user_version");
	ok(atoi(latest) >= 6, "it is made at the latest schema (%s)", latest);

	/* What schema 1 had: the old rate-limit index, none of the rates
	 * table (3), the outcome (4) or the delivery columns (5). */
	raw_sql(path, "DROP INDEX jobs_rcpt;"
		"CREATE INDEX jobs_rcpt ON jobs(rcpt, kind, created);"
		"ALTER TABLE cases DROP COLUMN outcome;"
		"DROP TABLE rates;"
		"ALTER TABLE jobs DROP COLUMN first_try;"
		"ALTER TABLE jobs DROP COLUMN unconfirmed;"
		"ALTER TABLE jobs DROP COLUMN lease;"
		"ALTER TABLE cases DROP COLUMN traffic;"
		"ALTER TABLE cases DROP COLUMN traffic_reasons;"
		UNDO_AGENTS
		"INSERT INTO meta (name, value) VALUES ('keep-me', x'01');"
		"PRAGMA user_version = 1;");
	st = open_ok(path);
	ok(st != NULL, "a schema-1 store opens");
	store_close(&st);
	v = raw_text(path, "PRAGMA user_version");
	is_str(v, latest, "and is migrated to the latest schema");
	free(v);
	v = raw_text(path, "SELECT sql FROM sqlite_master WHERE name = 'jobs_rcpt'");
	ok(strstr(v, "rcpt, kind, state, created") != NULL,
	   "the migration rebuilds the rate-limit index (%s)", v);
	free(v);
	v = raw_text(path, "SELECT count(*) FROM pragma_table_info('jobs')"
		     " WHERE name IN ('first_try', 'unconfirmed', 'lease')");
	is_str(v, "3", "and adds the delivery columns of schema 3");
	free(v);
	v = raw_text(path, "SELECT count(*) FROM meta WHERE name = 'keep-me'");
	is_str(v, "1", "and keeps the data");
	free(v);

	{
		char *sql = xasprintf("PRAGMA user_version = %d;", atoi(latest) + 1);
		char *want = xasprintf("schema version %d is newer", atoi(latest) + 1);

		raw_sql(path, sql);
		ok(store_open(path, &(struct store_options){ .busy_timeout_ms = 2000 }, &st,
			      &err) < 0, "a newer schema is refused");
		ok(err != NULL && strstr(err, want) != NULL,
		   "with a reason (%s)", err != NULL ? err : "none");
		free(sql);
		free(want);
	}
	ok(!store_temporary(st), "and not as a temporary failure (a retry cannot help)");
	free(err);
	store_close(&st);
	free(latest);
	free(path);
}

/*
 * Schema 3 -> 4 (issue 11): a case that was "not a complaint" had a plain
 * ack, an SLA clock and a follow-up that apologised.  It becomes a
 * question, and its queued follow-up is not sent; a complaint's is.
 */
static void
test_outcome_migration(void)
{
	char *path = path_in("outcome.db"), *v;
	struct store *st = open_ok(path);
	struct store_case c;
	char *err = NULL;

	store_case_init(&c);
	store_close(&st);
	raw_sql(path, "ALTER TABLE cases DROP COLUMN outcome;"
		"ALTER TABLE cases DROP COLUMN traffic;"
		"ALTER TABLE cases DROP COLUMN traffic_reasons;"
		"ALTER TABLE jobs DROP COLUMN first_try;"
		"ALTER TABLE jobs DROP COLUMN unconfirmed;"
		"ALTER TABLE jobs DROP COLUMN lease;"
		UNDO_AGENTS
		"INSERT INTO cases (id, state, created, updated, complaint, first_response_due)"
		"  VALUES (1, 'acknowledged', 1, 1, 0, 100), (2, 'acknowledged', 1, 1, 1, 100),"
		"  (3, 'held', 1, 1, 1, NULL);"
		"INSERT INTO jobs (case_id, kind, state, due, created, rcpt) VALUES"
		"  (1, 'followup', 'queued', 5, 1, 'a@example.org'),"
		"  (1, 'ack-plain', 'sent', 1, 1, 'a@example.org'),"
		"  (2, 'followup', 'queued', 5, 1, 'b@example.org');"
		"PRAGMA user_version = 3;");
	st = open_ok(path);
	ok(st != NULL, "a schema-3 store opens");
	v = raw_text(path, "SELECT group_concat(id || ':' || coalesce(outcome, '-'), ' ')"
		     " FROM (SELECT * FROM cases ORDER BY id)");
	is_str(v, "1:question 2:complaint 3:-",
	       "a not-complaint case is a question, a complaint a complaint, held none");
	free(v);
	v = raw_text(path, "SELECT group_concat(id || ':' || coalesce(traffic, '-'), ' ')"
		     " FROM (SELECT * FROM cases ORDER BY id)");
	is_str(v, "1:ok 2:ok 3:-", "cases from before the traffic verdict are ok, held none");
	free(v);
	v = raw_text(path, "SELECT group_concat(case_id || ':' || kind || ':' || state, ' ')"
		     " FROM (SELECT * FROM jobs ORDER BY id)");
	is_str(v, "1:followup:suppressed 1:ack-plain:sent 2:followup:queued",
	       "the not-complaint's queued follow-up is not sent; the complaint's is");
	free(v);
	ok(st != NULL && store_case_get(st, 1, &c, &err) == 1 &&
	   c.outcome == OUTCOME_QUESTION && c.priority == PRIORITY_NONE,
	   "store_case_get reads the outcome, and no priority as none");
	store_case_clear(&c);
	/* A word this redress does not know is an error, not a guess. */
	store_close(&st);
	raw_sql(path, "UPDATE cases SET state = 'pondering' WHERE id = 2;"
		"UPDATE jobs SET kind = 'telegram' WHERE id = 3;");
	st = open_ok(path);
	free(err);
	err = NULL;
	ok(st != NULL && store_case_get(st, 2, &c, &err) == -1 && c.id == 0 && err != NULL &&
	   strstr(err, "case 2: unknown state \"pondering\"") != NULL,
	   "an unknown case state is an error (%s)", err != NULL ? err : "none");
	free(err);
	err = NULL;
	{
		struct store_job *jobs = NULL;
		size_t n = 0;

		ok(st != NULL && store_jobs_list(st, 1, &jobs, &n, &err) == 0 && n == 2,
		   "the jobs of the other case read");
		store_jobs_free(&jobs, n);
		free(err);
		err = NULL;
		ok(st != NULL && store_jobs_list(st, 2, &jobs, &n, &err) == -1 && err != NULL &&
		   strstr(err, "job 3: unknown kind \"telegram\"") != NULL,
		   "an unknown job kind is an error (%s)", err != NULL ? err : "none");
	}
	free(err);
	store_close(&st);
	free(path);
}

static void
test_secret(void)
{
	char *path = path_in("secret.db"), *err = NULL;
	struct store *a = open_ok(path), *b = open_ok(path);
	unsigned char *k1 = NULL, *k2 = NULL, *k3 = NULL;

	ok(store_secret(a, "msgid-key", 32, &k1, &err) == 0, "a key is made on first use");
	ok(store_secret(a, "msgid-key", 32, &k2, &err) == 0 && memcmp(k1, k2, 32) == 0,
	   "and read back the same");
	ok(store_secret(b, "msgid-key", 32, &k3, &err) == 0 && memcmp(k1, k3, 32) == 0,
	   "another connection gets the same key");
	free(k2);
	free(k3);
	k2 = NULL;
	ok(store_secret(b, "msgid-key", 16, &k2, &err) < 0 && k2 == NULL,
	   "a stored key of another size is an error");
	ok(err != NULL && strstr(err, "has 32 bytes, not 16") != NULL, "that says so (%s)",
	   err != NULL ? err : "none");
	free(err);
	free(k1);
	store_close(&a);
	store_close(&b);
	free(path);
}

static long long
add_case(struct store *st, const char *customer, const char *state, time_t created)
{
	struct store_case c;
	long long id = 0;
	char *err = NULL;

	store_case_init(&c);
	if (case_state_parse(state, &c.state) < 0)
		diag("add_case: no state %s", state);
	c.customer = (char *)customer;
	c.created = created;
	c.updated = created;
	c.complaint = true;
	c.priority = PRIORITY_NORMAL;
	if (store_case_add(st, &c, &id, &err) < 0) {
		diag("store_case_add: %s", err);
		free(err);
	}
	return id;
}

static void
add_job(struct store *st, long long case_id, const char *kind, const char *state,
	const char *rcpt, time_t created)
{
	struct store_job j;
	long long id;
	char *err = NULL;

	memset(&j, 0, sizeof(j));
	j.case_id = case_id;
	if (job_kind_parse(kind, &j.kind) < 0 || job_state_parse(state, &j.state) < 0)
		diag("add_job: no kind %s or state %s", kind, state);
	j.due = created;
	j.created = created;
	j.rcpt = (char *)rcpt;
	if (store_job_add(st, &j, &id, &err) < 0) {
		diag("store_job_add: %s", err);
		free(err);
	}
}

static long
count_cases(struct store *st, const char *who, time_t since, long long except, long limit)
{
	long n = -1;
	char *err = NULL;

	if (store_case_count_customer(st, who, since, except, limit, &n, &err) < 0) {
		diag("count: %s", err);
		free(err);
	}
	return n;
}

static long
count_acks(struct store *st, const char *who, time_t since, long limit)
{
	long n = -1;
	char *err = NULL;

	if (store_acks_to(st, who, since, limit, &n, &err) < 0) {
		diag("acks: %s", err);
		free(err);
	}
	return n;
}

static void
test_counts(void)
{
	static const struct {
		long limit;
		time_t since;
		long want_cases, want_acks;
		const char *what;
	} rows[] = {
		{ 0, 0, 10, 5, "no limit: all of them" },
		{ -1, 0, 10, 5, "a negative limit is no limit" },
		{ 3, 0, 3, 3, "limit 3 stops at 3" },
		{ 1, 0, 1, 1, "limit 1 answers 'any'" },
		{ 100, 0, 10, 5, "a limit above the count changes nothing" },
		{ 0, 1005, 5, 0, "only rows at or after since" },
		{ 2, 1005, 2, 0, "since and limit together" },
	};
	char *path = path_in("counts.db"), *err = NULL;
	struct store *st = open_ok(path);
	long long first = 0;

	store_begin(st, &err);
	for (int i = 0; i < 10; i++) {
		long long id = add_case(st, "form@shop.example", "new", 1000 + i);

		if (i == 0)
			first = id;
		/* acks 1000..1004 count; suppressed and follow-ups never do */
		add_job(st, id, i < 5 ? "ack" : "ack-plain", i < 5 ? "sent" : "suppressed",
			"form@shop.example", 1000 + i);
		add_job(st, id, "followup", "queued", "form@shop.example", 1000 + i);
	}
	add_case(st, "form@shop.example", "held", 1000);
	add_case(st, "other@shop.example", "new", 1000);
	for (int i = 0; i < 20; i++)
		add_job(st, first, "ack", "suppressed", "form@shop.example", 1000);
	store_commit(st, &err);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		is_int(count_cases(st, "form@shop.example", rows[i].since, 0, rows[i].limit),
		       rows[i].want_cases, "cases: %s", rows[i].what);
		is_int(count_acks(st, "form@shop.example", rows[i].since, rows[i].limit),
		       rows[i].want_acks, "acks: %s", rows[i].what);
	}
	is_int(count_cases(st, "form@shop.example", 0, first, 0), 9,
	       "cases: the case itself can be left out");
	is_int(count_cases(st, "nobody@shop.example", 0, 0, 5), 0, "cases: a stranger has none");
	store_close(&st);
	free(path);
}

/* Claims of a batch: the due queued jobs in claim order (due, then id),
 * at most max, each marked sending with the owner and lease given. */
static void
test_jobs_claim(void)
{
	char *path = path_in("claim.db"), *err = NULL;
	struct store *st = open_ok(path);
	struct store_job *jobs = NULL, one;
	size_t n = 99;
	long long c;
	long released = -1;
	/* Job ids 1..7: due time and state. */
	static const struct { time_t due; const char *state; } rows[] = {
		{ 1005, "queued" }, { 1001, "queued" }, { 1003, "queued" },
		{ 1001, "queued" }, { 2000, "queued" }, { 1000, "sent" },
		{ 1002, "sending" },
	};

	store_begin(st, &err);
	c = add_case(st, "claim@shop.example", "new", 1000);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		add_job(st, c, "ack", rows[i].state, "claim@shop.example", rows[i].due);
	store_commit(st, &err);

	ok(store_jobs_claim(st, 1500, "1@claimhost", 5000, 3, &jobs, &n, &err) == 0,
	   "claim: a batch of 3");
	is_int((long)n, 3, "claim: 3 claimed");
	if (n == 3) {
		is_int((long)jobs[0].id, 2, "claim: first the earliest due");
		is_int((long)jobs[1].id, 4, "claim: an equal due goes by id");
		is_int((long)jobs[2].id, 3, "claim: then the next due");
		ok(jobs[0].state == JOB_SENDING && jobs[2].state == JOB_SENDING,
		   "claim: returned as sending");
		ok(jobs[1].rcpt != NULL && strcmp(jobs[1].rcpt, "claim@shop.example") == 0,
		   "claim: the job's columns are read");
	}
	store_jobs_free(&jobs, n);
	ok(store_job_get(st, 4, &one, &err) == 1 && one.state == JOB_SENDING,
	   "claim: the store has it sending");
	store_job_clear(&one);
	ok(store_jobs_claim(st, 1500, "1@claimhost", 5000, 10, &jobs, &n, &err) == 0 &&
	   n == 1 && jobs[0].id == 1, "claim: the rest that is due, not the one due later");
	store_jobs_free(&jobs, n);
	ok(store_jobs_claim(st, 1500, "1@claimhost", 5000, 10, &jobs, &n, &err) == 0 &&
	   n == 0 && jobs == NULL, "claim: none left due");
	/* Owner and lease were set: live until 5000, another host's. */
	store_jobs_release_stale(st, "2@otherhost", 4999, &released, &err);
	is_int(released, 1, "claim: the claims hold until their lease (only the "
	       "ownerless one is taken back)");
	store_jobs_release_stale(st, "2@otherhost", 5001, &released, &err);
	is_int(released, 4, "claim: and go back after it");
	free(err);
	store_close(&st);
	free(path);
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* Writes about kb kilobytes of messages in one transaction. */
static void
write_kb(struct store *st, int kb, int tag)
{
	static char raw[64 * 1024];
	struct store_message m;
	long long id;
	char fp[64], *err = NULL;

	memset(raw, 'x', sizeof(raw));
	memset(&m, 0, sizeof(m));
	m.direction = "in";
	m.source = "test";
	m.raw = raw;
	m.raw_len = sizeof(raw);
	m.received = 1000;
	store_begin(st, &err);
	for (int i = 0; i < kb / 64; i++) {
		snprintf(fp, sizeof(fp), "fp-%d-%d", tag, i);
		m.fingerprint = fp;
		if (store_message_add(st, &m, &id, &err) < 0) {
			diag("store_message_add: %s", err);
			free(err);
			err = NULL;
		}
	}
	store_commit(st, &err);
	free(err);
}

static void
test_wal(void)
{
	char *path = path_in("wal.db"), *wal = path_in("wal.db-wal");
	struct store *st = open_ok(path);
	sqlite3 *reader;
	sqlite3_stmt *s;

	write_kb(st, 256, 1);
	store_close(&st);
	ok(file_size(wal) > 0, "a small WAL is left on close (%lld bytes): no sync for it",
	   (long long)file_size(wal));

	st = open_ok(path);
	write_kb(st, 2048, 2);
	ok(file_size(wal) > 1024 * 1024, "2 MB written: the WAL holds them (%lld bytes)",
	   (long long)file_size(wal));
	store_close(&st);
	is_int(file_size(wal), 0, "closing truncates a WAL over 1 MiB");

	/* A reader in the middle of a transaction: the closing writer must
	 * not wait for it, and cannot truncate under it. */
	st = open_ok(path);
	write_kb(st, 2048, 3);
	sqlite3_open(path, &reader);
	sqlite3_prepare_v2(reader, "SELECT count(*) FROM messages", -1, &s, NULL);
	sqlite3_exec(reader, "BEGIN", NULL, NULL, NULL);
	ok(sqlite3_step(s) == SQLITE_ROW, "a reader holds a snapshot");
	store_close(&st);
	ok(file_size(wal) > 0, "with the reader in a transaction the WAL stays (%lld bytes)",
	   (long long)file_size(wal));
	sqlite3_finalize(s);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	st = open_ok(path);
	store_close(&st);
	is_int(file_size(wal), 0, "and the next close truncates it");
	free(wal);
	free(path);
}

static void
test_locked(void)
{
	char *path = path_in("locked.db"), *err = NULL;
	struct store *st = open_ok(path);
	sqlite3 *other;

	store_close(&st);
	sqlite3_open(path, &other);
	sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
	if (store_open(path, &(struct store_options){ .busy_timeout_ms = 50 }, &st, &err) == 0) {
		ok(store_begin(st, &err) < 0, "a store locked by another process cannot begin");
	} else {
		ok(1, "a store locked by another process cannot even be opened");
	}
	ok(store_temporary(st), "and that is a temporary failure (%s)", err != NULL ? err : "none");
	free(err);
	store_close(&st);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	free(path);
}

/* Eight processes open a store that does not exist yet and take its
 * Message-ID key, as an MTA's parallel first deliveries do; ten rounds.
 * Returns how many of them failed. */
static int
parallel_first_opens(void)
{
	int failed = 0;

	for (int round = 0; round < 10; round++) {
		char *path = xasprintf("%s/parallel%d.db", dir, round);
		pid_t pids[8];

		for (int i = 0; i < 8; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct store *st = NULL;
				unsigned char *key = NULL;
				char *err = NULL;
				int rc = store_open(path, &(struct store_options){ .busy_timeout_ms = 10000 }, &st, &err) == 0 &&
					 store_secret(st, "msgid-key", 32, &key, &err) == 0;

				if (!rc)
					printf("# child: %s\n", err != NULL ? err : "?");
				fflush(stdout);
				_exit(rc ? 0 : 1);
			}
		}
		for (int i = 0; i < 8; i++) {
			int status;

			if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				failed++;
		}
		free(path);
	}
	return failed;
}

/* PRAGMA journal_mode=WAL on a store in rollback mode needs an exclusive
 * lock, and when another process holds the write lock SQLite does not wait
 * for it; store_open must.  A child holds a write transaction on a new
 * (rollback-mode) file for 300 ms. */
static void
test_wal_conversion_waits(void)
{
	char *path = path_in("convert.db"), *err = NULL;
	struct store *st = NULL;
	int fds[2];
	char c;
	pid_t pid;
	bool opened;

	raw_sql(path, "PRAGMA journal_mode=DELETE; CREATE TABLE early (x);");
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		ok(0, "pipe/fork");
		return;
	}
	if (pid == 0) {
		sqlite3 *db;
		sqlite3_stmt *s;

		sqlite3_open(path, &db);
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		sqlite3_prepare_v2(db, "SELECT count(*) FROM early", -1, &s, NULL);
		sqlite3_step(s);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		sqlite3_finalize(s);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1)
		diag("the child did not take its lock");
	close(fds[0]);
	opened = store_open(path, &(struct store_options){ .busy_timeout_ms = 5000 }, &st, &err) == 0;
	ok(opened, "opening a store while another process writes it in rollback mode waits (%s)",
	   err != NULL ? err : "opened");
	free(err);
	store_close(&st);
	waitpid(pid, NULL, 0);
	free(path);
}

static void
test_parallel(void)
{
	is_int(parallel_first_opens(), 0,
	       "8 processes opening one new store at once, 10 times: all succeed");
}

/* The store as a file: its mode whatever the umask, and what is refused. */
static void
test_file(void)
{
	char *path = path_in("file.db"), *err = NULL, *wal;
	struct store *st = NULL;
	struct stat sb = { 0 };
	mode_t old = umask(022);
	FILE *f;

	st = open_ok(path);
	umask(old);
	ok(st != NULL && stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	   "a new store is 0600 under umask 022 (mode %04o)", (unsigned)(sb.st_mode & 07777));
	wal = xasprintf("%s-wal", path);
	ok(stat(wal, &sb) == 0 && (sb.st_mode & 0777) == 0600, "and so is its WAL");
	free(wal);
	store_close(&st);

	chmod(path, 0644);
	ok(store_open(path, &(struct store_options){ .busy_timeout_ms = 100 }, &st, &err) < 0 &&
	   !store_temporary(st) && strstr(err, "other users can read it") != NULL,
	   "a store others can read is refused, for good");
	free(err);
	err = NULL;
	store_close(&st);
	ok(store_open(path, &(struct store_options){ .busy_timeout_ms = 100,
		      .others_may_read = true }, &st, &err) == 0,
	   "unless others_may_read");
	store_close(&st);
	chmod(path, 0600);
	free(path);

	path = path_in("empty.db");
	f = fopen(path, "w");
	if (f != NULL)
		fclose(f);
	chmod(path, 0600);
	ok(store_open(path, &(struct store_options){ .busy_timeout_ms = 100 }, &st, &err) < 0 &&
	   !store_temporary(st) && strstr(err, "an empty file, not a redress store") != NULL,
	   "an empty file is not taken for a new store");
	free(err);
	err = NULL;
	store_close(&st);
	ok(stat(path, &sb) == 0 && sb.st_size == 0, "and is left empty");
	free(path);

	path = path_in("no/such/dir/x.db");
	ok(store_open(path, &(struct store_options){ .busy_timeout_ms = 100 }, &st, &err) < 0 &&
	   !store_temporary(st) && strstr(err, "cannot create it: No such file or directory") != NULL,
	   "a store in a missing directory is a permanent failure, saying why");
	free(err);
	store_close(&st);
	free(path);
}

int
main(void)
{
	/* As redress's main() does: files made outside store_open (by
	 * sqlite3 directly, standing in for older versions) are 0600 too. */
	umask(077);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_schema();
	test_outcome_migration();
	test_secret();
	test_counts();
	test_jobs_claim();
	test_wal();
	test_locked();
	test_wal_conversion_waits();
	test_parallel();
	test_file();
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			diag("could not remove %s", dir);
		free(cmd);
	}
	return tap_exit();
}
