/*
 * t_sla - business time: deadlines across DST, weekends and holidays,
 * business seconds, warning times, pauses, deadlines in words, quiet
 * hours, and every parser error.
 *
 * Every expected value was worked out by hand and checked with GNU date,
 * e.g. date -u -d 'TZ="Europe/London" 2026-03-30 09:30' +%FT%TZ.
 * 2026 DST: Europe/London 29 March and 25 October at 01:00Z;
 * America/New_York 8 March at 07:00Z and 1 November at 06:00Z.
 * 2026-11-20, 2026-03-27, 2026-10-23, 2026-12-25 are Fridays.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "config/config.h"
#include "policy/sla.h"
#include "tap.h"
#include "base/xmem.h"

#define LON "Europe/London"
#define NYC "America/New_York"
#define WEEK "mon-fri 09:00-17:00"

static time_t
iso(const char *s)
{
	time_t t = 0;

	if (clock_parse_iso8601(s, &t) < 0) {
		diag("bad time in test table: %s", s);
		abort();
	}
	return t;
}

static const char *
fmt(time_t t)
{
	static char out[4][CLOCK_ISO_LEN];
	static int i;

	i = (i + 1) % 4;
	clock_format_iso8601(t, out[i]);
	return out[i];
}

static struct sla_calendar *
cal_or_die(const char *zone, const char *hours, const char *holidays)
{
	struct sla_calendar *cal = NULL;
	char *error = NULL;

	if (sla_calendar_new(zone, hours, holidays, &cal, &error) < 0) {
		diag("calendar %s / %s / %s: %s", zone, hours, holidays, error);
		abort();
	}
	return cal;
}

static struct sla_span
span_or_die(const char *s)
{
	struct sla_span span;
	char *error = NULL;

	if (sla_span_parse(s, &span, &error) < 0) {
		diag("span %s: %s", s, error);
		abort();
	}
	return span;
}

/* ---- deadlines ------------------------------------------------------ */

