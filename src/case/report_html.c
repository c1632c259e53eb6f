/*
 * NAME
 *	report_html - the report as a web page
 * DESCRIPTION
 *	See report.h.  One self-contained page (inline CSS, no script), its
 *	text escaped: category names and causes come from the rules and from
 *	people.
 */
#include "autoconfig.h"

#include <stdio.h>

#include "base/buf.h"
#include "case/report.h"

static void
report_html_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_putc(b, *s);
		}
	}
}

static void
report_html_table(struct buf *b, const char *title, struct report_group *v, size_t n)
{
	buf_puts(b, "<table><tr><th>");
	report_html_escape(b, title);
	buf_puts(b, "</th><th>cases</th><th>first response in time</th>"
		 "<th>resolved in time</th><th>median first response (business time)</th>"
		 "<th>median resolution (business time)</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		char cell[REPORT_CELLS][32];

		report_cells(&v[i], cell);
		buf_puts(b, "<tr><td>");
		report_html_escape(b, v[i].name);
		buf_printf(b, "</td><td>%lu</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			   v[i].cases, cell[0], cell[1], cell[2], cell[3]);
	}
	buf_puts(b, "</table>\n");
}

void
report_html(struct report *r, const char *since_iso, struct buf *out)
{
	buf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		 "<title>redress report</title><style>body{font-family:sans-serif}"
		 "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
		 "padding:.3em .6em;text-align:right}td:first-child,th:first-child"
		 "{text-align:left}</style></head><body>\n<h1>Complaints report</h1>\n");
	buf_printf(out, "<p>%lu cases%s%s; %lu held, %lu not complaints.</p>\n",
		   r->all.cases, *since_iso ? " since " : "", since_iso, r->held,
		   r->not_complaints);
	buf_puts(out, "<p>Median times are business time ([sla] hours and holidays), "
		 "as the targets are; a resolution's leaves out time waiting on the "
		 "customer.</p>\n");
	report_html_table(out, "priority", r->by_priority, r->n_priority);
	report_html_table(out, "category", r->by_category, r->n_category);
	buf_puts(out, "<h2>Resolution causes</h2><ol>\n");
	for (size_t i = 0; i < r->n_causes; i++) {
		buf_puts(out, "<li>");
		report_html_escape(out, r->causes[i].cause);
		buf_printf(out, " (%lu)</li>\n", r->causes[i].n);
	}
	buf_puts(out, "</ol></body></html>\n");
}
