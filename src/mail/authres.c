/*
 * NAME
 *	authres - read the Authentication-Results our mail server added
 * SYNOPSIS
 *	#include "mail/authres.h"
 *
 *	authres_parse(), authres_judge()
 * DESCRIPTION
 *	See authres.h for what is believed and why.  The grammar is RFC 8601
 *	section 2.2 with RFC 5322 comments and folding white space between
 *	any two tokens:
 *
 *	  authserv-id [version] ( ";" "none" / 1*( ";" method["/"version]
 *	      "=" result [reason "=" value] *( ptype "." property "=" pvalue ) ) )
 *
 *	It is read by hand, left to right, with fixed-size fields: a hostile
 *	value can neither make it allocate nor recurse (comments nest by
 *	counting).  Some servers write "keyword=value" pairs that are not
 *	properties (Microsoft's "action=none"); those are skipped like the
 *	reason.  Anything else off the grammar makes the whole field
 *	unreadable, and an unreadable field says nothing.
 * DIAGNOSTICS
 *	None: a field is read or it is not.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xmem.h"
#include "mail/authres.h"

/* Skips white space, line breaks and (nested (comments)). */
static void
authres_cfws(const char **pp)
{
	const char *p = *pp;

	for (;;) {
		int depth = 0;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			break;
		while (*p != '\0') {
			if (*p == '\\' && p[1] != '\0') {
				p += 2;
				continue;
			}
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
			p++;
		}
	}
	*pp = p;
}

/* Appends c to out (size cap) if there is room; a long value is cut. */
static void
authres_put(char *out, size_t cap, size_t *n, char c)
{
	if (*n + 1 < cap)
		out[(*n)++] = c;
	out[*n < cap ? *n : cap - 1] = '\0';
}

/* A Keyword (RFC 5321 Ldh-str; '_' allowed), lower-cased; its length. */
static size_t
authres_keyword(const char **pp, char *out, size_t cap)
{
	const char *p = *pp;
	size_t n = 0, len = 0;

	out[0] = '\0';
	while (isalnum((unsigned char)*p) || *p == '-' || *p == '_') {
		authres_put(out, cap, &n, (char)tolower((unsigned char)*p));
		p++;
		len++;
	}
	*pp = p;
	return len;
}

/* A quoted-string at *pp (which is '"'), unescaped; -1 if unterminated. */
static int
authres_quoted(const char **pp, char *out, size_t cap, size_t *n)
{
	const char *p = *pp + 1;

	for (; *p != '"'; p++) {
		if (*p == '\0')
			return -1;
		if (*p == '\\' && p[1] != '\0')
			p++;
		authres_put(out, cap, n, *p);
	}
	*pp = p + 1;
	return 0;
}

