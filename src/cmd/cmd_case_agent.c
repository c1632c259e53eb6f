/*
 * NAME
 *	cmd_case_agent - "redress case reply|note|assign|unassign|merge|link"
 * DESCRIPTION
 *	What an agent does to a case from the command line, beside the moves
 *	of cmd_case.c: reply answers the customer through the outbox (the
 *	body from a file, standard input or $EDITOR on a draft quoting their
 *	last message; case/reply.c builds and queues it); note, assign and
 *	unassign record an event by the agent (and move the owned case's
 *	queued escalations); merge and link join two cases (case/merge.c).
 *	Every change records its author (cmd_author()).
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "case/identity.h"
#include "case/merge.h"
#include "case/outbox.h"
#include "case/reply.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "store/store.h"

/* The longest reply body, as compose takes it. */
#define CASE_REPLY_MAX COMPOSE_MAX_BODY

/* Runs ${VISUAL:-${EDITOR:-vi}} on path, with our terminal: EX_OK, or
 * EX_SOFTWARE/EX_UNAVAILABLE after saying why. */
static int
case_edit(const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		fprintf(stderr, "redress: case reply: cannot start the editor: %s\n",
			strerror(errno));
		return EX_OSERR;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec ${VISUAL:-${EDITOR:-vi}} \"$1\"", "sh",
		      path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "redress: case reply: the editor failed (%s %d): nothing "
			"is sent\n", WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return EX_UNAVAILABLE;
	}
	return EX_OK;
}

/* Lines of a draft that are our instructions, not the reply. */
#define CASE_DRAFT_MARK "#redress: "

/*
 * The draft in $EDITOR: the template's text (or nothing), then the
 * customer's last message quoted, under our instructions; what the agent
 * leaves (instructions dropped) is the body.  EX_OK and *body_r, or an
 * exit code after saying why.
 */
static int
case_draft(const char *start, const char *quote, char **body_r)
{
	char path[] = "/tmp/redress-reply-XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char *p = NULL, *data = NULL;
	struct buf b, d;
	size_t len;
	int fd, ret;
	FILE *f;

	if (tmp != NULL && *tmp != '\0')
		p = xasprintf("%s/redress-reply-XXXXXX", tmp);
	fd = mkstemp(p != NULL ? p : path);
	if (fd < 0) {
		fprintf(stderr, "redress: case reply: cannot make a draft: %s\n", strerror(errno));
		free(p);
		return EX_CANTCREAT;
	}
	f = fdopen(fd, "w");
	fprintf(f, CASE_DRAFT_MARK "Write the reply above the quote.  Lines starting with\n"
		CASE_DRAFT_MARK "\"#redress:\" are left out; an empty reply sends nothing.\n");
	if (start != NULL)
		fputs(start, f);
	fputs("\n", f);
	if (quote != NULL)
		fputs(quote, f);
	if (fclose(f) != 0) {
		ret = EX_IOERR;
		goto out;
	}
	ret = case_edit(p != NULL ? p : path);
	if (ret != EX_OK)
		goto out;
	if (file_read(p != NULL ? p : path, CASE_REPLY_MAX + 1, &data, &len, NULL) < 0) {
		fprintf(stderr, "redress: case reply: cannot read the draft: %s\n", strerror(errno));
		ret = EX_IOERR;
		goto out;
	}
	buf_init(&d, BUF_NO_LIMIT);
	buf_append(&d, data, len);
	buf_init(&b, BUF_NO_LIMIT);
	for (const char *q = buf_str(&d); *q != '\0';) {
		size_t n = strcspn(q, "\n");

		if (strncmp(q, CASE_DRAFT_MARK, strlen(CASE_DRAFT_MARK)) != 0) {
			buf_append(&b, q, n);
			buf_putc(&b, '\n');
		}
		q += n;
		if (*q == '\n')
			q++;
	}
	buf_free(&d);
	*body_r = buf_steal(&b, NULL);
out:
	unlink(p != NULL ? p : path);
	free(p);
	free(data);
	return ret;
}

