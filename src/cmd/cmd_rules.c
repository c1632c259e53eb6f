/*
 * cmd_rules - "redress rules lint [FILE]" and "redress rules train".
 *
 * lint compiles a rules file (default: [paths] rules) and says "FILE: N
 * rules, OK", or prints the error "FILE:LINE:COL: reason".  With --json,
 * one object either way.
 *
 * train learns a weight per (category, rule) and the token feature from
 * labelled messages (classify_train.h; bench/train_ref.md): a CSV file, one
 * directory of mail files per label, or the cases people corrected in the
 * store.  --cv K cross-validates; -o FILE writes the weights file, unless
 * cross-validation says the new weights decide worse than the current ones
 * ([classify] weights, or the hand weights) on the same messages and
 * --force is not given.
 *
 * Exit codes: 0 ok, 64 usage, 65 bad labels, too few examples, or
 * weights refused as worse, 66 FILE missing, 73 the weights file cannot be
 * written, 78 bad rules.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json.h"
#include "base/xmem.h"
#include "case/intake.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "mail/message.h"
#include "policy/classify.h"
#include "policy/classify_train.h"
#include "policy/spamwords.h"
#include "store/store.h"

static const char cmd_rules_usage[] =
"usage: redress [--json] rules lint [FILE]\n"
"       redress [--json] rules train [--rules FILE] DATA... [--cv K] [-o FILE] [--force]\n"
"       redress [--json] rules train [--rules FILE] DATA... --score [--weights FILE]\n"
"lint: compiles a rules file (default: [paths] rules in redress.conf) and\n"
"prints \"FILE: N rules, OK\", or the first error as FILE:LINE:COLUMN: reason.\n"
"train: learns a weight per category and rule, and a naive Bayes over words,\n"
"from labelled messages.  A label is a category id of the rules, or\n"
"not-complaint (the first category whose outcome is question).  DATA:\n"
"  --csv FILE --text COLUMN --label COLUMN  one message text per row\n"
"  --dir LABEL=DIR     every *.eml file of DIR, labelled LABEL (repeatable)\n"
"  --from-store        every case a person corrected (case recategorize,\n"
"                      case complaint, case spam, case release)\n"
"  --cv K              print K-fold cross-validated macro-F1, accuracy and the\n"
"                      confusion matrix, beside the hand weights' and the\n"
"                      current weights' on the same messages\n"
"  -o FILE             write the weights file (set [classify] weights = FILE);\n"
"                      refused when cross-validation scores it below the\n"
"                      current weights, unless --force\n"
"  --score             train nothing: score the hand weights and the current\n"
"                      weights on DATA (macro-F1, accuracy, confusion, and the\n"
"                      share whose outcome is complaint, which gets an apology)\n"
"  --weights FILE      the current weights, instead of [classify] weights\n"
"  --min-count N       least examples a category needs to be trained (5)\n"
"  (--iters N --lambda X --alpha X --vocab N --folds N --features rules,tokens\n"
"   --prior hand|zero --class-weight none|sqrt|balanced --token-norm\n"
"   mean|sqrt|sum --model logreg|perceptron: see redress-rules(5))\n"
"       redress [--json] rules spam-words [--spam DIR]... [--ham DIR]...\n"
"                 [--from-store] -o FILE [--min-count N]\n"
"       redress rules spam-words --score WORDS --spam DIR... --ham DIR...\n"
"spam-words: counts the words of spam and of good mail, every *.eml file\n"
"of each DIR (repeatable), into a words file for [spam] words: the learned\n"
"spam filter of the traffic verdict.  Words seen in fewer than N messages\n"
"(default 2) are left out.  --from-store adds the first message of every\n"
"case of the store: traffic spam (case spam included) as spam, traffic ok\n"
"(case release included) as good mail.  --score WORDS learns nothing: it prints\n"
"\"spam|ham SCORE PATH\" for each message, scored with the words file WORDS.\n"
"See redress-rules(5) for the language, the weights file and the words file.\n"
"Exit: 0 ok, 64 usage, 65 bad labels or weights refused, 66 FILE missing,\n"
"73 FILE cannot be written, 78 bad rules file.\n";

/* Prints the --json object: the rules' count and version, or the error. */
static void
rules_json(const char *file, const struct classify_rules *rules, const char *error)
{
	struct buf out;
	bool first = true;

	buf_init(&out, BUF_NO_LIMIT);
	buf_putc(&out, '{');
	json_key(&out, &first, "file");
	json_str(&out, file);
	json_key(&out, &first, "ok");
	json_bool(&out, rules != NULL);
	if (rules != NULL) {
		json_key(&out, &first, "rules");
		json_int(&out, (int64_t)classify_rules_count(rules));
		json_key(&out, &first, "version");
		json_str(&out, classify_rules_version(rules));
	} else {
		json_key(&out, &first, "error");
		json_str(&out, error);
	}
	buf_puts(&out, "}\n");
	cmd_print(&out);
}

