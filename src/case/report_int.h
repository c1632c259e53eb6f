/*
 * report_int - what the files of the report module share: HTML escaping
 * and legends (report_html.c), the inline SVG charts of report_svg.c, and
 * the categories in order (report.c).  Not for
 * other modules: they see report.h.
 *
 * Every drawn value carries its number in data- attributes (data-chart,
 * data-x, data-series, data-value; data-part and data-whole for a share),
 * so that a reader, or a test, can check the picture against the JSON,
 * and a <title> that says it in words.
 */
#ifndef REDRESS_CASE_REPORT_INT_H
#define REDRESS_CASE_REPORT_INT_H

#include <stddef.h>

struct buf;
struct report;
struct report_cause;

/* The period's categories, most cases first, into v (REPORT_MAX_GROUPS;
 * the names are the report's); how many. */
size_t report_category_tally(struct report *r, struct report_cause *v);

/* Text or an attribute value (quoted with "), escaped; C0 controls other
 * than tab and newline are dropped. */
void report_html_escape(struct buf *b, const char *s);

struct report_series {
	const char *name;
	const char *color;          /* "#rrggbb" */
};

/*
 * Vertical bars, stacked by series: v[x * n_s + s].  title names the
 * chart (its <title>); key[x] goes into data-x, label[x] under the axis
 * (thinned when crowded); unit names what is counted ("cases").
 */
void report_svg_bars(struct buf *b, const char *chart, const char *title, size_t n_x,
		     const char *const *key, const char *const *label, size_t n_s,
		     const struct report_series *s, const unsigned long *v,
		     const char *unit);
/*
 * Shares 0-100% by x, a line per series: part and whole [x * n_s + s]; a
 * point with whole 0 is not drawn, one with whole < REPORT_FEW is hollow.
 */
void report_svg_shares(struct buf *b, const char *chart, const char *title, size_t n_x,
		       const char *const *key, const char *const *label, size_t n_s,
		       const struct report_series *s, const unsigned long *part,
		       const unsigned long *whole);
/* One small horizontal bar pair (this period, the previous one), scaled to
 * max, for a row of a trend table. */
void report_svg_pair(struct buf *b, const char *chart, const char *key,
		     unsigned long now, unsigned long prev, unsigned long max);
/* The legend: a swatch and a name per series. */
void report_html_legend(struct buf *b, size_t n_s, const struct report_series *s);

#endif
