#!/bin/sh
# rules train and learned weights, end to end, on the test vectors of
# bench/train_ref.md (bench/data/train-golden: made by the Python reference
# bench/train_ref.py): the weights file, the decisions and scores of new
# messages with it, cross-validation, the refusal of worse weights, and the
# refusal of weights made for other rules or malformed.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d)
RUN=
cleanup() {
	[ -n "$RUN" ] && kill -KILL "$RUN" 2>/dev/null
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 300 t_train.sh
cd "$T" || exit 1
G="$top_srcdir/bench/data/train-golden"
cp "$G/golden.rules" "$G/golden.csv" "$G/golden-new.csv" .
printf '[paths]\nrules = %s/golden.rules\n' "$T" > g.conf
printf '[paths]\nrules = %s/golden.rules\n[classify]\nweights = %s/w\n' "$T" "$T" > gw.conf
R() { "$REDRESS" -c g.conf "$@"; }

# Every number of two weights files equal within 1e-9 relative; the other
# fields and the lines (comments aside) the same.
same_weights() {
	python3 - "$1" "$2" <<'EOF'
import sys
def lines(p):
    return [l.split(" ") for l in open(p).read().split("\n") if l and not l.startswith("#")]
a, b = lines(sys.argv[1]), lines(sys.argv[2])
bad = []
if len(a) != len(b):
    bad.append("%d lines, not %d" % (len(b), len(a)))
for x, y in zip(a, b):
    if len(x) != len(y) or x[0] != y[0]:
        bad.append(" ".join(y)); continue
    for u, v in zip(x, y):
        if u == v:
            continue
        try:
            fu, fv = float(u), float(v)
        except ValueError:
            bad.append(" ".join(y)); break
        if abs(fu - fv) > 1e-9 * max(abs(fu), abs(fv)):
            bad.append(" ".join(y)); break
print("same" if not bad else "DIFFERENT: " + "; ".join(bad[:3]))
EOF
}

out=$(R rules train --csv golden.csv --text text --label label --min-count 2 --force -o w 2>&1)
is "$?" 0 "train on the golden set exits 0"
like "$out" "^trained: classes billing delivery general question; objective 0\\.039624$" \
	"the classes and the final objective of the reference"
is "$(same_weights "$G/golden.weights" w)" same "the weights file is the reference's (bench/data/train-golden/golden.weights)"
is "$(stat -c %a w)" 600 "the weights file is 0600"
like "$(grep -E '^(param alpha|weight lawyer)' w | tr '\n' '|')" \
	"^param alpha 1\\.0\\|weight lawyer 0\\.0100248131545[0-9]* -1\\.15462455797[0-9]*e-05 " \
	"numbers are written as Python's repr: 1.0, 0.0100248..., -1.1546...e-05"
like "$(head -2 w | tail -1)" "^# Made by redress rules train --csv golden.csv .* -o FILE$" \
	"its header has the command that made it"

# The new messages, decided with the weights by classify, as the reference decides them.
python3 - "$G/golden-new.csv" <<'EOF'
import csv, sys
for i, r in enumerate(csv.DictReader(open(sys.argv[1], encoding="utf-8"))):
    open("new%d.eml" % i, "w").write("From: a@example.org\n\n" + r["text"] + "\n")
EOF
for i in 0 1 2 3 4; do
	"$REDRESS" -c gw.conf --json classify --explain "new$i.eml" > "new$i.json" || echo "classify new$i failed"
done
got=$(python3 - "$G/golden.out" <<'EOF'
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
head, bad = rows[0], []
for row in rows[1:]:
    d = json.load(open("new%s.json" % row[0]))
    l = d.get("learned") or {}
    if (l.get("hand_category"), d["category"], d["outcome"], d["priority"], ",".join(d["tags"]) or "-") != tuple(row[1:6]):
        bad.append("row %s: %s" % (row[0], d["category"]))
    z = {c["category"]: c["score"] for c in l.get("classes", [])}
    for c, v in zip(head[6:], row[6:]):
        if c not in z or abs(z[c] - float(v)) > 1e-8 * max(1, abs(float(v))):
            bad.append("row %s: %s score %s, not %s" % (row[0], c, z.get(c), v))
print("same" if not bad else "; ".join(bad))
EOF
)
is "$got" same "classify with the weights decides and scores golden-new.csv as the reference (golden.out)"
is "$(jget '[(r["rule"], r["weight"], round(r["learned"]["delivery"], 6)) for r in d["rules"]]' < new3.json)" \
	"[('late', 3, 3.088845), ('parcel', 1, 2.213561), ('lawyer', 2, -1.2e-05)]" \
	"--explain JSON: each rule's hand weight and learned weight per category"
# (to the JSON's 10 significant digits)
is "$(jget '[(c["category"], abs(c["bias"] + c["rules"] + c["tokens"] - c["score"]) < 1e-8 * max(1, abs(c["score"]))) for c in d["learned"]["classes"]][:2]' < new3.json)" \
	"[('billing', True), ('delivery', True)]" "--explain JSON: score = bias + rules + tokens"
is "$(jget '[t["token"] for t in d["learned"]["tokens"]]' < new3.json)" "['order', 'late']" \
	"--explain JSON: the message's strongest words for the category"
out=$("$REDRESS" -c gw.conf classify --explain new3.eml)
like "$out" "^  \\* delivery 10\\.5019662[0-9]* = " "text --explain: the chosen class's learned score"
like "$out" "^  strongest words for delivery: order \\+1\\.008" "text --explain: the strongest words"
like "$out" "^weights file: $T/w$" "text --explain: the weights file"
is "$("$REDRESS" -c gw.conf --json classify new1.eml | jget 'd["category"], "learned" in d')" "question False" \
	"without --explain the JSON keeps its contract keys"
# A weights file without "param token_norm" was made when mean was the only
# norm: it is read as mean, whatever the trainer's default (train_ref.md 7).
R rules train --csv golden.csv --text text --label label --min-count 2 --force --token-norm mean -o wm >/dev/null 2>&1
grep -v '^param token_norm ' wm > wn
printf '[paths]\nrules = %s/golden.rules\n[classify]\nweights = %s/wm\n' "$T" "$T" > wm.conf
printf '[paths]\nrules = %s/golden.rules\n[classify]\nweights = %s/wn\n' "$T" "$T" > wn.conf
scores() { "$REDRESS" -c "$1" --json classify --explain new3.eml | jget '[c["score"] for c in d["learned"]["classes"]]'; }
is "$(scores wn.conf)" "$(scores wm.conf)" "weights without param token_norm are read as token_norm mean"

# Cross-validation: the reference's figures (train_ref.py --cv 3 on golden.csv).
out=$(R rules train --csv golden.csv --text text --label label --min-count 2 --cv 3)
like "$out" "^3-fold cross-validation: macro-F1 0\\.832, accuracy 0\\.833 \\(24 messages\\); outcome complaint \\(an apology\\) 70\\.8%$" "--cv 3: macro-F1, accuracy, apologies"
like "$out" "^hand weights on the same messages: macro-F1 0\\.916, accuracy 0\\.917 " "--cv 3: the hand weights beside"
like "$out" "^  \\| delivery \\| 1 \\| 4 \\| 0 \\| 1 \\|$" "--cv 3: the confusion matrix"
is "$(R --json rules train --csv golden.csv --text text --label label --min-count 2 --cv 3 |
	jget 'round(d["cv"]["macro_f1"], 3), d["labels"]["question"], len(d["cv"]["confusion"])')" \
	"0.832 6 8" "--json: the same figures"

