/*
 * compose - the RFC 5322 message redress sends: headers and a
 * quoted-printable UTF-8 text body, CRLF throughout.
 *
 * The output has Date (UTC, "+0000"), From, To, Subject, Message-ID,
 * In-Reply-To and References (when replying), Auto-Submitted and X-Loop
 * (when given), X-Auto-Response-Suppress: All, MIME-Version: 1.0,
 * Content-Type: text/plain; charset=UTF-8 and Content-Transfer-Encoding:
 * quoted-printable.  Non-ASCII in the subject or a display name becomes
 * RFC 2047 encoded words (Q or B, whichever is shorter; at most 75 octets
 * each, split between UTF-8 characters).  Header lines are folded at 78
 * octets where a break is possible and never exceed 998.
 *
 * Customer text never shapes a header: in names and the subject, invalid
 * UTF-8 becomes U+FFFD, control characters (CR and LF among them) and
 * Unicode line separators become spaces, invisible characters (Unicode's
 * Default_Ignorable_Code_Point set: bidirectional marks, embeddings,
 * overrides and isolates, zero-width spaces and joiners, U+2060, U+FEFF,
 * U+180E, the soft hyphen, fillers, variation selectors, tag characters)
 * are dropped, and runs of white space become one space.  The recipient's
 * display name is cut to COMPOSE_ECHO_NAME characters (compose_echo).  Addresses are parsed,
 * validated and written again from their parts; an address that is not a
 * plain local@domain (spaces, quotes, angle brackets, control or non-ASCII
 * characters, no "@") is refused.  Message-IDs from the customer that are
 * not plain are left out rather than copied.
 *
 * Pure functions: no I/O, no clock (the date is an input).
 */
#ifndef REDRESS_COMPOSE_H
#define REDRESS_COMPOSE_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"

#define COMPOSE_MAX_BODY (1024 * 1024)  /* bytes of body text */
#define COMPOSE_MAX_SUBJECT 1000        /* bytes kept of the subject */
#define COMPOSE_MAX_NAME 200            /* bytes kept of a display name */
#define COMPOSE_MAX_REFERENCES 20       /* the first and the last 19 are kept */
/* What we echo of a customer's own words, in characters (compose_echo). */
#define COMPOSE_ECHO_NAME 64
#define COMPOSE_ECHO_SUBJECT 120

struct compose_input {
	const char *from;            /* "Customer Care <care@example.com>" or an address */
	const char *to_name;         /* customer's display name, may be NULL */
	const char *to_addr;         /* bare address */
	const char *const *cc;       /* bare addresses for a Cc header, or NULL */
	size_t n_cc;
	const char *subject;         /* UTF-8 */
	const char *body;            /* UTF-8, LF (or CRLF) line ends */
	const char *message_id;      /* ours, without <> */
	const char *in_reply_to;     /* customer's Message-ID without <>, or NULL */
	const char *const *references; /* the customer's References, without <> */
	size_t n_references;
	const char *auto_submitted;  /* "auto-replied", "auto-generated", or NULL */
	const char *x_loop;          /* our address, or NULL */
	time_t date;
};

/*
 * Appends the whole message to out.  References in the output are the
 * given references followed by in_reply_to (when not already last), cut
 * to COMPOSE_MAX_REFERENCES.  The body always ends with a line break.
 * Returns 0, or -1 with *error_r set (a bad From, To, X-Loop or
 * Message-ID, a body over COMPOSE_MAX_BODY, out's cap reached); out may
 * then hold part of a message.
 */
int compose_message(const struct compose_input *in, struct buf *out,
		    char **error_r);

/*
 * Parses "Name <addr>", "\"Name\" <addr>", "<addr>" or "addr".  *name_r
 * gets the cleaned display name or NULL when there is none; *addr_r the
 * address.  Both are allocated; the caller frees.  Returns 0, or -1 when
 * the address is not acceptable (see above); nothing is allocated then.
 */
int compose_parse_mailbox(const char *s, char **name_r, char **addr_r);

/*
 * Customer text as we may echo it (a name, a subject), in a header or a
 * body: cleaned as described above (one line, no control or invisible
 * characters) and cut to at most max_chars characters at a character
 * boundary; a cut text ends in "\u2026" (an ellipsis, counted in
 * max_chars).  NULL for NULL; otherwise allocated, the caller frees.
 */
char *compose_echo(const char *text, size_t max_chars);

/* 1 when addr is an address compose accepts, else 0. */
int compose_address_ok(const char *addr);

/* Appends the RFC 5322 date ("Mon, 23 Nov 2026 16:30:00 +0000") of t. */
int compose_date(time_t t, struct buf *out);

/*
 * Quoted-printable encoding of text (LF or CRLF line ends) with CRLF line
 * ends, soft breaks keeping lines at 76 octets, white space before a line
 * end encoded, and a leading "." or "From " encoded so that no transport
 * can take them for something else.  Ends with CRLF.
 */
int compose_qp(const char *text, size_t len, struct buf *out);

#endif
