/*
 * cmd_classify - "redress classify FILE [--explain]".
 *
 * classify reads one raw message (FILE, or - for standard input), parses it
 * the way intake does, keeps the customer's fresh text, and prints its
 * traffic verdict from the header and the rules (not from spamd) and how
 * the rules would classify it: category, priority, tags, the score of every
 * category and, with --explain, every rule that fired with the text it
 * matched and where.  It stores nothing.  With the global --json it prints
 * the classify JSON object of doc/contract.md.
 *
 * Exit codes: 0 ok, 64 usage, 65 a message too large, 66 input missing,
 * 70 internal failure, 78 bad rules.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/xmem.h"
#include "case/intake.h"
#include "case/scan.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "mail/message.h"
#include "policy/autoreply.h"
#include "policy/classify.h"
#include "policy/spamwords.h"
#include "policy/traffic.h"

static const char cmd_classify_usage[] =
"usage: redress [--json] classify FILE [--explain] [--no-scan]\n"
"Shows how the rules would classify the message in FILE (- for standard\n"
"input): its traffic verdict (ok, bulk, list, spam, forged) with the reasons,\n"
"complaint or not, category, priority, tags and the score of each\n"
"category.  Nothing is stored.  The scanners of [spam] spamd and rspamd are\n"
"asked as intake asks them, when configured.\n"
"  --explain  also list every rule that fired: its field, the text it\n"
"             matched and the byte offset, and what it added\n"
"  --no-scan  do not ask spamd or rspamd\n"
"  --json     (global option) print the result as one JSON object\n"
"Rules come from [paths] rules in redress.conf, learned weights from\n"
"[classify] weights (redress rules train); with them, --explain also shows\n"
"each rule's learned weight per category, every trained category's score\n"
"(bias + rules + words) and the message's strongest words.\n"
"Exit: 0 ok, 64 usage, 66 FILE missing, 78 bad rules file.\n";

int
cmd_classify(struct app *app, int argc, char **argv)
{
	const char *file = NULL;
	bool explain = false, too_big = false, no_scan = false;
	struct message *m;
	struct classify_rules *rules = NULL;
	struct classify_result *res = NULL;
	struct intake_rules_input ri;
	struct traffic_options topt = { 0 };
	struct traffic traffic;
	struct classify_options copt = { 0 };
	struct spamwords *words = NULL;
	double words_score = -1;
	struct buf out;
	char *raw = NULL, *error = NULL;
	size_t len;
	int fd, r, ret = EX_OK;

	if (cmd_wants_help(argc, argv)) {
		fputs(cmd_classify_usage, stdout);
		return EX_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--explain") == 0)
			explain = true;
		else if (strcmp(argv[i], "--no-scan") == 0)
			no_scan = true;
		else if (strcmp(argv[i], "--json") == 0)
			app->json = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cmd_usage(cmd_classify_usage);
		else if (file == NULL)
			file = argv[i];
		else
			return cmd_usage(cmd_classify_usage);
	}
	if (file == NULL)
		return cmd_usage(cmd_classify_usage);

	fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -1 : file_read_fd(fd, (size_t)app->cfg->intake_max_size, false, &raw,
				       &len, &too_big);
	if (r < 0)
		fprintf(stderr, "redress: classify: %s: %s\n", file, strerror(errno));
	if (fd > STDIN_FILENO)
		close(fd);
	if (r < 0)
		return EX_NOINPUT;
	if (too_big) {
		fprintf(stderr, "redress: classify: %s: larger than %ld bytes "
			"([intake] max_size)\n", file, app->cfg->intake_max_size);
		free(raw);
		return EX_DATAERR;
	}
	/* One message: as a one-message intake, no JIT and no prefilter,
	 * which cost more to set up than they save (design.md, "Start-up
	 * cost of a delivery filter"). */
	copt.no_jit = true;
	copt.no_prefilter = true;
	copt.lazy_ucp = true;
	if (app->cfg->classify_weights != NULL && app->cfg->classify_weights[0] != '\0')
		copt.weights = app->cfg->classify_weights;
	if (classify_load_opts(app->cfg->paths_rules, &copt, &rules, &error) < 0) {
		fprintf(stderr, "redress: classify: %s\n", error);
		free(error);
		free(raw);
		return EX_CONFIG;
	}
	if (app->cfg->spam_words[0] != '\0' &&
	    spamwords_load(app->cfg->spam_words, &words, &error) < 0) {
		fprintf(stderr, "redress: classify: %s\n", error);
		free(error);
		free(raw);
		classify_rules_free(&rules);
		return EX_CONFIG;
	}
	m = message_parse(raw, len, &app->cfg->intake_limits);
	if (m->problem != NULL)
		fprintf(stderr, "redress: classify: %s: intake would hold this message: %s\n",
			file, m->problem);
	intake_rules_input(&ri, m);
	/* The traffic verdict, as intake decides it (the envelope sender is
	 * not known here: Return-Path stands for it). */
	traffic_init(&traffic);
	topt.authserv_id = app->cfg->spam_authserv_id;
	topt.trust_headers = app->cfg->spam_trust_headers;
	traffic_judge(m, NULL, &topt, &traffic);
	/* The scanners, as intake asks them: not for mail the header
	 * already quarantines. */
	if (!no_scan && !traffic_quarantines(traffic.verdict)) {
		char *said = NULL;
		enum scan_status st = scan_message(app->cfg, raw, len, &said);

		scan_add_traffic(st, said, "classify", &traffic);
		free(said);
	}
	free(raw);
	raw = NULL;
	buf_init(&out, BUF_NO_LIMIT);
	r = classify_run(rules, &ri.in, &res);
	/* The words are scored as intake scores them; here their reason is
	 * shown even when they do not say spam. */
	if (r == 0 && words != NULL) {
		bool automatic = autoreply_is_automatic(m, NULL, NULL);
		long judge = traffic_words_judge(res, automatic, app->cfg->spam_words_score);

		words_score = traffic_add_words(&traffic, words, &ri.in, judge, true);
	}
	if (r < 0) {
		fprintf(stderr, "redress: classify: internal failure in the matcher\n");
		ret = EX_SOFTWARE;
	} else if (app->json) {
		traffic_add_rules(&traffic, res);
		classify_result_json(res, explain, &out);
		/* The traffic keys go into the same object. */
		if (out.len > 0 && buf_str(&out)[out.len - 1] == '}') {
			out.len--;
			buf_puts(&out, ",\"traffic\":");
			json_str(&out, verdict_name(traffic.verdict));
			buf_puts(&out, ",\"traffic_reasons\":");
			traffic_reasons_json(&traffic, &out);
			buf_puts(&out, ",\"spam_words\":");
			if (words != NULL)
				buf_printf(&out, "%.4f", words_score);
			else
				buf_puts(&out, "null");
			buf_putc(&out, '}');
		}
		buf_putc(&out, '\n');
	} else {
		traffic_add_rules(&traffic, res);
		buf_printf(&out, "traffic: %s%s\n", verdict_name(traffic.verdict),
			   traffic.verdict == VERDICT_OK ? "" : traffic_quarantines(traffic.verdict)
			   ? " (quarantined: no ack, no clock)" : " (informational: no ack, no clock)");
		for (size_t i = 0; i < traffic.n_reasons; i++)
			buf_printf(&out, "  %s\n", traffic.reasons[i]);
		classify_result_text(res, explain, &out);
		if (explain)
			buf_printf(&out, "rules file: %s (version %s, %zu rules)\n",
				   app->cfg->paths_rules, classify_rules_version(rules),
				   classify_rules_count(rules));
		if (explain && classify_rules_weights(rules) != NULL)
			buf_printf(&out, "weights file: %s\n", classify_rules_weights(rules));
	}
	fwrite(buf_str(&out), 1, out.len, stdout);
	buf_free(&out);
	traffic_clear(&traffic);
	classify_result_free(&res);
	classify_rules_free(&rules);
	spamwords_free(&words);
	intake_rules_input_free(&ri);
	message_free(&m);
	return ret;
}
