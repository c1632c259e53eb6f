"""rulesdata.py - shared pieces of the rules benches (Python 3, standard library).

Used by bench/rules_bench.py and bench/train_ref.py:

- parse_rules(PATH): the directives of a rules file (redress-rules(5)):
  categories, tags, threshold, and every rule's name, field, target, weight
  or veto and max, in file order; the rules version exactly as
  classify_rules_version() computes it (the first 16 hex digits of the
  SHA-256 of the file's bytes).  Patterns are not compiled here: the C
  classifier does the matching.
- drivers(): builds bench/classify_batch and bench/classify_mail_batch (the
  C classifier redress runs) once per source state, in a cache directory.
- classify_texts / classify_files: run the drivers, one JSON result each.
- rule_counts(RESULT): hits per rule name (a rule with max=N counts up to N).
- hand_decide(RULES, COUNTS): the C decision of classify_run(), from the
  hit counts alone (used to check that the counts are complete, and as the
  first stage of the trained decision in train_ref.py).
- cfpb_rows(CSV): CFPB narratives with their gold category from
  classify_quality.py's ISSUE_MAP, numbered from 0 in file order (odd =
  held out, as classify_quality.py reports).
- mail_set(DIR): the .eml files of a corpus directory with the number in
  their name (odd / even halves as bench/hygiene.sh --half).
"""
import collections
import csv
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from classify_quality import ISSUE_MAP  # noqa: E402  (the one mapping)

CORPORA = os.environ.get("REDRESS_CORPORA", os.path.join(TOP, "..", "shared", "corpora"))
CFPB_CSV = os.path.join(CORPORA, "complaints", "cfpb_complaints_sample.csv")
SPAM_DIR = os.path.join(CORPORA, "spamassassin", "spam-1")
HAM_DIR = os.path.join(CORPORA, "spamassassin", "easy-ham-1")
SAMPLES_DIR = os.path.join(TOP, "contrib", "samples")
OUTCOMES_DIR = os.path.join(HERE, "data", "outcomes")

PRIORITIES = ["urgent", "high", "normal", "low"]   # most urgent first, as enum priority
CATS = ["billing", "damaged", "delivery", "service", "account", "general"]   # the default complaints
OUTCOMES = ["complaint", "question", "praise"]


class Rules:
    def __init__(self):
        self.path = None
        self.version = None
        self.threshold = 1.0
        self.targets = []      # dicts in file order: categories and tags share it
        self.by_id = {}
        self.rules = []        # dicts in file order
        self.fallback = None

    @property
    def categories(self):
        return [t for t in self.targets if not t["tag"]]

    @property
    def tags(self):
        return [t for t in self.targets if t["tag"]]


def _number(s):
    if not re.fullmatch(r"[+-]?\d+(?:\.\d+)?", s):
        raise ValueError("bad number %r" % s)
    return float(s)


def _label_and_rest(rest):
    m = re.match(r'\s*"((?:[^"\\]|\\.)*)"(.*)$', rest)
    if not m:
        raise ValueError("expected a label")
    return re.sub(r"\\(.)", r"\1", m.group(1)), m.group(2).split()