/* True when the body has nothing but blanks and quoted lines. */
static bool
case_reply_empty(const char *body)
{
	for (const char *p = body; *p != '\0';) {
		size_t n = strcspn(p, "\n"), sp = strspn(p, " \t\r");

		if (sp < n && p[sp] != '>' && !(strncmp(p + sp, "On ", 3) == 0 &&
						  n > 7 && strncmp(p + n - 7, " wrote:", 7) == 0))
			return false;
		p += n;
		if (*p == '\n')
			p++;
	}
	return true;
}

/*
 * "case reply ID [--file F] [--template NAME] [--edit] [--cc ADDR]...":
 * the body from F ("-": standard input), or a draft in $EDITOR (with
 * --edit, or when standard input is a terminal) starting from the
 * template and the customer's last message quoted, or standard input;
 * with --template and neither --edit nor a terminal, the rendered template
 * itself.  Queued through the outbox (reply.h) in one transaction with
 * the case's move; "redress send" delivers it.
 */
int
cmd_case_reply(struct app *app, struct store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "template", required_argument, NULL, 't' },
		{ "cc", required_argument, NULL, 'c' },
		{ "edit", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *tmpl = NULL, *author, *cc[REPLY_MAX_CC];
	struct reply_input in = { 0 };
	struct identity *idn = NULL;
	struct outbox *ob = NULL;
	struct message *last = NULL;
	struct store_case cs, *c = &cs;
	char *body = NULL, *start = NULL, *quote = NULL, *error = NULL;
	bool edit = false;
	size_t n_cc = 0, len = 0;
	long long id, msg_id = 0;
	int ch, r, ret = EX_USAGE;

	store_case_init(c);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "f:t:c:e", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': file = optarg; break;
		case 't': tmpl = optarg; break;
		case 'e': edit = true; break;
		case 'c':
			if (n_cc == REPLY_MAX_CC || !compose_address_ok(optarg)) {
				fprintf(stderr, "redress: case reply: --cc %s: %s\n", optarg,
					n_cc == REPLY_MAX_CC ? "too many (10 at most)"
					: "not a plain address (like someone@example.com)");
				return EX_USAGE;
			}
			cc[n_cc++] = optarg;
			break;
		default:
			fputs(cmd_case_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc || (file != NULL && (edit || tmpl != NULL))) {
		fprintf(stderr, "redress: usage: redress case reply ID [--file F | [--template "
			"NAME] [--edit]] [--cc ADDR]...\n");
		return EX_USAGE;
	}
	if (cmd_id_arg("case reply", "case", argv[optind], &id) != EX_OK ||
	    cmd_author(&author) != EX_OK)
		return EX_USAGE;
	r = store_case_get(st, id, c, &error);
	if (r <= 0) {
		if (r < 0)
			goto fail;
		return cmd_no_such("case", id);
	}
	if (identity_new(app->cfg, st, &idn, &error) < 0)
		goto fail;
	/* The body. */
	if (file != NULL) {
		bool big = false;
		int rr = strcmp(file, "-") == 0
			 ? file_read_fd(0, CASE_REPLY_MAX, true, &body, &len, &big)
			 : file_read(file, CASE_REPLY_MAX, &body, &len, &big);

		if (rr < 0) {
			fprintf(stderr, "redress: case reply: %s: %s\n", file, strerror(errno));
			ret = EX_NOINPUT;
			goto out;
		}
		if (big) {
			fprintf(stderr, "redress: case reply: %s: more than 1 MiB\n", file);
			ret = EX_DATAERR;
			goto out;
		}
	} else {
		if (!edit && tmpl == NULL && !isatty(0)) {
			bool big = false;

			if (file_read_fd(0, CASE_REPLY_MAX, true, &body, &len, &big) < 0 || big) {
				fprintf(stderr, "redress: case reply: standard input: %s\n",
					big ? "more than 1 MiB" : strerror(errno));
				ret = big ? EX_DATAERR : EX_IOERR;
				goto out;
			}
		} else {
			if (tmpl != NULL) {
				if (outbox_new(app->cfg, idn, st, true, &ob, &error) < 0 ||
				    outbox_render_named(ob, c, tmpl, app->now, &start, &error) < 0) {
					fprintf(stderr, "redress: case reply: --template %s: %s\n",
						tmpl, error);
					ret = EX_DATAERR;
					goto out;
				}
			}
			if (edit || isatty(0)) {
				if (reply_last_inbound(st, id, &app->cfg->intake_limits, &last,
						       &error) < 0)
					goto fail;
				if (last != NULL)
					quote = reply_quote(last);
				ret = case_draft(start, quote, &body);
				if (ret != EX_OK)
					goto out;
			} else {
				body = start;
				start = NULL;
			}
		}
	}
	if (body == NULL || !utf8_valid(body, strlen(body)) ||
	    strlen(body) != (file != NULL || (!edit && tmpl == NULL) ? len : strlen(body))) {
		fprintf(stderr, "redress: case reply: the text is not UTF-8 text\n");
		ret = EX_DATAERR;
		goto out;
	}
	if (case_reply_empty(body)) {
		fprintf(stderr, "redress: case reply: the reply is empty: nothing is sent\n");
		ret = EX_DATAERR;
		goto out;
	}
	in.body = body;
	in.cc = cc;
	in.n_cc = n_cc;
	in.author = author;
	store_case_clear(c);
	if (store_begin(st, &error) < 0)
		goto fail;
	/* Read again inside the transaction: the case may have moved. */
	r = store_case_get(st, id, c, &error);
	if (r > 0)
		r = reply_queue(st, app->cfg, idn, c, &in, app->now, &msg_id, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: case reply: %s\n", error != NULL ? error : "no such case");
		free(error);
		ret = EX_DATAERR;
		goto out;
	}
	if (store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0)
		printf("case %lld: reply queued to %s%s (message %lld); \"redress send\" "
		       "delivers it\n", id, c->customer, n_cc > 0 ? " and Cc" : "", msg_id);
	ret = EX_OK;
	goto out;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	ret = store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
out:
	message_free(&last);
	outbox_free(&ob);
	identity_free(&idn);
	store_case_clear(c);
	free(body);
	free(start);
	free(quote);
	return ret;
}

