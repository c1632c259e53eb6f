/*
 * t_message - unit tests for message parsing (src/mail/message.c, charset.c,
 * html.c): header fields, encoded words, charsets, transfer encodings,
 * HTML, MIME structure, limits and hostile input, fresh text, fingerprint.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "mail/charset.h"
#include "mail/message.h"
#include "tap.h"
#include "base/xmem.h"

#define NUL_S(s) ((s) != NULL ? (s) : "(null)")

static const struct message_limits lim = { 1u << 20, 10, 100 };

static struct message *
parse(const char *raw)
{
	return message_parse(raw, strlen(raw), &lim);
}

/* ------------------------------------------------------------------ */

struct hcase {
	const char *desc;
	const char *raw;
	const char *subject;
	const char *from_name;
	const char *from_addr;
	const char *text;        /* NULL: not checked */
};

static const struct hcase hcases[] = {
	{ "plain LF message",
	  "From: John Doe <john@example.com>\nSubject: Hello\n\nBody here.\n",
	  "Hello", "John Doe", "john@example.com", "Body here." },
	{ "CRLF line ends",
	  "From: John Doe <john@example.com>\r\nSubject: Hello\r\n\r\nLine 1\r\nLine 2\r\n",
	  "Hello", "John Doe", "john@example.com", "Line 1\nLine 2" },
	{ "mbox From line skipped",
	  "From john@example.com Mon Jan  1 10:00:00 2024\nFrom: a@example.com\nSubject: S\n\nx\n",
	  "S", "(null)", "a@example.com", "x" },
	{ "quoted display name with comma",
	  "From: \"Doe, John\" <john@example.com>\nSubject: x\n\n.\n",
	  "x", "Doe, John", "john@example.com", NULL },
	{ "old style name in a comment",
	  "From: john@example.com (John Doe)\n\n.\n",
	  "", "John Doe", "john@example.com", NULL },
	{ "bare words before an address",
	  "From: John Doe john@example.com\n\n.\n",
	  "", "John Doe", "john@example.com", NULL },
	{ "Q encoded subject, two charsets, space between words dropped",
	  "Subject: =?UTF-8?Q?Caf=C3=A9?= =?ISO-8859-1?Q?_na=EFve?=\n\n.\n",
	  "Caf\xc3\xa9 na\xc3\xafve", "(null)", "(null)", NULL },
	{ "B encoded words split inside a UTF-8 character",
	  "Subject: =?UTF-8?B?ww==?= =?UTF-8?B?qQ==?= ok\n\n.\n",
	  "\xc3\xa9 ok", "(null)", "(null)", NULL },
	{ "KOI8-R and ISO-8859-2 words",
	  "Subject: =?KOI8-R?B?8NLJ18XU?= =?iso-8859-2?q?=B9?=\n\n.\n",
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\xc5\xa1", "(null)", "(null)", NULL },
	{ "ISO-2022-JP B word",
	  "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=\n\n.\n",
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d",
	  "(null)", "(null)", NULL },
	{ "text between encoded words kept",
	  "Subject: =?utf-8?q?a?= b =?utf-8?q?c?=\n\n.\n",
	  "a b c", "(null)", "(null)", NULL },
	{ "encoded word inside quotes in a display name",
	  "From: \"=?utf-8?Q?J=C3=BCrgen_M=C3=BCller?=\" <jm@example.de>\n\n.\n",
	  "", "J\xc3\xbcrgen M\xc3\xbcller", "jm@example.de", NULL },
	{ "encoded display name without quotes",
	  "From: =?iso-8859-1?q?Andr=E9?= <andre@example.fr>\n\n.\n",
	  "", "Andr\xc3\xa9", "andre@example.fr", NULL },
	{ "raw latin-1 header bytes",
	  "Subject: Caf\xe9 cr\xe8me\n\n.\n",
	  "Caf\xc3\xa9 cr\xc3\xa8me", "(null)", "(null)", NULL },
	{ "raw UTF-8 header bytes (RFC 6532)",
	  "From: J\xc3\xb6hn <j\xc3\xb6@example.com>\nSubject: S\xc3\xa4ying\n\n.\n",
	  "S\xc3\xa4ying", "J\xc3\xb6hn", "j\xc3\xb6@example.com", NULL },
	{ "raw 8-bit header in the body's charset",
	  "Subject: \xa4\xa4\xa4\xe5\nContent-Type: text/plain; charset=big5\n\n.\n",
	  "\xe4\xb8\xad\xe6\x96\x87", "(null)", "(null)", NULL },
	{ "folded subject unfolded, control characters dropped",
	  "Subject: one\n two\x01\tthree\n\n.\n",
	  "one two three", "(null)", "(null)", NULL },
	{ "unknown encoded-word charset falls back",
	  "Subject: =?x-nonsense?Q?caf=E9?=\n\n.\n",
	  "caf\xc3\xa9", "(null)", "(null)", NULL },
	{ "no From, no Message-ID: still parsed",
	  "Subject: orphan\n\nhello\n",
	  "orphan", "(null)", "(null)", "hello" },
	{ "From without an address",
	  "From: MAILER DAEMON <>\n\n.\n",
	  "", "MAILER DAEMON", "(null)", NULL },
	{ "obsolete route in an address",
	  "From: Mary Smith <@relay.example:mary@example.net>\n\n.\n",
	  "", "Mary Smith", "mary@example.net", NULL },
	{ "comments everywhere (RFC 2822 A.5)",
	  "From: Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>\n\n.\n",
	  "", "Pete", "pete@silly.test", NULL },
};

static void
test_headers_table(void)
{
	for (size_t i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		const struct hcase *c = &hcases[i];
		struct message *m = parse(c->raw);

		is_str(NUL_S(m->problem), "(null)", "%s: not held", c->desc);
		is_str(m->subject, c->subject, "%s: subject", c->desc);
		is_str(NUL_S(m->from.name), c->from_name, "%s: from name", c->desc);
		is_str(NUL_S(m->from.addr), c->from_addr, "%s: from addr", c->desc);
		if (c->text != NULL)
			is_str(m->text, c->text, "%s: text", c->desc);
		message_free(&m);
		ok(m == NULL, "%s: message_free NULLs the pointer", c->desc);
	}
}

static void
test_fields(void)
{
	const char *raw =
		"Return-Path: <>\n"
		"Received: from mx.example.com by us\n"
		"\twith ESMTP; Mon, 1 Jan 2024 10:00:00 +0000\n"
		"From: Ann Customer <ann@example.com>\n"
		"Reply-To: Ann at Home <ann@home.example>\n"
		"To: Care <care@shop.example>, bob@example.com,\n"
		"  \"Team: Sales\" <sales@shop.example>\n"
		"To: undisclosed-recipients:;\n"
		"Subject: =?utf-8?q?Broken_order?=\n"
		"Date: Mon, 1 Jan 2024 10:00:00 +0130\n"
		"Message-ID: <abc.123@mail.example.com>\n"
		"In-Reply-To: <x1@shop.example>\n"
		"References: <x0@shop.example>\n"
		"   <x1@shop.example> junk <x2@shop.example>\n"
		"Auto-Submitted: auto-replied\n"
		"X-Loop:   care@shop.example  \n"
		"X-Auto-Response-Suppress: All\n"
		"List-Id: =?utf-8?q?Caf=C3=A9?= list <cafe.lists.example>\n"
		"\n"
		"Hello.\n";
	struct message *m = parse(raw);

	is_str(NUL_S(m->problem), "(null)", "fields: not held");
	is_str(NUL_S(m->return_path), "", "Return-Path <> is \"\"");
	is_str(NUL_S(m->reply_to.name), "Ann at Home", "Reply-To name");
	is_str(NUL_S(m->reply_to.addr), "ann@home.example", "Reply-To addr");
	is_int((long long)m->n_to, 3, "three To addresses over two To headers");
	if (m->n_to == 3) {
		is_str(NUL_S(m->to[0].name), "Care", "To[0] name");
		is_str(NUL_S(m->to[0].addr), "care@shop.example", "To[0] addr");
		is_str(NUL_S(m->to[1].name), "(null)", "To[1] has no name");
		is_str(NUL_S(m->to[1].addr), "bob@example.com", "To[1] addr");
		is_str(NUL_S(m->to[2].name), "Team: Sales", "To[2] quoted name with colon");
		is_str(NUL_S(m->to[2].addr), "sales@shop.example", "To[2] addr, folded");
	} else {
		skip(6, "To count wrong");
	}
	is_int((long long)m->date, 1704097800LL, "Date with a +01:30 zone");
	is_str(NUL_S(m->message_id), "abc.123@mail.example.com", "Message-ID without <>");
	is_int((long long)m->n_in_reply_to, 1, "one In-Reply-To");
	if (m->n_in_reply_to == 1)
		is_str(m->in_reply_to[0], "x1@shop.example", "In-Reply-To value");
	else
		skip(1, "no In-Reply-To");
	is_int((long long)m->n_references, 3, "three References, junk ignored");
	if (m->n_references == 3) {
		is_str(m->references[0], "x0@shop.example", "References[0]");
		is_str(m->references[2], "x2@shop.example", "References[2]");
	} else {
		skip(2, "References count wrong");
	}
	is_int((long long)m->n_headers, 15, "every top-level header kept");
	if (m->n_headers == 15) {
		is_str(m->headers[0].name, "Return-Path", "header names as written");
		is_str(m->headers[1].value,
		       "from mx.example.com by us with ESMTP; Mon, 1 Jan 2024 10:00:00 +0000",
		       "continuation lines unfolded");
	} else {
		skip(2, "header count wrong");
	}
	is_str(NUL_S(message_header(m, "auto-submitted")), "auto-replied",
	       "message_header is case-insensitive");
	is_str(NUL_S(message_header(m, "X-Loop")), "care@shop.example", "value trimmed");
	is_str(NUL_S(message_header(m, "X-Auto-Response-Suppress")), "All", "X-Auto-Response-Suppress");
	is_str(NUL_S(message_header(m, "List-Id")), "Caf\xc3\xa9 list <cafe.lists.example>",
	       "encoded words decoded in header values");
	is_str(NUL_S(message_header(m, "Precedence")), "(null)", "absent header is NULL");
	is_str(m->subject, "Broken order", "subject underscore is a space");
	is_str(m->content_type, "text/plain", "default content type");
	is_str(NUL_S(m->report_type), "(null)", "no report type");
	is_str(m->text, "Hello.", "text");
	message_free(&m);

	m = parse("Return-Path: <Bounce@Example.com>\nFrom: a@b.example\n\n.\n");
	is_str(NUL_S(m->return_path), "Bounce@Example.com", "Return-Path address");
	is_str(NUL_S(m->message_id), "(null)", "no Message-ID is NULL");
	is_int((long long)m->date, 0, "no Date is 0");
	message_free(&m);
	m = parse("From: a@b.example\nDate: yesterday-ish\n\n.\n");
	is_str(NUL_S(m->return_path), "(null)", "no Return-Path is NULL");
	is_int((long long)m->date, 0, "unreadable Date is 0");
	is_str(NUL_S(m->problem), "(null)", "unreadable Date is no problem");
	message_free(&m);
}

/* ------------------------------------------------------------------ */

struct bcase {
	const char *desc;
	const char *raw;
	const char *text;
	bool from_html;
};

static const struct bcase bcases[] = {
	{ "quoted-printable latin-1",
	  "Content-Type: text/plain; charset=iso-8859-1\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n"
	  "Caf=E9 au lait, soft=\n break.\n",
	  "Caf\xc3\xa9 au lait, soft break.", false },
	{ "windows-1252 quotes and euro",
	  "Content-Type: text/plain; charset=windows-1252\n\n"
	  "\x93quoted\x94 \x80" "5\n",
	  "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac" "5", false },
	{ "latin-1 label read as windows-1252",
	  "Content-Type: text/plain; charset=\"ISO-8859-1\"\n\nit\x92s\n",
	  "it\xe2\x80\x99s", false },
	{ "base64 UTF-8",
	  "Content-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "SGVsbG8gd8O2cmxkIQ==\n",
	  "Hello w\xc3\xb6rld!", false },
	{ "Shift_JIS",
	  "Content-Type: text/plain; charset=Shift_JIS\n"
	  "Content-Transfer-Encoding: 8bit\n\n"
	  "\x82\xa8\x96\xe2\x82\xa2\x8d\x87\x82\xed\x82\xb9\n",
	  "\xe3\x81\x8a\xe5\x95\x8f\xe3\x81\x84\xe5\x90\x88\xe3\x82\x8f\xe3\x81\x9b", false },
	{ "ISO-2022-JP",
	  "Content-Type: text/plain; charset=iso-2022-jp\n"
	  "Content-Transfer-Encoding: 7bit\n\n"
	  "\x1b$B$9$_$^$;$s!#\x1b(B\n",
	  "\xe3\x81\x99\xe3\x81\xbf\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93\xe3\x80\x82", false },
	{ "invalid UTF-8 replaced",
	  "Content-Type: text/plain; charset=utf-8\n\na\xff" "b\xc3(c\xed\xa0\x80" "d\n",
	  "a\xef\xbf\xbd" "b\xef\xbf\xbd(c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d", false },
	{ "no charset, valid UTF-8 kept",
	  "Content-Transfer-Encoding: 8bit\n\nna\xc3\xafve\n",
	  "na\xc3\xafve", false },
	{ "no charset, 8-bit read as windows-1252",
	  "Content-Transfer-Encoding: 8bit\n\nna\xefve \x80\n",
	  "na\xc3\xafve \xe2\x82\xac", false },
	{ "us-ascii declared on 8-bit UTF-8",
	  "Content-Type: text/plain; charset=us-ascii\n\n\xc3\xa9t\xc3\xa9\n",
	  "\xc3\xa9t\xc3\xa9", false },
	{ "unknown charset falls back to windows-1252",
	  "Content-Type: text/plain; charset=x-no-such-thing\n\ncaf\xe9\n",
	  "caf\xc3\xa9", false },
	{ "broken transfer encoding name",
	  "Content-Type: text/plain\nContent-Transfer-Encoding: x-base64-ish\n\naGk=\n",
	  "hi", false },
	{ "unknown transfer encoding kept as is",
	  "Content-Type: text/plain\nContent-Transfer-Encoding: 7-bit\n\nplain words\n",
	  "plain words", false },
	{ "CR and control characters stripped, tab kept",
	  "Content-Type: text/plain\n\nA\r\nB\x07\tC\x1b\x7f\r\n\r\n\r\n",
	  "A\nB\tC", false },
	{ "HTML only: script/style/title dropped, blocks, entities",
	  "Content-Type: text/html; charset=utf-8\n\n"
	  "<html><head><title>Title</title><style>p { color: red }</style></head>\n"
	  "<body><p>Hello&nbsp;&amp;   welcome</p><script type=\"text/javascript\">"
	  "alert('<p>no</p>')</script><div>Line&#160;2<br>Line 3 &#x20AC;&euro;"
	  " &lt;tag&gt; &#8217;&#146;</div><!-- <p>hidden</p> -->"
	  "<ul><li>one</li><li>two</li></ul>caf&eacute; &unknown; a&b</body></html>\n",
	  "Hello & welcome\n\nLine 2\nLine 3 \xe2\x82\xac\xe2\x82\xac <tag> "
	  "\xe2\x80\x99\xe2\x80\x99\n\n- one\n- two\n\ncaf\xc3\xa9 &unknown; a&b",
	  true },
	{ "HTML blockquote becomes quoted lines",
	  "Content-Type: text/html\n\n<p>Yes.</p><blockquote>old<br>text</blockquote>",
	  "Yes.\n\n> old\n> text", true },
	{ "multipart/alternative prefers text/plain",
	  "Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
	  "--b1\nContent-Type: text/html\n\n<p>html version</p>\n"
	  "--b1\nContent-Type: text/plain\n\nplain version\n"
	  "--b1--\n",
	  "plain version", false },
	{ "blank text/plain gives way to HTML",
	  "Content-Type: multipart/alternative; boundary=b1\n\n"
	  "--b1\nContent-Type: text/plain\n\n \n"
	  "--b1\nContent-Type: text/html\n\n<b>bold</b> words\n"
	  "--b1--\n",
	  "bold words", true },
	{ "attachment text/plain skipped",
	  "Content-Type: multipart/mixed; boundary=b1\n\n"
	  "--b1\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nattached\n"
	  "--b1\nContent-Type: text/plain\n\nbody text\n"
	  "--b1--\n",
	  "body text", false },
	{ "own text wins over an attached message",
	  "Content-Type: multipart/mixed; boundary=b1\n\n"
	  "--b1\nContent-Type: message/rfc822\n\nFrom: x@y\nSubject: inner\n\ninner text\n"
	  "--b1\nContent-Type: text/plain\n\nouter text\n"
	  "--b1--\n",
	  "outer text", false },
	{ "attached message's text when it is the only text",
	  "Content-Type: multipart/mixed; boundary=b1\n\n"
	  "--b1\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0K\n"
	  "--b1\nContent-Type: message/rfc822\n\nFrom: x@y\nSubject: inner\n\ninner text\n"
	  "--b1--\n",
	  "inner text", false },
	{ "libetpan drops a multipart with an empty part: our scan finds the text",
	  "Content-Type: multipart/mixed; boundary=b1\n\n"
	  "--b1\nContent-Type: text/plain; charset=iso-8859-1\n"
	  "Content-Transfer-Encoding: quoted-printable\n\nd=E9j=E0 vu\n"
	  "--b1\n\n"
	  "--b1--\n",
	  "d\xc3\xa9j\xc3\xa0 vu", false },
	{ "header line libetpan cannot parse does not swallow the body",
	  "From: a@b.example\nTo:A Group(Some people)\n     :Chris <c@a.test>;\n"
	  "Content-Type: text/plain\n\nreal body\n",
	  "real body", false },
};

static void
test_bodies(void)
{
	for (size_t i = 0; i < sizeof(bcases) / sizeof(bcases[0]); i++) {
		const struct bcase *c = &bcases[i];
		struct message *m = parse(c->raw);

		is_str(NUL_S(m->problem), "(null)", "%s: not held", c->desc);
		is_str(m->text, c->text, "%s: text", c->desc);
		is_int((long long)m->text_len, (long long)strlen(c->text), "%s: text_len", c->desc);
		ok(m->text_from_html == c->from_html, "%s: text_from_html", c->desc);
		message_free(&m);
	}
}

static void
test_report_and_files(void)
{
	struct message *m = parse(
		"From: MAILER-DAEMON@mx.example\n"
		"Content-Type: multipart/report; report-type=Delivery-Status;\n"
		"  boundary=\"rep\"\n\n"
		"--rep\nContent-Type: text/plain\n\nDelivery failed.\n"
		"--rep\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
		"Final-Recipient: rfc822; x@y\nAction: failed\n"
		"--rep\nContent-Type: message/rfc822\n\nFrom: care@shop.example\nSubject: ack\n\nour ack\n"
		"--rep--\n");

	is_str(NUL_S(m->problem), "(null)", "report: parsed");
	is_str(NUL_S(m->report_type), "delivery-status", "report_type, lower case");
	is_str(m->content_type, "multipart/report", "content_type");
	is_str(m->text, "Delivery failed.", "report: human-readable part is the text");
	message_free(&m);

	m = parse("Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n"
		  "--b\n\nread\n--b--\n");
	is_str(NUL_S(m->report_type), "disposition-notification", "MDN report type");
	is_str(m->text, "read", "part without headers is text/plain");
	message_free(&m);

	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
		  "--b\nContent-Type: text/plain\n\nsee attached\n"
		  "--b\nContent-Type: application/pdf\n"
		  "Content-Disposition: attachment;\n filename*=UTF-8''%E2%82%AC%20rates.pdf\n\nJVBERi0=\n"
		  "--b\nContent-Type: application/octet-stream\n"
		  "Content-Disposition: attachment; filename*0*=utf-8''caf%C3%A9;\n filename*1=\".txt\"\n\nx\n"
		  "--b\nContent-Type: application/octet-stream; name=\"=?utf-8?Q?r=C3=A9sum=C3=A9.doc?=\"\n\nx\n"
		  "--b--\n");
	is_str(m->text, "see attached", "text beside attachments");
	is_int((long long)m->n_filenames, 3, "three attachment names");
	if (m->n_filenames == 3) {
		is_str(m->filenames[0], "\xe2\x82\xac rates.pdf", "RFC 2231 filename*=");
		is_str(m->filenames[1], "caf\xc3\xa9.txt", "RFC 2231 continuations");
		is_str(m->filenames[2], "r\xc3\xa9sum\xc3\xa9.doc", "RFC 2047 in a quoted name");
	} else {
		skip(3, "filename count wrong");
	}
	message_free(&m);
}