static const struct add_row {
	const char *zone, *hours, *holidays, *start, *span, *want, *what;
} add_rows[] = {
	/* Weekends. */
	{ LON, WEEK, "", "2026-11-20T16:30Z", "1d", "2026-11-23T16:30:00Z", "1d from Friday 16:30 is Monday 16:30" },
	{ LON, WEEK, "", "2026-11-20T16:30Z", "1h", "2026-11-23T09:30:00Z", "1h from Friday 16:30 is Monday 09:30" },
	{ LON, WEEK, "", "2026-11-20T16:30Z", "30m", "2026-11-20T17:00:00Z", "a deadline may fall on the closing time" },
	{ LON, WEEK, "", "2026-11-20T16:30Z", "31m", "2026-11-23T09:01:00Z", "one minute past closing rolls over" },
	{ LON, WEEK, "", "2026-11-20T16:30Z", "2d", "2026-11-24T16:30:00Z", "2d from Friday 16:30 is Tuesday 16:30" },
	{ LON, WEEK, "", "2026-11-20T16:30Z", "5d", "2026-11-27T16:30:00Z", "5d is a working week" },
	{ LON, WEEK, "", "2026-11-20T16:30Z", "10d", "2026-12-04T16:30:00Z", "10d is two working weeks" },
	{ LON, WEEK, "", "2026-11-20T16:30Z", "80h", "2026-12-04T16:30:00Z", "80h is ten 8-hour days" },
	{ LON, WEEK, "", "2026-11-20T17:00Z", "1d", "2026-11-24T09:00:00Z", "a start at closing counts from Monday's opening" },
	/* Minutes and hours within a day. */
	{ LON, WEEK, "", "2026-11-23T10:00Z", "90m", "2026-11-23T11:30:00Z", "90m inside one day" },
	{ LON, WEEK, "", "2026-11-23T16:45Z", "45m", "2026-11-24T09:30:00Z", "45m at 16:45 ends 09:30 next day" },
	{ LON, WEEK, "", "2026-11-23T10:00:30Z", "1m", "2026-11-23T10:01:30Z", "seconds are kept" },
	{ LON, WEEK, "", "2026-11-23T07:00Z", "8h", "2026-11-23T17:00:00Z", "a start before opening counts from 09:00" },
	/* Start at 23:00 on Sunday. */
	{ LON, WEEK, "", "2026-11-22T23:00Z", "4h", "2026-11-23T13:00:00Z", "4h from Sunday 23:00" },
	{ LON, WEEK, "", "2026-11-22T23:00Z", "1h", "2026-11-23T10:00:00Z", "1h from Sunday 23:00" },
	{ LON, WEEK, "", "2026-11-22T23:00Z", "1d", "2026-11-24T09:00:00Z", "1d from Sunday 23:00 counts from Monday 09:00" },
	{ LON, WEEK, "", "2026-06-14T23:00+01:00", "1h", "2026-06-15T09:00:00Z", "1h from Sunday 23:00 BST is Monday 10:00 BST" },
	/* DST, London: spring forward on Sunday 29 March 2026. */
	{ LON, WEEK, "", "2026-03-27T16:30Z", "1h", "2026-03-30T08:30:00Z", "spring forward: Friday 16:30 GMT + 1h is Monday 09:30 BST" },
	{ LON, WEEK, "", "2026-03-27T16:30Z", "1d", "2026-03-30T15:30:00Z", "spring forward: + 1d is Monday 16:30 BST" },
	{ LON, WEEK, "", "2026-03-27T16:00Z", "2h", "2026-03-30T09:00:00Z", "spring forward: 2h from Friday 16:00 is Monday 10:00 BST" },
	{ LON, WEEK, "", "2026-03-27T09:00Z", "16h", "2026-03-30T16:00:00Z", "spring forward: 16h from Friday 09:00 GMT is Monday 17:00 BST" },
	/* DST, London: fall back on Sunday 25 October 2026. */
	{ LON, WEEK, "", "2026-10-23T16:30+01:00", "1h", "2026-10-26T09:30:00Z", "fall back: Friday 16:30 BST + 1h is Monday 09:30 GMT" },
	{ LON, WEEK, "", "2026-10-23T15:30Z", "1d", "2026-10-26T16:30:00Z", "fall back: + 1d is Monday 16:30 GMT" },
	/* DST, New York: 8 March and 1 November 2026. */
	{ NYC, WEEK, "", "2026-03-06T16:30-05:00", "1h", "2026-03-09T13:30:00Z", "New York spring: Friday 16:30 EST + 1h is Monday 09:30 EDT" },
	{ NYC, WEEK, "", "2026-03-06T21:30Z", "1d", "2026-03-09T20:30:00Z", "New York spring: + 1d is Monday 16:30 EDT" },
	{ NYC, WEEK, "", "2026-10-30T16:30-04:00", "1h", "2026-11-02T14:30:00Z", "New York fall: Friday 16:30 EDT + 1h is Monday 09:30 EST" },
	{ NYC, WEEK, "", "2026-10-30T20:30Z", "1d", "2026-11-02T21:30:00Z", "New York fall: + 1d is Monday 16:30 EST" },
	/* An opening inside the gap moves to its end; an ambiguous one is the earlier. */
	{ NYC, "sun 02:30-05:00", "", "2026-03-08T05:00Z", "1h", "2026-03-08T08:00:00Z", "opening 02:30 in the gap opens at 03:00 EDT" },
	{ NYC, "sun 01:00-03:00", "", "2026-11-01T04:00Z", "150m", "2026-11-01T07:30:00Z", "opening 01:00 twice: the earlier, EDT" },
	/* Holidays: Christmas on a Friday, Boxing Day on the Saturday. */
	{ LON, WEEK, "2026-12-25 2026-12-26", "2026-12-24T16:30Z", "1h", "2026-12-28T09:30:00Z", "holiday Friday: Thursday 16:30 + 1h is Monday 09:30" },
	{ LON, WEEK, "2026-12-25 2026-12-26", "2026-12-24T16:30Z", "1d", "2026-12-28T16:30:00Z", "holiday Friday: Thursday 16:30 + 1d is Monday 16:30" },
	{ LON, WEEK, "2026-12-25,2026-12-26", "2026-12-25T11:00Z", "2h", "2026-12-28T11:00:00Z", "a start inside a holiday counts from Monday 09:00" },
	{ LON, WEEK, "2026-12-25, 2026-12-26", "2026-12-25T11:00Z", "1d", "2026-12-29T09:00:00Z", "1d from inside a holiday is Tuesday 09:00" },
	{ LON, WEEK, "2026-12-25 2026-12-28", "2026-12-24T16:30Z", "1h", "2026-12-29T09:30:00Z", "holidays on Friday and Monday" },
	/* Several groups. */
	{ LON, "mon-thu 09:00-17:00, fri 09:00-15:00", "", "2026-11-20T14:30Z", "1h", "2026-11-23T09:30:00Z", "short Friday: 14:30 + 1h is Monday 09:30" },
	{ LON, "mon-thu 09:00-17:00, fri 09:00-15:00", "", "2026-11-19T16:30Z", "1d", "2026-11-20T15:00:00Z", "Thursday 16:30 + 1d is clamped to Friday's closing" },
	{ LON, "mon-thu 09:00-17:00, fri 09:00-15:00", "", "2026-11-19T16:00Z", "2h", "2026-11-20T10:00:00Z", "Thursday 16:00 + 2h" },
	{ LON, "mon-fri 09:00-17:00, sat 10:00-14:00", "", "2026-11-20T16:30Z", "1h", "2026-11-21T10:30:00Z", "Saturday hours: Friday 16:30 + 1h" },
	{ LON, "mon-fri 09:00-17:00, sat 10:00-14:00", "", "2026-11-20T16:30Z", "1d", "2026-11-21T14:00:00Z", "Friday 16:30 + 1d is clamped to Saturday 14:00" },
	{ LON, "mon-fri 09:00-17:00, sat 10:00-14:00", "", "2026-11-21T13:00Z", "2h", "2026-11-23T10:00:00Z", "Saturday 13:00 + 2h" },
	{ LON, "mon-fri 09:00-17:00, sat 10:00-14:00", "", "2026-11-21T10:30Z", "1d", "2026-11-23T09:30:00Z", "Saturday 10:30 (30 min in) + 1d is Monday 09:30" },
	{ LON, "mon-fri 09:00-12:30 13:30-17:00", "", "2026-11-23T12:00Z", "1h", "2026-11-23T14:00:00Z", "lunch break is skipped" },
	{ LON, "mon-fri 09:00-12:30 13:30-17:00", "", "2026-11-23T13:00Z", "1d", "2026-11-24T13:30:00Z", "a start at lunch counts from 13:30" },
	{ LON, "mon-fri 09:00-12:30, mon-fri 12:00-17:00", "", "2026-11-23T12:00Z", "1h", "2026-11-23T13:00:00Z", "overlapping groups merge" },
	{ LON, "fri-mon 10:00-12:00", "", "2026-11-23T11:30Z", "1h", "2026-11-27T10:30:00Z", "a wrapping day range fri-mon" },
	/* 24x7: hours are real hours, days keep the wall clock. */
	{ LON, "24x7", "", "2026-03-28T12:00Z", "24h", "2026-03-29T12:00:00Z", "24x7: 24h across spring forward" },
	{ LON, "24x7", "", "2026-03-28T12:00Z", "1d", "2026-03-29T11:00:00Z", "24x7: 1d across spring forward is 12:00 BST" },
	{ LON, "24x7", "", "2026-10-24T11:00Z", "1d", "2026-10-25T12:00:00Z", "24x7: 1d across fall back is 12:00 GMT" },
	{ NYC, "24x7", "", "2026-03-07T07:30Z", "1d", "2026-03-08T07:00:00Z", "24x7: 1d to 02:30 in the gap is 03:00 EDT" },
	{ LON, "24x7", "2026-12-25", "2026-12-24T12:00Z", "1d", "2026-12-26T12:00:00Z", "24x7 with a holiday" },
	{ "UTC", "24x7", "", "2026-11-20T16:30Z", "90m", "2026-11-20T18:00:00Z", "UTC 24x7 is plain addition" },
	/* A calendar with almost no business time is capped, not looped. */
	{ "UTC", "sun 09:00-09:01", "", "2026-01-01T00:00Z", "8760h", "2036-01-09T00:00:00Z", "capped after SLA_MAX_DAYS days" },
};