static bool
authres_tspecial(char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* value = token / quoted-string (RFC 2045); its length, or -1. */
static int
authres_value(const char **pp, char *out, size_t cap)
{
	const char *p = *pp;
	size_t n = 0;

	out[0] = '\0';
	if (*p == '"') {
		if (authres_quoted(&p, out, cap, &n) < 0)
			return -1;
		*pp = p;
		return (int)(n > 0 ? n : 0);
	}
	while ((unsigned char)*p > ' ' && *p != 0x7f && !authres_tspecial(*p)) {
		authres_put(out, cap, &n, *p);
		p++;
	}
	*pp = p;
	return (int)n;
}

/*
 * pvalue = value / [ [ local-part ] "@" ] domain-name: a quoted local
 * part may be followed by "@domain"; otherwise everything up to white
 * space, ';' or a comment.  0, or -1 when a quote is unterminated.
 */
static int
authres_pvalue(const char **pp, char *out, size_t cap)
{
	const char *p = *pp;
	size_t n = 0;

	out[0] = '\0';
	if (*p == '"' && authres_quoted(&p, out, cap, &n) < 0)
		return -1;
	while ((unsigned char)*p > ' ' && *p != 0x7f && *p != ';' && *p != '(' &&
	       *p != ')' && *p != '"') {
		authres_put(out, cap, &n, *p);
		p++;
	}
	*pp = p;
	return 0;
}

int
authres_parse(const char *value, struct authres *ar)
{
	const char *p = value != NULL ? value : "";
	struct authres_result scratch;

	memset(ar, 0, sizeof(*ar));
	authres_cfws(&p);
	if (authres_value(&p, ar->authserv_id, sizeof(ar->authserv_id)) <= 0)
		return -1;
	authres_cfws(&p);
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		authres_cfws(&p);
	}
	if (*p == '\0')
		return -1;       /* neither "none" nor a result */
	while (*p != '\0') {
		struct authres_result *r;
		char kw[32];

		if (*p != ';')
			return -1;
		p++;
		authres_cfws(&p);
		if (*p == '\0')
			break;   /* a trailing ';' */
		if (authres_keyword(&p, kw, sizeof(kw)) == 0)
			return -1;
		authres_cfws(&p);
		if (strcmp(kw, "none") == 0 && (*p == '\0' || *p == ';')) {
			ar->none = true;
			continue;
		}
		r = ar->n_results < AUTHRES_MAX_RESULTS ? &ar->results[ar->n_results] : &scratch;
		memset(r, 0, sizeof(*r));
		_Static_assert(sizeof(r->method) == sizeof(kw), "a method is a keyword");
		memcpy(r->method, kw, sizeof(kw));
		r->method[sizeof(r->method) - 1] = '\0';
		if (*p == '/') {
			p++;
			authres_cfws(&p);
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p))
				p++;
			authres_cfws(&p);
		}
		if (*p != '=')
			return -1;
		p++;
		authres_cfws(&p);
		if (authres_keyword(&p, r->result, sizeof(r->result)) == 0)
			return -1;
		authres_cfws(&p);
		/* reason, other keyword=value pairs, and ptype.property=pvalue */
		while (*p != '\0' && *p != ';') {
			char ptype[24], prop[24], val[256];

			if (authres_keyword(&p, ptype, sizeof(ptype)) == 0)
				return -1;
			authres_cfws(&p);
			if (*p == '=') {
				p++;
				authres_cfws(&p);
				if (authres_value(&p, val, sizeof(val)) < 0)
					return -1;
				authres_cfws(&p);
				continue;
			}
			if (*p != '.')
				return -1;
			p++;
			authres_cfws(&p);
			if (authres_keyword(&p, prop, sizeof(prop)) == 0)
				return -1;
			authres_cfws(&p);
			if (*p != '=')
				return -1;
			p++;
			authres_cfws(&p);
			if (authres_pvalue(&p, val, sizeof(val)) < 0)
				return -1;
			authres_cfws(&p);
			if (r->n_props < AUTHRES_MAX_PROPS) {
				struct authres_prop *pr = &r->props[r->n_props++];
				size_t n = 0;

				for (const char *c = ptype; *c != '\0'; c++)
					authres_put(pr->name, sizeof(pr->name), &n, *c);
				authres_put(pr->name, sizeof(pr->name), &n, '.');
				for (const char *c = prop; *c != '\0'; c++)
					authres_put(pr->name, sizeof(pr->name), &n, *c);
				memcpy(pr->value, val, sizeof(pr->value));
			}
		}
		if (ar->n_results < AUTHRES_MAX_RESULTS)
			ar->n_results++;
	}
	return 0;
}

