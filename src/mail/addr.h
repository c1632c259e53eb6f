/*
 * addr - reading mail addresses: the bare address of a header value or a
 * configured mailbox, its domain, the key a sender is counted under, and
 * address patterns.
 *
 * One parser for every comparison redress makes between addresses (our
 * own, X-Loop, the customer's, staff patterns, rate limits).  Addresses
 * are compared lower-cased as a whole, local part too: RFC 5321 lets a
 * local part be case-sensitive, but no real mailbox relies on it, and
 * treating "Support@" and "support@" as two would open a mail loop.
 *
 * Writing an address into a header is compose's (compose_parse_mailbox,
 * compose_address_ok: what may appear there); an SMTP envelope address is
 * checked by mailer_check_address.
 *
 * Pure functions on fixed buffers; only addr_domain allocates.
 */
#ifndef REDRESS_MAIL_ADDR_H
#define REDRESS_MAIL_ADDR_H

#include <stdbool.h>

/* Bytes of a bare address with its NUL: an RFC 5321 path is at most 256
 * octets, so anything longer is no address. */
#define ADDR_MAX 512

enum addr_rule {
	/* Whatever stands between the last '<' and the next '>' (or the end
	 * of the string, or the whole string), trimmed: for comparing with
	 * our own addresses and reading local parts (a bounce may come from
	 * "MAILER-DAEMON", without '@'). */
	ADDR_LOOSE,
	/* As loose, but also refused: an unclosed '<', white space, control
	 * characters or angle brackets inside, and anything but exactly one
	 * '@' with text on both sides.  For matching staff patterns and
	 * taking domains, where a lenient reading would let
	 * "x@example.com"@evil.org pass as example.com. */
	ADDR_STRICT,
};

/*
 * The bare address of "Name <addr>", "<addr>" or "addr", lower-cased into
 * out, under rule.  False when there is none, it is too long, or (strict)
 * it breaks the rule.
 */
bool addr_bare(const char *s, enum addr_rule rule, char out[ADDR_MAX]);

/*
 * The domain part of a "Name <addr>" or bare address (strict), lower case,
 * allocated (the caller frees); NULL when there is none.  A trailing '.'
 * is dropped.
 */
char *addr_domain(const char *mailbox);

/*
 * The key under which a sender is rate-limited: its address in lower
 * case, without "+detail" and without dots in the local part, so that
 * "Vic.Tim+1@Example.COM" and "victim@example.com" are one sender, and
 * its domain (lower case, no trailing dot) in domain; a local part that
 * would be left empty ("+x", "...") is kept whole.  False when addr is not
 * local@domain or too long.  For rate limits only: the dots are
 * significant to most mail servers, just not to a flood.
 */
bool addr_rate_key(const char *addr, char key[ADDR_MAX], char domain[ADDR_MAX]);

/*
 * Address patterns "*@example.com, boss@other.org" (separated by commas,
 * semicolons or white space; '*' matches any run, '?' one character;
 * case-insensitive; anchored at both ends; "<boss@x>" is read as
 * boss@x): true when addr ("Name <addr>" or bare, strict) matches one.
 * "*@example.com" does not match sub.example.com; list "*@*.example.com"
 * for that.  Patterns longer than 255 bytes match nothing.
 */
bool addr_matches(const char *patterns, const char *addr);

#endif
