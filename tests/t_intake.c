/*
 * t_intake - what intake holds as unreadable (issue 11): a NUL byte in the
 * header block, no header block at all, or neither a sender nor a word.
 * The edges are a table; then every message of the real corpora that
 * message_parse reads -- $REDRESS_CORPORA/mail (odd and malformed mail),
 * $REDRESS_CORPORA/spamassassin (3,000 real messages of 2002) and
 * CPython's odd-message corpus, where installed -- must not be held by
 * intake: real but odd mail is read, not held.  Three files of those
 * corpora are no messages, and are named below with what they are.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case/intake.h"
#include "mail/message.h"
#include "tap.h"
#include "base/xmem.h"

#define PYDATA "/usr/lib/python3.11/test/test_email/data"

static const struct message_limits lim = { 25u << 20, 20, 1000 };

struct edge {
	const char *what;
	const char *raw;
	size_t len;                 /* 0: strlen(raw) */
	const char *envelope_from;  /* NULL: unknown */
	const char *held;           /* start of the reason, NULL: not held */
};

#define NUL_HDR "unreadable: a NUL byte in the header"
#define NO_HDR "unreadable: no header block"
#define NOBODY "unreadable: no sender and nothing written"

static const struct edge edges[] = {
	{ "the issue's input", "\0garbage\n", 9, NULL, NUL_HDR },
	{ "a NUL in a header", "From: a@example.org\nSubject: x\0y\n\nhello\n", 41, NULL, NUL_HDR },
	{ "a NUL in a header, CRLF", "From: a@example.org\r\nSubject: x\0y\r\n\r\nhi\r\n", 42, NULL,
	  NUL_HDR },
	{ "a NUL after the header block", "From: a@example.org\nSubject: photo\n\nsee \0 this\n",
	  47, NULL, NULL },
	{ "no colon: no header", "garbage\n", 0, NULL, NO_HDR },
	{ "binary junk", "\xff\xfe\x01\x02junk\x80\n", 0, NULL, NO_HDR },
	{ "an empty file", "", 0, NULL, NO_HDR },
	{ "a body without headers", "\nMy parcel is late.\n", 0, NULL, NO_HDR },
	{ "a body without headers, envelope known", "\nMy parcel is late.\n", 0,
	  "a@example.org", NO_HDR },
	{ "an empty subject and nothing else", "Subject:\n\n\n", 0, NULL, NOBODY },
	{ "blanks only", "Subject: \n\n  \n\t\n", 0, NULL, NOBODY },
	{ "nothing written, null envelope sender", "Subject:\n\n\n", 0, "", NOBODY },
	{ "nothing written, envelope sender", "Subject:\n\n\n", 0, "a@example.org", NULL },
	{ "nothing written, From", "From: a@example.org\n\n", 0, NULL, NULL },
	{ "nothing written, Reply-To", "Reply-To: a@example.org\nSubject:\n\n", 0, NULL, NULL },
	{ "nothing written, Sender", "Sender: a@example.org\n\n", 0, NULL, NULL },
	{ "nothing written, Return-Path", "Return-Path: <a@example.org>\n\n", 0, NULL, NULL },
	{ "no sender, a subject", "Subject: help\n\n", 0, NULL, NULL },
	{ "no sender, a body", "To: care@example.com\n\nMy parcel is late.\n", 0, NULL, NULL },
	{ "a plain message", "From: a@example.org\nSubject: hi\n\nbody\n", 0, NULL, NULL },
	{ "CRLF", "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n", 0, NULL, NULL },
	{ "an mbox From_ line", "From a@example.org Mon Nov 23 11:40:00 2026\n"
	  "From: a@example.org\nSubject: hi\n\nbody\n", 0, NULL, NULL },
	{ "no blank line, headers only", "From: a@example.org\nSubject: hi", 0, NULL, NULL },
};

static void
test_edges(void)
{
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		const struct edge *e = &edges[i];
		size_t len = e->len > 0 ? e->len : strlen(e->raw);
		struct message *m = message_parse(e->raw, len, &lim);
		const char *why = intake_unreadable(m, e->raw, len, e->envelope_from);

		if (e->held == NULL)
			ok(why == NULL, "%s: read (%s)", e->what, why != NULL ? why : "not held");
		else
			ok(why != NULL && strncmp(why, e->held, strlen(e->held)) == 0,
			   "%s: held (%s)", e->what, why != NULL ? why : "not held");
		message_free(&m);
	}
}

