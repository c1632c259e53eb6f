/*
 * t_classify - the rules language, its errors, the limits, and the default
 * rules on hand-written complaints.
 *
 * Uses the files in tests/data/rules (from $top_srcdir, else the current
 * directory) and rules.conf from $REDRESS_DATADIR (the source tree).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "mail/message.h"
#include "policy/classify.h"
#include "policy/classify_int.h"
#include "policy/classify_train.h"
#include "tap.h"
#include "base/xmem.h"

static char *
data_path(const char *rel)
{
	const char *top = getenv("top_srcdir");

	return xasprintf("%s/%s", top != NULL && *top != '\0' ? top : ".", rel);
}

static struct classify_rules *
load_or_bail(const char *path, bool no_jit)
{
	struct classify_options opt = { .no_jit = no_jit };
	struct classify_rules *r;
	char *err;

	if (classify_load_opts(path, &opt, &r, &err) < 0) {
		printf("Bail out! %s\n", err);
		free(err);
		exit(1);
	}
	return r;
}

/* Rules from text, or NULL after a failed test that says why. */
static struct classify_rules *
load_string_or_fail(const char *text, size_t len, const char *what)
{
	struct classify_rules *r;
	char *err = NULL;

	if (classify_load_string("p", text, len, NULL, &r, &err) < 0) {
		ok(false, "%s: rules load: %s", what, err);
		free(err);
		return NULL;
	}
	return r;
}

/* "a,b" from the result's tags. */
static char *
tags_str(const struct classify_result *res)
{
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	for (size_t i = 0; i < res->n_tags; i++)
		buf_printf(&b, "%s%s", i > 0 ? "," : "", res->tags[i]);
	return buf_steal(&b, NULL);
}

static double
score_of(const struct classify_result *res, const char *cat)
{
	for (size_t i = 0; i < res->n_scores; i++)
		if (strcmp(res->scores[i].category, cat) == 0)
			return res->scores[i].score;
	return -9999;
}

/* ------------------------------------------------------------------ */
/* Errors: every message the loader can give, with its position. */

struct err_case {
	const char *text;
	const char *error;
};

#define CAT "category o normal \"O\" fallback\n"

static const struct err_case err_cases[] = {
	{ "bogus x\n",
	  "t.rules:1:1: unknown directive \"bogus\" (category, tag, threshold, rule)" },
	{ "category\n", "t.rules:1:9: category: expected an id" },
	{ "category 9x normal \"L\"\n",
	  "t.rules:1:10: invalid category id \"9x\": letters, digits, '-', '_' and '.', "
	  "starting with a letter, at most 64 bytes" },
	{ CAT "tag o\n", "t.rules:2:5: duplicate id \"o\"" },
	{ "category a\n",
	  "t.rules:1:11: category: expected a priority (urgent, high, normal, low)" },
	{ "category a soon \"A\"\n",
	  "t.rules:1:12: unknown priority \"soon\" (urgent, high, normal, low)" },
	{ "category a normal A\n", "t.rules:1:19: expected a \"quoted label\"" },
	{ "category a normal \"A\n", "t.rules:1:19: unterminated label: no closing '\"'" },
	{ "category a normal \"\"\n", "t.rules:1:19: a label must have 1 to 200 bytes" },
	{ "category a normal \"A\" loud\n",
	  "t.rules:1:23: unknown category flag \"loud\" (fallback, unrecognised, "
	  "question, praise, spam, outcome=NAME, not-complaint)" },
	{ "category a normal \"A\" outcome=junk\n",
	  "t.rules:1:23: unknown outcome \"junk\" (complaint, question, praise, spam)" },
	{ "category a normal \"A\" spam fallback\n",
	  "t.rules:1:28: the fallback category cannot be spam" },
	{ "category a normal \"A\" question praise\n",
	  "t.rules:1:32: a second outcome for category \"a\" (\"question\" is one already)" },
	{ "category a normal \"A\" praise fallback\n",
	  "t.rules:1:30: the fallback category cannot be praise" },
	{ "category a normal \"A\" fallback outcome=question\n",
	  "t.rules:1:32: the fallback category cannot be outcome=question" },
	{ "category a normal \"A\" not-complaint fallback\n",
	  "t.rules:1:37: the fallback category cannot be not-complaint" },
	{ "category a normal \"A\" fallback not-complaint\n",
	  "t.rules:1:32: the fallback category cannot be not-complaint" },
	{ CAT "category b normal \"B\" fallback\n",
	  "t.rules:2:23: a second fallback category (\"o\" is one already)" },
	{ "tag\n", "t.rules:1:4: tag: expected an id" },
	{ "tag t raise=soon\n",
	  "t.rules:1:13: unknown priority \"soon\" (urgent, high, normal, low)" },
	{ "tag t min=0\n", "t.rules:1:11: min= wants a positive number up to 1000" },
	{ "tag t loud\n",
	  "t.rules:1:7: unknown tag option \"loud\" (raise=PRIORITY, escalate, complaint, "
	  "min=NUMBER)" },
	{ "threshold x\n", "t.rules:1:11: threshold: expected a number" },
	{ "threshold\n", "t.rules:1:10: threshold: expected a number" },
	{ "threshold 1 2\n", "t.rules:1:13: threshold: unexpected \"2\"" },
	{ CAT "rule\n", "t.rules:2:5: rule: expected a name" },
	{ CAT "rule -x any o 1 : a\n",
	  "t.rules:2:6: invalid rule name \"-x\": letters, digits, '-', '_' and '.', "
	  "starting with a letter, at most 64 bytes" },
	{ CAT "rule x any o 1 : a\nrule x any o 1 : b\n",
	  "t.rules:3:6: duplicate rule name \"x\" (first on line 2)" },
	{ CAT "rule x\n",
	  "t.rules:2:7: rule: expected a field (subject, body, from, any, header:NAME)" },
	{ CAT "rule x text o 1 : a\n",
	  "t.rules:2:8: unknown field \"text\" (subject, body, from, any, header:NAME)" },
	{ CAT "rule x header: o 1 : a\n",
	  "t.rules:2:8: unknown field \"header:\" (subject, body, from, any, header:NAME)" },
	{ CAT "rule x header:X\x7fY o 1 : a\n",
	  "t.rules:2:16: invalid character in header name" },
	{ CAT "rule x any\n", "t.rules:2:11: rule: expected a category or tag" },
	{ CAT "rule x any nope 1 : a\n",
	  "t.rules:2:12: unknown category or tag \"nope\" (declare it above the rule)" },
	{ CAT "rule x any o\n", "t.rules:2:13: rule: expected a weight or veto" },
	{ CAT "rule x any o lots : a\n",
	  "t.rules:2:14: expected a weight (a number from -1000 to 1000) or veto, got \"lots\"" },
	{ CAT "rule x any o 1001 : a\n",
	  "t.rules:2:14: expected a weight (a number from -1000 to 1000) or veto, got \"1001\"" },
	{ CAT "rule x any o 1:a\n",
	  "t.rules:2:14: expected a weight (a number from -1000 to 1000) or veto, got \"1:a\"" },
	{ CAT "rule x any o 1 loud : a\n",
	  "t.rules:2:16: unknown rule flag \"loud\" (case, max=N), or a missing \":\" before "
	  "the pattern" },
	{ CAT "rule x any o 1 max=0 : a\n",
	  "t.rules:2:20: max= wants a whole number from 1 to 100" },
	{ CAT "rule x any o 1 max=1.5 : a\n",
	  "t.rules:2:20: max= wants a whole number from 1 to 100" },
	{ CAT "rule x any o 1 case\n", "t.rules:2:20: rule: expected \":\" and a pattern" },
	{ CAT "rule x any o 1 :\n", "t.rules:2:16: rule \"x\" has an empty pattern" },
	{ CAT "rule x any o 1 :   \n# nothing\n\nrule y any o 1 : a\n",
	  "t.rules:2:16: rule \"x\" has an empty pattern" },
	{ CAT "rule x any o 1 : a(b\n",
	  "t.rules:2:21: rule \"x\": missing closing parenthesis" },
	{ CAT "rule x any o 1 : ab)\n",
	  "t.rules:2:20: rule \"x\": unmatched closing parenthesis" },
	{ CAT "rule x any o 1 : a\\Cb\n",
	  "t.rules:2:21: rule \"x\": using \\C is disabled by the application" },
	{ CAT "rule x any o 1 :\n\tabc\n\t|d[e\n",
	  "t.rules:4:6: rule \"x\": missing terminating ] for character class" },
	{ CAT "rule x any o 1 : (((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))"
	  "))))))))))))))))))))))))))))))))))))))))))))\n",
	  "t.rules:2:69: rule \"x\": parentheses are too deeply nested" },
	{ CAT "  rule x any o 1 : a\n",
	  "t.rules:2:3: indented line outside a rule's pattern (directives start in column 1)" },
	{ CAT "rule x any o 1 : caf\xc3\n",
	  "t.rules:2:21: invalid UTF-8" },
	{ CAT "rule x any o 1 : a\x01\n", "t.rules:2:19: control character 0x01" },
	{ "tag t\n",
	  "t.rules: no category is marked fallback (one must be: it takes what scores "
	  "below the threshold)" },
	{ "", "t.rules: no category is marked fallback (one must be: it takes what scores "
	      "below the threshold)" },
};

