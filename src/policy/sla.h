/*
 * sla - business time: the calendar, SLA targets, deadlines, warning
 * times and quiet hours.  Pure functions: the time is always an argument.
 *
 * A calendar is a time zone from the system tz database, weekly business
 * hours and a list of holidays (local dates).  All instants are UTC time_t;
 * the calendar turns them into local wall-clock time to decide what is
 * business time, so DST changes, weekends and holidays are handled by one
 * rule: an instant is business time when its local date is not a holiday
 * and its local time lies in one of that weekday's [open, close) ranges.
 *
 * Spans: "m" and "h" are business minutes and hours, consumed through the
 * open ranges.  "d" is business days: the start (moved to the next opening
 * when it is outside hours) keeps its business position within its day --
 * the business time already elapsed that day, counted on the wall clock --
 * and the deadline is the same position on the Nth next business day,
 * clamped to that day's closing time when the day is shorter.  With
 * mon-fri 09:00-17:00, 1d from Friday 16:30 is Monday 16:30, and 1h from
 * Friday 16:30 is Monday 09:30.
 *
 * Local times that do not exist (the spring-forward gap) move forward to
 * the first instant after the gap; local times that exist twice (fall back)
 * mean the earlier one.
 *
 * Time zones are applied by setting TZ around each call and restoring it
 * afterwards (redress is single-threaded); nothing zone-dependent is cached,
 * so several calendars in different zones can coexist.
 *
 * Every walk over days is capped (SLA_MAX_DAYS calendar days): a calendar
 * with almost no business time yields a capped deadline, never a long loop.
 *
 * Errors: the parsers return -1 and an allocated message the caller frees
 * (see each function for its form); the arithmetic cannot fail.
 */
#ifndef REDRESS_SLA_H
#define REDRESS_SLA_H

#include <stddef.h>
#include <time.h>

#include "model/priority.h"

struct sla_calendar;

/* Calendar days any walk may cover before it gives up (about 10 years). */
#define SLA_MAX_DAYS 3660
/* At most this many holidays in a calendar. */
#define SLA_MAX_HOLIDAYS 1000
/* Longest spans: 8760 business hours, 365 business days. */
#define SLA_MAX_MINUTES (8760L * 60)
#define SLA_MAX_DAYS_SPAN 365L

/*
 * Builds a calendar.  timezone: a tz database name ("Europe/London",
 * "UTC"); hours: comma-separated groups "DAYS HH:MM-HH:MM [HH:MM-HH:MM...]"
 * where DAYS is a day (mon..sun) or a range (mon-fri, fri-mon), or "24x7"
 * alone; closing may be 24:00.  holidays: ISO dates separated by spaces or
 * commas, or "".  Returns 0 and *cal_r (free with sla_calendar_free), or -1
 * and *error_r naming the value and the reason, e.g.
 * hours: "mon-fri 9-17": expected HH:MM-HH:MM
 */
int sla_calendar_new(const char *timezone, const char *hours,
		     const char *holidays, struct sla_calendar **cal_r,
		     char **error_r);
/* NULL-safe; sets *cal to NULL. */
void sla_calendar_free(struct sla_calendar **cal);
/* The zone name as given; owned by the calendar. */
const char *sla_calendar_zone(const struct sla_calendar *cal);
/* True when t is business time. */
int sla_calendar_is_open(const struct sla_calendar *cal, time_t t);
/* The local date of t in the calendar's zone, as days since 1970-01-01
 * (for counting by day or week in the zone the team works in). */
long sla_calendar_day(const struct sla_calendar *cal, time_t t);

/* Exactly one of minutes, days is non-zero: "90m"/"2h" -> minutes,
 * "2d" -> days. */
struct sla_span {
	long minutes;
	long days;
};

/* Parses "90m", "4h", "2d".  0, or -1 and *error_r such as
 * "\"4x\": expected a number and a unit m, h or d, like 90m, 4h or 2d". */
int sla_span_parse(const char *s, struct sla_span *span_r, char **error_r);
/* Writes a span back as text ("90m", "4h", "2d") into out (size n). */
void sla_span_format(struct sla_span span, char *out, size_t n);

