/*
 * NAME
 *	cmd_report - "redress report": where the team keeps failing
 * DESCRIPTION
 *	Over the cases created since a date: counts by category and by
 *	priority, SLA compliance (the share of first responses and of
 *	resolutions made in time) per priority and per category, median
 *	first-response and resolution times, and the most common resolution
 *	causes.  Text for people, JSON for scripts, HTML for a browser.
 *
 *	Medians are business time, measured with the [sla] calendar as the
 *	targets are (a resolution's leaves out the time the case waited on
 *	the customer, as its clock does), so that "median 1st 10h30m" can
 *	be read against "normal = 1d 5d".  JSON keeps the calendar-time
 *	medians it always had beside the business-time ones.
 *
 *	"In time" counts decided clocks only: a first response that was made
 *	before its deadline, or a clock not yet breached is not counted at all
 *	until it is decided (made, or breached).
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/xmem.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "policy/sla.h"
#include "store/store.h"

#define REPORT_MAX_GROUPS 64

struct report_group {
	char *name;                 /* owned */
	unsigned long cases;
	unsigned long fr_done, fr_in_time;      /* decided first-response clocks */
	unsigned long res_done, res_in_time;    /* decided resolution clocks */
	long *fr_times, *res_times;             /* calendar seconds; owned */
	size_t n_fr, n_res, cap_fr, cap_res;
	long *fr_btimes, *res_btimes;           /* business seconds; owned */
	size_t cap_fr_b, cap_res_b;             /* (counts are n_fr, n_res) */
};

struct report_cause {
	char *cause;                /* owned */
	unsigned long n;
};

struct report {
	struct report_group by_category[REPORT_MAX_GROUPS];
	size_t n_category;
	struct report_group by_priority[REPORT_MAX_GROUPS];
	size_t n_priority;
	struct report_group all;
	struct report_cause causes[REPORT_MAX_GROUPS];
	size_t n_causes;
	unsigned long held, not_complaints;
};

static struct report_group *
report_group(struct report_group *v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	if (*n >= REPORT_MAX_GROUPS)
		return &v[REPORT_MAX_GROUPS - 1];  /* the last one gathers the rest */
	memset(&v[*n], 0, sizeof(v[*n]));
	v[*n].name = xstrdup(name);
	return &v[(*n)++];
}

static void
report_count(struct report_group *g, const struct store_case *c, time_t now,
	     const struct sla_calendar *cal)
{
	g->cases++;
	if (c->first_response_at != 0 || c->first_response_breached ||
	    (c->first_response_due != 0 && now >= c->first_response_due)) {
		g->fr_done++;
		if (c->first_response_at != 0 && !c->first_response_breached &&
		    (c->first_response_due == 0 || c->first_response_at <= c->first_response_due))
			g->fr_in_time++;
	}
	if (c->first_response_at != 0) {
		g->fr_times = xgrow(g->fr_times, &g->cap_fr, g->n_fr + 1, sizeof(long));
		g->fr_btimes = xgrow(g->fr_btimes, &g->cap_fr_b, g->n_fr + 1, sizeof(long));
		g->fr_times[g->n_fr] = (long)(c->first_response_at - c->created);
		g->fr_btimes[g->n_fr++] = sla_business_seconds(cal, c->created,
							       c->first_response_at);
	}
	if (c->resolved_at != 0 || c->resolution_breached ||
	    (c->resolution_due != 0 && now >= c->resolution_due)) {
		g->res_done++;
		if (c->resolved_at != 0 && !c->resolution_breached &&
		    (c->resolution_due == 0 || c->resolved_at <= c->resolution_due))
			g->res_in_time++;
	}
	if (c->resolved_at != 0) {
		long b = sla_business_seconds(cal, c->created, c->resolved_at) -
			 c->paused_seconds;

		g->res_times = xgrow(g->res_times, &g->cap_res, g->n_res + 1, sizeof(long));
		g->res_btimes = xgrow(g->res_btimes, &g->cap_res_b, g->n_res + 1, sizeof(long));
		g->res_times[g->n_res] = (long)(c->resolved_at - c->created);
		g->res_btimes[g->n_res++] = b > 0 ? b : 0;
	}
}

static int
report_cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The median in seconds, or -1 when there is no value. */
static long
report_median(long *v, size_t n)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(long), report_cmp_long);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Business time in hours and minutes: a "day" of it would mean 24 open
 * hours, which no calendar of opening hours has. */
