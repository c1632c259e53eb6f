/*
 * t_compose - composition of outgoing messages: mailbox parsing, RFC 2047
 * subjects and names, quoted-printable bodies, folding, header injection,
 * and a round trip through libetpan's parser.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "base/utf8.h"
#include "mail/charset.h"
#include "mail/compose.h"
#include "tap.h"
#include "base/xmem.h"

static const char *const t_refs[] = { "root@example.net", "mid1@example.net" };

static struct compose_input
t_input(void)
{
	struct compose_input in = {
		.from = "Customer Care <care@example.com>",
		.to_name = "Jane Doe",
		.to_addr = "jane@example.net",
		.subject = "[case 000123] We're sorry",
		.body = "Hello Jane,\n\nThank you.\n",
		.message_id = "case-000123.x1@example.com",
		.in_reply_to = "mid2@example.net",
		.references = t_refs,
		.n_references = 2,
		.auto_submitted = "auto-replied",
		.x_loop = "care@example.com",
		.date = 1795451400, /* 2026-11-23T16:30:00Z */
	};
	return in;
}

/* Composes in; returns the message (allocated) or NULL with *err set. */
static char *
t_compose(const struct compose_input *in, char **err)
{
	struct buf b;
	char *e = NULL;

	buf_init(&b, BUF_NO_LIMIT);
	if (compose_message(in, &b, &e) < 0) {
		buf_free(&b);
		if (err != NULL)
			*err = e;
		else
			free(e);
		return NULL;
	}
	if (err != NULL)
		*err = NULL;
	return buf_steal(&b, NULL);
}

/* The header block (up to the blank line), unfolded lines kept as is. */
static char *
t_headers(const char *msg)
{
	const char *end;

	if (msg == NULL)
		return xstrdup("");   /* the test that composed it has failed */
	end = strstr(msg, "\r\n\r\n");
	return end != NULL ? xstrndup(msg, (size_t)(end - msg) + 2) : xstrdup(msg);
}

/* The value of header name (folds kept), or NULL.  Allocated. */
static char *
t_header(const char *msg, const char *name)
{
	char *h = t_headers(msg), *r = NULL;
	size_t nl = strlen(name);

	for (char *line = h; *line != '\0';) {
		char *eol = strstr(line, "\r\n");

		if (eol == NULL)
			break;
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			char *end = eol;
			size_t len;

			/* Continuation lines start with a blank. */
			while (end[2] == ' ' || end[2] == '\t')
				end = strstr(end + 2, "\r\n");
			len = (size_t)(end - line) - nl - 2;
			r = xstrndup(line + nl + 2, len);
			break;
		}
		line = eol + 2;
	}
	free(h);
	return r;
}

/* Checks CRLF only, line lengths, and returns the longest line. */
static size_t
t_lines(const char *msg, bool *bare_r)
{
	size_t longest = 0, cur = 0;

	*bare_r = false;
	if (msg == NULL)
		return 0;   /* the test that composed it has failed */
	for (const char *c = msg; *c != '\0'; c++) {
		if (*c == '\r') {
			if (c[1] != '\n')
				*bare_r = true;
			continue;
		}
		if (*c == '\n') {
			if (c == msg || c[-1] != '\r')
				*bare_r = true;
			if (cur > longest)
				longest = cur;
			cur = 0;
			continue;
		}
		cur++;
	}
	return cur > longest ? cur : longest;
}

/* Header names in order, "Date,From,...". Allocated. */
static char *
t_header_names(const char *msg)
{
	char *h = t_headers(msg);
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	for (char *line = h; *line != '\0';) {
		char *eol = strstr(line, "\r\n");

		if (eol == NULL)
			break;
		if (line[0] != ' ' && line[0] != '\t') {
			const char *colon = memchr(line, ':', (size_t)(eol - line));

			if (b.len > 0)
				buf_putc(&b, ',');
			if (colon != NULL)
				buf_append(&b, line, (size_t)(colon - line));
			else
				buf_puts(&b, "?");
		}
		line = eol + 2;
	}
	free(h);
	return buf_steal(&b, NULL);
}

