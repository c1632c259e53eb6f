/*
 * t_spamwords - the learned words signal: what a word is, the score's
 * arithmetic against numbers worked by hand, training and the file it
 * writes, and every refusal of a bad words file with FILE:LINE.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/xmem.h"
#include "policy/spamwords.h"
#include "tap.h"

static void
collect(const char *word, size_t len, void *ctx)
{
	struct buf *b = ctx;

	if (b->len > 0)
		buf_putc(b, '|');
	buf_printf(b, "%.*s", (int)len, word);
}

static void
words_are(const char *subject, const char *body, const char *want, const char *name)
{
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	spamwords_each(subject, body, body != NULL ? strlen(body) : 0, collect, &b);
	is_str(buf_str(&b), want, "words: %s", name);
	buf_free(&b);
}

static void
test_words(void)
{
	words_are("Win NOW", "Click HERE.", "s:win|s:now|click|here", "lowercased, subject marked");
	words_are(NULL, "a I ok 42 2002 x1", "ok|x1", "one letter and plain numbers are no words");
	words_are(NULL, "$500 50% $ %", "$500|50%", "money and percentages are");
	words_are(NULL, "--don't-- 'quoted' _x_", "don't|quoted", "marks trimmed at the ends");
	words_are(NULL, "abcdefghijklmnopqrst abcdefghijklmnopqrstu",
		  "abcdefghijklmnopqrst", "20 bytes is a word, 21 is not");
	words_are(NULL, "http://www.Example.com/x?y=1",
		  "http|www|example|com", "a link's parts");
	/* 免费的广告 is five characters of three bytes each. */
	words_are(NULL, "\xe5\x85\x8d\xe8\xb4\xb9\xe7\x9a\x84\xe5\xb9\xbf\xe5\x91\x8a",
		  "", "other scripts are not read");
	words_are(NULL, "caf\xc3\xa9 ok", "caf|ok", "an accented letter ends a word");
	words_are(NULL, "\x80\x80" "ab\xff", "ab", "stray bytes separate words");
	words_are("", "", "", "nothing");
}

/* Writes text to a temporary file and loads it: 0, or -1 and *error_r. */
static int
load_text(const char *text, struct spamwords **sw_r, char **error_r, char *path, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, n, "/tmp/t_spamwords.XXXXXX");
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return spamwords_load(path, sw_r, error_r);
}

static void
refused(const char *text, const char *want, const char *name)
{
	struct spamwords *sw = NULL;
	char path[64], *error = NULL, *full;

	if (load_text(text, &sw, &error, path, sizeof(path)) == 0) {
		ok(0, "refused: %s", name);
		spamwords_free(&sw);
	} else {
		full = xasprintf("%s%s", path, want);
		is_str(error, full, "refused: %s", name);
		free(full);
		free(error);
	}
	unlink(path);
}

static void
test_refusals(void)
{
	refused("", ":0: ends before its \"messages\" line", "empty");
	refused("redress-spam-words 2\n", ":1: not a words file (\"redress-spam-words 1\" expected)",
		"another version");
	refused("# c\nredress-spam-words 1\nmessages 2\n", ":3: \"messages SPAM HAM\" expected",
		"short messages line");
	refused("redress-spam-words 1\nmessages 0 4\n", ":2: trained on no spam or no good message",
		"no spam");
	refused("redress-spam-words 1\nmessages 2 2\nfoo\t1\n",
		":3: \"WORD<TAB>SPAM<TAB>HAM\" expected", "two fields");
	refused("redress-spam-words 1\nmessages 2 2\nfoo\t1\tx\n", ":3: \"foo\" has a bad count",
		"not a number");
	refused("redress-spam-words 1\nmessages 2 2\nfoo\t1\t99999999999\n",
		":3: \"foo\" has a bad count", "a count past 32 bits");
	refused("redress-spam-words 1\nmessages 2 2\nfoo\t3\t0\n",
		":3: \"foo\" is in more messages than were counted", "more than the messages");
	refused("redress-spam-words 1\nmessages 2 2\nzz\t1\t0\naa\t1\t0\n",
		":4: \"aa\" is out of order (words are sorted, once each)", "unsorted");
	refused("redress-spam-words 1\nmessages 2 2\naa\t1\t0\naa\t1\t0\n",
		":4: \"aa\" is out of order (words are sorted, once each)", "twice");
	refused("redress-spam-words 1\nmessages 2 2\naa\t1\t0", ":3: the last line has no newline",
		"cut short");
	refused("redress-spam-words 1\nmessages 2 2\n\t1\t0\n",
		":3: \"WORD<TAB>SPAM<TAB>HAM\" expected", "empty word");
}

/* chi2Q for 2 degrees of freedom is exp(-x/2); the score of one clue p
 * is then ((1 - (1-p)) - (1 - p) + 1) / 2 = p.  Two clues: worked out
 * from the series e^-m (1 + m). */
