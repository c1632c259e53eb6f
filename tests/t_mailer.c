/*
 * t_mailer - unit tests for the mailer dispatch and the outbox directory.
 *
 * The SMTP backend's conversation with a real server is tested by
 * tests/t_smtp.sh against Postfix's smtp-sink; here: what mailer_open
 * refuses, what mailer_send refuses before anything leaves, a refused
 * connection, and the outbox directory (created, files complete and
 * atomic, envelope headers, unique names).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/mailer.h"
#include "tap.h"
#include "base/xmem.h"

static char tmpdir[] = "/tmp/t_mailer.XXXXXX";

static struct mailer_options
smtp_options(const char *url, const char *tls)
{
	struct mailer_options opt = { 0 };

	opt.url = url;
	opt.tls = tls;
	opt.timeout = 5;
	opt.where = "redress.conf:3";
	return opt;
}

/* Names of the entries in dir, sorted; dot-files included when all. */
static int
list_dir(const char *dir, char names[][256], int max, int all)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0, i, j;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!all && e->d_name[0] == '.')
			continue;
		if (n < max)
			snprintf(names[n++], 256, "%s", e->d_name);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[256];

			memcpy(t, names[j], 256);
			memcpy(names[j], names[j - 1], 256);
			memcpy(names[j - 1], t, 256);
		}
	return n;
}

static char *
read_in(const char *dir, const char *name, size_t *len_r)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *data = tap_slurp(path, len_r);

	free(path);
	return data;
}

static void
test_addresses(void)
{
	static const struct {
		const char *addr;
		int null_ok;
		int want;
	} t[] = {
		{ "customer@example.org", 0, 0 },
		{ "first.last+tag@sub.example.co.uk", 0, 0 },
		{ "j\xc3\xb6rg@example.de", 0, 0 },
		{ "", 1, 0 },
		{ "", 0, -1 },
		{ "no-at-sign", 0, -1 },
		{ "@example.org", 0, -1 },
		{ "local@", 0, -1 },
		{ "a b@example.org", 0, -1 },
		{ "<x@example.org>", 0, -1 },
		{ "x@example.org> SIZE=1", 0, -1 },
		{ "x@example.org\r\nRCPT TO:<y@example.org>", 0, -1 },
		{ "\"quoted\"@example.org", 0, -1 },
		{ "x@example.org,y@example.org", 0, -1 },
		{ "x@[127.0.0.1]", 0, -1 },
		{ "tab\t@example.org", 0, -1 },
	};
	char longaddr[400];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char shown[64];
		size_t j;

		/* Keep control characters out of the TAP line. */
		snprintf(shown, sizeof(shown), "%s", t[i].addr);
		for (j = 0; shown[j] != '\0'; j++)
			if ((unsigned char)shown[j] < 0x20)
				shown[j] = '?';
		why = NULL;
		is_int(mailer_check_address(t[i].addr, t[i].null_ok, &why), t[i].want,
		       "address %zu (%s) %s", i, shown,
		       t[i].want == 0 ? "accepted" : "refused");
	}
	memset(longaddr, 'a', sizeof(longaddr));
	memcpy(longaddr + sizeof(longaddr) - 13, "@example.org", 13);
	is_int(mailer_check_address(longaddr, 0, &why), -1, "399-byte address refused");
	is_str(why, "address too long", "with the reason");
}

static void
test_open_errors(void)
{
	static const struct {
		const char *url;
		const char *tls;
		const char *want; /* substring of the error */
	} t[] = {
		{ "http://mail.example.com", NULL, "scheme \"http\" is not smtp or smtps" },
		{ "smtp://alice:hunter2@mail.example.com", NULL,
		  "credentials do not belong in the URL" },
		{ "smtp://alice@mail.example.com", NULL,
		  "credentials do not belong in the URL" },
		{ "mail.example.com:587", NULL, "not" },
		{ "smtp://mail.example.com", "implicit", "tls = implicit needs an smtps:// url" },
		{ "smtps://mail.example.com", "starttls", "tls = starttls contradicts" },
		{ "smtps://mail.example.com", "none", "tls = none contradicts" },
	};
	struct mailer_options opt;
	struct mailer *m;
	char *error;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		opt = smtp_options(t[i].url, t[i].tls);
		error = NULL;
		m = (struct mailer *)&error; /* must be reset to NULL */
		is_int(mailer_open(&opt, &m, &error), -1, "open refuses %s tls=%s",
		       t[i].url, t[i].tls ? t[i].tls : "(unset)");
		ok(m == NULL, "  and leaves no mailer");
		ok(error != NULL && strstr(error, t[i].want) != NULL,
		   "  error says \"%s\" (got \"%s\")", t[i].want, error ? error : "");
		ok(error != NULL && strstr(error, "hunter2") == NULL,
		   "  error does not show the password");
		free(error);
	}

	/* A user with its password (the caller read it, from its file or
	 * inline: config_secret; whether the two go together is checked when
	 * the configuration loads: t_config). */
	opt = smtp_options("smtp://mail.example.com", NULL);
	opt.user = "alice";
	opt.password = "hunter2";
	error = NULL;
	is_int(mailer_open(&opt, &m, &error), 0, "a user and a password accepted");
	is_str(m != NULL ? mailer_kind(m) : NULL, "smtp", "  kind smtp");
	mailer_close(&m);
	ok(m == NULL, "mailer_close NULLs the pointer");
	mailer_close(&m); /* NULL-safe */
	free(error);
}