static void
test_parse_mailbox(void)
{
	static const struct {
		const char *in, *name, *addr;
		int ret;
	} cases[] = {
		{ "Customer Care <care@example.com>", "Customer Care", "care@example.com", 0 },
		{ "care@example.com", NULL, "care@example.com", 0 },
		{ "  <care@example.com>  ", NULL, "care@example.com", 0 },
		{ "\"Care, Team \\\"A\\\"\" <care@example.com>", "Care, Team \"A\"", "care@example.com", 0 },
		{ "Evil\r\nBcc: x@y.org <a@b.com>", "Evil Bcc: x@y.org", "a@b.com", 0 },
		{ "Kundendienst Müller <kd@example.de>", "Kundendienst Müller", "kd@example.de", 0 },
		{ "first.last+tag@sub.example.co.uk", NULL, "first.last+tag@sub.example.co.uk", 0 },
		{ "a b@example.com", NULL, NULL, -1 },
		{ "a\"b@example.com", NULL, NULL, -1 },
		{ "<a@b.com", NULL, NULL, -1 },
		{ "a@b.com>", NULL, NULL, -1 },
		{ "noatsign", NULL, NULL, -1 },
		{ "a@b.com\r\nBcc: x@y.com", NULL, NULL, -1 },
		{ "Name <a@b.com\r\nBcc: x@y.com>", NULL, NULL, -1 },
		{ "", NULL, NULL, -1 },
		{ "a@", NULL, NULL, -1 },
		{ "@b.com", NULL, NULL, -1 },
		{ "a@b..com", NULL, NULL, -1 },
		{ "a..b@b.com", NULL, NULL, -1 },
		{ "jürgen@example.de", NULL, NULL, -1 },
		{ "a@-b.com", NULL, NULL, -1 },
		{ "a@b.com\n", NULL, NULL, -1 },
		{ "x <a@b.com> <c@d.com>", NULL, NULL, -1 },
		{ "a(comment)@b.com", NULL, NULL, -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *name = NULL, *addr = NULL;
		int r = compose_parse_mailbox(cases[i].in, &name, &addr);

		is_int(r, cases[i].ret, "parse_mailbox #%zu result", i);
		if (cases[i].ret == 0) {
			if (cases[i].name == NULL)
				ok(name == NULL, "parse_mailbox #%zu: no name", i);
			else
				is_str(name, cases[i].name, "parse_mailbox #%zu name", i);
			is_str(addr, cases[i].addr, "parse_mailbox #%zu addr", i);
		} else {
			ok(name == NULL && addr == NULL, "parse_mailbox #%zu: nothing allocated", i);
		}
		free(name);
		free(addr);
	}
}

static void
test_date(void)
{
	struct buf b;

	buf_init(&b, 100);
	compose_date(0, &b);
	is_str(buf_str(&b), "Thu, 1 Jan 1970 00:00:00 +0000", "date of 0");
	buf_reset(&b);
	compose_date(1795451400, &b);
	is_str(buf_str(&b), "Mon, 23 Nov 2026 16:30:00 +0000", "date of 2026-11-23T16:30Z");
	buf_reset(&b);
	compose_date(951782400, &b);
	is_str(buf_str(&b), "Tue, 29 Feb 2000 00:00:00 +0000", "leap day");
	buf_free(&b);
}

static char *
t_rep(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_qp(void)
{
	char *a75 = t_rep('a', 75), *a76 = t_rep('a', 76), *a77 = t_rep('a', 77);
	char *a74 = t_rep('a', 74);
	char *in_76 = xasprintf("%s\n", a76), *out_76 = xasprintf("%s\r\n", a76);
	char *in_77 = xasprintf("%s\n", a77), *out_77 = xasprintf("%s=\r\naa\r\n", a75);
	char *in_u = xasprintf("%s\xc3\xa9\n", a74), *out_u = xasprintf("%s=\r\n=C3=A9\r\n", a74);
	char *in_dot = xasprintf("%s.b\n", a75), *out_dot = xasprintf("%s=\r\n=2Eb\r\n", a75);
	char *in_sp = xasprintf("%s \n", a75), *out_sp = xasprintf("%s=\r\n=20\r\n", a75);
	char *in_from = xasprintf("%sFrom here\n", a75),
	     *out_from = xasprintf("%s=\r\n=46rom here\r\n", a75);
	const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "hello\n", "hello\r\n" },
		{ "a=b\n", "a=3Db\r\n" },
		{ "trailing \n", "trailing=20\r\n" },
		{ "tab\t\n", "tab=09\r\n" },
		{ "mid space ok\n", "mid space ok\r\n" },
		{ "no newline", "no newline\r\n" },
		{ "crlf\r\nline\r\n", "crlf\r\nline\r\n" },
		{ "\n\n", "\r\n\r\n" },
		{ ".dot\n", "=2Edot\r\n" },
		{ "a\n.\nb\n", "a\r\n=2E\r\nb\r\n" },
		{ "From me\n", "=46rom me\r\n" },
		{ "Fromage\n", "Fromage\r\n" },
		{ "Gr\xc3\xbc\xc3\x9f" "e\n", "Gr=C3=BC=C3=9Fe\r\n" },
		{ "  \n", " =20\r\n" },
		{ "a\rb\n", "a=0Db\r\n" },
		{ "\x01\x7f\n", "=01=7F\r\n" },
		{ "{{customer_name}}\n", "{{customer_name}}\r\n" },
		{ in_76, out_76 },
		{ in_77, out_77 },
		{ in_u, out_u },
		{ in_dot, out_dot },
		{ in_sp, out_sp },
		{ in_from, out_from },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, BUF_NO_LIMIT);
		compose_qp(cases[i].in, strlen(cases[i].in), &b);
		is_str(buf_str(&b), cases[i].out, "qp #%zu", i);
		buf_free(&b);
	}
	free(a74); free(a75); free(a76); free(a77);
	free(in_76); free(out_76); free(in_77); free(out_77); free(in_u); free(out_u);
	free(in_dot); free(out_dot); free(in_sp); free(out_sp); free(in_from); free(out_from);
}

