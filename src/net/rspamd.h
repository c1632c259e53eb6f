/*
 * rspamd - asks rspamd whether a message is spam, over its HTTP protocol
 * ([spam] rspamd = URL): POST URL/checkv2 with the message as the body,
 * through libcurl (curl_dl.h).
 *
 * rspamd answers a JSON object with "action" (no action, greylist, add
 * header, rewrite subject, soft reject, reject), "score" and
 * "required_score".  Spam is add header, rewrite subject or reject;
 * greylist and soft reject are rspamd's own "try later" to an SMTP
 * client, not a verdict on the message, and count as not spam.
 *
 * Results as spamd.h: RSPAMD_CHECKED (r filled), RSPAMD_UNAVAILABLE
 * (refused, unreachable, timed out, HTTP 5xx: try again later) or
 * RSPAMD_FAILED (any other HTTP status, an answer that is no rspamd
 * result, libcurl missing).  The whole exchange is bounded by
 * timeout_seconds.
 */
#ifndef REDRESS_NET_RSPAMD_H
#define REDRESS_NET_RSPAMD_H

#include <stdbool.h>
#include <stddef.h>

#define RSPAMD_MAX_ANSWER (256 * 1024)

enum rspamd_status {
	RSPAMD_CHECKED,
	RSPAMD_UNAVAILABLE,
	RSPAMD_FAILED,
};

struct rspamd_result {
	bool spam;
	double score, required;
	char action[32];
};

enum rspamd_status rspamd_check(const char *url, long timeout_seconds, const char *msg,
				size_t len, struct rspamd_result *r, char **error_r);
/* The reading of an answer (for tests): 0, or -1 when it is no result. */
int rspamd_parse(const char *json, struct rspamd_result *r);

#endif
