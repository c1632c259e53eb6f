/*
 * NAME
 *	report_csv - the report's tables as CSV
 * DESCRIPTION
 *	See report.h.  RFC 4180: a header row, CRLF line ends, a field quoted
 *	when it holds a comma, a quote, CR or LF, a quote doubled.  A text
 *	field that a spreadsheet would take for a formula (starting with =,
 *	+, -, @, tab or CR) gets a leading apostrophe: categories, causes,
 *	subjects and addresses come from customers and people.  Numbers are
 *	written bare; times in business hours with two decimals, shares as
 *	whole percent beside the counts they come from.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "case/report.h"
#include "case/report_int.h"

const char *const report_csv_name[REPORT_CSV_COUNT] = {
	"summary.csv", "cases.csv", "compliance.csv", "backlog.csv", "times.csv",
	"categories.csv", "causes.csv", "attention.csv", "agents.csv",
};

/* A text field, quoted as needed and defused. */
static void
csv_text(struct buf *b, bool first, const char *s)
{
	if (!first)
		buf_putc(b, ',');
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL && strchr("=+-@\t\r", *s) == NULL) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	if (*s != '\0' && strchr("=+-@\t\r", *s) != NULL)
		buf_putc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void
csv_ulong(struct buf *b, unsigned long v)
{
	buf_printf(b, ",%lu", v);
}

static void
csv_time(struct buf *b, time_t t)
{
	char iso[CLOCK_ISO_LEN];

	clock_format_iso8601(t, iso);
	buf_printf(b, ",%s", iso);
}

/* A share's percent, or empty when nothing was decided. */
static void
csv_percent(struct buf *b, unsigned long part, unsigned long whole)
{
	if (whole == 0)
		buf_putc(b, ',');
	else
		buf_printf(b, ",%.0f", 100.0 * (double)part / (double)whole);
}

/* A median in business hours, or empty. */
static void
csv_hours(struct buf *b, long *v, size_t n)
{
	long m = report_median(v, n);

	if (m < 0)
		buf_putc(b, ',');
	else
		buf_printf(b, ",%.2f", (double)m / 3600.0);
}

static void
csv_end(struct buf *b)
{
	buf_puts(b, "\r\n");
}

static void
csv_group(struct buf *b, const char *dimension, struct report_group *g)
{
	if (dimension != NULL)
		csv_text(b, true, dimension);
	csv_text(b, dimension == NULL, g->name);
	csv_ulong(b, g->cases);
	csv_ulong(b, g->fr_done);
	csv_ulong(b, g->fr_in_time);
	csv_percent(b, g->fr_in_time, g->fr_done);
	csv_ulong(b, g->res_done);
	csv_ulong(b, g->res_in_time);
	csv_percent(b, g->res_in_time, g->res_done);
	csv_hours(b, g->fr_btimes, g->n_fr);
	csv_hours(b, g->res_btimes, g->n_res);
}

static const char csv_group_head[] =
	"cases,first_response_decided,first_response_in_time,first_response_in_time_percent,"
	"resolution_decided,resolution_in_time,resolution_in_time_percent,"
	"median_first_response_business_hours,median_resolution_business_hours";

static void
csv_main(struct report *r, struct buf *b)
{
	buf_printf(b, "dimension,name,%s\r\n", csv_group_head);
	csv_group(b, "all", &r->all);
	csv_end(b);
	for (size_t i = 0; i < r->n_priority; i++) {
		csv_group(b, "priority", &r->by_priority[i]);
		csv_end(b);
	}
	for (size_t i = 0; i < r->n_category; i++) {
		csv_group(b, "category", &r->by_category[i]);
		csv_end(b);
	}
}

static void
csv_cases(struct report *r, struct buf *b)
{
	buf_puts(b, "start,category,cases\r\n");
	for (size_t i = 0; i < r->n_buckets; i++) {
		char day[11];

		report_day(report_bucket_day(r, i), day);
		for (size_t j = 0; j < r->n_category; j++) {
			unsigned long v = r->per_bucket[i * REPORT_MAX_GROUPS + j];

			if (v == 0)
				continue;
			csv_text(b, true, day);
			csv_text(b, false, r->by_category[j].name);
			csv_ulong(b, v);
			csv_end(b);
		}
	}
}

static void
csv_compliance(struct report *r, struct buf *b)
{
	buf_puts(b, "week,priority,first_response_decided,first_response_in_time,"
		 "resolution_decided,resolution_in_time\r\n");
	for (size_t w = 0; w < r->n_weeks; w++)
		for (size_t p = 0; p < PRIORITY_COUNT; p++) {
			const struct report_rate *x = &r->weekly[w * PRIORITY_COUNT + p];
			char day[11];

			if (x->fr_done == 0 && x->res_done == 0)
				continue;
			report_day(r->first_week + 7 * (long)w, day);
			csv_text(b, true, day);
			csv_text(b, false, priority_name((enum priority)p));
			csv_ulong(b, x->fr_done);
			csv_ulong(b, x->fr_in_time);
			csv_ulong(b, x->res_done);
			csv_ulong(b, x->res_in_time);
			csv_end(b);
		}
}

