/*
 * outboxdir - the outbox-directory mailer backend.  See outboxdir.h.
 *
 * The directory is opened once and kept as a descriptor, so every file
 * operation is relative to it (openat, linkat, unlinkat) and a rename of
 * the path under us cannot scatter messages.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmem.h"
#include "net/outboxdir.h"

/* Tries before giving up on finding a free name (clashes need another
 * process with our pid in the same second: practically never). */
#define OUTBOXDIR_NAME_TRIES 1000

struct outboxdir {
	char *path;          /* owned */
	int dirfd;
	unsigned long counter;
	char *last_name;     /* owned */
};

/* mkdir -p with mode 0750 for what it creates. */
static int
outboxdir_mkdirs(const char *path, char **error_r)
{
	char *p = xstrdup(path);
	char *slash;
	int ret = 0;

	for (slash = p + 1; ; slash++) {
		bool end = *slash == '\0';

		if (!end && *slash != '/')
			continue;
		*slash = '\0';
		if (mkdir(p, 0750) < 0 && errno != EEXIST) {
			*error_r = xasprintf("[outbox] path %s: cannot create %s: %s",
					     path, p, strerror(errno));
			ret = -1;
			break;
		}
		if (end)
			break;
		*slash = '/';
	}
	free(p);
	return ret;
}

int
outboxdir_open(const char *path, struct outboxdir **o_r, char **error_r)
{
	struct outboxdir *o;
	struct stat st;
	int fd;

	*o_r = NULL;
	if (path == NULL || path[0] == '\0') {
		*error_r = xstrdup("[outbox] path is empty");
		return -1;
	}
	if (stat(path, &st) < 0) {
		if (errno != ENOENT) {
			*error_r = xasprintf("[outbox] path %s: %s", path,
					     strerror(errno));
			return -1;
		}
		if (outboxdir_mkdirs(path, error_r) < 0)
			return -1;
		log_info("created the outbox directory %s", path);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("[outbox] path %s: %s", path,
				     strerror(errno));
		return -1;
	}
	if (faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
		*error_r = xasprintf("[outbox] path %s: not writable: %s", path,
				     strerror(errno));
		close(fd);
		return -1;
	}
	o = xcalloc(1, sizeof(*o));
	o->path = xstrdup(path);
	o->dirfd = fd;
	*o_r = o;
	return 0;
}

static enum mailer_status
outboxdir_errno_status(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOTDIR:
	case ENOENT: /* the directory was removed under us */
		return MAILER_CONFIG;
	default:
		return MAILER_TEMPFAIL; /* ENOSPC, EDQUOT, EIO, ... */
	}
}

static int
outboxdir_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

enum mailer_status
outboxdir_send(struct outboxdir *o, const char *from, const char *rcpt,
	       const char *data, size_t len, char **error_r)
{
	char *head, *tmp, *name = NULL;
	char stamp[32];
	struct tm tm;
	time_t now = clock_now();
	enum mailer_status status = MAILER_OK;
	int fd, err, tries;

	free(o->last_name);
	o->last_name = NULL;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);

	o->counter++;
	tmp = xasprintf(".tmp-%s-%ld-%lu.eml", stamp, (long)getpid(),
			o->counter);
	fd = openat(o->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0640);
	if (fd < 0) {
		err = errno;
		*error_r = xasprintf("%s/%s: %s", o->path, tmp, strerror(err));
		free(tmp);
		return outboxdir_errno_status(err);
	}
	head = xasprintf("X-Redress-Envelope-From: <%s>\r\n"
			 "X-Redress-Envelope-To: <%s>\r\n", from, rcpt);
	if (outboxdir_write_all(fd, head, strlen(head)) < 0 ||
	    outboxdir_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		err = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		err = errno;
		goto fail;
	}
	/* link() never replaces: a clash means another writer got the name. */
	for (tries = 0; ; tries++) {
		/* Zero-padded, so that names sort in sending order. */
		name = xasprintf("%s-%ld-%06lu.eml", stamp, (long)getpid(),
				 o->counter);
		if (linkat(o->dirfd, tmp, o->dirfd, name, 0) == 0)
			break;
		err = errno;
		free(name);
		name = NULL;
		if (err != EEXIST || tries >= OUTBOXDIR_NAME_TRIES)
			goto fail;
		o->counter++;
	}
	if (unlinkat(o->dirfd, tmp, 0) < 0)
		log_warn("%s/%s: cannot remove: %s", o->path, tmp,
			 strerror(errno));
	if (fsync(o->dirfd) < 0) {
		/* The file is there; a crash might still lose it.  Say so,
		 * but do not report a failure that would send it twice. */
		log_warn("%s: fsync: %s", o->path, strerror(errno));
	}
	log_debug("outbox: wrote %s/%s", o->path, name);
	o->last_name = name;
	free(head);
	free(tmp);
	return MAILER_OK;
fail:
	*error_r = xasprintf("%s: cannot write a message: %s", o->path,
			     strerror(err));
	status = outboxdir_errno_status(err);
	unlinkat(o->dirfd, tmp, 0);
	free(head);
	free(tmp);
	return status;
}

const char *
outboxdir_last_name(const struct outboxdir *o)
{
	return o->last_name;
}

void
outboxdir_close(struct outboxdir **op)
{
	struct outboxdir *o = *op;

	if (o == NULL)
		return;
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->path);
	free(o->last_name);
	free(o);
	*op = NULL;
}
