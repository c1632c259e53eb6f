/*
 * t_report - the report's counting where the store cannot drive it yet:
 * per-agent figures from owners (the store has no owners until issue 15;
 * report_add_owned takes one), the period's limits, the dates, the "*" of
 * a share from fewer than 5 cases, and the CSV's quoting and defusing.
 * tests/t_report_cmd.sh drives the whole command over a real store.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "case/report.h"
#include "policy/sla.h"
#include "store/store.h"
#include "tap.h"

#define MON_2_NOV 1793577600L            /* 2026-11-02T00:00:00Z, a Monday */
#define HOUR 3600L

static struct sla_calendar *cal;

static void
period(struct report_period *p, long days)
{
	memset(p, 0, sizeof(*p));
	p->since = MON_2_NOV;
	p->until = MON_2_NOV + days * REPORT_DAY;
	p->now = p->until + 12 * HOUR;
	p->cal = cal;
	p->by = REPORT_BY_DAY;
	p->warn_percent = 80;
}

/* A normal-priority case created at t (Tuesday 3 November 09:00 plus
 * days), answered after fr hours (0: not), in a 1d/5d SLA. */
static void
mkcase(struct store_case *c, long long id, long day, long fr, const char *category)
{
	time_t t = MON_2_NOV + (1 + day) * REPORT_DAY + 9 * HOUR;

	store_case_init(c);
	c->id = id;
	c->state = fr > 0 ? CASE_RESPONDED : CASE_NEW;
	c->created = t;
	c->complaint = true;
	c->category = (char *)category;
	c->subject = (char *)"subject";
	c->priority = PRIORITY_NORMAL;
	c->first_response_due = t + REPORT_DAY;   /* the next day at 09:00 */
	c->resolution_due = t + 7 * REPORT_DAY;
	if (fr > 0)
		c->first_response_at = t + fr * HOUR;
}

static void
test_agents(void)
{
	struct report_period p;
	struct report r;
	struct store_case c[5];
	char *error = NULL;
	struct buf b;

	period(&p, 14);
	ok(report_init(&r, &p, &error) == 0, "a 14-day period");
	mkcase(&c[0], 1, 0, 2, "billing");          /* ann, in time */
	mkcase(&c[1], 2, 1, 30, "billing");         /* ann, late */
	mkcase(&c[2], 3, 2, 4, "delivery");         /* <b>bob</b>, in time */
	mkcase(&c[3], 4, 3, 0, "delivery");         /* nobody, not answered */
	mkcase(&c[4], 5, 4, 0, "delivery");         /* ann, open and late */
	report_add_owned(&r, &c[2], "<b>bob</b>");
	report_add_owned(&r, &c[0], "ann");
	report_add_owned(&r, &c[1], "ann");
	report_add(&r, &c[3]);
	report_add_owned(&r, &c[4], "ann");
	c[4].subject = (char *)"red \033[31m alert";
	report_add_open_owned(&r, &c[3], NULL);
	report_add_open_owned(&r, &c[4], "ann");
	report_finish(&r);
	ok(r.owners_recorded, "owners are recorded");
	is_int((long long)r.n_agent, 2, "two agents");
	is_str(r.by_agent[0].name, "ann", "ann first (most cases), though bob came first");
	is_int((long long)r.by_agent[0].cases, 3, "ann has 3 cases");
	is_int((long long)r.by_agent[0].fr_done, 3, "3 first responses decided");
	is_int((long long)r.by_agent[0].fr_in_time, 1, "1 in time");
	is_int((long long)r.by_agent[0].open, 1, "ann has one case open now");
	is_int((long long)r.by_agent[0].open_breached, 1, "and it is breached");
	is_int((long long)r.by_agent[1].cases, 1, "bob has 1 case");
	is_int((long long)r.unowned, 1, "one case has no owner");
	is_int((long long)r.n_breached, 2, "two open cases are breached");

	buf_init(&b, BUF_NO_LIMIT);
	report_json(&r, &b);
	ok(strstr(buf_str(&b), "\"owners_recorded\":true") != NULL, "JSON: owners recorded");
	ok(strstr(buf_str(&b), "\"name\":\"ann\",\"cases\":3") != NULL, "JSON: ann's cases");
	buf_reset(&b);
	report_html(&r, &b);
	ok(strstr(buf_str(&b), "<td>&lt;b&gt;bob&lt;/b&gt;</td><td>1</td>") != NULL,
	   "HTML: an owner's name is escaped");
	ok(strstr(buf_str(&b), "No owners recorded") == NULL, "HTML: a per-agent table");
	buf_reset(&b);
	report_text(&r, &b);
	ok(strstr(buf_str(&b), "  000005  breached  first response  due ") != NULL,
	   "text: a case to chase");
	ok(strstr(buf_str(&b), "normal  red ?[31m alert\n") != NULL,
	   "text: a control character of a subject is shown as ?");
	buf_reset(&b);
	report_csv(&r, REPORT_CSV_AGENTS, &b);
	ok(strncmp(buf_str(&b), "agent,cases,", 12) == 0, "agents.csv: its header");
	ok(strstr(buf_str(&b), "\r\nann,3,3,1,33,") != NULL, "agents.csv: ann's row");
	buf_free(&b);
	report_clear(&r);
}

