/*
 * NAME
 *	template - compile and render the reply templates
 * SYNOPSIS
 *	#include "policy/template.h"
#include "policy/template_int.h"
 *
 *	template_set_load(), template_set_free(), template_set_pick(),
 *	template_set_has(), template_set_count(), template_set_dir(),
 *	template_kind_for(), template_name_split(),
 *	template_lint_dir(), template_lint_dir_count(),
 *	template_lint_dir_categories(), template_errors_free(),
 *	template_kind_name(), template_kind_list(), template_job_kind()
 *	(variables and rendering: template_render.c)
 * DESCRIPTION
 *	A template file is compiled once into a tree of nodes (text,
 *	placeholder, if/unless with a then and an else branch), separately for
 *	the subject and the body (template_render.c walks the tree).  A
 *	directory of them is loaded, checked and linted here, and the file a
 *	job gets is picked here.
 *
 *	The syntax and the file layout are described in template.h and in
 *	redress-templates(5).
 * DIAGNOSTICS
 *	"FILE:LINE: reason" for anything wrong inside a file, "FILE: reason"
 *	for a file that cannot be read or is misnamed, and for a missing
 *	default template of a kind.
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
#include "model/names.h"
#include "policy/template.h"
#include "policy/template_int.h"

/*
 * The template kinds, and the job that sends each: the one place where a
 * job's kind becomes the kind of its template (a warning's template is
 * breach-warning; praise is thanked, not promised an answer, so its plain
 * ack has a template of its own).
 */
static const struct template_kind {
	const char *name;          /* the kind: a template file's base name */
	enum job_kind job;
	bool praise;               /* the job's variant for praise */
	/* A kind that came later needs no file of its own and falls back
	 * to this one: a templates directory copied before ack-praise
	 * existed still loads, and thanks the customer with ack-plain. */
	const char *fallback;
} template_kinds[] = {
	{ "ack", JOB_ACK, false, NULL },
	{ "ack-plain", JOB_ACK_PLAIN, false, NULL },
	{ "ack-praise", JOB_ACK_PLAIN, true, "ack-plain" },
	{ "followup", JOB_FOLLOWUP, false, NULL },
	{ "escalation", JOB_ESCALATION, false, NULL },
	{ "breach-warning", JOB_WARNING, false, NULL },
};
#define TEMPLATE_NKINDS (sizeof(template_kinds) / sizeof(template_kinds[0]))

static const char *
template_kind_fallback(const char *kind)
{
	for (size_t k = 0; k < TEMPLATE_NKINDS; k++)
		if (strcmp(kind, template_kinds[k].name) == 0)
			return template_kinds[k].fallback;
	return NULL;
}


const char *
template_kind_for(enum job_kind job, enum outcome outcome)
{
	const char *name = NULL;

	for (size_t k = 0; k < TEMPLATE_NKINDS; k++) {
		if (template_kinds[k].job != job)
			continue;
		if (template_kinds[k].praise == (outcome == OUTCOME_PRAISE))
			return template_kinds[k].name;
		if (!template_kinds[k].praise)
			name = template_kinds[k].name;
	}
	return name;
}

int
template_job_kind(const char *kind, enum job_kind *job_r)
{
	for (size_t k = 0; k < TEMPLATE_NKINDS; k++) {
		if (strcmp(kind, template_kinds[k].name) == 0) {
			*job_r = template_kinds[k].job;
			return 0;
		}
	}
	return -1;
}

const char *
template_kind_name(size_t i)
{
	return i < TEMPLATE_NKINDS ? template_kinds[i].name : NULL;
}

const char *
template_kind_list(void)
{
	static char list[128];

	if (list[0] == '\0') {
		for (size_t k = 0; k < TEMPLATE_NKINDS; k++)
			names_append(list, sizeof(list), template_kinds[k].name);
	}
	return list;
}