static void
test_errors(void)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct classify_rules *r = NULL;
		char *err = NULL;
		int rc = classify_load_string("t.rules", err_cases[i].text,
					      strlen(err_cases[i].text), NULL, &r, &err);

		is_int(rc, -1, "error %zu refused", i);
		is_str(err, err_cases[i].error, "error %zu message", i);
		ok(r == NULL, "error %zu: no rules handed out", i);
		free(err);
		classify_rules_free(&r);
	}
}

/* Errors that need big or binary input. */
static void
test_errors_special(void)
{
	struct classify_options nojit = { .no_jit = true };
	struct classify_rules *r = NULL;
	char *err = NULL, *path;
	struct buf b;

	/* A NUL byte. */
	{
		static const char text[] = CAT "rule x any o 1 : a\0b\n";

		is_int(classify_load_string("t.rules", text, sizeof(text) - 1, NULL, &r, &err), -1,
		       "NUL byte refused");
		is_str(err, "t.rules:2:19: NUL byte", "NUL byte: position");
		free(err);
	}
	/* A line too long. */
	buf_init(&b, BUF_NO_LIMIT);
	buf_puts(&b, CAT "rule x any o 1 : ");
	for (int i = 0; i < CLASSIFY_MAX_LINE; i++)
		buf_putc(&b, 'a');
	is_int(classify_load_string("t.rules", b.data, b.len, NULL, &r, &err), -1,
	       "long line refused");
	is_str(err, "t.rules:2:8193: line longer than 8192 bytes", "long line: message");
	free(err);
	/* A pattern over CLASSIFY_MAX_PATTERN bytes, made of continuation lines. */
	buf_reset(&b);
	buf_puts(&b, CAT "rule x any o 1 :\n");
	for (int i = 0; i < 5; i++) {
		buf_putc(&b, '\t');
		for (int j = 0; j < 1000; j++)
			buf_putc(&b, 'a');
		buf_putc(&b, '\n');
	}
	is_int(classify_load_string("t.rules", b.data, b.len, NULL, &r, &err), -1,
	       "long pattern refused");
	is_str(err, "t.rules:7:98: pattern of rule \"x\" is longer than 4096 bytes",
	       "long pattern: where the limit is crossed");
	free(err);
	/* Too many rules. */
	buf_reset(&b);
	buf_puts(&b, CAT);
	for (int i = 0; i <= CLASSIFY_MAX_RULES; i++)
		buf_printf(&b, "rule r%d any o 1 : w%d\n", i, i);
	is_int(classify_load_string("t.rules", b.data, b.len, &nojit, &r, &err), -1,
	       "too many rules refused");
	is_str(err, "t.rules:5002:1: more than 5000 rules", "too many rules: message");
	free(err);
	/* Too many categories and tags. */
	buf_reset(&b);
	buf_puts(&b, CAT);
	for (int i = 0; i < CLASSIFY_MAX_TARGETS; i++)
		buf_printf(&b, "tag t%d\n", i);
	is_int(classify_load_string("t.rules", b.data, b.len, NULL, &r, &err), -1,
	       "too many targets refused");
	is_str(err, "t.rules:201:5: more than 200 categories and tags", "too many targets");
	free(err);
	/* A file too large. */
	buf_reset(&b);
	while (b.len <= CLASSIFY_MAX_FILE)
		buf_puts(&b, "# padding padding padding padding padding padding padding\n");
	is_int(classify_load_string("t.rules", b.data, b.len, NULL, &r, &err), -1,
	       "large file refused");
	is_str(err, "t.rules: larger than 1048576 bytes", "large file: message");
	free(err);
	buf_free(&b);
	/* A missing file. */
	is_int(classify_load("/nonexistent/redress.rules", &r, &err), -1, "missing file");
	is_str(err, "/nonexistent/redress.rules: cannot open: No such file or directory",
	       "missing file: message");
	free(err);
	/* A bad pattern split over lines, from a file. */
	path = data_path("tests/data/rules/bad-pattern.rules");
	is_int(classify_load(path, &r, &err), -1, "bad-pattern.rules refused");
	{
		char *want = xasprintf("%s:8:8: rule \"bad\": missing closing parenthesis", path);

		is_str(err, want, "bad-pattern.rules: line and column on the continuation");
		free(want);
	}
	free(err);
	free(path);
	ok(r == NULL, "no rules after errors");
}

/* ------------------------------------------------------------------ */
/* Features */

struct feat_case {
	const char *name;
	const char *subject;
	const char *body;
	const char *from;
	const char *hname, *hvalue;   /* one header, or NULL */
	const char *category;
	bool complaint;
	const char *priority;
	const char *tags;
	bool escalate;
	int n_hits;
};

static const struct feat_case feat_cases[] = {
	{ "weight reaches threshold", "", "I want a refund", "", NULL, NULL,
	  "money", true, "normal", "", false, 1 },
	{ "below threshold: fallback", "", "what a price", "", NULL, NULL,
	  "other", true, "normal", "", false, 1 },
	{ "max=3 counts three matches", "", "price, cost, fee and another price", "", NULL, NULL,
	  "money", true, "normal", "", false, 3 },
	{ "subject field, category priority", "It is broken", "", "", NULL, NULL,
	  "broken", true, "high", "", false, 1 },
	{ "body-only rule does not see the subject", "", "broken", "", NULL, NULL,
	  "other", true, "normal", "", false, 1 },
	{ "veto stops a category", "broken", "no, it is not broken", "", NULL, NULL,
	  "other", true, "normal", "", false, 3 },
	{ "not-complaint outcome", "", "Thanks!", "", NULL, NULL,
	  "thanks", false, "low", "", false, 1 },
	{ "veto stops not-complaint", "", "thanks, but I am upset", "", NULL, NULL,
	  "other", true, "normal", "", false, 2 },
	{ "complaint tag overrides not-complaint", "", "thank you, says my lawyer", "", NULL,
	  NULL, "other", true, "urgent", "legal", true, 2 },
	{ "tie: complaint beats not-complaint", "", "refund the price, thanks", "", NULL, NULL,
	  "money", true, "normal", "", false, 3 },
	{ "case flag: lower case does not shout", "", "this very long shouting", "", NULL,
	  NULL, "other", true, "normal", "", false, 0 },
	{ "tag below min does not fire", "", "THIS VERY bad", "", NULL, NULL,
	  "other", true, "normal", "", false, 2 },
	{ "tag at min raises priority", "", "THIS VERY VERY BAD STUFF", "", NULL, NULL,
	  "other", true, "high", "loud", false, 4 },
	{ "tags do not act on not-complaint", "", "THANK YOU VERY MUCH EVERYONE", "", NULL,
	  NULL, "thanks", false, "low", "loud", false, 5 },
	{ "from field", "", "", "Ann <ann@vip.example>", NULL, NULL,
	  "money", true, "normal", "", false, 1 },
	{ "header field, name caseless", "", "", "", "x-priority", "1 (Highest)",
	  "other", true, "normal", "quiet", false, 1 },
	{ "header field: other header ignored", "", "", "", "X-Mailer", "1 (Highest)",
	  "other", true, "normal", "", false, 0 },
	{ "negative weight", "", "refund, just kidding", "", NULL, NULL,
	  "other", true, "normal", "", false, 2 },
	{ "low-priority category", "", "a minor thing", "", NULL, NULL,
	  "minor", true, "low", "", false, 1 },
	{ "pattern over three lines", "", "bar", "", NULL, NULL,
	  "other", true, "normal", "", false, 1 },
	{ "caseless by default", "REFUND", "", "", NULL, NULL,
	  "money", true, "normal", "", false, 2 },
	{ "empty message", NULL, NULL, NULL, NULL, NULL,
	  "other", true, "normal", "", false, 0 },
};

static void
test_features(bool no_jit)
{
	char *path = data_path("tests/data/rules/features.rules");
	struct classify_rules *r = load_or_bail(path, no_jit);
	const char *mode = no_jit ? "interp" : "jit";

	is_int((long long)classify_rules_count(r), 14, "%s: features.rules has 14 rules", mode);
	ok(classify_rules_jit(r) == !no_jit, "%s: JIT state", mode);
	for (size_t i = 0; i < sizeof(feat_cases) / sizeof(feat_cases[0]); i++) {
		const struct feat_case *c = &feat_cases[i];
		struct message_header h = { (char *)c->hname, (char *)c->hvalue };
		struct classify_input in = {
			.subject = c->subject, .body = c->body,
			.body_len = c->body != NULL ? strlen(c->body) : 0, .from = c->from,
			.headers = c->hname != NULL ? &h : NULL, .n_headers = c->hname != NULL,
		};
		struct classify_result *res;
		char *tags;

		if (classify_run(r, &in, &res) < 0) {
			ok(false, "%s: %s: classify_run", mode, c->name);
			continue;
		}
		tags = tags_str(res);
		is_str(res->category, c->category, "%s: %s: category", mode, c->name);
		ok(res->complaint == c->complaint, "%s: %s: complaint=%d", mode, c->name,
		   c->complaint);
		is_str(priority_name(res->priority), c->priority, "%s: %s: priority", mode, c->name);
		is_str(tags, c->tags, "%s: %s: tags", mode, c->name);
		ok(res->escalate == c->escalate, "%s: %s: escalate=%d", mode, c->name, c->escalate);
		is_int((long long)res->n_hits, c->n_hits, "%s: %s: hits", mode, c->name);
		free(tags);
		classify_result_free(&res);
		ok(res == NULL, "%s: %s: result freed and NULLed", mode, c->name);
	}
	classify_rules_free(&r);
	ok(r == NULL, "%s: rules freed and NULLed", mode);
	free(path);
}

