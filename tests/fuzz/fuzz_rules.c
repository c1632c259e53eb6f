/*
 * fuzz_rules - the rules language: classify_load_string on arbitrary
 * text, and classify_run of what loads on a message whose fields come
 * from the input too.
 *
 * Covers: the rules parser (directives, flags, numbers, labels,
 * continuation lines, limits), PCRE2 compilation with the project's
 * options, the literal prefilter (classify_prefilter.c), matching under
 * match/depth/heap limits, scoring, tags, vetoes, classify_apply_repeat
 * and the JSON and text output.  Checks: a refusal names the file and a
 * line ("fuzz.rules:N:..."), every string in a result is valid UTF-8,
 * the JSON output is valid UTF-8 without raw control characters.
 * Inputs whose length is a multiple of 4 are compiled with JIT, the rest
 * with the interpreter (JIT compilation is slow and is not what is
 * being fuzzed).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "policy/classify.h"
#include "fuzz.h"
#include "mail/message.h"

#define FUZZ_RULES_MAX_HEADERS 8

static const char fuzz_rules_sample_body[] =
	"Hello, I was charged twice for order 44871 and the parcel arrived "
	"damaged. I want a refund or I will contact my lawyer. aaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n> quoted text\nThanks";

static void
check(const char *what, const char *s)
{
	if (s == NULL)
		fuzz_fail("rules", "%s is NULL", what);
	else if (!fuzz_utf8_ok(s, strlen(s)))
		fuzz_fail("rules", "%s is not valid UTF-8", what);
}

int
fuzz_rules_one(const uint8_t *data, size_t size)
{
	const char *f[4 + 2 * FUZZ_RULES_MAX_HEADERS];
	struct message_header hdrs[FUZZ_RULES_MAX_HEADERS];
	struct classify_options opt = { .no_jit = size % 4 != 0, .no_prefilter = false,
					.lazy_ucp = size % 3 == 0 };
	struct classify_rules *rules = NULL;
	struct classify_result *res = NULL;
	struct classify_input in;
	char *copy, *error = NULL;
	size_t n, nh = 0, rules_len;
	bool inputs_utf8 = true;
	struct buf out;

	n = fuzz_split(data, size, f, sizeof(f) / sizeof(f[0]), &copy);
	rules_len = strlen(f[0]);
	if (classify_load_string("fuzz.rules", f[0], rules_len, &opt, &rules, &error) < 0) {
		if (error == NULL || strncmp(error, "fuzz.rules:", 11) != 0)
			fuzz_fail("rules", "refusal without a location: %s",
				  error != NULL ? error : "(null)");
		else if (!fuzz_utf8_ok(error, strlen(error)))
			fuzz_fail("rules", "error message is not valid UTF-8");
		if (rules != NULL)
			fuzz_fail("rules", "refused, yet rules were returned");
		free(error);
		free(copy);
		return 0;
	}
	if (error != NULL)
		fuzz_fail("rules", "loaded, yet an error was set");
	free(error);
	check("version", classify_rules_version(rules));
	(void)classify_rules_count(rules);
	(void)classify_rules_prefiltered(rules);

	memset(&in, 0, sizeof(in));
	if (n > 1) {
		in.subject = f[1];
		in.body = n > 2 ? f[2] : "";
		in.from = n > 3 ? f[3] : NULL;
		for (size_t k = 4; k + 1 < n && nh < FUZZ_RULES_MAX_HEADERS; k += 2) {
			hdrs[nh].name = (char *)f[k];
			hdrs[nh].value = (char *)f[k + 1];
			nh++;
		}
	} else {
		in.subject = "Refund still not received - order 44871";
		in.body = fuzz_rules_sample_body;
		in.from = "Maria Lopez <maria@example.net>";
		hdrs[0].name = (char *)"Auto-Submitted";
		hdrs[0].value = (char *)"no";
		nh = 1;
	}
	in.body_len = strlen(in.body);
	for (size_t k = 1; k < n; k++)
		if (!fuzz_utf8_ok(f[k], strlen(f[k])))
			inputs_utf8 = false;
	in.headers = hdrs;
	in.n_headers = nh;
	if (classify_run(rules, &in, &res) < 0 || res == NULL) {
		fuzz_fail("rules", "classify_run failed");
		classify_rules_free(&rules);
		free(copy);
		return 0;
	}
	check("category", res->category);
	check("label", res->label);
	if ((int)res->priority < 0 || (int)res->priority > 3)
		fuzz_fail("rules", "priority %d out of range", (int)res->priority);
	for (size_t i = 0; i < res->n_tags; i++)
		check("tag", res->tags[i]);
	for (size_t i = 0; i < res->n_scores; i++)
		check("score category", res->scores[i].category);
	for (size_t i = 0; i < res->n_hits; i++) {
		check("hit rule", res->hits[i].rule);
		check("hit target", res->hits[i].target);
		/* The fields are UTF-8 by contract: check what comes of them
		 * only when the input kept it. */
		if (inputs_utf8) {
			check("hit field", res->hits[i].field);
			check("hit match", res->hits[i].match);
		}
		if (strlen(res->hits[i].match) > CLASSIFY_MAX_MATCH)
			fuzz_fail("rules", "match longer than CLASSIFY_MAX_MATCH");
	}
	classify_apply_repeat(rules, res);
	buf_init(&out, BUF_NO_LIMIT);
	classify_result_json(res, true, &out);
	if (inputs_utf8 && !fuzz_utf8_ok(buf_str(&out), out.len))
		fuzz_fail("rules", "JSON is not valid UTF-8");
	for (size_t i = 0; i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20) {
			fuzz_fail("rules", "JSON has a raw control character");
			break;
		}
	buf_reset(&out);
	classify_result_text(res, true, &out);
	buf_free(&out);
	classify_result_free(&res);
	classify_rules_free(&rules);
	if (rules != NULL || res != NULL)
		fuzz_fail("rules", "free did not clear the pointer");
	free(copy);
	return 0;
}

#ifdef REDRESS_LIBFUZZER
FUZZ_LIBFUZZER_ENTRY(fuzz_rules_one)
#endif
