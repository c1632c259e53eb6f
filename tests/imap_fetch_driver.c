/*
 * imap_fetch_driver - drives src/net/imap.c against a real server for
 * tests/t_imap.sh and bench/imap_bench.sh.
 *
 * SYNOPSIS
 *   imap_fetch_driver -c redress.conf -d DIR [--die-after N] [--wait SECONDS]
 *                     [--pace MS] [--fsync] [--discard]
 *   imap_fetch_driver --parse-url URL
 *   imap_fetch_driver            (prints a TAP skip line)
 *
 * DESCRIPTION
 *   Connects with the [imap] section of the config, fetches every message
 *   above the last UID recorded in DIR/state, and writes each message to
 *   DIR/<uidvalidity>-<uid>.eml (written in DIR/tmp, then renamed); a
 *   message the server would not deliver gets DIR/<uidvalidity>-<uid>.held
 *   with the reason instead.
 *   The sink's commit writes "uidvalidity last_uid" to DIR/state through a
 *   rename, so the state file always names a fully written batch - the same
 *   contract the real store keeps.  When the mailbox's UIDVALIDITY differs
 *   from the recorded one, it prints "rescan" and starts again from UID 0.
 *
 *   --die-after N  _exit(9) right after the Nth message is written, before
 *                  its batch is committed: a crash in the middle of a batch.
 *   --pace MS      sleep MS milliseconds after each message is written, so
 *                  that a test which kills the driver at an arbitrary moment
 *                  finds it with work left however fast the machine is.
 *   --wait S       after the fetch, print "waiting", call imap_wait(S) and
 *                  print "wait=R elapsed=SECONDS"; if R is 1, fetch again.
 *                  SIGTERM during the wait sets the stop flag.
 *   --fsync        fsync every message file and the directory (benchmarks).
 *   --discard      write nothing, keep no state: measures the transport
 *                  alone (benchmarks).
 *
 *   Output, one line per fetch:
 *     fetched=N dup=D commits=C uidvalidity=V last_uid=L
 *   where dup counts messages whose file already existed.  On a failure:
 *     error temporary|permanent: MESSAGE      (exit 3 / 2)
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/xmem.h"
#include "config/config.h"
#include "net/imap.h"

struct driver {
	const char *dir;
	long die_after;
	long pace_ms;        /* --pace: sleep after each message */
	bool fsync;
	bool discard;        /* --discard: count, write nothing */
	size_t bytes;
	size_t written;      /* messages written by this process */
	size_t dup;
	size_t commits;
	uint32_t state_uv;
	uint32_t state_last;
};

static volatile bool driver_stop;

static void
driver_on_term(int sig)
{
	(void)sig;
	driver_stop = true;
}

static double
driver_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
driver_read_state(struct driver *d)
{
	char *path = xasprintf("%s/state", d->dir);
	FILE *f = fopen(path, "r");
	unsigned long uv = 0, last = 0;

	if (f != NULL) {
		if (fscanf(f, "%lu %lu", &uv, &last) != 2)
			uv = last = 0;
		fclose(f);
	}
	d->state_uv = (uint32_t)uv;
	d->state_last = (uint32_t)last;
	free(path);
}

/*
 * Writes DIR/name through DIR/tmp/name and a rename (like a maildir: a
 * file is created in a small directory, which is much cheaper than in one
 * holding thousands).  *existed_r (if not NULL) says whether DIR/name was
 * already there.
 */
static int
driver_write_file(struct driver *d, const char *name, const char *data,
		  size_t len, bool *existed_r, char **error_r)
{
	char *tmp = xasprintf("%s/tmp/%s", d->dir, name);
	char *path = xasprintf("%s/%s", d->dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto fail;
		}
		off += (size_t)w;
	}
	if ((d->fsync && fsync(fd) < 0) || close(fd) < 0)
		goto fail;
	if (existed_r != NULL) {
		/* Costs nothing extra in the usual case: no file yet. */
		*existed_r = false;
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
			goto done;
		if (errno != EEXIST)
			goto fail;
		*existed_r = true;
	}
	if (rename(tmp, path) < 0)
		goto fail;
