/*
 * t_template - the template language, the fallback chain, lint errors
 * with their exact FILE:LINE text, template names against the rules'
 * categories, and the default templates -- among them, that nothing a
 * question or praise can be sent apologises.
 *
 * REDRESS_DATADIR names the source tree (templates/ and tests/data/).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/classify.h"
#include "tap.h"
#include "base/xmem.h"
#include "policy/template.h"

static const char *t_datadir;

static void
t_write(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		diag("cannot write %s", path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	free(path);
}

static char *
t_tmpdir(void)
{
	char *d = xstrdup("/tmp/t_template.XXXXXX");

	if (mkdtemp(d) == NULL) {
		diag("mkdtemp failed");
		exit(1);
	}
	return d;
}

static void
t_rmdir(char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);

	if (system(cmd) != 0)
		diag("could not remove %s", d);
	free(cmd);
	free(d);
}

/* The five defaults every directory needs, minimal. */
static void
t_write_kinds(const char *dir)
{
	t_write(dir, "ack.txt", "Subject: {{case_tag}} ack\n\nack body\n");
	t_write(dir, "ack-plain.txt", "Subject: plain\n\nplain body\n");
	t_write(dir, "followup.txt", "Subject: followup\n\nfollowup body\n");
	t_write(dir, "escalation.txt", "Subject: escalation\n\nescalation body\n");
	t_write(dir, "breach-warning.txt", "Subject: warning\n\nwarning body\n");
}

/* ---- the language ---------------------------------------------------- */

struct t_case {
	const char *text;     /* whole file */
	const char *vars;     /* "name=value;name=value" (values without ;) */
	const char *subject;  /* expected */
	const char *body;     /* expected */
};

