#!/usr/bin/env python3
"""train_ref.py - the reference implementation of "redress rules train" (issue 14).

Python 3, standard library only.  bench/train_ref.md is the specification a C
port follows; this file is what its numbers come from.  The rule hits come
from the C classifier itself (bench/classify_batch, bench/classify_mail_batch),
so only the learning and the decision are Python here.

usage: bench/train_ref.py [--rules FILE] DATA... [options]

data (any mix; labels are category ids of the rules file, or not-complaint,
which stands for the first category whose outcome is question):
  --cfpb HALF            the CFPB narratives, labels from classify_quality.py's
                         ISSUE_MAP; HALF even, odd or all (rows with a narrative,
                         counted from 0)
  --csv FILE --text COLUMN --label COLUMN
                         any CSV, one message text per row (classified as a body)
  --dir LABEL=DIR        one message per file (*.eml); LABEL a category id
  --dir-half odd|even|all  only the files whose number is odd/even (default all)

what to do:
  -o FILE                train on the data and write the weights file
  --cv K                 K-fold cross-validation on the data (fold = index mod K)
  --eval-cfpb HALF       train on the data, score on the CFPB rows of HALF
  --weights FILE         score FILE (made before) instead of training: with
                         --eval-cfpb, or on the data itself
  --force                write -o even when cross-validation says the new
                         weights are worse than the hand weights
  --json FILE            also write the figures as JSON (for bench/quality_report.py)
  --predict-csv FILE     with -o or --weights: decide every row of FILE (text
                         in the column --text, default "text") and print one
                         tab-separated line each: row, hand category, trained
                         category, outcome, priority, tags, then the trained
                         score of every trained class (Python repr)

model (defaults are the specification's; change them only to experiment):
  --model logreg|perceptron   (default logreg)
  --features rules,tokens     which features (default both; "rules" or "tokens")
  --prior hand|zero           rule weights regularised towards the hand weights
                              (default) or towards 0
  --lambda X                  L2 strength on rule weights (default 0.003)
  --iters N --lr X            Adam steps and first step size, which falls
                              linearly towards 0 (defaults 1000, 0.1)
  --epochs N                  perceptron passes (default 10)
  --alpha X                   naive Bayes smoothing (default 1)
  --vocab N                   vocabulary cap (default 5000)
  --min-count N               least examples a class needs to be trained
                              (default 5; fewer: the hand rules keep it)
  --folds N                   cross-fitting folds of the token feature (default 5)
  --token-norm mean|sqrt|sum  the token feature's sum of log-ratios divided by
                              the number of tokens, its square root, or 1
                              (default sqrt)
  --class-weight none|sqrt|balanced
                              weight of a class's examples in the loss: 1,
                              sqrt(N / (K n_c)) or N / (K n_c) (default none)
"""
import argparse
import collections
import csv
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rulesdata as rd  # noqa: E402

FORMAT = "redress-weights 1"
CATS = rd.CATS

# ---------------------------------------------------------------- tokens

# Function words carry no category; negations (no, not, never) do, and stay.
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how if in into is it its itself
just me more most my myself nor of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves
""".split())
TOKEN_MIN, TOKEN_MAX = 2, 24
_token_re = re.compile(rb"[A-Za-z]+")


def tokens(text):
    """The tokens of a text: runs of ASCII letters, lower-cased, 2 to 24 letters,
    not a stop word, not made of x alone (redaction marks such as XXXX)."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    out = []
    for m in _token_re.finditer(text):
        t = m.group().lower()
        if TOKEN_MIN <= len(t) <= TOKEN_MAX and t.strip(b"x") and t.decode() not in STOP_WORDS:
            out.append(t.decode())
    return out


def build_vocab(docs, cap, min_df=2):
    """Tokens in at least min_df documents, the cap most frequent by document
    frequency, ties in byte order; returned sorted in byte order."""
    df = collections.Counter()
    for d in docs:
        df.update(set(d))
    cand = sorted((t for t, n in df.items() if n >= min_df), key=lambda t: (-df[t], t.encode()))
    return sorted(cand[:cap], key=lambda t: t.encode())


