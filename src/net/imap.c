/*
 * imap - the IMAP transport over libetpan.  See imap.h for the API.
 *
 * Public functions: imap_options_parse, imap_options_clear, imap_connect,
 * imap_uidvalidity, imap_mailbox, imap_fetch_new, imap_wait, imap_close,
 * imap_parse_url.
 *
 * Ownership: struct imap_session owns the libetpan session and every
 * string in it.  libetpan's own rules (LIBS.md) are followed to the letter:
 * sets, fetch types and store attributes we build are ours to free; a fetch
 * or list result is freed only on success (on a NO reply libetpan 1.9.4
 * frees it itself and leaves the pointer dangling, so results start NULL
 * and are touched only after MAILIMAP_NO_ERROR); every constructor takes
 * ownership of its pointer arguments, so the keyword is xstrdup'ed.
 *
 * TLS: Debian's libetpan (GnuTLS build) checks no certificate at all.  We
 * set SNI in the connect callback, then, after the handshake and before
 * anything secret is sent, take the peer's chain and verify it ourselves
 * with a GnuTLS trust list (ca_file, else the system store) including the
 * host name.  STARTTLS is required for imap:// unless tls = none, and a
 * server that does not offer it is refused, never used in clear.
 *
 * Bounds: every byte goes through imap_guard (imap_guard.h), a stream
 * driver of ours around libetpan's socket or TLS one, armed before each
 * exchange with that exchange's deadline and literal caps (imap_arm,
 * imap_arm_bodies).  We connect the socket ourselves and do STARTTLS
 * ourselves, so that the greeting and everything after it is read through
 * the guard.  Which exchange gets which bounds: doc/design.md, "IMAP
 * bounds".
 *
 * Fetching: a listing (UID FETCH n:* (UID RFC822.SIZE), filtered: it
 * always returns the highest UID; taken response by response), then, in
 * slices of IMAP_SLICE listed UIDs, bodies (always BODY.PEEK[]<0.max_size+1>,
 * so no literal may be larger) in answers of up to 1000 messages, one
 * command always in flight while the sink works (built from libetpan's
 * public pieces, since mailimap_uid_fetch waits), commits every batch and
 * at the end of each answer (no store transaction stays open across a
 * network wait), marks once per answer, and a repair pass for committed
 * but unmarked mail left by a crash.  Each listed UID has a state
 * (enum imap_state); last_uid only passes UIDs stored or proven gone.
 *
 * Errors: -1 with an allocated message (server text quoted, cut, control
 * characters replaced; the password never appears because it is only ever
 * handed to mailimap_login and no logger is installed) and a temporary
 * flag, as imap.h says.  Any stream-level error marks the session broken:
 * imap_close then skips LOGOUT instead of waiting for a dead peer.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "base/buf.h"
#include "base/xmem.h"
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

/* What is known about one listed UID. */
enum imap_state {
	IMAP_PENDING,             /* listed, not answered yet */
	IMAP_HANDED,              /* handed to the sink, not committed yet */
	IMAP_STORED,              /* committed */
	IMAP_MARKED,              /* committed and marked (or moved) */
	IMAP_MISSING,             /* not in the answer: gone, or held back? */
	IMAP_ABSENT,              /* no longer listed: expunged meanwhile */
	IMAP_UNDELIVERED,         /* still listed but not delivered */
};

struct imap_entry {
	uint32_t uid;
	uint32_t size;            /* RFC822.SIZE */
	enum imap_state state;
};

/* ------------------------------------------------------------------ */
/* errors */

/*
 * The response code of the server's last answer that libetpan does not
 * know by name (RFC 5530's UNAVAILABLE, EXPUNGEISSUED, ...), or NULL.
 * libetpan keeps it apart from the text (imap_response has none of it).
 */
static const char *
imap_server_code(const struct imap_session *s)
{
	const struct mailimap_response_info *ri =
		s->imap != NULL ? s->imap->imap_response_info : NULL;

	return ri != NULL ? ri->rsp_atom : NULL;
}

/* Did the server's last answer carry the response code [name]? */
static bool
imap_server_code_is(const struct imap_session *s, const char *name)
{
	const char *code = imap_server_code(s);
	const char *r = s->imap != NULL ? s->imap->imap_response : NULL;
	char *bracketed;
	bool in_text;

	if (code != NULL && strcasecmp(code, name) == 0)
		return true;
	if (r == NULL)
		return false;
	bracketed = xasprintf("[%s]", name);
	in_text = strstr(r, bracketed) != NULL;
	free(bracketed);
	return in_text;
}

/* The server's last response code and text, cut and made printable;
 * static. */
static const char *
imap_server_text(const struct imap_session *s)
{
	static char text[IMAP_SERVER_TEXT_MAX + 4];
	const char *r = s->imap != NULL ? s->imap->imap_response : NULL;
	const char *code = imap_server_code(s);
	char *all;
	size_t i;

	if ((r == NULL || *r == '\0') && code == NULL)
		return "(no text from the server)";
	all = xasprintf("%s%s%s%s", code != NULL ? "[" : "",
			code != NULL ? code : "", code != NULL ? "] " : "",
			r != NULL ? r : "");
	for (i = 0; i < IMAP_SERVER_TEXT_MAX && all[i] != '\0'; i++)
		text[i] = (all[i] >= 0x20 && all[i] < 0x7f) ? all[i] : '?';
	text[i] = '\0';
	if (all[i] != '\0')
		memcpy(text + i, "...", 4);
	free(all);
	return text;
}

/* Stream, parse and fatal errors leave the session unusable. */
static bool
imap_is_stream_error(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	       r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_SSL ||
	       r == MAILIMAP_ERROR_PROTOCOL ||
	       r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	       r == MAILIMAP_ERROR_BAD_STATE || r == MAILIMAP_ERROR_MEMORY;
}

/* Response codes that say "try again later" (RFC 5530). */
static bool
imap_text_says_temporary(const struct imap_session *s)
{
	return imap_server_code_is(s, "UNAVAILABLE") ||
	       imap_server_code_is(s, "INUSE") ||
	       imap_server_code_is(s, "LIMIT") ||
	       imap_server_code_is(s, "SERVERBUG");
}

/*
 * Fills *error_r for a failed libetpan call: what we were doing, and either
 * the server's words (NO/BAD) or the kind of network failure.
 */
static void
imap_fail(struct imap_session *s, int r, const char *doing, char **error_r,
	  bool *temporary_r)
{
	const char *why = s->guard != NULL ? imap_guard_error(s->guard) : NULL;

	/* The guard's reason first: libetpan only sees the stream fail. */
	if (why != NULL) {
		s->broken = true;
		*error_r = xasprintf("%s: %s:%u: %s", doing, s->host,
				     (unsigned)s->port, why);
		*temporary_r = true;
		return;
	}
	if (imap_is_stream_error(r)) {
		s->broken = true;
		*error_r = xasprintf("%s: %s:%u: %s (libetpan error %d)", doing,
				     s->host, (unsigned)s->port,
				     r == MAILIMAP_ERROR_PARSE ?
				     "the server's answer could not be parsed" :
				     r == MAILIMAP_ERROR_PROTOCOL ?
				     "the server answered out of turn" :
				     "connection lost or timed out", r);
		*temporary_r = true;
		return;
	}
	*error_r = xasprintf("%s: server said: %s", doing, imap_server_text(s));
	*temporary_r = imap_text_says_temporary(s);
}

/* ------------------------------------------------------------------ */
/* exchanges */

enum imap_exchange {
	IMAP_X_SHORT,     /* greeting, CAPABILITY, STARTTLS, LOGIN, NOOP, IDLE */
	IMAP_X_MAILBOX,   /* SELECT, LIST, listings, searches, marks */
};

/* Arms the guard for one command and its answer, without message bodies. */
static void
imap_arm(struct imap_session *s, enum imap_exchange kind)
{
	double seconds = s->timeout;

	if (kind == IMAP_X_MAILBOX)
		seconds *= IMAP_MAILBOX_FACTOR;
	imap_guard_arm(s->guard, seconds, IMAP_SMALL_LITERAL, IMAP_SMALL_LITERALS,
		       IMAP_FETCH_TEXT_MAX);
}

/* Arms it for an answer carrying message bodies of about bytes in all. */
static void
imap_arm_bodies(struct imap_session *s, uint64_t bytes)
{
	uint64_t each = (uint64_t)s->max_size + 1;
	uint64_t total = each > IMAP_BODY_LITERALS ? each : IMAP_BODY_LITERALS;

	if (bytes > total)
		bytes = total;
	imap_guard_arm(s->guard, s->timeout + (double)bytes / IMAP_MIN_RATE, each,
		       total, IMAP_FETCH_TEXT_MAX);
}

