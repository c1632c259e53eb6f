#!/bin/sh
# What agents do to cases from the command line (issue 15), against
# Postfix's smtp-sink on loopback: every event a person makes records its
# author ($REDRESS_AGENT, else the login name), shown by "case show" and
# its JSON; a note is never sent to anyone; cases get an owner, and the
# escalations and warnings of an owned case go to the owner's [agents]
# address ([smtp] escalate_to for the rest).  Every command runs at the
# test's pinned --now.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtp-sink.sh"
sink_available || skip_all "smtp-sink not installed (apt-get install postfix)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
T=$(mktemp -d)
chmod 0755 "$T"   # smtp-sink runs as nobody and writes its dumps below
sink_init "$T/sinks"
cleanup() {
	sink_stop_all
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 300 t_agents.sh
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
R() { "$REDRESS" --now "$NOW" "$@"; }
sink_start ok || exit 1
cat > redress.conf <<EOC
[smtp]
url = smtp://127.0.0.1:$(sink_port ok)
tls = none
from = Customer Care <care@example.com>
escalate_to = Duty Manager <duty@example.com>
[agents]
alice = Alice Smith <alice@example.com>
bob = bob@example.com
[sla]
timezone = UTC
hours = mon-fri 09:00-17:00
urgent = 1d 5d
high = 1d 5d
normal = 1d 5d
low = 1d 5d
warn_percent = 0
[autoreply]
per_hour = 100
per_day = 100
EOC
unset REDRESS_AGENT
# Monday 23 November 2026.
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/02-damaged.eml" "$S/03-late.eml" >/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null
sink_wait_count ok 3
is "$(sink_count ok)" 3 "the three acks went"
is "$(R --json case show 1 | jget "[(m['direction'], m['source']) for m in d['messages']][1:]")" \
   "[('out', 'redress:ack')]" "the ack sent is kept on the case, like the mail received"
R case show 1 --raw 2 | grep -q "^Subject: \[case 000001\]"; ok $? "byte for byte as sent"
is "$(R --json case list --search personally | jget 'len(d)')" 0 \
   "--search does not find the words of our own acks"

# --- Authors and notes.
NOW=2026-11-23T10:05:00Z
jobs_before=$(R --json queue list | jget 'len(d)')
REDRESS_AGENT=alice R case note 1 "Customer called; refund approved by finance." >/dev/null
is "$?" 0 "case note exits 0"
ev() { R --json case show "$1" | jget "[(e['kind'], e['author'], e['detail']) for e in d['events'] if e['kind'] == '$2']"; }
is "$(ev 1 note)" "[('note', 'alice', 'Customer called; refund approved by finance.')]" \
   "the note is an event with its author and text"
REDRESS_AGENT=bob R case respond 1 >/dev/null
is "$(ev 1 responded)" "[('responded', 'bob', 'by hand')]" "a move by hand records its author"
is "$(R --json case show 1 | jget "[e['author'] for e in d['events'] if e['kind'] == 'created']")" "[None]" \
   "what redress did itself has no author"
me=$(id -un)
R case note 2 "no agent set" >/dev/null
is "$(ev 2 note)" "[('note', '$me', 'no agent set')]" "without REDRESS_AGENT the author is the login name"
like "$(R case show 1 | grep ' note ')" "note +alice +Customer called" "case show prints the author"
REDRESS_AGENT='bad name' R case note 1 x >/dev/null 2>err; st=$?
is "$st" 64 "a REDRESS_AGENT that is no name is refused (exit 64)"
like "$(cat err)" "REDRESS_AGENT" "and says so"
R case note 1 "" >/dev/null 2>&1; is "$?" 64 "an empty note is refused"
R case note 99 "x" >/dev/null 2>&1; is "$?" 66 "a note on no case: exit 66"
is "$(R --json queue list | jget 'len(d)')" "$jobs_before" "a note queues no job"
NOW=2026-11-23T10:06:00Z; R send --once >/dev/null
is "$(sink_count ok)" 3 "and nothing is sent after a note"
! grep -rq "refund approved" "$T/sinks"; ok $? "the note's text reached no server"

# --- Ownership, and where an owned case's escalations go.
NOW=2026-11-23T11:00:00Z
REDRESS_AGENT=carol R case assign 2 alice >/dev/null; is "$?" 0 "case assign exits 0"
is "$(R --json case show 2 | jget 'd["owner"]')" "alice" "case 2 is alice's"
is "$(ev 2 assigned)" "[('assigned', 'carol', 'alice')]" "the assignment is an event by its author"
like "$(R case show 2)" "owner: +alice" "case show names the owner"
R case assign 3 dave >/dev/null 2>err; is "$?" 0 "an agent without an [agents] address can own a case"
like "$(cat err)" "dave has no address in \[agents\]" "with a warning that escalate_to gets its mail"
R case assign 3 'no such' >/dev/null 2>&1; is "$?" 64 "an agent name that is no name is refused"
ids() { R --json case list "$@" | jget '[c["id"] for c in d]'; }
is "$(ids --owner alice)" "[2]" "case list --owner alice"
is "$(ids --unassigned)" "[1]" "case list --unassigned"
is "$(REDRESS_AGENT=alice ids --mine)" "[2]" "case list --mine is \$REDRESS_AGENT's"
R case list --mine --unassigned >/dev/null 2>&1; is "$?" 64 "--mine and --unassigned together are refused"
# The report's per-agent figures come from the owners the store keeps.
is "$(R --json report --since 2026-11-01 | jget '(d["agents"]["owners_recorded"], sorted((g["name"], g["cases"]) for g in d["agents"]["by_agent"]), d["agents"]["unowned"])')" \
	"(True, [('alice', 1), ('dave', 1)], 1)" "report: cases per owner, and the unowned one"
# Tuesday 10:00: every first response is late; one escalation each.
NOW=2026-11-24T10:00:00Z; R tick >/dev/null
rcpt() { R --json queue list | jget "[j['rcpt'] for j in d if j['case'] == $1 and j['kind'] == 'escalation']"; }
is "$(rcpt 2)" "['alice@example.com']" "the owned case's escalation goes to its owner's [agents] address"
is "$(rcpt 3)" "['duty@example.com']" "an owner without an address: escalate_to"
is "$(rcpt 1)" "[]" "case 1 had its first response: no escalation"
R case assign 3 bob >/dev/null
is "$(rcpt 3)" "['bob@example.com']" "assigning a case moves its queued escalation to the new owner"
R case unassign 3 >/dev/null
is "$(rcpt 3)" "['duty@example.com']" "and unassigning moves it to escalate_to"
is "$(ev 3 unassigned)" "[('unassigned', '$me', 'bob')]" "the unassignment names who owned it"
is "$(R --json case show 3 | jget 'd["owner"]')" "None" "case 3 has no owner"
NOW=2026-11-24T10:00:05Z; R send --once >/dev/null
sink_wait_count ok 5
# Every To: of the mail about case N, sorted (the sink's dump files are
# not in sending order within a second).
to_of() { for f in $(sink_dumps ok); do sink_body "$f" | grep -q "case 00000$1" && sink_body "$f" | grep '^To:' | tr -d '\r'; done | sort | paste -sd'|' -; }
like "$(to_of 2)" "(^|\|)To: Alice Smith <alice@example.com>(\||$)" "the escalation reached alice, by her name"
like "$(to_of 3)" "(^|\|)To: Duty Manager <duty@example.com>(\||$)" "the unowned case's reached the duty manager"
ok $(to_of 3 | grep -qE "bob@|alice@"; [ $? = 1 ]; echo $?) "and no agent"
printf '[agents]\nalice = not an address\n' > bad.conf
R -c bad.conf case list >/dev/null 2>err; is "$?" 78 "an [agents] value that is no address is refused (exit 78)"
like "$(cat err)" "bad.conf:2: \[agents\] alice" "with FILE:LINE"
printf '[agents]\nno/name = a@example.com\n' > bad.conf
R -c bad.conf case list >/dev/null 2>err; is "$?" 78 "an [agents] name that is no name is refused"
like "$(R config show)" "alice = Alice Smith <alice@example.com>" "config show lists the agents"

# --- case reply: through the outbox to smtp-sink, threaded, the first
# response, by its author; the customer's answer joins the case.
NOW=2026-11-24T10:10:00Z
is "$(R --json case show 2 | jget 'd["first_response_at"]')" "None" "case 2 has no first response yet"
printf 'Dear Mr Okafor,\n\nA new kettle is on its way.\n' |
	REDRESS_AGENT=alice R case reply 2 --cc team@example.com >out; st=$?
is "$st" 0 "case reply (body on stdin) exits 0"
like "$(cat out)" "reply queued to j.okafor@example.org" "and says it is queued"
c2=$(R --json case show 2)
is "$(printf '%s\n' "$c2" | jget 'd["first_response_at"], d["state"]')" "2026-11-24T10:10:00Z responded" \
   "queuing the reply is the first response"
like "$(printf '%s\n' "$c2" | jget "[(e['author'], e['detail']) for e in d['events'] if e['kind'] == 'responded']")" \
   "^\[\('alice', 'reply to j.okafor@example.org \(message [0-9]+\)'\)\]$" "by its author"
is "$(printf '%s\n' "$c2" | jget "[(m['direction'], m['source']) for m in d['messages']]")" \
   "[('in', 'file:$S/02-damaged.eml'), ('out', 'redress:ack'), ('out', 'redress:escalation'), ('out', 'agent:alice')]" \
   "the outgoing message is stored on the case (after the ack and the escalation that went)"
is "$(printf '%s\n' "$c2" | jget "sorted(j['state'] for j in d['jobs'] if j['kind'] == 'reply')")" \
   "['queued', 'queued']" "one reply job per recipient, queued"
R send --dry-run >dry 2>&1
like "$(cat dry)" "reply for case 2 to j.okafor@example.org" "send --dry-run shows the reply"
like "$(cat dry)" "A new kettle is on its way" "with its text"
before=$(sink_count ok)
NOW=2026-11-24T10:10:05Z; R send --once >/dev/null
sink_wait_count ok $((before + 2))
is "$(sink_count ok)" $((before + 2)) "the reply reached smtp-sink for the customer and the Cc"
rd=$(for f in $(sink_dumps ok); do sink_body "$f" | grep -q 'new kettle' && echo "$f"; done | head -1)
rb=$(sink_body "$rd" | tr -d '\r')
hdr() { printf '%s\n' "$rb" | sed -n "s/^$1: //p" | head -1; }
is "$(hdr From)" "Customer Care <care@example.com>" "From is [smtp] from"
is "$(hdr To)" "James Okafor <j.okafor@example.org>" "To is the customer"
is "$(hdr Cc)" "team@example.com" "Cc as asked"
is "$(hdr Subject)" "Re: [case 000002] Kettle arrived broken" "the subject has Re: and the case tag"
cmid=$(sed -n 's/^Message-ID: *<\(.*\)>.*/\1/p' "$S/02-damaged.eml" | tr -d '\r' | head -1)
is "$(hdr In-Reply-To)" "<$cmid>" "In-Reply-To is the customer's last message"
like "$(hdr References)" "<$cmid>" "References carry it"
rmid=$(hdr Message-ID | tr -d '<>')
like "$rmid" "^redress\.2\." "our signed Message-ID names the case"
printf '%s\n' "$rb" | grep -q '^Auto-Submitted'; is "$?" 1 "a person's reply is not Auto-Submitted"
is "$(R --json queue list | jget "sorted(j['state'] for j in d if j['kind'] == 'reply')")" "['sent', 'sent']" \
   "the reply jobs are sent"
# The customer answers the reply, with a subject that lost the tag.
cat > answer.eml <<EOM
From: J Okafor <j.okafor@example.org>
To: care@example.com
Subject: Re: that kettle
Message-ID: <answer-1@example.org>
In-Reply-To: <$rmid>
References: <$cmid> <$rmid>
Date: Tue, 24 Nov 2026 11:00:00 +0000

Thanks, it arrived and works.
EOM
NOW=2026-11-24T11:00:00Z
is "$(R --json ingest answer.eml | jget 'd["joined"], d["new"]')" "1 0" "the customer's answer joins the case"
is "$(R --json case show 2 | jget "[m['message_id'] for m in d['messages']][-1]")" "answer-1@example.org" \
   "it is case 2's newest message"
# A second reply threads to that answer, starting from a template.
R case reply 2 --template followup >/dev/null; is "$?" 0 "case reply --template"
last_out() { R --json case show 2 | jget "[m for m in d['messages'] if m['direction'] == 'out'][-1]['$1']"; }
like "$(last_out text)" "Your case 000002 is still open" "the template is rendered for the case"
R case show 2 --raw "$(R --json case show 2 | jget "len(d['messages'])")" |
	grep -q "^In-Reply-To: <answer-1@example.org>$(printf '\r')\$"
is "$?" 0 "a later reply answers the customer's latest message"
# $EDITOR on a draft: the customer's words quoted, our instructions left out.
cat > ed.sh <<'EOS'
#!/bin/sh
cp "$1" "$1.seen"
{ printf 'Glad it works!\n'; cat "$1"; } > "$1.new" && mv "$1.new" "$1"
EOS
chmod +x ed.sh
mkdir "$T/tmp"
TMPDIR="$T/tmp" EDITOR="$T/ed.sh" REDRESS_AGENT=bob R case reply 2 --edit </dev/null >/dev/null
is "$?" 0 "case reply --edit"
text=$(last_out text)
like "$text" "^Glad it works!" "the editor's text is the body"
like "$text" "> Thanks, it arrived and works." "with the customer's last message quoted"
ok "$(printf '%s' "$text" | grep -c '#redress:' | grep -qx 0; echo $?)" "our instructions are left out"
like "$(cat "$T"/tmp/*.seen)" "^#redress: " "the draft starts with our instructions"
is "$(find "$T/tmp" -type f ! -name '*.seen' | wc -l | tr -d ' ')" 0 "the draft file is removed"
EDITOR=false R case reply 2 --edit </dev/null >/dev/null 2>&1; is "$?" 69 "an editor that fails sends nothing (exit 69)"
printf '\n  \n' | R case reply 2 >/dev/null 2>&1; is "$?" 65 "an empty reply is refused (exit 65)"
printf 'x\n' | R case reply 2 --cc 'not an address' >/dev/null 2>&1; is "$?" 64 "a bad --cc: exit 64"
R case resolve 2 >/dev/null
printf 'x\n' | R case reply 2 >/dev/null 2>err; is "$?" 65 "a reply to a resolved case is refused"
like "$(cat err)" "reopen it first" "and says to reopen it"

# --- case merge and case link: the customer's second mail became case 4.
NOW=2026-11-24T12:00:00Z
cat > second.eml <<'EOM'
From: Maria Lopez <maria.lopez@example.net>
To: care@example.com
Subject: Where is my refund??
Message-ID: <second@example.net>
Date: Tue, 24 Nov 2026 12:00:00 +0000

I wrote yesterday about being charged twice. Where is my money?
EOM
is "$(R --json ingest second.eml | jget 'd["new"]')" 1 "the second mail makes case 4"
is "$(R --json case show 4 | jget "[(j['kind'], j['state']) for j in d['jobs'] if j['kind'] == 'ack']")" \
   "[('ack', 'queued')]" "with its ack queued"
REDRESS_AGENT=alice R case merge 1 4 >out; is "$?" 0 "case merge 1 4"
c4=$(R --json case show 4)
is "$(printf '%s\n' "$c4" | jget 'd["state"], d["merged_into"]')" "merged 1" "case 4 is merged into case 1"
is "$(printf '%s\n' "$c4" | jget "[(j['kind'], j['state'], j['last_error']) for j in d['jobs'] if j['kind'] == 'ack']")" \
   "[('ack', 'suppressed', 'case 4 merged into case 1')]" "its queued ack is cancelled"
is "$(printf '%s\n' "$c4" | jget "len(d['messages']), [(e['kind'], e['author'], e['detail']) for e in d['events']]")" \
   "0 [('merged', 'alice', 'into case 1')]" "its messages and events went to case 1"
c1=$(R --json case show 1)
is "$(printf '%s\n' "$c1" | jget "[m['message_id'] for m in d['messages']][-1]")" "second@example.net" \
   "case 1 has the second mail"
like "$(printf '%s\n' "$c1" | jget "[(e['kind'], e['author'], e['detail']) for e in d['events'] if e['kind'] in ('merged', 'created')]")" \
   "\('created', None, 'file:.*second.eml'\), \('merged', 'alice', 'case 4 merged in \(1 message\(s\); 2 queued job\(s\) stopped\)'\)" \
   "and case 4's events, and the merge by its author"
is "$(ids --state merged)" "[4]" "case list --state merged"
NOW=2026-11-24T12:00:05Z; R send --once >/dev/null
is "$(R --json queue list | jget "[j['state'] for j in d if j['case'] == 4]")" "['suppressed', 'suppressed']" \
   "the merged case's ack and follow-up are not sent"
! grep -rq "Where is my refund" "$T/sinks"; ok $? "nothing about case 4 reached the server"
cat > third.eml <<'EOM'
From: Maria Lopez <maria.lopez@example.net>
To: care@example.com
Subject: Re: [case 000004] Where is my refund??
Message-ID: <third@example.net>
Date: Tue, 24 Nov 2026 13:00:00 +0000

Still waiting.
EOM
NOW=2026-11-24T13:00:00Z
is "$(R --json ingest third.eml | jget 'd["joined"]')" 1 "mail with the merged case's tag joins"
is "$(R --json case show 1 | jget "[m['message_id'] for m in d['messages']][-1]")" "third@example.net" \
   "case 1, the case it was merged into"
# A merged case is part of another: it does not make its customer a
# repeat complainant ([classify] repeat_count 2: case 1 is one case).
cat > fourth.eml <<'EOM'
From: Maria Lopez <maria.lopez@example.net>
To: care@example.com
Subject: Broken lamp
Message-ID: <fourth@example.net>
Date: Tue, 24 Nov 2026 13:30:00 +0000

The lamp I bought is broken.
EOM
NOW=2026-11-24T13:30:00Z
is "$(R --json ingest fourth.eml | jget 'd["new"]')" 1 "a new matter from the same customer is case 5"
is "$(R --json case show 5 | jget "'repeat' in d['tags']")" False "and not a repeat: the merged case does not count"
R case merge 1 1 >/dev/null 2>&1; is "$?" 65 "a case cannot be merged into itself (exit 65)"
R case merge 1 4 >/dev/null 2>err; is "$?" 65 "a merged case cannot be merged again"
like "$(cat err)" "merged into case 1 already" "and says so"
R case merge 4 2 >/dev/null 2>&1; is "$?" 65 "nothing is merged into a merged case"
R case merge 1 99 >/dev/null 2>&1; is "$?" 66 "no such case: exit 66"
REDRESS_AGENT=bob R case link 1 3 >/dev/null; is "$?" 0 "case link 1 3"
is "$(R --json case show 1 | jget 'd["linked"]'), $(R --json case show 3 | jget 'd["linked"]')" "[3], [1]" \
   "the link shows on both cases"
is "$(R --json case show 3 | jget "[(e['author'], e['detail']) for e in d['events'] if e['kind'] == 'linked']")" \
   "[('bob', 'with case 1')]" "as an event by its author"
like "$(R case link 3 1)" "already linked" "linking again changes nothing"
R case link 2 2 >/dev/null 2>&1; is "$?" 65 "a case is not linked to itself"

# --- Finding cases: every filter, the search, the sort, the time left
# and CSV, in a store of their own (the default SLA targets: urgent 1h,
# high 4h, normal 1d, low 2d to the first response).
mkdir find && cd find || exit 1
cat > redress.conf <<EOC
[sla]
timezone = UTC
hours = mon-fri 09:00-17:00
[agents]
alice = Alice Smith <alice@example.com>
EOC
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/02-damaged.eml" "$S/03-late.eml" \
	"$S/04-rude.eml" "$S/05-legal.eml" "$S/06-thanks.eml" >/dev/null
cat > formula.eml <<'EOM'
From: Mallory <mallory@example.org>
To: care@example.com
Subject: =HYPERLINK("http://evil.example/","refund, now") my "broken" toaster
Message-ID: <formula@example.org>
Date: Tue, 24 Nov 2026 09:30:00 +0000

My toaster caught fire. I want a refund.
EOM
NOW=2026-11-24T09:30:00Z; R ingest formula.eml >/dev/null
NOW=2026-11-23T13:00:00Z
R case list --state bogus >/dev/null 2>err; is "$?" 64 "--state with no such state: exit 64"
like "$(cat err)" "no such state" "and says so"
R case respond 2 >/dev/null
is "$(ids --state responded)" "[2]" "--state responded"
is "$(ids --priority urgent)" "[5, 7]" "--priority urgent (legal action; a fire)"
R case list --priority soon >/dev/null 2>&1; is "$?" 64 "--priority with no such priority: exit 64"
is "$(ids --category damaged)" "[2]" "--category damaged"
is "$(ids --tag legal)" "[5]" "--tag legal"
is "$(ids --tag leg)" "[]" "--tag matches whole tags only"
is "$(ids --customer MARIA.LOPEZ@example.net)" "[1]" "--customer, whatever its case"
is "$(ids --since 2026-11-24)" "[7]" "--since a date"
is "$(ids --until 2026-11-24T00:00:00Z)" "[1, 2, 3, 4, 5, 6]" "--until a time"
R case list --since yesterday >/dev/null 2>&1; is "$?" 64 "--since that is no time: exit 64"
R tick >/dev/null
is "$(ids --breached)" "[5]" "--breached: the urgent case is late at 13:00"
is "$(ids --due-within 2h)" "[4, 5]" "--due-within 2h: the overdue one and the one due at 14:00"
is "$(ids --due-within 2h --sort due)" "[5, 4]" "--sort due: the most overdue first"
is "$(ids --due-within 1d)" "[1, 3, 4, 5, 7]" "--due-within 1d: business days (case 2 had its response; its resolution is 5d off)"
R case list --due-within soon >/dev/null 2>&1; is "$?" 64 "--due-within that is no span: exit 64"
is "$(ids --sort priority)" "[5, 7, 4, 1, 2, 3, 6]" "--sort priority: urgent first, id within"
is "$(ids --sort priority --limit 3)" "[5, 7, 4]" "--limit 3"
is "$(ids --sort created)" "[1, 2, 3, 4, 5, 6, 7]" "--sort created"
R case list --sort soon >/dev/null 2>&1; is "$?" 64 "--sort with no such order: exit 64"
R case list --limit 0 >/dev/null 2>&1; is "$?" 64 "--limit 0: exit 64"
is "$(ids --search 'charged twice')" "[1]" "--search finds the words of a subject"
is "$(ids --search 'birthday present')" "[3]" "--search finds the words of the text"
is "$(ids --search 'REFUND')" "[1, 3, 5, 7]" "--search ignores case, over subjects and texts"
is "$(ids --search 'birthday kettle')" "[]" "--search wants all the words in one message"
is "$(ids --search "don't \"NEAR(")" "[]" "--search takes any text as words, never as a query"
cat > reply.eml <<'EOM'
From: Maria Lopez <maria.lopez@example.net>
To: care@example.com
Subject: Re: [case 000001] Charged twice
Message-ID: <zebra@example.net>
Date: Mon, 23 Nov 2026 12:00:00 +0000

Also the zebra-striped gift card was never credited.
EOM
R ingest reply.eml >/dev/null
is "$(ids --search zebra)" "[1]" "a reply joining a case is found at once (indexed as it is stored)"
R case list --search '  ' >/dev/null 2>&1; is "$?" 64 "--search without words: exit 64"
is "$(ids --search refund --priority normal)" "[1, 3]" "--search and a filter together"
left() { R --json case list | jget "[c['time_left'] for c in d if c['id'] == $1][0]"; }
is "$(left 4)" 3600 "JSON: time left in business seconds (high, due 14:00)"
is "$(left 5)" -7200 "JSON: negative when overdue (urgent, due 11:00)"
is "$(left 6)" None "JSON: null when no clock runs (praise)"
like "$(R case list | grep '^4 ')" "1h00m left" "the table: 1h00m left"
like "$(R case list | grep '^5 ')" "overdue 2h00m" "the table: overdue 2h00m"
NOW=2026-11-24T09:00:00Z
is "$(left 4)" -10800 "the clock counts business time only: 14:00 to 17:00 Monday"
like "$(R case list | grep '^4 ')" "overdue 3h00m" "the table too"
NOW=2026-11-25T12:00:00Z
like "$(R case list | grep '^5 ')" "overdue 2d 1h" "past a business day: days as the SLA counts them"
like "$(R case list | grep '^3 ')" "overdue 1d 2h" "overdue 1d 2h"
NOW=2026-11-23T09:00:00Z  # (before case 3 was made: the arithmetic alone)
like "$(R case list | grep '^3 ')" "1d 1h left" "and days left"
NOW=2026-11-23T13:00:00Z
R case list --format csv > cases.csv; is "$?" 0 "case list --format csv"
is "$(head -1 cases.csv | tr -d '\r')" "id,state,priority,category,owner,created,customer,subject,tags,due,time_left,breached" \
   "the CSV header"
is "$(grep -c "$(printf '\r')\$" cases.csv)" 8 "every CSV row ends in CRLF"
is "$(python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); print(len(r), r[7][7])' cases.csv)" \
   "8 '=HYPERLINK(\"http://evil.example/\",\"refund, now\") my \"broken\" toaster" \
   "RFC 4180: the subject's commas and quotes survive; its formula is made text"
is "$(python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); print(r[5][10], r[5][11], r[4][8])' cases.csv)" \
   "-7200 yes public churn" "CSV: time left in seconds, breach, tags"
R queue list --format csv > jobs.csv; is "$?" 0 "queue list --format csv"
is "$(python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); print(r[0][:4], len(r) - 1)' jobs.csv)" \
   "['id', 'case', 'kind', 'state'] $(R --json queue list | jget 'len(d)')" "one CSV row per job"
R queue list --format xml >/dev/null 2>&1; is "$?" 64 "--format xml: exit 64"
is "$(R case list --format json | jget 'len(d)')" 7 "--format json is --json"
# A warning (80% of the 4h of case 4 is gone at 13:12) goes to the owner too.
R case assign 4 alice >/dev/null 2>&1
NOW=2026-11-23T13:30:00Z; R tick >/dev/null
is "$(R --json queue list | jget "[j['rcpt'] for j in d if j['case'] == 4 and j['kind'] == 'warning']")" \
   "['alice@example.com']" "the warning of an owned case goes to its owner"
cd .. || exit 1
done_testing
