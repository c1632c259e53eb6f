/*
 * fetch - mail from the IMAP mailbox into intake, a round at a time.
 *
 * The fetcher that "redress fetch" and "redress run" share.  It holds the
 * fetch lock of its mailbox in the store (one fetcher per mailbox), connects
 * when it has no connection, and each round takes what is new since the
 * last UID it committed: every message goes through intake, several to a
 * store transaction ([imap] batch), and the transaction that ends a batch
 * also records the mailbox's UIDVALIDITY and last UID and refreshes the
 * lock.  Only after that commit does the server mark or move the messages
 * (imap.h), so a crash means a message is fetched again, which intake
 * recognises, never that one is lost.  A changed UIDVALIDITY reads the
 * whole mailbox again.
 *
 * Ownership: the fetcher borrows the configuration and the store (the
 * caller keeps them alive; fetch_reconfigure swaps the configuration) and
 * the intake during a round, and copies the password.  fetch_free releases the
 * lock and closes the connection.  Errors of a round are logged (a
 * daemon has nobody else to tell) and returned as -1.
 */
#ifndef REDRESS_CASE_FETCH_H
#define REDRESS_CASE_FETCH_H

#include <stdbool.h>

struct config;
struct intake;
struct store;
struct fetcher;

/* What the fetcher took in, by intake outcome. */
struct fetch_counts {
	unsigned long fetched, fresh, joined, dups, held;
};

/*
 * A fetcher for cfg's mailbox: takes its fetch lock.  stop (set by SIGTERM)
 * ends every network wait within about a second.  Returns 1 and *f_r; 0
 * when another live fetcher holds the lock; -1 with *error_r on a store
 * error.
 */
int fetch_new(const struct config *cfg, struct store *st, const char *password,
	      volatile const bool *stop, struct fetcher **f_r, char **error_r);
/* After a reload: the new configuration and password (copied); the
 * connection is closed, to be opened again with the new settings. */
void fetch_reconfigure(struct fetcher *f, const struct config *cfg, const char *password);
/*
 * One round: connects if needed and fetches what is new into in.  0 when all of it
 * was taken, 1 when the round stopped early with more mail waiting (call
 * again at once), -1 when it failed (logged; the connection is closed, and
 * *permanent_r says whether retrying can help: a bad login or certificate
 * cannot).
 */
int fetch_round(struct fetcher *f, struct intake *in, bool *permanent_r);
/* The wait before the next try: after a failure 1, 2, 4 ... seconds, at
 * most FETCH_BACKOFF_MAX; 0 after a success. */
int fetch_backoff(struct fetcher *f, bool failed);
/*
 * Waits up to seconds for new mail on the open connection (IDLE, or a
 * poll): 1 when it waited (a connection that broke meanwhile is closed,
 * logged), 0 when there is no connection to wait on.
 */
int fetch_idle(struct fetcher *f, int seconds);
bool fetch_connected(const struct fetcher *f);
const struct fetch_counts *fetch_counts(const struct fetcher *f);
/* NULL-safe; releases the lock, closes, sets *f to NULL. */
void fetch_free(struct fetcher **f);

#define FETCH_BACKOFF_MAX 300
/* RFC 2177: re-issue IDLE before 29 minutes. */
#define FETCH_IDLE_MAX (29 * 60)

#endif
