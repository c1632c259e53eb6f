/*
 * config - redress.conf(5).  See config.h.
 *
 * The INI syntax itself is read by inih (Debian's libinih), a small,
 * widely used parser; this file holds the table of known keys, their
 * defaults, types and ranges, and reads each value into its field.  inih
 * reports the line of the first key our handler refuses, which gives every
 * error its FILE:LINE.  What is built from several keys, or checked by the
 * module that owns a value's syntax, comes after the whole file is read:
 * config_derive.c.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/xmem.h"
#include "config/config.h"

#ifndef REDRESS_DATADIR
#define REDRESS_DATADIR "/usr/local/share/redress"
#endif
#ifndef REDRESS_SYSCONFDIR
#define REDRESS_SYSCONFDIR "/usr/local/etc"
#endif

enum config_type {
	CONFIG_STR,     /* char *: the text itself */
	CONFIG_LONG,    /* long: a whole number between min and max */
	CONFIG_SIZE,    /* long: bytes, with optional K, M, G suffix */
	CONFIG_ENUM,    /* an enum: the index of one of the words in choices */
	CONFIG_DURATION,/* long: seconds */
	CONFIG_BOOL,    /* bool: yes/no, true/false, on/off, 1/0 */
	CONFIG_TEXT,    /* no field: read by config_derive (config_text) */
};

/* offset of a key whose value has no field of its own */
#define CONFIG_NOFIELD ((size_t)-1)

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	size_t offset;
	const char *def;      /* default as text; NULL: unset */
	long min, max;
	const char *choices;  /* CONFIG_ENUM: space-separated words, in the
			       * order of the field's enum */
	bool secret;
};

struct config_where {
	const struct config_key *key;
	int line;
};

/* Bytes of a password file. */
#define CONFIG_SECRET_MAX 4096

#define S(f) offsetof(struct config, f)
#define DATA(x) "@DATADIR@" x