/* Exact Subject: lines for a few subjects (folds included). */
static void
test_subject_exact(void)
{
	static const struct {
		const char *subject, *header;
	} cases[] = {
		{ "Plain ASCII subject", "Subject: Plain ASCII subject\r\n" },
		{ "  spaced \t out\r\n  ", "Subject: spaced out\r\n" },
		{ "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln",
		  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?UTF-8?Q?K=C3=B6ln?=\r\n" },
		{ "Caf\xc3\xa9 cr\xc3\xa8me",
		  "Subject: =?UTF-8?Q?Caf=C3=A9_cr=C3=A8me?=\r\n" },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		  "Subject: =?UTF-8?B?5pel5pys6Kqe?=\r\n" },
		{ "literal =?UTF-8?Q?x?= text",
		  "Subject: literal =?UTF-8?Q?=3D=3FUTF-8=3FQ=3Fx=3F=3D?= text\r\n" },
		{ "Hi\r\nBcc: victim@example.org", "Subject: Hi Bcc: victim@example.org\r\n" },
		{ "[case 000123] We're sorry - we have your message: Mug arrived broken - order 48213",
		  "Subject: [case 000123] We're sorry - we have your message: Mug arrived broken\r\n"
		  " - order 48213\r\n" },
		{ "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
		  "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
		  "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4",
		  "Subject: =?UTF-8?B?w6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOk?=\r\n"
		  " =?UTF-8?B?w6TDpMOkw6TDpMOkw6TDpMOk?=\r\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct compose_input in = t_input();
		char *msg, *h, *line;

		in.subject = cases[i].subject;
		msg = t_compose(&in, NULL);
		h = t_headers(msg);
		line = strstr(h, "Subject:");
		if (line != NULL)
			*strstr(line, "\r\nMessage-ID:") = '\0';
		{
			char *want = xstrndup(cases[i].header, strlen(cases[i].header) - 2);

			is_str(line, want, "subject #%zu encoded", i);
			free(want);
		}
		free(h);
		free(msg);
	}
}

/* A message must have these, in this order, and nothing else. */
static const char t_all_headers[] =
	"Date,From,To,Subject,Message-ID,In-Reply-To,References,Auto-Submitted,"
	"X-Auto-Response-Suppress,X-Loop,MIME-Version,Content-Type,"
	"Content-Transfer-Encoding";

static void
test_headers(void)
{
	struct compose_input in = t_input();
	char *msg = t_compose(&in, NULL), *v, *names;
	bool bare;

	ok(msg != NULL, "basic message composes");
	names = t_header_names(msg);
	is_str(names, t_all_headers, "every header present, in order");
	free(names);
	is_str(msg,
	       "Date: Mon, 23 Nov 2026 16:30:00 +0000\r\n"
	       "From: Customer Care <care@example.com>\r\n"
	       "To: Jane Doe <jane@example.net>\r\n"
	       "Subject: [case 000123] We're sorry\r\n"
	       "Message-ID: <case-000123.x1@example.com>\r\n"
	       "In-Reply-To: <mid2@example.net>\r\n"
	       "References: <root@example.net> <mid1@example.net> <mid2@example.net>\r\n"
	       "Auto-Submitted: auto-replied\r\n"
	       "X-Auto-Response-Suppress: All\r\n"
	       "X-Loop: care@example.com\r\n"
	       "MIME-Version: 1.0\r\n"
	       "Content-Type: text/plain; charset=UTF-8\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n"
	       "\r\n"
	       "Hello Jane,\r\n"
	       "\r\n"
	       "Thank you.\r\n", "the whole message, exactly");
	t_lines(msg, &bare);
	ok(!bare, "CRLF only");
	free(msg);

	/* Without the optional inputs the optional headers go. */
	in.in_reply_to = NULL;
	in.n_references = 0;
	in.auto_submitted = NULL;
	in.x_loop = NULL;
	in.to_name = NULL;
	msg = t_compose(&in, NULL);
	names = t_header_names(msg);
	is_str(names, "Date,From,To,Subject,Message-ID,X-Auto-Response-Suppress,"
	       "MIME-Version,Content-Type,Content-Transfer-Encoding",
	       "optional headers left out");
	v = t_header(msg, "To");
	is_str(v, "jane@example.net", "To without a name is the bare address");
	free(v);
	free(names);
	free(msg);

	/* The References of a long thread: root and the last ones, folded. */
	{
		const char *refs[30];
		char *ids[30];
		size_t longest;

		for (int i = 0; i < 30; i++) {
			ids[i] = xasprintf("message-%02d.some-long-id-part@mail.example.net", i);
			refs[i] = ids[i];
		}
		in = t_input();
		in.references = refs;
		in.n_references = 30;
		in.in_reply_to = "last@example.net";
		msg = t_compose(&in, NULL);
		v = t_header(msg, "References");
		ok(v != NULL && strncmp(v, "<message-00.", 12) == 0, "References keep the root");
		ok(v != NULL && strstr(v, "<message-11.") == NULL &&
		   strstr(v, "<message-12.") != NULL, "References drop the middle");
		ok(v != NULL && strlen(v) > 18 &&
		   strcmp(v + strlen(v) - 18, "<last@example.net>") == 0,
		   "References end with the customer's Message-ID");
		{
			size_t n = 0;

			for (const char *c = v; c != NULL && (c = strchr(c, '<')) != NULL; c++)
				n++;
			is_int((long long)n, COMPOSE_MAX_REFERENCES, "References cut to the cap");
		}
		longest = t_lines(msg, &bare);
		ok(longest <= 78, "References folded at 78 (longest %zu)", longest);
		free(v);
		free(msg);
		for (int i = 0; i < 30; i++)
			free(ids[i]);
	}

	/* in_reply_to already last in references: not repeated. */
	{
		const char *refs[] = { "a@x.org", "b@x.org" };

		in = t_input();
		in.references = refs;
		in.n_references = 2;
		in.in_reply_to = "<b@x.org>";
		msg = t_compose(&in, NULL);
		v = t_header(msg, "References");
		is_str(v, "<a@x.org> <b@x.org>", "In-Reply-To already in References");
		free(v);
		v = t_header(msg, "In-Reply-To");
		is_str(v, "<b@x.org>", "In-Reply-To given with <> is written once");
		free(v);
		free(msg);
	}

	/* An empty body still gives a blank line after the headers and one line. */
	in = t_input();
	in.body = "";
	msg = t_compose(&in, NULL);
	ok(msg != NULL && strlen(msg) > 4 &&
	   strcmp(msg + strlen(msg) - 4, "\r\n\r\n") == 0, "empty body");
	free(msg);
}

static void
test_refusals(void)
{
	static const struct {
		const char *field, *value, *error;
	} cases[] = {
		{ "from", "Care <care@example.com>\r\nBcc: x@y.org", "From: \"Care <care@example.com>??Bcc: x@y.org\" is not acceptable" },
		{ "from", "not an address", "From: \"not an address\" is not acceptable" },
		{ "to", "jane@example.net\r\nBcc: victim@example.org", "To: \"jane@example.net??Bcc: victim@example.org\" is not acceptable" },
		{ "to", "Jane <jane@example.net>", "To: \"Jane <jane@example.net>\" is not acceptable" },
		{ "to", "", "To: \"\" is not acceptable" },
		{ "x_loop", "care@example.com\nX: y", "X-Loop: \"care@example.com?X: y\" is not acceptable" },
		{ "mid", "no-at-sign", "Message-ID: \"no-at-sign\" is not acceptable" },
		{ "mid", "a@b\r\nBcc: x@y.org", "Message-ID: \"a@b??Bcc: x@y.org\" is not acceptable" },
		{ "auto", "auto-replied\r\nBcc: x@y.org", "Auto-Submitted: \"auto-replied??Bcc: x@y.org\" is not acceptable" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct compose_input in = t_input();
		char *err = NULL, *msg;

		if (strcmp(cases[i].field, "from") == 0)
			in.from = cases[i].value;
		else if (strcmp(cases[i].field, "to") == 0)
			in.to_addr = cases[i].value;
		else if (strcmp(cases[i].field, "x_loop") == 0)
			in.x_loop = cases[i].value;
		else if (strcmp(cases[i].field, "mid") == 0)
			in.message_id = cases[i].value;
		else
			in.auto_submitted = cases[i].value;
		msg = t_compose(&in, &err);
		ok(msg == NULL, "refused #%zu (%s)", i, cases[i].field);
		is_str(err, cases[i].error, "refusal #%zu message", i);
		free(err);
		free(msg);
	}
	{
		struct compose_input in = t_input();
		char *big = t_rep('x', COMPOSE_MAX_BODY + 1), *err = NULL, *msg;

		in.body = big;
		msg = t_compose(&in, &err);
		ok(msg == NULL, "a body over the cap is refused");
		is_str(err, "the body is larger than 1048576 bytes", "body cap message");
		free(err);
		free(msg);
		free(big);
	}
	{
		/* A small output cap: refused, not truncated silently. */
		struct compose_input in = t_input();
		struct buf b;
		char *err = NULL;

		buf_init(&b, 100);
		is_int(compose_message(&in, &b, &err), -1, "output cap reached is an error");
		ok(err != NULL && strstr(err, "does not fit") != NULL, "cap error says so");
		is_int((long long)b.len, 0, "nothing half-written");
		free(err);
		buf_free(&b);
	}
}

/* Header injection through every customer-controlled input. */
static void
test_injection(void)
{
	const char *evil_refs[] = { "ok@example.net", "bad@x\r\nBcc: v@example.org",
				    "sp ace@example.net", "<fine@example.net>" };
	struct compose_input in = t_input();
	char *msg, *names, *v;
	bool bare;

	in.subject = "Help\r\nBcc: victim@example.org\r\n\r\nInjected body";
	in.to_name = "Eve\r\nBcc: victim@example.org\n\rX-Evil: 1";
	in.in_reply_to = "x@y\r\nBcc: victim@example.org";
	in.references = evil_refs;
	in.n_references = 4;
	msg = t_compose(&in, NULL);
	ok(msg != NULL, "composes with hostile customer text");
	names = t_header_names(msg);
	is_str(names, "Date,From,To,Subject,Message-ID,References,Auto-Submitted,"
	       "X-Auto-Response-Suppress,X-Loop,MIME-Version,Content-Type,"
	       "Content-Transfer-Encoding", "no injected header; bad In-Reply-To dropped");
	free(names);
	v = t_header(msg, "Subject");
	is_str(v, "Help Bcc: victim@example.org Injected body", "subject flattened to one line");
	free(v);
	v = t_header(msg, "To");
	is_str(v, "\"Eve Bcc: victim@example.org X-Evil: 1\" <jane@example.net>",
	       "name flattened and quoted");
	free(v);
	v = t_header(msg, "References");
	is_str(v, "<ok@example.net> <fine@example.net>", "bad references dropped");
	free(v);
	t_lines(msg, &bare);
	ok(!bare, "no bare CR or LF");
	free(msg);

	/* Unicode line separators and C1 controls are not line ends either. */
	in = t_input();
	in.subject = "a\xe2\x80\xa8" "b\xc2\x85" "c\xe2\x80\xae" "d";
	msg = t_compose(&in, NULL);
	v = t_header(msg, "Subject");
	is_str(v, "a b cd", "U+2028, NEL as spaces, bidi override dropped");
	free(v);
	free(msg);

	/* Invalid UTF-8 becomes U+FFFD, encoded. */
	in.subject = "bad \xff byte";
	msg = t_compose(&in, NULL);
	v = t_header(msg, "Subject");
	is_str(v, "bad =?UTF-8?B?77+9?= byte", "invalid UTF-8 replaced");
	free(v);
	free(msg);
}

/*
 * Invisible characters (bidi controls, zero-width and other format
 * characters) never reach the Subject or the To name: each one between
 * "a" and "b" leaves "ab".
 */
static void
test_invisible(void)
{
	static const unsigned cps[] = {
		0x00ad, 0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180b,
		0x180e, 0x180f, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a,
		0x202b, 0x202c, 0x202d, 0x202e, 0x2060, 0x2061, 0x2064, 0x2066,
		0x2067, 0x2068, 0x2069, 0x206a, 0x206f, 0x3164, 0xfe00, 0xfe0f,
		0xfeff, 0xffa0, 0xfff0, 0x1bca0, 0x1d173, 0xe0001, 0xe0041,
		0xe007f,
	};
	/* Visible neighbours of those ranges stay. */
	static const unsigned kept[] = { 0x00ac, 0x061b, 0x200a, 0x2010, 0x2070, 0xfefe };

	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		struct compose_input in = t_input();
		char text[16], *msg, *v;
		size_t n = 0;

		text[n++] = 'a';
		n += utf8_put(text + n, cps[i]);
		text[n++] = 'b';
		text[n] = '\0';
		in.subject = text;
		in.to_name = text;
		msg = t_compose(&in, NULL);
		v = t_header(msg, "Subject");
		is_str(v, "ab", "U+%04X is not in the Subject", cps[i]);
		free(v);
		v = t_header(msg, "To");
		is_str(v, "ab <jane@example.net>", "U+%04X is not in the To name", cps[i]);
		free(v);
		free(msg);
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		char text[16], *e;
		size_t n = 0;

		text[n++] = 'a';
		n += utf8_put(text + n, kept[i]);
		text[n++] = 'b';
		text[n] = '\0';
		e = compose_echo(text, 10);
		is_str(e, text, "U+%04X is kept", kept[i]);
		free(e);
	}
}

/* What we echo of the customer's words is capped, at a character. */
static void
test_echo(void)
{
	char *big = t_rep('x', 64 * 1024), *e, *msg, *v;
	struct compose_input in = t_input();

	e = compose_echo(NULL, 10);
	ok(e == NULL, "echo of nothing is nothing");
	e = compose_echo("Jane Doe", 64);
	is_str(e, "Jane Doe", "a short name is echoed whole");
	free(e);
	e = compose_echo("  Jane \r\n Doe\xe2\x80\x8b ", 64);
	is_str(e, "Jane Doe", "echo is cleaned like a header");
	free(e);
	e = compose_echo("abcdefghij", 10);
	is_str(e, "abcdefghij", "exactly the cap: not cut");
	free(e);
	e = compose_echo("abcdefghijk", 10);
	is_str(e, "abcdefghi\xe2\x80\xa6", "one over the cap: 9 characters and an ellipsis");
	free(e);
	e = compose_echo("abcd efghijk", 6);
	is_str(e, "abcd\xe2\x80\xa6", "no space before the ellipsis");
	free(e);
	/* Cut between characters, never inside one: 12 three-byte characters. */
	e = compose_echo("\xe6\xb3\xa8\xe6\x96\x87\xe3\x81\x97\xe3\x81\x9f\xe5\x95\x86"
			 "\xe5\x93\x81\xe3\x81\x8c\xe5\xa3\x8a\xe3\x82\x8c\xe3\x81\xa6"
			 "\xe5\xb1\x8a\xe3\x81\x8d", 5);
	is_str(e, "\xe6\xb3\xa8\xe6\x96\x87\xe3\x81\x97\xe3\x81\x9f\xe2\x80\xa6",
	       "CJK cut at the fifth character");
	free(e);
	e = compose_echo(big, COMPOSE_ECHO_NAME);
	ok(strlen(e) == COMPOSE_ECHO_NAME - 1 + 3, "a 64 KiB name echoes as 64 characters (%zu bytes)",
	   strlen(e));
	free(e);

	/* The To name of a composed message is capped the same way. */
	in.to_name = big;
	msg = t_compose(&in, NULL);
	ok(msg != NULL, "composes with a 64 KiB name");
	v = msg != NULL ? t_header(msg, "To") : NULL;
	ok(v != NULL && strlen(v) < 200, "the To header is short (%zu bytes)",
	   v != NULL ? strlen(v) : 0);
	ok(v != NULL && strstr(v, "=?UTF-8?") != NULL, "with the ellipsis encoded");
	free(v);
	ok(msg != NULL && strlen(msg) < 2048, "the whole message is small (%zu bytes)",
	   msg != NULL ? strlen(msg) : 0);
	free(msg);
	free(big);
}

/* Lines stay short for long subjects and names; words stay within 75. */
static void
test_folding(void)
{
	static const char *const subjects[] = {
		"Die Lieferung ist kaputt angekommen und das ärgert mich wirklich sehr, weil es schon das zweite Mal ist – Bestellung 48213 – bitte um Rückruf",
		"注文した商品が壊れて届きました。交換または返金をお願いします。注文番号は48213です。よろしくお願いします。",
		"Ça ne va pas du tout: j'ai reçu une tasse cassée, et personne ne répond à mes e-mails depuis une semaine",
		"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
	};

	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		struct compose_input in = t_input();
		char *msg, *h;
		size_t longest, longest_word = 0;
		bool bare;

		in.subject = subjects[i];
		in.to_name = subjects[i];
		msg = t_compose(&in, NULL);
		h = t_headers(msg);
		longest = t_lines(h, &bare);
		ok(longest <= 78, "folding #%zu: header lines <= 78 (longest %zu)", i, longest);
		for (const char *w = h; (w = strstr(w, "=?UTF-8?")) != NULL;) {
			const char *e = strstr(w + 10, "?=");
			size_t wl = e != NULL ? (size_t)(e + 2 - w) : 999;

			if (wl > longest_word)
				longest_word = wl;
			w = e != NULL ? e + 2 : w + 8;
		}
		ok(longest_word > 0 && longest_word <= 75,
		   "folding #%zu: encoded words <= 75 (longest %zu)", i, longest_word);
		free(h);
		free(msg);
	}
	{
		/* A single 950-octet word cannot fold, but stays under 998. */
		struct compose_input in = t_input();
		char *w = t_rep('x', 950), *msg;
		size_t longest;
		bool bare;

		in.subject = w;
		msg = t_compose(&in, NULL);
		longest = t_lines(msg, &bare);
		ok(longest <= 998, "an unbreakable word stays under 998 (%zu)", longest);
		free(msg);
		free(w);
	}
}

