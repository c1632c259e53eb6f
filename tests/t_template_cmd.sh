#!/bin/sh
# template lint and template render, end to end (issue 11): render --case
# renders the template named, or refuses, saying which applies; lint
# refuses a KIND-CATEGORY.txt for a category the rules do not have, with
# FILE and the reason; {{case_id}} is written one way, as in the subject
# tag; --sample signs as [smtp] from.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
cat > redress.conf <<EOC
[smtp]
from = Acme Care <care@example.com>
escalate_to = Duty Manager <duty@example.com>
EOC
R() { "$REDRESS" --now "$NOW" "$@"; }
body() { tr -d '\r' | sed '1,/^$/d'; }

# Case 1 is billing (a complaint), case 2 praise.
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/06-thanks.eml" >/dev/null

# render --case: the named template, or a clear refusal.
NOW=2026-11-23T10:00:00Z; R template render ack-delivery --case 1 >out 2>err; st=$?
is "$st" 65 "ack-delivery for a billing case is refused (65)"
like "$(cat err)" "ack-delivery is for category delivery, and case 1 is billing" "saying why"
like "$(cat err)" "render ack --case 1" "and what to render instead"
is "$(wc -c < out)" 0 "and nothing is rendered"
NOW=2026-11-23T10:00:00Z; R template render ack-billing --case 1 >out; st=$?
is "$st" 0 "ack-billing for the billing case renders"
like "$(grep '^Subject:' out)" "Your refund" "from ack-billing.txt"
NOW=2026-11-23T10:00:00Z; R template render ack --case 1 | grep '^Subject:' > subj
like "$(cat subj)" "Your refund" "ack renders the case's category's ack, as sent"
NOW=2026-11-23T10:00:00Z; R template render ack --case 2 >/dev/null 2>err; st=$?
is "$st" 65 "the apologising ack for praise is refused"
like "$(cat err)" "case 2 is praise: its acknowledgement is ack-praise, never ack" "saying which applies"
NOW=2026-11-23T10:00:00Z; R template render followup --case 2 >/dev/null 2>err; st=$?
is "$st" 65 "a follow-up for praise is refused"
like "$(cat err)" "only a complaint is followed up" "saying why"
NOW=2026-11-23T10:00:00Z; R template render ack-praise --case 2 >out; st=$?
is "$st" 0 "ack-praise for praise renders"
like "$(grep '^Subject:' out)" "kind words" "the thank-you"
NOW=2026-11-23T10:00:00Z; R template render escalation --case 2 >/dev/null; st=$?
is "$st" 0 "an escalation about any case renders"
NOW=2026-11-23T10:00:00Z; R template render ack --case 9 >/dev/null 2>err; st=$?
is "$st" 66 "no such case (66, as for case show)"
like "$(cat err)" "no case 9" "says so"

# One way to write a case number: as in the tag, 000001.
NOW=2026-11-23T10:00:00Z; b=$(R template render ack --case 1 | body)
like "$b" "opened case 000001" "mail: {{case_id}} is 000001"
if printf '%s\n' "$b" | grep -q "case 1[^0-9]"; then ok 1 "mail: never \"case 1\""; else ok 0 "mail: never \"case 1\""; fi
NOW=2026-11-23T10:00:00Z; b=$(R template render ack --sample)
like "$b" "opened case 000123" "--sample: {{case_id}} is 000123, the same shape"
# --sample signs as [smtp] from, as mail does.
like "$b" "^Acme Care$" "--sample: signed by [smtp] from's name"
NOW=2026-11-23T10:00:00Z; like "$(R template render ack --case 1 | body)" "^Acme Care$" \
   "(as the real ack is)"
NOW=2026-11-23T10:00:00Z; like "$(R -c /dev/null template render ack --sample)" "^Customer Care$" \
   "--sample without a name in [smtp] from: Customer Care"

# lint: KIND-CATEGORY.txt must name a category of the rules.
mkdir tpl && cp "$top_srcdir"/templates/*.txt tpl/
R template lint tpl >out 2>err; st=$?
is "$st" 0 "the default templates lint clean against the default rules"
like "$(cat out)" "tpl: 11 templates, OK" "and says so"
cp tpl/ack.txt tpl/ack-refunds.txt
R template lint tpl >out 2>err; st=$?
is "$st" 78 "ack-refunds.txt with no category refunds: lint exits 78"
like "$(cat err)" "^tpl/ack-refunds.txt: no category \"refunds\" in the rules" "FILE and the reason"
like "$(cat err)" "a category of the rules: billing, damaged, delivery, service, account, general, question, praise" \
   "listing the categories there are"
rm tpl/ack-refunds.txt
cp tpl/ack.txt tpl/ack-question.txt
R template lint tpl >/dev/null 2>&1; is "$?" 0 "ack-question.txt: question is a category of the rules"
# Against other rules, other categories.
printf 'category refunds normal "R" fallback\n' > my.rules
printf '[paths]\nrules = %s/my.rules\n' "$T" > my.conf
R -c my.conf template lint tpl >/dev/null 2>err; st=$?
is "$st" 78 "against rules without billing, ack-billing.txt is refused"
like "$(cat err)" "tpl/ack-billing.txt: no category \"billing\"" "(one of several)"
printf '[paths]\nrules = %s/none.rules\n' "$T" > bad.conf
R -c bad.conf template lint tpl >/dev/null 2>err; st=$?
is "$st" 78 "rules that cannot be read: 78"
like "$(cat err)" "cannot check the template names against the rules: .*none.rules" "saying so"
done_testing