static const struct t_case t_cases[] = {
	{ "Subject: s\n\nHello {{customer_name}}!\n", "customer_name=Jane", "s", "Hello Jane!\n" },
	{ "Subject: s\n\n{{ case_id }}/{{case_id}}\n", "case_id=000123", "s", "000123/000123\n" },
	{ "Subject: s\n\n[{{tags}}]\n", "", "s", "[]\n" },
	{ "Subject: s\n\nx{{#if resolved}}yes{{/if}}y\n", "resolved=1", "s", "xyesy\n" },
	{ "Subject: s\n\nx{{#if resolved}}yes{{/if}}y\n", "resolved=", "s", "xy\n" },
	{ "Subject: s\n\n{{#if resolved}}yes{{else}}no{{/if}}\n", "resolved=1", "s", "yes\n" },
	{ "Subject: s\n\n{{#if resolved}}yes{{else}}no{{/if}}\n", "", "s", "no\n" },
	{ "Subject: s\n\n{{#unless resolved}}open{{/unless}}.\n", "", "s", "open.\n" },
	{ "Subject: s\n\n{{#unless resolved}}open{{else}}done{{/unless}}.\n", "resolved=y", "s", "done.\n" },
	/* Nesting, both ways round. */
	{ "Subject: s\n\n{{#if resolved}}R{{#if resolution_cause}}({{resolution_cause}}){{else}}-{{/if}}"
	  "{{else}}U{{#unless breached}} ok{{/unless}}{{/if}}\n",
	  "resolved=1;resolution_cause=courier", "s", "R(courier)\n" },
	{ "Subject: s\n\n{{#if resolved}}R{{#if resolution_cause}}({{resolution_cause}}){{else}}-{{/if}}"
	  "{{else}}U{{#unless breached}} ok{{/unless}}{{/if}}\n",
	  "resolved=1", "s", "R-\n" },
	{ "Subject: s\n\n{{#if resolved}}R{{#if resolution_cause}}({{resolution_cause}}){{else}}-{{/if}}"
	  "{{else}}U{{#unless breached}} ok{{/unless}}{{/if}}\n",
	  "", "s", "U ok\n" },
	/* Block tags alone on a line take the line with them. */
	{ "Subject: s\n\na\n{{#if resolved}}\nyes\n{{else}}\nno\n{{/if}}\nb\n", "resolved=1", "s",
	  "a\nyes\nb\n" },
	{ "Subject: s\n\na\n{{#if resolved}}\nyes\n{{else}}\nno\n{{/if}}\nb\n", "", "s",
	  "a\nno\nb\n" },
	{ "Subject: s\n\na\n  {{#if resolved}}  \n  yes\n\t{{/if}}\nb\n", "resolved=1", "s",
	  "a\n  yes\nb\n" },
	{ "Subject: s\n\nx {{#if resolved}}y{{/if}} z\n", "", "s", "x  z\n" },
	/* Comments, and the escape for a literal {{. */
	{ "Subject: s\n\na{{! a note }}b\n{{! on its own line }}\nc\n", "", "s", "ab\nc\n" },
	{ "Subject: s\n\n\\{{customer_name}} is literal\n", "customer_name=X", "s",
	  "{{customer_name}} is literal\n" },
	/* greeting_name: from customer_name when it reads like a name. */
	{ "Subject: s\n\nHello {{greeting_name}},\n", "customer_name=Jane Doe", "s", "Hello Jane Doe,\n" },
	{ "Subject: s\n\nHello {{greeting_name}},\n", "", "s", "Hello there,\n" },
	{ "Subject: s\n\nHello {{greeting_name}},\n", "customer_name=jane@example.net", "s", "Hello there,\n" },
	{ "Subject: s\n\nHello {{greeting_name}},\n", "customer_name=!!!", "s", "Hello there,\n" },
	{ "Subject: s\n\nHello {{greeting_name}},\n", "customer_name=Jane;greeting_name=Ms Doe", "s",
	  "Hello Ms Doe,\n" },
	{ "Subject: s\n\nHello {{greeting_name}},\n", "customer_name=J\xc3\xbcrgen", "s",
	  "Hello J\xc3\xbcrgen,\n" },
	/* company falls back to sender_name. */
	{ "Subject: s\n\n{{company}}\n", "sender_name=Customer Care", "s", "Customer Care\n" },
	{ "Subject: s\n\n{{company}}\n", "sender_name=Care;company=Example Ltd", "s", "Example Ltd\n" },
	/* Customer text that looks like template syntax is printed as it is. */
	{ "Subject: {{original_subject}}\n\nDear {{customer_name}},\n{{#if resolved}}{{customer_excerpt}}{{/if}}\n",
	  "customer_name={{case_id}} {{#if resolved}}x{{/if}};original_subject={{#if tags}}{{/unless}};"
	  "resolved=1;customer_excerpt={{/if}}{{else}}\\{{",
	  "{{#if tags}}{{/unless}}", "Dear {{case_id}} {{#if resolved}}x{{/if}},\n{{/if}}{{else}}\\{{\n" },
	/* The subject is one line; the body ends with one newline. */
	{ "Subject: Re: {{original_subject}}\n\nbody\n\n\n\n", "original_subject=Hi\nthere \t you", "Re: Hi there you",
	  "body\n" },
	{ "Subject: {{#if resolved}}Done{{else}}Open{{/if}} {{case_tag}}\n\nb\n", "case_tag=[case 1]", "Open [case 1]", "b\n" },
	/* File format: CRLF, a byte order mark, folded and lower-case Subject, blank-ish separator. */
	{ "Subject: crlf\r\n\r\nBody\r\nline\r\n", "", "crlf", "Body\nline\n" },
	{ "\xef\xbb\xbfSubject: bom\n\nb\n", "", "bom", "b\n" },
	{ "subject: a\n  folded {{case_id}}\n\nb\n", "case_id=7", "a folded 7", "b\n" },
	{ "Subject: x\n \t \nbody\n", "", "x", "body\n" },
	{ "Subject: x\n\n\n\nbody after blank lines\n", "", "x", "\n\nbody after blank lines\n" },
	{ "Subject: x\n\nno final newline", "", "x", "no final newline\n" },
	{ "Subject: x\n\n}} and { alone are text {\n", "", "x", "}} and { alone are text {\n" },
};

/* Values are cleaned on the way in. */
static void
test_vars(void)
{
	struct template_vars *v = template_vars_new();

	ok(template_vars_get(v, "case_id") == NULL, "unset is NULL");
	template_vars_set(v, "case_id", "1");
	template_vars_set(v, "case_id", "2");
	is_str(template_vars_get(v, "case_id"), "2", "set replaces");
	template_vars_set(v, "tags", NULL);
	is_str(template_vars_get(v, "tags"), "", "NULL is empty");
	template_vars_set(v, "customer_excerpt", "a\r\nb\rc\x01\x1b[31md\x7f\xff\xc2\x85" "e\tf");
	is_str(template_vars_get(v, "customer_excerpt"), "a\nb\nc[31md\xef\xbf\xbd" "e\tf",
	       "CR LF to LF, controls dropped, bad UTF-8 replaced");
	{
		char *big = xmalloc(TEMPLATE_MAX_VALUE + 10);

		memset(big, 'x', TEMPLATE_MAX_VALUE + 9);
		big[TEMPLATE_MAX_VALUE + 9] = '\0';
		template_vars_set(v, "customer_excerpt", big);
		is_int((long long)strlen(template_vars_get(v, "customer_excerpt")),
		       TEMPLATE_MAX_VALUE, "values are capped");
		free(big);
	}
	template_vars_free(&v);
	ok(v == NULL, "vars_free NULLs the pointer");
}

