/*
 * store - everything redress keeps, behind one small interface.
 *
 * Every SQL statement lives in the store.  Writers wrap their work in store_begin/store_commit; intake
 * does all of one message's writes in one transaction, so a crash leaves
 * all of it or none.
 *
 * Results.  Every function that can fail returns -1 with *error_r
 * allocated (the caller frees it); store_temporary() says whether the last
 * failure was temporary (database locked, disk full, I/O error): a
 * delivery filter then exits 75 so the MTA retries.  Otherwise:
 *   lookups (store_*_get, store_message_find, store_message_raw,
 *   store_imap_get, store_job_claim)  1 found (*x_r filled), 0 none
 *   store_lock                        1 taken, 0 held by another
 *   everything else                   0 done
 *
 * Records.  One shape for all of them: the caller owns the struct, the
 * store fills it, and the record's _clear (one) or _free (an array and
 * its count) releases what the store allocated in it.  A list is an array
 * of structs.  Input records (the _add and _update functions) are const:
 * the store copies what it keeps.  The words of model/ are enums here;
 * their text exists only in the SQL.
 *
 * Backends.  This header is the interface the rest of redress sees; the
 * SQL is written once in store_sql.c against the statement interface of
 * store_int.h, which the SQLite (store_sqlite.c) and PostgreSQL
 * (store_pg.c) backends give, and store.c holds what any backend
 * shares.  Nothing above the store knows SQL, or which backend it has
 * (store_multi_node says whether other nodes may share it).
 */
#ifndef REDRESS_STORE_H
#define REDRESS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "model/case_state.h"
#include "model/job.h"
#include "model/outcome.h"
#include "model/priority.h"
#include "model/verdict.h"

struct store;

struct store_message {
	long long id;
	long long case_id;         /* 0: none yet */
	const char *direction;     /* "in" or "out" */
	const char *message_id;    /* header Message-ID without <>; may be NULL */
	const char *fingerprint;   /* message_fingerprint(): duplicate detection */
	const char *source;        /* "file:PATH", "imap:INBOX:UIDVALIDITY:UID", "filter" */
	const char *envelope_from; /* may be NULL */
	const char *envelope_to;
	time_t received;
	const char *from_addr;
	const char *from_name;
	const char *subject;
	const char *text;          /* decoded text, UTF-8 */
	const char *raw;           /* exactly as received */
	size_t raw_len;
	const char *held_reason;   /* NULL: parsed */
};

struct store_case {
	long long id;
	enum case_state state;
	char *customer;            /* the customer's address (where replies go) */
	char *customer_name;
	char *subject;
	time_t created;
	time_t updated;
	bool complaint;
	char *category;
	char *label;
	enum priority priority;    /* PRIORITY_NONE: held */
	char *tags;                /* space separated */
	char *rules;               /* JSON array of the rules that fired */
	char *rules_version;
	time_t first_response_due;
	time_t resolution_due;
	time_t first_response_at;
	time_t resolved_at;
	bool first_response_breached;
	bool resolution_breached;
	time_t paused_at;          /* waiting since; 0 when not waiting */
	long paused_seconds;       /* business seconds paused in all */
	char *resolution_cause;
	char *held_reason;
	char *reply_note;          /* why no ack went out, or which address got it */
	enum case_state last_active_state; /* to return to on reopen; CASE_NONE */
	char *customer_msgid;      /* the customer's Message-ID of the first message */
	char *customer_refs;       /* its References, space separated */
	enum outcome outcome;      /* OUTCOME_NONE: held, or from before
				    * schema 3 (see caselife_outcome) */
	enum verdict traffic;      /* VERDICT_NONE: held (policy/traffic.h) */
	char *traffic_reasons;     /* JSON array of strings; NULL: none */
	char *owner;               /* the agent who owns it; NULL: nobody */
	long long merged_into;     /* state merged: the case it joined; else 0 */
};

struct store_event {
	long long id;
	long long case_id;
	time_t at;
	char *kind;
	char *detail;
	char *author;              /* the agent who made it; NULL: redress */
};

struct store_job {
	long long id;
	long long case_id;
	enum job_kind kind;
	enum job_state state;
	time_t due;
	time_t created;
	time_t sent_at;
	int attempts;
	char *last_error;
	char *rcpt;                /* envelope recipient */
	char *msgid;               /* our Message-ID for it, set at enqueue */
	char *detail;              /* e.g. which breach an escalation is about */
	time_t first_try;          /* its first attempt since queued or retried
				    * (0: none yet): [smtp] lifetime runs from it */
	int unconfirmed;           /* attempts that got no reply to the final dot */
};