/* A loopback port nobody listens on: bound, then closed. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
test_refused(void)
{
	static const char msg[] = "Subject: x\r\n\r\nbody\r\n";
	struct mailer_options opt;
	struct mailer *m = NULL;
	char *url, *error = NULL, *want;
	int port = free_port();

	if (port < 0) {
		skip(4, "no loopback socket");
		return;
	}
	url = xasprintf("smtp://127.0.0.1:%d", port);
	opt = smtp_options(url, "none");
	is_int(mailer_open(&opt, &m, &error), 0, "open does not connect yet");
	is_int(mailer_send(m, "bounces@example.com", "c@example.org", msg,
			   sizeof(msg) - 1, &error), MAILER_DOWN,
	       "nothing listening: down (the server, not this message)");
	want = xasprintf("connection to 127.0.0.1:%d failed: Connection refused", port);
	is_str(error, want, "  error names host, port and reason");
	is_int(mailer_connections(m), 0, "  no connection counted");
	free(want);
	free(error);
	free(url);
	mailer_close(&m);
}

static void
test_refused_messages(struct mailer *m, const char *dir)
{
	static const struct {
		const char *from, *rcpt, *data;
		size_t len;
		const char *want;
	} t[] = {
		{ "a@example.com", "c@example.org", "Subject: x\n\r\nbody\r\n", 19,
		  "bare LF in the message at offset 10" },
		{ "a@example.com", "c@example.org", "Subject: x\r\n\r\nbo\rdy\r\n", 20,
		  "bare CR in the message at offset 16" },
		{ "a@example.com", "c@example.org", "Subject: x\r\n\r\nbody\r\n.\n", 22,
		  "bare LF in the message at offset 21" },
		{ "a@example.com", "c@example.org", "Subject: x\r\n\r\nb\0dy\r\n", 20,
		  "NUL byte in the message at offset 15" },
		{ "a@example.com", "c@example.org", "", 0, "empty message" },
		{ "a@example.com", "", "Subject: x\r\n\r\nbody\r\n", 20,
		  "recipient refused: empty address" },
		{ "a@example.com", "c@example.org>\r\nDATA", "Subject: x\r\n\r\nbody\r\n", 20,
		  "recipient refused: address contains a character it may not" },
		{ "a@example.com", "c@example.org\r\nDATA", "Subject: x\r\n\r\nbody\r\n", 20,
		  "recipient refused: whitespace or control character in address" },
		{ "<a@example.com>", "c@example.org", "Subject: x\r\n\r\nbody\r\n", 20,
		  "envelope sender refused: address contains a character it may not" },
	};
	char names[16][256];
	char *error;
	size_t i;
	int before = list_dir(dir, names, 16, 1);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		error = NULL;
		is_int(mailer_send(m, t[i].from, t[i].rcpt, t[i].data, t[i].len, &error),
		       MAILER_PERMFAIL, "refused before sending: %s", t[i].want);
		is_str(error, t[i].want, "  reason");
		free(error);
	}
	is_int(list_dir(dir, names, 16, 1), before, "no file written for a refused message");
}

static void
test_outbox(void)
{
	static const char msg[] =
		"From: Customer Care <care@example.com>\r\n"
		"To: <c@example.org>\r\n"
		"Subject: Sorry\r\n"
		"\r\n"
		".a dot line\r\n"
		".\r\n"
		"caf\xc3\xa9\r\n";
	static const char head[] =
		"X-Redress-Envelope-From: <bounces@example.com>\r\n"
		"X-Redress-Envelope-To: <c@example.org>\r\n";
	struct mailer_options opt = { 0 };
	struct mailer *m = NULL;
	char *dir = xasprintf("%s/spool/outbox", tmpdir);
	char *error = NULL, *data, *want, *clash, *p;
	char names[16][256];
	struct stat st;
	size_t len;
	time_t t;
	int n, i;
	long pid = (long)getpid();
	FILE *f;

	clock_parse_iso8601("2026-11-23T16:30:00Z", &t);
	clock_set_now(t);
	opt.outbox_path = dir;
	umask(022);
	is_int(mailer_open(&opt, &m, &error), 0, "outbox open creates the directory");
	if (m == NULL) {
		diag("%s", error);
		free(error);
		free(dir);
		return;
	}
	is_str(mailer_kind(m), "outbox", "kind outbox");
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "directory exists (parents too)");
	is_int(st.st_mode & 07777, 0750, "mode 0750");
	is_int(list_dir(dir, names, 16, 1), 0, "empty at first");

	for (i = 0; i < 3; i++)
		is_int(mailer_send(m, "bounces@example.com", "c@example.org", msg,
				   sizeof(msg) - 1, &error), MAILER_OK, "send %d", i + 1);
	is_int(mailer_send(m, "", "c@example.org", msg, sizeof(msg) - 1, &error),
	       MAILER_OK, "send with the null sender");

	/* Someone else's file in the way of the next name. */
	clash = xasprintf("%s/20261123T163000Z-%ld-000005.eml", dir, pid);
	f = fopen(clash, "w");
	fputs("not ours\r\n", f);
	fclose(f);
	is_int(mailer_send(m, "bounces@example.com", "c@example.org", msg,
			   sizeof(msg) - 1, &error), MAILER_OK, "send past a name clash");

	n = list_dir(dir, names, 16, 1);
	is_int(n, 6, "six files, no temporary left behind");
	for (i = 0; i < n && i < 6; i++) {
		want = xasprintf("20261123T163000Z-%ld-%06d.eml", pid, i + 1);
		is_str(names[i], want, "name %d: UTC time, pid, counter", i + 1);
		free(want);
	}
	data = read_in(dir, names[0], &len);
	want = xasprintf("%s%s", head, msg);
	ok(data != NULL && len == strlen(want) && memcmp(data, want, len) == 0,
	   "file holds envelope headers, then the message byte for byte");
	free(data);
	free(want);
	data = read_in(dir, names[3], &len);
	p = data != NULL ? strstr(data, "\r\n") : NULL;
	ok(data != NULL && p != NULL &&
	   strncmp(data, "X-Redress-Envelope-From: <>\r\n", (size_t)(p - data + 2)) == 0,
	   "null sender recorded as <>");
	free(data);
	data = read_in(dir, names[4], &len);
	is_str(data, "not ours\r\n", "the clashing file is untouched");
	free(data);
	data = read_in(dir, names[5], &len);
	ok(data != NULL && len == sizeof(head) - 1 + sizeof(msg) - 1,
	   "the message went to the next counter instead");
	free(data);
	ok(stat(clash, &st) == 0 && (st.st_mode & 0777) == 0644, "(clash file mode kept)");
	want = xasprintf("%s/%s", dir, names[0]);
	ok(stat(want, &st) == 0 && (st.st_mode & 0777) == 0640, "message files are 0640");
	free(want);

	test_refused_messages(m, dir);

	/* The directory disappears under a running sender. */
	for (i = 0; i < n; i++) {
		want = xasprintf("%s/%s", dir, names[i]);
		unlink(want);
		free(want);
	}
	rmdir(dir);
	error = NULL;
	is_int(mailer_send(m, "bounces@example.com", "c@example.org", msg,
			   sizeof(msg) - 1, &error), MAILER_CONFIG,
	       "directory removed: a configuration failure");
	ok(error != NULL && strstr(error, "No such file or directory") != NULL,
	   "  error says why (%s)", error ? error : "");
	free(error);
	mailer_close(&m);

	/* A path that is a file cannot be an outbox. */
	f = fopen(dir, "w");
	fclose(f);
	error = NULL;
	is_int(mailer_open(&opt, &m, &error), -1, "a file as outbox path is refused");
	ok(error != NULL && strstr(error, "Not a directory") != NULL, "  error says so");
	free(error);
	unlink(dir);
	opt.outbox_path = "";
	error = NULL;
	is_int(mailer_open(&opt, &m, &error), -1, "empty outbox path refused");
	free(error);

	free(clash);
	free(dir);
}

static void
test_status_names(void)
{
	is_str(mailer_status_name(MAILER_OK), "ok", "status name ok");
	is_str(mailer_status_name(MAILER_TEMPFAIL), "tempfail", "status name tempfail");
	is_str(mailer_status_name(MAILER_PERMFAIL), "permfail", "status name permfail");
	is_str(mailer_status_name(MAILER_CONFIG), "config", "status name config");
	is_str(mailer_status_name(MAILER_DOWN), "down", "status name down");
	is_str(mailer_status_name(MAILER_UNCERTAIN), "uncertain", "status name uncertain");
	is_str(mailer_status_name(MAILER_STOPPED), "stopped", "status name stopped");
}

int
main(void)
{
	char *cmd;

	log_init("t_mailer", LOG_TARGET_NONE, LOG_LEVEL_ERROR);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_status_names();
	test_addresses();
	test_open_errors();
	test_refused();
	test_outbox();
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	return tap_exit();
}
