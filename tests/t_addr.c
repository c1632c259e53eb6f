/*
 * t_addr - the one address parser (mail/addr.c): the bare address under
 * the loose and the strict rule, domains, the rate-limit key, staff
 * patterns.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr.h"
#include "tap.h"

static void
test_bare(void)
{
	static const struct {
		const char *in, *loose, *strict;  /* NULL: none */
	} t[] = {
		{ "anna@example.com", "anna@example.com", "anna@example.com" },
		{ "Anna <Anna@Example.COM>", "anna@example.com", "anna@example.com" },
		{ "  <anna@example.com>  ", "anna@example.com", "anna@example.com" },
		{ "\"x <y@z>\" <anna@example.com>", "anna@example.com", "anna@example.com" },
		{ "MAILER-DAEMON", "mailer-daemon", NULL },
		{ "Anna <anna@example.com", "anna@example.com", NULL },
		{ "a b@example.com", "a b@example.com", NULL },
		{ "a@b@example.com", "a@b@example.com", NULL },
		{ "@example.com", "@example.com", NULL },
		{ "anna@", "anna@", NULL },
		{ "<>", NULL, NULL },
		{ "", NULL, NULL },
		{ NULL, NULL, NULL },
	};
	char big[ADDR_MAX + 10];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[ADDR_MAX] = "";
		const char *in = t[i].in != NULL ? t[i].in : "NULL";
		bool got = addr_bare(t[i].in, ADDR_LOOSE, out);

		ok(got == (t[i].loose != NULL), "loose %s: %s", in, t[i].loose ? "an address" : "none");
		if (got && t[i].loose != NULL)
			is_str(out, t[i].loose, "loose %s", in);
		got = addr_bare(t[i].in, ADDR_STRICT, out);
		ok(got == (t[i].strict != NULL), "strict %s: %s", in,
		   t[i].strict ? "an address" : "none");
		if (got && t[i].strict != NULL)
			is_str(out, t[i].strict, "strict %s", in);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[20] = '@';
	ok(!addr_bare(big, ADDR_LOOSE, (char[ADDR_MAX]){ 0 }), "longer than ADDR_MAX: none");
}

static void
test_rate_key(void)
{
	static const struct {
		const char *addr, *key, *domain;
	} t[] = {
		{ "victim@example.com", "victim@example.com", "example.com" },
		{ "VICTIM@Example.COM", "victim@example.com", "example.com" },
		{ "victim+1@example.com", "victim@example.com", "example.com" },
		{ "victim+a+b@example.com", "victim@example.com", "example.com" },
		{ "vic.tim@example.com", "victim@example.com", "example.com" },
		{ "V.i.C.t.I.m+x.y@example.com.", "victim@example.com", "example.com" },
		{ "Victim <vic.tim+2@example.com>", "victim@example.com", "example.com" },
		{ "other@example.com", "other@example.com", "example.com" },
		{ "victim@example.org", "victim@example.org", "example.org" },
		{ "+x@example.com", "+x@example.com", "example.com" },
		{ "...@example.com", "...@example.com", "example.com" },
		{ "victim@", NULL, NULL },
		{ "@example.com", NULL, NULL },
		{ "no address", NULL, NULL },
		{ NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char key[ADDR_MAX] = "", dom[ADDR_MAX] = "";
		bool got = addr_rate_key(t[i].addr, key, dom);

		ok(got == (t[i].key != NULL), "rate key of %s: %s", t[i].addr ? t[i].addr : "NULL",
		   t[i].key != NULL ? "made" : "none");
		if (t[i].key != NULL && got) {
			is_str(key, t[i].key, "rate key of %s", t[i].addr);
			is_str(dom, t[i].domain, "rate domain of %s", t[i].addr);
		}
	}

}

static void
test_address_matches(void)
{
	static const char *const staff = "*@example.com, boss@other.org;"
					 " <Helper@Contract.NET>\tag?nt@t.io";
	static const struct {
		const char *patterns, *addr;
		bool want;
	} t[] = {
		{ staff, "anna@example.com", true },
		{ staff, "Anna@EXAMPLE.com", true },
		{ staff, "Anna Smith <anna@example.com>", true },
		{ staff, "boss@other.org", true },
		{ staff, "BOSS@OTHER.ORG", true },
		{ staff, "helper@contract.net", true },
		{ staff, "agent@t.io", true },
		{ staff, "agnt@t.io", false },
		{ staff, "aggnt@t.io", true },
		{ staff, "agennt@t.io", false },
		{ staff, "anna@example.com.evil.org", false },
		{ staff, "anna@sub.example.com", false },
		{ staff, "anna@notexample.com", false },
		{ staff, "\"x@example.com\"@evil.org", false },
		{ staff, "x@example.com@evil.org", false },
		{ staff, "boss@other.org.evil", false },
		{ staff, "theboss@other.org", false },
		{ staff, "", false },
		{ staff, "no at sign", false },
		{ staff, "Name <>", false },
		{ staff, "a b@example.com", false },
		{ "*@*.example.com", "anna@sub.example.com", true },
		{ "*@*.example.com", "anna@example.com", false },
		{ "*", "anyone@anywhere.org", true },
		{ "", "anna@example.com", false },
		{ NULL, "anna@example.com", false },
		{ " , ;", "anna@example.com", false },
		{ "*a*a*a*a*a*a*a*a*a*b@x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x",
		  false },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		ok(addr_matches(t[i].patterns, t[i].addr) == t[i].want,
		   "matches(\"%s\", \"%s\") is %s",
		   t[i].patterns != NULL ? t[i].patterns : "NULL", t[i].addr,
		   t[i].want ? "true" : "false");
}

static void
test_address_domain(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "anna@Example.COM", "example.com" },
		{ "Anna Smith <anna@Mail.Example.com>", "mail.example.com" },
		{ "<anna@example.com.>", "example.com" },
		{ "  anna@example.com  ", "example.com" },
		{ "anna", NULL },
		{ "anna@", NULL },
		{ "anna@.", NULL },
		{ "", NULL },
		{ "Anna <>", NULL },
		{ "Anna <anna@example.com", NULL },
		{ "a@b@c.org", NULL },
		{ NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *d = addr_domain(t[i].in);

		is_str(d, t[i].want, "domain(\"%s\")",
		       t[i].in != NULL ? t[i].in : "NULL");
		free(d);
	}
}

/* RFC 8601 fields, read by hand: the grammar, comments, quoting. */
int
main(void)
{
	test_bare();
	test_rate_key();
	test_address_matches();
	test_address_domain();
	return tap_exit();
}
