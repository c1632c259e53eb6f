/*
 * t_log - the log file (base/log.c): the line's form, its mode, the level
 * filter, control characters, a line too long, a reopen after the file was
 * moved, an open that fails, the signal handler's line, the echo of errors
 * and warnings to stderr, and lines that processes write side by side
 * staying whole.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "tap.h"

static char dir[256];

/* dir/name, in one of two buffers: a call may take two of them. */
static const char *
in_dir(const char *name)
{
	static char path[2][512];
	static int which;

	which = !which;
	snprintf(path[which], sizeof(path[which]), "%s/%s", dir, name);
	return path[which];
}

/* The file's lines, each without its "\n"; NULL at the end.  The caller
 * frees the array and its first element. */
static char **
lines_of(const char *path, size_t *n_r)
{
	size_t len = 0, n = 0;
	char *text = tap_slurp(path, &len), **v;

	*n_r = 0;
	if (text == NULL)
		return NULL;
	v = calloc(len + 2, sizeof(*v));
	for (char *p = text, *nl; (nl = memchr(p, '\n', len - (size_t)(p - text))) != NULL;
	     p = nl + 1) {
		*nl = '\0';
		v[n++] = p;
	}
	if (n == 0)
		free(text);
	*n_r = n;
	return v;
}

static void
lines_free(char **v)
{
	if (v != NULL)
		free(v[0]);
	free(v);
}

/* line is "TIME t_log[PID]: " and then rest, TIME like
 * 2026-11-23T10:00:00Z. */
