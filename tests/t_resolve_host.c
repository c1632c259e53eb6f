/*
 * t_resolve_host - resolve_host without a name server: numeric addresses (no
 * thread), "localhost" through glibc's resolver thread (from /etc/hosts),
 * ports, hints, and many lookups in a row (each request freed once,
 * whichever of the caller and the notification lets go last: the
 * sanitizer build checks it).  Lookups that hang are tests/t_resolve.sh,
 * with a name server that never answers.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "net/resolve.h"
#include "tap.h"

/* glibc's freeaddrinfo takes NULL; POSIX does not say. */
static void
drop(struct addrinfo **res)
{
	if (*res != NULL)
		freeaddrinfo(*res);
	*res = NULL;
}

/* The first address of res as text, and its port. */
static const char *
first(const struct addrinfo *res, int *port_r)
{
	static char text[INET6_ADDRSTRLEN];

	*port_r = -1;
	if (res == NULL)
		return "(none)";
	if (res->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)res->ai_addr;

		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		*port_r = ntohs(sin->sin_port);
	} else if (res->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)res->ai_addr;

		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
		*port_r = ntohs(sin6->sin6_port);
	} else {
		return "(other family)";
	}
	return text;
}

static void
numeric(void)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char *error = NULL;
	int port;

	hints.ai_socktype = SOCK_STREAM;
	is_int(resolve_host("127.0.0.1", "783", &hints, resolve_now_ms() + 1000, NULL,
			    NULL, &res, &error), 0, "127.0.0.1 resolves");
	is_str(first(res, &port), "127.0.0.1", "to itself");
	is_int(port, 783, "with the port");
	ok(error == NULL, "and no error");
	drop(&res);

	/* An address needs no time: a deadline already past does not matter. */
	is_int(resolve_host("::1", "11333", &hints, resolve_now_ms() - 1000, NULL, NULL,
			    &res, &error), 0, "::1 resolves even after the deadline");
	is_str(first(res, &port), "::1", "to itself");
	is_int(port, 11333, "with the port");
	drop(&res);

	hints.ai_family = AF_INET6;
	is_int(resolve_host("127.0.0.1", "1", &hints, resolve_now_ms() + 1000, NULL, NULL,
			    &res, &error), -1, "an IPv4 address asked for as IPv6: -1");
	ok(res == NULL, "with no result");
	ok(error != NULL && strstr(error, "cannot resolve 127.0.0.1") != NULL,
	   "and an error naming it (%s)", error != NULL ? error : "none");
	free(error);
}

static int
stop_now(void *ctx)
{
	(*(int *)ctx)++;
	return -1;
}

static void
localhost(void)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char *error = NULL;
	int port, r, ok_all = 0, calls = 0;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_INET;
	r = resolve_host("localhost", "25", &hints, resolve_now_ms() + 5000, NULL, NULL,
			 &res, &error);
	if (r < 0 && error != NULL)
		diag("%s", error);
	is_int(r, 0, "localhost resolves (from /etc/hosts)");
	ok(res != NULL && strncmp(first(res, &port), "127.", 4) == 0,
	   "to a loopback address (%s)", first(res, &port));
	is_int(port, 25, "with the port");
	drop(&res);
	free(error);
	error = NULL;

	is_int(resolve_host("localhost", NULL, &hints, resolve_now_ms() + 5000, NULL,
			    NULL, &res, &error), 0, "without a port too");
	drop(&res);

	/* The caller's check may stop the wait; if the answer came first,
	 * that is fine too.  Either way nothing leaks. */
	r = resolve_host("localhost", "25", &hints, resolve_now_ms() + 5000, stop_now,
			 &calls, &res, &error);
	ok((r == 0 && res != NULL && error == NULL) ||
	   (r == -1 && res == NULL && calls == 1 && error != NULL &&
	    strcmp(error, "the name lookup of localhost was stopped") == 0),
	   "a check that says stop: stopped, or answered first (%d, %s)", r,
	   error != NULL ? error : "no error");
	drop(&res);
	free(error);
	error = NULL;

	for (int i = 0; i < 50; i++) {
		if (resolve_host("localhost", "143", &hints, resolve_now_ms() + 5000, NULL,
				 NULL, &res, &error) == 0 && res != NULL)
			ok_all++;
		drop(&res);
		free(error);
		error = NULL;
	}
	is_int(ok_all, 50, "fifty lookups in a row");

	/* The last notifications may still be on their way. */
	for (int i = 0; i < 500 && resolve_pending() > 0; i++) {
		struct timespec ms10 = { 0, 10 * 1000000 };

		nanosleep(&ms10, NULL);
	}
	is_int(resolve_pending(), 0, "every request freed once its notification ran");
}

int
main(void)
{
	numeric();
	localhost();
	return tap_exit();
}
