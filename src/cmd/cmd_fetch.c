/*
 * NAME
 *	cmd_fetch - "redress fetch [--once]"
 * DESCRIPTION
 *	Takes new messages from the configured IMAP mailbox into intake, by
 *	UID, in batches, each committed before the server marks or moves its
 *	messages (fetch.h).  One fetcher per mailbox (a lock in the store).
 *
 *	--once fetches what is there and exits: 75 when the server could not
 *	be reached or failed (try again), 69 when it refused us for good (a
 *	login or certificate).  Without it fetch waits for new mail with IDLE
 *	(or polls) and reconnects with backoff after network trouble, until
 *	SIGTERM or SIGINT.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/log.h"
#include "case/fetch.h"
#include "case/identity.h"
#include "case/intake.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

static volatile bool fetch_stop;

static void
fetch_on_stop(int sig)
{
	(void)sig;
	fetch_stop = true;
}

/* Waits up to seconds for new mail (IDLE) or a signal; after an error,
 * backs off before the next connection. */
static void
fetch_wait(struct fetcher *f, int seconds, bool failed)
{
	if (failed) {
		int backoff = fetch_backoff(f, true);

		if (seconds > backoff)
			seconds = backoff;
		log_info("imap: trying again in %d s", seconds);
	} else {
		fetch_backoff(f, false);
		if (fetch_idle(f, seconds))
			return;
	}
	for (int i = 0; i < seconds && !fetch_stop; i++)
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
	struct store *st = NULL;
	struct identity *id = NULL;
	struct intake *in = NULL;
	struct fetcher *f = NULL;
	const struct fetch_counts *n;
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
	ret = cmd_fetch_open(app, &fetch_stop, &st, &id, &in, &f);
	if (ret != EX_OK)
		goto out;
	signal(SIGTERM, fetch_on_stop);
	signal(SIGINT, fetch_on_stop);
	for (;;) {
		int r = fetch_round(f, in, &permanent);
		bool failed = r < 0;

		/* A round that stopped early is followed at once. */
		if (r > 0 && !fetch_stop)
			continue;
		if (once) {
			ret = !failed ? EX_OK : permanent ? EX_UNAVAILABLE : EX_TEMPFAIL;
			break;
		}
		if (fetch_stop)
			break;
		fetch_wait(f, fetch_connected(f) && !failed ? FETCH_IDLE_MAX
			   : (int)app->cfg->imap_poll, failed);
		if (fetch_stop)
			break;
	}
	n = fetch_counts(f);
	if (app->json)
		printf("{\"messages\":%lu,\"new\":%lu,\"joined\":%lu,\"duplicates\":%lu,"
		       "\"held\":%lu}\n", n->fetched, n->fresh, n->joined, n->dups, n->held);
	else if (app->verbose >= 0)
		printf("fetched %lu messages: %lu new cases, %lu joined, %lu duplicates, "
		       "%lu held\n", n->fetched, n->fresh, n->joined, n->dups, n->held);
out:
	fetch_free(&f);
	intake_free(&in);
	identity_free(&id);
	store_close(&st);
	return ret;
}
