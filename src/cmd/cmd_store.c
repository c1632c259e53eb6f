/*
 * NAME
 *	cmd_store - "redress store export [-o FILE]" and "redress store import
 *	[FILE]"
 * DESCRIPTION
 *	The whole store as JSON lines, and back into an empty store of either
 *	kind (store_export, store_import; the format is in doc/design.md):
 *	to move from SQLite to PostgreSQL or back, and as the backup.
 *
 *	An export holds the Message-ID key and every complaint: -o FILE is
 *	written under a temporary name in FILE's directory (mode 0600),
 *	flushed to disk and renamed into place, so that FILE is whole or not
 *	there.  Progress goes to stderr (with -v, or when stderr is a
 *	terminal); the count of rows at the end, unless -q.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmem.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "store/store.h"

static const char store_usage[] =
"usage: redress store export [-o FILE] | redress store import [FILE]\n"
"export: the whole store as JSON lines (messages byte for byte, events,\n"
"  jobs, the Message-ID key, the IMAP cursors) to stdout, or to FILE\n"
"  (mode 0600, replaced whole or not at all); it is also the backup.\n"
"import: reads an export (stdin if no FILE, or \"-\") into the configured\n"
"  store, which must be empty: a new SQLite file, or a new PostgreSQL\n"
"  database ([store] url).  All of it or, on any error, nothing.\n"
"An export holds the secret key and every complaint: keep it as you keep\n"
"the store.\n";

#define STORE_PROGRESS_EVERY 10000

static void
store_progress(void *ctx, const char *table, long long rows)
{
	fprintf(stderr, "redress: store %s: %s: %lld rows\n", (const char *)ctx, table, rows);
}

/* "5 cases, 12 messages, ..." into b. */
static void
store_counts(struct buf *b, const struct store_dump_stats *stats)
{
	long long all = 0;

	for (size_t t = 0; t < STORE_DUMP_TABLES; t++)
		all += stats->rows[t];
	buf_printf(b, "%lld rows (", all);
	for (size_t t = 0; t < STORE_DUMP_TABLES; t++)
		buf_printf(b, "%s%s %lld", t > 0 ? ", " : "", stats->table[t], stats->rows[t]);
	buf_putc(b, ')');
}

/* The exit code for a store_export or store_import failure. */
static int
store_dump_code(struct store *st, const struct store_dump_stats *stats, int file_code)
{
	switch (stats->fault) {
	case STORE_DUMP_DATA:
		return EX_DATAERR;
	case STORE_DUMP_FILE:
		return file_code;
	default:
		return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
	}
}

static int
store_export_cmd(struct app *app, struct store *st, const char *path)
{
	struct store_dump_stats stats = { 0 };
	char *error = NULL, *tmp = NULL;
	FILE *out = stdout;
	struct buf b;
	int ret = EX_OK, e;

	if (path != NULL) {
		const char *slash = strrchr(path, '/');
		int fd;

		/* A temporary name beside FILE, so that the rename stays
		 * in one file system and FILE is whole or not there. */
		if (slash != NULL)
			tmp = xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
		else
			tmp = xasprintf(".%s.XXXXXX", path);
		fd = mkstemp(tmp);   /* 0600 */
		if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
			e = errno;
			fprintf(stderr, "redress: store export: %s: %s\n", path, strerror(e));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			return e == ENOSPC || e == EDQUOT ? EX_TEMPFAIL : EX_CANTCREAT;
		}
	}
	if (app->verbose > 0 || isatty(STDERR_FILENO)) {
		stats.progress = store_progress;
		stats.progress_ctx = (void *)"export";
		stats.progress_every = STORE_PROGRESS_EVERY;
	}
	errno = 0;
	if (store_export(st, out, &stats, &error) < 0) {
		e = errno;
		if (stats.fault == STORE_DUMP_FILE)
			fprintf(stderr, "redress: store export: %s: %s\n",
				path != NULL ? path : "stdout", error);
		else
			log_error("store export: %s", error);
		free(error);
		ret = store_dump_code(st, &stats, e == ENOSPC || e == EDQUOT ? EX_TEMPFAIL
								 : EX_CANTCREAT);
	}
	if (path != NULL) {
		if (ret == EX_OK && (fflush(out) != 0 || fsync(fileno(out)) < 0 ||
				     rename(tmp, path) < 0)) {
			e = errno;
			fprintf(stderr, "redress: store export: %s: %s\n", path, strerror(e));
			ret = e == ENOSPC || e == EDQUOT ? EX_TEMPFAIL : EX_CANTCREAT;
		}
		if (fclose(out) != 0 && ret == EX_OK) {
			e = errno;
			fprintf(stderr, "redress: store export: %s: %s\n", path, strerror(e));
			ret = EX_CANTCREAT;
		}
		if (ret != EX_OK)
			unlink(tmp);
		free(tmp);
	}
	if (ret == EX_OK && app->verbose >= 0) {
		buf_init(&b, BUF_NO_LIMIT);
		buf_printf(&b, "redress: store export: %s store %s: ", store_kind(st),
			   store_name(st));
		store_counts(&b, &stats);
		fprintf(stderr, "%s\n", buf_str(&b));
		buf_free(&b);
	}
	return ret;
}

