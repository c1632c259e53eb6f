/*
 * NAME
 *	main - the redress command dispatcher
 * DESCRIPTION
 *	Reads the global options (-c FILE, --now TIME, --json, -v, -q), loads
 *	the configuration, and hands the rest of the command line to one of
 *	the cmd_* functions.  Only this file and the cmd_*.c files turn
 *	results into exit codes (<sysexits.h>, the table in cmd/cmd.h).
 * DIAGNOSTICS
 *	64 for usage errors, 78 for a bad configuration (FILE:LINE: reason).
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sysexits.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmem.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"

#ifndef REDRESS_SYSCONFDIR
#define REDRESS_SYSCONFDIR "/usr/local/etc"
#endif

static const char main_usage[] =
"usage: redress [-c FILE] [--now TIME] [--json] [-v|-q] COMMAND [ARGS]\n"
"\n"
"Runs a complaint inbox: keeps every message, classifies it, starts an SLA\n"
"clock, acknowledges and apologises, escalates, and follows up.\n"
"\n"
"Global options:\n"
"  -c, --config FILE  configuration (default ./redress.conf, else\n"
"                     " REDRESS_SYSCONFDIR "/redress/redress.conf, else built-in defaults)\n"
"      --now TIME     act as if it were TIME (ISO 8601, e.g. 2026-11-23T16:30:00Z)\n"
"      --json         print listings and classify results as JSON\n"
"  -v, --verbose      say more; -q, --quiet says only errors\n"
"  -h, --help         this help; COMMAND --help for a command's own\n"
"      --version      the version\n"
"\n"
"Commands:\n"
"  fetch [--once]             fetch new mail from the IMAP mailbox\n"
"  filter [-f SENDER] [-r RCPT]  delivery filter: one message on stdin\n"
"  ingest PATH...             .eml files, maildirs or mbox files\n"
"  send [--once] [--dry-run]  deliver due acknowledgements, follow-ups, escalations\n"
"  tick                       SLA: mark breaches, queue warnings and escalations\n"
"  run                        daemon: fetch + send + tick\n"
"  classify FILE [--explain]  its traffic verdict and classification; stores nothing\n"
"  rules lint [FILE]          check a rules file\n"
"  rules train DATA... [--cv K] [-o FILE]  learn the rules' weights\n"
"  rules spam-words --spam DIR --ham DIR -o FILE  learn the words of spam\n"
"  template lint [DIR]        check templates\n"
"  template render NAME (--case ID | --sample)\n"
"  case list|show|respond|wait|resolve|reopen|note|assign|unassign|\n"
"       reply|merge|link|recategorize|complaint|spam|release ...\n"
"  queue list [--format csv] | queue retry ID\n"
"  report [--since DATE] [--until DATE] [--by day|week]\n"
"         [--format text|json|html|csv] [--output-dir DIR]\n"
"  config show                the effective configuration (secrets masked)\n"
"  store export [-o FILE] | store import [FILE]\n"
"                             the whole store as JSON lines, and back\n"
"\n"
"Exit codes: 0 ok, 64 usage, 65 bad data, 66 no input, 69 unavailable,\n"
"70 internal error, 73 cannot create output, 75 temporary failure,\n"
"78 configuration error.\n";

struct main_command {
	const char *name;
	int (*fn)(struct app *app, int argc, char **argv);
	bool needs_config;
};

static const struct main_command main_commands[] = {
	{ "fetch", cmd_fetch, true },
	{ "filter", cmd_filter, true },
	{ "ingest", cmd_ingest, true },
	{ "send", cmd_send, true },
	{ "tick", cmd_tick, true },
	{ "run", cmd_run, true },
	{ "classify", cmd_classify, true },
	{ "rules", cmd_rules, true },
	{ "template", cmd_template, true },
	{ "case", cmd_case, true },
	{ "queue", cmd_queue, true },
	{ "report", cmd_report, true },
	{ "config", cmd_config, true },
	{ "store", cmd_store, true },
};

/*
 * SQLite maps the store's -shm file into memory.  When that file can no
 * longer be written (its file system remounted read-only after an error,
 * or the file truncated by another process), the next access to the
 * mapping raises SIGBUS inside SQLite, and the process died with no word.
 * Nothing can be resumed from inside that access; the transaction in hand
 * was not committed (a commit that completed is not undone).  So: say
 * what happened, and exit 75 (a mail server retries a filter; systemd
 * restarts the daemon, which then finds the store's state at open).
 */