static const struct config_key config_keys[] = {
	{ "store", "path", CONFIG_STR, S(store_path), "redress.db", 0, 0, NULL, false },
	{ "store", "url", CONFIG_STR, S(store_url), NULL, 0, 0, NULL, true },
	{ "store", "node", CONFIG_STR, S(store_node), NULL, 0, 0, NULL, false },
	{ "store", "busy_timeout", CONFIG_LONG, S(store_busy_timeout), "10000", 0, 600000, NULL, false },
	{ "store", "others_may_read", CONFIG_BOOL, S(store_others_may_read), "no", 0, 0, NULL, false },

	{ "intake", "max_size", CONFIG_SIZE, S(intake_max_size), "25M", 1024, 1L << 30, NULL, false },
	{ "intake", "max_depth", CONFIG_LONG, S(intake_max_depth), "20", 1, 1000, NULL, false },
	{ "intake", "max_parts", CONFIG_LONG, S(intake_max_parts), "1000", 1, 100000, NULL, false },
	{ "intake", "reply_to", CONFIG_ENUM, S(intake_reply_to), "header", 0, 0, "header envelope", false },

	{ "imap", "url", CONFIG_STR, S(imap_url), NULL, 0, 0, NULL, false },
	{ "imap", "user", CONFIG_STR, S(imap_user), NULL, 0, 0, NULL, false },
	{ "imap", "password", CONFIG_STR, S(imap_password), NULL, 0, 0, NULL, true },
	{ "imap", "password_file", CONFIG_STR, S(imap_password_file), NULL, 0, 0, NULL, false },
	{ "imap", "tls", CONFIG_ENUM, CONFIG_NOFIELD, NULL, 0, 0, "implicit starttls none", false },
	{ "imap", "ca_file", CONFIG_STR, S(imap_ca_file), NULL, 0, 0, NULL, false },
	{ "imap", "processed", CONFIG_STR, S(imap_processed), "flag", 0, 0, NULL, false },
	{ "imap", "keyword", CONFIG_STR, S(imap_keyword), "redress", 0, 0, NULL, false },
	{ "imap", "timeout", CONFIG_LONG, S(imap_timeout), "60", 1, 3600, NULL, false },
	{ "imap", "batch", CONFIG_LONG, S(imap_batch), "100", 1, 10000, NULL, false },
	{ "imap", "poll", CONFIG_LONG, S(imap_poll), "60", 1, 86400, NULL, false },

	{ "smtp", "url", CONFIG_STR, S(smtp_url), NULL, 0, 0, NULL, false },
	{ "smtp", "user", CONFIG_STR, S(smtp_user), NULL, 0, 0, NULL, false },
	{ "smtp", "password", CONFIG_STR, S(smtp_password), NULL, 0, 0, NULL, true },
	{ "smtp", "password_file", CONFIG_STR, S(smtp_password_file), NULL, 0, 0, NULL, false },
	{ "smtp", "tls", CONFIG_ENUM, CONFIG_NOFIELD, NULL, 0, 0, "implicit starttls none", false },
	{ "smtp", "ca_file", CONFIG_STR, S(smtp_ca_file), NULL, 0, 0, NULL, false },
	{ "smtp", "from", CONFIG_STR, S(smtp_from), "Customer Care <care@localhost>", 0, 0, NULL, false },
	{ "smtp", "envelope_from", CONFIG_STR, S(smtp_envelope_from), NULL, 0, 0, NULL, false },
	{ "smtp", "escalate_to", CONFIG_STR, S(smtp_escalate_to), "Duty Manager <manager@localhost>", 0, 0, NULL, false },
	{ "smtp", "timeout", CONFIG_LONG, S(smtp_timeout), "60", 1, 3600, NULL, false },
	{ "smtp", "lifetime", CONFIG_DURATION, S(smtp_lifetime), "5d", 0, 0, NULL, false },
	{ "smtp", "lease", CONFIG_DURATION, S(smtp_lease), "10m", 0, 0, NULL, false },
	{ "smtp", "record_wait", CONFIG_DURATION, S(smtp_record_wait), "1s", 0, 60, NULL, false },

	{ "outbox", "path", CONFIG_STR, S(outbox_path), "outbox", 0, 0, NULL, false },

	{ "sla", "timezone", CONFIG_TEXT, CONFIG_NOFIELD, "UTC", 0, 0, NULL, false },
	{ "sla", "hours", CONFIG_TEXT, CONFIG_NOFIELD, "mon-fri 09:00-17:00", 0, 0, NULL, false },
	{ "sla", "holidays", CONFIG_TEXT, CONFIG_NOFIELD, "", 0, 0, NULL, false },
	{ "sla", "urgent", CONFIG_TEXT, CONFIG_NOFIELD, "1h 8h", 0, 0, NULL, false },
	{ "sla", "high", CONFIG_TEXT, CONFIG_NOFIELD, "4h 2d", 0, 0, NULL, false },
	{ "sla", "normal", CONFIG_TEXT, CONFIG_NOFIELD, "1d 5d", 0, 0, NULL, false },
	{ "sla", "low", CONFIG_TEXT, CONFIG_NOFIELD, "2d 10d", 0, 0, NULL, false },
	{ "sla", "warn_percent", CONFIG_LONG, S(sla_warn_percent), "80", 0, 100, NULL, false },
	{ "sla", "quiet_hours", CONFIG_TEXT, CONFIG_NOFIELD, "", 0, 0, NULL, false },
	{ "sla", "question", CONFIG_TEXT, CONFIG_NOFIELD, "1d", 0, 0, NULL, false },
	{ "sla", "escalate_per_sender", CONFIG_LONG, S(sla_escalate_per_sender), "3", 0, 10000, NULL, false },
	{ "sla", "escalate_window", CONFIG_DURATION, S(sla_escalate_window), "1d", 0, 0, NULL, false },

	{ "followup", "after", CONFIG_DURATION, S(followup_after), "7d", 0, 0, NULL, false },
	{ "followup", "from", CONFIG_ENUM, S(followup_from), "intake", 0, 0, "intake resolution", false },

	{ "autoreply", "per_hour", CONFIG_LONG, S(autoreply_per_hour), "1", 0, 1000, NULL, false },
	{ "autoreply", "per_day", CONFIG_LONG, S(autoreply_per_day), "5", 0, 10000, NULL, false },
	{ "autoreply", "addresses", CONFIG_STR, S(autoreply_addresses), "", 0, 0, NULL, false },
	{ "autoreply", "per_domain_hour", CONFIG_LONG, S(autoreply_per_domain_hour), "30", 0, 100000, NULL, false },
	/* The big mail providers, where many unrelated customers write from. */
	{ "autoreply", "big_domains", CONFIG_STR, S(autoreply_big_domains),
	  "gmail.com googlemail.com outlook.com hotmail.com live.com msn.com "
	  "yahoo.com ymail.com icloud.com me.com mac.com aol.com "
	  "hotmail.co.uk live.co.uk yahoo.co.uk btinternet.com sky.com virginmedia.com "
	  "hotmail.fr yahoo.fr orange.fr wanadoo.fr free.fr laposte.net "
	  "gmx.de gmx.net gmx.at web.de t-online.de yahoo.de outlook.de "
	  "libero.it mail.ru yandex.ru qq.com 163.com naver.com "
	  "proton.me protonmail.com comcast.net att.net verizon.net", 0, 0, NULL, false },

	{ "staff", "addresses", CONFIG_STR, S(staff_addresses), "", 0, 0, NULL, false },
	{ "staff", "mailbox", CONFIG_STR, S(staff_mailbox), "", 0, 0, NULL, false },

	{ "spam", "authserv_id", CONFIG_STR, S(spam_authserv_id), "", 0, 0, NULL, false },
	{ "spam", "trust_headers", CONFIG_BOOL, S(spam_trust_headers), "no", 0, 0, NULL, false },
	{ "spam", "spamd", CONFIG_STR, S(spam_spamd), "", 0, 0, NULL, false },
	{ "spam", "rspamd", CONFIG_STR, S(spam_rspamd), "", 0, 0, NULL, false },
	{ "spam", "timeout", CONFIG_LONG, S(spam_timeout), "10", 1, 300, NULL, false },
	{ "spam", "max_size", CONFIG_SIZE, S(spam_max_size), "500K", 1024, 256L << 20, NULL, false },
	{ "spam", "wait", CONFIG_DURATION, S(spam_wait), "15m", 0, 0, NULL, false },
	{ "spam", "words", CONFIG_STR, S(spam_words), DATA("/spam.words"), 0, 0, NULL, false },
	{ "spam", "words_score", CONFIG_LONG, S(spam_words_score), "90", 50, 100, NULL, false },

	{ "case", "tag", CONFIG_STR, S(case_tag), "case", 0, 0, NULL, false },

	{ "classify", "repeat_count", CONFIG_LONG, S(classify_repeat_count), "2", 1, 1000, NULL, false },
	{ "classify", "repeat_days", CONFIG_LONG, S(classify_repeat_days), "90", 1, 3650, NULL, false },
	{ "classify", "weights", CONFIG_STR, S(classify_weights), "", 0, 0, NULL, false },

	{ "paths", "rules", CONFIG_STR, S(paths_rules), DATA("/rules.conf"), 0, 0, NULL, false },
	{ "paths", "templates", CONFIG_STR, S(paths_templates), DATA("/templates"), 0, 0, NULL, false },

	/* Any key: an agent's name, its value their address (config_agent). */
	{ "agents", "*", CONFIG_TEXT, CONFIG_NOFIELD, NULL, 0, 0, NULL, false },

	{ "log", "target", CONFIG_ENUM, S(log_target), "stderr", 0, 0, "stderr syslog file", false },
	{ "log", "file", CONFIG_STR, S(log_file), "", 0, 0, NULL, false },
	{ "log", "level", CONFIG_ENUM, S(log_level), "info", 0, 0, "error warning info debug", false },
};
#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static const char *
config_datadir(void)
{
	const char *env = getenv("REDRESS_DATADIR");

	return env != NULL && *env != '\0' ? env : REDRESS_DATADIR;
}

