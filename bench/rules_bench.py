#!/usr/bin/env python3
"""rules_bench.py - what a rules file does on every set we have, in one report.

usage: bench/rules_bench.py [--rules FILE] [--extra FILE] [--weights FILE]
                            [--half tune|report|all] [--out FILE|-]

  --rules FILE    the rules (default: rules.conf of this tree)
  --extra FILE    rules appended to them for the run (e.g. bench/spam.rules,
                  the draft spam outcome of issue 13); the two are joined
                  into a temporary file, so its rules version is not the
                  version of --rules
  --weights FILE  decide with trained weights (bench/train_ref.py -o FILE)
                  instead of the hand weights
  --half H        tune: CFPB even rows, odd-numbered mail files (the half
                  rules may be tuned on); report: CFPB odd rows (the
                  held-out half of classify_quality.py), even-numbered mail
                  files; all: everything (default: report)
  --out FILE      Markdown report (default "-": standard output)
  --json FILE     also the figures as JSON (for bench/quality_report.py)

Sets: the CFPB narratives (a body each, as classify_quality.py, and again as
mail by bench/cfpb_to_mail.py, with a subject of their first words), spam-1 and
easy-ham-1 of the SpamAssassin corpus and the 8 samples (as mail, through
bench/classify_mail_batch, as "redress classify" reads them), and the
hand-written outcome messages of bench/data/outcomes/ (a sanity check: they
were written here, see their README).

The figures are the classifier's alone: what intake does besides (the
Precedence, Auto-Submitted and rate-limit checks of autoreply, repeat
counting, the traffic verdict of issue 13) is bench/hygiene.sh's business.
"Apology" here means the outcome is complaint: that is what gets the
apologising ack.
"""
import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rulesdata as rd  # noqa: E402

CATS = rd.CATS
PRED = CATS + ["not-complaint"]
URGENT = ("urgent", "high")


def prf(pairs, cats=CATS):
    rows, f1s = [], []
    for c in cats:
        tp = sum(1 for g, p in pairs if g == c and p == c)
        fp = sum(1 for g, p in pairs if g != c and p == c)
        fn = sum(1 for g, p in pairs if g == c and p != c)
        sup = tp + fn
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / sup if sup else 0.0
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        rows.append((c, sup, tp + fp, pr, rc, f1))
        if sup:
            f1s.append(f1)
    macro = sum(f1s) / len(f1s) if f1s else 0.0
    acc = sum(1 for g, p in pairs if g == p) / len(pairs) if pairs else 0.0
    return rows, macro, acc


def pct(n, d):
    return "%.1f%% (%d)" % (100.0 * n / d, n) if d else "-"


def outcome_of(res):
    """complaint / question / praise, or spam for the draft spam category."""
    return "spam" if res["category"] == "spam" else res["outcome"]