static bool
template_is_kind(const char *s, size_t n)
{
	for (size_t k = 0; k < TEMPLATE_NKINDS; k++)
		if (strlen(template_kinds[k].name) == n && strncmp(s, template_kinds[k].name, n) == 0)
			return true;
	return false;
}

int
template_name_split(const char *name, const char *const *categories, size_t n_categories,
		    char **kind_r, char **category_r)
{
	size_t best = 0, len = strlen(name);
	bool any = false;

	*kind_r = *category_r = NULL;
	/* The longest kind that leaves a known category (or nothing); with no
	 * list of categories, the longest kind. */
	for (size_t k = 0; k < TEMPLATE_NKINDS; k++) {
		size_t kl = strlen(template_kinds[k].name);
		bool fits;

		if (kl > len || strncmp(name, template_kinds[k].name, kl) != 0)
			continue;
		if (name[kl] == '\0') {
			fits = true;
		} else if (name[kl] != '-' || name[kl + 1] == '\0') {
			continue;
		} else if (categories == NULL) {
			fits = true;
		} else {
			fits = false;
			for (size_t c = 0; c < n_categories && !fits; c++)
				fits = strcmp(name + kl + 1, categories[c]) == 0;
		}
		any = true;
		if (fits && kl > best)
			best = kl;
	}
	if (best == 0)
		return any ? 0 : -1;
	*kind_r = xstrndup(name, best);
	if (name[best] == '-')
		*category_r = xstrdup(name + best + 1);
	return 1;
}

/* Keep in step with redress-templates(5) and template_vars_sample(). */
const char *const template_placeholders[] = {
	"customer_name", "greeting_name", "customer_email", "case_id",
	"case_tag", "category", "category_label", "priority", "deadline",
	"resolution_deadline", "original_subject", "sender_name", "company",
	"resolved", "resolution_cause", "state", "breach_kind", "breached",
	"due", "customer_excerpt", "tags", "reason", "received", NULL,
};
_Static_assert(sizeof(template_placeholders) / sizeof(template_placeholders[0]) ==
	       TEMPLATE_PLACEHOLDERS + 1, "TEMPLATE_PLACEHOLDERS counts template_placeholders");

/* Where errors go while compiling: all of them (lint) or the first. */
struct template_errors {
	char **e;
	size_t n, cap;
};