class NaiveBayes:
    """Multinomial naive Bayes with Lidstone smoothing over a fixed vocabulary."""

    def __init__(self, classes, vocab, alpha, norm="mean"):
        self.classes = list(classes)
        self.vocab = list(vocab)
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.alpha = alpha
        self.norm = norm
        self.counts = [[0] * len(self.vocab) for _ in self.classes]   # [class][token]

    def fit(self, docs, labels):
        ci = {c: i for i, c in enumerate(self.classes)}
        for d, y in zip(docs, labels):
            row = self.counts[ci[y]]
            for t in d:
                j = self.index.get(t)
                if j is not None:
                    row[j] += 1
        self.finish()
        return self

    def finish(self):
        """Log-probabilities and their per-token mean over the classes."""
        V = len(self.vocab)
        self.logp = []
        for row in self.counts:
            total = sum(row)
            den = total + self.alpha * V
            self.logp.append([math.log((n + self.alpha) / den) for n in row])
        K = len(self.classes)
        self.centred = [[lp[j] - sum(self.logp[k][j] for k in range(K)) / K for j in range(V)]
                        for lp in self.logp]

    def feature(self, doc):
        """t_c = sum over the document's in-vocabulary tokens of
        (log P(w|c) - mean_k log P(w|k)), divided by their number; 0 if none."""
        js = [self.index[t] for t in doc if t in self.index]
        if not js:
            return [0.0] * len(self.classes)
        n = {"mean": float(len(js)), "sqrt": math.sqrt(len(js)), "sum": 1.0}[self.norm]
        return [sum(row[j] for j in js) / n for row in self.centred]


# ---------------------------------------------------------------- examples

class Example:
    __slots__ = ("label", "counts", "toks", "hand", "x")

    def __init__(self, label, counts, toks, hand):
        self.label = label
        self.counts = counts     # rule name -> hits
        self.toks = toks         # token list
        self.hand = hand         # hand decision (rulesdata.hand_decide)
        self.x = None            # sparse rule features [(rule index, hits)]


def rule_features(rules, counts):
    return [(i, float(counts[ru["name"]])) for i, ru in enumerate(rules.rules) if counts.get(ru["name"])]


def load_cfpb(rules, which):
    rows = rd.half(rd.cfpb_rows(), which)
    res = rd.classify_texts(rules.path, [r[3] for r in rows])
    return [make_example(rules, r[2], x, "\n" + r[3]) for r, x in zip(rows, res)], rows


def load_csv(rules, path, text_col, label_col):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            t = (r.get(text_col) or "").strip()
            if t and r.get(label_col):
                rows.append((r[label_col], t))
    res = rd.classify_texts(rules.path, [t for _, t in rows])
    return [make_example(rules, y, x, "\n" + t) for (y, t), x in zip(rows, res)]


def load_dir(rules, label, d, which):
    items = rd.half(rd.mail_set(d), which)
    res = rd.classify_files(rules.path, [p for _, p in items], text=True)
    return [make_example(rules, label, x, x["subject"] + "\n" + x["body"]) for x in res]


def make_example(rules, label, res, text):
    counts = rd.rule_counts(res)
    e = Example(label_category(rules, label), counts, tokens(text), rd.hand_decide(rules, counts))
    e.x = rule_features(rules, counts)
    return e


# ---------------------------------------------------------------- the model

class Model:
    def __init__(self, rules, classes, opts):
        self.rules_version = rules.version
        self.rule_names = [ru["name"] for ru in rules.rules]
        self.classes = list(classes)             # trained classes, in the rules file's order
        self.fallback = rules.fallback
        self.opts = opts                          # hyper-parameters, written to the file
        R = len(rules.rules)
        self.W0 = [[0.0] * R for _ in self.classes]
        if opts["prior"] == "hand":
            for k, c in enumerate(self.classes):
                for i, ru in enumerate(rules.rules):
                    if ru["target"] == c and not ru["veto"]:
                        self.W0[k][i] = ru["weight"]
        self.b0 = [rules.threshold if c == rules.fallback and opts["prior"] == "hand" else 0.0
                   for c in self.classes]
        self.W = [row[:] for row in self.W0]
        self.b = self.b0[:]
        self.a = [0.0] * len(self.classes)
        self.nb = None
        self.use_rules = "rules" in opts["features"]
        self.use_tokens = "tokens" in opts["features"]

    def scores(self, x, t):
        K = len(self.classes)
        z = self.b[:]
        if self.use_rules:
            for k in range(K):
                row = self.W[k]
                z[k] += sum(row[i] * v for i, v in x)
        if self.use_tokens and t is not None:
            for k in range(K):
                z[k] += self.a[k] * t[k]
        return z


