/*
 * NAME
 *	cmd_ingest - "redress ingest PATH..."
 * DESCRIPTION
 *	ingest reads .eml files, maildirs (cur/ and new/: maildir.h) and mbox
 *	files (mbox.h), and directories of them, and runs each message
 *	through intake, committing in groups (the files stay where they are,
 *	so a failed group loses nothing).  With a [spam] scanner configured
 *	each message is scanned before its transaction and committed on its
 *	own (intake_prescan): the store's writer lock is never held while
 *	spamd or rspamd think, so the MTA's deliveries, send and the agents
 *	are not kept waiting behind a slow scanner.  On a terminal it shows
 *	progress; at the end it prints a summary.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/identity.h"
#include "case/intake.h"
#include "case/scan.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "net/maildir.h"
#include "net/mbox.h"
#include "store/store.h"

#define INGEST_GROUP 200     /* messages per transaction, without a scanner */

/* What a run did, by intake outcome. */
struct ingest_counts {
	unsigned long seen, fresh, joined, dups, held;
};

struct ingest {
	struct app *app;
	struct store *st;
	struct identity *id;
	struct intake *in;
	bool scanning;               /* a [spam] scanner is configured */
	size_t group_max;            /* INGEST_GROUP, or 1 when scanning */
	size_t in_group;
	struct ingest_counts done;   /* committed */
	struct ingest_counts group;  /* in the open transaction: counted in
				      * done only once it commits */
	unsigned long failed;        /* files that could not be read */
	unsigned long lost;          /* messages of groups rolled back */
	bool tty;
	int status;              /* first failure's exit code */
};

static const char ingest_usage[] =
"usage: redress ingest PATH...\n"
"Runs each message in PATH through intake: .eml files (one message each),\n"
"maildirs (the messages in cur/ and new/), and mbox files (several messages,\n"
"separated by \"From \" lines).  A message seen before is recognised and\n"
"skipped; one that cannot be read is stored held with the reason.  Prints a\n"
"summary: messages read, new cases, joined to a case, duplicates, held.\n";

static void
ingest_progress(struct ingest *g, bool final)
{
	if (!g->tty)
		return;
	if (!final && (g->done.seen + g->group.seen) % 100 != 0)
		return;
	fprintf(stderr, "\r%lu messages: %lu new, %lu joined, %lu duplicates, %lu held",
		g->done.seen + g->group.seen, g->done.fresh + g->group.fresh,
		g->done.joined + g->group.joined, g->done.dups + g->group.dups,
		g->done.held + g->group.held);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* The open group is gone (rolled back): its messages were not stored. */
static void
ingest_drop_group(struct ingest *g)
{
	g->lost += g->group.seen;
	memset(&g->group, 0, sizeof(g->group));
	g->in_group = 0;
}

static int
ingest_flush(struct ingest *g)
{
	char *error = NULL;

	if (g->in_group == 0)
		return 0;
	if (store_commit(g->st, &error) < 0) {
		log_error("%s", error);
		free(error);
		g->status = store_temporary(g->st) ? EX_TEMPFAIL : EX_SOFTWARE;
		ingest_drop_group(g);
		return -1;
	}
	g->done.seen += g->group.seen;
	g->done.fresh += g->group.fresh;
	g->done.joined += g->group.joined;
	g->done.dups += g->group.dups;
	g->done.held += g->group.held;
	memset(&g->group, 0, sizeof(g->group));
	g->in_group = 0;
	return 0;
}

static int
ingest_one(struct ingest *g, const char *raw, size_t len, const char *source)
{
	struct intake_source src = { source, NULL, NULL };
	struct intake_result res;
	char *error = NULL;

	/* The scanner is asked outside any transaction (group_max is 1 then,
	 * so none is open here). */
	if (g->scanning)
		intake_prescan(g->in, raw, len);
	if (g->in_group == 0 && store_begin(g->st, &error) < 0) {
		log_error("%s", error);
		free(error);
		g->status = store_temporary(g->st) ? EX_TEMPFAIL : EX_SOFTWARE;
		return -1;
	}
	g->in_group++;
	if (intake_message(g->in, raw, len, &src, g->app->now, &res, &error) < 0) {
		log_error("%s: %s", source, error);
		free(error);
		store_rollback(g->st);
		g->group.seen++;  /* this one is lost with its group */
		ingest_drop_group(g);
		g->status = store_temporary(g->st) ? EX_TEMPFAIL : EX_SOFTWARE;
		return -1;
	}
	g->group.seen++;
	switch (res.outcome) {
	case INTAKE_NEW: g->group.fresh++; break;
	case INTAKE_JOINED: g->group.joined++; break;
	case INTAKE_DUPLICATE: g->group.dups++; break;
	case INTAKE_HELD: g->group.held++; break;
	}
	if (g->app->verbose > 0)
		log_info("%s: case %lld: %s", source, res.case_id, res.note);
	else if (res.outcome == INTAKE_HELD)
		log_warn("%s: case %lld %s", source, res.case_id, res.note);
	ingest_progress(g, false);
	if (g->in_group >= g->group_max)
		return ingest_flush(g);
	return 0;
}

static int
ingest_file(struct ingest *g, const char *path)
{
	size_t len;
	char *raw = NULL;
	char *source;
	int ret;

	if (file_read(path, (size_t)g->app->cfg->intake_max_size + 1, &raw, &len, NULL) < 0) {
		log_error("%s: %s", path, strerror(errno));
		g->failed++;
		if (g->status == 0)
			g->status = EX_NOINPUT;
		return 0;
	}
	source = xasprintf("file:%s", path);
	ret = ingest_one(g, raw, len, source);
	free(source);
	free(raw);
	return ret;
}

/* One message of an mbox (mbox.h). */
struct ingest_mbox {
	struct ingest *g;
	const char *path;
};

static int
ingest_mbox_message(void *ctx, const char *msg, size_t len, size_t n)
{
	struct ingest_mbox *mb = ctx;
	char *source = xasprintf("mbox:%s:%zu", mb->path, n);
	int ret = ingest_one(mb->g, msg, len, source);

	free(source);
	return ret;
}

static int
ingest_maildir_file(void *ctx, const char *file)
{
	return ingest_file(ctx, file);
}

static int
ingest_path(struct ingest *g, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		log_error("%s: %s", path, strerror(errno));
		g->failed++;
		if (g->status == 0)
			g->status = EX_NOINPUT;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **names = NULL;
		int n, ret = 0;

		if (maildir_is(path))
			return maildir_each(path, ingest_maildir_file, g);
		/* A plain directory: every file in it, and maildirs below it. */
		n = scandir(path, &names, NULL, alphasort);
		for (int k = 0; k < n; k++) {
			if (ret == 0 && names[k]->d_name[0] != '.') {
				char *sub = xasprintf("%s/%s", path, names[k]->d_name);

				ret = ingest_path(g, sub);
				free(sub);
			}
			free(names[k]);
		}
		free(names);
		return ret;
	}
	{
		size_t len;
		char *data = NULL;
		int ret;

		/* An mbox may hold many messages: allow far more than one. */
		if (file_read(path, (size_t)1 << 34, &data, &len, NULL) < 0) {
			log_error("%s: %s", path, strerror(errno));
			g->failed++;
			if (g->status == 0)
				g->status = EX_NOINPUT;
			return 0;
		}
		if (mbox_looks_like(data, len)) {
			struct ingest_mbox mb = { g, path };

			ret = mbox_split(data, len, ingest_mbox_message, &mb);
		} else {
			char *source = xasprintf("file:%s", path);
			size_t cap = (size_t)g->app->cfg->intake_max_size + 1;

			/* Too large: keep the first bytes, intake holds it. */
			ret = ingest_one(g, data, len > cap ? cap : len, source);
			free(source);
		}
		free(data);
		return ret;
	}
}

