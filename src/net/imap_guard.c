/*
 * imap_guard - the bounded stream under libetpan.  See imap_guard.h.
 *
 * Public functions: imap_guard_new, imap_guard_free, imap_guard_wrap,
 * imap_guard_set_inner, imap_guard_inner, imap_guard_arm,
 * imap_guard_left, imap_guard_check, imap_guard_beat, imap_guard_fail,
 * imap_guard_error,
 * imap_guard_stopped, imap_guard_connect.
 *
 * Why a driver and not a timer: libetpan's loops (the literal reader, the
 * line reader, mailstream_flush) call the low-level driver again for as
 * long as it answers anything but -1, so the driver is the one place that
 * sees every wait and every byte, and -1 is the one answer that always
 * ends them.  The inner driver (libetpan's socket or GnuTLS one) still
 * does the reading: it alone knows about GnuTLS's buffered records.  It is
 * given a timeout of 1 s per call; a call that returns -1 after waiting
 * that long with no error set is a slice that timed out, anything else is
 * the connection's end.
 *
 * The scanner sees the server's bytes in order before libetpan does and
 * keeps just enough state to tell lines from literals: a line ending in
 * "{N}" (or "~{N}") is followed by N bytes of literal.  Its caps are
 * checked when the announcement's line ends, before those bytes are
 * handed up, so libetpan never allocates for a literal it would not be
 * given.  Text that only looks like an announcement (in a free-text
 * response) is counted as literal; it is bounded all the same.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "base/xmem.h"
#include "net/imap_guard.h"
#include "net/resolve.h"

/* Longest single wait in the inner driver: how quickly SIGTERM, the
 * deadline and the heartbeat are noticed. */
#define IMAP_GUARD_SLICE 1
/* Failed calls in a row that came back at once: more is a busy loop. */
#define IMAP_GUARD_QUICK_MAX 100

/* Where the start of a line is in "* 123 FETCH ": FETCH responses are
 * counted apart from other text, because a listing is made of them and
 * libetpan can hand them over one by one (mailimap_set_msg_att_handler)
 * instead of keeping them all. */
enum imap_guard_head {
	HEAD_START,
	HEAD_STAR,     /* "*" */
	HEAD_SP,       /* "* " */
	HEAD_NUM,      /* "* 12" */
	HEAD_NUMSP,    /* "* 12 " and then "FETCH" letter by letter */
	HEAD_FETCH = HEAD_NUMSP + 5,
	HEAD_OTHER,
};

enum imap_guard_tail {
	TAIL_NONE,
	TAIL_OPEN,     /* "{" */
	TAIL_DIGITS,   /* "{12" */
	TAIL_CLOSE,    /* "{12}" */
	TAIL_CR,       /* "{12}\r" */
};

struct imap_guard {
	struct imap_guard_params p;
	mailstream_low *inner;        /* owned by the wrapping low-level stream */
	bool failed;
	bool stopped;
	unsigned quick;               /* failed inner calls in a row, at once */
	char why[256];

	/* the exchange */
	double deadline;
	double seconds;
	double last_progress;
	double next_heartbeat;
	uint64_t literal_max;
	uint64_t literal_total;
	uint64_t fetch_max;

	/* the scanner */
	size_t line_len;
	int head;                     /* enum imap_guard_head */
	uint64_t text;                /* other response text this exchange */
	uint64_t fetch_text;          /* text of FETCH responses */
	uint64_t literals;            /* literal bytes announced this exchange */
	uint64_t lit_left;
	uint64_t num;
	enum imap_guard_tail tail;
};

static double
imap_guard_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct imap_guard *
imap_guard_new(const struct imap_guard_params *p)
{
	struct imap_guard *g = xcalloc(1, sizeof(*g));
	double now = imap_guard_now();

	g->p = *p;
	if (g->p.idle < 1)
		g->p.idle = 1;
	g->deadline = now + g->p.idle;
	g->seconds = g->p.idle;
	g->last_progress = now;
	g->next_heartbeat = now + g->p.heartbeat_every;
	return g;
}

void
imap_guard_free(struct imap_guard **gp)
{
	if (gp == NULL || *gp == NULL)
		return;
	free(*gp);
	*gp = NULL;
}

void
imap_guard_fail(struct imap_guard *g, const char *why)
{
	if (g->failed)
		return;
	g->failed = true;
	snprintf(g->why, sizeof(g->why), "%s", why);
}