int
config_parse_duration(const char *s, long *seconds_r)
{
	long total = 0;
	bool any = false;

	while (*s != '\0') {
		char *end;
		long n, unit;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || n > 100000)
			return -1;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return -1;
		}
		total += n * unit;
		any = true;
		s = end + 1;
	}
	if (!any)
		return -1;
	*seconds_r = total;
	return 0;
}

static int
config_parse_size(const char *s, long *v_r)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || n < 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': n *= 1024; end++; break;
	case 'M': n *= 1024 * 1024; end++; break;
	case 'G': n *= 1024LL * 1024 * 1024; end++; break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || n > (1LL << 40))
		return -1;
	*v_r = (long)n;
	return 0;
}

/* The index of word among the space-separated choices, or -1. */
static int
config_word_index(const char *word, const char *choices)
{
	size_t len = strlen(word);
	int i = 0;

	for (const char *p = choices; *p != '\0'; i++) {
		size_t n = strcspn(p, " ");

		if (n == len && strncmp(p, word, n) == 0)
			return i;
		p += n;
		p += strspn(p, " ");
	}
	return -1;
}

static bool
config_word_in(const char *word, const char *choices)
{
	return config_word_index(word, choices) >= 0;
}

/* Where the text of key k is kept (every key but the strings, which are
 * their own field). */
