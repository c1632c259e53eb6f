/*
 * smtp - the SMTP mailer backend, on libcurl.  See smtp.h.
 *
 * libcurl (7.88, GnuTLS flavour) speaks the protocol; this file configures
 * it strictly and turns its results into mailer statuses:
 *
 *  - after any failure CURLINFO_RESPONSE_CODE decides first: 4xx is
 *    temporary, 5xx permanent (7.88 reports a rejection after the final
 *    dot as CURLE_RECV_ERROR, the same code as a network error, so the
 *    curl code alone cannot tell);
 *  - with no reply code, connection trouble (resolve, connect, timeout,
 *    TLS handshake, send/receive, nothing received) is temporary;
 *  - certificate, STARTTLS-missing and login failures are configuration
 *    errors: retrying will not help until someone fixes the setup;
 *  - a failure with no reply at all (connection refused, timeout, hang-up),
 *    a 421, or a 4xx before MAIL FROM says the server, not the message, is
 *    in trouble: MAILER_DOWN, so that the caller stops its batch instead of
 *    waiting once per message;
 *  - once the read callback has handed over the end of the message,
 *    libcurl sends the final dot: a failure with no reply after that point
 *    is MAILER_UNCERTAIN (the server may have taken the message, RFC 1047),
 *    whatever the curl code.  Until then the progress hook may abandon the
 *    message (MAILER_STOPPED): nothing has been delivered.
 *
 * The server's reply lines reach the header callback (libcurl passes every
 * SMTP response line there); the last 4xx/5xx line is kept for the error,
 * 334 SASL challenges never are.  The prerequest callback, which libcurl
 * calls once the session is set up (greeting, EHLO, STARTTLS, AUTH) and
 * before MAIL FROM, tells a refusal of the session from a refusal of the
 * message: the curl code cannot, 7.88 returns CURLE_WEIRD_SERVER_REPLY both
 * for a 5xx greeting and for a 5xx after the final dot.
 *
 * With trace on (debug logging), CURLOPT_VERBOSE feeds the debug callback,
 * which mirrors the dialogue into the log except the AUTH exchange: from an
 * AUTH command until the first reply that is not a 334 challenge, client
 * lines and challenges are shown as hidden, so neither the credentials nor
 * anything derived from them reaches a log.  Verbose mode is off otherwise:
 * it makes libcurl format a dozen info messages per message, which costs
 * more CPU than the rest of the client put together.
 *
 * The message is handed over as it is: already CRLF, so CURLOPT_CRLF stays
 * off (it would turn CRLF into CR CR LF); libcurl dot-stuffs lines that
 * start with a dot.
 */
#include "autoconfig.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/xmem.h"
#include "net/smtp.h"

#define SMTP_REPLY_MAX 512

struct smtp {
	CURL *curl;                        /* owned */
	char *hostport;                    /* owned: "host:port" for errors */
	char errbuf[CURL_ERROR_SIZE];
	char reply[SMTP_REPLY_MAX];        /* last reply line from the server */
	char fail_reply[SMTP_REPLY_MAX];   /* last 4xx or 5xx reply line */
	long connections;

	/* the message in flight; not owned */
	const char *data;
	size_t len;
	size_t off;

	/* AUTH exchange in progress: hide it from the trace */
	bool in_auth;
	bool last_was_334;
	/* the session is set up, MAIL FROM is next: replies are about the
	 * message */
	bool in_transaction;
	/* the last transfer failed: do not trust its connection */
	bool reconnect;
	/* the end of the message was handed over: the final dot may be out */
	bool data_done;
	/* a reply line arrived after that */
	bool reply_after_data;
	/* the progress hook abandoned the message */
	bool stopped;
	int (*progress)(void *ctx, int committed);
	void *progress_ctx;
};

static bool smtp_curl_ready;

/* libcurl's global init is not thread-safe in 7.88: main is
 * single-threaded when the first mailer opens. */
