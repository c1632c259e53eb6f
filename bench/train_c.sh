#!/bin/sh
# train_c.sh - "redress rules train" (the C port of bench/train_ref.py) on the
# shared corpora: the shipped weights, their figures on the held-out half,
# apologies to mail that is not a complaint, training and classifying speed.
#
# usage: bench/train_c.sh REDRESS [OUT] [--base COMMIT]
#   REDRESS  the redress binary to measure (e.g. build-plain/redress)
#   OUT      the report (default bench/train-c.md; "-" = standard output)
#   --base COMMIT  also time classify_run as it was at COMMIT (the speed
#            before issue 14), from a temporary checkout of its sources
# Environment: REDRESS_CORPORA (default ../shared/corpora), SECONDS_PER_RUN
# (default 2), CC.
#
# Writes rules.weights (the default rules' weights, trained on the CFPB even
# rows) beside rules.conf, with the command that made it in its header, and
# checks that it equals bench/data/cfpb-even.weights (the Python
# reference's) line for line, comments aside.  Everything is scored on the
# halves nobody tuned on: CFPB odd rows, even-numbered mail files.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { sed -n '4,11p' "$0" >&2; exit 64; }
redress=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$top/bench/train-c.md}
[ "$out" = - ] || out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
base=
[ "${3:-}" = --base ] && base=${4:?--base needs a commit}
corpora=${REDRESS_CORPORA:-$top/../shared/corpora}
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redress-trainc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export REDRESS_CORPORA="$corpora"

cd "$tmp"
cp "$top/rules.conf" rules.conf
printf '[paths]\nrules = %s/rules.conf\n' "$tmp" > redress.conf
R() { "$redress" -c "$tmp/redress.conf" "$@"; }
python3 "$top/bench/cfpb_csv.py" even cfpb-even.csv >/dev/null
python3 "$top/bench/cfpb_csv.py" odd cfpb-odd.csv >/dev/null
python3 "$top/bench/cfpb_csv.py" all cfpb-all.csv >/dev/null
# The even- (or odd-) numbered files of a corpus directory, as links.
half() {   # $1 dir, $2 name, $3 0 even, 1 odd
	python3 - "$1" "$2" "$3" <<'EOF2'
import os, re, sys
d, name, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.mkdir(name)
for f in sorted(os.listdir(d)):
    m = re.search(r"(\d+)", f)
    if f.endswith(".eml") and m and int(m.group(1)) % 2 == want:
        os.symlink(os.path.join(d, f), os.path.join(name, f))
EOF2
}
half "$corpora/spamassassin/easy-ham-1" ham 0
half "$corpora/spamassassin/spam-1" spam 0

# The shipped weights: this command, in this directory.
train_cmd="redress rules train --rules rules.conf --csv cfpb-even.csv --text text --label label -o rules.weights"
R rules train --rules rules.conf --csv cfpb-even.csv --text text --label label -o rules.weights > train.out
if [ "$(grep -v '^#' rules.weights | md5sum)" = "$(grep -v '^#' "$top/bench/data/cfpb-even.weights" | md5sum)" ]; then
	same="the same as \`bench/data/cfpb-even.weights\` (the Python reference's, \`bench/train_ref.py --cfpb even ...\`) on every line but the comments"
else
	same="**different from** \`bench/data/cfpb-even.weights\` (the rules changed since the reference made it, or the port drifted: compare them)"
fi
cp rules.weights "$top/rules.weights"

R rules train --csv cfpb-even.csv --text text --label label --cv 5 --weights rules.weights > cv.out
R rules train --csv cfpb-odd.csv --text text --label label --score --weights rules.weights > odd.out
R --json rules train --csv cfpb-odd.csv --text text --label label --score --weights rules.weights > odd.json
R --json rules train --dir not-complaint=ham --score --weights rules.weights > ham.json
R --json rules train --dir not-complaint=spam --score --weights rules.weights > spam.json
R --json rules train --dir question="$top/bench/data/outcomes/question" \
	--dir praise="$top/bench/data/outcomes/praise" --score --weights rules.weights > outcomes.json
