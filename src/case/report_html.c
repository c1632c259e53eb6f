/*
 * NAME
 *	report_html - the report as one web page
 * DESCRIPTION
 *	See report.h.  One self-contained page: inline CSS, inline SVG charts
 *	(report_svg.c), no script, nothing fetched; it reads on a phone and
 *	prints.  Every figure says its period, its totals and its n, and every
 *	share from fewer than REPORT_FEW cases says so.  All text is escaped:
 *	category names and causes come from the rules and from people, and
 *	subjects and addresses from customers.  (The [sla] zone's name is
 *	printed as it is: sla_calendar_new admits letters, digits and / _ - +
 *	only.)
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmem.h"
#include "case/report.h"
#include "case/report_int.h"
#include "policy/sla.h"

#define HTML_TOP 8                  /* categories drawn by name */
#define HTML_TREND_ROWS 10
#define HTML_MAX_ATTENTION 200

static const char *const html_palette[HTML_TOP] = {
	"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
	"#f0e442", "#4d4d4d",
};
static const char html_other[] = "#b3b3b3";
static const char *const html_priority_color[PRIORITY_COUNT] = {
	"#d55e00", "#e69f00", "#0072b2", "#56b4e9",
};

static const char html_style[] =
"body{font-family:system-ui,sans-serif;color:#222;max-width:62em;margin:0 auto;"
"padding:0 1em 2em;line-height:1.4;-webkit-print-color-adjust:exact;"
"print-color-adjust:exact}"
"h1{font-size:1.5em;margin:.8em 0 .2em}h2{font-size:1.15em;margin:0 0 .2em}"
"section{border-top:1px solid #ddd;padding:.8em 0;break-inside:avoid}"
".meta{color:#555;font-size:.9em;margin:.1em 0 .5em}"
".chart{width:100%;height:auto;max-height:22em;display:block}"
".chart text{font-size:12px;fill:#444}.chart .ylab{text-anchor:end}"
".chart .xlab,.chart .total,.chart .empty{text-anchor:middle}"
".chart .grid{stroke:#e3e3e3;stroke-width:1}"
".legend{list-style:none;padding:0;margin:.3em 0;font-size:.9em}"
".legend li{display:inline-block;margin-right:1em}"
".sw{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}"
".wrap{overflow-x:auto}table{border-collapse:collapse;margin:.4em 0;font-size:.92em}"
"td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}"
"td:first-child,th:first-child,td.l,th.l{text-align:left}th{background:#f3f3f3}"
"small{color:#555}.few{color:#a33}.breached{color:#a00;font-weight:bold}"
".risk{color:#a60}.pair{width:12em;height:1em}.totals{display:flex;flex-wrap:wrap;"
"gap:.4em 1.6em;padding:0;list-style:none}.totals b{font-size:1.3em}"
".subject{max-width:24em;overflow-wrap:anywhere;text-align:left}"
"@media print{body{max-width:none;font-size:10pt}section{page-break-inside:avoid}"
"a{color:inherit;text-decoration:none}.wrap{overflow:visible}table{font-size:8pt}}"
/* On a phone the 720-unit charts shrink by half: their text grows to stay
 * readable. */
"@media (max-width:40em){.chart text{font-size:19px}}";

void
report_html_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				break;
			buf_putc(b, (char)c);
		}
	}
}

void
report_html_legend(struct buf *b, size_t n_s, const struct report_series *s)
{
	buf_puts(b, "<ul class=\"legend\">");
	for (size_t i = 0; i < n_s; i++) {
		buf_printf(b, "<li><span class=\"sw\" style=\"background:%s\"></span>", s[i].color);
		report_html_escape(b, s[i].name);
		buf_puts(b, "</li>");
	}
	buf_puts(b, "</ul>\n");
}

static void
html_text(struct buf *b, const char *s)
{
	report_html_escape(b, s != NULL ? s : "-");
}

static void
html_iso(struct buf *b, time_t t)
{
	char iso[CLOCK_ISO_LEN];

	clock_format_iso8601(t, iso);
	buf_puts(b, iso);
}

