/*
 * t_config - redress.conf(5) as the table in config.c defines it: the
 * embedded defaults, each value type with its range or choices, unknown
 * sections and keys, FILE:LINE in every error, inline comments, where a
 * key was set, the masked dump, password files, durations, and the
 * values derived at load (config_derive.c): each value a module reads is
 * refused at load with its FILE:LINE.
 *
 * Each case writes a small file into a temporary directory and loads it.
 */
#include "autoconfig.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "policy/sla.h"
#include "tap.h"

static char dir[PATH_MAX];

/* DIR/name (static: valid until the next call). */
static const char *
in_dir(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Writes text to DIR/name with the given mode; returns the path (static). */
static const char *
put(const char *name, const char *text, mode_t mode)
{
	const char *path = in_dir(name);
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		diag("cannot write %s", path);
		exit(1);
	}
	chmod(path, mode);
	return path;
}

/* Loads text as a config; returns the config (caller frees) or NULL with
 * the error in err (caller frees). */
static struct config *
load(const char *text, char **err)
{
	struct config *cfg = NULL;

	*err = NULL;
	if (config_load(put("redress.conf", text, 0600), &cfg, err) < 0)
		return NULL;
	return cfg;
}

/* The error for text must be exactly "DIR/redress.conf:want". */
static void
refused(const char *text, const char *want, const char *what)
{
	char *err = NULL, full[PATH_MAX + 512];
	struct config *cfg = load(text, &err);

	snprintf(full, sizeof(full), "%s/redress.conf:%s", dir, want);
	if (cfg != NULL) {
		ok(0, "refused: %s", what);
		config_free(&cfg);
		return;
	}
	is_str(err, full, "refused: %s", what);
	free(err);
}

static void
accepted(const char *text, const char *what)
{
	char *err = NULL;
	struct config *cfg = load(text, &err);

	if (!ok(cfg != NULL, "accepted: %s", what))
		diag("error: %s", err);
	config_free(&cfg);
	free(err);
}

static void
test_defaults(void)
{
	struct config *cfg = config_new_default();
	const char *rules = cfg->paths_rules;
	size_t n = strlen(rules);

	ok(cfg->file == NULL, "the embedded defaults come from no file");
	is_str(cfg->store_path, "redress.db", "[store] path defaults to ./redress.db");
	is_int(cfg->store_busy_timeout, 10000, "[store] busy_timeout 10000 ms");
	is_int(cfg->intake_max_size, 25L * 1024 * 1024, "[intake] max_size 25M in bytes");
	is_int(cfg->intake_reply_to, CONFIG_REPLY_TO_HEADER, "[intake] reply_to header");
	is_str(config_text(cfg, "intake", "reply_to"), "header", "  as text too");
	ok(cfg->imap_url == NULL && cfg->smtp_url == NULL, "no IMAP or SMTP server by default");
	is_int(cfg->smtp_lifetime, 5 * 86400, "[smtp] lifetime 5d, in seconds");
	is_str(config_text(cfg, "smtp", "lifetime"), "5d", "  as text 5d");
	is_int(cfg->smtp_lease, 600, "[smtp] lease 10m");
	is_str(config_text(cfg, "sla", "hours"), "mon-fri 09:00-17:00", "[sla] hours");
	ok(cfg->sla != NULL && sla_calendar_zone(cfg->sla->cal) != NULL &&
	   strcmp(sla_calendar_zone(cfg->sla->cal), "UTC") == 0 && cfg->sla->warn_percent == 80,
	   "the SLA policy is built at load: UTC, warning at 80%%");
	is_int(cfg->followup_after, 7 * 86400, "[followup] after 7d");
	is_int(cfg->followup_from, CONFIG_FOLLOWUP_INTAKE, "[followup] from intake");
	is_int(cfg->sla_escalate_window, 86400, "[sla] escalate_window 1d");
	is_int(cfg->log_level, LOG_LEVEL_INFO, "[log] level info");
	is_int(cfg->log_target, LOG_TARGET_STDERR, "[log] target stderr");
	is_str(cfg->log_file, "", "[log] file: none");
	is_str(cfg->from.addr, "care@localhost", "[smtp] from read: its address");
	is_str(cfg->from.name, "Customer Care", "  and its name");
	is_str(cfg->escalate.addr, "manager@localhost", "[smtp] escalate_to read");
	ok(cfg->intake_limits.max_size == 25u * 1024 * 1024 && cfg->intake_limits.max_depth == 20 &&
	   cfg->intake_limits.max_parts == 1000, "the message limits of [intake]");
	is_int(cfg->autoreply_per_hour, 1, "[autoreply] per_hour 1");
	is_str(cfg->outbox_path, "outbox", "[outbox] path");
	ok(n > 11 && strcmp(rules + n - 11, "/rules.conf") == 0 && rules[0] != '@',
	   "[paths] rules is in the data directory (%s)", rules);
	config_free(&cfg);
	ok(cfg == NULL, "config_free sets the pointer to NULL");
	config_free(&cfg);
	ok(cfg == NULL, "and a second config_free is harmless");
}

