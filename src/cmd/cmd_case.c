/*
 * NAME
 *	cmd_case - "redress case list|show|respond|wait|resolve|reopen"
 * DESCRIPTION
 *	list and show print what the store holds about cases, as text for
 *	people or JSON (with the global --json) for scripts, in the shapes the
 *	contract fixes (doc/contract.md).  "case show ID --raw N" prints the
 *	Nth stored message of a case byte for byte as it was received.
 *
 *	respond, wait, resolve and reopen are the moves a person makes on a
 *	case by hand (caselife.h): each in one transaction with its event and
 *	the follow-up it schedules.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/xmem.h"
#include "case/caselife.h"
#include "case/identity.h"
#include "case/merge.h"
#include "case/outbox.h"
#include "case/reply.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "policy/sla.h"
#include "store/store.h"

static const char case_usage[] =
"usage: redress case list [--state STATE] [--priority P] [--category C] [--tag T]\n"
"         [--customer ADDR] [--owner AGENT | --mine | --unassigned]\n"
"         [--since TIME] [--until TIME] [--breached] [--due-within DURATION]\n"
"         [--search TEXT] [--sort due|created|priority] [--limit N]\n"
"         [--format table|csv|json]\n"
"       redress case show ID [--raw N]\n"
"       redress case respond ID | wait ID | resolve ID [--cause TEXT] | reopen ID\n"
"       redress case recategorize ID CATEGORY | complaint ID yes|no\n"
"       redress case reply ID [--file F | [--template NAME] [--edit]] [--cc ADDR]...\n"
"       redress case note ID TEXT\n"
"       redress case merge INTO FROM | link A B\n"
"       redress case assign ID AGENT | unassign ID\n"
"list: the cases, oldest first (--json: an array of objects), with the\n"
"  business time left on the clock that runs; --search finds words in the\n"
"  subjects and text of their messages; --mine: owned by $REDRESS_AGENT.\n"
"show: one case with its events, messages (headers and text) and jobs;\n"
"  --raw N prints the Nth message of the case exactly as received.\n"
"reply: answer the customer (From [smtp] from, the case tag, threaded to\n"
"  their last message), through the outbox; the body from --file (\"-\":\n"
"  stdin), else a draft in $EDITOR (--edit, or a terminal) with their last\n"
"  message quoted, else stdin; --template NAME starts from that template.\n"
"note: an internal note on the case (never sent to anyone).\n"
"assign, unassign: give the case an owner, or take it away.\n"
"merge: FROM's messages and events join INTO; FROM is closed as merged and\n"
"  mail for it threads to INTO.  link: note that two cases belong together.\n"
"recategorize, complaint: correct the category, or whether it is a complaint\n"
"  (the corrections \"rules train --from-store\" learns from).\n"
"Moves, notes and assignments record their author: $REDRESS_AGENT, else\n"
"  the login name.\n"
"States: new acknowledged responded waiting resolved closed held merged.\n";

/* Writes the tags "a b c" as a JSON array. */
static void
case_json_tags(struct buf *b, const char *tags)
{
	buf_putc(b, '[');
	if (tags != NULL) {
		bool first = true;

		for (const char *p = tags; *p != '\0';) {
			size_t n = strcspn(p, " ");

			if (n > 0) {
				if (!first)
					buf_putc(b, ',');
				first = false;
				json_strn(b, p, n);
			}
			p += n;
			p += strspn(p, " ");
		}
	}
	buf_putc(b, ']');
}

static void
case_json_fields(struct buf *b, const struct store_case *c, bool *first)
{
	json_key(b, first, "id");
	json_int(b, c->id);
	json_key(b, first, "state");
	json_str(b, case_state_name(c->state));
	json_key(b, first, "customer");
	json_str(b, c->customer);
	json_key(b, first, "customer_name");
	json_str(b, c->customer_name);
	json_key(b, first, "subject");
	json_str(b, c->subject);
	json_key(b, first, "created");
	json_time(b, c->created);
	json_key(b, first, "updated");
	json_time(b, c->updated);
	json_key(b, first, "complaint");
	json_bool(b, c->complaint);
	json_key(b, first, "outcome");
	json_str(b, c->state == CASE_HELD ? NULL
		 : outcome_name(caselife_outcome(c)));
	json_key(b, first, "category");
	json_str(b, c->category);
	json_key(b, first, "label");
	json_str(b, c->label);
	json_key(b, first, "priority");
	json_str(b, priority_name(c->priority));
	json_key(b, first, "tags");
	case_json_tags(b, c->tags);
	json_key(b, first, "first_response_due");
	json_time(b, c->first_response_due);
	json_key(b, first, "resolution_due");
	json_time(b, c->resolution_due);
	json_key(b, first, "first_response_at");
	json_time(b, c->first_response_at);
	json_key(b, first, "resolved_at");
	json_time(b, c->resolved_at);
	json_key(b, first, "breached");
	json_bool(b, c->first_response_breached || c->resolution_breached);
	json_key(b, first, "first_response_breached");
	json_bool(b, c->first_response_breached);
	json_key(b, first, "resolution_breached");
	json_bool(b, c->resolution_breached);
	json_key(b, first, "held_reason");
	json_str(b, c->held_reason);
	json_key(b, first, "reply_note");
	json_str(b, c->reply_note);
	json_key(b, first, "resolution_cause");
	json_str(b, c->resolution_cause);
	json_key(b, first, "owner");
	json_str(b, c->owner);
	json_key(b, first, "merged_into");
	if (c->merged_into > 0)
		json_int(b, c->merged_into);
	else
		buf_puts(b, "null");
}

/*
 * The business time left on a case's running clock (store_case_due):
 * 1 and *left_r in seconds (negative: overdue by that much), or 0 when no
 * clock runs (closed, waiting on the customer, held).
 */
