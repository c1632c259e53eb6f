/*
 * fuzz_compose - compose_message with hostile header values, and the
 * result read back by message_parse.
 *
 * Covers: mailbox parsing of From, address validation of To and X-Loop,
 * cleaning of names and subject (invalid UTF-8, controls, line
 * separators, bidi overrides), RFC 2047 encoding and folding, Message-ID
 * and References handling, the date, and quoted-printable bodies.
 * Checks the promises of compose.h on every accepted input: the message
 * is 7-bit ASCII; every line ends in CRLF (no bare CR or LF); no line is
 * longer than 998 octets, no body line longer than 76; the header block
 * holds only the fields compose writes, each at most once, and the
 * required ones; continuation lines start with a blank.  Then the
 * message is parsed back: no problem, the same From and To addresses,
 * the same number of header fields, a clean subject and a clean display
 * name read back unchanged, and a clean body read back unchanged (which
 * is what "customer text never shapes a header" and "no injected header"
 * mean in practice).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "mail/compose.h"
#include "fuzz.h"
#include "mail/message.h"

#define FUZZ_COMPOSE_MAX_REFS 64

static const char *const fuzz_compose_fields[] = {
	"Date", "From", "To", "Subject", "Message-ID", "In-Reply-To", "References",
	"Auto-Submitted", "X-Auto-Response-Suppress", "X-Loop", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding",
};
#define FUZZ_COMPOSE_NFIELDS (sizeof(fuzz_compose_fields) / sizeof(fuzz_compose_fields[0]))

/* The code point of the UTF-8 sequence at s (valid: fuzz_utf8_ok). */
static unsigned
cp_at(const unsigned char *s, size_t *len_r)
{
	if (s[0] < 0x80) {
		*len_r = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*len_r = 2;
		return (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0) {
		*len_r = 3;
		return (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	*len_r = 4;
	return (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
	       (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
}

/* Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt),
 * written out here again rather than taken from compose.c. */
static bool
invisible(unsigned cp)
{
	return cp == 0xad || cp == 0x34f || cp == 0x61c || (cp >= 0x115f && cp <= 0x1160) ||
	       (cp >= 0x17b4 && cp <= 0x17b5) || (cp >= 0x180b && cp <= 0x180f) ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0x3164 || (cp >= 0xfe00 && cp <= 0xfe0f) ||
	       cp == 0xfeff || cp == 0xffa0 || (cp >= 0xfff0 && cp <= 0xfff8) ||
	       (cp >= 0x1bca0 && cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a) ||
	       (cp >= 0xe0000 && cp <= 0xe0fff);
}

/*
 * Text that no step on the way has a reason to change: at most max bytes
 * and max_chars characters.  (message.c drops one pair of quotes around
 * a display name on purpose: mailers write "\"Bob\"" <bob@example.com>.
 * Such names are not compared.)
 */
static bool
clean_n(const char *s, size_t max, size_t max_chars, bool multiline)
{
	size_t len = strlen(s), chars = 0;

	if (len == 0 || len > max || !fuzz_utf8_ok(s, len))
		return false;
	if (!multiline && len >= 2 && s[0] == '"' && s[len - 1] == '"')
		return false;
	for (size_t i = 0, n; i < len; i += n) {
		unsigned cp = cp_at((const unsigned char *)s + i, &n);

		if (++chars > max_chars)
			return false;
		if (multiline && (cp == '\n' || cp == '\t'))
			continue;
		/* Controls, U+00A0 and NEL (compose counts them as spaces),
		 * line separators, invisible characters: cleaned on purpose. */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0x2028 || cp == 0x2029 ||
		    invisible(cp))
			return false;
		if (!multiline && cp == ' ' && (i == 0 || i + 1 == len || s[i + 1] == ' '))
			return false;
	}
	return true;
}

static bool
clean(const char *s, size_t max, bool multiline)
{
	return clean_n(s, max, (size_t)-1, multiline);
}

/* The header block's checks; returns the number of fields. */
static size_t
check_headers(const char *s, size_t len, size_t *body_r, bool *seen)
{
	size_t i = 0, nfields = 0;

	*body_r = len;
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t e = nl != NULL ? (size_t)(nl - s) : len;
		const char *colon;

		if (e == i + 1 && s[i] == '\r') {
			*body_r = e + 1;
			return nfields;
		}
		if (s[i] == ' ' || s[i] == '\t') {
			if (nfields == 0)
				fuzz_fail("compose", "continuation line before any field");
			i = e + 1;
			continue;
		}
		colon = memchr(s + i, ':', e - i);
		if (colon == NULL) {
			fuzz_fail("compose", "header line without a colon: \"%.*s\"",
				  (int)(e - i > 80 ? 80 : e - i), s + i);
			return nfields;
		}
		{
			size_t nlen = (size_t)(colon - (s + i)), k;

			for (k = 0; k < FUZZ_COMPOSE_NFIELDS; k++)
				if (strlen(fuzz_compose_fields[k]) == nlen &&
				    strncmp(fuzz_compose_fields[k], s + i, nlen) == 0)
					break;
			if (k == FUZZ_COMPOSE_NFIELDS)
				fuzz_fail("compose", "unexpected header \"%.*s\"",
					  (int)(nlen > 80 ? 80 : nlen), s + i);
			else if (seen[k])
				fuzz_fail("compose", "header %s twice", fuzz_compose_fields[k]);
			else
				seen[k] = true;
		}
		nfields++;
		i = e + 1;
	}
	fuzz_fail("compose", "no end of the header block");
	return nfields;
}

static void
check_message(const char *s, size_t len, const struct compose_input *in)
{
	bool seen[FUZZ_COMPOSE_NFIELDS] = { false };
	size_t body, nfields, line_start = 0;
	char *from_name = NULL, *from_addr = NULL;
	struct message *m;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c == 0) {
			fuzz_fail("compose", "octet 0x%02x at %zu: not 7-bit", c, i);
			return;
		}
		if (c == '\r' && (i + 1 >= len || s[i + 1] != '\n')) {
			fuzz_fail("compose", "bare CR at %zu", i);
			return;
		}
		if (c == '\n') {
			if (i == 0 || s[i - 1] != '\r') {
				fuzz_fail("compose", "bare LF at %zu", i);
				return;
			}
			if (i - 1 - line_start > 998)
				fuzz_fail("compose", "line of %zu octets", i - 1 - line_start);
			line_start = i + 1;
		}
	}
	if (len < 2 || s[len - 1] != '\n')
		fuzz_fail("compose", "does not end with CRLF");
	nfields = check_headers(s, len, &body, seen);
	for (size_t k = 0; k < FUZZ_COMPOSE_NFIELDS; k++) {
		const char *f = fuzz_compose_fields[k];
		bool optional = strcmp(f, "In-Reply-To") == 0 || strcmp(f, "References") == 0 ||
				strcmp(f, "Auto-Submitted") == 0 || strcmp(f, "X-Loop") == 0;

		if (!seen[k] && !optional)
			fuzz_fail("compose", "no %s header", f);
	}
	if (seen[9] != (in->x_loop != NULL))
		fuzz_fail("compose", "X-Loop present %d, given %d", seen[9], in->x_loop != NULL);
	if (seen[7] != (in->auto_submitted != NULL))
		fuzz_fail("compose", "Auto-Submitted present %d, given %d", seen[7],
			  in->auto_submitted != NULL);
	line_start = body;
	for (size_t i = body; i < len; i++) {
		if (s[i] == '\n') {
			if (i - 1 - line_start > 76)
				fuzz_fail("compose", "body line of %zu octets", i - 1 - line_start);
			line_start = i + 1;
		}
	}

	/* Read back. */
	m = message_parse(s, len, NULL);
	if (m->problem != NULL)
		fuzz_fail("compose", "our own message is held: %s", m->problem);
	if (m->n_headers != nfields)
		fuzz_fail("compose", "parsed %zu header fields, wrote %zu", m->n_headers, nfields);
	if (compose_parse_mailbox(in->from, &from_name, &from_addr) == 0) {
		if (m->from.addr == NULL || strcasecmp(m->from.addr, from_addr) != 0)
			fuzz_fail("compose", "From reads back as %s, not %s",
				  m->from.addr != NULL ? m->from.addr : "(null)", from_addr);
		if (from_name != NULL && clean(from_name, COMPOSE_MAX_NAME, false) &&
		    (m->from.name == NULL || strcmp(m->from.name, from_name) != 0))
			fuzz_fail("compose", "From name reads back as \"%s\", not \"%s\"",
				  m->from.name != NULL ? m->from.name : "(null)", from_name);
	}
	free(from_name);
	free(from_addr);
	if (m->n_to != 1 || m->to[0].addr == NULL ||
	    strcasecmp(m->to[0].addr, in->to_addr) != 0) {
		fuzz_fail("compose", "To reads back as %zu addresses, first %s", m->n_to,
			  m->n_to > 0 && m->to[0].addr != NULL ? m->to[0].addr : "(null)");
	} else if (in->to_name != NULL) {
		/* The name is echoed cut to COMPOSE_ECHO_NAME characters: a
		 * clean one that fits is echoed unchanged, and whatever is
		 * echoed reads back as it is. */
		char *want = compose_echo(in->to_name, COMPOSE_ECHO_NAME);
		size_t wl = strlen(want);

		if (clean_n(in->to_name, 4 * COMPOSE_ECHO_NAME, COMPOSE_ECHO_NAME, false) &&
		    strcmp(want, in->to_name) != 0)
			fuzz_fail("compose", "a clean name is echoed as \"%s\", not \"%s\"",
				  want, in->to_name);
		if (wl > 0 && !(wl >= 2 && want[0] == '"' && want[wl - 1] == '"') &&
		    (m->to[0].name == NULL || strcmp(m->to[0].name, want) != 0))
			fuzz_fail("compose", "To name reads back as \"%s\", not \"%s\"",
				  m->to[0].name != NULL ? m->to[0].name : "(null)", want);
		free(want);
	}
	if (in->subject != NULL && clean(in->subject, COMPOSE_MAX_SUBJECT, false) &&
	    strcmp(m->subject, in->subject) != 0)
		fuzz_fail("compose", "Subject reads back as \"%.100s\", not \"%.100s\"",
			  m->subject, in->subject);
	if (in->body != NULL && clean(in->body, COMPOSE_MAX_BODY, true)) {
		const char *b = in->body;
		size_t bl = strlen(b), k = 0;

		/* message.c drops leading blank lines and trailing white space. */
		while (k < bl && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n')) {
			if (b[k] == '\n') {
				b += k + 1;
				bl -= k + 1;
				k = 0;
				continue;
			}
			k++;
		}
		while (bl > 0 && (b[bl - 1] == '\n' || b[bl - 1] == ' ' || b[bl - 1] == '\t'))
			bl--;
		if (m->text_len != bl || memcmp(m->text, b, bl) != 0)
			fuzz_fail("compose", "body reads back differently (%zu bytes, not %zu)",
				  m->text_len, bl);
	}
	message_free(&m);
}

int
fuzz_compose_one(const uint8_t *data, size_t size)
{
	const char *f[11], *refs[FUZZ_COMPOSE_MAX_REFS];
	struct compose_input in;
	struct buf out;
	char *copy, *refcopy = NULL, *error = NULL;
	size_t n;

	n = fuzz_split(data, size, f, 11, &copy);
	memset(&in, 0, sizeof(in));
	in.from = n > 0 ? f[0] : "Customer Care <care@example.com>";
	in.to_name = n > 1 ? f[1] : NULL;
	in.to_addr = n > 2 ? f[2] : "customer@example.org";
	in.subject = n > 3 ? f[3] : "Re: your order";
	in.body = n > 4 ? f[4] : "Hello,\n\nthank you.\n";
	in.message_id = n > 5 ? f[5] : "redress.1.abc@example.com";
	in.in_reply_to = n > 6 && f[6][0] != '\0' ? f[6] : NULL;
	if (n > 7) {
		refcopy = strdup(f[7]);
		if (refcopy == NULL)
			abort();
		for (char *p = refcopy; *p != '\0' && in.n_references < FUZZ_COMPOSE_MAX_REFS;) {
			size_t l = strcspn(p, " ");

			if (l > 0)
				refs[in.n_references++] = p;
			p += l;
			if (*p != '\0')
				*p++ = '\0';
		}
		in.references = refs;
	}
	in.auto_submitted = n > 8 ? (f[8][0] != '\0' ? f[8] : NULL) : "auto-replied";
	in.x_loop = n > 9 ? (f[9][0] != '\0' ? f[9] : NULL) : "care@example.com";
	in.date = n > 10 ? (time_t)strtoll(f[10], NULL, 10) : (time_t)1795451400;

	buf_init(&out, 4 * 1024 * 1024);
	if (compose_message(&in, &out, &error) == 0) {
		if (error != NULL)
			fuzz_fail("compose", "success with an error set");
		check_message(buf_str(&out), out.len, &in);
	} else {
		if (error == NULL || !fuzz_utf8_ok(error, strlen(error)))
			fuzz_fail("compose", "failure without a readable reason");
		for (const char *e = error; e != NULL && *e != '\0'; e++)
			if ((unsigned char)*e < 0x20) {
				fuzz_fail("compose", "reason with a control character");
				break;
			}
	}
	free(error);
	buf_free(&out);
	free(refcopy);
	free(copy);
	return 0;
}

#ifdef REDRESS_LIBFUZZER
FUZZ_LIBFUZZER_ENTRY(fuzz_compose_one)
#endif
