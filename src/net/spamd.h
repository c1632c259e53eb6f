/*
 * spamd - asks SpamAssassin's spamd whether a message is spam, over the
 * spamc protocol on TCP ([spam] spamd = HOST:PORT).
 *
 * One connection per message: "SYMBOLS SPAMC/1.5", Content-length, the
 * message as stored, a half-close; spamd answers "SPAMD/1.x 0 EX_OK",
 * "Spam: True ; 1000.0 / 5.0" and the names of the rules that hit, then
 * closes.  The whole exchange, connecting included, is bounded by one
 * deadline (timeout seconds): an overloaded spamd does not refuse, it
 * answers slowly, and only the deadline catches that.
 *
 * Results: SPAMD_CHECKED (r filled), SPAMD_UNAVAILABLE (refused, no such
 * host, timed out, or spamd said EX_UNAVAILABLE, EX_OSERR, EX_IOERR,
 * EX_TEMPFAIL or its own timeout: worth trying again later) or
 * SPAMD_FAILED (an answer that is not the protocol, or another error code:
 * trying again will not help).  Both failures set *error_r (allocated).
 * SIGPIPE is never raised (MSG_NOSIGNAL).  No locale: scores are read by
 * hand.
 */
#ifndef REDRESS_NET_SPAMD_H
#define REDRESS_NET_SPAMD_H

#include <stdbool.h>
#include <stddef.h>

#define SPAMD_MAX_ANSWER (64 * 1024)

enum spamd_status {
	SPAMD_CHECKED,
	SPAMD_UNAVAILABLE,
	SPAMD_FAILED,
};

struct spamd_result {
	bool spam;
	double score, threshold;
	char symbols[512];        /* "GTUBE,NO_RECEIVED", cut to fit */
};

/* hostport: "HOST:PORT" or "[V6]:PORT".  0 and its parts, or -1. */
int spamd_parse_hostport(const char *hostport, char *host, size_t hostlen,
			 char *port, size_t portlen);
enum spamd_status spamd_check(const char *hostport, long timeout_seconds,
			      const char *msg, size_t len, struct spamd_result *r,
			      char **error_r);

#endif
