/*
 * mbox - the messages of an mbox file, a message source for ingest.
 *
 * An mbox (RFC 4155) is messages one after another, each starting with a
 * "From " line; a "From " line starts a message only after an empty line
 * (or at the start of the file).  Lines quoted as ">From " (mboxrd) lose
 * one ">".  The blank line before the next separator belongs to the
 * format, not to the message.
 *
 * Pure functions over a buffer in memory; mbox_split rewrites the buffer
 * in place (the unquoting).  No limits of their own: the caller read the
 * file with a cap, and intake caps each message.
 */
#ifndef REDRESS_NET_MBOX_H
#define REDRESS_NET_MBOX_H

#include <stdbool.h>
#include <stddef.h>

/* True when data starts with a "From " line followed by a header line:
 * an mbox, not a single message that happens to start with "From ". */
bool mbox_looks_like(const char *data, size_t len);

/*
 * Calls each(ctx, message, len, n) for every message of the mbox in
 * data, n counting from 1.  data must start with a "From " line; it is
 * changed in place.  Returns 0, or the first non-zero value each
 * returned (which stops the walk).
 */
int mbox_split(char *data, size_t len,
	       int (*each)(void *ctx, const char *msg, size_t len, size_t n), void *ctx);

#endif