static void
t_set_vars(struct template_vars *v, const char *spec)
{
	char *copy = xstrdup(spec), *p = copy;

	while (*p != '\0') {
		char *end = strchr(p, ';'), *eq;

		if (end != NULL)
			*end = '\0';
		eq = strchr(p, '=');
		if (eq != NULL) {
			*eq = '\0';
			template_vars_set(v, p, eq + 1);
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	free(copy);
}

static void
test_language(void)
{
	size_t n = sizeof(t_cases) / sizeof(t_cases[0]);
	struct template_set *set = NULL;
	char *dir = t_tmpdir(), *err = NULL;

	t_write_kinds(dir);
	for (size_t i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "ack-c%02zu.txt", i);
		t_write(dir, name, t_cases[i].text);
	}
	if (!ok(template_set_load(dir, &set, &err) == 0, "language cases load")) {
		diag("%s", err);
		free(err);
		t_rmdir(dir);
		return;
	}
	is_int((long long)template_set_count(set), (long long)n + 5, "every file is a template");
	for (size_t i = 0; i < n; i++) {
		struct template_vars *v = template_vars_new();
		struct template_output out = { 0 };
		char name[32];

		snprintf(name, sizeof(name), "ack-c%02zu", i);
		t_set_vars(v, t_cases[i].vars);
		if (ok(template_render_name(set, name, v, &out, &err) == 0, "case %zu renders", i)) {
			is_str(out.subject, t_cases[i].subject, "case %zu subject", i);
			is_str(out.body, t_cases[i].body, "case %zu body", i);
		} else {
			diag("%s", err);
			free(err);
		}
		template_output_clear(&out);
		template_vars_free(&v);
	}
	{
		/* Output larger than the cap is an error, not a truncation. */
		struct template_vars *v = template_vars_new();
		struct template_output out = { 0 };
		char *big = xmalloc(TEMPLATE_MAX_VALUE + 1);
		struct template_set *s2 = NULL;
		char *d2 = t_tmpdir();
		char *text = xstrdup("Subject: s\n\n");

		t_write_kinds(d2);
		for (int k = 0; k < 20; k++) {
			char *t = xasprintf("%s{{customer_excerpt}}", text);

			free(text);
			text = t;
		}
		t_write(d2, "ack-big.txt", text);
		memset(big, 'x', TEMPLATE_MAX_VALUE);
		big[TEMPLATE_MAX_VALUE] = '\0';
		template_vars_set(v, "customer_excerpt", big);
		template_set_load(d2, &s2, &err);
		is_int(template_render_name(s2, "ack-big", v, &out, &err), -1, "output cap");
		is_str(err, "template ack-big: the rendered text is larger than 1048576 bytes",
		       "output cap message");
		ok(out.subject == NULL && out.body == NULL, "nothing rendered past the cap");
		free(err);
		free(text);
		free(big);
		template_vars_free(&v);
		template_set_free(&s2);
		t_rmdir(d2);
	}
	template_set_free(&set);
	ok(set == NULL, "set_free NULLs the pointer");
	t_rmdir(dir);
}

/* ---- the fallback chain ---------------------------------------------- */

static void
test_fallback(void)
{
	static const struct {
		const char *kind, *category, *picked, *subject;
	} cases[] = {
		{ "ack", "refund", "ack-refund", "refund ack" },
		{ "ack", "damaged", "ack-damaged", "damaged ack" },
		{ "ack", "general", "ack", "[case 9] ack" },
		{ "ack", "delivery", "ack", "[case 9] ack" },
		{ "ack", NULL, "ack", "[case 9] ack" },
		{ "ack", "", "ack", "[case 9] ack" },
		{ "ack", "../../etc/passwd", "ack", "[case 9] ack" },
		{ "ack-plain", "not-complaint", "ack-plain", "plain" },
		{ "ack", "not-complaint", "ack-plain", "plain" },
		{ "followup", "refund", "followup-refund", "refund followup" },
		{ "followup", "damaged", "followup", "followup" },
		{ "escalation", "refund", "escalation", "escalation" },
		{ "breach-warning", "refund", "breach-warning", "warning" },
	};
	struct template_set *set = NULL;
	struct template_vars *v = template_vars_new();
	struct template_output out = { 0 };
	char *dir = t_tmpdir(), *err = NULL;

	t_write_kinds(dir);
	t_write(dir, "ack-refund.txt", "Subject: refund ack\n\nr\n");
	t_write(dir, "ack-damaged.txt", "Subject: damaged ack\n\nd\n");
	t_write(dir, "followup-refund.txt", "Subject: refund followup\n\nf\n");
	template_vars_set(v, "case_tag", "[case 9]");
	ok(template_set_load(dir, &set, &err) == 0, "fallback set loads");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *cat = cases[i].category;

		is_str(template_set_pick(set, cases[i].kind, cat), cases[i].picked,
		       "pick %s/%s", cases[i].kind, cat != NULL ? cat : "NULL");
		is_int(template_render(set, cases[i].kind, cat, v, &out, &err), 0,
		       "render %s/%s", cases[i].kind, cat != NULL ? cat : "NULL");
		is_str(out.subject, cases[i].subject, "render %s/%s subject", cases[i].kind,
		       cat != NULL ? cat : "NULL");
		template_output_clear(&out);
	}
	ok(template_set_pick(set, "nope", "refund") == NULL, "unknown kind: no pick");
	is_int(template_render(set, "nope", "refund", v, &out, &err), -1, "unknown kind fails");
	{
		char *want = xasprintf("no template for \"nope\" in %s (looked for nope.txt)", dir);

		is_str(err, want, "unknown kind message");
		free(want);
	}
	free(err);
	is_int(template_render_name(set, "ack-general", v, &out, &err), -1,
	       "render_name does not fall back");
	free(err);
	ok(template_set_has(set, "ack-refund") && !template_set_has(set, "ack-general"),
	   "set_has");
	is_str(template_set_dir(set), dir, "set_dir");
	template_vars_free(&v);
	template_set_free(&set);
	t_rmdir(dir);
}

