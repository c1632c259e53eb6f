/*
 * cmd_template - "redress template lint [DIR]" and
 * "redress template render NAME (--case ID | --sample)".
 *
 * lint checks every template in a directory (default: [paths] templates)
 * and prints each problem as FILE:LINE: reason on stderr; it exits 78
 * (EX_CONFIG) when there is any, so it can guard a deployment.  It reads
 * the rules ([paths] rules) to check that every KIND-CATEGORY.txt names
 * one of their categories.  render shows what a template produces: with
 * --sample from realistic made-up values, with --case from a stored case
 * -- and then only a template that case could be sent: the named one, or
 * a refusal that says which applies.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "base/xmem.h"
#include "case/caselife.h"
#include "case/identity.h"
#include "case/outbox.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "policy/classify.h"
#include "policy/template.h"
#include "store/store.h"

static const char cmd_template_usage[] =
"usage: redress template lint [DIR]\n"
"       redress template render NAME (--case ID | --sample) [--dir DIR]\n"
"\n"
"lint    checks every *.txt template in DIR (default: [paths] templates):\n"
"        unknown placeholders, unclosed or stray conditionals, a missing\n"
"        Subject:, a missing blank line after the headers, a KIND-CATEGORY\n"
"        whose CATEGORY is not in the rules.  Prints each problem as\n"
"        FILE:LINE: reason and exits 78 if there is any.\n"
"render  prints the Subject: and body that template NAME produces.  NAME\n"
"        is a kind (%s)\n"
"        or a file's base name like ack-billing; a KIND-CATEGORY without its\n"
"        own file falls back to KIND.  --sample uses made-up values;\n"
"        --case ID uses the stored case ID, and refuses a NAME that case\n"
"        would never be sent.\n"
"See redress-templates(5).\n";

static const char cmd_template_lint_usage[] =
"usage: redress template lint [DIR]\n"
"Checks every *.txt template in DIR (default: [paths] templates) and prints\n"
"each problem as FILE:LINE: reason.  KIND-CATEGORY.txt must name a category\n"
"of the rules ([paths] rules).  Exit 0 when all are good, 78 if not.\n";

static const char cmd_template_render_usage[] =
"usage: redress template render NAME (--case ID | --sample) [--dir DIR]\n"
"Prints the Subject: and body that template NAME produces.  NAME is a kind\n"
"(%s) or a base name\n"
"like ack-billing; KIND-CATEGORY without its own file falls back to KIND.\n"
"--sample fills in made-up values (and [smtp] from); --case ID uses the\n"
"stored case ID: exactly the message it would be sent now, and only for a\n"
"NAME that applies to it (its category; ack for a complaint, ack-plain for a\n"
"question, ack-praise for praise; followup for a complaint).\n"
"--dir DIR reads the templates from DIR instead of [paths] templates.\n";

/* Prints a usage text with the kinds (template.h's list) in place of its
 * "%s": EX_OK on stdout (--help), EX_USAGE on stderr. */
static int
cmd_template_help(FILE *f, const char *usage)
{
	const char *slot = strstr(usage, "%s");

	if (slot != NULL) {
		fwrite(usage, 1, (size_t)(slot - usage), f);
		fputs(template_kind_list(), f);
		usage = slot + 2;
	}
	fputs(usage, f);
	return f == stdout ? EX_OK : EX_USAGE;
}

/* Labels for the sample, so that rendering ack-billing talks of refunds and billing. */
static const char *const cmd_template_sample_labels[][2] = {
	{ "billing", "refund or billing problem" },
	{ "damaged", "damaged or faulty item" },
	{ "delivery", "late or missing delivery" },
	{ "service", "how we treated you" },
	{ "account", "account or technical problem" },
	{ "general", "general complaint" },
	{ "question", "a question" },
	{ "praise", "thanks or praise" },
	{ "other", "a message for a person to read" },
	{ "not-complaint", "not a complaint" },
};