static char **
config_text_slot(const struct config *cfg, const struct config_key *k)
{
	return &cfg->texts[k - config_keys];
}

/* Sets one key from text; returns NULL or an allocated reason. */
static char *
config_set(struct config *cfg, const struct config_key *k, const char *value)
{
	char *field = k->offset != CONFIG_NOFIELD ? (char *)cfg + k->offset : NULL;
	long v = 0;
	int i;

	switch (k->type) {
	case CONFIG_STR: {
		char **sp = (char **)(void *)field;
		const char *dd = strncmp(value, "@DATADIR@", 9) == 0 ? config_datadir() : NULL;

		free(*sp);
		*sp = dd != NULL ? xasprintf("%s%s", dd, value + 9) : xstrdup(value);
		return NULL;
	}
	case CONFIG_ENUM:
		i = config_word_index(value, k->choices);
		if (i < 0)
			return xasprintf("[%s] %s must be one of: %s (not \"%s\")",
					 k->section, k->key, k->choices, value);
		if (field != NULL)
			*(int *)(void *)field = i;
		break;
	case CONFIG_DURATION:
		if (config_parse_duration(value, &v) < 0)
			return xasprintf("[%s] %s: \"%s\" is not a duration (like 30m, 8h, 7d)",
					 k->section, k->key, value);
		*(long *)(void *)field = v;
		break;
	case CONFIG_TEXT:
		break;
	case CONFIG_LONG: {
		char *end;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			return xasprintf("[%s] %s: \"%s\" is not a whole number",
					 k->section, k->key, value);
		if (v < k->min || v > k->max)
			return xasprintf("[%s] %s must be between %ld and %ld (not %ld)",
					 k->section, k->key, k->min, k->max, v);
		*(long *)(void *)field = v;
		return NULL;
	}
	case CONFIG_SIZE:
		if (config_parse_size(value, &v) < 0)
			return xasprintf("[%s] %s: \"%s\" is not a size (like 25M)",
					 k->section, k->key, value);
		if (v < k->min || v > k->max)
			return xasprintf("[%s] %s must be between %ld and %ld (not %ld)",
					 k->section, k->key, k->min, k->max, v);
		*(long *)(void *)field = v;
		return NULL;
	case CONFIG_BOOL: {
		bool *bp = (bool *)(void *)field;

		if (config_word_in(value, "yes true on 1"))
			*bp = true;
		else if (config_word_in(value, "no false off 0"))
			*bp = false;
		else
			return xasprintf("[%s] %s must be yes or no (not \"%s\")",
					 k->section, k->key, value);
		return NULL;
	}
	}
	/* Enums, durations and texts keep their text, for config show and
	 * for the values derived from them. */
	free(*config_text_slot(cfg, k));
	*config_text_slot(cfg, k) = xstrdup(value);
	return NULL;
}

