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
   "category,complaint,escalate,label,outcome,priority,rules,scores,spam_words,tags,traffic,traffic_reasons" \
   "JSON keys (doc/contract.md, outcome beside complaint, the traffic verdict)"
is "$(printf '%s\n' "$out" | jget 'd["complaint"], d["outcome"], d["category"], d["priority"], d["tags"], d["escalate"]')" \
   "True complaint billing urgent ['legal'] True" "JSON values"
is "$(printf '%s\n' "$out" | jget '",".join(sorted(d["rules"][0].keys()))')" \
   "field,match,rule" "JSON rules without --explain: rule, field, match"
is "$(printf '%s\n' "$out" | jget '[r["match"] for r in d["rules"] if r["rule"] == "lawyer"]')" \
   "['solicitor']" "the legal rule matched 'solicitor'"
is "$(printf '%s\n' "$out" | jget 'd["scores"]["praise"]')" "0" \
   "the quoted thank-you in the reply history is not read"

out=$("$REDRESS" --json classify "$D/complaint.eml" --explain)
is "$(printf '%s\n' "$out" | jget '",".join(sorted(d["rules"][0].keys()))')" \
   "field,match,offset,rule,target,veto,weight" "JSON with --explain: offset, target, weight, veto"
out=$("$REDRESS" classify --explain "$D/complaint.eml")
like "$out" '^  lawyer: body at byte [0-9]+ -> legal \+2: "solicitor"$' "text --explain: a hit"
like "$out" '^rules file: .*rules.conf \(version [0-9a-f]{16}, [0-9]+ rules\)$' "text --explain: rules version"

out=$("$REDRESS" --json classify "$D/thanks.eml")
is "$(printf '%s\n' "$out" | jget 'd["complaint"], d["outcome"], d["category"], d["priority"], d["tags"]')" \
   "False praise praise low []" "a thank-you note is not a complaint: it is praise"
like "$("$REDRESS" classify "$D/thanks.eml")" "^outcome: praise$" "text: the outcome"

