/*
 * sla_calendar - business time: the calendar and its arithmetic, part of
 * the sla module (sla.h has the model; sla.c reads the [sla] settings).
 *
 * Public: sla_calendar_new/free/zone/is_open, sla_add, sla_add_seconds,
 * sla_business_seconds, sla_fraction, sla_extend, sla_format_deadline,
 * sla_quiet_next.
 *
 * How it works: a day is a local calendar date, numbered as days since
 * 1970-01-01 (proleptic Gregorian), so date arithmetic never goes through
 * mktime.  The weekly hours give each weekday a sorted list of disjoint
 * [open, close) ranges in seconds after local midnight.  To turn a local
 * (day, seconds) into UTC we probe the zone's UTC offset around it with
 * localtime_r under the calendar's TZ and keep the offset that maps back
 * exactly (the earlier instant when two do, at fall-back); when none does,
 * the local time is in a spring-forward gap and a binary search finds the
 * first instant after the gap.  Walks go one day at a time, at most
 * SLA_MAX_DAYS days.
 *
 * Ownership: a calendar owns its zone name, TZ value and holiday list; a
 * policy owns its calendar.  Errors are allocated strings the caller frees.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/xmem.h"
#include "policy/sla.h"
#include "policy/sla_int.h"

#define SLA_MAX_RANGES 16      /* per weekday */
#define SLA_TZ_WINDOW 50400    /* 14 h: the largest UTC offset in use */

struct sla_range {
	int open;   /* seconds after local midnight */
	int close;  /* > open, at most 86400 */
};

struct sla_calendar {
	char *zone;                   /* owned: as configured */
	char *tz;                     /* owned: ":/usr/share/zoneinfo/ZONE" */
	struct sla_range ranges[7][SLA_MAX_RANGES]; /* [0] is Sunday */
	int n_ranges[7];
	long *holidays;               /* owned: sorted day numbers */
	size_t n_holidays;
};

