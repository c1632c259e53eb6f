#!/bin/sh
# What each outcome gets (issue 11), end to end with --now: a thank-you
# (contrib/samples/06-thanks.eml) is thanked, with no SLA clock and no
# follow-up; a question gets a plain ack that promises an answer, and an
# answer clock ([sla] question) that warns and escalates to staff; a
# complaint keeps its apology, clocks and follow-up.  Nothing sent to the
# customer of a question or of praise apologises.  And unreadable input is
# held: no clock, no ack.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
cat > redress.conf <<EOC
[smtp]
from = Acme Care <care@example.com>
escalate_to = Duty Manager <duty@example.com>
[sla]
timezone = Europe/London
hours = mon-fri 09:00-17:00
normal = 1d 5d
low = 2d 10d
question = 4h
warn_percent = 80
[followup]
after = 7d
EOC
R() { "$REDRESS" --now "$NOW" "$@"; }
show() { R --json case show "$1" | jget "$2"; }
kinds() { show "$1" '[j["kind"] for j in d["jobs"]]'; }
# Every mail in the outbox to $1: does any say sorry or apologise?
apologies_to() {
	for f in outbox/*; do
		grep -qi "^To:.*$1" "$f" || continue
		tr -d '\r' < "$f" | grep -il "sorry\|apolog" >/dev/null && echo "$f"
	done | wc -l
}
mails_to() { grep -li "^To:.*$1" outbox/* 2>/dev/null | wc -l; }

cat > question.eml <<'EOM'
From: Tom Baker <tom@example.net>
To: care@example.com
Subject: Delivery to Ireland
Message-ID: <q1@example.net>

Hello, do you deliver to Ireland? Kind regards, Tom
EOM

# Monday 23 November 2026, 10:00 in London.
NOW=2026-11-23T10:00:00Z; R ingest "$S/06-thanks.eml" question.eml "$S/01-refund.eml" >/dev/null
is "$(show 1 'd["complaint"], d["outcome"], d["category"]')" "False praise praise" \
   "the thank-you is praise"
is "$(show 1 'd["first_response_due"], d["resolution_due"]')" "None None" "praise: no SLA clock"
is "$(kinds 1)" "['ack-plain']" "praise: a plain ack, no follow-up"
is "$(show 2 'd["complaint"], d["outcome"]')" "False question" "the question is a question"
is "$(show 2 'd["first_response_due"], d["resolution_due"]')" "2026-11-23T14:00:00Z None" \
   "question: an answer clock of [sla] question (4h), no resolution clock"
is "$(kinds 2)" "['ack-plain']" "question: a plain ack, no follow-up"
is "$(show 3 'd["complaint"], d["outcome"], d["first_response_due"]')" \
   "True complaint 2026-11-24T10:00:00Z" "the complaint keeps its clock (normal 1d)"
is "$(kinds 3)" "['ack', 'followup']" "complaint: the ack and the follow-up"
like "$(R case show 1)" "not a complaint: praise" "case show says what it is"

NOW=2026-11-23T10:00:05Z; R send --once >/dev/null
is "$(mails_to anna.k@example.com) $(mails_to tom@example.net)" "1 1" "one ack each"
praise=$(grep -li "^To:.*anna.k@example.com" outbox/* | head -1)
like "$(grep '^Subject:' "$praise")" "Thank you for your kind words" "praise gets the thank-you (ack-praise)"
q=$(grep -li "^To:.*tom@example.net" outbox/* | head -1)
qtext=$(tr -d '\r' < "$q" | tr '\n' ' ')
like "$qtext" "answer you personally today by 2 pm" "the question's ack promises an answer, by its clock"
is "$(show 1 'd["state"]') $(show 2 'd["state"]')" "acknowledged acknowledged" "both acknowledged"

# The question's clock warns and escalates to staff; praise has no clock.
NOW=2026-11-23T13:15:00Z; R tick >/dev/null
is "$(kinds 2)" "['ack-plain', 'warning']" "80% of the question's 4h: a warning to staff"
NOW=2026-11-23T14:00:00Z; R tick >/dev/null
is "$(kinds 2)" "['ack-plain', 'warning', 'escalation']" "4h: the question is escalated"
is "$(kinds 1)" "['ack-plain']" "praise: tick queues nothing"
NOW=2026-11-23T14:00:05Z; R send --once >/dev/null
is "$(mails_to duty@example.com)" 2 "the warning and the escalation went to the duty manager"

# A week later the complaint is followed up; nothing else is.
NOW=2026-11-30T10:00:10Z; R send --once >/dev/null
is "$(show 3 '[j["state"] for j in d["jobs"] if j["kind"] == "followup"]')" "['sent']" \
   "the complaint's follow-up went"
is "$(mails_to anna.k@example.com) $(mails_to tom@example.net)" "1 1" \
   "no follow-up to the thank-you or the question"
is "$(apologies_to anna.k@example.com) $(apologies_to tom@example.net)" "0 0" \
   "nothing sent to them apologises"
is "$(apologies_to maria.lopez@example.net)" 2 "(the complaint's ack and follow-up do)"

# Resolving a non-complaint by hand queues no follow-up either.
sed 's/^after = 7d/after = 7d\nfrom = resolution/' redress.conf > res.conf
NOW=2026-11-30T11:00:00Z; R -c res.conf case resolve 2 >/dev/null
NOW=2026-11-30T11:00:00Z; R -c res.conf case resolve 1 >/dev/null
is "$(kinds 1) $(kinds 2)" "['ack-plain'] ['ack-plain', 'warning', 'escalation']" \
   "resolved with [followup] from = resolution: still no follow-up"
NOW=2026-11-30T11:00:00Z; R -c res.conf case resolve 3 >/dev/null
is "$(kinds 3)" "['ack', 'followup', 'followup']" "(a complaint resolved so gets one)"

NOW=2026-11-30T12:00:00Z; is "$(R --json report | jget 'd["not_complaints"]')" 2 \
   "the report counts two not complaints"

# [sla] question = off: a question has no clock; a bad value is refused.
mkdir off && cd off || exit 1
sed 's/^question = 4h/question = off/' ../redress.conf > redress.conf
NOW=2026-11-23T10:00:00Z; R ingest ../question.eml >/dev/null
is "$(show 1 'd["outcome"], d["first_response_due"]')" "question None" "question = off: no clock"
NOW=2026-11-23T10:00:05Z; like "$(R template render ack-plain --case 1 | tr -d '\r' | tr '\n' ' ')" \
   "answer you personally as soon as we can" "and the ack promises no time"
sed 's/^question = 4h/question = 4x/' ../redress.conf > bad.conf
NOW=2026-11-23T10:00:00Z; R -c bad.conf ingest ../question.eml >/dev/null 2>err; st=$?
is "$st" 78 "question = 4x is a configuration error"
like "$(cat err)" "bad.conf:[0-9]+: \[sla\] question: \"4x\"" "with FILE:LINE and the key"
cd .. || exit 1

# Unreadable input is held: a person looks at it, no clock runs, nothing
# is sent.  (Before, it became a new case with an SLA clock.)
mkdir held && cd held || exit 1
printf '\000garbage\n' > g.eml
NOW=2026-11-23T10:00:00Z; out=$(R --json ingest g.eml 2>/dev/null)
is "$(printf '%s\n' "$out" | jget 'd["held"], d["new"]')" "1 0" "NUL garbage is held"
is "$(show 1 'd["state"], d["first_response_due"], d["resolution_due"], d["jobs"]')" \
   "held None None []" "held: no clock, no ack"
like "$(show 1 'd["held_reason"]')" "unreadable: a NUL byte in the header" "with the reason"
printf 'garbage without a header\n' > nohdr.eml
: > empty.eml
printf 'Subject:\n\n\n' > nothing.eml
NOW=2026-11-23T10:00:01Z; out=$(R --json ingest nohdr.eml empty.eml nothing.eml 2>/dev/null)
is "$(printf '%s\n' "$out" | jget 'd["held"], d["new"]')" "3 0" \
   "no header block, an empty file, no sender and no words: held"
printf '\000other garbage\n' | R filter; st=$?
is "$st" 0 "filter: unreadable input exits 0 (never a bounce)"
is "$(R --json case list --state held | jget 'len(d)')" 5 "and is held"
# Odd but real: no From, but words -- a person can read it.  Not held.
printf 'To: care@example.com\nSubject: parcel\n\nMy parcel is late.\n' > nofrom.eml
NOW=2026-11-23T10:00:02Z; out=$(R --json ingest nofrom.eml 2>/dev/null)
is "$(printf '%s\n' "$out" | jget 'd["held"], d["new"]')" "0 1" "a message without From but with words is a case"
# A NUL in the body (a binary part sent raw) is not a NUL in the header.
printf 'From: a@example.org\nSubject: photo\n\nsee \000 this\n' > bodynul.eml
NOW=2026-11-23T10:00:03Z; out=$(R --json ingest bodynul.eml 2>/dev/null)
is "$(printf '%s\n' "$out" | jget 'd["held"], d["new"]')" "0 1" "a NUL in the body is not held"
cd .. || exit 1
done_testing
