#!/bin/sh
# redress send against Postfix's smtp-sink on loopback: acks arrive with
# every required header; a week later the follow-up goes; 4xx leaves jobs
# queued and the next run sends them; 5xx fails them with the server's
# reply on the case; a dropped connection is retried; nothing twice.
# Then the faults smtp-sink cannot make, against tests/lib/hostile_smtp.py:
# a server that never answers the final dot (at most two copies), a dead
# server (one timeout per round, exit 75), a server that stops listening
# mid-round.  And what the sender must re-check when it sends: the
# lifetime runs from the first attempt (greylisting), escalations of a
# settled case are suppressed, a suppressed job cannot be retried, a live
# sender's claim is never taken back.  Every command runs at a pinned
# --now; the daemon's tests are in t_send_daemon.sh.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtp-sink.sh"
sink_available || skip_all "smtp-sink not installed (apt-get install postfix)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 command is not installed"
T=$(mktemp -d)
chmod 0755 "$T"   # smtp-sink runs as nobody and writes its dumps below
sink_init "$T/sinks"
HPIDS=
cleanup() {
	sink_stop_all
	for p in $HPIDS; do kill "$p" 2>/dev/null; done
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 200 t_send.sh
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
# Every command runs at the test's pinned time, $NOW, so that no result
# depends on the day the suite runs.
R() { "$REDRESS" --now "$NOW" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# hostile_start NAME MODE [OPTION...]: tests/lib/hostile_smtp.py on a free
# port (HPORT); its messages and log in $T/hostile/NAME.
hostile_start() {
	_hn=$1
	shift
	mkdir -p "$T/hostile/$_hn"
	python3 "$top_srcdir/tests/lib/hostile_smtp.py" --dir "$T/hostile/$_hn" \
		--lifetime 190 --mode "$@" 2>"$T/hostile/$_hn.err" &
	HPIDS="$HPIDS $!"
	_i=0
	while [ ! -s "$T/hostile/$_hn/port" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	HPORT=$(cat "$T/hostile/$_hn/port" 2>/dev/null)
	[ -n "$HPORT" ] || { echo "Bail out! hostile_smtp.py did not start: $(cat "$T/hostile/$_hn.err")"; exit 1; }
}
hostile_count() { find "$T/hostile/$1" -name 'msg-*' | wc -l | tr -d ' '; }

conf() { # conf PORT [LINE]: a config sending to the sink on PORT
	cat > redress.conf <<EOC
[smtp]
${2:-}
url = smtp://127.0.0.1:$1
tls = none
from = Customer Care <care@example.com>
envelope_from = bounces@example.com
escalate_to = Duty Manager <duty@example.com>
timeout = ${TIMEOUT:-5}
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

# Lifetime: a job that keeps failing softly gives up after [smtp]
# lifetime, counted from its first attempt since it was queued or retried:
# the job retried above (made on 11-30) is first tried again on 12-02.
sink_start soft2 -r RCPT || exit 1
conf "$(sink_port soft2)" "lifetime = 1d"
NOW=2026-12-02T13:00:00Z; R send --once >/dev/null
is "$(state_of "$ack")" queued "queue retry starts the lifetime afresh: the first 4xx after it defers"
NOW=2026-12-03T12:59:00Z; R send --once >/dev/null
is "$(state_of "$ack")" queued "inside the lifetime since that attempt: deferred again"
NOW=2026-12-03T13:05:00Z; R send --once >/dev/null
is "$(state_of "$ack")" failed "past [smtp] lifetime since its first attempt a deferred job fails"
like "$(R --json case show 6 | jget "[e['detail'] for e in d['events'] if e['kind'] == 'send-failed'][-1]")" \
   "failed after [0-9]+ attempts: 450" "  with the last reply on the case"
sink_stop soft2

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

# ------------------------------------------------------------ greylisting
# A follow-up is queued a week ahead; a greylisting server answers its
# first try with 450.  That try starts its lifetime, it does not end it.
mkdir grey && cd grey || exit 1
sink_start gok || exit 1
conf "$(sink_port gok)"
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" >/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null
fu=$(R --json queue list | jget "[j['id'] for j in d if j['kind'] == 'followup'][0]")
sink_start grey -r RCPT || exit 1
conf "$(sink_port grey)"
NOW=2026-12-01T10:00:00Z; R send --once >/dev/null
is "$(state_of "$fu")" queued "greylisted (450) eight days after intake: the follow-up is deferred, not failed"
like "$(R --json queue list | jget "[j['last_error'] for j in d if j['id'] == $fu][0]")" "^450" \
   "  with the 450 recorded"
conf "$(sink_port gok)"
NOW=2026-12-01T10:05:00Z; R send --once >/dev/null
is "$(state_of "$fu")" sent "  and the next try delivers it"
sink_stop grey
sink_stop gok
cd .. || exit 1

# ------------------------------------- escalations of settled cases; retry
# Checked when the job is sent, not only when it was queued: a case can be
# resolved or answered while its escalation waits.
mkdir esc && cd esc || exit 1
sink_start esc || exit 1
conf "$(sink_port esc)"
NOW=2026-11-23T10:00:00Z; R ingest "$S/05-legal.eml" "$S/02-damaged.eml" "$S/07-out-of-office.eml" >/dev/null
R case resolve 1 --cause "refund sent" >/dev/null
NOW=2026-11-26T10:00:00Z; R tick >/dev/null   # case 2 misses its first response
R case respond 2 >/dev/null
job() { R --json queue list | jget "[j['id'] for j in d if j['case'] == $1 and j['kind'] == '$2'][0]"; }
err_of() { R --json queue list | jget "[j['last_error'] for j in d if j['id'] == $1][0]"; }
esc1=$(job 1 escalation)
esc2=$(job 2 escalation)
# (An out-of-office says nothing the rules read: its ack is the plain one.)
ooo=$(job 3 ack-plain)
NOW=2026-11-26T10:01:00Z; R send --once >/dev/null
is "$(state_of "$esc1")" suppressed "the escalation of a case resolved before it went is suppressed"
is "$(err_of "$esc1")" "the case is resolved" "  with the reason on the job"
like "$(R --json case show 1 | jget "[e['detail'] for e in d['events'] if e['kind'] == 'suppressed']")" \
   "escalation not sent: the case is resolved" "  and on the case"
is "$(state_of "$esc2")" suppressed "a first-response breach escalation is suppressed once the case is responded to"
is "$(err_of "$esc2")" "the first response was made" "  with the reason on the job"
is "$(sink_dumps esc | xargs grep -l '^To: .*duty@example.com' 2>/dev/null | wc -l | tr -d ' ')" 0 \
   "no escalation reached the duty manager"
is "$(state_of "$ooo")" suppressed "(the ack to the out-of-office was suppressed at intake)"
R queue retry "$ooo" >/dev/null 2>err; st=$?
is "$st" 65 "queue retry refuses a suppressed ack (exit 65)"
like "$(cat err)" "job $ooo was suppressed \\(.*\\), not failed" "  saying why"
is "$(state_of "$ooo")" suppressed "  and the job stays suppressed"
R queue retry "$esc1" >/dev/null 2>&1
is "$?" 65 "and a suppressed escalation"
sink_stop esc
cd .. || exit 1

# ------------------------------------------------------------ dead servers
# A server that accepts connections and never answers: one timeout ends
# the round, the other due jobs wait untouched, and send --once says 75.
mkdir dead && cd dead || exit 1
hostile_start dead blackhole
TIMEOUT=2 conf "$HPORT"
NOW=2026-11-23T10:00:00Z; R ingest "$S" >/dev/null
due=$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND due <= strftime('%s', '2026-11-23T10:00:05Z')")
t0=$(now_ms)
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null 2>err; st=$?
ms=$(( $(now_ms) - t0 ))
is "$st" 75 "a server that never answers: send --once exits 75"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE attempts > 0")" 1 \
   "one job tried: one timeout for the round, not one per job"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0 AND due <= strftime('%s', '2026-11-23T10:00:05Z')")" \
   $((due - 1)) "  the other $((due - 1)) due jobs wait for the next round, untouched"
ok "$([ "$ms" -lt 6000 ]; echo $?)" "  in about one timeout (${ms} ms for $due due jobs, timeout 2 s)"
# Nothing listening at all: 75 too (redress(1)).
TIMEOUT=2 conf "$(sink_free_port)"
NOW=2026-11-23T10:00:10Z; R send --once >/dev/null 2>err; st=$?
is "$st" 75 "nothing listening: send --once exits 75"
like "$(cat err)" "Connection refused" "  and says why"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE attempts > 0")" 2 "  after one more job tried"
cd .. || exit 1

# A refused login fails every job alike: the batch stops after the first,
# which stays queued, and send --once says 69 (fix the setup first).
mkdir login && cd login || exit 1
sink_start login || exit 1
printf 'not-the-password\n' >pw
chmod 0600 pw
conf "$(sink_port login)" "$(printf 'user = care\npassword_file = %s' "$PWD/pw")"
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/02-damaged.eml" >/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null 2>err; st=$?
is "$st" 69 "login refused: send --once exits 69"
like "$(cat err)" "stopping this batch: .*login refused" "  and says why"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND kind = 'ack'")" 2 \
   "  the acks stay queued"
is "$(sink_count login)" 0 "  nothing delivered"
sink_stop login
cd .. || exit 1

# A server that stops listening mid-round: the jobs it took are sent, the
# one that found it gone is deferred, the rest wait untouched.
mkdir mid && cd mid || exit 1
hostile_start mid refuse --after 2
TIMEOUT=2 conf "$HPORT"
NOW=2026-11-23T10:00:00Z; R ingest "$S" >/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null 2>err; st=$?
is "$st" 75 "a server that stops listening mid-round: send --once exits 75"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sent'")" 2 "  the two jobs it took are sent"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 1")" 1 \
   "  the next is deferred"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE attempts > 0")" 3 "  and no other job was tried"
cd .. || exit 1

# ------------------------------------------------- batches
# A round claims its jobs in batches (1, 2, 4 ... in a fresh store), sends
# them over one connection and records a batch's results in one
# transaction.  All of them are recorded: every job, event, case move and
# kept message, as one at a time did.  A job whose case moved earlier in
# the same batch sees the move: case 5's escalation follows its ack in the
# third batch and tells the duty manager the case is acknowledged.
mkdir batch && cd batch || exit 1
sink_start batch || exit 1
conf "$(sink_port batch)"
NOW=2026-11-23T10:00:00Z; R ingest "$S" >/dev/null
due=$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND due <= strftime('%s', '2026-11-23T10:00:05Z')")
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null 2>err; st=$?
is "$st" 0 "batches: send --once exits 0"
sink_wait_count batch "$due"
is "$(sink_count batch)" "$due" "  the server got each of the $due due jobs"
is "$(sink_connections batch)" 1 "  over one connection"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sent'")" "$due" "  each is recorded sent"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state IN ('sending', 'queued') AND due <= strftime('%s', '2026-11-23T10:00:05Z')")" 0 \
   "  none left in hand or queued"
is "$(sqlite3 redress.db "SELECT count(*) FROM events WHERE kind = 'sent'")" "$due" "  one 'sent' event per job"
is "$(sqlite3 redress.db "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE direction = 'out'")" "$due|$due" \
   "  each message kept on its case once"
is "$(sqlite3 redress.db "SELECT count(*) FROM cases c WHERE state != 'acknowledged' AND EXISTS
	(SELECT 1 FROM jobs j WHERE j.case_id = c.id AND j.kind LIKE 'ack%' AND j.state = 'sent')")" 0 \
   "  every case whose ack went is acknowledged"
esc=$(for d in $(sink_dumps batch); do grep -l '^To: .*duty@example.com' "$d"; done)
like "$(grep '^State:' $esc)" "acknowledged" "  the escalation sent after its case's ack in the same batch sees the case acknowledged"
sink_stop batch
cd .. || exit 1

# A server that goes away mid-batch: the fourth batch is jobs 8 to 15
# (a batch of 8 after 1, 2 and 4); the server takes 10 messages and is
# gone for the 11th.  The rest of that batch, claimed but untried, is
# queued again in the transaction that records the batch: not left
# "sending" until the lease runs out or the next round takes it back.
mkdir midbatch && cd midbatch || exit 1
mkdir -p in/new in/cur in/tmp
i=1
while [ $i -le 20 ]; do
	printf 'From: Customer %d <c%d@example.org>\nTo: care@example.com\nSubject: Order %d never arrived\nMessage-ID: <batch-%d@example.org>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n\nI ordered on the 2nd and the parcel has still not arrived. Please refund me.\n' \
		$i $i $i $i >"in/new/$i.eml"
	i=$((i + 1))
done
hostile_start midbatch refuse --after 10
TIMEOUT=2 conf "$HPORT"
NOW=2026-11-23T10:00:00Z; R ingest in >/dev/null
DUE="due <= strftime('%s', '2026-11-23T10:00:05Z')"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND $DUE")" 20 "mid-batch: 20 acks due"
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null 2>err; st=$?
is "$st" 75 "mid-batch: a server gone in the middle of a batch: send --once exits 75"
is "$(hostile_count midbatch)" 10 "  the server got 10 messages"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sent'")" 10 "  10 jobs are recorded sent"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 1 AND NOT $DUE")" 1 \
   "  the one that found the server gone is deferred"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sending'")" 0 "  none is left in hand"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0 AND owner IS NULL AND lease IS NULL AND $DUE")" 9 \
   "  the untried 9 (4 of them claimed in that batch) are queued again at once"
cd .. || exit 1

# A slow server does not keep results from their commit: they wait at
# most about a second (OUTBOX_RECORD_WAIT), then the progress hook records
# them during the next delivery.  Three acks, 3 s each: the second and
# third make a batch, and the second is recorded while the third is still
# on its way (it used to wait for the end of the batch).
mkdir slowbatch && cd slowbatch || exit 1
sink_start slowbatch -w 3 || exit 1
conf "$(sink_port slowbatch)"
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/02-damaged.eml" "$S/03-late.eml" >/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null 2>err &
spid=$!
seen=
i=0
while kill -0 $spid 2>/dev/null && [ $i -lt 150 ]; do
	n=$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sent'" 2>/dev/null)
	[ "$n" = 2 ] && kill -0 $spid 2>/dev/null && seen=yes
	sleep 0.2
	i=$((i + 1))
done
wait $spid; st=$?
is "$st" 0 "slow server: send --once exits 0"
is "$seen" yes "  the second ack was recorded while the third was being delivered"
is "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sent'")" 3 "  all three are sent"
sink_stop slowbatch
cd .. || exit 1

# ------------------------------------------------------------ record_wait
# [smtp] record_wait = 0: each sent job is recorded before the next is
# tried, so a sender that dies in a delivery leaves one job delivered and
# unrecorded at most.  The server takes two messages and stalls on the
# third: the first two must be recorded by then.  With a long wait they
# are still in memory (the control: the setting is what makes it).
for wait in 0 60; do
	mkdir "rw$wait" && cd "rw$wait" || exit 1
	hostile_start "rw$wait" stall-after --after 2
	TIMEOUT=10 conf "$HPORT" "record_wait = ${wait}s"
	NOW=2026-11-23T10:00:00Z
	for f in 01-refund 02-damaged 03-late; do R ingest "$S/$f.eml" >/dev/null; done
	NOW=2026-11-23T10:00:05Z
	env "$KILLABLE" "$REDRESS" --now "$NOW" send --once >/dev/null 2>&1 &
	spid=$!
	_i=0
	while ! grep -q 'message 3' "$T/hostile/rw$wait/log" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	sleep 0.3
	sent=$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sent'")
	kill -9 $spid 2>/dev/null
	wait $spid 2>/dev/null
	if [ "$wait" = 0 ]; then
		is "$sent" 2 "record_wait = 0: the two delivered jobs are recorded while the third is in hand"
	else
		# The first batch is of one job and was recorded at its end;
		# the second job waits for its batch (2 and 3) to end.
		is "$sent" 1 "record_wait = 60s: the second waits in memory (what a kill would send again)"
	fi
	cd .. || exit 1
done

# ------------------------------------------------- no reply to the final dot
# The server has the whole message and never answers: it may have taken
# it.  Tried again once, no sooner than 15 minutes later, then given up as
# unconfirmed: at most two copies, however many rounds follow.
mkdir stall && cd stall || exit 1
hostile_start stall stall-dot
TIMEOUT=2 conf "$HPORT"
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" >/dev/null
ack=$(R --json queue list | jget "[j['id'] for j in d if j['kind'] == 'ack'][0]")
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null 2>err; st=$?
is "$st" 75 "no reply to the final dot: send --once exits 75"
is "$(state_of "$ack")" queued "  the ack is queued again"
like "$(R --json queue list | jget "[j['last_error'] for j in d if j['id'] == $ack][0]")" \
   "no reply to the final dot .*may have accepted" "  saying the server may have it"
is "$(hostile_count stall)" 1 "  (the server got one copy)"
NOW=2026-11-23T10:05:00Z; R send --once >/dev/null 2>&1
is "$(hostile_count stall)" 1 "not tried again within 15 minutes"
for t in 2026-11-23T10:20:00Z 2026-11-23T11:00:00Z 2026-11-23T13:00:00Z 2026-11-24T10:00:00Z \
	 2026-11-26T10:00:00Z; do
	NOW=$t; R send --once >/dev/null 2>&1
done
is "$(hostile_count stall)" 2 "after six rounds the server got two copies, no more"
is "$(state_of "$ack")" failed "  the job is given up"
like "$(R --json queue list | jget "[j['last_error'] for j in d if j['id'] == $ack][0]")" \
   "^unconfirmed: .*\\(2 attempt\\(s\\) without a reply to the final dot" "  as unconfirmed"
like "$(R --json case show 1 | jget "[e['kind'] for e in d['events']]")" "send-unconfirmed" \
   "  and the case says so"
is "$(hostile_count stall)" 2 "(still two)"
cd .. || exit 1

# ------------------------------------------------------- claims and leases
# A claim is taken back only from a sender that cannot be sending it: its
# lease ran out, or its process is gone.  A live sender's claim stays,
# even when the "send" lock is free.
mkdir lease && cd lease || exit 1
sink_start lease || exit 1
conf "$(sink_port lease)"
NOW=2026-11-23T10:00:00Z; R ingest "$S/01-refund.eml" "$S/02-damaged.eml" "$S/03-late.eml" >/dev/null
a1=$(R --json queue list | jget "[j['id'] for j in d if j['case'] == 1 and j['kind'] == 'ack'][0]")
a3=$(R --json queue list | jget "[j['id'] for j in d if j['case'] == 3 and j['kind'] == 'ack'][0]")
sleep 300 >/dev/null 2>&1 &   # stands for a sender that is still delivering
live=$!
HPIDS="$HPIDS $live"
sh -c 'exit 0' &
dead=$!
wait $dead
host=$(hostname)
sqlite3 redress.db "UPDATE jobs SET state = 'sending', owner = '$live@$host' WHERE id = $a1;
	UPDATE jobs SET state = 'sending', owner = '$dead@$host' WHERE id = $a3"
sqlite3 redress.db "UPDATE jobs SET lease = strftime('%s', 'now') + 600 WHERE id IN ($a1, $a3)" 2>/dev/null
NOW=2026-11-23T10:00:05Z; R send --once >/dev/null
is "$(state_of "$a1")" sending "a live sender's unexpired claim is not taken back"
is "$(state_of "$a3")" sent "a claim of a process that is gone is taken back at once"
is "$(sink_count lease)" 2 "  (two acks went: the free one and that one)"
sqlite3 redress.db "UPDATE jobs SET lease = strftime('%s', 'now') - 1 WHERE id = $a1" 2>/dev/null
NOW=2026-11-23T10:00:10Z; R send --once >/dev/null
is "$(state_of "$a1")" sent "a claim whose lease ran out is taken back"
kill "$live" 2>/dev/null
sink_stop lease
cd .. || exit 1

done_testing
