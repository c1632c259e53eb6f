/*
 * message_field - the structured header fields of a message: addresses
 * (From, Reply-To, To, Cc, Return-Path), message ids (Message-ID,
 * In-Reply-To, References) and the date, part of the message module
 * (message.h).
 *
 * Each is parsed with libetpan's mailimf parsers when they accept it, and
 * by hand when they refuse (mail in the wild is not RFC 5322), so that a
 * sender is found whenever a person could find one.  Every string comes
 * out as clean UTF-8 (message_clean_header).
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

/* Strips one pair of surrounding double quotes, in place. */
void
message_field_strip_quotes(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

char *
message_field_clean_addr_n(const char *a, size_t n)
{
	char *c = message_raw_to_clean(a, n);
	size_t o = 0;

	/* An address has no blanks; "< a@b >" style leftovers go too. */
	for (size_t i = 0; c[i] != '\0'; i++)
		if (c[i] != ' ' && c[i] != '<' && c[i] != '>')
			c[o++] = c[i];
	c[o] = '\0';
	if (o == 0) {
		free(c);
		return NULL;
	}
	return c;
}

char *
message_field_clean_addr(const char *a)
{
	return message_field_clean_addr_n(a, strlen(a));
}

static void
message_field_set_address(struct message_address *a, const char *name, size_t name_len,
	    const char *addr)
{
	a->name = NULL;
	if (name != NULL) {
		a->name = rfc2047_decode_clean(name, name_len);
		if (a->name != NULL) {
			message_field_strip_quotes(a->name);
			if (a->name[0] == '\0') {
				free(a->name);
				a->name = NULL;
			}
		}
	}
	/* An obsolete source route "@relay:local@domain" says nothing now. */
	if (addr != NULL && addr[0] == '@' && strchr(addr, ':') != NULL)
		addr = strchr(addr, ':') + 1;
	a->addr = addr != NULL ? message_field_clean_addr(addr) : NULL;
}

/*
 * When libetpan will not parse an address: the text between the last
 * '<' and '>' is the address and what precedes it the name; else the
 * first word with an '@'; else the whole value is a name.
 */
static void
message_field_address_fallback(const char *v, size_t len, struct message_address *a)
{
	const char *lt = NULL, *gt;

	for (size_t i = len; i > 0; i--)
		if (v[i - 1] == '<') {
			lt = v + i - 1;
			break;
		}
	gt = lt != NULL ? memchr(lt, '>', len - (size_t)(lt - v)) : NULL;
	if (lt != NULL && gt != NULL) {
		char *addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));

		message_field_set_address(a, v, (size_t)(lt - v), addr);
		free(addr);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		size_t j;

		if (v[i] != '@')
			continue;
		j = i;
		while (j > 0 && !message_is_wsp(v[j - 1]) && v[j - 1] != ',' && v[j - 1] != '"' &&
		       v[j - 1] != '(' && v[j - 1] != '<')
			j--;
		while (i < len && !message_is_wsp(v[i]) && v[i] != ',' && v[i] != '"' &&
		       v[i] != ')' && v[i] != '>')
			i++;
		{
			char *addr = xstrndup(v + j, i - j);
			/* The rest of the value (minus parentheses) as a name. */
			struct buf nb;

			buf_init(&nb, BUF_NO_LIMIT);
			buf_append(&nb, v, j);
			buf_putc(&nb, ' ');
			buf_append(&nb, v + i, len - i);
			for (size_t k = 0; k < nb.len; k++)
				if (nb.data[k] == '(' || nb.data[k] == ')' || nb.data[k] == ',')
					nb.data[k] = ' ';
			message_field_set_address(a, nb.data, nb.len, addr);
			buf_free(&nb);
			free(addr);
		}
		return;
	}
	message_field_set_address(a, v, len, NULL);
}

/*
 * "John Doe j@x.com": words and an address with neither quotes nor angle
 * brackets.  libetpan reads that as one obsolete local part
 * ("JohnDoej@x.com"), so such values go to the fallback instead.
 */
static bool
message_field_has_bare_blank(const char *v, size_t len)
{
	bool seen_word = false, blank = false;

	if (memchr(v, '<', len) != NULL || memchr(v, '"', len) != NULL ||
	    memchr(v, ',', len) != NULL || memchr(v, ':', len) != NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (message_is_wsp(v[i]))
			blank = seen_word;
		else if (blank)
			return true;
		else
			seen_word = true;
	}
	return false;
}