static int
cmd_template_lint(struct app *app, int argc, char **argv)
{
	const char *dir = app->cfg->paths_templates;
	struct classify_rules *rules = NULL;
	const char **cats;
	char **errors = NULL, *error = NULL;
	size_t n = 0, n_templates = 0;
	struct stat sb;
	int r;

	if (cmd_wants_help(argc, argv)) {
		fputs(cmd_template_lint_usage, stdout);
		return EX_OK;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return cmd_usage(cmd_template_lint_usage);
	if (argc == 2)
		dir = argv[1];
	/* What lint is to read does not exist: 66, as for rules lint. */
	if (stat(dir, &sb) < 0) {
		fprintf(stderr, "redress: template lint: %s: %s\n", dir, strerror(errno));
		return EX_NOINPUT;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "redress: template lint: %s: not a directory\n", dir);
		return EX_NOINPUT;
	}
	/* The rules say which categories exist: a template for any other
	 * would never be sent. */
	if (classify_load(app->cfg->paths_rules, &rules, &error) < 0) {
		fprintf(stderr, "redress: template lint: cannot check the template names "
			"against the rules: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	cats = xcalloc(classify_rules_n_categories(rules) + 1, sizeof(*cats));
	for (size_t i = 0; i < classify_rules_n_categories(rules); i++)
		cats[i] = classify_rules_category(rules, i);
	r = template_lint_dir_categories(dir, cats, classify_rules_n_categories(rules),
					 &errors, &n, &n_templates);
	free(cats);
	classify_rules_free(&rules);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s\n", errors[i]);
		template_errors_free(&errors, n);
		return EX_CONFIG;
	}
	template_errors_free(&errors, n);
	printf("%s: %zu templates, OK\n", dir, n_templates);
	return EX_OK;
}

/*
 * Splits NAME into the template to render: an exact file, else
 * KIND-CATEGORY with a known kind (falling back to KIND).  *kind_r and
 * *category_r are allocated; *category_r may be NULL.  Returns 0 or -1.
 */
static int
cmd_template_split(const char *name, char **kind_r, char **category_r)
{
	return template_name_split(name, NULL, 0, kind_r, category_r) > 0 ? 0 : -1;
}

/*
 * Whether the template kind (and category, NULL for any) applies to case
 * c: NULL, or why not, allocated.  A case is sent the ack of its outcome,
 * the follow-up only when it is a complaint, and its own category's
 * files; escalations and warnings go to staff about any case.
 */
static char *
cmd_template_applies(const struct store_case *c, const char *kind, const char *category)
{
	enum outcome o = caselife_outcome(c);
	const char *on = outcome_name(o);
	const char *ack = template_kind_for(o == OUTCOME_COMPLAINT ? JOB_ACK : JOB_ACK_PLAIN, o);
	enum job_kind job = JOB_ACK;

	(void)template_job_kind(kind, &job);

	if (category != NULL && (c->category == NULL || strcmp(category, c->category) != 0))
		return xasprintf("%s-%s is for category %s, and case %lld is %s: render "
				 "%s --case %lld for what it gets, or %s-%s --sample",
				 kind, category, category, c->id,
				 c->category != NULL ? c->category : "in no category", kind,
				 c->id, kind, category);
	if (job_kind_is_ack(job) && strcmp(kind, ack) != 0)
		return xasprintf("case %lld is %s%s: its acknowledgement is %s, never %s",
				 c->id, o == OUTCOME_COMPLAINT ? "a " : "", on, ack, kind);
	if (job == JOB_FOLLOWUP && o != OUTCOME_COMPLAINT)
		return xasprintf("case %lld is %s: only a complaint is followed up", c->id, on);
	return NULL;
}

/*
 * --case: exactly the message the outbox would send for this case now,
 * headers and encoded body, built by the same code that sends it.
 */
static int
cmd_template_render_case(struct app *app, const char *name, const char *case_id)
{
	struct store *st = NULL;
	struct identity *ident = NULL;
	struct outbox *ob = NULL;
	struct store_case cs, *c = &cs;
	char *error = NULL, *msg = NULL, *kind = NULL, *category = NULL, *why = NULL;
	enum job_kind job = JOB_ACK;
	long long id;
	size_t len;
	int ret;

	store_case_init(c);
	if (cmd_id_arg("template render --case", "case", case_id, &id) != EX_OK)
		return EX_USAGE;
	if (cmd_template_split(name, &kind, &category) < 0 ||
	    template_job_kind(kind, &job) < 0) {
		fprintf(stderr, "redress: template render: \"%s\" is not a kind "
			"(%s)\n", name, template_kind_list());
		return EX_USAGE;
	}
	ret = cmd_open_store(app, &st);
	if (ret == EX_OK) {
		int r = store_case_get(st, id, c, &error);

		if (r < 0) {
			fprintf(stderr, "redress: %s\n", error);
			ret = store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
		} else if (r == 0) {
			ret = cmd_no_such("case", id);
		} else if ((why = cmd_template_applies(c, kind, category)) != NULL) {
			fprintf(stderr, "redress: template render: %s\n", why);
			ret = EX_DATAERR;
		}
	}
	if (ret == EX_OK && (identity_new(app->cfg, st, &ident, &error) < 0 ||
			     outbox_new(app->cfg, ident, st, true, &ob, &error) < 0)) {
		fprintf(stderr, "redress: %s\n", error);
		ret = EX_CONFIG;
	} else if (ret == EX_OK &&
		   outbox_render_job(ob, id, job, app->now, &msg, &len, &error) < 0) {
		fprintf(stderr, "redress: template render --case %lld: %s\n", id, error);
		ret = EX_DATAERR;
	} else if (ret == EX_OK) {
		fwrite(msg, 1, len, stdout);
	}
	free(error);
	free(msg);
	free(kind);
	free(category);
	free(why);
	store_case_clear(c);
	outbox_free(&ob);
	identity_free(&ident);
	store_close(&st);
	return ret;
}

/* --sample signs as the configuration's [smtp] from, as real mail does. */
static void
cmd_template_sample_sender(const struct config *cfg, struct template_vars *vars)
{
	if (cfg->from.name != NULL && *cfg->from.name != '\0') {
		template_vars_set(vars, "sender_name", cfg->from.name);
		template_vars_set(vars, "company", cfg->from.name);
	}
}

static int
cmd_template_render(struct app *app, int argc, char **argv)
{
	const char *dir = app->cfg->paths_templates, *name = NULL, *case_id = NULL;
	struct template_output out = { 0 };
	struct template_set *set = NULL;
	struct template_vars *vars;
	char *error = NULL, *kind = NULL, *category = NULL;
	bool sample = false;
	int ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_template_help(stdout, cmd_template_render_usage);
		return EX_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sample") == 0)
			sample = true;
		else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
			case_id = argv[++i];
		else if (strncmp(argv[i], "--case=", 7) == 0)
			case_id = argv[i] + 7;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else
			return cmd_template_help(stderr, cmd_template_render_usage);
	}
	if (name == NULL || sample == (case_id != NULL))
		return cmd_template_help(stderr, cmd_template_render_usage);
	if (case_id != NULL)
		return cmd_template_render_case(app, name, case_id);
	if (template_set_load(dir, &set, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	vars = template_vars_new();
	template_vars_sample(vars);
	cmd_template_sample_sender(app->cfg, vars);
	if (template_set_has(set, name)) {
		cmd_template_split(name, &kind, &category);
	} else if (cmd_template_split(name, &kind, &category) < 0) {
		fprintf(stderr, "redress: template render: no template \"%s\" in %s "
			"(kinds: %s)\n",
			name, dir, template_kind_list());
		template_vars_free(&vars);
		template_set_free(&set);
		return EX_NOINPUT;
	}
	if (category != NULL) {
		template_vars_set(vars, "category", category);
		template_vars_set(vars, "category_label", category);
		for (size_t i = 0; i < sizeof(cmd_template_sample_labels) /
			     sizeof(cmd_template_sample_labels[0]); i++)
			if (strcmp(category, cmd_template_sample_labels[i][0]) == 0)
				template_vars_set(vars, "category_label",
						  cmd_template_sample_labels[i][1]);
	}
	if (template_set_has(set, name))
		ret = template_render_name(set, name, vars, &out, &error);
	else
		ret = template_render(set, kind, category, vars, &out, &error);
	if (ret < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		ret = EX_DATAERR;
	} else {
		if (app->verbose > 0)
			fprintf(stderr, "redress: rendering %s/%s.txt\n", dir,
				template_set_pick(set, kind, category));
		printf("Subject: %s\n\n%s", out.subject, out.body);
		ret = EX_OK;
	}
	template_output_clear(&out);
	template_vars_free(&vars);
	template_set_free(&set);
	free(kind);
	free(category);
	return ret;
}

int
cmd_template(struct app *app, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "lint") == 0)
		return cmd_template_lint(app, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "render") == 0)
		return cmd_template_render(app, argc - 1, argv + 1);
	if (cmd_wants_help(argc, argv)) {
		cmd_template_help(stdout, cmd_template_usage);
		return EX_OK;
	}
	return cmd_template_help(stderr, cmd_template_usage);
}
