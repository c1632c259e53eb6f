/*
 * t_imap_guard - src/net/imap_guard.c on its own (TAP).
 *
 * Each case writes a server's bytes into one end of a socket pair (in
 * pieces, as a network would deliver them), closes it, and reads the
 * other end through a guard wrapped around libetpan's socket driver, as
 * libetpan would: how many bytes get through, and why the stream ends.
 * Every stream ends with an error (the end of file is one, and stays
 * one); the question is which, and after how many bytes.  Then the
 * deadline, the idle timeout and the stop flag, with a silent peer.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/imap_guard.h"
#include "tap.h"

struct scan_case {
	const char *name;
	const char *pieces[4];     /* written one after the other */
	uint64_t literal_max;
	uint64_t literal_total;
	uint64_t fetch_text;
	size_t text_max;
	size_t passed;             /* bytes that reach the reader */
	const char *why;           /* part of the error that ends it */
};

static const struct scan_case cases[] = {
	{ "a greeting, then the end", { "* OK ready\r\n" }, 64, 64, 64, 64,
	  12, "closed the connection" },
	{ "a line over 40 bytes", { "* OK 0123456789012345678901234567890123456789\r\n" },
	  64, 64, 64, 1000, 40, "line longer than 40" },
	{ "literal bytes are not line bytes",
	  { "* 1 FETCH (BODY[] {50}\r\n",
	    "01234567890123456789012345678901234567890123456789", ")\r\n" },
	  64, 64, 1000, 1000, 77, "closed the connection" },
	{ "a literal over its cap", { "* 1 FETCH (BODY[] {65}\r\n" }, 64, 1000, 1000,
	  1000, 23, "literal of 65 bytes" },
	{ "an announcement split across reads", { "* 1 FETCH (BODY[] {6", "5}\r\n" },
	  64, 1000, 1000, 1000, 23, "literal of 65 bytes" },
	{ "a literal8 (~{N}) over its cap", { "* 1 FETCH (BINARY[] ~{99}\r\n" },
	  64, 1000, 1000, 1000, 26, "literal of 99 bytes" },
	{ "literals of an answer over their total",
	  { "* 1 FETCH (BODY[] {30}\r\n012345678901234567890123456789)\r\n",
	    "* 2 FETCH (BODY[] {30}\r\n" },
	  64, 50, 1000, 1000, 80, "more than 50 bytes of literals" },
	{ "a huge announcement", { "* 1 FETCH {99999999999999999999}\r\n" },
	  64, 1000, 1000, 1000, 33, "at most 64" },
	{ "FETCH text is counted apart",
	  { "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n" },
	  64, 64, 1000, 20, 66, "closed the connection" },
	{ "FETCH text over its cap",
	  { "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n", "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n" },
	  64, 64, 40, 1000, 41, "40 bytes of FETCH responses" },
	{ "other text over its cap", { "* FLAGS (a b c d e f g h)\r\n" },
	  64, 64, 1000, 20, 20, "20 bytes of response text" },
	{ "{N} in free text counts as a literal",
	  { "* OK see {5}\r\n", "abcdefgh\r\n" }, 64, 64, 64, 20, 24,
	  "closed the connection" },
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A guard around one end of a socket pair; *peer_r is the other end. */
static mailstream_low *
pair(struct imap_guard **g_r, const struct imap_guard_params *p, int *peer_r)
{
	int sv[2];
	mailstream_low *inner;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	*peer_r = sv[1];
	*g_r = imap_guard_new(p);
	inner = mailstream_low_socket_open(sv[0]);
	return imap_guard_wrap(*g_r, inner);
}

static void
done(mailstream_low *low, struct imap_guard **g, int peer)
{
	mailstream_low_close(low);
	mailstream_low_free(low);
	imap_guard_free(g);
	if (peer >= 0)
		close(peer);
}

static void
run_case(const struct scan_case *c)
{
	struct imap_guard_params p;
	struct imap_guard *g = NULL;
	mailstream_low *low;
	char buf[8];
	size_t got = 0;
	int peer, i;
	ssize_t r;
	const char *why;

	memset(&p, 0, sizeof(p));
	p.idle = 5;
	p.line_max = 40;
	p.text_max = c->text_max;
	low = pair(&g, &p, &peer);
	if (low == NULL) {
		ok(false, "%s: socketpair", c->name);
		return;
	}
	imap_guard_arm(g, 5, c->literal_max, c->literal_total, c->fetch_text);
	for (i = 0; i < 4 && c->pieces[i] != NULL; i++)
		if (write(peer, c->pieces[i], strlen(c->pieces[i])) < 0)
			break;
	close(peer);
	/* Small reads, so that pieces and lines straddle them. */
	while ((r = mailstream_low_read(low, buf, sizeof(buf))) > 0)
		got += (size_t)r;
	why = imap_guard_error(g);
	/* A read refused for a cap passes none of that read's bytes: count
	 * whole reads of 8 up to the failure. */
	ok(got <= c->passed && c->passed - got < sizeof(buf),
	   "%s: %zu bytes through (%zu expected, give or take a read)", c->name,
	   got, c->passed);
	ok(why != NULL && strstr(why, c->why) != NULL, "%s: ends with \"%s\" (%s)",
	   c->name, c->why, why != NULL ? why : "no error");
	ok(mailstream_low_read(low, buf, sizeof(buf)) == -1,
	   "%s: and stays ended", c->name);
	done(low, &g, -1);
}

static volatile bool stop_flag;
static int beats;

static int
beat(void *ctx, char **error_r)
{
	(void)ctx;
	beats++;
	if (beats >= 3) {
		*error_r = strdup("lost the lock");
		return -1;
	}
	return 0;
}

int
main(void)
{
	struct imap_guard_params p;
	struct imap_guard *g = NULL;
	mailstream_low *low;
	char buf[64];
	double t0;
	ssize_t r;
	size_t i;
	int peer;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);

	/* A silent server: the exchange's deadline ends the wait. */
	memset(&p, 0, sizeof(p));
	p.idle = 30;
	p.line_max = p.text_max = 1024;
	low = pair(&g, &p, &peer);
	imap_guard_arm(g, 1.5, 64, 64, 64);
	t0 = now();
	r = mailstream_low_read(low, buf, sizeof(buf));
	ok(r == -1 && strstr(imap_guard_error(g), "no complete answer within") != NULL,
	   "a silent server: the deadline (1.5 s) ends the read (%s)",
	   imap_guard_error(g));
	ok(now() - t0 < 3.5, "within a slice of it (%.2f s)", now() - t0);
	done(low, &g, peer);

	/* Bytes that keep coming do not extend the deadline. */
	low = pair(&g, &p, &peer);
	imap_guard_arm(g, 2, 64, 64, 64);
	for (i = 0; i < 10; i++) {
		if (write(peer, "x", 1) < 0)
			break;
		r = mailstream_low_read(low, buf, sizeof(buf));
		if (r < 0)
			break;
		usleep(400 * 1000);
	}
	ok(r == -1 && i < 10 && strstr(imap_guard_error(g), "within") != NULL,
	   "a byte every 0.4 s: ended by the deadline after %zu bytes (%s)", i,
	   imap_guard_error(g) != NULL ? imap_guard_error(g) : "not ended");
	done(low, &g, peer);

	/* No byte for [imap] timeout seconds. */
	p.idle = 1;
	low = pair(&g, &p, &peer);
	imap_guard_arm(g, 30, 64, 64, 64);
	r = mailstream_low_read(low, buf, sizeof(buf));
	ok(r == -1 && strstr(imap_guard_error(g), "nothing received for 1 s") != NULL,
	   "idle for [imap] timeout: ended (%s)", imap_guard_error(g));
	done(low, &g, peer);

	/* The stop flag (SIGTERM), looked at between slices. */
	p.idle = 30;
	p.stop = &stop_flag;
	stop_flag = true;
	low = pair(&g, &p, &peer);
	imap_guard_arm(g, 30, 64, 64, 64);
	t0 = now();
	r = mailstream_low_read(low, buf, sizeof(buf));
	ok(r == -1 && imap_guard_stopped(g), "the stop flag ends a read at once (%.2f s)",
	   now() - t0);
	done(low, &g, peer);

	/* The heartbeat runs while the server is silent; its failure ends
	 * the stream with its words. */
	stop_flag = false;
	p.heartbeat = beat;
	p.heartbeat_every = 1;
	low = pair(&g, &p, &peer);
	imap_guard_arm(g, 30, 64, 64, 64);
	r = mailstream_low_read(low, buf, sizeof(buf));
	ok(r == -1 && beats == 3 && strcmp(imap_guard_error(g), "lost the lock") == 0,
	   "the heartbeat ran %d times while waiting; its error ends the read (%s)",
	   beats, imap_guard_error(g));
	done(low, &g, peer);

	return tap_exit();
}