# The outcomes of the samples (contrib/samples), and a question.
S="$top_srcdir/contrib/samples"
for f in "$S"/*.eml; do
	printf '%s %s\n' "$(basename "$f")" "$("$REDRESS" --json classify "$f" | jget 'd["outcome"]')"
done > outcomes
is "$(tr '\n' ' ' < outcomes)" "01-refund.eml complaint 02-damaged.eml complaint 03-late.eml complaint \
04-rude.eml complaint 05-legal.eml complaint 06-thanks.eml praise 07-out-of-office.eml question \
08-html-only.eml complaint " "the samples: a thank-you is praise, an out-of-office note nothing read (other), the rest complaints"
printf 'From: a@example.org\nSubject: Opening hours\n\nHello, what are your opening hours on Sunday? Thanks!\n' > q.eml
is "$("$REDRESS" --json classify q.eml | jget 'd["outcome"], d["category"]')" "question question" \
   "a question with thanks in it is a question"

# A routine request is no complaint: it gets the question's plain ack.  A
# request with a grievance in it stays a complaint.
req() {	# req BODY: the outcome of a message with that body
	printf 'From: Pat <pat@example.org>\nSubject: Hello\n\nHello,\n\n%s\n\nPat\n' "$1" > req.eml
	"$REDRESS" --json classify req.eml | jget 'd["outcome"]'
}
for b in "I would like to cancel my subscription at the end of this month. Please confirm." \
	 "Hi, I'd like to change my delivery date to next Tuesday. Order 4411." \
	 "Please close my account and send me the remaining balance." \
	 "I want to upgrade my plan to the premium tier." \
	 "We are moving house on 3 March: please update our address."; do
	is "$(req "$b")" question "a request: $b"
done
for b in "I would like to cancel my subscription. Your service has been terrible for months." \
	 "Please update my address. I have asked three times already and it is still wrong." \
	 "Please cancel my order 5512. It arrived broken and I want a refund."; do
	is "$(req "$b")" complaint "a request with a grievance: $b"
done

# Nothing recognised is no complaint: English text in which no rule sees a
# complaint, a question or thanks is "other", with the question's plain
# ack.  One word of grievance, or the writer's own order or account, and
# it falls back to a complaint, as text in another language does (the
# Chinese complaint below).
cat_of() {	# cat_of BODY: the outcome and category of a message with that body
	printf 'From: Pat <pat@example.org>\nSubject: Hello\n\n%s\n\nPat\n' "$1" > other.eml
	"$REDRESS" --json classify other.eml | jget 'd["outcome"], d["category"]'
}
for b in "I saw your new shop on the high street this morning." \
	 "Just letting the team know that the next board meeting is on the 4th." \
	 "This is the text of the talk I gave last week, for your newsletter."; do
	is "$(cat_of "$b")" "question other" "nothing read: $b"
done
for b in "I saw your new shop on the high street this morning and I am very upset." \
	 "The lift in your shop on the high street was out of order again and I am fed up." \
	 "My order from the high street shop is the one I wrote to you about."; do
	is "$(cat_of "$b")" "complaint general" "a grievance no category names: $b"
done
is "$(printf '%s\n' "$("$REDRESS" --json classify --explain other.eml)" | jget '[h["rule"] for h in d["rules"] if h["veto"]]')" \
   "['grievance-mine']" "--explain names the veto that ruled other out"

# A rules file of before outcomes: not-complaint still loads, as question.
printf 'category c normal "C" fallback\ncategory n low "N" not-complaint\nrule t any n 2 : thank\n' > old.rules
printf '[paths]\nrules = %s\n' "$T/old.rules" > old.conf
is "$("$REDRESS" -c old.conf --json classify "$D/thanks.eml" | jget 'd["complaint"], d["outcome"], d["category"]')" \
   "False question n" "an old not-complaint category is a question"
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

# A customer may write in any language, and of a discount (优惠) at that:
# the default spam rules read the words of bulk mail, not a script.
printf 'From: Li <li@example.net>\nSubject: =?UTF-8?B?5LyY5oOg5Yi4?=\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
	'你们的优惠券不能用，我很生气。' > cjk.eml
is "$("$REDRESS" --json classify cjk.eml | jget 'd["outcome"], d["traffic"]')" "complaint ok" \
   "a complaint in Chinese about a discount coupon is no spam"

# classify refuses to run with a bad rules file from the config.
printf '[paths]\nrules = %s\n' "$D/bad-pattern.rules" > redress.conf
"$REDRESS" classify "$D/thanks.eml" >/dev/null 2>err; is "$?" 78 "classify with bad rules: 78"
like "$(cat err)" "bad-pattern.rules:8:8: " "classify with bad rules: says where"
"$REDRESS" rules lint >/dev/null 2>&1; is "$?" 78 "rules lint reads [paths] rules"

# The rules see the sender as "Name <addr>" (redress-rules(5)) in intake as
# in classify: a rule on the display name files the case as classify says.
cat > name.rules <<'R'
threshold 2
category robot normal "From the robot"
category other normal "Something else" fallback
rule robot-name from robot 3 : ^Acme Robot <
R
printf 'From: Acme Robot <pat@example.net>\nTo: care@example.com\nSubject: my order\nMessage-ID: <name-1@example.net>\n\nWhere is my order?\n' > name.eml
printf '[paths]\nrules = %s/name.rules\n[store]\npath = %s/name.db\n' "$T" "$T" > redress.conf
is "$("$REDRESS" --json classify name.eml | jget 'd["category"]')" "robot" \
   "classify: a from rule matches the display name"
"$REDRESS" --now 2026-11-23T10:00:00Z ingest name.eml >/dev/null
is "$("$REDRESS" --now 2026-11-23T10:00:00Z --json case show 1 | jget 'd["category"]')" "robot" \
   "intake files it the same (the rules saw \"Name <addr>\" there too)"
done_testing
