/*
 * NAME
 *	rspamd - rspamd's /checkv2 over HTTP, through libcurl
 * DESCRIPTION
 *	See rspamd.h.  The answer is read by hand: three top-level keys of
 *	a JSON object whose other values (symbols, messages, urls) are only
 *	skipped.
 */
#include "autoconfig.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/num.h"
#include "base/xmem.h"
#include "net/curl_dl.h"
#include "net/rspamd.h"

/* The value after "key": at the top level of the object, or NULL. */
static const char *
rspamd_value(const char *json, const char *key)
{
	size_t kl = strlen(key);
	int depth = 0;
	bool in_str = false;

	for (const char *p = json; *p != '\0'; p++) {
		if (in_str) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		} else if (*p == '"') {
			if (depth == 1 && strncmp(p + 1, key, kl) == 0 && p[kl + 1] == '"') {
				const char *v = p + kl + 2;

				while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
					v++;
				if (*v != ':')
					return NULL;
				for (v++; *v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'; v++)
					;
				return v;
			}
			in_str = true;
		}
	}
	return NULL;
}

/* A JSON number, locale-free: [-]digits[.digits][e...] (exponent ignored). */
static int
rspamd_number(const char *p, double *v_r)
{
	return num_decimal(p, v_r) != NULL ? 0 : -1;
}

int
rspamd_parse(const char *json, struct rspamd_result *r)
{
	const char *a = rspamd_value(json, "action");
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	if (a == NULL || *a != '"')
		return -1;
	for (a++; *a != '"' && *a != '\0' && n + 1 < sizeof(r->action); a++)
		r->action[n++] = *a;
	r->action[n] = '\0';
	if (*a != '"' || rspamd_number(rspamd_value(json, "score"), &r->score) < 0)
		return -1;
	(void)rspamd_number(rspamd_value(json, "required_score"), &r->required);
	r->spam = strcasecmp(r->action, "reject") == 0 || strcasecmp(r->action, "add header") == 0 ||
		  strcasecmp(r->action, "rewrite subject") == 0;
	return 0;
}

static size_t
rspamd_write(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	return buf_append(b, data, size * n) < 0 ? 0 : size * n;
}

enum rspamd_status
rspamd_check(const char *url, long timeout_seconds, const char *msg, size_t len,
	     struct rspamd_result *r, char **error_r)
{
	enum rspamd_status st = RSPAMD_FAILED;
	struct curl_slist *hdr = NULL;
	struct buf b;
	char *full;
	long code = 0;
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	*error_r = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (c = curl_easy_init()) == NULL) {
		*error_r = xasprintf("rspamd: libcurl: %s", curl_dl_error());
		return RSPAMD_FAILED;
	}
	full = xasprintf("%s%s", url, url[0] != '\0' && url[strlen(url) - 1] == '/'
			 ? "checkv2" : "/checkv2");
	buf_init(&b, RSPAMD_MAX_ANSWER);
	hdr = curl_slist_append(hdr, "Content-Type: message/rfc822");
	hdr = curl_slist_append(hdr, "Expect:");
	if (curl_easy_setopt(c, CURLOPT_URL, full) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_seconds) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, msg) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rspamd_write) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) != CURLE_OK) {
		*error_r = xstrdup("rspamd: libcurl refused an option");
		goto out;
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		*error_r = xasprintf("rspamd %s: %s", full, curl_easy_strerror(rc));
		st = rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
		     rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_RECV_ERROR ||
		     rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING
		     ? RSPAMD_UNAVAILABLE : RSPAMD_FAILED;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		*error_r = xasprintf("rspamd %s: HTTP status %ld", full, code);
		st = code >= 500 ? RSPAMD_UNAVAILABLE : RSPAMD_FAILED;
		goto out;
	}
	if (rspamd_parse(buf_str(&b), r) < 0) {
		*error_r = xasprintf("rspamd %s: the answer is no rspamd result: \"%.60s\"", full,
				     buf_str(&b));
		goto out;
	}
	st = RSPAMD_CHECKED;
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	buf_free(&b);
	free(full);
	return st;
}