static bool
line_is(const char *line, long pid, const char *rest)
{
	char head[64];
	regex_t re;
	bool match;

	if (line == NULL || regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ",
				    REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	match = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	snprintf(head, sizeof(head), "t_log[%ld]: ", pid);
	return match && strncmp(line + 21, head, strlen(head)) == 0 &&
	       strcmp(line + 21 + strlen(head), rest) == 0;
}

static void
test_lines(void)
{
	struct stat sb;
	char long_text[6000], **v;
	size_t n;
	long pid = (long)getpid();

	ok(log_open(in_dir("a.log")) == 0, "log_open creates the file");
	if (stat(in_dir("a.log"), &sb) < 0)
		sb.st_mode = 0;
	is_int(sb.st_mode & 0777, 0600, "  with mode 0600");
	log_init("t_log", LOG_TARGET_FILE, LOG_LEVEL_INFO);
	log_info("case %d: new case", 7);
	log_warn("a warning");
	log_error("an error");
	log_debug("not logged at level info");
	log_info("Subject: a\nforged line\r\x7f\tend");
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	log_info("%s", long_text);
	log_fatal_in_handler("SIGBUS");

	v = lines_of(in_dir("a.log"), &n);
	is_int((long long)n, 6, "six lines: debug is below the level");
	ok(n > 0 && line_is(v[0], pid, "case 7: new case"), "info: time, ident[pid], text (%s)",
	   n > 0 ? v[0] : "");
	ok(n > 1 && line_is(v[1], pid, "warning: a warning"), "a warning says so");
	ok(n > 2 && line_is(v[2], pid, "error: an error"), "an error says so");
	ok(n > 3 && line_is(v[3], pid, "Subject: a?forged line??\tend"),
	   "control characters become '?', a tab stays (%s)", n > 3 ? v[3] : "");
	ok(n > 4 && strlen(v[4]) == 4094 && strcmp(v[4] + 4091, "...") == 0 &&
	   v[4][4090] == 'x', "a line too long is cut at 4,095 bytes with its newline, "
	   "ending in ... (%zu)", n > 4 ? strlen(v[4]) : 0);
	is_str(n > 5 ? v[5] : NULL, "t_log: fatal: SIGBUS", "the signal handler's line");
	lines_free(v);
}

static void
test_reopen(void)
{
	char **v;
	size_t n;

	ok(rename(in_dir("a.log"), in_dir("a.log.1")) == 0, "the log is moved away");
	log_info("to the moved file");
	errno = 0;
	ok(log_open(in_dir("no/such/dir.log")) == -1 && errno == ENOENT,
	   "log_open of a path in no directory fails with ENOENT");
	log_info("still to the moved file");
	ok(mkfifo(in_dir("fifo"), 0600) == 0, "a FIFO with no reader");
	errno = 0;
	ok(log_open(in_dir("fifo")) == -1 && errno == ENXIO,
	   "log_open of it fails at once with ENXIO, not waiting for a reader");
	{
		int rd = open(in_dir("fifo"), O_RDONLY | O_NONBLOCK);
		char text[1001], buf[4096];
		size_t got = 0, line_len = 0, bad = 0;
		ssize_t r;

		memset(text, 'f', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		ok(rd >= 0 && log_open(in_dir("fifo")) == 0,
		   "with a reader that never reads, log_open of the FIFO works");
		/* 200 kB into a pipe of 64 kB: what does not fit is dropped,
		 * and a hang is the alarm's. */
		for (int i = 0; i < 200; i++)
			log_info("%s", text);
		while (rd >= 0 && (r = read(rd, buf, sizeof(buf))) > 0) {
			for (ssize_t i = 0; i < r; i++) {
				line_len++;
				if (buf[i] == '\n') {
					/* the text and its head, about 1,030 bytes */
					if (line_len < 1000 + 20 || line_len > 1000 + 60)
						bad++;
					line_len = 0;
				}
			}
			got += (size_t)r;
		}
		ok(got > 0 && got < 200 * 1000 && bad == 0 && line_len == 0,
		   "  200 kB of lines into a pipe nobody empties: the ones that fit are "
		   "there whole (%zu bytes), the rest dropped", got);
		if (rd >= 0)
			close(rd);
	}
	ok(log_open(in_dir("a.log")) == 0, "log_open of the old path again");
	log_info("to the new file");
	v = lines_of(in_dir("a.log.1"), &n);
	ok(n == 8 && strstr(v[6], "to the moved file") != NULL &&
	   strstr(v[7], "still to the moved file") != NULL,
	   "lines before the reopen, and after the failed one, went to the moved file");
	lines_free(v);
	v = lines_of(in_dir("a.log"), &n);
	ok(n == 1 && strstr(v[0], "to the new file") != NULL,
	   "after it, to a new file at the path");
	lines_free(v);
}

/* log_echo: errors and warnings to stderr too, info not; without it,
 * nothing to stderr. */
static void
test_echo(void)
{
	int saved = dup(STDERR_FILENO);
	int fd = open(in_dir("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *text;
	char **v;
	size_t n;

	if (!ok(saved >= 0 && fd >= 0 && dup2(fd, STDERR_FILENO) >= 0, "stderr to a file"))
		return;
	ok(log_open(in_dir("c.log")) == 0, "log_open c.log");
	log_echo(true);
	log_error("echoed error");
	log_warn("echoed warning");
	log_info("info is not echoed");
	log_echo(false);
	log_error("not echoed once off");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	text = tap_slurp(in_dir("stderr"), &n);
	is_str(text, "t_log: error: echoed error\nt_log: warning: echoed warning\n",
	       "with log_echo, errors and warnings go to stderr as well");
	free(text);
	v = lines_of(in_dir("c.log"), &n);
	is_int((long long)n, 4, "  and all four lines to the file");
	lines_free(v);
}

/* Four processes, each 2,000 lines of 1,000 bytes into one file. */
static void
test_side_by_side(void)
{
	enum { PROCS = 4, LINES = 2000 };
	char text[1001], **v;
	size_t n, whole = 0;
	int status, failed = 0;

	ok(log_open(in_dir("b.log")) == 0, "log_open b.log");
	for (int p = 0; p < PROCS; p++) {
		if (fork() == 0) {
			memset(text, 'a' + p, sizeof(text) - 1);
			text[sizeof(text) - 1] = '\0';
			for (int i = 0; i < LINES; i++)
				log_info("%s", text);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	is_int(failed, 0, "%d writers ended well", PROCS);
	v = lines_of(in_dir("b.log"), &n);
	for (size_t i = 0; i < n; i++) {
		const char *t = strstr(v[i], "]: ");

		if (t != NULL && strlen(t + 3) == 1000 &&
		    strspn(t + 3, (char[]){ t[3], '\0' }) == 1000)
			whole++;
	}
	is_int((long long)n, PROCS * LINES, "every line is there");
	is_int((long long)whole, PROCS * LINES, "and whole: one process's letter, 1,000 of it");
	lines_free(v);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t_log.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		skip_all("cannot make a temporary directory");
		return 0;
	}
	alarm(60);  /* a log_open or a write that waits for a FIFO's reader */
	signal(SIGPIPE, SIG_IGN);  /* as redress does */
	test_lines();
	test_reopen();
	test_echo();
	test_side_by_side();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_exit();
}
