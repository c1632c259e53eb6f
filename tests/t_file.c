/*
 * t_file - the capped reader (base/file.c): a pipe and a regular file
 * within the cap, at the cap and past it, with and without draining the
 * rest; errors.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "tap.h"

/* A pipe whose reading end gets n bytes of 'x' and then an end of file. */
static int
pipe_of(size_t n)
{
	int fds[2];
	char chunk[4096];

	if (pipe(fds) < 0)
		return -1;
	memset(chunk, 'x', sizeof(chunk));
	if (fork() == 0) {
		close(fds[0]);
		while (n > 0) {
			size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
			ssize_t w = write(fds[1], chunk, k);

			if (w <= 0)
				_exit(1);
			n -= (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

/* A regular file of size bytes, byte i being 'a' + i % 26, read from
 * offset skip with cap and drain: its length, content and truncation. */
static void
file_case(size_t size, size_t skip, size_t cap, bool drain, size_t want_len,
	  bool want_truncated, const char *what)
{
	char path[] = "/tmp/t_file.XXXXXX", *data = NULL, *want = malloc(size + 1);
	int fd = mkstemp(path);
	bool truncated = !want_truncated;
	size_t len = 0;

	for (size_t i = 0; i < size; i++)
		want[i] = (char)('a' + i % 26);
	if (!ok(fd >= 0 && write(fd, want, size) == (ssize_t)size &&
		lseek(fd, (off_t)skip, SEEK_SET) == (off_t)skip &&
		file_read_fd(fd, cap, drain, &data, &len, &truncated) == 0,
		"a file: %s: read", what)) {
		if (fd >= 0)
			close(fd);
		unlink(path);
		free(want);
		return;
	}
	is_int((long long)len, (long long)want_len, "a file: %s: length", what);
	ok(len == want_len && memcmp(data, want + skip, len) == 0 && data[len] == '\0',
	   "a file: %s: the bytes, and a NUL after them", what);
	is_int(truncated, want_truncated, "a file: %s: truncated", what);
	close(fd);
	unlink(path);
	free(data);
	free(want);
}

int
main(void)
{
	static const struct {
		size_t size, cap;
		bool drain;
		size_t want_len;
		bool want_truncated;
		size_t want_left;      /* bytes the pipe still holds */
		const char *what;
	} t[] = {
		{ 0, 10, false, 0, false, 0, "empty input" },
		{ 10, 10, false, 10, false, 0, "exactly the cap" },
		{ 11, 10, false, 10, true, 0, "one byte past the cap, not drained" },
		{ 200000, 10, false, 10, true, 200000 - 11, "far past the cap: stops after cap + 1" },
		{ 200000, 10, true, 10, true, 0, "far past the cap, drained to the end" },
		{ 200000, 300000, false, 200000, false, 0, "many reads within the cap" },
	};
	char path[] = "/tmp/t_file.XXXXXX", *data;
	size_t len;
	bool truncated;
	int fd;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char rest[4096];
		size_t left = 0;
		ssize_t n;

		fd = pipe_of(t[i].size);
		data = NULL;
		truncated = !t[i].want_truncated;
		if (!ok(file_read_fd(fd, t[i].cap, t[i].drain, &data, &len, &truncated) == 0,
			"%s: read", t[i].what)) {
			close(fd);
			continue;
		}
		is_int((long long)len, (long long)t[i].want_len, "%s: length", t[i].what);
		ok(data[len] == '\0', "%s: NUL after the data", t[i].what);
		is_int(truncated, t[i].want_truncated, "%s: truncated", t[i].what);
		while ((n = read(fd, rest, sizeof(rest))) > 0)
			left += (size_t)n;
		is_int((long long)left, (long long)t[i].want_left, "%s: left unread", t[i].what);
		close(fd);
		free(data);
		while (wait(NULL) > 0)
			;
	}

	/* The same sizes from a regular file, which is read into a buffer of
	 * its size: at, below and past the cap, a size that is a power of
	 * two less one (the buffer holds it and its NUL exactly), and from
	 * an offset past the start (the size overstates what is left). */
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		file_case(t[i].size, 0, t[i].cap, t[i].drain, t[i].want_len,
			  t[i].want_truncated, t[i].what);
	file_case(65535, 0, 100000, true, 65535, false, "a power of two less one");
	file_case(65536, 0, 65536, true, 65536, false, "a power of two at the cap");
	file_case(1000, 100, 10000, true, 900, false, "from an offset of 100");

	fd = mkstemp(path);
	ok(fd >= 0 && write(fd, "hello\0world", 11) == 11, "a file with a NUL");
	close(fd);
	ok(file_read(path, 100, &data, &len, &truncated) == 0 && len == 11 &&
	   memcmp(data, "hello\0world", 12) == 0 && !truncated,
	   "file_read keeps NULs and adds one");
	free(data);
	ok(file_read(path, 5, &data, &len, &truncated) == 0 && len == 5 && truncated &&
	   strcmp(data, "hello") == 0, "file_read keeps the first cap bytes");
	free(data);
	unlink(path);
	errno = 0;
	data = NULL;
	ok(file_read(path, 100, &data, &len, NULL) == -1 && errno == ENOENT && data == NULL,
	   "a missing file: -1 with ENOENT, nothing allocated");
	ok(file_read_fd(-1, 100, true, &data, &len, NULL) == -1 && errno == EBADF,
	   "a bad descriptor: -1 with EBADF");
	return tap_exit();
}
