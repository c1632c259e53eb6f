#!/bin/sh
# What a sender can make redress send, and how often.
#
# A. The ack rate limit knows one sender however its address is written
#    (case, +detail, dots), and caps the acks to one domain per hour
#    except for big mail providers.
# B. What we echo of the sender's words is short and visible: a 64 KiB
#    display name and a 1000-byte subject come back cut, and invisible
#    characters do not come back at all.
# C. Thirty threatening mails from one sender: what reaches escalate_to
#    is capped per sender ([sla] escalate_per_sender), counted in the
#    outbox.
# D. One open escalation per case: a breach while the case's escalation
#    waits out the quiet hours adds none.
# Every command runs at the pinned time $NOW.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"; kill $WATCHDOG 2>/dev/null' EXIT
trap 'exit 1' INT TERM
watchdog_start 240 t_flood.sh
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
conf() {
	cat <<EOC
[smtp]
from = Customer Care <care@shop.example>
escalate_to = Duty Manager <manager@shop.example>
[sla]
timezone = UTC
hours = mon-fri 09:00-17:00
urgent = 1h 8h
high = 1d 5d
normal = 1d 5d
low = 1d 5d
$1
[followup]
after = 30d
EOC
}
R() { "$REDRESS" --now "$NOW" "$@"; }
# Acks queued and suppressed, with the reasons of the suppressed ones.
acks() { R --json queue list | jget "sum(1 for j in d if j['kind'].startswith('ack') and j['state'] == '$1')"; }
mail() { # mail FROM SUBJECT ID [NAME]: a complaint about a late parcel
	printf 'From: %s <%s>\nTo: care@shop.example\nSubject: %s\nMessage-ID: <%s@example.net>\n\nMy parcel is two weeks late and nobody answers.\n' \
		"${4:-Customer}" "$1" "$2" "$3"
}

# ---- A. one sender, however written; one domain's burst
mkdir a && cd a || exit 1
conf > redress.conf
NOW=2026-11-23T10:00:00Z
mail VICTIM@corp.example "late parcel" a1 > 1.eml
mail victim+1@corp.example "late parcel" a2 > 2.eml
mail victim+2@CORP.example "late parcel" a3 > 3.eml
mail vic.tim@corp.example "late parcel" a4 > 4.eml
R ingest 1.eml 2.eml 3.eml 4.eml >/dev/null
is "$(acks queued) $(acks suppressed)" "1 3" "VICTIM@, victim+1@, victim+2@, vic.tim@: one ack"
like "$(R --json queue list | jget "sorted(set(j['last_error'] for j in d if j['state'] == 'suppressed'))")" \
	"rate limit: 1 per hour per sender" "the others are rate-limited as one sender"
# An hour later the sender may have one more, however written.
NOW=2026-11-23T11:00:01Z; mail Vic.Tim+9@corp.example "still late" a5 > 5.eml; R ingest 5.eml >/dev/null
is "$(acks queued)" 2 "an hour later: one more ack"
cd .. || exit 1

mkdir a2 && cd a2 || exit 1
conf > redress.conf
NOW=2026-11-23T10:00:00Z
i=1; while [ $i -le 31 ]; do mail "user$i@bigcorp.example" "late parcel" "b$i" > "b$i.eml"; i=$((i + 1)); done
i=1; while [ $i -le 31 ]; do mail "user$i@gmail.com" "late parcel" "g$i" > "g$i.eml"; i=$((i + 1)); done
R ingest b*.eml g*.eml >/dev/null
is "$(R --json queue list | jget "sum(1 for j in d if j['rcpt'].endswith('@bigcorp.example') and j['kind'] == 'ack' and j['state'] == 'queued')")" \
	30 "31 addresses of one domain in an hour: 30 acks"
like "$(R --json queue list | jget "[j['last_error'] for j in d if j['rcpt'].endswith('@bigcorp.example') and j['state'] == 'suppressed']")" \
	"rate limit: 30 per hour to one domain" "the 31st is held back by the domain cap"
is "$(R --json queue list | jget "sum(1 for j in d if j['rcpt'].endswith('@gmail.com') and j['kind'] == 'ack' and j['state'] == 'queued')")" \
	31 "a big mail provider has no domain cap"
cd .. || exit 1

# ---- B. what we echo
mkdir b && cd b || exit 1
conf > redress.conf
name=$(python3 -c 'print("N" * 65536)')
subject=$(python3 -c 'print("my complaint " + "x" * 987)')
NOW=2026-11-23T10:00:00Z
printf 'From: %s <long@example.net>\nTo: care@shop.example\nSubject: %s\nMessage-ID: <c1@example.net>\n\nThis is not acceptable, I am very unhappy. Please sort this out.\n' \
	"$name" "$subject" > c1.eml
# Invisible characters in the subject and the name (UTF-8, unencoded).
python3 - > c2.eml <<'EOP'
import sys
inv = "\u061c\u200b\u200c\u200d\u2060\u180e\u202e\u2066\u2069\ufeff\u00ad\U000e0041"
sys.stdout.buffer.write(("From: Ev" + inv + "e <eve@example.org>\nTo: care@shop.example\n"
    "Subject: my " + inv + "complaint\nMessage-ID: <c2@example.org>\n"
    "Content-Type: text/plain; charset=UTF-8\n\n"
    "This is not acceptable, I am very unhappy. Please sort this out.\n").encode())