/* ---- lint ------------------------------------------------------------ */

static void
t_check_errors(const char *dir, const char *const *want, size_t n_want, size_t n_files,
	       const char *what)
{
	char **errors = NULL;
	size_t n = 0, n_templates = 0;
	int r = template_lint_dir_count(dir, &errors, &n, &n_templates);

	is_int(r, n_want > 0 ? -1 : 0, "%s: lint result", what);
	is_int((long long)n, (long long)n_want, "%s: number of errors", what);
	is_int((long long)n_templates, (long long)n_files, "%s: templates seen", what);
	for (size_t i = 0; i < n_want; i++) {
		char *w = xasprintf("%s/%s", dir, want[i]);

		is_str(i < n ? errors[i] : NULL, w, "%s: error %zu", what, i);
		free(w);
	}
	for (size_t i = n_want; i < n; i++)
		diag("unexpected: %s", errors[i]);
	template_errors_free(&errors, n);
}

static void
test_lint(void)
{
	static const char *const bad[] = {
		"Bad-Name.txt: unknown template name \"Bad-Name\" (a template is KIND.txt or "
		"KIND-CATEGORY.txt; kinds: ack, ack-plain, ack-praise, followup, escalation, "
		"breach-warning)",
		"ack-blankfirst.txt:1: missing Subject: (a template starts with \"Subject: ...\", "
		"then a blank line, then the body)",
		"ack-blocks.txt:3: {{#if}} needs a placeholder name, like {{#if resolved}}",
		"ack-blocks.txt:4: unknown block {{#each tags}} (blocks are #if and #unless)",
		"ack-blocks.txt:5: a second {{else}} for the {{#if resolved}} on line 5",
		"ack-else.txt:4: {{else}} outside {{#if}} or {{#unless}}",
		"ack-emptybody.txt:2: empty body after the blank line",
		"ack-emptysubject.txt:1: empty Subject:",
		"ack-header.txt:2: unknown header \"X-Priority:\" (the only header is Subject:)",
		"ack-mismatch.txt:5: {{/unless}} closes the {{#if resolved}} opened on line 3",
		"ack-noblank.txt:2: no blank line after the headers (this line is not \"Name: value\")",
		"ack-nobody.txt:1: no blank line after the headers (the body is missing)",
		"ack-nosubject.txt:1: missing Subject: (a template starts with \"Subject: ...\", "
		"then a blank line, then the body)",
		"ack-stray.txt:6: {{/if}} without a matching {{#if}}",
		"ack-subject.txt:1: {{#if resolved}} is never closed (missing {{/if}})",
		"ack-unclosed.txt:4: {{#if resolved}} is never closed (missing {{/if}})",
		"ack-unknown.txt:3: unknown placeholder {{custmer_name}}",
		"ack-unknown.txt:5: unknown placeholder {{nope}}",
		"ack-unterminated.txt:3: unterminated {{ (a tag ends with }} on the same line; "
		"write \\{{ for a literal {{)",
		"ack-utf8.txt:3: not valid UTF-8",
		"notes.txt: unknown template name \"notes\" (a template is KIND.txt or "
		"KIND-CATEGORY.txt; kinds: ack, ack-plain, ack-praise, followup, escalation, "
		"breach-warning)",
	};
	static const char *const missing[] = {
		"ack-plain.txt: missing (every kind needs its default template)",
		"followup.txt: missing (every kind needs its default template)",
		"escalation.txt: missing (every kind needs its default template)",
		"breach-warning.txt: missing (every kind needs its default template)",
	};
	static const char *const runtime[] = {
		"ack-big.txt: larger than 65536 bytes",
		"ack-dir.txt: cannot read: not a regular file",
		"ack-link.txt: cannot read: No such file or directory",
		"ack-nul.txt:2: control character 0x00 (only tab and newline are allowed)",
		"ack-sub.txt:1: unknown placeholder \"nope\" in {{#unless nope}}",
		"ack-sub.txt:3: bad tag {{case-id}} (expected {{name}}, {{#if name}}, {{else}}, "
		"{{/if}}, {{#unless name}}, {{/unless}} or {{! comment}})",
		"ack-sub.txt:3: {{/if if}}: a closing tag takes no name",
	};
	char *bad_dir = xasprintf("%s/tests/data/templates/bad", t_datadir);
	char *missing_dir = xasprintf("%s/tests/data/templates/missing", t_datadir);
	char *dir = t_tmpdir(), *path, *err = NULL, *big;
	struct template_set *set = NULL;

	t_check_errors(bad_dir, bad, sizeof(bad) / sizeof(bad[0]), 23, "bad");
	t_check_errors(missing_dir, missing, sizeof(missing) / sizeof(missing[0]), 1, "missing");

	/* template_set_load stops at the first. */
	is_int(template_set_load(bad_dir, &set, &err), -1, "bad set does not load");
	ok(set == NULL, "no set on error");
	{
		char *want = xasprintf("%s/%s", bad_dir, bad[0]);

		is_str(err, want, "load reports the first error");
		free(want);
	}
	free(err);

	/* Errors that need the file system: made here, not shipped. */
	t_write_kinds(dir);
	path = xasprintf("%s/ack-dir.txt", dir);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/ack-link.txt", dir);
	if (symlink("/nonexistent/redress-template", path) != 0)
		diag("symlink failed");
	free(path);
	big = xmalloc(TEMPLATE_MAX_FILE + 100);
	memset(big, 'x', TEMPLATE_MAX_FILE + 99);
	memcpy(big, "Subject: s\n\n", 12);
	big[TEMPLATE_MAX_FILE + 99] = '\0';
	t_write(dir, "ack-big.txt", big);
	free(big);
	path = xasprintf("%s/ack-nul.txt", dir);
	{
		FILE *f = fopen(path, "w");

		fwrite("Subject: s\n\0\nbody\n", 1, 18, f);
		fclose(f);
	}
	free(path);
	t_write(dir, "ack-sub.txt", "Subject: {{#unless nope}}x{{/unless}}\n\n"
		"{{case-id}} {{/if if}}\n");
	t_write(dir, ".hidden.txt", "ignored");
	t_write(dir, "ack.txt~", "ignored");
	t_check_errors(dir, runtime, sizeof(runtime) / sizeof(runtime[0]), 10, "runtime");
	t_rmdir(dir);

	{
		char **errors = NULL;
		size_t n = 0;

		is_int(template_lint_dir("/nonexistent/templates", &errors, &n), -1,
		       "no directory");
		is_str(n > 0 ? errors[0] : NULL,
		       "/nonexistent/templates: cannot read the template directory: "
		       "No such file or directory", "no directory message");
		template_errors_free(&errors, n);
	}
	free(bad_dir);
	free(missing_dir);
}

