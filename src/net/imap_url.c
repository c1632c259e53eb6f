/*
 * imap_url - the [imap] settings read: the URL (imap://, imaps://, the
 * user, the host, the port, the mailbox), tls, the keyword and what to do
 * with a fetched message.  Part of the imap module (imap.h).
 *
 * Public: imap_parse_url, imap_options_parse, imap_options_clear.
 * Errors are allocated strings without the setting's FILE:LINE, which the
 * caller (config) adds; a password in the URL is refused.
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
#include "net/imap_int.h"

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

