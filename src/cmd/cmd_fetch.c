/*
 * NAME
 *	cmd_fetch - "redress fetch" (IMAP) and "redress run" (the daemon)
 * DESCRIPTION
 *	fetch takes new messages from the configured IMAP mailbox by UID, in
 *	batches: each batch goes through intake in one store transaction that
 *	also records the mailbox's UIDVALIDITY and last UID, and only after
 *	that commit does the fetcher mark or move the messages on the server.
 *	A crash in between means a re-fetch, which intake's dedup absorbs;
 *	the other order would lose mail.  One fetcher per mailbox (a lock in
 *	the store).  A changed UIDVALIDITY means a full rescan; dedup keeps
 *	it from making duplicates.
 *
 *	--once fetches what is there and exits.  Without it fetch waits for
 *	new mail with IDLE (or polls) and reconnects with backoff after
 *	network trouble, until SIGTERM or SIGINT.
 *
 *	run does fetch, send and tick in one process: fetch as above (when
 *	[imap] url is set), send every 30 s (each round under the "send" lock
 *	that "redress send" takes, so that the two never send at once, and
 *	at most RUN_SEND_ROUND seconds long, so that sending never starves
 *	fetching and ticking: a round cut short is taken up again right after
 *	them) and tick every 60 s.  SIGTERM finishes the message in hand and
 *	exits; SIGHUP reloads the configuration, rules and templates, checking
 *	the new ones first (a bad reload keeps the old ones and says why, and
 *	so does a change that needs a restart: the store, the mailbox).
 */
#include "autoconfig.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/intake.h"
#include "case/outbox.h"
#include "case/tick.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "net/imap.h"
#include "policy/sla.h"
#include "store/store.h"

/* A fetcher's lock may be taken over when it is older than this plus
 * twice [imap] timeout (the longest a live fetcher goes without
 * refreshing it: a TLS handshake or an intake batch).  It is refreshed
 * at the start of each round, with every commit, and at least every
 * FETCH_LOCK_REFRESH seconds (or [imap] timeout, if shorter) while the
 * fetcher waits on the server. */
#define FETCH_LOCK_TTL 900
#define FETCH_LOCK_REFRESH 60
#define FETCH_IDLE_MAX (29 * 60)   /* RFC 2177: re-issue IDLE before 29 min */
#define FETCH_BACKOFF_MAX 300
#define RUN_SEND_EVERY 30
#define RUN_TICK_EVERY 60
#define RUN_SEND_ROUND 10          /* seconds: claim no job after it */

static volatile bool fetch_stop;
static volatile bool fetch_reload;

static void
fetch_on_stop(int sig)
{
	(void)sig;
	fetch_stop = true;
}

static void
fetch_on_hup(int sig)
{
	(void)sig;
	fetch_reload = true;
}

struct fetcher {
	struct app *app;
	const struct config *cfg;
	struct store *st;
	struct intake *in;
	char *password;          /* secret */
	struct imap_session *s;
	char owner[128];
	bool in_txn;
	bool more;               /* the last round stopped early */
	unsigned long fetched, fresh, joined, dups, held;
	int backoff;
	time_t next_try;
};

static time_t
fetch_now(const struct app *app)
{
	return app->now_given ? app->now : clock_now();
}

static long
fetch_lock_ttl(const struct config *cfg)
{
	return FETCH_LOCK_TTL + 2 * (cfg->imap_timeout > 0 ? cfg->imap_timeout : 60);
}

/*
 * Takes the fetch lock for cfg's mailbox, or refreshes it when it is ours
 * already: 0, or -1 with *error_r (*temporary_r: store trouble, or the
 * lock is another live fetcher's).
 */