/* ------------------------------------------------------------------ */
/* URL */

static int
imap_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes [p, p+n); refuses NUL, CR, LF and 8-bit bytes. */
static char *
imap_pct_decode(const char *p, size_t n, const char *what, char **error_r)
{
	struct buf b;
	size_t i;

	buf_init(&b, IMAP_URL_MAX);
	for (i = 0; i < n; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			int hi = -1, lo = -1;

			if (i + 2 < n) {
				hi = imap_hexval((unsigned char)p[i + 1]);
				lo = imap_hexval((unsigned char)p[i + 2]);
			}
			if (hi < 0 || lo < 0) {
				buf_free(&b);
				*error_r = xasprintf("bad %%-escape in the %s of the "
						     "imap url", what);
				return NULL;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || c == '\r' || c == '\n' || c >= 0x80) {
			buf_free(&b);
			*error_r = xasprintf("the %s of the imap url has a control "
					     "or 8-bit character (use IMAP's "
					     "modified UTF-7 for mailbox names)", what);
			return NULL;
		}
		(void)buf_putc(&b, (char)c);
	}
	return buf_steal(&b, NULL);
}

int
imap_parse_url(const char *url, bool *implicit_tls_r, char **host_r,
	       uint16_t *port_r, char **user_r, char **mailbox_r,
	       char **error_r)
{
	const char *p, *auth_end, *at, *hp, *host_end, *port_start = NULL;
	char *host = NULL, *user = NULL, *mailbox = NULL;
	unsigned long port = 0;
	size_t i;

	*host_r = *user_r = *mailbox_r = NULL;
	*port_r = 0;
	if (url == NULL || *url == '\0') {
		*error_r = xstrdup("no imap url configured");
		return -1;
	}
	if (strlen(url) > IMAP_URL_MAX) {
		*error_r = xstrdup("imap url too long");
		return -1;
	}
	if (strncasecmp(url, "imaps://", 8) == 0) {
		*implicit_tls_r = true;
		p = url + 8;
	} else if (strncasecmp(url, "imap://", 7) == 0) {
		*implicit_tls_r = false;
		p = url + 7;
	} else {
		*error_r = xasprintf("imap url must start with imap:// or "
				     "imaps://: %s", url);
		return -1;
	}
	auth_end = p + strcspn(p, "/?#");
	if (*auth_end == '?' || *auth_end == '#') {
		*error_r = xstrdup("imap url: queries and fragments are not "
				   "supported");
		return -1;
	}
	/* userinfo: the last '@' before the path */
	at = NULL;
	for (hp = p; hp < auth_end; hp++)
		if (*hp == '@')
			at = hp;
	hp = p;
	if (at != NULL) {
		if (memchr(p, ':', (size_t)(at - p)) != NULL) {
			*error_r = xstrdup("imap url: a password in the url is "
					   "refused; use password_file");
			return -1;
		}
		user = imap_pct_decode(p, (size_t)(at - p), "user", error_r);
		if (user == NULL)
			return -1;
		hp = at + 1;
	}
	if (*hp == '[') {
		host_end = memchr(hp, ']', (size_t)(auth_end - hp));
		if (host_end == NULL) {
			*error_r = xstrdup("imap url: unterminated [ in the host");
			goto fail;
		}
		host = xstrndup(hp + 1, (size_t)(host_end - hp - 1));
		host_end++;
		if (host_end < auth_end) {
			if (*host_end != ':') {
				*error_r = xstrdup("imap url: junk after ]");
				goto fail;
			}
			port_start = host_end + 1;
		}
	} else {
		host_end = memchr(hp, ':', (size_t)(auth_end - hp));
		if (host_end == NULL)
			host_end = auth_end;
		else
			port_start = host_end + 1;
		host = xstrndup(hp, (size_t)(host_end - hp));
	}
	if (*host == '\0') {
		*error_r = xstrdup("imap url: no host");
		goto fail;
	}
	for (i = 0; host[i] != '\0'; i++) {
		unsigned char c = (unsigned char)host[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != ':' && c != '_') {
			*error_r = xstrdup("imap url: bad character in the host");
			goto fail;
		}
	}
	if (port_start != NULL) {
		const char *q;

		if (port_start == auth_end) {
			*error_r = xstrdup("imap url: empty port");
			goto fail;
		}
		for (q = port_start; q < auth_end; q++) {
			if (!isdigit((unsigned char)*q) || port > 65535) {
				*error_r = xstrdup("imap url: bad port");
				goto fail;
			}
			port = port * 10 + (unsigned long)(*q - '0');
		}
		if (port == 0 || port > 65535) {
			*error_r = xstrdup("imap url: bad port");
			goto fail;
		}
	}
	if (*auth_end == '/' && auth_end[1] != '\0') {
		size_t n = strlen(auth_end + 1);

		/* a trailing slash names no folder */
		if (auth_end[n] == '/')
			n--;
		mailbox = imap_pct_decode(auth_end + 1, n, "mailbox", error_r);
		if (mailbox == NULL)
			goto fail;
	}
	if (mailbox == NULL || *mailbox == '\0') {
		free(mailbox);
		mailbox = xstrdup("INBOX");
	}
	*host_r = host;
	*port_r = (uint16_t)port;
	*user_r = user;
	*mailbox_r = mailbox;
	return 0;
fail:
	free(host);
	free(user);
	return -1;
}

/* ------------------------------------------------------------------ */
/* TLS */

static bool
imap_host_is_ip(const char *host)
{
	size_t i;
	bool only_digits_dots = true;

	if (strchr(host, ':') != NULL)
		return true;
	for (i = 0; host[i] != '\0'; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			only_digits_dots = false;
	return only_digits_dots;
}

/* Called by libetpan before the handshake: SNI (never for IP literals,
 * RFC 6066 §3). */
static void
imap_tls_callback(struct mailstream_ssl_context *ctx, void *data)
{
	struct imap_session *s = data;

	if (!imap_host_is_ip(s->host))
		(void)mailstream_ssl_set_server_name(ctx, s->host);
}

/* Turns GnuTLS verification status bits into words an admin can act on. */
static char *
imap_tls_reason(unsigned status)
{
	struct buf b;

	buf_init(&b, 1024);
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		(void)buf_puts(&b, ", unknown issuer (not signed by a trusted CA)");
	if (status & GNUTLS_CERT_EXPIRED)
		(void)buf_puts(&b, ", expired");
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		(void)buf_puts(&b, ", not yet valid");
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		(void)buf_puts(&b, ", name mismatch");
	if (status & GNUTLS_CERT_REVOKED)
		(void)buf_puts(&b, ", revoked");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		(void)buf_puts(&b, ", insecure algorithm");
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		(void)buf_puts(&b, ", issuer is not a CA");
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		(void)buf_puts(&b, ", bad signature");
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		(void)buf_puts(&b, ", not meant for a server");
	if (b.len == 0)
		(void)buf_printf(&b, ", rejected (status 0x%x)", status);
	{
		char *all = buf_steal(&b, NULL);
		char *out = xstrdup(all + 2);

		free(all);
		return out;
	}
}

/*
 * Verifies the peer's certificate chain and host name.  0, or -1 with
 * *error_r (a bad certificate is not temporary).
 */
static int
imap_verify_tls(struct imap_session *s, const char *ca_file, char **error_r,
		bool *temporary_r)
{
	gnutls_x509_crt_t certs[IMAP_CHAIN_MAX];
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_typed_vdata_st vdata;
	carray *chain;
	unsigned n = 0, i, status = 0;
	const char *trust = ca_file != NULL ? ca_file : IMAP_SYSTEM_CA;
	int ret, rc = -1;

	*temporary_r = false;
	chain = mailstream_get_certificate_chain(s->imap->imap_stream);
	if (chain == NULL || carray_count(chain) == 0) {
		*error_r = xasprintf("TLS to %s: the server sent no certificate",
				     s->host);
		goto out;
	}
	for (i = 0; i < carray_count(chain) && n < IMAP_CHAIN_MAX; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d;

		d.data = (unsigned char *)der->str;
		d.size = (unsigned)der->len;
		if (gnutls_x509_crt_init(&certs[n]) < 0)
			goto nomem;
		if (gnutls_x509_crt_import(certs[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(certs[n]);
			*error_r = xasprintf("TLS to %s: cannot parse the server's "
					     "certificate %u", s->host, i);
			goto out;
		}
		n++;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto nomem;
	ret = gnutls_x509_trust_list_add_trust_file(tl, trust, NULL,
						    GNUTLS_X509_FMT_PEM, 0, 0);
	if (ret <= 0) {
		*error_r = xasprintf("TLS to %s: no CA certificate could be read "
				     "from %s%s", s->host, trust,
				     ret < 0 ? "" : " (empty?)");
		goto out;
	}
	memset(&vdata, 0, sizeof(vdata));
	vdata.type = GNUTLS_DT_DNS_HOSTNAME;
	vdata.data = (unsigned char *)s->host;
	vdata.size = 0;
	ret = gnutls_x509_trust_list_verify_crt2(tl, certs, n, &vdata, 1, 0,
						 &status, NULL);
	if (ret < 0) {
		*error_r = xasprintf("TLS to %s: certificate verification "
				     "failed: %s", s->host, gnutls_strerror(ret));
		goto out;
	}
	if (status != 0) {
		char *why = imap_tls_reason(status);

		*error_r = xasprintf("TLS to %s: certificate refused: %s "
				     "(trusted CAs from %s)", s->host, why, trust);
		free(why);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	*error_r = xstrdup("TLS: out of memory in GnuTLS");
	*temporary_r = true;
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return rc;
}

/* ------------------------------------------------------------------ */
/* connect */

/* Asks the server for its capabilities again (they change after STARTTLS
 * and LOGIN, and libetpan caches them). */
static int
imap_refresh_caps(struct imap_session *s, char **error_r, bool *temporary_r)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	imap_arm(s, IMAP_X_SHORT);
	r = mailimap_capability(s->imap, &cap);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "CAPABILITY", error_r, temporary_r);
		return -1;
	}
	mailimap_capability_data_free(cap);
	return 0;
}

static bool
imap_has_cap(struct imap_session *s, const char *name)
{
	return mailimap_has_extension(s->imap, (char *)name) != 0;
}

/* IMAP atom characters for a keyword (RFC 3501 flag-keyword). */
static bool
imap_keyword_ok(const char *k)
{
	size_t i;

	if (k == NULL || *k == '\0' || strlen(k) > 64)
		return false;
	for (i = 0; k[i] != '\0'; i++) {
		unsigned char c = (unsigned char)k[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

/* Does this mailbox exist (LIST "" name)? 1, 0, or -1 on error. */
static int
imap_mailbox_exists(struct imap_session *s, const char *name, char **error_r,
		    bool *temporary_r)
{
	clist *result = NULL;
	int r, found;

	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_list(s->imap, "", name, &result);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "LIST", error_r, temporary_r);
		return -1;
	}
	found = result != NULL && clist_count(result) > 0;
	if (result != NULL)
		mailimap_list_result_free(result);
	return found;
}

/* SIGPIPE would kill us on a write to a dead server (libetpan uses send()
 * without MSG_NOSIGNAL).  Ignore it unless the program set a handler. */
static void
imap_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGPIPE, &sa, NULL);
	}
}