def label_category(rules, label):
    """A label as a category id: not-complaint is the first question category."""
    if label == "not-complaint":
        for c in rules.categories:
            if c["outcome"] == "question":
                return c["id"]
        sys.exit("train_ref: not-complaint needs a category with outcome question in %s" % rules.path)
    return label


def trained_classes(examples, rules, min_count):
    n = collections.Counter(e.label for e in examples)
    for y in n:
        if y not in rules.by_id or rules.by_id[y]["tag"]:
            sys.exit("train_ref: label %r is not a category of %s" % (y, rules.path))
    return [c["id"] for c in rules.categories if n[c["id"]] >= min_count]


def token_features(examples, classes, opts):
    """Cross-fitted token features for training examples (fold = index mod F),
    and the naive Bayes of all of them for what comes later."""
    F = opts["folds"]
    ex = [e for e in examples if e.label in classes]
    feats = [None] * len(ex)
    for f in range(F):
        tr = [e for i, e in enumerate(ex) if i % F != f]
        nb = NaiveBayes(classes, build_vocab([e.toks for e in tr], opts["vocab"]), opts["alpha"],
                        opts["token_norm"])
        nb.fit([e.toks for e in tr], [e.label for e in tr])
        for i, e in enumerate(ex):
            if i % F == f:
                feats[i] = nb.feature(e.toks)
    nb = NaiveBayes(classes, build_vocab([e.toks for e in ex], opts["vocab"]), opts["alpha"],
                    opts["token_norm"])
    nb.fit([e.toks for e in ex], [e.label for e in ex])
    return ex, feats, nb


def train(rules, examples, opts):
    classes = trained_classes(examples, rules, opts["min_count"])
    m = Model(rules, classes, opts)
    if len(classes) < 2:
        sys.exit("train_ref: fewer than two categories with %d examples" % opts["min_count"])
    if m.use_tokens:
        ex, T, m.nb = token_features(examples, classes, opts)
    else:
        ex = [e for e in examples if e.label in classes]
        T = [None] * len(ex)
    X = [e.x for e in ex]
    Y = [classes.index(e.label) for e in ex]
    if opts["model"] == "logreg":
        fit_logreg(m, X, T, Y, opts)
    else:
        fit_perceptron(m, X, T, Y, opts)
    return m


