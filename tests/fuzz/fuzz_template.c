/*
 * fuzz_template - the template language and the renderer.
 *
 * The input's first field becomes ack-fuzz.txt in a scratch directory
 * next to fixed, valid defaults for every kind; the set is loaded with
 * template_set_load (and, when refused, linted with template_lint_dir for
 * every error).  What loads is rendered with variables from the rest of
 * the input (or template_vars_sample's when there are none).
 *
 * Covers: the file reader (BOM, CRLF, size cap), the UTF-8 and control
 * character check, the header block (Subject, folding), the tag parser
 * ({{name}}, {{#if}}, {{#unless}}, {{else}}, {{/...}}, comments, \{{,
 * standalone lines, nesting), the renderer, value cleaning and
 * greeting_name.  Checks: errors read "DIR/FILE:..." and are valid UTF-8;
 * a rendered subject is one line of valid UTF-8 without control
 * characters; a body is valid UTF-8, without CR or control characters
 * other than tab and LF, and ends with LF; and, through the fixed ack.txt,
 * that a clean value is inserted verbatim (customer text that looks like
 * template syntax stays as it is).
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "policy/template.h"

static char *fuzz_template_dir;
static char *fuzz_template_file;

static const char *const fuzz_template_defaults[][2] = {
	{ "ack.txt", "Subject: {{case_tag}} Re: {{original_subject}}\n\n"
		     "Hello {{greeting_name}},\n[{{customer_excerpt}}]\n{{#if deadline}}by "
		     "{{deadline}}{{else}}soon{{/if}}\n" },
	{ "ack-plain.txt", "Subject: Thanks\n\nHello {{greeting_name}},\nthanks.\n" },
	{ "followup.txt", "Subject: {{case_tag}} How did we do?\n\n{{#unless resolved}}"
			  "Still open.{{/unless}}\n" },
	{ "escalation.txt", "Subject: Escalation {{case_id}}\n\n{{customer_excerpt}}\n" },
	{ "breach-warning.txt", "Subject: Warning {{case_id}}\n\n{{breach_kind}} {{due}}\n" },
};

void
fuzz_template_cleanup(void)
{
	char *path;
	size_t n = sizeof(fuzz_template_defaults) / sizeof(fuzz_template_defaults[0]);

	if (fuzz_template_dir == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (asprintf(&path, "%s/%s", fuzz_template_dir, fuzz_template_defaults[i][0]) >= 0) {
			unlink(path);
			free(path);
		}
	}
	unlink(fuzz_template_file);
	rmdir(fuzz_template_dir);
	free(fuzz_template_file);
	free(fuzz_template_dir);
	fuzz_template_dir = NULL;
	fuzz_template_file = NULL;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
		fprintf(stderr, "fuzz_template: cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	size_t n = sizeof(fuzz_template_defaults) / sizeof(fuzz_template_defaults[0]);

	if (asprintf(&fuzz_template_dir, "%s/redress-fuzz-template.XXXXXX",
		     tmp != NULL && *tmp != '\0' ? tmp : "/tmp") < 0 ||
	    mkdtemp(fuzz_template_dir) == NULL) {
		fprintf(stderr, "fuzz_template: cannot make a scratch directory\n");
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		char *path;

		if (asprintf(&path, "%s/%s", fuzz_template_dir, fuzz_template_defaults[i][0]) < 0)
			abort();
		write_file(path, fuzz_template_defaults[i][1], strlen(fuzz_template_defaults[i][1]));
		free(path);
	}
	if (asprintf(&fuzz_template_file, "%s/ack-fuzz.txt", fuzz_template_dir) < 0)
		abort();
	atexit(fuzz_template_cleanup);
}

static void
check_error(const char *e)
{
	if (e == NULL) {
		fuzz_fail("template", "an error without a message");
		return;
	}
	if (strncmp(e, fuzz_template_dir, strlen(fuzz_template_dir)) != 0)
		fuzz_fail("template", "error does not name the file: %s", e);
	if (!fuzz_utf8_ok(e, strlen(e)))
		fuzz_fail("template", "error is not valid UTF-8");
}

static void
check_output(const struct template_output *o)
{
	size_t sl, bl;

	if (o->subject == NULL || o->body == NULL) {
		fuzz_fail("template", "rendered NULL");
		return;
	}
	if (!fuzz_header_string_ok(o->subject))
		fuzz_fail("template", "subject is not one clean line: \"%.80s\"", o->subject);
	sl = strlen(o->subject);
	if (sl > 0 && (o->subject[0] == ' ' || o->subject[sl - 1] == ' '))
		fuzz_fail("template", "subject not trimmed");
	bl = strlen(o->body);
	if (!fuzz_utf8_ok(o->body, bl))
		fuzz_fail("template", "body is not valid UTF-8");
	for (size_t i = 0; i < bl; i++) {
		unsigned char c = (unsigned char)o->body[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			fuzz_fail("template", "body has control character 0x%02x", c);
			break;
		}
	}
	if (bl == 0 || o->body[bl - 1] != '\n')
		fuzz_fail("template", "body does not end with a newline");
	if (sl + bl > 2 * TEMPLATE_MAX_OUTPUT)
		fuzz_fail("template", "output over the cap");
}

/* A value the renderer has no reason to change. */
static bool
clean_value(const char *s, bool one_line)
{
	size_t len = strlen(s);

	if (len == 0 || len > 1000 || !fuzz_utf8_ok(s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < len &&
					       (unsigned char)s[i + 1] < 0xa0))
			return false;
		/* U+2028/U+2029 and friends may be normalised: stay clear. */
		if (c == 0xe2 && i + 1 < len && (unsigned char)s[i + 1] == 0x80)
			return false;
		if (one_line && c == ' ' && (i == 0 || i + 1 == len || s[i + 1] == ' '))
			return false;
	}
	return true;
}