EOP
R ingest c1.eml c2.eml >/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null
check_ack() { # check_ack RCPT PYTHON-EXPRESSION-ON-(subject, to_name, body)
	python3 - "$1" outbox/*.eml <<EOP
import sys, email, email.header, email.utils
def text(v):  # RFC 2047 as written: no blank between adjacent words
    return str(email.header.make_header(email.header.decode_header(v)))
rcpt = sys.argv[1]
for f in sys.argv[2:]:
    m = email.message_from_binary_file(open(f, "rb"))
    if rcpt not in m["To"]:
        continue
    subject = text(m["Subject"])
    to_name = text(email.utils.parseaddr(m["To"])[0])
    body = m.get_payload(decode=True).decode("utf-8")
    print($2)
EOP
}
is "$(check_ack long@example.net 'len(to_name)')" 64 "a 64 KiB name is 64 characters in To"
is "$(check_ack long@example.net 'to_name.endswith("\u2026")')" True "ending in an ellipsis"
is "$(check_ack long@example.net 'max(len(l) for l in body.splitlines()) < 200')" True \
	"the body's lines are short (the name is cut there too)"
is "$(check_ack long@example.net '("N" * 63 + "\u2026") in body')" True "the body greets 63 Ns and an ellipsis"
is "$(check_ack long@example.net 'len(subject) < 200 and "x" * 100 in subject')" True \
	"the 1000-byte subject comes back cut"
is "$(check_ack eve@example.org 'ascii(subject[subject.index("my"):]) + " " + ascii(to_name)')" \
	"'my complaint' 'Eve'" "no invisible character in the Subject or the To name"
cd .. || exit 1

# ---- C. thirty threatening mails from one sender
mkdir c && cd c || exit 1
conf "warn_percent = 80" > redress.conf
NOW=2026-11-23T09:00:00Z
i=1; while [ $i -le 30 ]; do
	# The same lawyer's letter, from the same mailbox written three ways.
	case $((i % 3)) in 0) f="d.novak@example.org" ;; 1) f="D.Novak+$i@example.org" ;; 2) f="dnovak@EXAMPLE.org" ;; esac
	sed "s/^Message-ID: .*/Message-ID: <legal-$i@example.org>/; s/^From: .*/From: Daniel Novak <$f>/; s/^Return-Path: .*/Return-Path: <$f>/" \
		"$S/05-legal.eml" > "l$i.eml"
	i=$((i + 1))
done
R ingest l*.eml >/dev/null
is "$(R --json case list | jget 'len(d)')" 30 "thirty cases"
for t in 2026-11-23T09:00:05Z 2026-11-23T09:50:00Z 2026-11-23T10:01:00Z 2026-11-23T15:30:00Z \
	 2026-11-23T17:01:00Z 2026-11-24T09:00:00Z 2026-11-24T17:00:00Z; do
	NOW=$t; R tick >/dev/null; R send --once >/dev/null
done
n=$(grep -l "^To:.*manager@shop.example" outbox/*.eml | wc -l)
is "$n" 3 "what reached escalate_to: 3 mails, not 90 ([sla] escalate_per_sender = 3)"
like "$(R --json queue list | jget "sorted(set(j['last_error'] for j in d if j['kind'] in ('escalation', 'warning') and j['state'] == 'suppressed'))")" \
	"3 about dnovak@example.org's cases in 1d already" "the rest are recorded as held back, with the reason"
is "$(R --json case list --breached | jget 'len(d)')" 30 "every breach is still marked"
cd .. || exit 1

# ---- D. one open escalation per case
mkdir d && cd d || exit 1
conf "warn_percent = 80
quiet_hours = 09:00-18:00
escalate_per_sender = 0" > redress.conf
NOW=2026-11-23T09:00:00Z; R ingest "$S/05-legal.eml" >/dev/null
for t in 2026-11-23T09:50:00Z 2026-11-23T10:01:00Z 2026-11-23T15:30:00Z 2026-11-23T17:01:00Z \
	 2026-11-23T18:01:00Z; do
	NOW=$t; R tick >/dev/null; R send --once >/dev/null
done
n=$(grep -l "^To:.*manager@shop.example" outbox/*.eml | wc -l)
is "$n" 1 "the breaches while the intake escalation waited added no mail"
is "$(R --json case show 1 | jget "[j['last_error'][:34] for j in d['jobs'] if j['kind'] == 'escalation' and j['state'] == 'suppressed']")" \
	"['the case has one open already (job', 'the case has one open already (job']" \
	"both breaches are recorded as held back"
like "$(R --json case show 1 | jget "[e['detail'] for e in d['events'] if e['kind'] == 'escalation-skipped']")" \
	"breach:first response not sent.*breach:resolution not sent" "with events that say so"
like "$(grep -l "^To:.*manager@shop.example" outbox/*.eml | xargs cat)" "deadline missed" \
	"the escalation that went out says the deadline was missed"
like "$(grep -l "^To:.*manager@shop.example" outbox/*.eml | xargs cat)" \
	"the first response and resolution deadline has been missed" "and which ones"
cd .. || exit 1
done_testing
