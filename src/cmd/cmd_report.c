/*
 * NAME
 *	cmd_report - "redress report [--since DATE] [--until DATE] [--by day|week]
 *	[--format text|json|html|csv] [--output-dir DIR]"
 * DESCRIPTION
 *	Where the team keeps failing, over the cases created in a period (the
 *	last 30 days unless told) and the cases open now: the counting and the
 *	forms are report.h's; this reads the options, the cases and the SLA
 *	calendar, prints, and writes the CSV files of --output-dir.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/report.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "policy/sla.h"
#include "store/store.h"

static const char report_usage[] =
"usage: redress report [--since DATE] [--until DATE] [--by day|week]\n"
"                      [--format text|json|html|csv] [--output-dir DIR]\n"
"The cases created from --since to --until (ISO 8601; default: the 30 days\n"
"up to now; --until is excluded) and the cases open now: counts by category\n"
"and priority, SLA compliance (the share of decided first-response and\n"
"resolution clocks that were met; from fewer than 5 cases it says so) per\n"
"priority, category and week, median times and their distribution in\n"
"business time ([sla] hours and holidays, like the targets; a resolution's\n"
"without the time waiting on the customer), cases per day or week (--by,\n"
"default day) by category, the open backlog by age, the cases breached or\n"
"at risk, the top categories and resolution causes against the previous\n"
"period of the same length, and figures per agent.\n"
"  --format html   one self-contained page with charts (no script, no\n"
"                  external file)\n"
"  --format csv    the main table: cases, compliance and medians by\n"
"                  priority and category\n"
"  --output-dir DIR  also writes every table as DIR/NAME.csv (mode 0600)\n"
"The global --json is --format json.\n";

/* Writes b to dir/name (0600, replacing a file, never following a link):
 * EX_OK, or the exit code after saying why. */
static int
report_write(const char *dir, const char *name, const struct buf *b)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd, ret = EX_OK, e = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0)
		e = errno;
	for (size_t off = 0; e == 0 && off < b->len;) {
		ssize_t w = write(fd, b->data + off, b->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			e = errno;
		else
			off += (size_t)w;
	}
	if (fd >= 0 && close(fd) < 0 && e == 0)
		e = errno;
	if (e != 0) {
		fprintf(stderr, "redress: report: %s: %s\n", path, strerror(e));
		ret = e == ENOSPC || e == EDQUOT ? EX_TEMPFAIL : EX_NOINPUT;
	}
	free(path);
	return ret;
}

static int
report_output_dir(struct report *r, const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "redress: report: --output-dir %s: %s\n", dir, strerror(errno));
		return errno == ENOSPC ? EX_TEMPFAIL : EX_NOINPUT;
	}
	for (int t = 0; t < REPORT_CSV_COUNT; t++) {
		struct buf b;
		int ret;

		buf_init(&b, BUF_NO_LIMIT);
		report_csv(r, (enum report_csv_table)t, &b);
		ret = report_write(dir, report_csv_name[t], &b);
		buf_free(&b);
		if (ret != EX_OK)
			return ret;
	}
	return EX_OK;
}

static int
report_date(const char *opt, const char *s, time_t *t_r)
{
	if (clock_parse_iso8601(s, t_r) < 0) {
		fprintf(stderr, "redress: report: %s \"%s\" is not a date "
			"(like 2026-11-01)\n", opt, s);
		return -1;
	}
	return 0;
}

/* Reads the cases f selects into the report (open: as open cases). */
static int
report_read(struct store *st, const struct store_case_filter *f, struct report *r,
	    bool open)
{
	struct store_case *cases = NULL;
	char *error = NULL;
	size_t n = 0;

	if (store_case_list(st, f, &cases, &n, &error) < 0) {
		log_error("%s", error);
		free(error);
		return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	for (size_t i = 0; i < n; i++) {
		if (open)
			report_add_open(r, &cases[i]);
		else
			report_add(r, &cases[i]);
	}
	store_cases_free(&cases, n);
	return EX_OK;
}

int
cmd_report(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_case_filter f = { 0 }, open = { 0 };
	struct report_period p = { 0 };
	struct report r;
	struct store *st = NULL;
	const char *format = app->json ? "json" : "text", *dir = NULL;
	char *error = NULL;
	bool since_given = false, until_given = false;
	struct buf b;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:u:b:f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (report_date("--since", optarg, &p.since) < 0)
				return EX_USAGE;
			since_given = true;
			break;
		case 'u':
			if (report_date("--until", optarg, &p.until) < 0)
				return EX_USAGE;
			until_given = true;
			break;
		case 'b':
			if (strcmp(optarg, "day") == 0)
				p.by = REPORT_BY_DAY;
			else if (strcmp(optarg, "week") == 0)
				p.by = REPORT_BY_WEEK;
			else
				return cmd_usage(report_usage);
			break;
		case 'f':
			format = optarg;
			if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
			    strcmp(format, "html") != 0 && strcmp(format, "csv") != 0)
				return cmd_usage(report_usage);
			break;
		case 'o':
			dir = optarg;
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
	if (!until_given)
		p.until = app->now;
	if (!since_given)
		p.since = p.until - 30 * REPORT_DAY;
	p.now = app->now;
	p.cal = app->cfg->sla->cal;
	p.warn_percent = app->cfg->sla->warn_percent;
	if (report_init(&r, &p, &error) < 0) {
		fprintf(stderr, "redress: report: %s\n", error);
		free(error);
		return EX_USAGE;
	}
	ret = cmd_open_store(app, &st);
	if (ret == EX_OK) {
		f.since = report_fetch_since(&r);
		if (f.since <= 0)
			f.since = 1;
		open.open_only = true;
		ret = report_read(st, &f, &r, false);
		if (ret == EX_OK)
			ret = report_read(st, &open, &r, true);
	}
	store_close(&st);
	if (ret != EX_OK) {
		report_clear(&r);
		return ret;
	}
	report_finish(&r);
	buf_init(&b, BUF_NO_LIMIT);
	if (strcmp(format, "json") == 0)
		report_json(&r, &b);
	else if (strcmp(format, "html") == 0)
		report_html(&r, &b);
	else if (strcmp(format, "csv") == 0)
		report_csv(&r, REPORT_CSV_MAIN, &b);
	else
		report_text(&r, &b);
	if (dir != NULL)
		ret = report_output_dir(&r, dir);
	if (ret == EX_OK)
		cmd_print(&b);
	else
		buf_free(&b);
	report_clear(&r);
	return ret;
}
