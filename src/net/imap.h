/*
 * imap - the IMAP transport: connect, verify TLS, log in, fetch new
 * messages by UID in batches, mark or move them after the caller's commit,
 * wait for new mail (IDLE or polling).
 *
 * It knows nothing of the store: the caller passes the last UID it has
 * committed and receives the messages through a sink.  The contract that
 * keeps mail from being lost (doc/mail-rules.md §4, doc/contract.md invariant 1) is the
 * order inside imap_fetch_new: fetch a batch with BODY.PEEK[] (no \Seen),
 * hand each message to the sink, let the sink commit, and only then mark or
 * move the batch on the server.  A crash anywhere before the commit means
 * the batch is fetched again; intake's dedup absorbs that.
 *
 * Errors: every function that can fail returns -1 with an allocated
 * message in *error_r (the caller frees it; it never contains the
 * password) and, where the prototype has one, *temporary_r: true for
 * network trouble and timeouts (reconnect later), false for what a retry
 * will not fix (authentication refused, bad certificate, missing mailbox,
 * contradictory configuration).  After any error from imap_fetch_new or
 * imap_wait the session must be closed and a new one connected.
 */
#ifndef REDRESS_IMAP_H
#define REDRESS_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_session;

/* The [imap] settings as written in redress.conf(5), and [intake]
 * max_size; NULL strings are unset. */
struct imap_settings {
	const char *url;          /* imap://USER@HOST:PORT/MAILBOX or imaps:// */
	const char *tls;          /* implicit | starttls | none; NULL: by scheme */
	const char *user;         /* NULL: the URL's */
	const char *ca_file;      /* NULL: the system store */
	const char *processed;    /* "flag" or "move:FOLDER" */
	const char *keyword;      /* with flag */
	long timeout;             /* seconds, every network wait */
	long batch;               /* messages per commit */
	long max_size;            /* bytes of one message; larger ones are held */
};

enum imap_tls_mode {
	IMAP_TLS_IMPLICIT,
	IMAP_TLS_STARTTLS,
	IMAP_TLS_NONE,
};

/* What imap_connect needs, parsed and checked once (at load); owned
 * strings, released by imap_options_clear. */
struct imap_options {
	char *host;
	uint16_t port;            /* 993 or 143 unless the URL names one */
	enum imap_tls_mode tls;
	char *user;
	char *mailbox;            /* "INBOX" when the URL has none */
	char *ca_file;            /* NULL: the system store */
	char *move_folder;        /* NULL: processed = flag */
	char *keyword;            /* flag mode */
	int timeout;
	size_t batch;
	size_t max_size;
};

/*
 * Reads the settings as imap_connect will use them (URL, tls, user,
 * keyword, processed), without connecting: 0 and *opt, or -1 and
 * *error_r (allocated, without the setting's FILE:LINE: the caller knows
 * where it came from).
 */
int imap_options_parse(const struct imap_settings *in, struct imap_options *opt,
		       char **error_r);
void imap_options_clear(struct imap_options *opt);

/*
 * What the caller lends the session for its network waits (all optional):
 * a stop flag (set by SIGTERM: every wait gives up within a second or
 * so, and the call fails), and a heartbeat called at most every
 * heartbeat_every seconds while the session waits on the server (the
 * fetcher refreshes its lock there; -1 with an allocated *error_r fails
 * the call in progress).  Copied by imap_connect; stop must stay valid.
 */
struct imap_hooks {
	volatile const bool *stop;
	int (*heartbeat)(void *ctx, char **error_r);
	void *ctx;
	int heartbeat_every;
};

/*
 * Connects to opt's server (implicit TLS, or STARTTLS, which is required
 * unless tls is none: a server that does not offer it is refused, never
 * used in clear), verifies the certificate chain against opt->ca_file or
 * the system store (/etc/ssl/certs/ca-certificates.crt) and the host name,
 * logs in as opt->user with password (the caller read it from
 * password_file), and SELECTs the mailbox.  With a move folder it also
 * checks that the folder exists and that the server can move safely
 * (MOVE, or UIDPLUS for COPY + UID EXPUNGE).
 *
 * Bounds (doc/design.md, "IMAP bounds"): nothing is waited for longer than
 * opt->timeout seconds without a byte moving; every exchange (a command and
 * its whole answer) must end within opt->timeout seconds (three times that
 * for SELECT, listings, searches and marks, plus one second per 64 KiB of
 * message bodies it carries); no line of an answer may exceed 1 MiB
 * outside literals, no answer 4 MiB of text, no literal opt->max_size + 1
 * bytes.  A server that breaks one of these gets a temporary error and its
 * connection closed.  hooks may be NULL.  Returns 0 and a session the
 * caller closes with imap_close, or -1 (see above).
 */
int imap_connect(const struct imap_options *opt, const char *password,
		 const struct imap_hooks *hooks, struct imap_session **s_r,
		 char **error_r, bool *temporary_r);

/* The selected mailbox's UIDVALIDITY (0 if the server sent none). */
uint32_t imap_uidvalidity(const struct imap_session *s);

/* The mailbox name from the URL, as SELECTed; owned by the session. */
const char *imap_mailbox(const struct imap_session *s);