/* ---- the defaults ---------------------------------------------------- */

static void
test_defaults(void)
{
	static const char *const kinds[] = {
		"ack", "ack-plain", "ack-praise", "followup", "escalation", "breach-warning",
	};
	static const char *const categories[] = {
		"billing", "damaged", "delivery", "service", "account", "general",
		"not-complaint", "question", "praise", NULL,
	};
	char *dir = xasprintf("%s/templates", t_datadir), *err = NULL;
	struct template_set *set = NULL;
	struct template_vars *v = template_vars_new(), *empty = template_vars_new();
	struct template_output out = { 0 }, out2 = { 0 };
	char **errors = NULL;
	size_t n = 0;

	is_int(template_lint_dir(dir, &errors, &n), 0, "default templates lint clean");
	template_errors_free(&errors, n);
	if (!ok(template_set_load(dir, &set, &err) == 0, "default templates load")) {
		diag("%s", err);
		free(err);
		free(dir);
		return;
	}
	is_int((long long)template_set_count(set), 11, "eleven default templates");
	template_vars_sample(v);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t c = 0; c < sizeof(categories) / sizeof(categories[0]); c++) {
			const char *cat = categories[c];
			const char *what = template_set_pick(set, kinds[k], cat);

			if (!ok(template_render(set, kinds[k], cat, v, &out, &err) == 0,
				"%s/%s renders (%s)", kinds[k], cat ? cat : "-", what)) {
				diag("%s", err);
				free(err);
				continue;
			}
			ok(strstr(out.subject, "{{") == NULL && strstr(out.body, "{{") == NULL &&
			   strstr(out.subject, "}}") == NULL && strstr(out.body, "}}") == NULL,
			   "%s: nothing left unrendered", what);
			ok(strncmp(out.subject, "[case 000123] ", 14) == 0,
			   "%s: subject starts with the case tag", what);
			ok(strstr(out.body, "000123") != NULL, "%s: body names the case", what);
			template_output_clear(&out);
			/* With nothing set, still no syntax left and a fine greeting. */
			ok(template_render(set, kinds[k], cat, empty, &out, &err) == 0 &&
			   strstr(out.body, "{{") == NULL, "%s renders with no values", what);
			template_output_clear(&out);
		}
	}
	/* The acks apologise and promise a time; ack-plain thanks instead. */
	for (size_t c = 0; categories[c] != NULL; c++) {
		const char *name = template_set_pick(set, "ack", categories[c]);

		template_render(set, "ack", categories[c], v, &out, &err);
		if (strcmp(categories[c], "not-complaint") == 0 ||
		    strcmp(categories[c], "question") == 0 || strcmp(categories[c], "praise") == 0) {
			/* Never asked for: the outbox sends these ack-plain or
			 * ack-praise (test_no_apology); only not-complaint has
			 * the old safety net. */
			if (strcmp(categories[c], "not-complaint") != 0) {
				template_output_clear(&out);
				continue;
			}
			is_str(name, "ack-plain", "a non-complaint's ack is ack-plain");
			ok(strstr(out.body, "orry") == NULL, "no apology to a non-complaint");
			template_output_clear(&out);
			continue;
		}
		ok(strstr(out.body, "sorry") != NULL, "%s apologises", name);
		ok(strstr(out.body, "by Monday 4 pm") != NULL, "%s gives the deadline", name);
		ok(strstr(out.body, "Hello Jane Doe,") != NULL, "%s greets the customer", name);
		template_output_clear(&out);
	}
	template_render(set, "ack-plain", "not-complaint", v, &out, &err);
	ok(strstr(out.body, "orry") == NULL && strstr(out.subject, "orry") == NULL,
	   "ack-plain does not apologise");
	ok(strstr(out.body, "Thank you") != NULL, "ack-plain thanks");
	template_output_clear(&out);
	template_render(set, "ack", NULL, empty, &out, &err);
	ok(strncmp(out.body, "Hello there,\n", 13) == 0, "no name: Hello there,");
	ok(strstr(out.body, "as soon as we can") != NULL, "no deadline: says so plainly");
	template_output_clear(&out);

	/* The follow-up says different things for resolved and open cases. */
	template_render(set, "followup", NULL, v, &out, &err);
	template_vars_set(v, "resolved", "yes");
	template_vars_set(v, "resolution_cause", "replacement sent");
	template_render(set, "followup", NULL, v, &out2, &err);
	ok(strcmp(out.body, out2.body) != 0 && strcmp(out.subject, out2.subject) != 0,
	   "follow-up differs for resolved cases");
	ok(strstr(out2.body, "replacement sent") != NULL, "resolved follow-up names the cause");
	ok(strstr(out.body, "by Thursday 4 pm") != NULL, "open follow-up gives the next date");
	template_output_clear(&out);
	template_output_clear(&out2);

	/* Escalation carries what a manager needs. */
	template_vars_set(v, "breached", "yes");
	template_render(set, "escalation", NULL, v, &out, &err);
	ok(strstr(out.body, "Jane Doe <jane.doe@example.net>") != NULL &&
	   strstr(out.body, "repeat, public-review") != NULL &&
	   strstr(out.body, "pieces. This is the second time") != NULL &&
	   strstr(out.body, "high") != NULL && strstr(out.subject, "deadline missed") != NULL,
	   "escalation: customer, tags, excerpt, priority, breach");
	template_output_clear(&out);

	/* Customer text in a default template stays literal. */
	template_vars_set(v, "customer_name", "{{case_id}}{{#if resolved}}");
	template_vars_set(v, "original_subject", "{{/if}} {{customer_email}}");
	template_render(set, "ack", NULL, v, &out, &err);
	ok(strstr(out.body, "Hello {{case_id}}{{#if resolved}},") != NULL,
	   "customer name with template syntax printed literally");
	ok(strstr(out.subject, "{{/if}} {{customer_email}}") != NULL,
	   "customer subject with template syntax printed literally");
	template_output_clear(&out);

	template_vars_free(&v);
	template_vars_free(&empty);
	template_set_free(&set);
	free(dir);
}