/* "Cases created from ... to ... (N days)", capitalised or not. */
static void
html_period(struct buf *b, const struct report *r, bool capital)
{
	double days = (double)(r->p.until - r->p.since) / (double)REPORT_DAY;

	buf_puts(b, capital ? "Cases created from " : "cases created from ");
	html_iso(b, r->p.since);
	buf_puts(b, " to ");
	html_iso(b, r->p.until);
	buf_printf(b, " (%.*f days)", days == (long)days ? 0 : 1, days);
}

/* A share in a table cell: "75% 3 of 4", and "fewer than 5" when so. */
static void
html_share(struct buf *b, unsigned long part, unsigned long whole)
{
	if (whole == 0) {
		buf_puts(b, "<td data-part=\"0\" data-whole=\"0\">-</td>");
		return;
	}
	buf_printf(b, "<td data-part=\"%lu\" data-whole=\"%lu\">%.0f%% <small>%lu of %lu</small>",
		   part, whole, 100.0 * (double)part / (double)whole, part, whole);
	if (whole < REPORT_FEW)
		buf_puts(b, " <small class=\"few\">fewer than 5 cases</small>");
	buf_puts(b, "</td>");
}

static void
html_business(struct buf *b, long *v, size_t n)
{
	char cell[32];

	report_business(cell, sizeof(cell), report_median(v, n));
	buf_printf(b, "<td>%s</td>", cell);
}