struct sla_target {
	struct sla_span first_response;
	struct sla_span resolution;
};

/* Parses "1h 8h" (first response, resolution).  0, or -1 and *error_r,
 * e.g. "resolution: \"8x\": expected ...". */
int sla_target_parse(const char *s, struct sla_target *t_r, char **error_r);

/*
 * Holds the calendar's time zone as the process's (TZ) until released,
 * so that the calendar calls in between switch no zone: a switch costs
 * a setenv, a tzset and a stat of the zone file, twice.  Between the
 * two, nothing else may use local time.
 */
struct sla_zone_hold;
struct sla_zone_hold *sla_zone_hold(const struct sla_calendar *cal);
void sla_zone_release(struct sla_zone_hold **hp);

/* The deadline: start + span in business time. */
time_t sla_add(const struct sla_calendar *cal, time_t start,
	       struct sla_span span);
/* start + seconds of business time (0 seconds: the next business instant
 * at or after start). */
time_t sla_add_seconds(const struct sla_calendar *cal, time_t start,
		       long seconds);
/* Business seconds in [a, b); 0 when b <= a. */
long sla_business_seconds(const struct sla_calendar *cal, time_t a, time_t b);
/* The moment at which percent (0-100) of the span from start has elapsed,
 * in business time: the warning time before a breach. */
time_t sla_fraction(const struct sla_calendar *cal, time_t start,
		    struct sla_span span, int percent);
/* A deadline moved later by the business time between pause_start and
 * pause_end (unchanged when that is none). */
time_t sla_extend(const struct sla_calendar *cal, time_t deadline,
		  time_t pause_start, time_t pause_end);
/*
 * A deadline in words, in the calendar's zone, relative to now, for
 * customers: "today by 4 pm", "tomorrow by 10:30 am", "by Monday 4 pm"
 * (within 6 days), "by Tuesday 1 December, 4 pm" (further, or past; the
 * year is added when it differs from now's).  Writes into out (size n).
 */
void sla_format_deadline(const struct sla_calendar *cal, time_t deadline,
			 time_t now, char *out, size_t n);

/* Quiet hours: a daily local window in which escalations wait. */
struct sla_quiet {
	int active;  /* 0: no quiet hours */
	int start;   /* seconds after local midnight */
	int end;     /* seconds after local midnight; < start: wraps midnight */
};

/* Parses "22:00-07:00" (may wrap midnight) or "" (none).  0, or -1 and
 * *error_r such as "\"22-07\": expected HH:MM-HH:MM". */
int sla_quiet_parse(const char *s, struct sla_quiet *q_r, char **error_r);
/* The first instant at or after t outside quiet hours (local to cal). */
time_t sla_quiet_next(const struct sla_calendar *cal,
		      const struct sla_quiet *q, time_t t);

/* The whole [sla] section. */
struct sla_policy {
	struct sla_calendar *cal;                 /* owned */
	struct sla_target target[PRIORITY_COUNT]; /* by enum priority */
	int warn_percent;                         /* 0: no warning */
	struct sla_quiet quiet;
	int question_clock;                       /* 0: [sla] question = off */
	struct sla_span question;                 /* a question's first response */
};

/* The [sla] settings as written (redress.conf(5)): text for each, NULL
 * read as "". */
struct sla_settings {
	const char *timezone, *hours, *holidays;
	const char *target[PRIORITY_COUNT];       /* "1h 8h": by enum priority */
	long warn_percent;
	const char *quiet_hours;
	const char *question;                     /* a span, or "off" */
};

/*
 * Builds the policy from its settings: 0 and *policy_r (free with
 * sla_policy_free), or -1 with *key_r naming the setting at fault (static:
 * "hours", "high", ... -- the key of [sla] in redress.conf) and *error_r
 * why, e.g. "\"4x 2d\": first response: ...".
 */
int sla_policy_build(const struct sla_settings *set, struct sla_policy **policy_r,
		     const char **key_r, char **error_r);
/* NULL-safe; sets *p to NULL. */
void sla_policy_free(struct sla_policy **p);

#endif
