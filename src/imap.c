/*
 * imap - the IMAP transport over libetpan.  See imap.h for the API.
 *
 * Public functions: imap_connect, imap_uidvalidity, imap_mailbox,
 * imap_fetch_new, imap_wait, imap_close, imap_parse_url.
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
 * Fetching: a listing (UID FETCH n:* (UID RFC822.SIZE), filtered: "n:*"
 * always returns the highest UID), then bodies in answers of up to 1000
 * messages, one command always in flight while the sink works (built from
 * libetpan's public pieces, since mailimap_uid_fetch waits), commits as
 * batches fill, marks once per answer, and a repair pass for committed but
 * unmarked mail left by a crash.
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
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "buf.h"
#include "config.h"
#include "imap.h"
#include "xmem.h"

#define IMAP_URL_MAX 2048
#define IMAP_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
#define IMAP_CHAIN_MAX 16
/* One UID FETCH response is held in memory twice by libetpan (the raw
 * response and the parsed literals): keep each one below this. */
#define IMAP_CHUNK_BYTES (16u * 1024 * 1024)
#define IMAP_CHUNK_MSGS 1000
/* RFC 2177: re-issue IDLE before the server's 30-minute limit. */
#define IMAP_IDLE_RENEW (28 * 60)
#define IMAP_SERVER_TEXT_MAX 200

enum imap_tls_mode {
	IMAP_TLS_IMPLICIT,
	IMAP_TLS_STARTTLS,
	IMAP_TLS_NONE,
};

struct imap_session {
	mailimap *imap;           /* owned */
	char *host;               /* owned */
	uint16_t port;
	char *mailbox;            /* owned */
	char *move_folder;        /* owned; NULL: processed = flag */
	char *keyword;            /* owned; flag mode */
	uint32_t uidvalidity;
	size_t batch;
	size_t max_size;          /* 0: no partial fetches */
	bool has_move;
	bool has_uidplus;
	bool has_idle;
	bool idle_setup;
	bool broken;              /* a stream error happened: no LOGOUT */
};

struct imap_entry {
	uint32_t uid;
	uint32_t size;            /* RFC822.SIZE */
	bool delivered;           /* handed to the sink */
};

/* ------------------------------------------------------------------ */
/* errors */

/* The server's last response text, cut and made printable; static. */
static const char *
imap_server_text(const struct imap_session *s)
{
	static char text[IMAP_SERVER_TEXT_MAX + 4];
	const char *r = s->imap != NULL ? s->imap->imap_response : NULL;
	size_t i;

	if (r == NULL || *r == '\0')
		return "(no text from the server)";
	for (i = 0; i < IMAP_SERVER_TEXT_MAX && r[i] != '\0'; i++)
		text[i] = (r[i] >= 0x20 && r[i] < 0x7f) ? r[i] : '?';
	text[i] = '\0';
	if (r[i] != '\0')
		memcpy(text + i, "...", 4);
	return text;
}

/* Stream, parse and fatal errors leave the session unusable. */
static bool
imap_is_stream_error(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	       r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_SSL ||
	       r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	       r == MAILIMAP_ERROR_BAD_STATE || r == MAILIMAP_ERROR_MEMORY;
}

/* Response codes that say "try again later" (RFC 5530). */
static bool
imap_text_says_temporary(const struct imap_session *s)
{
	const char *r = s->imap != NULL ? s->imap->imap_response : NULL;

	if (r == NULL)
		return false;
	return strstr(r, "[UNAVAILABLE]") != NULL ||
	       strstr(r, "[INUSE]") != NULL ||
	       strstr(r, "[LIMIT]") != NULL ||
	       strstr(r, "[SERVERBUG]") != NULL;
}

/*
 * Fills *error_r for a failed libetpan call: what we were doing, and either
 * the server's words (NO/BAD) or the kind of network failure.
 */
