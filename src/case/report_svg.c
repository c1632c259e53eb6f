/*
 * NAME
 *	report_svg - the report's charts, as inline SVG
 * DESCRIPTION
 *	See report_int.h.  Plain shapes in a viewBox that scales to the
 *	page's width (a phone's, or paper's); no script, no font or image to
 *	fetch.  Text is escaped: series and labels are category names and
 *	causes, which come from the rules and from people.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "case/report.h"
#include "case/report_int.h"

#define SVG_W 720
#define SVG_H 250
#define SVG_LEFT 46
#define SVG_RIGHT 10
#define SVG_TOP 14
#define SVG_BOTTOM 40
#define SVG_PW (SVG_W - SVG_LEFT - SVG_RIGHT)
#define SVG_PH (SVG_H - SVG_TOP - SVG_BOTTOM)

/* A round step for about five grid lines up to max. */
static unsigned long
svg_step(unsigned long max)
{
	unsigned long step = 1;

	for (;;) {
		if (max <= step * 5)
			return step;
		if (max <= step * 2 * 5)
			return step * 2;
		if (max <= step * 5 * 5)
			return step * 5;
		step *= 10;
	}
}

static void
svg_open(struct buf *b, const char *chart, const char *what)
{
	buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "data-chart=\"", SVG_W, SVG_H);
	report_html_escape(b, chart);
	buf_puts(b, "\"><title>");
	report_html_escape(b, what);
	buf_puts(b, "</title>\n");
}

/* The y axis: grid lines and their values, ymax at the top. */
static void
svg_grid(struct buf *b, unsigned long ymax, unsigned long step, const char *suffix)
{
	for (unsigned long v = 0; v <= ymax; v += step) {
		double y = SVG_TOP + SVG_PH - (double)v / (double)ymax * SVG_PH;

		buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			   "<text x=\"%d\" y=\"%.1f\" class=\"ylab\">%lu%s</text>\n",
			   SVG_LEFT, SVG_W - SVG_RIGHT, y, y, SVG_LEFT - 4, y + 4, v, suffix);
	}
}

/* The x labels, thinned to about 12. */
static void
svg_xlabels(struct buf *b, size_t n_x, const char *const *label)
{
	double band = (double)SVG_PW / (double)n_x;
	size_t every = (n_x + 11) / 12;

	for (size_t i = 0; i < n_x; i += every) {
		buf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"xlab\">",
			   SVG_LEFT + band * ((double)i + 0.5), SVG_TOP + SVG_PH + 16);
		report_html_escape(b, label[i]);
		buf_puts(b, "</text>\n");
	}
}

static void
svg_data(struct buf *b, const char *chart, const char *key, const char *series)
{
	buf_puts(b, " data-chart=\"");
	report_html_escape(b, chart);
	buf_puts(b, "\" data-x=\"");
	report_html_escape(b, key);
	buf_puts(b, "\" data-series=\"");
	report_html_escape(b, series);
	buf_putc(b, '"');
}

void
report_svg_bars(struct buf *b, const char *chart, const char *title, size_t n_x,
		const char *const *key, const char *const *label, size_t n_s,
		const struct report_series *s, const unsigned long *v, const char *unit)
{
	unsigned long max = 0, step, ymax;
	double band, bw;

	for (size_t x = 0; x < n_x; x++) {
		unsigned long t = 0;

		for (size_t i = 0; i < n_s; i++)
			t += v[x * n_s + i];
		if (t > max)
			max = t;
	}
	step = svg_step(max > 0 ? max : 1);
	ymax = ((max > 0 ? max : 1) + step - 1) / step * step;
	svg_open(b, chart, title);
	svg_grid(b, ymax, step, "");
	band = (double)SVG_PW / (double)(n_x > 0 ? n_x : 1);
	bw = band * 0.8 > 1 ? band * 0.8 : 1;
	for (size_t x = 0; x < n_x; x++) {
		double y0 = SVG_TOP + SVG_PH, left = SVG_LEFT + band * (double)x + (band - bw) / 2;
		unsigned long t = 0;

		for (size_t i = 0; i < n_s; i++) {
			unsigned long n = v[x * n_s + i];
			double h = (double)n / (double)ymax * SVG_PH;

			if (n == 0)
				continue;
			t += n;
			buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				   "fill=\"%s\"", left, y0 - h, bw, h, s[i].color);
			svg_data(b, chart, key[x], s[i].name);
			buf_printf(b, " data-value=\"%lu\"><title>", n);
			report_html_escape(b, label[x]);
			buf_puts(b, ", ");
			report_html_escape(b, s[i].name);
			buf_puts(b, ": ");
			report_html_escape(b, unit);
			buf_printf(b, " %lu</title></rect>\n", n);
			y0 -= h;
		}
		if (t > 0 && n_x <= 40)
			buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"total\">%lu</text>\n",
				   left + bw / 2, y0 - 3, t);
	}
	if (max == 0)
		buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"empty\">none</text>\n",
			   SVG_LEFT + SVG_PW / 2, SVG_TOP + SVG_PH / 2);
	svg_xlabels(b, n_x, label);
	buf_puts(b, "</svg>\n");
}

