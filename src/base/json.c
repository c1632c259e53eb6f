/*
 * json - writing JSON into a buf.  See json.h.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <string.h>

#include "base/clock.h"
#include "base/json.h"

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
