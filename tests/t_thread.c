/*
 * t_thread - signed Message-IDs, subject tags, Authentication-Results.
 *
 * The known-answer id below was computed outside redress
 * (python3 hmac.new(key, b"42.0123456789abcdef", sha256)), so a change of
 * the id format, which would orphan every reply to mail already sent,
 * fails here.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "case/thread.h"
#include "mail/authres.h"
#include "tap.h"

#define DOMAIN "mail.example.com"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
static const size_t keylen = 32;
static const unsigned char other_key[] = "fedcba9876543210fedcba9876543210";

#define KNOWN "redress.42.0123456789abcdef.cf39f0b79dc3aeda@" DOMAIN

static bool
all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

static void
test_msgid_roundtrip(void)
{
	static const long long ids[] = { 1, 42, 123456, 999999999999999999LL };
	size_t i;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		char *a = thread_msgid_new(key, keylen, ids[i], DOMAIN);
		char *b = thread_msgid_new(key, keylen, ids[i], DOMAIN);
		char *prefix = xasprintf("redress.%lld.", ids[i]);
		size_t pl = strlen(prefix);
		long long got = -1;

		ok(a != NULL && b != NULL, "msgid %lld made", ids[i]);
		if (a == NULL || b == NULL) {
			free(a);
			free(b);
			free(prefix);
			continue;
		}
		ok(strncmp(a, prefix, pl) == 0 && all_hex(a + pl, 16)
		   && a[pl + 16] == '.' && all_hex(a + pl + 17, 16)
		   && strcmp(a + pl + 33, "@" DOMAIN) == 0,
		   "msgid %lld has the documented form: %s", ids[i], a);
		ok(strcmp(a, b) != 0, "two ids for case %lld differ", ids[i]);
		is_int(thread_msgid_verify(key, keylen, a, DOMAIN, &got), 1,
		       "msgid %lld verifies", ids[i]);
		is_int(got, ids[i], "msgid %lld gives its case id", ids[i]);
		free(a);
		free(b);
		free(prefix);
	}
	ok(thread_msgid_new(key, keylen, 0, DOMAIN) == NULL, "case 0: NULL");
	ok(thread_msgid_new(key, keylen, -5, DOMAIN) == NULL, "case -5: NULL");
	ok(thread_msgid_new(key, keylen, 5, "") == NULL, "empty domain: NULL");
}

static void
test_msgid_verify(void)
{
	char long_id[THREAD_ID_MAX + 64];
	static const struct {
		const char *id;
		int want;
		long long case_id;
		const char *name;
	} t[] = {
		{ KNOWN, 1, 42, "known answer" },
		{ "<" KNOWN ">", 1, 42, "with <>" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aeda@MAIL.Example.COM",
		  1, 42, "domain case-insensitive" },
		{ "REDRESS.42.0123456789ABCDEF.CF39F0B79DC3AEDA@" DOMAIN, 1, 42,
		  "upper-cased by a gateway" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aedb@" DOMAIN, 0, 0,
		  "forged MAC (last digit)" },
		{ "redress.42.0123456789abcdef.0000000000000000@" DOMAIN, 0, 0,
		  "forged MAC (zeros)" },
		{ "redress.43.0123456789abcdef.cf39f0b79dc3aeda@" DOMAIN, 0, 0,
		  "tampered case id" },
		{ "redress.042.0123456789abcdef.cf39f0b79dc3aeda@" DOMAIN, 0, 0,
		  "case id with a leading zero" },
		{ "redress.42.0123456789abcdee.cf39f0b79dc3aeda@" DOMAIN, 0, 0,
		  "tampered random" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aeda@mail.example.org",
		  0, 0, "other domain" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aeda@" DOMAIN ".evil",
		  0, 0, "our domain as a prefix" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aeda@x." DOMAIN, 0, 0,
		  "a subdomain of ours" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aed@" DOMAIN, 0, 0,
		  "MAC one digit short" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aeda0@" DOMAIN, 0, 0,
		  "MAC one digit long" },
		{ "redress.-42.0123456789abcdef.cf39f0b79dc3aeda@" DOMAIN, 0, 0,
		  "negative case id" },
		{ "redress.0.0123456789abcdef.cf39f0b79dc3aeda@" DOMAIN, 0, 0,
		  "case id 0" },
		{ "redress.1234567890123456789.0123456789abcdef.cf39f0b79dc3aeda@"
		  DOMAIN, 0, 0, "case id of 19 digits" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aeda", 0, 0,
		  "no domain" },
		{ "redress.42.0123456789abcdef.cf39f0b79dc3aeda@", 0, 0,
		  "empty domain" },
		{ "redress.42@" DOMAIN, 0, 0, "truncated" },
		{ "redress.@" DOMAIN, 0, 0, "no case id" },
		{ "CAF=abc123@" DOMAIN, 0, 0, "someone else's id, our domain" },
		{ "", 0, 0, "empty" },
		{ "<>", 0, 0, "just <>" },
	};
	size_t i;
	long long got;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		got = -1;
		is_int(thread_msgid_verify(key, keylen, t[i].id, DOMAIN, &got),
		       t[i].want, "verify: %s", t[i].name);
		is_int(got, t[i].want ? t[i].case_id : -1,
		       "verify: %s: case id", t[i].name);
	}
	got = -1;
	is_int(thread_msgid_verify(other_key, keylen, KNOWN, DOMAIN, &got), 0,
	       "verify with another key fails");
	is_int(thread_msgid_verify(key, keylen, NULL, DOMAIN, &got), 0,
	       "NULL id");
	is_int(thread_msgid_verify(key, keylen, KNOWN, NULL, &got), 0,
	       "NULL domain");
	is_int(thread_msgid_verify(key, keylen, KNOWN, DOMAIN, NULL), 1,
	       "NULL case_id_r is fine");

	/* over the cap: a valid id with a giant domain is still refused */
	memset(long_id, 'a', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	memcpy(long_id, "redress.42.0123456789abcdef.cf39f0b79dc3aeda@", 45);
	is_int(thread_msgid_verify(key, keylen, long_id, long_id + 45, &got),
	       0, "id longer than THREAD_ID_MAX refused");
}

