/*
 * cmd_util - small pieces the commands share: usage and help, ids on the
 * command line, opening the store (and, for fetch and run, the fetcher)
 * with the configured settings, printing a listing.
 *
 * Like the commands, these may print (to stderr, for what the user got
 * wrong) and return <sysexits.h> codes.
 */
#ifndef REDRESS_CMD_UTIL_H
#define REDRESS_CMD_UTIL_H

#include <stdbool.h>
#include <stdio.h>

#include "base/log.h"

struct app;
struct buf;
struct config;
struct fetcher;
struct identity;
struct intake;
struct store;
struct store_case;
struct store_job;

/* Opens the configured store; on failure logs why and returns EX_*; *st_r
 * may still be set so that store_temporary() can be asked. */
int cmd_open_store(struct app *app, struct store **st_r);
/* "case recategorize ID CATEGORY" and "case complaint ID yes|no"
 * (cmd_case_correct.c); argv[0] is the action. */
int cmd_case_correct(struct app *app, struct store *st, int argc, char **argv);
/* "case reply ID ...", "case merge INTO FROM" | "case link A B", and
 * "case note|assign|unassign ..." (cmd_case_agent.c); argv[0] is the
 * action.  cmd_case_usage is "redress case"'s usage (cmd_case.c). */
int cmd_case_reply(struct app *app, struct store *st, int argc, char **argv);
int cmd_case_pair(struct app *app, struct store *st, int argc, char **argv);
int cmd_case_person(struct app *app, struct store *st, int argc, char **argv);
extern const char cmd_case_usage[];
/*
 * For fetch and run: reads the IMAP password, opens the store, takes the
 * mailbox's fetch lock (fetch.h; stop is the flag SIGTERM sets) and loads
 * our identity and intake.  EX_OK, or the exit code after saying why; what
 * was opened is in *st_r, *id_r, *in_r and *f_r either way, for the caller
 * to free.
 */
int cmd_fetch_open(struct app *app, volatile const bool *stop, struct store **st_r,
		   struct identity **id_r, struct intake **in_r, struct fetcher **f_r);
/* Parses a case id ("123", "000123", "#123"); 0 or -1. */
int cmd_parse_id(const char *s, long long *id_r);

/* Jobs as the JSON array of "queue list" (doc/contract.md). */
void cmd_jobs_json(struct buf *b, const struct store_job *jobs, size_t n);
/* The log level for cfg as -v and -q change it: -v also makes cfg's
 * debug, for the modules that trace. */
enum log_level cmd_log_level(const struct app *app, struct config *cfg);
/* Writes b to stdout and frees it. */
void cmd_print(struct buf *b);

/*
 * Reads a case or job id (noun: "case" or "job") given to cmd ("case
 * show"): EX_OK and *id_r, or EX_USAGE after saying what is wrong.
 */
int cmd_id_arg(const char *cmd, const char *noun, const char *s, long long *id_r);
/* Says that there is no case (or job) id; returns EX_NOINPUT. */
int cmd_no_such(const char *noun, long long id);
/* cmd_id_arg for "redress case ACTION ID": the message names "case ACTION". */
int cmd_case_id_arg(const char *action, const char *s, long long *id_r);
/*
 * Begins a transaction and reads case id into c (initialised by the
 * caller): 1 read, in the transaction; 0 no such case (rolled back, and
 * said as cmd_no_such() says it: exit EX_NOINPUT); -1 a store error
 * (*error_r; the caller rolls back).
 */
int cmd_case_begin(struct store *st, long long id, struct store_case *c, char **error_r);

/*
 * Who is at the keyboard, for the author of the events a command makes
 * and "case list --mine": $REDRESS_AGENT when set, else the login name of
 * the account running redress.  EX_OK and *author_r (static until the next
 * call), or EX_USAGE after saying what is wrong (a name
 * config_agent_name_ok refuses, or no name at all).
 */
int cmd_author(const char **author_r);

/*
 * Listings as CSV (--format csv): one field, RFC 4180 quoted when it holds
 * a comma, a quote, CR or LF; a text field that a spreadsheet would take
 * for a formula (it starts with = + - @, a tab or CR) gets a leading
 * apostrophe ("formula injection": a customer writes the subject).  Fields
 * are separated with commas (first: no comma before it), rows end in CRLF.
 */
void cmd_csv_field(struct buf *b, bool first, const char *v);
void cmd_csv_int(struct buf *b, bool first, long long v);
void cmd_csv_end(struct buf *b);
/* --format WORD: "table", "csv" or "json" (as --json) into *csv_r and
 * app's json; EX_OK, or EX_USAGE after saying what is wrong. */
int cmd_format_arg(struct app *app, const char *cmd, const char *word, bool *csv_r);

/* True when argv holds -h or --help before any "--". */
bool cmd_wants_help(int argc, char **argv);
/* Prints "redress: CMD: usage: ..." style text to stderr and returns 64. */
int cmd_usage(const char *usage);

#endif
