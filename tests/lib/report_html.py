#!/usr/bin/env python3
"""Checks redress report's HTML page against its JSON (tests/t_report_cmd.sh).

usage: report_html.py PAGE.html REPORT.json

Parses the page with html.parser; every element is closed in order (an
unescaped customer text would break that); no script, image, frame or
stylesheet element; and every number a chart draws (the data- attributes
of report_svg.c) is the JSON's, and every non-zero number of the JSON is
drawn.  Prints "# ..." lines for what is wrong; exits 1 if anything is.
"""
import json
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col",
        "embed", "source", "track", "wbr"}
SVG_EMPTY = {"line", "polyline", "circle", "rect", "path"}
FORBIDDEN = {"script", "img", "iframe", "object", "embed", "link", "frame",
             "audio", "video", "image", "use", "foreignobject"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.drawn, self.rows = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in FORBIDDEN:
            self.errors.append("forbidden element <%s>" % tag)
        for k, v in a.items():
            if k.startswith("on"):
                self.errors.append("event handler %s on <%s>" % (k, tag))
            if k in ("src", "href", "xlink:href") and v and not v.startswith("#"):
                self.errors.append("%s=%r on <%s> leaves the page" % (k, v, tag))
        if tag == "svg":
            box = [float(v) for v in a.get("viewbox", "0 0 0 0").split()]
            self.box = (box[2], box[3])
            if not box[2] or not box[3]:
                self.errors.append("an svg without a viewBox")
        if tag in ("rect", "circle", "text", "line") and self.box:
            self.inside(tag, a)
        if "data-chart" in a and tag in ("rect", "circle"):
            self.drawn.append((tag, a))
        if tag == "tr" and "data-case" in a:
            self.rows.append((int(a["data-case"]), a["data-status"]))
        if tag not in VOID:
            self.stack.append(tag)

    box = None

    def inside(self, tag, a):
        """A shape lies within its svg's viewBox (half a unit of slack)."""
        w, h = self.box
        f = lambda k: float(a.get(k, 0))
        if tag == "rect":
            xs, ys = (f("x"), f("x") + f("width")), (f("y"), f("y") + f("height"))
        elif tag == "circle":
            xs, ys = (f("cx"), f("cx")), (f("cy"), f("cy"))
        elif tag == "line":
            xs, ys = (f("x1"), f("x2")), (f("y1"), f("y2"))
        else:
            xs, ys = (f("x"), f("x")), (f("y"), f("y"))
        if min(xs) < -0.5 or max(xs) > w + 0.5 or min(ys) < -0.5 or max(ys) > h + 0.5:
            self.errors.append("<%s %s> outside its viewBox %gx%g" % (tag, a, w, h))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "svg":
            self.box = None
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (tag, self.stack[-1:] or "nothing"))
            return
        self.stack.pop()


def main():
    page = Page()
    page.feed(open(sys.argv[1], encoding="utf-8").read())
    page.close()
    d = json.load(open(sys.argv[2]))
    bad = list(page.errors)
    if page.stack:
        bad.append("unclosed: %s" % page.stack)

    # chart -> {(x, series): value} as drawn
    drawn = {}
    shares = {}
    for tag, a in page.drawn:
        key = (a["data-x"], a["data-series"])
        if tag == "rect":
            c = drawn.setdefault(a["data-chart"], {})
            if key in c:
                bad.append("%s %s drawn twice" % (a["data-chart"], key))
            c[key] = int(a["data-value"])
        else:
            shares.setdefault(a["data-chart"], {})[key] = (int(a["data-part"]),
                                                           int(a["data-whole"]))

    def same(chart, want, zeros_drawn=False):
        got = drawn.get(chart, {})
        want = {k: v for k, v in want.items() if v or zeros_drawn}
        got = {k: v for k, v in got.items() if v or zeros_drawn}
        if got != want:
            bad.append("%s: drawn %s, JSON %s" % (chart, sorted(got.items()),
                                                  sorted(want.items())))

    cats = sorted(d["by_category"], key=lambda g: -g["cases"])
    top = [g["name"] for g in cats[:8]]
    want = {}
    for b in d["cases_per_bucket"]:
        for name, n in b["by_category"].items():
            series = name if name in top else "other"
            want[(b["start"], series)] = want.get((b["start"], series), 0) + n
    same("cases", want)
    want = {(a["age"], p): n for a in d["backlog"]["ages"]
            for p, n in a["by_priority"].items()}
    same("backlog", want)
    for chart, key, series in (("first-response-times", "first_response_times",
                                "first responses"),
                               ("resolution-times", "resolution_times", "resolutions")):
        same(chart, {(b["label"], series): b["cases"] for b in d[key]["bins"]})
    for chart, key in (("first-response-compliance", "first_response"),
                       ("resolution-compliance", "resolution")):
        want = {(w["week"], w["priority"]): (w[key + "_in_time"], w[key + "_decided"])
                for w in d["compliance_weekly"] if w[key + "_decided"]}
        got = shares.get(chart, {})
        if got != want:
            bad.append("%s: drawn %s, JSON %s" % (chart, sorted(got.items()),
                                                  sorted(want.items())))
    for chart, rows, name in (("categories", d["category_trend"], "name"),
                              ("causes", d["causes"], "cause")):
        want = {}
        for c in rows[:10]:
            want[(c[name], "this period")] = c["cases"]
            want[(c[name], "previous period")] = c["previous"]
        same(chart, want, zeros_drawn=True)
    want = [(a["id"], a["status"]) for a in d["attention"]][:200]
    if page.rows != want:
        bad.append("attention rows %s, JSON %s" % (page.rows, want))
    for b in bad:
        print("# " + b)
    print("# %d shapes and %d rows checked" % (len(page.drawn), len(page.rows)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