static void
imap_fail(struct imap_session *s, int r, const char *doing, char **error_r,
	  bool *temporary_r)
{
	if (imap_is_stream_error(r)) {
		s->broken = true;
		*error_r = xasprintf("%s: connection to %s:%u lost or timed out "
				     "(libetpan error %d)", doing, s->host,
				     (unsigned)s->port, r);
		*temporary_r = true;
		return;
	}
	*error_r = xasprintf("%s: server said: %s", doing, imap_server_text(s));
	*temporary_r = imap_text_says_temporary(s);
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

static int
imap_setup(struct imap_session *s, const struct config *cfg,
	   enum imap_tls_mode *mode_r, char **user_r, char **error_r)
{
	bool implicit;
	char *url_user = NULL;
	const char *proc = cfg->imap_processed != NULL ? cfg->imap_processed : "flag";

	if (imap_parse_url(cfg->imap_url, &implicit, &s->host, &s->port,
			   &url_user, &s->mailbox, error_r) < 0)
		return -1;
	if (cfg->imap_tls == NULL)
		*mode_r = implicit ? IMAP_TLS_IMPLICIT : IMAP_TLS_STARTTLS;
	else if (strcmp(cfg->imap_tls, "implicit") == 0)
		*mode_r = IMAP_TLS_IMPLICIT;
	else if (strcmp(cfg->imap_tls, "starttls") == 0)
		*mode_r = IMAP_TLS_STARTTLS;
	else if (strcmp(cfg->imap_tls, "none") == 0)
		*mode_r = IMAP_TLS_NONE;
	else {
		*error_r = xasprintf("imap tls = %s: expected implicit, starttls "
				     "or none", cfg->imap_tls);
		goto fail;
	}
	if (implicit && *mode_r != IMAP_TLS_IMPLICIT) {
		*error_r = xasprintf("imap url %s says imaps:// but tls = %s; use "
				     "imap:// for starttls or none", cfg->imap_url,
				     cfg->imap_tls);
		goto fail;
	}
	if (s->port == 0)
		s->port = *mode_r == IMAP_TLS_IMPLICIT ? 993 : 143;
	if (cfg->imap_user != NULL && *cfg->imap_user != '\0') {
		free(url_user);
		url_user = xstrdup(cfg->imap_user);
	}
	if (url_user == NULL || *url_user == '\0') {
		*error_r = xstrdup("no imap user configured");
		goto fail;
	}
	if (strcmp(proc, "flag") == 0) {
		const char *k = cfg->imap_keyword != NULL ? cfg->imap_keyword : "redress";

		if (!imap_keyword_ok(k)) {
			*error_r = xasprintf("imap keyword = %s: not a valid IMAP "
					     "keyword (letters, digits, no spaces "
					     "or (){%%*\"\\])", k);
			goto fail;
		}
		s->keyword = xstrdup(k);
	} else if (strncmp(proc, "move:", 5) == 0 && proc[5] != '\0') {
		if (strpbrk(proc + 5, "\r\n") != NULL) {
			*error_r = xstrdup("imap processed: bad folder name");
			goto fail;
		}
		s->move_folder = xstrdup(proc + 5);
	} else {
		*error_r = xasprintf("imap processed = %s: expected flag or "
				     "move:FOLDER", proc);
		goto fail;
	}
	s->batch = cfg->imap_batch > 0 ? (size_t)cfg->imap_batch : 100;
	if (cfg->intake_max_size > 0 && cfg->intake_max_size < (long)UINT32_MAX - 1)
		s->max_size = (size_t)cfg->intake_max_size;
	*user_r = url_user;
	return 0;
fail:
	free(url_user);
	return -1;
}

int
imap_connect(const struct config *cfg, const char *password,
	     struct imap_session **s_r, char **error_r, bool *temporary_r)
{
	struct imap_session *s;
	enum imap_tls_mode mode;
	char *user = NULL;
	int r;

	*s_r = NULL;
	*temporary_r = false;
	s = xcalloc(1, sizeof(*s));
	if (imap_setup(s, cfg, &mode, &user, error_r) < 0)
		goto fail;
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

	s->imap = mailimap_new(0, NULL);
	if (s->imap == NULL) {
		*error_r = xstrdup("out of memory (mailimap_new)");
		*temporary_r = true;
		goto fail;
	}
	/* Copied into the stream at creation: must come before connecting. */
	mailimap_set_timeout(s->imap, cfg->imap_timeout > 0 ? cfg->imap_timeout : 60);

	if (mode == IMAP_TLS_IMPLICIT)
		r = mailimap_ssl_connect_with_callback(s->imap, s->host, s->port,
						       imap_tls_callback, s);
	else
		r = mailimap_socket_connect(s->imap, s->host, s->port);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		s->broken = true;
		*error_r = xasprintf("cannot connect to %s:%u%s (libetpan error %d)",
				     s->host, (unsigned)s->port,
				     mode == IMAP_TLS_IMPLICIT ? " with TLS" : "", r);
		*temporary_r = r != MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION ||
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
		r = mailimap_socket_starttls_with_callback(s->imap,
							   imap_tls_callback, s);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "STARTTLS", error_r, temporary_r);
			goto fail;
		}
	}
	if (mode != IMAP_TLS_NONE &&
	    imap_verify_tls(s, cfg->imap_ca_file, error_r, temporary_r) < 0)
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
	r = mailimap_select(s->imap, s->mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		char *what = xasprintf("SELECT %s", s->mailbox);

		imap_fail(s, r, what, error_r, temporary_r);
		free(what);
		goto fail;
	}
	if (s->imap->imap_selection_info != NULL)
		s->uidvalidity = s->imap->imap_selection_info->sel_uidvalidity;
	free(user);
	*s_r = s;
	return 0;