/* libetpan uses select(): a descriptor >= FD_SETSIZE aborts the process. */
static bool
imap_fds_low_enough(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true;
	close(fd);
	return fd < FD_SETSIZE - 16;
}

int
imap_options_parse(const struct imap_settings *in, struct imap_options *opt, char **error_r)
{
	bool implicit;
	char *url_user = NULL;
	const char *proc = in->processed != NULL ? in->processed : "";

	memset(opt, 0, sizeof(*opt));
	if (imap_parse_url(in->url, &implicit, &opt->host, &opt->port,
			   &url_user, &opt->mailbox, error_r) < 0)
		return -1;
	if (in->tls == NULL)
		opt->tls = implicit ? IMAP_TLS_IMPLICIT : IMAP_TLS_STARTTLS;
	else if (strcmp(in->tls, "implicit") == 0)
		opt->tls = IMAP_TLS_IMPLICIT;
	else if (strcmp(in->tls, "starttls") == 0)
		opt->tls = IMAP_TLS_STARTTLS;
	else if (strcmp(in->tls, "none") == 0)
		opt->tls = IMAP_TLS_NONE;
	else {
		*error_r = xasprintf("imap tls = %s: expected implicit, starttls "
				     "or none", in->tls);
		goto fail;
	}
	if (implicit && opt->tls != IMAP_TLS_IMPLICIT) {
		*error_r = xasprintf("imap url %s says imaps:// but tls = %s; use "
				     "imap:// for starttls or none", in->url, in->tls);
		goto fail;
	}
	if (opt->port == 0)
		opt->port = opt->tls == IMAP_TLS_IMPLICIT ? 993 : 143;
	if (in->user != NULL && *in->user != '\0') {
		free(url_user);
		url_user = xstrdup(in->user);
	}
	if (url_user == NULL || *url_user == '\0') {
		*error_r = xstrdup("no imap user configured");
		goto fail;
	}
	if (strcmp(proc, "flag") == 0) {
		const char *k = in->keyword != NULL ? in->keyword : "";

		if (!imap_keyword_ok(k)) {
			*error_r = xasprintf("imap keyword = %s: not a valid IMAP "
					     "keyword (letters, digits, no spaces "
					     "or (){%%*\"\\])", k);
			goto fail;
		}
		opt->keyword = xstrdup(k);
	} else if (strncmp(proc, "move:", 5) == 0 && proc[5] != '\0') {
		if (strpbrk(proc + 5, "\r\n") != NULL) {
			*error_r = xstrdup("imap processed: bad folder name");
			goto fail;
		}
		opt->move_folder = xstrdup(proc + 5);
	} else {
		*error_r = xasprintf("imap processed = %s: expected flag or "
				     "move:FOLDER", proc);
		goto fail;
	}
	opt->user = url_user;
	opt->ca_file = in->ca_file != NULL ? xstrdup(in->ca_file) : NULL;
	opt->batch = (size_t)in->batch;
	opt->timeout = (int)in->timeout;
	/* config.c keeps max_size within 1 KiB..1 GiB. */
	opt->max_size = (size_t)in->max_size;
	return 0;
fail:
	free(url_user);
	imap_options_clear(opt);
	return -1;
}

void
imap_options_clear(struct imap_options *opt)
{
	free(opt->host);
	free(opt->user);
	free(opt->mailbox);
	free(opt->ca_file);
	free(opt->move_folder);
	free(opt->keyword);
	memset(opt, 0, sizeof(*opt));
}

/* The session's copy of what it needs from the options. */
static void
imap_setup(struct imap_session *s, const struct imap_options *opt)
{
	s->host = xstrdup(opt->host);
	s->port = opt->port;
	s->mailbox = xstrdup(opt->mailbox);
	s->move_folder = opt->move_folder != NULL ? xstrdup(opt->move_folder) : NULL;
	s->keyword = opt->keyword != NULL ? xstrdup(opt->keyword) : NULL;
	s->batch = opt->batch;
	s->timeout = opt->timeout;
	s->max_size = opt->max_size;
}

/*
 * Opens the connection through the guard and reads the greeting: returns
 * libetpan's code (MAILIMAP_NO_ERROR_AUTHENTICATED or
 * _NON_AUTHENTICATED on success), or -1 with *error_r.
 */
static int
imap_open_stream(struct imap_session *s, enum imap_tls_mode mode,
		 char **error_r)
{
	mailstream_low *inner, *low;
	mailstream *stream;
	int fd;

	imap_arm(s, IMAP_X_SHORT);
	if (imap_guard_connect(s->guard, s->host, s->port, &fd, error_r) < 0)
		return -1;
	if (mode == IMAP_TLS_IMPLICIT)
		inner = mailstream_low_ssl_open_with_callback_timeout(fd,
			imap_guard_left(s->guard), imap_tls_callback, s);
	else
		inner = mailstream_low_socket_open(fd);
	if (inner == NULL) {
		close(fd);
		*error_r = xasprintf(mode == IMAP_TLS_IMPLICIT ?
				     "TLS handshake with %s:%u failed" :
				     "cannot set up a stream to %s:%u",
				     s->host, (unsigned)s->port);
		return -1;
	}
	low = imap_guard_wrap(s->guard, inner);
	stream = low != NULL ? mailstream_new(low, 8192) : NULL;
	if (stream == NULL) {
		if (low != NULL) {
			mailstream_low_close(low);
			mailstream_low_free(low);
		}
		*error_r = xstrdup("out of memory (mailstream_new)");
		return -1;
	}
	/* The greeting, read through the guard; the stream is the session's
	 * from here on, whatever the outcome. */
	return mailimap_connect(s->imap, stream);
}

/*
 * STARTTLS through the guard: libetpan's own call would put its TLS
 * driver in place of ours.  mailimap_starttls also refuses data sent
 * ahead of the handshake (CVE-2020-15953).
 */