static int
case_time_left(const struct app *app, const struct store_case *c, long *left_r)
{
	const struct sla_calendar *cal = app->cfg->sla->cal;
	time_t due = store_case_due(c, NULL);

	if (due == 0)
		return 0;
	*left_r = due >= app->now ? sla_business_seconds(cal, app->now, due)
		  : -sla_business_seconds(cal, due, app->now);
	return 1;
}

/*
 * Whole business days from a to b (a <= b), counted as an SLA span of
 * days counts them (sla.h: "1d" is the same business position on the next
 * business day), and the business seconds left after them.
 */
static long
case_business_days(const struct sla_calendar *cal, time_t a, time_t b, long *rest_r)
{
	long days = 0;
	time_t t = a;

	while (days < SLA_MAX_DAYS_SPAN) {
		time_t next = sla_add(cal, t, (struct sla_span){ .days = 1 });

		if (next > b || next <= t)
			break;
		t = next;
		days++;
	}
	*rest_r = sla_business_seconds(cal, t, b);
	return days;
}

/* "3h10m left", "45m left", "1d 2h left", "overdue 2d 1h", "paused"
 * (waiting), "-" (no clock): business time, days as the SLA counts them. */
static void
case_left_text(const struct app *app, const struct store_case *c, char *out, size_t n)
{
	const char *pre, *post;
	time_t due = store_case_due(c, NULL);
	long left, days, rest;

	if (!case_time_left(app, c, &left)) {
		snprintf(out, n, "%s", c->state == CASE_WAITING ? "paused" : "-");
		return;
	}
	pre = left < 0 ? "overdue " : "";
	post = left < 0 ? "" : " left";
	days = left < 0 ? case_business_days(app->cfg->sla->cal, due, app->now, &rest)
	       : case_business_days(app->cfg->sla->cal, app->now, due, &rest);
	if (days > 0)
		snprintf(out, n, "%s%ldd %ldh%s", pre, days, rest / 3600, post);
	else if (rest >= 3600)
		snprintf(out, n, "%s%ldh%02ldm%s", pre, rest / 3600, rest % 3600 / 60, post);
	else
		snprintf(out, n, "%s%ldm%s", pre, rest / 60, post);
}

/* --since/--until: an ISO 8601 time or a date (midnight UTC). */
static int
case_time_arg(const char *opt, const char *s, time_t *t_r)
{
	if (clock_parse_iso8601(s, t_r) < 0) {
		fprintf(stderr, "redress: case list: --%s %s: not a time (2026-11-23 or "
			"2026-11-23T16:30:00Z)\n", opt, s);
		return EX_USAGE;
	}
	return EX_OK;
}

static void
case_list_csv(struct buf *b, const struct app *app, const struct store_case *cases,
	      size_t n)
{
	static const char *const head[] = {
		"id", "state", "priority", "category", "owner", "created", "customer",
		"subject", "tags", "due", "time_left", "breached",
	};

	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		cmd_csv_field(b, i == 0, head[i]);
	cmd_csv_end(b);
	for (size_t i = 0; i < n; i++) {
		const struct store_case *k = &cases[i];
		char created[CLOCK_ISO_LEN], due[CLOCK_ISO_LEN];
		time_t d = store_case_due(k, NULL);
		long left;

		clock_format_iso8601(k->created, created);
		clock_format_iso8601(d, due);
		cmd_csv_int(b, true, k->id);
		cmd_csv_field(b, false, case_state_name(k->state));
		cmd_csv_field(b, false, priority_name(k->priority));
		cmd_csv_field(b, false, k->category);
		cmd_csv_field(b, false, k->owner);
		cmd_csv_field(b, false, created);
		cmd_csv_field(b, false, k->customer);
		cmd_csv_field(b, false, k->subject);
		cmd_csv_field(b, false, k->tags);
		cmd_csv_field(b, false, d != 0 ? due : NULL);
		if (case_time_left(app, k, &left))
			cmd_csv_int(b, false, left);
		else
			cmd_csv_field(b, false, NULL);
		cmd_csv_field(b, false, k->first_response_breached || k->resolution_breached
			      ? "yes" : "no");
		cmd_csv_end(b);
	}
}