/* Where the fetched messages go. */
struct imap_sink {
	void *ctx;
	/*
	 * One message.  raw is owned by the fetcher and valid only during the
	 * call.  Every body is fetched as its first max_size + 1
	 * bytes, so a larger message arrives cut to that length and intake
	 * sees that it is too large and holds it.  hold is NULL for a message
	 * the server delivered; otherwise the server would not deliver it (a
	 * NO to its fetch, or BODY[] NIL), raw is empty, and hold says why:
	 * the sink must store it held with that reason, so that one bad
	 * message never stalls the rest.  Return 0 to go on, or -1 with
	 * *error_r (allocated) and *temporary_r set to stop: what the sink
	 * took since its last commit is then neither committed nor marked.
	 */
	int (*message)(void *ctx, uint32_t uidvalidity, uint32_t uid,
		       const char *raw, size_t len, const char *hold,
		       char **error_r, bool *temporary_r);
	/*
	 * Called after every batch messages, at the end of each
	 * answer, and when last_uid advances without new messages, always
	 * before the messages are marked on the server: the sink commits its
	 * transaction and records (uidvalidity, last_uid).  last_uid never
	 * passes a UID that was listed but neither stored nor proven gone.
	 * Return 0, or -1 with *error_r and *temporary_r set.
	 */
	int (*commit)(void *ctx, uint32_t uidvalidity, uint32_t last_uid,
		      char **error_r, bool *temporary_r);
	/* Optional: something the operator should know (a message listed
	 * but not delivered).  text is valid during the call. */
	void (*note)(void *ctx, const char *text);
};

/*
 * Fetches every message with UID > last_uid (pass 0 when the stored
 * UIDVALIDITY differs from imap_uidvalidity(): a full rescan), calls
 * sink->message for each and sink->commit as the sink struct says, then
 * marks what is committed: "flag" adds \Seen and the keyword;
 * "move:FOLDER" uses UID MOVE when the server has MOVE, else UID COPY +
 * \Deleted + UID EXPUNGE of exactly those UIDs.  Nothing is ever marked
 * before its commit, and nothing is marked that was not stored.
 *
 * The mailbox is listed once (UID FETCH n:* (UID RFC822.SIZE)).  For
 * speed, one UID FETCH asks for up to 1000 messages or 16 MB, and the
 * next one is sent before the sink sees the current answer; marks are
 * sent once per answer.  A crash after a commit but before its mark leaves
 * committed mail unmarked, which UID tracking alone would never revisit:
 * so each call first marks (or moves) any message with UID <= last_uid
 * that is still unmarked (flag: lacks the keyword; move: still in the
 * mailbox).
 *
 * A UID the listing gave but the answer lacks is asked for once more
 * (UID FETCH of the UIDs alone): if the server no longer lists it, it was
 * expunged and last_uid may pass it; if it does, last_uid stays below it
 * (sink->note says so) and the next call asks again.  A NO to one message
 * hands it to the sink with a hold reason, except a temporary one
 * ([UNAVAILABLE], [INUSE], [LIMIT]), which fails the call (temporary) and
 * leaves the message unmarked for the next call.
 *
 * *fetched_r gets the number of messages handed to the sink (also on
 * error).  Returns 0 when everything was fetched, 1 when the call stopped
 * early after 5 minutes of fetching (what it took is committed and marked;
 * call again for the rest), or -1 (error_r/temporary_r as above;
 * committed messages stay committed even if marking failed: the next call
 * marks them).
 */
int imap_fetch_new(struct imap_session *s, uint32_t last_uid,
		   const struct imap_sink *sink, size_t *fetched_r,
		   char **error_r, bool *temporary_r);

/*
 * Waits for new mail for at most seconds.  With IDLE (RFC 2177) the IDLE
 * command is re-issued every 28 minutes; without it this sleeps and then
 * sends a NOOP.  Returns 1 when something may have arrived (any server
 * notice during IDLE; always after a poll interval), 0 on timeout or when
 * *stop became true (looked at at least once a second, so SIGTERM is
 * honoured quickly), -1 with *error_r on a broken connection (reconnect).
 * The session is ready for imap_fetch_new again when it returns 0 or 1,
 * unless the wait ended because of *stop: then it is only good for
 * imap_close.  The heartbeat runs during the wait.
 */
int imap_wait(struct imap_session *s, int seconds, volatile const bool *stop,
	      char **error_r);

/* Sends LOGOUT (best effort, not after a stop), frees the session, sets
 * *s to NULL.  NULL-safe. */
void imap_close(struct imap_session **s);

/*
 * Splits an imap:// or imaps:// URL.  On success returns 0 with
 * *implicit_tls_r (true for imaps), *host_r (allocated; brackets of an IPv6
 * literal removed), *port_r (0 when the URL has none), *user_r (allocated
 * user from "user@host", percent-decoded, or NULL) and *mailbox_r
 * (allocated, percent-decoded path, "INBOX" when empty).  A password in the
 * URL is refused: it belongs in password_file.  Exposed for the tests.
 */
int imap_parse_url(const char *url, bool *implicit_tls_r, char **host_r,
		   uint16_t *port_r, char **user_r, char **mailbox_r,
		   char **error_r);

#endif