/* Hit details, scores, labels, JSON and text output. */
static void
test_output(void)
{
	char *path = data_path("tests/data/rules/features.rules");
	struct classify_rules *r = load_or_bail(path, false);
	struct classify_input in = { .subject = "Broken", .body = "no refund\tyet, \xe2\x82\xac price",
				     .from = "" };
	struct classify_result *res;
	struct buf b;

	in.body_len = strlen(in.body);
	is_int(classify_run(r, &in, &res), 0, "output: classify_run");
	is_str(res->label, "Money problem", "label");
	is_int((long long)res->n_hits, 3, "three hits");
	is_str(res->hits[0].rule, "refund", "hit 0 rule");
	is_str(res->hits[0].field, "body", "hit 0 field (any: body)");
	is_str(res->hits[0].match, "refund", "hit 0 match");
	is_int((long long)res->hits[0].offset, 3, "hit 0 offset");
	is_str(res->hits[0].target, "money", "hit 0 target");
	ok(res->hits[0].weight == 2 && !res->hits[0].veto, "hit 0 weight 2");
	is_str(res->hits[2].field, "subject", "hit 2 is the subject rule");
	is_int((long long)res->hits[2].offset, 0, "hit 2 offset");
	ok(score_of(res, "money") == 3, "money scored 2+1");
	ok(score_of(res, "broken") == 3, "broken scored 3");
	ok(score_of(res, "thanks") == 0, "thanks scored 0");
	is_int((long long)res->n_scores, 5, "a score for each category, not tags");
	is_str(res->category, "money", "tie between categories: the earlier one");
	classify_result_free(&res);
	in.body = "";
	in.body_len = 0;
	classify_run(r, &in, &res);
	is_str(res->label, "Broken \"thing\"", "label with an escaped quote");
	classify_result_free(&res);
	in.body = "no refund\tyet, \xe2\x82\xac price";
	in.body_len = strlen(in.body);
	classify_run(r, &in, &res);

	buf_init(&b, BUF_NO_LIMIT);
	classify_result_json(res, false, &b);
	is_str(buf_str(&b),
	       "{\"complaint\":true,\"outcome\":\"complaint\",\"category\":\"money\",\"label\":\"Money problem\","
	       "\"priority\":\"normal\",\"tags\":[],\"escalate\":false,"
	       "\"scores\":{\"money\":3,\"broken\":3,\"minor\":0,\"other\":0,\"thanks\":0},"
	       "\"rules\":[{\"rule\":\"refund\",\"field\":\"body\",\"match\":\"refund\"},"
	       "{\"rule\":\"cost\",\"field\":\"body\",\"match\":\"price\"},"
	       "{\"rule\":\"broken-subject\",\"field\":\"subject\",\"match\":\"Broken\"}]}",
	       "JSON without explain");
	buf_reset(&b);
	classify_result_json(res, true, &b);
	ok(strstr(buf_str(&b), "{\"rule\":\"cost\",\"field\":\"body\",\"match\":\"price\","
		  "\"offset\":19,\"target\":\"money\",\"weight\":1,\"veto\":false}") != NULL,
	   "JSON with explain has offset, target, weight, veto");
	buf_reset(&b);
	classify_result_text(res, true, &b);
	is_str(buf_str(&b),
	       "complaint: yes\n"
	       "outcome: complaint\n"
	       "category: money (Money problem)\n"
	       "priority: normal\n"
	       "tags: none\n"
	       "escalate: no\n"
	       "scores: money 3, broken 3, minor 0, other 0, thanks 0\n"
	       "rules that fired:\n"
	       "  refund: body at byte 3 -> money +2: \"refund\"\n"
	       "  cost: body at byte 19 -> money +1: \"price\"\n"
	       "  broken-subject: subject at byte 0 -> broken +3: \"Broken\"\n",
	       "text with explain");
	classify_result_free(&res);

	/* Veto and negative weight in the text; tags in JSON. */
	in.subject = "";
	in.body = "not broken, just kidding, lawyer";
	in.body_len = strlen(in.body);
	classify_run(r, &in, &res);
	buf_reset(&b);
	classify_result_text(res, true, &b);
	ok(strstr(buf_str(&b), "  not-broken: body at byte 0 -> broken veto: \"not broken\"\n")
	   != NULL, "text shows a veto");
	ok(strstr(buf_str(&b), "  kidding: body at byte 12 -> money -3: \"just kidding\"\n")
	   != NULL, "text shows a negative weight");
	ok(strstr(buf_str(&b), "tags: legal\nescalate: yes\n") != NULL, "text shows tags");
	buf_reset(&b);
	classify_result_json(res, false, &b);
	ok(strstr(buf_str(&b), "\"priority\":\"urgent\",\"tags\":[\"legal\"],\"escalate\":true")
	   != NULL, "JSON shows tags and escalate");
	ok(strstr(buf_str(&b), "\"money\":-3,") != NULL, "JSON negative score");
	classify_result_free(&res);
	buf_free(&b);
	classify_rules_free(&r);
	free(path);
}

static void
test_version(void)
{
	static const char a[] = CAT "rule x any o 1 : a\n";
	static const char b[] = CAT "rule x any o 2 : a\n";
	struct classify_rules *r1, *r2, *r3;
	char *err;
	const char *v;

	classify_load_string("a", a, strlen(a), NULL, &r1, &err);
	classify_load_string("b", a, strlen(a), NULL, &r2, &err);
	classify_load_string("c", b, strlen(b), NULL, &r3, &err);
	v = classify_rules_version(r1);
	is_int((long long)strlen(v), 16, "version: 16 characters");
	ok(strspn(v, "0123456789abcdef") == 16, "version: hex");
	is_str(classify_rules_version(r2), v, "version: same bytes, same version");
	ok(strcmp(classify_rules_version(r3), v) != 0, "version: other bytes, other version");
	is_int((long long)classify_rules_count(r1), 1, "count: 1 rule");
	classify_rules_free(&r1);
	classify_rules_free(&r2);
	classify_rules_free(&r3);
	/* CRLF line ends are fine. */
	{
		static const char crlf[] = "category o normal \"O\" fallback\r\n"
					   "rule x any o 2 : ab\r\n";
		struct classify_input in = { .body = "xab", .body_len = 3 };
		struct classify_result *res;

		is_int(classify_load_string("crlf", crlf, strlen(crlf), NULL, &r1, &err), 0,
		       "CRLF file loads");
		classify_run(r1, &in, &res);
		is_int((long long)res->n_hits, 1, "CRLF: pattern has no CR");
		classify_result_free(&res);
		classify_rules_free(&r1);
	}
}

/*
 * Outcomes (issue 11): each category has one -- complaint by default,
 * question, praise, or not-complaint (the old flag, read as question) --
 * and the winning category's is the message's.
 */
