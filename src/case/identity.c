/*
 * NAME
 *	identity - our addresses, our domain, our Message-ID key
 * DESCRIPTION
 *	See identity.h.  Without a domain in [smtp] from (it has one in
 *	every configuration that loads: config checks it) our Message-IDs
 *	would be @localhost.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "case/identity.h"
#include "config/config.h"
#include "mail/addr.h"
#include "mail/compose.h"
#include "store/store.h"

static void
identity_add_own(struct identity *id, const char *mailbox)
{
	char *name = NULL, *addr = NULL;

	if (mailbox == NULL || id->n_own >= IDENTITY_MAX_OWN)
		return;
	if (compose_parse_mailbox(mailbox, &name, &addr) == 0)
		id->own[id->n_own++] = addr;
	free(name);
}

int
identity_new(const struct config *cfg, struct store *st, struct identity **id_r,
	     char **error_r)
{
	struct identity *id = xcalloc(1, sizeof(*id));
	unsigned char *key = NULL;

	*id_r = NULL;
	if (store_secret(st, "msgid-key", IDENTITY_KEY_LEN, &key, error_r) < 0) {
		free(id);
		return -1;
	}
	memcpy(id->key, key, IDENTITY_KEY_LEN);
	explicit_bzero(key, IDENTITY_KEY_LEN);
	free(key);
	id->from = cfg->smtp_from;
	id->from_name = cfg->from.name;
	id->from_addr = cfg->from.addr;
	id->envelope_from = cfg->smtp_envelope_from != NULL ? cfg->smtp_envelope_from
			    : cfg->from.addr;
	id->escalate_name = cfg->escalate.name;
	id->escalate_addr = cfg->escalate.addr;
	identity_add_own(id, cfg->smtp_from);
	identity_add_own(id, cfg->smtp_envelope_from);
	identity_add_own(id, cfg->smtp_escalate_to);
	/* [autoreply] addresses: a list separated by commas or spaces. */
	for (const char *p = cfg->autoreply_addresses; *p != '\0';) {
		size_t n = strcspn(p, ", \t");

		if (n > 0) {
			char *one = xstrndup(p, n);

			identity_add_own(id, one);
			free(one);
		}
		p += n;
		p += strspn(p, ", \t");
	}
	id->domain = id->from_addr != NULL ? addr_domain(id->from_addr) : NULL;
	if (id->domain == NULL)
		id->domain = xstrdup("localhost");
	*id_r = id;
	return 0;
}

void
identity_free(struct identity **idp)
{
	struct identity *id = *idp;

	if (id == NULL)
		return;
	for (size_t i = 0; i < id->n_own; i++)
		free(id->own[i]);
	free(id->domain);
	explicit_bzero(id->key, sizeof(id->key));
	free(id);
	*idp = NULL;
}
