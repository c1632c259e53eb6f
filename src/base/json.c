/*
 * json - writing JSON into a buf, and reading one flat object.  See json.h.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/utf8.h"
#include "base/xmem.h"

static const char json_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
json_strn(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

				buf_puts(b, u);
			} else {
				buf_putc(b, (char)c);
			}
		}
	}
	buf_putc(b, '"');
}

void
json_str(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_puts(b, "null");
	else
		json_strn(b, s, strlen(s));
}

void
json_int(struct buf *b, int64_t v)
{
	buf_printf(b, "%" PRId64, v);
}

void
json_bool(struct buf *b, bool v)
{
	buf_puts(b, v ? "true" : "false");
}

void
json_time(struct buf *b, time_t t)
{
	char iso[CLOCK_ISO_LEN];

	if (t == 0) {
		buf_puts(b, "null");
		return;
	}
	clock_format_iso8601(t, iso);
	json_str(b, iso);
}

void
json_key(struct buf *b, bool *first, const char *key)
{
	if (!*first)
		buf_putc(b, ',');
	*first = false;
	json_str(b, key);
	buf_putc(b, ':');
}

void
json_base64(struct buf *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	buf_puts(b, "{\"base64\":\"");
	for (i = 0; i + 3 <= len; i += 3) {
		char q[4] = {
			json_b64[p[i] >> 2], json_b64[(p[i] & 3) << 4 | p[i + 1] >> 4],
			json_b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6], json_b64[p[i + 2] & 63],
		};

		buf_append(b, q, 4);
	}
	if (len - i == 1) {
		char q[4] = { json_b64[p[i] >> 2], json_b64[(p[i] & 3) << 4], '=', '=' };

		buf_append(b, q, 4);
	} else if (len - i == 2) {
		char q[4] = {
			json_b64[p[i] >> 2], json_b64[(p[i] & 3) << 4 | p[i + 1] >> 4],
			json_b64[(p[i + 1] & 15) << 2], '=',
		};

		buf_append(b, q, 4);
	}
	buf_puts(b, "\"}");
}

/* The reader's position in the text. */
struct json_in {
	const char *s;
	size_t len, pos;
	char **error_r;
};