static void
test_outcomes(void)
{
	static const char rules[] =
		"threshold 1\n"
		"category money normal \"Money\"\n"
		"category other normal \"Other\" fallback\n"
		"category ask low \"A question\" question\n"
		"category thanks low \"Thanks\" praise\n"
		"category old low \"Old style\" not-complaint\n"
		"category plain low \"Complaint, said so\" outcome=complaint\n"
		"category also-ask low \"Asked twice\" outcome=question\n"
		"category junk low \"Spam\" spam\n"
		"tag legal escalate complaint\n"
		"rule refund any money 2 : refund\n"
		"rule ask any ask 2 : do you\n"
		"rule thanks any thanks 2 : thank you\n"
		"rule old any old 2 : cheers\n"
		"rule plain any plain 2 : plainly\n"
		"rule ask2 any also-ask 2 : wondering\n"
		"rule lawyer any legal 1 : lawyer\n"
		"rule pills any junk 2 : viagra\n";
	static const struct {
		const char *body, *category, *outcome;
		bool complaint;
		bool no_spam;
	} cases[] = {
		{ "I want a refund", "money", "complaint", true, false },
		{ "nothing at all", "other", "complaint", true, false },
		{ "do you sell hats", "ask", "question", false, false },
		{ "thank you", "thanks", "praise", false, false },
		{ "cheers", "old", "question", false, false },
		{ "plainly", "plain", "complaint", true, false },
		{ "just wondering", "also-ask", "question", false, false },
		/* Ties: a complaint beats any other outcome; between two other
		 * outcomes the one declared first wins. */
		{ "refund, thank you", "money", "complaint", true, false },
		{ "thank you, do you", "ask", "question", false, false },
		/* A complaint tag turns praise into a complaint. */
		{ "thank you, my lawyer", "other", "complaint", true, false },
		/* Spam (issue 13): an outcome like the others, ties go to the
		 * complaint; a complaint tag does not make spam a complaint
		 * (bulk mail is full of legal small print); with no_spam the
		 * message is what it would be without the spam categories. */
		{ "cheap viagra", "junk", "spam", false, false },
		{ "refund for my viagra", "money", "complaint", true, false },
		{ "viagra, ask your lawyer", "junk", "spam", false, false },
		{ "cheap viagra", "other", "complaint", true, true },
		{ "viagra, thank you", "thanks", "praise", false, true },
	};
	struct classify_rules *r = NULL;
	enum outcome o;

	if ((r = load_string_or_fail(rules, sizeof(rules) - 1, "outcomes")) == NULL)
		return;
	is_int((long long)classify_rules_n_categories(r), 8, "eight categories");
	is_str(classify_rules_category(r, 2), "ask", "the third category is ask");
	ok(classify_rules_category(r, 8) == NULL, "no ninth category");
	ok(classify_rules_category_outcome(r, 7) == OUTCOME_SPAM, "the eighth is of outcome spam");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct classify_input in = { .body = cases[i].body, .no_spam = cases[i].no_spam };
		struct classify_result *res = NULL;
		struct buf b;

		in.body_len = strlen(in.body);
		classify_run(r, &in, &res);
		is_str(res->category, cases[i].category, "outcome: \"%s\": category", cases[i].body);
		is_str(outcome_name(res->outcome), cases[i].outcome,
		       "outcome: \"%s\": outcome", cases[i].body);
		ok(res->complaint == cases[i].complaint, "outcome: \"%s\": complaint=%d",
		   cases[i].body, cases[i].complaint);
		buf_init(&b, BUF_NO_LIMIT);
		classify_result_json(res, false, &b);
		ok(strstr(buf_str(&b), cases[i].complaint ? "\"complaint\":true,\"outcome\":\""
			  : "\"complaint\":false,\"outcome\":\"") != NULL &&
		   strstr(buf_str(&b), cases[i].outcome) != NULL,
		   "outcome: \"%s\": JSON has complaint and outcome", cases[i].body);
		buf_free(&b);
		classify_result_free(&res);
	}
	classify_rules_free(&r);
	ok(outcome_parse("praise", &o) == 0 && o == OUTCOME_PRAISE, "parse praise");
	ok(outcome_parse("not-complaint", &o) < 0, "not-complaint is a flag, no outcome");
	is_str(outcome_name(OUTCOME_QUESTION), "question", "name of question");
}

static void
test_repeat(void)
{
	char *path = data_path("tests/data/rules/features.rules");
	struct classify_rules *r = load_or_bail(path, false);
	static const char plain[] = CAT "category m low \"M\"\nrule m any m 2 : minor\n";
	struct classify_rules *r2;
	struct classify_input in = { .body = "a minor thing" };
	struct classify_result *res;
	char *err, *tags;

	in.body_len = strlen(in.body);
	classify_run(r, &in, &res);
	classify_apply_repeat(r, res);
	tags = tags_str(res);
	is_str(tags, "repeat", "repeat: tag added");
	is_str(priority_name(res->priority), "high", "repeat: low -> normal, raise=high");
	ok(res->escalate, "repeat: high priority escalates");
	free(tags);
	classify_apply_repeat(r, res);
	is_int((long long)res->n_tags, 1, "repeat: applied twice, tag once");
	is_str(priority_name(res->priority), "high", "repeat: applied twice, no second bump");
	classify_result_free(&res);

	/* Without a repeat tag in the rules: only the one-step bump. */
	classify_load_string("plain", plain, strlen(plain), NULL, &r2, &err);
	classify_run(r2, &in, &res);
	is_str(priority_name(res->priority), "low", "plain: low before");
	classify_apply_repeat(r2, res);
	is_str(priority_name(res->priority), "normal", "plain: one step up");
	ok(!res->escalate, "plain: normal does not escalate");
	classify_result_free(&res);

	/* Urgent stays urgent. */
	in.body = "lawyer refund";
	in.body_len = strlen(in.body);
	classify_run(r, &in, &res);
	classify_apply_repeat(r, res);
	is_str(priority_name(res->priority), "urgent", "urgent stays urgent");
	tags = tags_str(res);
	is_str(tags, "legal,repeat", "repeat appended after legal");
	free(tags);
	classify_result_free(&res);

	/* Not a complaint: left alone. */
	in.body = "thanks";
	in.body_len = strlen(in.body);
	classify_run(r, &in, &res);
	classify_apply_repeat(r, res);
	is_int((long long)res->n_tags, 0, "not-complaint: no repeat tag");
	is_str(priority_name(res->priority), "low", "not-complaint: priority unchanged");
	classify_result_free(&res);
	classify_rules_free(&r);
	classify_rules_free(&r2);
	free(path);
}