static int
smtp_global_init(char **error_r)
{
	CURLcode rc;

	if (smtp_curl_ready)
		return 0;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		*error_r = xasprintf("libcurl initialisation failed: %s",
				     curl_easy_strerror(rc));
		return -1;
	}
	smtp_curl_ready = true;
	return 0;
}

static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *userp)
{
	struct smtp *s = userp;
	size_t want = size * nitems;
	size_t left = s->len - s->off;
	size_t n = want < left ? want : left;

	memcpy(buf, s->data + s->off, n);
	s->off += n;
	/* libcurl knows the size: with the last bytes handed over, it sends
	 * them and the final dot without asking again. */
	if (s->off == s->len)
		s->data_done = true;
	return n;
}

/* libcurl calls this about once a second, and more often while busy. */
static int
smtp_xferinfo(void *userp, curl_off_t dltotal, curl_off_t dlnow,
	      curl_off_t ultotal, curl_off_t ulnow)
{
	struct smtp *s = userp;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (s->progress == NULL)
		return 0;
	if (s->progress(s->progress_ctx, s->data_done ? 1 : 0) != 0 && !s->data_done) {
		s->stopped = true;
		return 1;
	}
	return 0;
}

/* Copies one protocol line without its CRLF, non-printing bytes as '?'. */
static void
smtp_copy_line(char *out, size_t outsize, const char *line, size_t len)
{
	size_t i, n = 0;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (i = 0; i < len && n + 1 < outsize; i++) {
		unsigned char c = (unsigned char)line[i];

		out[n++] = (char)((c < 0x20 || c == 0x7f) ? '?' : c);
	}
	out[n] = '\0';
}

/* Every server reply line, verbose or not. */
static size_t
smtp_header(char *data, size_t size, size_t nitems, void *userp)
{
	struct smtp *s = userp;
	size_t len = size * nitems;

	/* A SASL challenge is never kept: it may be derived from secrets. */
	if (len >= 3 && memcmp(data, "334", 3) == 0)
		return len;
	if (s->data_done)
		s->reply_after_data = true;
	smtp_copy_line(s->reply, sizeof(s->reply), data, len);
	/* Kept apart: libcurl may still say QUIT and read "221" after it. */
	if (len > 0 && (data[0] == '4' || data[0] == '5'))
		memcpy(s->fail_reply, s->reply, sizeof(s->reply));
	return len;
}

/* Called after the session is set up, just before MAIL FROM. */
static int
smtp_prereq(void *userp, char *primary_ip, char *local_ip, int primary_port,
	    int local_port)
{
	struct smtp *s = userp;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	s->in_transaction = true;
	return CURL_PREREQFUNC_OK;
}

/* Trace only: one reply line into the debug log. */
static void
smtp_trace_reply(struct smtp *s, const char *line, size_t len)
{
	char shown[SMTP_REPLY_MAX];
	bool is_334 = len >= 3 && memcmp(line, "334", 3) == 0;

	if (s->in_auth && is_334) {
		s->last_was_334 = true;
		log_debug("smtp: < 334 (authentication challenge hidden)");
		return;
	}
	s->last_was_334 = false;
	if (s->in_auth && len >= 1 && line[0] != '3')
		s->in_auth = false;
	smtp_copy_line(shown, sizeof(shown), line, len);
	log_debug("smtp: < %s", shown);
}

/* Trace only: one command line into the debug log, AUTH hidden. */
static void
smtp_trace_command(struct smtp *s, const char *line, size_t len)
{
	char shown[SMTP_REPLY_MAX];

	if (len >= 5 && strncasecmp(line, "AUTH ", 5) == 0)
		s->in_auth = true;
	else if (!(s->in_auth && s->last_was_334))
		s->in_auth = false;
	if (s->in_auth) {
		log_debug("smtp: > (authentication hidden)");
		return;
	}
	smtp_copy_line(shown, sizeof(shown), line, len);
	log_debug("smtp: > %s", shown);
}