static double
two_clues(double p, double q)
{
	double ms = -(log(1 - p) + log(1 - q)), mh = -(log(p) + log(q));
	double s = 1 - exp(-ms) * (1 + ms), h = 1 - exp(-mh) * (1 + mh);

	return (s - h + 1) / 2;
}

static void
test_score(void)
{
	struct spamwords *sw = NULL;
	struct spamwords_clue clues[4];
	char path[64], *error = NULL;
	size_t n = 0;
	double f_cheap, f_meeting, got;

	/* 10 spam and 10 good messages; "cheap" in 9 spam and 1 good;
	 * "meeting" in 0 spam and 4 good; "the" in 5 and 5: no clue. */
	if (load_text("# t\nredress-spam-words 1\nmessages 10 10\ncheap\t9\t1\nmeeting\t0\t4\n"
		      "s:win\t3\t0\nthe\t5\t5\n",
		      &sw, &error, path, sizeof(path)) < 0) {
		diag("%s", error);
		free(error);
		unlink(path);
		skip(9, "no words file");
		return;
	}
	unlink(path);
	/* f(w) = (0.45 * 0.5 + n * p) / (0.45 + n) */
	f_cheap = (0.225 + 10 * 0.9) / 10.45;
	f_meeting = 0.225 / 4.45;
	got = spamwords_score(sw, NULL, "cheap cheap the", 15, clues, 4, &n);
	ok(fabs(got - f_cheap) < 1e-12, "one clue: the score is its f(w) (%.15f, %.15f)", got,
	   f_cheap);
	is_int((long long)n, 1, "one clue named");
	is_str(clues[0].word, "cheap", "the clue is cheap");
	got = spamwords_score(sw, NULL, "cheap meeting", 13, NULL, 0, NULL);
	ok(fabs(got - two_clues(f_cheap, f_meeting)) < 1e-12, "two clues: Fisher's combining "
	   "(%.15f, %.15f)", got, two_clues(f_cheap, f_meeting));
	got = spamwords_score(sw, "Win", "meeting", 7, clues, 4, &n);
	ok(fabs(got - two_clues((0.225 + 3) / 3.45, f_meeting)) < 1e-12,
	   "the subject's words are their own (s:win)");
	is_int((long long)n, 1, "only spam-leaning words are named");
	ok(fabs(spamwords_score(sw, NULL, "the the unknown", 15, NULL, 0, NULL) - 0.5) < 1e-15,
	   "no clue scores 1/2");
	ok(fabs(spamwords_score(sw, NULL, "", 0, NULL, 0, NULL) - 0.5) < 1e-15,
	   "an empty message scores 1/2");
	is_str(spamwords_file(sw) != NULL ? "set" : NULL, "set", "the file is remembered");
	spamwords_free(&sw);
}

static void
test_train(void)
{
	struct spamwords_trainer *tr = spamwords_trainer_new();
	struct spamwords *sw = NULL;
	struct buf out;
	char path[64], *error = NULL;
	size_t s, h, w, kept;
	FILE *f;
	int fd;

	spamwords_trainer_add(tr, true, "Cheap pills", "cheap cheap pills now", 21);
	spamwords_trainer_add(tr, true, NULL, "cheap offer", 11);
	spamwords_trainer_add(tr, false, "Meeting", "the meeting is now", 18);
	spamwords_trainer_counts(tr, &s, &h, &w);
	is_int((long long)s, 2, "two spam counted");
	is_int((long long)h, 1, "one good counted");
	is_int((long long)w, 10, "ten distinct words");
	buf_init(&out, BUF_NO_LIMIT);
	kept = spamwords_trainer_write(tr, 1, "made by a test\nsecond line", &out);
	is_int((long long)kept, 10, "min count 1 keeps all");
	is_str(buf_str(&out),
	       "# made by a test\n# second line\nredress-spam-words 1\nmessages 2 1\n"
	       "cheap\t2\t0\nis\t0\t1\nmeeting\t0\t1\nnow\t1\t1\noffer\t1\t0\npills\t1\t0\n"
	       "s:cheap\t1\t0\ns:meeting\t0\t1\ns:pills\t1\t0\nthe\t0\t1\n",
	       "the file: counts once per message, sorted");
	buf_reset(&out);
	kept = spamwords_trainer_write(tr, 2, NULL, &out);
	is_int((long long)kept, 2, "min count 2 keeps cheap and now");
	snprintf(path, sizeof(path), "/tmp/t_spamwords.XXXXXX");
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fwrite(out.data, 1, out.len, f);
	fclose(f);
	ok(spamwords_load(path, &sw, &error) == 0, "what it writes loads");
	if (sw != NULL)
		ok(spamwords_score(sw, NULL, "cheap", 5, NULL, 0, NULL) > 0.5, "cheap leans spam");
	else
		skip(1, "not loaded");
	free(error);
	spamwords_free(&sw);
	unlink(path);
	buf_free(&out);
	spamwords_trainer_free(&tr);
}

int
main(void)
{
	test_words();
	test_refusals();
	test_score();
	test_train();
	return tap_exit();
}
