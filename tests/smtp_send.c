/*
 * smtp_send - a small driver for the mailer, used by tests/t_smtp.sh and
 * bench/smtp_bench.sh.  Not a test by itself (not in TESTS): run without
 * arguments it prints a TAP skip line and exits 0.
 *
 *   smtp_send [-v] [-f FROM] [-t RCPT] [-n COUNT] [-m FILE] CONFIG
 *
 * Opens a mailer from CONFIG (redress.conf syntax) and sends COUNT messages
 * (default 1) through one mailer, so SMTP keeps one connection for the
 * batch.  The message is FILE as it is (it must already have CRLF line
 * ends), or a generated reply-sized message numbered in its Subject.
 * Prints one line per message on stdout: "N STATUS" or "N STATUS ERROR",
 * then "connections N".  Timing goes to stderr.  -v logs the SMTP dialogue
 * (debug level) on stderr.  Exit: 0 all sent, 1 some failed, 2 usage or
 * setup error.
 */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "config/config.h"
#include "net/mailer.h"
#include "tap.h"
#include "base/xmem.h"

static char *
generate(const char *rcpt, long n)
{
	struct buf b;
	int i;

	buf_init(&b, BUF_NO_LIMIT);
	buf_printf(&b, "From: Customer Care <care@example.com>\r\n"
		   "To: <%s>\r\n"
		   "Subject: Your complaint [case %06ld]\r\n"
		   "Date: Mon, 23 Nov 2026 16:30:00 +0000\r\n"
		   "Message-ID: <%ld.%ld@redress.test>\r\n"
		   "Auto-Submitted: auto-replied\r\n"
		   "MIME-Version: 1.0\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n"
		   "\r\n", rcpt, n, n, (long)getpid());
	for (i = 0; i < 16; i++)
		buf_printf(&b, "Line %02d of message %ld: we are sorry for the "
			   "trouble and will answer by Monday 4 pm.\r\n", i, n);
	buf_puts(&b, ".a line that starts with a dot\r\n-- \r\nCustomer Care\r\n");
	return buf_steal(&b, NULL);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *from = "bounces@example.com", *rcpt = "customer@example.org";
	const char *file = NULL;
	long count = 1, i, failed = 0;
	struct config *cfg = NULL;
	struct mailer_options opt = { 0 };
	struct mailer *m = NULL;
	char *error = NULL, *fixed = NULL, *password = NULL;
	size_t fixed_len = 0;
	double t0, t1;
	int c, ret, verbose = 0;

	if (argc == 1) {
		printf("1..0 # SKIP driver for t_smtp.sh\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "vf:t:n:m:")) != -1) {
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		case 'f':
			from = optarg;
			break;
		case 't':
			rcpt = optarg;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'm':
			file = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || count < 1) {
		fprintf(stderr, "usage: smtp_send [-v] [-f FROM] [-t RCPT] "
			"[-n COUNT] [-m FILE] CONFIG\n");
		return 2;
	}
	log_init("smtp_send", LOG_TARGET_STDERR,
		 verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	if (config_load(argv[optind], &cfg, &error) < 0) {
		fprintf(stderr, "smtp_send: %s\n", error);
		free(error);
		return 2;
	}
	if (file != NULL && (fixed = tap_slurp(file, &fixed_len)) == NULL) {
		fprintf(stderr, "smtp_send: cannot read %s\n", file);
		config_free(&cfg);
		return 2;
	}
	if (config_secret(cfg->smtp_password, cfg->smtp_password_file, &password,
			  &error) < 0) {
		fprintf(stderr, "smtp_send: %s\n", error);
		free(error);
		free(fixed);
		config_free(&cfg);
		return 2;
	}
	opt.outbox_path = cfg->outbox_path;
	opt.url = cfg->smtp_url;
	opt.user = cfg->smtp_user;
	opt.password = password;
	opt.tls = config_text(cfg, "smtp", "tls");
	opt.ca_file = cfg->smtp_ca_file;
	opt.timeout = cfg->smtp_timeout;
	opt.where = config_where(cfg, "smtp", "url");
	/* The dialogue is traced (debug) with -v. */
	opt.trace = verbose;
	ret = mailer_open(&opt, &m, &error);
	free(password);
	if (ret < 0) {
		fprintf(stderr, "smtp_send: %s\n", error);
		free(error);
		free(fixed);
		config_free(&cfg);
		return 2;
	}
	t0 = now_seconds();
	for (i = 1; i <= count; i++) {
		char *msg = fixed != NULL ? fixed : generate(rcpt, i);
		size_t len = fixed != NULL ? fixed_len : strlen(msg);
		enum mailer_status st;

		st = mailer_send(m, from, rcpt, msg, len, &error);
		if (st == MAILER_OK) {
			printf("%ld ok\n", i);
		} else {
			printf("%ld %s %s\n", i, mailer_status_name(st), error);
			free(error);
			error = NULL;
			failed++;
		}
		if (msg != fixed)
			free(msg);
	}
	t1 = now_seconds();
	printf("connections %ld\n", mailer_connections(m));
	fprintf(stderr, "smtp_send: %s: %ld messages in %.3f s: %.0f messages/s\n",
		mailer_kind(m), count, t1 - t0,
		t1 > t0 ? (double)count / (t1 - t0) : 0.0);
	mailer_close(&m);
	free(fixed);
	config_free(&cfg);
	return failed > 0 ? 1 : 0;
}