static void
test_values(void)
{
	char *err = NULL;
	struct config *cfg = load(
		"; a comment\n"
		"# another\n"
		"\n"
		"[store]\n"
		"path = /var/lib/redress/x.db   ; inline comment\n"
		"busy_timeout = 0\n"
		"[intake]\n"
		"max_size = 4K\n"
		"max_parts = 100000\n"
		"reply_to = envelope # inline\n"
		"[smtp]\n"
		"lifetime = 1d 12h\n"
		"password = s3cret\n"
		"[log]\n"
		"level = debug\n"
		"target = file\n"
		"file = /var/log/redress/redress.log\n", &err);

	if (!ok(cfg != NULL, "a file with every value type loads")) {
		diag("%s", err);
		free(err);
		return;
	}
	is_str(cfg->store_path, "/var/lib/redress/x.db", "a string, inline comment cut");
	is_int(cfg->store_busy_timeout, 0, "a number at its minimum");
	is_int(cfg->intake_max_size, 4096, "a size with K");
	is_int(cfg->intake_max_parts, 100000, "a number at its maximum");
	is_int(cfg->intake_reply_to, CONFIG_REPLY_TO_ENVELOPE, "a choice, '#' comment cut");
	is_int(cfg->smtp_lifetime, 36 * 3600, "a duration");
	is_str(config_text(cfg, "smtp", "lifetime"), "1d 12h", "  kept as written");
	is_int(cfg->log_level, LOG_LEVEL_DEBUG, "another choice");
	is_int(cfg->log_target, LOG_TARGET_FILE, "[log] target file");
	is_str(cfg->log_file, "/var/log/redress/redress.log", "[log] file");
	is_int(cfg->followup_after, 7 * 86400, "a key not in the file keeps its default");
	is_str(config_where(cfg, "store", "path"), in_dir("redress.conf:5"),
	       "config_where gives FILE:LINE of a key as set");
	ok(strstr(config_where(cfg, "sla", "hours"), "(default)") != NULL,
	   "and says (default) for one not set");

	{
		char *dump = config_dump(cfg);

		ok(strstr(dump, "s3cret") == NULL && strstr(dump, "password = ********") != NULL,
		   "config_dump masks the password");
		ok(strstr(dump, "max_size = 4096\n") != NULL, "and prints sizes as bytes");
		ok(strstr(dump, "; url is not set") != NULL, "and says which keys are not set");
		free(dump);
	}
	config_free(&cfg);

	cfg = load("[intake]\nmax_size = 2M\n[store]\nbusy_timeout = 600000\n", &err);
	ok(cfg != NULL && cfg->intake_max_size == 2L * 1024 * 1024 &&
	   cfg->store_busy_timeout == 600000, "M sizes; the largest busy_timeout");
	config_free(&cfg);
	cfg = load("[intake]\nmax_size = 1G\n", &err);
	ok(cfg != NULL && cfg->intake_max_size == 1L << 30, "1G is the largest max_size");
	config_free(&cfg);
	accepted("", "an empty file");
	accepted("[smtp]\n", "a section with no keys");
	accepted("[sla]\nholidays = 2026-12-25 2026-12-26 2027-01-01\n", "a list value");
}

