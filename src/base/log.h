/*
 * log - where diagnostics go.
 *
 * Interactive commands log to stderr; filter mode and the daemon may log to
 * syslog (mail facility) or to a file of their own, because a delivery
 * filter must stay silent on its standard streams (Postfix copies them into
 * bounces).  Nothing logged may carry a password: callers pass only what is
 * safe to show.
 *
 * A log file is opened for appending, and each line goes out in one
 * write(2) with its time, the process id and the level, so that the filter
 * processes a mail server runs side by side never cut into each other's
 * lines.  Control characters in a message become '?': a line that text
 * from a message ends up in cannot forge another.
 */
#ifndef REDRESS_LOG_H
#define REDRESS_LOG_H

#include <stdbool.h>

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
	LOG_TARGET_FILE,
	LOG_TARGET_NONE,
};

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* LOG_TARGET_FILE writes to the file log_open opened; with none open, to
 * stderr. */
void log_init(const char *ident, enum log_target target, enum log_level level);
/* Opens path (created 0600) to append log lines to, in place of the file
 * opened before, which is closed; a reopen after logrotate(8) moved the
 * file.  Returns -1 with errno set, and the old file still in use, when
 * path cannot be opened. */
int log_open(const char *path);
/* With on, errors and warnings logged to syslog or a file are written to
 * stderr as well: a person at a terminal sees why their command failed. */
void log_echo(bool on);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For a signal handler about to end the process: writes msg with write(2)
 * (stderr or the log file), or with syslog(3) when that is the target. */
void log_fatal_in_handler(const char *msg);
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
