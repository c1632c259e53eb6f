/*
 * report - where the team keeps failing: the cases of a period counted and
 * measured, for "redress report".
 *
 * The period is [since, until) (the command's default: the last 30 days);
 * the previous period is as long and ends at since, for the trends.  Over
 * the cases created in the period: counts by category and by priority, SLA
 * compliance (the share of first responses and of resolutions made in
 * time) per priority, per category and per week and priority, median
 * first-response and resolution times and their distributions, the cases
 * per day or week by category, the most common resolution causes, and the
 * same per agent (a case's owner).  Over the cases open now, whatever
 * their age: the backlog by age and priority, and the cases to chase
 * (a running clock breached, or at risk: warn_percent of its business time
 * gone).  Held cases are counted apart and measured not at all.
 *
 * Medians and distributions are business time, measured with the [sla]
 * calendar as the targets are (a resolution's leaves out the time the case
 * waited on the customer, as its clock does), so that "median 1st 10h30m"
 * can be read against "normal = 1d 5d".  JSON keeps the calendar-time
 * medians it always had beside the business-time ones.  Days and weeks
 * (Monday to Sunday) are those of the calendar's zone.
 *
 * "In time" counts decided clocks only: a clock still running inside its
 * deadline is not counted until it is decided (made, or breached).  A
 * share of fewer than REPORT_FEW decided clocks is marked as such.
 *
 * Owners.  Per-agent figures group the period's cases by owner ("case
 * assign"): report_case_owner() is the one place that reads a case's
 * owner; with no owned case at all the figure says "no owners recorded".
 *
 * Usage: report_init, report_add for each case created since
 * report_fetch_since() (older ones are ignored), report_add_open for each
 * case open now, report_finish, then any of report_text, report_json
 * (report.c), report_html (report_html.c, with report_svg.c's charts) and
 * report_csv (report_csv.c) into a buf; report_clear frees.  A report owns
 * its strings; the renderers sort the time arrays in place (medians), so
 * they take it non-const.
 */
#ifndef REDRESS_CASE_REPORT_H
#define REDRESS_CASE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/case_state.h"
#include "model/priority.h"

struct buf;
struct sla_calendar;
struct store_case;

#define REPORT_MAX_GROUPS 64
#define REPORT_MAX_BUCKETS 400      /* days or weeks in a period */
#define REPORT_FEW 5                /* a share of fewer clocks says so */
#define REPORT_AGE_BINS 6           /* backlog ages */
#define REPORT_TIME_BINS 7          /* distributions, business hours */
#define REPORT_DAY 86400L

enum report_by { REPORT_BY_DAY, REPORT_BY_WEEK };

struct report_group {
	char *name;                 /* owned */
	unsigned long cases;
	unsigned long fr_done, fr_in_time;      /* decided first-response clocks */
	unsigned long res_done, res_in_time;    /* decided resolution clocks */
	long *fr_times, *res_times;             /* calendar seconds; owned */
	size_t n_fr, n_res, cap_fr, cap_res;
	long *fr_btimes, *res_btimes;           /* business seconds; owned */
	size_t cap_fr_b, cap_res_b;             /* (counts are n_fr, n_res) */
	unsigned long open, open_breached;      /* now (per agent) */
};

/* A name and a count: causes, and the previous period's tallies. */
struct report_cause {
	char *cause;                /* owned */
	unsigned long n;
};

/* Decided clocks of one week and priority. */
struct report_rate {
	unsigned long fr_done, fr_in_time, res_done, res_in_time;
};

/* An open case to chase. */
struct report_attention {
	long long id;
	char *subject, *customer, *category, *owner;    /* owned; may be NULL */
	enum priority priority;
	enum case_state state;
	const char *clock;          /* "first response" or "resolution" */
	bool breached;              /* else at risk */
	int used_percent;           /* of the clock's business time */
	time_t created, due;
};

struct report_period {
	time_t since, until;        /* [since, until) */
	enum report_by by;
	time_t now;                 /* clocks are judged and ages taken now */
	const struct sla_calendar *cal;
	int warn_percent;           /* at risk from here; 0: 80 */
};