/* Decodes the Subject, To display name and body with libetpan. */
static int
t_etpan_decode(const char *msg, char **subject_r, char **name_r, char **body_r)
{
	struct mailmime *mime = NULL;
	struct mailimf_single_fields sf;
	struct mailmime_data *data;
	size_t idx = 0, dlen = 0;
	char *decoded = NULL;
	int r;

	*subject_r = *name_r = *body_r = NULL;
	r = mailmime_parse(msg, strlen(msg), &idx, &mime);
	if (r != MAILIMF_NO_ERROR)
		return -1;
	mailimf_single_fields_init(&sf, mime->mm_data.mm_message.mm_fields);
	if (sf.fld_subject != NULL) {
		idx = 0;
		mailmime_encoded_phrase_parse("utf-8", sf.fld_subject->sbj_value,
					      strlen(sf.fld_subject->sbj_value), &idx,
					      "utf-8", subject_r);
	}
	if (sf.fld_to != NULL && sf.fld_to->to_addr_list != NULL) {
		struct mailimf_address *a =
			clist_content(clist_begin(sf.fld_to->to_addr_list->ad_list));

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX &&
		    a->ad_data.ad_mailbox->mb_display_name != NULL) {
			const char *dn = a->ad_data.ad_mailbox->mb_display_name;

			idx = 0;
			mailmime_encoded_phrase_parse("utf-8", dn, strlen(dn), &idx, "utf-8",
						      name_r);
		}
	}
	data = mime->mm_data.mm_message.mm_msg_mime->mm_data.mm_single;
	idx = 0;
	if (mailmime_part_parse(data->dt_data.dt_text.dt_data, data->dt_data.dt_text.dt_length,
				&idx, data->dt_encoding, &decoded, &dlen) == MAILIMF_NO_ERROR) {
		*body_r = xstrndup(decoded, dlen);
		mailmime_decoded_part_free(decoded);
	}
	mailmime_free(mime);
	return 0;
}