static void
test_errors(void)
{
	char *err = NULL;
	struct config *cfg = NULL;
	char want[PATH_MAX + 64];

	refused("[smtp]\nfrom = a@b\nbogus = 1\n", "3: unknown key \"bogus\" in [smtp]",
		"an unknown key, with its line");
	refused("# c\n[smpt]\nurl = x\n", "3: unknown section [smpt]", "an unknown section (at its first key)");
	refused("url = x\n", "1: \"url\" is outside any [section]", "a key before any section");
	refused("[store]\nbusy_timeout = ten\n", "2: [store] busy_timeout: \"ten\" is not a whole number",
		"a number that is not one");
	refused("[store]\nbusy_timeout = 10x\n", "2: [store] busy_timeout: \"10x\" is not a whole number",
		"a number with trailing junk");
	refused("[store]\nbusy_timeout = 600001\n", "2: [store] busy_timeout must be between 0 and 600000 (not 600001)",
		"a number above its maximum");
	refused("[intake]\nmax_depth = 0\n", "2: [intake] max_depth must be between 1 and 1000 (not 0)",
		"a number below its minimum");
	refused("[intake]\nmax_size = 10Q\n", "2: [intake] max_size: \"10Q\" is not a size (like 25M)",
		"a size with an unknown suffix");
	refused("[intake]\nmax_size = 2G\n", "2: [intake] max_size must be between 1024 and 1073741824 (not 2147483648)",
		"a size above its maximum");
	refused("[intake]\nmax_size = -5\n", "2: [intake] max_size: \"-5\" is not a size (like 25M)",
		"a negative size");
	refused("[log]\nlevel = loud\n", "2: [log] level must be one of: error warning info debug (not \"loud\")",
		"a choice not among the choices");
	refused("[imap]\ntls = Implicit\n", "2: [imap] tls must be one of: implicit starttls none (not \"Implicit\")",
		"choices are case-sensitive");
	refused("[smtp]\nlifetime = soon\n", "2: [smtp] lifetime: \"soon\" is not a duration (like 30m, 8h, 7d)",
		"a duration that is not one");
	refused("[followup]\nafter = 7\n", "2: [followup] after: \"7\" is not a duration (like 30m, 8h, 7d)",
		"a duration without a unit");
	refused("[smtp]\nthis line has no equals sign\n", "2: not a section, key = value or comment",
		"a line that is not INI");
	refused("[store]\npath = a\n[store]\nbusy_timeout = 1\n[nope]\nx = 1\n", "6: unknown section [nope]",
		"the line is counted through repeated sections");

	snprintf(want, sizeof(want), "%s/none.conf: No such file or directory", dir);
	ok(config_load(in_dir("none.conf"), &cfg, &err) == -1 &&
	   cfg == NULL, "a missing file is an error");
	is_str(err, want, "saying which file and why");
	free(err);
}

static void
test_find(void)
{
	char *err = NULL, cwd[PATH_MAX];
	struct config *cfg = NULL;

	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) < 0) {
		ok(0, "chdir to the test directory");
		return;
	}
	put("redress.conf", "[store]\npath = here.db\n", 0600);
	ok(config_find_and_load(NULL, &cfg, &err) == 0 && cfg != NULL &&
	   strcmp(cfg->store_path, "here.db") == 0 && strcmp(cfg->file, "redress.conf") == 0,
	   "without -c, ./redress.conf is read");
	config_free(&cfg);
	put("other.conf", "[store]\npath = other.db\n", 0600);
	ok(config_find_and_load("other.conf", &cfg, &err) == 0 && cfg != NULL &&
	   strcmp(cfg->store_path, "other.db") == 0, "-c FILE wins over ./redress.conf");
	config_free(&cfg);
	ok(config_find_and_load("missing.conf", &cfg, &err) == -1 && cfg == NULL,
	   "-c with a missing file is an error, not the defaults");
	free(err);
	err = NULL;
	unlink("redress.conf");
	if (access(REDRESS_SYSCONFDIR "/redress/redress.conf", F_OK) == 0) {
		skip(1, "a system-wide redress.conf is installed");
	} else {
		ok(config_find_and_load(NULL, &cfg, &err) == 0 && cfg != NULL && cfg->file == NULL,
		   "with no file anywhere, the embedded defaults");
		config_free(&cfg);
	}
	if (chdir(cwd) < 0)
		diag("cannot return to %s", cwd);
}