/* Copies v without its comments (outside quoted strings). */
static char *
message_field_strip_comments(const char *v, size_t len, size_t *out_len)
{
	char *o = xmalloc(len + 1);
	size_t n = 0;
	bool q = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = v[i];

		if (c == '\\' && i + 1 < len) {
			if (depth == 0) {
				o[n++] = c;
				o[n++] = v[i + 1];
			}
			i++;
			continue;
		}
		if (depth == 0 && c == '"')
			q = !q;
		if (!q && c == '(') {
			depth++;
			continue;
		}
		if (!q && depth > 0) {
			if (c == ')' && --depth == 0)
				o[n++] = ' ';
			continue;
		}
		o[n++] = c;
	}
	o[n] = '\0';
	*out_len = n;
	return o;
}

/* The text of the first comment in v, or NULL. */
static char *
message_field_first_comment(const char *v, size_t len)
{
	const char *o = memchr(v, '(', len), *c;

	if (o == NULL)
		return NULL;
	c = memchr(o, ')', len - (size_t)(o - v));
	if (c == NULL || c == o + 1)
		return NULL;
	return rfc2047_decode_clean(o + 1, (size_t)(c - o - 1));
}

/*
 * Is addr written in v (blanks aside) as an address: after a start,
 * '<', ',', ':' or ';', and not followed by '<' (that would make it a
 * display name)?
 */
static bool
message_field_addr_in_text(const char *v, size_t len, const char *addr)
{
	char *c;
	size_t n = 0, al;
	bool found = false;

	if (addr == NULL || (al = strlen(addr)) == 0)
		return false;
	c = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		if (!message_is_wsp(v[i]))
			c[n++] = v[i];
	c[n] = '\0';
	for (const char *p = c; (p = memmem(p, n - (size_t)(p - c), addr, al)) != NULL; p++) {
		char before = p > c ? p[-1] : ',';
		char after = p[al];

		if (strchr("<,:;", before) != NULL && after != '<') {
			found = true;
			break;
		}
	}
	free(c);
	return found;
}

/*
 * Parses an address list into *list (appending, at most max).  With
 * safe == false (header nesting was refused) libetpan is not asked.
 */
void
message_field_addresses(const char *v, size_t len, bool safe,
		struct message_address **list, size_t *n, size_t max)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0, start = *n, cap = *n, sl;
	char *stripped;

	if (len == 0)
		return;
	stripped = message_field_strip_comments(v, len, &sl);
	if (safe && sl > 0 && !message_field_has_bare_blank(stripped, sl) &&
	    mailimf_address_list_parse(stripped, sl, &idx, &al) == MAILIMF_NO_ERROR) {
		bool only_groups = true;

		for (clistiter *c = clist_begin(al->ad_list); c != NULL; c = clist_next(c)) {
			struct mailimf_address *ad = clist_content(c);
			clist *mbs = NULL;
			clistiter *m;

			if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
				only_groups = false;
				if (*n >= max)
					break;
				*list = xgrow(*list, &cap, *n + 1, sizeof(**list));
				message_field_set_address(&(*list)[*n], ad->ad_data.ad_mailbox->mb_display_name,
					    ad->ad_data.ad_mailbox->mb_display_name != NULL
						    ? strlen(ad->ad_data.ad_mailbox->mb_display_name)
						    : 0,
					    ad->ad_data.ad_mailbox->mb_addr_spec);
				(*n)++;
				continue;
			}
			if (ad->ad_data.ad_group->grp_mb_list != NULL)
				mbs = ad->ad_data.ad_group->grp_mb_list->mb_list;
			for (m = mbs != NULL ? clist_begin(mbs) : NULL; m != NULL; m = clist_next(m)) {
				struct mailimf_mailbox *mb = clist_content(m);

				if (*n >= max)
					break;
				*list = xgrow(*list, &cap, *n + 1, sizeof(**list));
				message_field_set_address(&(*list)[*n], mb->mb_display_name,
					    mb->mb_display_name != NULL ? strlen(mb->mb_display_name) : 0,
					    mb->mb_addr_spec);
				(*n)++;
			}
		}
		mailimf_address_list_free(al);
		/* "a@b (Name)": the old way of giving a name. */
		if (*n == start + 1 && (*list)[start].name == NULL)
			(*list)[start].name = message_field_first_comment(v, len);
		/*
		 * libetpan is generous: "<>" gives "<", "Joe <a@b" gives
		 * "Joe<a@b", "Mary Smith <@route:a@b>" gives "MarySmith@route".
		 * An address that is not in the text was made up.
		 */
		bool made_up = false;

		/* The first few suffice, and keep long lists linear. */
		for (size_t k = start; k < *n && k < start + 8; k++)
			if (!message_field_addr_in_text(stripped, sl, (*list)[k].addr))
				made_up = true;
		if ((*n > start && !made_up &&
		     (memchr(v, '<', len) == NULL || memchr(v, '>', len) != NULL)) ||
		    (*n == start && only_groups)) {
			free(stripped);
			return;
		}
		while (*n > start) {
			(*n)--;
			free((*list)[*n].name);
			free((*list)[*n].addr);
		}
	}
	if (*n >= max) {
		free(stripped);
		return;
	}
	*list = xgrow(*list, &cap, *n + 1, sizeof(**list));
	message_field_address_fallback(stripped, sl, &(*list)[*n]);
	free(stripped);
	if ((*list)[*n].name == NULL)
		(*list)[*n].name = message_field_first_comment(v, len);
	if ((*list)[*n].name == NULL && (*list)[*n].addr == NULL)
		return;
	(*n)++;
}