# --score trains nothing: the hand weights and the named weights on the data.
out=$(R rules train --csv golden.csv --text text --label label --score --weights w)
like "$out" "^hand weights: macro-F1 0\\.916, accuracy 0\\.917 \\(24 messages\\)" "--score: the hand weights"
like "$out" "^weights w: macro-F1 1\\.000, " "--score: the weights named"
R rules train --csv golden.csv --text text --label label --score --weights golden.csv >/dev/null 2>&1
is "$?" 78 "--score with a file that is no weights file: 78"

# Weights that score worse than the hand weights are not written without --force.
out=$(R rules train --csv golden.csv --text text --label label --min-count 2 -o w2 2>&1)
is "$?" 65 "worse weights: exit 65"
like "$out" "worse than the hand weights \\(macro-F1 0\\.838 < 0\\.916\\); .*w2 not written \\(--force writes it\\)" \
	"worse weights: both figures said"
test ! -e w2; ok $? "worse weights: no file"
# ... and with weights configured, those are what the new ones must beat.
out=$("$REDRESS" -c gw.conf rules train --csv golden.csv --text text --label label --min-count 2 -o w2 2>&1)
like "$out" "refusal check \\(5-fold CV macro-F1\\): trained 0\\.838, current weights 1\\.000" \
	"with [classify] weights the current weights are the bar"

# Labels: unknown ones refused, not-complaint is the first question category.
printf 'text,label\n"Where is the shop?",nonsense\n' > bad.csv
out=$(R rules train --csv bad.csv --text text --label label --cv 2 2>&1)
is "$?" 65 "an unknown label: exit 65"
like "$out" "bad.csv: record 2: the label \"nonsense\" is not a category" "an unknown label: named, with its record"
{ cat golden.csv; printf '"Can I pay by card?",not-complaint\n"Is the shop open?",not-complaint\n'; } > nc.csv
is "$(R --json rules train --csv nc.csv --text text --label label --min-count 2 --cv 2 | jget 'd["labels"]["question"]')" 8 \
	"not-complaint counts as the first question category"

