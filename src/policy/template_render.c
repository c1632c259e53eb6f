/*
 * NAME
 *	template_render - values for the placeholders, and rendering
 * SYNOPSIS
 *	template_vars_new(), template_vars_set(), template_vars_get(),
 *	template_vars_free(), template_vars_sample(),
 *	template_render(), template_render_name(), template_output_clear()
 * DESCRIPTION
 *	Part of the template module (template.h; template.c compiles and
 *	loads).  Rendering walks a compiled template's tree and copies text
 *	and values into a capped buffer.  Values are cleaned when they are
 *	set, and never scanned for tags: that is what keeps customer text
 *	from becoming template syntax.
 * DIAGNOSTICS
 *	An output over TEMPLATE_MAX_OUTPUT, or no template for a kind.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "mail/charset.h"
#include "policy/template.h"
#include "policy/template_int.h"

/* ---- variables ------------------------------------------------------- */

struct template_vars *
template_vars_new(void)
{
	return xcalloc(1, sizeof(struct template_vars));
}

/*
 * A copy of value fit for a template: valid UTF-8 (bad bytes become
 * U+FFFD), LF line ends, no control characters but tab and newline (C1
 * controls included), at most TEMPLATE_MAX_VALUE bytes.
 */
static char *
template_clean_value(const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len = strlen(value);
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	buf_append(&b, "", 0);
	for (size_t i = 0; i < len;) {
		size_t n, add, run = 0;

		/* A run of printable ASCII, tabs and LFs goes as it is, at
		 * once (a byte at a time was most of a send's variables). */
		while (i + run < len && b.len + run < TEMPLATE_MAX_VALUE &&
		       ((s[i + run] >= 0x20 && s[i + run] < 0x7f) ||
			s[i + run] == '\t' || s[i + run] == '\n'))
			run++;
		if (run > 0) {
			buf_append(&b, s + i, run);
			i += run;
			continue;
		}
		n = utf8_seq(s + i, len - i);
		add = n == 0 ? 3 : n;

		if (b.len + add > TEMPLATE_MAX_VALUE)
			break;
		if (n == 0) {
			buf_append(&b, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		if (s[i] == '\r') {
			if (i + 1 >= len || s[i + 1] != '\n')
				buf_putc(&b, '\n');
		} else if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == 0x7f) {
			/* dropped */
		} else if (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
			/* C1 control: dropped */
		} else {
			buf_append(&b, s + i, n);
		}
		i += n;
	}
	return buf_steal(&b, NULL);
}

void
template_vars_set(struct template_vars *v, const char *name, const char *value)
{
	char *clean = template_clean_value(value != NULL ? value : "");

	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->v[i].name, name) == 0) {
			free(v->v[i].value);
			v->v[i].value = clean;
			return;
		}
	}
	v->v = xgrow(v->v, &v->cap, v->n + 1, sizeof(*v->v));
	v->v[v->n].name = xstrdup(name);
	v->v[v->n].value = clean;
	v->n++;
}

const char *
template_vars_get(const struct template_vars *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			return v->v[i].value;
	return NULL;
}

void
template_vars_free(struct template_vars **v)
{
	if (*v == NULL)
		return;
	for (size_t i = 0; i < (*v)->n; i++) {
		free((*v)->v[i].name);
		free((*v)->v[i].value);
	}
	free((*v)->v);
	free(*v);
	*v = NULL;
}

void
template_vars_sample(struct template_vars *v)
{
	static const char *const sample[][2] = {
		{ "customer_name", "Jane Doe" },
		{ "customer_email", "jane.doe@example.net" },
		{ "case_id", "000123" },     /* as cases are written everywhere: 6 digits */
		{ "case_tag", "[case 000123]" },
		{ "category", "damaged" },
		{ "category_label", "damaged or faulty item" },
		{ "priority", "high" },
		{ "deadline", "by Monday 4 pm" },
		{ "resolution_deadline", "by Thursday 4 pm" },
		{ "original_subject", "Mug arrived broken - order 48213" },
		{ "sender_name", "Customer Care" },
		{ "company", "Customer Care" },
		{ "resolved", "" },
		{ "resolution_cause", "" },
		{ "state", "acknowledged" },
		{ "breach_kind", "first response" },
		{ "breached", "" },
		{ "due", "today by 4 pm" },
		{ "customer_excerpt",
		  "Hello, my order 48213 arrived this morning and the mug was in\n"
		  "pieces. This is the second time this has happened and I am\n"
		  "thinking of leaving a review about it. Please sort it out." },
		{ "tags", "repeat, public-review" },
		{ "reason", "repeat complainant; threatens a public review" },
		{ "received", "Monday 23 November 2026, 10:12" },
	};

	for (size_t i = 0; i < sizeof(sample) / sizeof(sample[0]); i++)
		template_vars_set(v, sample[i][0], sample[i][1]);
}