static void
test_add(void)
{
	for (size_t i = 0; i < sizeof(add_rows) / sizeof(add_rows[0]); i++) {
		const struct add_row *r = &add_rows[i];
		struct sla_calendar *cal = cal_or_die(r->zone, r->hours, r->holidays);
		time_t got = sla_add(cal, iso(r->start), span_or_die(r->span));

		is_str(fmt(got), r->want, "add: %s", r->what);
		sla_calendar_free(&cal);
		ok(cal == NULL, "add: free NULLs the pointer (%zu)", i);
	}
}

/* ---- business seconds, fraction, extend ----------------------------- */

static const struct secs_row {
	const char *zone, *hours, *holidays, *a, *b;
	long want;
	const char *what;
} secs_rows[] = {
	{ LON, WEEK, "", "2026-11-23T00:00Z", "2026-11-30T00:00Z", 5 * 8 * 3600L, "a whole week is 40h" },
	{ LON, WEEK, "", "2026-11-23T10:00Z", "2026-11-23T10:00Z", 0, "empty range" },
	{ LON, WEEK, "", "2026-11-23T11:00Z", "2026-11-23T10:00Z", 0, "b before a" },
	{ LON, WEEK, "", "2026-11-21T00:00Z", "2026-11-23T00:00Z", 0, "a weekend" },
	{ LON, WEEK, "", "2026-03-27T16:00Z", "2026-03-30T10:00Z", 3 * 3600L, "over the spring-forward weekend" },
	{ LON, WEEK, "", "2026-10-23T15:00Z", "2026-10-26T10:00Z", 2 * 3600L, "over the fall-back weekend" },
	{ LON, WEEK, "2026-12-25", "2026-12-24T16:00Z", "2026-12-28T10:00Z", 2 * 3600L, "over a holiday Friday" },
	{ LON, WEEK, "", "2026-11-23T16:59:30Z", "2026-11-24T09:00:30Z", 60, "seconds either side of the night" },
	{ NYC, "sun 01:00-03:00", "", "2026-11-01T04:00Z", "2026-11-01T12:00Z", 3 * 3600L, "01:00 EDT to 03:00 EST is three hours" },
	{ LON, "24x7", "", "2026-03-29T00:00Z", "2026-03-30T00:00Z", 24 * 3600L, "24x7 counts real time" },
};

static void
test_business_seconds(void)
{
	for (size_t i = 0; i < sizeof(secs_rows) / sizeof(secs_rows[0]); i++) {
		const struct secs_row *r = &secs_rows[i];
		struct sla_calendar *cal = cal_or_die(r->zone, r->hours, r->holidays);

		is_int(sla_business_seconds(cal, iso(r->a), iso(r->b)), r->want,
		       "business seconds: %s", r->what);
		sla_calendar_free(&cal);
	}
}

static const struct fraction_row {
	const char *zone, *hours, *start, *span;
	int percent;
	const char *want, *what;
} fraction_rows[] = {
	{ LON, WEEK, "2026-11-23T09:00Z", "1h", 80, "2026-11-23T09:48:00Z", "80% of 1h" },
	{ LON, WEEK, "2026-11-23T09:00Z", "8h", 80, "2026-11-23T15:24:00Z", "80% of 8h" },
	{ LON, WEEK, "2026-11-20T16:30Z", "1d", 80, "2026-11-23T14:54:00Z", "80% of 1d from Friday 16:30 (8h of business time)" },
	{ LON, WEEK, "2026-11-20T16:30Z", "1h", 80, "2026-11-23T09:18:00Z", "80% of 1h from Friday 16:30" },
	{ LON, WEEK, "2026-11-20T16:30Z", "1d", 100, "2026-11-23T16:30:00Z", "100% is the deadline" },
	{ LON, WEEK, "2026-11-22T23:00Z", "1h", 0, "2026-11-23T09:00:00Z", "0% is the business start" },
	{ LON, WEEK, "2026-03-27T16:30Z", "1h", 50, "2026-03-27T17:00:00Z", "50% of 1h from 16:30 is closing" },
	{ LON, WEEK, "2026-03-27T16:30Z", "2h", 50, "2026-03-30T08:30:00Z", "50% of 2h over spring forward is Monday 09:30 BST" },
	{ LON, WEEK, "2026-03-27T16:30Z", "2h", 75, "2026-03-30T09:00:00Z", "75% of 2h over spring forward is Monday 10:00 BST" },
};