static int
case_list(struct app *app, struct store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "breached", no_argument, NULL, 'b' },
		{ "priority", required_argument, NULL, 'p' },
		{ "category", required_argument, NULL, 'c' },
		{ "tag", required_argument, NULL, 't' },
		{ "customer", required_argument, NULL, 'C' },
		{ "owner", required_argument, NULL, 'o' },
		{ "mine", no_argument, NULL, 'm' },
		{ "unassigned", no_argument, NULL, 'u' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "due-within", required_argument, NULL, 'd' },
		{ "search", required_argument, NULL, 'q' },
		{ "sort", required_argument, NULL, 'O' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_case_filter f = { 0 };
	struct store_case *cases = NULL;
	const char *state = NULL, *prio = NULL, *within = NULL;
	char *customer = NULL;
	bool mine = false, csv = false;
	size_t n = 0;
	char *error = NULL;
	struct buf b;
	int c, ret = EX_USAGE;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:b", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'b': f.breached_only = true; break;
		case 'p': prio = optarg; break;
		case 'c': f.category = optarg; break;
		case 't': f.tag = optarg; break;
		case 'C':
			free(customer);
			customer = xstrdup(optarg);
			for (char *p = customer; *p != '\0'; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			f.customer = customer;
			break;
		case 'o': f.owner = optarg; break;
		case 'm': mine = true; break;
		case 'u': f.unassigned = true; break;
		case 'S':
			if (case_time_arg("since", optarg, &f.since) != EX_OK)
				goto out;
			break;
		case 'U':
			if (case_time_arg("until", optarg, &f.until) != EX_OK)
				goto out;
			break;
		case 'd': within = optarg; break;
		case 'q': f.search = optarg; break;
		case 'O':
			if (strcmp(optarg, "due") == 0)
				f.sort = STORE_SORT_DUE;
			else if (strcmp(optarg, "created") == 0)
				f.sort = STORE_SORT_CREATED;
			else if (strcmp(optarg, "priority") == 0)
				f.sort = STORE_SORT_PRIORITY;
			else {
				fprintf(stderr, "redress: case list: --sort %s: say due, created "
					"or priority\n", optarg);
				goto out;
			}
			break;
		case 'l':
			if (strspn(optarg, "0123456789") != strlen(optarg) ||
			    strlen(optarg) > 9 || (f.limit = strtoul(optarg, NULL, 10)) == 0) {
				fprintf(stderr, "redress: case list: --limit %s: a number of "
					"cases, 1 or more\n", optarg);
				goto out;
			}
			break;
		case 'f':
			if (cmd_format_arg(app, "case list", optarg, &csv) != EX_OK)
				goto out;
			break;
		default:
			fputs(case_usage, stderr);
			goto out;
		}
	}
	if (optind != argc) {
		fputs(case_usage, stderr);
		goto out;
	}
	if (state != NULL && case_state_parse(state, &f.state) < 0) {
		fprintf(stderr, "redress: case list: --state %s: no such state (%s)\n",
			state, case_state_list());
		goto out;
	}
	f.by_state = state != NULL;
	if (prio != NULL && priority_parse(prio, &f.priority) < 0) {
		fprintf(stderr, "redress: case list: --priority %s: say urgent, high, normal "
			"or low\n", prio);
		goto out;
	}
	f.by_priority = prio != NULL;
	if ((mine || f.owner != NULL) + f.unassigned > 1 || (mine && f.owner != NULL)) {
		fprintf(stderr, "redress: case list: one of --owner, --mine and --unassigned\n");
		goto out;
	}
	if (mine && cmd_author(&f.owner) != EX_OK)
		goto out;
	if (within != NULL) {
		struct sla_span span;
		char *why = NULL;

		if (sla_span_parse(within, &span, &why) < 0) {
			fprintf(stderr, "redress: case list: --due-within: %s\n", why);
			free(why);
			goto out;
		}
		/* Business time, as an SLA target counts it ("2d": two
		 * business days); overdue cases are due within any window. */
		f.due_before = sla_add(app->cfg->sla->cal, app->now, span);
	}
	if (f.search != NULL && strspn(f.search, " \t\r\n") == strlen(f.search)) {
		fprintf(stderr, "redress: case list: --search: no words to look for\n");
		goto out;
	}
	if (store_case_list(st, &f, &cases, &n, &error) < 0) {
		log_error("%s", error);
		free(error);
		ret = EX_SOFTWARE;
		goto out;
	}
	buf_init(&b, BUF_NO_LIMIT);
	if (csv) {
		case_list_csv(&b, app, cases, n);
	} else if (app->json) {
		buf_putc(&b, '[');
		for (size_t i = 0; i < n; i++) {
			bool first = true;
			const char *clock;
			time_t due = store_case_due(&cases[i], &clock);
			long left;

			if (i > 0)
				buf_putc(&b, ',');
			buf_putc(&b, '{');
			case_json_fields(&b, &cases[i], &first);
			json_key(&b, &first, "due");
			json_time(&b, due);
			json_key(&b, &first, "clock");
			json_str(&b, clock);
			json_key(&b, &first, "time_left");
			if (case_time_left(app, &cases[i], &left))
				json_int(&b, left);
			else
				buf_puts(&b, "null");
			buf_putc(&b, '}');
		}
		buf_puts(&b, "]\n");
	} else {
		buf_printf(&b, "%-7s %-12s %-8s %-12s %-10s %-20s %-16s %-28s %s\n", "ID", "STATE",
			   "PRIORITY", "CATEGORY", "OWNER", "CREATED", "TIME LEFT", "CUSTOMER",
			   "SUBJECT");
		for (size_t i = 0; i < n; i++) {
			const struct store_case *k = &cases[i];
			char created[CLOCK_ISO_LEN], left[64];

			clock_format_iso8601(k->created, created);
			case_left_text(app, k, left, sizeof(left));
			buf_printf(&b, "%-7lld %-12s %-8s %-12s %-10s %-20s %-16s %-28.28s %s%s\n",
				   k->id, case_state_name(k->state),
				   k->priority != PRIORITY_NONE ? priority_name(k->priority) : "-",
				   k->category ? k->category : "-", k->owner ? k->owner : "-",
				   created, left, k->customer ? k->customer : "-",
				   k->subject ? k->subject : "",
				   k->first_response_breached || k->resolution_breached
				   ? "  [BREACHED]" : "");
		}
	}
	cmd_print(&b);
	store_cases_free(&cases, n);
	ret = EX_OK;
out:
	free(customer);
	return ret;
}

static int
case_show_raw(struct store *st, long long id, const char *which)
{
	struct store_message_info *msgs = NULL;
	size_t n = 0, len;
	long long k;
	char *raw = NULL, *error = NULL;
	int ret = EX_OK;

	if (cmd_parse_id(which, &k) < 0) {
		fprintf(stderr, "redress: case show: --raw takes a message number (1, 2, ...)\n");
		return EX_USAGE;
	}
	if (store_case_messages(st, id, &msgs, &n, &error) < 0) {
		log_error("%s", error);
		free(error);
		return EX_SOFTWARE;
	}
	if ((size_t)k > n) {
		fprintf(stderr, "redress: case %lld has %zu messages\n", id, n);
		ret = EX_NOINPUT;
	} else if (store_message_raw(st, msgs[k - 1].id, &raw, &len, &error) <= 0) {
		log_error("%s", error != NULL ? error : "message vanished");
		free(error);
		ret = EX_SOFTWARE;
	} else {
		fwrite(raw, 1, len, stdout);
		free(raw);
	}
	store_message_infos_free(&msgs, n);
	return ret;
}