/* ---- names: kinds, categories, and what each job is sent -------------- */

static void
test_names(void)
{
	static const char *const cats[] = { "billing", "delivery", "praise", "question" };
	static const struct {
		const char *name;
		int r;
		const char *kind, *category;
	} splits[] = {
		{ "ack", 1, "ack", NULL },
		{ "ack-billing", 1, "ack", "billing" },
		{ "ack-plain", 1, "ack-plain", NULL },
		{ "ack-praise", 1, "ack-praise", NULL },
		{ "ack-plain-question", 1, "ack-plain", "question" },
		{ "ack-praise-praise", 1, "ack-praise", "praise" },
		{ "breach-warning-delivery", 1, "breach-warning", "delivery" },
		{ "ack-refunds", 0, NULL, NULL },
		{ "followup-plain", 0, NULL, NULL },
		{ "notes", -1, NULL, NULL },
	};
	static const char *const lint_want[] = {
		"ack-refunds.txt: no category \"refunds\" in the rules, so no case would ever "
		"get it (KIND-CATEGORY.txt names a category of the rules: billing, delivery, "
		"praise, question)",
		"followup-plain-x.txt: no category \"plain-x\" in the rules, so no case would ever "
		"get it (KIND-CATEGORY.txt names a category of the rules: billing, delivery, "
		"praise, question)",
	};
	struct template_set *set = NULL;
	struct template_vars *v = template_vars_new();
	struct template_output out = { 0 };
	char *dir = t_tmpdir(), *err = NULL, **errors = NULL;
	size_t n = 0, n_templates = 0;

	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		char *kind = NULL, *cat = NULL;
		int r = template_name_split(splits[i].name, cats, 4, &kind, &cat);

		is_int(r, splits[i].r, "split %s: result", splits[i].name);
		is_str(kind, splits[i].kind, "split %s: kind", splits[i].name);
		is_str(cat, splits[i].category, "split %s: category", splits[i].name);
		free(kind);
		free(cat);
	}
	is_str(template_kind_for(JOB_ACK, OUTCOME_COMPLAINT), "ack", "a complaint's ack is ack");
	is_str(template_kind_for(JOB_ACK, OUTCOME_PRAISE), "ack", "ack has no praise variant");
	is_str(template_kind_for(JOB_ACK_PLAIN, OUTCOME_QUESTION), "ack-plain",
	       "a question's is ack-plain");
	is_str(template_kind_for(JOB_ACK_PLAIN, OUTCOME_PRAISE), "ack-praise",
	       "praise's is ack-praise");
	is_str(template_kind_for(JOB_WARNING, OUTCOME_QUESTION), "breach-warning", "warning");
	is_str(template_kind_for(JOB_FOLLOWUP, OUTCOME_NONE), "followup", "followup");
	is_str(template_kind_for(JOB_ESCALATION, OUTCOME_COMPLAINT), "escalation", "escalation");
	for (size_t i = 0; template_kind_name(i) != NULL; i++) {
		enum job_kind job;

		ok(template_job_kind(template_kind_name(i), &job) == 0 &&
		   strcmp(template_kind_for(job, strcmp(template_kind_name(i), "ack-praise") == 0
					    ? OUTCOME_PRAISE : OUTCOME_COMPLAINT),
			  template_kind_name(i)) == 0,
		   "template kind %s: its job's template again", template_kind_name(i));
	}
	{
		enum job_kind job = JOB_ACK;

		ok(template_job_kind("breach-warning", &job) == 0 && job == JOB_WARNING,
		   "breach-warning is sent by a warning");
		ok(template_job_kind("warning", &job) < 0, "warning is no template kind");
	}

	/* lint: a KIND-CATEGORY for no category of the rules is refused, with
	 * FILE and the reason; the load itself does not know the rules. */
	t_write_kinds(dir);
	t_write(dir, "ack-billing.txt", "Subject: b\n\nb\n");
	t_write(dir, "ack-refunds.txt", "Subject: r\n\nr\n");
	t_write(dir, "ack-plain-question.txt", "Subject: q\n\nq\n");
	t_write(dir, "followup-plain-x.txt", "Subject: f\n\nf\n");
	is_int(template_lint_dir_categories(dir, cats, 4, &errors, &n, &n_templates), -1,
	       "lint with the rules' categories refuses ack-refunds");
	is_int((long long)n, 2, "two errors");
	for (size_t i = 0; i < 2; i++) {
		char *w = xasprintf("%s/%s", dir, lint_want[i]);

		is_str(i < n ? errors[i] : NULL, w, "lint error %zu", i);
		free(w);
	}
	template_errors_free(&errors, n);
	is_int(template_lint_dir_count(dir, &errors, &n, NULL), 0,
	       "without the categories the names are not checked");
	template_errors_free(&errors, n);

	/* ack-praise needs no file: an older templates directory thanks
	 * praise with ack-plain; a category called "plain" or "praise" never
	 * turns ack into ack-plain or ack-praise. */
	ok(template_set_load(dir, &set, &err) == 0, "a set without ack-praise.txt loads");
	is_str(template_set_pick(set, "ack-praise", "praise"), "ack-plain",
	       "ack-praise falls back to ack-plain");
	is_str(template_set_pick(set, "ack-praise", "question"), "ack-plain-question",
	       "through ack-plain's category file");
	is_str(template_set_pick(set, "ack", "plain"), "ack", "ack + plain is not ack-plain");
	template_set_free(&set);
	t_write(dir, "ack-praise.txt", "Subject: thanks\n\nthanks\n");
	template_set_load(dir, &set, &err);
	is_str(template_set_pick(set, "ack-praise", "praise"), "ack-praise",
	       "with its file, ack-praise is used");
	is_str(template_set_pick(set, "ack", "praise"), "ack", "ack + praise is not ack-praise");
	ok(template_render(set, "ack-praise", "praise", v, &out, &err) == 0 &&
	   strcmp(out.subject, "thanks") == 0, "and rendered");
	template_output_clear(&out);
	template_set_free(&set);
	template_vars_free(&v);
	t_rmdir(dir);
}