/* Limits: a runaway pattern stops, is logged once, and others still match. */
static void
test_limits(bool no_jit)
{
	char *path = data_path("tests/data/rules/catastrophic.rules");
	struct classify_rules *r = load_or_bail(path, no_jit);
	const char *mode = no_jit ? "interp" : "jit";
	size_t n = 100 * 1024, big = 300 * 1024;
	char *body = xmalloc(big + 16);
	struct classify_input in = { .body = body };
	struct classify_result *res;
	struct timespec t0, t1;
	double secs;
	char logname[] = "/tmp/t_classify.XXXXXX";
	int fd = mkstemp(logname), saved = dup(2);
	char *log;
	size_t loglen;

	/* Capture stderr, where log_warn writes. */
	fflush(stderr);
	dup2(fd, 2);

	/* 100 KB of 'a' and a 'b': (a+)+$ backtracks until the limit. */
	memset(body, 'a', n);
	body[n] = 'b';
	in.body_len = n + 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(classify_run(r, &in, &res), 0, "%s: runaway: classify_run returns", mode);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(secs < 2.0, "%s: runaway stopped in bounded time (%.3f s)", mode, secs);
	is_int((long long)res->n_hits, 0, "%s: runaway: no match", mode);
	is_str(res->category, "other", "%s: runaway: fallback", mode);
	classify_result_free(&res);

	/* The same with a word the other rule wants: it still matches. */
	memcpy(body + n, "b zebra", 7);
	in.body_len = n + 7;
	classify_run(r, &in, &res);
	is_int((long long)res->n_hits, 1, "%s: other rules still match", mode);
	is_str(res->n_hits > 0 ? res->hits[0].rule : "", "after", "%s: the hit is 'after'",
	       mode);
	classify_result_free(&res);

	/* 300 KB: the field is cut at CLASSIFY_MAX_FIELD; "$" does not match at the
	 * cut, and "zebra" after it is not seen. */
	memset(body, 'a', big);
	memcpy(body + big, " zebra", 6);
	in.body_len = big + 6;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	classify_run(r, &in, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(secs < 2.0, "%s: cut field: bounded time (%.3f s)", mode, secs);
	is_int((long long)res->n_hits, 0, "%s: cut field: nothing past the cap, no $ at the cut",
	       mode);
	classify_result_free(&res);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	log = tap_slurp(logname, &loglen);
	unlink(logname);
	{
		size_t count = 0;

		for (const char *p = log != NULL ? log : "";
		     (p = strstr(p, "rule \"nested\"")) != NULL; p++)
			count++;
		is_int((long long)count, 1, "%s: the limit hit is logged once", mode);
		ok(log != NULL && strstr(log, "counted as no match") != NULL,
		   "%s: the log says what happened", mode);
	}
	free(log);
	free(body);
	classify_rules_free(&r);
	free(path);
}

/* Invalid UTF-8 in the input does not stop matching elsewhere. */
static void
test_invalid_utf8(void)
{
	char *path = data_path("tests/data/rules/features.rules");
	struct classify_rules *r = load_or_bail(path, false);
	static const char body[] = "\xff\xfe caf\xc3 refund \xc3\x28 \xed\xa0\x80 price";
	struct classify_input in = { .subject = "\xc0\xaf broken", .body = body,
				     .body_len = sizeof(body) - 1 };
	struct classify_result *res;
	struct buf b;

	classify_run(r, &in, &res);
	is_str(res->category, "money", "invalid UTF-8: body rules match");
	is_int((long long)res->n_hits, 3, "invalid UTF-8: refund, price, broken");
	is_str(res->hits[0].match, "refund", "invalid UTF-8: match text");
	is_int((long long)res->hits[0].offset, 8, "invalid UTF-8: byte offset");
	is_str(res->hits[2].match, "broken", "invalid UTF-8 subject still matches");
	buf_init(&b, BUF_NO_LIMIT);
	classify_result_json(res, true, &b);
	ok(strstr(buf_str(&b), "\xff") == NULL, "JSON has no invalid byte");
	buf_free(&b);
	classify_result_free(&res);
	/* A NUL inside the body: the length counts, not the NUL. */
	in.subject = "";
	in.body = "abc\0 refund";
	in.body_len = 11;
	classify_run(r, &in, &res);
	is_int((long long)res->n_hits, 1, "NUL in the body: matching goes past it");
	classify_result_free(&res);
	classify_rules_free(&r);
	free(path);
}

/* ------------------------------------------------------------------ */
/* The literal prefilter must never change a result. */

struct pre_case {
	const char *pattern;
	const char *text;
	bool match;
	bool prefiltered;      /* the pattern gets a literal set */
};

static const struct pre_case pre_cases[] = {
	{ "\\brefund\\b", "I want a REFUND now", true, true },
	{ "\\brefund\\b", "I want my money", false, true },
	{ "refunds?", "refun", false, true },
	{ "\\b(?:charged|billed) twice\\b", "you Billed twice", true, true },
	{ "\\b(?:charged|billed) twice\\b", "billed thrice", false, true },
	/* Caseless UCP: s matches U+017F, k matches U+212A. */
	{ "\\bstuck\\b", "\xc5\xbftuck", true, true },
	{ "\\bkind\\b", "\xe2\x84\xaaind", true, true },
	{ "\\bkiss\\b", "\xe2\x84\xaai\xc5\xbf\xc5\xbf", true, true },
	/* Text with a byte above 127 is matched with UCP (\w is a letter of
	 * any script); ASCII text with the twin compiled without it, which
	 * must find the same (classify_int.h). */
	{ "\\bcaf\\w\\b", "un caf\xc3\xa9", true, true },
	{ "\\bcaf\\w\\b", "un cafe", true, true },
	{ "\\bber\\b", "\xc3\xbc" "ber alles", false, true },
	{ "\\bber\\b", "a ber b", true, true },
	{ "\\bstuck\\b", "STUCK", true, true },
	/* Punctuation and symbols only: the twin, with the same result;
	 * a POSIX class keeps UCP ([:punct:] takes in U+2019 with it). */
	{ "\\bit\\W+s\\b", "it\xe2\x80\x99s", true, false },
	{ "\\bprice\\b", "a \xc2\xa3" "5 price \xe2\x80\x94 fine", true, true },
	{ "\\bdon[[:punct:]]t\\b", "I don\xe2\x80\x99t", true, true },
	{ "\\bdon[[:punct:]]t\\b", "I don\xc3\xa9t", false, true },
	{ "\\bcaf\\w\\b", "caf\xc3\xa9 \xe2\x80\x99", true, true },
	{ "\\bcaf\\w", "caf\xc2\xa3", false, true },
	{ "a\\sb", "a\xc2\xa0" "b", true, false },
	/* Letters beyond ASCII: the twin on the field folded (each such
	 * letter a "_"), where the rule cannot tell them apart. */
	{ "\\bcaf\\w\\b", "un caf\xc3\xa9 noir", true, true },
	{ "\\bber\\b", "\xc3\xbc" "ber alles \xe2\x80\x99", false, true },
	{ "\\bnoir\\b", "caf\xc3\xa9 noir", true, true },
	{ "caf.{2}ir", "caf\xc3\xa9 noir", false, true },
	{ "caf.{1}\\snoir", "caf\xc3\xa9 noir", true, true },
	{ "caf\\w_", "caf\xc3\xa9_", true, true },
	{ "caf_", "caf\xc3\xa9", false, true },
	{ "\\bcaf\\p{L}", "caf\xc3\xa9", true, true },
	{ "\\bcaf\\x{e9}", "caf\xc3\xa9", true, false },
	{ "\\bcaf[[:alpha:]]", "caf\xc3\xa9", true, true },
	{ "stuck", "\xc5\xbftuck caf\xc3\xa9", true, true },
	{ "\\bdon[\xe2\x80\x99']t\\b", "I don\xe2\x80\x99t like caf\xc3\xa9", true, true },
	{ "\\bcaf\xc3\xa9\\b", "un CAF\xc3\x89 noir", true, true },
	/* Optional parts give no requirement. */
	{ "(?:abc)?xyz", "xyz", true, true },
	{ "(?:abc)*de", "de", true, false },
	{ "abc{0}de", "abde", true, false },
	{ "abcd{0}ef", "abcef", true, true },
	{ "abcd{0}ef", "abdef", false, true },
	{ "ab(?:cd|)ef", "abef", true, true },
	{ "ab(?:cd|)ef", "ABCDEF", true, true },
	{ "ab(?:cd|)ef", "abcef", false, true },
	{ "(?:lost|stolen) (?:\\w+ ){0,2}parcel", "stolen big parcel", true, true },
	{ "\\bnot\\b(?! at all)", "not here", true, true },
	{ "(?<=my )order", "my order", true, true },
	{ "(?<name>foo)bar", "foobar", true, true },
	{ "[abc]def", "xdef", false, true },
	{ "a\\.b\\.c", "a.b.c", true, true },
	{ "caf\xc3\xa9s", "CAF\xc3\x89S", true, true },
	{ "caf\xc3\xa9s", "CAFES", false, true },
	{ "(?i)abc", "ABC", true, false },
	{ "(?-i)abc", "ABC", false, false },
	{ "\\x41bc", "abc", true, false },
	{ "ab{2}c", "abbc", true, false },
	{ "(?:yes|no) way", "no way", true, true },
	{ "n't (?:been )?(?:sent|shipped)\\b", "hasn't been sent", true, true },
	{ "\\bn't (?:been )?(?:sent|shipped)\\b", "hasn't been sent", false, true },
	{ "thank(?:s| you)", "THANK YOU", true, true },
	{ "^hello", "hello there", true, true },
	{ "x[^.]{0,5}?yz", "xabyz", true, false },
	{ "abc[^.]{0,5}?xyz", "ABC12XYZ", true, true },
};

static void
test_prefilter(void)
{
	for (size_t i = 0; i < sizeof(pre_cases) / sizeof(pre_cases[0]); i++) {
		const struct pre_case *c = &pre_cases[i];
		char *text = xasprintf(CAT "rule x any o 5 : %s\n", c->pattern);
		struct classify_options on = { .no_prefilter = false }, off = { .no_prefilter = true };
		struct classify_rules *r1, *r2;
		struct classify_input in = { .body = c->text, .body_len = strlen(c->text) };
		struct classify_result *a, *b;
		char *err = NULL;

		if (classify_load_string("p", text, strlen(text), &on, &r1, &err) < 0 ||
		    classify_load_string("p", text, strlen(text), &off, &r2, &err) < 0) {
			ok(false, "prefilter %zu: %s loads: %s", i, c->pattern, err);
			free(err);
			free(text);
			continue;
		}
		classify_run(r1, &in, &a);
		classify_run(r2, &in, &b);
		is_int((long long)b->n_hits, c->match, "prefilter %zu: /%s/ on \"%s\": regex", i,
		       c->pattern, c->text);
		is_int((long long)a->n_hits, (long long)b->n_hits, "prefilter %zu: same result", i);
		is_int((long long)classify_rules_prefiltered(r1), c->prefiltered,
		       "prefilter %zu: literal set %s", i, c->prefiltered ? "found" : "refused");
		is_int((long long)classify_rules_prefiltered(r2), 0, "prefilter %zu: off", i);
		classify_result_free(&a);
		classify_result_free(&b);
		classify_rules_free(&r1);
		classify_rules_free(&r2);
		free(text);
	}
	/* A case-sensitive rule and a header rule are never prefiltered. */
	{
		static const char t[] = CAT "rule a any o 1 case : Refund\n"
					"rule b header:X-A o 1 : refund\nrule c any o 1 : refund\n";
		struct classify_rules *r;
		char *err;

		classify_load_string("p", t, strlen(t), NULL, &r, &err);
		is_int((long long)classify_rules_prefiltered(r), 1, "only the caseless any rule");
		classify_rules_free(&r);
	}
}

/* Writes cp as UTF-8 to t; returns its length. */
static size_t
utf8_put(char *t, uint32_t cp)
{
	if (cp < 0x800) {
		t[0] = (char)(0xc0 | cp >> 6);
		t[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		t[0] = (char)(0xe0 | cp >> 12);
		t[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	t[0] = (char)(0xf0 | cp >> 18);
	t[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	t[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	t[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* As classify_load.c compiles a rule and its twin, JIT included. */
static pcre2_code *
twin_compile(const char *pat, bool twin)
{
	uint32_t fl = PCRE2_UTF | PCRE2_CASELESS |
		      (twin ? 0 : PCRE2_UCP | PCRE2_MATCH_INVALID_UTF);
	int err;
	size_t ec;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, fl, &err, &ec, NULL);

	if (re != NULL)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* For each code point c of cps[0..n): the rule's pattern with UCP on
 * "a<c>b" against its twin on the same text, or, with a fold character, on
 * "a<fold>b" (the end of the match mapped back).  One test; false when one
 * differs. */
static void
twin_same(const char *pat, const uint32_t *cps, size_t n, char fold)
{
	pcre2_code *re[2] = { twin_compile(pat, false), twin_compile(pat, true) };
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	const char folded[4] = { 'a', fold, 'b', '\0' };
	size_t diff = 0;
	uint32_t first = 0;

	for (size_t i = 0; re[0] != NULL && re[1] != NULL && i < n; i++) {
		char t[16] = "a";
		size_t cl = utf8_put(t + 1, cps[i]), len = 1 + cl;
		PCRE2_SIZE o[2];
		int rc[2];

		t[len++] = 'b';
		for (int k = 0; k < 2; k++) {
			const char *subject = k == 1 && fold ? folded : t;

			rc[k] = pcre2_match(re[k], (PCRE2_SPTR)subject, strlen(subject), 0,
					    k == 1 ? PCRE2_NO_UTF_CHECK : 0, md, NULL);
			o[k] = rc[k] >= 0 ? pcre2_get_ovector_pointer(md)[1] : 0;
		}
		if (fold && o[1] >= 2)
			o[1] += cl - 1;   /* past the letter */
		if ((rc[0] != rc[1] || o[0] != o[1]) && diff++ == 0)
			first = cps[i];
	}
	ok(re[0] != NULL && re[1] != NULL && diff == 0,
	   "/%s/ on \"a<%s>b\" with UCP, on \"%s\" without (%zu differ, first U+%04X)",
	   pat, fold == '_' ? "letter" : fold ? "space" : "c",
	   fold == '_' ? "a_b" : fold ? "a<tab>b" : "a<c>b", diff, (unsigned)first);
	pcre2_code_free(re[0]);
	pcre2_code_free(re[1]);
	pcre2_match_data_free(md);
}

/* The code points from 128 up, not surrogates, for which pattern yes
 * matches and pattern no does not, both compiled as classify_load.c
 * compiles CLASSIFY_LETTERS (PCRE2_UTF alone: caseless, U+017F would be
 * an "s"). */
static size_t
twin_cps(const char *yes, const char *no, uint32_t *cps)
{
	int err;
	size_t ec, n = 0;
	pcre2_code *y = pcre2_compile((PCRE2_SPTR)yes, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &ec,
				      NULL);
	pcre2_code *x = pcre2_compile((PCRE2_SPTR)no, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &ec,
				      NULL);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);

	for (uint32_t cp = 0x80; y != NULL && cp < 0x110000; cp++) {
		char t[8];
		size_t len;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		len = utf8_put(t, cp);
		if (x != NULL && pcre2_match(y, (PCRE2_SPTR)t, len, 0, 0, md, NULL) >= 0 &&
		    pcre2_match(x, (PCRE2_SPTR)t, len, 0, 0, md, NULL) == PCRE2_ERROR_NOMATCH)
			cps[n++] = cp;
	}
	pcre2_code_free(y);
	pcre2_code_free(x);
	pcre2_match_data_free(md);
	return n;
}

static bool
twin_has(const uint32_t *cps, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (cps[i] == cp)
			return true;
	return false;
}

/* A control: pattern pat matches subject with UCP and not without. */
static void
twin_control(const char *pat, const char *subject, const char *shown)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc[2];

	for (int k = 0; k < 2; k++) {
		pcre2_code *re = twin_compile(pat, k == 1);

		rc[k] = re == NULL ? -999 : pcre2_match(re, (PCRE2_SPTR)subject, strlen(subject), 0, 0,
							md, NULL);
		pcre2_code_free(re);
	}
	ok(rc[0] == 1 && rc[1] == PCRE2_ERROR_NOMATCH,
	   "the control: /%s/ on \"%s\" matches with UCP only", pat, shown);
	pcre2_match_data_free(md);
}

/* The twins (classify_int.h): for every code point that CLASSIFY_LETTERS
 * lets through (punctuation and symbols), \w, \d, \s, \b and caseless
 * matching find the same with PCRE2_UCP and without; for every letter
 * that CLASSIFY_OTHERS lets through, the twin on the fold ("_") finds what
 * UCP finds on the letter. */
static void
test_twins(void)
{
	static const char *const pats[] = {
		"\\w", "\\W", "\\d", "\\D", "\\s", "\\S", "a\\b", "\\bb", "\\Bb",
		"a\\w+", "a\\W\\w", "(?i)a.B", "\\h", "\\v", "\\R",
	};
	static const char *const lpats[] = {
		"\\w", "\\W", "\\d", "\\s", "a\\b", "\\bb", "\\Bb", "a\\w+", "a\\w\\b",
		"(?i)a[a-z]b", "(?i)a[^a-z]b", "(?i)a[k-t]b", "a.b", "a.{2}", "a\\W", "\\b\\w+\\b",
		"(?i)a[^.!?]b",
	};
	/* And what tells a space from a letter or a newline. */
	static const char *const spats[] = {
		"\\S", "\\h", "\\H", "\\v", "\\V", "\\R", "a\\s+b", "a\\s*b", "a[ ]b",
		"a[^ ]b", "a[ -~]b", "a[^ -~]b", "a\\Wb", "a\\Db", "(?m)a$", "a\\b.\\bb", "a.$",
		"(?s)a.b",
	};
	uint32_t *cps = xcalloc(0x110000, sizeof(*cps));
	size_t n;

	/* "." matches them all: the complement of CLASSIFY_LETTERS. */
	n = twin_cps(".", CLASSIFY_LETTERS, cps);
	ok(n > 5000 && twin_has(cps, n, 0x2019) && twin_has(cps, n, 0xa3),
	   "%zu code points are punctuation or symbols, U+2019 and U+00A3 among them", n);
	ok(!twin_has(cps, n, 0xe9) && !twin_has(cps, n, 0xa0) && !twin_has(cps, n, 0x203f),
	   "U+00E9, U+00A0 and U+203F are not");
	for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++)
		twin_same(pats[p], cps, n, 0);

	n = twin_cps(CLASSIFY_LETTERS, "(?:" CLASSIFY_OTHERS ")|\\p{Zs}", cps);
	ok(n > 100000 && twin_has(cps, n, 0xe9) && twin_has(cps, n, 0xbd) &&
	   twin_has(cps, n, 0x2160) && !twin_has(cps, n, 0x212a) && !twin_has(cps, n, 0x17f) &&
	   !twin_has(cps, n, 0xa0) && !twin_has(cps, n, 0x663) && !twin_has(cps, n, 0x301),
	   "%zu letters and numbers beyond ASCII (U+00E9, U+00BD, U+2160) are folded to \"_\"; "
	   "not K (U+212A), long s, U+00A0, a digit (U+0663) or a mark (U+0301)", n);
	for (size_t p = 0; p < sizeof(lpats) / sizeof(lpats[0]); p++)
		twin_same(lpats[p], cps, n, '_');

	n = twin_cps("\\p{Zs}", "(?:" CLASSIFY_OTHERS ")|\\p{L}|[\\x00-\\x7f]", cps);
	ok(n >= 16 && twin_has(cps, n, 0xa0) && twin_has(cps, n, 0x202f) &&
	   twin_has(cps, n, 0x3000) && !twin_has(cps, n, 0x2028) && !twin_has(cps, n, 0x85),
	   "%zu space separators beyond ASCII are folded to a tab: U+00A0, U+202F, U+3000; "
	   "not U+2028 or NEL", n);
	for (size_t p = 0; p < sizeof(lpats) / sizeof(lpats[0]); p++)
		twin_same(lpats[p], cps, n, '\t');
	for (size_t p = 0; p < sizeof(spats) / sizeof(spats[0]); p++)
		twin_same(spats[p], cps, n, '\t');

	/* The controls: on a letter or a space beyond ASCII, unfolded, the
	 * two differ. */
	twin_control("a\\w", "a\xc3\xa9", "a\xc3\xa9");
	twin_control("a\\s", "a\xc2\xa0", "a<U+00A0>");
	free(cps);
}

/* Hits in a folded field keep the field's own offsets and text. */
static void
test_fold_offsets(void)
{
	static const char t[] = CAT "rule noir any o 1 : \\bnoir\\b\n"
				"rule word any o 1 max=5 : \\w+\n";
	struct classify_rules *r;
	struct classify_input in = { .subject = "", .body = "caf\xc3\xa9 noir \xc3\xa9t\xc3\xa9" };
	struct classify_result *res;

	in.body_len = strlen(in.body);
	if ((r = load_string_or_fail(t, strlen(t), "fold offsets")) == NULL)
		return;
	classify_run(r, &in, &res);
	is_int((long long)res->n_hits, 4, "fold: noir, and three words");
	is_str(res->hits[0].match, "noir", "fold: the match text");
	is_int((long long)res->hits[0].offset, 6, "fold: the byte offset in the field");
	is_str(res->hits[1].match, "caf\xc3\xa9", "fold: a word with a letter beyond ASCII");
	is_str(res->hits[3].match, "\xc3\xa9t\xc3\xa9", "fold: letters at both ends");
	is_int((long long)res->hits[3].offset, 11, "fold: its offset");
	classify_result_free(&res);
	classify_rules_free(&r);
}

/* A no-break space is folded to a tab: \s finds it, a literal space does
 * not, and a pattern that names a tab is matched with UCP, which does not
 * take the no-break space for one. */
static void
test_fold_spaces(void)
{
	static const char t[] = CAT "rule s any o 1 : late\\sdelivery\\b\n"
				"rule sp any o 1 : late[ ]delivery\n"
				"rule tab any o 1 : late\\tdelivery\n"
				"rule ctl any o 1 : late\\cIdelivery\n"
				"rule h any o 1 : \\h\\S+\\h\\W\\h\\w+\n";
	struct classify_rules *r;
	struct classify_input in = {
		.subject = "",
		.body = "a late\xc2\xa0" "delivery\xe2\x80\xaf\xe2\x80\x94\xe3\x80\x80" "caf\xc3\xa9",
	};
	struct classify_result *res;
	const char *found = "";

	in.body_len = strlen(in.body);
	if ((r = load_string_or_fail(t, strlen(t), "fold spaces")) == NULL)
		return;
	classify_run(r, &in, &res);
	is_int((long long)res->n_hits, 2, "fold spaces: \\s and \\h find a no-break space; "
	       "a space, \\t and \\cI do not");
	for (size_t i = 0; i < res->n_hits; i++)
		if (strcmp(res->hits[i].rule, "s") == 0) {
			found = res->hits[i].match;
			is_int((long long)res->hits[i].offset, 2, "fold spaces: the offset");
		} else if (strcmp(res->hits[i].rule, "h") == 0) {
			is_str(res->hits[i].match, "\xc2\xa0" "delivery\xe2\x80\xaf\xe2\x80\x94"
			       "\xe3\x80\x80" "caf\xc3\xa9", "fold spaces: three spaces and a letter");
		}
	is_str(found, "late\xc2\xa0" "delivery", "fold spaces: the match keeps its space");
	classify_result_free(&res);
	classify_rules_free(&r);
}

/* Long fields: a fold that grows past its first arrays, one past
 * CLASSIFY_FOLD_MAX (matched with UCP), and one with a combining mark
 * (UCP): the same hits at the same offsets. */
static void
test_fold_long(void)
{
	static const char t[] = CAT "rule noir any o 1 : \\bnoir\\s\\w+\n";
	static const struct {
		size_t n;
		const char *unit, *why;
	} cases[] = {
		{ 300, "\xc3\xa9\xc2\xa0", "300 letters and spaces: the fold grows" },
		{ CLASSIFY_FOLD_MAX, "\xc3\xa9", "4096 letters and one space, past the bound: UCP" },
		{ 50, "e\xcc\x81", "a combining mark: UCP" },
	};
	struct classify_rules *r;

	if ((r = load_string_or_fail(t, strlen(t), "fold long")) == NULL)
		return;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct buf b;
		struct classify_input in = { .subject = "" };
		struct classify_result *res;
		size_t at;

		buf_init(&b, BUF_NO_LIMIT);
		for (size_t i = 0; i < cases[k].n; i++)
			buf_puts(&b, cases[k].unit);
		buf_puts(&b, " noir\xc2\xa0" "caf\xc3\xa9");
		at = b.len - strlen("noir\xc2\xa0" "caf\xc3\xa9");
		in.body = b.data;
		in.body_len = b.len;
		classify_run(r, &in, &res);
		ok(res->n_hits == 1 && res->hits[0].offset == at &&
		   strcmp(res->hits[0].match, "noir\xc2\xa0" "caf\xc3\xa9") == 0,
		   "fold long: %s (%zu hits, offset %zu of %zu)", cases[k].why, res->n_hits,
		   res->n_hits ? res->hits[0].offset : 0, at);
		classify_result_free(&res);
		buf_free(&b);
	}
	classify_rules_free(&r);
}

/* ------------------------------------------------------------------ */
/* The default rules on hand-written complaints. */

struct real_case {
	const char *name;
	const char *subject;
	const char *body;
	const char *category;
	bool complaint;
	const char *priority;
	const char *tags;
	bool escalate;
};

static const struct real_case real_cases[] = {
	{ "refund", "Refund request for order 44821",
	  "Hello, I returned the jacket three weeks ago and I still haven't received my "
	  "refund. Could you look into this please?\nRegards, Priya",
	  "billing", true, "normal", "", false },
	{ "broken item", "Blender",
	  "The blender I bought from you arrived with a cracked jug, and after two uses the "
	  "motor stopped working altogether. Very disappointed.",
	  "damaged", true, "normal", "", false },
	{ "late parcel", "Where is my order?",
	  "I ordered a pair of boots on 2 March and the tracking has said in transit for "
	  "eleven days. The delivery date was last Friday and it still hasn't arrived.",
	  "delivery", true, "normal", "", false },
	{ "terse late parcel", "Where is my parcel?", "It is late.",
	  "delivery", true, "normal", "", false },
	{ "rude staff", "Your Leeds store",
	  "I visited your Leeds store on Saturday and the assistant at the till was "
	  "incredibly rude to me. She rolled her eyes and then ignored me while I was "
	  "still talking.",
	  "service", true, "normal", "", false },
	{ "login problem", "Can't get into my account",
	  "Since your app updated yesterday I can't log in to my account. It says my "
	  "password is wrong, and the reset link gives an error message.",
	  "account", true, "normal", "", false },
	{ "legal threat", "Charged twice",
	  "You have charged my card twice for the same order and ignored my emails. If this "
	  "is not refunded by Friday I will be speaking to my solicitor and taking you to "
	  "the small claims court.",
	  "billing", true, "urgent", "legal", true },
	{ "review threat", "Sofa",
	  "The sofa was delivered two weeks late and nobody called to tell me. If this isn't "
	  "sorted out I will be leaving a one-star review on Trustpilot.",
	  "delivery", true, "high", "public", false },
	{ "thank-you note", "Thank you!",
	  "Just wanted to say thank you to Sam on your support team, who sorted out my "
	  "exchange really quickly. Great service!",
	  "praise", false, "low", "", false },
	{ "plain question", "Question",
	  "Hi, do you deliver to Ireland? And what are your opening hours on Sundays?",
	  "question", false, "low", "", false },
	{ "thanks and a question", "Quick question",
	  "Thanks for the quick delivery last week. Do you sell gift cards?",
	  "question", false, "low", "", false },
	{ "churn", "Internet again",
	  "This is the third time this week my connection keeps dropping. I want to cancel "
	  "my contract and switch to another provider.",
	  "account", true, "high", "churn", false },
	{ "vague complaint", "Unhappy",
	  "I am really unhappy with how this whole thing was handled.",
	  "general", true, "normal", "", false },
	{ "safety", "Charger",
	  "The phone charger you sold me overheated and caught fire on my desk. This is "
	  "dangerous.",
	  "general", true, "urgent", "safety", true },
	{ "Sue is a name", "Hello",
	  "Hi, this is Sue from the office, thank you so much for the quick reply!",
	  "praise", false, "low", "", false },
	/* "Thanks for nothing" blames the company to its face (tag blame). */
	{ "sarcastic thanks", "Thanks for nothing",
	  "Thanks for nothing. Three calls and still no refund.",
	  "billing", true, "high", "blame", false },
	{ "blame said", "My bag",
	  "You lost my bag on the way to Rome and I had nothing to wear for three days.",
	  "delivery", true, "high", "blame", false },
	{ "two accusations", "My bill",
	  "You charged me twice for March and you never answered my email about it.",
	  "billing", true, "high", "blame", false },
	{ "one accusation is no blame", "My bill",
	  "You charged me twice for March. Please put it right.",
	  "billing", true, "normal", "", false },
	/* A tag is something read: other cannot win then (the flag unrecognised). */
	{ "blame alone is a complaint", "Our holiday",
	  "You have ruined our holiday.",
	  "general", true, "high", "blame", false },
	{ "nothing read", "Next week",
	  "Just a note that I will be in town next week with the rest of the team.",
	  "other", false, "normal", "", false },
};

static void
test_default_rules(void)
{
	const char *dd = getenv("REDRESS_DATADIR");
	char *path = xasprintf("%s/rules.conf", dd != NULL && *dd != '\0' ? dd : ".");
	struct classify_rules *r = load_or_bail(path, false);
	struct timespec t0, t1;
	double best = 1e9;

	ok(classify_rules_count(r) >= 40, "default rules: %zu rules", classify_rules_count(r));
	for (size_t i = 0; i < sizeof(real_cases) / sizeof(real_cases[0]); i++) {
		const struct real_case *c = &real_cases[i];
		struct classify_input in = { .subject = c->subject, .body = c->body,
					     .body_len = strlen(c->body),
					     .from = "Customer <customer@example.org>" };
		struct classify_result *res;
		char *tags;

		classify_run(r, &in, &res);
		tags = tags_str(res);
		if (!is_str(res->category, c->category, "default: %s: category", c->name)) {
			struct buf b;

			buf_init(&b, BUF_NO_LIMIT);
			classify_result_text(res, true, &b);
			diag("%s", buf_str(&b));
			buf_free(&b);
		}
		ok(res->complaint == c->complaint, "default: %s: complaint=%d", c->name,
		   c->complaint);
		is_str(priority_name(res->priority), c->priority, "default: %s: priority", c->name);
		is_str(tags, c->tags, "default: %s: tags", c->name);
		ok(res->escalate == c->escalate, "default: %s: escalate=%d", c->name, c->escalate);
		free(tags);
		classify_result_free(&res);
	}
	classify_rules_free(&r);
	/* How long loading takes is reported, not judged: speed targets live in
	 * bench/classify_speed (bench/classify-speed.md), never in a timed test. */
	for (int i = 0; i < 5; i++) {
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = load_or_bail(path, false);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
		classify_rules_free(&r);
	}
	diag("default rules load in %.2f ms (best of 5; bench/classify_speed measures it)", best);
	free(path);
}

/* How many rules have their UCP pattern compiled. */
static size_t
ucp_compiled(const struct classify_rules *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_rules; i++)
		n += atomic_load(&r->rules[i].re) != NULL;
	return n;
}

/* Loads TEXT twice, without lazy_ucp into r[0] and with it into r[1],
 * after freeing what r[] and err[] held. */
static void
load_both(const char *text, const struct classify_options *whole,
	  const struct classify_options *lazy, struct classify_rules *r[2], char *err[2],
	  int rc[2])
{
	for (int m = 0; m < 2; m++) {
		classify_rules_free(&r[m]);
		free(err[m]);
		err[m] = NULL;
		rc[m] = classify_load_string("t.rules", text, strlen(text), m ? lazy : whole,
					     &r[m], &err[m]);
	}
}

/* lazy_ucp checks a pattern by compiling its twin, without UCP: that
 * must refuse what the pattern with UCP refuses, and with the same
 * message.  Patterns drawn from pieces that UCP touches (classes, \w,
 * \b, lookbehinds, caseless letters beyond ASCII), and broken ones. */
static void
lazy_same_errors(const struct classify_options *whole, const struct classify_options *lazy)
{
	static const char *const piece[] = {
		"a", "\\w", "\\W", "\\d", "\\s", "\\b", "\\B", "[[:alpha:]]", "[[:^punct:]]",
		"[a-z]", "[^\\w]", "(", ")", "(?<=", "(?<!", "(?=", "|", "*", "+", "?", "{2}",
		"{1,3}", "\\p{L}", "\\P{Lu}", "\\X", "\\R", "\\h", "\xc3\xa9", "\xc3\x9f",
		"(?i)", "(?-i)", "\\N{U+e9}", "\\x{212a}", "[\\w-z]", "[\\d-\\s]", "\\K",
		"(?|", "(?>", "\\1", "(a)", "{", "}", "[:word:]", "[\\p{Zs}]", "\\Q", "\\E",
		"(*UCP)", "^", "$", ".",
	};
	const size_t n_piece = sizeof(piece) / sizeof(piece[0]);
	unsigned long seed = 7;
	size_t refused = 0, differ = 0;
	char first[512] = "";

	for (int it = 0; it < 4000; it++) {
		char text[512] = CAT "rule x any o 1 : ";
		struct classify_rules *r[2] = { NULL, NULL };
		char *err[2] = { NULL, NULL };
		int rc[2];
		size_t k;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		k = 1 + (seed >> 33) % 8;
		for (size_t j = 0; j < k; j++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			strcat(text, piece[(seed >> 33) % n_piece]);
		}
		strcat(text, "\n");
		load_both(text, whole, lazy, r, err, rc);
		refused += rc[0] < 0;
		if ((rc[0] != rc[1] || (rc[0] < 0 && strcmp(err[0], err[1]) != 0)) &&
		    differ++ == 0)
			snprintf(first, sizeof(first), "%s", text + strlen(CAT));
		for (int m = 0; m < 2; m++) {
			classify_rules_free(&r[m]);
			free(err[m]);
		}
	}
	ok(differ == 0 && refused > 100 && refused < 3900,
	   "lazy: 4000 patterns, %zu refused, the same with and without lazy_ucp "
	   "(%zu differ%s%s)", refused, differ, differ ? ", first: " : "", first);
}

/* lazy_ucp, as one-message intake loads the rules: the default rules
 * load with no UCP pattern compiled; ASCII text compiles none, text that
 * needs UCP compiles what it runs; every result is the one the rules
 * loaded whole give; and an error is found and told as before. */
static void
test_lazy_ucp(bool no_jit)
{
	static const char *const texts[] = {
		"I was charged twice and nobody answered my emails. Refund me.",
		"You charged me twice \xe2\x80\x94 I\xe2\x80\x99m furious.",          /* punctuation */
		"Caf\xc3\xa9 order late,\xc2\xa0refund please, cancelled",         /* folded */
		"Order \xd9\xa3 charged twice, refund",                            /* U+0663: UCP */
		"The cafe\xcc\x81 was rude and I was overcharged",                  /* a mark: UCP */
		"bad \xff\xfe bytes, refund my money now",                         /* invalid UTF-8 */
	};
	static const char bad[] = CAT "rule x any o 1 : a\\w(b\n";
	/* Its twin compiles (about 32 KB), its pattern with UCP is too large. */
	static const char big[] = CAT "rule x any o 1 : (?:\\w\\w\\w\\w\\w\\w\\w\\w\\w\\w){2000}\n";
	const char *dd = getenv("REDRESS_DATADIR");
	char *path = xasprintf("%s/rules.conf", dd != NULL && *dd != '\0' ? dd : ".");
	struct classify_options whole = { .no_jit = no_jit, .no_prefilter = no_jit };
	const char *mode = no_jit ? "lazy, one message" : "lazy, JIT";
	struct classify_options lazy = whole;
	struct classify_rules *r[2] = { NULL, NULL };
	char *err[2] = { NULL, NULL };
	int rc[2];
	size_t after[sizeof(texts) / sizeof(texts[0])], nofold = 0, posix = 0;

	lazy.lazy_ucp = true;
	if (classify_load_opts(path, &whole, &r[0], &err[0]) < 0 ||
	    classify_load_opts(path, &lazy, &r[1], &err[1]) < 0) {
		ok(false, "%s: default rules load: %s", mode, err[0] != NULL ? err[0] : err[1]);
		goto out;
	}
	ok(ucp_compiled(r[0]) == r[0]->n_rules && ucp_compiled(r[1]) == 0,
	   "%s: %zu rules, none compiled with UCP at load (all %zu without lazy_ucp)",
	   mode, r[1]->n_rules, ucp_compiled(r[0]));
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		struct classify_input in = { .subject = "My order", .body = texts[t],
					     .body_len = strlen(texts[t]),
					     .from = "A Customer <a@example.org>" };
		struct buf b[2];

		for (int k = 0; k < 2; k++) {
			struct classify_result *res;

			buf_init(&b[k], BUF_NO_LIMIT);
			classify_run(r[k], &in, &res);
			classify_result_json(res, true, &b[k]);
			classify_result_free(&res);
		}
		is_str(buf_str(&b[1]), buf_str(&b[0]), "%s: text %zu: the same result", mode, t);
		after[t] = ucp_compiled(r[1]);
		buf_free(&b[0]);
		buf_free(&b[1]);
	}
	for (size_t i = 0; i < r[1]->n_rules; i++) {
		posix += r[1]->rules[i].posix;
		nofold += r[1]->rules[i].posix || !r[1]->rules[i].foldable;
	}
	is_int((long)after[0], 0, "%s: ASCII text compiles no UCP pattern", mode);
	ok(after[1] <= posix && after[2] <= nofold && after[2] < r[1]->n_rules / 4,
	   "%s: punctuation compiles %zu (of %zu rules with a POSIX class), folded letters "
	   "%zu more (of %zu rules that cannot fold)", mode, after[1], posix, after[2] - after[1],
	   nofold);
	ok(after[3] > after[2] && after[5] <= r[1]->n_rules,
	   "%s: a digit beyond ASCII compiles %zu more; in all %zu of %zu", mode,
	   after[3] - after[2], after[5], r[1]->n_rules);
	load_both(bad, &whole, &lazy, r, err, rc);
	ok(r[0] == NULL && r[1] == NULL && err[1] != NULL && strstr(err[1], "t.rules:2:23: ") != NULL,
	   "%s: a bad pattern is refused at load: %s", mode, err[1] != NULL ? err[1] : "(none)");
	is_str(err[1], err[0], "%s: with the same message", mode);
	load_both(big, &whole, &lazy, r, err, rc);
	ok(r[0] == NULL && r[1] == NULL && err[1] != NULL && strstr(err[1], "too large") != NULL,
	   "%s: a pattern too large with UCP only is refused at load: %s", mode,
	   err[1] != NULL ? err[1] : "(none)");
	is_str(err[1], err[0], "%s: with the same message", mode);
	if (no_jit)
		lazy_same_errors(&whole, &lazy);
out:
	for (int k = 0; k < 2; k++) {
		classify_rules_free(&r[k]);
		free(err[k]);
	}
	free(path);
}

/* The weights file writes numbers as Python's repr does (bench/train_ref.md 7). */
static void
test_number_repr(void)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0.0, "0" }, { -0.0, "0" }, { 1.0, "1.0" }, { 3.0, "3.0" }, { 100.0, "100.0" },
		{ 0.1, "0.1" }, { 0.01, "0.01" }, { -0.5, "-0.5" }, { 0.0001, "0.0001" },
		{ 0.00001, "1e-05" }, { -1.0594204686052777e-05, "-1.0594204686052777e-05" },
		{ 1e15, "1000000000000000.0" }, { 1e16, "1e+16" }, { 1.5e16, "1.5e+16" },
		{ 123456789012345678.0, "1.2345678901234568e+17" }, { 1.0 / 3.0, "0.3333333333333333" },
		{ 2.6243808113719895, "2.6243808113719895" }, { 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	};
	char s[48];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		classify_number_repr(cases[i].v, s, sizeof(s));
		is_str(s, cases[i].want, "repr of %s", cases[i].want);
	}
}

int
main(void)
{
	log_init("t_classify", LOG_TARGET_STDERR, LOG_LEVEL_INFO);
	test_errors();
	test_errors_special();
	test_features(false);
	test_features(true);
	test_output();
	test_version();
	test_outcomes();
	test_repeat();
	test_limits(false);
	test_limits(true);
	test_invalid_utf8();
	test_prefilter();
	test_twins();
	test_fold_offsets();
	test_fold_spaces();
	test_fold_long();
	test_default_rules();
	test_lazy_ucp(true);
	test_lazy_ucp(false);
	test_number_repr();
	return tap_exit();
}
