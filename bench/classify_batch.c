/*
 * classify_batch - classify many texts in one process, for the quality
 * benchmark (bench/classify_quality.sh).
 *
 * usage: classify_batch RULES [--no-prefilter] [--weights FILE] < records
 * Each record on stdin is a decimal byte count, a newline, then that many
 * bytes of message body.  For each record one line of JSON goes to stdout:
 * the classify JSON object (doc/contract.md shape, with explain).  Exit 78 on a
 * bad rules file, 65 on a malformed record.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmem.h"
#include "policy/classify.h"

#define BATCH_MAX_RECORD (16 * 1024 * 1024)

int
main(int argc, char **argv)
{
	struct classify_options opt = { .no_prefilter = false };
	struct classify_rules *rules;
	struct buf out;
	char *error, line[64];

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--no-prefilter") == 0)
			opt.no_prefilter = true;
		else if (strcmp(argv[i], "--weights") == 0 && i + 1 < argc)
			opt.weights = argv[++i];
		else
			argc = 0;
	}
	if (argc < 2) {
		fputs("usage: classify_batch RULES [--no-prefilter] [--weights FILE] < records\n",
		      stderr);
		return 64;
	}
	if (classify_load_opts(argv[1], &opt, &rules, &error) < 0) {
		fprintf(stderr, "%s\n", error);
		free(error);
		return 78;
	}
	buf_init(&out, BUF_NO_LIMIT);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct classify_input in = { .subject = "", .from = "" };
		struct classify_result *res;
		char *end, *body;
		unsigned long n = strtoul(line, &end, 10);

		if (end == line || *end != '\n' || n > BATCH_MAX_RECORD) {
			fputs("classify_batch: malformed record\n", stderr);
			classify_rules_free(&rules);
			return 65;
		}
		body = xmalloc(n + 1);
		if (fread(body, 1, n, stdin) != n) {
			fputs("classify_batch: short record\n", stderr);
			free(body);
			classify_rules_free(&rules);
			return 65;
		}
		body[n] = '\0';
		in.body = body;
		in.body_len = n;
		if (classify_run(rules, &in, &res) < 0) {
			fputs("classify_batch: internal failure\n", stderr);
			free(body);
			classify_rules_free(&rules);
			return 70;
		}
		buf_reset(&out);
		classify_result_json(res, true, &out);
		buf_putc(&out, '\n');
		fwrite(out.data, 1, out.len, stdout);
		classify_result_free(&res);
		free(body);
	}
	buf_free(&out);
	classify_rules_free(&rules);
	return 0;
}
