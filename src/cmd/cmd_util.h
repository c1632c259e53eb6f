/*
 * cmd_util - small pieces the commands share: reading files and streams
 * with a cap, opening the store with the configured settings.
 */
#ifndef REDRESS_CMD_UTIL_H
#define REDRESS_CMD_UTIL_H

#include <stdbool.h>
#include <stdio.h>

struct app;
struct buf;
struct store;
struct store_job;

/* True when data (starting "From ") continues with a header line. */
bool cmd_looks_like_mbox(const char *data, size_t len);
/* Opens the configured store; on failure logs why and returns EX_*; *st_r
 * may still be set so that store_temporary() can be asked. */
int cmd_open_store(struct app *app, struct store **st_r);
/* Parses a case id ("123", "000123", "#123"); 0 or -1. */
int cmd_parse_id(const char *s, long long *id_r);

/* Jobs as the JSON array DESIGN.md fixes for "queue list". */
void cmd_jobs_json(struct buf *b, const struct store_job *jobs, size_t n);
/* "case respond|wait|resolve|reopen ID": argv[0] is the action. */
int cmd_case_change(struct app *app, struct store *st, int argc, char **argv);

#endif
