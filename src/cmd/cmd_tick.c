/*
 * NAME
 *	cmd_tick - "redress tick"
 * DESCRIPTION
 *	Checks the SLA clocks of every open case (tick.h): marks breaches and
 *	queues escalations and warnings.  Safe to run as often as one likes.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "base/log.h"
#include "case/tick.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "store/store.h"

static const char tick_usage[] =
"usage: redress tick\n"
"Checks the SLA clocks of every open case: marks first-response and\n"
"resolution breaches, queues one escalation per breach to [smtp]\n"
"escalate_to, and a warning when a case is [sla] warn_percent of the way to\n"
"a deadline.  Safe to run as often as you like (cron: every minute).\n";

int
cmd_tick(struct app *app, int argc, char **argv)
{
	struct store *st = NULL;
	struct tick_stats stats = { 0 };
	char *error = NULL;
	int ret;

	if (cmd_wants_help(argc, argv)) {
		fputs(tick_usage, stdout);
		return EX_OK;
	}
	if (argc != 1)
		return cmd_usage(tick_usage);
	ret = cmd_open_store(app, &st);
	if (ret == EX_OK && tick_run(st, app->cfg, app->now, &stats, &error) < 0) {
		log_error("%s", error);
		free(error);
		ret = store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	if (ret == EX_OK) {
		if (app->json)
			printf("{\"checked\":%lu,\"breaches\":%lu,\"escalations\":%lu,"
			       "\"warnings\":%lu}\n", stats.checked, stats.breaches,
			       stats.escalations, stats.warnings);
		else if (app->verbose >= 0)
			printf("%lu open cases checked: %lu breaches, %lu escalations queued, "
			       "%lu warnings queued\n", stats.checked, stats.breaches,
			       stats.escalations, stats.warnings);
	}
	store_close(&st);
	return ret;
}
