/*
 * cmd_template - "redress template lint [DIR]" and
 * "redress template render NAME (--case ID | --sample)".
 *
 * lint checks every template in a directory (default: [paths] templates)
 * and prints each problem as FILE:LINE: reason on stderr; it exits 78
 * (EX_CONFIG) when there is any, so it can guard a deployment.  render
 * shows what a template produces: with --sample from realistic made-up
 * values, with --case from a stored case.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd.h"
#include "cmd_util.h"
#include "outbox.h"
#include "store.h"
#include "config.h"
#include "template.h"
#include "xmem.h"

static const char cmd_template_usage[] =
"usage: redress template lint [DIR]\n"
"       redress template render NAME (--case ID | --sample) [--dir DIR]\n"
"\n"
"lint    checks every *.txt template in DIR (default: [paths] templates):\n"
"        unknown placeholders, unclosed or stray conditionals, a missing\n"
"        Subject:, a missing blank line after the headers.  Prints each\n"
"        problem as FILE:LINE: reason and exits 78 if there is any.\n"
"render  prints the Subject: and body that template NAME produces.  NAME\n"
"        is a kind (ack, ack-plain, followup, escalation, breach-warning)\n"
"        or a file's base name like ack-billing; a KIND-CATEGORY without its\n"
"        own file falls back to KIND.  --sample uses made-up values;\n"
"        --case ID uses the stored case ID.\n"
"See redress-templates(5).\n";

static const char cmd_template_lint_usage[] =
"usage: redress template lint [DIR]\n"
"Checks every *.txt template in DIR (default: [paths] templates) and prints\n"
"each problem as FILE:LINE: reason.  Exit 0 when all are good, 78 if not.\n";

static const char cmd_template_render_usage[] =
"usage: redress template render NAME (--case ID | --sample) [--dir DIR]\n"
"Prints the Subject: and body that template NAME produces.  NAME is a kind\n"
"(ack, ack-plain, followup, escalation, breach-warning) or a base name like\n"
"ack-billing; KIND-CATEGORY without its own file falls back to KIND.\n"
"--sample fills in made-up values; --case ID uses the stored case ID.\n"
"--dir DIR reads the templates from DIR instead of [paths] templates.\n";

/* Labels for the sample, so that rendering ack-billing talks of refunds and billing. */
static const char *const cmd_template_sample_labels[][2] = {
	{ "billing", "refund or billing problem" },
	{ "damaged", "damaged or faulty item" },
	{ "delivery", "late or missing delivery" },
	{ "service", "how we treated you" },
	{ "account", "account or technical problem" },
	{ "general", "general complaint" },
	{ "not-complaint", "not a complaint" },
};

static int
cmd_template_lint(struct app *app, int argc, char **argv)
{
	const char *dir = app->cfg->paths_templates;
	char **errors = NULL;
	size_t n = 0, n_templates = 0;

	if (cmd_wants_help(argc, argv)) {
		fputs(cmd_template_lint_usage, stdout);
		return EX_OK;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return cmd_usage(cmd_template_lint_usage);
	if (argc == 2)
		dir = argv[1];
	if (template_lint_dir_count(dir, &errors, &n, &n_templates) < 0) {
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
	size_t best = 0;

	*kind_r = *category_r = NULL;
	for (size_t k = 0; template_kinds[k] != NULL; k++) {
		size_t kl = strlen(template_kinds[k]);

		if (strncmp(name, template_kinds[k], kl) == 0 &&
		    (name[kl] == '\0' || name[kl] == '-') && kl > best)
			best = kl;
	}
	if (best == 0)
		return -1;
	*kind_r = xstrndup(name, best);
	if (name[best] == '-' && name[best + 1] != '\0')
		*category_r = xstrdup(name + best + 1);
	return 0;
}

/*
 * --case: exactly the message the outbox would send for this case now,
 * headers and encoded body, built by the same code that sends it.
 */
static int
cmd_template_render_case(struct app *app, const char *name, const char *case_id)
{
	struct store *st = NULL;
	struct outbox *ob = NULL;
	char *error = NULL, *msg = NULL, *kind = NULL, *category = NULL;
	long long id;
	size_t len;
	int ret;

	if (cmd_parse_id(case_id, &id) < 0)
		return cmd_usage(cmd_template_render_usage);
	if (cmd_template_split(name, &kind, &category) < 0) {
		fprintf(stderr, "redress: template render: \"%s\" is not a kind "
			"(ack, ack-plain, followup, escalation, breach-warning)\n", name);
		return EX_USAGE;
	}
	ret = cmd_open_store(app, &st);
	if (ret == EX_OK && outbox_new(app->cfg, st, true, &ob, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		ret = EX_CONFIG;
	} else if (ret == EX_OK &&
		   outbox_render_job(ob, id, strcmp(kind, "breach-warning") == 0 ? "warning"
				     : kind, app->now, &msg, &len, &error) < 0) {
		fprintf(stderr, "redress: template render --case %lld: %s\n", id, error);
		ret = EX_DATAERR;
	} else if (ret == EX_OK) {
		fwrite(msg, 1, len, stdout);
	}
	free(error);
	free(msg);
	free(kind);
	free(category);
	outbox_free(&ob);
	store_close(&st);
	return ret;
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
		fputs(cmd_template_render_usage, stdout);
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
			return cmd_usage(cmd_template_render_usage);
	}
	if (name == NULL || sample == (case_id != NULL))
		return cmd_usage(cmd_template_render_usage);
	if (case_id != NULL)
		return cmd_template_render_case(app, name, case_id);
	if (template_set_load(dir, &set, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	vars = template_vars_new();
	template_vars_sample(vars);
	if (template_set_has(set, name)) {
		cmd_template_split(name, &kind, &category);
	} else if (cmd_template_split(name, &kind, &category) < 0) {
		fprintf(stderr, "redress: template render: no template \"%s\" in %s "
			"(kinds: ack, ack-plain, followup, escalation, breach-warning)\n",
			name, dir);
		template_vars_free(&vars);
		template_set_free(&set);
		return EX_USAGE;
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
		fputs(cmd_template_usage, stdout);
		return EX_OK;
	}
	return cmd_usage(cmd_template_usage);
}