static int
imap_starttls(struct imap_session *s, char **error_r, bool *temporary_r)
{
	mailstream_low *tls;
	int r, fd;

	imap_arm(s, IMAP_X_SHORT);
	r = mailimap_starttls(s->imap);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "STARTTLS", error_r, temporary_r);
		return -1;
	}
	fd = mailstream_low_get_fd(imap_guard_inner(s->guard));
	tls = fd < 0 ? NULL : mailstream_low_tls_open_with_callback_timeout(fd,
		imap_guard_left(s->guard), imap_tls_callback, s);
	if (tls == NULL) {
		s->broken = true;
		*error_r = xasprintf("STARTTLS: TLS handshake with %s:%u failed",
				     s->host, (unsigned)s->port);
		*temporary_r = true;
		return -1;
	}
	imap_guard_set_inner(s->guard, tls);
	return 0;
}

int
imap_connect(const struct imap_options *opt, const char *password,
	     const struct imap_hooks *hooks, struct imap_session **s_r,
	     char **error_r, bool *temporary_r)
{
	struct imap_guard_params gp;
	struct imap_session *s;
	enum imap_tls_mode mode = opt->tls;
	const char *user = opt->user;
	int r;

	*s_r = NULL;
	*temporary_r = false;
	s = xcalloc(1, sizeof(*s));
	imap_setup(s, opt);
	if (password == NULL) {
		*error_r = xstrdup("no imap password (set password_file)");
		goto fail;
	}
	if (!imap_fds_low_enough()) {
		*error_r = xstrdup("too many open files for libetpan's select()");
		*temporary_r = true;
		goto fail;
	}
	imap_ignore_sigpipe();

	memset(&gp, 0, sizeof(gp));
	gp.idle = s->timeout;
	gp.line_max = IMAP_LINE_MAX;
	gp.text_max = IMAP_TEXT_MAX;
	if (hooks != NULL) {
		gp.stop = hooks->stop;
		gp.heartbeat = hooks->heartbeat;
		gp.heartbeat_ctx = hooks->ctx;
		gp.heartbeat_every = hooks->heartbeat_every > 0 ?
				     hooks->heartbeat_every : 60;
	}
	s->guard = imap_guard_new(&gp);
	s->imap = mailimap_new(0, NULL);
	if (s->imap == NULL) {
		*error_r = xstrdup("out of memory (mailimap_new)");
		*temporary_r = true;
		goto fail;
	}
	mailimap_set_timeout(s->imap, s->timeout);

	r = imap_open_stream(s, mode, error_r);
	if (r == -1) {
		s->broken = true;
		*temporary_r = true;
		goto fail;
	}
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		const char *why = imap_guard_error(s->guard);

		s->broken = true;
		if (why != NULL)
			*error_r = xasprintf("cannot connect to %s:%u%s: %s",
					     s->host, (unsigned)s->port,
					     mode == IMAP_TLS_IMPLICIT ? " with TLS" : "",
					     why);
		else
			*error_r = xasprintf("cannot connect to %s:%u%s (libetpan "
					     "error %d)", s->host, (unsigned)s->port,
					     mode == IMAP_TLS_IMPLICIT ? " with TLS" : "",
					     r);
		*temporary_r = why != NULL ||
			       r != MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION ||
			       imap_text_says_temporary(s);
		goto fail;
	}
	if (mode == IMAP_TLS_STARTTLS) {
		if (r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
			*error_r = xasprintf("%s greeted with PREAUTH, which allows "
					     "no STARTTLS; refusing an unencrypted "
					     "session", s->host);
			goto fail;
		}
		if (imap_refresh_caps(s, error_r, temporary_r) < 0)
			goto fail;
		if (!imap_has_cap(s, "STARTTLS")) {
			*error_r = xasprintf("%s:%u does not offer STARTTLS; refusing "
					     "to log in without TLS (use imaps://, "
					     "or tls = none on a trusted network)",
					     s->host, (unsigned)s->port);
			goto fail;
		}
		if (imap_starttls(s, error_r, temporary_r) < 0)
			goto fail;
	}
	if (mode != IMAP_TLS_NONE &&
	    imap_verify_tls(s, opt->ca_file, error_r, temporary_r) < 0)
		goto fail;
	/* Never trust capabilities seen before TLS. */
	if (imap_refresh_caps(s, error_r, temporary_r) < 0)
		goto fail;
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    mode == IMAP_TLS_STARTTLS) {
		if (imap_has_cap(s, "LOGINDISABLED")) {
			*error_r = xasprintf("%s refuses LOGIN (LOGINDISABLED)",
					     s->host);
			goto fail;
		}
		imap_arm(s, IMAP_X_SHORT);
		r = mailimap_login(s->imap, user, password);
		if (r != MAILIMAP_NO_ERROR) {
			char *what = xasprintf("LOGIN as %s", user);

			imap_fail(s, r, what, error_r, temporary_r);
			free(what);
			goto fail;
		}
		if (imap_refresh_caps(s, error_r, temporary_r) < 0)
			goto fail;
	}
	s->has_move = imap_has_cap(s, "MOVE");
	s->has_uidplus = mailimap_has_uidplus(s->imap) != 0;
	s->has_idle = mailimap_has_idle(s->imap) != 0;

	if (s->move_folder != NULL) {
		int e;

		if (!s->has_move && !s->has_uidplus) {
			*error_r = xasprintf("processed = move:%s needs MOVE or "
					     "UIDPLUS, and %s has neither (a plain "
					     "EXPUNGE would remove other clients' "
					     "deleted mail)", s->move_folder, s->host);
			goto fail;
		}
		e = imap_mailbox_exists(s, s->move_folder, error_r, temporary_r);
		if (e < 0)
			goto fail;
		if (e == 0) {
			*error_r = xasprintf("processed = move:%s: no such folder "
					     "on %s; create it first",
					     s->move_folder, s->host);
			goto fail;
		}
	}
	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_select(s->imap, s->mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		char *what = xasprintf("SELECT %s", s->mailbox);

		imap_fail(s, r, what, error_r, temporary_r);
		free(what);
		goto fail;
	}
	if (s->imap->imap_selection_info != NULL)
		s->uidvalidity = s->imap->imap_selection_info->sel_uidvalidity;
	*s_r = s;
	return 0;
fail:
	imap_close(&s);
	return -1;
}

uint32_t
imap_uidvalidity(const struct imap_session *s)
{
	return s->uidvalidity;
}

const char *
imap_mailbox(const struct imap_session *s)
{
	return s->mailbox;
}

/* ------------------------------------------------------------------ */
/* fetch */

static int
imap_entry_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct imap_entry *)a)->uid;
	uint32_t y = ((const struct imap_entry *)b)->uid;

	return x < y ? -1 : x > y;
}

/* A UID set of exactly the UIDs of e[0..n) (sorted) that are in state
 * want, runs as ranges; *count_r gets their number.  NULL when out of
 * memory. */
static struct mailimap_set *
imap_uid_set(const struct imap_entry *e, size_t n, enum imap_state want,
	     size_t *count_r)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0;

	*count_r = 0;
	if (set == NULL)
		return NULL;
	while (i < n) {
		size_t j;

		if (e[i].state != want) {
			i++;
			continue;
		}
		j = i;
		while (j + 1 < n && e[j + 1].uid == e[j].uid + 1 &&
		       e[j + 1].state == want)
			j++;
		if (mailimap_set_add_interval(set, e[i].uid, e[j].uid) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
		*count_r += j - i + 1;
		i = j + 1;
	}
	return set;
}

/* UID and the first body section (or RFC822.SIZE) of one FETCH response.
 * *body_r is NULL for BODY[] NIL. */
static void
imap_msg_att_read(struct mailimap_msg_att *att, uint32_t *uid_r,
		  uint32_t *size_r, bool *has_size_r, const char **body_r,
		  size_t *len_r, bool *has_body_r)
{
	clistiter *it;

	*uid_r = 0;
	*has_size_r = *has_body_r = false;
	for (it = clist_begin(att->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		if (st == NULL)
			continue;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid_r = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size_r = st->att_data.att_rfc822_size;
			*has_size_r = true;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (st->att_data.att_body_section != NULL) {
				*body_r = st->att_data.att_body_section->sec_body_part;
				*len_r = st->att_data.att_body_section->sec_length;
				if (*body_r == NULL)
					*len_r = 0;
				*has_body_r = true;
			}
			break;
		default:
			break;
		}
	}
}

/* The listing being received: FETCH responses one at a time. */
struct imap_listing {
	uint32_t lo;
	struct imap_entry *list;  /* owned */
	size_t n, cap;
};

