/*
 * resolve - host name lookups that end by a deadline.
 *
 * getaddrinfo(3) waits for the resolver as long as resolv.conf allows
 * (timeout x attempts x name servers, and longer with search domains):
 * a name server whose host is gone never answers, and every connection
 * redress opens by name would wait for it, whatever bound the caller
 * promised.  resolve_host asks the same question through glibc's
 * getaddrinfo_a and stops waiting at the caller's deadline.
 *
 * A numeric address ("127.0.0.1", "::1") is converted at once, without a
 * thread.  A name is looked up by one of glibc's resolver threads; when
 * the deadline passes first, the request is cancelled if it has not
 * started, and otherwise abandoned: it goes on in its thread until the
 * resolver gives up, and its memory is freed then (see resolve.c).
 *
 * Errors: -1 with *error_r (allocated) for a name that does not resolve
 * ("cannot resolve HOST: ..."), a lookup that did not finish in time
 * ("the name lookup of HOST did not finish within N s") or that the
 * caller's check stopped; all of them may be temporary for the caller.
 */
#ifndef REDRESS_NET_RESOLVE_H
#define REDRESS_NET_RESOLVE_H

#include <netdb.h>

/* Milliseconds on CLOCK_MONOTONIC: the clock of resolve_host's deadline. */
long long resolve_now_ms(void);

/*
 * Looks host (and port, a number or a service name; may be NULL) up as
 * getaddrinfo(host, port, hints, res_r) would, giving up at deadline_ms
 * (resolve_now_ms's clock).  check, when not NULL, is called with ctx
 * about once a second while the lookup waits; -1 from it stops the wait
 * (the error then only says the lookup was stopped: the caller knows
 * why).  0 with *res_r to free with freeaddrinfo, or -1 with *res_r NULL
 * and *error_r allocated.
 */
int resolve_host(const char *host, const char *port, const struct addrinfo *hints,
		 long long deadline_ms, int (*check)(void *ctx), void *ctx,
		 struct addrinfo **res_r, char **error_r);

/*
 * Lookups handed to glibc and not freed yet: those still running after
 * their caller gave up, and those whose completion has not been
 * processed.  For tests and diagnostics.
 */
int resolve_pending(void);

#endif