int
fuzz_template_one(const uint8_t *data, size_t size)
{
	const char *f[32];
	struct template_set *set = NULL;
	struct template_vars *vars;
	struct template_output out = { 0 };
	char *copy, *error = NULL;
	size_t n, tlen;

	if (fuzz_template_dir == NULL)
		setup();
	n = fuzz_split(data, size, f, sizeof(f) / sizeof(f[0]), &copy);
	tlen = strlen(f[0]);
	write_file(fuzz_template_file, f[0], tlen);
	if (template_set_load(fuzz_template_dir, &set, &error) < 0) {
		char **errs = NULL;
		size_t ne = 0;

		check_error(error);
		free(error);
		if (template_lint_dir(fuzz_template_dir, &errs, &ne) == 0 || ne == 0)
			fuzz_fail("template", "load refused the set, lint found nothing");
		for (size_t i = 0; i < ne; i++)
			check_error(errs[i]);
		template_errors_free(&errs, ne);
		free(copy);
		return 0;
	}
	vars = template_vars_new();
	if (n == 1) {
		template_vars_sample(vars);
	} else {
		for (size_t k = 1; k < n && template_placeholders[k - 1] != NULL; k++)
			template_vars_set(vars, template_placeholders[k - 1], f[k]);
	}
	if (template_render(set, "ack", "fuzz", vars, &out, &error) == 0) {
		check_output(&out);
	} else {
		/* Only the output cap may refuse a template that loaded. */
		if (error == NULL || strstr(error, "larger") == NULL)
			fuzz_fail("template", "render failed: %s", error != NULL ? error : "(null)");
		free(error);
		error = NULL;
	}
	template_output_clear(&out);

	/* The fixed ack.txt: clean values come out verbatim. */
	if (template_render(set, "ack", "other", vars, &out, &error) < 0) {
		fuzz_fail("template", "the fixed ack.txt failed: %s", error);
		free(error);
	} else {
		const char *ex = template_vars_get(vars, "customer_excerpt");
		const char *os = template_vars_get(vars, "original_subject");

		check_output(&out);
		if (ex != NULL && clean_value(ex, false)) {
			size_t el = strlen(ex);
			char *want = malloc(el + 4);

			if (want == NULL)
				abort();
			want[0] = '[';
			memcpy(want + 1, ex, el);
			memcpy(want + 1 + el, "]\n", 3);
			if (strstr(out.body, want) == NULL)
				fuzz_fail("template", "customer_excerpt not rendered verbatim");
			free(want);
		}
		if (os != NULL && clean_value(os, true) && strstr(out.subject, os) == NULL)
			fuzz_fail("template", "original_subject not rendered verbatim");
	}
	template_output_clear(&out);
	template_vars_free(&vars);
	template_set_free(&set);
	free(copy);
	return 0;
}

#ifdef REDRESS_LIBFUZZER
FUZZ_LIBFUZZER_ENTRY(fuzz_template_one)
#endif