static int
rules_lint(struct app *app, int argc, char **argv)
{
	struct classify_rules *rules = NULL;
	struct classify_options lint_opt = { .no_jit = true };
	const char *file;
	char *error = NULL;
	FILE *f;

	if (argc > 3)
		return cmd_usage(cmd_rules_usage);
	file = argc == 3 ? argv[2] : app->cfg->paths_rules;
	f = fopen(file, "rb");
	if (f == NULL) {
		fprintf(stderr, "redress: rules lint: %s: %s\n", file, strerror(errno));
		return EX_NOINPUT;
	}
	fclose(f);
	/* Without the JIT: lint matches nothing, and a JIT that fails is
	 * only a warning at load. */
	if (classify_load_opts(file, &lint_opt, &rules, &error) < 0) {
		if (app->json)
			rules_json(file, NULL, error);
		fprintf(stderr, "%s\n", error);
		free(error);
		return EX_CONFIG;
	}
	if (app->json) {
		rules_json(file, rules, NULL);
	} else {
		printf("%s: %zu rules, OK\n", file, classify_rules_count(rules));
	}
	classify_rules_free(&rules);
	return EX_OK;
}

/* ------------------------------------------------------------------ */
/* rules train: reading the data */

#define RULES_MAX_CSV (1024L * 1024 * 1024)

/*
 * The next CSV record of s[*pos..len) (RFC 4180: fields in double quotes
 * may hold commas, newlines and "" for a quote), as fields in *f; returns
 * 0 at the end.
 */
static int
rules_csv_record(const char *s, size_t len, size_t *pos, struct buf *fields, size_t **offs,
		 size_t *n_r, size_t *cap)
{
	size_t i = *pos, n = 0;
	bool quoted = false, in_field_start = true;

	if (i >= len)
		return 0;
	buf_reset(fields);
	*offs = xgrow(*offs, cap, 1, sizeof(**offs));
	(*offs)[n++] = 0;
	for (; i < len; i++) {
		char c = s[i];

		if (quoted) {
			if (c == '"' && i + 1 < len && s[i + 1] == '"') {
				buf_putc(fields, '"');
				i++;
			} else if (c == '"') {
				quoted = false;
			} else {
				buf_putc(fields, c);
			}
			continue;
		}
		if (c == '"' && in_field_start) {
			quoted = true;
			in_field_start = false;
			continue;
		}
		if (c == ',') {
			buf_putc(fields, '\0');
			*offs = xgrow(*offs, cap, n + 1, sizeof(**offs));
			(*offs)[n++] = fields->len;
			in_field_start = true;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			i++;
			break;
		}
		buf_putc(fields, c);
		in_field_start = false;
	}
	buf_putc(fields, '\0');
	*pos = i;
	*n_r = n;
	return 1;
}

static void
rules_strip(char **s, size_t *len)
{
	while (*len > 0 && strchr(" \t\r\n\f\v", (*s)[0]) != NULL) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && strchr(" \t\r\n\f\v", (*s)[*len - 1]) != NULL)
		(*len)--;
}

