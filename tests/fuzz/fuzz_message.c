/*
 * fuzz_message - message_parse (and message_fresh_text,
 * message_fingerprint, message_header) on arbitrary bytes.
 *
 * Covers: the safety screen (boundaries, comment nesting, container
 * count), the structure pre-scan, our header splitter and RFC 2047
 * decoder, libetpan's mailimf and mailmime parsers behind them, transfer
 * decoding, charset conversion (charset.c), HTML to text (html.c), and the
 * quoted-text stripper.  Checks message.h's promises: every string valid
 * UTF-8 and, except the text, free of control characters; text_len is the
 * text's length; the fingerprint is 64 hex digits and does not change
 * when the message comes again with CRLF line ends or a Received header
 * in front (a re-delivery).  Inputs of odd length
 * are parsed a second time under tight limits (depth 3, 8 parts, size
 * len - 1) to exercise the refusals.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mail/message.h"

static void
check_str(const char *what, const char *s, bool may_be_null)
{
	if (s == NULL) {
		if (!may_be_null)
			fuzz_fail("message", "%s is NULL", what);
		return;
	}
	if (!fuzz_header_string_ok(s))
		fuzz_fail("message", "%s is not clean UTF-8: \"%.80s\"", what, s);
}

static void
check_message(const struct message *m)
{
	check_str("message_id", m->message_id, true);
	check_str("subject", m->subject, false);
	check_str("from.name", m->from.name, true);
	check_str("from.addr", m->from.addr, true);
	check_str("reply_to.name", m->reply_to.name, true);
	check_str("reply_to.addr", m->reply_to.addr, true);
	for (size_t i = 0; i < m->n_cc; i++) {
		check_str("cc.name", m->cc[i].name, true);
		check_str("cc.addr", m->cc[i].addr, true);
	}
	for (size_t i = 0; i < m->n_auth_results; i++)
		check_str("auth_results", m->auth_results[i], false);
	if (m->conversions > MESSAGE_MAX_CONVERSIONS)
		fuzz_fail("message", "%u iconv conversions, more than %d", m->conversions,
			  MESSAGE_MAX_CONVERSIONS);
	for (size_t i = 0; i < m->n_to; i++) {
		check_str("to.name", m->to[i].name, true);
		check_str("to.addr", m->to[i].addr, true);
	}
	check_str("return_path", m->return_path, true);
	for (size_t i = 0; i < m->n_in_reply_to; i++)
		check_str("in_reply_to", m->in_reply_to[i], false);
	for (size_t i = 0; i < m->n_references; i++)
		check_str("references", m->references[i], false);
	for (size_t i = 0; i < m->n_headers; i++) {
		check_str("header name", m->headers[i].name, false);
		check_str("header value", m->headers[i].value, false);
	}
	check_str("content_type", m->content_type, false);
	check_str("report_type", m->report_type, true);
	check_str("problem", m->problem, true);
	for (size_t i = 0; i < m->n_filenames; i++)
		check_str("filename", m->filenames[i], false);
	if (m->text == NULL) {
		fuzz_fail("message", "text is NULL");
		return;
	}
	if (strlen(m->text) != m->text_len)
		fuzz_fail("message", "text_len %zu but strlen %zu", m->text_len,
			  strlen(m->text));
	if (!fuzz_utf8_ok(m->text, m->text_len))
		fuzz_fail("message", "text is not valid UTF-8");
	for (size_t i = 0; i < m->text_len; i++) {
		unsigned char c = (unsigned char)m->text[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			fuzz_fail("message", "text has control character 0x%02x at %zu", c, i);
			break;
		}
	}
	{
		char *fresh = message_fresh_text(m->text, m->text_len);

		if (fresh == NULL)
			fuzz_fail("message", "message_fresh_text returned NULL");
		else if (!fuzz_utf8_ok(fresh, strlen(fresh)))
			fuzz_fail("message", "fresh text is not valid UTF-8");
		else if (strlen(fresh) > m->text_len)
			fuzz_fail("message", "fresh text longer than the text");
		free(fresh);
	}
	(void)message_header(m, "Auto-Submitted");
	(void)message_header(m, "");
}

/*
 * The fingerprint's promise: a re-delivery is recognised.  The same bytes
 * with CRLF line ends, or with a Received header put in front, must give
 * the same fingerprint.
 */
static void
check_redelivery(const char *raw, size_t len, const char *fp)
{
	static const char trace[] = "Received: from mx2.example.net by mail.example.com; "
				    "Mon, 23 Nov 2026 09:20:00 +0000\r\n";
	char fp2[65];
	char *copy;
	size_t o = 0;

	if (len >= 5 && memcmp(raw, "From ", 5) == 0)
		return;         /* an mbox separator must stay first */
	copy = malloc(2 * len + sizeof(trace));
	if (copy == NULL)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			copy[o++] = '\r';
		copy[o++] = raw[i];
	}
	message_fingerprint(copy, o, fp2);
	if (strcmp(fp, fp2) != 0)
		fuzz_fail("message", "CRLF line ends change the fingerprint");
	if (len == 0 || (raw[0] != ' ' && raw[0] != '\t')) {
		memcpy(copy, trace, sizeof(trace) - 1);
		memcpy(copy + sizeof(trace) - 1, raw, len);
		message_fingerprint(copy, sizeof(trace) - 1 + len, fp2);
		if (strcmp(fp, fp2) != 0)
			fuzz_fail("message", "a Received header in front changes the fingerprint");
	}
	free(copy);
}

int
fuzz_message_one(const uint8_t *data, size_t size)
{
	struct message_limits lim = { 25u * 1024 * 1024, 20, 1000 };
	struct message *m;
	char fp[65];

	m = message_parse((const char *)data, size, &lim);
	if (m == NULL) {
		fuzz_fail("message", "message_parse returned NULL");
		return 0;
	}
	check_message(m);
	message_free(&m);
	if (m != NULL)
		fuzz_fail("message", "message_free did not clear the pointer");

	if (size % 2 == 1) {
		struct message_limits tight = { size - 1, 3, 8 };

		m = message_parse((const char *)data, size, &tight);
		/* (max_size 0 means the default) */
		if (m->problem == NULL && size > 1)
			fuzz_fail("message", "a message over max_size was not held");
		check_message(m);
		message_free(&m);
		tight.max_size = size;
		m = message_parse((const char *)data, size, &tight);
		check_message(m);
		message_free(&m);
	}

	memset(fp, 'x', sizeof(fp));
	message_fingerprint((const char *)data, size, fp);
	if (fp[64] != '\0' || strspn(fp, "0123456789abcdef") != 64)
		fuzz_fail("message", "fingerprint is not 64 hex digits");
	check_redelivery((const char *)data, size, fp);
	return 0;
}

#ifdef REDRESS_LIBFUZZER
FUZZ_LIBFUZZER_ENTRY(fuzz_message_one)
#endif
