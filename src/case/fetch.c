/*
 * NAME
 *	fetch - mail from the IMAP mailbox into intake, a round at a time
 * DESCRIPTION
 *	See fetch.h.  The order inside a round is what keeps mail from being
 *	lost: intake (in the store transaction of the batch), the commit that
 *	also records (UIDVALIDITY, last UID) and refreshes the lock, and only
 *	then the server marks or moves the batch (imap_fetch_new).  A crash in
 *	between means a re-fetch, which intake's duplicate check absorbs; the
 *	other order would lose mail.
 *
 *	With a [spam] scanner configured, each message is scanned before its
 *	transaction (intake_prescan) and committed on its own, with the lock
 *	refreshed but the last UID not yet recorded: no store lock is held
 *	while spamd or rspamd think.  The batch's commit then records the
 *	last UID (in a transaction of its own).  A crash or an error between
 *	leaves stored messages unrecorded and unmarked: the next round
 *	fetches them again, intake finds them stored (duplicates, not
 *	scanned again), and marks them, as for a crash before any mark.
 *
 *	The lock.  A fetcher's lock may be taken over when it is older than
 *	FETCH_LOCK_TTL plus twice [imap] timeout (the longest a live fetcher
 *	goes without refreshing it: a TLS handshake or an intake batch).  It
 *	is refreshed at the start of each round, inside every commit (a
 *	fetcher that lost it commits nothing), and at least every
 *	FETCH_LOCK_REFRESH seconds (or [imap] timeout, if shorter) while the
 *	fetcher waits on the server.
 * DIAGNOSTICS
 *	Rounds log what went wrong ("imap: ...") and return -1.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/fetch.h"
#include "case/intake.h"
#include "case/scan.h"
#include "config/config.h"
#include "net/imap.h"
#include "store/store.h"

#define FETCH_LOCK_TTL 900
#define FETCH_LOCK_REFRESH 60

struct fetcher {
	const struct config *cfg;
	struct store *st;
	struct intake *in;       /* during a round */
	char *password;          /* secret */
	char *lock;              /* "fetch:URL" */
	volatile const bool *stop;
	struct imap_session *s;
	char owner[128];
	bool in_txn;
	bool scanning;           /* a [spam] scanner: a transaction per message */
	struct fetch_counts n;
	int backoff;
};

static long
fetch_lock_ttl(const struct config *cfg)
{
	return FETCH_LOCK_TTL + 2 * cfg->imap_timeout;
}

/*
 * Takes the fetch lock for cfg's mailbox, or refreshes it when it is ours
 * already: 0, or -1 with *error_r (*temporary_r: store trouble, or the
 * lock is another live fetcher's).
 */
static int
fetch_lock(struct fetcher *f, char **error_r, bool *temporary_r)
{
	int r = store_lock(f->st, f->lock, f->owner, time(NULL), fetch_lock_ttl(f->cfg),
			   error_r);

	*temporary_r = true;
	if (r == 0)
		*error_r = xasprintf("another fetcher holds the lock for %s",
				     f->cfg->imap_url);
	return r > 0 ? 0 : -1;
}

/* The session's heartbeat: keeps the lock while the server is slow.
 * Inside a transaction the row would stay invisible until the commit,
 * which refreshes it anyway. */
static int
fetch_heartbeat(void *ctx, char **error_r)
{
	struct fetcher *f = ctx;
	bool temporary;

	if (f->in_txn)
		return 0;
	return fetch_lock(f, error_r, &temporary);
}

static void
fetch_sink_note(void *ctx, const char *text)
{
	(void)ctx;
	log_warn("imap: %s", text);
}

/*
 * Commits the open transaction, refreshing the lock in it: a fetcher that
 * lost the lock commits nothing.  With a scanner each message is committed
 * so, without recording the last UID (the batch's commit does that, after
 * every message of it is stored, and ends here too).
 */