static int
rules_read_csv(struct classify_trainer *tr, const char *path, const char *text_col,
	       const char *label_col)
{
	char *data = NULL, *error = NULL;
	size_t len = 0, pos = 0, *offs = NULL, n = 0, cap = 0, row = 1;
	ssize_t ti = -1, li = -1;
	bool truncated = false;
	struct buf f;
	int ret = EX_OK;

	if (file_read(path, (size_t)RULES_MAX_CSV, &data, &len, &truncated) < 0) {
		fprintf(stderr, "redress: rules train: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	if (truncated) {
		fprintf(stderr, "redress: rules train: %s: larger than %ld bytes\n", path,
			RULES_MAX_CSV);
		free(data);
		return EX_DATAERR;
	}
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos = 3;   /* a byte order mark */
	buf_init(&f, BUF_NO_LIMIT);
	if (rules_csv_record(data, len, &pos, &f, &offs, &n, &cap)) {
		for (size_t i = 0; i < n; i++) {
			if (ti < 0 && strcmp(f.data + offs[i], text_col) == 0)
				ti = (ssize_t)i;
			if (li < 0 && strcmp(f.data + offs[i], label_col) == 0)
				li = (ssize_t)i;
		}
	}
	if (ti < 0 || li < 0) {
		fprintf(stderr, "redress: rules train: %s:1: no column \"%s\"\n", path,
			ti < 0 ? text_col : label_col);
		ret = EX_DATAERR;
	}
	while (ret == EX_OK && rules_csv_record(data, len, &pos, &f, &offs, &n, &cap)) {
		struct classify_input in;
		char *text, *label;
		size_t tl;

		row++;
		if ((size_t)ti >= n || (size_t)li >= n)
			continue;
		text = f.data + offs[ti];
		label = f.data + offs[li];
		tl = strlen(text);
		rules_strip(&text, &tl);
		if (tl == 0 || label[0] == '\0')
			continue;
		text[tl] = '\0';
		memset(&in, 0, sizeof(in));
		in.subject = "";
		in.from = "";
		in.body = text;
		in.body_len = tl;
		if (classify_trainer_add(tr, &in, label, &error) < 0) {
			fprintf(stderr, "redress: rules train: %s: record %zu: %s\n", path, row,
				error);
			free(error);
			ret = EX_DATAERR;
		}
	}
	buf_free(&f);
	free(offs);
	free(data);
	return ret;
}

/* One raw message, read as "redress classify" reads it, added with label. */
static int
rules_add_mail(struct app *app, struct classify_trainer *tr, const char *raw, size_t len,
	       const char *label, char **error_r)
{
	struct message *m = message_parse(raw, len, &app->cfg->intake_limits);
	struct intake_rules_input ri;
	int ret;

	intake_rules_input(&ri, m);
	ret = classify_trainer_add(tr, &ri.in, label, error_r);
	intake_rules_input_free(&ri);
	message_free(&m);
	return ret;
}

struct rules_file {
	long num;
	char *name;
};

static int
rules_file_cmp(const void *a, const void *b)
{
	const struct rules_file *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Calls fn for every *.eml file of dir, in the order of the number in
 * their names; a file over [intake] max_size is skipped.  Returns EX_OK,
 * or the exit code of the first failure, said on stderr as "redress:
 * WHAT: PATH: reason".
 */
static int
rules_each_eml(struct app *app, const char *what, const char *dir,
	       int (*fn)(struct app *, const char *path, const char *raw, size_t len, void *ctx,
		         char **error_r),
	       void *ctx)
{
	struct rules_file *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char *error = NULL;
	DIR *d;
	int ret = EX_OK;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "redress: %s: %s: %s\n", what, dir, strerror(errno));
		return EX_NOINPUT;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		const char *dig = strpbrk(de->d_name, "0123456789");

		if (l < 5 || strcmp(de->d_name + l - 4, ".eml") != 0)
			continue;
		files = xgrow(files, &cap, n + 1, sizeof(*files));
		files[n].num = dig != NULL ? strtol(dig, NULL, 10) : -1;
		files[n].name = xstrdup(de->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(files, n, sizeof(*files), rules_file_cmp);
	for (size_t i = 0; i < n && ret == EX_OK; i++) {
		char *path = xasprintf("%s/%s", dir, files[i].name), *raw = NULL;
		size_t len = 0;
		bool too_big = false;

		if (file_read(path, (size_t)app->cfg->intake_max_size, &raw, &len, &too_big) < 0) {
			fprintf(stderr, "redress: %s: %s: %s\n", what, path, strerror(errno));
			ret = EX_NOINPUT;
		} else if (!too_big && fn(app, path, raw, len, ctx, &error) < 0) {
			fprintf(stderr, "redress: %s: %s: %s\n", what, path, error);
			free(error);
			error = NULL;
			ret = EX_DATAERR;
		}
		free(raw);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i].name);
	free(files);
	return ret;
}

struct rules_dir_ctx {
	struct classify_trainer *tr;
	const char *label;
};

static int
rules_dir_mail(struct app *app, const char *path, const char *raw, size_t len, void *ctx,
	       char **error_r)
{
	struct rules_dir_ctx *c = ctx;

	(void)path;
	return rules_add_mail(app, c->tr, raw, len, c->label, error_r);
}

/* --dir LABEL=DIR: every *.eml of DIR, labelled LABEL. */
static int
rules_read_dir(struct app *app, struct classify_trainer *tr, const char *spec)
{
	const char *eq = strchr(spec, '=');
	struct rules_dir_ctx c;
	char *label;
	int ret;

	if (eq == NULL || eq == spec || eq[1] == '\0') {
		fprintf(stderr, "redress: rules train: --dir takes LABEL=DIR, not \"%s\"\n", spec);
		return EX_USAGE;
	}
	label = xstrndup(spec, (size_t)(eq - spec));
	c.tr = tr;
	c.label = label;
	ret = rules_each_eml(app, "rules train", eq + 1, rules_dir_mail, &c);
	free(label);
	return ret;
}

/* The category id of a rules file whose outcome is complaint, by id. */
static bool
rules_is_complaint_category(const struct classify_rules *r, const char *id, bool *known)
{
	size_t n = classify_rules_n_categories(r);

	*known = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(classify_rules_category(r, i), id) == 0) {
			*known = true;
			return classify_rules_category_outcome(r, i) == OUTCOME_COMPLAINT;
		}
	return false;
}

/*
 * The label a person gave a case, from its current category and its
 * events: "spam" when the last spam/release event is spam; else, after a
 * "complaint no", not-complaint (or the category, if it is not a
 * complaint category); after a "complaint yes" the category if it is a
 * complaint category, else the fallback; else the category.  NULL when
 * the case's category is not one of these rules.
 */
static const char *
rules_case_label(const struct classify_rules *r, const struct store_case *c,
		 const struct store_event *ev, size_t n_ev, const char *fallback)
{
	const char *spam = NULL, *complaint = NULL;
	bool known, is_c;

	for (size_t i = 0; i < n_ev; i++) {
		if (strcmp(ev[i].kind, "spam") == 0 || strcmp(ev[i].kind, "release") == 0)
			spam = ev[i].kind;
		else if (strcmp(ev[i].kind, "complaint") == 0)
			complaint = ev[i].detail;
	}
	if (spam != NULL && strcmp(spam, "spam") == 0) {
		rules_is_complaint_category(r, "spam", &known);
		return known ? "spam" : NULL;
	}
	if (c->category == NULL)
		return NULL;
	is_c = rules_is_complaint_category(r, c->category, &known);
	if (!known)
		return NULL;
	if (complaint != NULL && strcmp(complaint, "no") == 0)
		return is_c ? "not-complaint" : c->category;
	if (complaint != NULL && strcmp(complaint, "yes") == 0)
		return is_c ? c->category : fallback;
	return c->category;
}

