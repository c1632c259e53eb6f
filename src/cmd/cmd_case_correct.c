/*
 * cmd_case_correct - "redress case recategorize ID CATEGORY" and
 * "redress case complaint ID yes|no": a person corrects what the rules
 * decided.
 *
 * recategorize gives the case another category of the rules file ([paths]
 * rules): its label, outcome and complaint flag follow the category; its
 * priority and clocks stay as they were set.  complaint says whether the
 * case is a complaint at all: yes makes its outcome complaint, no makes it
 * a question (the category stays).  Each writes, in one transaction with
 * the change, an event of kind "recategorize" (detail: the new category)
 * or "complaint" (detail: yes or no).  These events are the training data
 * of "redress rules train --from-store".
 *
 * Exit codes: 0 done, 64 usage, 65 a category the rules do not have,
 * 66 no such case, 75 the store busy, 78 bad rules.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/log.h"
#include "base/xmem.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "model/outcome.h"
#include "policy/classify.h"
#include "store/store.h"

int
cmd_case_correct(struct app *app, struct store *st, int argc, char **argv)
{
	bool recat = strcmp(argv[0], "recategorize") == 0;
	struct classify_rules *rules = NULL;
	struct store_case cs, *c = &cs;
	const char *detail = argv[argc > 2 ? 2 : 0];
	const char *author = NULL;
	char *error = NULL;
	long long id;
	ssize_t cat = -1;
	int r, ret;

	if (argc != 3 || (!recat && strcmp(argv[2], "yes") != 0 && strcmp(argv[2], "no") != 0)) {
		fprintf(stderr, "redress: usage: redress case %s\n",
			recat ? "recategorize ID CATEGORY" : "complaint ID yes|no");
		return EX_USAGE;
	}
	if (cmd_case_id_arg(argv[0], argv[1], &id) != EX_OK)
		return EX_USAGE;
	if (cmd_author(&author) != EX_OK)
		return EX_USAGE;
	if (recat) {
		if (classify_load(app->cfg->paths_rules, &rules, &error) < 0) {
			fprintf(stderr, "redress: case recategorize: %s\n", error);
			free(error);
			return EX_CONFIG;
		}
		for (size_t i = 0; i < classify_rules_n_categories(rules) && cat < 0; i++)
			if (strcmp(classify_rules_category(rules, i), argv[2]) == 0)
				cat = (ssize_t)i;
		if (cat < 0) {
			fprintf(stderr, "redress: case recategorize: \"%s\" is not a category of %s\n",
				argv[2], app->cfg->paths_rules);
			classify_rules_free(&rules);
			return EX_DATAERR;
		}
	}
	store_case_init(c);
	r = cmd_case_begin(st, id, c, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		classify_rules_free(&rules);
		return EX_NOINPUT;
	}
	if (recat) {
		free(c->category);
		free(c->label);
		c->category = xstrdup(argv[2]);
		c->label = xstrdup(classify_rules_category_label(rules, (size_t)cat));
		c->outcome = classify_rules_category_outcome(rules, (size_t)cat);
	} else {
		c->outcome = strcmp(argv[2], "yes") == 0 ? OUTCOME_COMPLAINT : OUTCOME_QUESTION;
	}
	c->complaint = c->outcome == OUTCOME_COMPLAINT;
	c->updated = app->now;
	if (store_case_update(st, c, &error) < 0 ||
	    store_event_add_by(st, id, app->now, argv[0], detail, author, &error) < 0 ||
	    store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0) {
		if (recat)
			printf("case %lld is now %s (%s)\n", id, c->category, outcome_name(c->outcome));
		else
			printf("case %lld: complaint %s\n", id, argv[2]);
	}
	store_case_clear(c);
	classify_rules_free(&rules);
	return EX_OK;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	store_case_clear(c);
	classify_rules_free(&rules);
	ret = store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
	return ret;
}
