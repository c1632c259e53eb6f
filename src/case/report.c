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
#include "base/clock.h"
#include "base/json.h"
#include "base/xmem.h"
#include "case/report.h"
#include "case/report_int.h"
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

const char *const report_age_label[REPORT_AGE_BINS] = {
	"< 1 day", "1-2 days", "2-7 days", "7-14 days", "14-30 days", ">= 30 days",
};
const long report_age_min[REPORT_AGE_BINS] = {
	0, REPORT_DAY, 2 * REPORT_DAY, 7 * REPORT_DAY, 14 * REPORT_DAY, 30 * REPORT_DAY,
};
/* Business hours: 8 of them are a day of mon-fri 09:00-17:00, 40 a week. */
const char *const report_time_label[REPORT_TIME_BINS] = {
	"< 1h", "1-4h", "4-8h", "8-16h", "16-40h", "40-80h", ">= 80h",
};
const long report_time_min[REPORT_TIME_BINS] = {
	0, 3600, 4 * 3600, 8 * 3600, 16 * 3600, 40 * 3600, 80 * 3600,
};

/* The bin of v among the lower bounds min[0..n). */
static size_t
report_bin(const long *min, size_t n, long v)
{
	size_t i = 0;

	while (i + 1 < n && v >= min[i + 1])
		i++;
	return i;
}

/* The Monday on or before a local day (1970-01-01 was a Thursday). */
static long
report_monday(long day)
{
	return day - ((day % 7 + 7 + 3) % 7);
}

void
report_day(long day, char out[11])
{
	/* H. Hinnant's civil_from_days. */
	long z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp < 10 ? mp + 3 : mp - 9;

	if (m <= 2)
		y++;
	if (y < 0 || y > 9999)
		y = 0;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

long
report_bucket_day(const struct report *r, size_t i)
{
	return r->first_bucket + (long)i * (r->p.by == REPORT_BY_WEEK ? 7 : 1);
}

/* Counts name in a tally (the last entry gathers the rest). */
static void
report_tally(struct report_cause *v, size_t *n, const char *name)
{
	size_t j;

	for (j = 0; j < *n; j++)
		if (strcmp(v[j].cause, name) == 0)
			break;
	if (j == *n) {
		if (*n >= REPORT_MAX_GROUPS)
			j = REPORT_MAX_GROUPS - 1;
		else
			v[(*n)++].cause = xstrdup(name);
	}
	v[j].n++;
}

unsigned long
report_tally_get(const struct report_cause *v, size_t n, const char *name)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(v[j].cause, name) == 0)
			return v[j].n;
	return 0;
}