/* The raw bytes of the first of msgs (a case's, in order) that came in:
 * *raw_r stays NULL when none did, or on a store error (*error_r). */
static void
rules_first_in(struct store *st, const struct store_message_info *msgs, size_t n,
	       char **raw_r, size_t *len_r, char **error_r)
{
	for (size_t j = 0; j < n; j++)
		if (msgs[j].direction != NULL && strcmp(msgs[j].direction, "in") == 0) {
			if (store_message_raw(st, msgs[j].id, raw_r, len_r, error_r) < 0)
				*raw_r = NULL;
			return;
		}
}

static int
rules_read_store(struct app *app, struct classify_trainer *tr,
		 const struct classify_rules *r, size_t *skipped_r)
{
	struct store *st = NULL;
	long long *ids = NULL;
	size_t n = 0;
	char *error = NULL;
	int ret;

	ret = cmd_open_store(app, &st);
	if (ret != EX_OK)
		return ret;
	if (store_cases_corrected(st, &ids, &n, &error) < 0) {
		fprintf(stderr, "redress: rules train: %s\n", error);
		free(error);
		store_close(&st);
		return EX_TEMPFAIL;
	}
	for (size_t i = 0; i < n && ret == EX_OK; i++) {
		struct store_case c;
		struct store_event *ev = NULL;
		struct store_message_info *msgs = NULL;
		size_t n_ev = 0, n_msgs = 0, len = 0;
		const char *label = NULL;
		char *raw = NULL;
		int got;

		store_case_init(&c);
		got = store_case_get(st, ids[i], &c, &error);
		if (got > 0 && store_case_events(st, ids[i], &ev, &n_ev, &error) == 0 &&
		    store_case_messages(st, ids[i], &msgs, &n_msgs, &error) == 0) {
			label = rules_case_label(r, &c, ev, n_ev, classify_rules_fallback(r));
			if (label != NULL)
				rules_first_in(st, msgs, n_msgs, &raw, &len, &error);
		}
		if (error != NULL) {
			fprintf(stderr, "redress: rules train: case %lld: %s\n", ids[i], error);
			free(error);
			error = NULL;
			ret = EX_TEMPFAIL;
		} else if (raw == NULL) {
			(*skipped_r)++;
		} else if (rules_add_mail(app, tr, raw, len, label, &error) < 0) {
			fprintf(stderr, "redress: rules train: case %lld: %s\n", ids[i], error);
			free(error);
			error = NULL;
			ret = EX_DATAERR;
		}
		free(raw);
		store_message_infos_free(&msgs, n_msgs);
		store_events_free(&ev, n_ev);
		store_case_clear(&c);
	}
	free(ids);
	store_close(&st);
	return ret;
}

/* ------------------------------------------------------------------ */
/* rules train */

struct rules_train_args {
	const char *rules_file, *csv, *text, *label, *out, *weights;
	const char **dirs;
	size_t n_dirs;
	bool from_store, force, score;
	long cv;
	struct classify_train_params p;
};

static int
rules_long_arg(const char *opt, const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *v < lo || *v > hi) {
		fprintf(stderr, "redress: rules train: %s takes a number from %ld to %ld, not "
			"\"%s\"\n", opt, lo, hi, s);
		return -1;
	}
	return 0;
}

static int
rules_double_arg(const char *opt, const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(*v >= 0) || *v > 1e6) {
		fprintf(stderr, "redress: rules train: %s takes a number from 0, not \"%s\"\n",
			opt, s);
		return -1;
	}
	return 0;
}