def parse_rules(path):
    """The directives of a rules file; ValueError("FILE:LINE: ...") on what it cannot read.

    It trusts that the file passed "redress rules lint": it does not repeat
    every check of the C parser, only what the benches need."""
    with open(path, "rb") as f:
        raw = f.read()
    r = Rules()
    r.path = path
    r.version = hashlib.sha256(raw).hexdigest()[:16]
    for n, line in enumerate(raw.decode("utf-8").split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("#") or line[0] in " \t":
            continue
        words = line.split()
        try:
            if words[0] == "threshold":
                r.threshold = _number(words[1])
            elif words[0] == "category":
                cid, prio = words[1], words[2]
                label, flags = _label_and_rest(line.split(None, 3)[3])
                t = {"id": cid, "tag": False, "priority": prio, "label": label,
                     "fallback": False, "outcome": "complaint"}
                for fl in flags:
                    if fl == "fallback":
                        t["fallback"] = True
                        r.fallback = cid
                    elif fl == "not-complaint":
                        t["outcome"] = "question"
                    elif fl == "unrecognised":
                        t["unrecognised"] = True   # a tag rules it out (classify_run)
                    elif fl.startswith("outcome="):
                        t["outcome"] = fl[8:]
                    elif fl in OUTCOMES:
                        t["outcome"] = fl
                    else:
                        raise ValueError("unknown category flag %r" % fl)
                r.targets.append(t)
                r.by_id[cid] = t
            elif words[0] == "tag":
                t = {"id": words[1], "tag": True, "raise": None, "escalate": False,
                     "complaint": False, "min": 1.0}
                for fl in words[2:]:
                    if fl.startswith("raise="):
                        t["raise"] = fl[6:]
                    elif fl.startswith("min="):
                        t["min"] = _number(fl[4:])
                    elif fl in ("escalate", "complaint"):
                        t[fl] = True
                    else:
                        raise ValueError("unknown tag option %r" % fl)
                r.targets.append(t)
                r.by_id[words[1]] = t
            elif words[0] == "rule":
                if ":" not in words:
                    raise ValueError("rule without a standalone \":\"")
                hw = words[:words.index(":")]
                name, field, target, weight = hw[1], hw[2], hw[3], hw[4]
                ru = {"name": name, "field": field, "target": target, "line": n,
                      "veto": weight == "veto", "weight": 0.0 if weight == "veto" else _number(weight),
                      "max": 1, "case": False}
                for fl in hw[5:]:
                    if fl.startswith("max="):
                        ru["max"] = int(fl[4:])
                    elif fl == "case":
                        ru["case"] = True
                if target not in r.by_id:
                    raise ValueError("unknown target %r" % target)
                r.rules.append(ru)
            else:
                raise ValueError("unknown directive %r" % words[0])
        except (IndexError, ValueError) as e:
            raise ValueError("%s:%d: %s" % (path, n, e))
    if r.fallback is None:
        raise ValueError("%s: no fallback category" % path)
    return r


# ---------------------------------------------------------------- drivers

DRIVER_SOURCES = ["bench/classify_batch.c", "bench/classify_mail_batch.c", "bench/build_drivers.sh"] + \
    sorted(os.path.relpath(p, TOP) for d in ("src/policy", "src/base", "src/model", "src/mail")
           for p in glob.glob(os.path.join(TOP, d, "*.[ch]")))


def drivers():
    """(classify_batch, classify_mail_batch), built once per state of their sources."""
    h = hashlib.sha256()
    for p in DRIVER_SOURCES:
        with open(os.path.join(TOP, p), "rb") as f:
            h.update(p.encode() + b"\0" + f.read())
    d = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                     "redress-drivers-%d-%s" % (os.getuid(), h.hexdigest()[:12]))
    batch, mail = os.path.join(d, "classify_batch"), os.path.join(d, "classify_mail_batch")
    if not (os.access(batch, os.X_OK) and os.access(mail, os.X_OK)):
        subprocess.run(["sh", os.path.join(HERE, "build_drivers.sh"), d], check=True)
    return batch, mail


def classify_texts(rules_path, texts, weights=None):
    """One classify JSON object (with explain) per text, classified as a body
    (with the learned weights of the file weights, if given)."""
    batch, _ = drivers()
    data = bytearray()
    for t in texts:
        b = t.encode("utf-8")
        data += b"%d\n" % len(b)
        data += b
    p = subprocess.run([batch, rules_path] + (["--weights", weights] if weights else []),
                       input=bytes(data), capture_output=True, check=False)
    if p.returncode != 0:
        sys.exit("classify_batch failed (%d): %s" % (p.returncode, p.stderr.decode()))
    out = [json.loads(x) for x in p.stdout.decode("utf-8").splitlines()]
    if len(out) != len(texts):
        sys.exit("classify_batch: %d results for %d texts" % (len(out), len(texts)))
    return out


def classify_files(rules_path, paths, text=False):
    """One classify JSON object (with explain) per mail file, as redress classify.

    With text, each also has "subject" and "body": the fields the rules read."""
    _, mail = drivers()
    data = "".join(p + "\n" for p in paths).encode()
    p = subprocess.run([mail, rules_path] + (["--text"] if text else []), input=data,
                       capture_output=True, check=False)
    if p.returncode != 0:
        sys.exit("classify_mail_batch failed (%d): %s" % (p.returncode, p.stderr.decode()))
    out = [json.loads(x) for x in p.stdout.decode("utf-8").splitlines()]
    if len(out) != len(paths):
        sys.exit("classify_mail_batch: %d results for %d files" % (len(out), len(paths)))
    return out


def rule_counts(res):
    return collections.Counter(h["rule"] for h in res.get("rules", []))


