/*
 * html - HTML to plain text.  See html.h.
 *
 * One pass over the input with a small amount of state: whitespace and
 * line breaks are not written at once but remembered ("pending") and
 * written before the next visible character, which is how runs of blanks
 * collapse and how block boundaries turn into at most one blank line.
 * Skipping the contents of script/style looks for the closing tag once
 * and moves past it, so the whole conversion stays linear.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/charset.h"
#include "mail/html.h"

struct html_out {
	char *data;
	size_t len;
	size_t cap;
	unsigned pending_nl;   /* line breaks owed before the next text */
	bool pending_space;
	unsigned quote;        /* blockquote depth */
	bool pre;
};

static void
html_reserve(struct html_out *o, size_t add)
{
	if (o->len + add + 1 > o->cap)
		o->data = xgrow(o->data, &o->cap, o->len + add + 1, 1);
}

/* Writes what is owed (line breaks, quote prefix, a space) before text. */
static void
html_flush(struct html_out *o)
{
	if (o->pending_nl > 0) {
		if (o->len > 0) {
			unsigned n = o->pending_nl > 2 ? 2 : o->pending_nl;

			html_reserve(o, n * (1 + 2 * (size_t)o->quote));
			/* cppcheck-suppress knownConditionTrueFalse ; n is 1 or 2 here */
			for (unsigned i = 0; i < n; i++)
				o->data[o->len++] = '\n';
		}
		if (o->quote > 0) {
			html_reserve(o, (size_t)o->quote + 1);
			for (unsigned q = 0; q < o->quote; q++)
				o->data[o->len++] = '>';
			o->data[o->len++] = ' ';
		}
		o->pending_nl = 0;
		o->pending_space = false;
	} else if (o->pending_space) {
		if (o->len > 0 && o->data[o->len - 1] != '\n') {
			html_reserve(o, 1);
			o->data[o->len++] = ' ';
		}
		o->pending_space = false;
	} else if (o->len == 0 && o->quote > 0) {
		html_reserve(o, (size_t)o->quote + 1);
		for (unsigned q = 0; q < o->quote; q++)
			o->data[o->len++] = '>';
		o->data[o->len++] = ' ';
	}
}

static void
html_text(struct html_out *o, const char *s, size_t n)
{
	html_flush(o);
	html_reserve(o, n);
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

static void
html_break(struct html_out *o, unsigned n)
{
	if (o->pending_nl < n)
		o->pending_nl = n;
	o->pending_space = false;
}

struct html_entity {
	const char *name;
	unsigned short cp;
};

static const char *const html_latin1[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
	"uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr", "deg",
	"plusmn", "sup2", "sup3", "acute", "micro", "para", "middot", "cedil",
	"sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
	"Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig",
	"Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute",
	"Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc",
	"Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc",
	"Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc",
	"atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute",
	"ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
	"ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash",
	"ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
};

static const struct html_entity html_entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "euro", 0x20ac }, { "trade", 0x2122 },
	{ "hellip", 0x2026 }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201a },
	{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "bdquo", 0x201e },
	{ "bull", 0x2022 }, { "dagger", 0x2020 }, { "Dagger", 0x2021 },
	{ "permil", 0x2030 }, { "lsaquo", 0x2039 }, { "rsaquo", 0x203a },
	{ "OElig", 0x152 }, { "oelig", 0x153 }, { "Scaron", 0x160 },
	{ "scaron", 0x161 }, { "Yuml", 0x178 }, { "fnof", 0x192 },
	{ "circ", 0x2c6 }, { "tilde", 0x2dc }, { "ensp", ' ' },
	{ "emsp", ' ' }, { "thinsp", ' ' }, { "zwnj", 0 }, { "zwj", 0 },
	{ "lrm", 0 }, { "rlm", 0 }, { "larr", 0x2190 }, { "rarr", 0x2192 },
	{ "uarr", 0x2191 }, { "darr", 0x2193 }, { "hearts", 0x2665 },
	{ "prime", 0x2032 }, { "Prime", 0x2033 }, { "minus", 0x2212 },
};