static void
report_business(char *out, size_t size, long s)
{
	if (s < 0)
		snprintf(out, size, "-");
	else if (s < 3600)
		snprintf(out, size, "%ldm", s / 60);
	else
		snprintf(out, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
}

static void
report_percent(char *out, size_t size, unsigned long part, unsigned long whole)
{
	if (whole == 0)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.0f%%", 100.0 * (double)part / (double)whole);
}

static void
report_group_free(struct report_group *g)
{
	free(g->name);
	free(g->fr_times);
	free(g->res_times);
	free(g->fr_btimes);
	free(g->res_btimes);
}

static void
report_text_table(struct buf *b, const char *title, struct report_group *v, size_t n)
{
	buf_printf(b, "\n%-14s %6s %9s %9s %12s %12s\n", title, "cases", "1st resp",
		   "resolved", "median 1st", "median res");
	buf_printf(b, "%-14s %6s %9s %9s %12s %12s\n", "", "", "in time", "in time",
		   "(business)", "(business)");
	for (size_t i = 0; i < n; i++) {
		char fr[32], res[32], mfr[32], mres[32];

		report_percent(fr, sizeof(fr), v[i].fr_in_time, v[i].fr_done);
		report_percent(res, sizeof(res), v[i].res_in_time, v[i].res_done);
		report_business(mfr, sizeof(mfr), report_median(v[i].fr_btimes, v[i].n_fr));
		report_business(mres, sizeof(mres), report_median(v[i].res_btimes, v[i].n_res));
		buf_printf(b, "%-14.14s %6lu %9s %9s %12s %12s\n", v[i].name, v[i].cases,
			   fr, res, mfr, mres);
	}
}

static void
report_json_group(struct buf *b, struct report_group *g)
{
	bool first = true;
	long m;

	buf_putc(b, '{');
	json_key(b, &first, "name");
	json_str(b, g->name);
	json_key(b, &first, "cases");
	json_int(b, (int64_t)g->cases);
	json_key(b, &first, "first_response_decided");
	json_int(b, (int64_t)g->fr_done);
	json_key(b, &first, "first_response_in_time");
	json_int(b, (int64_t)g->fr_in_time);
	json_key(b, &first, "resolution_decided");
	json_int(b, (int64_t)g->res_done);
	json_key(b, &first, "resolution_in_time");
	json_int(b, (int64_t)g->res_in_time);
	json_key(b, &first, "median_first_response_seconds");
	m = report_median(g->fr_times, g->n_fr);
	if (m < 0)
		buf_puts(b, "null");
	else
		json_int(b, m);
	json_key(b, &first, "median_resolution_seconds");
	m = report_median(g->res_times, g->n_res);
	if (m < 0)
		buf_puts(b, "null");
	else
		json_int(b, m);
	json_key(b, &first, "median_first_response_business_seconds");
	m = report_median(g->fr_btimes, g->n_fr);
	if (m < 0)
		buf_puts(b, "null");
	else
		json_int(b, m);
	json_key(b, &first, "median_resolution_business_seconds");
	m = report_median(g->res_btimes, g->n_res);
	if (m < 0)
		buf_puts(b, "null");
	else
		json_int(b, m);
	buf_putc(b, '}');
}

static void
report_json_groups(struct buf *b, struct report_group *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		report_json_group(b, &v[i]);
	}
	buf_putc(b, ']');
}

static void
report_html_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_putc(b, *s);
		}
	}
}