fail:
	free(user);
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

/* A UID set of exactly these (sorted) UIDs, runs as ranges. */
static struct mailimap_set *
imap_uid_set(const struct imap_entry *e, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0;

	if (set == NULL)
		return NULL;
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && e[j + 1].uid == e[j].uid + 1)
			j++;
		if (mailimap_set_add_interval(set, e[i].uid, e[j].uid) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
		i = j + 1;
	}
	return set;
}

/* UID and the first body section (or RFC822.SIZE) of one FETCH response. */
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

/* The listing: UIDs > last_uid with their sizes, sorted, unique. */
static int
imap_list_new(struct imap_session *s, uint32_t last_uid,
	      struct imap_entry **list_r, size_t *n_r, char **error_r,
	      bool *temporary_r)
{
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	clist *result = NULL;
	clistiter *it;
	struct imap_entry *list = NULL;
	size_t n = 0, cap = 0, i, w;
	int r;

	*list_r = NULL;
	*n_r = 0;
	if (last_uid == UINT32_MAX)
		return 0;
	set = mailimap_set_new_interval(last_uid + 1, 0);
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
	r = mailimap_uid_fetch(s->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "UID FETCH (listing new mail)", error_r, temporary_r);
		/* A NO here is the server's trouble, not the mail's: retry. */
		*temporary_r = true;
		return -1;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t uid, size = 0;
		bool has_size, has_body;
		const char *body;
		size_t len;

		imap_msg_att_read(clist_content(it), &uid, &size, &has_size,
				  &body, &len, &has_body);
		/* "n:*" always returns the highest UID, even below n. */
		if (uid <= last_uid)
			continue;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		memset(&list[n], 0, sizeof(list[n]));
		list[n].uid = uid;
		list[n].size = has_size ? size : 0;
		n++;
	}
	mailimap_fetch_list_free(result);
	if (n > 1)
		qsort(list, n, sizeof(*list), imap_entry_cmp);
	/* unsolicited responses may repeat a UID */
	for (i = 0, w = 0; i < n; i++)
		if (w == 0 || list[w - 1].uid != list[i].uid)
			list[w++] = list[i];
	*list_r = list;
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

/* One run of imap_fetch_new: how far the batches have got. */
struct imap_run {
	struct imap_session *s;
	const struct imap_sink *sink;
	struct imap_entry *list;
	size_t n;
	size_t committed;         /* list[0..committed) are committed */
	size_t marked;            /* list[0..marked) are marked or moved */
	size_t *fetched;
};

/*
 * Commits every complete batch in list[committed..end), and the rest too
 * when end is the end of the list.  Only called when every entry before
 * end has been delivered or is known to be gone from the server.
 */
static int
imap_commit_upto(struct imap_run *run, size_t end, char **error_r,
		 bool *temporary_r)
{
	struct imap_session *s = run->s;

	while (run->committed < end) {
		size_t upto = run->committed + s->batch;

		if (upto > end) {
			if (end < run->n)
				break;
			upto = end;
		}
		if (run->sink->commit(run->sink->ctx, s->uidvalidity,
				      run->list[upto - 1].uid, error_r,
				      temporary_r) < 0)
			return -1;
		run->committed = upto;
	}
	return 0;
}