/* windows-1252 for &#128; .. &#159;, as HTML5 says. */
static const unsigned short html_c1[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/*
 * Decodes a character reference at s[0] == '&'.  Returns the number of
 * input bytes used (0: not a reference, write '&' as text) and the code
 * point in *cp (-1: write nothing).
 */
static size_t
html_entity(const char *s, size_t avail, long *cp)
{
	size_t i = 1;

	if (avail >= 3 && s[1] == '#') {
		unsigned long v = 0;
		bool hex = s[2] == 'x' || s[2] == 'X';
		size_t digits = 0;

		i = hex ? 3 : 2;
		for (; i < avail && digits < 8; i++, digits++) {
			int c = (unsigned char)s[i];

			if (isdigit(c))
				v = v * (hex ? 16 : 10) + (unsigned long)(c - '0');
			else if (hex && isxdigit(c))
				v = v * 16 + (unsigned long)(tolower(c) - 'a' + 10);
			else
				break;
		}
		if (digits == 0)
			return 0;
		while (i < avail && isxdigit((unsigned char)s[i]))
			i++; /* absurdly long number: ignore the rest */
		if (i < avail && s[i] == ';')
			i++;
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			v = 0xfffd;
		else if (v >= 0x80 && v < 0xa0)
			v = html_c1[v - 0x80];
		else if (v == 0xa0)
			v = ' ';
		*cp = (long)v;
		return i;
	}
	while (i < avail && i < 12 && isalnum((unsigned char)s[i]))
		i++;
	if (i == 1)
		return 0;
	{
		size_t n = i - 1;
		bool semi = i < avail && s[i] == ';';

		for (size_t k = 0; k < 96; k++) {
			if (strlen(html_latin1[k]) == n &&
			    memcmp(html_latin1[k], s + 1, n) == 0) {
				*cp = k == 0 ? ' ' : (k == 13 ? -1 : (long)(0xa0 + k));
				return semi ? i + 1 : i;
			}
		}
		for (size_t k = 0; k < sizeof(html_entities) / sizeof(html_entities[0]); k++) {
			if (strlen(html_entities[k].name) == n &&
			    memcmp(html_entities[k].name, s + 1, n) == 0) {
				*cp = html_entities[k].cp == 0 ? -1 : html_entities[k].cp;
				return semi ? i + 1 : i;
			}
		}
	}
	return 0;
}

/* Case-insensitive search for "</name" from s; returns its offset or len. */
static size_t
html_find_close(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = s; (p = memchr(p, '<', len - (size_t)(p - s))) != NULL; p++) {
		size_t off = (size_t)(p - s);

		if (off + 2 + n <= len && p[1] == '/' &&
		    strncasecmp(p + 2, name, n) == 0 &&
		    (off + 2 + n == len || !isalnum((unsigned char)p[2 + n])))
			return off;
		if (strcmp(name, "head") == 0 && off + 5 <= len &&
		    strncasecmp(p + 1, "body", 4) == 0)
			return off;
	}
	return len;
}

static bool
html_name_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static const char *const html_skip_tags[] = {
	"script", "style", "title", "head", "template", "xml", NULL,
};
static const char *const html_para_tags[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl",
	"pre", "hr", "address", "center", "form", "fieldset", NULL,
};
static const char *const html_line_tags[] = {
	"div", "tr", "li", "dt", "dd", "section", "article", "header",
	"footer", "nav", "aside", "main", "figure", "figcaption", "caption",
	"tbody", "thead", "tfoot", "body", "html", "option", "legend",
	"summary", "details", "frame", "noscript", NULL,
};