/*
 * "case merge INTO FROM" (merge.h) and "case link A B": two cases, one
 * transaction, events by their author.
 */
int
cmd_case_pair(struct app *app, struct store *st, int argc, char **argv)
{
	bool merge = strcmp(argv[0], "merge") == 0;
	const char *author;
	char *error = NULL;
	long long a, b;
	int r, ret;

	if (argc != 3) {
		fprintf(stderr, "redress: usage: redress case %s\n",
			merge ? "merge INTO FROM" : "link A B");
		return EX_USAGE;
	}
	if (cmd_case_id_arg(argv[0], argv[1], &a) != EX_OK ||
	    cmd_case_id_arg(argv[0], argv[2], &b) != EX_OK || cmd_author(&author) != EX_OK)
		return EX_USAGE;
	if (store_begin(st, &error) < 0)
		goto fail;
	if (merge) {
		r = merge_cases(st, a, b, author, app->now, &error);
	} else if (a == b) {
		error = xasprintf("case %lld cannot be linked to itself", a);
		r = 0;
	} else {
		struct store_case ca, cb;
		int ra = store_case_get(st, a, &ca, &error), rb = 0;

		if (ra > 0)
			rb = store_case_get(st, b, &cb, &error);
		r = ra < 0 || rb < 0 ? -1 : 1;
		if (r > 0 && (ra == 0 || rb == 0)) {
			error = xasprintf("no case %lld", ra == 0 ? a : b);
			r = 0;
		}
		if (ra > 0)
			store_case_clear(&ca);
		if (rb > 0)
			store_case_clear(&cb);
		if (r > 0) {
			char *da = xasprintf("with case %lld", b), *db = xasprintf("with case %lld", a);

			r = store_case_link(st, a, b, app->now, author, &error);
			if (r > 0 &&
			    (store_event_add_by(st, a, app->now, "linked", da, author, &error) < 0 ||
			     store_event_add_by(st, b, app->now, "linked", db, author, &error) < 0))
				r = -1;
			else if (r == 0)
				r = 2;  /* linked already: nothing to do */
			free(da);
			free(db);
		}
	}
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: case %s: %s\n", argv[0], error);
		ret = strncmp(error, "no case ", 8) == 0 ? EX_NOINPUT : EX_DATAERR;
		free(error);
		return ret;
	}
	if (store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0) {
		if (merge)
			printf("case %lld merged into case %lld\n", b, a);
		else
			printf("cases %lld and %lld %s linked\n", a, b, r == 2 ? "were already" : "are");
	}
	return EX_OK;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