static void
template_error_add(struct template_errors *errs, const char *path, unsigned line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
template_error_add(struct template_errors *errs, const char *path, unsigned line,
		   const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	errs->e = xgrow(errs->e, &errs->cap, errs->n + 1, sizeof(*errs->e));
	if (line > 0)
		errs->e[errs->n++] = xasprintf("%s:%u: %s", path, line, msg);
	else
		errs->e[errs->n++] = xasprintf("%s: %s", path, msg);
	free(msg);
}

void
template_errors_free(char ***errors, size_t n)
{
	if (*errors == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((*errors)[i]);
	free(*errors);
	*errors = NULL;
}

static void
template_nodes_free(struct template_node *node)
{
	while (node != NULL) {
		struct template_node *next = node->next;

		free(node->text);
		template_nodes_free(node->then);
		template_nodes_free(node->otherwise);
		free(node);
		node = next;
	}
}

int
template_placeholder_index(const char *name, size_t len)
{
	for (int i = 0; template_placeholders[i] != NULL; i++)
		if (strlen(template_placeholders[i]) == len &&
		    memcmp(template_placeholders[i], name, len) == 0)
			return i;
	return -1;
}


/* ---- compiling ------------------------------------------------------- */

/* One open {{#if}} or {{#unless}} while compiling. */
struct template_open {
	struct template_node *node;
	struct template_node **tail;    /* where the next node of the branch goes */
	unsigned line;
	bool in_else;
	bool bad;                       /* its opening tag was reported */
};

struct template_parser {
	const char *path;
	struct template_errors *errs;
	struct template_open *stack;
	size_t depth, cap;
	struct template_node *root;
	struct template_node **root_tail;
};

#define TEMPLATE_MAX_DEPTH 32

static struct template_node **
template_parser_tail(struct template_parser *p)
{
	return p->depth > 0 ? p->stack[p->depth - 1].tail : p->root_tail;
}

static void
template_parser_append(struct template_parser *p, struct template_node *node)
{
	struct template_node **tail = template_parser_tail(p);

	*tail = node;
	if (p->depth > 0)
		p->stack[p->depth - 1].tail = &node->next;
	else
		p->root_tail = &node->next;
}

static void
template_parser_text(struct template_parser *p, const char *s, size_t len)
{
	struct template_node *node;

	if (len == 0)
		return;
	node = xcalloc(1, sizeof(*node));
	node->type = TEMPLATE_NODE_TEXT;
	node->text = xstrndup(s, len);
	node->len = len;
	template_parser_append(p, node);
}

static bool
template_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
template_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Handles one tag, whose trimmed content is s[0..len).  Errors are added
 * to the parser's list; the tag is then ignored.
 */
static void
template_parser_tag(struct template_parser *p, const char *s, size_t len,
		    unsigned line)
{
	struct template_node *node;
	size_t i;

	if (len > 0 && s[0] == '!')
		return;
	if (len > 0 && (s[0] == '#' || s[0] == '/')) {
		const char *word = s + 1, *name;
		size_t wlen, nlen;
		bool is_if;
		int var;

		for (wlen = 0; wlen < len - 1 && !template_is_blank(word[wlen]); wlen++)
			;
		if (wlen == 2 && memcmp(word, "if", 2) == 0)
			is_if = true;
		else if (wlen == 6 && memcmp(word, "unless", 6) == 0)
			is_if = false;
		else {
			template_error_add(p->errs, p->path, line,
					   "unknown block {{%.*s}} (blocks are #if and #unless)",
					   (int)len, s);
			return;
		}
		name = word + wlen;
		nlen = len - 1 - wlen;
		while (nlen > 0 && template_is_blank(*name))
			name++, nlen--;
		if (s[0] == '/') {
			struct template_open *top;

			if (nlen > 0) {
				template_error_add(p->errs, p->path, line,
						   "{{%.*s}}: a closing tag takes no name",
						   (int)len, s);
				return;
			}
			if (p->depth == 0) {
				template_error_add(p->errs, p->path, line,
						   "{{/%s}} without a matching {{#%s}}",
						   is_if ? "if" : "unless", is_if ? "if" : "unless");
				return;
			}
			top = &p->stack[p->depth - 1];
			if ((top->node->type == TEMPLATE_NODE_IF) != is_if) {
				template_error_add(p->errs, p->path, line,
						   "{{/%s}} closes the {{#%s %s}} opened on line %u",
						   is_if ? "if" : "unless",
						   is_if ? "unless" : "if",
						   template_placeholders[top->node->var], top->line);
				return;
			}
			p->depth--;
			return;
		}
		/*
		 * A bad name is reported, but the block is still opened so
		 * that its {{/if}} does not count as a second error.
		 */
		var = 0;
		for (i = 0; i < nlen; i++)
			if (!template_is_name_char(name[i]))
				break;
		size_t errors_before = p->errs->n;

		if (nlen == 0)
			template_error_add(p->errs, p->path, line,
					   "{{#%s}} needs a placeholder name, like {{#%s resolved}}",
					   is_if ? "if" : "unless", is_if ? "if" : "unless");
		else if (i < nlen || (var = template_placeholder_index(name, nlen)) < 0)
			template_error_add(p->errs, p->path, line,
					   "unknown placeholder \"%.*s\" in {{%.*s}}",
					   (int)nlen, name, (int)len, s);
		if (var < 0)
			var = 0;
		if (p->depth >= TEMPLATE_MAX_DEPTH) {
			template_error_add(p->errs, p->path, line,
					   "conditionals nested deeper than %d",
					   TEMPLATE_MAX_DEPTH);
			return;
		}
		node = xcalloc(1, sizeof(*node));
		node->type = is_if ? TEMPLATE_NODE_IF : TEMPLATE_NODE_UNLESS;
		node->var = var;
		template_parser_append(p, node);
		p->stack = xgrow(p->stack, &p->cap, p->depth + 1, sizeof(*p->stack));
		p->stack[p->depth].node = node;
		p->stack[p->depth].tail = &node->then;
		p->stack[p->depth].line = line;
		p->stack[p->depth].in_else = false;
		p->stack[p->depth].bad = p->errs->n != errors_before;
		p->depth++;
		return;
	}
	if (len == 4 && memcmp(s, "else", 4) == 0) {
		struct template_open *top;

		if (p->depth == 0) {
			template_error_add(p->errs, p->path, line,
					   "{{else}} outside {{#if}} or {{#unless}}");
			return;
		}
		top = &p->stack[p->depth - 1];
		if (top->in_else) {
			template_error_add(p->errs, p->path, line,
					   "a second {{else}} for the {{#%s %s}} on line %u",
					   top->node->type == TEMPLATE_NODE_IF ? "if" : "unless",
					   template_placeholders[top->node->var], top->line);
			return;
		}
		top->in_else = true;
		top->tail = &top->node->otherwise;
		return;
	}
	for (i = 0; i < len; i++)
		if (!template_is_name_char(s[i]))
			break;
	if (len == 0 || i < len) {
		template_error_add(p->errs, p->path, line,
				   "bad tag {{%.*s}} (expected {{name}}, {{#if name}}, "
				   "{{else}}, {{/if}}, {{#unless name}}, {{/unless}} or {{! comment}})",
				   (int)len, s);
		return;
	}
	if (template_placeholder_index(s, len) < 0) {
		template_error_add(p->errs, p->path, line,
				   "unknown placeholder {{%.*s}}", (int)len, s);
		return;
	}
	node = xcalloc(1, sizeof(*node));
	node->type = TEMPLATE_NODE_VAR;
	node->var = template_placeholder_index(s, len);
	template_parser_append(p, node);
}

/*
 * Compiles s[0..len) whose first line is line number first_line.  Returns
 * the node list (possibly partial when errors were added).
 */
static struct template_node *
template_compile(const char *path, const char *s, size_t len, unsigned first_line,
		 struct template_errors *errs)
{
	struct template_parser p = { 0 };
	unsigned line = first_line;
	size_t text_start = 0, i = 0, line_start = 0;

	p.path = path;
	p.errs = errs;
	p.root_tail = &p.root;
	while (i < len) {
		const char *close, *c;
		size_t tag_start, tag_end, eol, clen;
		bool block, standalone;

		if (s[i] == '\n') {
			line++;
			i++;
			line_start = i;
			continue;
		}
		if (s[i] == '\\' && i + 2 < len && s[i + 1] == '{' && s[i + 2] == '{') {
			/* \{{ is a literal "{{": drop the backslash. */
			template_parser_text(&p, s + text_start, i - text_start);
			template_parser_text(&p, "{{", 2);
			i += 3;
			text_start = i;
			continue;
		}
		if (!(s[i] == '{' && i + 1 < len && s[i + 1] == '{')) {
			i++;
			continue;
		}
		tag_start = i;
		eol = i;
		while (eol < len && s[eol] != '\n')
			eol++;
		close = memmem(s + i + 2, eol - i - 2, "}}", 2);
		if (close == NULL) {
			template_error_add(errs, path, line,
					   "unterminated {{ (a tag ends with }} on the same line; "
					   "write \\{{ for a literal {{)");
			i += 2;
			continue;
		}
		tag_end = (size_t)(close - s) + 2;
		c = s + tag_start + 2;
		clen = (size_t)(close - c);
		while (clen > 0 && template_is_blank(*c))
			c++, clen--;
		while (clen > 0 && template_is_blank(c[clen - 1]))
			clen--;
		block = clen > 0 && (c[0] == '#' || c[0] == '/' || c[0] == '!' ||
				     (clen == 4 && memcmp(c, "else", 4) == 0));
		/*
		 * A block tag alone on its line takes the whole line with it,
		 * so that conditionals can sit on lines of their own.
		 */
		standalone = block;
		for (size_t k = line_start; standalone && k < tag_start; k++)
			if (!template_is_blank(s[k]))
				standalone = false;
		for (size_t k = tag_end; standalone && k < eol; k++)
			if (!template_is_blank(s[k]))
				standalone = false;
		if (standalone) {
			template_parser_text(&p, s + text_start, line_start - text_start);
			template_parser_tag(&p, c, clen, line);
			i = eol < len ? eol + 1 : eol;
			if (eol < len)
				line++;
			line_start = i;
		} else {
			template_parser_text(&p, s + text_start, tag_start - text_start);
			template_parser_tag(&p, c, clen, line);
			i = tag_end;
		}
		text_start = i;
	}
	template_parser_text(&p, s + text_start, len - text_start);
	while (p.depth > 0) {
		struct template_open *top = &p.stack[--p.depth];
		const char *kw = top->node->type == TEMPLATE_NODE_IF ? "if" : "unless";

		if (!top->bad)
			template_error_add(errs, path, top->line,
					   "{{#%s %s}} is never closed (missing {{/%s}})", kw,
					   template_placeholders[top->node->var], kw);
	}
	free(p.stack);
	return p.root;
}

/* Whether base is KIND or KIND-CATEGORY for a known kind. */
static bool
template_name_ok(const char *base)
{
	if (base[0] == '\0' || base[0] == '-')
		return false;
	for (const char *c = base; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	for (size_t k = 0; k < TEMPLATE_NKINDS; k++) {
		size_t kl = strlen(template_kinds[k].name);

		if (strncmp(base, template_kinds[k].name, kl) == 0 &&
		    (base[kl] == '\0' || (base[kl] == '-' && base[kl + 1] != '\0')))
			return true;
	}
	return false;
}

/*
 * Reads path into an allocated, NUL-terminated buffer: checks it is a
 * regular file within the size cap, drops a UTF-8 byte order mark and CRs
 * before LF.  Returns NULL after adding an error.
 */
static char *
template_read_file(const char *path, size_t *len_r, struct template_errors *errs)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0, o = 0;
	bool truncated = false;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		template_error_add(errs, path, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		template_error_add(errs, path, 0, "cannot read: not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_size > TEMPLATE_MAX_FILE) {
		template_error_add(errs, path, 0, "larger than %d bytes", TEMPLATE_MAX_FILE);
		close(fd);
		return NULL;
	}
	r = file_read_fd(fd, TEMPLATE_MAX_FILE, false, &data, &len, &truncated);
	if (r < 0)
		template_error_add(errs, path, 0, "cannot read: %s", strerror(errno));
	close(fd);
	if (r == 0 && truncated) {
		template_error_add(errs, path, 0, "larger than %d bytes", TEMPLATE_MAX_FILE);
		free(data);
		r = -1;
	}
	if (r < 0)
		return NULL;
	/* Normalise: no BOM, LF line ends. */
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		data[o++] = data[i];
	}
	data[o] = '\0';
	*len_r = o;
	return data;
}

/* Checks the text is UTF-8 without NULs or stray control characters. */
static bool
template_check_text(const char *path, const char *s, size_t len,
		    struct template_errors *errs)
{
	unsigned line = 1;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			template_error_add(errs, path, line,
					   "control character 0x%02x (only tab and newline are allowed)",
					   c);
			return false;
		}
		n = utf8_seq((const unsigned char *)s + i, len - i);
		if (n == 0) {
			template_error_add(errs, path, line, "not valid UTF-8");
			return false;
		}
		i += n;
	}
	return true;
}