static void
test_secret(void)
{
	char *secret = NULL, *err = NULL, big[5000];
	const char *p;

	ok(config_secret(NULL, NULL, &secret, &err) == 0 && secret == NULL, "no password at all");
	ok(config_secret("inline", NULL, &secret, &err) == 0 && strcmp(secret, "inline") == 0,
	   "an inline password");
	free(secret);
	secret = NULL;
	p = put("pass", "from-file\r\n\n", 0600);
	ok(config_secret("inline", p, &secret, &err) == 0 && strcmp(secret, "from-file") == 0,
	   "the password file wins, line ends stripped");
	free(secret);
	secret = NULL;
	p = put("pass", "x\n", 0644);
	ok(config_secret(NULL, p, &secret, &err) == -1 && secret == NULL &&
	   strstr(err, "others can read this password file") != NULL,
	   "a password file others can read is refused");
	free(err);
	err = NULL;
	p = put("pass", "x\n", 0640);
	ok(config_secret(NULL, p, &secret, &err) == -1, "group-readable too");
	free(err);
	err = NULL;
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	p = put("pass", big, 0600);
	ok(config_secret(NULL, p, &secret, &err) == -1 && strstr(err, "too long") != NULL,
	   "a password file over 4 KiB is refused");
	free(err);
	err = NULL;
	ok(config_secret(NULL, "/nonexistent/pass", &secret, &err) == -1 &&
	   strstr(err, "/nonexistent/pass") != NULL, "a missing password file names itself");
	free(err);
}