static int
rules_train_args(int argc, char **argv, struct rules_train_args *a)
{
	memset(a, 0, sizeof(*a));
	classify_train_params_default(&a->p);
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (strcmp(o, "--from-store") == 0) {
			a->from_store = true;
			takes = false;
		} else if (strcmp(o, "--force") == 0) {
			a->force = true;
			takes = false;
		} else if (strcmp(o, "--score") == 0) {
			a->score = true;
			takes = false;
		} else if (v == NULL) {
			return -1;
		} else if (strcmp(o, "--rules") == 0) {
			a->rules_file = v;
		} else if (strcmp(o, "--weights") == 0) {
			a->weights = v;
		} else if (strcmp(o, "--csv") == 0) {
			a->csv = v;
		} else if (strcmp(o, "--text") == 0) {
			a->text = v;
		} else if (strcmp(o, "--label") == 0) {
			a->label = v;
		} else if (strcmp(o, "--dir") == 0) {
			a->dirs = xrealloc(a->dirs, (a->n_dirs + 1) * sizeof(*a->dirs));
			a->dirs[a->n_dirs++] = v;
		} else if (strcmp(o, "-o") == 0 || strcmp(o, "--output") == 0) {
			a->out = v;
		} else if (strcmp(o, "--cv") == 0) {
			if (rules_long_arg(o, v, 2, 100, &a->cv) < 0)
				return -1;
		} else if (strcmp(o, "--min-count") == 0) {
			if (rules_long_arg(o, v, 1, 1000000, &a->p.min_count) < 0)
				return -1;
		} else if (strcmp(o, "--iters") == 0) {
			if (rules_long_arg(o, v, 1, 1000000, &a->p.iters) < 0)
				return -1;
		} else if (strcmp(o, "--epochs") == 0) {
			if (rules_long_arg(o, v, 1, 100000, &a->p.epochs) < 0)
				return -1;
		} else if (strcmp(o, "--vocab") == 0) {
			if (rules_long_arg(o, v, 0, 10000000, &a->p.vocab) < 0)
				return -1;
		} else if (strcmp(o, "--folds") == 0) {
			if (rules_long_arg(o, v, 2, 100, &a->p.folds) < 0)
				return -1;
		} else if (strcmp(o, "--lambda") == 0) {
			if (rules_double_arg(o, v, &a->p.lambda) < 0)
				return -1;
		} else if (strcmp(o, "--lr") == 0) {
			if (rules_double_arg(o, v, &a->p.lr) < 0)
				return -1;
		} else if (strcmp(o, "--alpha") == 0) {
			if (rules_double_arg(o, v, &a->p.alpha) < 0 || a->p.alpha <= 0)
				return -1;
		} else if (strcmp(o, "--features") == 0) {
			a->p.use_rules = strcmp(v, "rules") == 0 || strcmp(v, "rules,tokens") == 0 ||
					 strcmp(v, "tokens,rules") == 0;
			a->p.use_tokens = strcmp(v, "tokens") == 0 || strcmp(v, "rules,tokens") == 0 ||
					  strcmp(v, "tokens,rules") == 0;
			if (!a->p.use_rules && !a->p.use_tokens)
				return -1;
		} else if (strcmp(o, "--prior") == 0) {
			if (strcmp(v, "hand") != 0 && strcmp(v, "zero") != 0)
				return -1;
			a->p.prior_hand = strcmp(v, "hand") == 0;
		} else if (strcmp(o, "--class-weight") == 0) {
			if (strcmp(v, "none") == 0)
				a->p.class_weight = CLASSIFY_CW_NONE;
			else if (strcmp(v, "sqrt") == 0)
				a->p.class_weight = CLASSIFY_CW_SQRT;
			else if (strcmp(v, "balanced") == 0)
				a->p.class_weight = CLASSIFY_CW_BALANCED;
			else
				return -1;
		} else if (strcmp(o, "--token-norm") == 0) {
			if (strcmp(v, "mean") == 0)
				a->p.token_norm = CLASSIFY_NORM_MEAN;
			else if (strcmp(v, "sqrt") == 0)
				a->p.token_norm = CLASSIFY_NORM_SQRT;
			else if (strcmp(v, "sum") == 0)
				a->p.token_norm = CLASSIFY_NORM_SUM;
			else
				return -1;
		} else if (strcmp(o, "--model") == 0) {
			if (strcmp(v, "logreg") != 0 && strcmp(v, "perceptron") != 0)
				return -1;
			a->p.perceptron = strcmp(v, "perceptron") == 0;
		} else {
			return -1;
		}
		if (takes)
			i++;
	}
	if (a->csv != NULL && (a->text == NULL || a->label == NULL))
		return -1;
	if (a->csv == NULL && a->n_dirs == 0 && !a->from_store)
		return -1;
	if (a->score && (a->out != NULL || a->cv > 0))
		return -1;
	return 0;
}

/* The command line for a file's header ("redress rules train ...",
 * "redress rules spam-words ..."), after prefix; -o FILE as "-o FILE". */
static char *
rules_train_note(const char *prefix, int argc, char **argv)
{
	struct buf b;

	buf_init(&b, BUF_NO_LIMIT);
	buf_printf(&b, "%sredress rules %s", prefix, argv[1]);
	for (int i = 2; i < argc; i++) {
		bool out = i > 2 && (strcmp(argv[i - 1], "-o") == 0 ||
				     strcmp(argv[i - 1], "--output") == 0);

		buf_printf(&b, " %s", out ? "FILE" : argv[i]);
	}
	return buf_steal(&b, NULL);
}

/* Writes text to path through a temporary file in the same directory. */
static int
rules_write_file(const char *path, const char *text, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = -1;

	if (fd >= 0) {
		ssize_t n = write(fd, text, len);

		if (n == (ssize_t)len && fsync(fd) == 0 && close(fd) == 0) {
			fd = -1;
			if (rename(tmp, path) == 0)
				ret = 0;
		}
		if (fd >= 0)
			close(fd);
		if (ret < 0) {
			int e = errno;

			unlink(tmp);
			errno = e;
		}
	}
	free(tmp);
	return ret;
}