void
message_field_one_address(const char *v, size_t len, bool safe,
		  struct message_address *a)
{
	struct message_address *list = NULL;
	size_t n = 0;

	message_field_addresses(v, len, safe, &list, &n, 1);
	if (n > 0)
		*a = list[0];
	free(list);
}

/* Message ids in <...>; if there are none, words with an '@'. */
void
message_field_ids(const char *v, size_t len, char ***ids, size_t *n)
{
	size_t cap = 0;

	for (size_t i = 0; i < len && *n < MESSAGE_MAX_IDS; i++) {
		const char *gt;
		char *id;

		if (v[i] != '<')
			continue;
		gt = memchr(v + i, '>', len - i);
		if (gt == NULL)
			break;
		id = message_field_clean_addr_n(v + i + 1, (size_t)(gt - v - i - 1));
		if (id != NULL) {
			*ids = xgrow(*ids, &cap, *n + 1, sizeof(**ids));
			(*ids)[(*n)++] = id;
		}
		i = (size_t)(gt - v);
	}
	if (*n > 0)
		return;
	for (size_t i = 0; i < len && *n < MESSAGE_MAX_IDS;) {
		size_t j = i;
		char *id;

		while (j < len && !message_is_wsp(v[j]) && v[j] != ',')
			j++;
		if (j > i && memchr(v + i, '@', j - i) != NULL &&
		    (id = message_field_clean_addr_n(v + i, j - i)) != NULL) {
			*ids = xgrow(*ids, &cap, *n + 1, sizeof(**ids));
			(*ids)[(*n)++] = id;
		}
		i = j + 1;
	}
}

static long
message_field_days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

time_t
message_field_date(const char *v, size_t len)
{
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	long y, days, secs, zone;
	time_t t;

	if (len == 0 || mailimf_date_time_parse(v, len, &idx, &dt) != MAILIMF_NO_ERROR)
		return 0;
	y = dt->dt_year;
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	if (dt->dt_month < 1 || dt->dt_month > 12 || dt->dt_day < 1 || dt->dt_day > 31 ||
	    dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 || dt->dt_min > 59 ||
	    dt->dt_sec < 0 || dt->dt_sec > 60 || y > 9999) {
		mailimf_date_time_free(dt);
		return 0;
	}
	days = message_field_days_from_civil(y, (unsigned)dt->dt_month, (unsigned)dt->dt_day);
	secs = dt->dt_hour * 3600L + dt->dt_min * 60L + dt->dt_sec;
	zone = dt->dt_zone;
	zone = (zone / 100) * 3600 + (zone % 100) * 60;
	mailimf_date_time_free(dt);
	t = (time_t)(days * 86400 + secs - zone);
	return t > 0 ? t : 0;
}