def fit_logreg(m, X, T, Y, opts):
    """Full-batch Adam on mean cross-entropy + lambda/2 |W - W0|^2 (bias and
    token weights are not regularised), the step size falling linearly from
    lr towards 0 so that the last steps settle.  Fixed steps, no shuffling:
    the same data gives the same weights."""
    K, R, N = len(m.classes), len(m.rule_names), len(X)
    lam, iters = opts["lambda"], opts["iters"]
    b1, b2, eps = 0.9, 0.999, 1e-8
    active = sorted({i for x in X for i, _ in x}) if m.use_rules else []
    # parameters as one flat list: W[k][i] for active i, then b[k], then a[k]
    P = len(active) * K + 2 * K
    mom = [0.0] * P
    vel = [0.0] * P
    pos = {i: n for n, i in enumerate(active)}
    cw = class_weights(Y, K, opts["class_weight"])
    Xp = [[(pos[i], v) for i, v in x] for x in X] if m.use_rules else [[] for _ in X]
    nA = len(active)
    for step in range(1, iters + 1):
        gW = [[0.0] * nA for _ in range(K)]
        gb = [0.0] * K
        ga = [0.0] * K
        for n in range(N):
            x, t, y = Xp[n], T[n], Y[n]
            z = m.b[:]
            for k in range(K):
                row = m.W[k]
                s = 0.0
                for j, v in x:
                    s += row[active[j]] * v
                z[k] += s
                if t is not None:
                    z[k] += m.a[k] * t[k]
            zmax = max(z)
            e = [math.exp(v - zmax) for v in z]
            se = sum(e)
            wy = cw[y]
            for k in range(K):
                g = wy * (e[k] / se - (1.0 if k == y else 0.0))
                if g != 0.0:
                    row = gW[k]
                    for j, v in x:
                        row[j] += g * v
                    gb[k] += g
                    if t is not None:
                        ga[k] += g * t[k]
        grads = []
        for k in range(K):
            for j in range(nA):
                i = active[j]
                grads.append(gW[k][j] / N + lam * (m.W[k][i] - m.W0[k][i]))
        grads.extend(g / N for g in gb)
        grads.extend((g / N if m.use_tokens else 0.0) for g in ga)
        c1 = 1.0 - b1 ** step
        c2 = 1.0 - b2 ** step
        lr = opts["lr"] * (1.0 - (step - 1) / iters)   # linear decay to 0: the last steps settle
        p = 0
        for k in range(K):
            for j in range(nA):
                mom[p] = b1 * mom[p] + (1 - b1) * grads[p]
                vel[p] = b2 * vel[p] + (1 - b2) * grads[p] * grads[p]
                m.W[k][active[j]] -= lr * (mom[p] / c1) / (math.sqrt(vel[p] / c2) + eps)
                p += 1
        for vec in (m.b, m.a):
            for k in range(K):
                mom[p] = b1 * mom[p] + (1 - b1) * grads[p]
                vel[p] = b2 * vel[p] + (1 - b2) * grads[p] * grads[p]
                vec[k] -= lr * (mom[p] / c1) / (math.sqrt(vel[p] / c2) + eps)
                p += 1
    m.final_objective = objective(m, Xp, active, T, Y, lam)


def class_weights(Y, K, how):
    """Loss weight of each class: 1, or (N / (K n_c)) to the power 1/2 or 1."""
    n = collections.Counter(Y)
    N = len(Y)
    if how == "none":
        return [1.0] * K
    p = 0.5 if how == "sqrt" else 1.0
    return [(N / (K * n[k])) ** p if n[k] else 0.0 for k in range(K)]


def objective(m, Xp, active, T, Y, lam):
    K, N = len(m.classes), len(Xp)
    cw = class_weights(Y, K, m.opts["class_weight"])
    loss = 0.0
    for n in range(N):
        z = m.b[:]
        for k in range(K):
            z[k] += sum(m.W[k][active[j]] * v for j, v in Xp[n])
            if T[n] is not None:
                z[k] += m.a[k] * T[n][k]
        zmax = max(z)
        loss += cw[Y[n]] * (zmax + math.log(sum(math.exp(v - zmax) for v in z)) - z[Y[n]])
    reg = sum((m.W[k][i] - m.W0[k][i]) ** 2 for k in range(K) for i in range(len(m.rule_names)))
    return loss / N + lam / 2 * reg


def fit_perceptron(m, X, T, Y, opts):
    """Averaged multi-class perceptron from the prior, examples in order, step 1:
    on a mistake add the example to the right class and take it from the
    predicted one (the bias and token feature alike)."""
    K, R = len(m.classes), len(m.rule_names)
    sW = [[0.0] * R for _ in range(K)]
    sb = [0.0] * K
    sa = [0.0] * K
    count = 0
    for _ in range(opts["epochs"]):
        for x, t, y in zip(X, T, Y):
            z = m.scores(x, t)
            p = max(range(K), key=lambda k: (z[k], -k))
            if p != y:
                for k, sgn in ((y, 1.0), (p, -1.0)):
                    if m.use_rules:
                        for i, v in x:
                            m.W[k][i] += sgn * v
                    m.b[k] += sgn
                    if t is not None:
                        m.a[k] += sgn * t[k]
            count += 1
            for k in range(K):
                if m.use_rules:
                    row, srow = m.W[k], sW[k]
                    for i in range(R):
                        srow[i] += row[i]
                sb[k] += m.b[k]
                sa[k] += m.a[k]
    m.W = [[v / count for v in row] for row in sW]
    m.b = [v / count for v in sb]
    m.a = [v / count for v in sa]