static void
test_durations(void)
{
	static const struct {
		const char *text;
		long want;  /* -1: refused */
	} t[] = {
		{ "90s", 90 }, { "30m", 1800 }, { "8h", 28800 }, { "2d", 172800 },
		{ "1w", 604800 }, { "1d 4h", 100800 }, { "  1h  30m ", 5400 }, { "0s", 0 },
		{ "1h30m", 5400 }, { "100000s", 100000 },
		{ "", -1 }, { "   ", -1 }, { "7", -1 }, { "h", -1 }, { "1y", -1 },
		{ "-1h", -1 }, { "1.5h", -1 }, { "100001s", -1 }, { "1d x", -1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long got = -7;
		int r = config_parse_duration(t[i].text, &got);

		if (t[i].want < 0)
			ok(r == -1 && got == -7, "duration \"%s\" is refused", t[i].text);
		else
			ok(r == 0 && got == t[i].want, "duration \"%s\" is %ld s (got %ld)",
			   t[i].text, t[i].want, got);
	}
}

/* Values whose form belongs to another module, or that need several
 * keys, read at load (config_derive.c): each must be refused with its
 * FILE:LINE. */
static void
test_derived(void)
{
	static const struct {
		const char *text, *want;  /* want: after "DIR/redress.conf:" */
	} bad[] = {
		{ "[sla]\nhours = mon-fri 9-17\n", "2: [sla] hours: \"mon-fri 9-17\": expected HH:MM-HH:MM" },
		{ "[sla]\nholidays = 2026-13-01\n", "2: [sla] holidays" },
		{ "[sla]\ntimezone = Mars/Olympus\n", "2: [sla] timezone" },
		{ "[sla]\nhigh = 4x 2d\n", "2: [sla] high" },
		{ "[sla]\nquiet_hours = 22-07\n", "2: [sla] quiet_hours" },
		{ "\n[smtp]\nfrom = not an address\n", "3: [smtp] from: \"not an address\" is not an address" },
		{ "[smtp]\nescalate_to = <>\n", "2: [smtp] escalate_to" },
		{ "[smtp]\nenvelope_from = a b@c\n", "2: [smtp] envelope_from" },
		{ "[smtp]\nurl = http://mail.example.com\n", "2: [smtp] url: \"http://mail.example.com\" is not an SMTP URL" },
		{ "[smtp]\nurl = smtp://\n", "2: [smtp] url" },
		{ "[staff]\naddresses = *@shop.example, shop.example\n",
		  "2: [staff] addresses: \"shop.example\" is not an address pattern" },
		{ "[autoreply]\naddresses = care@\n", "2: [autoreply] addresses: \"care@\"" },
		{ "[case]\ntag = case id\n", "2: [case] tag: \"case id\" must be" },
		{ "[imap]\nurl = imap://h/INBOX\nuser = u\nprocessed = delete\n",
		  "2: imap processed = delete: expected flag or move:FOLDER" },
		{ "[imap]\nurl = pop3://h/INBOX\nuser = u\n", "2: " },
		{ "[imap]\nurl = imap://h/INBOX\n", "2: no imap user configured" },
		/* Checked when the mailer opened, before issue 12. */
		{ "[smtp]\nurl = smtp://mail.example.com\npassword = hunter2\n",
		  "3: [smtp] a password is set but no user" },
		{ "[smtp]\nurl = smtp://mail.example.com\npassword_file = /x/pw\n",
		  "3: [smtp] a password is set but no user" },
		{ "[smtp]\nurl = smtp://mail.example.com\nuser = alice\n",
		  "3: [smtp] user is set but neither password nor password_file" },
		{ "[smtp]\nlease = 2s\n", "2: [smtp] lease = 2s: at least 3s" },
		{ "[log]\ntarget = file\n", "2: [log] target: \"file\" needs [log] file" },
		{ "[log]\ntarget = file\nfile = redress.log\n",
		  "3: [log] file: \"redress.log\" is not an absolute path" },
		{ "[log]\nfile = log/redress.log\n",
		  "2: [log] file: \"log/redress.log\" is not an absolute path" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		struct config *cfg = load(bad[i].text, &err);
		const char *prefix = in_dir("redress.conf:");

		if (cfg != NULL) {
			ok(0, "refused at load: %s", bad[i].want);
			config_free(&cfg);
		} else {
			ok(err != NULL && strncmp(err, prefix, strlen(prefix)) == 0 &&
			   strncmp(err + strlen(prefix), bad[i].want, strlen(bad[i].want)) == 0,
			   "refused at load: %s (%s)", bad[i].want, err != NULL ? err : "");
		}
		free(err);
	}
	{
		char *err = NULL;
		struct config *cfg = config_new_default();

		ok(cfg != NULL, "the embedded defaults pass every check");
		config_free(&cfg);
		cfg = load("[sla]\ntimezone = Europe/London\nhours = mon-fri 09:00-17:00, sat 10:00-14:00\n"
			   "holidays = 2026-12-25, 2026-12-26\nquiet_hours = 22:00-07:00\n"
			   "[smtp]\nurl = smtps://mail.example.com\nenvelope_from = bounces@example.com\n"
			   "[staff]\naddresses = *@shop.example <boss@example.org>\n"
			   "[imap]\nurl = imaps://care%40shop.example@imap.example.com/INBOX\n"
			   "processed = move:Done\n", &err);
		ok(cfg != NULL, "and a full, good configuration (%s)", err != NULL ? err : "");
		if (cfg != NULL) {
			is_str(cfg->imap.host, "imap.example.com", "the IMAP settings are read at load");
			is_str(cfg->imap.user, "care@shop.example", "  the user from the URL");
			is_str(cfg->imap.move_folder, "Done", "  the folder to move to");
			is_int(cfg->imap.port, 993, "  and imaps' port");
		}
		free(err);
		config_free(&cfg);
	}
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t_config.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		skip_all("cannot make a temporary directory");
		return 0;
	}
	test_defaults();
	test_values();
	test_errors();
	test_find();
	test_secret();
	test_durations();
	test_derived();
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_exit();
}
