/*
 * message_fingerprint - what makes two deliveries of a message the same:
 * a hex SHA-256 of its bytes with line ends made LF, a leading mbox
 * "From " line and the trace headers that a re-delivery changes left out
 * (message.h; doc/design.md, "Duplicates").  Part of the message module;
 * a plain byte and line scanner, independent of the parser.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/charset.h"
#include "mail/html.h"
#include "mail/message.h"
#include "mail/message_int.h"

static bool
message_fingerprint_is_trace_header(const char *name, size_t n)
{
	static const char *const trace[] = {
		"Received", "Return-Path", "Delivered-To", "X-Original-To",
		"Envelope-To", NULL,
	};

	for (size_t i = 0; trace[i] != NULL; i++)
		if (n == strlen(trace[i]) && strncasecmp(name, trace[i], n) == 0)
			return true;
	return message_ci_prefix(name, n, "X-Envelope-") || message_ci_prefix(name, n, "X-Redress-");
}

struct hasher {
	gnutls_hash_hd_t h;
	char buf[65536];
	size_t n;
};

static void
message_fingerprint_hasher_add(struct hasher *hs, const char *s, size_t n)
{
	/* CRLF becomes LF; a CR elsewhere stays. */
	for (size_t i = 0; i < n;) {
		const char *cr = memchr(s + i, '\r', n - i);
		size_t run = cr != NULL ? (size_t)(cr - s) - i : n - i;

		while (run > 0) {
			size_t take = sizeof(hs->buf) - hs->n < run ? sizeof(hs->buf) - hs->n : run;

			memcpy(hs->buf + hs->n, s + i, take);
			hs->n += take;
			i += take;
			run -= take;
			if (hs->n == sizeof(hs->buf)) {
				gnutls_hash(hs->h, hs->buf, hs->n);
				hs->n = 0;
			}
		}
		if (cr == NULL)
			break;
		if (!(i + 1 < n && s[i + 1] == '\n')) {
			if (hs->n == sizeof(hs->buf)) {
				gnutls_hash(hs->h, hs->buf, hs->n);
				hs->n = 0;
			}
			hs->buf[hs->n++] = '\r';
		}
		i++;
	}
}

void
message_fingerprint(const char *raw, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct hasher *hs = xmalloc(sizeof(*hs));
	unsigned char digest[32];
	struct hdr_iter it;
	struct rawfield f;
	size_t start, prev;

	if (raw == NULL) {
		raw = "";
		len = 0;
	}
	start = message_skip_mbox_from(raw, len);
	raw += start;
	len -= start;
	/* Trailing line ends differ between mbox and single-file copies. */
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	hs->n = 0;
	if (gnutls_hash_init(&hs->h, GNUTLS_DIG_SHA256) < 0) {
		/* Cannot happen with a working GnuTLS; fall back to one call. */
		gnutls_hash_fast(GNUTLS_DIG_SHA256, raw, len, digest);
		goto hex_out;
	}
	message_hdr_init(&it, raw, len);
	prev = 0;
	while (message_hdr_next(&it, &f)) {
		size_t fstart = (size_t)(f.name - raw);

		if (message_fingerprint_is_trace_header(f.name, f.name_len)) {
			message_fingerprint_hasher_add(hs, raw + prev, fstart - prev);
			prev = it.pos;
		}
	}
	message_fingerprint_hasher_add(hs, raw + prev, len - prev);
	if (hs->n > 0)
		gnutls_hash(hs->h, hs->buf, hs->n);
	gnutls_hash_deinit(hs->h, digest);
hex_out:
	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
	free(hs);
}
