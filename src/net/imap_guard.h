/*
 * imap_guard - bounds on what an IMAP server can make redress wait for or
 * hold in memory: a libetpan low-level stream driver of ours wrapped
 * around libetpan's socket or TLS driver.
 *
 * libetpan 1.9.4 cannot be trusted with either (see doc/design.md, "IMAP
 * bounds"): its literal reader takes an end of file for "0 bytes read, go
 * on" and loops for ever at full CPU; its timeout restarts with every byte,
 * so a server sending one byte a second is never timed out; and it grows
 * its buffers to whatever a response line or literal announces.  Every
 * byte libetpan reads comes through imap_guard first, which
 *   - waits at most 1 s at a time in the inner driver, and between waits
 *     checks a stop flag (SIGTERM), the idle timeout (nothing received or
 *     sent for `idle` seconds), the deadline of the current exchange and a
 *     heartbeat;
 *   - turns an end of file into an error that stays an error: once failed,
 *     every later read or write fails at once;
 *   - follows the response syntax far enough to see lines and literals,
 *     and fails the stream before libetpan sees a line longer than
 *     line_max, more response text in one exchange than its caps allow
 *     (FETCH responses and the rest counted apart), or a literal
 *     announcement beyond the exchange's caps (so libetpan never
 *     allocates for it).
 * The caller arms the guard before each exchange (a command and its
 * complete answer) with its deadline and literal caps.
 *
 * Ownership: the guard is the caller's (imap_guard_free after the stream
 * that uses it is gone); the wrapped low-level driver owns its inner one.
 * Errors: a failed guard keeps the reason (imap_guard_error); libetpan
 * then reports MAILIMAP_ERROR_STREAM or _PARSE, and the caller asks the
 * guard why.
 */
#ifndef REDRESS_IMAP_GUARD_H
#define REDRESS_IMAP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libetpan/libetpan.h>

struct imap_guard;

struct imap_guard_params {
	int idle;                   /* seconds without progress: failure */
	size_t line_max;            /* bytes of one line outside literals */
	size_t text_max;            /* response bytes outside literals, per exchange */
	volatile const bool *stop;  /* may be NULL; true: fail now */
	/* Called at most every heartbeat_every seconds while waiting; -1
	 * (with an allocated *error_r) fails the stream.  May be NULL. */
	int (*heartbeat)(void *ctx, char **error_r);
	void *heartbeat_ctx;
	int heartbeat_every;
};

/* A new guard; free it with imap_guard_free. */
struct imap_guard *imap_guard_new(const struct imap_guard_params *p);
/* NULL-safe; sets *g to NULL.  The stream using it must be gone. */
void imap_guard_free(struct imap_guard **g);

/*
 * A low-level stream driven by g around inner (whose ownership passes to
 * it: closing and freeing the result closes and frees inner).  NULL when
 * out of memory (inner is then freed, its descriptor left open).
 */
mailstream_low *imap_guard_wrap(struct imap_guard *g, mailstream_low *inner);

/*
 * Replaces the inner driver (after STARTTLS): the old one is freed
 * without closing its descriptor, which the new one now uses.
 */
void imap_guard_set_inner(struct imap_guard *g, mailstream_low *inner);
mailstream_low *imap_guard_inner(const struct imap_guard *g);

/*
 * Starts an exchange: it must be over within seconds from now; a single
 * literal may carry at most literal_max bytes, all literals of the answer
 * together literal_total bytes, its FETCH responses fetch_text bytes
 * outside literals, and everything else text_max (the parameters).
 */
void imap_guard_arm(struct imap_guard *g, double seconds, uint64_t literal_max,
		    uint64_t literal_total, uint64_t fetch_text);
/* Seconds left before the armed deadline (at least 1). */
int imap_guard_left(const struct imap_guard *g);

/*
 * Checks the stop flag, the deadline and the idle timeout and runs the
 * heartbeat when it is due: 0, or -1 when the guard failed (now or
 * before).  For wait loops that do not read through the guard (IDLE).
 */
int imap_guard_check(struct imap_guard *g);

/* Runs the heartbeat if it is due: 0, or -1 (the guard failed). */
int imap_guard_beat(struct imap_guard *g);

/* Fails the guard with why (copied) unless it failed already. */
void imap_guard_fail(struct imap_guard *g, const char *why);
/* Why the guard failed, or NULL.  Owned by the guard. */
const char *imap_guard_error(const struct imap_guard *g);
/* Whether it failed because the stop flag was set. */
bool imap_guard_stopped(const struct imap_guard *g);

/*
 * Opens a TCP connection to host:port within the armed deadline, honouring
 * the stop flag: 0 with a non-blocking descriptor in *fd_r, or -1 with
 * *error_r (allocated).  The name lookup is bounded too (resolve_host):
 * by the armed deadline and the idle timeout, and the stop flag ends it.
 */
int imap_guard_connect(struct imap_guard *g, const char *host, uint16_t port,
		       int *fd_r, char **error_r);

#endif