/* ------------------------------------------------------------------ */

static char *
nested(unsigned depth, unsigned parts_per_level)
{
	struct buf_like {
		char *d;
		size_t n, cap;
	} b = { NULL, 0, 0 };
	char line[200];

#define PUT(...) do { \
		int k_ = snprintf(line, sizeof(line), __VA_ARGS__); \
		b.d = xgrow(b.d, &b.cap, b.n + (size_t)k_ + 1, 1); \
		memcpy(b.d + b.n, line, (size_t)k_ + 1); \
		b.n += (size_t)k_; \
	} while (0)
	PUT("From: a@b.example\nSubject: deep\n");
	for (unsigned i = 0; i < depth; i++) {
		PUT("Content-Type: multipart/mixed; boundary=\"lvl%u\"\n\n", i);
		for (unsigned p = 1; p < parts_per_level; p++)
			PUT("--lvl%u\nContent-Type: text/plain\n\npart %u.%u\n", i, i, p);
		PUT("--lvl%u\n", i);
	}
	PUT("Content-Type: text/plain\n\ninnermost\n");
	for (unsigned i = depth; i > 0; i--)
		PUT("--lvl%u--\n", i - 1);
#undef PUT
	return b.d;
}

static void
test_limits(void)
{
	struct message_limits small = { 100, 3, 5 };
	struct message *m;
	char *raw, *big;

	m = parse("From: a@b\nContent-Type: multipart/mixed; boundary=\"\\\"\"\n\n--\"\nx\n--\"--\n");
	is_str(NUL_S(m->problem), "MIME boundary with a backslash or unbalanced quote",
	       "boundary=\"\\\"\" is held, not parsed");
	is_str(NUL_S(m->from.addr), "a@b", "held message still has its headers");
	message_free(&m);
	m = parse("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n");
	is_str(NUL_S(m->problem), "empty MIME boundary", "empty boundary held");
	message_free(&m);
	m = parse("Content-Type: multipart/mixed; boundary=a\"b\n\n--a\n");
	is_str(NUL_S(m->problem), "MIME boundary with a quote or backslash", "quote in a token boundary held");
	message_free(&m);
	m = parse("Content-Type: multipart/mixed;\n boundary=1234567890123456789012345678901234567890"
		  "12345678901234567890123456789012\n\nx\n");
	is_str(NUL_S(m->problem), "MIME boundary longer than 70 characters", "71-character boundary held");
	message_free(&m);
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		  "Content-Type: multipart/alternative; boundary=\"\\\"\"\n\n--b--\n");
	is_str(NUL_S(m->problem), "MIME boundary with a backslash or unbalanced quote",
	       "bad boundary in a nested part held");
	message_free(&m);

	raw = xmalloc(201);
	memset(raw, 'x', 200);
	memcpy(raw, "Subject: big\n\n", 14);
	raw[200] = '\0';
	m = message_parse(raw, 200, &small);
	is_str(NUL_S(m->problem), "message larger than 100 bytes", "size limit");
	is_str(m->subject, "", "too large: not parsed at all");
	is_str(m->text, "", "too large: empty text");
	message_free(&m);
	free(raw);

	raw = nested(5, 1);
	small.max_size = 1 << 20;
	m = message_parse(raw, strlen(raw), &small);
	is_str(NUL_S(m->problem), "MIME nesting deeper than 3 levels", "depth limit");
	is_str(m->subject, "deep", "deep message keeps its subject");
	message_free(&m);
	m = message_parse(raw, strlen(raw), &lim);
	is_str(NUL_S(m->problem), "(null)", "depth 5 within a limit of 10");
	is_str(m->text, "innermost", "innermost text found");
	message_free(&m);
	free(raw);

	raw = nested(1, 8);
	m = message_parse(raw, strlen(raw), &small);
	is_str(NUL_S(m->problem), "more than 5 MIME parts", "part limit");
	message_free(&m);
	free(raw);

	/* A million-deep comment crashes libetpan's recursive parser. */
	big = xmalloc(300010);
	memcpy(big, "From: ", 6);
	memset(big + 6, '(', 300000);
	memcpy(big + 300006, "\n\n.\n", 4);
	m = message_parse(big, 300010, &lim);
	is_str(NUL_S(m->problem), "header comments nested more than 1000 deep",
	       "deep comment nesting held");
	message_free(&m);
	free(big);

	m = message_parse(NULL, 0, &lim);
	ok(m != NULL && m->problem == NULL, "NULL input: empty message, not NULL");
	is_str(m->subject, "", "empty message: subject \"\"");
	message_free(&m);
	m = message_parse("x", 1, NULL);
	ok(m != NULL, "NULL limits use defaults");
	message_free(&m);
}