static void
imap_on_listed(struct mailimap_msg_att *att, void *ctx)
{
	struct imap_listing *l = ctx;
	uint32_t uid, size = 0;
	bool has_size, has_body;
	const char *body;
	size_t len;

	imap_msg_att_read(att, &uid, &size, &has_size, &body, &len, &has_body);
	/* "n:*" always returns the highest UID, even below n. */
	if (uid < l->lo)
		return;
	l->list = xgrow(l->list, &l->cap, l->n + 1, sizeof(*l->list));
	memset(&l->list[l->n], 0, sizeof(l->list[l->n]));
	l->list[l->n].uid = uid;
	l->list[l->n].size = has_size ? size : 0;
	l->list[l->n].state = IMAP_PENDING;
	l->n++;
}

/* Asks libetpan for the handler path (it takes it only when a progress
 * callback is set). */
static void
imap_on_progress(size_t current, size_t maximum, void *ctx)
{
	(void)current;
	(void)maximum;
	(void)ctx;
}

/*
 * The listing of UIDs lo:* with their sizes, sorted, unique.  Its FETCH
 * responses are taken one by one as libetpan parses them, so that only
 * their text is held until the answer ends (a listing may be long).
 */
static int
imap_list(struct imap_session *s, uint32_t lo, struct imap_entry **list_r,
	  size_t *n_r, char **error_r, bool *temporary_r)
{
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	struct imap_listing l;
	clist *result = NULL;
	size_t i, w;
	int r;

	*list_r = NULL;
	*n_r = 0;
	memset(&l, 0, sizeof(l));
	l.lo = lo;
	set = mailimap_set_new_interval(lo, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (set == NULL || ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_rfc822_size()) != MAILIMAP_NO_ERROR) {
		if (set != NULL)
			mailimap_set_free(set);
		if (ft != NULL)
			mailimap_fetch_type_free(ft);
		*error_r = xstrdup("out of memory building UID FETCH");
		*temporary_r = true;
		return -1;
	}
	imap_guard_arm(s->guard, (double)s->timeout * IMAP_MAILBOX_FACTOR,
		       IMAP_SMALL_LITERAL, IMAP_SMALL_LITERALS, IMAP_LISTING_MAX);
	mailimap_set_msg_att_handler(s->imap, imap_on_listed, &l);
	mailimap_set_progress_callback(s->imap, NULL, imap_on_progress, &l);
	r = mailimap_uid_fetch(s->imap, set, ft, &result);
	mailimap_set_progress_callback(s->imap, NULL, NULL, NULL);
	mailimap_set_msg_att_handler(s->imap, NULL, NULL);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		free(l.list);
		imap_fail(s, r, "UID FETCH (listing new mail)", error_r, temporary_r);
		/* A NO here is the server's trouble, not the mail's: retry. */
		*temporary_r = true;
		return -1;
	}
	if (result != NULL)
		mailimap_fetch_list_free(result);
	if (l.n > 1)
		qsort(l.list, l.n, sizeof(*l.list), imap_entry_cmp);
	/* unsolicited responses may repeat a UID */
	for (i = 0, w = 0; i < l.n; i++)
		if (w == 0 || l.list[w - 1].uid != l.list[i].uid)
			l.list[w++] = l.list[i];
	*list_r = l.list;
	*n_r = w;
	return 0;
}

static struct imap_entry *
imap_find(struct imap_entry *e, size_t n, uint32_t uid)
{
	struct imap_entry key;

	memset(&key, 0, sizeof(key));
	key.uid = uid;
	return bsearch(&key, e, n, sizeof(*e), imap_entry_cmp);
}

/* One run of imap_fetch_new: one slice of the listing at a time, and how
 * far last_uid may go. */
struct imap_run {
	struct imap_session *s;
	const struct imap_sink *sink;
	struct imap_entry *list;  /* the slice's UIDs, sorted */
	size_t n;
	size_t handed;            /* entries in state HANDED */
	size_t safe_idx;          /* list[0..safe_idx) are stored or gone */
	uint32_t safe;            /* the last_uid that may be recorded */
	uint32_t recorded;        /* the last_uid the sink last recorded */
	bool stuck;               /* a UID was listed and not delivered */
	size_t *fetched;
	double started;
};

/*
 * How far last_uid may go: over the entries stored (or being stored by
 * the commit about to happen) or proven gone, in UID order, never past one
 * still pending, missing or undelivered.
 */
static void
imap_safe_advance(struct imap_run *run)
{
	while (!run->stuck && run->safe_idx < run->n) {
		enum imap_state st = run->list[run->safe_idx].state;

		if (st == IMAP_UNDELIVERED)
			run->stuck = true;
		if (st != IMAP_HANDED && st != IMAP_STORED && st != IMAP_MARKED &&
		    st != IMAP_ABSENT)
			break;
		run->safe = run->list[run->safe_idx++].uid;
	}
}

/* Commits what the sink took and records how far last_uid may go. */
static int
imap_commit(struct imap_run *run, char **error_r, bool *temporary_r)
{
	size_t i;

	imap_safe_advance(run);
	if (run->handed == 0 && run->safe == run->recorded)
		return 0;
	if (run->sink->commit(run->sink->ctx, run->s->uidvalidity, run->safe,
			      error_r, temporary_r) < 0)
		return -1;
	run->recorded = run->safe;
	for (i = 0; i < run->n && run->handed > 0; i++)
		if (run->list[i].state == IMAP_HANDED) {
			run->list[i].state = IMAP_STORED;
			run->handed--;
		}
	return 0;
}

static int
imap_hand_over(struct imap_run *run, struct imap_entry *e, const char *body,
	       size_t len, const char *hold, char **error_r, bool *temporary_r)
{
	e->state = IMAP_HANDED;
	run->handed++;
	if (run->sink->message(run->sink->ctx, run->s->uidvalidity, e->uid,
			       body, len, hold, error_r, temporary_r) < 0)
		return -1;
	(*run->fetched)++;
	if (run->handed >= run->s->batch)
		return imap_commit(run, error_r, temporary_r);
	return 0;
}

/* The answer to one UID FETCH being handed over. */
struct imap_chunk {
	struct imap_run *run;
	struct imap_entry *e;     /* the chunk: run->list[first..first+n) */
	size_t n;
	bool failed;
	char *error;
	bool temporary;
};

/* One FETCH response of the answer, in the order the server sent it. */
static void
imap_on_msg_att(struct mailimap_msg_att *att, struct imap_chunk *c)
{
	uint32_t uid, size;
	bool has_size, has_body;
	const char *body = NULL;
	size_t len = 0;
	struct imap_entry *hit;

	if (c->failed)
		return;
	imap_msg_att_read(att, &uid, &size, &has_size, &body, &len, &has_body);
	hit = imap_find(c->e, c->n, uid);
	/* Flag updates from other clients arrive as FETCH responses too. */
	if (hit == NULL || !has_body || hit->state != IMAP_PENDING)
		return;
	if (imap_hand_over(c->run, hit, body != NULL ? body : "", len,
			   body == NULL ? "the IMAP server sent no body for it "
			   "(BODY[] NIL)" : NULL, &c->error, &c->temporary) < 0)
		c->failed = true;
}

/* Bytes of bodies to expect for e[0..n): the listed sizes, each at most
 * what a partial fetch can bring. */
static uint64_t
imap_expect(const struct imap_session *s, const struct imap_entry *e, size_t n)
{
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bytes += e[i].size > s->max_size ? s->max_size + 1 : e[i].size;
	return bytes;
}

/*
 * Sends UID FETCH for e[0..n) without waiting for the answer, so that the
 * server works on the next chunk while the sink stores this one (what
 * mbsync gains by pipelining).  libetpan has no call for that, but its
 * public pieces do: mailimap_send_current_tag, then the command through
 * mailstream_write, later mailimap_read_line + mailimap_parse_response.
 * Only one command is ever outstanding.  Every body is a partial fetch of
 * max_size + 1 bytes: a server that keeps to the protocol never sends a
 * literal larger than that, so the guard may refuse one.
 */
