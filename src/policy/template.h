/*
 * template - the reply templates: load, check, render (redress-templates(5)).
 *
 * A template is a plain-text file an admin edits: header lines ("Subject:"
 * is required and is the only header), a blank line, then the body.  The
 * subject and body may use {{name}} placeholders, {{#if name}} ... {{else}}
 * ... {{/if}} and {{#unless name}} ... {{/unless}} (nesting allowed; a value
 * is true when it is not empty), {{! comments }} and \{{ for a literal "{{".
 * A line that holds nothing but a block tag or a comment vanishes entirely,
 * so block tags may sit on lines of their own.
 *
 * One file per kind and category: KIND.txt is the default for a kind,
 * KIND-CATEGORY.txt overrides it for one category (the classifier's ids).
 * Kinds: ack (a complaint's: it apologises), ack-plain (a question's: it
 * promises an answer), ack-praise (praise and thanks: it thanks), followup
 * (complaints only), escalation, breach-warning.  Rendering picks
 * KIND-CATEGORY.txt, else KIND.txt (and ack for "not-complaint" picks
 * ack-plain.txt before ack.txt).  Every kind needs its KIND.txt except
 * ack-praise, which falls back to ack-plain's files.
 *
 * Every template in a directory is compiled at load, so a bad one is found
 * before any mail is touched; errors read "FILE:LINE: reason".
 *
 * Rendering is single-pass: a value is inserted verbatim and never scanned
 * again, so customer text that looks like template syntax is printed as it
 * is.  Values are cleaned on the way in (invalid UTF-8 becomes U+FFFD,
 * control characters other than tab and newline are dropped, CR LF becomes
 * LF).  Rendering is a pure function of the set and the variables.
 *
 * Ownership: template_set_load returns a set the caller releases with
 * template_set_free; template_vars likewise with template_vars_free;
 * template_output strings belong to the caller (template_output_clear).
 * Every char **error_r receives an allocated message the caller frees.
 */
#ifndef REDRESS_TEMPLATE_H
#define REDRESS_TEMPLATE_H

#include <stddef.h>

#include "model/job.h"
#include "model/outcome.h"

/* Caps: one template file, one variable value, one rendered output. */
#define TEMPLATE_MAX_FILE (64 * 1024)
#define TEMPLATE_MAX_VALUE (64 * 1024)
#define TEMPLATE_MAX_OUTPUT (1024 * 1024)
#define TEMPLATE_MAX_FILES 1000

struct template_set;
struct template_vars;

struct template_output {
	char *subject;  /* owned; UTF-8, one line */
	char *body;     /* owned; UTF-8, LF line ends, ends with a newline */
};

/* The ith kind ("ack", "ack-plain", "ack-praise", "followup",
 * "escalation", "breach-warning"), NULL past the last; static. */
const char *template_kind_name(size_t i);
/* "ack, ack-plain, ..., breach-warning": for messages.  Static. */
const char *template_kind_list(void);
/*
 * The template kind for a job of kind job on a case whose outcome is
 * outcome: a warning's is breach-warning, an ack-plain's for praise
 * ack-praise, every other's the job kind's own name.  Static.
 */
const char *template_kind_for(enum job_kind job, enum outcome outcome);
/* The reverse: the job that sends a template kind (breach-warning: a
 * warning; ack-praise: an ack-plain).  0 and *job_r, or -1 for no kind. */
int template_job_kind(const char *kind, enum job_kind *job_r);
/*
 * Splits a template name into KIND and CATEGORY: the longest known kind
 * that the name is, or that is followed by "-" and one of categories
 * (when categories is NULL, by anything).  Returns 1 with *kind_r and
 * *category_r (NULL for a bare kind) allocated for the caller; 0 when the
 * name starts with a kind but what follows is no category; -1 when it
 * starts with no kind.
 */
int template_name_split(const char *name, const char *const *categories, size_t n_categories,
			char **kind_r, char **category_r);
