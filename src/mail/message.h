/*
 * message - reading one raw RFC 5322 message into what redress needs.
 *
 * message_parse never fails outright: hostile or broken input yields a
 * struct message with as much as could be read and `problem` set to the
 * reason the message must be held.  Limits (size, MIME depth, part count)
 * are checked, and dangerous constructs screened, before libetpan's MIME
 * parser sees the bytes (doc/libraries.md: a 150-byte boundary crashes it, and
 * deep nesting is quadratic).
 *
 * Every string in struct message is owned by it, NUL-terminated, valid
 * UTF-8 and free of CR, LF and other control characters except in `text`
 * (which keeps LF line ends and tabs).  message_free releases it all.
 */
#ifndef REDRESS_MESSAGE_H
#define REDRESS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct message_limits {
	size_t max_size;       /* bytes; larger input is held, not parsed */
	unsigned max_depth;    /* MIME nesting */
	unsigned max_parts;    /* MIME parts in all */
};

struct message_address {
	char *name;            /* display name, decoded; NULL if none */
	char *addr;            /* "local@domain" as parsed; NULL if none */
};

struct message_header {
	char *name;            /* as written, e.g. "Auto-Submitted" */
	char *value;           /* unfolded, RFC 2047 decoded, trimmed */
};

struct message {
	char *message_id;      /* without <>; NULL if absent */
	char *subject;         /* decoded; "" if absent */
	struct message_address from;
	struct message_address reply_to;   /* both NULL if absent */
	struct message_address *to;
	size_t n_to;
	struct message_address *cc;        /* Cc, read like To */
	size_t n_cc;
	char *return_path;     /* address in Return-Path: NULL absent, "" for <> */
	time_t date;           /* 0 if absent or unreadable */
	char **in_reply_to;    /* message ids without <> */
	size_t n_in_reply_to;
	char **references;
	size_t n_references;
	struct message_header *headers;    /* top-level headers, in order */
	size_t n_headers;
	char *content_type;    /* top-level "type/subtype", lower case */
	char *report_type;     /* report-type of a multipart/report, lower case */
	char *text;            /* the body as text; LF line ends */
	size_t text_len;
	bool text_from_html;   /* there was no text/plain: text is from HTML */
	char *problem;         /* NULL: parsed; else why the message is held */
	/* Added by the message module (beyond the first agreed interface): */
	char **filenames;      /* attachment file names, decoded (RFC 2231/2047) */
	size_t n_filenames;
	/* Authentication-Results values, top to bottom, unfolded and cleaned
	 * of control characters but NOT decoded (authres.h); at most 64. */
	char **auth_results;
	size_t n_auth_results;
	/* The work spent decoding header text, which is bounded: at most
	 * MESSAGE_MAX_CONVERSIONS conversions through iconv per message
	 * (charset_costly); past that, encoded words in such charsets are
	 * left as written.  Everything else is linear in the input. */
	unsigned encoded_words;  /* RFC 2047 encoded words decoded */
	unsigned conversions;    /* conversions through iconv for header text */
	bool decode_capped;      /* some header text was left undecoded */
};

#define MESSAGE_MAX_CONVERSIONS 1000

/* Parses raw (len bytes, need not be NUL-terminated).  Never NULL. */
struct message *message_parse(const char *raw, size_t len,
			      const struct message_limits *lim);
/* The first header called name (case-insensitive), or NULL. */
const char *message_header(const struct message *m, const char *name);
/*
 * The customer's new words: text without quoted replies ("> " lines,
 * "On ... wrote:" blocks, Outlook's "-----Original Message-----"), and
 * without a signature after "-- ".  Allocated; the caller frees.
 */
char *message_fresh_text(const char *text, size_t len);
/*
 * A hex SHA-256 of the message for duplicate detection: the raw bytes with
 * line ends made LF, a leading mbox "From " line and trace headers that a
 * re-delivery changes (Received, Return-Path, Delivered-To, X-Original-To,
 * Envelope-To, X-Envelope-*) left out.  out gets 64 hex digits and a NUL.
 */
void message_fingerprint(const char *raw, size_t len, char out[65]);
void message_free(struct message **m);

#endif
