/*
 * clock - the one notion of "now", and ISO 8601 times.
 *
 * The global --now option sets the clock for one command (doc/contract.md,
 * invariant 7).  Pure modules never call clock_now(): they take the time as
 * an argument, and main passes clock_now() in.
 */
#ifndef REDRESS_CLOCK_H
#define REDRESS_CLOCK_H

#include <stddef.h>
#include <time.h>

#define CLOCK_ISO_LEN 21 /* "2026-11-23T16:30:00Z" and its NUL */

time_t clock_now(void);
void clock_set_now(time_t t);
/*
 * Parses ISO 8601: "2026-11-23", "2026-11-23T16:30", "2026-11-23T16:30:05",
 * with "Z", "+01:00" / "+0100", or no zone (read as UTC); a space may stand
 * for the T.  Returns 0, or -1 when s is not such a time.
 */
int clock_parse_iso8601(const char *s, time_t *t_r);
/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (CLOCK_ISO_LEN bytes). */
void clock_format_iso8601(time_t t, char out[CLOCK_ISO_LEN]);

#endif