static int
imap_hand_over(struct imap_run *run, struct imap_entry *e, const char *body,
	       size_t len, char **error_r, bool *temporary_r)
{
	e->delivered = true;
	if (run->sink->message(run->sink->ctx, run->s->uidvalidity, e->uid,
			       body, len, error_r, temporary_r) < 0)
		return -1;
	(*run->fetched)++;
	return 0;
}

/* The answer to one UID FETCH being handed over. */
struct imap_chunk {
	struct imap_run *run;
	struct imap_entry *e;     /* the chunk: run->list[first..first+n) */
	size_t first, n;
	size_t next;              /* e[0..next) all delivered, in order */
	bool gap;                 /* something arrived out of order */
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
	size_t len = 0, idx;
	struct imap_entry *hit;

	if (c->failed)
		return;
	imap_msg_att_read(att, &uid, &size, &has_size, &body, &len, &has_body);
	hit = imap_find(c->e, c->n, uid);
	/* Flag updates from other clients arrive as FETCH responses too. */
	if (hit == NULL || !has_body || hit->delivered)
		return;
	idx = (size_t)(hit - c->e);
	if (idx != c->next)
		c->gap = true;
	if (imap_hand_over(c->run, hit, body != NULL ? body : "", len,
			   &c->error, &c->temporary) < 0) {
		c->failed = true;
		return;
	}
	if (idx == c->next)
		c->next++;
	/*
	 * Servers answer in UID order; as long as this one does, batches are
	 * committed as they fill up.  After a gap, wait for the end of the
	 * answer: a late message must never land behind a commit that claims
	 * it.
	 */
	if (!c->gap && imap_commit_upto(c->run, c->first + c->next, &c->error,
					&c->temporary) < 0)
		c->failed = true;
}

/*
 * Sends UID FETCH for e[0..n) without waiting for the answer, so that the
 * server works on the next chunk while the sink stores this one (what
 * mbsync gains by pipelining).  libetpan has no call for that, but its
 * public pieces do: mailimap_send_current_tag, then the command through
 * mailstream_write, later mailimap_read_line + mailimap_parse_response.
 * Only one command is ever outstanding.
 */
static int
imap_fetch_send(struct imap_session *s, const struct imap_entry *e, size_t n,
		bool partial, char **error_r, bool *temporary_r)
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
	if (partial)
		(void)buf_printf(&b, " (UID BODY.PEEK[]<0.%zu>)\r\n", s->max_size + 1);
	else
		(void)buf_puts(&b, " (UID BODY.PEEK[])\r\n");
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
 * Reads the answer to the UID FETCH just sent, as mailimap_uid_fetch
 * would: MAILIMAP_NO_ERROR with *result_r (the caller frees it; may be
 * NULL), MAILIMAP_ERROR_UID_FETCH for NO or BAD, else a stream-level code.
 */
static int
imap_fetch_recv(struct imap_session *s, clist **result_r)
{
	struct mailimap_response *response = NULL;
	struct mailimap_response_done *done;
	clist *list = NULL;
	int r, code = -1;

	*result_r = NULL;
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
	if (code != MAILIMAP_RESP_COND_STATE_OK) {
		if (list != NULL)
			mailimap_fetch_list_free(list);
		return code == -1 ? MAILIMAP_ERROR_PARSE : MAILIMAP_ERROR_UID_FETCH;
	}
	*result_r = list;
	return MAILIMAP_NO_ERROR;
}

static int imap_fetch_chunk(struct imap_run *run, size_t first, size_t n,
			    bool partial, char **error_r, bool *temporary_r);

/*
 * Hands over the answer (r, result) to the UID FETCH of
 * list[first..first+n) and commits what it completes; frees result.  A NO
 * for several messages is retried one by one (synchronously: nothing may
 * be outstanding then); a NO for one message hands it over empty, so that
 * it is held rather than blocking every later one.  A message missing from
 * the answer was expunged by someone else.
 */