int
cmd_ingest(struct app *app, int argc, char **argv)
{
	struct ingest g = { 0 };
	char *error = NULL;

	if (cmd_wants_help(argc, argv)) {
		fputs(ingest_usage, stdout);
		return EX_OK;
	}
	if (argc < 2)
		return cmd_usage(ingest_usage);
	g.app = app;
	g.scanning = scan_configured(app->cfg);
	g.group_max = g.scanning ? 1 : INGEST_GROUP;
	g.tty = isatty(STDERR_FILENO) && app->verbose >= 0;
	if (cmd_open_store(app, &g.st) != EX_OK)
		return store_temporary(g.st) ? (store_close(&g.st), EX_TEMPFAIL)
					     : (store_close(&g.st), EX_UNAVAILABLE);
	if (identity_new(app->cfg, g.st, &g.id, &error) < 0 ||
	    intake_new(app->cfg, g.id, g.st, false, &g.in, &error) < 0) {
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		identity_free(&g.id);
		store_close(&g.st);
		return EX_CONFIG;
	}
	for (int i = 1; i < argc; i++) {
		if (ingest_path(&g, argv[i]) < 0)
			break;
	}
	if (g.status == 0 || g.status == EX_NOINPUT) {
		ingest_flush(&g);
	} else {
		store_rollback(g.st);
		ingest_drop_group(&g);
	}
	ingest_progress(&g, true);
	/* The counts are of what was committed: a group that was rolled
	 * back (disk full, store locked) stored nothing and is "not stored". */
	if (app->json) {
		printf("{\"messages\":%lu,\"new\":%lu,\"joined\":%lu,\"duplicates\":%lu,"
		       "\"held\":%lu,\"unreadable\":%lu,\"not_stored\":%lu}\n",
		       g.done.seen, g.done.fresh, g.done.joined, g.done.dups, g.done.held,
		       g.failed, g.lost);
	} else if (app->verbose >= 0) {
		printf("ingested %lu messages: %lu new cases, %lu joined, %lu duplicates, "
		       "%lu held", g.done.seen, g.done.fresh, g.done.joined, g.done.dups,
		       g.done.held);
		if (g.failed > 0)
			printf(", %lu unreadable", g.failed);
		if (g.lost > 0)
			printf("; %lu read but not stored (run it again: nothing stored is "
			       "taken twice)", g.lost);
		putchar('\n');
	}
	intake_free(&g.in);
	identity_free(&g.id);
	store_close(&g.st);
	return g.status;
}
