/*
 * NAME
 *	cmd_case - "redress case list|show|respond|wait|resolve|reopen"
 *	and the dispatch of every "redress case" subcommand
 * DESCRIPTION
 *	list and show print what the store holds about cases, as text for
 *	people or JSON (with the global --json) for scripts, in the shapes the
 *	contract fixes (doc/contract.md).  "case show ID --raw N" prints the
 *	Nth stored message of a case byte for byte as it was received.
 *
 *	respond, wait, resolve and reopen are the moves a person makes on a
 *	case by hand (caselife.h): each in one transaction with its event and
 *	the follow-up it schedules.  spam and release are a person's word on
 *	the traffic verdict (hygiene.h).  The agents' commands (reply, note,
 *	assign, merge, link) are in cmd_case_agent.c, the corrections
 *	(recategorize, complaint) in cmd_case_correct.c.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/xmem.h"
#include "case/caselife.h"
#include "case/hygiene.h"
#include "case/identity.h"
#include "case/outbox.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"
#include "mail/message.h"
#include "policy/sla.h"
#include "store/store.h"

const char cmd_case_usage[] =
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
"       redress case spam ID | release ID\n"
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
"spam: quarantine the case as spam, suppressing every job still queued.\n"
"release: take a quarantined or informational case as ok from now on:\n"
"  it is acknowledged and clocked as if it had just arrived.\n"
"Moves, notes and assignments record their author: $REDRESS_AGENT, else\n"
"  the login name.\n"
"States: new acknowledged responded waiting resolved closed held merged\n"
"  quarantined informational.\n";

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
	json_key(b, first, "traffic");
	json_str(b, verdict_name(c->traffic));
	json_key(b, first, "traffic_reasons");
	buf_puts(b, c->traffic_reasons != NULL ? c->traffic_reasons
		 : c->traffic != VERDICT_NONE ? "[]" : "null");
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
			fputs(cmd_case_usage, stderr);
			goto out;
		}
	}
	if (optind != argc) {
		fputs(cmd_case_usage, stderr);
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
		buf_printf(&b, "%-7s %-13s %-7s %-8s %-12s %-10s %-20s %-16s %-28s %s\n", "ID",
			   "STATE", "TRAFFIC", "PRIORITY", "CATEGORY", "OWNER", "CREATED",
			   "TIME LEFT", "CUSTOMER", "SUBJECT");
		for (size_t i = 0; i < n; i++) {
			const struct store_case *k = &cases[i];
			char created[CLOCK_ISO_LEN], left[64];

			clock_format_iso8601(k->created, created);
			case_left_text(app, k, left, sizeof(left));
			buf_printf(&b, "%-7lld %-13s %-7s %-8s %-12s %-10s %-20s %-16s %-28.28s %s%s\n",
				   k->id, case_state_name(k->state),
				   k->traffic != VERDICT_NONE ? verdict_name(k->traffic) : "-",
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
	if (c->traffic != VERDICT_NONE)
		buf_printf(b, "  traffic:   %s%s%s\n", verdict_name(c->traffic),
			   c->traffic_reasons != NULL && strcmp(c->traffic_reasons, "[]") != 0
			   ? " " : "",
			   c->traffic_reasons != NULL && strcmp(c->traffic_reasons, "[]") != 0
			   ? c->traffic_reasons : "");
	if (c->category != NULL && !c->complaint && caselife_outcome(c) == OUTCOME_COMPLAINT &&
	    c->traffic != VERDICT_NONE && c->traffic != VERDICT_OK)
		/* What the rules read; no complaint while it is not ok mail. */
		buf_printf(b, "  category:  %s (%s), not counted: %s mail\n", c->category,
			   c->label ? c->label : "", verdict_name(c->traffic));
	else if (c->category != NULL)
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
			return cmd_usage(cmd_case_usage);
		raw = optarg;
	}
	if (optind + 1 != argc)
		return cmd_usage(cmd_case_usage);
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
	if (cmd_case_id_arg(argv[0], argv[optind], &id) != EX_OK ||
	    cmd_author(&author) != EX_OK)
		return EX_USAGE;
	r = cmd_case_begin(st, id, c, &error);
	if (r < 0)
		goto fail;
	if (r == 0)
		return EX_NOINPUT;
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

/* "case spam ID" and "case release ID": argv[0] is the word. */
static int
case_hygiene(struct app *app, struct store *st, int argc, char **argv)
{
	bool spam = strcmp(argv[0], "spam") == 0;
	struct store_case cs, *c = &cs;
	struct identity *id = NULL;
	const char *author = NULL;
	char *error = NULL;
	long long n;
	int r;

	store_case_init(c);
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "redress: usage: redress case %s ID\n", argv[0]);
		return EX_USAGE;
	}
	if (cmd_case_id_arg(argv[0], argv[1], &n) != EX_OK || cmd_author(&author) != EX_OK)
		return EX_USAGE;
	if (!spam && identity_new(app->cfg, st, &id, &error) < 0)
		goto fail;
	r = cmd_case_begin(st, n, c, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		identity_free(&id);
		return EX_NOINPUT;
	}
	r = spam ? hygiene_spam(st, c, app->now, author, &error)
		 : hygiene_release(st, app->cfg, id, c, app->now, author, &error);
	if (r < 0)
		goto fail;
	if (r == 0) {
		store_rollback(st);
		fprintf(stderr, "redress: %s\n", error);
		free(error);
		store_case_clear(c);
		identity_free(&id);
		return EX_DATAERR;
	}
	if (store_commit(st, &error) < 0)
		goto fail;
	if (app->verbose >= 0)
		printf("case %lld is %s (traffic %s)\n", c->id, case_state_name(c->state),
		       verdict_name(c->traffic));
	store_case_clear(c);
	identity_free(&id);
	return EX_OK;
fail:
	log_error("%s", error);
	free(error);
	store_rollback(st);
	store_case_clear(c);
	identity_free(&id);
	return store_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

int
cmd_case(struct app *app, int argc, char **argv)
{
	struct store *st = NULL;
	int ret;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc >= 2) {
			fputs(cmd_case_usage, stdout);
			return EX_OK;
		}
		return cmd_usage(cmd_case_usage);
	}
	if (cmd_wants_help(argc, argv)) {
		fputs(cmd_case_usage, stdout);
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
	else if (strcmp(argv[1], "spam") == 0 || strcmp(argv[1], "release") == 0)
		ret = case_hygiene(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "recategorize") == 0 || strcmp(argv[1], "complaint") == 0)
		ret = cmd_case_correct(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "merge") == 0 || strcmp(argv[1], "link") == 0)
		ret = cmd_case_pair(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "reply") == 0)
		ret = cmd_case_reply(app, st, argc - 1, argv + 1);
	else if (strcmp(argv[1], "note") == 0 || strcmp(argv[1], "assign") == 0 ||
		 strcmp(argv[1], "unassign") == 0)
		ret = cmd_case_person(app, st, argc - 1, argv + 1);
	else
		ret = case_change(app, st, argc - 1, argv + 1);
	store_close(&st);
	return ret;
}

