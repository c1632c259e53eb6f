/*
 * NAME
 *	store_dump - the whole store as JSON lines, and back
 * DESCRIPTION
 *	"redress store export" and "redress store import" (issue 17): moving
 *	between the SQLite and the PostgreSQL store, and the backup format.
 *	Written once against the statement interface of store_int.h, so that
 *	either backend exports and either imports.
 *
 *	The format (doc/design.md, "Export and import"): one JSON object a
 *	line.  First a header, {"redress":"store","format":1,"schema":10,
 *	"from":"sqlite"}; then every row of every table, a table at a time in
 *	the order of dump_tables (the foreign keys' order: a case before its
 *	messages), as {"t":"TABLE","COLUMN":VALUE,...} with every column of
 *	the table by name: integers as numbers, texts as strings (a text
 *	that is not UTF-8 as {"base64":"..."}), blobs as {"base64":"..."},
 *	NULL as null; last, {"t":"end","meta":N,...}: the rows of each table,
 *	so that an export cut short at a line's end is known.
 *
 *	Rows come in a fixed order, the same from either backend: by id where
 *	there is one, else sorted here by the bytes of their lines (the
 *	backends' collations of text differ).  So an export of an imported
 *	store is the export it was made from, but for "from".
 *
 *	Not exported: locks (a lock row is a running process's, "PID@HOST"
 *	of the old store's host: in a new store it would only hold a fetcher
 *	or a sender off until its ttl ran out), and what the backends derive
 *	from the rows (SQLite's message_text index, made again by its
 *	triggers as the messages are inserted; PostgreSQL's sequences, set
 *	after the import by ids_follow).
 *
 *	Every column name is checked against the table's list below, on the
 *	way out (a column this code does not know fails the export: a
 *	migration added one and this list must follow) and on the way in;
 *	the SQL is static text and names nothing from the input.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "store/store.h"
#include "store/store_int.h"

/* The schema the columns below are. */
#define DUMP_SCHEMA STORE_SCHEMA_VERSION
#define DUMP_FORMAT 1
/* Rows of a paged table read at a time: PostgreSQL holds a statement's
 * whole result in memory; messages are large. */
#define DUMP_PAGE 500
#define DUMP_PAGE_MESSAGES 16
#define DUMP_MAX_COLS 40

struct dump_col {
	const char *name;
	enum store_value kind;     /* STORE_INT, STORE_TEXT or STORE_BLOB */
};

struct dump_table {
	const char *name;
	const struct dump_col *cols;
	size_t n_cols;
	/* Paged by id: "... WHERE id > ?1 ORDER BY id LIMIT ?2"; else the
	 * whole table, its lines sorted here. */
	bool by_id;
	const char *select;
	const char *insert;        /* the columns in the order of cols */
};

