/*
 * t_mbox - the message sources of ingest on their own: mbox_looks_like,
 * mbox_split (separators only after an empty line, >From unquoted, the
 * blank line before a separator dropped) and maildir_each (cur/ then new/,
 * name order, dot files skipped).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/xmem.h"
#include "net/maildir.h"
#include "net/mbox.h"
#include "tap.h"

/* Collects the messages, each as "N:TEXT|". */
static int
collect(void *ctx, const char *msg, size_t len, size_t n)
{
	buf_printf(ctx, "%zu:%.*s|", n, (int)len, msg);
	return 0;
}

static int
stop_at_two(void *ctx, const char *msg, size_t len, size_t n)
{
	collect(ctx, msg, len, n);
	return n == 2 ? 7 : 0;
}

static void
test_mbox(void)
{
	static const struct {
		const char *in, *want, *what;
	} t[] = {
		{ "From a@b Mon Jan  1 00:00:00 2026\nSubject: x\n\nbody\n",
		  "1:Subject: x\n\nbody\n|", "one message" },
		{ "From a\nA: 1\n\none\n\nFrom b\nB: 2\n\ntwo\n",
		  "1:A: 1\n\none\n|2:B: 2\n\ntwo\n|", "two, the blank line before the separator dropped" },
		{ "From a\nA: 1\n\nsee below\nFrom the start\n",
		  "1:A: 1\n\nsee below\nFrom the start\n|", "\"From \" without an empty line before it is text" },
		{ "From a\nA: 1\n\n>From x\n>>From y\n>Fromage\n",
		  "1:A: 1\n\nFrom x\n>From y\n>Fromage\n|", "mboxrd: one > less before From" },
		{ "From a\r\nA: 1\r\n\r\none\r\n\r\nFrom b\r\nB: 2\r\n\r\ntwo\r\n",
		  "1:A: 1\r\n\r\none\r\n|2:B: 2\r\n\r\ntwo\r\n|", "CRLF line ends" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf out;
		char *data = xstrdup(t[i].in);

		buf_init(&out, BUF_NO_LIMIT);
		ok(mbox_looks_like(data, strlen(data)), "%s: looks like an mbox", t[i].what);
		is_int(mbox_split(data, strlen(data), collect, &out), 0, "%s: split", t[i].what);
		is_str(buf_str(&out), t[i].want, "%s: messages", t[i].what);
		buf_free(&out);
		free(data);
	}
	{
		struct buf out;
		char *data = xstrdup("From a\nA: 1\n\n1\n\nFrom b\nB: 2\n\n2\n\nFrom c\nC: 3\n\n3\n");

		buf_init(&out, BUF_NO_LIMIT);
		is_int(mbox_split(data, strlen(data), stop_at_two, &out), 7,
		       "the callback's non-zero stops the walk and is returned");
		is_str(buf_str(&out), "1:A: 1\n\n1\n|2:B: 2\n\n2\n|", "and no message after it");
		buf_free(&out);
		free(data);
	}
	ok(!mbox_looks_like("From: a@b\nSubject: x\n\nhi\n", 27), "a message with From: is no mbox");
	ok(!mbox_looks_like("From me to you\n\nhi\n", 19), "no header after the From line: no mbox");
	ok(!mbox_looks_like("From ", 5), "\"From \" alone is no mbox");
}

static int
collect_file(void *ctx, const char *file)
{
	const char *slash = strrchr(file, '/');

	buf_printf(ctx, "%.3s/%s ", slash - 3, slash + 1);
	return 0;
}

static void
touch(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	if (f != NULL)
		fclose(f);
	free(p);
}

static void
test_maildir(void)
{
	char dir[] = "/tmp/t_mbox.XXXXXX";
	char *sub;
	struct buf out;

	if (mkdtemp(dir) == NULL) {
		skip(3, "no temporary directory");
		return;
	}
	ok(!maildir_is(dir), "a directory without cur/ is no maildir");
	for (const char *const *s = (const char *const[]){ "cur", "new", "tmp", NULL }; *s; s++) {
		sub = xasprintf("%s/%s", dir, *s);
		mkdir(sub, 0700);
		free(sub);
	}
	ok(maildir_is(dir), "with cur/ it is one");
	sub = xasprintf("%s/cur", dir);
	touch(sub, "2.b");
	touch(sub, "1.a");
	touch(sub, ".hidden");
	free(sub);
	sub = xasprintf("%s/new", dir);
	touch(sub, "0.z");
	free(sub);
	sub = xasprintf("%s/tmp", dir);
	touch(sub, "0.partial");
	free(sub);
	buf_init(&out, BUF_NO_LIMIT);
	is_int(maildir_each(dir, collect_file, &out), 0, "maildir_each");
	is_str(buf_str(&out), "cur/1.a cur/2.b new/0.z ",
	       "cur/ then new/, in name order, without dot files or tmp/");
	buf_free(&out);
	sub = xasprintf("rm -rf %s", dir);
	if (system(sub) != 0)
		diag("could not remove %s", dir);
	free(sub);
}

int
main(void)
{
	test_mbox();
	test_maildir();
	return tap_exit();
}