static int
imap_fetch_send(struct imap_session *s, const struct imap_entry *e, size_t n,
		char **error_r, bool *temporary_r)
{
	struct buf b;
	size_t i = 0;
	int r;

	buf_init(&b, BUF_NO_LIMIT);
	(void)buf_puts(&b, "UID FETCH ");
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && e[j + 1].uid == e[j].uid + 1)
			j++;
		if (i > 0)
			(void)buf_putc(&b, ',');
		if (j == i)
			(void)buf_printf(&b, "%" PRIu32, e[i].uid);
		else
			(void)buf_printf(&b, "%" PRIu32 ":%" PRIu32, e[i].uid, e[j].uid);
		i = j + 1;
	}
	(void)buf_printf(&b, " (UID BODY.PEEK[]<0.%zu>)\r\n", s->max_size + 1);
	imap_arm(s, IMAP_X_SHORT);
	r = mailimap_send_current_tag(s->imap);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(s->imap->imap_stream, b.data, b.len) != (ssize_t)b.len ||
	     mailstream_flush(s->imap->imap_stream) == -1))
		r = MAILIMAP_ERROR_STREAM;
	buf_free(&b);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "UID FETCH", error_r, temporary_r);
		return -1;
	}
	return 0;
}

/*
 * Reads the answer to the UID FETCH just sent, which carries about bytes
 * of bodies: MAILIMAP_NO_ERROR, or MAILIMAP_ERROR_UID_FETCH for NO (*bad_r
 * false) or BAD (true), with *result_r (the caller frees it; may be NULL;
 * a NO may come with the messages the server could deliver), else a
 * stream-level code.
 */
static int
imap_fetch_recv(struct imap_session *s, uint64_t bytes, clist **result_r,
		bool *bad_r)
{
	struct mailimap_response *response = NULL;
	struct mailimap_response_done *done;
	clist *list = NULL;
	int r, code = -1;

	*result_r = NULL;
	*bad_r = false;
	imap_arm_bodies(s, bytes);
	if (mailimap_read_line(s->imap) == NULL)
		return MAILIMAP_ERROR_STREAM;
	r = mailimap_parse_response(s->imap, &response);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	if (s->imap->imap_response_info != NULL) {
		list = s->imap->imap_response_info->rsp_fetch_list;
		s->imap->imap_response_info->rsp_fetch_list = NULL;
	}
	done = response->rsp_resp_done;
	if (done != NULL && done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED &&
	    done->rsp_data.rsp_tagged != NULL &&
	    done->rsp_data.rsp_tagged->rsp_cond_state != NULL)
		code = done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(response);
	*result_r = list;
	if (code == MAILIMAP_RESP_COND_STATE_OK)
		return MAILIMAP_NO_ERROR;
	if (code == -1) {
		if (list != NULL)
			mailimap_fetch_list_free(list);
		*result_r = NULL;
		return MAILIMAP_ERROR_PARSE;
	}
	*bad_r = code == MAILIMAP_RESP_COND_STATE_BAD;
	return MAILIMAP_ERROR_UID_FETCH;
}

/*
 * A NO to a body fetch that says "later" (RFC 5530): the message stays
 * unmarked and last_uid below it, and the round fails (temporary).  Any
 * other NO is about the message, and asking again will not help.
 */
static bool
imap_refusal_is_transient(const struct imap_session *s)
{
	return imap_server_code_is(s, "UNAVAILABLE") ||
	       imap_server_code_is(s, "INUSE") ||
	       imap_server_code_is(s, "LIMIT");
}

static int imap_fetch_chunk(struct imap_run *run, size_t first, size_t n,
			    char **error_r, bool *temporary_r);

/*
 * Hands over the answer (r, bad, result) to the UID FETCH of
 * list[first..first+n) and commits; frees result.  A NO for several
 * messages is retried one by one (synchronously: nothing may be
 * outstanding then); a NO for one message hands it over to be held with
 * the server's words, so that it does not block every later one - unless
 * it says the message was expunged ([EXPUNGEISSUED]) or will be there
 * later ([UNAVAILABLE], ...).  A message missing from the answer is
 * MISSING until imap_verify finds out whether it is gone.
 */
static int
imap_chunk_take(struct imap_run *run, size_t first, size_t n, int r, bool bad,
		clist *result, char **error_r, bool *temporary_r)
{
	struct imap_session *s = run->s;
	struct imap_chunk c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.e = &run->list[first];
	c.n = n;
	if (result != NULL) {
		clistiter *it;

		for (it = clist_begin(result); it != NULL; it = clist_next(it))
			imap_on_msg_att(clist_content(it), &c);
		mailimap_fetch_list_free(result);
	}
	if (c.failed) {
		*error_r = c.error;
		*temporary_r = c.temporary;
		return -1;
	}
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_ERROR_UID_FETCH) {
		imap_fail(s, r, "UID FETCH", error_r, temporary_r);
		*temporary_r = true;
		return -1;
	}
	if (r == MAILIMAP_ERROR_UID_FETCH &&
	    (bad || imap_refusal_is_transient(s))) {
		/* Keep what came; the rest waits for the next round. */
		if (imap_commit(run, error_r, temporary_r) < 0)
			return -1;
		imap_fail(s, r, "UID FETCH", error_r, temporary_r);
		*temporary_r = true;
		return -1;
	}
	if (r == MAILIMAP_ERROR_UID_FETCH) {
		bool expunged = imap_server_code_is(s, "EXPUNGEISSUED");

		/* No network wait with a transaction open. */
		if (n > 1 && imap_commit(run, error_r, temporary_r) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			char *why;
			int rc;

			if (c.e[i].state != IMAP_PENDING)
				continue;
			if (n > 1) {
				if (imap_fetch_chunk(run, first + i, 1, error_r,
						     temporary_r) < 0)
					return -1;
				continue;
			}
			if (expunged)
				continue;
			why = xasprintf("the IMAP server refused to deliver it: "
					"NO %s", imap_server_text(s));
			rc = imap_hand_over(run, &c.e[i], "", 0, why, error_r,
					    temporary_r);
			free(why);
			if (rc < 0)
				return -1;
		}
	}
	for (i = 0; i < n; i++)
		if (c.e[i].state == IMAP_PENDING)
			c.e[i].state = IMAP_MISSING;
	return imap_commit(run, error_r, temporary_r);
}

/* Fetches and hands over list[first..first+n), without pipelining. */
static int
imap_fetch_chunk(struct imap_run *run, size_t first, size_t n,
		 char **error_r, bool *temporary_r)
{
	clist *result = NULL;
	bool bad;
	int r;

	if (imap_fetch_send(run->s, &run->list[first], n, error_r,
			    temporary_r) < 0)
		return -1;
	r = imap_fetch_recv(run->s, imap_expect(run->s, &run->list[first], n),
			    &result, &bad);
	return imap_chunk_take(run, first, n, r, bad, result, error_r,
			       temporary_r);
}

/*
 * Where the UID FETCH starting at list[j] ends: up to IMAP_CHUNK_MSGS
 * messages or IMAP_CHUNK_BYTES by the listed sizes, across batch
 * boundaries (round trips, not bytes, are what costs).
 */
static size_t
imap_chunk_end(const struct imap_run *run, size_t j)
{
	size_t k = j;
	uint64_t bytes = 0;

	while (k < run->n && k - j < IMAP_CHUNK_MSGS) {
		uint64_t b = imap_expect(run->s, &run->list[k], 1);

		if (k > j && bytes + b > IMAP_CHUNK_BYTES)
			break;
		bytes += b;
		k++;
	}
	return k;
}

/* Marks or moves exactly the entries of e[0..n) in state STORED; they
 * become MARKED.  One command. */
static int
imap_mark_some(struct imap_session *s, struct imap_entry *e, size_t n,
	       char **error_r, bool *temporary_r)
{
	struct mailimap_set *set;
	struct mailimap_flag_list *flags;
	struct mailimap_store_att_flags *store;
	size_t count, i;
	int r;

	set = imap_uid_set(e, n, IMAP_STORED, &count);
	if (set == NULL)
		goto nomem;
	if (count == 0) {
		mailimap_set_free(set);
		return 0;
	}
	imap_arm(s, IMAP_X_MAILBOX);
	if (s->move_folder != NULL && s->has_move) {
		r = mailimap_uid_move(s->imap, set, s->move_folder);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "UID MOVE", error_r, temporary_r);
			return -1;
		}
		goto done;
	}
	if (s->move_folder != NULL) {
		r = mailimap_uid_copy(s->imap, set, s->move_folder);
		if (r != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			imap_fail(s, r, "UID COPY", error_r, temporary_r);
			return -1;
		}
	}
	flags = mailimap_flag_list_new_empty();
	if (flags == NULL) {
		mailimap_set_free(set);
		goto nomem;
	}
	if (s->move_folder != NULL) {
		if (mailimap_flag_list_add(flags, mailimap_flag_new_deleted()) !=
		    MAILIMAP_NO_ERROR)
			goto nomem_flags;
	} else {
		/* The constructor takes ownership: never pass a literal. */
		if (mailimap_flag_list_add(flags, mailimap_flag_new_seen()) !=
			    MAILIMAP_NO_ERROR ||
		    mailimap_flag_list_add(flags,
			    mailimap_flag_new_flag_keyword(xstrdup(s->keyword))) !=
			    MAILIMAP_NO_ERROR)
			goto nomem_flags;
	}
	store = mailimap_store_att_flags_new_add_flags_silent(flags);
	if (store == NULL)
		goto nomem_flags;
	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_uid_store(s->imap, set, store);
	mailimap_store_att_flags_free(store);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_set_free(set);
		imap_fail(s, r, "UID STORE", error_r, temporary_r);
		return -1;
	}
	if (s->move_folder != NULL) {
		/* UID EXPUNGE (UIDPLUS): only our UIDs, never other clients'
		 * \Deleted mail. */
		imap_arm(s, IMAP_X_MAILBOX);
		r = mailimap_uid_expunge(s->imap, set);
		if (r != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			imap_fail(s, r, "UID EXPUNGE", error_r, temporary_r);
			return -1;
		}
	}
	mailimap_set_free(set);