static void
case_show_message_json(struct buf *b, struct store *st, const struct store_message_info *mi,
		       const struct message_limits *lim)
{
	char *raw = NULL, *error = NULL;
	size_t len = 0;
	struct message *m = NULL;
	bool first = true;

	buf_putc(b, '{');
	json_key(b, &first, "id");
	json_int(b, mi->id);
	json_key(b, &first, "direction");
	json_str(b, mi->direction);
	json_key(b, &first, "source");
	json_str(b, mi->source);
	json_key(b, &first, "message_id");
	json_str(b, mi->message_id);
	json_key(b, &first, "received");
	json_time(b, mi->received);
	json_key(b, &first, "size");
	json_int(b, (int64_t)mi->size);
	json_key(b, &first, "held_reason");
	json_str(b, mi->held_reason);
	if (store_message_raw(st, mi->id, &raw, &len, &error) > 0)
		m = message_parse(raw, len, lim);
	free(error);
	json_key(b, &first, "headers");
	buf_putc(b, '[');
	for (size_t i = 0; m != NULL && i < m->n_headers; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_putc(b, '[');
		json_str(b, m->headers[i].name);
		buf_putc(b, ',');
		json_str(b, m->headers[i].value);
		buf_putc(b, ']');
	}
	buf_putc(b, ']');
	json_key(b, &first, "text");
	if (m != NULL)
		json_strn(b, m->text, m->text_len);
	else
		buf_puts(b, "null");
	buf_putc(b, '}');
	message_free(&m);
	free(raw);
}

static void
case_show_text(struct buf *b, struct store *st, const struct store_case *c,
	       const struct store_event *ev, size_t n_ev,
	       const struct store_message_info *msgs, size_t n_msgs,
	       const struct store_job *jobs, size_t n_jobs,
	       const long long *links, size_t n_links,
	       const struct message_limits *lim)
{
	char t[CLOCK_ISO_LEN];

	buf_printf(b, "Case %lld  %s\n", c->id, c->subject ? c->subject : "");
	buf_printf(b, "  state:     %s\n", case_state_name(c->state));
	buf_printf(b, "  customer:  %s%s%s%s\n", c->customer_name ? c->customer_name : "",
		   c->customer_name ? " <" : "", c->customer ? c->customer : "-",
		   c->customer_name ? ">" : "");
	clock_format_iso8601(c->created, t);
	buf_printf(b, "  created:   %s\n", t);
	if (c->category != NULL)
		buf_printf(b, "  category:  %s (%s)%s%s\n", c->category,
			   c->label ? c->label : "", c->complaint ? "" : ", not a complaint: ",
			   c->complaint ? "" : outcome_name(caselife_outcome(c)));
	if (c->priority != PRIORITY_NONE)
		buf_printf(b, "  priority:  %s\n", priority_name(c->priority));
	if (c->tags != NULL && *c->tags != '\0')
		buf_printf(b, "  tags:      %s\n", c->tags);
	buf_printf(b, "  owner:     %s\n", c->owner != NULL ? c->owner : "-");
	if (c->merged_into > 0)
		buf_printf(b, "  merged into case %lld\n", c->merged_into);
	for (size_t i = 0; i < n_links; i++)
		buf_printf(b, "%s%lld%s", i == 0 ? "  linked:    " : ", ", links[i],
			   i + 1 == n_links ? "\n" : "");
	if (c->rules != NULL && strcmp(c->rules, "[]") != 0)
		buf_printf(b, "  rules:     %s (rules version %s)\n", c->rules,
			   c->rules_version ? c->rules_version : "?");
	if (c->first_response_due) {
		clock_format_iso8601(c->first_response_due, t);
		buf_printf(b, "  first response due: %s%s\n", t,
			   c->first_response_breached ? "  BREACHED" : "");
	}
	if (c->resolution_due) {
		clock_format_iso8601(c->resolution_due, t);
		buf_printf(b, "  resolution due:     %s%s\n", t,
			   c->resolution_breached ? "  BREACHED" : "");
	}
	if (c->held_reason != NULL)
		buf_printf(b, "  held:      %s\n", c->held_reason);
	if (c->reply_note != NULL)
		buf_printf(b, "  reply:     %s\n", c->reply_note);
	if (c->resolution_cause != NULL)
		buf_printf(b, "  cause:     %s\n", c->resolution_cause);
	buf_puts(b, "\nEvents:\n");
	for (size_t i = 0; i < n_ev; i++) {
		clock_format_iso8601(ev[i].at, t);
		buf_printf(b, "  %s  %-12s %-10s %s\n", t, ev[i].kind,
			   ev[i].author != NULL ? ev[i].author : "redress",
			   ev[i].detail ? ev[i].detail : "");
	}
	buf_puts(b, "\nJobs:\n");
	for (size_t i = 0; i < n_jobs; i++) {
		clock_format_iso8601(jobs[i].due, t);
		buf_printf(b, "  #%lld %-11s %-10s due %s  attempts %d%s%s\n", jobs[i].id,
			   job_kind_name(jobs[i].kind), job_state_name(jobs[i].state), t,
			   jobs[i].attempts,
			   jobs[i].last_error ? "  last error: " : "",
			   jobs[i].last_error ? jobs[i].last_error : "");
	}
	for (size_t i = 0; i < n_msgs; i++) {
		char *raw = NULL, *error = NULL;
		size_t len = 0;
		struct message *m = NULL;

		clock_format_iso8601(msgs[i].received, t);
		buf_printf(b, "\nMessage %zu (%s, %s, %zu bytes, %s)\n", i + 1,
			   msgs[i].direction, msgs[i].source ? msgs[i].source : "-",
			   msgs[i].size, t);
		if (store_message_raw(st, msgs[i].id, &raw, &len, &error) > 0)
			m = message_parse(raw, len, lim);
		free(error);
		if (m != NULL) {
			if (m->from.addr != NULL)
				buf_printf(b, "From: %s%s%s%s\n", m->from.name ? m->from.name : "",
					   m->from.name ? " <" : "", m->from.addr,
					   m->from.name ? ">" : "");
			buf_printf(b, "Subject: %s\n", m->subject);
			if (m->problem != NULL)
				buf_printf(b, "Held: %s\n", m->problem);
			buf_putc(b, '\n');
			buf_append(b, m->text, m->text_len);
			if (m->text_len > 0 && m->text[m->text_len - 1] != '\n')
				buf_putc(b, '\n');
		}
		message_free(&m);
		free(raw);
	}
}

