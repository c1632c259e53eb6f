/*
 * NAME
 *	confcheck - every configured value checked when the configuration
 *	loads
 * DESCRIPTION
 *	config.c checks what it can read alone: numbers and their ranges,
 *	sizes, choices and durations.  Richer values belong to the module that
 *	reads them: the SLA calendar (hours, holidays, targets, quiet hours)
 *	to sla.c, the IMAP URL and what to do with a fetched message to
 *	imap.c, addresses to compose.c and mailer.c.  Those modules used to
 *	see their values only when they first ran, so "config show" accepted
 *	"hours = mon-fri 9-17" and only "tick" failed, later.
 *	confcheck_all() asks each module about its values once, at load, so
 *	that every command -- "config show" too -- refuses a bad value with
 *	its FILE:LINE.
 *
 *	Only the form of each value is checked, never the world: a password
 *	file, a CA file or a server that is missing is found when it is used.
 * DIAGNOSTICS
 *	"FILE:LINE: [section] key: reason", through error_r.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "config/confcheck.h"
#include "config/config.h"
#include "mail/compose.h"
#include "net/imap.h"
#include "net/mailer.h"
#include "policy/sla.h"

/* "WHERE: [section] key: \"value\" ..." for a value in error. */
static int
confcheck_fail(const struct config *cfg, const char *section, const char *key,
	       const char *value, const char *why, char **error_r)
{
	*error_r = xasprintf("%s: [%s] %s: \"%s\" %s", config_where(cfg, section, key),
			     section, key, value, why);
	return -1;
}

static int
confcheck_mailbox(const struct config *cfg, const char *key, const char *value,
		  char **error_r)
{
	char *name = NULL, *addr = NULL;

	if (value == NULL)
		return 0;
	if (compose_parse_mailbox(value, &name, &addr) < 0)
		return confcheck_fail(cfg, "smtp", key, value,
				      "is not an address (like Customer Care <care@example.com>)",
				      error_r);
	free(name);
	free(addr);
	return 0;
}

static int
confcheck_smtp(const struct config *cfg, char **error_r)
{
	const char *url = cfg->smtp_url, *why = NULL;

	if (confcheck_mailbox(cfg, "from", cfg->smtp_from, error_r) < 0 ||
	    confcheck_mailbox(cfg, "escalate_to", cfg->smtp_escalate_to, error_r) < 0)
		return -1;
	if (cfg->smtp_envelope_from != NULL &&
	    mailer_check_address(cfg->smtp_envelope_from, 1, &why) < 0)
		return confcheck_fail(cfg, "smtp", "envelope_from", cfg->smtp_envelope_from,
				      why, error_r);
	if (url != NULL && *url != '\0') {
		size_t skip = strncmp(url, "smtp://", 7) == 0 ? 7
			: strncmp(url, "smtps://", 8) == 0 ? 8 : 0;

		if (skip == 0 || url[skip] == '\0' || url[skip] == '/' || url[skip] == ':')
			return confcheck_fail(cfg, "smtp", "url", url,
					      "is not an SMTP URL (like smtp://mail.example.com:587 "
					      "or smtps://mail.example.com)", error_r);
	}
	return 0;
}

/* Address patterns: "*@example.com, boss@example.org"; each names a
 * mailbox (a local part, "@" and a domain, either of which may use *). */
static int
confcheck_patterns(const struct config *cfg, const char *section, const char *key,
		   const char *value, char **error_r)
{
	static const char seps[] = ", \t;\r\n";

	if (value == NULL)
		return 0;
	for (const char *p = value + strspn(value, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t n = strcspn(p, seps);
		const char *at = memchr(p, '@', n);

		if (at == NULL || at == p || at == p + n - 1 || memchr(at + 1, '@', (size_t)(p + n - at - 1)) != NULL) {
			char *item = xasprintf("%.*s", (int)n, p);
			int ret = confcheck_fail(cfg, section, key, item,
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
confcheck_tag(const struct config *cfg, char **error_r)
{
	const char *t = cfg->case_tag;
	size_t n = strlen(t);

	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && strchr("-_.", t[i]) == NULL)
			n = 0;
	if (n == 0 || n > 32)
		return confcheck_fail(cfg, "case", "tag", t,
				      "must be 1 to 32 letters, digits, '-', '_' or '.'",
				      error_r);
	return 0;
}

int
confcheck_all(const struct config *cfg, char **error_r)
{
	struct sla_policy *sla = NULL;

	if (sla_policy_load(cfg, &sla, error_r) < 0)
		return -1;
	sla_policy_free(&sla);
	if (confcheck_smtp(cfg, error_r) < 0 ||
	    confcheck_patterns(cfg, "staff", "addresses", cfg->staff_addresses, error_r) < 0 ||
	    confcheck_patterns(cfg, "autoreply", "addresses", cfg->autoreply_addresses,
			       error_r) < 0 ||
	    confcheck_tag(cfg, error_r) < 0)
		return -1;
	if (cfg->imap_url != NULL && imap_check_config(cfg, error_r) < 0)
		return -1;
	return 0;
}