#define I STORE_INT
#define T STORE_TEXT
#define B STORE_BLOB
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct dump_col dump_meta[] = { { "name", T }, { "value", B } };
static const struct dump_col dump_cases[] = {
	{ "id", I }, { "state", T }, { "customer", T }, { "customer_name", T },
	{ "subject", T }, { "created", I }, { "updated", I }, { "complaint", I },
	{ "category", T }, { "label", T }, { "priority", T }, { "tags", T },
	{ "rules", T }, { "rules_version", T }, { "first_response_due", I },
	{ "resolution_due", I }, { "first_response_at", I }, { "resolved_at", I },
	{ "first_response_breached", I }, { "resolution_breached", I },
	{ "paused_at", I }, { "paused_seconds", I }, { "resolution_cause", T },
	{ "held_reason", T }, { "reply_note", T }, { "last_active_state", T },
	{ "customer_msgid", T }, { "customer_refs", T }, { "outcome", T },
	{ "owner", T }, { "merged_into", I }, { "traffic", T }, { "traffic_reasons", T },
};
static const struct dump_col dump_messages[] = {
	{ "id", I }, { "case_id", I }, { "direction", T }, { "message_id", T },
	{ "fingerprint", T }, { "source", T }, { "envelope_from", T },
	{ "envelope_to", T }, { "received", I }, { "from_addr", T }, { "from_name", T },
	{ "subject", T }, { "text", T }, { "held_reason", T }, { "size", I }, { "raw", B },
};
static const struct dump_col dump_events[] = {
	{ "id", I }, { "case_id", I }, { "at", I }, { "kind", T }, { "detail", T },
	{ "author", T },
};
static const struct dump_col dump_jobs[] = {
	{ "id", I }, { "case_id", I }, { "kind", T }, { "state", T }, { "due", I },
	{ "created", I }, { "sent_at", I }, { "attempts", I }, { "last_error", T },
	{ "rcpt", T }, { "msgid", T }, { "detail", T }, { "owner", T },
	{ "first_try", I }, { "unconfirmed", I }, { "lease", I },
};
static const struct dump_col dump_imap[] = {
	{ "mailbox", T }, { "uidvalidity", I }, { "last_uid", I },
};
static const struct dump_col dump_rates[] = {
	{ "kind", T }, { "key", T }, { "domain", T }, { "at", I }, { "case_id", I },
};
static const struct dump_col dump_links[] = {
	{ "a", I }, { "b", I }, { "at", I }, { "author", T },
};

#undef I
#undef T
#undef B

static const struct dump_table dump_tables[STORE_DUMP_TABLES] = {
	{ "meta", dump_meta, N(dump_meta), false, "SELECT * FROM meta",
	  /* A store makes its Message-ID key on first use: the export's
	   * replaces one made before any case was. */
	  "INSERT INTO meta (name, value) VALUES (?1, ?2)"
	  " ON CONFLICT (name) DO UPDATE SET value = excluded.value" },
	{ "cases", dump_cases, N(dump_cases), true,
	  "SELECT * FROM cases WHERE id > ?1 ORDER BY id LIMIT ?2",
	  "INSERT INTO cases (id, state, customer, customer_name, subject, created,"
	  " updated, complaint, category, label, priority, tags, rules, rules_version,"
	  " first_response_due, resolution_due, first_response_at, resolved_at,"
	  " first_response_breached, resolution_breached, paused_at, paused_seconds,"
	  " resolution_cause, held_reason, reply_note, last_active_state, customer_msgid,"
	  " customer_refs, outcome, owner, merged_into, traffic, traffic_reasons)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	  " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30,"
	  " ?31, ?32, ?33)" },
	{ "messages", dump_messages, N(dump_messages), true,
	  "SELECT * FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2",
	  "INSERT INTO messages (id, case_id, direction, message_id, fingerprint, source,"
	  " envelope_from, envelope_to, received, from_addr, from_name, subject, text,"
	  " held_reason, size, raw)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)" },
	{ "events", dump_events, N(dump_events), true,
	  "SELECT * FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
	  "INSERT INTO events (id, case_id, at, kind, detail, author)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)" },
	{ "jobs", dump_jobs, N(dump_jobs), true,
	  "SELECT * FROM jobs WHERE id > ?1 ORDER BY id LIMIT ?2",
	  "INSERT INTO jobs (id, case_id, kind, state, due, created, sent_at, attempts,"
	  " last_error, rcpt, msgid, detail, owner, first_try, unconfirmed, lease)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)" },
	{ "imap_state", dump_imap, N(dump_imap), false, "SELECT * FROM imap_state",
	  "INSERT INTO imap_state (mailbox, uidvalidity, last_uid) VALUES (?1, ?2, ?3)" },
	{ "rates", dump_rates, N(dump_rates), false, "SELECT * FROM rates",
	  "INSERT INTO rates (kind, key, domain, at, case_id) VALUES (?1, ?2, ?3, ?4, ?5)" },
	{ "case_links", dump_links, N(dump_links), false, "SELECT * FROM case_links",
	  "INSERT INTO case_links (a, b, at, author) VALUES (?1, ?2, ?3, ?4)" },
};

/* Whether anything but the meta is in the store: an import goes only into
 * an empty one. */
