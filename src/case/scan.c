/*
 * NAME
 *	scan - ask the configured spam scanners about a message
 * DESCRIPTION
 *	See scan.h.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/scan.h"
#include "config/config.h"
#include "net/rspamd.h"
#include "net/spamd.h"
#include "policy/traffic.h"

static bool
scan_set(const char *s)
{
	return s != NULL && *s != '\0';
}

bool
scan_configured(const struct config *cfg)
{
	return scan_set(cfg->spam_spamd) || scan_set(cfg->spam_rspamd);
}

enum scan_status
scan_message(const struct config *cfg, const char *raw, size_t len, char **reason_r)
{
	bool down = false, failed = false;
	struct buf b;
	char *err = NULL;

	*reason_r = NULL;
	if (!scan_configured(cfg))
		return SCAN_OFF;
	if ((long)len > cfg->spam_max_size) {
		*reason_r = xasprintf("larger than [spam] max_size (%zu bytes)", len);
		return SCAN_TOO_LARGE;
	}
	buf_init(&b, BUF_NO_LIMIT);
	if (scan_set(cfg->spam_spamd)) {
		struct spamd_result r;
		enum spamd_status st = spamd_check(cfg->spam_spamd, cfg->spam_timeout, raw, len,
						   &r, &err);

		if (st == SPAMD_CHECKED) {
			buf_printf(&b, "spamd %.1f/%.1f: %s", r.score, r.threshold,
				   r.symbols[0] != '\0' ? r.symbols : "no rules hit");
			if (r.spam) {
				*reason_r = buf_steal(&b, NULL);
				return SCAN_SPAM;
			}
		} else {
			buf_printf(&b, "%s", err);
			down = down || st == SPAMD_UNAVAILABLE;
			failed = failed || st == SPAMD_FAILED;
		}
		free(err);
		err = NULL;
	}
	if (scan_set(cfg->spam_rspamd)) {
		struct rspamd_result r;
		enum rspamd_status st = rspamd_check(cfg->spam_rspamd, cfg->spam_timeout, raw, len,
						     &r, &err);

		if (b.len > 0)
			buf_puts(&b, "; ");
		if (st == RSPAMD_CHECKED) {
			if (r.spam) {
				buf_reset(&b);
				buf_printf(&b, "rspamd %s %.1f/%.1f", r.action, r.score, r.required);
				*reason_r = buf_steal(&b, NULL);
				return SCAN_SPAM;
			}
			buf_printf(&b, "rspamd %s %.1f/%.1f", r.action, r.score, r.required);
		} else {
			buf_printf(&b, "%s", err);
			down = down || st == RSPAMD_UNAVAILABLE;
			failed = failed || st == RSPAMD_FAILED;
		}
		free(err);
	}
	*reason_r = buf_steal(&b, NULL);
	return down ? SCAN_UNAVAILABLE : failed ? SCAN_FAILED : SCAN_CLEAN;
}

void
scan_add_traffic(enum scan_status st, const char *said, const char *source, struct traffic *t)
{
	char *r = NULL;

	if (said == NULL)
		said = "";
	switch (st) {
	case SCAN_OFF:
		return;
	case SCAN_TOO_LARGE:
		r = xasprintf("unscanned: %s", said);
		traffic_add(t, VERDICT_NONE, r);
		break;
	case SCAN_SPAM:
		traffic_add(t, VERDICT_SPAM, said);
		break;
	case SCAN_CLEAN:
		r = xasprintf("not spam: %s", said);
		traffic_add(t, VERDICT_NONE, r);
		break;
	case SCAN_UNAVAILABLE:
		log_warn("%s: %s: the ack waits up to [spam] wait", source, said);
		r = xasprintf(TRAFFIC_UNSCANNED " (%.150s): the ack waits", said);
		traffic_add(t, VERDICT_NONE, r);
		t->scan_pending = true;
		break;
	case SCAN_FAILED:
	default:
		/* A protocol error will not mend itself: the message is
		 * taken as the rest says, and the log says why. */
		log_error("%s: %s", source, said);
		r = xasprintf("unscanned: scanner failed (%.150s)", said);
		traffic_add(t, VERDICT_NONE, r);
		break;
	}
	free(r);
}