static void
report_html_table(struct buf *b, const char *title, struct report_group *v, size_t n)
{
	buf_puts(b, "<table><tr><th>");
	report_html_escape(b, title);
	buf_puts(b, "</th><th>cases</th><th>first response in time</th>"
		 "<th>resolved in time</th><th>median first response (business time)</th>"
		 "<th>median resolution (business time)</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		char fr[32], res[32], mfr[32], mres[32];

		report_percent(fr, sizeof(fr), v[i].fr_in_time, v[i].fr_done);
		report_percent(res, sizeof(res), v[i].res_in_time, v[i].res_done);
		report_business(mfr, sizeof(mfr), report_median(v[i].fr_btimes, v[i].n_fr));
		report_business(mres, sizeof(mres), report_median(v[i].res_btimes, v[i].n_res));
		buf_puts(b, "<tr><td>");
		report_html_escape(b, v[i].name);
		buf_printf(b, "</td><td>%lu</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			   v[i].cases, fr, res, mfr, mres);
	}
	buf_puts(b, "</table>\n");
}

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
	struct store_case **cases = NULL;
	struct report r;
	struct store *st = NULL;
	struct sla_policy *sla = NULL;
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
	if (sla_policy_load(app->cfg, &sla, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	ret = cmd_open_store(app, &st);
	if (ret != EX_OK) {
		store_close(&st);
		sla_policy_free(&sla);
		return ret;
	}
	if (store_case_list(st, &f, &cases, &n, &error) < 0) {
		log_error("%s", error);
		free(error);
		store_close(&st);
		sla_policy_free(&sla);
		return EX_SOFTWARE;
	}
	memset(&r, 0, sizeof(r));
	r.all.name = xstrdup("all");
	for (size_t i = 0; i < n; i++) {
		const struct store_case *k = cases[i];

		if (strcmp(k->state, "held") == 0) {
			r.held++;
			continue;
		}
		if (!k->complaint)
			r.not_complaints++;
		report_count(&r.all, k, app->now, sla->cal);
		report_count(report_group(r.by_category, &r.n_category,
					  k->category ? k->category : "-"), k, app->now, sla->cal);
		report_count(report_group(r.by_priority, &r.n_priority,
					  k->priority ? k->priority : "-"), k, app->now, sla->cal);
		if (k->resolution_cause != NULL) {
			size_t j;

			for (j = 0; j < r.n_causes; j++)
				if (strcmp(r.causes[j].cause, k->resolution_cause) == 0)
					break;
			if (j == r.n_causes && j < REPORT_MAX_GROUPS)
				r.causes[r.n_causes++].cause = xstrdup(k->resolution_cause);
			if (j < REPORT_MAX_GROUPS)
				r.causes[j].n++;
		}
	}
	/* Most common causes first. */
	for (size_t i = 1; i < r.n_causes; i++)
		for (size_t j = i; j > 0 && r.causes[j].n > r.causes[j - 1].n; j--) {
			struct report_cause t = r.causes[j];

			r.causes[j] = r.causes[j - 1];
			r.causes[j - 1] = t;
		}
	buf_init(&b, BUF_NO_LIMIT);
	if (strcmp(format, "json") == 0) {
		bool first = true;

		buf_putc(&b, '{');
		json_key(&b, &first, "since");
		json_time(&b, f.since);
		json_key(&b, &first, "held");
		json_int(&b, (int64_t)r.held);
		json_key(&b, &first, "not_complaints");
		json_int(&b, (int64_t)r.not_complaints);
		json_key(&b, &first, "all");
		report_json_group(&b, &r.all);
		json_key(&b, &first, "by_category");
		report_json_groups(&b, r.by_category, r.n_category);
		json_key(&b, &first, "by_priority");
		report_json_groups(&b, r.by_priority, r.n_priority);
		json_key(&b, &first, "causes");
		buf_putc(&b, '[');
		for (size_t i = 0; i < r.n_causes; i++) {
			bool f2 = true;

			buf_puts(&b, i > 0 ? ",{" : "{");
			json_key(&b, &f2, "cause");
			json_str(&b, r.causes[i].cause);
			json_key(&b, &f2, "cases");
			json_int(&b, (int64_t)r.causes[i].n);
			buf_putc(&b, '}');
		}
		buf_puts(&b, "]}\n");
	} else if (strcmp(format, "html") == 0) {
		buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			 "<title>redress report</title><style>body{font-family:sans-serif}"
			 "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
			 "padding:.3em .6em;text-align:right}td:first-child,th:first-child"
			 "{text-align:left}</style></head><body>\n<h1>Complaints report</h1>\n");
		buf_printf(&b, "<p>%lu cases%s%s; %lu held, %lu not complaints.</p>\n",
			   r.all.cases, *since_iso ? " since " : "", since_iso, r.held,
			   r.not_complaints);
		buf_puts(&b, "<p>Median times are business time ([sla] hours and holidays), "
			 "as the targets are; a resolution's leaves out time waiting on the "
			 "customer.</p>\n");
		report_html_table(&b, "priority", r.by_priority, r.n_priority);
		report_html_table(&b, "category", r.by_category, r.n_category);
		buf_puts(&b, "<h2>Resolution causes</h2><ol>\n");
		for (size_t i = 0; i < r.n_causes; i++) {
			buf_puts(&b, "<li>");
			report_html_escape(&b, r.causes[i].cause);
			buf_printf(&b, " (%lu)</li>\n", r.causes[i].n);
		}
		buf_puts(&b, "</ol></body></html>\n");
	} else {
		buf_printf(&b, "%lu cases%s%s (%lu held, %lu not complaints)\n", r.all.cases,
			   *since_iso ? " since " : "", since_iso, r.held, r.not_complaints);
		buf_puts(&b, "SLA compliance: the share of decided clocks that were met.\n"
			 "Median times are business time ([sla] hours and holidays), as the\n"
			 "targets are; a resolution's leaves out time waiting on the customer.\n");
		report_text_table(&b, "PRIORITY", r.by_priority, r.n_priority);
		report_text_table(&b, "CATEGORY", r.by_category, r.n_category);
		report_text_table(&b, "ALL", &r.all, 1);
		if (r.n_causes > 0) {
			buf_puts(&b, "\nTop resolution causes:\n");
			for (size_t i = 0; i < r.n_causes && i < 10; i++)
				buf_printf(&b, "  %4lu  %s\n", r.causes[i].n, r.causes[i].cause);
		}
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	for (size_t i = 0; i < r.n_category; i++)
		report_group_free(&r.by_category[i]);
	for (size_t i = 0; i < r.n_priority; i++)
		report_group_free(&r.by_priority[i]);
	report_group_free(&r.all);
	for (size_t i = 0; i < r.n_causes; i++)
		free(r.causes[i].cause);
	store_case_list_free(&cases, n);
	store_close(&st);
	sla_policy_free(&sla);
	return EX_OK;
}