static void
report_tally_sort(struct report_cause *v, size_t n)
{
	/* Most common first; ties keep their order (insertion sort is stable). */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j].n > v[j - 1].n; j--) {
			struct report_cause t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

void
report_cells(struct report_group *g, char cell[REPORT_CELLS][32])
{
	report_percent(cell[0], 32, g->fr_in_time, g->fr_done);
	report_percent(cell[1], 32, g->res_in_time, g->res_done);
	report_business(cell[2], 32, report_median(g->fr_btimes, g->n_fr));
	report_business(cell[3], 32, report_median(g->res_btimes, g->n_res));
}

int
report_init(struct report *r, const struct report_period *p, char **error_r)
{
	long first, last, span;

	memset(r, 0, sizeof(*r));
	if (p->until <= p->since) {
		*error_r = xstrdup("the period is empty: --until must be after --since");
		return -1;
	}
	r->p = *p;
	if (r->p.warn_percent <= 0 || r->p.warn_percent > 100)
		r->p.warn_percent = 80;
	r->prev_since = p->since - (p->until - p->since);
	first = sla_calendar_day(p->cal, p->since);
	last = sla_calendar_day(p->cal, p->until - 1);
	if (p->by == REPORT_BY_WEEK) {
		first = report_monday(first);
		span = (report_monday(last) - first) / 7 + 1;
	} else {
		span = last - first + 1;
	}
	if (span < 1 || span > REPORT_MAX_BUCKETS) {
		*error_r = xasprintf("the period has %ld %s, more than the %d a report draws%s",
				     span, p->by == REPORT_BY_WEEK ? "weeks" : "days",
				     REPORT_MAX_BUCKETS,
				     p->by == REPORT_BY_WEEK ? "" : ": try --by week");
		return -1;
	}
	r->first_bucket = first;
	r->n_buckets = (size_t)span;
	r->per_bucket = xcalloc(r->n_buckets * REPORT_MAX_GROUPS, sizeof(unsigned long));
	r->first_week = report_monday(sla_calendar_day(p->cal, p->since));
	r->n_weeks = (size_t)((report_monday(last) - r->first_week) / 7 + 1);
	r->weekly = xcalloc(r->n_weeks * PRIORITY_COUNT, sizeof(struct report_rate));
	r->all.name = xstrdup("all");
	return 0;
}

time_t
report_fetch_since(const struct report *r)
{
	return r->prev_since;
}

/* The one place that reads a case's owner ("case assign"). */
const char *
report_case_owner(const struct store_case *c)
{
	return c->owner;
}

void
report_add(struct report *r, const struct store_case *c)
{
	report_add_owned(r, c, report_case_owner(c));
}

void
report_add_owned(struct report *r, const struct store_case *k, const char *owner)
{
	struct report_group *cat;
	struct report_rate before;
	size_t n_fr, n_res;
	long day, b, w;

	/* A merged case is part of the case it joined: counted there. */
	if (k->state == CASE_MERGED)
		return;
	if (k->created >= r->p.until || k->created < r->prev_since)
		return;
	/* Spam, forged, list and bulk mail is no work of the team's. */
	if (k->state == CASE_QUARANTINED || k->state == CASE_INFORMATIONAL) {
		if (k->created >= r->p.since) {
			r->quarantined += k->state == CASE_QUARANTINED;
			r->informational += k->state == CASE_INFORMATIONAL;
		}
		return;
	}
	if (k->created < r->p.since) {
		if (k->state == CASE_HELD) {
			r->prev_held++;
			return;
		}
		r->prev_cases++;
		report_tally(r->prev_category, &r->n_prev_category,
			     k->category ? k->category : "-");
		if (k->resolution_cause != NULL)
			report_tally(r->prev_causes, &r->n_prev_causes, k->resolution_cause);
		return;
	}
	if (k->state == CASE_HELD) {
		r->held++;
		return;
	}
	if (!k->complaint)
		r->not_complaints++;
	n_fr = r->all.n_fr;
	n_res = r->all.n_res;
	report_count(&r->all, k, r->p.now, r->p.cal);
	if (r->all.n_fr > n_fr)
		r->fr_hist[report_bin(report_time_min, REPORT_TIME_BINS,
				      r->all.fr_btimes[n_fr])]++;
	if (r->all.n_res > n_res)
		r->res_hist[report_bin(report_time_min, REPORT_TIME_BINS,
				       r->all.res_btimes[n_res])]++;
	cat = report_group(r->by_category, &r->n_category, k->category ? k->category : "-");
	before = (struct report_rate){ cat->fr_done, cat->fr_in_time, cat->res_done,
				       cat->res_in_time };
	report_count(cat, k, r->p.now, r->p.cal);
	report_count(report_group(r->by_priority, &r->n_priority,
				  k->priority != PRIORITY_NONE ? priority_name(k->priority) : "-"),
		     k, r->p.now, r->p.cal);
	if (owner != NULL && *owner != '\0') {
		r->owners_recorded = true;
		report_count(report_group(r->by_agent, &r->n_agent, owner), k, r->p.now, r->p.cal);
	} else {
		r->unowned++;
	}
	if (k->resolution_cause != NULL)
		report_tally(r->causes, &r->n_causes, k->resolution_cause);
	/* Per bucket and category; per week (of creation) and priority, the
	 * clocks this case decided as the category group counted them. */
	day = sla_calendar_day(r->p.cal, k->created);
	b = (day - r->first_bucket) / (r->p.by == REPORT_BY_WEEK ? 7 : 1);
	w = (report_monday(day) - r->first_week) / 7;
	if (b >= 0 && (size_t)b < r->n_buckets)
		r->per_bucket[(size_t)b * REPORT_MAX_GROUPS + (size_t)(cat - r->by_category)]++;
	if (w >= 0 && (size_t)w < r->n_weeks && k->priority != PRIORITY_NONE) {
		struct report_rate *rate = &r->weekly[(size_t)w * PRIORITY_COUNT +
						      (size_t)k->priority];

		rate->fr_done += cat->fr_done - before.fr_done;
		rate->fr_in_time += cat->fr_in_time - before.fr_in_time;
		rate->res_done += cat->res_done - before.res_done;
		rate->res_in_time += cat->res_in_time - before.res_in_time;
	}
}

void
report_add_open(struct report *r, const struct store_case *c)
{
	report_add_open_owned(r, c, report_case_owner(c));
}

/* The share (percent) of a clock's business time from start to due that
 * is gone at now, less paused seconds on both sides. */
static int
report_used(const struct report *r, time_t start, time_t due, long paused)
{
	long total = sla_business_seconds(r->p.cal, start, due) - paused;
	long gone = sla_business_seconds(r->p.cal, start, r->p.now) - paused;

	if (total <= 0)
		return 100;
	if (gone <= 0)
		return 0;
	if (gone >= total)
		return 100;
	return (int)(100.0 * (double)gone / (double)total);
}

void
report_add_open_owned(struct report *r, const struct store_case *k, const char *owner)
{
	struct report_attention a;
	long age = (long)(r->p.now - k->created);

	if (!case_state_is_open(k->state))
		return;
	r->backlog_total++;
	if (k->priority != PRIORITY_NONE)
		r->backlog[report_bin(report_age_min, REPORT_AGE_BINS, age < 0 ? 0 : age)]
			  [k->priority]++;
	memset(&a, 0, sizeof(a));
	if (k->first_response_at == 0 && k->first_response_due != 0) {
		a.clock = "first response";
		a.due = k->first_response_due;
		a.breached = k->first_response_breached || r->p.now >= a.due;
		a.used_percent = report_used(r, k->created, a.due, 0);
	} else if (k->resolved_at == 0 && k->resolution_due != 0) {
		a.clock = "resolution";
		a.due = k->resolution_due;
		a.breached = k->resolution_breached ||
			     (k->state != CASE_WAITING && r->p.now >= a.due);
		a.used_percent = k->state == CASE_WAITING ? 0 :
				 report_used(r, k->created, a.due, k->paused_seconds);
	}
	if (owner != NULL && *owner != '\0') {
		struct report_group *g = report_group(r->by_agent, &r->n_agent, owner);

		r->owners_recorded = true;
		g->open++;
		if (a.clock != NULL && a.breached)
			g->open_breached++;
	}
	if (a.clock == NULL || (!a.breached && a.used_percent < r->p.warn_percent))
		return;
	if (a.breached)
		r->n_breached++;
	else
		r->n_at_risk++;
	a.id = k->id;
	a.subject = k->subject ? xstrdup(k->subject) : NULL;
	a.customer = k->customer ? xstrdup(k->customer) : NULL;
	a.category = k->category ? xstrdup(k->category) : NULL;
	a.owner = owner ? xstrdup(owner) : NULL;
	a.priority = k->priority;
	a.state = k->state;
	a.created = k->created;
	r->attention = xgrow(r->attention, &r->cap_attention, r->n_attention + 1,
			     sizeof(*r->attention));
	r->attention[r->n_attention++] = a;
}

static int
report_cmp_attention(const void *x, const void *y)
{
	const struct report_attention *a = x, *b = y;

	if (a->breached != b->breached)
		return a->breached ? -1 : 1;
	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

void
report_finish(struct report *r)
{
	report_tally_sort(r->causes, r->n_causes);
	report_tally_sort(r->prev_causes, r->n_prev_causes);
	report_tally_sort(r->prev_category, r->n_prev_category);
	if (r->n_attention > 1)
		qsort(r->attention, r->n_attention, sizeof(*r->attention),
		      report_cmp_attention);
	/* Agents with the most cases first; ties keep the order first seen. */
	for (size_t i = 1; i < r->n_agent; i++)
		for (size_t j = i; j > 0 && r->by_agent[j].cases > r->by_agent[j - 1].cases; j--) {
			struct report_group t = r->by_agent[j];

			r->by_agent[j] = r->by_agent[j - 1];
			r->by_agent[j - 1] = t;
		}
}

/* ---- text ------------------------------------------------------------ */

/* "87%", or "100%*" when it rests on fewer than REPORT_FEW clocks. */
static void
report_percent_few(char *out, size_t size, unsigned long part, unsigned long whole)
{
	report_percent(out, size, part, whole);
	if (whole > 0 && whole < REPORT_FEW)
		strncat(out, "*", size - strlen(out) - 1);
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
		report_percent_few(cell[0], 32, v[i].fr_in_time, v[i].fr_done);
		report_percent_few(cell[1], 32, v[i].res_in_time, v[i].res_done);
		buf_printf(b, "%-14.14s %6lu %9s %9s %12s %12s\n", v[i].name, v[i].cases,
			   cell[0], cell[1], cell[2], cell[3]);
	}
}

void
report_text(struct report *r, struct buf *out)
{
	char since[CLOCK_ISO_LEN], until[CLOCK_ISO_LEN];

	clock_format_iso8601(r->p.since, since);
	clock_format_iso8601(r->p.until, until);
	buf_printf(out, "%lu cases created from %s to %s (%lu held, %lu not complaints);\n"
		   "%lu in the previous period.  Open now: %lu, %lu breached, %lu at risk.\n",
		   r->all.cases, since, until, r->held, r->not_complaints, r->prev_cases,
		   r->backlog_total, r->n_breached, r->n_at_risk);
	if (r->quarantined + r->informational > 0)
		buf_printf(out, "Not counted: %lu quarantined (spam, forged), %lu informational "
			   "(list, bulk).\n", r->quarantined, r->informational);
	buf_puts(out, "SLA compliance: the share of decided clocks that were met\n"
		 "(* from fewer than 5 cases).  Median times are business time ([sla]\n"
		 "hours and holidays), as the targets are; a resolution's leaves out\n"
		 "time waiting on the customer.\n");
	report_text_table(out, "PRIORITY", r->by_priority, r->n_priority);
	report_text_table(out, "CATEGORY", r->by_category, r->n_category);
	report_text_table(out, "ALL", &r->all, 1);
	if (r->n_attention > 0) {
		buf_puts(out, "\nTo chase (open now; breached first, then by deadline):\n");
		for (size_t i = 0; i < r->n_attention && i < 20; i++) {
			const struct report_attention *a = &r->attention[i];
			char due[CLOCK_ISO_LEN];

			clock_format_iso8601(a->due, due);
			buf_printf(out, "  %06lld  %-8s  %-14s  due %s  %-6s  ", a->id,
				   a->breached ? "breached" : "at risk", a->clock, due,
				   a->priority != PRIORITY_NONE ? priority_name(a->priority) : "-");
			/* A subject is a customer's: no control character reaches
			 * the terminal. */
			for (const char *p = a->subject ? a->subject : ""; *p != '\0'; p++)
				buf_putc(out, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
			buf_putc(out, '\n');
		}
		if (r->n_attention > 20)
			buf_printf(out, "  and %zu more\n", r->n_attention - 20);
	}
	if (r->n_causes > 0) {
		buf_puts(out, "\nTop resolution causes (previous period):\n");
		for (size_t i = 0; i < r->n_causes && i < 10; i++)
			buf_printf(out, "  %4lu  (%lu)  %s\n", r->causes[i].n,
				   report_tally_get(r->prev_causes, r->n_prev_causes,
						    r->causes[i].cause),
				   r->causes[i].cause);
	}
}

/* ---- JSON ------------------------------------------------------------ */

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
report_json_group(struct buf *b, struct report_group *g, bool agent)
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
	if (agent) {
		json_key(b, &first, "open");
		json_int(b, (int64_t)g->open);
		json_key(b, &first, "open_breached");
		json_int(b, (int64_t)g->open_breached);
	}
	buf_putc(b, '}');
}

static void
report_json_groups(struct buf *b, struct report_group *v, size_t n, bool agent)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		report_json_group(b, &v[i], agent);
	}
	buf_putc(b, ']');
}