static int
fetch_commit_one(struct fetcher *f, char **error_r, bool *temporary_r)
{
	f->in_txn = false;
	if (fetch_lock(f, error_r, temporary_r) < 0) {
		store_rollback(f->st);
		return -1;
	}
	if (store_commit(f->st, error_r) < 0) {
		*temporary_r = store_temporary(f->st);
		return -1;
	}
	return 0;
}

static int
fetch_sink_message(void *ctx, uint32_t uidvalidity, uint32_t uid, const char *raw,
		   size_t len, const char *hold, char **error_r, bool *temporary_r)
{
	struct fetcher *f = ctx;
	struct intake_source src = { NULL, NULL, NULL };
	struct intake_result res;
	char *source;
	int ret;

	/* The scanner is asked outside any transaction (none is open while
	 * scanning: each message commits on its own). */
	if (f->scanning && hold == NULL)
		intake_prescan(f->in, raw, len);
	if (!f->in_txn) {
		if (store_begin(f->st, error_r) < 0) {
			*temporary_r = store_temporary(f->st);
			return -1;
		}
		f->in_txn = true;
	}
	source = xasprintf("imap:%s:%u:%u", imap_mailbox(f->s), uidvalidity, uid);
	src.source = source;
	/* The server would not deliver it: held with its words, never a
	 * case with a clock and no customer. */
	if (hold != NULL)
		ret = intake_held(f->in, hold, &src, clock_now(), &res, error_r);
	else
		ret = intake_message(f->in, raw, len, &src, clock_now(), &res,
				     error_r);
	if (ret < 0) {
		*temporary_r = store_temporary(f->st);
		store_rollback(f->st);
		f->in_txn = false;
	} else {
		f->n.fetched++;
		switch (res.outcome) {
		case INTAKE_NEW: f->n.fresh++; break;
		case INTAKE_JOINED: f->n.joined++; break;
		case INTAKE_DUPLICATE: f->n.dups++; break;
		case INTAKE_HELD: f->n.held++; break;
		}
		log_debug("%s: case %lld: %s", source, res.case_id, res.note);
		if (f->scanning)
			ret = fetch_commit_one(f, error_r, temporary_r);
	}
	free(source);
	return ret;
}

static int
fetch_sink_commit(void *ctx, uint32_t uidvalidity, uint32_t last_uid,
		  char **error_r, bool *temporary_r)
{
	struct fetcher *f = ctx;

	/* A batch of duplicates only may have opened no transaction yet. */
	if (!f->in_txn && store_begin(f->st, error_r) < 0) {
		*temporary_r = store_temporary(f->st);
		return -1;
	}
	f->in_txn = false;
	if (store_imap_set(f->st, f->cfg->imap_url, uidvalidity, last_uid, error_r) < 0) {
		*temporary_r = store_temporary(f->st);
		store_rollback(f->st);
		return -1;
	}
	/* Refreshes the lock in the same transaction; a fetcher that lost it
	 * commits nothing, so two never store the same batch. */
	return fetch_commit_one(f, error_r, temporary_r);
}

