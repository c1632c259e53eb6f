/*
 * NAME
 *	file - whole files and streams read into memory, with a cap
 * DESCRIPTION
 *	See file.h.  read(2) into a buf (buf.h), retried on EINTR: a
 *	regular file straight into a buffer of its size, anything else 64
 *	KiB at a time.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"

#define FILE_CHUNK 65536

int
file_read_fd(int fd, size_t cap, bool drain, char **data_r, size_t *len_r,
	     bool *truncated_r)
{
	struct buf b;
	struct stat st;
	char chunk[FILE_CHUNK];
	bool truncated = false;
	ssize_t n;

	buf_init(&b, cap);
	/* A file whose size is known is read into one allocation of that
	 * size: no copy, and no buffer doubled through pages that are
	 * touched once (each a page fault). */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= cap)
		(void)buf_reserve(&b, (size_t)st.st_size);
	for (;;) {
		size_t room = cap - b.len;
		/* Without drain, one byte past the cap is enough to know. */
		size_t want = drain || room >= sizeof(chunk) ? sizeof(chunk) : room + 1;
		size_t spare = b.cap > b.len + 1 ? b.cap - b.len - 1 : 0;
		/* Into the buffer while it has room within the cap. */
		bool direct = spare > 0 && spare <= room;

		n = direct ? read(fd, b.data + b.len, spare) : read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (direct) {
			b.len += (size_t)n;
			b.data[b.len] = '\0';
			continue;
		}
		if ((size_t)n > room) {
			truncated = true;
			n = (ssize_t)room;
		}
		if (n > 0)
			buf_append(&b, chunk, (size_t)n);
		if (truncated && !drain)
			break;
	}
	if (n < 0) {
		int e = errno;

		buf_free(&b);
		errno = e;
		return -1;
	}
	if (truncated_r != NULL)
		*truncated_r = truncated;
	*data_r = buf_steal(&b, len_r);
	return 0;
}

int
file_read(const char *path, size_t cap, char **data_r, size_t *len_r,
	  bool *truncated_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret, e;

	if (fd < 0)
		return -1;
	ret = file_read_fd(fd, cap, true, data_r, len_r, truncated_r);
	e = errno;
	close(fd);
	errno = e;
	return ret;
}
