#!/bin/sh
# redress send against Postfix's smtp-sink on loopback: acks arrive with
# every required header; a week later the follow-up goes; 4xx leaves jobs
# queued and the next run sends them; 5xx fails them with the server's
# reply on the case; a dropped connection is retried; nothing twice.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtp-sink.sh"
sink_available || skip_all "smtp-sink not installed (apt-get install postfix)"
T=$(mktemp -d)
chmod 0755 "$T"   # smtp-sink runs as nobody and writes its dumps below
sink_init "$T/sinks"
trap 'sink_stop_all; rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
# Every command runs at the test's pinned time, $NOW, so that no result
# depends on the day the suite runs.
R() { "$REDRESS" --now "$NOW" "$@"; }

conf() { # conf PORT [LINE]: a config sending to the sink on PORT
	cat > redress.conf <<EOC
[smtp]
${2:-}
url = smtp://127.0.0.1:$1
tls = none
from = Customer Care <care@example.com>
envelope_from = bounces@example.com
escalate_to = Duty Manager <duty@example.com>
timeout = 5
[autoreply]
per_hour = 100
per_day = 100
EOC
}
queued() { R --json queue list | jget "sum(1 for j in d if j['state'] == 'queued' and j['kind'] == '$1')"; }
state_of() { R --json queue list | jget "[j['state'] for j in d if j['id'] == $1][0]"; }

sink_start ok || exit 1
conf "$(sink_port ok)"
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/02-damaged.eml" "$S/06-thanks.eml" >/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null; st=$?
is "$st" 0 "send --once exits 0"
sink_wait_count ok 3
is "$(sink_count ok)" 3 "three acks arrived at smtp-sink"
is "$(sink_connections ok)" 1 "over one connection"
d=$(sink_dumps ok | head -1)
body=$(sink_body "$d")
for h in Date From To Subject Message-ID In-Reply-To References Auto-Submitted \
	 X-Auto-Response-Suppress X-Loop MIME-Version Content-Type Content-Transfer-Encoding; do
	printf '%s\n' "$body" | grep -q "^$h: "; ok $? "the ack has $h"
done
like "$(sink_header "$d" X-Mail-Args)" "bounces@example.com" "MAIL FROM is [smtp] envelope_from"
is "$(R --json queue list | jget "sorted(set(j['state'] for j in d if j['kind'] in ('ack','ack-plain')))")" \
   "['sent']" "the acks are marked sent"
NOW=2026-11-23T10:01:00Z; R send --once >/dev/null
is "$(sink_count ok)" 3 "a second run sends nothing again"

# A week later: the follow-ups, for the two complaints; the thank-you
# (06-thanks) gets none (issue 11: it used to get one that apologised).
NOW=2026-11-30T10:00:10Z; R send --once >/dev/null
sink_wait_count ok 5
is "$(sink_count ok)" 5 "a week later the two complaints' follow-ups go"
is "$(queued followup)" 0 "no follow-up left queued"
sink_stop ok

# 4xx on RCPT: jobs stay queued, then go on the next run.
NOW=2026-11-30T11:00:00Z; R ingest "$S/03-late.eml" >/dev/null
ack=$(R --json queue list | jget "[j['id'] for j in d if j['case'] == 4 and j['kind'] == 'ack'][0]")
sink_start soft -r RCPT || exit 1
conf "$(sink_port soft)"
NOW=2026-11-30T11:00:01Z; R send --once >/dev/null
is "$(state_of "$ack")" queued "4xx: the ack stays queued"
like "$(R --json queue list | jget "[j['last_error'] for j in d if j['id'] == $ack][0]")" "^450" \
   "with the server's 4xx reply recorded"
sink_stop soft
sink_start ok2 || exit 1
conf "$(sink_port ok2)"
NOW=2026-11-30T11:00:30Z; R send --once >/dev/null
is "$(state_of "$ack")" queued "not yet due again (backoff)"
NOW=2026-11-30T11:02:00Z; R send --once >/dev/null
is "$(state_of "$ack")" sent "after the backoff it goes"
is "$(sink_count ok2)" 1 "exactly once"
sink_stop ok2