static const char *const sla_day_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};
static const char *const sla_weekday_words[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const sla_month_words[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

/* ---- dates ---------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long
sla_days_from_civil(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* 0 = Sunday. */
static int
sla_weekday(long day)
{
	return (int)(((day + 4) % 7 + 7) % 7);
}

static int
sla_days_in_month(long y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/*
 * Instants between the years 1 and 9999.  Outside them the arithmetic
 * returns its input unchanged rather than risk overflow.
 */
static int
sla_time_ok(time_t t)
{
	return t >= (time_t)-62135596800LL && t <= (time_t)253402300799LL;
}

/* ---- time zone scope ------------------------------------------------ */

/*
 * Every public function that looks at local time enters the calendar's
 * zone and leaves it before returning, restoring the caller's TZ.
 */
struct sla_tz_saved {
	char *old;  /* owned copy of the previous TZ, or NULL if unset */
	int changed;
};

static void
sla_tz_enter(const struct sla_calendar *cal, struct sla_tz_saved *s)
{
	const char *old = getenv("TZ");

	s->old = old != NULL ? xstrdup(old) : NULL;
	s->changed = old == NULL || strcmp(old, cal->tz) != 0;
	if (s->changed) {
		setenv("TZ", cal->tz, 1);
		tzset();
	}
}

static void
sla_tz_leave(struct sla_tz_saved *s)
{
	if (s->changed) {
		if (s->old != NULL)
			setenv("TZ", s->old, 1);
		else
			unsetenv("TZ");
		tzset();
	}
	free(s->old);
	s->old = NULL;
}

struct sla_zone_hold {
	struct sla_tz_saved saved;
};

struct sla_zone_hold *
sla_zone_hold(const struct sla_calendar *cal)
{
	struct sla_zone_hold *h = xcalloc(1, sizeof(*h));

	sla_tz_enter(cal, &h->saved);
	return h;
}

void
sla_zone_release(struct sla_zone_hold **hp)
{
	if (*hp == NULL)
		return;
	sla_tz_leave(&(*hp)->saved);
	free(*hp);
	*hp = NULL;
}

static long
sla_gmtoff(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/* The local day of t, and its seconds after local midnight in *wall_r. */
static long
sla_local_day(time_t t, long *wall_r)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		if (wall_r != NULL)
			*wall_r = 0;
		return (long)(t / SLA_DAY);
	}
	if (wall_r != NULL)
		*wall_r = tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
	return sla_days_from_civil(tm.tm_year + 1900L, tm.tm_mon + 1,
				   tm.tm_mday);
}

/*
 * UTC of local (day, wall seconds); wall may be 86400 (next midnight).
 * Ambiguous times give the earlier instant; nonexistent ones the first
 * instant after the gap.
 */
static time_t
sla_local_to_utc(long day, long wall)
{
	time_t t0 = (time_t)day * SLA_DAY + wall, best = 0, lo, hi;
	long offs[3];
	int found = 0;

	offs[0] = sla_gmtoff(t0 - SLA_TZ_WINDOW);
	offs[1] = sla_gmtoff(t0);
	offs[2] = sla_gmtoff(t0 + SLA_TZ_WINDOW);
	for (int i = 0; i < 3; i++) {
		time_t t = t0 - offs[i];

		if (sla_gmtoff(t) == offs[i] && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	if (found)
		return best;
	/* In a gap: the first t whose wall clock reaches t0. */
	lo = t0 - SLA_TZ_WINDOW;
	hi = t0 + SLA_TZ_WINDOW;
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;

		if (mid + sla_gmtoff(mid) >= t0)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* ---- the calendar --------------------------------------------------- */

static int
sla_is_holiday(const struct sla_calendar *cal, long day)
{
	size_t lo = 0, hi = cal->n_holidays;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->holidays[mid] == day)
			return 1;
		if (cal->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
sla_is_business_day(const struct sla_calendar *cal, long day)
{
	return cal->n_ranges[sla_weekday(day)] > 0 && !sla_is_holiday(cal, day);
}

/* The day's business ranges in UTC; returns how many (0 on a holiday). */
static int
sla_day_ranges(const struct sla_calendar *cal, long day,
	       time_t open[SLA_MAX_RANGES], time_t close[SLA_MAX_RANGES])
{
	int wd = sla_weekday(day), n = 0;

	if (!sla_is_business_day(cal, day))
		return 0;
	for (int i = 0; i < cal->n_ranges[wd]; i++) {
		time_t o = sla_local_to_utc(day, cal->ranges[wd][i].open);
		time_t c = sla_local_to_utc(day, cal->ranges[wd][i].close);

		if (c > o) {
			open[n] = o;
			close[n] = c;
			n++;
		}
	}
	return n;
}

/* The walks below; they assume the zone has been entered. */

static time_t
sla_walk_seconds(const struct sla_calendar *cal, time_t start, long seconds)
{
	time_t open[SLA_MAX_RANGES], close[SLA_MAX_RANGES], t = start;
	long day = sla_local_day(start, NULL), rem = seconds < 0 ? 0 : seconds;

	for (int i = 0; i < SLA_MAX_DAYS; i++, day++) {
		int n = sla_day_ranges(cal, day, open, close);

		for (int j = 0; j < n; j++) {
			time_t cur;

			if (close[j] <= t)
				continue;
			cur = open[j] > t ? open[j] : t;
			if (rem <= close[j] - cur)
				return cur + rem;
			rem -= (long)(close[j] - cur);
			t = close[j];
		}
	}
	/* Capped: the end of the walk. */
	return sla_local_to_utc(day, 0);
}

static long
sla_walk_business(const struct sla_calendar *cal, time_t a, time_t b)
{
	time_t open[SLA_MAX_RANGES], close[SLA_MAX_RANGES];
	long day, last, total = 0;

	if (b <= a)
		return 0;
	day = sla_local_day(a, NULL);
	last = sla_local_day(b, NULL);
	if (last - day > SLA_MAX_DAYS)
		last = day + SLA_MAX_DAYS;
	for (; day <= last; day++) {
		int n = sla_day_ranges(cal, day, open, close);

		for (int j = 0; j < n; j++) {
			time_t lo = open[j] > a ? open[j] : a;
			time_t hi = close[j] < b ? close[j] : b;

			if (hi > lo)
				total += (long)(hi - lo);
		}
	}
	return total;
}

static time_t
sla_walk_days(const struct sla_calendar *cal, time_t start, long days)
{
	const struct sla_range *r;
	time_t s = sla_walk_seconds(cal, start, 0);
	long wall, pos = 0, cum = 0, day = sla_local_day(s, &wall);
	long k = 0, steps = 0;
	int wd = sla_weekday(day), n;

	/* The business time already elapsed that day, on the wall clock. */
	for (int i = 0; i < cal->n_ranges[wd]; i++) {
		r = &cal->ranges[wd][i];
		if (r->open >= wall)
			break;
		pos += (wall < r->close ? wall : r->close) - r->open;
	}
	while (k < days) {
		if (++steps > SLA_MAX_DAYS)
			return sla_local_to_utc(day + 1, 0);
		day++;
		if (sla_is_business_day(cal, day))
			k++;
	}
	wd = sla_weekday(day);
	n = cal->n_ranges[wd];
	for (int i = 0; i < n; i++) {
		long len;

		r = &cal->ranges[wd][i];
		len = r->close - r->open;
		if (pos < cum + len)
			return sla_local_to_utc(day, r->open + (pos - cum));
		cum += len;
	}
	/* A shorter day: its closing time. */
	return sla_local_to_utc(day, cal->ranges[wd][n - 1].close);
}

static int
sla_day_index(const char *s, size_t len)
{
	if (len != 3)
		return -1;
	for (int i = 0; i < 7; i++) {
		if (strncasecmp(s, sla_day_names[i], 3) == 0)
			return i;
	}
	return -1;
}

static int
sla_range_cmp(const void *a, const void *b)
{
	const struct sla_range *x = a, *y = b;

	return x->open != y->open ? (x->open < y->open ? -1 : 1)
				  : (x->close < y->close ? -1 : x->close > y->close);
}

static int
sla_long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Adds a range to the days in mask; merges at the end. */
static int
sla_add_range(struct sla_calendar *cal, int mask, int open, int close,
	      char **why_r)
{
	for (int d = 0; d < 7; d++) {
		if (!(mask & (1 << d)))
			continue;
		if (cal->n_ranges[d] >= SLA_MAX_RANGES) {
			*why_r = xasprintf("too many time ranges on %s (at most %d)",
					   sla_day_names[d], SLA_MAX_RANGES);
			return -1;
		}
		cal->ranges[d][cal->n_ranges[d]].open = open;
		cal->ranges[d][cal->n_ranges[d]].close = close;
		cal->n_ranges[d]++;
	}
	return 0;
}

static void
sla_merge_ranges(struct sla_calendar *cal)
{
	for (int d = 0; d < 7; d++) {
		struct sla_range *r = cal->ranges[d];
		int n = cal->n_ranges[d], out = 0;

		if (n == 0)
			continue;
		qsort(r, (size_t)n, sizeof(*r), sla_range_cmp);
		for (int i = 1; i < n; i++) {
			if (r[i].open <= r[out].close) {
				if (r[i].close > r[out].close)
					r[out].close = r[i].close;
			} else {
				r[++out] = r[i];
			}
		}
		cal->n_ranges[d] = out + 1;
	}
}

/* One group "DAYS HH:MM-HH:MM [...]"; why_r gets the reason. */
static int
sla_parse_group(struct sla_calendar *cal, const char *g, char **why_r)
{
	const char *p = g, *tok;
	size_t len;
	int mask = 0, first, last, n = 0;
	char *dash;

	tok = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	len = (size_t)(p - tok);
	if (len == 4 && strncasecmp(tok, "24x7", 4) == 0) {
		*why_r = xstrdup("24x7 stands alone, not in a list");
		return -1;
	}
	dash = memchr(tok, '-', len);
	first = sla_day_index(tok, dash != NULL ? (size_t)(dash - tok) : len);
	last = dash != NULL ? sla_day_index(dash + 1, len - (size_t)(dash - tok) - 1)
			    : first;
	if (first < 0 || last < 0) {
		*why_r = xasprintf("unknown day \"%.*s\" (expected mon, tue, wed, "
				   "thu, fri, sat or sun, or a range like mon-fri)",
				   (int)len, tok);
		return -1;
	}
	for (int d = first;; d = (d + 1) % 7) {
		mask |= 1 << d;
		if (d == last)
			break;
	}
	for (;;) {
		char range[16];
		int open, close;

		p = sla_skip_space(p);
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - tok);
		if (len >= sizeof(range)) {
			*why_r = xstrdup("expected HH:MM-HH:MM");
			return -1;
		}
		memcpy(range, tok, len);
		range[len] = '\0';
		if (sla_parse_range(range, &open, &close, why_r) < 0)
			return -1;
		if (open >= close) {
			*why_r = xasprintf("opening %.5s is not before closing %.5s",
					   range, range + 6);
			return -1;
		}
		if (sla_add_range(cal, mask, open, close, why_r) < 0)
			return -1;
		n++;
	}
	if (n == 0) {
		*why_r = xstrdup("expected HH:MM-HH:MM");
		return -1;
	}
	return 0;
}

static int
sla_parse_hours(struct sla_calendar *cal, const char *hours, char **error_r)
{
	char *v, *g, *why = NULL;
	const char *p;
	int rc = -1;

	if (strlen(hours) > SLA_MAX_INPUT) {
		*error_r = xasprintf("longer than %d characters", SLA_MAX_INPUT);
		return -1;
	}
	v = sla_trimmed(hours);
	if (*v == '\0') {
		*error_r = xstrdup("empty: there must be some business hours");
		goto out;
	}
	if (strcasecmp(v, "24x7") == 0) {
		for (int d = 0; d < 7; d++) {
			cal->ranges[d][0].open = 0;
			cal->ranges[d][0].close = (int)SLA_DAY;
			cal->n_ranges[d] = 1;
		}
		rc = 0;
		goto out;
	}
	p = v;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		char *raw = xstrndup(p, len);

		g = sla_trimmed(raw);
		free(raw);
		if (*g == '\0') {
			*error_r = xasprintf("\"%s\": empty group between commas", v);
			free(g);
			goto out;
		}
		if (sla_parse_group(cal, g, &why) < 0) {
			*error_r = xasprintf("\"%s\": %s", g, why);
			free(why);
			free(g);
			goto out;
		}
		free(g);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	sla_merge_ranges(cal);
	rc = 0;
out:
	free(v);
	return rc;
}

/* "YYYY-MM-DD" in the first len characters of s, digits and dashes only. */
static int
sla_is_iso_date(const char *s, size_t len)
{
	if (len != 10)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int
sla_parse_holidays(struct sla_calendar *cal, const char *s, char **error_r)
{
	const char *p = s;
	size_t cap = 0;

	if (strlen(s) > SLA_MAX_INPUT * 4) {
		*error_r = xasprintf("longer than %d characters", SLA_MAX_INPUT * 4);
		return -1;
	}
	for (;;) {
		const char *tok;
		size_t len;
		int y, m, d;
		char date[16];

		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',' &&
		       *p != '\n' && *p != '\r')
			p++;
		len = (size_t)(p - tok);
		if (!sla_is_iso_date(tok, len)) {
			*error_r = xasprintf("\"%.*s\": expected a date YYYY-MM-DD",
					     (int)(len > 40 ? 40 : len), tok);
			return -1;
		}
		memcpy(date, tok, 10);
		date[10] = '\0';
		y = atoi(date);
		m = atoi(date + 5);
		d = atoi(date + 8);
		if (m < 1 || m > 12 || d < 1 || d > sla_days_in_month(y, m)) {
			*error_r = xasprintf("\"%s\": no such date", date);
			return -1;
		}
		if (cal->n_holidays >= SLA_MAX_HOLIDAYS) {
			*error_r = xasprintf("more than %d dates", SLA_MAX_HOLIDAYS);
			return -1;
		}
		cal->holidays = xgrow(cal->holidays, &cap, cal->n_holidays + 1,
				      sizeof(*cal->holidays));
		cal->holidays[cal->n_holidays++] = sla_days_from_civil(y, m, d);
	}
	if (cal->n_holidays > 1) {
		size_t out = 0;

		qsort(cal->holidays, cal->n_holidays, sizeof(long), sla_long_cmp);
		for (size_t i = 1; i < cal->n_holidays; i++) {
			if (cal->holidays[i] != cal->holidays[out])
				cal->holidays[++out] = cal->holidays[i];
		}
		cal->n_holidays = out + 1;
	}
	return 0;
}

static int
sla_parse_zone(struct sla_calendar *cal, const char *zone, char **error_r)
{
	const char *dir = getenv("TZDIR");
	char *path, magic[4];
	size_t len = strlen(zone);
	FILE *f;
	int ok;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if (len == 0) {
		*error_r = xstrdup("empty: expected a zone name like Europe/London");
		return -1;
	}
	ok = len <= 200 && zone[0] != '/' && strstr(zone, "..") == NULL;
	for (size_t i = 0; ok && i < len; i++) {
		unsigned char c = (unsigned char)zone[i];

		ok = isalnum(c) || c == '/' || c == '_' || c == '-' || c == '+';
	}
	if (!ok) {
		*error_r = xasprintf("\"%.200s\": not a time zone name", zone);
		return -1;
	}
	path = xasprintf("%s/%s", dir, zone);
	f = fopen(path, "rb");
	ok = f != NULL && fread(magic, 1, 4, f) == 4 &&
	     memcmp(magic, "TZif", 4) == 0;
	if (f != NULL)
		fclose(f);
	if (!ok) {
		*error_r = xasprintf("\"%s\": unknown time zone (not in %s)", zone,
				     dir);
		free(path);
		return -1;
	}
	cal->zone = xstrdup(zone);
	cal->tz = xasprintf(":%s", path);
	free(path);
	return 0;
}

/* Builds a calendar; on failure *key_r names the bad value. */
int
sla_calendar_build(const char *zone, const char *hours, const char *holidays,
		   struct sla_calendar **cal_r, const char **key_r,
		   char **error_r)
{
	struct sla_calendar *cal = xcalloc(1, sizeof(*cal));

	*key_r = "timezone";
	if (sla_parse_zone(cal, zone != NULL ? zone : "", error_r) < 0)
		goto fail;
	*key_r = "hours";
	if (sla_parse_hours(cal, hours != NULL ? hours : "", error_r) < 0)
		goto fail;
	*key_r = "holidays";
	if (sla_parse_holidays(cal, holidays != NULL ? holidays : "", error_r) < 0)
		goto fail;
	*cal_r = cal;
	return 0;
fail:
	sla_calendar_free(&cal);
	return -1;
}

int
sla_calendar_new(const char *timezone, const char *hours,
		 const char *holidays, struct sla_calendar **cal_r,
		 char **error_r)
{
	const char *key;
	char *why = NULL;

	*cal_r = NULL;
	if (sla_calendar_build(timezone, hours, holidays, cal_r, &key, &why) < 0) {
		*error_r = xasprintf("%s: %s", key, why);
		free(why);
		return -1;
	}
	return 0;
}

void
sla_calendar_free(struct sla_calendar **cal)
{
	if (cal == NULL || *cal == NULL)
		return;
	free((*cal)->zone);
	free((*cal)->tz);
	free((*cal)->holidays);
	free(*cal);
	*cal = NULL;
}

const char *
sla_calendar_zone(const struct sla_calendar *cal)
{
	return cal->zone;
}

int
sla_calendar_is_open(const struct sla_calendar *cal, time_t t)
{
	struct sla_tz_saved s;
	int open;

	if (!sla_time_ok(t))
		return 0;
	sla_tz_enter(cal, &s);
	open = sla_walk_seconds(cal, t, 0) == t;
	sla_tz_leave(&s);
	return open;
}

long
sla_calendar_day(const struct sla_calendar *cal, time_t t)
{
	struct sla_tz_saved s;
	long day;

	if (!sla_time_ok(t))
		return (long)(t / SLA_DAY);
	sla_tz_enter(cal, &s);
	day = sla_local_day(t, NULL);
	sla_tz_leave(&s);
	return day;
}

/* ---- arithmetic ----------------------------------------------------- */

time_t
sla_add_seconds(const struct sla_calendar *cal, time_t start, long seconds)
{
	struct sla_tz_saved s;
	time_t t;

	if (!sla_time_ok(start))
		return start;
	sla_tz_enter(cal, &s);
	t = sla_walk_seconds(cal, start, seconds);
	sla_tz_leave(&s);
	return t;
}

time_t
sla_add(const struct sla_calendar *cal, time_t start, struct sla_span span)
{
	struct sla_tz_saved s;
	time_t t;

	if (!sla_time_ok(start))
		return start;
	sla_tz_enter(cal, &s);
	if (span.days > 0)
		t = sla_walk_days(cal, start, span.days);
	else
		t = sla_walk_seconds(cal, start, span.minutes * 60);
	sla_tz_leave(&s);
	return t;
}

long
sla_business_seconds(const struct sla_calendar *cal, time_t a, time_t b)
{
	struct sla_tz_saved s;
	long n;

	if (b <= a || !sla_time_ok(a) || !sla_time_ok(b))
		return 0;
	sla_tz_enter(cal, &s);
	n = sla_walk_business(cal, a, b);
	sla_tz_leave(&s);
	return n;
}

time_t
sla_fraction(const struct sla_calendar *cal, time_t start,
	     struct sla_span span, int percent)
{
	struct sla_tz_saved s;
	long total;
	time_t t;

	if (percent < 0)
		percent = 0;
	if (percent > 100)
		percent = 100;
	if (!sla_time_ok(start))
		return start;
	sla_tz_enter(cal, &s);
	if (span.days > 0) {
		time_t begin = sla_walk_seconds(cal, start, 0);
		time_t end = sla_walk_days(cal, start, span.days);

		if (percent == 100) {
			t = end;
			goto out;
		}
		total = sla_walk_business(cal, begin, end);
	} else {
		total = span.minutes * 60;
	}
	t = sla_walk_seconds(cal, start, total * percent / 100);
out:
	sla_tz_leave(&s);
	return t;
}

time_t
sla_extend(const struct sla_calendar *cal, time_t deadline,
	   time_t pause_start, time_t pause_end)
{
	long paused = sla_business_seconds(cal, pause_start, pause_end);

	if (paused <= 0)
		return deadline;
	return sla_add_seconds(cal, deadline, paused);
}

void
sla_format_deadline(const struct sla_calendar *cal, time_t deadline,
		    time_t now, char *out, size_t n)
{
	struct sla_tz_saved s;
	struct tm d, nw;
	long diff;
	char clock[16];
	int h12;

	if (n == 0)
		return;
	if (!sla_time_ok(deadline) || !sla_time_ok(now)) {
		snprintf(out, n, "soon");
		return;
	}
	sla_tz_enter(cal, &s);
	if (localtime_r(&deadline, &d) == NULL || localtime_r(&now, &nw) == NULL) {
		sla_tz_leave(&s);
		snprintf(out, n, "soon");
		return;
	}
	sla_tz_leave(&s);
	diff = sla_days_from_civil(d.tm_year + 1900L, d.tm_mon + 1, d.tm_mday) -
	       sla_days_from_civil(nw.tm_year + 1900L, nw.tm_mon + 1, nw.tm_mday);
	h12 = d.tm_hour % 12 == 0 ? 12 : d.tm_hour % 12;
	if (d.tm_min == 0)
		snprintf(clock, sizeof(clock), "%d %s", h12,
			 d.tm_hour < 12 ? "am" : "pm");
	else
		snprintf(clock, sizeof(clock), "%d:%02d %s", h12, d.tm_min,
			 d.tm_hour < 12 ? "am" : "pm");
	if (diff == 0)
		snprintf(out, n, "today by %s", clock);
	else if (diff == 1)
		snprintf(out, n, "tomorrow by %s", clock);
	else if (diff >= 2 && diff <= 6)
		snprintf(out, n, "by %s %s", sla_weekday_words[d.tm_wday], clock);
	else if (d.tm_year == nw.tm_year)
		snprintf(out, n, "by %s %d %s, %s", sla_weekday_words[d.tm_wday],
			 d.tm_mday, sla_month_words[d.tm_mon], clock);
	else
		snprintf(out, n, "by %s %d %s %d, %s", sla_weekday_words[d.tm_wday],
			 d.tm_mday, sla_month_words[d.tm_mon], d.tm_year + 1900,
			 clock);
}

/* ---- quiet hours ---------------------------------------------------- */

time_t
sla_quiet_next(const struct sla_calendar *cal, const struct sla_quiet *q,
	       time_t t)
{
	struct sla_tz_saved s;
	time_t r = t;
	long wall, day;

	if (q == NULL || !q->active || !sla_time_ok(t))
		return t;
	sla_tz_enter(cal, &s);
	day = sla_local_day(t, &wall);
	if (q->start < q->end) {
		if (wall >= q->start && wall < q->end)
			r = sla_local_to_utc(day, q->end);
	} else {
		if (wall >= q->start)
			r = sla_local_to_utc(day + 1, q->end);
		else if (wall < q->end)
			r = sla_local_to_utc(day, q->end);
	}
	sla_tz_leave(&s);
	return r > t ? r : t;
}

