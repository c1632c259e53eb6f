/*
 * NAME
 *	config_derive - the values built from redress.conf once it is read
 * DESCRIPTION
 *	config.c reads each key alone: numbers, sizes, booleans, choices,
 *	durations.  What needs several keys, or the module that owns a
 *	value's syntax, is built here after the whole file is read, into the
 *	typed fields the modules use:
 *	  - the SLA policy (calendar, targets, quiet hours, the question's
 *	    clock), by sla.c's parsers;
 *	  - our mailboxes ([smtp] from, escalate_to) by compose.c's, and the
 *	    envelope sender by mailer.c's address check;
 *	  - the SMTP settings that only make sense together (a URL, a user
 *	    and its password, the lease);
 *	  - address patterns ([staff] addresses, [autoreply] addresses) and
 *	    the case tag;
 *	  - the IMAP settings, by imap.c (imap_options_parse);
 *	  - the message limits of [intake].
 *	So each is checked when the file loads, and "config show" refuses
 *	"hours = mon-fri 9-17" with its FILE:LINE as every other command does
 *	(before issue 11 only "tick" failed, later).
 *
 *	Only the form of each value is checked, never the world: a password
 *	file, a CA file or a server that is missing is found when it is used.
 * DIAGNOSTICS
 *	"FILE:LINE: [section] key: reason", through error_r; the checks run
 *	in a fixed order (the SLA policy, SMTP, patterns, the tag, IMAP), so
 *	that of several bad values the same one is always reported.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xmem.h"
#include "config/config.h"
#include "mail/compose.h"
#include "model/priority.h"
#include "net/imap.h"
#include "net/mailer.h"
#include "net/spamd.h"
#include "policy/sla.h"

/* The least [smtp] lease: the lock and claims are renewed every third. */
#define CONFIG_MIN_LEASE 3

/* "WHERE: [section] key: \"value\" ..." for a value in error. */
static int
config_fail(const struct config *cfg, const char *section, const char *key,
	    const char *value, const char *why, char **error_r)
{
	*error_r = xasprintf("%s: [%s] %s: \"%s\" %s", config_where(cfg, section, key),
			     section, key, value, why);
	return -1;
}

static int
config_derive_sla(struct config *cfg, char **error_r)
{
	struct sla_settings set = {
		.timezone = config_text(cfg, "sla", "timezone"),
		.hours = config_text(cfg, "sla", "hours"),
		.holidays = config_text(cfg, "sla", "holidays"),
		.warn_percent = cfg->sla_warn_percent,
		.quiet_hours = config_text(cfg, "sla", "quiet_hours"),
		.question = config_text(cfg, "sla", "question"),
	};
	const char *key = NULL, *where;
	char *why = NULL;

	for (int i = 0; i < PRIORITY_COUNT; i++)
		set.target[i] = config_text(cfg, "sla", priority_name((enum priority)i));
	if (sla_policy_build(&set, &cfg->sla, &key, &why) == 0)
		return 0;
	where = config_where(cfg, "sla", key);
	if (strstr(where, "(default)") != NULL)
		*error_r = xasprintf("[sla] %s: %s", key, why);
	else
		*error_r = xasprintf("%s: [sla] %s: %s", where, key, why);
	free(why);
	return -1;
}

static int
config_mailbox(const struct config *cfg, const char *key, const char *value,
	       struct config_mailbox *mb, char **error_r)
{
	if (value == NULL)
		return 0;
	if (compose_parse_mailbox(value, &mb->name, &mb->addr) < 0)
		return config_fail(cfg, "smtp", key, value,
				   "is not an address (like Customer Care <care@example.com>)",
				   error_r);
	return 0;
}