void
report_svg_shares(struct buf *b, const char *chart, const char *title, size_t n_x,
		  const char *const *key, const char *const *label, size_t n_s,
		  const struct report_series *s, const unsigned long *part,
		  const unsigned long *whole)
{
	double band = (double)SVG_PW / (double)(n_x > 0 ? n_x : 1);
	bool any = false;

	svg_open(b, chart, title);
	svg_grid(b, 100, 25, "%");
	for (size_t i = 0; i < n_s; i++) {
		bool open = false;

		/* The line, broken where a week has no decided clock. */
		for (size_t x = 0; x < n_x; x++) {
			unsigned long w = whole[x * n_s + i];
			double cx = SVG_LEFT + band * ((double)x + 0.5) +
				    ((double)i - (double)(n_s - 1) / 2) * 3;

			if (w == 0) {
				if (open)
					buf_puts(b, "\"/>\n");
				open = false;
				continue;
			}
			if (!open)
				buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" "
					   "stroke-width=\"2\" points=\"", s[i].color);
			buf_printf(b, "%s%.1f,%.1f", open ? " " : "", cx,
				   SVG_TOP + SVG_PH - (double)part[x * n_s + i] / (double)w * SVG_PH);
			open = true;
		}
		if (open)
			buf_puts(b, "\"/>\n");
		for (size_t x = 0; x < n_x; x++) {
			unsigned long w = whole[x * n_s + i], p = part[x * n_s + i];
			double cx = SVG_LEFT + band * ((double)x + 0.5) +
				    ((double)i - (double)(n_s - 1) / 2) * 3;

			if (w == 0)
				continue;
			any = true;
			buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" stroke=\"%s\" "
				   "stroke-width=\"2\" fill=\"%s\"", cx,
				   SVG_TOP + SVG_PH - (double)p / (double)w * SVG_PH, s[i].color,
				   w < REPORT_FEW ? "#fff" : s[i].color);
			svg_data(b, chart, key[x], s[i].name);
			buf_printf(b, " data-part=\"%lu\" data-whole=\"%lu\"><title>", p, w);
			report_html_escape(b, s[i].name);
			buf_puts(b, ", ");
			report_html_escape(b, label[x]);
			buf_printf(b, ": %lu of %lu in time (%.0f%%%s)</title></circle>\n", p, w,
				   100.0 * (double)p / (double)w,
				   w < REPORT_FEW ? "; fewer than 5 cases" : "");
		}
	}
	if (!any)
		buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"empty\">no clock decided</text>\n",
			   SVG_LEFT + SVG_PW / 2, SVG_TOP + SVG_PH / 2);
	svg_xlabels(b, n_x, label);
	buf_puts(b, "</svg>\n");
}

void
report_svg_pair(struct buf *b, const char *chart, const char *key,
		unsigned long now, unsigned long prev, unsigned long max)
{
	double wn = max > 0 ? 196.0 * (double)now / (double)max : 0;
	double wp = max > 0 ? 196.0 * (double)prev / (double)max : 0;

	buf_puts(b, "<svg class=\"pair\" viewBox=\"0 0 200 16\" "
		 "aria-hidden=\"true\">");
	buf_printf(b, "<rect x=\"2\" y=\"1\" width=\"%.1f\" height=\"9\" fill=\"#0072b2\"", wn);
	svg_data(b, chart, key, "this period");
	buf_printf(b, " data-value=\"%lu\"/>", now);
	buf_printf(b, "<rect x=\"2\" y=\"11\" width=\"%.1f\" height=\"4\" fill=\"#999\"", wp);
	svg_data(b, chart, key, "previous period");
	buf_printf(b, " data-value=\"%lu\"/></svg>", prev);
}