done:
	free(tmp);
	free(path);
	return 0;
fail:
	*error_r = xasprintf("%s: %s", tmp, strerror(errno));
	free(tmp);
	free(path);
	return -1;
}

static void
driver_sync_dir(struct driver *d)
{
	int fd;

	if (!d->fsync)
		return;
	fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int
driver_message(void *ctx, uint32_t uidvalidity, uint32_t uid, const char *raw,
	       size_t len, const char *hold, char **error_r, bool *temporary_r)
{
	struct driver *d = ctx;
	char *name;
	bool existed = false;
	int r;

	if (d->discard) {
		d->bytes += len;
		d->written++;
		return 0;
	}
	/* Not delivered: the reason in a .held file instead. */
	name = xasprintf("%" PRIu32 "-%" PRIu32 ".%s", uidvalidity, uid,
			 hold != NULL ? "held" : "eml");
	if (hold != NULL) {
		raw = hold;
		len = strlen(hold);
	}
	r = driver_write_file(d, name, raw, len, &existed, error_r);
	free(name);
	if (r < 0) {
		*temporary_r = true;
		return -1;
	}
	if (existed)
		d->dup++;
	d->written++;
	if (d->die_after > 0 && d->written == (size_t)d->die_after) {
		printf("dying after %zu messages\n", d->written);
		fflush(stdout);
		_exit(9);
	}
	if (d->pace_ms > 0) {
		struct timespec ts = { d->pace_ms / 1000,
				       (d->pace_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !driver_stop)
			;
	}
	return 0;
}

static int
driver_commit(void *ctx, uint32_t uidvalidity, uint32_t last_uid,
	      char **error_r, bool *temporary_r)
{
	struct driver *d = ctx;
	char *line = xasprintf("%" PRIu32 " %" PRIu32 "\n", uidvalidity, last_uid);
	int r;

	if (d->discard) {
		free(line);
		d->commits++;
		d->state_uv = uidvalidity;
		d->state_last = last_uid;
		return 0;
	}
	driver_sync_dir(d);
	r = driver_write_file(d, "state", line, strlen(line), NULL, error_r);
	driver_sync_dir(d);
	free(line);
	if (r < 0) {
		*temporary_r = true;
		return -1;
	}
	d->commits++;
	d->state_uv = uidvalidity;
	d->state_last = last_uid;
	return 0;
}

static int
driver_fetch(struct imap_session *s, struct driver *d, const struct imap_sink *sink)
{
	uint32_t uv = imap_uidvalidity(s);
	uint32_t last = d->state_last;
	size_t fetched = 0;
	char *error = NULL;
	bool temporary = false;
	int r;

	if (d->state_uv != uv) {
		if (d->state_uv != 0)
			printf("rescan: uidvalidity %" PRIu32 " -> %" PRIu32 "\n",
			       d->state_uv, uv);
		last = 0;
	}
	d->dup = 0;
	d->commits = 0;
	do {
		size_t n = 0;

		r = imap_fetch_new(s, last, sink, &n, &error, &temporary);
		fetched += n;
		last = d->state_last;
	} while (r > 0);
	printf("fetched=%zu dup=%zu commits=%zu uidvalidity=%" PRIu32
	       " last_uid=%" PRIu32 "\n", fetched, d->dup, d->commits,
	       d->state_uv, d->state_last);
	if (r < 0) {
		printf("error %s: %s\n", temporary ? "temporary" : "permanent", error);
		free(error);
		return temporary ? 3 : 2;
	}
	return 0;
}

static int
driver_parse_url(const char *url)
{
	bool implicit;
	char *host, *user, *mailbox, *error = NULL;
	uint16_t port;

	if (imap_parse_url(url, &implicit, &host, &port, &user, &mailbox,
			   &error) < 0) {
		printf("error: %s\n", error);
		free(error);
		return 1;
	}
	printf("tls=%s host=%s port=%u user=%s mailbox=%s\n",
	       implicit ? "implicit" : "plain", host, (unsigned)port,
	       user != NULL ? user : "(none)", mailbox);
	free(host);
	free(user);
	free(mailbox);
	return 0;
}

static void
driver_usage(void)
{
	fprintf(stderr, "usage: imap_fetch_driver -c CONF -d DIR [--die-after N] "
		"[--wait SECONDS] [--pace MS] [--fsync] [--discard]\n"
		"       imap_fetch_driver --parse-url URL\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct driver d;
	struct imap_sink sink;
	struct imap_hooks hooks;
	struct config *cfg = NULL;
	struct imap_session *s = NULL;
	struct sigaction sa;
	const char *conf = NULL;
	char *password = NULL, *error = NULL;
	bool temporary = false;
	long wait_seconds = -1;
	int i, rc;

	if (argc == 1) {
		printf("1..0 # SKIP driver for t_imap.sh\n");
		return 0;
	}
	memset(&d, 0, sizeof(d));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--parse-url") == 0 && i + 1 < argc)
			return driver_parse_url(argv[++i]);
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			d.dir = argv[++i];
		else if (strcmp(argv[i], "--die-after") == 0 && i + 1 < argc)
			d.die_after = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pace") == 0 && i + 1 < argc)
			d.pace_ms = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait_seconds = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--fsync") == 0)
			d.fsync = true;
		else if (strcmp(argv[i], "--discard") == 0)
			d.discard = true;
		else
			driver_usage();
	}
	if (conf == NULL || d.dir == NULL)
		driver_usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = driver_on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (config_load(conf, &cfg, &error) < 0) {
		printf("error permanent: %s\n", error);
		free(error);
		return 2;
	}
	if (cfg->imap_url == NULL) {
		printf("error permanent: %s: no [imap] url\n", conf);
		config_free(&cfg);
		return 2;
	}
	if (config_secret(cfg->imap_password, cfg->imap_password_file, &password,
			  &error) < 0) {
		printf("error permanent: %s\n", error);
		free(error);
		config_free(&cfg);
		return 2;
	}
	{
		char *tmpdir = xasprintf("%s/tmp", d.dir);

		if ((mkdir(d.dir, 0755) < 0 && errno != EEXIST) ||
		    (mkdir(tmpdir, 0755) < 0 && errno != EEXIST)) {
			printf("error permanent: %s: %s\n", tmpdir, strerror(errno));
			free(tmpdir);
			free(password);
			config_free(&cfg);
			return 2;
		}
		free(tmpdir);
	}
	driver_read_state(&d);
	memset(&sink, 0, sizeof(sink));
	memset(&hooks, 0, sizeof(hooks));
	sink.ctx = &d;
	sink.message = driver_message;
	sink.commit = driver_commit;

	hooks.stop = &driver_stop;
	if (imap_connect(&cfg->imap, password, &hooks, &s, &error, &temporary) < 0) {
		printf("error %s: %s\n", temporary ? "temporary" : "permanent", error);
		free(error);
		free(password);
		config_free(&cfg);
		return temporary ? 3 : 2;
	}
	rc = driver_fetch(s, &d, &sink);
	if (rc == 0 && wait_seconds >= 0) {
		double t0;
		int w;

		printf("waiting\n");
		fflush(stdout);
		t0 = driver_now();
		w = imap_wait(s, (int)wait_seconds, &driver_stop, &error);
		printf("wait=%d elapsed=%.2f\n", w, driver_now() - t0);
		if (w < 0) {
			printf("error temporary: %s\n", error);
			free(error);
			rc = 3;
		} else if (w == 1) {
			rc = driver_fetch(s, &d, &sink);
		}
	}
	fflush(stdout);
	imap_close(&s);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	config_free(&cfg);
	return rc;
}
