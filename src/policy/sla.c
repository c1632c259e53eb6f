/*
 * sla - the [sla] settings of redress.conf(5) read: spans ("90m", "2d"),
 * targets ("1h 8h"), quiet hours ("22:00-07:00") and the policy made of
 * them and a calendar.  Part of the sla module: sla.h has the model,
 * sla_calendar.c the calendar and its arithmetic.
 *
 * Public: sla_span_parse/format, sla_target_parse, sla_quiet_parse,
 * sla_policy_build/free.
 *
 * Ownership: a policy owns its calendar.  Errors are allocated strings the
 * caller frees.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xmem.h"
#include "model/priority.h"
#include "policy/sla.h"
#include "policy/sla_int.h"

/* ---- parsing helpers ------------------------------------------------ */

const char *
sla_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A copy of s without leading and trailing blanks. */
char *
sla_trimmed(const char *s)
{
	const char *b = sla_skip_space(s), *e = b + strlen(b);

	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		e--;
	return xstrndup(b, (size_t)(e - b));
}

/*
 * Parses "HH:MM" at s (exactly five characters).  Returns 0 and seconds
 * after midnight, -1 when it is not of that shape, -2 when it is but is no
 * time of day (24:00 is allowed, as an end).
 */
int
sla_parse_hhmm(const char *s, int *sec_r)
{
	int h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -2;
	*sec_r = h * 3600 + m * 60;
	return 0;
}

/*
 * Parses "HH:MM-HH:MM" (the whole of s).  Returns 0, or -1 with *why_r set
 * to an allocated reason.
 */
int
sla_parse_range(const char *s, int *open_r, int *close_r, char **why_r)
{
	if (strlen(s) != 11 || s[5] != '-') {
		*why_r = xstrdup("expected HH:MM-HH:MM");
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		const char *p = s + 6 * i;
		int rc = sla_parse_hhmm(p, i == 0 ? open_r : close_r);
		if (rc == -1) {
			*why_r = xstrdup("expected HH:MM-HH:MM");
			return -1;
		}
		if (rc == -2) {
			*why_r = xasprintf("\"%.5s\" is not a time of day", p);
			return -1;
		}
	}
	return 0;
}

/* ---- spans and targets ---------------------------------------------- */

#define SLA_SPAN_SHAPE "expected a number and a unit m, h or d, like 90m, 4h or 2d"

int
sla_span_parse(const char *s, struct sla_span *span_r, char **error_r)
{
	const char *p = s;
	long n = 0;
	int digits = 0;
	char unit;

	while (isdigit((unsigned char)*p) && digits < 10) {
		n = n * 10 + (*p++ - '0');
		digits++;
	}
	unit = (char)tolower((unsigned char)*p);
	if (digits == 0 || digits >= 10 || (unit != 'm' && unit != 'h' && unit != 'd') ||
	    p[1] != '\0') {
		*error_r = xasprintf("\"%.40s\": " SLA_SPAN_SHAPE, s);
		return -1;
	}
	if (n == 0) {
		*error_r = xasprintf("\"%s\": must be more than zero", s);
		return -1;
	}
	span_r->minutes = 0;
	span_r->days = 0;
	switch (unit) {
	case 'm':
		if (n > SLA_MAX_MINUTES) {
			*error_r = xasprintf("\"%s\": too long (at most %ldm)", s,
					     SLA_MAX_MINUTES);
			return -1;
		}
		span_r->minutes = n;
		break;
	case 'h':
		if (n > SLA_MAX_MINUTES / 60) {
			*error_r = xasprintf("\"%s\": too long (at most %ldh)", s,
					     SLA_MAX_MINUTES / 60);
			return -1;
		}
		span_r->minutes = n * 60;
		break;
	default:
		if (n > SLA_MAX_DAYS_SPAN) {
			*error_r = xasprintf("\"%s\": too long (at most %ldd)", s,
					     SLA_MAX_DAYS_SPAN);
			return -1;
		}
		span_r->days = n;
		break;
	}
	return 0;
}

void
sla_span_format(struct sla_span span, char *out, size_t n)
{
	if (span.days != 0)
		snprintf(out, n, "%ldd", span.days);
	else if (span.minutes % 60 == 0)
		snprintf(out, n, "%ldh", span.minutes / 60);
	else
		snprintf(out, n, "%ldm", span.minutes);
}