static int
config_derive_smtp(struct config *cfg, char **error_r)
{
	const char *url = cfg->smtp_url, *why = NULL;

	if (config_mailbox(cfg, "from", cfg->smtp_from, &cfg->from, error_r) < 0 ||
	    config_mailbox(cfg, "escalate_to", cfg->smtp_escalate_to, &cfg->escalate,
			   error_r) < 0)
		return -1;
	if (cfg->smtp_envelope_from != NULL &&
	    mailer_check_address(cfg->smtp_envelope_from, 1, &why) < 0)
		return config_fail(cfg, "smtp", "envelope_from", cfg->smtp_envelope_from,
				   why, error_r);
	if (url != NULL && *url != '\0') {
		size_t skip = strncmp(url, "smtp://", 7) == 0 ? 7
			: strncmp(url, "smtps://", 8) == 0 ? 8 : 0;
		bool user = cfg->smtp_user != NULL && *cfg->smtp_user != '\0';

		if (skip == 0 || url[skip] == '\0' || url[skip] == '/' || url[skip] == ':')
			return config_fail(cfg, "smtp", "url", url,
					   "is not an SMTP URL (like smtp://mail.example.com:587 "
					   "or smtps://mail.example.com)", error_r);
		if (!user && ((cfg->smtp_password != NULL && *cfg->smtp_password != '\0') ||
			      cfg->smtp_password_file != NULL)) {
			*error_r = xasprintf("%s: [smtp] a password is set but no user",
					     cfg->smtp_password_file != NULL
					     ? config_where(cfg, "smtp", "password_file")
					     : config_where(cfg, "smtp", "password"));
			return -1;
		}
		if (user && cfg->smtp_password == NULL && cfg->smtp_password_file == NULL) {
			*error_r = xasprintf("%s: [smtp] user is set but neither "
					     "password nor password_file",
					     config_where(cfg, "smtp", "user"));
			return -1;
		}
	}
	if (cfg->smtp_lease < CONFIG_MIN_LEASE) {
		*error_r = xasprintf("%s: [smtp] lease = %s: at least %ds (it is "
				     "renewed every third of it)",
				     config_where(cfg, "smtp", "lease"),
				     config_text(cfg, "smtp", "lease"), CONFIG_MIN_LEASE);
		return -1;
	}
	return 0;
}

/* Address patterns: "*@example.com, boss@example.org"; each names a
 * mailbox (a local part, "@" and a domain, either of which may use *). */
static int
config_patterns(const struct config *cfg, const char *section, const char *key,
		const char *value, char **error_r)
{
	static const char seps[] = ", \t;\r\n";

	if (value == NULL)
		return 0;
	for (const char *p = value + strspn(value, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t n = strcspn(p, seps);
		const char *at = memchr(p, '@', n);

		if (at == NULL || at == p || at == p + n - 1 ||
		    memchr(at + 1, '@', (size_t)(p + n - at - 1)) != NULL) {
			char *item = xasprintf("%.*s", (int)n, p);
			int ret = config_fail(cfg, section, key, item,
					      "is not an address pattern (like *@example.com "
					      "or boss@example.com)", error_r);

			free(item);
			return ret;
		}
		p += n;
	}
	return 0;
}

/* The word in the subject tag, "[case 000123]": it is matched in
 * subjects, so only letters, digits, '-', '_' and '.'. */
static int
config_tag(const struct config *cfg, char **error_r)
{
	const char *t = cfg->case_tag;
	size_t n = strlen(t);

	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && strchr("-_.", t[i]) == NULL)
			n = 0;
	if (n == 0 || n > 32)
		return config_fail(cfg, "case", "tag", t,
				   "must be 1 to 32 letters, digits, '-', '_' or '.'",
				   error_r);
	return 0;
}

static int
config_derive_imap(struct config *cfg, char **error_r)
{
	struct imap_settings set = {
		.url = cfg->imap_url,
		.tls = config_text(cfg, "imap", "tls"),
		.user = cfg->imap_user,
		.ca_file = cfg->imap_ca_file,
		.processed = cfg->imap_processed,
		.keyword = cfg->imap_keyword,
		.timeout = cfg->imap_timeout,
		.batch = cfg->imap_batch,
		.max_size = cfg->intake_max_size,
	};
	char *err = NULL;

	if (cfg->imap_url == NULL)
		return 0;
	if (imap_options_parse(&set, &cfg->imap, &err) == 0)
		return 0;
	*error_r = xasprintf("%s: %s", config_where(cfg, "imap", "url"), err);
	free(err);
	return -1;
}

/* [spam] spamd is HOST:PORT, rspamd an HTTP URL; nothing is asked of the
 * network here. */