# ---------------------------------------------------------------- the decision

def decide(m, rules, counts, text=None, toks=None, hand=None):
    """The trained decision.

    1. The hand decision, exactly as classify_run() (rd.hand_decide).
    2. If its category is a trained class, or it is the fallback and the
       fallback is a trained class, the trained scores choose among the
       trained classes that no veto rule matched: the highest, the earlier
       class in the rules file on a tie.  Otherwise the hand decision stands
       (a question, praise, or a category with too few examples to train).
    3. Outcome, priority, tags and escalation follow the chosen category as
       in classify_run(); tags keep their hand weights."""
    if hand is None:
        hand = rd.hand_decide(rules, counts)
    c = hand["category"]
    if not (c in m.classes or (c == rules.fallback and rules.fallback in m.classes)):
        return hand
    score, vetoed = rd.hand_scores(rules, counts)
    x = rule_features(rules, counts)
    t = None
    if m.use_tokens:
        if toks is None:
            toks = tokens(text or "")
        t = m.nb.feature(toks)
    z = m.scores(x, t)
    best = None
    for k, cl in enumerate(m.classes):
        if cl in vetoed:
            continue
        if best is None or z[k] > z[best]:
            best = k
    if best is None:
        return hand
    out = rd.finish(rules, m.classes[best], score, vetoed)
    out["scores"] = dict(zip(m.classes, z))
    return out


def predict_example(m, rules, e):
    return decide(m, rules, e.counts, toks=e.toks, hand=e.hand)["category"]


def hand_label(e):
    return e.hand["category"]


# ---------------------------------------------------------------- weights file

def fmt(v):
    return repr(float(v)) if v != 0 else "0"


def save_weights(m, rules, path, note):
    L = [FORMAT,
         "# Made by bench/train_ref.py: %s" % note,
         "# One line per fact; numbers as Python repr (shortest round-trip decimal).",
         "rules-version %s" % m.rules_version,
         "rules %d" % len(m.rule_names),
         "classes %s" % " ".join(m.classes),
         "fallback %s" % m.fallback]
    for k in ("model", "features", "prior", "lambda", "iters", "lr", "epochs", "alpha", "vocab",
              "min_count", "folds", "class_weight", "token_norm"):
        v = m.opts[k]
        L.append("param %s %s" % (k, ",".join(v) if isinstance(v, list) else v))
    for k, c in enumerate(m.classes):
        L.append("bias %s %s" % (c, fmt(m.b[k])))
    for k, c in enumerate(m.classes):
        L.append("token-weight %s %s" % (c, fmt(m.a[k])))
    for i, name in enumerate(m.rule_names):
        vals = [m.W[k][i] for k in range(len(m.classes))]
        if any(v != 0 for v in vals) or any(m.W0[k][i] != 0 for k in range(len(m.classes))):
            L.append("weight %s %s" % (name, " ".join(fmt(v) for v in vals)))
    if m.use_tokens:
        L.append("vocab %d" % len(m.nb.vocab))
        for j, t in enumerate(m.nb.vocab):
            L.append("token %s %s" % (t, " ".join(str(m.nb.counts[k][j]) for k in range(len(m.classes)))))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")