static int
rules_train(struct app *app, int argc, char **argv)
{
	struct rules_train_args a;
	struct classify_rules *rules = NULL;
	struct classify_options copt = { 0 };
	struct classify_trainer *tr = NULL;
	struct classify_model *model = NULL;
	struct classify_eval cv = { 0 }, hand = { 0 }, cur = { 0 };
	struct buf out, js;
	const char *file, *weights = NULL;
	char *error = NULL, *werror = NULL;
	size_t skipped = 0;
	bool js_first = true, have_cv = false;
	double objective = 0;
	int ret = EX_OK;

	if (rules_train_args(argc, argv, &a) < 0) {
		free(a.dirs);
		return cmd_usage(cmd_rules_usage);
	}
	file = a.rules_file != NULL ? a.rules_file : app->cfg->paths_rules;
	if (app->cfg->classify_weights != NULL && app->cfg->classify_weights[0] != '\0')
		weights = app->cfg->classify_weights;
	if (a.weights != NULL)
		weights = a.weights;
	copt.weights = weights;
	if (weights != NULL && classify_load_opts(file, &copt, &rules, &werror) < 0) {
		if (a.weights != NULL) {
			fprintf(stderr, "redress: rules train: %s\n", werror);
			free(werror);
			free(a.dirs);
			return EX_CONFIG;
		}
		/* the configured weights do not apply: the hand weights are current */
		weights = NULL;
	}
	if (rules == NULL && classify_load(file, &rules, &error) < 0) {
		fprintf(stderr, "redress: rules train: %s\n", error);
		free(error);
		free(werror);
		free(a.dirs);
		return access(file, F_OK) == 0 ? EX_CONFIG : EX_NOINPUT;
	}
	tr = classify_trainer_new(rules, &a.p);
	if (a.csv != NULL)
		ret = rules_read_csv(tr, a.csv, a.text, a.label);
	for (size_t i = 0; i < a.n_dirs && ret == EX_OK; i++)
		ret = rules_read_dir(app, tr, a.dirs[i]);
	if (ret == EX_OK && a.from_store)
		ret = rules_read_store(app, tr, rules, &skipped);
	if (ret != EX_OK)
		goto done;

	buf_init(&out, BUF_NO_LIMIT);
	buf_init(&js, BUF_NO_LIMIT);
	buf_putc(&js, '{');
	buf_printf(&out, "rules: %s (version %s, %zu rules); %zu messages (", file,
		   classify_rules_version(rules), classify_rules_count(rules),
		   classify_trainer_count(tr));
	json_key(&js, &js_first, "rules");
	json_str(&js, file);
	json_key(&js, &js_first, "version");
	json_str(&js, classify_rules_version(rules));
	json_key(&js, &js_first, "messages");
	json_int(&js, (int64_t)classify_trainer_count(tr));
	json_key(&js, &js_first, "labels");
	buf_putc(&js, '{');
	for (size_t i = 0, first = 1; i < classify_rules_n_categories(rules); i++) {
		size_t n = classify_trainer_label_counts(tr)[i];

		if (n == 0)
			continue;
		buf_printf(&out, "%s%s %zu", first ? "" : ", ", classify_rules_category(rules, i), n);
		if (!first)
			buf_putc(&js, ',');
		json_str(&js, classify_rules_category(rules, i));
		buf_printf(&js, ":%zu", n);
		first = 0;
	}
	buf_puts(&out, ")\n");
	buf_putc(&js, '}');
	if (a.from_store) {
		buf_printf(&out, "from the store: %zu corrected cases skipped (no message, or a "
			   "category these rules do not have)\n", skipped);
		json_key(&js, &js_first, "skipped");
		json_int(&js, (int64_t)skipped);
	}
	if (werror != NULL)
		buf_printf(&out, "current weights: not used: %s\n", werror);
	if (classify_trainer_count(tr) == 0) {
		fprintf(stderr, "redress: rules train: no labelled messages\n");
		ret = EX_DATAERR;
		goto print;
	}

	classify_train_eval(tr, true, &hand);
	if (weights != NULL)
		classify_train_eval(tr, false, &cur);
	if (a.score) {
		classify_eval_text(rules, &hand, "hand weights", &out);
		json_key(&js, &js_first, "hand");
		classify_eval_json(rules, &hand, &js);
		if (weights != NULL) {
			char *n2 = xasprintf("weights %s", weights);

			classify_eval_text(rules, &cur, n2, &out);
			free(n2);
			json_key(&js, &js_first, "current");
			classify_eval_json(rules, &cur, &js);
		}
		goto print;
	}
	if (a.cv > 0 || (a.out != NULL && !a.force)) {
		long k = a.cv > 0 ? a.cv : 5;
		char *name;

		if (classify_train_cv(tr, k, &cv, &error) < 0) {
			fprintf(stderr, "redress: rules train: %s\n", error);
			free(error);
			ret = EX_DATAERR;
			goto print;
		}
		have_cv = true;
		name = xasprintf("%ld-fold cross-validation", k);
		if (a.cv > 0) {
			classify_eval_text(rules, &cv, name, &out);
			classify_eval_text(rules, &hand, "hand weights on the same messages", &out);
			if (weights != NULL) {
				char *n2 = xasprintf("current weights (%s) on the same messages",
						     weights);

				classify_eval_text(rules, &cur, n2, &out);
				free(n2);
			}
		}
		free(name);
		json_key(&js, &js_first, "cv");
		classify_eval_json(rules, &cv, &js);
		json_key(&js, &js_first, "hand");
		classify_eval_json(rules, &hand, &js);
		if (weights != NULL) {
			json_key(&js, &js_first, "current");
			classify_eval_json(rules, &cur, &js);
		}
	}
	if (a.out != NULL) {
		double old = weights != NULL ? cur.macro_f1 : hand.macro_f1;
		char *note;
		struct buf wf;

		if (classify_train_fit(tr, &model, &objective, &error) < 0) {
			fprintf(stderr, "redress: rules train: %s\n", error);
			free(error);
			ret = EX_DATAERR;
			goto print;
		}
		buf_puts(&out, "trained: classes");
		json_key(&js, &js_first, "classes");
		buf_putc(&js, '[');
		for (size_t k = 0; k < classify_train_model_classes(model); k++) {
			buf_printf(&out, " %s", classify_train_model_class(rules, model, k));
			if (k > 0)
				buf_putc(&js, ',');
			json_str(&js, classify_train_model_class(rules, model, k));
		}
		buf_putc(&js, ']');
		if (!a.p.perceptron)
			buf_printf(&out, "; objective %.6f", objective);
		buf_putc(&out, '\n');
		if (have_cv) {
			buf_printf(&out, "refusal check (%ld-fold CV macro-F1): trained %.3f, %s %.3f\n",
				   a.cv > 0 ? a.cv : 5L, cv.macro_f1,
				   weights != NULL ? "current weights" : "hand weights", old);
			if (cv.macro_f1 < old && !a.force) {
				fprintf(stderr, "redress: rules train: the trained weights score worse "
					"than the %s (macro-F1 %.3f < %.3f); %s not written "
					"(--force writes it)\n",
					weights != NULL ? "current weights" : "hand weights",
					cv.macro_f1, old, a.out);
				json_key(&js, &js_first, "refused");
				json_bool(&js, true);
				ret = EX_DATAERR;
				goto print;
			}
		}
		note = rules_train_note("", argc, argv);
		buf_init(&wf, BUF_NO_LIMIT);
		classify_train_write(rules, model, note, &wf);
		free(note);
		if (rules_write_file(a.out, wf.data, wf.len) < 0) {
			fprintf(stderr, "redress: rules train: %s: %s\n", a.out, strerror(errno));
			ret = EX_CANTCREAT;
		} else {
			buf_printf(&out, "wrote %s\n", a.out);
			json_key(&js, &js_first, "wrote");
			json_str(&js, a.out);
		}
		buf_free(&wf);
	}
print:
	buf_puts(&js, "}\n");
	if (app->json)
		cmd_print(&js);
	else
		cmd_print(&out);
	buf_free(&out);
	buf_free(&js);
done:
	classify_eval_clear(&cv);
	classify_eval_clear(&hand);
	classify_eval_clear(&cur);
	classify_train_model_free(&model);
	classify_trainer_free(&tr);
	classify_rules_free(&rules);
	free(werror);
	free(a.dirs);
	return ret;
}