/* ---- rendering ------------------------------------------------------- */

/*
 * The greeting for "Hello {{greeting_name}},": the customer's name when it
 * reads like one (not an address, has a letter), else "there".
 */
static const char *
template_greeting(const char *name)
{
	bool letter = false;

	if (name == NULL || name[0] == '\0' || strchr(name, '@') != NULL)
		return "there";
	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++)
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c >= 0x80)
			letter = true;
	return letter ? name : "there";
}

static int
template_render_nodes(const struct template_node *node, const char *const *values,
		      struct buf *out)
{
	for (; node != NULL; node = node->next) {
		const char *val;

		switch (node->type) {
		case TEMPLATE_NODE_TEXT:
			if (buf_append(out, node->text, node->len) < 0)
				return -1;
			break;
		case TEMPLATE_NODE_VAR:
			val = values[node->var];
			if (val != NULL && buf_puts(out, val) < 0)
				return -1;
			break;
		case TEMPLATE_NODE_IF:
		case TEMPLATE_NODE_UNLESS:
			val = values[node->var];
			if ((val != NULL && val[0] != '\0') == (node->type == TEMPLATE_NODE_IF)) {
				if (template_render_nodes(node->then, values, out) < 0)
					return -1;
			} else if (template_render_nodes(node->otherwise, values, out) < 0) {
				return -1;
			}
			break;
		}
	}
	return 0;
}

/* One line: every run of blanks and newlines becomes one space; trimmed. */
static char *
template_one_line(const char *s)
{
	char *r = xmalloc(strlen(s) + 1), *o = r;
	bool space = false;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			space = o != r;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = *s;
	}
	*o = '\0';
	return r;
}

static int
template_render_one(const struct template *t, const struct template_vars *vars,
		    struct template_output *out, char **error_r)
{
	const char *values[TEMPLATE_PLACEHOLDERS + 1] = { 0 };
	struct buf subject, body;
	int gi = template_placeholder_index("greeting_name", 13);
	int ci = template_placeholder_index("company", 7);
	size_t end;

	for (size_t i = 0; template_placeholders[i] != NULL; i++)
		values[i] = vars != NULL ? template_vars_get(vars, template_placeholders[i]) : NULL;
	if (values[gi] == NULL || values[gi][0] == '\0')
		values[gi] = template_greeting(values[template_placeholder_index("customer_name", 13)]);
	if (values[ci] == NULL || values[ci][0] == '\0')
		values[ci] = values[template_placeholder_index("sender_name", 11)];
	buf_init(&subject, TEMPLATE_MAX_OUTPUT);
	buf_init(&body, TEMPLATE_MAX_OUTPUT);
	if (template_render_nodes(t->subject, values, &subject) < 0 ||
	    template_render_nodes(t->body, values, &body) < 0) {
		buf_free(&subject);
		buf_free(&body);
		*error_r = xasprintf("template %s: the rendered text is larger than %d bytes",
				     t->name, TEMPLATE_MAX_OUTPUT);
		return -1;
	}
	out->subject = template_one_line(buf_str(&subject));
	buf_free(&subject);
	/* The body ends with exactly one newline. */
	end = body.len;
	while (end > 0 && (body.data[end - 1] == '\n' || body.data[end - 1] == ' ' ||
			   body.data[end - 1] == '\t'))
		end--;
	out->body = xmalloc(end + 2);
	memcpy(out->body, buf_str(&body), end);
	out->body[end] = '\n';
	out->body[end + 1] = '\0';
	buf_free(&body);
	return 0;
}

int
template_render_name(const struct template_set *set, const char *name,
		     const struct template_vars *vars, struct template_output *out,
		     char **error_r)
{
	const struct template *t = template_find(set, name);

	out->subject = out->body = NULL;
	if (t == NULL) {
		*error_r = xasprintf("no template %s.txt in %s", name, set->dir);
		return -1;
	}
	return template_render_one(t, vars, out, error_r);
}

int
template_render(const struct template_set *set, const char *kind,
		const char *category, const struct template_vars *vars,
		struct template_output *out, char **error_r)
{
	const char *name = template_set_pick(set, kind, category);

	out->subject = out->body = NULL;
	if (name == NULL) {
		*error_r = xasprintf("no template for \"%s\" in %s (looked for %s.txt)",
				     kind != NULL ? kind : "(null)", set->dir,
				     kind != NULL ? kind : "(null)");
		return -1;
	}
	return template_render_name(set, name, vars, out, error_r);
}

void
template_output_clear(struct template_output *out)
{
	free(out->subject);
	free(out->body);
	out->subject = out->body = NULL;
}