/* Trace only.  Splits a chunk into lines; libcurl usually passes one. */
static int
smtp_debug(CURL *curl, curl_infotype type, char *data, size_t size,
	   void *userp)
{
	struct smtp *s = userp;
	size_t start = 0, i;

	(void)curl;
	if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0;
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i > start) {
			size_t n = i - start;

			while (n > 0 && data[start + n - 1] == '\r')
				n--;
			if (n > 0) {
				if (type == CURLINFO_HEADER_IN)
					smtp_trace_reply(s, data + start, n);
				else
					smtp_trace_command(s, data + start, n);
			}
		}
		start = i + 1;
	}
	return 0;
}

static char *
smtp_url_error(const struct smtp_options *opt, const char *msg)
{
	if (opt->where == NULL)
		return xasprintf("[smtp] url: %s", msg);
	return xasprintf("%s: [smtp] url: %s", opt->where, msg);
}

/*
 * Parses the URL with libcurl's own parser, so that what we check is what
 * libcurl will use.  Never echoes the URL: it might hold a password.
 */
static int
smtp_parse_url(const struct smtp_options *opt, bool *implicit_r,
	       char **hostport_r, char **error_r)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	char *password = NULL, *options = NULL;
	int ret = -1;

	if (u == NULL) {
		*error_r = xstrdup("out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, opt->url, 0) != CURLUE_OK) {
		*error_r = smtp_url_error(opt, "not a valid URL "
					  "(like smtp://mail.example.com:587)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_OPTIONS, &options, 0) == CURLUE_OK) {
		*error_r = smtp_url_error(opt, "credentials do not belong "
					  "in the URL: use [smtp] user and "
					  "password_file");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		*error_r = smtp_url_error(opt, "needs a scheme and a host "
					  "(like smtp://mail.example.com:587)");
		goto out;
	}
	if (strcasecmp(scheme, "smtp") == 0) {
		*implicit_r = false;
	} else if (strcasecmp(scheme, "smtps") == 0) {
		*implicit_r = true;
	} else {
		char *msg = xasprintf("scheme \"%s\" is not smtp or smtps",
				      scheme);

		*error_r = smtp_url_error(opt, msg);
		free(msg);
		goto out;
	}
	*hostport_r = xasprintf("%s:%s", host, port);
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(password);
	curl_free(options);
	curl_url_cleanup(u);
	return ret;
}

#define SMTP_SETOPT(s, opt, val)                                              \
	do {                                                                  \
		CURLcode rc_ = curl_easy_setopt((s)->curl, (opt), (val));     \
		if (rc_ != CURLE_OK) {                                        \
			*error_r = xasprintf("libcurl refused " #opt ": %s",   \
					     curl_easy_strerror(rc_));        \
			goto fail;                                            \
		}                                                             \
	} while (0)

int
smtp_open(const struct smtp_options *opt, struct smtp **s_r, char **error_r)
{
	struct smtp *s;
	bool implicit = false;
	long use_ssl;
	char *hostport = NULL;
	const char *where = opt->where != NULL ? opt->where : "[smtp]";

	*s_r = NULL;
	if (opt->url == NULL || opt->url[0] == '\0') {
		*error_r = xstrdup("[smtp] url is empty");
		return -1;
	}
	if (smtp_global_init(error_r) < 0)
		return -1;
	if (smtp_parse_url(opt, &implicit, &hostport, error_r) < 0)
		return -1;

	if (opt->tls == NULL) {
		use_ssl = CURLUSESSL_ALL;
	} else if (strcmp(opt->tls, "implicit") == 0) {
		if (!implicit) {
			free(hostport);
			*error_r = xasprintf("%s: [smtp] tls = implicit needs an "
					     "smtps:// url", where);
			return -1;
		}
		use_ssl = CURLUSESSL_ALL;
	} else if (strcmp(opt->tls, "starttls") == 0 ||
		   strcmp(opt->tls, "none") == 0) {
		if (implicit) {
			free(hostport);
			*error_r = xasprintf("%s: [smtp] tls = %s contradicts the "
					     "smtps:// url (implicit TLS)",
					     where, opt->tls);
			return -1;
		}
		use_ssl = strcmp(opt->tls, "none") == 0 ? CURLUSESSL_NONE
							: CURLUSESSL_ALL;
	} else {
		free(hostport);
		*error_r = xasprintf("%s: [smtp] tls = %s: expected implicit, "
				     "starttls or none", where, opt->tls);
		return -1;
	}

	s = xcalloc(1, sizeof(*s));
	s->hostport = hostport;
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		*error_r = xstrdup("libcurl could not create a handle");
		goto fail;
	}
	SMTP_SETOPT(s, CURLOPT_URL, opt->url);
	SMTP_SETOPT(s, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SMTP_SETOPT(s, CURLOPT_USE_SSL, use_ssl);
	SMTP_SETOPT(s, CURLOPT_SSL_VERIFYPEER, 1L);
	SMTP_SETOPT(s, CURLOPT_SSL_VERIFYHOST, 2L);
	if (opt->ca_file != NULL && opt->ca_file[0] != '\0')
		SMTP_SETOPT(s, CURLOPT_CAINFO, opt->ca_file);
	if (opt->user != NULL && opt->user[0] != '\0') {
		SMTP_SETOPT(s, CURLOPT_USERNAME, opt->user);
		SMTP_SETOPT(s, CURLOPT_PASSWORD,
			    opt->password != NULL ? opt->password : "");
		if (use_ssl == CURLUSESSL_NONE)
			log_warn("[smtp] tls = none: the SMTP password goes "
				 "over the network in clear text");
	}
	SMTP_SETOPT(s, CURLOPT_NOSIGNAL, 1L);
	SMTP_SETOPT(s, CURLOPT_CONNECTTIMEOUT, opt->timeout);
	SMTP_SETOPT(s, CURLOPT_SERVER_RESPONSE_TIMEOUT, opt->timeout);
	SMTP_SETOPT(s, CURLOPT_LOW_SPEED_LIMIT, 1L);
	SMTP_SETOPT(s, CURLOPT_LOW_SPEED_TIME, opt->timeout);
	SMTP_SETOPT(s, CURLOPT_TIMEOUT, SMTP_ATTEMPT_TIMEOUTS * opt->timeout);
	SMTP_SETOPT(s, CURLOPT_XFERINFOFUNCTION, smtp_xferinfo);
	SMTP_SETOPT(s, CURLOPT_XFERINFODATA, s);
	SMTP_SETOPT(s, CURLOPT_TCP_KEEPALIVE, 1L);
	SMTP_SETOPT(s, CURLOPT_MAXCONNECTS, 1L);
	SMTP_SETOPT(s, CURLOPT_ERRORBUFFER, s->errbuf);
	SMTP_SETOPT(s, CURLOPT_UPLOAD, 1L);
	SMTP_SETOPT(s, CURLOPT_READFUNCTION, smtp_read);
	SMTP_SETOPT(s, CURLOPT_READDATA, s);
	SMTP_SETOPT(s, CURLOPT_HEADERFUNCTION, smtp_header);
	SMTP_SETOPT(s, CURLOPT_HEADERDATA, s);
	SMTP_SETOPT(s, CURLOPT_PREREQFUNCTION, smtp_prereq);
	SMTP_SETOPT(s, CURLOPT_PREREQDATA, s);
	if (opt->trace) {
		SMTP_SETOPT(s, CURLOPT_DEBUGFUNCTION, smtp_debug);
		SMTP_SETOPT(s, CURLOPT_DEBUGDATA, s);
		SMTP_SETOPT(s, CURLOPT_VERBOSE, 1L);
	}
	*s_r = s;
	return 0;
fail:
	smtp_close(&s);
	return -1;
}

static bool
smtp_is_config_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_USE_SSL_FAILED:
	case CURLE_LOGIN_DENIED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_AUTH_ERROR:
		return true;
	default:
		return false;
	}
}

