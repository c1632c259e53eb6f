/*
 * cmd_util - small pieces the commands share.  See cmd_util.h.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmem.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

bool
cmd_looks_like_mbox(const char *data, size_t len)
{
	const char *nl = memchr(data, '\n', len);
	const char *p;

	if (nl == NULL)
		return false;
	p = nl + 1;
	/* A header name: printable characters up to a colon. */
	while (p < data + len && *p > ' ' && *p < 127 && *p != ':')
		p++;
	return p > nl + 1 && p < data + len && *p == ':';
}

int
cmd_open_store(struct app *app, struct store **st_r)
{
	struct store_options opt = {
		.busy_timeout_ms = app->cfg->store_busy_timeout,
		.others_may_read = app->cfg->store_others_may_read,
	};
	char *error = NULL;

	if (store_open(app->cfg->store_path, &opt, st_r, &error) < 0) {
		log_error("%s", error);
		free(error);
		return store_temporary(*st_r) ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	return EX_OK;
}

int
cmd_parse_id(const char *s, long long *id_r)
{
	char *end;
	long long v;

	if (*s == '#')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id_r = v;
	return 0;
}

int
cmd_id_arg(const char *cmd, const char *noun, const char *s, long long *id_r)
{
	if (cmd_parse_id(s, id_r) == 0)
		return EX_OK;
	fprintf(stderr, "redress: %s: \"%s\" is not a %s id (a number, such as 12 "
		"or 000012)\n", cmd, s, noun);
	return EX_USAGE;
}

int
cmd_no_such(const char *noun, long long id)
{
	fprintf(stderr, "redress: no %s %lld\n", noun, id);
	return EX_NOINPUT;
}
