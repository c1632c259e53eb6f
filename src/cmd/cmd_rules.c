/*
 * cmd_rules - "redress rules lint [FILE]": compiles a rules file (default:
 * [paths] rules) and says "FILE: N rules, OK", or prints the error
 * "FILE:LINE:COL: reason".  With --json, one object either way.
 *
 * Exit codes: 0 ok, 64 usage, 66 FILE missing, 78 bad rules.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buf.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "policy/classify.h"

static const char cmd_rules_usage[] =
"usage: redress [--json] rules lint [FILE]\n"
"Compiles a rules file (default: [paths] rules in redress.conf) and prints\n"
"\"FILE: N rules, OK\", or the first error as FILE:LINE:COLUMN: reason.\n"
"See redress-rules(5) for the language.\n"
"Exit: 0 ok, 64 usage, 66 FILE missing, 78 bad rules file.\n";

/* Prints the --json object: the rules' count and version, or the error. */
static void
rules_json(const char *file, const struct classify_rules *rules, const char *error)
{
	struct buf out;
	bool first = true;

	buf_init(&out, BUF_NO_LIMIT);
	buf_putc(&out, '{');
	json_key(&out, &first, "file");
	json_str(&out, file);
	json_key(&out, &first, "ok");
	json_bool(&out, rules != NULL);
	if (rules != NULL) {
		json_key(&out, &first, "rules");
		json_int(&out, (int64_t)classify_rules_count(rules));
		json_key(&out, &first, "version");
		json_str(&out, classify_rules_version(rules));
	} else {
		json_key(&out, &first, "error");
		json_str(&out, error);
	}
	buf_puts(&out, "}\n");
	cmd_print(&out);
}

int
cmd_rules(struct app *app, int argc, char **argv)
{
	struct classify_rules *rules = NULL;
	const char *file;
	char *error = NULL;
	FILE *f;

	if (cmd_wants_help(argc, argv)) {
		fputs(cmd_rules_usage, stdout);
		return EX_OK;
	}
	if (argc < 2 || argc > 3 || strcmp(argv[1], "lint") != 0)
		return cmd_usage(cmd_rules_usage);
	file = argc == 3 ? argv[2] : app->cfg->paths_rules;
	f = fopen(file, "rb");
	if (f == NULL) {
		fprintf(stderr, "redress: rules lint: %s: %s\n", file, strerror(errno));
		return EX_NOINPUT;
	}
	fclose(f);
	if (classify_load(file, &rules, &error) < 0) {
		if (app->json)
			rules_json(file, NULL, error);
		fprintf(stderr, "%s\n", error);
		free(error);
		return EX_CONFIG;
	}
	if (app->json) {
		rules_json(file, rules, NULL);
	} else {
		printf("%s: %zu rules, OK\n", file, classify_rules_count(rules));
	}
	classify_rules_free(&rules);
	return EX_OK;
}