static int
json_fail(struct json_in *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
json_fail(struct json_in *in, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	*in->error_r = xasprintf("at byte %zu: %s", in->pos + 1, what);
	free(what);
	return -1;
}

static void
json_space(struct json_in *in)
{
	while (in->pos < in->len && (in->s[in->pos] == ' ' || in->s[in->pos] == '\t' ||
				     in->s[in->pos] == '\n' || in->s[in->pos] == '\r'))
		in->pos++;
}

/* The next byte after white space is c: consumed, 0; else -1. */
static int
json_expect(struct json_in *in, char c, const char *what)
{
	json_space(in);
	if (in->pos >= in->len || in->s[in->pos] != c) {
		if (in->pos >= in->len)
			return json_fail(in, "the line ends where %s was due", what);
		return json_fail(in, "%s was due", what);
	}
	in->pos++;
	return 0;
}

static int
json_hex4(struct json_in *in, unsigned long *v_r)
{
	unsigned long v = 0;

	if (in->len - in->pos < 4)
		return json_fail(in, "\\u wants four hex digits");
	for (int k = 0; k < 4; k++) {
		char c = in->s[in->pos + (size_t)k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return json_fail(in, "\\u wants four hex digits");
	}
	in->pos += 4;
	*v_r = v;
	return 0;
}

/* A string, the opening quote next: its bytes (allocated, NUL after them). */
static int
json_string(struct json_in *in, char **str_r, size_t *len_r)
{
	struct buf b;

	if (json_expect(in, '"', "a string") < 0)
		return -1;
	buf_init(&b, BUF_NO_LIMIT);
	for (;;) {
		size_t start = in->pos, n;
		unsigned long cp = 0, lo = 0;
		char u[4];

		/* The plain run up to a quote, a backslash or a byte to check. */
		while (in->pos < in->len) {
			unsigned char c = (unsigned char)in->s[in->pos];

			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			in->pos++;
		}
		buf_append(&b, in->s + start, in->pos - start);
		if (in->pos >= in->len) {
			json_fail(in, "the line ends inside a string");
			goto fail;
		}
		switch ((unsigned char)in->s[in->pos]) {
		case '"':
			in->pos++;
			*str_r = buf_steal(&b, len_r);
			return 0;
		case '\\':
			break;
		default:
			if ((unsigned char)in->s[in->pos] < 0x20) {
				json_fail(in, "a control character inside a string (it must be escaped)");
				goto fail;
			}
			n = utf8_seq((const unsigned char *)in->s + in->pos, in->len - in->pos);
			if (n == 0) {
				json_fail(in, "a byte that is not UTF-8");
				goto fail;
			}
			buf_append(&b, in->s + in->pos, n);
			in->pos += n;
			continue;
		}
		/* An escape. */
		if (++in->pos >= in->len) {
			json_fail(in, "the line ends inside an escape");
			goto fail;
		}
		switch (in->s[in->pos++]) {
		case '"': buf_putc(&b, '"'); continue;
		case '\\': buf_putc(&b, '\\'); continue;
		case '/': buf_putc(&b, '/'); continue;
		case 'b': buf_putc(&b, '\b'); continue;
		case 'f': buf_putc(&b, '\f'); continue;
		case 'n': buf_putc(&b, '\n'); continue;
		case 'r': buf_putc(&b, '\r'); continue;
		case 't': buf_putc(&b, '\t'); continue;
		case 'u': break;
		default:
			in->pos--;
			json_fail(in, "an unknown escape \\%c", in->s[in->pos]);
			goto fail;
		}
		if (json_hex4(in, &cp) < 0)
			goto fail;
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			json_fail(in, "a low surrogate \\u%04lx with no high one before it", cp);
			goto fail;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (in->len - in->pos < 2 || in->s[in->pos] != '\\' ||
			    in->s[in->pos + 1] != 'u') {
				json_fail(in, "a high surrogate \\u%04lx with no low one after it", cp);
				goto fail;
			}
			in->pos += 2;
			if (json_hex4(in, &lo) < 0)
				goto fail;
			if (lo < 0xdc00 || lo > 0xdfff) {
				json_fail(in, "a high surrogate \\u%04lx with no low one after it", cp);
				goto fail;
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		buf_append(&b, u, utf8_put(u, cp));
	}
fail:
	buf_free(&b);
	return -1;
}

static int
json_b64_value(char c)
{
	const char *p = c != '\0' ? strchr(json_b64, c) : NULL;

	return p != NULL ? (int)(p - json_b64) : -1;
}

/* Decodes padded base64 in place of itself (the decoded bytes are fewer). */
static int
json_unbase64(char *s, size_t len, size_t *len_r)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + (size_t)k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = json_b64_value(s[i + (size_t)k])) < 0) {
				return -1;
			}
		}
		s[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			s[o++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			s[o++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	s[o] = '\0';
	*len_r = o;
	return 0;
}

static int
json_integer(struct json_in *in, long long *v_r)
{
	bool neg = false;
	unsigned long long v = 0, max;
	size_t start;

	if (in->s[in->pos] == '-') {
		neg = true;
		in->pos++;
	}
	start = in->pos;
	max = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	while (in->pos < in->len && in->s[in->pos] >= '0' && in->s[in->pos] <= '9') {
		unsigned d = (unsigned)(in->s[in->pos] - '0');

		if (v > (max - d) / 10)
			return json_fail(in, "an integer out of range");
		v = v * 10 + d;
		in->pos++;
	}
	if (in->pos == start)
		return json_fail(in, "a digit was due");
	if (in->s[start] == '0' && in->pos - start > 1)
		return json_fail(in, "an integer with a leading zero");
	if (in->pos < in->len && (in->s[in->pos] == '.' || in->s[in->pos] == 'e' ||
				  in->s[in->pos] == 'E'))
		return json_fail(in, "only integers here");
	*v_r = neg ? (v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v)
		   : (long long)v;
	return 0;
}

static int
json_value(struct json_in *in, struct json_field *f)
{
	json_space(in);
	if (in->pos >= in->len)
		return json_fail(in, "the line ends where a value was due");
	switch (in->s[in->pos]) {
	case 'n':
		if (in->len - in->pos < 4 || memcmp(in->s + in->pos, "null", 4) != 0)
			return json_fail(in, "a value was due");
		in->pos += 4;
		f->kind = JSON_NULL;
		return 0;
	case '"':
		f->kind = JSON_STRING;
		return json_string(in, &f->str, &f->len);
	case '{': {
		char *name;
		size_t n, at;

		in->pos++;
		if (json_string(in, &name, &n) < 0)
			return -1;
		if (strcmp(name, "base64") != 0 || n != 6) {
			free(name);
			return json_fail(in, "the only object a value may be is {\"base64\":...}");
		}
		free(name);
		if (json_expect(in, ':', "a colon") < 0)
			return -1;
		json_space(in);
		at = in->pos;
		if (json_string(in, &f->str, &f->len) < 0)
			return -1;
		f->kind = JSON_BYTES;
		if (json_unbase64(f->str, f->len, &f->len) < 0) {
			in->pos = at;
			return json_fail(in, "not base64 (RFC 4648, padded)");
		}
		return json_expect(in, '}', "the end of the base64 object");
	}
	default:
		if (in->s[in->pos] == '-' || (in->s[in->pos] >= '0' && in->s[in->pos] <= '9')) {
			f->kind = JSON_INT;
			return json_integer(in, &f->num);
		}
		return json_fail(in, "only an integer, a string, null or {\"base64\":...} "
				 "may be a value here");
	}
}

int
json_object_parse(const char *s, size_t len, struct json_object *o, char **error_r)
{
	struct json_in in = { s, len, 0, error_r };

	json_object_clear(o);
	if (json_expect(&in, '{', "an object") < 0)
		goto fail;
	json_space(&in);
	if (in.pos < len && s[in.pos] == '}') {
		in.pos++;
	} else {
		for (;;) {
			struct json_field *f;
			size_t at;

			if (o->n == o->cap) {
				o->cap = o->cap == 0 ? 16 : o->cap * 2;
				o->fields = xrealloc(o->fields, o->cap * sizeof(*o->fields));
			}
			f = &o->fields[o->n];
			memset(f, 0, sizeof(*f));
			json_space(&in);
			at = in.pos;
			if (json_string(&in, &f->name, &f->len) < 0)
				goto fail;
			o->n++;
			if (strlen(f->name) != f->len) {
				in.pos = at;
				json_fail(&in, "a name with a NUL in it");
				goto fail;
			}
			f->len = 0;
			for (size_t i = 0; i + 1 < o->n; i++) {
				if (strcmp(o->fields[i].name, f->name) == 0) {
					in.pos = at;
					json_fail(&in, "\"%s\" a second time", f->name);
					goto fail;
				}
			}
			if (json_expect(&in, ':', "a colon") < 0 || json_value(&in, f) < 0)
				goto fail;
			json_space(&in);
			if (in.pos < len && s[in.pos] == ',') {
				in.pos++;
				continue;
			}
			if (json_expect(&in, '}', "a comma or the end of the object") < 0)
				goto fail;
			break;
		}
	}
	json_space(&in);
	if (in.pos < len) {
		json_fail(&in, "more after the end of the object");
		goto fail;
	}
	return 0;
fail:
	json_object_clear(o);
	return -1;
}

const struct json_field *
json_object_get(const struct json_object *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->fields[i].name, name) == 0)
			return &o->fields[i];
	return NULL;
}

void
json_object_clear(struct json_object *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->fields[i].name);
		free(o->fields[i].str);
	}
	free(o->fields);
	o->fields = NULL;
	o->n = o->cap = 0;
}