static void
test_fraction(void)
{
	for (size_t i = 0; i < sizeof(fraction_rows) / sizeof(fraction_rows[0]); i++) {
		const struct fraction_row *r = &fraction_rows[i];
		struct sla_calendar *cal = cal_or_die(r->zone, r->hours, "");
		time_t got = sla_fraction(cal, iso(r->start), span_or_die(r->span),
					  r->percent);

		is_str(fmt(got), r->want, "fraction: %s", r->what);
		sla_calendar_free(&cal);
	}
}

static const struct extend_row {
	const char *deadline, *pause_start, *pause_end, *want, *what;
} extend_rows[] = {
	{ "2026-11-23T16:30Z", "2026-11-23T16:00Z", "2026-11-24T10:00Z", "2026-11-24T10:30:00Z", "a 2h business pause over a night" },
	{ "2026-11-23T16:30Z", "2026-11-21T08:00Z", "2026-11-22T20:00Z", "2026-11-23T16:30:00Z", "a weekend pause moves nothing" },
	{ "2026-11-20T17:00Z", "2026-11-20T10:00Z", "2026-11-20T11:00Z", "2026-11-23T10:00:00Z", "a deadline at Friday's closing moves into Monday" },
	{ "2026-11-23T12:00Z", "2026-11-23T13:00Z", "2026-11-23T12:00Z", "2026-11-23T12:00:00Z", "a reversed pause moves nothing" },
};

static void
test_extend(void)
{
	struct sla_calendar *cal = cal_or_die(LON, WEEK, "");

	for (size_t i = 0; i < sizeof(extend_rows) / sizeof(extend_rows[0]); i++) {
		const struct extend_row *r = &extend_rows[i];
		time_t got = sla_extend(cal, iso(r->deadline), iso(r->pause_start),
					iso(r->pause_end));

		is_str(fmt(got), r->want, "extend: %s", r->what);
	}
	sla_calendar_free(&cal);
}

/* ---- deadlines in words --------------------------------------------- */

static const struct words_row {
	const char *zone, *deadline, *now, *want;
} words_rows[] = {
	{ LON, "2026-11-20T16:00Z", "2026-11-20T10:00Z", "today by 4 pm" },
	{ LON, "2026-11-21T10:30Z", "2026-11-20T10:00Z", "tomorrow by 10:30 am" },
	{ LON, "2026-11-23T16:00Z", "2026-11-20T10:00Z", "by Monday 4 pm" },
	{ LON, "2026-11-26T12:00Z", "2026-11-20T10:00Z", "by Thursday 12 pm" },
	{ LON, "2026-11-27T09:15Z", "2026-11-20T10:00Z", "by Friday 27 November, 9:15 am" },
	{ LON, "2026-12-01T16:00Z", "2026-11-20T10:00Z", "by Tuesday 1 December, 4 pm" },
	{ LON, "2027-01-04T09:00Z", "2026-11-20T10:00Z", "by Monday 4 January 2027, 9 am" },
	{ LON, "2026-11-19T16:00Z", "2026-11-20T10:00Z", "by Thursday 19 November, 4 pm" },
	{ LON, "2026-06-01T15:00Z", "2026-06-01T08:00Z", "today by 4 pm" },
	{ LON, "2026-06-01T23:30Z", "2026-06-01T22:30Z", "tomorrow by 12:30 am" },
	{ NYC, "2026-11-23T21:00Z", "2026-11-23T14:00Z", "today by 4 pm" },
	{ NYC, "2026-11-24T01:00Z", "2026-11-23T14:00Z", "today by 8 pm" },
};

static void
test_words(void)
{
	for (size_t i = 0; i < sizeof(words_rows) / sizeof(words_rows[0]); i++) {
		const struct words_row *r = &words_rows[i];
		struct sla_calendar *cal = cal_or_die(r->zone, WEEK, "");
		char out[64];

		sla_format_deadline(cal, iso(r->deadline), iso(r->now), out,
				    sizeof(out));
		is_str(out, r->want, "words: %s at %s", r->deadline, r->now);
		sla_calendar_free(&cal);
	}
}

/* ---- quiet hours ---------------------------------------------------- */