int
sla_target_parse(const char *s, struct sla_target *t_r, char **error_r)
{
	const char *tok[3], *p = s;
	size_t len[3];
	int n = 0;
	char *why = NULL;
	static const char *const names[2] = { "first response", "resolution" };
	struct sla_span *dst[2] = { &t_r->first_response, &t_r->resolution };

	if (strlen(s) > 200) {
		*error_r = xstrdup("longer than 200 characters");
		return -1;
	}
	for (;;) {
		p = sla_skip_space(p);
		if (*p == '\0')
			break;
		if (n == 3)
			break;
		tok[n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len[n] = (size_t)(p - tok[n]);
		n++;
	}
	if (n != 2) {
		*error_r = xasprintf("\"%s\": expected two spans, first response "
				     "and resolution, like \"1h 8h\"", s);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		char *span = xstrndup(tok[i], len[i]);

		if (sla_span_parse(span, dst[i], &why) < 0) {
			*error_r = xasprintf("%s: %s", names[i], why);
			free(why);
			free(span);
			return -1;
		}
		free(span);
	}
	return 0;
}

/* ---- quiet hours ---------------------------------------------------- */

int
sla_quiet_parse(const char *s, struct sla_quiet *q_r, char **error_r)
{
	char *v = sla_trimmed(s), *why = NULL;
	int open, close;

	memset(q_r, 0, sizeof(*q_r));
	if (*v == '\0') {
		free(v);
		return 0;
	}
	if (sla_parse_range(v, &open, &close, &why) < 0) {
		*error_r = xasprintf("\"%.40s\": %s%s", v, why,
				     strcmp(why, "expected HH:MM-HH:MM") == 0
					     ? ", like 22:00-07:00, or nothing"
					     : "");
		free(why);
		free(v);
		return -1;
	}
	if (open == close || (open == 0 && close == SLA_DAY) ||
	    (open == SLA_DAY && close == 0)) {
		*error_r = xasprintf("\"%s\": quiet all day or never; "
				     "leave it empty for no quiet hours", v);
		free(v);
		return -1;
	}
	free(v);
	/* 24:00 as a start is midnight. */
	if (open == SLA_DAY)
		open = 0;
	q_r->active = 1;
	q_r->start = open;
	q_r->end = close;
	return 0;
}

/* ---- the policy ----------------------------------------------------- */

int
sla_policy_build(const struct sla_settings *set, struct sla_policy **policy_r,
		 const char **key_r, char **error_r)
{
	struct sla_policy *p = xcalloc(1, sizeof(*p));
	char *why = NULL;

	*policy_r = NULL;
	if (sla_calendar_build(set->timezone, set->hours, set->holidays, &p->cal, key_r,
			       &why) < 0)
		goto fail;
	for (int i = 0; i < PRIORITY_COUNT; i++) {
		*key_r = priority_name((enum priority)i);
		if (sla_target_parse(set->target[i] != NULL ? set->target[i] : "",
				     &p->target[i], &why) < 0)
			goto fail;
	}
	*key_r = "warn_percent";
	if (set->warn_percent < 0 || set->warn_percent > 100) {
		why = xasprintf("%ld: expected 0 to 100", set->warn_percent);
		goto fail;
	}
	p->warn_percent = (int)set->warn_percent;
	*key_r = "quiet_hours";
	if (sla_quiet_parse(set->quiet_hours != NULL ? set->quiet_hours : "", &p->quiet,
			    &why) < 0)
		goto fail;
	/* A question's answer clock: one span, or "off" for none. */
	*key_r = "question";
	{
		char *v = sla_trimmed(set->question != NULL ? set->question : "off");
		int r = 0;

		p->question_clock = strcasecmp(v, "off") != 0;
		if (p->question_clock && (r = sla_span_parse(v, &p->question, &why)) < 0) {
			free(why);
			why = xasprintf("\"%.40s\": expected a span like 4h or 1d, or off", v);
		}
		free(v);
		if (r < 0)
			goto fail;
	}
	*policy_r = p;
	return 0;
fail:
	*error_r = why;
	sla_policy_free(&p);
	return -1;
}

void
sla_policy_free(struct sla_policy **p)
{
	if (p == NULL || *p == NULL)
		return;
	sla_calendar_free(&(*p)->cal);
	free(*p);
	*p = NULL;
}
