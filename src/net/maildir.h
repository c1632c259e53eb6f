/*
 * maildir - the messages of a maildir, a message source for ingest.
 *
 * A maildir holds one message per file in cur/ and new/ (tmp/ is mail
 * still being delivered, and is left alone).  Files whose names start
 * with "." are skipped; the rest are taken in name order, cur/ first, so
 * that a run over the same maildir goes the same way.
 */
#ifndef REDRESS_NET_MAILDIR_H
#define REDRESS_NET_MAILDIR_H

#include <stdbool.h>

/* True when path is a directory with a cur/ directory in it. */
bool maildir_is(const char *path);

/*
 * Calls each(ctx, file) with the path of every message file of the
 * maildir at path (a subdirectory that cannot be read has none).
 * Returns 0, or the first negative value each returned (which stops the
 * walk).
 */
int maildir_each(const char *path, int (*each)(void *ctx, const char *file), void *ctx);

#endif
