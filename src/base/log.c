/*
 * log - where diagnostics go.  See log.h.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

/* The longest line written to a log file; a longer one is cut, ending in
 * "...". */
#define LOG_LINE_MAX 4096

static const char *log_ident = "redress";
static enum log_target log_target = LOG_TARGET_STDERR;
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_fd = -1;
static bool log_echo_on;

void
log_init(const char *ident, enum log_target target, enum log_level level)
{
	log_ident = ident;
	log_target = target;
	log_level = level;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID, LOG_MAIL);
}

/* O_NONBLOCK: a FIFO at the path must not hang a delivery, neither at the
 * open (no reader: ENXIO) nor at a write (a reader that stopped reading:
 * the line is dropped).  It changes nothing for a regular file. */
int
log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		      0600);

	if (fd < 0)
		return -1;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void
log_echo(bool on)
{
	log_echo_on = on;
}

/* Writes all of buf to fd, or as much as it takes (not a FIFO that is
 * full); a log has no one to tell of its own failure. */
static void
log_write(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* "2026-11-23T10:00:00Z redress[123]: warning: TEXT\n" to the log file, in
 * one write(2); control characters in TEXT become '?'. */
static void
log_file_line(const char *level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	time_t t = time(NULL);
	struct tm tm;
	size_t head, len;
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%ld]: %s%s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, log_ident, (long)getpid(),
		     level != NULL ? level : "", level != NULL ? ": " : "");
	if (n < 0 || (size_t)n >= sizeof(line) / 2)
		return;
	head = (size_t)n;
	/* Room for the "\n" after the text. */
	n = vsnprintf(line + head, sizeof(line) - head - 1, fmt, ap);
	if (n < 0)
		return;
	len = head + (size_t)n;
	if (len > sizeof(line) - 2) {
		len = sizeof(line) - 2;
		memcpy(line + len - 3, "...", 3);
	}
	for (size_t i = head; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			line[i] = '?';
	}
	line[len++] = '\n';
	log_write(log_fd, line, len);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const word[] = { "error", "warning", "info", "debug" };
	va_list ap;
	bool to_stderr;

	if (level > log_level || log_target == LOG_TARGET_NONE)
		return;
	to_stderr = log_target == LOG_TARGET_STDERR ||
		    (log_target == LOG_TARGET_FILE && log_fd < 0);
	if (!to_stderr && log_echo_on && level <= LOG_LEVEL_WARN) {
		va_start(ap, fmt);
		fprintf(stderr, "%s: %s: ", log_ident, word[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	va_start(ap, fmt);
	if (log_target == LOG_TARGET_SYSLOG) {
		vsyslog(prio[level], fmt, ap);
	} else if (!to_stderr) {
		log_file_line(level != LOG_LEVEL_INFO ? word[level] : NULL, fmt, ap);
	} else {
		fprintf(stderr, "%s: ", log_ident);
		if (level != LOG_LEVEL_INFO)
			fprintf(stderr, "%s: ", word[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

void
log_fatal_in_handler(const char *msg)
{
	/* writev(2) is async-signal-safe, and one call keeps the line whole. */
	struct iovec iov[] = {
		{ (void *)log_ident, strlen(log_ident) },
		{ (void *)": fatal: ", 9 },
		{ (void *)msg, strlen(msg) },
		{ (void *)"\n", 1 },
	};
	ssize_t r;

	if (log_target == LOG_TARGET_SYSLOG) {
		/* syslog(3) is not async-signal-safe, but the process ends
		 * right after, and the alternative is to say nothing. */
		syslog(LOG_CRIT, "%s", msg);
		return;
	}
	if (log_target == LOG_TARGET_NONE)
		return;
	r = writev(log_target == LOG_TARGET_FILE && log_fd >= 0 ? log_fd : STDERR_FILENO,
		   iov, 4);
	(void)r;
}