static int
case_show(struct app *app, struct store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raw", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const struct message_limits *lim = &app->cfg->intake_limits;
	const char *raw = NULL;
	struct store_case cs, *c = &cs;
	struct store_event *ev = NULL;
	struct store_message_info *msgs = NULL;
	struct store_job *jobs = NULL;
	long long *links = NULL;
	size_t n_ev = 0, n_msgs = 0, n_jobs = 0, n_links = 0;
	char *error = NULL;
	long long id;
	struct buf b;
	int ch, r;

	store_case_init(c);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (ch != 'r')
			return cmd_usage(case_usage);
		raw = optarg;
	}
	if (optind + 1 != argc)
		return cmd_usage(case_usage);
	if (cmd_id_arg("case show", "case", argv[optind], &id) != EX_OK)
		return EX_USAGE;
	r = store_case_get(st, id, c, &error);
	if (r < 0) {
		log_error("%s", error);
		free(error);
		return EX_SOFTWARE;
	}
	if (r == 0)
		return cmd_no_such("case", id);
	if (raw != NULL) {
		store_case_clear(c);
		return case_show_raw(st, id, raw);
	}
	if (store_case_events(st, id, &ev, &n_ev, &error) < 0 ||
	    store_case_messages(st, id, &msgs, &n_msgs, &error) < 0 ||
	    store_jobs_list(st, id, &jobs, &n_jobs, &error) < 0 ||
	    store_case_links(st, id, &links, &n_links, &error) < 0) {
		log_error("%s", error);
		free(error);
		store_events_free(&ev, n_ev);
		store_message_infos_free(&msgs, n_msgs);
		store_jobs_free(&jobs, n_jobs);
		store_case_clear(c);
		return EX_SOFTWARE;
	}
	buf_init(&b, BUF_NO_LIMIT);
	if (app->json) {
		bool first = true;

		buf_putc(&b, '{');
		case_json_fields(&b, c, &first);
		json_key(&b, &first, "rules");
		buf_puts(&b, c->rules != NULL ? c->rules : "[]");
		json_key(&b, &first, "rules_version");
		json_str(&b, c->rules_version);
		json_key(&b, &first, "events");
		buf_putc(&b, '[');
		for (size_t i = 0; i < n_ev; i++) {
			bool f2 = true;

			buf_puts(&b, i > 0 ? ",{" : "{");
			json_key(&b, &f2, "at");
			json_time(&b, ev[i].at);
			json_key(&b, &f2, "kind");
			json_str(&b, ev[i].kind);
			json_key(&b, &f2, "detail");
			json_str(&b, ev[i].detail);
			json_key(&b, &f2, "author");
			json_str(&b, ev[i].author);
			buf_putc(&b, '}');
		}
		buf_putc(&b, ']');
		json_key(&b, &first, "messages");
		buf_putc(&b, '[');
		for (size_t i = 0; i < n_msgs; i++) {
			if (i > 0)
				buf_putc(&b, ',');
			case_show_message_json(&b, st, &msgs[i], lim);
		}
		buf_putc(&b, ']');
		json_key(&b, &first, "linked");
		buf_putc(&b, '[');
		for (size_t i = 0; i < n_links; i++) {
			if (i > 0)
				buf_putc(&b, ',');
			json_int(&b, links[i]);
		}
		buf_putc(&b, ']');
		json_key(&b, &first, "jobs");
		cmd_jobs_json(&b, jobs, n_jobs);
		buf_puts(&b, "}\n");
	} else {
		case_show_text(&b, st, c, ev, n_ev, msgs, n_msgs, jobs, n_jobs, links, n_links,
			       lim);
	}
	cmd_print(&b);
	store_events_free(&ev, n_ev);
	store_message_infos_free(&msgs, n_msgs);
	store_jobs_free(&jobs, n_jobs);
	free(links);
	store_case_clear(c);
	return EX_OK;
}

/*
 * "case respond|wait|resolve|reopen ID": argv[0] is the action.  Each runs
 * in one transaction: the case, its event and any job it schedules (the
 * follow-up after resolution, for a complaint) are stored together or not
 * at all.  Reopening clears the resolution cause (caselife.c).
 */
static int
case_change(struct app *app, struct store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cause", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	enum caselife_action a;
	const char *cause = NULL, *author;
	struct store_case cs, *c = &cs;
	char *error = NULL;
	long long id;
	int ch, r, ret = EX_OK;

	store_case_init(c);
	if (caselife_action_parse(argv[0], &a) < 0 || a == CASELIFE_ACK_SENT ||
	    a == CASELIFE_CLOSE) {
		fprintf(stderr, "redress: case: unknown action \"%s\"; see redress case --help\n",
			argv[0]);
		return EX_USAGE;
	}
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (ch != 'c' || a != CASELIFE_RESOLVE) {
			fprintf(stderr, "redress: case %s ID%s\n", argv[0],
				a == CASELIFE_RESOLVE ? " [--cause TEXT]" : "");
			return EX_USAGE;
		}
		cause = optarg;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "redress: usage: redress case %s ID%s\n", argv[0],
			a == CASELIFE_RESOLVE ? " [--cause TEXT]" : "");
		return EX_USAGE;
	}
	{
		char *what = xasprintf("case %s", argv[0]);
		int bad = cmd_id_arg(what, "case", argv[optind], &id);

		free(what);
		if (bad != EX_OK)
			return bad;
	}
	if (cmd_author(&author) != EX_OK)
		return EX_USAGE;
	if (store_begin(st, &error) < 0)
		goto fail;
	r = store_case_get(st, id, c, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: no case %lld\n", id);
		return EX_NOINPUT;
	}
	r = caselife_apply_by(st, app->cfg->sla, c, a,
			      a == CASELIFE_RESOLVE ? cause : "by hand", author, app->now,
			      &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		store_case_clear(c);
		return EX_DATAERR;
	}
	/* Only a complaint is followed up: a question or praise resolved by
	 * hand gets no "is everything sorted now?". */
	if ((caselife_outcome(c) == OUTCOME_COMPLAINT &&
	     outbox_after_change(st, app->cfg, c, a, app->now, &error) < 0) ||
	    store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0)
		printf("case %lld is %s\n", c->id, case_state_name(c->state));
	store_case_clear(c);
	return ret;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	store_case_clear(c);
	return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

