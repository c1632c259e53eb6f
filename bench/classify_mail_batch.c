/*
 * classify_mail_batch - classify many mail files in one process, as
 * "redress classify --json --explain FILE" would, for the rules benches
 * (bench/rules_bench.py, bench/train_ref.py).
 *
 * usage: classify_mail_batch RULES [--text] < paths
 * Each line on stdin is the path of one RFC 5322 message.  For each one line
 * of JSON goes to stdout: the classify JSON object with explain (the same
 * input cmd_classify.c builds: decoded subject, the customer's fresh text,
 * "Name <addr>", every header), or {"error": "..."} when the file cannot
 * be read.  With --text the object ends with "subject" and "body": the
 * fields the rules read (for the token feature of bench/train_ref.py).  Limits are the built-in defaults of [intake] (25M, depth 20,
 * 1000 parts).  Exit 78 on a bad rules file.
 *
 * It links message.c, charset.c, html.c and classify.c from src/ and
 * nothing else: bench/build_drivers.sh builds it.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "policy/classify.h"
#include "base/json.h"
#include "mail/message.h"
#include "base/xmem.h"

#define MAIL_BATCH_MAX (25L * 1024 * 1024)

static char *
mail_batch_read(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[16384];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, MAIL_BATCH_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0)
			break;
	fclose(f);
	return buf_steal(&b, len_r);
}

int
main(int argc, char **argv)
{
	struct classify_rules *rules;
	struct message_limits lim = { .max_size = MAIL_BATCH_MAX, .max_depth = 20,
				      .max_parts = 1000 };
	struct buf out;
	char *error, path[4096];

	bool text = false;

	if (argc == 3 && strcmp(argv[2], "--text") == 0)
		text = true;
	else if (argc != 2) {
		fputs("usage: classify_mail_batch RULES [--text] < paths\n", stderr);
		return 64;
	}
	if (classify_load(argv[1], &rules, &error) < 0) {
		fprintf(stderr, "%s\n", error);
		free(error);
		return 78;
	}
	buf_init(&out, BUF_NO_LIMIT);
	while (fgets(path, sizeof(path), stdin) != NULL) {
		struct classify_input in;
		struct classify_result *res;
		struct message *m;
		char *raw, *fresh, *from;
		size_t len = strlen(path);

		if (len > 0 && path[len - 1] == '\n')
			path[--len] = '\0';
		buf_reset(&out);
		raw = mail_batch_read(path, &len);
		if (raw == NULL) {
			bool first = true;

			buf_putc(&out, '{');
			json_key(&out, &first, "error");
			json_str(&out, strerror(errno));
			buf_puts(&out, "}\n");
			fwrite(out.data, 1, out.len, stdout);
			continue;
		}
		m = message_parse(raw, len, &lim);
		free(raw);
		fresh = message_fresh_text(m->text != NULL ? m->text : "", m->text_len);
		if (m->from.name != NULL && m->from.addr != NULL)
			from = xasprintf("%s <%s>", m->from.name, m->from.addr);
		else
			from = xstrdup(m->from.addr != NULL ? m->from.addr
				       : m->from.name != NULL ? m->from.name : "");
		memset(&in, 0, sizeof(in));
		in.subject = m->subject;
		in.body = fresh;
		in.body_len = strlen(fresh);
		in.from = from;
		in.headers = m->headers;
		in.n_headers = m->n_headers;
		if (classify_run(rules, &in, &res) < 0) {
			fputs("classify_mail_batch: internal failure\n", stderr);
			return 70;
		}
		classify_result_json(res, true, &out);
		if (text) {
			bool first = false;

			out.len--;   /* reopen the object: drop its '}' */
			json_key(&out, &first, "subject");
			json_str(&out, m->subject != NULL ? m->subject : "");
			json_key(&out, &first, "body");
			json_str(&out, fresh);
			buf_putc(&out, '}');
		}
		buf_putc(&out, '\n');
		fwrite(out.data, 1, out.len, stdout);
		classify_result_free(&res);
		free(fresh);
		free(from);
		message_free(&m);
	}
	buf_free(&out);
	classify_rules_free(&rules);
	return 0;
}
