/*
 * NAME
 *	report - the cases of a period counted and measured
 * DESCRIPTION
 *	See report.h.  Groups are kept in fixed arrays of REPORT_MAX_GROUPS
 *	(the last one gathers the rest): a rules file has a few dozen
 *	categories, and a report must not grow with hostile input.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/xmem.h"
#include "case/report.h"
#include "policy/sla.h"
#include "store/store.h"

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
long
report_median(long *v, size_t n)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(long), report_cmp_long);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Business time in hours and minutes: a "day" of it would mean 24 open
 * hours, which no calendar of opening hours has. */
void
report_business(char *out, size_t size, long s)
{
	if (s < 0)
		snprintf(out, size, "-");
	else if (s < 3600)
		snprintf(out, size, "%ldm", s / 60);
	else
		snprintf(out, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
}

void
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
		char cell[REPORT_CELLS][32];

		report_cells(&v[i], cell);
		buf_printf(b, "%-14.14s %6lu %9s %9s %12s %12s\n", v[i].name, v[i].cases,
			   cell[0], cell[1], cell[2], cell[3]);
	}
}

/* "key": the median of v[0..n) in seconds, or null. */
static void
report_json_median(struct buf *b, bool *first, const char *key, long *v, size_t n)
{
	long m = report_median(v, n);

	json_key(b, first, key);
	if (m < 0)
		buf_puts(b, "null");
	else
		json_int(b, m);
}

static void
report_json_group(struct buf *b, struct report_group *g)
{
	bool first = true;

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
	report_json_median(b, &first, "median_first_response_seconds", g->fr_times, g->n_fr);
	report_json_median(b, &first, "median_resolution_seconds", g->res_times, g->n_res);
	report_json_median(b, &first, "median_first_response_business_seconds",
			   g->fr_btimes, g->n_fr);
	report_json_median(b, &first, "median_resolution_business_seconds",
			   g->res_btimes, g->n_res);
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

void
report_cells(struct report_group *g, char cell[REPORT_CELLS][32])
{
	report_percent(cell[0], 32, g->fr_in_time, g->fr_done);
	report_percent(cell[1], 32, g->res_in_time, g->res_done);
	report_business(cell[2], 32, report_median(g->fr_btimes, g->n_fr));
	report_business(cell[3], 32, report_median(g->res_btimes, g->n_res));
}

void
report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->all.name = xstrdup("all");
}

void
report_add(struct report *r, const struct store_case *k, time_t now,
	   const struct sla_calendar *cal)
{
	if (k->state == CASE_HELD) {
		r->held++;
		return;
	}
	/* A merged case is part of the case it joined: counted there. */
	if (k->state == CASE_MERGED)
		return;
	if (!k->complaint)
		r->not_complaints++;
	report_count(&r->all, k, now, cal);
	report_count(report_group(r->by_category, &r->n_category,
				  k->category ? k->category : "-"), k, now, cal);
	report_count(report_group(r->by_priority, &r->n_priority,
				  k->priority != PRIORITY_NONE ? priority_name(k->priority) : "-"),
		     k, now, cal);
	if (k->resolution_cause != NULL) {
		size_t j;

		for (j = 0; j < r->n_causes; j++)
			if (strcmp(r->causes[j].cause, k->resolution_cause) == 0)
				break;
		if (j == r->n_causes && j < REPORT_MAX_GROUPS)
			r->causes[r->n_causes++].cause = xstrdup(k->resolution_cause);
		if (j < REPORT_MAX_GROUPS)
			r->causes[j].n++;
	}
}

void
report_finish(struct report *r)
{
	/* Most common causes first. */
	for (size_t i = 1; i < r->n_causes; i++)
		for (size_t j = i; j > 0 && r->causes[j].n > r->causes[j - 1].n; j--) {
			struct report_cause t = r->causes[j];

			r->causes[j] = r->causes[j - 1];
			r->causes[j - 1] = t;
		}
}

void
report_json(struct report *r, time_t since, struct buf *out)
{
	bool first = true;

	buf_putc(out, '{');
	json_key(out, &first, "since");
	json_time(out, since);
	json_key(out, &first, "held");
	json_int(out, (int64_t)r->held);
	json_key(out, &first, "not_complaints");
	json_int(out, (int64_t)r->not_complaints);
	json_key(out, &first, "all");
	report_json_group(out, &r->all);
	json_key(out, &first, "by_category");
	report_json_groups(out, r->by_category, r->n_category);
	json_key(out, &first, "by_priority");
	report_json_groups(out, r->by_priority, r->n_priority);
	json_key(out, &first, "causes");
	buf_putc(out, '[');
	for (size_t i = 0; i < r->n_causes; i++) {
		bool f2 = true;

		buf_puts(out, i > 0 ? ",{" : "{");
		json_key(out, &f2, "cause");
		json_str(out, r->causes[i].cause);
		json_key(out, &f2, "cases");
		json_int(out, (int64_t)r->causes[i].n);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}\n");
}

void
report_text(struct report *r, const char *since_iso, struct buf *out)
{
	buf_printf(out, "%lu cases%s%s (%lu held, %lu not complaints)\n", r->all.cases,
		   *since_iso ? " since " : "", since_iso, r->held, r->not_complaints);
	buf_puts(out, "SLA compliance: the share of decided clocks that were met.\n"
		 "Median times are business time ([sla] hours and holidays), as the\n"
		 "targets are; a resolution's leaves out time waiting on the customer.\n");
	report_text_table(out, "PRIORITY", r->by_priority, r->n_priority);
	report_text_table(out, "CATEGORY", r->by_category, r->n_category);
	report_text_table(out, "ALL", &r->all, 1);
	if (r->n_causes > 0) {
		buf_puts(out, "\nTop resolution causes:\n");
		for (size_t i = 0; i < r->n_causes && i < 10; i++)
			buf_printf(out, "  %4lu  %s\n", r->causes[i].n, r->causes[i].cause);
	}
}

void
report_clear(struct report *r)
{
	for (size_t i = 0; i < r->n_category; i++)
		report_group_free(&r->by_category[i]);
	for (size_t i = 0; i < r->n_priority; i++)
		report_group_free(&r->by_priority[i]);
	report_group_free(&r->all);
	for (size_t i = 0; i < r->n_causes; i++)
		free(r->causes[i].cause);
	memset(r, 0, sizeof(*r));
}