static int
imap_guard_failf(struct imap_guard *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
imap_guard_failf(struct imap_guard *g, const char *fmt, ...)
{
	if (!g->failed) {
		va_list ap;

		g->failed = true;
		va_start(ap, fmt);
		vsnprintf(g->why, sizeof(g->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *
imap_guard_error(const struct imap_guard *g)
{
	return g->failed ? g->why : NULL;
}

bool
imap_guard_stopped(const struct imap_guard *g)
{
	return g->stopped;
}

void
imap_guard_arm(struct imap_guard *g, double seconds, uint64_t literal_max,
	       uint64_t literal_total, uint64_t fetch_text)
{
	double now = imap_guard_now();

	g->seconds = seconds;
	g->deadline = now + seconds;
	g->last_progress = now;
	g->literal_max = literal_max;
	g->literal_total = literal_total;
	g->fetch_max = fetch_text;
	g->text = 0;
	g->fetch_text = 0;
	g->literals = 0;
}

int
imap_guard_left(const struct imap_guard *g)
{
	double left = g->deadline - imap_guard_now();

	return left < 1 ? 1 : left > 86400 ? 86400 : (int)left;
}

int
imap_guard_check(struct imap_guard *g)
{
	double now;

	if (g->failed)
		return -1;
	if (g->p.stop != NULL && *g->p.stop) {
		g->stopped = true;
		return imap_guard_failf(g, "stopped by a signal");
	}
	now = imap_guard_now();
	if (now >= g->deadline)
		return imap_guard_failf(g, "no complete answer within %.0f s",
					g->seconds);
	if (now - g->last_progress >= g->p.idle)
		return imap_guard_failf(g, "nothing received for %d s", g->p.idle);
	return imap_guard_beat(g);
}

int
imap_guard_beat(struct imap_guard *g)
{
	double now;
	char *error = NULL;

	if (g->failed)
		return -1;
	if (g->p.heartbeat == NULL)
		return 0;
	now = imap_guard_now();
	if (now < g->next_heartbeat)
		return 0;
	g->next_heartbeat = now + g->p.heartbeat_every;
	if (g->p.heartbeat(g->p.heartbeat_ctx, &error) < 0) {
		imap_guard_failf(g, "%s", error != NULL ? error : "heartbeat failed");
		free(error);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the scanner */

/* Counts byte c of a line as FETCH text or other text: -1 over a cap. */
static int
imap_guard_head(struct imap_guard *g, unsigned char c)
{
	static const char fetch[] = "FETCH";
	int h = g->head;

	if (h < HEAD_FETCH) {
		if (h == HEAD_START && c == '*')
			h = HEAD_STAR;
		else if (h == HEAD_STAR && c == ' ')
			h = HEAD_SP;
		else if ((h == HEAD_SP || h == HEAD_NUM) && c >= '0' && c <= '9')
			h = HEAD_NUM;
		else if (h == HEAD_NUM && c == ' ')
			h = HEAD_NUMSP;
		else if (h >= HEAD_NUMSP && (c & ~0x20) == fetch[h - HEAD_NUMSP])
			h++;
		else
			h = HEAD_OTHER;
		if (h == HEAD_FETCH) {
			/* The line so far was counted as other text. */
			uint64_t k = g->line_len - 1;

			if (k > g->text)
				k = g->text;
			g->text -= k;
			g->fetch_text += k;
		}
		g->head = h;
	}
	if (g->head == HEAD_FETCH) {
		if (++g->fetch_text > g->fetch_max)
			return imap_guard_failf(g, "the server sent more than %"
						PRIu64 " bytes of FETCH responses "
						"in one answer", g->fetch_max);
	} else if (++g->text > g->p.text_max) {
		return imap_guard_failf(g, "the server sent more than %zu bytes of "
					"response text in one answer", g->p.text_max);
	}
	return 0;
}

/* Follows n bytes of the server's stream; -1 when one of them breaks a cap. */
static int
imap_guard_scan(struct imap_guard *g, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c;

		if (g->lit_left > 0) {
			uint64_t k = n - i;

			if (k > g->lit_left)
				k = g->lit_left;
			g->lit_left -= k;
			i += (size_t)k;
			continue;
		}
		c = p[i++];
		if (++g->line_len > g->p.line_max)
			return imap_guard_failf(g, "the server sent a line longer "
						"than %zu bytes", g->p.line_max);
		if (imap_guard_head(g, c) < 0)
			return -1;
		if (c == '\n') {
			if (g->tail == TAIL_CLOSE || g->tail == TAIL_CR) {
				if (g->num > g->literal_max)
					return imap_guard_failf(g, "the server "
						"announced a literal of %" PRIu64
						" bytes (at most %" PRIu64 " here)",
						g->num, g->literal_max);
				if (g->literals + g->num > g->literal_total)
					return imap_guard_failf(g, "the server "
						"announced more than %" PRIu64
						" bytes of literals in one answer",
						g->literal_total);
				g->literals += g->num;
				g->lit_left = g->num;
			}
			g->line_len = 0;
			g->head = HEAD_START;
			g->tail = TAIL_NONE;
		} else if (c == '{') {
			g->tail = TAIL_OPEN;
			g->num = 0;
		} else if ((g->tail == TAIL_OPEN || g->tail == TAIL_DIGITS) &&
			   c >= '0' && c <= '9') {
			g->tail = TAIL_DIGITS;
			/* Saturates far above any cap. */
			if (g->num < UINT64_C(1) << 40)
				g->num = g->num * 10 + (uint64_t)(c - '0');
		} else if (g->tail == TAIL_DIGITS && c == '}') {
			g->tail = TAIL_CLOSE;
		} else if (g->tail == TAIL_CLOSE && c == '\r') {
			g->tail = TAIL_CR;
		} else {
			g->tail = TAIL_NONE;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the driver */

/*
 * Did a failed call of the inner driver just wait out its slice, or meet a
 * signal or a spurious wake-up (go on), rather than the connection's end
 * (stop)?  An error that comes back at once again and again is an end
 * too, however it looks: never a busy loop.
 */
static bool
imap_guard_slice_over(struct imap_guard *g, int e, double waited)
{
	if (waited < IMAP_GUARD_SLICE * 0.5 && ++g->quick > IMAP_GUARD_QUICK_MAX)
		return false;
	if (e == EINTR || e == EAGAIN || e == EWOULDBLOCK)
		return true;
	return (e == 0 || e == ETIMEDOUT) && waited >= IMAP_GUARD_SLICE * 0.9;
}

/*
 * One read or write through the inner driver, in slices of
 * IMAP_GUARD_SLICE so that the stop flag, the deadlines and the heartbeat
 * are looked at in between.  What is read is scanned first; a read of 0
 * bytes is the end of the stream, a write of 0 a socket not writable yet.
 * sending says which: wbuf is read from when it is true, rbuf written to
 * when it is false.
 */
static ssize_t
imap_guard_io(mailstream_low *low, bool sending, void *rbuf, const void *wbuf,
	      size_t count)
{
	struct imap_guard *g = low->data;

	if (g->failed)
		return -1;
	if (count == 0)
		return 0;
	for (;;) {
		double t0 = imap_guard_now();
		ssize_t r;
		int e;

		if (imap_guard_check(g) < 0)
			return -1;
		mailstream_low_set_timeout(g->inner, IMAP_GUARD_SLICE);
		errno = 0;
		r = sending ? mailstream_low_write(g->inner, wbuf, count)
		    : mailstream_low_read(g->inner, rbuf, count);
		e = errno;
		if (r > 0) {
			if (!sending && imap_guard_scan(g, rbuf, (size_t)r) < 0)
				return -1;
			g->last_progress = imap_guard_now();
			g->quick = 0;
			return r;
		}
		if (r == 0 && !sending) {
			imap_guard_fail(g, "the server closed the connection");
			return -1;
		}
		if (imap_guard_slice_over(g, r == 0 ? 0 : e, imap_guard_now() - t0))
			continue;
		imap_guard_failf(g, sending ? "connection lost while sending (%s)"
				 : "connection lost (%s)", e != 0 ? strerror(e) : "end of stream");
		return -1;
	}
}

static ssize_t
imap_guard_read(mailstream_low *low, void *buf, size_t count)
{
	return imap_guard_io(low, false, buf, NULL, count);
}

static ssize_t
imap_guard_write(mailstream_low *low, const void *buf, size_t count)
{
	return imap_guard_io(low, true, NULL, buf, count);
}

static int
imap_guard_close(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return g->inner != NULL ? mailstream_low_close(g->inner) : 0;
}

static int
imap_guard_get_fd(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return g->inner != NULL ? mailstream_low_get_fd(g->inner) : -1;
}

static void
imap_guard_low_free(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	if (g->inner != NULL)
		mailstream_low_free(g->inner);
	g->inner = NULL;
	free(low);
}

static void
imap_guard_cancel(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	if (g->inner != NULL)
		mailstream_low_cancel(g->inner);
}

static struct mailstream_cancel *
imap_guard_get_cancel(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return g->inner != NULL ? mailstream_low_get_cancel(g->inner) : NULL;
}

static carray *
imap_guard_get_certificate_chain(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return g->inner != NULL ? mailstream_low_get_certificate_chain(g->inner)
				: NULL;
}

/* The IDLE hooks stay NULL, as in libetpan's socket and TLS drivers: IDLE
 * then waits with select() on get_fd and get_cancel. */
static mailstream_low_driver imap_guard_driver = {
	imap_guard_read,
	imap_guard_write,
	imap_guard_close,
	imap_guard_get_fd,
	imap_guard_low_free,
	imap_guard_cancel,
	imap_guard_get_cancel,
	imap_guard_get_certificate_chain,
	NULL,
	NULL,
	NULL,
};

mailstream_low *
imap_guard_wrap(struct imap_guard *g, mailstream_low *inner)
{
	mailstream_low *low;

	g->inner = inner;
	low = mailstream_low_new(g, &imap_guard_driver);
	if (low == NULL) {
		mailstream_low_free(inner);
		g->inner = NULL;
	}
	return low;
}

void
imap_guard_set_inner(struct imap_guard *g, mailstream_low *inner)
{
	/* libetpan's socket driver frees without closing the descriptor,
	 * as its own STARTTLS does. */
	if (g->inner != NULL)
		mailstream_low_free(g->inner);
	g->inner = inner;
}

mailstream_low *
imap_guard_inner(const struct imap_guard *g)
{
	return g->inner;
}

/* ------------------------------------------------------------------ */
/* connecting */

/* Waits for a non-blocking connect on fd: 0, or -1 with errno set (0 when
 * the guard failed). */
static int
imap_guard_wait_connect(struct imap_guard *g, int fd)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		int r, err = 0;
		socklen_t len = sizeof(err);

		if (imap_guard_check(g) < 0) {
			errno = 0;
			return -1;
		}
		r = poll(&pfd, 1, IMAP_GUARD_SLICE * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -1;
		if (err != 0) {
			errno = err;
			return -1;
		}
		return 0;
	}
}

static int
imap_guard_check_cb(void *ctx)
{
	return imap_guard_check(ctx);
}

int
imap_guard_connect(struct imap_guard *g, const char *host, uint16_t port,
		   int *fd_r, char **error_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[8];
	double deadline;
	int fd = -1, last = 0;

	*fd_r = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	/* The lookup is bounded like the rest of the connection: by the
	 * armed deadline, the idle timeout and the stop flag. */
	deadline = g->deadline < g->last_progress + g->p.idle ? g->deadline
		   : g->last_progress + g->p.idle;
	if (resolve_host(host, service, &hints,
			 resolve_now_ms() + (long long)((deadline - imap_guard_now()) * 1000),
			 imap_guard_check_cb, g, &res, error_r) < 0) {
		if (g->failed) {
			free(*error_r);
			*error_r = xasprintf("cannot resolve %s: %s", host, g->why);
		}
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		/* libetpan waits with select(): a higher descriptor would
		 * abort the process (fortify). */
		if (fd >= FD_SETSIZE - 16) {
			close(fd);
			fd = -1;
			last = EMFILE;
			break;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && imap_guard_wait_connect(g, fd) == 0))
			break;
		last = errno;
		close(fd);
		fd = -1;
		if (g->failed)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (g->failed)
			*error_r = xasprintf("cannot connect to %s:%u: %s", host,
					     (unsigned)port, g->why);
		else
			*error_r = xasprintf("cannot connect to %s:%u: %s", host,
					     (unsigned)port, last != 0 ?
					     strerror(last) : "no address");
		return -1;
	}
	g->last_progress = imap_guard_now();
	*fd_r = fd;
	return 0;
}
