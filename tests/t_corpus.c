/*
 * t_corpus - message_parse over real mail nobody on this project wrote:
 * every file under $REDRESS_CORPORA/mail/ (recursively) and CPython's
 * odd-message corpus (msg_*.txt from libpython3.11-testsuite), if present.
 *
 * Each file must parse or be held with a reason, and every string must be
 * valid UTF-8 without stray control characters.  A sample of messages
 * whose subject and sender were read by hand from the raw files is
 * checked exactly.  Skips everything when neither corpus is installed.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/utf8.h"
#include "mail/charset.h"
#include "mail/message.h"
#include "tap.h"
#include "base/xmem.h"

#define NUL_S(s) ((s) != NULL ? (s) : "(null)")
#define PYDATA "/usr/lib/python3.11/test/test_email/data"

static char **files;
static size_t n_files, cap_files;

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F) {
		files = xgrow(files, &cap_files, n_files + 1, sizeof(*files));
		files[n_files++] = xstrdup(path);
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
clean_string(const char *s, bool text)
{
	size_t n = strlen(s);

	if (!utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == 0x7f || (c < 0x20 && !(text && (c == '\n' || c == '\t'))))
			return false;
	}
	return true;
}

struct sample {
	const char *file;       /* relative to the corpus, or PYDATA/... */
	const char *subject;
	const char *from_name;
	const char *from_addr;
	const char *text_start; /* NULL: not checked */
};

/* Each value below was read off the raw file (and decoded by hand). */
static const struct sample samples[] = {
	{ "mikel_mail_fixtures/multi_charset/japanese.eml",
	  "\xe3\x81\xbe\xe3\x81\xbf\xe3\x82\x80\xe3\x82\x81\xe3\x82\x82",
	  "Mikel Lindsaar", "raasdnil@gmail.com", NULL },
	{ "mikel_mail_fixtures/multi_charset/japanese_iso_2022.eml",
	  "\xe3\x81\xbe\xe3\x81\xbf\xe3\x82\x80\xe3\x82\x81\xe3\x82\x82",
	  "Mikel Lindsaar", "raasdnil@gmail.com",
	  "\xe3\x81\x99\xe3\x81\xbf\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93\xe3\x80\x82" },
	{ "mikel_mail_fixtures/multi_charset/ks_c_5601-1987.eml", "test", "(null)",
	  "from@example.com", "\xec\x8a\xa4\xed\x8b\xb0\xed\x95\xb4" },
	{ "mikel_mail_fixtures/rfc2822/example01.eml", "Saying Hello", "John Doe",
	  "jdoe@machine.example", "This is a message just to say hello." },
	{ "mikel_mail_fixtures/rfc2822/example14.eml",
	  "Re: TEST \xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
	  "Atsushi Yoshida", "atsushi@example.com", "Hello" },
	{ "mikel_mail_fixtures/error_emails/bad_encoded_subject.eml", "TEST", "(null)", "(null)", NULL },
	{ "mikel_mail_fixtures/rfc6532/utf8_headers.eml", "S\xc3\xa4ying Hello",
	  "J\xc3\xb6hn Doe", "jd\xc3\xb6" "e@m\xc3\xa4" "chine.example", NULL },
	{ "mikel_mail_fixtures/plain_emails/raw_email.eml",
	  "NOTE: \xed\x95\x9c\xea\xb5\xad\xeb\xa7\x90\xeb\xa1\x9c \xed\x95\x98\xeb\x8a\x94 \xea\xb2\x83",
	  "Jamis Buck", "jamis@37signals.com", NULL },
	{ "mikel_mail_fixtures/plain_emails/raw_email_with_partially_quoted_subject.eml",
	  "Re: Test: \"\xe6\xbc\xa2\xe5\xad\x97\" mid \"\xe6\xbc\xa2\xe5\xad\x97\" tail",
	  "Jamis Buck", "jamis@37signals.com", NULL },
	{ "mikel_mail_fixtures/attachment_emails/attachment_with_quoted_filename.eml",
	  "Eelanal\xc3\xbc\xc3\xbcsi p\xc3\xa4ring", "Jeffrey Hardy", "jeff@37signals.com", NULL },
	{ "mikel_mail_fixtures/error_emails/invalid_subject_characters.eml",
	  "Forma\xc3\xa7\xc3\xa3o FrenetikPolis: Mega Campanha Final Ver\xc3\xa3o | Cursos de Setembro",
	  "Forma\xc3\xa7\xc3\xa3o Frenetikpolis", "info@formacaofrenetik.info", NULL },
	{ "mikel_mail_fixtures/mime_emails/raw_email_encoded_stack_level_too_deep.eml",
	  "Nicolas Fouch\xc3\xa9 has accepted your invitation to Gmail", "Gmail Team",
	  "gmail-noreply@google.com", NULL },
	{ "mikel_mail_fixtures/plain_emails/raw_email_bad_time.eml", "[0]: XXXXXXX XXXXX XXXXX !",
	  "\xd0\x90\xd1\x82\xd0\xb8\xd0\xba\xd0\xbe\xd0\xb2" "a", "yusuf75thu@auracom.net", NULL },
	{ "mikel_mail_fixtures/multipart_report_emails/report_530.eml",
	  "Returned mail: see transcript for details", "Mail Delivery Subsystem",
	  "MAILER-DAEMON@tttttt.com.au", "The original message was received at" },
	{ PYDATA "/msg_01.txt", "This is a test message", "John X. Doe", "bbb@ddd.com", "Hi," },
	{ PYDATA "/msg_16.txt", "Delivery Notification: Delivery has failed",
	  "Internet Mail Delivery", "postmaster@ucla.edu", NULL },
};

