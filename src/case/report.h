/*
 * report - where the team keeps failing: the cases of a period counted and
 * measured, for "redress report".
 *
 * Over the cases given (those created since a date): counts by category
 * and by priority, SLA compliance (the share of first responses and of
 * resolutions made in time) per priority and per category, median
 * first-response and resolution times, and the most common resolution
 * causes.  Held cases are counted apart and measured not at all.
 *
 * Medians are business time, measured with the [sla] calendar as the
 * targets are (a resolution's leaves out the time the case waited on the
 * customer, as its clock does), so that "median 1st 10h30m" can be read
 * against "normal = 1d 5d".  JSON keeps the calendar-time medians it
 * always had beside the business-time ones.
 *
 * "In time" counts decided clocks only: a clock still running inside its
 * deadline is not counted until it is decided (made, or breached).
 *
 * Usage: report_init, report_add for each case, report_finish, then any of
 * report_text, report_json (report.c) and report_html (report_html.c) into
 * a buf; report_clear frees.  A report owns its strings; the renderers
 * sort the time arrays in place (medians), so they take it non-const.
 */
#ifndef REDRESS_CASE_REPORT_H
#define REDRESS_CASE_REPORT_H

#include <stddef.h>
#include <time.h>

struct buf;
struct sla_calendar;
struct store_case;

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
	unsigned long quarantined, informational;  /* not counted (issue 13) */
};

void report_init(struct report *r);
/* Counts case c as of now; cal measures business time. */
void report_add(struct report *r, const struct store_case *c, time_t now,
		const struct sla_calendar *cal);
/* Puts the most common causes first; after the last report_add. */
void report_finish(struct report *r);
/* Appends the text form; since_iso: the period's start, "" for all time. */
void report_text(struct report *r, const char *since_iso, struct buf *out);
/* Appends the JSON object (and a newline); since 0: all time. */
void report_json(struct report *r, time_t since, struct buf *out);
/* Appends a whole HTML page (report_html.c). */
void report_html(struct report *r, const char *since_iso, struct buf *out);
/* The median of v[0..n) in seconds (v is sorted in place), or -1 when n is 0. */
long report_median(long *v, size_t n);
/* "-", "42m" or "10h30m": business time in hours and minutes. */
void report_business(char *out, size_t size, long seconds);
/* "-" or "87%". */
void report_percent(char *out, size_t size, unsigned long part, unsigned long whole);
/* A group's cells, as the tables show them: first responses and
 * resolutions in time, median first response and resolution (business). */
#define REPORT_CELLS 4
void report_cells(struct report_group *g, char cell[REPORT_CELLS][32]);
void report_clear(struct report *r);

#endif