/* The longest reply body, as compose takes it. */
#define CASE_REPLY_MAX COMPOSE_MAX_BODY

/* Runs ${VISUAL:-${EDITOR:-vi}} on path, with our terminal: EX_OK, or
 * EX_SOFTWARE/EX_UNAVAILABLE after saying why. */
static int
case_edit(const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		fprintf(stderr, "redress: case reply: cannot start the editor: %s\n",
			strerror(errno));
		return EX_OSERR;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec ${VISUAL:-${EDITOR:-vi}} \"$1\"", "sh",
		      path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "redress: case reply: the editor failed (%s %d): nothing "
			"is sent\n", WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return EX_UNAVAILABLE;
	}
	return EX_OK;
}

/* Lines of a draft that are our instructions, not the reply. */
#define CASE_DRAFT_MARK "#redress: "

/*
 * The draft in $EDITOR: the template's text (or nothing), then the
 * customer's last message quoted, under our instructions; what the agent
 * leaves (instructions dropped) is the body.  EX_OK and *body_r, or an
 * exit code after saying why.
 */
static int
case_draft(const char *start, const char *quote, char **body_r)
{
	char path[] = "/tmp/redress-reply-XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char *p = NULL, *data = NULL;
	struct buf b, d;
	size_t len;
	int fd, ret;
	FILE *f;

	if (tmp != NULL && *tmp != '\0')
		p = xasprintf("%s/redress-reply-XXXXXX", tmp);
	fd = mkstemp(p != NULL ? p : path);
	if (fd < 0) {
		fprintf(stderr, "redress: case reply: cannot make a draft: %s\n", strerror(errno));
		free(p);
		return EX_CANTCREAT;
	}
	f = fdopen(fd, "w");
	fprintf(f, CASE_DRAFT_MARK "Write the reply above the quote.  Lines starting with\n"
		CASE_DRAFT_MARK "\"#redress:\" are left out; an empty reply sends nothing.\n");
	if (start != NULL)
		fputs(start, f);
	fputs("\n", f);
	if (quote != NULL)
		fputs(quote, f);
	if (fclose(f) != 0) {
		ret = EX_IOERR;
		goto out;
	}
	ret = case_edit(p != NULL ? p : path);
	if (ret != EX_OK)
		goto out;
	if (file_read(p != NULL ? p : path, CASE_REPLY_MAX + 1, &data, &len, NULL) < 0) {
		fprintf(stderr, "redress: case reply: cannot read the draft: %s\n", strerror(errno));
		ret = EX_IOERR;
		goto out;
	}
	buf_init(&d, BUF_NO_LIMIT);
	buf_append(&d, data, len);
	buf_init(&b, BUF_NO_LIMIT);
	for (const char *q = buf_str(&d); *q != '\0';) {
		size_t n = strcspn(q, "\n");

		if (strncmp(q, CASE_DRAFT_MARK, strlen(CASE_DRAFT_MARK)) != 0) {
			buf_append(&b, q, n);
			buf_putc(&b, '\n');
		}
		q += n;
		if (*q == '\n')
			q++;
	}
	buf_free(&d);
	*body_r = buf_steal(&b, NULL);
out:
	unlink(p != NULL ? p : path);
	free(p);
	free(data);
	return ret;
}

/* True when the body has nothing but blanks and quoted lines. */
static bool
case_reply_empty(const char *body)
{
	for (const char *p = body; *p != '\0';) {
		size_t n = strcspn(p, "\n"), sp = strspn(p, " \t\r");

		if (sp < n && p[sp] != '>' && !(strncmp(p + sp, "On ", 3) == 0 &&
						  n > 7 && strncmp(p + n - 7, " wrote:", 7) == 0))
			return false;
		p += n;
		if (*p == '\n')
			p++;
	}
	return true;
}

/*
 * "case reply ID [--file F] [--template NAME] [--edit] [--cc ADDR]...":
 * the body from F ("-": standard input), or a draft in $EDITOR (with
 * --edit, or when standard input is a terminal) starting from the
 * template and the customer's last message quoted, or standard input;
 * with --template and neither --edit nor a terminal, the rendered template
 * itself.  Queued through the outbox (reply.h) in one transaction with
 * the case's move; "redress send" delivers it.
 */
