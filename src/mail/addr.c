/*
 * NAME
 *	addr - reading mail addresses
 * DESCRIPTION
 *	See addr.h.  Everything works on stack copies of at most ADDR_MAX
 *	bytes: a hostile header cannot make us allocate, and an address
 *	longer than that is no address.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "base/xmem.h"
#include "mail/addr.h"

#define ADDR_PATTERN_MAX 256

bool
addr_bare(const char *s, enum addr_rule rule, char out[ADDR_MAX])
{
	const char *b, *e;
	size_t n, k, ats = 0;

	if (s == NULL)
		return false;
	b = strrchr(s, '<');
	if (b != NULL) {
		b++;
		e = strchr(b, '>');
		if (e == NULL) {
			if (rule == ADDR_STRICT)
				return false;
			e = b + strlen(b);
		}
	} else {
		b = s;
		e = s + strlen(s);
	}
	while (b < e && isspace((unsigned char)*b))
		b++;
	n = (size_t)(e - b);
	while (n > 0 && isspace((unsigned char)b[n - 1]))
		n--;
	if (n == 0 || n >= ADDR_MAX)
		return false;
	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)b[k];

		if (rule == ADDR_STRICT &&
		    (isspace(c) || c < 0x20 || c == 0x7f || c == '<' || c == '>'))
			return false;
		if (c == '@')
			ats++;
		out[k] = (char)tolower(c);
	}
	out[n] = '\0';
	return rule == ADDR_LOOSE || (ats == 1 && out[0] != '@' && out[n - 1] != '@');
}

char *
addr_domain(const char *mailbox)
{
	char a[ADDR_MAX];
	const char *at;
	size_t n;

	if (!addr_bare(mailbox, ADDR_STRICT, a))
		return NULL;
	at = strrchr(a, '@') + 1;
	n = strlen(at);
	if (n > 0 && at[n - 1] == '.')
		n--;
	if (n == 0)
		return NULL;
	return xstrndup(at, n);
}

bool
addr_rate_key(const char *addr, char key[ADDR_MAX], char domain[ADDR_MAX])
{
	char a[ADDR_MAX];
	char *at;
	size_t n = 0, dn;

	if (!addr_bare(addr, ADDR_LOOSE, a) || (at = strrchr(a, '@')) == NULL || at == a ||
	    at[1] == '\0')
		return false;
	for (const char *c = a; c < at && *c != '+'; c++)
		if (*c != '.')
			key[n++] = *c;
	/* "+x@" or "...@": nothing is left to normalise; keep it whole. */
	if (n == 0)
		for (const char *c = a; c < at; c++)
			key[n++] = *c;
	dn = strlen(at + 1);
	if (at[dn] == '.')
		dn--;
	if (dn == 0)
		return false;
	memcpy(domain, at + 1, dn);
	domain[dn] = '\0';
	key[n++] = '@';
	memcpy(key + n, domain, dn + 1);
	return true;
}

/* Glob match of pattern (length plen, lower case) against s; '*' and '?'.
 * Iterative with one backtrack point: O(plen * strlen(s)) at worst. */
static bool
addr_glob(const char *pat, size_t plen, const char *s)
{
	size_t pi = 0, star = (size_t)-1;
	const char *mark = NULL;

	while (*s != '\0') {
		if (pi < plen && (pat[pi] == '?' || pat[pi] == *s)) {
			pi++;
			s++;
		} else if (pi < plen && pat[pi] == '*') {
			star = pi++;
			mark = s;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			s = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

bool
addr_matches(const char *patterns, const char *addr)
{
	static const char seps[] = ", \t;\r\n";
	char a[ADDR_MAX], pat[ADDR_PATTERN_MAX];
	const char *p;

	if (patterns == NULL || !addr_bare(addr, ADDR_STRICT, a))
		return false;
	for (p = patterns + strspn(patterns, seps); *p != '\0';
	     p += strspn(p, seps)) {
		size_t n = strcspn(p, seps);

		if (n < sizeof pat) {
			for (size_t k = 0; k < n; k++)
				pat[k] = (char)tolower((unsigned char)p[k]);
			pat[n] = '\0';
			/* "<boss@x>" in a list is written like an address */
			if (n >= 2 && pat[0] == '<' && pat[n - 1] == '>') {
				if (addr_glob(pat + 1, n - 2, a))
					return true;
			} else if (addr_glob(pat, n, a)) {
				return true;
			}
		}
		p += n;
	}
	return false;
}
