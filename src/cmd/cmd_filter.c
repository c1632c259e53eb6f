/*
 * NAME
 *	cmd_filter - "redress filter [-f SENDER] [-r RECIPIENT]"
 * DESCRIPTION
 *	Reads one message on stdin, as a delivery filter for Postfix pipe(8),
 *	local(8), Exim, procmail, maildrop or Sieve.  It exits 0 only after
 *	the message is committed, 75 (EX_TEMPFAIL) for anything that is not
 *	the sender's fault, and never bounces a complaint it cannot parse:
 *	that one is stored held.  It prints nothing; it logs to syslog, or
 *	to [log] file.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "case/identity.h"
#include "case/intake.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

static const char filter_usage[] =
"usage: redress filter [-f SENDER] [-r RECIPIENT]\n"
"Delivery filter: reads one message on standard input and stores it.  The\n"
"envelope comes from -f/-r (Postfix pipe: -f ${sender} -r ${recipient}) or\n"
"from the SENDER and RECIPIENT environment variables (local(8), Exim,\n"
"Dovecot).  Exits 0 once the message is committed; 75 (temporary failure,\n"
"the mail server retries) when it could not be stored.  An unreadable\n"
"message is stored held and still exits 0.  Logs go to syslog (mail), or to\n"
"[log] file when [log] target is file.\n";

int
cmd_filter(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sender", required_argument, NULL, 'f' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sender = getenv("SENDER"), *rcpt = getenv("RECIPIENT");
	struct intake_source src;
	struct intake_result res;
	struct store *st = NULL;
	struct identity *id = NULL;
	struct intake *in = NULL;
	char *raw = NULL, *error = NULL;
	size_t len;
	bool truncated;
	int c, status = EX_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, "f:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': sender = optarg; break;
		case 'r': rcpt = optarg; break;
		case 'h': fputs(filter_usage, stdout); return EX_OK;
		default: return cmd_usage(filter_usage);
		}
	}
	if (optind != argc)
		return cmd_usage(filter_usage);
	/* A filter must be silent on its standard streams: Postfix puts them
	 * in bounces and Exim fails deliveries that print.  It logs to its
	 * [log] file when it has one, else to syslog. */
	if (app->verbose <= 0 && app->cfg->log_target != LOG_TARGET_FILE)
		log_init("redress", LOG_TARGET_SYSLOG, LOG_LEVEL_INFO);
	if (app->cfg->warning != NULL)
		log_warn("%s", app->cfg->warning);
	/* Postfix pipe(8) shows the null sender as MAILER-DAEMON. */
	if (sender != NULL && strcmp(sender, "MAILER-DAEMON") == 0)
		sender = "";
	if (sender != NULL && strcmp(sender, "<>") == 0)
		sender = "";

	/* Read everything, even past the cap: the MTA expects EOF to be read. */
	if (file_read_fd(STDIN_FILENO, (size_t)app->cfg->intake_max_size + 1, true, &raw,
			 &len, &truncated) < 0) {
		log_error("filter: cannot read standard input: %s", strerror(errno));
		return EX_TEMPFAIL;
	}
	if (cmd_open_store(app, &st) != EX_OK) {
		free(raw);
		store_close(&st);
		return EX_TEMPFAIL;
	}
	if (identity_new(app->cfg, st, &id, &error) < 0 ||
	    intake_new(app->cfg, id, st, true, &in, &error) < 0) {
		log_error("filter: %s", error);
		status = EX_TEMPFAIL;
		goto out;
	}
	src.source = "filter";
	src.envelope_from = sender;
	src.envelope_to = rcpt;
	/* spamd and rspamd are asked before the store is locked. */
	intake_prescan(in, raw, len);
	if (store_begin(st, &error) < 0 ||
	    intake_message(in, raw, len, &src, app->now, &res, &error) < 0 ||
	    store_commit(st, &error) < 0) {
		log_error("filter: %s", error);
		store_rollback(st);
		status = EX_TEMPFAIL;
		goto out;
	}
	log_info("filter: case %lld: %s%s", res.case_id, res.note,
		 truncated ? " (message was larger than the size limit)" : "");
out:
	free(error);
	free(raw);
	intake_free(&in);
	identity_free(&id);
	store_close(&st);
	return status;
}