static const struct quiet_row {
	const char *quiet, *t, *want, *what;
} quiet_rows[] = {
	{ "22:00-07:00", "2026-11-20T23:00Z", "2026-11-21T07:00:00Z", "23:00 waits for 07:00 next day" },
	{ "22:00-07:00", "2026-11-21T06:00Z", "2026-11-21T07:00:00Z", "06:00 waits for 07:00" },
	{ "22:00-07:00", "2026-11-21T12:00Z", "2026-11-21T12:00:00Z", "noon is not quiet" },
	{ "22:00-07:00", "2026-11-20T22:00Z", "2026-11-21T07:00:00Z", "22:00 is quiet" },
	{ "22:00-07:00", "2026-11-21T07:00Z", "2026-11-21T07:00:00Z", "07:00 is not quiet" },
	{ "22:00-07:00", "2026-06-01T21:30Z", "2026-06-02T06:00:00Z", "22:30 BST waits for 07:00 BST" },
	{ "22:00-07:00", "2026-10-24T22:00Z", "2026-10-25T07:00:00Z", "quiet over fall back ends 07:00 GMT" },
	{ "22:00-07:00", "2026-03-28T23:00Z", "2026-03-29T06:00:00Z", "quiet over spring forward ends 07:00 BST" },
	{ "12:00-13:00", "2026-11-20T12:30Z", "2026-11-20T13:00:00Z", "a window that does not wrap" },
	{ "12:00-13:00", "2026-11-20T13:30Z", "2026-11-20T13:30:00Z", "after a window that does not wrap" },
	{ "20:00-24:00", "2026-11-20T21:00Z", "2026-11-21T00:00:00Z", "until midnight" },
	{ "", "2026-11-20T23:00Z", "2026-11-20T23:00:00Z", "no quiet hours" },
};

static void
test_quiet(void)
{
	struct sla_calendar *cal = cal_or_die(LON, WEEK, "");

	for (size_t i = 0; i < sizeof(quiet_rows) / sizeof(quiet_rows[0]); i++) {
		const struct quiet_row *r = &quiet_rows[i];
		struct sla_quiet q;
		char *error = NULL;

		if (!ok(sla_quiet_parse(r->quiet, &q, &error) == 0,
			"quiet: parse \"%s\"", r->quiet)) {
			diag("%s", error);
			free(error);
			continue;
		}
		is_str(fmt(sla_quiet_next(cal, &q, iso(r->t))), r->want,
		       "quiet: %s", r->what);
	}
	sla_calendar_free(&cal);
}

/* ---- parsers -------------------------------------------------------- */

static void
test_span_and_target(void)
{
	static const struct {
		const char *s;
		long minutes, days;
	} good[] = {
		{ "90m", 90, 0 }, { "2h", 120, 0 }, { "2d", 0, 2 }, { "1H", 60, 0 },
		{ "8760h", 525600, 0 }, { "525600m", 525600, 0 }, { "365d", 0, 365 },
	};
	static const struct {
		const char *s, *want;
	} bad[] = {
		{ "4x", "\"4x\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "", "\"\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "h", "\"h\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "-1h", "\"-1h\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "1.5h", "\"1.5h\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "1d4h", "\"1d4h\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "12345678901h", "\"12345678901h\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "0h", "\"0h\": must be more than zero" },
		{ "8761h", "\"8761h\": too long (at most 8760h)" },
		{ "525601m", "\"525601m\": too long (at most 525600m)" },
		{ "366d", "\"366d\": too long (at most 365d)" },
	};
	static const struct {
		const char *s, *want;
	} bad_target[] = {
		{ "1h", "\"1h\": expected two spans, first response and resolution, like \"1h 8h\"" },
		{ "", "\"\": expected two spans, first response and resolution, like \"1h 8h\"" },
		{ "1h 2h 3h", "\"1h 2h 3h\": expected two spans, first response and resolution, like \"1h 8h\"" },
		{ "4x 2d", "first response: \"4x\": expected a number and a unit m, h or d, like 90m, 4h or 2d" },
		{ "4h 0d", "resolution: \"0d\": must be more than zero" },
	};
	struct sla_span span;
	struct sla_target t;
	char *error, out[16];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		error = NULL;
		ok(sla_span_parse(good[i].s, &span, &error) == 0, "span: %s parses",
		   good[i].s);
		is_int(span.minutes, good[i].minutes, "span: %s minutes", good[i].s);
		is_int(span.days, good[i].days, "span: %s days", good[i].s);
		free(error);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		is_int(sla_span_parse(bad[i].s, &span, &error), -1, "span: \"%s\" fails",
		       bad[i].s);
		is_str(error, bad[i].want, "span: error for \"%s\"", bad[i].s);
		free(error);
	}
	error = NULL;
	ok(sla_target_parse("  1h   8h ", &t, &error) == 0, "target: \"1h 8h\" parses");
	is_int(t.first_response.minutes, 60, "target: first response 1h");
	is_int(t.resolution.minutes, 480, "target: resolution 8h");
	ok(sla_target_parse("1d 5d", &t, &error) == 0, "target: \"1d 5d\" parses");
	is_int(t.first_response.days, 1, "target: first response 1d");
	is_int(t.resolution.days, 5, "target: resolution 5d");
	free(error);
	for (size_t i = 0; i < sizeof(bad_target) / sizeof(bad_target[0]); i++) {
		error = NULL;
		is_int(sla_target_parse(bad_target[i].s, &t, &error), -1,
		       "target: \"%s\" fails", bad_target[i].s);
		is_str(error, bad_target[i].want, "target: error for \"%s\"",
		       bad_target[i].s);
		free(error);
	}
	sla_span_format(span_or_die("90m"), out, sizeof(out));
	is_str(out, "90m", "span format 90m");
	sla_span_format(span_or_die("120m"), out, sizeof(out));
	is_str(out, "2h", "span format 120m as 2h");
	sla_span_format(span_or_die("3d"), out, sizeof(out));
	is_str(out, "3d", "span format 3d");
}