static void
test_no_owners(void)
{
	struct report_period p;
	struct report r;
	struct store_case c;
	char *error = NULL;
	struct buf b;

	period(&p, 7);
	ok(report_init(&r, &p, &error) == 0, "a week");
	mkcase(&c, 1, 0, 2, "billing");
	report_add(&r, &c);
	report_finish(&r);
	ok(!r.owners_recorded && r.unowned == 1, "report_add: the store has no owner yet");
	buf_init(&b, BUF_NO_LIMIT);
	report_html(&r, &b);
	ok(strstr(buf_str(&b), "No owners recorded") != NULL, "HTML: no owners recorded");
	buf_reset(&b);
	report_text(&r, &b);
	ok(strstr(buf_str(&b), " 100%* ") != NULL, "text: a share of one case has its *");
	buf_free(&b);
	report_clear(&r);
}

static void
test_period(void)
{
	struct report_period p;
	struct report r;
	char *error = NULL;

	period(&p, 0);
	ok(report_init(&r, &p, &error) < 0 && strstr(error, "empty") != NULL,
	   "an empty period is refused");
	free(error);
	error = NULL;
	period(&p, 401);
	ok(report_init(&r, &p, &error) < 0 && strstr(error, "--by week") != NULL,
	   "401 days by day are refused, with a hint");
	free(error);
	error = NULL;
	p.by = REPORT_BY_WEEK;
	ok(report_init(&r, &p, &error) == 0, "401 days by week are not");
	is_int((long long)r.n_buckets, 58, "58 weeks");
	report_clear(&r);
	period(&p, 14);
	p.since += 3 * REPORT_DAY;                /* Thursday 5 November */
	p.until += REPORT_DAY;                    /* to Monday 16 November */
	p.by = REPORT_BY_WEEK;
	ok(report_init(&r, &p, &error) == 0, "a period from a Thursday");
	is_int(report_bucket_day(&r, 0), 20759, "its first week starts on the Monday");
	is_int((long long)r.n_buckets, 3, "and it spans three weeks");
	is_int(report_fetch_since(&r), MON_2_NOV + 3 * REPORT_DAY - 12 * REPORT_DAY,
	       "the previous period is as long (12 days)");
	report_clear(&r);
}

static void
test_dates(void)
{
	char day[11];

	report_day(0, day);
	is_str(day, "1970-01-01", "day 0");
	report_day(-1, day);
	is_str(day, "1969-12-31", "day -1");
	report_day(19782, day);
	is_str(day, "2024-02-29", "a leap day");
	report_day(20759, day);
	is_str(day, "2026-11-02", "2 November 2026");
}

static void
test_csv(void)
{
	struct report_period p;
	struct report r;
	struct store_case c[3];
	char *error = NULL;
	struct buf b;

	period(&p, 7);
	ok(report_init(&r, &p, &error) == 0, "a week");
	mkcase(&c[0], 1, 0, 2, "=cmd|' /C calc'!A0");
	mkcase(&c[1], 2, 1, 2, "a, \"b\"");
	mkcase(&c[2], 3, 2, 2, "-2+3");
	for (int i = 0; i < 3; i++)
		report_add(&r, &c[i]);
	report_finish(&r);
	buf_init(&b, BUF_NO_LIMIT);
	report_csv(&r, REPORT_CSV_MAIN, &b);
	ok(strstr(buf_str(&b), "\r\ncategory,\"'=cmd|' /C calc'!A0\",1,") != NULL,
	   "a formula is quoted with an apostrophe in front");
	ok(strstr(buf_str(&b), "\r\ncategory,\"a, \"\"b\"\"\",1,") != NULL,
	   "a comma and quotes: quoted, the quotes doubled");
	ok(strstr(buf_str(&b), "\r\ncategory,\"'-2+3\",1,") != NULL, "a leading minus too");
	ok(strstr(buf_str(&b), "\r\nall,all,3,3,3,100,0,0,,2.00,\r\n") != NULL,
	   "the all row: numbers bare, an empty median empty");
	buf_free(&b);
	report_clear(&r);
}

int
main(void)
{
	char *error = NULL;

	if (sla_calendar_new("UTC", "mon-fri 09:00-17:00", "", &cal, &error) < 0) {
		diag("%s", error);
		return 1;
	}
	test_agents();
	test_no_owners();
	test_period();
	test_dates();
	test_csv();
	sla_calendar_free(&cal);
	return tap_exit();
}