# ---------------------------------------------------------------- the hand decision

def hand_scores(rules, counts):
    """(score per target id, set of vetoed target ids) from rule hit counts."""
    score = collections.defaultdict(float)
    vetoed = set()
    for ru in rules.rules:
        n = counts.get(ru["name"], 0)
        if not n:
            continue
        if ru["veto"]:
            vetoed.add(ru["target"])
        else:
            score[ru["target"]] += ru["weight"] * n
    return score, vetoed


def fired_tags(rules, score, vetoed):
    """The tags that fired: their rules reached min and no veto matched."""
    return [t for t in rules.tags if t["id"] not in vetoed and score[t["id"]] >= t["min"]]


def finish(rules, best, score, vetoed):
    """Outcome, priority, tags and escalation of category best, as classify_run()."""
    cat = rules.by_id[best]
    out = {"category": best, "outcome": cat["outcome"], "complaint": cat["outcome"] == "complaint",
           "priority": cat["priority"], "tags": [], "escalate": False}
    for t in fired_tags(rules, score, vetoed):
        out["tags"].append(t["id"])
        if out["complaint"]:
            if t["raise"] and PRIORITIES.index(t["raise"]) < PRIORITIES.index(out["priority"]):
                out["priority"] = t["raise"]
            if t["escalate"]:
                out["escalate"] = True
    return out


def force_complaint(rules, score, vetoed):
    return any(t["complaint"] for t in fired_tags(rules, score, vetoed))


def hand_decide(rules, counts):
    """classify_run()'s decision from hit counts (see src/classify.c)."""
    score, vetoed = hand_scores(rules, counts)
    forced = force_complaint(rules, score, vetoed)
    best = best_c = None
    for t in rules.categories:
        i, s = t["id"], score[t["id"]]
        if i in vetoed or s < rules.threshold:
            continue
        if (best is None or s > score[best] or
                (s == score[best] and rules.by_id[best]["outcome"] != "complaint" and
                 t["outcome"] == "complaint")):
            best = i
        if t["outcome"] == "complaint" and (best_c is None or s > score[best_c]):
            best_c = i
    if best is not None and rules.by_id[best]["outcome"] != "complaint" and forced:
        best = best_c
    if best is not None and rules.by_id[best].get("unrecognised") and fired_tags(rules, score, vetoed):
        best = best_c
    if best is None:
        best = rules.fallback
    out = finish(rules, best, score, vetoed)
    out["scores"] = {t["id"]: score[t["id"]] for t in rules.categories}
    return out


# ---------------------------------------------------------------- data

def cfpb_rows(path=CFPB_CSV):
    """[(n, issue, gold, text, row)] for the rows with a narrative, n from 0."""
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            text = (r.get("Consumer complaint narrative") or "").strip()
            if text:
                rows.append((len(rows), r["Issue"], ISSUE_MAP.get(r["Issue"], "general"), text, r))
    return rows


def mail_set(d):
    """[(number, path)] of the .eml files in d, by number."""
    out = []
    for name in os.listdir(d):
        m = re.search(r"(\d+)", name)
        if name.endswith(".eml") and m:
            out.append((int(m.group(1)), os.path.join(d, name)))
    return sorted(out)


def half(items, which, key=lambda x: x[0]):
    """Odd- or even-numbered items ("odd", "even", "all")."""
    if which == "all":
        return list(items)
    want = 1 if which == "odd" else 0
    return [x for x in items if key(x) % 2 == want]


def blind_set(name):
    """The messages of a written set, bench/data/NAME/messages.jsonl (its README says how)."""
    with open(os.path.join(HERE, "data", name, "messages.jsonl"), encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def outcome_set(d=OUTCOMES_DIR):
    """[(outcome, path)] of the hand-written outcome messages (bench/data/outcomes/OUTCOME/*.eml)."""
    out = []
    if not os.path.isdir(d):
        return out
    for oc in sorted(os.listdir(d)):
        sub = os.path.join(d, oc)
        if os.path.isdir(sub):
            for name in sorted(os.listdir(sub)):
                if name.endswith(".eml"):
                    out.append((oc, os.path.join(sub, name)))
    return out


# ---------------------------------------------------------------- reports

def pct(n, d):
    """'12.5% (3)' of n in d, or '-' when d is 0."""
    return "%.1f%% (%d)" % (100.0 * n / d, n) if d else "-"


def write_report(path, text):
    """A Markdown report to path, or to standard output for "-"."""
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
