#!/usr/bin/env python3
"""blind.py - the rules on messages written by authors who never saw them.

usage: bench/blind.py --before FILE [--last FILE] [--rules FILE] [--out FILE|-]

  --before FILE  the rules to compare with (e.g. git show ebe76b4:rules.conf)
  --last FILE    also the rules of the last stop (git show b58b861:rules.conf)
  --rules FILE   the rules now (default: rules.conf of this tree)
  --out FILE     Markdown report (default bench/blind.md; "-": standard output)

The sets are bench/data/blind1 to blind4 (their README says
who wrote them and how they were used): 240 messages each, 144 complaints
labelled with a category and a severity (Trosborg's 1 no reproach, 2
disapproval, 3 accusation, 4 blame) and 96 that are no complaint
(questions, thanks, other mail).  Each message is classified as a body
(its subject, a blank line, its text) by bench/classify_batch, the code
redress runs.  "Apology" is the outcome complaint.
"""
import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rulesdata as rd  # noqa: E402

KINDS = ["complaint", "question", "praise", "other"]
SETS = [("blind1", "rules were tuned on its odd half, and its even half was looked at once"),
        ("blind2", "held out at the last stop (b58b861); the rules of 0da1e3d were written from its "
         "misses, so its figures now are tuned ones"),
        ("blind3", "held out once, at commit 1c456d8 (rules of 0da1e3d); then read, and trained on by "
         "bench/general.py: tuned now"),
        ("blind4", "never looked at before this report: the held-out measure")]


def measure(rules, msgs):
    res = rd.classify_texts(rules, [m["subject"] + "\n\n" + m["text"] for m in msgs])
    kind = collections.defaultdict(collections.Counter)
    sev = collections.defaultdict(collections.Counter)
    conf = collections.Counter()
    right = 0
    for m, j in zip(msgs, res):
        kind[m["kind"]][j["outcome"] == "complaint"] += 1
        if m["kind"] != "complaint":
            continue
        pred = j["category"] if j["outcome"] == "complaint" else "not a complaint"
        conf[(m["category"], pred)] += 1
        right += pred == m["category"]
        sev[m["severity"]][j["outcome"] == "complaint" and j["priority"] in ("high", "urgent")] += 1
    return kind, sev, conf, right


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--last")
    ap.add_argument("--rules", default=os.path.join(rd.TOP, "rules.conf"))
    ap.add_argument("--out", default=os.path.join(rd.HERE, "blind.md"))
    a = ap.parse_args()
    out = ["# The rules on messages written blind (issue 14)", "",
           "Made by `bench/blind.py --before BEFORE --last LAST` (do not edit by hand); BEFORE is the "
           "rules before the category `other` (`git show ebe76b4:rules.conf > BEFORE`), LAST those of the "
           "last stop (`git show b58b861:rules.conf > LAST`). Written here, by helpers who "
           "never saw the rules: a sanity check of how the rules read other people's phrasing, not real "
           "mail; bench/data/blind1/README.md says how each set was used.", "",
           "- rules now: version %s; before: version %s%s" % (
               rd.parse_rules(a.rules).version, rd.parse_rules(a.before).version,
               "; at the last stop (`--last`): version %s" % rd.parse_rules(a.last).version
               if a.last else ""), ""]
    rows = [("before", a.before)] + ([("last stop", a.last)] if a.last else []) + [("now", a.rules)]
    for name, use in SETS:
        msgs = rd.blind_set(name)
        r = {rn: measure(f, msgs) for rn, f in rows}
        n_c = sum(1 for m in msgs if m["kind"] == "complaint")
        out += ["## %s: %s" % (name, use), "",
                "| | apology to complaints | to questions | to thanks | to other mail | category right | "
                "high or urgent: severity 1 | 2 | 3 | 4 |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for rn, _ in rows:
            kind, sev, conf, right = r[rn]
            cells = [rd.pct(kind[k][True], sum(kind[k].values())) for k in KINDS]
            cells.append(rd.pct(right, n_c))
            cells += [rd.pct(sev[s][True], sum(sev[s].values())) for s in (1, 2, 3, 4)]
            out.append("| %s | %s |" % ("**now**" if rn == "now" else rn, " | ".join(cells)))
        _, _, conf, _ = r["now"]
        cols = rd.CATS + ["not a complaint"]
        out += ["", "Now, gold (rows) against the decision (columns), complaints only:", "",
                "| gold \\ decided | " + " | ".join(cols) + " |",
                "| --- | " + " | ".join("---:" for _ in cols) + " |"]
        for g in rd.CATS:
            out.append("| %s | %s |" % (g, " | ".join(str(conf[(g, c)]) for c in cols)))
        out.append("")
    rd.write_report(a.out, "\n".join(out))


if __name__ == "__main__":
    main()