/*
 * 530 (authentication required), 534 (mechanism too weak), 535 (bad
 * credentials) and 538 (encryption required) are about our setup, not about
 * this message: every other message would fail the same way.
 */
static bool
smtp_is_config_reply(long code)
{
	return code == 530 || code == 534 || code == 535 || code == 538;
}

static enum mailer_status
smtp_classify(CURLcode rc, long code, bool in_transaction)
{
	if (rc == CURLE_LOGIN_DENIED && code >= 400 && code < 500)
		return MAILER_TEMPFAIL; /* 454: temporary authentication failure */
	if (smtp_is_config_error(rc) || smtp_is_config_reply(code))
		return MAILER_CONFIG;
	if (code >= 400 && code < 500)
		return MAILER_TEMPFAIL;
	/*
	 * A 5xx before MAIL FROM (to the greeting, EHLO, STARTTLS) refuses us,
	 * not this message: failing the message for good would fail every
	 * queued message the same way.
	 */
	if (code >= 500 && code < 600)
		return in_transaction ? MAILER_PERMFAIL : MAILER_CONFIG;
	/* No reply code: the connection, the network or the server's state. */
	return MAILER_TEMPFAIL;
}

static char *
smtp_error_text(struct smtp *s, CURLcode rc, long code)
{
	const char *detail = s->errbuf[0] != '\0' ? s->errbuf
						  : curl_easy_strerror(rc);
	long os_errno = 0;

	if (rc == CURLE_LOGIN_DENIED) {
		if (s->fail_reply[0] != '\0')
			return xasprintf("%s: login refused: %s", s->hostport,
					 s->fail_reply);
		return xasprintf("%s: login refused: %s", s->hostport, detail);
	}
	if (code >= 400 && code < 600) {
		char digits[8];

		snprintf(digits, sizeof(digits), "%ld", code);
		if (strncmp(s->fail_reply, digits, 3) == 0 && s->in_transaction)
			return xstrdup(s->fail_reply);
		if (strncmp(s->fail_reply, digits, 3) == 0)
			return xasprintf("%s refused the session: %s",
					 s->hostport, s->fail_reply);
		return xasprintf("%s: server replied %ld (%s)", s->hostport,
				 code, detail);
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return xasprintf("%s: cannot resolve host name: %s",
				 s->hostport, detail);
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(s->curl, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno != 0)
			return xasprintf("connection to %s failed: %s",
					 s->hostport, strerror((int)os_errno));
		return xasprintf("connection to %s failed: %s", s->hostport,
				 detail);
	case CURLE_OPERATION_TIMEDOUT:
		return xasprintf("%s: timed out: %s", s->hostport, detail);
	case CURLE_USE_SSL_FAILED:
		return xasprintf("%s does not offer STARTTLS, and TLS is "
				 "required (set [smtp] tls = none only for a "
				 "trusted local relay): %s", s->hostport, detail);
	case CURLE_SSL_CACERT_BADFILE:
		return xasprintf("%s: [smtp] ca_file cannot be used: %s",
				 s->hostport, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
		return xasprintf("%s: TLS certificate not trusted: %s",
				 s->hostport, detail);
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return xasprintf("connection to %s lost: %s", s->hostport,
				 detail);
	default:
		return xasprintf("%s: %s", s->hostport, detail);
	}
}

/* One transfer of the message set up in s; *connects_r: connections
 * it opened (0: it reused the kept one). */
static CURLcode
smtp_perform(struct smtp *s, long *connects_r)
{
	CURLcode rc;

	s->off = 0;
	s->errbuf[0] = '\0';
	s->reply[0] = '\0';
	s->fail_reply[0] = '\0';
	s->in_auth = false;
	s->last_was_334 = false;
	s->in_transaction = false;
	s->data_done = false;
	s->reply_after_data = false;
	s->stopped = false;
	*connects_r = 0;
	if (curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT,
			     s->reconnect ? 1L : 0L) != CURLE_OK)
		return CURLE_FAILED_INIT;
	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, connects_r);
	s->connections += *connects_r;
	return rc;
}