static int
config_derive_spam(struct config *cfg, char **error_r)
{
	char host[256], port[16];

	if (cfg->spam_spamd != NULL && *cfg->spam_spamd != '\0' &&
	    spamd_parse_hostport(cfg->spam_spamd, host, sizeof(host), port, sizeof(port)) < 0)
		return config_fail(cfg, "spam", "spamd", cfg->spam_spamd,
				   "is not HOST:PORT (like 127.0.0.1:783)", error_r);
	if (cfg->spam_rspamd != NULL && *cfg->spam_rspamd != '\0' &&
	    strncmp(cfg->spam_rspamd, "http://", 7) != 0 &&
	    strncmp(cfg->spam_rspamd, "https://", 8) != 0)
		return config_fail(cfg, "spam", "rspamd", cfg->spam_rspamd,
				   "is not an HTTP URL (like http://127.0.0.1:11333)", error_r);
	return 0;
}

/* [log] target = file needs [log] file, a path that means the same to the
 * daemon and to a filter the mail server starts in a directory of its
 * own. */
static int
config_derive_log(struct config *cfg, char **error_r)
{
	const char *file = cfg->log_file != NULL ? cfg->log_file : "";

	if (*file != '\0' && *file != '/')
		return config_fail(cfg, "log", "file", file,
				   "is not an absolute path (like /var/log/redress/redress.log)",
				   error_r);
	if (cfg->log_target == LOG_TARGET_FILE && *file == '\0')
		return config_fail(cfg, "log", "target", "file",
				   "needs [log] file, the file to write to", error_r);
	return 0;
}

/* [agents]: each address read like [smtp] escalate_to. */
static int
config_derive_agents(struct config *cfg, char **error_r)
{
	for (size_t i = 0; i < cfg->n_agents; i++) {
		struct config_agent *a = &cfg->agents[i];

		if (compose_parse_mailbox(a->text, &a->box.name, &a->box.addr) < 0) {
			*error_r = xasprintf("%s:%d: [agents] %s: \"%s\" is not an address "
					     "(like Alice Smith <alice@example.com>)",
					     cfg->file != NULL ? cfg->file : "(config)",
					     a->line, a->name, a->text);
			return -1;
		}
	}
	return 0;
}

int
config_derive(struct config *cfg, char **error_r)
{
	cfg->intake_limits.max_size = (size_t)cfg->intake_max_size;
	cfg->intake_limits.max_depth = (unsigned)cfg->intake_max_depth;
	cfg->intake_limits.max_parts = (unsigned)cfg->intake_max_parts;
	if (config_derive_sla(cfg, error_r) < 0 ||
	    config_derive_smtp(cfg, error_r) < 0 ||
	    config_patterns(cfg, "staff", "addresses", cfg->staff_addresses, error_r) < 0 ||
	    config_patterns(cfg, "autoreply", "addresses", cfg->autoreply_addresses,
			    error_r) < 0 ||
	    config_tag(cfg, error_r) < 0 ||
	    config_derive_agents(cfg, error_r) < 0 ||
	    config_derive_imap(cfg, error_r) < 0 ||
	    config_derive_spam(cfg, error_r) < 0 ||
	    config_derive_log(cfg, error_r) < 0) {
		config_underive(cfg);
		return -1;
	}
	return 0;
}

void
config_underive(struct config *cfg)
{
	sla_policy_free(&cfg->sla);
	free(cfg->from.name);
	free(cfg->from.addr);
	free(cfg->escalate.name);
	free(cfg->escalate.addr);
	memset(&cfg->from, 0, sizeof(cfg->from));
	memset(&cfg->escalate, 0, sizeof(cfg->escalate));
	imap_options_clear(&cfg->imap);
	for (size_t i = 0; i < cfg->n_agents; i++) {
		free(cfg->agents[i].box.name);
		free(cfg->agents[i].box.addr);
		memset(&cfg->agents[i].box, 0, sizeof(cfg->agents[i].box));
	}
}

void
config_owner(const struct config *cfg, char *owner, size_t size)
{
	char host[64] = "localhost";

	if (cfg->store_node == NULL)
		gethostname(host, sizeof(host) - 1);
	snprintf(owner, size, "%ld@%s", (long)getpid(),
		 cfg->store_node != NULL ? cfg->store_node : host);
}
