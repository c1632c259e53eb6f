/*
 * NAME
 *	cmd_report - "redress report [--since DATE] [--format text|json|html]"
 * DESCRIPTION
 *	Where the team keeps failing, over the cases created since DATE: the
 *	counting and the three forms are report.h's; this reads the options,
 *	the cases and the SLA calendar, and prints.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "case/report.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

static const char report_usage[] =
"usage: redress report [--since DATE] [--format text|json|html]\n"
"Cases created since DATE (ISO 8601; default: all): counts by category and\n"
"priority, SLA compliance per priority and category (the share of decided\n"
"first-response and resolution clocks that were met), median times in\n"
"business time ([sla] hours and holidays, like the targets; a resolution's\n"
"without the time waiting on the customer), and the most common resolution\n"
"causes.  The global --json is --format json.\n";

int
cmd_report(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_case_filter f = { 0 };
	struct store_case *cases = NULL;
	struct report r;
	struct store *st = NULL;
	const char *format = app->json ? "json" : "text";
	char *error = NULL, since_iso[CLOCK_ISO_LEN] = "";
	size_t n = 0;
	struct buf b;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (clock_parse_iso8601(optarg, &f.since) < 0) {
				fprintf(stderr, "redress: report: --since \"%s\" is not a date "
					"(like 2026-11-01)\n", optarg);
				return EX_USAGE;
			}
			clock_format_iso8601(f.since, since_iso);
			break;
		case 'f':
			format = optarg;
			if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
			    strcmp(format, "html") != 0)
				return cmd_usage(report_usage);
			break;
		case 'h':
			fputs(report_usage, stdout);
			return EX_OK;
		default:
			return cmd_usage(report_usage);
		}
	}
	if (optind != argc)
		return cmd_usage(report_usage);
	ret = cmd_open_store(app, &st);
	if (ret != EX_OK) {
		store_close(&st);
		return ret;
	}
	if (store_case_list(st, &f, &cases, &n, &error) < 0) {
		log_error("%s", error);
		free(error);
		store_close(&st);
		return EX_SOFTWARE;
	}
	report_init(&r);
	for (size_t i = 0; i < n; i++)
		report_add(&r, &cases[i], app->now, app->cfg->sla->cal);
	report_finish(&r);
	buf_init(&b, BUF_NO_LIMIT);
	if (strcmp(format, "json") == 0)
		report_json(&r, f.since, &b);
	else if (strcmp(format, "html") == 0)
		report_html(&r, since_iso, &b);
	else
		report_text(&r, since_iso, &b);
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	report_clear(&r);
	store_cases_free(&cases, n);
	store_close(&st);
	return EX_OK;
}