static const char dump_count_sql[] =
	"SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM messages)"
	" + (SELECT count(*) FROM events) + (SELECT count(*) FROM jobs)"
	" + (SELECT count(*) FROM imap_state) + (SELECT count(*) FROM rates)"
	" + (SELECT count(*) FROM case_links)";

static void
dump_stats_init(struct store_dump_stats *stats)
{
	for (size_t t = 0; t < STORE_DUMP_TABLES; t++) {
		stats->table[t] = dump_tables[t].name;
		stats->rows[t] = 0;
	}
	stats->fault = STORE_DUMP_STORE;
}

static void
dump_count(struct store_dump_stats *stats, size_t t)
{
	stats->rows[t]++;
	if (stats->progress != NULL && stats->progress_every > 0 &&
	    stats->rows[t] % stats->progress_every == 0)
		stats->progress(stats->progress_ctx, dump_tables[t].name, stats->rows[t]);
}

/* ---- export ---- */

/*
 * Which column of the result each of the table's columns is: every
 * column of the result must be one of the table's and every one of the
 * table's must be there.
 */
static int
dump_map(struct store *st, struct store_stmt *s, const struct dump_table *tb,
	 int map[DUMP_MAX_COLS], char **error_r)
{
	int n = db_col_count(st, s);

	for (size_t c = 0; c < tb->n_cols; c++)
		map[c] = -1;
	for (int i = 0; i < n; i++) {
		const char *name = db_col_name(st, s, i);
		size_t c = 0;

		while (c < tb->n_cols && (name == NULL || strcmp(tb->cols[c].name, name) != 0))
			c++;
		if (c == tb->n_cols)
			return store_error(st, error_r, "table %s has a column \"%s\" the export "
					   "does not know (schema newer than %d?)",
					   tb->name, name != NULL ? name : "?", DUMP_SCHEMA);
		map[c] = i;
	}
	for (size_t c = 0; c < tb->n_cols; c++)
		if (map[c] < 0)
			return store_error(st, error_r, "table %s has no column \"%s\"",
					   tb->name, tb->cols[c].name);
	return 0;
}

/* The row s is on as a line of the export, into b (emptied first). */
static int
dump_row(struct store *st, struct store_stmt *s, const struct dump_table *tb,
	 const int map[DUMP_MAX_COLS], struct buf *b, char **error_r)
{
	buf_reset(b);
	buf_puts(b, "{\"t\":");
	json_str(b, tb->name);
	for (size_t c = 0; c < tb->n_cols; c++) {
		int i = map[c];
		enum store_value v = db_col_type(st, s, i);
		const void *data;
		size_t len;

		buf_putc(b, ',');
		json_str(b, tb->cols[c].name);
		buf_putc(b, ':');
		if (v == STORE_NULL) {
			buf_puts(b, "null");
			continue;
		}
		switch (tb->cols[c].kind) {
		case STORE_INT:
			if (v != STORE_INT)
				return store_error(st, error_r, "%s.%s holds a %s, not an integer",
						   tb->name, tb->cols[c].name,
						   v == STORE_TEXT ? "text" : "blob");
			json_int(b, db_col_int64(st, s, i));
			break;
		case STORE_TEXT:
			data = db_col_blob(st, s, i, &len);
			if (utf8_valid(data != NULL ? data : "", len))
				json_strn(b, data != NULL ? data : "", len);
			else
				json_base64(b, data, len);
			break;
		default:
			data = db_col_blob(st, s, i, &len);
			json_base64(b, data, len);
			break;
		}
	}
	buf_puts(b, "}\n");
	return 0;
}

static int
dump_write(FILE *out, const char *data, size_t len, struct store_dump_stats *stats,
	   char **error_r)
{
	if (fwrite(data, 1, len, out) != len) {
		stats->fault = STORE_DUMP_FILE;
		*error_r = xasprintf("write: %s", strerror(errno != 0 ? errno : EIO));
		return -1;
	}
	return 0;
}

