/*
 * NAME
 *	cmd_caselife - "redress case respond|wait|resolve|reopen ID"
 * DESCRIPTION
 *	The moves a person makes on a case by hand.  Each runs in one
 *	transaction: the case, its event and any job it schedules (the
 *	follow-up after resolution, for a complaint) are stored together or
 *	not at all.  Reopening clears the resolution cause (caselife.c).
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/log.h"
#include "base/xmem.h"
#include "case/caselife.h"
#include "case/outbox.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "policy/sla.h"
#include "store/store.h"

int
cmd_case_change(struct app *app, struct store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cause", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	enum caselife_action a;
	const char *cause = NULL;
	struct store_case *c = NULL;
	struct sla_policy *sla = NULL;
	char *error = NULL;
	long long id;
	int ch, r, ret = EX_OK;

	if (caselife_action_parse(argv[0], &a) < 0 || a == CASELIFE_ACK_SENT ||
	    a == CASELIFE_CLOSE) {
		fprintf(stderr, "redress: case: unknown action \"%s\"; see redress case --help\n",
			argv[0]);
		return EX_USAGE;
	}
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (ch != 'c' || a != CASELIFE_RESOLVE) {
			fprintf(stderr, "redress: case %s ID%s\n", argv[0],
				a == CASELIFE_RESOLVE ? " [--cause TEXT]" : "");
			return EX_USAGE;
		}
		cause = optarg;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "redress: usage: redress case %s ID%s\n", argv[0],
			a == CASELIFE_RESOLVE ? " [--cause TEXT]" : "");
		return EX_USAGE;
	}
	{
		char *what = xasprintf("case %s", argv[0]);
		int bad = cmd_id_arg(what, "case", argv[optind], &id);

		free(what);
		if (bad != EX_OK)
			return bad;
	}
	if (sla_policy_load(app->cfg, &sla, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	if (store_begin(st, &error) < 0)
		goto fail;
	r = store_case_get(st, id, &c, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: no case %lld\n", id);
		sla_policy_free(&sla);
		return EX_NOINPUT;
	}
	r = caselife_apply(st, app->cfg, sla, c, a, a == CASELIFE_RESOLVE ? cause : "by hand",
			   app->now, &error);
	if (r < 0)
		goto fail;
	if (r > 0) {
		store_rollback(st);
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		store_case_free(&c);
		sla_policy_free(&sla);
		return EX_DATAERR;
	}
	/* Only a complaint is followed up: a question or praise resolved by
	 * hand gets no "is everything sorted now?". */
	if ((caselife_outcome(c) == CLASSIFY_COMPLAINT &&
	     outbox_after_change(st, app->cfg, c, a, app->now, &error) < 0) ||
	    store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0)
		printf("case %lld is %s\n", c->id, c->state);
	store_case_free(&c);
	sla_policy_free(&sla);
	return ret;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	store_case_free(&c);
	sla_policy_free(&sla);
	return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}
