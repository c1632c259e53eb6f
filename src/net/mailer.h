/*
 * mailer - hands one finished message to the outside world.
 *
 * The outbox (the queue in the store) decides what to send and when; a
 * mailer only delivers.  Two backends sit behind this interface: SMTP
 * through libcurl (smtp.c) when [smtp] url is set, else an outbox directory
 * (outboxdir.c) that receives one .eml file per message, which is the
 * embedded default and what tests and dry runs use.
 *
 * Every failure is classed so that the caller can act without parsing text:
 * MAILER_TEMPFAIL (a 4xx reply to this message, a full disk: try this one
 * again later), MAILER_PERMFAIL (a 5xx reply to this message or recipient:
 * do not retry), MAILER_CONFIG (the setup is wrong: bad certificate, login
 * refused, STARTTLS missing; every later message would fail the same way,
 * so alert the operator), MAILER_DOWN (the server could not be reached,
 * did not answer in time, hung up, or refused the session for now: try
 * later, and do not make every other message wait the same way now),
 * MAILER_UNCERTAIN (the whole message went out, final dot included, and no
 * reply came: the server may have accepted it, RFC 1047, so a retry may
 * deliver a second copy) and MAILER_STOPPED (the progress hook asked to
 * stop before the message was complete: nothing was delivered).
 *
 * Ownership: the caller owns the struct mailer from mailer_open until
 * mailer_close (which NULLs the pointer), and frees every *error_r string.
 * No password or user name ever appears in an error string or in the log.
 */
#ifndef REDRESS_MAILER_H
#define REDRESS_MAILER_H

#include <stdbool.h>
#include <stddef.h>


enum mailer_status {
	MAILER_OK = 0,
	MAILER_TEMPFAIL,
	MAILER_PERMFAIL,
	MAILER_CONFIG,
	MAILER_DOWN,
	MAILER_UNCERTAIN,
	MAILER_STOPPED,
};

struct mailer;

/* Hard cap on one message, so a composition bug cannot fill a disk. */
#define MAILER_MAX_MESSAGE (64UL * 1024 * 1024)
/* Cap on an envelope address (RFC 5321 allows 256 octets in a path). */
#define MAILER_MAX_ADDRESS 320

/* Where mail goes, from [smtp] and [outbox] of redress.conf(5). */
struct mailer_options {
	const char *outbox_path;  /* the outbox directory, when url is unset */
	const char *url;          /* smtp://host[:port][/ehlo] or smtps://; NULL
				   * or "": the outbox directory */
	const char *user;         /* NULL or "": no AUTH */
	const char *password;     /* with user; the caller read it (its file
				   * too), and wipes it after mailer_open */
	const char *tls;          /* implicit | starttls | none; NULL: by scheme */
	const char *ca_file;      /* NULL: the system store */
	long timeout;             /* seconds: connect, each reply */
	const char *where;        /* "FILE:LINE" of the url, for errors */
	int trace;                /* log the SMTP dialogue (AUTH hidden) */
};

/*
 * SMTP when opt->url is set (and not empty), else the outbox directory
 * opt->outbox_path (created with mode 0750 if missing).  Connects lazily:
 * the first mailer_send opens the connection.  Returns 0, or -1 with an
 * allocated *error_r on a bad URL, a tls setting that contradicts the URL,
 * credentials inside the URL, an outbox directory that cannot be created,
 * etc.  The password is copied into libcurl's own memory.
 */
int mailer_open(const struct mailer_options *opt, struct mailer **m_r, char **error_r);

/*
 * Sends one message to one recipient.  data is a complete RFC 5322 message
 * with CRLF line ends; it is sent unaltered (SMTP dot-stuffing aside).  A
 * message with a bare CR or LF, a NUL byte, or more than MAILER_MAX_MESSAGE
 * bytes is refused with MAILER_PERMFAIL before anything is sent: bare line
 * ends are how SMTP smuggling starts.  envelope_from may be "" for the null
 * sender; addresses are bare (no angle brackets).  Returns MAILER_OK, or a
 * failure status with an allocated *error_r holding the server's final
 * reply ("550 5.1.1 <x@y>: Recipient address rejected") or the reason
 * ("connection to mail.example.com:587 failed: Connection refused").
 */
enum mailer_status mailer_send(struct mailer *m, const char *envelope_from,
			       const char *rcpt, const char *data, size_t len,
			       char **error_r);

/*
 * A hook called about once a second while a message is on its way over
 * SMTP (not at all for the outbox directory, which does not wait):
 * committed is 0 until the final dot may have left, 1 after.  The hook may
 * do other work (the outbox renews its claims there); returning non-zero
 * while committed is 0 abandons the message (MAILER_STOPPED); once
 * committed, the reply is awaited whatever the hook returns, since
 * abandoning it then could not undo a delivery.  fn NULL: no hook.
 */
void mailer_set_progress(struct mailer *m, int (*fn)(void *ctx, int committed),
			 void *ctx);

/* "smtp" or "outbox"; static. */
const char *mailer_kind(const struct mailer *m);

/* "ok", "tempfail", "permfail", "config", "down", "uncertain" or
 * "stopped"; static. */
const char *mailer_status_name(enum mailer_status status);

/* SMTP connections opened so far (0 for the outbox): a batch that kept
 * its connection shows 1.  For tests and benchmarks. */
long mailer_connections(const struct mailer *m);

/* Sends QUIT on an open SMTP connection, frees everything, NULLs *m. */
void mailer_close(struct mailer **m);

/*
 * Checks an envelope address: local@domain, both parts non-empty, at most
 * MAILER_MAX_ADDRESS bytes, no whitespace, control characters, angle
 * brackets, quotes, backslashes, parentheses, commas or semicolons (quoted
 * local parts are refused: nobody we answer needs one, and they are how
 * extra SMTP parameters get smuggled).  UTF-8 is let through; the server
 * decides.  "" passes only when null_ok.  Returns 0, or -1 with a static
 * reason in *why_r.
 */
int mailer_check_address(const char *addr, int null_ok, const char **why_r);

#endif
