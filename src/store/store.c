/*
 * NAME
 *	store - what every backend of the store shares
 * DESCRIPTION
 *	store.h is the interface the rest of redress sees; store_sql.c holds
 *	the SQL, store_sqlite.c and store_pg.c the backends.  Here: opening
 *	the one a configuration names, the calls every backend answers
 *	alike, and what a backend needs that is not about its
 *	database -- whether the holder of a lock or a claim is a process that
 *	is gone, and which system errors of creating a store may pass.
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/xmem.h"
#include "store/store.h"
#include "store/store_int.h"

/* A [store] url names a PostgreSQL database (libpq's URI forms). */
static bool
store_is_url(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 ||
	       strncmp(where, "postgres://", 11) == 0;
}

int
store_open(const char *where, const struct store_options *opt, struct store **st_r,
	   char **error_r)
{
	if (store_is_url(where))
		return store_pg_open(where, opt, st_r, error_r);
	return store_sqlite_open(where, opt, st_r, error_r);
}

void
store_close(struct store **stp)
{
	if (*stp == NULL)
		return;
	(*stp)->be->close(*stp);
	*stp = NULL;
}

bool
store_temporary(const struct store *st)
{
	return st == NULL || st->temporary;
}

const char *
store_name(const struct store *st)
{
	return st->name;
}

bool
store_multi_node(const struct store *st)
{
	return st->be->skip_locked;
}

const char *
store_kind(const struct store *st)
{
	return st->be->name;
}

int
store_begin(struct store *st, char **error_r)
{
	return st->be->begin(st, error_r);
}

int
store_commit(struct store *st, char **error_r)
{
	return st->be->commit(st, error_r);
}

void
store_rollback(struct store *st)
{
	st->be->rollback(st);
}

int
store_durable(struct store *st, bool full, char **error_r)
{
	return st->be->durable(st, full, error_r);
}

int
store_sync(struct store *st, char **error_r)
{
	return st->be->sync(st, error_r);
}

int
store_error(struct store *st, char **error_r, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	st->temporary = false;
	*error_r = xasprintf("store %s: %s", st->name, what);
	free(what);
	return -1;
}

/* A system error of opening or creating the store: a missing directory or
 * a permission is for the admin to fix; the rest may pass. */
bool
store_errno_temporary(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case EACCES:
	case EPERM:
	case EISDIR:
	case ELOOP:
	case ENAMETOOLONG:
		return false;
	default:
		return true;
	}
}

/*
 * Whether holder ("PID@HOST") is a process of owner's host that no longer
 * runs: a sender or fetcher that was killed leaves its lock row behind,
 * and the next one must not wait out the whole ttl for it.  Gone (ESRCH)
 * or a zombie (exited, not yet reaped: under a PID 1 that does not reap,
 * as in some containers, that can last) is dead.  A process we may not
 * signal (EPERM) is alive; another host's is never judged.
 */
bool
store_owner_gone(const char *holder, const char *owner)
{
	const char *hh = strchr(holder, '@'), *oh = strchr(owner, '@');
	char *end = NULL, path[64], stat[256], *paren;
	size_t n;
	long pid;
	FILE *f;

	if (hh == NULL || oh == NULL || strcmp(hh, oh) != 0 || hh == holder)
		return false;
	errno = 0;
	pid = strtol(holder, &end, 10);
	if (errno != 0 || end != hh || pid <= 0 || (long)(pid_t)pid != pid)
		return false;
	if (kill((pid_t)pid, 0) < 0)
		return errno == ESRCH;
	/* Linux: "PID (COMM) STATE ..."; COMM may hold spaces and ')'. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	paren = strrchr(stat, ')');
	return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* The SQL of the backends says the same (STORE_DUE_SQL in store_sql.c). */
time_t
store_case_due(const struct store_case *c, const char **clock_r)
{
	const char *clock = NULL;
	time_t due = 0;

	if (case_state_is_open(c->state)) {
		if (c->first_response_at == 0 && c->first_response_due != 0) {
			due = c->first_response_due;
			clock = "first response";
		} else if (c->resolved_at == 0 && c->resolution_due != 0 &&
			   c->state != CASE_WAITING) {
			due = c->resolution_due;
			clock = "resolution";
		}
	}
	if (clock_r != NULL)
		*clock_r = clock;
	return due;
}