# Dropped connection after the data: retried, not lost.
NOW=2026-11-30T12:00:00Z; R ingest "$S/04-rude.eml" >/dev/null
ack=$(R --json queue list | jget "[j['id'] for j in d if j['case'] == 5 and j['kind'] == 'ack'][0]")
sink_start drop -Q RCPT || exit 1
conf "$(sink_port drop)"
NOW=2026-11-30T12:00:01Z; R send --once >/dev/null
is "$(state_of "$ack")" queued "dropped connection: queued for retry"
sink_stop drop
sink_start ok3 || exit 1
conf "$(sink_port ok3)"
NOW=2026-11-30T12:10:00Z; R send --once >/dev/null
is "$(state_of "$ack")" sent "sent on the retry"

# 5xx: failed, with the reply on the job and the case.
NOW=2026-11-30T13:00:00Z; R ingest "$S/08-html-only.eml" >/dev/null
ack=$(R --json queue list | jget "[j['id'] for j in d if j['case'] == 6 and j['kind'] == 'ack'][0]")
sink_start hard -f RCPT -B "550 5.1.1 No such user here" || exit 1
conf "$(sink_port hard)"
NOW=2026-11-30T13:00:01Z; R send --once >/dev/null
is "$(state_of "$ack")" failed "5xx: the ack failed"
like "$(R --json queue list | jget "[j['last_error'] for j in d if j['id'] == $ack][0]")" "550 5.1.1 No such user" \
   "with the server's reply"
like "$(R --json case show 6 | jget "[e['detail'] for e in d['events'] if e['kind'] == 'send-failed'][0]")" "550 5.1.1" \
   "and the case says so"
NOW=2026-11-30T13:05:00Z; R send --once >/dev/null
is "$(state_of "$ack")" failed "a failed job is not retried by itself"
R queue retry "$ack" >/dev/null
is "$(state_of "$ack")" queued "queue retry queues it again"
sink_stop hard

# Lifetime: a job that keeps failing softly gives up after [smtp] lifetime.
sink_start soft2 -r RCPT || exit 1
conf "$(sink_port soft2)" "lifetime = 1d"
NOW=2026-12-02T13:00:00Z; R send --once >/dev/null
is "$(state_of "$ack")" failed "past [smtp] lifetime a deferred job fails"

# Nothing was delivered twice: every Message-ID at the sinks is unique.
n=$(for d in "$T"/sinks/*/dump/*; do [ -f "$d" ] && sink_body "$d" | sed -n 's/^Message-ID: //p'; done | sort | uniq -d | wc -l)
is "$n" 0 "no Message-ID was delivered twice"
# --dry-run prints each due job once, changes nothing, and takes no lock
# (so it works while a sender runs).  timeout: the first version claimed
# each job, undid the claim, and printed the same job for ever.
mkdir dry && cd dry || exit 1
conf 9   # never connected to: a dry run opens no SMTP connection
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/02-damaged.eml" >/dev/null
snap() { sqlite3 redress.db "SELECT * FROM jobs; SELECT * FROM events; SELECT * FROM locks"; }
snap > before
sqlite3 redress.db "INSERT INTO locks VALUES ('send', '$$@$(hostname)', strftime('%s','now'))"
timeout 20 "$REDRESS" --now 2026-11-23T10:00:05Z send --dry-run > out 2> err; st=$?
is "$st" 0 "send --dry-run exits 0 (while another sender holds the lock)"
is "$(grep -c '^--- job' out)" 2 "it shows the two due acks"
is "$(grep '^--- job' out | sort -u | wc -l)" 2 "each once"
is "$(grep -c '^Subject: ' out)" 2 "with their messages"
sqlite3 redress.db "DELETE FROM locks"
snap > after
is "$(cmp before after >/dev/null && echo same)" same "and the jobs, events and locks are as they were"
cd .. || exit 1

done_testing
