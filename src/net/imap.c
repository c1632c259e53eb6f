/*
 * imap - the IMAP transport over libetpan: the session (connect, STARTTLS,
 * login, SELECT), its errors, waiting for new mail, closing.  See imap.h
 * for the API; the module's other files are imap_url.c (the settings),
 * imap_tls.c (certificates) and imap_fetch.c (fetching and marking), and
 * imap_int.h what they share.
 *
 * Public functions here: imap_connect, imap_uidvalidity, imap_mailbox,
 * imap_wait, imap_close.
 *
 * Ownership: struct imap_session owns the libetpan session and every
 * string in it.  libetpan's own rules (doc/libraries.md) are followed to
 * the letter: sets, fetch types and store attributes we build are ours to
 * free; a fetch or list result is freed only on success (on a NO reply
 * libetpan 1.9.4 frees it itself and leaves the pointer dangling, so
 * results start NULL and are touched only after MAILIMAP_NO_ERROR); every
 * constructor takes ownership of its pointer arguments, so the keyword is
 * xstrdup'ed.
 *
 * TLS: STARTTLS is required for imap:// unless tls = none, and a server
 * that does not offer it is refused, never used in clear; the chain is
 * verified before anything secret is sent (imap_tls.c).
 *
 * Bounds: every byte goes through imap_guard (imap_guard.h), a stream
 * driver of ours around libetpan's socket or TLS one, armed before each
 * exchange with that exchange's deadline and literal caps (imap_arm,
 * imap_arm_bodies).  We connect the socket ourselves and do STARTTLS
 * ourselves, so that the greeting and everything after it is read through
 * the guard.  Which exchange gets which bounds: doc/design.md, "IMAP
 * bounds".
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
#include "net/imap_int.h"

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
bool
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
const char *
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
bool
imap_is_stream_error(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	       r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_SSL ||
	       r == MAILIMAP_ERROR_PROTOCOL ||
	       r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	       r == MAILIMAP_ERROR_BAD_STATE || r == MAILIMAP_ERROR_MEMORY;
}

/* Response codes that say "try again later" (RFC 5530). */
bool
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
void
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

/* Arms the guard for one command and its answer, without message bodies. */
void
imap_arm(struct imap_session *s, enum imap_exchange kind)
{
	double seconds = s->timeout;

	if (kind == IMAP_X_MAILBOX)
		seconds *= IMAP_MAILBOX_FACTOR;
	imap_guard_arm(s->guard, seconds, IMAP_SMALL_LITERAL, IMAP_SMALL_LITERALS,
		       IMAP_FETCH_TEXT_MAX);
}

/* Arms it for an answer carrying message bodies of about bytes in all. */
void
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

double
imap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