struct store_case_filter {
	bool by_state;             /* false: any state */
	enum case_state state;     /* with by_state */
	bool breached_only;
	const char *customer;      /* NULL: any */
	time_t since;              /* created at or after; 0: any */
	size_t limit;              /* 0: no limit */
	long long after_id;        /* only ids above it (paging); 0: any */
	bool open_only;            /* new, acknowledged, responded, waiting */
	/* What "case list" asks for (issue 15); zero values: any. */
	bool by_priority;
	enum priority priority;    /* with by_priority */
	const char *category;
	const char *tag;           /* one of its tags */
	const char *owner;
	bool unassigned;           /* no owner */
	time_t until;              /* created before; 0: any */
	time_t due_before;         /* its running deadline (store_case_due) at
				    * or before; 0: any */
	const char *search;        /* words (all of them) in the subject or
				    * text of one of its messages */
	enum store_case_sort {
		STORE_SORT_ID,         /* oldest first: the default, and paging */
		STORE_SORT_DUE,        /* running deadline, soonest first; none last */
		STORE_SORT_CREATED,
		STORE_SORT_PRIORITY,   /* urgent first, then by id */
	} sort;
};

struct store_options {
	long busy_timeout_ms;      /* how long a writer waits for another */
	bool others_may_read;      /* accept a store file other users can read */
};

/*
 * Opens the store at path, creating it when there is no file there (made
 * whole under a temporary name, then linked into place), and migrating an
 * older schema.  Refuses an empty file (never a store of ours) and, unless
 * opt->others_may_read, a file that other users can read or write.
 * *st_r is set also on failure, for store_temporary(); close it.
 */
int store_open(const char *path, const struct store_options *opt,
	       struct store **st_r, char **error_r);
void store_close(struct store **st);
bool store_temporary(const struct store *st);
/* The store for messages: its path, or its URL without the password. */
const char *store_name(const struct store *st);
/* Which backend: "sqlite" or "postgresql". */
const char *store_kind(const struct store *st);
/* Whether several nodes may share the store (and claim jobs side by
 * side): PostgreSQL's. */
bool store_multi_node(const struct store *st);

/* Transactions: one writer at a time (SQLite's BEGIN IMMEDIATE, an
 * advisory lock in PostgreSQL), so that writers never deadlock and what a
 * writer reads stays true until it commits. */
int store_begin(struct store *st, char **error_r);
int store_commit(struct store *st, char **error_r);
void store_rollback(struct store *st);

/*
 * Durability of the commits that follow: full (fsync at every commit: the
 * default, and what intake needs, because a message's source lets go of it
 * once the commit returns) or not (WAL commits survive a crash of the
 * process but maybe not a power loss).  The outbox uses the second for its
 * own bookkeeping, where a lost record only means a job is sent again,
 * which the delivery bound in doc/design.md already allows.
 */
int store_durable(struct store *st, bool full, char **error_r);
/* Makes every commit so far durable (a WAL checkpoint, with fsync). */
int store_sync(struct store *st, char **error_r);

/* A secret kept in the store, made on first use (HMAC key for Message-IDs). */
int store_secret(struct store *st, const char *name, size_t len,
		 unsigned char **value_r, char **error_r);

/* 1 and the ids when a message with this fingerprint is stored, 0 if not. */
int store_message_find(struct store *st, const char *fingerprint,
		       long long *msg_id_r, long long *case_id_r, char **error_r);
int store_message_add(struct store *st, const struct store_message *m,
		      long long *id_r, char **error_r);
int store_message_set_case(struct store *st, long long msg_id, long long case_id,
			   char **error_r);
/* The raw bytes of a message (allocated) and its length. 1, 0 if none. */
int store_message_raw(struct store *st, long long msg_id, char **raw_r,
		      size_t *len_r, char **error_r);
struct store_message_info {
	long long id;
	char *direction;
	char *source;
	char *message_id;
	char *held_reason;
	time_t received;
	size_t size;
};
/* A case's messages, oldest first; free with store_message_infos_free. */
int store_case_messages(struct store *st, long long case_id,
			struct store_message_info **msgs_r, size_t *n_r,
			char **error_r);
void store_message_infos_free(struct store_message_info **msgs, size_t n);
/* Held messages not yet attached to a case are not possible: every stored
 * message belongs to a case (held ones to a held case). */

int store_case_add(struct store *st, const struct store_case *c, long long *id_r,
		   char **error_r);
/* Writes every field of c back (by c->id). */
int store_case_update(struct store *st, const struct store_case *c,
		      char **error_r);
/* 1 and the case in *c_r (release with store_case_clear), 0 when there is
 * no such case. */
int store_case_get(struct store *st, long long id, struct store_case *c_r,
		   char **error_r);