static void
check_samples(const char *corpus, bool have_py)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		bool py = strncmp(s->file, PYDATA, strlen(PYDATA)) == 0;
		char *path, *raw;
		size_t len;
		struct message *m;

		if ((py && !have_py) || (!py && corpus == NULL)) {
			skip(s->text_start != NULL ? 5 : 4, "corpus not installed");
			continue;
		}
		path = py ? xstrdup(s->file) : xasprintf("%s/mail/%s", corpus, s->file);
		raw = tap_slurp(path, &len);
		if (raw == NULL) {
			ok(false, "%s: readable", path);
			skip(s->text_start != NULL ? 4 : 3, "unreadable");
			free(path);
			continue;
		}
		m = message_parse(raw, len, &(struct message_limits){ 25u << 20, 20, 1000 });
		is_str(NUL_S(m->problem), "(null)", "%s: parsed", s->file);
		is_str(m->subject, s->subject, "%s: subject", s->file);
		is_str(NUL_S(m->from.name), s->from_name, "%s: from name", s->file);
		is_str(NUL_S(m->from.addr), s->from_addr, "%s: from address", s->file);
		if (s->text_start != NULL)
			ok(strncmp(m->text, s->text_start, strlen(s->text_start)) == 0,
			   "%s: text starts with the expected words", s->file);
		message_free(&m);
		free(raw);
		free(path);
	}
}

int
main(void)
{
	const char *corpus = getenv("REDRESS_CORPORA");
	struct stat st;
	bool have_py = stat(PYDATA "/msg_01.txt", &st) == 0;
	char *maildir = NULL;
	size_t parsed = 0, held = 0;
	struct message_limits lim = { 25u << 20, 20, 1000 };

	if (corpus != NULL) {
		maildir = xasprintf("%s/mail", corpus);
		if (stat(maildir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			free(maildir);
			maildir = NULL;
			corpus = NULL;
		}
	}
	if (maildir == NULL && !have_py) {
		skip_all("neither $REDRESS_CORPORA/mail nor " PYDATA " is present");
		return tap_exit();
	}
	if (maildir != NULL)
		nftw(maildir, collect, 16, FTW_PHYS);
	if (have_py) {
		DIR *d = opendir(PYDATA);
		struct dirent *de;

		while (d != NULL && (de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);

			if (strncmp(de->d_name, "msg_", 4) == 0 && l > 4 &&
			    strcmp(de->d_name + l - 4, ".txt") == 0) {
				files = xgrow(files, &cap_files, n_files + 1, sizeof(*files));
				files[n_files++] = xasprintf("%s/%s", PYDATA, de->d_name);
			}
		}
		if (d != NULL)
			closedir(d);
	}
	qsort(files, n_files, sizeof(*files), cmp_str);
	for (size_t i = 0; i < n_files; i++) {
		size_t len;
		char *raw = tap_slurp(files[i], &len);
		struct message *m;
		bool clean;

		if (raw == NULL) {
			ok(false, "%s: readable", files[i]);
			continue;
		}
		m = message_parse(raw, len, &lim);
		clean = clean_string(m->subject, false) && clean_string(m->text, true) &&
			strlen(m->text) == m->text_len && clean_string(m->content_type, false) &&
			(m->from.name == NULL || clean_string(m->from.name, false)) &&
			(m->from.addr == NULL || clean_string(m->from.addr, false));
		for (size_t h = 0; h < m->n_headers; h++)
			clean = clean && clean_string(m->headers[h].name, false) &&
				clean_string(m->headers[h].value, false);
		for (size_t t = 0; t < m->n_to; t++)
			clean = clean && (m->to[t].name == NULL || clean_string(m->to[t].name, false)) &&
				(m->to[t].addr == NULL || clean_string(m->to[t].addr, false));
		ok(clean && (m->problem == NULL || m->problem[0] != '\0'),
		   "%s: %s, strings clean", files[i] + (maildir != NULL && strncmp(files[i], maildir, strlen(maildir)) == 0 ? strlen(maildir) + 1 : 0),
		   m->problem == NULL ? "parsed" : "held");
		if (m->problem != NULL) {
			held++;
			diag("held %s: %s", files[i], m->problem);
		} else {
			parsed++;
		}
		message_free(&m);
		free(raw);
	}
	diag("corpus: %zu files, %zu parsed, %zu held", n_files, parsed, held);
	ok(n_files > 0, "corpus files found");
	check_samples(corpus, have_py);
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	free(maildir);
	return tap_exit();
}