static int
store_import_cmd(struct app *app, struct store *st, const char *path)
{
	struct store_dump_stats stats = { 0 };
	/* A line holds a message: base64 of its raw bytes (4/3) and its
	 * decoded text, escaped (a control character takes 6 bytes). */
	size_t max_line = (size_t)app->cfg->intake_max_size * 8 + (1u << 20);
	const char *name = path != NULL ? path : "stdin";
	char *error = NULL;
	FILE *in = stdin;
	int ret = EX_OK;

	if (path != NULL && (in = fopen(path, "r")) == NULL) {
		fprintf(stderr, "redress: store import: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	if (app->verbose > 0 || isatty(STDERR_FILENO)) {
		stats.progress = store_progress;
		stats.progress_ctx = (void *)"import";
		stats.progress_every = STORE_PROGRESS_EVERY;
	}
	if (store_import(st, in, name, max_line, &stats, &error) < 0) {
		fprintf(stderr, "redress: store import: %s; nothing was imported\n", error);
		free(error);
		ret = store_dump_code(st, &stats, EX_NOINPUT);
	} else if (app->verbose >= 0) {
		struct buf b;

		buf_init(&b, BUF_NO_LIMIT);
		buf_printf(&b, "imported into %s store %s: ", store_kind(st), store_name(st));
		store_counts(&b, &stats);
		buf_putc(&b, '\n');
		cmd_print(&b);
	}
	if (in != stdin)
		fclose(in);
	return ret;
}

int
cmd_store(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *st = NULL;
	const char *output = NULL, *input = NULL;
	bool export;
	int c, ret;

	if (cmd_wants_help(argc, argv)) {
		fputs(store_usage, stdout);
		return EX_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "export") != 0 && strcmp(argv[1], "import") != 0))
		return cmd_usage(store_usage);
	export = strcmp(argv[1], "export") == 0;
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, export ? "+o:" : "+", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		default:
			fprintf(stderr, "redress: store %s: unknown option or missing "
				"argument: %s\n", argv[0], argv[optind - 1]);
			return cmd_usage(store_usage);
		}
	}
	if (export ? optind != argc : optind + 1 < argc)
		return cmd_usage(store_usage);
	if (!export && optind < argc && strcmp(argv[optind], "-") != 0)
		input = argv[optind];
	if (export && output != NULL && strcmp(output, "-") == 0)
		output = NULL;
	ret = cmd_open_store(app, &st);
	if (ret == EX_OK)
		ret = export ? store_export_cmd(app, st, output) : store_import_cmd(app, st, input);
	store_close(&st);
	return ret;
}
