/*
 * clock - the one notion of "now", and ISO 8601 times.  See clock.h.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

static bool clock_fixed;
static time_t clock_fixed_time;

time_t
clock_now(void)
{
	return clock_fixed ? clock_fixed_time : time(NULL);
}

void
clock_set_now(time_t t)
{
	clock_fixed = true;
	clock_fixed_time = t;
}

static int
clock_digits(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

int
clock_parse_iso8601(const char *s, time_t *t_r)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, off = 0;
	const char *p = s;

	memset(&tm, 0, sizeof(tm));
	if (clock_digits(&p, 4, &y) < 0 || *p++ != '-' ||
	    clock_digits(&p, 2, &mo) < 0 || *p++ != '-' ||
	    clock_digits(&p, 2, &d) < 0)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (clock_digits(&p, 2, &h) < 0 || *p++ != ':' ||
		    clock_digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (clock_digits(&p, 2, &se) < 0)
				return -1;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;

			if (clock_digits(&p, 2, &oh) < 0)
				return -1;
			if (*p == ':')
				p++;
			if (clock_digits(&p, 2, &om) < 0)
				return -1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t_r = timegm(&tm) - off;
	return 0;
}

void
clock_format_iso8601(time_t t, char out[CLOCK_ISO_LEN])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, CLOCK_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