enum mailer_status
smtp_send(struct smtp *s, const char *from, const char *rcpt,
	  const char *data, size_t len, char **error_r)
{
	struct curl_slist *rcpts;
	char *mail_from, *rcpt_to;
	enum mailer_status status = MAILER_OK;
	CURLcode rc;
	long code = 0, connects = 0;

	mail_from = xasprintf("<%s>", from);
	rcpt_to = xasprintf("<%s>", rcpt);
	rcpts = curl_slist_append(NULL, rcpt_to);
	if (rcpts == NULL) {
		free(mail_from);
		free(rcpt_to);
		*error_r = xstrdup("out of memory");
		return MAILER_TEMPFAIL;
	}
	s->data = data;
	s->len = len;
	if (curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, mail_from) != CURLE_OK ||
	    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts) != CURLE_OK ||
	    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
			     (curl_off_t)len) != CURLE_OK) {
		*error_r = xstrdup("libcurl refused the envelope");
		status = MAILER_TEMPFAIL;
		goto out;
	}
	rc = smtp_perform(s, &connects);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	/*
	 * A kept connection may have died while idle: servers close idle
	 * sessions (Postfix after 300 s, often saying 421 first), and
	 * libcurl does not always notice before it reuses one.  When such a
	 * connection failed at once, without a timeout and before any of the
	 * message went out, this is not the server being down: the message
	 * goes once more, on a fresh connection.
	 */
	if (rc != CURLE_OK && connects == 0 && !s->data_done && !s->stopped &&
	    rc != CURLE_OPERATION_TIMEDOUT &&
	    (s->reply[0] == '\0' || strncmp(s->reply, "421", 3) == 0)) {
		log_debug("smtp: %s: the kept connection is gone (curl error %d, "
			  "reply code %ld); connecting afresh", s->hostport, (int)rc, code);
		s->reconnect = true;
		rc = smtp_perform(s, &connects);
		code = 0;
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	}
	/*
	 * libcurl 7.88 may keep a connection after a failed transfer, even one
	 * the server closed with 421: the next message would then fail on a
	 * dead socket.  After any failure the next message connects afresh
	 * (MAXCONNECTS 1 makes libcurl close the old one).
	 */
	s->reconnect = rc != CURLE_OK;
	if (rc != CURLE_OK) {
		char *text;

		log_debug("smtp: %s: curl error %d, reply code %ld%s",
			  s->hostport, (int)rc, code,
			  s->data_done ? " (after the end of the data)" : "");
		if (s->stopped) {
			status = MAILER_STOPPED;
			*error_r = xasprintf("%s: stopped before the message was "
					     "complete; nothing was delivered",
					     s->hostport);
			goto out;
		}
		text = smtp_error_text(s, rc, code);
		if (s->data_done && !s->reply_after_data) {
			status = MAILER_UNCERTAIN;
			*error_r = xasprintf("no reply to the final dot (%s): the "
					     "server may have accepted the message",
					     text);
			free(text);
			goto out;
		}
		*error_r = text;
		status = smtp_classify(rc, code, s->in_transaction);
		/* CURLINFO_RESPONSE_CODE is the last reply of any kind (a 250
		 * to RCPT before a timeout at DATA): whether the server refused
		 * is whether a 4xx line came in this transfer. */
		if (status == MAILER_TEMPFAIL &&
		    (s->fail_reply[0] == '\0' || code == 421 || !s->in_transaction))
			status = MAILER_DOWN;
	}
out:
	/* The list is not copied by libcurl: detach it before freeing. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_slist_free_all(rcpts);
	free(mail_from);
	free(rcpt_to);
	s->data = NULL;
	s->len = s->off = 0;
	return status;
}

void
smtp_set_progress(struct smtp *s, int (*fn)(void *ctx, int committed), void *ctx)
{
	s->progress = fn;
	s->progress_ctx = ctx;
	/* The callback costs a call per loop of libcurl's: only with a hook. */
	curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, fn != NULL ? 0L : 1L);
}

long
smtp_connections(const struct smtp *s)
{
	return s->connections;
}

void
smtp_close(struct smtp **sp)
{
	struct smtp *s = *sp;

	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl); /* sends QUIT on a live connection */
	free(s->hostport);
	free(s);
	*sp = NULL;
}