static void
main_on_sigbus(int sig)
{
	(void)sig;
	log_fatal_in_handler("SIGBUS: a memory-mapped file became inaccessible: most "
			     "likely the store's -shm file (its file system turned "
			     "read-only or full, or the file was truncated); the "
			     "transaction in progress was not committed; exiting with "
			     "75 (temporary failure)");
	_exit(EX_TEMPFAIL);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "now", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct app app = { 0 };
	const struct main_command *cmd = NULL;
	char *error = NULL;
	int c, ret;

	setlocale(LC_CTYPE, "C.UTF-8");
	/* Everything redress creates (the store and its -wal and -shm, the
	 * outbox's messages) holds complaints: no one else may read it. */
	umask(077);
	/* libetpan and libcurl write to sockets without MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGBUS, main_on_sigbus);
	log_init("redress", LOG_TARGET_STDERR, LOG_LEVEL_INFO);

	/* "+" stops at the command name: what follows is the command's. */
	while ((c = getopt_long(argc, argv, "+c:vqhj", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			app.config_path = optarg;
			break;
		case 'N':
			if (clock_parse_iso8601(optarg, &app.now) < 0) {
				fprintf(stderr, "redress: --now: \"%s\" is not an ISO 8601 time "
					"(like 2026-11-23T16:30:00Z)\n", optarg);
				return EX_USAGE;
			}
			clock_set_now(app.now);
			app.now_given = true;
			break;
		case 'j':
			app.json = true;
			break;
		case 'v':
			app.verbose++;
			break;
		case 'q':
			app.verbose = -1;
			break;
		case 'h':
			fputs(main_usage, stdout);
			return EX_OK;
		case 'V':
			printf("redress %s\n", PACKAGE_VERSION);
			return EX_OK;
		default:
			fputs(main_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(main_usage, stderr);
		return EX_USAGE;
	}
	for (size_t i = 0; i < sizeof(main_commands) / sizeof(main_commands[0]); i++)
		if (strcmp(argv[optind], main_commands[i].name) == 0)
			cmd = &main_commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "redress: unknown command \"%s\"; see redress --help\n",
			argv[optind]);
		return EX_USAGE;
	}
	app.now = clock_now();
	/* -c FILE names a file: when it is not there, that is input missing
	 * (66), not a wrong configuration.  The filter says 75, as always. */
	if (cmd->needs_config && app.config_path != NULL &&
	    access(app.config_path, F_OK) < 0 && cmd->fn != cmd_filter) {
		fprintf(stderr, "redress: -c %s: %s\n", app.config_path, strerror(errno));
		return EX_NOINPUT;
	}
	if (cmd->needs_config && config_find_and_load(app.config_path, &app.cfg, &error) < 0) {
		config_free(&app.cfg);
		/* A delivery filter stays silent and never bounces a complaint
		 * for our own mistake: the mail server keeps it and retries. */
		if (cmd->fn == cmd_filter) {
			log_init("redress", LOG_TARGET_SYSLOG, LOG_LEVEL_INFO);
			log_error("filter: %s", error);
			free(error);
			return EX_TEMPFAIL;
		}
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	if (app.cfg != NULL && app.cfg->log_target == LOG_TARGET_FILE &&
	    log_open(app.cfg->log_file) < 0) {
		int e = errno;

		/* The filter takes the message all the same, and says in
		 * syslog why its own log is missing. */
		if (cmd->fn == cmd_filter) {
			app.cfg->log_target = LOG_TARGET_SYSLOG;
			log_init("redress", LOG_TARGET_SYSLOG, LOG_LEVEL_INFO);
			log_error("filter: %s: [log] file: \"%s\": %s; logging to syslog",
				  config_where(app.cfg, "log", "file"), app.cfg->log_file,
				  strerror(e));
		} else {
			fprintf(stderr, "redress: %s: [log] file: \"%s\": %s\n",
				config_where(app.cfg, "log", "file"), app.cfg->log_file,
				strerror(e));
			config_free(&app.cfg);
			return EX_CANTCREAT;
		}
	}
	if (app.cfg != NULL) {
		log_init("redress", app.cfg->log_target, cmd_log_level(&app, app.cfg));
		/* Whoever runs a command at a terminal sees its errors there,
		 * wherever the log goes.  Not the filter: it never prints. */
		log_echo(cmd->fn != cmd_filter && isatty(STDERR_FILENO));
		/* The filter must print nothing: it logs this itself, where
		 * its log goes. */
		if (app.cfg->warning != NULL && cmd->fn != cmd_filter)
			log_warn("%s", app.cfg->warning);
	}
	optind++;
	ret = cmd->fn(&app, argc - optind + 1, argv + optind - 1);
	config_free(&app.cfg);
	return ret;
}
