/*
 * cmd - the commands of redress(1), one file each (cmd_fetch.c, cmd_run.c,
 * ...; the pieces they share are in cmd_util.h).
 *
 * Each cmd_* function is the edge between the modules and the user: it may
 * print to stdout, and it returns a <sysexits.h> code that main() exits
 * with.  argv[0] is the command's own name; options after it are the
 * command's.  struct app carries the global options and what main loaded.
 *
 * Exit codes: one table for every command (redress(1), EXIT STATUS, says
 * the same; tests/t_exit.sh checks it across the commands):
 *
 *   0  EX_OK           done
 *   64 EX_USAGE        the command line is wrong: an unknown command or
 *                      option, a missing or extra argument, a malformed
 *                      value (an id, a state, a date, a duration)
 *   65 EX_DATAERR      what was asked cannot be done to what exists: a
 *                      message file that cannot be classified, a change a
 *                      case's state refuses (resolving a resolved case),
 *                      a job that is not failed retried, a template that
 *                      does not apply to the case, an import that is not
 *                      an export or goes into a store that is not empty
 *   66 EX_NOINPUT      what was named does not exist: a file or directory
 *                      given on the command line or to lint, a case, a
 *                      job, a message of a case, a template name; a
 *                      directory report --output-dir cannot make or write
 *   69 EX_UNAVAILABLE  a service refused for good: a bad login or
 *                      certificate, a store that cannot be created or is
 *                      refused (mode, empty file, newer schema)
 *   70 EX_SOFTWARE     an internal error
 *   73 EX_CANTCREAT    an output file cannot be made or written (store
 *                      export -o; [log] file, but in the filter)
 *   75 EX_TEMPFAIL     try again later: the store locked or the disk full,
 *                      a server unreachable, another sender running
 *   78 EX_CONFIG       the configuration is wrong: redress.conf, or the
 *                      rules and templates it names (and what lint finds)
 *
 * In filter mode only 0 and 75 are used: a mail server bounces the
 * message on any other code (cmd_filter).
 */
#ifndef REDRESS_CMD_H
#define REDRESS_CMD_H

#include <stdbool.h>
#include <time.h>

struct config;

struct app {
	struct config *cfg;       /* loaded before any command runs; owned */
	const char *config_path;  /* -c FILE, or NULL */
	bool json;                /* --json */
	bool now_given;           /* --now TIME was given */
	time_t now;               /* clock_now() at start */
	int verbose;              /* -v count; -q makes it -1 */
};

int cmd_fetch(struct app *app, int argc, char **argv);
int cmd_filter(struct app *app, int argc, char **argv);
int cmd_ingest(struct app *app, int argc, char **argv);
int cmd_send(struct app *app, int argc, char **argv);
int cmd_tick(struct app *app, int argc, char **argv);
int cmd_run(struct app *app, int argc, char **argv);
int cmd_classify(struct app *app, int argc, char **argv);
int cmd_rules(struct app *app, int argc, char **argv);
int cmd_template(struct app *app, int argc, char **argv);
int cmd_case(struct app *app, int argc, char **argv);
int cmd_queue(struct app *app, int argc, char **argv);
int cmd_report(struct app *app, int argc, char **argv);
int cmd_config(struct app *app, int argc, char **argv);
int cmd_store(struct app *app, int argc, char **argv);

#endif
