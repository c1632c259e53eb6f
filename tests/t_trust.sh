#!/bin/sh
# Who is staff, and what a sender can make redress do with a case.
#
# From: is a claim anyone can write.  A message counts as staff only when
# From matches [staff] addresses AND our own mail server's
# Authentication-Results ([spam] authserv_id, the topmost such field)
# pass for the From domain, or it was delivered to a staff-only envelope
# recipient ([staff] mailbox).  And only what reaches the customer (To or
# Cc) is a first response: a manager answering an escalation is a note.
# Every command runs at the pinned time $NOW.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"; kill $WATCHDOG 2>/dev/null' EXIT
trap 'exit 1' INT TERM
watchdog_start 120 t_trust.sh
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
cat > redress.conf <<EOC
[smtp]
from = Customer Care <care@shop.example>
escalate_to = Duty Manager <manager@shop.example>
[sla]
timezone = UTC
hours = mon-fri 09:00-17:00
urgent = 1d 5d
high = 1d 5d
normal = 1d 5d
low = 1d 5d
warn_percent = 0
[staff]
addresses = *@shop.example
mailbox = replies@shop.example
[spam]
authserv_id = mx.shop.example
EOC
R() { "$REDRESS" --now "$NOW" "$@"; }
new_joined() { R --json ingest "$1" | jget 'd["new"], d["joined"]'; }
field() { R --json case show "$1" | jget "d[\"$2\"]"; }
jobs_of() { R --json case show "$1" | jget "[j['state'] for j in d['jobs'] if j['kind'] == '$2']"; }
last_event() { R --json case show "$1" | jget '(d["events"][-1]["kind"], d["events"][-1]["detail"])'; }

# Monday 23 November 2026, 10:00 UTC: case 1, Maria's refund.
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" >/dev/null
is "$(field 1 customer)" "maria.lopez@example.net" "case 1 is Maria's"

# A. A forged staff From with case 1's tag joins nothing and answers nothing.
printf 'From: Agent <x@shop.example>\nTo: maria.lopez@example.net\nSubject: Re: [case 000001] refund\nMessage-ID: <forged-a@shop.example>\n\nRefund issued.\n' > a1.eml
NOW=2026-11-23T10:10:00Z
is "$(new_joined a1.eml)" "1 0" "a staff From without authentication does not join by tag"
is "$(field 1 state)" "new" "case 1 is not responded"
is "$(R --json case show 2 | jget "[(j['state'], j['last_error']) for j in d['jobs'] if j['kind'].startswith('ack')]")" \
   "[('suppressed', 'From is a staff address, but not authenticated')]" \
   "the new case gets no ack: it would go to our own people"
# Our server's field says none; a "pass" below it was written by the sender.
printf 'Authentication-Results: mx.shop.example; dkim=none; spf=softfail smtp.mailfrom=evil.example\nAuthentication-Results: mx.shop.example; dkim=pass header.d=shop.example\nFrom: Agent <x@shop.example>\nTo: maria.lopez@example.net\nSubject: Re: [case 000001] refund\nMessage-ID: <forged-b@shop.example>\n\nRefund issued.\n' > a2.eml
is "$(new_joined a2.eml)" "1 0" "a pass below our topmost field is the sender's, not ours"
printf 'Authentication-Results: mx.evil.example; dkim=pass header.d=shop.example\nFrom: Agent <x@shop.example>\nTo: maria.lopez@example.net\nSubject: Re: [case 000001] refund\nMessage-ID: <forged-c@shop.example>\n\nRefund issued.\n' > a3.eml
is "$(new_joined a3.eml)" "1 0" "a pass from another authserv-id is not believed"
printf 'Authentication-Results: mx.shop.example; dkim=pass header.d=other.example\nFrom: Agent <x@shop.example>\nTo: maria.lopez@example.net\nSubject: Re: [case 000001] refund\nMessage-ID: <forged-d@shop.example>\n\nRefund issued.\n' > a4.eml
is "$(new_joined a4.eml)" "1 0" "a pass for another domain is not one for shop.example"
is "$(field 1 first_response_at)" "None" "case 1 still has no first response"
# So the deadline passes and the breach is escalated.
NOW=2026-11-24T10:30:00Z; R tick >/dev/null
is "$(jobs_of 1 escalation)" "['queued']" "case 1's first-response breach is escalated"

# B. Authenticated staff answering Maria: the first response.
printf 'Authentication-Results: mx.shop.example;\n\tdkim=pass (good signature) header.d=shop.example header.s=s1;\n\tspf=pass smtp.mailfrom=agent@shop.example\nFrom: Agent Smith <agent@shop.example>\nTo: Maria Lopez <maria.lopez@example.net>\nSubject: Re: [case 000001] refund\nMessage-ID: <agent-1@shop.example>\n\nRefund issued today.\n' > b1.eml
NOW=2026-11-24T11:00:00Z
is "$(new_joined b1.eml)" "0 1" "authenticated staff with the tag joins case 1"
is "$(field 1 state) $(field 1 first_response_at)" "responded 2026-11-24T11:00:00Z" \
   "and is the first response"