static void
test_quiet_errors(void)
{
	static const struct {
		const char *s, *want;
	} bad[] = {
		{ "22-07", "\"22-07\": expected HH:MM-HH:MM, like 22:00-07:00, or nothing" },
		{ "22:00", "\"22:00\": expected HH:MM-HH:MM, like 22:00-07:00, or nothing" },
		{ "22:00-07:60", "\"22:00-07:60\": \"07:60\" is not a time of day" },
		{ "25:00-07:00", "\"25:00-07:00\": \"25:00\" is not a time of day" },
		{ "22:00-22:00", "\"22:00-22:00\": quiet all day or never; leave it empty for no quiet hours" },
		{ "00:00-24:00", "\"00:00-24:00\": quiet all day or never; leave it empty for no quiet hours" },
	};
	struct sla_quiet q;
	char *error;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		is_int(sla_quiet_parse(bad[i].s, &q, &error), -1, "quiet: \"%s\" fails",
		       bad[i].s);
		is_str(error, bad[i].want, "quiet: error for \"%s\"", bad[i].s);
		free(error);
	}
	error = NULL;
	ok(sla_quiet_parse(" 22:00-07:00 ", &q, &error) == 0 && q.active &&
		   q.start == 22 * 3600 && q.end == 7 * 3600,
	   "quiet: 22:00-07:00 is 79200..25200");
	ok(sla_quiet_parse("  ", &q, &error) == 0 && !q.active,
	   "quiet: blank is none");
	free(error);
}

static void
test_calendar_errors(void)
{
	static const struct {
		const char *zone, *hours, *holidays, *want;
	} bad[] = {
		{ "Mars/Base", WEEK, "", "timezone: \"Mars/Base\": unknown time zone (not in /usr/share/zoneinfo)" },
		{ "Europe", WEEK, "", "timezone: \"Europe\": unknown time zone (not in /usr/share/zoneinfo)" },
		{ "zone.tab", WEEK, "", "timezone: \"zone.tab\": not a time zone name" },
		{ "iso3166.tab", WEEK, "", "timezone: \"iso3166.tab\": not a time zone name" },
		{ "", WEEK, "", "timezone: empty: expected a zone name like Europe/London" },
		{ "../etc/passwd", WEEK, "", "timezone: \"../etc/passwd\": not a time zone name" },
		{ "/etc/localtime", WEEK, "", "timezone: \"/etc/localtime\": not a time zone name" },
		{ LON, "mon-fri 9-17", "", "hours: \"mon-fri 9-17\": expected HH:MM-HH:MM" },
		{ LON, "", "", "hours: empty: there must be some business hours" },
		{ LON, "   ", "", "hours: empty: there must be some business hours" },
		{ LON, "mon-fri", "", "hours: \"mon-fri\": expected HH:MM-HH:MM" },
		{ LON, "xyz 09:00-17:00", "", "hours: \"xyz 09:00-17:00\": unknown day \"xyz\" (expected mon, tue, wed, thu, fri, sat or sun, or a range like mon-fri)" },
		{ LON, "mon-fry 09:00-17:00", "", "hours: \"mon-fry 09:00-17:00\": unknown day \"mon-fry\" (expected mon, tue, wed, thu, fri, sat or sun, or a range like mon-fri)" },
		{ LON, "09:00-17:00", "", "hours: \"09:00-17:00\": unknown day \"09:00-17:00\" (expected mon, tue, wed, thu, fri, sat or sun, or a range like mon-fri)" },
		{ LON, "mon-fri 17:00-09:00", "", "hours: \"mon-fri 17:00-09:00\": opening 17:00 is not before closing 09:00" },
		{ LON, "mon-fri 09:00-09:00", "", "hours: \"mon-fri 09:00-09:00\": opening 09:00 is not before closing 09:00" },
		{ LON, "mon-fri 09:00-25:00", "", "hours: \"mon-fri 09:00-25:00\": \"25:00\" is not a time of day" },
		{ LON, "mon-fri 09:75-17:00", "", "hours: \"mon-fri 09:75-17:00\": \"09:75\" is not a time of day" },
		{ LON, "mon-fri 09:00-17:00,", "", "hours: \"mon-fri 09:00-17:00,\": empty group between commas" },
		{ LON, "mon 09:00-12:00,, tue 09:00-12:00", "", "hours: \"mon 09:00-12:00,, tue 09:00-12:00\": empty group between commas" },
		{ LON, "24x7, mon 09:00-10:00", "", "hours: \"24x7\": 24x7 stands alone, not in a list" },
		{ LON, WEEK, "2026-13-01", "holidays: \"2026-13-01\": no such date" },
		{ LON, WEEK, "2026-02-29", "holidays: \"2026-02-29\": no such date" },
		{ LON, WEEK, "2026-12-25 25/12/2026", "holidays: \"25/12/2026\": expected a date YYYY-MM-DD" },
		{ LON, WEEK, "2026-12-25 2026-1-2", "holidays: \"2026-1-2\": expected a date YYYY-MM-DD" },
		{ LON, WEEK, "2026-12-2a", "holidays: \"2026-12-2a\": expected a date YYYY-MM-DD" },
		{ LON, WEEK, "+026-12-25", "holidays: \"+026-12-25\": expected a date YYYY-MM-DD" },
		{ LON, WEEK, "christmas", "holidays: \"christmas\": expected a date YYYY-MM-DD" },
	};
	struct sla_calendar *cal;
	char *error, *hours, *days;
	size_t len = 0, cap = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cal = NULL;
		error = NULL;
		is_int(sla_calendar_new(bad[i].zone, bad[i].hours, bad[i].holidays,
					&cal, &error), -1, "calendar fails: %s", bad[i].want);
		ok(cal == NULL, "calendar: no calendar on error");
		is_str(error, bad[i].want, "calendar error");
		free(error);
	}
	/* 17 ranges on one day. */
	hours = xstrdup("mon");
	for (int i = 0; i < 17; i++) {
		char *next = xasprintf("%s %02d:00-%02d:30", hours, i, i);

		free(hours);
		hours = next;
	}
	error = NULL;
	is_int(sla_calendar_new(LON, hours, "", &cal, &error), -1, "17 ranges fail");
	{
		char *want = xasprintf("hours: \"%s\": too many time ranges on mon (at most 16)", hours);

		is_str(error, want, "17 ranges: error");
		free(want);
	}
	free(error);
	free(hours);
	/* An overlong hours value. */
	hours = xmalloc(5000);
	memset(hours, ' ', 4999);
	hours[4999] = '\0';
	error = NULL;
	is_int(sla_calendar_new(LON, hours, "", &cal, &error), -1, "long hours fail");
	is_str(error, "hours: longer than 4096 characters", "long hours: error");
	free(error);
	free(hours);
	/* 1001 holidays. */
	days = NULL;
	for (int i = 0; i < 1001; i++) {
		char d[16];

		snprintf(d, sizeof(d), "%04d-01-01 ", 2000 + i);
		days = xgrow(days, &cap, len + 12, 1);
		memcpy(days + len, d, 12);
		len += 11;
	}
	error = NULL;
	is_int(sla_calendar_new(LON, WEEK, days, &cal, &error), -1, "1001 holidays fail");
	is_str(error, "holidays: more than 1000 dates", "1001 holidays: error");
	free(error);
	days[11 * 1000] = '\0';
	error = NULL;
	ok(sla_calendar_new(LON, WEEK, days, &cal, &error) == 0, "1000 holidays are fine");
	free(error);
	sla_calendar_free(&cal);
	free(days);
	sla_calendar_free(&cal);
	ok(cal == NULL, "free is NULL-safe");
}