static int
imap_chunk_take(struct imap_run *run, size_t first, size_t n, bool partial,
		int r, clist *result, char **error_r, bool *temporary_r)
{
	struct imap_session *s = run->s;
	struct imap_chunk c;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.e = &run->list[first];
	c.first = first;
	c.n = n;
	if (r == MAILIMAP_NO_ERROR && result != NULL) {
		clistiter *it;

		for (it = clist_begin(result); it != NULL; it = clist_next(it))
			imap_on_msg_att(clist_content(it), &c);
	}
	if (result != NULL)
		mailimap_fetch_list_free(result);
	if (c.failed) {
		*error_r = c.error;
		*temporary_r = c.temporary;
		return -1;
	}
	if (r == MAILIMAP_ERROR_UID_FETCH && !imap_text_says_temporary(s)) {
		size_t i;

		for (i = 0; i < n; i++) {
			if (c.e[i].delivered)
				continue;
			if (n > 1) {
				if (imap_fetch_chunk(run, first + i, 1, partial,
						     error_r, temporary_r) < 0)
					return -1;
			} else if (imap_hand_over(run, &c.e[i], "", 0, error_r,
						  temporary_r) < 0) {
				return -1;
			}
		}
	} else if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "UID FETCH", error_r, temporary_r);
		*temporary_r = true;
		return -1;
	}
	return imap_commit_upto(run, first + n, error_r, temporary_r);
}

/* Fetches and hands over list[first..first+n), without pipelining. */
static int
imap_fetch_chunk(struct imap_run *run, size_t first, size_t n, bool partial,
		 char **error_r, bool *temporary_r)
{
	clist *result = NULL;
	int r;

	if (imap_fetch_send(run->s, &run->list[first], n, partial, error_r,
			    temporary_r) < 0)
		return -1;
	r = imap_fetch_recv(run->s, &result);
	return imap_chunk_take(run, first, n, partial, r, result, error_r,
			       temporary_r);
}

/*
 * Where the UID FETCH starting at list[j] ends: up to IMAP_CHUNK_MSGS
 * messages or IMAP_CHUNK_BYTES, across batch boundaries (round trips, not
 * bytes, are what costs); a message above max_size goes alone, as a
 * partial fetch of max_size + 1 bytes so that intake sees it is too large
 * and holds it.
 */
static size_t
imap_chunk_end(const struct imap_run *run, size_t j, bool *partial_r)
{
	const struct imap_session *s = run->s;
	size_t k = j, bytes = 0;

	*partial_r = s->max_size > 0 && run->list[j].size > s->max_size;
	if (*partial_r)
		return j + 1;
	while (k < run->n && k - j < IMAP_CHUNK_MSGS &&
	       (s->max_size == 0 || run->list[k].size <= s->max_size) &&
	       (k == j || bytes + run->list[k].size <= IMAP_CHUNK_BYTES)) {
		bytes += run->list[k].size;
		k++;
	}
	return k;
}

/* Marks or moves exactly these UIDs (committed ones only). */
static int
imap_mark(struct imap_session *s, const struct imap_entry *e, size_t n,
	  char **error_r, bool *temporary_r)
{
	struct mailimap_set *set;
	struct mailimap_flag_list *flags;
	struct mailimap_store_att_flags *store;
	int r;

	if (n == 0)
		return 0;
	set = imap_uid_set(e, n);
	if (set == NULL)
		goto nomem;
	if (s->move_folder != NULL && s->has_move) {
		r = mailimap_uid_move(s->imap, set, s->move_folder);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "UID MOVE", error_r, temporary_r);
			return -1;
		}
		return 0;
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
		r = mailimap_uid_expunge(s->imap, set);
		if (r != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			imap_fail(s, r, "UID EXPUNGE", error_r, temporary_r);
			return -1;
		}
	}
	mailimap_set_free(set);
	return 0;
nomem_flags:
	mailimap_flag_list_free(flags);
	mailimap_set_free(set);
nomem:
	*error_r = xstrdup("out of memory building UID STORE");
	*temporary_r = true;
	return -1;
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
		list[n++].uid = *uid;
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