# Weights made for other rules are refused, with FILE:LINE.
printf '# one more comment\n' >> golden.rules
out=$("$REDRESS" -c gw.conf classify new0.eml 2>&1)
is "$?" 78 "stale weights: classify exits 78"
like "$out" "$T/w:4: made for rules version fbf61833260f5eca, these rules are [0-9a-f]{16}: train again" \
	"stale weights: FILE:LINE and the reason"
cp "$G/golden.rules" golden.rules
bad_weights() {   # $1 sed program, $2 expected error
	sed "$1" w > wbad
	printf '[paths]\nrules = %s/golden.rules\n[classify]\nweights = %s/wbad\n' "$T" "$T" > wb.conf
	like "$("$REDRESS" -c wb.conf classify new0.eml 2>&1)" "$2" "refused: $2"
}
bad_weights '1s/.*/redress-weights 2/' "wbad:1: not a weights file"
bad_weights 's/^weight refund /weight refunds /' "wbad:29: no rule \"refunds\" in these rules"
bad_weights 's/^weight late \(.*\) [^ ]*$/weight late \1/' "wbad:31: weight: 5 fields, not 6"
bad_weights 's/^token bill 3 /token bill -3 /' "wbad:[0-9]+: token counts must be non-negative integers"
bad_weights '/^bias general/d' "wbad:[0-9]+: no bias for \"general\""
bad_weights 's/^classes .*/classes billing parcels/' "wbad:6: \"parcels\" is not a category of these rules"
bad_weights 's/^rules 8$/rules 9/' "wbad:5: made for 9 rules, these rules have 8"
bad_weights 's/^vocab 17$/vocabulary 17/' "wbad:[0-9]+: unknown line \"vocabulary\""

# Corrections in the store are training data: case recategorize and case
# complaint write their events, and --from-store reads them back as labels.
mkdir store && cd store || exit 1
S="$top_srcdir/contrib/samples"
RS() { "$REDRESS" --now 2026-11-23T10:00:00Z "$@"; }
RS ingest "$S/01-refund.eml" "$S/02-damaged.eml" "$S/03-late.eml" "$S/04-rude.eml" \
	"$S/05-legal.eml" "$S/06-thanks.eml" >/dev/null
is "$(RS --json rules train --from-store --min-count 1 --cv 2 2>&1 >/dev/null)" \
	"redress: rules train: no labelled messages" "--from-store before any correction: nothing to learn"
out=$(REDRESS_AGENT=erin RS case recategorize 2 billing); st=$?
is "$st:$out" "0:case 2 is now billing (complaint)" "case recategorize: done, said"
is "$(RS --json case show 2 | jget 'd["category"], d["outcome"], [(e["kind"], e["detail"], e["author"]) for e in d["events"]][-1]')" \
	"billing complaint ('recategorize', 'billing', 'erin')" "case recategorize: the category, and the event with the new one and its author"
RS case recategorize 3 parcels >/dev/null 2>&1; is "$?" 65 "case recategorize to no category: 65"
RS case recategorize 99 billing >/dev/null 2>&1; is "$?" 66 "case recategorize of no case: 66"
RS case complaint 4 maybe >/dev/null 2>&1; is "$?" 64 "case complaint takes yes or no"
out=$(REDRESS_AGENT=erin RS case complaint 4 no); st=$?
is "$st:$out" "0:case 4: complaint no" "case complaint no: done, said"
is "$(RS --json case show 4 | jget 'd["complaint"], d["outcome"], d["category"], [(e["kind"], e["detail"], e["author"]) for e in d["events"]][-1]')" \
	"False question service ('complaint', 'no', 'erin')" "case complaint no: a question now, the category kept, the event and its author"
RS case recategorize 5 billing >/dev/null && RS case recategorize 1 delivery >/dev/null
is "$(RS --json rules train --from-store --min-count 1 --force -o ../ws | jget 'd["messages"], d["labels"], d["wrote"]')" \
	"4 {'billing': 2, 'delivery': 1, 'question': 1} ../ws" \
	"--from-store: the corrected cases with their corrected labels (not-complaint: question)"
like "$(grep '^classes ' ../ws)" "^classes billing delivery question$" "--from-store: the weights learn those categories"
cd .. || exit 1

