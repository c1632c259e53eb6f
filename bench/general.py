#!/usr/bin/env python3
"""general.py - weights for any business: train them, and measure them on held-out sets.

usage: bench/general.py REDRESS [--out FILE|-] [--no-write]

  REDRESS     the redress binary whose "rules train" makes the weights
  --out FILE  Markdown report (default bench/general.md; "-": standard output)
  --no-write  measure the general.weights beside rules.conf; do not train

Trains general.weights (beside rules.conf) with "redress rules train" on
everything we may tune on: the written sets bench/data/blind1..3 (subject,
a blank line, the text; a complaint's label is its category, any other
message's its kind: question, praise, other), the CFPB even rows, and the
odd-numbered easy-ham-1 files as "other" (subject and customer's text, the
headers left out, as bench/other.py reads them).  Then it compares the hand
weights with the new weights on what none of that saw: bench/data/blind4,
the CFPB odd rows, the even-numbered easy-ham-1 and spam-1 files, and the
messages written here (bench/data/outcomes, a sanity check).
"""
import argparse
import collections
import csv
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rulesdata as rd  # noqa: E402
import other  # noqa: E402

CATS = rd.CATS
TRAIN_SETS = ["blind1", "blind2", "blind3"]
HELD_OUT = "blind4"


def blind(name):
    """(text, label) of a written set: a complaint's category, any other message's kind."""
    return [(m["subject"] + "\n\n" + m["text"], m["category"] if m["kind"] == "complaint" else m["kind"])
            for m in rd.blind_set(name)]


def training_rows():
    """(text, label) to train on; the written sets' messages come first, n_written of them."""
    rows = []
    for name in TRAIN_SETS:
        rows += blind(name)
    n_written = len(rows)
    rows += [(r[3], r[2]) for r in rd.half(rd.cfpb_rows(), "even")]
    rows += [(t, "other") for t in other.texts_of(rd.HAM_DIR, "odd")]
    return rows, n_written


def outcome_texts():
    """The messages of bench/data/outcomes as (subject, blank line, body; outcome)."""
    written = rd.outcome_set()
    res = rd.classify_files(os.path.join(rd.TOP, "rules.conf"), [p for _, p in written], text=True)
    return [(j["subject"] + "\n\n" + j["body"], oc) for (oc, _), j in zip(written, res)]


def measure(rules, weights, items):
    """items: (text, gold) with gold a category or a kind; returns counters."""
    res = rd.classify_texts(rules, [t for t, _ in items], weights)
    apol = collections.defaultdict(collections.Counter)
    right = 0
    for (_, gold), j in zip(items, res):
        kind = "complaint" if gold in CATS else gold   # "complaint": category unknown
        apol[kind][j["outcome"] == "complaint"] += 1
        right += kind == "complaint" and j["outcome"] == "complaint" and j["category"] == gold
    return apol, right


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("redress")
    ap.add_argument("--out", default=os.path.join(rd.HERE, "general.md"))
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    rules = os.path.join(rd.TOP, "rules.conf")
    target = os.path.join(rd.TOP, "general.weights")
    rows, n_written = training_rows()
    cmd = ("redress rules train --rules rules.conf --csv general-train.csv --text text --label label "
           "-o general.weights")
    if not a.no_write:
        tmp = tempfile.mkdtemp(prefix="redress-general.")
        try:
            shutil.copy(rules, os.path.join(tmp, "rules.conf"))
            with open(os.path.join(tmp, "general-train.csv"), "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["text", "label"])
                w.writerows(rows)
            with open(os.path.join(tmp, "redress.conf"), "w") as f:
                f.write("[paths]\nrules = %s/rules.conf\n" % tmp)
            p = subprocess.run([os.path.abspath(a.redress), "-c", os.path.join(tmp, "redress.conf")] +
                               cmd.split()[1:], cwd=tmp, capture_output=True, text=True)
            sys.stderr.write(p.stdout + p.stderr)
            if p.returncode != 0:
                sys.exit("general: rules train failed (%d)" % p.returncode)
            shutil.copy(os.path.join(tmp, "general.weights"), target)
        finally:
            shutil.rmtree(tmp)
    sets = [("%s (written blind, never read: the held-out measure)" % HELD_OUT, blind(HELD_OUT)),
            ("CFPB odd rows (complaints)", [(r[3], r[2]) for r in rd.half(rd.cfpb_rows(), "odd")]),
            ("easy-ham-1 even files, without headers (no complaints)",
             [(t, "other") for t in other.texts_of(rd.HAM_DIR, "even")]),
            ("spam-1 even files, without headers", [(t, "spam") for t in other.texts_of(rd.SPAM_DIR, "even")]),
            ("written here (bench/data/outcomes: a sanity check)", outcome_texts())]
    counts = collections.Counter(lab for _, lab in rows)
    out = ["# Weights for any business: `general.weights` (issue 14)", "",
           "Made by `bench/general.py build-plain/redress` (do not edit by hand; it trains the weights"
           " and measures them). The hand weights of `rules.conf` against `general.weights`,"
           " trained by", "", "    " + cmd, "",
           "in a directory holding `rules.conf` and `general-train.csv`: %d messages, every one we may tune on"
           " and nothing measured below:" % len(rows), "",
           "- the written sets %s (%d messages; a complaint's label is its category, any other message's"
           " its kind: question, praise, other);" % (", ".join("bench/data/" + n for n in TRAIN_SETS),
                                                     n_written),
           "- the CFPB even rows (766 narratives, labels from `ISSUE_MAP`);",
           "- the odd-numbered easy-ham-1 files as `other` (their subject and text without headers).", "",
           "Labels: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())) + ".", "",
           "- rules: version %s; weights: `general.weights`" % rd.parse_rules(rules).version, "",
           "## Held out", "",
           "\"Apology\" is the outcome complaint. Category right counts complaints that get an apology"
           " and the author's category.", "",
           "| set | weights | apology to complaints | to questions | to thanks | to other mail |"
           " to spam | category right |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, items in sets:
        n_c = sum(1 for _, g in items if g in CATS)
        for wn, wf in (("hand", None), ("**general**", target)):
            apol, right = measure(rules, wf, items)
            cells = []
            for k in ("complaint", "question", "praise", "other", "spam"):
                cells.append(rd.pct(apol[k][True], sum(apol[k].values())))
            cells.append(rd.pct(right, n_c))
            out.append("| %s | %s | %s |" % (name if wn == "hand" else "", wn, " | ".join(cells)))
    rd.write_report(a.out, "\n".join(out) + "\n")


if __name__ == "__main__":
    main()