/* Files of the corpora that are no mail messages, and must be held. */
static const struct {
	const char *tail;       /* end of the path */
	const char *held;       /* start of the reason */
	const char *what;
} not_mail[] = {
	{ "mikel_mail_fixtures/sample_output_multipart", NO_HDR,
	  "an empty file (an expected-output fixture)" },
	{ "test_email/data/msg_19.txt", NO_HDR,
	  "a digest's table of contents: a body part, no header block" },
	{ "test_email/data/msg_18.txt", NOBODY,
	  "MIME headers only: no From, no Subject, no body" },
};

static const char *
t_not_mail(const char *path, const char **what_r)
{
	size_t pl = strlen(path);

	for (size_t i = 0; i < sizeof(not_mail) / sizeof(not_mail[0]); i++) {
		size_t tl = strlen(not_mail[i].tail);

		if (pl >= tl && strcmp(path + pl - tl, not_mail[i].tail) == 0) {
			*what_r = not_mail[i].what;
			return not_mail[i].held;
		}
	}
	return NULL;
}

static char **files;
static size_t n_files, cap_files;

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && strstr(path, "LICENSE") == NULL && strstr(path, "README") == NULL) {
		files = xgrow(files, &cap_files, n_files + 1, sizeof(*files));
		files[n_files++] = xstrdup(path);
	}
	return 0;
}

/* Every message message_parse reads is read by intake too. */
static void
test_corpora(void)
{
	const char *corpus = getenv("REDRESS_CORPORA");
	size_t read_ok = 0, parse_held = 0, unreadable = 0, known = 0;
	struct stat st;

	if (corpus != NULL) {
		const char *sub[] = { "mail", "spamassassin" };

		for (size_t i = 0; i < 2; i++) {
			char *d = xasprintf("%s/%s", corpus, sub[i]);

			if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
				nftw(d, collect, 16, FTW_PHYS);
			free(d);
		}
	}
	if (stat(PYDATA "/msg_01.txt", &st) == 0) {
		DIR *d = opendir(PYDATA);
		struct dirent *de;

		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "msg_", 4) == 0) {
				files = xgrow(files, &cap_files, n_files + 1, sizeof(*files));
				files[n_files++] = xasprintf("%s/%s", PYDATA, de->d_name);
			}
		}
		if (d != NULL)
			closedir(d);
	}
	if (n_files == 0) {
		skip(2, "no corpus: neither $REDRESS_CORPORA nor " PYDATA);
		return;
	}
	for (size_t i = 0; i < n_files; i++) {
		size_t len;
		char *raw = tap_slurp(files[i], &len);
		struct message *m;
		const char *why, *what = NULL;

		if (raw == NULL) {
			diag("cannot read %s", files[i]);
			continue;
		}
		m = message_parse(raw, len, &lim);
		why = intake_unreadable(m, raw, len, NULL);
		if (t_not_mail(files[i], &what) != NULL) {
			known++;
			ok(why != NULL && strncmp(why, t_not_mail(files[i], &what),
						  strlen(t_not_mail(files[i], &what))) == 0,
			   "%s, is held (%s)", what, why != NULL ? why : "not held");
		} else if (m->problem != NULL) {
			parse_held++;
		} else if (why != NULL) {
			unreadable++;
			diag("held by intake: %s: %s", files[i], why);
		} else {
			read_ok++;
		}
		message_free(&m);
		free(raw);
		free(files[i]);
	}
	free(files);
	diag("corpora: %zu files: %zu read, %zu held by message_parse, %zu by intake, "
	     "%zu no mail", n_files, read_ok, parse_held, unreadable, known);
	ok(read_ok > 0, "corpus messages read (%zu)", read_ok);
	is_int((long long)unreadable, 0, "no real message that parses is held as unreadable");
}

int
main(void)
{
	test_edges();
	test_corpora();
	return tap_exit();
}