/* True when s says sorry or apologises, in any case. */
static bool
t_apologises(const char *s)
{
	char *l = xstrdup(s != NULL ? s : "");
	bool r;

	for (char *p = l; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	r = strstr(l, "sorry") != NULL || strstr(l, "apolog") != NULL;
	free(l);
	return r;
}

/*
 * Issue 11: nothing sent for a question or praise apologises.  Every
 * template the default set can pick for them is rendered: for each
 * category of the default rules whose outcome is not complaint, each job
 * intake and tick can queue for such a case (the plain ack, and to staff
 * the warning and the escalation of a question's clock; no follow-up is
 * queued for them), as the outbox maps it to a template kind -- with
 * sample values, with none, and with every condition true, so that every
 * branch of every {{#if}} is read.
 */
static void
test_no_apology(void)
{
	static const enum job_kind jobs[] = { JOB_ACK_PLAIN, JOB_WARNING, JOB_ESCALATION };
	char *dir = xasprintf("%s/templates", t_datadir);
	char *rules_path = xasprintf("%s/rules.conf", t_datadir), *err = NULL;
	struct classify_rules *rules = NULL;
	struct template_set *set = NULL;
	struct template_vars *vars[3];
	size_t rendered = 0, non = 0;

	if (classify_load(rules_path, &rules, &err) < 0 ||
	    template_set_load(dir, &set, &err) < 0) {
		ok(false, "default rules and templates load: %s", err);
		free(err);
		classify_rules_free(&rules);
		free(dir);
		free(rules_path);
		return;
	}
	vars[0] = template_vars_new();
	template_vars_sample(vars[0]);
	vars[1] = template_vars_new();
	vars[2] = template_vars_new();
	template_vars_sample(vars[2]);
	template_vars_set(vars[2], "resolved", "yes");
	template_vars_set(vars[2], "resolution_cause", "answered");
	template_vars_set(vars[2], "breached", "yes");
	for (size_t c = 0; c < classify_rules_n_categories(rules); c++) {
		enum outcome o = classify_rules_category_outcome(rules, c);
		const char *cat = classify_rules_category(rules, c);

		if (o == OUTCOME_COMPLAINT)
			continue;
		non++;
		for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
			const char *kind = template_kind_for(jobs[j], o);

			for (size_t k = 0; k < 3; k++) {
				struct template_output out = { 0 };

				template_vars_set(vars[k], "category", cat);
				if (template_render(set, kind, cat, vars[k], &out, &err) < 0) {
					ok(false, "%s for %s renders: %s", kind, cat, err);
					free(err);
					err = NULL;
					continue;
				}
				ok(!t_apologises(out.subject) && !t_apologises(out.body),
				   "%s (%s.txt) for %s, %s: no sorry, no apology", kind,
				   template_set_pick(set, kind, cat), cat,
				   k == 0 ? "sample values" : k == 1 ? "no values" : "every condition");
				template_output_clear(&out);
				rendered++;
			}
		}
	}
	is_int((long long)non, 4, "the default rules have four non-complaint categories (question, praise, other, spam)");
	ok(rendered == non * 9, "%zu renderings checked", rendered);
	/* The check can fail: the complaint's ack does apologise. */
	{
		struct template_output out = { 0 };

		template_render(set, "ack", "billing", vars[0], &out, &err);
		ok(t_apologises(out.body), "(the check sees the apology in a complaint's ack)");
		template_output_clear(&out);
	}
	for (size_t k = 0; k < 3; k++)
		template_vars_free(&vars[k]);
	template_set_free(&set);
	classify_rules_free(&rules);
	free(dir);
	free(rules_path);
}

int
main(void)
{
	t_datadir = getenv("REDRESS_DATADIR");
	if (t_datadir == NULL)
		t_datadir = getenv("top_srcdir");
	if (t_datadir == NULL)
		t_datadir = ".";
	test_vars();
	test_language();
	test_fallback();
	test_lint();
	test_defaults();
	test_names();
	test_no_apology();
	return tap_exit();
}
