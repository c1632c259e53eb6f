/*
 * outboxdir - the outbox-directory mailer backend: one .eml file per message.
 *
 * Used when [smtp] has no url (the embedded default), for dry runs and for
 * tests.  Each message becomes PATH/YYYYMMDDTHHMMSSZ-PID-NNNNNN.eml (UTC
 * time from clock_now(), so --now shows in the names; NNNNNN counts the
 * messages of this process, zero-padded so that names sort in order).  The file appears
 * atomically: it is written under a dot-name, fsynced, then linked to its
 * final name (link never replaces an existing file: a clash takes the next
 * counter) and the directory is fsynced.  A reader that ignores dot-files
 * never sees a partial message.
 *
 * The file holds the message exactly as given, preceded by two header lines
 * that record the envelope, which a file cannot otherwise carry:
 *
 *     X-Redress-Envelope-From: <bounces@example.com>      (<> for null)
 *     X-Redress-Envelope-To: <customer@example.org>
 *
 * Ownership: outboxdir_close frees and NULLs.  Errors are allocated.
 */
#ifndef REDRESS_OUTBOXDIR_H
#define REDRESS_OUTBOXDIR_H

#include <stddef.h>

#include "net/mailer.h"

struct outboxdir;

/*
 * Opens (and creates, with mode 0750, missing parents included) the
 * directory.  Returns 0, or -1 with *error_r.
 */
int outboxdir_open(const char *path, struct outboxdir **o_r, char **error_r);

/* As mailer_send.  A full disk or an I/O error is MAILER_TEMPFAIL; a
 * permission problem is MAILER_CONFIG. */
enum mailer_status outboxdir_send(struct outboxdir *o, const char *from,
				  const char *rcpt, const char *data,
				  size_t len, char **error_r);

/* The file name (without directory) of the last message written, or NULL;
 * valid until the next send or close. */
const char *outboxdir_last_name(const struct outboxdir *o);

void outboxdir_close(struct outboxdir **o);

#endif
