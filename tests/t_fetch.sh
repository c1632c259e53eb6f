#!/bin/sh
# redress fetch and run against a real Dovecot on loopback, through the
# real store: 200 messages stored exactly once and marked; a second fetch
# finds nothing; fetch killed with SIGKILL mid-batch loses and duplicates
# nothing; a UIDVALIDITY reset (mailbox recreated) duplicates nothing;
# move:FOLDER; certificate verification; IDLE in "redress run" ingests a new
# message within 2 seconds; SIGTERM stops run cleanly; Dovecot's imap process
# killed with SIGKILL in the middle of a large answer ends the fetch within
# its timeout (75), and the next fetch loses nothing.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_available || skip_all "dovecot is not installed (apt-get install dovecot-imapd)"
[ "$(id -u)" = 0 ] || skip_all "Dovecot's throw-away instance needs root"
T=$(mktemp -d /tmp/t_fetch.XXXXXX)
chmod 755 "$T"
RUNPID=
BGPID=
FAKEPID=
cleanup() {
	[ -n "$RUNPID" ] && kill -9 "$RUNPID" 2>/dev/null
	[ -n "$BGPID" ] && kill -9 "$BGPID" 2>/dev/null
	[ -n "$FAKEPID" ] && kill "$FAKEPID" 2>/dev/null
	dovecot_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
dovecot_start "$T/dovecot" >"$T/start.log" 2>&1 || { cat "$T/start.log"; echo "Bail out! dovecot did not start"; exit 1; }
cd "$T" || exit 1
R() { timeout 120 "$REDRESS" "$@"; }
conf() { # conf URL [LINE...]
	url=$1; shift
	{ echo "[imap]"; echo "url = $url"; echo "user = $DOVECOT_USER"
	  echo "password_file = $DOVECOT_PASSFILE"; echo "timeout = 10"
	  for l in "$@"; do echo "$l"; done
	  printf '[autoreply]\nper_hour = 0\nper_day = 0\n'; } > redress.conf
}
stored() { sqlite3 redress.db "select count(*) from messages"; }
distinct() { sqlite3 redress.db "select count(distinct message_id) from messages"; }

dovecot_doveadm mailbox create -u "$DOVECOT_USER" Support
dovecot_append 200 Support 1
conf "imaps://localhost:$DOVECOT_TLS_PORT/Support" "ca_file = $DOVECOT_CA" "batch = 50"
out=$(R --json fetch --once 2>err); st=$?
is "$st" 0 "fetch --once over TLS exits 0"
is "$(printf '%s\n' "$out" | jget 'd["messages"], d["new"]')" "200 200" "200 messages, 200 new cases"
is "$(stored)" 200 "200 stored"
is "$(dovecot_count Support SEEN)" 200 "all 200 marked \\Seen after the commit"
is "$(dovecot_count Support KEYWORD redress)" 200 "and carry the redress keyword"
out=$(R --json fetch --once 2>err)
is "$(printf '%s\n' "$out" | jget 'd["messages"]')" 0 "a second fetch finds nothing"
is "$(sqlite3 redress.db "select uidvalidity || ':' || last_uid from imap_state")" \
   "$(dovecot_uidvalidity Support):200" "UIDVALIDITY and last UID are stored"

# Certificates: the test CA is not trusted by default; a name mismatch is refused.
conf "imaps://localhost:$DOVECOT_TLS_PORT/Support"
R fetch --once >/dev/null 2>err; st=$?
is "$st" 69 "an untrusted certificate is refused (permanent: 69)"
like "$(cat err)" "issuer|not trusted|certificate" "and the error says why"
conf "imaps://127.0.0.1:$DOVECOT_TLS_PORT/Support" "ca_file = $DOVECOT_CA"
R fetch --once >/dev/null 2>err; st=$?
is "$st" 69 "a certificate for another name is refused"
grep -q "$DOVECOT_PASS" err; is "$?" 1 "no error shows the password"

# SIGKILL in the middle of batches: nothing lost, nothing twice.
dovecot_append 300 Support 201
conf "imap://127.0.0.1:$DOVECOT_PORT/Support" "tls = none" "batch = 20"
kills=0
partial=0
total=500
for delay in 0.01 0.015 0.02 0.025 0.03 0.035 0.04 0.05 0.06 0.07 0.08 0.1 0.13 0.16 0.2 0.25 0.3 0.4; do
	# Not through R: a function run with & is a subshell, and killing it
	# would leave timeout and redress running.
	env "$KILLABLE" "$REDRESS" -q fetch --once >/dev/null 2>&1 &
	p=$!
	sleep "$delay"
	kill -9 "$p" 2>/dev/null
	wait "$p"
	[ $? = 137 ] || break   # this one finished before the kill
	kills=$((kills + 1))
	n=$(stored)
	[ "$n" -gt 200 ] && [ "$n" -lt $total ] && partial=$((partial + 1))
done
last="$delay s"
# Under load (a sanitizer build, a busy machine) every kill above may land
# before the first batch is stored, or one just before it and the next
# run, given longer, finishes them all: then one more run is killed as
# soon as it has stored something, which is in the middle by construction
# (300 more messages first, when none is left to fetch).
if [ "$partial" = 0 ]; then
	if [ "$(stored)" -ge $total ]; then
		dovecot_append 300 Support $((total + 1))
		total=$((total + 300))
	fi
	n0=$(stored)
	env "$KILLABLE" "$REDRESS" -q fetch --once >/dev/null 2>&1 &
	p=$!
	i=0
	while kill -0 "$p" 2>/dev/null && [ "$(stored)" = "$n0" ] && [ $i -lt 600 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -9 "$p" 2>/dev/null
	wait "$p"
	if [ $? = 137 ]; then
		kills=$((kills + 1))
		n=$(stored)
		[ "$n" -gt "$n0" ] && [ "$n" -lt $total ] && partial=$((partial + 1))
		last="$last, then one at its first stored batch"
	fi
fi
diag "fetch runs killed: $kills (the last delay was $last), $partial with part of the mail stored"
ok $([ "$partial" -ge 1 ]; echo $?) "SIGKILL landed in the middle of a fetch ($partial of $kills kills)"
R -q fetch --once >/dev/null 2>err; st=$?
is "$st" 0 "after $kills kills a clean fetch exits 0"
is "$(stored)" $total "all $total messages stored"
is "$(distinct)" $total "each exactly once"
is "$(sqlite3 redress.db "select count(*) from cases")" $total "$total cases, no duplicates"
is "$(dovecot_count Support SEEN)" $total "and all marked"
is "$(sqlite3 redress.db 'pragma integrity_check')" ok "the store is intact"

# UIDVALIDITY reset: the mailbox is recreated with the same messages.
old=$(dovecot_uidvalidity Support)
dovecot_doveadm mailbox delete -u "$DOVECOT_USER" Support
dovecot_doveadm mailbox create -u "$DOVECOT_USER" Support
dovecot_append $total Support 1
new=$(dovecot_uidvalidity Support)
[ "$old" != "$new" ]; ok $? "UIDVALIDITY changed ($old -> $new)"
out=$(R --json fetch --once 2>err)
is "$(printf '%s\n' "$out" | jget 'd["messages"], d["duplicates"], d["new"]')" "$total $total 0" \
   "the rescan reads all $total and recognises them all"
like "$(cat err)" "UIDVALIDITY changed" "and says why it rescans"
is "$(stored)" $total "still $total stored"

# move:FOLDER.
dovecot_doveadm mailbox create -u "$DOVECOT_USER" Moving
dovecot_doveadm mailbox create -u "$DOVECOT_USER" Processed
dovecot_append 5 Moving 1001
conf "imap://127.0.0.1:$DOVECOT_PORT/Moving" "tls = none" "processed = move:Processed"
R -q fetch --once >/dev/null 2>err; st=$?
is "$st" 0 "fetch with move:Processed"
is "$(dovecot_count Moving)" 0 "the mailbox is empty afterwards"
is "$(dovecot_count Processed)" 5 "and the five are in Processed"

# An rspamd that thinks 2 s a message (tests/lib/fake_rspamd.py --delay):
# fetch asks it before each message's transaction, so another writer
# ([store] busy_timeout = 2 s) gets in while the fetch still runs.  Each
# message is committed on its own, the last UID with the batch: a SIGKILL
# between stores some of a batch unrecorded and unmarked, which the next
# fetch finds stored (not asked about again), records and marks.
mkdir -p "$T/scan" && cd "$T/scan" || exit 1
python3 "$top_srcdir/tests/lib/fake_rspamd.py" --delay 2 --log "$T/scan/rspamd.log" \
	> rspamd.port 2>rspamd.err &
FAKEPID=$!
i=0; while [ ! -s rspamd.port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
asked() { wc -l < rspamd.log 2>/dev/null | tr -d ' ' || echo 0; }
lastuid() { sqlite3 redress.db "select last_uid from imap_state"; }
printf '[store]\nbusy_timeout = 2000\n' > plain.conf
printf 'From: A Customer <first@example.net>\nTo: complaints@example.com\nSubject: Where is my order\nMessage-ID: <scan-0@example.net>\n\nOrder 1 never came.\n' > first.eml
R -q -c plain.conf ingest first.eml >/dev/null 2>&1
dovecot_append 4 Scanned 2001
conf "imap://127.0.0.1:$DOVECOT_PORT/Scanned" "tls = none" "batch = 50" \
     "[store]" "busy_timeout = 2000" "[spam]" "rspamd = http://127.0.0.1:$(cat rspamd.port)" \
     "timeout = 10"
env "$KILLABLE" "$REDRESS" -q fetch --once >fetch.out 2>fetch.err &
BGPID=$!
i=0; while [ ! -s rspamd.log ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
is "$(asked)" 1 "fetch is waiting for rspamd's first answer"
R -q case note 1 "called the customer" >/dev/null 2>note.err; st=$?
is "$st" 0 "another writer is not locked out while rspamd thinks (exit 0)"
[ "$st" = 0 ] || sed 's/^/# /' note.err
kill -0 "$BGPID" 2>/dev/null
is "$?" 0 "and did not wait for the whole fetch (still running)"
wait "$BGPID"; st=$?
BGPID=
is "$st" 0 "the fetch ends well (exit 0)"
is "$(stored) $(distinct)" "5 5" "the four fetched are stored, once each"
is "$(dovecot_count Scanned SEEN) $(lastuid)" "4 4" "marked, and the last UID recorded"
like "$(R --json case show 2 | jget '" | ".join(d["traffic_reasons"])')" "not spam: rspamd no action" \
   "with rspamd's answer"
is "$(asked)" 4 "rspamd was asked once a message"
dovecot_append 4 Scanned 2005
env "$KILLABLE" "$REDRESS" -q fetch --once >/dev/null 2>&1 &
BGPID=$!
i=0; while kill -0 "$BGPID" 2>/dev/null && [ "$(stored)" -lt 7 ] && [ $i -lt 300 ]; do
	sleep 0.05; i=$((i + 1))
done
kill -9 "$BGPID" 2>/dev/null
wait "$BGPID"; st=$?
BGPID=
is "$st" 137 "a fetch killed in the middle of its batch"
n=$(stored)
is "$(lastuid)" 4 "left $((n - 5)) of the batch stored, the last UID not recorded"
a0=$(asked)
R -q fetch --once >/dev/null 2>err; st=$?
is "$st" 0 "the next fetch exits 0"
is "$(stored) $(distinct)" "9 9" "all stored, none twice"
is "$(dovecot_count Scanned SEEN) $(lastuid)" "8 8" "all marked, the last UID recorded"
is "$(asked)" "$((a0 + 9 - n))" "rspamd was asked only about the $((9 - n)) not yet stored"
kill "$FAKEPID" 2>/dev/null
cd "$T" || exit 1

# run: IDLE sees a new message within 2 seconds; SIGTERM stops it.
conf "imap://127.0.0.1:$DOVECOT_PORT/Support" "tls = none"
"$REDRESS" run >run.out 2>run.err &
RUNPID=$!
sleep 2
before=$(stored)
printf 'From: Idle Tester <idle@example.org>\nTo: complaints@example.com\nSubject: My order never came\nMessage-ID: <idle-1@example.org>\n\nStill waiting for order 9.\n' > idle.eml
dovecot_save Support < idle.eml
t0=$(date +%s.%N)
got=0
while [ "$(echo "$(date +%s.%N) - $t0 < 5" | bc)" = 1 ]; do
	[ "$(stored)" -gt "$before" ] && { got=1; break; }
	sleep 0.05
done
took=$(echo "$(date +%s.%N) - $t0" | bc)
is "$got" 1 "run ingests a new message while it waits (IDLE)"
# Polling would take up to 30 s here (run's send interval); IDLE answers at
# once.  The issue asks for 2 s; a sanitizer build runs several times
# slower on a loaded 2-core machine, so it gets 5.
limit=2
nm "$REDRESS" 2>/dev/null | grep -q __asan_init && limit=5
[ "$(echo "$took < $limit" | bc)" = 1 ]; ok $? "within $limit seconds (took ${took}s)"
kill -TERM "$RUNPID"
for i in $(seq 1 50); do kill -0 "$RUNPID" 2>/dev/null || break; sleep 0.1; done
wait "$RUNPID"; st=$?
RUNPID=
is "$st" 0 "SIGTERM stops run with exit 0"
grep -q "$DOVECOT_PASS" run.err run.out; is "$?" 1 "run never logs the password"

# Dovecot's imap process killed with SIGKILL in the middle of a large
# answer (issue 11, section 4): libetpan 1.9.4 used to loop for ever on the
# end of file inside the literal.  redress must end within [imap] timeout
# with a temporary failure, and the next fetch must lose nothing.  Last in
# the script: run before the IDLE check, under libfaketime (make
# check-future) that check then failed, with main's redress too.
dovecot_doveadm mailbox create -u "$DOVECOT_USER" Big
python3 - "$(dovecot_folder Big)" 300 <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
line = b"My parcel has not arrived and I am still waiting for an answer.\n"
body = line * (256 * 1024 // len(line))
for k in range(1, n + 1):
    head = (b"From: Customer %d <big%d@example.net>\nTo: complaints@example.com\n"
            b"Subject: Big complaint %d\nMessage-ID: <big-%d@redress.test>\n"
            b"Date: Mon, 3 Jun 2024 10:00:00 +0000\n\n" % (k, k, k, k))
    tmp = os.path.join(d, "tmp", "big%d" % k)
    with open(tmp, "wb") as f:
        f.write(head + body)
    os.rename(tmp, os.path.join(d, "new", "%d.M%dP1.redress-big" % (1700000000 + k, k)))
PY
chown -R dovecot:dovecot "$(dovecot_folder Big)"
mkdir -p "$T/big" && cd "$T/big" || exit 1
conf "imap://127.0.0.1:$DOVECOT_PORT/Big" "tls = none" "batch = 10"
sed -i 's/^timeout = .*/timeout = 5/' redress.conf
"$REDRESS" -q fetch --once >fetch.out 2>fetch.err &
BGPID=$!
# Only once redress has made the store: sqlite3 would create an empty
# file, which redress rightly refuses as a store.
i=0
while { [ ! -s redress.db ] || [ "$(stored 2>/dev/null || echo 0)" = 0 ]; } &&
      [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
# redress is stopped while its server is found and killed: on a loaded
# machine it could otherwise read all 300 before the kill lands.
kill -STOP "$BGPID" 2>/dev/null
master=$(cat "$DOVECOT_DIR/run/master.pid")
imapd=$(pgrep -P "$master" -x imap | tr '\n' ' ')
[ -n "$imapd" ]; ok $? "Dovecot's imap process serving the fetch is found (pgrep, from procps)"
diag "killing Dovecot's imap process(es) $imapd after $(stored) of 300 messages were stored"
[ -n "$imapd" ] && kill -9 $imapd
kill -CONT "$BGPID" 2>/dev/null
t0=$(date +%s.%N)
i=0
while kill -0 "$BGPID" 2>/dev/null && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
took=$(echo "$(date +%s.%N) - $t0" | bc)
kill -9 "$BGPID" 2>/dev/null
wait "$BGPID"; st=$?
BGPID=
[ "$(echo "$took < 15" | bc)" = 1 ]
ok $? "imap process killed mid-answer: fetch ends in ${took} s (timeout 5 s; bound 15 s)"
is "$st" 75 "with a temporary failure (75)"
like "$(cat fetch.err)" "closed the connection|connection lost" "and says the connection was lost"
before=$(stored)
ok $([ "$before" -lt 300 ]; echo $?) "the kill landed before the end ($before of 300 stored)"
# Dovecot may hold back new imap processes for a while after one was
# killed (its service throttling); the next fetch is tried until it gets
# through, within a bound.
i=0
while :; do
	R -q fetch --once >/dev/null 2>err; st=$?
	[ "$st" = 75 ] && [ $i -lt 10 ] || break
	sleep 2
	i=$((i + 1))
done
is "$st" 0 "the next fetch exits 0 ($i retries while Dovecot came back)"
[ "$st" = 0 ] || diag "$(cat err)"
is "$(stored):$(distinct)" "300:300" "and all 300 are stored, each once"
is "$(dovecot_count Big SEEN KEYWORD redress)" 300 "and all 300 are marked"
cd "$T" || exit 1
BGPID=

done_testing