def load_weights(path, rules):
    """A weights file for these rules; SystemExit on any mismatch."""
    def bad(n, why):
        sys.exit("%s:%d: %s" % (path, n, why))
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if not lines or lines[0] != FORMAT:
        bad(1, "not a weights file (first line %r)" % FORMAT)
    m = None
    opts = {}
    classes = None
    W = {}
    tok = []
    for n, line in enumerate(lines[1:], 2):
        if not line or line.startswith("#"):
            continue
        w = line.split(" ")
        key = w[0]
        if key == "rules-version":
            if w[1] != rules.version:
                bad(n, "made for rules version %s, these rules are %s (%s): train again"
                    % (w[1], rules.version, rules.path))
        elif key == "rules":
            if int(w[1]) != len(rules.rules):
                bad(n, "made for %s rules, not %d" % (w[1], len(rules.rules)))
        elif key == "classes":
            classes = w[1:]
            for c in classes:
                if c not in rules.by_id or rules.by_id[c]["tag"]:
                    bad(n, "%r is not a category of %s" % (c, rules.path))
        elif key == "fallback":
            pass
        elif key == "param":
            opts[w[1]] = w[2]
        elif key in ("bias", "token-weight", "weight", "token", "vocab"):
            if m is None:
                if classes is None:
                    bad(n, "%s before classes" % key)
                for k in ("lambda", "lr", "alpha"):
                    opts[k] = float(opts[k])
                for k in ("iters", "epochs", "vocab", "min_count", "folds"):
                    opts[k] = int(opts[k])
                opts.setdefault("class_weight", "none")
                opts.setdefault("token_norm", "mean")
                opts["features"] = opts["features"].split(",")
                m = Model(rules, classes, opts)
                b, a = {}, {}
            want = {"bias": 3, "token-weight": 3, "weight": 2 + len(classes), "token": 2 + len(classes),
                    "vocab": 2}[key]
            if len(w) != want:
                bad(n, "%s: %d fields, not %d" % (key, len(w), want))
            try:
                if key in ("bias", "token-weight"):
                    if w[1] not in classes:
                        bad(n, "%s for %r, which is not a trained class" % (key, w[1]))
                    (b if key == "bias" else a)[w[1]] = float(w[2])
                elif key == "weight":
                    if w[1] not in m.rule_names:
                        bad(n, "no rule %r in %s" % (w[1], rules.path))
                    W[w[1]] = [float(v) for v in w[2:]]
                elif key == "token":
                    cs = [int(v) for v in w[2:]]
                    if any(c < 0 for c in cs) or not all(v.isdigit() for v in w[2:]):
                        bad(n, "token counts must be non-negative integers")
                    tok.append((w[1], cs))
            except ValueError:
                bad(n, "%s: not a number" % key)
        else:
            bad(n, "unknown line %r" % key)
    if m is None:
        bad(len(lines), "no weights")
    for c in m.classes:
        if c not in b or c not in a:
            bad(len(lines), "no bias or token-weight for %r" % c)
    m.b = [b[c] for c in m.classes]
    m.a = [a[c] for c in m.classes]
    m.W = [[0.0] * len(m.rule_names) for _ in m.classes]
    for i, name in enumerate(m.rule_names):
        for k, v in enumerate(W.get(name, [0.0] * len(m.classes))):
            m.W[k][i] = v
    if m.use_tokens:
        m.nb = NaiveBayes(m.classes, [t for t, _ in tok], opts["alpha"], opts["token_norm"])
        m.nb.counts = [[c[k] for _, c in tok] for k in range(len(m.classes))]
        m.nb.finish()
    return m


# ---------------------------------------------------------------- scoring

ORDER = []   # the rules file's categories, for tables (set in main)


def prf(pairs):
    """Per-category precision, recall, F1 over the categories with gold
    examples; macro-F1 is their mean, accuracy the share right.  A message of
    a question or praise category counts as wrong for a complaint category,
    as in bench/classify_quality.py (where it shows as "not-complaint")."""
    gold = [c for c in ORDER if any(g == c for g, _ in pairs)]
    rows, f1s = [], []
    for c in gold:
        tp = sum(1 for g, p in pairs if g == c and p == c)
        fp = sum(1 for g, p in pairs if g != c and p == c)
        fn = sum(1 for g, p in pairs if g == c and p != c)
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        rows.append((c, tp + fn, tp + fp, pr, rc, f1))
        f1s.append(f1)
    macro = sum(f1s) / len(f1s) if f1s else 0.0
    acc = sum(1 for g, p in pairs if g == p) / len(pairs) if pairs else 0.0
    return rows, macro, acc


