/*
 * NAME
 *	cmd_run - "redress run", the daemon
 * DESCRIPTION
 *	Does fetch, send and tick in one process: fetch as "redress fetch"
 *	does (when [imap] url is set), send every RUN_SEND_EVERY seconds (each
 *	round under the "send" lock that "redress send" takes, so that the
 *	two never send at once, and at most RUN_SEND_ROUND seconds long, so
 *	that sending never starves fetching and ticking: a round cut short is
 *	taken up again right after them) and tick every RUN_TICK_EVERY
 *	seconds.  SIGTERM finishes the message in hand and exits; SIGHUP
 *	reloads the configuration, rules and templates, checking the new ones
 *	first (a bad reload keeps the old ones and says why, and so does a
 *	change that needs a restart: the store, the mailbox).
 */
#include "autoconfig.h"

#include <errno.h>
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
#include "case/fetch.h"
#include "case/identity.h"
#include "case/intake.h"
#include "case/outbox.h"
#include "case/tick.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

#define RUN_SEND_EVERY 30
#define RUN_TICK_EVERY 60
#define RUN_SEND_ROUND 10          /* seconds: claim no job after it */

static volatile bool run_stop;
static volatile bool run_reload_asked;

static void
run_on_stop(int sig)
{
	(void)sig;
	run_stop = true;
}

static void
run_on_hup(int sig)
{
	(void)sig;
	run_reload_asked = true;
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
	else if (!run_same(old->store_url, cfg->store_url))
		section = "store", key = "url";
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

/* Opens [log] file anew, the same path too: logrotate(8) has moved the old
 * file away and sends SIGHUP. */
static int
run_reopen_log(const struct config *cfg, char **error_r)
{
	if (cfg->log_target != LOG_TARGET_FILE || log_open(cfg->log_file) == 0)
		return 0;
	*error_r = xasprintf("%s: [log] file: \"%s\": %s", config_where(cfg, "log", "file"),
			     cfg->log_file, strerror(errno));
	return -1;
}

/* Loads a new configuration and everything that depends on it; on any
 * error the old ones stay.  Returns 0 when the new ones are in place. */
static int
run_reload(struct app *app, struct store *st, struct fetcher *f, struct identity **id_r,
	   struct intake **in_r, struct outbox **ob)
{
	struct config *cfg = NULL;
	struct identity *id = NULL;
	struct intake *in = NULL;
	struct outbox *nob = NULL;
	char *error = NULL, *pw = NULL;
	enum log_level level = LOG_LEVEL_INFO;

	if (config_find_and_load(app->config_path, &cfg, &error) == 0) {
		level = cmd_log_level(app, cfg);
		error = run_restart_needed(app->cfg, cfg);
	}
	if (error != NULL ||
	    identity_new(cfg, st, &id, &error) < 0 ||
	    intake_new(cfg, id, st, false, &in, &error) < 0 ||
	    outbox_new(cfg, id, st, false, &nob, &error) < 0 ||
	    config_secret(cfg->imap_password, cfg->imap_password_file, &pw, &error) < 0 ||
	    run_reopen_log(cfg, &error) < 0) {
		log_error("reload refused, keeping the running configuration: %s", error);
		free(error);
		intake_free(&in);
		outbox_free(&nob);
		identity_free(&id);
		config_free(&cfg);
		return -1;
	}
	intake_free(in_r);
	*in_r = in;
	outbox_free(ob);
	*ob = nob;
	identity_free(id_r);
	*id_r = id;
	if (f != NULL)
		fetch_reconfigure(f, cfg, pw);
	if (pw != NULL) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	config_free(&app->cfg);
	app->cfg = cfg;
	log_init("redress", cfg->log_target, level);
	log_info("configuration reloaded from %s", cfg->file != NULL ? cfg->file
		 : "the built-in defaults");
	return 0;
}

static bool
run_stopping(void)
{
	return run_stop;
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
	struct outbox_round round = { 0, RUN_SEND_ROUND, run_stopping, NULL, NULL };
	unsigned long down = stats->down, halts = stats->halts;
	char *error = NULL;
	int r;

	r = outbox_send_round(ob, now, &round, false, stats, &error);
	if (r < 0) {
		log_error("send: %s", error);
		free(error);
		return false;
	}
	if (r == OUTBOX_BUSY) {
		log_info("send: another sender is running; not sending this round");
		return false;
	}
	if (r > 0 && stats->down == down && stats->halts == halts && !run_stop) {
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
	struct store *st = NULL;
	struct intake *in = NULL;
	struct fetcher *f = NULL;
	struct outbox *ob = NULL;
	struct identity *id = NULL;
	struct outbox_stats ostats = { 0 };
	time_t next_send = 0, next_tick = 0, next_try = 0;
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
	if (imap)
		ret = cmd_fetch_open(app, &run_stop, &st, &id, &in, &f);
	else
		ret = cmd_open_store(app, &st);
	if (ret == EX_OK && ((id == NULL && identity_new(app->cfg, st, &id, &error) < 0) ||
			     outbox_new(app->cfg, id, st, false, &ob, &error) < 0)) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		ret = EX_CONFIG;
	}
	if (ret != EX_OK)
		goto out;
	signal(SIGTERM, run_on_stop);
	signal(SIGINT, run_on_stop);
	signal(SIGHUP, run_on_hup);
	log_info("running: %s, sending every %d s, SLA tick every %d s",
		 imap ? app->cfg->imap_url : "no IMAP mailbox", RUN_SEND_EVERY,
		 RUN_TICK_EVERY);
	while (!run_stop) {
		time_t now = clock_now();
		bool failed = false, permanent = false;
		long wait;

		if (run_reload_asked) {
			run_reload_asked = false;
			/* Whether there is a mailbox to read is fixed at start: the
			 * fetch lock was taken (or not) then. */
			run_reload(app, st, f, &id, &in, &ob);
		}
		if (f != NULL && (next_try == 0 || now >= next_try)) {
			failed = fetch_round(f, in, &permanent) < 0;
			next_try = failed ? now + fetch_backoff(f, true) : 0;
			if (!failed)
				fetch_backoff(f, false);
		}
		if (run_stop)
			break;
		/* A round can take seconds; the acks of what it took in are due
		 * from the moment of their intake, so a stale "now" would leave
		 * them for the next send round, 30 s later. */
		now = clock_now();
		if (now >= next_tick) {
			struct tick_stats ts = { 0 };

			if (tick_run(st, app->cfg, now, &ts, &error) < 0) {
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
		if (f == NULL || failed || !fetch_idle(f, (int)wait)) {
			for (long i = 0; i < wait && !run_stop && !run_reload_asked; i++)
				sleep(1);
		}
	}
	log_info("stopping: %lu sent, %lu deferred, %lu failed", ostats.sent,
		 ostats.deferred, ostats.failed);
out:
	outbox_free(&ob);
	fetch_free(&f);
	intake_free(&in);
	identity_free(&id);
	store_close(&st);
	return ret;
}
