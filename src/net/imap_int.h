/*
 * imap_int - what the files of the imap module share: the session, the
 * limits it keeps a server to, and the helpers every exchange uses.
 * imap.c connects, waits and closes; imap_url.c reads the settings;
 * imap_tls.c checks certificates; imap_fetch.c fetches and marks.  Not for
 * other modules: they see struct imap_session through imap.h.
 */
#ifndef REDRESS_NET_IMAP_INT_H
#define REDRESS_NET_IMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libetpan/libetpan.h>

#include "net/imap.h"
#include "net/imap_guard.h"

#define IMAP_URL_MAX 2048
#define IMAP_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
#define IMAP_CHAIN_MAX 16
/* One UID FETCH answer is held in memory twice by libetpan (the raw
 * response and the parsed literals): keep each one below this. */
#define IMAP_CHUNK_BYTES (16u * 1024 * 1024)
#define IMAP_CHUNK_MSGS 1000
/* Listed UIDs handled as one slice (bounds the bookkeeping per answer). */
#define IMAP_SLICE 50000u
/* RFC 2177: re-issue IDLE before the server's 30-minute limit. */
#define IMAP_IDLE_RENEW (28 * 60)
#define IMAP_SERVER_TEXT_MAX 200
/* What a server may send (doc/design.md, "IMAP bounds"): a line outside
 * literals; the text outside literals of one answer, apart from FETCH
 * responses (libetpan keeps all of it, and its parsed form of a flag list
 * is many times larger); the FETCH responses of an answer with bodies
 * (kept too), and of a listing (handed over one by one, only the text is
 * kept: ~40 bytes per message, so about 1.5 million new messages); a
 * literal in an answer without message bodies, and all of them together. */
#define IMAP_LINE_MAX (1024u * 1024)
#define IMAP_TEXT_MAX (1024u * 1024 + 64 * 1024)
#define IMAP_FETCH_TEXT_MAX (1024u * 1024)
#define IMAP_LISTING_MAX (64u * 1024 * 1024)
#define IMAP_SMALL_LITERAL (64u * 1024)
#define IMAP_SMALL_LITERALS (1024u * 1024)
/* All literals of one answer with bodies: chunks are planned at 16 MB by
 * the sizes the listing gave; this leaves room for sizes a server got
 * wrong. */
#define IMAP_BODY_LITERALS (64u * 1024 * 1024)
/* The slowest transfer of message bodies that is not taken for an attack:
 * an answer gets one more second per this many bytes. */
#define IMAP_MIN_RATE (64.0 * 1024)
/* SELECT, listings, searches and marks make the server work through the
 * mailbox: their answers get this many times [imap] timeout. */
#define IMAP_MAILBOX_FACTOR 3
/* A fetch round stops taking new answers after this long (and says so),
 * so that "redress run" gets back to sending and ticking. */
#define IMAP_ROUND_SECONDS 300

struct imap_session {
	mailimap *imap;           /* owned */
	struct imap_guard *guard; /* owned; outlives imap's stream */
	char *host;               /* owned */
	uint16_t port;
	char *mailbox;            /* owned */
	char *move_folder;        /* owned; NULL: processed = flag */
	char *keyword;            /* owned; flag mode */
	uint32_t uidvalidity;
	size_t batch;
	size_t max_size;          /* bodies are fetched as max_size + 1 bytes */
	int timeout;              /* [imap] timeout, seconds */
	bool has_move;
	bool has_uidplus;
	bool has_idle;
	bool idle_setup;
	bool broken;              /* a stream error happened: no LOGOUT */
};

enum imap_exchange {
	IMAP_X_SHORT,     /* greeting, CAPABILITY, STARTTLS, LOGIN, NOOP, IDLE */
	IMAP_X_MAILBOX,   /* SELECT, LIST, listings, searches, marks */
};

/* The server's last response code libetpan does not know by name, checked
 * against name (RFC 5530's UNAVAILABLE, ...). */
bool imap_server_code_is(const struct imap_session *s, const char *name);
/* The text of the server's last answer, quoted and cut for messages; static. */
const char *imap_server_text(const struct imap_session *s);
/* True for libetpan's codes of a broken stream. */
bool imap_is_stream_error(int r);
/* Whether the server's text says to try again later. */
bool imap_text_says_temporary(const struct imap_session *s);
/* Fails a command: *error_r ("doing: why"), *temporary_r; a stream error
 * marks the session broken. */
void imap_fail(struct imap_session *s, int r, const char *doing, char **error_r,
	      bool *temporary_r);
/* Arms the guard for one command and its answer, without message bodies. */
void imap_arm(struct imap_session *s, enum imap_exchange kind);
/* Arms it for an answer carrying message bodies of about bytes in all. */
void imap_arm_bodies(struct imap_session *s, uint64_t bytes);
/* libetpan's TLS callback: sets SNI to the session's host. */
void imap_tls_callback(struct mailstream_ssl_context *ctx, void *data);
/* Verifies the peer's chain against ca_file (NULL: the system store) and
 * the host name: 0, or -1 with *error_r and *temporary_r. */
int imap_verify_tls(struct imap_session *s, const char *ca_file, char **error_r,
		    bool *temporary_r);
/* Monotonic seconds. */
double imap_now(void);

#endif
