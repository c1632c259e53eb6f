/*
 * smtp - the SMTP mailer backend, on libcurl.
 *
 * One libcurl easy handle per struct smtp, reused for every message, so a
 * batch travels over one (authenticated) connection; libcurl reconnects by
 * itself after a failure or when the server has closed an idle connection.
 * One recipient per transaction, so a rejected recipient is never dropped
 * silently.  TLS: smtps:// is implicit TLS; smtp:// requires STARTTLS
 * (CURLUSESSL_ALL: a server that does not offer it is an error, never a
 * silent fallback to plain text) unless tls = none.  Certificates are always
 * verified when TLS is used.
 *
 * Normally reached through mailer.h; this header exists so that mailer.c
 * can dispatch and tests can drive the backend directly.
 *
 * Ownership: smtp_open copies everything it needs from opt (the password
 * goes into libcurl's own copy and ours is wiped); smtp_close frees and
 * NULLs.  Errors are allocated strings for the caller to free, and never
 * contain the user name or the password: the AUTH exchange is kept out of
 * the debug log and out of the captured server reply.
 */
#ifndef REDRESS_SMTP_H
#define REDRESS_SMTP_H

#include <stddef.h>

#include "net/mailer.h"

struct smtp;

/* One message, from connecting to the reply to its final dot, is given up
 * after this many [smtp] timeouts in all (a server that drips its replies
 * byte by byte defeats every per-reply timeout). */
#define SMTP_ATTEMPT_TIMEOUTS 4

struct smtp_options {
	const char *url;      /* smtp://host[:port][/ehlo-name] or smtps:// */
	const char *user;     /* NULL or "": no AUTH */
	const char *password; /* with user */
	const char *tls;      /* "implicit", "starttls", "none" or NULL: by scheme */
	const char *ca_file;  /* NULL: the system store */
	long timeout;         /* seconds: connect, each reply, a stalled upload;
			       * one message takes SMTP_ATTEMPT_TIMEOUTS times
			       * it at most, whatever the server does */
	const char *where;    /* "FILE:LINE" of the url, for errors; may be NULL */
	int trace;            /* log the dialogue (AUTH hidden) at debug level */
};

/*
 * Checks the options and prepares the handle; does not connect.  Returns 0,
 * or -1 with *error_r (a malformed URL, a scheme other than smtp/smtps,
 * credentials inside the URL, a tls value that contradicts the scheme).
 */
int smtp_open(const struct smtp_options *opt, struct smtp **s_r,
	      char **error_r);

/* As mailer_send; the addresses must already have passed
 * mailer_check_address. */
enum mailer_status smtp_send(struct smtp *s, const char *from,
			     const char *rcpt, const char *data, size_t len,
			     char **error_r);

/* As mailer_set_progress. */
void smtp_set_progress(struct smtp *s, int (*fn)(void *ctx, int committed),
		       void *ctx);

/* Connections opened so far (1 for a batch that reused its connection). */
long smtp_connections(const struct smtp *s);

/* Closes the connection (QUIT) and frees; NULL-safe, NULLs *s. */
void smtp_close(struct smtp **s);

#endif