def report(name, pairs):
    per, macro, acc = prf(pairs)
    out = ["%s: macro-F1 %.3f, accuracy %.3f (%d messages)" % (name, macro, acc, len(pairs))]
    out.append("  per category: " + ", ".join("%s F1 %.2f (P %.2f R %.2f, %d gold)" % (c, f1, pr, rc, sup)
                                              for c, sup, _, pr, rc, f1 in per))
    conf = collections.Counter(pairs)
    cols = [c for c in ORDER if any(p == c for _, p in pairs) or any(g == c for g, _ in pairs)]
    out.append("  | gold \\ predicted | " + " | ".join(cols) + " |")
    out.append("  | --- |" + " ---: |" * len(cols))
    for g in [c for c in ORDER if any(gg == c for gg, _ in pairs)]:
        out.append("  | %s | " % g + " | ".join(str(conf[(g, p)]) for p in cols) + " |")
    return "\n".join(out), macro, acc


def figure(pairs):
    """What a report needs of a scored set: macro-F1, accuracy, per category, confusion."""
    per, macro, acc = prf(pairs)
    return {"macro_f1": macro, "accuracy": acc, "n": len(pairs),
            "per": [{"category": c, "gold": g, "predicted": n, "precision": p, "recall": r, "f1": f}
                    for c, g, n, p, r, f in per],
            "confusion": [[g, p, n] for (g, p), n in sorted(collections.Counter(pairs).items())]}