static int
fetch_lock(struct fetcher *f, char **error_r, bool *temporary_r)
{
	char *lock = xasprintf("fetch:%s", f->cfg->imap_url);
	int r = store_lock(f->st, lock, f->owner, time(NULL), fetch_lock_ttl(f->cfg),
			   error_r);

	free(lock);
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

static int
fetch_sink_message(void *ctx, uint32_t uidvalidity, uint32_t uid, const char *raw,
		   size_t len, const char *hold, char **error_r, bool *temporary_r)
{
	struct fetcher *f = ctx;
	struct intake_source src = { NULL, NULL, NULL };
	struct intake_result res;
	char *source;
	int ret;

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
		ret = intake_held(f->in, hold, &src, fetch_now(f->app), &res, error_r);
	else
		ret = intake_message(f->in, raw, len, &src, fetch_now(f->app), &res,
				     error_r);
	if (ret < 0) {
		*temporary_r = store_temporary(f->st);
		store_rollback(f->st);
		f->in_txn = false;
	} else {
		f->fetched++;
		switch (res.outcome) {
		case INTAKE_NEW: f->fresh++; break;
		case INTAKE_JOINED: f->joined++; break;
		case INTAKE_DUPLICATE: f->dups++; break;
		case INTAKE_HELD: f->held++; break;
		}
		log_debug("%s: case %lld: %s", source, res.case_id, res.note);
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

/* Connects when needed and fetches what is new: 0, or -1 (logged). */
static int
fetch_round(struct fetcher *f, bool *permanent_r)
{
	struct imap_sink sink = { f, fetch_sink_message, fetch_sink_commit,
				  fetch_sink_note };
	/* At least once per [imap] timeout: a server may take that long over
	 * every step of a long answer. */
	struct imap_hooks hooks = { &fetch_stop, fetch_heartbeat, f,
				    f->cfg->imap_timeout > 0 &&
				    f->cfg->imap_timeout < FETCH_LOCK_REFRESH ?
				    (int)f->cfg->imap_timeout : FETCH_LOCK_REFRESH };
	uint32_t uidvalidity = 0, last_uid = 0;
	char *error = NULL;
	bool temporary = true;
	size_t n = 0;
	int r;

	*permanent_r = false;
	f->more = false;
	if (fetch_lock(f, &error, &temporary) < 0) {
		log_error("imap: %s", error);
		free(error);
		return -1;
	}
	if (f->s == NULL) {
		if (imap_connect(f->cfg, f->password, &hooks, &f->s, &error,
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
			 "%lu held so far", n, f->fresh, f->joined, f->dups, f->held);
	if (r > 0) {
		f->more = true;
		log_info("imap: more mail is waiting; fetching on after a pause");
	}
	return 0;
}

static int
fetch_open(struct app *app, struct fetcher *f)
{
	char host[64] = "localhost", *error = NULL, *lock;
	int r;

	memset(f, 0, sizeof(*f));
	f->app = app;
	f->cfg = app->cfg;
	if (app->cfg->imap_url == NULL) {
		fprintf(stderr, "redress: fetch: no [imap] url in %s\n",
			app->cfg->file != NULL ? app->cfg->file : "the configuration");
		return EX_CONFIG;
	}
	if (config_secret(app->cfg->imap_password, app->cfg->imap_password_file,
			  &f->password, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	r = cmd_open_store(app, &f->st);
	if (r != EX_OK)
		return r;
	gethostname(host, sizeof(host) - 1);
	snprintf(f->owner, sizeof(f->owner), "%ld@%s", (long)getpid(), host);
	lock = xasprintf("fetch:%s", app->cfg->imap_url);
	r = store_lock(f->st, lock, f->owner, time(NULL), fetch_lock_ttl(app->cfg),
		       &error);
	free(lock);
	if (r <= 0) {
		if (r < 0)
			log_error("%s", error);
		else
			log_error("another fetcher is reading %s", app->cfg->imap_url);
		free(error);
		return EX_TEMPFAIL;
	}
	if (intake_new(app->cfg, f->st, false, &f->in, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	return EX_OK;
}

static void
fetch_close(struct fetcher *f)
{
	char *error = NULL;

	imap_close(&f->s);
	intake_free(&f->in);
	if (f->st != NULL && f->owner[0] != '\0' && f->cfg->imap_url != NULL) {
		char *lock = xasprintf("fetch:%s", f->cfg->imap_url);
		store_unlock(f->st, lock, f->owner, &error);
		free(lock);
		free(error);
	}
	store_close(&f->st);
	if (f->password != NULL) {
		memset(f->password, 0, strlen(f->password));
		free(f->password);
		f->password = NULL;
	}
}

/* Waits up to seconds for new mail (IDLE) or a signal; after an error,
 * backs off before the next connection. */
static void
fetch_wait(struct fetcher *f, int seconds, bool failed)
{
	char *error = NULL;

	if (failed) {
		f->backoff = f->backoff ? f->backoff * 2 : 1;
		if (f->backoff > FETCH_BACKOFF_MAX)
			f->backoff = FETCH_BACKOFF_MAX;
		if (seconds > f->backoff)
			seconds = f->backoff;
		log_info("imap: trying again in %d s", seconds);
	} else {
		f->backoff = 0;
	}
	if (f->s != NULL && !failed) {
		if (imap_wait(f->s, seconds, &fetch_stop, &error) < 0) {
			log_warn("imap: %s; reconnecting", error);
			free(error);
			imap_close(&f->s);
		}
		return;
	}
	for (int i = 0; i < seconds && !fetch_stop && !fetch_reload; i++)
		sleep(1);
}

static const char fetch_usage[] =
"usage: redress fetch [--once]\n"
"Fetches new messages from [imap] url by UID (BODY.PEEK), stores them, and\n"
"only then marks them (\\Seen and [imap] keyword) or moves them ([imap]\n"
"processed = move:FOLDER).  --once: fetch what is there and exit.  Without\n"
"--once: wait for new mail with IDLE (or poll every [imap] poll seconds)\n"
"until SIGTERM.  Certificates are always verified unless [imap] tls = none.\n"
"Every wait on the server is bounded by [imap] timeout; a message the server\n"
"will not deliver is held.  Exit 75: try again later (network, server).\n";

int
cmd_fetch(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fetcher f;
	bool once = false, permanent = false;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "oh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = true; break;
		case 'h': fputs(fetch_usage, stdout); return EX_OK;
		default: return cmd_usage(fetch_usage);
		}
	}
	if (optind != argc)
		return cmd_usage(fetch_usage);
	ret = fetch_open(app, &f);
	if (ret != EX_OK) {
		fetch_close(&f);
		return ret;
	}
	signal(SIGTERM, fetch_on_stop);
	signal(SIGINT, fetch_on_stop);
	for (;;) {
		bool failed = fetch_round(&f, &permanent) < 0;

		/* A round that stopped early is followed at once. */
		if (!failed && f.more && !fetch_stop)
			continue;
		if (once) {
			ret = !failed ? EX_OK : permanent ? EX_UNAVAILABLE : EX_TEMPFAIL;
			break;
		}
		if (fetch_stop)
			break;
		fetch_wait(&f, f.s != NULL && !failed ? FETCH_IDLE_MAX : (int)app->cfg->imap_poll,
			   failed);
		if (fetch_stop)
			break;
	}
	if (app->json)
		printf("{\"messages\":%lu,\"new\":%lu,\"joined\":%lu,\"duplicates\":%lu,"
		       "\"held\":%lu}\n", f.fetched, f.fresh, f.joined, f.dups, f.held);
	else if (app->verbose >= 0)
		printf("fetched %lu messages: %lu new cases, %lu joined, %lu duplicates, "
		       "%lu held\n", f.fetched, f.fresh, f.joined, f.dups, f.held);
	fetch_close(&f);
	return ret;
}

static bool
run_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/*
 * What a new configuration changes that the running daemon cannot take
 * over: the store it has open (a reload that went on with the old one
 * would leave "filter", which reads the new file, queueing acks into a
 * store nobody sends from), and the mailbox whose fetch lock it holds.
 * NULL, or an allocated "FILE:LINE: [section] key ..." message.
 */
static char *
run_restart_needed(const struct config *old, const struct config *cfg)
{
	const char *section, *key;
	const char *where;

	if (!run_same(old->store_path, cfg->store_path))
		section = "store", key = "path";
	else if (old->store_busy_timeout != cfg->store_busy_timeout)
		section = "store", key = "busy_timeout";
	else if (!run_same(old->imap_url, cfg->imap_url))
		section = "imap", key = "url";
	else
		return NULL;
	where = config_where(cfg, section, key);
	if (strcmp(where, "(default)") == 0)
		where = cfg->file != NULL ? cfg->file : "the built-in defaults";
	return xasprintf("%s: [%s] %s changed, and that takes a restart "
			 "(systemctl restart redress)", where, section, key);
}

/* [log] as main sets it up, -v and -q still winning. */
static void
run_log_level(const struct app *app, struct config *cfg, enum log_level *level_r)
{
	*level_r = LOG_LEVEL_INFO;
	if (app->verbose > 0) {
		/* Modules that trace (the SMTP dialogue) read the config. */
		free(cfg->log_level);
		cfg->log_level = xstrdup("debug");
	}
	if (strcmp(cfg->log_level, "error") == 0)
		*level_r = LOG_LEVEL_ERROR;
	else if (strcmp(cfg->log_level, "warning") == 0)
		*level_r = LOG_LEVEL_WARN;
	else if (strcmp(cfg->log_level, "debug") == 0)
		*level_r = LOG_LEVEL_DEBUG;
	if (app->verbose < 0)
		*level_r = LOG_LEVEL_ERROR;
}

/* Loads a new configuration and everything that depends on it; on any
 * error the old ones stay.  Returns 0 when the new ones are in place. */
static int
run_reload(struct app *app, struct fetcher *f, struct outbox **ob,
	   struct sla_policy **sla)
{
	struct config *cfg = NULL;
	struct intake *in = NULL;
	struct outbox *nob = NULL;
	struct sla_policy *nsla = NULL;
	char *error = NULL, *pw = NULL;
	enum log_level level = LOG_LEVEL_INFO;

	if (config_find_and_load(app->config_path, &cfg, &error) == 0) {
		run_log_level(app, cfg, &level);
		error = run_restart_needed(app->cfg, cfg);
	}
	if (error != NULL ||
	    sla_policy_load(cfg, &nsla, &error) < 0 ||
	    intake_new(cfg, f->st, false, &in, &error) < 0 ||
	    outbox_new(cfg, f->st, false, &nob, &error) < 0 ||
	    config_secret(cfg->imap_password, cfg->imap_password_file, &pw, &error) < 0) {
		log_error("reload refused, keeping the running configuration: %s", error);
		free(error);
		intake_free(&in);
		outbox_free(&nob);
		sla_policy_free(&nsla);
		config_free(&cfg);
		return -1;
	}
	intake_free(&f->in);
	f->in = in;
	outbox_free(ob);
	*ob = nob;
	sla_policy_free(sla);
	*sla = nsla;
	if (f->password != NULL) {
		memset(f->password, 0, strlen(f->password));
		free(f->password);
	}
	f->password = pw;
	imap_close(&f->s);
	config_free(&app->cfg);
	app->cfg = cfg;
	f->cfg = cfg;
	log_init("redress", strcmp(cfg->log_target, "syslog") == 0
		 ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR, level);
	log_info("configuration reloaded from %s", cfg->file != NULL ? cfg->file
		 : "the built-in defaults");
	return 0;
}

static bool
run_stopping(void)
{
	return fetch_stop;
}

/*
 * One round of sending under the "send" lock that "redress send" takes,
 * so that the two never send at once.  Another live sender means no
 * sending this round.  The round claims no job after RUN_SEND_ROUND
 * seconds and stops after the job in hand on SIGTERM.  Returns true when
 * it was cut short by its time with jobs left: the caller fetches and
 * ticks, then comes back at once.
 */
static bool
run_send(struct outbox *ob, time_t now, struct outbox_stats *stats)
{
	struct outbox_round round = { 0, RUN_SEND_ROUND, run_stopping };
	unsigned long down = stats->down, halts = stats->halts;
	char *error = NULL;
	int r;

	r = outbox_lock(ob, &error);
	if (r <= 0) {
		if (r < 0)
			log_error("send: %s", error);
		else
			log_info("send: another sender is running; not sending this round");
		free(error);
		return false;
	}
	r = outbox_send_due(ob, now, &round, stats, &error);
	if (r < 0) {
		log_error("send: %s", error);
		free(error);
	}
	outbox_unlock(ob);
	if (r > 0 && stats->down == down && stats->halts == halts && !fetch_stop) {
		log_debug("send: the round took its %d s; fetching and ticking before "
			  "the next", RUN_SEND_ROUND);
		return true;
	}
	return false;
}

static const char run_usage[] =
"usage: redress run\n"
"The daemon: fetches mail from [imap] url (IDLE) when one is set, sends due\n"
"jobs every 30 s (in rounds of at most 10 s, so that fetching and ticking go\n"
"on) and checks the SLA clocks every 60 s.  SIGTERM finishes the message in\n"
"hand and exits; SIGHUP reloads the configuration, rules and templates (the\n"
"new ones are checked first; a bad reload, or a change to [store] or\n"
"[imap] url, which needs a restart, keeps the old).\n";

int
cmd_run(struct app *app, int argc, char **argv)
{
	struct fetcher f;
	struct outbox *ob = NULL;
	struct sla_policy *sla = NULL;
	struct outbox_stats ostats = { 0 };
	time_t next_send = 0, next_tick = 0;
	char *error = NULL;
	bool imap;
	int ret = EX_OK;

	if (cmd_wants_help(argc, argv)) {
		fputs(run_usage, stdout);
		return EX_OK;
	}
	if (argc != 1)
		return cmd_usage(run_usage);
	imap = app->cfg->imap_url != NULL;
	if (imap) {
		ret = fetch_open(app, &f);
	} else {
		memset(&f, 0, sizeof(f));
		f.app = app;
		f.cfg = app->cfg;
		ret = cmd_open_store(app, &f.st);
	}
	if (ret == EX_OK && (sla_policy_load(app->cfg, &sla, &error) < 0 ||
			     outbox_new(app->cfg, f.st, false, &ob, &error) < 0)) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		ret = EX_CONFIG;
	}
	if (ret != EX_OK)
		goto out;
	signal(SIGTERM, fetch_on_stop);
	signal(SIGINT, fetch_on_stop);
	signal(SIGHUP, fetch_on_hup);
	log_info("running: %s, sending every %d s, SLA tick every %d s",
		 imap ? app->cfg->imap_url : "no IMAP mailbox", RUN_SEND_EVERY,
		 RUN_TICK_EVERY);
	while (!fetch_stop) {
		time_t now = clock_now();
		bool failed = false, permanent = false;
		long wait;

		if (fetch_reload) {
			fetch_reload = false;
			/* Whether there is a mailbox to read is fixed at start: the
			 * fetch lock was taken (or not) then. */
			run_reload(app, &f, &ob, &sla);
		}
		if (imap && (f.next_try == 0 || now >= f.next_try)) {
			failed = fetch_round(&f, &permanent) < 0;
			f.next_try = 0;
			if (failed) {
				f.backoff = f.backoff ? f.backoff * 2 : 1;
				if (f.backoff > FETCH_BACKOFF_MAX)
					f.backoff = FETCH_BACKOFF_MAX;
				f.next_try = now + f.backoff;
			} else {
				f.backoff = 0;
			}
		}
		if (fetch_stop)
			break;
		/* A round can take seconds; the acks of what it took in are due
		 * from the moment of their intake, so a stale "now" would leave
		 * them for the next send round, 30 s later. */
		now = clock_now();
		if (now >= next_tick) {
			struct tick_stats ts = { 0 };

			if (tick_run(f.st, app->cfg, sla, now, &ts, &error) < 0) {
				log_error("tick: %s", error);
				free(error);
				error = NULL;
			} else if (ts.breaches + ts.warnings > 0) {
				log_info("tick: %lu breaches, %lu warnings", ts.breaches, ts.warnings);
			}
			next_tick = now + RUN_TICK_EVERY;
		}
		if (now >= next_send) {
			if (run_send(ob, now, &ostats)) {
				next_send = 0;
				continue;
			}
			next_send = now + RUN_SEND_EVERY;
		}
		wait = (next_send < next_tick ? next_send : next_tick) - clock_now();
		if (wait < 1)
			wait = 1;
		if (imap && f.s != NULL && !failed) {
			if (imap_wait(f.s, (int)wait, &fetch_stop, &error) < 0) {
				log_warn("imap: %s; reconnecting", error);
				free(error);
				error = NULL;
				imap_close(&f.s);
			}
		} else {
			for (long i = 0; i < wait && !fetch_stop && !fetch_reload; i++)
				sleep(1);
		}
	}
	log_info("stopping: %lu sent, %lu deferred, %lu failed", ostats.sent,
		 ostats.deferred, ostats.failed);
out:
	outbox_free(&ob);
	sla_policy_free(&sla);
	fetch_close(&f);
	return ret;
}