/* Cc is read like To; Authentication-Results are kept as written. */
static void
test_cc_and_authres(void)
{
	struct message *m = parse(
		"Authentication-Results: mx.example.com;\n\tspf=pass"
		" smtp.mailfrom==?utf-8?q?x=3B_dkim=3Dpass?=@evil.example\n"
		"From: a@example.net\n"
		"Authentication-Results: second\n"
		"To: Care <care@example.com>\n"
		"Cc: =?utf-8?q?Ana_L=C3=B3pez?= <ana@example.net>, bob@example.org\n"
		"Cc: carol@example.org\n\n.\n");

	is_int((long long)m->n_cc, 3, "three Cc addresses over two Cc headers");
	is_str(m->n_cc > 0 ? NUL_S(m->cc[0].name) : "", "Ana L\xc3\xb3pez", "Cc name decoded");
	is_str(m->n_cc > 2 ? NUL_S(m->cc[2].addr) : "", "carol@example.org", "second Cc header");
	is_int((long long)m->n_to, 1, "To apart");
	is_int((long long)m->n_auth_results, 2, "two Authentication-Results");
	is_str(m->n_auth_results > 0 ? m->auth_results[0] : "",
	       "mx.example.com; spf=pass smtp.mailfrom==?utf-8?q?x=3B_dkim=3Dpass?=@evil.example",
	       "kept unfolded but not decoded");
	is_str(m->n_auth_results > 1 ? m->auth_results[1] : "", "second", "in order");
	message_free(&m);
}