/*
 * Compiles one file.  Returns 0 with *t filled, or -1 after adding errors
 * (t is then cleared).
 */
static int
template_load_file(const char *path, const char *base, struct template *t,
		   struct template_errors *errs)
{
	size_t before = errs->n, len, pos = 0, body_start = 0;
	unsigned line = 1, subject_line = 0, body_line = 0;
	struct buf subject;
	bool have_subject = false, have_blank = false;
	char *data;

	memset(t, 0, sizeof(*t));
	data = template_read_file(path, &len, errs);
	if (data == NULL)
		return -1;
	if (!template_check_text(path, data, len, errs)) {
		free(data);
		return -1;
	}
	buf_init(&subject, TEMPLATE_MAX_FILE);
	/* The header block: "Name: value" lines up to the first blank line. */
	while (pos < len) {
		const char *l = data + pos, *eol;
		size_t llen;

		eol = memchr(l, '\n', len - pos);
		llen = eol != NULL ? (size_t)(eol - l) : len - pos;
		if (strspn(l, " \t") >= llen) {
			have_blank = true;
			pos += llen + (eol != NULL ? 1 : 0);
			body_start = pos;
			body_line = line + 1;
			break;
		}
		if (template_is_blank(l[0])) {
			if (!have_subject) {
				template_error_add(errs, path, line,
						   "a continuation line (starting with a blank) "
						   "before any header");
				break;
			}
			/* A folded Subject: join the lines with one space. */
			buf_putc(&subject, ' ');
			buf_append(&subject, l + strspn(l, " \t"),
				   llen - strspn(l, " \t"));
		} else {
			const char *colon;
			size_t nl = 0;

			while (nl < llen && ((l[nl] >= 'A' && l[nl] <= 'Z') ||
					     (l[nl] >= 'a' && l[nl] <= 'z') ||
					     (l[nl] >= '0' && l[nl] <= '9') || l[nl] == '-'))
				nl++;
			colon = nl > 0 && nl < llen && l[nl] == ':' ? l + nl : NULL;
			if (colon == NULL) {
				if (have_subject)
					template_error_add(errs, path, line,
							   "no blank line after the headers "
							   "(this line is not \"Name: value\")");
				else
					template_error_add(errs, path, line,
							   "missing Subject: (a template starts with "
							   "\"Subject: ...\", then a blank line, then the body)");
				break;
			}
			if (nl != 7 || strncasecmp(l, "subject", 7) != 0) {
				template_error_add(errs, path, line,
						   "unknown header \"%.*s:\" (the only header is Subject:)",
						   (int)nl, l);
			} else if (have_subject) {
				template_error_add(errs, path, line,
						   "a second Subject: (the first is on line %u)",
						   subject_line);
			} else {
				size_t v = nl + 1;

				while (v < llen && template_is_blank(l[v]))
					v++;
				have_subject = true;
				subject_line = line;
				buf_append(&subject, l + v, llen - v);
			}
		}
		pos += llen + (eol != NULL ? 1 : 0);
		line++;
	}
	if (errs->n == before) {
		if (!have_subject) {
			template_error_add(errs, path, have_blank ? body_line - 1 : 1,
					   "missing Subject: (a template starts with "
					   "\"Subject: ...\", then a blank line, then the body)");
		} else if (!have_blank) {
			template_error_add(errs, path, line > 1 ? line - 1 : 1,
					   "no blank line after the headers (the body is missing)");
		} else if (strspn(buf_str(&subject), " \t") == subject.len) {
			template_error_add(errs, path, subject_line, "empty Subject:");
		} else if (strspn(data + body_start, " \t\n") == len - body_start) {
			template_error_add(errs, path, body_line > 0 ? body_line - 1 : 1,
					   "empty body after the blank line");
		}
	}
	if (errs->n == before) {
		t->subject = template_compile(path, buf_str(&subject), subject.len,
					      subject_line, errs);
		t->body = template_compile(path, data + body_start, len - body_start,
					   body_line, errs);
	}
	buf_free(&subject);
	free(data);
	if (errs->n != before) {
		template_nodes_free(t->subject);
		template_nodes_free(t->body);
		memset(t, 0, sizeof(*t));
		return -1;
	}
	t->name = xstrdup(base);
	return 0;
}