done:
	for (i = 0; i < n; i++)
		if (e[i].state == IMAP_STORED)
			e[i].state = IMAP_MARKED;
	return 0;
nomem_flags:
	mailimap_flag_list_free(flags);
	mailimap_set_free(set);
nomem:
	*error_r = xstrdup("out of memory building UID STORE");
	*temporary_r = true;
	return -1;
}

/* Marks or moves the STORED entries of e[0..n), at most IMAP_CHUNK_MSGS
 * per command: the answer to a MOVE or EXPUNGE has a line per message. */
static int
imap_mark(struct imap_session *s, struct imap_entry *e, size_t n,
	  char **error_r, bool *temporary_r)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, stored = 0;

		while (j < n && stored < IMAP_CHUNK_MSGS)
			if (e[j++].state == IMAP_STORED)
				stored++;
		if (stored > 0 && imap_mark_some(s, e + i, j - i, error_r,
						 temporary_r) < 0)
			return -1;
		i = j;
	}
	return 0;
}

/*
 * A crash between a commit and its mark leaves committed messages (UID <=
 * last_uid) unmarked, and UID tracking would never look at them again:
 * find them (flag: without the keyword; move: still here) and finish the
 * job.
 */
static int
imap_repair(struct imap_session *s, uint32_t last_uid, char **error_r,
	    bool *temporary_r)
{
	struct mailimap_search_key *key, *uids;
	struct mailimap_set *set;
	struct imap_entry *list = NULL;
	clist *result = NULL;
	clistiter *it;
	size_t n = 0, cap = 0;
	int r, rc;

	if (last_uid == 0)
		return 0;
	set = mailimap_set_new_interval(1, last_uid);
	uids = set != NULL ? mailimap_search_key_new_uid(set) : NULL;
	if (uids == NULL) {
		if (set != NULL)
			mailimap_set_free(set);
		goto nomem;
	}
	if (s->move_folder != NULL) {
		key = uids;
	} else {
		struct mailimap_search_key *kw, *not;

		key = mailimap_search_key_new_multiple_empty();
		if (key == NULL) {
			mailimap_search_key_free(uids);
			goto nomem;
		}
		if (mailimap_search_key_multiple_add(key, uids) != MAILIMAP_NO_ERROR) {
			mailimap_search_key_free(uids);
			mailimap_search_key_free(key);
			goto nomem;
		}
		kw = mailimap_search_key_new_keyword(xstrdup(s->keyword));
		not = kw != NULL ? mailimap_search_key_new_not(kw) : NULL;
		if (not == NULL ||
		    mailimap_search_key_multiple_add(key, not) != MAILIMAP_NO_ERROR) {
			if (not != NULL)
				mailimap_search_key_free(not);
			else if (kw != NULL)
				mailimap_search_key_free(kw);
			mailimap_search_key_free(key);
			goto nomem;
		}
	}
	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_uid_search(s->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "UID SEARCH (unmarked committed mail)", error_r,
			  temporary_r);
		return -1;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t *uid = clist_content(it);

		if (uid == NULL || *uid == 0 || *uid > last_uid)
			continue;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		memset(&list[n], 0, sizeof(list[n]));
		list[n].uid = *uid;
		list[n++].state = IMAP_STORED;
	}
	mailimap_search_result_free(result);
	if (n > 1)
		qsort(list, n, sizeof(*list), imap_entry_cmp);
	rc = imap_mark(s, list, n, error_r, temporary_r);
	free(list);
	return rc;
nomem:
	*error_r = xstrdup("out of memory building UID SEARCH");
	*temporary_r = true;
	return -1;
}

/*
 * The UIDs the listing gave but the answers lacked: are they gone (the
 * server no longer lists them: ABSENT, last_uid may pass them) or held
 * back (UNDELIVERED: last_uid stays below, the next round asks again)?
 * At most IMAP_CHUNK_MSGS are asked about per slice; the rest count as
 * held back, which is safe.  Nothing may be outstanding.
 */
static int
imap_verify(struct imap_run *run, char **error_r, bool *temporary_r)
{
	struct imap_session *s = run->s;
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	struct imap_entry *ask = NULL;
	clist *result = NULL;
	size_t count, i, n = 0, cap = 0, held = 0;
	uint32_t first = 0;
	int r;

	for (i = 0; i < run->n && n < IMAP_CHUNK_MSGS; i++)
		if (run->list[i].state == IMAP_MISSING) {
			ask = xgrow(ask, &cap, n + 1, sizeof(*ask));
			ask[n++] = run->list[i];
		}
	if (n == 0)
		return 0;
	set = imap_uid_set(ask, n, IMAP_MISSING, &count);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (set == NULL || ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR) {
		if (ft != NULL)
			mailimap_fetch_type_free(ft);
		if (set != NULL)
			mailimap_set_free(set);
		free(ask);
		*error_r = xstrdup("out of memory building UID FETCH");
		*temporary_r = true;
		return -1;
	}
	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_uid_fetch(s->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR && imap_is_stream_error(r)) {
		free(ask);
		imap_fail(s, r, "UID FETCH (messages not delivered)", error_r,
			  temporary_r);
		return -1;
	}
	/* Asked about and not listed again: gone.  On a NO (result already
	 * freed by libetpan) nothing is proven. */
	for (i = 0; i < n && r == MAILIMAP_NO_ERROR; i++) {
		struct imap_entry *e = imap_find(run->list, run->n, ask[i].uid);

		e->state = IMAP_ABSENT;
	}
	if (r == MAILIMAP_NO_ERROR) {
		clistiter *it;

		for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
			uint32_t uid, size;
			bool has_size, has_body;
			const char *body;
			size_t len;
			struct imap_entry *hit;

			imap_msg_att_read(clist_content(it), &uid, &size, &has_size,
					  &body, &len, &has_body);
			hit = imap_find(run->list, run->n, uid);
			if (hit != NULL && hit->state == IMAP_ABSENT &&
			    imap_find(ask, n, uid) != NULL)
				hit->state = IMAP_UNDELIVERED;
		}
		mailimap_fetch_list_free(result);
	}
	free(ask);
	for (i = 0; i < run->n; i++) {
		struct imap_entry *e = &run->list[i];

		if (e->state == IMAP_MISSING)
			e->state = IMAP_UNDELIVERED;
		if (e->state == IMAP_UNDELIVERED && held++ == 0)
			first = e->uid;
	}
	if (held > 0 && run->sink->note != NULL) {
		char *text = xasprintf("%s: %zu listed message%s not delivered "
				       "(UID %" PRIu32 "%s); asked for again next "
				       "time, and the mailbox's last UID stays below",
				       s->mailbox, held, held == 1 ? " was" : "s were",
				       first, held == 1 ? "" : " first");

		run->sink->note(run->sink->ctx, text);
		free(text);
	}
	return 0;
}

static double
imap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
imap_round_over(const struct imap_run *run)
{
	return imap_now() - run->started >= IMAP_ROUND_SECONDS;
}

/*
 * Fetches the bodies of the slice in run->list: pipelined (while the sink
 * takes chunk c, the UID FETCH for chunk c + 1 is already on its way), then
 * the missing ones verified, everything committed and marked.  0, 1 when
 * the round is over before the slice is, or -1.
 */
