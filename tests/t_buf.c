/*
 * t_buf - the capped byte buffer: growth, the NUL after the data, the hard
 * cap (a refused append leaves the buffer as it was), printf, steal, reset.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "tap.h"

static void
test_empty(void)
{
	struct buf b;
	char *s;
	size_t len = 99;

	buf_init(&b, 100);
	ok(b.data == NULL && b.len == 0, "a new buffer holds nothing and owns nothing");
	is_str(buf_str(&b), "", "buf_str of a new buffer is \"\", not NULL");
	s = buf_steal(&b, &len);
	ok(s != NULL && *s == '\0' && len == 0, "stealing an empty buffer gives an owned \"\"");
	free(s);
	ok(buf_append(&b, "", 0) == 0 && b.data != NULL && b.data[0] == '\0',
	   "appending nothing still gives a NUL-terminated string");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "buf_free empties it");
	buf_free(&b);
	ok(b.data == NULL, "buf_free twice is harmless");
}

static void
test_growth(void)
{
	struct buf b;
	char chunk[37];
	size_t total = 0, last_cap = 0;
	int grew = 0, bad = 0;

	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, BUF_NO_LIMIT);
	for (int i = 0; i < 1000; i++) {
		chunk[0] = (char)('a' + i % 26);
		if (buf_append(&b, chunk, sizeof(chunk)) < 0)
			bad++;
		total += sizeof(chunk);
		if (b.cap != last_cap) {
			grew++;
			last_cap = b.cap;
		}
		if (b.len != total || b.cap < b.len + 1 || b.data[b.len] != '\0')
			bad++;
	}
	is_int(bad, 0, "1000 appends: length right, room for the NUL, NUL after the data");
	is_int((long long)b.len, 37000, "37,000 bytes held");
	ok(grew <= 12, "capacity doubles: %d reallocations for 37,000 bytes", grew);
	ok(b.data[0] == 'a' && b.data[37] == 'b' && b.data[37 * 25] == 'z' &&
	   b.data[37 * 26] == 'a', "the bytes are where they were appended");
	buf_reset(&b);
	ok(b.len == 0 && b.data != NULL && b.data[0] == '\0' && b.cap == last_cap,
	   "buf_reset empties it and keeps the allocation");
	buf_free(&b);
}

static void
test_binary(void)
{
	struct buf b;
	static const char bin[] = { 'a', '\0', 'b', '\0' };

	buf_init(&b, 16);
	ok(buf_append(&b, bin, sizeof(bin)) == 0 && b.len == 4 &&
	   memcmp(b.data, bin, 4) == 0 && b.data[4] == '\0',
	   "NUL bytes in the data are kept, with a NUL after them");
	buf_free(&b);
}

static void
test_cap(void)
{
	struct buf b;
	char big[11];

	memset(big, 'y', sizeof(big));
	buf_init(&b, 10);
	ok(buf_puts(&b, "12345") == 0, "5 bytes fit under a cap of 10");
	ok(buf_append(&b, big, 6) == -1, "6 more would pass the cap: refused");
	is_str(buf_str(&b), "12345", "and the buffer is as it was");
	ok(buf_append(&b, big, 5) == 0 && b.len == 10, "exactly up to the cap is allowed");
	ok(buf_putc(&b, 'z') == -1 && b.len == 10, "one byte past it is not");
	ok(buf_append(&b, big, (size_t)-1) == -1, "a length near SIZE_MAX is refused, not wrapped");
	buf_reset(&b);
	ok(buf_append(&b, big, 11) == -1 && b.len == 0, "11 bytes into an empty buffer capped at 10: refused");
	buf_free(&b);

	buf_init(&b, 0);
	ok(buf_putc(&b, 'a') == -1 && b.data == NULL, "a cap of 0 takes nothing and allocates nothing");
	buf_free(&b);
}

static void
test_printf(void)
{
	struct buf b;
	char *s;
	size_t len;

	buf_init(&b, 64);
	ok(buf_printf(&b, "case %06d", 123) == 0, "printf into a buffer");
	ok(buf_printf(&b, " %s=%ld", "n", 42L) == 0, "printf appends");
	is_str(buf_str(&b), "case 000123 n=42", "both, in order");
	ok(buf_printf(&b, "%60s", "wide") == -1, "printf past the cap is refused");
	is_str(buf_str(&b), "case 000123 n=42", "and leaves the buffer as it was");
	s = buf_steal(&b, &len);
	ok(strcmp(s, "case 000123 n=42") == 0 && len == 16, "buf_steal hands over the data and its length");
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "and leaves the buffer empty");
	free(s);
	ok(buf_printf(&b, "%s", "") == 0 && b.data != NULL && b.len == 0,
	   "an empty printf into an empty buffer gives \"\"");
	buf_free(&b);

	/* Growth past the first allocation inside one printf. */
	buf_init(&b, BUF_NO_LIMIT);
	ok(buf_printf(&b, "%1000d", 7) == 0 && b.len == 1000 && b.data[999] == '7' &&
	   b.data[1000] == '\0', "one printf of 1,000 bytes grows the buffer at once");
	buf_free(&b);
}

int
main(void)
{
	test_empty();
	test_growth();
	test_binary();
	test_cap();
	test_printf();
	return tap_exit();
}