/* The cases f selects, oldest first: an array of n (store_cases_free). */
int store_case_list(struct store *st, const struct store_case_filter *f,
		    struct store_case **cases_r, size_t *n_r, char **error_r);
/*
 * The deadline a case's clock is running towards, as "case list" sorts
 * and filters by it: the first response's until one was made, then the
 * resolution's (not while waiting: that clock is paused); 0 for a case
 * that is not open or has no clock.  *clock_r (may be NULL): "first
 * response", "resolution" or NULL.
 */
time_t store_case_due(const struct store_case *c, const char **clock_r);
/*
 * Merges case from into case into: from's messages and events become
 * into's, and from's queued jobs are suppressed with why.  The cases
 * themselves (from's state and merged_into) are the caller's to write, in
 * the same transaction.  *n_msgs_r, *n_jobs_r (may be NULL): how many
 * messages moved and jobs were stopped.
 */
int store_case_merge(struct store *st, long long into, long long from, const char *why,
		     long *n_msgs_r, long *n_jobs_r, char **error_r);
/* Links cases a and b (either order): 1 linked now, 0 linked already. */
int store_case_link(struct store *st, long long a, long long b, time_t at,
		    const char *author, char **error_r);
/* The cases linked to id, ascending: an array (free()) of n. */
int store_case_links(struct store *st, long long id, long long **ids_r, size_t *n_r,
		     char **error_r);
/* Earlier cases of a customer created at or after since, counted up to
 * limit (all if limit <= 0); held, merged, quarantined and informational
 * cases do not count (a merged case is part of another; a list post or a
 * spam is no earlier complaint). */
int store_case_count_customer(struct store *st, const char *customer,
			      time_t since, long long except_id, long limit,
			      long *n_r, char **error_r);
/* A case with nothing set: zeroes, and the NONE values for the state, the
 * last active state, the priority and the outcome (zero is a real value
 * of each).  Start every case built by hand with it. */
void store_case_init(struct store_case *c);
/* Frees what the store allocated in c and leaves it as store_case_init. */
void store_case_clear(struct store_case *c);
/* Clears each of n cases and frees the array; NULLs *cases. */
void store_cases_free(struct store_case **cases, size_t n);

/* An event made by redress itself (author NULL). */
int store_event_add(struct store *st, long long case_id, time_t at,
		    const char *kind, const char *detail, char **error_r);
/* An event made by a person: author is the agent's name (cmd_author());
 * NULL is redress itself, as store_event_add. */
int store_event_add_by(struct store *st, long long case_id, time_t at, const char *kind,
		       const char *detail, const char *author, char **error_r);
int store_case_events(struct store *st, long long case_id,
		      struct store_event **ev_r, size_t *n_r, char **error_r);
void store_events_free(struct store_event **ev, size_t n);
/* The ids of the cases a person corrected: with at least one event of kind
 * recategorize, complaint, spam or release ("rules train --from-store"),
 * in id order; the caller frees *ids_r. */
int store_cases_corrected(struct store *st, long long **ids_r, size_t *n_r,
			  char **error_r);

int store_job_add(struct store *st, const struct store_job *j, long long *id_r,
		  char **error_r);
int store_job_update(struct store *st, const struct store_job *j,
		     char **error_r);
/* Jobs of one case (case_id > 0) or all jobs (case_id 0), oldest first. */
int store_jobs_list(struct store *st, long long case_id,
		    struct store_job **jobs_r, size_t *n_r, char **error_r);
/* Queued jobs due at or before now, in the order store_job_claim takes
 * them, at most limit (all if 0); free with store_jobs_free.  Reads only:
 * for a dry run of the sender. */
int store_jobs_due(struct store *st, time_t now, size_t limit,
		   struct store_job **jobs_r, size_t *n_r, char **error_r);
int store_job_get(struct store *st, long long id, struct store_job *j_r,
		  char **error_r);
/*
 * Claims the next queued job due at or before now: marks it "sending"
 * with owner and a lease until lease (real time, like locks), and returns
 * 1 and the job; 0 when none is due.  The claim ends when the job is
 * updated to any other state.
 */
int store_job_claim(struct store *st, time_t now, const char *owner, time_t lease,
		    struct store_job *j_r, char **error_r);
/*
 * The same for a batch, in one statement: claims up to max (>= 1) queued
 * jobs due at or before now, in the order store_job_claim takes them, and
 * returns them in that order in *jobs_r (free with store_jobs_free); *n_r
 * is 0 when none is due.
 */
int store_jobs_claim(struct store *st, time_t now, const char *owner, time_t lease,
		     size_t max, struct store_job **jobs_r, size_t *n_r, char **error_r);