/* [{"name": ..., "cases": n, "previous": m}, ...] */
static void
report_json_trend(struct buf *b, const struct report_cause *now, size_t n,
		  const struct report_cause *prev, size_t n_prev)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		bool f = true;

		buf_puts(b, i > 0 ? ",{" : "{");
		json_key(b, &f, "name");
		json_str(b, now[i].cause);
		json_key(b, &f, "cases");
		json_int(b, (int64_t)now[i].n);
		json_key(b, &f, "previous");
		json_int(b, (int64_t)report_tally_get(prev, n_prev, now[i].cause));
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
report_json_hist(struct buf *b, const unsigned long *hist, size_t n_values)
{
	bool first = true;

	buf_putc(b, '{');
	json_key(b, &first, "unit");
	json_str(b, "business seconds");
	json_key(b, &first, "n");
	json_int(b, (int64_t)n_values);
	json_key(b, &first, "bins");
	buf_putc(b, '[');
	for (size_t i = 0; i < REPORT_TIME_BINS; i++) {
		bool f = true;

		buf_puts(b, i > 0 ? ",{" : "{");
		json_key(b, &f, "label");
		json_str(b, report_time_label[i]);
		json_key(b, &f, "min_seconds");
		json_int(b, report_time_min[i]);
		json_key(b, &f, "cases");
		json_int(b, (int64_t)hist[i]);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
}

/* The categories of the period, most cases first, as a tally. */
size_t
report_category_tally(struct report *r, struct report_cause *v)
{
	for (size_t i = 0; i < r->n_category; i++) {
		v[i].cause = r->by_category[i].name;
		v[i].n = r->by_category[i].cases;
	}
	report_tally_sort(v, r->n_category);
	return r->n_category;
}

void
report_json(struct report *r, struct buf *out)
{
	struct report_cause cats[REPORT_MAX_GROUPS];
	size_t n_cats;
	bool first = true;

	buf_putc(out, '{');
	json_key(out, &first, "since");
	json_time(out, r->p.since);
	json_key(out, &first, "until");
	json_time(out, r->p.until);
	json_key(out, &first, "previous_since");
	json_time(out, r->prev_since);
	json_key(out, &first, "now");
	json_time(out, r->p.now);
	json_key(out, &first, "zone");
	json_str(out, sla_calendar_zone(r->p.cal));
	json_key(out, &first, "by");
	json_str(out, r->p.by == REPORT_BY_WEEK ? "week" : "day");
	json_key(out, &first, "held");
	json_int(out, (int64_t)r->held);
	json_key(out, &first, "not_complaints");
	json_int(out, (int64_t)r->not_complaints);
	json_key(out, &first, "quarantined");
	json_int(out, (int64_t)r->quarantined);
	json_key(out, &first, "informational");
	json_int(out, (int64_t)r->informational);
	json_key(out, &first, "all");
	report_json_group(out, &r->all, false);
	json_key(out, &first, "by_category");
	report_json_groups(out, r->by_category, r->n_category, false);
	json_key(out, &first, "by_priority");
	report_json_groups(out, r->by_priority, r->n_priority, false);
	json_key(out, &first, "causes");
	buf_putc(out, '[');
	for (size_t i = 0; i < r->n_causes; i++) {
		bool f2 = true;

		buf_puts(out, i > 0 ? ",{" : "{");
		json_key(out, &f2, "cause");
		json_str(out, r->causes[i].cause);
		json_key(out, &f2, "cases");
		json_int(out, (int64_t)r->causes[i].n);
		json_key(out, &f2, "previous");
		json_int(out, (int64_t)report_tally_get(r->prev_causes, r->n_prev_causes,
							r->causes[i].cause));
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	json_key(out, &first, "previous_cases");
	json_int(out, (int64_t)r->prev_cases);
	n_cats = report_category_tally(r, cats);
	json_key(out, &first, "category_trend");
	report_json_trend(out, cats, n_cats, r->prev_category, r->n_prev_category);
	json_key(out, &first, "cases_per_bucket");
	buf_putc(out, '[');
	for (size_t i = 0; i < r->n_buckets; i++) {
		char day[11];
		unsigned long total = 0;
		bool f = true, f2 = true;

		report_day(report_bucket_day(r, i), day);
		buf_puts(out, i > 0 ? ",{" : "{");
		json_key(out, &f, "start");
		json_str(out, day);
		json_key(out, &f, "by_category");
		buf_putc(out, '{');
		for (size_t j = 0; j < r->n_category; j++) {
			unsigned long v = r->per_bucket[i * REPORT_MAX_GROUPS + j];

			total += v;
			if (v == 0)
				continue;
			json_key(out, &f2, r->by_category[j].name);
			json_int(out, (int64_t)v);
		}
		buf_putc(out, '}');
		json_key(out, &f, "cases");
		json_int(out, (int64_t)total);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	json_key(out, &first, "compliance_weekly");
	buf_putc(out, '[');
	for (size_t w = 0, k = 0; w < r->n_weeks; w++)
		for (size_t p = 0; p < PRIORITY_COUNT; p++) {
			const struct report_rate *x = &r->weekly[w * PRIORITY_COUNT + p];
			char day[11];
			bool f = true;

			if (x->fr_done == 0 && x->res_done == 0)
				continue;
			report_day(r->first_week + 7 * (long)w, day);
			buf_puts(out, k++ > 0 ? ",{" : "{");
			json_key(out, &f, "week");
			json_str(out, day);
			json_key(out, &f, "priority");
			json_str(out, priority_name((enum priority)p));
			json_key(out, &f, "first_response_decided");
			json_int(out, (int64_t)x->fr_done);
			json_key(out, &f, "first_response_in_time");
			json_int(out, (int64_t)x->fr_in_time);
			json_key(out, &f, "resolution_decided");
			json_int(out, (int64_t)x->res_done);
			json_key(out, &f, "resolution_in_time");
			json_int(out, (int64_t)x->res_in_time);
			buf_putc(out, '}');
		}
	buf_putc(out, ']');
	json_key(out, &first, "backlog");
	{
		bool f = true;

		buf_putc(out, '{');
		json_key(out, &f, "open");
		json_int(out, (int64_t)r->backlog_total);
		json_key(out, &f, "ages");
		buf_putc(out, '[');
		for (size_t i = 0; i < REPORT_AGE_BINS; i++) {
			bool f2 = true, f3 = true;
			unsigned long total = 0;

			buf_puts(out, i > 0 ? ",{" : "{");
			json_key(out, &f2, "age");
			json_str(out, report_age_label[i]);
			json_key(out, &f2, "min_seconds");
			json_int(out, report_age_min[i]);
			json_key(out, &f2, "by_priority");
			buf_putc(out, '{');
			for (size_t p = 0; p < PRIORITY_COUNT; p++) {
				total += r->backlog[i][p];
				json_key(out, &f3, priority_name((enum priority)p));
				json_int(out, (int64_t)r->backlog[i][p]);
			}
			buf_putc(out, '}');
			json_key(out, &f2, "cases");
			json_int(out, (int64_t)total);
			buf_putc(out, '}');
		}
		buf_puts(out, "]}");
	}
	json_key(out, &first, "first_response_times");
	report_json_hist(out, r->fr_hist, r->all.n_fr);
	json_key(out, &first, "resolution_times");
	report_json_hist(out, r->res_hist, r->all.n_res);
	json_key(out, &first, "breached");
	json_int(out, (int64_t)r->n_breached);
	json_key(out, &first, "at_risk");
	json_int(out, (int64_t)r->n_at_risk);
	json_key(out, &first, "attention");
	buf_putc(out, '[');
	for (size_t i = 0; i < r->n_attention; i++) {
		const struct report_attention *a = &r->attention[i];
		bool f = true;

		buf_puts(out, i > 0 ? ",{" : "{");
		json_key(out, &f, "id");
		json_int(out, a->id);
		json_key(out, &f, "status");
		json_str(out, a->breached ? "breached" : "at risk");
		json_key(out, &f, "clock");
		json_str(out, a->clock);
		json_key(out, &f, "due");
		json_time(out, a->due);
		json_key(out, &f, "used_percent");
		json_int(out, a->used_percent);
		json_key(out, &f, "state");
		json_str(out, case_state_name(a->state));
		json_key(out, &f, "priority");
		if (a->priority != PRIORITY_NONE)
			json_str(out, priority_name(a->priority));
		else
			buf_puts(out, "null");
		json_key(out, &f, "category");
		if (a->category != NULL)
			json_str(out, a->category);
		else
			buf_puts(out, "null");
		json_key(out, &f, "owner");
		if (a->owner != NULL)
			json_str(out, a->owner);
		else
			buf_puts(out, "null");
		json_key(out, &f, "created");
		json_time(out, a->created);
		json_key(out, &f, "customer");
		if (a->customer != NULL)
			json_str(out, a->customer);
		else
			buf_puts(out, "null");
		json_key(out, &f, "subject");
		if (a->subject != NULL)
			json_str(out, a->subject);
		else
			buf_puts(out, "null");
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	json_key(out, &first, "agents");
	{
		bool f = true;

		buf_putc(out, '{');
		json_key(out, &f, "owners_recorded");
		json_bool(out, r->owners_recorded);
		json_key(out, &f, "unowned");
		json_int(out, (int64_t)r->unowned);
		json_key(out, &f, "by_agent");
		report_json_groups(out, r->by_agent, r->n_agent, true);
		buf_putc(out, '}');
	}
	buf_puts(out, "}\n");
}

static void
report_attention_free(struct report_attention *a)
{
	free(a->subject);
	free(a->customer);
	free(a->category);
	free(a->owner);
}

void
report_clear(struct report *r)
{
	for (size_t i = 0; i < r->n_category; i++)
		report_group_free(&r->by_category[i]);
	for (size_t i = 0; i < r->n_priority; i++)
		report_group_free(&r->by_priority[i]);
	for (size_t i = 0; i < r->n_agent; i++)
		report_group_free(&r->by_agent[i]);
	report_group_free(&r->all);
	for (size_t i = 0; i < r->n_causes; i++)
		free(r->causes[i].cause);
	for (size_t i = 0; i < r->n_prev_causes; i++)
		free(r->prev_causes[i].cause);
	for (size_t i = 0; i < r->n_prev_category; i++)
		free(r->prev_category[i].cause);
	for (size_t i = 0; i < r->n_attention; i++)
		report_attention_free(&r->attention[i]);
	free(r->attention);
	free(r->per_bucket);
	free(r->weekly);
	memset(r, 0, sizeof(*r));
}