/* The defaults of every key, without what config_derive builds. */
static struct config *
config_defaults(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->texts = xcalloc(CONFIG_NKEYS, sizeof(*cfg->texts));
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];
		char *err;

		if (k->def == NULL)
			continue;
		err = config_set(cfg, k, k->def);
		if (err != NULL) {
			/* A bad default is a bug in the table above. */
			fprintf(stderr, "redress: internal: %s\n", err);
			abort();
		}
	}
	return cfg;
}

struct config *
config_new_default(void)
{
	struct config *cfg = config_defaults();
	char *err = NULL;

	if (config_derive(cfg, &err) < 0) {
		/* A bad default is a bug in the table above. */
		fprintf(stderr, "redress: internal: %s\n", err);
		abort();
	}
	return cfg;
}

struct config_parse {
	struct config *cfg;
	char *error;          /* the first refusal, without file:line */
	int lines;            /* lines seen, to place keys */
	FILE *f;
};

static const struct config_key *
config_lookup(const char *section, const char *key)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].key, key) == 0)
			return &config_keys[i];
	return NULL;
}

static bool
config_known_section(const char *section)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0)
			return true;
	return false;
}

/* inih reads through this so that we know the current line number. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct config_parse *p = stream;
	char *r = fgets(str, num, p->f);

	if (r != NULL && strchr(r, '\n') != NULL)
		p->lines++;
	return r;
}

bool
config_agent_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-+@", *p) == NULL)
			return false;
	return true;
}

const struct config_agent *
config_agent(const struct config *cfg, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->n_agents; i++)
		if (strcmp(cfg->agents[i].name, name) == 0)
			return &cfg->agents[i];
	return NULL;
}

const struct config_agent *
config_agent_by_addr(const struct config *cfg, const char *addr)
{
	if (addr == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->n_agents; i++)
		if (cfg->agents[i].box.addr != NULL &&
		    strcasecmp(cfg->agents[i].box.addr, addr) == 0)
			return &cfg->agents[i];
	return NULL;
}

const struct config_mailbox *
config_escalate_for(const struct config *cfg, const char *owner)
{
	const struct config_agent *a = config_agent(cfg, owner);

	return a != NULL && a->box.addr != NULL ? &a->box : &cfg->escalate;
}

/* [agents] NAME = ADDRESS: the address is read with the others, in
 * config_derive; here the name is checked and kept, once. */
