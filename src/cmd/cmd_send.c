/*
 * NAME
 *	cmd_send - "redress send"
 * DESCRIPTION
 *	send delivers the jobs that are due: acknowledgements, follow-ups,
 *	escalations and warnings.  One sender runs at a time (the "send" lock
 *	in the store, held for the whole run and renewed every third of
 *	[smtp] lease).  --once sends what is due and exits: 75 when the
 *	server could not be reached or stopped answering (the other due jobs
 *	wait), 69 when it refused our setup (login, certificate).  Without
 *	--once, send keeps going every 30 seconds until SIGTERM or SIGINT,
 *	which stop it after the job in hand.  --dry-run prints the due jobs
 *	and their messages instead, takes no lock and changes nothing.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/identity.h"
#include "case/outbox.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

#define SEND_INTERVAL 30

static volatile sig_atomic_t send_stop;

static void
send_on_signal(int sig)
{
	(void)sig;
	send_stop = 1;
}

static bool
send_stopping(void)
{
	return send_stop != 0;
}

/* What --dry-run shows of each due job. */
static void
send_show(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	fwrite(text, 1, len, stdout);
}

static const char send_usage[] =
"usage: redress send [--once] [--dry-run]\n"
"Delivers the jobs that are due (acknowledgements, follow-ups, escalations,\n"
"warnings) over SMTP, or into the outbox directory when [smtp] has no url.\n"
"  --once     send what is due now and exit (otherwise: every 30 s until\n"
"             SIGTERM, which stops after the job in hand)\n"
"  --dry-run  print the due jobs and what each would send; change nothing\n"
"A temporary failure (4xx) leaves the job queued with backoff until [smtp]\n"
"lifetime has passed since its first attempt; a permanent one (5xx) fails\n"
"it with the server's reply.  A server that cannot be reached or stops\n"
"answering ends the round: the other jobs wait (exit 75 with --once).\n";

int
cmd_send(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *st = NULL;
	struct identity *id = NULL;
	struct outbox *ob = NULL;
	struct outbox_stats stats = { 0 };
	bool once = false, dry = false, lost = false;
	char *error = NULL;
	int c, r, ret = EX_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, "onh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = true; break;
		case 'n': dry = true; break;
		case 'h': fputs(send_usage, stdout); return EX_OK;
		default: return cmd_usage(send_usage);
		}
	}
	if (optind != argc)
		return cmd_usage(send_usage);
	if (dry)
		once = true;
	ret = cmd_open_store(app, &st);
	if (ret != EX_OK) {
		store_close(&st);
		return ret;
	}
	if (identity_new(app->cfg, st, &id, &error) < 0 ||
	    outbox_new(app->cfg, id, st, dry, &ob, &error) < 0) {
		log_error("%s", error);
		free(error);
		identity_free(&id);
		store_close(&st);
		return EX_CONFIG;
	}
	/* A dry run only reads: it takes no lock, so it can show what a
	 * running daemon is about to send. */
	r = dry ? 1 : outbox_lock(ob, &error);
	if (r <= 0) {
		if (r < 0)
			log_error("%s", error);
		else
			log_error("another sender is running (lock \"%s\" in %s)",
				  outbox_lock_name(ob), store_name(st));
		free(error);
		outbox_free(&ob);
		identity_free(&id);
		store_close(&st);
		return EX_TEMPFAIL;
	}
	signal(SIGTERM, send_on_signal);
	signal(SIGINT, send_on_signal);
	do {
		time_t now = clock_now();
		struct outbox_round round = { 0, 0, send_stopping, send_show, NULL };

		/* The lock is this run's: kept across rounds, fresh while waiting. */
		r = outbox_send_round(ob, now, &round, true, &stats, &error);
		if (r < 0) {
			log_error("%s", error);
			free(error);
			error = NULL;
			ret = store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
			break;
		}
		lost = r == OUTBOX_BUSY;
		for (int i = 0; !once && !lost && i < SEND_INTERVAL && !send_stop; i++) {
			sleep(1);
			lost = outbox_renew(ob, false) == 0;
		}
	} while (!once && !send_stop && !lost);
	if (ret == EX_OK && lost)
		ret = EX_TEMPFAIL;
	else if (ret == EX_OK && once && stats.halts > 0)
		ret = EX_UNAVAILABLE;   /* our setup was refused: fix it first */
	else if (ret == EX_OK && once && stats.down > 0)
		ret = EX_TEMPFAIL;      /* the server: try again later */
	if (app->json)
		printf("{\"sent\":%lu,\"deferred\":%lu,\"failed\":%lu,\"suppressed\":%lu,"
		       "\"unconfirmed\":%lu}\n", stats.sent, stats.deferred, stats.failed,
		       stats.suppressed, stats.unconfirmed);
	else if (app->verbose >= 0 && !dry)
		printf("%lu sent, %lu deferred, %lu failed, %lu suppressed%s\n",
		       stats.sent, stats.deferred, stats.failed, stats.suppressed,
		       stats.down > 0 ? " (the server could not be reached or stopped "
		       "answering: the other due jobs wait)" : "");
	outbox_free(&ob);
	identity_free(&id);
	store_close(&st);
	return ret;
}