static int
dump_cmp_lines(const void *a, const void *b)
{
	const struct buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->data, y->data, n);

	if (r != 0)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* A table by id, a page at a time. */
static int
dump_export_by_id(struct store *st, size_t t, FILE *out, struct store_dump_stats *stats,
		  struct buf *b, char **error_r)
{
	const struct dump_table *tb = &dump_tables[t];
	long long after = 0;
	long page = strcmp(tb->name, "messages") == 0 ? DUMP_PAGE_MESSAGES : DUMP_PAGE;
	int map[DUMP_MAX_COLS] = { 0 };

	for (;;) {
		struct store_stmt *s = db_prepare(st, tb->select, error_r);
		long n = 0;
		int r;

		if (s == NULL)
			return -1;
		db_bind_int64(st, s, 1, after);
		db_bind_int64(st, s, 2, page);
		while ((r = db_step(st, s, error_r, tb->name)) == 1) {
			if ((n == 0 && dump_map(st, s, tb, map, error_r) < 0) ||
			    dump_row(st, s, tb, map, b, error_r) < 0) {
				db_done(st, s);
				return -1;
			}
			after = db_col_int64(st, s, map[0]);   /* "id" is first */
			n++;
			if (dump_write(out, b->data, b->len, stats, error_r) < 0) {
				db_done(st, s);
				return -1;
			}
			dump_count(stats, t);
		}
		if (r < 0)
			return -1;
		db_done(st, s);
		if (n < page)
			return 0;
	}
}