int
imap_fetch_new(struct imap_session *s, uint32_t last_uid,
	       const struct imap_sink *sink, size_t *fetched_r,
	       char **error_r, bool *temporary_r)
{
	struct imap_run run;
	size_t j = 0, k = 0;
	bool partial = false;
	int rc = 0;

	*fetched_r = 0;
	*temporary_r = false;
	memset(&run, 0, sizeof(run));
	run.s = s;
	run.sink = sink;
	run.fetched = fetched_r;
	if (imap_repair(s, last_uid, error_r, temporary_r) < 0)
		return -1;
	if (imap_list_new(s, last_uid, &run.list, &run.n, error_r,
			  temporary_r) < 0)
		return -1;
	/*
	 * Pipelined: while the sink takes chunk c, the UID FETCH for chunk
	 * c + 1 is already on its way.  Batches are committed as they fill
	 * up (imap_commit_upto); whenever no command is outstanding, what is
	 * committed gets marked in one command.
	 */
	if (run.n > 0) {
		k = imap_chunk_end(&run, 0, &partial);
		rc = imap_fetch_send(s, &run.list[0], k, partial, error_r,
				     temporary_r);
	}
	while (rc == 0 && j < run.n) {
		clist *result = NULL;
		size_t nk = 0;
		bool npartial = false, ahead = false;
		int r = imap_fetch_recv(s, &result);

		if (r == MAILIMAP_NO_ERROR && run.committed > run.marked) {
			rc = imap_mark(s, &run.list[run.marked],
				       run.committed - run.marked, error_r,
				       temporary_r);
			if (rc == 0)
				run.marked = run.committed;
		}
		if (rc == 0 && r == MAILIMAP_NO_ERROR && k < run.n) {
			nk = imap_chunk_end(&run, k, &npartial);
			rc = imap_fetch_send(s, &run.list[k], nk - k, npartial,
					     error_r, temporary_r);
			ahead = rc == 0;
		}
		if (rc < 0) {
			if (result != NULL)
				mailimap_fetch_list_free(result);
			break;
		}
		rc = imap_chunk_take(&run, j, k - j, partial, r, result, error_r,
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
			partial = npartial;
		} else if (j < run.n) {
			k = imap_chunk_end(&run, j, &partial);
			rc = imap_fetch_send(s, &run.list[j], k - j, partial,
					     error_r, temporary_r);
		}
	}
	if (rc == 0 && run.committed > run.marked) {
		rc = imap_mark(s, &run.list[run.marked], run.committed - run.marked,
			       error_r, temporary_r);
		if (rc == 0)
			run.marked = run.committed;
	}
	/* The sink failed mid-chunk: what it did commit is still marked. */
	if (rc < 0 && run.committed > run.marked && !s->broken) {
		char *e2 = NULL;
		bool t2;

		if (imap_mark(s, &run.list[run.marked], run.committed - run.marked,
			      &e2, &t2) < 0)
			free(e2);
	}
	free(run.list);
	return rc;
}

/* ------------------------------------------------------------------ */
/* waiting */

static double
imap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
		imap_nap(left < 1.0 ? left : 1.0);
	}
	if (stop != NULL && *stop)
		return 0;
	/* Keeps the connection alive and finds out whether it still is. */
	r = mailimap_noop(s->imap);
	if (r != MAILIMAP_NO_ERROR) {
		bool temporary;

		imap_fail(s, r, "NOOP", error_r, &temporary);
		return -1;
	}
	return 1;
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
		if (s->idle_setup)
			mailstream_unsetup_idle(s->imap->imap_stream);
		if (!s->broken && s->imap->imap_stream != NULL)
			(void)mailimap_logout(s->imap);
		mailimap_free(s->imap);
	}
	free(s->host);
	free(s->mailbox);
	free(s->move_folder);
	free(s->keyword);
	free(s);
	*sp = NULL;
}

int
imap_check_config(const struct config *cfg, char **error_r)
{
	struct imap_session *s = xcalloc(1, sizeof(*s));
	enum imap_tls_mode mode;
	char *user = NULL, *err = NULL;
	int ret = imap_setup(s, cfg, &mode, &user, &err);

	free(user);
	imap_close(&s);
	if (ret < 0) {
		*error_r = xasprintf("%s: %s", config_where(cfg, "imap", "url"), err);
		free(err);
	}
	return ret;
}