struct report {
	struct report_period p;
	time_t prev_since;          /* the previous period: [prev_since, since) */
	struct report_group by_category[REPORT_MAX_GROUPS];
	size_t n_category;
	struct report_group by_priority[REPORT_MAX_GROUPS];
	size_t n_priority;
	struct report_group all;
	struct report_cause causes[REPORT_MAX_GROUPS];
	size_t n_causes;
	unsigned long held, not_complaints;
	unsigned long quarantined, informational;  /* not counted (issue 13) */
	/* cases per bucket (day or week) and category index of by_category */
	long first_bucket;          /* local day of the first bucket's start */
	size_t n_buckets;
	unsigned long *per_bucket;  /* [n_buckets][REPORT_MAX_GROUPS]; owned */
	/* compliance per week (of creation) and priority */
	long first_week;            /* local day of the first Monday */
	size_t n_weeks;
	struct report_rate *weekly; /* [n_weeks][PRIORITY_COUNT]; owned */
	/* distributions of the business times (all of the period) */
	unsigned long fr_hist[REPORT_TIME_BINS], res_hist[REPORT_TIME_BINS];
	/* the previous period */
	unsigned long prev_cases, prev_held;
	struct report_cause prev_category[REPORT_MAX_GROUPS];
	size_t n_prev_category;
	struct report_cause prev_causes[REPORT_MAX_GROUPS];
	size_t n_prev_causes;
	/* open now */
	unsigned long backlog[REPORT_AGE_BINS][PRIORITY_COUNT];
	unsigned long backlog_total;
	struct report_attention *attention;     /* owned; breached first */
	size_t n_attention, cap_attention;
	unsigned long n_breached, n_at_risk;
	/* per agent: the period's cases by owner */
	struct report_group by_agent[REPORT_MAX_GROUPS];
	size_t n_agent;
	unsigned long unowned;      /* the period's cases with no owner */
	bool owners_recorded;       /* any case (period or open) has one */
};

/* The bins' labels and lower bounds (seconds); the last is open-ended. */
extern const char *const report_age_label[REPORT_AGE_BINS];
extern const long report_age_min[REPORT_AGE_BINS];
extern const char *const report_time_label[REPORT_TIME_BINS];
extern const long report_time_min[REPORT_TIME_BINS];

/* 0, or -1 and *error_r when the period is empty or has more than
 * REPORT_MAX_BUCKETS days (or weeks) of --by. */
int report_init(struct report *r, const struct report_period *p, char **error_r);
/* The earliest creation report_add needs: the previous period's start. */
time_t report_fetch_since(const struct report *r);
/* The owner of a case, or NULL when nobody owns it. */
const char *report_case_owner(const struct store_case *c);
/* Counts case c: in the period, in the previous one, or not at all. */
void report_add(struct report *r, const struct store_case *c);
/* The same with its owner given (report_add reads report_case_owner). */
void report_add_owned(struct report *r, const struct store_case *c, const char *owner);
/* Counts an open case in the backlog, and to chase if it is. */
void report_add_open(struct report *r, const struct store_case *c);
void report_add_open_owned(struct report *r, const struct store_case *c,
			   const char *owner);
/* Puts the most common causes first, the cases to chase in order; after
 * the last report_add. */
void report_finish(struct report *r);
/* Appends the text form. */
void report_text(struct report *r, struct buf *out);
/* Appends the JSON object (and a newline). */
void report_json(struct report *r, struct buf *out);
/* Appends a whole HTML page (report_html.c). */
void report_html(struct report *r, struct buf *out);

/* The CSV tables (report_csv.c): REPORT_CSV_MAIN is what --format csv
 * prints; --output-dir writes each as report_csv_name[t]. */
enum report_csv_table {
	REPORT_CSV_MAIN, REPORT_CSV_CASES, REPORT_CSV_COMPLIANCE, REPORT_CSV_BACKLOG,
	REPORT_CSV_TIMES, REPORT_CSV_CATEGORIES, REPORT_CSV_CAUSES,
	REPORT_CSV_ATTENTION, REPORT_CSV_AGENTS,
};
#define REPORT_CSV_COUNT 9
extern const char *const report_csv_name[REPORT_CSV_COUNT];
void report_csv(struct report *r, enum report_csv_table t, struct buf *out);

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
/* "2026-11-23": a local day number as a date. */
void report_day(long day, char out[11]);
/* A bucket's first day, and the previous count of a name in a tally. */
long report_bucket_day(const struct report *r, size_t i);
unsigned long report_tally_get(const struct report_cause *v, size_t n, const char *name);
void report_clear(struct report *r);

#endif