# The shipped weights are for the shipped rules: an edit to rules.conf asks
# for them again (bench/train_c.sh says how; bench/train-c.md has the command).
printf '[paths]\nrules = %s/rules.conf\n[classify]\nweights = %s/rules.weights\n' \
	"$top_srcdir" "$top_srcdir" > shipped.conf
out=$("$REDRESS" -c shipped.conf --json classify --explain "$top_srcdir/contrib/samples/01-refund.eml" 2>&1)
is "$(printf '%s\n' "$out" | jget 'd["category"], d["learned"]["hand_category"], [c["category"] for c in d["learned"]["classes"]]' 2>&1)" \
	"billing billing ['billing', 'service', 'account', 'general']" \
	"rules.weights loads with rules.conf (if not: retrain with bench/train_c.sh)"

# general.weights, the weights for any business (bench/general.py makes them
# and bench/general.md has their figures), load with the shipped rules and
# learn outcomes too; the samples keep the hand weights' outcome and category.
printf '[paths]\nrules = %s/rules.conf\n[classify]\nweights = %s/general.weights\n' \
	"$top_srcdir" "$top_srcdir" > general.conf
printf '[paths]\nrules = %s/rules.conf\n' "$top_srcdir" > hand.conf
out=$("$REDRESS" -c general.conf --json classify --explain "$top_srcdir/contrib/samples/06-thanks.eml" 2>&1)
is "$(printf '%s\n' "$out" | jget '" ".join(c["category"] for c in d["learned"]["classes"])' 2>&1)" \
	"billing damaged delivery service account general question praise other" \
	"general.weights loads with rules.conf and knows the outcomes (if not: bench/general.py)"
for f in "$top_srcdir"/contrib/samples/*.eml; do
	g=$("$REDRESS" -c general.conf --json classify "$f" 2>&1 | jget 'd["outcome"], d["category"]' 2>&1)
	h=$("$REDRESS" -c hand.conf --json classify "$f" 2>&1 | jget 'd["outcome"], d["category"]' 2>&1)
	is "$g" "$h" "general.weights: $(basename "$f") as with the hand weights ($h)"
done

# The daemon loads the weights at start and again on SIGHUP; weights that do
# not fit the rules keep it from starting, and a reload to them is refused.
mkdir daemon && cd daemon || exit 1
wait_for() {   # wait_for SECONDS COMMAND
	_w=$(( $1 * 10 ))
	while [ $_w -gt 0 ]; do
		eval "$2" && return 0
		sleep 0.1
		_w=$((_w - 1))
	done
	return 1
}
cp ../w good.weights
sed 's/^rules-version .*/rules-version 0123456789abcdef/' ../w > stale.weights
# (a mailbox that refuses connections: run loads the rules for intake only
# when it has one to read)
printf '[paths]\nrules = %s/golden.rules\n[classify]\nweights = %s/daemon/cur.weights\n[imap]\nurl = imap://127.0.0.1:9/INBOX\nuser = u\npassword = p\n' \
	"$T" "$T" > redress.conf
chmod 600 redress.conf
cp stale.weights cur.weights
timeout 20 "$REDRESS" run > start.log 2>&1; st=$?
is "$st" 78 "run with weights made for other rules: refuses to start (78)"
like "$(cat start.log)" "cur.weights:4: made for rules version 0123456789abcdef" "  saying why, with FILE:LINE"
cp good.weights cur.weights
env "$KILLABLE" "$REDRESS" run > run.log 2>&1 &
RUN=$!
wait_for 10 'grep -q "running" run.log 2>/dev/null'
ok $? "run with good weights: started"
cp stale.weights cur.weights
kill -HUP "$RUN"
wait_for 10 'grep -q "reload refused" run.log'
ok $? "SIGHUP to stale weights: the reload is refused"
like "$(grep 'reload refused' run.log)" "cur.weights:4: made for rules version 0123456789abcdef, these rules are fbf61833260f5eca: train again" \
	"  with FILE:LINE and the reason"
ok "$(kill -0 "$RUN" 2>/dev/null; echo $?)" "  the daemon goes on"
cp good.weights cur.weights
kill -HUP "$RUN"
wait_for 10 'grep -q "configuration reloaded" run.log'
ok $? "SIGHUP to good weights: reloaded"
kill -TERM "$RUN"
wait_for 10 '! kill -0 "$RUN" 2>/dev/null'
ok $? "run stops on SIGTERM"
wait "$RUN" 2>/dev/null
RUN=
cd .. || exit 1

# Usage.
R rules train --csv golden.csv >/dev/null 2>&1; is "$?" 64 "--csv without --text/--label: usage"
R rules train --csv missing.csv --text t --label l >/dev/null 2>&1; is "$?" 66 "a missing CSV: 66"

done_testing