static int
case_reply(struct app *app, struct store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "template", required_argument, NULL, 't' },
		{ "cc", required_argument, NULL, 'c' },
		{ "edit", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *tmpl = NULL, *author, *cc[REPLY_MAX_CC];
	struct reply_input in = { 0 };
	struct identity *idn = NULL;
	struct outbox *ob = NULL;
	struct message *last = NULL;
	struct store_case cs, *c = &cs;
	char *body = NULL, *start = NULL, *quote = NULL, *error = NULL;
	bool edit = false;
	size_t n_cc = 0, len = 0;
	long long id, msg_id = 0;
	int ch, r, ret = EX_USAGE;

	store_case_init(c);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "f:t:c:e", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': file = optarg; break;
		case 't': tmpl = optarg; break;
		case 'e': edit = true; break;
		case 'c':
			if (n_cc == REPLY_MAX_CC || !compose_address_ok(optarg)) {
				fprintf(stderr, "redress: case reply: --cc %s: %s\n", optarg,
					n_cc == REPLY_MAX_CC ? "too many (10 at most)"
					: "not a plain address (like someone@example.com)");
				return EX_USAGE;
			}
			cc[n_cc++] = optarg;
			break;
		default:
			fputs(case_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc || (file != NULL && (edit || tmpl != NULL))) {
		fprintf(stderr, "redress: usage: redress case reply ID [--file F | [--template "
			"NAME] [--edit]] [--cc ADDR]...\n");
		return EX_USAGE;
	}
	if (cmd_id_arg("case reply", "case", argv[optind], &id) != EX_OK ||
	    cmd_author(&author) != EX_OK)
		return EX_USAGE;
	r = store_case_get(st, id, c, &error);
	if (r <= 0) {
		if (r < 0)
			goto fail;
		return cmd_no_such("case", id);
	}
	if (identity_new(app->cfg, st, &idn, &error) < 0)
		goto fail;
	/* The body. */
	if (file != NULL) {
		bool big = false;
		int rr = strcmp(file, "-") == 0
			 ? file_read_fd(0, CASE_REPLY_MAX, true, &body, &len, &big)
			 : file_read(file, CASE_REPLY_MAX, &body, &len, &big);

		if (rr < 0) {
			fprintf(stderr, "redress: case reply: %s: %s\n", file, strerror(errno));
			ret = EX_NOINPUT;
			goto out;
		}
		if (big) {
			fprintf(stderr, "redress: case reply: %s: more than 1 MiB\n", file);
			ret = EX_DATAERR;
			goto out;
		}
	} else {
		if (!edit && tmpl == NULL && !isatty(0)) {
			bool big = false;

			if (file_read_fd(0, CASE_REPLY_MAX, true, &body, &len, &big) < 0 || big) {
				fprintf(stderr, "redress: case reply: standard input: %s\n",
					big ? "more than 1 MiB" : strerror(errno));
				ret = big ? EX_DATAERR : EX_IOERR;
				goto out;
			}
		} else {
			if (tmpl != NULL) {
				if (outbox_new(app->cfg, idn, st, true, &ob, &error) < 0 ||
				    outbox_render_named(ob, c, tmpl, app->now, &start, &error) < 0) {
					fprintf(stderr, "redress: case reply: --template %s: %s\n",
						tmpl, error);
					ret = EX_DATAERR;
					goto out;
				}
			}
			if (edit || isatty(0)) {
				if (reply_last_inbound(st, id, &app->cfg->intake_limits, &last,
						       &error) < 0)
					goto fail;
				if (last != NULL)
					quote = reply_quote(last);
				ret = case_draft(start, quote, &body);
				if (ret != EX_OK)
					goto out;
			} else {
				body = start;
				start = NULL;
			}
		}
	}
	if (body == NULL || !utf8_valid(body, strlen(body)) ||
	    strlen(body) != (file != NULL || (!edit && tmpl == NULL) ? len : strlen(body))) {
		fprintf(stderr, "redress: case reply: the text is not UTF-8 text\n");
		ret = EX_DATAERR;
		goto out;
	}
	if (case_reply_empty(body)) {
		fprintf(stderr, "redress: case reply: the reply is empty: nothing is sent\n");
		ret = EX_DATAERR;
		goto out;
	}
	in.body = body;
	in.cc = cc;
	in.n_cc = n_cc;
	in.author = author;
	store_case_clear(c);
	if (store_begin(st, &error) < 0)
		goto fail;
	/* Read again inside the transaction: the case may have moved. */
	r = store_case_get(st, id, c, &error);
	if (r > 0)
		r = reply_queue(st, app->cfg, idn, c, &in, app->now, &msg_id, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: case reply: %s\n", error != NULL ? error : "no such case");
		free(error);
		ret = EX_DATAERR;
		goto out;
	}
	if (store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0)
		printf("case %lld: reply queued to %s%s (message %lld); \"redress send\" "
		       "delivers it\n", id, c->customer, n_cc > 0 ? " and Cc" : "", msg_id);
	ret = EX_OK;
	goto out;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	ret = store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
out:
	message_free(&last);
	outbox_free(&ob);
	identity_free(&idn);
	store_case_clear(c);
	free(body);
	free(start);
	free(quote);
	return ret;
}

/*
 * "case merge INTO FROM" (merge.h) and "case link A B": two cases, one
 * transaction, events by their author.
 */
static int
case_pair(struct app *app, struct store *st, int argc, char **argv)
{
	bool merge = strcmp(argv[0], "merge") == 0;
	const char *author;
	char *error = NULL, *what;
	long long a, b;
	int r, ret;

	if (argc != 3) {
		fprintf(stderr, "redress: usage: redress case %s\n",
			merge ? "merge INTO FROM" : "link A B");
		return EX_USAGE;
	}
	what = xasprintf("case %s", argv[0]);
	ret = cmd_id_arg(what, "case", argv[1], &a);
	if (ret == EX_OK)
		ret = cmd_id_arg(what, "case", argv[2], &b);
	free(what);
	if (ret != EX_OK || cmd_author(&author) != EX_OK)
		return EX_USAGE;
	if (store_begin(st, &error) < 0)
		goto fail;
	if (merge) {
		r = merge_cases(st, a, b, author, app->now, &error);
	} else if (a == b) {
		error = xasprintf("case %lld cannot be linked to itself", a);
		r = 0;
	} else {
		struct store_case ca, cb;
		int ra = store_case_get(st, a, &ca, &error), rb = 0;

		if (ra > 0)
			rb = store_case_get(st, b, &cb, &error);
		r = ra < 0 || rb < 0 ? -1 : 1;
		if (r > 0 && (ra == 0 || rb == 0)) {
			error = xasprintf("no case %lld", ra == 0 ? a : b);
			r = 0;
		}
		if (ra > 0)
			store_case_clear(&ca);
		if (rb > 0)
			store_case_clear(&cb);
		if (r > 0) {
			char *da = xasprintf("with case %lld", b), *db = xasprintf("with case %lld", a);

			r = store_case_link(st, a, b, app->now, author, &error);
			if (r > 0 &&
			    (store_event_add_by(st, a, app->now, "linked", da, author, &error) < 0 ||
			     store_event_add_by(st, b, app->now, "linked", db, author, &error) < 0))
				r = -1;
			else if (r == 0)
				r = 2;  /* linked already: nothing to do */
			free(da);
			free(db);
		}
	}
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: case %s: %s\n", argv[0], error);
		ret = strncmp(error, "no case ", 8) == 0 ? EX_NOINPUT : EX_DATAERR;
		free(error);
		return ret;
	}
	if (store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0) {
		if (merge)
			printf("case %lld merged into case %lld\n", b, a);
		else
			printf("cases %lld and %lld %s linked\n", a, b, r == 2 ? "were already" : "are");
	}
	return EX_OK;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

