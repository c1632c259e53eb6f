/*
 * store_int - what the backends of the store share; not for modules
 * outside the store.
 *
 * The SQL of the store is written once, in store_sql.c, against the small
 * statement interface below; each backend (store_sqlite.c, store_pg.c)
 * implements it, opens its database, makes its schema, and says the few
 * things its dialect says otherwise (struct store_backend).
 *
 * The shared SQL is the common ground of SQLite 3.40 and PostgreSQL 15:
 * "?" or "?N" parameters (the PostgreSQL backend numbers them "$N"),
 * INSERT ... ON CONFLICT, RETURNING, integers for booleans and times, and
 * no function of one that the other lacks (instr() is made in the
 * PostgreSQL schema).
 */
#ifndef REDRESS_STORE_STORE_INT_H
#define REDRESS_STORE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>

struct store;
struct store_stmt;   /* a backend's prepared statement */

/* The schema every backend makes or migrates to, and the columns the
 * export writes (store_dump.c). */
#define STORE_SCHEMA_VERSION 10

enum store_value { STORE_NULL, STORE_INT, STORE_TEXT, STORE_BLOB };

struct store_backend {
	const char *name;      /* "sqlite", "postgresql" */
	/*
	 * The prepared statement for sql, made on first use and kept for the
	 * connection (sql is static text: its address is the key), ready to
	 * bind; NULL and *error_r on error.  Every use ends with done.
	 */
	struct store_stmt *(*prepare)(struct store *st, const char *sql, char **error_r);
	void (*done)(struct store *st, struct store_stmt *s);
	/* Parameters count from 1.  Text and blobs are not copied: they must
	 * live until the statement is done. */
	void (*bind_null)(struct store_stmt *s, int i);
	void (*bind_int64)(struct store_stmt *s, int i, long long v);
	void (*bind_text)(struct store_stmt *s, int i, const char *v);
	void (*bind_blob)(struct store_stmt *s, int i, const void *v, size_t len);
	/* 1: a row to read; 0: no more; -1: error (*error_r, store_temporary
	 * says which kind), the statement is then done. */
	int (*step)(struct store *st, struct store_stmt *s, char **error_r,
		    const char *what);
	/* Columns count from 0; a NULL reads as 0, NULL, or 0 bytes. */
	long long (*col_int64)(struct store_stmt *s, int i);
	const char *(*col_text)(struct store_stmt *s, int i);
	const void *(*col_blob)(struct store_stmt *s, int i, size_t *len_r);
	/* What a row holds, for the export of whole tables (store_dump.c):
	 * how many columns, each one's name and kind of value. */
	int (*col_count)(struct store_stmt *s);
	const char *(*col_name)(struct store_stmt *s, int i);
	enum store_value (*col_type)(struct store_stmt *s, int i);
	/* Rows changed by the last statement that was stepped to its end. */
	long (*changes)(struct store *st);

	int (*begin)(struct store *st, char **error_r);
	int (*commit)(struct store *st, char **error_r);
	void (*rollback)(struct store *st);
	int (*durable)(struct store *st, bool full, char **error_r);
	int (*sync)(struct store *st, char **error_r);
	void (*close)(struct store *st);

	/* The dialect.  skip_locked: the claim skips rows another
	 * transaction holds (FOR UPDATE SKIP LOCKED); SQLite's one writer
	 * has nothing to skip. */
	bool skip_locked;
	/* After rows were written with their ids (store import): the next
	 * id of each table follows the highest.  NULL: nothing to do. */
	int (*ids_follow)(struct store *st, const char *table, char **error_r);
	/* Full text search: the condition on a case id ("id IN (...)")
	 * with parameter ?15, and the query text for it (NULL: no words). */
	const char *search_sql;
	char *(*search_query)(const char *text);
};

/* What every backend's connection starts with. */
struct store {
	const struct store_backend *be;
	char *name;               /* the path, or the URL without a password */
	bool temporary;           /* last failure was temporary */
	bool in_txn;
};

/* The statement interface, as store_sql.c calls it. */
static inline struct store_stmt *
db_prepare(struct store *st, const char *sql, char **error_r)
{
	return st->be->prepare(st, sql, error_r);
}

static inline void
db_done(struct store *st, struct store_stmt *s)
{
	st->be->done(st, s);
}

#define db_bind_null(st, s, i)          ((st)->be->bind_null((s), (i)))
#define db_bind_int64(st, s, i, v)      ((st)->be->bind_int64((s), (i), (long long)(v)))
#define db_bind_text(st, s, i, v)       ((st)->be->bind_text((s), (i), (v)))
#define db_bind_blob(st, s, i, v, n)    ((st)->be->bind_blob((s), (i), (v), (n)))
#define db_step(st, s, error_r, what)   ((st)->be->step((st), (s), (error_r), (what)))
#define db_col_int64(st, s, i)          ((st)->be->col_int64((s), (i)))
#define db_col_text(st, s, i)           ((st)->be->col_text((s), (i)))
#define db_col_blob(st, s, i, len_r)    ((st)->be->col_blob((s), (i), (len_r)))
#define db_changes(st)                  ((st)->be->changes(st))
#define db_col_count(st, s)             ((st)->be->col_count(s))
#define db_col_name(st, s, i)           ((st)->be->col_name((s), (i)))
#define db_col_type(st, s, i)           ((st)->be->col_type((s), (i)))

/* Fails with a message that is not temporary: -1. */
int store_error(struct store *st, char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Whether holder ("PID@HOST") is a process of owner's host that no longer
 * runs (gone, or a zombie): its lock or claim may be taken over at once.
 * Another host's is never judged.
 */
bool store_owner_gone(const char *holder, const char *owner);
/* Whether a system error of opening or creating the store may pass (a
 * missing directory or a permission is for the admin to fix). */
bool store_errno_temporary(int e);

/* The backends' open functions (store_open picks one). */
int store_sqlite_open(const char *path, const struct store_options *opt,
		      struct store **st_r, char **error_r);
int store_pg_open(const char *url, const struct store_options *opt,
		  struct store **st_r, char **error_r);

#endif