/*
 * Decoding work is bounded.  A conversion through iconv costs tens of
 * microseconds whatever its length, so a subject of encoded words that
 * alternate between charsets cost 7 s per 2.5 MB: the count of those
 * conversions per message is capped, and what is left over stays as
 * written.  The bound is checked by counting the conversions, not by
 * timing them.
 */
static void
test_decode_work(void)
{
	static const char *const cs[] = { "koi8-r", "iso-8859-5", "iso-8859-2",
					   "windows-1251", "iso-8859-7" };
	struct message_limits big = { 25u << 20, 10, 100 };
	struct buf b;
	struct message *m;
	char *raw;
	size_t words = 20000;

	/* An ordinary subject in two charsets: decoded, each word counted. */
	m = parse("Subject: =?KOI8-R?B?8NLJ18XU?= =?iso-8859-2?q?=B9?= =?utf-8?q?ok?=\n\n.\n");
	is_str(m->subject, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\xc5\xa1ok",
	       "mixed charsets decode");
	is_int(m->encoded_words, 6, "3 words, read for the subject and for the header list");
	is_int(m->conversions, 4, "2 iconv conversions each time (UTF-8 is read by hand)");
	ok(!m->decode_capped, "an ordinary message is not capped");
	message_free(&m);

	/* Adjacent words in one charset are converted together. */
	m = parse("Subject: =?koi8-r?q?=F0?= =?koi8-r?q?=D2?= =?koi8-r?q?=C9?=\n\n.\n");
	is_str(m->subject, "\xd0\x9f\xd1\x80\xd0\xb8", "three adjacent koi8-r words");
	is_int(m->conversions, 2, "one conversion per reading");
	message_free(&m);

	/* 300 recipients with names in KOI8-R: every name is read. */
	buf_init(&b, BUF_NO_LIMIT);
	buf_puts(&b, "From: a@example.net\nTo: ");
	for (int i = 0; i < 300; i++)
		buf_printf(&b, "%s=?koi8-r?q?=F0=D2=C9?= <r%d@example.net>", i > 0 ? ",\n " : "", i);
	buf_puts(&b, "\nSubject: =?koi8-r?q?=F0?=\n\n.\n");
	m = message_parse(b.data, b.len, &big);
	is_int((long long)m->n_to, 300, "300 recipients");
	ok(m->n_to == 300 && strcmp(NUL_S(m->to[299].name), "\xd0\x9f\xd1\x80\xd0\xb8") == 0,
	   "the last name is decoded");
	ok(!m->decode_capped, "300 names are within the budget (%u conversions)", m->conversions);
	message_free(&m);
	buf_free(&b);

	/* The hostile subject: 20,000 words, the charset changing each time. */
	buf_init(&b, BUF_NO_LIMIT);
	buf_puts(&b, "From: a@example.net\nSubject:");
	for (size_t i = 0; i < words; i++)
		buf_printf(&b, " =?%s?Q?a=E9?=", cs[i % 5]);
	buf_puts(&b, "\nContent-Type: text/plain; charset=koi8-r\n\nhello\n");
	raw = buf_steal(&b, NULL);
	m = message_parse(raw, strlen(raw), &big);
	ok(m->problem == NULL, "the message is read");
	ok(m->conversions <= MESSAGE_MAX_CONVERSIONS, "at most %d conversions (%u; 80,000 unbounded)",
	   MESSAGE_MAX_CONVERSIONS, m->conversions);
	ok(m->decode_capped, "the budget ran out");
	ok(strncmp(m->subject, "a\xd0\x98" "a", 4) == 0, "the first words are decoded");
	ok(strstr(m->subject, "=?windows-1251?Q?a=E9?=") != NULL,
	   "words past the budget are left as written");
	ok(utf8_valid(m->subject, strlen(m->subject)), "the subject is valid UTF-8");
	ok(strcmp(NUL_S(m->from.addr), "a@example.net") == 0, "From is read");
	message_free(&m);
	free(raw);

	/* Raw 8-bit bytes between words, in the body's (iconv) charset. */
	buf_init(&b, BUF_NO_LIMIT);
	buf_puts(&b, "Subject:");
	for (size_t i = 0; i < words; i++)
		buf_puts(&b, " =?utf-8?q?a?= \xf0\xd2");
	buf_puts(&b, "\nContent-Type: text/plain; charset=koi8-r\n\nhello\n");
	raw = buf_steal(&b, NULL);
	m = message_parse(raw, strlen(raw), &big);
	ok(m->conversions <= MESSAGE_MAX_CONVERSIONS, "raw bytes: at most %d conversions (%u)",
	   MESSAGE_MAX_CONVERSIONS, m->conversions);
	ok(strncmp(m->subject, "a \xd0\x9f\xd1\x80", 6) == 0, "raw koi8-r bytes read as koi8-r");
	ok(utf8_valid(m->subject, strlen(m->subject)), "and the rest is valid UTF-8");
	message_free(&m);
	free(raw);
}