# An experiment: the odd ham files as not-complaint beside the CFPB even rows.
half "$corpora/spamassassin/easy-ham-1" hamodd 1
R rules train --csv cfpb-even.csv --text text --label label --dir not-complaint=hamodd \
	--force -o ham.weights > /dev/null
R --json rules train --csv cfpb-odd.csv --text text --label label --score --weights ham.weights > odd-ham.json
R --json rules train --dir not-complaint=ham --score --weights ham.weights > ham-ham.json
R --json rules train --dir question="$top/bench/data/outcomes/question" \
	--dir praise="$top/bench/data/outcomes/praise" --score --weights ham.weights > outcomes-ham.json

# Training speed: the 1,532 narratives seven times over (10,724 messages).
python3 - <<'EOF'
import csv
rows = list(csv.reader(open("cfpb-all.csv", newline="", encoding="utf-8")))
with open("cfpb-10k.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(rows[0])
    for _ in range(7):
        w.writerows(rows[1:])
EOF
t0=$(date +%s.%N)
R rules train --csv cfpb-10k.csv --text text --label label --force -o big.weights > big.out
t1=$(date +%s.%N)
t2=$(date +%s.%N)
R rules train --csv cfpb-10k.csv --text text --label label --cv 5 > /dev/null
t3=$(date +%s.%N)

# Classifying speed: classify_run over 300 narratives, hand weights and learned.
cat > autoconfig.h <<'H'
#define PCRE2_CODE_UNIT_WIDTH 8
#define PACKAGE_VERSION "bench"
#define _GNU_SOURCE 1
H
build_speed() {   # $1 source top, $2 output
	# shellcheck disable=SC2046
	"$cc" -std=c11 -O2 -D_GNU_SOURCE -I"$tmp" -I"$1/src" $(pkg-config --cflags libpcre2-8 gnutls) \
		"$1/bench/classify_speed.c" "$1"/src/policy/classify*.c "$1"/src/base/*.c \
		"$1"/src/model/*.c -o "$2" $(pkg-config --libs libpcre2-8 gnutls) -lm
}
build_speed "$top" ./speed
python3 - <<'EOF'
import csv
rows = list(csv.DictReader(open("cfpb-all.csv", newline="", encoding="utf-8")))[:300]
# The narratives are ASCII.  Mail often is not: the same with a curly
# quote, a dash and a pound sign (punctuation and symbols: the twins serve
# it), with a letter beyond ASCII (the twins on a folded copy), and with a
# no-break space (folded too, to a tab).
for name, tail in (("texts", ""), ("texts-punct", " It\u2019s \u00a35 \u2014 fine."),
                   ("texts-letter", " Caf\u00e9."), ("texts-space", " \u00a35\u00a0a month.")):
    with open(name, "wb") as f:
        for r in rows:
            b = (r["text"] + tail).encode()
            f.write(b"%d\n" % len(b) + b)
EOF
secs=${SECONDS_PER_RUN:-2}
if [ -n "$base" ]; then
	mkdir basesrc
	# The base with its own rules: the cost per message as it was then,
	# whatever rules and outcomes have been added since.
	git -C "$top" archive "$base" src bench/classify_speed.c rules.conf | tar -x -C basesrc
	build_speed "$tmp/basesrc" ./speed-base
fi
# Three rounds, the builds interleaved, so that a busy machine slows each alike.
for round in 1 2 3; do
	for t in texts texts-punct texts-letter texts-space; do
		[ -n "$base" ] && ./speed-base basesrc/rules.conf $t --seconds "$secs" > "speed-base-$t$round.out"
		./speed rules.conf $t --seconds "$secs" > "speed-hand-$t$round.out"
		./speed rules.conf $t --seconds "$secs" --weights rules.weights > "speed-learned-$t$round.out"
	done
done

# How much real text each row stands for: the bodies by what they hold
# beyond ASCII (decoded by Python's email package, not by redress).
python3 - "$top" "$corpora" <<'EOF2'
import collections, csv, email, email.policy, json, os, sys, unicodedata
top, corpora = sys.argv[1], sys.argv[2]
def kind(t):   # as classify.c's classify_text_kind sorts a field
    k = "ascii"
    for ch in t:
        if ord(ch) < 128:
            continue
        c = unicodedata.category(ch)
        if c[0] in "PS" and c != "Pc":
            k = "punct" if k == "ascii" else k
        elif (c[0] == "L" or c in ("Zs", "Nl", "No")) and ch not in "\u212a\u017f":
            k = "fold"
        else:
            return "ucp"
    return k
def body(p):
    m = email.message_from_binary_file(open(p, "rb"), policy=email.policy.default)
    try:
        b = m.get_body(preferencelist=("plain", "html"))
        return b.get_content() if b else ""
    except Exception:
        return ""
out = collections.OrderedDict()
for name in ("easy-ham-1", "spam-1"):
    d = os.path.join(corpora, "spamassassin", name)
    out[name] = collections.Counter(kind(body(os.path.join(d, f))) for f in sorted(os.listdir(d)))
with open(os.path.join(corpora, "complaints", "cfpb_complaints_sample.csv"), newline="", encoding="utf-8") as f:
    out["CFPB narratives"] = collections.Counter(kind(r["Consumer complaint narrative"]) for r in csv.DictReader(f)
                                                 if r.get("Consumer complaint narrative"))
sys.path.insert(0, os.path.join(top, "bench"))
import rulesdata as rd
w = collections.Counter()
for n in sorted(x for x in os.listdir(os.path.join(rd.HERE, "data")) if x.startswith("blind")):
    w.update(kind(m["subject"] + "\n\n" + m["text"]) for m in rd.blind_set(n))
out["written sets (bench/data/blind*)"] = w
json.dump(out, open("kinds.json", "w"))
EOF2

# Severity: priority and harm tags by CFPB's proxies of a serious complaint.
python3 - "$top" <<'EOF2'
import collections, json, sys
sys.path.insert(0, sys.argv[1] + "/bench")
import rulesdata as rd
rows = rd.half(rd.cfpb_rows(), "odd")
res = rd.classify_texts("rules.conf", [r[3] for r in rows])
harm = {"money", "chasing", "vulnerable", "legal", "safety", "public", "churn"}
names = {"Closed with monetary relief": "monetary relief", "Closed with non-monetary relief":
         "non-monetary relief", "Closed with explanation": "closed with explanation"}
out = collections.OrderedDict((k, []) for k in ["monetary relief", "non-monetary relief",
                                                "closed with explanation", "Older American", "all"])
for r, x in zip(rows, res):
    v = (x["priority"], len(set(x["tags"]) & harm))
    g = names.get(r[4].get("Company response to consumer", ""))
    if g:
        out[g].append(v)
    if "Older American" in (r[4].get("Tags") or ""):
        out["Older American"].append(v)
    out["all"].append(v)
json.dump(out, open("severity.json", "w"))
EOF2
TRAIN_CMD=$train_cmd SAME=$same T_TRAIN=$(python3 -c "print($t1 - $t0)") T_CV=$(python3 -c "print($t3 - $t2)") \
BASE=$base python3 - "$out" <<'EOF'
import json, os, re, sys
def j(p): return json.load(open(p))
def kv(p):
    if not os.path.exists(p): return None
    return dict(x.split("=", 1) for x in open(p).read().split())
def best(*ps):
    v = [float(kv(p)["msgs_per_s"]) for p in ps if kv(p)]
    return max(v) if v else None
def apol(d, k): return 100.0 * d[k]["complaint"] / d[k]["messages"] if d[k]["messages"] else 0.0
odd, ham, spam, oc = j("odd.json"), j("ham.json"), j("spam.json"), j("outcomes.json")
oddh, hamh, och = j("odd-ham.json"), j("ham-ham.json"), j("outcomes-ham.json")
def per(d):
    return ", ".join("%s %.2f" % (c["category"], c["f1"]) for c in d["per_category"])
def conf(d, order):
    cells = {(g, p): n for g, p, n in d["confusion"]}
    cols = [c for c in order if any(c in (g, p) for g, p in cells)]
    rows = [c for c in order if any(g == c for g, _ in cells)]
    L = ["| gold \\ decided | " + " | ".join(cols) + " |", "| --- |" + " ---: |" * len(cols)]
    for g in rows:
        L.append("| %s | " % g + " | ".join(str(cells.get((g, p), 0)) for p in cols) + " |")
    return "\n".join(L)
order = ["billing", "damaged", "delivery", "service", "account", "general", "question", "praise"]
cv = open("cv.out").read()
m = re.search(r"5-fold cross-validation: macro-F1 ([0-9.]+), accuracy ([0-9.]+)", cv)
mh = re.search(r"hand weights on the same messages: macro-F1 ([0-9.]+), accuracy ([0-9.]+)", cv)
E = os.environ
R3 = (1, 2, 3)
def speeds(t):
    return [best(*["speed-%s-%s%d.out" % (k, t, i) for i in R3]) for k in ("hand", "learned", "base")]
sh, sl, sb = speeds("texts")
L = []
w = L.append
w("# `redress rules train` on the shared corpora (issue 14)")
w("")
w("Made by `bench/train_c.sh build-plain/redress%s` (run it again to refresh; it also writes"
  " `rules.weights`). The C port of `bench/train_ref.py`; `bench/classify-quality.md` has the"
  " reference's figures and the variants. Scored on the halves nobody tuned on: CFPB odd rows,"
  " even-numbered mail files." % (" '' --base " + E["BASE"] if E["BASE"] else ""))
w("")
w("## The shipped weights: `rules.weights`")
w("")
w("Made in a directory holding `rules.conf` and `cfpb-even.csv` (`bench/cfpb_csv.py even cfpb-even.csv`:"
  " the 766 even CFPB rows with a narrative, labels from `ISSUE_MAP`) by")
w("")
w("    " + E["TRAIN_CMD"])
w("")
w("(the header of the file says so). They are %s." % E["SAME"])
w("They are not loaded unless `[classify] weights` names them, and any edit to `rules.conf` (issue 13's"
  " spam rules included) makes them stale: run the command again.")
w("")
w("## CFPB, held-out odd rows (766)")
w("")
w("Targets of issue 14: macro-F1 >= 0.60, accuracy >= 0.68.")
w("")
w("| decision | macro-F1 | accuracy | apologised | 5-fold CV on the even rows | command |")
w("| --- | ---: | ---: | ---: | ---: | --- |")
w("| hand weights (before) | %.3f | %.3f | %.1f%% | %s / %s | `redress rules train --csv cfpb-odd.csv --text text --label label --score --weights rules.weights` |"
  % (odd["hand"]["macro_f1"], odd["hand"]["accuracy"], apol(odd, "hand"), mh.group(1), mh.group(2)))
w("| learned weights, `rules.weights` (after) | %.3f | %.3f | %.1f%% | %s / %s | the same; CV: `redress rules train --csv cfpb-even.csv --text text --label label --cv 5` |"
  % (odd["current"]["macro_f1"], odd["current"]["accuracy"], apol(odd, "current"), m.group(1), m.group(2)))
w("")
w("Per category F1, hand: %s; learned: %s." % (per(odd["hand"]), per(odd["current"])))
w("")
w("Hand weights (before):")
w("")
w(conf(odd["hand"], order))
w("")
w("Learned weights (after):")
w("")
w(conf(odd["current"], order))
w("")
met = odd["current"]["accuracy"] >= 0.68
w("%s (as `bench/train_ref.md` section 9 found for the reference): macro-F1"
  " %.3f against 0.60, accuracy %.3f against 0.68. `delivery` has 3 gold rows here and 1 in the training"
  " half, too few to learn; most of the rest is billing <-> account, which CFPB filers choose between"
  " for the same words." % ("**The accuracy target is met, the macro-F1 target is not**" if met else
                            "**Neither target is met**", odd["current"]["macro_f1"], odd["current"]["accuracy"]))
w("")
w("## Not a complaint: who gets an apology")
w("")
w("Share of each set whose outcome is *complaint* (the apologising acknowledgement): the classifier"
  " alone, before issue 13's traffic verdict and intake's autoreply suppressions.")
w("")
w("| weights | CFPB odd rows (should stay >= 98%%) | easy-ham-1, even files (%d) | spam-1, even files (%d) | hand-written questions | hand-written praise |"
  % (ham["hand"]["messages"], spam["hand"]["messages"]))
w("| --- | ---: | ---: | ---: | ---: | ---: |")
qh = oc["hand"]; qc = oc["current"]; qx = och["current"]
def qp(d, cat):
    cells = {(g, p): n for g, p, n in d["confusion"]}
    tot = sum(n for (g, p), n in cells.items() if g == cat)
    comp = sum(n for (g, p), n in cells.items() if g == cat and p not in ("question", "praise"))
    return "%d of %d" % (comp, tot)
w("| hand | %.1f%% | %.1f%% | %.1f%% | %s | %s |" % (apol(odd, "hand"), apol(ham, "hand"), apol(spam, "hand"),
                                                    qp(qh, "question"), qp(qh, "praise")))
w("| `rules.weights` (CFPB even rows) | %.1f%% | %.1f%% | %.1f%% | %s | %s |" % (
    apol(odd, "current"), apol(ham, "current"), apol(spam, "current"), qp(qc, "question"), qp(qc, "praise")))
w("| experiment: CFPB even rows + odd easy-ham files as `not-complaint` | %.1f%% | %.1f%% | - | %s | %s |" % (
    apol(oddh, "current"), apol(hamh, "current"), qp(qx, "question"), qp(qx, "praise")))
w("")
w("Commands: `redress --json rules train --dir not-complaint=HAM --score --weights rules.weights` (HAM: links"
  " to the even-numbered files), the same with `spam-1`, and `--dir question=bench/data/outcomes/question"
  " --dir praise=bench/data/outcomes/praise`; the experiment's weights: `redress rules train --csv"
  " cfpb-even.csv --text text --label label --dir not-complaint=HAMODD --force -o ham.weights`.")
w("")
w("The CFPB weights decide only among the complaint categories they were trained on, so they change no"
  " outcome: ham that matches no rule still lands in the fallback category, a complaint, as with the hand"
  " weights. Trained with ham as `not-complaint`, the model learns \"not like a CFPB narrative\": it cuts"
  " apologies to ham to %.1f%% while the CFPB narratives keep theirs (%.1f%%), but questions and praise"
  " written by hand fare as the table says; that is a site's own training (`--from-store` after"
  " `case complaint ID no`), not a default." % (apol(hamh, "current"), apol(oddh, "current")))
w("")
w("## Severity: high or urgent priority")
w("")
w("Priority comes from the category and the harm tags of `rules.conf` (money and a sum of 1,000 or more,"
  " chasing, vulnerable, legal, safety, public, churn; `raise=` in redress-rules(5)); learned weights do"
  " not change it (every CFPB category is `normal`, and tags keep their hand weights). CFPB has no"
  " severity; its proxies, on the odd rows:")
w("")
w("| CFPB odd rows | n | high or urgent | urgent | at least one harm tag | two or more |")
w("| --- | ---: | ---: | ---: | ---: | ---: |")
sev = json.load(open("severity.json"))
for g, v in sev.items():
    n = len(v) or 1
    w("| %s | %d | %.1f%% | %.1f%% | %.1f%% | %.1f%% |" % (
        g, len(v), 100.0 * sum(p in ("high", "urgent") for p, _ in v) / n,
        100.0 * sum(p == "urgent" for p, _ in v) / n, 100.0 * sum(t >= 1 for _, t in v) / n,
        100.0 * sum(t >= 2 for _, t in v) / n))
w("")
w("The proxies barely separate: a complaint the company paid money back on is high or urgent a little"
  " more often than one closed with an explanation, and two harm signals together are no more common"
  " there, so the data gives no ground for a rule such as \"two signals make it urgent\". Priority"
  " from harm stays what the tags say; the rules' wording and its measurement are in"
  " `bench/classify-quality.md` (Severity).")
w("")
w("## Speed")
w("")
big = open("big.out").read()
w("Training on 10,724 messages (the 1,532 narratives seven times): %.1f s for `-o` with `--force`"
  " (classifying them, the 5 cross-fitting folds and 1,000 Adam steps), %.1f s for `--cv 5` (five"
  " trainings). Machine: 2 cores shared with other jobs." % (float(E["T_TRAIN"]), float(E["T_CV"])))
w("")
w("| classify_run over 300 CFPB narratives (default rules, JIT, prefilter) | messages/s |")
w("| --- | ---: |")
if sb:
    w("| before issue 14 (%s, with its own rules.conf) | %.0f |" % (E["BASE"], sb))
w("| hand weights | %.0f |" % sh)
w("| learned weights (`rules.weights`: rules + words) | %.0f |" % sl)
w("")
ref = sb or sh
w("Cost per message with learned weights: %.2fx %s (issue 14 allows 1.5x). Best of three runs of %s s each,"
  " the builds taking turns"
  " (`bench/classify_speed.c`, built with `-O2` as `bench/classify_speed.sh` builds it; `--weights FILE`"
  " loads the weights)." % (ref / sl, "that before issue 14" if sb else "that with the hand weights",
                           os.environ.get("SECONDS_PER_RUN", "2")))
w("")
w("Learned against hand weights in the same build: %.2fx. The machine is shared and runs vary by 10 to"
  " 15%%, more under load: compare runs made on a quiet machine, not to the digit." % (sh / sl))
w("")
w("The narratives are ASCII, and each rule has a twin compiled without `PCRE2_UCP` for such text, for"
  " text whose other characters are punctuation and symbols, and, on a copy with each letter beyond ASCII"
  " written `_` and each space separator beyond it (a no-break space) a tab, for text with such letters"
  " and spaces (`redress-rules(5)`, PATTERNS). The same"
  " 300 narratives with a tail that is not ASCII:")
w("")
w("| text | %shand weights | learned weights | learned, cost against %s |" %
  ("before issue 14 | " if sb else "", "before issue 14" if sb else "hand weights"))
w("| --- | %s---: | ---: | ---: |" % ("---: | " if sb else ""))
for t, label in (("texts", "the narratives (ASCII)"),
                 ("texts-punct", "with \" It\u2019s \u00a35 \u2014 fine.\" (punctuation and symbols)"),
                 ("texts-letter", "with \" Caf\u00e9.\" (a letter beyond ASCII: the twin on the fold)"),
                 ("texts-space", "with \" \u00a35\u00a0a month.\" (a no-break space: the twin on the fold)")):
    h, l, b = speeds(t)
    w("| %s | %s%.0f | %.0f | %.2fx |" % (label, "%.0f | " % b if sb else "", h, l, (b or h) / l))
w("")
w("How much mail each row stands for (bodies decoded by Python's `email` package):")
w("")
w("| bodies | ASCII | punctuation and symbols beyond it | letters, spaces or numbers beyond it too (folded) |"
  " a digit, mark or other beyond it (UCP) |")
w("| --- | ---: | ---: | ---: | ---: |")
for name, c in j("kinds.json").items():
    n = sum(c.values())
    w("| %s (%d) | %s |" % (name, n, " | ".join("%.1f%%" % (100.0 * c.get(k, 0) / n) for k in
                                             ("ascii", "punct", "fold", "ucp"))))
text = "\n".join(L) + "\n"
if sys.argv[1] == "-":
    sys.stdout.write(text)
else:
    open(sys.argv[1], "w").write(text)
    sys.stderr.write("train_c: wrote %s\n" % sys.argv[1])
EOF
