/*
 * t_scan - the pieces of inbox hygiene that need no server: reading
 * [spam] spamd's HOST:PORT, reading rspamd's answer (only top-level keys:
 * a symbol's "action" option is not the verdict), and the traffic
 * reasons (the weightiest verdict wins; a reason cut in the middle of a
 * UTF-8 sequence stays valid UTF-8).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "net/rspamd.h"
#include "net/spamd.h"
#include "policy/traffic.h"
#include "tap.h"

static void
test_hostport(void)
{
	static const struct {
		const char *in, *host, *port;
	} good[] = {
		{ "127.0.0.1:783", "127.0.0.1", "783" },
		{ "spamd.example.com:10783", "spamd.example.com", "10783" },
		{ "[::1]:783", "::1", "783" },
	};
	static const char *const bad[] = {
		"localhost", "localhost:", ":783", "host:0", "host:65536", "host:78x",
		"[::1]783", "[::1", NULL,
	};
	char host[64], port[16];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(spamd_parse_hostport(good[i].in, host, sizeof(host), port, sizeof(port)) == 0 &&
		   strcmp(host, good[i].host) == 0 && strcmp(port, good[i].port) == 0,
		   "spamd %s: host %s port %s", good[i].in, good[i].host, good[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(spamd_parse_hostport(bad[i], host, sizeof(host), port, sizeof(port)) < 0,
		   "spamd \"%s\" is refused", bad[i] != NULL ? bad[i] : "(null)");
}

static void
test_rspamd(void)
{
	struct rspamd_result r;

	ok(rspamd_parse("{\"is_skipped\":false,\"score\":15.5,\"required_score\":15.0,"
			"\"action\":\"reject\",\"symbols\":{}}", &r) == 0 && r.spam &&
	   strcmp(r.action, "reject") == 0 && r.score == 15.5 && r.required == 15.0,
	   "reject 15.5/15.0 is spam");
	ok(rspamd_parse("{\"action\": \"add header\", \"score\": 7.2}", &r) == 0 && r.spam,
	   "add header is spam");
	ok(rspamd_parse("{\"action\":\"rewrite subject\",\"score\":9}", &r) == 0 && r.spam,
	   "rewrite subject is spam");
	ok(rspamd_parse("{\"action\":\"greylist\",\"score\":4}", &r) == 0 && !r.spam,
	   "greylist is not");
	ok(rspamd_parse("{\"action\":\"soft reject\",\"score\":4}", &r) == 0 && !r.spam,
	   "soft reject is not");
	ok(rspamd_parse("{\"symbols\":{\"X\":{\"action\":\"reject\",\"score\":99}},"
			"\"action\":\"no action\",\"score\":-1.5}", &r) == 0 && !r.spam &&
	   r.score == -1.5, "a symbol's \"action\" is not the verdict (no action, -1.5)");
	ok(rspamd_parse("{\"messages\":{\"smtp_message\":\"\\\"action\\\":\\\"reject\\\"\"},"
			"\"action\":\"no action\",\"score\":0}", &r) == 0 && !r.spam,
	   "nor is one inside a string");
	ok(rspamd_parse("<html>not rspamd</html>", &r) < 0, "HTML is no result");
	ok(rspamd_parse("{\"score\":3}", &r) < 0, "no action: no result");
	ok(rspamd_parse("{\"action\":\"reject\"}", &r) < 0, "no score: no result");
}

static void
test_traffic(void)
{
	struct traffic t;
	char long_reason[600];
	struct buf b;

	traffic_init(&t);
	traffic_add(&t, VERDICT_BULK, "Precedence: bulk");
	traffic_add(&t, VERDICT_SPAM, "spamd 9.0/5.0: X");
	traffic_add(&t, VERDICT_LIST, "List-Id: x");
	traffic_add(&t, VERDICT_NONE, "ignored: a note");
	is_str(verdict_name(t.verdict), "spam", "the weightiest verdict wins (spam over list and bulk)");
	ok(traffic_quarantines(t.verdict), "spam quarantines");
	ok(!traffic_quarantines(VERDICT_LIST) && !traffic_quarantines(VERDICT_BULK) &&
	   traffic_quarantines(VERDICT_FORGED), "list and bulk do not; forged does");
	buf_init(&b, BUF_NO_LIMIT);
	traffic_reasons_json(&t, &b);
	is_str(buf_str(&b), "[\"bulk: Precedence: bulk\",\"spam: spamd 9.0/5.0: X\","
	       "\"list: List-Id: x\",\"ignored: a note\"]", "the reasons in order, as JSON");
	buf_free(&b);
	traffic_clear(&t);
	is_str(verdict_name(t.verdict), "ok", "cleared: ok again");

	/* 599 bytes of two-byte letters: the cut falls inside one. */
	for (size_t i = 0; i + 1 < sizeof(long_reason); i += 2) {
		long_reason[i] = (char)0xc3;
		long_reason[i + 1] = (char)0xa9;
	}
	long_reason[sizeof(long_reason) - 2] = 'x';
	long_reason[sizeof(long_reason) - 1] = '\0';
	traffic_add(&t, VERDICT_BULK, long_reason + 1);
	ok(strlen(t.reasons[0]) < TRAFFIC_MAX_REASON, "a long reason is cut (%zu bytes)",
	   strlen(t.reasons[0]));
	ok(utf8_valid(t.reasons[0], strlen(t.reasons[0])), "and stays valid UTF-8");
	for (int i = 0; i < TRAFFIC_MAX_REASONS + 5; i++)
		traffic_add(&t, VERDICT_NONE, "note");
	is_int((long long)t.n_reasons, TRAFFIC_MAX_REASONS, "at most %d reasons are kept",
	       TRAFFIC_MAX_REASONS);
	traffic_add(&t, VERDICT_FORGED, "dmarc=fail");
	is_str(verdict_name(t.verdict), "forged", "a reason past the cap still decides");
	traffic_clear(&t);
}

int
main(void)
{
	test_hostport();
	test_rspamd();
	test_traffic();
	return tap_exit();
}