/* The body with CRLF as LF, for comparing with what went in. */
static char *
t_lf(const char *s)
{
	char *r = xstrdup(s != NULL ? s : ""), *o = r;

	for (const char *c = r; *c != '\0'; c++)
		if (!(c[0] == '\r' && c[1] == '\n'))
			*o++ = *c;
	*o = '\0';
	return r;
}

static void
test_roundtrip(void)
{
	static const struct {
		const char *subject, *name, *body;
	} cases[] = {
		{ "[case 000123] We're sorry - we have your message", "Jane Doe",
		  "Hello Jane,\n\nThank you.\n" },
		{ "[case 000124] Grüße aus Köln – Lieferung", "Jürgen Müller",
		  "Hallo Jürgen,\n\nEs tut uns leid = wirklich.\n.\nFrom now on\ntrailing  \n" },
		{ "注文した商品が壊れて届きました。交換または返金をお願いします。注文番号は48213です。",
		  "山田 太郎", "山田様\n\nご迷惑をおかけして申し訳ございません。\n" },
		{ "Ça ne va pas du tout: j'ai reçu une tasse cassée, et personne ne répond à mes e-mails depuis une semaine",
		  "Élodie \"Lodi\" Dupré-Lefèvre",
		  "Bonjour Élodie,\n\nNous sommes désolés.\n\tindented\n" },
		{ "😀 emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 subject", "Smith, John (ACME)",
		  "A very long line that goes past the seventy-six character limit of quoted printable, with ümlauts ünd = signs everywhere to make it wrap in odd places.\n" },
		{ "{{customer_name}} {{#if resolved}}", "{{customer_name}}",
		  "{{customer_name}}\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct compose_input in = t_input();
		char *msg, *subject = NULL, *name = NULL, *body = NULL, *body_lf;

		in.subject = cases[i].subject;
		in.to_name = cases[i].name;
		in.body = cases[i].body;
		msg = t_compose(&in, NULL);
		if (!ok(msg != NULL && t_etpan_decode(msg, &subject, &name, &body) == 0,
			"roundtrip #%zu parses", i)) {
			free(msg);
			continue;
		}
		is_str(subject, cases[i].subject, "roundtrip #%zu subject", i);
		is_str(name, cases[i].name, "roundtrip #%zu display name", i);
		body_lf = t_lf(body);
		is_str(body_lf, cases[i].body, "roundtrip #%zu body", i);
		free(body_lf);
		free(subject);
		free(name);
		free(body);
		free(msg);
	}
}

/* Random bytes in every customer field: the invariants hold. */
static void
test_random(void)
{
	uint32_t seed = 12345;
	int bad = 0;

	for (int round = 0; round < 2000; round++) {
		char subject[200], name[120];
		struct compose_input in = t_input();
		char *msg, *names;
		size_t longest;
		bool bare;

		for (size_t i = 0; i < sizeof(subject) - 1; i++) {
			seed = seed * 1103515245 + 12345;
			subject[i] = (char)((seed >> 16) & 0xff);
			if (subject[i] == '\0')
				subject[i] = '\n';
		}
		subject[sizeof(subject) - 1] = '\0';
		for (size_t i = 0; i < sizeof(name) - 1; i++) {
			seed = seed * 1103515245 + 12345;
			name[i] = (char)((seed >> 16) & 0xff);
			if (name[i] == '\0')
				name[i] = '\r';
		}
		name[sizeof(name) - 1] = '\0';
		in.subject = subject;
		in.to_name = name;
		in.body = subject;
		msg = t_compose(&in, NULL);
		if (msg == NULL) {
			bad++;
			continue;
		}
		names = t_header_names(msg);
		longest = t_lines(msg, &bare);
		if (strcmp(names, t_all_headers) != 0 || bare || longest > 78)
			bad++;
		free(names);
		free(msg);
	}
	is_int(bad, 0, "2000 random subjects and names: headers intact, CRLF, lines <= 78");
}

int
main(void)
{
	test_parse_mailbox();
	test_date();
	test_qp();
	test_subject_exact();
	test_headers();
	test_refusals();
	test_injection();
	test_invisible();
	test_echo();
	test_folding();
	test_roundtrip();
	test_random();
	return tap_exit();
}
