/*
 * cmd - the commands of redress(1).
 *
 * Each cmd_* function is the edge between the modules and the user: it may
 * print to stdout, and it returns a <sysexits.h> code that main() exits
 * with.  argv[0] is the command's own name; options after it are the
 * command's.  struct app carries the global options and what main loaded.
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

/* True when argv holds -h or --help before any "--". */
bool cmd_wants_help(int argc, char **argv);
/* Prints "redress: CMD: usage: ..." style text to stderr and returns 64. */
int cmd_usage(const char *usage);

#endif