char *
html_to_text(const char *s, size_t len, size_t *out_len)
{
	struct html_out o = { 0 };
	size_t i = 0;

	o.cap = len / 2 + 17;
	o.data = xmalloc(o.cap);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '<') {
			size_t j = i + 1;
			bool closing = false;
			char name[16];
			size_t n = 0;

			if (j < len && s[j] == '!') {
				const char *end;

				if (j + 2 < len && s[j + 1] == '-' && s[j + 2] == '-') {
					end = memmem(s + j + 3, len - j - 3, "-->", 3);
					i = end != NULL ? (size_t)(end - s) + 3 : len;
				} else {
					end = memchr(s + j, '>', len - j);
					i = end != NULL ? (size_t)(end - s) + 1 : len;
				}
				continue;
			}
			if (j < len && s[j] == '?') {
				const char *end = memchr(s + j, '>', len - j);

				i = end != NULL ? (size_t)(end - s) + 1 : len;
				continue;
			}
			if (j < len && s[j] == '/') {
				closing = true;
				j++;
			}
			if (j >= len || !isalpha((unsigned char)s[j])) {
				html_text(&o, "<", 1);
				i++;
				continue;
			}
			while (j < len && (isalnum((unsigned char)s[j]) || s[j] == ':')) {
				if (n + 1 < sizeof(name))
					name[n++] = (char)tolower((unsigned char)s[j]);
				j++;
			}
			name[n] = '\0';
			/* Find the end of the tag, stepping over quoted attributes. */
			{
				char quote = 0;

				while (j < len) {
					if (quote != 0) {
						if (s[j] == quote)
							quote = 0;
					} else if (s[j] == '"' || s[j] == '\'') {
						if (j > 0 && s[j - 1] == '=')
							quote = s[j];
					} else if (s[j] == '>') {
						break;
					}
					j++;
				}
			}
			i = j < len ? j + 1 : len;
			if (!closing && html_name_in(name, html_skip_tags)) {
				i += html_find_close(s + i, len - i, name);
				continue;
			}
			if (strcmp(name, "br") == 0) {
				if (o.pending_nl < 2)
					o.pending_nl++;
				o.pending_space = false;
				if (o.pending_nl == 1 && o.len == 0)
					o.pending_nl = 0; /* leading <br> is nothing */
			} else if (strcmp(name, "blockquote") == 0) {
				html_break(&o, 2);
				if (closing) {
					if (o.quote > 0)
						o.quote--;
				} else if (o.quote < 16) {
					o.quote++;
				}
			} else if (html_name_in(name, html_para_tags)) {
				html_break(&o, 2);
				if (strcmp(name, "pre") == 0)
					o.pre = !closing;
			} else if (html_name_in(name, html_line_tags)) {
				html_break(&o, 1);
				if (!closing && strcmp(name, "li") == 0)
					html_text(&o, "- ", 2);
			} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
				o.pending_space = true;
			}
			continue;
		}
		if (c == '&') {
			long cp = 0;
			size_t used = html_entity(s + i, len - i, &cp);

			if (used == 0) {
				html_text(&o, "&", 1);
				i++;
			} else {
				char u[4];

				if (cp == ' ')
					o.pending_space = true;
				else if (cp >= 0) {
					size_t ul = utf8_put(u, (unsigned long)cp);

					html_text(&o, u, ul);
				}
				i += used;
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			if (o.pre) {
				if (c == '\n') {
					if (o.pending_nl < 2)
						o.pending_nl++;
				} else if (c != '\r') {
					html_text(&o, (const char *)&s[i], 1);
				}
			} else {
				o.pending_space = true;
			}
			i++;
			continue;
		}
		/* A run of ordinary text. */
		{
			size_t j = i + 1;

			while (j < len && s[j] != '<' && s[j] != '&' && s[j] != ' ' &&
			       s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && s[j] != '\f')
				j++;
			html_text(&o, s + i, j - i);
			i = j;
		}
	}
	html_reserve(&o, 1);
	o.data[o.len] = '\0';
	*out_len = o.len;
	return o.data;
}