/* A table with no id: all of it, its lines sorted by their bytes. */
static int
dump_export_sorted(struct store *st, size_t t, FILE *out, struct store_dump_stats *stats,
		   char **error_r)
{
	const struct dump_table *tb = &dump_tables[t];
	struct store_stmt *s = db_prepare(st, tb->select, error_r);
	struct buf *lines = NULL;
	size_t n = 0, cap = 0;
	int map[DUMP_MAX_COLS] = { 0 };
	int r, ret = -1;

	if (s == NULL)
		return -1;
	while ((r = db_step(st, s, error_r, tb->name)) == 1) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		buf_init(&lines[n], BUF_NO_LIMIT);
		n++;
		if ((n == 1 && dump_map(st, s, tb, map, error_r) < 0) ||
		    dump_row(st, s, tb, map, &lines[n - 1], error_r) < 0) {
			db_done(st, s);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	db_done(st, s);
	if (n > 1)
		qsort(lines, n, sizeof(*lines), dump_cmp_lines);
	for (size_t i = 0; i < n; i++) {
		if (dump_write(out, lines[i].data, lines[i].len, stats, error_r) < 0)
			goto out;
		dump_count(stats, t);
	}
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		buf_free(&lines[i]);
	free(lines);
	return ret;
}

int
store_export(struct store *st, FILE *out, struct store_dump_stats *stats_in,
	     char **error_r)
{
	struct store_dump_stats own = { 0 }, *stats = stats_in != NULL ? stats_in : &own;
	struct buf b;
	int ret = -1;

	dump_stats_init(stats);
	buf_init(&b, BUF_NO_LIMIT);
	/* One transaction: the rows of every table as of one moment (a
	 * writer waits, as it waits for any other). */
	if (store_begin(st, error_r) < 0)
		goto out;
	buf_printf(&b, "{\"redress\":\"store\",\"format\":%d,\"schema\":%d,\"from\":",
		   DUMP_FORMAT, DUMP_SCHEMA);
	json_str(&b, store_kind(st));
	buf_puts(&b, "}\n");
	if (dump_write(out, b.data, b.len, stats, error_r) < 0)
		goto out_txn;
	for (size_t t = 0; t < STORE_DUMP_TABLES; t++) {
		int r = dump_tables[t].by_id ? dump_export_by_id(st, t, out, stats, &b, error_r)
					     : dump_export_sorted(st, t, out, stats, error_r);

		if (r < 0)
			goto out_txn;
	}
	buf_reset(&b);
	buf_puts(&b, "{\"t\":\"end\"");
	for (size_t t = 0; t < STORE_DUMP_TABLES; t++) {
		buf_putc(&b, ',');
		json_str(&b, dump_tables[t].name);
		buf_printf(&b, ":%lld", stats->rows[t]);
	}
	buf_puts(&b, "}\n");
	if (dump_write(out, b.data, b.len, stats, error_r) < 0)
		goto out_txn;
	if (fflush(out) != 0 || ferror(out)) {
		stats->fault = STORE_DUMP_FILE;
		*error_r = xasprintf("write: %s", strerror(errno != 0 ? errno : EIO));
		goto out_txn;
	}
	ret = 0;
out_txn:
	store_rollback(st);   /* it read only */
out:
	buf_free(&b);
	return ret;
}

/* ---- import ---- */

struct dump_in {
	FILE *in;
	const char *name;
	size_t max_line;
	long long line;            /* the number of the line in b */
	struct buf b;
	struct store_dump_stats *stats;
};

static int
dump_bad(struct dump_in *d, char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The input is not what an export is: "NAME:LINE: ...". */
static int
dump_bad(struct dump_in *d, char **error_r, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	*error_r = xasprintf("%s:%lld: %s", d->name, d->line, what);
	free(what);
	d->stats->fault = STORE_DUMP_DATA;
	return -1;
}

/* The next line into d->b, without its newline: 1, 0 at the end, -1. */
static int
dump_line(struct dump_in *d, char **error_r)
{
	char chunk[8192];
	size_t n = 0;
	int c;

	buf_reset(&d->b);
	buf_append(&d->b, "", 0);
	d->line++;
	for (;;) {
		c = getc_unlocked(d->in);
		if (c != EOF && c != '\n') {
			chunk[n++] = (char)c;
			if (n < sizeof(chunk))
				continue;
		}
		if (n > 0 && (d->b.len + n > d->max_line || buf_append(&d->b, chunk, n) < 0))
			return dump_bad(d, error_r, "a line longer than %zu bytes", d->max_line);
		n = 0;
		if (c == EOF || c == '\n')
			break;
	}
	if (ferror(d->in)) {
		d->stats->fault = STORE_DUMP_FILE;
		*error_r = xasprintf("%s:%lld: read: %s", d->name, d->line,
				     strerror(errno != 0 ? errno : EIO));
		return -1;
	}
	if (c == EOF) {
		if (d->b.len == 0)
			return 0;
		return dump_bad(d, error_r, "the last line has no end: the export is cut short");
	}
	return 1;
}

static int
dump_parse(struct dump_in *d, struct json_object *o, char **error_r)
{
	char *err = NULL;

	if (json_object_parse(d->b.data, d->b.len, o, &err) < 0) {
		dump_bad(d, error_r, "not a line of an export: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

static int
dump_header(struct dump_in *d, struct json_object *o, char **error_r)
{
	const struct json_field *f;
	int r = dump_line(d, error_r);

	if (r <= 0)
		return r < 0 ? -1 : dump_bad(d, error_r, "empty: not an export of a store");
	if (dump_parse(d, o, error_r) < 0)
		return -1;
	f = json_object_get(o, "redress");
	if (f == NULL || f->kind != JSON_STRING || strcmp(f->str, "store") != 0)
		return dump_bad(d, error_r, "not an export of a store (its first line is "
				"{\"redress\":\"store\",...})");
	f = json_object_get(o, "format");
	if (f == NULL || f->kind != JSON_INT || f->num != DUMP_FORMAT)
		return dump_bad(d, error_r, "an export of format %lld; this redress reads "
				"format %d", f != NULL && f->kind == JSON_INT ? f->num : -1LL,
				DUMP_FORMAT);
	f = json_object_get(o, "schema");
	if (f == NULL || f->kind != JSON_INT || f->num != DUMP_SCHEMA)
		return dump_bad(d, error_r, "an export of a store of schema %lld; this redress "
				"imports schema %d only (export with the redress that wrote it, "
				"or one of the same schema)",
				f != NULL && f->kind == JSON_INT ? f->num : -1LL, DUMP_SCHEMA);
	return 0;
}

/* Binds field f to parameter i as column col of table tb wants it. */
static int
dump_bind(struct store *st, struct store_stmt *s, int i, const struct dump_table *tb,
	  const struct dump_col *col, const struct json_field *f, struct dump_in *d,
	  char **error_r)
{
	if (f->kind == JSON_NULL) {
		db_bind_null(st, s, i);
		return 0;
	}
	switch (col->kind) {
	case STORE_INT:
		if (f->kind != JSON_INT)
			break;
		db_bind_int64(st, s, i, f->num);
		return 0;
	case STORE_TEXT:
		if (f->kind != JSON_STRING && f->kind != JSON_BYTES)
			break;
		/* A text with a NUL in it (SQLite can hold one) goes in as
		 * bytes: as a C string it would end at the NUL. */
		if (strlen(f->str) == f->len)
			db_bind_text(st, s, i, f->str);
		else
			db_bind_blob(st, s, i, f->str, f->len);
		return 0;
	default:
		if (f->kind != JSON_BYTES)
			break;
		db_bind_blob(st, s, i, f->str, f->len);
		return 0;
	}
	return dump_bad(d, error_r, "%s.%s wants %s", tb->name, col->name,
			col->kind == STORE_INT ? "an integer or null" :
			col->kind == STORE_TEXT ? "a string, {\"base64\":...} or null" :
			"{\"base64\":...} or null");
}

/* Inserts the row of line o into table t. */
static int
dump_insert(struct store *st, struct dump_in *d, size_t t, const struct json_object *o,
	    char **error_r)
{
	const struct dump_table *tb = &dump_tables[t];
	struct store_stmt *s;
	char *err = NULL;
	int r;

	/* Every field is a column of the table, and every column is there. */
	for (size_t i = 0; i < o->n; i++) {
		const char *name = o->fields[i].name;
		size_t c = 0;

		if (strcmp(name, "t") == 0)
			continue;
		while (c < tb->n_cols && strcmp(tb->cols[c].name, name) != 0)
			c++;
		if (c == tb->n_cols)
			return dump_bad(d, error_r, "table %s has no column \"%s\"", tb->name, name);
	}
	s = db_prepare(st, tb->insert, error_r);
	if (s == NULL)
		return -1;
	for (size_t c = 0; c < tb->n_cols; c++) {
		const struct json_field *f = json_object_get(o, tb->cols[c].name);

		if (f == NULL || (c == 0 && tb->by_id && f->kind != JSON_INT)) {
			db_done(st, s);
			if (f != NULL)
				return dump_bad(d, error_r, "a row of %s without an id", tb->name);
			return dump_bad(d, error_r, "a row of %s without its column \"%s\"",
					tb->name, tb->cols[c].name);
		}
		if (dump_bind(st, s, (int)c + 1, tb, &tb->cols[c], f, d, error_r) < 0) {
			db_done(st, s);
			return -1;
		}
	}
	r = db_step(st, s, &err, tb->name);
	if (r >= 0)
		db_done(st, s);
	if (r < 0) {
		/* A row the store refuses (a second id, a case that is not
		 * there) is the input's fault; a full disk is not. */
		if (store_temporary(st)) {
			*error_r = xasprintf("%s:%lld: %s", d->name, d->line, err);
		} else {
			dump_bad(d, error_r, "the store refuses this row of %s: %s", tb->name, err);
		}
		free(err);
		return -1;
	}
	dump_count(d->stats, t);
	return 0;
}

/* The last line: the rows of each table, as many as were read. */
static int
dump_trailer(struct dump_in *d, const struct json_object *o, char **error_r)
{
	for (size_t t = 0; t < STORE_DUMP_TABLES; t++) {
		const struct json_field *f = json_object_get(o, dump_tables[t].name);

		if (f == NULL || f->kind != JSON_INT)
			return dump_bad(d, error_r, "the end line has no count of %s",
					dump_tables[t].name);
		if (f->num != d->stats->rows[t])
			return dump_bad(d, error_r, "the export says %lld rows of %s, and %lld "
					"were read: it is not whole", f->num,
					dump_tables[t].name, d->stats->rows[t]);
	}
	if (o->n != STORE_DUMP_TABLES + 1)
		return dump_bad(d, error_r, "the end line counts a table this redress "
				"does not know");
	return 0;
}

static int
dump_empty(struct store *st, struct dump_in *d, char **error_r)
{
	struct store_stmt *s = db_prepare(st, dump_count_sql, error_r);
	long long n;
	int r;

	if (s == NULL)
		return -1;
	r = db_step(st, s, error_r, "count the rows");
	if (r < 0)
		return -1;
	n = r == 1 ? db_col_int64(st, s, 0) : 0;
	db_done(st, s);
	if (n != 0) {
		d->stats->fault = STORE_DUMP_DATA;
		*error_r = xasprintf("store %s is not empty (%lld rows of cases, messages, "
				     "events, jobs, cursors, rates and links): an import goes "
				     "only into a new store", store_name(st), n);
		return -1;
	}
	return 0;
}

int
store_import(struct store *st, FILE *in, const char *name, size_t max_line,
	     struct store_dump_stats *stats_in, char **error_r)
{
	struct store_dump_stats own = { 0 }, *stats = stats_in != NULL ? stats_in : &own;
	struct dump_in d = { .in = in, .name = name, .max_line = max_line, .stats = stats };
	struct json_object o = { 0 };
	size_t t = 0;
	bool ended = false;
	int ret = -1, r;

	dump_stats_init(stats);
	buf_init(&d.b, BUF_NO_LIMIT);
	if (store_begin(st, error_r) < 0)
		goto out;
	if (dump_empty(st, &d, error_r) < 0 || dump_header(&d, &o, error_r) < 0)
		goto out_txn;
	while ((r = dump_line(&d, error_r)) == 1) {
		const struct json_field *f;
		size_t want;

		if (ended) {
			dump_bad(&d, error_r, "a line after the end line");
			goto out_txn;
		}
		if (dump_parse(&d, &o, error_r) < 0)
			goto out_txn;
		f = json_object_get(&o, "t");
		if (f == NULL || f->kind != JSON_STRING) {
			dump_bad(&d, error_r, "a line without its table (\"t\")");
			goto out_txn;
		}
		if (strcmp(f->str, "end") == 0) {
			if (dump_trailer(&d, &o, error_r) < 0)
				goto out_txn;
			ended = true;
			continue;
		}
		for (want = 0; want < STORE_DUMP_TABLES; want++)
			if (strcmp(dump_tables[want].name, f->str) == 0)
				break;
		if (want == STORE_DUMP_TABLES) {
			dump_bad(&d, error_r, "no table \"%s\" in a store", f->str);
			goto out_txn;
		}
		/* The tables in order: what a row refers to is there first. */
		if (want < t) {
			dump_bad(&d, error_r, "a row of %s after the rows of %s", f->str,
				 dump_tables[t].name);
			goto out_txn;
		}
		t = want;
		if (dump_insert(st, &d, t, &o, error_r) < 0)
			goto out_txn;
	}
	if (r < 0)
		goto out_txn;
	if (!ended) {
		dump_bad(&d, error_r, "no end line: the export is cut short");
		goto out_txn;
	}
	/* The next new case, message, event or job gets an id after them. */
	for (size_t i = 0; i < STORE_DUMP_TABLES; i++) {
		if (!dump_tables[i].by_id || st->be->ids_follow == NULL)
			continue;
		if (st->be->ids_follow(st, dump_tables[i].name, error_r) < 0)
			goto out_txn;
	}
	if (store_commit(st, error_r) < 0)
		goto out_txn;
	ret = 0;
	goto out;
out_txn:
	store_rollback(st);
out:
	json_object_clear(&o);
	buf_free(&d.b);
	return ret;
}