/* ---- policy --------------------------------------------------------- */

/* Builds the policy from set; the error as config reports a default's:
 * "[sla] KEY: why". */
static int
policy_build(const struct sla_settings *set, struct sla_policy **p, char **error_r)
{
	const char *key = NULL;
	char *why = NULL;

	if (sla_policy_build(set, p, &key, &why) == 0)
		return 0;
	*error_r = xasprintf("[sla] %s: %s", key, why);
	free(why);
	return -1;
}

static void
test_policy(void)
{
	/* The embedded defaults of redress.conf(5). */
	struct sla_settings set = {
		.timezone = "UTC", .hours = "mon-fri 09:00-17:00", .holidays = "",
		.target = { "1h 8h", "4h 2d", "1d 5d", "2d 10d" },
		.warn_percent = 80, .quiet_hours = "", .question = "1d",
	};
	struct config *cfg = NULL;
	struct sla_policy *p = NULL;
	char *error = NULL, path[] = "/tmp/t_sla_XXXXXX";
	static const char conf[] =
		"[sla]\n"
		"timezone = Europe/London\n"
		"high = 4x 2d\n"
		"quiet_hours = 22:00-07:00\n";
	int fd;

	ok(policy_build(&set, &p, &error) == 0, "policy: defaults load");
	if (p != NULL) {
		is_str(sla_calendar_zone(p->cal), "UTC", "policy: default zone");
		is_int(p->target[PRIORITY_URGENT].first_response.minutes, 60, "policy: urgent 1h");
		is_int(p->target[PRIORITY_URGENT].resolution.minutes, 480, "policy: urgent 8h");
		is_int(p->target[PRIORITY_HIGH].first_response.minutes, 240, "policy: high 4h");
		is_int(p->target[PRIORITY_HIGH].resolution.days, 2, "policy: high 2d");
		is_int(p->target[PRIORITY_NORMAL].first_response.days, 1, "policy: normal 1d");
		is_int(p->target[PRIORITY_NORMAL].resolution.days, 5, "policy: normal 5d");
		is_int(p->target[PRIORITY_LOW].first_response.days, 2, "policy: low 2d");
		is_int(p->target[PRIORITY_LOW].resolution.days, 10, "policy: low 10d");
		is_int(p->warn_percent, 80, "policy: warn at 80%%");
		ok(!p->quiet.active, "policy: no quiet hours by default");
	}
	sla_policy_free(&p);
	ok(p == NULL, "policy: free NULLs the pointer");

	set.target[PRIORITY_HIGH] = "4x 2d";
	is_int(policy_build(&set, &p, &error), -1, "policy: bad high fails");
	is_str(error, "[sla] high: first response: \"4x\": expected a number and a unit m, h or d, like 90m, 4h or 2d",
	       "policy: error names the key");
	free(error);
	error = NULL;
	set.target[PRIORITY_HIGH] = "4h 2d";
	set.timezone = "Mars/Base";
	is_int(policy_build(&set, &p, &error), -1, "policy: bad zone fails");
	is_str(error, "[sla] timezone: \"Mars/Base\": unknown time zone (not in /usr/share/zoneinfo)",
	       "policy: zone error");
	free(error);
	error = NULL;
	set.timezone = LON;
	set.hours = "mon-fri 9-17";
	is_int(policy_build(&set, &p, &error), -1, "policy: bad hours fail");
	is_str(error, "[sla] hours: \"mon-fri 9-17\": expected HH:MM-HH:MM", "policy: hours error");
	free(error);
	error = NULL;
	set.hours = WEEK;
	set.holidays = "2026-12-32";
	is_int(policy_build(&set, &p, &error), -1, "policy: bad holiday fails");
	is_str(error, "[sla] holidays: \"2026-12-32\": no such date", "policy: holidays error");
	free(error);
	error = NULL;
	set.holidays = "";
	set.quiet_hours = "22-07";
	is_int(policy_build(&set, &p, &error), -1, "policy: bad quiet hours fail");
	is_str(error, "[sla] quiet_hours: \"22-07\": expected HH:MM-HH:MM, like 22:00-07:00, or nothing",
	       "policy: quiet hours error");
	free(error);
	error = NULL;
	set.quiet_hours = "22:00-07:00";
	set.warn_percent = 150;
	is_int(policy_build(&set, &p, &error), -1, "policy: bad warn_percent fails");
	is_str(error, "[sla] warn_percent: 150: expected 0 to 100", "policy: warn_percent error");
	free(error);
	error = NULL;
	set.warn_percent = 75;
	ok(policy_build(&set, &p, &error) == 0, "policy: fixed config loads");
	if (p != NULL) {
		is_int(p->warn_percent, 75, "policy: warn at 75%%");
		ok(p->quiet.active && p->quiet.start == 22 * 3600 && p->quiet.end == 7 * 3600,
		   "policy: quiet hours 22:00-07:00");
	}
	sla_policy_free(&p);

	/* A key set in a file: the configuration refuses it at load, with
	 * its file:line. */
	fd = mkstemp(path);
	if (fd < 0 || write(fd, conf, sizeof(conf) - 1) != (ssize_t)(sizeof(conf) - 1)) {
		ok(0, "policy: write a config file");
		return;
	}
	close(fd);
	error = NULL;
	{
		char *want = xasprintf("%s:3: [sla] high: first response: \"4x\": expected a number and a unit m, h or d, like 90m, 4h or 2d", path);

		is_int(config_load(path, &cfg, &error), -1, "policy: file config fails");
		is_str(error, want, "policy: error carries file:line");
		free(want);
		free(error);
		config_free(&cfg);
	}
	unlink(path);
}