static void
html_section(struct buf *b, const char *id, const char *title)
{
	buf_printf(b, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
}

/* ---- cases per day or week, by category ------------------------------ */

/* The series of a category: its rank among the most common, or "other". */
static size_t
html_series(const struct report_cause *cats, size_t n_cats, const char *name)
{
	size_t rank = 0;

	while (rank < n_cats && strcmp(cats[rank].cause, name) != 0)
		rank++;
	return rank < HTML_TOP ? rank : HTML_TOP;
}

static void
html_cases(struct buf *b, struct report *r)
{
	struct report_cause cats[REPORT_MAX_GROUPS];
	struct report_series s[HTML_TOP + 1];
	size_t n_cats = report_category_tally(r, cats), n_s = 0;
	char (*keys)[11] = xcalloc(r->n_buckets, sizeof(*keys));
	char (*labels)[11] = xcalloc(r->n_buckets, sizeof(*labels));
	const char **key = xcalloc(r->n_buckets, sizeof(*key));
	const char **label = xcalloc(r->n_buckets, sizeof(*label));
	unsigned long *v;
	bool week = r->p.by == REPORT_BY_WEEK;

	/* The most common categories by name, the rest as "other". */
	for (size_t i = 0; i < n_cats && i < HTML_TOP; i++)
		s[n_s++] = (struct report_series){ cats[i].cause, html_palette[i] };
	if (n_cats > HTML_TOP)
		s[n_s++] = (struct report_series){ "other", html_other };
	v = xcalloc(r->n_buckets * (n_s > 0 ? n_s : 1), sizeof(*v));
	for (size_t i = 0; i < r->n_buckets; i++) {
		report_day(report_bucket_day(r, i), keys[i]);
		memcpy(labels[i], keys[i] + 5, 6);
		key[i] = keys[i];
		label[i] = labels[i];
		for (size_t j = 0; j < r->n_category; j++)
			v[i * n_s + html_series(cats, n_cats, r->by_category[j].name)] +=
				r->per_bucket[i * REPORT_MAX_GROUPS + j];
	}
	html_section(b, "cases", week ? "Cases per week, by category"
				      : "Cases per day, by category");
	buf_puts(b, "<p class=\"meta\">");
	html_period(b, r, true);
	buf_printf(b, "; n = %lu cases (held ones apart: %lu); %s in %s, "
		   "labelled by their first day.</p>\n", r->all.cases, r->held,
		   week ? "weeks from Monday" : "days", sla_calendar_zone(r->p.cal));
	report_svg_bars(b, "cases", week ? "Cases per week, by category"
					 : "Cases per day, by category",
			r->n_buckets, key, label, n_s, s, v, "cases");
	report_html_legend(b, n_s, s);
	buf_puts(b, "</section>\n");
	free(v);
	free(keys);
	free(labels);
	free(key);
	free(label);
}

/* ---- SLA compliance per week and priority ----------------------------- */

static void
html_compliance(struct buf *b, struct report *r)
{
	struct report_series s[PRIORITY_COUNT];
	size_t n_s = 0, pr[PRIORITY_COUNT];
	size_t n = r->n_weeks;
	char (*keys)[11] = xcalloc(n, sizeof(*keys));
	char (*labels)[11] = xcalloc(n, sizeof(*labels));
	const char **key = xcalloc(n, sizeof(*key));
	const char **label = xcalloc(n, sizeof(*label));
	unsigned long *part[2], *whole[2], total[2] = { 0, 0 }, in_time[2] = { 0, 0 };
	static const char *const chart[2] = { "first-response-compliance",
					      "resolution-compliance" };

	for (size_t p = 0; p < PRIORITY_COUNT; p++) {
		bool any = false;

		for (size_t w = 0; w < n; w++) {
			const struct report_rate *x = &r->weekly[w * PRIORITY_COUNT + p];

			any = any || x->fr_done > 0 || x->res_done > 0;
		}
		if (any) {
			pr[n_s] = p;
			s[n_s++] = (struct report_series){ priority_name((enum priority)p),
							   html_priority_color[p] };
		}
	}
	for (int m = 0; m < 2; m++) {
		part[m] = xcalloc(n * PRIORITY_COUNT, sizeof(unsigned long));
		whole[m] = xcalloc(n * PRIORITY_COUNT, sizeof(unsigned long));
	}
	for (size_t w = 0; w < n; w++) {
		report_day(r->first_week + 7 * (long)w, keys[w]);
		memcpy(labels[w], keys[w] + 5, 6);
		key[w] = keys[w];
		label[w] = labels[w];
		for (size_t i = 0; i < n_s; i++) {
			const struct report_rate *x = &r->weekly[w * PRIORITY_COUNT + pr[i]];

			part[0][w * n_s + i] = x->fr_in_time;
			whole[0][w * n_s + i] = x->fr_done;
			part[1][w * n_s + i] = x->res_in_time;
			whole[1][w * n_s + i] = x->res_done;
			for (int m = 0; m < 2; m++) {
				total[m] += whole[m][w * n_s + i];
				in_time[m] += part[m][w * n_s + i];
			}
		}
	}
	html_section(b, "compliance", "SLA compliance per week and priority");
	buf_puts(b, "<p class=\"meta\">");
	html_period(b, r, true);
	buf_printf(b, ", by the week (from Monday, %s) each was created.  A point is the "
		   "share of decided clocks that were met (a clock still running in time "
		   "is not decided yet); a hollow point rests on fewer than 5 cases.</p>\n",
		   sla_calendar_zone(r->p.cal));
	for (int m = 0; m < 2; m++) {
		buf_printf(b, "<h3>%s</h3><p class=\"meta\">n = %lu decided, %lu in time",
			   m == 0 ? "First response" : "Resolution", total[m], in_time[m]);
		if (total[m] > 0)
			buf_printf(b, " (%.0f%%%s)", 100.0 * (double)in_time[m] / (double)total[m],
				   total[m] < REPORT_FEW ? ", fewer than 5 cases" : "");
		buf_puts(b, ".</p>\n");
		report_svg_shares(b, chart[m], m == 0 ? "First responses in time, percent"
						      : "Resolutions in time, percent",
				  n, key, label, n_s, s, part[m], whole[m]);
	}
	report_html_legend(b, n_s, s);
	/* The same as a table. */
	buf_puts(b, "<div class=\"wrap\"><table><tr><th>week from</th><th>priority</th>"
		 "<th>first response in time</th><th>resolved in time</th></tr>\n");
	for (size_t w = 0; w < n; w++)
		for (size_t i = 0; i < n_s; i++) {
			if (whole[0][w * n_s + i] == 0 && whole[1][w * n_s + i] == 0)
				continue;
			buf_printf(b, "<tr><td>%s</td><td class=\"l\">%s</td>", keys[w], s[i].name);
			html_share(b, part[0][w * n_s + i], whole[0][w * n_s + i]);
			html_share(b, part[1][w * n_s + i], whole[1][w * n_s + i]);
			buf_puts(b, "</tr>\n");
		}
	buf_puts(b, "</table></div></section>\n");
	for (int m = 0; m < 2; m++) {
		free(part[m]);
		free(whole[m]);
	}
	free(keys);
	free(labels);
	free(key);
	free(label);
}

/* ---- open backlog by age ------------------------------------------------ */

static void
html_backlog(struct buf *b, struct report *r)
{
	struct report_series s[PRIORITY_COUNT];
	unsigned long v[REPORT_AGE_BINS * PRIORITY_COUNT];

	for (size_t p = 0; p < PRIORITY_COUNT; p++)
		s[p] = (struct report_series){ priority_name((enum priority)p),
					       html_priority_color[p] };
	for (size_t i = 0; i < REPORT_AGE_BINS; i++)
		for (size_t p = 0; p < PRIORITY_COUNT; p++)
			v[i * PRIORITY_COUNT + p] = r->backlog[i][p];
	html_section(b, "backlog", "Open backlog by age");
	buf_puts(b, "<p class=\"meta\">The cases open (new, acknowledged, responded, "
		 "waiting) at ");
	html_iso(b, r->p.now);
	buf_printf(b, ", whatever the period, by the calendar time since they came in; "
		   "n = %lu open.</p>\n", r->backlog_total);
	report_svg_bars(b, "backlog", "Open cases by age and priority", REPORT_AGE_BINS,
			report_age_label, report_age_label, PRIORITY_COUNT, s, v, "open cases");
	report_html_legend(b, PRIORITY_COUNT, s);
	buf_puts(b, "</section>\n");
}

/* ---- distributions ------------------------------------------------------ */

static void
html_times(struct buf *b, struct report *r)
{
	static const struct report_series fr = { "first responses", "#0072b2" };
	static const struct report_series res = { "resolutions", "#009e73" };
	char med[32];

	html_section(b, "times", "Time to first response and to resolution "
		     "(business time)");
	buf_puts(b, "<p class=\"meta\">");
	html_period(b, r, true);
	buf_printf(b, ".  Business hours of the [sla] calendar (%s, its opening hours "
		   "and holidays), as the targets count them; a resolution's leaves out "
		   "the time waiting on the customer.</p>\n", sla_calendar_zone(r->p.cal));
	report_business(med, sizeof(med), report_median(r->all.fr_btimes, r->all.n_fr));
	buf_printf(b, "<h3>First response</h3><p class=\"meta\">n = %zu responded; "
		   "median %s business time.</p>\n", r->all.n_fr, med);
	report_svg_bars(b, "first-response-times",
			"First responses by business hours taken", REPORT_TIME_BINS,
			report_time_label, report_time_label, 1, &fr, r->fr_hist, "cases");
	report_business(med, sizeof(med), report_median(r->all.res_btimes, r->all.n_res));
	buf_printf(b, "<h3>Resolution</h3><p class=\"meta\">n = %zu resolved; "
		   "median %s business time.</p>\n", r->all.n_res, med);
	report_svg_bars(b, "resolution-times", "Resolutions by business hours taken",
			REPORT_TIME_BINS, report_time_label, report_time_label, 1, &res,
			r->res_hist, "cases");
	buf_puts(b, "<p class=\"meta\">Bins in business hours: 8 are one day of "
		 "09:00-17:00, 40 a five-day week.</p></section>\n");
}

/* ---- trends ------------------------------------------------------------- */

static void
html_trend(struct buf *b, const char *chart, const char *what,
	   const struct report_cause *now, size_t n, const struct report_cause *prev,
	   size_t n_prev)
{
	unsigned long max = 1;

	for (size_t i = 0; i < n && i < HTML_TREND_ROWS; i++) {
		unsigned long p = report_tally_get(prev, n_prev, now[i].cause);

		max = now[i].n > max ? now[i].n : max;
		max = p > max ? p : max;
	}
	if (n == 0) {
		buf_printf(b, "<p>No %s in this period.</p>\n", what);
		return;
	}
	buf_printf(b, "<div class=\"wrap\"><table><tr><th>%s</th><th>this period</th>"
		   "<th>previous</th><th>change</th><th class=\"l\">"
		   "<span class=\"sw\" style=\"background:#0072b2\"></span>this "
		   "<span class=\"sw\" style=\"background:#999\"></span>previous</th></tr>\n",
		   what);
	for (size_t i = 0; i < n && i < HTML_TREND_ROWS; i++) {
		unsigned long p = report_tally_get(prev, n_prev, now[i].cause);

		buf_puts(b, "<tr><td>");
		report_html_escape(b, now[i].cause);
		buf_printf(b, "</td><td>%lu</td><td>%lu</td><td>", now[i].n, p);
		if (p == 0)
			buf_puts(b, "new");
		else if (now[i].n == p)
			buf_puts(b, "=");
		else if (p < REPORT_FEW)
			buf_printf(b, "%s %+ld <small class=\"few\">(no %% from fewer than 5 "
				   "cases)</small>", now[i].n > p ? "\xe2\x96\xb2" : "\xe2\x96\xbc",
				   (long)now[i].n - (long)p);
		else
			buf_printf(b, "%s %+ld (%+.0f%%)", now[i].n > p ? "\xe2\x96\xb2" : "\xe2\x96\xbc",
				   (long)now[i].n - (long)p,
				   100.0 * ((double)now[i].n - (double)p) / (double)p);
		buf_puts(b, "</td><td class=\"l\">");
		report_svg_pair(b, chart, now[i].cause, now[i].n, p, max);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</table></div>\n");
	if (n > HTML_TREND_ROWS)
		buf_printf(b, "<p class=\"meta\">And %zu more.</p>\n", n - HTML_TREND_ROWS);
}

static void
html_trends(struct buf *b, struct report *r)
{
	struct report_cause cats[REPORT_MAX_GROUPS];
	size_t n_cats = report_category_tally(r, cats);
	unsigned long with_cause = 0;

	for (size_t i = 0; i < r->n_causes; i++)
		with_cause += r->causes[i].n;
	html_section(b, "trends", "Top categories and resolution causes, against the "
		     "previous period");
	buf_puts(b, "<p class=\"meta\">This period: ");
	html_period(b, r, false);
	buf_printf(b, ", n = %lu.  Previous period, as long: from ", r->all.cases);
	html_iso(b, r->prev_since);
	buf_printf(b, ", n = %lu.</p>\n<h3>Categories</h3>\n", r->prev_cases);
	html_trend(b, "categories", "category", cats, n_cats, r->prev_category,
		   r->n_prev_category);
	buf_printf(b, "<h3>Resolution causes</h3><p class=\"meta\">n = %lu cases resolved "
		   "with a cause this period (a reopened case's cause is not counted).</p>\n",
		   with_cause);
	html_trend(b, "causes", "cause", r->causes, r->n_causes, r->prev_causes,
		   r->n_prev_causes);
	buf_puts(b, "</section>\n");
}

/* ---- cases to chase ---------------------------------------------------- */

static void
html_attention(struct buf *b, struct report *r)
{
	html_section(b, "attention", "Breached and at-risk cases");
	buf_puts(b, "<p class=\"meta\">Open at ");
	html_iso(b, r->p.now);
	buf_printf(b, ", whatever the period: %lu breached (the running clock is past its "
		   "deadline), %lu at risk (%d%% or more of its business time gone), of %lu "
		   "open.  Breached first, then by deadline.</p>\n", r->n_breached,
		   r->n_at_risk, r->p.warn_percent, r->backlog_total);
	if (r->n_attention == 0) {
		buf_puts(b, "<p>None.</p></section>\n");
		return;
	}
	buf_puts(b, "<div class=\"wrap\"><table><tr><th>case</th><th>status</th>"
		 "<th>clock</th><th>due</th><th>used</th><th>priority</th><th>category</th>"
		 "<th>state</th><th>owner</th><th>customer</th><th>subject</th></tr>\n");
	for (size_t i = 0; i < r->n_attention && i < HTML_MAX_ATTENTION; i++) {
		const struct report_attention *a = &r->attention[i];

		buf_printf(b, "<tr id=\"case-%lld\" data-case=\"%lld\" data-status=\"%s\">"
			   "<td><a href=\"#case-%lld\">%06lld</a></td><td class=\"%s\">%s</td>"
			   "<td class=\"l\">%s</td><td>", a->id, a->id,
			   a->breached ? "breached" : "at risk", a->id, a->id,
			   a->breached ? "breached" : "risk", a->breached ? "breached" : "at risk",
			   a->clock);
		html_iso(b, a->due);
		buf_printf(b, "</td><td>%d%%</td><td class=\"l\">%s</td><td class=\"l\">",
			   a->used_percent,
			   a->priority != PRIORITY_NONE ? priority_name(a->priority) : "-");
		html_text(b, a->category);
		buf_printf(b, "</td><td class=\"l\">%s</td><td class=\"l\">",
			   case_state_name(a->state));
		html_text(b, a->owner);
		buf_puts(b, "</td><td class=\"l\">");
		html_text(b, a->customer);
		buf_puts(b, "</td><td class=\"subject\">");
		html_text(b, a->subject);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</table></div>\n");
	if (r->n_attention > HTML_MAX_ATTENTION)
		buf_printf(b, "<p class=\"meta\">And %zu more: redress report --output-dir "
			   "writes them all (attention.csv).</p>\n",
			   r->n_attention - HTML_MAX_ATTENTION);
	buf_puts(b, "<p class=\"meta\">A case's number is its subject tag "
		 "([case 000042]); <code>redress case show 42</code> shows it.</p>"
		 "</section>\n");
}

/* ---- per agent ---------------------------------------------------------- */

static void
html_agents(struct buf *b, struct report *r)
{
	html_section(b, "agents", "Per agent");
	buf_puts(b, "<p class=\"meta\">");
	html_period(b, r, true);
	buf_printf(b, ", by the case's owner; open cases at ");
	html_iso(b, r->p.now);
	buf_puts(b, ".</p>\n");
	if (!r->owners_recorded) {
		buf_puts(b, "<p data-agents=\"none\">No owners recorded: per-agent figures "
			 "appear once cases are assigned to agents.</p></section>\n");
		return;
	}
	buf_puts(b, "<div class=\"wrap\"><table><tr><th>agent</th><th>cases</th>"
		 "<th>first response in time</th><th>resolved in time</th>"
		 "<th>median first response (business time)</th>"
		 "<th>median resolution (business time)</th><th>open now</th>"
		 "<th>open, breached</th></tr>\n");
	for (size_t i = 0; i < r->n_agent; i++) {
		struct report_group *g = &r->by_agent[i];

		buf_puts(b, "<tr><td>");
		report_html_escape(b, g->name);
		buf_printf(b, "</td><td>%lu</td>", g->cases);
		html_share(b, g->fr_in_time, g->fr_done);
		html_share(b, g->res_in_time, g->res_done);
		html_business(b, g->fr_btimes, g->n_fr);
		html_business(b, g->res_btimes, g->n_res);
		buf_printf(b, "<td>%lu</td><td>%lu</td></tr>\n", g->open, g->open_breached);
	}
	buf_printf(b, "<tr><td><i>no owner</i></td><td>%lu</td><td></td><td></td><td></td>"
		   "<td></td><td></td><td></td></tr>\n</table></div></section>\n", r->unowned);
}

/* ---- the main table ------------------------------------------------------ */

static void
html_table(struct buf *b, const char *title, struct report_group *v, size_t n)
{
	buf_puts(b, "<div class=\"wrap\"><table><tr><th>");
	report_html_escape(b, title);
	buf_puts(b, "</th><th>cases</th><th>first response in time</th>"
		 "<th>resolved in time</th><th>median first response (business time)</th>"
		 "<th>median resolution (business time)</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "<tr><td>");
		report_html_escape(b, v[i].name);
		buf_printf(b, "</td><td>%lu</td>", v[i].cases);
		html_share(b, v[i].fr_in_time, v[i].fr_done);
		html_share(b, v[i].res_in_time, v[i].res_done);
		html_business(b, v[i].fr_btimes, v[i].n_fr);
		html_business(b, v[i].res_btimes, v[i].n_res);
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</table></div>\n");
}

static void
html_summary(struct buf *b, struct report *r)
{
	buf_puts(b, "<ul class=\"totals\">");
	buf_printf(b, "<li><b>%lu</b> cases (previous period %lu)</li>", r->all.cases,
		   r->prev_cases);
	buf_printf(b, "<li><b>%lu</b> open now</li>", r->backlog_total);
	buf_printf(b, "<li><b class=\"breached\">%lu</b> breached</li>", r->n_breached);
	buf_printf(b, "<li><b class=\"risk\">%lu</b> at risk</li>", r->n_at_risk);
	buf_printf(b, "<li>%lu held, %lu not complaints</li>", r->held, r->not_complaints);
	buf_printf(b, "<li>not counted: %lu quarantined (spam, forged), %lu informational "
		   "(list, bulk)</li></ul>\n", r->quarantined, r->informational);
	if (r->n_breached > 0) {
		buf_puts(b, "<p>To chase:");
		for (size_t i = 0; i < r->n_attention && i < 20 && r->attention[i].breached; i++)
			buf_printf(b, " <a href=\"#case-%lld\">%06lld</a>", r->attention[i].id,
				   r->attention[i].id);
		if (r->n_breached > 20)
			buf_puts(b, " &hellip;");
		buf_puts(b, "</p>\n");
	}
}

void
report_html(struct report *r, struct buf *out)
{
	char since[11], until[11];

	report_day(r->p.since / REPORT_DAY, since);
	report_day((r->p.until - 1) / REPORT_DAY, until);
	buf_printf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		   "<title>Complaints report %s to %s</title><style>%s</style></head><body>\n",
		   since, until, html_style);
	buf_puts(out, "<header><h1>Complaints report</h1><p class=\"meta\">");
	html_period(out, r, true);
	buf_puts(out, ", compared with the period as long before it.  Made at ");
	html_iso(out, r->p.now);
	buf_printf(out, "; times in UTC, days and business hours in %s.</p>\n",
		   sla_calendar_zone(r->p.cal));
	html_summary(out, r);
	buf_puts(out, "</header>\n");
	html_cases(out, r);
	html_compliance(out, r);
	html_backlog(out, r);
	html_times(out, r);
	html_trends(out, r);
	html_attention(out, r);
	html_agents(out, r);
	html_section(out, "tables", "By priority and category");
	buf_puts(out, "<p class=\"meta\">");
	html_period(out, r, true);
	buf_printf(out, "; n = %lu.  In time: the share of decided clocks that were met.  "
		   "Median times are business time ([sla] hours and holidays), as the "
		   "targets are; a resolution's leaves out time waiting on the "
		   "customer.</p>\n", r->all.cases);
	html_table(out, "priority", r->by_priority, r->n_priority);
	html_table(out, "category", r->by_category, r->n_category);
	html_table(out, "all", &r->all, 1);
	buf_puts(out, "</section>\n</body></html>\n");
}