/* Random damage to a real-looking message: nothing crashes, all UTF-8. */
static void
test_mutations(void)
{
	static const char seed[] =
		"From: =?utf-8?q?Ann?= <ann@example.com>\r\n"
		"Subject: =?iso-8859-1?B?Q2Fm6Q==?=\r\n"
		"Content-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n"
		"--xyz\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n"
		"--b2\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nH=C3=A9llo (there)\r\n"
		"--b2\r\nContent-Type: text/html\r\n\r\n<p>H&eacute;llo</p>\r\n--b2--\r\n"
		"--xyz\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y\r\n\r\ninner\r\n"
		"--xyz--\r\n";
	const char alphabet[] = "-\"\\()<>=?;:\r\n \x80\xff\xc3" "abz";
	unsigned long state = 12345;
	size_t n = sizeof(seed) - 1;
	int bad = 0, held = 0;
	char *buf = xmalloc(n + 1);

	for (int iter = 0; iter < 3000; iter++) {
		struct message *m;

		memcpy(buf, seed, n);
		for (int k = 0; k < 1 + iter % 6; k++) {
			state = state * 6364136223846793005UL + 1442695040888963407UL;
			buf[(state >> 33) % n] = alphabet[(state >> 17) % (sizeof(alphabet) - 1)];
		}
		m = message_parse(buf, n, &lim);
		if (m->problem != NULL)
			held++;
		if (!utf8_valid(m->subject, strlen(m->subject)) ||
		    !utf8_valid(m->text, m->text_len) || strlen(m->text) != m->text_len ||
		    strchr(m->subject, '\r') != NULL || strchr(m->subject, '\n') != NULL ||
		    strchr(m->text, '\r') != NULL)
			bad++;
		for (size_t h = 0; h < m->n_headers; h++)
			if (!utf8_valid(m->headers[h].value, strlen(m->headers[h].value)) ||
			    strpbrk(m->headers[h].value, "\r\n\t") != NULL)
				bad++;
		message_free(&m);
	}
	free(buf);
	is_int(bad, 0, "3000 damaged messages: all strings valid UTF-8 without CR/LF");
	diag("damaged messages held: %d of 3000", held);
}