/* ---- TZ is restored, calendars coexist ------------------------------ */

static void
test_tz_restored(void)
{
	struct sla_calendar *lon = cal_or_die(LON, WEEK, "");
	struct sla_calendar *nyc = cal_or_die(NYC, WEEK, "");
	time_t start = iso("2026-11-20T16:30Z");
	struct sla_span h1 = span_or_die("1h");

	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	is_str(fmt(sla_add(lon, start, h1)), "2026-11-23T09:30:00Z", "London with TZ=Asia/Tokyo");
	is_str(getenv("TZ"), "Asia/Tokyo", "TZ restored after a call");
	/* 16:30Z is 11:30 in New York: still open. */
	is_str(fmt(sla_add(nyc, start, h1)), "2026-11-20T17:30:00Z", "New York interleaved");
	is_str(fmt(sla_add(lon, start, h1)), "2026-11-23T09:30:00Z", "London again");
	unsetenv("TZ");
	tzset();
	ok(sla_calendar_is_open(nyc, start), "New York is open at 16:30Z");
	ok(!sla_calendar_is_open(lon, iso("2026-11-20T17:00Z")), "London is closed at 17:00");
	ok(sla_calendar_is_open(lon, iso("2026-11-20T16:59:59Z")), "London is open at 16:59:59");
	ok(getenv("TZ") == NULL, "unset TZ stays unset");
	/* Absurd instants come back unchanged instead of overflowing. */
	is_int(sla_add(lon, (time_t)1 << 60, h1), (time_t)1 << 60, "year 36 billion is left alone");
	is_int(sla_business_seconds(lon, 0, (time_t)1 << 60), 0, "absurd range counts nothing");
	sla_calendar_free(&lon);
	sla_calendar_free(&nyc);
}

/* ---- speed: reported, not judged (no timed tests) ----------------- */

static void
test_speed(void)
{
	struct sla_calendar *cal = cal_or_die(LON, WEEK, "2026-12-25 2026-12-26");
	struct sla_span d10 = span_or_die("10d"), h80 = span_or_die("80h");
	time_t start = iso("2026-11-20T16:30Z");
	struct timespec a, b;
	double ms;
	int n = 2000;
	long sum = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		sum += (long)sla_add(cal, start + i * 600, d10) % 7;
		sum += (long)sla_add(cal, start + i * 600, h80) % 7;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	diag("%d 10d + %d 80h deadlines in %.1f ms (%.1f us each; checksum %ld)", n, n,
	     ms, ms * 1e3 / (2 * n), sum);
	sla_calendar_free(&cal);
}

int
main(void)
{
	unsetenv("TZDIR");
	test_add();
	test_business_seconds();
	test_fraction();
	test_extend();
	test_words();
	test_quiet();
	test_span_and_target();
	test_quiet_errors();
	test_calendar_errors();
	test_policy();
	test_tz_restored();
	test_speed();
	return tap_exit();
}
