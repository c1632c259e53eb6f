/*
 * sla_int - what the two files of the sla module share (sla.c reads the
 * settings, sla_calendar.c keeps the calendar).  Not for other modules.
 */
#ifndef REDRESS_POLICY_SLA_INT_H
#define REDRESS_POLICY_SLA_INT_H

#include "policy/sla.h"

#define SLA_MAX_INPUT 4096     /* longest hours/holidays/target value */
#define SLA_DAY 86400L

/* p after blanks. */
const char *sla_skip_space(const char *p);
/* A copy of s without leading and trailing blanks; the caller frees. */
char *sla_trimmed(const char *s);
/* "HH:MM" at s (five characters): 0 and seconds after midnight, -1 not
 * of that shape, -2 no time of day (24:00 is allowed, as an end). */
int sla_parse_hhmm(const char *s, int *sec_r);
/* "HH:MM-HH:MM", the whole of s: 0, or -1 with an allocated *why_r. */
int sla_parse_range(const char *s, int *open_r, int *close_r, char **why_r);
/* A calendar from the three settings: 0, or -1 with *key_r ("timezone",
 * "hours", "holidays") and an allocated *error_r. */
int sla_calendar_build(const char *zone, const char *hours, const char *holidays,
		       struct sla_calendar **cal_r, const char **key_r, char **error_r);

#endif