struct rules_words_ctx {
	struct spamwords_trainer *tr;
	const struct spamwords *sw;     /* --score: score with these instead */
	bool spam;
};

static int
rules_words_mail(struct app *app, const char *path, const char *raw, size_t len, void *ctx,
		 char **error_r)
{
	struct rules_words_ctx *c = ctx;
	struct message *m = message_parse(raw, len, &app->cfg->intake_limits);
	struct intake_rules_input ri;

	(void)error_r;
	intake_rules_input(&ri, m);
	if (c->sw != NULL)
		printf("%s %.4f %s\n", c->spam ? "spam" : "ham",
		       spamwords_score(c->sw, ri.in.subject, ri.in.body, ri.in.body_len, NULL, 0,
				       NULL), path);
	else
		spamwords_trainer_add(c->tr, c->spam, ri.in.subject, ri.in.body, ri.in.body_len);
	intake_rules_input_free(&ri);
	message_free(&m);
	return 0;
}

/*
 * --from-store: the first message of every case, as the store sorts them
 * now: traffic spam (the verdict, or a person's "case spam") is spam,
 * traffic ok (a person's "case release" included) is good mail; held,
 * forged, list and bulk cases are left out.
 */
static int
rules_words_store(struct app *app, struct rules_words_ctx *c, size_t *spam_r, size_t *ham_r)
{
	struct store_case_filter f;
	struct store *st = NULL;
	char *error = NULL;
	int ret;

	ret = cmd_open_store(app, &st);
	if (ret != EX_OK)
		return ret;
	memset(&f, 0, sizeof(f));
	f.limit = 500;
	for (;;) {
		struct store_case *cases = NULL;
		size_t n = 0;

		if (store_case_list(st, &f, &cases, &n, &error) < 0)
			break;
		for (size_t i = 0; i < n && error == NULL; i++) {
			struct store_message_info *msgs = NULL;
			size_t n_msgs = 0, len = 0;
			char *raw = NULL;

			f.after_id = cases[i].id;
			if (cases[i].traffic != VERDICT_SPAM && cases[i].traffic != VERDICT_OK)
				continue;
			if (store_case_messages(st, cases[i].id, &msgs, &n_msgs, &error) < 0)
				break;
			rules_first_in(st, msgs, n_msgs, &raw, &len, &error);
			if (raw != NULL) {
				c->spam = cases[i].traffic == VERDICT_SPAM;
				rules_words_mail(app, NULL, raw, len, c, &error);
				(*(c->spam ? spam_r : ham_r))++;
			}
			free(raw);
			store_message_infos_free(&msgs, n_msgs);
		}
		store_cases_free(&cases, n);
		if (error != NULL || n < f.limit)
			break;
	}
	store_close(&st);
	if (error != NULL) {
		fprintf(stderr, "redress: rules spam-words: %s\n", error);
		free(error);
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

/* redress rules spam-words --spam DIR... --ham DIR... -o FILE [--min-count N] */
static int
rules_spam_words(struct app *app, int argc, char **argv)
{
	struct spamwords_trainer *tr;
	struct rules_words_ctx c;
	struct buf out;
	const char *file = NULL, *score = NULL;
	struct spamwords *sw = NULL;
	char *error = NULL, *note;
	long min_count = 2;
	size_t n_spam, n_ham, n_words, kept;
	int ret = EX_OK, dirs[2] = { 0, 0 };
	bool from_store = false;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--from-store") == 0) {
			from_store = true;
		} else if ((strcmp(argv[i], "--spam") == 0 || strcmp(argv[i], "--ham") == 0) &&
		    i + 1 < argc) {
			dirs[argv[i][2] == 's']++;
			i++;
		} else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
			   i + 1 < argc) {
			file = argv[++i];
		} else if (strcmp(argv[i], "--min-count") == 0 && i + 1 < argc) {
			if (rules_long_arg("--min-count", argv[++i], 1, 1000000, &min_count) < 0)
				return cmd_usage(cmd_rules_usage);
		} else if (strcmp(argv[i], "--score") == 0 && i + 1 < argc) {
			score = argv[++i];
		} else {
			return cmd_usage(cmd_rules_usage);
		}
	}
	if (score != NULL) {
		if (file != NULL || from_store || dirs[0] + dirs[1] == 0)
			return cmd_usage(cmd_rules_usage);
		if (spamwords_load(score, &sw, &error) < 0) {
			fprintf(stderr, "redress: rules spam-words: %s\n", error);
			free(error);
			return access(score, F_OK) == 0 ? EX_CONFIG : EX_NOINPUT;
		}
	} else if (file == NULL || (!from_store && (dirs[0] == 0 || dirs[1] == 0))) {
		return cmd_usage(cmd_rules_usage);
	}
	tr = spamwords_trainer_new();
	c.tr = tr;
	c.sw = sw;
	for (int i = 2; i < argc && ret == EX_OK; i++) {
		if (strcmp(argv[i], "--spam") != 0 && strcmp(argv[i], "--ham") != 0)
			continue;
		c.spam = argv[i][2] == 's';
		ret = rules_each_eml(app, "rules spam-words", argv[++i], rules_words_mail, &c);
	}
	if (sw != NULL) {
		spamwords_free(&sw);
		spamwords_trainer_free(&tr);
		return ret;
	}
	if (ret == EX_OK && from_store) {
		size_t s_spam = 0, s_ham = 0;

		ret = rules_words_store(app, &c, &s_spam, &s_ham);
		if (ret == EX_OK && !app->json)
			printf("from the store: %zu spam and %zu good cases\n", s_spam, s_ham);
	}
	spamwords_trainer_counts(tr, &n_spam, &n_ham, &n_words);
	if (ret == EX_OK && (n_spam == 0 || n_ham == 0)) {
		fprintf(stderr, "redress: rules spam-words: no %s message to learn from\n",
			n_spam == 0 ? "spam" : "good");
		ret = EX_DATAERR;
	}
	if (ret != EX_OK) {
		spamwords_trainer_free(&tr);
		return ret;
	}
	/* The header says how the file was made (-o's name left out). */
	note = rules_train_note("made by: ", argc, argv);
	buf_init(&out, BUF_NO_LIMIT);
	kept = spamwords_trainer_write(tr, min_count, note, &out);
	if (rules_write_file(file, out.data, out.len) < 0) {
		fprintf(stderr, "redress: rules spam-words: %s: %s\n", file, strerror(errno));
		ret = EX_CANTCREAT;
	} else if (app->json) {
		buf_reset(&out);
		buf_printf(&out, "{\"spam\":%zu,\"ham\":%zu,\"words\":%zu,\"kept\":%zu,"
			   "\"wrote\":", n_spam, n_ham, n_words, kept);
		json_str(&out, file);
		buf_puts(&out, "}\n");
		cmd_print(&out);
	} else {
		printf("%zu spam and %zu good messages, %zu words, %zu seen in %ld or more; wrote %s\n",
		       n_spam, n_ham, n_words, kept, min_count, file);
	}
	buf_free(&out);
	free(note);
	spamwords_trainer_free(&tr);
	return ret;
}

int
cmd_rules(struct app *app, int argc, char **argv)
{
	if (cmd_wants_help(argc, argv)) {
		fputs(cmd_rules_usage, stdout);
		return EX_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "lint") == 0)
		return rules_lint(app, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "train") == 0)
		return rules_train(app, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "spam-words") == 0)
		return rules_spam_words(app, argc, argv);
	return cmd_usage(cmd_rules_usage);
}
