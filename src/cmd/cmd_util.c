/*
 * cmd_util - small pieces the commands share.  See cmd_util.h.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/fetch.h"
#include "case/identity.h"
#include "case/intake.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

void
cmd_csv_field(struct buf *b, bool first, const char *v)
{
	bool formula;

	if (!first)
		buf_putc(b, ',');
	if (v == NULL)
		return;
	formula = *v != '\0' && strchr("=+-@\t\r", *v) != NULL;
	if (strpbrk(v, ",\"\r\n") == NULL && !formula) {
		buf_puts(b, v);
		return;
	}
	buf_putc(b, '"');
	if (formula)
		buf_putc(b, '\'');
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

void
cmd_csv_int(struct buf *b, bool first, long long v)
{
	buf_printf(b, "%s%lld", first ? "" : ",", v);
}

void
cmd_csv_end(struct buf *b)
{
	buf_puts(b, "\r\n");
}

int
cmd_format_arg(struct app *app, const char *cmd, const char *word, bool *csv_r)
{
	*csv_r = strcmp(word, "csv") == 0;
	if (strcmp(word, "json") == 0)
		app->json = true;
	else if (strcmp(word, "table") == 0 && app->json)
		app->json = false;
	else if (!*csv_r && strcmp(word, "table") != 0) {
		fprintf(stderr, "redress: %s: --format %s: say table, csv or json\n", cmd, word);
		return EX_USAGE;
	}
	if (*csv_r)
		app->json = false;
	return EX_OK;
}

int
cmd_author(const char **author_r)
{
	static char login[65];
	const char *agent = getenv("REDRESS_AGENT");

	if (agent != NULL && *agent != '\0') {
		if (!config_agent_name_ok(agent)) {
			fprintf(stderr, "redress: REDRESS_AGENT=\"%.64s\": an agent's name is 1 "
				"to 64 letters, digits and . _ - + @\n", agent);
			return EX_USAGE;
		}
		*author_r = agent;
		return EX_OK;
	}
	/* The account's name, not $USER or $LOGNAME: those are whatever the
	 * environment says, and REDRESS_AGENT is the way to say it. */
	{
		struct passwd *pw = getpwuid(geteuid());

		if (pw == NULL || pw->pw_name == NULL || !config_agent_name_ok(pw->pw_name)) {
			fprintf(stderr, "redress: who are you? set REDRESS_AGENT to your "
				"agent's name (user id %ld has no usable login name)\n",
				(long)geteuid());
			return EX_USAGE;
		}
		snprintf(login, sizeof(login), "%s", pw->pw_name);
	}
	*author_r = login;
	return EX_OK;
}

bool
cmd_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

int
cmd_usage(const char *usage)
{
	fputs(usage, stderr);
	return EX_USAGE;
}

int
cmd_open_store(struct app *app, struct store **st_r)
{
	struct store_options opt = {
		.busy_timeout_ms = app->cfg->store_busy_timeout,
		.others_may_read = app->cfg->store_others_may_read,
	};
	char *error = NULL;

	if (store_open(app->cfg->store_url != NULL ? app->cfg->store_url : app->cfg->store_path,
		       &opt, st_r, &error) < 0) {
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

int
cmd_case_id_arg(const char *action, const char *s, long long *id_r)
{
	char what[64];

	snprintf(what, sizeof(what), "case %s", action);
	return cmd_id_arg(what, "case", s, id_r);
}

int
cmd_case_begin(struct store *st, long long id, struct store_case *c, char **error_r)
{
	int r;

	if (store_begin(st, error_r) < 0)
		return -1;
	r = store_case_get(st, id, c, error_r);
	if (r == 0) {
		store_rollback(st);
		cmd_no_such("case", id);
	}
	return r;
}

void
cmd_jobs_json(struct buf *b, const struct store_job *jobs, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		bool first = true;

		buf_puts(b, i > 0 ? ",{" : "{");
		json_key(b, &first, "id");
		json_int(b, jobs[i].id);
		json_key(b, &first, "case");
		json_int(b, jobs[i].case_id);
		json_key(b, &first, "kind");
		json_str(b, job_kind_name(jobs[i].kind));
		json_key(b, &first, "state");
		json_str(b, job_state_name(jobs[i].state));
		json_key(b, &first, "due");
		json_time(b, jobs[i].due);
		json_key(b, &first, "attempts");
		json_int(b, jobs[i].attempts);
		json_key(b, &first, "last_error");
		json_str(b, jobs[i].last_error);
		json_key(b, &first, "rcpt");
		json_str(b, jobs[i].rcpt);
		json_key(b, &first, "sent_at");
		json_time(b, jobs[i].sent_at);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}


void
cmd_print(struct buf *b)
{
	fwrite(b->data != NULL ? b->data : "", 1, b->len, stdout);
	buf_free(b);
}

int
cmd_fetch_open(struct app *app, volatile const bool *stop, struct store **st_r,
	       struct identity **id_r, struct intake **in_r, struct fetcher **f_r)
{
	const struct config *cfg = app->cfg;
	char *password = NULL, *error = NULL;
	int r;

	if (cfg->imap_url == NULL) {
		fprintf(stderr, "redress: fetch: no [imap] url in %s\n",
			cfg->file != NULL ? cfg->file : "the configuration");
		return EX_CONFIG;
	}
	if (config_secret(cfg->imap_password, cfg->imap_password_file, &password,
			  &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		return EX_CONFIG;
	}
	r = cmd_open_store(app, st_r);
	if (r == EX_OK) {
		r = fetch_new(cfg, *st_r, password, stop, f_r, &error);
		if (r < 0)
			log_error("%s", error);
		else if (r == 0)
			log_error("another fetcher is reading %s", cfg->imap_url);
		free(error);
		error = NULL;
		r = r > 0 ? EX_OK : EX_TEMPFAIL;
	}
	if (r == EX_OK && (identity_new(cfg, *st_r, id_r, &error) < 0 ||
			   intake_new(cfg, *id_r, *st_r, false, in_r, &error) < 0)) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		r = EX_CONFIG;
	}
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
	}
	return r;
}

enum log_level
cmd_log_level(const struct app *app, struct config *cfg)
{
	/* Modules that trace (the SMTP dialogue) read the configuration. */
	if (app->verbose > 0)
		cfg->log_level = LOG_LEVEL_DEBUG;
	return app->verbose < 0 ? LOG_LEVEL_ERROR : cfg->log_level;
}