like "$(last_event 1)" "responded.*agent@shop.example.*dkim=pass header.d" "the event says how staff was known"

# C. A manager answering an escalation is a note, not a first response.
NOW=2026-11-24T12:00:00Z; out=$(R --json ingest "$S/05-legal.eml")
legal=$(printf '%s\n' "$out" | jget 'd["new"]')
is "$legal" 1 "the legal threat is a new case"
lc=$(R --json case list | jget 'max(c["id"] for c in d)')
is "$(jobs_of "$lc" escalation)" "['queued']" "it is escalated at intake"
NOW=2026-11-24T12:01:00Z; R send --once >/dev/null
esc=$(grep -l "^Message-ID: <redress\.$lc\." $(grep -l "^To:.*manager@shop.example" outbox/*) | head -1)
ok $? "case $lc's escalation is in the outbox"
escid=$(sed -n 's/^Message-ID: <\(.*\)>.*/\1/p' "$esc" | tr -d '\r')
like "$escid" "^redress\.$lc\." "it carries our Message-ID for case $lc"
cat > c1.eml <<EOM
Authentication-Results: mx.shop.example; dkim=pass header.d=shop.example
From: Duty Manager <manager@shop.example>
To: Customer Care <care@shop.example>
Subject: Re: [case $(printf '%06d' "$lc")] Escalation: urgent priority case needs you
Message-ID: <mgr-1@shop.example>
In-Reply-To: <$escid>

I will call him myself this afternoon.
EOM
NOW=2026-11-24T12:30:00Z
is "$(new_joined c1.eml)" "0 1" "the manager's answer joins the case"
is "$(field "$lc" state) $(field "$lc" first_response_at)" "acknowledged None" \
   "but the customer got nothing: no first response"
like "$(last_event "$lc")" "staff-note.*not sent to the customer" "it is kept as an internal note"
# Cc to the customer is a reply to the customer.
sed 's/^To: .*/To: Customer Care <care@shop.example>\nCc: Daniel Novak <d.novak@example.org>/; s/mgr-1@/mgr-2@/' c1.eml > c2.eml
NOW=2026-11-24T12:40:00Z
is "$(new_joined c2.eml)" "0 1" "the manager's answer with the customer in Cc joins"
is "$(field "$lc" state)" "responded" "and is the first response"

# D. A stranger writing as the customer, whose domain our server saw
#    fail DMARC, cannot reopen her resolved case.
NOW=2026-11-24T13:00:00Z; R case resolve 1 >/dev/null
printf 'Authentication-Results: mx.shop.example; dmarc=fail (p=reject) header.from=example.net\nFrom: Maria Lopez <maria.lopez@example.net>\nSubject: Re: [case 000001] refund\nMessage-ID: <spoof-1@evil.example>\n\nReopen please.\n' > d1.eml
NOW=2026-11-24T13:10:00Z
is "$(new_joined d1.eml)" "1 0" "a DMARC failure with the customer's From does not join by tag"
is "$(field 1 state)" "resolved" "case 1 stays resolved"
# E. Nor can a forged staff From.
printf 'From: x@shop.example\nSubject: [case 000001] reopen\nMessage-ID: <forged-e@shop.example>\n\nx\n' > e1.eml
is "$(new_joined e1.eml)" "1 0" "an unauthenticated staff From does not join a resolved case"
is "$(field 1 state)" "resolved" "case 1 stays resolved"

# F. A staff-only envelope recipient ([staff] mailbox) vouches for staff.
NOW=2026-11-25T09:00:00Z; R ingest "$S/03-late.eml" >/dev/null
fc=$(R --json case list | jget 'max(c["id"] for c in d)')
cust=$(field "$fc" customer)
printf 'From: Agent <agent@shop.example>\nTo: %s\nSubject: Re: [case %06d] late\nMessage-ID: <agent-f@shop.example>\n\nOn its way.\n' "$cust" "$fc" > f1.eml
NOW=2026-11-25T09:10:00Z; R filter -f agent@shop.example -r care@shop.example < f1.eml; st=$?
is "$st" 0 "filter to the care address exits 0"
is "$(field "$fc" state)" "new" "delivered to the care address it is not staff"
sed 's/agent-f@/agent-g@/' f1.eml > f2.eml
NOW=2026-11-25T09:20:00Z; R filter -f agent@shop.example -r replies@shop.example < f2.eml
is "$(field "$fc" state)" "responded" "delivered to [staff] mailbox it is the first response"
like "$(last_event "$fc")" "staff-only address" "the event says so"
done_testing
