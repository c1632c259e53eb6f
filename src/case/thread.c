/*
 * thread - signed Message-IDs, subject tags and staff addresses.
 * See thread.h for the formats and the trust rule.
 *
 * Public: thread_msgid_new, thread_msgid_verify, thread_tag_format,
 * thread_tag_find, thread_find_case.  Strings returned are allocated (xmem) and the
 * caller's to free; inputs are never modified.  No function here reports
 * errors beyond "not found" / NULL: an id or tag we cannot read is simply
 * not ours.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "base/xmem.h"
#include "case/thread.h"

#define MSGID_PREFIX "redress."
#define HEX_LEN 16                /* random and MAC, in hex digits */
#define CASE_DIGITS_MAX 18        /* fits a long long */
#define REFERENCES_MAX 100

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The first HEX_LEN hex digits of HMAC-SHA256(key, text); -1 on error. */
static int
mac_hex(const unsigned char *key, size_t keylen, const char *text,
	char out[HEX_LEN + 1])
{
	unsigned char digest[32];

	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, text,
			     strlen(text), digest) < 0)
		return -1;
	hex_encode(digest, HEX_LEN / 2, out);
	return 0;
}

char *
thread_msgid_new(const unsigned char *key, size_t keylen, long long case_id,
		 const char *domain)
{
	unsigned char rnd[HEX_LEN / 2];
	char rhex[HEX_LEN + 1], mac[HEX_LEN + 1], *text, *id;

	if (case_id <= 0 || domain == NULL || domain[0] == '\0')
		return NULL;
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof rnd) < 0)
		return NULL;
	hex_encode(rnd, sizeof rnd, rhex);
	text = xasprintf("%lld.%s", case_id, rhex);
	if (mac_hex(key, keylen, text, mac) < 0) {
		free(text);
		return NULL;
	}
	id = xasprintf(MSGID_PREFIX "%s.%s@%s", text, mac, domain);
	free(text);
	return id;
}

/* Reads exactly HEX_LEN hex digits at *p, lower-cased into out. */
static bool
read_hex(const char **p, char out[HEX_LEN + 1])
{
	size_t i;

	for (i = 0; i < HEX_LEN; i++) {
		if (!isxdigit((unsigned char)(*p)[i]))
			return false;
		out[i] = (char)tolower((unsigned char)(*p)[i]);
	}
	out[HEX_LEN] = '\0';
	*p += HEX_LEN;
	return true;
}

int
thread_msgid_verify(const unsigned char *key, size_t keylen, const char *id,
		    const char *domain, long long *case_id_r)
{
	char digits[CASE_DIGITS_MAX + 1], rhex[HEX_LEN + 1], mac[HEX_LEN + 1];
	char want[HEX_LEN + 1], text[CASE_DIGITS_MAX + HEX_LEN + 2];
	const char *p, *end;
	size_t len, n, i;
	unsigned char diff = 0;
	long long v = 0;

	if (id == NULL || domain == NULL || domain[0] == '\0')
		return 0;
	len = strnlen(id, THREAD_ID_MAX + 1);
	if (len > THREAD_ID_MAX)
		return 0;
	p = id;
	end = id + len;
	if (len >= 2 && id[0] == '<' && id[len - 1] == '>') {
		p++;
		end--;
	}
	n = strlen(MSGID_PREFIX);
	if ((size_t)(end - p) < n || strncasecmp(p, MSGID_PREFIX, n) != 0)
		return 0;
	p += n;
	for (n = 0; p < end && isdigit((unsigned char)*p); p++, n++) {
		if (n >= CASE_DIGITS_MAX)
			return 0;
		digits[n] = *p;
		v = v * 10 + (*p - '0');
	}
	digits[n] = '\0';
	if (n == 0 || v <= 0 || p >= end || *p++ != '.')
		return 0;
	if (end - p < HEX_LEN || !read_hex(&p, rhex))
		return 0;
	if (p >= end || *p++ != '.')
		return 0;
	if (end - p < HEX_LEN || !read_hex(&p, mac))
		return 0;
	if (p >= end || *p++ != '@')
		return 0;
	if ((size_t)(end - p) != strlen(domain)
	    || strncasecmp(p, domain, (size_t)(end - p)) != 0)
		return 0;
	snprintf(text, sizeof text, "%s.%s", digits, rhex);
	if (mac_hex(key, keylen, text, want) < 0)
		return 0;
	/* Compare in constant time: the MAC is a secret until it matches. */
	for (i = 0; i < HEX_LEN; i++)
		diff |= (unsigned char)(want[i] ^ mac[i]);
	if (diff != 0)
		return 0;
	if (case_id_r != NULL)
		*case_id_r = v;
	return 1;
}

static const char *
tag_prefix(const char *prefix)
{
	return prefix != NULL && prefix[0] != '\0' ? prefix : "case";
}

char *
thread_tag_format(const char *prefix, long long case_id)
{
	if (case_id < 0)
		return NULL;
	return xasprintf("[%s %06lld]", tag_prefix(prefix), case_id);
}

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int
thread_tag_find(const char *subject, const char *prefix, long long *case_id_r)
{
	const char *pre = tag_prefix(prefix), *s;
	size_t plen = strlen(pre);

	if (subject == NULL)
		return 0;
	for (s = strchr(subject, '['); s != NULL; s = strchr(s + 1, '[')) {
		const char *p = skip_blanks(s + 1);
		long long v = 0;
		size_t n = 0;

		if (strncasecmp(p, pre, plen) != 0)
			continue;
		p = skip_blanks(p + plen);
		if (*p == '#')
			p = skip_blanks(p + 1);
		for (; isdigit((unsigned char)*p) && n <= CASE_DIGITS_MAX;
		     p++, n++)
			if (n < CASE_DIGITS_MAX)
				v = v * 10 + (*p - '0');
		if (n == 0 || n > CASE_DIGITS_MAX || v <= 0)
			continue;
		p = skip_blanks(p);
		if (*p != ']')
			continue;
		if (case_id_r != NULL)
			*case_id_r = v;
		return 1;
	}
	return 0;
}

int
thread_find_case(const unsigned char *key, size_t keylen, const char *domain,
		 const struct message *m, long long *case_id_r)
{
	size_t i, tried = 0;

	for (i = 0; i < m->n_in_reply_to; i++)
		if (thread_msgid_verify(key, keylen, m->in_reply_to[i], domain,
					case_id_r) == 1)
			return 1;
	for (i = m->n_references; i > 0 && tried < REFERENCES_MAX; i--, tried++)
		if (thread_msgid_verify(key, keylen, m->references[i - 1],
					domain, case_id_r) == 1)
			return 1;
	return 0;
}