def cross_validate(rules, examples, opts, K):
    """Predictions for every example from models trained on the other folds."""
    preds = [None] * len(examples)
    for f in range(K):
        tr = [e for i, e in enumerate(examples) if i % K != f]
        m = train(rules, tr, opts)
        for i, e in enumerate(examples):
            if i % K == f:
                preds[i] = predict_example(m, rules, e)
    return preds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog="")
    ap.add_argument("--rules", default=os.path.join(rd.TOP, "rules.conf"))
    ap.add_argument("--cfpb", choices=["even", "odd", "all"])
    ap.add_argument("--csv")
    ap.add_argument("--text")
    ap.add_argument("--label")
    ap.add_argument("--dir", action="append", default=[])
    ap.add_argument("--dir-half", default="all", choices=["odd", "even", "all"])
    ap.add_argument("-o", dest="out")
    ap.add_argument("--cv", type=int)
    ap.add_argument("--eval-cfpb", choices=["even", "odd", "all"])
    ap.add_argument("--weights")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--predict-csv")
    ap.add_argument("--json")
    ap.add_argument("--model", default="logreg", choices=["logreg", "perceptron"])
    ap.add_argument("--features", default="rules,tokens")
    ap.add_argument("--prior", default="hand", choices=["hand", "zero"])
    ap.add_argument("--lambda", dest="lam", type=float, default=0.003)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--vocab", type=int, default=5000)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--class-weight", default="none", choices=["none", "sqrt", "balanced"])
    ap.add_argument("--token-norm", default="sqrt", choices=["mean", "sqrt", "sum"])
    a = ap.parse_args()

    rules = rd.parse_rules(a.rules)
    ORDER[:] = [c["id"] for c in rules.categories]
    opts = {"model": a.model, "features": [f for f in a.features.split(",") if f], "prior": a.prior,
            "lambda": a.lam, "iters": a.iters, "lr": a.lr, "epochs": a.epochs, "alpha": a.alpha,
            "vocab": a.vocab, "min_count": a.min_count, "folds": a.folds,
            "class_weight": a.class_weight, "token_norm": a.token_norm}
    for f in opts["features"]:
        if f not in ("rules", "tokens"):
            sys.exit("train_ref: --features takes rules and/or tokens, not %r" % f)
    examples = []
    if a.cfpb:
        examples += load_cfpb(rules, a.cfpb)[0]
    if a.csv:
        if not (a.text and a.label):
            sys.exit("train_ref: --csv needs --text COLUMN and --label COLUMN")
        examples += load_csv(rules, a.csv, a.text, a.label)
    for spec in a.dir:
        label, _, d = spec.partition("=")
        examples += load_dir(rules, label, d, a.dir_half)
    cmd = "bench/train_ref.py " + " ".join(sys.argv[1:])
    print("command: %s" % cmd)
    figures = {"command": cmd, "rules_version": rules.version, "examples": len(examples)}
    print("rules: %s (version %s, %d rules); %d training messages %s" % (
        os.path.relpath(a.rules, rd.TOP), rules.version, len(rules.rules), len(examples),
        dict(sorted(collections.Counter(e.label for e in examples).items()))))

    if a.weights:
        m = load_weights(a.weights, rules)
        print("weights: %s (classes %s)" % (a.weights, " ".join(m.classes)))
        if examples and not a.eval_cfpb:
            print(report("weights on the data", [(e.label, predict_example(m, rules, e))
                                                  for e in examples])[0])
    if a.cv:
        preds = cross_validate(rules, examples, opts, a.cv)
        print(report("%d-fold cross-validation" % a.cv, [(e.label, p) for e, p in zip(examples, preds)])[0])
        print(report("hand weights on the same data", [(e.label, hand_label(e)) for e in examples])[0])
        figures["cv"] = figure([(e.label, p) for e, p in zip(examples, preds)])
        figures["cv_hand"] = figure([(e.label, hand_label(e)) for e in examples])
    m = None
    if (a.out or a.eval_cfpb) and not a.weights:
        m = train(rules, examples, opts)
        print("trained: classes %s; %s" % (" ".join(m.classes), "objective %.6f" % m.final_objective
                                           if hasattr(m, "final_objective") else a.model))
    elif a.weights:
        m = load_weights(a.weights, rules)
    if a.eval_cfpb:
        ev, _ = load_cfpb(rules, a.eval_cfpb)
        print(report("CFPB %s rows, hand weights" % a.eval_cfpb, [(e.label, hand_label(e)) for e in ev])[0])
        print(report("CFPB %s rows, trained" % a.eval_cfpb,
                     [(e.label, predict_example(m, rules, e)) for e in ev])[0])
        figures["eval_hand"] = figure([(e.label, hand_label(e)) for e in ev])
        figures["eval"] = figure([(e.label, predict_example(m, rules, e)) for e in ev])
    if a.out:
        if not a.weights and (a.cv or not a.force):
            K = a.cv or 5
            preds = preds if a.cv else cross_validate(rules, examples, opts, K)
            _, new, _ = report("", [(e.label, p) for e, p in zip(examples, preds)])
            _, old, _ = report("", [(e.label, hand_label(e)) for e in examples])
            print("refusal check (%d-fold CV macro-F1): trained %.3f, hand weights %.3f" % (K, new, old))
            if new < old and not a.force:
                sys.exit("train_ref: the trained weights score worse than the hand weights "
                         "(%.3f < %.3f); not written (--force writes them)" % (new, old))
        argv = sys.argv[1:]
        if "-o" in argv:
            argv[argv.index("-o") + 1] = "FILE"
        if "--json" in argv:
            del argv[argv.index("--json"):argv.index("--json") + 2]
        save_weights(m, rules, a.out, "bench/train_ref.py " + " ".join(argv))
        print("wrote %s" % a.out)
    if a.json:
        if m is not None:
            figures["classes"] = m.classes
            if hasattr(m, "final_objective"):
                figures["objective"] = m.final_objective
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1)
    if a.predict_csv:
        if m is None:
            sys.exit("train_ref: --predict-csv needs -o or --weights")
        predict_csv(m, rules, a.predict_csv, a.text or "text")


def predict_csv(m, rules, path, col):
    with open(path, newline="", encoding="utf-8") as f:
        texts = [r[col] for r in csv.DictReader(f)]
    res = rd.classify_texts(rules.path, texts)
    print("row\thand\ttrained\toutcome\tpriority\ttags\t" + "\t".join(m.classes))
    for n, (t, x) in enumerate(zip(texts, res)):
        counts = rd.rule_counts(x)
        hand = rd.hand_decide(rules, counts)
        d = decide(m, rules, counts, text="\n" + t, hand=hand)
        z = d["scores"] if "scores" in d and set(d["scores"]) == set(m.classes) else None
        print("%d\t%s\t%s\t%s\t%s\t%s\t%s" % (n, hand["category"], d["category"], d["outcome"], d["priority"],
                                            ",".join(d["tags"]) or "-",
                                            "\t".join(repr(z[c]) for c in m.classes) if z else "-"))


if __name__ == "__main__":
    main()