static int
template_cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
template_cmp(const void *a, const void *b)
{
	return strcmp(((const struct template *)a)->name,
		      ((const struct template *)b)->name);
}

/* "billing, damaged, ..." for a message; allocated. */
static char *
template_category_list(const char *const *categories, size_t n)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_append(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, ", ");
		buf_puts(&b, categories[i]);
	}
	return buf_steal(&b, NULL);
}

/*
 * Compiles every template in dir into set (may be NULL for lint only).
 * stop_at_first: stop after the first file with errors.  *n_files_r gets
 * the number of *.txt files seen.  categories (NULL: not checked): the
 * rules' category ids, which every KIND-CATEGORY name must end in.
 */
static void
template_load_dir(const char *dir, struct template_set *set, bool stop_at_first,
		  const char *const *categories, size_t n_categories,
		  struct template_errors *errs, size_t *n_files_r)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*n_files_r = 0;
	d = opendir(dir);
	if (d == NULL) {
		template_error_add(errs, dir, 0, "cannot read the template directory: %s",
				   strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l <= 4 || strcmp(de->d_name + l - 4, ".txt") != 0)
			continue;
		if (n >= TEMPLATE_MAX_FILES) {
			template_error_add(errs, dir, 0, "more than %d templates",
					   TEMPLATE_MAX_FILES);
			break;
		}
		names = xgrow(names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrndup(de->d_name, l - 4);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), template_cmp_name);
	*n_files_r = n;
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s.txt", dir, names[i]);
		struct template t;

		char *kind = NULL, *cat = NULL;

		if (!template_name_ok(names[i])) {
			template_error_add(errs, path, 0,
					   "unknown template name \"%s\" (a template is KIND.txt or "
					   "KIND-CATEGORY.txt; kinds: %s)",
					   names[i], template_kind_list());
		} else if (categories != NULL &&
			   template_name_split(names[i], categories, n_categories, &kind,
					       &cat) == 0) {
			/* It would never be used: no case has that category. */
			char *list = template_category_list(categories, n_categories);
			size_t kl = 0;

			for (size_t k = 0; k < TEMPLATE_NKINDS; k++) {
				size_t l = strlen(template_kinds[k].name);

				if (l > kl && strncmp(names[i], template_kinds[k].name, l) == 0 &&
				    names[i][l] == '-')
					kl = l;
			}
			template_error_add(errs, path, 0,
					   "no category \"%s\" in the rules, so no case would ever "
					   "get it (KIND-CATEGORY.txt names a category of the "
					   "rules: %s)", names[i] + kl + 1, list);
			free(list);
		} else if (template_load_file(path, names[i], &t, errs) == 0 && set != NULL) {
			set->t = xrealloc(set->t, (set->n + 1) * sizeof(*set->t));
			set->t[set->n++] = t;
		} else if (set == NULL) {
			free(t.name);
			template_nodes_free(t.subject);
			template_nodes_free(t.body);
		}
		free(kind);
		free(cat);
		free(path);
		if (stop_at_first && errs->n > 0)
			break;
	}
	/* Every kind needs its default, or rendering it would fail later. */
	for (size_t k = 0; k < TEMPLATE_NKINDS && !(stop_at_first && errs->n > 0); k++) {
		bool found = template_kind_fallback(template_kinds[k].name) != NULL;

		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(names[i], template_kinds[k].name) == 0;
		if (!found) {
			char *path = xasprintf("%s/%s.txt", dir, template_kinds[k].name);

			template_error_add(errs, path, 0,
					   "missing (every kind needs its default template)");
			free(path);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
template_set_load(const char *dir, struct template_set **set_r, char **error_r)
{
	struct template_errors errs = { 0 };
	struct template_set *set;
	size_t n_files;

	*set_r = NULL;
	set = xcalloc(1, sizeof(*set));
	set->dir = xstrdup(dir);
	template_load_dir(dir, set, true, NULL, 0, &errs, &n_files);
	if (errs.n > 0) {
		*error_r = errs.e[0];
		errs.e[0] = NULL;
		template_errors_free(&errs.e, errs.n);
		template_set_free(&set);
		return -1;
	}
	if (set->n > 0)
		qsort(set->t, set->n, sizeof(*set->t), template_cmp);
	*set_r = set;
	return 0;
}

int
template_lint_dir_count(const char *dir, char ***errors_r, size_t *n_r,
			size_t *n_templates_r)
{
	return template_lint_dir_categories(dir, NULL, 0, errors_r, n_r, n_templates_r);
}

int
template_lint_dir_categories(const char *dir, const char *const *categories,
			     size_t n_categories, char ***errors_r, size_t *n_r,
			     size_t *n_templates_r)
{
	struct template_errors errs = { 0 };
	size_t n_files;

	template_load_dir(dir, NULL, false, categories, n_categories, &errs, &n_files);
	*errors_r = errs.e;
	*n_r = errs.n;
	if (n_templates_r != NULL)
		*n_templates_r = n_files;
	return errs.n > 0 ? -1 : 0;
}

int
template_lint_dir(const char *dir, char ***errors_r, size_t *n_r)
{
	return template_lint_dir_count(dir, errors_r, n_r, NULL);
}

void
template_set_free(struct template_set **set)
{
	if (*set == NULL)
		return;
	for (size_t i = 0; i < (*set)->n; i++) {
		free((*set)->t[i].name);
		template_nodes_free((*set)->t[i].subject);
		template_nodes_free((*set)->t[i].body);
	}
	free((*set)->t);
	free((*set)->dir);
	free(*set);
	*set = NULL;
}

size_t
template_set_count(const struct template_set *set)
{
	return set->n;
}

const char *
template_set_dir(const struct template_set *set)
{
	return set->dir;
}

const struct template *
template_find(const struct template_set *set, const char *name)
{
	struct template key = { .name = (char *)name };

	if (set->n == 0)
		return NULL;
	return bsearch(&key, set->t, set->n, sizeof(*set->t), template_cmp);
}

int
template_set_has(const struct template_set *set, const char *name)
{
	return template_find(set, name) != NULL;
}

const char *
template_set_pick(const struct template_set *set, const char *kind,
		  const char *category)
{
	const struct template *t = NULL;

	if (kind == NULL)
		return NULL;
	if (category != NULL && category[0] != '\0' && strlen(category) < 200) {
		char *name = xasprintf("%s-%s", kind, category);

		/* ack-plain and ack-praise are kinds, never the ack of a
		 * category called "plain" or "praise". */
		if (!template_is_kind(name, strlen(name)))
			t = template_find(set, name);
		free(name);
	}
	/*
	 * A message that is not a complaint must never get an apology: the
	 * ack for it is ack-plain, whichever kind the caller asked for.
	 */
	if (t == NULL && strcmp(kind, "ack") == 0 && category != NULL &&
	    strcmp(category, "not-complaint") == 0)
		t = template_find(set, "ack-plain");
	if (t == NULL)
		t = template_find(set, kind);
	if (t == NULL && template_kind_fallback(kind) != NULL)
		return template_set_pick(set, template_kind_fallback(kind), category);
	return t != NULL ? t->name : NULL;
}

