/*
 * NAME
 *	spamd - the spamc protocol over TCP, one message per connection
 * DESCRIPTION
 *	See spamd.h.  The protocol: apache/spamassassin spamd/PROTOCOL.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "base/num.h"
#include "base/xmem.h"
#include "net/resolve.h"
#include "net/spamd.h"

int
spamd_parse_hostport(const char *hostport, char *host, size_t hostlen, char *port,
		     size_t portlen)
{
	const char *colon, *h = hostport;
	size_t hl;

	if (hostport == NULL)
		return -1;
	if (*h == '[') {
		const char *close = strchr(h, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h++;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(h, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - h);
	}
	if (hl == 0 || hl >= hostlen || colon[1] == '\0' || strlen(colon + 1) >= portlen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) < 1 ||
	    atol(colon + 1) > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

/* The deadlines' clock: resolve_host's, CLOCK_MONOTONIC in ms. */
static long long
spamd_ms(void)
{
	return resolve_now_ms();
}

/* Waits for events on fd until the deadline: 1 ready, 0 timed out, -1. */
static int
spamd_wait(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - spamd_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Connects to one of the addresses of host:port before the deadline. */
static int
spamd_connect(const char *host, const char *port, long long deadline, char **error_r)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	int fd = -1, rc, err = 0;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	/* The name lookup is part of the question [spam] timeout bounds. */
	if (resolve_host(host, port, &hints, deadline, NULL, NULL, &res, error_r) < 0)
		return -1;
	for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
		socklen_t len = sizeof(err);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			rc = spamd_wait(fd, POLLOUT, deadline);
			if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
			    err == 0)
				break;
			if (rc == 0)
				err = ETIMEDOUT;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		*error_r = xasprintf("cannot connect to %s port %s: %s", host, port,
				     strerror(err != 0 ? err : ECONNREFUSED));
	return fd;
}

static int
spamd_send_all(int fd, const char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (spamd_wait(fd, POLLOUT, deadline) <= 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* A number as spamd writes it: [-]digits[.digits]; locale-free. */
static const char *
spamd_number(const char *p, double *v_r)
{
	while (*p == ' ')
		p++;
	return num_decimal(p, v_r);
}

/* Reads spamd's answer in buf (n bytes, NUL-terminated). */
static enum spamd_status
spamd_parse(char *buf, size_t n, struct spamd_result *r, char **error_r)
{
	char *line, *eol, *body = NULL;
	bool have_spam = false;
	int code;

	(void)n;
	if (strncmp(buf, "SPAMD/", 6) != 0 || (eol = strchr(buf, '\n')) == NULL) {
		*error_r = xasprintf("spamd answered something else than the protocol: "
				     "\"%.60s\"", buf);
		return SPAMD_FAILED;
	}
	*eol = '\0';
	if (eol > buf && eol[-1] == '\r')
		eol[-1] = '\0';
	{
		const char *sp = strchr(buf, ' ');

		code = sp != NULL ? atoi(sp + 1) : -1;
	}
	if (code != 0) {
		*error_r = xasprintf("spamd: %.200s", buf);
		/* EX_UNAVAILABLE, EX_OSERR, EX_IOERR, EX_TEMPFAIL, spamd's
		 * own timeout: it may work later. */
		return code == 69 || code == 71 || code == 74 || code == 75 || code == 79
		       ? SPAMD_UNAVAILABLE : SPAMD_FAILED;
	}
	for (line = eol + 1;;) {
		char *nl = strchr(line, '\n'), *next;
		size_t ll;

		if (nl != NULL)
			*nl = '\0';
		next = nl != NULL ? nl + 1 : line + strlen(line);
		ll = strlen(line);
		if (ll > 0 && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (ll == 0) {
			body = nl != NULL ? next : NULL;
			break;
		}
		if (strncasecmp(line, "Spam:", 5) == 0) {
			/* "Spam: True ; 1000.0 / 5.0" (True False Yes No) */
			char *p = line + 5;
			const char *q;

			while (*p == ' ')
				p++;
			r->spam = strncasecmp(p, "true", 4) == 0 || strncasecmp(p, "yes", 3) == 0;
			p = strchr(p, ';');
			if (p == NULL || (q = spamd_number(p + 1, &r->score)) == NULL ||
			    (q = strchr(q, '/')) == NULL ||
			    spamd_number(q + 1, &r->threshold) == NULL) {
				*error_r = xasprintf("spamd: unreadable \"%.100s\"", line);
				return SPAMD_FAILED;
			}
			have_spam = true;
		}
		if (nl == NULL)
			break;
		line = next;
	}
	if (!have_spam) {
		*error_r = xstrdup("spamd answered without a Spam: line");
		return SPAMD_FAILED;
	}
	if (body != NULL) {
		size_t k = 0;

		for (const char *p = body; *p != '\0' && k + 1 < sizeof(r->symbols); p++)
			if ((unsigned char)*p >= 0x21 && (unsigned char)*p < 0x7f)
				r->symbols[k++] = *p;
		r->symbols[k] = '\0';
	}
	return SPAMD_CHECKED;
}

enum spamd_status
spamd_check(const char *hostport, long timeout_seconds, const char *msg, size_t len,
	    struct spamd_result *r, char **error_r)
{
	char host[256], port[16], head[128];
	long long deadline = spamd_ms() + (timeout_seconds > 0 ? timeout_seconds : 1) * 1000LL;
	char *buf = NULL;
	size_t n = 0;
	enum spamd_status st = SPAMD_UNAVAILABLE;
	int fd;

	memset(r, 0, sizeof(*r));
	*error_r = NULL;
	if (spamd_parse_hostport(hostport, host, sizeof(host), port, sizeof(port)) < 0) {
		*error_r = xasprintf("[spam] spamd: \"%s\" is not HOST:PORT", hostport);
		return SPAMD_FAILED;
	}
	fd = spamd_connect(host, port, deadline, error_r);
	if (fd < 0)
		return SPAMD_UNAVAILABLE;
	snprintf(head, sizeof(head), "SYMBOLS SPAMC/1.5\r\nContent-length: %zu\r\n\r\n", len);
	if (spamd_send_all(fd, head, strlen(head), deadline) < 0 ||
	    spamd_send_all(fd, msg, len, deadline) < 0) {
		*error_r = xasprintf("spamd %s: sending the message: %s", hostport,
				     errno != 0 ? strerror(errno) : "timed out");
		goto out;
	}
	shutdown(fd, SHUT_WR);
	buf = xmalloc(SPAMD_MAX_ANSWER + 1);
	for (;;) {
		ssize_t got;
		int w = spamd_wait(fd, POLLIN, deadline);

		if (w <= 0) {
			*error_r = xasprintf("spamd %s: no answer within %ld s", hostport,
					     timeout_seconds);
			goto out;
		}
		got = recv(fd, buf + n, SPAMD_MAX_ANSWER - n, 0);
		if (got == 0)
			break;
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*error_r = xasprintf("spamd %s: %s", hostport, strerror(errno));
			goto out;
		}
		n += (size_t)got;
		if (n == SPAMD_MAX_ANSWER) {
			*error_r = xasprintf("spamd %s: an answer over %d bytes", hostport,
					     SPAMD_MAX_ANSWER);
			st = SPAMD_FAILED;
			goto out;
		}
	}
	buf[n] = '\0';
	if (n == 0) {
		*error_r = xasprintf("spamd %s closed the connection without an answer",
				     hostport);
		goto out;
	}
	st = spamd_parse(buf, n, r, error_r);
out:
	free(buf);
	close(fd);
	return st;
}