class Decider:
    """Hand decision (the C result as it is) or the trained one of train_ref.py."""

    def __init__(self, rules, weights):
        self.rules = rules
        self.model = None
        if weights:
            import train_ref
            self.model = train_ref.load_weights(weights, rules)
            self.train_ref = train_ref

    def __call__(self, res, text):
        if self.model is None:
            return res
        return self.train_ref.decide(self.model, self.rules, rd.rule_counts(res), text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", default=os.path.join(rd.TOP, "rules.conf"))
    ap.add_argument("--extra")
    ap.add_argument("--weights")
    ap.add_argument("--half", default="report", choices=["tune", "report", "all"])
    ap.add_argument("--out", default="-")
    ap.add_argument("--json")
    a = ap.parse_args()

    rules_path = a.rules
    tmp = None
    if a.extra:
        tmp = tempfile.NamedTemporaryFile("wb", suffix=".rules", delete=False)
        with open(a.rules, "rb") as f1, open(a.extra, "rb") as f2:
            tmp.write(f1.read() + b"\n" + f2.read())
        tmp.close()
        rules_path = tmp.name
    fig = {}
    try:
        report = run(a, rules_path, fig)
    finally:
        if tmp:
            os.unlink(tmp.name)
    if a.json:
        import json
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(fig, f, indent=1)
    if a.out == "-":
        sys.stdout.write(report)
    else:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(report)


def run(a, rules_path, fig):
    rules = rd.parse_rules(rules_path)
    decide = Decider(rules, a.weights)
    cfpb_half = {"tune": "even", "report": "odd", "all": "all"}[a.half]
    mail_half = {"tune": "odd", "report": "even", "all": "all"}[a.half]
    L = []
    cmd = "bench/rules_bench.py" + "".join(
        " --%s %s" % (k, os.path.relpath(v, rd.TOP) if k in ("rules", "extra", "weights") else v)
        for k, v in (("rules", a.rules), ("extra", a.extra), ("weights", a.weights), ("half", a.half))
        if v)
    L.append("# Rules on every set (`%s`)" % cmd)
    fig["command"] = cmd
    fig["rules_version"] = rules.version
    L.append("")
    L.append("- rules: `%s`%s, version %s, %d rules; decision: %s" % (
        os.path.relpath(a.rules, rd.TOP), " + `%s`" % os.path.relpath(a.extra, rd.TOP) if a.extra else "",
        rules.version, len(rules.rules),
        "trained weights `%s`" % os.path.relpath(a.weights, rd.TOP) if a.weights else "hand weights"))
    L.append("- half: CFPB %s rows, mail %s-numbered files" % (cfpb_half, mail_half))
    L.append("")

    # ------------------------------------------------------------ CFPB
    rows = rd.half(rd.cfpb_rows(), cfpb_half)
    res = rd.classify_texts(rules_path, [r[3] for r in rows])
    dec = [decide(x, "\n" + r[3]) for x, r in zip(res, rows)]
    pairs = [(r[2], d["category"] if d["complaint"] else "not-complaint") for r, d in zip(rows, dec)]
    per, macro, acc = prf(pairs)
    fig["cfpb"] = {"n": len(rows), "macro_f1": macro, "accuracy": acc,
                   "complaint": sum(d["complaint"] for d in dec),
                   "high_urgent": sum(d["priority"] in URGENT for d in dec),
                   "escalate": sum(d["escalate"] for d in dec),
                   "per": [{"category": c, "gold": g, "predicted": n, "precision": p, "recall": r, "f1": f}
                           for c, g, n, p, r, f in per if g],
                   "confusion": [[g, p, n] for (g, p), n in sorted(collections.Counter(pairs).items())]}
    fig["severity"] = []
    L.append("## CFPB narratives (%d)" % len(rows))
    L.append("")
    L.append("| macro-F1 | accuracy | complaint (apology) | high or urgent | escalate |")
    L.append("| ---: | ---: | ---: | ---: | ---: |")
    L.append("| %.3f | %.3f | %s | %s | %s |" % (
        macro, acc, pct(sum(d["complaint"] for d in dec), len(dec)),
        pct(sum(d["priority"] in URGENT for d in dec), len(dec)),
        pct(sum(d["escalate"] for d in dec), len(dec))))
    L.append("")
    L.append("| category | gold | predicted | precision | recall | F1 |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for c, sup, npred, pr, rc, f1 in per:
        if sup:
            L.append("| %s | %d | %d | %.2f | %.2f | %.2f |" % (c, sup, npred, pr, rc, f1))
        else:
            L.append("| %s | 0 | %d | - | - | - |" % (c, npred))
    L.append("")
    L.append("| gold \\ predicted | " + " | ".join(PRED) + " |")
    L.append("| --- |" + " ---: |" * len(PRED))
    conf = collections.Counter(pairs)
    for g in CATS:
        if any(gg == g for gg, _ in pairs):
            L.append("| %s | " % g + " | ".join(str(conf[(g, p)]) for p in PRED) + " |")
    L.append("")
    # severity proxies
    resp = [r[4]["Company response to consumer"] for r in rows]
    vuln = [r[4]["Tags"] for r in rows]
    L.append("Severity (no severity column in CFPB: proxies, see bench/classify-quality.md):")
    L.append("")
    L.append("| rows | n | high or urgent | escalate | tags fired (share of these rows) |")
    L.append("| --- | ---: | ---: | ---: | --- |")

    def sev_line(name, idx):
        ds = [dec[i] for i in idx]
        tc = collections.Counter(t for d in ds for t in d["tags"])
        fig["severity"].append({"rows": name, "n": len(ds),
                                "high_urgent": sum(d["priority"] in URGENT for d in ds),
                                "escalate": sum(d["escalate"] for d in ds), "tags": dict(tc)})
        L.append("| %s | %d | %s | %s | %s |" % (
            name, len(ds), pct(sum(d["priority"] in URGENT for d in ds), len(ds)),
            pct(sum(d["escalate"] for d in ds), len(ds)),
            ", ".join("%s %.0f%%" % (t, 100.0 * n / len(ds)) for t, n in sorted(tc.items())) or "-"))
    sev_line("monetary relief", [i for i, x in enumerate(resp) if x == "Closed with monetary relief"])
    sev_line("non-monetary relief", [i for i, x in enumerate(resp) if x == "Closed with non-monetary relief"])
    sev_line("closed with explanation", [i for i, x in enumerate(resp) if x == "Closed with explanation"])
    sev_line("Tags: Older American", [i for i, x in enumerate(vuln) if "Older American" in x])
    sev_line("Tags: Servicemember", [i for i, x in enumerate(vuln) if "Servicemember" in x])
    sev_line("no Tags", [i for i, x in enumerate(vuln) if not x])
    sev_line("all", list(range(len(dec))))
    L.append("")

    # ------------------------------------------------------------ mail sets
    L.append("## Mail: outcome per set")
    L.append("")
    L.append("| set | messages | complaint (apology) | question | praise | spam | high or urgent | escalate |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    cfpb_mail = tempfile.mkdtemp(prefix="redress-rb.")
    subprocess.run([sys.executable, os.path.join(rd.HERE, "cfpb_to_mail.py"), "--half", cfpb_half,
                    rd.CFPB_CSV, cfpb_mail], check=True, capture_output=True)
    sets = [("spam-1", rd.half(rd.mail_set(rd.SPAM_DIR), mail_half)),
            ("easy-ham-1", rd.half(rd.mail_set(rd.HAM_DIR), mail_half)),
            ("CFPB as mail", rd.mail_set(cfpb_mail)),
            ("contrib/samples", rd.mail_set(rd.SAMPLES_DIR))]
    oc_set = rd.outcome_set()
    if oc_set:
        sets.append(("bench/data/outcomes", [(i, p) for i, (_, p) in enumerate(oc_set)]))
    mail_results = {}
    for name, items in sets:
        paths = [p for _, p in items]
        rs = rd.classify_files(rules_path, paths, text=bool(a.weights))
        ds = [decide(x, x["subject"] + "\n" + x["body"] if a.weights else None) for x in rs]
        mail_results[name] = list(zip(paths, ds))
        if name == "CFPB as mail":
            shutil.rmtree(cfpb_mail)
        oc = collections.Counter(outcome_of(d) for d in ds)
        n = len(ds)
        fig.setdefault("sets", {})[name] = {
            "n": n, "complaint": oc["complaint"], "question": oc["question"], "praise": oc["praise"],
            "spam": oc["spam"], "high_urgent": sum(d["complaint"] and d["priority"] in URGENT for d in ds),
            "escalate": sum(d["escalate"] for d in ds)}
        L.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
            name, n, pct(oc["complaint"], n), pct(oc["question"], n), pct(oc["praise"], n),
            pct(oc["spam"], n), pct(sum(d["complaint"] and d["priority"] in URGENT for d in ds), n),
            pct(sum(d["escalate"] for d in ds), n)))
    L.append("")
    L.append("(high or urgent and escalate count complaints only: on other outcomes tags do not act)")
    L.append("")
    L.append("### The samples")
    L.append("")
    L.append("| sample | outcome | category | priority | tags |")
    L.append("| --- | --- | --- | --- | --- |")
    fig["samples"] = [{"sample": os.path.basename(p), "outcome": outcome_of(d), "category": d["category"],
                       "priority": d["priority"], "tags": d["tags"]} for p, d in mail_results["contrib/samples"]]
    for p, d in mail_results["contrib/samples"]:
        L.append("| %s | %s | %s | %s | %s |" % (os.path.basename(p), outcome_of(d), d["category"],
                                             d["priority"], " ".join(d["tags"]) or "-"))
    L.append("")
    if oc_set:
        L.append("### Hand-written outcome messages (written here; a sanity check, not a measure)")
        L.append("")
        L.append("| written as \\ classified | complaint | question | praise | spam |")
        L.append("| --- | ---: | ---: | ---: | ---: |")
        got = collections.Counter((want, outcome_of(d)) for (want, _), (_, d) in
                                  zip(oc_set, mail_results["bench/data/outcomes"]))
        fig["outcomes"] = {"%s>%s" % k: v for k, v in got.items()}
        for want in sorted(set(w for w, _ in oc_set)):
            L.append("| %s | " % want + " | ".join(
                str(got[(want, o)]) for o in ("complaint", "question", "praise", "spam")) + " |")
        L.append("")
        cats = [(os.path.basename(p)[:-4].split("-")[-1], d) for (want, p), (_, d) in
                zip(oc_set, mail_results["bench/data/outcomes"]) if want == "complaint"]
        right = sum(1 for c, d in cats if d["complaint"] and d["category"] == c)
        fig["outcomes_category_right"] = [right, len(cats)]
        L.append("Complaint category right (from the file name): %s; wrong: %s." % (
            pct(right, len(cats)), ", ".join("%s as %s" % (os.path.basename(p), d["category"] if d["complaint"] else outcome_of(d))
                                            for (want, p), (_, d) in zip(oc_set, mail_results["bench/data/outcomes"])
                                            if want == "complaint" and not (d["complaint"] and
                                            d["category"] == os.path.basename(p)[:-4].split("-")[-1])) or "none"))
        L.append("")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