/* The longest note: a note is a few lines, not a mailbox. */
#define CASE_NOTE_MAX (64 * 1024)

/*
 * "case note ID TEXT", "case assign ID AGENT", "case unassign ID": what a
 * person writes on a case or who owns it.  One transaction each: the case
 * (for an owner) and its event, which records who did it (cmd_author).
 * A note is for the team: it is an event, never a job, so nothing of it
 * is ever sent.
 */
int
cmd_case_person(struct app *app, struct store *st, int argc, char **argv)
{
	const char *verb = argv[0], *arg = NULL, *author;
	bool note = strcmp(verb, "note") == 0, assign = strcmp(verb, "assign") == 0;
	int want = note || assign ? 3 : 2;
	struct store_case cs, *c = &cs;
	char *error = NULL, *prev = NULL;
	const char *kind = NULL;
	long long id;
	int r, ret;

	store_case_init(c);
	if (argc != want || (argc > 1 && argv[1][0] == '-' && argv[1][1] != '\0')) {
		fprintf(stderr, "redress: usage: redress case %s ID%s\n", verb,
			note ? " TEXT" : assign ? " AGENT" : "");
		return EX_USAGE;
	}
	ret = cmd_case_id_arg(verb, argv[1], &id);
	if (ret != EX_OK)
		return ret;
	if (want == 3)
		arg = argv[2];
	if (note && (*arg == '\0' || strlen(arg) > CASE_NOTE_MAX)) {
		fprintf(stderr, "redress: case note: the text is %s\n",
			*arg == '\0' ? "empty" : "longer than 64 KiB");
		return EX_USAGE;
	}
	if (assign && !config_agent_name_ok(arg)) {
		fprintf(stderr, "redress: case assign: \"%.64s\": an agent's name is 1 to 64 "
			"letters, digits and . _ - + @\n", arg);
		return EX_USAGE;
	}
	if (cmd_author(&author) != EX_OK)
		return EX_USAGE;
	r = cmd_case_begin(st, id, c, &error);
	if (r < 0)
		goto fail;
	if (r == 0)
		return EX_NOINPUT;
	if (note) {
		kind = "note";
	} else if (assign) {
		if (c->owner == NULL || strcmp(c->owner, arg) != 0) {
			free(c->owner);
			c->owner = xstrdup(arg);
			kind = "assigned";
		}
	} else if (c->owner != NULL) {
		/* The event keeps who owned it. */
		prev = c->owner;
		c->owner = NULL;
		arg = prev;
		kind = "unassigned";
	}
	if (kind == NULL) {
		store_rollback(st);
		if (app->verbose >= 0)
			printf("case %lld %s\n", id, assign ? "is already theirs" : "has no owner");
		store_case_clear(c);
		return EX_OK;
	}
	if (!note) {
		/* Mail to staff already queued follows the case to its owner. */
		c->updated = app->now;
		if (store_case_update(st, c, &error) < 0 ||
		    store_jobs_reroute_staff(st, id, config_escalate_for(app->cfg, c->owner)->addr,
					     NULL, &error) < 0)
			goto fail;
	}
	if (store_event_add_by(st, id, app->now, kind, arg, author, &error) < 0 ||
	    store_commit(st, &error) < 0)
		goto fail;
	free(prev);
	if (assign && config_agent(app->cfg, c->owner) == NULL)
		fprintf(stderr, "redress: case assign: %s has no address in [agents]: the "
			"case's escalations go to [smtp] escalate_to\n", c->owner);
	if (app->verbose >= 0) {
		if (note)
			printf("case %lld: note added\n", id);
		else
			printf("case %lld: %s\n", id, assign ? c->owner : "unassigned");
	}
	store_case_clear(c);
	return EX_OK;
fail:
	log_error("%s", error);
	free(error);
	free(prev);
	store_rollback(st);
	store_case_clear(c);
	return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}