/*
 * The placeholders a template may use, NULL-terminated.  Anything else is
 * refused at load.
 */
extern const char *const template_placeholders[];

/*
 * Compiles every *.txt in dir (names starting with "." are skipped).
 * Each kind must have its default KIND.txt.  Returns 0, or -1 with the
 * first error ("FILE:LINE: reason") in *error_r.
 */
int template_set_load(const char *dir, struct template_set **set_r,
		      char **error_r);
void template_set_free(struct template_set **set);
/* How many templates the set holds. */
size_t template_set_count(const struct template_set *set);
/* The directory the set was loaded from; owned by the set. */
const char *template_set_dir(const struct template_set *set);
/* True when the set has a file with this base name (like "ack-refund"). */
int template_set_has(const struct template_set *set, const char *name);
/*
 * The base name rendering would use for kind and category (category may
 * be NULL or ""): "KIND-CATEGORY" if that file exists, else "KIND", else
 * NULL.  KIND-CATEGORY that is itself a kind (ack + plain) is never
 * taken as a category's file.  One exception: kind "ack" with category
 * "not-complaint" falls back to "ack-plain" before "ack", so that a
 * non-complaint is never sent an apology.  The string is owned by the set.
 */
const char *template_set_pick(const struct template_set *set,
			      const char *kind, const char *category);

/*
 * Like template_set_load but collects every error in dir, one allocated
 * "FILE:LINE: reason" string each (or "FILE: reason" when no line
 * applies), into *errors_r: an allocated array the caller frees with
 * template_errors_free.  Returns 0 when there are no errors, -1 otherwise
 * (including when dir cannot be read).
 */
int template_lint_dir(const char *dir, char ***errors_r, size_t *n_r);
/* The same, also counting the *.txt files seen into *n_templates_r. */
int template_lint_dir_count(const char *dir, char ***errors_r, size_t *n_r,
			    size_t *n_templates_r);
/* The same, also refusing a KIND-CATEGORY.txt whose CATEGORY is not one of
 * categories (the rules' category ids): no case would ever get it. */
int template_lint_dir_categories(const char *dir, const char *const *categories,
				 size_t n_categories, char ***errors_r, size_t *n_r,
				 size_t *n_templates_r);
void template_errors_free(char ***errors, size_t n);

struct template_vars *template_vars_new(void);
/*
 * Sets name to a copy of value (NULL counts as ""), replacing any earlier
 * value.  Values longer than TEMPLATE_MAX_VALUE are cut at a character
 * boundary.  Unknown names are kept but no template can use them.
 */
void template_vars_set(struct template_vars *v, const char *name,
		       const char *value);
/* The value set for name, or NULL; owned by v. */
const char *template_vars_get(const struct template_vars *v, const char *name);
void template_vars_free(struct template_vars **v);
/*
 * Fills v with realistic sample values for every placeholder (a damaged
 * delivery, case 000123), for "redress template render --sample" and
 * tests.
 */
void template_vars_sample(struct template_vars *v);

/*
 * Renders the template for kind and category (see template_set_pick) into
 * out.  Placeholders that were not set render as "".  greeting_name, when
 * not set, is derived: customer_name if it looks like a name, else "there",
 * so "Hello {{greeting_name}}," always reads well.  The subject comes out
 * as one line (newlines and runs of blanks become one space, trimmed).
 * Returns 0, or -1 with *error_r set (no template for the kind, output
 * larger than TEMPLATE_MAX_OUTPUT); out is then empty.
 */
int template_render(const struct template_set *set, const char *kind,
		    const char *category, const struct template_vars *vars,
		    struct template_output *out, char **error_r);
/* Renders the file with this exact base name ("ack-refund"). */
int template_render_name(const struct template_set *set, const char *name,
			 const struct template_vars *vars,
			 struct template_output *out, char **error_r);
void template_output_clear(struct template_output *out);

#endif