/* ------------------------------------------------------------------ */

struct fcase {
	const char *desc;
	const char *text;
	const char *fresh;
};

static const struct fcase fcases[] = {
	{ "no quotes: unchanged", "Line one\nLine two", "Line one\nLine two" },
	{ "> lines dropped", "Thanks!\n\n> old\n> older\n", "Thanks!" },
	{ "On ... wrote: block",
	  "New text\n\nOn Mon, 1 Jan 2024 at 10:00, Bob <b@x.example> wrote:\n> quoted\n>\n> more\n",
	  "New text" },
	{ "attribution wrapped over two lines",
	  "Hi there\nOn Mon, 1 Jan 2024 at 10:00, Bob Smith <\nbob@example.com> wrote:\n\n> q\n",
	  "Hi there" },
	{ "inline answers kept",
	  "> question one\nanswer one\n> question two\nanswer two\n",
	  "answer one\nanswer two" },
	{ "Original Message and all after",
	  "Reply here\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold text\n",
	  "Reply here" },
	{ "spaced Original Message marker",
	  "Reply\n----- Original Message -----\nold\n", "Reply" },
	{ "Outlook header block",
	  "My answer\n\n________________________________\nFrom: Care <care@shop.example>\n"
	  "Sent: Monday, 1 January 2024 10:00\nTo: Ann\nSubject: RE: order\n\nWe are sorry\n",
	  "My answer\n\n________________________________" },
	{ "signature after dash dash space",
	  "Body text\n\n-- \nBob\nCEO, Example Ltd\n", "Body text" },
	{ "German attribution",
	  "Danke\n\nAm 01.01.2024 um 10:00 schrieb Bob <b@x.example>:\n> alt\n", "Danke" },
	{ "an On-sentence that is not an attribution stays",
	  "On Monday the parcel arrived broken.\nPlease help.", "On Monday the parcel arrived broken.\nPlease help." },
	{ "everything quoted: empty", "> all\n> quoted\n", "" },
};

