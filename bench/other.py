#!/usr/bin/env python3
"""other.py - who gets an apology: the rules before and after "other" (issue 14).

usage: bench/other.py --before FILE [--rules FILE] [--out FILE|-]

  --before FILE  the rules to compare with (e.g. git show ebe76b4:rules.conf)
  --rules FILE   the rules now (default: rules.conf of this tree)
  --out FILE     Markdown report (default bench/other.md; "-": standard output)

An apology goes with the outcome complaint.  Each text is classified as
"redress classify" classifies a body (bench/classify_batch): the CFPB
narratives, and the subject and customer's text of every SpamAssassin
message with its headers left out.  Without their headers the ham's list
posts and newsletters stand for mail that is no complaint and that no
header gives away (what a person sends to a complaints address that is not
a complaint); spam likewise.  The written outcome messages of
bench/data/outcomes are a sanity check (they were written here).

Both halves are reported: the vetoes of "other" were written from the
tune half (CFPB even rows, odd-numbered mail files); the report half (CFPB
odd rows, even-numbered files) is the figure to quote.  No figure here
includes what intake does besides the rules (list and bulk headers, the
words signal, the loop guard): bench/hygiene.sh measures that.
"""
import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rulesdata as rd  # noqa: E402

CATS = rd.CATS


def texts_of(d, which):
    files = rd.half(rd.mail_set(d), which)
    res = rd.classify_files(os.path.join(rd.TOP, "rules.conf"), [p for _, p in files], text=True)
    return [(j.get("subject") or "") + "\n\n" + (j.get("body") or "") for j in res]


def outcomes(rules, texts):
    """Counter of complaint (fallback), complaint (named), question, other, praise, spam."""
    c = collections.Counter()
    for j in rd.classify_texts(rules, texts):
        if j["outcome"] == "complaint":
            best = max(j["scores"].get(k, 0) for k in CATS)
            c["complaint, fallback" if j["category"] == "general" and best < 2 else "complaint"] += 1
        elif j["category"] == "other":
            c["other"] += 1
        else:
            c[j["outcome"]] += 1
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--rules", default=os.path.join(rd.TOP, "rules.conf"))
    ap.add_argument("--out", default=os.path.join(rd.HERE, "other.md"))
    a = ap.parse_args()

    halves = (("report", "odd", "even"), ("tune", "even", "odd"))
    out = ["# Who gets an apology: the rules before and after `other` (issue 14)", "",
           "Made by `bench/other.py --before BEFORE` (do not edit by hand); BEFORE is the rules "
           "before the change (`git show ebe76b4:rules.conf > BEFORE`). An apology is the outcome "
           "complaint; `other` is the category of text the rules read as nothing (outcome question: "
           "the plain ack). Every text is classified as a body, with no header (the module's "
           "docstring says why); intake's other checks are bench/hygiene.sh's.", "",
           "- rules now: `%s`, version %s" % (os.path.relpath(a.rules, rd.TOP),
                                              rd.parse_rules(a.rules).version),
           "- before: version %s" % rd.parse_rules(a.before).version, ""]
    for name, cfpb_half, mail_half in halves:
        sets = [("CFPB narratives (complaints)", [r[3] for r in rd.half(rd.cfpb_rows(), cfpb_half)]),
                ("easy-ham-1 without headers (no complaints)", texts_of(rd.HAM_DIR, mail_half)),
                ("spam-1 without headers", texts_of(rd.SPAM_DIR, mail_half))]
        out += ["## %s half (CFPB %s rows, %s-numbered mail files)%s" %
                (name.capitalize(), cfpb_half, mail_half,
                 "" if name == "report" else ": the vetoes were written from it"), "",
                "| set | n | rules | apology | of it by the fallback | other | question | praise | spam |",
                "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for label, texts in sets:
            n = len(texts)
            for rn, path in (("before", a.before), ("**now**", a.rules)):
                c = outcomes(path, texts)
                apol = c["complaint"] + c["complaint, fallback"]
                cells = [rd.pct(x, n) for x in (apol, c["complaint, fallback"], c["other"],
                                                c["question"], c["praise"], c["spam"])]
                out.append("| %s | %d | %s | %s |" % (label if rn == "before" else "", n, rn,
                                                     " | ".join(cells)))
        out.append("")
    written = rd.outcome_set()
    if written:
        out += ["## Written outcome messages (written here: a sanity check, not a measure)", "",
                "| written as | n | apology before | apology now | other now |",
                "| --- | ---: | ---: | ---: | ---: |"]
        by = collections.defaultdict(list)
        for oc, p in written:
            by[oc].append(p)
        for oc in sorted(by):
            paths = by[oc]
            res = {}
            for rn, path in (("before", a.before), ("now", a.rules)):
                res[rn] = rd.classify_files(path, paths)
            n = len(paths)
            out.append("| %s | %d | %s | %s | %s |" % (
                oc, n, rd.pct(sum(1 for j in res["before"] if j["outcome"] == "complaint"), n),
                rd.pct(sum(1 for j in res["now"] if j["outcome"] == "complaint"), n),
                rd.pct(sum(1 for j in res["now"] if j["category"] == "other"), n)))
        out.append("")
    rd.write_report(a.out, "\n".join(out))


if __name__ == "__main__":
    main()
