/*
 * scan - the content scanners of [spam]: SpamAssassin's spamd
 * (net/spamd.h) and rspamd (net/rspamd.h), asked in that order, each
 * only when configured.
 *
 *   SCAN_OFF          no scanner is configured
 *   SCAN_TOO_LARGE    over [spam] max_size: not sent
 *   SCAN_SPAM         one of them says spam (the others are not asked)
 *   SCAN_UNAVAILABLE  none says spam and one is down: ask again later
 *   SCAN_FAILED       none says spam, none is down, one answered what is
 *                     not its protocol (a bug: asking again won't help)
 *   SCAN_CLEAN        every one says not spam
 *
 * *reason_r (allocated; NULL for SCAN_OFF) says what each said, e.g.
 * "spamd 1000.0/5.0: GTUBE,NO_RELAYS" or "rspamd reject 15.0/15.0".
 * intake.c asks at intake, outbox.c again before an ack that waited.
 */
#ifndef REDRESS_CASE_SCAN_H
#define REDRESS_CASE_SCAN_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct traffic;

enum scan_status {
	SCAN_OFF,
	SCAN_TOO_LARGE,
	SCAN_SPAM,
	SCAN_UNAVAILABLE,
	SCAN_FAILED,
	SCAN_CLEAN,
};

/* Whether any scanner is configured. */
bool scan_configured(const struct config *cfg);
enum scan_status scan_message(const struct config *cfg, const char *raw, size_t len,
			      char **reason_r);
/*
 * Adds what a scan said to the traffic verdict (traffic.h): spam for
 * SCAN_SPAM, a note for the rest ("not spam: ...", "unscanned: ...",
 * TRAFFIC_UNSCANNED for a scanner that is down, which also sets
 * t->scan_pending); nothing for SCAN_OFF.  A scanner that is down is
 * logged as a warning, one that failed as an error, both under source.
 */
void scan_add_traffic(enum scan_status st, const char *said, const char *source,
		      struct traffic *t);

#endif