/* Extends the lease of every claim owner holds to lease (real time). */
int store_jobs_renew(struct store *st, const char *owner, time_t lease,
		     char **error_r);
/*
 * Puts claims back in the queue whose holder cannot be sending them: the
 * lease ran out before now (real time), the owner is a process of self's
 * host that no longer runs, or the owner is self (a claim of our own left
 * by a round that failed).  A live sender's unexpired claim stays, even
 * when its lock was taken over.  *n_r (may be NULL): how many.
 */
int store_jobs_release_stale(struct store *st, const char *self, time_t now,
			     long *n_r, char **error_r);
/*
 * What one sender or domain has made us send, for the rate limits: a row
 * per ack granted (JOB_ACK, for either kind of ack) or escalation queued
 * (JOB_ESCALATION, warnings included), under the sender's normalised
 * address (key, addr_rate_key) and its domain.  store_rate_count counts
 * the rows of kind since a time for key, or for domain when key is NULL,
 * up to limit (all if limit <= 0).
 */
int store_rate_add(struct store *st, enum job_kind kind, const char *key,
		   const char *domain, time_t at, long long case_id, char **error_r);
int store_rate_count(struct store *st, enum job_kind kind, const char *key,
		     const char *domain, time_t since, long limit, long *n_r,
		     char **error_r);
/* Acks (sent or queued) to an address since a time, counted up to limit
 * (all if limit <= 0).  The rate limit counts store_rate_count now. */
int store_acks_to(struct store *st, const char *rcpt, time_t since, long limit,
		  long *n_r, char **error_r);
/* Reschedules queued jobs of a kind for a case; returns how many moved. */
int store_jobs_reschedule(struct store *st, long long case_id, enum job_kind kind,
			  time_t due, long *n_r, char **error_r);
/* Sends a case's queued escalations and warnings to rcpt instead (the
 * case changed owner); *n_r (may be NULL): how many. */
int store_jobs_reroute_staff(struct store *st, long long case_id, const char *rcpt,
			     long *n_r, char **error_r);
void store_job_clear(struct store_job *j);
void store_jobs_free(struct store_job **jobs, size_t n);

/* IMAP progress per mailbox URL. 1 and values, 0 when none stored. */
int store_imap_get(struct store *st, const char *mailbox, uint32_t *uidvalidity_r,
		   uint32_t *last_uid_r, char **error_r);
int store_imap_set(struct store *st, const char *mailbox, uint32_t uidvalidity,
		   uint32_t last_uid, char **error_r);

/*
 * A named lock row (one fetcher per mailbox, one sender): 1 taken (or
 * renewed: the owner calls it again), 0 held by another live owner.
 * Owners are "PID@HOST"; a lock not renewed for ttl seconds, or held by a
 * process of this host that no longer runs, is taken over.  now is real
 * time.
 */
int store_lock(struct store *st, const char *name, const char *owner,
	       time_t now, long ttl, char **error_r);
int store_unlock(struct store *st, const char *name, const char *owner,
		 char **error_r);

/*
 * The whole store as JSON lines, and back (store_dump.c; the format and
 * its guarantees are in doc/design.md, "Export and import").
 *
 * store_export writes every row of every table but the transient locks to
 * out, inside one transaction that holds writers off (a consistent
 * snapshot) and writes nothing.  store_import reads such an export into an
 * empty store of either kind (no case, message, event, job, cursor, rate
 * or link), all of it in one transaction: on any error nothing of it is
 * left.  name is the input's name for errors ("NAME:LINE: ..."); a line
 * longer than max_line bytes is refused.
 *
 * stats (may be NULL) gets the rows per table; its progress function (may
 * be NULL) is called every progress_every rows.  Both return 0, or -1 with
 * *error_r and stats->fault saying whose fault it was: the store's
 * (store_temporary() says whether it may pass), the data's (an input that
 * is not an export, a store not empty, a row the store refuses), or the
 * file's (reading or writing it failed).
 */
#define STORE_DUMP_TABLES 8
struct store_dump_stats {
	const char *table[STORE_DUMP_TABLES];  /* set by the call, in order */
	long long rows[STORE_DUMP_TABLES];
	void (*progress)(void *ctx, const char *table, long long rows);
	void *progress_ctx;
	long long progress_every;
	enum store_dump_fault { STORE_DUMP_STORE, STORE_DUMP_DATA, STORE_DUMP_FILE } fault;
};

int store_export(struct store *st, FILE *out, struct store_dump_stats *stats,
		 char **error_r);
int store_import(struct store *st, FILE *in, const char *name, size_t max_line,
		 struct store_dump_stats *stats, char **error_r);

#endif
