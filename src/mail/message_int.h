/*
 * message_int - what the files of the message module share: its limits,
 * the reading of raw header blocks, the Content-Type it reads itself, the
 * walk over libetpan's MIME tree, and the functions each file offers the
 * others.  Not for other modules: they see message.h.
 */
#ifndef REDRESS_MAIL_MESSAGE_INT_H
#define REDRESS_MAIL_MESSAGE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libetpan/libetpan.h>

#include "base/buf.h"
#include "mail/message.h"

#define MESSAGE_DEFAULT_MAX_SIZE (25u * 1024 * 1024)
#define MESSAGE_DEFAULT_MAX_DEPTH 20u
#define MESSAGE_DEFAULT_MAX_PARTS 1000u
/* Deepest parenthesis nesting in a header line that libetpan may see. */
#define MESSAGE_MAX_COMMENT_DEPTH 1000
/* Container Content-Types in one message, whatever the configuration. */
#define MESSAGE_MAX_CONTAINERS 2000u
/* RFC 2046: a boundary is 1 to 70 characters. */
#define MESSAGE_MAX_BOUNDARY 70
/* Message ids kept from one In-Reply-To or References header. */
#define MESSAGE_MAX_IDS 1000
/* Recipients kept from To. */
#define MESSAGE_MAX_TO 1000
/* Authentication-Results fields kept (the topmost ones). */
#define MESSAGE_MAX_AUTH_RESULTS 64
/* Longest charset name in an encoded word. */
#define MESSAGE_MAX_CHARSET 78

/*
 * The work spent on one message's header text, counted while it is read
 * (message_parse resets it and copies it into struct message).  A
 * conversion through iconv costs 30 to 40 microseconds whatever its
 * length (glibc opens the converter's module each time), so a subject of
 * 110,000 encoded words alternating between charsets cost 7 s.  Only
 * MESSAGE_MAX_CONVERSIONS such conversions are made per message; after
 * that an encoded word in such a charset is left as written, and raw
 * 8-bit bytes are read as UTF-8 or windows-1252.  Everything else that
 * decoding does is linear in the length of the header.
 */
struct message_work {
	unsigned words;        /* encoded words decoded */
	unsigned conversions;  /* conversions through iconv */
	bool capped;           /* the budget ran out */
};
extern _Thread_local struct message_work message_work;

struct rawfield {
	const char *name;
	size_t name_len;
	const char *value;     /* after the colon, folds included */
	size_t value_len;
};

struct hdr_iter {
	const char *s;
	size_t len;
	size_t pos;
	bool done;
	size_t body;           /* where the body starts, once done */
};

enum ct_kind { CT_OTHER, CT_MULTIPART, CT_MESSAGE };

struct ctinfo {
	enum ct_kind kind;
	int text;              /* 0 plain, 1 html, 2 enriched, -1 not text */
	bool digest;
	bool rfc822;
	char boundary[MESSAGE_MAX_BOUNDARY + 1];
	size_t blen;
};

struct limits {
	size_t max_size;
	unsigned max_depth;
	unsigned max_parts;
};

struct scan_frame {
	char boundary[MESSAGE_MAX_BOUNDARY + 1];
	size_t blen;           /* 0: an attached message, no boundary */
	bool digest;
};

/* A leaf part found by the scan: used when libetpan gives up. */
struct scan_leaf {
	size_t start, end;     /* the body, before transfer decoding */
	int text;              /* as in struct ctinfo */
	bool attachment;
	bool inner;            /* inside an attached message */
	int encoding;          /* MAILMIME_MECHANISM_* */
	char charset[48];
};

struct scan {
	const char *s;
	size_t len;
	const struct limits *lim;
	struct scan_frame *frames;
	unsigned n;            /* frames in use = current depth */
	size_t parts;
	char *problem;
	bool record;           /* collect leaves */
	bool open;             /* the last leaf has no end yet */
	struct scan_leaf *leaves;
	size_t n_leaves, cap_leaves;
};

struct walk {
	const struct limits *lim;
	size_t parts;
	unsigned depth;
	struct mailmime *plain[2], *html[2], *other[2];
	char *report_type;
	char **filenames;
	size_t n_filenames, cap_filenames;
};

/* message.c */
bool message_ci_prefix(const char *s, size_t n, const char *lit);
size_t message_clean_header(char *s, size_t len);
size_t message_clean_text(char *s, size_t len);
bool message_convert_allowed(const char *charset);
void message_hdr_init(struct hdr_iter *it, const char *s, size_t len);
bool message_hdr_next(struct hdr_iter *it, struct rawfield *f);
int message_hexval(int c);
bool message_is_wsp(char c);
size_t message_line_next(const char *s, size_t len, size_t i, size_t *content_end);
char *message_raw_header_utf8(const char *s, size_t len, size_t *out_len);
char *message_raw_to_clean(const char *s, size_t len);
size_t message_skip_mbox_from(const char *raw, size_t len);

/* rfc2047.c */
char *rfc2047_decode(const char *s, size_t len, size_t *out_len);
char *rfc2047_decode_clean(const char *s, size_t len);

/* message_screen.c */
char *message_screen(const char *s, size_t len, const struct limits *lim, unsigned *containers_r);
int message_screen_ct_param(const char *s, size_t len, const char *name, const char **v, size_t *vlen, bool *quoted);
bool message_screen_ct_read(const char *s, size_t len, struct ctinfo *ct);
void message_screen_scan_run(struct scan *sc);
size_t message_screen_skip_cfws(const char *s, size_t len, size_t i);
char *message_screen_structure(const char *s, size_t len, const struct limits *lim);

/* message_field.c */
void message_field_addresses(const char *v, size_t len, bool safe, struct message_address **list, size_t *n, size_t max);
char *message_field_clean_addr(const char *a);
char *message_field_clean_addr_n(const char *a, size_t n);
time_t message_field_date(const char *v, size_t len);
void message_field_ids(const char *v, size_t len, char ***ids, size_t *n);
void message_field_one_address(const char *v, size_t len, bool safe, struct message_address *a);
void message_field_strip_quotes(char *s);

/* message_body.c */
char *message_body_decode(const char *data, size_t len, int encoding, const char *charset, bool html, size_t *out_len);
bool message_body_pick_text(struct message *m, struct walk *w);
void message_body_scan_text(struct message *m, const char *raw, size_t len, const struct limits *lim);
int message_body_token_encoding(const char *tok);
void message_body_walk_mime(struct walk *w, struct mailmime *mm, int inner, unsigned depth);

#endif