static char *
config_agent_add(struct config *cfg, const char *name, const char *value, int line)
{
	struct config_agent *a;

	if (!config_agent_name_ok(name))
		return xasprintf("[agents] \"%s\": an agent's name is 1 to 64 letters, "
				 "digits and . _ - + @", name);
	if (config_agent(cfg, name) != NULL)
		return xasprintf("[agents] %s is set twice", name);
	cfg->agents = xrealloc(cfg->agents, (cfg->n_agents + 1) * sizeof(*cfg->agents));
	a = &cfg->agents[cfg->n_agents++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	a->text = xstrdup(value);
	a->line = line;
	return NULL;
}

static int
config_handler(void *user, const char *section, const char *name,
	       const char *value)
{
	struct config_parse *p = user;
	const struct config_key *k;
	char *err;

	if (p->error != NULL)
		return 1;  /* inih reports the first error's line; keep quiet after */
	if (*section == '\0') {
		p->error = xasprintf("\"%s\" is outside any [section]", name);
		return 0;
	}
	if (strcmp(section, "agents") == 0) {
		p->error = config_agent_add(p->cfg, name, value, p->lines);
		return p->error == NULL;
	}
	k = config_lookup(section, name);
	if (k == NULL) {
		p->error = config_known_section(section)
			? xasprintf("unknown key \"%s\" in [%s]", name, section)
			: xasprintf("unknown section [%s]", section);
		return 0;
	}
	err = config_set(p->cfg, k, value);
	if (err != NULL) {
		p->error = err;
		return 0;
	}
	p->cfg->where = xrealloc(p->cfg->where,
				 (p->cfg->n_where + 1) * sizeof(*p->cfg->where));
	p->cfg->where[p->cfg->n_where].key = k;
	p->cfg->where[p->cfg->n_where].line = p->lines;
	p->cfg->n_where++;
	return 1;
}

/* An inline password in a file that other users can read is theirs too:
 * say so (the file may be shared for good reasons, so it is not refused;
 * password_file is the way to keep the secret apart). */
static void
config_check_secrets(struct config *cfg)
{
	struct stat sb;
	const char *where = NULL;

	if (cfg->imap_password != NULL)
		where = "[imap] password";
	else if (cfg->smtp_password != NULL)
		where = "[smtp] password";
	if (where == NULL || stat(cfg->file, &sb) < 0 || (sb.st_mode & S_IROTH) == 0)
		return;
	cfg->warning = xasprintf("%s: other users can read this file, and it holds %s: "
				 "chmod o-r it, or move the password to a password_file",
				 cfg->file, where);
}

int
config_load(const char *path, struct config **cfg_r, char **error_r)
{
	struct config_parse p = { 0 };
	int ret;

	*cfg_r = NULL;
	p.f = fopen(path, "r");
	if (p.f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	/* Long lines (holiday lists) and inline comments after ";" or "#". */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 65536;
	ini_inline_comment_prefixes = (char *)";#";
	ini_allow_multiline = false;
	p.cfg = config_defaults();
	p.cfg->file = xstrdup(path);
	ret = ini_parse_stream(config_reader, &p, config_handler, &p);
	fclose(p.f);
	if (ret != 0) {
		if (p.error != NULL)
			*error_r = xasprintf("%s:%d: %s", path, ret, p.error);
		else if (ret > 0)
			*error_r = xasprintf("%s:%d: not a section, key = value or comment",
					     path, ret);
		else
			*error_r = xasprintf("%s: cannot read", path);
		free(p.error);
		config_free(&p.cfg);
		return -1;
	}
	if (config_derive(p.cfg, error_r) < 0) {
		config_free(&p.cfg);
		return -1;
	}
	config_check_secrets(p.cfg);
	*cfg_r = p.cfg;
	return 0;
}

int
config_find_and_load(const char *explicit_path, struct config **cfg_r,
		     char **error_r)
{
	char *sys;

	if (explicit_path != NULL)
		return config_load(explicit_path, cfg_r, error_r);
	if (access("redress.conf", F_OK) == 0)
		return config_load("redress.conf", cfg_r, error_r);
	sys = xasprintf("%s/redress/redress.conf", REDRESS_SYSCONFDIR);
	if (access(sys, F_OK) == 0) {
		int ret = config_load(sys, cfg_r, error_r);

		free(sys);
		return ret;
	}
	free(sys);
	*cfg_r = config_new_default();
	return 0;
}

const char *
config_where(const struct config *cfg, const char *section, const char *key)
{
	static char where[512];

	for (size_t i = cfg->n_where; i-- > 0;) {
		const struct config_key *k = cfg->where[i].key;

		if (strcmp(k->section, section) == 0 && strcmp(k->key, key) == 0) {
			snprintf(where, sizeof(where), "%s:%d", cfg->file,
				 cfg->where[i].line);
			return where;
		}
	}
	snprintf(where, sizeof(where), "%s: [%s] %s (default)",
		 cfg->file != NULL ? cfg->file : "(embedded defaults)", section, key);
	return where;
}

const char *
config_text(const struct config *cfg, const char *section, const char *key)
{
	const struct config_key *k = config_lookup(section, key);

	if (k == NULL)
		return NULL;
	if (k->type == CONFIG_STR)
		return *(char *const *)(const void *)((const char *)cfg + k->offset);
	return *config_text_slot(cfg, k);
}

int
config_secret(const char *value, const char *file, char **secret_r,
	      char **error_r)
{
	struct stat st;
	char *secret = NULL;
	size_t len = 0;
	bool truncated = false;
	int fd, r;

	*secret_r = NULL;
	if (file == NULL) {
		if (value != NULL)
			*secret_r = xstrdup(value);
		return 0;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		*error_r = xasprintf("%s: others can read this password file; "
				     "chmod 600 it", file);
		return -1;
	}
	r = file_read_fd(fd, CONFIG_SECRET_MAX, false, &secret, &len, &truncated);
	if (r < 0)
		*error_r = xasprintf("%s: %s", file, strerror(errno));
	close(fd);
	if (r == 0 && truncated) {
		memset(secret, 0, len);
		free(secret);
		*error_r = xasprintf("%s: too long for a password file", file);
		r = -1;
	}
	if (r < 0)
		return -1;
	while (len > 0 && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
		secret[--len] = '\0';
	*secret_r = secret;
	return 0;
}

char *
config_dump(const struct config *cfg)
{
	struct buf b;
	const char *section = "";

	buf_init(&b, BUF_NO_LIMIT);
	buf_printf(&b, "; effective configuration from %s\n",
		   cfg->file != NULL ? cfg->file : "the embedded defaults");
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];
		const char *field = k->offset != CONFIG_NOFIELD ? (const char *)cfg + k->offset
				    : NULL;

		if (strcmp(section, k->section) != 0) {
			buf_printf(&b, "%s[%s]\n", *section ? "\n" : "", k->section);
			section = k->section;
		}
		if (strcmp(k->section, "agents") == 0) {
			if (cfg->n_agents == 0)
				buf_puts(&b, "; no agents\n");
			for (size_t j = 0; j < cfg->n_agents; j++)
				buf_printf(&b, "%s = %s\n", cfg->agents[j].name,
					   cfg->agents[j].text);
		} else if (k->type == CONFIG_LONG || k->type == CONFIG_SIZE) {
			buf_printf(&b, "%s = %ld\n", k->key, *(const long *)(const void *)field);
		} else if (k->type == CONFIG_BOOL) {
			buf_printf(&b, "%s = %s\n", k->key,
				   *(const bool *)(const void *)field ? "yes" : "no");
		} else {
			const char *v = config_text(cfg, k->section, k->key);

			if (v == NULL)
				buf_printf(&b, "; %s is not set\n", k->key);
			else
				buf_printf(&b, "%s = %s\n", k->key, k->secret ? "********" : v);
		}
	}
	return buf_steal(&b, NULL);
}

void
config_free(struct config **cfgp)
{
	struct config *cfg = *cfgp;

	if (cfg == NULL)
		return;
	config_underive(cfg);
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->type == CONFIG_STR) {
			char **sp = (char **)(void *)((char *)cfg + k->offset);

			if (k->secret && *sp != NULL)
				memset(*sp, 0, strlen(*sp));
			free(*sp);
		} else if (cfg->texts != NULL) {
			free(cfg->texts[i]);
		}
	}
	for (size_t i = 0; i < cfg->n_agents; i++) {
		free(cfg->agents[i].name);
		free(cfg->agents[i].text);
	}
	free(cfg->agents);
	free(cfg->texts);
	free(cfg->file);
	free(cfg->warning);
	free(cfg->where);
	free(cfg);
	*cfgp = NULL;
}
