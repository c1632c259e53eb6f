/*
 * file - reading a whole file or stream into memory, with a cap.
 *
 * The one loop that reads input redress did not make (a message, a rules
 * file, a template, a password file): every such read has a size cap, so
 * no input can make redress allocate without bound.
 *
 * Ownership: *data_r is allocated (xmalloc), NUL-terminated after its
 * *len_r bytes (which may hold NULs of their own); the caller frees it.
 * Errors: -1 with errno set (the caller says which file, and what it was
 * doing); nothing is allocated then.
 */
#ifndef REDRESS_BASE_FILE_H
#define REDRESS_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Reads fd to its end, keeping at most cap bytes.  *truncated_r (may be
 * NULL) says that more followed.  With drain the rest is read and
 * dropped (a delivery filter must take all of its input before it
 * answers); without, reading stops at cap + 1 bytes.  Returns 0, or -1
 * with errno.  fd is not closed.
 */
int file_read_fd(int fd, size_t cap, bool drain, char **data_r, size_t *len_r,
		 bool *truncated_r);

/*
 * Opens path read-only and reads it as file_read_fd (with drain).  -1
 * with errno when it cannot be opened or read.
 */
int file_read(const char *path, size_t cap, char **data_r, size_t *len_r,
	      bool *truncated_r);

#endif