/* The longest note: a note is a few lines, not a mailbox. */
#define CASE_NOTE_MAX (64 * 1024)

/*
 * "case note ID TEXT", "case assign ID AGENT", "case unassign ID": what a
 * person writes on a case or who owns it.  One transaction each: the case
 * (for an owner) and its event, which records who did it (cmd_author).
 * A note is for the team: it is an event, never a job, so nothing of it
 * is ever sent.
 */
static int
case_person(struct app *app, struct store *st, int argc, char **argv)
{
	const char *verb = argv[0], *arg = NULL, *author;
	bool note = strcmp(verb, "note") == 0, assign = strcmp(verb, "assign") == 0;
	int want = note || assign ? 3 : 2;
	struct store_case cs, *c = &cs;
	char *error = NULL, *what, *prev = NULL;
	const char *kind = NULL;
	long long id;
	int r, ret;

	store_case_init(c);
	if (argc != want || (argc > 1 && argv[1][0] == '-' && argv[1][1] != '\0')) {
		fprintf(stderr, "redress: usage: redress case %s ID%s\n", verb,
			note ? " TEXT" : assign ? " AGENT" : "");
		return EX_USAGE;
	}
	what = xasprintf("case %s", verb);
	ret = cmd_id_arg(what, "case", argv[1], &id);
	free(what);
	if (ret != EX_OK)
		return ret;
	if (want == 3)
		arg = argv[2];
	if (note && (*arg == '\0' || strlen(arg) > CASE_NOTE_MAX)) {
		fprintf(stderr, "redress: case note: the text is %s\n",
			*arg == '\0' ? "empty" : "longer than 64 KiB");
		return EX_USAGE;
	}
	if (assign && !config_agent_name_ok(arg)) {
		fprintf(stderr, "redress: case assign: \"%.64s\": an agent's name is 1 to 64 "
			"letters, digits and . _ - + @\n", arg);
		return EX_USAGE;
	}
	if (cmd_author(&author) != EX_OK)
		return EX_USAGE;
	if (store_begin(st, &error) < 0)
		goto fail;
	r = store_case_get(st, id, c, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		return cmd_no_such("case", id);
	}
	if (note) {
		kind = "note";
	} else if (assign) {
		if (c->owner == NULL || strcmp(c->owner, arg) != 0) {
			free(c->owner);
			c->owner = xstrdup(arg);
			kind = "assigned";
		}
	} else if (c->owner != NULL) {
		/* The event keeps who owned it. */
		prev = c->owner;
		c->owner = NULL;
		arg = prev;
		kind = "unassigned";
	}
	if (kind == NULL) {
		store_rollback(st);
		if (app->verbose >= 0)
			printf("case %lld %s\n", id, assign ? "is already theirs" : "has no owner");
		store_case_clear(c);
		return EX_OK;
	}
	if (!note) {
		/* Mail to staff already queued follows the case to its owner. */
		c->updated = app->now;
		if (store_case_update(st, c, &error) < 0 ||
		    store_jobs_reroute_staff(st, id, config_escalate_for(app->cfg, c->owner)->addr,
					     NULL, &error) < 0)
			goto fail;
	}
	if (store_event_add_by(st, id, app->now, kind, arg, author, &error) < 0 ||
	    store_commit(st, &error) < 0)
		goto fail;
	free(prev);
	if (assign && config_agent(app->cfg, c->owner) == NULL)
		fprintf(stderr, "redress: case assign: %s has no address in [agents]: the "
			"case's escalations go to [smtp] escalate_to\n", c->owner);
	if (app->verbose >= 0) {
		if (note)
			printf("case %lld: note added\n", id);
		else
			printf("case %lld: %s\n", id, assign ? c->owner : "unassigned");
	}
	store_case_clear(c);
	return EX_OK;
fail:
	log_error("%s", error);
	free(error);
	free(prev);
	store_rollback(st);
	store_case_clear(c);
	return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

int
cmd_case(struct app *app, int argc, char **argv)
{
	struct store *st = NULL;
	int ret;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc >= 2) {
			fputs(case_usage, stdout);
			return EX_OK;
		}
		return cmd_usage(case_usage);
	}
	if (cmd_wants_help(argc, argv)) {
		fputs(case_usage, stdout);
		return EX_OK;
	}
	ret = cmd_open_store(app, &st);
	if (ret != EX_OK) {
		store_close(&st);
		return ret;
	}
	if (strcmp(argv[1], "list") == 0)
		ret = case_list(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "show") == 0)
		ret = case_show(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "recategorize") == 0 || strcmp(argv[1], "complaint") == 0)
		ret = cmd_case_correct(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "merge") == 0 || strcmp(argv[1], "link") == 0)
		ret = case_pair(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "reply") == 0)
		ret = case_reply(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "note") == 0 || strcmp(argv[1], "assign") == 0 ||
		 strcmp(argv[1], "unassign") == 0)
		ret = case_person(app, st, argc - 1, argv + 1);
	else
		ret = case_change(app, st, argc - 1, argv + 1);
	store_close(&st);
	return ret;
}

