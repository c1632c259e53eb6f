/*
 * mailer - picks the backend and checks every message before it leaves.
 * See mailer.h.
 *
 * The checks live here, not in the backends, so that the outbox directory
 * refuses exactly what SMTP would: a message an SMTP server might read
 * differently from us (bare CR or LF, NUL) never leaves, and an envelope
 * address cannot carry extra SMTP parameters or a second command.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "net/mailer.h"
#include "net/outboxdir.h"
#include "net/smtp.h"

struct mailer {
	struct smtp *smtp;         /* owned; or */
	struct outboxdir *outbox;  /* owned */
};

int
mailer_open(const struct mailer_options *opt, struct mailer **m_r, char **error_r)
{
	struct mailer *m;
	struct smtp_options so;

	*m_r = NULL;
	if (opt->url == NULL || opt->url[0] == '\0') {
		struct outboxdir *o;

		if (outboxdir_open(opt->outbox_path, &o, error_r) < 0)
			return -1;
		m = xcalloc(1, sizeof(*m));
		m->outbox = o;
		*m_r = m;
		return 0;
	}
	memset(&so, 0, sizeof(so));
	so.url = opt->url;
	so.user = opt->user;
	so.password = opt->password;
	so.tls = opt->tls;
	so.ca_file = opt->ca_file;
	so.timeout = opt->timeout;
	so.where = opt->where;
	so.trace = opt->trace;
	m = xcalloc(1, sizeof(*m));
	if (smtp_open(&so, &m->smtp, error_r) < 0) {
		free(m);
		return -1;
	}
	*m_r = m;
	return 0;
}

int
mailer_check_address(const char *addr, int null_ok, const char **why_r)
{
	const char *at = NULL, *p;
	size_t len = strlen(addr);

	if (len == 0) {
		if (null_ok)
			return 0;
		*why_r = "empty address";
		return -1;
	}
	if (len > MAILER_MAX_ADDRESS) {
		*why_r = "address too long";
		return -1;
	}
	for (p = addr; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == 0x7f) {
			*why_r = "whitespace or control character in address";
			return -1;
		}
		if (strchr("<>()[],;:\\\"", c) != NULL) {
			*why_r = "address contains a character it may not";
			return -1;
		}
		if (c == '@')
			at = p;
	}
	if (at == NULL || at == addr || at[1] == '\0') {
		*why_r = "address is not local@domain";
		return -1;
	}
	return 0;
}

/*
 * Every line must end in CRLF; no bare CR, bare LF or NUL anywhere.
 * A final line without CRLF is allowed (libcurl adds one before the dot).
 */
static int
mailer_check_data(const char *data, size_t len, char **error_r)
{
	const char *p, *what = NULL;
	size_t i, j, bad;

	if (len > MAILER_MAX_MESSAGE) {
		*error_r = xasprintf("message too large (%zu bytes, limit %lu)",
				     len, MAILER_MAX_MESSAGE);
		return -1;
	}
	if (len == 0) {
		*error_r = xstrdup("empty message");
		return -1;
	}
	/* The first fault, as a byte-by-byte walk would find it, with
	 * memchr's speed: the line ends are checked where they are. */
	bad = len;
	p = memchr(data, '\0', len);
	if (p != NULL) {
		bad = (size_t)(p - data);
		what = "NUL byte";
	}
	for (i = 0; i < bad && (p = memchr(data + i, '\r', bad - i)) != NULL; i = j + 1) {
		j = (size_t)(p - data);
		if (j + 1 >= len || data[j + 1] != '\n') {
			bad = j;
			what = "bare CR";
			break;
		}
	}
	for (i = 0; i < bad && (p = memchr(data + i, '\n', bad - i)) != NULL; i = j + 1) {
		j = (size_t)(p - data);
		if (j == 0 || data[j - 1] != '\r') {
			bad = j;
			what = "bare LF";
			break;
		}
	}
	if (bad < len) {
		*error_r = xasprintf("%s in the message at offset %zu", what, bad);
		return -1;
	}
	return 0;
}

enum mailer_status
mailer_send(struct mailer *m, const char *envelope_from, const char *rcpt,
	    const char *data, size_t len, char **error_r)
{
	const char *why;

	if (mailer_check_address(envelope_from, 1, &why) < 0) {
		*error_r = xasprintf("envelope sender refused: %s", why);
		return MAILER_PERMFAIL;
	}
	if (mailer_check_address(rcpt, 0, &why) < 0) {
		*error_r = xasprintf("recipient refused: %s", why);
		return MAILER_PERMFAIL;
	}
	if (mailer_check_data(data, len, error_r) < 0)
		return MAILER_PERMFAIL;
	if (m->smtp != NULL)
		return smtp_send(m->smtp, envelope_from, rcpt, data, len, error_r);
	return outboxdir_send(m->outbox, envelope_from, rcpt, data, len, error_r);
}

void
mailer_set_progress(struct mailer *m, int (*fn)(void *ctx, int committed), void *ctx)
{
	if (m->smtp != NULL)
		smtp_set_progress(m->smtp, fn, ctx);
}

const char *
mailer_kind(const struct mailer *m)
{
	return m->smtp != NULL ? "smtp" : "outbox";
}

long
mailer_connections(const struct mailer *m)
{
	return m->smtp != NULL ? smtp_connections(m->smtp) : 0;
}

const char *
mailer_status_name(enum mailer_status status)
{
	switch (status) {
	case MAILER_OK:
		return "ok";
	case MAILER_TEMPFAIL:
		return "tempfail";
	case MAILER_PERMFAIL:
		return "permfail";
	case MAILER_CONFIG:
		return "config";
	case MAILER_DOWN:
		return "down";
	case MAILER_UNCERTAIN:
		return "uncertain";
	case MAILER_STOPPED:
		return "stopped";
	}
	return "unknown";
}

void
mailer_close(struct mailer **mp)
{
	struct mailer *m = *mp;

	if (m == NULL)
		return;
	smtp_close(&m->smtp);
	outboxdir_close(&m->outbox);
	free(m);
	*mp = NULL;
}