static void
test_tag_format(void)
{
	static const struct {
		const char *prefix;
		long long id;
		const char *want;
	} t[] = {
		{ "case", 123, "[case 000123]" },
		{ "case", 1, "[case 000001]" },
		{ "case", 999999, "[case 999999]" },
		{ "case", 1234567, "[case 1234567]" },
		{ "Ticket", 42, "[Ticket 000042]" },
		{ NULL, 5, "[case 000005]" },
		{ "", 5, "[case 000005]" },
		{ "case", -1, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *s = thread_tag_format(t[i].prefix, t[i].id);

		is_str(s, t[i].want, "tag_format(%s, %lld)",
		       t[i].prefix != NULL ? t[i].prefix : "NULL", t[i].id);
		free(s);
	}
}

static void
test_tag_find(void)
{
	static const struct {
		const char *subject, *prefix;
		int want;
		long long id;
	} t[] = {
		{ "[case 000123] We are sorry", "case", 1, 123 },
		{ "Re: [case 000123] We are sorry", "case", 1, 123 },
		{ "Re: [Case  42]", "case", 1, 42 },
		{ "AW: Fwd: [CASE 000007] x", "case", 1, 7 },
		{ "RE: RE: Re: still waiting [case 000077]", "case", 1, 77 },
		{ "[case #42] hi", "case", 1, 42 },
		{ "[ case 42 ]", "case", 1, 42 },
		{ "[case\t42]", "case", 1, 42 },
		{ "[case42]", "case", 1, 42 },
		{ "> [case 000099] quoted by someone", "case", 1, 99 },
		{ "[case 1] and [case 2]", "case", 1, 1 },
		{ "[x] [case 3]", "case", 1, 3 },
		{ "[[case 5]]", "case", 1, 5 },
		{ "[case 1234567]", "case", 1, 1234567 },
		{ "[ticket 12] hi", "ticket", 1, 12 },
		{ "[TICKET 12] hi", "Ticket", 1, 12 },
		{ "[case 000123]", NULL, 1, 123 },
		{ "no tag at all", "case", 0, 0 },
		{ "", "case", 0, 0 },
		{ "[case ]", "case", 0, 0 },
		{ "[case]", "case", 0, 0 },
		{ "[case 000000]", "case", 0, 0 },
		{ "[cases 12]", "case", 0, 0 },
		{ "[case 12", "case", 0, 0 },
		{ "case 12]", "case", 0, 0 },
		{ "[case 5x]", "case", 0, 0 },
		{ "[case -5]", "case", 0, 0 },
		{ "[case 1234567890123456789]", "case", 0, 0 },
		{ "[case 99999999999999999999999]", "case", 0, 0 },
		{ "[case 999999999999999999]", "case", 1, 999999999999999999LL },
		{ "[ticket 12] hi", "case", 0, 0 },
		{ "[case 12] hi", "ticket", 0, 0 },
		{ "[cas", "case", 0, 0 },
		{ "[", "case", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		long long got = -1;

		is_int(thread_tag_find(t[i].subject, t[i].prefix, &got),
		       t[i].want, "tag_find(\"%s\")", t[i].subject);
		is_int(got, t[i].want ? t[i].id : -1, "tag_find(\"%s\") id",
		       t[i].subject);
	}
	is_int(thread_tag_find(NULL, "case", NULL), 0, "NULL subject");
}

static void
test_find_case(void)
{
	char *ours3 = thread_msgid_new(key, keylen, 3, DOMAIN);
	char *ours7 = thread_msgid_new(key, keylen, 7, DOMAIN);
	char *ours9 = thread_msgid_new(key, keylen, 9, DOMAIN);
	char forged[200];
	char *irt[2], *refs[4];
	struct message m;
	long long got;

	/* forge: case 5 with case 7's random and MAC */
	snprintf(forged, sizeof forged, "redress.5.%s",
		 ours7 + strlen("redress.7."));

	memset(&m, 0, sizeof m);
	m.in_reply_to = irt;
	m.references = refs;

	got = -1;
	is_int(thread_find_case(key, keylen, DOMAIN, &m, &got), 0,
	       "no ids: no case");
	is_int(got, -1, "no ids: id untouched");

	irt[0] = ours3;
	m.n_in_reply_to = 1;
	refs[0] = ours7;
	refs[1] = (char *)"foreign@x.org";
	refs[2] = ours9;
	refs[3] = (char *)"also@foreign.org";
	m.n_references = 4;
	is_int(thread_find_case(key, keylen, DOMAIN, &m, &got), 1,
	       "In-Reply-To ours");
	is_int(got, 3, "In-Reply-To wins over References");

	irt[0] = forged;
	is_int(thread_find_case(key, keylen, DOMAIN, &m, &got), 1,
	       "forged In-Reply-To, References ours");
	is_int(got, 9, "newest reference of ours wins");

	m.n_in_reply_to = 0;
	refs[2] = forged;
	is_int(thread_find_case(key, keylen, DOMAIN, &m, &got), 1,
	       "forged newest reference skipped");
	is_int(got, 7, "older valid reference used");

	refs[0] = forged;
	got = -1;
	is_int(thread_find_case(key, keylen, DOMAIN, &m, &got), 0,
	       "only forged and foreign ids: no case");
	is_int(thread_find_case(key, keylen, "other.example.com", &m, &got), 0,
	       "our ids under another domain: no case");

	free(ours3);
	free(ours7);
	free(ours9);
}

static void
test_authres_parse(void)
{
	struct authres *ar = xmalloc(sizeof(*ar));

	is_int(authres_parse("mx.example.com 1; dkim/1=pass (good) reason=\"ok fine\""
			     " header.d=example.com header.i=@example.com;"
			     " spf = pass smtp . mailfrom = \"a b\"@example.com; (end)", ar), 0,
	       "version, method version, reason, spaces, quoted local part");
	is_str(ar->authserv_id, "mx.example.com", "authserv-id");
	is_int((long long)ar->n_results, 2, "two results");
	is_str(ar->results[0].method, "dkim", "method without its version");
	is_str(ar->results[0].result, "pass", "result");
	is_int((long long)ar->results[0].n_props, 2, "two properties");
	is_str(ar->results[0].props[0].name, "header.d", "ptype.property");
	is_str(ar->results[0].props[0].value, "example.com", "pvalue");
	is_str(ar->results[0].props[1].value, "@example.com", "pvalue with @");
	is_str(ar->results[1].props[0].name, "smtp.mailfrom", "blanks around the dot");
	is_str(ar->results[1].props[0].value, "a b@example.com", "quoted local part unquoted");

	is_int(authres_parse("(first) \"mx (quoted)\" (c (nested) c); none", ar), 0,
	       "comments and a quoted authserv-id");
	is_str(ar->authserv_id, "mx (quoted)", "quoted authserv-id");
	ok(ar->none && ar->n_results == 0, "none");

	is_int(authres_parse("mx.outlook.com; spf=pass (sender IP is 192.0.2.1)"
			     " smtp.mailfrom=example.com; dkim=pass (signature was verified)"
			     " header.d=example.com;dmarc=pass action=none"
			     " header.from=example.com;compauth=pass reason=100", ar), 0,
	       "Microsoft's field with action=none");
	is_int((long long)ar->n_results, 4, "its four results");
	is_str(ar->results[2].props[0].value, "example.com", "dmarc header.from after action=none");

	is_int(authres_parse("", ar), -1, "empty: refused");
	is_int(authres_parse("mx.example.com", ar), -1, "no result and no none: refused");
	is_int(authres_parse("mx.example.com; dkim", ar), -1, "method without result: refused");
	is_int(authres_parse("mx.example.com; dkim=pass header.d", ar), -1, "property without value");
	is_int(authres_parse("mx.example.com; dkim=pass header.d=\"x", ar), -1,
	       "unterminated quote: refused");
	is_str(ar->authserv_id, "mx.example.com", "the authserv-id is still read");
	is_int(authres_parse("mx.example.com; dkim=pass (unterminated header.d=x", ar), 0,
	       "an unterminated comment runs to the end");
	is_int((long long)ar->results[0].n_props, 0, "and hides what follows");
	free(ar);
}

/* What is believed: the topmost field of a trusted authserv-id only. */
static void
test_authres_judge(void)
{
	static const char *const trusted = "mx.shop.example, mx2.shop.example";
	struct {
		const char *fields[3];
		const char *domain;
		enum authres_verdict want;
		const char *how;
		const char *desc;
	} t[] = {
		{ { "mx.shop.example; dkim=pass header.d=shop.example" }, "shop.example",
		  AUTHRES_PASS, "dkim=pass header.d", "dkim pass for the domain" },
		{ { "MX.Shop.Example; DKIM=Pass header.d=SHOP.example." }, "shop.example",
		  AUTHRES_PASS, "dkim=pass header.d", "case-insensitive, trailing dot" },
		{ { "mx2.shop.example; dkim=pass header.i=anna@shop.example" }, "shop.example",
		  AUTHRES_PASS, "dkim=pass header.i", "header.i, second trusted id" },
		{ { "mx.shop.example; spf=pass smtp.mailfrom=anna@shop.example" }, "shop.example",
		  AUTHRES_PASS, "spf=pass smtp.mailfrom", "spf pass" },
		{ { "mx.shop.example; spf=pass smtp.mailfrom=shop.example" }, "shop.example",
		  AUTHRES_PASS, "spf=pass smtp.mailfrom", "spf pass with a bare domain" },
		{ { "mx.shop.example; spf=pass smtp.mailfrom=<anna@shop.example>" }, "shop.example",
		  AUTHRES_PASS, "spf=pass smtp.mailfrom", "spf pass with <> around the address" },
		{ { "mx.shop.example; spf=pass smtp.mailfrom=<anna@shop.example>.evil" }, "shop.example",
		  AUTHRES_NONE, NULL, "<> only at the ends" },
		{ { "mx.shop.example; dmarc=pass header.from=shop.example" }, "shop.example",
		  AUTHRES_PASS, "dmarc=pass header.from", "dmarc pass" },
		{ { "mx.shop.example; dkim=pass header.d=mail.shop.example" }, "shop.example",
		  AUTHRES_NONE, NULL, "a subdomain is another domain" },
		{ { "mx.shop.example; dkim=pass header.d=shop.example.evil.org" }, "shop.example",
		  AUTHRES_NONE, NULL, "a longer domain is another domain" },
		{ { "mx.shop.example; dkim=fail header.d=shop.example" }, "shop.example",
		  AUTHRES_NONE, NULL, "dkim fail" },
		{ { "mx.shop.example; dkim=pass header.b=shop.example" }, "shop.example",
		  AUTHRES_NONE, NULL, "the wrong property" },
		{ { "mx.shop.example; spf=pass smtp.helo=shop.example" }, "shop.example",
		  AUTHRES_NONE, NULL, "spf for the HELO name" },
		{ { "mx.evil.example; dkim=pass header.d=shop.example" }, "shop.example",
		  AUTHRES_NONE, NULL, "an authserv-id not in the list" },
		{ { "mx.shop.example.evil; dkim=pass header.d=shop.example" }, "shop.example",
		  AUTHRES_NONE, NULL, "an authserv-id that only starts like ours" },
		{ { "mx.shop.example; none", "mx.shop.example; dkim=pass header.d=shop.example" },
		  "shop.example", AUTHRES_NONE, NULL, "a pass below our topmost field" },
		{ { "mx.evil.example; none", "mx.shop.example; dkim=pass header.d=shop.example" },
		  "shop.example", AUTHRES_PASS, "dkim=pass header.d", "other ids above are skipped" },
		{ { "mx.shop.example; dkim=pass header.d=\"x", "mx.shop.example; dkim=pass header.d=shop.example" },
		  "shop.example", AUTHRES_NONE, NULL, "an unreadable topmost field says nothing" },
		{ { "mx.shop.example; dkim=pass header.d=shop.example; dmarc=fail header.from=shop.example" },
		  "shop.example", AUTHRES_FAIL, "dmarc=fail header.from", "dmarc fail wins" },
		{ { "mx.shop.example; dmarc=fail header.from=other.example; dkim=pass header.d=shop.example" },
		  "shop.example", AUTHRES_PASS, "dkim=pass header.d", "dmarc fail of another domain" },
		/* As real servers write them. */
		{ { "mx.shop.example; dkim=pass (2048-bit key; unprotected) header.d=shop.example"
		    " header.i=@shop.example header.a=rsa-sha256 header.s=mail header.b=AbC+/12x;" },
		  "shop.example", AUTHRES_PASS, "dkim=pass header.d", "OpenDKIM" },
		{ { "mx.shop.example; dkim=none; dkim-atps=neutral" }, "shop.example",
		  AUTHRES_NONE, NULL, "OpenDKIM's AlwaysAddARHeader on unsigned mail" },
		{ { "mx.shop.example; dmarc=pass (p=none dis=none) header.from=shop.example" },
		  "shop.example", AUTHRES_PASS, "dmarc=pass header.from", "OpenDMARC" },
		{ { "mx.shop.example; dkim=pass header.d=shop.example header.s=s1 header.b=\"a1\";"
		    " spf=pass (mx.shop.example: domain of a@shop.example designates 192.0.2.1 as"
		    " permitted sender) smtp.mailfrom=a@shop.example; dmarc=pass (policy=reject)"
		    " header.from=shop.example" }, "shop.example", AUTHRES_PASS, "dkim=pass header.d",
		  "rspamd" },
		/* Our server quotes what the sender gave in MAIL FROM; encoded
		 * words there are not decoded into results. */
		{ { "mx.shop.example; spf=pass smtp.mailfrom==?utf-8?q?x=3B_dkim=3Dpass_header.d=3Dshop.example?=@evil.example" },
		  "shop.example", AUTHRES_NONE, NULL, "an encoded word in MAIL FROM stays a value" },
		{ { "mx.shop.example; spf=pass smtp.mailfrom=x@evil.example (dkim=pass header.d=shop.example)" },
		  "shop.example", AUTHRES_NONE, NULL, "results in a comment are a comment" },
		{ { "mx.shop.example; spf=pass smtp.mailfrom=\"x;dkim=pass header.d=shop.example\"@evil.example" },
		  "shop.example", AUTHRES_NONE, NULL, "results in a quoted local part are a value" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = 0;
		const char *how = "unset";

		while (n < 3 && t[i].fields[n] != NULL)
			n++;
		is_int(authres_judge(t[i].fields, n, trusted, t[i].domain, &how), t[i].want,
		       "judge: %s", t[i].desc);
		is_str(how != NULL ? how : "(null)", t[i].how != NULL ? t[i].how : "(null)",
		       "judge: %s: how", t[i].desc);
	}
	{
		const char *f[] = { "mx.shop.example; dkim=pass header.d=shop.example" };

		is_int(authres_judge(f, 1, "", "shop.example", NULL), AUTHRES_NONE,
		       "no trusted id configured: nothing is believed");
		is_int(authres_judge(f, 1, trusted, NULL, NULL), AUTHRES_NONE, "no domain");
		is_int(authres_judge(NULL, 0, trusted, "shop.example", NULL), AUTHRES_NONE,
		       "no field");
	}
}

int
main(void)
{
	test_msgid_roundtrip();
	test_msgid_verify();
	test_tag_format();
	test_tag_find();
	test_find_case();
	test_authres_parse();
	test_authres_judge();
	return tap_exit();
}
