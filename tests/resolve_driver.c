/*
 * resolve_driver - runs resolve_host from tests/t_resolve.sh, where the
 * name server never answers.  Not a test by itself (not in TESTS): run
 * without arguments it prints a TAP skip line and exits 0.
 *
 *   resolve_driver HOST MS COUNT LINGER_MS
 *
 * Looks HOST up COUNT times in a row, each lookup with a deadline MS
 * milliseconds away, printing one line each: "ok ADDRESS" or "error:
 * MESSAGE"; then "in flight N" (resolve_pending), waits LINGER_MS so that
 * the lookups it abandoned end in their resolver threads while it still
 * runs and their notifications free them, and prints "left N" (a
 * sanitizer build also reports a request freed twice).
 * With more than glibc's 20 resolver threads of lookups hanging, the
 * later ones are still queued at their deadline and are cancelled
 * instead.  Exit: 0, or 2 for a usage error.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "net/resolve.h"

int
main(int argc, char **argv)
{
	struct addrinfo hints = { 0 };
	struct timespec linger;
	long ms, count, linger_ms;

	if (argc == 1) {
		printf("1..0 # SKIP a driver for tests/t_resolve.sh\n");
		return 0;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: resolve_driver HOST MS COUNT LINGER_MS\n");
		return 2;
	}
	ms = atol(argv[2]);
	count = atol(argv[3]);
	linger_ms = atol(argv[4]);
	hints.ai_socktype = SOCK_STREAM;
	for (long i = 0; i < count; i++) {
		struct addrinfo *res = NULL;
		char *error = NULL;
		char text[INET6_ADDRSTRLEN] = "?";

		if (resolve_host(argv[1], "783", &hints, resolve_now_ms() + ms, NULL, NULL,
				 &res, &error) < 0) {
			printf("error: %s\n", error);
			free(error);
			continue;
		}
		if (res->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr,
				  text, sizeof(text));
		else if (res->ai_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr,
				  text, sizeof(text));
		printf("ok %s\n", text);
		freeaddrinfo(res);
	}
	printf("in flight %d\n", resolve_pending());
	fflush(stdout);
	linger.tv_sec = linger_ms / 1000;
	linger.tv_nsec = (linger_ms % 1000) * 1000000;
	while (nanosleep(&linger, &linger) != 0)
		;
	printf("left %d\n", resolve_pending());
	return 0;
}