static int
imap_fetch_slice(struct imap_run *run, char **error_r, bool *temporary_r)
{
	struct imap_session *s = run->s;
	size_t j = 0, k = 0;
	bool more = false;
	int rc = 0;

	if (run->n > 0) {
		k = imap_chunk_end(run, 0);
		rc = imap_fetch_send(s, &run->list[0], k, error_r, temporary_r);
	}
	while (rc == 0 && j < run->n) {
		clist *result = NULL;
		size_t nk = 0;
		bool bad, ahead = false;
		int r = imap_fetch_recv(s, imap_expect(s, &run->list[j], k - j),
					&result, &bad);

		/* Nothing outstanding: what is committed gets marked. */
		if (r == MAILIMAP_NO_ERROR)
			rc = imap_mark(s, run->list, run->n, error_r, temporary_r);
		if (rc == 0 && r == MAILIMAP_NO_ERROR && k < run->n) {
			if (imap_round_over(run)) {
				more = true;
			} else {
				nk = imap_chunk_end(run, k);
				rc = imap_fetch_send(s, &run->list[k], nk - k,
						     error_r, temporary_r);
				ahead = rc == 0;
			}
		}
		if (rc < 0) {
			if (result != NULL)
				mailimap_fetch_list_free(result);
			break;
		}
		rc = imap_chunk_take(run, j, k - j, r, bad, result, error_r,
				     temporary_r);
		if (rc < 0) {
			/* An answer is still on its way: the session cannot
			 * be used for anything else now. */
			if (ahead)
				s->broken = true;
			break;
		}
		j = k;
		if (ahead) {
			k = nk;
		} else if (j < run->n && !more) {
			if (imap_round_over(run)) {
				more = true;
				break;
			}
			k = imap_chunk_end(run, j);
			rc = imap_fetch_send(s, &run->list[j], k - j, error_r,
					     temporary_r);
		} else {
			break;
		}
	}
	if (rc == 0)
		rc = imap_verify(run, error_r, temporary_r);
	if (rc == 0)
		rc = imap_commit(run, error_r, temporary_r);
	if (rc == 0)
		rc = imap_mark(s, run->list, run->n, error_r, temporary_r);
	/* The sink failed mid-chunk: what it did commit is still marked. */
	if (rc < 0 && !s->broken) {
		char *e2 = NULL;
		bool t2;

		if (imap_mark(s, run->list, run->n, &e2, &t2) < 0)
			free(e2);
	}
	if (rc < 0)
		return -1;
	return more ? 1 : 0;
}

int
imap_fetch_new(struct imap_session *s, uint32_t last_uid,
	       const struct imap_sink *sink, size_t *fetched_r,
	       char **error_r, bool *temporary_r)
{
	struct imap_run run;
	struct imap_entry *all = NULL;
	size_t total = 0, a;
	int rc = 0;

	*fetched_r = 0;
	*temporary_r = false;
	memset(&run, 0, sizeof(run));
	run.s = s;
	run.sink = sink;
	run.fetched = fetched_r;
	run.safe = run.recorded = last_uid;
	run.started = imap_now();
	if (imap_repair(s, last_uid, error_r, temporary_r) < 0)
		return -1;
	if (last_uid == UINT32_MAX)
		return 0;
	if (imap_list(s, last_uid + 1, &all, &total, error_r, temporary_r) < 0)
		return -1;
	/* Slice by slice; last_uid moves on only while every UID before is
	 * stored or gone (imap_safe_advance). */
	for (a = 0; a < total; a += run.n) {
		run.list = all + a;
		run.n = total - a < IMAP_SLICE ? total - a : IMAP_SLICE;
		run.safe_idx = 0;
		run.handed = 0;
		rc = imap_fetch_slice(&run, error_r, temporary_r);
		if (rc != 0)
			break;
		if (a + run.n < total && imap_round_over(&run)) {
			rc = 1;
			break;
		}
	}
	free(all);
	return rc;
}

/* ------------------------------------------------------------------ */
/* waiting */

static void
imap_nap(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	/* EINTR (SIGTERM) ends the nap early, which is what we want. */
	(void)nanosleep(&ts, NULL);
}

static int
imap_wait_poll(struct imap_session *s, int seconds, volatile const bool *stop,
	       char **error_r)
{
	double deadline = imap_now() + seconds;
	double left;
	int r;

	while ((left = deadline - imap_now()) > 0) {
		if (stop != NULL && *stop)
			return 0;
		if (imap_guard_beat(s->guard) < 0)
			goto fail;
		imap_nap(left < 1.0 ? left : 1.0);
	}
	if (stop != NULL && *stop)
		return 0;
	/* Keeps the connection alive and finds out whether it still is. */
	imap_arm(s, IMAP_X_SHORT);
	r = mailimap_noop(s->imap);
	if (r != MAILIMAP_NO_ERROR) {
		bool temporary;

		imap_fail(s, r, "NOOP", error_r, &temporary);
		return -1;
	}
	return 1;
fail:
	s->broken = true;
	*error_r = xasprintf("waiting for new mail: %s", imap_guard_error(s->guard));
	return -1;
}

int
imap_wait(struct imap_session *s, int seconds, volatile const bool *stop,
	  char **error_r)
{
	mailstream *stream;
	double deadline;
	bool temporary;

	if (seconds < 1)
		seconds = 1;
	if (!s->has_idle)
		return imap_wait_poll(s, seconds, stop, error_r);
	stream = s->imap->imap_stream;
	if (!s->idle_setup) {
		if (mailstream_setup_idle(stream) < 0) {
			*error_r = xstrdup("cannot set up IDLE on the stream");
			return -1;
		}
		s->idle_setup = true;
	}
	deadline = imap_now() + seconds;
	for (;;) {
		double started;
		int result = 0, r;
		bool renew = false;

		if ((stop != NULL && *stop) || imap_now() >= deadline)
			return 0;
		imap_arm(s, IMAP_X_SHORT);
		r = mailimap_idle(s->imap);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "IDLE", error_r, &temporary);
			s->broken = true;
			return -1;
		}
		started = imap_now();
		for (;;) {
			double now = imap_now();
			int w;

			if ((stop != NULL && *stop) || now >= deadline)
				break;
			if (now - started >= IMAP_IDLE_RENEW) {
				renew = true;
				break;
			}
			if (imap_guard_beat(s->guard) < 0) {
				s->broken = true;
				*error_r = xasprintf("IDLE on %s: %s", s->host,
						     imap_guard_error(s->guard));
				return -1;
			}
			/* Data libetpan has already read is invisible to
			 * select(): look at its buffer first. */
			if (stream->read_buffer_len > 0) {
				result = 1;
				break;
			}
			errno = 0;
			w = mailstream_wait_idle(stream, 1);
			if (w == MAILSTREAM_IDLE_HASDATA) {
				result = 1;
				break;
			}
			/* A signal (SIGTERM, SIGHUP) interrupts select(): go
			 * round and look at *stop. */
			if (w == MAILSTREAM_IDLE_ERROR && errno == EINTR)
				continue;
			if (w == MAILSTREAM_IDLE_ERROR ||
			    w == MAILSTREAM_IDLE_CANCELLED) {
				s->broken = true;
				*error_r = xasprintf("IDLE on %s: connection lost",
						     s->host);
				return -1;
			}
		}
		/* Stopping: no DONE, no waiting for its answer; the session
		 * is only good for imap_close now. */
		if (stop != NULL && *stop) {
			s->broken = true;
			return 0;
		}
		imap_arm(s, IMAP_X_SHORT);
		r = mailimap_idle_done(s->imap);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "IDLE DONE", error_r, &temporary);
			s->broken = true;
			return -1;
		}
		if (result == 1) {
			struct mailimap_selection_info *si = s->imap->imap_selection_info;

			/* "* OK Still here" and flag changes are no new mail. */
			if (si == NULL || si->sel_has_exists || si->sel_has_recent)
				return 1;
			continue;
		}
		if (!renew)
			return 0;
	}
}

void
imap_close(struct imap_session **sp)
{
	struct imap_session *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	if (s->imap != NULL) {
		if (s->idle_setup && s->imap->imap_stream != NULL)
			mailstream_unsetup_idle(s->imap->imap_stream);
		/* mailimap_free sends LOGOUT itself while the stream is open:
		 * a failed guard makes that fail at once. */
		if (s->broken && s->guard != NULL)
			imap_guard_fail(s->guard, "closed after an error");
		if (!s->broken && s->imap->imap_stream != NULL) {
			imap_guard_arm(s->guard, s->timeout < 10 ? s->timeout : 10,
				       IMAP_SMALL_LITERAL, IMAP_SMALL_LITERALS,
				       IMAP_FETCH_TEXT_MAX);
			(void)mailimap_logout(s->imap);
		}
		mailimap_free(s->imap);
	}
	imap_guard_free(&s->guard);
	free(s->host);
	free(s->mailbox);
	free(s->move_folder);
	free(s->keyword);
	free(s);
	*sp = NULL;
}