static void
csv_backlog(struct report *r, struct buf *b)
{
	buf_puts(b, "age,min_days");
	for (size_t p = 0; p < PRIORITY_COUNT; p++)
		buf_printf(b, ",%s", priority_name((enum priority)p));
	buf_puts(b, ",cases\r\n");
	for (size_t i = 0; i < REPORT_AGE_BINS; i++) {
		unsigned long total = 0;

		csv_text(b, true, report_age_label[i]);
		csv_ulong(b, (unsigned long)(report_age_min[i] / REPORT_DAY));
		for (size_t p = 0; p < PRIORITY_COUNT; p++) {
			csv_ulong(b, r->backlog[i][p]);
			total += r->backlog[i][p];
		}
		csv_ulong(b, total);
		csv_end(b);
	}
}

static void
csv_times(struct report *r, struct buf *b)
{
	buf_puts(b, "measure,bin,min_business_hours,cases\r\n");
	for (int m = 0; m < 2; m++)
		for (size_t i = 0; i < REPORT_TIME_BINS; i++) {
			csv_text(b, true, m == 0 ? "first response" : "resolution");
			csv_text(b, false, report_time_label[i]);
			csv_ulong(b, (unsigned long)(report_time_min[i] / 3600));
			csv_ulong(b, m == 0 ? r->fr_hist[i] : r->res_hist[i]);
			csv_end(b);
		}
}

static void
csv_trend(struct buf *b, const char *what, const struct report_cause *now, size_t n,
	  const struct report_cause *prev, size_t n_prev)
{
	buf_printf(b, "%s,cases,previous\r\n", what);
	for (size_t i = 0; i < n; i++) {
		csv_text(b, true, now[i].cause);
		csv_ulong(b, now[i].n);
		csv_ulong(b, report_tally_get(prev, n_prev, now[i].cause));
		csv_end(b);
	}
}

static void
csv_attention(struct report *r, struct buf *b)
{
	buf_puts(b, "id,status,clock,due,used_percent,state,priority,category,owner,"
		 "created,customer,subject\r\n");
	for (size_t i = 0; i < r->n_attention; i++) {
		const struct report_attention *a = &r->attention[i];

		buf_printf(b, "%lld", a->id);
		csv_text(b, false, a->breached ? "breached" : "at risk");
		csv_text(b, false, a->clock);
		csv_time(b, a->due);
		buf_printf(b, ",%d", a->used_percent);
		csv_text(b, false, case_state_name(a->state));
		csv_text(b, false, a->priority != PRIORITY_NONE ? priority_name(a->priority) : NULL);
		csv_text(b, false, a->category);
		csv_text(b, false, a->owner);
		csv_time(b, a->created);
		csv_text(b, false, a->customer);
		csv_text(b, false, a->subject);
		csv_end(b);
	}
}

static void
csv_agents(struct report *r, struct buf *b)
{
	buf_printf(b, "agent,%s,open,open_breached\r\n", csv_group_head);
	for (size_t i = 0; i < r->n_agent; i++) {
		struct report_group *g = &r->by_agent[i];

		csv_group(b, NULL, g);
		csv_ulong(b, g->open);
		csv_ulong(b, g->open_breached);
		csv_end(b);
	}
}

void
report_csv(struct report *r, enum report_csv_table t, struct buf *out)
{
	struct report_cause cats[REPORT_MAX_GROUPS];
	size_t n;

	switch (t) {
	case REPORT_CSV_MAIN: csv_main(r, out); break;
	case REPORT_CSV_CASES: csv_cases(r, out); break;
	case REPORT_CSV_COMPLIANCE: csv_compliance(r, out); break;
	case REPORT_CSV_BACKLOG: csv_backlog(r, out); break;
	case REPORT_CSV_TIMES: csv_times(r, out); break;
	case REPORT_CSV_CATEGORIES:
		n = report_category_tally(r, cats);
		csv_trend(out, "category", cats, n, r->prev_category, r->n_prev_category);
		break;
	case REPORT_CSV_CAUSES:
		csv_trend(out, "cause", r->causes, r->n_causes, r->prev_causes,
			  r->n_prev_causes);
		break;
	case REPORT_CSV_ATTENTION: csv_attention(r, out); break;
	case REPORT_CSV_AGENTS: csv_agents(r, out); break;
	}
}
