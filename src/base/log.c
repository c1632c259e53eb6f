/*
 * log - where diagnostics go.  See log.h.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "base/log.h"

static const char *log_ident = "redress";
static enum log_target log_target = LOG_TARGET_STDERR;
static enum log_level log_level = LOG_LEVEL_INFO;

void
log_init(const char *ident, enum log_target target, enum log_level level)
{
	log_ident = ident;
	log_target = target;
	log_level = level;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID, LOG_MAIL);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const word[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > log_level || log_target == LOG_TARGET_NONE)
		return;
	va_start(ap, fmt);
	if (log_target == LOG_TARGET_SYSLOG) {
		vsyslog(prio[level], fmt, ap);
	} else {
		fprintf(stderr, "%s: ", log_ident);
		if (level != LOG_LEVEL_INFO)
			fprintf(stderr, "%s: ", word[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/* write(2) one string to stderr; nothing to do if it fails. */
static void
log_raw(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

void
log_fatal_in_handler(const char *msg)
{
	if (log_target == LOG_TARGET_SYSLOG) {
		/* syslog(3) is not async-signal-safe, but the process ends
		 * right after, and the alternative is to say nothing. */
		syslog(LOG_CRIT, "%s", msg);
	} else if (log_target == LOG_TARGET_STDERR) {
		log_raw(log_ident);
		log_raw(": fatal: ");
		log_raw(msg);
		log_raw("\n");
	}
}
