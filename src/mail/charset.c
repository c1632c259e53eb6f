/*
 * charset - bytes in some charset to valid UTF-8.  See charset.h.
 *
 * UTF-8 validation and windows-1252 are done here by hand because they are
 * the common cases and must be fast; everything else goes through
 * libetpan's charconv_buffer, whose output is validated again because it
 * is not trusted (a truncated sequence is dropped silently, and its
 * behaviour with broken input is not documented).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/charset.h"

/* windows-1252 0x80..0x9f; the five holes map to themselves as C1 codes. */
static const unsigned short cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

char *
charset_utf8_repair(const char *s, size_t len, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);

		if (n == 0) {
			o += utf8_put(out + o, 0xfffd);
			i++;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

char *
charset_cp1252(const char *s, size_t len, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c < 0x80)
			out[o++] = (char)c;
		else if (c < 0xa0)
			o += utf8_put(out + o, cp1252_high[c - 0x80]);
		else
			o += utf8_put(out + o, c);
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

enum charset_kind {
	CHARSET_GUESS,   /* none or meaningless: UTF-8 if valid, else cp1252 */
	CHARSET_UTF8,
	CHARSET_CP1252,
	CHARSET_ICONV,
};

struct charset_alias {
	const char *name;
	enum charset_kind kind;
	const char *iconv;  /* the name to give iconv, for CHARSET_ICONV */
};

/*
 * Names seen in real mail that mean something other than what iconv
 * would make of them, or that iconv does not know.  Looked up after
 * lower-casing.  The Windows supersets replace the ISO/EUC originals
 * because that is what the sending software really used.
 */
static const struct charset_alias charset_aliases[] = {
	{ "us-ascii", CHARSET_GUESS, NULL },
	{ "ascii", CHARSET_GUESS, NULL },
	{ "us_ascii", CHARSET_GUESS, NULL },
	{ "ansi_x3.4-1968", CHARSET_GUESS, NULL },
	{ "iso646-us", CHARSET_GUESS, NULL },
	{ "unknown", CHARSET_GUESS, NULL },
	{ "unknown-8bit", CHARSET_GUESS, NULL },
	{ "x-unknown", CHARSET_GUESS, NULL },
	{ "default", CHARSET_GUESS, NULL },
	{ "x-user-defined", CHARSET_GUESS, NULL },
	{ "8bit", CHARSET_GUESS, NULL },
	{ "7bit", CHARSET_GUESS, NULL },
	{ "none", CHARSET_GUESS, NULL },
	{ "charset", CHARSET_GUESS, NULL },
	{ "utf-8", CHARSET_UTF8, NULL },
	{ "utf8", CHARSET_UTF8, NULL },
	{ "utf_8", CHARSET_UTF8, NULL },
	{ "unicode-1-1-utf-8", CHARSET_UTF8, NULL },
	{ "x-unicode20utf8", CHARSET_UTF8, NULL },
	{ "iso-8859-1", CHARSET_CP1252, NULL },
	{ "iso8859-1", CHARSET_CP1252, NULL },
	{ "iso_8859-1", CHARSET_CP1252, NULL },
	{ "iso-8859-1:1987", CHARSET_CP1252, NULL },
	{ "latin1", CHARSET_CP1252, NULL },
	{ "latin-1", CHARSET_CP1252, NULL },
	{ "l1", CHARSET_CP1252, NULL },
	{ "windows-1252", CHARSET_CP1252, NULL },
	{ "cp1252", CHARSET_CP1252, NULL },
	{ "x-cp1252", CHARSET_CP1252, NULL },
	{ "cp-1252", CHARSET_CP1252, NULL },
	{ "ks_c_5601-1987", CHARSET_ICONV, "CP949" },
	{ "ks_c_5601", CHARSET_ICONV, "CP949" },
	{ "euc-kr", CHARSET_ICONV, "CP949" },
	{ "gb2312", CHARSET_ICONV, "GB18030" },
	{ "gbk", CHARSET_ICONV, "GB18030" },
	{ "x-gbk", CHARSET_ICONV, "GB18030" },
	{ "gb_2312-80", CHARSET_ICONV, "GB18030" },
	{ "shift_jis", CHARSET_ICONV, "CP932" },
	{ "shift-jis", CHARSET_ICONV, "CP932" },
	{ "sjis", CHARSET_ICONV, "CP932" },
	{ "x-sjis", CHARSET_ICONV, "CP932" },
	{ "ms_kanji", CHARSET_ICONV, "CP932" },
	{ "windows-31j", CHARSET_ICONV, "CP932" },
	{ "iso-2022-jp", CHARSET_ICONV, "ISO-2022-JP-3" },
	{ "iso-8859-8-i", CHARSET_ICONV, "ISO-8859-8" },
	{ "iso-8859-6-i", CHARSET_ICONV, "ISO-8859-6" },
	{ "windows-874", CHARSET_ICONV, "CP874" },
	{ "tis-620", CHARSET_ICONV, "CP874" },
	{ "big5", CHARSET_ICONV, "BIG5-HKSCS" },
	{ "x-mac-roman", CHARSET_ICONV, "MACINTOSH" },
	{ "macintosh", CHARSET_ICONV, "MACINTOSH" },
};

static enum charset_kind
charset_lookup(const char *charset, char *name, size_t name_size,
	       const char **iconv_r)
{
	size_t n = 0;

	*iconv_r = NULL;
	if (charset == NULL)
		return CHARSET_GUESS;
	/* Lower-case, dropping quotes, blanks and an RFC 2231 language. */
	for (const char *c = charset; *c != '\0' && *c != '*'; c++) {
		if (*c == '"' || *c == '\'' || isspace((unsigned char)*c))
			continue;
		if (n + 1 >= name_size)
			return CHARSET_CP1252; /* absurd name: not a charset */
		name[n++] = (char)tolower((unsigned char)*c);
	}
	name[n] = '\0';
	if (n == 0)
		return CHARSET_GUESS;
	for (size_t i = 0; i < sizeof(charset_aliases) / sizeof(charset_aliases[0]); i++) {
		if (strcmp(name, charset_aliases[i].name) == 0) {
			*iconv_r = charset_aliases[i].iconv;
			return charset_aliases[i].kind;
		}
	}
	*iconv_r = name;
	return CHARSET_ICONV;
}

bool
charset_costly(const char *charset)
{
	char name[64];
	const char *iconv_name;

	return charset_lookup(charset, name, sizeof(name), &iconv_name) == CHARSET_ICONV;
}

static bool
charset_all_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static char *
charset_copy(const char *s, size_t len, size_t *out_len)
{
	char *out = xmalloc(len + 1);

	memcpy(out, s, len);
	out[len] = '\0';
	*out_len = len;
	return out;
}

char *
charset_to_utf8(const char *charset, const char *s, size_t len,
		size_t *out_len)
{
	char name[64];
	const char *iconv_name;
	char *conv = NULL;
	size_t conv_len = 0;
	char *out;

	if (len == 0 || s == NULL)
		return charset_copy("", 0, out_len);
	switch (charset_lookup(charset, name, sizeof(name), &iconv_name)) {
	case CHARSET_GUESS:
		if (utf8_valid(s, len))
			return charset_copy(s, len, out_len);
		return charset_cp1252(s, len, out_len);
	case CHARSET_UTF8:
		if (utf8_valid(s, len))
			return charset_copy(s, len, out_len);
		return charset_utf8_repair(s, len, out_len);
	case CHARSET_CP1252:
		return charset_cp1252(s, len, out_len);
	case CHARSET_ICONV:
		break;
	}
	/*
	 * Pure ASCII is the same in every charset mail uses, except the
	 * ISO-2022 family, HZ and UTF-7, whose escapes are ASCII bytes, and
	 * UTF-16/32 (UCS), where ASCII bytes pair up into other characters.
	 */
	if (strstr(iconv_name, "2022") == NULL &&
	    strcasestr(iconv_name, "utf") == NULL &&
	    strcasestr(iconv_name, "ucs") == NULL &&
	    strcasestr(iconv_name, "hz") == NULL && charset_all_ascii(s, len))
		return charset_copy(s, len, out_len);
	if (charconv_buffer("utf-8", iconv_name, s, len, &conv, &conv_len) !=
	    MAIL_CHARCONV_NO_ERROR || conv == NULL) {
		if (conv != NULL)
			charconv_buffer_free(conv);
		return charset_cp1252(s, len, out_len);
	}
	if (utf8_valid(conv, conv_len))
		out = charset_copy(conv, conv_len, out_len);
	else
		out = charset_utf8_repair(conv, conv_len, out_len);
	charconv_buffer_free(conv);
	return out;
}
