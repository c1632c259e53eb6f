#!/bin/sh
# classify and rules lint, end to end: a real message through message_parse
# and the default rules, the JSON shape, --explain, and the exit codes.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
D="$top_srcdir/tests/data/rules"

out=$("$REDRESS" classify "$D/complaint.eml"); st=$?
is "$st" 0 "classify exits 0"
like "$out" "^category: billing \\(Refund or billing problem\\)$" "text: category and label"
like "$out" "^priority: urgent$" "text: legal threat makes it urgent"
like "$out" "^tags: legal$" "text: tags"
like "$out" "^escalate: yes$" "text: escalate"

out=$("$REDRESS" --json classify "$D/complaint.eml")
is "$(printf '%s\n' "$out" | jget '",".join(sorted(d.keys()))')" \
   "category,complaint,escalate,label,priority,rules,scores,tags" "JSON keys (DESIGN.md)"
is "$(printf '%s\n' "$out" | jget 'd["complaint"], d["category"], d["priority"], d["tags"], d["escalate"]')" \
   "True billing urgent ['legal'] True" "JSON values"
is "$(printf '%s\n' "$out" | jget '",".join(sorted(d["rules"][0].keys()))')" \
   "field,match,rule" "JSON rules without --explain: rule, field, match"
is "$(printf '%s\n' "$out" | jget '[r["match"] for r in d["rules"] if r["rule"] == "lawyer"]')" \
   "['solicitor']" "the legal rule matched 'solicitor'"
is "$(printf '%s\n' "$out" | jget 'd["scores"]["not-complaint"]')" "0" \
   "the quoted thank-you in the reply history is not read"

out=$("$REDRESS" --json classify "$D/complaint.eml" --explain)
is "$(printf '%s\n' "$out" | jget '",".join(sorted(d["rules"][0].keys()))')" \
   "field,match,offset,rule,target,veto,weight" "JSON with --explain: offset, target, weight, veto"
out=$("$REDRESS" classify --explain "$D/complaint.eml")
like "$out" '^  lawyer: body at byte [0-9]+ -> legal \+2: "solicitor"$' "text --explain: a hit"
like "$out" '^rules file: .*rules.conf \(version [0-9a-f]{16}, [0-9]+ rules\)$' "text --explain: rules version"

out=$("$REDRESS" --json classify "$D/thanks.eml")
is "$(printf '%s\n' "$out" | jget 'd["complaint"], d["category"], d["priority"], d["tags"]')" \
   "False not-complaint low []" "a thank-you note is not a complaint"
"$REDRESS" classify - < "$D/thanks.eml" | grep -q '^complaint: no$'
ok $? "classify - reads standard input"

"$REDRESS" classify "$T/none.eml" 2>err; is "$?" 66 "missing message: exit 66"
like "$(cat err)" "none.eml: No such file or directory" "missing message: says so"
"$REDRESS" classify 2>/dev/null; is "$?" 64 "no FILE: usage, exit 64"
"$REDRESS" classify a b 2>/dev/null; is "$?" 64 "two FILEs: exit 64"
"$REDRESS" classify --bogus "$D/thanks.eml" 2>/dev/null; is "$?" 64 "unknown option: exit 64"
"$REDRESS" classify --help >help; is "$?" 0 "classify --help exits 0"
like "$(head -1 help)" "^usage: redress \\[--json\\] classify FILE \\[--explain\\]" "classify --help"

out=$("$REDRESS" rules lint); st=$?
is "$st" 0 "rules lint of the default rules exits 0"
like "$out" "rules.conf: [0-9]+ rules, OK$" "rules lint says OK"
is "$("$REDRESS" --json rules lint | jget 'd["ok"], len(d["version"]) == 16')" "True True" \
   "rules lint --json"
"$REDRESS" rules lint "$D/bad-pattern.rules" >out 2>err; is "$?" 78 "bad rules: exit 78"
is "$(cat err)" "$D/bad-pattern.rules:8:8: rule \"bad\": missing closing parenthesis" \
   "bad rules: FILE:LINE:COL: reason"
"$REDRESS" rules lint "$T/none.rules" 2>/dev/null; is "$?" 66 "rules lint of a missing file: 66"
"$REDRESS" rules 2>/dev/null; is "$?" 64 "rules without lint: 64"
"$REDRESS" rules lint --help >/dev/null; is "$?" 0 "rules lint --help exits 0"

# classify refuses to run with a bad rules file from the config.
printf '[paths]\nrules = %s\n' "$D/bad-pattern.rules" > redress.conf
"$REDRESS" classify "$D/thanks.eml" >/dev/null 2>err; is "$?" 78 "classify with bad rules: 78"
like "$(cat err)" "bad-pattern.rules:8:8: " "classify with bad rules: says where"
"$REDRESS" rules lint >/dev/null 2>&1; is "$?" 78 "rules lint reads [paths] rules"
done_testing
