/*
 * NAME
 *	resolve - host name lookups that end by a deadline
 * SYNOPSIS
 *	resolve_now_ms, resolve_host, resolve_pending.  See resolve.h.
 * DESCRIPTION
 *	A name is handed to glibc's getaddrinfo_a (GAI_NOWAIT), and the
 *	caller waits for it with gai_suspend in slices of at most a second
 *	until it finishes, the deadline passes or the caller's check says
 *	stop.
 *
 *	Who owns the request.  glibc keeps a pointer to the struct gaicb
 *	(and through it to the name, the service and the hints) until the
 *	lookup is over, and gai_cancel cannot take it back once a resolver
 *	thread has started on it (EAI_NOTCANCELED): that thread goes on
 *	until the resolver gives up, and then writes the result into the
 *	gaicb.  So the request is one allocation holding all of it, with two
 *	references: the caller's, and the completion notification's
 *	(SIGEV_THREAD, which glibc runs once the result is written).  Each
 *	side drops its reference when it is done with the request and the
 *	last one frees it, the result included if nobody took it.  A request
 *	gai_cancel did take back (EAI_CANCELED: it was still queued) is never
 *	notified, so the caller drops both references.  Nothing is freed
 *	while glibc may still write to it.  Until it is freed, a request is
 *	on a list of the module's (resolve_pending counts them), so one
 *	whose notification has not run yet when the process exits is not a
 *	leak; one whose notification never runs (glibc could not start its
 *	thread, or getaddrinfo_a failed for want of memory or threads) stays
 *	there rather than risk a use after free.
 *
 *	glibc runs at most 20 resolver threads; further lookups queue behind
 *	those that hang, and are cancelled at their deadline.
 * DIAGNOSTICS
 *	"cannot resolve HOST: <gai_strerror>", "the name lookup of HOST did
 *	not finish within N s", "the name lookup of HOST was stopped".
 */
#include "autoconfig.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/xmem.h"
#include "net/resolve.h"

/* The longest single wait: how often the caller's check runs. */
#define RESOLVE_SLICE_MS 1000

struct resolve_req {
	struct gaicb cb;            /* glibc's pointer to the request */
	struct addrinfo hints;
	int refs;                   /* the caller's and the notification's */
	struct resolve_req *prev, *next;
	char names[];               /* host, NUL, service, NUL */
};

/*
 * Every request not freed yet, under resolve_lock (with the references).
 * The list holds them while only glibc's threads know where they are: a
 * request whose notification has not run when the process exits (or
 * never runs, when glibc cannot start its thread) is still the module's,
 * not lost, and LeakSanitizer sees it so.
 */
static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resolve_req *resolve_live;
static int resolve_live_count;

long long
resolve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
resolve_pending(void)
{
	int n;

	pthread_mutex_lock(&resolve_lock);
	n = resolve_live_count;
	pthread_mutex_unlock(&resolve_lock);
	return n;
}

/* Drops one reference; the last one frees the request and its result. */
static void
resolve_unref(struct resolve_req *q)
{
	bool last;

	pthread_mutex_lock(&resolve_lock);
	last = --q->refs == 0;
	if (last) {
		if (q->prev != NULL)
			q->prev->next = q->next;
		else
			resolve_live = q->next;
		if (q->next != NULL)
			q->next->prev = q->prev;
		resolve_live_count--;
	}
	pthread_mutex_unlock(&resolve_lock);
	if (!last)
		return;
	if (q->cb.ar_result != NULL)
		freeaddrinfo(q->cb.ar_result);
	free(q);
}

/* The completion notification, in a thread of its own. */
static void
resolve_notified(union sigval v)
{
	resolve_unref(v.sival_ptr);
}

static struct resolve_req *
resolve_req_new(const char *host, const char *port, const struct addrinfo *hints)
{
	size_t hl = strlen(host) + 1, pl = port != NULL ? strlen(port) + 1 : 0;
	struct resolve_req *q = xcalloc(1, sizeof(*q) + hl + pl);

	memcpy(q->names, host, hl);
	q->cb.ar_name = q->names;
	if (port != NULL) {
		memcpy(q->names + hl, port, pl);
		q->cb.ar_service = q->names + hl;
	}
	if (hints != NULL) {
		q->hints.ai_flags = hints->ai_flags;
		q->hints.ai_family = hints->ai_family;
		q->hints.ai_socktype = hints->ai_socktype;
		q->hints.ai_protocol = hints->ai_protocol;
		q->cb.ar_request = &q->hints;
	}
	q->refs = 2;
	pthread_mutex_lock(&resolve_lock);
	q->next = resolve_live;
	if (q->next != NULL)
		q->next->prev = q;
	resolve_live = q;
	resolve_live_count++;
	pthread_mutex_unlock(&resolve_lock);
	return q;
}

int
resolve_host(const char *host, const char *port, const struct addrinfo *hints,
	     long long deadline_ms, int (*check)(void *ctx), void *ctx,
	     struct addrinfo **res_r, char **error_r)
{
	struct addrinfo numeric = { 0 };
	struct sigevent sev;
	struct resolve_req *q;
	struct gaicb *list[1];
	long long start = resolve_now_ms();
	int rc;

	*res_r = NULL;
	*error_r = NULL;
	/* An address needs no resolver (nor a thread). */
	if (hints != NULL)
		numeric = *hints;
	numeric.ai_flags |= AI_NUMERICHOST;
	numeric.ai_addr = NULL;
	numeric.ai_canonname = NULL;
	numeric.ai_next = NULL;
	if (getaddrinfo(host, port, &numeric, res_r) == 0)
		return 0;
	*res_r = NULL;

	q = resolve_req_new(host, port, hints);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = resolve_notified;
	sev.sigev_value.sival_ptr = q;
	list[0] = &q->cb;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev);
	if (rc != 0) {
		/* Whether glibc queued the request or will notify is not
		 * known here: drop only our reference (see the top). */
		*error_r = xasprintf("cannot resolve %s: %s", host, gai_strerror(rc));
		resolve_unref(q);
		return -1;
	}
	for (;;) {
		long long left = deadline_ms - resolve_now_ms();
		struct timespec ts;

		if (gai_error(&q->cb) != EAI_INPROGRESS)
			break;
		if (left <= 0) {
			*error_r = xasprintf("the name lookup of %s did not finish "
					     "within %lld s", host, deadline_ms > start ?
					     (deadline_ms - start + 999) / 1000 : 0);
			break;
		}
		if (check != NULL && check(ctx) < 0) {
			*error_r = xasprintf("the name lookup of %s was stopped", host);
			break;
		}
		if (left > RESOLVE_SLICE_MS)
			left = RESOLVE_SLICE_MS;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		/* Finished, timed out or interrupted: the loop looks again. */
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (*error_r != NULL) {
		/* Taken back before it started (still queued), glibc will not
		 * notify; running or just finished, the notification comes. */
		if (gai_cancel(&q->cb) == EAI_CANCELED)
			resolve_unref(q);
		resolve_unref(q);
		return -1;
	}
	rc = gai_error(&q->cb);
	if (rc == 0) {
		*res_r = q->cb.ar_result;
		q->cb.ar_result = NULL;
	} else {
		*error_r = xasprintf("cannot resolve %s: %s", host, gai_strerror(rc));
	}
	resolve_unref(q);
	return rc == 0 ? 0 : -1;
}