/* Is id one of the words of list (commas or white space between)? */
static bool
authres_trusted(const char *list, const char *id)
{
	static const char seps[] = ", \t\r\n";
	size_t idl = strlen(id);

	if (list == NULL || idl == 0)
		return false;
	for (const char *p = list + strspn(list, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t n = strcspn(p, seps);

		if (n == idl && strncasecmp(p, id, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* The domain part of "local@domain", "@domain" or "domain" (some servers
 * add <>) equals domain. */
static bool
authres_domain_is(const char *v, const char *domain)
{
	const char *at = strrchr(v, '@');
	size_t n, dn = strlen(domain);

	if (at != NULL)
		v = at + 1;
	else if (*v == '<')
		v++;
	n = strlen(v);
	if (n > 0 && v[n - 1] == '>')
		n--;
	if (n > 0 && v[n - 1] == '.')
		n--;
	if (dn > 0 && domain[dn - 1] == '.')
		dn--;
	return n > 0 && n == dn && strncasecmp(v, domain, n) == 0;
}

static const char *
authres_prop_value(const struct authres_result *r, const char *name)
{
	for (size_t i = 0; i < r->n_props; i++)
		if (strcmp(r->props[i].name, name) == 0)
			return r->props[i].value;
	return NULL;
}

/* The verdict of one parsed field about domain. */
static enum authres_verdict
authres_verdict_of(const struct authres *ar, const char *domain, const char **how_r)
{
	const char *pass = NULL, *v;

	for (size_t i = 0; i < ar->n_results; i++) {
		const struct authres_result *r = &ar->results[i];
		bool ok = strcmp(r->result, "pass") == 0;

		if (strcmp(r->method, "dmarc") == 0) {
			v = authres_prop_value(r, "header.from");
			if (v == NULL || !authres_domain_is(v, domain))
				continue;
			if (strcmp(r->result, "fail") == 0) {
				*how_r = "dmarc=fail header.from";
				return AUTHRES_FAIL;
			}
			if (ok && pass == NULL)
				pass = "dmarc=pass header.from";
		} else if (ok && strcmp(r->method, "dkim") == 0) {
			if ((v = authres_prop_value(r, "header.d")) != NULL &&
			    authres_domain_is(v, domain)) {
				if (pass == NULL)
					pass = "dkim=pass header.d";
			} else if ((v = authres_prop_value(r, "header.i")) != NULL &&
				   strchr(v, '@') != NULL && authres_domain_is(v, domain)) {
				if (pass == NULL)
					pass = "dkim=pass header.i";
			}
		} else if (ok && strcmp(r->method, "spf") == 0) {
			v = authres_prop_value(r, "smtp.mailfrom");
			if (v != NULL && authres_domain_is(v, domain) && pass == NULL)
				pass = "spf=pass smtp.mailfrom";
		}
	}
	*how_r = pass;
	return pass != NULL ? AUTHRES_PASS : AUTHRES_NONE;
}

enum authres_verdict
authres_judge(const char *const *values, size_t n, const char *trusted_ids,
	      const char *domain, const char **how_r)
{
	enum authres_verdict v = AUTHRES_NONE;
	struct authres *ar;
	const char *how = NULL;

	if (how_r != NULL)
		*how_r = NULL;
	if (trusted_ids == NULL || trusted_ids[strspn(trusted_ids, ", \t\r\n")] == '\0' ||
	    domain == NULL || *domain == '\0' || n == 0)
		return AUTHRES_NONE;
	ar = xmalloc(sizeof(*ar));
	for (size_t i = 0; i < n; i++) {
		int rc = authres_parse(values[i], ar);

		if (!authres_trusted(trusted_ids, ar->authserv_id))
			continue;
		/* The topmost field of ours decides, even when unreadable:
		 * the ones below it may be the sender's. */
		if (rc == 0)
			v = authres_verdict_of(ar, domain, &how);
		break;
	}
	free(ar);
	if (how_r != NULL)
		*how_r = how;
	return v;
}

bool
authres_forged(const char *const *values, size_t n, const char *trusted_ids,
	       const char *domain, const char **how_r, char *id_r, size_t id_size)
{
	const char *how = NULL;
	bool spf_fail = false, dkim_pass = false;
	struct authres *ar;
	int rc = -1;
	size_t i;

	*how_r = NULL;
	if (id_r != NULL && id_size > 0)
		*id_r = '\0';
	if (trusted_ids == NULL || trusted_ids[strspn(trusted_ids, ", \t\r\n")] == '\0' ||
	    domain == NULL || *domain == '\0' || n == 0)
		return false;
	ar = xmalloc(sizeof(*ar));
	for (i = 0; i < n; i++) {
		rc = authres_parse(values[i], ar);
		if (authres_trusted(trusted_ids, ar->authserv_id))
			break;
	}
	if (i == n || rc != 0) {
		free(ar);
		return false;
	}
	for (size_t k = 0; k < ar->n_results && how == NULL; k++) {
		const struct authres_result *r = &ar->results[k];
		const char *v;

		if (strcmp(r->method, "dmarc") == 0 && strcmp(r->result, "fail") == 0 &&
		    (v = authres_prop_value(r, "header.from")) != NULL &&
		    authres_domain_is(v, domain))
			how = "dmarc=fail header.from";
		else if (strcmp(r->method, "spf") == 0 && strcmp(r->result, "fail") == 0 &&
			 (v = authres_prop_value(r, "smtp.mailfrom")) != NULL &&
			 authres_domain_is(v, domain))
			spf_fail = true;
		else if (strcmp(r->method, "dkim") == 0 && strcmp(r->result, "pass") == 0 &&
			 (((v = authres_prop_value(r, "header.d")) != NULL &&
			   authres_domain_is(v, domain)) ||
			  ((v = authres_prop_value(r, "header.i")) != NULL &&
			   strchr(v, '@') != NULL && authres_domain_is(v, domain))))
			dkim_pass = true;
	}
	if (how == NULL && spf_fail && !dkim_pass)
		how = "spf=fail smtp.mailfrom, no aligned dkim=pass";
	if (how != NULL && id_r != NULL && id_size > 0)
		snprintf(id_r, id_size, "%s", ar->authserv_id);
	free(ar);
	*how_r = how;
	return how != NULL;
}