static void
test_fresh_text(void)
{
	for (size_t i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		char *f = message_fresh_text(fcases[i].text, strlen(fcases[i].text));

		is_str(f, fcases[i].fresh, "fresh text: %s", fcases[i].desc);
		free(f);
	}
}

static void
test_fingerprint(void)
{
	const char *lf =
		"From: Ann <ann@example.com>\nSubject: Broken\nMessage-ID: <m1@example.com>\n\n"
		"My order arrived broken.\n";
	const char *crlf =
		"From: Ann <ann@example.com>\r\nSubject: Broken\r\nMessage-ID: <m1@example.com>\r\n\r\n"
		"My order arrived broken.\r\n";
	const char *redelivered =
		"From MAILER-DAEMON Mon Jan  1 10:00:00 2024\n"
		"Return-Path: <ann@example.com>\n"
		"Delivered-To: care@shop.example\n"
		"X-Original-To: care@shop.example\n"
		"Received: from mx2.example.com by shop.example\n"
		"\twith ESMTP id 42; Mon, 1 Jan 2024 10:00:00 +0000\n"
		"From: Ann <ann@example.com>\n"
		"received: (qmail 1 invoked); 1 Jan 2024\n"
		"Subject: Broken\n"
		"X-Envelope-From: <ann@example.com>\n"
		"X-Redress-Source: imap\n"
		"Message-ID: <m1@example.com>\n\n"
		"My order arrived broken.\n\n";
	const char *changed =
		"From: Ann <ann@example.com>\nSubject: Broken\nMessage-ID: <m1@example.com>\n\n"
		"My order arrived broken!\n";
	const char *other_hdr =
		"From: Ann <ann@example.com>\nSubject: Broken\nMessage-ID: <m1@example.com>\nX-Mailer: y\n\n"
		"My order arrived broken.\n";
	char a[65], b[65], c[65], d[65], e[65];
	size_t hex = 0;

	message_fingerprint(lf, strlen(lf), a);
	message_fingerprint(crlf, strlen(crlf), b);
	message_fingerprint(redelivered, strlen(redelivered), c);
	message_fingerprint(changed, strlen(changed), d);
	message_fingerprint(other_hdr, strlen(other_hdr), e);
	for (size_t i = 0; i < 64; i++)
		hex += (a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f');
	is_int((long long)hex, 64, "fingerprint is 64 hex digits");
	is_int((long long)strlen(a), 64, "and a NUL");
	is_str(b, a, "CRLF and LF copies have the same fingerprint");
	is_str(c, a, "re-delivery with trace headers and mbox line: same fingerprint");
	ok(strcmp(d, a) != 0, "changed body: different fingerprint");
	ok(strcmp(e, a) != 0, "added non-trace header: different fingerprint");
	/* Known value: SHA-256 of the normalised bytes. */
	message_fingerprint("a\r\nb", 4, a);
	is_str(a, "7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78",
	       "fingerprint of \"a\\nb\"");
}

int
main(void)
{
	test_headers_table();
	test_fields();
	test_bodies();
	test_report_and_files();
	test_limits();
	test_decode_work();
	test_cc_and_authres();
	test_mutations();
	test_fresh_text();
	test_fingerprint();
	return tap_exit();
}