int
fetch_round(struct fetcher *f, struct intake *in, bool *permanent_r)
{
	struct imap_sink sink = { f, fetch_sink_message, fetch_sink_commit,
				  fetch_sink_note };
	/* At least once per [imap] timeout: a server may take that long over
	 * every step of a long answer. */
	struct imap_hooks hooks = { f->stop, fetch_heartbeat, f,
				    f->cfg->imap_timeout < FETCH_LOCK_REFRESH ?
				    (int)f->cfg->imap_timeout : FETCH_LOCK_REFRESH };
	uint32_t uidvalidity = 0, last_uid = 0;
	char *error = NULL;
	bool temporary = true;
	size_t n = 0;
	int r;

	*permanent_r = false;
	f->in = in;
	f->scanning = scan_configured(f->cfg);
	if (fetch_lock(f, &error, &temporary) < 0) {
		log_error("imap: %s", error);
		free(error);
		return -1;
	}
	if (f->s == NULL) {
		if (imap_connect(&f->cfg->imap, f->password, &hooks, &f->s, &error,
				 &temporary) < 0) {
			log_error("imap: %s", error);
			free(error);
			*permanent_r = !temporary;
			return -1;
		}
	}
	r = store_imap_get(f->st, f->cfg->imap_url, &uidvalidity, &last_uid, &error);
	if (r < 0) {
		log_error("%s", error);
		free(error);
		return -1;
	}
	if (r > 0 && uidvalidity != imap_uidvalidity(f->s)) {
		log_warn("imap: %s: UIDVALIDITY changed from %u to %u: reading the whole "
			 "mailbox again (duplicates are recognised)", imap_mailbox(f->s),
			 uidvalidity, imap_uidvalidity(f->s));
		last_uid = 0;
	}
	r = imap_fetch_new(f->s, last_uid, &sink, &n, &error, &temporary);
	if (r < 0) {
		if (f->in_txn) {
			store_rollback(f->st);
			f->in_txn = false;
		}
		log_error("imap: %s", error);
		free(error);
		imap_close(&f->s);
		*permanent_r = !temporary;
		return -1;
	}
	if (n > 0)
		log_info("imap: %zu messages: %lu new cases, %lu joined, %lu duplicates, "
			 "%lu held so far", n, f->n.fresh, f->n.joined, f->n.dups,
			 f->n.held);
	if (r > 0) {
		log_info("imap: more mail is waiting; fetching on after a pause");
		return 1;
	}
	return 0;
}

static void
fetch_forget_password(struct fetcher *f)
{
	if (f->password != NULL) {
		memset(f->password, 0, strlen(f->password));
		free(f->password);
		f->password = NULL;
	}
}

int
fetch_new(const struct config *cfg, struct store *st, const char *password,
	  volatile const bool *stop, struct fetcher **f_r, char **error_r)
{
	struct fetcher *f = xcalloc(1, sizeof(*f));
	int r;

	*f_r = NULL;
	f->cfg = cfg;
	f->st = st;
	f->stop = stop;
	f->password = password != NULL ? xstrdup(password) : NULL;
	f->lock = xasprintf("fetch:%s", cfg->imap_url);
	config_owner(cfg, f->owner, sizeof(f->owner));
	r = store_lock(st, f->lock, f->owner, time(NULL), fetch_lock_ttl(cfg), error_r);
	if (r <= 0) {
		f->owner[0] = '\0';  /* not ours: nothing to release */
		fetch_free(&f);
		return r;
	}
	*f_r = f;
	return 1;
}

void
fetch_reconfigure(struct fetcher *f, const struct config *cfg, const char *password)
{
	imap_close(&f->s);
	fetch_forget_password(f);
	f->password = password != NULL ? xstrdup(password) : NULL;
	f->cfg = cfg;
}

int
fetch_backoff(struct fetcher *f, bool failed)
{
	if (!failed)
		f->backoff = 0;
	else
		f->backoff = f->backoff ? f->backoff * 2 : 1;
	if (f->backoff > FETCH_BACKOFF_MAX)
		f->backoff = FETCH_BACKOFF_MAX;
	return f->backoff;
}

int
fetch_idle(struct fetcher *f, int seconds)
{
	char *error = NULL;

	if (f->s == NULL)
		return 0;
	if (imap_wait(f->s, seconds, f->stop, &error) < 0) {
		log_warn("imap: %s; reconnecting", error);
		free(error);
		imap_close(&f->s);
	}
	return 1;
}

bool
fetch_connected(const struct fetcher *f)
{
	return f->s != NULL;
}

const struct fetch_counts *
fetch_counts(const struct fetcher *f)
{
	return &f->n;
}

void
fetch_free(struct fetcher **fp)
{
	struct fetcher *f = *fp;
	char *error = NULL;

	if (f == NULL)
		return;
	imap_close(&f->s);
	if (f->owner[0] != '\0') {
		store_unlock(f->st, f->lock, f->owner, &error);
		free(error);
	}
	fetch_forget_password(f);
	free(f->lock);
	free(f);
	*fp = NULL;
}
